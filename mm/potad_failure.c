// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD and memory failure: a poisoned page of POTAD memory reaches the
 * owner of every block in it.
 *
 * This file owns what memory_failure() and unpoison_memory()
 * (mm/memory-failure.c) do with a pfn the zone instances hold
 * (mm/potad_zone.c); a pfn of a CMA area is mm/potad_cma.c's.
 * memory_failure() has set PageHWPoison on the page before it calls
 * potad_memory_failure(), so a page is handled here once:
 * a second poison is "already poisoned" (-EHWPOISON) in the stock code
 * and no owner hears of it again.
 *
 * - A free page is retired (potad_retire()): it leaves the free space
 *   and is never handed out; MF_RECOVERED, as for a free buddy page.
 * - A page of an allocated block is retired inside the block: it stays
 *   with the owner, and when the owner frees the block the rest of it
 *   goes back while the page stays out.  The part of a block the owner
 *   freed (potad_free_range()) while references keep it counts as
 *   allocated: its owner is told all the same.  A block freed whole while
 *   referenced (a mapping, a pin) is no longer found from its units: the
 *   page is retired and stays out, nobody is told, and the result is
 *   MF_IGNORED (under MF_ACTION_REQUIRED the task then gets SIGBUS).  The block's type's
 *   memory_failure() op is called with the page's unit and the MF_*
 *   flags, in process context, with no POTAD lock held and a reference on
 *   the descriptor (taken in the same critical section as the retirement)
 *   that keeps the block from being reused until the op returns.  0 from
 *   the op is MF_RECOVERED; an error leaves the page poisoned and
 *   retired and is MF_FAILED; a type without the op is MF_IGNORED, like a
 *   kernel page nobody can handle.
 * - A page of a 64 KB chunk of a sub-page instance holds up to eight 512 B
 *   units: each is retired in the sub-page instance, and the owner of
 *   every block among them is told once, with the first poisoned unit of
 *   its block.  The worst result wins (FAILED over IGNORED over
 *   RECOVERED).  The page is also retired in the zone instance, so the
 *   chunk never goes back to it.
 *
 * unpoison_memory() (hwpoison-inject's unpoison-pfn) gives a retired page
 * back to the free space once no block holds it, cleared of PageHWPoison
 * (and zeroed under init_on_free) first: -EBUSY while the owner still
 * holds the poisoned block.
 *
 * soft_offline_page() (the memory sysfs soft_offline_page file,
 * MADV_SOFT_OFFLINE) retires a free page at once.  A page of an allocated
 * block cannot be migrated by POTAD, which does not know who refers to
 * the data: it is retired inside the block and the owner asked to move
 * its data (the optional soft_offline op); if it cannot, the page is put
 * back into service and soft_offline_page() fails.
 *
 * madvise(MADV_HWPOISON or MADV_SOFT_OFFLINE) on a user mapping of a
 * block: get_user_pages_fast() refuses POTAD's pages (mm/potad_gup.c
 * records only pins), so potad_inject_error() pins the page instead and
 * injects the error with the pin held.  MADV_HWPOISON passes
 * MF_ACTION_REQUIRED, which the owner's op sees: it is the owner that
 * unmaps the page from user space, so that the task faults (SIGBUS)
 * instead of touching it again.
 *
 * The hook runs before memory_failure()'s hwpoison_filter(), which only
 * filters pages of user memory (LRU, by memcg or flags): it does not
 * filter POTAD's pages.
 *
 * Locking: memory failure, unpoison and soft offline run under
 * memory-failure's mf_mutex, in process context; the instance locks are
 * taken and released by the core (mm/potad.c), never held across an
 * owner's op.  Cost: a zone lookup, one retirement (one instance lock
 * hold and a small allocation) per unit, and the ops; only on memory
 * failure and soft offline.
 */

#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/potad.h>
#include <linux/highmem.h>
#include <linux/printk.h>

