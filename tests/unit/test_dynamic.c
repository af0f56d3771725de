/* SPDX-License-Identifier: Apache-2.0 */
/* test_dynamic.c — shapes known only at run time: deferred nodes (NonZero, Compress and what reads
 * them) run with the run's shapes, one plan serving every content, and NonZero/Compress values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "plan.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static onnxbn_session *open_opt(const mk_model *m, const onnxbn_options *opt)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(buf, len, NULL, opt, &model, &err) ||
        onnxbn_session_new(model, opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    return s;
}

static onnxbn_session *open_model(const mk_model *m) { return open_opt(m, NULL); }

/* One fed input; fails the test on error. */
static void run1(onnxbn_session *s, const char *name, onnxbn_dtype dt, int rank,
                 const int64_t *dims, const void *data)
{
    onnxbn_error err = {0};
    mk_feed f = {name, dt, rank, dims, data};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
}

static void expect_i64(const onnxbn_session *s, size_t i, int rank, const int64_t *dims,
                       const int64_t *data)
{
    mk_expect_bytes(s, i, ONNXBN_INT64, rank, dims, data);
}

/* x[6] → NonZero → nz[1,nnz]; ReduceSum(nz) → total; Reshape(nz, [-1]) + 10 → plus. Every node
 * but the input waits on x's contents; the plan is made once, at open, and serves every nnz. */
