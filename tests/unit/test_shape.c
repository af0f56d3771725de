/* SPDX-License-Identifier: Apache-2.0 */
/* test_shape.c — the shape operators (Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Identity,
 * Dropout, Constant, ConstantOfShape, Range, Cast) with hand-computed values for tricky attributes. */
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

/* ---- helpers ---- */

/* Opens and runs; the first failing status, its message in err. */
/* One-node model run on one fed input X; output 0 checked. */
static void check1(const mk_model *mm, onnxbn_dtype xt, int xr, const int64_t *xd, const void *x,
                   onnxbn_dtype yt, int yr, const int64_t *yd, const void *y)
{
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", xt, xr, xd, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, yt, yr, yd, y);
    onnxbn_session_free(s);
}

static const float X24[24] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                              12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static const int64_t D234[] = {2, 3, 4};

/* ---- Reshape ---- */

static mk_node *reshape_model(mk_model *mm, size_t n, const int64_t *shape)
{
    const int64_t sd[] = {(int64_t)n};
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_init(mm, "shape", ONNXBN_INT64, 1, sd, shape);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    return mk_node_add(mm, "Reshape", "r", "X,shape", "Y");
}

/* 0 copies the input's dimension, -1 takes what is left: [2,3,4] with [0,-1,2] is [2,6,2]. */
static void test_reshape_zero_and_minus_one(void **state)
{
    (void)state;
    const int64_t shape[] = {0, -1, 2}, want[] = {2, 6, 2};
    mk_model *mm = mk_new(14);
    reshape_model(mm, 3, shape);
    check1(mm, ONNXBN_FLOAT, 3, D234, X24, ONNXBN_FLOAT, 3, want, X24);
    mk_free(mm);
}

/* allowzero=1 honours a 0: [0,3] becomes [3,0]; without it the 0 would copy dim 0 (= 0) too,
 * but [3,0] → [3, 3] would not fit. */
static void test_reshape_allowzero(void **state)
{
    (void)state;
    const int64_t xd[] = {0, 3}, shape[] = {3, 0}, sd[] = {2}, want[] = {3, 0};
    mk_model *mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "shape", ONNXBN_INT64, 1, sd, shape);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Reshape", "r", "X,shape", "Y"), "allowzero", 1);
    check1(mm, ONNXBN_FLOAT, 2, xd, X24, ONNXBN_FLOAT, 2, want, NULL);
    mk_free(mm);

    /* with allowzero=0 the 0 copies X's dimension 1 (3): [3,3] has 9 elements, X has 0 */
    mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "shape", ONNXBN_INT64, 1, sd, shape);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Reshape", "r", "X,shape", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "has 9 elements");
    mk_free(mm);

    /* allowzero=1 with both 0 and -1 is invalid */
    const int64_t bad[] = {0, -1};
    mm = mk_new(14);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "shape", ONNXBN_INT64, 1, sd, bad);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Reshape", "r", "X,shape", "Y"), "allowzero", 1);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "both -1 and 0");
    mk_free(mm);
}

static void test_reshape_v1_attribute(void **state)
{
    (void)state;
    const int64_t shape[] = {4, -1}, want[] = {4, 6};
    mk_model *mm = mk_new(1);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Reshape", "r", "X", "Y"), "shape", 2, shape);
    check1(mm, ONNXBN_FLOAT, 3, D234, X24, ONNXBN_FLOAT, 2, want, X24);
    mk_free(mm);
}

static void test_reshape_errors(void **state)
{
    (void)state;
    const int64_t bad[] = {5, -1}, two[] = {-1, -1};
    mk_model *mm = mk_new(13);
    reshape_model(mm, 2, bad);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "node 'r' (Reshape): shape [5,-1] does not fit the 24 elements");
    mk_free(mm);
    mm = mk_new(13);
    reshape_model(mm, 2, two);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "more than one -1");
    mk_free(mm);

    /* a fed shape: the plan is made for its values and remade when they change */
    const int64_t sd[] = {2}, shape[] = {6, 4}, other[] = {4, -1}, want46[] = {4, 6};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_input(mm, "S", ONNXBN_INT64, 1, sd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Reshape", "r", "X,S", "Y");
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f[] = {{"X", 0, 3, D234, X24}, {"S", ONNXBN_INT64, 1, sd, shape}};
    mk_run_ok(s, 2, f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, shape, X24);
    f[1].data = other;
    mk_run_ok(s, 2, f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, want46, X24);
    f[1].data = bad;
    onnxbn_error err = {0};
    assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_ERR_SHAPE);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* ---- Flatten ---- */

