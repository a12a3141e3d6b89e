/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: tools/include's <linux/kernel.h>, with the
 * harness's WARN*(), printk and might_sleep() checking, and the headers
 * the kernel's <linux/kernel.h> brings in.
 */
#ifndef _POTAD_SHIM_LINUX_KERNEL_H
#define _POTAD_SHIM_LINUX_KERNEL_H

#include <stdio.h>		/* sscanf() and friends */
#include <linux/bug.h>
#include_next <linux/kernel.h>
#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <potad_shim.h>

/* Sleeping is not allowed under a spinlock: the shim checks it. */
#define might_sleep()							\
	potad_shim_might_sleep(__FILE__, __LINE__, "might_sleep()")
#define might_sleep_if(cond)						\
	do {								\
		if (cond)						\
			might_sleep();					\
	} while (0)

#ifndef data_race
/* KCSAN's marker of an intended racy access: nothing to do here. */
#define data_race(expr)	(expr)
#endif

#endif /* _POTAD_SHIM_LINUX_KERNEL_H */
