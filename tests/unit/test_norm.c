/* SPDX-License-Identifier: Apache-2.0 */
/* test_norm.c — Softmax, LogSoftmax, Hardmax (both axis rules), InstanceNormalization, LRN,
 * LayerNormalization and MeanVarianceNormalization through the session API, hand-computed. */
#include <float.h>
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

#include "core.h"
#include "kernels/isa.h"
#include "kernels/norm.h"
#include "mkmodel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A one-node model: graph inputs named by `ins` (comma-separated, all of type dt), outputs
 * `outs`; attributes are added by the caller through the returned node. */
typedef struct one_node {
    mk_model *m;
    mk_node *n;
} one_node;

static one_node model_t(const char *op, int64_t opset, const char *ins, const char *outs,
                        onnxbn_dtype dt)
{
    one_node r = {mk_new(opset), NULL};
    char buf[128];
    snprintf(buf, sizeof buf, "%s", ins);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        mk_input(r.m, t, dt, -1, NULL);
    r.n = mk_node_add(r.m, op, "node", ins, outs);
    snprintf(buf, sizeof buf, "%s", outs);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        mk_output(r.m, t, ONNXBN_UNDEFINED, -1, NULL);
    return r;
}

static one_node model(const char *op, int64_t opset, const char *ins, const char *outs)
{
    return model_t(op, opset, ins, outs, ONNXBN_FLOAT);
}

/* Opens and runs with the feeds; frees the model. Returns the status; *out on success. */
static onnxbn_status open_run(one_node *o, size_t n, const mk_feed *f, onnxbn_session **out,
                              onnxbn_error *err)
{
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(o->m, &s, err);
    if (!st)
        st = mk_run(s, n, f, err);
    mk_free(o->m);
    o->m = NULL;
    if (st) {
        onnxbn_session_free(s);
        s = NULL;
    }
    *out = s;
    return st;
}

static onnxbn_session *run_ok(one_node *o, size_t n, const mk_feed *f)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(o, n, f, &s, &err))
        fail_msg("%s", err.msg);
    return s;
}

static void expect_fail(one_node *o, size_t n, const mk_feed *f, onnxbn_status want,
                        const char *needle)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    onnxbn_status st = open_run(o, n, f, &s, &err);
    onnxbn_session_free(s);
    if (st != want)
        fail_msg("status %d, expected %d (%s)", (int)st, (int)want, err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void expect_vals(const onnxbn_session *s, size_t i, onnxbn_dtype dt, size_t n,
                        const double *want, double tol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_numel(t), (int64_t)n);
    for (size_t k = 0; k < n; k++) {
        const double g = onnxbn_get_f64(t, (int64_t)k);
        if (!(fabs(g - want[k]) <= tol * (1.0 + fabs(want[k]))))
            fail_msg("output %zu element %zu: got %.9g, expected %.9g", i, k, g, want[k]);
    }
}

/* One float (or dt) input x of the given shape through `op` with an optional axis. */
static onnxbn_session *unary(const char *op, int64_t opset, bool has_axis, int64_t axis,
                             onnxbn_dtype dt, int rank, const int64_t *dims, const void *x)
{
    one_node o = model_t(op, opset, "x", "y", dt);
    if (has_axis)
        mk_attr_i(o.n, "axis", axis);
    mk_feed f = {"x", dt, rank, dims, x};
    return run_ok(&o, 1, &f);
}

static void check_unary(const char *op, int64_t opset, bool has_axis, int64_t axis, int rank,
                        const int64_t *dims, const float *x, const float *want, double tol)
{
    onnxbn_session *s = unary(op, opset, has_axis, axis, ONNXBN_FLOAT, rank, dims, x);
    mk_expect_f32(s, 0, rank, dims, want, tol, tol);
    onnxbn_session_free(s);
}

/* ---- Softmax family ---- */

/* x = [[0, ln 3], [0, 0]]. From 13 the axis is one dimension (default −1); up to 11 the input is
 * flattened to 2-D at the axis (default 1), so axis 0 makes the whole tensor one line. */