static void test_flatten(void **state)
{
    (void)state;
    const int64_t w0[] = {1, 24}, wm1[] = {6, 4}, w3[] = {24, 1};
    const int64_t axes[] = {0, -1, 3};
    const int64_t *want[] = {w0, wm1, w3};
    for (int k = 0; k < 3; k++) {
        mk_model *mm = mk_new(13);
        mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
        mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
        mk_attr_i(mk_node_add(mm, "Flatten", "f", "X", "Y"), "axis", axes[k]);
        check1(mm, ONNXBN_FLOAT, 3, D234, X24, ONNXBN_FLOAT, 2, want[k], X24);
        mk_free(mm);
    }
    /* Flatten-9 spells out no negative axis but takes one as Flatten-11 does; past the rank fails */
    mk_model *mm = mk_new(9);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Flatten", "f", "X", "Y"), "axis", -1);
    check1(mm, ONNXBN_FLOAT, 3, D234, X24, ONNXBN_FLOAT, 2, wm1, X24);
    mk_free(mm);
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Flatten", "f", "X", "Y"), "axis", 4);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "outside [-3, 3]");
    mk_free(mm);
}

/* ---- Squeeze, Unsqueeze ---- */

static void test_squeeze(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 3, 1, 2}, all[] = {3, 2}, last1[] = {1, 3, 2}, axes[] = {-2};
    /* Squeeze-1 without axes: every 1 goes */
    mk_model *mm = mk_new(1);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Squeeze", "s", "X", "Y");
    check1(mm, ONNXBN_FLOAT, 4, xd, X24, ONNXBN_FLOAT, 2, all, X24);
    mk_free(mm);
    /* Squeeze-13 with a negative axis input */
    const int64_t ad[] = {1};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xd);
    mk_init(mm, "axes", ONNXBN_INT64, 1, ad, axes);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Squeeze", "s", "X,axes", "Y");
    check1(mm, ONNXBN_FLOAT, 4, xd, X24, ONNXBN_FLOAT, 3, last1, X24);
    mk_free(mm);
    /* an axis of size 3 cannot go */
    const int64_t one[] = {1};
    mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Squeeze", "s", "X", "Y"), "axes", 1, one);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "has size 3");
    mk_free(mm);
}

static void test_unsqueeze(void **state)
{
    (void)state;
    const int64_t xd[] = {3, 4}, want[] = {1, 3, 4, 1};
    const int64_t attr_axes[] = {0, -1}, in_axes[] = {3, 0}, ad[] = {2};
    mk_model *mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Unsqueeze", "u", "X", "Y"), "axes", 2, attr_axes);
    check1(mm, ONNXBN_FLOAT, 2, xd, X24, ONNXBN_FLOAT, 4, want, X24);
    mk_free(mm);

    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "axes", ONNXBN_INT64, 1, ad, in_axes);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Unsqueeze", "u", "X,axes", "Y");
    check1(mm, ONNXBN_FLOAT, 2, xd, X24, ONNXBN_FLOAT, 4, want, X24);
    mk_free(mm);

    /* Unsqueeze-1: negative axes count in the output's rank too; out of range and duplicates fail */
    mm = mk_new(1);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Unsqueeze", "u", "X", "Y"), "axes", 2, attr_axes);
    check1(mm, ONNXBN_FLOAT, 2, xd, X24, ONNXBN_FLOAT, 4, want, X24);
    mk_free(mm);
    const int64_t far[] = {3}, fd[] = {1};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "axes", ONNXBN_INT64, 1, fd, far);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Unsqueeze", "u", "X,axes", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "outside [-3, 2]");
    mk_free(mm);
    const int64_t dup[] = {1, -3};
    mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Unsqueeze", "u", "X", "Y"), "axes", 2, dup);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "given twice");
    mk_free(mm);
}

