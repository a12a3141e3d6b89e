/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: mutexes are pthread mutexes that know their
 * owner (see struct potad_shim_lock); taking one under a spinlock is
 * reported as sleeping in atomic context.
 */
#ifndef _POTAD_SHIM_LINUX_MUTEX_H
#define _POTAD_SHIM_LINUX_MUTEX_H

#include <stddef.h>
#include <linux/build_bug.h>
#include <linux/lockdep.h>
#include <potad_shim.h>

#define POTAD_MUTEX_MAGIC	0x3a7e10c4U

struct mutex {
	struct potad_shim_lock shim;
	struct lockdep_map dep_map;	/* no space: see linux/lockdep.h */
};

static_assert(offsetof(struct mutex, dep_map) ==
	      sizeof(struct potad_shim_lock), "dep_map follows shim");

#define DEFINE_MUTEX(mutexname)						\
	struct mutex mutexname = {					\
		.shim = POTAD_SHIM_LOCK_INIT(POTAD_MUTEX_MAGIC),	\
	}

void mutex_init(struct mutex *lock);
void potad_shim_mutex_lock(struct mutex *lock, const char *file, int line);
void potad_shim_mutex_unlock(struct mutex *lock, const char *file, int line);

#define mutex_lock(lock)	potad_shim_mutex_lock(lock, __FILE__, __LINE__)
#define mutex_unlock(lock)						\
	potad_shim_mutex_unlock(lock, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_MUTEX_H */
