/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: RCU over liburcu's memb flavour (-lurcu, the
 * default flavour of Debian's liburcu-dev).
 *
 * - rcu_read_lock()/rcu_read_unlock() are liburcu's, inlined
 *   (_LGPL_SOURCE); a thread is registered with liburcu the first time it
 *   enters a read-side critical section (and unregistered when it exits),
 *   the main thread at startup (shim.c).  An unbalanced rcu_read_unlock()
 *   warns and counts as a lockdep error.
 * - synchronize_rcu() is liburcu's.  Like might_sleep(), it is reported
 *   under a spinlock, in a read-side critical section or in an RCU
 *   callback (where it returns at once instead of deadlocking).
 * - call_rcu() queues the callback for a harness thread that waits for a
 *   liburcu grace period and then invokes it, marked as softirq context
 *   (sleeping there is reported).  rcu_barrier() waits until every
 *   callback queued before it has run.  kfree_rcu()/kvfree_rcu() are
 *   call_rcu() with the kernel's offset encoding.
 * - With CONFIG_PROVE_RCU (the test build, like the guest's lockdep
 *   kernel), rcu_dereference*() check their condition as the kernel does
 *   ("suspicious rcu_dereference_check() usage"): the access must be in
 *   a read-side critical section or the condition (lockdep_is_held() ...)
 *   must hold.  A failure warns and counts as a lockdep error.
 *
 * struct rcu_head is liburcu's, which has the kernel's layout: the next
 * pointer, then the callback.
 */
#ifndef _POTAD_SHIM_LINUX_RCUPDATE_H
#define _POTAD_SHIM_LINUX_RCUPDATE_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE		/* liburcu's read side as inline functions */
#endif
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-memb.h>

/* liburcu's pointer helpers: the kernel's, with checking, replace them. */
#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_cmpxchg_pointer
#undef rcu_xchg_pointer
#undef rcu_set_pointer

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <asm/barrier.h>
#include <potad_shim.h>

typedef void (*rcu_callback_t)(struct rcu_head *head);

/*
 * lockdep's maps of RCU readers and of RCU callbacks, for lock_is_held()
 * (linux/lockdep.h).  Inside a struct, so that their addresses are never
 * the (one past the end) address of another lock's dep_map.
 */
struct potad_shim_rcu_maps {
	long pad0;
	struct lockdep_map lock;
	long pad1;
	struct lockdep_map callback;
	long pad2;
};

extern struct potad_shim_rcu_maps potad_shim_rcu_maps;

#define rcu_lock_map		(potad_shim_rcu_maps.lock)
#define rcu_callback_map	(potad_shim_rcu_maps.callback)

static_assert(sizeof(struct rcu_head) == 2 * sizeof(void *) &&
	      offsetof(struct rcu_head, func) == sizeof(void *),
	      "struct rcu_head has the kernel's layout");

/* Register the calling thread with liburcu unless it already is. */
static inline void potad_shim_rcu_ensure_registered(void)
{
	if (unlikely(!URCU_TLS(urcu_memb_reader).registered))
		potad_shim_rcu_register_thread();
}

static inline void rcu_read_lock(void)
{
	potad_shim_rcu_ensure_registered();
	urcu_memb_read_lock();
}

/* In a read-side critical section of the calling thread. */
static inline bool rcu_read_lock_held(void)
{
	return urcu_memb_read_ongoing();
}

/* Spinlocks disable preemption, which is a read-side critical section. */
static inline bool rcu_read_lock_any_held(void)
{
	return rcu_read_lock_held() || potad_shim_spin_depth();
}

static inline void __potad_rcu_read_unlock(const char *file, int line)
{
	if (unlikely(!rcu_read_lock_held())) {
		potad_shim_rcu_suspicious(file, line,
					  "rcu_read_unlock() without rcu_read_lock()");
		return;
	}
	urcu_memb_read_unlock();
}

#define rcu_read_unlock()	__potad_rcu_read_unlock(__FILE__, __LINE__)

#ifdef CONFIG_PROVE_RCU
#define RCU_LOCKDEP_WARN(c, s) do {					\
	if (unlikely(c))						\
		potad_shim_rcu_suspicious(__FILE__, __LINE__, s);	\
} while (0)
#else
#define RCU_LOCKDEP_WARN(c, s) do {					\
	if (0 && (c))							\
		potad_shim_rcu_suspicious(__FILE__, __LINE__, s);	\
} while (0)
#endif

#define lockdep_assert_in_rcu_read_lock()				\
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),				\
			 "lockdep_assert_in_rcu_read_lock() failed")

#define RCU_INITIALIZER(v)	(v)
#define unrcu_pointer(p)	(p)
#define rcu_pointer_handoff(p)	(p)

#define rcu_access_pointer(p)	READ_ONCE(p)
#define rcu_dereference_raw(p)	READ_ONCE(p)

#define rcu_dereference_check(p, c) ({					\
	RCU_LOCKDEP_WARN(!((c) || rcu_read_lock_held()),		\
			 "suspicious rcu_dereference_check() usage");	\
	READ_ONCE(p);							\
})

#define rcu_dereference_protected(p, c) ({				\
	RCU_LOCKDEP_WARN(!(c),						\
			 "suspicious rcu_dereference_protected() usage"); \
	(p);								\
})

#define rcu_dereference(p)	rcu_dereference_check(p, 0)

#define rcu_assign_pointer(p, v)					\
	/* Release: readers see the pointee initialised. */		\
	smp_store_release(&(p), (typeof(p))(uintptr_t)(v))

#define RCU_INIT_POINTER(p, v)	WRITE_ONCE(p, (typeof(p))(uintptr_t)(v))

#define synchronize_rcu()						\
	potad_shim_synchronize_rcu(__FILE__, __LINE__, "synchronize_rcu()")
#define rcu_barrier()							\
	potad_shim_rcu_barrier(__FILE__, __LINE__)
#define call_rcu(head, func)	potad_shim_call_rcu(head, func)

/*
 * kfree_rcu(ptr, rhf): kfree() (or kvfree()) @ptr, if not NULL, after a
 * grace period, through its struct rcu_head @rhf.  As in the kernel, the
 * callback is the offset of @rhf in *@ptr (below 4096, checked).
 */
#define kvfree_rcu(ptr, rhf) do {					\
	typeof(ptr) ___p = (ptr);					\
									\
	potad_shim_kvfree_rcu(___p, offsetof(typeof(*___p), rhf));	\
} while (0)
#define kfree_rcu(ptr, rhf)	kvfree_rcu(ptr, rhf)

#endif /* _POTAD_SHIM_LINUX_RCUPDATE_H */
