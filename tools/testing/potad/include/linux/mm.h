/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: POTAD never touches memory, so <linux/mm.h> is
 * only the headers it brings in (tools/include's needs mmzone.h) and the
 * x86-64 page size.
 */
#ifndef _POTAD_SHIM_LINUX_MM_H
#define _POTAD_SHIM_LINUX_MM_H

#include <linux/bits.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	BIT(PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/pfn.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>

#endif /* _POTAD_SHIM_LINUX_MM_H */
