/* SPDX-License-Identifier: Apache-2.0 */
/* unary.c — one-input element-wise loops: math, activations, Clip, PRelu, IsNaN/IsInf. The op is
 * chosen once per call, so each loop is a plain unit-stride loop gcc can vectorise. */
#include "kernels/unary.h"

#include <string.h>
#include <tgmath.h>

#include "core.h"
#include "kernels/clones.h"
#include "kernels/act.h"
#include "kernels/vmath.h"

/* ---- float and double: one body, written once with <tgmath.h> names ----
 * gcc (under its default -ftrapping-math) turns a select into vector code only when no arithmetic
 * sits in either branch, and it sinks a product of a select into the branches; hence the shapes
 * of some expressions below. */

#define BLOCK 256 /* elements per stack buffer */

/* max(0, min(1, t)) with NaN passing through (compares are false for NaN). */
static inline float clamp01_f(float t)
{
    t = t < 0 ? 0.0f : t;
    return t > 1 ? 1.0f : t;
}
static inline double clamp01_d(double t)
{
    t = t < 0 ? 0.0 : t;
    return t > 1 ? 1.0 : t;
}

/* One exp, and no overflow for either sign: for x < 0, e^x / (1 + e^x). */
static inline float sigmoid_f(float v)
{
    float e = exp(-fabs(v)), r = 1.0f / (1.0f + e);
    return v >= 0 ? r : e * r;
}
static inline double sigmoid_d(double v)
{
    double e = exp(-fabs(v)), r = 1.0 / (1.0 + e);
    return v >= 0 ? r : e * r;
}

/* ln(1 + e^x) = x + ln(1 + e^-x): e^x never overflows, and large x give x itself. */
static inline float softplus_f(float v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }
static inline double softplus_d(double v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }

#define LOOP(expr)                                                                                 \
    for (size_t i = 0; i < n; i++) {                                                               \
        const elem v = x[i];                                                                       \
        y[i] = (expr);                                                                             \
    }                                                                                              \
    break

/* max(x, 0) and min(x, 0) in the forms gcc recognises (NaN passes through both). LeakyRelu is
 * their sum with the negative part scaled, as the ONNX reference computes it: the same as
 * "x < 0 ? a·x : x" for every finite a, and unlike that branch it vectorises. */
#define POS(v) ((v) <= 0 ? zero : (v))
#define NEG(v) ((v) >= 0 ? zero : (v))

/* Celu: for any nonzero a, a·(e^(x/a) − 1) has the sign of x, so max(0,x) + min(0, …) is one
 * branch. Elu/Selu/Celu use expm1: e^x − 1 without cancellation near 0. HardSwish runs in two
 * passes (the clamp, then the product), which vectorise where one fused loop does not. */
