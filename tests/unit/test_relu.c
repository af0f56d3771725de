/* SPDX-License-Identifier: Apache-2.0 */
/* test_relu.c — the Relu operator through the public session API: exact values and bit patterns
 * (−0, NaN, infinities, subnormals) in every type each version takes, shapes, and type errors. */
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

#include "mkmodel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* x → Relu 'r' → y at `opset`, fed with n elements of type dt in shape dims; returns the status
 * (open or run) and, on success, the session. */
static onnxbn_status relu(int64_t opset, onnxbn_dtype dt, int rank, const int64_t *dims,
                          const void *x, bool consumed, onnxbn_session **out, onnxbn_error *err)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, rank, dims);
    mk_node *n = mk_node_add(m, "Relu", "r", "x", "y");
    if (consumed)
        mk_attr_ints(n, "consumed_inputs", 1, (const int64_t[]){0});
    mk_output(m, "y", dt, rank, dims);
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(m, &s, err);
    if (!st) {
        mk_feed f = {"x", dt, rank, dims, x};
        st = mk_run(s, 1, &f, err);
    }
    mk_free(m);
    if (st) {
        onnxbn_session_free(s);
        s = NULL;
    }
    *out = s;
    return st;
}

/* Runs and compares the output bytes with `want` (bit-exact: the sign of zero and NaN payloads
 * count). */
static void expect_bits(int64_t opset, onnxbn_dtype dt, size_t n, const void *x, const void *want,
                        bool consumed)
{
    const int64_t dims[] = {(int64_t)n};
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (relu(opset, dt, 1, dims, x, consumed, &s, &err))
        fail_msg("Relu opset %lld %s: %s", (long long)opset, onnxbn_dtype_name(dt), err.msg);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), dt);
    assert_int_equal(onnxbn_tensor_numel(y), (int64_t)n);
    size_t esz = onnxbn_dtype_size(dt);
    const unsigned char *g = onnxbn_tensor_cdata(y), *w = want;
    for (size_t i = 0; i < n; i++)
        if (memcmp(g + i * esz, w + i * esz, esz))
            fail_msg("Relu opset %lld %s: element %zu differs from the expected bits",
                     (long long)opset, onnxbn_dtype_name(dt), i);
    onnxbn_session_free(s);
}

/* numpy's maximum(x, 0) (the ONNX reference): NaN passes through with its sign, −0 gives +0,
 * negative subnormals and −inf give +0. */
static void test_float_values(void **state)
{
    (void)state;
    const float x[] = {-2.0f, -0.0f, 0.0f, 1.5f, NAN, -NAN, INFINITY, -INFINITY, -1e-40f, 1e-40f,
                       3.4e38f, -3.4e38f};
    const float y[] = {0.0f, 0.0f, 0.0f, 1.5f, NAN, -NAN, INFINITY, 0.0f, 0.0f, 1e-40f, 3.4e38f, 0.0f};
    const int64_t opsets[] = {6, 13, 14, 18};
    for (size_t i = 0; i < COUNT(opsets); i++)
        expect_bits(opsets[i], ONNXBN_FLOAT, COUNT(x), x, y, false);
    expect_bits(1, ONNXBN_FLOAT, COUNT(x), x, y, true); /* Relu-1's consumed_inputs is accepted */
    expect_bits(1, ONNXBN_FLOAT, COUNT(x), x, y, false);
}

static void test_double_values(void **state)
{
    (void)state;
    const double x[] = {-2.0, -0.0, 0.0, 1.5, NAN, -NAN, INFINITY, -INFINITY, -5e-324, 5e-324};
    const double y[] = {0.0, 0.0, 0.0, 1.5, NAN, -NAN, INFINITY, 0.0, 0.0, 5e-324};
    expect_bits(6, ONNXBN_DOUBLE, COUNT(x), x, y, false);
    expect_bits(14, ONNXBN_DOUBLE, COUNT(x), x, y, false);
}

