/* SPDX-License-Identifier: Apache-2.0 */
/* conv.c — Conv (versions 1, 11) and ConvTranspose (1, 11) on float: attributes, padding rules and
 * shape inference, then the path per node (docs/architecture.md) or SGEMM + col2im (ConvTranspose). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/depthwise.h"
#include "kernels/gconv.h"
#include "kernels/gemm.h"
#include "kernels/pointwise.h"
#include "kernels/winograd.h"
#include "op.h"
#include "ops/autopad.h"
#include "ops/conv_taps.h"
#include "threadpool.h"

static const onnxbn_attr_spec conv_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"dilations", ONNXBN_ATTR_INTS, false, 1, 0},
    {"group", ONNXBN_ATTR_INT, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, false, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec convt_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"dilations", ONNXBN_ATTR_INTS, false, 1, 0},
    {"group", ONNXBN_ATTR_INT, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, false, 1, 0},
    {"output_padding", ONNXBN_ATTR_INTS, false, 1, 0},
    {"output_shape", ONNXBN_ATTR_INTS, false, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

/* Every size and attribute value is kept below 2^31 so that the shape arithmetic below
 * (products of two such values plus a few terms) cannot overflow int64. */
#define BIG INT64_C(0x7fffffff)

/* The GEMM paths work on chunks of the grid: an im2col chunk of about COL_BUDGET floats (768 KiB)
 * is still in L2 when SGEMM reads it, and the output chunk is still hot when the bias is added.
 * A chunk keeps at least MIN_COLS columns so that SGEMM stays efficient on small grids (measured
 * on ResNet/VGG-shaped layers). Both are settable at build time so that the chunked walk can be
 * tested on small shapes. */
#ifndef ONNXBN_CONV_COL_BUDGET
#define ONNXBN_CONV_COL_BUDGET (3 << 16)
#endif
#ifndef ONNXBN_CONV_MIN_COLS
#define ONNXBN_CONV_MIN_COLS 512
#endif
#define COL_BUDGET ((size_t)(ONNXBN_CONV_COL_BUDGET))
/* Winograd F(2x2,3x3) takes 3x3 stride-1 convolutions with at least WINO_MIN_CH input and output
 * channels (below that the transforms cost more than the 2.25x fewer products save) and at least
 * WINO_MIN_TILES 2x2 output tiles an image. Its scratch
 * (transformed input and products, 16·(C+M) floats a tile) is filled a chunk of tile rows at a
 * time, about WINO_BUDGET bytes. */
#ifndef ONNXBN_CONV_WINO_MIN_CH
#define ONNXBN_CONV_WINO_MIN_CH 16
#endif
#ifndef ONNXBN_CONV_WINO_MIN_TILES
#define ONNXBN_CONV_WINO_MIN_TILES 32
#endif
#ifndef ONNXBN_CONV_WINO_BUDGET
#define ONNXBN_CONV_WINO_BUDGET (4 << 20)
#endif
#define MIN_COLS ((size_t)(ONNXBN_CONV_MIN_COLS))
/* The 3-D Winograd path's scratch a thread: its chunk's transformed input slices (all of them),
 * one output slice's point products and a row buffer. */
#ifndef ONNXBN_CONV_WINO3_BUDGET
#define ONNXBN_CONV_WINO3_BUDGET (16 << 20)
#endif

/* A grouped layer takes the wide im2col when one group's padded copy, columns and wide output fit
 * in this many bytes (L2-sized: every layer of ResNeXt and RegNet does). */
#ifndef ONNXBN_CONV_WIDE_BUDGET
#define ONNXBN_CONV_WIDE_BUDGET (1 << 20)
#endif

/* A chunk's GEMM runs in pieces of this many columns, a stop check between them: a multiple of
 * the 1x1 kernel's 48-pixel tile, so that the pieces cut no tile a whole chunk would not. */
#ifndef ONNXBN_CONV_STOP_COLS
#define ONNXBN_CONV_STOP_COLS 192
#endif
#define STOP_COLS ((size_t)(ONNXBN_CONV_STOP_COLS))

/* Threads take whole im2col chunks of at least this many columns rather than share one. */
#ifndef ONNXBN_CONV_CHUNK_MIN_COLS
#define ONNXBN_CONV_CHUNK_MIN_COLS 128
#endif
#define CHUNK_MIN_COLS ((size_t)(ONNXBN_CONV_CHUNK_MIN_COLS))

enum path { PATH_GEMM, PATH_POINTWISE, PATH_DEPTHWISE };
enum { PW_MIN_N = 8 }; /* pixels from which the direct 1x1 kernel beats SGEMM (see configure) */
enum { PW_FIXED_MAX = 4096 }; /* pixels up to which a 1x1 layer splits them a part a thread */

/* The node as run() needs it. Conv: geom.img is the input, geom.grid the output; ConvTranspose:
 * geom.img is the output, geom.grid the input (see kernels/conv.h). */
typedef struct conv_cfg {
    bool transpose;
    int nsp;
    int64_t N, C, M, group, Cg, Mg;
    onnxbn_conv_geom geom;
    size_t ksize, in_sz, out_sz; /* Πkernel, Πinput spatial, Πoutput spatial */
    enum path path;
    size_t chunk_rows, col_floats; /* PATH_GEMM: grid rows per chunk, scratch floats */
    size_t pw_cols;                /* PATH_POINTWISE: output columns per chunk */
    onnxbn_dw_impl dw_impl;        /* PATH_DEPTHWISE: the loop this CPU runs it with */
    /* PATH_POINTWISE: the direct kernel takes the node (else SGEMM), with W packed by prepare
     * (NULL when W is not constant: SGEMM then). PATH_GEMM packs each group's Mg x K rows on
     * their own, group gi at pw_wp + gi·pw_group_floats. */
    bool pw_direct;
    float *pw_wp;
    size_t pw_group_floats;
    /* PATH_GEMM, grouped, 2-D at stride 1 with small images: each group through
     * onnxbn_im2col_wide_f32 whole (padded copy, wide_n columns, wide output), wide_floats of
     * scratch a thread */
    bool wide;
    size_t wide_n, wide_pad, wide_floats;
    /* PATH_GEMM, grouped, 2-D at stride 1 or 2 with W constant, on AVX-512: each group through
     * kernels/gconv.c (its input copied once into stride phases, every tap read in place),
     * gd_floats of scratch a thread; prepare packs group gi's W at gd_wp + gi·gd_group_floats
     * (NULL without prepared state: the paths above then) */
    bool gd;
    onnxbn_gconv_geom gq;
    size_t gd_floats, gd_group_floats;
    float *gd_wp;
    /* PATH_GEMM nodes that Winograd can take: tile geometry, tile rows per chunk, scratch floats
     * (chunk operands plus a row buffer per thread), and the transformed weights, which prepare
     * makes when W is constant (NULL otherwise: the node then runs through im2col). */
    bool wino;
    onnxbn_wino_geom wg;
    size_t wino_rows, wino_floats, wino_rowbuf;
    float *wino_u;
    bool wino_pw; /* wino_u is packed for the direct 1x1 kernel (else plain, for SGEMM) */
    /* Taps that read only padding (ops/conv_taps.h), for a Conv whose W is constant: dropped
     * from the kernel (trim: geom shrunk, W cut at prepare into w_trim), or a PATH_GEMM node run
     * tap by tap (taps_path: W laid out tap-major at prepare into w_taps). keep_taps: run's
     * fallback without prepared state, which has neither. */
    bool keep_taps, trim, taps_path;
    int64_t tap0[ONNXBN_CONV_MAX_SP], korig[ONNXBN_CONV_MAX_SP];
    float *w_trim, *w_taps;
    onnxbn_conv_taps taps;
    /* Winograd on a dilated 3x3 (wino_dil): wg is the geometry of the phases stacked
     * (kernels/conv.h, onnxbn_conv_dil_split_f32) with dil_gap rows between them; the stack and
     * its output take dil_xf and dil_yf floats of scratch before Winograd's own. */
    bool wino_dil;
    size_t dil_gap, dil_xf, dil_yf;
    /* 3-D Conv with a kt×3×3 kernel, spatial stride 1 (wino3): Winograd F(2×2, 3×3) on each
     * depth slice, the kt temporal taps summed inside the point products (K = kt·C). w3g is one
     * slice's geometry at the 3-D channel strides; a chunk of w3_rows tile rows transforms all
     * w3_dp padded input slices it needs once, in a slot of w3_slot floats a thread. w3_u is
     * made by prepare from a constant W (else the node runs through im2col). */
    bool wino3, wino3_pw;
    bool w3_flat; /* kt 1, stride 1, no temporal pads: every slice's tiles in one GEMM */
    onnxbn_wino_geom w3g;
    size_t w3_dp, w3_rows, w3_slot;
    float *w3_u;
} conv_cfg;

static const char *const in_names[] = {"X", "W", "B"};

static const char *op_name(const conv_cfg *g) { return g->transpose ? "ConvTranspose" : "Conv"; }

/* Input types: float runs; the other types the spec allows are refused as unsupported. */
static onnxbn_status check_types(const onnxbn_kctx *c, const conv_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->dtype != ONNXBN_FLOAT) {
        bool allowed = x->dtype == ONNXBN_DOUBLE || x->dtype == ONNXBN_FLOAT16;
        return onnxbn_node_fail(c, allowed ? ONNXBN_ERR_UNSUPPORTED : ONNXBN_ERR_TYPE,
                                "input 'X' ('%s') is %s; %s%s", onnxbn_node_input_name(c->node, 0),
                                onnxbn_dtype_name(x->dtype), op_name(g),
                                allowed ? " is implemented for float only"
                                        : " takes float16, float or double");
    }
    for (int i = 1; i < 3; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        if (t && t->dtype != x->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, expected %s like 'X'",
                                    in_names[i], onnxbn_node_input_name(c->node, i),
                                    onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(x->dtype));
    }
    return ONNXBN_OK;
}

/* An INTS attribute with `want` entries, each in [lo, BIG]; `def` fills it when absent or empty
 * (as some exporters write it). *present tells whether the node had values for it. */
static onnxbn_status get_axes(const onnxbn_kctx *c, const char *name, size_t want, int64_t def,
                              int64_t lo, int64_t *out, bool *present)
{
    const int64_t *v;
    size_t n;
    onnxbn_status st = onnxbn_attr_ints(c, name, &v, &n);
    if (st)
        return st;
    if (present)
        *present = v && n;
    if (!v || !n) {
        for (size_t i = 0; i < want; i++)
            out[i] = def;
        return ONNXBN_OK;
    }
    if (n != want)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' has %zu values, expected %zu",
                                name, n, want);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > BIG)
            return onnxbn_node_fail(c, v[i] < lo ? ONNXBN_ERR_MODEL : ONNXBN_ERR_LIMIT,
                                    "attribute '%s' value %zu is %lld, expected %s%lld", name, i,
                                    (long long)v[i], v[i] < lo ? "at least " : "at most ",
                                    (long long)(v[i] < lo ? lo : BIG));
        out[i] = v[i];
    }
    return ONNXBN_OK;
}

/* floor(t / 2), also for negative t (pads that ConvTranspose derives can be negative). */
static int64_t half_floor(int64_t t) { return t >= 0 ? t / 2 : -((-t + 1) / 2); }

