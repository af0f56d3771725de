/* test_core.c — the internal check macro: a broken invariant returns ONNXBN_ERR_INTERNAL with the
 * file (as a path in the tree), line and condition, in Release builds too, and never aborts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_passes),
        cmocka_unit_test(test_check_fails),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
