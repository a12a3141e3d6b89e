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

#endif /* _POTAD_SHIM_LINUX_SLAB_H */
