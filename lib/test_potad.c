// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for POTAD, the Power Of Two Allocator with Descriptor
 * (mm/potad.c).
 *
 * potad_core		behaviour on abstract spaces and on real memory
 * potad_errors		every caller bug: WARN_ONCE, an error, no change
 * potad_concurrency	kthreads, a softirq timer and a hardirq hrtimer
 *			sharing an instance
 * potad_lookup		the physical-address index (mm/potad_lookup.c):
 *			every boundary, partial frees, several instances,
 *			512-byte units, references, every calling context,
 *			and lookups racing with allocations and frees
 * potad_zone		the zone instances, potad= and the zone API
 *			(mm/potad_zone.c): zones by gfp, refills from and
 *			returns to the buddy allocator, the shrinker
 * potad_memory_failure	the owner told of a poisoned unit, quarantine
 * potad_cma		the seed's ladder (mm/potad_cma.c) rung by rung on
 *			spaces fragmented by hand, and a real CMA area
 *
 * The potad_errors suite makes POTAD warn on purpose; the project's log
 * checker accepts WARNINGs raised at mm/potad*.c inside that suite only.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/cma.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/potad.h>
#include <linux/fault-inject.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/vmstat.h>

#include "../mm/internal.h"
#include "../mm/potad_internal.h"

/* The index's fault attribute is not exported: built-in tests only. */
#if defined(CONFIG_POTAD_FAULT_INJECTION) && IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
#define POTAD_TEST_FAULTS	1
#else
#define POTAD_TEST_FAULTS	0
#endif

/* The xfs_buf example from the seed mail: 360 bytes of descriptor. */
struct test_buf {
	u8 head[104];
	struct potad_desc desc;
	u8 tail[360 - 104 - sizeof(struct potad_desc)];
};

static_assert(sizeof(struct test_buf) == 360);

static struct potad_type test_buf_type = {
	.name = "potad_test_buf",
	.size = sizeof(struct test_buf),
	.offset = offsetof(struct test_buf, desc),
};

static struct potad_type test_plain_type = {
	.name = "potad_test_plain",
	.size = sizeof(struct potad_desc),
};

static int test_releases;

static void test_release(struct potad_desc *desc)
{
	test_releases++;
}

static const struct potad_type_ops test_caller_ops = {
	.release = test_release,
};

static struct potad_type test_caller_type = {
	.name = "potad_test_caller",
	.size = sizeof(struct potad_desc),
	.flags = POTAD_TYPE_CALLER_MEM,
	.ops = &test_caller_ops,
};

static int potad_suite_init(struct kunit_suite *suite)
{
	int ret;

	ret = potad_type_register(&test_buf_type);
	if (!ret)
		ret = potad_type_register(&test_plain_type);
	if (!ret)
		ret = potad_type_register(&test_caller_type);
	return ret;
}

static void potad_suite_exit(struct kunit_suite *suite)
{
	potad_type_unregister(&test_caller_type);
	potad_type_unregister(&test_plain_type);
	potad_type_unregister(&test_buf_type);
}

static void potad_destroy_action(void *pa)
{
	potad_destroy(pa);
}

/*
 * An instance that KUnit tears down when the test ends, even after a
 * failed assertion, so that none is left on the global list.
 */
static struct potad *test_instance(struct kunit *test, const char *name,
				   unsigned int flags, unsigned int unit_shift,
				   unsigned long base, unsigned long span)
{
	struct potad *pa = kunit_kzalloc(test, sizeof(*pa), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pa);
	KUNIT_ASSERT_EQ(test, potad_init(pa, name, flags, unit_shift, base,
					 span, POTAD_NR_ORDERS - 1), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							potad_destroy_action,
							pa), 0);
	return pa;
}

/* An abstract space of @span units at 0, with [0, @span) added. */
static struct potad *new_space(struct kunit *test, unsigned long span)
{
	struct potad *pa = test_instance(test, "kunit", POTAD_ABSTRACT, 0, 0,
					 span);

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, 0, span), 0);
	return pa;
}

static struct potad_desc *alloc_ok(struct kunit *test, struct potad *pa,
				   unsigned int order)
{
	struct potad_desc *d = potad_alloc(pa, &test_plain_type, order, NULL,
					   GFP_KERNEL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	return d;
}

static unsigned long nr_free(struct potad *pa, unsigned int order)
{
	struct potad_stats st;

	potad_get_stats(pa, &st);
	return st.nr_free[order];
}

static void expect_consistent(struct kunit *test, struct potad *pa)
{
	struct potad_stats st;
	unsigned long sum = 0;
	unsigned int k;

	potad_get_stats(pa, &st);
	for (k = 0; k <= st.max_order; k++)
		sum += st.nr_free[k] << k;
	KUNIT_EXPECT_EQ(test, sum, st.units_free);
	KUNIT_EXPECT_EQ(test, st.units_total,
			st.units_free + st.units_allocated + st.units_retired);
}

static void potad_test_add_range_carves(struct kunit *test)
{
	struct potad *pa = test_instance(test, "kunit", POTAD_ABSTRACT, 0, 0,
					 4096);

	/* [3, 13): 3, 4..7, 8..11, 12 */
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 3, 10), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 0), 2UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 2), 2UL);
	/* A hole, then [1000, 1100). */
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 1000, 100), 0);
	expect_consistent(test, pa);
	/* Filling the hole merges everything into [0, 2048) minus 0..2. */
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 13, 987), 0);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 1100, 948), 0);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 11), 1UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 0), 0UL);
}

static void potad_test_lowest_address_first(struct kunit *test)
{
	struct potad *pa = new_space(test, 1024);
	static const struct { unsigned int order; unsigned long start; } seq[] = {
		{ 0, 0 }, { 0, 1 }, { 1, 2 }, { 0, 4 }, { 3, 8 }, { 0, 5 },
		{ 2, 16 }, { 9, 512 }, { 1, 6 },
	};
	struct potad_desc *d[ARRAY_SIZE(seq)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		d[i] = alloc_ok(test, pa, seq[i].order);
		KUNIT_EXPECT_EQ(test, d[i]->start, seq[i].start);
		KUNIT_EXPECT_EQ(test, d[i]->order, seq[i].order);
	}
	for (i = 0; i < ARRAY_SIZE(seq); i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
}

static void potad_test_fill_and_coalesce(struct kunit *test)
{
	struct potad *pa = new_space(test, 512);
	struct potad_desc **d;
	struct potad_stats st;
	unsigned int i;

	d = kunit_kcalloc(test, 512, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	for (i = 0; i < 512; i++) {
		d[i] = alloc_ok(test, pa, 0);
		KUNIT_EXPECT_EQ(test, d[i]->start, (unsigned long)i);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc(pa, &test_plain_type, 0,
						  NULL, GFP_KERNEL)),
			(long)-ENOSPC);
	/* Free in a scrambled order: odd units first, then even ones. */
	for (i = 1; i < 512; i += 2)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 0), 256UL);
	for (i = 0; i < 512; i += 2)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.nr_free[9], 1UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 512UL);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, 512UL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 512UL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1UL);
}

static void potad_test_alloc_at(struct kunit *test)
{
	struct potad *pa = new_space(test, 1024);
	struct potad_desc *a, *b;

	a = potad_alloc_at(pa, &test_plain_type, 384, 7, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, a->start, 384UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 256,
						     8, NULL, GFP_KERNEL)),
			(long)-EBUSY);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 400,
						     0, NULL, GFP_KERNEL)),
			(long)-EBUSY);
	b = potad_alloc_at(pa, &test_plain_type, 256, 7, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	expect_consistent(test, pa);
	/* The lowest free block is still at 0. */
	KUNIT_EXPECT_EQ(test, nr_free(pa, 8), 1UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 9), 1UL);
	KUNIT_EXPECT_EQ(test, potad_free(pa, a), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, b), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
}

static void potad_test_partial_free(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_desc *d = alloc_ok(test, pa, 4);
	struct potad_stats st;

	struct potad_desc *e;

	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 5, 1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, d->nr_live, 15UL);
	/* The freed unit is handed out again; its buddy is still the block's. */
	e = potad_alloc_at(pa, &test_plain_type, 5, 0, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 4, 1,
						     NULL, GFP_KERNEL)),
			(long)-EBUSY);
	KUNIT_EXPECT_EQ(test, potad_free(pa, e), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 0, 5, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 6, 10, GFP_KERNEL), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.nr_free[6], 1UL);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 4UL);
}

static void potad_test_retire(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_desc *d;
	struct potad_stats st;

	/* A free unit leaves free space at once. */
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL, NULL), -EALREADY);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 63UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc(pa, &test_plain_type, 6,
						  NULL, GFP_KERNEL)),
			(long)-ENOSPC);
	/* Best fit: the order-3 block left next to the retired unit. */
	d = alloc_ok(test, pa, 3);
	KUNIT_EXPECT_EQ(test, d->start, 32UL);
	/* A unit of an allocated block stays out when the block is freed. */
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 34, GFP_KERNEL, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 34, 1), -EBUSY);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 8UL);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 2UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 62UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 34,
						     0, NULL, GFP_KERNEL)),
			(long)-EBUSY);
	expect_consistent(test, pa);
	/* Withdrawing the whole space forgets the retired units. */
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 0, 64), 0);
	/* Memory-failure racing the withdraw: an error, no warning. */
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL, NULL), -ENOENT);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_total, 0UL);
	KUNIT_EXPECT_EQ(test, st.units_retired, 0UL);
}

/*
 * potad_unretire(): retired free units go back and merge with their
 * buddies; a range with one inside an allocated block changes nothing
 * unless @in_block, and then that one comes back with the block.
 */
static void potad_test_unretire(struct kunit *test)
{
	bool in_block = false;
	struct potad_desc *d;
	struct potad_stats st;
	struct potad *pa = new_space(test, 64);

	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 40, 1, false), 1);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 40, 1, false), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 0UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 64UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);

	/* Unit 2 of a block and unit 40 free: all or nothing. */
	d = alloc_ok(test, pa, 3);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, d->start + 2, GFP_KERNEL, NULL),
			0);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 0, 64, false), -EBUSY);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 55UL);
	KUNIT_EXPECT_TRUE(test, potad_is_retired(pa, d->start + 2, &in_block));
	KUNIT_EXPECT_TRUE(test, in_block);
	KUNIT_EXPECT_TRUE(test, potad_is_retired(pa, 40, &in_block));
	KUNIT_EXPECT_FALSE(test, in_block);
	KUNIT_EXPECT_FALSE(test, potad_is_retired(pa, 41, NULL));
	/* Unit 40 goes back; unit 2 is forgotten, back with its block. */
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 0, 64, true), 2);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 0, 64, true), 0);
	KUNIT_EXPECT_FALSE(test, potad_is_retired(pa, d->start + 2, NULL));
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 0UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 56UL);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 0UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
	expect_consistent(test, pa);
}

static void potad_test_withdraw(struct kunit *test)
{
	struct potad *pa = new_space(test, 1024);
	struct potad_desc *d = alloc_ok(test, pa, 0);
	struct potad_stats st;

	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 0, 2), -EBUSY);
	/* A hole in the middle of a range splits it. */
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 300, 100), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_total, 924UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 923UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 320,
						     4, NULL, GFP_KERNEL)),
			(long)-EBUSY);
	expect_consistent(test, pa);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 300, 100), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
}

static void potad_test_descriptor_360(struct kunit *test)
{
	struct potad *pa = new_space(test, 1 << 7);
	struct potad_desc *d;
	struct test_buf *buf;
	int owner;

	/* Registration made the type's own cache, of the type's size. */
	KUNIT_ASSERT_NOT_NULL(test, test_buf_type.cache);
	KUNIT_EXPECT_EQ(test, kmem_cache_size(test_buf_type.cache), 360U);
	KUNIT_EXPECT_EQ(test, kmem_cache_size(test_plain_type.cache),
			(unsigned int)sizeof(struct potad_desc));
	d = potad_alloc(pa, &test_buf_type, 7, &owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	buf = container_of(d, struct test_buf, desc);
	KUNIT_EXPECT_EQ(test, (unsigned long)d - (unsigned long)buf,
			offsetof(struct test_buf, desc));
	KUNIT_EXPECT_NULL(test, memchr_inv(buf->head, 0, sizeof(buf->head)));
	KUNIT_EXPECT_NULL(test, memchr_inv(buf->tail, 0, sizeof(buf->tail)));
	KUNIT_EXPECT_PTR_EQ(test, d->type, &test_buf_type);
	KUNIT_EXPECT_PTR_EQ(test, d->potad, pa);
	KUNIT_EXPECT_PTR_EQ(test, d->owner, (void *)&owner);
	KUNIT_EXPECT_EQ(test, potad_desc_units(d), 128UL);
	memset(buf->head, 0xa5, sizeof(buf->head));
	memset(buf->tail, 0x5a, sizeof(buf->tail));
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
}

static void potad_test_caller_descriptor(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_desc desc = {}, desc2 = {}, desc3 = {};

	test_releases = 0;
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 3, NULL, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc2, &test_caller_type,
					       32, 5, NULL, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, desc2.start, 32UL);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc3, &test_caller_type,
					       32, 5, NULL, GFP_KERNEL), -EBUSY);
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	/* Released at once (abstract space): the memory is ours again. */
	KUNIT_EXPECT_EQ(test, desc.state, POTAD_DESC_FREE);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, &desc2, 32, 32, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, test_releases, 2);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
}

/* Units far beyond any memory: POTAD never touches what it manages. */
static void potad_test_abstract_space(struct kunit *test)
{
	unsigned long base = 1UL << (BITS_PER_LONG - 8);
	struct potad *pa = test_instance(test, "slots", POTAD_ABSTRACT, 0, base,
					 1UL << 22);
	struct potad_desc *d, *e;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, base + 5, (1UL << 22) - 5),
			0);
	/* A 2^21-unit block: far beyond MAX_PAGE_ORDER. */
	d = alloc_ok(test, pa, 21);
	KUNIT_EXPECT_EQ(test, d->start, base + (1UL << 21));
	e = alloc_ok(test, pa, 0);
	KUNIT_EXPECT_EQ(test, e->start, base + 5);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, e), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 21), 1UL);
	expect_consistent(test, pa);
}

#define MEM512_ORDER	(13 + POTAD_MIN_UNIT_SHIFT - PAGE_SHIFT)

static void free_test_pages(void *page)
{
	__free_pages(page, MEM512_ORDER);
}

/* 512-byte units over 4 MB of real memory; blocks must not overlap. */
static void potad_test_memory_512(struct kunit *test)
{
	const unsigned int shift = POTAD_MIN_UNIT_SHIFT, span_order = 13;
	struct potad_desc *d[64];
	struct page *page;
	struct potad *pa;
	unsigned int i, n = 0;
	u8 *p;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MEM512_ORDER);
	if (!page)
		kunit_skip(test, "no 4 MB of contiguous memory");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_test_pages,
							page), 0);
	pa = test_instance(test, "mem512", POTAD_MEMORY, shift,
			   page_to_phys(page) >> shift, 1UL << span_order);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, page_to_phys(page) >> shift,
					      1UL << span_order), 0);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		d[n] = potad_alloc(pa, &test_plain_type, i % 8, NULL,
				   GFP_KERNEL);
		if (IS_ERR(d[n]))
			break;
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(potad_desc_phys(d[n]),
						   potad_desc_bytes(d[n])));
		memset(phys_to_virt(potad_desc_phys(d[n])), i,
		       potad_desc_bytes(d[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, (unsigned int)ARRAY_SIZE(d));
	for (i = 0; i < n; i++) {
		p = phys_to_virt(potad_desc_phys(d[i]));
		KUNIT_EXPECT_NULL(test, memchr_inv(p, i, potad_desc_bytes(d[i])));
		/* The index knows the block from its first to its last byte. */
		rcu_read_lock();
		KUNIT_EXPECT_PTR_EQ(test, potad_lookup(potad_desc_phys(d[i])),
				    d[i]);
		KUNIT_EXPECT_PTR_EQ(test, potad_lookup(potad_desc_phys(d[i]) +
						       potad_desc_bytes(d[i]) -
						       1), d[i]);
		KUNIT_EXPECT_PTR_EQ(test,
				    potad_lookup(virt_to_phys(p + 511)), d[i]);
		rcu_read_unlock();
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
		rcu_read_lock();
		KUNIT_EXPECT_NULL(test, potad_lookup(virt_to_phys(p)));
		rcu_read_unlock();
	}
	KUNIT_EXPECT_EQ(test, nr_free(pa, span_order), 1UL);
}

/*
 * Allocate into a new plain descriptor inside a range, split to @order
 * (potad_alloc_into_in()) or with @whole the free block found whole
 * (potad_alloc_whole_in()); -errno or 0.
 */
static int range_alloc(struct kunit *test, struct potad *pa,
		       unsigned int order, unsigned int top,
		       unsigned long start, unsigned long nr, bool whole,
		       struct potad_desc **d)
{
	int ret;

	*d = potad_desc_new(&test_plain_type, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(*d));
	if (whole)
		ret = potad_alloc_whole_in(pa, *d, &test_plain_type, order,
					   top, start, nr, NULL, GFP_KERNEL);
	else
		ret = potad_alloc_into_in(pa, *d, &test_plain_type, order,
					  top, start, nr, NULL, GFP_KERNEL);
	if (ret) {
		potad_desc_discard(&test_plain_type, *d);
		*d = NULL;
	}
	return ret;
}

static int alloc_in(struct kunit *test, struct potad *pa, unsigned int order,
		    unsigned int top, unsigned long start, unsigned long nr,
		    struct potad_desc **d)
{
	return range_alloc(test, pa, order, top, start, nr, false, d);
}

static int whole_in(struct kunit *test, struct potad *pa, unsigned int order,
		    unsigned int top, unsigned long start, unsigned long nr,
		    struct potad_desc **d)
{
	return range_alloc(test, pa, order, top, start, nr, true, d);
}

/*
 * Inside a range: the smallest free block that lies wholly in it, split
 * to the order asked; a free block that only overlaps the range is not
 * taken, and a failure changes nothing.
 */
static void potad_test_alloc_in(struct kunit *test)
{
	struct potad *pa = new_space(test, 1024);
	struct potad_desc *d0 = alloc_ok(test, pa, 0), *d[4];
	unsigned long free;
	unsigned int i;

	/* Free: 1, [2, 4), [4, 8), ... [256, 512), [512, 1024). */
	KUNIT_EXPECT_EQ(test, d0->start, 0);
	KUNIT_ASSERT_EQ(test, alloc_in(test, pa, 0, 9, 512, 512, &d[0]), 0);
	KUNIT_EXPECT_EQ(test, d[0]->start, 512);
	/* [300, 700) holds [512, 1024)'s pieces 514, 516, 520, ...: 513. */
	KUNIT_ASSERT_EQ(test, alloc_in(test, pa, 0, 9, 300, 400, &d[1]), 0);
	KUNIT_EXPECT_EQ(test, d[1]->start, 513);
	/* The smallest block first: [2, 4) before [4, 8) in [2, 8). */
	KUNIT_ASSERT_EQ(test, alloc_in(test, pa, 1, 9, 2, 6, &d[2]), 0);
	KUNIT_EXPECT_EQ(test, d[2]->start, 2);
	KUNIT_EXPECT_EQ(test, d[2]->order, 1);
	/* @top: [4, 8) may not be split for order 0; 1 lies outside. */
	free = potad_units_free(pa);
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 0, 1, 2, 6, &d[3]), -ENOSPC);
	/* Free units in [4, 6), but only inside the block [4, 8). */
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 0, 9, 4, 2, &d[3]), -ENOSPC);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), free);
	KUNIT_ASSERT_EQ(test, alloc_in(test, pa, 0, 2, 4, 4, &d[3]), 0);
	KUNIT_EXPECT_EQ(test, d[3]->start, 4);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d0), 0);
	for (i = 0; i < ARRAY_SIZE(d); i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
}

/*
 * potad_alloc_whole_in(): the smallest free block of an order from @order
 * to @top that lies wholly inside the range, taken whole (no smaller free
 * block appears), the smallest before the lowest; a block above @top or
 * only overlapping the range is not taken, and a failure changes nothing.
 */
