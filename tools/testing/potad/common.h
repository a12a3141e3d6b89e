/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: helpers shared by potad_test and potad_bench.
 */
#ifndef _POTAD_HARNESS_COMMON_H
#define _POTAD_HARNESS_COMMON_H

#include <stdint.h>
#include <time.h>

/* splitmix64: small, fast, and good enough for test generation. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((__uint128_t)rng_next(r) * n) >> 64);
}

/* True with probability pct / 100. */
static inline int rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* _POTAD_HARNESS_COMMON_H */