/* Ranks, channel counts, kernel and bias: the part Conv and ConvTranspose share. */
static onnxbn_status check_inputs(const onnxbn_kctx *c, conv_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *w = onnxbn_in(c, 1), *b = onnxbn_in(c, 2);
    char sx[ONNXBN_SHAPE_STR_MAX], sw[ONNXBN_SHAPE_STR_MAX];
    const char *xn = onnxbn_node_input_name(c->node, 0), *wn = onnxbn_node_input_name(c->node, 1);
    onnxbn_status st;
    if (x->rank < 3 || x->rank > 2 + ONNXBN_CONV_MAX_SP)
        return onnxbn_node_fail(c, x->rank < 3 ? ONNXBN_ERR_SHAPE : ONNXBN_ERR_UNSUPPORTED,
                                "input 'X' ('%s') has shape %s; expected N x C x D1 x ... x Dn with 1 to %d spatial axes",
                                xn, onnxbn_shape_str(x, sx, sizeof sx), ONNXBN_CONV_MAX_SP);
    if (w->rank != x->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'W' ('%s') has shape %s, expected rank %d like 'X' %s",
                                wn, onnxbn_shape_str(w, sw, sizeof sw), x->rank,
                                onnxbn_shape_str(x, sx, sizeof sx));
    for (int d = 0; d < x->rank; d++)
        if (x->dims[d] > BIG || w->dims[d] > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "input '%s' has dimension %d of %lld, over %lld",
                                    x->dims[d] > BIG ? "X" : "W", d,
                                    (long long)(x->dims[d] > BIG ? x->dims[d] : w->dims[d]),
                                    (long long)BIG);
    g->nsp = x->rank - 2;
    g->N = x->dims[0];
    g->C = x->dims[1];
    if ((st = onnxbn_attr_int(c, "group", 1, &g->group)))
        return st;
    if (g->group < 1 || g->group > BIG)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'group' is %lld, expected at least 1",
                                (long long)g->group);
    if (!g->transpose) {
        /* W is M x C/group x k1 x ... x kn */
        g->M = w->dims[0];
        if (w->dims[1] * g->group != g->C)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'W' ('%s') has shape %s: %lld input channels per group x group %lld = %lld, but input 'X' ('%s') %s has %lld channels",
                                    wn, onnxbn_shape_str(w, sw, sizeof sw), (long long)w->dims[1],
                                    (long long)g->group, (long long)(w->dims[1] * g->group), xn,
                                    onnxbn_shape_str(x, sx, sizeof sx), (long long)g->C);
        if (g->M % g->group)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'W' ('%s') has %lld output channels, not a multiple of group %lld",
                                    wn, (long long)g->M, (long long)g->group);
    } else {
        /* W is C x M/group x k1 x ... x kn */
        g->M = w->dims[1] * g->group;
        if (w->dims[0] != g->C)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'W' ('%s') has shape %s: %lld input channels, but input 'X' ('%s') %s has %lld",
                                    wn, onnxbn_shape_str(w, sw, sizeof sw), (long long)w->dims[0], xn,
                                    onnxbn_shape_str(x, sx, sizeof sx), (long long)g->C);
        if (g->C % g->group)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'X' ('%s') has %lld channels, not a multiple of group %lld",
                                    xn, (long long)g->C, (long long)g->group);
    }
    g->Cg = g->C / g->group;
    g->Mg = g->M / g->group;
    if (b && (b->rank != 1 || b->dims[0] != g->M))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'B' ('%s') has shape %s, expected [%lld]",
                                onnxbn_node_input_name(c->node, 2), onnxbn_shape_str(b, sx, sizeof sx),
                                (long long)g->M);

    /* The kernel is W's spatial shape; kernel_shape, when given, must agree with it. */
    int64_t ks[ONNXBN_CONV_MAX_SP];
    bool have_ks;
    if ((st = get_axes(c, "kernel_shape", (size_t)g->nsp, 1, 1, ks, &have_ks)))
        return st;
    g->ksize = 1;
    for (int d = 0; d < g->nsp; d++) {
        const int64_t k = w->dims[2 + d];
        if (k < 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'W' ('%s') has shape %s: an empty kernel",
                                    wn, onnxbn_shape_str(w, sw, sizeof sw));
        if (have_ks && ks[d] != k)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "attribute 'kernel_shape' says %lld along spatial axis %d, but input 'W' ('%s') %s has %lld",
                                    (long long)ks[d], d, wn, onnxbn_shape_str(w, sw, sizeof sw),
                                    (long long)k);
        g->geom.k[d] = k;
        if (!onnxbn_mul_size(g->ksize, (size_t)k, &g->ksize))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "input 'W' ('%s') %s: the kernel size overflows",
                                    wn, onnxbn_shape_str(w, sw, sizeof sw));
    }
    g->geom.nsp = g->nsp;
    if ((st = get_axes(c, "strides", (size_t)g->nsp, 1, 1, g->geom.stride, NULL)) ||
        (st = get_axes(c, "dilations", (size_t)g->nsp, 1, 1, g->geom.dil, NULL)))
        return st;
    return ONNXBN_OK;
}

/* Conv: output extent and begin pads per axis. */
static onnxbn_status conv_geometry(const onnxbn_kctx *c, conv_cfg *g, int64_t *out)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int n = g->nsp;
    enum pad_mode mode;
    int64_t pads[2 * ONNXBN_CONV_MAX_SP];
    onnxbn_status st;
    if ((st = onnxbn_get_auto_pad(c, &mode)))
        return st;
    /* With auto_pad set, the pads attribute (which the spec forbids alongside) is ignored. */
    if (mode == PAD_NOTSET && (st = get_axes(c, "pads", 2 * (size_t)n, 0, 0, pads, NULL)))
        return st;
    for (int d = 0; d < n; d++) {
        const int64_t in = x->dims[2 + d], s = g->geom.stride[d];
        const int64_t dk = (g->geom.k[d] - 1) * g->geom.dil[d] + 1;
        int64_t pb = 0, pe = 0;
        if (mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
            /* output = ceil(in / stride); the odd pixel goes to the end (UPPER) or start (LOWER) */
            out[d] = (in + s - 1) / s;
            int64_t total = (out[d] - 1) * s + dk - in;
            if (total < 0)
                total = 0;
            pb = mode == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        } else {
            if (mode == PAD_NOTSET) {
                pb = pads[d];
                pe = pads[n + d];
            }
            if (in + pb + pe < dk)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "spatial axis %d: the kernel spans %lld (size %lld, dilation %lld), larger than the padded input %lld (input 'X' size %lld + pads %lld + %lld)",
                                        d, (long long)dk, (long long)g->geom.k[d],
                                        (long long)g->geom.dil[d], (long long)(in + pb + pe),
                                        (long long)in, (long long)pb, (long long)pe);
            out[d] = (in + pb + pe - dk) / s + 1;
        }
        g->geom.img[d] = in;
        g->geom.grid[d] = out[d];
        g->geom.pad[d] = pb;
    }
    return ONNXBN_OK;
}

/* ConvTranspose: output extent and begin pads per axis, per the spec text of each version. */
static onnxbn_status convt_geometry(const onnxbn_kctx *c, conv_cfg *g, int64_t *out)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int n = g->nsp;
    enum pad_mode mode;
    int64_t pads[2 * ONNXBN_CONV_MAX_SP], opad[ONNXBN_CONV_MAX_SP], oshape[2 + ONNXBN_CONV_MAX_SP];
    const int64_t *os = NULL;
    onnxbn_status st;
    if ((st = onnxbn_get_auto_pad(c, &mode)) ||
        (st = get_axes(c, "output_padding", (size_t)n, 0, 0, opad, NULL)))
        return st;
    if (mode == PAD_NOTSET && (st = get_axes(c, "pads", 2 * (size_t)n, 0, 0, pads, NULL)))
        return st;
    /* output_shape lists the spatial extents, or (as onnxruntime also takes it) the whole shape;
     * an empty list is taken as absent. */
    const int64_t *v;
    size_t nv;
    if ((st = onnxbn_attr_ints(c, "output_shape", &v, &nv)))
        return st;
    if (v && nv) {
        bool full = nv == (size_t)n + 2;
        if (nv != (size_t)n && !full)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "attribute 'output_shape' has %zu values, expected %d (spatial) or %d",
                                    nv, n, n + 2);
        if ((st = get_axes(c, "output_shape", nv, 0, 0, oshape, NULL)))
            return st;
        os = oshape + (full ? 2 : 0);
    }
    for (int d = 0; d < n; d++) {
        const int64_t in = x->dims[2 + d], s = g->geom.stride[d], dl = g->geom.dil[d];
        const int64_t dk = (g->geom.k[d] - 1) * dl + 1;
        if (opad[d] >= s && opad[d] >= dl)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "attribute 'output_padding' is %lld on spatial axis %d; it must be less than the stride (%lld) or the dilation (%lld)",
                                    (long long)opad[d], d, (long long)s, (long long)dl);
        /* The full extent the input spreads to, before any padding is cut off. */
        const int64_t full = s * (in - 1) + opad[d] + dk;
        int64_t pb = 0, pe = 0;
        if (os || mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
            /* Pads derived from a wanted output size (given, or in·stride for SAME). Where the odd
             * pixel goes: ConvTranspose-11 puts it at the end for SAME_UPPER, at the start
             * otherwise; ConvTranspose-1 says the reverse for an explicit output_shape, and for
             * SAME without one, its auto_pad text (end for SAME_UPPER) applies. */
            out[d] = os ? os[d] : in * s;
            const int64_t total = full - out[d];
            bool extra_at_end = mode == PAD_SAME_UPPER;
            if (c->version < 11 && os)
                extra_at_end = mode != PAD_SAME_UPPER;
            pb = extra_at_end ? half_floor(total) : total - half_floor(total);
        } else {
            if (mode == PAD_NOTSET) {
                pb = pads[d];
                pe = pads[n + d];
            }
            out[d] = full - pb - pe;
            if (out[d] < 0)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "spatial axis %d: pads %lld + %lld remove more than the full output extent %lld",
                                        d, (long long)pb, (long long)pe, (long long)full);
        }
        if (out[d] > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "spatial axis %d: output extent %lld is over %lld",
                                    d, (long long)out[d], (long long)BIG);
        g->geom.img[d] = out[d];
        g->geom.grid[d] = in;
        g->geom.pad[d] = pb;
    }
    return ONNXBN_OK;
}

/* A dilated 3x3 (stride 1) as its phases stacked (kernels/conv.h): DeepLab's and FCN's ResNet
 * layers (dilation 2 and 4 on 28x28) then take Winograd like plain ones. Only when every axis'
 * size, output and pads divide by its dilation (each phase then the same plain 3x3), with at
 * most 64 phases and sizes that cannot overflow. */
