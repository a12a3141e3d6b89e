/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: tools/include's <linux/init.h>, plus initcalls,
 * which a constructor registers and potad_shim_run_initcalls() runs in
 * level order, like the kernel (the test harness calls it at startup).
 */
#ifndef _POTAD_SHIM_LINUX_INIT_H
#define _POTAD_SHIM_LINUX_INIT_H

#include_next <linux/init.h>
#include <potad_shim.h>

#define THIS_MODULE	((struct module *)0)

#define __potad_initcall(fn, level)					\
	static void __attribute__((__constructor__)) fn ## _potad_register(void) \
	{								\
		potad_shim_register_initcall(level, fn, #fn);		\
	}

#define core_initcall(fn)		__potad_initcall(fn, 1)
#define subsys_initcall(fn)		__potad_initcall(fn, 4)
#define device_initcall(fn)		__potad_initcall(fn, 6)
#define late_initcall(fn)		__potad_initcall(fn, 7)

#endif /* _POTAD_SHIM_LINUX_INIT_H */
