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
 * The front end: each CPU carves the runs of each order out of a block of
 * up to 2^%POTAD_SWAP_BLOCK_ORDER slots (a cluster) it took from the
 * instance, lowest runs first, so that the POTAD lock is taken once per
 * block rather than once per run, and a CPU's swap-out is written to
 * adjacent slots as mm/swapfile.c's per-cpu clusters do.  The block has
 * one descriptor (struct potad_swap_block); the runs carved from it have
 * none of their own.  When the instance has no block of the cluster's
 * order left, the front end takes the largest block it has, down to the
 * run's own order; when it has none at all, the uncarved tails of every
 * CPU's blocks go back and the allocation is tried once more.
 *
 * Locking: everything here runs under the device's si->lock, which
 * mm/swapfile.c holds around every slot allocation (scan_swap_map_slots())
 * and every slot free (swap_entry_range_free()); it serialises the front
 * end, and the instance lock nests inside it.  The per-cpu blocks are
 * per-cpu for locality only: a CPU migrated away under PREEMPT_RT while
 * holding si->lock carves another CPU's block, which is still correct.
 * Descriptors are released as soon as their block is entirely free,
 * under si->lock, which is why potad_unit_desc() is safe here.
 *
 * Cost: a run is carved without the POTAD lock, a free is one
 * potad_free_range() (no allocation: blocks below %POTAD_CHUNK_SHIFT have
 * chunk-array index entries).  Memory: a 72-byte descriptor per block
 * handed to the front end, and the instance's index, 8 bytes per slot in
 * every aligned 2^%POTAD_CHUNK_SHIFT slots that ever held a block, on top
 * of the instance's 2 bits per slot.
 *
 * Not done yet: devices with page discards (SWP_PAGE_DISCARD) stay on the
 * cluster allocator; the reclaim of cache-only slots when swap is full
 * (swap_reclaim_full_clusters()) does not see POTAD's slots; frees are
 * one instance lock hold per range, not per batch.
 */

#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#include "potad_internal.h"

/* The largest block the front end takes: mm/swapfile.c's cluster. */
#if SWAP_NR_ORDERS > 1
#define POTAD_SWAP_BLOCK_ORDER	(SWAP_NR_ORDERS - 1)
#else
#define POTAD_SWAP_BLOCK_ORDER	8
#endif

static_assert(POTAD_SWAP_BLOCK_ORDER < POTAD_CHUNK_SHIFT);

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
	unsigned long start, end;
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
	}
	ret = -EINVAL;
	if (!ps->slots)
		goto free_cpu;
	return 0;

free_cpu:
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
	WARN_ON_ONCE(potad_free_range(&ps->pa, &b->desc, next, end - next,
				      GFP_NOWAIT));
}

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

/* Take a block for runs of @order; -ENOSPC if none is free, or -ENOMEM. */
static int potad_swap_refill(struct potad_swap *ps, struct potad_swap_cpu *c,
			     unsigned int order)
{
	struct potad_desc *desc;
	unsigned int k;

	/* The largest free block from the cluster's order down to @order. */
	for (k = POTAD_SWAP_BLOCK_ORDER; (int)k >= (int)order; k--) {
		if (k > ps->pa.max_order)
			continue;
		desc = potad_alloc(&ps->pa, &potad_swap_type, k, ps,
				   GFP_NOWAIT | __GFP_NOWARN);
		if (IS_ERR(desc)) {
			if (PTR_ERR(desc) == -ENOSPC)
				continue;
			ps->nomem++;
			return PTR_ERR(desc);
		}
		to_block(desc)->next = desc->start;
		c->blk[order] = to_block(desc);
		ps->refills[k]++;
		return 0;
	}
	return -ENOSPC;
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

/**
 * potad_swap_put() - Free slots handed out by potad_swap_get().
 * @ps: The device's allocator.
 * @offset: First slot.
 * @nr: Number of slots: any part of any runs handed out, not freed since.
 *
 * A slot that is not handed out (never, or freed already) is a caller
 * bug: warned about once, and nothing of that block's part changes.
 *
 * Context: Under the caller's serialisation of @ps (si->lock); does not
 * sleep.
 */
void potad_swap_put(struct potad_swap *ps, unsigned long offset,
		    unsigned long nr)
{
	struct potad_swap_block *b;
	struct potad_desc *desc;
	unsigned long n;

	while (nr) {
		desc = potad_unit_desc(&ps->pa, offset);
		if (WARN_ONCE(!desc || desc->state != POTAD_DESC_LIVE,
			      "potad: %s: slot %lx was not handed out\n",
			      ps->pa.name, offset))
			return;
		b = to_block(desc);
		n = min(nr, block_end(b) - offset);
		/* The core checks that each slot is still the block's. */
		if (WARN_ONCE(offset + n > b->next,
			      "potad: %s: slots %lx+%lx were not handed out\n",
			      ps->pa.name, offset, n) ||
		    potad_free_range(&ps->pa, desc, offset, n, GFP_NOWAIT))
			return;
		ps->freed += n;
		offset += n;
		nr -= n;
	}
}
EXPORT_SYMBOL_IF_KUNIT(potad_swap_put);

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

	potad_swap_drain(ps);
	potad_get_stats(&ps->pa, &st);
	WARN_ONCE(st.units_allocated, "potad: %s: %lu slots still allocated\n",
		  ps->pa.name, st.units_allocated);
	potad_destroy(&ps->pa);
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
 * A device with page discards (SWP_PAGE_DISCARD) is left to
 * mm/swapfile.c's cluster allocator.
 *
 * Context: Process context, may sleep; sys_swapon().
 * Return: 0, or -ENOMEM (swapon then fails).
 */
int potad_swap_on(struct swap_info_struct *si, unsigned char *swap_map)
{
	struct potad_swap *ps;
	int ret;

	if (si->flags & SWP_PAGE_DISCARD) {
		pr_info("potad: swap%u: page discards: slots left to the cluster allocator\n",
			si->type);
		return 0;
	}
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
 * Context: Under @si->lock (scan_swap_map_slots()).
 * Return: true with @offset set, false if the device has no such run.
 */
bool potad_swap_alloc(struct swap_info_struct *si, unsigned int order,
		      unsigned long *offset)
{
	struct potad_swap *ps = potad_swap_of(si);

	lockdep_assert_held(&si->lock);
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
		potad_get_stats(&ps->pa, &st);
		spin_lock(&ps->si->lock);
		seq_printf(m, "device %s\nslots %lu\nfree %lu\n", ps->name,
			   ps->slots, st.units_free);
		for (k = 0; k < SWAP_NR_ORDERS; k++)
			seq_printf(m, "order %u runs %lu failures %lu\n", k,
				   ps->runs[k], ps->failures[k]);
		for (k = 0; k <= POTAD_SWAP_BLOCK_ORDER; k++)
			seq_printf(m, "refills order %u %lu\n", k,
				   ps->refills[k]);
		seq_printf(m, "freed %lu\ndrains %lu\ndrained %lu\nnomem %lu\n",
			   ps->freed, ps->drains, ps->drained, ps->nomem);
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