static bool dil_configure(conv_cfg *g)
{
    const onnxbn_conv_geom *q = &g->geom;
    int64_t p[2], pe[2];
    for (int d = 0; d < 2; d++) {
        const int64_t dl = q->dil[d];
        if (q->img[d] % dl || q->grid[d] % dl || q->pad[d] % dl || q->pad[d] < 0)
            return false;
        p[d] = q->pad[d] / dl;
        /* grid/d = img/d + p + pe - 2 */
        pe[d] = q->grid[d] / dl - q->img[d] / dl - p[d] + 2;
        if (pe[d] < 0)
            return false;
    }
    if (q->dil[0] * q->dil[1] > 64)
        return false;
    const size_t gap = (size_t)(p[0] > pe[0] ? p[0] : pe[0]);
    size_t rin, rout, xf, yf;
    onnxbn_conv_dil_rows(q, gap, &rin, &rout);
    if (!onnxbn_mul_size(rin, (size_t)(q->img[1] / q->dil[1]), &xf) ||
        !onnxbn_mul_size(xf, (size_t)g->Cg, &xf) ||
        !onnxbn_mul_size(rout, (size_t)(q->grid[1] / q->dil[1]), &yf) ||
        !onnxbn_mul_size(yf, (size_t)g->M, &yf) || xf > BIG * 16 || yf > BIG * 16)
        return false;
    g->dil_gap = gap;
    g->dil_xf = (xf + 15) / 16 * 16; /* Winograd's scratch after them stays 64-byte aligned */
    g->dil_yf = (yf + 15) / 16 * 16;
    g->wg = (onnxbn_wino_geom){.H = (int64_t)rin, .W = q->img[1] / q->dil[1], .OH = (int64_t)rout,
                               .OW = q->grid[1] / q->dil[1], .pt = p[0], .pl = p[1]};
    return true;
}

/* Everything infer and prepare need: checks, output shape, path and scratch size. */
/* Marks a PATH_GEMM Conv that Winograd can take and sizes its chunks; sizes that would overflow
 * simply stay on im2col. */
static void wino_configure(const onnxbn_kctx *c, conv_cfg *g)
{
    const onnxbn_conv_geom *q = &g->geom;
    g->wino = false;
    if (g->nsp != 2 || g->group != 1 || g->Cg < ONNXBN_CONV_WINO_MIN_CH ||
        g->M < ONNXBN_CONV_WINO_MIN_CH)
        return;
    for (int d = 0; d < 2; d++)
        if (q->k[d] != 3 || q->stride[d] != 1)
            return;
    onnxbn_wino_geom *w = &g->wg;
    *w = (onnxbn_wino_geom){.H = q->img[0], .W = q->img[1], .OH = q->grid[0], .OW = q->grid[1],
                            .pt = q->pad[0], .pl = q->pad[1]};
    g->wino_dil = q->dil[0] > 1 || q->dil[1] > 1;
    if (g->wino_dil && !dil_configure(g)) {
        g->wino_dil = false;
        return;
    }
    w->TH = (w->OH + 1) / 2;
    w->TW = (w->OW + 1) / 2;
    /* With few tiles an image the 16 SGEMMs are too thin to pay (ResNet's 7x7 layers, 16 tiles,
     * measured slower than im2col); its 14x14 layers (49 tiles) gain. */
    if (w->TH * w->TW < ONNXBN_CONV_WINO_MIN_TILES)
        return;
    const size_t threads = c->threads > 1 ? (size_t)c->threads : 1;
    size_t per_row, rows, chunk, bufs;
    if (w->TH < 1 || !onnxbn_mul_size(16 * (size_t)(g->Cg + g->M), (size_t)w->TW, &per_row) ||
        per_row > ONNXBN_CONV_WINO_BUDGET / sizeof(float))
        return;
    rows = ONNXBN_CONV_WINO_BUDGET / sizeof(float) / per_row;
    if (rows < 1)
        rows = 1;
    if (rows > (size_t)w->TH)
        rows = (size_t)w->TH;
    /* rows·TW ≤ the budget, so neither product below can overflow */
    chunk = per_row * rows;
    bufs = onnxbn_wino_rowbuf_floats(w, rows) * threads;
    g->wino = true;
    g->wino_rows = rows;
    g->wino_rowbuf = onnxbn_wino_rowbuf_floats(w, rows);
    g->wino_floats = chunk + bufs;
}

/* Marks a 3-D Conv with a kt×3×3 kernel at spatial stride 1 for Winograd by slices (wino3) and
 * sizes its slots. Output slice t is Σ over temporal taps j of a 2-D 3×3 conv of input slice
 * t·st + j − pad: each input slice is transformed once per chunk of tile rows, the kt slices an
 * output slice reads lie one after the other in the transformed chunk (padding slices as zeros),
 * so the 16 point products are single GEMMs with K = kt·C over them, 2.25x fewer multiplications
 * than im2col's. Same channel and tile minimums as the 2-D path. */
static void wino3_configure(const onnxbn_kctx *c, conv_cfg *g)
{
    const onnxbn_conv_geom *q = &g->geom;
    g->wino3 = false;
    if (g->transpose || g->nsp != 3 || g->group != 1 || g->Cg < ONNXBN_CONV_WINO_MIN_CH ||
        g->M < ONNXBN_CONV_WINO_MIN_CH || q->dil[0] != 1)
        return;
    for (int d = 1; d < 3; d++)
        if (q->k[d] != 3 || q->stride[d] != 1 || q->dil[d] != 1)
            return;
    onnxbn_wino_geom *w = &g->w3g;
    *w = (onnxbn_wino_geom){.H = q->img[1], .W = q->img[2], .OH = q->grid[1], .OW = q->grid[2],
                            .pt = q->pad[1], .pl = q->pad[2]};
    w->TH = (w->OH + 1) / 2;
    w->TW = (w->OW + 1) / 2;
    w->xcs = (size_t)q->img[0] * (size_t)(w->H * w->W);
    w->ycs = (size_t)q->grid[0] * (size_t)(w->OH * w->OW);
    /* A 1×3×3 kernel over every slice (no temporal stride or pads) is the same 2-D conv on each
     * slice: on images with too few tiles for a GEMM of their own the slices' tiles go side by
     * side (w3_flat), so that the GEMMs are wide (mc3_18's last layers: 16 tiles a slice, 256
     * over 16 slices; 39 -> 33 ms against im2col). With enough tiles a slice, slice by slice
     * measured faster (a larger V chunk per GEMM: 60 against 63-70 ms on 64->144 at 56x56). */
    g->w3_flat = q->k[0] == 1 && q->stride[0] == 1 && q->pad[0] == 0 &&
                 q->grid[0] == q->img[0] && w->TH * w->TW < ONNXBN_CONV_WINO_MIN_TILES;
    const int64_t tiles = w->TH * w->TW * (g->w3_flat ? q->grid[0] : 1);
    if (w->TH < 1 || tiles < ONNXBN_CONV_WINO_MIN_TILES || q->grid[0] < 1)
        return;
    /* padded input slices the output reads: (OD − 1)·st + kt, each below 2^31; flat: all D */
    const size_t dp = (size_t)((q->grid[0] - 1) * q->stride[0] + q->k[0]);
    const size_t C = (size_t)g->Cg, M = (size_t)g->M, TW = (size_t)w->TW;
    const size_t per_p = g->w3_flat ? dp : 1; /* slices of P a chunk holds */
    const size_t cap = ONNXBN_CONV_WINO3_BUDGET / sizeof(float);
    size_t vrow, prow, per_row;
    if (!onnxbn_mul_size(16 * dp, C * TW, &vrow) || !onnxbn_mul_size(16 * M * per_p, TW, &prow) ||
        (per_row = vrow + prow) < vrow || per_row > cap)
        return;
    /* at least two of the direct kernel's 48-pixel tiles a GEMM where the budget allows, and
     * with several threads at least one chunk each */
    size_t rows = (96 + TW * per_p - 1) / (TW * per_p);
    const size_t nth = c->threads > 1 ? (size_t)c->threads : 1;
    if (rows > ((size_t)w->TH + nth - 1) / nth)
        rows = ((size_t)w->TH + nth - 1) / nth;
    while (rows > 1 && per_row * rows + onnxbn_wino_rowbuf_floats(w, rows) > cap)
        rows--;
    if (rows < 1 || per_row * rows + onnxbn_wino_rowbuf_floats(w, rows) > cap)
        return;
    /* chunks in a multiple of the threads where a size down to half this one gives it (28 tile
     * rows in 7 chunks left one of two threads idle for a seventh of the layer) */
    for (size_t r = rows; nth > 1 && r > rows / 2 && r >= 1; r--)
        if ((((size_t)w->TH + r - 1) / r) % nth == 0) {
            rows = r;
            break;
        }
    g->wino3 = true;
    g->w3_dp = dp;
    g->w3_rows = rows;
    g->w3_slot = per_row * rows + onnxbn_wino_rowbuf_floats(w, rows);
}

/* Marks a grouped PATH_GEMM Conv for the wide im2col (kernels/conv.h) and sizes its scratch. Per
 * output row the row-wise im2col makes a copy per tap and channel, which on 7x7 to 28x28 images
 * costs more than the group's thin SGEMM (RegNet's and ResNeXt's grouped 3x3 layers ran 2-4x
 * slower than onnxruntime). */
static void wide_configure(conv_cfg *g)
{
    const onnxbn_conv_geom *q = &g->geom;
    g->wide = false;
    if (g->transpose || g->nsp != 2 || g->group < 2 || q->stride[0] != 1 || q->stride[1] != 1)
        return;
    const size_t Hp = (size_t)(q->grid[0] + (q->k[0] - 1) * q->dil[0]);
    const size_t Wp = (size_t)(q->grid[1] + (q->k[1] - 1) * q->dil[1]);
    const size_t n = onnxbn_im2col_wide_cols(q), K = (size_t)g->Cg * g->ksize;
    const size_t cap = ONNXBN_CONV_WIDE_BUDGET / sizeof(float);
    /* every factor is below 2^31 and each product is checked against the budget on the way */
    size_t pad, cols, outs;
    if (!onnxbn_mul_size(Hp, Wp, &pad) || !onnxbn_mul_size(pad, (size_t)g->Cg, &pad) ||
        pad > cap || !onnxbn_mul_size(K, n, &cols) || cols > cap ||
        !onnxbn_mul_size((size_t)g->Mg, n, &outs) || outs > cap || pad + cols + outs > cap)
        return;
    g->wide = true;
    g->wide_n = n;
    g->wide_pad = pad;
    g->wide_floats = pad + cols + outs;
}

/* Marks a grouped PATH_GEMM Conv for kernels/gconv.c when one group's phase planes and wide
 * output fit the wide im2col's budget. It copies a group's input once where the wide im2col copies
 * it kh·kw times more, and takes stride 2 (which had the row-wise im2col, 1.6-3x onnxruntime's
 * time on RegNet's and ResNeXt's first block of each stage) and Mg 4 (ResNeXt's layer1, on
 * 4-row panels instead of half-empty 8-row ones). */
static void gd_configure(conv_cfg *g, bool wconst)
{
    g->gd = false;
    if (g->transpose || !wconst || g->group < 2 || g->nsp != 2 || !onnxbn_gconv_fast() ||
        !onnxbn_gconv_init(&g->gq, &g->geom, (size_t)g->Cg, (size_t)g->Mg))
        return;
    const size_t pl = onnxbn_gconv_planes_floats(&g->gq), out = onnxbn_gconv_out_floats(&g->gq);
    /* each below 2^31 (onnxbn_gconv_init), so the sum cannot overflow */
    if (pl + out > ONNXBN_CONV_WIDE_BUDGET / sizeof(float))
        return;
    g->gd = true;
    g->gd_floats = pl + out;
    g->gd_group_floats = onnxbn_gconv_packed_floats(&g->gq);
}

