/* SPDX-License-Identifier: Apache-2.0 */
/* test_lpnorm.c — LpNormalization 1 (no ONNX node case exists): hand-computed p=1 and p=2 along
 * the last, a middle and a negative axis, a zero line (0/0: NaN, as numpy's x / norm), types. */
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

static mk_model *lp_model(onnxbn_dtype t, int r, const int64_t *d, const int64_t *axis,
                          const int64_t *p)
{
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", t, r, d);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node *n = mk_node_add(mm, "LpNormalization", "lp", "X", "Y");
    if (axis)
        mk_attr_i(n, "axis", *axis);
    if (p)
        mk_attr_i(n, "p", *p);
    return mm;
}

static onnxbn_session *lp_run(onnxbn_dtype t, int r, const int64_t *d, const void *x,
                              const int64_t *axis, const int64_t *p)
{
    mk_model *mm = lp_model(t, r, d, axis, p);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", t, r, d, x};
    mk_run_ok(s, 1, &f);
    mk_free(mm);
    return s;
}

static void test_lpnorm_values(void **state)
{
    (void)state;
    const int64_t d[] = {3, 2}, one = 1, two = 2, m1 = -1, m2 = -2, zero = 0;
    const float x[6] = {3, 4, 0, 0, -1, 3};
    const float nan = NAN;
    /* defaults: p = 2 along the last axis: [3,4]/5, [0,0]/0, [-1,3]/sqrt(10) */
    onnxbn_session *s = lp_run(ONNXBN_FLOAT, 2, d, x, NULL, NULL);
    const float r10 = 1 / sqrtf(10);
    mk_expect_f32(s, 0, 2, d, (const float[]){0.6f, 0.8f, nan, nan, -r10, 3 * r10}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    /* p = 1, axis -1: [3,4]/7, [-1,3]/4 */
    s = lp_run(ONNXBN_FLOAT, 2, d, x, &m1, &one);
    mk_expect_f32(s, 0, 2, d, (const float[]){3 / 7.f, 4 / 7.f, nan, nan, -0.25f, 0.75f}, 1e-7, 1e-6);
    onnxbn_session_free(s);
    /* axis 0 (= -2), p = 2: columns [3,0,-1] (norm sqrt 10) and [4,0,3] (norm 5) */
    for (int k = 0; k < 2; k++) {
        s = lp_run(ONNXBN_FLOAT, 2, d, x, k ? &m2 : &zero, &two);
        mk_expect_f32(s, 0, 2, d, (const float[]){3 * r10, 0.8f, 0, 0, -r10, 0.6f}, 1e-7, 1e-6);
        onnxbn_session_free(s);
    }
    /* the middle axis of [2,2,2], p = 1: lines {x[o,0,i], x[o,1,i]} */
    const int64_t d3[] = {2, 2, 2}, ax1 = 1;
    const double x3[8] = {1, 2, 3, -6, 0, 5, 0, -5};
    s = lp_run(ONNXBN_DOUBLE, 3, d3, x3, &ax1, &one);
    const double *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    const double want[8] = {0.25, 0.25, 0.75, -0.75, NAN, 0.5, NAN, -0.5};
    for (int k = 0; k < 8; k++)
        if (isnan(want[k]) ? !isnan(y[k]) : fabs(y[k] - want[k]) > 1e-15)
            fail_msg("element %d: got %g, expected %g", k, y[k], want[k]);
    onnxbn_session_free(s);
    /* float16: [3,4] -> [0.6, 0.8], rounded to half (0x38cd, 0x3a66) */
    const uint16_t h[2] = {0x4200, 0x4400};
    s = lp_run(ONNXBN_FLOAT16, 1, (const int64_t[]){2}, h, NULL, NULL);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT16, 1, (const int64_t[]){2}, (const uint16_t[]){0x38cd, 0x3a66});
    onnxbn_session_free(s);
}

static void test_lpnorm_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2}, three = 3, axis = 1;
    const float x[2] = {1, 2};
    mk_feed f = {"X", ONNXBN_FLOAT, 1, d, x};
    mk_model *mm = lp_model(ONNXBN_FLOAT, 1, d, NULL, &three);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_MODEL, "node 'lp' (LpNormalization): attribute 'p' is 3");
    mk_free(mm);
    mm = lp_model(ONNXBN_FLOAT, 1, d, &axis, NULL);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'lp' (LpNormalization): attribute 'axis' 1 is outside [-1, 0]");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lpnorm_values),
        cmocka_unit_test(test_lpnorm_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
