// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD for CMA: the allocator of every CMA area is a POTAD instance.
 *
 * This file owns how a CMA area's pages are handed out with
 * CONFIG_POTAD_CMA: mm/cma.c keeps the areas, their reservation, their
 * MIGRATE_CMA pageblocks and its API (include/linux/cma.h, unchanged for
 * every caller), but the bitmap it searched is replaced by a memory-space
 * POTAD instance per area (struct potad_cma, cma->potad) whose unit is
 * what a bit was, PAGE_SIZE << order_per_bit.  Free CMA memory stays in
 * the buddy allocator's MIGRATE_CMA free lists serving movable
 * allocations, as it does without POTAD; an allocation takes a run of
 * units in the instance (reserving it, as setting bits did) and then
 * evacuates it with alloc_contig_range(), exactly as mm/cma.c does.
 *
 * The search is the one the seed mail proposes.  For count pages at an
 * alignment of 2^align pages, with nr units and 2^n the smallest power of
 * two >= nr: one naturally aligned chunk of 2^n units; then two adjacent
 * naturally aligned chunks of 2^(n-1); then four of 2^(n-2); ... down to
 * chunks of the alignment asked for; then failure.  Each rung is
 * potad_alloc_run() at that alignment (the lowest run of nr free units
 * starting at a multiple of the chunk, found and taken in one lock hold,
 * mm/potad.c).  A count that is not a power of two takes exactly nr units,
 * the tail of the last chunk staying free.  When alloc_contig_range()
 * says -EBUSY, the run goes back and the search goes on from the next
 * candidate of the same rung, as mm/cma.c moves on to the next position;
 * the last rung is the search mm/cma.c does, so POTAD finds a range
 * whenever the bitmap would have.  Trying the most aligned runs first
 * keeps small requests from breaking up the large aligned free blocks a
 * later large request needs.  Which rung served each request is counted
 * per area.
 *
 * Every allocation has a descriptor (struct potad_cma_alloc: the area as
 * owner, the caller, the page count, the rung) that potad_lookup() finds
 * from any of its pages.  cma_release() frees exactly an allocation: a
 * range of the area that overlaps one without being it is refused with
 * a warning and nothing changes; pages outside the area, and pages no
 * allocation holds (released already, or put in the area's free
 * pageblocks by the buddy allocator, which hugetlb releases here too),
 * are refused quietly, because dma_free_contiguous() and hugetlb ask
 * every area in turn.  A hugetlb folio that is a CMA allocation is not
 * demoted (potad_cma_folio()): its pieces would not be allocations.
 * A memory failure inside an allocation, a hugetlb_cma folio's too
 * (memory_failure() asks before its hugetlb handling), reaches its
 * owner's record (each page once, counted, logged with the caller, shown
 * in debugfs; the area keeps the pfns until the release) and the
 * poisoned unit is retired: when the allocation is released the rest
 * goes back, and the unit too if free_contig_range() did not keep one of
 * its pages out (a folio freed whole leaves its poisoned pages to the
 * buddy allocator and memory_failure(), as with the stock allocator).
 *
 * Locking: the instance lock (a spinlock_t, interrupts off) covers each
 * rung's search and take, and each free; alloc_contig_range() runs under
 * potad_cma_mutex, which serialises the evacuations of all areas as
 * mm/cma.c's cma_mutex does, with no spinlock held.  cma_alloc() sleeps
 * as without POTAD; cma_release() does not (hugetlb calls it from atomic
 * context).  Each area's list of
 * allocations (for debugfs) is under its own spinlock_t, and so are the
 * memory failure's record in the descriptor and the claim of a release;
 * the xarray of poisoned pfns has its own lock, taken with interrupts
 * off, inside the area's for its erases.
 *
 * Cost: a rung's search is linear in the free blocks it passes over
 * (one bit test or one map look-up per order each), not in the pages;
 * memory is two bits per unit plus a descriptor per allocation, and an
 * xarray entry per poisoned page of a live allocation.
 */

#include <kunit/visibility.h>
#include <linux/cma.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#include <linux/xarray.h>
#include <trace/events/cma.h>

#include "cma.h"
#include "internal.h"
#include "potad_internal.h"

/* Rungs counted one by one; deeper ones share the last counter. */
#define POTAD_CMA_RUNGS		12

/**
 * struct potad_cma - The POTAD allocator of one CMA area.
 * @pa: The instance: units of PAGE_SIZE << order_per_bit, its base
 *	rounded down to its largest order so that alignments of absolute
 *	pfns are alignments of units.
 * @cma: The area.
 * @first: The area's first unit.
 * @nr: The area's units.
 * @lock: Protects @allocs, each allocation's @state against a
 *	memory failure's record (@poisoned, @nr_poisoned, @hwp_lost), and
 *	the erases from @hwpoison.
 * @allocs: Live allocations (struct potad_cma_alloc.node), for debugfs.
 * @rungs: Requests served by each rung of the ladder: [0] one chunk,
 *	[1] two, [2] four, ...
 * @busy: Candidate runs alloc_contig_range() found busy.
 * @poisoned: Memory failures inside allocations: pages, each once.
 * @hwpoison: The pfns of the poisoned pages of the live allocations,
 *	each stored by the first memory failure of its page (under
 *	mf_mutex), erased by the release of its allocation or by the
 *	memory failure itself if its allocation is not live.
 */
