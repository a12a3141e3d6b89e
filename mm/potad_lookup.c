// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD: from a physical address to the descriptor of its block.
 *
 * memory-failure and get_user_pages() start from a physical address (a
 * pfn) and need the descriptor of the POTAD block that holds it: its type
 * (name, descriptor size), its start and size, and its owner.  Maple
 * trees (lib/maple_tree.c) and arrays answer that, all read under RCU
 * without locks:
 *
 * - The directory maps each range of memory added to a memory-space
 *   instance to that instance, keyed by 512-byte granule
 *   (%POTAD_MIN_UNIT_SHIFT), so that instances with any unit size fit.
 *   It is written under potad_list_lock, by potad_add_range(),
 *   potad_withdraw_range() and potad_destroy(); ranges of two instances
 *   cannot overlap.
 * - Each memory-space instance's index maps every allocated unit to its
 *   descriptor, keyed by absolute unit number, in two parts.  A block
 *   below %POTAD_CHUNK_SHIFT lives in the array of its chunk (the
 *   aligned 2^%POTAD_CHUNK_SHIFT units around it, struct potad_chunk,
 *   found in the maple tree struct potad.chunks by chunk number): it
 *   points every slot of its units at its descriptor.  Storing and
 *   erasing it are plain pointer writes that never allocate and never
 *   fail, however the blocks around it come and go; a partial free
 *   clears the slots of the freed units.  A chunk gets its array when it
 *   first holds a small block (allocated with the caller's gfp outside
 *   the lock, as maple-tree nodes are) and keeps it until no added range
 *   touches the chunk any more; then it is freed after a grace period.
 *   A larger block has one entry in the maple tree struct potad.index,
 *   covering [start, start + 2^order - 1], which a partial free splits.
 *   Both are written under the instance lock, in the same critical
 *   section as the free-block maps, so that a unit is in the index
 *   exactly while its block holds it.  Abstract spaces (swap
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
 * A lookup is the directory's mtree_load() (for zone memory, that and a
 * struct page read), the chunk tree's and a slot read, and for a block
 * not in a chunk the index's mtree_load(); the descriptor itself is read
 * only for zone memory, to tell a sub-page chunk (then the same again in
 * the nested instance).
 *
 * Memory for the index: an allocation stores its entry under the
 * instance lock with GFP_NOWAIT; if no node (or no chunk array) is
 * available it gives the block back, drops the lock, allocates nodes
 * with the caller's gfp (mas_nomem(), potad_index_retry()) and tries
 * again, so the index never makes an allocation fail that the caller's
 * gfp could have satisfied, and never sleeps under the lock.  A free
 * cannot fail and has no gfp: if erasing the entry needs a node that
 * GFP_NOWAIT cannot get, the entry is overwritten in place with a
 * placeholder (%POTAD_INDEX_HOLE, which needs no node because it
 * replaces exactly one entry), and a work item replaces the
 * placeholders with NULL later.  Lookups treat a placeholder as no
 * entry.  The instance remembers where it left placeholders (struct
 * potad.holes), so the work item costs what there is to clean; only if
 * more were left than it remembers does it scan the whole index.
 * Splitting an entry of a large block for a partial free needs nodes:
 * potad_free_range() takes a gfp for that and fails with -ENOMEM,
 * leaving the block as it was.
 *
 * Lifetime: a reader may hold a descriptor found in the index for as long
 * as it holds the RCU read lock, because a memory-space descriptor is
 * released (kmem_cache_free() or the type's release op) only after a
 * grace period following the last free of its block, and a chunk array
 * only a grace period after its chunk left the space.  To keep the block
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
 * Cost: a lookup is two maple-tree walks (the directory's and the chunk
 * tree's, which has an entry per 2^%POTAD_CHUNK_SHIFT units in use rather
 * than per block) and a slot read, plus a struct page read for zone
 * memory, and for a large block a third walk; potad_lookup_get() adds
 * the instance lock.  An allocation of a block below
 * %POTAD_CHUNK_SHIFT writes 2^order slots and its free clears them; a
 * larger block stores one maple-tree entry and erases it.  Memory: a
 * chunk array is a pointer per unit (8 KB per 4 MB of 4 KB units) for
 * each chunk that holds small blocks, and an entry in the chunk tree.
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

/*
 * The trees below are in RCU mode, where a store that replaces a subtree
 * frees it after a grace period with mt_destroy_walk(): in 6.12 that
 * walk strips the type bits from the children in the replaced subtree's
 * top node and then clears the node's metadata; in a full internal node
 * of a tree without MT_FLAGS_ALLOC_RANGE the metadata shares the last
 * slot, which no longer looks like a child, so part of the sixteenth
 * child's pointer is zeroed and the deferred free (mt_free_walk()) frees
 * the corrupted pointer.  Allocation-range trees keep the metadata of
 * internal nodes apart from the slots (as the VMA trees do): all three
 * are such trees, though nothing allocates ranges in them.
 */
#define POTAD_MT_FLAGS	(MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN | \
			 MT_FLAGS_ALLOC_RANGE)