#define FLOAT_UNARY(STORE, NAME, T, S)                                                             \
    STORE void NAME(onnxbn_unop op, T a, T b, const T *x, T *y, size_t n)                          \
    {                                                                                              \
        typedef T elem; /* for LOOP */                                                             \
        const T sixth = (T)1 / 6, half = (T)0.5, one = 1, zero = 0;                                \
        switch (op) {                                                                              \
        case ONNXBN_UN_SQRT: LOOP(sqrt(v));                                                        \
        case ONNXBN_UN_EXP: LOOP(exp(v));                                                          \
        case ONNXBN_UN_LOG: LOOP(log(v));                                                          \
        case ONNXBN_UN_NEG: LOOP(-v);                                                              \
        case ONNXBN_UN_ABS: LOOP(fabs(v));                                                         \
        case ONNXBN_UN_RECIPROCAL: LOOP(one / v);                                                  \
        case ONNXBN_UN_FLOOR: LOOP(floor(v));                                                      \
        case ONNXBN_UN_CEIL: LOOP(ceil(v));                                                        \
        case ONNXBN_UN_ROUND: LOOP(rint(v)); /* the default rounding mode: halves to even */       \
        case ONNXBN_UN_SIGN: LOOP(v > 0 ? one : v < 0 ? -one : v == 0 ? zero : v);                 \
        case ONNXBN_UN_SIN: LOOP(sin(v));                                                          \
        case ONNXBN_UN_COS: LOOP(cos(v));                                                          \
        case ONNXBN_UN_TAN: LOOP(tan(v));                                                          \
        case ONNXBN_UN_ASIN: LOOP(asin(v));                                                        \
        case ONNXBN_UN_ACOS: LOOP(acos(v));                                                        \
        case ONNXBN_UN_ATAN: LOOP(atan(v));                                                        \
        case ONNXBN_UN_SINH: LOOP(sinh(v));                                                        \
        case ONNXBN_UN_COSH: LOOP(cosh(v));                                                        \
        case ONNXBN_UN_ASINH: LOOP(asinh(v));                                                      \
        case ONNXBN_UN_ACOSH: LOOP(acosh(v));                                                      \
        case ONNXBN_UN_ATANH: LOOP(atanh(v));                                                      \
        case ONNXBN_UN_ERF: LOOP(erf(v));                                                          \
        case ONNXBN_UN_SIGMOID: LOOP(sigmoid_##S(v));                                              \
        case ONNXBN_UN_TANH: LOOP(tanh(v));                                                        \
        case ONNXBN_UN_SOFTPLUS: LOOP(softplus_##S(v));                                            \
        case ONNXBN_UN_SOFTSIGN: LOOP(v / (one + fabs(v)));                                        \
        case ONNXBN_UN_HARDSWISH:                                                                  \
            for (size_t j = 0; j < n; j += BLOCK) {                                                \
                T t[BLOCK];                                                                        \
                size_t m = n - j < BLOCK ? n - j : BLOCK;                                          \
                for (size_t i = 0; i < m; i++)                                                     \
                    t[i] = clamp01_##S(x[j + i] * sixth + half);                                   \
                for (size_t i = 0; i < m; i++)                                                     \
                    y[j + i] = x[j + i] * t[i];                                                    \
            }                                                                                      \
            break;                                                                                 \
        case ONNXBN_UN_MISH: LOOP(v * tanh(softplus_##S(v)));                                      \
        case ONNXBN_UN_LEAKYRELU: LOOP(POS(v) + a * NEG(v));                                       \
        case ONNXBN_UN_HARDSIGMOID: LOOP(clamp01_##S(a * v + b));                                  \
        case ONNXBN_UN_ELU: LOOP(v < 0 ? a * expm1(v) : v);                                        \
        case ONNXBN_UN_SELU: LOOP(v <= 0 ? b * (a * expm1(v)) : b * v);                            \
        case ONNXBN_UN_CELU: LOOP(v > 0 ? v : a * expm1(v / a));                                   \
        case ONNXBN_UN_THRESHOLDEDRELU: LOOP(v > a ? v : zero);                                    \
        case ONNXBN_UN_SHRINK: LOOP(v < -a ? v + b : v > a ? v - b : zero);                        \
        case ONNXBN_UN_COUNT: break;                                                               \
        }                                                                                          \
    }

FLOAT_UNARY(static, unary_f32_libm, float, f)
FLOAT_UNARY(, onnxbn_unary_f64, double, d)

#undef LOOP
#undef POS
#undef NEG

/* Erf, Exp, Sigmoid and Tanh on float through vmath.h, one vectorised loop per ISA level: libm's
 * erff, expf and tanhf are calls, which kept these loops scalar (GELU's Erf was 16% of swin_t's
 * time and 45% of maxvit_t's; tanhf took 20 ns an element). Their errors are vmath.h's (within
 * 3 ulp); the other ops keep libm. */
ONNXBN_CLONE_BODY void erf_f32_body(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = onnxbn_verff(x[i]);
}
ONNXBN_CLONES(static, erf_f32, (const float *x, float *y, size_t n), (x, y, n))

ONNXBN_CLONE_BODY void exp_f32_body(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = onnxbn_vexpf(x[i]);
}
ONNXBN_CLONES(static, exp_f32, (const float *x, float *y, size_t n), (x, y, n))

ONNXBN_CLONE_BODY void tanh_f32_body(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = onnxbn_vtanhf(x[i]);
}
ONNXBN_CLONES(static, tanh_f32, (const float *x, float *y, size_t n), (x, y, n))

/* Sigmoid and SiLU on float are the fused activations' own loops (kernels/act.c), so a Sigmoid a
 * Conv took into its epilogue and one run as a node give the same bits at every ISA level. */
static void sigmoid_f32(const float *x, float *y, size_t n)
{
    onnxbn_act_map(x, y, n, 3, 0.0f, 0.0f);
}

void onnxbn_silu_f32(const float *x, float *y, size_t n)
{
    onnxbn_act_map(x, y, n, 4, 0.0f, 0.0f);
}

ONNXBN_CLONE_BODY void gelu_erf_f32_body(const float *x, float *y, size_t n, float c, float one,
                                         float half)
{
    for (size_t i = 0; i < n; i++) {
        const float v = x[i], d = v / c, e = onnxbn_verff(d), a = e + one, m = v * a;
        y[i] = m * half;
    }
}
ONNXBN_CLONES(static, gelu_erf_f32, (const float *x, float *y, size_t n, float c, float one, float half),
              (x, y, n, c, one, half))

void onnxbn_gelu_erf_f32(const float *x, float *y, size_t n, const float *k)
{
    gelu_erf_f32(x, y, n, k[0], k[1], k[2]);
}

void onnxbn_unary_f32(onnxbn_unop op, float a, float b, const float *x, float *y, size_t n)
{
    switch (op) {
    case ONNXBN_UN_ERF: erf_f32(x, y, n); return;
    case ONNXBN_UN_EXP: exp_f32(x, y, n); return;
    case ONNXBN_UN_SIGMOID: sigmoid_f32(x, y, n); return;
    case ONNXBN_UN_TANH: tanh_f32(x, y, n); return;
    default: unary_f32_libm(op, a, b, x, y, n); return;
    }
}

/* float16 / bfloat16: widened a block at a time into a stack buffer, computed in float. */

static void half_block_in(onnxbn_dtype t, const uint16_t *x, float *buf, size_t m)
{
    if (t == ONNXBN_FLOAT16)
        for (size_t j = 0; j < m; j++)
            buf[j] = onnxbn_half_to_float(x[j]);
    else
        for (size_t j = 0; j < m; j++)
            buf[j] = onnxbn_bf16_to_float(x[j]);
}

static void half_block_out(onnxbn_dtype t, const float *buf, uint16_t *y, size_t m)
{
    if (t == ONNXBN_FLOAT16)
        for (size_t j = 0; j < m; j++)
            y[j] = onnxbn_float_to_half(buf[j]);
    else
        for (size_t j = 0; j < m; j++)
            y[j] = onnxbn_float_to_bf16(buf[j]);
}

static void unary_half(onnxbn_dtype t, onnxbn_unop op, float a, float b, const uint16_t *x,
                       uint16_t *y, size_t n)
{
    float buf[BLOCK];
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        half_block_in(t, x + i, buf, m);
        onnxbn_unary_f32(op, a, b, buf, buf, m);
        half_block_out(t, buf, y + i, m);
    }
}

/* ---- integers ---- */

/* Negation through the unsigned type: the most negative value wraps to itself, no overflow. */
#define INT_SIGNED(SUF, T, U)                                                                      \
    static void int_##SUF(onnxbn_unop op, const T *x, T *y, size_t n)                              \
    {                                                                                              \
        switch (op) {                                                                              \
        case ONNXBN_UN_ABS:                                                                        \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = x[i] < 0 ? (T)(U)(0u - (U)x[i]) : x[i];                                     \
            break;                                                                                 \
        case ONNXBN_UN_NEG:                                                                        \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = (T)(U)(0u - (U)x[i]);                                                       \
            break;                                                                                 \
        case ONNXBN_UN_SIGN:                                                                       \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = (T)((x[i] > 0) - (x[i] < 0));                                               \
            break;                                                                                 \
        default: break;                                                                            \
        }                                                                                          \
    }
INT_SIGNED(i8, int8_t, uint8_t)
INT_SIGNED(i16, int16_t, uint16_t)
INT_SIGNED(i32, int32_t, uint32_t)
INT_SIGNED(i64, int64_t, uint64_t)

#define INT_UNSIGNED(SUF, T)                                                                       \
    static void int_##SUF(onnxbn_unop op, const T *x, T *y, size_t n)                              \
    {                                                                                              \
        if (op == ONNXBN_UN_SIGN)                                                                  \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = x[i] != 0;                                                                  \
        else if (op == ONNXBN_UN_ABS && x != y && n > 0)                                           \
            memcpy(y, x, n * sizeof *x);                                                           \
    }
INT_UNSIGNED(u8, uint8_t)
INT_UNSIGNED(u16, uint16_t)
INT_UNSIGNED(u32, uint32_t)
INT_UNSIGNED(u64, uint64_t)

/* Erf and Shrink on integers: computed in double, then truncated toward zero and saturated to
 * the type (NaN cannot arise from integer x, but maps to 0 all the same). The bounds compare in
 * double: (double)INT64_MAX is 2^63, so anything at or above it saturates before a cast. */
#define INT_VIA_DOUBLE(SUF, T, MIN, MAX)                                                           \
    static void dbl_##SUF(onnxbn_unop op, double a, double b, const T *x, T *y, size_t n)          \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            double v = (double)x[i];                                                               \
            double r = op == ONNXBN_UN_ERF ? erf(v) : v < -a ? v + b : v > a ? v - b : 0.0;        \
            y[i] = r != r ? (T)0 : r <= (double)(MIN) ? (MIN) : r >= (double)(MAX) ? (MAX) : (T)r; \
        }                                                                                          \
    }
INT_VIA_DOUBLE(i8, int8_t, INT8_MIN, INT8_MAX)
INT_VIA_DOUBLE(i16, int16_t, INT16_MIN, INT16_MAX)
INT_VIA_DOUBLE(i32, int32_t, INT32_MIN, INT32_MAX)
INT_VIA_DOUBLE(i64, int64_t, INT64_MIN, INT64_MAX)
INT_VIA_DOUBLE(u8, uint8_t, 0, UINT8_MAX)
INT_VIA_DOUBLE(u16, uint16_t, 0, UINT16_MAX)
INT_VIA_DOUBLE(u32, uint32_t, 0, UINT32_MAX)
INT_VIA_DOUBLE(u64, uint64_t, 0, UINT64_MAX)

static bool is_signed_int(onnxbn_dtype t)
{
    return t == ONNXBN_INT8 || t == ONNXBN_INT16 || t == ONNXBN_INT32 || t == ONNXBN_INT64;
}

static bool is_unsigned_int(onnxbn_dtype t)
{
    return t == ONNXBN_UINT8 || t == ONNXBN_UINT16 || t == ONNXBN_UINT32 || t == ONNXBN_UINT64;
}

static bool is_float(onnxbn_dtype t)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16 || t == ONNXBN_BFLOAT16;
}

bool onnxbn_unary_supported(onnxbn_unop op, onnxbn_dtype t)
{
    if ((unsigned)op >= ONNXBN_UN_COUNT)
        return false;
    if (is_float(t))
        return true;
    switch (op) {
    case ONNXBN_UN_ABS: case ONNXBN_UN_SIGN: case ONNXBN_UN_ERF: case ONNXBN_UN_SHRINK:
        return is_signed_int(t) || is_unsigned_int(t);
    case ONNXBN_UN_NEG:
        return is_signed_int(t);
    default:
        return false;
    }
}

void onnxbn_unary(onnxbn_unop op, onnxbn_dtype t, double a, double b, const void *x, void *y,
                  size_t n)
{
    bool dbl = op == ONNXBN_UN_ERF || op == ONNXBN_UN_SHRINK;
    switch (t) {
    case ONNXBN_FLOAT: onnxbn_unary_f32(op, (float)a, (float)b, x, y, n); break;
    case ONNXBN_DOUBLE: onnxbn_unary_f64(op, a, b, x, y, n); break;
    case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: unary_half(t, op, (float)a, (float)b, x, y, n); break;
    case ONNXBN_INT8: dbl ? dbl_i8(op, a, b, x, y, n) : int_i8(op, x, y, n); break;
    case ONNXBN_INT16: dbl ? dbl_i16(op, a, b, x, y, n) : int_i16(op, x, y, n); break;
    case ONNXBN_INT32: dbl ? dbl_i32(op, a, b, x, y, n) : int_i32(op, x, y, n); break;
    case ONNXBN_INT64: dbl ? dbl_i64(op, a, b, x, y, n) : int_i64(op, x, y, n); break;
    case ONNXBN_UINT8: dbl ? dbl_u8(op, a, b, x, y, n) : int_u8(op, x, y, n); break;
    case ONNXBN_UINT16: dbl ? dbl_u16(op, a, b, x, y, n) : int_u16(op, x, y, n); break;
    case ONNXBN_UINT32: dbl ? dbl_u32(op, a, b, x, y, n) : int_u32(op, x, y, n); break;
    case ONNXBN_UINT64: dbl ? dbl_u64(op, a, b, x, y, n) : int_u64(op, x, y, n); break;
    default: break;
    }
}

/* ---- Clip ---- */

/* An absent bound is the type's extreme (−inf/+inf for floats), which clips nothing. */
#define CLIP_T(SUF, T, LOWEST, HIGHEST)                                                            \
    static void clip_##SUF(const T *x, T *y, size_t n, const void *lo, const void *hi)             \
    {                                                                                              \
        T l = LOWEST, h = HIGHEST;                                                                 \
        if (lo)                                                                                    \
            memcpy(&l, lo, sizeof l);                                                              \
        if (hi)                                                                                    \
            memcpy(&h, hi, sizeof h);                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            T v = x[i] < l ? l : x[i];                                                             \
            y[i] = v > h ? h : v;                                                                  \
        }                                                                                          \
    }