static void nonzero_feeds_downstream(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {6}, one[] = {1}, flat[] = {-1}, ten[] = {10};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_init(m, "flat", ONNXBN_INT64, 1, one, flat);
    mk_init(m, "ten", ONNXBN_INT64, 1, one, ten);
    mk_node_add(m, "NonZero", "nz", "x", "nz");
    mk_attr_i(mk_node_add(m, "ReduceSum", "sum", "nz", "total"), "keepdims", 0);
    mk_node_add(m, "Reshape", "rs", "nz,flat", "f");
    mk_node_add(m, "Add", "add", "f,ten", "plus");
    /* a shape made from NonZero's values: without the walk stopping at NonZero, x would become
     * a plan-time constant and every content a new plan */
    mk_init(m, "ax0", ONNXBN_INT64, 1, one, (const int64_t[]){0});
    mk_node_add(m, "Unsqueeze", "u", "total,ax0", "tshape");
    mk_node_add(m, "ConstantOfShape", "cos", "tshape", "zeros");
    mk_output(m, "nz", ONNXBN_INT64, -1, NULL);
    mk_output(m, "total", ONNXBN_INT64, -1, NULL);
    mk_output(m, "plus", ONNXBN_INT64, -1, NULL);
    mk_output(m, "zeros", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_plan_builds(s), 1); /* at open: the shapes are fixed */
    assert_int_equal(onnxbn_session_deferred_steps(s), 6);
    assert_null(onnxbn_session_output(s, 0)); /* no shape before a run */

    static const float a[6] = {0, 1.5f, 0, -2, 0, 3}, zero[6] = {0}, ones[6] = {1, 1, 1, 1, 1, 1};
    for (int rep = 0; rep < 2; rep++) {
        run1(s, "x", ONNXBN_FLOAT, 1, xd, a);
        const int64_t d13[] = {1, 3}, d3[] = {3}, nz[] = {1, 3, 5}, sum[] = {9}, plus[] = {11, 13, 15};
        expect_i64(s, 0, 2, d13, nz);
        expect_i64(s, 1, 0, NULL, sum);
        expect_i64(s, 2, 1, d3, plus);
        const int64_t d9[] = {9};
        static const float z9[9] = {0};
        mk_expect_f32(s, 3, 1, d9, z9, 0, 0);

        run1(s, "x", ONNXBN_FLOAT, 1, xd, zero);
        const int64_t d10[] = {1, 0}, d0[] = {0}, sum0[] = {0};
        expect_i64(s, 0, 2, d10, NULL);
        expect_i64(s, 1, 0, NULL, sum0);
        expect_i64(s, 2, 1, d0, NULL);
        mk_expect_f32(s, 3, 1, d0, NULL, 0, 0);

        run1(s, "x", ONNXBN_FLOAT, 1, xd, ones);
        const int64_t d16[] = {1, 6}, d6[] = {6}, all[] = {0, 1, 2, 3, 4, 5}, sum6[] = {15},
                      plus6[] = {10, 11, 12, 13, 14, 15};
        expect_i64(s, 0, 2, d16, all);
        expect_i64(s, 1, 0, NULL, sum6);
        expect_i64(s, 2, 1, d6, plus6);
        const int64_t d15[] = {15};
        static const float z15[15] = {0};
        mk_expect_f32(s, 3, 1, d15, z15, 0, 0);
    }
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Shape → Gather → Unsqueeze → Concat → Reshape downstream of NonZero: the shape subgraph that
 * exporters emit, deferred with it (it cannot fold before the run). */
static void shape_chain_after_nonzero(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 3}, one[] = {1}, i1[] = {1}, two[] = {2}, zero_axis[] = {0};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init(m, "i1", ONNXBN_INT64, 0, NULL, i1);
    mk_init(m, "two", ONNXBN_INT64, 1, one, two);
    mk_init(m, "ax0", ONNXBN_INT64, 1, one, zero_axis);
    mk_node_add(m, "NonZero", "nz", "x", "nz");
    mk_node_add(m, "Shape", "sh", "nz", "sh");
    mk_attr_i(mk_node_add(m, "Gather", "g", "sh,i1", "n"), "axis", 0);
    mk_node_add(m, "Unsqueeze", "u", "n,ax0", "nu");
    mk_attr_i(mk_node_add(m, "Concat", "cat", "nu,two", "shp"), "axis", 0);
    mk_node_add(m, "Reshape", "rs", "nz,shp", "r");
    mk_output(m, "r", ONNXBN_INT64, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_deferred_steps(s), 6);

    static const float x1[6] = {0, 5, 0, 7, 0, 8}, x2[6] = {1, 0, 0, 0, 0, 0};
    run1(s, "x", ONNXBN_FLOAT, 2, xd, x1);
    /* nz = [[0,1,1],[1,0,2]], its bytes as [3,2] */
    const int64_t d32[] = {3, 2}, r1[] = {0, 1, 1, 1, 0, 2};
    expect_i64(s, 0, 2, d32, r1);
    run1(s, "x", ONNXBN_FLOAT, 2, xd, x2);
    const int64_t d12[] = {1, 2}, r2[] = {0, 0};
    expect_i64(s, 0, 2, d12, r2);
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* NonZero of one element type on a [2,3] input (or the shape given) against the coordinates of
 * the flat positions expected to be non-zero. */
static void expect_nonzero(int opset, onnxbn_dtype dt, int rank, const int64_t *dims,
                           const void *data, const int *where, int nnz)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, rank, dims);
    mk_node_add(m, "NonZero", "nz", "x", "y");
    mk_output(m, "y", ONNXBN_INT64, -1, NULL);
    onnxbn_session *s = open_model(m);
    run1(s, "x", dt, rank, dims, data);
    int64_t want[64], yd[2] = {rank, nnz};
    for (int j = 0; j < nnz && rank > 0; j++) { /* a scalar has no coordinates */
        int64_t flat = where[j];
        for (int d = rank - 1; d >= 0; d--) {
            want[d * nnz + j] = flat % dims[d];
            flat /= dims[d];
        }
    }
    expect_i64(s, 0, 2, yd, want);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Zero is what x != 0 says: -0 is zero and NaN is not for floats, but the sign bit alone is a
 * non-zero integer; complex is zero when both parts are. */