/* Every range of every memory-space instance, by granule. */
struct maple_tree potad_directory =
	MTREE_INIT_EXT(potad_directory, POTAD_MT_FLAGS, potad_list_lock);

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
 * The descriptors of a chunk's small blocks: @slot[i] is the descriptor
 * of the block holding unit (chunk number << POTAD_CHUNK_SHIFT) + i, or
 * NULL.  A block fills the slots of all its units, so a lookup reads one
 * slot, and freeing part of a block clears part of them.  Freed after a
 * grace period once no added range touches the chunk.
 */
struct potad_chunk {
	struct potad_desc **slot;
	struct rcu_head rcu;
};

static inline bool potad_chunked(unsigned int order)
{
	return order < POTAD_CHUNK_SHIFT;
}

static struct potad_chunk *potad_chunk_new(gfp_t gfp)
{
	struct potad_chunk *chunk = kmalloc(sizeof(*chunk), gfp);

	if (!chunk)
		return NULL;
	chunk->slot = kcalloc(BIT(POTAD_CHUNK_SHIFT), sizeof(*chunk->slot),
			      gfp);
	if (!chunk->slot) {
		kfree(chunk);
		return NULL;
	}
	return chunk;
}

static void potad_chunk_free(struct potad_chunk *chunk)
{
	kfree(chunk->slot);
	kfree(chunk);
}

static void potad_chunk_free_rcu(struct rcu_head *head)
{
	potad_chunk_free(container_of(head, struct potad_chunk, rcu));
}

/**
 * potad_index_op_init() - Start an index update of an instance.
 * @op: The update's state.
 * @pa: The instance.
 *
 * Context: Any context.
 */
void potad_index_op_init(struct potad_index_op *op, struct potad *pa)
{
	mas_init(&op->mas, &pa->index, 0);
	mas_init(&op->cmas, &pa->chunks, 0);
	op->spare = NULL;
	op->need_chunk = false;
}

/**
 * potad_index_op_done() - Free what an index update allocated and did not use.
 * @op: The update's state.
 *
 * Context: Any context, without the instance lock.
 */
void potad_index_op_done(struct potad_index_op *op)
{
	mas_destroy(&op->mas);
	mas_destroy(&op->cmas);
	if (op->spare)
		potad_chunk_free(op->spare);
	op->spare = NULL;
}

/* The slots of the chunk holding @unit, or NULL if it has none. */
static struct potad_desc **__potad_chunk_slots(struct ma_state *cmas,
					       unsigned long unit)
{
	struct potad_chunk *chunk;

	mas_set(cmas, unit >> POTAD_CHUNK_SHIFT);
	chunk = mas_walk(cmas);
	return chunk ? chunk->slot : NULL;
}

/*
 * The slots of the chunk holding @unit, entering @op's spare chunk array
 * if it has none yet.  ERR_PTR(-ENOMEM) if a chunk array is needed
 * (@op->need_chunk) or a maple-tree node GFP_NOWAIT could not get.
 */
static struct potad_desc **__potad_chunk_create(struct potad *pa,
						struct potad_index_op *op,
						unsigned long unit)
{
	struct potad_desc **slots = __potad_chunk_slots(&op->cmas, unit);
	unsigned long nr = unit >> POTAD_CHUNK_SHIFT;

	if (slots)
		return slots;
	if (!op->spare) {
		op->need_chunk = true;
		return ERR_PTR(-ENOMEM);
	}
	mas_set_range(&op->cmas, nr, nr);
	mas_store(&op->cmas, op->spare);
	if (mas_is_err(&op->cmas))
		return ERR_PTR(-ENOMEM);
	slots = op->spare->slot;
	op->spare = NULL;
	pa->stats.index_chunks++;
	return slots;
}

