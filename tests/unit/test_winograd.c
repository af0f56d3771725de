/* SPDX-License-Identifier: Apache-2.0 */
/* test_winograd.c — 3x3 stride-1 Conv through Winograd F(2x2,3x3): the transforms against a
 * double-precision direct convolution on odd sizes, pads and chunkings, then whole Conv nodes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "kernels/gemm.h"
#include "kernels/winograd.h"
#include "mkmodel.h"

/* Deterministic values in [-1, 1). */
static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 23) - 1.0f;
}

/* y[n][m] = bias[m] + Σ w·x in double, and abs[n][m] = |bias| + Σ |w·x|, for the error bound. */
static void direct(const float *x, const float *w, const float *b, int64_t N, int64_t C, int64_t M,
                   int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t OH, int64_t OW, double *y,
                   double *abs_sum)
{
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double s = b ? b[m] : 0.0, a = b ? fabs(b[m]) : 0.0;
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t ky = 0; ky < 3; ky++)
                            for (int64_t kx = 0; kx < 3; kx++) {
                                const int64_t iy = oy - pt + ky, ix = ox - pl + kx;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                    continue;
                                const double p = (double)w[((m * C + c) * 3 + ky) * 3 + kx] *
                                                 x[((n * C + c) * H + iy) * W + ix];
                                s += p;
                                a += fabs(p);
                            }
                    const size_t i = (size_t)(((n * M + m) * OH + oy) * OW + ox);
                    y[i] = s;
                    abs_sum[i] = a;
                }
}

/* Float rounding in the transforms and the sums: each result is within a small multiple of
 * FLT_EPSILON of the sum of the magnitudes of its terms (Bᵀ, G and Aᵀ mix at most 4 terms each,
 * with coefficients ±1 and ±½). */
#define REL_BOUND (64 * 1.1920929e-7)

static void expect_close(const float *got, const double *want, const double *abs_sum, size_t n,
                         int act)
{
    for (size_t i = 0; i < n; i++) {
        double w = want[i];
        if (act == 1)
            w = w <= 0 ? 0 : w;
        const double tol = REL_BOUND * abs_sum[i] + 1e-30;
        if (!(fabs(got[i] - w) <= tol))
            fail_msg("element %zu: got %.9g, want %.9g (tolerance %.3g)", i, got[i], w, tol);
    }
}

typedef struct geo {
    int64_t C, M, H, W, pt, pl, pb, pr;
} geo;

/* The kernel pieces as the Conv op strings them: transforms of tile-row chunks of `rows`. */
static void kernel_case(const geo *q, size_t rows, int act)
{
    const int64_t OH = q->H + q->pt + q->pb - 2, OW = q->W + q->pl + q->pr - 2;
    assert_true(OH >= 1 && OW >= 1);
    onnxbn_wino_geom g = {.H = q->H, .W = q->W, .OH = OH, .OW = OW, .pt = q->pt, .pl = q->pl,
                          .TH = (OH + 1) / 2, .TW = (OW + 1) / 2};
    const size_t C = (size_t)q->C, M = (size_t)q->M, TW = (size_t)g.TW;
    uint32_t seed = (uint32_t)(C * 131 + M * 17 + (size_t)q->H * 7 + (size_t)q->W + rows);
    float *x = malloc(C * (size_t)(q->H * q->W) * sizeof *x);
    float *w = malloc(M * C * 9 * sizeof *w), *b = malloc(M * sizeof *b);
    for (size_t i = 0; i < C * (size_t)(q->H * q->W); i++)
        x[i] = rnd(&seed);
    for (size_t i = 0; i < M * C * 9; i++)
        w[i] = rnd(&seed);
    for (size_t i = 0; i < M; i++)
        b[i] = rnd(&seed);
    float *U = malloc(16 * M * C * sizeof *U);
    onnxbn_wino_weights_f32(w, M, C, U);
    const size_t nt = rows * TW;
    float *V = malloc(16 * C * nt * sizeof *V), *P = malloc(16 * M * nt * sizeof *P);
    float *buf = malloc(onnxbn_wino_rowbuf_floats(&g, rows) * sizeof *buf);
    float *y = malloc(M * (size_t)(OH * OW) * sizeof *y);
    /* with 2-row chunks, a residual (a fused Add) goes in before the activation */
    float *res = NULL;
    if (rows == 2) {
        res = malloc(M * (size_t)(OH * OW) * sizeof *res);
        for (size_t i = 0; i < M * (size_t)(OH * OW); i++)
            res[i] = rnd(&seed);
    }
    for (size_t r0 = 0; r0 < (size_t)g.TH; r0 += rows) {
        const size_t nr = (size_t)g.TH - r0 < rows ? (size_t)g.TH - r0 : rows, n = nr * TW;
        /* channels in two calls, as two threads would split them */
        onnxbn_wino_input_f32(&g, x, 0, C / 2, r0, nr, V, C * n, buf);
        onnxbn_wino_input_f32(&g, x, C / 2, C, r0, nr, V, C * n, buf);
        for (size_t p = 0; p < 16; p++)
            onnxbn_sgemm(false, false, M, n, C, 1.0f, U + p * M * C, C, V + p * C * n, n, 0.0f,
                         P + p * M * n, n);
        onnxbn_wino_output_f32(&g, P, M * n, 0, M, r0, nr, b, res, act, 0.0f, 0.0f, y);
    }
    double *want = malloc(M * (size_t)(OH * OW) * sizeof *want);
    double *abs_sum = malloc(M * (size_t)(OH * OW) * sizeof *abs_sum);
    direct(x, w, b, 1, q->C, q->M, q->H, q->W, q->pt, q->pl, OH, OW, want, abs_sum);
    for (size_t i = 0; res && i < M * (size_t)(OH * OW); i++) {
        want[i] += res[i];
        abs_sum[i] += fabs(res[i]);
    }
    expect_close(y, want, abs_sum, M * (size_t)(OH * OW), act);
    free(x), free(w), free(b), free(U), free(V), free(P), free(buf), free(y), free(want);
    free(abs_sum), free(res);
}