static void potad_test_alloc_whole_in(struct kunit *test)
{
	struct potad *pa = test_instance(test, "kunit",
					 POTAD_ABSTRACT | POTAD_INDEX, 0, 0,
					 1024);
	struct potad_desc *d0, *split, *d[6];
	unsigned long free;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, 0, 1024), 0);
	d0 = alloc_ok(test, pa, 0);
	/* Free: 1, [2, 4), [4, 8), ... [256, 512), [512, 1024). */
	KUNIT_EXPECT_EQ(test, d0->start, 0);
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 1, 9, 0, 1024, &d[0]), 0);
	KUNIT_EXPECT_EQ(test, d[0]->start, 2);
	KUNIT_EXPECT_EQ(test, d[0]->order, 1);
	/* Order 1 up, the whole span: [4, 8) whole, not [4, 6). */
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 1, 9, 0, 1024, &d[5]), 0);
	KUNIT_EXPECT_EQ(test, d[5]->start, 4);
	KUNIT_EXPECT_EQ(test, d[5]->order, 2);
	/* [16, 48) holds [16, 32) whole; [32, 64) only overlaps it. */
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 0, 9, 16, 32, &d[1]), 0);
	KUNIT_EXPECT_EQ(test, d[1]->start, 16);
	KUNIT_EXPECT_EQ(test, d[1]->order, 4);
	/* Counted at the order taken; indexed to its last unit. */
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), 1024 - 1 - 2 - 4 - 16);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 31), d[1]);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 7), d[5]);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 0), 1UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 2), 0UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 3), 1UL);
	/* Only [32, 64) in [32, 64), above @top 4; nothing in [32, 48). */
	free = potad_units_free(pa);
	KUNIT_EXPECT_EQ(test, whole_in(test, pa, 0, 4, 32, 32, &d[2]), -ENOSPC);
	KUNIT_EXPECT_EQ(test, whole_in(test, pa, 0, 9, 32, 16, &d[2]), -ENOSPC);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), free);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 5), 1UL);
	/* Split [512, 1024) at 512: 513 is the smallest above 256. */
	KUNIT_ASSERT_EQ(test, alloc_in(test, pa, 0, 9, 512, 512, &split), 0);
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 0, 9, 256, 768, &d[2]), 0);
	KUNIT_EXPECT_EQ(test, d[2]->start, 513);
	KUNIT_EXPECT_EQ(test, d[2]->order, 0);
	/* Order 8 up, in [0, 1024): [256, 512), whole. */
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 8, 9, 0, 1024, &d[3]), 0);
	KUNIT_EXPECT_EQ(test, d[3]->start, 256);
	KUNIT_EXPECT_EQ(test, d[3]->order, 8);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 511), d[3]);
	/* Order 0 up, in [0, 16): 1. */
	KUNIT_ASSERT_EQ(test, whole_in(test, pa, 0, 9, 0, 16, &d[4]), 0);
	KUNIT_EXPECT_EQ(test, d[4]->start, 1);
	KUNIT_EXPECT_EQ(test, d[4]->order, 0);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), free - 1 - 1 - 256 - 1);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d0), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, split), 0);
	for (i = 0; i < ARRAY_SIZE(d); i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
}

/*
 * potad_free_parts(): scattered parts of several blocks, one of them
 * freed to its last unit by two ranges and one whole by a single range,
 * under one lock hold; the space merges back whole.
 */
static void potad_test_free_parts(struct kunit *test)
{
	struct potad *pa = test_instance(test, "kunit",
					 POTAD_ABSTRACT | POTAD_INDEX, 0, 0,
					 1024);
	struct potad_desc *d, *e, *f;
	struct potad_part r[5];
	struct potad_stats st;
	unsigned long f_start;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, 0, 1024), 0);
	d = alloc_ok(test, pa, 4);
	e = alloc_ok(test, pa, 4);
	f = alloc_ok(test, pa, 2);
	KUNIT_ASSERT_EQ(test, e->start, 16UL);
	f_start = f->start;
	r[0] = (struct potad_part){ d, 3, 1 };
	r[1] = (struct potad_part){ e, 20, 2 };
	r[2] = (struct potad_part){ d, 0, 3 };
	r[3] = (struct potad_part){ d, 4, 12 };
	r[4] = (struct potad_part){ f, f_start, 4 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, ARRAY_SIZE(r)), 5U);
	KUNIT_EXPECT_EQ(test, e->nr_live, 14UL);
	/* d's and f's descriptors went with their last units. */
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 0), NULL);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, f_start), NULL);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 20), NULL);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, 22), e);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 14UL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 5UL);
	/* [0, 16) merged: a block of 16 fits there again. */
	KUNIT_EXPECT_EQ(test, nr_free(pa, 4), 1UL);
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 0), 0U);
	r[0] = (struct potad_part){ e, 16, 4 };
	r[1] = (struct potad_part){ e, 22, 10 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 2), 2U);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 10), 1UL);
	expect_consistent(test, pa);
}

static struct kunit_case potad_core_cases[] = {
	KUNIT_CASE(potad_test_add_range_carves),
	KUNIT_CASE(potad_test_lowest_address_first),
	KUNIT_CASE(potad_test_fill_and_coalesce),
	KUNIT_CASE(potad_test_alloc_at),
	KUNIT_CASE(potad_test_alloc_in),
	KUNIT_CASE(potad_test_alloc_whole_in),
	KUNIT_CASE(potad_test_partial_free),
	KUNIT_CASE(potad_test_free_parts),
	KUNIT_CASE(potad_test_retire),
	KUNIT_CASE(potad_test_unretire),
	KUNIT_CASE(potad_test_withdraw),
	KUNIT_CASE(potad_test_descriptor_360),
	KUNIT_CASE(potad_test_caller_descriptor),
	KUNIT_CASE(potad_test_abstract_space),
	KUNIT_CASE(potad_test_memory_512),
	{}
};

static struct kunit_suite potad_core_suite = {
	.name = "potad_core",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_core_cases,
};

/* Errors: each caller bug returns an error and changes nothing. */

/* Field by field: struct potad_stats has padding. */
static void expect_unchanged(struct kunit *test, struct potad *pa,
			     const struct potad_stats *before)
{
	struct potad_stats after;

	potad_get_stats(pa, &after);
	KUNIT_EXPECT_EQ(test, after.units_total, before->units_total);
	KUNIT_EXPECT_EQ(test, after.units_free, before->units_free);
	KUNIT_EXPECT_EQ(test, after.units_allocated, before->units_allocated);
	KUNIT_EXPECT_EQ(test, after.units_retired, before->units_retired);
	KUNIT_EXPECT_EQ(test, after.nr_allocs, before->nr_allocs);
	KUNIT_EXPECT_EQ(test, after.nr_frees, before->nr_frees);
	KUNIT_EXPECT_EQ(test, after.alloc_failures, before->alloc_failures);
	KUNIT_EXPECT_EQ(test, after.max_order, before->max_order);
	KUNIT_EXPECT_MEMEQ(test, after.nr_free, before->nr_free,
			   sizeof(after.nr_free));
}

static void potad_test_bad_init(struct kunit *test)
{
	struct potad pa;

	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 0, 0, 63),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", 0, 0, 0, 16, 63), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_MEMORY, 8, 0, 16, 63),
			-EINVAL);
	/* Base not aligned to the largest order, 4 here (ilog2 of 16) ... */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 8, 16,
					 63), -EINVAL);
	/* ... which is fine once the largest order is capped to 3. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 8, 16,
					 3), 0);
	potad_destroy(&pa);
	/* Spans whose metadata index would overflow. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 0,
					 ULONG_MAX, 63), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 0,
					 POTAD_MAX_SPAN + 1, 63), -EINVAL);
	/* The last unit would be POTAD_ANY. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0,
					 ULONG_MAX - 15, 16, 4), -EINVAL);
}

static void potad_test_bad_ranges(struct kunit *test)
{
	struct potad *pa = new_space(test, 256);
	struct potad_stats before;

	KUNIT_ASSERT_EQ(test, potad_withdraw_range(pa, 128, 128), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 200, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 200, 100), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 300, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 100, 50), -EEXIST);
	KUNIT_EXPECT_EQ(test, potad_add_range(pa, 0, 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 100, 50), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(pa, 200, 8), -EINVAL);
	/* Withdrawn: a race with memory-failure, refused but not warned. */
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 130, GFP_KERNEL, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 1000, GFP_KERNEL, NULL), -EINVAL);
	expect_unchanged(test, pa, &before);
}

static void potad_test_bad_alloc(struct kunit *test)
{
	struct potad *pa = new_space(test, 256);
	struct potad_stats before;
	struct potad_desc desc = {};
	struct potad_type unregistered = {
		.name = "potad_test_unregistered",
		.size = sizeof(struct potad_desc),
	};

	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc(pa, &test_plain_type, 9, NULL,
						  GFP_KERNEL)), (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc(pa, &unregistered, 0, NULL,
						  GFP_KERNEL)), (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc(pa, &test_caller_type, 0,
						  NULL, GFP_KERNEL)),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 3, 1,
						     NULL, GFP_KERNEL)),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 256,
						     0, NULL, GFP_KERNEL)),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_plain_type,
					       POTAD_ANY, 0, NULL, GFP_KERNEL), -EINVAL);
	expect_unchanged(test, pa, &before);
}

/* A range outside the space, or empty: -EINVAL, nothing taken (both). */
static void potad_test_bad_alloc_in(struct kunit *test)
{
	struct potad *pa = new_space(test, 256);
	struct potad_stats before;
	struct potad_desc *d;

	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 0, 8, 0, 0, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 0, 8, 200, 57, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 0, 8, 256, 1, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, alloc_in(test, pa, 9, 9, 0, 256, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, whole_in(test, pa, 0, 8, 200, 57, &d), -EINVAL);
	KUNIT_EXPECT_EQ(test, whole_in(test, pa, 9, 9, 0, 256, &d), -EINVAL);
	expect_unchanged(test, pa, &before);
}

/*
 * potad_free_parts() stops at the first range potad_free_range() would
 * refuse (a unit freed twice in the batch, a foreign descriptor) or that
 * needs memory (a part of a referenced block): the ranges before it are
 * freed, it and those after it are untouched.
 */
static void potad_test_bad_free_parts(struct kunit *test)
{
	struct potad *pa = test_instance(test, "kunit",
					 POTAD_ABSTRACT | POTAD_INDEX, 0, 0,
					 256);
	struct potad *other = new_space(test, 256);
	struct potad_desc *d, *o;
	struct potad_stats before;
	struct potad_part r[3];

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, 0, 256), 0);
	d = alloc_ok(test, pa, 4);
	o = alloc_ok(test, other, 4);
	r[0] = (struct potad_part){ d, d->start + 3, 1 };
	r[1] = (struct potad_part){ d, d->start + 3, 1 };
	r[2] = (struct potad_part){ d, d->start + 5, 1 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 3), 1U);
	KUNIT_EXPECT_EQ(test, d->nr_live, 15UL);
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(pa, d->start + 5), d);
	potad_get_stats(pa, &before);
	r[0] = (struct potad_part){ o, o->start, 1 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 1), 0U);
	r[0] = (struct potad_part){ d, d->start + 16, 1 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 1), 0U);
	expect_unchanged(test, pa, &before);
	/* Referenced: the record of the deferred units needs memory. */
	KUNIT_ASSERT_TRUE(test, potad_desc_tryget(d));
	r[0] = (struct potad_part){ d, d->start + 6, 1 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 1), 0U);
	expect_unchanged(test, pa, &before);
	KUNIT_EXPECT_EQ(test, d->nr_live, 15UL);
	/* potad_free_range() frees it, allocating. */
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start + 6, 1,
					       GFP_KERNEL), 0);
	potad_desc_put(d);
	KUNIT_EXPECT_EQ(test, d->nr_live, 14UL);
	/* The rest: [0, 3), [4, 6), [7, 16) of d, and o. */
	r[0] = (struct potad_part){ d, d->start, 3 };
	r[1] = (struct potad_part){ d, d->start + 4, 2 };
	r[2] = (struct potad_part){ d, d->start + 7, 9 };
	KUNIT_EXPECT_EQ(test, potad_free_parts(pa, r, 3), 3U);
	KUNIT_EXPECT_EQ(test, potad_free(other, o), 0);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), 256UL);
}

static void potad_test_bad_free(struct kunit *test)
{
	struct potad *pa = new_space(test, 256);
	struct potad *other = new_space(test, 256);
	struct potad_desc desc = {}, *d, *p;
	struct potad_stats before;

	KUNIT_ASSERT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 2, NULL, GFP_KERNEL), 0);
	d = alloc_ok(test, pa, 3);
	p = alloc_ok(test, pa, 3);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, p, p->start, 2, GFP_KERNEL), 0);
	potad_get_stats(pa, &before);
	/* A descriptor of another instance. */
	KUNIT_EXPECT_EQ(test, potad_free(other, d), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(other, d, d->start, 1, GFP_KERNEL), -EINVAL);
	/* Ranges outside the block, empty, or freed already. */
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start, 0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start + 4, 5, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start - 1, 1, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 1, 2, GFP_KERNEL),
			-EINVAL);
	/* potad_free() of a partly freed block. */
	KUNIT_EXPECT_EQ(test, potad_free(pa, p), -EINVAL);
	/* A retired unit freed once must not be freed again. */
	KUNIT_ASSERT_EQ(test, potad_retire(pa, p->start + 3, GFP_KERNEL, NULL), 0);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, p, p->start + 3, 1, GFP_KERNEL), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 3, 1, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 2, 2, GFP_KERNEL),
			-EINVAL);
	expect_unchanged(test, pa, &before);

	/* Double free and a stale descriptor (caller memory survives). */
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, &desc, desc.start, 1, GFP_KERNEL),
			-EINVAL);
	expect_unchanged(test, pa, &before);

	/* Units freed and then withdrawn cannot be freed again. */
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, d, d->start + 4, 4, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, potad_withdraw_range(pa, d->start + 4, 4), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start + 4, 4, GFP_KERNEL),
			-EINVAL);
	expect_unchanged(test, pa, &before);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, d->start + 4, 4), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start, 4, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 2, 1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 4, 4, GFP_KERNEL), 0);
	/* Everything but the retired unit merged back. */
	KUNIT_EXPECT_EQ(test, nr_free(pa, 7), 1UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 8), 0UL);
	expect_consistent(test, pa);
}

static void potad_test_bad_type(struct kunit *test)
{
	struct potad_type small = {
		.name = "potad_test_small",
		.size = sizeof(struct potad_desc) - 1,
	};
	struct potad_type past_end = {
		.name = "potad_test_past_end",
		.size = sizeof(struct potad_desc) + 8,
		.offset = 16,
	};
	struct potad_type misaligned = {
		.name = "potad_test_misaligned",
		.size = sizeof(struct potad_desc) + 8,
		.offset = 1,
	};
	struct potad_type never = {
		.name = "potad_test_never",
		.size = sizeof(struct potad_desc),
	};

	KUNIT_EXPECT_EQ(test, potad_type_register(&small), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_type_register(&past_end), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_type_register(&misaligned), -EINVAL);
	/* Unregistering a type never registered changes nothing ... */
	potad_type_unregister(&never);
	/* ... no list_del() of its entry (that would poison it) ... */
	KUNIT_EXPECT_NULL(test, never.list.next);
	KUNIT_EXPECT_NULL(test, never.cache);
	/* ... and the registered types are still registered. */
	KUNIT_EXPECT_EQ(test, potad_type_register(&test_plain_type), -EBUSY);
	KUNIT_EXPECT_EQ(test, potad_type_register(&never), 0);
	potad_type_unregister(&never);
}

/* Memory given to two instances: the second add is refused. */
static void potad_test_bad_shared_memory(struct kunit *test)
{
	const unsigned long base = 1UL << 34;	/* units of 4 KB: 64 TB */
	struct potad *a, *b;
	struct potad_stats st;

	a = test_instance(test, "a", POTAD_MEMORY, 12, base, 1024);
	b = test_instance(test, "b", POTAD_MEMORY, 9, base << 3, 8192);
	KUNIT_ASSERT_EQ(test, potad_add_range(a, base + 100, 100), 0);
	/* b's 512-byte units overlapping a's first and last 4 KB unit. */
	KUNIT_EXPECT_EQ(test, potad_add_range(b, ((base + 199) << 3) + 7, 100),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, potad_add_range(b, (base + 99) << 3, 9), -EEXIST);
	potad_get_stats(b, &st);
	KUNIT_EXPECT_EQ(test, st.units_total, 0UL);
	/* Right next to it on both sides is fine. */
	KUNIT_EXPECT_EQ(test, potad_add_range(b, (base + 99) << 3, 8), 0);
	KUNIT_EXPECT_EQ(test, potad_add_range(b, (base + 200) << 3, 8), 0);
}

/* Concurrency: kthreads in process context plus a softirq timer. */

#define CONC_THREADS	3
#define CONC_ROUNDS	2000
#define CONC_HELD	16

struct conc_ctx {
	struct potad *pa;
	struct timer_list timer;
	struct hrtimer hrtimer;
	struct potad_desc hdesc;
	atomic_t hrtimer_runs;
	struct completion done[CONC_THREADS];
	atomic_t errors;
	atomic_t allocs;
	atomic_t timer_runs;
	bool stop;
};

struct conc_arg {
	struct conc_ctx *c;
	unsigned int id;
};

static void conc_check(struct conc_ctx *c, struct potad_desc *d,
		       unsigned int order)
{
	if (d->order != order || !IS_ALIGNED(d->start, 1UL << order) ||
	    d->start + (1UL << order) > 4096)
		atomic_inc(&c->errors);
}

static int conc_thread(void *data)
{
	struct conc_arg *arg = data;
	struct conc_ctx *c = arg->c;
	struct potad_desc *held[CONC_HELD] = {};
	unsigned int i, slot, order;

	for (i = 0; i < CONC_ROUNDS; i++) {
		slot = get_random_u32_below(CONC_HELD);
		if (held[slot]) {
			if (potad_free(c->pa, held[slot]))
				atomic_inc(&c->errors);
			held[slot] = NULL;
			continue;
		}
		order = get_random_u32_below(6);
		held[slot] = potad_alloc(c->pa, &test_plain_type, order, NULL,
					 GFP_KERNEL);
		if (IS_ERR(held[slot])) {
			if (PTR_ERR(held[slot]) != -ENOSPC)
				atomic_inc(&c->errors);
			held[slot] = NULL;
		} else {
			conc_check(c, held[slot], order);
			atomic_inc(&c->allocs);
		}
		if (!(i % 64))
			cond_resched();
	}
	for (slot = 0; slot < CONC_HELD; slot++)
		if (held[slot] && potad_free(c->pa, held[slot]))
			atomic_inc(&c->errors);
	complete(&c->done[arg->id]);
	return 0;
}

static void conc_timer(struct timer_list *t)
{
	struct conc_ctx *c = from_timer(c, t, timer);
	struct potad_desc *d;

	d = potad_alloc(c->pa, &test_plain_type, 1, NULL, GFP_ATOMIC);
	if (!IS_ERR(d)) {
		conc_check(c, d, 1);
		if (potad_free(c->pa, d))
			atomic_inc(&c->errors);
	} else if (PTR_ERR(d) != -ENOSPC && PTR_ERR(d) != -ENOMEM) {
		atomic_inc(&c->errors);
	}
	atomic_inc(&c->timer_runs);
	if (!READ_ONCE(c->stop))
		mod_timer(&c->timer, jiffies + 1);
}

/* Interrupt context: caller-provided descriptor, nothing allocated. */
static enum hrtimer_restart conc_hrtimer(struct hrtimer *t)
{
	struct conc_ctx *c = container_of(t, struct conc_ctx, hrtimer);
	int ret;

	ret = potad_alloc_desc(c->pa, &c->hdesc, &test_caller_type, POTAD_ANY,
			       2, NULL, GFP_ATOMIC);
	if (!ret) {
		conc_check(c, &c->hdesc, 2);
		if (potad_free(c->pa, &c->hdesc))
			atomic_inc(&c->errors);
	} else if (ret != -ENOSPC) {
		atomic_inc(&c->errors);
	}
	atomic_inc(&c->hrtimer_runs);
	if (READ_ONCE(c->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ms_to_ktime(1));
	return HRTIMER_RESTART;
}

static void potad_test_concurrent(struct kunit *test)
{
	struct conc_arg args[CONC_THREADS];
	struct task_struct *task;
	struct conc_ctx *c;
	struct potad_stats st;
	unsigned int i;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->pa = new_space(test, 4096);
	timer_setup(&c->timer, conc_timer, 0);
	mod_timer(&c->timer, jiffies + 1);
	/*
	 * Not _HARD: the instance lock is a spinlock_t, so on PREEMPT_RT this
	 * timer expires in softirq context; elsewhere in hard interrupt.
	 */
	hrtimer_init(&c->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	c->hrtimer.function = conc_hrtimer;
	hrtimer_start(&c->hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL);
	/* Every thread runs to completion: no kthread_stop() before it ran. */
	for (i = 0; i < CONC_THREADS; i++) {
		init_completion(&c->done[i]);
		args[i].c = c;
		args[i].id = i;
		task = kthread_run(conc_thread, &args[i], "potad_conc/%u", i);
		if (IS_ERR(task)) {
			atomic_inc(&c->errors);
			complete(&c->done[i]);
		}
	}
	for (i = 0; i < CONC_THREADS; i++)
		wait_for_completion(&c->done[i]);
	/* Both timers fire at least once, however fast the threads were. */
	for (i = 0; i < 1000 && (!atomic_read(&c->timer_runs) ||
				 !atomic_read(&c->hrtimer_runs)); i++)
		usleep_range(1000, 2000);
	WRITE_ONCE(c->stop, true);
	timer_shutdown_sync(&c->timer);
	hrtimer_cancel(&c->hrtimer);

	KUNIT_EXPECT_EQ(test, atomic_read(&c->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&c->allocs), CONC_THREADS * 100);
	KUNIT_EXPECT_GT(test, atomic_read(&c->timer_runs), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&c->hrtimer_runs), 0);
	potad_get_stats(c->pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	KUNIT_EXPECT_EQ(test, st.nr_free[12], 1UL);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, st.nr_frees);
}

static struct kunit_case potad_concurrency_cases[] = {
	KUNIT_CASE_SLOW(potad_test_concurrent),
	{}
};

static struct kunit_suite potad_concurrency_suite = {
	.name = "potad_concurrency",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_concurrency_cases,
};

/*
 * The physical-address index.  Memory spaces here lie far above any RAM
 * (POTAD never touches what it manages), except in potad_test_memory_512.
 */

#define LK_BASE		BIT(34)		/* in 4 KB units: 64 TB */
#define LK_PHYS(u)	((phys_addr_t)(u) << PAGE_SHIFT)

static struct potad_desc *lookup(phys_addr_t phys)
{
	struct potad_desc *d;

