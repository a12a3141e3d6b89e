// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD zone instances: POTAD over the machine's memory.
 *
 * This file owns the POTAD instance of every populated zone (a memory
 * space of 4 KB units, unit number == pfn, spanning the zone), the kernel
 * API that allocates from them by gfp (potad_alloc_node()), the memory
 * they take from and give back to the buddy allocator, and the memory
 * reserved for them at boot with potad=:
 *
 *	potad=<size>			spread evenly over the nodes with memory
 *	potad=<node>:<size>[,<node>:<size>...]
 *
 * Where memory comes from:
 *
 * - The reservation is taken from memblock in setup_arch(), next to
 *   hugetlb_cma_reserve() and long before memblock hands its free memory
 *   to the buddy allocator, in maximal naturally aligned pieces (a 1 GB
 *   request is one 1 GB-aligned piece when memory allows).  It never
 *   enters the buddy allocator; its struct pages are initialised as
 *   reserved pages by memblock_free_all().  Once slab is up, a
 *   core_initcall sets up the zone instances and adds each piece to the
 *   instance of the zone holding it, where it is carved into maximal
 *   aligned blocks: blocks far beyond MAX_PAGE_ORDER.  It is never given
 *   back.
 * - Elastic memory: an allocation of order <= MAX_PAGE_ORDER that finds
 *   every zone of its zonelist dry takes a MAX_PAGE_ORDER block from the
 *   buddy allocator with the caller's gfp (the buddy allocator picks the
 *   zone, with its watermarks, reclaim and compaction as that gfp
 *   allows), adds it to that zone's instance and allocates from it.
 *
 * How it goes back: a MAX_PAGE_ORDER block that came from the buddy
 * allocator goes back to it once it is entirely free again and the
 * instance holds more free memory than its reservation plus a high mark
 * (struct potad_zone_inst.high), so that alloc/free cycles around the
 * boundary do not take and give back the same block each time; under
 * memory pressure a shrinker gives back every entirely free one.
 * Neither holds the instance lock while calling into the buddy allocator:
 * the block is taken out of the instance first (potad_take_range()),
 * then freed.
 *
 * Struct pages: every page a zone instance holds, free or handed out, is a
 * reserved page with one reference, as the reservation's pages are from
 * boot (see potad_hold_pages()).  Users that need other page state (the
 * hugetlb folios of mm/potad_hugetlb.c) set it up on allocation and put
 * it back before the free.
 *
 * Accounting: reserved memory is not in MemTotal (like memory reserved
 * for boot-time gigantic pages); elastic memory is, and the buddy
 * allocator counts it as allocated, not free, while POTAD holds it.
 * /proc/meminfo shows PotadTotal and PotadFree over both; /proc/vmstat
 * counts allocations, frees, failures, refills and returns.
 *
 * Blocks smaller than a page (512 B..2 KB) come from a sub-page instance
 * per zone, of 512 B units, nested in the zone instance: it takes 64 KB
 * blocks ("chunks") from it and gives them back as the zone instance does
 * with the buddy allocator (struct potad_pool does both).  Small blocks
 * are taken from free blocks no larger than MAX_PAGE_ORDER first, then
 * from a refill, and only then by splitting a reservation block.
 *
 * Memory hotplug: memory onlined outside the ranges of its zone's
 * instances gets instances of its own, an "extent" of the zone (struct
 * potad_zone_inst.next), set up before its pages reach the buddy
 * allocator (potad_memory_callback()).  Offlining a range fails with
 * -EBUSY while POTAD holds a page of it, because those are reserved
 * pages; otherwise it goes as without POTAD.  Extents are never freed.
 *
 * Locking: the table of zone instances and the extent lists are written
 * under potad_zones_lock (by the initcall, then by memory hotplug) and
 * published with release stores once set up; readers take no lock.  The
 * reservation table is written only during boot.  Each instance has its
 * own lock (mm/potad.c); the elastic bitmap is changed with atomic bit
 * operations, and a block's bit is cleared by whoever takes the block out
 * to give it back, so only one CPU tries.
 *
 * Cost: potad_zone() is two array indexes; finding the instance of an
 * address walks its zone's extents (one without hotplug).  An allocation
 * tries the instances of its zonelist in order, skipping those without a
 * free block of a fitting order without taking their lock; a refill adds one range
 * node unless the chunk extends a range.  A free tests one bit per chunk
 * it covers.  Each zone instance costs the core's metadata for the zone's
 * span (about 2 bits per 4 KB unit), its sub-page instance 2 bits per
 * 512 B unit of the same span (about 0.05% of it), and two bits per chunk.
 */

#define pr_fmt(fmt) "potad: " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kmemleak.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/overflow.h>
#include <linux/nodemask.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include "internal.h"
#include "potad_internal.h"

/* Pages of a block taken from the buddy allocator. */
#define POTAD_ELASTIC_PAGES	MAX_ORDER_NR_PAGES

/* Default high mark: free elastic pages kept. */
#define POTAD_ZONE_HIGH		(2 * POTAD_ELASTIC_PAGES)

/* Refills one allocation may make before it gives up. */
#define POTAD_REFILL_TRIES	3

/*
 * Blocks below a page: an instance of 512 B units per zone, nested in
 * the zone instance, which gives it 64 KB blocks (chunks) of its own.
 */
#define POTAD_SUB_SHIFT		POTAD_MIN_UNIT_SHIFT
#define POTAD_SUB_CHUNK_SHIFT	16
#define POTAD_SUB_PAGE_SHIFT	(PAGE_SHIFT - POTAD_SUB_SHIFT)
/* Largest order a sub-page instance caches per CPU: 2 KB with 4 KB pages. */
#define POTAD_SUB_PCP_ORDER	min(PAGE_SHIFT - 1 - POTAD_SUB_SHIFT, \
				    PAGE_ALLOC_COSTLY_ORDER)
/* Default high mark of a sub-page instance, in 512 B units: two chunks. */
#define POTAD_SUB_HIGH		(2 * BIT(POTAD_SUB_CHUNK_SHIFT - POTAD_SUB_SHIFT))

struct potad_pool;

/**
 * struct potad_pool_ops - Where a pool's chunks come from.
 * @get: Get a chunk for an allocation with @gfp on @nid; return the pool
 *	it belongs to and its first unit in *@start, or NULL.
 * @put: Give back the chunk at @start, taken out of @pool already.
 * @events: Count refills and returns in /proc/vmstat.
 */
struct potad_pool_ops {
	struct potad_pool *(*get)(gfp_t gfp, int nid, unsigned long *start);
	void (*put)(struct potad_pool *pool, unsigned long start);
	bool events;
};

/**
 * struct potad_pool - An instance that grows and shrinks by chunks.
 * @pa: The instance.
 * @zi: The zone instance it belongs to.
 * @ops: Where its chunks come from.
 * @chunk_shift: log2 of the units in a chunk.
 * @high: Free units in chunks the pool keeps; above that, chunks go back
 *	as soon as they are entirely free.
 * @held: One bit per chunk-aligned piece of the span, from @bit_base:
 *	set from just before a chunk there is added to @pa until it has been
 *	taken out again.
 * @claimed: One bit per piece, set while a CPU tries to take the chunk
 *	out, so that no other CPU tries at the same time.
 * @bit_base: First unit of the span >> @chunk_shift: bit 0.
 * @nr_bits: Bits in @held and @claimed.
 * @shrink_cursor: Bit the shrinker's next scan starts at.
 * @nr_held: Units in chunks held.
 * @held_free: Free units in chunks held (counted when their owner frees
 *	them, even if a reference defers their return to the free space).
 * @refills: Chunks taken.
 * @returns: Chunks given back.
 */
struct potad_pool {
	struct potad pa;
	struct potad_zone_inst *zi;
	const struct potad_pool_ops *ops;
	unsigned int chunk_shift;
	long high;
	unsigned long *held;
	unsigned long *claimed;
	unsigned long bit_base;
	unsigned long nr_bits;
	unsigned long shrink_cursor;
	atomic_long_t nr_held;
	atomic_long_t held_free;
	atomic_long_t refills;
	atomic_long_t returns;
};

/**
 * struct potad_zone_inst - The POTAD instances of a zone, over a pfn range.
 * @main: The zone instance, 4 KB units; potad_zone() returns its @pa.
 *	Its chunks are MAX_PAGE_ORDER blocks from the buddy allocator.
 * @sub: The sub-page instance, 512 B units; its chunks are 64 KB blocks
 *	of @main.
 * @zone: The zone.
 * @start_pfn: First pfn of the range (the space may start lower).
 * @end_pfn: The pfn after it.
 * @next: The zone's next extent: an instance pair set up for memory
 *	onlined outside the ranges of the zone's earlier ones (memory
 *	hotplug); published once set up, never freed.
 * @list_idx: Index of the zone's first extent in potad_zone_list.
 * @reserved: Pages of the boot reservation added to @main.
 */
