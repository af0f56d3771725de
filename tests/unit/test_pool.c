/* SPDX-License-Identifier: Apache-2.0 */
/* test_pool.c — MaxPool, AveragePool, LpPool and the global pools through the session API:
 * hand-computed windows for pads, strides, dilations, ceil_mode, auto_pad, Indices, types, errors. */
#include <float.h>
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

#include "core.h"
#include "mkmodel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Attributes of one pooling node; unset fields are left out of the model. */
typedef struct pool_attrs {
    int nk;
    int64_t k[3], strides[3], dil[3], pads[6];
    bool has_strides, has_dil, has_pads;
    const char *auto_pad;
    int ceil_mode, count_pad, storage_order, p; /* -1: absent */
} pool_attrs;

static pool_attrs attrs(int nk, const int64_t *k)
{
    pool_attrs a = {.nk = nk, .ceil_mode = -1, .count_pad = -1, .storage_order = -1, .p = -1};
    memcpy(a.k, k, sizeof(int64_t) * (size_t)nk);
    return a;
}

static void set_ints(int64_t *dst, bool *flag, int n, const int64_t *v)
{
    memcpy(dst, v, sizeof(int64_t) * (size_t)n);
    *flag = true;
}

/* x (dtype dt, rank/dims) → op 'pool' → y [, ind]; opens and runs. On success *out holds the
 * session (outputs: y, then ind when `indices`). */
static onnxbn_status run_pool(const char *op, int64_t opset, const pool_attrs *a, onnxbn_dtype dt,
                              int rank, const int64_t *dims, const void *x, bool indices,
                              onnxbn_session **out, onnxbn_error *err)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, rank, dims);
    mk_node *n = mk_node_add(m, op, "pool", "x", indices ? "y,ind" : "y");
    if (a) {
        if (a->nk)
            mk_attr_ints(n, "kernel_shape", (size_t)a->nk, a->k);
        if (a->has_strides)
            mk_attr_ints(n, "strides", (size_t)a->nk, a->strides);
        if (a->has_dil)
            mk_attr_ints(n, "dilations", (size_t)a->nk, a->dil);
        if (a->has_pads)
            mk_attr_ints(n, "pads", 2 * (size_t)a->nk, a->pads);
        if (a->auto_pad)
            mk_attr_s(n, "auto_pad", a->auto_pad);
        if (a->ceil_mode >= 0)
            mk_attr_i(n, "ceil_mode", a->ceil_mode);
        if (a->count_pad >= 0)
            mk_attr_i(n, "count_include_pad", a->count_pad);
        if (a->storage_order >= 0)
            mk_attr_i(n, "storage_order", a->storage_order);
        if (a->p >= 0)
            mk_attr_i(n, "p", a->p);
    }
    mk_output(m, "y", dt, -1, NULL);
    if (indices)
        mk_output(m, "ind", ONNXBN_INT64, -1, NULL);
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

static onnxbn_session *pool_ok(const char *op, int64_t opset, const pool_attrs *a, onnxbn_dtype dt,
                               int rank, const int64_t *dims, const void *x, bool indices)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (run_pool(op, opset, a, dt, rank, dims, x, indices, &s, &err))
        fail_msg("%s-%lld: %s", op, (long long)opset, err.msg);
    return s;
}

static void expect_status(const char *op, int64_t opset, const pool_attrs *a, onnxbn_dtype dt,
                          int rank, const int64_t *dims, const void *x, bool indices,
                          onnxbn_status want, const char *needle)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    onnxbn_status st = run_pool(op, opset, a, dt, rank, dims, x, indices, &s, &err);
    onnxbn_session_free(s);
    if (st != want)
        fail_msg("%s-%lld: status %d, expected %d (%s)", op, (long long)opset, (int)st, (int)want,
                 err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void expect_dims(const onnxbn_tensor *t, int rank, const int64_t *dims)
{
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        if (onnxbn_tensor_dims(t)[d] != dims[d])
            fail_msg("dim %d is %lld, expected %lld", d, (long long)onnxbn_tensor_dims(t)[d],
                     (long long)dims[d]);
}

static void expect_i64(const onnxbn_session *s, size_t i, size_t n, const int64_t *want)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), ONNXBN_INT64);
    assert_int_equal(onnxbn_tensor_numel(t), (int64_t)n);
    const int64_t *g = onnxbn_tensor_cdata(t);
    for (size_t k = 0; k < n; k++)
        if (g[k] != want[k])
            fail_msg("output %zu element %zu: got %lld, expected %lld", i, k, (long long)g[k],
                     (long long)want[k]);
}

