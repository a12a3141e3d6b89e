// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD against its peers, /sys/kernel/debug/potad/bench_peers.
 *
 * Writing "LOOKUP_SIZES..." (live blocks for the lookup rows, e.g.
 * "1000 1000000 10000000") runs every row below in this boot and keeps
 * the table; reading the file shows it.  Each row times POTAD's zone
 * instances (potad_alloc_mem() and potad_free_mem(), slab descriptors and
 * the index included) and a peer on the same work, and prints both
 * medians, their spread and the ratio POTAD/peer, with the goal
 * for the ratio and whether this run met it:
 *
 *   pair      one allocation plus one free, again and again, at one order:
 *             against alloc_pages()/__free_pages() (alloc_contig_pages()
 *             and free_contig_range() for 1 GB), against gen_pool_alloc()
 *             of a naturally aligned block from a genalloc pool over a
 *             1 GB block of the same memory, and below a page against
 *             kmalloc()/kfree();
 *   refill    the order-0 pair where each allocation takes a block from
 *             the buddy allocator and each free gives it back, against
 *             the pair where neither happens: what a refill costs;
 *   batch     N allocations, then N frees (more than the buddy's per-cpu
 *             lists hold);
 *   churn     random allocations of orders 0..4 and random frees around
 *             50% and 90% of a 256 MB working set, with the rest of memory
 *             taken away first, so that both allocators work in the same
 *             256 MB; then, with the live set still held, the largest free
 *             order and the free memory in blocks of 2 MB and more;
 *   2 vCPUs   the order-0 pair on each of two CPUs at once: throughput
 *             against one CPU's;
 *   lookup    potad_lookup() against pfn_to_page() plus page_folio(), and
 *             what the index adds to an order-0 pair (mm/potad_bench.c).
 *
 * Every timed row runs one warm-up round, then POTAD_PEERS_ROUNDS rounds;
 * the median and the range are over the rounds, in ns per operation.  The
 * boot reservation's 1 GB block (potad=1G) is needed for the 1 GB rows and
 * the genalloc pool; without it those rows say "n/a".
 *
 * A benchmark, not a test: it asserts nothing, and under TCG its figures
 * only compare with each other within one run.
 *
 * Locking: runs under potad_peers_lock, one run at a time; everything else
 * is the allocators' own.
 */

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "potad_internal.h"

#define POTAD_PEERS_ROUNDS	7
#define POTAD_PEERS_OUT		(32 * 1024)
#define POTAD_PEERS_1G_SHIFT	30
#define POTAD_PEERS_WORKING	(256UL << 20)	/* bytes, the churn's memory */
#define POTAD_PEERS_CHURN_OPS	40000

static struct potad_type potad_peers_type = {
	.name = "potad_bench_peers",
	.size = sizeof(struct potad_desc),
};

static DEFINE_MUTEX(potad_peers_lock);
static char *potad_peers_out;

enum potad_peer {
	PEER_POTAD,
	PEER_BUDDY,
	PEER_GENALLOC,
	PEER_KMALLOC,
};

static const char * const potad_peer_names[] = {
	[PEER_POTAD] = "potad",
	[PEER_BUDDY] = "buddy",
	[PEER_GENALLOC] = "genalloc",
	[PEER_KMALLOC] = "kmalloc",
};

struct potad_peers {
	char *out;
	struct seq_buf s;		/* the table, in @out */
	struct gen_pool *pool;		/* over @pool_block, or NULL */
	struct potad_desc *pool_block;
	void **objs;			/* batch and churn objects */
	u8 *orders;
	unsigned long nr_objs;
};

/* A median and a range, in tenths of a unit. */
struct potad_peers_stat {
	u64 med, min, max;
	bool valid;
};

static __printf(2, 3) void peers_print(struct potad_peers *b,
				       const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	seq_buf_vprintf(&b->s, fmt, args);
	va_end(args);
}

static int peers_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static struct potad_peers_stat peers_stat(u64 *v, int n)
{
	struct potad_peers_stat s = { .valid = n > 0 };

	if (!n)
		return s;
	sort(v, n, sizeof(*v), peers_cmp_u64, NULL);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = v[n / 2];
	return s;
}

/* "12.3" from tenths. */
static const char *peers_fmt(char *buf, size_t len, u64 tenths)
{
	snprintf(buf, len, "%llu.%llu", div_u64(tenths, 10), tenths % 10);
	return buf;
}