static void test_softmax_axes(void **state)
{
    (void)state;
    const float l3 = logf(3.0f);
    const float x[] = {0, l3, 0, 0};
    const int64_t d[] = {2, 2};
    const float rows[] = {0.25f, 0.75f, 0.5f, 0.5f};
    const float cols[] = {0.5f, 0.75f, 0.5f, 0.25f};
    const float all[] = {1.0f / 6, 0.5f, 1.0f / 6, 1.0f / 6};
    check_unary("Softmax", 13, false, 0, 2, d, x, rows, 1e-6);
    check_unary("Softmax", 13, true, -1, 2, d, x, rows, 1e-6);
    check_unary("Softmax", 13, true, 0, 2, d, x, cols, 1e-6);
    check_unary("Softmax", 13, true, -2, 2, d, x, cols, 1e-6);
    check_unary("Softmax", 11, false, 0, 2, d, x, rows, 1e-6);
    check_unary("Softmax", 11, true, 0, 2, d, x, all, 1e-6);
    check_unary("Softmax", 11, true, -2, 2, d, x, all, 1e-6);
    check_unary("Softmax", 1, true, 0, 2, d, x, all, 1e-6);
    /* shape [2, 1, 2], axis 1: a line of one element (all 1) from 13, rows of 2 up to 11 */
    const int64_t d3[] = {2, 1, 2};
    check_unary("Softmax", 13, true, 1, 3, d3, x, (const float[]){1, 1, 1, 1}, 0);
    check_unary("Softmax", 11, true, 1, 3, d3, x, rows, 1e-6);
    /* LogSoftmax: the logs of the same */
    float lrows[4], lcols[4], lall[4];
    for (int i = 0; i < 4; i++) {
        lrows[i] = logf(rows[i]);
        lcols[i] = logf(cols[i]);
        lall[i] = logf(all[i]);
    }
    check_unary("LogSoftmax", 13, false, 0, 2, d, x, lrows, 1e-6);
    check_unary("LogSoftmax", 13, true, 0, 2, d, x, lcols, 1e-6);
    check_unary("LogSoftmax", 11, true, 0, 2, d, x, lall, 1e-6);
    /* double, with the line along a strided axis */
    const double xd[] = {0, log(3.0), 0, 0};
    onnxbn_session *s = unary("Softmax", 13, true, 0, ONNXBN_DOUBLE, 2, d, xd);
    expect_vals(s, 0, ONNXBN_DOUBLE, 4, (const double[]){0.5, 0.75, 0.5, 0.25}, 1e-15);
    onnxbn_session_free(s);
    /* float16 through double */
    uint16_t h[4];
    for (int i = 0; i < 4; i++)
        h[i] = onnxbn_float_to_half(x[i]);
    s = unary("Softmax", 13, false, 0, ONNXBN_FLOAT16, 2, d, h);
    expect_vals(s, 0, ONNXBN_FLOAT16, 4, (const double[]){0.25, 0.75, 0.5, 0.5}, 1e-3);
    onnxbn_session_free(s);
}

/* Subtracting the maximum first: e^1000 overflows float, the result must not. */
static void test_softmax_large(void **state)
{
    (void)state;
    const float x[] = {1000, 1000, -1000, 0, 1e30f, -1e30f};
    const int64_t d[] = {3, 2};
    check_unary("Softmax", 13, false, 0, 2, d, x, (const float[]){0.5f, 0.5f, 0, 1, 1, 0}, 1e-7);
    check_unary("LogSoftmax", 13, false, 0, 2, d, x,
                (const float[]){-logf(2), -logf(2), -1000, 0, 0, -2e30f}, 1e-6);
}

/* Hardmax marks the first maximum only. */
static void test_hardmax(void **state)
{
    (void)state;
    const float x[] = {1, 3, 3, 2, 2, 0};
    const int64_t d[] = {2, 3};
    check_unary("Hardmax", 13, false, 0, 2, d, x, (const float[]){0, 1, 0, 1, 0, 0}, 0);
    check_unary("Hardmax", 13, true, 0, 2, d, x, (const float[]){0, 1, 1, 1, 0, 0}, 0);
    check_unary("Hardmax", 11, true, 0, 2, d, x, (const float[]){0, 1, 0, 0, 0, 0}, 0);
    check_unary("Hardmax", 11, false, 0, 2, d, x, (const float[]){0, 1, 0, 1, 0, 0}, 0);
}

