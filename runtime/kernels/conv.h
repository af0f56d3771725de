/* SPDX-License-Identifier: Apache-2.0 */
/* conv.h — the inner loops of Conv and ConvTranspose: im2col and its adjoint col2im over N spatial
 * axes, and a direct kernel for convolutions with one input channel per group (depthwise). */
#ifndef ONNXBN_KERNELS_CONV_H
#define ONNXBN_KERNELS_CONV_H

#include <stddef.h>
#include <stdint.h>

#define ONNXBN_CONV_MAX_SP 6 /* spatial axes: ONNXBN_MAX_RANK less batch and channel */

/* One sliding window over `nsp` spatial axes. The image has extent img[d]; the grid of window
 * positions has extent grid[d]; the window at grid position o touches image index
 * o·stride[d] − pad[d] + j·dil[d] for kernel index j < k[d]. Image indices outside [0, img[d])
 * read as zero (im2col) or are dropped (col2im), so `pad` may take any value, even negative.
 * Conv: image = input, grid = output. ConvTranspose: image = output, grid = input. */
typedef struct onnxbn_conv_geom {
    int nsp;
    int64_t img[ONNXBN_CONV_MAX_SP], grid[ONNXBN_CONV_MAX_SP], k[ONNXBN_CONV_MAX_SP];
    int64_t stride[ONNXBN_CONV_MAX_SP], dil[ONNXBN_CONV_MAX_SP], pad[ONNXBN_CONV_MAX_SP];
} onnxbn_conv_geom;

/* Grid rows: the grid flattened over every axis but the last, which is one row of grid[nsp-1]
 * positions. Work is split into whole rows so the scratch buffer stays bounded. */
size_t onnxbn_conv_grid_rows(const onnxbn_conv_geom *g);

/* col[(c·K + j), r·L + o] = image value under kernel tap j (row-major over k) of channel c at grid
 * row row0 + r, column o; for c < channels, r < nrows, with K = Πk and L = grid[nsp-1]. col is
 * (channels·K) × (nrows·L), row stride nrows·L. img holds `channels` images of Πimg elements. */
void onnxbn_im2col_f32(const onnxbn_conv_geom *g, size_t channels, const float *img, size_t row0,
                       size_t nrows, float *col);

/* The adjoint: img += each col value at the image index im2col would have read it from (values
 * that land outside the image are dropped). Same layout as onnxbn_im2col_f32. */
void onnxbn_col2im_f32(const onnxbn_conv_geom *g, size_t channels, const float *col, size_t row0,
                       size_t nrows, float *img);

/* im2col over a zero-padded copy, for 2-D windows at stride 1 (geom nsp 2, grid = output): the
 * image is copied once into pad (channels × Hp × Wp floats, Hp = grid[0] + (k[0]−1)·dil[0],
 * Wp = grid[1] + (k[1]−1)·dil[1]), and each column row (c, tap) is then one contiguous span of
 * pad, n = (grid[0]−1)·Wp + grid[1] floats: col is (channels·Πk) × n, column oh·Wp + ow holding
 * output (oh, ow) for ow < grid[1] (the Wp − grid[1] columns between rows are padding products to
 * be dropped). Small images cost a copy per tap and channel instead of one per output row. */
size_t onnxbn_im2col_wide_cols(const onnxbn_conv_geom *g);
void onnxbn_im2col_wide_f32(const onnxbn_conv_geom *g, size_t channels, const float *img,
                            float *pad, float *col);

/* A dilated 2-D window at stride 1 (geom nsp 2, grid = output) as d0·d1 windows of dilation 1,
 * d = g->dil: phase (a, b) of the image (rows a + d0·r, columns b + d1·s) meets only phase (a, b)
 * of the output. Split lays the image's phases one under the other, phase a·d1 + b from row
 * p·(img[0]/d0 + gap), `gap` zero rows between them, into tall (channels × rows_in × img[1]/d1);
 * a dilation-1 window over that stack with pads pad/d gives every phase's output at rows
 * p·(img[0]/d0 + gap) + i of a tall output of rows_out × grid[1]/d1, which merge puts back,
 * adding res (a residual laid out as y, or NULL) and then applying act (kind/lo/hi as
 * onnxbn_act). Needs img, grid and pad divisible by d along each axis; the rows are those of
 * onnxbn_conv_dil_rows. */
void onnxbn_conv_dil_rows(const onnxbn_conv_geom *g, size_t gap, size_t *rows_in,
                          size_t *rows_out);
void onnxbn_conv_dil_split_f32(const onnxbn_conv_geom *g, size_t channels, size_t gap,
                               const float *img, float *tall);
void onnxbn_conv_dil_merge_f32(const onnxbn_conv_geom *g, size_t channels, size_t gap,
                               const float *tall, const float *res, int act_kind, float lo,
                               float hi, float *y);

/* Direct convolution for one input channel per group, over 1 or 2 spatial axes (geom nsp 1 or 2,
 * grid = output): output channel m reads input channel m / mult with its own kernel
 * w[m·Πk ...]; y[m] = bias[m] (0 when bias is NULL) + Σ taps. out_ch = channels·mult. */
void onnxbn_conv_depthwise_f32(const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                               const float *x, const float *w, const float *bias, float *y);

#endif