/* Any numeric output against doubles (exact unless tol). */
static void expect_vals(const onnxbn_session *s, size_t i, onnxbn_dtype dt, size_t n,
                        const double *want, double tol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_numel(t), (int64_t)n);
    for (size_t k = 0; k < n; k++) {
        const double g = onnxbn_get_f64(t, (int64_t)k);
        if (!(fabs(g - want[k]) <= tol * (1.0 + fabs(want[k]))))
            fail_msg("output %zu element %zu: got %.9g, expected %.9g", i, k, g, want[k]);
    }
}

/* ---- MaxPool ---- */

/* 2 channels of 3x4 (the second is the first + 100), kernel 2x2, stride 2, pads 1 all round:
 * output 2x3. Windows, rows {0} | {1,2} by columns {0} | {1,2} | {3}:
 *   [3 1 4 0]      max 3 (0,0)  4 (0,2)  0 (0,3)
 *   [5 9 2 6]  →       7 (2,0) 10 (2,2)  8 (2,3)
 *   [7 -3 10 8]
 * Indices are flat over N·C·H·W; storage_order 1 numbers the spatial part h + w·H. */
static void test_maxpool_indices(void **state)
{
    (void)state;
    const float plane[12] = {3, 1, 4, 0, 5, 9, 2, 6, 7, -3, 10, 8};
    float x[24];
    for (int i = 0; i < 12; i++) {
        x[i] = plane[i];
        x[12 + i] = plane[i] + 100;
    }
    const int64_t xd[] = {1, 2, 3, 4}, yd[] = {1, 2, 2, 3};
    pool_attrs a = attrs(2, (const int64_t[]){2, 2});
    set_ints(a.strides, &a.has_strides, 2, (const int64_t[]){2, 2});
    set_ints(a.pads, &a.has_pads, 4, (const int64_t[]){1, 1, 1, 1});
    const float y[] = {3, 4, 0, 7, 10, 8, 103, 104, 100, 107, 110, 108};
    const int64_t row[] = {0, 2, 3, 8, 10, 11, 12, 14, 15, 20, 22, 23};
    const int64_t col[] = {0, 6, 9, 2, 8, 11, 12, 18, 21, 14, 20, 23};
    const int64_t opsets[] = {8, 10, 11, 12};
    for (size_t v = 0; v < COUNT(opsets); v++)
        for (int so = 0; so < 2; so++) {
            a.storage_order = so;
            onnxbn_session *s = pool_ok("MaxPool", opsets[v], &a, ONNXBN_FLOAT, 4, xd, x, true);
            mk_expect_f32(s, 0, 4, yd, y, 0, 0);
            expect_dims(onnxbn_session_output(s, 1), 4, yd);
            expect_i64(s, 1, 12, so ? col : row);
            onnxbn_session_free(s);
        }
    /* a NaN is its window's maximum, and Indices points at it (the first NaN) */
    x[2] = NAN; /* window (0, 1): {0, NaN} */
    x[5] = NAN; /* window (1, 1): {NaN, 2, 10, -3}, the 10 after it */
    a.storage_order = 0;
    onnxbn_session *sn = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, true);
    const float *yn = onnxbn_tensor_cdata(onnxbn_session_output(sn, 0));
    const int64_t *in = onnxbn_tensor_cdata(onnxbn_session_output(sn, 1));
    assert_true(isnan(yn[1]) && isnan(yn[4]) && yn[0] == 3 && yn[3] == 7 && yn[5] == 8);
    assert_int_equal(in[1], 2);
    assert_int_equal(in[4], 5);
    onnxbn_session_free(sn);
    sn = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false); /* the row loop */
    yn = onnxbn_tensor_cdata(onnxbn_session_output(sn, 0));
    assert_true(isnan(yn[1]) && isnan(yn[4]) && yn[0] == 3 && yn[3] == 7 && yn[5] == 8);
    onnxbn_session_free(sn);
    x[2] = plane[2];
    x[5] = plane[5];
    /* without the Indices output, and in MaxPool-1 (no storage_order) */
    a.storage_order = -1;
    onnxbn_session *s = pool_ok("MaxPool", 1, &a, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, y, 0, 0);
    onnxbn_session_free(s);
}

/* Dilation 2 on a 4x4 plane (the N-d path): taps (h, w), (h, w+2), (h+2, w), (h+2, w+2).
 *   [ 0  7 14  5]
 *   [12  3 10  1]   →  [14 15]  at flat 2, 9
 *   [ 8 15  6 13]      [12 11]  at flat 4, 13
 *   [ 4 11  2  9] */
/* MaxPool 3 wide at stride 2 (the ResNet pool, which has its own row loop) against windows
 * walked one by one: heights 3 and 2, pads 0 and 1 on either side, ceil mode, odd and even widths,
 * with NaN and -inf among the values (a NaN in a window makes the output NaN). */
