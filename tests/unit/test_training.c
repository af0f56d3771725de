/* SPDX-License-Identifier: Apache-2.0 */
/* test_training.c — Adagrad, Adam and Momentum (ai.onnx.preview.training 1): one step over one
 * and two tensors against numpy float64 runs of adagrad.py, adam.py and momentum.py, the defaults,
 * the bias correction and first-step rules of T, and counts and shapes that do not fit refused. */
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

#define TRAINING "ai.onnx.preview.training"

/* A model importing only the training domain, as the ONNX test data's, with inputs fed. */
static mk_node *opt_model(mk_model **out, const char *op, const char *ins, const char *outs,
                          onnxbn_dtype t)
{
    mk_model *mm = mk_new(17);
    mk_opset(mm, TRAINING, 1);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ins);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
        mk_input(mm, p, !strcmp(p, "T") ? ONNXBN_INT64 : t, -1, NULL);
    snprintf(buf, sizeof buf, "%s", outs);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
        mk_output(mm, p, t, -1, NULL);
    mk_node *n = mk_node_add(mm, op, "opt", ins, outs);
    mk_node_domain(n, TRAINING);
    *out = mm;
    return n;
}

/* Output i holds these doubles within 1e-12 relative. */
static void expect_f64(const onnxbn_session *s, size_t i, size_t n, const double *want)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), ONNXBN_DOUBLE);
    assert_int_equal(onnxbn_tensor_numel(t), (int64_t)n);
    const double *got = onnxbn_tensor_cdata(t);
    for (size_t k = 0; k < n; k++)
        if (!(fabs(got[k] - want[k]) <= 1e-12 * fabs(want[k]) + 1e-15))
            fail_msg("output %zu [%zu]: got %.17g, expected %.17g", i, k, got[k], want[k]);
}