struct potad_cma {
	struct potad pa;
	struct cma *cma;
	unsigned long first;
	unsigned long nr;
	spinlock_t lock;	/* allocs; retires vs. the release */
	struct list_head allocs;
	atomic_long_t rungs[POTAD_CMA_RUNGS];
	atomic_long_t busy;
	atomic_long_t poisoned;
	struct xarray hwpoison;
};

/**
 * struct potad_cma_alloc - The descriptor of a CMA allocation.
 * @desc: The run of units; its owner is the struct cma.
 * @node: On the area's list of allocations.
 * @caller: The return address of the cma_alloc() or cma_alloc_folio()
 *	call.
 * @count: Pages asked for (the run may end in a part of a unit).
 * @rung: The rung of the ladder that served it.
 * @state: %POTAD_CMA_PENDING while being evacuated, %POTAD_CMA_READY once
 *	handed out, %POTAD_CMA_RELEASING once cma_release() claimed it.
 * @poisoned: First poisoned pfn (if @nr_poisoned); under the area's lock.
 * @nr_poisoned: Its pages a memory failure reached, each once (twice
 *	if @hwp_lost); under the area's lock.
 * @hwp_lost: A poisoned page of it may be missing from the area's
 *	@hwpoison (no memory to store it): the release looks at every unit.
 */
struct potad_cma_alloc {
	struct potad_desc desc;
	struct list_head node;
	unsigned long caller;
	unsigned long count;
	unsigned int rung;
	atomic_t state;
	unsigned long poisoned;
	unsigned long nr_poisoned;
	bool hwp_lost;
};

enum { POTAD_CMA_PENDING, POTAD_CMA_READY, POTAD_CMA_RELEASING };

static DEFINE_MUTEX(potad_cma_mutex);

static int potad_cma_mf(struct potad_desc *desc, unsigned long unit,
			int flags);

static const struct potad_type_ops potad_cma_ops = {
	.memory_failure = potad_cma_mf,
};

static struct potad_type potad_cma_type = {
	.name = "potad_cma",
	.size = sizeof(struct potad_cma_alloc),
	.offset = offsetof(struct potad_cma_alloc, desc),
	.ops = &potad_cma_ops,
};

static inline struct potad_cma_alloc *to_alloc(struct potad_desc *desc)
{
	return container_of(desc, struct potad_cma_alloc, desc);
}

static inline struct potad_cma *to_pcma(struct potad *pa)
{
	return container_of(pa, struct potad_cma, pa);
}

/**
 * potad_cma_ladder() - The seed's search for nr units at an alignment.
 * @pa: The instance.
 * @type: The descriptor type (slab descriptors).
 * @nr: Units, at least 1 and at most the span.
 * @align: The run starts at a multiple of 2^@align units.
 * @owner: Stored in the descriptor.
 * @gfp: For the descriptors and the index.
 * @claim: Called with each candidate run, allocated; 0 keeps it,
 *	-EBUSY gives it back and moves on to the next candidate, any other
 *	error gives it back and ends the search.
 * @arg: For @claim.
 * @rung: Set to the rung that served the request: 0 for one chunk of
 *	2^n (2^n >= @nr), 1 for two of 2^(n-1), and so on.
 *
 * Rung r takes the lowest run of @nr free units at a multiple of
 * 2^(n - r), r = 0, 1, ... down to 2^@align.  When rung 0 fails, one
 * search for the lowest run at 2^@align bounds the rest: the finer
 * rungs search from there on, and none if there is no such run, as of
 * that search (a release meanwhile below it, or anywhere after "none",
 * is not seen, as one within a rung's search is not).  An @align beyond the
 * instance's largest order leaves one candidate, at the only such
 * multiple inside the space, if any.
 *
 * Context: Process context if @claim or @gfp sleeps; takes and releases
 * the instance lock with interrupts disabled.
 * Return: The descriptor of the run kept; ERR_PTR(-ENOSPC) if no rung
 * has a run @claim keeps, -ENOMEM, or the error of @claim that ended the
 * search.  Every run @claim did not keep is back in the free space.
 */
struct potad_desc *
potad_cma_ladder(struct potad *pa, const struct potad_type *type,
		 unsigned long nr, unsigned int align, void *owner, gfp_t gfp,
		 int (*claim)(struct potad_desc *desc, void *arg), void *arg,
		 unsigned int *rung)
{
	unsigned int top = max_t(unsigned int, align, order_base_2(nr));
	unsigned long from, floor = pa->base;
	unsigned int k = top;
	struct potad_desc *desc;
	int ret;

	if (align > pa->max_order) {
		/*
		 * No block is that aligned: each multiple of 2^align in the
		 * space is a candidate for a run of single units.
		 */
		if (align >= BITS_PER_LONG)
			return ERR_PTR(-ENOSPC);
		*rung = 0;
		for (from = round_up(pa->base, BIT(align));
		     from >= pa->base && from - pa->base < pa->span &&
		     nr <= pa->span - (from - pa->base);
		     from += BIT(align)) {
			desc = potad_alloc_run(pa, type, from, nr, 0, owner,
					       gfp);
			if (PTR_ERR(desc) == -EBUSY || PTR_ERR(desc) == -ENOENT)
				continue;
			if (IS_ERR(desc))
				return desc;
			ret = claim(desc, arg);
			if (!ret)
				return desc;
			potad_free(pa, desc);
			if (ret != -EBUSY)
				return ERR_PTR(ret);
		}
		return ERR_PTR(-ENOSPC);
	}
	for (;;) {
		from = floor;
		for (;;) {
			unsigned long start;

			desc = potad_alloc_run_from(pa, type, from, nr, k, owner,
						    gfp);
			if (IS_ERR(desc))
				break;
			*rung = top - k;
			ret = claim(desc, arg);
			if (!ret)
				return desc;
			start = desc->start;
			potad_free(pa, desc);
			if (ret != -EBUSY)
				return ERR_PTR(ret);
			from = start + BIT(k);
		}
		if (PTR_ERR(desc) != -ENOSPC || k == align)
			return desc;
		/*
		 * A run at any finer rung is a run at the finest: none starts
		 * below the lowest of those, and without one there is none.
		 * One search instead of a search of the space per rung.
		 */
		if (k == top && k > align + 1) {
			floor = pa->base;
			if (potad_find_run(pa, nr, align, &floor))
				return ERR_PTR(-ENOSPC);
		}
		k--;
	}
}
EXPORT_SYMBOL_IF_KUNIT(potad_cma_ladder);