struct potad_zone_inst {
	struct potad_pool main;
	struct potad_pool sub;
	struct zone *zone;
	unsigned long start_pfn;
	unsigned long end_pfn;
	struct potad_zone_inst *next;
	unsigned int list_idx;
	unsigned long reserved;
};

/* The descriptor type of a sub-page instance's chunks in the zone's. */
struct potad_type potad_subpage_type = {
	.name = "potad_subpage",
	.size = sizeof(struct potad_desc),
};

/* The reservation, as asked for on the command line. */
static struct potad_request potad_request __initdata;

/* The pieces reserved; read-only after boot. */
static struct potad_reserved potad_reserved[POTAD_MAX_RESERVED] __ro_after_init;
static unsigned int potad_nr_reserved __ro_after_init;
static bool potad_reserve_called __initdata;

/*
 * The first extent of every zone with one, by node and zone index, and
 * the same in the order they were set up; more extents of a zone follow
 * its first's @next.  Written under potad_zones_lock, read locklessly.
 */
static struct potad_zone_inst *potad_zones[MAX_NUMNODES][MAX_NR_ZONES];
static struct potad_zone_inst *potad_zone_list[MAX_NUMNODES * MAX_NR_ZONES];
static unsigned int potad_nr_zones;
static DEFINE_MUTEX(potad_zones_lock);

/* The largest order any zone instance can hand out. */
static unsigned int potad_zones_max_order;

/* See potad_parse_request(); @req is cleared by the caller. */
static int __potad_parse_request(const char *s, struct potad_request *req)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (!strchr(s, ':')) {
		req->total = memparse(s, &end);
		if (*end || !req->total)
			return -EINVAL;
		req->spread = true;
		return 0;
	}
	for (;;) {
		const char *colon = strchr(s, ':');
		char num[12];
		unsigned int nid;
		u64 size;

		if (!colon || !isdigit(*s) || colon - s >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, colon - s);
		num[colon - s] = '\0';
		if (kstrtouint(num, 10, &nid) || nid >= MAX_NUMNODES)
			return -EINVAL;
		if (req->size[nid])
			return -EINVAL;
		s = colon + 1;
		size = memparse(s, &end);
		if (end == s || !size)
			return -EINVAL;
		req->size[nid] = size;
		if (check_add_overflow(req->total, size, &req->total))
			return -EINVAL;
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}

/**
 * potad_parse_request() - Parse the argument of potad=.
 * @s: "<size>" or "<node>:<size>[,<node>:<size>...]", sizes with the
 *	usual K, M, G, T suffixes.
 * @req: Filled in on success; all zero on failure.
 *
 * Nodes are checked against MAX_NUMNODES only: whether a node has memory
 * is known later, when the memory is reserved.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if @s is not one of the forms above, names a node
 * twice or beyond MAX_NUMNODES, or asks for nothing.
 */
int potad_parse_request(const char *s, struct potad_request *req)
{
	int ret;

	memset(req, 0, sizeof(*req));
	ret = __potad_parse_request(s, req);
	if (ret)
		memset(req, 0, sizeof(*req));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(potad_parse_request);

static int __init potad_setup(char *s)
{
	if (potad_parse_request(s, &potad_request))
		pr_warn("cannot parse potad=%s, nothing reserved\n", s ?: "");
	return 0;
}
early_param("potad", potad_setup);

/*
 * Reserve @size bytes on @nid as maximal naturally aligned pieces: the
 * largest power of two left first, smaller alignments when memory is
 * fragmented.  False, with nothing reserved, if it cannot all be had.
 */
static bool __init potad_reserve_node(int nid, u64 size)
{
	unsigned int first = potad_nr_reserved;
	u64 left = size, piece = rounddown_pow_of_two(size);

	while (left) {
		phys_addr_t base = 0;

		piece = min_t(u64, piece, rounddown_pow_of_two(left));
		if (potad_nr_reserved == POTAD_MAX_RESERVED)
			goto fail;
		while (piece >= PAGE_SIZE) {
			base = memblock_alloc_range_nid(piece, piece, 0,
							MEMBLOCK_ALLOC_ACCESSIBLE,
							nid, true);
			if (base)
				break;
			piece >>= 1;
		}
		if (!base)
			goto fail;
		/* Never a kernel object: kmemleak must not scan it. */
		kmemleak_ignore_phys(base);
		potad_reserved[potad_nr_reserved++] = (struct potad_reserved){
			.base = base, .size = piece, .nid = nid,
		};
		left -= piece;
	}
	return true;
fail:
	while (potad_nr_reserved > first) {
		struct potad_reserved *r = &potad_reserved[--potad_nr_reserved];

		memblock_phys_free(r->base, r->size);
	}
	return false;
}

/**
 * potad_reserve() - Reserve the memory potad= asked for.
 *
 * Called once from setup_arch() (x86 only so far), as hugetlb_cma_reserve()
 * is: once memblock knows the nodes, and before the memory map, the KASAN
 * shadow and the like take memory from it top down (they would leave no
 * 1 GB-aligned gigabyte in a small machine).
 *
 * Bad requests get one line each and the boot goes on: more than half the
 * free memory, or a spread size that does not split into page-sized
 * shares, reserves nothing; a node without memory, a size not a multiple
 * of the page size or memory too fragmented reserves nothing on that
 * node.
 *
 * Context: Early boot, memblock.
 */
void __init potad_reserve(void)
{
	struct potad_request *req = &potad_request;
	u64 free = memblock_phys_mem_size() - memblock_reserved_size();
	int nid, nr_nodes = num_online_nodes();

	potad_reserve_called = true;
	if (!req->total)
		return;
	/* The memory map, KASAN shadow and the rest still need theirs. */
	if (req->total > free / 2) {
		pr_warn("potad=%llu bytes is more than half the free memory (%llu), nothing reserved\n",
			req->total, free);
		return;
	}
	if (req->spread) {
		u64 each = div_u64(req->total, nr_nodes);

		if (!PAGE_ALIGNED(each) || each * nr_nodes != req->total) {
			pr_warn("potad=%llu bytes does not split into page-sized shares over %d nodes, nothing reserved\n",
				req->total, nr_nodes);
			return;
		}
		for_each_online_node(nid)
			req->size[nid] = each;
	}
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		u64 size = req->size[nid];

		if (!size)
			continue;
		if (!node_online(nid)) {
			pr_warn("node %d has no memory, nothing reserved there\n",
				nid);
			continue;
		}
		if (!PAGE_ALIGNED(size)) {
			pr_warn("%llu bytes on node %d is not a multiple of the page size, nothing reserved there\n",
				size, nid);
			continue;
		}
		if (!potad_reserve_node(nid, size))
			pr_warn("could not reserve %llu MB on node %d, nothing reserved there\n",
				size >> 20, nid);
	}
}

/**
 * potad_reserved_get() - A piece of the boot reservation.
 * @i: Which one, from 0.
 *
 * Context: Any context.
 * Return: The piece, or NULL past the last one.
 */
const struct potad_reserved *potad_reserved_get(unsigned int i)
{
	return i < potad_nr_reserved ? &potad_reserved[i] : NULL;
}
EXPORT_SYMBOL_GPL(potad_reserved_get);

/*
 * Extents are read without a lock.  Each pointer to one is published by a
 * release store in potad_extent_add() once the extent is set up; these
 * acquire loads pair with them.
 */
static struct potad_zone_inst *potad_extent_after(struct potad_zone_inst *zi)
{
	return smp_load_acquire(&zi->next); /* see above */
}

/* The first extent of @zone, or NULL. */
static struct potad_zone_inst *potad_zone_inst(struct zone *zone)
{
	/* See potad_extent_after(). */
	return smp_load_acquire(&potad_zones[zone_to_nid(zone)][zone_idx(zone)]);
}

/* Every extent of every zone, zone by zone: the one after @zi, or the first. */
static struct potad_zone_inst *potad_next_extent(struct potad_zone_inst *zi)
{
	unsigned int i = zi ? zi->list_idx + 1 : 0;

	if (zi && potad_extent_after(zi))
		return potad_extent_after(zi);
	/* See potad_extent_after(). */
	return i < smp_load_acquire(&potad_nr_zones) ?
	       READ_ONCE(potad_zone_list[i]) : NULL;
}