static void test_softmax_errors(void **state)
{
    (void)state;
    const float x[4] = {0};
    const int64_t d[] = {2, 2};
    mk_feed f = {"x", 0, 2, d, x};
    one_node o = model("Softmax", 13, "x", "y");
    mk_attr_i(o.n, "axis", 2);
    expect_fail(&o, 1, &f, ONNXBN_ERR_MODEL, "attribute 'axis' is 2, expected a value in [-2, 1]");
    o = model("LogSoftmax", 11, "x", "y");
    mk_attr_i(o.n, "axis", -3);
    expect_fail(&o, 1, &f, ONNXBN_ERR_MODEL, "'axis' is -3");
    mk_feed fb = {"x", ONNXBN_BFLOAT16, 2, d, x};
    o = model_t("Softmax", 11, "x", "y", ONNXBN_BFLOAT16);
    expect_fail(&o, 1, &fb, ONNXBN_ERR_TYPE, "bfloat16");
}

/* ---- InstanceNormalization ---- */

/* eps = 9 and planes [a − 4, a + 4] give σ² + ε = 25: normalised ∓0.8. A constant plane has σ = 0
 * and gives the bias. scale = [2, 5], bias = [1, −1]. */
static void test_instancenorm(void **state)
{
    (void)state;
    const float x[] = {-3, 5, 10, 10, 0, 0, 0, 8};
    const float want[] = {-0.6f, 2.6f, -1, -1, 1, 1, -5, 3};
    const int64_t d[] = {2, 2, 2}, cd[] = {2};
    const int64_t opsets[] = {1, 6};
    for (size_t v = 0; v < COUNT(opsets); v++) {
        one_node o = model("InstanceNormalization", opsets[v], "x,s,b", "y");
        mk_attr_f(o.n, "epsilon", 9.0f);
        mk_feed f[] = {{"x", 0, 3, d, x}, {"s", 0, 1, cd, (const float[]){2, 5}},
                       {"b", 0, 1, cd, (const float[]){1, -1}}};
        onnxbn_session *s = run_ok(&o, 3, f);
        mk_expect_f32(s, 0, 3, d, want, 1e-6, 1e-6);
        onnxbn_session_free(s);
    }
    one_node o = model("InstanceNormalization", 6, "x,s,b", "y");
    mk_feed f[] = {{"x", 0, 3, d, x}, {"s", 0, 1, (const int64_t[]){3}, (const float[]){2, 5, 1}},
                   {"b", 0, 1, cd, (const float[]){1, -1}}};
    expect_fail(&o, 3, f, ONNXBN_ERR_SHAPE, "input 'scale' ('s') has shape [3], expected [2]");
}

/* ---- LRN ---- */

/* x = [1, 2, 3] on channels; alpha = size so that alpha/size = 1, beta = bias = 1:
 * y = x / (1 + Σ x²) over the window. size 3: channels c−1..c+1; size 2: c..c+1 (the extra
 * channel goes after: ⌊(size−1)/2⌋ before, ⌈(size−1)/2⌉ after). */
static void test_lrn(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3};
    const int64_t d[] = {1, 3, 1, 1};
    struct {
        int64_t size;
        float want[3];
    } cases[] = {{3, {1.0f / 6, 2.0f / 15, 3.0f / 14}}, {2, {1.0f / 6, 2.0f / 14, 3.0f / 10}},
                 {1, {1.0f / 2, 2.0f / 5, 3.0f / 10}}};
    for (size_t i = 0; i < COUNT(cases); i++) {
        one_node o = model("LRN", i ? 13 : 1, "x", "y");
        mk_attr_i(o.n, "size", cases[i].size);
        mk_attr_f(o.n, "alpha", (float)cases[i].size);
        mk_attr_f(o.n, "beta", 1.0f);
        mk_attr_f(o.n, "bias", 1.0f);
        mk_feed f = {"x", 0, 4, d, x};
        onnxbn_session *s = run_ok(&o, 1, &f);
        mk_expect_f32(s, 0, 4, d, cases[i].want, 1e-7, 1e-6);
        onnxbn_session_free(s);
    }
    /* beta 0.5, bias 0, size 1, alpha 1: x / |x| */
    one_node o = model("LRN", 13, "x", "y");
    mk_attr_i(o.n, "size", 1);
    mk_attr_f(o.n, "alpha", 1.0f);
    mk_attr_f(o.n, "beta", 0.5f);
    mk_attr_f(o.n, "bias", 0.0f);
    mk_feed f = {"x", 0, 4, d, (const float[]){-2, 3, 0.5f}};
    onnxbn_session *s = run_ok(&o, 1, &f);
    mk_expect_f32(s, 0, 4, d, (const float[]){-1, 1, 1}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    o = model("LRN", 13, "x", "y");
    mk_attr_i(o.n, "size", 0);
    expect_fail(&o, 1, &f, ONNXBN_ERR_MODEL, "'size' is 0");
}

