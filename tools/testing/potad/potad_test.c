// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace test harness: mm/potad.c compiled as is against the
 * kernel's tools/include and the shims in include/, driven by unit tests
 * of every API function and error path, a randomised differential test
 * against a trivially correct model, a 1.5 TiB space and a small
 * multithreaded test.
 *
 *	./potad_test			run everything
 *	./potad_test NAME...		run only the named tests
 *	./potad_test -l			list the tests
 *
 * Output is TAP: "ok N - name" / "not ok N - name", then "1..N" and
 * "# P passed, F failed".  The exit status is non-zero if a test failed.
 *
 * Environment:
 *	POTAD_SEED	seed of the differential test (default: from the time)
 *	POTAD_OPS	operations of the differential test (default 1000000)
 *	POTAD_CHECK_EVERY  full check period of the differential (default 1000)
 *	POTAD_QUIET	do not print the WARN: lines of expected warnings
 *	POTAD_PRINTK	printk level shown (0-3, default 1: errors/warnings)
 *	POTAD_NOFORK=1	run the tests in this process
 *
 * Each test runs in a child process (POTAD_NOFORK=1: all in one), so that
 * a crash or a sanitizer report fails that test only.
 *
 * Every test checks, besides its own assertions, that it leaked no
 * allocation (after an rcu_barrier(): RCU callbacks free memory), that no
 * warning fired that it did not expect, that no locking rule was broken
 * (lockdep_assert_held(), sleeping under the spinlock or in an RCU
 * read-side critical section, suspicious RCU usage) and that it left no
 * work item queued.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <linux/kernel.h>
#include <linux/maple_tree.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <potad_shim.h>

#include "../../../lib/radix-tree.h"	/* radix_tree_node_cachep */
#include "common.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

/* ------------------------------------------------------------------ */
/* Test framework                                                      */
/* ------------------------------------------------------------------ */

static int cur_fail;		/* failed checks in the current test */
static long cur_expected_warns;	/* warnings the current test expects */
static bool cur_skip_leak_check;	/* after a failure left things behind */
static bool cur_ignore_warns;		/* after a failure, warnings are moot */
static jmp_buf cur_abort;	/* where a failed REQUIRE() ends the test */

/* True if ASan knows @p to be freed memory (always false without ASan). */
static bool freed_memory(const void *p)
{
#if defined(__SANITIZE_ADDRESS__)
	return __asan_address_is_poisoned(p);
#else
	return false;
#endif
}

/* A TAP diagnostic line: @fmt starts with "#". */
__printf(1, 2)
static void tap_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

__printf(3, 4)
static bool check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	cur_fail++;
	if (cur_fail > 20)
		return false;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

static bool check_eq(long long a, long long b, const char *sa,
		     const char *sb, const char *file, int line)
{
	if (a == b)
		return true;
	return check_fail(file, line, "%s == %s: %lld (%#llx) != %lld (%#llx)",
			  sa, sb, a, (unsigned long long)a, b,
			  (unsigned long long)b);
}

/* Like a KUnit assertion: when @ok is false, the test ends here. */
static void require(bool ok)
{
	if (!ok)
		longjmp(cur_abort, 1);
}

#define CHECK(cond)							\
	((cond) ? true : check_fail(__FILE__, __LINE__, "check failed: %s", #cond))
#define CHECK_EQ(a, b)							\
	check_eq((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define REQUIRE(cond)		require(CHECK(cond))
#define REQUIRE_EQ(a, b)	require(CHECK_EQ(a, b))

static void expect_warns(long n)
{
	cur_expected_warns += n;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static long result_of_int(long r)
{
	return r;
}

/* An error code, or 1 for a valid pointer (and NULL is 0: also wrong). */
static long result_of_ptr(const void *p)
{
	return IS_ERR(p) ? PTR_ERR(p) : p ? 1 : 0;
}

/* The result of a call returning an int or a struct potad_desc pointer. */
#define RESULT(x)							\
	__builtin_choose_expr(__builtin_types_compatible_p(typeof(x),	\
				struct potad_desc *),			\
			      result_of_ptr, result_of_int)(x)

static const char *errname(long e)
{
	static char buf[32];

	switch (e) {
	case 0: return "0";
	case 1: return "a descriptor";
	case -EINVAL: return "-EINVAL";
	case -ENOMEM: return "-ENOMEM";
	case -ENOSPC: return "-ENOSPC";
	case -EBUSY: return "-EBUSY";
	case -EEXIST: return "-EEXIST";
	case -EALREADY: return "-EALREADY";
	case -ENOENT: return "-ENOENT";
	}
	snprintf(buf, sizeof(buf), "%ld", e);
	return buf;
}

static void get_stats(struct potad *pa, struct potad_stats *st)
{
	memset(st, 0, sizeof(*st));
	potad_get_stats(pa, st);
}

/* Where two stats snapshots are compared, for the failure messages. */
struct stats_cmp {
	const char *file;
	int line;
	const char *what;
	bool ok;
};

static void stats_cmp_field(struct stats_cmp *c, const char *field,
			    unsigned long a, unsigned long b)
{
	if (a != b)
		c->ok = check_fail(c->file, c->line, "%s: stats.%s %lu -> %lu",
				   c->what, field, a, b);
}

/* Compare two snapshots field by field; report every difference. */
static bool stats_equal(const struct potad_stats *a,
			const struct potad_stats *b, const char *file,
			int line, const char *what)
{
	struct stats_cmp c = {
		.file = file, .line = line, .what = what, .ok = true,
	};
	int k;

	stats_cmp_field(&c, "units_total", a->units_total, b->units_total);
	stats_cmp_field(&c, "units_free", a->units_free, b->units_free);
	stats_cmp_field(&c, "units_allocated", a->units_allocated,
			b->units_allocated);
	stats_cmp_field(&c, "units_retired", a->units_retired,
			b->units_retired);
	stats_cmp_field(&c, "nr_allocs", a->nr_allocs, b->nr_allocs);
	stats_cmp_field(&c, "nr_frees", a->nr_frees, b->nr_frees);
	stats_cmp_field(&c, "alloc_failures", a->alloc_failures,
			b->alloc_failures);
	stats_cmp_field(&c, "index_holes", a->index_holes, b->index_holes);
	stats_cmp_field(&c, "index_chunks", a->index_chunks, b->index_chunks);
	stats_cmp_field(&c, "units_deferred", a->units_deferred,
			b->units_deferred);
	stats_cmp_field(&c, "max_order", a->max_order, b->max_order);
	for (k = 0; k < POTAD_NR_ORDERS; k++) {
		if (a->nr_free[k] != b->nr_free[k])
			c.ok = check_fail(file, line,
					  "%s: stats.nr_free[%d] %lu -> %lu",
					  what, k, a->nr_free[k],
					  b->nr_free[k]);
	}
	return c.ok;
}

/* The state an EXPECT_*() call must leave unchanged. */
struct expect_ctx {
	struct potad *pa;
	struct potad_stats stats;
	long warns;
	long mem_bytes;
	long mem_allocs;
};

static void expect_begin(struct expect_ctx *x, struct potad *pa)
{
	/* Earlier frees' RCU callbacks must not free memory meanwhile. */
	if (pa->flags & POTAD_MEMORY)
		rcu_barrier();
	x->pa = pa;
	get_stats(pa, &x->stats);
	x->warns = potad_warn_count;
	x->mem_bytes = potad_mem_bytes;
	x->mem_allocs = potad_mem_allocs;
}

static bool expect_fail_end(struct expect_ctx *x, long ret, long err,
			    long nwarn, const char *call, const char *file,
			    int line)
{
	struct potad_stats after;
	bool ok = true;

	expect_warns(nwarn);
	if (ret != err)
		ok = check_fail(file, line, "%s returned %s, expected %s", call,
				errname(ret), errname(err));
	if (potad_warn_count - x->warns != nwarn)
		ok = check_fail(file, line, "%s: %ld warnings, expected %ld",
				call, potad_warn_count - x->warns, nwarn);
	if (potad_mem_bytes != x->mem_bytes ||
	    potad_mem_allocs != x->mem_allocs)
		ok = check_fail(file, line,
				"%s: memory changed by %ld bytes, %ld allocations",
				call, potad_mem_bytes - x->mem_bytes,
				potad_mem_allocs - x->mem_allocs);
	get_stats(x->pa, &after);
	if (!stats_equal(&x->stats, &after, file, line, call))
		ok = false;
	else if (memcmp(&x->stats, &after, sizeof(after)))
		ok = check_fail(file, line, "%s: stats snapshot bytes differ",
				call);
	return ok;
}

/*
 * Run @call, which must fail with @err and @nwarn warnings and change
 * nothing: stats of @pa identical, no memory allocated or freed.
 */
#define EXPECT_FAIL(pa, call, err, nwarn) ({				\
	struct expect_ctx __x;						\
	expect_begin(&__x, pa);						\
	expect_fail_end(&__x, RESULT(call), err, nwarn, #call,		\
			__FILE__, __LINE__);				\
})

static bool expect_nospace_end(struct expect_ctx *x, long ret, long err,
			       const char *call, const char *file, int line)
{
	struct potad_stats after;
	bool ok = true;

	if (ret != err)
		ok = check_fail(file, line, "%s returned %s, expected %s", call,
				errname(ret), errname(err));
	if (potad_warn_count != x->warns)
		ok = check_fail(file, line, "%s warned", call);
	if (potad_mem_allocs != x->mem_allocs)
		ok = check_fail(file, line, "%s: memory changed", call);
	get_stats(x->pa, &after);
	if (err == -ENOSPC)
		x->stats.alloc_failures++;
	if (!stats_equal(&x->stats, &after, file, line, call))
		ok = false;
	return ok;
}

/*
 * Run @call, which must fail with -ENOSPC (allocation anywhere) or -EBUSY
 * (allocation at an address) with no warning and change nothing but, for
 * -ENOSPC only, stats.alloc_failures (by 1).
 */
#define EXPECT_NOSPACE(pa, call, err) ({				\
	struct expect_ctx __x;						\
	expect_begin(&__x, pa);						\
	expect_nospace_end(&__x, RESULT(call), err, #call, __FILE__,	\
			   __LINE__);					\
})

/* Run @call, which must return 0 with no warning. */
#define EXPECT_OK(call) ({						\
	long __w0 = potad_warn_count, __r = RESULT(call);		\
	bool __ok = true;						\
	if (__r != 0)							\
		__ok = check_fail(__FILE__, __LINE__, "%s returned %s", #call, \
				  errname(__r));			\
	if (potad_warn_count != __w0)					\
		__ok = check_fail(__FILE__, __LINE__, "%s warned", #call); \
	__ok;								\
})

/* ------------------------------------------------------------------ */
/* Descriptor types used by the tests                                 */
/* ------------------------------------------------------------------ */

/* A 360-byte descriptor with struct potad_desc in the middle. */
struct big_desc {
	u64 head[5];
	struct potad_desc d;
	u8 tail[360 - 40 - sizeof(struct potad_desc)];
};

static_assert(sizeof(struct big_desc) == 360, "big_desc is 360 bytes");

/* A caller-provided descriptor. */
struct cm_desc {
	u64 canary1;
	struct potad_desc d;
	u64 canary2;
	int released;		/* release op calls */
	int release_bad_state;	/* release saw state != FREE */
	int release_locked;	/* release ran under a spinlock */
	struct potad_desc at_release;	/* desc as release saw it */
};

#define CANARY	0xc0ffee11deadbeefULL

static void cm_release(struct potad_desc *d)
{
	struct cm_desc *c = container_of(d, struct cm_desc, d);

	c->released++;
	/* The memory is the caller's again: it may allocate into it. */
	if (d->state != POTAD_DESC_FREE)
		c->release_bad_state++;
	if (potad_shim_spin_depth())
		c->release_locked++;
	c->at_release = *d;
}

static const struct potad_type_ops cm_ops = {
	.release = cm_release,
};

static struct potad_type t_big, t_cm, t_cm_noops;

static void types_setup(void)
{
	t_big = (struct potad_type){
		.name = "test_big",
		.size = sizeof(struct big_desc),
		.offset = offsetof(struct big_desc, d),
	};
	t_cm = (struct potad_type){
		.name = "test_cm",
		.size = sizeof(struct cm_desc),
		.offset = offsetof(struct cm_desc, d),
		.flags = POTAD_TYPE_CALLER_MEM,
		.ops = &cm_ops,
	};
	t_cm_noops = (struct potad_type){
		.name = "test_cm_noops",
		.size = sizeof(struct potad_desc),
		.flags = POTAD_TYPE_CALLER_MEM,
	};
	CHECK_EQ(potad_type_register(&t_big), 0);
	CHECK_EQ(potad_type_register(&t_cm), 0);
	CHECK_EQ(potad_type_register(&t_cm_noops), 0);
}

static void types_teardown(void)
{
	potad_type_unregister(&t_big);
	potad_type_unregister(&t_cm);
	potad_type_unregister(&t_cm_noops);
}

static struct cm_desc *cm_new(void)
{
	struct cm_desc *c = calloc(1, sizeof(*c));

	c->canary1 = CANARY;
	c->canary2 = ~CANARY;
	return c;
}

static bool cm_canaries_ok(struct cm_desc *c)
{
	return c->canary1 == CANARY && c->canary2 == ~CANARY;
}

static struct potad_desc *alloc_big(struct potad *pa, unsigned int order)
{
	return potad_alloc(pa, &t_big, order, NULL, GFP_KERNEL);
}

/* ------------------------------------------------------------------ */
/* Expected free space                                                 */
/* ------------------------------------------------------------------ */

/*
 * The canonical buddy decomposition of a set of free units: the maximal
 * naturally aligned blocks (order <= max_order) all of whose units are
 * free.  @isfree[i] is unit base + i.  Greedy from the left: the largest
 * aligned all-free block starting at each position.  Calls @cb for each.
 */
static unsigned long canon_decompose(const u8 *isfree, unsigned long base,
				     unsigned long span,
				     unsigned int max_order,
				     void (*cb)(unsigned long start,
						unsigned int order, void *arg),
				     void *arg, unsigned long *nr_free)
{
	unsigned long *prefix = malloc((span + 1) * sizeof(*prefix));
	unsigned long i, nblocks = 0;

	prefix[0] = 0;
	for (i = 0; i < span; i++)
		prefix[i + 1] = prefix[i] + !!isfree[i];
	if (nr_free)
		memset(nr_free, 0, POTAD_NR_ORDERS * sizeof(*nr_free));
	i = 0;
	while (i < span) {
		int k, best = -1;

		for (k = 0; k <= (int)max_order; k++) {
			unsigned long n = 1UL << k;

			if (((base + i) & (n - 1)) || i + n > span)
				break;
			if (prefix[i + n] - prefix[i] != n)
				break;
			best = k;
		}
		if (best < 0) {
			i++;
			continue;
		}
		if (cb)
			cb(base + i, best, arg);
		if (nr_free)
			nr_free[best]++;
		nblocks++;
		i += 1UL << best;
	}
	free(prefix);
	return nblocks;
}

/* Blocks probed (allocated and freed) by check_free_set() so far. */
static unsigned long probe_frees;

struct probe_ctx {
	struct potad *pa;
	struct cm_desc *descs;
	unsigned long n, max;
	bool ok;
	const char *file;
	int line;
};

static void probe_cb(unsigned long start, unsigned int order, void *arg)
{
	struct probe_ctx *p = arg;
	struct cm_desc *c;
	int ret;

	if (p->n == p->max) {
		p->ok = check_fail(p->file, p->line, "probe: too many blocks");
		return;
	}
	c = &p->descs[p->n];
	c->canary1 = CANARY;
	c->canary2 = ~CANARY;
	ret = potad_alloc_desc(p->pa, &c->d, &t_cm, start, order, NULL, GFP_KERNEL);
	if (ret) {
		p->ok = check_fail(p->file, p->line,
				   "probe: free block %#lx order %u expected, alloc_desc there: %s",
				   start, order, errname(ret));
		return;
	}
	p->n++;
}

/*
 * Check that the free space of @pa is exactly the canonical decomposition
 * of @isfree: nr_free[] and units_free match, and allocating every expected
 * block at its address succeeds and leaves nothing free.  Everything is
 * freed again; nr_allocs and nr_frees grow by the number of blocks
 * (returned in *probes).
 */
static bool check_free_set(struct potad *pa, const u8 *isfree,
			   unsigned long *probes, const char *file, int line)
{
	struct potad_stats st, st2;
	unsigned long nr_free[POTAD_NR_ORDERS], units = 0, i, n;
	struct probe_ctx p = {
		.pa = pa, .ok = true, .file = file, .line = line,
	};
	bool ok = true;
	int k;

	for (i = 0; i < pa->span; i++)
		units += !!isfree[i];
	n = canon_decompose(isfree, pa->base, pa->span, pa->max_order, NULL,
			    NULL, nr_free);
	get_stats(pa, &st);
	if (st.units_free != units)
		ok = check_fail(file, line, "units_free %lu, expected %lu",
				st.units_free, units);
	for (k = 0; k < POTAD_NR_ORDERS; k++)
		if (st.nr_free[k] != nr_free[k])
			ok = check_fail(file, line, "nr_free[%d] %lu, expected %lu",
					k, st.nr_free[k], nr_free[k]);
	if (probes)
		*probes = 0;
	if (!ok)
		return false;

	p.max = n;
	p.descs = calloc(n ? n : 1, sizeof(*p.descs));
	canon_decompose(isfree, pa->base, pa->span, pa->max_order, probe_cb, &p,
			NULL);
	get_stats(pa, &st2);
	if (p.ok && st2.units_free)
		p.ok = check_fail(file, line,
				  "probe: %lu units still free after taking every expected block",
				  st2.units_free);
	for (i = p.n; i-- > 0; ) {
		int ret = potad_free(pa, &p.descs[i].d);

		if (ret)
			p.ok = check_fail(file, line, "probe: free: %s",
					  errname(ret));
	}
	/* Memory spaces release descriptors after a grace period. */
	if (pa->flags & POTAD_MEMORY)
		rcu_barrier();
	/* Small blocks freed into per-cpu caches: merged back to compare. */
	potad_pcp_drain(pa);
	for (i = p.n; i-- > 0; ) {
		if (p.descs[i].released != 1)
			p.ok = check_fail(file, line,
					  "probe: release op called %d times",
					  p.descs[i].released);
	}
	get_stats(pa, &st2);
	st.nr_allocs += p.n;
	st.nr_frees += p.n;
	/* Index arrays the probe's blocks needed stay with their chunks. */
	if (st2.index_chunks >= st.index_chunks)
		st.index_chunks = st2.index_chunks;
	if (!stats_equal(&st, &st2, file, line, "probe round trip"))
		p.ok = false;
	if (probes)
		*probes = p.n;
	probe_frees += p.n;
	free(p.descs);
	return p.ok;
}

