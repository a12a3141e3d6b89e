/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: printk to stderr, filtered by the level of the
 * message (potad_printk_level, env POTAD_PRINTK).
 */
#ifndef _POTAD_SHIM_LINUX_PRINTK_H
#define _POTAD_SHIM_LINUX_PRINTK_H

#include <potad_shim.h>

/*
 * The kernel's levels: tools/include's kern_levels.h has empty ones, and
 * the harness filters messages by level.
 */
#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
/* The level of the previous message of the thread. */
#define KERN_CONT	KERN_SOH "c"

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

#define pr_emerg(fmt, ...)						\
	potad_shim_printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...)						\
	potad_shim_printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)						\
	potad_shim_printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)						\
	potad_shim_printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)						\
	potad_shim_printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)						\
	potad_shim_printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)						\
	potad_shim_printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)						\
	potad_shim_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define __potad_pr_cont(fmt, ...)					\
	potad_shim_printk(KERN_CONT fmt, ##__VA_ARGS__)
#define pr_cont			__potad_pr_cont

/*
 * The kernel's debugging checks (the maple tree's MT_BUG_ON() and
 * MAS_WARN_ON() with CONFIG_DEBUG_MAPLE_TREE, ...) print and dump the
 * stack: here that counts as a warning.
 */
#define dump_stack()							\
	potad_shim_warn(__FILE__, __LINE__, __func__, "dump_stack()")

#endif /* _POTAD_SHIM_LINUX_PRINTK_H */
