/* SPDX-License-Identifier: Apache-2.0 */
/* test_gathernd.c — GatherElements and GatherND: the spec's examples by hand, every element size
 * and both index types against a coordinate-by-coordinate reference, and bad indices and shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "kernels/indexing.h"
#include "mkmodel.h"

/* ---- helpers ---- */

/* A model of one node 'g' of type op over the fed inputs (named in f), output Y of type yt. */
static mk_model *one(int64_t opset, const char *op, size_t n, const mk_feed *f, onnxbn_dtype yt,
                     mk_node **node)
{
    mk_model *mm = mk_new(opset);
    char ins[64] = "";
    for (size_t i = 0; i < n; i++) {
        mk_input(mm, f[i].name, f[i].dtype ? f[i].dtype : ONNXBN_FLOAT, f[i].rank, f[i].dims);
        strcat(ins, i ? "," : "");
        strcat(ins, f[i].name);
    }
    mk_output(mm, "Y", yt, -1, NULL);
    mk_node *nd = mk_node_add(mm, op, "g", ins, "Y");
    if (node)
        *node = nd;
    return mm;
}

/* Opens and runs mm on f; output 0 must be exactly (yt, rank, dims, want). Frees mm. */
static void expect(mk_model *mm, size_t n, const mk_feed *f, onnxbn_dtype yt, int rank,
                   const int64_t *dims, const void *want)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(mm, &s, &err) || mk_run(s, n, f, &err))
        fail_msg("%s", err.msg);
    mk_expect_bytes(s, 0, yt, rank, dims, want);
    onnxbn_session_free(s);
    mk_free(mm);
}

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void fill_bytes(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng(&seed);
}

/* ---- GatherElements ---- */

static void test_elements_spec(void **state)
{
    (void)state;
    /* Example 1: axis 1 */
    const int64_t d2[] = {2, 2};
    const float x1[] = {1, 2, 3, 4}, y1[] = {1, 1, 4, 3};
    const int64_t i1[] = {0, 0, 1, 0};
    mk_feed f[] = {{"X", 0, 2, d2, x1}, {"I", ONNXBN_INT64, 2, d2, i1}};
    mk_node *nd;
    mk_model *mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 1);
    expect(mm, 2, f, ONNXBN_FLOAT, 2, d2, y1);
    /* Example 2: axis 0, fewer index rows than data rows, int32 indices, opset 11 */
    const int64_t xd[] = {3, 3}, id[] = {2, 3};
    const int32_t x2[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y2[] = {4, 8, 3, 7, 2, 3};
    const int32_t i2[] = {1, 2, 0, 2, 0, 0};
    mk_feed g[] = {{"X", ONNXBN_INT32, 2, xd, x2}, {"I", ONNXBN_INT32, 2, id, i2}};
    expect(one(11, "GatherElements", 2, g, ONNXBN_INT32, NULL), 2, g, ONNXBN_INT32, 2, id, y2);
    /* negative indices count from the end; axis -1 */
    const int32_t i3[] = {-1, -3, 0, -2, 1, -1};
    const int32_t y3[] = {3, 1, 1, 5, 5, 6};
    g[1].data = i3;
    g[1].dims = id; /* 2x3: the last axis is the indexed one, rows 0 and 1 of data */
    mm = one(13, "GatherElements", 2, g, ONNXBN_INT32, &nd);
    mk_attr_i(nd, "axis", -1);
    expect(mm, 2, g, ONNXBN_INT32, 2, id, y3);
}

/* The reference: one coordinate at a time. */
static void ref_elements(uint8_t *y, const uint8_t *x, size_t es, int r, const int64_t *xd,
                         const int64_t *id, int axis, const int64_t *idx)
{
    int64_t n = 1;
    for (int d = 0; d < r; d++)
        n *= id[d];
    for (int64_t p = 0; p < n; p++) {
        int64_t rem = p, off = 0, stride = 1, c[8];
        for (int d = r - 1; d >= 0; d--) {
            c[d] = rem % id[d];
            rem /= id[d];
        }
        for (int d = r - 1; d >= 0; d--) {
            int64_t v = d == axis ? idx[p] : c[d];
            if (v < 0)
                v += xd[d];
            off += v * stride;
            stride *= xd[d];
        }
        memcpy(y + (size_t)p * es, x + (size_t)off * es, es);
    }
}