	rcu_read_lock();
	d = potad_lookup(phys);
	rcu_read_unlock();
	return d;
}

/* Every byte boundary of @d's units finds @d, and its neighbours don't. */
static void expect_block(struct kunit *test, struct potad_desc *d)
{
	phys_addr_t start = potad_desc_phys(d), end = start +
		potad_desc_bytes(d);
	u64 unit = 1ULL << d->potad->unit_shift;
	phys_addr_t p;

	for (p = start; p < end; p += unit) {
		KUNIT_EXPECT_PTR_EQ(test, lookup(p), d);
		KUNIT_EXPECT_PTR_EQ(test, lookup(p + unit / 2), d);
		KUNIT_EXPECT_PTR_EQ(test, lookup(p + unit - 1), d);
	}
	KUNIT_EXPECT_PTR_NE(test, lookup(start - 1), d);
	KUNIT_EXPECT_PTR_NE(test, lookup(end), d);
	if (d->potad->unit_shift >= PAGE_SHIFT) {
		rcu_read_lock();
		KUNIT_EXPECT_PTR_EQ(test, potad_lookup_pfn(PHYS_PFN(start)), d);
		KUNIT_EXPECT_PTR_EQ(test, potad_lookup_pfn(PHYS_PFN(end - 1)),
				    d);
		rcu_read_unlock();
	}
}

static void expect_no_block(struct kunit *test, phys_addr_t start,
			    u64 bytes)
{
	KUNIT_EXPECT_NULL(test, lookup(start));
	KUNIT_EXPECT_NULL(test, lookup(start + bytes / 2));
	KUNIT_EXPECT_NULL(test, lookup(start + bytes - 1));
}

static void potad_test_lookup_boundaries(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 1024);
	struct potad_desc *d[8];
	phys_addr_t phys[8];
	unsigned int i;
	int owner;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 1024), 0);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE)));
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		d[i] = potad_alloc(pa, &test_buf_type, i, &owner, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(d[i]));
		phys[i] = potad_desc_phys(d[i]);
	}
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		expect_block(test, d[i]);
		/* What memory-failure needs: type, size, start, owner. */
		KUNIT_EXPECT_STREQ(test, d[i]->type->name, "potad_test_buf");
		KUNIT_EXPECT_EQ(test, d[i]->type->size, (size_t)360);
		KUNIT_EXPECT_EQ(test, potad_desc_bytes(d[i]),
				(u64)PAGE_SIZE << i);
		KUNIT_EXPECT_PTR_EQ(test, d[i]->owner, (void *)&owner);
	}
	/* Free space and the units around the instance find nothing. */
	expect_no_block(test, LK_PHYS(LK_BASE + 512), 512 * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE) - 1));
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 1024)));
	KUNIT_EXPECT_NULL(test, lookup(0));
	KUNIT_EXPECT_NULL(test, lookup(PHYS_ADDR_MAX));
	for (i = 0; i < ARRAY_SIZE(d); i += 2)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		if (i % 2)
			expect_block(test, d[i]);
		else
			expect_no_block(test, phys[i], (u64)PAGE_SIZE << i);
	}
	for (i = 1; i < ARRAY_SIZE(d); i += 2) {
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
		expect_no_block(test, phys[i], (u64)PAGE_SIZE << i);
	}
	/* The same units under a new descriptor are found as the new one. */
	d[0] = potad_alloc_at(pa, &test_plain_type, LK_BASE, 10, NULL,
			      GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d[0]));
	expect_block(test, d[0]);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d[0]), 0);
	expect_no_block(test, LK_PHYS(LK_BASE), 1024 * PAGE_SIZE);
}

/* A partial free takes exactly the freed units out of the index. */
static void potad_test_lookup_partial(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_desc *d;
	unsigned long u;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	d = alloc_ok(test, pa, 4);
	/* Split the entry in three, then free the runs left one by one. */
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, LK_BASE + 5, 3,
					       GFP_KERNEL), 0);
	for (u = LK_BASE; u < LK_BASE + 16; u++)
		KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(u) + 17),
				    u >= LK_BASE + 5 && u < LK_BASE + 8 ?
				    NULL : d);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, LK_BASE + 8, 8,
					       GFP_ATOMIC), 0);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 15)));
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 4)), d);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, LK_BASE, 5, 0), 0);
	expect_no_block(test, LK_PHYS(LK_BASE), 16 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
}

/*
 * Two memory instances with different unit sizes side by side, and an
 * abstract one whose numbers are not addresses.
 */
static void potad_test_lookup_instances(struct kunit *test)
{
	struct potad *a, *b, *c;
	struct potad_desc *da, *db, *dc;

	a = test_instance(test, "a", POTAD_MEMORY, PAGE_SHIFT, LK_BASE, 256);
	b = test_instance(test, "b", POTAD_MEMORY, POTAD_MIN_UNIT_SHIFT,
			  (LK_BASE + 256) << (PAGE_SHIFT - POTAD_MIN_UNIT_SHIFT),
			  2048);
	c = test_instance(test, "c", POTAD_ABSTRACT, 0, 0, 1UL << 16);
	KUNIT_ASSERT_EQ(test, potad_add_range(a, LK_BASE, 256), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(b, b->base, 2048), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(c, 0, 1UL << 16), 0);
	da = potad_alloc_at(a, &test_plain_type, LK_BASE + 255, 0, NULL,
			    GFP_KERNEL);
	db = potad_alloc_at(b, &test_plain_type, b->base, 0, NULL,
			    GFP_KERNEL);
	dc = potad_alloc_at(c, &test_plain_type, 255, 0, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(da) || IS_ERR(db) || IS_ERR(dc));
	expect_block(test, da);
	expect_block(test, db);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 256) - 1), da);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 256)), db);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 256) + 512));
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(255)));
	KUNIT_EXPECT_NULL(test, lookup(255));
	KUNIT_EXPECT_EQ(test, potad_free(a, da), 0);
	KUNIT_EXPECT_EQ(test, potad_free(b, db), 0);
	KUNIT_EXPECT_EQ(test, potad_free(c, dc), 0);

	/* Memory withdrawn from one instance may be added to another. */
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(b, b->base, 2048), 0);
	c = test_instance(test, "e", POTAD_MEMORY, PAGE_SHIFT, LK_BASE + 256,
			  256);
	KUNIT_ASSERT_EQ(test, potad_add_range(c, LK_BASE + 256, 256), 0);
	dc = alloc_ok(test, c, 8);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 256)), dc);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 512) - 1), dc);
	KUNIT_EXPECT_EQ(test, potad_free(c, dc), 0);

	/* And so may the memory of a destroyed one. */
	KUNIT_EXPECT_EQ(test, potad_withdraw_range(c, LK_BASE + 256, 256), 0);
	potad_destroy(a);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE)));
	KUNIT_ASSERT_EQ(test, potad_init(a, "a2", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 512, 9), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(a, LK_BASE, 512), 0);
	da = alloc_ok(test, a, 9);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 300)), da);
	KUNIT_EXPECT_EQ(test, potad_free(a, da), 0);
}

static const struct potad_type_ops lk_ops = {
	.release = test_release,
};

static struct potad_type lk_type = {
	.name = "potad_test_lookup",
	.size = sizeof(struct potad_desc),
	.flags = POTAD_TYPE_CALLER_MEM,
	.ops = &lk_ops,
};

/*
 * Memory-failure's way: potad_retire() returns the block holding the unit
 * with a reference that pins it.  The owner frees the block meanwhile: it
 * leaves the index at once, its units (but the retired one) go back with
 * the reference, and the descriptor is released after a grace period.
 */
static void potad_test_lookup_reference(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_desc *desc, *d;
	struct potad_stats st;

	desc = kunit_kzalloc(test, sizeof(*desc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, desc);
	KUNIT_ASSERT_EQ(test, potad_type_register(&lk_type), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	KUNIT_ASSERT_EQ(test, potad_alloc_desc(pa, desc, &lk_type, LK_BASE + 8,
					       3, NULL, GFP_KERNEL), 0);
	test_releases = 0;

	KUNIT_EXPECT_EQ(test, potad_retire(pa, LK_BASE + 9, GFP_KERNEL, &d), 0);
	KUNIT_EXPECT_PTR_EQ(test, d, desc);
	KUNIT_ASSERT_PTR_EQ(test, d, desc);
	/* The owner frees the block while it is pinned. */
	KUNIT_EXPECT_EQ(test, potad_free(pa, desc), 0);
	KUNIT_EXPECT_EQ(test, d->state, POTAD_DESC_DEAD);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 9)));
	KUNIT_EXPECT_FALSE(test, potad_desc_tryget(d));
	/* Not handed to anyone else while the reference is held. */
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 8UL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type,
						     LK_BASE + 8, 0, NULL,
						     GFP_KERNEL)),
			(long)-EBUSY);
	potad_desc_put(d);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 5), 1UL);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, test_releases, 1);
	KUNIT_EXPECT_EQ(test, desc->state, POTAD_DESC_FREE);

	/* Without a reference left, the free releases at once. */
	KUNIT_ASSERT_EQ(test, potad_alloc_desc(pa, desc, &lk_type, POTAD_ANY,
					       0, NULL, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, potad_desc_tryget(desc));
	potad_desc_put(desc);
	KUNIT_EXPECT_EQ(test, potad_free(pa, desc), 0);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, test_releases, 2);
	potad_type_unregister(&lk_type);
}

/*
 * A reference pins the units it was taken for: a partial free by the
 * owner takes them out of the index at once but gives them back only when
 * the reference is dropped, so that they cannot be handed to another
 * block (and DMA or a poison notice reach the wrong owner) meanwhile.
 */
static void potad_test_lookup_pins_units(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_desc *a, *p;
	struct potad_stats st;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	a = alloc_ok(test, pa, 3);
	p = potad_lookup_get(LK_PHYS(LK_BASE + 2) + 5);
	KUNIT_ASSERT_PTR_EQ(test, p, a);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, a, LK_BASE, 4, GFP_KERNEL),
			0);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 2)));
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 8UL);
	KUNIT_EXPECT_EQ(test, st.units_deferred, 4UL);
	/* The lowest free order-0 unit is past the block, not unit 2. */
	p = alloc_ok(test, pa, 0);
	KUNIT_EXPECT_EQ(test, p->start, LK_BASE + 8);
	KUNIT_EXPECT_EQ(test, potad_free(pa, p), 0);
	potad_desc_put(a);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 4UL);
	KUNIT_EXPECT_EQ(test, st.units_deferred, 0UL);
	p = alloc_ok(test, pa, 2);
	KUNIT_EXPECT_EQ(test, p->start, LK_BASE);
	KUNIT_EXPECT_EQ(test, potad_free(pa, p), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, a, LK_BASE + 4, 4,
					       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
}

/*
 * Block A freed in part, B allocated in the units A freed: A's second
 * free of them is refused and B keeps its units and its index entry.
 */
static void potad_test_lookup_refree_reused(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_stats before;
	struct potad_desc *a, *b;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	a = alloc_ok(test, pa, 3);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, a, LK_BASE, 2, GFP_KERNEL),
			0);
	b = alloc_ok(test, pa, 1);
	KUNIT_ASSERT_EQ(test, b->start, LK_BASE);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, a, LK_BASE, 2, GFP_KERNEL),
			-EINVAL);
	expect_unchanged(test, pa, &before);
	expect_block(test, b);
	KUNIT_EXPECT_EQ(test, potad_free(pa, b), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, a, LK_BASE + 2, 6,
					       GFP_KERNEL), 0);
}

struct lk_destroy {
	struct potad pa;
	struct completion started, destroyed;
	struct potad_desc *held;	/* the reference the test still holds */
	bool destroying;
};

static int lk_destroy_fn(void *data)
{
	struct lk_destroy *x = data;

	complete(&x->started);
	potad_destroy(&x->pa);
	/* For the test and for its cleanup: both wait. */
	complete_all(&x->destroyed);
	return 0;
}

#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
/* Is @pa on the list of instances (not exported: built-in tests only)? */
static bool lk_listed(struct potad *pa)
{
	struct potad *p;
	bool found = false;

	mutex_lock(&potad_list_lock);
	list_for_each_entry(p, &potad_instances, list)
		found |= p == pa;
	mutex_unlock(&potad_list_lock);
	return found;
}
#endif

/* On failure: drop the reference and destroy, unless the thread does. */
static void lk_destroy_cleanup(void *data)
{
	struct lk_destroy *x = data;

	if (x->held)
		potad_desc_put(x->held);
	if (x->destroying)
		wait_for_completion(&x->destroyed);
	else
		potad_destroy(&x->pa);
}

/*
 * potad_destroy() waits for the last reference on a freed block of its
 * instance, and only for those: another instance's destroy and the
 * unregistering of another type do not wait for it.
 */
static void potad_test_lookup_destroy_waits(struct kunit *test)
{
	struct potad_type other_type = {
		.name = "potad_test_other",
		.size = sizeof(struct potad_desc),
	};
	struct task_struct *task;
	unsigned long timeout;
	struct lk_destroy *x;
	struct potad *other;
	struct potad_desc *d;

	x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x);
	init_completion(&x->started);
	init_completion(&x->destroyed);
	KUNIT_ASSERT_EQ(test, potad_init(&x->pa, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64, 6), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							lk_destroy_cleanup,
							x), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(&x->pa, LK_BASE, 64), 0);
	d = alloc_ok(test, &x->pa, 3);
	KUNIT_ASSERT_TRUE(test, potad_desc_tryget(d));
	x->held = d;
	KUNIT_EXPECT_EQ(test, potad_free(&x->pa, d), 0);

	/* Unrelated: they return although the reference is held. */
	KUNIT_ASSERT_EQ(test, potad_type_register(&other_type), 0);
	potad_type_unregister(&other_type);
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, potad_init(other, "other", POTAD_MEMORY,
					 PAGE_SHIFT, LK_BASE + 64, 64, 6), 0);
	potad_destroy(other);

	task = kthread_create(lk_destroy_fn, x, "potad_lk_destroy");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	get_task_struct(task);
	x->destroying = true;
	wake_up_process(task);
	wait_for_completion(&x->started);
	/* It started, then went to sleep. */
	timeout = jiffies + 60 * HZ;
	while (READ_ONCE(task->__state) != TASK_UNINTERRUPTIBLE &&
	       time_before(jiffies, timeout))
		cond_resched();
	KUNIT_EXPECT_EQ(test, READ_ONCE(task->__state), TASK_UNINTERRUPTIBLE);
#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
	/* In the wait: it leaves the list of instances only after it. */
	KUNIT_EXPECT_TRUE(test, lk_listed(&x->pa));
#endif
	KUNIT_EXPECT_FALSE(test, completion_done(&x->destroyed));
	KUNIT_EXPECT_EQ(test, x->pa.stats.units_allocated, 8UL);
	put_task_struct(task);
	x->held = NULL;
	potad_desc_put(d);
	wait_for_completion(&x->destroyed);
}

#if POTAD_TEST_FAULTS
/* Failure or not: no more injected failures, and the work item back. */
static void lk_holes_cleanup(void *data)
{
	struct potad *pa = data;

	potad_fail_index.probability = 0;
	atomic_set(&potad_fail_index.times, 0);
	enable_work(&pa->index_work);
}

/*
 * Frees that cannot get a maple-tree node leave placeholders; the work
 * item replaces them, allocations may reuse them first, and index_holes
 * comes back to zero (fault injection: fail_potad_index).  The work item
 * is held off until the placeholders have been seen.  Only blocks of
 * POTAD_CHUNK_SHIFT and above have maple-tree entries: a small block
 * allocated inside a placeholder lives in its chunk's array.
 */
static void potad_test_lookup_holes(struct kunit *test)
{
	const unsigned long big = BIT(POTAD_CHUNK_SHIFT);
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 8 * big);
	struct potad_desc *d[4], *e;
	struct potad_stats st;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 8 * big), 0);
	for (i = 0; i < ARRAY_SIZE(d); i++)
		d[i] = alloc_ok(test, pa, POTAD_CHUNK_SHIFT + 1);
	disable_work_sync(&pa->index_work);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, lk_holes_cleanup,
							pa), 0);
	potad_fail_index.verbose = 0;
	potad_fail_index.probability = 100;
	potad_fail_index.interval = 1;
	atomic_set(&potad_fail_index.times, ARRAY_SIZE(d));
	for (i = 0; i < ARRAY_SIZE(d); i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&potad_fail_index.times), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.index_holes, (unsigned long)ARRAY_SIZE(d));
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	expect_no_block(test, LK_PHYS(LK_BASE), 8 * big * PAGE_SIZE);
	/* Part of a placeholder reused before the work runs. */
	e = potad_alloc_at(pa, &test_plain_type, LK_BASE + big,
			   POTAD_CHUNK_SHIFT, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.index_holes, (unsigned long)ARRAY_SIZE(d));
	kunit_release_action(test, lk_holes_cleanup, pa);
	schedule_work(&pa->index_work);
	flush_work(&pa->index_work);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.index_holes, 0UL);
	expect_block(test, e);
	KUNIT_EXPECT_FALSE(test, e->flags & POTAD_DESC_CHUNKED);
	expect_no_block(test, LK_PHYS(LK_BASE), big * PAGE_SIZE);
	expect_no_block(test, LK_PHYS(LK_BASE + 2 * big), 6 * big * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, potad_free(pa, e), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, POTAD_CHUNK_SHIFT + 3), 1UL);
}

/*
 * More placeholders than the instance remembers: the work item scans the
 * whole index (dropping the lock as it goes) and finds every one.
 */
static void potad_test_lookup_holes_lost(struct kunit *test)
{
	const unsigned int order = POTAD_CHUNK_SHIFT;
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 256UL << order);
	struct potad_desc **d;
	struct potad_stats st;
	unsigned int i, n = 200;

	d = kunit_kcalloc(test, n, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 256UL << order), 0);
	for (i = 0; i < n; i++) {
		d[i] = alloc_ok(test, pa, order);
		KUNIT_ASSERT_EQ(test, d[i]->start, LK_BASE + ((unsigned long)i << order));
	}
	disable_work_sync(&pa->index_work);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, lk_holes_cleanup,
							pa), 0);
	potad_fail_index.verbose = 0;
	potad_fail_index.probability = 100;
	potad_fail_index.interval = 1;
	atomic_set(&potad_fail_index.times, n);
	/* Every other block: placeholders between live entries. */
	for (i = 0; i < n; i += 2)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.index_holes, (unsigned long)n / 2);
	KUNIT_EXPECT_EQ(test, pa->holes_lost, (unsigned long)n / 2 -
					       POTAD_NR_HOLES);
	kunit_release_action(test, lk_holes_cleanup, pa);
	schedule_work(&pa->index_work);
	flush_work(&pa->index_work);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.index_holes, 0UL);
	KUNIT_EXPECT_EQ(test, pa->holes_lost, 0UL);
	for (i = 0; i < n; i++) {
		if (i % 2)
			expect_block(test, d[i]);
		else
			expect_no_block(test,
					LK_PHYS(LK_BASE + ((unsigned long)i << order)),
					PAGE_SIZE << order);
	}
	for (i = 1; i < n; i += 2)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, order + 8), 1UL);
}
#else
static void potad_test_lookup_holes(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_POTAD_FAULT_INJECTION, built in");
}

static void potad_test_lookup_holes_lost(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_POTAD_FAULT_INJECTION, built in");
}
#endif

/* Errors found only once the index exists. */

static void potad_test_bad_alloc_into_live(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_desc desc = {};
	struct potad_stats before;

	KUNIT_ASSERT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 3, NULL, GFP_KERNEL), 0);
	potad_get_stats(pa, &before);
	/* Would leak the first block: refused, the descriptor untouched. */
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 0, NULL, GFP_KERNEL),
			-EINVAL);
	expect_unchanged(test, pa, &before);
	KUNIT_EXPECT_EQ(test, desc.order, 3);
	KUNIT_EXPECT_EQ(test, desc.state, POTAD_DESC_LIVE);
	/* Dead but referenced: not released yet, not reusable either. */
	KUNIT_ASSERT_TRUE(test, potad_desc_tryget(&desc));
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 0, NULL, GFP_KERNEL),
			-EINVAL);
	potad_desc_put(&desc);
	KUNIT_EXPECT_EQ(test, desc.state, POTAD_DESC_FREE);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 0, NULL, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
}

