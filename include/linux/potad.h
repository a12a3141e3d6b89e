/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD: Power Of Two Allocator with Descriptor.
 *
 * A POTAD instance hands out naturally aligned blocks of 2^order units
 * from a space of units.  The space is either memory (a unit is
 * 2^unit_shift bytes of physical address) or abstract (units are plain
 * numbers such as swap slots; POTAD never touches the resource).  Every
 * allocation comes with a descriptor of a caller-registered type; the
 * caller embeds struct potad_desc in its own structure and gets back to
 * it with container_of().
 *
 * See Documentation/mm/potad.rst.
 */
#ifndef _LINUX_POTAD_H
#define _LINUX_POTAD_H

#include <linux/err.h>
#include <linux/init.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/numa.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/gfp.h>
#include <linux/workqueue.h>
#include <asm/page.h>

struct kmem_cache;
struct potad;
struct potad_desc;
struct potad_map;
struct potad_pcp;

/* Number of orders an instance can track: a block of 2^63 units at most. */
#define POTAD_NR_ORDERS		BITS_PER_LONG

/* Largest space: metadata indexes stay far from overflow. */
#define POTAD_MAX_SPAN		(1UL << (BITS_PER_LONG - 2))

/* Smallest unit of a memory space: 512 bytes. */
#define POTAD_MIN_UNIT_SHIFT	9

/* Flags for potad_init(). */
#define POTAD_MEMORY		0x1	/* units are physical memory */
#define POTAD_ABSTRACT		0x2	/* units are numbers (swap slots, IDs) */
/*
 * With POTAD_MEMORY: a zone instance (mm/potad_zone.c).  Its memory is not
 * entered in the directory: lookups find the instance through the zone of
 * the page, and ranges may be added and withdrawn without sleeping.
 */
#define POTAD_ZONE		0x4
/*
 * With POTAD_ABSTRACT: every block is indexed by unit, so that an owner
 * holding only a unit number finds its descriptor (potad_unit_desc()),
 * and blocks below order %POTAD_CHUNK_SHIFT are freed in part without
 * the index allocating (swap slots, mm/potad_swap.c).
 */
#define POTAD_INDEX		0x8

/**
 * struct potad_type_ops - What POTAD may ask of a descriptor's owner.
 * @memory_failure: A unit of the block described by @desc has been
 *	poisoned.  @unit is the absolute unit number, @flags the
 *	memory_failure() MF_* flags.  Return 0 if the owner handled it, or
 *	a negative errno (the failure is then reported as not recovered).
 *	Called by potad_memory_failure() (zone instances) without any
 *	POTAD lock held, in process context (may sleep), under
 *	memory-failure's mf_mutex, with a reference on @desc that pins
 *	@unit: the op may free the block, whose units then go back once
 *	the reference is dropped, all but the retired unit.  Also called
 *	for the part of a block the owner freed (potad_free_range()) while
 *	references keep it; not for a block freed whole while referenced
 *	(a mapping, a pin), which is reported as not handled.  An owner
 *	that maps the block into user space unmaps the poisoned page
 *	before it returns 0: under %MF_ACTION_REQUIRED the task that
 *	touched it resumes at the access, which must then fault (and get
 *	SIGBUS).
 * @soft_offline: Optional.  soft_offline_page() on a page of the block:
 *	@unit is retired inside the block and the owner is asked to move
 *	its data elsewhere; it returns 0 once nothing it keeps is on
 *	@unit any more (the block, or its part holding @unit, freed or
 *	about to be), and @unit stays out when it is freed.  An error,
 *	or no op, undoes the retirement: the page stays in service and
 *	soft_offline_page() fails with -EBUSY.  Only for blocks still
 *	allocated; same context and reference as @memory_failure.
 * @release: Called once a descriptor's block is entirely free and its
 *	last reference is gone, for types whose descriptor memory the
 *	caller provides (%POTAD_TYPE_CALLER_MEM); the caller may then reuse
 *	the memory, or allocate into it again.  For memory spaces, whose
 *	descriptors lockless lookups may still be reading, it is called
 *	after an RCU grace period from an RCU callback (softirq context),
 *	and a caller-memory type used with a memory space must have it;
 *	for abstract spaces, in the context of the potad_free(),
 *	potad_free_range() or potad_desc_put() that released it.  Never
 *	called with the instance lock held.
 */
