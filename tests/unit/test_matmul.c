/* SPDX-License-Identifier: Apache-2.0 */
/* test_matmul.c — MatMul through the public session API: hand-computed products, 1-D operands,
 * broadcast batches against a naive reference, every element type, and shape/type errors. */
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

/* Y = MatMul(A, B) with both fed as inputs of type dt. */
static mk_model *mm_model(int64_t opset, onnxbn_dtype dt, int ra, const int64_t *da, int rb,
                          const int64_t *db)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "A", dt, ra, da);
    mk_input(m, "B", dt, rb, db);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node_add(m, "MatMul", "mm", "A,B", "Y");
    return m;
}

/* Opens and runs with A and B; returns the status (session in *out when it opened). */
static onnxbn_status open_run(const mk_model *m, onnxbn_dtype dt, int ra, const int64_t *da,
                              const void *a, int rb, const int64_t *db, const void *b,
                              onnxbn_session **out, onnxbn_error *err)
{
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(m, &s, err);
    if (!st) {
        mk_feed f[2] = {{"A", dt, ra, da, a}, {"B", dt, rb, db, b}};
        st = mk_run(s, 2, f, err);
    }
    if (st || !out)
        onnxbn_session_free(s);
    else
        *out = s;
    return st;
}

static void expect_dims(const onnxbn_tensor *t, int rank, const int64_t *dims)
{
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
}

static int64_t numel(int rank, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    return n;
}

static float rnd(uint32_t *st)
{
    *st = *st * 1664525u + 1013904223u;
    return -1.0f + 2.0f * (float)(*st >> 8) / 16777216.0f;
}

/* numpy.matmul in double, by the definition: output index → batch index of A and B (a dim of
 * 1 repeats), then the dot product. Shapes are given already promoted (rank ≥ 2). */
static void ref_matmul(int ra, const int64_t *da, const float *a, int rb, const int64_t *db,
                       const float *b, int ry, const int64_t *dy, double *y)
{
    const int64_t M = dy[ry - 2], N = dy[ry - 1], K = da[ra - 1];
    const int64_t nb = numel(ry - 2, dy);
    for (int64_t o = 0; o < nb; o++) {
        int64_t ia = 0, ib = 0, sa = 1, sb = 1, rem = o;
        for (int d = ry - 3; d >= 0; d--) {
            int64_t k = rem % dy[d];
            rem /= dy[d];
            int ja = d - (ry - ra), jb = d - (ry - rb);
            if (ja >= 0) {
                ia += (da[ja] == 1 ? 0 : k) * sa;
                sa *= da[ja];
            }
            if (jb >= 0) {
                ib += (db[jb] == 1 ? 0 : k) * sb;
                sb *= db[jb];
            }
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)a[(ia * M + i) * K + k] * (double)b[(ib * K + k) * N + j];
                y[(o * M + i) * N + j] = s;
            }
    }
}

/* Random A and B of the given shapes against ref_matmul (the expected output shape is dy). */
static void check_random(int ra, const int64_t *da, int rb, const int64_t *db, int ry,
                         const int64_t *dy, uint32_t seed)
{
    const int64_t na = numel(ra, da), nb = numel(rb, db), ny = numel(ry, dy);
    float *a = malloc((size_t)na * sizeof *a), *b = malloc((size_t)nb * sizeof *b);
    double *want = malloc((size_t)ny * sizeof *want);
    float *wantf = malloc((size_t)ny * sizeof *wantf);
    for (int64_t i = 0; i < na; i++)
        a[i] = rnd(&seed);
    for (int64_t i = 0; i < nb; i++)
        b[i] = rnd(&seed);
    ref_matmul(ra, da, a, rb, db, b, ry, dy, want);
    for (int64_t i = 0; i < ny; i++)
        wantf[i] = (float)want[i];
    mk_model *m = mm_model(13, ONNXBN_FLOAT, ra, da, rb, db);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_run(m, ONNXBN_FLOAT, ra, da, a, rb, db, b, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, ry, dy, wantf, 1e-5, 1e-5);
    onnxbn_session_free(s);
    mk_free(m);
    free(a);
    free(b);
    free(want);
    free(wantf);
}

/* ---- tests ---- */

