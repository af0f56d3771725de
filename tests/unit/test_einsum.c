/* SPDX-License-Identifier: Apache-2.0 */
/* test_einsum.c — Einsum: the transformer-shaped equations (and that they run without copies),
 * diagonals, sums, implicit outputs, broadcasting, three operands, the element types, bad equations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"

/* Inputs: ((i·mul + add) mod 11 − 5) / 4, the same formula as the numpy script that made the
 * expected values below (numpy.einsum in float64, exact in float at these sizes). */
static void fill(float *x, int n, int mul, int add)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)((i * mul + add) % 11 - 5) / 4.0f;
}

static const float ATT_QK[12] = {1.375f, -1.1875f, -1.6875f, 1.6875f, -0.9375f, -2.1875f,
                                 0.125f, 0.1875f,  -2.5f,    0.25f,   0.25f,    -2.5f};
static const float BMM[8] = {0.3125f, -0.3125f, 1.0625f, -0.5f, 1.25f, 0.125f, 0.5f, 0.5f};
static const float ELL_MM[8] = {0.3125f, -0.3125f, 1.0625f, -0.5f, -0.25f, 0.6875f, 0.5f, 0.5f};
static const float CHAIN3[8] = {-0.078125f, -0.078125f, 0.78125f, -0.078125f,
                                -0.265625f, 0.15625f,   1.953125f, -0.546875f};
static const float ATT_AV[8] = {0.3125f, -0.3125f, 1.0625f, -0.5f, 1.25f, 0.125f, 0.5f, 0.5f};
static const float DIAG[6] = {-1.0f, 0.5f, -0.75f, 1.0f, -0.25f, 1.25f};
static const float OUTER_T[24] = {0.75f,  0.9375f, -0.5625f, -0.375f,  0.1875f, 0.375f,
                                  -0.5f,  -0.625f, 0.375f,   0.25f,    -0.125f, -0.25f,
                                  1.0f,   1.25f,   -0.75f,   -0.5f,    0.25f,   0.5f,
                                  -0.25f, -0.3125f, 0.1875f, 0.125f,   -0.0625f, -0.125f};

typedef struct operand {
    int rank;
    int64_t dims[4];
    int mul, add;
} operand;

/* One Einsum node over float inputs X0.. made by fill(); returns the session after one run. */
static onnxbn_session *run_eq(const char *eq, int n, const operand *ops, int yr,
                              const int64_t *yd, const float *want)
{
    mk_model *m = mk_new(12);
    char names[64] = "";
    float data[4][64];
    mk_feed f[4];
    char in[4][16];
    for (int k = 0; k < n; k++) {
        snprintf(in[k], sizeof in[k], "X%d", k);
        mk_input(m, in[k], ONNXBN_FLOAT, ops[k].rank, ops[k].dims);
        int64_t cnt = 1;
        for (int d = 0; d < ops[k].rank; d++)
            cnt *= ops[k].dims[d];
        assert_true(cnt <= 64);
        fill(data[k], (int)cnt, ops[k].mul, ops[k].add);
        f[k] = (mk_feed){in[k], ONNXBN_FLOAT, ops[k].rank, ops[k].dims, data[k]};
        strcat(names, k ? ",X" : "X");
        snprintf(names + strlen(names), sizeof names - strlen(names), "%d", k);
    }
    mk_output(m, "Y", ONNXBN_FLOAT, yr, yd);
    mk_node *nd = mk_node_add(m, "Einsum", "es", names, "Y");
    mk_attr_s(nd, "equation", eq);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("%s: session: %s", eq, err.msg);
    if (mk_run(s, (size_t)n, f, &err))
        fail_msg("%s: run: %s", eq, err.msg);
    mk_expect_f32(s, 0, yr, yd, want, 1e-6, 1e-6);
    mk_free(m);
    return s;
}

/* The node's activation memory is its output alone: the equation ran as a GEMM on the inputs
 * and into the output, with no permuted copy in scratch. */
static void expect_no_copies(const onnxbn_session *s, size_t out_floats)
{
    onnxbn_memory_info mi = ONNXBN_MEMORY_INFO_INIT;
    assert_true(onnxbn_session_memory(s, &mi));
    assert_true(mi.arena_lower_bound <= (out_floats * sizeof(float) + 63) / 64 * 64);
}