/* Unretiring outside the space: a warning, -EINVAL, nothing changed. */
static void potad_test_bad_unretire(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_stats st;

	KUNIT_EXPECT_EQ(test, potad_retire(pa, 3, GFP_KERNEL, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 64, 1, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, 60, 8, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, ULONG_MAX, 2, true), -EINVAL);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 63UL);
}

/* A put of a reference never taken would drop the owner's: refused. */
static void potad_test_bad_put(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_stats before;
	struct potad_desc *a;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	a = alloc_ok(test, pa, 3);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, a, LK_BASE, 2, GFP_KERNEL),
			0);
	potad_get_stats(pa, &before);
	potad_desc_put(a);
	expect_unchanged(test, pa, &before);
	KUNIT_EXPECT_EQ(test, a->state, POTAD_DESC_LIVE);
	expect_no_block(test, LK_PHYS(LK_BASE), 2 * PAGE_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 2)), a);
	KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 7)), a);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, a, LK_BASE + 2, 6,
					       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 6), 1UL);
}

/* Caller memory in a memory space needs a release op (RCU head). */
static void potad_test_bad_caller_mem_memory(struct kunit *test)
{
	struct potad_type norel = {
		.name = "potad_test_norel",
		.size = sizeof(struct potad_desc),
		.flags = POTAD_TYPE_CALLER_MEM,
	};
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad *ab = new_space(test, 64);
	struct potad_desc desc = {};
	struct potad_stats before;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	KUNIT_ASSERT_EQ(test, potad_type_register(&norel), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &norel, POTAD_ANY, 0,
					       NULL, GFP_KERNEL), -EINVAL);
	expect_unchanged(test, pa, &before);
	KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE)));
	/* Abstract spaces release synchronously: no op needed. */
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(ab, &desc, &norel, POTAD_ANY, 0,
					       NULL, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_free(ab, &desc), 0);
	potad_type_unregister(&norel);
}

struct lk_ctx {
	struct timer_list timer;
	struct hrtimer hrtimer;
	phys_addr_t phys;
	struct potad_desc *softirq, *hardirq;
	struct completion done[2];
};

static void lk_timer(struct timer_list *t)
{
	struct lk_ctx *c = from_timer(c, t, timer);

	rcu_read_lock();
	c->softirq = potad_lookup(c->phys);
	rcu_read_unlock();
	complete(&c->done[0]);
}

static enum hrtimer_restart lk_hrtimer(struct hrtimer *t)
{
	struct lk_ctx *c = container_of(t, struct lk_ctx, hrtimer);

	/* Interrupts are disabled: a read-side critical section already. */
	c->hardirq = potad_lookup(c->phys);
	complete(&c->done[1]);
	return HRTIMER_NORESTART;
}

/* Process, interrupts disabled (as GUP-fast), softirq and hardirq. */
static void potad_test_lookup_contexts(struct kunit *test)
{
	struct potad *pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_desc *d, *found;
	unsigned long flags;
	struct lk_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	d = alloc_ok(test, pa, 2);
	c->phys = potad_desc_phys(d) + 3 * PAGE_SIZE + 5;

	local_irq_save(flags);
	found = potad_lookup(c->phys);
	local_irq_restore(flags);
	KUNIT_EXPECT_PTR_EQ(test, found, d);

	init_completion(&c->done[0]);
	init_completion(&c->done[1]);
	timer_setup(&c->timer, lk_timer, 0);
	mod_timer(&c->timer, jiffies + 1);
	hrtimer_init(&c->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	c->hrtimer.function = lk_hrtimer;
	hrtimer_start(&c->hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&c->done[0]);
	wait_for_completion(&c->done[1]);
	timer_shutdown_sync(&c->timer);
	hrtimer_cancel(&c->hrtimer);
	KUNIT_EXPECT_PTR_EQ(test, c->softirq, d);
	KUNIT_EXPECT_PTR_EQ(test, c->hardirq, d);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
}

/*
 * Lookups racing with allocations and frees.  Every block's owner is a
 * cookie naming its first unit.  A reader that finds a descriptor must
 * find one whose block holds the address; once it holds a reference, the
 * address must keep resolving to that descriptor or to nothing (freed),
 * never to another block: its units cannot be reused.  KASAN checks that
 * no descriptor is read after it is freed.
 */
#define LK_THREADS	2
#define LK_SPAN		4096
#define LK_HELD		32

struct lk_race {
	struct potad *pa;
	struct completion done[LK_THREADS + 1];
	atomic_t errors;
	atomic_t hits;
	atomic_t pinned;
	atomic_t allocs;
	bool stop;
};

struct lk_race_arg {
	struct lk_race *r;
	unsigned int id;
};

/* @d's block holds @phys, and its owner is its cookie. */
static bool lk_holds(struct potad_desc *d, phys_addr_t phys)
{
	return phys >= potad_desc_phys(d) &&
	       phys - potad_desc_phys(d) < potad_desc_bytes(d) &&
	       d->owner == (void *)(d->start ^ 0x5a5a);
}

static int lk_writer(void *data)
{
	struct lk_race_arg *arg = data;
	struct lk_race *r = arg->r;
	struct potad_desc *held[LK_HELD] = {};
	unsigned int i, slot, order;
	unsigned long start;

	for (i = 0; i < 20000; i++) {
		slot = get_random_u32_below(LK_HELD);
		if (held[slot]) {
			if (potad_free(r->pa, held[slot]))
				atomic_inc(&r->errors);
			held[slot] = NULL;
			continue;
		}
		order = get_random_u32_below(5);
		start = LK_BASE + round_down(get_random_u32_below(LK_SPAN),
					     1U << order);
		/* The owner cookie is set before the block is visible. */
		held[slot] = potad_alloc_at(r->pa, &test_plain_type, start,
					    order, (void *)(start ^ 0x5a5a),
					    GFP_KERNEL);
		if (IS_ERR(held[slot])) {
			if (PTR_ERR(held[slot]) != -EBUSY)
				atomic_inc(&r->errors);
			held[slot] = NULL;
			continue;
		}
		if (lookup(potad_desc_phys(held[slot])) != held[slot])
			atomic_inc(&r->errors);
		atomic_inc(&r->allocs);
		if (!(i % 64))
			cond_resched();
	}
	for (slot = 0; slot < LK_HELD; slot++)
		if (held[slot] && potad_free(r->pa, held[slot]))
			atomic_inc(&r->errors);
	complete(&r->done[arg->id]);
	return 0;
}

static int lk_reader(void *data)
{
	struct lk_race_arg *arg = data;
	struct lk_race *r = arg->r;
	struct potad_desc *d, *again;
	phys_addr_t phys;
	bool pinned;
	unsigned int i;

	for (i = 0; !READ_ONCE(r->stop); i++) {
		phys = LK_PHYS(LK_BASE + get_random_u32_below(LK_SPAN)) +
		       get_random_u32_below(PAGE_SIZE);
		rcu_read_lock();
		d = potad_lookup(phys);
		pinned = false;
		if (d) {
			atomic_inc(&r->hits);
			if (!lk_holds(d, phys))
				atomic_inc(&r->errors);
			pinned = potad_desc_tryget(d);
		}
		rcu_read_unlock();
		if (!pinned)
			goto next;
		atomic_inc(&r->pinned);
		if (i % 16 == 0)
			usleep_range(10, 50);
		again = lookup(phys);
		if (again && again != d)
			atomic_inc(&r->errors);
		if (!lk_holds(d, phys))
			atomic_inc(&r->errors);
		potad_desc_put(d);
next:
		if (!(i % 64))
			cond_resched();
	}
	complete(&r->done[arg->id]);
	return 0;
}

static void potad_test_lookup_concurrent(struct kunit *test)
{
	struct lk_race_arg args[LK_THREADS + 1];
	struct task_struct *task;
	struct potad_stats st;
	struct lk_race *r;
	unsigned int i;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->pa = test_instance(test, "lk", POTAD_MEMORY, PAGE_SHIFT, LK_BASE,
			      LK_SPAN);
	KUNIT_ASSERT_EQ(test, potad_add_range(r->pa, LK_BASE, LK_SPAN), 0);
	for (i = 0; i <= LK_THREADS; i++) {
		init_completion(&r->done[i]);
		args[i].r = r;
		args[i].id = i;
		task = kthread_run(i < LK_THREADS ? lk_writer : lk_reader,
				   &args[i], "potad_lk/%u", i);
		if (IS_ERR(task)) {
			atomic_inc(&r->errors);
			complete(&r->done[i]);
		}
	}
	for (i = 0; i < LK_THREADS; i++)
		wait_for_completion(&r->done[i]);
	WRITE_ONCE(r->stop, true);
	wait_for_completion(&r->done[LK_THREADS]);

	KUNIT_EXPECT_EQ(test, atomic_read(&r->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&r->allocs), 1000);
	KUNIT_EXPECT_GT(test, atomic_read(&r->hits), 100);
	KUNIT_EXPECT_GT(test, atomic_read(&r->pinned), 10);
	kunit_info(test, "%d allocations, %d hits, %d pinned\n",
		   atomic_read(&r->allocs), atomic_read(&r->hits),
		   atomic_read(&r->pinned));
	potad_get_stats(r->pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	KUNIT_EXPECT_EQ(test, st.nr_free[12], 1UL);
	expect_no_block(test, LK_PHYS(LK_BASE), LK_SPAN * PAGE_SIZE);
}

static struct kunit_case potad_lookup_cases[] = {
	KUNIT_CASE(potad_test_lookup_boundaries),
	KUNIT_CASE(potad_test_lookup_partial),
	KUNIT_CASE(potad_test_lookup_instances),
	KUNIT_CASE(potad_test_lookup_reference),
	KUNIT_CASE(potad_test_lookup_pins_units),
	KUNIT_CASE(potad_test_lookup_destroy_waits),
	KUNIT_CASE(potad_test_lookup_holes),
	KUNIT_CASE(potad_test_lookup_holes_lost),
	KUNIT_CASE(potad_test_lookup_contexts),
	KUNIT_CASE_SLOW(potad_test_lookup_concurrent),
	{}
};

static struct kunit_suite potad_lookup_suite = {
	.name = "potad_lookup",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_lookup_cases,
};

/* Zone API caller bugs: WARN_ONCE, an error, nothing allocated or freed. */
static void potad_test_bad_zone_api(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_stats before, after;
	struct potad_desc *d;

	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_mem(&test_plain_type, 8,
						      GFP_KERNEL, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_mem(&test_plain_type,
						      BITS_PER_LONG,
						      GFP_KERNEL, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_mem(&test_plain_type,
						      PAGE_SHIFT,
						      GFP_KERNEL | __GFP_NOFAIL,
						      NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_mem(&test_caller_type,
						      PAGE_SHIFT, GFP_KERNEL,
						      NULL)),
			-EINVAL);
	/* Not a caller bug: more than any zone holds. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_mem(&test_plain_type, 62,
						      GFP_KERNEL | __GFP_NOWARN,
						      NULL)),
			-ENOSPC);
	/* A block of another instance is not the zone API's to free. */
	d = alloc_ok(test, pa, 2);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_mem(NULL), -EINVAL);
	potad_get_stats(pa, &after);
	KUNIT_EXPECT_EQ(test, after.units_allocated, before.units_allocated);
	KUNIT_EXPECT_EQ(test, after.nr_frees, before.nr_frees);
	KUNIT_EXPECT_EQ(test, d->state, POTAD_DESC_LIVE);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	/* Directory instances need a sleeping gfp for their ranges. */
	pa = test_instance(test, "dirgfp", POTAD_MEMORY, PAGE_SHIFT, LK_BASE,
			   64);
	KUNIT_EXPECT_EQ(test, potad_add_range_gfp(pa, LK_BASE, 64, GFP_ATOMIC),
			-EINVAL);
	potad_get_stats(pa, &after);
	KUNIT_EXPECT_EQ(test, after.units_total, 0);
}

#if IS_ENABLED(CONFIG_POTAD_CMA) && IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
/*
 * cma_alloc() and cma_release() bad input on the default area: the stock
 * NULL or false, warned about where it is a caller bug, nothing changed.
 */
static void potad_test_bad_cma(struct kunit *test)
{
	struct cma *cma = dev_get_cma_area(NULL);
	struct page *p, *other;
	unsigned long used;

	if (!cma)
		kunit_skip(test, "no default CMA area: boot with cma=");
	used = potad_cma_used(cma);
	KUNIT_EXPECT_NULL(test, cma_alloc(cma, 0, 0, true));
	KUNIT_EXPECT_NULL(test, cma_alloc(cma, cma_get_size(cma) / PAGE_SIZE + 1,
					  0, true));
	/* 2^40 pages: no pfn of the area is that aligned. */
	KUNIT_EXPECT_NULL(test, cma_alloc(cma, 1, 40, true));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);

	p = cma_alloc(cma, 5, 0, false);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, cma_pages_valid(cma, p, 5));
	KUNIT_EXPECT_FALSE(test, cma_pages_valid(cma, p, 4));
	KUNIT_EXPECT_FALSE(test, cma_pages_valid(cma, p + 1, 4));
	/* Part of an allocation, or the wrong count: refused, warned. */
	KUNIT_EXPECT_FALSE(test, cma_release(cma, p, 4));
	KUNIT_EXPECT_FALSE(test, cma_release(cma, p + 1, 4));
	KUNIT_EXPECT_FALSE(test, cma_release(cma, p, 6));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used + 5);
	KUNIT_EXPECT_TRUE(test, cma_pages_valid(cma, p, 5));
	/* Outside every area: false, quietly (callers probe each area). */
	other = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_EXPECT_FALSE(test, cma_pages_valid(cma, other, 1));
	KUNIT_EXPECT_FALSE(test, cma_release(cma, other, 1));
	__free_page(other);
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used + 5);

	KUNIT_EXPECT_TRUE(test, cma_release(cma, p, 5));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);
	/* Twice: refused, nothing changed. */
	KUNIT_EXPECT_FALSE(test, cma_release(cma, p, 5));
	KUNIT_EXPECT_FALSE(test, cma_pages_valid(cma, p, 5));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);
}
#endif

#ifdef CONFIG_POTAD_SWAP
/* A swap map of @max slots: the header and @bad marked as swapon does. */
static unsigned char *potad_test_swap_map(struct kunit *test,
					  unsigned long max,
					  const unsigned long *bad,
					  unsigned int nr_bad)
{
	unsigned char *map = kunit_kzalloc(test, max, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, map);
	map[0] = SWAP_MAP_BAD;
	for (i = 0; i < nr_bad; i++)
		map[bad[i]] = SWAP_MAP_BAD;
	return map;
}

static void potad_test_swap_teardown_action(void *ps)
{
	potad_swap_teardown(ps);
}

static struct potad_swap *potad_test_swap_new(struct kunit *test,
					      const unsigned char *map,
					      unsigned long max)
{
	struct potad_swap *ps = kunit_kzalloc(test, sizeof(*ps), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, ps);
	KUNIT_ASSERT_EQ(test, potad_swap_setup(ps, "test-swap", map, max), 0);
	ret = kunit_add_action_or_reset(test, potad_test_swap_teardown_action,
					ps);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return ps;
}

/* The free slots once those freed are given back to the instance. */
static unsigned long potad_test_swap_free_units(struct potad_swap *ps)
{
	struct potad_stats st;

	potad_swap_flush(ps);
	potad_get_stats(&ps->pa, &st);
	return st.units_free;
}

/*
 * A tiny area, not a power of two, with bad blocks: every usable slot is
 * handed out once, never the header or a bad one, and the registered
 * count is what swapon counts (si->pages).
 */
static void potad_test_swap_bad_blocks(struct kunit *test)
{
	static const unsigned long bad[] = { 5, 37, 64, 98 };
	const unsigned long max = 100;
	unsigned char *map = potad_test_swap_map(test, max, bad,
						 ARRAY_SIZE(bad));
	unsigned long *seen = kunit_kzalloc(test, BITS_TO_LONGS(max) *
					    sizeof(long), GFP_KERNEL);
	struct potad_swap *ps;
	unsigned long off, n = 0, i;

	KUNIT_ASSERT_NOT_NULL(test, seen);
	ps = potad_test_swap_new(test, map, max);
	KUNIT_EXPECT_EQ(test, ps->slots, max - 1 - ARRAY_SIZE(bad));
	while (potad_swap_get(ps, 0, &off)) {
		KUNIT_ASSERT_LT(test, off, max);
		KUNIT_EXPECT_EQ(test, map[off], 0);
		KUNIT_EXPECT_FALSE(test, test_and_set_bit(off, seen));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, ps->slots);
	KUNIT_EXPECT_EQ(test, ps->failures[0], 1);
	/* Larger runs: none left. */
	KUNIT_EXPECT_FALSE(test, potad_swap_get(ps, 1, &off));
	for_each_set_bit(i, seen, max)
		potad_swap_put(ps, i, 1);
	KUNIT_EXPECT_EQ(test, ps->freed, n);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), ps->slots);
	/* Everything back: order 4 around the bad blocks, as many as fit. */
	bitmap_zero(seen, max);
	n = 0;
	while (potad_swap_get(ps, 4, &off)) {
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(off, 16));
		KUNIT_EXPECT_NULL(test, memchr_inv(map + off, 0, 16));
		bitmap_set(seen, off, 16);
		n++;
	}
	/* [16, 32), [48, 64), [80, 96): the aligned 16s free of bad blocks. */
	KUNIT_EXPECT_EQ(test, n, 3);
	for_each_set_bit(i, seen, max)
		potad_swap_put(ps, i, 1);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), ps->slots);
}

/*
 * Runs of mixed orders are naturally aligned and disjoint; slots freed
 * one by one from the middle of runs go straight back to the instance,
 * and once all are back the space is whole again.
 */
static void potad_test_swap_orders(struct kunit *test)
{
	const unsigned long max = 8192;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	unsigned long *used = kunit_kzalloc(test, BITS_TO_LONGS(max) *
					    sizeof(long), GFP_KERNEL);
	static const unsigned int orders[] = { 0, 2, 4, 0, 4, 2, 0 };
	struct potad_swap *ps;
	unsigned long off, before, i;
	unsigned int k, r;

	KUNIT_ASSERT_NOT_NULL(test, used);
	ps = potad_test_swap_new(test, map, max);
	for (r = 0; r < 200; r++) {
		k = orders[r % ARRAY_SIZE(orders)];
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, k, &off));
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(off, BIT(k)));
		KUNIT_EXPECT_GT(test, off, 0);
		KUNIT_EXPECT_EQ(test, find_next_bit(used, off + BIT(k), off),
				off + BIT(k));
		bitmap_set(used, off, BIT(k));
	}
	KUNIT_EXPECT_EQ(test, ps->runs[0] + ps->runs[2] + ps->runs[4], 200);
	/* One slot from inside each run of 16: back at once. */
	for_each_set_bit(i, used, max) {
		if (!IS_ALIGNED(i, 16) || !test_bit(i + 15, used) ||
		    find_next_zero_bit(used, i + 16, i) != i + 16)
			continue;
		before = potad_test_swap_free_units(ps);
		potad_swap_put(ps, i + 7, 1);
		clear_bit(i + 7, used);
		KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps),
				before + 1);
	}
	for_each_set_bit(i, used, max)
		potad_swap_put(ps, i, 1);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
	kunit_remove_action(test, potad_test_swap_teardown_action, ps);
	KUNIT_EXPECT_EQ(test, potad_swap_teardown(ps), 0);
}

/*
 * Without a whole free cluster (bad blocks in each), the refill takes the
 * smallest free block that fits, whole, and then holes in the clusters
 * of the run's order first.  A request with no block of its order free
 * anywhere is served once the drain gave back the tail of another
 * order's block.
 */
static void potad_test_swap_drain(struct kunit *test)
{
	const unsigned long max = 1024;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps;
	unsigned long a, b, c, d, e, f;

	/* Only [256, 512) and [768, 1024) are usable: two order-8 blocks. */
	memset(map, SWAP_MAP_BAD, 256);
	memset(map + 512, SWAP_MAP_BAD, 256);
	ps = potad_test_swap_new(test, map, max);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &a));
	KUNIT_EXPECT_EQ(test, a, 256);
	KUNIT_EXPECT_EQ(test, ps->refills[8], 1);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 8, &b));
	KUNIT_EXPECT_EQ(test, b, 768);
	potad_swap_put(ps, b + 5, 1);
	/* Only that hole is free: order 1 needs the order-0 block's tail. */
	KUNIT_EXPECT_EQ(test, ps->drains, 0);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 1, &c));
	KUNIT_EXPECT_EQ(test, ps->drains, 1);
	KUNIT_EXPECT_EQ(test, ps->drained, 255);
	KUNIT_EXPECT_EQ(test, c, 258);
	/*
	 * Order 0: slot 257, then [260, 264) in order 0's cluster, not the
	 * smaller hole in the cluster of order 8's run.
	 */
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &d));
	KUNIT_EXPECT_EQ(test, d, 257);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &e));
	KUNIT_EXPECT_EQ(test, e, 260);
	KUNIT_EXPECT_EQ(test, ps->steals[0], 0);
	/* Order 7: none of its own; [384, 512) is order 0's. */
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 7, &f));
	KUNIT_EXPECT_EQ(test, f, 384);
	KUNIT_EXPECT_EQ(test, ps->steals[7], 1);
	KUNIT_EXPECT_EQ(test, ps->drains, 1);
	potad_swap_put(ps, a, 1);
	potad_swap_put(ps, b, 5);
	potad_swap_put(ps, b + 6, 250);
	potad_swap_put(ps, c, 2);
	potad_swap_put(ps, d, 1);
	potad_swap_put(ps, e, 1);
	potad_swap_put(ps, f, 128);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), 512);
}

