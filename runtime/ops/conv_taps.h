/* SPDX-License-Identifier: Apache-2.0 */
/* conv_taps.h — Conv without the kernel taps that only ever read padding: dead taps dropped from
 * the kernel, and (2-D) the output cut into regions that each run only the taps live there. */
#ifndef ONNXBN_OPS_CONV_TAPS_H
#define ONNXBN_OPS_CONV_TAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"
#include "op.h"

/* Along one axis, a tap j is live for the outputs o in [lo_j, hi_j) whose input index
 * o·stride − pad + j·dil falls inside the image. For every o the live taps are contiguous, and so
 * are the taps live for some o; a tap live for no output multiplies padding zeros only. */

/* Drops, along every axis, the taps live for no output: g->k and g->pad shrink to the live taps
 * [first[d], first[d] + g->k[d]); korig[d] keeps the old extent. The outputs are unchanged (the
 * dropped taps added exact zeros). False, with g untouched, when nothing is dropped or when some
 * axis has no live tap at all. */
bool onnxbn_conv_trim_taps(onnxbn_conv_geom *g, int64_t *first, int64_t *korig);

/* W (rows of Πkorig taps, `rows` of them) cut to the taps [first, first + k) of each axis. */
void onnxbn_conv_slice_taps(const float *w, size_t rows, int nsp, const int64_t *korig,
                            const int64_t *first, const int64_t *k, float *out);

/* Bands of one axis: outputs [o0, o1) with the same live taps [j0, j1) (j0 == j1: none). */
enum { ONNXBN_TAPS_MAX_K = 16, ONNXBN_TAPS_MAX_BANDS = 2 * ONNXBN_TAPS_MAX_K + 1 };
typedef struct onnxbn_taps_band {
    int64_t o0, o1, j0, j1;
} onnxbn_taps_band;

/* A 2-D Conv (group 1) by regions: the product of each axis' bands. Each region gathers its live
 * taps' inputs (always inside the image, so plain copies) and runs one SGEMM per kernel row over
 * the weights laid out tap-major (M × k0 × k1 × C, made by onnxbn_conv_taps_weights). */
typedef struct onnxbn_conv_taps {
    int nb[2];
    onnxbn_taps_band band[2][ONNXBN_TAPS_MAX_BANDS];
    size_t C, M;
    size_t chunk_cap;  /* floats of gathered input a chunk of a region may take */
    size_t slot_floats; /* scratch a thread: gathered input, then the chunk's output */
} onnxbn_conv_taps;

/* Plans g (nsp 2, stride any) with C input and M output channels for the region path; true when
 * the live (tap, output) pairs are at most max_live of all of them, so that the regions pay. */
bool onnxbn_conv_taps_plan(const onnxbn_conv_geom *g, size_t C, size_t M, double max_live,
                           onnxbn_conv_taps *t);

/* W (M × C × k0 × k1) into the tap-major layout M × k0 × k1 × C. */
void onnxbn_conv_taps_weights(const float *w, size_t M, size_t C, const onnxbn_conv_geom *g,
                              float *out);

/* One Conv call (every image of the batch) on the region path: y = act(W·x + bias + res), with
 * wt the tap-major weights; scratch holds slots × t->slot_floats floats. */
void onnxbn_conv_taps_run(const onnxbn_conv_taps *t, const onnxbn_conv_geom *g, size_t N,
                          const float *x, const float *wt, const float *bias, const float *res,
                          float *y, onnxbn_act act, float *scratch, size_t slots,
                          onnxbn_pool *pool, onnxbn_stop *stop);

#endif