static void test_kernel_shapes(void **state)
{
    (void)state;
    static const geo cases[] = {
        {16, 16, 7, 9, 1, 1, 1, 1},  /* odd output height and width: partial tiles */
        {3, 5, 1, 1, 1, 1, 1, 1},    /* one output pixel */
        {4, 4, 6, 6, 0, 0, 0, 0},    /* no padding */
        {2, 3, 5, 8, 2, 0, 1, 3},    /* asymmetric pads larger than 1 */
        {1, 2, 6, 7, -1, -2, 0, 1},  /* negative pads crop the input */
        {5, 7, 2, 13, 1, 1, 1, 1},   /* a wide row, tile rows fewer than 2 */
        {8, 3, 12, 3, 3, 3, 3, 3},   /* pads wider than the image */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (size_t rows = 1; rows <= 3; rows++)
            kernel_case(&cases[i], rows, (int)(rows % 2)); /* with and without Relu */
}

/* The exact values: weights all 1 over an image of 1..16 with pad 1 give the 3x3 neighbourhood
 * sums (checked by hand), the identity kernel gives the image back. */
static void test_kernel_exact(void **state)
{
    (void)state;
    float x[16], w[18] = {0}, U[16 * 2], V[16 * 4], P[16 * 2 * 4], y[2 * 16], buf[64];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    w[9 + 4] = 1.0f; /* second output channel: the centre tap alone */
    onnxbn_wino_geom g = {.H = 4, .W = 4, .OH = 4, .OW = 4, .pt = 1, .pl = 1, .TH = 2, .TW = 2};
    assert_true(onnxbn_wino_rowbuf_floats(&g, 2) <= 64);
    onnxbn_wino_weights_f32(w, 2, 1, U);
    onnxbn_wino_input_f32(&g, x, 0, 1, 0, 2, V, 4, buf);
    for (size_t p = 0; p < 16; p++)
        onnxbn_sgemm(false, false, 2, 4, 1, 1.0f, U + p * 2, 1, V + p * 4, 4, 0.0f, P + p * 8, 4);
    onnxbn_wino_output_f32(&g, P, 8, 0, 2, 0, 2, NULL, NULL, 0, 0.0f, 0.0f, y);
    static const float sums[16] = {14, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69, 46, 72, 78, 54};
    for (int i = 0; i < 16; i++) {
        assert_float_equal(y[i], sums[i], 0.0);
        assert_float_equal(y[16 + i], x[i], 0.0);
    }
}

/* A whole Conv node big enough for Winograd (16 channels in and out), batch 2, bias, with a
 * Relu the planner fuses, on 1 and 2 threads; and the same with W fed at run time (no Winograd:
 * the weights are not known at plan time), which must give the same answer. */
static void node_case(int threads, bool w_input, bool relu)
{
    const int64_t N = 2, C = 16, M = 17, H = 11, W = 13; /* 6x7 tiles: Winograd takes it */
    const int64_t xd[] = {N, C, H, W}, wd[] = {M, C, 3, 3}, yd[] = {N, M, H, W};
    uint32_t seed = 7u + (uint32_t)threads;
    float *x = malloc((size_t)(N * C * H * W) * sizeof *x), *w = malloc((size_t)(M * C * 9) * 4);
    float b[17];
    for (int64_t i = 0; i < N * C * H * W; i++)
        x[i] = rnd(&seed);
    for (int64_t i = 0; i < M * C * 9; i++)
        w[i] = rnd(&seed);
    for (int i = 0; i < 17; i++)
        b[i] = rnd(&seed);
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xd);
    if (w_input)
        mk_input(mm, "W", ONNXBN_FLOAT, 4, wd);
    else
        mk_init_f32(mm, "W", 4, wd, w);
    const int64_t nb = M;
    mk_init_f32(mm, "B", 1, &nb, b);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, yd);
    mk_node *n = mk_node_add(mm, "Conv", "c1", "X,W,B", relu ? "T" : "Y");
    mk_attr_ints(n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
    mk_attr_ints(n, "kernel_shape", 2, (const int64_t[]){3, 3});
    if (relu)
        mk_node_add(mm, "Relu", "r1", "T", "Y");
    size_t len;
    uint8_t *bytes = mk_pack(mm, &len);
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(bytes, len, NULL, &opt, &model, &err) ||
        onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    mk_feed f[2] = {{"X", 0, 4, xd, x}, {"W", 0, 4, wd, w}};
    if (mk_run(s, w_input ? 2 : 1, f, &err))
        fail_msg("run: %s", err.msg);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    const size_t ny = (size_t)(N * M * H * W);
    double *want = malloc(ny * sizeof *want), *abs_sum = malloc(ny * sizeof *abs_sum);
    direct(x, w, b, N, C, M, H, W, 1, 1, H, W, want, abs_sum);
    expect_close(onnxbn_tensor_cdata(y), want, abs_sum, ny, relu);
    onnxbn_session_free(s);
    mk_free(mm);
    free(bytes), free(x), free(w), free(want), free(abs_sum);
}

static void test_node(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        node_case(threads, false, false);
        node_case(threads, false, true);
        node_case(threads, true, true);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_exact),
        cmocka_unit_test(test_kernel_shapes),
        cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
