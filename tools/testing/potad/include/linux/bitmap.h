/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: tools/include's <linux/bitmap.h>, with the
 * kernel's bitmap_zalloc() and bitmap_free(), which go through the slab
 * shim (tools/include's take no gfp_t and use calloc() and free()), and
 * the few kernel bitmap helpers tools/include lacks.
 */
#ifndef _POTAD_SHIM_LINUX_BITMAP_H
#define _POTAD_SHIM_LINUX_BITMAP_H

#define bitmap_zalloc	tools_bitmap_zalloc
#define bitmap_free	tools_bitmap_free
#include_next <linux/bitmap.h>
#undef bitmap_zalloc
#undef bitmap_free

#include <linux/gfp.h>
#include <linux/slab.h>

static inline unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t flags)
{
	return kcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), flags);
}

static inline void bitmap_free(const unsigned long *bitmap)
{
	kfree(bitmap);
}

static inline void bitmap_set(unsigned long *map, unsigned int start,
			      unsigned int nbits)
{
	unsigned int i;

	for (i = 0; i < nbits; i++)
		__set_bit(start + i, map);
}

/*
 * The next range [*b, *e) of clear bits of @addr at or after *e (at or
 * after 0 on the first call, with *first true); false when there is none.
 */
static inline bool potad_shim_next_clear_range(const unsigned long *addr,
					       unsigned long size,
					       unsigned long *b,
					       unsigned long *e, bool *first)
{
	unsigned long from = *first ? 0 : *e;

	*first = false;
	if (from >= size)
		return false;
	*b = find_next_zero_bit(addr, size, from);
	if (*b >= size)
		return false;
	*e = find_next_bit(addr, size, *b + 1);
	return true;
}

/* Like the kernel's, for unsigned long @b and @e. */
#define for_each_clear_bitrange(b, e, addr, size)			\
	for (bool __potad_first = true;					\
	     potad_shim_next_clear_range(addr, size, &(b), &(e),	\
					 &__potad_first);)

#endif /* _POTAD_SHIM_LINUX_BITMAP_H */
