/* SPDX-License-Identifier: Apache-2.0 */
/* elementwise.h — element-wise inner loops over dense buffers: one-input activations (Relu) and the
 * two- and three-input operators with numpy broadcasting (Add … Pow, comparisons, logic, Where). */
#ifndef ONNXBN_KERNELS_ELEMENTWISE_H
#define ONNXBN_KERNELS_ELEMENTWISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* ---- one input: x and y may be the same buffer (in place); partial overlap is not allowed ---- */

/* y = max(0, x) as numpy computes it: NaN passes through unchanged, −0 becomes +0. */
void onnxbn_relu_f32(const float *x, float *y, size_t n);
void onnxbn_relu_f64(const double *x, double *y, size_t n);
/* float16 and bfloat16 as their bit patterns: no conversion needed for a sign test. */
void onnxbn_relu_f16(const uint16_t *x, uint16_t *y, size_t n);
void onnxbn_relu_bf16(const uint16_t *x, uint16_t *y, size_t n);
void onnxbn_relu_i8(const int8_t *x, int8_t *y, size_t n);
void onnxbn_relu_i16(const int16_t *x, int16_t *y, size_t n);
void onnxbn_relu_i32(const int32_t *x, int32_t *y, size_t n);
void onnxbn_relu_i64(const int64_t *x, int64_t *y, size_t n);

/* ---- two inputs with broadcasting ----
 * y = a op b over the output shape (rank, dims), y dense row-major. sa and sb are the element strides
 * that read a and b as if they had the output's shape (onnxbn_broadcast_strides gives them: 0 on
 * broadcast axes). Dense inputs and broadcasting leave a contiguous or constant operand in the
 * innermost collapsed dimension, so the loops below run unit-stride over whole rows: same-shape,
 * scalar, per-channel and per-row operands are all one case of that. */
typedef enum onnxbn_binop {
    ONNXBN_BIN_ADD, ONNXBN_BIN_SUB, ONNXBN_BIN_MUL, ONNXBN_BIN_DIV, ONNXBN_BIN_POW,
    ONNXBN_BIN_MAX, ONNXBN_BIN_MIN,
    ONNXBN_BIN_MOD,  /* integer modulus, sign of the divisor (Python's %); integer types only */
    ONNXBN_BIN_FMOD, /* C fmod / truncated remainder, sign of the dividend */
    ONNXBN_BIN_EQ, ONNXBN_BIN_LT, ONNXBN_BIN_GT, ONNXBN_BIN_LE, ONNXBN_BIN_GE, /* → bool */
    ONNXBN_BIN_AND, ONNXBN_BIN_OR, ONNXBN_BIN_XOR,                             /* bool */
    ONNXBN_BIN_SHL, ONNXBN_BIN_SHR,                                            /* unsigned */
    ONNXBN_BIN_COUNT
} onnxbn_binop;

/* Whether the kernels implement a op b for a of type ta and b of type tb. Only Pow takes two
 * different types; the result has a's type, or bool for the comparisons. float16 and bfloat16 are
 * computed in float and rounded once per element.
 * Integer semantics (no trap, no undefined behaviour, for every input): add, sub, mul and pow wrap
 * modulo 2^bits; division truncates toward zero (C, and what the ONNX reference gets from
 * numpy's true division cast back); x/0, x%0 and fmod(x, 0) give 0 (numpy gives 0 too); INT_MIN/-1
 * wraps to INT_MIN; x^e with e < 0 is 1/x^|e| truncated (1, -1 or 0; 0^negative gives 0); shifts
 * of the type's width or more give 0. */
bool onnxbn_binary_supported(onnxbn_binop op, onnxbn_dtype ta, onnxbn_dtype tb);
/* Requires onnxbn_binary_supported(op, ta, tb). y may be a itself (sa then being y's own strides,
 * as when a variadic Sum accumulates); otherwise y must not overlap a or b. */
void onnxbn_binary(onnxbn_binop op, onnxbn_dtype ta, onnxbn_dtype tb, int rank, const int64_t *dims,
                   const void *a, const int64_t *sa, const void *b, const int64_t *sb, void *y);

/* ---- three inputs: y = cond ? x : z (Where) ----
 * Elements of `elsize` bytes (1, 2, 4, 8 or 16) copied as they are; strides as for onnxbn_binary. */
void onnxbn_where(size_t elsize, int rank, const int64_t *dims, const uint8_t *cond,
                  const int64_t *sc, const void *x, const int64_t *sx, const void *z,
                  const int64_t *sz, void *y);

/* y = !x for bool (any nonzero byte is true). */
void onnxbn_not_bool(const uint8_t *x, uint8_t *y, size_t n);

#endif
