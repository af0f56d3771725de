/* SPDX-License-Identifier: Apache-2.0 */
/* test_batchnorm.c — BatchNormalization through the public session API: hand-computed values for
 * every version, training statistics, mixed BN-15 types, non-constant parameters and shape errors. */
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
#include "mkmodel.h"

#define BN "BatchNormalization"
#define EPS_DEFAULT ((double)1e-5f)

/* ---- helpers ---- */

/* A model with one BN node 'bn' reading X and the initializers s, b, m, v (float, 1-D of C, or of
 * `prank`/`pdims` when given), giving Y and the comma-separated `outs` after it. */
static mk_node *bn_model(mk_model *mm, int rank, const int64_t *xd, int prank, const int64_t *pdims,
                         const float *s, const float *b, const float *m, const float *v)
{
    int64_t c = rank >= 2 ? xd[1] : 1;
    if (!pdims) {
        prank = 1;
        pdims = &c;
    }
    mk_input(mm, "X", ONNXBN_FLOAT, rank, xd);
    mk_init_f32(mm, "s", prank, pdims, s);
    mk_init_f32(mm, "b", prank, pdims, b);
    mk_init_f32(mm, "m", prank, pdims, m);
    mk_init_f32(mm, "v", prank, pdims, v);
    mk_output(mm, "Y", ONNXBN_FLOAT, rank, xd);
    return mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y");
}

static onnxbn_session *open_ok(const mk_model *mm)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = mk_session(mm, &s, &err);
    if (st)
        fail_msg("session: %s", err.msg);
    return s;
}

static void run_ok(onnxbn_session *s, size_t n, const mk_feed *f)
{
    onnxbn_error err = {0};
    if (mk_run(s, n, f, &err))
        fail_msg("run: %s", err.msg);
}

/* Opens and runs; returns the first failing status and its message. */
static onnxbn_status open_run(const mk_model *mm, size_t n, const mk_feed *f, onnxbn_error *err)
{
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(mm, &s, err);
    if (!st)
        st = mk_run(s, n, f, err);
    onnxbn_session_free(s);
    return st;
}

/* One node, one float input X, the output Y compared with `want`. */
static void check_y(const mk_model *mm, int rank, const int64_t *xd, const float *x,
                    const float *want, double atol, double rtol)
{
    onnxbn_session *s = open_ok(mm);
    mk_feed f = {"X", 0, rank, xd, x};
    run_ok(s, 1, &f);
    mk_expect_f32(s, 0, rank, xd, want, atol, rtol);
    onnxbn_session_free(s);
}

static void expect_f64(const onnxbn_session *s, size_t i, onnxbn_dtype dt, int64_t n,
                       const double *want, double tol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_numel(t), n);
    for (int64_t k = 0; k < n; k++) {
        double g = onnxbn_get_f64(t, k);
        if (!(fabs(g - want[k]) <= tol * (1.0 + fabs(want[k]))))
            fail_msg("output %zu element %lld: got %.17g, expected %.17g", i, (long long)k, g,
                     want[k]);
    }
}

static void expect_dims(const onnxbn_session *s, size_t i, int rank, const int64_t *dims)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
}

static float rnd(uint32_t *st, float lo, float hi)
{
    *st = *st * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(*st >> 8) / 16777216.0f;
}

static int64_t numel(int rank, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    return n;
}

/* The definition, in double: y = s·(x − m)/√(v + ε) + b on channel axis 1. */
static void ref_bn(int rank, const int64_t *xd, const float *x, const double *s, const double *b,
                   const double *m, const double *v, double eps, double *y)
{
    int64_t n = xd[0], c = rank >= 2 ? xd[1] : 1, inner = numel(rank, xd) / (n * c);
    for (int64_t i = 0; i < n * c * inner; i++) {
        int64_t k = (i / inner) % c;
        y[i] = s[k] * ((double)x[i] - m[k]) / sqrt(v[k] + eps) + b[k];
    }
}

/* Batch mean and population variance over all axes but 1, in double. */
static void ref_stats(int rank, const int64_t *xd, const float *x, double *mean, double *var)
{
    int64_t n = xd[0], c = xd[1], inner = numel(rank, xd) / (n * c);
    for (int64_t k = 0; k < c; k++) {
        double sum = 0, sq = 0;
        for (int64_t o = 0; o < n; o++)
            for (int64_t i = 0; i < inner; i++)
                sum += x[(o * c + k) * inner + i];
        mean[k] = sum / (double)(n * inner);
        for (int64_t o = 0; o < n; o++)
            for (int64_t i = 0; i < inner; i++) {
                double d = x[(o * c + k) * inner + i] - mean[k];
                sq += d * d;
            }
        var[k] = sq / (double)(n * inner);
    }
}

/* ---- inference, hand-computed ----
 * ε = 0.25 and variances 0.75, 3.75, 15.75 give √(v+ε) = 1, 2, 4: every value below is exact. */

static void test_rank2(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3};
    const float s[] = {1, 2, -1}, b[] = {0, 0.5f, 0.5f}, m[] = {0, 1, -2}, v[] = {0.75f, 3.75f, 15.75f};
    const float x[] = {1, 3, 2, -2, -1, 6};
    /* ch0: y = x; ch1: y = (x − 1) + 0.5; ch2: y = −(x + 2)/4 + 0.5 */
    const float want[] = {1, 2.5f, -0.5f, -2, -1.5f, -1.5f};
    mk_model *mm = mk_new(15);
    mk_attr_f(bn_model(mm, 2, xd, 0, NULL, s, b, m, v), "epsilon", 0.25f);
    check_y(mm, 2, xd, x, want, 0, 0);
    mk_free(mm);
}

