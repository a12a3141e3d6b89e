/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: spinlocks are pthread mutexes that know their
 * owner (see struct potad_shim_lock), so that lockdep_assert_held(),
 * recursion, unlocking a lock not held and sleeping under a spinlock are
 * caught.  Interrupts don't exist: the irqsave flags are always 0.
 */
#ifndef _POTAD_SHIM_LINUX_SPINLOCK_H
#define _POTAD_SHIM_LINUX_SPINLOCK_H

#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <potad_shim.h>

struct spinlock {
	struct potad_shim_lock shim;
};

#define spinlock_t struct spinlock

void spin_lock_init(spinlock_t *lock);
unsigned long potad_shim_spin_lock(spinlock_t *lock, const char *file,
				   int line);
void potad_shim_spin_unlock(spinlock_t *lock, unsigned long flags,
			    const char *file, int line);

#define spin_lock(lock)							\
	((void)potad_shim_spin_lock(lock, __FILE__, __LINE__))
#define spin_unlock(lock)						\
	potad_shim_spin_unlock(lock, 0, __FILE__, __LINE__)
#define spin_lock_irqsave(lock, flags)					\
	((flags) = potad_shim_spin_lock(lock, __FILE__, __LINE__))
#define spin_unlock_irqrestore(lock, flags)				\
	potad_shim_spin_unlock(lock, flags, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_SPINLOCK_H */
