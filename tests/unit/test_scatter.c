/* SPDX-License-Identifier: Apache-2.0 */
/* test_scatter.c — Scatter, ScatterElements and ScatterND: the spec's examples by hand, the
 * reductions on every kind of type, duplicates, long rows against a reference, bad input. */
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

/* A model of one node 'g' of type op over fed X, I, U; output Y of X's type. */
static mk_model *one(int64_t opset, const char *op, const mk_feed *f, const char *reduction,
                     mk_node **node)
{
    mk_model *mm = mk_new(opset);
    for (int i = 0; i < 3; i++)
        mk_input(mm, f[i].name, f[i].dtype ? f[i].dtype : ONNXBN_FLOAT, f[i].rank, f[i].dims);
    mk_output(mm, "Y", f[0].dtype ? f[0].dtype : ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(mm, op, "g", "X,I,U", "Y");
    if (reduction)
        mk_attr_s(nd, "reduction", reduction);
    if (node)
        *node = nd;
    return mm;
}

/* Opens and runs mm on f; output 0 must be exactly X's type and shape with bytes `want`. Frees
 * mm. The data input is checked unchanged: the output is a copy. */
static void expect(mk_model *mm, const mk_feed *f, const void *want)
{
    const onnxbn_dtype dt = f[0].dtype ? f[0].dtype : ONNXBN_FLOAT;
    int64_t n = 1;
    for (int d = 0; d < f[0].rank; d++)
        n *= f[0].dims[d];
    const size_t bytes = (size_t)n * onnxbn_dtype_size(dt);
    void *before = malloc(bytes + 1);
    memcpy(before, f[0].data, bytes);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(mm, &s, &err) || mk_run(s, 3, f, &err))
        fail_msg("%s", err.msg);
    mk_expect_bytes(s, 0, dt, f[0].rank, f[0].dims, want);
    assert_memory_equal(before, f[0].data, bytes);
    free(before);
    onnxbn_session_free(s);
    mk_free(mm);
}

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* ---- ScatterElements, Scatter ---- */

static void test_elements_spec(void **state)
{
    (void)state;
    /* Example 1 (axis 0) as ScatterElements-11, then as Scatter-9 at opset 10 */
    const int64_t d33[] = {3, 3}, d23[] = {2, 3};
    const float x[9] = {0};
    const int64_t i1[] = {1, 0, 2, 0, 2, 1};
    const float u1[] = {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f};
    const float y1[] = {2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f};
    mk_feed f[] = {{"X", 0, 2, d33, x}, {"I", ONNXBN_INT64, 2, d23, i1}, {"U", 0, 2, d23, u1}};
    expect(one(11, "ScatterElements", f, NULL, NULL), f, y1);
    expect(one(10, "Scatter", f, NULL, NULL), f, y1);
    /* Example 2 (axis 1, int32 indices), and the same with negative indices, at 13 */
    const int64_t d15[] = {1, 5}, d12[] = {1, 2};
    const float x2[] = {1, 2, 3, 4, 5}, u2[] = {1.1f, 2.1f}, y2[] = {1, 1.1f, 3, 2.1f, 5};
    const int32_t i2[] = {1, 3}, i2n[] = {-4, -2};
    mk_feed g[] = {{"X", 0, 2, d15, x2}, {"I", ONNXBN_INT32, 2, d12, i2}, {"U", 0, 2, d12, u2}};
    mk_node *nd;
    mk_model *mm = one(13, "ScatterElements", g, NULL, &nd);
    mk_attr_i(nd, "axis", 1);
    expect(mm, g, y2);
    g[1].data = i2n;
    mm = one(9, "Scatter", g, NULL, &nd);
    mk_attr_i(nd, "axis", -1);
    expect(mm, g, y2);
    /* duplicates without reduction: the last in index order wins */
    const int32_t dup[] = {1, 1};
    g[1].data = dup;
    const float yd[] = {1, 2.1f, 3, 4, 5};
    mm = one(16, "ScatterElements", g, "none", &nd);
    mk_attr_i(nd, "axis", 1);
    expect(mm, g, yd);
}

