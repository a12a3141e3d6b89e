// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD for swap: the slots of a swap device are an abstract POTAD space.
 *
 * This file owns which slots a swap allocation gets with
 * CONFIG_POTAD_SWAP.  swapon registers the device's usable slots (not the
 * header, not the bad blocks: any number of them, in as many ranges as
 * the bad blocks leave) as a %POTAD_ABSTRACT | %POTAD_INDEX instance; an
 * allocation of 2^k slots for a folio of order k is one naturally aligned
 * block of 2^k units of it, which replaces the cluster search of
 * mm/swapfile.c; slots come back one by one or in ranges, as swap frees
 * them, with potad_free_range(), and merge with their free buddies at
 * once; swapoff, once try_to_unuse() has brought every slot back,
 * destroys the instance.  mm/swapfile.c keeps everything else: the
 * swap_map counts, the cluster locks that protect them, the priorities
 * and the round-robin between devices, the accounting of free slots.
 *
 * The front end: each CPU carves the runs of each order out of a block it
 * took from the instance, lowest runs first, with the POTAD lock taken
 * once per block rather than once per run.  As mm/swapfile.c keeps the
 * runs of one order in clusters of their own (so that a slot freed inside
 * a large folio's run stays free until the rest of the run comes back,
 * and the run merges again), each aligned cluster of
 * 2^%POTAD_SWAP_BLOCK_ORDER slots is tagged with the order of the runs
 * its first block was taken for, until it is free again.  A refill takes
 * the smallest free block in a cluster of its order that had slots back
 * (potad_alloc_whole_in()); else a free cluster, whole, which a CPU's
 * swap-out then fills with adjacent runs; else a steal from another
 * order's clusters (potad_swap_steal()): order 0 splits a hole where
 * that order's runs fit only when there is no other, a larger order
 * never.  The block has one descriptor (struct potad_swap_block); the
 * runs carved from it have none of their own.  When the instance has no
 * block at all from the run's order up, the uncarved tails of every
 * CPU's blocks go back and the allocation is tried once more.  Slots
 * freed wait in a small queue that goes back to the instance with one
 * potad_free_parts() (one lock hold) when it is full and before any
 * refill.
 *
 * Locking: everything here runs under the device's si->lock, which
 * mm/swapfile.c holds around every slot allocation (scan_swap_map_slots())
 * and every slot free (swap_entry_range_free()); it serialises the front
 * end, and the instance lock nests inside it.  The per-cpu blocks are
 * per-cpu for locality only: a CPU migrated away under PREEMPT_RT while
 * holding si->lock carves another CPU's block, which is still correct.
 * Descriptors are released as soon as their block is entirely free,
 * under si->lock, which is why potad_unit_desc() is safe here.  The
 * discards are issued with si->lock dropped, by the work item or by an
 * allocation, each holding a reference on si->users, so that swapoff
 * waits for them before it destroys the swap extents they go through.
 *
 * Cost: a run carved from a block is taken without the POTAD lock; a
 * refill takes it once to flush the queue, once for a free cluster, and
 * once per cluster looked at (each leaves the list until it has slots
 * back, or a steal looks at a bounded number per list; the few spare
 * clusters, with unusable slots, are all looked at), each hold looking
 * at every order the block may have (potad_alloc_whole_in()).  A free is
 * a look at each slot's index entry and at the queue, and an entry of
 * the queue per block it touches; the queue goes back in one lock hold (no allocation: blocks below
 * %POTAD_CHUNK_SHIFT have chunk-array index entries).  Memory: a 72-byte
 * descriptor per block handed to the front end (per run, when the block
 * is a hole of the run's size), a struct potad_swap_cluster per cluster,
 * the queue (1.5 KB per device), and the instance's index, 8
 * bytes per slot in every aligned 2^%POTAD_CHUNK_SHIFT slots that ever
 * held a block, on top of the instance's 2 bits per slot.
 *
 * Page discards (SWP_PAGE_DISCARD), as mm/swapfile.c does them: a cluster
 * whose slots are all back is taken back from the instance, whole, and
 * discarded by a work item (adjacent clusters in one request) before it
 * goes back, free, to the instance; an allocation whose refill would
 * find no free cluster discards those waiting itself.  So that a freed slot
 * is discardable at once, on such a device the queue goes back as soon
 * as a cluster's last slot is in it.
 *
 * The slots only the swap cache holds are reclaimed as mm/swapfile.c
 * reclaims them from its full clusters, from POTAD's clusters none of
 * whose slots is free (potad_swap_reclaim()): one such cluster when a
 * refill is due and would find no free cluster while swap is more than
 * half full, all of them from the device's reclaim work once it is full.
 */

#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/list_sort.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "potad_internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "potad."

/*
 * potad.swap=0 on the command line, or 0 written to
 * /sys/module/potad/parameters/swap, leaves the devices swapped on from
 * then on to mm/swapfile.c's cluster allocator; the devices already on
 * keep the allocator they were swapped on with.  Read once per swapon.
 */
static bool potad_swap_param = true;
module_param_named(swap, potad_swap_param, bool, 0644);
MODULE_PARM_DESC(swap, "Hand out the slots of the swap devices swapped on next (default 1)");

/* The largest block the front end takes: mm/swapfile.c's cluster. */
#if SWAP_NR_ORDERS > 1
#define POTAD_SWAP_BLOCK_ORDER	(SWAP_NR_ORDERS - 1)
#else
#define POTAD_SWAP_BLOCK_ORDER	8
#endif

static_assert(POTAD_SWAP_BLOCK_ORDER < POTAD_CHUNK_SHIFT);

/* The slots of a cluster, aligned: the largest block the front end takes. */
#define POTAD_SWAP_CLUSTER	BIT(POTAD_SWAP_BLOCK_ORDER)
/* The order of a cluster none of whose slots is taken from the instance. */
#define POTAD_SWAP_NO_ORDER	U8_MAX
/* The order of a cluster taken back whole from the instance to discard it. */
#define POTAD_SWAP_HELD		(U8_MAX - 1)

/**
 * struct potad_swap_block - A block of slots the front end carves runs from.
 * @desc: The block's descriptor; its owner is the struct potad_swap.
 * @next: The runs handed out are [@desc.start, @next); the rest of the
 *	block is not handed out yet, or was given back by a drain (then
 *	@next is the block's end).
 */
struct potad_swap_block {
	struct potad_desc desc;
	unsigned long next;
};

static struct potad_type potad_swap_type = {
	.name = "potad_swap_block",
	.size = sizeof(struct potad_swap_block),
	.offset = offsetof(struct potad_swap_block, desc),
};

static DEFINE_MUTEX(potad_swap_type_lock);
static unsigned int potad_swap_type_users;

/*
 * Allocators by swap type: written under potad_swaps_lock (in swapon and
 * swapoff) and the device's si->lock, read under either.
 */
static struct potad_swap *potad_swaps[MAX_SWAPFILES];
static DEFINE_MUTEX(potad_swaps_lock);

static struct potad_swap_block *to_block(struct potad_desc *desc)
{
	return container_of(desc, struct potad_swap_block, desc);
}

static unsigned long block_end(const struct potad_swap_block *b)
{
	return b->desc.start + BIT(b->desc.order);
}

static struct potad_swap_cluster *cluster_of(struct potad_swap *ps,
					     unsigned long slot)
{
	return &ps->clusters[slot >> POTAD_SWAP_BLOCK_ORDER];
}

static unsigned long cluster_start(struct potad_swap *ps,
				   struct potad_swap_cluster *cl)
{
	return (cl - ps->clusters) * POTAD_SWAP_CLUSTER;
}

/* A block of 2^@k slots at @start was taken for runs of @order. */
static void potad_swap_took(struct potad_swap *ps, unsigned long start,
			    unsigned int k, unsigned int order)
{
	struct potad_swap_cluster *cl = cluster_of(ps, start);

	cl->used += BIT(k);
	if (cl->order != POTAD_SWAP_NO_ORDER)
		return;
	cl->order = order;
	/* Off @ps->spare: the rest of it is for more runs of @order. */
	if (cl->used < cl->usable) {
		cl->partial = true;
		list_move_tail(&cl->list, &ps->partial[order]);
	} else {
		list_del_init(&cl->list);
	}
}

/*
 * On a device with page discards, take back @cl, free again and whole,
 * until it is discarded: as mm/swapfile.c discards each cluster that is
 * free again before it hands out its slots.  Not while the device is
 * being swapped off (nor, as mm/swapfile.c, while it is not writable).
 * A cluster not held for want of a descriptor stays free, undiscarded.
 */
static bool potad_swap_hold(struct potad_swap *ps, struct potad_swap_cluster *cl)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct potad_desc *desc;

	if (!ps->discard || (ps->si && !(ps->si->flags & SWP_WRITEOK)))
		return false;
	desc = potad_desc_new(&potad_swap_type, gfp);
	if (IS_ERR(desc)) {
		ps->nomem++;
		return false;
	}
	/* Every slot of it is free in the instance, so one free block. */
	if (potad_alloc_into_in(&ps->pa, desc, &potad_swap_type,
				POTAD_SWAP_BLOCK_ORDER, POTAD_SWAP_BLOCK_ORDER,
				cluster_start(ps, cl), POTAD_SWAP_CLUSTER, ps,
				gfp)) {
		potad_desc_discard(&potad_swap_type, desc);
		return false;
	}
	/* None of its slots is handed out (potad_swap_handed_out()). */
	to_block(desc)->next = desc->start;
	cl->used = POTAD_SWAP_CLUSTER;
	cl->order = POTAD_SWAP_HELD;
	list_move_tail(&cl->list, &ps->held);
	if (ps->si)
		schedule_work(&ps->discard_work);
	return true;
}