/* ---- LayerNormalization ---- */

/* X [2, 2, 2] normalised over its last two axes (axis 1 or −2): row 0 = [0 0 4 4] has mean 2 and
 * variance 4, with eps 2.25 1/σ = 0.4 and normalised [−.8 −.8 .8 .8]; row 1 is constant
 * (normalised 0, 1/σ = 1/1.5). Scale [2, 2] = [1 2; 3 4], B [2] = [10 20] broadcast. */
static void test_layernorm(void **state)
{
    (void)state;
    const float x[] = {0, 0, 4, 4, 1, 1, 1, 1};
    const int64_t d[] = {2, 2, 2}, sd[] = {2, 2}, bd[] = {2}, md[] = {2, 1, 1};
    const float want[] = {9.2f, 18.4f, 12.4f, 23.2f, 10, 20, 10, 20};
    const int64_t axes[] = {1, -2};
    for (size_t i = 0; i < COUNT(axes); i++) {
        one_node o = model("LayerNormalization", 17, "x,s,b", "y,mean,inv");
        mk_attr_i(o.n, "axis", axes[i]);
        mk_attr_f(o.n, "epsilon", 2.25f);
        mk_feed f[] = {{"x", 0, 3, d, x}, {"s", 0, 2, sd, (const float[]){1, 2, 3, 4}},
                       {"b", 0, 1, bd, (const float[]){10, 20}}};
        onnxbn_session *s = run_ok(&o, 3, f);
        mk_expect_f32(s, 0, 3, d, want, 1e-6, 1e-6);
        mk_expect_f32(s, 1, 3, md, (const float[]){2, 1}, 1e-7, 1e-7);
        mk_expect_f32(s, 2, 3, md, (const float[]){0.4f, 1 / 1.5f}, 1e-7, 1e-7);
        onnxbn_session_free(s);
    }
    /* no B, only Y; default axis −1 over the pairs [1 3] [0 0] [−5 5] [2 2] */
    one_node o = model("LayerNormalization", 17, "x,s", "y");
    mk_feed f[] = {{"x", 0, 3, d, (const float[]){1, 3, 0, 0, -5, 5, 2, 2}},
                   {"s", 0, 1, bd, (const float[]){2, 3}}};
    onnxbn_session *s = run_ok(&o, 2, f);
    /* [1 3]: mean 2, σ² 1 (+1e-5) → ∓1/√(1+1e-5); [−5 5]: σ² 25 */
    const float k1 = (float)(1 / sqrt(1 + (double)1e-5f)), k5 = (float)(5 / sqrt(25 + (double)1e-5f));
    mk_expect_f32(s, 0, 3, d, (const float[]){-2 * k1, 3 * k1, 0, 0, -2 * k5, 3 * k5, 0, 0}, 1e-6, 1e-6);
    onnxbn_session_free(s);

    o = model("LayerNormalization", 17, "x,s", "y");
    mk_feed bad[] = {{"x", 0, 3, d, x}, {"s", 0, 1, (const int64_t[]){3}, (const float[]){1, 2, 3}}};
    expect_fail(&o, 2, bad, ONNXBN_ERR_SHAPE, "input 'Scale' ('s') has shape [3], which does not broadcast to [2]");
    o = model("LayerNormalization", 17, "x,s", "y");
    mk_attr_i(o.n, "axis", 3);
    expect_fail(&o, 2, f, ONNXBN_ERR_UNSUPPORTED, "normalising over no axis");
    o = model("LayerNormalization", 17, "x,s", "y");
    mk_attr_i(o.n, "axis", -4);
    expect_fail(&o, 2, f, ONNXBN_ERR_MODEL, "'axis' is -4");
}

