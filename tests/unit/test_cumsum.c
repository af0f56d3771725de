/* SPDX-License-Identifier: Apache-2.0 */
/* test_cumsum.c — CumSum 11 and 14: hand-computed sums along first, middle and last axes, the
 * four exclusive/reverse combinations, integer wrap-around, float16, and an axis fed at run time. */
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


/* CumSum(X fed, axis fed as an int64 scalar), with the attributes given. */
static mk_model *cumsum_model(int opset, onnxbn_dtype xt, int xr, const int64_t *xd,
                              int exclusive, int reverse)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", xt, xr, xd);
    mk_input(mm, "A", ONNXBN_INT64, 0, NULL);
    mk_output(mm, "Y", xt, -1, NULL);
    mk_node *n = mk_node_add(mm, "CumSum", "cs", "X,A", "Y");
    if (exclusive >= 0)
        mk_attr_i(n, "exclusive", exclusive);
    if (reverse >= 0)
        mk_attr_i(n, "reverse", reverse);
    return mm;
}

static void run_axis(onnxbn_session *s, onnxbn_dtype xt, int xr, const int64_t *xd, const void *x,
                     int64_t axis)
{
    mk_feed f[2] = {{"X", xt, xr, xd, x}, {"A", ONNXBN_INT64, 0, NULL, &axis}};
    mk_run_ok(s, 2, f);
}

static void test_cumsum_modes(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    /* along axis 1, rows [1,2,3] and [4,5,6]; exclusive, reverse as in the spec's example */
    const float want[4][6] = {
        {1, 3, 6, 4, 9, 15},   /* inclusive */
        {0, 1, 3, 0, 4, 9},    /* exclusive */
        {6, 5, 3, 15, 11, 6},  /* reverse */
        {5, 3, 0, 11, 6, 0},   /* exclusive reverse */
    };
    for (int m = 0; m < 4; m++) {
        mk_model *mm = cumsum_model(14, ONNXBN_FLOAT, 2, d, m & 1, m >> 1);
        onnxbn_session *s = mk_open_ok(mm);
        run_axis(s, ONNXBN_FLOAT, 2, d, x, m % 2 ? -1 : 1);
        mk_expect_f32(s, 0, 2, d, want[m], 0, 0);
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

/* One session, the axis changed between runs: it is read per run, not planned. */
static void test_cumsum_axes(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 2};
    float x[12];
    for (int k = 0; k < 12; k++)
        x[k] = (float)k;
    mk_model *mm = cumsum_model(11, ONNXBN_FLOAT, 3, d, -1, -1);
    onnxbn_session *s = mk_open_ok(mm);
    run_axis(s, ONNXBN_FLOAT, 3, d, x, 1); /* the middle axis: rows of 2 summed down 3 */
    mk_expect_f32(s, 0, 3, d, (const float[]){0, 1, 2, 4, 6, 9, 6, 7, 14, 16, 24, 27}, 0, 0);
    run_axis(s, ONNXBN_FLOAT, 3, d, x, -3); /* the first axis: the second block adds the first */
    mk_expect_f32(s, 0, 3, d, (const float[]){0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16}, 0, 0);
    run_axis(s, ONNXBN_FLOAT, 3, d, x, 2); /* pairs */
    mk_expect_f32(s, 0, 3, d, (const float[]){0, 1, 2, 5, 4, 9, 6, 13, 8, 17, 10, 21}, 0, 0);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_cumsum_types(void **state)
{
    (void)state;
    const int64_t d[] = {3};
    /* int32 wraps as two's complement; uint64 too */
    const int32_t xi[3] = {INT32_MAX, 1, 5}, wi[3] = {INT32_MAX, INT32_MIN, INT32_MIN + 5};
    mk_model *mm = cumsum_model(14, ONNXBN_INT32, 1, d, 0, 0);
    onnxbn_session *s = mk_open_ok(mm);
    run_axis(s, ONNXBN_INT32, 1, d, xi, 0);
    mk_expect_bytes(s, 0, ONNXBN_INT32, 1, d, wi);
    onnxbn_session_free(s);
    mk_free(mm);
    const uint64_t xu[3] = {UINT64_MAX, 2, 3}; /* reverse: 3, 3+2, 5+max wrapping to 4 */
    mm = cumsum_model(11, ONNXBN_UINT64, 1, d, 0, 1);
    s = mk_open_ok(mm);
    run_axis(s, ONNXBN_UINT64, 1, d, xu, 0);
    mk_expect_bytes(s, 0, ONNXBN_UINT64, 1, d, (const uint64_t[]){4, 5, 3});
    onnxbn_session_free(s);
    mk_free(mm);
    /* float16 (from 14), each sum rounded to half: 2048 + 1 is 2048 in half, so 2048 stays */
    const uint16_t xh[3] = {0x6800 /* 2048 */, 0x3c00 /* 1 */, 0x4000 /* 2 */};
    const uint16_t wh[3] = {0x6800, 0x6800, 0x6801 /* 2050 */};
    mm = cumsum_model(14, ONNXBN_FLOAT16, 1, d, 0, 0);
    s = mk_open_ok(mm);
    run_axis(s, ONNXBN_FLOAT16, 1, d, xh, 0);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT16, 1, d, wh);
    onnxbn_session_free(s);
    mk_free(mm);
    /* double */
    const double xd[3] = {0.5, 0.25, 0.125}; /* reverse */
    mm = cumsum_model(14, ONNXBN_DOUBLE, 1, d, 0, 1);
    s = mk_open_ok(mm);
    run_axis(s, ONNXBN_DOUBLE, 1, d, xd, 0);
    mk_expect_bytes(s, 0, ONNXBN_DOUBLE, 1, d, (const double[]){0.875, 0.375, 0.125});
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_cumsum_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 2}, bad = 2;
    const float x[4] = {1, 2, 3, 4};
    mk_feed f[2] = {{"X", ONNXBN_FLOAT, 2, d, x}, {"A", ONNXBN_INT64, 0, NULL, &bad}};
    mk_model *mm = cumsum_model(14, ONNXBN_FLOAT, 2, d, -1, -1);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "node 'cs' (CumSum): input 'axis' 2 is outside [-2, 1]");
    mk_free(mm);
    /* float16 is not a CumSum-11 type */
    const uint16_t xh[4] = {0};
    const int64_t zero = 0;
    mk_feed fh[2] = {{"X", ONNXBN_FLOAT16, 2, d, xh}, {"A", ONNXBN_INT64, 0, NULL, &zero}};
    mm = cumsum_model(13, ONNXBN_FLOAT16, 2, d, -1, -1);
    mk_expect_fail(mm, 2, fh, ONNXBN_ERR_TYPE, "node 'cs' (CumSum): input 'x' ('X') is float16, CumSum-11 takes");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cumsum_modes),
        cmocka_unit_test(test_cumsum_axes),
        cmocka_unit_test(test_cumsum_types),
        cmocka_unit_test(test_cumsum_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