/* What potad_cma_claim() needs of the request. */
struct potad_cma_req {
	struct potad_cma *pc;
	unsigned long count;
	unsigned long caller;
	unsigned int align;
	gfp_t gfp;
};

/* Evacuate a candidate run, as __cma_alloc() does a bitmap range. */
static int potad_cma_claim(struct potad_desc *desc, void *arg)
{
	struct potad_cma_req *req = arg;
	struct cma *cma = req->pc->cma;
	struct potad_cma_alloc *ca = to_alloc(desc);
	unsigned long pfn = desc->start << cma->order_per_bit;
	int ret;

	ca->caller = req->caller;
	ca->count = req->count;
	mutex_lock(&potad_cma_mutex);
	ret = alloc_contig_range(pfn, pfn + req->count, MIGRATE_CMA, req->gfp);
	mutex_unlock(&potad_cma_mutex);
	if (ret == -EBUSY) {
		pr_debug("%s(): memory range at pfn 0x%lx %p is busy, retrying\n",
			 __func__, pfn, pfn_to_page(pfn));
		trace_cma_alloc_busy_retry(cma->name, pfn, pfn_to_page(pfn),
					   req->count, req->align);
		atomic_long_inc(&req->pc->busy);
	}
	return ret;
}

/* The failure report of __cma_alloc(), with POTAD's free blocks. */
static void potad_cma_show(struct potad_cma *pc)
{
	struct potad_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);
	unsigned int k;

	if (!st)
		return;
	potad_get_stats(&pc->pa, st);
	pr_info("cma: %s: %lu free of %lu total pages\n", pc->cma->name,
		st->units_free << pc->cma->order_per_bit, pc->cma->count);
	for (k = 0; k <= st->max_order; k++)
		if (st->nr_free[k])
			pr_info("cma: %s: %lu free at order %u\n",
				pc->cma->name, st->nr_free[k],
				k + pc->cma->order_per_bit);
	kfree(st);
}

/**
 * potad_cma_alloc() - cma_alloc() and cma_alloc_folio() over POTAD.
 * @cma: The area.
 * @count: Pages.
 * @align: Alignment of the first pfn, in PAGE_SIZE order.
 * @gfp: For alloc_contig_range() (and, without the bits only it knows,
 *	for the descriptor).
 * @caller: Recorded as the owner's caller.
 *
 * As __cma_alloc() in mm/cma.c, with the ladder of this file's head for
 * the search: the same tracepoints, vm events, sysfs counters and failure
 * report.
 *
 * Context: Process context, may sleep.
 * Return: The first page, or NULL.
 */
struct page *potad_cma_alloc(struct cma *cma, unsigned long count,
			     unsigned int align, gfp_t gfp,
			     unsigned long caller)
{
	struct potad_cma_req req = {
		.count = count, .caller = caller, .align = align, .gfp = gfp,
	};
	const char *name = cma ? cma->name : NULL;
	struct potad_cma_alloc *ca;
	struct potad_desc *desc;
	struct potad_cma *pc;
	unsigned long pfn = -1, nr, i, flags;
	struct page *page = NULL;
	unsigned int a, rung = 0;
	int ret;

	trace_cma_alloc_start(name, count, align);
	if (!cma || !cma->count || !cma->potad || !count)
		return NULL;
	pc = cma->potad;
	req.pc = pc;
	pr_debug("%s(cma %p, name: %s, count %lu, align %d)\n", __func__,
		 (void *)cma, cma->name, count, align);
	if (count > cma->count)
		return NULL;
	nr = ALIGN(count, 1UL << cma->order_per_bit) >> cma->order_per_bit;
	if (nr > pc->nr)
		return NULL;
	a = align > cma->order_per_bit ? align - cma->order_per_bit : 0;
	/* The caller's gfp is for the pages; the descriptor is ours. */
	desc = potad_cma_ladder(&pc->pa, &potad_cma_type, nr, a, cma,
				GFP_KERNEL | (gfp & __GFP_NOWARN),
				potad_cma_claim, &req, &rung);
	ret = PTR_ERR_OR_ZERO(desc);
	if (!ret) {
		ca = to_alloc(desc);
		ca->rung = rung;
		pfn = desc->start << cma->order_per_bit;
		page = pfn_to_page(pfn);
		spin_lock_irqsave(&pc->lock, flags);
		list_add_tail(&ca->node, &pc->allocs);
		spin_unlock_irqrestore(&pc->lock, flags);
		atomic_set_release(&ca->state, POTAD_CMA_READY);
		atomic_long_inc(&pc->rungs[min(rung, POTAD_CMA_RUNGS - 1)]);
		/* Pageblocks may carry different KASAN tags: reset them. */
		for (i = 0; i < count; i++)
			page_kasan_tag_reset(nth_page(page, i));
	} else {
		/* As __cma_alloc(): no range is -ENOMEM. */
		if (ret == -ENOSPC)
			ret = -ENOMEM;
		if (!(gfp & __GFP_NOWARN)) {
			pr_err_ratelimited("%s: %s: alloc failed, req-size: %lu pages, ret: %d\n",
					   __func__, cma->name, count, ret);
			potad_cma_show(pc);
		}
	}
	pr_debug("%s(): returned %p\n", __func__, page);
	trace_cma_alloc_finish(name, pfn, page, count, align, ret);
	if (page) {
		count_vm_event(CMA_ALLOC_SUCCESS);
		cma_sysfs_account_success_pages(cma, count);
	} else {
		count_vm_event(CMA_ALLOC_FAIL);
		cma_sysfs_account_fail_pages(cma, count);
	}
	return page;
}

