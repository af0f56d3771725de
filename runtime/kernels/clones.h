/* SPDX-License-Identifier: Apache-2.0 */
/* clones.h — ONNXBN_CLONES builds a plain C loop that the compiler vectorises three times: for the
 * x86-64 baseline (SSE2, 4 lanes), AVX2 and AVX-512, called through one dispatcher by onnxbn_isa(). */
#ifndef ONNXBN_KERNELS_CLONES_H
#define ONNXBN_KERNELS_CLONES_H

#include "kernels/isa.h"

/* Usage, for a function returning void:
 *
 *     ONNXBN_CLONE_BODY void f_body(const float *x, size_t n) { ...loop... }
 *     ONNXBN_CLONES(static, f, (const float *x, size_t n), (x, n))
 *
 * defines `static void f(const float *x, size_t n)`. The body is always inlined into three copies
 * with __attribute__((target)), where the vectoriser runs with the wider registers; f picks one by
 * the level in force. This replaces GCC's target_clones, whose ifunc resolver runs at load, before
 * ONNXBN_ISA can be honoured (and, under ThreadSanitizer, before its runtime is up: the
 * instrumented resolver crashed at load). There is no ifunc here, so TSan builds take the same
 * paths as any other. The choice is one switch per call of a function that walks a whole row or
 * block, never per element. clang accepts the same attributes, so its builds get the copies too. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(ONNXBN_NO_CLONES)
#define ONNXBN_CLONE_BODY static inline __attribute__((always_inline))
#define ONNXBN_CLONES(storage, name, params, args)                                                 \
    __attribute__((target("avx512f,avx2,fma"))) static void name##_avx512 params                   \
    {                                                                                              \
        name##_body args;                                                                          \
    }                                                                                              \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; }       \
    static void name##_generic params { name##_body args; }                                        \
    storage void name params                                                                       \
    {                                                                                              \
        switch (onnxbn_isa()) {                                                                    \
        case ONNXBN_ISA_AVX512:                                                                    \
            name##_avx512 args;                                                                    \
            return;                                                                                \
        case ONNXBN_ISA_AVX2:                                                                      \
            name##_avx2 args;                                                                      \
            return;                                                                                \
        case ONNXBN_ISA_GENERIC:                                                                   \
            break;                                                                                 \
        }                                                                                          \
        name##_generic args;                                                                       \
    }
#else
#define ONNXBN_CLONE_BODY static inline
#define ONNXBN_CLONES(storage, name, params, args)                                                 \
    storage void name params { name##_body args; }
#endif

#endif
