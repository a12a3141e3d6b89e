/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD internals shared between mm/potad*.c.
 */
#ifndef _MM_POTAD_INTERNAL_H
#define _MM_POTAD_INTERNAL_H

#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/potad.h>
#include <linux/xarray.h>

struct potad;
struct potad_desc;

/* Protects both lists; held while registering and reading them. */
extern struct mutex potad_list_lock;
/* Every instance set up by potad_init(), on struct potad.list. */
extern struct list_head potad_instances;
/* Every registered descriptor type, on struct potad_type.list. */
extern struct list_head potad_types;

/*
 * Written over an index entry in place of NULL when erasing it would need
 * a node that cannot be allocated (mm/potad_lookup.c).
 */
#define POTAD_INDEX_HOLE	xa_mk_value(0)

/* mm/potad.c, for mm/potad_zone.c and mm/potad_swap.c */
struct potad_type;
struct potad_desc *potad_desc_new(const struct potad_type *type, gfp_t gfp);
void potad_desc_discard(const struct potad_type *type, struct potad_desc *desc);
int potad_alloc_into(struct potad *pa, struct potad_desc *desc,
		     const struct potad_type *type, unsigned int order,
		     unsigned int top, void *owner, gfp_t gfp);
int potad_alloc_into_in(struct potad *pa, struct potad_desc *desc,
			const struct potad_type *type, unsigned int order,
			unsigned int top, unsigned long start, unsigned long nr,
			void *owner, gfp_t gfp);
int potad_alloc_whole_in(struct potad *pa, struct potad_desc *desc,
			 const struct potad_type *type, unsigned int order,
			 unsigned int top, unsigned long start,
			 unsigned long nr, void *owner, gfp_t gfp);
bool potad_overlaps(struct potad *pa, unsigned long start, unsigned long nr);
bool potad_desc_put_locked(struct potad_desc *desc);
unsigned long potad_pcp_units(struct potad *pa);

/* Is every block of @pa indexed (memory spaces, %POTAD_INDEX)? */
static inline bool potad_indexed(const struct potad *pa)
{
	return pa->flags & (POTAD_MEMORY | POTAD_INDEX);
}

/* mm/potad_lookup.c */
/* Memory ranges of memory-space instances; under potad_list_lock. */
extern struct maple_tree potad_directory;
void potad_index_init(struct potad *pa);
void potad_dir_remove(struct potad *pa);
void potad_index_destroy(struct potad *pa);

/*
 * An index update, prepared and retried outside the instance lock: the
 * maple-tree states of the index and of the chunks, and a chunk array
 * allocated with the caller's gfp for a chunk that has none yet.
 */
struct potad_chunk;
struct potad_index_op {
	struct ma_state mas;
	struct ma_state cmas;
	struct potad_chunk *spare;
	bool need_chunk;
};

void potad_index_op_init(struct potad_index_op *op, struct potad *pa);
void potad_index_op_done(struct potad_index_op *op);
bool potad_index_retry(struct potad_index_op *op, gfp_t gfp,
		       unsigned int *tries);
int potad_dir_prepare_add(struct potad *pa, struct ma_state *mas,
			  unsigned long start, unsigned long nr);
int potad_dir_prepare_withdraw(struct potad *pa, struct ma_state *mas,
			       unsigned long start, unsigned long nr);
void potad_dir_finish(struct potad *pa, struct ma_state *mas, bool add,
		      int ret);
int __potad_index_store(struct potad *pa, struct potad_index_op *op,
			struct potad_desc *desc);
void __potad_index_erase(struct potad *pa, struct potad_index_op *op,
			 struct potad_desc *desc);
int __potad_index_free(struct potad *pa, struct potad_index_op *op,
		       struct potad_desc *desc, unsigned long start,
		       unsigned long nr);
void __potad_index_drop_chunk(struct potad *pa, unsigned long unit);
bool __potad_chunk_present(struct potad *pa, unsigned long unit);
void potad_index_set_owned(struct potad *pa, struct potad_desc *desc);
void potad_index_clear_owned(struct potad *pa, struct potad_desc *desc);
struct potad_desc *potad_index_load(struct potad *pa, unsigned long unit);
struct potad_desc *__potad_index_get(struct potad *pa, unsigned long unit);

#ifdef CONFIG_POTAD_FAULT_INJECTION
struct fault_attr;
/* Index erasures that fail as if no node could be had (KUnit, debugfs). */
extern struct fault_attr potad_fail_index;
#endif

