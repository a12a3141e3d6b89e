/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the kernel's might_alloc(), which the XArray's
 * inline functions (xa_store() ...) call; tools/include's does nothing.
 * As in the kernel, an allocation that may block may sleep, and the
 * shim reports sleeping under a spinlock, in an RCU read-side critical
 * section or in an RCU callback (see might_sleep() in linux/kernel.h).
 * There is no fs_reclaim lockdep map to take here.
 */
#ifndef _POTAD_SHIM_LINUX_SCHED_MM_H
#define _POTAD_SHIM_LINUX_SCHED_MM_H

#include <linux/gfp.h>
#include <linux/kernel.h>

#define might_alloc(gfp) do {						\
	if (gfpflags_allow_blocking(gfp))				\
		might_sleep();						\
} while (0)

#endif /* _POTAD_SHIM_LINUX_SCHED_MM_H */
