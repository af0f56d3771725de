/* SPDX-License-Identifier: Apache-2.0 */
/* pointwise.h — the 1x1 convolution as Y = act(W·X + bias) straight on NCHW rows (X is K rows of
 * N contiguous pixels): W packed once per plan, no copy of X, bias and activation in registers. */
#ifndef ONNXBN_KERNELS_POINTWISE_H
#define ONNXBN_KERNELS_POINTWISE_H

#include <stdbool.h>
#include <stddef.h>

/* Output channels per packed panel of W (and per register tile). */
#define ONNXBN_PW_MR 8

/* Floats of the packed form of an M×K matrix, ⌈M/MR⌉·MR·K, or 0 when that overflows. */
size_t onnxbn_pw_packed_floats(size_t M, size_t K);

/* Packs row-major W (M×K) into Wp: panel p holds rows p·MR .. p·MR+MR−1 as K groups of MR values,
 * rows past M as zeros. A run over rows [m0, ...) with m0 a multiple of MR starts at
 * Wp + m0·K. */
void onnxbn_pw_pack(size_t M, size_t K, const float *W, float *Wp);

/* True when this CPU runs onnxbn_pw_f32 on its AVX-512 tile (else it takes the portable loop,
 * which is correct but slower than SGEMM). */
bool onnxbn_pw_fast(void);

/* Y[m][n] = act(bias[m] + Σk W[m][k]·X[k][n] + R[m][n]) for m < M, n < N: Wp packed by
 * onnxbn_pw_pack, X at row stride ldx, Y and R (a residual, as Y's layout) at row stride ldy (Y
 * must not overlap X or R); bias and R NULL read as zero; act_kind/lo/hi as onnxbn_act (0 none,
 * 1 Relu, 2 Clip, exactly as those kernels). */
void onnxbn_pw_f32(size_t M, size_t N, size_t K, const float *Wp, const float *X, size_t ldx,
                   const float *bias, const float *R, int act_kind, float lo, float hi, float *Y,
                   size_t ldy);

/* The same through the portable loop only, so tests can check it on AVX-512 machines too. */
void onnxbn_pw_portable_f32(size_t M, size_t N, size_t K, const float *Wp, const float *X,
                            size_t ldx, const float *bias, const float *R, int act_kind, float lo,
                            float hi, float *Y, size_t ldy);

#endif