/* add and mul with duplicates, on floats, wrapping integers, bool, float16, bfloat16, complex */
static void test_elements_reduction(void **state)
{
    (void)state;
    const int64_t d4[] = {4}, d3[] = {3};
    const int64_t idx[] = {1, 1, -1};
    /* float: spec's duplicate example on a row */
    const float xf[] = {1, 2, 3, 4}, uf[] = {1.5f, 2.5f, 3}, af[] = {1, 6, 3, 7}, mf[] = {1, 7.5f, 3, 12};
    /* int8: 100 + 100 + 27 wraps to -29; 100 * 3 * 2 = 600 wraps to 88 */
    const int8_t x8[] = {0, 100, 0, 7}, u8[] = {100, 27, -8}, a8[] = {0, -29, 0, -1};
    const int8_t u8m[] = {3, 2, -1}, m8[] = {0, 88, 0, -7};
    /* uint16: 300 * 300 * 1 = 90000 wraps to 24464 (a product past int) */
    const uint16_t x16[] = {0, 300, 0, 65535}, u16[] = {300, 1, 2}, a16[] = {0, 601, 0, 1},
                   m16[] = {0, 24464, 0, 65534};
    /* int64: the full width */
    const int64_t x64[] = {0, INT64_MAX, 0, -3}, u64[] = {1, 0, 5}, a64[] = {0, INT64_MIN, 0, 2},
                  m64[] = {0, 0, 0, -15};
    /* bool: add is or, mul is and */
    const uint8_t xb[] = {0, 0, 1, 1}, ub[] = {1, 0, 0}, ab[] = {0, 1, 1, 1}, mb[] = {0, 0, 1, 0};
    /* float16: 1 + 0.5 + 0.25 = 1.75; 1 * 0.5 * 0.25 = 0.125; -2 + 2 = 0, -2 * 2 = -4 */
    const uint16_t xh[] = {0x0000, 0x3c00, 0x0000, 0xc000}, uh[] = {0x3800, 0x3400, 0x4000},
                   ah[] = {0x0000, 0x3f00, 0x0000, 0x0000}, mh[] = {0x0000, 0x3000, 0x0000, 0xc400};
    /* bfloat16: 1 + 0.5 + 0.25 = 1.75; products as above */
    const uint16_t xbf[] = {0, 0x3f80, 0, 0xc000}, ubf[] = {0x3f00, 0x3e80, 0x4000},
                   abf[] = {0, 0x3fe0, 0, 0x0000}, mbf[] = {0, 0x3e00, 0, 0xc080};
    /* complex64: (1+2i) + (1+1i) + (0+1i) = 2+4i; (1+2i)(1+1i)(0+1i) = (-1+3i)i = -3-1i */
    const float xc[] = {0, 0, 1, 2, 0, 0, 1, 1}, uc[] = {1, 1, 0, 1, 2, -1},
                ac[] = {0, 0, 2, 4, 0, 0, 3, 0}, mc[] = {0, 0, -3, -1, 0, 0, 3, 1};
    const struct {
        onnxbn_dtype dt;
        const void *x, *u, *add, *mul, *umul;
    } cases[] = {
        {ONNXBN_FLOAT, xf, uf, af, mf, uf},         {ONNXBN_INT8, x8, u8, a8, m8, u8m},
        {ONNXBN_UINT16, x16, u16, a16, m16, u16},   {ONNXBN_INT64, x64, u64, a64, m64, u64},
        {ONNXBN_BOOL, xb, ub, ab, mb, ub},          {ONNXBN_FLOAT16, xh, uh, ah, mh, uh},
        {ONNXBN_BFLOAT16, xbf, ubf, abf, mbf, ubf}, {ONNXBN_COMPLEX64, xc, uc, ac, mc, uc},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mk_feed f[] = {{"X", cases[k].dt, 1, d4, cases[k].x},
                       {"I", ONNXBN_INT64, 1, d3, idx},
                       {"U", cases[k].dt, 1, d3, cases[k].u}};
        expect(one(16, "ScatterElements", f, "add", NULL), f, cases[k].add);
        f[2].data = cases[k].umul;
        expect(one(16, "ScatterElements", f, "mul", NULL), f, cases[k].mul);
    }
    /* the int8 multiply above: 100*3 = 300 -> 44, *2 = 88; and -1 * 7 = -7 */
}

