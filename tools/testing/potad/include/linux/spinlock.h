/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: spinlocks are pthread mutexes that know their
 * owner (see struct potad_shim_lock), so that lockdep_assert_held(),
 * recursion, unlocking a lock not held and sleeping under a spinlock are
 * caught.  Interrupts don't exist: the irqsave flags are always 0.
 */
#ifndef _POTAD_SHIM_LINUX_SPINLOCK_H
#define _POTAD_SHIM_LINUX_SPINLOCK_H

#include <stddef.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <potad_shim.h>

#define POTAD_SPINLOCK_MAGIC	0x5b1a10c4U

struct spinlock {
	struct potad_shim_lock shim;
	struct lockdep_map dep_map;	/* no space: see linux/lockdep.h */
};

static_assert(offsetof(struct spinlock, dep_map) ==
	      sizeof(struct potad_shim_lock), "dep_map follows shim");

#define spinlock_t struct spinlock

/* (No __SPIN_LOCK_UNLOCKED(), so no MTREE_INIT(): use mt_init_flags().) */
#define DEFINE_SPINLOCK(x)						\
	spinlock_t x = { .shim = POTAD_SHIM_LOCK_INIT(POTAD_SPINLOCK_MAGIC) }

void spin_lock_init(spinlock_t *lock);
unsigned long potad_shim_spin_lock(spinlock_t *lock, const char *file,
				   int line);
void potad_shim_spin_unlock(spinlock_t *lock, unsigned long flags,
			    const char *file, int line);

#define spin_lock(lock)							\
	((void)potad_shim_spin_lock(lock, __FILE__, __LINE__))
/* Lockdep subclasses don't matter here. */
#define spin_lock_nested(lock, subclass)				\
	((void)(subclass), spin_lock(lock))
#define spin_unlock(lock)						\
	potad_shim_spin_unlock(lock, 0, __FILE__, __LINE__)
#define spin_lock_irqsave(lock, flags)					\
	((flags) = potad_shim_spin_lock(lock, __FILE__, __LINE__))
#define spin_unlock_irqrestore(lock, flags)				\
	potad_shim_spin_unlock(lock, flags, __FILE__, __LINE__)
/*
 * Nor do softirqs: the _bh and _irq variants (the XArray's xa_lock_bh()
 * and xa_lock_irq(), for XA_FLAGS_LOCK_BH and XA_FLAGS_LOCK_IRQ arrays)
 * are the plain ones.
 */
#define spin_lock_bh(lock)		spin_lock(lock)
#define spin_unlock_bh(lock)		spin_unlock(lock)
#define spin_lock_irq(lock)		spin_lock(lock)
#define spin_unlock_irq(lock)		spin_unlock(lock)

#endif /* _POTAD_SHIM_LINUX_SPINLOCK_H */