static void peers_header(struct potad_peers *b)
{
	peers_print(b, "%-34s %10s %15s  %-8s %10s %15s %7s %7s %s\n",
		    "row", "potad", "range", "peer", "peer", "range", "ratio",
		    "goal", "");
}

/*
 * One row: POTAD's and the peer's medians with their ranges, the ratio
 * of the medians (POTAD/peer) and the goal: "<= 1.0" rows want a ratio at
 * most that, ">= 1.8" rows at least.
 */
static void peers_row(struct potad_peers *b, const char *row,
		      struct potad_peers_stat p, enum potad_peer peer,
		      struct potad_peers_stat q, const char *goal)
{
	char m1[24], m2[24], r1[64], r2[64], a[24], c[24], ratio[24];
	const char *verdict = "";
	u64 rt = 0;

	if (!p.valid || !q.valid || !q.med) {
		peers_print(b, "%-34s %10s %15s  %-8s %10s %15s %7s %7s\n",
			    row, p.valid ? peers_fmt(m1, 24, p.med) : "n/a", "",
			    potad_peer_names[peer],
			    q.valid ? peers_fmt(m2, 24, q.med) : "n/a", "",
			    "-", goal ? goal : "");
		return;
	}
	/* In hundredths. */
	rt = div64_u64(p.med * 100 + q.med / 2, q.med);
	snprintf(ratio, sizeof(ratio), "%llu.%02llu", div_u64(rt, 100),
		 rt % 100);
	snprintf(r1, sizeof(r1), "%s-%s", peers_fmt(a, 24, p.min),
		 peers_fmt(c, 24, p.max));
	snprintf(r2, sizeof(r2), "%s-%s", peers_fmt(a, 24, q.min),
		 peers_fmt(c, 24, q.max));
	if (goal) {
		const char *dot = strchr(goal + 3, '.');
		unsigned int whole;
		u64 g;

		if (sscanf(goal + 3, "%u", &whole) == 1) {
			/* Hundredths: "1.25" is 125, "0.5" is 50. */
			g = whole * 100;
			if (dot && isdigit(dot[1])) {
				g += (dot[1] - '0') * 10;
				if (isdigit(dot[2]))
					g += dot[2] - '0';
			}
			if (goal[0] == '<')
				verdict = rt <= g ? "met" : "missed";
			else
				verdict = rt >= g ? "met" : "missed";
		}
	}
	peers_print(b, "%-34s %10s %15s  %-8s %10s %15s %7s %7s %s\n", row,
		    peers_fmt(m1, 24, p.med), r1, potad_peer_names[peer],
		    peers_fmt(m2, 24, q.med), r2, ratio, goal ? goal : "",
		    verdict);
}

/* Allocate and free one block of 2^(order + PAGE_SHIFT) or 2^shift bytes. */
static bool peers_pair(struct potad_peers *b, enum potad_peer peer,
		       unsigned int shift)
{
	unsigned int order = shift - PAGE_SHIFT;
	struct potad_desc *d;
	struct page *page;
	unsigned long addr;
	void *p;

	switch (peer) {
	case PEER_POTAD:
		d = potad_alloc_mem(&potad_peers_type, shift,
				    GFP_KERNEL | __GFP_NOWARN, NULL);
		if (IS_ERR(d))
			return false;
		potad_free_mem(d);
		return true;
	case PEER_BUDDY:
		if (order > MAX_PAGE_ORDER) {
#ifdef CONFIG_CONTIG_ALLOC
			page = alloc_contig_pages(1UL << order,
						  GFP_KERNEL | __GFP_NOWARN,
						  numa_node_id(), NULL);
			if (!page)
				return false;
			free_contig_range(page_to_pfn(page), 1UL << order);
			return true;
#else
			return false;
#endif
		}
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!page)
			return false;
		__free_pages(page, order);
		return true;
	case PEER_GENALLOC: {
		struct genpool_data_align align = { .align = 1 << shift };

		if (!b->pool)
			return false;
		addr = gen_pool_alloc_algo(b->pool, 1UL << shift,
					   gen_pool_first_fit_align, &align);
		if (!addr)
			return false;
		gen_pool_free(b->pool, addr, 1UL << shift);
		return true;
	}
	case PEER_KMALLOC:
		p = kmalloc(1UL << shift, GFP_KERNEL);
		if (!p)
			return false;
		kfree(p);
		return true;
	}
	return false;
}

/*
 * ns per pair (in tenths) of each round of @n pairs, after a warm-up
 * round.  RCU-deferred descriptor frees run inside the rounds as they
 * come; rcu_barrier() between rounds keeps them from piling up.
 */