/* Channel 0: y = 2(x − 0.5)/1 − 1 = 2x − 2; channel 1: y = 0.5(x + 1)/2 + 3 = (x + 1)/4 + 3. */
static const float S2[] = {2, 0.5f}, B2[] = {-1, 3}, M2[] = {0.5f, -1}, V2[] = {0.75f, 3.75f};

static void test_rank3(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 2, 3};
    const float x[] = {0, 1, 2, -1, 3, 7};
    const float want[] = {-2, 0, 2, 3, 4, 5};
    mk_model *mm = mk_new(15);
    mk_attr_f(bn_model(mm, 3, xd, 0, NULL, S2, B2, M2, V2), "epsilon", 0.25f);
    check_y(mm, 3, xd, x, want, 0, 0);
    mk_free(mm);
}

static const int64_t XD4[] = {2, 2, 1, 2};
static const float X4[] = {1, 1.5f, -5, 11, -1, 0, 1, -1};
static const float Y4[] = {0, 1, 2, 6, -4, -2, 3.5f, 3};

static void test_rank4(void **state)
{
    (void)state;
    mk_model *mm = mk_new(15);
    mk_attr_f(bn_model(mm, 4, XD4, 0, NULL, S2, B2, M2, V2), "epsilon", 0.25f);
    check_y(mm, 4, XD4, X4, Y4, 0, 0);
    mk_free(mm);
}

static void test_rank5(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 2, 2, 1, 2};
    const float x[] = {0, 0.5f, 1, 1.5f, -1, 0, 3, 7};
    const float want[] = {-2, -1, 0, 1, 3, 3.25f, 4, 5};
    mk_model *mm = mk_new(15);
    mk_attr_f(bn_model(mm, 5, xd, 0, NULL, S2, B2, M2, V2), "epsilon", 0.25f);
    check_y(mm, 5, xd, x, want, 0, 0);
    mk_free(mm);
}

/* ---- epsilon ---- */

/* A zero variance makes ε the whole denominator: without it the output would be infinite. */
static void check_eps(bool given, float eps)
{
    const int64_t xd[] = {2, 3, 4, 5};
    const int64_t n = numel(4, xd);
    float x[120], s[3], b[3], m[3], v[3];
    double sd[3], bd[3], md[3], vd[3], ref[120];
    float want[120];
    uint32_t r = 7;
    for (int64_t i = 0; i < n; i++)
        x[i] = rnd(&r, -3, 3);
    for (int k = 0; k < 3; k++) {
        s[k] = rnd(&r, 0.5f, 2);
        b[k] = rnd(&r, -1, 1);
        m[k] = rnd(&r, -0.5f, 0.5f);
        v[k] = k == 0 ? 0.0f : rnd(&r, 0.001f, 0.01f);
        sd[k] = s[k], bd[k] = b[k], md[k] = m[k], vd[k] = v[k];
    }
    ref_bn(4, xd, x, sd, bd, md, vd, (double)eps, ref);
    for (int64_t i = 0; i < n; i++)
        want[i] = (float)ref[i];
    mk_model *mm = mk_new(15);
    mk_node *nd = bn_model(mm, 4, xd, 0, NULL, s, b, m, v);
    if (given)
        mk_attr_f(nd, "epsilon", eps);
    check_y(mm, 4, xd, x, want, 1e-6, 4e-7);
    mk_free(mm);
}

static void test_epsilon_default(void **state)
{
    (void)state;
    check_eps(false, 1e-5f);
}

static void test_epsilon_attr(void **state)
{
    (void)state;
    check_eps(true, 1e-2f);
}

/* scale = √(var + ε) and bias = mean make BN the identity; folding in double keeps it within an
 * ulp or two of x (a rounds to 1 or 1 − 2⁻²⁴, t to mean·(1 − a)). */
static void test_identity(void **state)
{
    (void)state;
    const int64_t xd[] = {3, 8, 5, 7};
    enum { C = 8, N = 3 * 8 * 5 * 7 };
    float x[N], s[C], b[C], m[C], v[C];
    uint32_t r = 99;
    for (int k = 0; k < C; k++) {
        v[k] = rnd(&r, 0, 5);
        m[k] = rnd(&r, -4, 4);
        s[k] = (float)sqrt((double)v[k] + EPS_DEFAULT);
        b[k] = m[k];
    }
    for (int i = 0; i < N; i++)
        x[i] = rnd(&r, -10, 10);
    for (int64_t opset = 6; opset <= 15; opset += 9) {
        mk_model *mm = mk_new(opset);
        mk_node *nd = bn_model(mm, 4, xd, 0, NULL, s, b, m, v);
        if (opset == 6)
            mk_attr_i(nd, "is_test", 1);
        onnxbn_session *ss = open_ok(mm);
        mk_feed f = {"X", 0, 4, xd, x};
        run_ok(ss, 1, &f);
        const float *y = onnxbn_tensor_cdata(onnxbn_session_output(ss, 0));
        for (int i = 0; i < N; i++) {
            int k = (i / 35) % C;
            double tol = ldexp(fabs(x[i]) + fabs(m[k]), -23);
            if (!(fabs((double)y[i] - x[i]) <= tol))
                fail_msg("opset %lld element %d: %.9g is not %.9g", (long long)opset, i, y[i], x[i]);
        }
        onnxbn_session_free(ss);
        mk_free(mm);
    }
}

/* ---- versions and modes ---- */