/* Point @nr slots from @slots at @desc, or at NULL, for lockless readers. */
static void potad_slots_set(struct potad_desc **slots, unsigned long nr,
			    struct potad_desc *desc)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		WRITE_ONCE(slots[i], desc);
}

/*
 * Point the slots of @desc's block, from @slots (its first unit's), at
 * @desc, filled in already, for lockless readers.
 */
static void potad_slots_publish(struct potad_desc **slots,
				struct potad_desc *desc)
{
	desc->flags |= POTAD_DESC_CHUNKED;
	/* The descriptor is filled in before lookups can see it. */
	smp_wmb();
	potad_slots_set(slots, BIT(desc->order), desc);
}

/* Slot of @unit in its chunk's array @slots. */
static inline unsigned long potad_slot(unsigned long unit)
{
	return unit & (BIT(POTAD_CHUNK_SHIFT) - 1);
}

/*
 * Map the units of @desc's new block to it.  GFP_NOWAIT under the lock:
 * on -ENOMEM, @op remembers what it needs for potad_index_retry().
 */
int __potad_index_store(struct potad *pa, struct potad_index_op *op,
			struct potad_desc *desc)
{
	struct ma_state *mas = &op->mas;
	struct potad_desc **slots;

	lockdep_assert_held(&pa->lock);
	if (!potad_indexed(pa))
		return 0;
	/* A run has an entry of its own, whatever its size. */
	if (potad_chunked(desc->order) && !(desc->flags & POTAD_DESC_RUN)) {
		slots = __potad_chunk_create(pa, op, desc->start);
		if (IS_ERR(slots))
			return PTR_ERR(slots);
		potad_slots_publish(slots + potad_slot(desc->start), desc);
		return 0;
	}
	mas_set_range(mas, desc->start,
		      desc->start + potad_desc_units(desc) - 1);
	mas_store(mas, desc);
	return mas_is_err(mas) ? -ENOMEM : 0;
}

/* Has the chunk holding @unit an array?  Under the instance lock. */
bool __potad_chunk_present(struct potad *pa, unsigned long unit)
{
	struct ma_state cmas;

	lockdep_assert_held(&pa->lock);
	mas_init(&cmas, &pa->chunks, 0);
	return __potad_chunk_slots(&cmas, unit);
}

/*
 * The slots of a block below %POTAD_CHUNK_SHIFT that its caller owns
 * (a per-cpu cache's), without the instance lock: its chunk's array
 * cannot go while the block is out of the free space.
 */
static struct potad_desc **potad_owned_slots(struct potad *pa,
					     unsigned long start)
{
	struct potad_chunk *chunk;

	chunk = mtree_load(&pa->chunks, start >> POTAD_CHUNK_SHIFT);
	if (WARN_ON_ONCE(!chunk))
		return NULL;
	return chunk->slot + potad_slot(start);
}

/**
 * potad_index_set_owned() - Index a block taken from a per-cpu cache.
 * @pa: The memory-space instance.
 * @desc: Its new descriptor, filled in, of order below %POTAD_CHUNK_SHIFT.
 *
 * Context: Any context; the block is the caller's, no lock is needed.
 */
void potad_index_set_owned(struct potad *pa, struct potad_desc *desc)
{
	struct potad_desc **slots = potad_owned_slots(pa, desc->start);

	if (slots)
		potad_slots_publish(slots, desc);
}

/**
 * potad_index_clear_owned() - Erase a block going to a per-cpu cache.
 * @pa: The memory-space instance.
 * @desc: Its descriptor, dead, with no reference left.
 *
 * Context: Any context; the block is the caller's, no lock is needed.
 */