/*
 * @nr slots from @start, inside one cluster, went back to the instance:
 * the cluster may have a free block for its order's runs again, or is
 * free as a whole and holds no order's runs any more.
 */
static void potad_swap_gave(struct potad_swap *ps, unsigned long start,
			    unsigned long nr)
{
	struct potad_swap_cluster *cl = cluster_of(ps, start);

	cl->used -= nr;
	if (!cl->used) {
		cl->order = POTAD_SWAP_NO_ORDER;
		cl->partial = false;
		if (cl->usable < POTAD_SWAP_CLUSTER)
			list_move_tail(&cl->list, &ps->spare);
		else if (!potad_swap_hold(ps, cl))
			list_del_init(&cl->list);
	} else if (!cl->partial) {
		cl->partial = true;
		list_move_tail(&cl->list, &ps->partial[cl->order]);
	}
}

/*
 * Take a block for runs of @order, of an order from @order to @top, in
 * @cl: the smallest, whole.  -ENOSPC if it has none, or -ENOMEM.
 */
static int potad_swap_take_in(struct potad_swap *ps, struct potad_desc *desc,
			      struct potad_swap_cluster *cl, unsigned int order,
			      unsigned int top)
{
	unsigned long start = cluster_start(ps, cl);
	unsigned long nr = min(POTAD_SWAP_CLUSTER, ps->pa.span - start);

	return potad_alloc_whole_in(&ps->pa, desc, &potad_swap_type, order,
				    top, start, nr, ps,
				    GFP_NOWAIT | __GFP_NOWARN);
}

