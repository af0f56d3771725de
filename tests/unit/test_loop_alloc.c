/* SPDX-License-Identifier: Apache-2.0 */
/* test_loop_alloc.c — a Loop body (with an If inside it) runs without allocating per iteration:
 * the heap calls of a run, counted through the linker's --wrap, do not grow with the trip count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "loopmodels.h"
#include "mkmodel.h"

/* tests/CMakeLists.txt links this test with -Wl,--wrap for each of these: every call from the
 * library (linked statically) comes here first. The count is the test's only state. */
static size_t n_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t k, size_t n)
{
    n_allocs++;
    return __real_calloc(k, n);
}
void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    return __real_realloc(p, n);
}
int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
    n_allocs++;
    return __real_posix_memalign(p, align, n);
}
void *__wrap_aligned_alloc(size_t align, size_t n)
{
    n_allocs++;
    return __real_aligned_alloc(align, n);
}


/* Heap calls of one run of M iterations (after a first run with the same M has made every plan
 * and buffer), and its result checked: Σ of the even i below M, less 10 per odd i. */
static size_t allocs_of_run(onnxbn_session *s, int64_t M)
{
    const int64_t one[] = {1};
    const float y0 = 0;
    mk_feed f[2] = {{"M", ONNXBN_INT64, 0, NULL, &M}, {"y0", ONNXBN_FLOAT, 1, one, &y0}};
    mk_run_ok(s, 2, f);
    const size_t before = n_allocs;
    mk_run_ok(s, 2, f);
    const size_t used = n_allocs - before;
    float want = 0;
    for (int64_t i = 0; i < M; i++)
        want += i % 2 == 0 ? (float)i : -10.0f;
    mk_expect_f32(s, 0, 1, one, &want, 0, 0);
    return used;
}

static void loop_iterations_allocate_nothing(void **state)
{
    (void)state;
    mk_model *m = loop_if_model();
    onnxbn_session *s = mk_open_ok(m);
    const size_t few = allocs_of_run(s, 4), many = allocs_of_run(s, 1000);
    /* The run itself may allocate (outputs, the feed's own tensors), but the same for 4 iterations
     * as for 1000 (before the session kept its run arrays: two per nested run, body and branch). */
    assert_int_equal(many, few);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The counter sees the library's calls at all: opening a session allocates. */
static void counter_counts(void **state)
{
    (void)state;
    mk_model *m = loop_if_model();
    const size_t before = n_allocs;
    onnxbn_session *s = mk_open_ok(m);
    assert_true(n_allocs > before);
    onnxbn_session_free(s);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_counts),
        cmocka_unit_test(loop_iterations_allocate_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