/* The reference: one coordinate at a time, in row-major order of indices. */
static void ref_scatter(float *y, const float *u, int r, const int64_t *xd, const int64_t *id,
                        int axis, const int64_t *idx, int red)
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
        y[off] = red == ONNXBN_SCATTER_ADD ? y[off] + u[p]
               : red == ONNXBN_SCATTER_MUL ? y[off] * u[p] : u[p];
    }
}

/* Long rows, each axis, both index types, every reduction; a bad index at the very end. */
static void test_elements_kernel(void **state)
{
    (void)state;
    const int64_t xd[] = {3, 5, 400}, id[] = {2, 5, 300};
    const size_t nx = 3 * 5 * 400, ni = 2 * 5 * 300;
    float *x = malloc(nx * sizeof *x), *want = malloc(nx * sizeof *x), *u = malloc(ni * sizeof *u);
    int64_t *i64 = malloc(ni * sizeof *i64);
    int32_t *i32 = malloc(ni * sizeof *i32);
    uint64_t seed = 11;
    for (int axis = 0; axis < 3; axis++)
        for (int red = 0; red < 3; red++)
            for (int wide = 0; wide < 2; wide++) {
                for (size_t k = 0; k < nx; k++)
                    x[k] = want[k] = (float)(k % 13) * 0.25f - 1;
                for (size_t k = 0; k < ni; k++) {
                    const int64_t lim = xd[axis];
                    u[k] = (float)(rng(&seed) % 9) * 0.5f - 2;
                    i64[k] = (int64_t)(rng(&seed) % (uint64_t)(2 * lim)) - lim;
                    i32[k] = (int32_t)i64[k];
                }
                ref_scatter(want, u, 3, xd, id, axis, i64, red);
                assert_int_equal(onnxbn_scatter_elements(x, u, ONNXBN_FLOAT, 3, xd, id, axis,
                                                         wide ? (const void *)i64 : i32, wide, red),
                                 -1);
                assert_memory_equal(x, want, nx * sizeof *x);
                i64[ni - 1] = -xd[axis] - 1;
                i32[ni - 1] = (int32_t)xd[axis];
                assert_int_equal(onnxbn_scatter_elements(x, u, ONNXBN_FLOAT, 3, xd, id, axis,
                                                         wide ? (const void *)i64 : i32, wide, red),
                                 (int64_t)ni - 1);
            }
    free(x), free(want), free(u), free(i64), free(i32);
}

static void test_elements_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, id[] = {1, 2};
    const float x[6] = {0}, u[2] = {1, 2};
    const int64_t bad[] = {0, 3};
    mk_feed f[] = {{"X", 0, 2, xd, x}, {"I", ONNXBN_INT64, 2, id, bad}, {"U", 0, 2, id, u}};
    mk_node *nd;
    mk_model *mm = one(13, "ScatterElements", f, NULL, &nd);
    mk_attr_i(nd, "axis", 1);
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_ARG,
                   "node 'g' (ScatterElements): index 3 on axis 1 is out of range [-3, 3) (element 1 of input 'indices' ('I'))");
    mk_free(mm);
    const int32_t bad32[] = {-3, 0};
    f[1].dtype = ONNXBN_INT32, f[1].data = bad32;
    mk_expect_fail(mm = one(10, "Scatter", f, NULL, NULL), 3, f, ONNXBN_ERR_ARG,
                   "node 'g' (Scatter): index -3 on axis 0 is out of range [-2, 2) (element 0");
    mk_free(mm);
    /* updates not of indices' shape; of another type; a reduction that is not one */
    const int64_t id2[] = {2, 1};
    f[2].dims = id2;
    mk_expect_fail(mm = one(13, "ScatterElements", f, NULL, NULL), 3, f, ONNXBN_ERR_SHAPE,
                   "input 'updates' has shape [2,1], 'indices' has [1,2]");
    mk_free(mm);
    f[2].dims = id;
    const double ud[2] = {1, 2};
    f[2].dtype = ONNXBN_DOUBLE, f[2].data = ud;
    mk_expect_fail(mm = one(13, "ScatterElements", f, NULL, NULL), 3, f, ONNXBN_ERR_TYPE,
                   "input 'updates' ('U') is double, 'data' is float");
    mk_free(mm);
    f[2].dtype = 0, f[2].data = u;
    mk_expect_fail(mm = one(16, "ScatterElements", f, "maximum", NULL), 3, f, ONNXBN_ERR_MODEL,
                   "attribute 'reduction' is 'maximum', expected none, add or mul");
    mk_free(mm);
    /* max is ScatterElements-18's: an opset-18 model binds version 16 and is told so */
    mk_expect_fail(mm = one(18, "ScatterElements", f, "max", NULL), 3, f, ONNXBN_ERR_UNSUPPORTED,
                   "attribute 'reduction' is 'max', which version 18 adds and onnxbn does not implement");
    mk_free(mm);
    /* indices wider than data off the axis */
    const int64_t wide[] = {1, 4};
    const int64_t iw[] = {0, 0, 0, 0};
    const float uw[4] = {0};
    f[1].dtype = ONNXBN_INT64, f[1].dims = wide, f[1].data = iw;
    f[2].dims = wide, f[2].data = uw;
    mk_expect_fail(mm = one(13, "ScatterElements", f, NULL, NULL), 3, f, ONNXBN_ERR_SHAPE,
                   "input 'indices' has 4 on axis 1, above the 3 of 'data'");
    mk_free(mm);
}