/**
 * potad_swap_setup() - Set up the slot allocator of a swap device.
 * @ps: Zeroed.
 * @name: Instance name; must outlive it.
 * @map: The device's swap_map: the slots whose count is 0 are usable.
 * @max: Slots in @map.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL if @map has no usable slot, or -ENOMEM.
 */
int potad_swap_setup(struct potad_swap *ps, const char *name,
		     const unsigned char *map, unsigned long max)
{
	unsigned long start, end, i;
	int ret;

	mutex_lock(&potad_swap_type_lock);
	ret = potad_swap_type_users ? 0 : potad_type_register(&potad_swap_type);
	if (!ret)
		potad_swap_type_users++;
	mutex_unlock(&potad_swap_type_lock);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!max)
		goto put_type;
	ret = potad_init(&ps->pa, name, POTAD_ABSTRACT | POTAD_INDEX, 0, 0, max,
			 POTAD_SWAP_BLOCK_ORDER);
	if (ret)
		goto put_type;
	ps->cpu = alloc_percpu(struct potad_swap_cpu);
	ret = -ENOMEM;
	if (!ps->cpu)
		goto destroy;
	ps->nr_clusters = DIV_ROUND_UP(max, POTAD_SWAP_CLUSTER);
	ps->clusters = kvcalloc(ps->nr_clusters, sizeof(*ps->clusters),
				GFP_KERNEL);
	if (!ps->clusters)
		goto free_cpu;
	for (i = 0; i < ps->nr_clusters; i++) {
		INIT_LIST_HEAD(&ps->clusters[i].list);
		ps->clusters[i].order = POTAD_SWAP_NO_ORDER;
	}
	for (i = 0; i < ARRAY_SIZE(ps->partial); i++) {
		INIT_LIST_HEAD(&ps->partial[i]);
		INIT_LIST_HEAD(&ps->frag[i]);
	}
	INIT_LIST_HEAD(&ps->spare);
	INIT_LIST_HEAD(&ps->held);
	/* Each run of usable slots between the header and bad blocks. */
	for (start = 0; start < max; start = end) {
		while (start < max && map[start])
			start++;
		for (end = start; end < max && !map[end]; end++)
			;
		if (end == start)
			continue;
		ret = potad_add_range(&ps->pa, start, end - start);
		if (ret)
			goto free_cpu;
		ps->slots += end - start;
		for (i = start; i < end; i++)
			cluster_of(ps, i)->usable++;
	}
	ret = -EINVAL;
	if (!ps->slots)
		goto free_cpu;
	for (i = 0; i < ps->nr_clusters; i++)
		if (ps->clusters[i].usable &&
		    ps->clusters[i].usable < POTAD_SWAP_CLUSTER)
			list_add_tail(&ps->clusters[i].list, &ps->spare);
	return 0;

free_cpu:
	kvfree(ps->clusters);
	free_percpu(ps->cpu);
destroy:
	potad_destroy(&ps->pa);
put_type:
	mutex_lock(&potad_swap_type_lock);
	if (!--potad_swap_type_users)
		potad_type_unregister(&potad_swap_type);
	mutex_unlock(&potad_swap_type_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_setup);

/* Give back the uncarved tail of @b, which no CPU holds any more. */
static void potad_swap_drop_tail(struct potad_swap *ps,
				 struct potad_swap_block *b)
{
	unsigned long end = block_end(b), next = b->next;

	if (next == end)
		return;
	b->next = end;
	ps->drained += end - next;
	/* A chunked block: cannot fail, and the whole block if untouched. */
	if (!WARN_ON_ONCE(potad_free_range(&ps->pa, &b->desc, next,
					   end - next, GFP_NOWAIT)))
		potad_swap_gave(ps, next, end - next);
}

/**
 * potad_swap_flush() - Give back the slots freed since the last flush.
 * @ps: The device's allocator.
 *
 * One potad_free_parts() for all of @ps->pending: one hold of the
 * instance lock.
 *
 * Context: Under the caller's serialisation of @ps (si->lock).
 */
void potad_swap_flush(struct potad_swap *ps)
{
	unsigned int i, done, n = ps->nr_pending;
	struct potad_part *r;

	if (!n)
		return;
	done = potad_free_parts(&ps->pa, ps->pending, n);
	for (i = 0; i < n; i++) {
		r = &ps->pending[i];
		/*
		 * Checked when freed, of chunked blocks nobody takes a
		 * reference on: cannot fail.
		 */
		cluster_of(ps, r->start)->queued -= r->nr;
		if (i >= done &&
		    WARN_ON_ONCE(potad_free_range(&ps->pa, r->desc, r->start,
						  r->nr, GFP_NOWAIT)))
			continue;
		potad_swap_gave(ps, r->start, r->nr);
	}
	ps->nr_pending = 0;
	ps->flushes++;
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_flush);