static onnxbn_status configure(const onnxbn_kctx *c, conv_cfg *g, int64_t *ydims)
{
    onnxbn_status st;
    if ((st = check_types(c, g)) || (st = check_inputs(c, g)))
        return st;
    int64_t *out = ydims + 2;
    if ((st = g->transpose ? convt_geometry(c, g, out) : conv_geometry(c, g, out)))
        return st;
    ydims[0] = g->N;
    ydims[1] = g->M;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    /* Products that an empty batch or channel axis would let overflow unnoticed. */
    g->in_sz = g->out_sz = 1;
    for (int d = 0; d < g->nsp; d++)
        if (!onnxbn_mul_size(g->in_sz, (size_t)x->dims[2 + d], &g->in_sz) ||
            !onnxbn_mul_size(g->out_sz, (size_t)out[d], &g->out_sz))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the spatial sizes overflow");
    const bool wconst = onnxbn_in(c, 1)->data != NULL;
    if (!g->transpose && !g->keep_taps && wconst &&
        (g->trim = onnxbn_conv_trim_taps(&g->geom, g->tap0, g->korig))) {
        g->ksize = 1; /* fewer taps than W's, so no overflow */
        for (int d = 0; d < g->nsp; d++)
            g->ksize *= (size_t)g->geom.k[d];
    }

    bool unit = true; /* 1x1 kernel, stride 1, output exactly over the input */
    for (int d = 0; d < g->nsp; d++)
        unit &= g->geom.k[d] == 1 && g->geom.stride[d] == 1 && g->geom.pad[d] == 0 &&
                out[d] == x->dims[2 + d];
    g->chunk_rows = g->col_floats = 0;
    if (unit) {
        g->path = PATH_POINTWISE;
        g->pw_cols = g->Mg > 0 ? COL_BUDGET / (size_t)g->Mg : g->out_sz;
        if (g->pw_cols < MIN_COLS)
            g->pw_cols = MIN_COLS;
        /* The direct kernel beat OpenBLAS on every MobileNet/EfficientNet 1x1 shape with 8 or
         * more pixels (at 4 and fewer, SGEMM's matrix-vector code wins). */
        g->pw_direct = !g->transpose && g->group == 1 && g->out_sz >= PW_MIN_N &&
                       onnxbn_pw_packed_floats((size_t)g->M, (size_t)g->Cg) && onnxbn_pw_fast();
    } else if (!g->transpose && g->Cg == 1 && g->nsp <= 2) {
        g->path = PATH_DEPTHWISE;
        g->dw_impl = onnxbn_dw_pick(&g->geom);
    } else {
        g->path = PATH_GEMM;
        /* scratch: (channels·Πk) × (rows·L) floats, channels = Cg (Conv) or Mg (ConvTranspose) */
        const size_t K = (size_t)(g->transpose ? g->Mg : g->Cg) * g->ksize;
        const size_t L = (size_t)g->geom.grid[g->nsp - 1];
        const size_t rows = onnxbn_conv_grid_rows(&g->geom);
        size_t per_row, bytes;
        if (!onnxbn_mul_size(K, L, &per_row))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "im2col scratch of %zu x %zu floats overflows", K, L);
        size_t nr = per_row ? COL_BUDGET / per_row : rows;
        if (L && nr < (MIN_COLS + L - 1) / L)
            nr = (MIN_COLS + L - 1) / L;
        if (nr < 1)
            nr = 1;
        if (nr > rows)
            nr = rows;
        g->chunk_rows = nr;
        if (!onnxbn_mul_size(per_row, nr, &g->col_floats) ||
            !onnxbn_mul_size(g->col_floats, sizeof(float), &bytes))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "im2col scratch overflows");
        if (!g->transpose)
            wino_configure(c, g);
        wide_configure(g);
#ifndef ONNXBN_CONV_NO_PW_GEMM
        /* the im2col columns are K rows of contiguous pixels, just what the 1x1 kernel reads */
        /* and per group: a grouped layer's SGEMMs are thin (ResNeXt's Mg of 4 to 32, RegNet's
         * 16) and OpenBLAS pays its set-up on each; the kernel takes them when Mg fills whole
         * panels (at Mg 4, half-empty panels, it measured 1.2x slower than SGEMM) */
        size_t all;
        g->pw_group_floats = onnxbn_pw_packed_floats((size_t)g->Mg, K);
        g->pw_direct = !g->transpose && !g->wino && g->out_sz >= PW_MIN_N &&
                       (g->group == 1 || (size_t)g->Mg % ONNXBN_PW_MR == 0) &&
                       onnxbn_pw_fast() && g->pw_group_floats &&
                       onnxbn_mul_size(g->pw_group_floats, (size_t)g->group, &all) &&
                       all <= SIZE_MAX / sizeof(float);
#endif
        gd_configure(g, wconst);
        if (g->gd)
            g->pw_direct = false; /* the group kernel packs W its own way */
        /* tap by tap when that skips a quarter of the products, or, where Winograd would run
         * (2.25x fewer products), more than 1 - 1/2.25 of them */
        if (!g->transpose && !g->keep_taps && g->group == 1 && wconst &&
            onnxbn_conv_taps_plan(&g->geom, (size_t)g->Cg, (size_t)g->M, g->wino ? 0.44 : 0.75,
                                  &g->taps)) {
            g->taps_path = true;
            g->wino = g->wide = g->pw_direct = false;
            g->col_floats = g->taps.slot_floats;
        }
        if (!g->taps_path && wconst) {
            wino3_configure(c, g);
            if (g->wino3)
                g->pw_direct = false; /* im2col runs only without prepared state: SGEMM then */
        }
    }
    return ONNXBN_OK;
}

static onnxbn_status infer_common(onnxbn_kctx *c, bool transpose)
{
    conv_cfg g;
    int64_t ydims[2 + ONNXBN_CONV_MAX_SP];
    memset(&g, 0, sizeof g);
    g.transpose = transpose;
    onnxbn_status st = configure(c, &g, ydims);
    if (st)
        return st;
    if ((st = onnxbn_tensor_set_shape(onnxbn_out(c, 0), ONNXBN_FLOAT, 2 + g.nsp, ydims, c->err)))
        return st;
    /* one im2col buffer per thread, so that threads can take whole chunks */
    size_t slots = g.path == PATH_GEMM && !transpose ? (size_t)c->threads : 1;
    if (!onnxbn_mul_size(g.col_floats * sizeof(float), slots, &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "im2col scratch overflows");
    /* the wide im2col: a slot a thread, each under the budget */
    if (g.wide && g.wide_floats * sizeof(float) * slots > c->workspace)
        c->workspace = g.wide_floats * sizeof(float) * slots;
    if (g.gd && g.gd_floats * sizeof(float) * slots > c->workspace)
        c->workspace = g.gd_floats * sizeof(float) * slots;
    /* Winograd runs only when prepare could transform W; the im2col fallback keeps its scratch */
    const size_t wino_all = g.wino_floats + g.dil_xf + g.dil_yf; /* the stacked phases first */
    if (g.wino && onnxbn_in(c, 1)->data && wino_all * sizeof(float) > c->workspace)
        c->workspace = wino_all * sizeof(float);
    if (g.wino3) { /* a slot a thread (configure checked a slot against the budget) */
        size_t w3;
        if (!onnxbn_mul_size(g.w3_slot * sizeof(float), (size_t)(c->threads > 1 ? c->threads : 1), &w3))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "Winograd scratch overflows");
        if (w3 > c->workspace)
            c->workspace = w3;
    }
    return ONNXBN_OK;
}

static onnxbn_status conv_infer(onnxbn_kctx *c) { return infer_common(c, false); }
static onnxbn_status convt_infer(onnxbn_kctx *c) { return infer_common(c, true); }

static void conv_free_state(void *state)
{
    conv_cfg *g = state;
    if (g) {
        free(g->wino_u);
        free(g->pw_wp);
        free(g->gd_wp);
        free(g->w_trim);
        free(g->w_taps);
        free(g->w3_u);
    }
    free(g);
}

/* W cut to the live taps (trim) and/or laid out for the tap path; *w then points at what
 * the rest of prepare packs. */
static onnxbn_status prepare_taps(onnxbn_kctx *c, conv_cfg *g, const float **w)
{
    if (!*w || (!g->trim && !g->taps_path))
        return ONNXBN_OK;
    const size_t n = (size_t)g->M * (size_t)g->Cg * g->ksize; /* at most W's own size */
    if (g->trim) {
        if (!(g->w_trim = malloc(n * sizeof(float))))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the live taps of W (%zu bytes)",
                                    n * sizeof(float));
        onnxbn_conv_slice_taps(*w, (size_t)g->M * (size_t)g->Cg, g->nsp, g->korig, g->tap0,
                               g->geom.k, g->w_trim);
        *w = g->w_trim;
    }
    if (g->taps_path && !(g->w_taps = onnxbn_conv_taps_weights(&g->taps, *w, &g->geom)))
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the tap-major W (about %zu bytes)",
                                n * sizeof(float));
    return ONNXBN_OK;
}

/* wino3's weights: U[p][m][j·C + c] = (G·w[m][c][j]·Gᵀ)[p] for temporal tap j, so that one
 * point's M × kt·C matrix meets the kt transformed slices stacked in K; packed for the direct
 * 1x1 kernel where it runs fast (as the 2-D path's). */
static onnxbn_status wino3_prepare(onnxbn_kctx *c, conv_cfg *g, const float *w)
{
    const size_t M = (size_t)g->M, C = (size_t)g->Cg, kt = (size_t)g->geom.k[0], K = kt * C;
    const size_t pk = onnxbn_pw_fast() ? onnxbn_pw_packed_floats(M, K) : 0;
    /* one output channel and tap at a time through small buffers, so that opening holds U and
     * its packed form at most (mc3_18's 512x512 layers: a whole-W transform's buffers were 60 MB
     * of peak RSS) */
    float *u = malloc(16 * M * K * sizeof(float)), *tw = malloc(9 * C * sizeof(float));
    float *tu = malloc(16 * C * sizeof(float));
    if (!u || !tw || !tu) {
        free(u), free(tw), free(tu);
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the Winograd weights (%zu bytes)",
                                16 * M * K * sizeof(float));
    }
    for (size_t m = 0; m < M; m++)
        for (size_t j = 0; j < kt; j++) {
            for (size_t ci = 0; ci < C; ci++) /* tap j of channel m's C×kt×3×3 */
                memcpy(tw + ci * 9, w + ((m * C + ci) * kt + j) * 9, 9 * sizeof(float));
            onnxbn_wino_weights_f32(tw, 1, C, tu);
            for (size_t pt = 0; pt < 16; pt++)
                memcpy(u + (pt * M + m) * K + j * C, tu + pt * C, C * sizeof(float));
        }
    free(tw);
    free(tu);
    float *p = pk ? malloc(16 * pk * sizeof(float)) : NULL;
    if (p) {
        for (size_t pt = 0; pt < 16; pt++)
            onnxbn_pw_pack(M, K, u + pt * M * K, p + pt * pk);
        free(u);
        u = p;
    }
    g->w3_u = u;
    g->wino3_pw = p != NULL;
    return ONNXBN_OK;
}