static void test_maxpool_k3s2(void **state)
{
    (void)state;
    static const int64_t shapes[][2] = {{9, 11}, {8, 8}, {5, 3}, {12, 17}};
    static const int64_t geo[][6] = {/* kh, sh, pt, pl, pb, pr */
                                     {3, 2, 1, 1, 1, 1}, {3, 2, 0, 0, 0, 0}, {2, 1, 0, 1, 1, 0},
                                     {3, 2, 1, 0, 0, 1}, {3, 1, 1, 1, 1, 1}};
    for (size_t si = 0; si < COUNT(shapes); si++)
        for (size_t gi = 0; gi < COUNT(geo); gi++)
            for (int ceil = 0; ceil <= 1; ceil++) {
                const int64_t H = shapes[si][0], W = shapes[si][1], *q = geo[gi];
                const int64_t k[] = {q[0], 3}, dims[] = {1, 2, H, W};
                float x[2 * 12 * 17];
                for (int64_t i = 0; i < 2 * H * W; i++)
                    x[i] = (float)((i * 37) % 23) - 11.0f;
                x[3] = NAN;
                x[H * W - 1] = -INFINITY;
                x[H * W + W] = NAN;
                pool_attrs a = attrs(2, k);
                const int64_t st[] = {q[1], 2}, pads[] = {q[2], q[3], q[4], q[5]};
                set_ints(a.strides, &a.has_strides, 2, st);
                set_ints(a.pads, &a.has_pads, 4, pads);
                a.ceil_mode = ceil;
                onnxbn_session *s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 4, dims, x, false);
                const onnxbn_tensor *y = onnxbn_session_output(s, 0);
                const int64_t OH = onnxbn_tensor_dims(y)[2], OW = onnxbn_tensor_dims(y)[3];
                const float *got = onnxbn_tensor_cdata(y);
                for (int64_t c = 0; c < 2; c++)
                    for (int64_t oh = 0; oh < OH; oh++)
                        for (int64_t ow = 0; ow < OW; ow++) {
                            float m = -INFINITY;
                            for (int64_t i = oh * q[1] - q[2]; i < oh * q[1] - q[2] + q[0]; i++)
                                for (int64_t j = ow * 2 - q[3]; j < ow * 2 - q[3] + 3; j++)
                                    if (i >= 0 && i < H && j >= 0 && j < W &&
                                        (x[(c * H + i) * W + j] > m || isnan(x[(c * H + i) * W + j])))
                                        m = isnan(m) ? m : x[(c * H + i) * W + j];
                            const float v = got[(c * OH + oh) * OW + ow];
                            if (memcmp(&v, &m, sizeof v))
                                fail_msg("%lldx%lld, geometry %zu, ceil %d: y[%lld][%lld][%lld] is "
                                         "%g, expected %g", (long long)H, (long long)W, gi, ceil,
                                         (long long)c, (long long)oh, (long long)ow, (double)v,
                                         (double)m);
                        }
                onnxbn_session_free(s);
            }
}

static void test_maxpool_dilations(void **state)
{
    (void)state;
    const float x[] = {0, 7, 14, 5, 12, 3, 10, 1, 8, 15, 6, 13, 4, 11, 2, 9};
    const int64_t xd[] = {1, 1, 4, 4}, yd[] = {1, 1, 2, 2};
    pool_attrs a = attrs(2, (const int64_t[]){2, 2});
    set_ints(a.dil, &a.has_dil, 2, (const int64_t[]){2, 2});
    onnxbn_session *s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, true);
    mk_expect_f32(s, 0, 4, yd, (const float[]){14, 15, 12, 11}, 0, 0);
    expect_i64(s, 1, 4, (const int64_t[]){2, 9, 4, 13});
    onnxbn_session_free(s);
    /* the same in double */
    double xdbl[16];
    for (int i = 0; i < 16; i++)
        xdbl[i] = x[i];
    s = pool_ok("MaxPool", 12, &a, ONNXBN_DOUBLE, 4, xd, xdbl, true);
    expect_vals(s, 0, ONNXBN_DOUBLE, 4, (const double[]){14, 15, 12, 11}, 0);
    expect_i64(s, 1, 4, (const int64_t[]){2, 9, 4, 13});
    onnxbn_session_free(s);
}

/* ceil_mode: [1 5 2 4], kernel 3, stride 2: floor gives 1 window, ceil 2 ({1,5,2}, {2,4}).
 * [1 2 3 4 5], kernel 2, stride 2, pads 1+1: ceil((5+2−2)/2)+1 = 4 windows, but the 4th would
 * start at position 5, in the end padding, and is dropped (as PyTorch): [1 | 2 3 | 4 5] → 1 3 5. */
