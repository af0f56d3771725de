/* SPDX-License-Identifier: Apache-2.0 */
/* reduce.h — reductions of a dense row-major tensor over any set of its axes (sum, mean, max,
 * norms, log-sum-exp ...), and arg-max/arg-min along one axis. */
#ifndef ONNXBN_KERNELS_REDUCE_H
#define ONNXBN_KERNELS_REDUCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

typedef enum onnxbn_reduce_op {
    ONNXBN_REDUCE_SUM,
    ONNXBN_REDUCE_MEAN,
    ONNXBN_REDUCE_MAX,
    ONNXBN_REDUCE_MIN,
    ONNXBN_REDUCE_PROD,
    ONNXBN_REDUCE_L1,         /* sum |x| */
    ONNXBN_REDUCE_L2,         /* sqrt(sum x²) */
    ONNXBN_REDUCE_LOG_SUM,    /* log(sum x) */
    ONNXBN_REDUCE_LOG_SUM_EXP,/* log(sum exp x), computed as m + log(sum exp(x − m)) with m = max */
    ONNXBN_REDUCE_SUM_SQUARE  /* sum x² */
} onnxbn_reduce_op;

/* A reduction in canonical form: the input's axes with size-1 axes dropped and neighbouring axes
 * of the same kind (reduced or kept) merged, so kinds alternate. Then the trailing run is either
 * reduced (each output folds contiguous segments) or kept (whole contiguous rows of outputs are
 * folded at once): both are unit-stride inner loops. */
typedef struct onnxbn_reduce_layout {
    int n;                             /* merged axes; 0 when the input has one element or none */
    int64_t dims[ONNXBN_MAX_RANK];
    int64_t strides[ONNXBN_MAX_RANK];  /* input element strides of the merged axes */
    bool red[ONNXBN_MAX_RANK];
    int64_t count;                     /* input elements folded into each output (0: empty reduction) */
    int64_t n_out;                     /* output elements */
} onnxbn_reduce_layout;

/* `reduce[i]` says whether axis i of the input (rank ≤ ONNXBN_MAX_RANK, dims ≥ 0) is reduced. */
void onnxbn_reduce_layout_init(onnxbn_reduce_layout *l, int rank, const int64_t *dims,
                               const bool *reduce);
/* Scratch bytes onnxbn_reduce needs for this layout (64-byte aligned memory). */
size_t onnxbn_reduce_scratch(const onnxbn_reduce_layout *l);

/* Whether onnxbn_reduce handles this element type: float, double, float16, bfloat16, int8,
 * uint8, int32, uint32, int64, uint64. */
bool onnxbn_reduce_type_ok(onnxbn_dtype t);

/* y (n_out elements of type t, row-major over the kept axes) = the reduction of x. Floating types
 * accumulate in double; integers accumulate exactly in 64 bits and wrap to their type (mean, L2 and
 * the logs go through double and saturate). An empty reduction gives 0 (sums, norms), 1 (prod),
 * NaN (mean of floats, 0 for integers), −inf/+inf or the type's lowest/highest (max/min), −inf
 * for the logs (the lowest value for integers). NaN propagates through max and min. */
void onnxbn_reduce(onnxbn_reduce_op op, onnxbn_dtype t, const onnxbn_reduce_layout *l,
                   const void *x, void *y, void *scratch);

/* Whether onnxbn_argreduce handles this element type: every integer, float16, float, double and
 * bfloat16. */
bool onnxbn_argreduce_type_ok(onnxbn_dtype t);
/* Scratch bytes onnxbn_argreduce needs for `inner`. */
size_t onnxbn_argreduce_scratch(int64_t inner);
/* x viewed as (outer, r, inner), r ≥ 1: y[o·inner + i] = the index along r of the largest
 * (is_max) or smallest element, the first or (last) the last one on ties. NaN counts as beyond
 * every number, as numpy's argmax/argmin have it. */
void onnxbn_argreduce(bool is_max, bool last, onnxbn_dtype t, int64_t outer, int64_t r,
                      int64_t inner, const void *x, int64_t *y, void *scratch);

#endif
