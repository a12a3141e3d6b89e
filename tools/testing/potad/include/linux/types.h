/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: tools/include's <linux/types.h>, with the
 * kernel's u64, s64 and phys_addr_t: unsigned long long and long long on
 * every architecture, as printk's %llx and %llu expect (tools/include
 * makes them uint64_t and int64_t, which are long on x86-64).
 */
#ifndef _POTAD_SHIM_LINUX_TYPES_H
#define _POTAD_SHIM_LINUX_TYPES_H

#define u64		__potad_tools_u64
#define s64		__potad_tools_s64
#define phys_addr_t	__potad_tools_phys_addr_t
#include_next <linux/types.h>
#undef u64
#undef s64
#undef phys_addr_t

typedef __u64 u64;
typedef __s64 s64;
#ifdef CONFIG_PHYS_ADDR_T_64BIT
typedef u64 phys_addr_t;
#else
typedef u32 phys_addr_t;
#endif

#endif /* _POTAD_SHIM_LINUX_TYPES_H */
