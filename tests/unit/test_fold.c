/* SPDX-License-Identifier: Apache-2.0 */
/* test_fold.c — the BatchNormalization fold: its arithmetic against a long-double reference (at
 * most half an ulp after the one rounding), hand-computed folds, and the pass on small models. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fold.h"
#include "mkmodel.h"
#include "onnxbn.h"

/* ---- helpers ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double uni(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* A float, as model parameters are. */
static double f32(double v) { return (double)(float)v; }

static float stored(double v)
{
    float f;
    assert_true(onnxbn_fold_store(ONNXBN_FLOAT, &f, 0, v));
    return f;
}

/* |f − ref| in ulps of float at ref. */
static double ulps(float f, long double ref)
{
    long double a = fabsl(ref);
    int e = a < FLT_MIN ? -126 : ilogbl(a);
    long double ulp = ldexpl(1.0L, e - 23);
    return (double)(fabsl((long double)f - ref) / ulp);
}

/* ---- the arithmetic against long double ---- */

#define N_CH 200000

/* BN after a layer: W' = a·W, b' = a·(b − μ) + β, each ≤ 0.5 ulp once rounded to float. The usual
 * step-by-step float32 fold is measured alongside and must do worse, or the test could not tell. */
static void fold_after_layer_half_ulp(void **state)
{
    (void)state;
    rng r = {42};
    double worst_w = 0, worst_b = 0, naive_w = 0, naive_b = 0;
    for (int i = 0; i < N_CH; i++) {
        double g = f32(uni(&r, 0.1, 4) * (next(&r) & 1 ? -1 : 1));
        double be = f32(uni(&r, -3, 3)), mu = f32(uni(&r, -3, 3));
        double var = f32(exp(uni(&r, log(1e-4), log(10.0))));
        double eps = (double)(next(&r) & 1 ? 1e-5f : 1e-3f);
        double w = f32(uni(&r, -1, 1)), b = f32(uni(&r, -1, 1));
        double a, t;
        int64_t bad;
        assert_true(onnxbn_fold_affine(1, &g, &be, &mu, &var, eps, &a, &t, &bad));
        double wv = w;
        onnxbn_chmap map = {1, 1, 0};
        onnxbn_fold_scale(&wv, 1, &map, &a);
        double bv;
        onnxbn_fold_bias(1, 1, &b, 1.0, &a, &mu, &be, &bv);

        long double al = (long double)g / sqrtl((long double)var + (long double)eps);
        long double wr = al * w, br = al * ((long double)b - mu) + be;
        double ew = ulps(stored(wv), wr), eb = ulps(stored(bv), br);
        worst_w = ew > worst_w ? ew : worst_w;
        worst_b = eb > worst_b ? eb : worst_b;

        float af = (float)g * (1.0f / sqrtf((float)var + (float)eps));
        float nw = (float)w * af, nb = ((float)b - (float)mu) * af + (float)be;
        naive_w = ulps(nw, wr) > naive_w ? ulps(nw, wr) : naive_w;
        naive_b = ulps(nb, br) > naive_b ? ulps(nb, br) : naive_b;
    }
    print_message("fold in double: W' %.4f ulp, b' %.4f ulp; float32 step by step: %.2f, %.2f\n",
                  worst_w, worst_b, naive_w, naive_b);
    assert_true(worst_w <= 0.5 + 1e-6);
    assert_true(worst_b <= 0.5 + 1e-6);
    assert_true(naive_w > 0.5 && naive_b > 0.5);
}

