/* SPDX-License-Identifier: Apache-2.0 */
/* test_loss.c — NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: hand-computed losses with
 * weights, ignore_index (negative) and every reduction, SCE's log_prob against numpy float64,
 * double and float16 inputs, and bad targets, weights and shapes refused by one error. */
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

/* x[n][c][d] = 0.37 * (n*6 + c*2 + d) - 1.9, N = 2, C = 3, d1 = 2 (x[1][2][0] set to 2.5). */
static const int64_t xd[] = {2, 3, 2}, td[] = {2, 2}, wd[] = {3};
static const float xv[12] = {-1.9f, -1.53f, -1.16f, -0.79f, -0.42f, -0.05f,
                             0.32f, 0.69f, 1.06f, 1.43f, 2.5f, 2.17f};

/* op(X, T[, W]) -> Y with reduction (NULL: absent) and ignore_index (when has_ii). */
static mk_model *loss_model(const char *op, onnxbn_dtype xt, onnxbn_dtype tt, bool weights,
                            const char *red, bool has_ii, int64_t ii, bool log_prob)
{
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", xt, -1, NULL);
    mk_input(mm, "T", tt, -1, NULL);
    if (weights)
        mk_input(mm, "W", xt, -1, NULL);
    mk_output(mm, "Y", xt, -1, NULL);
    if (log_prob)
        mk_output(mm, "LP", xt, -1, NULL);
    mk_node *n = mk_node_add(mm, op, "loss", weights ? "X,T,W" : "X,T", log_prob ? "Y,LP" : "Y");
    if (red)
        mk_attr_s(n, "reduction", red);
    if (has_ii)
        mk_attr_i(n, "ignore_index", ii);
    return mm;
}

static void test_nll(void **state)
{
    (void)state;
    /* targets: x[0][0][0] = -1.9, x[0][2][1] = -0.05, ignored, x[1][1][1] = 1.43 */
    const int64_t t[4] = {0, 2, -1, 1};
    const float w[3] = {0.2f, 0.5f, 0.4f};
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 3, xd, xv}, {"T", ONNXBN_INT64, 2, td, t},
                          {"W", ONNXBN_FLOAT, 1, wd, w}};
    mk_model *mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "none", true, -1, false);
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 2, td, (const float[]){0.38f, 0.02f, 0, -0.715f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "sum", true, -1, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){-0.315f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    /* mean with weights: over the weights of the targets kept, 0.2 + 0.4 + 0.5 */
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, NULL, true, -1, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){-0.315f / 1.1f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    /* mean without weights: over the three targets kept */
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, "mean", true, -1, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 2, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){0.52f / 3}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    /* no ignore_index, int32 targets: the mean of all four */
    const int32_t t32[4] = {0, 2, 1, 1};
    const mk_feed f32[2] = {{"X", ONNXBN_FLOAT, 3, xd, xv}, {"T", ONNXBN_INT32, 2, td, t32}};
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT32, false, NULL, false, 0, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 2, f32);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){-0.54f / 4}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    /* every target ignored: mean is 0/0, NaN, as the reference */
    const int64_t tall[4] = {-1, -1, -1, -1};
    const mk_feed fa[2] = {{"X", ONNXBN_FLOAT, 3, xd, xv}, {"T", ONNXBN_INT64, 2, td, tall}};
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, "mean", true, -1, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 2, fa);
    assert_true(isnan(((const float *)onnxbn_tensor_cdata(onnxbn_session_output(s, 0)))[0]));
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_nll_types(void **state)
{
    (void)state;
    /* (N, C) double, ignore_index 1 inside [0, C) */
    const int64_t d2[] = {3, 2}, t2d[] = {3};
    const double x2[6] = {0.5, -2.0, 1.25, 4.0, -3.0, 0.75};
    const int64_t t2[3] = {1, 0, 0};
    const mk_feed f[2] = {{"X", ONNXBN_DOUBLE, 2, d2, x2}, {"T", ONNXBN_INT64, 1, t2d, t2}};
    mk_model *mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_DOUBLE, ONNXBN_INT64, false, "none", true, 1, false);
    mk_check_bytes(mm, 2, f, ONNXBN_DOUBLE, 1, t2d, (const double[]){0, -1.25, 3.0});
    mk_free(mm);
    /* float16: -(-1.9) and -(0.32) summed in double, rounded once to half */
    const int64_t dh[] = {2, 2}, thd[] = {2};
    uint16_t xh[4];
    const float xf[4] = {-1.5f, 0.25f, 0.75f, 2.0f};
    for (int i = 0; i < 4; i++)
        xh[i] = onnxbn_float_to_half(xf[i]);
    const int64_t th[2] = {0, 1};
    const mk_feed fh[2] = {{"X", ONNXBN_FLOAT16, 2, dh, xh}, {"T", ONNXBN_INT64, 1, thd, th}};
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT16, ONNXBN_INT64, false, "sum", false, 0, false);
    mk_check_bytes(mm, 2, fh, ONNXBN_FLOAT16, 0, NULL, (const uint16_t[]){onnxbn_float_to_half(-0.5f)});
    mk_free(mm);
}