static void test_opset1(void **state)
{
    (void)state;
    const int64_t consumed[] = {0, 0, 0, 1, 1};
    mk_model *mm = mk_new(1);
    mk_node *nd = bn_model(mm, 4, XD4, 0, NULL, S2, B2, M2, V2);
    mk_attr_f(nd, "epsilon", 0.25f);
    mk_attr_i(nd, "is_test", 1);
    mk_attr_ints(nd, "consumed_inputs", 5, consumed);
    check_y(mm, 4, XD4, X4, Y4, 0, 0);
    mk_free(mm);
}

static void test_opset1_needs_consumed_inputs(void **state)
{
    (void)state;
    mk_model *mm = mk_new(1);
    mk_attr_i(bn_model(mm, 4, XD4, 0, NULL, S2, B2, M2, V2), "is_test", 1);
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, 4, XD4, X4};
    assert_int_equal(open_run(mm, 1, &f, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "consumed_inputs"));
    mk_free(mm);
}

static void test_opset6_is_test(void **state)
{
    (void)state;
    mk_model *mm = mk_new(6);
    mk_node *nd = bn_model(mm, 4, XD4, 0, NULL, S2, B2, M2, V2);
    mk_attr_f(nd, "epsilon", 0.25f);
    mk_attr_i(nd, "is_test", 1);
    mk_attr_f(nd, "momentum", 0.5f);
    check_y(mm, 4, XD4, X4, Y4, 0, 0);
    mk_free(mm);
}

/* The training example used below, worked by hand. X is (2, 2, 2):
 *   channel 0 holds 1, 3 | 5, 7:   mean 4, population variance 5;  with ε = 11, √ = 4
 *   channel 1 holds −4, −4 | 6, 6: mean 1, population variance 25; with ε = 11, √ = 6
 * scale (2, 3), bias (1, −1): channel 0 y = (x − 4)/2 + 1, channel 1 y = (x − 1)/2 − 1.
 * Input mean (0, 2), var (1, 5), momentum 0.75:
 *   running mean = 0.75·(0, 2) + 0.25·(4, 1) = (1, 1.75); running var = 0.75·(1, 5) + 0.25·(5, 25) = (2, 10). */
static const int64_t TXD[] = {2, 2, 2};
static const float TX[] = {1, 3, -4, -4, 5, 7, 6, 6};
static const float TY[] = {-0.5f, 0.5f, -3.5f, -3.5f, 1.5f, 2.5f, 1.5f, 1.5f};
static const float TS[] = {2, 3}, TB[] = {1, -1}, TM[] = {0, 2}, TV[] = {1, 5};
static const double T_RMEAN[] = {1, 1.75}, T_RVAR[] = {2, 10}, T_MEAN[] = {4, 1}, T_VAR[] = {5, 25};

/* BN-6 without is_test: the default 0 is training, so Y uses the batch statistics, not m and v. */
static void test_opset6_default_is_training(void **state)
{
    (void)state;
    const float far[] = {100, 100};
    mk_model *mm = mk_new(6);
    mk_attr_f(bn_model(mm, 3, TXD, 0, NULL, TS, TB, far, far), "epsilon", 11);
    check_y(mm, 3, TXD, TX, TY, 0, 0);
    mk_free(mm);
}

static void check_training_outputs(int64_t opset, bool is_test_attr)
{
    const int64_t c2[] = {2};
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, TXD);
    mk_init_f32(mm, "s", 1, c2, TS);
    mk_init_f32(mm, "b", 1, c2, TB);
    mk_init_f32(mm, "m", 1, c2, TM);
    mk_init_f32(mm, "v", 1, c2, TV);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, TXD);
    const char *names[] = {"rm", "rv", "sm", "sv"};
    for (int i = 0; i < 4; i++)
        mk_output(mm, names[i], ONNXBN_FLOAT, 1, c2);
    mk_node *nd = mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv,sm,sv");
    mk_attr_f(nd, "epsilon", 11);
    mk_attr_f(nd, "momentum", 0.75f);
    if (is_test_attr)
        mk_attr_i(nd, "is_test", 0);
    onnxbn_session *s = open_ok(mm);
    mk_feed f = {"X", 0, 3, TXD, TX};
    run_ok(s, 1, &f);
    mk_expect_f32(s, 0, 3, TXD, TY, 0, 0);
    expect_f64(s, 1, ONNXBN_FLOAT, 2, T_RMEAN, 0);
    expect_f64(s, 2, ONNXBN_FLOAT, 2, T_RVAR, 0);
    expect_f64(s, 3, ONNXBN_FLOAT, 2, T_MEAN, 0);
    expect_f64(s, 4, ONNXBN_FLOAT, 2, T_VAR, 0);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_opset6_training_outputs(void **state)
{
    (void)state;
    check_training_outputs(6, true);
}

/* BN-7/9 have no is_test: the statistics outputs (output case #1) mean training. */
static void test_opset9_training_outputs(void **state)
{
    (void)state;
    check_training_outputs(9, false);
    check_training_outputs(7, false);
}

/* spatial=0: parameters of shape (C, L), one statistic per element of a sample.
 * ε = 0.25, √(v+ε) = [[1, 2], [4, 1]]; a = s/√ = [[1, 1], [0.125, −1]], t = b − m·a = [[−1, 1], [2.125, 2]]. */
static const int64_t SXD[] = {2, 2, 2};
static const float SX[] = {1, 2, 3, 4, -1, 0, 7, -2};
static const float SY[] = {0, 3, 2.5f, -2, -2, 1, 3, 4};
static const float SS[] = {1, 2, 0.5f, -1}, SB[] = {0, 1, 2, 0}, SM[] = {1, 0, -1, 2},
                   SV[] = {0.75f, 3.75f, 15.75f, 0.75f};

