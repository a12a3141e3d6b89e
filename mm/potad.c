// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD: Power Of Two Allocator with Descriptor.
 *
 * A generalisation of the buddy allocator: naturally aligned blocks of
 * 2^order units, from a single unit up to the largest block the space
 * holds (no MAX_PAGE_ORDER), over physical memory (a unit is 512 bytes or
 * more) or over an abstract space of numbers (swap slots).  Every
 * allocation carries a descriptor whose size and type the caller chooses.
 *
 * Data structure
 * --------------
 * Free space is a set of free blocks in canonical buddy form: a block of
 * order k starting at unit offset i (relative to the instance's base, which
 * is aligned to the largest order, so relative and absolute alignment
 * agree) is recorded by setting bit i >> k in the order-k map.  The
 * allocator never reads or writes the managed space itself, so the space
 * may be swap slots or device memory.
 *
 * Each order-k map is a hierarchical bitmap: level 0 has one bit per
 * possible order-k block, and every level above has one bit per word of
 * the level below, set when that word is non-zero, up to a single word.
 * With 64-bit words a space of N units needs ceil(log64(N / 2^k)) levels
 * for order k: 5 levels for 1 TB of 4 KB units.
 *
 * - Allocation takes the smallest order >= the request that has a free
 *   block (nr_free[] is consulted first), then the lowest-addressed block
 *   of that order (descend the hierarchy from the top word, one word per
 *   level), and splits it keeping the lowest part, so the upper halves go
 *   back as free blocks.  Best fit by order, then lowest address: the same
 *   fragmentation behaviour as the buddy allocator's, made deterministic.
 * - Freeing merges with the buddy while the buddy is a free block of the
 *   same order (one bit test per order), then sets one bit.
 * - Exact-address allocation and retiring a unit find the free block that
 *   covers a unit (one bit test per order), take it out and give back the
 *   halves around the wanted part.
 *
 * Cost per operation, in cachelines: a set or clear touches one word per
 * level only while that word changes between zero and non-zero, so
 * usually one line; finding the first free block reads one word per
 * level.  An order-0 allocation from a split order-k block therefore
 * touches about L + k lines, and a free about 1 + (orders merged) lines,
 * where L <= ceil(log64(span)); nothing grows faster than the logarithm
 * of the space.  Measured with cachegrind on 64 GB of 4 KB units (16M
 * units, 256K random blocks live, 1 MB last-level cache): an order-0
 * allocation touches 0.88 data cachelines; a free of a random block,
 * which merges with about six free buddies there, 8.3; a steady mix of
 * frees and order-0 allocations 3.4 per operation ("make bench" in the
 * POTAD repository runs tools/testing/potad's "make cachegrind").
 *
 * Metadata: the order-k map has span / 2^k bits, so all orders together
 * need 2 bits per unit, plus 1/63 of that for the upper levels.  Measured
 * by the userspace harness ("make harness"): 66,580 bytes per GB for a
 * 1.5 TB space of 4 KB units (0.0062% of the space), 70,472 bytes for
 * 1 GB of 4 KB units (0.0066%) and 537,080 bytes for 1 GB of 512 B units
 * (0.050%).  Ranges and retired units cost one small node each.
 *
 * Descriptors are allocated from the type's slab cache with the caller's
 * gfp before the lock is taken, or provided by the caller.  A descriptor
 * whose block has been freed is dead: freeing a caller-provided one again,
 * or allocating into it before its release, is always detected; a slab
 * descriptor's memory is gone with its block, so a second free is a
 * use-after-free for KASAN or slub_debug to report.
 *
 * Ownership: a unit belongs to a block while the block's index entry maps
 * it (mm/potad_lookup.c): always for memory spaces, and from the first
 * partial free on for abstract ones, whose other blocks are whole.  A
 * partial free is checked against that, so freeing units twice, or units
 * that another block holds since, is refused.  A reference on a block
 * (potad_desc_tryget(), potad_lookup_get(), potad_retire()'s @holder)
 * defers the return of every unit the owner frees meanwhile: they leave
 * the index at once but stay allocated, in @deferred, until the
 * references are gone.
 *
 * Locking: one spinlock_t per instance, taken with interrupts disabled.
 * Operations that do not allocate with a sleeping gfp may be called from
 * any context where a spinlock_t may be taken: on PREEMPT_RT, where it is
 * a sleeping lock, not from hard interrupt context nor with preemption or
 * interrupts disabled by other means.  It is not a raw_spinlock_t because
 * the index allocates maple-tree nodes (GFP_NOWAIT) under it, which
 * PREEMPT_RT does not allow under a raw spinlock.  Nothing sleeps under
 * the lock.
 *
 * Coding conventions in this file: "off" is a unit offset relative to
 * pa->base, "unit" or "start" an absolute unit number; functions named
 * __potad_*() and helpers on maps expect pa->lock to be held.
 */

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/potad.h>
#include <linux/printk.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait_bit.h>

#include "potad_internal.h"

#define NOT_FOUND	ULONG_MAX

/* Levels needed for 2^63 bits with 64-bit words, or 2^31 with 32-bit. */
#define POTAD_MAP_LEVELS	11

/**
 * struct potad_map - Hierarchical bitmap of the free blocks of one order.
 * @nr_levels: Number of levels; level @nr_levels - 1 is a single word.
 * @nbits: Bits in each level.
 * @level: The words of each level; level 0 has a bit per block.
 */
struct potad_map {
	unsigned int nr_levels;
	unsigned long nbits[POTAD_MAP_LEVELS];
	unsigned long *level[POTAD_MAP_LEVELS];
};

/* A range of units added to the instance: [start, end) as offsets. */
struct potad_range {
	struct rb_node node;
	unsigned long start;
	unsigned long end;
};

/* A node of a tree of units keyed by offset (retired, deferred). */
struct potad_node {
	struct rb_node node;
	unsigned long off;
};

/* A retired unit; @allocated while it is inside an allocated block. */
struct potad_retired {
	struct potad_node n;
	bool allocated;
};

/* Units [n.off, end) that @desc's owner freed while it was referenced. */
struct potad_deferred {
	struct potad_node n;
	unsigned long end;
	struct potad_desc *desc;
};

/* Protects the lists of instances and types (see potad_internal.h). */
DEFINE_MUTEX(potad_list_lock);
LIST_HEAD(potad_instances);
LIST_HEAD(potad_types);

/* Hierarchical bitmaps */

static inline bool map_test(const struct potad_map *m, unsigned long i)
{
	return m->level[0][i / BITS_PER_LONG] & BIT(i % BITS_PER_LONG);
}

static void map_set(struct potad_map *m, unsigned long i)
{
	unsigned int l;

	for (l = 0; l < m->nr_levels; l++) {
		unsigned long *w = &m->level[l][i / BITS_PER_LONG];
		unsigned long old = *w;

		*w = old | BIT(i % BITS_PER_LONG);
		if (old)
			break;
		i /= BITS_PER_LONG;
	}
}

static void map_clear(struct potad_map *m, unsigned long i)
{
	unsigned int l;

	for (l = 0; l < m->nr_levels; l++) {
		unsigned long *w = &m->level[l][i / BITS_PER_LONG];

		*w &= ~BIT(i % BITS_PER_LONG);
		if (*w)
			break;
		i /= BITS_PER_LONG;
	}
}

/* Descend from word @i of level @l to the first set bit of level 0. */
static unsigned long map_descend(const struct potad_map *m, unsigned int l,
				 unsigned long i)
{
	for (;;) {
		i = i * BITS_PER_LONG + __ffs(m->level[l][i]);
		if (!l)
			return i;
		l--;
	}
}

static unsigned long map_find_first(const struct potad_map *m)
{
	unsigned int top = m->nr_levels - 1;

	if (!m->level[top][0])
		return NOT_FOUND;
	if (!top)
		return __ffs(m->level[0][0]);
	return map_descend(m, top - 1, __ffs(m->level[top][0]));
}

/* First set bit >= @i, or NOT_FOUND. */
static unsigned long map_find_next(const struct potad_map *m, unsigned long i)
{
	unsigned int l = 0;

	for (;;) {
		unsigned long word;

		if (i >= m->nbits[l])
			return NOT_FOUND;
		word = m->level[l][i / BITS_PER_LONG] &
		       (~0UL << (i % BITS_PER_LONG));
		if (word) {
			i = round_down(i, BITS_PER_LONG) + __ffs(word);
			return l ? map_descend(m, l - 1, i) : i;
		}
		if (l == m->nr_levels - 1)
			return NOT_FOUND;
		i = i / BITS_PER_LONG + 1;
		l++;
	}
}

/* Words needed by a map of @nbits bits; fills in @m if not NULL. */
static size_t map_layout(struct potad_map *m, unsigned long nbits,
			 unsigned long *words)
{
	size_t total = 0;
	unsigned int l = 0;

	for (;;) {
		/* Not DIV_ROUND_UP(): nbits may be close to ULONG_MAX. */
		unsigned long n = nbits / BITS_PER_LONG +
				  !!(nbits % BITS_PER_LONG);

		if (m) {
			m->nbits[l] = nbits;
			m->level[l] = words + total;
		}
		total += n;
		l++;
		if (n == 1)
			break;
		nbits = n;
	}
	if (m)
		m->nr_levels = l;
	return total;
}

/* Free blocks */

static inline unsigned long map_nbits(struct potad *pa, unsigned int order)
{
	return pa->maps[order].nbits[0];
}

static void __potad_set_free(struct potad *pa, unsigned long off,
			     unsigned int order)
{
	map_set(&pa->maps[order], off >> order);
	pa->stats.nr_free[order]++;
}

static void __potad_clear_free(struct potad *pa, unsigned long off,
			       unsigned int order)
{
	map_clear(&pa->maps[order], off >> order);
	pa->stats.nr_free[order]--;
}

static bool __potad_is_free(struct potad *pa, unsigned long off,
			    unsigned int order)
{
	unsigned long i = off >> order;

	return pa->stats.nr_free[order] && i < map_nbits(pa, order) &&
	       map_test(&pa->maps[order], i);
}

/* Give back a block, merging it with its free buddies. */
static void __potad_free_block(struct potad *pa, unsigned long off,
			       unsigned int order)
{
	while (order < pa->max_order) {
		unsigned long buddy = off ^ BIT(order);

		if (!__potad_is_free(pa, buddy, order))
			break;
		__potad_clear_free(pa, buddy, order);
		off &= ~BIT(order);
		order++;
	}
	__potad_set_free(pa, off, order);
}

/* Largest naturally aligned order that starts at @off and fits in @nr. */
static unsigned int potad_piece_order(struct potad *pa, unsigned long off,
				      unsigned long nr)
{
	unsigned int order = min_t(unsigned int, pa->max_order, ilog2(nr));

	if (off)
		order = min_t(unsigned int, order, __ffs(off));
	return order;
}

/* Give back every unit of [off, end). */
static void __potad_free_span(struct potad *pa, unsigned long off,
			      unsigned long end)
{
	while (off < end) {
		unsigned int order = potad_piece_order(pa, off, end - off);

		__potad_free_block(pa, off, order);
		off += BIT(order);
	}
}

/* The free block of order >= @min_order covering @off, or NOT_FOUND. */
static unsigned long __potad_find_cover(struct potad *pa, unsigned long off,
					unsigned int min_order,
					unsigned int *order)
{
	unsigned int k;

	for (k = min_order; k <= pa->max_order; k++) {
		if (__potad_is_free(pa, off, k)) {
			*order = k;
			return round_down(off, BIT(k));
		}
	}
	return NOT_FOUND;
}

/*
 * Take the free block (@boff, @border) out and give back all of it but
 * [@off, @off + 2^@order), which must lie inside it.
 */
static void __potad_take(struct potad *pa, unsigned long boff,
			 unsigned int border, unsigned long off,
			 unsigned int order)
{
	__potad_clear_free(pa, boff, border);
	while (border > order) {
		unsigned long half;

		border--;
		half = BIT(border);
		if (off & half) {
			__potad_set_free(pa, boff, border);
			boff += half;
		} else {
			__potad_set_free(pa, boff + half, border);
		}
	}
}

/* Take a block of @order from the smallest free block of at most @top. */
static unsigned long __potad_take_any(struct potad *pa, unsigned int order,
				      unsigned int top)
{
	unsigned int k;

	for (k = order; k <= min(top, pa->max_order); k++) {
		unsigned long off;

		if (!pa->stats.nr_free[k])
			continue;
		off = map_find_first(&pa->maps[k]) << k;
		__potad_take(pa, off, k, off, order);
		return off;
	}
	return NOT_FOUND;
}

/*
 * As __potad_take_any(), among the free blocks that lie inside [@lo, @hi)
 * only: one map_find_next() per order.  With @whole the block found is
 * taken whole, not split; *@got is the order taken, when one is found.
 */
static unsigned long __potad_take_in(struct potad *pa, unsigned int order,
				     unsigned int top, unsigned long lo,
				     unsigned long hi, bool whole,
				     unsigned int *got)
{
	unsigned int k;

	for (k = order; k <= min(top, pa->max_order); k++) {
		unsigned long i;

		if (!pa->stats.nr_free[k])
			continue;
		i = map_find_next(&pa->maps[k], DIV_ROUND_UP(lo, BIT(k)));
		if (i == NOT_FOUND || (i << k) + BIT(k) > hi)
			continue;
		*got = whole ? k : order;
		__potad_take(pa, i << k, k, i << k, *got);
		return i << k;
	}
	return NOT_FOUND;
}

/* Does any free block of an order below @below overlap [off, end)? */
static bool __potad_any_free(struct potad *pa, unsigned long off,
			     unsigned long end, unsigned int below)
{
	unsigned int k;

	for (k = 0; k < below; k++) {
		if (pa->stats.nr_free[k] &&
		    map_find_next(&pa->maps[k], off >> k) <= (end - 1) >> k)
			return true;
	}
	return false;
}

/* Is every unit of [off, end) free? */
static bool __potad_all_free(struct potad *pa, unsigned long off,
			     unsigned long end)
{
	unsigned int k;

	while (off < end) {
		unsigned int order = potad_piece_order(pa, off, end - off);

		if (__potad_find_cover(pa, off, order, &k) == NOT_FOUND)
			return false;
		off += BIT(order);
	}
	return true;
}

/* Take every unit of [off, end) out of free space; all must be free. */
static void __potad_take_span(struct potad *pa, unsigned long off,
			      unsigned long end)
{
	while (off < end) {
		unsigned int order = potad_piece_order(pa, off, end - off);
		unsigned int k;
		unsigned long boff = __potad_find_cover(pa, off, order, &k);

		__potad_take(pa, boff, k, off, order);
		off += BIT(order);
	}
}

/* Ranges and retired units */

/* The first range ending after @off, or NULL. */
static struct potad_range *__potad_range_after(struct potad *pa,
					       unsigned long off)
{
	struct rb_node *n = pa->ranges.rb_node;
	struct potad_range *found = NULL;

	while (n) {
		struct potad_range *r = rb_entry(n, struct potad_range, node);

		if (r->end > off) {
			found = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

/* The range that holds all of [off, end), or NULL. */
static struct potad_range *__potad_range_holding(struct potad *pa,
						 unsigned long off,
						 unsigned long end)
{
	struct potad_range *r = __potad_range_after(pa, off);

	return r && r->start <= off && end <= r->end ? r : NULL;
}

static bool potad_range_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct potad_range, node)->start <
	       rb_entry(b, struct potad_range, node)->start;
}

static void __potad_range_insert(struct potad *pa, struct potad_range *new)
{
	rb_add(&new->node, &pa->ranges, potad_range_less);
}

/* The first node of @root at @off or after, or NULL. */
static struct potad_node *potad_node_from(struct rb_root *root,
					  unsigned long off)
{
	struct rb_node *n = root->rb_node;
	struct potad_node *found = NULL;

	while (n) {
		struct potad_node *p = rb_entry(n, struct potad_node, node);

		if (p->off >= off) {
			found = p;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

static bool potad_node_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct potad_node, node)->off <
	       rb_entry(b, struct potad_node, node)->off;
}

static struct potad_node *potad_node_next(struct potad_node *p)
{
	return rb_entry_safe(rb_next(&p->node), struct potad_node, node);
}

/* The last node of @root at @off or before, or NULL. */
static struct potad_node *potad_node_upto(struct rb_root *root,
					  unsigned long off)
{
	struct rb_node *n = root->rb_node;
	struct potad_node *found = NULL;

	while (n) {
		struct potad_node *p = rb_entry(n, struct potad_node, node);

		if (p->off <= off) {
			found = p;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return found;
}

/* The first retired unit >= @off, or NULL. */
static struct potad_retired *__potad_retired_from(struct potad *pa,
						  unsigned long off)
{
	struct potad_node *p = potad_node_from(&pa->retired, off);

	return p ? container_of(p, struct potad_retired, n) : NULL;
}

static struct potad_retired *potad_retired_next(struct potad_retired *r)
{
	struct potad_node *p = potad_node_next(&r->n);

	return p ? container_of(p, struct potad_retired, n) : NULL;
}

static void __potad_retired_insert(struct potad *pa, struct potad_retired *new)
{
	rb_add(&new->n.node, &pa->retired, potad_node_less);
}

/*
 * Give back the allocated units [off, end), skipping retired units, which
 * stay out for good.  Returns the number of retired units skipped.
 */
static unsigned long __potad_free_units(struct potad *pa, unsigned long off,
					unsigned long end)
{
	struct potad_retired *r = __potad_retired_from(pa, off);
	unsigned long skipped = 0;

	for (; r && r->n.off < end; r = potad_retired_next(r)) {
		__potad_free_span(pa, off, r->n.off);
		r->allocated = false;
		skipped++;
		off = r->n.off + 1;
	}
	__potad_free_span(pa, off, end);
	return skipped;
}

/* Give back [off, end) of an allocated block, with the counters. */
static void __potad_give_back(struct potad *pa, unsigned long off,
			      unsigned long end)
{
	unsigned long skipped = __potad_free_units(pa, off, end);

	pa->stats.units_allocated -= end - off;
	pa->stats.units_free += end - off - skipped;
	pa->stats.units_retired += skipped;
}

/*
 * The block holding @unit (at offset @off), with a reference taken, or
 * NULL: a live one, including the part of one its owner freed with
 * potad_free_range() while references keep it (in @pa->deferred).  A
 * block freed whole while referenced is in neither: NULL.  Under the
 * lock, which the last reference's put takes to give the units back.
 */
static struct potad_desc *__potad_holder_get(struct potad *pa,
					     unsigned long unit,
					     unsigned long off)
{
	struct potad_desc *desc = __potad_index_get(pa, unit);
	struct potad_deferred *d;
	struct potad_node *p;

	lockdep_assert_held(&pa->lock);
	if (desc)
		return desc;
	p = potad_node_upto(&pa->deferred, off);
	if (!p)
		return NULL;
	d = container_of(p, struct potad_deferred, n);
	if (off >= d->end || !refcount_inc_not_zero(&d->desc->refs))
		return NULL;
	return d->desc;
}

/* Give back the units of @desc's block that wait in @pa->deferred. */
static void __potad_flush_deferred(struct potad *pa, struct potad_desc *desc)
{
	unsigned long lo = desc->start - pa->base;
	unsigned long hi = lo + potad_desc_units(desc);
	struct potad_node *p, *next;

	if (!(desc->flags & POTAD_DESC_DEFERRED))
		return;
	/* Other blocks' deferred units may lie in the range: units @desc freed. */
	for (p = potad_node_from(&pa->deferred, lo); p && p->off < hi; p = next) {
		struct potad_deferred *d = container_of(p, struct potad_deferred,
							n);

		next = potad_node_next(p);
		if (d->desc != desc)
			continue;
		__potad_give_back(pa, d->n.off, d->end);
		pa->stats.units_deferred -= d->end - d->n.off;
		rb_erase(&p->node, &pa->deferred);
		kfree(d);
	}
	WRITE_ONCE(desc->flags, desc->flags & ~POTAD_DESC_DEFERRED);
}

/*
 * Per-cpu caches
 * --------------
 * An instance may keep, per CPU, a few free blocks of each order up to
 * pa->pcp_order (potad_pcp_init()), as the buddy allocator's per-cpu
 * lists do: an allocation pops one and a free pushes one under the CPU's
 * pcp->lock, without the instance lock and without splitting or
 * merging.  The instance lock is taken only to refill a cache with
 * POTAD_PCP_BATCH blocks, or to drain that many when it is full.
 *
 * A cached block has no descriptor: a free releases its descriptor (after
 * a grace period, as always) and an allocation gets a new one, so a
 * descriptor is never handed from one owner to the next, and draining a
 * cache touches no descriptor and no type.  To the instance a cached
 * block is allocated (out of the maps, counted in units_allocated); its
 * counters subtract the cached units from units_allocated and add them to
 * units_free, so that a cache changes no total anyone reads.
 *
 * Only a block nobody else can reach goes in: whole (never freed in
 * part), in a chunk's array of the index, with the owner's reference
 * the only one, taken to zero with refcount_dec_if_one() so that no
 * potad_desc_tryget() can slip in, and without a retired unit.  Whatever
 * needs the exact state of units (potad_retire(), withdrawing a range,
 * potad_destroy()) first turns the caches off (pa->pcp_off) and drains
 * them; a cache's lock taken after that sees them off.  A unit retired
 * inside an allocated block marks the descriptor POTAD_DESC_RETIRED
 * while the caches are off, which a later free reads after it has seen
 * them on again (acquire and release on pa->pcp_off).
 *
 * Lock order: pcp->lock, then pa->lock.  Both are spinlock_t taken with
 * interrupts disabled.  A pcp->lock of another CPU is taken only to
 * drain it; the cache used is the one of the CPU the caller is running
 * on when it looks, which is a matter of speed, not of correctness.
 */

#define POTAD_PCP_ORDERS	4	/* orders 0..3, as PAGE_ALLOC_COSTLY_ORDER */
#define POTAD_PCP_HIGH		32	/* blocks of each order per CPU */
#define POTAD_PCP_BATCH		8	/* blocks per refill or drain */

/**
 * struct potad_pcp - One CPU's cache of free blocks of an instance.
 * @lock: Protects the fields below.
 * @count: Blocks cached of each order.
 * @block: Their offsets; the last one is handed out first.
 * @units: Units cached.
 * @nr_allocs: Allocations served from the cache.
 * @nr_frees: Frees that went to it.
 */
struct potad_pcp {
	spinlock_t lock;	/* protects the fields below */
	unsigned int count[POTAD_PCP_ORDERS];
	unsigned long block[POTAD_PCP_ORDERS][POTAD_PCP_HIGH];
	unsigned long units;
	unsigned long nr_allocs;
	unsigned long nr_frees;
};

static void potad_release_desc(struct potad *pa, struct potad_desc *desc);

/* Fill in @desc for its new block at @off: live, the owner's reference. */
static void potad_desc_fill(struct potad *pa, struct potad_desc *desc,
			    const struct potad_type *type, unsigned long off,
			    unsigned int order, void *owner, u8 flags)
{
	desc->type = type;
	desc->potad = pa;
	desc->start = pa->base + off;
	desc->order = order;
	desc->nr_live = BIT(order);
	desc->owner = owner;
	desc->flags = flags;
	refcount_set(&desc->refs, 1);
	desc->state = POTAD_DESC_LIVE;
}

/*
 * Move up to POTAD_PCP_BATCH blocks of @order from the free space of @pa
 * into @pcp, from free blocks of order at most @top, lowest address on
 * top.  Only blocks whose chunk has an index array are taken: a block
 * taken from the cache is indexed without the instance lock.  Called
 * with pcp->lock held; takes pa->lock.  Returns the number taken.
 */
static unsigned int potad_pcp_refill(struct potad *pa, struct potad_pcp *pcp,
				     unsigned int order, unsigned int top)
{
	unsigned long got[POTAD_PCP_BATCH], off;
	unsigned int n = 0, room, i;

	room = min_t(unsigned int, POTAD_PCP_BATCH,
		     POTAD_PCP_HIGH - pcp->count[order]);
	spin_lock(&pa->lock);
	while (n < room) {
		off = __potad_take_any(pa, order, top);
		if (off == NOT_FOUND)
			break;
		if (!__potad_chunk_present(pa, pa->base + off)) {
			__potad_free_span(pa, off, off + BIT(order));
			break;
		}
		got[n++] = off;
	}
	pa->stats.units_free -= (unsigned long)n << order;
	pa->stats.units_allocated += (unsigned long)n << order;
	spin_unlock(&pa->lock);
	pcp->units += (unsigned long)n << order;
	/* Highest first, so that the lowest is handed out first. */
	for (i = n; i > 0; i--)
		pcp->block[order][pcp->count[order]++] = got[i - 1];
	return n;
}

/*
 * Give back the @n oldest cached blocks of @order of @pcp to the free
 * space, noting their offsets in @out.  Called with pcp->lock held;
 * takes pa->lock.
 */
static void potad_pcp_give(struct potad *pa, struct potad_pcp *pcp,
			   unsigned int order, unsigned int n,
			   unsigned long *out)
{
	unsigned int i;

	spin_lock(&pa->lock);
	for (i = 0; i < n; i++) {
		out[i] = pcp->block[order][i];
		__potad_give_back(pa, out[i], out[i] + BIT(order));
	}
	spin_unlock(&pa->lock);
	pcp->count[order] -= n;
	memmove(pcp->block[order], pcp->block[order] + n,
		pcp->count[order] * sizeof(pcp->block[order][0]));
	pcp->units -= (unsigned long)n << order;
}

/* Tell the instance's owner about blocks a drain gave back, unlocked. */
static void potad_pcp_notify(struct potad *pa, const unsigned long *offs,
			     unsigned int n, unsigned int order)
{
	unsigned int i;

	if (!pa->pcp_drained)
		return;
	for (i = 0; i < n; i++)
		pa->pcp_drained(pa, pa->base + offs[i], order);
}

/*
 * Allocate a block of @order for @desc from this CPU's cache.  -EAGAIN
 * if the cache cannot serve it (off, empty and not refillable, or not a
 * cached order): the caller takes the locked path.
 */
static int potad_pcp_alloc(struct potad *pa, struct potad_desc *desc,
			   const struct potad_type *type, unsigned int order,
			   unsigned int top, void *owner)
{
	struct potad_pcp *pcp;
	unsigned long flags, off;

	if (!pa->pcp || order > pa->pcp_order)
		return -EAGAIN;
	pcp = raw_cpu_ptr(pa->pcp);
	spin_lock_irqsave(&pcp->lock, flags);
	if (atomic_read_acquire(&pa->pcp_off) ||
	    (!pcp->count[order] && !potad_pcp_refill(pa, pcp, order, top))) {
		spin_unlock_irqrestore(&pcp->lock, flags);
		return -EAGAIN;
	}
	off = pcp->block[order][--pcp->count[order]];
	pcp->units -= BIT(order);
	pcp->nr_allocs++;
	/*
	 * Indexed before the lock goes: a potad_retire() that drained the
	 * caches must find the block in the cache or in the index, never
	 * between the two.
	 */
	potad_desc_fill(pa, desc, type, off, order, owner,
			POTAD_DESC_INDEXED);
	potad_index_set_owned(pa, desc);
	spin_unlock_irqrestore(&pcp->lock, flags);
	return 0;
}

/*
 * Free @desc's block into this CPU's cache if it can go there (see
 * above).  False, with nothing changed, for the locked path.
 */
static bool potad_pcp_free(struct potad *pa, struct potad_desc *desc)
{
	unsigned int order = desc->order, n = 0;
	unsigned long out[POTAD_PCP_BATCH], flags;
	struct potad_pcp *pcp;
	bool cached = false;

	if (!pa->pcp || order > pa->pcp_order || desc->potad != pa ||
	    READ_ONCE(desc->state) != POTAD_DESC_LIVE ||
	    READ_ONCE(desc->flags) != (POTAD_DESC_INDEXED | POTAD_DESC_CHUNKED) ||
	    desc->nr_live != BIT(order))
		return false;
	pcp = raw_cpu_ptr(pa->pcp);
	spin_lock_irqsave(&pcp->lock, flags);
	if (atomic_read_acquire(&pa->pcp_off))
		goto unlock;
	/* Seen after the caches were on again: a retire's mark. */
	if (READ_ONCE(desc->flags) & POTAD_DESC_RETIRED)
		goto unlock;
	if (!refcount_dec_if_one(&desc->refs))
		goto unlock;
	if (pcp->count[order] == POTAD_PCP_HIGH) {
		n = POTAD_PCP_BATCH;
		potad_pcp_give(pa, pcp, order, n, out);
	}
	WRITE_ONCE(desc->state, POTAD_DESC_DEAD);
	potad_index_clear_owned(pa, desc);
	pcp->block[order][pcp->count[order]++] = desc->start - pa->base;
	pcp->units += BIT(order);
	pcp->nr_frees++;
	cached = true;
unlock:
	spin_unlock_irqrestore(&pcp->lock, flags);
	potad_pcp_notify(pa, out, n, order);
	if (cached)
		potad_release_desc(pa, desc);
	return cached;
}

/* Drain every order of @pcp; called with its lock held. */
static void potad_pcp_drain_one(struct potad *pa, struct potad_pcp *pcp,
				unsigned long flags)
{
	unsigned long out[POTAD_PCP_BATCH];
	unsigned int order, n;

	for (order = 0; order <= pa->pcp_order; order++) {
		while (pcp->count[order]) {
			n = min_t(unsigned int, POTAD_PCP_BATCH,
				  pcp->count[order]);
			potad_pcp_give(pa, pcp, order, n, out);
			spin_unlock_irqrestore(&pcp->lock, flags);
			potad_pcp_notify(pa, out, n, order);
			spin_lock_irqsave(&pcp->lock, flags);
		}
	}
}

/**
 * potad_pcp_drain_cpu() - Give back one CPU's cached blocks.
 * @pa: The instance.
 * @cpu: The CPU, online or not (its caches go when it goes offline).
 *
 * Context: Any context where a spinlock_t may be taken.
 */
void potad_pcp_drain_cpu(struct potad *pa, int cpu)
{
	struct potad_pcp *pcp;
	unsigned long flags;

	if (!pa->pcp)
		return;
	pcp = per_cpu_ptr(pa->pcp, cpu);
	spin_lock_irqsave(&pcp->lock, flags);
	potad_pcp_drain_one(pa, pcp, flags);
	spin_unlock_irqrestore(&pcp->lock, flags);
}
EXPORT_SYMBOL_GPL(potad_pcp_drain_cpu);

/*
 * Units in every CPU's cache of @pa, read without their locks: a hint for
 * mm/potad_zone.c's decision to drain before it fails an allocation.
 */
unsigned long potad_pcp_units(struct potad *pa)
{
	unsigned long units = 0;
	int cpu;

	if (!pa->pcp)
		return 0;
	for_each_possible_cpu(cpu)
		/* A racy read: the drain it leads to takes the locks. */
		units += data_race(per_cpu_ptr(pa->pcp, cpu)->units);
	return units;
}

/**
 * potad_pcp_drain() - Give back every CPU's cached blocks.
 * @pa: The instance.
 *
 * For memory pressure (the zone instances' shrinker): afterwards the
 * blocks cached when it was called are free blocks of the instance
 * again, merged with their buddies.  Frees on other CPUs may cache
 * blocks again at once.
 *
 * Context: Any context where a spinlock_t may be taken; takes every
 * CPU's cache lock and the instance lock with interrupts disabled.
 */
void potad_pcp_drain(struct potad *pa)
{
	int cpu;

	if (!pa->pcp)
		return;
	for_each_possible_cpu(cpu)
		potad_pcp_drain_cpu(pa, cpu);
}
EXPORT_SYMBOL_GPL(potad_pcp_drain);

/* Bypass the caches until potad_pcp_on(), and empty them. */
static void potad_pcp_off(struct potad *pa)
{
	if (!pa->pcp)
		return;
	atomic_inc(&pa->pcp_off);
	/* Each cache lock taken after this sees the caches off. */
	potad_pcp_drain(pa);
}

static void potad_pcp_on(struct potad *pa)
{
	if (pa->pcp)
		atomic_dec_return_release(&pa->pcp_off);
}

/**
 * potad_pcp_peek() - Has this CPU's cache a block of an order?
 * @pa: The instance.
 * @order: The order.
 *
 * A hint for callers choosing an instance, as a peek at nr_free is.
 *
 * Context: Any context.
 * Return: True if the cache held a block of @order when it looked.
 */
bool potad_pcp_peek(struct potad *pa, unsigned int order)
{
	if (!pa->pcp || order > pa->pcp_order)
		return false;
	/* A hint: the cache's lock decides. */
	return data_race(raw_cpu_ptr(pa->pcp)->count[order]);
}
EXPORT_SYMBOL_GPL(potad_pcp_peek);

/**
 * potad_pcp_init() - Give an instance per-cpu caches of small free blocks.
 * @pa: A memory-space instance, with no block allocated yet.
 * @max_order: Largest order to cache, below 4 and below
 *	%POTAD_CHUNK_SHIFT.
 *
 * Allocations of up to @max_order then take a block from the CPU's cache
 * and frees put it there, without the instance lock, as described at
 * "Per-cpu caches" in this file; the caches are drained by
 * potad_pcp_drain() and potad_pcp_drain_cpu(), and before anything that
 * needs every unit's exact state.  Cached units count as free in
 * potad_get_stats().
 *
 * Context: Process context, may sleep.
 * Return: 0; -EINVAL for an abstract space, a @max_order too large, or an
 * instance that has caches already (caller bugs, warned about once);
 * -ENOMEM.
 */
int potad_pcp_init(struct potad *pa, unsigned int max_order)
{
	struct potad_pcp __percpu *pcp;
	int cpu;

	might_sleep();
	if (WARN_ONCE(!(pa->flags & POTAD_MEMORY) || pa->pcp ||
		      max_order >= POTAD_PCP_ORDERS ||
		      max_order >= POTAD_CHUNK_SHIFT,
		      "potad: %s: bad per-cpu caches\n", pa->name))
		return -EINVAL;
	pcp = alloc_percpu(struct potad_pcp);
	if (!pcp)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(pcp, cpu)->lock);
	pa->pcp_order = min(max_order, pa->max_order);
	/* Set up before the paths that test pa->pcp can see it. */
	smp_store_release(&pa->pcp, pcp);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_pcp_init);

/* Instances */

/**
 * potad_init() - Set up an instance.
 * @pa: The instance.
 * @name: Name for messages and debugfs; must outlive the instance.
 * @flags: %POTAD_MEMORY or %POTAD_ABSTRACT; %POTAD_ABSTRACT | %POTAD_INDEX
 *	for an abstract space whose blocks are found by unit
 *	(potad_unit_desc()); %POTAD_MEMORY | %POTAD_ZONE for the zone
 *	instances of mm/potad_zone.c only.
 * @unit_shift: For memory spaces, log2 of the unit size in bytes, at least
 *	%POTAD_MIN_UNIT_SHIFT.  Ignored for abstract spaces.
 * @base: Absolute number of the first unit (a physical address shifted
 *	right by @unit_shift for memory spaces).
 * @span: Number of units; [@base, @base + @span) is the space, at most
 *	%POTAD_MAX_SPAN units.  Its last unit must be below %POTAD_ANY, and
 *	for memory spaces its last byte must fit in phys_addr_t.
 * @max_order: Largest order to hand out; capped at ilog2(@span) and, for
 *	memory spaces, at 63 - @unit_shift.  @base must be aligned to
 *	2^(the capped value) units.
 *
 * The space starts empty: free space is added with potad_add_range().
 * Metadata is about 2 bits per unit of @span, allocated here.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL on bad arguments (a caller bug, warned about once),
 * or -ENOMEM.
 */
int potad_init(struct potad *pa, const char *name, unsigned int flags,
	       unsigned int unit_shift, unsigned long base, unsigned long span,
	       unsigned int max_order)
{
	unsigned long *words;
	size_t total = 0;
	unsigned int k;

	might_sleep();
	/*
	 * The last unit must be below POTAD_ANY, and a memory space's last
	 * byte must have a physical address.
	 */
	if (WARN_ONCE(!span || span > POTAD_MAX_SPAN ||
		      (flags != POTAD_MEMORY && flags != POTAD_ABSTRACT &&
		       flags != (POTAD_ABSTRACT | POTAD_INDEX) &&
		       flags != (POTAD_MEMORY | POTAD_ZONE)) ||
		      span > POTAD_ANY - base ||
		      ((flags & POTAD_MEMORY) &&
		       (unit_shift < POTAD_MIN_UNIT_SHIFT ||
			unit_shift >= BITS_PER_LONG ||
			base + span - 1 > PHYS_ADDR_MAX >> unit_shift ||
			/* Granules of the directory (potad_lookup.c). */
			base + span - 1 > ULONG_MAX >>
				(unit_shift - POTAD_MIN_UNIT_SHIFT))),
		      "potad: bad instance %s\n", name))
		return -EINVAL;
	max_order = min_t(unsigned int, max_order, ilog2(span));
	/* A block's size in bytes must fit in a u64 (potad_desc_bytes()). */
	if (flags & POTAD_MEMORY)
		max_order = min(max_order, 63 - unit_shift);
	if (WARN_ONCE(!IS_ALIGNED(base, BIT(max_order)),
		      "potad: %s: base %lx not aligned to order %u\n", name,
		      base, max_order))
		return -EINVAL;

	memset(pa, 0, sizeof(*pa));
	pa->maps = kcalloc(max_order + 1, sizeof(*pa->maps), GFP_KERNEL);
	if (!pa->maps)
		return -ENOMEM;
	for (k = 0; k <= max_order; k++)
		total += map_layout(NULL, span >> k, NULL);
	words = kvcalloc(total, sizeof(unsigned long),
			 GFP_KERNEL | __GFP_NOWARN);
	if (!words) {
		kfree(pa->maps);
		pa->maps = NULL;
		return -ENOMEM;
	}
	total = 0;
	for (k = 0; k <= max_order; k++)
		total += map_layout(&pa->maps[k], span >> k, words + total);

	spin_lock_init(&pa->lock);
	pa->name = name;
	pa->flags = flags;
	potad_index_init(pa);
	pa->unit_shift = flags & POTAD_MEMORY ? unit_shift : 0;
	pa->max_order = max_order;
	pa->base = base;
	pa->span = span;
	pa->ranges = RB_ROOT;
	pa->retired = RB_ROOT;
	pa->deferred = RB_ROOT;
	pa->stats.max_order = max_order;

	mutex_lock(&potad_list_lock);
	list_add_tail(&pa->list, &potad_instances);
	mutex_unlock(&potad_list_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_init);

/**
 * potad_destroy() - Tear down an instance.
 * @pa: The instance, set up by potad_init().
 *
 * Every block should have been freed; blocks still allocated are warned
 * about and their descriptors become invalid.  Waits for the references
 * still held on blocks freed with potad_free() (potad_desc_tryget()), for
 * lookups that may have found the instance and for descriptor release
 * callbacks, so @pa may be freed when this returns.
 *
 * Context: Process context, may sleep.
 */
void potad_destroy(struct potad *pa)
{
	struct potad_range *r, *rn;
	struct potad_node *t, *tn;

	might_sleep();
	/* Blocks freed while referenced go with their last reference. */
	wait_var_event(&pa->nr_pinned, !atomic_read(&pa->nr_pinned));
	potad_pcp_off(pa);
	mutex_lock(&potad_list_lock);
	list_del(&pa->list);
	potad_dir_remove(pa);
	mutex_unlock(&potad_list_lock);
	potad_index_destroy(pa);

	WARN_ONCE(pa->stats.units_allocated,
		  "potad: %s destroyed with %lu units allocated\n", pa->name,
		  pa->stats.units_allocated);
	rbtree_postorder_for_each_entry_safe(r, rn, &pa->ranges, node)
		kfree(r);
	rbtree_postorder_for_each_entry_safe(t, tn, &pa->retired, node)
		kfree(t);
	rbtree_postorder_for_each_entry_safe(t, tn, &pa->deferred, node)
		kfree(t);
	kvfree(pa->maps[0].level[0]);
	kfree(pa->maps);
	pa->maps = NULL;
	free_percpu(pa->pcp);
	pa->pcp = NULL;
}
EXPORT_SYMBOL_GPL(potad_destroy);

/* Is [start, start + nr) a non-empty part of the space?  Sets *off. */
static bool potad_in_space(struct potad *pa, unsigned long start,
			   unsigned long nr, unsigned long *off)
{
	if (!nr || start < pa->base || start - pa->base >= pa->span ||
	    nr > pa->span - (start - pa->base))
		return false;
	*off = start - pa->base;
	return true;
}

/**
 * potad_overlaps() - Does an instance hold any of a range of units?
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 *
 * For the directory (mm/potad_lookup.c): memory a zone instance holds,
 * which is not in the directory, must not be added to another instance.
 *
 * Context: Any context where a spinlock_t may be taken; takes the
 * instance lock with interrupts disabled.
 * Return: True if a range added to @pa overlaps [@start, @start + @nr).
 */
bool potad_overlaps(struct potad *pa, unsigned long start, unsigned long nr)
{
	unsigned long off, end, flags;
	struct potad_range *r;

	if (!nr || start >= pa->base + pa->span || start + nr <= pa->base)
		return false;
	off = max(start, pa->base) - pa->base;
	end = min(start + nr, pa->base + pa->span) - pa->base;
	spin_lock_irqsave(&pa->lock, flags);
	r = __potad_range_after(pa, off);
	spin_unlock_irqrestore(&pa->lock, flags);
	return r && r->start < end;
}

/* Does @pa enter its memory in the directory (mm/potad_lookup.c)? */
static inline bool potad_uses_directory(const struct potad *pa)
{
	return pa->flags == POTAD_MEMORY;
}

/*
 * Check the range of potad_add_range_gfp() or potad_withdraw_range_gfp(),
 * set *@off, and allocate the range node either may need, before the
 * lock.  Only instances outside the directory may do so without sleeping.
 */
static struct potad_range *potad_range_prepare(struct potad *pa,
					       unsigned long start,
					       unsigned long nr,
					       unsigned long *off, gfp_t gfp)
{
	struct potad_range *node;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (WARN_ONCE(!potad_in_space(pa, start, nr, off),
		      "potad: %s: bad range %lx+%lx\n", pa->name, start, nr))
		return ERR_PTR(-EINVAL);
	if (WARN_ONCE(potad_uses_directory(pa) &&
		      !gfpflags_allow_blocking(gfp),
		      "potad: %s: ranges of this instance need a sleeping gfp\n",
		      pa->name))
		return ERR_PTR(-EINVAL);
	node = kmalloc(sizeof(*node), gfp);
	return node ? node : ERR_PTR(-ENOMEM);
}

/* The directory is written under potad_list_lock, which may sleep. */
static void potad_dir_lock(struct potad *pa)
{
	if (potad_uses_directory(pa))
		mutex_lock(&potad_list_lock);
}

static void potad_dir_unlock(struct potad *pa)
{
	if (potad_uses_directory(pa))
		mutex_unlock(&potad_list_lock);
}

/**
 * potad_add_range_gfp() - Add free space.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 * @gfp: For the node recording the range, if it does not extend one.
 *
 * The range may have any alignment and length.  It is carved into
 * maximal naturally aligned power-of-two blocks, which merge with free
 * blocks of adjacent ranges.  The memory of a memory space becomes known
 * to potad_lookup(); it must not be in any other memory-space instance.
 * A memory space enters the range in the directory of mm/potad_lookup.c,
 * which needs a @gfp that may sleep; abstract spaces and zone instances
 * (%POTAD_ZONE) have no directory entries and may add ranges from any
 * context @gfp allows.
 *
 * Context: Process context, may sleep, for a %POTAD_MEMORY instance.
 * Otherwise any context where a spinlock_t may be taken, if @gfp does
 * not sleep; takes and releases the instance lock with interrupts
 * disabled.
 * Return: 0; -EINVAL if @nr is 0 or the range is not inside the space, or
 * a %POTAD_MEMORY instance was given a @gfp that cannot sleep; -EEXIST if
 * it overlaps a range already added to this or (memory spaces) any other
 * instance in the directory (caller bugs, warned about once; nothing
 * changes); -ENOMEM.
 */
int potad_add_range_gfp(struct potad *pa, unsigned long start,
			unsigned long nr, gfp_t gfp)
{
	MA_STATE(dir, &potad_directory, 0, 0);
	struct potad_range *new, *next, *prev;
	unsigned long off, end, flags;
	int ret;

	new = potad_range_prepare(pa, start, nr, &off, gfp);
	if (IS_ERR(new))
		return PTR_ERR(new);
	end = off + nr;

	potad_dir_lock(pa);
	ret = potad_dir_prepare_add(pa, &dir, start, nr);
	if (ret)
		goto out;
	spin_lock_irqsave(&pa->lock, flags);
	next = __potad_range_after(pa, off);
	if (WARN_ONCE(next && next->start < end,
		      "potad: %s: range %lx+%lx overlaps\n", pa->name, start,
		      nr)) {
		ret = -EEXIST;
		goto unlock;
	}
	prev = rb_entry_safe(next ? rb_prev(&next->node) :
			     rb_last(&pa->ranges), struct potad_range, node);
	if (prev && prev->end == off) {
		prev->end = end;
		if (next && next->start == end) {
			prev->end = next->end;
			rb_erase(&next->node, &pa->ranges);
			kfree(next);
		}
	} else if (next && next->start == end) {
		next->start = off;
	} else {
		new->start = off;
		new->end = end;
		__potad_range_insert(pa, new);
		new = NULL;
	}
	/* Lookups know the memory before anything can be allocated in it. */
	potad_dir_finish(pa, &dir, true, 0);
	__potad_free_span(pa, off, end);
	pa->stats.units_total += nr;
	pa->stats.units_free += nr;
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	if (ret)
		potad_dir_finish(pa, &dir, true, ret);
out:
	potad_dir_unlock(pa);
	kfree(new);
	return ret;
}
EXPORT_SYMBOL_GPL(potad_add_range_gfp);

/*
 * After [off, end) left the space: the chunks of the index it touched that
 * no range touches any more have no use for their arrays.  Only the
 * chunks at either end can still be touched by another range; the walk
 * visits the chunks that have an array, not every chunk of the range.
 */
static void __potad_drop_chunks(struct potad *pa, unsigned long off,
				unsigned long end)
{
	unsigned long c = (pa->base + off) >> POTAD_CHUNK_SHIFT;
	unsigned long last = (pa->base + end - 1) >> POTAD_CHUNK_SHIFT;
	unsigned long first, stop;
	struct potad_range *r;
	struct ma_state cmas;

	mas_init(&cmas, &pa->chunks, c);
	while (mas_find(&cmas, last)) {
		c = cmas.index;
		if (c << POTAD_CHUNK_SHIFT < pa->base + off ||
		    (c + 1) << POTAD_CHUNK_SHIFT > pa->base + end) {
			/* The chunk's units inside the space, as offsets. */
			first = max(c << POTAD_CHUNK_SHIFT, pa->base) - pa->base;
			stop = min((c + 1) << POTAD_CHUNK_SHIFT,
				   pa->base + pa->span) - pa->base;
			r = __potad_range_after(pa, first);
			if (r && r->start < stop)
				goto next;
		}
		__potad_index_drop_chunk(pa, c << POTAD_CHUNK_SHIFT);
next:
		if (c >= last)
			break;
		mas_set(&cmas, c + 1);
	}
}

/* potad_withdraw_range_gfp(), or potad_take_range() with @keep_retired. */
static int potad_withdraw(struct potad *pa, unsigned long start,
			  unsigned long nr, gfp_t gfp, bool keep_retired)
{
	MA_STATE(dir, &potad_directory, 0, 0);
	struct potad_retired *t, *first;
	struct potad_range *r, *split;
	unsigned long off, end, pos, flags, nr_retired = 0;
	int ret;

	split = potad_range_prepare(pa, start, nr, &off, gfp);
	if (IS_ERR(split))
		return PTR_ERR(split);
	end = off + nr;

	potad_dir_lock(pa);
	ret = potad_dir_prepare_withdraw(pa, &dir, start, nr);
	if (ret)
		goto out;
	spin_lock_irqsave(&pa->lock, flags);
	r = __potad_range_holding(pa, off, end);
	/* Giving back races with adding and with other givers: no bug. */
	if (!r && keep_retired) {
		ret = -ENOENT;
		goto unlock;
	}
	if (WARN_ONCE(!r, "potad: %s: withdrawing %lx+%lx not added\n",
		      pa->name, start, nr)) {
		ret = -EINVAL;
		goto unlock;
	}
	/* Check everything first, so that nothing changes on failure. */
	first = __potad_retired_from(pa, off);
	pos = off;
	for (t = first; t && t->n.off < end; t = potad_retired_next(t)) {
		if (keep_retired || t->allocated ||
		    !__potad_all_free(pa, pos, t->n.off)) {
			ret = -EBUSY;
			goto unlock;
		}
		pos = t->n.off + 1;
		nr_retired++;
	}
	if (!__potad_all_free(pa, pos, end)) {
		ret = -EBUSY;
		goto unlock;
	}

	pos = off;
	for (t = first; t && t->n.off < end; ) {
		struct potad_retired *next = potad_retired_next(t);

		__potad_take_span(pa, pos, t->n.off);
		pos = t->n.off + 1;
		rb_erase(&t->n.node, &pa->retired);
		kfree(t);
		t = next;
	}
	__potad_take_span(pa, pos, end);

	if (r->start == off && r->end == end) {
		rb_erase(&r->node, &pa->ranges);
		kfree(r);
	} else if (r->start == off) {
		r->start = end;
	} else if (r->end == end) {
		r->end = off;
	} else {
		split->start = end;
		split->end = r->end;
		r->end = off;
		__potad_range_insert(pa, split);
		split = NULL;
	}
	pa->stats.units_total -= nr;
	pa->stats.units_free -= nr - nr_retired;
	pa->stats.units_retired -= nr_retired;
	if (pa->stats.index_chunks)
		__potad_drop_chunks(pa, off, end);
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	potad_dir_finish(pa, &dir, false, ret);
out:
	potad_dir_unlock(pa);
	kfree(split);
	return ret;
}

/**
 * potad_withdraw_range_gfp() - Take free space away again.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 * @gfp: For the node recording what is left of a range split in two.
 *
 * Every unit of the range must be free or retired (and not inside an
 * allocated block).  The units leave the space; retired units among them
 * are forgotten, as memory that goes away (hot-remove) should be; to give
 * memory back to where it came from, use potad_take_range().  A free
 * block of any order, or part of one, can be taken out, and the rest of
 * the block stays free in maximal aligned blocks.
 *
 * Context: As potad_add_range_gfp().
 * Return: 0; -EINVAL if @nr is 0 or the range is not inside added ranges,
 * or a %POTAD_MEMORY instance was given a @gfp that cannot sleep (caller
 * bugs, warned about once); -EBUSY if a unit is allocated; -ENOMEM.
 * Nothing changes on error.
 */
int potad_withdraw_range_gfp(struct potad *pa, unsigned long start,
			     unsigned long nr, gfp_t gfp)
{
	int ret;

	/* Cached blocks are free: they go back to be withdrawn. */
	potad_pcp_off(pa);
	ret = potad_withdraw(pa, start, nr, gfp, false);
	potad_pcp_on(pa);
	return ret;
}
EXPORT_SYMBOL_GPL(potad_withdraw_range_gfp);

/**
 * potad_take_range() - Take free space out, to give it back.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 * @gfp: As for potad_withdraw_range_gfp().
 *
 * As potad_withdraw_range_gfp(), but only if every unit of the range is
 * free: a retired unit (a poisoned page) must not go back to where the
 * space came from, so a range holding one is refused.  The zone
 * instances give memory back to the buddy allocator this way.  A range
 * that is not (or no longer, or not yet) added is not a bug here: whoever
 * gives memory back may race with whoever adds it or gives it back too.
 *
 * Context: As potad_add_range_gfp().
 * Return: As potad_withdraw_range_gfp(), -EBUSY if a unit is retired, and
 * -ENOENT, without a warning, if the range is not inside added ranges.
 */
int potad_take_range(struct potad *pa, unsigned long start, unsigned long nr,
		     gfp_t gfp)
{
	return potad_withdraw(pa, start, nr, gfp, true);
}
EXPORT_SYMBOL_GPL(potad_take_range);

/* Types */

static bool potad_type_registered(const struct potad_type *type)
{
	return type && READ_ONCE(type->registered);
}

/**
 * potad_type_register() - Register a descriptor type.
 * @type: The type, with @name, @size, @flags and @ops filled in.  It must
 *	stay in memory until potad_type_unregister().
 *
 * Types without %POTAD_TYPE_CALLER_MEM get a slab cache named @name for
 * their descriptors.
 *
 * Context: Process context, may sleep.
 * Return: 0; -EINVAL if struct potad_desc does not fit at @offset in
 * @size bytes or @name is missing, -EBUSY if already registered (caller bugs, warned about
 * once); -ENOMEM.
 */
int potad_type_register(struct potad_type *type)
{
	struct potad_type *t;

	might_sleep();
	/* One cacheline of header (rounded up to 64 by SLAB_HWCACHE_ALIGN). */
	BUILD_BUG_ON(sizeof(struct potad_desc) > 64);
	if (WARN_ONCE(!type->name || type->offset > type->size ||
		      type->size - type->offset < sizeof(struct potad_desc) ||
		      !IS_ALIGNED(type->offset,
				  __alignof__(struct potad_desc)),
		      "potad: bad descriptor type %s\n", type->name))
		return -EINVAL;
	mutex_lock(&potad_list_lock);
	list_for_each_entry(t, &potad_types, list) {
		if (WARN_ONCE(t == type, "potad: type %s registered twice\n",
			      type->name)) {
			mutex_unlock(&potad_list_lock);
			return -EBUSY;
		}
	}
	type->cache = NULL;
	if (!(type->flags & POTAD_TYPE_CALLER_MEM)) {
		type->cache = kmem_cache_create(type->name, type->size, 0,
						SLAB_HWCACHE_ALIGN, NULL);
		if (!type->cache) {
			mutex_unlock(&potad_list_lock);
			return -ENOMEM;
		}
	}
	atomic_set(&type->nr_pinned, 0);
	list_add_tail(&type->list, &potad_types);
	WRITE_ONCE(type->registered, true);
	mutex_unlock(&potad_list_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_type_register);

/**
 * potad_type_unregister() - Unregister a descriptor type.
 * @type: A registered type with no descriptor left (for slab types,
 *	kmem_cache_destroy() reports descriptors still allocated).
 *
 * Waits until no block of this type freed while referenced waits for its
 * last potad_desc_put(), then for pending RCU releases of descriptors.
 * References on blocks of other types do not delay it.
 *
 * Context: Process context, may sleep.
 */
void potad_type_unregister(struct potad_type *type)
{
	might_sleep();
	mutex_lock(&potad_list_lock);
	if (WARN_ONCE(!potad_type_registered(type),
		      "potad: unregistering an unknown type\n")) {
		mutex_unlock(&potad_list_lock);
		return;
	}
	list_del(&type->list);
	WRITE_ONCE(type->registered, false);
	mutex_unlock(&potad_list_lock);
	/*
	 * Blocks freed while referenced release their descriptors with the
	 * last reference, and memory spaces after a grace period.
	 */
	wait_var_event(&type->nr_pinned, !atomic_read(&type->nr_pinned));
	rcu_barrier();
	kmem_cache_destroy(type->cache);
	type->cache = NULL;
}
EXPORT_SYMBOL_GPL(potad_type_unregister);

/* Allocation and freeing */

/* Check the arguments common to every allocation; 0 or -EINVAL. */
static int potad_check_alloc(struct potad *pa, const struct potad_type *type,
			     unsigned long start, unsigned int order,
			     bool caller_mem)
{
	unsigned long off;

	if (WARN_ONCE(!potad_type_registered(type) ||
		      !(type->flags & POTAD_TYPE_CALLER_MEM) != !caller_mem,
		      "potad: %s: bad descriptor type\n", pa->name))
		return -EINVAL;
	/* Only the release op can tell when lookups are done with it. */
	if (WARN_ONCE(caller_mem && (pa->flags & POTAD_MEMORY) &&
		      !(type->ops && type->ops->release),
		      "potad: %s: type %s has no release op\n", pa->name,
		      type->name))
		return -EINVAL;
	if (WARN_ONCE(order > pa->max_order,
		      "potad: %s: order %u beyond %u\n", pa->name, order,
		      pa->max_order))
		return -EINVAL;
	if (start == POTAD_ANY)
		return 0;
	if (WARN_ONCE(!IS_ALIGNED(start, BIT(order)) ||
		      !potad_in_space(pa, start, BIT(order), &off),
		      "potad: %s: bad block %lx order %u\n", pa->name, start,
		      order))
		return -EINVAL;
	return 0;
}

/*
 * Allocate a block for @desc; arguments already checked.  With %POTAD_ANY
 * the block comes from the smallest free block of an order from @order to
 * @top that lies inside [@lo, @hi) (offsets; the whole span and not
 * @whole: anywhere, this CPU's cache first), and with @whole it is that
 * free block, whole.  The index entry of a memory space is stored in
 * the same critical section; if that needs a maple-tree node or a chunk
 * array that GFP_NOWAIT cannot get, the block goes back, and they are
 * allocated with @gfp without the lock before trying again.
 */
static int __potad_alloc_in(struct potad *pa, struct potad_desc *desc,
			    const struct potad_type *type, unsigned long start,
			    unsigned int order, unsigned int top,
			    unsigned long lo, unsigned long hi, bool whole,
			    void *owner, gfp_t gfp)
{
	bool anywhere = !lo && hi == pa->span;
	struct potad_index_op op;
	unsigned long off, boff, flags;
	unsigned int k, got, tries = 0;
	int ret;

	/* Small blocks from this CPU's cache, if the instance has one. */
	if (start == POTAD_ANY && anywhere && !whole &&
	    !potad_pcp_alloc(pa, desc, type, order, top, owner))
		return 0;
	potad_index_op_init(&op, pa);
retry:
	ret = 0;
	got = order;
	spin_lock_irqsave(&pa->lock, flags);
	if (start == POTAD_ANY) {
		if (anywhere && !whole)
			off = __potad_take_any(pa, order, top);
		else
			off = __potad_take_in(pa, order, top, lo, hi, whole,
					      &got);
		if (off == NOT_FOUND)
			ret = -ENOSPC;
	} else {
		off = start - pa->base;
		boff = __potad_find_cover(pa, off, order, &k);
		if (boff == NOT_FOUND)
			ret = -EBUSY;
		else
			__potad_take(pa, boff, k, off, order);
	}
	if (ret == -ENOSPC) {
		/* A look inside a range is not a failed allocation. */
		if (anywhere && !whole)
			pa->stats.alloc_failures++;
		goto unlock;
	}
	if (ret)
		goto unlock;
	potad_desc_fill(pa, desc, type, off, got, owner,
			potad_indexed(pa) ? POTAD_DESC_INDEXED : 0);
	ret = __potad_index_store(pa, &op, desc);
	if (ret) {
		/* Never visible: the block goes back, @desc reusable. */
		desc->state = POTAD_DESC_FREE;
		__potad_free_span(pa, off, off + BIT(got));
		goto unlock;
	}
	pa->stats.units_free -= BIT(got);
	pa->stats.units_allocated += BIT(got);
	pa->stats.nr_allocs++;
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	if (ret == -ENOMEM && potad_index_retry(&op, gfp, &tries))
		goto retry;
	potad_index_op_done(&op);
	return ret;
}

static int __potad_alloc(struct potad *pa, struct potad_desc *desc,
			 const struct potad_type *type, unsigned long start,
			 unsigned int order, unsigned int top, void *owner,
			 gfp_t gfp)
{
	return __potad_alloc_in(pa, desc, type, start, order, top, 0, pa->span,
				false, owner, gfp);
}

/**
 * potad_desc_new() - A zeroed slab descriptor, not yet used.
 * @type: A registered type without %POTAD_TYPE_CALLER_MEM.
 * @gfp: For the slab allocation.
 *
 * For mm/potad_zone.c, which tries several instances with one
 * descriptor: potad_alloc_into() each, then potad_desc_discard() if none
 * had a block.
 *
 * Context: As kmem_cache_alloc() with @gfp.
 * Return: The descriptor, ERR_PTR(-EINVAL) for a bad @type (a caller
 * bug, warned about once) or ERR_PTR(-ENOMEM).
 */
struct potad_desc *potad_desc_new(const struct potad_type *type, gfp_t gfp)
{
	void *obj;

	if (WARN_ONCE(!potad_type_registered(type) ||
		      (type->flags & POTAD_TYPE_CALLER_MEM),
		      "potad: bad descriptor type\n"))
		return ERR_PTR(-EINVAL);
	obj = kmem_cache_zalloc(type->cache, gfp);
	return obj ? obj + type->offset : ERR_PTR(-ENOMEM);
}

/**
 * potad_desc_discard() - Free a descriptor from potad_desc_new() never used.
 * @type: Its type.
 * @desc: The descriptor; no allocation into it succeeded.
 *
 * Context: Any context.
 */
void potad_desc_discard(const struct potad_type *type, struct potad_desc *desc)
{
	kmem_cache_free(type->cache, (void *)desc - type->offset);
}

/**
 * potad_alloc_into() - Allocate a block for a descriptor from potad_desc_new().
 * @pa: The instance.
 * @desc: The descriptor, unused.
 * @type: Its type.
 * @order: As for potad_alloc().
 * @top: Split no free block of an order above this one.
 * @owner: As for potad_alloc().
 * @gfp: For the index.
 *
 * Context: As potad_alloc().
 * Return: 0 or as potad_alloc() (-ENOSPC also when the only free blocks
 * are above @top); on error @desc is still unused.
 */
int potad_alloc_into(struct potad *pa, struct potad_desc *desc,
		     const struct potad_type *type, unsigned int order,
		     unsigned int top, void *owner, gfp_t gfp)
{
	int ret = potad_check_alloc(pa, type, POTAD_ANY, order, false);

	return ret ?: __potad_alloc(pa, desc, type, POTAD_ANY, order, top,
				    owner, gfp);
}

static int potad_alloc_range(struct potad *pa, struct potad_desc *desc,
			     const struct potad_type *type, unsigned int order,
			     unsigned int top, unsigned long start,
			     unsigned long nr, bool whole, void *owner,
			     gfp_t gfp)
{
	int ret = potad_check_alloc(pa, type, POTAD_ANY, order, false);
	unsigned long lo;

	if (ret)
		return ret;
	if (WARN_ONCE(!potad_in_space(pa, start, nr, &lo),
		      "potad: %s: range %lx+%lx is not inside the space\n",
		      pa->name, start, nr))
		return -EINVAL;
	return __potad_alloc_in(pa, desc, type, POTAD_ANY, order, top, lo,
				lo + nr, whole, owner, gfp);
}

/**
 * potad_alloc_into_in() - Allocate a block inside a range of units.
 * @pa: The instance.
 * @desc: A descriptor from potad_desc_new(), unused.
 * @type: Its type.
 * @order: As for potad_alloc().
 * @top: Split no free block of an order above this one.
 * @start: Absolute number of the range's first unit.
 * @nr: Units in the range.
 * @owner: As for potad_alloc().
 * @gfp: For the index.
 *
 * As potad_alloc_into(), among the free blocks that lie entirely inside
 * [@start, @start + @nr): the smallest, the lowest of its order.  For an
 * owner that keeps its allocations of one kind together (mm/potad_swap.c:
 * the runs of one order in the clusters they were first carved from).
 *
 * Context: As potad_alloc().
 * Return: As potad_alloc_into(); -EINVAL also for a range not inside the
 * span (a caller bug, warned about once).
 */
int potad_alloc_into_in(struct potad *pa, struct potad_desc *desc,
			const struct potad_type *type, unsigned int order,
			unsigned int top, unsigned long start, unsigned long nr,
			void *owner, gfp_t gfp)
{
	return potad_alloc_range(pa, desc, type, order, top, start, nr, false,
				 owner, gfp);
}

/**
 * potad_alloc_whole_in() - Take a whole free block inside a range of units.
 * @pa: The instance.
 * @desc: A descriptor from potad_desc_new(), unused.
 * @type: Its type.
 * @order: The smallest order taken.
 * @top: The largest order taken.
 * @start: Absolute number of the range's first unit.
 * @nr: Units in the range.
 * @owner: As for potad_alloc().
 * @gfp: For the index.
 *
 * As potad_alloc_into_in(), but the free block found (the smallest of an
 * order from @order to @top that lies entirely inside the range, the
 * lowest of its order) is taken whole, not split: @desc->order says which
 * order it has.  One lock hold (more only if the index needs memory), for
 * an owner that carves a free block into runs itself (mm/potad_swap.c)
 * and would otherwise ask once per order.  @top is clamped to the
 * instance's largest order.
 *
 * Context: As potad_alloc().
 * Return: 0; -ENOSPC if no free block of an order from @order to @top
 * lies entirely inside the range (never counted in alloc_failures: a
 * look, not a failed allocation); -ENOMEM if the index could not get
 * memory; -EINVAL for a bad @type, an @order beyond the space or a range
 * not inside the span (caller bugs, warned about once).  On error @desc
 * is still unused and nothing changed.
 */
int potad_alloc_whole_in(struct potad *pa, struct potad_desc *desc,
			 const struct potad_type *type, unsigned int order,
			 unsigned int top, unsigned long start,
			 unsigned long nr, void *owner, gfp_t gfp)
{
	return potad_alloc_range(pa, desc, type, order, top, start, nr, true,
				 owner, gfp);
}

static struct potad_desc *potad_alloc_slab(struct potad *pa,
					   const struct potad_type *type,
					   unsigned long start,
					   unsigned int order, void *owner,
					   gfp_t gfp)
{
	void *obj;
	int ret;

	ret = potad_check_alloc(pa, type, start, order, false);
	if (ret)
		return ERR_PTR(ret);
	obj = kmem_cache_zalloc(type->cache, gfp);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	ret = __potad_alloc(pa, obj + type->offset, type, start, order,
			    POTAD_NR_ORDERS, owner, gfp);
	if (ret) {
		kmem_cache_free(type->cache, obj);
		return ERR_PTR(ret);
	}
	return obj + type->offset;
}

/**
 * potad_alloc() - Allocate a block anywhere.
 * @pa: The instance.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @order: The block will have 2^@order units.
 * @owner: Stored in the descriptor.
 * @gfp: For the descriptor and, in memory spaces, the index.
 *
 * Takes the smallest free block of at least @order (the lowest-addressed
 * one of its order) and splits it, keeping the lowest part.  The
 * caller's part of the descriptor is zeroed.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: The descriptor; ERR_PTR(-EINVAL) for a bad @type or an @order
 * beyond the space (caller bugs, warned about once), -ENOMEM if the
 * descriptor or the index nodes or chunk array could not be allocated,
 * -ENOSPC if no block is free (counted
 * in alloc_failures).  Nothing else changes on error.
 */
struct potad_desc *potad_alloc(struct potad *pa, const struct potad_type *type,
			       unsigned int order, void *owner, gfp_t gfp)
{
	return potad_alloc_slab(pa, type, POTAD_ANY, order, owner, gfp);
}
EXPORT_SYMBOL_GPL(potad_alloc);

/**
 * potad_alloc_at() - Allocate the block at a given address.
 * @pa: The instance.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @start: Absolute number of the block's first unit, aligned to
 *	2^@order.
 * @order: The block will have 2^@order units.
 * @owner: Stored in the descriptor.
 * @gfp: For the descriptor and, in memory spaces, the index.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: The descriptor; ERR_PTR(-EINVAL) for a bad @type, @order or
 * @start (caller bugs, warned about once), -ENOMEM if the descriptor or
 * the index nodes could not be allocated, -EBUSY if a unit of the block is not free.  Nothing
 * changes on error.
 */
struct potad_desc *potad_alloc_at(struct potad *pa,
				  const struct potad_type *type,
				  unsigned long start, unsigned int order,
				  void *owner, gfp_t gfp)
{
	if (WARN_ONCE(start == POTAD_ANY, "potad: %s: no start\n", pa->name))
		return ERR_PTR(-EINVAL);
	return potad_alloc_slab(pa, type, start, order, owner, gfp);
}
EXPORT_SYMBOL_GPL(potad_alloc_at);

/**
 * potad_alloc_desc() - Allocate a block for a caller-provided descriptor.
 * @pa: The instance.
 * @desc: The descriptor, embedded in the caller's structure.
 * @type: A registered type with %POTAD_TYPE_CALLER_MEM.
 * @start: Absolute number of the block's first unit, or %POTAD_ANY.
 * @order: The block will have 2^@order units.
 * @owner: Stored in the descriptor.
 * @gfp: For the index nodes of memory spaces; unused for abstract ones.
 *
 * Only the struct potad_desc part of the caller's structure is written.
 * @desc must not be in use: zeroed memory, or a descriptor whose block
 * was freed and whose release op has been called.  In a memory space,
 * @desc may be read by lockless lookups until an RCU grace period after
 * its block is freed: the type's release op says when the memory may be
 * reused, and a caller-memory type must have one to be used there.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: 0; -EINVAL for bad arguments, a type without release op in a
 * memory space, or a @desc still live or awaiting its release (caller
 * bugs, warned about once; nothing changes), -ENOSPC (anywhere) or -EBUSY
 * (at @start) if no block is free, -ENOMEM if the index nodes could not
 * be allocated.
 */
int potad_alloc_desc(struct potad *pa, struct potad_desc *desc,
		     const struct potad_type *type, unsigned long start,
		     unsigned int order, void *owner, gfp_t gfp)
{
	u8 state = READ_ONCE(desc->state);
	int ret;

	/* Overwriting it would leak its block and mislead the index. */
	if (WARN_ONCE(state == POTAD_DESC_LIVE || state == POTAD_DESC_DEAD,
		      "potad: %s: allocating into a descriptor in use\n",
		      pa->name))
		return -EINVAL;
	ret = potad_check_alloc(pa, type, start, order, true);
	return ret ? ret : __potad_alloc(pa, desc, type, start, order,
					 POTAD_NR_ORDERS, owner, gfp);
}
EXPORT_SYMBOL_GPL(potad_alloc_desc);

/* Runs: any number of units at a given alignment (CMA, mm/potad_cma.c) */

/*
 * The lowest start of a free block of order >= @min_order at or after
 * @off, or NOT_FOUND: one map_find_next() per order.
 */
static unsigned long __potad_next_free(struct potad *pa, unsigned long off,
				       unsigned int min_order)
{
	unsigned long best = NOT_FOUND;
	unsigned int k;

	for (k = min_order; k <= pa->max_order; k++) {
		unsigned long i;

		if (!pa->stats.nr_free[k])
			continue;
		i = map_find_next(&pa->maps[k], DIV_ROUND_UP(off, BIT(k)));
		if (i != NOT_FOUND)
			best = min(best, i << k);
	}
	return best;
}

/*
 * The lowest offset >= @from, a multiple of 2^@align, at which @nr units
 * are free, or NOT_FOUND.  @nr >= 1, @align <= pa->max_order.
 *
 * Free blocks are merged with their buddies whenever both are free, so
 * a free aligned 2^j range always lies in one free block of order >= j.
 * A fit holds the aligned range of 2^min(@align, ilog2(@nr)) it starts
 * with, and an aligned range of 2^(ilog2(@nr) - 1) somewhere: so the run
 * of free units holding it holds a free block of order >= the larger of
 * the two.  The search jumps from one such "seed" block to the next (one
 * map_find_next() per order), extends it to the free run around it (one
 * look per neighbouring block, back at most @nr units and not past where
 * the previous run ended), and takes the lowest multiple of 2^@align in
 * it if @nr units fit from there; else the next seed past the run.  A
 * run holding @from itself may have its seed before @from: it is looked
 * at first, from @from on.  The cost is linear in the seeds passed and
 * the blocks next to them, not in the units or in the shorter runs.
 */
static unsigned long __potad_find_run(struct potad *pa, unsigned long from,
				      unsigned long nr, unsigned int align)
{
	unsigned int first = min_t(unsigned int, align, ilog2(nr));
	unsigned int seed = min_t(unsigned int, pa->max_order,
				  max_t(unsigned int, first,
					max(ilog2(nr), 1) - 1));
	unsigned long low = from, cur = from;
	unsigned int k;

	while (cur < pa->span && nr <= pa->span - cur) {
		unsigned long b, s, e, c, stop;

		b = __potad_find_cover(pa, cur, 0, &k);
		if (b != NOT_FOUND) {
			/* Only @from can be free: the run from there on. */
			s = cur;
			e = b + BIT(k);
		} else {
			b = __potad_next_free(pa, cur, seed);
			if (b == NOT_FOUND)
				break;
			__potad_find_cover(pa, b, seed, &k);
			e = b + BIT(k);
			/*
			 * The free run holding the seed, [s, e), back to where
			 * a fit could start: one ending at or before @b would
			 * hold a seed of its own, lower than @b.
			 */
			stop = b - low >= nr ? b - nr + 1 : low;
			for (s = b; s > stop; s = c) {
				c = __potad_find_cover(pa, s - 1, 0, &k);
				if (c == NOT_FOUND)
					break;
			}
		}
		c = round_up(max(s, from), BIT(align));
		while (e < c + nr && e < pa->span) {
			b = __potad_find_cover(pa, e, 0, &k);
			if (b == NOT_FOUND)
				break;
			e = b + BIT(k);
		}
		if (c < e && nr <= e - c)
			return c;
		/* @e is not free, or is the end: the next run starts later. */
		cur = e;
		low = e;
	}
	return NOT_FOUND;
}

/* Check a run's length and alignment; 0 or -EINVAL (warned about). */
static int potad_check_run(struct potad *pa, unsigned long nr,
			   unsigned int align)
{
	if (WARN_ONCE(!nr || nr > pa->span || align > pa->max_order,
		      "potad: %s: bad run of %lx units at order %u\n",
		      pa->name, nr, align))
		return -EINVAL;
	return 0;
}

/**
 * potad_find_run() - Find the lowest free run of units, allocating nothing.
 * @pa: The instance.
 * @nr: Number of units, any number from 1 to the span.
 * @align: The run starts at a multiple of 2^@align units (relative to
 *	the instance's base, which is aligned to its largest order).
 * @start: In: the lowest absolute unit number the run may start at (the
 *	base or below for anywhere).  Out: where it starts.
 *
 * "Find the lowest run of m free chunks of order k" with @nr = m * 2^k and
 * @align = k, and also for @nr not a multiple of 2^@align.  The answer is
 * only a snapshot: allocate with potad_alloc_run(), which searches again
 * under the same lock hold as it takes the units.
 *
 * Context: Any context where a spinlock_t may be taken; takes and
 * releases the instance lock with interrupts disabled.
 * Return: 0 with *@start set; -ENOSPC if there is no such run; -EINVAL
 * for @nr 0 or beyond the span, or @align beyond the largest order
 * (caller bugs, warned about once).
 */
int potad_find_run(struct potad *pa, unsigned long nr, unsigned int align,
		   unsigned long *start)
{
	unsigned long flags, off, from;
	int ret = potad_check_run(pa, nr, align);

	if (ret)
		return ret;
	from = *start > pa->base ? *start - pa->base : 0;
	spin_lock_irqsave(&pa->lock, flags);
	off = __potad_find_run(pa, from, nr, align);
	spin_unlock_irqrestore(&pa->lock, flags);
	if (off == NOT_FOUND)
		return -ENOSPC;
	*start = pa->base + off;
	return 0;
}
EXPORT_SYMBOL_GPL(potad_find_run);

static int __potad_alloc_run(struct potad *pa, struct potad_desc *desc,
			     const struct potad_type *type,
			     unsigned long *start, unsigned long nr,
			     unsigned int align, bool exact, void *owner,
			     gfp_t gfp)
{
	struct potad_index_op op;
	unsigned long off, from, flags;
	unsigned int tries = 0;
	int ret;

	from = *start > pa->base ? *start - pa->base : 0;
	potad_index_op_init(&op, pa);
retry:
	ret = 0;
	spin_lock_irqsave(&pa->lock, flags);
	if (exact) {
		off = from;
		if (!__potad_all_free(pa, off, off + nr))
			ret = -EBUSY;
	} else {
		off = __potad_find_run(pa, from, nr, align);
		if (off == NOT_FOUND) {
			ret = -ENOSPC;
			pa->stats.alloc_failures++;
		}
	}
	if (ret)
		goto unlock;
	__potad_take_span(pa, off, off + nr);
	potad_desc_fill(pa, desc, type, off, fls_long(nr - 1), owner,
			POTAD_DESC_RUN |
			(potad_indexed(pa) ? POTAD_DESC_INDEXED : 0));
	desc->nr_live = nr;
	ret = __potad_index_store(pa, &op, desc);
	if (ret) {
		desc->state = POTAD_DESC_FREE;
		__potad_free_span(pa, off, off + nr);
		goto unlock;
	}
	pa->stats.units_free -= nr;
	pa->stats.units_allocated += nr;
	pa->stats.nr_allocs++;
	*start = pa->base + off;
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	if (ret == -ENOMEM && potad_index_retry(&op, gfp, &tries))
		goto retry;
	potad_index_op_done(&op);
	return ret;
}

static struct potad_desc *
potad_alloc_run_slab(struct potad *pa, const struct potad_type *type,
		     unsigned long start, unsigned long nr, unsigned int align,
		     bool exact, void *owner, gfp_t gfp)
{
	unsigned long off;
	void *obj;
	int ret;

	ret = potad_check_alloc(pa, type, POTAD_ANY, 0, false);
	if (!ret)
		ret = potad_check_run(pa, nr, exact ? 0 : align);
	if (!ret && exact &&
	    WARN_ONCE(!potad_in_space(pa, start, nr, &off),
		      "potad: %s: bad run %lx+%lx\n", pa->name, start, nr))
		ret = -EINVAL;
	if (ret)
		return ERR_PTR(ret);
	obj = kmem_cache_zalloc(type->cache, gfp);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	ret = __potad_alloc_run(pa, obj + type->offset, type, &start, nr,
				align, exact, owner, gfp);
	if (ret) {
		kmem_cache_free(type->cache, obj);
		return ERR_PTR(ret);
	}
	return obj + type->offset;
}

/**
 * potad_alloc_run() - Allocate a run of any number of units.
 * @pa: The instance.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @start: Absolute number of the run's first unit, or %POTAD_ANY.
 * @nr: Number of units, any number from 1 to the span.
 * @align: With %POTAD_ANY, the run starts at a multiple of 2^@align
 *	units; ignored otherwise.
 * @owner: Stored in the descriptor.
 * @gfp: For the descriptor and, in memory spaces, the index.
 *
 * At @start: the units [@start, @start + @nr) if every one is free
 * ("allocate this run of units if all free").  With %POTAD_ANY: the
 * lowest such run at a multiple of 2^@align, as potad_find_run() finds
 * it (potad_alloc_run_from() searches from a given unit on).  Either way
 * the search, the check and the allocation are one hold of the instance
 * lock.  One descriptor describes the whole run: it has %POTAD_DESC_RUN
 * set, potad_desc_units() is @nr, and potad_lookup() finds it from any of
 * its units (one index entry, whatever @nr).  A run is freed whole, with
 * potad_free(); potad_free_range() refuses a part of it.  Units retired
 * inside it stay out when it is freed, as for a block.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: The descriptor; ERR_PTR(-EINVAL) for a bad @type, @nr,
 * @align or @start (caller bugs, warned about once), -ENOMEM if the
 * descriptor or the index nodes could not be allocated, -EBUSY if a unit
 * of the run at @start is not free, -ENOSPC if no run is free anywhere
 * (counted in alloc_failures).  Nothing changes on error.
 */
struct potad_desc *potad_alloc_run(struct potad *pa,
				   const struct potad_type *type,
				   unsigned long start, unsigned long nr,
				   unsigned int align, void *owner, gfp_t gfp)
{
	if (start == POTAD_ANY)
		return potad_alloc_run_slab(pa, type, pa->base, nr, align,
					    false, owner, gfp);
	return potad_alloc_run_slab(pa, type, start, nr, 0, true, owner, gfp);
}
EXPORT_SYMBOL_GPL(potad_alloc_run);

/**
 * potad_alloc_run_from() - Allocate the lowest free run from a unit on.
 * @pa: The instance.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @from: The run starts at this absolute unit number or above (the
 *	instance's base or below: anywhere).
 * @nr: Number of units, any number from 1 to the span.
 * @align: The run starts at a multiple of 2^@align units.
 * @owner: Stored in the descriptor.
 * @gfp: For the descriptor and, in memory spaces, the index.
 *
 * As potad_alloc_run() with %POTAD_ANY, skipping the runs that start
 * below @from: for a caller that tries candidates in turn and found the
 * last one unusable (the CMA ladder, when alloc_contig_range() finds a
 * candidate busy).
 *
 * Context: As potad_alloc_run().
 * Return: As potad_alloc_run() with %POTAD_ANY.
 */
struct potad_desc *potad_alloc_run_from(struct potad *pa,
					const struct potad_type *type,
					unsigned long from, unsigned long nr,
					unsigned int align, void *owner,
					gfp_t gfp)
{
	return potad_alloc_run_slab(pa, type, max(from, pa->base), nr, align,
				    false, owner, gfp);
}
EXPORT_SYMBOL_GPL(potad_alloc_run_from);

static void potad_free_desc(struct potad_desc *desc)
{
	const struct potad_type *type = desc->type;

	if (type->cache) {
		kmem_cache_free(type->cache, (void *)desc - type->offset);
		return;
	}
	/* From here on the memory is the caller's: it may allocate into it. */
	WRITE_ONCE(desc->state, POTAD_DESC_FREE);
	if (type->ops && type->ops->release)
		type->ops->release(desc);
}

static void potad_free_desc_rcu(struct rcu_head *head)
{
	potad_free_desc(container_of(head, struct potad_desc, rcu));
}

/* The type is const to its users; its pin count is POTAD's. */
static atomic_t *potad_type_pins(const struct potad_type *type)
{
	return (atomic_t *)&type->nr_pinned;
}

/* @desc's block is dead but referenced: its type and instance wait. */
static void potad_pin_dead(struct potad *pa, struct potad_desc *desc)
{
	atomic_inc(&pa->nr_pinned);
	atomic_inc(potad_type_pins(desc->type));
}

static void potad_unpin_dead(struct potad *pa, const struct potad_type *type)
{
	/* Either may be gone once its count is 0: only addresses are used. */
	if (atomic_dec_and_test(potad_type_pins(type)))
		wake_up_var(potad_type_pins(type));
	if (atomic_dec_and_test(&pa->nr_pinned))
		wake_up_var(&pa->nr_pinned);
}

/* The last reference is gone and no unit is left: free the descriptor. */
static void potad_release_desc(struct potad *pa, struct potad_desc *desc)
{
	/* Lockless lookups may be reading descriptors of memory spaces. */
	if (pa->flags & POTAD_MEMORY)
		call_rcu(&desc->rcu, potad_free_desc_rcu);
	else
		potad_free_desc(desc);
}

/* Give back the units of a dead block whose last reference is gone. */
static void __potad_put_units(struct potad *pa, struct potad_desc *desc)
{
	unsigned long off = desc->start - pa->base;

	__potad_flush_deferred(pa, desc);
	/* Left by a whole free, which needs every unit live: from the start. */
	if (desc->nr_live)
		__potad_give_back(pa, off, off + desc->nr_live);
	desc->nr_live = 0;
}

/* Check a partial free's range against @desc's block; 0 or -EINVAL. */
static int potad_check_range(struct potad *pa, struct potad_desc *desc,
			     unsigned long start, unsigned long nr)
{
	unsigned long units = potad_desc_units(desc);

	if (WARN_ONCE(!nr || start < desc->start ||
		      start - desc->start >= units ||
		      nr > units - (start - desc->start) ||
		      nr > desc->nr_live,
		      "potad: %s: bad range %lx+%lx of block %lx\n",
		      pa->name, start, nr, desc->start))
		return -EINVAL;
	return 0;
}

/*
 * Free [start, start + nr) of @desc's block, or with @whole the whole block
 * (@start and @nr are then taken from @desc once it is known to be live).
 * The units leave the index at once.  They go back to the free space at
 * once too, unless a reference is held on the block: a whole block then
 * waits, dead, for the last reference (nr_live tells what is left), and a
 * part waits in @pa->deferred until only the owner's reference is left,
 * in *@dfrp (which is then used up).  Under the instance lock.  0, with
 * *@release set if the descriptor is to be released once the lock is
 * dropped; -EINVAL (a caller bug, warned about), -ENOMEM (index nodes:
 * see potad_index_retry()), or -EAGAIN if a part of a referenced block
 * needs *@dfrp; nothing changes on error.
 */
static int __potad_free_locked(struct potad *pa, struct potad_index_op *op,
			       struct potad_desc *desc, unsigned long start,
			       unsigned long nr, bool whole,
			       struct potad_deferred **dfrp, bool *release)
{
	struct potad_deferred *dfr;
	unsigned long off;
	bool referenced;
	int ret = -EINVAL;

	if (WARN_ONCE(desc->potad != pa || desc->state != POTAD_DESC_LIVE,
		      "potad: %s: freeing a foreign or dead descriptor\n",
		      pa->name))
		return ret;
	if (!whole) {
		if (potad_check_range(pa, desc, start, nr))
			return ret;
		/* A block never freed in part, all of it: free it whole. */
		whole = nr == potad_desc_units(desc);
		if (WARN_ONCE(!whole && (desc->flags & POTAD_DESC_RUN),
			      "potad: %s: part of run %lx freed\n", pa->name,
			      desc->start))
			return ret;
	}
	if (whole) {
		if (WARN_ONCE(desc->nr_live != potad_desc_units(desc),
			      "potad: %s: potad_free() of a partly freed block\n",
			      pa->name))
			return ret;
		off = desc->start - pa->base;
		/* The descriptor's state is trusted; check it when debugging. */
		if (IS_ENABLED(CONFIG_DEBUG_VM) &&
		    WARN_ONCE(__potad_any_free(pa, off,
					       off + potad_desc_units(desc),
					       pa->max_order + 1),
			      "potad: %s: block %lx is partly free\n",
			      pa->name, desc->start))
			return ret;
		/* Never fails: the entry is exactly the block's. */
		__potad_index_erase(pa, op, desc);
		pa->stats.nr_frees++;
		WRITE_ONCE(desc->state, POTAD_DESC_DEAD);
		*release = refcount_dec_and_test(&desc->refs);
		if (*release) {
			__potad_put_units(pa, desc);
		} else {
			pa->stats.units_deferred += desc->nr_live;
			potad_pin_dead(pa, desc);
		}
		return 0;
	}
	referenced = refcount_read(&desc->refs) > 1;
	if (referenced && !*dfrp)
		return -EAGAIN;
	/*
	 * Units freed twice, or freed and now held by another block, are not
	 * @desc's in the index any more: refused.
	 */
	ret = __potad_index_free(pa, op, desc, start, nr);
	if (WARN_ONCE(ret == -EINVAL,
		      "potad: %s: range %lx+%lx is not block %lx's (freed twice?)\n",
		      pa->name, start, nr, desc->start) || ret)
		return ret;
	pa->stats.nr_frees++;
	off = start - pa->base;
	desc->nr_live -= nr;
	if (referenced) {
		dfr = *dfrp;
		*dfrp = NULL;
		dfr->n.off = off;
		dfr->end = off + nr;
		dfr->desc = desc;
		rb_add(&dfr->n.node, &pa->deferred, potad_node_less);
		WRITE_ONCE(desc->flags, desc->flags | POTAD_DESC_DEFERRED);
		pa->stats.units_deferred += nr;
	} else {
		/* A reference dropped without the lock may have left some. */
		__potad_flush_deferred(pa, desc);
		__potad_give_back(pa, off, off + nr);
	}
	if (!desc->nr_live) {
		WRITE_ONCE(desc->state, POTAD_DESC_DEAD);
		*release = refcount_dec_and_test(&desc->refs);
		/* A reference dropped meanwhile may have left deferred units. */
		if (*release)
			__potad_put_units(pa, desc);
		else
			potad_pin_dead(pa, desc);
	}
	return 0;
}

/* potad_free() and potad_free_range(): __potad_free_locked() and retries. */
static int potad_free_units(struct potad *pa, struct potad_desc *desc,
			    unsigned long start, unsigned long nr, bool whole,
			    gfp_t gfp)
{
	struct potad_deferred *dfr = NULL;
	struct potad_index_op op;
	unsigned int tries = 0;
	bool release = false;
	unsigned long flags;
	int ret;

	if (whole && potad_pcp_free(pa, desc))
		return 0;
	potad_index_op_init(&op, pa);
retry:
	spin_lock_irqsave(&pa->lock, flags);
	ret = __potad_free_locked(pa, &op, desc, start, nr, whole, &dfr,
				  &release);
	spin_unlock_irqrestore(&pa->lock, flags);
	if (ret == -EAGAIN) {
		dfr = kmalloc(sizeof(*dfr), gfp);
		if (dfr)
			goto retry;
		ret = -ENOMEM;
	} else if (ret == -ENOMEM && potad_index_retry(&op, gfp, &tries)) {
		goto retry;
	}
	potad_index_op_done(&op);
	kfree(dfr);
	if (release)
		potad_release_desc(pa, desc);
	return ret;
}

/**
 * potad_free() - Free a whole block.
 * @pa: The instance the block was allocated from.
 * @desc: Its descriptor.
 *
 * The block merges with its free buddies.  Units retired while it was
 * allocated stay out of the space.  The descriptor is freed (slab types)
 * or handed to the type's release op (caller-provided descriptors) and
 * must not be used again.  If references are held (potad_desc_tryget(),
 * potad_lookup_get(), potad_retire()), the block leaves the index and is
 * dead at once, but its units are given back, and the descriptor
 * released, by the last potad_desc_put().
 *
 * Context: Any context where a spinlock_t may be taken; takes and
 * releases the instance lock with interrupts disabled.
 * Return: 0, or -EINVAL if @desc is not a live descriptor of @pa or its
 * block was partly freed (caller bugs, warned about once; nothing
 * changes).  Never fails otherwise: the index does not need memory here.
 */
int potad_free(struct potad *pa, struct potad_desc *desc)
{
	return potad_free_units(pa, desc, 0, 0, true, 0);
}
EXPORT_SYMBOL_GPL(potad_free);

/**
 * potad_free_range() - Free part of a block.
 * @pa: The instance the block was allocated from.
 * @desc: Its descriptor.
 * @start: Absolute number of the first unit to free, inside the block.
 * @nr: Number of units to free.
 * @gfp: For index nodes, if the units are not a whole run of the block's
 *	units left (which splits its index entry) or this is an abstract
 *	block's first partial free (which indexes it); and for the record of
 *	units whose return a reference defers.
 *
 * The units leave the block at once: freeing them again is refused.  They
 * become free and merge with free neighbours, whatever their alignment,
 * at once if no reference is held on the block; otherwise when the last
 * reference but the owner's is dropped (potad_desc_put()), so that a
 * reference always pins the units it was taken for.  The rest of the
 * block stays allocated.  When the last unit of the block is freed the
 * descriptor is released as by potad_free().
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: 0; -EINVAL if @desc is not a live descriptor of @pa, the range
 * is empty or not inside the block, or a unit of it is not the block's
 * any more (freed already, perhaps reallocated; caller bugs, warned about
 * once); -ENOMEM if index nodes or the deferred record could not be
 * allocated.  Nothing changes on error.
 */
int potad_free_range(struct potad *pa, struct potad_desc *desc,
		     unsigned long start, unsigned long nr, gfp_t gfp)
{
	return potad_free_units(pa, desc, start, nr, false, gfp);
}
EXPORT_SYMBOL_GPL(potad_free_range);

/**
 * potad_free_parts() - Free parts of blocks, many per hold of the lock.
 * @pa: The instance the blocks were allocated from.
 * @parts: The ranges to free, in this order, each as by
 *	potad_free_range(); any number of them may be of one block.
 * @n: Number of ranges.
 *
 * For a caller that frees many scattered units at a time (swap slots
 * coming back in batches): the instance lock is taken once for each
 * %BITS_PER_LONG ranges, and the descriptors of the blocks left empty are
 * released after it is dropped.  It stops at the first range it cannot free without
 * allocating (index nodes to split an entry, the record of units a
 * reference defers) or that potad_free_range() would refuse (warned about
 * once, in the same way); that range and those after it are untouched,
 * and the caller frees them with potad_free_range(), which allocates with
 * the caller's gfp and returns the error.  A range of a chunked block
 * (one below 2^%POTAD_CHUNK_SHIFT units) needs no memory.  A part of a
 * block whose last units an earlier part freed is a caller bug that is
 * caught (warned about, and the batch stops there) only within the same
 * %BITS_PER_LONG parts: beyond them the descriptor may be released.
 *
 * Context: Any context where a spinlock_t may be taken; takes and
 * releases the instance lock with interrupts disabled, once per
 * %BITS_PER_LONG ranges.
 * Return: The number of ranges freed, from the first: @n if all were.
 */
unsigned int potad_free_parts(struct potad *pa,
			      const struct potad_part *parts, unsigned int n)
{
	struct potad_deferred *dfr = NULL;
	struct potad_index_op op;
	unsigned int i = 0, j, end, bit;
	unsigned long flags, released;
	bool release, stop = false;

	potad_index_op_init(&op, pa);
	while (i < n && !stop) {
		/* Which descriptors to release, by bit: a lock hold's worth. */
		end = min(n, i + BITS_PER_LONG);
		released = 0;
		spin_lock_irqsave(&pa->lock, flags);
		for (j = i; j < end; j++) {
			release = false;
			if (__potad_free_locked(pa, &op, parts[j].desc,
						parts[j].start, parts[j].nr,
						false, &dfr, &release)) {
				stop = true;
				break;
			}
			if (release)
				__set_bit(j - i, &released);
		}
		spin_unlock_irqrestore(&pa->lock, flags);
		for_each_set_bit(bit, &released, BITS_PER_LONG)
			potad_release_desc(pa, parts[i + bit].desc);
		i = j;
	}
	potad_index_op_done(&op);
	return i;
}
EXPORT_SYMBOL_GPL(potad_free_parts);

/**
 * potad_desc_tryget() - Take a reference on a descriptor.
 * @desc: A descriptor from potad_lookup(), under the same rcu_read_lock(),
 *	or one the caller knows to be live.
 *
 * While the reference is held the descriptor stays valid and the units
 * the block holds when a free next looks at it go back to the free space
 * only when the reference is dropped, even if the owner frees them
 * (potad_free(), potad_free_range()): they leave the index at once.
 * Taken without the lock, it cannot tell whether a unit found by an
 * earlier lookup is still the block's: a free may have given it back
 * just before, or concurrently.  To pin a unit, use potad_lookup_get() or
 * potad_retire()'s @holder.  Drop it with potad_desc_put().
 *
 * Context: Any context where a spinlock_t may be taken.  It fails without
 * a lock unless the block is freed between its two looks at it and the
 * last other reference is dropped meanwhile: then it gives back the
 * block's units and releases the descriptor, under the instance lock.
 * Return: true with a reference held if the block was still allocated,
 * false (and no reference) if it has been freed.
 */
bool potad_desc_tryget(struct potad_desc *desc)
{
	/* Freed already: leave the count alone. */
	if (READ_ONCE(desc->state) != POTAD_DESC_LIVE)
		return false;
	if (!refcount_inc_not_zero(&desc->refs))
		return false;
	/* Pairs with the release in the free's refcount decrement. */
	smp_acquire__after_ctrl_dep();
	if (READ_ONCE(desc->state) == POTAD_DESC_LIVE)
		return true;
	/* Dead: nothing is deferred any more, only the last one has work. */
	if (!refcount_dec_not_one(&desc->refs))
		potad_desc_put(desc);
	return false;
}
EXPORT_SYMBOL_GPL(potad_desc_tryget);

/*
 * Drop a reference that leaves at least two: nobody's deferred units can
 * be due (they are given back when only the owner's reference is left),
 * so no lock is needed.  False, and nothing done, for the last two.  A
 * partial free decides under the lock, from the count, whether to defer:
 * taking the lock for the drop to one closes the race with it.
 */
static bool potad_desc_put_many(struct potad_desc *desc)
{
	int old = refcount_read(&desc->refs);

	do {
		if (old <= 2)
			return false;
	} while (!atomic_try_cmpxchg_release(&desc->refs.refs, &old, old - 1));
	return true;
}

/*
 * potad_desc_put() when the count may drop to one or zero, under the lock.
 * For mm/potad_zone.c, which does more around the last put of a freed
 * block.  True if this was the last reference: the units are back and the
 * descriptor is released.
 */
bool potad_desc_put_locked(struct potad_desc *desc)
{
	const struct potad_type *type = desc->type;
	struct potad *pa = desc->potad;
	bool release = false;
	unsigned long flags;

	spin_lock_irqsave(&pa->lock, flags);
	/* The owner's reference goes with the free, never with a put. */
	if (WARN_ONCE(desc->state == POTAD_DESC_LIVE &&
		      refcount_read(&desc->refs) == 1,
		      "potad: %s: put of a reference never taken on block %lx\n",
		      pa->name, desc->start)) {
		spin_unlock_irqrestore(&pa->lock, flags);
		return false;
	}
	if (refcount_dec_and_test(&desc->refs)) {
		/* Left by a whole free while referenced (see there). */
		pa->stats.units_deferred -= desc->nr_live;
		__potad_put_units(pa, desc);
		release = true;
	} else if (desc->state == POTAD_DESC_LIVE &&
		   refcount_read(&desc->refs) == 1) {
		__potad_flush_deferred(pa, desc);
	}
	spin_unlock_irqrestore(&pa->lock, flags);
	if (!release)
		return false;
	potad_release_desc(pa, desc);
	potad_unpin_dead(pa, type);
	return true;
}

/**
 * potad_desc_put() - Drop a reference on a descriptor.
 * @desc: The descriptor, referenced by potad_desc_tryget(),
 *	potad_lookup_get() or potad_retire().
 *
 * When only the owner's reference is left, the units the owner freed
 * meanwhile go back to the free space.  If the block was freed entirely
 * and this is the last reference, its units go back and the descriptor
 * is released (for a zone instance's block, as potad_free_mem() does:
 * zeroed under init_on_free, and chunks it leaves free may go back).
 *
 * Context: Any context where a spinlock_t may be taken; takes and releases
 * the instance lock with interrupts disabled when it drops the count to
 * one or to zero, not otherwise.
 */
void potad_desc_put(struct potad_desc *desc)
{
	if (potad_desc_put_many(desc))
		return;
	if ((desc->potad->flags & POTAD_ZONE) &&
	    READ_ONCE(desc->state) == POTAD_DESC_DEAD)
		potad_zone_put_dead(desc);
	else
		potad_desc_put_locked(desc);
}
EXPORT_SYMBOL_GPL(potad_desc_put);

/**
 * potad_retire() - Take a unit out of service for good.
 * @pa: The instance.
 * @unit: Absolute unit number.
 * @gfp: For the small record of the retired unit.
 * @holder: If not NULL, for memory spaces: set to the descriptor of the
 *	allocated block holding @unit, with a reference taken in the same
 *	critical section (drop it with potad_desc_put()), or to NULL.  The
 *	part of a block its owner freed with potad_free_range() while
 *	references still keep it counts; a block freed whole while
 *	referenced does not (NULL; potad_is_retired() says @in_block).
 *
 * A free unit leaves free space at once.  A unit inside an allocated block
 * stays with its owner; when the block (or that part of it) is freed, the
 * unit does not come back.  Used for memory failure: the reference in
 * @holder pins @unit, so the owner can be told while the unit cannot be
 * handed to anyone else.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep; takes and releases the instance lock with interrupts disabled.
 * Return: 0; -EINVAL if @unit is not in the space (a caller bug, warned
 * about once); -ENOENT if it is in no range added (or withdrawn since:
 * a race, not warned about); -EALREADY if it is retired already; -ENOMEM.
 * @holder is NULL on error.
 */
int potad_retire(struct potad *pa, unsigned long unit, gfp_t gfp,
		 struct potad_desc **holder)
{
	struct potad_retired *new, *t;
	unsigned long off, boff, flags;
	unsigned int k;
	int ret = 0;

	if (holder)
		*holder = NULL;
	new = kmalloc(sizeof(*new), gfp);
	if (!new)
		return -ENOMEM;

	/* A cached block has no owner to keep the unit: no caches now. */
	potad_pcp_off(pa);
	spin_lock_irqsave(&pa->lock, flags);
	if (WARN_ONCE(!potad_in_space(pa, unit, 1, &off),
		      "potad: %s: retiring unit %lx outside the space\n",
		      pa->name, unit)) {
		ret = -EINVAL;
		goto unlock;
	}
	if (!__potad_range_holding(pa, off, off + 1)) {
		ret = -ENOENT;
		goto unlock;
	}
	t = __potad_retired_from(pa, off);
	if (t && t->n.off == off) {
		ret = -EALREADY;
		goto unlock;
	}
	new->n.off = off;
	boff = __potad_find_cover(pa, off, 0, &k);
	if (boff != NOT_FOUND) {
		__potad_take(pa, boff, k, off, 0);
		pa->stats.units_free--;
		pa->stats.units_retired++;
		new->allocated = false;
	} else {
		new->allocated = true;
		if (potad_indexed(pa)) {
			struct potad_desc *desc = potad_index_load(pa, unit);

			/* Its free must not put the block in a cache. */
			if (desc)
				WRITE_ONCE(desc->flags,
					   desc->flags | POTAD_DESC_RETIRED);
			if (holder)
				*holder = __potad_holder_get(pa, unit, off);
		}
	}
	__potad_retired_insert(pa, new);
	new = NULL;
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	potad_pcp_on(pa);
	kfree(new);
	return ret;
}
EXPORT_SYMBOL_GPL(potad_retire);

/**
 * potad_unretire() - Put retired units back into service.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 * @in_block: Also for units inside allocated blocks.
 *
 * For unpoison_memory(): every retired unit of [@start, @start + @nr)
 * outside allocated blocks goes back to the free space, merged with its
 * free buddies; units that are not retired are left as they are.  If a
 * retired unit is inside an allocated block (or in the part of one a
 * reference keeps), nothing changes, unless @in_block: then such units
 * are forgotten, and go back with their block.  All or nothing, under one
 * hold of the lock.
 *
 * Context: Any context where a spinlock_t may be taken; takes and releases
 * the instance lock with interrupts disabled.
 * Return: The number of retired units put back or forgotten (0 if none
 * was retired); -EINVAL if the range is not in the space (a caller bug,
 * warned about once); -EBUSY if a retired unit is inside an allocated
 * block and not @in_block.  Nothing changes on error.
 */
int potad_unretire(struct potad *pa, unsigned long start, unsigned long nr,
		   bool in_block)
{
	struct potad_retired *t, *next;
	unsigned long off, flags;
	int ret = 0;

	spin_lock_irqsave(&pa->lock, flags);
	if (WARN_ONCE(!potad_in_space(pa, start, nr, &off),
		      "potad: %s: unretiring units %lx+%lx outside the space\n",
		      pa->name, start, nr)) {
		ret = -EINVAL;
		goto unlock;
	}
	for (t = __potad_retired_from(pa, off); t && t->n.off < off + nr;
	     t = potad_retired_next(t)) {
		if (t->allocated && !in_block) {
			ret = -EBUSY;
			goto unlock;
		}
	}
	for (t = __potad_retired_from(pa, off); t && t->n.off < off + nr;
	     t = next) {
		next = potad_retired_next(t);
		rb_erase(&t->n.node, &pa->retired);
		if (!t->allocated) {
			__potad_free_span(pa, t->n.off, t->n.off + 1);
			pa->stats.units_retired--;
			pa->stats.units_free++;
		}
		ret++;
		kfree(t);
	}
unlock:
	spin_unlock_irqrestore(&pa->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(potad_unretire);

/**
 * potad_is_retired() - Is a unit retired?
 * @pa: The instance.
 * @unit: Absolute unit number.
 * @in_block: If not NULL and @unit is retired, set to whether it is still
 *	inside an allocated block, or in the part of a freed one a
 *	reference keeps (potad_unretire() without @in_block would refuse
 *	it).
 *
 * Context: Any context where a spinlock_t may be taken; takes and releases
 * the instance lock with interrupts disabled.
 * Return: True if @unit is in the space and retired.  Only
 * potad_unretire() and withdrawing the range make it false again; frees
 * may turn *@in_block from true to false meanwhile, never back.
 */
bool potad_is_retired(struct potad *pa, unsigned long unit, bool *in_block)
{
	struct potad_retired *t;
	unsigned long off, flags;
	bool ret = false;

	spin_lock_irqsave(&pa->lock, flags);
	if (potad_in_space(pa, unit, 1, &off)) {
		t = __potad_retired_from(pa, off);
		ret = t && t->n.off == off;
		if (ret && in_block)
			*in_block = t->allocated;
	}
	spin_unlock_irqrestore(&pa->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(potad_is_retired);

/**
 * potad_get_stats() - Read an instance's counters.
 * @pa: The instance.
 * @stats: Filled with a snapshot.
 *
 * units_total == units_free + units_allocated + units_retired, where
 * units_retired counts the retired units outside allocated blocks.  The
 * counters under the instance lock are a consistent snapshot; those of
 * per-cpu caches (units_cached, and their part of nr_allocs, nr_frees,
 * units_free and units_allocated) are read without their locks, so they
 * are exact only while no allocation or free runs.
 *
 * Context: Any context where a spinlock_t may be taken; takes and
 * releases the instance lock with interrupts disabled.
 */
void potad_get_stats(struct potad *pa, struct potad_stats *stats)
{
	unsigned long flags;
	int cpu;

	spin_lock_irqsave(&pa->lock, flags);
	*stats = pa->stats;
	spin_unlock_irqrestore(&pa->lock, flags);
	if (!pa->pcp)
		return;
	/* Read without their locks: exact only while nothing runs. */
	for_each_possible_cpu(cpu) {
		struct potad_pcp *pcp = per_cpu_ptr(pa->pcp, cpu);

		/* Racy reads of counters, for a snapshot. */
		stats->units_cached += data_race(pcp->units);
		/* As above. */
		stats->nr_allocs += data_race(pcp->nr_allocs);
		/* As above. */
		stats->nr_frees += data_race(pcp->nr_frees);
	}
	/* Caches refilled after the locked snapshot: no wrap-around. */
	stats->units_cached = min(stats->units_cached, stats->units_allocated);
	stats->units_free += stats->units_cached;
	stats->units_allocated -= stats->units_cached;
}
EXPORT_SYMBOL_GPL(potad_get_stats);

/**
 * potad_units_free() - Free units of an instance, at a glance.
 * @pa: The instance.
 *
 * As potad_get_stats()'s units_free, without the instance lock: for
 * reports such as /proc/meminfo.
 *
 * Context: Any context.
 * Return: The free units, cached ones included, as last seen.
 */
unsigned long potad_units_free(struct potad *pa)
{
	unsigned long free;
	int cpu;

	/* A report, as last seen: the lock is not taken. */
	free = data_race(pa->stats.units_free);
	if (!pa->pcp)
		return free;
	for_each_possible_cpu(cpu) {
		/* As above, the cache's count without its lock. */
		free += data_race(per_cpu_ptr(pa->pcp, cpu)->units);
	}
	/* A drain credits the instance before its cache: at most all. */
	return min(free, data_race(pa->stats.units_total));
}
EXPORT_SYMBOL_GPL(potad_units_free);
