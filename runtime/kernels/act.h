/* SPDX-License-Identifier: Apache-2.0 */
/* act.h — the activation a kernel applies in its epilogue (a Relu or Clip the planner fused into
 * Conv, Gemm or MatMul), in scalar, row and AVX-512 form, one definition for every kernel. */
#ifndef ONNXBN_KERNELS_ACT_H
#define ONNXBN_KERNELS_ACT_H

#include <stddef.h>

/* kind 1 is Relu, 2 Clip to [lo, hi], anything else none (op.h's onnxbn_act kinds). The
 * comparisons are the Relu and Clip kernels' own, so a fused activation gives the same bits as
 * the node it replaced: NaN stays NaN, and -0 becomes +0 under Relu. */
static inline float onnxbn_act1(float v, int kind, float lo, float hi)
{
    if (kind == 1)
        return v <= 0.0f ? 0.0f : v;
    if (kind == 2) {
        v = v < lo ? lo : v;
        return v > hi ? hi : v;
    }
    return v;
}

/* y = act(y) over n floats; the kind is tested once, outside the loops, so that they vectorise. */
static inline void onnxbn_act_row(float *y, size_t n, int kind, float lo, float hi)
{
    if (kind == 1) {
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] <= 0.0f ? 0.0f : y[i];
    } else if (kind == 2) {
        for (size_t i = 0; i < n; i++) {
            float v = y[i] < lo ? lo : y[i];
            y[i] = v > hi ? hi : v;
        }
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* 16 floats at once, for the AVX-512 kernels (callable only from code built for avx512f). */
static inline __attribute__((always_inline, target("avx512f"))) __m512
onnxbn_act16(__m512 v, int kind, __m512 lo, __m512 hi)
{
    if (kind == 1)
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
    if (kind == 2) {
        v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
        v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), hi);
    }
    return v;
}
#endif

#endif
