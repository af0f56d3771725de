/* SPDX-License-Identifier: Apache-2.0 */
/* test_maxunpool.c — MaxUnpool: hand-computed scatters (strides, pads, 1-D, whole-tensor flat
 * indices), output_shape, MaxPool's own indices unpooled, the types, and indices out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"

typedef struct up_case {
    int rank;
    int64_t xd[4];
    const float *x;
    const int64_t *ind;
    int nk;
    int64_t k[2], s[2], p[4];
    int np;
    const int64_t *out_shape; /* NULL: none */
    int64_t yd[4];
    const float *y;
} up_case;

static mk_model *up_model(const up_case *c, onnxbn_dtype xt)
{
    mk_model *m = mk_new(11);
    mk_input(m, "X", xt, c->rank, c->xd);
    mk_input(m, "I", ONNXBN_INT64, c->rank, c->xd);
    if (c->out_shape) {
        const int64_t n[1] = {c->rank};
        mk_init(m, "S", ONNXBN_INT64, 1, n, c->out_shape);
    }
    mk_output(m, "Y", xt, -1, NULL);
    mk_node *n = mk_node_add(m, "MaxUnpool", "unpool", c->out_shape ? "X,I,S" : "X,I", "Y");
    mk_attr_ints(n, "kernel_shape", (size_t)c->nk, c->k);
    mk_attr_ints(n, "strides", (size_t)c->nk, c->s);
    if (c->np)
        mk_attr_ints(n, "pads", (size_t)c->np, c->p);
    return m;
}