static onnxbn_status prepare_common(onnxbn_kctx *c, bool transpose)
{
    int64_t ydims[2 + ONNXBN_CONV_MAX_SP];
    conv_cfg *g = calloc(1, sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    g->transpose = transpose;
    onnxbn_status st = configure(c, g, ydims);
    if (st) {
        free(g);
        return st;
    }
    const float *w = onnxbn_in(c, 1)->data;
    if ((st = prepare_taps(c, g, &w))) {
        conv_free_state(g);
        return st;
    }
    if (g->wino && w) {
        /* 16/9 of W's own size, which the model already holds */
        const size_t M = (size_t)g->M, C = (size_t)g->Cg, mc = M * C;
        g->wino_u = malloc(16 * mc * sizeof(float));
        if (!g->wino_u) {
            free(g);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the Winograd weights (%zu bytes)",
                                    16 * mc * sizeof(float));
        }
        onnxbn_wino_weights_f32(w, M, C, g->wino_u);
        /* The 16 point products are 1x1 convolutions over the tiles: on CPUs where the direct
         * 1x1 kernel runs, U is packed for it (10-15% faster than SGEMM on ResNet's layers). */
        const size_t pk = onnxbn_pw_packed_floats(M, C);
        float *p = onnxbn_pw_fast() && pk ? malloc(16 * pk * sizeof(float)) : NULL;
        if (p) {
            for (size_t i = 0; i < 16; i++)
                onnxbn_pw_pack(M, C, g->wino_u + i * mc, p + i * pk);
            free(g->wino_u);
            g->wino_u = p;
            g->wino_pw = true;
        }
    }
    if (g->pw_direct && w) {
        /* W's own size again, each group rounded up to whole panels (configure checked the
         * product) */
        const size_t K = (size_t)g->Cg * (g->path == PATH_GEMM ? g->ksize : 1);
        const size_t per = g->path == PATH_GEMM ? g->pw_group_floats
                                                 : onnxbn_pw_packed_floats((size_t)g->M, K);
        const size_t groups = g->path == PATH_GEMM ? (size_t)g->group : 1;
        const size_t rows = (size_t)g->M / groups, n = per * groups;
        g->pw_wp = malloc(n * sizeof(float));
        if (!g->pw_wp) {
            conv_free_state(g);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the packed weights (%zu bytes)",
                                    n * sizeof(float));
        }
        for (size_t gi = 0; gi < groups; gi++)
            onnxbn_pw_pack(rows, K, w + gi * rows * K, g->pw_wp + gi * per);
    }
    if (g->gd && w) {
        /* W's own size again (configure checked Mg fills whole panels) */
        const size_t per = g->gd_group_floats, n = per * (size_t)g->group;
        g->gd_wp = malloc(n * sizeof(float));
        if (!g->gd_wp) {
            conv_free_state(g);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the packed group weights (%zu bytes)",
                                    n * sizeof(float));
        }
        for (size_t gi = 0; gi < (size_t)g->group; gi++)
            onnxbn_gconv_pack(&g->gq, w + gi * per, g->gd_wp + gi * per);
    }
    if (g->wino3 && w && (st = wino3_prepare(c, g, w))) {
        conv_free_state(g);
        return st;
    }
    c->state = g;
    return ONNXBN_OK;
}

static onnxbn_status conv_prepare(onnxbn_kctx *c) { return prepare_common(c, false); }
static onnxbn_status convt_prepare(onnxbn_kctx *c) { return prepare_common(c, true); }

/* rows × n floats at row stride ld: row m = bias[m], or zero. */
static void fill_bias(float *y, const float *bias, size_t rows, size_t n, size_t ld)
{
    for (size_t m = 0; m < rows; m++) {
        float *r = y + m * ld;
        const float b = bias ? bias[m] : 0.0f;
        for (size_t i = 0; i < n; i++)
            r[i] = b;
    }
}

/* rows × n floats at row stride ld: row m += bias[m]. */
static void add_bias(float *y, const float *bias, size_t rows, size_t n, size_t ld)
{
    for (size_t m = 0; m < rows; m++) {
        float *restrict r = y + m * ld;
        const float b = bias[m];
        for (size_t i = 0; i < n; i++)
            r[i] += b;
    }
}

/* rows × n floats at row stride ld: row m = act(row m + bias[m]) (bias may be NULL). The
 * epilogue of every GEMM-shaped piece of a Conv, run while the piece is still in cache. */
static void add_res(float *restrict r, const float *restrict z, float b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        r[i] += b + z[i];
}

static void epilogue(float *y, const float *bias, const float *res, size_t rows, size_t n,
                     size_t ld, onnxbn_act act)
{
    if (res) { /* a fused Add: bias and residual in one pass, then the activation alone */
        for (size_t m = 0; m < rows; m++)
            add_res(y + m * ld, res + m * ld, bias ? bias[m] : 0.0f, n);
        bias = NULL;
    }
    if (act.kind == ONNXBN_ACT_NONE || act.kind >= ONNXBN_ACTK_EXT) {
        if (bias)
            add_bias(y, bias, rows, n, ld);
        /* Sigmoid and the rest: a vectorised row loop per kind (kernels/act.c), in cache still */
        for (size_t m = 0; m < rows && act.kind != ONNXBN_ACT_NONE; m++)
            onnxbn_act_row(y + m * ld, n, act.kind, act.lo, act.hi);
        return;
    }
    /* written out per kind so that each loop vectorises */
    for (size_t m = 0; m < rows; m++) {
        float *restrict r = y + m * ld;
        const float b = bias ? bias[m] : 0.0f;
        if (act.kind == ONNXBN_ACT_RELU) {
            for (size_t i = 0; i < n; i++) {
                const float v = r[i] + b;
                r[i] = v <= 0.0f ? 0.0f : v;
            }
        } else {
            const float lo = act.lo, hi = act.hi;
            for (size_t i = 0; i < n; i++) {
                float v = r[i] + b;
                v = v < lo ? lo : v;
                r[i] = v > hi ? hi : v;
            }
        }
    }
}

/* Rows of output channels are split at multiples of this, so each thread's SGEMM keeps whole
 * register tiles. */
enum { M_ALIGN = 16 };

/* One Conv call as pool tasks. Two shapes of task: a whole chunk (im2col into the thread's own
 * scratch, SGEMM over every output channel, epilogue), used when there are enough chunks to go
 * round; or a block of output channels of one chunk whose columns are already in place. */
typedef struct conv_job {
    const conv_cfg *g;
    const float *xg, *wg, *bg;
    const float *wpg;      /* this group's packed W (PATH_GEMM with the direct kernel), or NULL */
    const float *rg, *res; /* a fused Add's other input: this group's, this image's (or NULL) */
    float *yg, *col;
    onnxbn_act act;
    size_t K, Mg, osz, L, rows;
    /* PATH_GEMM chunk tasks: grid rows per chunk (at most g->chunk_rows) */
    size_t col_floats, chunk_rows;
    /* parallel im2col of one chunk: rows [r0, r0 + nr), input channels in `parts` parts */
    size_t r0, nr, col_parts;
    /* channel-block tasks: columns [j0, j0 + nc) of B (row stride ldb) */
    const float *B;
    size_t ldb, j0, nc, parts;
    /* depthwise: channel blocks */
    const float *x, *bias;
    float *y;
    size_t dw_block, dw_mult;
    /* direct pointwise: output channel parts (pw_msplit) or column spans of pw_span */
    bool pw_msplit;
    size_t pw_span;
    onnxbn_stop *stop; /* checked per im2col chunk (op.h) */
} conv_job;

/* Grid rows [r0, r0 + nr) (nr at most the chunk rows the scratch is sized for): im2col into the
 * thread's own scratch, then all output channels. */
static void do_chunk(const conv_job *j, size_t r0, size_t nr, int thread)
{
    const conv_cfg *g = j->g;
    if (onnxbn_stopped(j->stop))
        return;
    float *col = j->col + (size_t)thread * j->col_floats;
    onnxbn_im2col_f32(&g->geom, (size_t)g->Cg, j->xg, r0, nr, col);
    /* the GEMM in pieces of STOP_COLS columns with a stop check before each, so that a cancel
     * waits for at most one piece, not the whole chunk (under ASan a chunk took 30-60 ms) */
    const size_t n = nr * j->L, piece = n >= 2 * STOP_COLS ? STOP_COLS : n;
    for (size_t c0 = 0; c0 < n; c0 += piece) {
        if (c0 && onnxbn_stopped(j->stop))
            return;
        const size_t nc = n - c0 < piece ? n - c0 : piece, y0 = r0 * j->L + c0;
        const float *rg = j->rg ? j->rg + y0 : NULL;
        if (j->wpg) {
            onnxbn_pw_f32(j->Mg, nc, j->K, j->wpg, col + c0, n, j->bg, rg, j->act.kind, j->act.lo,
                          j->act.hi, j->yg + y0, j->osz);
            continue;
        }
        onnxbn_sgemm(false, false, j->Mg, nc, j->K, 1.0f, j->wg, j->K, col + c0, n, 0.0f,
                     j->yg + y0, j->osz);
        epilogue(j->yg + y0, j->bg, rg, j->Mg, nc, j->osz, j->act);
    }
}

static void chunk_task(void *arg, size_t t, int thread)
{
    const conv_job *j = arg;
    const size_t r0 = t * j->chunk_rows;
    do_chunk(j, r0, j->rows - r0 < j->chunk_rows ? j->rows - r0 : j->chunk_rows, thread);
}

/* Thread t's contiguous block of grid rows, in even chunks: balanced to the row, and the rows a
 * thread writes are the ones the next node (split the same way) reads on that core. */
static void rows_task(void *arg, size_t t, int thread)
{
    const conv_job *j = arg;
    size_t lo, hi;
    onnxbn_split(j->rows, j->parts, t, 1, &lo, &hi);
    if (lo == hi)
        return;
    const size_t n = (hi - lo + j->chunk_rows - 1) / j->chunk_rows, nr = (hi - lo + n - 1) / n;
    for (size_t r0 = lo; r0 < hi; r0 += nr)
        do_chunk(j, r0, hi - r0 < nr ? hi - r0 : nr, thread);
}

/* The pointers of group gi of image (xn, yn). */
static void set_group(conv_job *j, size_t gi, const float *xn, float *yn, const float *w,
                      const float *bias)
{
    const conv_cfg *g = j->g;
    j->xg = xn + gi * (size_t)g->Cg * g->in_sz;
    j->wg = w + gi * j->Mg * j->K;
    j->wpg = g->path == PATH_GEMM && g->pw_wp ? g->pw_wp + gi * g->pw_group_floats : NULL;
    j->bg = bias ? bias + gi * j->Mg : NULL;
    j->yg = yn + gi * j->Mg * j->osz;
    j->rg = j->res ? j->res + gi * j->Mg * j->osz : NULL;
}

/* Grouped: thread t's share of the groups, each whole (every chunk of its rows through the
 * thread's own scratch), so that one call is one pass over the pool instead of a barrier per
 * group, and a group's input, columns and output stay in that core's cache. */
typedef struct group_job {
    conv_job j;
    const float *xn, *w, *bias;
    float *yn;
} group_job;

/* One group through the wide im2col: its padded copy and columns, the GEMM into a wide output,
 * then the valid columns of each row into Y with the epilogue. */
