/* SPDX-License-Identifier: Apache-2.0 */
/* test_blas_threads.c — a session borrows OpenBLAS's process-wide thread count (1 while any
 * session is open) and gives it back when the last one is freed (issue 18: no side effects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mkmodel.h"

#ifdef ONNXBN_HAVE_OPENBLAS
/* OpenBLAS's own calls; cblas.h is not on the tests' include path. */
int openblas_get_num_threads(void);
void openblas_set_num_threads(int n);

static onnxbn_session *relu_session(void)
{
    mk_model *m = mk_new(14);
    int64_t d[1] = {4};
    mk_input(m, "x", ONNXBN_FLOAT, 1, d);
    mk_output(m, "y", ONNXBN_FLOAT, 1, d);
    mk_node_add(m, "Relu", "r", "x", "y");
    onnxbn_session *s = mk_open_ok(m);
    mk_free(m);
    return s;
}

static void test_restored_after_last_session(void **state)
{
    (void)state;
    openblas_set_num_threads(2);
    assert_int_equal(openblas_get_num_threads(), 2);
    onnxbn_session *a = relu_session();
    assert_int_equal(openblas_get_num_threads(), 1);
    onnxbn_session *b = relu_session();
    onnxbn_session_free(a);
    assert_int_equal(openblas_get_num_threads(), 1); /* b still needs it */
    onnxbn_session_free(b);
    assert_int_equal(openblas_get_num_threads(), 2);
    /* Again, from a fresh start: the saved count is taken at each first hold. */
    openblas_set_num_threads(3);
    a = relu_session();
    assert_int_equal(openblas_get_num_threads(), 1);
    onnxbn_session_free(a);
    assert_int_equal(openblas_get_num_threads(), 3);
    openblas_set_num_threads(1);
}

static void test_caller_change_is_kept(void **state)
{
    (void)state;
    openblas_set_num_threads(2);
    onnxbn_session *a = relu_session();
    openblas_set_num_threads(4); /* the host changed it while a session was open: theirs */
    onnxbn_session_free(a);
    assert_int_equal(openblas_get_num_threads(), 4);
    openblas_set_num_threads(1);
}
#else
static void test_restored_after_last_session(void **state)
{
    (void)state;
    skip(); /* built without OpenBLAS: there is no process-wide setting to borrow */
}
static void test_caller_change_is_kept(void **state)
{
    (void)state;
    skip();
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restored_after_last_session),
        cmocka_unit_test(test_caller_change_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
