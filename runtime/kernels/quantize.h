/* SPDX-License-Identifier: Apache-2.0 */
/* quantize.h — the element loops of linear quantization: float to int8/uint8 with rounding half to
 * even and saturation, and back, one scale and zero point per run of elements. */
#ifndef ONNXBN_KERNELS_QUANTIZE_H
#define ONNXBN_KERNELS_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* y[i] = saturate(rint(x[i] / scale) + zp) into [lo, hi] (int8: -128..127, uint8: 0..255), y of
 * `es_signed` type: int8 when sgn, else uint8. The division is float's, as the spec's reference
 * computes it; NaN goes to lo (a NaN has no integer, and a cast of one would be undefined). */
void onnxbn_quantize_f32(const float *x, size_t n, float scale, int32_t zp, int sgn, void *y);
/* The same from int32 x (QuantizeLinear takes int32 too), divided in double. */
void onnxbn_quantize_i32(const int32_t *x, size_t n, float scale, int32_t zp, int sgn, void *y);
/* y[i] = (x[i] - zp) * scale for int8 (sgn), uint8 or int32 (wide) x. */
void onnxbn_dequantize(const void *x, int sgn, int wide, size_t n, float scale, int32_t zp,
                       float *y);
/* One float to the integer grid, as onnxbn_quantize_f32 does it, for single values. */
int32_t onnxbn_quantize_one(float v, int32_t zp, int32_t lo, int32_t hi);

#endif