/* bfloat16 scores are SCE-13's, not SCE-12's: equal scores over C = 2 give ln 2 and log_prob -ln 2 */
static void test_sce_bf16(void **state)
{
    (void)state;
    const int64_t d[] = {1, 2}, tdim[] = {1};
    const uint16_t x[2] = {onnxbn_float_to_bf16(1.5f), onnxbn_float_to_bf16(1.5f)};
    const int64_t t[1] = {1};
    const mk_feed f[2] = {{"X", ONNXBN_BFLOAT16, 2, d, x}, {"T", ONNXBN_INT64, 1, tdim, t}};
    const uint16_t ln2 = onnxbn_float_to_bf16((float)log(2.0)), mln2 = onnxbn_float_to_bf16((float)-log(2.0));
    mk_model *mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_BFLOAT16, ONNXBN_INT64, false, "sum", false, 0, true);
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 2, f);
    mk_expect_bytes(s, 0, ONNXBN_BFLOAT16, 0, NULL, &ln2);
    mk_expect_bytes(s, 1, ONNXBN_BFLOAT16, 2, d, (const uint16_t[]){mln2, mln2});
    onnxbn_session_free(s);
    mk_free(mm);
    mm = mk_new(12);
    mk_input(mm, "X", ONNXBN_BFLOAT16, -1, NULL);
    mk_input(mm, "T", ONNXBN_INT64, -1, NULL);
    mk_output(mm, "Y", ONNXBN_BFLOAT16, -1, NULL);
    mk_node_add(mm, "SoftmaxCrossEntropyLoss", "loss", "X,T", "Y");
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_TYPE, "node 'loss' (SoftmaxCrossEntropyLoss): input 'scores' "
                   "('X') is bfloat16, SoftmaxCrossEntropyLoss-12 takes");
    mk_free(mm);
}

