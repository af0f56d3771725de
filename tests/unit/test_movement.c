/* SPDX-License-Identifier: Apache-2.0 */
/* test_movement.c — the data-movement operators (Transpose, Concat, Split, Slice, Gather, Expand,
 * Tile, Pad): hand-computed cases for the tricky attributes and a loop reference for transposes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "kernels/movement.h"
#include "mkmodel.h"

/* ---- helpers ---- */



/* One-node model with fed input X; output 0 checked. */
static void check1(const mk_model *mm, onnxbn_dtype xt, int xr, const int64_t *xd, const void *x,
                   int yr, const int64_t *yd, const void *y)
{
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", xt, xr, xd, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, xt, yr, yd, y);
    onnxbn_session_free(s);
}

static int64_t numel(int r, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= d[i];
    return n;
}

static const float F12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* ---- Transpose ---- */

/* Output element at coordinates c is the input element at c permuted back: by index arithmetic. */
static void ref_transpose(const uint8_t *x, uint8_t *y, size_t es, int r, const int64_t *d,
                          const int64_t *perm)
{
    int64_t od[ONNXBN_MAX_RANK], ist[ONNXBN_MAX_RANK], c[ONNXBN_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int k = r - 1; k >= 0; k--) {
        ist[k] = acc;
        acc *= d[k];
    }
    for (int k = 0; k < r; k++)
        od[k] = d[perm[k]];
    for (int64_t o = 0; o < acc; o++) {
        int64_t src = 0;
        for (int k = 0; k < r; k++)
            src += c[k] * ist[perm[k]];
        memcpy(y + (size_t)o * es, x + (size_t)src * es, es);
        for (int k = r - 1; k >= 0 && ++c[k] == od[k]; k--)
            c[k] = 0;
    }
}

static void transpose_case(onnxbn_dtype dt, int r, const int64_t *d, const int64_t *perm)
{
    const size_t es = onnxbn_dtype_size(dt);
    const int64_t n = numel(r, d);
    uint8_t *x = malloc((size_t)n * es + 1), *want = malloc((size_t)n * es + 1);
    assert_non_null(x);
    assert_non_null(want);
    for (size_t k = 0; k < (size_t)n * es; k++)
        x[k] = (uint8_t)(k * 7 + k / 251);
    int64_t def_perm[ONNXBN_MAX_RANK], od[ONNXBN_MAX_RANK];
    for (int k = 0; k < r; k++)
        def_perm[k] = r - 1 - k;
    const int64_t *p = perm ? perm : def_perm;
    for (int k = 0; k < r; k++)
        od[k] = d[p[k]];
    ref_transpose(x, want, es, r, d, p);
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", dt, r, d);
    mk_output(mm, "Y", dt, -1, NULL);
    mk_node *nd = mk_node_add(mm, "Transpose", "t", "X", "Y");
    if (perm)
        mk_attr_ints(nd, "perm", (size_t)r, perm);
    check1(mm, dt, r, d, x, r, od, want);
    mk_free(mm);
    free(x);
    free(want);
}

static void test_transpose(void **state)
{
    (void)state;
    const int64_t d2[] = {37, 53}, d3[] = {4, 5, 6}, d4[] = {2, 3, 17, 19}, d5[] = {2, 1, 3, 1, 4};
    const int64_t p3[] = {1, 0, 2}, p4[] = {0, 2, 3, 1}, p4b[] = {3, 1, 0, 2}, p5[] = {4, 2, 0, 3, 1};
    transpose_case(ONNXBN_FLOAT, 2, d2, NULL);   /* 2-D, blocked */
    transpose_case(ONNXBN_FLOAT, 3, d3, p3);     /* last axis kept: row copies */
    transpose_case(ONNXBN_FLOAT, 4, d4, p4);     /* NCHW → NHWC */
    transpose_case(ONNXBN_INT8, 4, d4, p4b);
    transpose_case(ONNXBN_DOUBLE, 3, d3, NULL);
    transpose_case(ONNXBN_FLOAT16, 5, d5, p5);   /* axes of size 1 */
    transpose_case(ONNXBN_COMPLEX128, 2, d2, NULL);
}

static void test_transpose_bad_perm(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3}, perm[] = {1, 1};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "Transpose", "t", "X", "Y"), "perm", 2, perm);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "not a permutation");
    mk_free(mm);
}

