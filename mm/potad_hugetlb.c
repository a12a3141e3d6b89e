// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD: gigantic hugetlb folios from the zone instances.
 *
 * This file owns the descriptor type of the hugetlb folios that POTAD
 * hands out, and the conversion of a POTAD block into a hugetlb folio and
 * back.  mm/hugetlb.c calls potad_hugetlb_alloc_folio() when it needs a
 * gigantic folio at run time (raising nr_hugepages of 1 GB pages), after
 * hugetlb_cma and before alloc_contig_pages(), and potad_hugetlb_free_folio()
 * when it gives one back: a folio that came from POTAD goes back to POTAD,
 * never to the buddy allocator.  Boot with potad=<size> to have blocks that
 * large: beyond MAX_PAGE_ORDER, the zone instances hold the reservation's
 * blocks, and only by chance (adjacent elastic blocks that merged) others.
 * hugetlb must not demote such a folio (potad_hugetlb_folio()): its
 * pieces would be freed one by one, and not to POTAD.
 *
 * Memory failure: a page hugetlb marked poisoned (PG_hwpoison on the raw
 * page once the folio is freed) is retired in POTAD before the block goes
 * back, and keeps its mark, so that it is never handed out again.
 *
 * Page state: a zone instance's pages are reserved pages with one
 * reference each (mm/potad_zone.c).  A folio is made of them as
 * folio_alloc_gigantic() would make it, a compound page with one
 * reference on the head, frozen by hugetlb; on its way back every struct
 * page is reset to the reserved state, as memblock initialised it.
 *
 * Locking: none of its own; the zone instance's lock, through the zone
 * API.  potad_hugetlb_free_folio() may be called in any context
 * free_huge_folio() is, so it does not sleep.
 *
 * Cost: one pass over the folio's struct pages each way (262,144 for
 * 1 GB), like the compound-page setup of any gigantic folio; a lookup in
 * POTAD's index for every hugetlb folio freed, to tell POTAD's from
 * others.
 */

#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>

#include "internal.h"

static struct potad_type potad_hugetlb_type = {
	.name = "potad_hugetlb",
	.size = sizeof(struct potad_desc),
};

static bool potad_hugetlb_ready __ro_after_init;

/**
 * potad_hugetlb_alloc_folio() - A gigantic folio from the zone instances.
 * @order: The folio's order, beyond MAX_PAGE_ORDER.
 * @gfp: hugetlb's gfp; __GFP_THISNODE keeps it on @nid.
 * @nid: Preferred node.
 * @nodemask: Allowed nodes, or NULL.
 *
 * Context: Process context, may sleep if @gfp allows.
 * Return: A compound folio of 2^@order pages with one reference, or NULL
 * if no zone instance had such a block.
 */
struct folio *potad_hugetlb_alloc_folio(int order, gfp_t gfp, int nid,
					nodemask_t *nodemask)
{
	struct potad_desc *desc;
	struct page *page;
	unsigned long i;

	if (!READ_ONCE(potad_hugetlb_ready))
		return NULL;
	desc = potad_alloc_node(&potad_hugetlb_type, order + PAGE_SHIFT,
				(gfp & ~__GFP_ZERO) | __GFP_NOWARN, nid, NULL);
	if (IS_ERR(desc))
		return NULL;
	page = pfn_to_page(desc->start);
	if (nodemask && !node_isset(page_to_nid(page), *nodemask)) {
		potad_free_mem(desc);
		return NULL;
	}
	for (i = 0; i < BIT(order); i++) {
		struct page *p = nth_page(page, i);

		ClearPageReserved(p);
		if (i)
			set_page_count(p, 0);
	}
	prep_compound_page(page, order);
	return page_folio(page);
}

/*
 * Back to a reserved page with one reference, as memblock_free_all() left
 * it: what __init_single_page() does (it is __meminit), then reserved.
 */