struct potad_type_ops {
	int (*memory_failure)(struct potad_desc *desc, unsigned long unit,
			      int flags);
	int (*soft_offline)(struct potad_desc *desc, unsigned long unit);
	void (*release)(struct potad_desc *desc);
};

/* Flags for struct potad_type. */
#define POTAD_TYPE_CALLER_MEM	0x1	/* descriptors come from the caller */
/* The owner can move the data: no FOLL_LONGTERM pins (mm/potad_gup.c). */
#define POTAD_TYPE_MOVABLE	0x2

/**
 * struct potad_type - A kind of descriptor.
 * @name: Name of the slab cache for the descriptors (so unique and
 *	recognisable, e.g. "potad_xfs_buf"), also shown in debugfs.
 * @size: Size of the caller's structure that embeds struct potad_desc.
 * @offset: offsetof() the struct potad_desc in the caller's structure;
 *	@offset + sizeof(struct potad_desc) must not exceed @size.
 * @flags: %POTAD_TYPE_CALLER_MEM or 0.
 * @ops: Owner callbacks, may be NULL.
 * @cache: Internal: slab cache for the descriptors.
 * @list: Internal: entry on the global list of types.
 * @nr_pinned: Internal: blocks of this type freed while referenced, whose
 *	descriptors wait for their last potad_desc_put().
 * @registered: Internal: set while registered.
 *
 * A type is registered once with potad_type_register() and may then be
 * used by any number of instances.  Its internal fields must start zeroed
 * (a static or kzalloc()ed structure).
 */
struct potad_type {
	const char *name;
	size_t size;
	size_t offset;
	unsigned int flags;
	const struct potad_type_ops *ops;
	struct kmem_cache *cache;
	struct list_head list;
	atomic_t nr_pinned;
	bool registered;
};

/**
 * struct potad_desc - The common header of every descriptor.
 * @type: The descriptor's type.
 * @potad: The instance the block was allocated from.
 * @start: Absolute number of the block's first unit.
 * @nr_live: Units of the block not yet freed (potad_free_range()).
 * @owner: Opaque pointer of the caller's choice.
 * @order: The block covers 2^@order units.
 * @state: %POTAD_DESC_LIVE while the block is allocated,
 *	%POTAD_DESC_DEAD once it is freed until the descriptor is released,
 *	%POTAD_DESC_FREE before the first allocation (zeroed memory) and
 *	after the release.  Written by mm/potad.c only.
 * @flags: Internal to mm/potad*.c (%POTAD_DESC_INDEXED,
 *	%POTAD_DESC_DEFERRED, %POTAD_DESC_CHUNKED, %POTAD_DESC_RETIRED),
 *	but for %POTAD_DESC_RUN, which callers may read: the block is a run
 *	of @nr_live units from potad_alloc_run(), and @order is the order
 *	of the smallest power of two that holds it.
 * @refs: Internal: one reference for the allocation, one per
 *	potad_desc_tryget() or other reference taken.
 * @rcu: Internal: for releasing the descriptor after a grace period.
 *
 * Embed it in the caller's structure (at any offset) and recover that
 * structure with container_of().  @type, @potad, @start, @order and
 * @owner are set before the block can be found by potad_lookup() and stay
 * unchanged until the descriptor is released.  It is 64 bytes on 64-bit
 * machines: one cacheline.
 */