/* mm/potad_bench.c: what potad_bench_lookup_run() fills in. */
enum {
	POTAD_BL_LOOKUP,	/* potad_lookup() */
	POTAD_BL_MTREE,		/* potad_index_load() of the index */
	POTAD_BL_XA,		/* xa_load() of the same pfns */
	POTAD_BL_FOLIO,		/* page_folio(pfn_to_page()) */
	POTAD_BL_INDEXED,	/* order-0 pair, memory space */
	POTAD_BL_PLAIN,		/* order-0 pair, abstract space */
	POTAD_BL_NR
};

struct dentry;
void potad_bench_debugfs(struct dentry *dir);
int potad_bench_lookup_run(unsigned long nr, unsigned long nr_probe,
			   u64 *res);

/* mm/potad_bench_peers.c */
#ifdef CONFIG_POTAD_BENCH
void potad_bench_peers_debugfs(struct dentry *dir);
#else
static inline void potad_bench_peers_debugfs(struct dentry *dir)
{
}
#endif

/* mm/potad_zone.c */
/**
 * struct potad_request - What potad= asks for.
 * @size: Bytes per node.
 * @total: Bytes in all.
 * @spread: potad=<size>: @total is spread over the nodes with memory.
 */
struct potad_request {
	u64 size[MAX_NUMNODES];
	u64 total;
	bool spread;
};

int potad_parse_request(const char *s, struct potad_request *req);
struct potad *potad_zone_of(phys_addr_t phys);
struct potad *potad_zone_holding(unsigned long pfn);
struct potad *potad_zone_overlapping(unsigned long pfn, unsigned long nr);
struct potad *potad_zone_sub(struct potad *pa);
void potad_zone_put_dead(struct potad_desc *desc);
int potad_zone_retire(struct potad *pa, unsigned long unit,
		      struct potad_desc **holder);
int potad_zone_unretire(struct potad *pa, unsigned long start,
			unsigned long nr, bool in_block);
/* Chunks of a zone's sub-page instance, in the zone instance's index. */
extern struct potad_type potad_subpage_type;
void potad_zone_debugfs(struct dentry *dir);

/* mm/potad_cma.c, for lib/test_potad.c and mm/potad_bench_cma.c */
#ifdef CONFIG_POTAD_CMA
struct potad_desc *
potad_cma_ladder(struct potad *pa, const struct potad_type *type,
		 unsigned long nr, unsigned int align, void *owner, gfp_t gfp,
		 int (*claim)(struct potad_desc *desc, void *arg), void *arg,
		 unsigned int *rung);
#endif

/* mm/potad_gup.c */
void potad_gup_debugfs(struct dentry *dir);

/* mm/potad_bench_cma.c (CONFIG_POTAD_BENCH_CMA) */
#ifdef CONFIG_POTAD_BENCH_CMA
void potad_bench_cma_debugfs(struct dentry *dir);
#else
static inline void potad_bench_cma_debugfs(struct dentry *dir)
{
}
#endif

/* mm/potad_swap.c, for lib/test_potad.c */
#ifdef CONFIG_POTAD_SWAP
#include <linux/swap.h>
#include <linux/workqueue.h>

struct potad_swap_block;

/**
 * struct potad_swap_cluster - Which runs an aligned cluster of slots holds.
 * @list: While @used is not 0: on @ps->partial[@order] if it may hold a
 *	free block for a run of @order (a block of it went back to the
 *	instance since a refill last found none), else on @ps->frag[@order]
 *	unless a refill found it full.  While @used is 0: on @ps->spare if
 *	some of its slots are not usable, so that it is never a free block
 *	of a cluster's size.  While it is held to be discarded: on
 *	@ps->held, or on the list of the discard under way.
 * @used: Its slots taken from the instance: handed out, in a CPU's
 *	block not carved yet, or held to be discarded.
 * @usable: Its slots registered with the instance.
 * @queued: Its slots freed that wait in @ps->pending.
 * @order: The order of the runs the first block taken from it was for,
 *	%POTAD_SWAP_NO_ORDER while @used is 0, %POTAD_SWAP_HELD while it
 *	is held to be discarded.
 * @partial: On @ps->partial[@order].
 */
struct potad_swap_cluster {
	struct list_head list;
	unsigned short used;
	unsigned short usable;
	unsigned short queued;
	u8 order;
	bool partial;
};

/**
 * struct potad_swap_cpu - A CPU's blocks of swap slots.
 * @blk: For each order, the block runs of that order are carved from,
 *	or NULL.
 */