static struct potad_peers_stat peers_time_pairs(struct potad_peers *b,
						enum potad_peer peer,
						unsigned int shift,
						unsigned long n)
{
	u64 v[POTAD_PEERS_ROUNDS], t;
	unsigned long i;
	int r;

	for (r = -1; r < POTAD_PEERS_ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < n; i++)
			if (!peers_pair(b, peer, shift))
				return peers_stat(v, 0);
		t = ktime_get_ns() - t;
		if (r >= 0)
			v[r] = div64_u64(t * 10, n);
		rcu_barrier();
		cond_resched();
	}
	return peers_stat(v, POTAD_PEERS_ROUNDS);
}

/* Pairs per round: a round of a few tens of ms under TCG. */
static unsigned long peers_pairs_for(unsigned int shift)
{
	if (shift >= POTAD_PEERS_1G_SHIFT)
		return 1;
	if (shift > PAGE_SHIFT + 6)
		return 2000;
	return 10000;
}

static void peers_pairs(struct potad_peers *b)
{
	static const unsigned int sub[] = { 9, 10, 11 };
	struct potad_peers_stat p, q;
	unsigned int order, i;
	char row[40];

	for (order = 0; order <= MAX_PAGE_ORDER; order++) {
		unsigned int shift = order + PAGE_SHIFT;
		unsigned long n = peers_pairs_for(shift);

		p = peers_time_pairs(b, PEER_POTAD, shift, n);
		q = peers_time_pairs(b, PEER_BUDDY, shift, n);
		snprintf(row, sizeof(row), "pair order %u (%lu KB)", order,
			 (1UL << shift) >> 10);
		peers_row(b, row, p, PEER_BUDDY, q,
			  order <= 3 ? "<= 1.0" : "<= 0.5");
		q = peers_time_pairs(b, PEER_GENALLOC, shift, n);
		peers_row(b, row, p, PEER_GENALLOC, q, "<= 0.1");
	}
	for (i = 0; i < ARRAY_SIZE(sub); i++) {
		p = peers_time_pairs(b, PEER_POTAD, sub[i], 10000);
		q = peers_time_pairs(b, PEER_KMALLOC, sub[i], 10000);
		snprintf(row, sizeof(row), "pair %u B", 1U << sub[i]);
		peers_row(b, row, p, PEER_KMALLOC, q,
			  sub[i] == 9 ? "<= 1.0" : NULL);
	}
}

/*
 * What a refill costs: the order-0 pair in a zone whose instance has no
 * free elastic memory and a high mark of 0, so that every allocation
 * takes a MAX_PAGE_ORDER block from the buddy allocator (the refill) and
 * every free gives it back (the return), against the same pair in the
 * same zone with its high mark as it was, where neither happens.  The
 * difference is one refill and one return; a refill serves the
 * allocations of up to MAX_ORDER_NR_PAGES pages, which is what it costs
 * each of them at most.
 */
static void peers_refills(struct potad_peers *b)
{
	struct potad_zone_info before, after;
	struct potad_peers_stat p, q;
	const unsigned long n = 2000;
	char m1[24], m2[24];
	struct potad_desc *d;
	struct zone *zone;
	u64 extra = 0;
	long high;

	d = potad_alloc_mem(&potad_peers_type, PAGE_SHIFT,
			    GFP_KERNEL | __GFP_NOWARN, NULL);
	if (IS_ERR(d))
		return;
	zone = page_zone(pfn_to_page(d->start));
	potad_free_mem(d);
	q = peers_time_pairs(b, PEER_POTAD, PAGE_SHIFT, n);
	high = potad_zone_set_high(zone, 0);
	if (high < 0)
		return;
	potad_zone_shrink_all();
	potad_zone_get_info(zone, &before);
	p = peers_time_pairs(b, PEER_POTAD, PAGE_SHIFT, n);
	potad_zone_get_info(zone, &after);
	potad_zone_set_high(zone, high);
	peers_row(b, "pair order 0, refill + return", p, PEER_POTAD, q, NULL);
	if (p.valid && q.valid && p.med > q.med)
		extra = p.med - q.med;
	peers_print(b, "%-34s %lu refills, %lu returns in %lu pairs (zone %s)\n",
		    "", after.refills - before.refills,
		    after.returns - before.returns,
		    n * (POTAD_PEERS_ROUNDS + 1), zone->name);
	peers_print(b, "%-34s refill + return %s ns, %s ns per page of the block\n",
		    "", peers_fmt(m1, 24, extra),
		    peers_fmt(m2, 24, div_u64(extra, MAX_ORDER_NR_PAGES)));
}

