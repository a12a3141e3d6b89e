// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for POTAD, the Power Of Two Allocator with Descriptor
 * (mm/potad.c).
 *
 * potad_core		behaviour on abstract spaces and on real memory
 * potad_errors		every caller bug: WARN_ONCE, an error, no change
 * potad_concurrency	kthreads, a softirq timer and a hardirq hrtimer
 *			sharing an instance
 *
 * The potad_errors suite makes POTAD warn on purpose; the project's log
 * checker accepts WARNINGs raised at mm/potad.c inside that suite only.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/potad.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timer.h>

/* The xfs_buf example from the seed mail: 360 bytes of descriptor. */
struct test_buf {
	u8 head[104];
	struct potad_desc desc;
	u8 tail[360 - 104 - sizeof(struct potad_desc)];
};

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

	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 5, 1), 0);
	KUNIT_EXPECT_EQ(test, d->nr_live, 15UL);
	/* The freed unit is handed out again. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(potad_alloc_at(pa, &test_plain_type, 4, 1,
						     NULL, GFP_KERNEL)),
			(long)-EBUSY);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 0, 5), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, 6, 10), 0);
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.nr_free[6], 1UL);
	KUNIT_EXPECT_EQ(test, st.units_allocated, 0UL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 3UL);
}

static void potad_test_retire(struct kunit *test)
{
	struct potad *pa = new_space(test, 64);
	struct potad_desc *d;
	struct potad_stats st;

	/* A free unit leaves free space at once. */
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 40, GFP_KERNEL), -EALREADY);
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
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 34, GFP_KERNEL), 0);
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
	potad_get_stats(pa, &st);
	KUNIT_EXPECT_EQ(test, st.units_total, 0UL);
	KUNIT_EXPECT_EQ(test, st.units_retired, 0UL);
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

	KUNIT_EXPECT_EQ(test, sizeof(struct test_buf), (size_t)360);
	d = potad_alloc(pa, &test_buf_type, 7, &owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	buf = container_of(d, struct test_buf, desc);
	KUNIT_EXPECT_GE(test, ksize(buf), (size_t)360);
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
	struct potad_desc desc = {}, desc2 = {};

	test_releases = 0;
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 3, NULL), 0);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc2, &test_caller_type,
					       32, 5, NULL), 0);
	KUNIT_EXPECT_EQ(test, desc2.start, 32UL);
	KUNIT_EXPECT_EQ(test, potad_alloc_desc(pa, &desc2, &test_caller_type,
					       32, 5, NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	KUNIT_EXPECT_EQ(test, desc.state, POTAD_DESC_DEAD);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, &desc2, 32, 32), 0);
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
		KUNIT_EXPECT_EQ(test, potad_free(pa, d[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, nr_free(pa, span_order), 1UL);
}

static struct kunit_case potad_core_cases[] = {
	KUNIT_CASE(potad_test_add_range_carves),
	KUNIT_CASE(potad_test_lowest_address_first),
	KUNIT_CASE(potad_test_fill_and_coalesce),
	KUNIT_CASE(potad_test_alloc_at),
	KUNIT_CASE(potad_test_partial_free),
	KUNIT_CASE(potad_test_retire),
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
	/* Base not aligned to the largest order. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 8, 16,
					 63), -EINVAL);
	/* Spans whose metadata index would overflow. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 0,
					 ULONG_MAX, 63), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 0,
					 POTAD_MAX_SPAN + 1, 63), -EINVAL);
	/* The last unit would be POTAD_ANY. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0,
					 ULONG_MAX - 15, 16, 4), -EINVAL);
	/* ... which is fine once the largest order is capped. */
	KUNIT_EXPECT_EQ(test, potad_init(&pa, "x", POTAD_ABSTRACT, 0, 8, 16,
					 3), 0);
	potad_destroy(&pa);
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
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 130, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_retire(pa, 1000, GFP_KERNEL), -EINVAL);
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
					       POTAD_ANY, 0, NULL), -EINVAL);
	expect_unchanged(test, pa, &before);
}