/* Gemm's C with β ≠ 1: C' = a·(β·C − μ) + β_bn. */
static void fold_gemm_bias_half_ulp(void **state)
{
    (void)state;
    rng r = {7};
    double worst = 0;
    for (int i = 0; i < N_CH; i++) {
        double g = f32(uni(&r, -3, 3)), be = f32(uni(&r, -2, 2)), mu = f32(uni(&r, -2, 2));
        double var = f32(uni(&r, 0.01, 5)), c = f32(uni(&r, -2, 2)), beta = f32(uni(&r, 0.1, 3));
        double a, t, out;
        int64_t bad;
        assert_true(onnxbn_fold_affine(1, &g, &be, &mu, &var, 1e-5, &a, &t, &bad));
        onnxbn_fold_bias(1, 1, &c, beta, &a, &mu, &be, &out);
        long double al = (long double)g / sqrtl((long double)var + 1e-5L);
        long double ref = al * ((long double)beta * c - mu) + be;
        double e = ulps(stored(out), ref);
        worst = e > worst ? e : worst;
    }
    print_message("Gemm C' in double: %.4f ulp\n", worst);
    assert_true(worst <= 0.5 + 1e-6);
}

/* BN before a layer: b' = b + Σ_k W[k]·t[k] over a 3×3×C window, and W'[k] = W[k]·a[k]. */
static void fold_before_layer_half_ulp(void **state)
{
    (void)state;
    rng r = {99};
    enum { K = 72 };
    double worst_b = 0, worst_w = 0;
    for (int i = 0; i < 5000; i++) {
        double g[K], be[K], mu[K], var[K], w[K], a[K], t[K], out, comp, b = f32(uni(&r, -1, 1));
        for (int k = 0; k < K; k++) {
            g[k] = f32(uni(&r, 0.2, 3));
            be[k] = f32(uni(&r, -1, 1));
            mu[k] = f32(uni(&r, -1, 1));
            var[k] = f32(uni(&r, 0.05, 4));
            w[k] = f32(uni(&r, -1, 1));
        }
        int64_t bad;
        assert_true(onnxbn_fold_affine(K, g, be, mu, var, 1e-5, a, t, &bad));
        onnxbn_chmap map = {1, K, 0};
        onnxbn_fold_shift(w, K, &map, t, K, 1, 1.0, &b, &out, &comp);
        long double ref = b;
        for (int k = 0; k < K; k++) {
            long double al = (long double)g[k] / sqrtl((long double)var[k] + 1e-5L);
            ref += (long double)w[k] * ((long double)be[k] - mu[k] * al);
            long double wr = al * w[k];
            double ww = w[k];
            onnxbn_chmap one = {1, 1, 0};
            onnxbn_fold_scale(&ww, 1, &one, &a[k]);
            double e = ulps(stored(ww), wr);
            worst_w = e > worst_w ? e : worst_w;
        }
        double e = ulps(stored(out), ref);
        worst_b = e > worst_b ? e : worst_b;
    }
    print_message("shift through the next layer: b' %.4f ulp, W' %.4f ulp\n", worst_b, worst_w);
    assert_true(worst_b <= 0.5 + 1e-6);
    assert_true(worst_w <= 0.5 + 1e-6);
}

/* ---- hand-computed ---- */

static void affine_by_hand(void **state)
{
    (void)state;
    /* γ=2, var+ε=4: a=1, t=β−μ=1−3=−2; γ=1, var+ε=4: a=0.5, t=0.5−0.5·3=−1. */
    double g[2] = {2, 1}, be[2] = {1, 0.5}, mu[2] = {3, 3}, var[2] = {3, 3}, a[2], t[2];
    int64_t bad = -1;
    assert_true(onnxbn_fold_affine(2, g, be, mu, var, 1.0, a, t, &bad));
    assert_true(a[0] == 1 && t[0] == -2 && a[1] == 0.5 && t[1] == -1);
    /* var + ε ≤ 0 is refused and the channel named. */
    double v0[2] = {3, 0};
    assert_false(onnxbn_fold_affine(2, g, be, mu, v0, 0.0, a, t, &bad));
    assert_int_equal(bad, 1);
    double vn[2] = {NAN, 1};
    assert_false(onnxbn_fold_affine(2, g, be, mu, vn, 1e-5, a, t, &bad));
    assert_int_equal(bad, 0);
}

