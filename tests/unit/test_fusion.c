/* SPDX-License-Identifier: Apache-2.0 */
/* test_fusion.c — activations the planner fuses across nodes: SiLU (Mul of x by Sigmoid(x)) and
 * torch's erf GELU (five nodes) each run as one pass, with the same bits as the nodes run apart. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "profiled.h"

#define N 240

/* t = x + c; s = Sigmoid(t); y = Mul(t, s) (or Mul(s, t)); when `keep_s`, s is a graph output
 * too, which the fusion must leave alone (the two nodes then run apart). */
static mk_model *silu_model(bool swap, bool keep_s)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 4, 30}, one[] = {1};
    const float c = 0.25f;
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "c", 1, one, &c);
    mk_node_add(m, "Add", "add", "x,c", "t");
    mk_node_add(m, "Sigmoid", "sig", "t", "s");
    mk_node_add(m, "Mul", "mul", swap ? "s,t" : "t,s", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 3, xd);
    if (keep_s)
        mk_output(m, "s", ONNXBN_FLOAT, 3, xd);
    return m;
}

static void inputs(float *x)
{
    /* -30 .. 30 and a few extremes: both branches of the sigmoid, underflow of e^-|x|, ±0 */
    for (int i = 0; i < N; i++)
        x[i] = (float)(i - N / 2) * 0.25f;
    x[0] = -100.0f;
    x[1] = 100.0f;
    x[2] = -0.25f; /* t = 0 exactly */
    x[3] = -88.0f;
}

/* The fused pass against float64 x/(1 + e^-x): within 1e-6 relative (the Sigmoid kernel is
 * within 3 ulp, vmath.h, and the product rounds once more: 3.5 ulp of 2^-23 is 4.2e-7) or 1e-30
 * absolute (underflowed tails); and against the unfused pair (s also an output, so the Mul runs
 * as its own node) bit for bit. */
static void silu_fused(void **state)
{
    (void)state;
    float x[N], ref[N], apart[N];
    inputs(x);
    for (int i = 0; i < N; i++) {
        double t = (double)x[i] + 0.25;
        ref[i] = (float)(t / (1.0 + exp(-t)));
    }
    const int64_t xd[] = {2, 4, 30};
    mk_feed f = {"x", 0, 3, xd, x};
    for (int swap = 0; swap < 2; swap++) {
        mk_model *m = silu_model(swap, true);
        onnxbn_session *s = prof_open(m, 1);
        mk_run_ok(s, 1, &f);
        assert_int_equal(prof_runs(s, "mul"), 1); /* s is an output: not fused */
        const onnxbn_tensor *y = onnxbn_session_output(s, 0);
        memcpy(apart, onnxbn_tensor_data((onnxbn_tensor *)y), sizeof apart);
        onnxbn_session_free(s);
        mk_free(m);

        m = silu_model(swap, false);
        s = prof_open(m, 1);
        mk_run_ok(s, 1, &f);
        assert_int_equal(prof_runs(s, "sig"), 1);
        assert_int_equal(prof_runs(s, "mul"), 0); /* folded into the Sigmoid */
        mk_expect_f32(s, 0, 3, xd, ref, 1e-30, 1e-6);
        mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, xd, apart);
        mk_run_ok(s, 1, &f); /* again: the arena reused gives the same */
        mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, xd, apart);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* Not SiLU: Mul of Sigmoid(x) by another tensor, or with broadcasting; each runs as two nodes
 * and gives Sigmoid(t)·u. */
static void not_silu(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 3}, ud[] = {3};
    const float u[] = {2.0f, -1.0f, 0.5f};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init_f32(m, "u", 1, ud, u);
    mk_node_add(m, "Sigmoid", "sig", "x", "s");
    mk_node_add(m, "Mul", "mul", "s,u", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, xd);
    const float x[] = {0.0f, 0.0f, 0.0f, 100.0f, -100.0f, 0.0f};
    const float want[] = {1.0f, -0.5f, 0.25f, 2.0f, -0.0f /* -3.7e-44 */, 0.25f};
    onnxbn_session *s = prof_open(m, 1);
    mk_feed f = {"x", 0, 2, xd, x};
    mk_run_ok(s, 1, &f);
    assert_int_equal(prof_runs(s, "mul"), 1);
    mk_expect_f32(s, 0, 2, xd, want, 1e-30, 1e-6);
    onnxbn_session_free(s);
    mk_free(m);
}

/* t = x + 0.25; Div(t, sqrt 2) → Erf → Add(1) → Mul(t, ·) → Mul(0.5) (operand orders as
 * `order` flips them); when `keep`, the Add's output is a graph output too, so nothing fuses. */
