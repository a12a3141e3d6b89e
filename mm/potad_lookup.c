// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD: from a physical address to the descriptor of its block.
 *
 * memory-failure and get_user_pages() start from a physical address (a
 * pfn) and need the descriptor of the POTAD block that holds it: its type
 * (name, descriptor size), its start and size, and its owner.  Two maple
 * trees (lib/maple_tree.c) answer that, both read under RCU without locks:
 *
 * - The directory maps each range of memory added to a memory-space
 *   instance to that instance, keyed by 512-byte granule
 *   (%POTAD_MIN_UNIT_SHIFT), so that instances with any unit size fit.
 *   It is written under potad_list_lock, by potad_add_range(),
 *   potad_withdraw_range() and potad_destroy(); ranges of two instances
 *   cannot overlap.
 * - Each memory-space instance's index (struct potad.index) maps every
 *   allocated unit to its descriptor: one entry per block, keyed by
 *   absolute unit number, covering [start, start + 2^order - 1].  A
 *   partial free (potad_free_range()) erases the freed part, splitting
 *   the entry.  It is written under the instance lock, in the same
 *   critical section as the free-block maps, so that a unit is in the
 *   index exactly while its block holds it.  Abstract spaces (swap
 *   slots) index only their partly freed blocks, from the first partial
 *   free on, and without RCU: nothing looks them up by address, but a
 *   partial free is checked against the index in every space
 *   (__potad_index_free()), which is how units freed twice, or freed and
 *   reallocated since, are told from the block's own.
 *
 * Zone instances (%POTAD_ZONE, mm/potad_zone.c) are not in the
 * directory: they cover all of the zone's memory that no other instance
 * holds, and a lookup that finds no instance in the directory asks the
 * zone of the page (potad_zone_of()).  So the directory does not grow
 * with the memory a zone instance takes from the buddy allocator, and
 * ranges of a zone instance change without potad_list_lock.  Blocks
 * below a page live in a 512 B-unit instance nested in the zone's, whose
 * 64 KB chunks are %potad_subpage_type blocks of the zone instance: a
 * lookup that finds such a chunk looks it up again in the nested index.
 *
 * A lookup is two mtree_load()s (for zone memory, the directory's, a
 * struct page read and the index's); the descriptor itself is read only
 * for zone memory, to tell a sub-page chunk (then a third mtree_load()).
 *
 * Memory for the index: an allocation stores its entry under the instance
 * lock with GFP_NOWAIT; if no node is available it gives the block back,
 * drops the lock, allocates nodes with the caller's gfp (mas_nomem()) and
 * tries again, so the index never makes an allocation fail that the
 * caller's gfp could have satisfied, and never sleeps under the lock.  A
 * free cannot fail and has no gfp: if erasing the entry needs a node that
 * GFP_NOWAIT cannot get, the entry is overwritten in place with a
 * placeholder (%POTAD_INDEX_HOLE, which needs no node because it replaces
 * exactly one entry), and a work item replaces the placeholders with
 * NULL later.  Lookups treat a placeholder as no entry.  The instance
 * remembers where it left placeholders (struct potad.holes), so the work
 * item costs what there is to clean; only if more were left than it
 * remembers does it scan the whole index.  Splitting an entry for a
 * partial free needs nodes: potad_free_range() takes a gfp for that and
 * fails with -ENOMEM, leaving the block as it was.
 *
 * Lifetime: a reader may hold a descriptor found in the index for as long
 * as it holds the RCU read lock, because a memory-space descriptor is
 * released (kmem_cache_free() or the type's release op) only after a
 * grace period following the last free of its block.  To keep the block
 * itself from being freed and reused while using it beyond that, or in
 * code that sleeps, take a reference with potad_desc_tryget(): a block
 * freed with potad_free() while references are held leaves the index and
 * turns dead at once, but its units go back to the free space only when
 * the last reference is dropped with potad_desc_put().  Units freed with
 * potad_free_range() while a reference is held wait likewise.  A
 * reference taken without the lock (potad_desc_tryget()) pins what the
 * block still holds, which may no longer include the unit the lookup was
 * for; potad_lookup_get() takes it under the instance lock, so that the
 * unit it was taken for is the block's until potad_desc_put().
 *
 * Cost: a lookup is two maple-tree walks, plus a struct page read for
 * zone memory; potad_lookup_get() adds the instance lock.  An allocation
 * in a memory space stores one entry, a free erases one (a partial free
 * may split it).
 *
 * Coding conventions in this file: functions named __potad_*() expect the
 * instance lock to be held; "granule" is a physical address shifted right
 * by %POTAD_MIN_UNIT_SHIFT.
 */

#include <linux/bug.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/fault-inject.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "potad_internal.h"

/* Every range of every memory-space instance, by granule. */
struct maple_tree potad_directory =
	MTREE_INIT_EXT(potad_directory, MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN,
		       potad_list_lock);

/* Is every block of @pa indexed, and looked up under RCU? */
static inline bool potad_indexed(const struct potad *pa)
{
	return pa->flags & POTAD_MEMORY;
}

/* Is @pa's memory in the directory (all memory spaces but zones)? */
static inline bool potad_in_directory(const struct potad *pa)
{
	return pa->flags == POTAD_MEMORY;
}

#ifdef CONFIG_POTAD_FAULT_INJECTION
/* Makes index erasures take the placeholder path (debugfs, KUnit). */
DECLARE_FAULT_ATTR(potad_fail_index);

static int __init potad_fail_index_debugfs(void)
{
	if (IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		fault_create_debugfs_attr("fail_potad_index", NULL,
					  &potad_fail_index);
	return 0;
}
late_initcall(potad_fail_index_debugfs);

static bool potad_index_should_fail(void)
{
	return should_fail(&potad_fail_index, 1);
}
#else
static inline bool potad_index_should_fail(void)
{
	return false;
}
#endif

/* First and last granule of units [start, start + nr) of @pa. */
static void potad_granules(const struct potad *pa, unsigned long start,
			   unsigned long nr, unsigned long *first,
			   unsigned long *last)
{
	unsigned int shift = pa->unit_shift - POTAD_MIN_UNIT_SHIFT;

	*first = start << shift;
	*last = ((start + nr - 1) << shift) + BIT(shift) - 1;
}

/*
 * Erase [first, last] of @mas's tree, where it is exactly one entry, without
 * failing: NULL if a node can be had with GFP_NOWAIT, else a placeholder
 * written in place.  Returns true if a placeholder was left.
 */
static bool potad_tree_clear(struct ma_state *mas, unsigned long first,
			     unsigned long last)
{
	if (!potad_index_should_fail()) {
		mas_set_range(mas, first, last);
		mas_store(mas, NULL);
		if (!mas_is_err(mas))
			return false;
		mas_destroy(mas);
	}
	mas_set_range(mas, first, last);
	mas_store(mas, POTAD_INDEX_HOLE);
	WARN_ON_ONCE(mas_is_err(mas));
	return true;
}

/* The directory */

/*
 * Does a zone instance, which is not in the directory, hold any of the
 * memory of units [start, start + nr) of @pa?  Warns once, naming the zone
 * instance, if so.
 */
static bool potad_zone_holds(struct potad *pa, unsigned long start,
			     unsigned long nr)
{
	phys_addr_t first = (phys_addr_t)start << pa->unit_shift;
	phys_addr_t last = ((phys_addr_t)(start + nr) << pa->unit_shift) - 1;
	struct potad *zone;

	zone = potad_zone_overlapping(PHYS_PFN(first),
				      PHYS_PFN(last) - PHYS_PFN(first) + 1);
	return zone && WARN_ONCE(1, "potad: %s: memory %llx+%llx belongs to %s\n",
				 pa->name, (u64)first, (u64)(last - first + 1),
				 zone->name);
}

/*
 * Check that no other range holds units [start, start + nr) of @pa, and
 * preallocate the directory store of potad_dir_finish().  Called with
 * potad_list_lock held.
 */
int potad_dir_prepare_add(struct potad *pa, struct ma_state *mas,
			  unsigned long start, unsigned long nr)
{
	unsigned long first, last;
	void *entry;

	if (!potad_in_directory(pa))
		return 0;
	lockdep_assert_held(&potad_list_lock);
	potad_granules(pa, start, nr, &first, &last);
	mas_set(mas, first);
	mas_for_each(mas, entry, last) {
		if (xa_is_value(entry))
			continue;
		if (WARN_ONCE(1, "potad: %s: memory %llx+%llx belongs to %s\n",
			      pa->name,
			      (u64)start << pa->unit_shift,
			      (u64)nr << pa->unit_shift,
			      ((struct potad *)entry)->name))
			return -EEXIST;
	}
	if (potad_zone_holds(pa, start, nr))
		return -EEXIST;
	mas_set_range(mas, first, last);
	return mas_preallocate(mas, pa, GFP_KERNEL);
}

/* Preallocate the directory erasure of units [start, start + nr). */
int potad_dir_prepare_withdraw(struct potad *pa, struct ma_state *mas,
			       unsigned long start, unsigned long nr)
{
	unsigned long first, last;

	if (!potad_in_directory(pa))
		return 0;
	lockdep_assert_held(&potad_list_lock);
	potad_granules(pa, start, nr, &first, &last);
	mas_set_range(mas, first, last);
	return mas_preallocate(mas, NULL, GFP_KERNEL);
}

/*
 * Store what potad_dir_prepare_*() prepared if @ret is 0, else drop the
 * preallocated nodes.
 */
void potad_dir_finish(struct potad *pa, struct ma_state *mas, bool add,
		      int ret)
{
	if (!potad_in_directory(pa))
		return;
	lockdep_assert_held(&potad_list_lock);
	if (ret)
		mas_destroy(mas);
	else
		mas_store_prealloc(mas, add ? pa : NULL);
}

/* The index */

/*
 * Map units [start, start + nr) to @desc.  GFP_NOWAIT under the lock: on
 * -ENOMEM, @mas remembers how many nodes it needs for mas_nomem().
 */
int __potad_index_store(struct potad *pa, struct ma_state *mas,
			struct potad_desc *desc, unsigned long start,
			unsigned long nr)
{
	lockdep_assert_held(&pa->lock);
	if (!potad_indexed(pa))
		return 0;
	mas_set_range(mas, start, start + nr - 1);
	mas_store(mas, desc);
	return mas_is_err(mas) ? -ENOMEM : 0;
}

/* Erase [first, last], exactly one entry, leaving a placeholder if need be. */
static void __potad_index_clear(struct potad *pa, struct ma_state *mas,
				unsigned long first, unsigned long last)
{
	if (!potad_tree_clear(mas, first, last))
		return;
	pa->stats.index_holes++;
	if (pa->nr_holes < POTAD_NR_HOLES) {
		pa->holes[pa->nr_holes].first = first;
		pa->holes[pa->nr_holes].last = last;
		pa->nr_holes++;
	} else {
		pa->holes_lost++;
	}
	schedule_work(&pa->index_work);
}

/*
 * Erase the whole block of @desc, which has every unit live, from the
 * index.  Its entry is exactly the block: this cannot fail (see
 * potad_tree_clear()).
 */
void __potad_index_erase(struct potad *pa, struct ma_state *mas,
			 struct potad_desc *desc)
{
	lockdep_assert_held(&pa->lock);
	if (desc->flags & POTAD_DESC_INDEXED)
		__potad_index_clear(pa, mas, desc->start,
				    desc->start + BIT(desc->order) - 1);
}

/*
 * Erase units [start, start + nr) of @desc's live block from the index,
 * first indexing the block if it is an abstract one freed in part for the
 * first time.  -EINVAL if a unit is not mapped to @desc (freed already, or
 * another block's since), with nothing changed.  When the units are
 * exactly one entry the erasure cannot fail; otherwise the entry must be
 * split, and on -ENOMEM @mas remembers how many nodes that needs for
 * mas_nomem() (the block stays indexed).
 */
int __potad_index_free(struct potad *pa, struct ma_state *mas,
		       struct potad_desc *desc, unsigned long start,
		       unsigned long nr)
{
	unsigned long last = start + nr - 1;

	lockdep_assert_held(&pa->lock);
	if (!(desc->flags & POTAD_DESC_INDEXED)) {
		/* Never freed in part: every unit is still the block's. */
		mas_set_range(mas, desc->start,
			      desc->start + BIT(desc->order) - 1);
		mas_store(mas, desc);
		if (mas_is_err(mas))
			return -ENOMEM;
		WRITE_ONCE(desc->flags, desc->flags | POTAD_DESC_INDEXED);
	}
	mas_set(mas, start);
	if (mas_walk(mas) != desc || mas->last < last)
		return -EINVAL;
	if (mas->index == start && mas->last == last) {
		__potad_index_clear(pa, mas, start, last);
		return 0;
	}
	mas_set_range(mas, start, last);
	mas_store(mas, NULL);
	return mas_is_err(mas) ? -ENOMEM : 0;
}

/*
 * The live descriptor whose block holds @unit, with a reference taken, or
 * NULL.  Under the instance lock, so that no free can give @unit back
 * before the reference is seen.
 */
struct potad_desc *__potad_index_get(struct potad *pa, unsigned long unit)
{
	MA_STATE(mas, &pa->index, unit, unit);
	struct potad_desc *desc;

	lockdep_assert_held(&pa->lock);
	desc = mas_walk(&mas);
	if (!desc || xa_is_value(desc) || desc->state != POTAD_DESC_LIVE)
		return NULL;
	/* Live: the allocation's reference is held. */
	refcount_inc(&desc->refs);
	return desc;
}

/* Entries looked at per hold of the lock by a scan of the index. */
#define POTAD_SCAN_BATCH	64

/*
 * Replace the placeholders of [first, last] with NULL.  Allocations may
 * have reused part of a placeholder's units meanwhile: only what is left
 * of it is cleared.  The lock is dropped every %POTAD_SCAN_BATCH entries
 * (the walk starts again from where it was).  False if a node could not
 * be had even with GFP_KERNEL.
 */
static bool potad_index_clear_holes(struct potad *pa, unsigned long first,
				    unsigned long last)
{
	MA_STATE(mas, &pa->index, first, first);
	unsigned long index = first, flags;
	unsigned int batch = 0;
	bool ok = true;
	void *entry;

	spin_lock_irqsave(&pa->lock, flags);
	for (;;) {
		if (++batch % POTAD_SCAN_BATCH == 0) {
			spin_unlock_irqrestore(&pa->lock, flags);
			cond_resched();
			spin_lock_irqsave(&pa->lock, flags);
		}
		mas_set(&mas, index);
		entry = mas_find(&mas, last);
		if (!entry)
			break;
		index = mas.index;
		if (entry == POTAD_INDEX_HOLE) {
			mas_store(&mas, NULL);
			if (mas_is_err(&mas)) {
				spin_unlock_irqrestore(&pa->lock, flags);
				ok = mas_nomem(&mas, GFP_KERNEL);
				spin_lock_irqsave(&pa->lock, flags);
				if (!ok)
					break;
				continue;
			}
		}
		if (mas.last >= last)
			break;
		index = mas.last + 1;
	}
	spin_unlock_irqrestore(&pa->lock, flags);
	mas_destroy(&mas);
	return ok;
}

/* Replace the index's placeholders with NULL, process context. */
static void potad_index_work(struct work_struct *work)
{
	struct potad *pa = container_of(work, struct potad, index_work);
	unsigned long flags, lost, done = 0;
	typeof(pa->holes) holes;
	unsigned int i, n;

	spin_lock_irqsave(&pa->lock, flags);
	n = pa->nr_holes;
	memcpy(holes, pa->holes, sizeof(holes));
	lost = pa->holes_lost;
	pa->nr_holes = 0;
	pa->holes_lost = 0;
	spin_unlock_irqrestore(&pa->lock, flags);

	if (lost) {
		/* More were left than remembered: look at everything. */
		lost += n;
		n = 0;
		if (!potad_index_clear_holes(pa, 0, ULONG_MAX))
			goto again;
		done = lost;
		lost = 0;
	}
	for (i = 0; i < n; i++) {
		if (!potad_index_clear_holes(pa, holes[i].first,
					     holes[i].last)) {
			lost = n - i;
			break;
		}
		done++;
		cond_resched();
	}
again:
	spin_lock_irqsave(&pa->lock, flags);
	pa->stats.index_holes -= done;
	/* Not even GFP_KERNEL could help: scan everything later. */
	pa->holes_lost += lost;
	spin_unlock_irqrestore(&pa->lock, flags);
	/*
	 * At once if this run got somewhere; otherwise when the next
	 * placeholder is left, rather than spinning while memory is short.
	 */
	if (lost && done)
		schedule_work(&pa->index_work);
}

/* Set up @pa's index and directory state, in potad_init(). */
void potad_index_init(struct potad *pa)
{
	/* Abstract spaces have no lockless readers. */
	mt_init_flags(&pa->index, MT_FLAGS_LOCK_EXTERN |
		      (potad_indexed(pa) ? MT_FLAGS_USE_RCU : 0));
	mt_set_external_lock(&pa->index, &pa->lock);
	INIT_WORK(&pa->index_work, potad_index_work);
}

/* Take @pa out of the directory; called with potad_list_lock held. */
void potad_dir_remove(struct potad *pa)
{
	MA_STATE(mas, &potad_directory, 0, 0);
	unsigned long first, last;
	void *entry;

	if (!potad_in_directory(pa))
		return;
	lockdep_assert_held(&potad_list_lock);
	mas_for_each(&mas, entry, ULONG_MAX) {
		if (entry != pa)
			continue;
		first = mas.index;
		last = mas.last;
		/* The mutex allows sleeping; a placeholder if even that fails. */
		if (mas_store_gfp(&mas, NULL, GFP_KERNEL)) {
			mas_set_range(&mas, first, last);
			mas_store(&mas, POTAD_INDEX_HOLE);
			WARN_ON_ONCE(mas_is_err(&mas));
		}
		if (last == ULONG_MAX)
			break;
		mas_set(&mas, last + 1);
	}
}

/*
 * After potad_dir_remove(): wait for the lookups that may have found @pa
 * and for descriptor release callbacks, then free @pa's index.  Process
 * context, without potad_list_lock.
 */
void potad_index_destroy(struct potad *pa)
{
	unsigned long flags;

	if (potad_indexed(pa))
		synchronize_rcu();
	cancel_work_sync(&pa->index_work);
	/*
	 * No reader can reach the index any more.  Leave RCU mode first, as
	 * exit_mmap() does: the RCU-deferred walk that would free the nodes
	 * otherwise (mt_free_walk()) misreads an internal node with all
	 * slots used.
	 */
	spin_lock_irqsave(&pa->lock, flags);
	mt_clear_in_rcu(&pa->index);
	__mt_destroy(&pa->index);
	spin_unlock_irqrestore(&pa->lock, flags);
	/* Descriptor release callbacks may look at their instance. */
	rcu_barrier();
}

/*
 * After an index store failed with -ENOMEM and the instance lock was
 * dropped: allocate the nodes @mas asked for with @gfp.  True to try
 * again; a gfp that cannot sleep gets a few tries, so that a store that
 * keeps needing more nodes than it can get cannot loop for ever.
 */
bool potad_index_retry(struct ma_state *mas, gfp_t gfp, unsigned int *tries)
{
	if (!gfpflags_allow_blocking(gfp) && ++*tries > 3)
		return false;
	return mas_nomem(mas, gfp);
}

/* Lookups */

/*
 * The memory-space instance whose memory holds @phys: the directory's, or
 * else the zone instance of the page (mm/potad_zone.c), whose index may
 * or may not hold it.  Under RCU: an instance in the directory stays until
 * a grace period after potad_destroy(); zone instances stay for ever.
 */
static struct potad *potad_instance_of(phys_addr_t phys)
{
	u64 granule = (u64)phys >> POTAD_MIN_UNIT_SHIFT;
	struct potad *pa;

	if (granule > ULONG_MAX)
		return NULL;
	pa = mtree_load(&potad_directory, granule);
	if (pa && !xa_is_value(pa))
		return pa;
	return potad_zone_of(phys);
}

/**
 * potad_lookup() - Find the block holding a physical address.
 * @phys: Any byte of any block of any memory-space instance.
 *
 * The descriptor gives the block's type (@desc->type->name and ->size),
 * its start and size (potad_desc_phys(), potad_desc_bytes()) and its
 * owner.  It stays valid memory until rcu_read_unlock(), even if the block
 * is freed meanwhile; take a reference with potad_desc_tryget() to use it
 * beyond that, or to keep the block from being freed and reused.  A block
 * being allocated or freed by another CPU may or may not be found: a
 * block freed after its entry was read is returned dead (its @state no
 * longer %POTAD_DESC_LIVE, and potad_desc_tryget() fails).
 *
 * Context: Any context, under rcu_read_lock() (interrupts disabled, as in
 * GUP-fast, counts as a read-side critical section).  Takes no lock.
 * Return: The descriptor of the allocated block holding @phys, or NULL if
 * no allocated block of a memory-space instance holds it.
 */
struct potad_desc *potad_lookup(phys_addr_t phys)
{
	struct potad_desc *desc;
	struct potad *pa;

	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "POTAD lookup outside an RCU read-side section");
	pa = potad_instance_of(phys);
	if (!pa)
		return NULL;
	/*
	 * A block found in the index was live when its entry was read; its
	 * state is not checked here (the caller reads the descriptor, and
	 * potad_desc_tryget() checks it).  Only in a zone instance is its
	 * type read: it may be a chunk of the sub-page instance.
	 */
	desc = mtree_load(&pa->index, phys >> pa->unit_shift);
	if (xa_is_value(desc))
		return NULL;
	/* A chunk of the zone's sub-page instance: look inside. */
	if (unlikely(desc && (pa->flags & POTAD_ZONE) &&
		     desc->type == &potad_subpage_type)) {
		pa = potad_zone_sub(pa);
		desc = mtree_load(&pa->index, phys >> pa->unit_shift);
		if (xa_is_value(desc))
			return NULL;
	}
	return desc;
}
EXPORT_SYMBOL_GPL(potad_lookup);

/**
 * potad_lookup_pfn() - Find the block holding a page frame.
 * @pfn: A page frame number.
 *
 * As potad_lookup() for the first byte of @pfn.  A block smaller than a
 * page (512-byte units) is found only if it holds that first byte.
 *
 * Context: Any context, under rcu_read_lock().
 * Return: The descriptor, or NULL.
 */
struct potad_desc *potad_lookup_pfn(unsigned long pfn)
{
	return potad_lookup(PFN_PHYS(pfn));
}
EXPORT_SYMBOL_GPL(potad_lookup_pfn);

/**
 * potad_lookup_get() - Find the block holding a physical address, and pin it.
 * @phys: Any byte of any block of any memory-space instance.
 *
 * As potad_lookup(), but the block is looked up under its instance's lock
 * and a reference is taken in the same critical section: until
 * potad_desc_put(), the unit holding @phys stays the block's.  If the
 * owner frees it meanwhile it leaves the index but is not handed out
 * again (what get_user_pages() and memory-failure need).
 *
 * Context: Any context where a spinlock_t may be taken; takes and
 * releases the RCU read lock and the instance lock with interrupts
 * disabled.
 * Return: The descriptor with a reference held, or NULL if no allocated
 * block of a memory-space instance holds @phys.
 */
struct potad_desc *potad_lookup_get(phys_addr_t phys)
{
	struct potad_desc *desc = NULL;
	unsigned long flags;
	struct potad *pa;

	rcu_read_lock();
	pa = potad_instance_of(phys);
	if (pa) {
		spin_lock_irqsave(&pa->lock, flags);
		desc = __potad_index_get(pa, phys >> pa->unit_shift);
		spin_unlock_irqrestore(&pa->lock, flags);
	}
	/* A chunk of the zone's sub-page instance: pinned while we look. */
	if (desc && desc->type == &potad_subpage_type) {
		struct potad_desc *chunk = desc;

		pa = potad_zone_sub(pa);
		spin_lock_irqsave(&pa->lock, flags);
		desc = __potad_index_get(pa, phys >> pa->unit_shift);
		spin_unlock_irqrestore(&pa->lock, flags);
		potad_desc_put(chunk);
	}
	rcu_read_unlock();
	return desc;
}
EXPORT_SYMBOL_GPL(potad_lookup_get);