static void nonzero_types(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3};
    const int at235[] = {2, 3, 5};
    static const float f[6] = {0, -0.0f, NAN, 1, 0, -2};
    static const double dd[6] = {0, -0.0, NAN, 1, 0, -2};
    static const uint16_t h[6] = {0, 0x8000, 0x7e00, 0x3c00, 0, 0xc000};
    static const uint16_t bf[6] = {0, 0x8000, 0x7fc0, 0x3f80, 0, 0xc000};
    static const uint8_t b[6] = {0, 0, 1, 1, 0, 1};
    expect_nonzero(13, ONNXBN_FLOAT, 2, d, f, at235, 3);
    expect_nonzero(9, ONNXBN_FLOAT, 2, d, f, at235, 3); /* NonZero-9 */
    expect_nonzero(13, ONNXBN_DOUBLE, 2, d, dd, at235, 3);
    expect_nonzero(13, ONNXBN_FLOAT16, 2, d, h, at235, 3);
    expect_nonzero(13, ONNXBN_BFLOAT16, 2, d, bf, at235, 3);
    expect_nonzero(13, ONNXBN_BOOL, 2, d, b, at235, 3);

    const int at12[] = {1, 2};
    static const int8_t i8[6] = {0, -128, 3, 0, 0, 0};
    static const uint8_t u8[6] = {0, 0x80, 255, 0, 0, 0};
    static const int16_t i16[6] = {0, INT16_MIN, 5, 0, 0, 0};
    static const uint16_t u16[6] = {0, 0x8000, 1, 0, 0, 0};
    static const int32_t i32[6] = {0, INT32_MIN, -1, 0, 0, 0};
    static const uint32_t u32[6] = {0, 0x80000000u, 7, 0, 0, 0};
    static const int64_t i64[6] = {0, INT64_MIN, 1, 0, 0, 0};
    static const uint64_t u64[6] = {0, UINT64_C(1) << 63, 9, 0, 0, 0};
    expect_nonzero(13, ONNXBN_INT8, 2, d, i8, at12, 2);
    expect_nonzero(13, ONNXBN_UINT8, 2, d, u8, at12, 2);
    expect_nonzero(13, ONNXBN_INT16, 2, d, i16, at12, 2);
    expect_nonzero(13, ONNXBN_UINT16, 2, d, u16, at12, 2);
    expect_nonzero(13, ONNXBN_INT32, 2, d, i32, at12, 2);
    expect_nonzero(13, ONNXBN_UINT32, 2, d, u32, at12, 2);
    expect_nonzero(13, ONNXBN_INT64, 2, d, i64, at12, 2);
    expect_nonzero(13, ONNXBN_UINT64, 2, d, u64, at12, 2);

    /* complex: (0,0) (-0,0) (0,-0) (0,1) (2,0) (NaN,0) */
    static const float c64[12] = {0, 0, -0.0f, 0, 0, -0.0f, 0, 1, 2, 0, NAN, 0};
    static const double c128[12] = {0, 0, -0.0, 0, 0, -0.0, 0, 1, 2, 0, NAN, 0};
    const int at345[] = {3, 4, 5};
    expect_nonzero(13, ONNXBN_COMPLEX64, 2, d, c64, at345, 3);
    expect_nonzero(13, ONNXBN_COMPLEX128, 2, d, c128, at345, 3);

    /* strings: numpy's truth, non-empty is non-zero (a NUL inside still counts) */
    static const onnxbn_string str[6] = {{"", 0}, {"a", 1}, {"", 0}, {"\0", 1}, {"bc", 2}, {"", 0}};
    const int at134[] = {1, 3, 4};
    expect_nonzero(13, ONNXBN_STRING, 2, d, str, at134, 3);

    /* rank 3 and 1; a scalar gives [0, N]; an empty input [rank, 0] */
    const int64_t d3[] = {2, 2, 2}, d1[] = {5};
    static const int32_t r3[8] = {0, 1, 0, 0, 1, 0, 0, 1};
    const int at147[] = {1, 4, 7};
    expect_nonzero(13, ONNXBN_INT32, 3, d3, r3, at147, 3);
    static const float r1[5] = {0, 0, 0, 0, 4};
    const int at4[] = {4};
    expect_nonzero(13, ONNXBN_FLOAT, 1, d1, r1, at4, 1);
    static const float three = 3, nil = 0;
    expect_nonzero(13, ONNXBN_FLOAT, 0, NULL, &three, NULL, 1);
    expect_nonzero(13, ONNXBN_FLOAT, 0, NULL, &nil, NULL, 0);
    const int64_t d03[] = {0, 3};
    expect_nonzero(13, ONNXBN_FLOAT, 2, d03, f, NULL, 0);
}

/* Compress with x and condition fed, against numpy.compress's answers worked by hand. */
static void expect_compress(int opset, bool has_axis, int64_t axis, onnxbn_dtype dt,
                            const int64_t *xd, const void *x, int64_t n_cond, const uint8_t *cond,
                            int rank, const int64_t *yd, const void *y)
{
    mk_model *m = mk_new(opset);
    const int64_t cd[] = {n_cond};
    mk_input(m, "x", dt, 2, xd);
    mk_input(m, "c", ONNXBN_BOOL, 1, cd);
    mk_node *n = mk_node_add(m, "Compress", "cz", "x,c", "y");
    if (has_axis)
        mk_attr_i(n, "axis", axis);
    mk_output(m, "y", dt, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_deferred_steps(s), 1);
    onnxbn_error err = {0};
    mk_feed f[2] = {{"x", dt, 2, xd, x}, {"c", ONNXBN_BOOL, 1, cd, cond}};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_bytes(s, 0, dt, rank, yd, y);
    onnxbn_session_free(s);
    mk_free(m);
}