/*
 * The allocation of @pc holding @pfn, under rcu_read_lock(), or NULL.  A
 * descriptor that is not READY is still being evacuated by cma_alloc().
 */
static struct potad_cma_alloc *potad_cma_find(struct potad_cma *pc,
					      unsigned long pfn)
{
	struct potad_desc *desc = potad_lookup_pfn(pfn);

	if (!desc || desc->potad != &pc->pa || desc->type != &potad_cma_type)
		return NULL;
	return to_alloc(desc);
}

/* Is @ca exactly the allocation of @count pages at @pfn? */
static bool potad_cma_is(struct potad_cma_alloc *ca, unsigned long pfn,
			 unsigned long count)
{
	unsigned int opb = to_pcma(ca->desc.potad)->cma->order_per_bit;

	return ca->count == count && ca->desc.start << opb == pfn;
}

static bool potad_cma_in_area(struct cma *cma, unsigned long pfn)
{
	return pfn >= cma->base_pfn && pfn - cma->base_pfn < cma->count;
}

/**
 * potad_cma_pages_valid() - cma_pages_valid() over POTAD.
 * @cma: The area.
 * @pages: The first page.
 * @count: Pages.
 *
 * Context: Any context.
 * Return: True if @pages starts an allocation of @cma of @count pages
 * that has been handed out and not released.
 */
bool potad_cma_pages_valid(struct cma *cma, const struct page *pages,
			   unsigned long count)
{
	struct potad_cma_alloc *ca;
	unsigned long pfn;
	bool ok;

	if (!cma || !cma->potad || !pages)
		return false;
	pfn = page_to_pfn(pages);
	if (!potad_cma_in_area(cma, pfn))
		return false;
	rcu_read_lock();
	ca = potad_cma_find(cma->potad, pfn);
	ok = ca && potad_cma_is(ca, pfn, count) &&
	     atomic_read_acquire(&ca->state) == POTAD_CMA_READY;
	rcu_read_unlock();
	return ok;
}

/*
 * Put @unit, retired by a memory failure in an allocation being released,
 * back unless one of its pages is poisoned; 0 or -errno.
 */
static int potad_cma_unit_back(struct potad_cma *pc, unsigned long unit)
{
	unsigned int opb = pc->cma->order_per_bit;
	unsigned long i;

	if (!potad_is_retired(&pc->pa, unit, NULL))
		return 0;
	for (i = 0; i < BIT(opb); i++)
		if (PageHWPoison(pfn_to_page((unit << opb) + i)))
			return 0;
	return potad_unretire(&pc->pa, unit, 1, true);
}

/*
 * At the release of @ca, an allocation a memory failure reached, before
 * its pages are freed: which of its retired units go back with it.  A
 * folio freed whole (hugetlb's) leaves its poisoned pages to the buddy
 * allocator and memory_failure(), as the stock allocator does, so all of
 * its units go back; so does a unit none of whose pages is poisoned (now
 * or any more: hwpoison_filter() let it be, or the stock path unpoisoned
 * it).  A unit with a poisoned page stays retired: free_contig_range()
 * frees it page by page, and free_pages_prepare() keeps a poisoned page
 * out of the buddy allocator, with no reference, for unpoison-pfn.
 * The allocation's pfns leave the area's record of poisoned pages.
 * Cost: a look at each page of each unit a memory failure reached (at
 * each unit of the allocation if one was not recorded), only after a
 * memory failure.
 */
static void potad_cma_release_poisoned(struct potad_cma *pc,
				       struct potad_cma_alloc *ca,
				       unsigned long pfn, unsigned long count)
{
	unsigned int opb = pc->cma->order_per_bit;
	unsigned long unit = pfn >> opb, last = (pfn + count - 1) >> opb;
	unsigned long p, seen = ULONG_MAX, flags;
	void *entry;
	int ret = 0;

	if (folio_test_large(pfn_folio(pfn))) {
		ret = potad_unretire(&pc->pa, unit, last - unit + 1, true);
	} else if (ca->hwp_lost) {
		for (; unit <= last; unit++)
			ret = min(ret, potad_cma_unit_back(pc, unit));
	} else {
		/* In pfn order: each unit once. */
		xa_for_each_range(&pc->hwpoison, p, entry, pfn,
				  pfn + count - 1) {
			if (p >> opb == seen)
				continue;
			seen = p >> opb;
			ret = min(ret, potad_cma_unit_back(pc, seen));
		}
	}
	if (ret < 0)
		pr_err("cma: %s: pfn %#lx: retired units not put back: %d\n",
		       pc->cma->name, pfn, ret);
	/* Interrupts off: a release may come from softirq context. */
	spin_lock_irqsave(&pc->lock, flags);
	xa_for_each_range(&pc->hwpoison, p, entry, pfn, pfn + count - 1)
		xa_erase(&pc->hwpoison, p);
	spin_unlock_irqrestore(&pc->lock, flags);
}

