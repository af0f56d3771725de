/* SPDX-License-Identifier: Apache-2.0 */
/* test_castlike.c — CastLike 15: the target type is the second input's, whose shape and values do
 * not matter; the conversions are Cast's (rounding, truncation toward zero, bfloat16). */
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

/* CastLike(X fed, L initializer of type lt and shape ld) */
static mk_model *castlike_model(onnxbn_dtype xt, int xr, const int64_t *xd, onnxbn_dtype lt,
                                int lr, const int64_t *ld, const void *like)
{
    mk_model *mm = mk_new(15);
    mk_input(mm, "X", xt, xr, xd);
    mk_init(mm, "L", lt, lr, ld, like);
    mk_output(mm, "Y", lt, -1, NULL);
    mk_node_add(mm, "CastLike", "cl", "X,L", "Y");
    return mm;
}

static void test_castlike_types(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 2}, one[] = {1}, none[] = {0};
    /* float to int32: toward zero */
    const float x[4] = {1.7f, -2.5f, 3.0f, -0.9f};
    const int32_t like_i = 99, want_i[4] = {1, -2, 3, 0};
    mk_model *mm = castlike_model(ONNXBN_FLOAT, 2, xd, ONNXBN_INT32, 1, one, &like_i);
    mk_feed f = {"X", ONNXBN_FLOAT, 2, xd, x};
    mk_check_bytes(mm, 1, &f, ONNXBN_INT32, 2, xd, want_i);
    mk_free(mm);
    /* an empty "like" still names the type */
    mm = castlike_model(ONNXBN_FLOAT, 2, xd, ONNXBN_DOUBLE, 1, none, NULL);
    const double want_d[4] = {1.7f, -2.5f, 3.0f, -0.9f};
    mk_check_bytes(mm, 1, &f, ONNXBN_DOUBLE, 2, xd, want_d);
    mk_free(mm);
    /* bfloat16 to float: the bits shifted up (0x3fc0 is 1.5, 0xc020 is -2.5) */
    const uint16_t xb[4] = {0x3fc0, 0xc020, 0x0000, 0x4049};
    const float like_f = 0, want_f[4] = {1.5f, -2.5f, 0.0f, 3.140625f};
    mm = castlike_model(ONNXBN_BFLOAT16, 2, xd, ONNXBN_FLOAT, 1, one, &like_f);
    mk_feed fb = {"X", ONNXBN_BFLOAT16, 2, xd, xb};
    mk_check_bytes(mm, 1, &fb, ONNXBN_FLOAT, 2, xd, want_f);
    mk_free(mm);
    /* float to bfloat16 rounds to nearest even: 1 + 2^-8 is a tie, to 1.0; 1 + 3·2^-8 to 1 + 2^-6 */
    const float xr[4] = {1.00390625f, 1.01171875f, -2.5f, 0};
    const uint16_t like_b = 0, want_b[4] = {0x3f80, 0x3f82, 0xc020, 0x0000};
    mm = castlike_model(ONNXBN_FLOAT, 2, xd, ONNXBN_BFLOAT16, 1, one, &like_b);
    mk_feed fr = {"X", ONNXBN_FLOAT, 2, xd, xr};
    mk_check_bytes(mm, 1, &fr, ONNXBN_BFLOAT16, 2, xd, want_b);
    mk_free(mm);
    /* int64 to bool */
    const int64_t xi[4] = {0, -3, 1, 0};
    const uint8_t like_bool = 0, want_bool[4] = {0, 1, 1, 0};
    mm = castlike_model(ONNXBN_INT64, 2, xd, ONNXBN_BOOL, 1, one, &like_bool);
    mk_feed fi = {"X", ONNXBN_INT64, 2, xd, xi};
    mk_check_bytes(mm, 1, &fi, ONNXBN_BOOL, 2, xd, want_bool);
    mk_free(mm);
}

static void test_castlike_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {2};
    const float x[2] = {1, 2};
    const uint64_t like = 0;
    mk_feed f = {"X", ONNXBN_FLOAT, 1, xd, x};
    /* complex64 is not a type CastLike takes */
    mk_model *mm = castlike_model(ONNXBN_FLOAT, 1, xd, ONNXBN_COMPLEX64, 1, xd, (const uint64_t[]){like, like});
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_TYPE, "node 'cl' (CastLike): input 'target_type' ('L') is complex64");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_castlike_types),
        cmocka_unit_test(test_castlike_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
