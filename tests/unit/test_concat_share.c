/* SPDX-License-Identifier: Apache-2.0 */
/* test_concat_share.c — the planner's Concat without copies (plan.c, share_concat): producers
 * write into their block of the output and the Concat does not run, only where that is safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "profiled.h"

enum { PLAIN, LATER, TWICE, INPUT };

/* a = x + 0.5, b = x · −2, y = Concat(a, b) on axis 1; LATER: also z = a · −2 after it (a read
 * once the Concat is made, so a's block must stay as it was written); TWICE: also
 * z = Concat(b, a), which reads the same pieces as y (DenseNet's features); INPUT:
 * y = Concat(x, a), a graph input in it. */
static mk_model *cat_model(const int64_t *xd, int variant)
{
    mk_model *m = mk_new(13);
    const int64_t one[] = {1}, yd[] = {xd[0], 2 * xd[1], xd[2], xd[3]};
    const float half = 0.5f, mtwo = -2.0f;
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(m, "h", 1, one, &half);
    mk_init_f32(m, "k", 1, one, &mtwo);
    mk_node_add(m, "Add", "add", "x,h", "a");
    mk_node_add(m, "Mul", "mul", "x,k", "b");
    mk_attr_i(mk_node_add(m, "Concat", "cat", variant == INPUT ? "x,a" : "a,b", "y"), "axis", 1);
    mk_output(m, "y", ONNXBN_FLOAT, 4, yd);
    if (variant == LATER) {
        mk_node_add(m, "Mul", "later", "a,k", "z");
        mk_output(m, "z", ONNXBN_FLOAT, 4, xd);
    } else if (variant == TWICE) {
        mk_attr_i(mk_node_add(m, "Concat", "cat2", "b,a", "z"), "axis", 1);
        mk_output(m, "z", ONNXBN_FLOAT, 4, yd);
    }
    return m;
}

/* Runs the variant twice (the arena reused) and checks every output bit for bit against the
 * same float operations done here, and whether the Concat ran. */
static void check(const int64_t *xd, int variant, bool shared)
{
    const size_t n = (size_t)(xd[0] * xd[1] * xd[2] * xd[3]), blk = n / (size_t)xd[0];
    float *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    float *y = malloc(2 * n * sizeof *y), *z = malloc(2 * n * sizeof *z);
    assert_non_null(x && a && b && y && z);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)((int)(i * 37 % 101) - 50) * 0.125f;
        a[i] = x[i] + 0.5f;
        b[i] = x[i] * -2.0f;
    }
    const float *first = variant == INPUT ? x : a;
    for (size_t i = 0; i < (size_t)xd[0]; i++) { /* image i: its first block, then its second */
        memcpy(y + 2 * i * blk, first + i * blk, blk * sizeof *y);
        memcpy(y + (2 * i + 1) * blk, b + i * blk, blk * sizeof *y);
        if (variant == TWICE) {
            memcpy(z + 2 * i * blk, b + i * blk, blk * sizeof *z);
            memcpy(z + (2 * i + 1) * blk, a + i * blk, blk * sizeof *z);
        }
    }
    if (variant == INPUT)
        for (size_t i = 0; i < (size_t)xd[0]; i++)
            memcpy(y + (2 * i + 1) * blk, a + i * blk, blk * sizeof *y);
    if (variant == LATER)
        for (size_t i = 0; i < n; i++)
            z[i] = a[i] * -2.0f;
    const int64_t yd[] = {xd[0], 2 * xd[1], xd[2], xd[3]};
    mk_model *m = cat_model(xd, variant);
    onnxbn_session *s = prof_open(m, 1);
    mk_feed f = {"x", 0, 4, xd, x};
    for (int r = 0; r < 2; r++) {
        mk_run_ok(s, 1, &f);
        mk_expect_bytes(s, 0, ONNXBN_FLOAT, 4, yd, y);
        if (variant == LATER)
            mk_expect_bytes(s, 1, ONNXBN_FLOAT, 4, xd, z);
        if (variant == TWICE)
            mk_expect_bytes(s, 1, ONNXBN_FLOAT, 4, yd, z);
    }
    assert_int_equal(prof_runs(s, "cat"), shared ? 0 : 2);
    if (variant == TWICE)
        assert_int_equal(prof_runs(s, "cat2"), 2); /* its inputs are pieces of y already */
    onnxbn_session_free(s);
    mk_free(m);
    free(x);
    free(a);
    free(b);
    free(y);
    free(z);
}

/* Batch 1, blocks of 16·4·4 floats (1 KiB): the Concat leaves the steps, a read after it too. */
static void shared_batch1(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 16, 4, 4};
    check(xd, PLAIN, true);
    check(xd, LATER, true);
}

/* Where it must run: batch 2 (each input is two blocks apart in the output), blocks off the
 * arena's 64-byte alignment (1·3·3 floats), an input that is a piece of another Concat already,
 * a graph input. */
static void copied_otherwise(void **state)
{
    (void)state;
    const int64_t b2[] = {2, 16, 4, 4}, odd[] = {1, 1, 3, 3}, b1[] = {1, 16, 4, 4};
    check(b2, PLAIN, false);
    check(b2, LATER, false);
    check(odd, PLAIN, false);
    check(b1, TWICE, true);
    check(b1, INPUT, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_batch1),
        cmocka_unit_test(copied_otherwise),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