/*
 * Check the free space against a spec of absolute inclusive ranges,
 * "a-b c d-e" (a single number is one unit).
 */
static bool expect_free_spec(struct potad *pa, const char *spec,
			     const char *file, int line)
{
	u8 *isfree = calloc(pa->span, 1);
	const char *s = spec;
	bool ok;

	while (*s) {
		char *end;
		unsigned long a, b;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		a = strtoul(s, &end, 0);
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 0);
		s = end;
		for (;; a++) {		/* b may be ULONG_MAX */
			isfree[a - pa->base] = 1;
			if (a == b)
				break;
		}
	}
	ok = check_free_set(pa, isfree, NULL, file, line);
	free(isfree);
	return ok;
}

#define EXPECT_FREE(pa, spec) expect_free_spec(pa, spec, __FILE__, __LINE__)

/* units_total == units_free + units_allocated + units_retired */
static bool check_invariant(struct potad *pa, const char *file, int line)
{
	struct potad_stats st;
	unsigned long sum = 0;
	int k;

	get_stats(pa, &st);
	for (k = 0; k < POTAD_NR_ORDERS; k++)
		sum += st.nr_free[k] << k;
	if (st.units_total != st.units_free + st.units_allocated +
			      st.units_retired)
		return check_fail(file, line,
				  "units_total %lu != free %lu + allocated %lu + retired %lu",
				  st.units_total, st.units_free,
				  st.units_allocated, st.units_retired);
	if (sum != st.units_free)
		return check_fail(file, line,
				  "sum(nr_free[k] << k) %lu != units_free %lu",
				  sum, st.units_free);
	return true;
}

#define CHECK_INVARIANT(pa) check_invariant(pa, __FILE__, __LINE__)

/* A fresh abstract instance [base, base + span) with everything added. */
static bool setup_space(struct potad *pa, unsigned long base,
			unsigned long span, unsigned int max_order)
{
	if (!CHECK_EQ(potad_init(pa, "test", POTAD_ABSTRACT, 0, base, span,
				 max_order), 0))
		return false;
	return CHECK_EQ(potad_add_range(pa, base, span), 0);
}

/* ------------------------------------------------------------------ */
/* potad_init / potad_destroy                                         */
/* ------------------------------------------------------------------ */

static void test_init_abstract(void)
{
	struct potad pa;
	struct potad_stats st;
	int k;

	REQUIRE_EQ(potad_init(&pa, "abstract", POTAD_ABSTRACT, 0, 0, 1024, 20),
		   0);
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 10);
	CHECK_EQ(st.units_total, 0);
	CHECK_EQ(st.units_free, 0);
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.units_retired, 0);
	CHECK_EQ(st.nr_allocs, 0);
	CHECK_EQ(st.nr_frees, 0);
	CHECK_EQ(st.alloc_failures, 0);
	for (k = 0; k < POTAD_NR_ORDERS; k++)
		CHECK_EQ(st.nr_free[k], 0);
	potad_destroy(&pa);
}

static void test_init_memory_512(void)
{
	struct potad pa;
	struct potad_stats st;

	/* 1 GiB of 512-byte units starting at 4 GiB. */
	REQUIRE_EQ(potad_init(&pa, "mem512", POTAD_MEMORY, 9,
			      (4ULL << 30) >> 9, (1UL << 30) >> 9, 63), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 21);
	potad_destroy(&pa);
}

static void test_init_max_order_clamp(void)
{
	struct potad pa;
	struct potad_stats st;

	/* ilog2(3000) = 11. */
	REQUIRE_EQ(potad_init(&pa, "clamp", POTAD_ABSTRACT, 0, 2048, 3000, 30),
		   0);
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 11);
	potad_destroy(&pa);
	/* A smaller max_order is kept. */
	REQUIRE_EQ(potad_init(&pa, "clamp", POTAD_ABSTRACT, 0, 64, 3000, 6),
		   0);
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 6);
	potad_destroy(&pa);
	/* span 1: max_order 0, any base. */
	REQUIRE_EQ(potad_init(&pa, "one", POTAD_ABSTRACT, 0, 12345, 1, 5), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 0);
	potad_destroy(&pa);
}

static void test_init_errors(void)
{
	struct potad pa;
	long m0 = potad_mem_allocs;

#define INIT_FAILS(flags, shift, base, span, maxo) do {			\
	long __w = potad_warn_count;					\
	CHECK_EQ(potad_init(&pa, "bad", flags, shift, base, span, maxo),\
		 -EINVAL);						\
	expect_warns(1);						\
	CHECK_EQ(potad_warn_count - __w, 1);				\
} while (0)
	INIT_FAILS(POTAD_ABSTRACT, 0, 0, 0, 10);		/* span 0 */
	INIT_FAILS(0, 0, 0, 1024, 10);				/* no flag */
	INIT_FAILS(POTAD_MEMORY | POTAD_ABSTRACT, 12, 0, 1024, 10);
	INIT_FAILS(0x4, 0, 0, 1024, 10);			/* unknown */
	INIT_FAILS(POTAD_MEMORY, 8, 0, 1024, 10);		/* unit < 512 */
	INIT_FAILS(POTAD_MEMORY, 0, 0, 1024, 10);
	INIT_FAILS(POTAD_MEMORY, 64, 0, 1024, 10);		/* unit >= 2^64 */
	INIT_FAILS(POTAD_ABSTRACT, 0, 100, 1024, 10);		/* misaligned */
	INIT_FAILS(POTAD_ABSTRACT, 0, 512, 1024, 20);		/* clamp to 10 */
	INIT_FAILS(POTAD_ABSTRACT, 0, ULONG_MAX - 10, 100, 0);	/* wraps */
	/* The last unit is POTAD_ANY; beyond the last phys_addr_t. */
	INIT_FAILS(POTAD_ABSTRACT, 0, ULONG_MAX - 4095, 4096, 12);
	INIT_FAILS(POTAD_MEMORY, 12, (1UL << 52) - 2048, 4096, 11);
	INIT_FAILS(POTAD_MEMORY, 9, 1UL << 55, 1, 0);
#undef INIT_FAILS
	CHECK_EQ(potad_mem_allocs, m0);
	/* Base aligned to the clamped order is fine. */
	REQUIRE_EQ(potad_init(&pa, "ok", POTAD_ABSTRACT, 0, 512, 1024, 9), 0);
	potad_destroy(&pa);
}

static void test_init_enomem(void)
{
	struct potad pa;
	long i;

	/* Fail each allocation potad_init() makes in turn. */
	for (i = 0; i < 16; i++) {
		long m0 = potad_mem_allocs, inj0 = potad_injected_failures;
		long w0 = potad_warn_count;
		int ret;

		potad_fail_alloc_after = i;
		ret = potad_init(&pa, "enomem", POTAD_ABSTRACT, 0, 0, 4096, 12);
		potad_fail_alloc_after = -1;
		if (potad_injected_failures == inj0) {
			CHECK_EQ(ret, 0);
			CHECK(i > 0);
			potad_destroy(&pa);
			break;
		}
		CHECK_EQ(ret, -ENOMEM);
		CHECK_EQ(potad_mem_allocs, m0);
		CHECK_EQ(potad_warn_count, w0);
	}
	CHECK(i < 16);
}

static void test_after_init_all_absent(void)
{
	struct potad pa;
	struct cm_desc *c = cm_new();

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "absent", POTAD_ABSTRACT, 0, 0, 1024, 10),
		   0);
	EXPECT_NOSPACE(&pa, alloc_big(&pa, 0), -ENOSPC);
	/* In the space but in no range: a race with withdraw, not warned. */
	EXPECT_FAIL(&pa, potad_retire(&pa, 5, GFP_KERNEL, NULL), -ENOENT, 0);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 0, 1), -EINVAL, 1);
	/* alloc_at of absent units: not free. */
	EXPECT_NOSPACE(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 0, 0, NULL, GFP_KERNEL),
		       -EBUSY);
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
	free(c);
}

static void test_destroy_warns_if_allocated(void)
{
	struct potad pa;
	struct cm_desc *c = cm_new();
	long w0;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 2, NULL, GFP_KERNEL), 0);
	w0 = potad_warn_count;
	potad_destroy(&pa);
	expect_warns(1);
	CHECK_EQ(potad_warn_count - w0, 1);
	/* The instance is gone: no release for its descriptors. */
	CHECK_EQ(c->released, 0);
	types_teardown();
	free(c);
}

static void test_destroy_clean_no_warn(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1000, 9));
	CHECK_EQ(potad_add_range(&pa, 1000, 0), -EINVAL);	/* nr 0 */
	expect_warns(1);
	d = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_retire(&pa, 500, GFP_KERNEL, NULL), 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);	/* ranges and retired records freed */
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* potad_add_range / potad_withdraw_range                             */
/* ------------------------------------------------------------------ */

static void test_add_range_whole(void)
{
	struct potad pa;
	struct potad_stats st;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 1024);
	CHECK_EQ(st.units_free, 1024);
	CHECK_EQ(st.nr_free[10], 1);
	EXPECT_FREE(&pa, "0-1023");
	potad_destroy(&pa);
	types_teardown();
}

static void test_add_range_decomposition(void)
{
	struct potad pa;
	struct potad_stats st;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "decomp", POTAD_ABSTRACT, 0, 0, 1024, 10),
		   0);
	/* [3, 103): 3 4-7 8-15 16-31 32-63 64-95 96-99 100-101 102 */
	REQUIRE_EQ(potad_add_range(&pa, 3, 100), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 100);
	CHECK_EQ(st.nr_free[0], 2);
	CHECK_EQ(st.nr_free[1], 1);
	CHECK_EQ(st.nr_free[2], 2);
	CHECK_EQ(st.nr_free[3], 1);
	CHECK_EQ(st.nr_free[4], 1);
	CHECK_EQ(st.nr_free[5], 2);
	CHECK_EQ(st.nr_free[6], 0);
	EXPECT_FREE(&pa, "3-102");
	potad_destroy(&pa);
	types_teardown();
}

static void test_add_range_adjacent_merge(void)
{
	struct potad pa;
	struct potad_stats st;

	types_setup();
	/* Upper half first, then the lower half: one order-10 block. */
	REQUIRE_EQ(potad_init(&pa, "merge", POTAD_ABSTRACT, 0, 0, 1024, 10), 0);
	REQUIRE_EQ(potad_add_range(&pa, 512, 512), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 512), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[10], 1);
	CHECK_EQ(st.units_free, 1024);
	EXPECT_FREE(&pa, "0-1023");
	potad_destroy(&pa);

	/* Unaligned boundary: [0,300) + [300,1024). */
	REQUIRE_EQ(potad_init(&pa, "merge", POTAD_ABSTRACT, 0, 0, 1024, 10), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 300), 0);
	REQUIRE_EQ(potad_add_range(&pa, 300, 724), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[10], 1);
	EXPECT_FREE(&pa, "0-1023");
	potad_destroy(&pa);

	/* Three pieces, the middle one last. */
	REQUIRE_EQ(potad_init(&pa, "merge", POTAD_ABSTRACT, 0, 4096, 4096, 12),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, 4096, 1000), 0);
	REQUIRE_EQ(potad_add_range(&pa, 4096 + 3001, 1095), 0);
	REQUIRE_EQ(potad_add_range(&pa, 4096 + 1000, 2001), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[12], 1);
	CHECK_EQ(st.units_total, 4096);
	EXPECT_FREE(&pa, "4096-8191");
	potad_destroy(&pa);
	types_teardown();
}

static void test_add_range_holes(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "holes", POTAD_ABSTRACT, 0, 0, 1024, 10), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 100), 0);
	REQUIRE_EQ(potad_add_range(&pa, 200, 100), 0);
	EXPECT_FREE(&pa, "0-99 200-299");
	/* No order-7 block exists across the hole. */
	EXPECT_NOSPACE(&pa, alloc_big(&pa, 7), -ENOSPC);
	/* Order 6: [0,64) comes first. */
	d = alloc_big(&pa, 6);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	/* Fill the hole: everything merges. */
	REQUIRE_EQ(potad_add_range(&pa, 100, 100), 0);
	EXPECT_FREE(&pa, "0-299");
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
}

static void test_add_range_errors(void)
{
	struct potad pa;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "adderr", POTAD_ABSTRACT, 0, 1024, 1024, 10),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, 1024 + 100, 100), 0);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1500, 0), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1000, 30), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 0, 10), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 2040, 10), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 2048, 1), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1500, ULONG_MAX), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, ULONG_MAX - 1, 5), -EINVAL, 1);
	/* Overlaps: left edge, right edge, inside, covering, exact. */
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1024 + 50, 51), -EEXIST, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1024 + 199, 10), -EEXIST, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1024 + 150, 1), -EEXIST, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1024, 1024), -EEXIST, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, 1024 + 100, 100), -EEXIST, 1);
	/* Just touching is fine. */
	CHECK_EQ(potad_add_range(&pa, 1024 + 50, 50), 0);
	CHECK_EQ(potad_add_range(&pa, 1024 + 200, 1), 0);
	EXPECT_FREE(&pa, "1074-1224");
	potad_destroy(&pa);
	types_teardown();
}

/*
 * Fail each allocation of @op(@pa, @start, @nr) in turn: every failure is
 * -ENOMEM with the free set still @before; once nothing is injected the
 * call succeeds and the free set is @after.
 */
static void range_op_enomem(struct potad *pa,
			    int (*op)(struct potad *pa, unsigned long start,
				      unsigned long nr),
			    unsigned long start, unsigned long nr,
			    const char *before, const char *after)
{
	long i;

	for (i = 0; i < 8; i++) {
		long inj0 = potad_injected_failures;
		int ret;

		potad_fail_alloc_after = i;
		ret = op(pa, start, nr);
		potad_fail_alloc_after = -1;
		if (potad_injected_failures == inj0) {
			CHECK_EQ(ret, 0);
			break;
		}
		/* EXPECT_FAIL can't inject, so check by hand. */
		CHECK_EQ(ret, -ENOMEM);
		EXPECT_FREE(pa, before);
	}
	EXPECT_FREE(pa, after);
}

static void test_add_range_enomem(void)
{
	struct potad pa;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "addnomem", POTAD_ABSTRACT, 0, 0, 1024, 10),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 100), 0);
	range_op_enomem(&pa, potad_add_range, 500, 100, "0-99", "0-99 500-599");
	potad_destroy(&pa);
	types_teardown();
}

static void test_withdraw(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	/* Withdraw the middle; the rest splits canonically. */
	REQUIRE_EQ(potad_withdraw_range(&pa, 100, 300), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 724);
	CHECK_EQ(st.units_free, 724);
	EXPECT_FREE(&pa, "0-99 400-1023");
	/* The withdrawn units are gone for allocation too. */
	d = potad_alloc_at(&pa, &t_big, 128, 7, NULL, GFP_KERNEL);
	CHECK_EQ(RESULT(d), -EBUSY);
	/* Re-adding merges everything back. */
	REQUIRE_EQ(potad_add_range(&pa, 100, 300), 0);
	EXPECT_FREE(&pa, "0-1023");
	/* Withdraw across what were two separately added ranges. */
	REQUIRE_EQ(potad_withdraw_range(&pa, 50, 400), 0);
	EXPECT_FREE(&pa, "0-49 450-1023");
	/* Withdraw everything. */
	REQUIRE_EQ(potad_withdraw_range(&pa, 0, 50), 0);
	REQUIRE_EQ(potad_withdraw_range(&pa, 450, 574), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 0);
	CHECK_EQ(st.units_free, 0);
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
}

static void test_withdraw_errors(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "wderr", POTAD_ABSTRACT, 0, 0, 1024, 10), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 200), 0);
	REQUIRE_EQ(potad_add_range(&pa, 300, 200), 0);
	d = potad_alloc_at(&pa, &t_big, 64, 4, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 0, 0), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 150, 100), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 200, 1), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 1000, 100), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, ULONG_MAX, 2), -EINVAL, 1);
	/* Allocated units: -EBUSY, no warning. */
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 0, 200), -EBUSY, 0);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 79, 1), -EBUSY, 0);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, 60, 5), -EBUSY, 0);
	/* Right next to it is fine. */
	CHECK_EQ(potad_withdraw_range(&pa, 80, 10), 0);
	CHECK_EQ(potad_withdraw_range(&pa, 60, 4), 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	EXPECT_FREE(&pa, "0-59 64-79 90-199 300-499");
	potad_destroy(&pa);
	types_teardown();
}

static void test_withdraw_enomem(void)
{
	struct potad pa;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	range_op_enomem(&pa, potad_withdraw_range, 100, 100, "0-1023",
			"0-99 200-1023");
	potad_destroy(&pa);
	types_teardown();
}

static void test_withdraw_retired_forgotten(void)
{
	struct potad pa;
	struct potad_stats st;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 256, 8));
	REQUIRE_EQ(potad_retire(&pa, 10, GFP_KERNEL, NULL), 0);
	REQUIRE_EQ(potad_retire(&pa, 11, GFP_KERNEL, NULL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 2);
	/* Free and retired units may be withdrawn. */
	REQUIRE_EQ(potad_withdraw_range(&pa, 8, 8), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 0);
	CHECK_EQ(st.units_total, 248);
	CHECK_EQ(st.units_free, 248);
	CHECK_INVARIANT(&pa);
	/* Added again, the units are plain free units. */
	REQUIRE_EQ(potad_add_range(&pa, 8, 8), 0);
	EXPECT_FREE(&pa, "0-255");
	CHECK_EQ(potad_retire(&pa, 10, GFP_KERNEL, NULL), 0);
	EXPECT_FREE(&pa, "0-9 11-255");
	potad_destroy(&pa);
	types_teardown();
}

/* Ranges never kept in a retired unit's way, for giving memory back. */
static void test_take_range(void)
{
	struct potad pa;
	struct potad_stats st;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 256, 8));
	REQUIRE_EQ(potad_retire(&pa, 10, GFP_KERNEL, NULL), 0);
	/* A retired unit must not go back where the space came from. */
	EXPECT_FAIL(&pa, potad_take_range(&pa, 0, 64, GFP_KERNEL), -EBUSY, 0);
	EXPECT_FAIL(&pa, potad_take_range(&pa, 10, 1, GFP_KERNEL), -EBUSY, 0);
	/* Around it, and a free block of any order, it can. */
	CHECK_EQ(potad_take_range(&pa, 64, 64, GFP_KERNEL), 0);
	CHECK_EQ(potad_take_range(&pa, 0, 8, GFP_KERNEL), 0);
	EXPECT_FREE(&pa, "8-9 11-63 128-255");
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 184);
	CHECK_EQ(st.units_retired, 1);
	/* Not added (any more): a race of givers-back, quietly refused. */
	EXPECT_FAIL(&pa, potad_take_range(&pa, 64, 1, GFP_KERNEL), -ENOENT, 0);
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
}