static void test_maxpool_ceil(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 4};
    pool_attrs a = attrs(1, (const int64_t[]){3});
    set_ints(a.strides, &a.has_strides, 1, (const int64_t[]){2});
    onnxbn_session *s = pool_ok("MaxPool", 10, &a, ONNXBN_FLOAT, 3, xd, (const float[]){1, 5, 2, 4}, true);
    mk_expect_f32(s, 0, 3, (const int64_t[]){1, 1, 1}, (const float[]){5}, 0, 0);
    onnxbn_session_free(s);
    a.ceil_mode = 1;
    s = pool_ok("MaxPool", 10, &a, ONNXBN_FLOAT, 3, xd, (const float[]){1, 5, 2, 4}, true);
    mk_expect_f32(s, 0, 3, (const int64_t[]){1, 1, 2}, (const float[]){5, 4}, 0, 0);
    expect_i64(s, 1, 2, (const int64_t[]){1, 3});
    onnxbn_session_free(s);

    const int64_t xd5[] = {1, 1, 5};
    pool_attrs b = attrs(1, (const int64_t[]){2});
    set_ints(b.strides, &b.has_strides, 1, (const int64_t[]){2});
    set_ints(b.pads, &b.has_pads, 2, (const int64_t[]){1, 1});
    b.ceil_mode = 1;
    s = pool_ok("MaxPool", 12, &b, ONNXBN_FLOAT, 3, xd5, (const float[]){1, 2, 3, 4, 5}, false);
    mk_expect_f32(s, 0, 3, (const int64_t[]){1, 1, 3}, (const float[]){1, 3, 5}, 0, 0);
    onnxbn_session_free(s);
}

/* auto_pad on [1 5 2 4 3], kernel 2, stride 1: SAME needs 1 pad, at the end (UPPER) or the start
 * (LOWER); VALID has none. */
static void test_maxpool_auto_pad(void **state)
{
    (void)state;
    const float x[] = {1, 5, 2, 4, 3};
    const int64_t xd[] = {1, 1, 5};
    pool_attrs a = attrs(1, (const int64_t[]){2});
    a.auto_pad = "SAME_UPPER";
    onnxbn_session *s = pool_ok("MaxPool", 11, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, xd, (const float[]){5, 5, 4, 4, 3}, 0, 0);
    onnxbn_session_free(s);
    a.auto_pad = "SAME_LOWER";
    s = pool_ok("MaxPool", 11, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, xd, (const float[]){1, 5, 5, 4, 4}, 0, 0);
    onnxbn_session_free(s);
    a.auto_pad = "VALID";
    s = pool_ok("MaxPool", 11, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, (const int64_t[]){1, 1, 4}, (const float[]){5, 5, 4, 4}, 0, 0);
    onnxbn_session_free(s);
    /* SAME with stride 2: ceil(5/2) = 3 outputs, pad (3−1)·2 + 2 − 5 = 1 */
    a.auto_pad = "SAME_LOWER";
    set_ints(a.strides, &a.has_strides, 1, (const int64_t[]){2});
    s = pool_ok("MaxPool", 11, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, (const int64_t[]){1, 1, 3}, (const float[]){1, 5, 4}, 0, 0);
    onnxbn_session_free(s);
}

/* A window entirely in the padding holds no input element: the type's lowest value and index −1
 * (onnxruntime's answer; the spec leaves it open). [1 2], kernel 2, pads 2+0 → 3 windows. */
static void test_maxpool_empty_window(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 2}, yd[] = {1, 1, 3};
    pool_attrs a = attrs(1, (const int64_t[]){2});
    set_ints(a.pads, &a.has_pads, 2, (const int64_t[]){2, 0});
    onnxbn_session *s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 3, xd, (const float[]){1, 2}, true);
    mk_expect_f32(s, 0, 3, yd, (const float[]){-FLT_MAX, 1, 2}, 0, 0);
    expect_i64(s, 1, 3, (const int64_t[]){-1, 0, 1});
    onnxbn_session_free(s);
    s = pool_ok("MaxPool", 12, &a, ONNXBN_INT8, 3, xd, (const int8_t[]){-7, 3}, false);
    expect_vals(s, 0, ONNXBN_INT8, 3, (const double[]){-128, -7, 3}, 0);
    onnxbn_session_free(s);
    /* float without Indices takes the row-at-a-time kernel: the empty window at either end */
    s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 3, xd, (const float[]){1, 2}, false);
    mk_expect_f32(s, 0, 3, yd, (const float[]){-FLT_MAX, 1, 2}, 0, 0);
    onnxbn_session_free(s);
    set_ints(a.pads, &a.has_pads, 2, (const int64_t[]){0, 2});
    s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 3, xd, (const float[]){1, 2}, false);
    mk_expect_f32(s, 0, 3, yd, (const float[]){2, 2, -FLT_MAX}, 0, 0);
    onnxbn_session_free(s);
}