/**
 * potad_cma_release() - cma_release() over POTAD.
 * @cma: The area.
 * @pages: The first page of an allocation.
 * @count: Its number of pages.
 *
 * The pages go back to the buddy allocator (free_contig_range()), then
 * the run to the instance, as cma_release() does with the bitmap.
 *
 * Context: Any context where a spinlock_t may be taken (hugetlb frees
 * folios from atomic context).
 * Return: True if it was released; false, quietly, if @pages is outside
 * @cma (the other areas may hold it) or no allocation holds the range
 * (pages the buddy allocator put in the area's free pageblocks, or a
 * range released already); false with a warning (once) if the range
 * overlaps an allocation without being exactly it.  Nothing changes on
 * false.
 */
bool potad_cma_release(struct cma *cma, const struct page *pages,
		       unsigned long count)
{
	struct potad_cma_alloc *ca;
	bool ok, poisoned = false;
	unsigned long pfn, flags;
	struct potad_cma *pc;

	if (!cma || !cma->potad || !pages)
		return false;
	pc = cma->potad;
	pfn = page_to_pfn(pages);
	if (!potad_cma_in_area(cma, pfn)) {
		pr_debug("%s(page %p, count %lu)\n", __func__, (void *)pages,
			 count);
		return false;
	}
	rcu_read_lock();
	ca = potad_cma_find(pc, pfn);
	if (!ca) {
		ca = count > 1 ? potad_cma_find(pc, pfn + count - 1) : NULL;
		rcu_read_unlock();
		/*
		 * No allocation holds the range: pages the buddy allocator
		 * placed in the area's free MIGRATE_CMA pageblocks (hugetlb
		 * asks for its 2 MB folios), or released already.  The
		 * caller frees them its own way.  An allocation at its end
		 * only: a caller bug.
		 */
		WARN_ONCE(ca, "cma: %s: release of %lu pages at pfn %#lx: not an allocation\n",
			  cma->name, count, pfn);
		return false;
	}
	/*
	 * Claimed by one release only: the descriptor is ours after that.
	 * Under the lock, so that no memory failure retires a unit of it
	 * or records a page once @poisoned is read.
	 */
	spin_lock_irqsave(&pc->lock, flags);
	ok = potad_cma_is(ca, pfn, count) &&
	     atomic_cmpxchg(&ca->state, POTAD_CMA_READY,
			    POTAD_CMA_RELEASING) == POTAD_CMA_READY;
	if (ok) {
		poisoned = ca->nr_poisoned || ca->hwp_lost;
		list_del(&ca->node);
	}
	spin_unlock_irqrestore(&pc->lock, flags);
	rcu_read_unlock();
	if (WARN_ONCE(!ok, "cma: %s: release of %lu pages at pfn %#lx: not an allocation\n",
		      cma->name, count, pfn))
		return false;
	pr_debug("%s(page %p, count %lu)\n", __func__, (void *)pages, count);
	if (poisoned)
		potad_cma_release_poisoned(pc, ca, pfn, count);
	free_contig_range(pfn, count);
	potad_free(&pc->pa, &ca->desc);
	cma_sysfs_account_release_pages(cma, count);
	trace_cma_release(cma->name, pfn, pages, count);
	return true;
}

/* The owner of a CMA allocation is told of @pfn: recorded, counted, logged. */
static void potad_cma_told(struct potad_desc *desc, unsigned long pfn)
{
	struct potad_cma_alloc *ca = to_alloc(desc);
	struct potad_cma *pc = to_pcma(desc->potad);
	unsigned long first = desc->start << pc->cma->order_per_bit;

	atomic_long_inc(&pc->poisoned);
	pr_err("cma: %s: memory failure at pfn %#lx, page %lu of %lu allocated at pfn %#lx by %pS\n",
	       pc->cma->name, pfn, pfn - first, ca->count, first,
	       (void *)ca->caller);
}

/* Under the area's lock: @pfn of @ca is new to its record. */
static void potad_cma_record(struct potad_cma_alloc *ca, unsigned long pfn)
{
	if (!ca->nr_poisoned)
		ca->poisoned = pfn;
	ca->nr_poisoned++;
}

/* The type's op: told of a unit, its first page. */
static int potad_cma_mf(struct potad_desc *desc, unsigned long unit,
			int flags)
{
	struct potad_cma *pc = to_pcma(desc->potad);
	unsigned long pfn = unit << pc->cma->order_per_bit, irqflags;

	spin_lock_irqsave(&pc->lock, irqflags);
	potad_cma_record(to_alloc(desc), pfn);
	/* Not in @hwpoison: the release looks at every unit. */
	to_alloc(desc)->hwp_lost = true;
	spin_unlock_irqrestore(&pc->lock, irqflags);
	potad_cma_told(desc, pfn);
	return 0;
}