/* Every element size, each axis, long rows, both index types; a bad index deep in a row. */
static void test_elements_kernel(void **state)
{
    (void)state;
    const int64_t xd[] = {3, 4, 700}, id[] = {2, 3, 600};
    const size_t sizes[] = {1, 2, 4, 8, 16, 3};
    uint64_t seed = 7;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int axis = 0; axis < 3; axis++)
            for (int wide = 0; wide < 2; wide++) {
                const size_t es = sizes[si], nx = 3 * 4 * 700, ni = 2 * 3 * 600;
                uint8_t *x = malloc(nx * es), *y = malloc(ni * es), *want = malloc(ni * es);
                int64_t *i64 = malloc(ni * sizeof *i64);
                int32_t *i32 = malloc(ni * sizeof *i32);
                fill_bytes(x, nx * es, es * 10 + (size_t)axis);
                for (size_t k = 0; k < ni; k++) {
                    const int64_t lim = xd[axis];
                    i64[k] = (int64_t)(rng(&seed) % (uint64_t)(2 * lim)) - lim;
                    i32[k] = (int32_t)i64[k];
                }
                ref_elements(want, x, es, 3, xd, id, axis, i64);
                memset(y, 0xAB, ni * es);
                assert_int_equal(onnxbn_gather_elements(y, x, es, 3, xd, id, axis,
                                                        wide ? (const void *)i64 : i32, wide),
                                 -1);
                assert_memory_equal(y, want, ni * es);
                /* one bad index far into a row: its position, nothing read past the data */
                const size_t at = ni - 5;
                i64[at] = xd[axis];
                i32[at] = (int32_t)-xd[axis] - 1;
                assert_int_equal(onnxbn_gather_elements(y, x, es, 3, xd, id, axis,
                                                        wide ? (const void *)i64 : i32, wide),
                                 (int64_t)at);
                free(x), free(y), free(want), free(i64), free(i32);
            }
}

static void test_elements_types(void **state)
{
    (void)state;
    /* float16, bfloat16 (from 13), bool, uint64, complex64: bytes moved unchanged */
    const int64_t d[] = {4};
    const int64_t idx[] = {3, -4, 2, 3};
    const uint16_t h[] = {0x3c00, 0x4000, 0x7e00, 0xfc00}, hy[] = {0xfc00, 0x3c00, 0x7e00, 0xfc00};
    const uint8_t b[] = {1, 0, 0, 1}, by[] = {1, 1, 0, 1};
    const uint64_t u[] = {1, UINT64_MAX, 3, 1ull << 63}, uy[] = {1ull << 63, 1, 3, 1ull << 63};
    const float cx[] = {1, -1, 2, -2, 3, -3, 4, -4}, cy[] = {4, -4, 1, -1, 3, -3, 4, -4};
    const struct {
        onnxbn_dtype dt;
        const void *x, *y;
    } cases[] = {{ONNXBN_FLOAT16, h, hy}, {ONNXBN_BFLOAT16, h, hy}, {ONNXBN_BOOL, b, by},
                 {ONNXBN_UINT64, u, uy}, {ONNXBN_COMPLEX64, cx, cy}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mk_feed f[] = {{"X", cases[k].dt, 1, d, cases[k].x}, {"I", ONNXBN_INT64, 1, d, idx}};
        expect(one(13, "GatherElements", 2, f, cases[k].dt, NULL), 2, f, cases[k].dt, 1, d,
               cases[k].y);
    }
    /* bfloat16 is not a type of version 11 */
    mk_feed f[] = {{"X", ONNXBN_BFLOAT16, 1, d, h}, {"I", ONNXBN_INT64, 1, d, idx}};
    mk_model *mm = one(12, "GatherElements", 2, f, ONNXBN_BFLOAT16, NULL);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_TYPE, "input 'data' ('X') is bfloat16, GatherElements-11 takes");
    mk_free(mm);
}

