/* SPDX-License-Identifier: Apache-2.0 */
/* gridsample.h — GridSample's inner loops: the taps (plane index and weight) of one output row,
 * worked out once per image row and shared by every channel, and the gathers that apply them. */
#ifndef ONNXBN_KERNELS_GRIDSAMPLE_H
#define ONNXBN_KERNELS_GRIDSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { ONNXBN_GS_BILINEAR, ONNXBN_GS_NEAREST, ONNXBN_GS_BICUBIC } onnxbn_gs_mode;
typedef enum { ONNXBN_GS_ZEROS, ONNXBN_GS_BORDER, ONNXBN_GS_REFLECTION } onnxbn_gs_pad;

/* Taps an output pixel reads: 4 (bilinear), 1 (nearest) or 16 (bicubic). */
int onnxbn_gs_taps(onnxbn_gs_mode mode);

/* For n output pixels whose grid points (x, y), normalised to [-1, 1], are gxy[2p], gxy[2p+1]:
 * tap t of pixel p reads plane element idx[t·n + p] (row-major in an H×W plane, H·W ≤ INT32_MAX)
 * with weight w[t·n + p], as torch.nn.functional.grid_sample does (the ONNX reference): a tap
 * outside the plane has index -1 and reads 0 (not x·0: a NaN elsewhere must not leak). wf (float weights)
 * or wd (double) may be NULL. H and W are at least 1. */
void onnxbn_gs_row_taps(onnxbn_gs_mode mode, onnxbn_gs_pad pad, bool align_corners, int64_t H,
                        int64_t W, const double *gxy, size_t n, int32_t *idx, float *wf,
                        double *wd);

/* y[p] = Σ_t w[t·n + p] · x[idx[t·n + p]] for p < n (0 for an index -1). */
void onnxbn_gs_gather_f32(const float *x, size_t n, int taps, const int32_t *idx, const float *w,
                          float *y);
void onnxbn_gs_gather_f64(const double *x, size_t n, int taps, const int32_t *idx, const double *w,
                          double *y);
/* The same on float16 (widened per element, rounded once). */
void onnxbn_gs_gather_f16(const uint16_t *x, size_t n, int taps, const int32_t *idx,
                          const float *w, uint16_t *y);
/* Nearest on any element of `es` bytes: y[p] = x[idx[p]], or zero bytes for an index -1. */
void onnxbn_gs_gather_bytes(const uint8_t *x, size_t es, size_t n, const int32_t *idx,
                            uint8_t *y);

#endif
