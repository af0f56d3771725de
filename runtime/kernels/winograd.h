/* SPDX-License-Identifier: Apache-2.0 */
/* winograd.h — 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3): 16 products
 * per 2x2 output tile instead of 36, as 16 independent SGEMMs between two cheap transforms. */
#ifndef ONNXBN_KERNELS_WINOGRAD_H
#define ONNXBN_KERNELS_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

/* The transform has 16 points (4x4 input tile -> 2x2 output tile). */
#define ONNXBN_WINO_POINTS 16

/* U[p][m][c] = (G·w[m][c]·Gᵀ)[p] for the M×C×3×3 weights w (computed in double, rounded once).
 * U holds 16·M·C floats: point-major, so that each point's M×C matrix is one SGEMM operand. */
void onnxbn_wino_weights_f32(const float *w, size_t M, size_t C, float *U);

/* One image's geometry for the transforms: input H×W, output OH×OW, begin pads pt/pl (any value;
 * input outside the image reads as zero). Tiles: TH = ⌈OH/2⌉ rows of TW = ⌈OW/2⌉. xcs/ycs: the
 * floats from one channel's plane to the next in x and in y (and res), 0 for H·W and OH·OW: a
 * 3-D Conv runs one depth slice of a C×D×H×W tensor as a 2-D image of channel stride D·H·W.
 * vcs/pcs: the same in V and P (below), 0 for nt: a 3-D Conv puts the tiles of several slices
 * side by side, so that one GEMM takes them all. */
typedef struct onnxbn_wino_geom {
    int64_t H, W, OH, OW, pt, pl, TH, TW;
    size_t xcs, ycs, vcs, pcs;
} onnxbn_wino_geom;

/* V[p][c][t] for channels [c0, c1) and tile rows [r0, r0 + nr), t = (tile row − r0)·TW + tile
 * column: the input tiles under Bᵀ·d·B. x is C images of H×W; V's point p starts at
 * V + p·pstride and channel c at + c·nt (c·vcs when set), nt = nr·TW. rowbuf holds onnxbn_wino_rowbuf_floats. */
size_t onnxbn_wino_rowbuf_floats(const onnxbn_wino_geom *g, size_t nr);
void onnxbn_wino_input_f32(const onnxbn_wino_geom *g, const float *x, size_t c0, size_t c1,
                           size_t r0, size_t nr, float *V, size_t pstride, float *rowbuf);

/* The inverse for output channels [m0, m1): y[m] rows of tile rows [r0, r0 + nr) get
 * Aᵀ·P·A + bias[m] + res (bias and res may be NULL; res a residual laid out as y) under act
 * (kind/lo/hi as onnxbn_act). P's point p starts at P + p·pstride, channel m at + m·nt (m·pcs). y is M
 * images of OH×OW. */
void onnxbn_wino_output_f32(const onnxbn_wino_geom *g, const float *P, size_t pstride, size_t m0,
                            size_t m1, size_t r0, size_t nr, const float *bias, const float *res,
                            int act_kind, float lo, float hi, float *y);

#endif