struct potad_desc {
	const struct potad_type *type;
	struct potad *potad;
	unsigned long start;
	unsigned long nr_live;
	void *owner;
	u8 order;
	u8 state;
	u8 flags;
	refcount_t refs;
	struct rcu_head rcu;
};

#define POTAD_DESC_FREE		0x00
#define POTAD_DESC_LIVE		0xa1
#define POTAD_DESC_DEAD		0xde

/* The block's live units are in the instance's index (always, for memory). */
#define POTAD_DESC_INDEXED	0x1
/* Units freed while referenced wait in the instance's deferred tree. */
#define POTAD_DESC_DEFERRED	0x2
/* A unit of the block was retired while it was allocated. */
#define POTAD_DESC_RETIRED	0x8
/* The block is indexed in a chunk's array of the index (small blocks). */
#define POTAD_DESC_CHUNKED	0x4
/* A run of any number of units (potad_alloc_run()), freed only whole. */
#define POTAD_DESC_RUN		0x10

/**
 * struct potad_part - A part of an allocated block, for potad_free_parts().
 * @desc: The block's descriptor.
 * @start: Absolute number of the first unit, inside the block.
 * @nr: Number of units.
 */
struct potad_part {
	struct potad_desc *desc;
	unsigned long start;
	unsigned long nr;
};

/**
 * struct potad_stats - A snapshot of an instance's counters.
 * @units_total: Units added with potad_add_range() and not withdrawn.
 * @units_free: Units in free blocks, @units_cached included.
 * @units_allocated: Units in allocated blocks (including retired ones).
 * @units_cached: Free units in the per-cpu caches (potad_pcp_init()),
 *	which are not in @nr_free.
 * @units_retired: Retired units outside allocated blocks; a retired unit
 *	inside an allocated block counts in @units_allocated until freed.
 * @nr_allocs: Successful allocations.
 * @nr_frees: Frees (whole blocks and ranges).
 * @alloc_failures: potad_alloc() and potad_alloc_desc(%POTAD_ANY) calls
 *	that found no free block (-ENOSPC).
 * @index_holes: Index placeholders not yet cleaned up: frees whose index
 *	entry had to be overwritten with a placeholder because no
 *	maple-tree node could be allocated, until the work item has
 *	removed them.
 * @units_deferred: Units freed by their owner (in part or whole blocks)
 *	while a reference on the block was held; they count in
 *	@units_allocated until the reference is dropped.
 * @index_chunks: Chunk arrays of the index (memory spaces): one per
 *	aligned 2^%POTAD_CHUNK_SHIFT units that held a small block since
 *	they were added, until no added range touches them (or longer, if
 *	no maple-tree node could be had to erase one then).
 * @max_order: Largest order the instance can ever hand out.
 * @nr_free: Free blocks of each order.
 */
struct potad_stats {
	unsigned long units_total;
	unsigned long units_free;
	unsigned long units_allocated;
	unsigned long units_retired;
	unsigned long units_cached;
	unsigned long nr_allocs;
	unsigned long nr_frees;
	unsigned long alloc_failures;
	unsigned long index_holes;
	unsigned long units_deferred;
	unsigned long index_chunks;
	unsigned int max_order;
	unsigned long nr_free[POTAD_NR_ORDERS];
};

/*
 * Blocks below this order in a memory space are indexed in arrays of
 * descriptor pointers, one per aligned chunk of 2^POTAD_CHUNK_SHIFT units
 * (mm/potad_lookup.c); larger blocks have an entry of their own.
 */
#define POTAD_CHUNK_SHIFT	10

/* Index placeholders an instance remembers for its work item. */
#define POTAD_NR_HOLES		8