static void test_elements_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, id[] = {2, 2};
    const float x[6] = {0};
    const int64_t bad[] = {0, 1, 2, 3};
    mk_feed f[] = {{"X", 0, 2, xd, x}, {"I", ONNXBN_INT64, 2, id, bad}};
    mk_node *nd;
    mk_model *mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 1);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_ARG,
                   "node 'g' (GatherElements): index 3 on axis 1 is out of range [-3, 3) (element 3 of input 'indices' ('I'))");
    mk_free(mm);
    const int64_t neg[] = {0, -4, 0, 0};
    f[1].data = neg;
    mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 1);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_ARG, "index -4 on axis 1 is out of range [-3, 3) (element 1");
    mk_free(mm);
    /* an empty axis has no valid index at all */
    const int64_t xd0[] = {2, 0}, id1[] = {2, 1}, zero[] = {0, 0};
    mk_feed e[] = {{"X", 0, 2, xd0, x}, {"I", ONNXBN_INT64, 2, id1, zero}};
    mm = one(13, "GatherElements", 2, e, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 1);
    mk_expect_fail(mm, 2, e, ONNXBN_ERR_ARG, "index 0 on axis 1 is out of range [0, 0) (element 0");
    mk_free(mm);
    /* indices wider than data off the axis; ranks that differ; axis out of range */
    const int64_t wide[] = {3, 1}, flat[] = {4};
    f[1].dims = wide;
    mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 1);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "input 'indices' has 3 on axis 0, above the 2 of 'data'");
    mk_free(mm);
    f[1].rank = 1, f[1].dims = flat;
    mk_expect_fail(mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd), 2, f, ONNXBN_ERR_SHAPE,
                   "input 'indices' has rank 1, 'data' has rank 2");
    mk_free(mm);
    f[1].rank = 2, f[1].dims = id;
    mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "axis", 2);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "attribute 'axis' 2 is outside [-2, 1]");
    mk_free(mm);
    /* float indices; string data (moved as handles: the gathered elements are the same
     * handles, pointing to the same bytes) */
    f[1].dtype = ONNXBN_FLOAT;
    f[1].data = x;
    mk_expect_fail(mm = one(13, "GatherElements", 2, f, ONNXBN_FLOAT, NULL), 2, f, ONNXBN_ERR_TYPE,
                   "input 'indices' ('I') is float");
    mk_free(mm);
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_STRING, 2, xd);
    mk_input(mm, "I", ONNXBN_INT64, 2, id);
    mk_output(mm, "Y", ONNXBN_STRING, -1, NULL);
    mk_node_add(mm, "GatherElements", "g", "X,I", "Y");
    const int64_t i4[] = {1, 0, 0, 1};
    const onnxbn_string xs[6] = {{"a", 1}, {"b\0", 2}, {"", 0}, {"d", 1}, {"e", 1}, {"f", 1}};
    const onnxbn_string ys[4] = {xs[3], xs[1], xs[0], xs[4]};
    mk_feed sf[] = {{"X", ONNXBN_STRING, 2, xd, xs}, {"I", ONNXBN_INT64, 2, id, i4}};
    mk_check_bytes(mm, 2, sf, ONNXBN_STRING, 2, id, ys);
    mk_free(mm);
}

/* ---- GatherND ---- */