/**
 * potad_swap_drain() - Give back the slots the CPUs hold but did not hand out.
 * @ps: The device's allocator.
 *
 * Context: Under the caller's serialisation of @ps (si->lock).
 */
void potad_swap_drain(struct potad_swap *ps)
{
	struct potad_swap_cpu *c;
	struct potad_swap_block *b;
	unsigned int k;
	int cpu;

	potad_swap_flush(ps);
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(ps->cpu, cpu);
		for (k = 0; k < ARRAY_SIZE(c->blk); k++) {
			b = c->blk[k];
			if (!b)
				continue;
			c->blk[k] = NULL;
			potad_swap_drop_tail(ps, b);
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_drain);

/* Clusters a large run's steal looks at per list, rotating them. */
#define POTAD_SWAP_STEAL_SCAN	16

/*
 * A block of an order from @order to @top, in one of the clusters of the
 * runs of @k: those found to have no run of their order first.  Order 0
 * (@scan false) looks at every cluster and takes those it finds full off
 * the lists until they have slots back; a larger order (@scan true) at a
 * few of each list, rotating them.
 */
static int potad_swap_steal_from(struct potad_swap *ps, struct potad_desc *desc,
				 unsigned int k, unsigned int order,
				 unsigned int top, bool scan)
{
	struct list_head *lists[] = { &ps->frag[k], &ps->partial[k] };
	struct potad_swap_cluster *cl, *seen;
	unsigned int i, n;
	int ret;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		seen = NULL;
		for (n = 0; !list_empty(lists[i]); n++) {
			cl = list_first_entry(lists[i], struct potad_swap_cluster,
					      list);
			/* Once round the list at most. */
			if (scan && (n == POTAD_SWAP_STEAL_SCAN || cl == seen))
				break;
			if (!seen)
				seen = cl;
			ret = potad_swap_take_in(ps, desc, cl, order, top);
			if (ret != -ENOSPC)
				return ret;
			if (scan) {
				list_move_tail(&cl->list, lists[i]);
				continue;
			}
			cl->partial = false;
			list_del_init(&cl->list);
		}
	}
	return -ENOSPC;
}

/*
 * A block for runs of @order outside the clusters of its order.  Order 0,
 * as mm/swapfile.c steals: a slot in the clusters of the smallest other
 * order that has one, first without splitting a hole where a run of the
 * cluster's order fits.  A larger order (which mm/swapfile.c does not
 * steal for): a block in the clusters of a smaller order, else a hole of
 * exactly its size in those of a larger order; it splits no larger free
 * block there, and fails rather than do so (the folio is then split, as
 * with mm/swapfile.c).
 */
static int potad_swap_steal(struct potad_swap *ps, struct potad_desc *desc,
			    unsigned int order, unsigned int top)
{
	unsigned int k;
	int ret;

	if (!order) {
		for (k = 1; k < SWAP_NR_ORDERS; k++) {
			ret = potad_swap_steal_from(ps, desc, k, 0,
						    min(top, k - 1), true);
			if (ret != -ENOSPC)
				return ret;
		}
		for (k = 1; k < SWAP_NR_ORDERS; k++) {
			ret = potad_swap_steal_from(ps, desc, k, 0, top, false);
			if (ret != -ENOSPC)
				return ret;
		}
		return -ENOSPC;
	}
	for (k = 0; k < SWAP_NR_ORDERS; k++) {
		if (k == order)
			continue;
		ret = potad_swap_steal_from(ps, desc, k, order,
					    k < order ? top : order, true);
		if (ret != -ENOSPC)
			return ret;
	}
	return -ENOSPC;
}

/*
 * Take a block for runs of @order, as mm/swapfile.c keeps the runs of one
 * order in clusters of their own: the smallest free block in a cluster of
 * this order's runs that has had slots back; else a free cluster, whole
 * (or the smallest block of a cluster with unusable slots, none of them
 * taken); else a steal (potad_swap_steal()).  Frees then leave holes
 * where runs of the same order fit, and the hole a single-slot free
 * leaves in a large folio's run stays free while there are other slots,
 * so that the run merges again when the rest of it comes back.
 * -ENOSPC if no block is free, or -ENOMEM.
 */
static int potad_swap_refill(struct potad_swap *ps, struct potad_swap_cpu *c,
			     unsigned int order)
{
	unsigned int top = min(POTAD_SWAP_BLOCK_ORDER, ps->pa.max_order);
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct potad_swap_cluster *cl;
	struct potad_desc *desc;
	int ret = -ENOSPC;

	/* A device smaller than the run (mm/swapfile.c does not check). */
	if (order > top)
		return -ENOSPC;
	potad_swap_flush(ps);
	desc = potad_desc_new(&potad_swap_type, gfp);
	if (IS_ERR(desc)) {
		ps->nomem++;
		return PTR_ERR(desc);
	}
	while (!list_empty(&ps->partial[order])) {
		cl = list_first_entry(&ps->partial[order],
				      struct potad_swap_cluster, list);
		ret = potad_swap_take_in(ps, desc, cl, order, top);
		if (ret != -ENOSPC)
			goto done;
		/* Back on the partial list when it has slots back. */
		cl->partial = false;
		list_move_tail(&cl->list, &ps->frag[order]);
	}
	ret = potad_alloc_into(&ps->pa, desc, &potad_swap_type, top, top, ps,
			       gfp);
	if (ret != -ENOSPC)
		goto done;
	list_for_each_entry(cl, &ps->spare, list) {
		ret = potad_swap_take_in(ps, desc, cl, order, top);
		if (ret != -ENOSPC)
			goto done;
	}
	ret = potad_swap_steal(ps, desc, order, top);
	if (!ret) {
		cl = cluster_of(ps, desc->start);
		if (cl->order != order && cl->order != POTAD_SWAP_NO_ORDER)
			ps->steals[order]++;
	}
done:
	if (ret) {
		potad_desc_discard(&potad_swap_type, desc);
		if (ret == -ENOMEM)
			ps->nomem++;
		return ret;
	}
	potad_swap_took(ps, desc->start, desc->order, order);
	to_block(desc)->next = desc->start;
	c->blk[order] = to_block(desc);
	ps->refills[desc->order]++;
	return 0;
}

