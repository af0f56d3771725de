/* SPDX-License-Identifier: Apache-2.0 */
/* act.h — the activation a kernel applies in its epilogue (a Relu, Clip, Sigmoid, SiLU, HardSigmoid
 * or HardSwish the planner fused into Conv, Gemm or MatMul), in scalar, row and AVX-512 form. */
#ifndef ONNXBN_KERNELS_ACT_H
#define ONNXBN_KERNELS_ACT_H

#include <stddef.h>

#include "kernels/vmath.h"

/* The kinds (op.h's onnxbn_act names them): 1 Relu, 2 Clip to [lo, hi], 3 Sigmoid, 4 SiLU
 * x·sigmoid(x), 5 HardSigmoid max(0, min(1, lo·x + hi)) (lo = alpha, hi = beta), 6 HardSwish
 * x·max(0, min(1, lo·x + hi)) (1/6 and 1/2 for the HardSwish node, the gate's alpha and beta for
 * x·HardSigmoid(x)); anything else none. Each is computed exactly as the node it replaces
 * computes it (the Relu and Clip kernels' comparisons, kernels/unary.c's Sigmoid, HardSigmoid and
 * HardSwish expressions, the SiLU kernel's product), operation for operation, so a fused
 * activation gives the same bits as the nodes run apart: NaN stays NaN, -0 becomes +0 under Relu.
 * At the level avx512 the Sigmoid of every path, fused or not, is onnxbn_sigmoid16 below (faster,
 * other bits, the same bound); the scalar and row forms here are the other levels' (and the
 * portable kernels'). */
enum { ONNXBN_ACTK_EXT = 3 }; /* the first kind act_row hands to the out-of-line loops */

static inline float onnxbn_sigmoid1(float v)
{
    /* e^-|x| never overflows, and x < 0 gives e/(1 + e) */
    const float e = onnxbn_vexpf(v < 0 ? v : -v), r = 1.0f / (1.0f + e);
    return v >= 0 ? r : e * r;
}

/* max(0, min(1, t)) with NaN passing through */
static inline float onnxbn_clamp01(float t)
{
    t = t < 0 ? 0.0f : t;
    return t > 1 ? 1.0f : t;
}

static inline float onnxbn_act1(float v, int kind, float lo, float hi)
{
    switch (kind) {
    case 1: return v <= 0.0f ? 0.0f : v;
    case 2:
        v = v < lo ? lo : v;
        return v > hi ? hi : v;
    case 3: return onnxbn_sigmoid1(v);
    case 4: return v * onnxbn_sigmoid1(v);
    case 5: return onnxbn_clamp01(lo * v + hi);
    case 6: return v * onnxbn_clamp01(lo * v + hi);
    default: return v;
    }
}

/* y = act(x) over n floats (y may be x), for the kinds from ONNXBN_ACTK_EXT on (kernels/act.c):
 * onnxbn_act16 at the level avx512, else one loop per kind and level, vectorised (the inline
 * scalar form would stay scalar in callers that are not built per ISA). The Sigmoid and SiLU
 * nodes run it too (kernels/unary.c), so a fused activation and its node agree. */
void onnxbn_act_map(const float *x, float *y, size_t n, int kind, float lo, float hi);

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
    } else if (kind >= ONNXBN_ACTK_EXT) {
        onnxbn_act_map(y, y, n, kind, lo, hi);
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define ONNXBN_ACT512 static inline __attribute__((always_inline, target("avx512f")))

/* sigmoid on 16 lanes, within 3 ulp of the exact value for every float (the exhaustive run measured
 * 2.78; tests/unit/test_act.c sweeps every 97th float): e = e^-|x| as in vmath.h (x = n·ln2 + r,
 * the Taylor polynomial to r^7) but with fused multiply-adds and the 2^n by vscalefps, which also
 * makes the subnormal results; 1/(1 + e) by the 14-bit reciprocal and one Newton step (2^-28)
 * instead of a division, whose 16-lane form costs more than all the rest. NaN stays NaN (every
 * step takes it through: maxps gives its second operand). Not the bits of the portable loop:
 * every Sigmoid and SiLU at the level avx512, fused or not, runs this one, so they agree. */
ONNXBN_ACT512 __m512 onnxbn_sigmoid16(__m512 v)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 a = _mm512_castsi512_ps( /* -|v| */
        _mm512_or_si512(_mm512_castps_si512(v), _mm512_set1_epi32((int)0x80000000u)));
    const __m512 c = _mm512_max_ps(_mm512_set1_ps(-104.0f), a); /* e^-104 is below every float */
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, one);
    p = _mm512_fmadd_ps(p, r, one);
    const __m512 e = _mm512_scalef_ps(p, n), d = _mm512_add_ps(one, e);
    const __m512 r0 = _mm512_rcp14_ps(d);
    const __m512 q = _mm512_fmadd_ps(r0, _mm512_fnmadd_ps(d, r0, one), r0);
    /* x >= 0: 1/(1 + e); x < 0: e/(1 + e) */
    const __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_mask_mov_ps(_mm512_mul_ps(e, q), pos, q);
}

/* maxps(0, t) is 0 > t ? 0 : t and minps(1, t) is 1 < t ? 1 : t: NaN passes, as onnxbn_clamp01 */
ONNXBN_ACT512 __m512 onnxbn_clamp01_16(__m512 t)
{
    return _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(_mm512_setzero_ps(), t));
}

/* 16 floats at once, for the AVX-512 kernels (callable only from code built for avx512f). */
ONNXBN_ACT512 __m512 onnxbn_act16(__m512 v, int kind, __m512 lo, __m512 hi)
{
    switch (kind) {
    case 1:
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
    case 2:
        v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
        return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), hi);
    case 3: return onnxbn_sigmoid16(v);
    case 4: return _mm512_mul_ps(v, onnxbn_sigmoid16(v));
    case 5: return onnxbn_clamp01_16(_mm512_add_ps(_mm512_mul_ps(lo, v), hi));
    case 6:
        return _mm512_mul_ps(v, onnxbn_clamp01_16(_mm512_add_ps(_mm512_mul_ps(lo, v), hi)));
    default: return v;
    }
}
#endif

#endif