CLIP_T(f32, float, -INFINITY, INFINITY)
CLIP_T(f64, double, -INFINITY, INFINITY)
CLIP_T(i8, int8_t, INT8_MIN, INT8_MAX)
CLIP_T(i16, int16_t, INT16_MIN, INT16_MAX)
CLIP_T(i32, int32_t, INT32_MIN, INT32_MAX)
CLIP_T(i64, int64_t, INT64_MIN, INT64_MAX)
CLIP_T(u8, uint8_t, 0, UINT8_MAX)
CLIP_T(u16, uint16_t, 0, UINT16_MAX)
CLIP_T(u32, uint32_t, 0, UINT32_MAX)
CLIP_T(u64, uint64_t, 0, UINT64_MAX)

static float half_bound(onnxbn_dtype t, const void *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return t == ONNXBN_FLOAT16 ? onnxbn_half_to_float(h) : onnxbn_bf16_to_float(h);
}

/* Half types: the bounds and x are exact in float, and so is the clipped value going back. */
static void clip_half(onnxbn_dtype t, const uint16_t *x, uint16_t *y, size_t n, const void *lo,
                      const void *hi)
{
    float l = 0, h = 0, buf[BLOCK];
    if (lo)
        l = half_bound(t, lo);
    if (hi)
        h = half_bound(t, hi);
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        half_block_in(t, x + i, buf, m);
        clip_f32(buf, buf, m, lo ? &l : NULL, hi ? &h : NULL);
        half_block_out(t, buf, y + i, m);
    }
}

