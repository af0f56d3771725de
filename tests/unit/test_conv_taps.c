/* SPDX-License-Identifier: Apache-2.0 */
/* test_conv_taps.c — Conv taps that read only padding (ops/conv_taps.h): the trim and the live ranges
 * by hand, then Conv nodes that drop some, all or none of their taps, and dilated 3x3 nodes run by
 * Winograd over their phases, against a double reference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convtest.h"
#include "mkmodel.h"
#include "ops/conv_taps.h"

static onnxbn_conv_geom geom1(int64_t img, int64_t k, int64_t s, int64_t dil, int64_t pb,
                              int64_t pe)
{
    onnxbn_conv_geom g = {.nsp = 1};
    g.img[0] = img;
    g.k[0] = k;
    g.stride[0] = s;
    g.dil[0] = dil;
    g.pad[0] = pb;
    g.grid[0] = (img + pb + pe - ((k - 1) * dil + 1)) / s + 1;
    return g;
}

static void test_trim(void **state)
{
    (void)state;
    int64_t first[1], korig[1];
    /* DeepLab's dilation-36 ASPP conv on a 28-wide map: taps at -36 and +36 never land inside */
    onnxbn_conv_geom g = geom1(28, 3, 1, 36, 36, 36);
    assert_true(onnxbn_conv_trim_taps(&g, first, korig));
    assert_int_equal(g.k[0], 1);
    assert_int_equal(g.pad[0], 0);
    assert_int_equal(first[0], 1);
    assert_int_equal(korig[0], 3);
    assert_int_equal(g.grid[0], 28);
    /* dilation 12: the outer taps read inside for 16 of the 28 outputs, nothing to drop */
    g = geom1(28, 3, 1, 12, 12, 12);
    assert_false(onnxbn_conv_trim_taps(&g, first, korig));
    assert_int_equal(g.k[0], 3);
    assert_int_equal(g.pad[0], 12);
    /* pads only before: the first tap reads o - 8 < 0 for every o < 5, the second o - 4 */
    g = geom1(5, 3, 1, 4, 8, 0);
    assert_int_equal(g.grid[0], 5);
    assert_true(onnxbn_conv_trim_taps(&g, first, korig));
    assert_int_equal(first[0], 1);
    assert_int_equal(g.k[0], 2);
    assert_int_equal(g.pad[0], 4);
    /* stride 2: tap 0 reads 2o - 5 (inside for o = 3, 4), tap 2 reads 2o + 5 (o = 0, 1) */
    g = geom1(9, 3, 2, 5, 5, 5);
    assert_int_equal(g.grid[0], 5);
    assert_false(onnxbn_conv_trim_taps(&g, first, korig));
    /* stride 2, 5 taps of dilation 3 on 7, pads 9 and 6: tap 0 reads 2o - 9 (< 0 for every
     * o <= 4), tap 1 2o - 6 (inside from o = 3), tap 4 2o + 3 (inside for o = 0, 1), so taps
     * 1 .. 4 stay */
    g = geom1(7, 5, 2, 3, 9, 6);
    assert_int_equal(g.grid[0], 5);
    assert_true(onnxbn_conv_trim_taps(&g, first, korig));
    assert_int_equal(first[0], 1);
    assert_int_equal(g.k[0], 4);
    assert_int_equal(g.pad[0], 6);
    /* every output reads padding only (4o - 3 is -3 or 1 on a 1-pixel image): left alone */
    g = geom1(1, 1, 4, 1, 3, 3);
    assert_int_equal(g.grid[0], 2);
    assert_false(onnxbn_conv_trim_taps(&g, first, korig));
}

static void test_slice(void **state)
{
    (void)state;
    /* 2 rows of a 3x4 kernel, value = 100·row + 10·ky + kx; taps ky 1..2, kx 1..2 kept */
    float w[24], out[8];
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                w[(r * 3 + i) * 4 + j] = (float)(100 * r + 10 * i + j);
    const int64_t korig[] = {3, 4}, first[] = {1, 1}, k[] = {2, 2};
    onnxbn_conv_slice_taps(w, 2, 2, korig, first, k, out);
    const float want[] = {11, 12, 21, 22, 111, 112, 121, 122};
    for (int i = 0; i < 8; i++)
        assert_true(out[i] == want[i]);
}