static void potad_hugetlb_reset_page(struct page *page, unsigned long pfn)
{
	enum zone_type zone = page_zonenum(page);
	int nid = page_to_nid(page);

	mm_zero_struct_page(page);
	set_page_links(page, zone, nid, pfn);
	init_page_count(page);
	atomic_set(&page->_mapcount, -1);
	page_cpupid_reset_last(page);
	page_kasan_tag_reset(page);
	INIT_LIST_HEAD(&page->lru);
	SetPageReserved(page);
}

/* The POTAD block of @folio, if @folio is a whole potad_hugetlb block. */
static struct potad_desc *potad_hugetlb_desc(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio);
	struct potad_desc *desc;

	rcu_read_lock();
	desc = potad_lookup_pfn(pfn);
	if (desc && (desc->type != &potad_hugetlb_type || desc->start != pfn ||
		     potad_desc_units(desc) != folio_nr_pages(folio)))
		desc = NULL;
	rcu_read_unlock();
	/* An allocated block: @desc stays until potad_free_mem(). */
	return desc;
}

/**
 * potad_hugetlb_folio() - Is this gigantic folio POTAD's?
 * @folio: A hugetlb folio.
 *
 * hugetlb must not demote POTAD's folios: the pieces could not go back.
 *
 * Context: Any context.
 * Return: True if @folio came from potad_hugetlb_alloc_folio().
 */
bool potad_hugetlb_folio(struct folio *folio)
{
	return potad_hugetlb_desc(folio);
}

/**
 * potad_hugetlb_free_folio() - Give a gigantic folio back to POTAD.
 * @folio: A folio hugetlb is done with: no longer a hugetlb folio, one
 *	reference, poisoned raw pages marked PG_hwpoison.
 *
 * Poisoned pages are retired, so that POTAD never hands them out again.
 * A folio that cannot be given back safely (another reference, or no
 * memory to record a poisoned page) is leaked, with a warning, as hugetlb
 * leaks a folio whose poisoned pages it does not know.
 *
 * Context: Any context free_huge_folio() may run in; does not sleep.
 * Return: True if the folio was POTAD's (and went back to it, or was
 * leaked); false if it is not POTAD's, for the caller to free it as usual.
 */
bool potad_hugetlb_free_folio(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio), i, nr = folio_nr_pages(folio);
	struct potad_desc *desc = potad_hugetlb_desc(folio);

	if (!desc)
		return false;
	/* Someone else still holds a reference: the pages are not ours. */
	if (WARN_ONCE(!folio_ref_freeze(folio, 1),
		      "potad: hugetlb folio at pfn %lx still referenced, leaked\n",
		      pfn))
		return true;
	/* Poisoned pages first: without memory to record them, leak it all. */
	for (i = 0; i < nr; i++) {
		int ret;

		if (!PageHWPoison(pfn_to_page(pfn + i)))
			continue;
		ret = potad_retire(desc->potad, pfn + i,
				   GFP_ATOMIC | __GFP_NOWARN, NULL);
		if (WARN_ONCE(ret && ret != -EALREADY,
			      "potad: poisoned pfn %lx not retired (%d), hugetlb folio leaked\n",
			      pfn + i, ret))
			return true;
	}
	for (i = 0; i < nr; i++) {
		struct page *page = pfn_to_page(pfn + i);
		bool poisoned = PageHWPoison(page);

		potad_hugetlb_reset_page(page, pfn + i);
		if (poisoned)
			SetPageHWPoison(page);
	}
	WARN_ON_ONCE(potad_free_mem(desc));
	return true;
}

static int __init potad_hugetlb_init(void)
{
	int ret = potad_type_register(&potad_hugetlb_type);

	if (ret)
		pr_warn("potad: no hugetlb type: %d\n", ret);
	else
		WRITE_ONCE(potad_hugetlb_ready, true);
	return 0;
}
core_initcall_sync(potad_hugetlb_init);