/**
 * potad_swap_get() - Allocate a naturally aligned run of slots.
 * @ps: The device's allocator.
 * @order: The run is 2^@order slots, @order below %SWAP_NR_ORDERS.
 * @offset: Set to the run's first slot.
 *
 * Context: Under the caller's serialisation of @ps (si->lock); does not
 * sleep.
 * Return: true with @offset set, or false if no free run of that order
 * is left (or a descriptor could not be had without sleeping).
 */
bool potad_swap_get(struct potad_swap *ps, unsigned int order,
		    unsigned long *offset)
{
	struct potad_swap_cpu *c = raw_cpu_ptr(ps->cpu);
	struct potad_swap_block *b;
	int ret;

	if (WARN_ON_ONCE(order >= ARRAY_SIZE(c->blk)))
		return false;
	b = c->blk[order];
	if (!b) {
		ret = potad_swap_refill(ps, c, order);
		if (ret == -ENOSPC) {
			/* Other CPUs' tails may hold what is left. */
			potad_swap_drain(ps);
			ps->drains++;
			ret = potad_swap_refill(ps, c, order);
		}
		if (ret) {
			ps->failures[order]++;
			return false;
		}
		b = c->blk[order];
	}
	*offset = b->next;
	b->next += BIT(order);
	if (b->next == block_end(b))
		c->blk[order] = NULL;
	ps->runs[order]++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_get);

/*
 * Is every slot of [offset, offset + nr) handed out and not freed since?
 * None may wait in @ps->pending, and each must be mapped to a live block
 * in the index (slots given back are not)
 * below the part of the block its CPU has not carved yet.  Consecutive
 * slots need not be one block's: a slot freed from a block may since
 * have gone to another block, between two slots still the first's.
 */
static bool potad_swap_handed_out(struct potad_swap *ps, unsigned long offset,
				  unsigned long nr)
{
	unsigned long u, c, slots = ps->nr_clusters * POTAD_SWAP_CLUSTER;
	struct potad_desc *desc;
	struct potad_part *r;
	bool queued = false;

	if (offset >= slots || nr > slots - offset)
		return false;
	/* Freed, not given back yet: only if their clusters have some so. */
	for (c = offset; c < offset + nr; c = ALIGN(c + 1, POTAD_SWAP_CLUSTER))
		queued |= cluster_of(ps, c)->queued;
	for (r = ps->pending; queued && r < ps->pending + ps->nr_pending; r++)
		if (r->start < offset + nr && offset < r->start + r->nr)
			return false;
	for (u = offset; u < offset + nr; u++) {
		desc = potad_unit_desc(&ps->pa, u);
		if (!desc || desc->state != POTAD_DESC_LIVE ||
		    u >= to_block(desc)->next)
			return false;
	}
	return true;
}

/**
 * potad_swap_put() - Free slots handed out by potad_swap_get().
 * @ps: The device's allocator.
 * @offset: First slot.
 * @nr: Number of slots: any part of any runs handed out, not freed since.
 *
 * The slots wait in @ps->pending, extending the last entry if they
 * follow it in the same block, and go back to the instance with the
 * next potad_swap_flush(), together; on a device with page discards,
 * at once when they are the last of their cluster.  A slot of the range
 * that is not handed out (never, or freed already) is a caller bug:
 * warned about once, and nothing is freed.
 *
 * Context: Under the caller's serialisation of @ps (si->lock); does not
 * sleep.
 */
void potad_swap_put(struct potad_swap *ps, unsigned long offset,
		    unsigned long nr)
{
	struct potad_swap_cluster *cl;
	struct potad_desc *desc;
	struct potad_part *r;
	unsigned long n;

	if (WARN_ONCE(!nr || !potad_swap_handed_out(ps, offset, nr),
		      "potad: %s: slots %lx+%lx were not handed out\n",
		      ps->pa.name, offset, nr))
		return;
	while (nr) {
		/* The slots from @offset on that are one block's. */
		desc = potad_unit_desc(&ps->pa, offset);
		for (n = 1; n < nr; n++)
			if (potad_unit_desc(&ps->pa, offset + n) != desc)
				break;
		r = ps->nr_pending ? &ps->pending[ps->nr_pending - 1] : NULL;
		if (r && r->desc == desc && r->start + r->nr == offset) {
			r->nr += n;
		} else {
			if (ps->nr_pending == ARRAY_SIZE(ps->pending))
				potad_swap_flush(ps);
			ps->pending[ps->nr_pending++] = (struct potad_part){
				.desc = desc, .start = offset, .nr = n,
			};
		}
		ps->freed += n;
		cl = cluster_of(ps, offset);
		cl->queued += n;
		/* A cluster free again is discarded at once, as it frees. */
		if (ps->discard && cl->queued == cl->used &&
		    cl->usable == POTAD_SWAP_CLUSTER)
			potad_swap_flush(ps);
		offset += n;
		nr -= n;
	}
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_put);