/* The extent of @zone whose range holds @pfn, or NULL. */
static struct potad_zone_inst *potad_zone_inst_pfn(struct zone *zone,
						   unsigned long pfn)
{
	struct potad_zone_inst *zi;

	for (zi = potad_zone_inst(zone); zi; zi = potad_extent_after(zi))
		if (pfn >= zi->start_pfn && pfn < zi->end_pfn)
			return zi;
	return NULL;
}

/**
 * potad_zone() - The POTAD instance of a zone.
 * @zone: A zone.
 *
 * A zone that memory hotplug grew beyond its boot span has more instances
 * (one per range onlined outside the earlier ones); this is the first,
 * over the zone's boot span.  potad_zone_of() finds the one for an
 * address.
 *
 * Context: Any context.
 * Return: The instance, or NULL if @zone has none (no memory at boot or
 * since) or the instances are not set up yet (before core_initcall).
 */
struct potad *potad_zone(struct zone *zone)
{
	struct potad_zone_inst *zi = potad_zone_inst(zone);

	return zi ? &zi->main.pa : NULL;
}
EXPORT_SYMBOL_GPL(potad_zone);

/**
 * potad_zone_of() - The zone instance for a physical address.
 * @phys: A physical address.
 *
 * For potad_lookup(): the instance of the zone of the page holding
 * @phys, whether or not the instance holds the page.
 *
 * Context: Any context.
 * Return: The instance, or NULL if @phys is not in online memory or its
 * zone has no instance.
 */
struct potad *potad_zone_of(phys_addr_t phys)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(phys));
	struct potad_zone_inst *zi;

	if (!page)
		return NULL;
	zi = potad_zone_inst_pfn(page_zone(page), PHYS_PFN(phys));
	return zi ? &zi->main.pa : NULL;
}

/*
 * The zone instance that holds the page at @pfn (in a range it added), or
 * NULL: potad_zone_of() and its range check.
 */
struct potad *potad_zone_holding(unsigned long pfn)
{
	struct potad *pa = potad_zone_of(PFN_PHYS(pfn));

	return pa && potad_overlaps(pa, pfn, 1) ? pa : NULL;
}

/*
 * The first zone instance holding memory in pfns [@pfn, @pfn + @nr), or
 * NULL: for the directory's check that another instance does not add it,
 * and for offlining.  Every extent is asked (a range may cross several
 * that memory hotplug added); both callers are rare.  potad_overlaps()
 * skips an extent whose span misses the range without its lock.
 */
struct potad *potad_zone_overlapping(unsigned long pfn, unsigned long nr)
{
	struct potad_zone_inst *zi = NULL;

	while ((zi = potad_next_extent(zi)))
		if (potad_overlaps(&zi->main.pa, pfn, nr))
			return &zi->main.pa;
	return NULL;
}

/**
 * potad_zone_sub() - The sub-page instance nested in a zone instance.
 * @pa: A zone instance, from potad_zone_of().
 *
 * For potad_lookup(), which finds a %potad_subpage_type block in @pa.
 *
 * Context: Any context.
 * Return: The sub-page instance.
 */
struct potad *potad_zone_sub(struct potad *pa)
{
	return &container_of(pa, struct potad_pool, pa)->zi->sub.pa;
}
EXPORT_SYMBOL_IF_KUNIT(potad_zone_sub);

/*
 * A counter of an instance read without its lock: for decisions that the
 * locked operation checks again, and for reports.
 */
static unsigned long potad_peek(const unsigned long *counter)
{
	return data_race(*counter); /* a hint: the lock decides */
}

/* The bit of the chunk-aligned piece holding @unit. */
static unsigned long potad_pool_bit(struct potad_pool *pool,
				    unsigned long unit)
{
	return (unit >> pool->chunk_shift) - pool->bit_base;
}

static unsigned long potad_pool_unit(struct potad_pool *pool,
				     unsigned long bit)
{
	return (pool->bit_base + bit) << pool->chunk_shift;
}

/*
 * Every page a zone instance holds looks like the reservation's pages do:
 * PageReserved with a reference count of one, whether it is free in the
 * instance or handed out as memory.  So pfn walkers (compaction, memory
 * offlining, /proc/kpageflags) see pages nobody may touch, and a block is
 * the same to its user wherever it came from.  These two convert a
 * MAX_PAGE_ORDER block between that and what alloc_pages() gives and
 * __free_pages() takes (a non-compound block: the first page holds the
 * reference).
 */
static void potad_hold_pages(struct page *page)
{
	unsigned long i;

	for (i = 0; i < POTAD_ELASTIC_PAGES; i++, page++) {
		SetPageReserved(page);
		if (i)
			set_page_count(page, 1);
	}
}

static void potad_unhold_pages(struct page *page)
{
	unsigned long i;

	for (i = 0; i < POTAD_ELASTIC_PAGES; i++, page++) {
		ClearPageReserved(page);
		if (i)
			set_page_count(page, 0);
	}
}

/*
 * Count the units of [unit, unit + nr) that lie in held chunks as @sign
 * free units.  A chunk that holds allocated units cannot be taken out,
 * and one not yet added holds none, so the bits read here are the bits
 * read when the same units come back.
 */
static void potad_pool_account(struct potad_pool *pool, unsigned long unit,
			       unsigned long nr, long sign)
{
	unsigned long end = unit + nr;
	long delta = 0;

	while (unit < end) {
		unsigned long bit = potad_pool_bit(pool, unit);
		unsigned long next = min(end, potad_pool_unit(pool, bit + 1));

		if (test_bit(bit, pool->held))
			delta += next - unit;
		unit = next;
	}
	if (delta)
		atomic_long_add(sign * delta, &pool->held_free);
}

/* The bit of @unit's chunk if it lies in @pool's span, or -1. */
static long potad_pool_bit_of(struct potad_pool *pool, unsigned long unit)
{
	unsigned long bit = potad_pool_bit(pool, unit);

	return bit < pool->nr_bits ? bit : -1;
}

/**
 * potad_zone_retire() - Retire a unit of a zone or sub-page instance.
 * @pa: A zone instance (potad_zone_of()) or the sub-page instance in one
 *	(potad_zone_sub()).
 * @unit: The unit: a pfn, or a 512 B unit number.
 * @holder: As for potad_retire().
 *
 * potad_retire() with the pool's counts kept: from the moment it is
 * retired, the unit is not counted as free in its chunk, even once its
 * block is freed, so the high mark and the shrinker see only what can go
 * back.  A chunk that holds a retired unit never goes back.  A chunk on
 * its way in (a refill adding it) or out (a return taking it out) is
 * waited for, so that the unit is retired in the instance or left to
 * where it is going.
 *
 * Context: Process context, may sleep.
 * Return: As potad_retire(), never -ENOMEM.
 */
int potad_zone_retire(struct potad *pa, unsigned long unit,
		      struct potad_desc **holder)
{
	struct potad_pool *pool = container_of(pa, struct potad_pool, pa);
	long bit = potad_pool_bit_of(pool, unit);
	int ret;

	might_sleep();
	for (;;) {
		ret = potad_retire(pa, unit, GFP_KERNEL | __GFP_NOFAIL, holder);
		/* Held but not in the instance: in flight, for a moment. */
		if (ret != -ENOENT || bit < 0 || !test_bit(bit, pool->held))
			break;
		cond_resched();
	}
	if (!ret)
		potad_pool_account(pool, unit, 1, -1);
	return ret;
}

/**
 * potad_zone_unretire() - Undo potad_zone_retire() on a range of units.
 * @pa: As for potad_zone_retire().
 * @start: The first unit.
 * @nr: Units, all in one chunk-aligned piece.
 * @in_block: As for potad_unretire().
 *
 * Each unit put back or forgotten is counted in its chunk again (one
 * forgotten inside a block is counted free when the block is freed, as
 * its other units are), while no CPU can give the chunk back: its claim
 * bit is held across both (a CPU giving a chunk back holds it only for a
 * moment).
 *
 * Context: Process context, may sleep.
 * Return: As potad_unretire().
 */
int potad_zone_unretire(struct potad *pa, unsigned long start,
			unsigned long nr, bool in_block)
{
	struct potad_pool *pool = container_of(pa, struct potad_pool, pa);
	long bit = potad_pool_bit_of(pool, start);
	int ret;

	might_sleep();
	if (bit >= 0)
		while (test_and_set_bit_lock(bit, pool->claimed))
			cond_resched();
	ret = potad_unretire(pa, start, nr, in_block);
	if (ret > 0)
		potad_pool_account(pool, start, ret, 1);
	if (bit >= 0)
		clear_bit_unlock(bit, pool->claimed);
	return ret;
}

