// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace harness: the run-time side of the kernel shims used to
 * compile mm/potad.c as a userspace program (see include/).
 *
 * - WARN*() count in potad_warn_count and print "WARN: ..." on stderr.
 * - Every allocation is a malloc() with a poisoned header recording its
 *   size and kind; live bytes are accounted (potad_mem_bytes) and any
 *   allocation can be made to fail (potad_fail_alloc_after, per thread).
 * - Spinlocks and mutexes are pthread mutexes that know their owner:
 *   recursion, unlocking a lock not held, lockdep_assert_held() on a lock
 *   not held and sleeping (blocking allocation, mutex, might_sleep())
 *   under a spinlock are all reported.
 * - RCU is liburcu's memb flavour (threads registered on first use), with
 *   call_rcu() callbacks run by a harness thread after a grace period;
 *   sleeping in a read-side critical section or in a callback is
 *   reported too.
 * - Work items are only queued: they run from flush_work() and
 *   potad_shim_run_work().
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <potad_shim.h>

#include "../../../mm/potad_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

long potad_warn_count;
int potad_warn_quiet;
int potad_printk_level = 1;
__thread long potad_fail_alloc_after = -1;
__thread int potad_shim_cpu;
__thread long potad_injected_failures;
long potad_mem_bytes;
long potad_mem_allocs;
long potad_mem_peak;
long potad_lockdep_errors;
long potad_sleep_in_atomic;
const char *potad_last_warn_file;
int potad_last_warn_line;
char potad_last_warn_msg[256];

static __thread int spin_depth;
static __thread bool in_rcu_callback;
static __thread int printk_last_level = 2;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* The header of an allocation is poisoned between calls into the shim. */
static void poison(const void *p, size_t size)
{
#if defined(__SANITIZE_ADDRESS__)
	ASAN_POISON_MEMORY_REGION(p, size);
#endif
}

static void unpoison(const void *p, size_t size)
{
#if defined(__SANITIZE_ADDRESS__)
	ASAN_UNPOISON_MEMORY_REGION(p, size);
#endif
}

int potad_shim_spin_depth(void)
{
	return spin_depth;
}

void potad_shim_init(void)
{
	const char *s;

	s = getenv("POTAD_QUIET");
	if (s && *s && strcmp(s, "0"))
		potad_warn_quiet = 1;
	s = getenv("POTAD_PRINTK");
	if (s && *s)
		potad_printk_level = atoi(s);
}

void potad_shim_warn(const char *file, int line, const char *func,
		     const char *fmt, ...)
{
	char msg[sizeof(potad_last_warn_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&print_lock);
	__atomic_fetch_add(&potad_warn_count, 1, __ATOMIC_SEQ_CST);
	potad_last_warn_file = file;
	potad_last_warn_line = line;
	memcpy(potad_last_warn_msg, msg, sizeof(msg));
	if (!potad_warn_quiet) {
		size_t len = strlen(msg);

		fprintf(stderr, "WARN: %s:%d %s(): %s%s", file, line, func, msg,
			len && msg[len - 1] == '\n' ? "" : "\n");
	}
	pthread_mutex_unlock(&print_lock);
}

void potad_shim_bug(const char *file, int line, const char *func,
		    const char *what)
{
	fprintf(stderr, "BUG: %s:%d %s(): %s\n", file, line, func, what);
	fflush(NULL);
	abort();
}

void potad_shim_printk(const char *fmt, ...)
{
	bool cont = false;
	int level = 2;
	va_list ap;

	/* KERN_<LEVEL>: 0-4 are errors and warnings, 7 is debug. */
	if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') {
		level = fmt[1] <= '4' ? 1 : fmt[1] == '7' ? 3 : 2;
		fmt += 2;
	} else if (fmt[0] == KERN_SOH[0] && fmt[1] == 'c') {
		/* KERN_CONT: pr_cont() continues the previous message. */
		level = printk_last_level;
		cont = true;
		fmt += 2;
	}
	printk_last_level = level;
	if (level > potad_printk_level)
		return;
	va_start(ap, fmt);
	pthread_mutex_lock(&print_lock);
	if (!cont)
		fputs("potad-printk: ", stderr);
	vfprintf(stderr, fmt, ap);
	pthread_mutex_unlock(&print_lock);
	va_end(ap);
}

/*
 * Sleeping is a bug under a spinlock, in an RCU read-side critical
 * section and in an RCU callback (softirq context).
 */
