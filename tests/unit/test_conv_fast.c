/* SPDX-License-Identifier: Apache-2.0 */
/* test_conv_fast.c — the depthwise and 1x1 (pointwise) Conv kernels, fast and portable, and the
 * Conv nodes that use them, against a double-precision reference on odd shapes. */
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

#include "kernels/depthwise.h"
#include "kernels/isa.h"
#include "kernels/pointwise.h"
#include "convtest.h"
#include "mkmodel.h"

/* got[i] against ref[i] within (terms + 2)·u·mag[i] (act is 1-Lipschitz, so the bound holds after
 * it too). */
static void expect_close(const char *what, const float *got, const double *ref, const double *mag,
                         size_t n, size_t terms)
{
    for (size_t i = 0; i < n; i++) {
        const double tol = (double)(terms + 2) * U_F32 * mag[i];
        if (!(fabs((double)got[i] - ref[i]) <= tol))
            fail_msg("%s: element %zu is %.9g, expected %.9g (tolerance %.3g)", what, i,
                     (double)got[i], ref[i], tol);
    }
}

/* ---- reference: 2-D convolution, N = 1, in double ---- */

typedef struct conv_case {
    int64_t C, M, group, H, W, kh, kw, sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;
    bool bias;
    int act;
} conv_case;

static int64_t out_h(const conv_case *k) { return (k->H + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1; }
static int64_t out_w(const conv_case *k) { return (k->W + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1; }

/* ref = act(conv), mag = Σ|terms| (bias included) per output. */
static void conv_ref(const conv_case *k, const float *x, const float *w, const float *b,
                     double *ref, double *mag)
{
    const int64_t OH = out_h(k), OW = out_w(k), Cg = k->C / k->group, Mg = k->M / k->group;
    for (int64_t m = 0; m < k->M; m++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double acc = b ? b[m] : 0.0, s = b ? fabs(b[m]) : 0.0;
                for (int64_t ci = 0; ci < Cg; ci++) {
                    const int64_t c = (m / Mg) * Cg + ci;
                    for (int64_t i = 0; i < k->kh; i++)
                        for (int64_t j = 0; j < k->kw; j++) {
                            const int64_t ih = oh * k->sh - k->pt + i * k->dh;
                            const int64_t iw = ow * k->sw - k->pl + j * k->dw;
                            if (ih < 0 || ih >= k->H || iw < 0 || iw >= k->W)
                                continue;
                            const double p = (double)w[((m * Cg + ci) * k->kh + i) * k->kw + j] *
                                             x[(c * k->H + ih) * k->W + iw];
                            acc += p;
                            s += fabs(p);
                        }
                }
                ref[(m * OH + oh) * OW + ow] = act_d(acc, k->act);
                mag[(m * OH + oh) * OW + ow] = s;
            }
}

/* ---- depthwise kernel ---- */

static onnxbn_conv_geom dw_geom(const conv_case *k)
{
    onnxbn_conv_geom g = {.nsp = 2};
    g.img[0] = k->H;
    g.img[1] = k->W;
    g.grid[0] = out_h(k);
    g.grid[1] = out_w(k);
    g.k[0] = k->kh;
    g.k[1] = k->kw;
    g.stride[0] = k->sh;
    g.stride[1] = k->sw;
    g.dil[0] = k->dh;
    g.dil[1] = k->dw;
    g.pad[0] = k->pt;
    g.pad[1] = k->pl;
    return g;
}

/* the level in force, so that under ONNXBN_ISA=avx2 or generic the portable loop is expected */
static bool cpu_avx512(void)
{
    return onnxbn_isa() >= ONNXBN_ISA_AVX512;
}

/* Runs one depthwise case through both loops (portable, and what onnxbn_dw_pick chooses) and
 * checks them against the reference; `fast` says whether the case is one the AVX-512 loop
 * must take on a CPU that has it. */
static void dw_case(const conv_case *k, bool fast)
{
    const onnxbn_conv_geom g = dw_geom(k);
    const size_t mult = (size_t)(k->M / k->C), taps = (size_t)(k->kh * k->kw);
    const size_t osz = (size_t)(out_h(k) * out_w(k)), ny = (size_t)k->M * osz;
    float *x = fresh((size_t)(k->C * k->H * k->W), 11), *w = fresh((size_t)k->M * taps, 12);
    float *b = k->bias ? fresh((size_t)k->M, 13) : NULL, *y = malloc((ny + 1) * sizeof *y);
    double *ref = malloc(ny * sizeof *ref), *mag = malloc(ny * sizeof *mag);
    assert_true(y && ref && mag);
    conv_ref(k, x, w, b, ref, mag);
    const onnxbn_dw_impl picked = onnxbn_dw_pick(&g);
    if (fast && cpu_avx512())
        assert_int_equal(picked, ONNXBN_DW_AVX512);
    const onnxbn_dw_impl impls[] = {ONNXBN_DW_PORTABLE, picked};
    for (int i = 0; i < 2; i++) {
        char what[160];
        snprintf(what, sizeof what,
                 "depthwise %s %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld pads %lld,%lld,%lld,%lld mult %zu act %d",
                 impls[i] == ONNXBN_DW_AVX512 ? "avx512" : "portable", (long long)k->H,
                 (long long)k->W, (long long)k->kh, (long long)k->kw, (long long)k->sh,
                 (long long)k->sw, (long long)k->dh, (long long)k->dw, (long long)k->pt,
                 (long long)k->pl, (long long)k->pb, (long long)k->pr, mult, k->act);
        y[ny] = 12345.0f; /* nothing may be written past the output */
        onnxbn_dw_run_f32(impls[i], &g, (size_t)k->M, mult, x, w, b, k->act, CLIP_LO, CLIP_HI, y);
        expect_close(what, y, ref, mag, ny, taps + 1);
        assert_true(y[ny] == 12345.0f);
    }
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
    free(mag);
}

static void test_depthwise_kernels(void **state)
{
    (void)state;
    /* C, M, group, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bias, act */
    static const conv_case fast[] = {
        {5, 5, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},      /* MobileNet 7x7 */
        {4, 4, 4, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_RELU},    /* 14 -> 7, stride 2 */
        {3, 3, 3, 17, 23, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, ACT_NONE},   /* odd sizes */
        {3, 3, 3, 33, 45, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},    /* odd, stride 2 */
        {2, 2, 2, 9, 40, 3, 3, 1, 2, 1, 1, 0, 0, 0, 0, true, ACT_NONE},     /* pads 0, 3 vectors */
        {2, 2, 2, 11, 37, 3, 3, 2, 1, 1, 1, 0, 1, 2, 1, true, ACT_RELU},    /* asymmetric pads */
        {2, 2, 2, 12, 50, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_NONE},    /* dilation 2 */
        {2, 2, 2, 12, 50, 3, 3, 2, 2, 1, 3, 1, 3, 1, 3, false, ACT_CLIP},   /* dilation 3 across */
        {3, 6, 3, 10, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU},    /* multiplier 2 */
        {2, 6, 2, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_NONE},      /* multiplier 3 */
        {3, 3, 3, 19, 21, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, true, ACT_CLIP},    /* EfficientNet 5x5 */
        {3, 3, 3, 15, 15, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, true, ACT_RELU},    /* 5x5 stride 2 */
        {2, 2, 2, 14, 33, 5, 5, 2, 2, 1, 1, 1, 2, 2, 1, false, ACT_NONE},   /* 5x5 asymmetric */
        {2, 2, 2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_NONE},      /* 1x1 image */
        {2, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, true, ACT_RELU},      /* pads over the image */
        {1, 1, 1, 3, 70, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},     /* 35 wide, stride 2 */
        {3, 3, 3, 8, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, true, ACT_RELU},      /* 8x8: flat, 5x5 */
        {2, 2, 2, 6, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_CLIP},      /* flat, dilation 2 */
        {2, 2, 2, 5, 4, 3, 3, 1, 1, 1, 1, 0, 1, 2, 1, false, ACT_NONE},     /* flat, taller out */
    };
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++)
        dw_case(&fast[i], true);
    /* shapes the fast loop leaves to the portable one: they must still come out right */
    static const conv_case other[] = {
        {2, 2, 2, 13, 16, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, true, ACT_RELU},    /* stride 3 */
        {2, 2, 2, 10, 12, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, true, ACT_NONE},    /* 2x2 */
        {2, 2, 2, 10, 12, 3, 5, 1, 1, 1, 1, 1, 2, 1, 2, true, ACT_CLIP},    /* 3x5 */
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        dw_case(&other[i], false);
}

/* ---- depthwise 7x7 (ConvNeXt): every loop the ISA level allows ---- */

static const char *dw_name(onnxbn_dw_impl i)
{
    switch (i) {
    case ONNXBN_DW_PORTABLE: return "portable";
    case ONNXBN_DW_AVX512: return "avx512";
    case ONNXBN_DW_K7: return "k7 C";
    case ONNXBN_DW_K7_AVX2: return "k7 avx2";
    case ONNXBN_DW_K7_AVX512: return "k7 avx512";
    }
    return "?";
}

/* The 7x7 loop onnxbn_dw_pick must choose at the level in force (x86-64; elsewhere the C one). */
static onnxbn_dw_impl k7_expected(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (onnxbn_isa() >= ONNXBN_ISA_AVX512)
        return ONNXBN_DW_K7_AVX512;
    if (onnxbn_isa() >= ONNXBN_ISA_AVX2)
        return ONNXBN_DW_K7_AVX2;
#endif
    return ONNXBN_DW_K7;
}

/* One case through every loop usable at this level against the reference; k7 says whether the
 * 7x7 loop of the level must be the one picked (else the portable one must). */
static void dw7_case(const conv_case *k, bool k7)
{
    const onnxbn_conv_geom g = dw_geom(k);
    const size_t mult = (size_t)(k->M / k->C), taps = (size_t)(k->kh * k->kw);
    const size_t osz = (size_t)(out_h(k) * out_w(k)), ny = (size_t)k->M * osz;
    float *x = fresh((size_t)(k->C * k->H * k->W), 31), *w = fresh((size_t)k->M * taps, 32);
    float *b = k->bias ? fresh((size_t)k->M, 33) : NULL, *y = malloc((ny + 1) * sizeof *y);
    double *ref = malloc(ny * sizeof *ref), *mag = malloc(ny * sizeof *mag);
    assert_true(y && ref && mag);
    conv_ref(k, x, w, b, ref, mag);
    assert_int_equal(onnxbn_dw_pick(&g), k7 ? k7_expected() : ONNXBN_DW_PORTABLE);
    const onnxbn_dw_impl impls[] = {ONNXBN_DW_PORTABLE, ONNXBN_DW_K7, ONNXBN_DW_K7_AVX2,
                                    ONNXBN_DW_K7_AVX512};
    int ran = 0;
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        if (!onnxbn_dw_usable(impls[i], &g))
            continue;
        char what[160];
        snprintf(what, sizeof what,
                 "depthwise %s %lldx%lld k7 pads %lld,%lld,%lld,%lld mult %zu act %d",
                 dw_name(impls[i]), (long long)k->H, (long long)k->W, (long long)k->pt,
                 (long long)k->pl, (long long)k->pb, (long long)k->pr, mult, k->act);
        for (size_t j = 0; j < ny; j++)
            y[j] = NAN; /* every output must be written */
        y[ny] = 12345.0f; /* nothing may be written past the output */
        onnxbn_dw_run_f32(impls[i], &g, (size_t)k->M, mult, x, w, b, k->act, CLIP_LO, CLIP_HI, y);
        expect_close(what, y, ref, mag, ny, taps + 1);
        assert_true(y[ny] == 12345.0f);
        ran++;
    }
    /* the portable loop, and at least the level's own 7x7 one when it applies */
    assert_true(ran >= (k7 ? 2 : 1));
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
    free(mag);
}

static void test_depthwise_k7(void **state)
{
    (void)state;
    /* C, M, group, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bias, act */
    static const conv_case k7[] = {
        {2, 2, 2, 56, 56, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_NONE},     /* ConvNeXt stage 1 */
        {3, 3, 3, 28, 28, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_RELU},     /* stage 2 */
        {4, 4, 4, 14, 14, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, false, ACT_NONE},    /* stage 3 */
        {5, 5, 5, 7, 7, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_CLIP},       /* stage 4 */
        {2, 2, 2, 13, 37, 7, 7, 1, 1, 1, 1, 1, 2, 4, 0, true, ACT_NONE},     /* odd, asymmetric */
        {2, 2, 2, 10, 12, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_RELU},     /* no padding */
        {2, 2, 2, 2, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_CLIP},       /* pads over the image */
        {1, 1, 1, 1, 1, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_NONE},       /* 1x1 image */
        {2, 4, 2, 9, 20, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_NONE},      /* multiplier 2 */
        {1, 1, 1, 6, 1000, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_RELU},    /* bands of 1 row */
        {1, 1, 1, 9, 300, 7, 7, 1, 1, 1, 1, 5, 9, 0, 2, false, ACT_NONE},    /* pads beyond 3 */
    };
    for (size_t i = 0; i < sizeof k7 / sizeof k7[0]; i++)
        dw7_case(&k7[i], true);
    static const conv_case other[] = {
        {2, 2, 2, 15, 15, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, true, ACT_NONE},     /* stride 2 */
        {2, 2, 2, 20, 20, 7, 7, 1, 1, 2, 2, 6, 6, 6, 6, true, ACT_NONE},     /* dilation 2 */
        {1, 1, 1, 3, 1030, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, true, ACT_NONE},    /* wider than 1024 */
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        dw7_case(&other[i], false);
}

/* ---- pointwise kernel ---- */

/* Y = act(W·X + b) for W M×K, X K×N at row stride ldx, Y at row stride ldy: the fast and the
 * portable kernel against the reference, with the gaps between Y's rows left untouched. */
/* With resid, a residual R (Y's layout) goes in before the activation: a fused Add. */
static void pw_case_r(size_t M, size_t K, size_t N, size_t ldx, size_t ldy, bool bias, int act,
                      bool resid)
{
    float *w = fresh(M * K, 21), *x = fresh(K * ldx, 22), *b = bias ? fresh(M, 23) : NULL;
    float *r = resid ? fresh(M * ldy, 24) : NULL;
    float *wp = malloc(onnxbn_pw_packed_floats(M, K) * sizeof *wp + 1);
    float *y = malloc((M * ldy + 1) * sizeof *y), *yc = malloc(M * N * sizeof *yc);
    double *ref = malloc(M * N * sizeof *ref), *mag = malloc(M * N * sizeof *mag);
    assert_true(wp && y && yc && ref && mag);
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            double acc = b ? b[m] : 0.0, s = b ? fabs(b[m]) : 0.0;
            for (size_t k = 0; k < K; k++) {
                const double p = (double)w[m * K + k] * x[k * ldx + n];
                acc += p;
                s += fabs(p);
            }
            if (r) {
                acc += r[m * ldy + n];
                s += fabs(r[m * ldy + n]);
            }
            ref[m * N + n] = act_d(acc, act);
            mag[m * N + n] = s;
        }
    onnxbn_pw_pack(M, K, w, wp);
    for (int fast = 0; fast < 2; fast++) {
        for (size_t i = 0; i <= M * ldy; i++)
            y[i] = 777.0f;
        if (fast)
            onnxbn_pw_f32(M, N, K, wp, x, ldx, b, r, act, CLIP_LO, CLIP_HI, y, ldy);
        else
            onnxbn_pw_portable_f32(M, N, K, wp, x, ldx, b, r, act, CLIP_LO, CLIP_HI, y, ldy);
        for (size_t m = 0; m < M; m++) {
            memcpy(yc + m * N, y + m * ldy, N * sizeof *yc);
            for (size_t n = N; n < ldy; n++)
                assert_true(y[m * ldy + n] == 777.0f);
        }
        assert_true(y[M * ldy] == 777.0f);
        char what[120];
        snprintf(what, sizeof what, "pointwise %s M %zu K %zu N %zu ldx %zu ldy %zu act %d%s",
                 fast ? "fast" : "portable", M, K, N, ldx, ldy, act, r ? " residual" : "");
        expect_close(what, yc, ref, mag, M * N, K + 1 + (r != NULL));
    }
    free(r);
    free(w);
    free(x);
    free(b);
    free(wp);
    free(y);
    free(yc);
    free(ref);
    free(mag);
}

static void pw_case(size_t M, size_t K, size_t N, size_t ldx, size_t ldy, bool bias, int act)
{
    pw_case_r(M, K, N, ldx, ldy, bias, act, false);
}

static void test_pointwise_kernels(void **state)
{
    (void)state;
    /* with a residual: whole tiles, partial tiles, a lone column, gaps in Y */
    pw_case_r(13, 37, 97, 99, 98, true, ACT_RELU, true);
    pw_case_r(24, 70, 49, 49, 49, false, ACT_CLIP, true);
    pw_case_r(10, 6, 63, 63, 66, true, ACT_NONE, true);
    pw_case(144, 24, 3136, 3136, 3136, true, ACT_CLIP); /* MobileNet shapes */
    pw_case(16, 32, 12544, 12544, 12544, true, ACT_NONE);
    pw_case(24, 144, 3136, 3136, 3136, true, ACT_NONE);   /* X too big for L2: pixel panels */
    pw_case(160, 960, 49, 49, 49, true, ACT_NONE);        /* 7x7: channel panels */
    pw_case(13, 7, 45, 45, 45, true, ACT_RELU);           /* M, N off the tile sizes */
    pw_case(17, 100, 700, 700, 700, false, ACT_CLIP);     /* pixel panels, both tails */
    pw_case(8, 1, 16, 16, 16, true, ACT_RELU);            /* K = 1 */
    pw_case(5, 3, 1, 1, 1, true, ACT_NONE);               /* N = 1 */
    pw_case(1, 300, 33, 33, 33, true, ACT_CLIP);          /* M = 1 */
    pw_case(9, 20, 70, 75, 71, true, ACT_RELU);           /* sub-matrices (a column span) */
    pw_case(11, 40, 2000, 2004, 2001, true, ACT_NONE);
    pw_case(3, 5, 17, 17, 17, false, ACT_NONE);
    pw_case(10, 6, 63, 63, 66, true, ACT_CLIP);           /* a 31-pixel tail, gaps in Y */
    pw_case(13, 37, 97, 99, 98, true, ACT_RELU);          /* 2 tiles + a lone column */
    pw_case(40, 9, 50, 50, 50, false, ACT_CLIP);          /* 1 tile + two lone columns */
    pw_case(24, 4607, 49, 49, 49, true, ACT_NONE);        /* layer4-like: the lone column buffered */
    pw_case(20, 4200, 98, 101, 99, true, ACT_RELU);       /* two lone columns too long to buffer */
    pw_case(72, 100, 3000, 3000, 3000, true, ACT_RELU);   /* two column chunks */
}

/* ---- how the 1x1 kernel sums: K in blocks, the bias last ---- */

/* Both bounds above hold for any order of summation; the order still decides how far inside them
 * a result lands, and one chain of K multiply-adds started from the bias landed too far: 3-4x
 * torch's and onnxruntime's error on fcn_resnet50's layers with K = 1024-4608 (which missed
 * torch's outputs at rtol 1e-3, atol 1e-4), and the folded BN's bias riding every partial sum of
 * the early layers. These two checks fail for that chain. */
static void pw_run(bool fast, size_t M, size_t N, size_t K, const float *wp, const float *x,
                   const float *b, float *y)
{
    if (fast)
        onnxbn_pw_f32(M, N, K, wp, x, N, b, NULL, ACT_NONE, 0.0f, 0.0f, y, N);
    else
        onnxbn_pw_portable_f32(M, N, K, wp, x, N, b, NULL, ACT_NONE, 0.0f, 0.0f, y, N);
}

static void test_pointwise_summation(void **state)
{
    (void)state;
    /* 1. A long sum (layer4's dilated 3x3: K = 512·9) of products of values uniform in [-1, 1),
     * over 2 whole tiles and a lone column. Its RMS error, relative to the RMS result, grows with
     * sqrt(K) in one chain and with sqrt(KB) + sqrt(K/KB) in blocks of KB: measured
     * 19.9 u (fast) and 20.3 u (portable) in one chain, 4.0 u for both in blocks of 128. */
    {
        const size_t M = 8, N = 97, K = 4608;
        float *w = fresh(M * K, 31), *x = fresh(K * N, 32), *y = malloc(M * N * sizeof *y);
        float *wp = malloc(onnxbn_pw_packed_floats(M, K) * sizeof *wp);
        double *ref = malloc(M * N * sizeof *ref);
        assert_true(y && wp && ref);
        for (size_t m = 0; m < M; m++)
            for (size_t n = 0; n < N; n++) {
                double acc = 0.0;
                for (size_t k = 0; k < K; k++)
                    acc += (double)w[m * K + k] * x[k * N + n];
                ref[m * N + n] = acc;
            }
        onnxbn_pw_pack(M, K, w, wp);
        for (int fast = 0; fast < 2; fast++) {
            pw_run(fast, M, N, K, wp, x, NULL, y);
            double e2 = 0.0, r2 = 0.0;
            for (size_t i = 0; i < M * N; i++) {
                e2 += ((double)y[i] - ref[i]) * ((double)y[i] - ref[i]);
                r2 += ref[i] * ref[i];
            }
            const double rel = sqrt(e2 / r2) / U_F32;
            if (!(rel <= 10.0))
                fail_msg("pointwise %s, K %zu: RMS error %.1f u of the RMS result, expected at most 10 u "
                         "(K summed in blocks)", fast ? "fast" : "portable", K, rel);
        }
        free(w);
        free(x);
        free(y);
        free(wp);
        free(ref);
    }
    /* 2. A bias far larger than the sum (2^20 against |Σ| < 64): added last, it costs one rounding
     * of the result, |y − ref| ≤ u·|ref| plus the sum's own error, (K + 1)·u·Σ|products|; taken
     * as the start of the sum, every one of the K steps rounds at its scale (ulp 0.125). */
    {
        const size_t M = 9, N = 50, K = 64;
        float *w = fresh(M * K, 33), *x = fresh(K * N, 34), *b = malloc(M * sizeof *b);
        float *y = malloc(M * N * sizeof *y), *wp = malloc(onnxbn_pw_packed_floats(M, K) * sizeof *wp);
        assert_true(b && y && wp);
        for (size_t m = 0; m < M; m++)
            b[m] = (m % 2 ? -1.0f : 1.0f) * (1048576.0f + 3.0f * (float)m);
        onnxbn_pw_pack(M, K, w, wp);
        for (int fast = 0; fast < 2; fast++) {
            pw_run(fast, M, N, K, wp, x, b, y);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    double acc = 0.0, s = 0.0;
                    for (size_t k = 0; k < K; k++) {
                        const double p = (double)w[m * K + k] * x[k * N + n];
                        acc += p;
                        s += fabs(p);
                    }
                    const double ref = acc + b[m];
                    const double tol = U_F32 * fabs(ref) + (double)(K + 1) * U_F32 * s;
                    const double got = y[m * N + n];
                    if (!(fabs(got - ref) <= tol))
                        fail_msg("pointwise %s, bias %.0f: (%zu, %zu) is %.9g, expected %.9g within %.3g "
                                 "(the bias added after the sum)", fast ? "fast" : "portable",
                                 (double)b[m], m, n, got, ref, tol);
                }
        }
        free(w);
        free(x);
        free(b);
        free(y);
        free(wp);
    }
}