static void compress_values(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3};
    static const float x[6] = {1, 2, 3, 4, 5, 6};
    static const uint8_t c10[] = {1, 0}, c01001[] = {0, 1, 0, 0, 1}, c0100[] = {0, 1, 0, 0},
                         c011[] = {0, 1, 1}, c000[] = {0, 0, 0};
    /* a condition shorter than the axis drops the rest */
    const int64_t y21[] = {2, 1};
    static const float col0[] = {1, 4};
    expect_compress(11, true, 1, ONNXBN_FLOAT, xd, x, 2, c10, 2, y21, col0);
    /* no axis: the flattened input */
    const int64_t y2[] = {2};
    static const float flat[] = {2, 5};
    expect_compress(11, false, 0, ONNXBN_FLOAT, xd, x, 5, c01001, 1, y2, flat);
    /* a longer condition, false past the axis */
    const int64_t y13[] = {1, 3};
    static const float row1[] = {4, 5, 6};
    expect_compress(9, true, 0, ONNXBN_FLOAT, xd, x, 4, c0100, 2, y13, row1);
    /* negative axis, int64, two runs of one slice each row */
    static const int64_t xi[6] = {10, 20, 30, 40, 50, 60}, yi[4] = {20, 30, 50, 60};
    const int64_t y22[] = {2, 2};
    expect_compress(11, true, -1, ONNXBN_INT64, xd, xi, 3, c011, 2, y22, yi);
    /* nothing selected */
    const int64_t y20[] = {2, 0};
    expect_compress(11, true, 1, ONNXBN_FLOAT, xd, x, 3, c000, 2, y20, NULL);
}

/* With a constant condition the output shape is known at plan time: Compress is planned like any
 * other node (its VALUE_IN names the condition only), not deferred. */