void potad_shim_might_sleep(const char *file, int line, const char *what)
{
	if (!spin_depth && !rcu_read_lock_held() && !in_rcu_callback)
		return;
	__atomic_fetch_add(&potad_sleep_in_atomic, 1, __ATOMIC_SEQ_CST);
	if (spin_depth)
		potad_shim_warn(file, line, "might_sleep",
				"BUG: sleeping function (%s) called with %d spinlock(s) held",
				what, spin_depth);
	else if (in_rcu_callback)
		potad_shim_warn(file, line, "might_sleep",
				"BUG: sleeping function (%s) called from an RCU callback (softirq)",
				what);
	else
		potad_shim_warn(file, line, "might_sleep",
				"BUG: sleeping function (%s) called in an RCU read-side critical section",
				what);
}

/* ---- locks ---- */

static bool lock_mine(const struct potad_shim_lock *l)
{
	return __atomic_load_n(&l->held, __ATOMIC_RELAXED) &&
	       pthread_equal(l->owner, pthread_self());
}

bool potad_shim_lock_held(const struct potad_shim_lock *lock)
{
	return lock_mine(lock);
}

struct potad_shim_rcu_maps potad_shim_rcu_maps;

bool lock_is_held(const struct lockdep_map *map)
{
	if (map == &rcu_lock_map)
		return rcu_read_lock_held();
	if (map == &rcu_callback_map)
		return in_rcu_callback;
	return lock_mine((const struct potad_shim_lock *)
			 ((const char *)map - sizeof(struct potad_shim_lock)));
}

static void lock_check(struct potad_shim_lock *l, unsigned int magic,
		       const char *what, const char *file, int line)
{
	if (l->magic != magic)
		potad_shim_bug(file, line, what, "lock used uninitialised");
	if (lock_mine(l))
		potad_shim_bug(file, line, what, "recursive locking: deadlock");
}

static void lock_take(struct potad_shim_lock *l)
{
	pthread_mutex_lock(&l->mutex);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELAXED);
}

static void lock_release(struct potad_shim_lock *l, const char *what,
			 const char *file, int line)
{
	if (!lock_mine(l))
		potad_shim_bug(file, line, what,
			       "unlock of a lock not held by this thread");
	__atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->mutex);
}

void potad_shim_lockdep_assert(struct potad_shim_lock *lock, bool want_held,
			       const char *what, const char *file, int line)
{
	if (lock_mine(lock) == want_held)
		return;
	__atomic_fetch_add(&potad_lockdep_errors, 1, __ATOMIC_SEQ_CST);
	potad_shim_warn(file, line, "lockdep", "lockdep: %s %s held by this thread",
			what, want_held ? "not" : "unexpectedly");
}

void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->shim.mutex, NULL);
	lock->shim.held = 0;
	lock->shim.magic = POTAD_SPINLOCK_MAGIC;
}

unsigned long potad_shim_spin_lock(spinlock_t *lock, const char *file,
				   int line)
{
	lock_check(&lock->shim, POTAD_SPINLOCK_MAGIC, "spin_lock", file, line);
	lock_take(&lock->shim);
	spin_depth++;
	return 0;
}

void potad_shim_spin_unlock(spinlock_t *lock, unsigned long flags,
			    const char *file, int line)
{
	lock_release(&lock->shim, "spin_unlock", file, line);
	spin_depth--;
}

void mutex_init(struct mutex *lock)
{
	pthread_mutex_init(&lock->shim.mutex, NULL);
	lock->shim.held = 0;
	lock->shim.magic = POTAD_MUTEX_MAGIC;
}

void potad_shim_mutex_lock(struct mutex *lock, const char *file, int line)
{
	potad_shim_might_sleep(file, line, "mutex_lock()");
	lock_check(&lock->shim, POTAD_MUTEX_MAGIC, "mutex_lock", file, line);
	lock_take(&lock->shim);
}

void potad_shim_mutex_unlock(struct mutex *lock, const char *file, int line)
{
	lock_release(&lock->shim, "mutex_unlock", file, line);
}

/* ---- memory ---- */

#define HDR_SIZE	64UL
#define HDR_MAGIC	0x90adc0deUL

enum alloc_kind { KIND_KMALLOC = 1, KIND_KVMALLOC, KIND_SLAB };

struct kmem_cache {
	char name[64];
	unsigned int size;
	unsigned int align;
	unsigned int flags;
	void (*ctor)(void *obj);
	long nr_objs;			/* live objects */
	long nr_total;			/* objects allocated, since zeroed */
	/* Recorded for lib/maple_tree.c's debug hooks, not acted upon. */
	unsigned int non_kernel;
	void (*callback)(void *obj);
	void *private;
};

struct hdr {
	unsigned long magic;
	size_t size;
	int kind;
	struct kmem_cache *cache;
};

