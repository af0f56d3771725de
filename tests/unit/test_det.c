/* SPDX-License-Identifier: Apache-2.0 */
/* test_det.c — Det 11: hand-computed 2×2 and 3×3 determinants (one needing a row swap), a batch
 * against numpy.linalg.det, singular and empty matrices, the three types, non-square refused. */
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

static mk_model *det_model(onnxbn_dtype t, int r, const int64_t *d)
{
    mk_model *mm = mk_new(11);
    mk_input(mm, "X", t, r, d);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node_add(mm, "Det", "det", "X", "Y");
    return mm;
}

static onnxbn_session *det_run(onnxbn_dtype t, int r, const int64_t *d, const void *x)
{
    mk_model *mm = det_model(t, r, d);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", t, r, d, x};
    mk_run_ok(s, 1, &f);
    mk_free(mm);
    return s;
}

static void test_det_small(void **state)
{
    (void)state;
    /* [[1,2],[3,4]]: -2, a scalar output */
    onnxbn_session *s = det_run(ONNXBN_FLOAT, 2, (const int64_t[]){2, 2}, (const float[]){1, 2, 3, 4});
    mk_expect_f32(s, 0, 0, NULL, (const float[]){-2}, 1e-6, 0);
    onnxbn_session_free(s);
    /* a zero first pivot: 0(0·8+9) - 1(8-12) + 2(-3-0) = -2 */
    const float a3[9] = {0, 1, 2, 1, 0, 3, 4, -3, 8};
    s = det_run(ONNXBN_FLOAT, 2, (const int64_t[]){3, 3}, a3);
    mk_expect_f32(s, 0, 0, NULL, (const float[]){-2}, 1e-6, 0);
    onnxbn_session_free(s);
    /* a batch [3,2,2]: diagonal 6, singular 0, a swap -1 */
    const int64_t d[] = {3, 2, 2};
    s = det_run(ONNXBN_FLOAT, 3, d, (const float[]){2, 0, 0, 3, 1, 2, 2, 4, 0, 1, 1, 0});
    mk_expect_f32(s, 0, 1, (const int64_t[]){3}, (const float[]){6, 0, -1}, 1e-6, 0);
    onnxbn_session_free(s);
}

static void test_det_numpy(void **state)
{
    (void)state;
    /* numpy.linalg.det of these two 4×4 matrices (the second's first column is zero above row 3) */
    const double x[32] = {0.5,  1.59, 1.1,   -1.1,  -0.8, 1.49,  -1.98, 1.28,
                          1.19, -0.13, -0.79, -0.89, -0.98, -0.22, 0.02, 0.21,
                          0,    0,    0,     1.5,   -1.14, -1.36, 0.45,  -1.82,
                          -1.86, 0.06, -0.14, 1.67, 0.52,  0.06,  -0.01, -1.01};
    const int64_t d[] = {1, 2, 4, 4}, yd[] = {1, 2};
    onnxbn_session *s = det_run(ONNXBN_DOUBLE, 4, d, x);
    const double *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    assert_int_equal(onnxbn_tensor_dtype(onnxbn_session_output(s, 0)), ONNXBN_DOUBLE);
    assert_true(fabs(y[0] - 5.75495554) < 1e-8);
    assert_true(fabs(y[1] - -0.076728) < 1e-9);
    onnxbn_session_free(s);
    float xf[32];
    for (int k = 0; k < 32; k++)
        xf[k] = (float)x[k];
    s = det_run(ONNXBN_FLOAT, 4, d, xf);
    mk_expect_f32(s, 0, 2, yd, (const float[]){5.754956f, -0.076728f}, 1e-6, 1e-5);
    onnxbn_session_free(s);
    /* float16: [[2,1],[1,3]] = 5 (0x4500) */
    const uint16_t h[4] = {0x4000, 0x3c00, 0x3c00, 0x4200};
    s = det_run(ONNXBN_FLOAT16, 2, (const int64_t[]){2, 2}, h);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT16, 0, NULL, (const uint16_t[]){0x4500});
    onnxbn_session_free(s);
}

static void test_det_empty(void **state)
{
    (void)state;
    /* no matrices: an empty output; 0×0 matrices: the empty product, 1 */
    onnxbn_session *s = det_run(ONNXBN_FLOAT, 3, (const int64_t[]){0, 3, 3}, NULL);
    mk_expect_f32(s, 0, 1, (const int64_t[]){0}, NULL, 0, 0);
    onnxbn_session_free(s);
    s = det_run(ONNXBN_FLOAT, 3, (const int64_t[]){2, 0, 0}, NULL);
    mk_expect_f32(s, 0, 1, (const int64_t[]){2}, (const float[]){1, 1}, 0, 0);
    onnxbn_session_free(s);
}

static void test_det_errors(void **state)
{
    (void)state;
    const float x[6] = {1, 2, 3, 4, 5, 6};
    mk_model *mm = det_model(ONNXBN_FLOAT, 2, (const int64_t[]){2, 3});
    mk_feed f = {"X", ONNXBN_FLOAT, 2, (const int64_t[]){2, 3}, x};
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'det' (Det): input 'X' ('X') has shape [2,3]; its last two axes must be equal");
    mk_free(mm);
    mm = det_model(ONNXBN_FLOAT, 1, (const int64_t[]){6});
    mk_feed f1 = {"X", ONNXBN_FLOAT, 1, (const int64_t[]){6}, x};
    mk_expect_fail(mm, 1, &f1, ONNXBN_ERR_SHAPE, "node 'det' (Det): input 'X' ('X') has rank 1");
    mk_free(mm);
    const int32_t xi[4] = {1, 2, 3, 4};
    mm = det_model(ONNXBN_INT32, 2, (const int64_t[]){2, 2});
    mk_feed fi = {"X", ONNXBN_INT32, 2, (const int64_t[]){2, 2}, xi};
    mk_expect_fail(mm, 1, &fi, ONNXBN_ERR_TYPE, "node 'det' (Det): input 'X' ('X') is int32");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_small),
        cmocka_unit_test(test_det_numpy),
        cmocka_unit_test(test_det_empty),
        cmocka_unit_test(test_det_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