static void potad_test_bad_free(struct kunit *test)
{
	struct potad *pa = new_space(test, 256);
	struct potad *other = new_space(test, 256);
	struct potad_desc desc = {}, *d, *p;
	struct potad_stats before;

	KUNIT_ASSERT_EQ(test, potad_alloc_desc(pa, &desc, &test_caller_type,
					       POTAD_ANY, 2, NULL), 0);
	d = alloc_ok(test, pa, 3);
	p = alloc_ok(test, pa, 3);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, p, p->start, 2), 0);
	potad_get_stats(pa, &before);
	/* A descriptor of another instance. */
	KUNIT_EXPECT_EQ(test, potad_free(other, d), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(other, d, d->start, 1), -EINVAL);
	/* Ranges outside the block, empty, or freed already. */
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start + 4, 5),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start - 1, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 1, 2),
			-EINVAL);
	/* potad_free() of a partly freed block. */
	KUNIT_EXPECT_EQ(test, potad_free(pa, p), -EINVAL);
	/* A retired unit freed once must not be freed again. */
	KUNIT_ASSERT_EQ(test, potad_retire(pa, p->start + 3, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, p, p->start + 3, 1), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 3, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 2, 2),
			-EINVAL);
	expect_unchanged(test, pa, &before);

	/* Double free and a stale descriptor (caller memory survives). */
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free(pa, &desc), -EINVAL);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, &desc, desc.start, 1),
			-EINVAL);
	expect_unchanged(test, pa, &before);

	/* Units freed and then withdrawn cannot be freed again. */
	KUNIT_ASSERT_EQ(test, potad_free_range(pa, d, d->start + 4, 4), 0);
	KUNIT_ASSERT_EQ(test, potad_withdraw_range(pa, d->start + 4, 4), 0);
	potad_get_stats(pa, &before);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start + 4, 4),
			-EINVAL);
	expect_unchanged(test, pa, &before);
	KUNIT_ASSERT_EQ(test, potad_add_range(pa, d->start + 4, 4), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, d, d->start, 4), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 2, 1), 0);
	KUNIT_EXPECT_EQ(test, potad_free_range(pa, p, p->start + 4, 4), 0);
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
	/* Unregistering a type never registered changes nothing. */
	potad_type_unregister(&never);
	KUNIT_EXPECT_FALSE(test, never.registered);
	KUNIT_EXPECT_EQ(test, potad_type_register(&test_plain_type), -EBUSY);
}

static struct kunit_case potad_errors_cases[] = {
	KUNIT_CASE(potad_test_bad_init),
	KUNIT_CASE(potad_test_bad_ranges),
	KUNIT_CASE(potad_test_bad_alloc),
	KUNIT_CASE(potad_test_bad_free),
	KUNIT_CASE(potad_test_bad_type),
	{}
};

static struct kunit_suite potad_errors_suite = {
	.name = "potad_errors",
	.suite_init = potad_suite_init,
	.suite_exit = potad_suite_exit,
	.test_cases = potad_errors_cases,
};

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

/* Hard interrupt context: caller-provided descriptor, nothing allocated. */
static enum hrtimer_restart conc_hrtimer(struct hrtimer *t)
{
	struct conc_ctx *c = container_of(t, struct conc_ctx, hrtimer);
	int ret;

	ret = potad_alloc_desc(c->pa, &c->hdesc, &test_caller_type, POTAD_ANY,
			       2, NULL);
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
	hrtimer_init(&c->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	c->hrtimer.function = conc_hrtimer;
	hrtimer_start(&c->hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
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

kunit_test_suites(&potad_core_suite, &potad_errors_suite,
		  &potad_concurrency_suite);

MODULE_DESCRIPTION("KUnit tests for the POTAD allocator");
MODULE_LICENSE("GPL");
