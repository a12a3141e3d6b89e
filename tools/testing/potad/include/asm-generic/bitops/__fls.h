/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: __fls() in one instruction, as x86 has it,
 * instead of tools/include's generic C version.  __fls(0) is undefined in
 * the kernel: here it warns, so that a caller relying on it is caught.
 */
#ifndef _POTAD_SHIM_ASM_GENERIC_BITOPS___FLS_H
#define _POTAD_SHIM_ASM_GENERIC_BITOPS___FLS_H

#include <linux/bug.h>

static __always_inline unsigned long __fls(unsigned long word)
{
	if (WARN(!word, "%s(0) is undefined", __func__))
		return 0;
	return 8 * sizeof(word) - 1 - __builtin_clzl(word);
}

#endif /* _POTAD_SHIM_ASM_GENERIC_BITOPS___FLS_H */
