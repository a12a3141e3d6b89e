/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: lockdep assertions that really check, on the
 * shim spinlocks and mutexes (both embed a struct potad_shim_lock).
 */
#ifndef _POTAD_SHIM_LINUX_LOCKDEP_H
#define _POTAD_SHIM_LINUX_LOCKDEP_H

#include <potad_shim.h>

#define lockdep_assert_held(l)						\
	potad_shim_lockdep_assert(&(l)->shim, true, #l, __FILE__, __LINE__)
#define lockdep_assert_not_held(l)					\
	potad_shim_lockdep_assert(&(l)->shim, false, #l, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_LOCKDEP_H */