bool onnxbn_clip_supported(onnxbn_dtype t)
{
    return is_float(t) || is_signed_int(t) || is_unsigned_int(t);
}

void onnxbn_clip(onnxbn_dtype t, const void *x, void *y, size_t n, const void *lo, const void *hi)
{
    switch (t) {
    case ONNXBN_FLOAT: clip_f32(x, y, n, lo, hi); break;
    case ONNXBN_DOUBLE: clip_f64(x, y, n, lo, hi); break;
    case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: clip_half(t, x, y, n, lo, hi); break;
    case ONNXBN_INT8: clip_i8(x, y, n, lo, hi); break;
    case ONNXBN_INT16: clip_i16(x, y, n, lo, hi); break;
    case ONNXBN_INT32: clip_i32(x, y, n, lo, hi); break;
    case ONNXBN_INT64: clip_i64(x, y, n, lo, hi); break;
    case ONNXBN_UINT8: clip_u8(x, y, n, lo, hi); break;
    case ONNXBN_UINT16: clip_u16(x, y, n, lo, hi); break;
    case ONNXBN_UINT32: clip_u32(x, y, n, lo, hi); break;
    case ONNXBN_UINT64: clip_u64(x, y, n, lo, hi); break;
    default: break;
    }
}

/* ---- PRelu ---- */