static void test_adagrad(void **state)
{
    (void)state;
    mk_model *mm;
    mk_node *n = opt_model(&mm, "Adagrad", "R,T,X1,X2,G1,G2,H1,H2", "X1n,X2n,H1n,H2n", ONNXBN_DOUBLE);
    mk_attr_f(n, "norm_coefficient", 0.125f);
    mk_attr_f(n, "decay_factor", 0.25f); /* epsilon left at its default, 1e-6 */
    const int64_t d2[] = {2}, d1[] = {1}, t = 3;
    const double r = 0.5;
    const mk_feed f[] = {
        {"R", ONNXBN_DOUBLE, 0, NULL, &r},
        {"T", ONNXBN_INT64, 0, NULL, &t},
        {"X1", ONNXBN_DOUBLE, 1, d2, (const double[]){1.0, -2.0}},
        {"X2", ONNXBN_DOUBLE, 1, d1, (const double[]){3.0}},
        {"G1", ONNXBN_DOUBLE, 1, d2, (const double[]){0.5, 0.25}},
        {"G2", ONNXBN_DOUBLE, 1, d1, (const double[]){-1.0}},
        {"H1", ONNXBN_DOUBLE, 1, d2, (const double[]){1.0, 0.0}},
        {"H2", ONNXBN_DOUBLE, 1, d1, (const double[]){4.0}},
    };
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 8, f);
    /* X1[1]: its regularized gradient is 0 and H stays 0, so epsilon keeps it -2 exactly */
    expect_f64(s, 0, 2, (const double[]){0.8485718598384686, -2.0});
    expect_f64(s, 1, 1, (const double[]){3.0852213859392172});
    expect_f64(s, 2, 2, (const double[]){1.390625, 0.0});
    expect_f64(s, 3, 1, (const double[]){4.390625});
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_adam(void **state)
{
    (void)state;
    const int64_t d[] = {2};
    const double r = 0.1;
    int64_t t = 2;
    const mk_feed f[] = {
        {"R", ONNXBN_DOUBLE, 0, NULL, &r},
        {"T", ONNXBN_INT64, 0, NULL, &t},
        {"X", ONNXBN_DOUBLE, 1, d, (const double[]){1.0, -0.5}},
        {"G", ONNXBN_DOUBLE, 1, d, (const double[]){0.5, 2.0}},
        {"V", ONNXBN_DOUBLE, 1, d, (const double[]){0.25, -1.0}},
        {"H", ONNXBN_DOUBLE, 1, d, (const double[]){0.5, 1.0}},
    };
    mk_model *mm;
    mk_node *n = opt_model(&mm, "Adam", "R,T,X,G,V,H", "Xn,Vn,Hn", ONNXBN_DOUBLE);
    mk_attr_f(n, "norm_coefficient", 0.125f);
    mk_attr_f(n, "norm_coefficient_post", 0.25f);
    mk_attr_f(n, "alpha", 0.5f);
    mk_attr_f(n, "beta", 0.75f);
    mk_attr_f(n, "epsilon", 0.0625f);
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 6, f); /* T = 2: both moments bias-corrected */
    expect_f64(s, 0, 2, (const double[]){0.7114161267136414, -0.397765681064431});
    expect_f64(s, 1, 2, (const double[]){0.4375, 0.46875});
    expect_f64(s, 2, 2, (const double[]){0.47265625, 1.6884765625});
    t = 0; /* no correction at the first step */
    mk_run_ok(s, 6, f);
    expect_f64(s, 0, 2, (const double[]){0.70625, -0.40081385593864144});
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_adam_float_defaults(void **state)
{
    (void)state;
    /* float, every attribute at its default: alpha 0.9, beta 0.999, epsilon 1e-6, T = 0; with
     * G = 1 and zero moments V = 1 - alpha, H = 1 - beta, X = 1 - R V / (sqrt(H) + epsilon) */
    mk_model *mm;
    opt_model(&mm, "Adam", "R,T,X,G,V,H", "Xn,Vn,Hn", ONNXBN_FLOAT);
    const int64_t d[] = {1}, t = 0;
    const float r = 0.1f, x = 1, g = 1, v = 0, h = 0;
    const mk_feed f[] = {
        {"R", ONNXBN_FLOAT, 0, NULL, &r}, {"T", ONNXBN_INT64, 0, NULL, &t},
        {"X", ONNXBN_FLOAT, 1, d, &x},    {"G", ONNXBN_FLOAT, 1, d, &g},
        {"V", ONNXBN_FLOAT, 1, d, &v},    {"H", ONNXBN_FLOAT, 1, d, &h},
    };
    /* the defaults as the float attributes they stand for */
    const double a = 0.9f, b = 0.999f, eps = 1e-6f, vn = 1 - a, hn = 1 - b;
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 6, f);
    mk_expect_f32(s, 0, 1, d, (const float[]){(float)(1 - (double)r * vn / (sqrt(hn) + eps))}, 0, 1e-6);
    mk_expect_f32(s, 1, 1, d, (const float[]){(float)vn}, 0, 1e-6);
    mk_expect_f32(s, 2, 1, d, (const float[]){(float)hn}, 0, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_momentum(void **state)
{
    (void)state;
    const int64_t d[] = {2};
    const double r = 0.25;
    int64_t t;
    const mk_feed f[] = {
        {"R", ONNXBN_DOUBLE, 0, NULL, &r},
        {"T", ONNXBN_INT64, 0, NULL, &t},
        {"X", ONNXBN_DOUBLE, 1, d, (const double[]){1.0, 2.0}},
        {"G", ONNXBN_DOUBLE, 1, d, (const double[]){-1.0, 0.5}},
        {"V", ONNXBN_DOUBLE, 1, d, (const double[]){0.5, 0.25}},
    };
    /* [mode][T = 0, T = 4]: X_new, V_new */
    static const double want[2][2][2][2] = {
        {{{1.15625, 1.78125}, {-0.625, 0.875}}, {{1.1015625, 1.828125}, {-0.40625, 0.6875}}},
        {{{1.296875, 1.703125}, {-0.625, 0.875}}, {{1.26953125, 1.7265625}, {-0.40625, 0.6875}}},
    };
    for (int m = 0; m < 2; m++) {
        mk_model *mm;
        mk_node *n = opt_model(&mm, "Momentum", "R,T,X,G,V", "Xn,Vn", ONNXBN_DOUBLE);
        mk_attr_f(n, "norm_coefficient", 0.125f);
        mk_attr_f(n, "alpha", 0.5f);
        mk_attr_f(n, "beta", 0.75f);
        mk_attr_s(n, "mode", m ? "nesterov" : "standard");
        onnxbn_session *s = mk_open_ok(mm);
        for (int k = 0; k < 2; k++) {
            t = k ? 4 : 0;
            mk_run_ok(s, 5, f);
            expect_f64(s, 0, 2, want[m][k][0]);
            expect_f64(s, 1, 2, want[m][k][1]);
        }
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

static void test_training_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2}, d3[] = {3}, t = 0;
    const float r = 0.1f, x[3] = {1, 2, 3};
    mk_feed f[] = {
        {"R", ONNXBN_FLOAT, 0, NULL, &r}, {"T", ONNXBN_INT64, 0, NULL, &t},
        {"X", ONNXBN_FLOAT, 1, d, x},     {"G", ONNXBN_FLOAT, 1, d, x},
        {"H", ONNXBN_FLOAT, 1, d, x},     {"V", ONNXBN_FLOAT, 1, d, x},
    };
    /* Adagrad with four tensors after R and T: not a multiple of three */
    mk_model *mm;
    opt_model(&mm, "Adagrad", "R,T,X,G,H,V", "Xn,Hn", ONNXBN_FLOAT);
    mk_expect_fail(mm, 6, f, ONNXBN_ERR_MODEL, "node 'opt' (Adagrad): has 4 inputs after R and T; "
                   "Adagrad takes 3 per optimized tensor (X, G, H)");
    mk_free(mm);
    /* Momentum with one output for one tensor */
    mk_node *n = opt_model(&mm, "Momentum", "R,T,X,G,V", "Xn", ONNXBN_FLOAT);
    mk_attr_f(n, "norm_coefficient", 0);
    mk_attr_f(n, "alpha", 0.5f);
    mk_attr_f(n, "beta", 0.5f);
    mk_attr_s(n, "mode", "standard");
    f[4].name = "V";
    mk_expect_fail(mm, 5, f, ONNXBN_ERR_MODEL, "node 'opt' (Momentum): has 1 outputs; for 1 "
                   "optimized tensors Momentum gives 2");
    mk_free(mm);
    /* a gradient of another shape than its tensor */
    opt_model(&mm, "Adam", "R,T,X,G,V,H", "Xn,Vn,Hn", ONNXBN_FLOAT);
    f[4].name = "V";
    f[5].name = "H";
    f[3].dims = d3;
    mk_expect_fail(mm, 6, f, ONNXBN_ERR_SHAPE, "node 'opt' (Adam): input 3 ('G', float [3]) does "
                   "not match its tensor X, input 2 ('X', float [2])");
    f[3].dims = d;
    /* R must be a scalar */
    f[0] = (mk_feed){"R", ONNXBN_FLOAT, 1, d, x};
    mk_expect_fail(mm, 6, f, ONNXBN_ERR_SHAPE, "node 'opt' (Adam): input 'R' ('R') has 2 elements");
    mk_free(mm);
    /* an unknown Momentum mode */
    f[0] = (mk_feed){"R", ONNXBN_FLOAT, 0, NULL, &r};
    f[4].name = "V";
    n = opt_model(&mm, "Momentum", "R,T,X,G,V", "Xn,Vn", ONNXBN_FLOAT);
    mk_attr_f(n, "norm_coefficient", 0);
    mk_attr_f(n, "alpha", 0.5f);
    mk_attr_f(n, "beta", 0.5f);
    mk_attr_s(n, "mode", "heavy");
    mk_expect_fail(mm, 5, f, ONNXBN_ERR_MODEL, "node 'opt' (Momentum): attribute 'mode' is 'heavy'");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adagrad),  cmocka_unit_test(test_adam),
        cmocka_unit_test(test_adam_float_defaults), cmocka_unit_test(test_momentum),
        cmocka_unit_test(test_training_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
