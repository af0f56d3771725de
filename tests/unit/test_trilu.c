/* SPDX-License-Identifier: Apache-2.0 */
/* test_trilu.c — Trilu 14 and EyeLike 9, the two diagonal-offset operators: hand-computed upper
 * and lower parts for k inside and beyond the matrix, k fed at run time, batches, EyeLike's k and
 * dtype, and inputs of the wrong rank refused. */
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

/* Trilu(X fed, K fed when with_k), attribute upper when >= 0 */
static mk_model *trilu_model(onnxbn_dtype t, int r, const int64_t *d, bool with_k, int upper)
{
    mk_model *mm = mk_new(14);
    mk_input(mm, "X", t, r, d);
    if (with_k)
        mk_input(mm, "K", ONNXBN_INT64, 0, NULL);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node *n = mk_node_add(mm, "Trilu", "tri", with_k ? "X,K" : "X", "Y");
    if (upper >= 0)
        mk_attr_i(n, "upper", upper);
    return mm;
}

static void test_trilu(void **state)
{
    (void)state;
    const int64_t d[] = {3, 4};
    float x[12];
    for (int k = 0; k < 12; k++)
        x[k] = (float)(k + 1);
    mk_feed f = {"X", ONNXBN_FLOAT, 2, d, x};
    /* upper by default, k absent = 0 */
    mk_model *mm = trilu_model(ONNXBN_FLOAT, 2, d, false, -1);
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 2, d, (const float[]){1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
    mk_free(mm);
    /* k fed: one session, several k */
    static const struct { int upper; int64_t k; float y[12]; } cases[] = {
        {0, 1, {1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12}},
        {0, -1, {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0}},
        {0, -3, {0}},                                       /* below every element */
        {0, 9, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},    /* past the last column */
        {1, 2, {0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0}},
        {1, -1, {1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12}},
        {1, 4, {0}},
        {1, INT64_MIN, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}, /* no overflow in i + k */
        {0, INT64_MAX, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
    };
    for (int u = 0; u < 2; u++) {
        mm = trilu_model(ONNXBN_FLOAT, 2, d, true, u);
        onnxbn_session *s = mk_open_ok(mm);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            if (cases[c].upper != u)
                continue;
            mk_feed fk[2] = {f, {"K", ONNXBN_INT64, 0, NULL, &cases[c].k}};
            mk_run_ok(s, 2, fk);
            mk_expect_f32(s, 0, 2, d, cases[c].y, 0, 0);
        }
        onnxbn_session_free(s);
        mk_free(mm);
    }
    /* a batch of two 2×3 int8 matrices, lower */
    const int64_t db[] = {2, 2, 3};
    const int8_t xb[12] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    mk_feed fb = {"X", ONNXBN_INT8, 3, db, xb};
    mm = trilu_model(ONNXBN_INT8, 3, db, false, 0);
    mk_check_bytes(mm, 1, &fb, ONNXBN_INT8, 3, db, (const int8_t[]){1, 0, 0, 4, 5, 0, -1, 0, 0, -4, -5, 0});
    mk_free(mm);
}

static void test_trilu_errors(void **state)
{
    (void)state;
    const int64_t d[] = {3};
    const float x[3] = {1, 2, 3};
    mk_feed f = {"X", ONNXBN_FLOAT, 1, d, x};
    mk_model *mm = trilu_model(ONNXBN_FLOAT, 1, d, false, -1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'tri' (Trilu): input 'input' ('X') has rank 1");
    mk_free(mm);
    const int64_t d2[] = {1, 3}, k2[2] = {0, 1};
    mk_feed fk[2] = {{"X", ONNXBN_FLOAT, 2, d2, x}, {"K", ONNXBN_INT64, 1, (const int64_t[]){2}, k2}};
    mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d2);
    mk_input(mm, "K", ONNXBN_INT64, 1, (const int64_t[]){2});
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Trilu", "tri", "X,K", "Y");
    mk_expect_fail(mm, 2, fk, ONNXBN_ERR_SHAPE, "node 'tri' (Trilu): input 'k' ('K') must be a scalar or one element");
    mk_free(mm);
}

static mk_model *eye_model(onnxbn_dtype t, const int64_t *d, int rank, const int64_t *k,
                           const int64_t *dtype)
{
    mk_model *mm = mk_new(9);
    mk_input(mm, "X", t, rank, d);
    mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node *n = mk_node_add(mm, "EyeLike", "eye", "X", "Y");
    if (k)
        mk_attr_i(n, "k", *k);
    if (dtype)
        mk_attr_i(n, "dtype", *dtype);
    return mm;
}

static void test_eyelike(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3}, one = 1, m1 = -1, big = -2, far = 3;
    const int64_t t_float = ONNXBN_FLOAT, t_bool = ONNXBN_BOOL, t_f16 = ONNXBN_FLOAT16;
    const int32_t x[6] = {7, 7, 7, 7, 7, 7};
    mk_feed f = {"X", ONNXBN_INT32, 2, d, x};
    mk_model *mm = eye_model(ONNXBN_INT32, d, 2, NULL, NULL); /* the input's type */
    mk_check_bytes(mm, 1, &f, ONNXBN_INT32, 2, d, (const int32_t[]){1, 0, 0, 0, 1, 0});
    mk_free(mm);
    mm = eye_model(ONNXBN_INT32, d, 2, &one, &t_float);
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 2, d, (const float[]){0, 1, 0, 0, 0, 1});
    mk_free(mm);
    mm = eye_model(ONNXBN_INT32, d, 2, &m1, &t_bool);
    mk_check_bytes(mm, 1, &f, ONNXBN_BOOL, 2, d, (const uint8_t[]){0, 0, 0, 1, 0, 0});
    mk_free(mm);
    mm = eye_model(ONNXBN_INT32, d, 2, &big, &t_f16); /* below the matrix: all zero */
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT16, 2, d, (const uint16_t[]){0, 0, 0, 0, 0, 0});
    mk_free(mm);
    mm = eye_model(ONNXBN_INT32, d, 2, &far, &t_f16);
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT16, 2, d, (const uint16_t[]){0, 0, 0, 0, 0, 0});
    mk_free(mm);
    /* float16 ones from a double input, tall matrix */
    const int64_t dt[] = {3, 2};
    const double xd[6] = {0};
    mk_feed fd = {"X", ONNXBN_DOUBLE, 2, dt, xd};
    mm = eye_model(ONNXBN_DOUBLE, dt, 2, &m1, &t_f16);
    mk_check_bytes(mm, 1, &fd, ONNXBN_FLOAT16, 2, dt, (const uint16_t[]){0, 0, 0x3c00, 0, 0, 0x3c00});
    mk_free(mm);
}

static void test_eyelike_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 2, 2}, bad = ONNXBN_STRING;
    const float x[8] = {0};
    mk_feed f = {"X", ONNXBN_FLOAT, 3, d, x};
    mk_model *mm = eye_model(ONNXBN_FLOAT, d, 3, NULL, NULL);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'eye' (EyeLike): input 'input' ('X') has rank 3");
    mk_free(mm);
    mk_feed f2 = {"X", ONNXBN_FLOAT, 2, d, x};
    mm = eye_model(ONNXBN_FLOAT, d, 2, NULL, &bad);
    mk_expect_fail(mm, 1, &f2, ONNXBN_ERR_TYPE, "node 'eye' (EyeLike): attribute 'dtype' is string");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trilu),   cmocka_unit_test(test_trilu_errors),
        cmocka_unit_test(test_eyelike), cmocka_unit_test(test_eyelike_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
