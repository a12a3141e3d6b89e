/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the harness injects faults through its slab
 * shim (potad_fail_alloc_after), not through CONFIG_POTAD_FAULT_INJECTION,
 * which it never defines; nothing of the kernel's header is needed.
 */
#ifndef _POTAD_SHIM_LINUX_FAULT_INJECT_H
#define _POTAD_SHIM_LINUX_FAULT_INJECT_H
#endif