/*
 * A zone instance (%POTAD_ZONE) stays out of the directory: ranges come
 * and go from atomic context, and lookups reach it through the zone (the
 * shim's potad_zone_of()), while a directory instance over the same
 * addresses would still be found first.
 */
static void test_zone_instance(void)
{
	DEFINE_SPINLOCK(outer);
	struct potad pa, other;
	struct potad_desc *d, *e;
	struct potad_stats st;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "zone", POTAD_MEMORY | POTAD_ZONE, 12, 0,
			      1024, 10), 0);
	/* As from an allocation path that cannot sleep. */
	spin_lock(&outer);
	CHECK_EQ(potad_add_range_gfp(&pa, 0, 256, GFP_ATOMIC), 0);
	CHECK_EQ(potad_add_range_gfp(&pa, 512, 256, GFP_NOWAIT), 0);
	spin_unlock(&outer);
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	rcu_read_lock();
	CHECK(!potad_lookup(0));
	WRITE_ONCE(potad_shim_zone, &pa);
	CHECK(potad_lookup(17) == d);
	CHECK(!potad_lookup(4096));
	rcu_read_unlock();
	/*
	 * A directory instance elsewhere is found in the directory, before
	 * the zone; one over memory the zone holds is refused.
	 */
	REQUIRE_EQ(potad_init(&other, "dir", POTAD_MEMORY, 12, 0, 2048, 10), 0);
	EXPECT_FAIL(&other, potad_add_range(&other, 200, 100), -EEXIST, 1);
	EXPECT_FAIL(&other, potad_add_range(&other, 700, 1024), -EEXIST, 1);
	REQUIRE_EQ(potad_add_range(&other, 1024, 1024), 0);
	e = alloc_big(&other, 0);
	REQUIRE(!IS_ERR(e));
	REQUIRE_EQ(e->start, 1024);
	rcu_read_lock();
	CHECK(potad_lookup(1024 * 4096 + 5) == e);
	CHECK(potad_lookup(17) == d);
	rcu_read_unlock();
	CHECK_EQ(potad_free(&other, e), 0);
	/* ... whose ranges need a gfp that sleeps. */
	EXPECT_FAIL(&other, potad_withdraw_range_gfp(&other, 1024, 1, GFP_ATOMIC),
		    -EINVAL, 1);
	EXPECT_FAIL(&other, potad_add_range_gfp(&other, 1024, 1, GFP_NOWAIT),
		    -EINVAL, 1);
	CHECK_EQ(potad_free(&pa, d), 0);
	spin_lock(&outer);
	CHECK_EQ(potad_take_range(&pa, 512, 256, GFP_NOWAIT), 0);
	CHECK_EQ(potad_withdraw_range_gfp(&pa, 128, 128, GFP_ATOMIC), 0);
	spin_unlock(&outer);
	EXPECT_FREE(&pa, "0-127");
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 128);
	WRITE_ONCE(potad_shim_zone, NULL);
	potad_destroy(&other);
	potad_destroy(&pa);
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

static void test_type_register_errors(void)
{
	struct potad_type small = {
		.name = "small", .size = sizeof(struct potad_desc) - 1,
	};
	struct potad_type ok = { .name = "ok", .size = 128 };
	const size_t align = __alignof__(struct potad_desc);
	long w0 = potad_warn_count;

	CHECK_EQ(potad_type_register(&small), -EINVAL);
	expect_warns(1);
	CHECK_EQ(potad_warn_count - w0, 1);
	small.flags = POTAD_TYPE_CALLER_MEM;
	CHECK_EQ(potad_type_register(&small), -EINVAL);
	expect_warns(1);
	CHECK_EQ(potad_warn_count - w0, 2);
	/* struct potad_desc must fit at @offset, aligned. */
	small.flags = 0;
	small.size = 100;
	small.offset = ALIGN(100 - sizeof(struct potad_desc) + 1, align);
	CHECK_EQ(potad_type_register(&small), -EINVAL);
	small.offset = 1000;
	CHECK_EQ(potad_type_register(&small), -EINVAL);
	small.offset = ALIGN_DOWN(SIZE_MAX - 8, align);
	CHECK_EQ(potad_type_register(&small), -EINVAL);
	small.offset = 1;				/* fits, misaligned */
	CHECK_EQ(potad_type_register(&small), -EINVAL);
	expect_warns(4);
	CHECK_EQ(potad_warn_count - w0, 6);
	small.offset = ALIGN_DOWN(100 - sizeof(struct potad_desc), align);
	REQUIRE_EQ(potad_type_register(&small), 0);
	potad_type_unregister(&small);
	w0 += 4;
	REQUIRE_EQ(potad_type_register(&ok), 0);
	CHECK(ok.cache);
	CHECK_EQ(potad_type_register(&ok), -EBUSY);
	expect_warns(1);
	CHECK_EQ(potad_warn_count - w0, 3);
	potad_type_unregister(&ok);
	/* Registering again after unregistering works. */
	REQUIRE_EQ(potad_type_register(&ok), 0);
	potad_type_unregister(&ok);
	CHECK_EQ(potad_warn_count - w0, 3);
}

static void test_type_register_enomem(void)
{
	struct potad_type t = { .name = "nomem", .size = 100 };
	long m0 = potad_mem_allocs, inj0 = potad_injected_failures;
	long w0 = potad_warn_count;

	potad_fail_alloc_after = 0;
	CHECK_EQ(potad_type_register(&t), -ENOMEM);
	potad_fail_alloc_after = -1;
	CHECK_EQ(potad_injected_failures - inj0, 1);
	CHECK_EQ(potad_mem_allocs, m0);
	CHECK_EQ(potad_warn_count, w0);
	/* Not registered: registering works now. */
	REQUIRE_EQ(potad_type_register(&t), 0);
	potad_type_unregister(&t);
}

static void test_type_unregister_errors(void)
{
	struct potad_type t = { .name = "twice", .size = 128 };
	long w0 = potad_warn_count;

	REQUIRE_EQ(potad_type_register(&t), 0);
	potad_type_unregister(&t);
	CHECK_EQ(potad_warn_count, w0);
	/* Unregistering a type that is not registered warns. */
	potad_type_unregister(&t);
	expect_warns(1);
	CHECK_EQ(potad_warn_count - w0, 1);
	CHECK(!t.cache);
}

static void test_type_caller_mem_no_cache(void)
{
	struct potad_type t = {
		.name = "cm", .size = sizeof(struct potad_desc),
		.flags = POTAD_TYPE_CALLER_MEM,
	};
	long m0 = potad_mem_allocs;

	REQUIRE_EQ(potad_type_register(&t), 0);
	CHECK(!t.cache);
	CHECK_EQ(potad_mem_allocs, m0);
	potad_type_unregister(&t);
}

/* ------------------------------------------------------------------ */
/* potad_alloc                                                         */
/* ------------------------------------------------------------------ */

static void test_alloc_desc_fields(void)
{
	struct potad pa;
	struct potad_desc *d;
	struct big_desc *b;
	int owner, i;
	bool zero = true;

	types_setup();
	REQUIRE(setup_space(&pa, 1 << 12, 1 << 12, 12));
	d = potad_alloc(&pa, &t_big, 5, &owner, GFP_KERNEL);
	REQUIRE(!IS_ERR_OR_NULL(d));
	CHECK(d->type == &t_big);
	CHECK(d->potad == &pa);
	CHECK_EQ(d->start, 1 << 12);
	CHECK_EQ(d->order, 5);
	CHECK_EQ(d->nr_live, 32);
	CHECK(d->owner == &owner);
	CHECK_EQ(d->state, POTAD_DESC_LIVE);
	CHECK_EQ(potad_desc_units(d), 32);
	/* The 360-byte container: recovered, caller part zeroed. */
	b = container_of(d, struct big_desc, d);
	for (i = 0; i < 5; i++)
		zero &= !b->head[i];
	for (i = 0; i < (int)sizeof(b->tail); i++)
		zero &= !b->tail[i];
	CHECK(zero);
	memset(b->head, 0xa5, sizeof(b->head));
	memset(b->tail, 0x5a, sizeof(b->tail));
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

/* The common header is one cacheline, in the slab too. */
static void test_desc_size(void)
{
	struct potad_type plain = {
		.name = "test_plain",
		.size = sizeof(struct potad_desc),
	};
	unsigned int obj;

	REQUIRE_EQ(potad_type_register(&plain), 0);
	obj = potad_shim_slab_object_size(plain.cache);
	tap_info("# struct potad_desc: %zu bytes; slab object of a bare descriptor type: %u bytes (SLAB_HWCACHE_ALIGN)\n",
		 sizeof(struct potad_desc), obj);
	CHECK_EQ(kmem_cache_size(plain.cache), sizeof(struct potad_desc));
	CHECK_EQ(obj, 64);
	potad_type_unregister(&plain);
}

static void test_alloc_placement_order0(void)
{
	struct potad pa;
	struct potad_desc *d[300];
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	for (i = 0; i < 300; i++) {
		d[i] = alloc_big(&pa, 0);
		REQUIRE(!IS_ERR(d[i]));
		CHECK_EQ(d[i]->start, i);
	}
	/* Free every other one: the lowest freed unit comes back first. */
	for (i = 0; i < 300; i += 2)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	for (i = 0; i < 300; i += 2) {
		d[i] = alloc_big(&pa, 0);
		REQUIRE(!IS_ERR(d[i]));
		CHECK_EQ(d[i]->start, i);
	}
	for (i = 0; i < 300; i++)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	EXPECT_FREE(&pa, "0-1023");
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_placement_mixed(void)
{
	static const struct { unsigned int order; unsigned long start; } seq[] = {
		{ 0, 0 },	/* splits 1024: free 1,2-3,4-7,... */
		{ 1, 2 },	/* smallest fitting: order 1 at 2 */
		{ 0, 1 },	/* order 0 at 1 */
		{ 2, 4 },
		{ 0, 8 },	/* splits 8-15 */
		{ 3, 16 },	/* order 3: 16-23 (from 16-31) */
		{ 1, 10 },	/* order 1 free at 10 (9 is order 0) */
		{ 0, 9 },
		{ 5, 32 },
		{ 3, 24 },
		{ 9, 512 },	/* 64-127, 128-255, 256-511 too small */
		{ 6, 64 },
		{ 8, 256 },
	};
	struct potad pa;
	struct potad_desc *d[ARRAY_SIZE(seq)];
	size_t i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		d[i] = alloc_big(&pa, seq[i].order);
		REQUIRE(!IS_ERR(d[i]));
		if (!CHECK_EQ(d[i]->start, seq[i].start))
			printf("#     step %zu order %u\n", i, seq[i].order);
		CHECK(IS_ALIGNED(d[i]->start, 1UL << seq[i].order));
	}
	EXPECT_FREE(&pa, "12-15 128-255");
	for (i = 0; i < ARRAY_SIZE(seq); i++)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	EXPECT_FREE(&pa, "0-1023");
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_fills_space(void)
{
	struct potad pa;
	struct potad_desc **d = calloc(1000, sizeof(*d));
	struct potad_stats st;
	int i, n = 0;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "fill", POTAD_ABSTRACT, 0, 0, 1000, 9), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 1000), 0);
	for (;;) {
		struct potad_desc *x = alloc_big(&pa, 0);

		if (IS_ERR(x)) {
			CHECK_EQ(PTR_ERR(x), -ENOSPC);
			break;
		}
		REQUIRE(n < 1000);
		d[n++] = x;
	}
	CHECK_EQ(n, 1000);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_free, 0);
	CHECK_EQ(st.units_allocated, 1000);
	CHECK_EQ(st.alloc_failures, 1);
	for (i = n - 1; i >= 0; i--)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	EXPECT_FREE(&pa, "0-999");
	potad_destroy(&pa);
	types_teardown();
	free(d);
}

static void test_alloc_errors(void)
{
	struct potad pa;
	struct potad_type unreg = { .name = "unreg", .size = 128 };

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	EXPECT_FAIL(&pa, alloc_big(&pa, 11), -EINVAL, 1);
	EXPECT_FAIL(&pa, alloc_big(&pa, 63), -EINVAL, 1);
	EXPECT_FAIL(&pa, alloc_big(&pa, 64), -EINVAL, 1);
	EXPECT_FAIL(&pa, alloc_big(&pa, UINT_MAX), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc(&pa, NULL, 0, NULL, GFP_KERNEL), -EINVAL,
		    1);
	EXPECT_FAIL(&pa, potad_alloc(&pa, &unreg, 0, NULL, GFP_KERNEL),
		    -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc(&pa, &t_cm, 0, NULL, GFP_KERNEL), -EINVAL,
		    1);
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_enospc(void)
{
	struct potad pa;
	struct potad_desc *d, *e;
	struct potad_stats b, a;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	d = alloc_big(&pa, 9);
	REQUIRE(!IS_ERR(d));
	REQUIRE_EQ(potad_retire(&pa, 700, GFP_KERNEL, NULL), 0);
	/* 512 free units but no order-9 block. */
	get_stats(&pa, &b);
	CHECK_EQ(RESULT(alloc_big(&pa, 9)), -ENOSPC);
	get_stats(&pa, &a);
	/* Only alloc_failures moves. */
	CHECK_EQ(a.alloc_failures, b.alloc_failures + 1);
	b.alloc_failures++;
	stats_equal(&b, &a, __FILE__, __LINE__, "ENOSPC");
	EXPECT_NOSPACE(&pa, alloc_big(&pa, 9), -ENOSPC);
	e = alloc_big(&pa, 8);		/* 768: the only order-8 block */
	REQUIRE(!IS_ERR(e));
	CHECK_EQ(e->start, 768);
	CHECK_EQ(potad_free(&pa, e), 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	EXPECT_FREE(&pa, "0-699 701-1023");
	potad_destroy(&pa);
	types_teardown();
}

/* Per the spec, -EBUSY from an exact allocation changes no counter. */
static void test_alloc_at_busy_unchanged(void)
{
	struct potad pa;
	struct potad_desc *d;
	struct cm_desc *c = cm_new();

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 0, 0, NULL, GFP_KERNEL),
		    -EBUSY, 0);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 0, 3, NULL, GFP_KERNEL),
		    -EBUSY, 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
	free(c);
}

static void test_alloc_enomem(void)
{
	struct potad pa;
	struct potad_stats b, a;
	long inj0 = potad_injected_failures, m0, w0;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	get_stats(&pa, &b);
	m0 = potad_mem_allocs;
	w0 = potad_warn_count;
	potad_fail_alloc_after = 0;
	d = alloc_big(&pa, 3);
	potad_fail_alloc_after = -1;
	CHECK_EQ(RESULT(d), -ENOMEM);
	CHECK_EQ(potad_injected_failures - inj0, 1);
	CHECK_EQ(potad_mem_allocs, m0);
	CHECK_EQ(potad_warn_count, w0);
	get_stats(&pa, &a);
	stats_equal(&b, &a, __FILE__, __LINE__, "ENOMEM");
	/* Also for alloc_at, and the block stays free. */
	potad_fail_alloc_after = 0;
	d = potad_alloc_at(&pa, &t_big, 8, 3, NULL, GFP_ATOMIC);
	potad_fail_alloc_after = -1;
	CHECK_EQ(RESULT(d), -ENOMEM);
	get_stats(&pa, &a);
	stats_equal(&b, &a, __FILE__, __LINE__, "ENOMEM at");
	EXPECT_FREE(&pa, "0-1023");
	d = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_gfp_atomic(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = potad_alloc(&pa, &t_big, 0, NULL, GFP_ATOMIC);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_free(&pa, d), 0);
	d = potad_alloc(&pa, &t_big, 1, NULL, GFP_NOWAIT);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_max_order_block(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 3 << 10, 3 << 10, 10));
	d = alloc_big(&pa, 10);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, 3 << 10);
	EXPECT_FREE(&pa, "4096-6143");
	CHECK_EQ(potad_free(&pa, d), 0);
	/* Never merges beyond max_order: three order-10 blocks. */
	EXPECT_FREE(&pa, "3072-6143");
	potad_destroy(&pa);
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* potad_alloc_at / potad_alloc_desc                                  */
/* ------------------------------------------------------------------ */

