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
 * Not here yet (see the per-zone POTAD issue): blocks smaller than a page
 * (512 B..2 KB), memory hotplug, hugetlb's gigantic pages.
 *
 * Locking: the table of zone instances is written once, by the initcall,
 * before anything can look at it, and only read afterwards.  The
 * reservation table is written only during boot.  Each instance has its
 * own lock (mm/potad.c); the elastic bitmap is changed with atomic bit
 * operations, and a block's bit is cleared by whoever takes the block out
 * to give it back, so only one CPU tries.
 *
 * Cost: potad_zone() is two array indexes.  An allocation tries the
 * instances of its zonelist in order, skipping those without enough free
 * units without taking their lock; a refill adds one range node unless
 * the block extends a range.  A free of an elastic block tests one bit.
 * Each zone instance costs the core's metadata for the zone's span
 * (about 2 bits per 4 KB unit) and one bit per MAX_PAGE_ORDER block.
 */

#define pr_fmt(fmt) "potad: " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kmemleak.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
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

/**
 * struct potad_zone_inst - The POTAD instance of a zone.
 * @pa: The instance; potad_zone() returns it.
 * @zone: The zone.
 * @reserved: Pages of the boot reservation added to @pa.
 * @high: Free elastic pages @pa keeps; above that, elastic blocks go back
 *	to the buddy allocator as soon as they are entirely free.
 * @elastic: One bit per MAX_PAGE_ORDER block of the span, from
 *	@elastic_base: set from just before the block is added to @pa until
 *	it has been taken out again.
 * @claimed: One bit per block, set while a CPU adds the block or takes it
 *	out, so that no other CPU tries to take it out meanwhile.
 * @elastic_base: pfn >> MAX_PAGE_ORDER of bit 0 of @elastic.
 * @nr_bits: Bits in @elastic and @claimed.
 * @shrink_cursor: Bit the shrinker's next scan starts at.
 * @nr_elastic: Pages held from the buddy allocator.
 * @elastic_free: Free pages in elastic blocks (counted when their owner
 *	frees them, even if a reference defers their return to the free
 *	space).
 * @refills: Blocks taken from the buddy allocator.
 * @returns: Blocks given back.
 */
struct potad_zone_inst {
	struct potad pa;
	struct zone *zone;
	unsigned long reserved;
	long high;
	unsigned long *elastic;
	unsigned long *claimed;
	unsigned long elastic_base;
	unsigned long nr_bits;
	unsigned long shrink_cursor;
	atomic_long_t nr_elastic;
	atomic_long_t elastic_free;
	atomic_long_t refills;
	atomic_long_t returns;
};

/* The reservation, as asked for on the command line. */
static struct potad_request potad_request __initdata;

/* The pieces reserved; read-only after boot. */
static struct potad_reserved potad_reserved[POTAD_MAX_RESERVED] __ro_after_init;
static unsigned int potad_nr_reserved __ro_after_init;
static bool potad_reserve_called __initdata;

/* The instance of every populated zone, by node and zone index. */
static struct potad_zone_inst *potad_zones[MAX_NUMNODES][MAX_NR_ZONES]
	__ro_after_init;
/* The same instances, in the order they were set up. */
static struct potad_zone_inst *potad_zone_list[MAX_NUMNODES * MAX_NR_ZONES]
	__ro_after_init;
static unsigned int potad_nr_zones __ro_after_init;
/* The largest order any zone instance can hand out. */
static unsigned int potad_zones_max_order __ro_after_init;

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

/**
 * potad_zone() - The POTAD instance of a zone.
 * @zone: A zone.
 *
 * Context: Any context.
 * Return: The instance, or NULL if @zone was not populated at boot or
 * the instances are not set up yet (before core_initcall).
 */
struct potad *potad_zone(struct zone *zone)
{
	struct potad_zone_inst *zi = potad_zones[zone_to_nid(zone)][zone_idx(zone)];

	return zi ? &zi->pa : NULL;
}
EXPORT_SYMBOL_GPL(potad_zone);

static struct potad_zone_inst *potad_zone_inst(struct zone *zone)
{
	return potad_zones[zone_to_nid(zone)][zone_idx(zone)];
}

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

	return page ? potad_zone(page_zone(page)) : NULL;
}

/*
 * A counter of an instance read without its lock: for decisions that the
 * locked operation checks again, and for reports.
 */