static void test_attention_scores(void **state)
{
    (void)state;
    const operand ops[2] = {{4, {1, 2, 2, 3}, 7, 1}, {4, {1, 2, 3, 3}, 5, 2}};
    const int64_t yd[4] = {1, 2, 2, 3};
    onnxbn_session *s = run_eq("bhid,bhjd->bhij", 2, ops, 4, yd, ATT_QK);
    expect_no_copies(s, 12);
    onnxbn_session_free(s);
    /* the same with other letters (torch's exports name them freely) */
    s = run_eq("bnqd,bnkd->bnqk", 2, ops, 4, yd, ATT_QK);
    expect_no_copies(s, 12);
    onnxbn_session_free(s);
}

static void test_attention_values(void **state)
{
    (void)state;
    const operand ops[2] = {{4, {1, 2, 2, 3}, 7, 1}, {4, {1, 2, 3, 2}, 5, 2}};
    const int64_t yd[4] = {1, 2, 2, 2};
    onnxbn_session *s = run_eq("bhij,bhjd->bhid", 2, ops, 4, yd, ATT_AV);
    expect_no_copies(s, 8);
    onnxbn_session_free(s);
}

static void test_batched_matmul(void **state)
{
    (void)state;
    const operand ops[2] = {{3, {2, 2, 3}, 7, 1}, {3, {2, 3, 2}, 5, 2}};
    const int64_t yd[3] = {2, 2, 2};
    onnxbn_session *s = run_eq("bij,bjk->bik", 2, ops, 3, yd, BMM);
    expect_no_copies(s, 8);
    onnxbn_session_free(s);
    s = run_eq("...ij,...jk->...ik", 2, ops, 3, yd, BMM);
    expect_no_copies(s, 8);
    onnxbn_session_free(s);
}