static void test_opset7_spatial0(void **state)
{
    (void)state;
    const int64_t pd[] = {2, 2}, flat[] = {4};
    for (int shape = 0; shape < 2; shape++) {
        mk_model *mm = mk_new(7);
        mk_node *nd = bn_model(mm, 3, SXD, shape ? 1 : 2, shape ? flat : pd, SS, SB, SM, SV);
        mk_attr_f(nd, "epsilon", 0.25f);
        mk_attr_i(nd, "spatial", 0);
        check_y(mm, 3, SXD, SX, SY, 0, 0);
        mk_free(mm);
    }
    /* BN-6 with is_test=1 reads spatial too */
    mk_model *mm = mk_new(6);
    mk_node *nd = bn_model(mm, 3, SXD, 2, pd, SS, SB, SM, SV);
    mk_attr_f(nd, "epsilon", 0.25f);
    mk_attr_i(nd, "spatial", 0);
    mk_attr_i(nd, "is_test", 1);
    check_y(mm, 3, SXD, SX, SY, 0, 0);
    mk_free(mm);
}

static void test_opset7_spatial0_wrong_shape(void **state)
{
    (void)state;
    mk_model *mm = mk_new(7);
    mk_attr_i(bn_model(mm, 3, SXD, 0, NULL, S2, B2, M2, V2), "spatial", 0);
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, 3, SXD, SX};
    assert_int_equal(open_run(mm, 1, &f, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "input 'scale' has 2 elements, expected 4"));
    mk_free(mm);
}

/* spatial=0 training: statistics over N only. X (2, 1, 2): element 0 holds 0 | 2 (mean 1, var 1),
 * element 1 holds 8 | 0 (mean 4, var 16); ε = 48 makes √ = 7 and 8. s = (7, 16), b = (0, 1):
 * a = (1, 2), t = (−1, −7). m = (0, 0), v = (1, 1), momentum 0.5. */
static void test_opset7_spatial0_training(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 1, 2}, pd[] = {1, 2};
    const float x[] = {0, 8, 2, 0}, want[] = {-1, 9, 1, -7};
    const float s[] = {7, 16}, b[] = {0, 1}, m[] = {0, 0}, v[] = {1, 1};
    const double rm[] = {0.5, 2}, rv[] = {1, 8.5}, sm[] = {1, 4}, sv[] = {1, 16};
    mk_model *mm = mk_new(7);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(mm, "s", 2, pd, s);
    mk_init_f32(mm, "b", 2, pd, b);
    mk_init_f32(mm, "m", 2, pd, m);
    mk_init_f32(mm, "v", 2, pd, v);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    const char *names[] = {"rm", "rv", "sm", "sv"};
    for (int i = 0; i < 4; i++)
        mk_output(mm, names[i], ONNXBN_FLOAT, 2, pd);
    mk_node *nd = mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv,sm,sv");
    mk_attr_f(nd, "epsilon", 48);
    mk_attr_f(nd, "momentum", 0.5f);
    mk_attr_i(nd, "spatial", 0);
    onnxbn_session *ss = open_ok(mm);
    mk_feed f = {"X", 0, 3, xd, x};
    run_ok(ss, 1, &f);
    mk_expect_f32(ss, 0, 3, xd, want, 0, 0);
    expect_dims(ss, 1, 2, pd);
    expect_f64(ss, 1, ONNXBN_FLOAT, 2, rm, 0);
    expect_f64(ss, 2, ONNXBN_FLOAT, 2, rv, 0);
    expect_f64(ss, 3, ONNXBN_FLOAT, 2, sm, 0);
    expect_f64(ss, 4, ONNXBN_FLOAT, 2, sv, 0);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* From BN-9 a 1-D X of size N has one channel; before it, X needs N and C. */
static void test_rank1(void **state)
{
    (void)state;
    const int64_t xd[] = {4};
    const float x[] = {1, 2, 3, 4}, want[] = {-1, 1, 3, 5};
    const float s[] = {2}, b[] = {1}, m[] = {2}, v[] = {0.75f};
    mk_model *mm = mk_new(9);
    mk_attr_f(bn_model(mm, 1, xd, 0, NULL, s, b, m, v), "epsilon", 0.25f);
    check_y(mm, 1, xd, x, want, 0, 0);
    mk_free(mm);

    mm = mk_new(7);
    bn_model(mm, 1, xd, 0, NULL, s, b, m, v);
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, 1, xd, x};
    assert_int_equal(open_run(mm, 1, &f, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "node 'bn' (BatchNormalization): input 'X' has rank 1"));
    mk_free(mm);

    const int64_t scalar_dims[] = {1};
    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 0, NULL);
    mk_init_f32(mm, "s", 1, scalar_dims, s);
    mk_init_f32(mm, "b", 1, scalar_dims, b);
    mk_init_f32(mm, "m", 1, scalar_dims, m);
    mk_init_f32(mm, "v", 1, scalar_dims, v);
    mk_output(mm, "Y", ONNXBN_FLOAT, 0, NULL);
    mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y");
    mk_feed f0 = {"X", 0, 0, NULL, x};
    assert_int_equal(open_run(mm, 1, &f0, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "input 'X' has rank 0"));
    mk_free(mm);
}

static void test_opset14_inference(void **state)
{
    (void)state;
    mk_model *mm = mk_new(14);
    mk_node *nd = bn_model(mm, 4, XD4, 0, NULL, S2, B2, M2, V2);
    mk_attr_f(nd, "epsilon", 0.25f);
    mk_attr_i(nd, "training_mode", 0);
    check_y(mm, 4, XD4, X4, Y4, 0, 0);
    mk_free(mm);
}