static int potad_swap_cluster_cmp(void *priv, const struct list_head *a,
				  const struct list_head *b)
{
	return list_entry(a, struct potad_swap_cluster, list) >
	       list_entry(b, struct potad_swap_cluster, list);
}

/* Clusters one discard request takes at most. */
#define POTAD_SWAP_DISCARD_MAX	64

/**
 * potad_swap_discard_begin() - Take adjacent clusters held to be discarded.
 * @ps: The device's allocator.
 * @batch: An empty list; gets the lowest cluster of @ps->held and those
 *	adjacent to it, up to %POTAD_SWAP_DISCARD_MAX, by address.
 *
 * The caller discards the slots of @batch, one range, without the
 * serialisation of @ps if it likes (nothing else touches those
 * clusters), then ends with potad_swap_discard_end().  The rest stay on
 * @ps->held, where an allocation that needs them finds them.
 *
 * Context: Under the caller's serialisation of @ps (si->lock).
 */
void potad_swap_discard_begin(struct potad_swap *ps, struct list_head *batch)
{
	struct potad_swap_cluster *cl;
	unsigned int n = 1;

	if (list_empty(&ps->held))
		return;
	list_sort(NULL, &ps->held, potad_swap_cluster_cmp);
	cl = list_first_entry(&ps->held, struct potad_swap_cluster, list);
	list_for_each_entry_continue(cl, &ps->held, list) {
		if (n == POTAD_SWAP_DISCARD_MAX ||
		    cl != list_prev_entry(cl, list) + 1)
			break;
		n++;
	}
	/* The run is the clusters before @cl (or all of them). */
	list_cut_before(batch, &ps->held, &cl->list);
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_discard_begin);

/**
 * potad_swap_discard_end() - Give back clusters that were discarded.
 * @ps: The device's allocator.
 * @batch: From potad_swap_discard_begin(); empty on return.
 *
 * Each cluster goes back to the instance, free and whole.
 *
 * Context: Under the caller's serialisation of @ps (si->lock).
 */
void potad_swap_discard_end(struct potad_swap *ps, struct list_head *batch)
{
	struct potad_swap_cluster *cl, *tmp;
	struct potad_desc *desc;

	list_for_each_entry_safe(cl, tmp, batch, list) {
		list_del_init(&cl->list);
		desc = potad_unit_desc(&ps->pa, cluster_start(ps, cl));
		cl->used = 0;
		cl->order = POTAD_SWAP_NO_ORDER;
		/* A whole block nobody takes a reference on: cannot fail. */
		WARN_ON_ONCE(potad_free(&ps->pa, desc));
	}
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_discard_end);

/* Give back every cluster held, undiscarded (the device goes away). */
static void potad_swap_release_held(struct potad_swap *ps)
{
	LIST_HEAD(batch);

	while (!list_empty(&ps->held)) {
		potad_swap_discard_begin(ps, &batch);
		potad_swap_discard_end(ps, &batch);
	}
}

/**
 * potad_swap_teardown() - Tear down the slot allocator of a swap device.
 * @ps: Set up by potad_swap_setup(); every run handed out freed.
 *
 * Context: Process context, may sleep.
 * Return: The number of slots still handed out (0 unless the caller
 * leaked some, which is warned about).
 */
unsigned long potad_swap_teardown(struct potad_swap *ps)
{
	struct potad_stats st;

	/* None is held again; those held go back undiscarded. */
	ps->discard = false;
	potad_swap_drain(ps);
	potad_swap_release_held(ps);
	potad_get_stats(&ps->pa, &st);
	WARN_ONCE(st.units_allocated, "potad: %s: %lu slots still allocated\n",
		  ps->pa.name, st.units_allocated);
	potad_destroy(&ps->pa);
	kvfree(ps->clusters);
	free_percpu(ps->cpu);
	mutex_lock(&potad_swap_type_lock);
	if (!--potad_swap_type_users)
		potad_type_unregister(&potad_swap_type);
	mutex_unlock(&potad_swap_type_lock);
	return st.units_allocated;
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_teardown);

/* mm/swapfile.c's side */

static struct potad_swap *potad_swap_of(struct swap_info_struct *si)
{
	return READ_ONCE(potad_swaps[si->type]);
}

/*
 * Discard the clusters held, adjacent ones in one request, and give them
 * back, until none is held.  Drops @si->lock around
 * the discards (which sleep), as mm/swapfile.c does around its own; the
 * caller holds a reference on @si->users, so that swapoff waits for the
 * discards before it destroys the extents they go through, and @ps.
 */
static void potad_swap_discard(struct swap_info_struct *si,
			       struct potad_swap *ps)
	__must_hold(&si->lock)
{
	struct potad_swap_cluster *cl;
	unsigned long first, nr;
	LIST_HEAD(batch);

	lockdep_assert_held(&si->lock);
	while (!list_empty(&ps->held)) {
		potad_swap_discard_begin(ps, &batch);
		cl = list_first_entry(&batch, struct potad_swap_cluster, list);
		first = cluster_start(ps, cl);
		cl = list_last_entry(&batch, struct potad_swap_cluster, list);
		nr = cluster_start(ps, cl) + POTAD_SWAP_CLUSTER - first;
		spin_unlock(&si->lock);
		swap_discard_slots(si, first, nr);
		spin_lock(&si->lock);
		potad_swap_discard_end(ps, &batch);
		ps->discards++;
		ps->discarded += nr;
	}
}

