/* SPDX-License-Identifier: Apache-2.0 */
/* test_plancache.c — plans kept per input-shape signature: alternating shapes give the right
 * values without re-planning, the count bound (1 too) and the memory budget are honoured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "plancache.h"

#define W 1024

/* x[N, W] → Mul(w) → Relu → Add(x) → y: two arena values per row, so a plan grows with N. */
static mk_model *model(float *w)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {-1, W}, wd[] = {W};
    for (int j = 0; j < W; j++)
        w[j] = (float)(j % 7) - 3.0f;
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init_f32(m, "w", 1, wd, w);
    mk_node_add(m, "Mul", "mul", "x,w", "t");
    mk_node_add(m, "Relu", "relu", "t", "r");
    mk_node_add(m, "Add", "add", "r,x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, xd);
    return m;
}

/* Runs batch n with x[i][j] = (i + 1) * 0.5 - j % 5 and checks every element against the
 * formula in float (the same three roundings the kernels make: exact equality). */
static void run_check(onnxbn_session *s, int64_t n, const float *w)
{
    float *x = malloc((size_t)n * W * sizeof *x), *y = malloc((size_t)n * W * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < W; j++) {
            float v = (float)(i + 1) * 0.5f - (float)(j % 5);
            float t = v * w[j];
            x[i * W + j] = v;
            y[i * W + j] = (t > 0.0f ? t : 0.0f) + v;
        }
    const int64_t dims[] = {n, W};
    mk_feed f = {"x", 0, 2, dims, x};
    mk_run_ok(s, 1, &f);
    mk_expect_f32(s, 0, 2, dims, y, 0.0, 0.0);
    free(x);
    free(y);
}

static void alternating_shapes(void **state)
{
    (void)state;
    float w[W];
    mk_model *m = model(w);
    onnxbn_session *s = mk_open_ok(m);
    assert_int_equal(onnxbn_session_plan_builds(s), 0); /* N unknown: nothing planned at open */
    const int64_t seq[] = {1, 8, 1, 8, 3, 1, 8, 3};
    for (size_t k = 0; k < sizeof seq / sizeof seq[0]; k++)
        run_check(s, seq[k], w);
    assert_int_equal(onnxbn_session_plan_builds(s), 3); /* each shape once */
    assert_int_equal(onnxbn_session_plan_count(s), 3);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A bound of 1 is the behaviour before the cache: every change of shape plans again. */
static void bound_of_one(void **state)
{
    (void)state;
    float w[W];
    mk_model *m = model(w);
    onnxbn_session *s = mk_open_ok(m);
    run_check(s, 1, w);
    run_check(s, 8, w);
    assert_int_equal(onnxbn_session_plan_count(s), 2);
    onnxbn_session_set_plan_cache(s, 1); /* frees the plan for batch 1 */
    assert_int_equal(onnxbn_session_plan_count(s), 1);
    run_check(s, 8, w); /* the one kept is the last used */
    assert_int_equal(onnxbn_session_plan_builds(s), 2);
    for (int k = 0; k < 4; k++)
        run_check(s, k % 2 ? 8 : 1, w);
    assert_int_equal(onnxbn_session_plan_builds(s), 6);
    assert_int_equal(onnxbn_session_plan_count(s), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* With a bound of 2, the least recently used plan goes when a third shape comes. */
static void least_recent_goes(void **state)
{
    (void)state;
    float w[W];
    mk_model *m = model(w);
    onnxbn_session *s = mk_open_ok(m);
    onnxbn_session_set_plan_cache(s, 2);
    run_check(s, 1, w);
    run_check(s, 2, w);
    run_check(s, 1, w); /* 1 is now the most recent; 2 the least */
    run_check(s, 3, w); /* 2 goes */
    assert_int_equal(onnxbn_session_plan_builds(s), 3);
    run_check(s, 1, w);
    assert_int_equal(onnxbn_session_plan_builds(s), 3);
    run_check(s, 2, w);
    assert_int_equal(onnxbn_session_plan_builds(s), 4);
    assert_int_equal(onnxbn_session_plan_count(s), 2);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The plans kept share the session's memory limit: under a limit that holds the batch-64 plan
 * alone, a second large plan makes the first go (and is still made), a small one stays beside
 * it; a shape over the limit on its own fails with the limit's error and keeps the plans. */
static void budget_bound(void **state)
{
    (void)state;
    float w[W];
    mk_model *m = model(w);
    onnxbn_session *s = mk_open_ok(m);
    run_check(s, 64, w);
    onnxbn_memory_info mi = ONNXBN_MEMORY_INFO_INIT;
    assert_true(onnxbn_session_memory(s, &mi));
    uint64_t plan64 = mi.arena_bytes + mi.constant_bytes;
    assert_true(plan64 >= 64 * W * sizeof(float));
    onnxbn_session_free(s);

    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    /* the weights, the batch-64 plan and a half, and 64 KiB of slack */
    opt.max_memory = W * sizeof(float) + plan64 + plan64 / 2 + 65536;
    onnxbn_model *md = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &md, &err) ||
        onnxbn_session_new(md, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    run_check(s, 64, w);
    run_check(s, 60, w); /* 60 does not fit beside 64: 64 goes */
    assert_int_equal(onnxbn_session_plan_count(s), 1);
    run_check(s, 2, w); /* small: kept beside 60 */
    assert_int_equal(onnxbn_session_plan_count(s), 2);
    run_check(s, 60, w);
    assert_int_equal(onnxbn_session_plan_builds(s), 4); /* 64, 60 twice (tried, then alone), 2 */
    const int64_t big[] = {1000, W};
    float *x = calloc(1000 * W, sizeof *x);
    assert_non_null(x);
    mk_feed f = {"x", 0, 2, big, x};
    assert_int_equal(mk_run(s, 1, &f, &err), ONNXBN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "memory limit"));
    assert_null(onnxbn_session_output(s, 0));
    free(x);
    run_check(s, 2, w); /* the session still runs, from a plan it had */
    onnxbn_session_free(s);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alternating_shapes),
        cmocka_unit_test(bound_of_one),
        cmocka_unit_test(least_recent_goes),
        cmocka_unit_test(budget_bound),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