/* ---- Shape, Size ---- */

static void test_shape_start_end(void **state)
{
    (void)state;
    struct { int64_t start, end; bool has_start, has_end; int64_t n; int64_t v[3]; } cases[] = {
        {0, 0, false, false, 3, {2, 3, 4}},
        {-1, 0, true, false, 1, {4}},
        {0, -1, false, true, 2, {2, 3}},
        {1, 2, true, true, 1, {3}},
        {-10, 10, true, true, 3, {2, 3, 4}}, /* clamped */
        {2, 1, true, true, 0, {0}},          /* empty */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mk_model *mm = mk_new(15);
        mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
        mk_output(mm, "Y", ONNXBN_INT64, -1, NULL);
        mk_node *n = mk_node_add(mm, "Shape", "s", "X", "Y");
        if (cases[k].has_start)
            mk_attr_i(n, "start", cases[k].start);
        if (cases[k].has_end)
            mk_attr_i(n, "end", cases[k].end);
        check1(mm, ONNXBN_FLOAT, 3, D234, X24, ONNXBN_INT64, 1, &cases[k].n, cases[k].v);
        mk_free(mm);
    }
}

/* Shape and Size are evaluated at plan time from dims alone, so Reshape(Y, Shape(X)) has a
 * constant shape input even though X is fed. */
static void test_shape_feeds_reshape(void **state)
{
    (void)state;
    const int64_t yd[] = {24};
    const int64_t n24 = 24;
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 3, D234);
    mk_input(mm, "Y", ONNXBN_FLOAT, 1, yd);
    mk_output(mm, "Z", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "N", ONNXBN_INT64, -1, NULL);
    mk_node_add(mm, "Shape", "s", "X", "S");
    mk_node_add(mm, "Reshape", "r", "Y,S", "Z");
    mk_node_add(mm, "Size", "n", "X", "N");
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f[] = {{"X", 0, 3, D234, X24}, {"Y", 0, 1, yd, X24}};
    mk_run_ok(s, 2, f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, D234, X24);
    mk_expect_bytes(s, 1, ONNXBN_INT64, 0, NULL, &n24);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* ---- Identity, Dropout ---- */

static void test_identity_int64(void **state)
{
    (void)state;
    const int64_t xd[] = {3}, x[] = {-1, INT64_MAX, 7};
    mk_model *mm = mk_new(16);
    mk_input(mm, "X", ONNXBN_INT64, 1, xd);
    mk_output(mm, "Y", ONNXBN_INT64, -1, NULL);
    mk_node_add(mm, "Identity", "i", "X", "Y");
    check1(mm, ONNXBN_INT64, 1, xd, x, ONNXBN_INT64, 1, xd, x);
    mk_free(mm);
}

