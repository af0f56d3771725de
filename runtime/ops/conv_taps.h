/* SPDX-License-Identifier: Apache-2.0 */
/* conv_taps.h — Conv without the kernel taps that only ever read padding: dead taps dropped from
 * the kernel, and (2-D) each tap run only over the outputs for which it reads the image. */
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

enum { ONNXBN_TAPS_MAX_K = 16 };

/* A 2-D Conv (group 1) tap by tap: each tap over the rectangle of outputs it is live for (its
 * live ranges along the two axes), the inputs under it gathered (always inside the image, so plain
 * copies) into one SGEMM with that tap's M × C weights, summed into Y. W is read once and only
 * the live (tap, output) pairs are computed. */
typedef struct onnxbn_conv_taps {
    int64_t lo[2][ONNXBN_TAPS_MAX_K], hi[2][ONNXBN_TAPS_MAX_K]; /* live outputs per axis, tap */
    size_t C, M;
    size_t chunk_cap;   /* floats of gathered input a chunk of a tap's outputs may take */
    size_t slot_floats; /* scratch a thread: gathered input, then the chunk's product */
    /* set by onnxbn_conv_taps_weights: each tap's weights packed for the direct 1x1 kernel
     * (kernels/pointwise.h, where it runs fast) or plain M × C, tap_floats apart */
    bool packed;
    size_t tap_floats;
} onnxbn_conv_taps;

/* Plans g (nsp 2, stride any) with C input and M output channels for the tap path; true when
 * the live (tap, output) pairs are at most max_live of all of them, so that the tap path pays. */
bool onnxbn_conv_taps_plan(const onnxbn_conv_geom *g, size_t C, size_t M, double max_live,
                           onnxbn_conv_taps *t);

/* W (M × C × k0 × k1) laid out tap by tap: each tap's M × C matrix, packed for the direct 1x1
 * kernel where it runs fast (no repacking per call: on the small rectangles of the outer taps
 * SGEMM's packing of W costs about as much as the products), else plain. Returns the new buffer
 * (the caller frees it), or NULL when out of memory. */
float *onnxbn_conv_taps_weights(onnxbn_conv_taps *t, const float *w, const onnxbn_conv_geom *g);

/* One Conv call (every image of the batch) on the tap path: y = act(W·x + bias + res), with
 * wt the tap-major weights; scratch holds slots × t->slot_floats floats. */
void onnxbn_conv_taps_run(const onnxbn_conv_taps *t, const onnxbn_conv_geom *g, size_t N,
                          const float *x, const float *wt, const float *bias, const float *res,
                          float *y, onnxbn_act act, float *scratch, size_t slots,
                          onnxbn_pool *pool, onnxbn_stop *stop);

#endif