static void conv_fold_by_hand(void **state)
{
    (void)state;
    /* W (2 out, 1 in, 1×2) = [[1,2],[3,4]], b = [1,−1]; a = [0.5, 2], μ = [1, 0], β = [0, 1].
     * W' = [[0.5, 1], [6, 8]]; b' = a·(b − μ) + β = [0.5·0 + 0, 2·(−1) + 1] = [0, −1]. */
    double w[4] = {1, 2, 3, 4}, b[2] = {1, -1}, a[2] = {0.5, 2}, mu[2] = {1, 0}, be[2] = {0, 1}, bo[2];
    onnxbn_chmap map = {2, 2, 0};
    onnxbn_fold_scale(w, 4, &map, a);
    onnxbn_fold_bias(2, 2, b, 1.0, a, mu, be, bo);
    assert_true(w[0] == 0.5 && w[1] == 1 && w[2] == 6 && w[3] == 8);
    assert_true(bo[0] == 0 && bo[1] == -1);
    /* Gemm C with β = 2: C = [1, 2], a = [0.5, 1], μ = [1, 1], β_bn = [0, 3] → [0.5, 6]. */
    double c[2] = {1, 2}, a2[2] = {0.5, 1}, mu2[2] = {1, 1}, be2[2] = {0, 3}, co[2];
    onnxbn_fold_bias(2, 2, c, 2.0, a2, mu2, be2, co);
    assert_true(co[0] == 0.5 && co[1] == 6);
}

static void channel_maps(void **state)
{
    (void)state;
    /* ConvTranspose W (C_in 4, M/g 3, k 1), group 2: channel of W[i, j] is (i / 2)·3 + j. */
    onnxbn_chmap ct = {1, 3, 2};
    const int64_t want_ct[12] = {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5};
    for (int i = 0; i < 12; i++)
        assert_int_equal(onnxbn_chmap_at(&ct, i), want_ct[i]);
    /* Conv W (M 4, C/g 2, k 1), group 2, input channel: (o / 2)·2 + c. */
    onnxbn_chmap ci = {1, 2, 2};
    const int64_t want_ci[8] = {0, 1, 0, 1, 2, 3, 2, 3};
    for (int i = 0; i < 8; i++)
        assert_int_equal(onnxbn_chmap_at(&ci, i), want_ci[i]);
    /* Gemm B (K 2, N 3), columns: i % 3; rows: i / 3. */
    onnxbn_chmap col = {1, 3, 0}, row = {3, 2, 0};
    assert_int_equal(onnxbn_chmap_at(&col, 4), 1);
    assert_int_equal(onnxbn_chmap_at(&row, 4), 1);
    assert_int_equal(onnxbn_chmap_at(&row, 2), 0);
}

static void shift_by_hand(void **state)
{
    (void)state;
    /* B (K 2, N 3) = [[1,2,3],[4,5,6]], t = [1, −1]: Σ_k B[k,n]·t[k] = [−3, −3, −3];
     * base [1, 1, 1], scale 2 → [−5, −5, −5]. */
    double bm[6] = {1, 2, 3, 4, 5, 6}, t[2] = {1, -1}, base[3] = {1, 1, 1}, out[3], comp[3];
    onnxbn_chmap rows = {3, 2, 0};
    onnxbn_fold_shift(bm, 6, &rows, t, 1, 3, 2.0, base, out, comp);
    assert_true(out[0] == -5 && out[1] == -5 && out[2] == -5);
    /* Cancellation: 1e16 + 1 − 1e16 in double alone gives 0; the compensated sum gives 1. */
    double w[3] = {1e16, 1, -1e16}, one[1] = {1}, o, c;
    onnxbn_chmap m = {1, 1, 0};
    onnxbn_fold_shift(w, 3, &m, one, 3, 1, 1.0, NULL, &o, &c);
    assert_true(o == 1);
    /* Products are exact too: (1 + 2^-30)² − (1 + 2^-29) = 2^-60, which double products lose. */
    double p = 1 + ldexp(1, -30), w2[2] = {p, -(1 + ldexp(1, -29))}, t2[2] = {p, 1};
    onnxbn_chmap m2 = {1, 2, 0};
    onnxbn_fold_shift(w2, 2, &m2, t2, 2, 1, 1.0, NULL, &o, &c);
    assert_true(o == ldexp(1, -60));
}