/* "When training_mode=False, extra outputs are invalid." */
static void test_opset14_extra_outputs_invalid(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    mk_model *mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, XD4);
    mk_init_f32(mm, "s", 1, c2, S2);
    mk_init_f32(mm, "b", 1, c2, B2);
    mk_init_f32(mm, "m", 1, c2, M2);
    mk_init_f32(mm, "v", 1, c2, V2);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, XD4);
    mk_output(mm, "rv", ONNXBN_FLOAT, 1, c2);
    mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,,rv");
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, 4, XD4, X4};
    assert_int_equal(open_run(mm, 1, &f, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "output 'running_var' is only produced in training mode"));
    mk_free(mm);
}

/* BN-14 training with the statistics (U) in double while X, scale, B (T) are float. */
static void test_opset14_training_double_stats(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    const double m[] = {0, 2}, v[] = {1, 5};
    mk_model *mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, TXD);
    mk_init_f32(mm, "s", 1, c2, TS);
    mk_init_f32(mm, "b", 1, c2, TB);
    mk_init(mm, "m", ONNXBN_DOUBLE, 1, c2, m);
    mk_init(mm, "v", ONNXBN_DOUBLE, 1, c2, v);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, TXD);
    mk_output(mm, "rm", ONNXBN_DOUBLE, 1, c2);
    mk_output(mm, "rv", ONNXBN_DOUBLE, 1, c2);
    mk_node *nd = mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv");
    mk_attr_f(nd, "epsilon", 11);
    mk_attr_f(nd, "momentum", 0.75f);
    mk_attr_i(nd, "training_mode", 1);
    onnxbn_session *s = open_ok(mm);
    mk_feed f = {"X", 0, 3, TXD, TX};
    run_ok(s, 1, &f);
    mk_expect_f32(s, 0, 3, TXD, TY, 0, 0);
    expect_f64(s, 1, ONNXBN_DOUBLE, 2, T_RMEAN, 0);
    expect_f64(s, 2, ONNXBN_DOUBLE, 2, T_RVAR, 0);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* BN-15 training against the definition computed here in double, with the default ε and
 * momentum, on a (2, 3, 4, 5) input like the ONNX example. */
static void test_opset15_training_reference(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3, 4, 5}, c3[] = {3};
    enum { N = 120 };
    float x[N], s[3], b[3], m[3], v[3], want[N];
    double sd[3], bd[3], mean[3], var[3], ref[N], rm[3], rv[3];
    uint32_t r = 12345;
    for (int i = 0; i < N; i++)
        x[i] = rnd(&r, -2, 3);
    for (int k = 0; k < 3; k++) {
        s[k] = rnd(&r, -2, 2);
        b[k] = rnd(&r, -1, 1);
        m[k] = rnd(&r, -1, 1);
        v[k] = rnd(&r, 0, 1);
        sd[k] = s[k];
        bd[k] = b[k];
    }
    ref_stats(4, xd, x, mean, var);
    ref_bn(4, xd, x, sd, bd, mean, var, EPS_DEFAULT, ref);
    for (int i = 0; i < N; i++)
        want[i] = (float)ref[i];
    const double mom = (double)0.9f;
    for (int k = 0; k < 3; k++) {
        rm[k] = m[k] * mom + mean[k] * (1 - mom);
        rv[k] = v[k] * mom + var[k] * (1 - mom);
    }
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(mm, "s", 1, c3, s);
    mk_init_f32(mm, "b", 1, c3, b);
    mk_init_f32(mm, "m", 1, c3, m);
    mk_init_f32(mm, "v", 1, c3, v);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, xd);
    mk_output(mm, "rm", ONNXBN_FLOAT, 1, c3);
    mk_output(mm, "rv", ONNXBN_FLOAT, 1, c3);
    mk_attr_i(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv"), "training_mode", 1);
    onnxbn_session *ss = open_ok(mm);
    mk_feed f = {"X", 0, 4, xd, x};
    run_ok(ss, 1, &f);
    mk_expect_f32(ss, 0, 4, xd, want, 2e-6, 1e-6);
    expect_dims(ss, 1, 1, c3);
    expect_f64(ss, 1, ONNXBN_FLOAT, 3, rm, 1e-7);
    expect_f64(ss, 2, ONNXBN_FLOAT, 3, rv, 1e-7);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* BN-15: scale and B double (T1), mean and var float16 (T2), X float (T). */
static void test_opset15_mixed_types(void **state)
{
    (void)state;
    const int64_t c2[] = {2}, xd[] = {1, 2, 2};
    uint16_t mh[2], vh[2];
    /* inference: channel 0 y = 2(x − 0.5) + 1 = 2x, channel 1 y = 0.5(x + 1)/2 − 1 */
    const double s[] = {2, 0.5}, b[] = {1, -1};
    const float mf[] = {0.5f, -1}, vf[] = {0.75f, 3.75f};
    for (int k = 0; k < 2; k++) {
        mh[k] = onnxbn_float_to_half(mf[k]);
        vh[k] = onnxbn_float_to_half(vf[k]);
    }
    const float x[] = {1, 2, 3, -1}, want[] = {2, 4, 0, -1};
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init(mm, "s", ONNXBN_DOUBLE, 1, c2, s);
    mk_init(mm, "b", ONNXBN_DOUBLE, 1, c2, b);
    mk_init(mm, "m", ONNXBN_FLOAT16, 1, c2, mh);
    mk_init(mm, "v", ONNXBN_FLOAT16, 1, c2, vh);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
    check_y(mm, 3, xd, x, want, 0, 0);
    mk_free(mm);

    /* training: running statistics come back as float16 */
    const double ts[] = {2, 3}, tb[] = {1, -1};
    for (int k = 0; k < 2; k++) {
        mh[k] = onnxbn_float_to_half(TM[k]);
        vh[k] = onnxbn_float_to_half(TV[k]);
    }
    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, TXD);
    mk_init(mm, "s", ONNXBN_DOUBLE, 1, c2, ts);
    mk_init(mm, "b", ONNXBN_DOUBLE, 1, c2, tb);
    mk_init(mm, "m", ONNXBN_FLOAT16, 1, c2, mh);
    mk_init(mm, "v", ONNXBN_FLOAT16, 1, c2, vh);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, TXD);
    mk_output(mm, "rm", ONNXBN_FLOAT16, 1, c2);
    mk_output(mm, "rv", ONNXBN_FLOAT16, 1, c2);
    mk_node *nd = mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv");
    mk_attr_f(nd, "epsilon", 11);
    mk_attr_f(nd, "momentum", 0.75f);
    mk_attr_i(nd, "training_mode", 1);
    onnxbn_session *ss = open_ok(mm);
    mk_feed f = {"X", 0, 3, TXD, TX};
    run_ok(ss, 1, &f);
    mk_expect_f32(ss, 0, 3, TXD, TY, 0, 0);
    expect_f64(ss, 1, ONNXBN_FLOAT16, 2, T_RMEAN, 0);
    expect_f64(ss, 2, ONNXBN_FLOAT16, 2, T_RVAR, 0);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* X double and X float16 take the generic paths; the output keeps X's type. */