static void test_nd_spec(void **state)
{
    (void)state;
    /* Examples 1-5 of the spec, int32 data */
    const int64_t d22[] = {2, 2}, d222[] = {2, 2, 2}, d21[] = {2, 1}, d212[] = {2, 1, 2};
    const int32_t x2[] = {0, 1, 2, 3}, x3[] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int64_t i1[] = {0, 0, 1, 1}, i2[] = {1, 0}, i3[] = {0, 1, 1, 0};
    const int32_t y1[] = {0, 3}, y2[] = {2, 3, 0, 1}, y3[] = {2, 3, 4, 5};
    const int64_t o1[] = {2};
    mk_feed f[] = {{"X", ONNXBN_INT32, 2, d22, x2}, {"I", ONNXBN_INT64, 2, d22, i1}};
    expect(one(11, "GatherND", 2, f, ONNXBN_INT32, NULL), 2, f, ONNXBN_INT32, 1, o1, y1);
    f[1].dims = d21, f[1].data = i2;
    expect(one(12, "GatherND", 2, f, ONNXBN_INT32, NULL), 2, f, ONNXBN_INT32, 2, d22, y2);
    f[0].rank = 3, f[0].dims = d222, f[0].data = x3;
    f[1].dims = d22, f[1].data = i3;
    expect(one(13, "GatherND", 2, f, ONNXBN_INT32, NULL), 2, f, ONNXBN_INT32, 2, d22, y3);
    f[1].rank = 3, f[1].dims = d212;
    expect(one(13, "GatherND", 2, f, ONNXBN_INT32, NULL), 2, f, ONNXBN_INT32, 3, d212, y3);
    /* batch_dims 1: per batch, indices [1] then [0] */
    f[1].rank = 2, f[1].dims = d21, f[1].data = i2;
    mk_node *nd;
    mk_model *mm = one(13, "GatherND", 2, f, ONNXBN_INT32, &nd);
    mk_attr_i(nd, "batch_dims", 1);
    expect(mm, 2, f, ONNXBN_INT32, 2, d22, y3);
    /* batch_dims 1 with whole tuples and negative indices: data[b][i][j] */
    const int64_t ib[] = {-1, 0, 0, -1}; /* batch 0: (1, 0) -> 2; batch 1: (0, 1) -> 5 */
    const int32_t yb[] = {2, 5};
    const int64_t i12[] = {2, 1, 2}, o2[] = {2, 1};
    f[1].rank = 3, f[1].dims = i12, f[1].data = ib;
    mm = one(13, "GatherND", 2, f, ONNXBN_INT32, &nd);
    mk_attr_i(nd, "batch_dims", 1);
    expect(mm, 2, f, ONNXBN_INT32, 2, o2, yb);
}

/* Slices of many elements (one memcpy each), float16 and double, batch_dims 2. */
static void test_nd_slices(void **state)
{
    (void)state;
    /* data (2, 3, 4, 5, 6) doubles; batch_dims 2; indices (2, 3, 2, 1): 2 slices of 5*6 */
    const int64_t xd[] = {2, 3, 4, 5, 6}, id[] = {2, 3, 2, 1}, yd[] = {2, 3, 2, 5, 6};
    double x[720], want[360];
    for (int k = 0; k < 720; k++)
        x[k] = k * 0.5;
    int64_t idx[12];
    for (int b = 0; b < 6; b++)
        for (int t = 0; t < 2; t++) {
            const int64_t v = (b + 3 * t) % 4;
            idx[b * 2 + t] = t ? v - 4 : v; /* the second one negative */
            memcpy(want + (b * 2 + t) * 30, x + b * 120 + v * 30, 30 * sizeof(double));
        }
    mk_feed f[] = {{"X", ONNXBN_DOUBLE, 5, xd, x}, {"I", ONNXBN_INT64, 4, id, idx}};
    mk_node *nd;
    mk_model *mm = one(13, "GatherND", 2, f, ONNXBN_DOUBLE, &nd);
    mk_attr_i(nd, "batch_dims", 2);
    expect(mm, 2, f, ONNXBN_DOUBLE, 5, yd, want);
    /* float16 rows of 3, tuples of 2 */
    const int64_t hd[] = {2, 2, 3}, hi[] = {3, 2}, ho[] = {3, 3};
    const uint16_t h[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const int64_t hidx[] = {1, 1, 0, 0, -1, -2};
    const uint16_t hy[] = {10, 11, 12, 1, 2, 3, 7, 8, 9};
    mk_feed g[] = {{"X", ONNXBN_FLOAT16, 3, hd, h}, {"I", ONNXBN_INT64, 2, hi, hidx}};
    expect(one(13, "GatherND", 2, g, ONNXBN_FLOAT16, NULL), 2, g, ONNXBN_FLOAT16, 2, ho, hy);
}

/* The kernel over every element size and one-element slices against the reference. */
static void test_nd_kernel(void **state)
{
    (void)state;
    const int64_t dims[] = {5, 7, 3};
    const size_t sizes[] = {1, 2, 4, 8, 16};
    uint64_t seed = 3;
    for (size_t si = 0; si < 5; si++) {
        const size_t es = sizes[si];
        uint8_t x[2 * 105 * 16], y[2 * 40 * 16], want[2 * 40 * 16];
        int64_t idx[2 * 40 * 3];
        fill_bytes(x, sizeof x, es);
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 40; t++) {
                int64_t off = 0;
                for (int k = 0; k < 3; k++) {
                    const int64_t v = (int64_t)(rng(&seed) % (uint64_t)dims[k]);
                    idx[(b * 40 + t) * 3 + k] = (t & 1) ? v - dims[k] : v;
                    off = off * dims[k] + v;
                }
                memcpy(want + (size_t)(b * 40 + t) * es, x + (size_t)(b * 105 + off) * es, es);
            }
        assert_int_equal(onnxbn_gather_nd(y, x, es, 2, 40, 3, dims, 1, idx), -1);
        assert_memory_equal(y, want, 80 * es);
        idx[2 * 40 * 3 - 2] = 7; /* the middle axis of the last tuple */
        assert_int_equal(onnxbn_gather_nd(y, x, es, 2, 40, 3, dims, 1, idx), 2 * 40 * 3 - 2);
    }
}

