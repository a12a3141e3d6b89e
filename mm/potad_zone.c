// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD zone instances and the potad= boot reservation.
 *
 * This file owns the POTAD instance of every populated zone (a memory
 * space of 4 KB units, unit number == pfn, spanning the zone) and the
 * memory reserved for them at boot with potad=:
 *
 *	potad=<size>			spread evenly over the nodes with memory
 *	potad=<node>:<size>[,<node>:<size>...]
 *
 * The reservation is taken from memblock in setup_arch(), next to
 * hugetlb_cma_reserve() and long before memblock hands its free memory
 * to the buddy allocator, in
 * maximal naturally aligned pieces (a 1 GB request is one 1 GB-aligned
 * piece when memory allows).  Reserved memory never enters the buddy
 * allocator; its struct pages are initialised as reserved pages by
 * memblock_free_all().  Once slab is up, a core_initcall sets up the zone
 * instances and adds each piece to the instance of the zone holding it,
 * where it is carved into maximal aligned blocks: blocks far beyond
 * MAX_PAGE_ORDER.
 *
 * Not here yet (see the per-zone POTAD issue): allocations of order <=
 * MAX_PAGE_ORDER refilling an instance from the buddy allocator and
 * giving memory back, a kernel API choosing the zone from a gfp, memory
 * hotplug, hugetlb's gigantic pages, and /proc/meminfo and vmstat
 * accounting.  Until then the reserved memory is neither in MemTotal nor
 * in any counter but POTAD's own (debugfs).
 *
 * Locking: the table of zone instances is written once, by the initcall,
 * before anything can look at it, and only read afterwards.  The
 * reservation table is written only during boot.  Each instance has its
 * own lock (mm/potad.c).
 *
 * Cost: potad_zone() is two array indexes.  Each zone instance costs the
 * core's metadata for the zone's span (about 2 bits per 4 KB unit).
 */

#define pr_fmt(fmt) "potad: " fmt

#include <kunit/visibility.h>
#include <linux/ctype.h>
#include <linux/init.h>
#include <linux/kmemleak.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/overflow.h>
#include <linux/nodemask.h>
#include <linux/potad.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "potad_internal.h"

/* The reservation, as asked for on the command line. */
static struct potad_request potad_request __initdata;

/* The pieces reserved; read-only after boot. */
static struct potad_reserved potad_reserved[POTAD_MAX_RESERVED] __ro_after_init;
static unsigned int potad_nr_reserved __ro_after_init;
static bool potad_reserve_called __initdata;

/* The instance of every populated zone, by node and zone index. */
static struct potad *potad_zones[MAX_NUMNODES][MAX_NR_ZONES] __ro_after_init;

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
	return potad_zones[zone_to_nid(zone)][zone_idx(zone)];
}
EXPORT_SYMBOL_GPL(potad_zone);

/*
 * Set up the instance of @zone.  Its base must be aligned to its largest
 * order: the space starts at the zone's start rounded down to the largest
 * power of two the zone spans (units below the zone are never added, and
 * cost at most the zone's own metadata again).
 */
static int __init potad_zone_setup(struct zone *zone, struct potad **pap)
{
	unsigned long end = zone_end_pfn(zone);
	unsigned int order = min_t(unsigned int, POTAD_NR_ORDERS,
				   fls_long(end - zone->zone_start_pfn)) - 1;
	unsigned long base = round_down(zone->zone_start_pfn, BIT(order));
	struct potad *pa;
	char *name;
	int ret;

	pa = kzalloc(sizeof(*pa), GFP_KERNEL);
	name = kasprintf(GFP_KERNEL, "zone-%d-%s", zone_to_nid(zone),
			 zone->name);
	ret = pa && name ? potad_init(pa, name, POTAD_MEMORY, PAGE_SHIFT,
				      base, end - base, order) : -ENOMEM;
	if (ret) {
		kfree(name);
		kfree(pa);
		return ret;
	}
	*pap = pa;
	return 0;
}

static int __init potad_zones_init(void)
{
	unsigned int i;
	struct zone *zone;

	if (potad_request.total && !potad_reserve_called)
		pr_warn("potad= is not supported on this architecture, nothing reserved\n");
	for_each_populated_zone(zone) {
		struct potad *pa;
		int ret = potad_zone_setup(zone, &pa);

		if (ret) {
			pr_warn("no instance for zone %s of node %d: %d\n",
				zone->name, zone_to_nid(zone), ret);
			continue;
		}
		potad_zones[zone_to_nid(zone)][zone_idx(zone)] = pa;
	}
	/* Each piece, or its parts in each zone it crosses. */
	for (i = 0; i < potad_nr_reserved; i++) {
		struct potad_reserved *r = &potad_reserved[i];
		unsigned long pfn = PHYS_PFN(r->base);
		unsigned long end = PHYS_PFN(r->base + r->size);

		while (pfn < end) {
			struct zone *z = page_zone(pfn_to_page(pfn));
			unsigned long stop = pfn;
			struct potad *pa = potad_zone(z);

			/* Zones may interleave (kernelcore=mirror): by pageblock. */
			do {
				stop = min(end, ALIGN(stop + 1, pageblock_nr_pages));
			} while (stop < end && page_zone(pfn_to_page(stop)) == z);

			int ret = pa ? potad_add_range(pa, pfn, stop - pfn) :
				       -ENODEV;

			if (ret)
				pr_warn("reserved %#llx-%#llx not added to zone %s: %d\n",
					(u64)PFN_PHYS(pfn), (u64)PFN_PHYS(stop) - 1,
					z->name, ret);
			pfn = stop;
		}
		pr_info("reserved %llu KB at %pa on node %d\n", r->size >> 10,
			&r->base, r->nid);
	}
	return 0;
}
core_initcall(potad_zones_init);
