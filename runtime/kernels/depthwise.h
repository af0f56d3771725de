/* SPDX-License-Identifier: Apache-2.0 */
/* depthwise.h — depthwise (one input channel per group) 2-D convolution with the bias and the
 * fused activation applied in registers: AVX-512 for the MobileNet shapes, portable otherwise. */
#ifndef ONNXBN_KERNELS_DEPTHWISE_H
#define ONNXBN_KERNELS_DEPTHWISE_H

#include <stddef.h>

#include "kernels/conv.h"

/* Which loop runs a node: chosen once per node (onnxbn_dw_pick) from the geometry and the CPU. */
typedef enum onnxbn_dw_impl {
    ONNXBN_DW_PORTABLE = 0, /* onnxbn_conv_depthwise_f32, then the activation */
    ONNXBN_DW_AVX512 = 1,   /* 2-D, square 3x3 or 5x5 kernel, horizontal stride 1 or 2 */
    /* 2-D 7x7 (ConvNeXt) at stride 1, dilation 1: rows of a zero-padded copy of the channel, four
     * output rows a pass; one loop per level, the plain C one for any CPU */
    ONNXBN_DW_K7 = 2,
    ONNXBN_DW_K7_AVX2 = 3,
    ONNXBN_DW_K7_AVX512 = 4
} onnxbn_dw_impl;

/* The fastest loop this CPU has for the geometry (grid = output, as onnxbn_conv_depthwise_f32). */
onnxbn_dw_impl onnxbn_dw_pick(const onnxbn_conv_geom *g);
/* Whether impl can run g on this process's ISA level (ONNXBN_DW_PORTABLE always can): lets the
 * tests run every 7x7 loop the level allows, not only the one picked. */
int onnxbn_dw_usable(onnxbn_dw_impl impl, const onnxbn_conv_geom *g);

/* y[m] = act(bias[m] + Σ taps of w[m·Πk ...] over input channel m / mult), m < out_ch; bias may
 * be NULL; act_kind/lo/hi as onnxbn_act (0 none, 1 Relu, 2 Clip, exactly as those kernels).
 * impl must be ONNXBN_DW_PORTABLE or what onnxbn_dw_pick returned for g. */
void onnxbn_dw_run_f32(onnxbn_dw_impl impl, const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                       const float *x, const float *w, const float *bias, int act_kind, float lo,
                       float hi, float *y);

#endif