/* The 1 GB rows, before the genalloc pool takes the 1 GB block. */
static void peers_pairs_1g(struct potad_peers *b, struct potad_peers_stat *p)
{
	struct potad_peers_stat q;

	*p = peers_time_pairs(b, PEER_POTAD, POTAD_PEERS_1G_SHIFT, 1);
	q = peers_time_pairs(b, PEER_BUDDY, POTAD_PEERS_1G_SHIFT, 1);
	peers_row(b, "pair 1 GB (contig for buddy)", *p, PEER_BUDDY, q,
		  "<= 0.5");
}

static void peers_genalloc_1g(struct potad_peers *b, struct potad_peers_stat p)
{
	struct potad_peers_stat q;

	q = peers_time_pairs(b, PEER_GENALLOC, POTAD_PEERS_1G_SHIFT, 1);
	peers_row(b, "pair 1 GB", p, PEER_GENALLOC, q, "<= 0.1");
}

/* A genalloc pool of 4 KB granules over a 1 GB POTAD block. */
static int peers_pool_create(struct potad_peers *b)
{
	struct potad_desc *d;
	int ret;

	d = potad_alloc_mem(&potad_peers_type, POTAD_PEERS_1G_SHIFT,
			    GFP_KERNEL | __GFP_NOWARN, NULL);
	if (IS_ERR(d))
		return PTR_ERR(d);
	b->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!b->pool) {
		potad_free_mem(d);
		return -ENOMEM;
	}
	ret = gen_pool_add_virt(b->pool, (unsigned long)potad_desc_virt(d),
				potad_desc_phys(d), 1UL << POTAD_PEERS_1G_SHIFT,
				NUMA_NO_NODE);
	if (ret) {
		gen_pool_destroy(b->pool);
		b->pool = NULL;
		potad_free_mem(d);
		return ret;
	}
	b->pool_block = d;
	return 0;
}

static void peers_pool_destroy(struct potad_peers *b)
{
	if (!b->pool)
		return;
	gen_pool_destroy(b->pool);
	potad_free_mem(b->pool_block);
	b->pool = NULL;
	b->pool_block = NULL;
}

/* Allocate into b->objs[i] (an order-@order block); false if it failed. */
static bool peers_get(struct potad_peers *b, enum potad_peer peer,
		      unsigned long i, unsigned int order)
{
	struct potad_desc *d;
	struct page *page;

	if (peer == PEER_POTAD) {
		d = potad_alloc_mem(&potad_peers_type, order + PAGE_SHIFT,
				    GFP_KERNEL | __GFP_NOWARN, NULL);
		if (IS_ERR(d))
			return false;
		b->objs[i] = d;
	} else {
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!page)
			return false;
		b->objs[i] = page;
	}
	b->orders[i] = order;
	return true;
}

static void peers_put(struct potad_peers *b, enum potad_peer peer,
		      unsigned long i)
{
	if (peer == PEER_POTAD)
		potad_free_mem(b->objs[i]);
	else
		__free_pages(b->objs[i], b->orders[i]);
}

/* ns per operation (an allocation or a free) of N allocations, N frees. */
static struct potad_peers_stat peers_time_batch(struct potad_peers *b,
						enum potad_peer peer,
						unsigned int order,
						unsigned long n)
{
	u64 v[POTAD_PEERS_ROUNDS], t;
	unsigned long i, got;
	int r;

	for (r = -1; r < POTAD_PEERS_ROUNDS; r++) {
		t = ktime_get_ns();
		for (got = 0; got < n; got++)
			if (!peers_get(b, peer, got, order))
				break;
		for (i = 0; i < got; i++)
			peers_put(b, peer, i);
		t = ktime_get_ns() - t;
		if (got < n)
			return peers_stat(v, 0);
		if (r >= 0)
			v[r] = div64_u64(t * 10, 2 * n);
		rcu_barrier();
		cond_resched();
	}
	return peers_stat(v, POTAD_PEERS_ROUNDS);
}

static void peers_batches(struct potad_peers *b)
{
	static const struct {
		unsigned int order;
		unsigned long n;
	} rows[] = { { 0, 4096 }, { 3, 512 }, { 9, 32 } };
	struct potad_peers_stat p, q;
	unsigned int i;
	char row[40];

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		p = peers_time_batch(b, PEER_POTAD, rows[i].order, rows[i].n);
		q = peers_time_batch(b, PEER_BUDDY, rows[i].order, rows[i].n);
		snprintf(row, sizeof(row), "batch %lu x order %u", rows[i].n,
			 rows[i].order);
		peers_row(b, row, p, PEER_BUDDY, q,
			  rows[i].order <= 3 ? "<= 1.0" : "<= 0.5");
	}
}