/* ---- NaN and -0 through the in-register activation (as the Relu and Clip kernels) ---- */

static void test_activation_special_values(void **state)
{
    (void)state;
    /* depthwise 3x3 on 4x20 with every weight and the bias -0 over positive x: every output is
     * a zero (the fast loop's is -0, which Relu must turn into +0); x has a NaN at (1, 5) */
    conv_case k = {1, 1, 1, 4, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU};
    const onnxbn_conv_geom g = dw_geom(&k);
    float x[80], w[9], b = -0.0f, y[80];
    for (int i = 0; i < 80; i++)
        x[i] = 1.0f + (float)i;
    x[25] = NAN;
    for (int i = 0; i < 9; i++)
        w[i] = -0.0f;
    const onnxbn_dw_impl impls[] = {ONNXBN_DW_PORTABLE, onnxbn_dw_pick(&g)};
    for (int a = 0; a < 2; a++)
        for (int act = ACT_NONE; act <= ACT_CLIP; act++) {
            onnxbn_dw_run_f32(impls[a], &g, 1, 1, x, w, &b, act, CLIP_LO, CLIP_HI, y);
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 20; c++) {
                    const float v = y[r * 20 + c];
                    const bool near_nan = r <= 2 && c >= 4 && c <= 6;
                    if (near_nan) {
                        if (!isnan(v))
                            fail_msg("impl %d act %d: (%d,%d) is %g, expected NaN", a, act, r, c, (double)v);
                        continue;
                    }
                    /* the sign of a zero sum is not the Conv's to promise, but Relu's +0 is */
                    if (v != 0.0f || (act == ACT_RELU && signbit(v)))
                        fail_msg("impl %d act %d: (%d,%d) is %s%g, expected %s0", a, act, r, c,
                                 signbit(v) ? "-" : "+", (double)v, act == ACT_RELU ? "+" : "");
                }
        }
    /* pointwise, 2 x 40 pixels, K 3: row 0 sums -0 products onto bias -0; pixel 7 has a NaN */
    float xp[3 * 40], bp[2] = {-0.0f, 0.0f}, yp[2 * 40];
    const float w2[2 * 3] = {-0.0f, -0.0f, -0.0f, 1.0f, 2.0f, -3.0f};
    for (int i = 0; i < 120; i++)
        xp[i] = 0.5f + (float)(i % 7);
    xp[40 + 7] = NAN;
    float *packed = malloc(onnxbn_pw_packed_floats(2, 3) * sizeof *packed);
    assert_non_null(packed);
    onnxbn_pw_pack(2, 3, w2, packed);
    for (int fast = 0; fast < 2; fast++)
        for (int act = ACT_NONE; act <= ACT_CLIP; act++) {
            if (fast)
                onnxbn_pw_f32(2, 40, 3, packed, xp, 40, bp, NULL, act, CLIP_LO, CLIP_HI, yp, 40);
            else
                onnxbn_pw_portable_f32(2, 40, 3, packed, xp, 40, bp, NULL, act, CLIP_LO, CLIP_HI, yp,
                                       40);
            for (int m = 0; m < 2; m++) {
                if (!isnan(yp[m * 40 + 7]))
                    fail_msg("fast %d act %d: row %d pixel 7 is %g, expected NaN", fast, act, m,
                             (double)yp[m * 40 + 7]);
            }
            const float v = yp[3]; /* row 0: a zero, +0 under Relu */
            if (v != 0.0f || (act == ACT_RELU && signbit(v)))
                fail_msg("fast %d act %d: row 0 is %s%g", fast, act, signbit(v) ? "-" : "+", (double)v);
        }
    free(packed);
}

