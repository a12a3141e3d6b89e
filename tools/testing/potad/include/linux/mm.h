/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: POTAD never touches memory, so <linux/mm.h> is
 * only the headers it brings in (tools/include's needs mmzone.h).
 */
#ifndef _POTAD_SHIM_LINUX_MM_H
#define _POTAD_SHIM_LINUX_MM_H

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#endif /* _POTAD_SHIM_LINUX_MM_H */