static void test_dropout_inference(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 2};
    const float x[] = {1, -2, 3, -4}, fones[] = {1, 1, 1, 1};
    const uint8_t ones[] = {1, 1, 1, 1};
    /* Dropout-13 without training_mode: Y = X, mask all true */
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "M", ONNXBN_BOOL, -1, NULL);
    mk_node_add(mm, "Dropout", "d", "X", "Y,M");
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", 0, 2, xd, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, xd, x);
    mk_expect_bytes(s, 1, ONNXBN_BOOL, 2, xd, ones);
    onnxbn_session_free(s);
    mk_free(mm);
    /* Dropout-7's mask has the data's type */
    mm = mk_new(7);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "M", ONNXBN_FLOAT, -1, NULL);
    mk_attr_f(mk_node_add(mm, "Dropout", "d", "X", "Y,M"), "ratio", 0.3f);
    s = mk_open_ok(mm);
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, xd, x);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 2, xd, fones);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_dropout_training(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 2};
    const float x[] = {1, -2, 3, -4};
    const uint8_t ones[] = {1, 1, 1, 1}, yes = 1;
    /* constant training_mode = true with ratio 0.5: random, refused when planning */
    const float half = 0.5f, zero = 0.0f, some = 0.3f;
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "r", ONNXBN_FLOAT, 0, NULL, &half);
    mk_init(mm, "t", ONNXBN_BOOL, 0, NULL, &yes);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Dropout", "d", "X,r,t", "Y");
    mk_feed f = {"X", 0, 2, xd, x};
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_UNSUPPORTED, "random dropout");
    mk_free(mm);
    /* fed training_mode and ratio: ratio 0 is a copy with a full mask, 0.3 is refused at run */
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_input(mm, "r", ONNXBN_FLOAT, 0, NULL);
    mk_input(mm, "t", ONNXBN_BOOL, 0, NULL);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "M", ONNXBN_BOOL, -1, NULL);
    mk_node_add(mm, "Dropout", "d", "X,r,t", "Y,M");
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed g[] = {{"X", 0, 2, xd, x}, {"r", 0, 0, NULL, &zero}, {"t", ONNXBN_BOOL, 0, NULL, &yes}};
    mk_run_ok(s, 3, g);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, xd, x);
    mk_expect_bytes(s, 1, ONNXBN_BOOL, 2, xd, ones);
    g[1].data = &some;
    onnxbn_error err = {0};
    assert_int_equal(mk_run(s, 3, g, &err), ONNXBN_ERR_UNSUPPORTED);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* ---- Constant, ConstantOfShape, Range ---- */

static void test_constant_values(void **state)
{
    (void)state;
    const int64_t ints[] = {3, -1, 4}, n3 = 3;
    const float f = 2.5f;
    mk_model *mm = mk_new(13);
    mk_output(mm, "A", ONNXBN_INT64, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Constant", "a", "", "A"), "value_ints", 3, ints);
    mk_attr_f(mk_node_add(mm, "Constant", "b", "", "B"), "value_float", f);
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 0, NULL);
    mk_expect_bytes(s, 0, ONNXBN_INT64, 1, &n3, ints);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 0, NULL, &f);
    onnxbn_session_free(s);
    mk_free(mm);
    /* two value attributes at once */
    mm = mk_new(13);
    mk_output(mm, "A", ONNXBN_INT64, -1, NULL);
    mk_node *n = mk_node_add(mm, "Constant", "a", "", "A");
    mk_attr_i(n, "value_int", 1);
    mk_attr_f(n, "value_float", 1.0f);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_MODEL, "exactly one");
    mk_free(mm);
    /* strings are not supported */
    mm = mk_new(13);
    mk_output(mm, "A", ONNXBN_UNDEFINED, -1, NULL);
    mk_attr_s(mk_node_add(mm, "Constant", "a", "", "A"), "value_string", "hi");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_UNSUPPORTED, "value_string");
    mk_free(mm);
}