/* ---- MeanVarianceNormalization ---- */

/* Default axes 0, 2, 3 on [1, 2, 1, 2]: channel 0 [1 3] → [−1 1] (σ = 1, plus 1e-9);
 * channel 1 [5 5] → 0. axes [1] instead normalises across the channels: [1 5] and [3 5]. */
static void test_mvn(void **state)
{
    (void)state;
    const float x[] = {1, 3, 5, 5};
    const int64_t d[] = {1, 2, 1, 2};
    const int64_t opsets[] = {9, 13};
    for (size_t v = 0; v < COUNT(opsets); v++) {
        one_node o = model("MeanVarianceNormalization", opsets[v], "x", "y");
        mk_feed f = {"x", 0, 4, d, x};
        onnxbn_session *s = run_ok(&o, 1, &f);
        mk_expect_f32(s, 0, 4, d, (const float[]){-1, 1, 0, 0}, 1e-7, 1e-7);
        onnxbn_session_free(s);
    }
    one_node o = model("MeanVarianceNormalization", 13, "x", "y");
    mk_attr_ints(o.n, "axes", 1, (const int64_t[]){1});
    mk_feed f = {"x", 0, 4, d, x};
    onnxbn_session *s = run_ok(&o, 1, &f);
    mk_expect_f32(s, 0, 4, d, (const float[]){-1, -1, 1, 1}, 1e-7, 1e-7);
    onnxbn_session_free(s);
    o = model("MeanVarianceNormalization", 13, "x", "y");
    mk_attr_ints(o.n, "axes", 2, (const int64_t[]){1, -3});
    expect_fail(&o, 1, &f, ONNXBN_ERR_MODEL, "names axis 1 twice");
    o = model("MeanVarianceNormalization", 13, "x", "y");
    mk_feed f3 = {"x", 0, 3, (const int64_t[]){1, 2, 2}, x};
    expect_fail(&o, 1, &f3, ONNXBN_ERR_MODEL, "the default axes are 0, 2, 3");
}

/* The float LayerNormalization kernel (vectorised per ISA level: run under ONNXBN_ISA=avx512,
 * avx2 and generic) against a double reference, at widths around its 16 lanes, with rows far
 * from zero (a one-pass variance would cancel there), with and without bias. */
static void test_layernorm_kernel(void **state)
{
    (void)state;
    const int64_t ns[] = {1, 3, 15, 16, 17, 31, 96, 100, 768};
    enum { ROWS = 4 };
    uint32_t seed = 12345;
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++)
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const int64_t n = ns[t];
            const size_t all = (size_t)(ROWS * n);
            float *x = malloc(all * sizeof *x), *y = malloc(all * sizeof *y);
            float *sc = malloc((size_t)n * sizeof *sc), *bs = malloc((size_t)n * sizeof *bs);
            double mean[ROWS], inv[ROWS];
            assert_true(x && y && sc && bs);
            for (int64_t i = 0; i < ROWS * n; i++) {
                seed = seed * 1664525u + 1013904223u;
                const float u = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
                const int64_t r = i / n;
                x[i] = r == 1 ? 1000.0f + u * 0.01f : r == 2 ? -3.0f * u : u * (float)(r + 1);
            }
            for (int64_t j = 0; j < n; j++) {
                sc[j] = 0.5f + (float)j / (float)n;
                bs[j] = (float)(j % 7) * 0.25f - 0.75f;
            }
            const float *b = with_bias ? bs : NULL;
            onnxbn_layernorm_f32(x, y, sc, b, ROWS, n, 1e-5, mean, inv);
            for (int r = 0; r < ROWS; r++) {
                const float *xr = x + r * n;
                double mu = 0, var = 0;
                for (int64_t j = 0; j < n; j++)
                    mu += xr[j];
                mu /= (double)n;
                for (int64_t j = 0; j < n; j++)
                    var += ((double)xr[j] - mu) * ((double)xr[j] - mu);
                var /= (double)n;
                const double k = 1.0 / sqrt(var + 1e-5);
                if (!(fabs(mean[r] - mu) <= 1e-12 * (fabs(mu) + 1)) ||
                    !(fabs(inv[r] - k) <= 1e-12 * k))
                    fail_msg("n=%lld row %d: mean %.17g inv %.17g, want %.17g %.17g", (long long)n,
                             r, mean[r], inv[r], mu, k);
                for (int64_t j = 0; j < n; j++) {
                    const double z = ((double)xr[j] - mu) * k * sc[j], want = z + (b ? b[j] : 0.0);
                    const float got = y[r * n + j];
                    /* a float rounding of the normalised value, of its product and of the sum */
                    if (!(fabs(got - want) <= 3.0 * FLT_EPSILON * (fabs(z) + fabs(want)) + 1e-30))
                        fail_msg("%s n=%lld bias %d: y[%d][%lld] = %.9g, want %.9g",
                                 onnxbn_isa_level_name(onnxbn_isa()), (long long)n, with_bias, r,
                                 (long long)j, got, want);
                }
            }
            free(x);
            free(y);
            free(sc);
            free(bs);
        }
}

