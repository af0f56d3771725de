/* SPDX-License-Identifier: Apache-2.0 */
/* test_introspect.c — the Introspection block of onnxbn.h: node inputs/outputs by name, what a
 * value is declared as (graph input, value_info-less intermediate, initializer), the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"

/* x[N,3] -> Gemm(W[4,3], B[4], transB) -> h -> BatchNormalization(s,b,m,v) -> y ; an unknown op. */
static onnxbn_model *load_sample(void)
{
    mk_model *mk = mk_new(13);
    int64_t xd[2] = {-1, 3}, wd[2] = {4, 3}, bd[1] = {4}, yd[2] = {-1, 4};
    float w[12] = {0}, b[4] = {0};
    mk_input(mk, "x", ONNXBN_FLOAT, 2, xd);
    mk_output(mk, "y", ONNXBN_FLOAT, 2, yd);
    mk_output(mk, "z", ONNXBN_UNDEFINED, -1, NULL);
    mk_init_f32(mk, "W", 2, wd, w);
    mk_init_f32(mk, "B", 1, bd, b);
    mk_init_f32(mk, "s", 1, bd, b);
    mk_init_f32(mk, "m", 1, bd, b);
    mk_init_f32(mk, "v", 1, bd, b);
    mk_attr_i(mk_node_add(mk, "Gemm", "fc", "x,W,B", "h"), "transB", 1);
    mk_node_add(mk, "BatchNormalization", NULL, "h,s,B,m,v", "y");
    mk_node_add(mk, "Frobnicate", "odd", "y,,x", "z");
    size_t len;
    uint8_t *buf = mk_pack(mk, &len);
    onnxbn_model *m = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err), ONNXBN_OK);
    free(buf);
    mk_free(mk);
    return m;
}

static void node_wiring(void **state)
{
    (void)state;
    onnxbn_model *m = load_sample();
    assert_int_equal(onnxbn_model_node_count(m), 3);
    assert_int_equal(onnxbn_model_node_input_count(m, 0), 3);
    assert_string_equal(onnxbn_model_node_input(m, 0, 1), "W");
    assert_int_equal(onnxbn_model_node_output_count(m, 1), 1);
    assert_string_equal(onnxbn_model_node_output(m, 1, 0), "y");
    /* An omitted optional input is an empty slot that still counts. */
    assert_int_equal(onnxbn_model_node_input_count(m, 2), 3);
    assert_string_equal(onnxbn_model_node_input(m, 2, 1), "");
    assert_string_equal(onnxbn_model_node_input(m, 2, 2), "x");
    /* Out of range: empty, never a crash. */
    assert_string_equal(onnxbn_model_node_input(m, 0, 3), "");
    assert_string_equal(onnxbn_model_node_output(m, 9, 0), "");
    assert_int_equal(onnxbn_model_node_input_count(m, 9), 0);
    assert_string_equal(onnxbn_model_node_domain(m, 0), "");
    assert_true(onnxbn_model_node_supported(m, 0));
    assert_true(onnxbn_model_node_supported(m, 1));
    assert_false(onnxbn_model_node_supported(m, 2));
    assert_false(onnxbn_model_node_supported(m, 3));
    onnxbn_model_free(m);
}

static void values(void **state)
{
    (void)state;
    onnxbn_model *m = load_sample();
    onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
    bool init = true;
    assert_true(onnxbn_model_value(m, "x", &vi, &init));
    assert_false(init);
    assert_string_equal(vi.name, "x");
    assert_int_equal(vi.dtype, ONNXBN_FLOAT);
    assert_int_equal(vi.rank, 2);
    assert_int_equal(vi.dims[0], -1);
    assert_string_equal(vi.dim_names[0], "N");
    assert_int_equal(vi.dims[1], 3);
    /* An initializer without a declaration: its own type and dims. */
    assert_true(onnxbn_model_value(m, "W", &vi, &init));
    assert_true(init);
    assert_int_equal(vi.dtype, ONNXBN_FLOAT);
    assert_int_equal(vi.rank, 2);
    assert_int_equal(vi.dims[0], 4);
    assert_int_equal(vi.dims[1], 3);
    /* An intermediate with nothing declared. */
    assert_true(onnxbn_model_value(m, "h", &vi, NULL));
    assert_int_equal(vi.dtype, ONNXBN_UNDEFINED);
    assert_int_equal(vi.rank, -1);
    assert_false(onnxbn_model_value(m, "nosuch", &vi, NULL));
    assert_false(onnxbn_model_value(m, NULL, &vi, NULL));
    assert_false(onnxbn_model_value(m, "x", NULL, NULL));
    onnxbn_model_free(m);
}

static void registry(void **state)
{
    (void)state;
    size_t n = onnxbn_op_count();
    assert_true(n > 3);
    bool bn = false, gemm = false;
    for (size_t i = 0; i < n; i++) {
        const char *dom = NULL, *op = NULL;
        const int *v = NULL;
        size_t nv = 0;
        assert_true(onnxbn_op_info(i, &dom, &op, &v, &nv));
        assert_non_null(dom);
        assert_non_null(op);
        assert_true(nv >= 1);
        for (size_t k = 1; k < nv; k++)
            assert_true(v[k - 1] < v[k]); /* ascending */
        if (!strcmp(op, "BatchNormalization")) {
            static const int want[] = {1, 6, 7, 9, 14, 15};
            bn = true;
            assert_int_equal(nv, 6);
            assert_memory_equal(v, want, sizeof want);
        }
        gemm |= !strcmp(op, "Gemm");
    }
    assert_true(bn && gemm);
    assert_false(onnxbn_op_info(n, NULL, NULL, NULL, NULL));
    assert_false(onnxbn_op_info(n + 1000, NULL, NULL, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(node_wiring),
        cmocka_unit_test(values),
        cmocka_unit_test(registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
