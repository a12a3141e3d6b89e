/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: lockdep assertions that really check, on the
 * shim spinlocks and mutexes (both embed a struct potad_shim_lock).
 *
 * Both also end with a struct lockdep_map dep_map, which takes no space
 * (as in a !CONFIG_LOCKDEP kernel) and only names the lock: lock_is_held()
 * on &lock->dep_map and lockdep_is_held(lock) check that the calling
 * thread holds it, as lockdep does (the shim lock precedes dep_map).
 * That is what the maple tree records with mt_set_external_lock() (see
 * linux/maple_tree.h).
 */
#ifndef _POTAD_SHIM_LINUX_LOCKDEP_H
#define _POTAD_SHIM_LINUX_LOCKDEP_H

#include <stdbool.h>
#include <potad_shim.h>

struct lockdep_map { };

#define SINGLE_DEPTH_NESTING	1

/*
 * True if the calling thread holds the lock of @map: the shim lock before
 * it, or, for RCU's maps (linux/rcupdate.h), if it is in a read-side
 * critical section (rcu_lock_map) or in an RCU callback
 * (rcu_callback_map).
 */
bool lock_is_held(const struct lockdep_map *map);

/* Read-held does not exist here: held is held. */
static inline bool lock_is_held_type(const struct lockdep_map *map, int read)
{
	return lock_is_held(map);
}

#define lockdep_is_held(lock)		lock_is_held(&(lock)->dep_map)

#define lockdep_assert_held(l)						\
	potad_shim_lockdep_assert(&(l)->shim, true, #l, __FILE__, __LINE__)
#define lockdep_assert_not_held(l)					\
	potad_shim_lockdep_assert(&(l)->shim, false, #l, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_LOCKDEP_H */
