/* SPDX-License-Identifier: GPL-2.0 */
/* POTAD userspace harness: tools/include has min() and max() in kernel.h. */
#ifndef _POTAD_SHIM_LINUX_MINMAX_H
#define _POTAD_SHIM_LINUX_MINMAX_H

#include <linux/kernel.h>

#endif /* _POTAD_SHIM_LINUX_MINMAX_H */