static void test_opset15_double_and_half_x(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 2, 3}, c2[] = {2};
    const float xf[] = {0, 1, 2, -1, 3, 7};
    const double want[] = {-2, 0, 2, 3, 4, 5};
    const double s[] = {2, 0.5}, b[] = {-1, 3}, m[] = {0.5, -1}, v[] = {0.75, 3.75};
    for (int half = 0; half < 2; half++) {
        onnxbn_dtype dt = half ? ONNXBN_FLOAT16 : ONNXBN_DOUBLE;
        double xd64[6];
        uint16_t xh[6];
        for (int i = 0; i < 6; i++) {
            xd64[i] = xf[i];
            xh[i] = onnxbn_float_to_half(xf[i]);
        }
        mk_model *mm = mk_new(15);
        mk_input(mm, "X", dt, 3, xd);
        if (half) { /* the parameters as float: T1 = T2 = float, T = float16 */
            mk_init_f32(mm, "s", 1, c2, S2);
            mk_init_f32(mm, "b", 1, c2, B2);
            mk_init_f32(mm, "m", 1, c2, M2);
            mk_init_f32(mm, "v", 1, c2, V2);
        } else {
            mk_init(mm, "s", ONNXBN_DOUBLE, 1, c2, s);
            mk_init(mm, "b", ONNXBN_DOUBLE, 1, c2, b);
            mk_init(mm, "m", ONNXBN_DOUBLE, 1, c2, m);
            mk_init(mm, "v", ONNXBN_DOUBLE, 1, c2, v);
        }
        mk_output(mm, "Y", dt, 3, xd);
        mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
        onnxbn_session *ss = open_ok(mm);
        mk_feed f = {"X", dt, 3, xd, half ? (const void *)xh : (const void *)xd64};
        run_ok(ss, 1, &f);
        expect_dims(ss, 0, 3, xd);
        expect_f64(ss, 0, dt, 6, want, 0);
        onnxbn_session_free(ss);
        mk_free(mm);
    }
}

/* Training with X double, float16 and bfloat16 (statistics from the generic path for the 16-bit
 * types), float parameters: the hand-worked example is exact in all three. */
static void test_training_other_x_types(void **state)
{
    (void)state;
    const onnxbn_dtype types[] = {ONNXBN_DOUBLE, ONNXBN_FLOAT16, ONNXBN_BFLOAT16};
    const int64_t c2[] = {2};
    double want[8];
    for (int i = 0; i < 8; i++)
        want[i] = TY[i];
    for (int ti = 0; ti < 3; ti++) {
        onnxbn_dtype dt = types[ti];
        double x64[8];
        uint16_t x16[8];
        for (int i = 0; i < 8; i++) {
            x64[i] = TX[i];
            x16[i] = dt == ONNXBN_FLOAT16 ? onnxbn_float_to_half(TX[i]) : onnxbn_float_to_bf16(TX[i]);
        }
        mk_model *mm = mk_new(15);
        mk_input(mm, "X", dt, 3, TXD);
        mk_init_f32(mm, "s", 1, c2, TS);
        mk_init_f32(mm, "b", 1, c2, TB);
        mk_init_f32(mm, "m", 1, c2, TM);
        mk_init_f32(mm, "v", 1, c2, TV);
        mk_output(mm, "Y", dt, 3, TXD);
        mk_output(mm, "rm", ONNXBN_FLOAT, 1, c2);
        mk_output(mm, "rv", ONNXBN_FLOAT, 1, c2);
        mk_node *nd = mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv");
        mk_attr_f(nd, "epsilon", 11);
        mk_attr_f(nd, "momentum", 0.75f);
        mk_attr_i(nd, "training_mode", 1);
        onnxbn_session *ss = open_ok(mm);
        mk_feed f = {"X", dt, 3, TXD, dt == ONNXBN_DOUBLE ? (const void *)x64 : (const void *)x16};
        run_ok(ss, 1, &f);
        expect_f64(ss, 0, dt, 8, want, 0);
        expect_f64(ss, 1, ONNXBN_FLOAT, 2, T_RMEAN, 0);
        expect_f64(ss, 2, ONNXBN_FLOAT, 2, T_RVAR, 0);
        onnxbn_session_free(ss);
        mk_free(mm);
    }
}