/*
 * Memory taken away for the churn: every free page but @keep bytes of
 * MAX_PAGE_ORDER blocks, without reclaim, on lists by order.
 */
struct peers_hog {
	struct list_head lists[NR_PAGE_ORDERS];
};

static void peers_hog_release(struct peers_hog *h)
{
	struct page *page, *next;
	int order;

	for (order = 0; order < NR_PAGE_ORDERS; order++)
		list_for_each_entry_safe(page, next, &h->lists[order], lru) {
			list_del(&page->lru);
			__free_pages(page, order);
		}
}

static void peers_hog(struct peers_hog *h, unsigned long keep)
{
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN | __GFP_NORETRY;
	unsigned long kept = 0;
	struct page *page;
	int order;

	for (order = 0; order < NR_PAGE_ORDERS; order++)
		INIT_LIST_HEAD(&h->lists[order]);
	for (order = MAX_PAGE_ORDER; order >= 0; order--) {
		while ((page = alloc_pages(gfp, order)))
			list_add(&page->lru, &h->lists[order]);
		cond_resched();
	}
	/* Give back @keep bytes in whole MAX_PAGE_ORDER blocks. */
	while (kept < keep && !list_empty(&h->lists[MAX_PAGE_ORDER])) {
		page = list_first_entry(&h->lists[MAX_PAGE_ORDER], struct page,
					lru);
		list_del(&page->lru);
		__free_pages(page, MAX_PAGE_ORDER);
		kept += PAGE_SIZE << MAX_PAGE_ORDER;
	}
}

/* Largest free order and free bytes in blocks of >= 2 MB, buddy + POTAD. */
static void peers_free_blocks(bool with_potad, int *largest, u64 *big)
{
	struct potad_stats st;
	struct zone *zone;
	int order;

	*largest = -1;
	*big = 0;
	for_each_populated_zone(zone) {
		for (order = 0; order < NR_PAGE_ORDERS; order++) {
			unsigned long nr;

			/* A snapshot: the counts move while we read them. */
			nr = data_race(zone->free_area[order].nr_free);
			if (!nr)
				continue;
			*largest = max(*largest, order);
			if (order >= PMD_ORDER)
				*big += (u64)nr << (order + PAGE_SHIFT);
		}
		if (!with_potad || !potad_zone(zone))
			continue;
		potad_get_stats(potad_zone(zone), &st);
		for (order = 0; order <= st.max_order; order++) {
			if (!st.nr_free[order])
				continue;
			*largest = max(*largest, order);
			if (order >= PMD_ORDER)
				*big += (u64)st.nr_free[order] <<
					(order + PAGE_SHIFT);
		}
	}
}

/* Orders 0..4: one half order 0, one quarter order 1, ... */
static unsigned int peers_churn_order(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd) & 15;

	if (r < 8)
		return 0;
	if (r < 12)
		return 1;
	if (r < 14)
		return 2;
	return r < 15 ? 3 : 4;
}

struct peers_churn_result {
	u64 ns;			/* tenths of ns per operation */
	unsigned long fails;
	int largest;
	u64 big;
};

struct peers_churn {
	struct rnd_state rnd;
	unsigned long target, live, pages;
};

/*
 * One operation: below the target allocate, at or above it (or when the
 * allocation failed) free a random live block.  Return false if an
 * allocation failed.
 */
static bool peers_churn_step(struct potad_peers *b, enum potad_peer peer,
			     struct peers_churn *c)
{
	bool ok = true;
	unsigned long i;

	if (c->pages < c->target && c->live < b->nr_objs) {
		unsigned int order = peers_churn_order(&c->rnd);

		if (peers_get(b, peer, c->live, order)) {
			c->pages += 1UL << order;
			c->live++;
			return true;
		}
		ok = false;
		if (!c->live)
			return ok;
	}
	/* Free a random live block; the last one moves into its slot. */
	i = prandom_u32_state(&c->rnd) % c->live;
	c->pages -= 1UL << b->orders[i];
	peers_put(b, peer, i);
	c->live--;
	b->objs[i] = b->objs[c->live];
	b->orders[i] = b->orders[c->live];
	return ok;
}

/*
 * With all memory but the working set taken away: fill @pct percent of
 * it, run POTAD_PEERS_CHURN_OPS operations to warm up, then time as many.
 * The same seed gives both allocators the same sequence as long as
 * neither fails.  Then, with the live set held, count the free blocks.
 */