/* A strided copy with a negative stride on one axis and a zero stride on another. */
static void test_copy_plan_strides(void **state)
{
    (void)state;
    const int32_t x[] = {0, 1, 2, 3, 4, 5};
    int32_t y[12] = {0};
    /* y[a][b][c] = x[(2-a)·... ]: dims (3, 2, 2), strides (-2, 0, 1) from x + 4 */
    const int64_t dims[] = {3, 2, 2}, strides[] = {-2, 0, 1};
    onnxbn_copy_plan p;
    onnxbn_copy_plan_init(&p, 4, 3, dims, strides);
    onnxbn_copy_plan_run(&p, y, x + 4);
    const int32_t want[] = {4, 5, 4, 5, 2, 3, 2, 3, 0, 1, 0, 1};
    assert_memory_equal(y, want, sizeof want);
}

/* 4-byte transposes of every edge case of the 8x8 register tiles (whole tiles, ragged edges in
 * either axis, fewer than 8 rows or columns), over an outer batch axis, against the loop; nothing
 * written past the output. Runs the tile path at ONNXBN_ISA avx2/avx512, the scalar at generic. */
static void test_transpose_tiles(void **state)
{
    (void)state;
    static const int64_t sizes[] = {1, 7, 8, 9, 15, 16, 17, 24, 33, 100};
    const size_t ns = sizeof sizes / sizeof sizes[0];
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            const int64_t B = 2, R = sizes[i], C = sizes[j], n = B * R * C;
            uint32_t *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)(n + 1) * sizeof *y);
            assert_true(x && y);
            for (int64_t k = 0; k < n; k++)
                x[k] = (uint32_t)(k * 2654435761u);
            /* y[b][c][r] = x[b][r][c]: dims (B, C, R), strides (R·C, 1, C) */
            const int64_t dims[] = {B, C, R}, strides[] = {R * C, 1, C};
            onnxbn_copy_plan p;
            onnxbn_copy_plan_init(&p, 4, 3, dims, strides);
            y[n] = 0xdeadbeefu;
            onnxbn_copy_plan_run(&p, y, x);
            for (int64_t b = 0; b < B; b++)
                for (int64_t c = 0; c < C; c++)
                    for (int64_t r = 0; r < R; r++)
                        if (y[(b * C + c) * R + r] != x[(b * R + r) * C + c])
                            fail_msg("%lldx%lld: y[%lld][%lld][%lld] wrong", (long long)R,
                                     (long long)C, (long long)b, (long long)c, (long long)r);
            assert_true(y[n] == 0xdeadbeefu);
            free(x);
            free(y);
        }
}

/* ---- Concat, Split ---- */

static void test_concat(void **state)
{
    (void)state;
    const int64_t ad[] = {2, 1}, bd[] = {2, 3}, yd[] = {2, 4};
    const float a[] = {10, 20}, b[] = {1, 2, 3, 4, 5, 6};
    const float want[] = {10, 1, 2, 3, 20, 4, 5, 6};
    mk_model *mm = mk_new(13);
    mk_input(mm, "A", ONNXBN_FLOAT, 2, ad);
    mk_init_f32(mm, "B", 2, bd, b);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Concat", "c", "A,B", "Y"), "axis", -1);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"A", 0, 2, ad, a};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, yd, want);
    onnxbn_session_free(s);
    mk_free(mm);
    /* Concat-1: axis defaults to 1 */
    mm = mk_new(1);
    mk_input(mm, "A", ONNXBN_FLOAT, 2, ad);
    mk_init_f32(mm, "B", 2, bd, b);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Concat", "c", "A,B", "Y");
    s = mk_open_ok(mm);
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, yd, want);
    onnxbn_session_free(s);
    mk_free(mm);
    /* shapes that differ off the axis */
    mm = mk_new(13);
    mk_input(mm, "A", ONNXBN_FLOAT, 2, ad);
    mk_init_f32(mm, "B", 2, bd, b);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Concat", "c", "A,B", "Y"), "axis", 0);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "may differ only on axis 0");
    mk_free(mm);
}