/* MaxPool-12 takes int8 and uint8 (compared exactly); earlier versions refuse them. */
static void test_maxpool_int_types(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 4};
    pool_attrs a = attrs(1, (const int64_t[]){2});
    set_ints(a.strides, &a.has_strides, 1, (const int64_t[]){2});
    onnxbn_session *s = pool_ok("MaxPool", 12, &a, ONNXBN_INT8, 3, xd, (const int8_t[]){-5, -128, 7, 3}, true);
    expect_vals(s, 0, ONNXBN_INT8, 2, (const double[]){-5, 7}, 0);
    expect_i64(s, 1, 2, (const int64_t[]){0, 2});
    onnxbn_session_free(s);
    s = pool_ok("MaxPool", 12, &a, ONNXBN_UINT8, 3, xd, (const uint8_t[]){200, 3, 255, 0}, false);
    expect_vals(s, 0, ONNXBN_UINT8, 2, (const double[]){200, 255}, 0);
    onnxbn_session_free(s);
    expect_status("MaxPool", 11, &a, ONNXBN_UINT8, 3, xd, (const uint8_t[]){1, 2, 3, 4}, false,
                  ONNXBN_ERR_TYPE, "uint8");
}

/* 3-D: a 2x2x2 cube of 0..7 with one 2x2x2 window; float16 goes through double. */
static void test_maxpool_3d_and_f16(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 2, 2, 3}, yd[] = {1, 1, 1, 1, 2};
    const float x[] = {0, 9, 1, 2, 3, 4, 5, 6, 7, 8, -1, 10};
    pool_attrs a = attrs(3, (const int64_t[]){2, 2, 2});
    onnxbn_session *s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 5, xd, x, true);
    mk_expect_f32(s, 0, 5, yd, (const float[]){9, 10}, 0, 0);
    expect_i64(s, 1, 2, (const int64_t[]){1, 11});
    onnxbn_session_free(s);
    /* column-major over (d, h, w): flat (d, h, w) → d + h·2 + w·4 */
    a.storage_order = 1;
    s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT, 5, xd, x, true);
    expect_i64(s, 1, 2, (const int64_t[]){0 + 0 * 2 + 1 * 4, 1 + 1 * 2 + 2 * 4});
    onnxbn_session_free(s);
    uint16_t h[12];
    for (int i = 0; i < 12; i++)
        h[i] = onnxbn_float_to_half(x[i] / 4);
    a.storage_order = -1;
    s = pool_ok("MaxPool", 12, &a, ONNXBN_FLOAT16, 5, xd, h, false);
    expect_vals(s, 0, ONNXBN_FLOAT16, 2, (const double[]){2.25, 2.5}, 0);
    onnxbn_session_free(s);
}

/* ---- AveragePool ---- */

/* [[1 2] [3 4]], kernel 2x2, stride 1, pads 1 all round → 3x3 windows; count_include_pad=0
 * divides by the input elements in the window, 1 by the window's 4 elements. */
static void test_avgpool_count_include_pad(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4};
    const int64_t xd[] = {1, 1, 2, 2}, yd[] = {1, 1, 3, 3};
    pool_attrs a = attrs(2, (const int64_t[]){2, 2});
    set_ints(a.pads, &a.has_pads, 4, (const int64_t[]){1, 1, 1, 1});
    const float excl[] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
    const float incl[] = {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1};
    onnxbn_session *s = pool_ok("AveragePool", 1, &a, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, excl, 0, 0);
    onnxbn_session_free(s);
    a.count_pad = 0;
    s = pool_ok("AveragePool", 11, &a, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, excl, 0, 0);
    onnxbn_session_free(s);
    a.count_pad = 1;
    const int64_t opsets[] = {7, 10, 11};
    for (size_t v = 0; v < COUNT(opsets); v++) {
        s = pool_ok("AveragePool", opsets[v], &a, ONNXBN_FLOAT, 4, xd, x, false);
        mk_expect_f32(s, 0, 4, yd, incl, 0, 0);
        onnxbn_session_free(s);
    }
    /* double through the N-d path */
    s = pool_ok("AveragePool", 11, &a, ONNXBN_DOUBLE, 4, xd, (const double[]){1, 2, 3, 4}, false);
    expect_vals(s, 0, ONNXBN_DOUBLE, 9, (const double[]){0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}, 0);
    onnxbn_session_free(s);
}

/* ceil_mode with pads: [1..6], kernel 3, stride 2, pads 1+1 → 4 windows starting at −1, 1, 3, 5.
 * The last one covers position 5 (x=6), 6 (end pad) and 7 (past the padded input): divided by 1
 * without count_include_pad, by 2 (its part inside the padded input) with it. */