static void peers_churn(struct potad_peers *b, enum potad_peer peer,
			unsigned int pct, struct peers_churn_result *res)
{
	struct peers_churn c = {
		.target = (POTAD_PEERS_WORKING >> PAGE_SHIFT) * pct / 100,
	};
	struct peers_hog hog;
	unsigned long op;
	u64 t;

	memset(res, 0, sizeof(*res));
	prandom_seed_state(&c.rnd, 42);
	/*
	 * Free elastic blocks POTAD kept from the rows before would be
	 * memory outside the hog's 256 MB: back to the buddy allocator.
	 */
	potad_zone_shrink_all();
	peers_hog(&hog, POTAD_PEERS_WORKING);
	for (op = 0; c.pages < c.target && op < b->nr_objs; op++)
		peers_churn_step(b, peer, &c);
	for (op = 0; op < POTAD_PEERS_CHURN_OPS; op++) {
		peers_churn_step(b, peer, &c);
		if (!(op % 1024))
			cond_resched();
	}
	t = ktime_get_ns();
	for (op = 0; op < POTAD_PEERS_CHURN_OPS; op++) {
		if (!peers_churn_step(b, peer, &c))
			res->fails++;
		if (!(op % 1024))
			cond_resched();
	}
	t = ktime_get_ns() - t;
	res->ns = div64_u64(t * 10, POTAD_PEERS_CHURN_OPS);
	peers_free_blocks(peer == PEER_POTAD, &res->largest, &res->big);
	for (op = 0; op < c.live; op++)
		peers_put(b, peer, op);
	peers_hog_release(&hog);
	rcu_barrier();
}

static void peers_int_row(struct potad_peers *b, const char *row, long p,
			  long q, const char *goal, bool met)
{
	peers_print(b, "%-34s %10ld %15s  %-8s %10ld %15s %7s %7s %s\n", row,
		    p, "", "buddy", q, "", "-", goal ? goal : "",
		    goal ? (met ? "met" : "missed") : "");
}

static void peers_churns(struct potad_peers *b)
{
	static const unsigned int pcts[] = { 50, 90 };
	struct peers_churn_result p, q;
	struct potad_peers_stat sp, sq;
	struct potad_desc *held;
	char row[48];
	unsigned int i;

	/* Keep the reservation's gigantic block out of the comparison. */
	held = potad_alloc_mem(&potad_peers_type, POTAD_PEERS_1G_SHIFT,
			       GFP_KERNEL | __GFP_NOWARN, NULL);
	for (i = 0; i < ARRAY_SIZE(pcts); i++) {
		peers_churn(b, PEER_POTAD, pcts[i], &p);
		peers_churn(b, PEER_BUDDY, pcts[i], &q);
		sp = (struct potad_peers_stat){ p.ns, p.ns, p.ns, true };
		sq = (struct potad_peers_stat){ q.ns, q.ns, q.ns, true };
		snprintf(row, sizeof(row), "churn %u%% of 256 MB (ns/op)",
			 pcts[i]);
		peers_row(b, row, sp, PEER_BUDDY, sq, NULL);
		snprintf(row, sizeof(row), "churn %u%%: failed allocations",
			 pcts[i]);
		peers_int_row(b, row, p.fails, q.fails, NULL, false);
		snprintf(row, sizeof(row), "churn %u%%: largest free order",
			 pcts[i]);
		peers_int_row(b, row, p.largest, q.largest, ">= buddy",
			      p.largest >= q.largest);
		snprintf(row, sizeof(row), "churn %u%%: MB free in >= 2 MB",
			 pcts[i]);
		peers_int_row(b, row, p.big >> 20, q.big >> 20, NULL, false);
	}
	if (!IS_ERR(held))
		potad_free_mem(held);
}

/* Both CPUs (or one) run @n order-0 pairs of @peer at once. */
struct peers_cpu {
	struct potad_peers *b;
	enum potad_peer peer;
	unsigned long n;
	struct completion *go;
	struct completion done;
	u64 start, end;
	bool ok;
};

static int peers_cpu_fn(void *arg)
{
	struct peers_cpu *pc = arg;
	unsigned long i;

	wait_for_completion(pc->go);
	pc->start = ktime_get_ns();
	pc->ok = true;
	for (i = 0; i < pc->n && pc->ok; i++) {
		pc->ok = peers_pair(pc->b, pc->peer, PAGE_SHIFT);
		if (!(i % 1024))
			cond_resched();
	}
	pc->end = ktime_get_ns();
	complete(&pc->done);
	return 0;
}