/* LayerNormalization on two threads (512 rows of 96, above the size at which ops/norm.c shares
 * the rows out) gives one thread's bits: Y and the Mean and InvStdDev outputs. */
static float *ln_threads_run(int threads, const float *x, const float *sc, const float *bs,
                             size_t out_floats)
{
    const int64_t d[] = {4, 128, 96}, sd[] = {96};
    one_node o = model("LayerNormalization", 17, "x,s,b", "y,mean,inv");
    uint8_t *buf;
    size_t len;
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    buf = mk_pack(o.m, &len);
    mk_free(o.m);
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err) ||
        onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("%s", err.msg);
    free(buf);
    mk_feed f[] = {{"x", 0, 3, d, x}, {"s", 0, 1, sd, sc}, {"b", 0, 1, sd, bs}};
    if (mk_run(s, 3, f, &err))
        fail_msg("%s", err.msg);
    float *out = malloc(out_floats * sizeof *out);
    assert_non_null(out);
    size_t at = 0;
    for (size_t i = 0; i < 3; i++) {
        const onnxbn_tensor *t = onnxbn_session_output(s, i);
        const size_t n = (size_t)onnxbn_tensor_numel(t);
        assert_true(at + n <= out_floats);
        memcpy(out + at, onnxbn_tensor_cdata(t), n * sizeof *out);
        at += n;
    }
    assert_int_equal(at, out_floats);
    onnxbn_session_free(s); /* and the model, which the session took */
    return out;
}

static void test_layernorm_threads(void **state)
{
    (void)state;
    enum { ROWS = 4 * 128, N = 96, ALL = ROWS * N + 2 * ROWS };
    float *x = malloc(ROWS * N * sizeof *x), sc[N], bs[N];
    assert_non_null(x);
    uint32_t seed = 7;
    for (int i = 0; i < ROWS * N; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 22) - 2.0f + (float)(i / N % 5);
    }
    for (int j = 0; j < N; j++) {
        sc[j] = 1.0f + 0.01f * (float)j;
        bs[j] = 0.5f - 0.02f * (float)j;
    }
    float *one = ln_threads_run(1, x, sc, bs, ALL), *two = ln_threads_run(2, x, sc, bs, ALL);
    assert_memory_equal(one, two, ALL * sizeof *one);
    free(one);
    free(two);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_axes),   cmocka_unit_test(test_softmax_large),
        cmocka_unit_test(test_hardmax),        cmocka_unit_test(test_softmax_errors),
        cmocka_unit_test(test_instancenorm),   cmocka_unit_test(test_lrn),
        cmocka_unit_test(test_layernorm),      cmocka_unit_test(test_mvn),
        cmocka_unit_test(test_layernorm_kernel),
        cmocka_unit_test(test_layernorm_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