static void test_avgpool_ceil(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4, 5, 6};
    const int64_t xd[] = {1, 1, 6}, yd[] = {1, 1, 4};
    pool_attrs a = attrs(1, (const int64_t[]){3});
    set_ints(a.strides, &a.has_strides, 1, (const int64_t[]){2});
    set_ints(a.pads, &a.has_pads, 2, (const int64_t[]){1, 1});
    a.ceil_mode = 1;
    a.count_pad = 0;
    onnxbn_session *s = pool_ok("AveragePool", 10, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, yd, (const float[]){1.5f, 3, 5, 6}, 0, 0);
    onnxbn_session_free(s);
    a.count_pad = 1;
    s = pool_ok("AveragePool", 11, &a, ONNXBN_FLOAT, 3, xd, x, false);
    mk_expect_f32(s, 0, 3, yd, (const float[]){1, 3, 5, 3}, 0, 0);
    onnxbn_session_free(s);
}

/* ---- LpPool and the global pools ---- */

static void test_lppool(void **state)
{
    (void)state;
    const float x[] = {3, -4, 1, 0};
    const int64_t xd[] = {1, 1, 1, 4}, yd[] = {1, 1, 1, 2};
    pool_attrs a = attrs(2, (const int64_t[]){1, 2});
    set_ints(a.strides, &a.has_strides, 2, (const int64_t[]){1, 2});
    onnxbn_session *s = pool_ok("LpPool", 11, &a, ONNXBN_FLOAT, 4, xd, x, false); /* p = 2 */
    mk_expect_f32(s, 0, 4, yd, (const float[]){5, 1}, 0, 1e-7);
    onnxbn_session_free(s);
    a.p = 1;
    s = pool_ok("LpPool", 2, &a, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, (const float[]){7, 1}, 0, 1e-7);
    onnxbn_session_free(s);
    s = pool_ok("GlobalLpPool", 2, NULL, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, (const int64_t[]){1, 1, 1, 1}, (const float[]){sqrtf(26)}, 0, 1e-7);
    onnxbn_session_free(s);
}

static void test_global_pools(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4, -1, -5, 0, 2};
    const int64_t xd[] = {1, 2, 2, 2}, yd[] = {1, 2, 1, 1};
    onnxbn_session *s = pool_ok("GlobalAveragePool", 1, NULL, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, (const float[]){2.5f, -1}, 0, 0);
    onnxbn_session_free(s);
    s = pool_ok("GlobalMaxPool", 1, NULL, ONNXBN_FLOAT, 4, xd, x, false);
    mk_expect_f32(s, 0, 4, yd, (const float[]){4, 2}, 0, 0);
    onnxbn_session_free(s);
    /* 3-D, 2 planes of 9 (a length the 8-lane max leaves a tail of) */
    float x3[18];
    for (int i = 0; i < 18; i++)
        x3[i] = (float)((i * 5) % 18) - 9; /* distinct values in no order */
    const int64_t x3d[] = {2, 1, 1, 3, 3}, y3d[] = {2, 1, 1, 1, 1};
    s = pool_ok("GlobalMaxPool", 1, NULL, ONNXBN_FLOAT, 5, x3d, x3, false);
    float m0 = -INFINITY, m1 = -INFINITY, s0 = 0, s1 = 0;
    for (int i = 0; i < 9; i++) {
        m0 = fmaxf(m0, x3[i]);
        m1 = fmaxf(m1, x3[9 + i]);
        s0 += x3[i];
        s1 += x3[9 + i];
    }
    mk_expect_f32(s, 0, 5, y3d, (const float[]){m0, m1}, 0, 0);
    onnxbn_session_free(s);
    s = pool_ok("GlobalAveragePool", 1, NULL, ONNXBN_FLOAT, 5, x3d, x3, false);
    mk_expect_f32(s, 0, 5, y3d, (const float[]){s0 / 9, s1 / 9}, 0, 1e-7);
    onnxbn_session_free(s);
    s = pool_ok("GlobalAveragePool", 1, NULL, ONNXBN_DOUBLE, 4, xd,
                (const double[]){1, 2, 3, 4, -1, -5, 0, 2}, false);
    expect_vals(s, 0, ONNXBN_DOUBLE, 2, (const double[]){2.5, -1}, 0);
    onnxbn_session_free(s);
    /* a NaN anywhere in a plane (the 8-lane body or the tail) is its maximum */
    x3[2] = NAN;
    x3[17] = NAN;
    s = pool_ok("GlobalMaxPool", 1, NULL, ONNXBN_FLOAT, 5, x3d, x3, false);
    const float *g = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    assert_true(isnan(g[0]) && isnan(g[1]));
    onnxbn_session_free(s);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
    (void)state;
    const float x[16] = {0};
    const int64_t xd[] = {1, 1, 4, 4};
    pool_attrs a = attrs(1, (const int64_t[]){2});
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL,
                  "'kernel_shape' has 1 values, expected 2");
    a = attrs(2, (const int64_t[]){5, 2});
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_SHAPE,
                  "spatial axis 0: the kernel spans 5");
    a = attrs(2, (const int64_t[]){3, 3});
    set_ints(a.dil, &a.has_dil, 2, (const int64_t[]){2, 1}); /* spans 5 > 4 */
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_SHAPE, "dilation 2");
    a = attrs(2, (const int64_t[]){2, 2});
    set_ints(a.strides, &a.has_strides, 2, (const int64_t[]){1, 0});
    expect_status("AveragePool", 11, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL,
                  "'strides' value 1 is 0");
    a = attrs(2, (const int64_t[]){2, 2});
    set_ints(a.pads, &a.has_pads, 4, (const int64_t[]){0, -1, 0, 0});
    expect_status("AveragePool", 11, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL,
                  "'pads' value 1 is -1");
    a = attrs(2, (const int64_t[]){2, 2});
    a.auto_pad = "SAME";
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL, "auto_pad");
    a = attrs(2, (const int64_t[]){2, 2});
    a.storage_order = 2;
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL,
                  "'storage_order' is 2");
    a = attrs(2, (const int64_t[]){2, 2});
    expect_status("MaxPool", 1, &a, ONNXBN_FLOAT, 4, xd, x, true, ONNXBN_ERR_MODEL, "MaxPool-1");
    a = attrs(1, (const int64_t[]){2});
    expect_status("MaxPool", 12, &a, ONNXBN_FLOAT, 2, (const int64_t[]){4, 4}, x, false,
                  ONNXBN_ERR_SHAPE, "rank 3 or more");
    expect_status("AveragePool", 11, NULL, ONNXBN_FLOAT, 4, xd, x, false, ONNXBN_ERR_MODEL,
                  "kernel_shape");
    expect_status("GlobalAveragePool", 1, NULL, ONNXBN_INT32, 4, xd, x, false, ONNXBN_ERR_TYPE,
                  "int32");
}