static void compress_constant_condition_is_planned(void **state)
{
    (void)state;
    mk_model *m = mk_new(11);
    const int64_t xd[] = {2, 3}, cd[] = {3};
    static const uint8_t c[3] = {1, 0, 1};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init(m, "c", ONNXBN_BOOL, 1, cd, c);
    mk_attr_i(mk_node_add(m, "Compress", "cz", "x,c", "y"), "axis", 1);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_deferred_steps(s), 0);
    static const float x[6] = {1, 2, 3, 4, 5, 6}, y[4] = {1, 3, 4, 6};
    run1(s, "x", ONNXBN_FLOAT, 2, xd, x);
    const int64_t yd[] = {2, 2};
    mk_expect_f32(s, 0, 2, yd, y, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A planned value that a deferred node reads later lives until then: the in-place Add must not
 * write over m, which Compress reads after it. */
static void planned_value_read_by_deferred_node(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {4}, one[] = {1};
    static const float two[] = {2}, uno[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_input(m, "c", ONNXBN_BOOL, 1, xd);
    mk_init_f32(m, "two", 1, one, two);
    mk_init_f32(m, "one", 1, one, uno);
    mk_node_add(m, "Mul", "mul", "x,two", "m");
    mk_node_add(m, "Add", "add", "m,one", "a");
    mk_node_add(m, "Relu", "relu", "a", "r");
    mk_node_add(m, "Compress", "cz", "m,c", "y");
    mk_output(m, "r", ONNXBN_FLOAT, 1, xd);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_deferred_steps(s), 1);
    static const float x[4] = {1, -3, 2, -0.25f};
    static const uint8_t c[4] = {1, 1, 0, 1};
    onnxbn_error err = {0};
    mk_feed f[2] = {{"x", 0, 1, xd, x}, {"c", ONNXBN_BOOL, 1, xd, c}};
    for (int rep = 0; rep < 2; rep++) {
        if (mk_run(s, 2, f, &err))
            fail_msg("run: %s", err.msg);
        static const float r[4] = {3, 0, 5, 0.5f}, y[3] = {2, -6, -0.5f};
        const int64_t yd[] = {3};
        mk_expect_f32(s, 0, 1, xd, r, 0, 0);
        mk_expect_f32(s, 1, 1, yd, y, 0, 0);
    }
    onnxbn_session_free(s);
    mk_free(m);
}

/* A MatMul (FUSE_ACT) before a Clip whose bound is computed at run time: the Clip is deferred and
 * not folded into the MatMul; the bound is the run's. */
static void deferred_consumer_is_not_fused(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, 2}, wd[] = {2, 3}, vd[] = {3};
    static const float w[6] = {1, 0, -1, 0, 1, 1}, v[3] = {-1, 0.5f, 2};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_input(m, "c", ONNXBN_BOOL, 1, vd);
    mk_init_f32(m, "w", 2, wd, w);
    mk_init_f32(m, "v", 1, vd, v);
    mk_node_add(m, "MatMul", "mm", "x,w", "mm");
    mk_attr_i(mk_node_add(m, "Compress", "cz", "v,c", "lows"), "axis", 0);
    mk_attr_i(mk_node_add(m, "ReduceMin", "lo", "lows", "lo"), "keepdims", 0);
    mk_node_add(m, "Clip", "clip", "mm,lo", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_model(m);
    assert_int_equal(onnxbn_session_deferred_steps(s), 3);
    static const float x[2] = {2, -1};
    /* mm = [2, -1, -3] */
    static const uint8_t c1[3] = {0, 1, 1}, c2[3] = {1, 0, 0};
    static const float y1[3] = {2, 0.5f, 0.5f}, y2[3] = {2, -1, -1};
    const int64_t yd[] = {1, 3};
    onnxbn_error err = {0};
    mk_feed f[2] = {{"x", 0, 2, xd, x}, {"c", ONNXBN_BOOL, 1, vd, c1}};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 2, yd, y1, 0, 0);
    f[1].data = c2;
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 2, yd, y2, 0, 0);
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Errors of a deferred node's shape rule name the node, and the session runs on afterwards. */
static void deferred_errors_name_the_node(void **state)
{
    (void)state;
    /* Compress whose condition selects past the axis */
    mk_model *m = mk_new(11);
    const int64_t xd[] = {3}, cd[] = {4};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_input(m, "c", ONNXBN_BOOL, 1, cd);
    mk_attr_i(mk_node_add(m, "Compress", "cz", "x,c", "y"), "axis", 0);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    static const float x[3] = {1, 2, 3};
    static const uint8_t c[4] = {0, 0, 0, 1};
    const mk_feed f[2] = {{"x", 0, 1, xd, x}, {"c", ONNXBN_BOOL, 1, cd, c}};
    mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'cz' (Compress): input 'condition' ('c') selects index 3");
    mk_free(m);

    /* a Reshape to [2,-1] of NonZero's output: fine for an even count, an error naming the
     * Reshape for an odd one, fine again after */
    m = mk_new(13);
    const int64_t vd[] = {4}, two[] = {2}, shp[] = {2, -1};
    mk_input(m, "x", ONNXBN_FLOAT, 1, vd);
    mk_init(m, "shp", ONNXBN_INT64, 1, two, shp);
    mk_node_add(m, "NonZero", "nz", "x", "nz");
    mk_node_add(m, "Reshape", "rs", "nz,shp", "y");
    mk_output(m, "y", ONNXBN_INT64, -1, NULL);
    onnxbn_session *s = open_model(m);
    static const float even[4] = {1, 0, 1, 0}, odd[4] = {1, 1, 1, 0};
    run1(s, "x", ONNXBN_FLOAT, 1, vd, even);
    const int64_t yd[] = {2, 1}, y[] = {0, 2};
    expect_i64(s, 0, 2, yd, y);
    onnxbn_error err = {0};
    mk_feed fo = {"x", 0, 1, vd, odd};
    assert_int_equal(mk_run(s, 1, &fo, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "node 'rs' (Reshape)"));
    assert_null(onnxbn_session_output(s, 0));
    run1(s, "x", ONNXBN_FLOAT, 1, vd, even);
    expect_i64(s, 0, 2, yd, y);
    onnxbn_session_free(s);
    mk_free(m);

    /* a rank-2 condition */
    m = mk_new(11);
    const int64_t c22[] = {2, 2};
    mk_input(m, "x", ONNXBN_FLOAT, 1, vd);
    mk_input(m, "c", ONNXBN_BOOL, 2, c22);
    mk_node_add(m, "Compress", "cz", "x,c", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    static const uint8_t c4[4] = {1, 0, 1, 0};
    const mk_feed f2[2] = {{"x", 0, 1, vd, even}, {"c", ONNXBN_BOOL, 2, c22, c4}};
    mk_expect_fail(m, 2, f2, ONNXBN_ERR_SHAPE, "node 'cz' (Compress): input 'condition' ('c') has rank 2");
    mk_free(m);
}

/* The run arena is charged to the session's memory limit: an output past it is an error naming
 * the node, not an allocation; within it the same session runs. */
static void run_arena_within_budget(void **state)
{
    (void)state;
    enum { N = 300000 };
    mk_model *m = mk_new(13);
    const int64_t xd[] = {N};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_node_add(m, "NonZero", "nz", "x", "y");
    mk_output(m, "y", ONNXBN_INT64, -1, NULL);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.max_memory = 1 << 20;
    onnxbn_session *s = open_opt(m, &opt);
    float *x = calloc(N, sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < 1000; i++)
        x[i * 300] = 1;
    run1(s, "x", ONNXBN_FLOAT, 1, xd, x);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dims(y)[1], 1000);
    assert_int_equal(((const int64_t *)onnxbn_tensor_cdata(y))[999], 999 * 300);
    for (int i = 0; i < N; i++)
        x[i] = 1; /* 2.4 MB of indices */
    onnxbn_error err = {0};
    mk_feed f = {"x", 0, 1, xd, x};
    assert_int_equal(mk_run(s, 1, &f, &err), ONNXBN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "node 'nz' (NonZero)"));
    assert_non_null(strstr(err.msg, "memory limit"));
    free(x);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Runs that need more than the arena holds add blocks; the next run gets one block of what the
 * last held, smaller runs reuse it. Values right throughout (ASan watches the bounds). */
