/* SPDX-License-Identifier: Apache-2.0 */
/* unary.h — one-input element-wise inner loops: math functions (Sqrt … Erf), activations
 * (Sigmoid … Shrink), Clip, PRelu's slope broadcast, IsNaN/IsInf. Plain pointers and sizes. */
#ifndef ONNXBN_KERNELS_UNARY_H
#define ONNXBN_KERNELS_UNARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* The function applied to each element. a and b are the parameters the comment names. */
typedef enum onnxbn_unop {
    ONNXBN_UN_SQRT, ONNXBN_UN_EXP, ONNXBN_UN_LOG, ONNXBN_UN_NEG, ONNXBN_UN_ABS,
    ONNXBN_UN_RECIPROCAL, ONNXBN_UN_FLOOR, ONNXBN_UN_CEIL,
    ONNXBN_UN_ROUND,            /* to nearest, halves to even */
    ONNXBN_UN_SIGN,             /* -1, 0 or 1 (±0 → +0; NaN stays NaN) */
    ONNXBN_UN_SIN, ONNXBN_UN_COS, ONNXBN_UN_TAN, ONNXBN_UN_ASIN, ONNXBN_UN_ACOS, ONNXBN_UN_ATAN,
    ONNXBN_UN_SINH, ONNXBN_UN_COSH, ONNXBN_UN_ASINH, ONNXBN_UN_ACOSH, ONNXBN_UN_ATANH,
    ONNXBN_UN_ERF,
    ONNXBN_UN_SIGMOID, ONNXBN_UN_TANH,
    ONNXBN_UN_SOFTPLUS,         /* ln(1 + e^x), computed without overflow for large x */
    ONNXBN_UN_SOFTSIGN,         /* x / (1 + |x|) */
    ONNXBN_UN_HARDSWISH,        /* x · max(0, min(1, x/6 + 1/2)) */
    ONNXBN_UN_MISH,             /* x · tanh(softplus(x)) */
    ONNXBN_UN_LEAKYRELU,        /* x < 0 ? a·x : x */
    ONNXBN_UN_HARDSIGMOID,      /* max(0, min(1, a·x + b)) */
    ONNXBN_UN_ELU,              /* x < 0 ? a·(e^x − 1) : x */
    ONNXBN_UN_SELU,             /* x <= 0 ? b·a·(e^x − 1) : b·x  (a = alpha, b = gamma) */
    ONNXBN_UN_CELU,             /* max(0, x) + min(0, a·(e^(x/a) − 1)); a must not be 0 */
    ONNXBN_UN_THRESHOLDEDRELU,  /* x > a ? x : 0 */
    ONNXBN_UN_SHRINK,           /* x < −a ? x + b : x > a ? x − b : 0  (a = lambd, b = bias) */
    ONNXBN_UN_COUNT
} onnxbn_unop;

/* Whether onnxbn_unary implements op for element type t: every op for float, double, float16
 * and bfloat16; Abs and Sign for all integer types, Neg for signed ones, Erf and Shrink for all
 * integer types (computed in double and converted back, truncating and saturating). */
bool onnxbn_unary_supported(onnxbn_unop op, onnxbn_dtype t);

/* y = op(x) over n elements of type t. x and y may be the same buffer; partial overlap is not
 * allowed. Requires onnxbn_unary_supported(op, t). float16/bfloat16 are computed in float and
 * rounded once. Integer Abs/Neg of the most negative value wraps (gives it back), as numpy does. */
void onnxbn_unary(onnxbn_unop op, onnxbn_dtype t, double a, double b, const void *x, void *y,
                  size_t n);
/* The float loops themselves (what onnxbn_unary calls for float). */
void onnxbn_unary_f32(onnxbn_unop op, float a, float b, const float *x, float *y, size_t n);
/* y = x · sigmoid(x) (SiLU): the Sigmoid kernel's float bits times x, rounded once, so it equals
 * Sigmoid then Mul by x bit for bit (the planner fuses that pair into the Sigmoid node). y may be x. */
void onnxbn_silu_f32(const float *x, float *y, size_t n);
/* GELU with erf as torch exports it, Mul(Mul(x, Add(Erf(Div(x, k[0])), k[1])), k[2]): the same
 * five roundings in the same order (the Erf kernel's own), so the same bits as the five nodes. */
void onnxbn_gelu_erf_f32(const float *x, float *y, size_t n, const float *k);
void onnxbn_unary_f64(onnxbn_unop op, double a, double b, const double *x, double *y, size_t n);

/* y = min(max(x, *lo), *hi) for any numeric t: so lo > hi gives hi everywhere, and a NaN x stays
 * NaN. lo and hi point to one element of type t, or are NULL for no bound. */
bool onnxbn_clip_supported(onnxbn_dtype t);
void onnxbn_clip(onnxbn_dtype t, const void *x, void *y, size_t n, const void *lo, const void *hi);

/* PRelu: y = x < 0 ? slope·x : x over the shape (rank, dims) of x and y (dense), the slope read
 * with element strides ss (0 on axes it is broadcast along). Types: float, double, float16,
 * bfloat16, int32, int64, uint32, uint64 (integer products wrap). */
bool onnxbn_prelu_supported(onnxbn_dtype t);
void onnxbn_prelu(onnxbn_dtype t, int rank, const int64_t *dims, const void *x, const void *slope,
                  const int64_t *ss, void *y);

/* Bool outputs (one byte each): IsNaN, and IsInf with the signs it reports. float, double,
 * float16 and bfloat16. */
bool onnxbn_isnan_supported(onnxbn_dtype t);
void onnxbn_isnan(onnxbn_dtype t, const void *x, uint8_t *y, size_t n);
void onnxbn_isinf(onnxbn_dtype t, const void *x, uint8_t *y, size_t n, bool negative, bool positive);

#endif