static void do_wide(const conv_job *j, int thread)
{
    const conv_cfg *g = j->g;
    if (onnxbn_stopped(j->stop))
        return;
    const size_t n = g->wide_n, OH = (size_t)g->geom.grid[0], OW = (size_t)g->geom.grid[1];
    const size_t Wp = OW + (size_t)((g->geom.k[1] - 1) * g->geom.dil[1]);
    float *pad = j->col + (size_t)thread * g->wide_floats, *col = pad + g->wide_pad;
    float *yw = col + j->K * n;
    onnxbn_im2col_wide_f32(&g->geom, (size_t)g->Cg, j->xg, pad, col);
    if (j->wpg)
        onnxbn_pw_f32(j->Mg, n, j->K, j->wpg, col, n, NULL, NULL, 0, 0.0f, 0.0f, yw, n);
    else
        onnxbn_sgemm(false, false, j->Mg, n, j->K, 1.0f, j->wg, j->K, col, n, 0.0f, yw, n);
    for (size_t m = 0; m < j->Mg; m++)
        for (size_t oh = 0; oh < OH; oh++)
            memcpy(j->yg + m * j->osz + oh * OW, yw + m * n + oh * Wp, OW * sizeof(float));
    epilogue(j->yg, j->bg, j->rg, j->Mg, j->osz, j->osz, j->act);
}

/* One group through kernels/gconv.c: its phase planes, the tiles into a wide output, then the
 * valid columns of each row into Y with the epilogue. */
static void do_gd(const conv_job *j, size_t gi, int thread)
{
    const conv_cfg *g = j->g;
    if (onnxbn_stopped(j->stop))
        return;
    const onnxbn_gconv_geom *q = &g->gq;
    float *pl = j->col + (size_t)thread * g->gd_floats, *yw = pl + onnxbn_gconv_planes_floats(q);
    onnxbn_gconv_phases_f32(q, j->xg, pl);
    onnxbn_gconv_f32(q, g->gd_wp + gi * g->gd_group_floats, pl, yw);
    for (size_t m = 0; m < j->Mg; m++)
        for (size_t oh = 0; oh < q->oh; oh++)
            memcpy(j->yg + m * j->osz + oh * q->ow, yw + m * q->n + oh * q->wq,
                   q->ow * sizeof(float));
    epilogue(j->yg, j->bg, j->rg, j->Mg, j->osz, j->osz, j->act);
}

static void groups_task(void *arg, size_t t, int thread)
{
    const group_job *q = arg;
    conv_job j = q->j;
    size_t lo, hi;
    onnxbn_split((size_t)j.g->group, j.parts, t, 1, &lo, &hi);
    for (size_t gi = lo; gi < hi; gi++) {
        set_group(&j, gi, q->xn, q->yn, q->w, q->bias);
        if (j.g->gd_wp) {
            do_gd(&j, gi, thread);
            continue;
        }
        if (j.g->wide) {
            do_wide(&j, thread);
            continue;
        }
        for (size_t r0 = 0; r0 < j.rows; r0 += j.chunk_rows)
            do_chunk(&j, r0, j.rows - r0 < j.chunk_rows ? j.rows - r0 : j.chunk_rows, thread);
    }
}

static void im2col_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    const conv_cfg *g = j->g;
    size_t lo, hi;
    onnxbn_split((size_t)g->Cg, j->col_parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_im2col_f32(&g->geom, hi - lo, j->xg + lo * g->in_sz, j->r0, j->nr,
                          j->col + lo * g->ksize * j->nr * j->L);
}

static void mblock_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    size_t lo, hi;
    onnxbn_split(j->Mg, j->parts, t, M_ALIGN, &lo, &hi);
    if (lo == hi)
        return;
    float *y = j->yg + lo * j->osz + j->j0;
    if (j->wpg) { /* M_ALIGN is a multiple of the packed panels' ONNXBN_PW_MR */
        onnxbn_pw_f32(hi - lo, j->nc, j->K, j->wpg + lo * j->K, j->B, j->ldb,
                      j->bg ? j->bg + lo : NULL, j->rg ? j->rg + lo * j->osz + j->j0 : NULL,
                      j->act.kind, j->act.lo, j->act.hi, y, j->osz);
        return;
    }
    onnxbn_sgemm(false, false, hi - lo, j->nc, j->K, 1.0f, j->wg + lo * j->K, j->K, j->B, j->ldb,
                 0.0f, y, j->osz);
    epilogue(y, j->bg ? j->bg + lo : NULL, j->rg ? j->rg + lo * j->osz + j->j0 : NULL, hi - lo,
             j->nc, j->osz, j->act);
}

/* Pointwise: task t is column chunk t / parts, channel block t % parts. */
static void pointwise_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    const conv_cfg *g = j->g;
    const size_t j0 = (t / j->parts) * g->pw_cols;
    const size_t nc = j->osz - j0 < g->pw_cols ? j->osz - j0 : g->pw_cols;
    size_t lo, hi;
    onnxbn_split(j->Mg, j->parts, t % j->parts, M_ALIGN, &lo, &hi);
    if (lo == hi)
        return;
    float *y = j->yg + lo * j->osz + j0;
    onnxbn_sgemm(false, false, hi - lo, nc, (size_t)g->Cg, 1.0f, j->wg + lo * (size_t)g->Cg,
                 (size_t)g->Cg, j->xg + j0, g->in_sz, 0.0f, y, j->osz);
    epilogue(y, j->bg ? j->bg + lo : NULL, j->rg ? j->rg + lo * j->osz + j0 : NULL, hi - lo, nc,
             j->osz, j->act);
}

/* Direct pointwise (group 1): task t is part t of the output channels, part t of the pixels
 * (pw_span 0), or column span t. */
static void pw_direct_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    const conv_cfg *g = j->g;
    const size_t K = (size_t)g->Cg;
    size_t m0 = 0, m1 = j->Mg, n0 = 0, n1 = j->osz;
    if (j->pw_msplit) {
        onnxbn_split(j->Mg, j->parts, t, ONNXBN_PW_MR, &m0, &m1);
    } else if (!j->pw_span) { /* part t of the pixels, cut at cache lines */
        onnxbn_split(j->osz, j->parts, t, 16, &n0, &n1);
    } else {
        n0 = t * j->pw_span;
        n1 = j->osz - n0 < j->pw_span ? j->osz : n0 + j->pw_span;
    }
    if (m0 >= m1 || n0 >= n1)
        return;
    onnxbn_pw_f32(m1 - m0, n1 - n0, K, g->pw_wp + m0 * K, j->xg + n0, g->in_sz,
                  j->bg ? j->bg + m0 : NULL, j->rg ? j->rg + m0 * j->osz + n0 : NULL,
                  j->act.kind, j->act.lo, j->act.hi, j->yg + m0 * j->osz + n0, j->osz);
}

/* Output channels [m0, m0 + nm) of a depthwise layer; a fused Add goes in after the kernel, with
 * the activation (the kernel applies its own before it could). */
static void dw_block(const conv_job *j, size_t m0, size_t nm, size_t mult, const float *x, float *y)
{
    const conv_cfg *g = j->g;
    const onnxbn_act none = {ONNXBN_ACT_NONE, 0.0f, 0.0f}, act = j->res ? none : j->act;
    onnxbn_dw_run_f32(g->dw_impl, &g->geom, nm, mult, x, j->wg + m0 * g->ksize,
                      j->bias ? j->bias + m0 : NULL, act.kind, act.lo, act.hi, y);
    if (j->res)
        epilogue(y, NULL, j->res + m0 * j->osz, nm, j->osz, j->osz, j->act);
}

static void depthwise_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    const conv_cfg *g = j->g;
    const size_t m0 = t * j->dw_block, M = (size_t)g->M;
    const size_t nm = M - m0 < j->dw_block ? M - m0 : j->dw_block;
    const float *x = j->x + (m0 / j->dw_mult) * g->in_sz;
    float *y = j->y + m0 * j->osz;
    dw_block(j, m0, nm, j->dw_mult, x, y);
}

/* Depthwise with one output channel a group: part t of the channels on thread t, split as the
 * direct 1x1 kernel splits output channels, so that after an expanding 1x1 layer each thread
 * reads the channels its own core just wrote. */
static void depthwise_fixed_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const conv_job *j = arg;
    const conv_cfg *g = j->g;
    size_t m0, m1;
    onnxbn_split((size_t)g->M, j->parts, t, ONNXBN_PW_MR, &m0, &m1);
    if (m0 < m1)
        dw_block(j, m0, m1 - m0, 1, j->x + m0 * g->in_sz, j->y + m0 * j->osz);
}

/* Winograd: one chunk of tile rows in three phases (input transform by channel blocks, the 16
 * point SGEMMs, output transform by channel blocks), each phase split over the pool. */
typedef struct wino_job {
    const conv_cfg *g;
    const float *x, *bias, *res;
    float *y, *V, *P, *rowbuf;
    size_t r0, nr, nt, parts;
    onnxbn_act act;
} wino_job;

static void wino_in_task(void *arg, size_t t, int thread)
{
    const wino_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->g->Cg, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_wino_input_f32(&j->g->wg, j->x, lo, hi, j->r0, j->nr, j->V,
                              (size_t)j->g->Cg * j->nt, j->rowbuf + (size_t)thread * j->g->wino_rowbuf);
}

static void wino_gemm_task(void *arg, size_t t, int thread)
{
    const wino_job *j = arg;
    const size_t C = (size_t)j->g->Cg, M = (size_t)j->g->M;
    (void)thread;
    if (j->g->wino_pw) {
        onnxbn_pw_f32(M, j->nt, C, j->g->wino_u + t * onnxbn_pw_packed_floats(M, C),
                      j->V + t * C * j->nt, j->nt, NULL, NULL, 0, 0.0f, 0.0f, j->P + t * M * j->nt, j->nt);
        return;
    }
    onnxbn_sgemm(false, false, M, j->nt, C, 1.0f, j->g->wino_u + t * M * C, C, j->V + t * C * j->nt,
                 j->nt, 0.0f, j->P + t * M * j->nt, j->nt);
}

static void wino_out_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const wino_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->g->M, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_wino_output_f32(&j->g->wg, j->P, (size_t)j->g->M * j->nt, lo, hi, j->r0, j->nr,
                               j->bias, j->res, j->act.kind, j->act.lo, j->act.hi, j->y);
}

/* Thread t's block of tile rows, all three phases on that thread in chunks that fit its share of
 * the scratch (slot floats): no barrier between phases, and the tiles it transforms, multiplies
 * and writes back stay in its core's cache. */
typedef struct wino_rows_job {
    const conv_cfg *g;
    const float *x, *bias, *res;
    float *y, *scratch;
    size_t slot, rows, parts;
    onnxbn_act act;
    onnxbn_stop *stop; /* checked per chunk of tile rows (op.h) */
} wino_rows_job;

static void wino_rows_task(void *arg, size_t t, int thread)
{
    const wino_rows_job *r = arg;
    const conv_cfg *g = r->g;
    const size_t TW = (size_t)g->wg.TW, C = (size_t)g->Cg, M = (size_t)g->M;
    size_t lo, hi;
    onnxbn_split((size_t)g->wg.TH, r->parts, t, 1, &lo, &hi);
    if (lo == hi)
        return;
    const size_t n = (hi - lo + r->rows - 1) / r->rows, per = (hi - lo + n - 1) / n;
    float *base = r->scratch + (size_t)thread * r->slot;
    wino_job j = {.g = g, .x = r->x, .bias = r->bias, .res = r->res, .y = r->y, .parts = 1,
                  .act = r->act};
    for (j.r0 = lo; j.r0 < hi && !onnxbn_stopped(r->stop); j.r0 += per) {
        j.nr = hi - j.r0 < per ? hi - j.r0 : per;
        j.nt = j.nr * TW;
        j.V = base;
        j.P = base + 16 * C * j.nt;
        j.rowbuf = j.P + 16 * M * j.nt; /* thread 0's row buffer: this slot's own */
        wino_in_task(&j, 0, 0);
        for (size_t p = 0; p < 16; p++)
            wino_gemm_task(&j, p, 0);
        wino_out_task(&j, 0, 0);
    }
}