static void run_arena_grows_and_shrinks(void **state)
{
    (void)state;
    enum { N = 30000 };
    const int64_t xd[] = {N};
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_node_add(m, "NonZero", "nz", "x", "nz");
    mk_attr_i(mk_node_add(m, "Cast", "cast", "nz", "f"), "to", ONNXBN_DOUBLE);
    mk_attr_i(mk_node_add(m, "ReduceSum", "sum", "f", "s"), "keepdims", 0);
    mk_output(m, "nz", ONNXBN_INT64, -1, NULL);
    mk_output(m, "s", ONNXBN_DOUBLE, -1, NULL);
    onnxbn_session *s = open_model(m);
    float *x = calloc(N, sizeof *x);
    assert_non_null(x);
    const int every[] = {3000, 1, 7, 1, 3000};
    for (size_t r = 0; r < COUNT(every); r++) {
        double want = 0;
        int64_t nnz = 0;
        for (int i = 0; i < N; i++) {
            x[i] = i % every[r] == 0 ? 1.0f : 0.0f;
            if (x[i] != 0) {
                want += i;
                nnz++;
            }
        }
        run1(s, "x", ONNXBN_FLOAT, 1, xd, x);
        const onnxbn_tensor *nz = onnxbn_session_output(s, 0), *sum = onnxbn_session_output(s, 1);
        assert_int_equal(onnxbn_tensor_dims(nz)[1], nnz);
        const int64_t *idx = onnxbn_tensor_cdata(nz);
        assert_int_equal(idx[nnz - 1], (nnz - 1) * every[r]);
        assert_true(*(const double *)onnxbn_tensor_cdata(sum) == want);
    }
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    free(x);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The stop checks cover deferred steps: a deadline already past stops the run at the first one,
 * named; without it the same session runs. */
static void timeout_at_deferred_step(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {4};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_node_add(m, "NonZero", "nz", "x", "y");
    mk_output(m, "y", ONNXBN_INT64, -1, NULL);
    onnxbn_session *s = open_model(m);
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_session_set_timeout(s, 1e-9, &err), ONNXBN_OK);
    static const float x[4] = {0, 1, 0, 1};
    mk_feed f = {"x", 0, 1, xd, x};
    assert_int_equal(mk_run(s, 1, &f, &err), ONNXBN_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "timed out at node 'nz' (NonZero) (step 1 of 1)"));
    assert_int_equal(onnxbn_session_set_timeout(s, 0, &err), ONNXBN_OK);
    run1(s, "x", ONNXBN_FLOAT, 1, xd, x);
    const int64_t yd[] = {1, 2}, y[] = {1, 3};
    expect_i64(s, 0, 2, yd, y);
    onnxbn_session_free(s);
    mk_free(m);
    /* checked before the step, not only after: the Compress below would fail its shape rule */
    m = mk_new(11);
    const int64_t cd[] = {5};
    mk_input(m, "x", ONNXBN_FLOAT, 1, xd);
    mk_input(m, "c", ONNXBN_BOOL, 1, cd);
    mk_attr_i(mk_node_add(m, "Compress", "cz", "x,c", "y"), "axis", 0);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    s = open_model(m);
    assert_int_equal(onnxbn_session_set_timeout(s, 1e-9, &err), ONNXBN_OK);
    static const uint8_t past[5] = {0, 0, 0, 0, 1};
    const mk_feed f2[2] = {{"x", 0, 1, xd, x}, {"c", ONNXBN_BOOL, 1, cd, past}};
    assert_int_equal(mk_run(s, 2, f2, &err), ONNXBN_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "timed out at node 'cz' (Compress)"));
    assert_int_equal(onnxbn_session_set_timeout(s, 0, &err), ONNXBN_OK);
    assert_int_equal(mk_run(s, 2, f2, &err), ONNXBN_ERR_SHAPE);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A chain of 5x5 convolutions after a Compress of the input on a fed condition (all true): every
 * Conv is deferred, packs its weights per run, and matches the same chain planned. */