#include "potad_internal.h"

/*
 * Is @unit of @pa retired inside a block, live or freed but still
 * referenced (a mapping, a pin)?
 */
static bool potad_retired_in_block(struct potad *pa, unsigned long unit)
{
	bool in_block;

	return potad_is_retired(pa, unit, &in_block) && in_block;
}

/* The worse of two results, in the order memory_failure() reports them. */
static int potad_mf_worse(int a, int b)
{
	static const int rank[] = {
		[MF_RECOVERED] = 0, [MF_DELAYED] = 1,
		[MF_IGNORED] = 2, [MF_FAILED] = 3,
	};

	return rank[a] >= rank[b] ? a : b;
}

/* Tell @desc's owner that @unit of its block is poisoned. */
static int potad_mf_notify(struct potad_desc *desc, unsigned long unit,
			   int flags)
{
	const struct potad_type_ops *ops = desc->type->ops;
	int err;

	if (!ops || !ops->memory_failure) {
		pr_err("potad: %s block of %llu bytes at %pa has no memory_failure op\n",
		       desc->type->name, potad_desc_bytes(desc),
		       &(phys_addr_t){ potad_desc_phys(desc) });
		return MF_IGNORED;
	}
	err = ops->memory_failure(desc, unit, flags);
	if (err) {
		pr_err("potad: owner of %s block at %pa could not handle unit %#lx: %d\n",
		       desc->type->name,
		       &(phys_addr_t){ potad_desc_phys(desc) }, unit, err);
		return MF_FAILED;
	}
	return MF_RECOVERED;
}

/*
 * The page at @pfn is in @chunk, a 64 KB block of the sub-page instance
 * @sub: retire its units there and tell each block's owner once.
 */
static int potad_mf_subpage(struct potad *sub, unsigned long pfn, int flags)
{
	unsigned long unit = PFN_PHYS(pfn) >> sub->unit_shift;
	unsigned long end = PFN_PHYS(pfn + 1) >> sub->unit_shift;
	struct potad_desc *desc, *last = NULL;
	int result = MF_RECOVERED;

	for (; unit < end; unit++) {
		/*
		 * -EALREADY: retired already.  -ENOENT: the chunk went back
		 * to the zone instance meanwhile (its caches drained), where
		 * the page is retired already.  Out of service either way.
		 */
		if (potad_zone_retire(sub, unit, &desc))
			continue;
		if (!desc)
			continue;
		if (desc != last)
			result = potad_mf_worse(result,
						potad_mf_notify(desc, unit,
								flags));
		/* Kept until the loop is past the block: @last compares. */
		if (last)
			potad_desc_put(last);
		last = desc;
	}
	if (last)
		potad_desc_put(last);
	return result;
}

/**
 * potad_memory_failure() - Memory failure on a page POTAD may hold.
 * @pfn: The poisoned page, PageHWPoison set by the caller.
 * @flags: The memory_failure() MF_* flags.
 *
 * See the top of this file for what happens to the page and who is told.
 *
 * Context: Process context, may sleep; for memory_failure(), under its
 * mf_mutex, with no other lock held.
 * A pfn no zone instance holds may be inside a CMA allocation:
 * memory_failure() has given it to potad_cma_memory_failure() before,
 * which tells its owner and lets the stock path go on.
 *
 * Return: -ENOENT if no zone instance holds @pfn (the stock path goes
 * on); otherwise the enum mf_result for action_result().
 */