static void test_2d(void **state)
{
    (void)state;
    const int64_t da[2] = {2, 3}, db[2] = {3, 2}, dy[2] = {2, 2};
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
    /* [1 2 3; 4 5 6]·[7 8; 9 10; 11 12] = [58 64; 139 154] */
    const float want[4] = {58, 64, 139, 154};
    mk_model *m = mm_model(13, ONNXBN_FLOAT, 2, da, 2, db);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_run(m, ONNXBN_FLOAT, 2, da, a, 2, db, b, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 2, dy, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* 1-D A is a row that disappears, 1-D B a column that disappears, both 1-D a dot product. */
static void test_vectors(void **state)
{
    (void)state;
    const float v[3] = {1, 2, 3}, mat[6] = {1, 2, 3, 4, 5, 6};
    const int64_t d3[1] = {3}, d32[2] = {3, 2}, d23[2] = {2, 3};
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};

    mk_model *m = mm_model(13, ONNXBN_FLOAT, 1, d3, 2, d32);
    if (open_run(m, ONNXBN_FLOAT, 1, d3, v, 2, d32, mat, &s, &err))
        fail_msg("%s", err.msg);
    const int64_t d2[1] = {2};
    const float vm[2] = {22, 28}; /* [1 2 3]·[1 2; 3 4; 5 6] */
    mk_expect_f32(s, 0, 1, d2, vm, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);

    m = mm_model(13, ONNXBN_FLOAT, 2, d23, 1, d3);
    if (open_run(m, ONNXBN_FLOAT, 2, d23, mat, 1, d3, v, &s, &err))
        fail_msg("%s", err.msg);
    const float mv[2] = {14, 32}; /* [1 2 3; 4 5 6]·[1 2 3]ᵀ */
    mk_expect_f32(s, 0, 1, d2, mv, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);

    m = mm_model(13, ONNXBN_FLOAT, 1, d3, 1, d3);
    if (open_run(m, ONNXBN_FLOAT, 1, d3, v, 1, d3, v, &s, &err))
        fail_msg("%s", err.msg);
    const float dot[1] = {14};
    mk_expect_f32(s, 0, 0, NULL, dot, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);

    /* 1-D A against a batch of B: (3) × (2,3,2) → (2,2) */
    const int64_t db[3] = {2, 3, 2}, dy[2] = {2, 2};
    const float bb[12] = {1, 2, 3, 4, 5, 6, 1, 0, 0, 1, 1, 1};
    m = mm_model(13, ONNXBN_FLOAT, 1, d3, 3, db);
    if (open_run(m, ONNXBN_FLOAT, 1, d3, v, 3, db, bb, &s, &err))
        fail_msg("%s", err.msg);
    const float want[4] = {22, 28, 1 + 3, 2 + 3};
    mk_expect_f32(s, 0, 2, dy, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_batches(void **state)
{
    (void)state;
    /* B one matrix for every batch (the single-product path), also with B's batch dims of 1 */
    {
        const int64_t da[3] = {4, 3, 5}, db[2] = {5, 6}, dy[3] = {4, 3, 6};
        check_random(3, da, 2, db, 3, dy, 1);
        const int64_t db1[4] = {1, 1, 5, 6}, dy1[4] = {1, 4, 3, 6};
        check_random(3, da, 4, db1, 4, dy1, 2);
    }
    /* both batched, same batch */
    {
        const int64_t da[4] = {2, 3, 4, 5}, db[4] = {2, 3, 5, 2}, dy[4] = {2, 3, 4, 2};
        check_random(4, da, 4, db, 4, dy, 3);
    }
    /* broadcast both ways: (2,1,3,4) × (5,4,2) → (2,5,3,2) */
    {
        const int64_t da[4] = {2, 1, 3, 4}, db[3] = {5, 4, 2}, dy[4] = {2, 5, 3, 2};
        check_random(4, da, 3, db, 4, dy, 4);
    }
    /* A one matrix, B batched */
    {
        const int64_t da[2] = {3, 4}, db[3] = {3, 4, 7}, dy[3] = {3, 3, 7};
        check_random(2, da, 3, db, 3, dy, 5);
    }
    /* sizes past the gemm blocking */
    {
        const int64_t da[3] = {2, 70, 150}, db[2] = {150, 40}, dy[3] = {2, 70, 40};
        check_random(3, da, 2, db, 3, dy, 6);
    }
}

/* K = 0 gives zeros; a 0 batch gives an empty output. */
static void test_empty(void **state)
{
    (void)state;
    const int64_t da[2] = {2, 0}, db[2] = {0, 3}, dy[2] = {2, 3};
    const float zeros[6] = {0};
    mk_model *m = mm_model(13, ONNXBN_FLOAT, 2, da, 2, db);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_run(m, ONNXBN_FLOAT, 2, da, NULL, 2, db, NULL, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 2, dy, zeros, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);

    const int64_t ea[3] = {0, 2, 3}, eb[2] = {3, 4}, ey[3] = {0, 2, 4};
    const float b[12] = {0};
    m = mm_model(13, ONNXBN_FLOAT, 3, ea, 2, eb);
    if (open_run(m, ONNXBN_FLOAT, 3, ea, NULL, 2, eb, b, &s, &err))
        fail_msg("%s", err.msg);
    expect_dims(onnxbn_session_output(s, 0), 3, ey);
    onnxbn_session_free(s);
    mk_free(m);
}

/* One small product in every type: [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50] (batched twice, the
 * second batch negated in A where the type is signed). */
static void test_types(void **state)
{
    (void)state;
    const int64_t da[3] = {2, 2, 2}, db[2] = {2, 2};
    const double av[8] = {1, 2, 3, 4, -1, -2, -3, -4}, bv[4] = {5, 6, 7, 8};
    const double want[8] = {19, 22, 43, 50, -19, -22, -43, -50};
    const onnxbn_dtype types[] = {ONNXBN_DOUBLE, ONNXBN_FLOAT16, ONNXBN_BFLOAT16, ONNXBN_INT32,
                                  ONNXBN_INT64, ONNXBN_UINT32, ONNXBN_UINT64};
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const onnxbn_dtype dt = types[ti];
        const bool uns = dt == ONNXBN_UINT32 || dt == ONNXBN_UINT64;
        onnxbn_tensor *a = NULL, *b = NULL;
        assert_int_equal(onnxbn_tensor_new(dt, 3, da, &a, NULL), ONNXBN_OK);
        assert_int_equal(onnxbn_tensor_new(dt, 2, db, &b, NULL), ONNXBN_OK);
        for (int i = 0; i < 8; i++)
            onnxbn_set_f64(a, i, uns ? fabs(av[i]) : av[i]);
        for (int i = 0; i < 4; i++)
            onnxbn_set_f64(b, i, bv[i]);
        mk_model *m = mm_model(13, dt, 3, da, 2, db);
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        if (open_run(m, dt, 3, da, a->data, 2, db, b->data, &s, &err))
            fail_msg("%s: %s", onnxbn_dtype_name(dt), err.msg);
        const onnxbn_tensor *y = onnxbn_session_output(s, 0);
        const int64_t dy[3] = {2, 2, 2};
        expect_dims(y, 3, dy);
        assert_int_equal(onnxbn_tensor_dtype(y), dt);
        for (int i = 0; i < 8; i++) {
            double w = uns ? fabs(want[i]) : want[i];
            if (onnxbn_get_f64(y, i) != w)
                fail_msg("%s element %d: got %g, expected %g", onnxbn_dtype_name(dt), i,
                         onnxbn_get_f64(y, i), w);
        }
        onnxbn_session_free(s);
        mk_free(m);
        onnxbn_tensor_free(a);
        onnxbn_tensor_free(b);
    }
}

/* Integer products wrap like the type: int32 (2^16)·(2^16) = 2^32 ≡ 0, +3 from the second term. */
static void test_int_wrap(void **state)
{
    (void)state;
    const int64_t da[2] = {1, 2}, db[2] = {2, 1}, dy[2] = {1, 1};
    const int32_t a[2] = {65536, 3}, b[2] = {65536, 1};
    mk_model *m = mm_model(13, ONNXBN_INT32, 2, da, 2, db);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_run(m, ONNXBN_INT32, 2, da, a, 2, db, b, &s, &err))
        fail_msg("%s", err.msg);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    expect_dims(y, 2, dy);
    assert_int_equal(((const int32_t *)onnxbn_tensor_cdata(y))[0], 3);
    onnxbn_session_free(s);
    mk_free(m);

    /* int64 exact beyond 2^53 */
    const int64_t a6[2] = {(INT64_C(1) << 53) + 1, 1}, b6[2] = {1, 2};
    m = mm_model(13, ONNXBN_INT64, 2, da, 2, db);
    if (open_run(m, ONNXBN_INT64, 2, da, a6, 2, db, b6, &s, &err))
        fail_msg("%s", err.msg);
    assert_true(((const int64_t *)onnxbn_tensor_cdata(onnxbn_session_output(s, 0)))[0] ==
                (INT64_C(1) << 53) + 3);
    onnxbn_session_free(s);
    mk_free(m);
}

/* B as an initializer (the exported Linear layer without bias) gives the same as when fed. */
static void test_constant_b(void **state)
{
    (void)state;
    const int64_t da[2] = {2, 3}, db[2] = {3, 2}, dy[2] = {2, 2};
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
    const float want[4] = {58, 64, 139, 154};
    mk_model *m = mk_new(9);
    mk_input(m, "A", ONNXBN_FLOAT, 2, da);
    mk_init_f32(m, "W", 2, db, b);
    mk_output(m, "Y", ONNXBN_FLOAT, 2, dy);
    mk_node_add(m, "MatMul", "mm", "A,W", "Y");
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("%s", err.msg);
    for (int rep = 0; rep < 2; rep++) {
        mk_feed f = {"A", 0, 2, da, a};
        if (mk_run(s, 1, &f, &err))
            fail_msg("%s", err.msg);
        mk_expect_f32(s, 0, 2, dy, want, 0, 0);
    }
    onnxbn_session_free(s);
    mk_free(m);
}

static void expect_fail(int64_t opset, onnxbn_dtype dt, int ra, const int64_t *da, int rb,
                        const int64_t *db, onnxbn_status want, const char *needle)
{
    mk_model *m = mm_model(opset, dt, ra, da, rb, db);
    onnxbn_error err = {0};
    const size_t esz = onnxbn_dtype_size(dt);
    void *a = calloc((size_t)numel(ra, da) + 1, esz), *b = calloc((size_t)numel(rb, db) + 1, esz);
    onnxbn_status st = open_run(m, dt, ra, da, a, rb, db, b, NULL, &err);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("status %s, message '%s'; expected %s with '%s'", onnxbn_status_name(st), err.msg,
                 onnxbn_status_name(want), needle);
    free(a);
    free(b);
    mk_free(m);
}

static void test_errors(void **state)
{
    (void)state;
    const int64_t d23[2] = {2, 3}, d42[2] = {4, 2}, d3[1] = {3}, d2[1] = {2};
    expect_fail(13, ONNXBN_FLOAT, 2, d23, 2, d42, ONNXBN_ERR_SHAPE, "inner dimensions differ");
    expect_fail(13, ONNXBN_FLOAT, 1, d3, 1, d2, ONNXBN_ERR_SHAPE, "inner dimensions differ");
    const int64_t a3[3] = {2, 2, 3}, b3[3] = {3, 3, 2};
    expect_fail(13, ONNXBN_FLOAT, 3, a3, 3, b3, ONNXBN_ERR_SHAPE, "do not broadcast");
    expect_fail(13, ONNXBN_FLOAT, 0, NULL, 1, d3, ONNXBN_ERR_SHAPE, "scalar");
    /* integers only from MatMul-9, bfloat16 from 13 */
    const int64_t d32[2] = {3, 2};
    expect_fail(8, ONNXBN_INT32, 2, d23, 2, d32, ONNXBN_ERR_TYPE, "MatMul-1 takes");
    expect_fail(12, ONNXBN_BFLOAT16, 2, d23, 2, d32, ONNXBN_ERR_TYPE, "MatMul-9 takes");
    expect_fail(13, ONNXBN_INT8, 2, d23, 2, d32, ONNXBN_ERR_TYPE, "MatMul-13 takes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2d),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_int_wrap),
        cmocka_unit_test(test_constant_b),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
