/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the state shared by the shims (shim.c) and the
 * tests.  Not a kernel header.
 */
#ifndef _POTAD_SHIM_H
#define _POTAD_SHIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/compiler.h>
#include <linux/fs.h>

/* Number of WARN*() that fired (every time, the harness has no ONCE). */
extern long potad_warn_count;
/* Don't print WARN: lines (the counter still counts).  Env POTAD_QUIET. */
extern int potad_warn_quiet;
/* pr_*() verbosity: 0 nothing, 1 pr_err/pr_warn, 2 + pr_info, 3 + debug. */
extern int potad_printk_level;

/*
 * Fault injection: when 0, the next allocation (kmalloc, kzalloc, kcalloc,
 * kvmalloc, kvzalloc, kvcalloc, bitmap_zalloc, kmem_cache_alloc/zalloc,
 * kmem_cache_create) fails and the countdown becomes -1; when positive it
 * is decremented by each allocation; negative means never fail.  Both
 * are per thread: a thread's countdown fails only its own allocations.
 */
extern __thread long potad_fail_alloc_after;
/* Number of allocations failed by fault injection. */
extern __thread long potad_injected_failures;

/* Accounting of every allocation made through the slab shims. */
extern long potad_mem_bytes;		/* live bytes requested */
extern long potad_mem_allocs;		/* live allocations */
extern long potad_mem_peak;		/* peak of potad_mem_bytes */

/* Locking-context bugs seen by the shims (also counted as warnings). */
extern long potad_lockdep_errors;	/* lockdep_assert_held() failures */
extern long potad_sleep_in_atomic;	/* may-sleep call under a spinlock */

/* Where the last warning fired. */
extern const char *potad_last_warn_file;
extern int potad_last_warn_line;
extern char potad_last_warn_msg[256];

/* The instance potad_zone_of() returns, for zone-instance tests. */
struct potad;
extern struct potad *potad_shim_zone;

void potad_shim_init(void);
__printf(4, 5)
void potad_shim_warn(const char *file, int line, const char *func,
		     const char *fmt, ...);
__noreturn
void potad_shim_bug(const char *file, int line, const char *func,
		    const char *what);
/* printk(): @fmt may start with a KERN_<LEVEL> prefix. */
__printf(1, 2)
void potad_shim_printk(const char *fmt, ...);
void potad_shim_might_sleep(const char *file, int line, const char *what);

/*
 * Spinlocks and mutexes are pthread mutexes that know their owner, so
 * that recursion, unlocking a lock not held, lockdep_assert_held() on a
 * lock not held and sleeping under a spinlock are caught.
 */
struct potad_shim_lock {
	pthread_mutex_t mutex;
	pthread_t owner;
	int held;
	unsigned int magic;
};

#define POTAD_SHIM_LOCK_INIT(lock_magic) {				\
	.mutex = PTHREAD_MUTEX_INITIALIZER,				\
	.magic = (lock_magic),						\
}

/* Spinlocks held by the calling thread. */
struct kmem_cache;
int potad_shim_spin_depth(void);
/* Bytes per object of a slab cache: its size rounded to its alignment. */
unsigned int potad_shim_slab_object_size(struct kmem_cache *s);
/* True if the calling thread holds @lock. */
bool potad_shim_lock_held(const struct potad_shim_lock *lock);
void potad_shim_lockdep_assert(struct potad_shim_lock *lock, bool want_held,
			       const char *what, const char *file, int line);

/*
 * RCU (include/linux/rcupdate.h, over liburcu's memb flavour).  Threads
 * are registered with liburcu on their first rcu_read_lock() (the main
 * thread at startup) and unregistered when they exit; these register or
 * unregister the calling thread explicitly (both are idempotent).
 */
struct rcu_head;
void potad_shim_rcu_register_thread(void);
void potad_shim_rcu_unregister_thread(void);
/* A "suspicious RCU usage": warns and counts as a lockdep error. */
void potad_shim_rcu_suspicious(const char *file, int line, const char *what);
void potad_shim_synchronize_rcu(const char *file, int line, const char *what);
void potad_shim_rcu_barrier(const char *file, int line);
void potad_shim_call_rcu(struct rcu_head *head,
			 void (*func)(struct rcu_head *head));
/* kvfree_rcu(): the struct rcu_head is @offset bytes into @ptr. */
void potad_shim_kvfree_rcu(void *ptr, unsigned long offset);
/* RCU callbacks queued and not yet invoked. */
long potad_shim_rcu_pending(void);
/* True in an RCU callback (softirq context in the kernel). */
bool potad_shim_in_rcu_callback(void);

/*
 * Work items (include/linux/workqueue.h).  schedule_work() only queues:
 * queued work runs in the thread that calls flush_work() on it, or
 * potad_shim_run_work(), which runs every queued work item, including
 * those queued meanwhile, and returns how many ran.  May sleep.
 */
int potad_shim_run_work(void);
/* Work items queued and not yet run. */
int potad_shim_work_pending(void);

/* Initcalls registered by late_initcall() and friends, run in order. */
void potad_shim_register_initcall(int level, int (*fn)(void),
				  const char *name);
/* Run them; returns the number that failed. */
int potad_shim_run_initcalls(void);

/* debugfs files created through the shim, so the tests can read them. */
struct dentry;

struct potad_debugfs_file {
	char name[64];
	void *data;
	const struct file_operations *fops;
	struct dentry *dentry;
	struct dentry *parent;
	bool removed;
};

int potad_shim_debugfs_count(void);
struct potad_debugfs_file *potad_shim_debugfs_get(int i);
/* Render a debugfs file into buf (via its fops).  Returns length or -errno. */
long potad_shim_debugfs_read(struct potad_debugfs_file *f, char *buf,
			     size_t size);
/* Write to a debugfs file (via its fops).  Returns length or -errno. */
long potad_shim_debugfs_write(struct potad_debugfs_file *f, const char *buf,
			      size_t len);

/* Stub of mm/potad_bench.c's debugfs file (shim.c). */
struct dentry;
void potad_bench_debugfs(struct dentry *dir);

#endif /* _POTAD_SHIM_H */