static bool inject_failure(void)
{
	long v = __atomic_load_n(&potad_fail_alloc_after, __ATOMIC_SEQ_CST);

	while (v >= 0) {
		if (__atomic_compare_exchange_n(&potad_fail_alloc_after, &v,
						v - 1, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			if (v)
				return false;
			__atomic_fetch_add(&potad_injected_failures, 1,
					   __ATOMIC_SEQ_CST);
			return true;
		}
	}
	return false;
}

/* An allocation that may block may sleep. */
static void check_gfp(gfp_t gfp, const char *what)
{
	if (gfpflags_allow_blocking(gfp))
		potad_shim_might_sleep(__FILE__, __LINE__, what);
}

static void account(long bytes, long allocs)
{
	long now = __atomic_add_fetch(&potad_mem_bytes, bytes,
				      __ATOMIC_SEQ_CST);

	__atomic_add_fetch(&potad_mem_allocs, allocs, __ATOMIC_SEQ_CST);
	if (now > potad_mem_peak)
		potad_mem_peak = now;
}

static void *do_alloc(size_t size, size_t align, bool zero, int kind,
		      struct kmem_cache *cache)
{
	size_t a = align > HDR_SIZE ? align : HDR_SIZE;
	struct hdr *h;
	char *raw;

	if (size > (1UL << 46))
		return NULL;
	if (zero && a == HDR_SIZE) {
		/* calloc: big zeroed areas stay lazily zero. */
		raw = calloc(1, a + size);
	} else {
		if (posix_memalign((void **)&raw, a, a + size))
			raw = NULL;
		if (raw && zero)
			memset(raw + a, 0, size);
	}
	if (!raw)
		return NULL;
	h = (struct hdr *)(raw + a - HDR_SIZE);
	h->magic = HDR_MAGIC;
	h->size = size;
	h->kind = kind;
	h->cache = cache;
	account(size, 1);
	poison(raw, a);
	return raw + a;
}

static struct hdr *get_hdr(const void *p, const char *what)
{
	struct hdr *h = (struct hdr *)((char *)p - HDR_SIZE);

	unpoison(h, HDR_SIZE);
	if (h->magic != HDR_MAGIC) {
		fprintf(stderr, "BUG: %s(%p): not allocated by the shims\n",
			what, p);
		abort();
	}
	return h;
}

static void do_free(const void *p, struct hdr *h)
{
	size_t a = HDR_SIZE;
	char *raw;

	if (h->kind == KIND_SLAB && h->cache->align > HDR_SIZE)
		a = h->cache->align;
	raw = (char *)p - a;
	account(-(long)h->size, -1);
	h->magic = 0;
	unpoison(raw, a);
	free(raw);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	check_gfp(gfp, __func__);
	if (inject_failure())
		return NULL;
	if (!size)
		return ZERO_SIZE_PTR;
	return do_alloc(size, 0, gfp & __GFP_ZERO, KIND_KMALLOC, NULL);
}

void kfree(const void *p)
{
	struct hdr *h;

	if (ZERO_OR_NULL_PTR(p))
		return;
	h = get_hdr(p, __func__);
	if (h->kind == KIND_KVMALLOC)
		potad_shim_warn(__FILE__, __LINE__, __func__,
				"%s() of kvmalloc() memory %p (use kvfree)",
				__func__, p);
	if (h->kind == KIND_SLAB)
		__atomic_fetch_sub(&h->cache->nr_objs, 1, __ATOMIC_SEQ_CST);
	do_free(p, h);
}

void *kvmalloc(size_t size, gfp_t gfp)
{
	check_gfp(gfp, __func__);
	if (!gfpflags_allow_blocking(gfp))
		potad_shim_warn(__FILE__, __LINE__, __func__,
				"%s() with a non-blocking GFP mask can't use vmalloc",
				__func__);
	if (inject_failure())
		return NULL;
	if (!size)
		return ZERO_SIZE_PTR;
	return do_alloc(size, 0, gfp & __GFP_ZERO, KIND_KVMALLOC, NULL);
}

void kvfree(const void *p)
{
	struct hdr *h;

	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	if (ZERO_OR_NULL_PTR(p))
		return;
	h = get_hdr(p, __func__);
	if (h->kind == KIND_SLAB)
		__atomic_fetch_sub(&h->cache->nr_objs, 1, __ATOMIC_SEQ_CST);
	do_free(p, h);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *obj))
{
	struct kmem_cache *s;

	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	if (inject_failure()) {
		if (flags & SLAB_PANIC)
			potad_shim_warn(__FILE__, __LINE__, __func__,
					"%s(%s) failed with SLAB_PANIC: the kernel would panic",
					__func__, name);
		return NULL;
	}
	if (!size) {
		potad_shim_warn(__FILE__, __LINE__, __func__,
				"%s(%s): zero size", __func__, name);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->size = size;
	if (flags & SLAB_HWCACHE_ALIGN && align < 64)
		align = 64;
	if (align < sizeof(void *))
		align = sizeof(void *);
	s->align = align;
	s->flags = flags;
	s->ctor = ctor;
	account(sizeof(*s), 1);
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	if (!s)
		return;
	if (s->nr_objs)
		potad_shim_warn(__FILE__, __LINE__, __func__,
				"%s %s: Slab cache still has %ld objects",
				__func__, s->name, s->nr_objs);
	account(-(long)sizeof(*s), -1);
	free(s);
}

static void *cache_alloc(struct kmem_cache *s, gfp_t gfp, bool zero)
{
	void *p;

	check_gfp(gfp, "kmem_cache_alloc");
	if (inject_failure())
		return NULL;
	p = do_alloc(s->size, s->align, zero || (gfp & __GFP_ZERO), KIND_SLAB,
		     s);
	if (!p)
		return NULL;
	__atomic_fetch_add(&s->nr_objs, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&s->nr_total, 1, __ATOMIC_SEQ_CST);
	if (s->ctor && !zero)
		s->ctor(p);
	return p;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return cache_alloc(s, gfp, false);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return cache_alloc(s, gfp, true);
}

void kmem_cache_free(struct kmem_cache *s, void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = get_hdr(p, __func__);
	if (h->kind != KIND_SLAB || h->cache != s) {
		fprintf(stderr, "BUG: %s(%s, %p): object not from this cache\n",
			__func__, s ? s->name : "NULL", p);
		abort();
	}
	__atomic_fetch_sub(&s->nr_objs, 1, __ATOMIC_SEQ_CST);
	do_free(p, h);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size,
			  void **p)
{
	size_t i;

	check_gfp(gfp, __func__);
	for (i = 0; i < size; i++) {
		/* One gfp check for the lot, as the kernel's. */
		p[i] = cache_alloc(s, gfp & ~__GFP_DIRECT_RECLAIM, false);
		if (!p[i]) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return size;
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++)
		kmem_cache_free(s, p[i]);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->size;
}

/* What SLUB without debugging would give each object: size, aligned. */
unsigned int potad_shim_slab_object_size(struct kmem_cache *s)
{
	return (s->size + s->align - 1) / s->align * s->align;
}

void kmem_cache_set_non_kernel(struct kmem_cache *s, unsigned int val)
{
	s->non_kernel = val;
}

void kmem_cache_set_callback(struct kmem_cache *s, void (*callback)(void *))
{
	s->callback = callback;
}

void kmem_cache_set_private(struct kmem_cache *s, void *private)
{
	s->private = private;
}

unsigned long kmem_cache_get_alloc(struct kmem_cache *s)
{
	return (unsigned long)s->size *
	       __atomic_load_n(&s->nr_objs, __ATOMIC_SEQ_CST);
}

void kmem_cache_zero_nr_tallocated(struct kmem_cache *s)
{
	__atomic_store_n(&s->nr_total, 0, __ATOMIC_SEQ_CST);
}

unsigned int kmem_cache_nr_tallocated(struct kmem_cache *s)
{
	return __atomic_load_n(&s->nr_total, __ATOMIC_SEQ_CST);
}

unsigned int kmem_cache_nr_allocated(struct kmem_cache *s)
{
	return __atomic_load_n(&s->nr_objs, __ATOMIC_SEQ_CST);
}

/* ---- initcalls ---- */

#define MAX_INITCALLS	32

static struct {
	int level;
	int (*fn)(void);
	const char *name;
} initcalls[MAX_INITCALLS];
static int nr_initcalls;

void potad_shim_register_initcall(int level, int (*fn)(void),
				  const char *name)
{
	if (nr_initcalls == MAX_INITCALLS)
		abort();
	initcalls[nr_initcalls].level = level;
	initcalls[nr_initcalls].fn = fn;
	initcalls[nr_initcalls].name = name;
	nr_initcalls++;
}

int potad_shim_run_initcalls(void)
{
	int level, i, ret, bad = 0;

	for (level = 0; level <= 7; level++) {
		for (i = 0; i < nr_initcalls; i++) {
			if (initcalls[i].level != level)
				continue;
			ret = initcalls[i].fn();
			if (ret) {
				fprintf(stderr, "initcall %s returned %d\n",
					initcalls[i].name, ret);
				bad++;
			}
		}
	}
	return bad;
}

/* ---- debugfs ---- */

#define MAX_DEBUGFS	256

struct dentry {
	char name[64];
	struct dentry *parent;
	bool removed;
};

static struct potad_debugfs_file debugfs_files[MAX_DEBUGFS];
static struct dentry *debugfs_dentries[MAX_DEBUGFS];
static int nr_debugfs_files, nr_debugfs_dentries;
static pthread_mutex_t debugfs_lock = PTHREAD_MUTEX_INITIALIZER;

static struct dentry *new_dentry(const char *name, struct dentry *parent)
{
	struct dentry *d = NULL;

	pthread_mutex_lock(&debugfs_lock);
	if (nr_debugfs_dentries < MAX_DEBUGFS) {
		d = calloc(1, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->parent = parent;
		debugfs_dentries[nr_debugfs_dentries++] = d;
	}
	pthread_mutex_unlock(&debugfs_lock);
	return d ? d : ERR_PTR(-ENOMEM);
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	return new_dentry(name, parent);
}

struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	struct dentry *d;

	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	d = new_dentry(name, parent);
	if (IS_ERR(d))
		return d;
	pthread_mutex_lock(&debugfs_lock);
	if (nr_debugfs_files < MAX_DEBUGFS) {
		struct potad_debugfs_file *f = &debugfs_files[nr_debugfs_files++];

		snprintf(f->name, sizeof(f->name), "%s", name);
		f->data = data;
		f->fops = fops;
		f->dentry = d;
		f->parent = parent;
	}
	pthread_mutex_unlock(&debugfs_lock);
	return d;
}

static bool dentry_under(struct dentry *d, struct dentry *top)
{
	for (; d && !IS_ERR(d); d = d->parent)
		if (d == top)
			return true;
	return false;
}

void debugfs_remove(struct dentry *dentry)
{
	int i;

	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	if (IS_ERR_OR_NULL(dentry))
		return;
	pthread_mutex_lock(&debugfs_lock);
	for (i = 0; i < nr_debugfs_dentries; i++)
		if (dentry_under(debugfs_dentries[i], dentry))
			debugfs_dentries[i]->removed = true;
	for (i = 0; i < nr_debugfs_files; i++)
		if (debugfs_files[i].dentry->removed)
			debugfs_files[i].removed = true;
	pthread_mutex_unlock(&debugfs_lock);
}

int potad_shim_debugfs_count(void)
{
	return nr_debugfs_files;
}

struct potad_debugfs_file *potad_shim_debugfs_get(int i)
{
	return i >= 0 && i < nr_debugfs_files ? &debugfs_files[i] : NULL;
}

/* ---- seq_file ---- */

static void seq_write(struct seq_file *m, const void *data, size_t len)
{
	size_t room = m->count < m->size ? m->size - m->count : 0;

	if (len > room) {
		memcpy(m->buf + m->count, data, room);
		m->count = m->size;
		return;
	}
	memcpy(m->buf + m->count, data, len);
	m->count += len;
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	seq_write(m, tmp, min_t(size_t, n, sizeof(tmp) - 1));
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}

void seq_putc(struct seq_file *m, char c)
{
	seq_write(m, &c, 1);
}

int single_open(struct file *file, int (*show)(struct seq_file *m, void *v),
		void *data)
{
	struct seq_file *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->show = show;
	m->private = data;
	file->private_data = m;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	free(file->private_data);
	file->private_data = NULL;
	return 0;
}

/* The whole file at once: the reader's buffer is the seq_file buffer. */
ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	int ret;

	if (*ppos)
		return 0;
	m->buf = buf;
	m->size = size ? size - 1 : 0;
	m->count = 0;
	ret = m->show(m, NULL);
	if (size)
		buf[m->count] = '\0';
	if (ret < 0)
		return ret;
	*ppos = m->count;
	return m->count;
}

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	return offset;
}