static void test_live_ranges(void **state)
{
    (void)state;
    onnxbn_conv_taps t;
    onnxbn_conv_geom g = {.nsp = 2};
    for (int d = 0; d < 2; d++) {
        g.img[d] = g.grid[d] = 28;
        g.k[d] = 3;
        g.stride[d] = 1;
        g.dil[d] = g.pad[d] = 12;
    }
    /* tap 0 reads o - 12 (outputs 12..27), tap 1 all, tap 2 o + 12 (outputs 0..15) */
    assert_true(onnxbn_conv_taps_plan(&g, 4, 8, 0.75, &t));
    const int64_t want[3][2] = {{12, 28}, {0, 28}, {0, 16}};
    for (int d = 0; d < 2; d++)
        for (int j = 0; j < 3; j++) {
            assert_int_equal(t.lo[d][j], want[j][0]);
            assert_int_equal(t.hi[d][j], want[j][1]);
        }
    /* (16 + 28 + 16)² = 3600 live (tap, output) pairs of 9·784 = 7056: taken at 3/4, not at 1/2 */
    assert_false(onnxbn_conv_taps_plan(&g, 4, 8, 0.5, &t));
    /* stride 2 on 13 (pad 6, dilation 6, 7 outputs): tap 0 reads 2o - 6 (o >= 3), tap 2 reads
     * 2o + 6 (o <= 3) */
    g.img[0] = 13;
    g.grid[0] = 7;
    g.stride[0] = 2;
    g.dil[0] = g.pad[0] = 6;
    assert_true(onnxbn_conv_taps_plan(&g, 4, 8, 0.75, &t));
    const int64_t want2[3][2] = {{3, 7}, {0, 7}, {0, 4}};
    for (int j = 0; j < 3; j++) {
        assert_int_equal(t.lo[0][j], want2[j][0]);
        assert_int_equal(t.hi[0][j], want2[j][1]);
    }
    /* a plain 3x3 (pad 1): 95% of the pairs live, not worth it */
    for (int d = 0; d < 2; d++) {
        g.img[d] = g.grid[d] = 28;
        g.stride[d] = g.dil[d] = g.pad[d] = 1;
    }
    assert_false(onnxbn_conv_taps_plan(&g, 4, 8, 0.75, &t));
}

/* ---- Conv nodes against a double-precision reference ---- */

typedef struct conv_case {
    int64_t N, C, M, H, W, kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;
    bool bias;
    int act;
} conv_case;