/**
 * potad_cma_memory_failure() - A poisoned page inside a CMA allocation.
 * @pfn: The page.
 * @flags: The MF_* flags of memory_failure().
 *
 * Called by memory_failure() for every page it is given, before the
 * hugetlb and POTAD zone handling, so that a gigantic hugetlb folio of a
 * hugetlb_cma area is seen too.  If an allocation holds @pfn, its unit is
 * retired (it stays with the owner) and the owner's record is told once
 * per page, however often the page is reported: a second page of a unit
 * retired already too, since the area records the pfns (until the
 * allocation is released: once per page per allocation, an unpoison in
 * between notwithstanding).  The stock handling of the page then goes
 * on, since the pages are the caller's (a driver's, or hugetlb's, which
 * poisons the folio and dissolves it once free).  The release decides
 * whether the unit goes back (potad_cma_release_poisoned()).
 *
 * Context: Process context, may sleep; under memory-failure's mf_mutex.
 * Return: -ENOENT: the stock path always goes on.
 */
int potad_cma_memory_failure(unsigned long pfn, int flags)
{
	struct potad_desc *desc = potad_lookup_get(PFN_PHYS(pfn));
	struct potad_cma_alloc *ca;
	unsigned long irqflags, unit;
	struct potad_cma *pc;
	int ret = -ENOENT, err;
	bool told = false;

	if (!desc)
		return -ENOENT;
	ca = to_alloc(desc);
	pc = to_pcma(desc->potad);
	unit = pfn >> pc->cma->order_per_bit;
	/*
	 * Not while evacuated, nor once a release has claimed it (under
	 * pc->lock: potad_cma_release() then sees the retired unit), nor for
	 * the free tail of a unit beyond the allocation.
	 */
	if (desc->type == &potad_cma_type &&
	    pfn - (desc->start << pc->cma->order_per_bit) < ca->count) {
		/*
		 * Stored before the lock, where it may sleep: mf_mutex
		 * serialises the stores, and the reference keeps the pfn
		 * this allocation's or dead.  -EBUSY: reported before.
		 */
		err = xa_insert_irq(&pc->hwpoison, pfn, xa_mk_value(0),
				    GFP_KERNEL);
		spin_lock_irqsave(&pc->lock, irqflags);
		if (atomic_read(&ca->state) != POTAD_CMA_READY)
			ret = -ENOENT;
		else if (potad_is_retired(&pc->pa, unit, NULL))
			ret = -EALREADY;	/* by another page of it */
		else
			ret = potad_retire(&pc->pa, unit, GFP_ATOMIC, NULL);
		told = !ret || (ret == -EALREADY && err != -EBUSY);
		if (told) {
			potad_cma_record(ca, pfn);
			if (err)
				ca->hwp_lost = true;
		} else if (!err) {
			/* Not the record's: the release may have erased. */
			xa_erase(&pc->hwpoison, pfn);
		}
		spin_unlock_irqrestore(&pc->lock, irqflags);
		if (ret && ret != -EALREADY && ret != -ENOENT)
			pr_err("cma: pfn %#lx: cannot retire it: %d\n", pfn,
			       ret);
		if (told)
			potad_cma_told(desc, pfn);
	}
	potad_desc_put(desc);
	return -ENOENT;
}

/**
 * potad_cma_unpoison_memory() - Unpoison a page of a CMA area.
 * @pfn: A page with PageHWPoison.
 *
 * A page potad_cma_memory_failure() retired the unit of: while an
 * allocation holds it, -EBUSY (the stock path would free a page the
 * allocation still owns), unless the allocation is a live folio
 * (hugetlb's, which has its own unpoison; the unit goes back at the
 * release).  Once released, only a unit with a page free_contig_range()
 * kept out of the buddy allocator is still retired (see
 * potad_cma_release_poisoned()): that page, with no reference, loses
 * PageHWPoison, is zeroed under init_on_free and goes back to the buddy
 * allocator as a free MIGRATE_CMA page, and its unit back into the area's
 * free space, unless another page of the unit is still poisoned.  A page
 * found in any other state (a race with the release) is left to the
 * stock path, and its unit stays retired.
 *
 * Context: Process context; for unpoison_memory(), under mf_mutex.
 * Return: -ENOENT if @pfn is not in a unit a CMA area retired, or is left
 * to the stock path; -EBUSY with nothing changed; 0 once given back.
 */
int potad_cma_unpoison_memory(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long first, unit, i;
	struct cma *cma = NULL;
	struct potad_cma *pc;
	bool in_block;
	int j;

	for (j = 0; j < cma_area_count; j++)
		if (pfn >= cma_areas[j].base_pfn &&
		    pfn - cma_areas[j].base_pfn < cma_areas[j].count)
			cma = &cma_areas[j];
	if (!cma || !cma->potad)
		return -ENOENT;
	pc = cma->potad;
	unit = pfn >> cma->order_per_bit;
	if (!potad_is_retired(&pc->pa, unit, &in_block))
		return -ENOENT;
	if (in_block)
		return PageCompound(page) ? -ENOENT : -EBUSY;
	if (page_count(page) || is_free_buddy_page(page))
		return -ENOENT;
	ClearPageHWPoison(page);
	if (want_init_on_free())
		clear_highpage(page);
	set_page_refcounted(page);
	__free_page(page);
	first = unit << cma->order_per_bit;
	for (i = 0; i < BIT(cma->order_per_bit); i++)
		if (PageHWPoison(pfn_to_page(first + i)))
			return 0;
	if (potad_unretire(&pc->pa, unit, 1, false) < 0)
		pr_err("cma: %s: pfn %#lx: unit not put back into service\n",
		       cma->name, pfn);
	return 0;
}

/**
 * potad_cma_folio() - Is @folio exactly a CMA allocation?
 * @folio: A hugetlb folio.
 *
 * For hugetlb's demotion, which must leave such folios whole.
 *
 * Context: Any context.
 * Return: True if a CMA allocation starts at @folio and has its size.
 */