static long debugfs_open(struct potad_debugfs_file *f, struct inode *inode,
			 struct file *file)
{
	inode->i_private = f->data;
	file->f_op = f->fops;
	file->private_data = f->data;
	return f->fops->open ? f->fops->open(inode, file) : 0;
}

long potad_shim_debugfs_read(struct potad_debugfs_file *f, char *buf,
			     size_t size)
{
	struct inode inode;
	struct file file;
	loff_t pos = 0;
	long ret;

	if (!f->fops)
		return -ENOENT;
	if (!f->fops->read)
		return -EINVAL;
	ret = debugfs_open(f, &inode, &file);
	if (ret)
		return ret;
	ret = f->fops->read(&file, buf, size, &pos);
	if (f->fops->release)
		f->fops->release(&inode, &file);
	return ret;
}

long potad_shim_debugfs_write(struct potad_debugfs_file *f, const char *buf,
			      size_t len)
{
	struct inode inode;
	struct file file;
	loff_t pos = 0;
	long ret;

	if (!f->fops || !f->fops->write)
		return -EINVAL;
	ret = debugfs_open(f, &inode, &file);
	if (ret)
		return ret;
	ret = f->fops->write(&file, buf, len, &pos);
	if (f->fops->release)
		f->fops->release(&inode, &file);
	return ret;
}