static void test_split(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, sd[] = {2}, lens[] = {1, 2}, ad[] = {2, 1}, bd[] = {2, 2};
    const float x[] = {0, 1, 2, 3, 4, 5}, a[] = {0, 3}, b[] = {1, 2, 4, 5};
    /* Split-13: lengths as an input, on axis -1 */
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "s", ONNXBN_INT64, 1, sd, lens);
    mk_output(mm, "A", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Split", "p", "X,s", "A,B"), "axis", -1);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", 0, 2, xd, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, ad, a);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 2, bd, b);
    onnxbn_session_free(s);
    mk_free(mm);
    /* Split-11: attribute with a zero length */
    const int64_t lz[] = {0, 3}, zd[] = {2, 0};
    mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "A", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(mm, "Split", "p", "X", "A,B");
    mk_attr_i(n, "axis", 1);
    mk_attr_ints(n, "split", 2, lz);
    s = mk_open_ok(mm);
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, zd, NULL);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 2, xd, x);
    onnxbn_session_free(s);
    mk_free(mm);
    /* Split-2 with axis -1 (PyTorch's GLU at opset 6): equal parts on the last axis */
    const int64_t gd[] = {3, 2}, g1[] = {3, 1};
    const float ga[] = {0, 2, 4}, gb[] = {1, 3, 5};
    mm = mk_new(6);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, gd);
    mk_output(mm, "A", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Split", "p", "X", "A,B"), "axis", -1);
    s = mk_open_ok(mm);
    mk_feed fg = {"X", 0, 2, gd, x};
    mk_run_ok(s, 1, &fg);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, g1, ga);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 2, g1, gb);
    onnxbn_session_free(s);
    mk_free(mm);
    /* Split-2, equal parts on axis 0; and 3 does not split into 2 */
    const int64_t hd[] = {1, 3};
    mm = mk_new(2);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "A", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Split", "p", "X", "A,B");
    s = mk_open_ok(mm);
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 2, hd, x);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 2, hd, x + 3);
    onnxbn_session_free(s);
    mk_free(mm);
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "A", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "B", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Split", "p", "X", "A,B"), "axis", 1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "equal parts");
    mk_free(mm);
}

/* ---- Slice ---- */

static void slice_case(const int64_t *xd, int r, int n, const int64_t *starts, const int64_t *ends,
                       const int64_t *axes, const int64_t *steps, int yr, const int64_t *yd,
                       const float *want)
{
    const int64_t nd[] = {n};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, r, xd);
    mk_init(mm, "s", ONNXBN_INT64, 1, nd, starts);
    mk_init(mm, "e", ONNXBN_INT64, 1, nd, ends);
    if (axes)
        mk_init(mm, "a", ONNXBN_INT64, 1, nd, axes);
    if (steps)
        mk_init(mm, "p", ONNXBN_INT64, 1, nd, steps);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Slice", "s", steps ? "X,s,e,a,p" : axes ? "X,s,e,a" : "X,s,e", "Y");
    check1(mm, ONNXBN_FLOAT, r, xd, F12, yr, yd, want);
    mk_free(mm);
}

static void test_slice(void **state)
{
    (void)state;
    const int64_t d10[] = {10}, d34[] = {3, 4};
    /* backwards from the last element with INT64_MIN as the end: 9, 6, 3, 0 */
    const int64_t s1[] = {-1}, e1[] = {INT64_MIN}, p1[] = {-3}, a1[] = {0}, y1[] = {4};
    const float w1[] = {9, 6, 3, 0};
    slice_case(d10, 1, 1, s1, e1, a1, p1, 1, y1, w1);
    /* rows 2, 1, 0 (end -4 + 3 = -1: clamped to -1, i.e. through row 0), columns 1, 3 */
    const int64_t s2[] = {2, 1}, e2[] = {-4, 1000}, a2[] = {0, 1}, p2[] = {-1, 2}, y2[] = {3, 2};
    const float w2[] = {9, 11, 5, 7, 1, 3};
    slice_case(d34, 2, 2, s2, e2, a2, p2, 2, y2, w2);
    /* omitted axes and steps; a start past the end gives an empty axis */
    const int64_t s3[] = {1, 5}, e3[] = {3, 10}, y3[] = {2, 0};
    slice_case(d34, 2, 2, s3, e3, NULL, NULL, 2, y3, NULL);
    /* negative axis, default steps */
    const int64_t s4[] = {-3}, e4[] = {-1}, a4[] = {-1}, y4[] = {3, 2};
    const float w4[] = {1, 2, 5, 6, 9, 10};
    slice_case(d34, 2, 1, s4, e4, a4, NULL, 2, y4, w4);
    /* a step larger than the axis takes the start element only */
    const int64_t s5[] = {1}, e5[] = {INT64_MAX}, a5[] = {1}, p5[] = {INT64_MAX}, y5[] = {3, 1};
    const float w5[] = {1, 5, 9};
    slice_case(d34, 2, 1, s5, e5, a5, p5, 2, y5, w5);
}

