/* SPDX-License-Identifier: Apache-2.0 */
/* test_conv3d.c — 3-D Conv nodes (the video models' kt×3×3 kernels through Winograd by slices,
 * and the im2col fallback) against a double-precision direct convolution. */
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
#include "convtest.h"
#include "mkmodel.h"

typedef struct case3 {
    int64_t N, C, M, D, H, W;
    int64_t kt, st;                   /* temporal kernel and stride (spatial: 3x3, stride 1) */
    int64_t pd0, ph0, pw0, pd1, ph1, pw1; /* begin and end pads */
} case3;

static int64_t odim(int64_t n, int64_t p0, int64_t p1, int64_t k, int64_t s) { return (n + p0 + p1 - k) / s + 1; }

/* y = bias + Σ w·x (+ r), in double; mag = |bias| + Σ|w·x| (+ |r|), what the rounding scales
 * with. */
static void conv3_ref(const case3 *k, const float *x, const float *w, const float *b,
                      const float *r, double *y, double *mag)
{
    const int64_t OD = odim(k->D, k->pd0, k->pd1, k->kt, k->st);
    const int64_t OH = odim(k->H, k->ph0, k->ph1, 3, 1), OW = odim(k->W, k->pw0, k->pw1, 3, 1);
    size_t i = 0;
    for (int64_t n = 0; n < k->N; n++)
        for (int64_t m = 0; m < k->M; m++)
            for (int64_t od = 0; od < OD; od++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++, i++) {
                        double s = b ? b[m] : 0.0, a = b ? fabs(b[m]) : 0.0;
                        for (int64_t c = 0; c < k->C; c++)
                            for (int64_t kd = 0; kd < k->kt; kd++)
                                for (int64_t kh = 0; kh < 3; kh++)
                                    for (int64_t kw = 0; kw < 3; kw++) {
                                        const int64_t id = od * k->st - k->pd0 + kd;
                                        const int64_t ih = oh - k->ph0 + kh, iw = ow - k->pw0 + kw;
                                        if (id < 0 || id >= k->D || ih < 0 || ih >= k->H || iw < 0 ||
                                            iw >= k->W)
                                            continue;
                                        const double p =
                                            (double)w[(((m * k->C + c) * k->kt + kd) * 3 + kh) * 3 + kw] *
                                            x[(((n * k->C + c) * k->D + id) * k->H + ih) * k->W + iw];
                                        s += p;
                                        a += fabs(p);
                                    }
                        if (r) {
                            s += r[i];
                            a += fabs(r[i]);
                        }
                        y[i] = s;
                        mag[i] = a;
                    }
}

/* One node: Conv (W a constant, or a graph input: then no prepared state, im2col), then perhaps
 * an Add of a same-shape input (fused into the Conv's epilogue) and a Relu (fused too). The
 * error bound: the Winograd transforms' (64 ε, as test_winograd.c) plus one ε per summed term
 * (the kt·C products of each point sum). */
