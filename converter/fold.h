/* SPDX-License-Identifier: Apache-2.0 */
/* fold.h — the arithmetic of folding BatchNormalization into a linear layer: in double, with one
 * rounding to the weight's storage type at the end. No graph and no protobuf here. */
#ifndef ONNXBN_FOLD_H
#define ONNXBN_FOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"

/* BN(y) = a·y + t per channel: a = γ/√(σ²+ε), t = β − μ·a. Returns false (with *bad set to the
 * channel) when σ²+ε is not > 0 or a or t is not finite. */
bool onnxbn_fold_affine(int64_t n, const double *gamma, const double *beta, const double *mean,
                        const double *var, double eps, double *a, double *t, int64_t *bad);

/* Which channel element i of a weight belongs to, for every layout the folds meet:
 *   ch(i) = (i / inner) % mid + (blk ? i / (inner·mid·blk) · mid : 0)
 * Conv W (M, C/g, k…), output channel: inner = C/g·k…, mid = M, blk = 0.
 * Conv W, input channel: inner = k…, mid = C/g, blk = M/g (the group of row m is m / (M/g)).
 * ConvTranspose W (C, M/g, k…), output channel: inner = k…, mid = M/g, blk = C/g.
 * Gemm/MatMul B (K, N): column: inner = 1, mid = N; row: inner = N, mid = K. */
typedef struct onnxbn_chmap {
    int64_t inner, mid, blk;
} onnxbn_chmap;

static inline int64_t onnxbn_chmap_at(const onnxbn_chmap *m, int64_t i)
{
    int64_t c = (i / m->inner) % m->mid;
    if (m->blk)
        c += i / (m->inner * m->mid * m->blk) * m->mid;
    return c;
}

/* w[i] = w[i] · s[ch(i)]. */
void onnxbn_fold_scale(double *w, int64_t n, const onnxbn_chmap *map, const double *s);

/* The shift of a BN placed after a layer, on that layer's bias:
 * out[i] = a[c]·(cscale·b[i] − μ[c]) + β[c] with c = i % nch; b NULL means 0. */
void onnxbn_fold_bias(int64_t n, int64_t nch, const double *b, double cscale, const double *a,
                      const double *mean, const double *beta, double *out);

/* The shift of a BN placed before a layer, pushed through the layer's weights:
 * out[o] = base[o] + scale · Σ_{i: o(i) = o} w[i]·t[ch(i)], o(i) = (i / oinner) % nout, summed
 * as in twice the precision (exact products, compensated sums: the terms often cancel). `comp`
 * is scratch of nout doubles. */
void onnxbn_fold_shift(const double *w, int64_t n, const onnxbn_chmap *map, const double *t,
                       int64_t oinner, int64_t nout, double scale, const double *base, double *out,
                       double *comp);

/* Rounds v once (to nearest, ties to even) to a floating storage type and stores it as element i
 * of dst (little-endian, as raw_data holds it). Returns false when the stored value is not
 * finite (overflow, or v itself not finite). Types: float, double, float16, bfloat16. */
bool onnxbn_fold_store(onnxbn_dtype dt, void *dst, int64_t i, double v);
bool onnxbn_fold_type_ok(onnxbn_dtype dt);
uint16_t onnxbn_fold_to_half(double v);
uint16_t onnxbn_fold_to_bf16(double v);

#endif
