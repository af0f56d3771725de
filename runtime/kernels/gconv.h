/* SPDX-License-Identifier: Apache-2.0 */
/* gconv.h — one group of a grouped 2-D convolution without im2col: the group's input copied once
 * into zero-padded stride phases, then a register tile that reads every tap straight from them. */
#ifndef ONNXBN_KERNELS_GCONV_H
#define ONNXBN_KERNELS_GCONV_H

#include "kernels/conv.h"

#include <stdbool.h>
#include <stddef.h>

/* Taps a kernel may have on this path (the tile keeps their offsets on the stack). */
#define ONNXBN_GCONV_MAX_TAPS 64

/* One group's geometry. The padded input of a channel is split into stride[0]·stride[1] phase
 * planes of hq × wq (phase (p, q) holds padded rows p, p + s0, ... and columns q, q + s1, ...),
 * so that tap (a, b) of output pixel (oh, ow) is element (oh + sa, ow + sb) of one phase, and
 * over the output pixels laid out "wide" (column oh·wq + ow, n = (OH − 1)·wq + OW of them) each
 * tap reads one contiguous span of a plane. Columns with ow ≥ OW are computed and dropped. */
typedef struct onnxbn_gconv_geom {
    size_t cg, mg, taps, mr;      /* channels in and out of a group, kh·kw, rows per W panel */
    size_t oh, ow, hq, wq, plane; /* output, phase plane (plane = hq·wq) */
    size_t phases, n;             /* s0·s1 planes a channel; wide output columns */
    size_t tap_off[ONNXBN_GCONV_MAX_TAPS]; /* tap t's start within a channel's planes */
    onnxbn_conv_geom g;
} onnxbn_gconv_geom;

/* Fills q for a 2-D Conv (geometry g, cg input and mg output channels a group) and says whether
 * this path takes it: strides 1 or 2, mg a multiple of 4, at most ONNXBN_GCONV_MAX_TAPS taps, and
 * sizes whose products stay below 2^31. It does not look at the CPU (onnxbn_gconv_fast). */
bool onnxbn_gconv_init(onnxbn_gconv_geom *q, const onnxbn_conv_geom *g, size_t cg, size_t mg);

/* True when this CPU has the AVX-512 tile; elsewhere only the portable loop, slower than the
 * im2col paths, so callers take this path only when this holds. */
bool onnxbn_gconv_fast(void);

/* Floats of the phase planes (cg·phases·plane) and of the wide output (mg·n). */
size_t onnxbn_gconv_planes_floats(const onnxbn_gconv_geom *q);
size_t onnxbn_gconv_out_floats(const onnxbn_gconv_geom *q);

/* Floats of one group's packed W: mg·cg·taps (mg is a multiple of the panel rows). */
size_t onnxbn_gconv_packed_floats(const onnxbn_gconv_geom *q);

/* Packs one group's W (mg × cg·taps, row-major, as ONNX stores it) into panels of q->mr rows:
 * Wp[(p·K + k)·mr + r] = W[(p·mr + r)·K + k], K = cg·taps. */
void onnxbn_gconv_pack(const onnxbn_gconv_geom *q, const float *W, float *Wp);

/* The phase planes of one group's input (cg images of img[0]·img[1] floats), padding as zeros. */
void onnxbn_gconv_phases_f32(const onnxbn_gconv_geom *q, const float *img, float *planes);

/* yw[m][j] = Σ_{c,t} W[m][c·taps + t] · planes[c·phases·plane + tap_off[t] + j], for m < mg and
 * the n wide columns j (row stride n); no bias or activation. Sums run in blocks of about 128
 * terms, added at the end, as the 1x1 kernel's (kernels/pointwise.c says why). */
void onnxbn_gconv_f32(const onnxbn_gconv_geom *q, const float *Wp, const float *planes, float *yw);

/* The same through the portable loop only, so that tests check it on AVX-512 machines too. */
void onnxbn_gconv_portable_f32(const onnxbn_gconv_geom *q, const float *Wp, const float *planes,
                               float *yw);

#endif