static void rounding_to_small_types(void **state)
{
    (void)state;
    assert_int_equal(onnxbn_fold_to_half(1.0), 0x3c00);
    assert_int_equal(onnxbn_fold_to_half(-2.0), 0xc000);
    assert_int_equal(onnxbn_fold_to_half(65504.0), 0x7bff);
    assert_int_equal(onnxbn_fold_to_half(65519.99), 0x7bff);
    assert_int_equal(onnxbn_fold_to_half(65520.0), 0x7c00); /* the tie rounds to even: inf */
    assert_int_equal(onnxbn_fold_to_half(ldexp(1, -24)), 0x0001);
    assert_int_equal(onnxbn_fold_to_half(ldexp(1, -25)), 0x0000); /* tie to even */
    assert_int_equal(onnxbn_fold_to_half(3 * ldexp(1, -26)), 0x0001);
    assert_int_equal(onnxbn_fold_to_half(1 + ldexp(1, -11)), 0x3c00);     /* tie to even */
    assert_int_equal(onnxbn_fold_to_half(1 + 3 * ldexp(1, -11)), 0x3c02); /* tie to even */
    /* One rounding: via float the 2^-40 would be lost and the tie would round down. */
    assert_int_equal(onnxbn_fold_to_half(1 + ldexp(1, -11) + ldexp(1, -40)), 0x3c01);
    assert_int_equal(onnxbn_fold_to_half(ldexp(1, -14) * (1 - ldexp(1, -11))), 0x0400);
    assert_int_equal(onnxbn_fold_to_bf16(1.0), 0x3f80);
    assert_int_equal(onnxbn_fold_to_bf16(1 + ldexp(1, -8)), 0x3f80);
    assert_int_equal(onnxbn_fold_to_bf16(1 + 3 * ldexp(1, -8)), 0x3f82);
    assert_int_equal(onnxbn_fold_to_bf16(1 + ldexp(1, -8) + ldexp(1, -30)), 0x3f81);

    float f;
    uint16_t h;
    double d;
    assert_false(onnxbn_fold_store(ONNXBN_FLOAT, &f, 0, 1e39));
    assert_false(onnxbn_fold_store(ONNXBN_DOUBLE, &d, 0, INFINITY));
    assert_false(onnxbn_fold_store(ONNXBN_FLOAT16, &h, 0, 70000.0));
    assert_false(onnxbn_fold_store(ONNXBN_FLOAT, &f, 0, NAN));
    assert_true(onnxbn_fold_store(ONNXBN_BFLOAT16, &h, 0, 1e38));
    assert_false(onnxbn_fold_store(ONNXBN_INT8, &h, 0, 1.0));
}

/* ---- the pass on models, through the public API ---- */

static const int64_t d_x[2] = {2, 3}, d_w1[2] = {4, 3}, d_c4[1] = {4}, d_w2[2] = {2, 4},
                     d_y[2] = {2, 2}, d_c2[1] = {2};

static void add_bn(mk_model *m, const char *name, const char *x, const char *y)
{
    static const float g[4] = {1.5f, -0.5f, 2.0f, 0.75f}, b[4] = {0.1f, -0.2f, 0.3f, 0.0f},
                       mu[4] = {0.5f, -1.0f, 0.25f, 2.0f}, var[4] = {0.5f, 2.0f, 1.5f, 0.25f};
    char in[400], p[4][64];
    const char *sfx[4] = {"scale", "B", "mean", "var"};
    const float *v[4] = {g, b, mu, var};
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s.%s", name, sfx[i]);
        mk_init_f32(m, p[i], 1, d_c4, v[i]);
    }
    snprintf(in, sizeof in, "%s,%s,%s,%s,%s", x, p[0], p[1], p[2], p[3]);
    mk_node *n = mk_node_add(m, "BatchNormalization", name, in, y);
    mk_attr_f(n, "epsilon", 1e-3f);
}