static void test_alloc_at(void)
{
	struct potad pa;
	struct potad_desc *d, *e;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	d = potad_alloc_at(&pa, &t_big, 640, 6, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, 640);
	CHECK_EQ(d->order, 6);
	EXPECT_FREE(&pa, "0-639 704-1023");
	e = potad_alloc_at(&pa, &t_big, 1023, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(e));
	CHECK_EQ(e->start, 1023);
	EXPECT_FREE(&pa, "0-639 704-1022");
	CHECK_EQ(potad_free(&pa, d), 0);
	CHECK_EQ(potad_free(&pa, e), 0);
	EXPECT_FREE(&pa, "0-1023");
	/* The whole space. */
	d = potad_alloc_at(&pa, &t_big, 0, 10, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_at_errors(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "aterr", POTAD_ABSTRACT, 0, 1024, 1000, 9),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, 1024, 1000), 0);
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 1025, 1, NULL, GFP_KERNEL),
		    -EINVAL, 1);				/* misaligned */
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 1024 + 8, 4, NULL,
					GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 1020, 0, NULL, GFP_KERNEL),
		    -EINVAL, 1);				/* below */
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 2024, 0, NULL, GFP_KERNEL),
		    -EINVAL, 1);				/* above */
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 1024 + 992, 4, NULL,
					GFP_KERNEL), -EINVAL, 1); /* straddles end */
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, 1024, 10, NULL, GFP_KERNEL),
		    -EINVAL, 1);				/* > max_order */
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_big, POTAD_ANY, 0, NULL,
					GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_at(&pa, &t_cm, 1024, 0, NULL, GFP_KERNEL),
		    -EINVAL, 1);
	/* Busy: part of the block allocated, retired, or absent. */
	d = potad_alloc_at(&pa, &t_big, 1024 + 16, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 1024, 5, NULL,
					   GFP_KERNEL), -EBUSY);
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 1024 + 16, 0, NULL,
					   GFP_KERNEL), -EBUSY);
	REQUIRE_EQ(potad_retire(&pa, 1024 + 100, GFP_KERNEL, NULL), 0);
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 1024 + 100, 0, NULL,
					   GFP_KERNEL), -EBUSY);
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 1024 + 96, 3, NULL,
					   GFP_KERNEL), -EBUSY);
	REQUIRE_EQ(potad_withdraw_range(&pa, 1024 + 200, 10), 0);
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 1024 + 192, 4, NULL,
					   GFP_KERNEL), -EBUSY);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_alloc_desc(void)
{
	struct potad pa;
	struct cm_desc *c = cm_new(), *e = cm_new();
	int owner;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	/* Anywhere: lowest address of the smallest order. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 4, &owner, GFP_KERNEL),
		   0);
	CHECK(c->d.type == &t_cm);
	CHECK(c->d.potad == &pa);
	CHECK_EQ(c->d.start, 0);
	CHECK_EQ(c->d.order, 4);
	CHECK_EQ(c->d.nr_live, 16);
	CHECK(c->d.owner == &owner);
	CHECK_EQ(c->d.state, POTAD_DESC_LIVE);
	CHECK(cm_canaries_ok(c));
	/* At an address. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &e->d, &t_cm, 512, 9, NULL, GFP_KERNEL), 0);
	CHECK_EQ(e->d.start, 512);
	CHECK(cm_canaries_ok(e));
	EXPECT_FREE(&pa, "16-511");
	/* Release op: once, state FREE, without the lock, nothing after. */
	REQUIRE_EQ(potad_free(&pa, &c->d), 0);
	CHECK_EQ(c->released, 1);
	CHECK_EQ(c->release_bad_state, 0);
	CHECK_EQ(c->release_locked, 0);
	CHECK_EQ(c->d.state, POTAD_DESC_FREE);
	CHECK(!memcmp(&c->at_release, &c->d, sizeof(c->d)));
	CHECK(cm_canaries_ok(c));
	REQUIRE_EQ(potad_free(&pa, &e->d), 0);
	CHECK_EQ(e->released, 1);
	EXPECT_FREE(&pa, "0-1023");
	/* A caller-mem type without ops (abstract space): no release op. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm_noops, POTAD_ANY, 0,
				    NULL, GFP_KERNEL), 0);
	REQUIRE_EQ(potad_free(&pa, &c->d), 0);
	CHECK_EQ(c->d.state, POTAD_DESC_FREE);
	CHECK_EQ(c->released, 1);
	/* The same caller memory can be used again. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 0, NULL, GFP_KERNEL), 0);
	CHECK_EQ(c->d.state, POTAD_DESC_LIVE);
	REQUIRE_EQ(potad_free(&pa, &c->d), 0);
	CHECK_EQ(c->released, 2);
	potad_destroy(&pa);
	types_teardown();
	free(c);
	free(e);
}

static void test_alloc_desc_errors(void)
{
	struct potad pa;
	struct cm_desc *c = cm_new(), *e = cm_new();
	struct potad_desc before;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	memset(&c->d, 0xab, sizeof(c->d));
	before = c->d;
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_big, POTAD_ANY, 0,
					  NULL, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, NULL, POTAD_ANY, 0,
					  NULL, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 7,
					  NULL, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 3, 2, NULL, GFP_KERNEL),
		    -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 64, 0, NULL, GFP_KERNEL),
		    -EINVAL, 1);
	REQUIRE_EQ(potad_alloc_desc(&pa, &e->d, &t_cm, 0, 5, NULL, GFP_KERNEL), 0);
	EXPECT_NOSPACE(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 0, 6, NULL, GFP_KERNEL),
		       -EBUSY);
	EXPECT_NOSPACE(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, 31, 0, NULL, GFP_KERNEL),
		       -EBUSY);
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, 32, 5, NULL, GFP_KERNEL), 0);
	memset(&before, 0xab, sizeof(before));
	EXPECT_NOSPACE(&pa, potad_alloc_desc(&pa, &before, &t_cm, POTAD_ANY, 0,
					     NULL, GFP_KERNEL), -ENOSPC);
	/* A failed call leaves the caller's descriptor alone. */
	{
		struct potad_desc pattern;

		memset(&pattern, 0xab, sizeof(pattern));
		CHECK(!memcmp(&before, &pattern, sizeof(pattern)));
	}
	CHECK_EQ(potad_free(&pa, &c->d), 0);
	CHECK_EQ(potad_free(&pa, &e->d), 0);
	potad_destroy(&pa);
	types_teardown();
	free(c);
	free(e);
}

/* ------------------------------------------------------------------ */
/* potad_free / potad_free_range                                       */
/* ------------------------------------------------------------------ */

static void test_free_merges(void)
{
	struct potad pa;
	struct potad_desc *d[8];
	struct potad_stats st;
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 256, 8));
	for (i = 0; i < 8; i++) {
		d[i] = alloc_big(&pa, 5);
		REQUIRE(!IS_ERR(d[i]));
		CHECK_EQ(d[i]->start, i * 32);
	}
	/* Free in an order that merges late: 1 3 5 7 then 0 2 4 6. */
	for (i = 1; i < 8; i += 2)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[5], 4);
	for (i = 0; i < 8; i += 2)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_frees, 8);
	CHECK_EQ(st.nr_allocs, 8);
	EXPECT_FREE(&pa, "0-255");
	potad_destroy(&pa);
	types_teardown();
}

static void test_free_errors(void)
{
	struct potad pa, pb;
	struct cm_desc *c = cm_new(), *f = cm_new();
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 256, 8));
	REQUIRE(setup_space(&pb, 0, 256, 8));
	d = alloc_big(&pa, 2);
	REQUIRE(!IS_ERR(d));
	/* A descriptor of another instance. */
	EXPECT_FAIL(&pb, potad_free(&pb, d), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free(&pb, d), -EINVAL, 1);
	EXPECT_FAIL(&pb, potad_free_range(&pb, d, 0, 1, GFP_KERNEL), -EINVAL, 1);
	/* Double free of a caller-mem descriptor. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 1, NULL, GFP_KERNEL), 0);
	REQUIRE_EQ(potad_free(&pa, &c->d), 0);
	EXPECT_FAIL(&pa, potad_free(&pa, &c->d), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, &c->d, c->d.start, 1, GFP_KERNEL), -EINVAL,
		    1);
	CHECK_EQ(c->released, 1);
	/* A descriptor that was never allocated (state not LIVE). */
	memset(&f->d, 0, sizeof(f->d));
	f->d.potad = &pa;
	f->d.type = &t_cm;
	EXPECT_FAIL(&pa, potad_free(&pa, &f->d), -EINVAL, 1);
	f->d.state = POTAD_DESC_DEAD;
	EXPECT_FAIL(&pa, potad_free(&pa, &f->d), -EINVAL, 1);
	/* Whole free after a partial free. */
	REQUIRE_EQ(potad_free_range(&pa, d, d->start, 1, GFP_KERNEL), 0);
	EXPECT_FAIL(&pa, potad_free(&pa, d), -EINVAL, 1);
	CHECK_EQ(potad_free_range(&pa, d, d->start + 1, 3, GFP_KERNEL), 0);
	CHECK_EQ(f->released, 0);
	EXPECT_FREE(&pb, "0-255");
	EXPECT_FREE(&pa, "0-255");
	potad_destroy(&pa);
	potad_destroy(&pb);
	types_teardown();
	free(c);
	free(f);
}

static void test_free_range_merge(void)
{
	struct potad pa;
	struct potad_desc *d;
	struct potad_stats st;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = alloc_big(&pa, 4);		/* [0, 16) */
	REQUIRE(!IS_ERR(d));
	EXPECT_FREE(&pa, "16-63");
	/* Free the middle: unaligned, merges with nothing. */
	REQUIRE_EQ(potad_free_range(&pa, d, 5, 6, GFP_KERNEL), 0);	/* 5-10 */
	CHECK_EQ(d->nr_live, 10);
	EXPECT_FREE(&pa, "5-10 16-63");
	/* Free the tail: merges with 16-63 through the buddies. */
	REQUIRE_EQ(potad_free_range(&pa, d, 11, 5, GFP_KERNEL), 0);	/* 11-15 */
	CHECK_EQ(d->nr_live, 5);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 5);
	CHECK_EQ(st.nr_frees - probe_frees, 2);
	EXPECT_FREE(&pa, "5-63");
	CHECK_INVARIANT(&pa);
	/* The last units free the descriptor (ASan would see a leak). */
	REQUIRE_EQ(potad_free_range(&pa, d, 0, 5, GFP_KERNEL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.nr_frees - probe_frees, 3);
	EXPECT_FREE(&pa, "0-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_free_range_release(void)
{
	struct potad pa;
	struct cm_desc *c = cm_new();
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, 32, 3, NULL, GFP_KERNEL), 0);
	/* One unit at a time, from the top. */
	for (i = 7; i >= 0; i--) {
		CHECK_EQ(c->released, 0);
		REQUIRE_EQ(potad_free_range(&pa, &c->d, 32 + i, 1, GFP_KERNEL), 0);
	}
	CHECK_EQ(c->released, 1);
	CHECK_EQ(c->release_bad_state, 0);
	CHECK_EQ(c->release_locked, 0);
	CHECK_EQ(c->d.state, POTAD_DESC_FREE);
	CHECK_EQ(c->d.nr_live, 0);
	EXPECT_FREE(&pa, "0-63");
	potad_destroy(&pa);
	types_teardown();
	free(c);
}

static void test_free_range_errors(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 256, 8));
	d = potad_alloc_at(&pa, &t_big, 64, 4, NULL, GFP_KERNEL);  /* 64-79 */
	REQUIRE(!IS_ERR(d));
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 64, 0, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 63, 2, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 79, 2, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 80, 1, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 64, 17, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 70, ULONG_MAX, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 0, 1, GFP_KERNEL), -EINVAL, 1);
	REQUIRE_EQ(potad_free_range(&pa, d, 68, 4, GFP_KERNEL), 0);	/* 68-71 */
	/* Double partial free, exact and overlapping. */
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 68, 4, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 66, 3, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 71, 2, GFP_KERNEL), -EINVAL, 1);
	/* More than what is live. */
	EXPECT_FAIL(&pa, potad_free_range(&pa, d, 64, 16, GFP_KERNEL), -EINVAL, 1);
	CHECK_EQ(potad_free_range(&pa, d, 64, 4, GFP_KERNEL), 0);
	CHECK_EQ(potad_free_range(&pa, d, 72, 8, GFP_KERNEL), 0);
	EXPECT_FREE(&pa, "0-255");
	potad_destroy(&pa);
	types_teardown();
}

/* 64 units at 0, all added: a memory space of 4 KiB units, or abstract. */
static bool setup_64(struct potad *pa, bool memory)
{
	if (!memory)
		return setup_space(pa, 0, 64, 6);
	return CHECK_EQ(potad_init(pa, "mem64", POTAD_MEMORY, 12, 0, 64, 6), 0) &&
	       CHECK_EQ(potad_add_range(pa, 0, 64), 0);
}

/* A second partial free of units another block holds since is refused. */
static void run_free_range_reused(bool memory)
{
	struct potad pa;
	struct potad_desc *a, *b;

	types_setup();
	REQUIRE(setup_64(&pa, memory));
	a = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a));
	REQUIRE_EQ(potad_free_range(&pa, a, 0, 2, GFP_KERNEL), 0);
	b = alloc_big(&pa, 1);
	REQUIRE(!IS_ERR(b));
	REQUIRE_EQ(b->start, 0);
	EXPECT_FAIL(&pa, potad_free_range(&pa, a, 0, 2, GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, a, 1, 2, GFP_KERNEL), -EINVAL, 1);
	if (memory) {
		rcu_read_lock();
		CHECK(potad_lookup(0) == b);
		CHECK(potad_lookup(4096 + 17) == b);
		CHECK(potad_lookup(2 * 4096) == a);
		rcu_read_unlock();
	}
	CHECK_EQ(potad_free(&pa, b), 0);
	CHECK_EQ(potad_free_range(&pa, a, 2, 6, GFP_KERNEL), 0);
	EXPECT_FREE(&pa, "0-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_free_range_reused(void)
{
	run_free_range_reused(false);
}

static void test_free_range_reused_memory(void)
{
	run_free_range_reused(true);
}

/*
 * potad_free_range() of a whole block never freed in part is a whole free:
 * no memory is needed, not for an abstract block's index entry nor for
 * the record of units a reference defers.
 */
static void run_free_range_whole(bool memory)
{
	struct potad_stats st;
	struct potad pa;
	struct potad_desc *a;

	types_setup();
	REQUIRE(setup_64(&pa, memory));
	a = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a));
	potad_fail_alloc_after = 0;
	CHECK_EQ(potad_free_range(&pa, a, 0, 8, GFP_KERNEL), 0);
	potad_fail_alloc_after = -1;
	EXPECT_FREE(&pa, "0-63");
	/* Referenced: dead at once, given back with the reference. */
	a = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a));
	REQUIRE(potad_desc_tryget(a));
	potad_fail_alloc_after = 0;
	CHECK_EQ(potad_free_range(&pa, a, 0, 8, GFP_KERNEL), 0);
	potad_fail_alloc_after = -1;
	CHECK_EQ(a->state, POTAD_DESC_DEAD);
	EXPECT_FREE(&pa, "8-63");
	get_stats(&pa, &st);
	CHECK_EQ(st.units_deferred, 8);
	potad_desc_put(a);
	EXPECT_FREE(&pa, "0-63");
	get_stats(&pa, &st);
	CHECK_EQ(st.units_deferred, 0);
	/* A put without a reference is refused: the owner's stays. */
	a = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a));
	EXPECT_FAIL(&pa, ({ potad_desc_put(a); 0; }), 0, 1);
	CHECK_EQ(a->state, POTAD_DESC_LIVE);
	CHECK_EQ(potad_free(&pa, a), 0);
	EXPECT_FREE(&pa, "0-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_free_range_whole(void)
{
	run_free_range_whole(false);
}

static void test_free_range_whole_memory(void)
{
	run_free_range_whole(true);
}

/*
 * A reference pins the units: what the owner frees meanwhile leaves the
 * index but stays allocated until the reference is dropped.
 */
static void test_ref_defers_free_range(void)
{
	struct potad pa;
	struct potad_desc *a, *h;
	struct potad_stats st;
	struct cm_desc *c = cm_new();

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "defer", POTAD_MEMORY, 12, 0, 64, 6), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 64), 0);
	a = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a));
	/* memory-failure's way: retire a unit, get its block pinned. */
	REQUIRE_EQ(potad_retire(&pa, 5, GFP_KERNEL, &h), 0);
	CHECK(h == a);
	CHECK_EQ(potad_free_range(&pa, a, 4, 4, GFP_KERNEL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 8);
	CHECK_EQ(st.units_deferred, 4);
	CHECK_EQ(a->nr_live, 4);
	/* Gone from the index, not free, not freeable again. */
	rcu_read_lock();
	CHECK(!potad_lookup(4 * 4096));
	rcu_read_unlock();
	EXPECT_NOSPACE(&pa, potad_alloc_at(&pa, &t_big, 4, 2, NULL, GFP_KERNEL),
		       -EBUSY);
	EXPECT_FAIL(&pa, potad_free_range(&pa, a, 6, 1, GFP_KERNEL), -EINVAL, 1);
	/* The deferred record needs memory: -ENOMEM changes nothing. */
	potad_fail_alloc_after = 0;
	CHECK_EQ(potad_free_range(&pa, a, 0, 1, GFP_KERNEL), -ENOMEM);
	potad_fail_alloc_after = -1;
	CHECK_EQ(a->nr_live, 4);
	/* The last reference but the owner's gives them back; 5 stays out. */
	potad_desc_put(h);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_deferred, 0);
	CHECK_EQ(st.units_allocated, 4);
	CHECK_EQ(st.units_retired, 1);
	EXPECT_FREE(&pa, "4 6-63");
	/* potad_lookup_get() pins too, and keeps a dead block's units. */
	h = potad_lookup_get(2 * 4096 + 100);
	CHECK(h == a);
	CHECK_EQ(potad_free_range(&pa, a, 0, 4, GFP_KERNEL), 0);
	CHECK_EQ(a->state, POTAD_DESC_DEAD);
	EXPECT_FREE(&pa, "4 6-63");
	potad_desc_put(h);
	EXPECT_FREE(&pa, "0-4 6-63");
	/* Allocating into a caller descriptor still live or awaiting release. */
	REQUIRE_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, 32, 0, NULL, GFP_KERNEL),
		   0);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 0,
					  NULL, GFP_KERNEL), -EINVAL, 1);
	CHECK(potad_desc_tryget(&c->d));
	CHECK_EQ(potad_free(&pa, &c->d), 0);
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 0,
					  NULL, GFP_KERNEL), -EINVAL, 1);
	potad_desc_put(&c->d);
	rcu_barrier();
	CHECK_EQ(c->released, 1);
	CHECK_EQ(potad_alloc_desc(&pa, &c->d, &t_cm, POTAD_ANY, 0, NULL,
				  GFP_KERNEL), 0);
	CHECK_EQ(potad_free(&pa, &c->d), 0);
	rcu_barrier();
	/* A caller-memory type without release op cannot serve memory. */
	EXPECT_FAIL(&pa, potad_alloc_desc(&pa, &c->d, &t_cm_noops, POTAD_ANY,
					  0, NULL, GFP_KERNEL), -EINVAL, 1);
	potad_destroy(&pa);
	types_teardown();
	free(c);
}

/* ------------------------------------------------------------------ */
/* potad_retire                                                        */
/* ------------------------------------------------------------------ */

