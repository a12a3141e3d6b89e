/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: tools/include's <asm/barrier.h>, plus the
 * kernel's barriers it lacks, as asm-generic defines them for x86 (where
 * atomic read-modify-write operations are full barriers).
 */
#ifndef _POTAD_SHIM_ASM_BARRIER_H
#define _POTAD_SHIM_ASM_BARRIER_H

#include_next <asm/barrier.h>

#ifndef smp_acquire__after_ctrl_dep
/* A control dependency plus a read barrier orders later loads too. */
#define smp_acquire__after_ctrl_dep()	smp_rmb()
#endif
#ifndef smp_mb__before_atomic
/* x86 atomics are full barriers: only the compiler must be told. */
#define smp_mb__before_atomic()		barrier()
#endif
#ifndef smp_mb__after_atomic
/* As smp_mb__before_atomic(). */
#define smp_mb__after_atomic()		barrier()
#endif

#endif /* _POTAD_SHIM_ASM_BARRIER_H */