/* ---- RCU ---- */

/* Unregisters a thread registered with liburcu when it exits. */
static pthread_key_t rcu_thread_key;

void potad_shim_rcu_register_thread(void)
{
	if (URCU_TLS(urcu_memb_reader).registered)
		return;
	urcu_memb_register_thread();
	pthread_setspecific(rcu_thread_key, (void *)1);
}

void potad_shim_rcu_unregister_thread(void)
{
	if (!URCU_TLS(urcu_memb_reader).registered)
		return;
	if (rcu_read_lock_held())
		potad_shim_bug(__FILE__, __LINE__, __func__,
			       "thread exits in an RCU read-side critical section");
	urcu_memb_unregister_thread();
	pthread_setspecific(rcu_thread_key, NULL);
}

static void rcu_thread_exit(void *unused)
{
	potad_shim_rcu_unregister_thread();
}

void potad_shim_rcu_suspicious(const char *file, int line, const char *what)
{
	__atomic_fetch_add(&potad_lockdep_errors, 1, __ATOMIC_SEQ_CST);
	potad_shim_warn(file, line, "lockdep",
			"suspicious RCU usage: %s%s", what,
			rcu_read_lock_held() ? "" :
			" (not in an RCU read-side critical section)");
}

bool potad_shim_in_rcu_callback(void)
{
	return in_rcu_callback;
}