int potad_memory_failure(unsigned long pfn, int flags)
{
	struct potad *pa = potad_zone_holding(pfn);
	struct potad_desc *desc;
	int ret, result;

	/* Without draining any cache for memory POTAD does not hold. */
	if (!pa)
		return -ENOENT;
	ret = potad_zone_retire(pa, pfn, &desc);
	if (ret == -ENOENT)
		return -ENOENT;	/* given back to the buddy allocator */
	if (ret == -EALREADY) {
		pr_info("potad: %#lx: page out of service already\n", pfn);
		return MF_RECOVERED;
	}
	if (ret) {
		pr_err("potad: %#lx: cannot retire the page: %d\n", pfn, ret);
		return MF_FAILED;
	}
	if (!desc) {
		/* Freed whole while referenced: nobody to tell (see above). */
		if (potad_retired_in_block(pa, pfn)) {
			pr_info("potad: %#lx: page of a freed block still referenced (mapped or pinned): nobody to tell\n",
				pfn);
			return MF_IGNORED;
		}
		pr_info("potad: %#lx: free page taken out of service\n", pfn);
		return MF_RECOVERED;
	}
	if (desc->type == &potad_subpage_type)
		result = potad_mf_subpage(potad_zone_sub(pa), pfn, flags);
	else
		result = potad_mf_notify(desc, pfn, flags);
	potad_desc_put(desc);
	return result;
}
EXPORT_SYMBOL_IF_KUNIT(potad_memory_failure);

/*
 * Is any 512 B unit of the page at @pfn held by a block of the sub-page
 * instance @sub: a live one (in the index), or a freed one a reference
 * still keeps (its retired unit is in a block)?  Blocks are freed
 * meanwhile but none is allocated there (its units are retired), so a
 * "no" stays true.
 */
static bool potad_mf_sub_busy(struct potad *sub, unsigned long pfn)
{
	unsigned long unit = PFN_PHYS(pfn) >> sub->unit_shift;
	unsigned long end = PFN_PHYS(pfn + 1) >> sub->unit_shift;
	bool busy = false;

	for (; unit < end && !busy; unit++) {
		rcu_read_lock();
		busy = potad_index_load(sub, unit);
		rcu_read_unlock();
		busy |= potad_retired_in_block(sub, unit);
	}
	return busy;
}

/**
 * potad_unpoison_memory() - Give a poisoned POTAD page back.
 * @pfn: A page with PageHWPoison.
 *
 * A page POTAD retired and no block holds goes back to the free space.
 * For a page of a sub-page chunk, no 512 B unit of it may be in an
 * allocated block; they go back to the sub-page instance, and the page
 * goes back with its chunk.  Before any of it can be handed out again the
 * page loses PageHWPoison and, under init_on_free, is zeroed, as a page
 * unpoison gives back to the buddy allocator is (unpoison_memory() does
 * not run after a real hardware failure, so the page may be written).
 *
 * Context: Process context; for unpoison_memory(), under mf_mutex, which
 * keeps the page retired until this returns.
 * A page of a CMA area goes to potad_cma_unpoison_memory().
 *
 * Return: -ENOENT if POTAD did not retire @pfn (the stock path goes on);
 * 0 once given back; -EBUSY while a block holds the page, with nothing
 * changed.
 */