enum { CH = 16, KS = 5, LAYERS = 12, HW = 64 };

static mk_model *conv_chain(bool compress, int layers)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, CH, HW, HW}, cd[] = {CH};
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    if (compress) {
        mk_input(m, "c", ONNXBN_BOOL, 1, cd);
        mk_attr_i(mk_node_add(m, "Compress", "cz", "x,c", "y_"), "axis", 1);
    }
    const int64_t wd[] = {CH, CH, KS, KS}, bd[] = {CH};
    float *w = malloc(sizeof(float) * CH * CH * KS * KS), b[CH];
    assert_non_null(w);
    uint32_t r = 4321;
    const float a = sqrtf(3.0f / (CH * KS * KS));
    for (int l = 0; l < layers; l++) {
        for (int i = 0; i < CH * CH * KS * KS; i++) {
            r = r * 1664525u + 1013904223u;
            w[i] = a * ((float)(r >> 8) / 8388608.0f - 1.0f);
        }
        for (int i = 0; i < CH; i++)
            b[i] = 0.01f * (float)(i % 5) - 0.02f;
        char wn[16], bn[16], in[16], out[16], ins[64], name[16];
        snprintf(wn, sizeof wn, "w%d", l);
        snprintf(bn, sizeof bn, "b%d", l);
        snprintf(in, sizeof in, l ? "y%d" : compress ? "y_" : "x", l - 1);
        snprintf(out, sizeof out, l == layers - 1 ? "y" : "y%d", l);
        snprintf(ins, sizeof ins, "%s,%s,%s", in, wn, bn);
        snprintf(name, sizeof name, "conv%d", l);
        mk_init_f32(m, wn, 4, wd, w);
        mk_init_f32(m, bn, 1, bd, b);
        mk_node *n = mk_node_add(m, "Conv", name, ins, out);
        const int64_t ks[2] = {KS, KS}, pads[4] = {2, 2, 2, 2};
        mk_attr_ints(n, "kernel_shape", 2, ks);
        mk_attr_ints(n, "pads", 4, pads);
    }
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    free(w);
    return m;
}

typedef struct chain_input {
    float *x;
    uint8_t c[CH];
    mk_feed f[2];
} chain_input;

static void chain_input_init(chain_input *in)
{
    static const int64_t xd[] = {1, CH, HW, HW}, cd[] = {CH};
    const size_t n = (size_t)CH * HW * HW;
    in->x = malloc(n * sizeof *in->x);
    assert_non_null(in->x);
    for (size_t i = 0; i < n; i++)
        in->x[i] = (float)((i * 7919) % 201) / 100.0f - 1.0f;
    memset(in->c, 1, sizeof in->c);
    in->f[0] = (mk_feed){"x", 0, 4, xd, in->x};
    in->f[1] = (mk_feed){"c", ONNXBN_BOOL, 1, cd, in->c};
}

