/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the kernel's <linux/limits.h> is the uapi one
 * (glibc's <limits.h> includes it too) plus the kernel's own limits.
 */
#ifndef _POTAD_SHIM_LINUX_LIMITS_H
#define _POTAD_SHIM_LINUX_LIMITS_H

#include_next <linux/limits.h>
#include <limits.h>

#define PHYS_ADDR_MAX	(~(phys_addr_t)0)

#endif /* _POTAD_SHIM_LINUX_LIMITS_H */
