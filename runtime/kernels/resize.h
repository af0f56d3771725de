/* SPDX-License-Identifier: Apache-2.0 */
/* resize.h — Resize's arithmetic with no graph knowledge: per-axis tables of source indices and
 * weights (the ONNX reference's coordinate rules), and the loops that apply them. */
#ifndef ONNXBN_KERNELS_RESIZE_H
#define ONNXBN_KERNELS_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

typedef enum { ONNXBN_RS_NEAREST, ONNXBN_RS_LINEAR, ONNXBN_RS_CUBIC } onnxbn_rs_mode;

typedef enum {
    ONNXBN_RS_HALF_PIXEL,
    ONNXBN_RS_PYTORCH_HALF_PIXEL,
    ONNXBN_RS_ALIGN_CORNERS,
    ONNXBN_RS_ASYMMETRIC,
    ONNXBN_RS_TF_HALF_PIXEL_FOR_NN,
    ONNXBN_RS_TF_CROP_AND_RESIZE
} onnxbn_rs_coord;

/* How `nearest` rounds a source coordinate with a fractional part. SIMPLE is Resize-10's and
 * Upsample's: floor when the axis grows, ceil when it shrinks (as onnxruntime does there). */
typedef enum {
    ONNXBN_RS_ROUND_PREFER_FLOOR,
    ONNXBN_RS_ROUND_PREFER_CEIL,
    ONNXBN_RS_FLOOR,
    ONNXBN_RS_CEIL,
    ONNXBN_RS_SIMPLE
} onnxbn_rs_nearest;

typedef struct onnxbn_rs_params {
    onnxbn_rs_mode mode;
    onnxbn_rs_coord coord;
    onnxbn_rs_nearest nearest;
    double cubic_a;
    bool exclude_outside, antialias;
} onnxbn_rs_params;

/* One axis of a resize: output index o reads input indices idx[k*out + o] (already clamped into
 * [0, in), as the reference's edge padding does) with weights w*[k*out + o], k < taps. Taps are
 * stored tap-major so that a loop over the outputs of a row reads each table contiguously.
 * outside[o] (NULL when no output is) marks tf_crop_and_resize outputs whose source lies outside
 * the input: they get the extrapolation value. nearest has one tap of weight 1. */
typedef struct onnxbn_rs_axis {
    int64_t in, out;
    int taps;
    int32_t *idx;
    float *wf;
    double *wd;
    uint8_t *outside;
    bool identity; /* out == in and output o is input o, exactly: nothing to do on this axis */
} onnxbn_rs_axis;

/* What one axis is resized by. `scale` is the factor of the coordinate rules; `length` is the
 * reference's output_width (scale · in as a real number, used by align_corners and
 * tf_crop_and_resize); roi0/roi1 the axis' region for tf_crop_and_resize. */
typedef struct onnxbn_rs_geom {
    int64_t in, out;
    double scale, length, roi0, roi1;
} onnxbn_rs_geom;

/* Taps one output reads on an axis with this scale (antialias widens the filter when shrinking);
 * -1 when it would exceed `limit`. */
int64_t onnxbn_rs_taps(const onnxbn_rs_params *p, double scale, int64_t limit);

/* Fills *a for one axis (in, out <= INT32_MAX, in >= 1 when out >= 1). False: out of memory. */
bool onnxbn_rs_axis_build(onnxbn_rs_axis *a, const onnxbn_rs_params *p, const onnxbn_rs_geom *g);
/* An axis left as it is (out = in, identity). False: out of memory. */
bool onnxbn_rs_axis_identity(onnxbn_rs_axis *a, int64_t n);
void onnxbn_rs_axis_free(onnxbn_rs_axis *a);

/* Nearest (one tap an axis), any element size: output rows [row_lo, row_hi) (a row is the last
 * axis) of a tensor of rank `rank` with input dims ax[d].in. `ev` is the extrapolation value as
 * one element of the tensor's type. */
void onnxbn_rs_gather(const onnxbn_rs_axis *ax, int rank, size_t es, const void *x, void *y,
                       const void *ev, size_t row_lo, size_t row_hi);

/* Float, separable over the last two axes (h, w): output rows [row_lo, row_hi) of one plane.
 * scratch holds h->taps rows of w->out floats, tags h->taps ints (the input row each holds). */
void onnxbn_rs_2d_f32(const onnxbn_rs_axis *h, const onnxbn_rs_axis *w, const float *x, float *y,
                      int64_t row_lo, int64_t row_hi, float ev, float *scratch, int64_t *tags);

/* One axis in float: x is [outer][a->in][inner], y [outer][a->out][inner]; the last axis
 * (inner 1) is a gather per row, any other a blend of whole contiguous rows. */
void onnxbn_rs_pass_f32(const onnxbn_rs_axis *a, const float *x, float *y, int64_t outer,
                        int64_t inner, float ev);

/* One axis in double: x is [outer][a->in][inner], y [outer][a->out][inner]. */
void onnxbn_rs_pass_f64(const onnxbn_rs_axis *a, const double *x, double *y, int64_t outer,
                        int64_t inner, double ev);

/* v into element i of a buffer of type t: integers truncated toward zero and saturated (NaN is
 * 0), as numpy's astype does for values in range; bool is v != 0. */
void onnxbn_rs_store(onnxbn_dtype t, void *data, int64_t i, double v);

#endif
