/* SPDX-License-Identifier: Apache-2.0 */
/* test_core.c — the internal check macro: a broken invariant returns ONNXBN_ERR_INTERNAL with the
 * file (as a path in the tree), line and condition, in Release builds too, and never aborts; and
 * an operator's run that meets a type its infer refuses says so instead of writing nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "ops/unary.h"

/* *line: where the check is, for the expected message. */
static onnxbn_status positive(int n, int *out, int *line, onnxbn_error *err)
{
    *line = __LINE__ + 1;
    ONNXBN_CHECK(n > 0 && n < 100, err);
    *out = n;
    return ONNXBN_OK;
}

static void test_check_passes(void **state)
{
    (void)state;
    onnxbn_error err = {ONNXBN_OK, "untouched"};
    int out = 0, line = 0;
    assert_int_equal(positive(7, &out, &line, &err), ONNXBN_OK);
    assert_int_equal(out, 7);
    assert_int_equal(err.status, ONNXBN_OK);
    assert_string_equal(err.msg, "untouched");
}

static void test_check_fails(void **state)
{
    (void)state;
    onnxbn_error err = {ONNXBN_OK, ""};
    int out = -5, line = 0;
    assert_int_equal(positive(0, &out, &line, &err), ONNXBN_ERR_INTERNAL);
    assert_int_equal(out, -5); /* returned before the rest of the function ran */
    assert_int_equal(err.status, ONNXBN_ERR_INTERNAL);
    char want[128];
    snprintf(want, sizeof want, "internal error at tests/unit/test_core.c:%d: n > 0 && n < 100",
             line);
    assert_string_equal(err.msg, want);
    /* without an error struct it still returns the status */
    assert_int_equal(positive(100, &out, &line, NULL), ONNXBN_ERR_INTERNAL);
    assert_string_equal(onnxbn_status_name(ONNXBN_ERR_INTERNAL), "internal error");
}

static void test_paths(void **state)
{
    (void)state;
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"/home/u/onnxbn/runtime/plan.c", "internal error at runtime/plan.c:12: x"},
        {"/home/u/onnxbn/runtime/ops/binary.c", "internal error at runtime/ops/binary.c:12: x"},
        /* the last top folder in the path wins, whatever the checkout is called */
        {"/runtime/tests/onnxbn/converter/fold.c", "internal error at converter/fold.c:12: x"},
        {"/a/tests/b/runtime/kernels/cast.c", "internal error at runtime/kernels/cast.c:12: x"},
        {"plan.c", "internal error at plan.c:12: x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        onnxbn_error err = {ONNXBN_OK, ""};
        assert_int_equal(onnxbn_internal_error(&err, cases[i].file, 12, "x"), ONNXBN_ERR_INTERNAL);
        assert_string_equal(err.msg, cases[i].want);
    }
    onnxbn_error err = {ONNXBN_OK, ""};
    assert_int_equal(onnxbn_internal_error(&err, NULL, 3, NULL), ONNXBN_ERR_INTERNAL);
    assert_string_equal(err.msg, "internal error at ?:3: ?");
}

/* Sqrt through the shared one-input run, on a context made by hand as the planner makes it. */
static onnxbn_status sqrt_run(onnxbn_dtype t, const void *x, void *y, onnxbn_error *err)
{
    static const onnxbn_type_rule flt[] = {{1, ONNXBN_TM_FLT}, {0, 0}};
    const onnxbn_unary_kind k = {.op = ONNXBN_UN_SQRT, .input = "X", .types = flt};
    onnxbn_tensor tx, ty;
    onnxbn_status st = onnxbn_tensor_set_shape(&tx, t, 1, (const int64_t[]){4}, err);
    if (st || (st = onnxbn_tensor_set_shape(&ty, t, 1, (const int64_t[]){4}, err)))
        return st;
    tx.data = (void *)x;
    ty.data = y;
    const onnxbn_tensor *in[1] = {&tx};
    onnxbn_tensor *out[1] = {&ty};
    onnxbn_kctx c = {.version = 13, .n_in = 1, .n_out = 1, .in = in, .out = out, .err = err};
    return onnxbn_unary_run(&c, &k);
}

static void test_run_checks_kernel_type(void **state)
{
    (void)state;
    onnxbn_error err = {ONNXBN_OK, ""};
    /* the context is sound: float runs */
    const float xf[4] = {0, 1, 4, 2.25f};
    float yf[4] = {-1, -1, -1, -1};
    assert_int_equal(sqrt_run(ONNXBN_FLOAT, xf, yf, &err), ONNXBN_OK);
    assert_true(yf[0] == 0 && yf[1] == 1 && yf[2] == 2 && yf[3] == 1.5f);
    /* int32 has no Sqrt loop: the kernel used to return without writing y */
    const int32_t xi[4] = {0, 1, 4, 9};
    int32_t yi[4] = {-7, -7, -7, -7};
    assert_int_equal(sqrt_run(ONNXBN_INT32, xi, yi, &err), ONNXBN_ERR_INTERNAL);
    assert_int_equal(err.status, ONNXBN_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "internal error at runtime/ops/unary.c:"));
    assert_non_null(strstr(err.msg, ": x && onnxbn_unary_supported(k->op, x->dtype)"));
    assert_true(yi[0] == -7 && yi[3] == -7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_passes),
        cmocka_unit_test(test_check_fails),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_run_checks_kernel_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
