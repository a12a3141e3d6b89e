/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: __ffs() in one instruction, as x86 has it,
 * instead of tools/include's generic C version.  __ffs(0) is undefined in
 * the kernel: here it warns, so that a caller relying on it is caught.
 */
#ifndef _POTAD_SHIM_ASM_GENERIC_BITOPS___FFS_H
#define _POTAD_SHIM_ASM_GENERIC_BITOPS___FFS_H

#include <linux/bug.h>

static __always_inline unsigned long __ffs(unsigned long word)
{
	if (WARN(!word, "%s(0) is undefined", __func__))
		return 8 * sizeof(word) - 1;
	return __builtin_ctzl(word);
}

#endif /* _POTAD_SHIM_ASM_GENERIC_BITOPS___FFS_H */