/* Reported by might_sleep(); true if waiting for a grace period is safe. */
static bool may_wait_for_rcu(const char *file, int line, const char *what)
{
	potad_shim_might_sleep(file, line, what);
	/* In a reader or a callback, waiting would deadlock: don't. */
	return !rcu_read_lock_held() && !in_rcu_callback;
}

void potad_shim_synchronize_rcu(const char *file, int line, const char *what)
{
	if (may_wait_for_rcu(file, line, what))
		urcu_memb_synchronize_rcu();
}

/*
 * call_rcu(): callbacks are queued (FIFO, through rcu_head.next) for one
 * harness thread, started on first use, which takes the whole queue,
 * waits for a grace period and invokes them in order.  @queued and
 * @invoked count callbacks, for rcu_barrier().  The thread registers
 * with liburcu only if a callback enters a read-side critical section.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;		/* the thread waits for callbacks */
	pthread_cond_t done;		/* rcu_barrier() waits for it */
	struct rcu_head *head, **tail;
	unsigned long queued, invoked;
	bool started, busy, idle;
} rcu_cbs = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.tail = &rcu_cbs.head,
};

static struct rcu_head *rcu_next(struct rcu_head *head)
{
	return (struct rcu_head *)head->next.next;
}

/* kfree_rcu()/kvfree_rcu() encode the offset of the rcu_head as @func. */
static void rcu_invoke(struct rcu_head *head)
{
	unsigned long offset = (unsigned long)head->func;
	char *p = (char *)head - offset;
	struct hdr *h;

	if (offset >= 4096) {
		head->func(head);
		return;
	}
	h = get_hdr(p, "kvfree_rcu");
	if (h->kind == KIND_SLAB)
		__atomic_fetch_sub(&h->cache->nr_objs, 1, __ATOMIC_SEQ_CST);
	do_free(p, h);
}

static void *rcu_callback_thread(void *unused)
{
	struct rcu_head *list, *next;
	unsigned long n;

	pthread_mutex_lock(&rcu_cbs.lock);
	for (;;) {
		while (!rcu_cbs.head) {
			rcu_cbs.idle = true;
			pthread_cond_wait(&rcu_cbs.more, &rcu_cbs.lock);
			rcu_cbs.idle = false;
		}
		list = rcu_cbs.head;
		rcu_cbs.head = NULL;
		rcu_cbs.tail = &rcu_cbs.head;
		rcu_cbs.busy = true;
		pthread_mutex_unlock(&rcu_cbs.lock);

		urcu_memb_synchronize_rcu();
		in_rcu_callback = true;
		for (n = 0; list; list = next, n++) {
			next = rcu_next(list);
			rcu_invoke(list);
		}
		in_rcu_callback = false;

		pthread_mutex_lock(&rcu_cbs.lock);
		rcu_cbs.invoked += n;
		rcu_cbs.busy = false;
		pthread_cond_broadcast(&rcu_cbs.done);
	}
	return NULL;
}

