/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the maple tree's tracepoints do nothing (their
 * arguments are not evaluated).
 */
#ifndef _POTAD_SHIM_TRACE_EVENTS_MAPLE_TREE_H
#define _POTAD_SHIM_TRACE_EVENTS_MAPLE_TREE_H

/* trace_ma_op(fn, mas), trace_ma_read(fn, mas), trace_ma_write(fn, mas, piv, val) */
#define trace_ma_op(...)	do { } while (0)
#define trace_ma_read(...)	do { } while (0)
#define trace_ma_write(...)	do { } while (0)

#endif /* _POTAD_SHIM_TRACE_EVENTS_MAPLE_TREE_H */