static void test_retire_free_unit(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *d[1023];
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	REQUIRE_EQ(potad_retire(&pa, 5, GFP_KERNEL, NULL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 1);
	CHECK_EQ(st.units_free, 1023);
	CHECK_EQ(st.units_total, 1024);
	/* The free block was split around unit 5. */
	EXPECT_FREE(&pa, "0-4 6-1023");
	CHECK_INVARIANT(&pa);
	/* Allocation never hands it out. */
	for (i = 0; i < 1023; i++) {
		d[i] = alloc_big(&pa, 0);
		REQUIRE(!IS_ERR(d[i]));
		CHECK(d[i]->start != 5);
	}
	CHECK_EQ(RESULT(alloc_big(&pa, 0)), -ENOSPC);
	for (i = 0; i < 1023; i++)
		CHECK_EQ(potad_free(&pa, d[i]), 0);
	EXPECT_FREE(&pa, "0-4 6-1023");
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_allocated_unit(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	d = potad_alloc_at(&pa, &t_big, 256, 8, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	REQUIRE_EQ(potad_retire(&pa, 300, GFP_ATOMIC, NULL), 0);
	/* Still allocated, counted as allocated. */
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 256);
	CHECK_EQ(st.units_retired, 0);
	CHECK_INVARIANT(&pa);
	EXPECT_FAIL(&pa, potad_retire(&pa, 300, GFP_KERNEL, NULL), -EALREADY, 0);
	REQUIRE_EQ(potad_free(&pa, d), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.units_retired, 1);
	CHECK_EQ(st.units_free, 1023);
	EXPECT_FREE(&pa, "0-299 301-1023");
	EXPECT_FAIL(&pa, potad_retire(&pa, 300, GFP_KERNEL, NULL), -EALREADY, 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_then_free_range(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = alloc_big(&pa, 4);		/* 0-15 */
	REQUIRE(!IS_ERR(d));
	REQUIRE_EQ(potad_retire(&pa, 3, GFP_KERNEL, NULL), 0);
	REQUIRE_EQ(potad_free_range(&pa, d, 2, 4, GFP_KERNEL), 0);	/* 2-5, 3 retired */
	CHECK_EQ(d->nr_live, 12);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 12);
	CHECK_EQ(st.units_retired, 1);
	CHECK_EQ(st.units_free, 48 + 3);
	EXPECT_FREE(&pa, "2 4-5 16-63");
	CHECK_INVARIANT(&pa);
	/* Retire a unit freed by the partial free: it leaves free space. */
	REQUIRE_EQ(potad_retire(&pa, 4, GFP_KERNEL, NULL), 0);
	EXPECT_FREE(&pa, "2 5 16-63");
	REQUIRE_EQ(potad_free_range(&pa, d, 0, 2, GFP_KERNEL), 0);
	REQUIRE_EQ(potad_free_range(&pa, d, 6, 10, GFP_KERNEL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.units_retired, 2);
	EXPECT_FREE(&pa, "0-2 5-63");
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
}

/*
 * A double partial free over a retired unit that was already freed must
 * fail like any other double partial free.
 */
static void test_free_range_twice_retired(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = alloc_big(&pa, 1);		/* 0-1 */
	REQUIRE(!IS_ERR(d));
	REQUIRE_EQ(potad_retire(&pa, 0, GFP_KERNEL, NULL), 0);
	REQUIRE_EQ(potad_free_range(&pa, d, 0, 1, GFP_KERNEL), 0);
	/* Unit 0 is freed (and retired): freeing it again is a bug. */
	if (!EXPECT_FAIL(&pa, potad_free_range(&pa, d, 0, 1, GFP_KERNEL), -EINVAL, 1)) {
		/* d may be gone (nr_live reached 0): don't touch it. */
		if (!freed_memory(container_of(d, struct big_desc, d)))
			kmem_cache_free(t_big.cache,
					container_of(d, struct big_desc, d));
		cur_skip_leak_check = true;
		cur_ignore_warns = true;
		potad_destroy(&pa);
		types_teardown();
		return;
	}
	REQUIRE_EQ(potad_free_range(&pa, d, 1, 1, GFP_KERNEL), 0);
	EXPECT_FREE(&pa, "1-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_free_range_twice_retired_free(void)
{
	struct potad pa;
	struct potad_desc *d;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	d = alloc_big(&pa, 2);		/* 0-3 */
	REQUIRE(!IS_ERR(d));
	REQUIRE_EQ(potad_free_range(&pa, d, 1, 1, GFP_KERNEL), 0);
	REQUIRE_EQ(potad_retire(&pa, 1, GFP_KERNEL, NULL), 0);	/* free -> retired */
	if (!EXPECT_FAIL(&pa, potad_free_range(&pa, d, 1, 1, GFP_KERNEL), -EINVAL, 1)) {
		if (!freed_memory(container_of(d, struct big_desc, d)))
			kmem_cache_free(t_big.cache,
					container_of(d, struct big_desc, d));
		cur_skip_leak_check = true;
		cur_ignore_warns = true;
		potad_destroy(&pa);
		types_teardown();
		return;
	}
	REQUIRE_EQ(potad_free_range(&pa, d, 0, 1, GFP_KERNEL), 0);
	REQUIRE_EQ(potad_free_range(&pa, d, 2, 2, GFP_KERNEL), 0);
	EXPECT_FREE(&pa, "0 2-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_errors(void)
{
	struct potad pa;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "reterr", POTAD_ABSTRACT, 0, 1024, 1024, 10),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, 1024, 100), 0);
	EXPECT_FAIL(&pa, potad_retire(&pa, 1023, GFP_KERNEL, NULL), -EINVAL, 1);
	/* Not added (or withdrawn): memory-failure racing a withdraw. */
	EXPECT_FAIL(&pa, potad_retire(&pa, 1024 + 100, GFP_KERNEL, NULL), -ENOENT, 0);
	EXPECT_FAIL(&pa, potad_retire(&pa, 2048, GFP_KERNEL, NULL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_retire(&pa, ULONG_MAX, GFP_KERNEL, NULL), -EINVAL, 1);
	REQUIRE_EQ(potad_retire(&pa, 1024 + 99, GFP_KERNEL, NULL), 0);
	EXPECT_FAIL(&pa, potad_retire(&pa, 1024 + 99, GFP_KERNEL, NULL), -EALREADY, 0);
	EXPECT_FREE(&pa, "1024-1122");
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_enomem(void)
{
	struct potad pa;
	struct potad_stats b, a;
	long inj0 = potad_injected_failures;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	get_stats(&pa, &b);
	potad_fail_alloc_after = 0;
	CHECK_EQ(potad_retire(&pa, 7, GFP_ATOMIC, NULL), -ENOMEM);
	potad_fail_alloc_after = -1;
	CHECK_EQ(potad_injected_failures - inj0, 1);
	get_stats(&pa, &a);
	stats_equal(&b, &a, __FILE__, __LINE__, "retire ENOMEM");
	EXPECT_FREE(&pa, "0-63");
	REQUIRE_EQ(potad_retire(&pa, 7, GFP_ATOMIC, NULL), 0);
	EXPECT_FREE(&pa, "0-6 8-63");
	potad_destroy(&pa);
	types_teardown();
}

static void test_retire_all_then_withdraw(void)
{
	struct potad pa;
	struct potad_stats st;
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 32, 5));
	for (i = 0; i < 32; i += 2)
		REQUIRE_EQ(potad_retire(&pa, i, GFP_KERNEL, NULL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 16);
	CHECK_EQ(st.nr_free[0], 16);
	CHECK_INVARIANT(&pa);
	REQUIRE_EQ(potad_withdraw_range(&pa, 0, 32), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_total, 0);
	CHECK_EQ(st.units_retired, 0);
	CHECK_EQ(st.units_free, 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, 32), 0);
	EXPECT_FREE(&pa, "0-31");
	potad_destroy(&pa);
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* Stats, memory spaces, base offsets                                  */
/* ------------------------------------------------------------------ */

static void test_stats_counters(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *a, *b;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	a = alloc_big(&pa, 3);
	b = alloc_big(&pa, 3);
	REQUIRE(!IS_ERR(a) && !IS_ERR(b));
	CHECK_EQ(RESULT(alloc_big(&pa, 6)), -ENOSPC);
	CHECK_EQ(potad_free_range(&pa, a, 0, 2, GFP_KERNEL), 0);
	CHECK_EQ(potad_free_range(&pa, a, 2, 6, GFP_KERNEL), 0);
	CHECK_EQ(potad_free(&pa, b), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_allocs, 2);
	CHECK_EQ(st.nr_frees, 3);
	CHECK_EQ(st.alloc_failures, 1);
	CHECK_EQ(st.max_order, 6);
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();
}

/*
 * The index of a memory space: blocks below POTAD_CHUNK_SHIFT fill the
 * slots of their chunk's array (made when the chunk first holds one,
 * dropped when the chunk leaves the space), larger blocks have a
 * maple-tree entry.  Every unit of both kinds is found, a partial free of
 * a chunked block clears exactly its units, freeing them again is
 * refused, and an array that cannot be allocated fails the allocation
 * with -ENOMEM and nothing changed.
 */
/* Blocks per-cpu caches gave back (pa->pcp_drained), and their units. */
static long pcp_drained_blocks, pcp_drained_units;

static void pcp_drained(struct potad *pa, unsigned long start,
			unsigned int order)
{
	pcp_drained_blocks++;
	pcp_drained_units += 1L << order;
}

/* A memory space of 2^12 4 KiB units with per-cpu caches up to order 3. */
static void pcp_space(struct potad *pa)
{
	REQUIRE_EQ(potad_init(pa, "pcp", POTAD_MEMORY, 12, 1UL << 32, 4096,
			      63), 0);
	REQUIRE_EQ(potad_add_range(pa, 1UL << 32, 4096), 0);
	REQUIRE_EQ(potad_pcp_init(pa, 3), 0);
	pa->pcp_drained = pcp_drained;
	pcp_drained_blocks = 0;
	pcp_drained_units = 0;
}

/*
 * Per-cpu caches: an allocation refills the CPU's cache with a batch of
 * the lowest blocks and a free puts the block back there, with a new
 * descriptor each time; the counters see cached units as free; a full
 * cache gives a batch back; a drain merges everything back; and the
 * caches take no block someone else references.
 */
static void test_pcp_cache(void)
{
	const unsigned long base = 1UL << 32;
	struct potad_desc *d, *e, *all[64];
	struct potad_stats st;
	struct potad pa;
	unsigned long start;
	int i;

	types_setup();
	pcp_space(&pa);
	/* The chunk has no index array yet: the locked path makes it. */
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 0);
	EXPECT_FAIL(&pa, potad_pcp_init(&pa, 3), -EINVAL, 1);
	start = d->start;
	CHECK_EQ(potad_free(&pa, d), 0);
	rcu_barrier();				/* d is gone */
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 1);
	CHECK_EQ(st.units_free, 4096);
	CHECK_EQ(st.nr_free[12], 0);		/* not merged back */
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.nr_allocs, 1);
	CHECK_EQ(st.nr_frees, 1);
	rcu_read_lock();
	CHECK(!potad_lookup((phys_addr_t)start << 12));
	rcu_read_unlock();
	/* The same block again, under a new descriptor that lookups find. */
	e = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(e));
	CHECK_EQ(e->start, start);
	CHECK_EQ(e->state, POTAD_DESC_LIVE);
	rcu_read_lock();
	CHECK(potad_lookup((phys_addr_t)start << 12) == e);
	rcu_read_unlock();
	/* An empty cache takes a batch, lowest first. */
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base + 1);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 7);
	CHECK_EQ(st.units_free, 4094);
	CHECK_EQ(st.units_allocated, 2);
	CHECK_EQ(potad_free(&pa, d), 0);

	/* Referenced: the free waits for the reference, on the locked path. */
	CHECK(potad_desc_tryget(e));
	CHECK_EQ(potad_free(&pa, e), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 8);
	CHECK_EQ(st.units_deferred, 1);
	potad_desc_put(e);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 8);
	CHECK_EQ(st.units_allocated, 0);

	/* Past the high mark a free gives a batch of the oldest back. */
	for (i = 0; i < 40; i++) {
		all[i] = alloc_big(&pa, 0);
		REQUIRE(!IS_ERR(all[i]));
	}
	for (i = 0; i < 40; i++)
		CHECK_EQ(potad_free(&pa, all[i]), 0);
	get_stats(&pa, &st);
	CHECK(st.units_cached <= 32);
	CHECK(pcp_drained_blocks >= 8);
	CHECK_EQ(st.units_cached + pcp_drained_units, 40);
	CHECK_EQ(st.units_allocated, 0);
	/* A block of order 4 is not cached. */
	d = alloc_big(&pa, 4);
	REQUIRE(!IS_ERR(d));
	CHECK(d->flags & POTAD_DESC_CHUNKED);
	CHECK_EQ(potad_free(&pa, d), 0);
	get_stats(&pa, &st);
	CHECK(st.units_cached <= 32);
	potad_pcp_drain(&pa);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 0);
	CHECK_EQ(st.nr_free[12], 1);
	CHECK_EQ(st.units_free, 4096);
	CHECK_EQ(pcp_drained_units, 40);
	potad_destroy(&pa);
	types_teardown();
}

/*
 * What needs the exact state of units bypasses and drains the caches: a
 * cached unit retired stays out for good, a unit retired inside an
 * allocated block keeps the block out of the caches when it is freed,
 * withdrawing cached units works, and giving back (potad_take_range())
 * a range with cached units is refused until they are drained.
 */
static void test_pcp_retire_withdraw(void)
{
	const unsigned long base = 1UL << 32;
	static struct potad_desc *all[4096];
	unsigned long start;
	struct potad_stats st;
	struct potad_desc *d;
	struct potad pa;
	int i, n;

	types_setup();
	pcp_space(&pa);
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_free(&pa, d), 0);
	/* base is cached now: retired, it is never handed out again. */
	CHECK_EQ(potad_retire(&pa, base, GFP_KERNEL, NULL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 0);
	CHECK_EQ(st.units_retired, 1);
	for (n = 0; n < 4096; n++) {
		all[n] = potad_alloc(&pa, &t_big, 0, NULL, GFP_KERNEL);
		if (IS_ERR(all[n]))
			break;
		CHECK(all[n]->start != base);
	}
	CHECK_EQ(n, 4095);
	for (i = 0; i < n; i++)
		CHECK_EQ(potad_free(&pa, all[i]), 0);

	/* Retired while allocated: its free goes the locked way. */
	potad_pcp_drain(&pa);
	d = potad_alloc_at(&pa, &t_big, base + 8, 3, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_retire(&pa, base + 9, GFP_KERNEL, NULL), 0);
	CHECK(d->flags & POTAD_DESC_RETIRED);
	potad_pcp_drain(&pa);
	CHECK_EQ(potad_free(&pa, d), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 0);
	CHECK_EQ(st.units_retired, 2);
	EXPECT_FREE(&pa, "4294967297-4294967304 4294967306-4294971391");

	/* Cached units are free to withdraw, not to give back. */
	d = alloc_big(&pa, 1);
	REQUIRE(!IS_ERR(d));
	start = d->start;
	CHECK_EQ(potad_free(&pa, d), 0);
	get_stats(&pa, &st);
	CHECK(st.units_cached > 0);
	CHECK_EQ(potad_take_range(&pa, base + 2048, 2048, GFP_KERNEL), 0);
	CHECK_EQ(potad_take_range(&pa, start, 2, GFP_KERNEL), -EBUSY);
	CHECK_EQ(potad_withdraw_range(&pa, start, 2), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_cached, 0);
	CHECK_EQ(st.units_total, 4096 - 2048 - 2);
	potad_destroy(&pa);
	types_teardown();
}

static void test_chunked_index(void)
{
	const unsigned long chunk = 1UL << POTAD_CHUNK_SHIFT;
	unsigned long base = 1UL << 32, i;	/* 16 TiB in 4 KiB units */
	struct potad_desc *small, *big, *d;
	struct potad_stats b, a;
	struct potad pa;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "chunked", POTAD_MEMORY, 12, base,
			      4 * chunk, 63), 0);
	REQUIRE_EQ(potad_add_range(&pa, base, 4 * chunk), 0);
	get_stats(&pa, &b);
	CHECK_EQ(b.index_chunks, 0);
	/* No array yet and none can be had: nothing changes. */
	potad_fail_alloc_after = 1;	/* the descriptor succeeds */
	d = potad_alloc(&pa, &t_big, 3, NULL, GFP_KERNEL);
	potad_fail_alloc_after = -1;
	CHECK_EQ(RESULT(d), -ENOMEM);
	get_stats(&pa, &a);
	stats_equal(&b, &a, __FILE__, __LINE__, "chunk ENOMEM");
	EXPECT_FREE(&pa, "4294967296-4294971391");

	small = potad_alloc(&pa, &t_big, POTAD_CHUNK_SHIFT - 1, NULL,
			    GFP_KERNEL);
	REQUIRE(!IS_ERR(small));
	big = potad_alloc(&pa, &t_big, POTAD_CHUNK_SHIFT + 1, NULL,
			  GFP_KERNEL);
	REQUIRE(!IS_ERR(big));
	CHECK(small->flags & POTAD_DESC_CHUNKED);
	CHECK(!(big->flags & POTAD_DESC_CHUNKED));
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 1);
	rcu_read_lock();
	for (i = 0; i < 4 * chunk; i++) {
		phys_addr_t phys = (phys_addr_t)(base + i) << 12;
		struct potad_desc *want = NULL;

		if (i >= small->start - base &&
		    i < small->start - base + potad_desc_units(small))
			want = small;
		else if (i >= big->start - base &&
			 i < big->start - base + potad_desc_units(big))
			want = big;
		if (!CHECK(potad_lookup(phys + 4095) == want))
			break;
	}
	rcu_read_unlock();
	/* The middle of the small block, then the rest of it. */
	CHECK_EQ(potad_free_range(&pa, small, small->start + 8, 8, GFP_ATOMIC),
		 0);
	rcu_read_lock();
	CHECK(!potad_lookup((phys_addr_t)(small->start + 8) << 12));
	CHECK(!potad_lookup((phys_addr_t)(small->start + 15) << 12));
	CHECK(potad_lookup((phys_addr_t)(small->start + 7) << 12) == small);
	CHECK(potad_lookup((phys_addr_t)(small->start + 16) << 12) == small);
	rcu_read_unlock();
	EXPECT_FAIL(&pa, potad_free_range(&pa, small, small->start + 12, 8,
					  GFP_ATOMIC), -EINVAL, 1);
	CHECK_EQ(potad_free_range(&pa, small, small->start, 8, GFP_ATOMIC), 0);
	CHECK_EQ(potad_free_range(&pa, small, small->start + 16,
				  potad_desc_units(small) - 16, GFP_ATOMIC), 0);
	CHECK_EQ(potad_free(&pa, big), 0);
	rcu_read_lock();
	for (i = 0; i < 4 * chunk; i++)
		if (!CHECK(!potad_lookup((phys_addr_t)(base + i) << 12)))
			break;
	rcu_read_unlock();
	/* The array stays while its chunk is in the space... */
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 1);
	CHECK_EQ(a.units_allocated, 0);
	/* ... and goes with it, not with a neighbour. */
	CHECK_EQ(potad_withdraw_range(&pa, base + chunk, chunk), 0);
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 1);
	CHECK_EQ(potad_withdraw_range(&pa, base, chunk / 2), 0);
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 1);
	CHECK_EQ(potad_withdraw_range(&pa, base + chunk / 2, chunk / 2), 0);
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 0);
	/* Back in the space: a new array for it. */
	CHECK_EQ(potad_add_range(&pa, base, chunk), 0);
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base);
	get_stats(&pa, &a);
	CHECK_EQ(a.index_chunks, 1);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_memory_space_512(void)
{
	struct potad pa;
	struct potad_desc *d;
	unsigned long base = (1UL << 32) >> 9;	/* 4 GiB */

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "mem512", POTAD_MEMORY, 9, base,
			      (16UL << 20) >> 9, 63), 0);
	REQUIRE_EQ(potad_add_range(&pa, base, (16UL << 20) >> 9), 0);
	d = alloc_big(&pa, 3);		/* 4 KiB */
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base);
	CHECK_EQ(potad_desc_phys(d), 1ULL << 32);
	CHECK_EQ(potad_desc_bytes(d), 4096);
	CHECK_EQ(potad_free(&pa, d), 0);
	d = potad_alloc_at(&pa, &t_big, base + (1UL << 15), 15, NULL,
			   GFP_KERNEL);
	CHECK_EQ(RESULT(d), -EINVAL);		/* past the end */
	expect_warns(1);
	d = potad_alloc_at(&pa, &t_big, base + (1UL << 14), 14, NULL,
			   GFP_KERNEL);		/* 8 MiB at 4 GiB + 8 MiB */
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_desc_phys(d), (1ULL << 32) + (8ULL << 20));
	CHECK_EQ(potad_desc_bytes(d), 8ULL << 20);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
}

