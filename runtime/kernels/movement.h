/* SPDX-License-Identifier: Apache-2.0 */
/* movement.h — loops that move elements without looking at them: strided copies (transpose,
 * slice, expand), per-axis coordinate rules (pad, tile), gather and block copies (concat, split). */
#ifndef ONNXBN_KERNELS_MOVEMENT_H
#define ONNXBN_KERNELS_MOVEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* A copy into a dense row-major output of shape dims from a source read with element strides
 * (any sign, 0 to repeat). Made once (axes of size 1 dropped, mergeable axes merged) and then run
 * for each call. Element size es is any number of bytes (1, 2, 4, 8 and 16 are fast). */
typedef struct onnxbn_copy_plan {
    size_t es;
    int rank;
    int64_t numel;
    int64_t dims[ONNXBN_MAX_RANK];
    int64_t strides[ONNXBN_MAX_RANK];
} onnxbn_copy_plan;

/* strides may be NULL for a plain contiguous copy. The source must hold every element addressed. */
void onnxbn_copy_plan_init(onnxbn_copy_plan *p, size_t es, int rank, const int64_t *dims,
                           const int64_t *strides);
/* src points at the element that lands in dst[0]. */
void onnxbn_copy_plan_run(const onnxbn_copy_plan *p, void *dst, const void *src);

/* Strides that read a dense tensor of shape in_dims in the order perm (output axis k is input
 * axis perm[k]). */
void onnxbn_transpose_strides(int rank, const int64_t *in_dims, const int64_t *perm,
                              int64_t *strides);

/* Pad and Tile: output coordinate o of an axis reads input coordinate i = o - shift when it lies
 * in [0, n); outside, the mode decides: FILL takes the fill value, CLAMP the nearest end, REFLECT
 * mirrors about the ends (numpy's reflect, repeating with period 2(n-1)), WRAP takes i mod n. */
enum { ONNXBN_AXIS_FILL, ONNXBN_AXIS_CLAMP, ONNXBN_AXIS_REFLECT, ONNXBN_AXIS_WRAP };

typedef struct onnxbn_axis_rule {
    int mode;
    int64_t shift;
} onnxbn_axis_rule;

/* The input coordinate output coordinate o reads, or -1 for the fill value. An axis of size 0
 * reads nothing: -1 (callers refuse CLAMP/REFLECT/WRAP on it when the output is not empty). */
int64_t onnxbn_axis_source(const onnxbn_axis_rule *r, int64_t o, int64_t n);

/* A copy of a dense input into a dense output of shape out_dims through one rule per axis. The
 * last axis is precomputed as segments (out start, length, source start or -1, source step of
 * 1, 0 or -1), so its rows are memcpy, fills and reversed copies; the other axes are resolved once
 * per row. Memory: 4 int64 per segment, which onnxbn_remap_init counts: at most 3 for FILL and
 * CLAMP, at most about the input row's length for WRAP and REFLECT, whose rows repeat with a
 * period (the first period is written, then copied), never proportional to the output. */
typedef struct onnxbn_remap_plan {
    size_t es;
    int rank;
    int64_t in_dims[ONNXBN_MAX_RANK], out_dims[ONNXBN_MAX_RANK], in_strides[ONNXBN_MAX_RANK];
    onnxbn_axis_rule rule[ONNXBN_MAX_RANK];
    int64_t n_segs, period; /* period 0: the segments cover the whole row */
    const int64_t *segs;
} onnxbn_remap_plan;

/* Fills the plan and counts the segments of the last axis into p->n_segs. */
void onnxbn_remap_init(onnxbn_remap_plan *p, size_t es, int rank, const int64_t *in_dims,
                       const int64_t *out_dims, const onnxbn_axis_rule *rules);
/* Writes the 4·n_segs values into buf, which the plan then reads. */
void onnxbn_remap_segments(onnxbn_remap_plan *p, int64_t *buf);
/* fill: es bytes, read only where a FILL rule takes it. */
void onnxbn_remap_run(const onnxbn_remap_plan *p, void *dst, const void *src, const void *fill);

/* Gather along an axis: data seen as (outer, n, inner), indices already checked to lie in
 * [-n, n-1] (negative counts from the end); out is (outer, n_idx, inner). */
void onnxbn_gather(void *dst, const void *src, size_t es, int64_t outer, int64_t n, int64_t inner,
                   const void *idx, bool idx64, int64_t n_idx);

/* rows blocks of `bytes` bytes from src (row pitch src_pitch) to dst (row pitch dst_pitch). */
void onnxbn_copy_rows(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                      int64_t rows, size_t bytes);

/* n copies of the es-byte value at `value`. */
void onnxbn_fill(void *dst, size_t es, int64_t n, const void *value);

#endif