static void deferred_conv_chain(void **state)
{
    (void)state;
    mk_model *md = conv_chain(true, LAYERS), *mp = conv_chain(false, LAYERS);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.profile = true;
    onnxbn_session *sd = open_opt(md, &opt), *sp = open_model(mp);
    assert_int_equal(onnxbn_session_deferred_steps(sd), LAYERS + 1);
    assert_int_equal(onnxbn_session_deferred_steps(sp), 0);
    chain_input in;
    chain_input_init(&in);
    onnxbn_error err = {0};
    if (mk_run(sd, 2, in.f, &err) || mk_run(sp, 1, in.f, &err))
        fail_msg("run: %s", err.msg);
    const int64_t yd[] = {1, CH, HW, HW};
    mk_expect_f32(sd, 0, 4, yd, onnxbn_tensor_cdata(onnxbn_session_output(sp, 0)), 1e-6, 1e-5);
    for (size_t i = 0; i < onnxbn_session_profile_count(sd); i++) {
        uint64_t runs = 0;
        assert_true(onnxbn_session_profile_get(sd, i, NULL, NULL, NULL, &runs));
        assert_int_equal(runs, 1);
    }
    free(in.x);
    onnxbn_session_free(sd);
    onnxbn_session_free(sp);
    mk_free(md);
    mk_free(mp);
}

/* A deadline of 2 ms stops the deferred chain at a deferred step; the next run is whole. */
static void deferred_chain_times_out(void **state)
{
    (void)state;
    mk_model *m = conv_chain(true, LAYERS);
    onnxbn_session *s = open_model(m);
    chain_input in;
    chain_input_init(&in);
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_session_set_timeout(s, 0.002, &err), ONNXBN_OK);
    assert_int_equal(mk_run(s, 2, in.f, &err), ONNXBN_ERR_TIMEOUT);
    assert_true(strstr(err.msg, "timed out at node 'conv") || strstr(err.msg, "timed out at node 'cz'"));
    assert_int_equal(onnxbn_session_set_timeout(s, 0, &err), ONNXBN_OK);
    if (mk_run(s, 2, in.f, &err))
        fail_msg("run: %s", err.msg);
    assert_non_null(onnxbn_session_output(s, 0));
    free(in.x);
    onnxbn_session_free(s);
    mk_free(m);
}

/* What the run arena holds: each Conv's output for the rest of the run, its scratch for its own
 * step only (so 8 more layers hold exactly 8 more outputs at the peak); once a run has grown it,
 * the next holds one block of that run's peak, and runs of the same sizes allocate no more. */
static void run_arena_holds_outputs_and_one_scratch(void **state)
{
    (void)state;
    size_t peak[2], total = 0, total2 = 0;
    int blocks = 0;
    const int layers[2] = {4, LAYERS};
    chain_input in;
    chain_input_init(&in);
    for (int k = 0; k < 2; k++) {
        mk_model *m = conv_chain(true, layers[k]);
        onnxbn_session *s = open_model(m);
        onnxbn_error err = {0};
        for (int r = 0; r < 3; r++) {
            if (mk_run(s, 2, in.f, &err))
                fail_msg("run: %s", err.msg);
            if (r == 1)
                total = onnxbn_session_run_arena(s, &peak[k], &blocks);
        }
        assert_int_equal(blocks, 1);
        total2 = onnxbn_session_run_arena(s, &peak[k], &blocks);
        assert_int_equal(blocks, 1);
        assert_int_equal(total2, total);
        assert_int_equal(total, peak[k]);
        onnxbn_session_free(s);
        mk_free(m);
    }
    const size_t out = (size_t)CH * HW * HW * sizeof(float); /* a multiple of 64 */
    assert_int_equal(peak[1] - peak[0], (size_t)(LAYERS - 4) * out);
    free(in.x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nonzero_feeds_downstream),
        cmocka_unit_test(shape_chain_after_nonzero),
        cmocka_unit_test(nonzero_types),
        cmocka_unit_test(compress_values),
        cmocka_unit_test(compress_constant_condition_is_planned),
        cmocka_unit_test(planned_value_read_by_deferred_node),
        cmocka_unit_test(deferred_consumer_is_not_fused),
        cmocka_unit_test(deferred_errors_name_the_node),
        cmocka_unit_test(run_arena_within_budget),
        cmocka_unit_test(run_arena_grows_and_shrinks),
        cmocka_unit_test(timeout_at_deferred_step),
        cmocka_unit_test(deferred_conv_chain),
        cmocka_unit_test(deferred_chain_times_out),
        cmocka_unit_test(run_arena_holds_outputs_and_one_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
