/* SPDX-License-Identifier: Apache-2.0 */
/* norm.h — normalisation inner loops: softmax, log-softmax and hardmax along one axis, instance,
 * layer and mean-variance normalisation, and local response normalisation across channels. */
#ifndef ONNXBN_KERNELS_NORM_H
#define ONNXBN_KERNELS_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum onnxbn_softmax_kind {
    ONNXBN_SOFTMAX,
    ONNXBN_LOGSOFTMAX,
    ONNXBN_HARDMAX
} onnxbn_softmax_kind;

/* x and y are outer × n × inner (row-major); each of the outer·inner lines of n elements, inner
 * apart, is normalised on its own. The exponentials are taken after subtracting the line's maximum
 * and summed in double. Hardmax puts 1 at the first maximum of a line and 0 elsewhere. scratch
 * holds onnxbn_softmax_scratch(inner) bytes (8-byte aligned); it is not used when inner is 1. */
size_t onnxbn_softmax_scratch(int64_t inner);
void onnxbn_softmax_f32(onnxbn_softmax_kind kind, const float *x, float *y, int64_t outer,
                        int64_t n, int64_t inner, void *scratch);
void onnxbn_softmax_f64(onnxbn_softmax_kind kind, const double *x, double *y, int64_t outer,
                        int64_t n, int64_t inner, void *scratch);

/* Instance normalisation of N·C planes of S elements: y = scale[c]·(x − μ)/√(σ² + eps) + bias[c]
 * with the plane's mean μ and population variance σ², computed in double. */
void onnxbn_instnorm_f32(const float *x, float *y, const double *scale, const double *bias,
                         int64_t N, int64_t C, int64_t S, double eps);
void onnxbn_instnorm_f64(const double *x, double *y, const double *scale, const double *bias,
                         int64_t N, int64_t C, int64_t S, double eps);

/* Layer normalisation of `rows` rows of n elements: y[j] = (x[j] − μ)·r · scale[j] + bias[j] with
 * r = 1/√(σ² + eps). bias may be NULL (zero); mean and inv, when not NULL, receive μ and r per
 * row. Statistics in double; the normalised value is rounded to the element type before the
 * affine step, as the spec's cast back to T does. */
void onnxbn_layernorm_f32(const float *x, float *y, const float *scale, const float *bias,
                          int64_t rows, int64_t n, double eps, double *mean, double *inv);
void onnxbn_layernorm_f64(const double *x, double *y, const double *scale, const double *bias,
                          int64_t rows, int64_t n, double eps, double *mean, double *inv);
/* The same in float arithmetic throughout (statistics summed in 16 float lanes, n > 0), as the
 * nodes of a layer norm exported below opset 17 compute it: for the planner's fusion of those
 * nodes (plan.c fuse_layernorm), not for LayerNormalization, whose statistics stay in double. */
void onnxbn_layernorm_nodes_f32(const float *x, float *y, const float *scale, const float *bias,
                                int64_t rows, int64_t n, float eps);

/* Local response normalisation over N × C × S: y = x / (bias + alpha/size · Σ x²)^beta, the sum
 * over channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ clipped to [0, C). scratch holds S elements of
 * the element type. */
void onnxbn_lrn_f32(const float *x, float *y, int64_t N, int64_t C, int64_t S, int64_t size,
                    double alpha, double beta, double bias, float *scratch);
void onnxbn_lrn_f64(const double *x, double *y, int64_t N, int64_t C, int64_t S, int64_t size,
                    double alpha, double beta, double bias, double *scratch);

/* Mean-variance normalisation: y = (x − μ)/(σ + 1e-9) with μ and σ over the axes where reduce[d]
 * is set (the ONNX function body's formula, σ the population standard deviation). stats holds
 * 2 × Π(dims not reduced) doubles. */
void onnxbn_mvn_f64(const double *x, double *y, int rank, const int64_t *dims, const bool *reduce,
                    double *stats);

#endif