static void test_slice_v1_and_errors(void **state)
{
    (void)state;
    const int64_t d34[] = {3, 4}, st[] = {1, 0}, en[] = {2, 3}, yd[] = {1, 3};
    const float want[] = {4, 5, 6};
    mk_model *mm = mk_new(1);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d34);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(mm, "Slice", "s", "X", "Y");
    mk_attr_ints(n, "starts", 2, st);
    mk_attr_ints(n, "ends", 2, en);
    check1(mm, ONNXBN_FLOAT, 2, d34, F12, 2, yd, want);
    mk_free(mm);
    /* step 0 */
    const int64_t one[] = {1}, z[] = {0}, nd[] = {1};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d34);
    mk_init(mm, "s", ONNXBN_INT64, 1, nd, z);
    mk_init(mm, "e", ONNXBN_INT64, 1, nd, one);
    mk_init(mm, "a", ONNXBN_INT64, 1, nd, z);
    mk_init(mm, "p", ONNXBN_INT64, 1, nd, z);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Slice", "s", "X,s,e,a,p", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "step of axis 0 is 0");
    mk_free(mm);
}

/* ---- Gather ---- */

static void test_gather(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, id[] = {1, 2}, yd[] = {2, 1, 2};
    const float x[] = {0, 1, 2, 3, 4, 5};
    const int32_t idx[] = {-1, 0};
    const float want[] = {2, 0, 5, 3};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_input(mm, "I", ONNXBN_INT32, 2, id);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "Gather", "g", "X,I", "Y"), "axis", 1);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f[] = {{"X", 0, 2, xd, x}, {"I", ONNXBN_INT32, 2, id, idx}};
    mk_run_ok(s, 2, f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, yd, want);
    /* an index out of range is an error at run time, not a read outside the buffer */
    const int32_t bad[] = {3, 0};
    f[1].data = bad;
    onnxbn_error err = {0};
    assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_ERR_ARG);
    assert_non_null(strstr(err.msg, "index 3 at position 0"));
    onnxbn_session_free(s);
    mk_free(mm);
    /* scalar indices on axis 0 drop the axis */
    const int64_t one = 1, rd[] = {3};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "I", ONNXBN_INT64, 0, NULL, &one);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Gather", "g", "X,I", "Y");
    check1(mm, ONNXBN_FLOAT, 2, xd, x, 1, rd, x + 3);
    mk_free(mm);
}

/* ---- Expand, Tile ---- */

static void test_expand(void **state)
{
    (void)state;
    const int64_t xd[] = {3, 1}, sd[] = {3}, shape[] = {2, 1, 4}, yd[] = {2, 3, 4};
    const float x[] = {1, 2, 3};
    float want[24];
    for (int k = 0; k < 24; k++)
        want[k] = x[(k / 4) % 3];
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "s", ONNXBN_INT64, 1, sd, shape);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Expand", "e", "X,s", "Y");
    check1(mm, ONNXBN_FLOAT, 2, xd, x, 3, yd, want);
    mk_free(mm);
    const int64_t bad[] = {2, 2, 4};
    mm = mk_new(8);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_init(mm, "s", ONNXBN_INT64, 1, sd, bad);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Expand", "e", "X,s", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "does not broadcast");
    mk_free(mm);
}

static void test_tile(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 2}, rd[] = {2}, rep[] = {2, 3}, yd[] = {4, 6};
    const int16_t x[] = {1, 2, 3, 4};
    const int16_t want[] = {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
                            1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_INT16, 2, xd);
    mk_init(mm, "r", ONNXBN_INT64, 1, rd, rep);
    mk_output(mm, "Y", ONNXBN_INT16, -1, NULL);
    mk_node_add(mm, "Tile", "t", "X,r", "Y");
    check1(mm, ONNXBN_INT16, 2, xd, x, 2, yd, want);
    mk_free(mm);
    /* a last axis of size 1 repeated: one repeating run per row */
    const int64_t cd[] = {2, 1}, rep3[] = {2, 3}, y3[] = {4, 3};
    const int16_t c[] = {7, 8}, w3[] = {7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8};
    mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_INT16, 2, cd);
    mk_init(mm, "r", ONNXBN_INT64, 1, rd, rep3);
    mk_output(mm, "Y", ONNXBN_INT16, -1, NULL);
    mk_node_add(mm, "Tile", "t", "X,r", "Y");
    check1(mm, ONNXBN_INT16, 2, cd, c, 2, y3, w3);
    mk_free(mm);
    const int64_t rep0[] = {0, 1}, y0[] = {0, 2};
    mm = mk_new(6);
    mk_input(mm, "X", ONNXBN_INT16, 2, xd);
    mk_init(mm, "r", ONNXBN_INT64, 1, rd, rep0);
    mk_output(mm, "Y", ONNXBN_INT16, -1, NULL);
    mk_node_add(mm, "Tile", "t", "X,r", "Y");
    check1(mm, ONNXBN_INT16, 2, xd, x, 2, y0, NULL);
    mk_free(mm);
}