struct potad_swap_cpu {
	struct potad_swap_block *blk[SWAP_NR_ORDERS];
};

/* Slot ranges freed that a swap device's allocator gives back at once. */
#define POTAD_SWAP_BATCH	64

/**
 * struct potad_swap - The slot allocator of a swap device.
 * @pa: The instance over the device's slots.
 * @si: The device (NULL in KUnit).
 * @cpu: The front end's blocks.
 * @clusters: Each aligned cluster of slots: which order's runs it holds.
 * @nr_clusters: Entries in @clusters.
 * @partial: By order, the clusters of that order's runs that had slots
 *	back since a refill last found no block for a run in them.
 * @frag: By order, the clusters of that order's runs a refill found no
 *	block for a run in, and not full (as far as is known).
 * @spare: The clusters with unusable slots (bad blocks, the header, the
 *	end of the device) and none taken.
 * @pending: Slots freed and not given back to @pa yet: given back
 *	together, under one hold of its lock, when @pending is full, before
 *	a refill and in a drain (potad_swap_flush()).  Frees of consecutive
 *	slots of a block extend one entry.
 * @nr_pending: Entries used in @pending.
 * @name: "swap<type>".
 * @slots: Usable slots registered.
 * @runs: Runs handed out, by order.
 * @failures: Runs asked for and not found, by order.
 * @refills: Blocks the front end took, by order.
 * @steals: Blocks taken for runs of an order outside its clusters, by
 *	the order of the runs.
 * @freed: Slots freed (given back, or in @pending).
 * @flushes: Batches of @pending given back.
 * @drains: Drains of every CPU's tails because the instance was empty.
 * @drained: Slots those drains (and swapoff's) gave back unused.
 * @nomem: Blocks not taken for want of a descriptor.
 * @discard: The device discards the slots it frees (SWP_PAGE_DISCARD): a
 *	cluster that is entirely free again is taken back from @pa, whole,
 *	until it has been discarded (potad_swap_discard_begin()).
 * @held: The clusters taken back to be discarded, not yet being so.
 * @discard_work: Discards @held in the background.
 * @discards: Discard requests issued, each of adjacent clusters merged.
 * @discarded: Slots discarded.
 * @reclaim_next: The cluster the next reclaim of cache-only slots looks
 *	at first (potad_swap_reclaim()).
 * @reclaims: Full clusters looked at for slots only the cache holds.
 * @reclaimed: Slots those reclaims freed.
 *
 * Everything but @pa and @discard_work is under the caller's
 * serialisation (si->lock).
 */
struct potad_swap {
	struct potad pa;
	struct swap_info_struct *si;
	struct potad_swap_cpu __percpu *cpu;
	struct potad_swap_cluster *clusters;
	unsigned long nr_clusters;
	struct list_head partial[SWAP_NR_ORDERS];
	struct list_head frag[SWAP_NR_ORDERS];
	struct list_head spare;
	struct potad_part pending[POTAD_SWAP_BATCH];
	unsigned int nr_pending;
	char name[16];
	unsigned long slots;
	unsigned long runs[SWAP_NR_ORDERS];
	unsigned long failures[SWAP_NR_ORDERS];
	unsigned long refills[POTAD_CHUNK_SHIFT];
	unsigned long steals[SWAP_NR_ORDERS];
	unsigned long freed;
	unsigned long flushes;
	unsigned long drains;
	unsigned long drained;
	unsigned long nomem;
	bool discard;
	struct list_head held;
	struct work_struct discard_work;
	unsigned long discards;
	unsigned long discarded;
	unsigned long reclaim_next;
	unsigned long reclaims;
	unsigned long reclaimed;
};

int potad_swap_setup(struct potad_swap *ps, const char *name,
		     const unsigned char *map, unsigned long max);
void potad_swap_drain(struct potad_swap *ps);
void potad_swap_flush(struct potad_swap *ps);
bool potad_swap_get(struct potad_swap *ps, unsigned int order,
		    unsigned long *offset);
void potad_swap_put(struct potad_swap *ps, unsigned long offset,
		    unsigned long nr);
unsigned long potad_swap_teardown(struct potad_swap *ps);
void potad_swap_discard_begin(struct potad_swap *ps, struct list_head *batch);
void potad_swap_discard_end(struct potad_swap *ps, struct list_head *batch);
void potad_swap_debugfs(struct dentry *dir);
#else
static inline void potad_swap_debugfs(struct dentry *dir)
{
}
#endif

#endif /* _MM_POTAD_INTERNAL_H */