/* Pairs per second (in tenths) with @nr_cpus CPUs, 0 if it failed. */
static u64 peers_cpus_once(struct potad_peers *b, enum potad_peer peer,
			   int nr_cpus, unsigned long n)
{
	struct peers_cpu pc[2] = {};
	DECLARE_COMPLETION_ONSTACK(go);
	u64 start = U64_MAX, end = 0;
	bool ok = true;
	int i, cpu = -1;

	for (i = 0; i < nr_cpus; i++) {
		struct task_struct *t;

		cpu = cpumask_next(cpu, cpu_online_mask);
		pc[i] = (struct peers_cpu){ .b = b, .peer = peer, .n = n,
					    .go = &go };
		init_completion(&pc[i].done);
		t = kthread_run_on_cpu(peers_cpu_fn, &pc[i], cpu,
				       "potad_peers/%u");
		if (IS_ERR(t)) {
			/* Release the ones already started. */
			nr_cpus = i;
			ok = false;
			break;
		}
	}
	complete_all(&go);
	for (i = 0; i < nr_cpus; i++) {
		wait_for_completion(&pc[i].done);
		ok &= pc[i].ok;
		start = min(start, pc[i].start);
		end = max(end, pc[i].end);
	}
	rcu_barrier();
	if (!ok || !nr_cpus || end <= start)
		return 0;
	return div64_u64((u64)nr_cpus * n * NSEC_PER_SEC * 10, end - start);
}

static struct potad_peers_stat peers_time_cpus(struct potad_peers *b,
					       enum potad_peer peer,
					       int nr_cpus)
{
	u64 v[POTAD_PEERS_ROUNDS];
	int r;

	for (r = -1; r < POTAD_PEERS_ROUNDS; r++) {
		u64 x = peers_cpus_once(b, peer, nr_cpus, 10000);

		if (!x)
			return peers_stat(v, 0);
		if (r >= 0)
			v[r] = x;
	}
	return peers_stat(v, POTAD_PEERS_ROUNDS);
}

static void peers_cpus(struct potad_peers *b)
{
	struct potad_peers_stat p1, p2, q1, q2, sp, sq;
	u64 rp, rq;

	if (num_online_cpus() < 2) {
		peers_print(b, "2 vCPUs: n/a, one CPU online\n");
		return;
	}
	p1 = peers_time_cpus(b, PEER_POTAD, 1);
	p2 = peers_time_cpus(b, PEER_POTAD, 2);
	q1 = peers_time_cpus(b, PEER_BUDDY, 1);
	q2 = peers_time_cpus(b, PEER_BUDDY, 2);
	/* Thousands of pairs per second, in tenths. */
	p1.med /= 1000, p1.min /= 1000, p1.max /= 1000;
	p2.med /= 1000, p2.min /= 1000, p2.max /= 1000;
	q1.med /= 1000, q1.min /= 1000, q1.max /= 1000;
	q2.med /= 1000, q2.min /= 1000, q2.max /= 1000;
	peers_row(b, "order-0 pairs/ms, 1 vCPU", p1, PEER_BUDDY, q1, ">= 1.0");
	peers_row(b, "order-0 pairs/ms, 2 vCPUs", p2, PEER_BUDDY, q2,
		  ">= 1.0");
	/* Scaling, 2 vCPUs over 1, in tenths, as a row of its own. */
	if (!p1.valid || !p2.valid || !q1.valid || !q2.valid || !p1.med ||
	    !q1.med)
		return;
	rp = div64_u64(p2.med * 10, p1.med);
	rq = div64_u64(q2.med * 10, q1.med);
	sp = (struct potad_peers_stat){ rp, rp, rp, true };
	sq = (struct potad_peers_stat){ rq, rq, rq, true };
	peers_row(b, "scaling 2 vCPUs / 1 (x)", sp, PEER_BUDDY, sq, NULL);
	peers_print(b, "%-34s potad scales %llu.%llux: goal >= 1.8 %s\n", "",
		    div_u64(rp, 10), rp % 10, rp >= 18 ? "met" : "missed");
}