static unsigned long potad_peek(const unsigned long *counter)
{
	return data_race(*counter); /* a hint: the lock decides */
}

/* The elastic bit of the MAX_PAGE_ORDER block holding @pfn. */
static unsigned long potad_elastic_bit(struct potad_zone_inst *zi,
				       unsigned long pfn)
{
	return (pfn >> MAX_PAGE_ORDER) - zi->elastic_base;
}

static unsigned long potad_elastic_pfn(struct potad_zone_inst *zi,
				       unsigned long bit)
{
	return (zi->elastic_base + bit) << MAX_PAGE_ORDER;
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
 * Count the pages of [pfn, pfn + nr) that lie in elastic blocks as @sign
 * free pages.  A block that holds allocated units cannot be taken out, and
 * one not yet added holds none, so the bits read here are the bits read
 * when the same units come back.
 */
static void potad_account_elastic(struct potad_zone_inst *zi,
				  unsigned long pfn, unsigned long nr, long sign)
{
	unsigned long end = pfn + nr;
	long delta = 0;

	while (pfn < end) {
		unsigned long bit = potad_elastic_bit(zi, pfn);
		unsigned long next = min(end, potad_elastic_pfn(zi, bit + 1));

		if (test_bit(bit, zi->elastic))
			delta += next - pfn;
		pfn = next;
	}
	if (delta)
		atomic_long_add(sign * delta, &zi->elastic_free);
}

/*
 * The gfp of a refill: the caller's reclaim, zone and node constraints,
 * but never the emergency reserves (__GFP_HIGH, __GFP_MEMALLOC, and with
 * __GFP_NOMEMALLOC no ALLOC_HIGHATOMIC for an atomic caller): a 4 KB
 * request must not take 4 MB from them.  POTAD memory is not movable.
 */
static gfp_t potad_refill_gfp(gfp_t gfp)
{
	gfp &= GFP_RECLAIM_MASK | GFP_ZONEMASK | GFP_CONSTRAINT_MASK;
	gfp &= ~(__GFP_MOVABLE | __GFP_HIGH | __GFP_MEMALLOC);
	return gfp | __GFP_NOWARN | __GFP_NOMEMALLOC;
}

/*
 * Take a MAX_PAGE_ORDER block from the buddy allocator for an allocation
 * with @gfp on @nid, and add it to the instance of the zone it came from.
 * The instance lock is not held across the buddy allocator.  Returns
 * that instance, or NULL.
 */
static struct potad_zone_inst *potad_refill(gfp_t gfp, int nid)
{
	struct potad_zone_inst *zi;
	unsigned long pfn, bit;
	struct page *page;
	int ret;

	page = alloc_pages_node(nid, potad_refill_gfp(gfp), MAX_PAGE_ORDER);
	if (!page) {
		count_vm_event(POTAD_REFILL_FAIL);
		return NULL;
	}
	pfn = page_to_pfn(page);
	zi = potad_zone_inst(page_zone(page));
	if (!zi) {
		__free_pages(page, MAX_PAGE_ORDER);
		count_vm_event(POTAD_REFILL_FAIL);
		return NULL;
	}
	bit = potad_elastic_bit(zi, pfn);
	/* Fresh from the buddy allocator: nobody else can be at it. */
	WARN_ON_ONCE(test_and_set_bit_lock(bit, zi->claimed));
	set_bit(bit, zi->elastic);
	potad_hold_pages(page);
	ret = potad_add_range_gfp(&zi->pa, pfn, POTAD_ELASTIC_PAGES,
				  gfp & GFP_RECLAIM_MASK);
	if (ret) {
		clear_bit(bit, zi->elastic);
		clear_bit_unlock(bit, zi->claimed);
		potad_unhold_pages(page);
		__free_pages(page, MAX_PAGE_ORDER);
		count_vm_event(POTAD_REFILL_FAIL);
		return NULL;
	}
	atomic_long_add(POTAD_ELASTIC_PAGES, &zi->elastic_free);
	atomic_long_add(POTAD_ELASTIC_PAGES, &zi->nr_elastic);
	clear_bit_unlock(bit, zi->claimed);
	atomic_long_inc(&zi->refills);
	count_vm_event(POTAD_REFILL);
	return zi;
}

/*
 * Give the elastic block of @bit back to the buddy allocator if it is
 * entirely free and holds no retired page.  True if it went back.
 */
static bool potad_return(struct potad_zone_inst *zi, unsigned long bit)
{
	unsigned long pfn = potad_elastic_pfn(zi, bit);

	if (test_and_set_bit_lock(bit, zi->claimed))
		return false;
	if (!test_bit(bit, zi->elastic) ||
	    potad_take_range(&zi->pa, pfn, POTAD_ELASTIC_PAGES,
			     GFP_NOWAIT | __GFP_NOWARN)) {
		clear_bit_unlock(bit, zi->claimed);
		return false;
	}
	atomic_long_sub(POTAD_ELASTIC_PAGES, &zi->elastic_free);
	atomic_long_sub(POTAD_ELASTIC_PAGES, &zi->nr_elastic);
	clear_bit(bit, zi->elastic);
	clear_bit_unlock(bit, zi->claimed);
	atomic_long_inc(&zi->returns);
	count_vm_event(POTAD_RETURN);
	potad_unhold_pages(pfn_to_page(pfn));
	__free_pages(pfn_to_page(pfn), MAX_PAGE_ORDER);
	return true;
}

/* More free elastic pages than the high mark? */
static bool potad_above_high(struct potad_zone_inst *zi)
{
	return atomic_long_read(&zi->elastic_free) > READ_ONCE(zi->high);
}

/*
 * After a free of [pfn, pfn + nr): give back the elastic blocks it
 * touched that are entirely free now, while above the high mark.
 */
static void potad_return_freed(struct potad_zone_inst *zi, unsigned long pfn,
			       unsigned long nr)
{
	unsigned long bit = potad_elastic_bit(zi, pfn);
	unsigned long last = potad_elastic_bit(zi, pfn + nr - 1);

	for (; bit <= last; bit++) {
		if (!test_bit(bit, zi->elastic))
			continue;
		if (!potad_above_high(zi))
			return;
		potad_return(zi, bit);
	}
}

/* Zero the block, a page at a time, rescheduling if @gfp may sleep. */
static void potad_clear_block(struct potad_desc *desc, gfp_t gfp)
{
	unsigned long i, n = potad_desc_units(desc);

	for (i = 0; i < n; i++) {
		clear_highpage(pfn_to_page(desc->start + i));
		if (gfpflags_allow_blocking(gfp) && i % 1024 == 1023)
			cond_resched();
	}
}

/* One pass over the zonelist, without refilling: 0 or -ENOSPC, ... */
static int potad_alloc_zonelist(struct potad_desc *desc,
				const struct potad_type *type,
				unsigned int order, gfp_t gfp, int nid,
				void *owner)
{
	struct zonelist *zonelist;
	struct zoneref *z;
	struct zone *zone;

	/* Not movable memory: ZONE_MOVABLE is for movable allocations. */
	gfp &= ~__GFP_MOVABLE;
	zonelist = node_zonelist(nid, gfp);
	for_each_zone_zonelist(zone, z, zonelist, gfp_zone(gfp)) {
		struct potad_zone_inst *zi = potad_zone_inst(zone);
		int ret;

		/* Not worth the lock: too small, or too little free. */
		if (!zi || order > zi->pa.max_order ||
		    potad_peek(&zi->pa.stats.units_free) < BIT(order))
			continue;
		ret = potad_alloc_into(&zi->pa, desc, type, order, owner,
				       gfp & GFP_RECLAIM_MASK);
		if (ret != -ENOSPC)
			return ret;
	}
	return -ENOSPC;
}

/**
 * potad_alloc_node() - Allocate a naturally aligned block of memory.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @shift: The block is 2^@shift bytes, and aligned to that.  From
 *	PAGE_SHIFT up to the largest block a zone instance can hold (1 GB
 *	and beyond from the potad= reservation).  Blocks smaller than a page
 *	are not implemented yet.
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
 * zone instance of the zonelist that has one.  If none has, and the
 * block is no larger than MAX_PAGE_ORDER pages, takes a MAX_PAGE_ORDER
 * block from the buddy allocator with @gfp and tries again: so even a
 * 4 KB request fails when the buddy allocator cannot find or compact a
 * free MAX_PAGE_ORDER block.  The block is found by potad_lookup() until
 * it is freed with potad_free_mem().  Zeroing a large block with a @gfp
 * that cannot sleep takes as long as it takes, without rescheduling.
 *
 * Context: Any context where a spinlock_t may be taken, if @gfp does not
 * sleep (process context with %GFP_KERNEL); takes and releases instance
 * locks with interrupts disabled, and not across the buddy allocator.
 * Return: The descriptor; potad_desc_phys() and potad_desc_virt() give
 * the block's addresses.  ERR_PTR(-EINVAL) for a bad @type, @shift below
 * %POTAD_MIN_UNIT_SHIFT or beyond BITS_PER_LONG, or %__GFP_NOFAIL (caller
 * bugs, warned about once); -EOPNOTSUPP for a block smaller than a page;
 * -ENOMEM if the descriptor or the index could not be allocated; -ENOSPC
 * if no zone can give such a block (a refill the buddy allocator refused
 * included), with a one-line message unless %__GFP_NOWARN.
 */
struct potad_desc *potad_alloc_node(const struct potad_type *type,
				    unsigned int shift, gfp_t gfp, int nid,
				    void *owner)
{
	unsigned int order, tries = 0;
	struct potad_zone_inst *zi;
	struct potad_desc *desc;
	int ret;

	if (WARN_ONCE(shift < POTAD_MIN_UNIT_SHIFT || shift >= BITS_PER_LONG ||
		      (gfp & __GFP_NOFAIL),
		      "potad: bad allocation of 2^%u bytes, gfp %pGg\n", shift,
		      &gfp))
		return ERR_PTR(-EINVAL);
	if (shift < PAGE_SHIFT)
		return ERR_PTR(-EOPNOTSUPP);
	order = shift - PAGE_SHIFT;
	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	desc = potad_desc_new(type, gfp & GFP_RECLAIM_MASK);
	if (IS_ERR(desc)) {
		count_vm_event(POTAD_ALLOC_FAIL);
		return desc;
	}
	if (order > potad_zones_max_order) {
		ret = -ENOSPC;
		goto fail;
	}
	ret = potad_alloc_zonelist(desc, type, order, gfp, nid, owner);
	while (ret == -ENOSPC && order <= MAX_PAGE_ORDER &&
	       tries++ < POTAD_REFILL_TRIES) {
		zi = potad_refill(gfp, nid);
		if (!zi)
			break;
		ret = potad_alloc_into(&zi->pa, desc, type, order, owner,
				       gfp & GFP_RECLAIM_MASK);
	}
	if (ret)
		goto fail;
	zi = container_of(desc->potad, struct potad_zone_inst, pa);
	potad_account_elastic(zi, desc->start, potad_desc_units(desc), -1);
	if (want_init_on_alloc(gfp))
		potad_clear_block(desc, gfp);
	count_vm_event(POTAD_ALLOC);
	return desc;
fail:
	potad_desc_discard(type, desc);
	count_vm_event(POTAD_ALLOC_FAIL);
	if (ret == -ENOSPC && !(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("no free block of %llu KB for %s on node %d, gfp %pGg\n",
				    BIT_ULL(shift) >> 10, type->name, nid, &gfp);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(potad_alloc_node);

/**
 * potad_free_mem() - Free a block from potad_alloc_node().
 * @desc: Its descriptor.
 *
 * potad_free() on the block's zone instance; then the elastic blocks it
 * covered that are entirely free go back to the buddy allocator while the
 * instance is above its high mark.  A block referenced with
 * potad_desc_tryget() is freed when the last reference goes.
 *
 * A descriptor freed already is gone (slab memory, released after a
 * grace period): freeing it again is a use-after-free for KASAN to
 * report, as for kfree().
 *
 * Context: As potad_free(); never sleeps.
 * Return: 0; -EINVAL for a descriptor not from potad_alloc_node(), or one
 * found dead (caller bugs, warned about once; nothing changes).
 */
int potad_free_mem(struct potad_desc *desc)
{
	struct potad *pa = desc ? READ_ONCE(desc->potad) : NULL;
	struct potad_zone_inst *zi;
	unsigned long start, nr;
	int ret;

	if (WARN_ONCE(!pa || !(pa->flags & POTAD_ZONE),
		      "potad: freeing a block not from a zone instance\n"))
		return -EINVAL;
	zi = container_of(pa, struct potad_zone_inst, pa);
	/* @desc may be gone once potad_free() returns. */
	start = desc->start;
	nr = potad_desc_units(desc);
	ret = potad_free(pa, desc);
	if (ret)
		return ret;
	count_vm_event(POTAD_FREE);
	potad_account_elastic(zi, start, nr, 1);
	potad_return_freed(zi, start, nr);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_free_mem);

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
	info->reserved = zi->reserved;
	info->elastic = atomic_long_read(&zi->nr_elastic);
	info->high = READ_ONCE(zi->high);
	info->elastic_free = max(0L, atomic_long_read(&zi->elastic_free));
	info->refills = atomic_long_read(&zi->refills);
	info->returns = atomic_long_read(&zi->returns);
	return 0;
}
EXPORT_SYMBOL_GPL(potad_zone_get_info);

/**
 * potad_zone_set_high() - Set a zone instance's high mark.
 * @zone: A zone.
 * @high: Free elastic pages to keep (at most LONG_MAX).
 *
 * Lowering it does not give anything back by itself: the next free in an
 * elastic block, or the shrinker, does.
 *
 * Context: Any context.
 * Return: The previous high mark, or -ENODEV if @zone has no instance.
 */
long potad_zone_set_high(struct zone *zone, unsigned long high)
{
	struct potad_zone_inst *zi = potad_zone_inst(zone);

	if (!zi)
		return -ENODEV;
	return xchg(&zi->high, min_t(unsigned long, high, LONG_MAX));
}
EXPORT_SYMBOL_GPL(potad_zone_set_high);

/*
 * Give back up to @nr pages of entirely free elastic blocks of @zi, from
 * its cursor on and around once at most.
 */
static unsigned long potad_zone_shrink(struct potad_zone_inst *zi,
				       unsigned long nr)
{
	unsigned long cursor = READ_ONCE(zi->shrink_cursor), bit, freed = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bit = pass ? 0 : cursor;
		for_each_set_bit_from(bit, zi->elastic,
				      pass ? cursor : zi->nr_bits) {
			if (potad_return(zi, bit))
				freed += POTAD_ELASTIC_PAGES;
			cond_resched();
			if (freed >= nr) {
				WRITE_ONCE(zi->shrink_cursor, bit + 1);
				return freed;
			}
		}
	}
	return freed;
}

static unsigned long potad_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct potad_zone_inst *zi;
	unsigned long count = 0;
	unsigned int i;

	/*
	 * Free elastic pages, in whole blocks: only entirely free blocks can
	 * go, and less than a block's worth cannot fill one.
	 */
	for (i = 0; i < potad_nr_zones; i++) {
		zi = potad_zone_list[i];
		count += round_down(max(0L, atomic_long_read(&zi->elastic_free)),
				    POTAD_ELASTIC_PAGES);
	}
	return count ?: SHRINK_EMPTY;
}

static unsigned long potad_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct potad_zone_inst *zi;
	unsigned long freed = 0;
	unsigned int i;

	for (i = 0; i < potad_nr_zones && freed < sc->nr_to_scan; i++) {
		zi = potad_zone_list[i];
		freed += potad_zone_shrink(zi, sc->nr_to_scan - freed);
	}
	/* Pages back in the buddy allocator are reclaim's progress. */
	mm_account_reclaimed_pages(freed);
	return freed ?: SHRINK_STOP;
}