static void wino_forward(const conv_cfg *g, const float *x, const float *bias, const float *res,
                         float *y, float *scratch, onnxbn_act act, onnxbn_pool *pool,
                         onnxbn_stop *stop)
{
    const size_t nth = (size_t)onnxbn_pool_threads(pool), TW = (size_t)g->wg.TW;
    const size_t TH = (size_t)g->wg.TH, C = (size_t)g->Cg, M = (size_t)g->M;
    /* Tile rows a block a thread when they divide well (ResNet's 56x56 and 28x28 layers) and
     * each thread's share of the scratch holds a chunk of at least 2 rows; else each phase split
     * over the pool. */
    if (nth > 1 && (TH % nth == 0 || TH >= 8 * nth)) {
        const size_t slot = g->wino_floats / nth, per_row = 16 * (C + M) * TW;
        size_t rows = TH / nth + 1;
        while (rows > 0 && per_row * rows + onnxbn_wino_rowbuf_floats(&g->wg, rows) > slot)
            rows--;
        if (rows >= 2) {
            wino_rows_job r = {.g = g, .bias = bias, .scratch = scratch, .slot = slot,
                               .rows = rows, .parts = nth, .act = act, .stop = stop};
            for (int64_t n = 0; n < g->N; n++) {
                r.x = x + (size_t)n * C * g->in_sz;
                r.y = y + (size_t)n * M * g->out_sz;
                r.res = res ? res + (size_t)n * M * g->out_sz : NULL;
                onnxbn_pool_run_fixed(pool, wino_rows_task, &r);
            }
            return;
        }
    }
    /* a few tasks a thread, so that a slow thread does not hold the others up */
    wino_job j = {.g = g, .bias = bias, .act = act, .parts = nth > 1 ? 4 * nth : 1};
    for (int64_t n = 0; n < g->N; n++) {
        j.x = x + (size_t)n * C * g->in_sz;
        j.y = y + (size_t)n * M * g->out_sz;
        j.res = res ? res + (size_t)n * M * g->out_sz : NULL;
        for (j.r0 = 0; j.r0 < TH && !onnxbn_stopped(stop); j.r0 += g->wino_rows) {
            j.nr = TH - j.r0 < g->wino_rows ? TH - j.r0 : g->wino_rows;
            j.nt = j.nr * TW;
            j.V = scratch;
            j.P = scratch + 16 * C * j.nt;
            j.rowbuf = j.P + 16 * M * j.nt;
            onnxbn_pool_run(pool, j.parts, wino_in_task, &j);
            onnxbn_pool_run(pool, 16, wino_gemm_task, &j);
            onnxbn_pool_run(pool, j.parts, wino_out_task, &j);
        }
    }
}

/* Winograd on a dilated 3x3: per image, the phases stacked, Winograd over the stack (bias, and
 * the activation unless a residual must go in first), the output phases put back. */
static void wino_dil_forward(const conv_cfg *g, const float *x, const float *bias,
                             const float *res, float *y, float *scratch, onnxbn_act act,
                             onnxbn_pool *pool, onnxbn_stop *stop)
{
    conv_cfg t = *g;
    t.N = 1;
    const onnxbn_act none = {ONNXBN_ACT_NONE, 0.0f, 0.0f};
    float *xt = scratch, *yt = scratch + g->dil_xf, *ws = yt + g->dil_yf;
    const size_t C = (size_t)g->C, M = (size_t)g->M;
    for (int64_t n = 0; n < g->N && !onnxbn_stopped(stop); n++) {
        const float *rn = res ? res + (size_t)n * M * g->out_sz : NULL;
        const onnxbn_act after = rn ? act : none;
        onnxbn_conv_dil_split_f32(&g->geom, C, g->dil_gap, x + (size_t)n * C * g->in_sz, xt);
        wino_forward(&t, xt, bias, NULL, yt, ws, rn ? none : act, pool, stop);
        onnxbn_conv_dil_merge_f32(&g->geom, M, g->dil_gap, yt, rn, after.kind, after.lo, after.hi,
                                  y + (size_t)n * M * g->out_sz);
    }
}

/* wino3: one image, chunks of tile rows as pool tasks, each in its thread's slot. */
typedef struct wino3_job {
    const conv_cfg *g;
    const float *x, *bias, *res;
    float *y, *scratch;
    onnxbn_act act;
    onnxbn_stop *stop;
} wino3_job;

/* Tile rows [t·rows, ...) of every output slice: the padded input slices transformed once, then
 * per output slice the 16 point GEMMs over its kt slices and the output transform. */
static void wino3_task(void *arg, size_t t, int thread)
{
    const wino3_job *j = arg;
    const conv_cfg *g = j->g;
    const onnxbn_wino_geom *wg = &g->w3g;
    if (onnxbn_stopped(j->stop))
        return;
    const size_t C = (size_t)g->Cg, M = (size_t)g->M, kt = (size_t)g->geom.k[0], K = kt * C;
    const size_t TH = (size_t)wg->TH, r0 = t * g->w3_rows;
    const size_t nr = TH - r0 < g->w3_rows ? TH - r0 : g->w3_rows, nt = nr * (size_t)wg->TW;
    const size_t dp = g->w3_dp, vstride = dp * C * nt, slice = C * nt;
    const size_t D = (size_t)g->geom.img[0], OD = (size_t)g->geom.grid[0];
    const size_t st = (size_t)g->geom.stride[0], hw = (size_t)(wg->H * wg->W);
    const size_t ohw = (size_t)(wg->OH * wg->OW), pk = onnxbn_pw_packed_floats(M, K);
    float *V = j->scratch + (size_t)thread * g->w3_slot, *P = V + 16 * vstride;
    if (g->w3_flat) { /* V[p][c][d][t], P[p][m][d][t]: one GEMM a point over all D slices */
        onnxbn_wino_geom fg = *wg;
        const size_t wide = D * nt;
        float *rb = P + 16 * M * wide;
        fg.vcs = fg.pcs = wide;
        for (size_t d = 0; d < D; d++)
            onnxbn_wino_input_f32(&fg, j->x + d * hw, 0, C, r0, nr, V + d * nt, vstride, rb);
        if (onnxbn_stopped(j->stop))
            return;
        for (size_t p = 0; p < 16; p++) {
            if (g->wino3_pw)
                onnxbn_pw_f32(M, wide, K, g->w3_u + p * pk, V + p * vstride, wide, NULL, NULL, 0,
                              0.0f, 0.0f, P + p * M * wide, wide);
            else
                onnxbn_sgemm(false, false, M, wide, K, 1.0f, g->w3_u + p * M * K, K,
                             V + p * vstride, wide, 0.0f, P + p * M * wide, wide);
        }
        for (size_t d = 0; d < D; d++)
            onnxbn_wino_output_f32(&fg, P + d * nt, M * wide, 0, M, r0, nr, j->bias,
                                   j->res ? j->res + d * ohw : NULL, j->act.kind, j->act.lo,
                                   j->act.hi, j->y + d * ohw);
        return;
    }
    float *rowbuf = P + 16 * M * nt;
    for (size_t i = 0; i < dp; i++) {
        const int64_t d = (int64_t)i - g->geom.pad[0];
        if (d >= 0 && (size_t)d < D) {
            onnxbn_wino_input_f32(wg, j->x + (size_t)d * hw, 0, C, r0, nr, V + i * slice, vstride,
                                  rowbuf);
            continue;
        }
        for (size_t p = 0; p < 16; p++) /* a padding slice */
            memset(V + p * vstride + i * slice, 0, slice * sizeof(float));
    }
    for (size_t od = 0; od < OD; od++) {
        if (od && onnxbn_stopped(j->stop))
            return;
        const float *B = V + od * st * slice;
        for (size_t p = 0; p < 16; p++) {
            if (g->wino3_pw)
                onnxbn_pw_f32(M, nt, K, g->w3_u + p * pk, B + p * vstride, nt, NULL, NULL, 0, 0.0f,
                              0.0f, P + p * M * nt, nt);
            else
                onnxbn_sgemm(false, false, M, nt, K, 1.0f, g->w3_u + p * M * K, K, B + p * vstride,
                             nt, 0.0f, P + p * M * nt, nt);
        }
        onnxbn_wino_output_f32(wg, P, M * nt, 0, M, r0, nr, j->bias,
                               j->res ? j->res + od * ohw : NULL, j->act.kind, j->act.lo,
                               j->act.hi, j->y + od * ohw);
    }
}

static void wino3_forward(const conv_cfg *g, const float *x, const float *bias, const float *res,
                          float *y, float *scratch, size_t slots, onnxbn_act act,
                          onnxbn_pool *pool, onnxbn_stop *stop)
{
    const size_t C = (size_t)g->Cg, M = (size_t)g->M, TH = (size_t)g->w3g.TH;
    const size_t chunks = (TH + g->w3_rows - 1) / g->w3_rows;
    wino3_job j = {.g = g, .bias = bias, .scratch = scratch, .act = act, .stop = stop};
    for (int64_t n = 0; n < g->N && !onnxbn_stopped(stop); n++) {
        j.x = x + (size_t)n * C * g->in_sz;
        j.y = y + (size_t)n * M * g->out_sz;
        j.res = res ? res + (size_t)n * M * g->out_sz : NULL;
        if (slots >= (size_t)onnxbn_pool_threads(pool)) {
            onnxbn_pool_run(pool, chunks, wino3_task, &j);
            continue;
        }
        for (size_t t = 0; t < chunks; t++) /* fewer slots than threads: one slot, in turn */
            wino3_task(&j, t, 0);
    }
}