/* ---- 3-D fast path ---- */

/* Window start and the [lo, hi) of input positions it covers on one axis, and its divisor. */
static void ref_axis(int64_t o, int64_t k, int64_t s, int64_t pb, int64_t pe, int64_t in, bool cpad,
                     int64_t *lo, int64_t *hi, int64_t *cnt)
{
    const int64_t a = o * s - pb;
    *lo = a < 0 ? 0 : a;
    *hi = a + k < in ? a + k : in;
    if (*hi < *lo)
        *hi = *lo;
    *cnt = cpad ? (a + k < in + pe ? a + k : in + pe) - a : *hi - *lo;
}

static int64_t ref_out(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe, bool ceil)
{
    const int64_t span = in + pb + pe - k;
    int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (out - 1) * s >= in + pb)
        out--;
    return out;
}

/* One 3-D pool on N x C x D x H x W through a session of `threads` threads, against a double
 * reference: MaxPool bit-exact (a NaN in the window gives NaN, a window all padding the lowest
 * float), AveragePool within float summation error. */
static void check_3d(bool max, const int64_t *dims, const int64_t *k, const int64_t *st,
                     const int64_t *pads, int ceil, int cpad, int threads)
{
    const int64_t C = dims[0] * dims[1], D = dims[2], H = dims[3], W = dims[4]; /* C: planes */
    const size_t n = (size_t)(C * D * H * W);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((int64_t)(i * 37 + i / 7) % 23) - 11.0f + 0.25f * (float)(i % 3);
    if (max) {
        x[n > 5 ? 5 : 0] = NAN;
        x[n - 1] = NAN;
    }
    mk_model *m = mk_new(12);
    mk_input(m, "x", ONNXBN_FLOAT, 5, dims);
    mk_node *nd = mk_node_add(m, max ? "MaxPool" : "AveragePool", "pool", "x", "y");
    mk_attr_ints(nd, "kernel_shape", 3, k);
    mk_attr_ints(nd, "strides", 3, st);
    mk_attr_ints(nd, "pads", 6, pads);
    mk_attr_i(nd, "ceil_mode", ceil);
    if (!max)
        mk_attr_i(nd, "count_include_pad", cpad);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    mk_free(m);
    onnxbn_error err = {0};
    onnxbn_model *model;
    if (onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err))
        fail_msg("load: %s", err.msg);
    free(buf);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.threads = threads;
    onnxbn_session *s;
    if (onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("session: %s", err.msg);
    mk_run_ok(s, 1, &(mk_feed){"x", ONNXBN_FLOAT, 5, dims, x});
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    int64_t od[3];
    for (int d = 0; d < 3; d++) {
        od[d] = ref_out(dims[2 + d], k[d], st[d], pads[d], pads[3 + d], ceil);
        assert_int_equal(onnxbn_tensor_dims(y)[2 + d], od[d]);
    }
    const float *got = onnxbn_tensor_cdata(y);
    for (int64_t c = 0; c < C; c++)
        for (int64_t a = 0; a < od[0]; a++)
            for (int64_t b = 0; b < od[1]; b++)
                for (int64_t e = 0; e < od[2]; e++) {
                    int64_t lo[3], hi[3], cnt[3];
                    const int64_t o[3] = {a, b, e};
                    for (int d = 0; d < 3; d++)
                        ref_axis(o[d], k[d], st[d], pads[d], pads[3 + d], dims[2 + d], cpad,
                                 &lo[d], &hi[d], &cnt[d]);
                    double acc = max ? -INFINITY : 0.0;
                    bool any = false, nan = false;
                    for (int64_t i = lo[0]; i < hi[0]; i++)
                        for (int64_t j = lo[1]; j < hi[1]; j++)
                            for (int64_t l = lo[2]; l < hi[2]; l++) {
                                const double v = x[((c * D + i) * H + j) * W + l];
                                any = true;
                                nan |= v != v;
                                acc = max ? (v > acc ? v : acc) : acc + v;
                            }
                    double want = max ? (nan ? NAN : any ? acc : -FLT_MAX)
                                      : acc / (double)(cnt[0] * cnt[1] * cnt[2]);
                    const double v = got[((c * od[0] + a) * od[1] + b) * od[2] + e];
                    const bool ok = isnan(want) ? isnan(v)
                                    : max ? v == want
                                          : fabs(v - want) <= 1e-5 * (1.0 + fabs(want));
                    if (!ok)
                        fail_msg("%s %lldx%lldx%lld k %lld,%lld,%lld ceil %d cpad %d threads %d: "
                                 "y[%lld][%lld][%lld][%lld] is %.9g, expected %.9g",
                                 max ? "MaxPool" : "AveragePool", (long long)D, (long long)H,
                                 (long long)W, (long long)k[0], (long long)k[1], (long long)k[2],
                                 ceil, cpad, threads, (long long)c, (long long)a, (long long)b,
                                 (long long)e, v, want);
                }
    onnxbn_session_free(s);
    free(x);
}