static void test_constant_of_shape_default(void **state)
{
    (void)state;
    const int64_t shape[] = {2, 3}, sd[] = {2};
    const float zeros[6] = {0};
    mk_model *mm = mk_new(9);
    mk_init(mm, "S", ONNXBN_INT64, 1, sd, shape);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "ConstantOfShape", "c", "S", "Y");
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 0, NULL);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, shape, zeros);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void range_case(onnxbn_dtype t, const void *start, const void *limit, const void *delta,
                       int64_t n, const void *want)
{
    mk_model *mm = mk_new(11);
    mk_init(mm, "s", t, 0, NULL, start);
    mk_init(mm, "l", t, 0, NULL, limit);
    mk_init(mm, "d", t, 0, NULL, delta);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node_add(mm, "Range", "r", "s,l,d", "Y");
    onnxbn_session *s = mk_open_ok(mm);
    mk_run_ok(s, 0, NULL);
    mk_expect_bytes(s, 0, t, 1, &n, want);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_range(void **state)
{
    (void)state;
    /* ceil((4 - 10) / -3) = 2: 10, 7 */
    const int32_t s32 = 10, l32 = 4, d32 = -3, w32[] = {10, 7};
    range_case(ONNXBN_INT32, &s32, &l32, &d32, 2, w32);
    /* ceil(1 / 0.25) = 4 and an empty range */
    const float sf = 1, lf = 2, df = 0.25f, wf[] = {1, 1.25f, 1.5f, 1.75f}, back = -1;
    range_case(ONNXBN_FLOAT, &sf, &lf, &df, 4, wf);
    range_case(ONNXBN_FLOAT, &sf, &lf, &back, 0, NULL);
    /* int64 extremes: the span does not overflow */
    const int64_t a = INT64_MIN, b = INT64_MAX, d = INT64_MAX, w64[] = {INT64_MIN, -1, INT64_MAX - 1};
    range_case(ONNXBN_INT64, &a, &b, &d, 3, w64);
    /* delta 0 is an error */
    const int64_t z = 0;
    mk_model *mm = mk_new(11);
    mk_init(mm, "s", ONNXBN_INT64, 0, NULL, &a);
    mk_init(mm, "l", ONNXBN_INT64, 0, NULL, &b);
    mk_init(mm, "d", ONNXBN_INT64, 0, NULL, &z);
    mk_output(mm, "Y", ONNXBN_INT64, -1, NULL);
    mk_node_add(mm, "Range", "r", "s,l,d", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_ARG, "'delta' is 0");
    mk_free(mm);
}

/* ---- Cast ---- */

static void cast_case(int64_t opset, onnxbn_dtype from, onnxbn_dtype to, int64_t n, const void *x,
                      const void *want)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", from, 1, &n);
    mk_output(mm, "Y", to, -1, NULL);
    mk_node *nd = mk_node_add(mm, "Cast", "c", "X", "Y");
    if (opset >= 6)
        mk_attr_i(nd, "to", to);
    else
        mk_attr_s(nd, "to", onnxbn_dtype_name(to)); /* lower case: names match in any case */
    check1(mm, from, 1, &n, x, to, 1, &n, want);
    mk_free(mm);
}

static void test_cast_float_to_int(void **state)
{
    (void)state;
    const float x[] = {2.9f, -2.9f, NAN, 1e30f, -1e30f, 300.0f, -1.0f};
    /* truncation toward zero; NaN 0; beyond int64 saturates, then wraps to the width */
    const int32_t i32[] = {2, -2, 0, -1, 0, 300, -1};
    const uint8_t u8[] = {2, 254, 0, 255, 0, 44, 255};
    const int64_t i64[] = {2, -2, 0, INT64_MAX, INT64_MIN, 300, -1};
    const uint8_t b[] = {1, 1, 1, 1, 1, 1, 1};
    cast_case(13, ONNXBN_FLOAT, ONNXBN_INT32, 7, x, i32);
    cast_case(13, ONNXBN_FLOAT, ONNXBN_UINT8, 7, x, u8);
    cast_case(13, ONNXBN_FLOAT, ONNXBN_INT64, 7, x, i64);
    cast_case(13, ONNXBN_FLOAT, ONNXBN_BOOL, 7, x, b);
}

static void test_cast_int(void **state)
{
    (void)state;
    /* int64 → double rounds once; int64 → int8 wraps; bool is 0/1 */
    const int64_t x[] = {(INT64_C(1) << 53) + 1, 257, -129, 0};
    const double d[] = {9007199254740992.0, 257, -129, 0};
    const int8_t i8[] = {1, 1, 127, 0};
    const uint8_t b[] = {1, 1, 1, 0};
    const float f[] = {9007199254740992.0f, 257, -129, 0};
    cast_case(9, ONNXBN_INT64, ONNXBN_DOUBLE, 4, x, d);
    cast_case(9, ONNXBN_INT64, ONNXBN_INT8, 4, x, i8);
    cast_case(9, ONNXBN_INT64, ONNXBN_BOOL, 4, x, b);
    cast_case(1, ONNXBN_INT64, ONNXBN_FLOAT, 4, x, f); /* Cast-1: 'to' is a name */
    const uint8_t bools[] = {1, 0, 1};
    const float bf[] = {1, 0, 1};
    cast_case(13, ONNXBN_BOOL, ONNXBN_FLOAT, 3, bools, bf);
}