/* ---- the Conv node: 1 and 2 threads, fused Relu/Clip, constant and fed weights ---- */

/* Conv (then Relu or Clip, which the planner fuses) on X [1, C, H, W]; W is an initializer, or a
 * graph input when w_fed. With resid, Add(Conv, Z) sits between them (Z a graph input), which
 * the planner also folds into the Conv. */
static void node_case_r(const conv_case *k, bool w_fed, bool resid)
{
    const int64_t OH = out_h(k), OW = out_w(k), Cg = k->C / k->group;
    const int64_t xd[] = {1, k->C, k->H, k->W}, wd[] = {k->M, Cg, k->kh, k->kw}, bd[] = {k->M};
    const int64_t yd[] = {1, k->M, OH, OW}, sc[] = {0};
    const size_t nx = (size_t)(k->C * k->H * k->W), nw = (size_t)(k->M * Cg * k->kh * k->kw);
    const size_t ny = (size_t)(k->M * OH * OW);
    float *x = fresh(nx, 31), *w = fresh(nw, 32), *b = k->bias ? fresh((size_t)k->M, 33) : NULL;
    double *ref = malloc(ny * sizeof *ref), *mag = malloc(ny * sizeof *mag);
    float *z = resid ? fresh(ny, 34) : NULL;
    assert_true(ref && mag);
    if (z) { /* act(conv + z): the reference without its activation, then both */
        conv_case lin = *k;
        lin.act = ACT_NONE;
        conv_ref(&lin, x, w, b, ref, mag);
        for (size_t i = 0; i < ny; i++) {
            ref[i] = act_d(ref[i] + z[i], k->act);
            mag[i] += fabs(z[i]);
        }
    } else {
        conv_ref(k, x, w, b, ref, mag);
    }
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
            mk_node_add(m, "Add", "res", "Z,R", out); /* Z first: either order is found */
            out = "R";
        }
        mk_node *n = mk_node_add(m, "Conv", "conv", b ? "X,W,B" : "X,W", out);
        mk_attr_i(n, "group", k->group);
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
        /* twice: the second run goes through the plan the first one made */
        for (int rep = 0; rep < 2; rep++)
            if (mk_run(s, (w_fed ? 2 : 1) + (z != NULL), feeds, &err))
                fail_msg("run: %s", err.msg);
        const onnxbn_tensor *t = onnxbn_session_output(s, 0);
        assert_int_equal(onnxbn_tensor_numel(t), (int64_t)ny);
        char what[120];
        snprintf(what, sizeof what, "Conv node C %lld M %lld group %lld %lldx%lld, %d threads%s%s",
                 (long long)k->C, (long long)k->M, (long long)k->group, (long long)k->H,
                 (long long)k->W, threads, w_fed ? ", W fed" : "", z ? ", + Z" : "");
        expect_close(what, onnxbn_tensor_cdata(t), ref, mag, ny,
                     (size_t)(Cg * k->kh * k->kw) + 1 + (z != NULL));
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