/* ---- Pad ---- */

static void pad11_case(const char *mode, int r, const int64_t *xd, const float *x, const int64_t *pads,
                       const float *value, int yr, const int64_t *yd, const float *want)
{
    const int64_t pd[] = {2 * r};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, r, xd);
    mk_init(mm, "p", ONNXBN_INT64, 1, pd, pads);
    if (value)
        mk_init(mm, "v", ONNXBN_FLOAT, 0, NULL, value);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(mm, "Pad", "p", value ? "X,p,v" : "X,p", "Y");
    if (mode)
        mk_attr_s(n, "mode", mode);
    check1(mm, ONNXBN_FLOAT, r, xd, x, yr, yd, want);
    mk_free(mm);
}

static void test_pad(void **state)
{
    (void)state;
    /* numpy.pad([1,2,3], (4,1), 'reflect') = [1,2,3,2,1,2,3,2]: wider than the axis */
    const int64_t d3[] = {3}, p1[] = {4, 1}, y1[] = {8};
    const float x3[] = {1, 2, 3}, w1[] = {1, 2, 3, 2, 1, 2, 3, 2};
    pad11_case("reflect", 1, d3, x3, p1, NULL, 1, y1, w1);
    /* numpy.pad([[1,2,3],[4,5,6]], ((1,0),(2,2)), 'edge') */
    const int64_t d23[] = {2, 3}, p2[] = {1, 2, 0, 2}, y2[] = {3, 7};
    const float x23[] = {1, 2, 3, 4, 5, 6};
    const float w2[] = {1, 1, 1, 2, 3, 3, 3, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6, 6, 6};
    pad11_case("edge", 2, d23, x23, p2, NULL, 2, y2, w2);
    /* constant with a value, cropping one column at the start of axis 1 */
    const int64_t p3[] = {0, -1, 1, 1}, y3[] = {3, 3};
    const float v = 9, w3[] = {2, 3, 9, 5, 6, 9, 9, 9, 9};
    pad11_case(NULL, 2, d23, x23, p3, &v, 2, y3, w3);
    /* cropping past the start is an error */
    const int64_t p4[] = {0, -4, 0, 0};
    const int64_t pd[] = {4};
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d23);
    mk_init(mm, "p", ONNXBN_INT64, 1, pd, p4);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(mm, "Pad", "p", "X,p", "Y");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "remove more than the 3 elements of axis 1");
    mk_free(mm);
}

/* int8 reflect with pads wider than both axes (numpy.pad(x, ((2,1),(5,4)), 'reflect')): rows
 * mirrored as well as columns, and backwards runs inside a row. */
static void test_pad_reflect_wide(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, pd[] = {4}, pads[] = {2, 5, 1, 4}, yd[] = {5, 12};
    const int8_t x[] = {1, 2, 3, 4, 5, 6};
    const int8_t want[] = {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 5, 4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6,
                           2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 5, 4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6,
                           2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3};
    mk_model *mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_INT8, 2, xd);
    mk_init(mm, "p", ONNXBN_INT64, 1, pd, pads);
    mk_output(mm, "Y", ONNXBN_INT8, -1, NULL);
    mk_attr_s(mk_node_add(mm, "Pad", "p", "X,p", "Y"), "mode", "reflect");
    check1(mm, ONNXBN_INT8, 2, xd, x, 2, yd, want);
    mk_free(mm);
}

static void test_pad_v2_attributes(void **state)
{
    (void)state;
    const int64_t d23[] = {2, 3}, pads[] = {0, 1, 1, 0}, yd[] = {3, 4};
    const float x23[] = {1, 2, 3, 4, 5, 6};
    const float want[] = {-1, 1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1};
    mk_model *mm = mk_new(2);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d23);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(mm, "Pad", "p", "X", "Y");
    mk_attr_ints(n, "pads", 4, pads);
    mk_attr_f(n, "value", -1.0f);
    check1(mm, ONNXBN_FLOAT, 2, d23, x23, 2, yd, want);
    mk_free(mm);
    mm = mk_new(2);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, d23);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    n = mk_node_add(mm, "Pad", "p", "X", "Y");
    mk_attr_ints(n, "pads", 4, pads);
    mk_attr_s(n, "mode", "wrap");
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_MODEL, "'wrap'");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose),
        cmocka_unit_test(test_transpose_bad_perm),
        cmocka_unit_test(test_copy_plan_strides),
        cmocka_unit_test(test_transpose_tiles),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_slice_v1_and_errors),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_tile),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_pad_reflect_wide),
        cmocka_unit_test(test_pad_v2_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