/* ---- ScatterND ---- */

static void test_nd_spec(void **state)
{
    (void)state;
    /* Example 1: single elements, then the same with negative indices */
    const int64_t d8[] = {8}, d41[] = {4, 1}, d4[] = {4};
    const float x1[] = {1, 2, 3, 4, 5, 6, 7, 8}, u1[] = {9, 10, 11, 12};
    const float y1[] = {1, 11, 3, 10, 9, 6, 7, 12};
    const int64_t i1[] = {4, 3, 1, 7}, i1n[] = {-4, -5, -7, -1};
    mk_feed f[] = {{"X", 0, 1, d8, x1}, {"I", ONNXBN_INT64, 2, d41, i1}, {"U", 0, 1, d4, u1}};
    expect(one(11, "ScatterND", f, NULL, NULL), f, y1);
    f[1].data = i1n;
    expect(one(13, "ScatterND", f, NULL, NULL), f, y1);
    /* Example 2: slices of 16 (int32 data) */
    const int64_t d444[] = {4, 4, 4}, d21[] = {2, 1}, d244[] = {2, 4, 4};
    int32_t x2[64], u2[32], y2[64];
    const int32_t rows[4][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {8, 7, 6, 5}, {4, 3, 2, 1}};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++)
                x2[a * 16 + b * 4 + c] = a < 2 ? rows[b][c] : rows[(b + 2) % 4][c];
    memcpy(y2, x2, sizeof y2);
    for (int k = 0; k < 32; k++) {
        u2[k] = (k < 16 ? 5 : -3) + k / 4;
        y2[(k < 16 ? 0 : 32) + k % 16] = u2[k];
    }
    const int64_t i2[] = {0, 2};
    mk_feed g[] = {{"X", ONNXBN_INT32, 3, d444, x2}, {"I", ONNXBN_INT64, 2, d21, i2},
                   {"U", ONNXBN_INT32, 3, d244, u2}};
    expect(one(13, "ScatterND", g, NULL, NULL), g, y2);
    /* duplicates: none keeps the last; add and mul (the onnx cases' rule) combine all */
    const int64_t idup[] = {0, 0};
    g[1].data = idup;
    for (int k = 0; k < 16; k++)
        y2[k] = u2[16 + k], y2[32 + k] = x2[32 + k];
    expect(one(16, "ScatterND", g, "none", NULL), g, y2);
    for (int k = 0; k < 16; k++)
        y2[k] = x2[k] + u2[k] + u2[16 + k];
    expect(one(16, "ScatterND", g, "add", NULL), g, y2);
    for (int k = 0; k < 16; k++)
        y2[k] = x2[k] * u2[k] * u2[16 + k];
    expect(one(16, "ScatterND", g, "mul", NULL), g, y2);
}