/**
 * struct potad - A POTAD instance.  All fields are internal to mm/potad*.c.
 * @lock: Protects everything below but @list.  A spinlock_t, not a
 *	raw_spinlock_t: the index allocates maple-tree nodes under it.
 * @name: Name for messages and debugfs.
 * @flags: %POTAD_MEMORY or %POTAD_ABSTRACT, maybe with %POTAD_ZONE.
 * @unit_shift: log2 of the unit size in bytes (memory spaces).
 * @max_order: Largest order handed out.
 * @base: Absolute number of the space's first unit.
 * @span: Number of units in the space.
 * @maps: One hierarchical bitmap of free-block heads per order.
 * @ranges: Ranges added and not withdrawn (struct potad_range).
 * @retired: Retired units (struct potad_retired).
 * @deferred: Units freed while referenced (struct potad_deferred).
 * @index: Allocated units to their descriptors, keyed by absolute unit
 *	number: the blocks of a memory space of order %POTAD_CHUNK_SHIFT or more
 *	(read under RCU), and the partly freed blocks of an abstract space.
 * @chunks: Memory spaces: chunk number (unit >> %POTAD_CHUNK_SHIFT) to
 *	the chunk's array of descriptors of the smaller blocks (read under
 *	RCU).
 * @index_work: Replaces the placeholders of failed index erasures.
 * @holes: Ranges of the index holding placeholders, for @index_work.
 * @nr_holes: Entries used in @holes.
 * @holes_lost: Placeholders left when @holes was full: @index_work
 *	then scans the whole index.
 * @nr_pinned: Freed blocks whose units wait for potad_desc_put().
 * @pcp: Per-cpu caches of free small blocks, or NULL (potad_pcp_init()).
 * @pcp_order: Largest order @pcp caches.
 * @pcp_off: While non-zero, @pcp is bypassed (potad_retire(),
 *	potad_withdraw_range_gfp()).
 * @pcp_drained: Called with each block a drain of @pcp gave back, once
 *	no lock is held, or NULL.
 * @stats: Counters.
 * @list: Entry on the global list of instances (potad_list_lock).
 */
struct potad {
	spinlock_t lock;	/* protects every field below but list */
	const char *name;
	unsigned int flags;
	unsigned int unit_shift;
	unsigned int max_order;
	unsigned long base;
	unsigned long span;
	struct potad_map *maps;
	struct rb_root ranges;
	struct rb_root retired;
	struct rb_root deferred;
	struct maple_tree index;
	struct maple_tree chunks;
	struct work_struct index_work;
	struct {
		unsigned long first, last;
	} holes[POTAD_NR_HOLES];
	unsigned int nr_holes;
	unsigned long holes_lost;
	atomic_t nr_pinned;
	struct potad_pcp __percpu *pcp;
	unsigned int pcp_order;
	atomic_t pcp_off;
	void (*pcp_drained)(struct potad *pa, unsigned long start,
			    unsigned int order);
	struct potad_stats stats;
	struct list_head list;
};

int potad_init(struct potad *pa, const char *name, unsigned int flags,
	       unsigned int unit_shift, unsigned long base, unsigned long span,
	       unsigned int max_order);
void potad_destroy(struct potad *pa);

int potad_add_range_gfp(struct potad *pa, unsigned long start,
			unsigned long nr, gfp_t gfp);
int potad_withdraw_range_gfp(struct potad *pa, unsigned long start,
			     unsigned long nr, gfp_t gfp);
int potad_take_range(struct potad *pa, unsigned long start, unsigned long nr,
		     gfp_t gfp);

/**
 * potad_add_range() - Add free space, in process context.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 *
 * potad_add_range_gfp() with %GFP_KERNEL.
 *
 * Context: Process context, may sleep.
 * Return: As potad_add_range_gfp().
 */
static inline int potad_add_range(struct potad *pa, unsigned long start,
				  unsigned long nr)
{
	return potad_add_range_gfp(pa, start, nr, GFP_KERNEL);
}

/**
 * potad_withdraw_range() - Take free space away again, in process context.
 * @pa: The instance.
 * @start: Absolute number of the first unit.
 * @nr: Number of units.
 *
 * potad_withdraw_range_gfp() with %GFP_KERNEL.
 *
 * Context: Process context, may sleep.
 * Return: As potad_withdraw_range_gfp().
 */