static void potad_swap_discard_work(struct work_struct *work)
{
	struct potad_swap *ps = container_of(work, struct potad_swap,
					     discard_work);
	struct swap_info_struct *si = ps->si;
	bool live = percpu_ref_tryget_live(&si->users);

	spin_lock(&si->lock);
	if (live) {
		potad_swap_discard(si, ps);
	} else {
		/* Being swapped off: back undiscarded, for the teardown. */
		potad_swap_release_held(ps);
	}
	spin_unlock(&si->lock);
	if (live)
		percpu_ref_put(&si->users);
}

/* Clusters an allocation looks at for a full one to reclaim the cache of. */
#define POTAD_SWAP_RECLAIM_SCAN	64

/**
 * potad_swap_reclaim() - Free the slots of full clusters only the cache holds.
 * @si: A device potad_swap_on() registered.
 * @force: Every full cluster (the device is full), not only the next one.
 *
 * What swap_reclaim_full_clusters() does over mm/swapfile.c's list of full
 * clusters, over POTAD's clusters none of whose slots is free: each slot
 * whose only user is the swap cache is freed with its folio's others, as
 * __try_to_reclaim_swap() does (TTRS_ANYWAY).  The clusters are looked at
 * in turn from where the last reclaim stopped; without @force, at most
 * %POTAD_SWAP_RECLAIM_SCAN of them, and the first full one is the last.
 *
 * Context: Under @si->lock (swap_reclaim_full_clusters()), which it drops
 * around each cluster's reclaim, which sleeps; the caller keeps the
 * device from being swapped off meanwhile (the reclaim work, which
 * swapoff flushes, or a reference on @si->users).
 */
void potad_swap_reclaim(struct swap_info_struct *si, bool force)
	__must_hold(&si->lock)
{
	struct potad_swap *ps = potad_swap_of(si);
	unsigned long i, start, end, off, limit, freed;
	struct potad_swap_cluster *cl;
	int n;

	lockdep_assert_held(&si->lock);
	if (!ps)
		return;
	limit = force ? ps->nr_clusters : POTAD_SWAP_RECLAIM_SCAN;
	for (i = 0; i < limit; i++) {
		cl = &ps->clusters[ps->reclaim_next];
		ps->reclaim_next = (ps->reclaim_next + 1) % ps->nr_clusters;
		if (!cl->usable || cl->used < cl->usable ||
		    cl->order == POTAD_SWAP_HELD)
			continue;
		start = cluster_start(ps, cl);
		end = min(start + POTAD_SWAP_CLUSTER, si->max);
		freed = 0;
		spin_unlock(&si->lock);
		for (off = start; off < end; off++) {
			if (READ_ONCE(si->swap_map[off]) != SWAP_HAS_CACHE)
				continue;
			n = swap_reclaim_slot(si, off);
			if (n > 0)
				freed += n;
			if (n)
				off += abs(n) - 1;
		}
		cond_resched();
		spin_lock(&si->lock);
		ps->reclaims++;
		ps->reclaimed += freed;
		if (!force)
			break;
	}
}

/**
 * potad_swap_enabled() - Does POTAD hand out this device's slots?
 * @si: A swap device being used.
 *
 * Context: Under @si->lock, or while the device cannot be swapped off.
 * Return: true if potad_swap_on() registered it.
 */
bool potad_swap_enabled(struct swap_info_struct *si)
{
	return potad_swap_of(si);
}

/**
 * potad_swap_on() - Register a swap device's slots with POTAD.
 * @si: The device, in swapon, before enable_swap_info(): @si->max set.
 * @swap_map: Its swap map, with the header and bad blocks marked.
 *
 * On a device with page discards (SWP_PAGE_DISCARD) each cluster that is
 * free again is discarded before its slots are handed out again, as
 * mm/swapfile.c does.  Every device swapped on while the potad.swap
 * parameter is 0 is left to mm/swapfile.c's cluster allocator.
 *
 * Context: Process context, may sleep; sys_swapon().
 * Return: 0, or -ENOMEM (swapon then fails).
 */
int potad_swap_on(struct swap_info_struct *si, unsigned char *swap_map)
{
	struct potad_swap *ps;
	int ret;

	if (!READ_ONCE(potad_swap_param))
		return 0;
	ps = kzalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return -ENOMEM;
	snprintf(ps->name, sizeof(ps->name), "swap%u", si->type);
	ret = potad_swap_setup(ps, ps->name, swap_map, si->max);
	if (ret) {
		kfree(ps);
		return ret == -EINVAL ? 0 : ret;
	}
	ps->si = si;
	ps->discard = si->flags & SWP_PAGE_DISCARD;
	INIT_WORK(&ps->discard_work, potad_swap_discard_work);
	mutex_lock(&potad_swaps_lock);
	WRITE_ONCE(potad_swaps[si->type], ps);
	mutex_unlock(&potad_swaps_lock);
	return 0;
}

/**
 * potad_swap_off() - Withdraw a swap device's slots from POTAD.
 * @si: The device, in swapoff, once try_to_unuse() has brought back every
 *	slot and no swap operation can reach it.
 *
 * Context: Process context, may sleep; sys_swapoff().
 */
