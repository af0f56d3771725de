/* SPDX-License-Identifier: Apache-2.0 */
/* cast.h — element type conversion between the numeric types and bool (the Cast operator):
 * integers convert exactly, floats are rounded once to nearest-even, nothing is undefined. */
#ifndef ONNXBN_KERNELS_CAST_H
#define ONNXBN_KERNELS_CAST_H

#include <stdbool.h>
#include <stddef.h>

#include "onnxbn.h"

/* True for the types onnxbn_cast converts: float16, bfloat16, float, double, the signed and
 * unsigned integers of 8 to 64 bits, and bool, i.e. onnxbn_dtype_is_numeric (core.h). */
bool onnxbn_cast_supported(onnxbn_dtype t);

/* n elements of type `from` at src to type `to` at dst (the buffers must not overlap).
 * Float to integer truncates toward zero; within the int64 range the result then wraps to the
 * target width as an integer conversion does, NaN gives 0, and values beyond that range saturate.
 * Any value to bool is (value != 0), so NaN is true; bool is 0 or 1. */
void onnxbn_cast(const void *src, onnxbn_dtype from, void *dst, onnxbn_dtype to, size_t n);

#endif