static void test_tiny_space(void)
{
	struct potad pa;
	struct potad_desc *d;
	struct potad_stats st;

	types_setup();
	REQUIRE(setup_space(&pa, 77, 1, 9));	/* one unit, any base */
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 0);
	EXPECT_FAIL(&pa, alloc_big(&pa, 1), -EINVAL, 1);
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, 77);
	EXPECT_NOSPACE(&pa, alloc_big(&pa, 0), -ENOSPC);
	CHECK_EQ(potad_retire(&pa, 77, GFP_KERNEL, NULL), 0);
	CHECK_EQ(potad_free(&pa, d), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 1);
	CHECK_EQ(st.units_free, 0);
	CHECK_EQ(potad_withdraw_range(&pa, 77, 1), 0);
	CHECK_EQ(potad_add_range(&pa, 77, 1), 0);
	EXPECT_FREE(&pa, "77");
	potad_destroy(&pa);
	types_teardown();
}

/* The last unit numbers: nothing may wrap around. */
/*
 * The top of the unit numbers: POTAD_ANY (ULONG_MAX) is not a unit, so the
 * highest space ends at ULONG_MAX - 1; a memory space ends at the last
 * phys_addr_t.
 */
static void test_top_of_unit_space(void)
{
	const unsigned long base = ULONG_MAX - 4095, top = ULONG_MAX - 1;
	const unsigned long mbase = (1UL << 52) - 4096;	/* 4 KiB units */
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *d, **all = calloc(4096, sizeof(*all));
	int i, n = 0;

	types_setup();
	REQUIRE(setup_space(&pa, base, 4095, 12));
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 11);
	EXPECT_FREE(&pa, "0xfffffffffffff000-0xfffffffffffffffe");
	d = alloc_big(&pa, 0);		/* the only order-0 block: the top */
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, top);
	CHECK_EQ(RESULT(potad_free_range(&pa, d, top, 2, GFP_KERNEL)), -EINVAL);
	expect_warns(1);
	CHECK_EQ(potad_free(&pa, d), 0);
	d = alloc_big(&pa, 11);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base);
	CHECK_EQ(RESULT(potad_free_range(&pa, d, ULONG_MAX, 2, GFP_KERNEL)), -EINVAL);
	expect_warns(1);
	CHECK_EQ(potad_free_range(&pa, d, base + 2046, 2, GFP_KERNEL), 0);
	CHECK_EQ(potad_free_range(&pa, d, base, 2046, GFP_KERNEL), 0);
	EXPECT_FAIL(&pa, potad_add_range(&pa, ULONG_MAX, 2), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_add_range(&pa, ULONG_MAX, 1), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, ULONG_MAX, 2), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_withdraw_range(&pa, top, 2), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_retire(&pa, ULONG_MAX, GFP_KERNEL, NULL), -EINVAL, 1);
	CHECK_EQ(potad_retire(&pa, top, GFP_KERNEL, NULL), 0);
	for (;;) {
		d = alloc_big(&pa, 0);
		if (IS_ERR(d))
			break;
		all[n++] = d;
	}
	CHECK_EQ(n, 4094);
	for (i = 0; i < n; i++) {
		CHECK(all[i]->start != top);
		CHECK_EQ(potad_free(&pa, all[i]), 0);
	}
	EXPECT_FREE(&pa, "0xfffffffffffff000-0xfffffffffffffffd");
	CHECK_EQ(potad_withdraw_range(&pa, top - 15, 16), 0);
	CHECK_EQ(potad_add_range(&pa, top - 15, 16), 0);
	EXPECT_FREE(&pa, "0xfffffffffffff000-0xfffffffffffffffe");
	potad_destroy(&pa);

	/* 16 MiB ending at the last byte of the physical address space. */
	REQUIRE_EQ(potad_init(&pa, "topmem", POTAD_MEMORY, 12, mbase, 4096, 12),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, mbase, 4096), 0);
	d = alloc_big(&pa, 12);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(potad_desc_phys(d), PHYS_ADDR_MAX - (1ULL << 24) + 1);
	CHECK_EQ(potad_desc_bytes(d), 1ULL << 24);
	CHECK_EQ(potad_free(&pa, d), 0);
	potad_destroy(&pa);
	types_teardown();
	free(all);
}

static void test_base_offset(void)
{
	struct potad pa;
	struct potad_desc *d;
	const unsigned long base = 7UL << 40;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "based", POTAD_ABSTRACT, 0, base, 4096, 12),
		   0);
	REQUIRE_EQ(potad_add_range(&pa, base + 1, 4095), 0);
	EXPECT_FREE(&pa, "0x70000000001-0x70000000fff");
	d = alloc_big(&pa, 0);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base + 1);
	CHECK_EQ(potad_free(&pa, d), 0);
	d = alloc_big(&pa, 11);
	REQUIRE(!IS_ERR(d));
	CHECK_EQ(d->start, base + 2048);
	CHECK_EQ(potad_free(&pa, d), 0);
	REQUIRE_EQ(potad_add_range(&pa, base, 1), 0);
	EXPECT_FREE(&pa, "0x70000000000-0x70000000fff");
	potad_destroy(&pa);
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* debugfs (mm/potad_debug.c, when built in)                           */
/* ------------------------------------------------------------------ */

static struct potad_debugfs_file *dbg_file(const char *name)
{
	int i;

	for (i = 0; i < potad_shim_debugfs_count(); i++) {
		struct potad_debugfs_file *f = potad_shim_debugfs_get(i);

		if (!f->removed && !strcmp(f->name, name))
			return f;
	}
	return NULL;
}

static long dbg_cmd(struct potad_debugfs_file *f, const char *cmd)
{
	long ret = potad_shim_debugfs_write(f, cmd, strlen(cmd));

	return ret == (long)strlen(cmd) ? 0 : ret;
}

static void test_debugfs(void)
{
	struct potad_debugfs_file *inst = dbg_file("instances");
	struct potad_debugfs_file *types = dbg_file("types");
	struct potad_debugfs_file *t = dbg_file("test");
	static char buf[1 << 16];
	struct potad pa;

	if (!inst && !types && !t) {
		printf("#   no debugfs files (mm/potad_debug.c not built in)\n");
		return;
	}
	REQUIRE(inst && types && t);
	types_setup();
	REQUIRE(setup_space(&pa, 0, 1024, 10));
	CHECK(potad_shim_debugfs_read(inst, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "instance test\n"));
	CHECK(strstr(buf, "units_total 1024\n"));
	CHECK(strstr(buf, "nr_free 10 1\n"));
	CHECK(potad_shim_debugfs_read(types, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "type test_big size 360 flags 0\n"));
	CHECK(strstr(buf, "type test_cm size"));
	potad_destroy(&pa);

	/* The kselftest's command interface. */
	CHECK_EQ(dbg_cmd(t, "alloc 0"), -ENODEV);
	CHECK_EQ(dbg_cmd(t, "init 1024 10"), 0);
	CHECK_EQ(dbg_cmd(t, "add 0 1024"), 0);
	CHECK_EQ(dbg_cmd(t, "alloc 3"), 0);
	CHECK(potad_shim_debugfs_read(t, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "last 0 3\n"));
	CHECK_EQ(dbg_cmd(t, "alloc_at 512 8"), 0);
	CHECK_EQ(dbg_cmd(t, "alloc_at 512 8"), -EBUSY);
	CHECK_EQ(dbg_cmd(t, "free_range 2 3"), 0);
	CHECK_EQ(dbg_cmd(t, "free 0"), -EINVAL);	/* partly freed */
	expect_warns(1);
	CHECK_EQ(dbg_cmd(t, "free_range 2 1"), -EINVAL);	/* twice */
	expect_warns(1);
	CHECK_EQ(dbg_cmd(t, "retire 600"), 0);
	CHECK_EQ(dbg_cmd(t, "retire 600"), -EALREADY);
	CHECK_EQ(dbg_cmd(t, "withdraw 900 100"), 0);
	CHECK_EQ(dbg_cmd(t, "withdraw 500 100"), -EBUSY);
	CHECK_EQ(dbg_cmd(t, "free 513"), -ENOENT);
	CHECK_EQ(dbg_cmd(t, "bogus"), -EINVAL);
	CHECK(potad_shim_debugfs_read(t, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "units_total 924\n"));
	CHECK(strstr(buf, "block 512 8 256\n"));
	CHECK(strstr(buf, "block 0 3 5\n"));
	/* destroy frees what is left, partial blocks included. */
	CHECK_EQ(dbg_cmd(t, "destroy"), 0);
	CHECK_EQ(dbg_cmd(t, "alloc 0"), -ENODEV);
	types_teardown();
}

/* ------------------------------------------------------------------ */
/* The 1.5 TiB space and metadata                                      */
/* ------------------------------------------------------------------ */

static void test_big_1_5tib(void)
{
	const unsigned long span = 3UL << 27;	/* 1.5 TiB of 4 KiB units */
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *a, *b;
	long m0 = potad_mem_bytes, meta;
	uint64_t t0 = now_ns();

	types_setup();
	m0 = potad_mem_bytes;
	REQUIRE_EQ(potad_init(&pa, "big", POTAD_MEMORY, 12, 0, span, 63), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, span), 0);
	meta = potad_mem_bytes - m0;
	get_stats(&pa, &st);
	CHECK_EQ(st.max_order, 28);
	CHECK_EQ(st.units_total, span);
	CHECK_EQ(st.units_free, span);
	CHECK_EQ(st.nr_free[28], 1);
	CHECK_EQ(st.nr_free[27], 1);

	a = alloc_big(&pa, 28);			/* 1 TiB */
	REQUIRE(!IS_ERR(a));
	CHECK_EQ(a->start, 0);
	CHECK(IS_ALIGNED(potad_desc_phys(a), 1ULL << 40));
	CHECK_EQ(potad_desc_bytes(a), 1ULL << 40);
	CHECK_EQ(RESULT(alloc_big(&pa, 28)), -ENOSPC);
	b = alloc_big(&pa, 27);			/* the 512 GiB rest */
	REQUIRE(!IS_ERR(b));
	CHECK_EQ(b->start, 1UL << 28);
	CHECK_EQ(potad_desc_phys(b), 1ULL << 40);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_free, 0);
	CHECK_EQ(st.units_allocated, span);
	CHECK_EQ(potad_free(&pa, a), 0);
	CHECK_EQ(potad_free(&pa, b), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[28], 1);
	CHECK_EQ(st.nr_free[27], 1);
	CHECK_EQ(st.units_free, span);
	CHECK_INVARIANT(&pa);

	/* Some small traffic at the far end. */
	a = potad_alloc_at(&pa, &t_big, span - 1, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(a));
	CHECK_EQ(potad_retire(&pa, span - 2, GFP_KERNEL, NULL), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[28], 1);
	CHECK_EQ(st.nr_free[27], 0);
	CHECK_EQ(st.nr_free[0], 0);	/* span-3 pairs with span-4 */
	CHECK_EQ(potad_free(&pa, a), 0);
	b = alloc_big(&pa, 0);		/* lowest order-0 block: span - 1 */
	REQUIRE(!IS_ERR(b));
	CHECK_EQ(b->start, span - 1);
	CHECK_EQ(potad_free(&pa, b), 0);
	CHECK_INVARIANT(&pa);
	potad_destroy(&pa);
	types_teardown();

	tap_info("# metadata: %ld bytes for 1.5 TiB of 4 KiB units (%ld bytes per GiB, %.5f%% of the space)\n",
		 meta, meta / 1536, 100.0 * meta / (1.5 * (1ULL << 40)));
	CHECK(meta * 10000.0 < 1.5 * (1ULL << 40));	/* < 0.01% */
	printf("#   (1.5 TiB test took %.1f ms)\n", (now_ns() - t0) / 1e6);
}

static void test_metadata_512b_1gib(void)
{
	struct potad pa;
	long m0 = potad_mem_bytes, meta;

	REQUIRE_EQ(potad_init(&pa, "meta512", POTAD_MEMORY, 9, 0,
			      (1UL << 30) >> 9, 63), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, (1UL << 30) >> 9), 0);
	meta = potad_mem_bytes - m0;
	tap_info("# metadata: %ld bytes for 1 GiB of 512 B units (%ld bytes per GiB, %.4f%% of the space)\n",
		 meta, meta, 100.0 * meta / (1UL << 30));
	potad_destroy(&pa);
	/* And 4 KiB units, 1 GiB. */
	m0 = potad_mem_bytes;
	REQUIRE_EQ(potad_init(&pa, "meta4k", POTAD_MEMORY, 12, 0,
			      (1UL << 30) >> 12, 63), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0, (1UL << 30) >> 12), 0);
	meta = potad_mem_bytes - m0;
	tap_info("# metadata: %ld bytes for 1 GiB of 4 KiB units (%ld bytes per GiB, %.5f%% of the space)\n",
		 meta, meta, 100.0 * meta / (1UL << 30));
	CHECK(meta * 10000.0 < (1UL << 30));
	potad_destroy(&pa);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define THREADS		4
#define THREAD_OPS	20000

struct thread_arg {
	struct potad *pa;
	uint64_t seed;
	long failures;
	struct cm_desc *cms;
	long lookups, pinned;	/* reader: lookups that found, pinned */
	long holes;		/* writers: frees made to fail their node */
	int cpu;		/* potad_shim_cpu: whose per-cpu cache */
	bool *stop;
};

static void *thread_fn(void *p)
{
	struct thread_arg *ta = p;
	struct rng r = { ta->seed };
	struct potad_desc *live[256];
	bool memory = ta->pa->flags == POTAD_MEMORY;
	int n = 0, i;

	potad_shim_cpu = ta->cpu;
	for (i = 0; i < THREAD_OPS; i++) {
		if (n < 256 && (n == 0 || rng_pct(&r, 55))) {
			unsigned int order = rng_below(&r, 5);
			struct potad_desc *d;

			/* Both kinds of index entry: chunk slots and blocks. */
			if (memory && rng_pct(&r, 10))
				order = POTAD_CHUNK_SHIFT + rng_below(&r, 3);

			if (rng_pct(&r, 30)) {
				struct cm_desc *c = &ta->cms[i];

				if (potad_alloc_desc(ta->pa, &c->d, &t_cm,
						     POTAD_ANY, order, NULL, GFP_KERNEL))
					continue;
				d = &c->d;
			} else {
				d = potad_alloc(ta->pa, &t_big, order, NULL,
						GFP_KERNEL);
				if (IS_ERR(d)) {
					if (PTR_ERR(d) != -ENOSPC)
						ta->failures++;
					continue;
				}
			}
			if (!IS_ALIGNED(d->start, 1UL << order) ||
			    d->order != order || d->potad != ta->pa)
				ta->failures++;
			live[n++] = d;
		} else {
			int j = rng_below(&r, n);
			struct potad_desc *d = live[j];

			live[j] = live[--n];
			if (d->order && rng_pct(&r, 30)) {
				unsigned long half = 1UL << (d->order - 1);
				unsigned long s = d->start;

				if (potad_free_range(ta->pa, d, s + half, half, GFP_KERNEL) ||
				    potad_free_range(ta->pa, d, s, half, GFP_KERNEL))
					ta->failures++;
			} else if (memory && rng_pct(&r, 5)) {
				/* Thread-local: only this free's node fails. */
				potad_fail_alloc_after = 0;
				if (potad_free(ta->pa, d))
					ta->failures++;
				if (potad_fail_alloc_after < 0)
					ta->holes++;
				potad_fail_alloc_after = -1;
			} else if (potad_free(ta->pa, d)) {
				ta->failures++;
			}
		}
	}
	while (n)
		if (potad_free(ta->pa, live[--n]))
			ta->failures++;
	return NULL;
}

static void *stats_thread_fn(void *p)
{
	struct thread_arg *ta = p;
	struct potad_stats st;
	int i;

	potad_shim_cpu = ta->cpu;
	for (i = 0; i < THREAD_OPS; i++) {
		unsigned long sum = 0;
		int k;

		potad_get_stats(ta->pa, &st);
		for (k = 0; k < POTAD_NR_ORDERS; k++)
			sum += st.nr_free[k] << k;
		if (st.units_total != st.units_free + st.units_allocated +
				      st.units_retired ||
		    sum != st.units_free - st.units_cached)
			ta->failures++;
	}
	return NULL;
}

#define THREAD_BASE	BIT(30)		/* memory space: 4 TiB, 4 KiB units */
/* Units of the memory space: room for blocks above the chunked orders. */
#define THREAD_SPAN	BIT(POTAD_CHUNK_SHIFT + 4)

/* Is @phys @d's, or freed by @d's owner, and nobody else's? */
static bool pin_holds(struct potad_desc *d, phys_addr_t phys)
{
	struct potad_desc *other;
	bool ok;

	rcu_read_lock();
	other = potad_lookup(phys);
	ok = !other || other == d;
	rcu_read_unlock();
	return ok && phys >= potad_desc_phys(d) &&
	       phys - potad_desc_phys(d) < potad_desc_bytes(d);
}

#define LOOKUP_PINS	3

/*
 * Memory spaces: lookups that must find a block holding the address, and
 * pins that must keep the address the block's until they are dropped.
 * Up to three pins are held at once, dropped in random order, so that
 * blocks carry several references (the lockless put) while their owners
 * free them.
 */
static void *lookup_thread_fn(void *p)
{
	struct thread_arg *ta = p;
	struct rng r = { ta->seed };
	struct potad_desc *pins[LOOKUP_PINS], *d;
	phys_addr_t at[LOOKUP_PINS], phys;
	int n = 0, j;

	potad_shim_cpu = ta->cpu;
	while (!__atomic_load_n(ta->stop, __ATOMIC_ACQUIRE)) {
		phys = ((phys_addr_t)(THREAD_BASE + rng_below(&r, THREAD_SPAN)) << 12) +
		       rng_below(&r, 4096);
		if (rng_pct(&r, 50)) {
			rcu_read_lock();
			d = potad_lookup(phys);
			if (d && (phys < potad_desc_phys(d) ||
				  phys - potad_desc_phys(d) >= potad_desc_bytes(d)))
				ta->failures++;
			rcu_read_unlock();
			ta->lookups += !!d;
			continue;
		}
		if (n == LOOKUP_PINS) {
			j = rng_below(&r, n);
			if (!pin_holds(pins[j], at[j]))
				ta->failures++;
			potad_desc_put(pins[j]);
			pins[j] = pins[--n];
			at[j] = at[n];
		}
		/* Often the same block again: several references on one. */
		if (n && rng_pct(&r, 50))
			phys = at[rng_below(&r, n)];
		d = potad_lookup_get(phys);
		if (!d)
			continue;
		ta->pinned++;
		if (!pin_holds(d, phys))
			ta->failures++;
		pins[n] = d;
		at[n++] = phys;
	}
	while (n--) {
		if (!pin_holds(pins[n], at[n]))
			ta->failures++;
		potad_desc_put(pins[n]);
	}
	return NULL;
}