/*
 * Slots freed in ranges that span several runs, and runs given back in
 * pieces in any order: each slot once.
 */
static void potad_test_swap_ranges(struct kunit *test)
{
	const unsigned long max = 4096;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps;
	unsigned long off[8], i;

	ps = potad_test_swap_new(test, map, max);
	for (i = 0; i < ARRAY_SIZE(off); i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 2, &off[i]));
		if (i)
			KUNIT_EXPECT_EQ(test, off[i], off[i - 1] + 4);
	}
	/* [off0 + 2, off3 + 2): parts of four runs in one call. */
	potad_swap_put(ps, off[0] + 2, 12);
	KUNIT_EXPECT_EQ(test, ps->freed, 12);
	potad_swap_put(ps, off[3] + 3, 1);
	potad_swap_put(ps, off[0], 2);
	potad_swap_put(ps, off[3] + 2, 1);
	potad_swap_put(ps, off[4], 16);
	KUNIT_EXPECT_EQ(test, ps->freed, 32);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
}

/*
 * A slot freed from the middle of a CPU's block goes to another block
 * when a refill takes it as a hole in its cluster: a range freed later
 * across it is parts of two blocks, each given back to its own.
 */
static void potad_test_swap_reused(struct kunit *test)
{
	const unsigned long max = 1024;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps = potad_test_swap_new(test, map, max);
	unsigned long off, i, free;

	/* The whole cluster [512, 1024): slots 512 to 521. */
	for (i = 0; i < 10; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
		KUNIT_ASSERT_EQ(test, off, 512 + i);
	}
	potad_swap_put(ps, 514, 1);
	/* [522, 1024) back: 514 is the cluster's only free slot alone. */
	potad_swap_drain(ps);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
	KUNIT_ASSERT_EQ(test, off, 514);
	KUNIT_EXPECT_PTR_NE(test, potad_unit_desc(&ps->pa, 513),
			    potad_unit_desc(&ps->pa, 514));
	KUNIT_EXPECT_PTR_EQ(test, potad_unit_desc(&ps->pa, 513),
			    potad_unit_desc(&ps->pa, 515));
	free = potad_test_swap_free_units(ps);
	potad_swap_put(ps, 513, 3);
	KUNIT_EXPECT_EQ(test, ps->freed, 4);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), free + 3);
	potad_swap_put(ps, 512, 1);
	potad_swap_put(ps, 516, 6);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
}

/*
 * Runs of each order in clusters of their own, as mm/swapfile.c keeps
 * them: a slot freed inside a large run is not taken by order 0, which
 * takes a free cluster of its own instead; once the rest of the run is
 * back it is whole again and serves the next run of its order.
 */
static void potad_test_swap_clusters(struct kunit *test)
{
	const unsigned long max = 2048;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps = potad_test_swap_new(test, map, max);
	unsigned long off, i;

	/* Cluster [512, 1024) for order 4, all of it. */
	for (i = 0; i < 32; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 4, &off));
		KUNIT_ASSERT_EQ(test, off, 512 + 16 * i);
	}
	potad_swap_put(ps, 512 + 3, 1);
	/* Order 0: [1024, 1536), then [1536, 2048), never slot 515. */
	for (i = 0; i < 513; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
		KUNIT_ASSERT_EQ(test, off, 1024 + i);
	}
	KUNIT_EXPECT_EQ(test, ps->steals[0], 0);
	potad_swap_put(ps, 512, 3);
	potad_swap_put(ps, 512 + 4, 12);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 4, &off));
	KUNIT_EXPECT_EQ(test, off, 512);
	KUNIT_EXPECT_EQ(test, ps->steals[4], 0);
	potad_swap_put(ps, 512, 512);
	potad_swap_put(ps, 1024, 513);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
}

/*
 * Frees wait in the queue: consecutive slots of one block are one entry,
 * scattered slots one each, and a full queue goes back to the instance
 * in one potad_free_parts() before the next entry; so does any refill.
 */
static void potad_test_swap_batch(struct kunit *test)
{
	const unsigned long max = 2048;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps = potad_test_swap_new(test, map, max);
	unsigned long off, i, free;

	/* The whole cluster [512, 1024), order 0. */
	for (i = 0; i < 512; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
		KUNIT_ASSERT_EQ(test, off, 512 + i);
	}
	free = potad_units_free(&ps->pa);
	for (i = 0; i < 100; i++)
		potad_swap_put(ps, 600 + i, 1);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 1);
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free);
	/* Every other slot: 63 entries fill the queue, the next flushes it. */
	for (i = 0; i < 63; i++)
		potad_swap_put(ps, 800 + 2 * i, 1);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 64);
	KUNIT_EXPECT_EQ(test, ps->flushes, 0);
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free);
	potad_swap_put(ps, 513, 1);
	KUNIT_EXPECT_EQ(test, ps->flushes, 1);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 1);
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free + 100 + 63);
	KUNIT_EXPECT_EQ(test, ps->freed, 164);
	/* A refill (a free cluster for order 1) gives the queue back first. */
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 1, &off));
	KUNIT_EXPECT_EQ(test, off, 1024);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 0);
	KUNIT_EXPECT_EQ(test, ps->flushes, 2);
	potad_swap_put(ps, off, 2);
	for (i = 0; i < 512; i++)
		if (i != 1 && (i < 88 || i >= 188) &&
		    (i < 288 || i >= 414 || i % 2))
			potad_swap_put(ps, 512 + i, 1);
	potad_swap_drain(ps);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
}

/*
 * Page discards: a cluster whose slots are all back is held, whole, out
 * of the instance until it is discarded, at once even though the queue
 * is not full; refills take other clusters meanwhile; the clusters held
 * come out in address order and are usable again once given back.  A
 * cluster with unusable slots (the header) is never held.
 */
static void potad_test_swap_discard(struct kunit *test)
{
	const unsigned long max = 2048;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps = potad_test_swap_new(test, map, max);
	struct potad_swap_cluster *cl;
	unsigned long off, i, free;
	unsigned int n = 0;
	LIST_HEAD(batch);

	ps->discard = true;
	/* Clusters [512, 1024) for order 0 and [1024, 1536) for order 4. */
	for (i = 0; i < 512; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
		KUNIT_ASSERT_EQ(test, off, 512 + i);
	}
	for (i = 0; i < 32; i++) {
		KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 4, &off));
		KUNIT_ASSERT_EQ(test, off, 1024 + 16 * i);
	}
	free = potad_units_free(&ps->pa);
	/* Back in reverse; the last slot of the cluster is slot 1024. */
	for (i = 512; i-- > 0;)
		potad_swap_put(ps, 1024 + i, 1);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 0);
	KUNIT_EXPECT_FALSE(test, list_empty(&ps->held));
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free);
	potad_swap_put(ps, 512, 512);
	KUNIT_EXPECT_EQ(test, ps->nr_pending, 0);
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free);
	/* Neither held cluster serves a refill: only [1536, 2048) is free. */
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &off));
	KUNIT_EXPECT_EQ(test, off, 1536);
	potad_swap_put(ps, off, 1);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 8, &off));
	KUNIT_EXPECT_EQ(test, off, 256);
	/* The drain empties [1536, 2048), which is held in turn. */
	KUNIT_EXPECT_FALSE(test, potad_swap_get(ps, 8, &off));
	KUNIT_EXPECT_EQ(test, ps->drains, 1);
	potad_swap_discard_begin(ps, &batch);
	KUNIT_EXPECT_TRUE(test, list_empty(&ps->held));
	list_for_each_entry(cl, &batch, list) {
		KUNIT_EXPECT_EQ(test, cl - ps->clusters, n + 1);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 3);
	potad_swap_discard_end(ps, &batch);
	KUNIT_EXPECT_TRUE(test, list_empty(&batch));
	KUNIT_EXPECT_EQ(test, potad_units_free(&ps->pa), free + 1024 - 256);
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 8, &off));
	KUNIT_EXPECT_EQ(test, off, 512);
	potad_swap_put(ps, off, 256);
	potad_swap_put(ps, 256, 256);
	potad_swap_discard_begin(ps, &batch);
	potad_swap_discard_end(ps, &batch);
	potad_swap_drain(ps);
	potad_swap_discard_begin(ps, &batch);
	potad_swap_discard_end(ps, &batch);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), max - 1);
}

/*
 * Frees of slots the allocator did not hand out: not carved yet from a
 * CPU's block, free, the header, a range with one such slot, freed
 * already.  A warning, and nothing is freed.
 */
static void potad_test_bad_swap_put(struct kunit *test)
{
	const unsigned long max = 1024;
	unsigned char *map = potad_test_swap_map(test, max, NULL, 0);
	struct potad_swap *ps = potad_test_swap_new(test, map, max);
	unsigned long a, b, free;

	/* Slots 512 and 513 of the free cluster [512, 1024). */
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &a));
	KUNIT_ASSERT_TRUE(test, potad_swap_get(ps, 0, &b));
	KUNIT_ASSERT_EQ(test, a, 512);
	KUNIT_ASSERT_EQ(test, b, 513);
	free = potad_test_swap_free_units(ps);
	potad_swap_put(ps, b + 1, 1);
	potad_swap_put(ps, 5, 1);
	potad_swap_put(ps, 0, 1);
	potad_swap_put(ps, a, 3);
	potad_swap_put(ps, a, 0);
	KUNIT_EXPECT_EQ(test, ps->freed, 0);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), free);
	potad_swap_put(ps, a, 2);
	potad_swap_put(ps, b, 1);
	KUNIT_EXPECT_EQ(test, ps->freed, 2);
	KUNIT_EXPECT_EQ(test, potad_test_swap_free_units(ps), free + 2);
	/* The allocator still works: slot 514 of the CPU's block. */
	KUNIT_EXPECT_TRUE(test, potad_swap_get(ps, 0, &a));
	KUNIT_EXPECT_EQ(test, a, 514);
	potad_swap_put(ps, a, 1);
}
#endif

static struct kunit_case potad_errors_cases[] = {
	KUNIT_CASE(potad_test_bad_init),
	KUNIT_CASE(potad_test_bad_ranges),
	KUNIT_CASE(potad_test_bad_alloc),
	KUNIT_CASE(potad_test_bad_alloc_in),
	KUNIT_CASE(potad_test_bad_free),
	KUNIT_CASE(potad_test_bad_free_parts),
	KUNIT_CASE(potad_test_bad_type),
	KUNIT_CASE(potad_test_bad_shared_memory),
	KUNIT_CASE(potad_test_bad_alloc_into_live),
	KUNIT_CASE(potad_test_bad_put),
	KUNIT_CASE(potad_test_bad_unretire),
	KUNIT_CASE(potad_test_bad_caller_mem_memory),
	KUNIT_CASE(potad_test_lookup_refree_reused),
	KUNIT_CASE(potad_test_bad_zone_api),
#if IS_ENABLED(CONFIG_POTAD_CMA) && IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
	KUNIT_CASE(potad_test_bad_cma),
#endif
#ifdef CONFIG_POTAD_SWAP
	KUNIT_CASE(potad_test_bad_swap_put),
#endif
	{}
};

static struct kunit_suite potad_errors_suite = {
	.name = "potad_errors",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_errors_cases,
};

/* Zone instances and the potad= reservation (mm/potad_zone.c) */

struct zone_parse_case {
	const char *arg;
	int ret;
	u64 total;
	bool spread;
	u64 node0;
};

static const struct zone_parse_case zone_parse_cases[] = {
	{ "1G", 0, SZ_1G, true, 0 },
	{ "512M", 0, SZ_512M, true, 0 },
	{ "0:1G", 0, SZ_1G, false, SZ_1G },
	{ "0:4k", 0, SZ_4K, false, SZ_4K },
	{ "", -EINVAL },
	{ "0", -EINVAL },
	{ "garbage", -EINVAL },
	{ "1G,", -EINVAL },
	{ "1Gx", -EINVAL },
	{ "0:", -EINVAL },
	{ "0:0", -EINVAL },
	{ ":1G", -EINVAL },
	{ "0:1G,", -EINVAL },
	{ "0:1G,0:1G", -EINVAL },
	{ "0:1G;", -EINVAL },
	{ "99999:1G", -EINVAL },
	{ "+0:1G", -EINVAL },
	{ "0:16E", -EINVAL },
	{ "-1:1G", -EINVAL },
	{ "0x0:1G", -EINVAL },
	{ "00000000000000:1G", -EINVAL },
};

/* potad= in every form, and garbage: refused whole, nothing asked for. */
static void potad_test_zone_parse(struct kunit *test)
{
	struct potad_request *req;
	unsigned int i;

	req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	for (i = 0; i < ARRAY_SIZE(zone_parse_cases); i++) {
		const struct zone_parse_case *c = &zone_parse_cases[i];

		KUNIT_EXPECT_EQ_MSG(test, potad_parse_request(c->arg, req),
				    c->ret, "potad=%s", c->arg);
		KUNIT_EXPECT_EQ_MSG(test, req->total, c->total, "potad=%s",
				    c->arg);
		KUNIT_EXPECT_EQ_MSG(test, req->spread, c->spread, "potad=%s",
				    c->arg);
		KUNIT_EXPECT_EQ_MSG(test, req->size[0], c->node0, "potad=%s",
				    c->arg);
	}
	KUNIT_EXPECT_EQ(test, potad_parse_request(NULL, req), -EINVAL);
}

/*
 * Every populated zone has its instance, spanning the zone in pages, able
 * to hold a block as large as the zone allows, and holding exactly the
 * reserved pieces in the zone.
 */
static void potad_test_zone_instances(struct kunit *test)
{
	const struct potad_reserved *r;
	struct zone *zone;
	int n = 0;

	for_each_populated_zone(zone) {
		struct potad *pa = potad_zone(zone);
		unsigned long reserved = 0;
		struct potad_stats st;
		unsigned int i;

		struct potad_zone_info info;

		KUNIT_ASSERT_NOT_NULL_MSG(test, pa, "zone %s", zone->name);
		KUNIT_EXPECT_EQ(test, pa->flags, POTAD_MEMORY | POTAD_ZONE);
		KUNIT_EXPECT_EQ(test, pa->unit_shift, PAGE_SHIFT);
		KUNIT_EXPECT_LE(test, pa->base, zone->zone_start_pfn);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pa->base, BIT(pa->max_order)));
		KUNIT_EXPECT_EQ(test, pa->base + pa->span, zone_end_pfn(zone));
		KUNIT_EXPECT_GE(test, pa->max_order,
				ilog2(zone_end_pfn(zone) - zone->zone_start_pfn));
		for (i = 0; (r = potad_reserved_get(i)); i++)
			if (page_zone(pfn_to_page(PHYS_PFN(r->base))) == zone)
				reserved += r->size >> PAGE_SHIFT;
		potad_get_stats(pa, &st);
		KUNIT_ASSERT_EQ(test, potad_zone_get_info(zone, &info), 0);
		KUNIT_EXPECT_EQ(test, info.reserved, reserved);
		KUNIT_EXPECT_EQ(test, st.units_total, reserved + info.elastic);
		n++;
	}
	KUNIT_EXPECT_GT(test, n, 0);
}

/* The reserved piece holding @phys, or NULL. */
static const struct potad_reserved *zone_piece(phys_addr_t phys)
{
	const struct potad_reserved *r;
	unsigned int i;

	for (i = 0; (r = potad_reserved_get(i)); i++)
		if (phys >= r->base && phys - r->base < r->size)
			return r;
	return NULL;
}

/*
 * With potad=1G: a 1 GB block, far beyond MAX_PAGE_ORDER, from real
 * memory that never entered the buddy allocator, found by its address.
 */
static void potad_test_zone_reserved_1g(struct kunit *test)
{
	const unsigned int order = 30 - PAGE_SHIFT;
	const struct potad_reserved *p, *r = NULL;
	struct potad_desc *d, *e;
	unsigned int i;
	phys_addr_t phys;
	struct potad *pa;

	for (i = 0; (p = potad_reserved_get(i)); i++)
		if (p->size >= SZ_1G)
			r = p;
	if (!r) {
#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
		/* Asked for: a fallback to smaller pieces is a failure here. */
		KUNIT_ASSERT_NULL_MSG(test, strstr(saved_command_line, "potad=1G"),
				      "potad=1G given, no 1 GB piece reserved");
#endif
		kunit_skip(test, "no 1 GB piece reserved (boot with potad=1G)");
	}
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(r->base, r->size));
	pa = potad_zone(page_zone(pfn_to_page(PHYS_PFN(r->base))));
	KUNIT_ASSERT_NOT_NULL(test, pa);

	d = potad_alloc(pa, &test_plain_type, order, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d), "%ld", PTR_ERR(d));
	phys = potad_desc_phys(d);
	KUNIT_EXPECT_EQ(test, potad_desc_bytes(d), (u64)SZ_1G);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(phys, SZ_1G));
	KUNIT_EXPECT_PTR_NE(test, zone_piece(phys), NULL);
	KUNIT_EXPECT_PTR_NE(test, zone_piece(phys + SZ_1G - 1), NULL);
	/* Never in the buddy allocator: reserved pages, first to last. */
	KUNIT_EXPECT_TRUE(test, PageReserved(pfn_to_page(PHYS_PFN(phys))));
	KUNIT_EXPECT_TRUE(test, PageReserved(pfn_to_page(PHYS_PFN(phys) +
							 BIT(order) - 1)));
	KUNIT_EXPECT_PTR_EQ(test, lookup(phys + SZ_512M + 123), d);
	/* The instance is the one its pages' zone leads to. */
	KUNIT_EXPECT_PTR_EQ(test, potad_zone(page_zone(pfn_to_page(PHYS_PFN(phys)))),
			    pa);
	e = potad_lookup_get(phys + SZ_1G - 1);
	KUNIT_EXPECT_PTR_EQ(test, e, d);
	if (e)
		potad_desc_put(e);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	KUNIT_EXPECT_NULL(test, lookup(phys));
}

/* The page allocator's events, for exact deltas (not per CPU). */
static unsigned long zone_event(enum vm_event_item item)
{
	unsigned long *ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);
	unsigned long v;

	if (!ev)
		return ULONG_MAX;
	all_vm_events(ev);
	v = ev[item];
	kfree(ev);
	return v;
}

/* A block of the zone API: in a zone @gfp allows, found, writable. */
static struct potad_desc *zone_alloc_ok(struct kunit *test,
					unsigned int shift, gfp_t gfp, int nid)
{
	struct potad_desc *d = potad_alloc_node(&test_plain_type, shift, gfp,
						nid, test);
	struct potad *pa;
	struct page *page;

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d), "2^%u bytes, %pGg: %ld",
			       shift, &gfp, PTR_ERR(d));
	page = pfn_to_page(PHYS_PFN(potad_desc_phys(d)));
	KUNIT_EXPECT_LE(test, page_zonenum(page), gfp_zone(gfp));
	/* The zone's instance, or below a page its sub-page instance. */
	pa = potad_zone(page_zone(page));
	if (shift < PAGE_SHIFT)
		pa = potad_zone_sub(pa);
	KUNIT_EXPECT_PTR_EQ(test, d->potad, pa);
	KUNIT_EXPECT_EQ(test, potad_desc_bytes(d), BIT_ULL(shift));
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(potad_desc_phys(d), BIT_ULL(shift)));
	KUNIT_EXPECT_PTR_EQ(test, potad_desc_virt(d),
			    page_address(page) +
			    offset_in_page(potad_desc_phys(d)));
	KUNIT_EXPECT_PTR_EQ(test, d->owner, (void *)test);
	KUNIT_EXPECT_PTR_EQ(test, lookup(potad_desc_phys(d) +
					 BIT_ULL(shift) - 1), d);
	return d;
}

/*
 * The zone comes from the gfp as for alloc_pages(), on the preferred
 * node; the block is a block of that zone's instance, in the index, and
 * real memory.  Each allocation and free is one vmstat event.
 */