static void test_nd_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, id[] = {2, 2};
    const float x[6] = {0};
    const int64_t bad[] = {0, 1, 1, 7};
    mk_feed f[] = {{"X", 0, 2, xd, x}, {"I", ONNXBN_INT64, 2, id, bad}};
    mk_model *mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, NULL);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_ARG,
                   "node 'g' (GatherND): index 7 on axis 1 is out of range [-3, 3)");
    mk_free(mm);
    const int64_t neg[] = {-3, 0, 0, 0};
    f[1].data = neg;
    mk_expect_fail(mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, NULL), 2, f, ONNXBN_ERR_ARG,
                   "index -3 on axis 0 is out of range [-2, 2) (element 0 of input 'indices' ('I'))");
    mk_free(mm);
    /* the same with indices constant in the model */
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "I", ONNXBN_INT64, 2, id, bad);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "GatherND", "g", "X,I", "Y");
    mk_expect_fail(mm, 1, f, ONNXBN_ERR_ARG, "node 'g' (GatherND): index 7 on axis 1 is out of range [-3, 3)");
    mk_free(mm);
    /* int32 indices: the schema takes int64 only */
    const int32_t i32[] = {0, 0, 1, 1};
    f[1].dtype = ONNXBN_INT32, f[1].data = i32;
    mk_expect_fail(mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, NULL), 2, f, ONNXBN_ERR_TYPE,
                   "input 'indices' ('I') is int32, GatherND-13 takes int64");
    mk_free(mm);
    f[1].dtype = ONNXBN_INT64, f[1].data = neg;
    /* tuple longer than the rank; batch_dims too large; batch axes that differ */
    const int64_t i3[] = {1, 3}, i13[] = {3, 1};
    f[1].dims = i3;
    mk_expect_fail(mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, NULL), 2, f, ONNXBN_ERR_SHAPE,
                   "input 'indices' has 3 on its last axis, expected 1 to 2");
    mk_free(mm);
    f[1].dims = id;
    mk_node *nd;
    mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "batch_dims", 2);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "attribute 'batch_dims' is 2, expected 0 to 1");
    mk_free(mm);
    f[1].dims = i13;
    mm = one(13, "GatherND", 2, f, ONNXBN_FLOAT, &nd);
    mk_attr_i(nd, "batch_dims", 1);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "batch axis 0: 'indices' has 3, 'data' has 2");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements_spec),
        cmocka_unit_test(test_elements_kernel),
        cmocka_unit_test(test_elements_types),
        cmocka_unit_test(test_elements_errors),
        cmocka_unit_test(test_nd_spec),
        cmocka_unit_test(test_nd_slices),
        cmocka_unit_test(test_nd_kernel),
        cmocka_unit_test(test_nd_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
