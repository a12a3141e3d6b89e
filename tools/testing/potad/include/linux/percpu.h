/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: per-cpu variables over POTAD_SHIM_NR_CPUS
 * copies.  A thread's "CPU" is potad_shim_cpu, which a test sets (each of
 * its threads on a CPU of its own, so per-cpu caches really are used by
 * several threads at once, under their locks); 0 by default.
 */
#ifndef _POTAD_SHIM_LINUX_PERCPU_H
#define _POTAD_SHIM_LINUX_PERCPU_H

#include <stdlib.h>

#define POTAD_SHIM_NR_CPUS	4

#ifndef __percpu
#define __percpu
#endif

extern __thread int potad_shim_cpu;

#define alloc_percpu(type)						\
	((type *)calloc(POTAD_SHIM_NR_CPUS, sizeof(type)))
#define free_percpu(ptr)	free(ptr)
#define per_cpu_ptr(ptr, cpu)	(&(ptr)[(cpu)])
#define raw_cpu_ptr(ptr)	per_cpu_ptr(ptr, potad_shim_cpu)
/* Variadic only to name the one argument, the loop's int variable. */
#define for_each_possible_cpu(...)					\
	for (__VA_ARGS__ = 0; (__VA_ARGS__) < POTAD_SHIM_NR_CPUS;	\
	     (__VA_ARGS__)++)

#endif /* _POTAD_SHIM_LINUX_PERCPU_H */