/* The 3-D geometries of S3D and the video ResNets and the odd ones around them: depth windows of
 * one slice (read in place) and of several (reduced into a plane), all-padding windows on each
 * axis, ceil_mode, count_include_pad, one thread and two (whole planes a task). */
static void test_pool_3d_sweep(void **state)
{
    (void)state;
    static const int64_t shapes[][5] = {{1, 2, 4, 5, 6}, {1, 3, 7, 9, 11}, {2, 2, 3, 8, 8},
                                        {1, 1, 1, 1, 5}};
    static const int64_t geo[][12] = {/* k, strides, pads (begin, end) */
                                      {1, 3, 3, 1, 2, 2, 0, 1, 1, 0, 1, 1},
                                      {3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1},
                                      {2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0},
                                      {3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                                      {2, 3, 1, 1, 2, 3, 1, 0, 0, 0, 2, 0},
                                      {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
                                      /* windows all padding: in depth at the start, in width at
                                       * the end */
                                      {2, 1, 2, 1, 1, 1, 2, 0, 0, 0, 0, 2}};
    for (size_t si = 0; si < COUNT(shapes); si++)
        for (size_t gi = 0; gi < COUNT(geo); gi++)
            for (int ceil = 0; ceil <= 1; ceil++)
                for (int kind = 0; kind < 3; kind++) {
                    const int64_t *q = geo[gi];
                    bool fits = true;
                    for (int d = 0; d < 3; d++)
                        fits &= shapes[si][2 + d] + q[6 + d] + q[9 + d] >= q[d];
                    if (fits)
                        check_3d(kind == 0, shapes[si], q, q + 3, q + 6, ceil, kind == 2, 1);
                }
    /* large enough for the pool to split planes over two threads */
    const int64_t big[] = {1, 8, 8, 16, 16};
    for (size_t gi = 0; gi < 4; gi++)
        for (int kind = 0; kind < 3; kind++)
            check_3d(kind == 0, big, geo[gi], geo[gi] + 3, geo[gi] + 6, 0, kind == 2, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxpool_indices),
        cmocka_unit_test(test_maxpool_k3s2),
        cmocka_unit_test(test_maxpool_dilations),
        cmocka_unit_test(test_maxpool_ceil),
        cmocka_unit_test(test_maxpool_auto_pad),
        cmocka_unit_test(test_maxpool_empty_window),
        cmocka_unit_test(test_maxpool_int_types),
        cmocka_unit_test(test_maxpool_3d_and_f16),
        cmocka_unit_test(test_avgpool_count_include_pad),
        cmocka_unit_test(test_avgpool_ceil),
        cmocka_unit_test(test_lppool),
        cmocka_unit_test(test_global_pools),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pool_3d_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