static inline int potad_withdraw_range(struct potad *pa, unsigned long start,
				       unsigned long nr)
{
	return potad_withdraw_range_gfp(pa, start, nr, GFP_KERNEL);
}

int potad_type_register(struct potad_type *type);
void potad_type_unregister(struct potad_type *type);

struct potad_desc *potad_alloc(struct potad *pa, const struct potad_type *type,
			       unsigned int order, void *owner, gfp_t gfp);
struct potad_desc *potad_alloc_at(struct potad *pa,
				  const struct potad_type *type,
				  unsigned long start, unsigned int order,
				  void *owner, gfp_t gfp);
int potad_alloc_desc(struct potad *pa, struct potad_desc *desc,
		     const struct potad_type *type, unsigned long start,
		     unsigned int order, void *owner, gfp_t gfp);
struct potad_desc *potad_alloc_run(struct potad *pa,
				   const struct potad_type *type,
				   unsigned long start, unsigned long nr,
				   unsigned int align, void *owner, gfp_t gfp);
struct potad_desc *potad_alloc_run_from(struct potad *pa,
					const struct potad_type *type,
					unsigned long from, unsigned long nr,
					unsigned int align, void *owner,
					gfp_t gfp);
int potad_find_run(struct potad *pa, unsigned long nr, unsigned int align,
		   unsigned long *start);
int potad_free(struct potad *pa, struct potad_desc *desc);
int potad_free_range(struct potad *pa, struct potad_desc *desc,
		     unsigned long start, unsigned long nr, gfp_t gfp);
unsigned int potad_free_parts(struct potad *pa,
			      const struct potad_part *parts, unsigned int n);
int potad_retire(struct potad *pa, unsigned long unit, gfp_t gfp,
		 struct potad_desc **holder);
int potad_unretire(struct potad *pa, unsigned long start, unsigned long nr,
		   bool in_block);
bool potad_is_retired(struct potad *pa, unsigned long unit, bool *in_block);

void potad_get_stats(struct potad *pa, struct potad_stats *stats);
unsigned long potad_units_free(struct potad *pa);

int potad_pcp_init(struct potad *pa, unsigned int max_order);
void potad_pcp_drain(struct potad *pa);
void potad_pcp_drain_cpu(struct potad *pa, int cpu);
bool potad_pcp_peek(struct potad *pa, unsigned int order);

struct potad_desc *potad_lookup(phys_addr_t phys);
struct potad_desc *potad_unit_desc(struct potad *pa, unsigned long unit);
struct potad_desc *potad_lookup_pfn(unsigned long pfn);
struct potad_desc *potad_lookup_get(phys_addr_t phys);
bool potad_desc_tryget(struct potad_desc *desc);

/**
 * potad_desc_get() - Take one more reference on a descriptor.
 * @desc: A descriptor the caller holds a reference on (from
 *	potad_desc_tryget() or potad_lookup_get()), live or freed since.
 *
 * For a holder that passes a copy of its reference on, such as a VMA's
 * open op when mremap() or fork() copies a mapping that holds one.  The
 * copy defers the return of the block's units as the original does.
 *
 * Context: Any context.
 */
static inline void potad_desc_get(struct potad_desc *desc)
{
	refcount_inc(&desc->refs);
}

void potad_desc_put(struct potad_desc *desc);

/* potad_alloc_desc() start for "anywhere". */
#define POTAD_ANY		(~0UL)

/**
 * potad_desc_units() - Number of units in a descriptor's block.
 * @desc: A live descriptor.
 *
 * Context: Any context.
 * Return: 2^@desc->order, or for a run (%POTAD_DESC_RUN) its length.
 */