static int64_t out_h(const conv_case *k) { return (k->H + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1; }
static int64_t out_w(const conv_case *k) { return (k->W + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1; }

/* ref = act(conv + z), mag = Σ|terms| (bias and z included) per output; every tap, in double. */
static void conv_ref(const conv_case *k, const float *x, const float *w, const float *b,
                     const float *z, double *ref, double *mag)
{
    const int64_t OH = out_h(k), OW = out_w(k);
    for (int64_t n = 0; n < k->N; n++)
        for (int64_t m = 0; m < k->M; m++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    const size_t at = (size_t)(((n * k->M + m) * OH + oh) * OW + ow);
                    double acc = b ? b[m] : 0.0, s = b ? fabs(b[m]) : 0.0;
                    for (int64_t c = 0; c < k->C; c++)
                        for (int64_t i = 0; i < k->kh; i++)
                            for (int64_t j = 0; j < k->kw; j++) {
                                const int64_t ih = oh * k->sh - k->pt + i * k->dh;
                                const int64_t iw = ow * k->sw - k->pl + j * k->dw;
                                if (ih < 0 || ih >= k->H || iw < 0 || iw >= k->W)
                                    continue;
                                const double p = (double)w[((m * k->C + c) * k->kh + i) * k->kw + j] *
                                                 x[((n * k->C + c) * k->H + ih) * k->W + iw];
                                acc += p;
                                s += fabs(p);
                            }
                    if (z) {
                        acc += z[at];
                        s += fabs(z[at]);
                    }
                    ref[at] = act_d(acc, k->act);
                    mag[at] = s;
                }
}

/* Conv (then Relu or Clip, fused) on 1 and 2 threads; W an initializer (taps dropped at plan
 * time) or a graph input when w_fed (every tap run); with resid, a fused Add of graph input Z. */
static void node_case(const conv_case *k, bool w_fed, bool resid)
{
    const int64_t OH = out_h(k), OW = out_w(k);
    const int64_t xd[] = {k->N, k->C, k->H, k->W}, wd[] = {k->M, k->C, k->kh, k->kw};
    const int64_t bd[] = {k->M}, yd[] = {k->N, k->M, OH, OW}, sc[] = {0};
    const size_t nx = (size_t)(k->N * k->C * k->H * k->W), nw = (size_t)(k->M * k->C * k->kh * k->kw);
    const size_t ny = (size_t)(k->N * k->M * OH * OW);
    float *x = fresh(nx, 41), *w = fresh(nw, 42), *b = k->bias ? fresh((size_t)k->M, 43) : NULL;
    float *z = resid ? fresh(ny, 44) : NULL;
    double *ref = malloc(ny * sizeof *ref), *mag = malloc(ny * sizeof *mag);
    assert_true(ref && mag);
    conv_ref(k, x, w, b, z, ref, mag);
    const float lo = CLIP_LO, hi = CLIP_HI;
    const int64_t pads[] = {k->pt, k->pl, k->pb, k->pr}, strides[] = {k->sh, k->sw},
                  dil[] = {k->dh, k->dw};
    for (int threads = 1; threads <= 2; threads++) {
        mk_model *m = mk_new(13);
        mk_input(m, "X", ONNXBN_FLOAT, 4, xd);
        if (w_fed)
            mk_input(m, "W", ONNXBN_FLOAT, 4, wd);
        else
            mk_init_f32(m, "W", 4, wd, w);
        if (b)
            mk_init_f32(m, "B", 1, bd, b);
        const char *out = k->act ? "C" : "Y";
        if (z) {
            mk_input(m, "Z", ONNXBN_FLOAT, 4, yd);
            mk_node_add(m, "Add", "res", "R,Z", out);
            out = "R";
        }
        mk_node *n = mk_node_add(m, "Conv", "conv", b ? "X,W,B" : "X,W", out);
        mk_attr_ints(n, "pads", 4, pads);
        mk_attr_ints(n, "strides", 2, strides);
        mk_attr_ints(n, "dilations", 2, dil);
        if (k->act == ACT_RELU) {
            mk_node_add(m, "Relu", "relu", "C", "Y");
        } else if (k->act == ACT_CLIP) {
            mk_init_f32(m, "lo", 0, sc, &lo);
            mk_init_f32(m, "hi", 0, sc, &hi);
            mk_node_add(m, "Clip", "clip", "C,lo,hi", "Y");
        }
        mk_output(m, "Y", ONNXBN_FLOAT, 4, yd);
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        if (open_threads(m, threads, &s, &err))
            fail_msg("open: %s", err.msg);
        mk_feed feeds[] = {{"X", 0, 4, xd, x}, {"W", 0, 4, wd, w}, {"Z", 0, 4, yd, z}};
        if (!w_fed)
            feeds[1] = feeds[2];
        for (int rep = 0; rep < 2; rep++) /* the second run through the plan the first made */
            if (mk_run(s, (w_fed ? 2 : 1) + (z != NULL), feeds, &err))
                fail_msg("run: %s", err.msg);
        const onnxbn_tensor *t = onnxbn_session_output(s, 0);
        assert_int_equal(onnxbn_tensor_numel(t), (int64_t)ny);
        const float *got = onnxbn_tensor_cdata(t);
        const size_t terms = (size_t)(k->C * k->kh * k->kw) + 1 + (z != NULL);
        for (size_t i = 0; i < ny; i++) {
            const double tol = (double)(terms + 2) * U_F32 * mag[i];
            if (!(fabs((double)got[i] - ref[i]) <= tol))
                fail_msg("Conv %lldx%lld dil %lldx%lld stride %lldx%lld on %lldx%lld, %d threads%s%s: element %zu is %.9g, expected %.9g (tolerance %.3g)",
                         (long long)k->kh, (long long)k->kw, (long long)k->dh, (long long)k->dw,
                         (long long)k->sh, (long long)k->sw, (long long)k->H, (long long)k->W,
                         threads, w_fed ? ", W fed" : "", z ? ", + Z" : "", i, (double)got[i],
                         ref[i], tol);
        }
        onnxbn_session_free(s);
        mk_free(m);
    }
    free(x);
    free(w);
    free(b);
    free(z);
    free(ref);
    free(mag);
}

static void test_conv_nodes(void **state)
{
    (void)state;
    /* N, C, M, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bias, act */
    static const conv_case cases[] = {
        /* centre tap only (ASPP rate 36 on a small map): a 1x1 conv, direct 1x1 kernel */
        {1, 8, 12, 6, 7, 3, 3, 1, 1, 7, 7, 7, 7, 7, 7, true, ACT_RELU},
        {2, 20, 16, 9, 9, 3, 3, 1, 1, 24, 24, 24, 24, 24, 24, true, ACT_NONE},
        /* part of the taps live for part of the output (rate 12 on 14x14): tap by tap */
        {1, 16, 24, 14, 14, 3, 3, 1, 1, 12, 12, 12, 12, 12, 12, true, ACT_CLIP},
        {2, 9, 40, 14, 13, 3, 3, 1, 1, 10, 10, 10, 10, 10, 10, false, ACT_RELU},
        /* stride 2: tap by tap with strided gathers */
        {1, 16, 20, 13, 15, 3, 3, 2, 2, 6, 6, 6, 6, 6, 6, true, ACT_NONE},
        /* stride 2, dead taps at both ends along the width only (trimmed 5 -> 3), then tap by tap */
        {1, 6, 18, 10, 10, 3, 5, 2, 1, 1, 8, 1, 16, 1, 16, true, ACT_RELU},
        /* 3x5 on a 3-wide image, trimmed to 3x3 stride 1 dilation 1 with 16 channels: then
         * Winograd (2/3 of the pairs live, too many for the tap path to beat it) */
        {1, 16, 16, 64, 3, 3, 5, 1, 1, 1, 1, 1, 4, 1, 0, true, ACT_CLIP},
        /* trimmed along the width only, stride 2, then tap by tap */
        {1, 3, 8, 11, 9, 3, 3, 2, 2, 3, 5, 3, 10, 3, 0, false, ACT_NONE},
        /* every tap live (ResNet's dilated layers): left as they were */
        {1, 16, 16, 14, 14, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_RELU},
        /* every output reads padding only: the bias alone, under the activation */
        {1, 4, 6, 1, 1, 1, 1, 4, 4, 1, 1, 3, 3, 3, 3, true, ACT_CLIP},
        /* taps' rectangles cut into row chunks (2048 channels x up to 28 columns a row) */
    };
    /* dilated 3x3 by Winograd over the stacked phases (sizes and pads divide by the dilation):
     * ResNet's dilation 2 and 4, unequal dilations, no pads (no gap between the phases), two
     * images; odd sizes stay on im2col */
    static const conv_case dil[] = {
        {1, 16, 24, 28, 28, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_RELU},
        {1, 16, 16, 16, 16, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, false, ACT_CLIP},
        {1, 16, 20, 12, 15, 3, 3, 1, 1, 2, 3, 2, 3, 2, 3, true, ACT_NONE},
        {2, 16, 16, 16, 16, 3, 3, 1, 1, 2, 2, 0, 0, 0, 0, true, ACT_RELU},
        {1, 16, 16, 15, 15, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_RELU},
    };
    for (size_t i = 0; i < sizeof dil / sizeof dil[0]; i++) {
        node_case(&dil[i], false, false);
        node_case(&dil[i], false, true);
    }
    static const conv_case big = {1, 2048, 8, 28, 28, 3, 3, 1, 1, 12, 12, 12, 12, 12, 12, true, ACT_NONE};
    node_case(&big, false, false);
    node_case(&big, false, true);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_case(&cases[i], false, false);
        node_case(&cases[i], false, true);
        node_case(&cases[i], true, false);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_live_ranges),
        cmocka_unit_test(test_conv_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