/**
 * potad_zone_shrink_all() - Give back every entirely free elastic block.
 *
 * What the shrinker does under memory pressure, for every zone at once.
 *
 * Context: Process context, may sleep.
 * Return: Pages given back to the buddy allocator.
 */
unsigned long potad_zone_shrink_all(void)
{
	struct potad_zone_inst *zi;
	unsigned long freed = 0;
	unsigned int i;

	for (i = 0; i < potad_nr_zones; i++) {
		zi = potad_zone_list[i];
		WRITE_ONCE(zi->shrink_cursor, 0);
		freed += potad_zone_shrink(zi, ULONG_MAX);
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
 * free; PotadReserved: the reservation's part of PotadTotal, the part
 * that is not in MemTotal.
 *
 * Context: Process context.
 */
void potad_report_meminfo(struct seq_file *m)
{
	unsigned long total = 0, free = 0, reserved = 0;
	struct potad_zone_inst *zi;
	unsigned int i;

	for (i = 0; i < potad_nr_zones; i++) {
		zi = potad_zone_list[i];
		total += potad_peek(&zi->pa.stats.units_total);
		free += potad_peek(&zi->pa.stats.units_free);
		reserved += zi->reserved;
	}
	seq_printf(m, "PotadTotal:     %8lu kB\n", total << (PAGE_SHIFT - 10));
	seq_printf(m, "PotadFree:      %8lu kB\n", free << (PAGE_SHIFT - 10));
	seq_printf(m, "PotadReserved:  %8lu kB\n",
		   reserved << (PAGE_SHIFT - 10));
}

/* debugfs "zones": each zone instance, its memory and free blocks. */
static int potad_zones_show(struct seq_file *m, void *v)
{
	struct potad_zone_info info;
	struct potad_zone_inst *zi;
	struct potad_stats *st;
	unsigned int k;
	unsigned int i;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	for (i = 0; i < potad_nr_zones; i++) {
		zi = potad_zone_list[i];
		potad_get_stats(&zi->pa, st);
		potad_zone_get_info(zi->zone, &info);
		seq_printf(m, "%s pfn %#lx-%#lx max_order %u\n", zi->pa.name,
			   zi->zone->zone_start_pfn,
			   zone_end_pfn(zi->zone) - 1, st->max_order);
		seq_printf(m, "  pages %lu free %lu allocated %lu reserved %lu elastic %lu elastic_free %lu high %lu\n",
			   st->units_total, st->units_free,
			   st->units_allocated, info.reserved, info.elastic,
			   info.elastic_free, info.high);
		seq_printf(m, "  refills %lu returns %lu\n", info.refills,
			   info.returns);
		seq_puts(m, "  free blocks by order:");
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
 * Set up the instance of @zone.  Its base must be aligned to its largest
 * order: the space starts at the zone's start rounded down to the largest
 * power of two the zone spans (units below the zone are never added, and
 * cost at most the zone's own metadata again).
 */
static int __init potad_zone_setup(struct zone *zone)
{
	unsigned long end = zone_end_pfn(zone);
	unsigned int order = min_t(unsigned int, POTAD_NR_ORDERS,
				   fls_long(end - zone->zone_start_pfn)) - 1;
	unsigned long base = round_down(zone->zone_start_pfn, BIT(order));
	struct potad_zone_inst *zi;
	char *name;
	int ret;

	zi = kzalloc(sizeof(*zi), GFP_KERNEL);
	name = kasprintf(GFP_KERNEL, "zone-%d-%s", zone_to_nid(zone),
			 zone->name);
	if (!zi || !name)
		goto nomem;
	zi->elastic_base = zone->zone_start_pfn >> MAX_PAGE_ORDER;
	zi->nr_bits = ((end - 1) >> MAX_PAGE_ORDER) - zi->elastic_base + 1;
	zi->elastic = bitmap_zalloc(zi->nr_bits, GFP_KERNEL);
	zi->claimed = bitmap_zalloc(zi->nr_bits, GFP_KERNEL);
	if (!zi->elastic || !zi->claimed)
		goto nomem;
	ret = potad_init(&zi->pa, name, POTAD_MEMORY | POTAD_ZONE, PAGE_SHIFT,
			 base, end - base, order);
	if (ret)
		goto fail;
	zi->zone = zone;
	zi->high = POTAD_ZONE_HIGH;
	potad_zones[zone_to_nid(zone)][zone_idx(zone)] = zi;
	potad_zone_list[potad_nr_zones++] = zi;
	potad_zones_max_order = max(potad_zones_max_order, zi->pa.max_order);
	return 0;
nomem:
	ret = -ENOMEM;
fail:
	if (zi) {
		bitmap_free(zi->elastic);
		bitmap_free(zi->claimed);
	}
	kfree(name);
	kfree(zi);
	return ret;
}

static int __init potad_zones_init(void)
{
	struct shrinker *shrinker;
	struct zone *zone;
	unsigned int i;

	if (potad_request.total && !potad_reserve_called)
		pr_warn("potad= is not supported on this architecture, nothing reserved\n");
	for_each_populated_zone(zone) {
		int ret = potad_zone_setup(zone);

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
			struct potad_zone_inst *zi = potad_zone_inst(z);
			unsigned long stop = pfn;
			int ret;

			/* Zones may interleave (kernelcore=mirror): by pageblock. */
			do {
				stop = min(end, ALIGN(stop + 1, pageblock_nr_pages));
			} while (stop < end && page_zone(pfn_to_page(stop)) == z);

			ret = zi ? potad_add_range(&zi->pa, pfn, stop - pfn) :
				   -ENODEV;
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
		shrinker->count_objects = potad_shrink_count;
		shrinker->scan_objects = potad_shrink_scan;
		shrinker_register(shrinker);
	} else {
		pr_warn("no shrinker: free elastic memory goes back only on frees\n");
	}
	return 0;
}
core_initcall(potad_zones_init);