/* An empty batch: Y is empty; in training the statistics of nothing are NaN (numpy's mean of an
 * empty array), and so the running ones. A huge dimension next to the zero must not loop. */
static void test_empty_batch(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    const int64_t shapes[2][3] = {{0, 2, 3}, {0, 2, INT64_C(1) << 40}};
    for (int si = 0; si < 2; si++) {
        const int64_t *xd = shapes[si];
        mk_model *mm = mk_new(15);
        mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
        mk_init_f32(mm, "s", 1, c2, TS);
        mk_init_f32(mm, "b", 1, c2, TB);
        mk_init_f32(mm, "m", 1, c2, TM);
        mk_init_f32(mm, "v", 1, c2, TV);
        mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
        mk_output(mm, "rm", ONNXBN_FLOAT, 1, c2);
        mk_output(mm, "rv", ONNXBN_FLOAT, 1, c2);
        mk_attr_i(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y,rm,rv"), "training_mode", 1);
        onnxbn_session *ss = open_ok(mm);
        float dummy = 0;
        mk_feed f = {"X", 0, 3, xd, &dummy};
        run_ok(ss, 1, &f);
        expect_dims(ss, 0, 3, xd);
        assert_int_equal(onnxbn_tensor_numel(onnxbn_session_output(ss, 0)), 0);
        for (int i = 1; i <= 2; i++)
            for (int k = 0; k < 2; k++)
                assert_true(isnan(onnxbn_get_f64(onnxbn_session_output(ss, i), k)));
        onnxbn_session_free(ss);
        mk_free(mm);
    }
}

/* ---- parameters that are not constants ---- */

/* Fed as graph inputs: a and t are folded at every run, so a second run with other values must
 * see them. */
static void test_params_as_inputs(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, XD4);
    const char *names[] = {"s", "b", "m", "v"};
    for (int i = 0; i < 4; i++)
        mk_input(mm, names[i], ONNXBN_FLOAT, 1, c2);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, XD4);
    mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
    onnxbn_session *ss = open_ok(mm);
    mk_feed f[5] = {{"X", 0, 4, XD4, X4}, {"s", 0, 1, c2, S2}, {"b", 0, 1, c2, B2},
                    {"m", 0, 1, c2, M2}, {"v", 0, 1, c2, V2}};
    run_ok(ss, 5, f);
    mk_expect_f32(ss, 0, 4, XD4, Y4, 0, 0);
    /* doubled scale and bias double Y */
    const float s2[] = {4, 1}, b2[] = {-2, 6};
    float y2[8];
    for (int i = 0; i < 8; i++)
        y2[i] = 2 * Y4[i];
    f[1].data = s2;
    f[2].data = b2;
    run_ok(ss, 5, f);
    mk_expect_f32(ss, 0, 4, XD4, y2, 0, 0);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* Parameters computed by another node live in the arena: they must not be taken for constants. */
static void test_params_from_node(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, XD4);
    mk_input(mm, "sin", ONNXBN_FLOAT, 1, c2);
    mk_init_f32(mm, "b", 1, c2, B2);
    mk_init_f32(mm, "m", 1, c2, M2);
    mk_init_f32(mm, "v", 1, c2, V2);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, XD4);
    mk_node_add(mm, "Relu", "relu", "sin", "s");
    mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
    onnxbn_session *ss = open_ok(mm);
    mk_feed f[2] = {{"X", 0, 4, XD4, X4}, {"sin", 0, 1, c2, S2}};
    run_ok(ss, 2, f);
    mk_expect_f32(ss, 0, 4, XD4, Y4, 0, 0);
    /* Relu(−s) = 0: Y is the bias alone */
    const float neg[] = {-2, -0.5f}, yb[] = {-1, -1, 3, 3, -1, -1, 3, 3};
    f[1].data = neg;
    run_ok(ss, 2, f);
    mk_expect_f32(ss, 0, 4, XD4, yb, 0, 0);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* Every input constant: the planner evaluates the node once at plan time. */
static void test_all_constant(void **state)
{
    (void)state;
    const int64_t c2[] = {2};
    mk_model *mm = mk_new(15);
    mk_init_f32(mm, "X", 4, XD4, X4);
    mk_init_f32(mm, "s", 1, c2, S2);
    mk_init_f32(mm, "b", 1, c2, B2);
    mk_init_f32(mm, "m", 1, c2, M2);
    mk_init_f32(mm, "v", 1, c2, V2);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, XD4);
    mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
    onnxbn_session *ss = open_ok(mm);
    run_ok(ss, 0, NULL);
    mk_expect_f32(ss, 0, 4, XD4, Y4, 0, 0);
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* One session, several inputs and batch sizes: the folded a and t serve every run. */
static void test_session_reuse(void **state)
{
    (void)state;
    const int64_t xdyn[] = {-1, 2, 1, 2};
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xdyn);
    const int64_t c2[] = {2};
    mk_init_f32(mm, "s", 1, c2, S2);
    mk_init_f32(mm, "b", 1, c2, B2);
    mk_init_f32(mm, "m", 1, c2, M2);
    mk_init_f32(mm, "v", 1, c2, V2);
    mk_output(mm, "Y", ONNXBN_FLOAT, 4, xdyn);
    mk_attr_f(mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y"), "epsilon", 0.25f);
    onnxbn_session *ss = open_ok(mm);
    for (int rep = 0; rep < 3; rep++) {
        mk_feed f = {"X", 0, 4, XD4, X4};
        run_ok(ss, 1, &f);
        mk_expect_f32(ss, 0, 4, XD4, Y4, 0, 0);
        const int64_t one[] = {1, 2, 1, 2};
        mk_feed g = {"X", 0, 4, one, X4 + 4};
        run_ok(ss, 1, &g);
        mk_expect_f32(ss, 0, 4, one, Y4 + 4, 0, 0);
    }
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* ---- errors ---- */

static void expect_error(mk_model *mm, int rank, const int64_t *xd, onnxbn_status want,
                         const char *msg)
{
    float x[64] = {0};
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, rank, xd, x};
    onnxbn_status st = open_run(mm, 1, &f, &err);
    if (st != want || !strstr(err.msg, msg))
        fail_msg("got %s \"%s\", expected %s with \"%s\"", onnxbn_status_name(st), err.msg,
                 onnxbn_status_name(want), msg);
    mk_free(mm);
}