bool potad_cma_folio(struct folio *folio)
{
	struct potad_desc *desc;
	bool ret;

	rcu_read_lock();
	desc = potad_lookup_pfn(folio_pfn(folio));
	ret = desc && desc->type == &potad_cma_type &&
	      potad_cma_is(to_alloc(desc), folio_pfn(folio),
			   folio_nr_pages(folio));
	rcu_read_unlock();
	return ret;
}

/**
 * potad_cma_activate() - Set up the POTAD instance of a CMA area.
 * @cma: The area, reserved, not yet activated.
 *
 * Called by cma_activate_area() in place of the bitmap allocation.
 *
 * Context: Process context (core_initcall), may sleep.
 * Return: 0 or -ENOMEM (the area is then given up, as without a bitmap).
 */
int potad_cma_activate(struct cma *cma)
{
	unsigned int opb = cma->order_per_bit, top;
	unsigned long first = cma->base_pfn >> opb, nr = cma->count >> opb;
	unsigned long base, end;
	struct potad_cma *pc;
	int i, ret;

	if (!potad_cma_type.registered) {
		ret = potad_type_register(&potad_cma_type);
		if (ret)
			return ret;
	}
	/* Units are absolute: the area must start at a unit boundary. */
	if (!nr || WARN_ON_ONCE(!IS_ALIGNED(cma->base_pfn, 1UL << opb)))
		return -EINVAL;
	top = order_base_2(nr);
	base = round_down(first, BIT(top));
	end = round_up(first + nr, BIT(top));
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc)
		return -ENOMEM;
	ret = potad_init(&pc->pa, cma->name, POTAD_MEMORY, PAGE_SHIFT + opb,
			 base, end - base, top);
	if (ret)
		goto free;
	ret = potad_add_range(&pc->pa, first, nr);
	if (ret) {
		potad_destroy(&pc->pa);
		goto free;
	}
	pc->cma = cma;
	pc->first = first;
	pc->nr = nr;
	spin_lock_init(&pc->lock);
	INIT_LIST_HEAD(&pc->allocs);
	xa_init_flags(&pc->hwpoison, XA_FLAGS_LOCK_IRQ);
	for (i = 0; i < POTAD_CMA_RUNGS; i++)
		atomic_long_set(&pc->rungs[i], 0);
	cma->potad = pc;
	return 0;
free:
	kfree(pc);
	return ret;
}

/**
 * potad_cma_deactivate() - Undo potad_cma_activate().
 * @cma: The area, with no allocation.
 *
 * Context: Process context, may sleep.
 */
void potad_cma_deactivate(struct cma *cma)
{
	struct potad_cma *pc = cma->potad;

	if (!pc)
		return;
	cma->potad = NULL;
	potad_withdraw_range(&pc->pa, pc->first, pc->nr);
	potad_destroy(&pc->pa);
	xa_destroy(&pc->hwpoison);
	kfree(pc);
}

/**
 * potad_cma_used() - Pages of the area not free (the debugfs "used").
 * @cma: The area.
 *
 * Context: Any context where a spinlock_t may be taken.
 * Return: Pages allocated or retired.
 */
unsigned long potad_cma_used(struct cma *cma)
{
	struct potad_cma *pc = cma->potad;

	if (!pc)
		return 0;
	return (pc->nr - potad_units_free(&pc->pa)) << cma->order_per_bit;
}

/**
 * potad_cma_maxchunk() - The largest free run (the debugfs "maxchunk").
 * @cma: The area.
 *
 * Found by bisection with potad_find_run(): the largest count a
 * cma_alloc() with no alignment could take.
 *
 * Context: Any context where a spinlock_t may be taken.
 * Return: Its length in pages.
 */