/* One row of n elements; the slope advances by ss per element (0: one slope for the row). The
 * unit-stride and constant cases get their own loops so that they vectorise. F(x, slope) is the
 * element's value. */
#define PRELU_ROW(SUF, T, F)                                                                       \
    static void prelu_row_##SUF(const T *x, const T *s, int64_t ss, T *y, size_t n)                \
    {                                                                                              \
        if (ss == 0) {                                                                             \
            const T k = s[0];                                                                      \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = F(x[i], k);                                                                 \
        } else if (ss == 1) {                                                                      \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = F(x[i], s[i]);                                                              \
        } else {                                                                                   \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = F(x[i], s[(int64_t)i * ss]);                                                \
        }                                                                                          \
    }
/* Floats: max(x, 0) + slope·min(x, 0), the ONNX reference's formula (see LeakyRelu). */
#define PRELU_FLT(v, k) (((v) <= 0 ? 0 : (v)) + (k) * ((v) >= 0 ? 0 : (v)))
/* Signed products wrap through the unsigned type instead of overflowing. */
#define PRELU_I32(v, k) ((v) < 0 ? (int32_t)((uint32_t)(k) * (uint32_t)(v)) : (v))
#define PRELU_I64(v, k) ((v) < 0 ? (int64_t)((uint64_t)(k) * (uint64_t)(v)) : (v))
static inline uint16_t prelu_f16(uint16_t v, uint16_t k)
{
    float f = onnxbn_half_to_float(v);
    return f < 0 ? onnxbn_float_to_half(onnxbn_half_to_float(k) * f) : v;
}
static inline uint16_t prelu_bf16(uint16_t v, uint16_t k)
{
    float f = onnxbn_bf16_to_float(v);
    return f < 0 ? onnxbn_float_to_bf16(onnxbn_bf16_to_float(k) * f) : v;
}
PRELU_ROW(f32, float, PRELU_FLT)
PRELU_ROW(f64, double, PRELU_FLT)
PRELU_ROW(i32, int32_t, PRELU_I32)
PRELU_ROW(i64, int64_t, PRELU_I64)
PRELU_ROW(f16, uint16_t, prelu_f16)
PRELU_ROW(bf16, uint16_t, prelu_bf16)

