/* SPDX-License-Identifier: Apache-2.0 */
/* det.h — determinants of square matrices (the Det operator): LU factorisation with partial
 * pivoting, accumulated in double whatever the element type. */
#ifndef ONNXBN_KERNELS_DET_H
#define ONNXBN_KERNELS_DET_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"

/* float16, float and double (the types Det takes). */
bool onnxbn_det_supported(onnxbn_dtype t);

/* y[k] = det of the k-th m×m matrix of x (count of them), both of type t. scratch holds m*m
 * doubles. A zero pivot column gives 0; NaN and infinities propagate as the arithmetic makes them. */
void onnxbn_det(onnxbn_dtype t, const void *x, void *y, int64_t count, int64_t m, double *scratch);

#endif
