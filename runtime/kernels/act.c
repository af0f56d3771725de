/* SPDX-License-Identifier: Apache-2.0 */
/* act.c — the row loops of the activations that need more than a compare (Sigmoid, SiLU,
 * HardSigmoid, HardSwish): onnxbn_act16 at the level avx512, else one vectorised loop per kind. */
#include "kernels/act.h"

#include <string.h>

#include "kernels/clones.h"

/* Each loop is act1's expression for its kind (the same bits as act1). The kind is switched on
 * once, outside the loops, so each loop is plain and vectorises. */
ONNXBN_CLONE_BODY void act_c_body(const float *x, float *y, size_t n, int kind, float lo, float hi)
{
    switch (kind) {
    case 3:
        for (size_t i = 0; i < n; i++)
            y[i] = onnxbn_sigmoid1(x[i]);
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            const float v = x[i];
            y[i] = v * onnxbn_sigmoid1(v);
        }
        break;
    case 5:
        for (size_t i = 0; i < n; i++)
            y[i] = onnxbn_clamp01(lo * x[i] + hi);
        break;
    case 6:
        for (size_t i = 0; i < n; i++) {
            const float v = x[i];
            y[i] = v * onnxbn_clamp01(lo * v + hi);
        }
        break;
    default: break;
    }
}
ONNXBN_CLONES(static, act_c, (const float *x, float *y, size_t n, int kind, float lo, float hi),
              (x, y, n, kind, lo, hi))

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ACT_X86 1
/* Whole vectors, then one masked vector for the rest (its other lanes never read or written). */
__attribute__((target("avx512f"))) static void act_512(const float *x, float *y, size_t n,
                                                       int kind, float lo, float hi)
{
    const __m512 lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, onnxbn_act16(_mm512_loadu_ps(x + i), kind, lov, hiv));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = onnxbn_act16(_mm512_maskz_loadu_ps(m, x + i), kind, lov, hiv);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}
#endif

void onnxbn_act_map(const float *x, float *y, size_t n, int kind, float lo, float hi)
{
    if (kind < ONNXBN_ACTK_EXT) { /* Relu, Clip, none: their inline loops */
        if (x != y)
            memmove(y, x, n * sizeof *y);
        onnxbn_act_row(y, n, kind, lo, hi);
        return;
    }
#ifdef ACT_X86
    if (onnxbn_isa() >= ONNXBN_ISA_AVX512) {
        act_512(x, y, n, kind, lo, hi);
        return;
    }
#endif
    act_c(x, y, n, kind, lo, hi);
}