static void conv_forward(const conv_cfg *g, const float *x, const float *w, const float *bias,
                         const float *res, float *y, float *col, size_t col_slots,
                         size_t wide_slots, onnxbn_act act, onnxbn_pool *pool, onnxbn_stop *stop)
{
    const size_t Cg = (size_t)g->Cg, Mg = (size_t)g->Mg, K = Cg * g->ksize;
    const size_t rows = onnxbn_conv_grid_rows(&g->geom), L = (size_t)g->geom.grid[g->nsp - 1];
    const size_t osz = g->out_sz;
    const size_t nth = (size_t)onnxbn_pool_threads(pool);
    /* threads share output channels when there are too few chunks to go round */
    const size_t parts = nth > 1 && Mg >= 2 * M_ALIGN ? nth : 1;
    conv_job j = {.g = g, .act = act, .K = K, .Mg = Mg, .osz = osz, .L = L, .rows = rows,
                  .col_floats = g->col_floats, .col = col, .parts = parts, .stop = stop};
    for (int64_t n = 0; n < g->N; n++) {
        const float *xn = x + (size_t)n * (size_t)g->C * g->in_sz;
        float *yn = y + (size_t)n * (size_t)g->M * osz;
        j.res = res ? res + (size_t)n * (size_t)g->M * osz : NULL;
        if (g->path == PATH_DEPTHWISE) {
            /* blocks of whole input channels (~64 KiB of output), several a thread */
            size_t mult = Mg, blk = osz ? (16384 / osz) / mult * mult : (size_t)g->M;
            if (blk < mult)
                blk = mult;
            j.x = xn;
            j.y = yn;
            j.wg = w;
            j.bias = bias;
            j.dw_block = blk;
            j.dw_mult = mult;
            if (nth > 1 && mult == 1 && (size_t)g->M >= 2 * ONNXBN_PW_MR * nth) {
                j.parts = nth;
                onnxbn_pool_run_fixed(pool, depthwise_fixed_task, &j);
                j.parts = parts;
                continue;
            }
            onnxbn_pool_run(pool, ((size_t)g->M + blk - 1) / blk, depthwise_task, &j);
            continue;
        }
        /* whole groups a thread when they divide evenly enough (within an eighth); fewer
         * groups than that split each group's rows below */
        const size_t G = (size_t)g->group;
        if (((g->wide || g->gd_wp) && K > 0 && wide_slots >= nth) ||
            (g->path == PATH_GEMM && K > 0 && nth > 1 && G > 1 && col_slots >= nth &&
             (G % nth == 0 || G >= 8 * nth))) {
            /* the wide path has no other split: a thread each for as many groups as there are */
            group_job q = {.j = j, .xn = xn, .w = w, .bias = bias, .yn = yn};
            q.j.parts = nth;
            q.j.chunk_rows = g->chunk_rows;
            onnxbn_pool_run_fixed(pool, groups_task, &q);
            continue;
        }
        for (int64_t gi = 0; gi < g->group; gi++) {
            set_group(&j, (size_t)gi, xn, yn, w, bias);
            if (K == 0) { /* no input channels: the bias alone */
                fill_bias(j.yg, j.bg, Mg, osz, osz);
                epilogue(j.yg, NULL, j.rg, Mg, osz, osz, act);
                continue;
            }
            if (g->path == PATH_POINTWISE && g->pw_wp) {
                /* Each thread one part, so that it reads what its core wrote: an expanding
                 * layer splits its output channels (the depthwise layer after it takes the
                 * same ones, depthwise_fixed_task; its small input is read whole by both),
                 * another its pixels (the channels of its input come half from each core
                 * either way, and by pixels each thread reads half of them). Too few pixels
                 * for that (7x7): output channels. */
                j.pw_msplit = false;
                j.pw_span = 0;
                j.parts = nth;
                if (nth > 1 && Mg > Cg && Mg >= 2 * ONNXBN_PW_MR * nth) {
                    j.pw_msplit = true;
                    onnxbn_pool_run_fixed(pool, pw_direct_task, &j);
                } else if (nth > 1 && osz >= 64 * nth && osz <= PW_FIXED_MAX) {
                    onnxbn_pool_run_fixed(pool, pw_direct_task, &j);
                } else if (nth > 1 && osz > PW_FIXED_MAX) {
                    /* a large image (MobileNet's 112x112 layer): a few spans a thread, taken
                     * in turn (measured faster for the expanding layer after it) */
                    const size_t tiles = (osz + 31) / 32, want = 4 * nth;
                    j.pw_span = (tiles + want - 1) / want * 32;
                    onnxbn_pool_run(pool, (osz + j.pw_span - 1) / j.pw_span, pw_direct_task, &j);
                } else if (nth > 1) {
                    j.pw_msplit = true;
                    onnxbn_pool_run(pool, nth, pw_direct_task, &j);
                } else {
                    j.pw_span = osz;
                    onnxbn_pool_run(pool, 1, pw_direct_task, &j);
                }
                j.parts = parts;
                continue;
            }
            if (g->path == PATH_POINTWISE) {
                const size_t chunks = (osz + g->pw_cols - 1) / g->pw_cols;
                j.parts = chunks >= 2 * nth ? 1 : parts;
                onnxbn_pool_run(pool, chunks * j.parts, pointwise_task, &j);
                j.parts = parts;
                continue;
            }
            /* Whole chunks a thread when there are enough to go round; with too few, smaller
             * chunks while each keeps CHUNK_MIN_COLS columns (the 1x1 kernel's tiles stay full);
             * else the threads share each chunk: im2col by input channels, then output
             * channels. */
            j.chunk_rows = g->chunk_rows;
            size_t chunks = (rows + j.chunk_rows - 1) / j.chunk_rows;
            if (nth > 1 && chunks < 2 * nth && col_slots >= nth) {
                const size_t nr = (rows + 2 * nth - 1) / (2 * nth);
                if (nr * L >= CHUNK_MIN_COLS) {
                    j.chunk_rows = nr;
                    chunks = (rows + nr - 1) / nr;
                }
            }
            if (nth == 1 || (chunks >= 2 * nth && col_slots >= nth) || parts == 1) {
                /* even chunks also on one thread: 28 rows as 14 + 14, not 19 + 9 (ResNet's
                 * first strided 3x3, 0.86 -> 0.8 ms) */
                if (col_slots >= nth) {
                    j.parts = nth;
                    onnxbn_pool_run_fixed(pool, rows_task, &j);
                    j.parts = parts;
                } else {
                    for (size_t t = 0; t < chunks; t++)
                        chunk_task(&j, t, 0);
                }
                continue;
            }
            for (size_t r0 = 0; r0 < rows && !onnxbn_stopped(stop); r0 += g->chunk_rows) {
                const size_t nr = rows - r0 < g->chunk_rows ? rows - r0 : g->chunk_rows;
                j.r0 = r0;
                j.nr = nr;
                /* one part a thread, the same parts every time: each thread lays out the
                 * input channels it wrote as the previous layer's output channels */
                j.col_parts = Cg >= nth ? nth : 1;
                if (j.col_parts > 1)
                    onnxbn_pool_run_fixed(pool, im2col_task, &j);
                else
                    im2col_task(&j, 0, 0);
                j.B = col;
                j.ldb = nr * L;
                j.j0 = r0 * L;
                j.nc = nr * L;
                if (parts == nth)
                    onnxbn_pool_run_fixed(pool, mblock_task, &j);
                else
                    onnxbn_pool_run(pool, parts, mblock_task, &j);
            }
        }
    }
}

static void convt_forward(const conv_cfg *g, const float *x, const float *w, const float *bias,
                          float *y, float *col)
{
    const size_t Cg = (size_t)g->Cg, Mg = (size_t)g->Mg, K = Mg * g->ksize;
    const size_t rows = onnxbn_conv_grid_rows(&g->geom), L = (size_t)g->geom.grid[g->nsp - 1];
    for (int64_t n = 0; n < g->N; n++) {
        const float *xn = x + (size_t)n * (size_t)g->C * g->in_sz;
        float *yn = y + (size_t)n * (size_t)g->M * g->out_sz;
        /* col2im accumulates, so the output starts as the bias */
        fill_bias(yn, bias, (size_t)g->M, g->out_sz, g->out_sz);
        for (int64_t gi = 0; gi < g->group; gi++) {
            const float *xg = xn + (size_t)gi * Cg * g->in_sz;
            const float *wg = w + (size_t)gi * Cg * K; /* Cg × (Mg·Πk) */
            float *yg = yn + (size_t)gi * Mg * g->out_sz;
            if (g->path == PATH_POINTWISE) {
                onnxbn_sgemm(true, false, Mg, g->in_sz, Cg, 1.0f, wg, Mg, xg, g->in_sz, 1.0f, yg,
                             g->out_sz);
                continue;
            }
            for (size_t r0 = 0; r0 < rows; r0 += g->chunk_rows) {
                const size_t nr = rows - r0 < g->chunk_rows ? rows - r0 : g->chunk_rows;
                onnxbn_sgemm(true, false, K, nr * L, Cg, 1.0f, wg, K, xg + r0 * L, g->in_sz, 0.0f,
                             col, nr * L);
                onnxbn_col2im_f32(&g->geom, Mg, col, r0, nr, yg);
            }
        }
    }
}

static onnxbn_status run_common(onnxbn_kctx *c, bool transpose)
{
    conv_cfg local;
    const conv_cfg *g = c->state;
    if (!g) {
        int64_t ydims[2 + ONNXBN_CONV_MAX_SP];
        memset(&local, 0, sizeof local);
        local.transpose = transpose;
        local.keep_taps = true; /* no prepared (cut) weights */
        onnxbn_status st = configure(c, &local, ydims);
        if (st)
            return st;
        g = &local;
    }
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->numel == 0)
        return ONNXBN_OK;
    /* infer sized the scratch for the path prepare chose */
    ONNXBN_CHECK(!g->col_floats || (c->scratch && c->workspace >= g->col_floats * sizeof(float)),
                 c->err);
    const onnxbn_tensor *b = onnxbn_in(c, 2);
    const float *x = onnxbn_in(c, 0)->data, *w = g->w_trim ? g->w_trim : onnxbn_in(c, 1)->data;
    const float *bias = b ? b->data : NULL;
    const float *res = c->res ? c->res->data : NULL; /* a fused Add (Conv only) */
    if (transpose) {
        convt_forward(g, x, w, bias, y->data, c->scratch);
    } else if (g->taps_path) {
        ONNXBN_CHECK(g->w_taps && c->scratch && c->workspace >= g->col_floats * sizeof(float), c->err);
        onnxbn_conv_taps_run(&g->taps, &g->geom, (size_t)g->N, x, g->w_taps, bias, res, y->data,
                             c->act, c->scratch, c->workspace / (g->col_floats * sizeof(float)),
                             c->pool, c->stop);
    } else if (g->wino_u && g->wino_dil) {
        ONNXBN_CHECK(c->scratch && c->workspace >= (g->wino_floats + g->dil_xf + g->dil_yf) *
                                                       sizeof(float), c->err);
        wino_dil_forward(g, x, bias, res, y->data, c->scratch, c->act, c->pool, c->stop);
    } else if (g->w3_u) {
        ONNXBN_CHECK(c->scratch && c->workspace >= g->w3_slot * sizeof(float), c->err);
        wino3_forward(g, x, bias, res, y->data, c->scratch,
                      c->workspace / (g->w3_slot * sizeof(float)), c->act, c->pool, c->stop);
    } else if (g->wino_u) {
        ONNXBN_CHECK(c->scratch && c->workspace >= g->wino_floats * sizeof(float), c->err);
        wino_forward(g, x, bias, res, y->data, c->scratch, c->act, c->pool, c->stop);
    } else {
        const size_t slots = g->col_floats ? c->workspace / (g->col_floats * sizeof(float)) : 1;
        /* the group kernel's slots when it runs, else the wide im2col's */
        const size_t wide = g->gd_wp  ? c->workspace / (g->gd_floats * sizeof(float))
                            : g->wide ? c->workspace / (g->wide_floats * sizeof(float))
                                      : 0;
        conv_forward(g, x, w, bias, res, y->data, c->scratch, slots, wide, c->act, c->pool,
                     c->stop);
    }
    return ONNXBN_OK;
}

static onnxbn_status conv_run(onnxbn_kctx *c) { return run_common(c, false); }
static onnxbn_status convt_run(onnxbn_kctx *c) { return run_common(c, true); }

const onnxbn_op_def onnxbn_op_conv = {
    .attrs = conv_attrs,
    .infer = conv_infer,
    .prepare = conv_prepare,
    .run = conv_run,
    .free_state = conv_free_state,
};

const onnxbn_op_def onnxbn_op_convtranspose = {
    .attrs = convt_attrs,
    .infer = convt_infer,
    .prepare = convt_prepare,
    .run = convt_run,
    .free_state = conv_free_state,
};