/* Whole tuples on a 2-D tensor of doubles; an empty tuple (m = 0) replaces the whole tensor. */
static void test_nd_tuples(void **state)
{
    (void)state;
    const int64_t d23[] = {2, 3}, i32[] = {3, 2}, d3[] = {3};
    const double x[] = {0, 1, 2, 3, 4, 5}, u[] = {10, 20, 30};
    const int64_t idx[] = {1, 2, 0, -3, -1, 0}; /* (1,2), (0,0), (1,0) */
    const double y[] = {20, 1, 2, 30, 4, 10};
    mk_feed f[] = {{"X", ONNXBN_DOUBLE, 2, d23, x}, {"I", ONNXBN_INT64, 2, i32, idx},
                   {"U", ONNXBN_DOUBLE, 1, d3, u}};
    expect(one(13, "ScatterND", f, NULL, NULL), f, y);
    /* m = 0: indices (2, 0), updates (2, 2, 3); the second whole tensor wins, or both add */
    const int64_t i20[] = {2, 0}, u223[] = {2, 2, 3};
    const double uw[] = {1, 1, 1, 1, 1, 1, 6, 5, 4, 3, 2, 1};
    const double yw[] = {6, 5, 4, 3, 2, 1}, ya[] = {7, 7, 7, 7, 7, 7};
    f[1].dims = i20; /* no values */
    f[2].rank = 3, f[2].dims = u223, f[2].data = uw;
    expect(one(13, "ScatterND", f, NULL, NULL), f, yw);
    expect(one(16, "ScatterND", f, "add", NULL), f, ya);
}

static void test_nd_errors(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, id[] = {2, 2}, ud[] = {2};
    const float x[6] = {0}, u[2] = {1, 2};
    const int64_t bad[] = {1, 1, 0, 7};
    mk_feed f[] = {{"X", 0, 2, xd, x}, {"I", ONNXBN_INT64, 2, id, bad}, {"U", 0, 1, ud, u}};
    mk_model *mm = one(16, "ScatterND", f, "add", NULL);
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_ARG,
                   "node 'g' (ScatterND): index 7 on axis 1 is out of range [-3, 3) (element 3 of input 'indices' ('I'))");
    mk_free(mm);
    /* updates of the wrong shape; a tuple longer than the rank; int32 indices */
    const int64_t ud3[] = {3};
    f[2].dims = ud3;
    mk_expect_fail(mm = one(13, "ScatterND", f, NULL, NULL), 3, f, ONNXBN_ERR_SHAPE,
                   "input 'updates' has shape [3], expected indices.shape[:-1] + data.shape[2:] (rank 1)");
    mk_free(mm);
    const int64_t i13[] = {1, 3};
    f[1].dims = i13;
    mk_expect_fail(mm = one(13, "ScatterND", f, NULL, NULL), 3, f, ONNXBN_ERR_SHAPE,
                   "input 'indices' has 3 on its last axis, above the rank 2 of 'data'");
    mk_free(mm);
    const int32_t b32[] = {0, 0, 1, 1};
    f[1].dims = id, f[1].dtype = ONNXBN_INT32, f[1].data = b32, f[2].dims = ud;
    mk_expect_fail(mm = one(13, "ScatterND", f, NULL, NULL), 3, f, ONNXBN_ERR_TYPE,
                   "input 'indices' ('I') is int32, ScatterND-13 takes int64");
    mk_free(mm);
    /* string data reaches the operator (elements are handles), whose index check still holds */
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_STRING, 2, xd);
    mk_input(mm, "I", ONNXBN_INT64, 2, id);
    mk_input(mm, "U", ONNXBN_STRING, 1, ud);
    mk_output(mm, "Y", ONNXBN_STRING, -1, NULL);
    mk_node_add(mm, "ScatterND", "g", "X,I,U", "Y");
    const onnxbn_string xs[6] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1}};
    const onnxbn_string us[2] = {{"u", 1}, {"v", 1}};
    mk_feed sf[] = {{"X", ONNXBN_STRING, 2, xd, xs}, {"I", ONNXBN_INT64, 2, id, bad},
                    {"U", ONNXBN_STRING, 1, ud, us}};
    mk_expect_fail(mm, 3, sf, ONNXBN_ERR_ARG, "index 7 on axis 1 is out of range [-3, 3)");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements_spec),
        cmocka_unit_test(test_elements_reduction),
        cmocka_unit_test(test_elements_kernel),
        cmocka_unit_test(test_elements_errors),
        cmocka_unit_test(test_nd_spec),
        cmocka_unit_test(test_nd_tuples),
        cmocka_unit_test(test_nd_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
