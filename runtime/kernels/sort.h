/* SPDX-License-Identifier: Apache-2.0 */
/* sort.h — ordering loops for the detection operators: the k best of a strided row by
 * quickselect (TopK), and a stable merge sort of indices by a caller's comparison (NMS, Unique). */
#ifndef ONNXBN_KERNELS_SORT_H
#define ONNXBN_KERNELS_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* The element types onnxbn_topk_idx orders: integers, float16, bfloat16, float, double. */
bool onnxbn_topk_supported(onnxbn_dtype t);

/* The indices of the k best of the n elements x[0], x[stride], ... x[(n-1)*stride], best first,
 * into buf[0..k) (1 <= k <= n). Best is largest (or smallest); equal values put the lower index
 * first; NaN ranks above every number (numpy's order: last when ascending, first when flipped).
 * buf holds onnxbn_topk_buf(k) indices: candidates gather there and a quickselect keeps the k best
 * whenever it fills, so most elements of a long row cost one comparison (O(n + k log k) expected,
 * O(n log k) at worst). tmp: n floats for float16/bfloat16 (widened once, exactly), else unused. */
void onnxbn_topk_idx(onnxbn_dtype t, const void *x, int64_t n, int64_t stride, int64_t k,
                     bool largest, int64_t *buf, float *tmp);
static inline int64_t onnxbn_topk_buf(int64_t k) { return 2 * k + 64; }

/* A comparison of items a and b: negative when a goes first, positive when b does, 0 when equal. */
typedef int (*onnxbn_idx_cmp)(const void *ctx, int64_t a, int64_t b);

/* Stable sort of idx[0..n) by cmp (equal items keep their order); tmp holds n int64. */
void onnxbn_sort_idx(int64_t *idx, int64_t n, int64_t *tmp, onnxbn_idx_cmp cmp, const void *ctx);

#endif