void potad_swap_off(struct swap_info_struct *si)
{
	struct potad_swap *ps = potad_swap_of(si);

	if (!ps)
		return;
	/* No cluster is held any more once SWP_WRITEOK is gone. */
	flush_work(&ps->discard_work);
	mutex_lock(&potad_swaps_lock);
	spin_lock(&si->lock);
	WRITE_ONCE(potad_swaps[si->type], NULL);
	potad_swap_drain(ps);
	spin_unlock(&si->lock);
	mutex_unlock(&potad_swaps_lock);
	potad_swap_teardown(ps);
	kfree(ps);
}

/**
 * potad_swap_alloc() - Allocate the slots of a folio of order @order.
 * @si: A device potad_swap_on() registered, with SWP_WRITEOK.
 * @order: Below %SWAP_NR_ORDERS.
 * @offset: Set to the first slot of the naturally aligned run.
 *
 * When the CPU's block of @order is used up and the instance has no
 * free cluster, the clusters waiting to be discarded are discarded now,
 * and while swap is more than half full a full cluster's cache-only
 * slots are reclaimed, with @si->lock dropped, as mm/swapfile.c does
 * when it has no free cluster left.
 *
 * Context: Under @si->lock (scan_swap_map_slots()); may drop it and
 * sleep on a device with page discards.
 * Return: true with @offset set, false if the device has no such run.
 */
bool potad_swap_alloc(struct swap_info_struct *si, unsigned int order,
		      unsigned long *offset)
{
	struct potad_swap *ps = potad_swap_of(si);
	bool held, full, no_free;

	lockdep_assert_held(&si->lock);
	/*
	 * As cluster_alloc_swap_entry() when its CPU's cluster is used up
	 * and no free cluster is left: a refill is due and would find no
	 * free cluster.
	 */
	/* Without the instance's lock: a stale hint costs a needless look. */
	no_free = !data_race(ps->pa.stats.nr_free[ps->pa.max_order]);
	if (order < SWAP_NR_ORDERS && !raw_cpu_ptr(ps->cpu)->blk[order] &&
	    no_free) {
		held = !list_empty(&ps->held);
		full = vm_swap_full();
		if ((held || full) && percpu_ref_tryget_live(&si->users)) {
			if (held)
				potad_swap_discard(si, ps);
			if (full)
				potad_swap_reclaim(si, false);
			percpu_ref_put(&si->users);
			if (!(si->flags & SWP_WRITEOK))
				return false;
		}
	}
	if (!potad_swap_get(ps, order, offset))
		return false;
	/* mm/swapfile.c must have freed the slots POTAD had back. */
	VM_WARN_ON_ONCE(memchr_inv(si->swap_map + *offset, 0, BIT(order)));
	return true;
}

/**
 * potad_swap_free() - Give back slots mm/swapfile.c freed.
 * @si: The device.
 * @offset: First slot.
 * @nr: Slots whose swap_map count just went to 0.
 *
 * Does nothing if POTAD does not hand out @si's slots.
 *
 * Context: Under @si->lock (swap_entry_range_free()).
 */
void potad_swap_free(struct swap_info_struct *si, unsigned long offset,
		     unsigned int nr)
{
	struct potad_swap *ps = potad_swap_of(si);

	if (!ps)
		return;
	lockdep_assert_held(&si->lock);
	potad_swap_put(ps, offset, nr);
}

#ifdef CONFIG_POTAD_DEBUGFS
/* /sys/kernel/debug/potad/swap: the front end of each registered device. */
static int potad_swap_show(struct seq_file *m, void *v)
{
	struct potad_swap *ps;
	struct potad_stats st;
	unsigned int i, k;

	mutex_lock(&potad_swaps_lock);
	for (i = 0; i < MAX_SWAPFILES; i++) {
		ps = potad_swaps[i];
		if (!ps)
			continue;
		spin_lock(&ps->si->lock);
		potad_get_stats(&ps->pa, &st);
		/* The slots waiting in the queue are free too. */
		for (k = 0; k < ps->nr_pending; k++)
			st.units_free += ps->pending[k].nr;
		seq_printf(m, "device %s\nslots %lu\nfree %lu\n", ps->name,
			   ps->slots, st.units_free);
		for (k = 0; k < SWAP_NR_ORDERS; k++)
			seq_printf(m, "order %u runs %lu failures %lu steals %lu\n",
				   k, ps->runs[k], ps->failures[k],
				   ps->steals[k]);
		for (k = 0; k <= POTAD_SWAP_BLOCK_ORDER; k++)
			seq_printf(m, "refills order %u %lu\n", k,
				   ps->refills[k]);
		seq_printf(m, "freed %lu\nflushes %lu\ndrains %lu\ndrained %lu\nnomem %lu\n",
			   ps->freed, ps->flushes, ps->drains, ps->drained,
			   ps->nomem);
		seq_printf(m, "discard %d\ndiscards %lu\ndiscarded %lu\n",
			   ps->discard, ps->discards, ps->discarded);
		seq_printf(m, "reclaims %lu\nreclaimed %lu\n", ps->reclaims,
			   ps->reclaimed);
		spin_unlock(&ps->si->lock);
	}
	mutex_unlock(&potad_swaps_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_swap);

void potad_swap_debugfs(struct dentry *dir)
{
	debugfs_create_file("swap", 0444, dir, NULL, &potad_swap_fops);
}
#endif
