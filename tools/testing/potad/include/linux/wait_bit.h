/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: wait_var_event() polls its condition (with the
 * might_sleep() check of the kernel's version); wake_up_var() has nothing
 * to wake.
 */
#ifndef _POTAD_SHIM_LINUX_WAIT_BIT_H
#define _POTAD_SHIM_LINUX_WAIT_BIT_H

#include <sched.h>
#include <linux/kernel.h>

#define wait_var_event(var, condition) do {				\
	(void)(var);							\
	might_sleep();							\
	while (!(condition))						\
		sched_yield();						\
} while (0)

static inline void wake_up_var(void *var)
{
}

#endif /* _POTAD_SHIM_LINUX_WAIT_BIT_H */