/* Under rcu_cbs.lock. */
static void rcu_start_thread(void)
{
	pthread_attr_t attr;
	pthread_t thread;

	if (rcu_cbs.started)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, rcu_callback_thread, NULL))
		potad_shim_bug(__FILE__, __LINE__, __func__,
			       "cannot start the RCU callback thread");
	pthread_attr_destroy(&attr);
	rcu_cbs.started = true;
}

void potad_shim_call_rcu(struct rcu_head *head,
			 void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next.next = NULL;
	pthread_mutex_lock(&rcu_cbs.lock);
	*rcu_cbs.tail = head;
	rcu_cbs.tail = (struct rcu_head **)&head->next.next;
	rcu_cbs.queued++;
	rcu_start_thread();
	if (rcu_cbs.idle)
		pthread_cond_signal(&rcu_cbs.more);
	pthread_mutex_unlock(&rcu_cbs.lock);
}

void potad_shim_kvfree_rcu(void *ptr, unsigned long offset)
{
	if (!ptr)
		return;
	if (offset >= 4096)
		potad_shim_bug(__FILE__, __LINE__, __func__,
			       "rcu_head beyond the first 4096 bytes");
	potad_shim_call_rcu((struct rcu_head *)((char *)ptr + offset),
			    (rcu_callback_t)offset);
}

void potad_shim_rcu_barrier(const char *file, int line)
{
	unsigned long target;

	if (!may_wait_for_rcu(file, line, "rcu_barrier()"))
		return;
	pthread_mutex_lock(&rcu_cbs.lock);
	target = rcu_cbs.queued;
	while ((long)(rcu_cbs.invoked - target) < 0) {
		rcu_start_thread();
		pthread_cond_wait(&rcu_cbs.done, &rcu_cbs.lock);
	}
	pthread_mutex_unlock(&rcu_cbs.lock);
}

long potad_shim_rcu_pending(void)
{
	long n;

	pthread_mutex_lock(&rcu_cbs.lock);
	n = rcu_cbs.queued - rcu_cbs.invoked;
	pthread_mutex_unlock(&rcu_cbs.lock);
	return n;
}

/*
 * fork(): the child has no callback thread.  Fork when the thread is
 * between batches (so no batch is lost between the queue and @invoked)
 * and let the child start its own when it needs one.
 */
static void rcu_before_fork(void)
{
	pthread_mutex_lock(&rcu_cbs.lock);
	while (rcu_cbs.busy)
		pthread_cond_wait(&rcu_cbs.done, &rcu_cbs.lock);
}

static void rcu_after_fork_parent(void)
{
	pthread_mutex_unlock(&rcu_cbs.lock);
}

static void rcu_after_fork_child(void)
{
	pthread_mutex_init(&rcu_cbs.lock, NULL);
	pthread_cond_init(&rcu_cbs.more, NULL);
	pthread_cond_init(&rcu_cbs.done, NULL);
	rcu_cbs.started = false;
	rcu_cbs.idle = false;
}

/* ---- work items ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;		/* a work function returned */
	struct list_head queue;
	int nr_queued;
} works = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.queue = LIST_HEAD_INIT(works.queue),
};

/* The work item each thread is running, if any. */
#define MAX_WORK_RUNNERS	64
static struct {
	struct work_struct *work;
	pthread_t thread;
} work_running[MAX_WORK_RUNNERS];

/* Under works.lock: who runs @work (NULL: nobody). */
static pthread_t *work_runner(struct work_struct *work)
{
	int i;

	for (i = 0; i < MAX_WORK_RUNNERS; i++)
		if (work_running[i].work == work)
			return &work_running[i].thread;
	return NULL;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued = false;

	pthread_mutex_lock(&works.lock);
	if (!(work->data & 1)) {
		__atomic_store_n(&work->data, 1, __ATOMIC_RELEASE);
		list_add_tail(&work->entry, &works.queue);
		works.nr_queued++;
		queued = true;
	}
	pthread_mutex_unlock(&works.lock);
	return queued;
}

/* Under works.lock: take @work off the queue; false if it was not on it. */
static bool work_dequeue(struct work_struct *work)
{
	if (!(work->data & 1))
		return false;
	list_del_init(&work->entry);
	works.nr_queued--;
	__atomic_store_n(&work->data, 0, __ATOMIC_RELEASE);
	return true;
}

/* Under works.lock, which it drops while @work runs. */
static void work_run(struct work_struct *work)
{
	int i;

	for (i = 0; i < MAX_WORK_RUNNERS && work_running[i].work; i++)
		;
	if (i == MAX_WORK_RUNNERS)
		potad_shim_bug(__FILE__, __LINE__, __func__,
			       "too many threads running work");
	work_running[i].work = work;
	work_running[i].thread = pthread_self();
	pthread_mutex_unlock(&works.lock);
	work->func(work);
	pthread_mutex_lock(&works.lock);
	work_running[i].work = NULL;
	pthread_cond_broadcast(&works.done);
}