static void peers_lookups(struct potad_peers *b, unsigned long *sizes,
			  int nr)
{
	u64 res[POTAD_BL_NR];
	struct potad_peers_stat p, q;
	char row[48];
	int i, ret;

	for (i = 0; i < nr; i++) {
		ret = potad_bench_lookup_run(sizes[i], 1000000, res);
		if (ret) {
			peers_print(b, "lookup at %lu live blocks: error %d\n",
				    sizes[i], ret);
			continue;
		}
		p = (struct potad_peers_stat){ res[POTAD_BL_LOOKUP],
			res[POTAD_BL_LOOKUP], res[POTAD_BL_LOOKUP], true };
		q = (struct potad_peers_stat){ res[POTAD_BL_FOLIO],
			res[POTAD_BL_FOLIO], res[POTAD_BL_FOLIO], true };
		snprintf(row, sizeof(row), "lookup, %lu live (vs folio)",
			 sizes[i]);
		peers_row(b, row, p, PEER_BUDDY, q, "<= 2.0");
		p = (struct potad_peers_stat){ res[POTAD_BL_INDEXED],
			res[POTAD_BL_INDEXED], res[POTAD_BL_INDEXED], true };
		q = (struct potad_peers_stat){ res[POTAD_BL_PLAIN],
			res[POTAD_BL_PLAIN], res[POTAD_BL_PLAIN], true };
		snprintf(row, sizeof(row), "index in a pair, %lu live",
			 sizes[i]);
		peers_row(b, row, p, PEER_POTAD, q, "<= 1.25");
	}
}

static int potad_peers_run(unsigned long *sizes, int nr)
{
	struct potad_peers_stat p1g = {};
	struct potad_peers *b;
	int ret = -ENOMEM;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->out = kvzalloc(POTAD_PEERS_OUT, GFP_KERNEL);
	b->nr_objs = POTAD_PEERS_WORKING >> PAGE_SHIFT;
	b->objs = kvcalloc(b->nr_objs, sizeof(*b->objs), GFP_KERNEL);
	b->orders = kvcalloc(b->nr_objs, sizeof(*b->orders), GFP_KERNEL);
	if (!b->out || !b->objs || !b->orders)
		goto free;
	ret = potad_type_register(&potad_peers_type);
	if (ret)
		goto free;
	seq_buf_init(&b->s, b->out, POTAD_PEERS_OUT);

	peers_print(b, "POTAD/peer ratios, %d rounds after a warm-up; %u CPUs online\n",
		    POTAD_PEERS_ROUNDS, num_online_cpus());
	peers_print(b, "pair, batch, churn, lookup rows: ns per operation (lower is better)\n");
	peers_header(b);
	peers_pairs_1g(b, &p1g);
	if (!peers_pool_create(b)) {
		peers_genalloc_1g(b, p1g);
		peers_pairs(b);
		peers_pool_destroy(b);
	} else {
		peers_print(b, "no 1 GB block for the genalloc pool (potad=1G?)\n");
		peers_pairs(b);
	}
	peers_refills(b);
	peers_batches(b);
	peers_churns(b);
	peers_cpus(b);
	peers_lookups(b, sizes, nr);

	swap(potad_peers_out, b->out);
	potad_type_unregister(&potad_peers_type);
free:
	kvfree(b->orders);
	kvfree(b->objs);
	kvfree(b->out);
	kfree(b);
	return ret;
}

static ssize_t bench_peers_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	unsigned long sizes[4];
	char buf[80], *s, *tok;
	int nr = 0, ret;

	if (len >= sizeof(buf) || copy_from_user(buf, ubuf, len))
		return -EINVAL;
	buf[len] = '\0';
	s = strim(buf);
	while ((tok = strsep(&s, " ,")) && nr < ARRAY_SIZE(sizes)) {
		if (!*tok)
			continue;
		if (kstrtoul(tok, 0, &sizes[nr]))
			return -EINVAL;
		nr++;
	}
	mutex_lock(&potad_peers_lock);
	ret = potad_peers_run(sizes, nr);
	mutex_unlock(&potad_peers_lock);
	return ret ? ret : len;
}

static int bench_peers_show(struct seq_file *m, void *v)
{
	mutex_lock(&potad_peers_lock);
	if (potad_peers_out)
		seq_puts(m, potad_peers_out);
	mutex_unlock(&potad_peers_lock);
	return 0;
}

static int bench_peers_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_peers_show, NULL);
}

static const struct file_operations bench_peers_fops = {
	.owner = THIS_MODULE,
	.open = bench_peers_open,
	.read = seq_read,
	.write = bench_peers_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Create "bench_peers" in POTAD's debugfs directory. */
void potad_bench_peers_debugfs(struct dentry *dir)
{
	debugfs_create_file("bench_peers", 0600, dir, NULL,
			    &bench_peers_fops);
}