int potad_unpoison_memory(unsigned long pfn)
{
	struct potad *pa = potad_zone_of(PFN_PHYS(pfn));
	struct page *page = pfn_to_page(pfn);
	struct potad_desc *desc;
	bool chunk, in_block;
	struct potad *sub;
	int ret;

	if (!pa || !potad_is_retired(pa, pfn, &in_block))
		return potad_cma_unpoison_memory(pfn);
	rcu_read_lock();
	desc = potad_index_load(pa, pfn);
	chunk = desc && desc->type == &potad_subpage_type;
	rcu_read_unlock();
	sub = potad_zone_sub(pa);
	/*
	 * Held by a block, live or freed but referenced (a pin, a lookup):
	 * the page is not touched, since its holder may still use it.
	 */
	if ((in_block && !chunk) || (chunk && potad_mf_sub_busy(sub, pfn)))
		return -EBUSY;

	ClearPageHWPoison(page);
	if (want_init_on_free())
		clear_highpage(page);
	if (chunk) {
		/* All or nothing; then the page goes back with its chunk. */
		ret = potad_zone_unretire(sub, PFN_PHYS(pfn) >> sub->unit_shift,
					  PAGE_SIZE >> sub->unit_shift, false);
		if (ret >= 0)
			ret = potad_zone_unretire(pa, pfn, 1, true);
	} else {
		ret = potad_zone_unretire(pa, pfn, 1, false);
	}
	if (ret < 0) {
		SetPageHWPoison(page);
		return ret;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(potad_unpoison_memory);

/*
 * Ask @desc's owner to move its data off @unit, retired inside its block:
 * 0 once it has, else -EBUSY (no op, a part of the block its owner freed
 * already but references keep, or the op's error: never -ENOENT, which
 * would send soft_offline_page() down the stock path with a POTAD page).
 */
static int potad_so_ask(struct potad_desc *desc, unsigned long unit)
{
	const struct potad_type_ops *ops = desc->type->ops;
	bool freed;
	int err;

	rcu_read_lock();
	freed = potad_index_load(desc->potad, unit) != desc;
	rcu_read_unlock();
	if (freed) {
		pr_info("potad: unit %#lx of %s block at %pa is freed but still referenced (mapped or pinned)\n",
			unit, desc->type->name,
			&(phys_addr_t){ potad_desc_phys(desc) });
		return -EBUSY;
	}
	if (!ops || !ops->soft_offline) {
		pr_info("potad: %s block at %pa cannot be moved: no soft_offline op\n",
			desc->type->name,
			&(phys_addr_t){ potad_desc_phys(desc) });
		return -EBUSY;
	}
	err = ops->soft_offline(desc, unit);
	if (err)
		pr_info("potad: owner of %s block at %pa did not move unit %#lx: %d\n",
			desc->type->name,
			&(phys_addr_t){ potad_desc_phys(desc) }, unit, err);
	return err ? -EBUSY : 0;
}

#define POTAD_SO_UNITS	(PAGE_SIZE >> POTAD_MIN_UNIT_SHIFT)

/*
 * The page at @pfn is in a 64 KB chunk of the sub-page instance @sub:
 * retire all its units there first (so that no owner moves into the
 * page), then ask each block's owner once.  All or nothing: if an owner
 * cannot move its data, every unit retired here is put back (or
 * forgotten inside its block).
 */
static int potad_so_subpage(struct potad *sub, unsigned long pfn)
{
	DECLARE_BITMAP(mine, POTAD_SO_UNITS) = {};
	struct potad_desc *holder[POTAD_SO_UNITS];
	unsigned long first = PFN_PHYS(pfn) >> sub->unit_shift;
	unsigned long nr = PAGE_SIZE >> sub->unit_shift, i;
	unsigned int n = 0, j;
	struct potad_desc *desc;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		/* Retired already, or gone back with its chunk: as for mf. */
		if (potad_zone_retire(sub, first + i, &desc))
			continue;
		__set_bit(i, mine);
		if (!desc) {
			/* A block freed whole while referenced: in use. */
			if (potad_retired_in_block(sub, first + i))
				ret = -EBUSY;
			continue;
		}
		/* A block's units are contiguous: a new holder or the last. */
		if (n && holder[n - 1] == desc)
			potad_desc_put(desc);
		else
			holder[n++] = desc;
	}
	for (j = 0; j < n && !ret; j++)
		ret = potad_so_ask(holder[j], max(first, holder[j]->start));
	if (ret)
		for_each_set_bit(i, mine, nr)
			potad_zone_unretire(sub, first + i, 1, true);
	for (j = 0; j < n; j++)
		potad_desc_put(holder[j]);
	return ret;
}

/**
 * potad_soft_offline() - soft_offline_page() on a page POTAD may hold.
 * @pfn: The page, not PageHWPoison.
 *
 * A free page is retired at once.  A page of an allocated block is
 * retired inside the block and the owner asked to move its data
 * elsewhere (&struct potad_type_ops.soft_offline); for a page of 512 B
 * blocks, every owner among them.  If one cannot, or its type has no op,
 * or the block is one its owner freed but references (a mapping, a pin)
 * still keep, the page is put back into service as it was and the call
 * fails: POTAD cannot migrate a block's data itself, since only the owner
 * knows who refers to it.  The caller marks a retired page PageHWPoison.
 *
 * Context: Process context, may sleep; for soft_offline_page(), under
 * mf_mutex, with no other lock held.  The ops are called with no POTAD
 * lock held.
 * Return: -ENOENT if no zone instance holds @pfn (the stock path goes
 * on); 0 once the page is retired; -EBUSY with the page in service as
 * before.
 */
int potad_soft_offline(unsigned long pfn)
{
	struct potad *pa = potad_zone_holding(pfn);
	struct potad_desc *desc;
	int ret;

	if (!pa)
		return -ENOENT;
	ret = potad_zone_retire(pa, pfn, &desc);
	if (ret == -ENOENT || ret == -EALREADY)
		return ret == -ENOENT ? -ENOENT : 0;
	if (ret)
		return -EBUSY;
	if (!desc) {
		/* A block freed whole while referenced: its data is in use. */
		if (potad_retired_in_block(pa, pfn)) {
			potad_zone_unretire(pa, pfn, 1, true);
			return -EBUSY;
		}
		return 0;
	}
	if (desc->type == &potad_subpage_type)
		ret = potad_so_subpage(potad_zone_sub(pa), pfn);
	else
		ret = potad_so_ask(desc, pfn);
	if (ret)
		potad_zone_unretire(pa, pfn, 1, true);
	potad_desc_put(desc);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(potad_soft_offline);

/**
 * potad_inject_error() - madvise(MADV_HWPOISON or MADV_SOFT_OFFLINE) on a
 *	mapped POTAD page.
 * @behavior: %MADV_HWPOISON or %MADV_SOFT_OFFLINE.
 * @start: The user address, where get_user_pages_fast() failed.
 * @ret: Set to the result, if @start maps a POTAD page.
 *
 * madvise_inject_error() takes a reference on the page at @start with
 * get_user_pages_fast(), which POTAD's pages refuse (only pins are
 * recorded, mm/potad_gup.c).  If @start maps one, it is pinned instead:
 * memory_failure() runs with the pin held, soft_offline_page() after it
 * is dropped (the page is then retired, whoever holds it by then).
 *
 * Context: Process context, may sleep; no lock held.
 * Return: false, with nothing done, if @start maps no POTAD page; true
 * otherwise, with @ret set to what memory_failure() (-EOPNOTSUPP as 0,
 * as madvise does) or soft_offline_page() returned.
 */
bool potad_inject_error(int behavior, unsigned long start, int *ret)
{
	struct page *page;
	unsigned long pfn;

	if (pin_user_pages_fast(start, 1, 0, &page) != 1)
		return false;
	pfn = page_to_pfn(page);
	if (!potad_zone_holding(pfn)) {
		unpin_user_page(page);
		return false;
	}
	if (behavior == MADV_SOFT_OFFLINE) {
		/*
		 * Unpinned first: the owner moves only data nobody else holds,
		 * and the stock path drops its reference before migrating too.
		 */
		unpin_user_page(page);
		pr_info("Soft offlining pfn %#lx at process virtual address %#lx\n",
			pfn, start);
		*ret = soft_offline_page(pfn, 0);
		return true;
	}
	pr_info("Injecting memory failure for pfn %#lx at process virtual address %#lx\n",
		pfn, start);
	*ret = memory_failure(pfn, MF_ACTION_REQUIRED | MF_SW_SIMULATED);
	if (*ret == -EOPNOTSUPP)
		*ret = 0;
	unpin_user_page(page);
	return true;
}