/*
 * Get a chunk with @ops for an allocation with @gfp on @nid and add it to
 * the pool it belongs to.  No instance lock is held across @ops->get().
 * Returns that pool, or NULL.
 */
static struct potad_pool *potad_pool_refill(const struct potad_pool_ops *ops,
					    gfp_t gfp, int nid)
{
	struct potad_pool *pool;
	unsigned long start, bit;

	pool = ops->get(gfp, nid, &start);
	if (!pool)
		goto fail;
	bit = potad_pool_bit(pool, start);
	/*
	 * Held before it is added, so that allocations from it are counted;
	 * a CPU giving chunks back may see the bit before the range is in
	 * the instance, and potad_take_range() then fails quietly.  One that
	 * takes it out before the counts below are added leaves them right
	 * once they are.
	 */
	set_bit(bit, pool->held);
	if (potad_add_range_gfp(&pool->pa, start, BIT(pool->chunk_shift),
				gfp & GFP_RECLAIM_MASK)) {
		clear_bit(bit, pool->held);
		ops->put(pool, start);
		goto fail;
	}
	atomic_long_add(BIT(pool->chunk_shift), &pool->held_free);
	atomic_long_add(BIT(pool->chunk_shift), &pool->nr_held);
	atomic_long_inc(&pool->refills);
	if (ops->events)
		count_vm_event(POTAD_REFILL);
	return pool;
fail:
	if (ops->events)
		count_vm_event(POTAD_REFILL_FAIL);
	return NULL;
}

/*
 * Give the chunk of @bit back if it is entirely free and holds no retired
 * unit.  True if it went back.
 */
static bool potad_pool_return(struct potad_pool *pool, unsigned long bit)
{
	unsigned long start = potad_pool_unit(pool, bit);

	if (test_and_set_bit_lock(bit, pool->claimed))
		return false;
	if (!test_bit(bit, pool->held) ||
	    potad_take_range(&pool->pa, start, BIT(pool->chunk_shift),
			     GFP_NOWAIT | __GFP_NOWARN)) {
		clear_bit_unlock(bit, pool->claimed);
		return false;
	}
	atomic_long_sub(BIT(pool->chunk_shift), &pool->held_free);
	atomic_long_sub(BIT(pool->chunk_shift), &pool->nr_held);
	clear_bit(bit, pool->held);
	clear_bit_unlock(bit, pool->claimed);
	atomic_long_inc(&pool->returns);
	if (pool->ops->events)
		count_vm_event(POTAD_RETURN);
	pool->ops->put(pool, start);
	return true;
}

/* More free units in chunks than the high mark? */
static bool potad_pool_above_high(struct potad_pool *pool)
{
	return atomic_long_read(&pool->held_free) > READ_ONCE(pool->high);
}

/*
 * After a free of [unit, unit + nr): give back the chunks it touched that
 * are entirely free now, while above the high mark.
 */
static void potad_pool_return_freed(struct potad_pool *pool,
				    unsigned long unit, unsigned long nr)
{
	unsigned long bit = potad_pool_bit(pool, unit);
	unsigned long last = potad_pool_bit(pool, unit + nr - 1);

	for (; bit <= last; bit++) {
		if (!test_bit(bit, pool->held))
			continue;
		if (!potad_pool_above_high(pool))
			return;
		potad_pool_return(pool, bit);
	}
}

/*
 * After a free of [unit, unit + nr): above the high mark, blocks in the
 * per-cpu caches would keep their chunks from going back, so they are
 * given back first, each followed by potad_pool_return_freed() (as the
 * buddy allocator drains its per-cpu lists when it must); then the chunks
 * the free touched.  Below the high mark nothing is given back, and the
 * caches stay.
 */
static void potad_pool_freed(struct potad_pool *pool, unsigned long unit,
			     unsigned long nr)
{
	if (!potad_pool_above_high(pool))
		return;
	potad_pcp_drain(&pool->pa);
	potad_pool_return_freed(pool, unit, nr);
}

/* A per-cpu cache gave back a block: as after a free of it. */
static void potad_pool_drained(struct potad *pa, unsigned long start,
			       unsigned int order)
{
	potad_pool_return_freed(container_of(pa, struct potad_pool, pa),
				start, BIT(order));
}

/*
 * Give back up to @nr units of entirely free chunks of @pool, from its
 * cursor on and around once at most.
 */
static unsigned long potad_pool_shrink(struct potad_pool *pool,
				       unsigned long nr)
{
	unsigned long cursor = READ_ONCE(pool->shrink_cursor), bit, freed = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bit = pass ? 0 : cursor;
		for_each_set_bit_from(bit, pool->held,
				      pass ? cursor : pool->nr_bits) {
			if (potad_pool_return(pool, bit))
				freed += BIT(pool->chunk_shift);
			cond_resched();
			if (freed >= nr) {
				WRITE_ONCE(pool->shrink_cursor, bit + 1);
				return freed;
			}
		}
	}
	return freed;
}

/*
 * The gfp of a refill from the buddy allocator: the caller's reclaim, zone
 * and node constraints, but never the emergency reserves (__GFP_HIGH,
 * __GFP_MEMALLOC, and with __GFP_NOMEMALLOC no ALLOC_HIGHATOMIC for an
 * atomic caller): a 4 KB request must not take 4 MB from them.  POTAD
 * memory is not movable.
 */
static gfp_t potad_refill_gfp(gfp_t gfp)
{
	gfp &= GFP_RECLAIM_MASK | GFP_ZONEMASK | GFP_CONSTRAINT_MASK;
	gfp &= ~(__GFP_MOVABLE | __GFP_HIGH | __GFP_MEMALLOC);
	return gfp | __GFP_NOWARN | __GFP_NOMEMALLOC;
}

/* Zone instances: MAX_PAGE_ORDER blocks from the buddy allocator. */
static struct potad_pool *potad_main_get(gfp_t gfp, int nid,
					 unsigned long *start)
{
	struct potad_zone_inst *zi;
	struct page *page;

	page = alloc_pages_node(nid, potad_refill_gfp(gfp), MAX_PAGE_ORDER);
	if (!page)
		return NULL;
	zi = potad_zone_inst_pfn(page_zone(page), page_to_pfn(page));
	if (!zi) {
		__free_pages(page, MAX_PAGE_ORDER);
		return NULL;
	}
	potad_hold_pages(page);
	*start = page_to_pfn(page);
	return &zi->main;
}

static void potad_main_put(struct potad_pool *pool, unsigned long start)
{
	potad_unhold_pages(pfn_to_page(start));
	__free_pages(pfn_to_page(start), MAX_PAGE_ORDER);
}

static const struct potad_pool_ops potad_main_ops = {
	.get = potad_main_get,
	.put = potad_main_put,
	.events = true,
};

/* Sub-page instances: 64 KB blocks of the zone instances. */
static struct potad_pool *potad_sub_get(gfp_t gfp, int nid,
					unsigned long *start)
{
	struct potad_desc *chunk;
	struct potad_pool *main;

	chunk = potad_alloc_node(&potad_subpage_type, POTAD_SUB_CHUNK_SHIFT,
				 (gfp & ~__GFP_ZERO) | __GFP_NOWARN, nid, NULL);
	if (IS_ERR(chunk))
		return NULL;
	main = container_of(chunk->potad, struct potad_pool, pa);
	*start = chunk->start << POTAD_SUB_PAGE_SHIFT;
	return &main->zi->sub;
}

static void potad_sub_put(struct potad_pool *pool, unsigned long start)
{
	struct potad *main = &pool->zi->main.pa;
	struct potad_desc *chunk;

	/* Allocated, and only the CPU that claimed it frees it: it stays. */
	rcu_read_lock();
	chunk = potad_index_load(main, start >> POTAD_SUB_PAGE_SHIFT);
	rcu_read_unlock();
	if (WARN_ON_ONCE(!chunk || chunk->type != &potad_subpage_type))
		return;
	potad_free_mem(chunk);
}

static const struct potad_pool_ops potad_sub_ops = {
	.get = potad_sub_get,
	.put = potad_sub_put,
};

/*
 * Zero the first @nr units of the block, a page at a time, rescheduling
 * if @gfp may sleep.  Poisoned pages are left alone, as the buddy
 * allocator leaves them: touching them may raise a machine check.
 */
