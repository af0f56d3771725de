/* SPDX-License-Identifier: Apache-2.0 */
/* test_weights.c — weights held once: a weight only plan-time folding reads is released once
 * folded, one a run still reads is kept, and re-plans for new shapes reuse the folded forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "model.h"

/* The session's ModelProto initializer called name (the test fails when there is none). */
static const Onnx__TensorProto *init_of(const onnxbn_session *s, const char *name)
{
    const Onnx__GraphProto *gp = onnxbn_session_model(s)->proto->graph;
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (!strcmp(gp->initializer[i]->name, name))
            return gp->initializer[i];
    fail_msg("no initializer '%s'", name);
    return NULL;
}

static const float W[12] = {1, 2, 3, 4, -1, 0, 0.5f, 2, 0, -3, 1, 1}; /* 3x4 */
static const float B[3] = {0.25f, -1, 2};
static const float X[3 * 4] = {1, 0, -1, 2, 0.5f, 0.5f, 0, 1, -2, 1, 3, 0};

/* y[n][j] = sum_k x[n][k] w[j][k] + 2 b[j]: a Linear layer as torch exports it, plus an Identity
 * of the bias that folding turns into a constant too. */
static void linear_ref(int64_t n, float *y)
{
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < 3; j++) {
            float acc = 0;
            for (int k = 0; k < 4; k++)
                acc += X[r * 4 + k] * W[j * 4 + k];
            y[r * 3 + j] = acc + 2 * B[j];
        }
}

static void run_linear(onnxbn_session *s, int64_t n)
{
    const int64_t dx[] = {n, 4}, dy[] = {n, 3};
    float want[9];
    linear_ref(n, want);
    onnxbn_error err = {0};
    mk_feed f = {"X", 0, 2, dx, X};
    assert_int_equal(mk_run(s, 1, &f, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, dy, want, 1e-6, 1e-6);
}

/* W is read only by the Transpose the plan folds: released from the ModelProto once folded.
 * B is read by the Identity (folded) and by the Add (a run step): kept, with its bytes. Batch
 * 2 and 3 re-plan (MatMul packs its weight from the kept transpose at batch >= 2). */
static void test_folded_weight_released(void **state)
{
    (void)state;
    const int64_t dw[] = {3, 4}, db[] = {3}, dx[] = {-1, 4}, dy[] = {-1, 3};
    for (int typed = 0; typed < 2; typed++) { /* raw_data (borrowed), then float_data (copied) */
        mk_model *m = mk_new(13);
        mk_input(m, "X", ONNXBN_FLOAT, 2, dx);
        mk_output(m, "Y", ONNXBN_FLOAT, 2, dy);
        if (typed)
            mk_init_typed(m, "W", ONNXBN_FLOAT, 2, dw, W);
        else
            mk_init_f32(m, "W", 2, dw, W);
        mk_init_f32(m, "B", 1, db, B);
        mk_node_add(m, "Transpose", "t", "W", "Wt");
        mk_node_add(m, "MatMul", "mm", "X,Wt", "P");
        mk_node_add(m, "Identity", "id", "B", "Bi");
        mk_node_add(m, "Add", "add1", "P,B", "Q");
        mk_node_add(m, "Add", "add2", "Q,Bi", "Y");
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
        run_linear(s, 1);
        if (!typed)
            assert_int_equal(init_of(s, "W")->raw_data.len, 0);
        assert_int_equal(init_of(s, "B")->raw_data.len, sizeof B);
        assert_memory_equal(init_of(s, "B")->raw_data.data, B, sizeof B);
        run_linear(s, 2);
        run_linear(s, 3);
        run_linear(s, 1);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* A shape rule reads the contents of S (Reshape's shape), also in later plans: S stays while
 * the weight it reshapes goes. */
static void test_shape_input_kept(void **state)
{
    (void)state;
    const int64_t dw[] = {2, 6}, ds[] = {2}, dx[] = {-1, 4}, dy[] = {-1, 3}, shape[] = {3, 4};
    const float zero[3] = {0, 0, 0};
    mk_model *m = mk_new(13);
    mk_input(m, "X", ONNXBN_FLOAT, 2, dx);
    mk_output(m, "Y", ONNXBN_FLOAT, 2, dy);
    mk_init_f32(m, "W", 2, dw, W); /* W's 12 values as 2x6: Reshape gives back the 3x4 */
    mk_init(m, "S", ONNXBN_INT64, 1, ds, shape);
    mk_init_f32(m, "B", 1, (const int64_t[]){3}, B);
    mk_init_f32(m, "Z", 1, (const int64_t[]){3}, zero);
    mk_node_add(m, "Reshape", "r", "W,S", "W34");
    mk_node_add(m, "Transpose", "t", "W34", "Wt");
    mk_node_add(m, "MatMul", "mm", "X,Wt", "P");
    mk_node_add(m, "Add", "b2", "B,B", "B2"); /* 2b, folded */
    mk_node_add(m, "Add", "add", "P,B2", "Q");
    mk_node_add(m, "Add", "addz", "Q,Z", "Y");
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    run_linear(s, 3);
    assert_int_equal(init_of(s, "W")->raw_data.len, 0);
    assert_int_equal(init_of(s, "B")->raw_data.len, 0);
    assert_int_equal(init_of(s, "S")->raw_data.len, sizeof shape);
    assert_memory_equal(init_of(s, "S")->raw_data.data, shape, sizeof shape);
    assert_int_equal(init_of(s, "Z")->raw_data.len, sizeof zero);
    run_linear(s, 1);
    run_linear(s, 2);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A weight that is also a graph output is handed back as it is: never released. */
static void test_output_weight_kept(void **state)
{
    (void)state;
    const int64_t dw[] = {3, 4}, dwt[] = {4, 3};
    float wt[12];
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 4; k++)
            wt[k * 3 + j] = W[j * 4 + k];
    mk_model *m = mk_new(13);
    mk_output(m, "W", ONNXBN_FLOAT, 2, dw);
    mk_output(m, "Wt", ONNXBN_FLOAT, 2, dwt);
    mk_init_f32(m, "W", 2, dw, W);
    mk_node_add(m, "Transpose", "t", "W", "Wt");
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    assert_int_equal(mk_run(s, 0, NULL, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, dw, W, 0, 0);
    mk_expect_f32(s, 1, 2, dwt, wt, 0, 0);
    assert_int_equal(init_of(s, "W")->raw_data.len, sizeof W);
    onnxbn_session_free(s);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folded_weight_released),
        cmocka_unit_test(test_shape_input_kept),
        cmocka_unit_test(test_output_weight_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