/* Under works.lock: wait until no other thread runs @work. */
static bool work_wait(struct work_struct *work, const char *what,
		      const char *file, int line)
{
	bool waited = false;
	pthread_t *runner;

	while ((runner = work_runner(work))) {
		if (pthread_equal(*runner, pthread_self())) {
			potad_shim_warn(file, line, what,
					"%s() of a work item from inside itself: deadlock",
					what);
			break;
		}
		pthread_cond_wait(&works.done, &works.lock);
		waited = true;
	}
	return waited;
}

bool potad_shim_flush_work(struct work_struct *work, const char *file,
			   int line)
{
	bool ret;

	potad_shim_might_sleep(file, line, "flush_work()");
	pthread_mutex_lock(&works.lock);
	ret = work_wait(work, "flush_work", file, line);
	if (work_dequeue(work)) {
		work_run(work);
		ret = true;
	}
	pthread_mutex_unlock(&works.lock);
	return ret;
}

bool potad_shim_cancel_work(struct work_struct *work, bool sync,
			    const char *file, int line)
{
	bool ret;

	if (sync)
		potad_shim_might_sleep(file, line, "cancel_work_sync()");
	pthread_mutex_lock(&works.lock);
	ret = work_dequeue(work);
	if (sync)
		work_wait(work, "cancel_work_sync", file, line);
	pthread_mutex_unlock(&works.lock);
	return ret;
}

int potad_shim_run_work(void)
{
	struct work_struct *work;
	int n = 0;

	potad_shim_might_sleep(__FILE__, __LINE__, __func__);
	pthread_mutex_lock(&works.lock);
	while (!list_empty(&works.queue)) {
		work = list_first_entry(&works.queue, struct work_struct,
					entry);
		/* Not concurrently with itself; the queue may change. */
		if (work_wait(work, __func__, __FILE__, __LINE__))
			continue;
		work_dequeue(work);
		work_run(work);
		n++;
	}
	pthread_mutex_unlock(&works.lock);
	return n;
}

int potad_shim_work_pending(void)
{
	int n;

	pthread_mutex_lock(&works.lock);
	n = works.nr_queued;
	pthread_mutex_unlock(&works.lock);
	return n;
}

/* ---- startup ---- */

/*
 * Before main(): the main thread is an RCU reader like any other, and
 * the RCU callback thread survives fork() (potad_test forks every test).
 */
static void __attribute__((constructor)) potad_shim_constructor(void)
{
	if (pthread_key_create(&rcu_thread_key, rcu_thread_exit))
		abort();
	potad_shim_rcu_register_thread();
	pthread_atfork(rcu_before_fork, rcu_after_fork_parent,
		       rcu_after_fork_child);
}

/*
 * mm/potad_bench.c times the kernel's own xarray and pfn_to_page(); the
 * harness has its native benchmark in potad_bench.c instead.
 */
void potad_bench_debugfs(struct dentry *dir)
{
}

/*
 * mm/potad_zone.c needs struct zone and the buddy allocator.  Instead, a
 * test may set potad_shim_zone to a %POTAD_ZONE instance: lookups that
 * miss the directory then go to it, as they go to the page's zone in the
 * kernel.
 */
struct potad *potad_shim_zone;

struct potad *potad_zone_of(phys_addr_t phys)
{
	return READ_ONCE(potad_shim_zone);
}

struct potad *potad_zone_overlapping(unsigned long pfn, unsigned long nr)
{
	struct potad *zone = READ_ONCE(potad_shim_zone);

	return zone && potad_overlaps(zone, pfn, nr) ? zone : NULL;
}

void potad_zone_debugfs(struct dentry *dir)
{
}

void potad_gup_debugfs(struct dentry *dir)
{
}

/* No chunks or init_on_free here: the last put of a freed block only. */
void potad_zone_put_dead(struct potad_desc *desc)
{
	potad_desc_put_locked(desc);
}

/* No zones, so no sub-page chunks: never matched, never descended into. */
struct potad_type potad_subpage_type = { .name = "potad_subpage" };

struct potad *potad_zone_sub(struct potad *pa)
{
	return NULL;
}

/* The zone API of mm/potad_debug.c's zalloc and zfree: no zones here. */
struct potad_desc *potad_alloc_node(const struct potad_type *type,
				    unsigned int shift, gfp_t gfp, int nid,
				    void *owner)
{
	return ERR_PTR(-ENODEV);
}

int potad_free_mem(struct potad_desc *desc)
{
	return -EINVAL;
}