static void potad_clear_block(struct potad_desc *desc, unsigned long nr,
			      gfp_t gfp)
{
	unsigned long i;

	if (desc->potad->unit_shift < PAGE_SHIFT) {
		void *virt = potad_desc_virt(desc);

		if (!PageHWPoison(virt_to_page(virt)))
			memset(virt, 0, nr << desc->potad->unit_shift);
		return;
	}
	for (i = 0; i < nr; i++) {
		struct page *page = pfn_to_page(desc->start + i);

		if (!PageHWPoison(page))
			clear_highpage(page);
		if (gfpflags_allow_blocking(gfp) && i % 1024 == 1023)
			cond_resched();
	}
}

/* Has @pa a free block of an order in [@order, @top]?  A hint, unlocked. */
static bool potad_has_free(struct potad *pa, unsigned int order,
			   unsigned int top)
{
	unsigned int k;

	for (k = order; k <= min(top, pa->max_order); k++)
		if (potad_peek(&pa->stats.nr_free[k]))
			return true;
	return false;
}

/*
 * The largest order of free block an allocation of @order that a refill
 * could serve may split in @pool, or -1 to skip the instance: @top if it
 * has a free block of an order in [@order, @top] (a hint, unlocked).
 * Entirely free chunks next to each other merge into blocks above @top:
 * if there may be some (two chunks' worth of held units free, and a free
 * block above @top), any order, where the smallest fitting block is the
 * merged one unless a smaller piece of the reservation is free.
 */
static int potad_fit_top(struct potad_pool *pool, unsigned int order,
			 unsigned int top)
{
	struct potad *pa = &pool->pa;

	if (order > pa->max_order)
		return -1;
	if (potad_pcp_peek(pa, order) || potad_has_free(pa, order, top))
		return top;
	if (top < pa->max_order &&
	    atomic_long_read(&pool->held_free) >=
	    (long)(2 * BIT(pool->chunk_shift)) &&
	    potad_has_free(pa, top + 1, pa->max_order))
		return POTAD_NR_ORDERS;
	return -1;
}

/*
 * One pass over the zonelist, without refilling, in the zone instances
 * or (@sub) their sub-page instances, splitting free blocks of at most
 * order @top (see potad_fit_top()): 0, -ENOSPC, ...
 */
static int potad_alloc_zonelist(struct potad_desc *desc,
				const struct potad_type *type,
				unsigned int order, gfp_t gfp, int nid,
				void *owner, bool sub, unsigned int top)
{
	struct zonelist *zonelist;
	struct zoneref *z;
	struct zone *zone;

	/* Not movable memory: ZONE_MOVABLE is for movable allocations. */
	gfp &= ~__GFP_MOVABLE;
	zonelist = node_zonelist(nid, gfp);
	for_each_zone_zonelist(zone, z, zonelist, gfp_zone(gfp)) {
		struct potad_zone_inst *zi;

		for (zi = potad_zone_inst(zone); zi;
		     zi = potad_extent_after(zi)) {
			struct potad_pool *pool = sub ? &zi->sub : &zi->main;
			int ret, fit;

			/* Not worth the lock: no free block of a fitting order. */
			fit = potad_fit_top(pool, order, top);
			if (fit < 0)
				continue;
			ret = potad_alloc_into(&pool->pa, desc, type, order, fit,
					       owner, gfp & GFP_RECLAIM_MASK);
			if (ret != -ENOSPC)
				return ret;
		}
	}
	return -ENOSPC;
}

/*
 * Drain the per-cpu caches of every zone instance (@sub: sub-page
 * instance) that caches anything.  True if one did.
 */
static bool potad_drain_cached(bool sub)
{
	struct potad_zone_inst *zi = NULL;
	bool any = false;

	while ((zi = potad_next_extent(zi))) {
		struct potad *pa = sub ? &zi->sub.pa : &zi->main.pa;

		if (!potad_pcp_units(pa))
			continue;
		potad_pcp_drain(pa);
		any = true;
	}
	return any;
}

/**
 * potad_alloc_node() - Allocate a naturally aligned block of memory.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @shift: The block is 2^@shift bytes, and aligned to that.  From 512 B
 *	(%POTAD_MIN_UNIT_SHIFT) up to the largest block a zone instance can
 *	hold (1 GB and beyond from the potad= reservation).
 * @gfp: Chooses the zones as for alloc_pages(), following the zonelist of
 *	@nid: %GFP_KERNEL, %GFP_DMA32, %GFP_ATOMIC, %GFP_NOWAIT ...;
 *	%__GFP_ZERO zeroes the block (so does init_on_alloc), %__GFP_NOWARN
 *	silences the failure message.  The reclaim flags apply to the
 *	descriptor, the index and refills from the buddy allocator, which
 *	never dip into the emergency reserves.  %__GFP_MOVABLE is ignored
 *	(POTAD memory is not movable); %__GFP_NOFAIL is not supported;
 *	%__GFP_ACCOUNT is not charged.
 * @nid: Preferred node, or %NUMA_NO_NODE for the nearest one.
 * @owner: Stored in the descriptor.
 *
 * Takes the smallest free block of at least 2^@shift bytes in the first
 * zone instance of the zonelist that has one.  A block of at most
 * MAX_PAGE_ORDER pages is taken from free blocks no larger than that if
 * there are any; else a MAX_PAGE_ORDER block is taken from the buddy
 * allocator with @gfp; only if that fails is a larger block (the
 * potad= reservation's) split for it.  Blocks smaller than a page come the same
 * way from the sub-page instance of each zone (512 B units), which takes
 * 64 KB blocks from its zone instance.  The block is found by
 * potad_lookup() until it is freed with potad_free_mem().  Zeroing a
 * large block with a @gfp that cannot sleep takes as long as it takes,
 * without rescheduling.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep (process context with %GFP_KERNEL); takes and releases instance
 * locks with interrupts disabled, and not across the buddy allocator.
 * Return: The descriptor; potad_desc_phys() and potad_desc_virt() give
 * the block's addresses.  ERR_PTR(-EINVAL) for a bad @type, @shift below
 * %POTAD_MIN_UNIT_SHIFT or beyond BITS_PER_LONG, or %__GFP_NOFAIL (caller
 * bugs, warned about once); -ENOMEM if the descriptor or the index could
 * not be allocated; -ENOSPC if no zone can give such a block (a refill
 * the buddy allocator refused included), with a one-line message unless
 * %__GFP_NOWARN.
 */