static inline unsigned long potad_desc_units(const struct potad_desc *desc)
{
	if (desc->flags & POTAD_DESC_RUN)
		return desc->nr_live;
	return 1UL << desc->order;
}

/**
 * potad_desc_phys() - Physical address of a memory-space block.
 * @desc: A live descriptor from a %POTAD_MEMORY instance.
 *
 * Context: Any context.
 * Return: The physical address of the block's first byte.
 */
static inline phys_addr_t potad_desc_phys(const struct potad_desc *desc)
{
	return (phys_addr_t)desc->start << desc->potad->unit_shift;
}

/**
 * potad_desc_bytes() - Size in bytes of a memory-space block.
 * @desc: A live descriptor from a %POTAD_MEMORY instance.
 *
 * Context: Any context.
 * Return: The block size in bytes.
 */
static inline u64 potad_desc_bytes(const struct potad_desc *desc)
{
	return (u64)potad_desc_units(desc) << desc->potad->unit_shift;
}

/* Zone instances and the potad= boot reservation (mm/potad_zone.c) */

struct zone;

/* Most pieces the boot reservation is made of, over all nodes. */
#define POTAD_MAX_RESERVED	64

/**
 * struct potad_reserved - A piece of the boot reservation.
 * @base: Physical address, aligned to @size.
 * @size: Bytes, a power of two.
 * @nid: Node.
 */
struct potad_reserved {
	phys_addr_t base;
	u64 size;
	int nid;
};

/**
 * struct potad_zone_info - What a zone's instances hold, summed over them.
 * @extents: Instances of the zone: one for its boot span, one more for
 *	each range memory hotplug onlined outside the earlier ones.
 * @reserved: Pages of the boot reservation (potad=), never given back.
 * @elastic: Pages taken from the buddy allocator and not yet given back.
 * @elastic_free: Free pages among @elastic.
 * @high: Free elastic pages an instance keeps before it gives entirely
 *	free elastic blocks back (the first instance's).
 * @refills: MAX_PAGE_ORDER blocks taken from the buddy allocator.
 * @returns: Blocks given back to it.
 * @sub_units: 512 B units the zone's sub-page instance holds.
 * @sub_free: Free units among @sub_units.
 * @sub_chunks: 64 KB blocks the sub-page instance holds.
 */
struct potad_zone_info {
	unsigned int extents;
	unsigned long reserved;
	unsigned long elastic;
	unsigned long elastic_free;
	unsigned long high;
	unsigned long refills;
	unsigned long returns;
	unsigned long sub_units;
	unsigned long sub_free;
	unsigned long sub_chunks;
};

struct seq_file;

#ifdef CONFIG_POTAD
void __init potad_reserve(void);
const struct potad_reserved *potad_reserved_get(unsigned int i);
struct potad *potad_zone(struct zone *zone);
struct potad_desc *potad_alloc_node(const struct potad_type *type,
				    unsigned int shift, gfp_t gfp, int nid,
				    void *owner);
int potad_free_mem(struct potad_desc *desc);
int potad_zone_get_info(struct zone *zone, struct potad_zone_info *info);
long potad_zone_set_high(struct zone *zone, unsigned long high);
unsigned long potad_zone_shrink_all(void);
void potad_report_meminfo(struct seq_file *m);
#else
static inline void potad_reserve(void)
{
}

static inline const struct potad_reserved *potad_reserved_get(unsigned int i)
{
	return NULL;
}

static inline struct potad *potad_zone(struct zone *zone)
{
	return NULL;
}

static inline struct potad_desc *
potad_alloc_node(const struct potad_type *type, unsigned int shift,
		 gfp_t gfp, int nid, void *owner)
{
	return ERR_PTR(-ENODEV);
}

static inline int potad_free_mem(struct potad_desc *desc)
{
	return -EINVAL;
}

static inline int potad_zone_get_info(struct zone *zone,
				      struct potad_zone_info *info)
{
	return -ENODEV;
}