bool onnxbn_prelu_supported(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
    case ONNXBN_INT32: case ONNXBN_INT64: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    default:
        return false;
    }
}

static void prelu_row(onnxbn_dtype t, const void *x, const void *s, int64_t ss, void *y, size_t n,
                      size_t off)
{
    switch (t) {
    case ONNXBN_FLOAT: prelu_row_f32((const float *)x + off, s, ss, (float *)y + off, n); break;
    case ONNXBN_DOUBLE: prelu_row_f64((const double *)x + off, s, ss, (double *)y + off, n); break;
    case ONNXBN_INT32: prelu_row_i32((const int32_t *)x + off, s, ss, (int32_t *)y + off, n); break;
    case ONNXBN_INT64: prelu_row_i64((const int64_t *)x + off, s, ss, (int64_t *)y + off, n); break;
    case ONNXBN_FLOAT16: prelu_row_f16((const uint16_t *)x + off, s, ss, (uint16_t *)y + off, n); break;
    case ONNXBN_BFLOAT16:
        prelu_row_bf16((const uint16_t *)x + off, s, ss, (uint16_t *)y + off, n);
        break;
    default: break;
    }
}

void onnxbn_prelu(onnxbn_dtype t, int rank, const int64_t *dims, const void *x, const void *slope,
                  const int64_t *ss, void *y)
{
    size_t es = onnxbn_dtype_size(t);
    /* Unsigned x is never negative: y is x. */
    if (t == ONNXBN_UINT32 || t == ONNXBN_UINT64) {
        int64_t n = 1;
        for (int i = 0; i < rank; i++)
            n *= dims[i];
        if (x != y && n > 0)
            memcpy(y, x, (size_t)n * es);
        return;
    }
    /* Drop size-1 axes and merge neighbours the slope walks as one, so the innermost axis is a
     * long row with the slope constant or contiguous along it. */
    int64_t d[ONNXBN_MAX_RANK + 1], s[ONNXBN_MAX_RANK + 1];
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0)
            return;
        if (dims[i] == 1)
            continue;
        if (r > 0 && s[r - 1] == ss[i] * dims[i]) {
            d[r - 1] *= dims[i];
            s[r - 1] = ss[i];
        } else {
            d[r] = dims[i];
            s[r] = ss[i];
            r++;
        }
    }
    if (r == 0) {
        d[0] = 1;
        s[0] = 0;
        r = 1;
    }
    const size_t row = (size_t)d[r - 1];
    int64_t idx[ONNXBN_MAX_RANK + 1] = {0}, soff = 0;
    for (size_t off = 0;; off += row) {
        prelu_row(t, x, (const char *)slope + soff * (int64_t)es, s[r - 1], y, row, off);
        int k = r - 2;
        for (; k >= 0; k--) {
            soff += s[k];
            if (++idx[k] < d[k])
                break;
            soff -= s[k] * d[k];
            idx[k] = 0;
        }
        if (k < 0)
            break;
    }
}