static void run_case(const up_case *c)
{
    mk_model *m = up_model(c, ONNXBN_FLOAT);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("session: %s", err.msg);
    const mk_feed f[2] = {{"X", ONNXBN_FLOAT, c->rank, c->xd, c->x},
                          {"I", ONNXBN_INT64, c->rank, c->xd, c->ind}};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, c->rank, c->yd, c->y, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static const float X4[4] = {5, 6, 7, 8};
static const int64_t I4[4] = {5, 7, 13, 15};

static void test_default_shape(void **state)
{
    (void)state;
    static const float y[16] = {0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8};
    const up_case c = {4, {1, 1, 2, 2}, X4, I4, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {1, 1, 4, 4}, y};
    run_case(&c);
}

/* output_shape larger than the unpooled shape: the same coordinates, zeros after them. */
static void test_output_shape(void **state)
{
    (void)state;
    static const float y[25] = {0, 0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0, 0};
    static const int64_t os[4] = {1, 1, 5, 5};
    const up_case c = {4, {1, 1, 2, 2}, X4, I4, 2, {2, 2}, {2, 2}, {0}, 0, os, {1, 1, 5, 5}, y};
    run_case(&c);
}

/* kernel 3, stride 2, pads 1: (2 − 1)·2 + 3 − 2 = 3 per dim. */
static void test_pads(void **state)
{
    (void)state;
    static const int64_t ind[4] = {0, 2, 7, 8};
    static const float y[9] = {5, 0, 6, 0, 0, 0, 0, 7, 8};
    const up_case c = {4, {1, 1, 2, 2}, X4, ind, 2, {3, 3}, {2, 2}, {1, 1, 1, 1}, 4, NULL, {1, 1, 3, 3}, y};
    run_case(&c);
}

/* Indices are flat over the whole output, as MaxPool gives them: N = C = 2. */
static void test_whole_tensor_indices(void **state)
{
    (void)state;
    static const int64_t ind[4] = {3, 4, 10, 13};
    static const float y[16] = {0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 7, 0, 0, 8, 0, 0};
    const up_case c = {4, {2, 2, 1, 1}, X4, ind, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {2, 2, 2, 2}, y};
    run_case(&c);
    /* and 1-D: 3 → 6 */
    static const float x3[3] = {1, 2, 3};
    static const int64_t i3[3] = {1, 2, 5};
    static const float y6[6] = {0, 1, 2, 0, 0, 3};
    const up_case d = {3, {1, 1, 3}, x3, i3, 1, {2}, {2}, {0}, 0, NULL, {1, 1, 6}, y6};
    run_case(&d);
}

/* MaxPool's values and indices unpooled: each window's maximum where it was, zeros elsewhere. */
static void test_maxpool_roundtrip(void **state)
{
    (void)state;
    const int64_t xd[4] = {2, 2, 2, 4}, k[2] = {2, 2};
    float x[32], want[32] = {0};
    for (int i = 0; i < 32; i++)
        x[i] = (float)((i * 13) % 32);
    for (int p = 0; p < 4; p++) /* four planes of 2×4, two 2×2 windows each */
        for (int w = 0; w < 2; w++) {
            int best = -1;
            for (int r = 0; r < 2; r++)
                for (int q = 0; q < 2; q++) {
                    int i = p * 8 + r * 4 + w * 2 + q;
                    if (best < 0 || x[i] > x[best])
                        best = i;
                }
            want[best] = x[best];
        }
    mk_model *m = mk_new(11);
    mk_input(m, "X", ONNXBN_FLOAT, 4, xd);
    mk_output(m, "Y", ONNXBN_FLOAT, 4, xd);
    mk_node *mp = mk_node_add(m, "MaxPool", "pool", "X", "P,I");
    mk_attr_ints(mp, "kernel_shape", 2, k);
    mk_attr_ints(mp, "strides", 2, k);
    mk_node *up = mk_node_add(m, "MaxUnpool", "unpool", "P,I", "Y");
    mk_attr_ints(up, "kernel_shape", 2, k);
    mk_attr_ints(up, "strides", 2, k);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("session: %s", err.msg);
    const mk_feed f[1] = {{"X", ONNXBN_FLOAT, 4, xd, x}};
    if (mk_run(s, 1, f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 4, xd, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_types(void **state)
{
    (void)state;
    const double xd[4] = {5, 6, 7, 8};
    const double yd[16] = {0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8};
    const uint16_t xh[4] = {0x4500, 0x4600, 0x4700, 0x4800}; /* 5, 6, 7, 8 */
    const uint16_t yh[16] = {0, 0, 0, 0, 0, 0x4500, 0, 0x4600, 0, 0, 0, 0, 0, 0x4700, 0, 0x4800};
    const up_case c = {4, {1, 1, 2, 2}, NULL, I4, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {1, 1, 4, 4}, NULL};
    for (int t = 0; t < 2; t++) {
        const onnxbn_dtype dt = t ? ONNXBN_DOUBLE : ONNXBN_FLOAT16;
        mk_model *m = up_model(&c, dt);
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
        const mk_feed f[2] = {{"X", dt, 4, c.xd, t ? (const void *)xd : xh},
                              {"I", ONNXBN_INT64, 4, c.xd, I4}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        mk_expect_bytes(s, 0, dt, 4, c.yd, t ? (const void *)yd : yh);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* One error naming the node; never a write outside the output (ASan). */
static void test_bad_input(void **state)
{
    (void)state;
    static const int64_t past[4] = {5, 7, 13, 16}, neg[4] = {-1, 7, 13, 15};
    static const int64_t small[4] = {1, 1, 3, 5}, wrong_n[4] = {2, 1, 4, 4}, short_s[3] = {1, 1, 4};
    const struct {
        up_case c;
        onnxbn_status st;
        const char *text;
    } bad[] = {
        {{4, {1, 1, 2, 2}, X4, past, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {0}, NULL}, ONNXBN_ERR_SHAPE,
         "index 16 at position 3 of 'I' ('I') is outside the 16 elements"},
        {{4, {1, 1, 2, 2}, X4, neg, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {0}, NULL}, ONNXBN_ERR_SHAPE,
         "index -1 at position 0"},
        /* with output_shape, the unpooled shape still bounds the indices: 16 is past 4×4 */
        {{4, {1, 1, 2, 2}, X4, past, 2, {2, 2}, {2, 2}, {0}, 0, (const int64_t[]){1, 1, 5, 5}, {0}, NULL},
         ONNXBN_ERR_SHAPE, "outside the 16 elements"},
        {{4, {1, 1, 2, 2}, X4, I4, 2, {2, 2}, {2, 2}, {0}, 0, small, {0}, NULL}, ONNXBN_ERR_SHAPE,
         "output_shape ('S')"},
        {{4, {1, 1, 2, 2}, X4, I4, 2, {2, 2}, {2, 2}, {0}, 0, wrong_n, {0}, NULL}, ONNXBN_ERR_SHAPE,
         "output_shape ('S')"},
        {{4, {1, 1, 2, 2}, X4, I4, 1, {2}, {2}, {0}, 0, NULL, {0}, NULL}, ONNXBN_ERR_MODEL,
         "kernel_shape has 1 values"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const up_case *c = &bad[i].c;
        mk_model *m = up_model(c, ONNXBN_FLOAT);
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, c->rank, c->xd, c->x},
                              {"I", ONNXBN_INT64, c->rank, c->xd, c->ind}};
        mk_expect_fail(m, 2, f, bad[i].st, "node 'unpool' (MaxUnpool): ");
        mk_expect_fail(m, 2, f, bad[i].st, bad[i].text);
        mk_free(m);
    }
    /* output_shape of the wrong length (a 3-element initializer) */
    {
        const up_case c = {4, {1, 1, 2, 2}, X4, I4, 2, {2, 2}, {2, 2}, {0}, 0, NULL, {0}, NULL};
        mk_model *m = mk_new(11);
        const int64_t n3[1] = {3};
        mk_input(m, "X", ONNXBN_FLOAT, 4, c.xd);
        mk_input(m, "I", ONNXBN_INT64, 4, c.xd);
        mk_init(m, "S", ONNXBN_INT64, 1, n3, short_s);
        mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
        mk_node *n = mk_node_add(m, "MaxUnpool", "unpool", "X,I,S", "Y");
        mk_attr_ints(n, "kernel_shape", 2, c.k);
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, c.xd, X4}, {"I", ONNXBN_INT64, 4, c.xd, I4}};
        mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "output_shape ('S') has 3 values; expected 4");
        mk_free(m);
    }
    /* I of another shape than X */
    {
        mk_model *m = mk_new(11);
        const int64_t xd[4] = {1, 1, 2, 2}, id[4] = {1, 1, 2, 1}, k[2] = {2, 2};
        mk_input(m, "X", ONNXBN_FLOAT, 4, xd);
        mk_input(m, "I", ONNXBN_INT64, 4, id);
        mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
        mk_attr_ints(mk_node_add(m, "MaxUnpool", "unpool", "X,I", "Y"), "kernel_shape", 2, k);
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, xd, X4}, {"I", ONNXBN_INT64, 4, id, I4}};
        mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "input 'I' ('I') is [1,1,2,1], expected X's shape [1,1,2,2]");
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_shape),        cmocka_unit_test(test_output_shape),
        cmocka_unit_test(test_pads),                 cmocka_unit_test(test_whole_tensor_indices),
        cmocka_unit_test(test_maxpool_roundtrip),    cmocka_unit_test(test_types),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
