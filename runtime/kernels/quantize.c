/* SPDX-License-Identifier: Apache-2.0 */
/* quantize.c — linear quantization element loops (QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear); rounding is rint's in the default mode, ties to even. */
#include "kernels/quantize.h"

#include <math.h>

int32_t onnxbn_quantize_one(float v, int32_t zp, int32_t lo, int32_t hi)
{
    float r = rintf(v) + (float)zp;
    if (!(r >= (float)lo)) /* also NaN */
        return lo;
    if (r > (float)hi)
        return hi;
    return (int32_t)r;
}

void onnxbn_quantize_f32(const float *x, size_t n, float scale, int32_t zp, int sgn, void *y)
{
    if (sgn) {
        int8_t *o = y;
        for (size_t i = 0; i < n; i++)
            o[i] = (int8_t)onnxbn_quantize_one(x[i] / scale, zp, -128, 127);
    } else {
        uint8_t *o = y;
        for (size_t i = 0; i < n; i++)
            o[i] = (uint8_t)onnxbn_quantize_one(x[i] / scale, zp, 0, 255);
    }
}

static int32_t q_dbl(double v, int32_t zp, int32_t lo, int32_t hi)
{
    double r = rint(v) + zp;
    if (!(r >= lo))
        return lo;
    return r > hi ? hi : (int32_t)r;
}

void onnxbn_quantize_i32(const int32_t *x, size_t n, float scale, int32_t zp, int sgn, void *y)
{
    for (size_t i = 0; i < n; i++) {
        double v = (double)x[i] / (double)scale;
        if (sgn)
            ((int8_t *)y)[i] = (int8_t)q_dbl(v, zp, -128, 127);
        else
            ((uint8_t *)y)[i] = (uint8_t)q_dbl(v, zp, 0, 255);
    }
}

void onnxbn_dequantize(const void *x, int sgn, int wide, size_t n, float scale, int32_t zp,
                       float *y)
{
    if (wide) {
        const int32_t *v = x;
        for (size_t i = 0; i < n; i++)
            y[i] = (float)((int64_t)v[i] - zp) * scale;
    } else if (sgn) {
        const int8_t *v = x;
        for (size_t i = 0; i < n; i++)
            y[i] = (float)(v[i] - zp) * scale;
    } else {
        const uint8_t *v = x;
        for (size_t i = 0; i < n; i++)
            y[i] = (float)(v[i] - zp) * scale;
    }
}