static void test_ellipsis_broadcast(void **state)
{
    (void)state;
    /* B has no batch dims: A's batches are rows of one product */
    const operand ops[2] = {{3, {2, 2, 3}, 7, 1}, {2, {3, 2}, 5, 2}};
    const int64_t yd[3] = {2, 2, 2};
    onnxbn_session *s = run_eq("...ij,...jk->...ik", 2, ops, 3, yd, ELL_MM);
    expect_no_copies(s, 8);
    onnxbn_session_free(s);
    /* a size-1 batch dim broadcast against 3: '...j,...j->...' on [2,1,2] and [3,2] */
    const float a[4] = {1, 2, 3, 4}, b[6] = {1, 0, 0, 1, 1, 1};
    const float want[6] = {1, 2, 3, 3, 4, 7};
    mk_model *m = mk_new(12);
    const int64_t ad[3] = {2, 1, 2}, bd[2] = {3, 2}, yd2[2] = {2, 3};
    mk_input(m, "A", ONNXBN_FLOAT, 3, ad);
    mk_input(m, "B", ONNXBN_FLOAT, 2, bd);
    mk_output(m, "Y", ONNXBN_FLOAT, 2, yd2);
    mk_attr_s(mk_node_add(m, "Einsum", "es", "A,B", "Y"), "equation", "...j,...j->...");
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    const mk_feed f[2] = {{"A", ONNXBN_FLOAT, 3, ad, a}, {"B", ONNXBN_FLOAT, 2, bd, b}};
    assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, yd2, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_three_operands(void **state)
{
    (void)state;
    const operand ops[3] = {{2, {2, 3}, 7, 1}, {2, {3, 2}, 5, 2}, {2, {2, 4}, 3, 4}};
    const int64_t yd[2] = {2, 4};
    onnxbn_session_free(run_eq("ij,jk,kl->il", 3, ops, 2, yd, CHAIN3));
}

static void test_diagonal_and_outer(void **state)
{
    (void)state;
    const operand d[1] = {{3, {2, 3, 3}, 7, 1}};
    const int64_t dd[2] = {2, 3};
    onnxbn_session_free(run_eq("bii->bi", 1, d, 2, dd, DIAG));
    const operand o[2] = {{2, {2, 3}, 7, 1}, {1, {4}, 5, 2}};
    const int64_t od[3] = {4, 3, 2};
    onnxbn_session_free(run_eq("ij,k->kji", 2, o, 3, od, OUTER_T));
}

/* Two threads: the batches of a batched product shared out over the pool, and a single product
 * split by columns; an operand that is a weight (initializer). Same values as one thread. */
static void test_threads_and_weights(void **state)
{
    (void)state;
    float q[12], k[18];
    fill(q, 12, 7, 1);
    fill(k, 18, 5, 2);
    const int64_t qd[4] = {1, 2, 2, 3}, kd[4] = {1, 2, 3, 3}, yd[4] = {1, 2, 2, 3};
    for (int w = 0; w < 2; w++) {
        mk_model *m = mk_new(12);
        mk_input(m, "Q", ONNXBN_FLOAT, 4, qd);
        if (w)
            mk_init_f32(m, "K", 4, kd, k);
        else
            mk_input(m, "K", ONNXBN_FLOAT, 4, kd);
        mk_output(m, "Y", ONNXBN_FLOAT, 4, yd);
        mk_attr_s(mk_node_add(m, "Einsum", "es", "Q,K", "Y"), "equation", "bhid,bhjd->bhij");
        size_t len;
        uint8_t *buf = mk_pack(m, &len);
        onnxbn_model *model;
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        onnxbn_options opt = {.size = sizeof opt, .threads = 2};
        if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err) ||
            onnxbn_session_new(model, &opt, &s, &err))
            fail_msg("open: %s", err.msg);
        free(buf);
        const mk_feed f[2] = {{"Q", ONNXBN_FLOAT, 4, qd, q}, {"K", ONNXBN_FLOAT, 4, kd, k}};
        if (mk_run(s, w ? 1 : 2, f, &err))
            fail_msg("run: %s", err.msg);
        mk_expect_f32(s, 0, 4, yd, ATT_QK, 1e-6, 1e-6);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* Hand-computed: x = [[0,1,2],[3,4,5]]. */
static void test_single_operand(void **state)
{
    (void)state;
    const operand x[1] = {{2, {2, 3}, 1, 5}}; /* fill: (i+5)%11-5 = i, /4 */
    const float tr[6] = {0, 0.75f, 0.25f, 1, 0.5f, 1.25f};
    const int64_t trd[2] = {3, 2};
    onnxbn_session_free(run_eq("ba", 1, x, 2, trd, tr)); /* implicit: sorted, so a transpose */
    const float same[6] = {0, 0.25f, 0.5f, 0.75f, 1, 1.25f};
    const int64_t sd[2] = {2, 3};
    onnxbn_session_free(run_eq("Ba", 1, x, 2, sd, same)); /* 'B' sorts before 'a' (ASCII) */
    const float total[1] = {3.75f};
    onnxbn_session_free(run_eq("ij->", 1, x, 0, NULL, total));
    const float rows[2] = {0.75f, 3.0f};
    const int64_t rd[1] = {2};
    onnxbn_session_free(run_eq("ij->i", 1, x, 1, rd, rows));
    const operand sq[1] = {{2, {2, 2}, 1, 5}};
    const float trace[1] = {0.75f}; /* 0 + 3/4 */
    onnxbn_session_free(run_eq("ii", 1, sq, 0, NULL, trace));
}

/* Integers wrap as their type: int8 100·2 + 100·1 = 300 → 44; int32 with signs. */
static void test_integers(void **state)
{
    (void)state;
    const int64_t d2[1] = {2}, d3[1] = {3};
    {
        const int8_t a[2] = {100, 100}, b[2] = {2, 1}, want[1] = {44};
        mk_model *m = mk_new(12);
        mk_input(m, "A", ONNXBN_INT8, 1, d2);
        mk_input(m, "B", ONNXBN_INT8, 1, d2);
        mk_output(m, "Y", ONNXBN_INT8, 0, NULL);
        mk_attr_s(mk_node_add(m, "Einsum", "es", "A,B", "Y"), "equation", "i,i");
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
        const mk_feed f[2] = {{"A", ONNXBN_INT8, 1, d2, a}, {"B", ONNXBN_INT8, 1, d2, b}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        mk_expect_bytes(s, 0, ONNXBN_INT8, 0, NULL, want);
        onnxbn_session_free(s);
        mk_free(m);
    }
    {
        const int32_t a[3] = {1, -2, 3}, b[3] = {4, 5, -6};
        const int32_t want[9] = {4, 5, -6, -8, -10, 12, 12, 15, -18};
        const int64_t yd[2] = {3, 3};
        mk_model *m = mk_new(12);
        mk_input(m, "A", ONNXBN_INT32, 1, d3);
        mk_input(m, "B", ONNXBN_INT32, 1, d3);
        mk_output(m, "Y", ONNXBN_INT32, 2, yd);
        mk_attr_s(mk_node_add(m, "Einsum", "es", "A,B", "Y"), "equation", "i,j->ij");
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
        const mk_feed f[2] = {{"A", ONNXBN_INT32, 1, d3, a}, {"B", ONNXBN_INT32, 1, d3, b}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        mk_expect_bytes(s, 0, ONNXBN_INT32, 2, yd, want);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* float16 (worked in float) and double: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]. */
static void test_half_double(void **state)
{
    (void)state;
    const int64_t d[2] = {2, 2};
    const uint16_t ha[4] = {0x3c00, 0x4000, 0x4200, 0x4400}, hb[4] = {0x4500, 0x4600, 0x4700, 0x4800};
    const uint16_t hy[4] = {0x4cc0, 0x4d80, 0x5160, 0x5240}; /* 19, 22, 43, 50 */
    const double da[4] = {1, 2, 3, 4}, db[4] = {5, 6, 7, 8}, dy[4] = {19, 22, 43, 50};
    for (int t = 0; t < 2; t++) {
        onnxbn_dtype dt = t ? ONNXBN_DOUBLE : ONNXBN_FLOAT16;
        mk_model *m = mk_new(12);
        mk_input(m, "A", dt, 2, d);
        mk_input(m, "B", dt, 2, d);
        mk_output(m, "Y", dt, 2, d);
        mk_attr_s(mk_node_add(m, "Einsum", "es", "A,B", "Y"), "equation", "ij,jk");
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
        const void *a = t ? (const void *)da : ha, *b = t ? (const void *)db : hb;
        const mk_feed f[2] = {{"A", dt, 2, d, a}, {"B", dt, 2, d, b}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        mk_expect_bytes(s, 0, dt, 2, d, t ? (const void *)dy : hy);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* A bad equation is one error naming the node and quoting the equation, never a crash. */
static void expect_bad(const char *eq, int ra, const int64_t *da, int rb, const int64_t *db,
                       onnxbn_status want, const char *text)
{
    float a[64] = {0}, b[64] = {0};
    mk_model *m = mk_new(12);
    mk_input(m, "A", ONNXBN_FLOAT, ra, da);
    if (rb >= 0)
        mk_input(m, "B", ONNXBN_FLOAT, rb, db);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_attr_s(mk_node_add(m, "Einsum", "bad_es", rb >= 0 ? "A,B" : "A", "Y"), "equation", eq);
    const mk_feed f[2] = {{"A", ONNXBN_FLOAT, ra, da, a}, {"B", ONNXBN_FLOAT, rb, db, b}};
    char quoted[128];
    snprintf(quoted, sizeof quoted, "node 'bad_es' (Einsum): equation '%s'", eq);
    mk_expect_fail(m, rb >= 0 ? 2 : 1, f, want, quoted);
    mk_expect_fail(m, rb >= 0 ? 2 : 1, f, want, text);
    mk_free(m);
}

static void test_bad_equations(void **state)
{
    (void)state;
    const int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, d42[2] = {4, 2}, d234[3] = {2, 3, 4};
    expect_bad("ij,jk->i$", 2, d23, 2, d32, ONNXBN_ERR_SHAPE, "does not parse at '$'");
    expect_bad("ij,j.k", 2, d23, 2, d32, ONNXBN_ERR_SHAPE, "does not parse at '.'");
    expect_bad("i...j,...,jk", 2, d23, 2, d32, ONNXBN_ERR_SHAPE, "more operands");
    expect_bad("ij->i->j", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "does not parse at '-'");
    expect_bad("ij,jk", 3, d234, 2, d32, ONNXBN_ERR_SHAPE, "rank 3, its term 2 labels");
    expect_bad("ij,jk", 2, d23, 2, d42, ONNXBN_ERR_SHAPE, "label 'j' is 3 in one operand and 4");
    expect_bad("ij->k", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "output label 'k' is in no input");
    expect_bad("ij->ii", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "appears twice");
    expect_bad("ii->i", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "repeats a label over dims of sizes 2 and 3");
    expect_bad("ij", 2, d23, 2, d32, ONNXBN_ERR_SHAPE, "1 operands, the node 2 inputs");
    expect_bad("...i->i", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "no '...' in the output");
    expect_bad("i......", 2, d23, -1, NULL, ONNXBN_ERR_SHAPE, "two ellipses");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_scores),   cmocka_unit_test(test_attention_values),
        cmocka_unit_test(test_batched_matmul),     cmocka_unit_test(test_ellipsis_broadcast),
        cmocka_unit_test(test_three_operands),     cmocka_unit_test(test_diagonal_and_outer),
        cmocka_unit_test(test_single_operand),     cmocka_unit_test(test_integers),
        cmocka_unit_test(test_half_double),        cmocka_unit_test(test_bad_equations),
        cmocka_unit_test(test_threads_and_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
