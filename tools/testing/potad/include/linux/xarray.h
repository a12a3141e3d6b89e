/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the kernel's <linux/xarray.h>, over the
 * harness's spinlocks, RCU, lockdep and slab, so that struct xarray has
 * the same layout in every file of the harness, lib/xarray.c (xarray.c)
 * included, and xa_init(), xa_store(), xa_load(), xa_erase(),
 * xa_destroy() ... work anywhere, besides the entry encoding
 * (xa_mk_value() ...) the maple tree and mm/potad*.c use.
 *
 * XA_CHUNK_SHIFT is the kernel's (6: CONFIG_BASE_SMALL is off in the
 * guest), not the 3 of tools/testing/radix-tree, so that the benchmark
 * times the kernel's node layout; CONFIG_XARRAY_MULTI is on, as in the
 * guest (CONFIG_TRANSPARENT_HUGEPAGE selects it; see the Makefile).  The
 * test build defines XA_DEBUG: XA_BUG_ON() and XA_NODE_BUG_ON() check,
 * dump and BUG().
 */
#ifndef _POTAD_SHIM_LINUX_XARRAY_H
#define _POTAD_SHIM_LINUX_XARRAY_H

#include <linux/bitmap.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "../../../../../include/linux/xarray.h"

#endif /* _POTAD_SHIM_LINUX_XARRAY_H */