static inline long potad_zone_set_high(struct zone *zone, unsigned long high)
{
	return -ENODEV;
}

static inline unsigned long potad_zone_shrink_all(void)
{
	return 0;
}

static inline void potad_report_meminfo(struct seq_file *m)
{
}
#endif

/* Memory failure (mm/potad_failure.c), for mm/memory-failure.c */
#ifdef CONFIG_POTAD_MEMORY_FAILURE
int potad_memory_failure(unsigned long pfn, int flags);
int potad_unpoison_memory(unsigned long pfn);
int potad_soft_offline(unsigned long pfn);
bool potad_inject_error(int behavior, unsigned long start, int *ret);
#else
static inline int potad_memory_failure(unsigned long pfn, int flags)
{
	return -ENOENT;
}

static inline int potad_unpoison_memory(unsigned long pfn)
{
	return -ENOENT;
}

static inline int potad_soft_offline(unsigned long pfn)
{
	return -ENOENT;
}

static inline bool potad_inject_error(int behavior, unsigned long start,
				      int *ret)
{
	return false;
}
#endif

/* Pins of POTAD pages (mm/potad_gup.c), for mm/gup.c */
struct folio;

#ifdef CONFIG_POTAD
int potad_gup_pin(struct folio *folio, int refs, unsigned int flags);
bool potad_gup_pin_fast(struct folio *folio);
struct potad_desc *potad_gup_unpin(struct folio *folio, int refs);
void potad_gup_unpin_done(struct potad_desc *desc);
unsigned long potad_gup_pinned(struct potad_desc *desc);
#else
static inline int potad_gup_pin(struct folio *folio, int refs,
				unsigned int flags)
{
	return -ENOENT;
}

static inline bool potad_gup_pin_fast(struct folio *folio)
{
	return true;
}

static inline struct potad_desc *
potad_gup_unpin(struct folio *folio, int refs)
{
	return NULL;
}

static inline void potad_gup_unpin_done(struct potad_desc *desc)
{
}
#endif

/* Gigantic hugetlb folios (mm/potad_hugetlb.c), for mm/hugetlb.c */

#ifdef CONFIG_POTAD_HUGETLB
struct folio *potad_hugetlb_alloc_folio(int order, gfp_t gfp, int nid,
					nodemask_t *nodemask);
bool potad_hugetlb_free_folio(struct folio *folio);
bool potad_hugetlb_folio(struct folio *folio);
#elif defined(CONFIG_HUGETLB_PAGE)
static inline struct folio *potad_hugetlb_alloc_folio(int order, gfp_t gfp,
						      int nid,
						      nodemask_t *nodemask)
{
	return NULL;
}

static inline bool potad_hugetlb_free_folio(struct folio *folio)
{
	return false;
}

static inline bool potad_hugetlb_folio(struct folio *folio)
{
	return false;
}
#endif

/* CMA areas over POTAD (mm/potad_cma.c), for mm/cma.c and mm/cma_debug.c */

struct cma;
struct page;
struct dentry;

#ifdef CONFIG_POTAD_CMA
int potad_cma_activate(struct cma *cma);
void potad_cma_deactivate(struct cma *cma);
struct page *potad_cma_alloc(struct cma *cma, unsigned long count,
			     unsigned int align, gfp_t gfp,
			     unsigned long caller);
bool potad_cma_pages_valid(struct cma *cma, const struct page *pages,
			   unsigned long count);
bool potad_cma_release(struct cma *cma, const struct page *pages,
		       unsigned long count);
unsigned long potad_cma_used(struct cma *cma);
unsigned long potad_cma_maxchunk(struct cma *cma);
void potad_cma_debugfs(struct cma *cma, struct dentry *dir);
int potad_cma_memory_failure(unsigned long pfn, int flags);
int potad_cma_unpoison_memory(unsigned long pfn);
bool potad_cma_folio(struct folio *folio);
#else
static inline int potad_cma_activate(struct cma *cma)
{
	return -EOPNOTSUPP;
}

