/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: WARN*() evaluate the condition once, return it,
 * and when it is true bump potad_warn_count and print "WARN: ..." on
 * stderr (unless quieted).  The *_ONCE() variants warn every time here, so
 * that each test can check for its own warning.
 */
#ifndef _POTAD_SHIM_LINUX_BUG_H
#define _POTAD_SHIM_LINUX_BUG_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <potad_shim.h>

#define WARN(condition, format...) ({					\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		potad_shim_warn(__FILE__, __LINE__, __func__, format);	\
	unlikely(__ret_warn_on);					\
})

#define WARN_ON(condition) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		potad_shim_warn(__FILE__, __LINE__, __func__,		\
				"WARN_ON(%s)", #condition);		\
	unlikely(__ret_warn_on);					\
})

#define WARN_ONCE(condition, format...)	WARN(condition, format)
#define WARN_ON_ONCE(condition)		WARN_ON(condition)

#endif /* _POTAD_SHIM_LINUX_BUG_H */
