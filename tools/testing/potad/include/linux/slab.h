/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: kmalloc, kvmalloc and slab caches on top of
 * malloc, with byte accounting (potad_mem_bytes) and fault injection
 * (potad_fail_alloc_after).  Allocating with a blocking GFP mask under a
 * spinlock is reported as sleeping in atomic context.
 */
#ifndef _POTAD_SHIM_LINUX_SLAB_H
#define _POTAD_SHIM_LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/overflow.h>
#include <linux/types.h>

#define SLAB_HWCACHE_ALIGN	0x00002000U
#define SLAB_RECLAIM_ACCOUNT	0x00020000U	/* accepted, no effect */
#define SLAB_PANIC		0x00040000U

#define ZERO_SIZE_PTR		((void *)16)

static inline bool ZERO_OR_NULL_PTR(const void *p)
{
	return (unsigned long)p <= (unsigned long)ZERO_SIZE_PTR;
}

void *kmalloc(size_t size, gfp_t gfp);
void kfree(const void *p);
void *kvmalloc(size_t size, gfp_t gfp);
void kvfree(const void *p);

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc(bytes, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

static inline void *kvzalloc(size_t size, gfp_t gfp)
{
	return kvmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kvmalloc(bytes, gfp);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kvmalloc_array(n, size, gfp | __GFP_ZERO);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *obj));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *p);

struct list_lru;

/*
 * The XArray allocates its nodes with the array's list_lru (the page
 * cache's shadow nodes): there is no memory cgroup nor shrinker here, so
 * that is kmem_cache_alloc().
 */
static inline void *kmem_cache_alloc_lru(struct kmem_cache *s,
					 struct list_lru *lru, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp);
}

/*
 * All @size objects or none: returns @size, or 0 (nothing allocated) if
 * any of them failed (each object counts for fault injection).
 */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size,
			  void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);
/* Nothing is cached: nothing to shrink. */
static inline void kmem_cache_shrink(struct kmem_cache *s) { }

/*
 * The hooks lib/maple_tree.c's CONFIG_DEBUG_MAPLE_TREE userspace build
 * declares (for tools/testing/radix-tree's slab): objects allocated now
 * and in total, and their bytes.  The "non_kernel" allowance and the
 * callback are recorded only: here, non-blocking allocations fail only by
 * fault injection (potad_fail_alloc_after).
 */
unsigned int kmem_cache_size(struct kmem_cache *s);
void kmem_cache_set_non_kernel(struct kmem_cache *s, unsigned int val);
void kmem_cache_set_callback(struct kmem_cache *s, void (*callback)(void *));
void kmem_cache_set_private(struct kmem_cache *s, void *private);
unsigned long kmem_cache_get_alloc(struct kmem_cache *s);
void kmem_cache_zero_nr_tallocated(struct kmem_cache *s);
unsigned int kmem_cache_nr_tallocated(struct kmem_cache *s);
unsigned int kmem_cache_nr_allocated(struct kmem_cache *s);

#endif /* _POTAD_SHIM_LINUX_SLAB_H */