static inline void potad_cma_deactivate(struct cma *cma)
{
}

static inline struct page *potad_cma_alloc(struct cma *cma,
					   unsigned long count,
					   unsigned int align, gfp_t gfp,
					   unsigned long caller)
{
	return NULL;
}

static inline bool potad_cma_pages_valid(struct cma *cma,
					 const struct page *pages,
					 unsigned long count)
{
	return false;
}

static inline bool potad_cma_release(struct cma *cma,
				     const struct page *pages,
				     unsigned long count)
{
	return false;
}

static inline unsigned long potad_cma_used(struct cma *cma)
{
	return 0;
}

static inline unsigned long potad_cma_maxchunk(struct cma *cma)
{
	return 0;
}

static inline void potad_cma_debugfs(struct cma *cma, struct dentry *dir)
{
}

static inline int potad_cma_memory_failure(unsigned long pfn, int flags)
{
	return -ENOENT;
}

static inline int potad_cma_unpoison_memory(unsigned long pfn)
{
	return -ENOENT;
}

static inline bool potad_cma_folio(struct folio *folio)
{
	return false;
}
#endif

/* Swap slots over POTAD (mm/potad_swap.c), for mm/swapfile.c */

struct swap_info_struct;

#ifdef CONFIG_POTAD_SWAP
bool potad_swap_enabled(struct swap_info_struct *si);
int potad_swap_on(struct swap_info_struct *si, unsigned char *swap_map);
void potad_swap_off(struct swap_info_struct *si);
bool potad_swap_alloc(struct swap_info_struct *si, unsigned int order,
		      unsigned long *offset);
void potad_swap_free(struct swap_info_struct *si, unsigned long offset,
		     unsigned int nr);
void potad_swap_reclaim(struct swap_info_struct *si, bool force);
/* mm/swapfile.c's, for mm/potad_swap.c: may sleep. */
void swap_discard_slots(struct swap_info_struct *si, unsigned long start,
			unsigned long nr);
int swap_reclaim_slot(struct swap_info_struct *si, unsigned long offset);
#else
static inline bool potad_swap_enabled(struct swap_info_struct *si)
{
	return false;
}

static inline int potad_swap_on(struct swap_info_struct *si,
				unsigned char *swap_map)
{
	return 0;
}

static inline void potad_swap_off(struct swap_info_struct *si)
{
}

static inline bool potad_swap_alloc(struct swap_info_struct *si,
				    unsigned int order, unsigned long *offset)
{
	return false;
}

static inline void potad_swap_free(struct swap_info_struct *si,
				   unsigned long offset, unsigned int nr)
{
}

static inline void potad_swap_reclaim(struct swap_info_struct *si, bool force)
{
}
#endif

/**
 * potad_alloc_mem() - Allocate a naturally aligned block of memory.
 * @type: A registered descriptor type without %POTAD_TYPE_CALLER_MEM.
 * @shift: The block is 2^@shift bytes.
 * @gfp: As for potad_alloc_node().
 * @owner: Stored in the descriptor.
 *
 * potad_alloc_node() on the nearest node.
 *
 * Context: As potad_alloc_node().
 * Return: As potad_alloc_node().
 */
static inline struct potad_desc *potad_alloc_mem(const struct potad_type *type,
						 unsigned int shift, gfp_t gfp,
						 void *owner)
{
	return potad_alloc_node(type, shift, gfp, NUMA_NO_NODE, owner);
}

/**
 * potad_desc_virt() - Direct-map address of a zone block.
 * @desc: A live descriptor from potad_alloc_node().
 *
 * Context: Any context.
 * Return: The kernel virtual address of the block's first byte.
 */
static inline void *potad_desc_virt(const struct potad_desc *desc)
{
	return __va(potad_desc_phys(desc));
}

#endif /* _LINUX_POTAD_H */
