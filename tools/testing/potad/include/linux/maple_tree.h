/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the kernel's <linux/maple_tree.h>, over the
 * harness's spinlocks, RCU and atomics, so that struct maple_tree has the
 * same layout in every file of the harness, lib/maple_tree.c (maple.c)
 * included.
 *
 * The header is read with CONFIG_LOCKDEP defined, as in the guest kernel
 * (CONFIG_PROVE_LOCKING): mt_set_external_lock(mt, lock) then records
 * &lock->dep_map, and mt_lock_is_held()/mt_write_lock_is_held() check
 * that the calling thread holds that lock (see linux/lockdep.h), which
 * the maple tree's rcu_dereference_check()s rely on with CONFIG_PROVE_RCU
 * (the test build).  CONFIG_LOCKDEP is defined for this header only.
 */
#ifndef _POTAD_SHIM_LINUX_MAPLE_TREE_H
#define _POTAD_SHIM_LINUX_MAPLE_TREE_H

#include <string.h>		/* memset() in MA_STATE() */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#ifdef CONFIG_LOCKDEP
#include "../../../../../include/linux/maple_tree.h"
#else
#define CONFIG_LOCKDEP 1
#include "../../../../../include/linux/maple_tree.h"
#undef CONFIG_LOCKDEP
#endif

#endif /* _POTAD_SHIM_LINUX_MAPLE_TREE_H */