/* Work items (index placeholders) run while the others allocate. */
static void *work_thread_fn(void *p)
{
	struct thread_arg *ta = p;

	potad_shim_cpu = ta->cpu;
	while (!__atomic_load_n(ta->stop, __ATOMIC_ACQUIRE))
		if (!potad_shim_run_work())
			sched_yield();
	return NULL;
}

static void run_threads(bool memory, bool pcp)
{
	struct potad pa;
	pthread_t th[THREADS + 3];
	struct thread_arg ta[THREADS + 3];
	struct potad_stats st;
	bool stop = false;
	long holes = 0;
	int i, nr = THREADS + (memory ? 3 : 1);

	types_setup();
	if (memory) {
		REQUIRE_EQ(potad_init(&pa, "threads", POTAD_MEMORY, 12,
				      THREAD_BASE, THREAD_SPAN, 63), 0);
		REQUIRE_EQ(potad_add_range(&pa, THREAD_BASE, THREAD_SPAN), 0);
		if (pcp)
			REQUIRE_EQ(potad_pcp_init(&pa, 3), 0);
	} else {
		REQUIRE(setup_space(&pa, 0, 2048, 11));
	}
	for (i = 0; i < nr; i++) {
		void *(*fn)(void *) = i < THREADS ? thread_fn :
				      i == THREADS ? stats_thread_fn :
				      i == THREADS + 1 ? lookup_thread_fn :
				      work_thread_fn;

		ta[i] = (struct thread_arg){ .pa = &pa, .seed = 1000 + i,
					     .cpu = i % POTAD_SHIM_NR_CPUS,
					     .stop = &stop };
		ta[i].cms = calloc(THREAD_OPS, sizeof(struct cm_desc));
		pthread_create(&th[i], NULL, fn, &ta[i]);
	}
	for (i = 0; i <= THREADS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = THREADS + 1; i < nr; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < nr; i++) {
		CHECK_EQ(ta[i].failures, 0);
		holes += ta[i].holes;
	}
	potad_shim_run_work();
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 0);
	CHECK_EQ(st.index_holes, 0);
	CHECK(st.nr_frees >= st.nr_allocs);
	if (pcp) {
		/* The caches were used, and give everything back. */
		CHECK(st.units_cached > 0);
		potad_pcp_drain(&pa);
		get_stats(&pa, &st);
		CHECK_EQ(st.units_cached, 0);
		CHECK_EQ(st.units_free, THREAD_SPAN);
	}
	EXPECT_FREE(&pa, memory ? "1073741824-1073758207" : "0-2047");
	if (memory) {
		/* Every path ran, and the index is empty again. */
		CHECK(holes > 0);
		CHECK(ta[THREADS + 1].lookups > 0);
		CHECK(ta[THREADS + 1].pinned > 0);
		tap_info("# threads_%s: %ld placeholders, %ld lookups found a block, %ld pinned\n",
			 pcp ? "pcp" : "memory", holes,
			 ta[THREADS + 1].lookups, ta[THREADS + 1].pinned);
		rcu_read_lock();
		for (i = 0; i < THREAD_SPAN; i++)
			CHECK(!potad_lookup((phys_addr_t)(THREAD_BASE + i) << 12));
		rcu_read_unlock();
	}
	potad_destroy(&pa);
	for (i = 0; i < nr; i++)
		free(ta[i].cms);
	types_teardown();
}

static void test_threads(void)
{
	run_threads(false, false);
}

/* The same over memory: the index, lookups and its work item too. */
static void test_threads_memory(void)
{
	run_threads(true, false);
}

/*
 * The same with per-cpu caches, each thread on a "CPU" of its own: frees
 * into the caches race with lookups that pin (potad_lookup_get()) and
 * with partial and placeholder-leaving frees on the locked path.
 */
static void test_threads_pcp(void)
{
	run_threads(true, true);
}

/* ------------------------------------------------------------------ */
/* lib/maple_tree.c in the harness (maple.c)                           */
/* ------------------------------------------------------------------ */

#define MAPLE_SMOKE_RANGES	100000UL
#define MAPLE_SMOKE_STRIDE	10UL	/* range i is [10 i, 10 i + 4] */
#define MAPLE_SMOKE_READERS	2

#ifdef CONFIG_DEBUG_MAPLE_TREE
/* lib/maple_tree.c's userspace debug hook: maple nodes allocated. */
unsigned int mt_nr_allocated(void);
#define maple_smoke_nodes()	((long)mt_nr_allocated())
#else
#define maple_smoke_nodes()	0L
#endif

struct maple_smoke {
	struct maple_tree mt;
	spinlock_t lock;		/* the tree's external lock */
	unsigned long nomem_retries;	/* mas_nomem() that allocated */
	bool stop;			/* readers: writer done */
	long reader_errors;
	long reader_loads;
};

static unsigned long maple_smoke_first(unsigned long i)
{
	return i * MAPLE_SMOKE_STRIDE;
}

static unsigned long maple_smoke_last(unsigned long i)
{
	return i * MAPLE_SMOKE_STRIDE + 4;
}

/*
 * Store @entry over [first, last] as a user of an externally locked tree
 * does: under the lock, mas_store() with the tree's GFP_NOWAIT
 * allocations, and on -ENOMEM drop the lock for mas_nomem(GFP_KERNEL)
 * and retry.  Returns 0 or the error of the store.
 */
static int maple_smoke_store(struct maple_smoke *ms, unsigned long first,
			     unsigned long last, void *entry)
{
	MA_STATE(mas, &ms->mt, first, last);
	int ret = 0;
	bool more;

	spin_lock(&ms->lock);
	for (;;) {
		mas_store(&mas, entry);
		if (!mas_is_err(&mas))
			break;
		ret = xa_err(mas.node);
		if (ret != -ENOMEM)
			break;
		spin_unlock(&ms->lock);
		more = mas_nomem(&mas, GFP_KERNEL);
		spin_lock(&ms->lock);
		if (!more)
			break;
		ms->nomem_retries++;
		ret = 0;
		/* A NULL store may have widened the range: restart it. */
		mas_set_range(&mas, first, last);
	}
	mas_destroy(&mas);
	spin_unlock(&ms->lock);
	return ret;
}

/* Entries of the tree, counted with mas_find() under RCU. */
static unsigned long maple_smoke_count(struct maple_smoke *ms)
{
	MA_STATE(mas, &ms->mt, 0, 0);
	unsigned long n = 0;
	void *entry;

	rcu_read_lock();
	while ((entry = mas_find(&mas, ULONG_MAX)))
		n++;
	rcu_read_unlock();
	return n;
}

/*
 * Readers while odd ranges are erased: every even range keeps its value,
 * every odd one has its value or nothing (ASan catches a node freed
 * under a reader).
 */
static void *maple_smoke_reader(void *arg)
{
	struct maple_smoke *ms = arg;
	struct rng rng = { .s = (uintptr_t)&rng };
	unsigned long i, index;
	void *entry;

	while (!__atomic_load_n(&ms->stop, __ATOMIC_ACQUIRE)) {
		i = rng_below(&rng, MAPLE_SMOKE_RANGES);
		index = maple_smoke_first(i) + rng_below(&rng, 5);
		rcu_read_lock();
		entry = mtree_load(&ms->mt, index);
		rcu_read_unlock();
		if (entry ? entry != xa_mk_value(i) : !(i & 1))
			__atomic_fetch_add(&ms->reader_errors, 1,
					   __ATOMIC_RELAXED);
		__atomic_fetch_add(&ms->reader_loads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * The maple tree as POTAD's index uses it: RCU mode, external spinlock,
 * stores under the lock with the mas_nomem() retry, lockless loads,
 * failure to allocate, destruction with RCU-freed nodes.
 */
static void test_maple_smoke(void)
{
	unsigned long i, j, index, count, retries, allocs;
	struct maple_smoke *ms;
	pthread_t readers[MAPLE_SMOKE_READERS];
	long injected;
	void *entry;
	bool ok;

	ms = calloc(1, sizeof(*ms));
	REQUIRE(ms);
	spin_lock_init(&ms->lock);
	mt_init_flags(&ms->mt, MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&ms->mt, &ms->lock);
	REQUIRE(mt_external_lock(&ms->mt) && mt_in_rcu(&ms->mt));

	/*
	 * 100k ranges in a scattered order; every 1000th store finds its
	 * first node allocation failing, to go through mas_nomem().
	 */
	for (i = 0; i < MAPLE_SMOKE_RANGES; i++) {
		j = i * 7919 % MAPLE_SMOKE_RANGES;
		if (!(i % 1000))
			potad_fail_alloc_after = 0;
		if (!CHECK_EQ(maple_smoke_store(ms, maple_smoke_first(j),
						maple_smoke_last(j),
						xa_mk_value(j)), 0))
			break;
		potad_fail_alloc_after = -1;
	}
	potad_fail_alloc_after = -1;
	CHECK(ms->nomem_retries >= MAPLE_SMOKE_RANGES / 1000 / 2);
	tap_info("# maple_smoke: %lu ranges stored, %lu mas_nomem() retries, %ld maple nodes\n",
		 MAPLE_SMOKE_RANGES, ms->nomem_retries,
		 maple_smoke_nodes());

	/* Every index of every range and gap, with mtree_load() under RCU. */
	rcu_read_lock();
	for (i = 0, ok = true; i < MAPLE_SMOKE_RANGES && ok; i++) {
		for (index = maple_smoke_first(i);
		     index < maple_smoke_first(i + 1); index++) {
			entry = mtree_load(&ms->mt, index);
			ok = CHECK_EQ(entry, index <= maple_smoke_last(i) ?
				      xa_mk_value(i) : NULL);
			if (!ok)
				break;
		}
	}
	rcu_read_unlock();
	CHECK_EQ(maple_smoke_count(ms), MAPLE_SMOKE_RANGES);

	/* mas_walk() gives the range, mt_find() the next entry. */
	rcu_read_lock();
	{
		MA_STATE(mas, &ms->mt, maple_smoke_first(1234) + 2, 0);

		entry = mas_walk(&mas);
		CHECK(entry == xa_mk_value(1234) && xa_is_value(entry) &&
		      xa_to_value(entry) == 1234);
		CHECK_EQ(mas.index, maple_smoke_first(1234));
		CHECK_EQ(mas.last, maple_smoke_last(1234));
		index = maple_smoke_last(1234) + 1;
		entry = mt_find(&ms->mt, &index, ULONG_MAX);
		CHECK(entry == xa_mk_value(1235));
		CHECK_EQ(index, maple_smoke_last(1235) + 1);
	}
	rcu_read_unlock();

	/* Erase the odd ranges by storing NULL, with readers running. */
	for (i = 0; i < MAPLE_SMOKE_READERS; i++)
		REQUIRE(!pthread_create(&readers[i], NULL, maple_smoke_reader,
					ms));
	for (i = 1; i < MAPLE_SMOKE_RANGES; i += 2) {
		if (!(i % 2001))
			potad_fail_alloc_after = 0;
		if (!CHECK_EQ(maple_smoke_store(ms, maple_smoke_first(i),
						maple_smoke_last(i), NULL), 0))
			break;
		potad_fail_alloc_after = -1;
	}
	potad_fail_alloc_after = -1;
	__atomic_store_n(&ms->stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < MAPLE_SMOKE_READERS; i++)
		pthread_join(readers[i], NULL);
	CHECK_EQ(ms->reader_errors, 0);
	CHECK(ms->reader_loads > 0);

	rcu_read_lock();
	for (i = 0, ok = true; i < MAPLE_SMOKE_RANGES && ok; i++)
		ok = CHECK_EQ(mtree_load(&ms->mt, maple_smoke_last(i)),
			      i & 1 ? NULL : xa_mk_value(i));
	rcu_read_unlock();
	CHECK_EQ(maple_smoke_count(ms), MAPLE_SMOKE_RANGES / 2);

#ifdef CONFIG_DEBUG_MAPLE_TREE
	{
		int bad = atomic_read(&maple_tree_tests_run) -
			  atomic_read(&maple_tree_tests_passed);

		spin_lock(&ms->lock);
		mt_validate(&ms->mt);
		spin_unlock(&ms->lock);
		CHECK_EQ(atomic_read(&maple_tree_tests_run) -
			 atomic_read(&maple_tree_tests_passed), bad);
	}
#endif

	/*
	 * No node for a new range in the middle of range 2: -ENOMEM from
	 * mas_store(), nothing changed, nothing left allocated.
	 */
	count = maple_smoke_count(ms);
	retries = ms->nomem_retries;
	injected = potad_injected_failures;
	allocs = potad_mem_allocs;
	spin_lock(&ms->lock);
	{
		MA_STATE(mas, &ms->mt, maple_smoke_first(2) + 1,
			 maple_smoke_first(2) + 2);

		potad_fail_alloc_after = 0;
		mas_store(&mas, xa_mk_value(7));
		potad_fail_alloc_after = -1;
		CHECK(mas_is_err(&mas));
		CHECK_EQ(xa_err(mas.node), -ENOMEM);
		mas_destroy(&mas);
	}
	spin_unlock(&ms->lock);
	CHECK_EQ(potad_injected_failures - injected, 1);
	CHECK_EQ(potad_mem_allocs, allocs);
	CHECK_EQ(ms->nomem_retries, retries);
	CHECK_EQ(maple_smoke_count(ms), count);
	rcu_read_lock();
	for (index = maple_smoke_first(2); index <= maple_smoke_last(2);
	     index++)
		CHECK(mtree_load(&ms->mt, index) == xa_mk_value(2));
	rcu_read_unlock();

	/*
	 * Destroy it as exit_mmap() does the mm's tree: out of RCU mode
	 * first (no reader can be left), so that the nodes are freed now.
	 * In RCU mode, __mt_destroy() leaves them to mt_free_walk(), an
	 * RCU callback, which in 6.12 takes the metadata in the last slot
	 * of an internal range64 node with 15 children (end == 14) for a
	 * 16th child and follows it (0x0e here): this tree has such nodes.
	 * The nodes replaced by the stores above were RCU-freed: wait for
	 * them too.
	 */
	spin_lock(&ms->lock);
	mt_clear_in_rcu(&ms->mt);
	__mt_destroy(&ms->mt);
	spin_unlock(&ms->lock);
	CHECK(mtree_empty(&ms->mt));
	rcu_barrier();
	CHECK_EQ(maple_smoke_nodes(), 0);
	free(ms);
}

/* ------------------------------------------------------------------ */
/* lib/xarray.c in the harness (xarray.c)                              */
/* ------------------------------------------------------------------ */

#define XARRAY_SMOKE_ENTRIES	100000UL
#define XARRAY_SMOKE_STRIDE	37UL	/* entry i is at index 37 i */

/* XArray nodes allocated from lib/radix-tree.c's cache (xarray.c). */
static long xarray_smoke_nodes(void)
{
	return kmem_cache_nr_allocated(radix_tree_node_cachep);
}

/*
 * The XArray's normal API on an array of its own: xa_store() with
 * GFP_KERNEL, xa_load(), xa_erase(), a node allocation failing (fault
 * injection sees the node cache), xa_destroy() with RCU-freed nodes.
 */
static void test_xarray_smoke(void)
{
	unsigned long i, j, index, nodes;
	struct xarray xa;
	long injected;
	void *entry;
	bool ok;

	xa_init(&xa);
	REQUIRE(xa_empty(&xa));

	/* 100k entries in a scattered order, spread over 3.7M indices. */
	for (i = 0, ok = true; i < XARRAY_SMOKE_ENTRIES && ok; i++) {
		j = i * 7919 % XARRAY_SMOKE_ENTRIES;
		entry = xa_store(&xa, j * XARRAY_SMOKE_STRIDE, xa_mk_value(j),
				 GFP_KERNEL);
		ok = CHECK_EQ(xa_err(entry), 0) && CHECK(!entry);
	}
	nodes = xarray_smoke_nodes();
	CHECK(nodes >= XARRAY_SMOKE_ENTRIES * XARRAY_SMOKE_STRIDE /
		       XA_CHUNK_SIZE);
	tap_info("# xarray_smoke: %lu entries stored, %lu xarray nodes\n",
		 XARRAY_SMOKE_ENTRIES, nodes);

	/* Every entry, and the indices between two of them. */
	for (i = 0, ok = true; i < XARRAY_SMOKE_ENTRIES && ok; i++) {
		index = i * XARRAY_SMOKE_STRIDE;
		ok = CHECK(xa_load(&xa, index) == xa_mk_value(i)) &&
		     CHECK(!xa_load(&xa, index + 1)) &&
		     CHECK(!xa_load(&xa, index + XARRAY_SMOKE_STRIDE - 1));
	}

	/* Erase the odd ones: xa_erase() returns what was there. */
	for (i = 1, ok = true; i < XARRAY_SMOKE_ENTRIES && ok; i += 2)
		ok = CHECK(xa_erase(&xa, i * XARRAY_SMOKE_STRIDE) ==
			   xa_mk_value(i));
	for (i = 0, ok = true; i < XARRAY_SMOKE_ENTRIES && ok; i++)
		ok = CHECK_EQ(xa_load(&xa, i * XARRAY_SMOKE_STRIDE),
			      i & 1 ? NULL : xa_mk_value(i));
	CHECK(!xa_erase(&xa, XARRAY_SMOKE_STRIDE));

	/*
	 * A store far beyond the last index needs new nodes above the
	 * root: the first (GFP_NOWAIT, under the xa_lock) fails, and
	 * xa_store() allocates again with the lock dropped and retries.
	 */
	injected = potad_injected_failures;
	index = XARRAY_SMOKE_ENTRIES * XARRAY_SMOKE_STRIDE << 12;
	potad_fail_alloc_after = 0;
	entry = xa_store(&xa, index, xa_mk_value(1), GFP_KERNEL);
	potad_fail_alloc_after = -1;
	CHECK_EQ(xa_err(entry), 0);
	CHECK_EQ(potad_injected_failures - injected, 1);
	CHECK(xa_load(&xa, index) == xa_mk_value(1));

	/* The nodes are freed by RCU callbacks. */
	xa_destroy(&xa);
	CHECK(xa_empty(&xa));
	rcu_barrier();
	CHECK_EQ(xarray_smoke_nodes(), 0);
}

/* ------------------------------------------------------------------ */
/* Differential test against a reference model                         */
/* ------------------------------------------------------------------ */

#include "differential.c"

/* ------------------------------------------------------------------ */
/* Runs: potad_find_run, potad_alloc_run (the CMA ladder's primitives) */
/* ------------------------------------------------------------------ */

/* Lowest start >= from, multiple of 2^align, with [s, s + nr) free. */
static long model_find_run(const u8 *isfree, unsigned long span,
			   unsigned long from, unsigned long nr,
			   unsigned int align)
{
	unsigned long s, i;

	for (s = (from + (1UL << align) - 1) & ~((1UL << align) - 1);
	     s + nr <= span; s += 1UL << align) {
		for (i = 0; i < nr && isfree[s + i]; i++)
			;
		if (i == nr)
			return s;
	}
	return -1;
}

/*
 * 8 "MB" at 1 "MB" alignment over 64 units of 1 "MB": each rung of the
 * ladder (1 x 8, 2 x 4, 4 x 2, 8 x 1) is the answer exactly when the rungs
 * above have none.
 */
static void test_run_ladder(void)
{
	struct potad pa;
	struct potad_desc *d[64] = { NULL }, *r;
	unsigned long start;
	unsigned int k;
	int i;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	for (i = 0; i < 64; i++)
		REQUIRE(!IS_ERR(d[i] = potad_alloc_at(&pa, &t_big, i, 0, NULL,
						      GFP_KERNEL)));
	/* Free 2..9: no aligned 8, two aligned 4s at 4, no... 4 x 2 at 2. */
	for (i = 2; i < 10; i++) {
		CHECK_EQ(potad_free(&pa, d[i]), 0);
		d[i] = NULL;
	}
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 3, &start), -ENOSPC);
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 2, &start), -ENOSPC);
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 1, &start), 0);
	CHECK_EQ(start, 2);
	/* Free 36..43: 2 x 4 at 36 now beats 4 x 2 at 2. */
	for (i = 36; i < 44; i++) {
		CHECK_EQ(potad_free(&pa, d[i]), 0);
		d[i] = NULL;
	}
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 3, &start), -ENOSPC);
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 2, &start), 0);
	CHECK_EQ(start, 36);
	/* Free 48..55: 1 x 8 at 48 is the top rung. */
	for (i = 48; i < 56; i++) {
		CHECK_EQ(potad_free(&pa, d[i]), 0);
		d[i] = NULL;
	}
	for (k = 3;; k--) {
		start = 0;
		if (!potad_find_run(&pa, 8, k, &start))
			break;
	}
	CHECK_EQ(k, 3);
	CHECK_EQ(start, 48);
	/* Searching from past a candidate: the next one of the rung. */
	start = 3;
	CHECK_EQ(potad_find_run(&pa, 8, 1, &start), 0);
	CHECK_EQ(start, 36);
	/* Allocate the 2 x 4 rung: one descriptor for the whole run. */
	r = potad_alloc_run(&pa, &t_big, POTAD_ANY, 8, 2, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(r));
	CHECK_EQ(r->start, 36);
	CHECK(r->flags & POTAD_DESC_RUN);
	CHECK_EQ(potad_desc_units(r), 8);
	CHECK_EQ(r->order, 3);
	CHECK_INVARIANT(&pa);
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 8, 2, &start), 0);
	CHECK_EQ(start, 48);
	CHECK_EQ(potad_free(&pa, r), 0);
	for (i = 0; i < 64; i++)
		if (d[i])
			CHECK_EQ(potad_free(&pa, d[i]), 0);
	CHECK_INVARIANT(&pa);
	CHECK_EQ(pa.stats.nr_free[6], 1);
	potad_destroy(&pa);
	types_teardown();
}

