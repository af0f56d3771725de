/* SPDX-License-Identifier: Apache-2.0 */
/* test_topk.c — TopK 1/10/11 and its selection kernel: hand-computed ties, NaN and strided axes, every
 * element type, long rows and adversarial orders against a full qsort, and the bad inputs' errors. */
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
#include "kernels/sort.h"
#include "mkmodel.h"

/* A TopK-`opset` node on input X (type dt, rank r) with K an initializer (from 10) or the
 * attribute k (1); largest < 0 leaves the attribute out. */
static mk_model *topk_model(int opset, onnxbn_dtype dt, int r, const int64_t *dims, int64_t k,
                            int64_t axis, int largest)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", dt, r, dims);
    mk_output(mm, "V", dt, -1, NULL);
    mk_output(mm, "I", ONNXBN_INT64, -1, NULL);
    const int64_t one = 1;
    mk_node *n;
    if (opset >= 10) {
        mk_init(mm, "K", ONNXBN_INT64, 1, &one, &k);
        n = mk_node_add(mm, "TopK", "top", "X,K", "V,I");
    } else {
        n = mk_node_add(mm, "TopK", "top", "X", "V,I");
        mk_attr_i(n, "k", k);
    }
    mk_attr_i(n, "axis", axis);
    if (largest >= 0)
        mk_attr_i(n, "largest", largest);
    return mm;
}

