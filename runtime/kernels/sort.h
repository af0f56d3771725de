/* sort.h — ordering loops for the detection operators: the k best of a strided row by a bounded
 * heap (TopK), and a stable merge sort of indices by a caller's comparison (NMS, Unique). */
#ifndef ONNXBN_KERNELS_SORT_H
#define ONNXBN_KERNELS_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* The element types onnxbn_topk_idx orders: integers, float16, bfloat16, float, double. */
bool onnxbn_topk_supported(onnxbn_dtype t);

/* The indices of the k best of the n elements x[0], x[stride], ... x[(n-1)*stride], best first,
 * into out[0..k) (1 <= k <= n). Best is largest (or smallest); equal values put the lower index
 * first; NaN ranks above every number (numpy's order: last when ascending, first when flipped).
 * O(n log k): a heap of the k kept, its root the worst of them, so most elements of a long row
 * cost one comparison. tmp: n floats for float16/bfloat16 (converted once, exactly), else unused. */
void onnxbn_topk_idx(onnxbn_dtype t, const void *x, int64_t n, int64_t stride, int64_t k,
                     bool largest, int64_t *out, float *tmp);

/* A comparison of items a and b: negative when a goes first, positive when b does, 0 when equal. */
typedef int (*onnxbn_idx_cmp)(const void *ctx, int64_t a, int64_t b);

/* Stable sort of idx[0..n) by cmp (equal items keep their order); tmp holds n int64. */
void onnxbn_sort_idx(int64_t *idx, int64_t n, int64_t *tmp, onnxbn_idx_cmp cmp, const void *ctx);

#endif