static void potad_test_zone_api_gfp(struct kunit *test)
{
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_DMA32,
#ifdef CONFIG_ZONE_DMA
		GFP_DMA,
#endif
		GFP_KERNEL | __GFP_HIGHMEM | __GFP_MOVABLE,
	};
	unsigned long allocs = zone_event(POTAD_ALLOC);
	unsigned long frees = zone_event(POTAD_FREE);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gfps); i++) {
		struct potad_desc *d = zone_alloc_ok(test, PAGE_SHIFT + i,
						     gfps[i], first_online_node);
		phys_addr_t phys = potad_desc_phys(d);

		/* Not movable memory: never ZONE_MOVABLE, whatever the gfp. */
		KUNIT_EXPECT_LE(test, page_zonenum(pfn_to_page(d->start)),
				ZONE_NORMAL);
		KUNIT_EXPECT_EQ(test, page_to_nid(pfn_to_page(d->start)),
				first_online_node);
		memset(potad_desc_virt(d), 0x5a, potad_desc_bytes(d));
		KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
		KUNIT_EXPECT_NULL(test, lookup(phys));
	}
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_ALLOC) - allocs, i);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_FREE) - frees, i);
}

/* Leave ZONE_DMA32 and below with no free POTAD memory, or skip. */
static void zone_dry_dma32(struct kunit *test)
{
	struct zone *zone = NULL, *z;
	struct potad_stats st;

	potad_zone_shrink_all();
	for_each_populated_zone(z) {
		if (zone_idx(z) > ZONE_DMA32)
			continue;
		potad_get_stats(potad_zone(z), &st);
		if (st.units_free)
			kunit_skip(test, "zone %s holds free POTAD memory",
				   z->name);
		if (zone_idx(z) == ZONE_DMA32)
			zone = z;
	}
	if (!zone)
		kunit_skip(test, "no DMA32 zone");
}

static void zone_free_action(void *desc)
{
	potad_free_mem(desc);
}

static void zone_restore_high(void *zone)
{
	potad_zone_set_high(zone, 2 * MAX_ORDER_NR_PAGES);
}

/*
 * Set the high mark of zone @top and the zones below, where a refill for
 * a gfp of that zone may land, until the end of the test.
 */
static void zone_set_high_upto(struct kunit *test, enum zone_type top,
			       unsigned long high)
{
	struct zone *z;

	for_each_populated_zone(z) {
		if (zone_idx(z) > top)
			continue;
		potad_zone_set_high(z, high);
		KUNIT_ASSERT_EQ(test,
				kunit_add_action_or_reset(test,
							  zone_restore_high,
							  z), 0);
	}
}

/*
 * A dry zone takes a MAX_PAGE_ORDER block from the buddy allocator and
 * gives it back once it is entirely free again, at a high mark of 0; the
 * block's memory is real and zeroed when asked.
 */
static void potad_test_zone_refill_return(struct kunit *test)
{
	unsigned long refills, returns;
	struct potad_zone_info info0, info;
	struct potad_desc *a, *b;
	struct potad_stats st0, st;
	struct zone *z;
	phys_addr_t phys;

	zone_dry_dma32(test);
	refills = zone_event(POTAD_REFILL);
	returns = zone_event(POTAD_RETURN);
	zone_set_high_upto(test, ZONE_DMA32, 0);
	a = zone_alloc_ok(test, PAGE_SHIFT, GFP_DMA32, NUMA_NO_NODE);
	z = page_zone(pfn_to_page(a->start));
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_REFILL) - refills, 1);
	potad_zone_get_info(z, &info0);
	potad_get_stats(potad_zone(z), &st0);
	KUNIT_EXPECT_EQ(test, info0.elastic, MAX_ORDER_NR_PAGES);
	KUNIT_EXPECT_EQ(test, st0.units_total, info0.reserved + MAX_ORDER_NR_PAGES);
	KUNIT_EXPECT_EQ(test, st0.units_free, MAX_ORDER_NR_PAGES - 1);
	KUNIT_EXPECT_EQ(test, info0.elastic_free, MAX_ORDER_NR_PAGES - 1);
	/* While POTAD has it, a reserved page like the reservation's. */
	KUNIT_EXPECT_TRUE(test, PageReserved(pfn_to_page(a->start)));
	KUNIT_EXPECT_TRUE(test, PageReserved(pfn_to_page(a->start + 1)));

	/* __GFP_ZERO: the same (lowest free) block again, dirtied first. */
	b = zone_alloc_ok(test, PAGE_SHIFT + 2, GFP_DMA32, NUMA_NO_NODE);
	phys = potad_desc_phys(b);
	memset(potad_desc_virt(b), 0xaa, SZ_16K);
	KUNIT_EXPECT_EQ(test, potad_free_mem(b), 0);
	b = zone_alloc_ok(test, PAGE_SHIFT + 2, GFP_DMA32 | __GFP_ZERO,
			  NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, potad_desc_phys(b), phys);
	KUNIT_EXPECT_NULL(test, memchr_inv(potad_desc_virt(b), 0, SZ_16K));
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_REFILL) - refills, 1);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 0);

	/* The last free empties the block: back to the buddy allocator. */
	KUNIT_EXPECT_EQ(test, potad_free_mem(b), 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 0);
	KUNIT_EXPECT_EQ(test, potad_free_mem(a), 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 1);
	potad_zone_get_info(z, &info);
	potad_get_stats(potad_zone(z), &st);
	KUNIT_EXPECT_EQ(test, info.elastic, 0);
	KUNIT_EXPECT_EQ(test, info.returns, info0.returns + 1);
	KUNIT_EXPECT_EQ(test, st.units_total, info0.reserved);
	KUNIT_EXPECT_EQ(test, st.units_free, 0);
}

/*
 * Above the high mark a free block is kept; memory pressure (the
 * shrinker, through drop_slab() as for "echo 2 > drop_caches") gives it
 * back.
 */
static void potad_test_zone_high_shrinker(struct kunit *test)
{
	struct potad_zone_info info;
	unsigned long returns;
	struct potad_desc *d;
	struct zone *z;

	zone_dry_dma32(test);
	returns = zone_event(POTAD_RETURN);
	zone_set_high_upto(test, ZONE_DMA32, MAX_ORDER_NR_PAGES);
	d = zone_alloc_ok(test, PAGE_SHIFT + 3, GFP_DMA32, NUMA_NO_NODE);
	z = page_zone(pfn_to_page(d->start));
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_EQ(test, info.elastic, MAX_ORDER_NR_PAGES);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 0);
#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
	drop_slab();
#else
	potad_zone_shrink_all();
#endif
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_EQ(test, info.elastic, 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 1);
}

/* Refill and return where nothing may sleep: interrupts disabled. */
static void potad_test_zone_atomic(struct kunit *test)
{
	unsigned long refills, returns, flags;
	struct potad_desc *d;
	int ret = -1;

	/* Sleeping spinlocks and allocations with interrupts off: not on RT. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT");
	zone_dry_dma32(test);
	refills = zone_event(POTAD_REFILL);
	returns = zone_event(POTAD_RETURN);
	zone_set_high_upto(test, ZONE_DMA32, 0);
	local_irq_save(flags);
	d = potad_alloc_mem(&test_plain_type, PAGE_SHIFT,
			    GFP_ATOMIC | GFP_DMA32, NULL);
	if (!IS_ERR(d))
		ret = potad_free_mem(d);
	local_irq_restore(flags);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d), "%ld", PTR_ERR(d));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_REFILL) - refills, 1);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 1);
}

/*
 * The high mark counts free elastic memory, not the reservation's: with
 * the 1 GB reservation all allocated, a 4 KB block takes a block from the
 * buddy allocator, which goes back when the 4 KB block is freed.
 */
static void potad_test_zone_reserved_busy(struct kunit *test)
{
	const struct potad_reserved *r = NULL, *p;
	unsigned long returns;
	struct potad_desc *big, *d;
	struct zone *zone;
	unsigned int i;

	for (i = 0; (p = potad_reserved_get(i)); i++)
		if (p->size == SZ_1G)
			r = p;
	if (!r || potad_reserved_get(1))
		kunit_skip(test, "needs exactly one 1 GB piece (potad=1G)");
	zone = page_zone(pfn_to_page(PHYS_PFN(r->base)));
	potad_zone_shrink_all();
	big = zone_alloc_ok(test, 30, GFP_KERNEL, NUMA_NO_NODE);
	/* Freed even if an assertion below ends the test. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, zone_free_action,
							big), 0);
	zone_set_high_upto(test, ZONE_NORMAL, 0);
	returns = zone_event(POTAD_RETURN);
	d = potad_alloc_node(&test_plain_type, PAGE_SHIFT,
			     GFP_KERNEL | __GFP_THISNODE, zone_to_nid(zone),
			     NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 1);
}

/*
 * 512 B to 2 KB: blocks of the zone's sub-page instance, nested in 64 KB
 * chunks of the zone instance; found by their address (through the
 * chunk), distinct from their neighbours, real memory; the chunks go back
 * to the zone instance once entirely free and shrunk.
 */
static void potad_test_zone_subpage(struct kunit *test)
{
	const unsigned int nr = 129;	/* a 64 KB chunk holds 128 */
	struct potad_desc **d;
	struct potad_zone_info info;
	struct zone *z;
	unsigned int i, shift;

	potad_zone_shrink_all();
	for (shift = 9; shift < PAGE_SHIFT; shift++) {
		struct potad_desc *b = zone_alloc_ok(test, shift, GFP_KERNEL,
						     NUMA_NO_NODE);

		KUNIT_EXPECT_EQ(test, b->potad->unit_shift, 9);
		KUNIT_EXPECT_PTR_EQ(test, lookup(potad_desc_phys(b)), b);
		memset(potad_desc_virt(b), 0xa5, potad_desc_bytes(b));
		KUNIT_EXPECT_EQ(test, potad_free_mem(b), 0);
		KUNIT_EXPECT_NULL(test, lookup(potad_desc_phys(b)));
	}
	d = kunit_kcalloc(test, nr, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	for (i = 0; i < nr; i++)
		d[i] = zone_alloc_ok(test, 9, GFP_KERNEL | __GFP_ZERO,
				     NUMA_NO_NODE);
	z = page_zone(pfn_to_page(PHYS_PFN(potad_desc_phys(d[0]))));
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_GE(test, info.sub_chunks, 2);
	/* A page of 512 B blocks: a pin would hold one block of eight. */
	KUNIT_EXPECT_EQ(test, potad_gup_pin(pfn_folio(PHYS_PFN(potad_desc_phys(d[0]))),
					    1, FOLL_PIN), -EFAULT);
	/* Neighbours are told apart, and zeroed as asked. */
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_PTR_EQ(test, lookup(potad_desc_phys(d[i]) + 511),
				    d[i]);
		KUNIT_EXPECT_NULL(test, memchr_inv(potad_desc_virt(d[i]), 0,
						   512));
	}
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ(test, potad_free_mem(d[i]), 0);
	potad_zone_shrink_all();
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_EQ(test, info.sub_chunks, 0);
	KUNIT_EXPECT_EQ(test, info.sub_units, 0);
}

/*
 * Entirely free elastic blocks next to each other merge into a block above
 * MAX_PAGE_ORDER: a small allocation takes from it rather than refilling
 * from the buddy allocator.
 */
static void potad_test_zone_merged_elastic(struct kunit *test)
{
	const unsigned int nr = 32;
	struct potad_desc **d, *pair[2] = {}, *s;
	unsigned long refills, lo;
	struct potad_stats st;
	struct potad *pa;
	unsigned int i, j, k;

	zone_dry_dma32(test);
	zone_set_high_upto(test, ZONE_DMA32, LONG_MAX);
	d = kunit_kcalloc(test, nr, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	for (i = 0; i < nr && !pair[0]; i++) {
		d[i] = zone_alloc_ok(test, PAGE_SHIFT + MAX_PAGE_ORDER,
				     GFP_DMA32, NUMA_NO_NODE);
		for (j = 0; j < i; j++) {
			if ((d[j]->start ^ d[i]->start) != MAX_ORDER_NR_PAGES ||
			    d[j]->potad != d[i]->potad)
				continue;
			pair[0] = d[j];
			pair[1] = d[i];
			d[j] = NULL;
			d[i] = NULL;
			break;
		}
	}
	/* The others go back to the buddy allocator, the pair stays. */
	for (j = 0; j < i; j++)
		if (d[j])
			KUNIT_EXPECT_EQ(test, potad_free_mem(d[j]), 0);
	potad_zone_shrink_all();
	if (!pair[0])
		kunit_skip(test, "no two adjacent blocks in %u refills", nr);
	pa = pair[0]->potad;
	lo = min(pair[0]->start, pair[1]->start);
	KUNIT_EXPECT_EQ(test, potad_free_mem(pair[0]), 0);
	KUNIT_EXPECT_EQ(test, potad_free_mem(pair[1]), 0);
	potad_get_stats(pa, &st);
	for (k = 0; k <= MAX_PAGE_ORDER; k++)
		KUNIT_ASSERT_EQ_MSG(test, st.nr_free[k], 0, "order %u", k);
	KUNIT_ASSERT_EQ(test, st.nr_free[MAX_PAGE_ORDER + 1], 1);

	refills = zone_event(POTAD_REFILL);
	s = zone_alloc_ok(test, PAGE_SHIFT, GFP_DMA32, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_REFILL) - refills, 0);
	KUNIT_EXPECT_PTR_EQ(test, s->potad, pa);
	KUNIT_EXPECT_GE(test, s->start, lo);
	KUNIT_EXPECT_LT(test, s->start, lo + 2 * MAX_ORDER_NR_PAGES);
	KUNIT_EXPECT_EQ(test, potad_free_mem(s), 0);
	potad_zone_shrink_all();
}

/*
 * A block freed while someone holds a reference stays theirs: not zeroed
 * under init_on_free, not reused.  The last reference gives it back,
 * zeroed under init_on_free, and gives back the elastic block it leaves
 * entirely free, as a free would.
 */
static void potad_test_zone_free_referenced(struct kunit *test)
{
	struct potad_desc *a, *b, *h;
	struct potad_zone_info info;
	unsigned long returns;
	phys_addr_t phys;
	struct zone *z;
	void *virt;

	zone_dry_dma32(test);
	zone_set_high_upto(test, ZONE_DMA32, LONG_MAX);
	a = zone_alloc_ok(test, PAGE_SHIFT + 1, GFP_DMA32, NUMA_NO_NODE);
	z = page_zone(pfn_to_page(a->start));
	phys = potad_desc_phys(a);
	virt = potad_desc_virt(a);
	memset(virt, 0x5a, SZ_8K);
	h = potad_lookup_get(phys);
	KUNIT_ASSERT_PTR_EQ(test, h, a);
	KUNIT_EXPECT_EQ(test, potad_free_mem(a), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(virt, 0x5a, SZ_8K));
	KUNIT_EXPECT_NULL(test, lookup(phys));
	b = zone_alloc_ok(test, PAGE_SHIFT + 1, GFP_DMA32, NUMA_NO_NODE);
	KUNIT_EXPECT_NE(test, potad_desc_phys(b), phys);
	KUNIT_EXPECT_EQ(test, potad_free_mem(b), 0);
	potad_desc_put(h);
	if (want_init_on_free())
		KUNIT_EXPECT_NULL(test, memchr_inv(virt, 0, SZ_8K));
	/* b's block and the rest of a batch back from the per-cpu caches. */
	potad_pcp_drain(potad_zone(z));

	/* Now at a high mark of 0: the last put, not the free, returns it. */
	zone_set_high_upto(test, ZONE_DMA32, 0);
	returns = zone_event(POTAD_RETURN);
	a = zone_alloc_ok(test, PAGE_SHIFT + 1, GFP_DMA32, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, potad_desc_phys(a), phys);
	h = potad_lookup_get(phys);
	KUNIT_ASSERT_PTR_EQ(test, h, a);
	KUNIT_EXPECT_EQ(test, potad_free_mem(a), 0);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 0);
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_EQ(test, info.elastic, MAX_ORDER_NR_PAGES);
	potad_desc_put(h);
	KUNIT_EXPECT_EQ(test, zone_event(POTAD_RETURN) - returns, 1);
	potad_zone_get_info(z, &info);
	KUNIT_EXPECT_EQ(test, info.elastic, 0);
}

/*
 * Under init_on_free a freed block is zeroed, but not its poisoned pages,
 * which the buddy allocator never writes either.
 */
static void potad_test_zone_free_poisoned(struct kunit *test)
{
	struct potad_desc *d;
	struct page *page;
	void *virt;

	if (!want_init_on_free())
		kunit_skip(test, "boot with init_on_free=1");
	zone_dry_dma32(test);
	zone_set_high_upto(test, ZONE_DMA32, LONG_MAX);
	d = zone_alloc_ok(test, PAGE_SHIFT + 1, GFP_DMA32, NUMA_NO_NODE);
	page = pfn_to_page(d->start);
	virt = potad_desc_virt(d);
	memset(virt, 0x5a, SZ_8K);
	SetPageHWPoison(page + 1);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(virt, 0, PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, memchr_inv(virt + PAGE_SIZE, 0x5a, PAGE_SIZE));
	ClearPageHWPoison(page + 1);
	potad_zone_shrink_all();
}

/* 1 GB through the zone API, from the reservation, by the gfp's zone. */
static void potad_test_zone_api_1g(struct kunit *test)
{
	const struct potad_reserved *p;
	struct potad_desc *d;
	bool have = false;
	unsigned int i;

	for (i = 0; (p = potad_reserved_get(i)); i++)
		have |= p->size >= SZ_1G;
	if (!have)
		kunit_skip(test, "no 1 GB piece reserved (boot with potad=1G)");
	d = zone_alloc_ok(test, 30, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_EXPECT_PTR_NE(test, zone_piece(potad_desc_phys(d)), NULL);
	KUNIT_EXPECT_TRUE(test, PageReserved(pfn_to_page(d->start)));
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
}

/* Pins of POTAD pages (mm/potad_gup.c) */

static struct potad_type test_movable_type = {
	.name = "potad_test_movable",
	.size = sizeof(struct potad_desc),
	.flags = POTAD_TYPE_MOVABLE,
};

/*
 * A pin is recorded on the page and holds the block: freed by its owner
 * while pinned, it stays allocated until the last unpin.  Unpinning more
 * than was pinned changes nothing.
 */
/* As gup_put_folio(): the record, then the reference of the last pin. */
static void gup_unpin(struct folio *folio, int refs)
{
	potad_gup_unpin_done(potad_gup_unpin(folio, refs));
}

static void potad_test_zone_gup_pin(struct kunit *test)
{
	struct potad_desc *d = zone_alloc_ok(test, PAGE_SHIFT + 1, GFP_KERNEL,
					     NUMA_NO_NODE);
	struct folio *f0 = pfn_folio(d->start), *f1 = pfn_folio(d->start + 1);
	phys_addr_t phys = potad_desc_phys(d);
	struct potad *pa = d->potad;
	struct potad_stats st;
	unsigned long allocated;

	KUNIT_EXPECT_EQ(test, potad_gup_pin(f0, 1, FOLL_PIN), 0);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f0, 2, FOLL_PIN | FOLL_LONGTERM), 0);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f1, 1, FOLL_PIN), 0);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 4);
	/* A plain reference is refused, and not recorded. */
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f1, 1, FOLL_GET), -EFAULT);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 4);
	/* More than was pinned: the record stays as it is. */
	gup_unpin(f1, 2);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 4);

	potad_pcp_drain(pa);
	potad_get_stats(pa, &st);
	allocated = st.units_allocated;
	/* Freed while pinned: out of the index, its units still out. */
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_NULL(test, lookup(phys));
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, allocated);
	/* A pinned page may be pinned again; an unpinned one may not. */
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f1, 1, FOLL_PIN), 0);
	gup_unpin(f1, 1);
	gup_unpin(f0, 3);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f0, 1, FOLL_PIN), -EFAULT);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, allocated);
	/* The last unpin gives the block back. */
	gup_unpin(f1, 1);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, allocated - 2);
	potad_zone_shrink_all();
}

/*
 * A movable type's pages may be pinned, but not for the long term; pages
 * POTAD does not hold are not its business.
 */
static void potad_test_zone_gup_movable(struct kunit *test)
{
	struct potad_desc *d;
	struct page *page;
	struct folio *f;

	KUNIT_ASSERT_EQ(test, potad_type_register(&test_movable_type), 0);
	d = potad_alloc_node(&test_movable_type, PAGE_SHIFT, GFP_KERNEL,
			     NUMA_NO_NODE, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	f = pfn_folio(d->start);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f, 1, FOLL_PIN | FOLL_LONGTERM), -EFAULT);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 0);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f, 1, FOLL_PIN), 0);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(f, 1, FOLL_PIN | FOLL_LONGTERM), -EFAULT);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 1);
	gup_unpin(f, 1);
	KUNIT_EXPECT_EQ(test, potad_gup_pinned(d), 0);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	potad_type_unregister(&test_movable_type);

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(page_folio(page), 1, FOLL_PIN),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, potad_gup_pin(page_folio(page), 1, FOLL_GET),
			-ENOENT);
	KUNIT_EXPECT_TRUE(test, potad_gup_pin_fast(page_folio(page)));
	__free_page(page);
	potad_zone_shrink_all();
}

