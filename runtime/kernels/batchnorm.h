/* SPDX-License-Identifier: Apache-2.0 */
/* batchnorm.h — the inner loops of BatchNormalization: a per-channel affine y = a·x + t and the
 * per-channel batch statistics of training mode, over a dense (outer, ch, inner) layout. */
#ifndef ONNXBN_KERNELS_BATCHNORM_H
#define ONNXBN_KERNELS_BATCHNORM_H

#include <stdint.h>

/* y[o,c,i] = a[c]·x[o,c,i] + t[c]. x and y must not overlap; use the _inplace form when they are
 * the same buffer. */
void onnxbn_bn_affine_f32(const float *restrict x, float *restrict y, const float *restrict a,
                          const float *restrict t, int64_t outer, int64_t ch, int64_t inner);
void onnxbn_bn_affine_inplace_f32(float *restrict y, const float *restrict a,
                                  const float *restrict t, int64_t outer, int64_t ch,
                                  int64_t inner);
void onnxbn_bn_affine_f64(const double *restrict x, double *restrict y, const double *restrict a,
                          const double *restrict t, int64_t outer, int64_t ch, int64_t inner);
void onnxbn_bn_affine_inplace_f64(double *restrict y, const double *restrict a,
                                  const double *restrict t, int64_t outer, int64_t ch,
                                  int64_t inner);

/* Per-channel mean and population variance (divided by outer·inner, not outer·inner − 1), over
 * the outer and inner axes, accumulated in double in two passes. An empty reduction gives NaN. */
void onnxbn_bn_stats_f32(const float *restrict x, int64_t outer, int64_t ch, int64_t inner,
                         double *restrict mean, double *restrict var);
void onnxbn_bn_stats_f64(const double *restrict x, int64_t outer, int64_t ch, int64_t inner,
                         double *restrict mean, double *restrict var);

#endif
