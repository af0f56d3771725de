/* SPDX-License-Identifier: Apache-2.0 */
/* vmath.h — exp, erf and tanh for float written without branches or calls, so that a loop calling
 * them vectorises (inside ONNXBN_CLONES); libm's expf/erff/tanhf are calls no vectoriser widens. */
#ifndef ONNXBN_KERNELS_VMATH_H
#define ONNXBN_KERNELS_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define ONNXBN_VM_INLINE static inline __attribute__((always_inline))
#else
#define ONNXBN_VM_INLINE static inline
#endif

/* e^x within 1.5 ulp of the exact value (a run over every float against exp in double measured
 * 1.22 ulp at most; tests/unit/test_vmath.c sweeps every 97th float): x = n·ln2 + r with
 * |r| <= ln2/2 (ln2 in two parts, so r is exact to float precision), e^r by its Taylor polynomial to r^7 (truncation below 6e-9
 * relative), times 2^n made in the exponent bits. Below -87.3 (where 2^n would need a
 * subnormal) the result is 0; the exact value there is under 1.2e-38. Above 88.72 it is +inf;
 * NaN stays NaN. The bounds here hold with and without FMA contraction (gcc in -std=c11 contracts
 * nothing, clang contracts within an expression): measured both ways. */
ONNXBN_VM_INLINE float onnxbn_vexpf(float x)
{
    const float hi = 88.72283935546875f, lo = -87.33654f;
    /* a NaN goes on as hi (every compare with it is false), so that the conversion to int below
     * always has a value in range; the NaN itself is given back at the end */
    float c = x < hi ? x : hi;
    c = c > lo ? c : lo;
    /* round to nearest by the 1.5·2^23 trick: vectorises on every level, unlike rintf at SSE2 */
    const float shift = 12582912.0f;
    float n = (c * 1.44269504088896341f + shift) - shift;
    float r = c - n * 0.693359375f; /* ln2's first 10 bits: n·that is exact */
    r = r - n * -2.12194440e-4f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* n in [-126, 128]; 128 (only near the top of the clamp) is made as 2^127 · 2, so that the
     * exponent field stays that of a normal float */
    int32_t ni = (int32_t)n;
    const float two = ni > 127 ? 2.0f : 1.0f;
    ni = ni > 127 ? 127 : ni;
    int32_t bits = (ni + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    float y = p * s * two;
    y = x > hi ? (float)INFINITY : y;
    y = x < lo ? 0.0f : y;
    return x != x ? x : y;
}

/* erf(x) within 3 ulp (every float: 2.76 at most) for |x| < 0.921875, within 7e-8 absolute
 * beyond (every float: 6.3e-8; erf >= 0.8 there, ulp 6e-8): near 0, x·P(x²); beyond, 1 − e^Q(|x|) with Q a polynomial
 * for ln erfc on [0.921875, 4] (least-squares fits to mpmath's values, 4.5e-10 relative and 1e-8
 * absolute in ln). Both are computed and one is selected, so the loop has no branch. Past 4, erf
 * is 1 in float. */
ONNXBN_VM_INLINE float onnxbn_verff(float x)
{
    const float a = x < 0 ? -x : x;
    const float u = x * x;
    float s = 8.392699155624095e-05f;
    s = s * u + -0.0008148509042950272f;
    s = s * u + 0.005201592364962332f;
    s = s * u + -0.026859647922019166f;
    s = s * u + 0.11283700542254685f;
    s = s * u + -0.3761263411064236f;
    s = s * u + 1.1283791666833833f;
    s = s * x;
    const float t = (a > 4.0f ? 4.0f : a) - 0.921875f;
    float q = -3.9898592936023924e-08f;
    q = q * t + 2.1657435900863874e-06f;
    q = q * t + -3.686401161475707e-05f;
    q = q * t + 0.0003468365831483412f;
    q = q * t + -0.0022221262969096983f;
    q = q * t + 0.010922123289232064f;
    q = q * t + -0.04485861518934002f;
    q = q * t + -0.832980938315251f;
    q = q * t + -2.50801324331551f;
    q = q * t + -1.6485618833921263f;
    float l = 1.0f - onnxbn_vexpf(q);
    l = x < 0 ? -l : l;
    const float y = a < 0.921875f ? s : l;
    return x != x ? x : y;
}

/* tanh(x) within 2 ulp (every third float: 1.57 at most): below 0.625 in magnitude x + x³·P(x²) (a
 * least-squares fit, 6e-10 relative), beyond (1 − e)/(1 + e) with e = e^(−2|x|) < 0.29, where the
 * subtraction loses nothing; both computed and one selected, as in erf. */
ONNXBN_VM_INLINE float onnxbn_vtanhf(float x)
{
    const float a = x < 0 ? -x : x;
    const float u = a * a;
    float p = 0.0022958424984604094f;
    p = p * u + -0.008346985789015715f;
    p = p * u + 0.02176996453504561f;
    p = p * u + -0.05395940679144004f;
    p = p * u + 0.1333330428586874f;
    p = p * u + -0.33333333178042945f;
    p = a + a * u * p;
    const float e = onnxbn_vexpf(-2.0f * a);
    const float l = (1.0f - e) / (1.0f + e);
    const float y = copysignf(a < 0.625f ? p : l, x); /* on |x|, then the sign: tanh(-0) is -0 */
    return x != x ? x : y;
}

#endif