unsigned long potad_cma_maxchunk(struct cma *cma)
{
	struct potad_cma *pc = cma->potad;
	unsigned long lo = 0, hi, mid, start;

	if (!pc)
		return 0;
	hi = pc->nr;
	/* Invariant: a run of lo fits, hi + 1 does not. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		start = pc->first;
		if (!potad_find_run(&pc->pa, mid, 0, &start))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo << cma->order_per_bit;
}

#ifdef CONFIG_CMA_DEBUGFS
/* The "bitmap" file: a bit per unit set unless free, as u32 words. */
static int potad_cma_bitmap_show(struct seq_file *m, void *v)
{
	struct cma *cma = m->private;
	struct potad_cma *pc = cma->potad;
	unsigned long nwords = DIV_ROUND_UP(pc->nr, 32), w, u;

	for (w = 0; w < nwords; w++) {
		u32 word = 0;

		for (u = 0; u < 32 && w * 32 + u < pc->nr; u++) {
			unsigned long start = pc->first + w * 32 + u;

			/* Free: a run of one found right there. */
			if (potad_find_run(&pc->pa, 1, 0, &start) ||
			    start != pc->first + w * 32 + u)
				word |= 1U << u;
		}
		seq_printf(m, w ? " %u" : "%u", word);
		cond_resched();
	}
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_cma_bitmap);

/* The "potad" file: the ladder's rungs, the free blocks, the allocations. */
static int potad_cma_stats_show(struct seq_file *m, void *v)
{
	struct cma *cma = m->private;
	struct potad_cma *pc = cma->potad;
	unsigned int opb = cma->order_per_bit, k;
	struct potad_cma_alloc *ca;
	struct potad_stats *st;
	unsigned long flags;
	int i;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	potad_get_stats(&pc->pa, st);
	seq_printf(m, "unit_pages %lu\nunits %lu\nfree_units %lu\nretired_units %lu\n",
		   1UL << opb, pc->nr, st->units_free, st->units_retired);
	seq_printf(m, "busy_retries %ld\nmemory_failures %ld\n",
		   atomic_long_read(&pc->busy), atomic_long_read(&pc->poisoned));
	for (i = 0; i < POTAD_CMA_RUNGS; i++)
		seq_printf(m, "rung %d%s (%lu chunk%s) %ld\n", i,
			   i == POTAD_CMA_RUNGS - 1 ? "+" : "", 1UL << i,
			   i ? "s" : "", atomic_long_read(&pc->rungs[i]));
	for (k = 0; k <= st->max_order; k++)
		if (st->nr_free[k])
			seq_printf(m, "free order %u: %lu\n", k + opb,
				   st->nr_free[k]);
	kfree(st);
	spin_lock_irqsave(&pc->lock, flags);
	list_for_each_entry(ca, &pc->allocs, node)
		seq_printf(m, "alloc pfn %#lx pages %lu rung %u poisoned %#lx poisoned_pages %lu caller %pS\n",
			   ca->desc.start << opb, ca->count, ca->rung,
			   ca->poisoned, ca->nr_poisoned, (void *)ca->caller);
	spin_unlock_irqrestore(&pc->lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_cma_stats);

/*
 * The "ladder" file, a test interface like "alloc" and "free": writing
 * "<count> <align>" allocates count pages at 2^align pages with
 * cma_alloc(), "free" releases them all, "release <pfn> <count>" calls
 * cma_release() on a range starting in one of them or outside the area
 * (for the bad-input tests).  Reading lists
 * what it holds.
 */
struct potad_cma_test {
	struct list_head node;
	struct page *page;
	unsigned long count;
};

static LIST_HEAD(potad_cma_tests);
static DEFINE_MUTEX(potad_cma_tests_lock);

static ssize_t potad_cma_ladder_write(struct file *file,
				      const char __user *ubuf, size_t len,
				      loff_t *ppos)
{
	struct cma *cma = file_inode(file)->i_private;
	struct potad_cma_test *t, *tmp;
	unsigned long count, pfn;
	unsigned int align;
	char buf[64];
	int ret = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	mutex_lock(&potad_cma_tests_lock);
	if (sysfs_streq(buf, "free")) {
		list_for_each_entry_safe(t, tmp, &potad_cma_tests, node) {
			if (!cma_release(cma, t->page, t->count))
				continue;
			list_del(&t->node);
			kfree(t);
		}
	} else if (sscanf(buf, "release %lx %lu", &pfn, &count) == 2) {
		bool ours = !potad_cma_in_area(cma, pfn);

		/* Ours, or outside the area: never another user's pages. */
		list_for_each_entry(t, &potad_cma_tests, node)
			if (pfn >= page_to_pfn(t->page) &&
			    pfn - page_to_pfn(t->page) < t->count)
				ours = true;
		if (!ours)
			ret = -EPERM;
		else
			ret = pfn_valid(pfn) &&
			      cma_release(cma, pfn_to_page(pfn), count) ?
			      0 : -EINVAL;
		/* A test released one of ours: forget it. */
		list_for_each_entry_safe(t, tmp, &potad_cma_tests, node) {
			if (!ret && page_to_pfn(t->page) == pfn) {
				list_del(&t->node);
				kfree(t);
			}
		}
	} else if (sscanf(buf, "%lu %u", &count, &align) == 2) {
		t = kzalloc(sizeof(*t), GFP_KERNEL);
		if (t)
			t->page = cma_alloc(cma, count, align, true);
		if (t && t->page) {
			t->count = count;
			list_add_tail(&t->node, &potad_cma_tests);
		} else {
			kfree(t);
			ret = -ENOMEM;
		}
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&potad_cma_tests_lock);
	return ret ?: len;
}

static int potad_cma_ladder_show(struct seq_file *m, void *v)
{
	struct potad_cma_test *t;

	mutex_lock(&potad_cma_tests_lock);
	list_for_each_entry(t, &potad_cma_tests, node)
		seq_printf(m, "%#lx %lu\n", page_to_pfn(t->page), t->count);
	mutex_unlock(&potad_cma_tests_lock);
	return 0;
}

static int potad_cma_ladder_open(struct inode *inode, struct file *file)
{
	return single_open(file, potad_cma_ladder_show, inode->i_private);
}

static const struct file_operations potad_cma_ladder_fops = {
	.owner = THIS_MODULE,
	.open = potad_cma_ladder_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = potad_cma_ladder_write,
	.release = single_release,
};

/**
 * potad_cma_debugfs() - The POTAD files of an area's debugfs directory.
 * @cma: The area.
 * @dir: /sys/kernel/debug/cma/<area>/.
 *
 * "bitmap" (as without POTAD: a bit per unit, set unless free), "potad"
 * (rungs, free blocks per order, allocations) and "ladder" (test
 * interface).
 *
 * Context: Process context.
 */
void potad_cma_debugfs(struct cma *cma, struct dentry *dir)
{
	if (!cma->potad)
		return;
	debugfs_create_file("bitmap", 0444, dir, cma, &potad_cma_bitmap_fops);
	debugfs_create_file("potad", 0444, dir, cma, &potad_cma_stats_fops);
	debugfs_create_file("ladder", 0600, dir, cma, &potad_cma_ladder_fops);
}
#endif /* CONFIG_CMA_DEBUGFS */
