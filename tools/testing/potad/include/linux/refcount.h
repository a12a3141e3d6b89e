/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: the kernel's refcount_t semantics (not
 * tools/include's, which BUG()s and lacks most of the API): the count
 * saturates at REFCOUNT_SATURATED on overflow, an increment from 0, an
 * underflow or a refcount_dec() to 0, and each of those warns (counted
 * like any WARN).  Decrements have release ordering, and a decrement to
 * 0 acquire ordering; the *_acquire() increments acquire ordering.
 */
#ifndef _POTAD_SHIM_LINUX_REFCOUNT_H
#define _POTAD_SHIM_LINUX_REFCOUNT_H

#include <limits.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct refcount_struct {
	atomic_t refs;
};

#define refcount_t struct refcount_struct

#define REFCOUNT_INIT(n)	{ .refs = { .counter = (n) }, }
#define REFCOUNT_MAX		INT_MAX
#define REFCOUNT_SATURATED	(INT_MIN / 2)

#define __potad_refcount_saturate(r, what) do {				\
	__atomic_store_n(&(r)->refs.counter, REFCOUNT_SATURATED,	\
			 __ATOMIC_RELAXED);				\
	WARN(1, "refcount_t: %s", what);				\
} while (0)

static inline void refcount_set(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs.counter, n, __ATOMIC_RELAXED);
}

static inline void refcount_set_release(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs.counter, n, __ATOMIC_RELEASE);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return __atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED);
}

static inline __must_check bool
__potad_refcount_add_not_zero(int i, refcount_t *r, int order)
{
	int old = __atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED);

	do {
		if (!old)
			break;
	} while (!__atomic_compare_exchange_n(&r->refs.counter, &old,
					      (int)((unsigned int)old + i),
					      false, order, __ATOMIC_RELAXED));
	if (unlikely(old < 0 || (int)((unsigned int)old + i) < 0))
		__potad_refcount_saturate(r, "saturated; leaking memory");
	return old;
}

static inline __must_check bool refcount_add_not_zero(int i, refcount_t *r)
{
	return __potad_refcount_add_not_zero(i, r, __ATOMIC_RELAXED);
}

static inline __must_check bool refcount_inc_not_zero(refcount_t *r)
{
	return __potad_refcount_add_not_zero(1, r, __ATOMIC_RELAXED);
}

static inline __must_check bool
refcount_add_not_zero_acquire(int i, refcount_t *r)
{
	return __potad_refcount_add_not_zero(i, r, __ATOMIC_ACQUIRE);
}

static inline __must_check bool refcount_inc_not_zero_acquire(refcount_t *r)
{
	return __potad_refcount_add_not_zero(1, r, __ATOMIC_ACQUIRE);
}

static inline void refcount_add(int i, refcount_t *r)
{
	int old = __atomic_fetch_add(&r->refs.counter, i, __ATOMIC_RELAXED);

	if (unlikely(!old))
		__potad_refcount_saturate(r, "addition on 0; use-after-free");
	else if (unlikely(old < 0 || (int)((unsigned int)old + i) < 0))
		__potad_refcount_saturate(r, "saturated; leaking memory");
}

static inline void refcount_inc(refcount_t *r)
{
	refcount_add(1, r);
}

static inline __must_check bool refcount_sub_and_test(int i, refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, i, __ATOMIC_RELEASE);

	if (old > 0 && old == i) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	if (unlikely(old <= 0 || (int)((unsigned int)old - i) < 0))
		__potad_refcount_saturate(r, "underflow; use-after-free");
	return false;
}

static inline __must_check bool refcount_dec_and_test(refcount_t *r)
{
	return refcount_sub_and_test(1, r);
}

static inline void refcount_dec(refcount_t *r)
{
	int old = __atomic_fetch_sub(&r->refs.counter, 1, __ATOMIC_RELEASE);

	if (unlikely(old <= 1))
		__potad_refcount_saturate(r, "decrement hit 0; leaking memory");
}

/* 1 -> 0, or nothing. */
static inline __must_check bool refcount_dec_if_one(refcount_t *r)
{
	int val = 1;

	return __atomic_compare_exchange_n(&r->refs.counter, &val, 0, false,
					   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* Decrement unless the count is 1 (or saturated); false if it was 1. */
static inline __must_check bool refcount_dec_not_one(refcount_t *r)
{
	int val = __atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED);

	do {
		if (unlikely(val == REFCOUNT_SATURATED))
			return true;
		if (val == 1)
			return false;
		if (unlikely(val - 1 < 0)) {
			__potad_refcount_saturate(r, "underflow; use-after-free");
			return true;
		}
	} while (!__atomic_compare_exchange_n(&r->refs.counter, &val, val - 1,
					      false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return true;
}

static inline __must_check bool
__potad_refcount_dec_and_lock(refcount_t *r, spinlock_t *lock,
			      const char *file, int line)
{
	if (refcount_dec_not_one(r))
		return false;
	potad_shim_spin_lock(lock, file, line);
	if (refcount_dec_and_test(r))
		return true;
	potad_shim_spin_unlock(lock, 0, file, line);
	return false;
}

/* Decrement; if that hits 0, return true with @lock held. */
#define refcount_dec_and_lock(r, lock)					\
	__potad_refcount_dec_and_lock(r, lock, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_REFCOUNT_H */