struct potad_desc *potad_alloc_node(const struct potad_type *type,
				    unsigned int shift, gfp_t gfp, int nid,
				    void *owner)
{
	const struct potad_pool_ops *ops = &potad_main_ops;
	unsigned int order, tries = 0;
	bool sub = false, refillable;
	struct potad_pool *pool;
	struct potad_desc *desc;
	int ret;

	if (WARN_ONCE(shift < POTAD_MIN_UNIT_SHIFT || shift >= BITS_PER_LONG ||
		      (gfp & __GFP_NOFAIL),
		      "potad: bad allocation of 2^%u bytes, gfp %pGg\n", shift,
		      &gfp))
		return ERR_PTR(-EINVAL);
	if (shift < PAGE_SHIFT) {
		sub = true;
		ops = &potad_sub_ops;
		order = shift - POTAD_SUB_SHIFT;
	} else {
		order = shift - PAGE_SHIFT;
	}
	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	desc = potad_desc_new(type, gfp & GFP_RECLAIM_MASK);
	if (IS_ERR(desc)) {
		if (type != &potad_subpage_type)
			count_vm_event(POTAD_ALLOC_FAIL);
		return desc;
	}
	if (!sub && order > READ_ONCE(potad_zones_max_order)) {
		ret = -ENOSPC;
		goto fail;
	}
	/*
	 * A block that a refill could give comes from blocks no larger than
	 * a refill first, then from a refill, and only then from splitting a
	 * larger block: the reservation keeps its large blocks for what only
	 * they can serve.
	 */
	refillable = sub || order <= MAX_PAGE_ORDER;
	ret = potad_alloc_zonelist(desc, type, order, gfp, nid, owner, sub,
				   refillable && !sub ? MAX_PAGE_ORDER :
				   POTAD_NR_ORDERS);
	while (ret == -ENOSPC && refillable && tries++ < POTAD_REFILL_TRIES) {
		pool = potad_pool_refill(ops, gfp, nid);
		if (!pool)
			break;
		ret = potad_alloc_into(&pool->pa, desc, type, order,
				       POTAD_NR_ORDERS, owner,
				       gfp & GFP_RECLAIM_MASK);
	}
	if (ret == -ENOSPC && refillable && !sub)
		ret = potad_alloc_zonelist(desc, type, order, gfp, nid, owner,
					   false, POTAD_NR_ORDERS);
	/*
	 * Cached free blocks keep their buddies from merging: as the buddy
	 * allocator drains its per-cpu lists before it gives up, drain the
	 * caches and try once more.
	 */
	if (ret == -ENOSPC && potad_drain_cached(sub))
		ret = potad_alloc_zonelist(desc, type, order, gfp, nid, owner,
					   sub, POTAD_NR_ORDERS);
	if (ret)
		goto fail;
	pool = container_of(desc->potad, struct potad_pool, pa);
	potad_pool_account(pool, desc->start, potad_desc_units(desc), -1);
	/* A chunk is not a user's block: its sub-page blocks are zeroed. */
	if (type == &potad_subpage_type)
		return desc;
	if (want_init_on_alloc(gfp))
		potad_clear_block(desc, potad_desc_units(desc), gfp);
	count_vm_event(POTAD_ALLOC);
	return desc;
fail:
	potad_desc_discard(type, desc);
	if (type != &potad_subpage_type)
		count_vm_event(POTAD_ALLOC_FAIL);
	if (ret == -ENOSPC && !(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("no free block of %llu bytes for %s on node %d, gfp %pGg\n",
				    BIT_ULL(shift), type->name, nid, &gfp);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(potad_alloc_node);

/**
 * potad_free_mem() - Free a block from potad_alloc_node().
 * @desc: Its descriptor.
 *
 * potad_free() on the block's instance; then the chunks it covered that
 * are entirely free go back (to the buddy allocator, or from a sub-page
 * instance to its zone instance) while the instance is above its high
 * mark.  A block referenced with potad_desc_tryget() is freed when the
 * last reference goes.
 *
 * With init_on_free the block is zeroed first, as pages freed to the buddy
 * allocator are.  A descriptor freed already is gone (slab memory,
 * released after a grace period): freeing it again is a use-after-free
 * for KASAN to report, as for kfree().
 *
 * Context: As potad_free(); never sleeps.
 * Return: 0; -EINVAL for a descriptor not from potad_alloc_node(), or one
 * found dead (caller bugs, warned about once; nothing changes).
 */
int potad_free_mem(struct potad_desc *desc)
{
	struct potad *pa = desc ? READ_ONCE(desc->potad) : NULL;
	struct potad_pool *pool;
	unsigned long start, nr;
	bool chunk;
	int ret;

	if (WARN_ONCE(!pa || !(pa->flags & POTAD_ZONE),
		      "potad: freeing a block not from a zone instance\n"))
		return -EINVAL;
	pool = container_of(pa, struct potad_pool, pa);
	/* @desc may be gone once potad_free() returns. */
	start = desc->start;
	nr = potad_desc_units(desc);
	chunk = desc->type == &potad_subpage_type;
	/*
	 * As the buddy allocator does with init_on_free, without sleeping;
	 * a chunk's sub-page blocks were zeroed one by one.  A block someone
	 * else holds a reference on is zeroed when that goes, in
	 * potad_zone_put_dead(): its units stay allocated until then.
	 */
	if (want_init_on_free() && !chunk &&
	    READ_ONCE(desc->state) == POTAD_DESC_LIVE &&
	    refcount_read(&desc->refs) == 1)
		potad_clear_block(desc, nr, GFP_NOWAIT);
	/*
	 * Counted before the units are free: until then no chunk they are
	 * in can be taken out, so the bits are those of the allocation.
	 */
	potad_pool_account(pool, start, nr, 1);
	ret = potad_free(pa, desc);
	if (ret) {
		potad_pool_account(pool, start, nr, -1);
		return ret;
	}
	if (!chunk)
		count_vm_event(POTAD_FREE);
	potad_pool_freed(pool, start, nr);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_free_mem);

/*
 * potad_desc_put() of a zone instance's block freed while referenced.  The
 * last reference gives the units back: zeroed first under init_on_free
 * (potad_free_mem() left them), and then, as after potad_free_mem(), the
 * chunks they leave entirely free may go back.  Only the holder of the
 * last reference sees a count of one on a dead block: a racing
 * potad_desc_tryget() raises it only for a moment, and then drops it in
 * potad_desc_put(), where it is the last one in turn.
 */
void potad_zone_put_dead(struct potad_desc *desc)
{
	struct potad_pool *pool = container_of(desc->potad, struct potad_pool,
					       pa);
	unsigned long start = desc->start, nr = potad_desc_units(desc);

	if (want_init_on_free() && desc->type != &potad_subpage_type &&
	    refcount_read(&desc->refs) == 1)
		potad_clear_block(desc, READ_ONCE(desc->nr_live), GFP_NOWAIT);
	if (potad_desc_put_locked(desc))
		potad_pool_freed(pool, start, nr);
}

/**
 * potad_zone_get_info() - What a zone instance holds.
 * @zone: A zone.
 * @info: Filled in.
 *
 * Context: Any context.
 * Return: 0, or -ENODEV if @zone has no instance.
 */
int potad_zone_get_info(struct zone *zone, struct potad_zone_info *info)
{
	struct potad_zone_inst *zi = potad_zone_inst(zone);

	if (!zi)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->high = READ_ONCE(zi->main.high);
	for (; zi; zi = potad_extent_after(zi)) {
		info->extents++;
		info->reserved += zi->reserved;
		info->elastic += atomic_long_read(&zi->main.nr_held);
		info->elastic_free += max(0L,
					  atomic_long_read(&zi->main.held_free));
		info->refills += atomic_long_read(&zi->main.refills);
		info->returns += atomic_long_read(&zi->main.returns);
		info->sub_units += potad_peek(&zi->sub.pa.stats.units_total);
		info->sub_free += potad_units_free(&zi->sub.pa);
		info->sub_chunks += atomic_long_read(&zi->sub.refills) -
				    atomic_long_read(&zi->sub.returns);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(potad_zone_get_info);

/**
 * potad_zone_set_high() - Set a zone instance's high mark.
 * @zone: A zone.
 * @high: Free elastic pages to keep (at most LONG_MAX).
 *
 * For each of the zone's instances.  Lowering it does not give anything
 * back by itself: the next free in an elastic block, or the shrinker,
 * does.  An instance memory hotplug adds later starts at the default.
 * The sub-page instance keeps its own high mark of two 64 KB chunks.
 *
 * Context: Any context.
 * Return: The previous high mark, or -ENODEV if @zone has no instance.
 */
long potad_zone_set_high(struct zone *zone, unsigned long high)
{
	struct potad_zone_inst *zi = potad_zone_inst(zone);
	long old;

	if (!zi)
		return -ENODEV;
	high = min_t(unsigned long, high, LONG_MAX);
	old = xchg(&zi->main.high, high);
	while ((zi = potad_extent_after(zi)))
		WRITE_ONCE(zi->main.high, high);
	return old;
}
EXPORT_SYMBOL_GPL(potad_zone_set_high);

/*
 * Pages in entirely free chunks of @pool, at most: its free units in held
 * chunks, but, unless the per-cpu caches hold blocks, no more than are in
 * free blocks of at least a chunk (the reservation's included), where
 * every entirely free chunk is.
 */
static unsigned long potad_pool_count(struct potad_pool *pool)
{
	struct potad *pa = &pool->pa;
	unsigned long blocks = 0;
	unsigned int k;
	long free;

	for (k = pool->chunk_shift; k <= pa->max_order; k++)
		blocks += potad_peek(&pa->stats.nr_free[k]) << k;
	free = atomic_long_read(&pool->held_free);
	/*
	 * Blocks in the per-cpu caches may complete chunks once a scan has
	 * given them back (it does so first): then only the held count can
	 * tell, and it may promise more than the scan finds.
	 */
	if (potad_units_free(pa) == potad_peek(&pa->stats.units_free))
		free = min_t(long, free, blocks);
	if (free <= 0)
		return 0;
	return round_down(free, BIT(pool->chunk_shift)) >>
	       (PAGE_SHIFT - min_t(unsigned int, pa->unit_shift, PAGE_SHIFT));
}

/*
 * What the shrinker may give back to the buddy allocator: entirely free
 * elastic blocks.  Sub-page chunks go back to their zone instance, not to
 * the buddy allocator; they count only if they may free an elastic block.
 */
static unsigned long potad_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct potad_zone_inst *zi;
	unsigned long count = 0;

	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		count += potad_pool_count(&zi->main);
		if (atomic_long_read(&zi->main.nr_held) &&
		    potad_pool_count(&zi->sub) >= POTAD_ELASTIC_PAGES)
			count += POTAD_ELASTIC_PAGES;
	}
	return count ?: SHRINK_EMPTY;
}

/*
 * Give back @pool's entirely free chunks and count what that gave back to
 * the buddy allocator in pages: for a sub-page pool, the elastic blocks
 * its zone instance returned meanwhile (other CPUs' returns too, but
 * those are as much reclaim's progress).
 */
static unsigned long potad_shrink_pool(struct potad_pool *pool,
				       unsigned long nr)
{
	struct potad_pool *main = &pool->zi->main;
	long before;

	if (pool == main)
		return potad_pool_shrink(pool, nr);
	before = atomic_long_read(&main->returns);
	potad_pool_shrink(pool, ULONG_MAX);
	return max(0L, atomic_long_read(&main->returns) - before) *
	       POTAD_ELASTIC_PAGES;
}

static unsigned long potad_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct potad_zone_inst *zi;
	unsigned long freed = 0;

	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		if (freed >= sc->nr_to_scan)
			break;
		/* Cached blocks keep their chunks from being entirely free. */
		potad_pcp_drain(&zi->sub.pa);
		potad_pcp_drain(&zi->main.pa);
		/* Sub-page chunks first: they may leave main blocks free. */
		freed += potad_shrink_pool(&zi->sub, ULONG_MAX);
		if (freed < sc->nr_to_scan)
			freed += potad_shrink_pool(&zi->main,
						   sc->nr_to_scan - freed);
	}
	/* Pages back in the buddy allocator are reclaim's progress. */
	mm_account_reclaimed_pages(freed);
	return freed ?: SHRINK_STOP;
}

/**
 * potad_zone_shrink_all() - Give back every entirely free chunk.
 *
 * What the shrinker does under memory pressure, for every zone at once:
 * the per-cpu caches are drained, entirely free chunks of the sub-page
 * instances go back to their zone instances, then entirely free elastic
 * blocks to the buddy allocator.
 *
 * Context: Process context, may sleep.
 * Return: Pages given back to the buddy allocator.
 */
unsigned long potad_zone_shrink_all(void)
{
	struct potad_zone_inst *zi;
	unsigned long freed = 0;

	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		potad_pcp_drain(&zi->sub.pa);
		potad_pcp_drain(&zi->main.pa);
		WRITE_ONCE(zi->sub.shrink_cursor, 0);
		potad_pool_shrink(&zi->sub, ULONG_MAX);
		WRITE_ONCE(zi->main.shrink_cursor, 0);
		freed += potad_pool_shrink(&zi->main, ULONG_MAX);
	}
	return freed;
}
EXPORT_SYMBOL_GPL(potad_zone_shrink_all);