static void expect_topk(mk_model *mm, onnxbn_dtype dt, int r, const int64_t *xd, const void *x,
                        const int64_t *yd, const void *v, const int64_t *idx)
{
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", dt, r, xd, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, dt, r, yd, v);
    mk_expect_bytes(s, 1, ONNXBN_INT64, r, yd, idx);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* Ties go to the lower index, NaN ranks above every number (first when largest, last when
 * smallest), as numpy's sort flipped and the spec's tie rule. */
static void test_ties_and_nan(void **state)
{
    (void)state;
    const float x[6] = {3, 1, NAN, 3, 2, NAN};
    const int64_t xd[1] = {6}, yd4[1] = {4}, yd3[1] = {3}, yd6[1] = {6};
    const float big[4] = {NAN, NAN, 3, 3};
    const int64_t big_i[4] = {2, 5, 0, 3};
    expect_topk(topk_model(11, ONNXBN_FLOAT, 1, xd, 4, 0, -1), ONNXBN_FLOAT, 1, xd, x, yd4, big,
                big_i);
    const float small[3] = {1, 2, 3};
    const int64_t small_i[3] = {1, 4, 0};
    expect_topk(topk_model(11, ONNXBN_FLOAT, 1, xd, 3, -1, 0), ONNXBN_FLOAT, 1, xd, x, yd3, small,
                small_i);
    const float all[6] = {1, 2, 3, 3, NAN, NAN};
    const int64_t all_i[6] = {1, 4, 0, 3, 2, 5};
    expect_topk(topk_model(11, ONNXBN_FLOAT, 1, xd, 6, 0, 0), ONNXBN_FLOAT, 1, xd, x, yd6, all,
                all_i);
}

/* axis 0 of a [4, 3] int32 matrix: each column is a strided row. */
static void test_strided_axis_int32(void **state)
{
    (void)state;
    const int32_t x[12] = {5, -1, 7,
                           2, -1, 9,
                           5, 4, -3,
                           8, 0, 9};
    const int64_t xd[2] = {4, 3}, yd[2] = {2, 3};
    const int32_t v[6] = {8, 4, 9,
                          5, 0, 9};
    const int64_t i[6] = {3, 2, 1,
                          0, 3, 3};
    expect_topk(topk_model(11, ONNXBN_INT32, 2, xd, 2, 0, 1), ONNXBN_INT32, 2, xd, x, yd, v, i);
    const int32_t vs[6] = {2, -1, -3,
                           5, -1, 7};
    const int64_t is[6] = {1, 0, 2,
                           0, 1, 0};
    expect_topk(topk_model(11, ONNXBN_INT32, 2, xd, 2, -2, 0), ONNXBN_INT32, 2, xd, x, yd, vs, is);
}

/* The middle axis of a [2, 3, 2] tensor; the other integer types at their extremes. */
static void test_types(void **state)
{
    (void)state;
    const int64_t xd[3] = {2, 3, 2}, yd[3] = {2, 1, 2};
    const uint64_t xu[12] = {UINT64_MAX, 0, 1, 2, UINT64_MAX - 1, 2,
                             7, 7, 7, 8, 6, 8};
    const uint64_t vu[4] = {UINT64_MAX, 2, 7, 8};
    const int64_t iu[4] = {0, 1, 0, 1};
    expect_topk(topk_model(11, ONNXBN_UINT64, 3, xd, 1, 1, 1), ONNXBN_UINT64, 3, xd, xu, yd, vu, iu);
    const int8_t x8[12] = {-128, 127, 0, -1, -128, 5,
                           3, 3, -2, 3, 1, -128};
    const int8_t v8[4] = {-128, -1, -2, -128};
    const int64_t i8[4] = {0, 1, 1, 2};
    expect_topk(topk_model(11, ONNXBN_INT8, 3, xd, 1, 1, 0), ONNXBN_INT8, 3, xd, x8, yd, v8, i8);
    const double xdb[12] = {0.5, -0.0, 0.25, 1e300, -1e300, 0,
                            1, 2, 3, 4, 5, 6};
    const double vdb[4] = {0.5, 1e300, 5, 6};
    const int64_t idb[4] = {0, 1, 2, 2};
    expect_topk(topk_model(11, ONNXBN_DOUBLE, 3, xd, 1, 1, 1), ONNXBN_DOUBLE, 3, xd, xdb, yd, vdb, idb);
    const uint16_t x16[4] = {32, 7, 700, 7}, v16[2] = {700, 32};
    const int64_t x16d[1] = {4}, y16d[1] = {2}, i16[2] = {2, 0};
    expect_topk(topk_model(11, ONNXBN_UINT16, 1, x16d, 2, 0, 1), ONNXBN_UINT16, 1, x16d, x16, y16d,
                v16, i16);
}

/* TopK-1 (k an attribute) and TopK-10 on float16: values come back as the same half bits. */
static void test_v1_v10_float16(void **state)
{
    (void)state;
    const float xf[5] = {0.5f, -2.0f, 65504.0f, 0.5f, -65504.0f};
    uint16_t x[5];
    for (int i = 0; i < 5; i++)
        x[i] = onnxbn_float_to_half(xf[i]);
    const int64_t xd[2] = {1, 5}, yd[2] = {1, 3};
    const uint16_t v[3] = {x[2], x[0], x[3]};
    const int64_t idx[3] = {2, 0, 3};
    expect_topk(topk_model(1, ONNXBN_FLOAT16, 2, xd, 3, 1, -1), ONNXBN_FLOAT16, 2, xd, x, yd, v, idx);
    expect_topk(topk_model(10, ONNXBN_FLOAT16, 2, xd, 3, -1, -1), ONNXBN_FLOAT16, 2, xd, x, yd, v,
                idx);
    /* k = 0: empty outputs. */
    const int64_t y0[2] = {1, 0};
    expect_topk(topk_model(10, ONNXBN_FLOAT16, 2, xd, 0, -1, -1), ONNXBN_FLOAT16, 2, xd, x, y0, v,
                idx);
}

typedef struct ref_item {
    float v;
    int64_t i;
} ref_item;

static int ref_desc(const void *a, const void *b)
{
    const ref_item *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Detection-sized: 3000 of 100 000 scores with many ties (values quantised to 1/256), against a
 * full qsort by (value descending, index ascending); through the kernel and through a session. */
static void test_long_row_against_qsort(void **state)
{
    (void)state;
    const int64_t n = 100000, k = 3000;
    float *x = malloc((size_t)n * sizeof *x);
    ref_item *ref = malloc((size_t)n * sizeof *ref);
    int64_t *got = malloc((size_t)onnxbn_topk_buf(k) * sizeof *got);
    assert_true(x && ref && got);
    uint32_t seed = 12345;
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 24) / 256.0f;
        ref[i] = (ref_item){x[i], i};
    }
    qsort(ref, (size_t)n, sizeof *ref, ref_desc);
    onnxbn_topk_idx(ONNXBN_FLOAT, x, n, 1, k, true, got, NULL);
    for (int64_t j = 0; j < k; j++)
        assert_int_equal(got[j], ref[j].i);

    const int64_t xd[2] = {1, n};
    mk_model *mm = topk_model(11, ONNXBN_FLOAT, 2, xd, k, 1, 1);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", ONNXBN_FLOAT, 2, xd, x};
    mk_run_ok(s, 1, &f);
    const onnxbn_tensor *v = onnxbn_session_output(s, 0), *ix = onnxbn_session_output(s, 1);
    assert_int_equal(onnxbn_tensor_dims(v)[1], k);
    for (int64_t j = 0; j < k; j++) {
        assert_int_equal(((const int64_t *)onnxbn_tensor_cdata(ix))[j], ref[j].i);
        assert_true(((const float *)onnxbn_tensor_cdata(v))[j] == ref[j].v);
    }
    onnxbn_session_free(s);
    mk_free(mm);
    free(x);
    free(ref);
    free(got);
}

/* Orders that stress the selection (every element a new best, none, all equal, organ pipes,
 * few distinct values), largest and smallest, k from 1 to n, against a full qsort. */