static struct kunit_case potad_zone_cases[] = {
	KUNIT_CASE(potad_test_zone_parse),
	KUNIT_CASE(potad_test_zone_instances),
	KUNIT_CASE(potad_test_zone_reserved_1g),
	KUNIT_CASE(potad_test_zone_api_gfp),
	KUNIT_CASE(potad_test_zone_refill_return),
	KUNIT_CASE(potad_test_zone_high_shrinker),
	KUNIT_CASE(potad_test_zone_atomic),
	KUNIT_CASE(potad_test_zone_api_1g),
	KUNIT_CASE(potad_test_zone_reserved_busy),
	KUNIT_CASE(potad_test_zone_subpage),
	KUNIT_CASE(potad_test_zone_merged_elastic),
	KUNIT_CASE(potad_test_zone_free_referenced),
	KUNIT_CASE(potad_test_zone_free_poisoned),
	KUNIT_CASE(potad_test_zone_gup_pin),
	KUNIT_CASE(potad_test_zone_gup_movable),
	{}
};

static struct kunit_suite potad_zone_suite = {
	.name = "potad_zone",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_zone_cases,
};

#ifdef CONFIG_POTAD_MEMORY_FAILURE
/* Memory failure reaching the owner (mm/potad_failure.c) */

#define MF_MAX_CALLS	16

/* What a test type's memory_failure op was told; the block's owner. */
struct mf_rec {
	unsigned int calls;
	struct potad_desc *desc[MF_MAX_CALLS];
	unsigned long unit[MF_MAX_CALLS];
	int flags;
	int ret;		/* what the op returns */
	bool free_it;		/* the op frees the block, as an owner may */
	/* The soft_offline op: calls, last unit, which call fails, with what. */
	unsigned int so_calls;
	unsigned long so_unit;
	unsigned int so_fail_at;
	int so_ret;
};

static int test_mf_memory_failure(struct potad_desc *desc, unsigned long unit,
				  int flags)
{
	struct mf_rec *rec = desc->owner;

	if (rec->calls < MF_MAX_CALLS) {
		rec->desc[rec->calls] = desc;
		rec->unit[rec->calls] = unit;
	}
	rec->calls++;
	rec->flags = flags;
	if (rec->free_it)
		potad_free_mem(desc);
	return rec->ret;
}

/*
 * Moves the data (frees the block with @free_it), except at call
 * @so_fail_at, which returns @so_ret.
 */
static int test_mf_soft_offline(struct potad_desc *desc, unsigned long unit)
{
	struct mf_rec *rec = desc->owner;

	rec->so_unit = unit;
	if (++rec->so_calls == rec->so_fail_at)
		return rec->so_ret;
	if (rec->free_it)
		potad_free_mem(desc);
	return 0;
}

static const struct potad_type_ops test_mf_ops = {
	.memory_failure = test_mf_memory_failure,
	.soft_offline = test_mf_soft_offline,
};

static struct potad_type test_mf_type = {
	.name = "potad_test_mf",
	.size = sizeof(struct potad_desc),
	.ops = &test_mf_ops,
};

static int potad_mf_suite_init(struct kunit_suite *suite)
{
	int ret = potad_suite_init(suite);

	if (!ret)
		ret = potad_type_register(&test_mf_type);
	return ret;
}

/*
 * No chunk goes back to the buddy allocator during a test: the counts it
 * checks are those of the blocks it poisons.
 */
static int potad_mf_init(struct kunit *test)
{
	zone_set_high_upto(test, MAX_NR_ZONES - 1, LONG_MAX);
	return 0;
}

/* As the zone tests leave them: no cached blocks, no chunks kept. */
static void potad_mf_exit(struct kunit *test)
{
	potad_zone_shrink_all();
}

static void potad_mf_suite_exit(struct kunit_suite *suite)
{
	potad_type_unregister(&test_mf_type);
	potad_suite_exit(suite);
}

/* A block of @type from the zone instances, owned by @rec. */
static struct potad_desc *mf_alloc(struct kunit *test,
				   const struct potad_type *type,
				   unsigned int shift, struct mf_rec *rec)
{
	struct potad_desc *d = potad_alloc_node(type, shift, GFP_KERNEL,
						NUMA_NO_NODE, rec);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d), "2^%u bytes: %ld", shift,
			       PTR_ERR(d));
	return d;
}

static unsigned long mf_retired(struct potad *pa)
{
	struct potad_stats st;

	potad_get_stats(pa, &st);
	return st.units_retired;
}

static unsigned long mf_free(struct potad *pa)
{
	struct potad_stats st;

	potad_pcp_drain(pa);
	potad_get_stats(pa, &st);
	return st.units_free;
}

/*
 * A page of an allocated block: the owner is told once, with the unit and
 * the flags; the page stays with the owner (unpoison refuses it), and
 * after the free it stays out while the rest goes back.
 */
static void potad_test_mf_allocated(struct kunit *test)
{
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 2,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start + 1, retired = mf_retired(pa), free;

	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, MF_SW_SIMULATED),
			MF_RECOVERED);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, rec.desc[0], d);
	KUNIT_EXPECT_EQ(test, rec.unit[0], pfn);
	KUNIT_EXPECT_EQ(test, rec.flags, MF_SW_SIMULATED);
	/* Still the owner's block, found by its address. */
	KUNIT_EXPECT_PTR_EQ(test, lookup(PFN_PHYS(pfn)), d);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), -EBUSY);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);

	free = mf_free(pa);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 3);
	KUNIT_EXPECT_NULL(test, lookup(PFN_PHYS(pfn)));

	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 4);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), -ENOENT);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
}

/*
 * An owner that cannot handle it: MF_FAILED, and the page stays poisoned
 * and out of service all the same.  A type without the op: MF_IGNORED.
 */
static void potad_test_mf_owner_fails(struct kunit *test)
{
	struct mf_rec rec = { .ret = -EIO };
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT, &rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start, retired = mf_retired(pa);

	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_FAILED);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);

	d = mf_alloc(test, &test_plain_type, PAGE_SHIFT, &rec);
	pfn = d->start;
	pa = d->potad;
	retired = mf_retired(pa);
	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_IGNORED);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

/*
 * A block its owner freed while a reference keeps it (a pin, a lookup):
 * unpoison refuses the page and leaves its contents alone until the
 * reference goes.
 */
static void potad_test_mf_unpoison_referenced(struct kunit *test)
{
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 1,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start + 1, retired = mf_retired(pa);
	char *virt = potad_desc_virt(d) + PAGE_SIZE;
	struct potad_desc *h;

	memset(virt, 0x5a, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_RECOVERED);
	h = potad_lookup_get(potad_desc_phys(d));
	KUNIT_ASSERT_PTR_EQ(test, h, d);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), -EBUSY);
	KUNIT_EXPECT_NULL(test, memchr_inv(virt, 0x5a, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
	potad_desc_put(h);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

/* A free page leaves the free space at once; nobody is told. */
static void potad_test_mf_free_page(struct kunit *test)
{
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT, &rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start, retired = mf_retired(pa), free;

	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	free = mf_free(pa);
	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_RECOVERED);
	KUNIT_EXPECT_EQ(test, rec.calls, 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free - 1);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

/*
 * The owner frees the block from its op, as the sample buffer cache does:
 * memory-failure's reference keeps the block until the op has returned,
 * then everything but the poisoned page goes back.
 */
static void potad_test_mf_owner_frees(struct kunit *test)
{
	struct mf_rec rec = { .free_it = true };
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 2,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start + 3, retired = mf_retired(pa);
	unsigned long free = mf_free(pa);
	phys_addr_t phys = potad_desc_phys(d);

	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_RECOVERED);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_NULL(test, lookup(phys));
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 3);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 4);
}

/* @nr blocks of 512 B owned by @rec. */
static struct potad_desc **mf_alloc_512(struct kunit *test, unsigned int nr,
					struct mf_rec *rec)
{
	struct potad_desc **d = kunit_kcalloc(test, nr, sizeof(*d),
					      GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, d);
	for (i = 0; i < nr; i++)
		d[i] = mf_alloc(test, &test_mf_type, 9, rec);
	return d;
}

/*
 * The page holding the most of the @nr blocks @d: its pfn and sub-page
 * instance in @pfn and @sub; returns how many it holds.
 */
static unsigned int mf_best_page(struct potad_desc **d, unsigned int nr,
				 unsigned long *pfn, struct potad **sub)
{
	unsigned int i, j, n, best = 0;

	for (i = 0; i < nr; i++) {
		unsigned long p = PHYS_PFN(potad_desc_phys(d[i]));

		for (n = 0, j = 0; j < nr; j++)
			n += PHYS_PFN(potad_desc_phys(d[j])) == p;
		if (n > best) {
			best = n;
			*pfn = p;
			*sub = d[i]->potad;
		}
	}
	return best;
}

/*
 * A page holding several 512 B blocks: each owner is told once, with its
 * block's first unit; blocks of other pages are not.  Unpoison waits for
 * all of them to be freed.
 */
static void potad_test_mf_subpage(struct kunit *test)
{
	const unsigned int nr = 32;
	struct potad_desc **d;
	struct mf_rec rec = {};
	unsigned long pfn = 0, sub_retired;
	unsigned int i, in_page = 0, best = 0;
	struct potad *sub = NULL;

	d = mf_alloc_512(test, nr, &rec);
	best = mf_best_page(d, nr, &pfn, &sub);
	KUNIT_ASSERT_GE(test, best, 2);
	sub_retired = mf_retired(sub);

	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn, 0), MF_RECOVERED);
	KUNIT_EXPECT_EQ(test, rec.calls, best);
	for (i = 0; i < min(rec.calls, MF_MAX_CALLS); i++) {
		KUNIT_EXPECT_EQ(test, PHYS_PFN(potad_desc_phys(rec.desc[i])),
				pfn);
		KUNIT_EXPECT_EQ(test, rec.unit[i], rec.desc[i]->start);
	}
	for (i = 0; i < nr; i++) {
		in_page = PHYS_PFN(potad_desc_phys(d[i])) == pfn;
		KUNIT_EXPECT_PTR_EQ(test, lookup(potad_desc_phys(d[i])),
				    d[i]);
		if (!in_page)
			continue;
		/* Freeing one is not enough to unpoison the page. */
		KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), -EBUSY);
		KUNIT_EXPECT_EQ(test, potad_free_mem(d[i]), 0);
		d[i] = NULL;
	}
	/* The units of the page that were free are retired too. */
	KUNIT_EXPECT_EQ(test, mf_retired(sub),
			sub_retired + (PAGE_SIZE >> sub->unit_shift));
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(sub), sub_retired);
	for (i = 0; i < nr; i++)
		if (d[i])
			KUNIT_EXPECT_EQ(test, potad_free_mem(d[i]), 0);
	KUNIT_EXPECT_EQ(test, rec.calls, best);
	potad_zone_shrink_all();
}

/* Memory POTAD does not hold: the stock path, nothing changed. */
static void potad_test_mf_not_potad(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, potad_memory_failure(page_to_pfn(page), 0),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(page_to_pfn(page)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, potad_soft_offline(page_to_pfn(page)), -ENOENT);
	__free_page(page);
}

/*
 * Through memory_failure() and unpoison_memory() themselves: the page is
 * marked, the owner told once even when poisoned twice (-EHWPOISON, as
 * for any page), and unpoison gives it back.
 */
static void potad_test_mf_hook(struct kunit *test)
{
	struct mf_rec rec = { .free_it = true };
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 1,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start, retired = mf_retired(pa);
	struct page *page = pfn_to_page(pfn);

	KUNIT_EXPECT_EQ(test, memory_failure(pfn, MF_SW_SIMULATED), 0);
	KUNIT_EXPECT_TRUE(test, PageHWPoison(page));
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_EQ(test, memory_failure(pfn, MF_SW_SIMULATED),
			-EHWPOISON);
	KUNIT_EXPECT_EQ(test, rec.calls, 1);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, unpoison_memory(pfn), 0);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(page));
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

struct mf_race {
	struct potad *pa;
	struct potad_desc *desc;
	struct completion done;
};

static int mf_race_free(void *data)
{
	struct mf_race *r = data;

	potad_free_range(r->pa, r->desc, LK_BASE, 4, GFP_KERNEL);
	complete(&r->done);
	return 0;
}

/*
 * The retirement memory failure makes, racing the owner's partial free of
 * the half holding the unit: whichever comes first, the unit ends retired
 * outside every block, the rest of that half goes back, the other half
 * stays allocated, and nothing else is lost.
 */
static void potad_test_mf_race_partial_free(struct kunit *test)
{
	struct potad *pa = test_instance(test, "mf", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 8);
	struct potad_stats st;
	struct task_struct *t;
	struct potad_desc *h;
	struct mf_race r;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 8), 0);
	r.pa = pa;
	for (i = 0; i < 200; i++) {
		r.desc = alloc_ok(test, pa, 3);
		init_completion(&r.done);
		t = kthread_run(mf_race_free, &r, "potad-mf-race");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		KUNIT_EXPECT_EQ(test, potad_retire(pa, LK_BASE + 1, GFP_KERNEL,
						   &h), 0);
		/* The block while its half was still allocated, or none. */
		KUNIT_EXPECT_TRUE(test, !h || h == r.desc);
		wait_for_completion(&r.done);
		if (h)
			potad_desc_put(h);
		potad_get_stats(pa, &st);
		KUNIT_EXPECT_EQ(test, st.units_allocated, 4UL);
		KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
		KUNIT_EXPECT_EQ(test, st.units_free, 3UL);
		KUNIT_EXPECT_NULL(test, lookup(LK_PHYS(LK_BASE + 1)));
		KUNIT_EXPECT_PTR_EQ(test, lookup(LK_PHYS(LK_BASE + 5)), r.desc);
		KUNIT_EXPECT_EQ(test, potad_free_range(pa, r.desc, LK_BASE + 4,
						       4, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, potad_unretire(pa, LK_BASE + 1, 1, false),
				1);
		KUNIT_EXPECT_EQ(test, nr_free(pa, 3), 1UL);
		if (test->status == KUNIT_FAILURE)
			break;
	}
}

/* Soft offline of a free page: retired at once, nobody asked. */
static void potad_test_so_free_page(struct kunit *test)
{
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT, &rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start, retired = mf_retired(pa), free;

	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	free = mf_free(pa);
	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), 0);
	KUNIT_EXPECT_EQ(test, rec.so_calls, 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free - 1);
	/* Out of service already: nothing more to do. */
	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

/*
 * A page of an allocated block whose owner moves its data and frees the
 * block: asked once with the unit; the rest of the block goes back, the
 * page stays out.
 */
static void potad_test_so_owner_moves(struct kunit *test)
{
	struct mf_rec rec = { .free_it = true };
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 2,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start + 2, retired = mf_retired(pa);
	unsigned long free = mf_free(pa);
	phys_addr_t phys = potad_desc_phys(d);

	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), 0);
	KUNIT_EXPECT_EQ(test, rec.so_calls, 1);
	KUNIT_EXPECT_EQ(test, rec.so_unit, pfn);
	KUNIT_EXPECT_EQ(test, rec.calls, 0);
	KUNIT_EXPECT_NULL(test, lookup(phys));
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 3);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 4);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
}

/*
 * An owner that cannot move its data (its error is reported as -EBUSY),
 * or a type without the op: the call fails and nothing changed; the whole
 * block goes back when freed.
 */
static void potad_test_so_refused(struct kunit *test)
{
	struct mf_rec rec = { .so_fail_at = 1, .so_ret = -EAGAIN };
	const struct potad_type *types[] = { &test_mf_type, &test_plain_type };
	const int want[] = { -EBUSY, -EBUSY };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct potad_desc *d = mf_alloc(test, types[i], PAGE_SHIFT + 1,
						&rec);
		struct potad *pa = d->potad;
		unsigned long pfn = d->start + 1, retired = mf_retired(pa);
		unsigned long free = mf_free(pa);

		KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), want[i]);
		KUNIT_EXPECT_PTR_EQ(test, lookup(PFN_PHYS(pfn)), d);
		KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
		KUNIT_EXPECT_EQ(test, mf_free(pa), free);
		KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), -ENOENT);
		KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
		KUNIT_EXPECT_EQ(test, mf_free(pa), free + 2);
		KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
	}
	KUNIT_EXPECT_EQ(test, rec.so_calls, 1);
}

/*
 * A block its owner freed whole while a reference (a mapping, a pin)
 * keeps it: soft offline refuses, since the data is the referrers' now;
 * memory failure retires the page but has nobody to tell (MF_IGNORED);
 * the page stays out once the reference goes.
 */
static void potad_test_so_mf_freed_referenced(struct kunit *test)
{
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_mf_type, PAGE_SHIFT + 2,
					&rec);
	struct potad *pa = d->potad;
	unsigned long pfn = d->start, retired = mf_retired(pa);
	unsigned long free = mf_free(pa);
	struct potad_desc *h = potad_lookup_get(potad_desc_phys(d));

	KUNIT_ASSERT_PTR_EQ(test, h, d);
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn + 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired);
	KUNIT_EXPECT_EQ(test, potad_memory_failure(pfn + 2, 0), MF_IGNORED);
	KUNIT_EXPECT_EQ(test, rec.calls, 0);
	KUNIT_EXPECT_EQ(test, rec.so_calls, 0);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn + 2), -EBUSY);
	potad_desc_put(h);
	/* All back but the poisoned page; the refused one is not retired. */
	KUNIT_EXPECT_EQ(test, mf_retired(pa), retired + 1);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 3);
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn + 2), 0);
	KUNIT_EXPECT_EQ(test, mf_free(pa), free + 4);
}

/*
 * The part of a block freed with potad_free_range() while a reference
 * keeps it is still the block's: potad_retire() hands back its
 * descriptor, so that memory failure can tell the owner.
 */
static void potad_test_mf_retire_deferred(struct kunit *test)
{
	struct potad *pa = test_instance(test, "mfd", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 8);
	struct potad_desc *d, *r, *h;
	struct potad_stats st;

	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 8), 0);
	d = alloc_ok(test, pa, 3);
	r = potad_lookup_get(LK_PHYS(LK_BASE));
	KUNIT_ASSERT_PTR_EQ(test, r, d);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, LK_BASE, 4, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, LK_BASE + 1, GFP_KERNEL, &h), 0);
	KUNIT_EXPECT_PTR_EQ(test, h, d);
	if (h)
		potad_desc_put(h);
	potad_desc_put(r);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 4UL);
	KUNIT_EXPECT_EQ(test, st.units_retired, 1UL);
	KUNIT_EXPECT_EQ(test, st.units_free, 3UL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, LK_BASE + 4, 4,
					       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, LK_BASE + 1, 1, false), 1);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 3), 1UL);
}

/*
 * A page of 512 B blocks: every owner is asked once; if the second one
 * cannot move, every unit of the page is back in service, the first
 * owner's block (moved and freed) included; when all move, all eight
 * units of the page are retired.
 */