/* A count that is not a power of two takes exactly that, the tail free. */
static void test_run_exact_count(void)
{
	struct potad pa;
	struct potad_stats st;
	struct potad_desc *r, *r2;

	types_setup();
	REQUIRE(setup_space(&pa, 1024, 64, 6));
	r = potad_alloc_run(&pa, &t_big, POTAD_ANY, 5, 3, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(r));
	CHECK_EQ(r->start, 1024);
	CHECK_EQ(potad_desc_units(r), 5);
	get_stats(&pa, &st);
	CHECK_EQ(st.units_allocated, 5);
	CHECK_EQ(st.units_free, 59);
	CHECK_EQ(st.nr_free[0], 1);	/* 1029 */
	CHECK_EQ(st.nr_free[1], 1);	/* 1030..1031 */
	/* The tail is free: an exact run of 3 there fits. */
	r2 = potad_alloc_run(&pa, &t_big, 1029, 3, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(r2));
	CHECK_EQ(r2->start, 1029);
	CHECK_INVARIANT(&pa);
	CHECK_EQ(potad_free(&pa, r), 0);
	CHECK_EQ(potad_free(&pa, r2), 0);
	get_stats(&pa, &st);
	CHECK_EQ(st.nr_free[6], 1);
	CHECK_EQ(st.nr_allocs, 2);
	CHECK_EQ(st.nr_frees, 2);
	potad_destroy(&pa);
	types_teardown();
}

/* Bad runs: warned about, -EINVAL; busy or absent: -EBUSY/-ENOSPC. */
static void test_run_errors(void)
{
	struct potad pa;
	struct potad_desc *r;
	unsigned long start = 0;

	types_setup();
	REQUIRE(setup_space(&pa, 0, 64, 6));
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_big, POTAD_ANY, 0, 0, NULL,
					 GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_big, POTAD_ANY, 65, 0, NULL,
					 GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_big, POTAD_ANY, 4, 7, NULL,
					 GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_big, 60, 8, 0, NULL,
					 GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_cm, POTAD_ANY, 4, 0, NULL,
					 GFP_KERNEL), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_find_run(&pa, 0, 0, &start), -EINVAL, 1);
	EXPECT_FAIL(&pa, potad_find_run(&pa, 4, 7, &start), -EINVAL, 1);
	r = potad_alloc_run(&pa, &t_big, 10, 20, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(r));
	/* Overlapping runs: busy, nothing changes. */
	EXPECT_FAIL(&pa, potad_alloc_run(&pa, &t_big, 29, 2, 0, NULL,
					 GFP_KERNEL), -EBUSY, 0);
	EXPECT_NOSPACE(&pa, potad_alloc_run(&pa, &t_big, POTAD_ANY, 40, 0,
					    NULL, GFP_KERNEL), -ENOSPC);
	start = 0;
	CHECK_EQ(potad_find_run(&pa, 34, 0, &start), 0);
	CHECK_EQ(start, 30);
	/* A part of a run is not freed; the whole is. */
	EXPECT_FAIL(&pa, potad_free_range(&pa, r, 10, 4, GFP_KERNEL), -EINVAL,
		    1);
	EXPECT_FAIL(&pa, potad_free_range(&pa, r, 20, 10, GFP_KERNEL), -EINVAL,
		    1);
	CHECK_EQ(potad_free_range(&pa, r, 10, 20, GFP_KERNEL), 0);
	CHECK_EQ(pa.stats.nr_free[6], 1);
	potad_destroy(&pa);
	types_teardown();
}

/* Memory space: lookups find the run from every unit, retire stays out. */
static void test_run_memory(void)
{
	struct potad pa;
	struct potad_desc *r, *small, *h;
	struct potad_stats st;
	unsigned long u;

	types_setup();
	REQUIRE_EQ(potad_init(&pa, "run-mem", POTAD_MEMORY, 12, 0x100000,
			      4096, 12), 0);
	REQUIRE_EQ(potad_add_range(&pa, 0x100000, 4096), 0);
	/* A chunked small block in the same chunk as the run. */
	small = potad_alloc_at(&pa, &t_big, 0x100000, 0, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(small));
	/* 1500 units from unit 2, crossing a chunk boundary. */
	r = potad_alloc_run(&pa, &t_big, POTAD_ANY, 1500, 1, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(r));
	CHECK_EQ(r->start, 0x100002);
	rcu_read_lock();
	for (u = 0x100000; u < 0x100000 + 2000; u += 7)
		CHECK(potad_lookup((phys_addr_t)u << 12 | 5) ==
		      (u == 0x100000 ? small :
		       u >= 0x100002 && u < 0x100002 + 1500 ? r : NULL));
	CHECK(potad_lookup((phys_addr_t)(0x100002 + 1499) << 12) == r);
	CHECK(!potad_lookup((phys_addr_t)(0x100002 + 1500) << 12));
	rcu_read_unlock();
	CHECK_EQ(potad_retire(&pa, 0x100010, GFP_KERNEL, &h), 0);
	CHECK(h == r);
	potad_desc_put(h);
	CHECK_EQ(potad_free(&pa, r), 0);
	rcu_read_lock();
	CHECK(!potad_lookup((phys_addr_t)0x100010 << 12));
	rcu_read_unlock();
	get_stats(&pa, &st);
	CHECK_EQ(st.units_retired, 1);
	CHECK_EQ(st.units_allocated, 1);
	CHECK_INVARIANT(&pa);
	/* The retired unit is never in a run again. */
	u = 0;
	CHECK_EQ(potad_find_run(&pa, 15, 0, &u), 0);
	CHECK_EQ(u, 0x100001);
	u = 0;
	CHECK_EQ(potad_find_run(&pa, 16, 0, &u), 0);
	CHECK_EQ(u, 0x100011);
	u = 0;
	CHECK_EQ(potad_find_run(&pa, 16, 4, &u), 0);
	CHECK_EQ(u, 0x100020);
	CHECK_EQ(potad_unretire(&pa, 0x100010, 1, false), 1);
	CHECK_EQ(potad_free(&pa, small), 0);
	rcu_barrier();
	potad_destroy(&pa);
	types_teardown();
}

/*
 * potad_find_run() against a brute-force search on random free sets of a
 * space of @span units (at most 1024) with blocks up to 2^@max_order, runs
 * of up to @max_nr units, alignments up to 2^@max_align.
 */
static void run_find_random(unsigned long span, unsigned int max_order,
			    unsigned long max_nr, unsigned int max_align)
{
	struct potad pa;
	struct potad_desc *d[1024];
	u8 isfree[1024];
	unsigned int seed = 12345, round;

	types_setup();
	for (round = 0; round < 40; round++) {
		unsigned long i, q;

		REQUIRE(setup_space(&pa, 0, span, max_order));
		for (i = 0; i < span; i++)
			REQUIRE(!IS_ERR(d[i] = potad_alloc_at(&pa, &t_big, i, 0,
							      NULL,
							      GFP_KERNEL)));
		/* Free runs of random length, denser in later rounds. */
		memset(isfree, 0, sizeof(isfree));
		for (i = 0; i < span;) {
			unsigned long len = 1 + rand_r(&seed) % 24;
			bool fr = rand_r(&seed) % 40 < 10 + round / 2;

			for (; len && i < span; len--, i++) {
				if (!fr)
					continue;
				isfree[i] = 1;
				CHECK_EQ(potad_free(&pa, d[i]), 0);
				d[i] = NULL;
			}
		}
		for (q = 0; q < 200; q++) {
			unsigned long nr = 1 + rand_r(&seed) % max_nr;
			unsigned int align = rand_r(&seed) % (max_align + 1);
			unsigned long from = rand_r(&seed) % span, start = from;
			long want = model_find_run(isfree, span, from, nr, align);
			int ret = potad_find_run(&pa, nr, align, &start);

			if (!CHECK_EQ(ret ? -1 : (long)start, want))
				break;
		}
		for (i = 0; i < span; i++)
			if (d[i])
				CHECK_EQ(potad_free(&pa, d[i]), 0);
		potad_destroy(&pa);
	}
	types_teardown();
}

static void test_run_find_random(void)
{
	run_find_random(512, 9, 40, 6);
}

/*
 * A span that is not a power of two and small blocks: runs of up to
 * 120 units need many blocks, and their seed is capped at max_order.
 */
static void test_run_find_random_small_blocks(void)
{
	run_find_random(700, 4, 120, 4);
}

/* ------------------------------------------------------------------ */

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define T(n) { #n, test_##n }

static const struct test_case tests[] = {
	T(init_abstract),
	T(run_ladder),
	T(run_exact_count),
	T(run_errors),
	T(run_memory),
	T(run_find_random),
	T(run_find_random_small_blocks),
	T(init_memory_512),
	T(init_max_order_clamp),
	T(init_errors),
	T(init_enomem),
	T(after_init_all_absent),
	T(destroy_warns_if_allocated),
	T(destroy_clean_no_warn),
	T(add_range_whole),
	T(add_range_decomposition),
	T(add_range_adjacent_merge),
	T(add_range_holes),
	T(add_range_errors),
	T(add_range_enomem),
	T(withdraw),
	T(withdraw_errors),
	T(withdraw_enomem),
	T(withdraw_retired_forgotten),
	T(take_range),
	T(zone_instance),
	T(type_register_errors),
	T(type_register_enomem),
	T(type_unregister_errors),
	T(type_caller_mem_no_cache),
	T(alloc_desc_fields),
	T(desc_size),
	T(alloc_placement_order0),
	T(alloc_placement_mixed),
	T(alloc_fills_space),
	T(alloc_errors),
	T(alloc_enospc),
	T(alloc_at_busy_unchanged),
	T(alloc_enomem),
	T(alloc_gfp_atomic),
	T(alloc_max_order_block),
	T(alloc_at),
	T(alloc_at_errors),
	T(alloc_desc),
	T(alloc_desc_errors),
	T(free_merges),
	T(free_errors),
	T(free_range_merge),
	T(free_range_release),
	T(free_range_errors),
	T(free_range_reused),
	T(free_range_reused_memory),
	T(free_range_whole),
	T(free_range_whole_memory),
	T(ref_defers_free_range),
	T(retire_free_unit),
	T(retire_allocated_unit),
	T(retire_then_free_range),
	T(free_range_twice_retired),
	T(retire_free_range_twice_retired_free),
	T(retire_errors),
	T(retire_enomem),
	T(retire_all_then_withdraw),
	T(stats_counters),
	T(chunked_index),
	T(pcp_cache),
	T(pcp_retire_withdraw),
	T(memory_space_512),
	T(base_offset),
	T(tiny_space),
	T(top_of_unit_space),
	T(debugfs),
	T(big_1_5tib),
	T(metadata_512b_1gib),
	T(threads),
	T(threads_memory),
	T(threads_pcp),
	T(maple_smoke),
	T(xarray_smoke),
	T(differential),
	T(differential_wide),
	T(differential_memory),
};

/* Run one test in this process; true if it passed. */
static bool run_test_here(const struct test_case *t)
{
	long allocs0 = potad_mem_allocs, bytes0 = potad_mem_bytes;
	long warn0 = potad_warn_count, lockdep0 = potad_lockdep_errors;
	long sleep0 = potad_sleep_in_atomic;
	int work0 = potad_shim_work_pending();
	bool ok;

	cur_fail = 0;
	cur_expected_warns = 0;
	cur_skip_leak_check = false;
	cur_ignore_warns = false;
	probe_frees = 0;
	potad_fail_alloc_after = -1;
	fflush(stdout);
	if (!setjmp(cur_abort))
		t->fn();
	potad_fail_alloc_after = -1;
	/* What the test freed with call_rcu() is freed now. */
	rcu_barrier();
	if (!cur_skip_leak_check && potad_shim_work_pending() != work0)
		check_fail(__FILE__, __LINE__,
			   "%d work items left queued (would run after the test)",
			   potad_shim_work_pending() - work0);
	if (potad_lockdep_errors != lockdep0)
		check_fail(__FILE__, __LINE__, "%ld lockdep_assert_held() failures",
			   potad_lockdep_errors - lockdep0);
	if (potad_sleep_in_atomic != sleep0)
		check_fail(__FILE__, __LINE__, "%ld sleeps under a spinlock",
			   potad_sleep_in_atomic - sleep0);
	if (!cur_ignore_warns && potad_warn_count - warn0 != cur_expected_warns)
		check_fail(__FILE__, __LINE__,
			   "%ld warnings, %ld expected (last: %s:%d %s)",
			   potad_warn_count - warn0, cur_expected_warns,
			   potad_last_warn_file ? potad_last_warn_file : "-",
			   potad_last_warn_line, potad_last_warn_msg);
	if (!cur_skip_leak_check &&
	    (potad_mem_allocs != allocs0 || potad_mem_bytes != bytes0))
		check_fail(__FILE__, __LINE__,
			   "leaked %ld allocations, %ld bytes",
			   potad_mem_allocs - allocs0,
			   potad_mem_bytes - bytes0);
	ok = !cur_fail;
	fflush(stdout);
	return ok;
}

/*
 * Run one test in a child process, so that a crash or a sanitizer report
 * fails that test only (POTAD_NOFORK=1: in this process, for debuggers).
 */
static bool run_test(const struct test_case *t, int n)
{
	static int nofork = -1;
	int status;
	bool ok;
	pid_t pid;

	if (nofork < 0)
		nofork = env_u64("POTAD_NOFORK", 0) != 0;
	fflush(stdout);
	fflush(stderr);
	if (nofork) {
		ok = run_test_here(t);
	} else {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			exit(2);
		}
		if (!pid)
			exit(run_test_here(t) ? 0 : 3);
		while (waitpid(pid, &status, 0) < 0)
			;
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (WIFSIGNALED(status))
			printf("#   test died of signal %d\n", WTERMSIG(status));
		else if (WEXITSTATUS(status) == 23)
			printf("#   LeakSanitizer found leaks (stderr)\n");
		else if (WEXITSTATUS(status) && WEXITSTATUS(status) != 3)
			tap_info("#   test crashed or a sanitizer fired (exit status %d, see stderr)\n",
				 WEXITSTATUS(status));
	}
	printf("%sok %d - %s\n", ok ? "" : "not ", n, t->name);
	fflush(stdout);
	return ok;
}

int main(int argc, char **argv)
{
	int i, j, n = 0, failed = 0;
	bool selected[ARRAY_SIZE(tests)];

	setvbuf(stdout, NULL, _IOLBF, 0);
	potad_shim_init();
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (i = 0; i < (int)ARRAY_SIZE(tests); i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	memset(selected, argc == 1, sizeof(selected));
	for (j = 1; j < argc; j++) {
		bool found = false;

		for (i = 0; i < (int)ARRAY_SIZE(tests); i++) {
			if (!strcmp(argv[j], tests[i].name)) {
				selected[i] = true;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "unknown test %s (-l lists them)\n",
				argv[j]);
			return 2;
		}
	}
	/* The kernel would have run the initcalls (debugfs) by now. */
	if (potad_shim_run_initcalls())
		printf("# an initcall failed\n");

	for (i = 0; i < (int)ARRAY_SIZE(tests); i++) {
		if (!selected[i])
			continue;
		n++;
		if (!run_test(&tests[i], n))
			failed++;
	}
	printf("1..%d\n", n);
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