static void node_case(const conv_case *k, bool w_fed) { node_case_r(k, w_fed, false); }

static void test_conv_nodes(void **state)
{
    (void)state;
    /* C, M, group, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bias, act */
    static const conv_case cases[] = {
        {24, 48, 24, 29, 31, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},  /* depthwise, mult 2 */
        {24, 24, 24, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU},
        {16, 16, 16, 15, 15, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, false, ACT_NONE},
        {12, 20, 1, 15, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_RELU},   /* pointwise */
        {33, 70, 1, 30, 30, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_CLIP},   /* channel part a thread */
        {12, 24, 1, 30, 30, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_RELU},   /* pixels, a part a thread */
        {8, 16, 1, 70, 71, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, ACT_CLIP},   /* large: column spans */
        {40, 40, 40, 21, 19, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},  /* depthwise, a part a thread */
        {96, 36, 1, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_NONE},     /* channel parts */
        {40, 24, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, ACT_RELU},     /* 4 pixels: SGEMM */
        {7, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, ACT_NONE},      /* 1 pixel */
        /* im2col columns through the 1x1 kernel: many chunks (conv1 of ResNet), output-channel
         * parts of one chunk on 2 threads, a 3x3 too small for Winograd, dilation */
        {3, 64, 1, 45, 47, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, true, ACT_RELU},
        {64, 48, 1, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},
        {16, 32, 1, 90, 90, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_RELU}, /* smaller chunks */
        {20, 40, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, ACT_NONE},
        {12, 20, 1, 9, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_RELU},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        node_case(&cases[i], false);
    node_case(&cases[3], true); /* fed W: no packing, SGEMM */
    node_case(&cases[0], true);
    node_case(&cases[12], true); /* fed W: im2col + SGEMM */
    /* a fused Add on every path: each case, and Winograd, fed W (SGEMM epilogues) */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        node_case_r(&cases[i], false, true);
    /* Winograd: 8 tile rows (a block a thread), 7 (each phase split over the threads) */
    static const conv_case wino = {16, 24, 1, 16, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU};
    static const conv_case wino7 = {24, 16, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_CLIP};
    node_case_r(&wino, false, false);
    node_case_r(&wino, false, true);
    node_case_r(&wino7, false, false);
    node_case_r(&wino7, false, true);
    node_case_r(&cases[3], true, true);
    node_case_r(&cases[12], true, true);
}

/* Grouped (not depthwise): on AVX-512 with Mg a multiple of 4 at stride 1 or 2, each group
 * through kernels/gconv.c (phase planes, taps read in place); else at stride 1 each group whole
 * through the wide im2col (a padded copy, then a span per tap and channel); else row chunks. Each group's weights packed on their own
 * for the 1x1 kernel when Mg fills its panels (else SGEMM); whole groups a thread when they
 * divide well, else each group's rows split, or (few rows, 32 output channels a group) its
 * output channels. */
static void test_grouped_conv_nodes(void **state)
{
    (void)state;
    /* C, M, group, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bias, act */
    static const conv_case cases[] = {
        {128, 128, 32, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU}, /* ResNeXt: Mg 4 */
        {64, 64, 4, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},    /* RegNet: Mg 16 */
        {50, 100, 25, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, ACT_NONE},   /* 13 + 12 groups */
        {36, 36, 3, 30, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_RELU},    /* rows split, Mg 12 */
        {48, 96, 3, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},      /* channel blocks */
        {24, 40, 2, 11, 13, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true, ACT_NONE},    /* dilated, Mg 20 */
        {32, 32, 2, 12, 10, 3, 5, 1, 1, 1, 1, 0, 2, 1, 1, true, ACT_RELU},    /* wide, Mg 16, pads */
        {48, 96, 3, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, ACT_RELU},    /* channel blocks */
        {8, 16, 2, 200, 200, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, ACT_CLIP},   /* over the wide budget */
        {12, 24, 3, 150, 150, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, ACT_RELU}, /* rows split, Mg 8 */
        /* kernels/gconv.c at stride 2: odd sizes and uneven pads, 4-row panels, dilation */
        {64, 64, 4, 15, 13, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, true, ACT_RELU},
        {40, 40, 10, 9, 11, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, true, ACT_CLIP},
        {32, 64, 2, 16, 16, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, false, ACT_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_case_r(&cases[i], false, false);
        node_case_r(&cases[i], false, true);
    }
    node_case(&cases[0], true); /* fed W: SGEMM per group */
    node_case(&cases[4], true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depthwise_kernels),
        cmocka_unit_test(test_depthwise_k7),
        cmocka_unit_test(test_pointwise_kernels),
        cmocka_unit_test(test_pointwise_summation),
        cmocka_unit_test(test_activation_special_values),
        cmocka_unit_test(test_conv_nodes),
        cmocka_unit_test(test_grouped_conv_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