static void test_sce(void **state)
{
    (void)state;
    /* log_prob from numpy float64 (x - max - log(sum(exp(x - max))) per row) */
    const int64_t d[] = {2, 4}, tdim[] = {2};
    const float x[8] = {1.0f, 2.0f, -0.5f, 0.25f, 3.0f, -1.0f, 0.0f, 0.5f};
    const int64_t t[2] = {1, 3};
    const float lp[8] = {-1.4847311347019678f, -0.4847311347019678f, -2.984731134701968f,
                         -2.234731134701968f, -0.13992515156059482f, -4.139925151560595f,
                         -3.139925151560595f, -2.639925151560595f};
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 2, d, x}, {"T", ONNXBN_INT64, 1, tdim, t},
                          {"W", ONNXBN_FLOAT, 1, (const int64_t[]){4}, (const float[]){1, 2, 0.5f, 4}}};
    mk_model *mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, NULL, false, 0, true);
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 2, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){1.5623281431312814f}, 1e-7, 1e-6);
    mk_expect_f32(s, 1, 2, d, lp, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "none", false, 0, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 1, tdim, (const float[]){0.9694622694039357f, 10.55970060624238f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "mean", false, 0, false);
    s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){1.9215271459410526f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
    /* ignore_index 3 drops the second row: its log_prob is still written */
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "mean", true, 3, true);
    s = mk_open_ok(mm);
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){0.4847311347019678f}, 1e-7, 1e-6);
    mk_expect_f32(s, 1, 2, d, lp, 1e-7, 1e-6);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_loss_errors(void **state)
{
    (void)state;
    const int64_t tbad[4] = {0, 2, 3, 1}, tneg[4] = {0, -2, 1, 1};
    const float w[3] = {1, 1, 1};
    mk_feed f[3] = {{"X", ONNXBN_FLOAT, 3, xd, xv}, {"T", ONNXBN_INT64, 2, td, tbad},
                    {"W", ONNXBN_FLOAT, 1, wd, w}};
    mk_model *mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "none", true, -1, false);
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_ARG, "node 'loss' (NegativeLogLikelihoodLoss): target 3 "
                   "(element 2 of input 'target' ('T')) is out of range [0, 3) and is not ignore_index");
    f[1].data = tneg;
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_ARG, "node 'loss' (NegativeLogLikelihoodLoss): target -2 "
                   "(element 1 of input 'target' ('T')) is out of range [0, 3)");
    mk_free(mm);
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, "sum", false, 0, true);
    f[1].data = tbad;
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_ARG, "node 'loss' (SoftmaxCrossEntropyLoss): target 3 "
                   "(element 2 of input 'target' ('T')) is out of range [0, 3)");
    mk_free(mm);
    /* weights of the wrong length, a target of the wrong shape, an unknown reduction, rank 1 */
    f[1].data = (const int64_t[]){0, 1, 2, 0};
    f[2].dims = (const int64_t[]){2};
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_FLOAT, ONNXBN_INT64, true, "none", false, 0, false);
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE, "node 'loss' (NegativeLogLikelihoodLoss): input "
                   "'weights' ('W') has 2 elements in rank 1; expected one per class, C = 3");
    f[2].dims = wd;
    f[1].dims = (const int64_t[]){2, 3};
    f[1].data = (const int64_t[]){0, 0, 0, 0, 0, 0};
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE, "input 'target' ('T') has shape [2,3]; input 0 has "
                   "shape [2,3,2]");
    mk_free(mm);
    f[1].dims = td;
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, "avg", false, 0, false);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_MODEL, "attribute 'reduction' is 'avg'");
    mk_free(mm);
    mk_feed f1[2] = {{"X", ONNXBN_FLOAT, 1, (const int64_t[]){3}, xv},
                     {"T", ONNXBN_INT64, 0, NULL, (const int64_t[]){0}}};
    mm = loss_model("SoftmaxCrossEntropyLoss", ONNXBN_FLOAT, ONNXBN_INT64, false, NULL, false, 0, false);
    mk_expect_fail(mm, 2, f1, ONNXBN_ERR_SHAPE, "input 0 ('X') has rank 1");
    mk_free(mm);
    /* integer scores are not a loss type */
    mk_feed fi[2] = {{"X", ONNXBN_INT32, 2, (const int64_t[]){1, 2}, (const int32_t[]){1, 2}},
                     {"T", ONNXBN_INT64, 1, (const int64_t[]){1}, (const int64_t[]){0}}};
    mm = loss_model("NegativeLogLikelihoodLoss", ONNXBN_INT32, ONNXBN_INT64, false, NULL, false, 0, false);
    mk_expect_fail(mm, 2, fi, ONNXBN_ERR_TYPE, "input 'input' ('X') is int32");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nll),
        cmocka_unit_test(test_nll_types),
        cmocka_unit_test(test_sce),
        cmocka_unit_test(test_sce_bf16),
        cmocka_unit_test(test_loss_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