/* ---- IsNaN, IsInf ---- */

bool onnxbn_isnan_supported(onnxbn_dtype t) { return is_float(t); }

/* Half formats by bit pattern: magnitude above infinity's is NaN, equal to it is ±inf. */
static uint16_t half_inf(onnxbn_dtype t) { return t == ONNXBN_FLOAT16 ? 0x7c00u : 0x7f80u; }

void onnxbn_isnan(onnxbn_dtype t, const void *x, uint8_t *y, size_t n)
{
    if (t == ONNXBN_FLOAT) {
        const float *p = x;
        for (size_t i = 0; i < n; i++)
            y[i] = p[i] != p[i];
    } else if (t == ONNXBN_DOUBLE) {
        const double *p = x;
        for (size_t i = 0; i < n; i++)
            y[i] = p[i] != p[i];
    } else {
        const uint16_t *p = x, inf = half_inf(t);
        for (size_t i = 0; i < n; i++)
            y[i] = (p[i] & 0x7fffu) > inf;
    }
}

void onnxbn_isinf(onnxbn_dtype t, const void *x, uint8_t *y, size_t n, bool negative, bool positive)
{
    if (t == ONNXBN_FLOAT) {
        const float *p = x;
        for (size_t i = 0; i < n; i++)
            y[i] = (negative && p[i] == -INFINITY) || (positive && p[i] == INFINITY);
    } else if (t == ONNXBN_DOUBLE) {
        const double *p = x;
        for (size_t i = 0; i < n; i++)
            y[i] = (negative && p[i] == -INFINITY) || (positive && p[i] == INFINITY);
    } else {
        const uint16_t *p = x, inf = half_inf(t);
        for (size_t i = 0; i < n; i++)
            y[i] = (p[i] & 0x7fffu) == inf && ((p[i] & 0x8000u) ? negative : positive);
    }
}
