/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: "user" memory is ordinary memory here.
 */
#ifndef _POTAD_SHIM_LINUX_UACCESS_H
#define _POTAD_SHIM_LINUX_UACCESS_H

#include <string.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/slab.h>

static inline void *memdup_user_nul(const void __user *src, size_t len)
{
	char *p = kmalloc(len + 1, GFP_KERNEL);

	if (!p)
		return ERR_PTR(-ENOMEM);
	memcpy(p, src, len);
	p[len] = '\0';
	return p;
}

#endif /* _POTAD_SHIM_LINUX_UACCESS_H */