static void test_shape_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 3, 2}, c2[] = {2}, c3[] = {3}, c31[] = {3, 1};
    const float p[] = {1, 1, 1};

    mk_model *mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(mm, "s", 1, c2, p);
    mk_init_f32(mm, "b", 1, c3, p);
    mk_init_f32(mm, "m", 1, c3, p);
    mk_init_f32(mm, "v", 1, c3, p);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn3", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_SHAPE,
                 "node 'bn3' (BatchNormalization): input 'scale' has 2 elements, expected 3");

    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(mm, "s", 1, c3, p);
    mk_init_f32(mm, "b", 1, c3, p);
    mk_init_f32(mm, "m", 1, c2, p);
    mk_init_f32(mm, "v", 1, c3, p);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn3", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_SHAPE, "input 'input_mean' has 2 elements, expected 3");

    mm = mk_new(9);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(mm, "s", 1, c3, p);
    mk_init_f32(mm, "b", 1, c3, p);
    mk_init_f32(mm, "m", 1, c3, p);
    mk_init_f32(mm, "v", 2, c31, p);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn3", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_SHAPE, "input 'var' has shape [3,1], expected [3]");

    /* fed with the wrong length at run time: caught when the plan is made for that shape */
    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_input(mm, "B", ONNXBN_FLOAT, 1, (const int64_t[]){-1});
    mk_init_f32(mm, "s", 1, c3, p);
    mk_init_f32(mm, "m", 1, c3, p);
    mk_init_f32(mm, "v", 1, c3, p);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn3", "X,s,B,m,v", "Y");
    {
        float x[6] = {0};
        onnxbn_error err = {0};
        mk_feed f[2] = {{"X", 0, 3, xd, x}, {"B", 0, 1, c2, p}};
        assert_int_equal(open_run(mm, 2, f, &err), ONNXBN_ERR_SHAPE);
        assert_non_null(strstr(err.msg, "input 'B' has 2 elements, expected 3"));
        mk_free(mm);
    }
}

static void test_type_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 2, 2}, c2[] = {2};
    const double pd[] = {1, 1};
    const float pf[] = {1, 1};

    /* BN-9: one type T for everything */
    mk_model *mm = mk_new(9);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init(mm, "s", ONNXBN_DOUBLE, 1, c2, pd);
    mk_init_f32(mm, "b", 1, c2, pf);
    mk_init_f32(mm, "m", 1, c2, pf);
    mk_init_f32(mm, "v", 1, c2, pf);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_TYPE, "input 'scale' is double, expected float");

    /* BN-15: mean and var share T2 */
    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(mm, "s", 1, c2, pf);
    mk_init_f32(mm, "b", 1, c2, pf);
    mk_init_f32(mm, "m", 1, c2, pf);
    mk_init(mm, "v", ONNXBN_DOUBLE, 1, c2, pd);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_TYPE, "input 'input_var' is double, expected float");

    /* integers are no BN type */
    const int32_t pi[] = {1, 1};
    mm = mk_new(15);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, xd);
    mk_init(mm, "s", ONNXBN_INT32, 1, c2, pi);
    mk_init_f32(mm, "b", 1, c2, pf);
    mk_init_f32(mm, "m", 1, c2, pf);
    mk_init_f32(mm, "v", 1, c2, pf);
    mk_output(mm, "Y", ONNXBN_FLOAT, 3, xd);
    mk_node_add(mm, BN, "bn", "X,s,b,m,v", "Y");
    expect_error(mm, 3, xd, ONNXBN_ERR_TYPE, "input 'scale' is int32");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank2),
        cmocka_unit_test(test_rank3),
        cmocka_unit_test(test_rank4),
        cmocka_unit_test(test_rank5),
        cmocka_unit_test(test_epsilon_default),
        cmocka_unit_test(test_epsilon_attr),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_opset1),
        cmocka_unit_test(test_opset1_needs_consumed_inputs),
        cmocka_unit_test(test_opset6_is_test),
        cmocka_unit_test(test_opset6_default_is_training),
        cmocka_unit_test(test_opset6_training_outputs),
        cmocka_unit_test(test_opset9_training_outputs),
        cmocka_unit_test(test_opset7_spatial0),
        cmocka_unit_test(test_opset7_spatial0_wrong_shape),
        cmocka_unit_test(test_opset7_spatial0_training),
        cmocka_unit_test(test_rank1),
        cmocka_unit_test(test_opset14_inference),
        cmocka_unit_test(test_opset14_extra_outputs_invalid),
        cmocka_unit_test(test_opset14_training_double_stats),
        cmocka_unit_test(test_opset15_training_reference),
        cmocka_unit_test(test_opset15_mixed_types),
        cmocka_unit_test(test_opset15_double_and_half_x),
        cmocka_unit_test(test_training_other_x_types),
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_params_as_inputs),
        cmocka_unit_test(test_params_from_node),
        cmocka_unit_test(test_all_constant),
        cmocka_unit_test(test_session_reuse),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_type_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
