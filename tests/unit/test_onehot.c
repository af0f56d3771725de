/* SPDX-License-Identifier: Apache-2.0 */
/* test_onehot.c — OneHot 9 and 11: hand-computed outputs for every axis position, negative and
 * out-of-range indices, float indices and depth, other value types, and depth <= 0 refused. */
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

/* OneHot(indices X fed, depth initializer D of type dt, values V initializer) at `opset`. */
static mk_model *onehot_model(int opset, const int64_t *axis, onnxbn_dtype xt, int xr,
                              const int64_t *xd, onnxbn_dtype dt, const void *depth,
                              onnxbn_dtype vt, const void *values)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", xt, xr, xd);
    mk_init(mm, "D", dt, 0, NULL, depth);
    mk_init(mm, "V", vt, 1, (const int64_t[]){2}, values);
    mk_output(mm, "Y", vt, -1, NULL);
    mk_node *n = mk_node_add(mm, "OneHot", "oh", "X,D,V", "Y");
    if (axis)
        mk_attr_i(n, "axis", *axis);
    return mm;
}

static void test_onehot_last_axis(void **state)
{
    (void)state;
    /* -1 counts from the end; 3 and -4 are outside [-3, 2]: all off */
    const int64_t x[4] = {1, -1, 3, -4}, xd[] = {4};
    const int32_t depth = 3;
    const float v[2] = {0, 5};
    const float want[12] = {0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0};
    for (int opset = 9; opset <= 11; opset += 2) {
        mk_model *mm = onehot_model(opset, NULL, ONNXBN_INT64, 1, xd, ONNXBN_INT32, &depth,
                                    ONNXBN_FLOAT, v);
        mk_feed f = {"X", ONNXBN_INT64, 1, xd, x};
        mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 2, (const int64_t[]){4, 3}, want);
        mk_free(mm);
    }
}

static void test_onehot_axes(void **state)
{
    (void)state;
    /* indices [[0,2],[1,0]], depth 3, axis 1 (= -2): out[i, idx[i,j], j] = on */
    const int32_t x[4] = {0, 2, 1, 0};
    const int64_t xd[] = {2, 2}, axis1 = 1, axis_m2 = -2, axis0 = 0, axis_m3 = -3;
    const int64_t depth = 3;
    const int32_t v[2] = {-1, 7};
    const int32_t want1[12] = {7, -1, -1, -1, -1, 7, -1, 7, 7, -1, -1, -1};
    /* axis 0: out[idx[i,j], i, j] */
    const int32_t want0[12] = {7, -1, -1, 7, -1, -1, 7, -1, -1, 7, -1, -1};
    const int64_t *axes[] = {&axis1, &axis_m2, &axis0, &axis_m3};
    const int64_t d1[] = {2, 3, 2}, d0[] = {3, 2, 2};
    for (int k = 0; k < 4; k++) {
        mk_model *mm = onehot_model(11, axes[k], ONNXBN_INT32, 2, xd, ONNXBN_INT64, &depth,
                                    ONNXBN_INT32, v);
        mk_feed f = {"X", ONNXBN_INT32, 2, xd, x};
        mk_check_bytes(mm, 1, &f, ONNXBN_INT32, 3, k < 2 ? d1 : d0, k < 2 ? want1 : want0);
        mk_free(mm);
    }
}

static void test_onehot_float_types(void **state)
{
    (void)state;
    /* float indices truncate toward zero (1.9 -> 1, -0.5 -> 0); depth 2.0 as a double; bool
     * values */
    const float x[3] = {1.9f, -0.5f, -2.0f};
    const int64_t xd[] = {3};
    const double depth = 2.0;
    const uint8_t v[2] = {0, 1};
    const uint8_t want[6] = {0, 1, 1, 0, 1, 0};
    mk_model *mm = onehot_model(11, NULL, ONNXBN_FLOAT, 1, xd, ONNXBN_DOUBLE, &depth, ONNXBN_BOOL, v);
    mk_feed f = {"X", ONNXBN_FLOAT, 1, xd, x};
    mk_check_bytes(mm, 1, &f, ONNXBN_BOOL, 2, (const int64_t[]){3, 2}, want);
    mk_free(mm);
}

/* depth fed by the caller: a value input, so the plan takes it as a constant and re-plans when
 * it changes */
static void test_onehot_fed_depth(void **state)
{
    (void)state;
    mk_model *mm = mk_new(11);
    const int64_t xd[] = {2};
    mk_input(mm, "X", ONNXBN_INT64, 1, xd);
    mk_input(mm, "D", ONNXBN_INT64, 0, NULL);
    mk_init(mm, "V", ONNXBN_FLOAT, 1, (const int64_t[]){2}, (const float[]){0, 1});
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "OneHot", "oh", "X,D,V", "Y");
    onnxbn_session *s = mk_open_ok(mm);
    const int64_t x[2] = {0, 2};
    int64_t depth = 3;
    mk_feed f[2] = {{"X", ONNXBN_INT64, 1, xd, x}, {"D", ONNXBN_INT64, 0, NULL, &depth}};
    mk_run_ok(s, 2, f);
    mk_expect_f32(s, 0, 2, (const int64_t[]){2, 3}, (const float[]){1, 0, 0, 0, 0, 1}, 0, 0);
    depth = 2; /* 2 is now out of range */
    mk_run_ok(s, 2, f);
    mk_expect_f32(s, 0, 2, (const int64_t[]){2, 2}, (const float[]){1, 0, 0, 0}, 0, 0);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_onehot_errors(void **state)
{
    (void)state;
    const int64_t x[2] = {0, 1}, xd[] = {2};
    const float v[2] = {0, 1};
    mk_feed f = {"X", ONNXBN_INT64, 1, xd, x};
    const int64_t zero = 0, neg = -4;
    const float half = 0.5f;
    mk_model *mm = onehot_model(11, NULL, ONNXBN_INT64, 1, xd, ONNXBN_INT64, &zero, ONNXBN_FLOAT, v);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'oh' (OneHot): input 'depth' ('D') is 0; it must be at least 1");
    mk_free(mm);
    mm = onehot_model(11, NULL, ONNXBN_INT64, 1, xd, ONNXBN_INT64, &neg, ONNXBN_FLOAT, v);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'oh' (OneHot): input 'depth' ('D') is -4");
    mk_free(mm);
    mm = onehot_model(11, NULL, ONNXBN_INT64, 1, xd, ONNXBN_FLOAT, &half, ONNXBN_FLOAT, v);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'oh' (OneHot): input 'depth' ('D') is 0.5");
    mk_free(mm);
    const int64_t axis = 2; /* rank 1 indices: axis in [-2, 1] */
    const int64_t three = 3;
    mm = onehot_model(11, &axis, ONNXBN_INT64, 1, xd, ONNXBN_INT64, &three, ONNXBN_FLOAT, v);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'oh' (OneHot): attribute 'axis' 2 is outside [-2, 1]");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onehot_last_axis),   cmocka_unit_test(test_onehot_axes),
        cmocka_unit_test(test_onehot_float_types), cmocka_unit_test(test_onehot_fed_depth),
        cmocka_unit_test(test_onehot_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