void potad_index_clear_owned(struct potad *pa, struct potad_desc *desc)
{
	struct potad_desc **slots = potad_owned_slots(pa, desc->start);

	if (slots)
		potad_slots_set(slots, BIT(desc->order), NULL);
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
 * index.  This cannot fail: a chunked block clears its slots, and any
 * other's entry is exactly the block (see potad_tree_clear()).
 */
void __potad_index_erase(struct potad *pa, struct potad_index_op *op,
			 struct potad_desc *desc)
{
	struct potad_desc **slots;

	lockdep_assert_held(&pa->lock);
	if (!(desc->flags & POTAD_DESC_INDEXED))
		return;
	if (desc->flags & POTAD_DESC_CHUNKED) {
		slots = __potad_chunk_slots(&op->cmas, desc->start);
		if (!WARN_ON_ONCE(!slots))
			potad_slots_set(slots + potad_slot(desc->start),
					BIT(desc->order), NULL);
		return;
	}
	__potad_index_clear(pa, &op->mas, desc->start,
			    desc->start + potad_desc_units(desc) - 1);
}

/* Erase units [start, start + nr) of a chunked block; -EINVAL if not all its. */
static int __potad_chunk_free(struct potad_index_op *op,
			      struct potad_desc *desc, unsigned long start,
			      unsigned long nr)
{
	struct potad_desc **slots = __potad_chunk_slots(&op->cmas, start);
	unsigned long i;

	if (WARN_ON_ONCE(!slots))
		return -EINVAL;
	slots += potad_slot(start);
	for (i = 0; i < nr; i++)
		if (slots[i] != desc)
			return -EINVAL;
	potad_slots_set(slots, nr, NULL);
	return 0;
}

/*
 * Erase units [start, start + nr) of @desc's live block from the index,
 * first indexing the block if it is an abstract one freed in part for the
 * first time.  -EINVAL if a unit is not mapped to @desc (freed already, or
 * another block's since), with nothing changed.  A chunked block, or
 * units that are exactly one entry, cannot fail; otherwise the entry must
 * be split, and on -ENOMEM @op remembers how many nodes that needs for
 * potad_index_retry() (the block stays indexed).
 */
int __potad_index_free(struct potad *pa, struct potad_index_op *op,
		       struct potad_desc *desc, unsigned long start,
		       unsigned long nr)
{
	struct ma_state *mas = &op->mas;
	unsigned long last = start + nr - 1;

	lockdep_assert_held(&pa->lock);
	if (desc->flags & POTAD_DESC_CHUNKED)
		return __potad_chunk_free(op, desc, start, nr);
	if (!(desc->flags & POTAD_DESC_INDEXED)) {
		/* Never freed in part: every unit is still the block's. */
		mas_set_range(mas, desc->start,
			      desc->start + potad_desc_units(desc) - 1);
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
 * After a withdrawal: free the chunk array of the chunk holding @unit,
 * which no added range touches any more (so every slot is NULL).  If the
 * erasure cannot get a node the array stays, empty, until it is used
 * again or the instance is destroyed.
 */
void __potad_index_drop_chunk(struct potad *pa, unsigned long unit)
{
	unsigned long nr = unit >> POTAD_CHUNK_SHIFT;
	struct potad_chunk *chunk;
	struct ma_state cmas;

	lockdep_assert_held(&pa->lock);
	mas_init(&cmas, &pa->chunks, nr);
	chunk = mas_walk(&cmas);
	if (!chunk)
		return;
	mas_set_range(&cmas, nr, nr);
	mas_store(&cmas, NULL);
	if (mas_is_err(&cmas)) {
		mas_destroy(&cmas);
		return;
	}
	pa->stats.index_chunks--;
	/* Lockless lookups may still be reading its slots. */
	call_rcu(&chunk->rcu, potad_chunk_free_rcu);
}

/**
 * potad_index_load() - The descriptor the index maps a unit to.
 * @pa: A memory-space instance.
 * @unit: Absolute unit number.
 *
 * Context: Under rcu_read_lock() or the instance lock.
 * Return: The descriptor found (live when its entry was read), or NULL.
 */
struct potad_desc *potad_index_load(struct potad *pa, unsigned long unit)
{
	struct potad_chunk *chunk;
	struct potad_desc *desc;

	chunk = mtree_load(&pa->chunks, unit >> POTAD_CHUNK_SHIFT);
	if (chunk) {
		desc = READ_ONCE(chunk->slot[potad_slot(unit)]);
		if (desc)
			return desc;
	}
	desc = mtree_load(&pa->index, unit);
	return xa_is_value(desc) ? NULL : desc;
}

/*
 * The live descriptor whose block holds @unit, with a reference taken, or
 * NULL.  Under the instance lock, so that no free can give @unit back
 * before the reference is seen.
 */
struct potad_desc *__potad_index_get(struct potad *pa, unsigned long unit)
{
	struct potad_desc *desc;

	lockdep_assert_held(&pa->lock);
	desc = potad_index_load(pa, unit);
	if (!desc || desc->state != POTAD_DESC_LIVE)
		return NULL;
	/*
	 * Live, but a free into a per-cpu cache takes the owner's reference
	 * to zero without this lock (mm/potad.c): then it is freed.
	 */
	if (!refcount_inc_not_zero(&desc->refs))
		return NULL;
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
	mt_init_flags(&pa->index, potad_indexed(pa) ? POTAD_MT_FLAGS :
		      MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&pa->index, &pa->lock);
	mt_init_flags(&pa->chunks, POTAD_MT_FLAGS);
	mt_set_external_lock(&pa->chunks, &pa->lock);
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
	MA_STATE(cmas, &pa->chunks, 0, 0);
	struct potad_chunk *chunk;
	unsigned long flags;

	if (potad_indexed(pa))
		synchronize_rcu();
	cancel_work_sync(&pa->index_work);
	/*
	 * No reader can reach the index any more.  Leave RCU mode first, as
	 * exit_mmap() does, and free the nodes now rather than after a
	 * grace period (see POTAD_MT_FLAGS for the deferred walk's bug).
	 */
	spin_lock_irqsave(&pa->lock, flags);
	mt_clear_in_rcu(&pa->index);
	__mt_destroy(&pa->index);
	mas_for_each(&cmas, chunk, ULONG_MAX)
		potad_chunk_free(chunk);
	mt_clear_in_rcu(&pa->chunks);
	__mt_destroy(&pa->chunks);
	spin_unlock_irqrestore(&pa->lock, flags);
	/* Descriptor release callbacks may look at their instance. */
	rcu_barrier();
}

/**
 * potad_index_retry() - Get what an index update under the lock lacked.
 * @op: The update, which failed with -ENOMEM; the instance lock dropped.
 * @gfp: The caller's gfp.
 * @tries: Retries so far, for a @gfp that cannot sleep.
 *
 * Allocates the chunk array or the maple-tree nodes @op asked for.  A gfp
 * that cannot sleep gets a few tries, so that an update that keeps
 * needing more than it can get cannot loop for ever.
 *
 * Context: As the allocator with @gfp; without the instance lock.
 * Return: True to try the update again.
 */
bool potad_index_retry(struct potad_index_op *op, gfp_t gfp,
		       unsigned int *tries)
{
	if (!gfpflags_allow_blocking(gfp) && ++*tries > 3)
		return false;
	if (op->need_chunk) {
		op->need_chunk = false;
		op->spare = potad_chunk_new(gfp);
		return op->spare;
	}
	return mas_nomem(&op->mas, gfp) || mas_nomem(&op->cmas, gfp);
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
	desc = potad_index_load(pa, phys >> pa->unit_shift);
	/* A chunk of the zone's sub-page instance: look inside. */
	if (unlikely(desc && (pa->flags & POTAD_ZONE) &&
		     desc->type == &potad_subpage_type)) {
		pa = potad_zone_sub(pa);
		desc = potad_index_load(pa, phys >> pa->unit_shift);
	}
	return desc;
}
EXPORT_SYMBOL_GPL(potad_lookup);

/**
 * potad_unit_desc() - Find the block holding a unit of an indexed instance.
 * @pa: A %POTAD_ABSTRACT | %POTAD_INDEX instance.
 * @unit: Absolute unit number.
 *
 * For an owner that keeps only unit numbers, such as the swap code with
 * its swap entries: the descriptor it needs to free a unit it was handed
 * (potad_free_range()).  Abstract descriptors are released as soon as
 * their block is freed, so the caller must keep frees of the block away
 * while it uses the descriptor (swap does all its frees under one lock).
 *
 * Context: Any context; takes no lock.  Under rcu_read_lock() or the
 * caller's serialisation of frees (see above).
 * Return: The descriptor of the allocated block holding @unit, or NULL if
 * no block holds it or @pa is not indexed (a caller bug, warned about
 * once).
 */
struct potad_desc *potad_unit_desc(struct potad *pa, unsigned long unit)
{
	if (WARN_ONCE(pa->flags != (POTAD_ABSTRACT | POTAD_INDEX),
		      "potad: %s: not an indexed abstract instance\n",
		      pa->name))
		return NULL;
	if (unit - pa->base >= pa->span)
		return NULL;
	return potad_index_load(pa, unit);
}
EXPORT_SYMBOL_GPL(potad_unit_desc);

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
