/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: there is no direct map; __va() only has to
 * compile (potad_desc_virt() is for zone instances, which the harness
 * does not have).
 */
#ifndef _POTAD_SHIM_ASM_PAGE_H
#define _POTAD_SHIM_ASM_PAGE_H

#define __va(x)		((void *)(unsigned long)(x))

#endif /* _POTAD_SHIM_ASM_PAGE_H */