static void potad_test_so_subpage(struct kunit *test)
{
	const unsigned int nr = 32;
	struct mf_rec rec = { .so_fail_at = 2, .so_ret = -ENOMEM,
			      .free_it = true };
	struct potad_desc **d = mf_alloc_512(test, nr, &rec);
	unsigned long pfn = 0, sub_retired, sub_free;
	unsigned int i, best, gone = 0;
	struct potad *sub = NULL;

	best = mf_best_page(d, nr, &pfn, &sub);
	KUNIT_ASSERT_GE(test, best, 2);
	sub_retired = mf_retired(sub);
	sub_free = mf_free(sub);

	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), -EBUSY);
	KUNIT_EXPECT_EQ(test, rec.so_calls, 2);
	KUNIT_EXPECT_EQ(test, mf_retired(sub), sub_retired);
	/* The first owner's block moved out: free again, not retired. */
	KUNIT_EXPECT_EQ(test, mf_free(sub), sub_free + 1);
	for (i = 0; i < nr; i++) {
		if (lookup(potad_desc_phys(d[i])) == d[i])
			continue;
		KUNIT_EXPECT_EQ(test, PHYS_PFN(potad_desc_phys(d[i])), pfn);
		d[i] = NULL;
		gone++;
	}
	KUNIT_EXPECT_EQ(test, gone, 1);

	rec.so_calls = 0;
	rec.so_fail_at = 0;
	KUNIT_EXPECT_EQ(test, potad_soft_offline(pfn), 0);
	KUNIT_EXPECT_EQ(test, rec.so_calls, best - 1);
	KUNIT_EXPECT_EQ(test, mf_retired(sub),
			sub_retired + (PAGE_SIZE >> sub->unit_shift));
	for (i = 0; i < nr; i++) {
		if (!d[i])
			continue;
		if (PHYS_PFN(potad_desc_phys(d[i])) == pfn)
			KUNIT_EXPECT_NULL(test, lookup(potad_desc_phys(d[i])));
		else
			KUNIT_EXPECT_EQ(test, potad_free_mem(d[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, potad_unpoison_memory(pfn), 0);
	KUNIT_EXPECT_EQ(test, mf_retired(sub), sub_retired);
	KUNIT_EXPECT_EQ(test, rec.calls, 0);
	potad_zone_shrink_all();
}

/*
 * Through soft_offline_page() itself: a free page is marked; a block
 * whose type cannot move is refused and not marked.
 */
static void potad_test_so_hook(struct kunit *test)
{
#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
	struct mf_rec rec = {};
	struct potad_desc *d = mf_alloc(test, &test_plain_type, PAGE_SHIFT + 1,
					&rec);
	unsigned long pfn = d->start;
	struct page *page = pfn_to_page(pfn);
	int ret = soft_offline_page(pfn, 0);

	if (ret == -EOPNOTSUPP) {
		potad_free_mem(d);
		kunit_skip(test, "soft offline disabled (vm.enable_soft_offline)");
	}
	KUNIT_EXPECT_EQ(test, ret, -EBUSY);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(page));
	KUNIT_EXPECT_EQ(test, potad_free_mem(d), 0);
	KUNIT_EXPECT_EQ(test, soft_offline_page(pfn, 0), 0);
	KUNIT_EXPECT_TRUE(test, PageHWPoison(page));
	KUNIT_EXPECT_EQ(test, soft_offline_page(pfn, 0), 0);
	KUNIT_EXPECT_EQ(test, unpoison_memory(pfn), 0);
	KUNIT_EXPECT_FALSE(test, PageHWPoison(page));
#else
	kunit_skip(test, "soft_offline_page() is not exported to modules");
#endif
}

/*
 * A unit retired inside a block (memory failure) is never handed out
 * again: after its block is freed, allocating every unit of the space one
 * by one gets all the others and never it; unretired, it is the one left.
 */
static void potad_test_mf_sweep(struct kunit *test)
{
	struct potad *pa = test_instance(test, "mfs", POTAD_MEMORY, PAGE_SHIFT,
					 LK_BASE, 64);
	struct potad_desc *d, *h, **all;
	unsigned int n = 0, i;

	all = kunit_kcalloc(test, 64, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, LK_BASE, 64), 0);
	d = alloc_ok(test, pa, 3);
	KUNIT_ASSERT_EQ(test, potad_retire(pa, d->start + 5, GFP_KERNEL, &h), 0);
	KUNIT_EXPECT_PTR_EQ(test, h, d);
	if (h)
		potad_desc_put(h);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	for (;;) {
		d = potad_alloc(pa, &test_plain_type, 0, NULL, GFP_KERNEL);
		if (IS_ERR(d))
			break;
		KUNIT_EXPECT_NE(test, d->start, LK_BASE + 5);
		all[n++] = d;
		if (n == 64)
			break;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -ENOSPC);
	KUNIT_EXPECT_EQ(test, n, 63);
	KUNIT_EXPECT_EQ(test, potad_unretire(pa, LK_BASE + 5, 1, false), 1);
	d = potad_alloc(pa, &test_plain_type, 0, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, LK_BASE + 5);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, all[i]), 0);
}

static struct kunit_case potad_mf_cases[] = {
	KUNIT_CASE(potad_test_mf_allocated),
	KUNIT_CASE(potad_test_mf_unpoison_referenced),
	KUNIT_CASE(potad_test_mf_owner_fails),
	KUNIT_CASE(potad_test_mf_free_page),
	KUNIT_CASE(potad_test_mf_owner_frees),
	KUNIT_CASE(potad_test_mf_subpage),
	KUNIT_CASE(potad_test_mf_not_potad),
	KUNIT_CASE(potad_test_mf_hook),
	KUNIT_CASE(potad_test_mf_race_partial_free),
	KUNIT_CASE(potad_test_so_free_page),
	KUNIT_CASE(potad_test_so_owner_moves),
	KUNIT_CASE(potad_test_so_refused),
	KUNIT_CASE(potad_test_so_subpage),
	KUNIT_CASE(potad_test_so_mf_freed_referenced),
	KUNIT_CASE(potad_test_mf_retire_deferred),
	KUNIT_CASE(potad_test_mf_sweep),
	KUNIT_CASE(potad_test_so_hook),
	{}
};

static struct kunit_suite potad_mf_suite = {
	.name = "potad_memory_failure",
	.suite_init = potad_mf_suite_init,
	.suite_exit = potad_mf_suite_exit,
	.init = potad_mf_init,
	.exit = potad_mf_exit,
	.test_cases = potad_mf_cases,
};
#endif

#ifdef CONFIG_POTAD_CMA
/*
 * potad_cma: the seed's ladder (mm/potad_cma.c) on abstract spaces
 * fragmented by hand, with a claim callback standing in for
 * alloc_contig_range(): it refuses the candidates listed as busy.
 */
struct ladder_claim {
	unsigned long busy[8];	/* candidate starts refused with -EBUSY */
	unsigned int nr_busy;
	int error;		/* returned for every other candidate */
	unsigned int calls;
	unsigned long tried[16];
};

static int ladder_claim(struct potad_desc *desc, void *arg)
{
	struct ladder_claim *c = arg;
	unsigned int i;

	if (c->calls < ARRAY_SIZE(c->tried))
		c->tried[c->calls] = desc->start;
	c->calls++;
	for (i = 0; i < c->nr_busy; i++)
		if (c->busy[i] == desc->start)
			return -EBUSY;
	return c->error;
}

static void ladder_free_action(void *desc)
{
	struct potad_desc *d = desc;

	potad_free(d->potad, d);
}

/* @d, freed when the test ends (before its instance is destroyed). */
static void ladder_hold(struct kunit *test, struct potad_desc *d)
{
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							ladder_free_action,
							d), 0);
}

/* Occupy the single units listed, in a space of @span units. */
static struct potad *ladder_space(struct kunit *test, unsigned long span,
				  const unsigned long *used, unsigned int n)
{
	struct potad *pa = new_space(test, span);
	unsigned int i;

	for (i = 0; i < n; i++)
		ladder_hold(test, potad_alloc_at(pa, &test_plain_type, used[i],
						 0, NULL, GFP_KERNEL));
	return pa;
}

/*
 * "8 MB at 1 MB" with 1 MB units: nr 8, align 0.  Each space leaves
 * exactly the rungs from the expected one down usable.
 */
static void potad_test_cma_ladder_rungs(struct kunit *test)
{
	static const struct {
		unsigned long used[2];
		unsigned long start;
		unsigned int rung;
	} cases[] = {
		{ { 16, 17 }, 0, 0 },	/* [0, 8) free: one chunk of 8 */
		{ { 0, 15 }, 4, 1 },	/* both 8s used; [4, 12) is 4 + 4 */
		{ { 1, 11 }, 2, 2 },	/* no 4-aligned 8; [2, 10) is 4 x 2 */
		{ { 0, 9 }, 1, 3 },	/* no 2-aligned 8; [1, 9) is 8 x 1 */
	};
	unsigned int i, rung;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		/* 18 units: the first case's used units lie beyond 16. */
		struct potad *pa = ladder_space(test, i ? 16 : 18,
						cases[i].used, 2);
		struct ladder_claim c = {};
		struct potad_desc *d;

		rung = ~0U;
		d = potad_cma_ladder(pa, &test_plain_type, 8, 0, NULL,
				     GFP_KERNEL, ladder_claim, &c, &rung);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d), "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, d->start, cases[i].start, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, rung, cases[i].rung, "case %u", i);
		KUNIT_EXPECT_EQ(test, potad_desc_units(d), 8UL);
		/* The first candidate tried was the one kept. */
		KUNIT_EXPECT_EQ(test, c.calls, 1U);
		KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
		expect_consistent(test, pa);
	}
}

/* No 8 free units in a row anywhere: every rung fails, -ENOSPC. */
static void potad_test_cma_ladder_gives_up(struct kunit *test)
{
	static const unsigned long used[] = { 0, 8 };
	struct potad *pa = ladder_space(test, 16, used, 2);
	struct ladder_claim c = {};
	struct potad_stats before, after;
	unsigned int rung;

	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_cma_ladder(pa, &test_plain_type,
						       8, 0, NULL, GFP_KERNEL,
						       ladder_claim, &c,
						       &rung)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, c.calls, 0U);
	/* 7 units fit at [1, 8), with no 2-alignment asked. */
	ladder_hold(test, potad_cma_ladder(pa, &test_plain_type, 7, 0, NULL,
					   GFP_KERNEL, ladder_claim, &c,
					   &rung));
	KUNIT_EXPECT_EQ(test, c.tried[0], 1UL);
	potad_get_stats(pa, &after);
	KUNIT_EXPECT_EQ(test, after.units_free, before.units_free - 7);
	/* The alignment is the floor: 8 at 2^1 (8 MB at 2 MB) is refused. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_cma_ladder(pa, &test_plain_type,
						       7, 1, NULL, GFP_KERNEL,
						       ladder_claim, &c,
						       &rung)), -ENOSPC);
}

/* A count that is not a power of two takes exactly that many units. */
static void potad_test_cma_ladder_exact_count(struct kunit *test)
{
	struct potad *pa = new_space(test, 16);
	struct ladder_claim c = {};
	struct potad_desc *d, *e;
	unsigned int rung;

	d = potad_cma_ladder(pa, &test_plain_type, 5, 0, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 0UL);
	KUNIT_EXPECT_EQ(test, rung, 0U);
	KUNIT_EXPECT_EQ(test, potad_desc_units(d), 5UL);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), 11UL);
	/* The tail [5, 8) of the 8-chunk stays free: 3 more fit there. */
	e = potad_alloc_run(pa, &test_plain_type, 5, 3, 0, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_EQ(test, potad_free(pa, e), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 4), 1UL);
	expect_consistent(test, pa);
}

/* The alignment asked for bounds where every rung may start. */
static void potad_test_cma_ladder_alignment(struct kunit *test)
{
	static const unsigned long used[] = { 0 };
	struct potad *pa = ladder_space(test, 64, used, 1);
	struct potad *small = kunit_kzalloc(test, sizeof(*small), GFP_KERNEL);
	struct ladder_claim c = {};
	struct potad_desc *d;
	unsigned int rung;

	/* 1 unit at 2^3: not at 1, 2, ... but at 8. */
	d = potad_cma_ladder(pa, &test_plain_type, 1, 3, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 8UL);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);
	/* 3 units at 2^4: a 16-aligned start, rung 0 of order 4. */
	d = potad_cma_ladder(pa, &test_plain_type, 3, 4, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 16UL);
	KUNIT_EXPECT_EQ(test, rung, 0U);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);

	/*
	 * An alignment beyond the largest block (order 3 here) of a space
	 * of 64: the multiples of 2^5, 0 (used) and 32, are the candidates.
	 */
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_EQ(test, potad_init(small, "kunit-cma", POTAD_ABSTRACT,
					 0, 0, 64, 3), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							potad_destroy_action,
							small), 0);
	KUNIT_ASSERT_EQ(test, potad_add_range(small, 0, 64), 0);
	ladder_hold(test, potad_alloc_at(small, &test_plain_type, 0, 0, NULL,
					 GFP_KERNEL));
	memset(&c, 0, sizeof(c));
	d = potad_cma_ladder(small, &test_plain_type, 2, 5, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 32UL);
	KUNIT_EXPECT_EQ(test, c.calls, 1U);
	KUNIT_EXPECT_EQ(test, potad_free(small, d), 0);
	/* At 2^6 only 0 is a candidate, and it is used. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_cma_ladder(small, &test_plain_type,
						       2, 6, NULL, GFP_KERNEL,
						       ladder_claim, &c,
						       &rung)), -ENOSPC);
	/* Beyond a long's bits: nothing, and no shift overflows. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_cma_ladder(small, &test_plain_type,
						       2, BITS_PER_LONG, NULL,
						       GFP_KERNEL, ladder_claim,
						       &c, &rung)), -ENOSPC);
	expect_consistent(test, small);
}

/*
 * alloc_contig_range() saying -EBUSY: the run goes back, the next
 * candidate of the same rung is tried, then the next rung.
 */
static void potad_test_cma_ladder_busy(struct kunit *test)
{
	struct potad *pa = new_space(test, 32);
	struct ladder_claim c = { .busy = { 0, 8, 16 }, .nr_busy = 3 };
	struct potad_desc *d;
	unsigned int rung;

	/* 8-chunks at 0, 8, 16 busy: the fourth, 24, is kept. */
	d = potad_cma_ladder(pa, &test_plain_type, 8, 0, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 24UL);
	KUNIT_EXPECT_EQ(test, rung, 0U);
	KUNIT_EXPECT_EQ(test, c.calls, 4U);
	KUNIT_EXPECT_EQ(test, c.tried[1], 8UL);
	/* The busy candidates were given back. */
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), 24UL);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);

	/* Every 8-aligned run busy: rung 1 starts at 4. */
	memset(&c, 0, sizeof(c));
	c.busy[0] = 0, c.busy[1] = 8, c.busy[2] = 16, c.busy[3] = 24;
	c.nr_busy = 4;
	d = potad_cma_ladder(pa, &test_plain_type, 8, 0, NULL, GFP_KERNEL,
			     ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	KUNIT_EXPECT_EQ(test, d->start, 4UL);
	KUNIT_EXPECT_EQ(test, rung, 1U);
	KUNIT_EXPECT_EQ(test, potad_free(pa, d), 0);

	/* Another error ends the search at once, the run given back. */
	memset(&c, 0, sizeof(c));
	c.error = -EINTR;
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_cma_ladder(pa, &test_plain_type,
						       8, 0, NULL, GFP_KERNEL,
						       ladder_claim, &c,
						       &rung)), -EINTR);
	KUNIT_EXPECT_EQ(test, c.calls, 1U);
	KUNIT_EXPECT_EQ(test, potad_units_free(pa), 32UL);
	KUNIT_EXPECT_EQ(test, nr_free(pa, 5), 1UL);
	expect_consistent(test, pa);
}

/*
 * Requests take the most aligned runs first: three of 3 units land at 0,
 * 4 and 8, each at the start of a 4-chunk (first fit would pack them at
 * 0, 3 and 6), and [12, 16) stays a whole aligned chunk for a 4.
 */
static void potad_test_cma_ladder_keeps_large(struct kunit *test)
{
	struct potad *pa = new_space(test, 16);
	struct potad_desc *d[8], *big;
	struct ladder_claim c = {};
	unsigned int i, rung;

	for (i = 0; i < 3; i++) {
		d[i] = potad_cma_ladder(pa, &test_plain_type, 3, 0, NULL,
					GFP_KERNEL, ladder_claim, &c, &rung);
		KUNIT_ASSERT_FALSE(test, IS_ERR(d[i]));
	}
	KUNIT_EXPECT_EQ(test, d[0]->start, 0UL);
	KUNIT_EXPECT_EQ(test, d[1]->start, 4UL);
	KUNIT_EXPECT_EQ(test, d[2]->start, 8UL);
	big = potad_cma_ladder(pa, &test_plain_type, 4, 0, NULL, GFP_KERNEL,
			       ladder_claim, &c, &rung);
	KUNIT_ASSERT_FALSE(test, IS_ERR(big));
	KUNIT_EXPECT_EQ(test, big->start, 12UL);
	KUNIT_EXPECT_EQ(test, rung, 0U);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	KUNIT_EXPECT_EQ(test, potad_free(pa, big), 0);
	expect_consistent(test, pa);
}

#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
/* A real area (cma= on the command line): descriptors and owners. */
static void potad_test_cma_area(struct kunit *test)
{
	struct cma *cma = dev_get_cma_area(NULL);
	unsigned long used, pfn;
	struct potad_desc *d;
	struct page *p;

	if (!cma)
		kunit_skip(test, "no default CMA area: boot with cma=");
	used = potad_cma_used(cma);
	/* 8 MB at 1 MB in pages, from the top rung on an idle area. */
	p = cma_alloc(cma, 2048, 8, false);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pfn = page_to_pfn(p);
	KUNIT_EXPECT_EQ(test, pfn % 256, 0UL);
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used + 2048);
	KUNIT_EXPECT_TRUE(test, cma_pages_valid(cma, p, 2048));
	rcu_read_lock();
	d = potad_lookup_pfn(pfn + 2047);
	KUNIT_EXPECT_NOT_NULL(test, d);
	if (d) {
		KUNIT_EXPECT_PTR_EQ(test, d->owner, (void *)cma);
		KUNIT_EXPECT_STREQ(test, d->type->name, "potad_cma");
		KUNIT_EXPECT_EQ(test, potad_desc_phys(d), PFN_PHYS(pfn));
	}
	KUNIT_EXPECT_PTR_NE(test, potad_lookup_pfn(pfn + 2048), d);
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, cma_release(cma, p, 2048));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, potad_lookup_pfn(pfn));
	rcu_read_unlock();
}

/*
 * A DMA contiguous allocation: dma_alloc_coherent() of 64 KB for a device
 * without an area of its own goes through dma-direct and
 * dma_alloc_contiguous() to the default area, aligned to its size; it is
 * a POTAD allocation there, owned by the area, and dma_free_coherent()
 * gives it back.  The lower-level dma_alloc_from_contiguous() too.
 */
static void potad_test_cma_dma_contiguous(struct kunit *test)
{
	struct cma *cma = dev_get_cma_area(NULL);
	struct device *dev;
	unsigned long used, pfn;
	struct potad_desc *d;
	dma_addr_t handle;
	struct page *p;
	void *virt;

	if (!cma)
		kunit_skip(test, "no default CMA area: boot with cma=");
	dev = kunit_device_register(test, "potad-dma");
	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev,
							   DMA_BIT_MASK(64)),
			0);
	used = potad_cma_used(cma);
	virt = dma_alloc_coherent(dev, SZ_64K, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, virt);
	pfn = PHYS_PFN(virt_to_phys(virt));
	KUNIT_EXPECT_TRUE(test, cma_pages_valid(cma, pfn_to_page(pfn),
						SZ_64K >> PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, pfn % (SZ_64K >> PAGE_SHIFT), 0UL);
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma),
			used + (SZ_64K >> PAGE_SHIFT));
	rcu_read_lock();
	d = potad_lookup_pfn(pfn);
	KUNIT_EXPECT_NOT_NULL(test, d);
	if (d) {
		KUNIT_EXPECT_PTR_EQ(test, d->owner, (void *)cma);
		KUNIT_EXPECT_EQ(test, potad_desc_phys(d), PFN_PHYS(pfn));
	}
	rcu_read_unlock();
	dma_free_coherent(dev, SZ_64K, virt, handle);
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);

	p = dma_alloc_from_contiguous(NULL, 100, 4, false);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, page_to_pfn(p) % 16, 0UL);
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used + 100);
	KUNIT_EXPECT_TRUE(test, dma_release_from_contiguous(NULL, p, 100));
	/* Twice: not an allocation any more, refused, nothing changed. */
	KUNIT_EXPECT_FALSE(test, dma_release_from_contiguous(NULL, p, 100));
	KUNIT_EXPECT_EQ(test, potad_cma_used(cma), used);
}
#endif

static struct kunit_case potad_cma_cases[] = {
	KUNIT_CASE(potad_test_cma_ladder_rungs),
	KUNIT_CASE(potad_test_cma_ladder_gives_up),
	KUNIT_CASE(potad_test_cma_ladder_exact_count),
	KUNIT_CASE(potad_test_cma_ladder_alignment),
	KUNIT_CASE(potad_test_cma_ladder_busy),
	KUNIT_CASE(potad_test_cma_ladder_keeps_large),
#if IS_BUILTIN(CONFIG_POTAD_KUNIT_TEST)
	KUNIT_CASE(potad_test_cma_area),
	KUNIT_CASE(potad_test_cma_dma_contiguous),
#endif
	{}
};

static struct kunit_suite potad_cma_suite = {
	.name = "potad_cma",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_cma_cases,
};
#endif
#ifdef CONFIG_POTAD_SWAP
static struct kunit_case potad_swap_cases[] = {
	KUNIT_CASE(potad_test_swap_bad_blocks),
	KUNIT_CASE(potad_test_swap_orders),
	KUNIT_CASE(potad_test_swap_drain),
	KUNIT_CASE(potad_test_swap_ranges),
	KUNIT_CASE(potad_test_swap_reused),
	KUNIT_CASE(potad_test_swap_clusters),
	KUNIT_CASE(potad_test_swap_batch),
	KUNIT_CASE(potad_test_swap_discard),
	{}
};

static struct kunit_suite potad_swap_suite = {
	.name = "potad_swap",
	.test_cases = potad_swap_cases,
};
#endif

kunit_test_suites(&potad_core_suite, &potad_errors_suite,
		  &potad_concurrency_suite, &potad_lookup_suite,
		  &potad_zone_suite);
#ifdef CONFIG_POTAD_MEMORY_FAILURE
kunit_test_suite(potad_mf_suite);
#endif
#ifdef CONFIG_POTAD_CMA
kunit_test_suite(potad_cma_suite);
#endif
#ifdef CONFIG_POTAD_SWAP
kunit_test_suite(potad_swap_suite);
#endif

MODULE_DESCRIPTION("KUnit tests for the POTAD allocator");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