static void node3(const case3 *k, int threads, bool w_input, bool bias, bool resid, bool relu)
{
    const int64_t OD = odim(k->D, k->pd0, k->pd1, k->kt, k->st);
    const int64_t OH = odim(k->H, k->ph0, k->ph1, 3, 1), OW = odim(k->W, k->pw0, k->pw1, 3, 1);
    const int64_t xd[] = {k->N, k->C, k->D, k->H, k->W}, wd[] = {k->M, k->C, k->kt, 3, 3};
    const int64_t yd[] = {k->N, k->M, OD, OH, OW}, bd = k->M;
    const size_t nx = (size_t)(k->N * k->C * k->D * k->H * k->W), nw = (size_t)(k->M * k->C * k->kt * 9);
    const size_t ny = (size_t)(k->N * k->M * OD * OH * OW);
    const uint32_t seed = (uint32_t)(k->C * 31 + k->kt * 7 + threads);
    float *x = fresh(nx, seed), *w = fresh(nw, seed + 1), *b = fresh((size_t)k->M, seed + 2);
    float *r = fresh(ny, seed + 3);
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 5, xd);
    if (w_input)
        mk_input(mm, "W", ONNXBN_FLOAT, 5, wd);
    else
        mk_init_f32(mm, "W", 5, wd, w);
    if (resid)
        mk_input(mm, "R", ONNXBN_FLOAT, 5, yd);
    if (bias)
        mk_init_f32(mm, "B", 1, &bd, b);
    mk_output(mm, "Y", ONNXBN_FLOAT, 5, yd);
    const char *last = resid || relu ? "T" : "Y";
    mk_node *n = mk_node_add(mm, "Conv", "c3", bias ? "X,W,B" : "X,W", last);
    mk_attr_ints(n, "pads", 6, (const int64_t[]){k->pd0, k->ph0, k->pw0, k->pd1, k->ph1, k->pw1});
    mk_attr_ints(n, "strides", 3, (const int64_t[]){k->st, 1, 1});
    if (resid)
        mk_node_add(mm, "Add", "a3", "T,R", relu ? "S" : "Y");
    if (relu)
        mk_node_add(mm, "Relu", "r3", resid ? "S" : "T", "Y");
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_threads(mm, threads, &s, &err))
        fail_msg("open: %s", err.msg);
    mk_feed f[3] = {{"X", 0, 5, xd, x}};
    size_t nf = 1;
    if (w_input)
        f[nf++] = (mk_feed){"W", 0, 5, wd, w};
    if (resid)
        f[nf++] = (mk_feed){"R", 0, 5, yd, r};
    if (mk_run(s, nf, f, &err))
        fail_msg("run: %s", err.msg);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(y->numel, ny);
    double *want = malloc(ny * sizeof *want), *mag = malloc(ny * sizeof *mag);
    assert_non_null(want);
    assert_non_null(mag);
    conv3_ref(k, x, w, bias ? b : NULL, resid ? r : NULL, want, mag);
    const float *got = onnxbn_tensor_cdata(y);
    const double rel = (64.0 + (double)(k->kt * k->C)) * 1.1920929e-7;
    for (size_t i = 0; i < ny; i++) {
        const double v = relu ? act_d(want[i], ACT_RELU) : want[i], tol = rel * mag[i] + 1e-30;
        if (!(fabs(got[i] - v) <= tol))
            fail_msg("N%lld C%lld M%lld D%lld %lldx%lld kt %lld st %lld, %d thread(s)%s%s%s%s: "
                     "element %zu: got %.9g, want %.9g (tolerance %.3g)",
                     (long long)k->N, (long long)k->C, (long long)k->M, (long long)k->D,
                     (long long)k->H, (long long)k->W, (long long)k->kt, (long long)k->st, threads,
                     w_input ? ", W fed" : "", bias ? ", bias" : "", resid ? ", residual" : "",
                     relu ? ", relu" : "", i, got[i], v, tol);
    }
    onnxbn_session_free(s);
    mk_free(mm);
    free(x), free(w), free(b), free(r), free(want), free(mag);
}

static const case3 cases[] = {
    /* N  C   M   D  H   W   kt st  pads d,h,w begin; d,h,w end */
    {1, 16, 17, 5, 11, 13, 3, 1, 1, 1, 1, 1, 1, 1},  /* r3d's 3x3x3, 6x7 tiles */
    {2, 16, 16, 3, 12, 12, 1, 1, 0, 1, 1, 0, 1, 1},  /* r(2+1)d's and s3d's 1x3x3 */
    {1, 20, 24, 6, 13, 15, 2, 2, 0, 1, 0, 1, 0, 1},  /* kt 2, temporal stride 2, uneven pads */
    {1, 16, 16, 1, 12, 14, 3, 1, 1, 1, 1, 1, 1, 1},  /* one slice: both temporal taps padding */
    {1, 16, 18, 4, 14, 16, 3, 1, 2, 0, 0, 0, 0, 0},  /* no spatial pads, temporal 2 + 0 */
    {1, 16, 16, 3, 40, 40, 3, 1, 1, 1, 1, 1, 1, 1},  /* 20 tile rows: several chunks */
    {1, 16, 24, 4, 7, 7, 1, 1, 0, 1, 1, 0, 1, 1},    /* 1x3x3 on 7x7: 16 tiles a slice, 64 in all */
    {2, 16, 16, 3, 12, 12, 1, 1, 1, 1, 1, 1, 1, 1},  /* 1x3x3 with temporal pads: slice by slice */
};

static void test_conv3d_nodes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int threads = 1; threads <= 2; threads++) {
            node3(&cases[i], threads, false, true, false, false);
            node3(&cases[i], threads, false, false, true, true);
            node3(&cases[i], threads, true, true, true, true);
        }
    /* relu alone, no bias */
    node3(&cases[0], 2, false, false, false, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv3d_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