static void test_patterns_against_qsort(void **state)
{
    (void)state;
    enum { N = 5000 };
    static float x[N];
    static ref_item ref[N];
    static int64_t got[2 * N + 64];
    const int64_t ks[] = {1, 2, 7, 64, 65, 1000, 2499, N - 1, N};
    for (int pat = 0; pat < 6; pat++) {
        for (int i = 0; i < N; i++) {
            switch (pat) {
            case 0: x[i] = (float)i; break;
            case 1: x[i] = (float)(N - i); break;
            case 2: x[i] = 1.0f; break;
            case 3: x[i] = (float)(i < N / 2 ? i : N - i); break;
            case 4: x[i] = (float)((i * 7919) % 5); break;
            default: x[i] = (float)((i * 2654435761u) % 1000u); break;
            }
        }
        for (int largest = 0; largest < 2; largest++) {
            for (int i = 0; i < N; i++)
                ref[i] = (ref_item){largest ? x[i] : -x[i], i};
            qsort(ref, N, sizeof *ref, ref_desc);
            for (size_t q = 0; q < sizeof ks / sizeof *ks; q++) {
                onnxbn_topk_idx(ONNXBN_FLOAT, x, N, 1, ks[q], largest, got, NULL);
                for (int64_t j = 0; j < ks[q]; j++)
                    if (got[j] != ref[j].i)
                        fail_msg("pattern %d largest %d k %lld: [%lld] is %lld, want %lld", pat,
                                 largest, (long long)ks[q], (long long)j, (long long)got[j],
                                 (long long)ref[j].i);
            }
        }
    }
}

/* Smallest through the kernel on a strided row of int64 (and the float16 widening), by a loop. */
static void test_kernel_smallest_strided(void **state)
{
    (void)state;
    int64_t x[40];
    for (int i = 0; i < 40; i++)
        x[i] = (int64_t)((i * 7) % 10) - 5; /* stride 2 reads i = 0, 2, ... 38 */
    int64_t got[5 + 64 + 5];
    onnxbn_topk_idx(ONNXBN_INT64, x, 20, 2, 5, false, got, NULL);
    /* row r = x[2r] = (14r % 10) - 5: r=0:-5 1:-1 2:3 3:-3 4:1 5:-5 6:-1 7:3 8:-3 9:1 ... period 5 */
    const int64_t want[5] = {0, 5, 10, 15, 3};
    assert_true(onnxbn_topk_buf(5) <= 5 + 64 + 5);
    assert_memory_equal(got, want, sizeof want);
    uint16_t h[6];
    const float hf[6] = {2, -1, 2, 0.5f, -1, 3};
    for (int i = 0; i < 6; i++)
        h[i] = onnxbn_float_to_bf16(hf[i]);
    float tmp[6];
    onnxbn_topk_idx(ONNXBN_BFLOAT16, h, 6, 1, 3, false, got, tmp);
    const int64_t want_h[3] = {1, 4, 3};
    assert_memory_equal(got, want_h, sizeof want_h);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const int64_t xd[2] = {2, 3};
    const float x[6] = {0};
    mk_feed f = {"X", ONNXBN_FLOAT, 2, xd, x};
    /* k larger than the axis: one error naming the node and the sizes. */
    mk_model *mm = topk_model(11, ONNXBN_FLOAT, 2, xd, 4, 1, 1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'top' (TopK): k = 4 is outside [0, 3]");
    mk_free(mm);
    mm = topk_model(11, ONNXBN_FLOAT, 2, xd, -1, 1, 1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "k = -1");
    mk_free(mm);
    mm = topk_model(1, ONNXBN_FLOAT, 2, xd, 3, 2, -1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "axis 2 is outside");
    mk_free(mm);
    /* K with two values. */
    mm = mk_new(11);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "V", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "I", ONNXBN_INT64, -1, NULL);
    const int64_t two = 2, kk[2] = {1, 1};
    mk_init(mm, "K", ONNXBN_INT64, 1, &two, kk);
    mk_node_add(mm, "TopK", "top", "X,K", "V,I");
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "input 'K' ('K') has 2 values");
    mk_free(mm);
    /* TopK-1 with a K input as well as the attribute. */
    mm = mk_new(9);
    mk_input(mm, "X", ONNXBN_FLOAT, 2, xd);
    mk_output(mm, "V", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "I", ONNXBN_INT64, -1, NULL);
    const int64_t one = 1;
    mk_init(mm, "K", ONNXBN_INT64, 1, &one, &one);
    mk_attr_i(mk_node_add(mm, "TopK", "top", "X,K", "V,I"), "k", 1);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_MODEL, "node 'top' (TopK): has 2 inputs, the operator takes 1 to 1");
    mk_free(mm);
    /* int32 is an 11 type, not a 10 one. */
    const int32_t xi[6] = {0};
    mk_feed fi = {"X", ONNXBN_INT32, 2, xd, xi};
    mm = topk_model(10, ONNXBN_INT32, 2, xd, 1, 1, -1);
    mk_expect_fail(mm, 1, &fi, ONNXBN_ERR_TYPE, "TopK-10");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties_and_nan),
        cmocka_unit_test(test_strided_axis_int32),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_v1_v10_float16),
        cmocka_unit_test(test_long_row_against_qsort),
        cmocka_unit_test(test_patterns_against_qsort),
        cmocka_unit_test(test_kernel_smallest_strided),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
