/* SPDX-License-Identifier: Apache-2.0 */
/* cumsum.h — the running sum of the CumSum operator along the middle axis of (outer, n, inner):
 * one pass per line, each step adding a row of `inner` contiguous elements to the row before. */
#ifndef ONNXBN_KERNELS_CUMSUM_H
#define ONNXBN_KERNELS_CUMSUM_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"

/* float, double, float16, bfloat16 and the 32/64-bit integers (signed and unsigned). */
bool onnxbn_cumsum_supported(onnxbn_dtype t);

/* y[.., j, ..] = sum of x[.., i, ..] over i <= j (reverse: i >= j), i != j too when exclusive
 * (the first sum is then 0). x and y must not overlap. Integers wrap as unsigned arithmetic does;
 * float16 and bfloat16 add in float and round each sum to their type, as numpy's cumsum does. */
void onnxbn_cumsum(onnxbn_dtype t, const void *x, void *y, int64_t outer, int64_t n,
                   int64_t inner, bool exclusive, bool reverse);

#endif