/* Gemm → BN → Relu → Gemm; the BN goes into the first Gemm, outputs stay. */
static mk_model *mlp(void)
{
    static const float x[6] = {0}, w1[12] = {0.5f, -1, 0.25f, 1, 0, -0.5f, 2, 1, 1, -1, 0.5f, 0.25f},
                       c1[4] = {0.1f, 0.2f, -0.3f, 0.4f},
                       w2[8] = {1, -1, 0.5f, 2, -0.25f, 1, 1, -2}, c2[2] = {0.5f, -0.5f};
    (void)x;
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d_x);
    mk_output(m, "y", ONNXBN_FLOAT, 2, d_y);
    mk_init_f32(m, "w1", 2, d_w1, w1);
    mk_init_f32(m, "c1", 1, d_c4, c1);
    mk_init_f32(m, "w2", 2, d_w2, w2);
    mk_init_f32(m, "c2", 1, d_c2, c2);
    mk_node *g1 = mk_node_add(m, "Gemm", "fc1", "x,w1,c1", "h");
    mk_attr_i(g1, "transB", 1);
    add_bn(m, "bn", "h", "n");
    mk_node_add(m, "Relu", "relu", "n", "r");
    mk_node *g2 = mk_node_add(m, "Gemm", "fc2", "r,w2,c2", "y");
    mk_attr_i(g2, "transB", 1);
    return m;
}

static onnxbn_model *load(const mk_model *mm)
{
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    onnxbn_model *m = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err);
    free(buf);
    if (st)
        fail_msg("load: %s", err.msg);
    return m;
}

static const onnxbn_tensor *run(onnxbn_session *s, const float *x)
{
    onnxbn_tensor *t = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_wrap(ONNXBN_FLOAT, 2, d_x, (void *)x, &t, &err), ONNXBN_OK);
    const char *names[1] = {"x"};
    const onnxbn_tensor *in[1] = {t};
    onnxbn_status st = onnxbn_session_run(s, 1, names, in, &err);
    onnxbn_tensor_free(t);
    if (st)
        fail_msg("run: %s", err.msg);
    return onnxbn_session_output(s, 0);
}

static void mlp_fused_same_outputs(void **state)
{
    (void)state;
    mk_model *mm = mlp();
    onnxbn_model *orig = load(mm), *fused = load(mm);
    mk_free(mm);
    onnxbn_fuse_report *rep = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_fuse(fused, NULL, 0, &rep, &err), ONNXBN_OK);
    const onnxbn_fuse_stats *st = onnxbn_fuse_report_stats(rep);
    assert_int_equal(st->bn_before, 1);
    assert_int_equal(st->bn_after, 0);
    assert_int_equal(onnxbn_fuse_report_count(rep), 1);
    const onnxbn_fuse_entry *e = onnxbn_fuse_report_entry(rep, 0);
    assert_string_equal(e->action, "folded");
    assert_string_equal(e->kind, "Gemm+BN");
    assert_string_equal(e->bn, "bn");
    assert_string_equal(e->node, "fc1");
    char *json = onnxbn_fuse_report_json(rep);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"bn_after\":0"));
    assert_non_null(strstr(json, "{\"action\":\"folded\",\"kind\":\"Gemm+BN\",\"bn\":\"bn\""));
    free(json);
    onnxbn_fuse_report_free(rep);
    /* Gemm, Relu, Gemm; the index and declared inputs/outputs are current again. */
    assert_int_equal(onnxbn_model_node_count(fused), 3);
    assert_string_equal(onnxbn_model_node_op_type(fused, 0), "Gemm");
    assert_string_equal(onnxbn_model_node_op_type(fused, 1), "Relu");
    assert_string_equal(onnxbn_model_input(fused, 0)->name, "x");
    assert_string_equal(onnxbn_model_output(fused, 0)->name, "y");
    assert_int_equal(onnxbn_model_initializer_count(fused), 4);

    onnxbn_session *so = NULL, *sf = NULL;
    assert_int_equal(onnxbn_session_new(orig, NULL, &so, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_session_new(fused, NULL, &sf, &err), ONNXBN_OK);
    const float x[6] = {0.5f, -1, 2, 1.5f, 0.25f, -0.75f};
    const float *yo = onnxbn_tensor_cdata(run(so, x)), *yf = onnxbn_tensor_cdata(run(sf, x));
    for (int i = 0; i < 4; i++)
        assert_float_equal(yf[i], yo[i], 1e-5 * (1 + fabsf(yo[i])));
    onnxbn_session_free(so);
    onnxbn_session_free(sf);
}