/**
 * potad_report_meminfo() - The /proc/meminfo lines of POTAD.
 * @m: The seq_file of /proc/meminfo.
 *
 * PotadTotal: the memory the zone instances hold (the reservation and
 * what they took from the buddy allocator); PotadFree: how much of it is
 * free, free sub-page units included; PotadReserved: the reservation's
 * part of PotadTotal, the part that is not in MemTotal.
 *
 * Context: Process context.
 */
void potad_report_meminfo(struct seq_file *m)
{
	unsigned long total = 0, free = 0, sub_free = 0, reserved = 0;
	struct potad_zone_inst *zi;

	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		total += potad_peek(&zi->main.pa.stats.units_total);
		free += potad_units_free(&zi->main.pa);
		sub_free += potad_units_free(&zi->sub.pa);
		reserved += zi->reserved;
	}
	seq_printf(m, "PotadTotal:     %8lu kB\n", total << (PAGE_SHIFT - 10));
	seq_printf(m, "PotadFree:      %8lu kB\n",
		   (free << (PAGE_SHIFT - 10)) +
		   (sub_free >> (10 - POTAD_SUB_SHIFT)));
	seq_printf(m, "PotadReserved:  %8lu kB\n",
		   reserved << (PAGE_SHIFT - 10));
}

/* debugfs "zones": each zone instance, its memory and free blocks. */
static int potad_zones_show(struct seq_file *m, void *v)
{
	struct potad_zone_inst *zi;
	struct potad_stats *st;
	unsigned int k;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		potad_get_stats(&zi->main.pa, st);
		seq_printf(m, "%s pfn %#lx-%#lx max_order %u\n",
			   zi->main.pa.name, zi->start_pfn, zi->end_pfn - 1,
			   st->max_order);
		seq_printf(m, "  pages %lu free %lu allocated %lu reserved %lu elastic %lu elastic_free %lu high %lu\n",
			   st->units_total, st->units_free,
			   st->units_allocated, zi->reserved,
			   atomic_long_read(&zi->main.nr_held),
			   max(0L, atomic_long_read(&zi->main.held_free)),
			   READ_ONCE(zi->main.high));
		seq_printf(m, "  refills %lu returns %lu\n",
			   atomic_long_read(&zi->main.refills),
			   atomic_long_read(&zi->main.returns));
		seq_puts(m, "  free blocks by order:");
		for (k = 0; k <= st->max_order; k++)
			seq_printf(m, " %lu", st->nr_free[k]);
		seq_putc(m, '\n');
		potad_get_stats(&zi->sub.pa, st);
		seq_printf(m, "  subpage 512B units %lu free %lu chunks %lu free blocks by order:",
			   st->units_total, st->units_free,
			   atomic_long_read(&zi->sub.refills) -
			   atomic_long_read(&zi->sub.returns));
		for (k = 0; k <= st->max_order; k++)
			seq_printf(m, " %lu", st->nr_free[k]);
		seq_putc(m, '\n');
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_zones);

/**
 * potad_zone_debugfs() - Create the debugfs file of the zone instances.
 * @dir: /sys/kernel/debug/potad.
 *
 * Context: Process context.
 */
void potad_zone_debugfs(struct dentry *dir)
{
	debugfs_create_file("zones", 0400, dir, NULL, &potad_zones_fops);
}

/*
 * Set up @pool over units [base, base + span) with @order its largest
 * order, chunks of 2^@chunk_shift units and per-cpu caches of blocks up
 * to @pcp_order.  Its base must be aligned to its largest order.
 */
static int potad_pool_setup(struct potad_pool *pool,
			    struct potad_zone_inst *zi, const char *name,
			    unsigned int unit_shift, unsigned long base,
			    unsigned long span, unsigned int order,
			    unsigned int chunk_shift, unsigned int pcp_order,
			    const struct potad_pool_ops *ops, long high)
{
	int ret;

	pool->zi = zi;
	pool->ops = ops;
	pool->chunk_shift = chunk_shift;
	pool->high = high;
	pool->bit_base = base >> chunk_shift;
	pool->nr_bits = ((base + span - 1) >> chunk_shift) - pool->bit_base + 1;
	pool->held = bitmap_zalloc(pool->nr_bits, GFP_KERNEL);
	pool->claimed = bitmap_zalloc(pool->nr_bits, GFP_KERNEL);
	if (!pool->held || !pool->claimed) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = potad_init(&pool->pa, name, POTAD_MEMORY | POTAD_ZONE, unit_shift,
			 base, span, order);
	if (ret)
		goto fail;
	ret = potad_pcp_init(&pool->pa, pcp_order);
	if (!ret) {
		pool->pa.pcp_drained = potad_pool_drained;
		return 0;
	}
	potad_destroy(&pool->pa);
fail:
	bitmap_free(pool->held);
	bitmap_free(pool->claimed);
	return ret;
}

static void potad_pool_teardown(struct potad_pool *pool)
{
	potad_destroy(&pool->pa);
	bitmap_free(pool->held);
	bitmap_free(pool->claimed);
}

/*
 * Set up the instances of @zone over pfns [@start, @end).  The zone
 * instance's base must be aligned to its largest order: the space starts
 * at @start rounded down to the largest power of two the range spans
 * (units below it are never added, and cost at most the range's own
 * metadata again).  The sub-page instance spans the same memory in 512 B
 * units.  @extent: not the zone's first, named after @start.
 */