/* double → float16 rounds once: 1 + 2^-11 + 2^-40 is just above the midpoint of 1 and 1 + 2^-10,
 * so it rounds up (0x3c01); through float it would become the exact midpoint and round to even
 * (0x3c00). */
static void test_cast_to_half_and_bfloat16(void **state)
{
    (void)state;
    const double x[] = {1.0 + 0x1p-11 + 0x1p-40, 1.0 + 0x1p-11, 65520.0, -0.0, 0x1p-25 + 0x1p-40};
    const uint16_t want[] = {0x3c01, 0x3c00, 0x7c00, 0x8000, 0x0001};
    cast_case(13, ONNXBN_DOUBLE, ONNXBN_FLOAT16, 5, x, want);
    /* the same for bfloat16 (8 significand bits): 1 + 2^-8 is a tie (to even: 1.0), a hair
     * above it rounds up, also from double where float would first round onto the tie */
    const float bx[] = {1.0f + 0x1p-8f, 1.0f + 0x1p-8f + 0x1p-20f, -3.0f};
    const uint16_t bw[] = {0x3f80, 0x3f81, 0xc040};
    cast_case(13, ONNXBN_FLOAT, ONNXBN_BFLOAT16, 3, bx, bw);
    const double bd[] = {1.0 + 0x1p-8 + 0x1p-40};
    const uint16_t bdw[] = {0x3f81};
    cast_case(13, ONNXBN_DOUBLE, ONNXBN_BFLOAT16, 1, bd, bdw);
    const uint16_t h[] = {0x3c01, 0xc000, 0x7c00};
    const float hf[] = {1.0f + 0x1p-10f, -2.0f, INFINITY};
    cast_case(13, ONNXBN_FLOAT16, ONNXBN_FLOAT, 3, h, hf);
}

/* Numbers cast to and from string since the string tensors (test_strings.c); string to string
 * is still refused, and so is a string cast at Cast-6, whose types have none. */
static void test_cast_string_unsupported(void **state)
{
    (void)state;
    const int64_t n = 2;
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_STRING, 1, &n);
    mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Cast", "c", "X", "Y"), "to", ONNXBN_STRING);
    const onnxbn_string x[] = {{"1", 1}, {"2", 1}};
    mk_feed f = {"X", ONNXBN_STRING, 1, &n, x};
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_UNSUPPORTED, "casting string to string is not supported");
    mk_free(mm);
    mm = mk_new(6);
    mk_input(mm, "X", ONNXBN_FLOAT, 1, &n);
    mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Cast", "c", "X", "Y"), "to", ONNXBN_STRING);
    const float xf[] = {1, 2};
    mk_feed ff = {"X", 0, 1, &n, xf};
    mk_expect_fail(mm, 1, &ff, ONNXBN_ERR_TYPE, "attribute 'to' is string, Cast-6 takes");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_zero_and_minus_one),
        cmocka_unit_test(test_reshape_allowzero),
        cmocka_unit_test(test_reshape_v1_attribute),
        cmocka_unit_test(test_reshape_errors),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_squeeze),
        cmocka_unit_test(test_unsqueeze),
        cmocka_unit_test(test_shape_start_end),
        cmocka_unit_test(test_shape_feeds_reshape),
        cmocka_unit_test(test_identity_int64),
        cmocka_unit_test(test_dropout_inference),
        cmocka_unit_test(test_dropout_training),
        cmocka_unit_test(test_constant_values),
        cmocka_unit_test(test_constant_of_shape_default),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_cast_float_to_int),
        cmocka_unit_test(test_cast_int),
        cmocka_unit_test(test_cast_to_half_and_bfloat16),
        cmocka_unit_test(test_cast_string_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