static mk_model *gelu_model(int order, bool keep)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 4, 30}, one[] = {1};
    const float c = 0.25f, r2 = 1.41421353816986083984375f, o = 1.0f, h = 0.5f;
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "c", 1, one, &c);
    mk_init_f32(m, "r2", 1, one, &r2);
    mk_init_f32(m, "one", 1, one, &o);
    mk_init(m, "half", ONNXBN_FLOAT, 0, NULL, &h);
    mk_node_add(m, "Add", "add0", "x,c", "t");
    mk_node_add(m, "Div", "div", "t,r2", "d");
    mk_node_add(m, "Erf", "erf", "d", "e");
    mk_node_add(m, "Add", "add1", order ? "one,e" : "e,one", "a");
    mk_node_add(m, "Mul", "mul0", order ? "a,t" : "t,a", "mm");
    mk_node_add(m, "Mul", "mul1", order ? "half,mm" : "mm,half", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 3, xd);
    if (keep)
        mk_output(m, "a", ONNXBN_FLOAT, 3, xd);
    return m;
}

/* Against float64 0.5·t·(1 + erf(t/√2)): erf is within 3 ulp, and within 7e-8 absolute where
 * |t/√2| >= 0.92 (vmath.h); where 1 + erf cancels (t < 0) that absolute error times 0.5·|t|
 * (|t| <= 30.25) is under 1.1e-6, so atol 2e-6 with rtol 1e-6 (3 ulp and four roundings). And
 * bit for bit against the unfused five nodes. */
static void gelu_fused(void **state)
{
    (void)state;
    float x[N], ref[N], apart[N];
    inputs(x);
    for (int i = 0; i < N; i++) {
        double t = (double)x[i] + 0.25;
        ref[i] = (float)(0.5 * t * (1.0 + erf(t / sqrt(2.0))));
    }
    const int64_t xd[] = {2, 4, 30};
    mk_feed f = {"x", 0, 3, xd, x};
    for (int order = 0; order < 2; order++) {
        mk_model *m = gelu_model(order, true);
        onnxbn_session *s = prof_open(m, 1);
        mk_run_ok(s, 1, &f);
        assert_int_equal(prof_runs(s, "erf"), 1);
        assert_int_equal(prof_runs(s, "mul1"), 1);
        const onnxbn_tensor *y = onnxbn_session_output(s, 0);
        memcpy(apart, onnxbn_tensor_data((onnxbn_tensor *)y), sizeof apart);
        onnxbn_session_free(s);
        mk_free(m);

        m = gelu_model(order, false);
        s = prof_open(m, 1);
        mk_run_ok(s, 1, &f);
        assert_int_equal(prof_runs(s, "div"), 1);
        assert_int_equal(prof_runs(s, "erf"), 0);
        assert_int_equal(prof_runs(s, "add1"), 0);
        assert_int_equal(prof_runs(s, "mul0"), 0);
        assert_int_equal(prof_runs(s, "mul1"), 0);
        mk_expect_f32(s, 0, 3, xd, ref, 2e-6, 1e-6);
        mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, xd, apart);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* A large tensor goes over the pool (two threads): the same bits as one thread. */
static void gelu_threads(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {64, 1024}, one[] = {1};
    const float r2 = 1.41421353816986083984375f, o = 1.0f, h = 0.5f;
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init_f32(m, "r2", 1, one, &r2);
    mk_init_f32(m, "one", 1, one, &o);
    mk_init_f32(m, "half", 1, one, &h);
    mk_node_add(m, "Div", "div", "x,r2", "d");
    mk_node_add(m, "Erf", "erf", "d", "e");
    mk_node_add(m, "Add", "add1", "e,one", "a");
    mk_node_add(m, "Mul", "mul0", "x,a", "mm");
    mk_node_add(m, "Mul", "mul1", "mm,half", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, xd);
    float *x = malloc(64 * 1024 * sizeof *x), *y1 = malloc(64 * 1024 * sizeof *y1);
    assert_non_null(x);
    assert_non_null(y1);
    for (int i = 0; i < 64 * 1024; i++)
        x[i] = (float)(i % 2001 - 1000) / 100.0f;
    mk_feed f = {"x", 0, 2, xd, x};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 1, &f);
    memcpy(y1, onnxbn_tensor_data((onnxbn_tensor *)onnxbn_session_output(s, 0)), 64 * 1024 * sizeof *y1);
    onnxbn_session_free(s);
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.threads = 2;
    onnxbn_model *md = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &md, &err) ||
        onnxbn_session_new(md, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, xd, y1);
    onnxbn_session_free(s);
    free(x);
    free(y1);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silu_fused),
        cmocka_unit_test(not_silu),
        cmocka_unit_test(gelu_fused),
        cmocka_unit_test(gelu_threads),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
