/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the scheduler, as far as kernel code calls it.
 * cond_resched() may sleep: under a spinlock, in an RCU read-side
 * critical section or in an RCU callback, that is reported.
 */
#ifndef _POTAD_SHIM_LINUX_SCHED_H
#define _POTAD_SHIM_LINUX_SCHED_H

#include <potad_shim.h>

#define cond_resched() ({						\
	potad_shim_might_sleep(__FILE__, __LINE__, "cond_resched()");	\
	0;								\
})

#endif /* _POTAD_SHIM_LINUX_SCHED_H */