static struct potad_zone_inst *potad_extent_setup(struct zone *zone,
						  unsigned long start,
						  unsigned long end,
						  bool extent)
{
	unsigned int order = min_t(unsigned int, POTAD_NR_ORDERS,
				   fls_long(end - start)) - 1;
	unsigned long base = round_down(start, BIT(order));
	struct potad_zone_inst *zi;
	char *name, *sub_name;
	int ret = -ENOMEM;

	zi = kzalloc(sizeof(*zi), GFP_KERNEL);
	if (extent)
		name = kasprintf(GFP_KERNEL, "zone-%d-%s-%lx", zone_to_nid(zone),
				 zone->name, start);
	else
		name = kasprintf(GFP_KERNEL, "zone-%d-%s", zone_to_nid(zone),
				 zone->name);
	sub_name = name ? kasprintf(GFP_KERNEL, "%s-512", name) : NULL;
	if (!zi || !name || !sub_name)
		goto fail;
	ret = potad_pool_setup(&zi->main, zi, name, PAGE_SHIFT, base,
			       end - base, order, MAX_PAGE_ORDER,
			       PAGE_ALLOC_COSTLY_ORDER, &potad_main_ops,
			       POTAD_ZONE_HIGH);
	if (ret)
		goto fail;
	ret = potad_pool_setup(&zi->sub, zi, sub_name, POTAD_SUB_SHIFT,
			       base << POTAD_SUB_PAGE_SHIFT,
			       (end - base) << POTAD_SUB_PAGE_SHIFT,
			       POTAD_SUB_CHUNK_SHIFT - POTAD_SUB_SHIFT,
			       POTAD_SUB_CHUNK_SHIFT - POTAD_SUB_SHIFT,
			       POTAD_SUB_PCP_ORDER, &potad_sub_ops,
			       POTAD_SUB_HIGH);
	if (ret) {
		potad_pool_teardown(&zi->main);
		goto fail;
	}
	zi->zone = zone;
	zi->start_pfn = start;
	zi->end_pfn = end;
	return zi;
fail:
	kfree(sub_name);
	kfree(name);
	kfree(zi);
	return ERR_PTR(ret);
}

/*
 * Give @zone instances over pfns [@start, @end): its first, or an extent
 * after its others.  0 if they cover the range already; -EEXIST if they
 * cover part of it (not handled); -ENOMEM.
 */
static int potad_extent_add(struct zone *zone, unsigned long start,
			    unsigned long end)
{
	struct potad_zone_inst **slot, *zi, *last = NULL;
	int ret = 0;

	mutex_lock(&potad_zones_lock);
	slot = &potad_zones[zone_to_nid(zone)][zone_idx(zone)];
	for (zi = *slot; zi; last = zi, zi = zi->next) {
		if (start >= zi->start_pfn && end <= zi->end_pfn)
			goto unlock;
		if (start < zi->end_pfn && end > zi->start_pfn) {
			ret = -EEXIST;
			goto unlock;
		}
	}
	zi = potad_extent_setup(zone, start, end, last);
	if (IS_ERR(zi)) {
		ret = PTR_ERR(zi);
		goto unlock;
	}
	WRITE_ONCE(potad_zones_max_order,
		   max(potad_zones_max_order, zi->main.pa.max_order));
	/*
	 * Set up before it can be seen: the release stores pair with the
	 * acquire loads of potad_extent_after() and its callers.
	 */
	if (last) {
		zi->list_idx = last->list_idx;
		smp_store_release(&last->next, zi); /* see above */
	} else {
		zi->list_idx = potad_nr_zones;
		WRITE_ONCE(potad_zone_list[potad_nr_zones], zi);
		smp_store_release(slot, zi); /* see above */
		smp_store_release(&potad_nr_zones, potad_nr_zones + 1); /* above */
	}
unlock:
	mutex_unlock(&potad_zones_lock);
	return ret;
}

/*
 * Memory onlined outside the ranges of its zone's instances (hot-added
 * memory, or a zone that had none) gets an extent before the buddy
 * allocator can hand out its pages, so that refills from it have an
 * instance.  Memory onlined again where it was needs nothing.  ZONE_MOVABLE
 * gets none: POTAD memory is never movable.  A failure (-ENOMEM, or
 * -EEXIST for a range that partly overlaps an extent) fails the onlining,
 * as SLUB's notifier does: a range without an instance would hand refills
 * blocks that nothing can hold.
 * Offlining: pages POTAD holds are reserved pages, so isolation in
 * offline_pages() already refuses a range holding one with -EBUSY; a block
 * a refill added after that (taken from the buddy allocator just before
 * the isolation) is refused at MEM_GOING_OFFLINE, which comes after it.
 * Nothing is changed at either, so MEM_CANCEL_OFFLINE has nothing to undo,
 * and a range POTAD holds none of goes offline as it would without POTAD.
 */
static int potad_memory_callback(struct notifier_block *nb,
				 unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;
	struct zone *zone;
	int ret;

	if (action == MEM_GOING_OFFLINE)
		return potad_zone_overlapping(mn->start_pfn, mn->nr_pages) ?
		       notifier_from_errno(-EBUSY) : NOTIFY_OK;
	if (action != MEM_GOING_ONLINE)
		return NOTIFY_OK;
	zone = page_zone(pfn_to_page(mn->start_pfn));
	if (zone_idx(zone) == ZONE_MOVABLE)
		return NOTIFY_OK;
	ret = potad_extent_add(zone, mn->start_pfn,
			       mn->start_pfn + mn->nr_pages);
	if (ret)
		pr_warn("no instance for %#lx-%#lx onlined in zone %s of node %d: %d\n",
			mn->start_pfn, mn->start_pfn + mn->nr_pages - 1,
			zone->name, zone_to_nid(zone), ret);
	return notifier_from_errno(ret);
}

/* A CPU went offline: its cached blocks go back, as its pcp lists do. */
static int potad_cpu_dead(unsigned int cpu)
{
	struct potad_zone_inst *zi;

	for (zi = potad_next_extent(NULL); zi; zi = potad_next_extent(zi)) {
		potad_pcp_drain_cpu(&zi->sub.pa, cpu);
		potad_pcp_drain_cpu(&zi->main.pa, cpu);
	}
	return 0;
}

static int __init potad_zones_init(void)
{
	struct shrinker *shrinker;
	struct zone *zone;
	unsigned int i;

	if (potad_request.total && !potad_reserve_called)
		pr_warn("potad= is not supported on this architecture, nothing reserved\n");
	if (potad_type_register(&potad_subpage_type))
		pr_warn("no sub-page type: blocks below a page will fail\n");
	for_each_populated_zone(zone) {
		int ret = potad_extent_add(zone, zone->zone_start_pfn,
					   zone_end_pfn(zone));

		if (ret)
			pr_warn("no instance for zone %s of node %d: %d\n",
				zone->name, zone_to_nid(zone), ret);
	}
	/* Each piece, or its parts in each zone it crosses. */
	for (i = 0; i < potad_nr_reserved; i++) {
		struct potad_reserved *r = &potad_reserved[i];
		unsigned long pfn = PHYS_PFN(r->base);
		unsigned long end = PHYS_PFN(r->base + r->size);

		while (pfn < end) {
			struct zone *z = page_zone(pfn_to_page(pfn));
			struct potad_zone_inst *zi = potad_zone_inst_pfn(z, pfn);
			unsigned long stop = pfn;
			int ret;

			/* Zones may interleave (kernelcore=mirror): by pageblock. */
			do {
				stop = min(end, ALIGN(stop + 1, pageblock_nr_pages));
			} while (stop < end && page_zone(pfn_to_page(stop)) == z);

			ret = zi ? potad_add_range(&zi->main.pa, pfn,
						   stop - pfn) : -ENODEV;
			if (ret)
				pr_warn("reserved %#llx-%#llx not added to zone %s: %d\n",
					(u64)PFN_PHYS(pfn), (u64)PFN_PHYS(stop) - 1,
					z->name, ret);
			else
				zi->reserved += stop - pfn;
			pfn = stop;
		}
		pr_info("reserved %llu KB at %pa on node %d\n", r->size >> 10,
			&r->base, r->nid);
	}
	shrinker = shrinker_alloc(0, "potad-zones");
	if (shrinker) {
		/* Whole blocks go back: ask for one at a time. */
		shrinker->batch = POTAD_ELASTIC_PAGES;
		/*
		 * seeks = 0: what it holds is free memory, which costs
		 * nothing to rebuild, so reclaim asks for half of it from its
		 * first pass instead of scaling a scan down by the priority
		 * (at DEF_PRIORITY a few free blocks would be 0 objects).
		 */
		shrinker->seeks = 0;
		shrinker->count_objects = potad_shrink_count;
		shrinker->scan_objects = potad_shrink_scan;
		shrinker_register(shrinker);
	} else {
		pr_warn("no shrinker: free elastic memory goes back only on frees\n");
	}
	hotplug_memory_notifier(potad_memory_callback, DEFAULT_CALLBACK_PRI);
	if (cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/potad:dead",
				      NULL, potad_cpu_dead) < 0)
		pr_warn("no CPU hotplug callback: an offline CPU keeps its cached blocks\n");
	return 0;
}
core_initcall(potad_zones_init);