/* Bit patterns: −1, −0, +0, 1, NaN, −NaN, +inf, −inf, the smallest negative subnormal, 65504. */
static void test_half_values(void **state)
{
    (void)state;
    const uint16_t x[] = {0xbc00, 0x8000, 0x0000, 0x3c00, 0x7e00, 0xfe00, 0x7c00, 0xfc00, 0x8001, 0x7bff};
    const uint16_t y[] = {0x0000, 0x0000, 0x0000, 0x3c00, 0x7e00, 0xfe00, 0x7c00, 0x0000, 0x0000, 0x7bff};
    expect_bits(6, ONNXBN_FLOAT16, COUNT(x), x, y, false);
    expect_bits(14, ONNXBN_FLOAT16, COUNT(x), x, y, false);
    const uint16_t bx[] = {0xbf80, 0x8000, 0x0000, 0x3f80, 0x7fc0, 0xffc0, 0x7f80, 0xff80, 0x8001, 0xff81};
    const uint16_t by[] = {0x0000, 0x0000, 0x0000, 0x3f80, 0x7fc0, 0xffc0, 0x7f80, 0x0000, 0x0000, 0xff81};
    expect_bits(13, ONNXBN_BFLOAT16, COUNT(bx), bx, by, false);
    expect_bits(14, ONNXBN_BFLOAT16, COUNT(bx), bx, by, false);
}

static void test_integers_v14(void **state)
{
    (void)state;
    const int8_t x8[] = {INT8_MIN, -1, 0, 1, INT8_MAX}, y8[] = {0, 0, 0, 1, INT8_MAX};
    const int16_t x16[] = {INT16_MIN, -7, 0, 7, INT16_MAX}, y16[] = {0, 0, 0, 7, INT16_MAX};
    const int32_t x32[] = {INT32_MIN, -7, 0, 7, INT32_MAX}, y32[] = {0, 0, 0, 7, INT32_MAX};
    const int64_t x64[] = {INT64_MIN, -7, 0, 7, INT64_MAX}, y64[] = {0, 0, 0, 7, INT64_MAX};
    expect_bits(14, ONNXBN_INT8, 5, x8, y8, false);
    expect_bits(14, ONNXBN_INT16, 5, x16, y16, false);
    expect_bits(14, ONNXBN_INT32, 5, x32, y32, false);
    expect_bits(14, ONNXBN_INT64, 5, x64, y64, false);
}

/* A type the version does not take: ONNXBN_ERR_TYPE naming the node, the type and the version. */
static void test_type_errors(void **state)
{
    (void)state;
    const struct { int64_t opset; onnxbn_dtype dt; const char *name; } bad[] = {
        {13, ONNXBN_INT32, "int32"},   {6, ONNXBN_INT8, "int8"},     {6, ONNXBN_BFLOAT16, "bfloat16"},
        {1, ONNXBN_BFLOAT16, "bfloat16"}, {14, ONNXBN_UINT8, "uint8"}, {14, ONNXBN_BOOL, "bool"},
        {14, ONNXBN_UINT32, "uint32"}};
    const uint64_t zeros[4] = {0};
    const int64_t dims[] = {4};
    for (size_t i = 0; i < COUNT(bad); i++) {
        onnxbn_session *s;
        onnxbn_error err = {0};
        onnxbn_status st = relu(bad[i].opset, bad[i].dt, 1, dims, zeros, false, &s, &err);
        if (st != ONNXBN_ERR_TYPE)
            fail_msg("opset %lld %s: expected a type error, got %s: %s", (long long)bad[i].opset,
                     bad[i].name, onnxbn_status_name(st), err.msg);
        char frag[64];
        snprintf(frag, sizeof frag, "is %s, Relu-", bad[i].name);
        if (!strstr(err.msg, "node 'r' (Relu)") || !strstr(err.msg, frag))
            fail_msg("message: %s", err.msg);
    }
}

/* The output has the input's shape: rank 3, a scalar, and an empty tensor. */
static void test_shapes(void **state)
{
    (void)state;
    float x[24], want[24];
    for (int i = 0; i < 24; i++) {
        x[i] = (float)(i - 12) * 0.5f;
        want[i] = x[i] > 0 ? x[i] : 0.0f;
    }
    const int64_t d234[] = {2, 3, 4}, d03[] = {0, 3};
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (relu(14, ONNXBN_FLOAT, 3, d234, x, false, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 3, d234, want, 0, 0);
    onnxbn_session_free(s);
    const float neg[] = {-3.0f}, zero[] = {0.0f};
    if (relu(14, ONNXBN_FLOAT, 0, NULL, neg, false, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 0, NULL, zero, 0, 0);
    onnxbn_session_free(s);
    if (relu(14, ONNXBN_FLOAT, 2, d03, NULL, false, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 2, d03, NULL, 0, 0);
    onnxbn_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_values),
        cmocka_unit_test(test_double_values),
        cmocka_unit_test(test_half_values),
        cmocka_unit_test(test_integers_v14),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