/* Relu → BN → graph output: nothing can take the BN; the bytes written are the bytes read. */
static void blocked_model_is_unchanged(void **state)
{
    (void)state;
    mk_model *mm = mk_new(13);
    const int64_t d[2] = {2, 4};
    mk_input(mm, "x", ONNXBN_FLOAT, 2, d);
    mk_output(mm, "y", ONNXBN_FLOAT, 2, d);
    mk_node_add(mm, "Relu", "relu", "x", "r");
    add_bn(mm, "bn", "r", "y");
    size_t len;
    uint8_t *orig = mk_pack(mm, &len);
    onnxbn_model *m = load(mm);
    mk_free(mm);
    onnxbn_fuse_report *rep = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_fuse(m, NULL, 0, &rep, &err), ONNXBN_OK);
    const onnxbn_fuse_entry *e = onnxbn_fuse_report_entry(rep, 0);
    assert_string_equal(e->action, "left");
    assert_non_null(strstr(e->reason, "graph output"));
    onnxbn_fuse_report_free(rep);
    void *buf;
    size_t n;
    assert_int_equal(onnxbn_model_save_buffer(m, &buf, &n, &err), ONNXBN_OK);
    assert_int_equal(n, len);
    assert_memory_equal(buf, orig, len);
    free(buf);
    free(orig);

    /* Asked for Mul + Add instead, the BN goes. */
    assert_int_equal(onnxbn_model_fuse(m, "fold-bn", ONNXBN_FUSE_BN_TO_AFFINE, &rep, &err), ONNXBN_OK);
    assert_string_equal(onnxbn_fuse_report_entry(rep, 0)->action, "converted");
    assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_after, 0);
    assert_int_equal(onnxbn_model_node_count(m), 3);
    assert_string_equal(onnxbn_model_node_op_type(m, 1), "Mul");
    assert_string_equal(onnxbn_model_node_op_type(m, 2), "Add");
    onnxbn_fuse_report_free(rep);
    onnxbn_model_free(m);
}

static void bad_pass_list(void **state)
{
    (void)state;
    mk_model *mm = mlp();
    onnxbn_model *m = load(mm);
    mk_free(mm);
    onnxbn_error err = {0};
    onnxbn_fuse_report *rep = (onnxbn_fuse_report *)1;
    assert_int_equal(onnxbn_model_fuse(m, "fold-bn,frobnicate", 0, &rep, &err), ONNXBN_ERR_ARG);
    assert_null(rep);
    assert_non_null(strstr(err.msg, "unknown pass 'frobnicate'"));
    /* "-fold-bn" alone runs every other pass: the BN stays. */
    assert_int_equal(onnxbn_model_fuse(m, "-fold-bn", 0, &rep, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_after, 1);
    assert_int_equal(onnxbn_fuse_report_count(rep), 0);
    onnxbn_fuse_report_free(rep);
    assert_int_equal(onnxbn_model_node_count(m), 4);
    onnxbn_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fold_after_layer_half_ulp),
        cmocka_unit_test(fold_gemm_bias_half_ulp),
        cmocka_unit_test(fold_before_layer_half_ulp),
        cmocka_unit_test(affine_by_hand),
        cmocka_unit_test(conv_fold_by_hand),
        cmocka_unit_test(channel_maps),
        cmocka_unit_test(shift_by_hand),
        cmocka_unit_test(rounding_to_small_types),
        cmocka_unit_test(mlp_fused_same_outputs),
        cmocka_unit_test(blocked_model_is_unchanged),
        cmocka_unit_test(bad_pass_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
