/* SPDX-License-Identifier: Apache-2.0 */
/* test_loop.c — Loop and Scan with hand-computed values: trip count, condition, both, no
 * iteration, outer reads two scopes down, Scan's reverse directions and non-zero axes, one body
 * plan for all iterations, a stop request inside an endless Loop, bad bodies and axes, BN
 * folded inside a Loop body and an If within it, and sequences and optionals (empty too) carried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loopmodels.h"
#include "mkmodel.h"
#include "plan.h"
#include "subgraph.h"

/* Body (i, cond_in, y_in) -> (cond_out, y_out, scan): y_out = y_in * 2 + x (x read from the outer
 * graph), cond_out = y_out < limit, scan = y_out + i (i cast to float). */
static mk_model *body_double(void)
{
    mk_model *b = mk_new(16);
    const int64_t one[] = {1};
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "y_in", ONNXBN_FLOAT, 1, one);
    mk_init_f32(b, "two", 1, one, (const float[]){2});
    mk_init_f32(b, "limit", 0, NULL, (const float[]){20});
    mk_node_add(b, "Mul", "b_mul", "y_in,two", "y2");
    mk_node_add(b, "Add", "b_add", "y2,x", "y_out");
    mk_node_add(b, "ReduceSum", "b_sum", "y_out", "y_sum");
    mk_node_add(b, "Less", "b_less", "y_sum,limit", "cond_l");
    mk_node_add(b, "Squeeze", "b_sq", "cond_l", "cond_out");
    mk_attr_i(mk_node_add(b, "Cast", "b_cast", "i", "fi"), "to", ONNXBN_FLOAT);
    mk_node_add(b, "Add", "b_scan", "y_out,fi", "scan");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "y_out", ONNXBN_FLOAT, 1, one);
    mk_output(b, "scan", ONNXBN_FLOAT, 1, one);
    return b;
}

/* Loop(M, cond, y0) over body_double; "M" and "c" are graph inputs when used. */
static mk_model *loop_model(bool with_m, bool with_cond)
{
    mk_model *m = mk_new(16);
    const int64_t one[] = {1};
    if (with_m)
        mk_input(m, "M", ONNXBN_INT64, 0, NULL);
    if (with_cond)
        mk_input(m, "c", ONNXBN_BOOL, 0, NULL);
    mk_input(m, "y0", ONNXBN_FLOAT, 1, one);
    mk_init_f32(m, "x", 1, one, (const float[]){0});
    char ins[32];
    snprintf(ins, sizeof ins, "%s,%s,y0", with_m ? "M" : "", with_cond ? "c" : "");
    mk_node *nd = mk_node_add(m, "Loop", "loop", ins, "y,scans");
    mk_attr_graph(m, nd, "body", body_double());
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "scans", ONNXBN_FLOAT, -1, NULL);
    return m;
}

static void run_loop(onnxbn_session *s, const int64_t *trip, const bool *cond, float y0)
{
    const uint8_t cv = cond ? *cond : 0;
    const int64_t one[] = {1};
    mk_feed f[3];
    size_t n = 0;
    if (trip)
        f[n++] = (mk_feed){"M", ONNXBN_INT64, 0, NULL, trip};
    if (cond)
        f[n++] = (mk_feed){"c", ONNXBN_BOOL, 0, NULL, &cv};
    f[n++] = (mk_feed){"y0", ONNXBN_FLOAT, 1, one, &y0};
    mk_run_ok(s, n, f);
}

/* for i < 3: y = 2y (x = 0 in loop_model), scan y + i. From 1: 2, 4, 8; scans 2, 5, 10. */
static void trip_count_only(void **state)
{
    (void)state;
    mk_model *m = loop_model(true, false);
    onnxbn_session *s = mk_open_ok(m);
    const int64_t three = 3, one[] = {1}, sd[] = {3, 1};
    for (int rep = 0; rep < 2; rep++) { /* the second run reuses every buffer */
        run_loop(s, &three, NULL, 1);
        mk_expect_f32(s, 0, 1, one, (const float[]){8}, 0, 0);
        mk_expect_f32(s, 1, 2, sd, (const float[]){2, 5, 10}, 0, 0);
    }
    /* Without a cond input the body's condition still ends the loop (the reference's
     * `while cond and i < M`, cond starting true): y = 2, 4, 8, 16, 32 stops at 32 >= 20. */
    const int64_t thirty = 30, sd5[] = {5, 1};
    run_loop(s, &thirty, NULL, 1);
    mk_expect_f32(s, 0, 1, one, (const float[]){32}, 0, 0);
    mk_expect_f32(s, 1, 2, sd5, (const float[]){2, 5, 10, 19, 36}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* while (cond): from 1.5: 3, 6, 12, 24 (24 < 20 is false: stops); scans 3, 7, 14, 27. */
static void condition_only(void **state)
{
    (void)state;
    mk_model *m = loop_model(false, true);
    onnxbn_session *s = mk_open_ok(m);
    const bool yes = true, no = false;
    const int64_t one[] = {1}, sd[] = {4, 1};
    run_loop(s, NULL, &yes, 1.5f);
    mk_expect_f32(s, 0, 1, one, (const float[]){24}, 0, 0);
    mk_expect_f32(s, 1, 2, sd, (const float[]){3, 7, 14, 27}, 0, 0);
    /* false at the start: no iteration, y is y0, the scan output is [0, 1] as the body declares */
    run_loop(s, NULL, &no, 1.5f);
    mk_expect_f32(s, 0, 1, one, (const float[]){1.5f}, 0, 0);
    const int64_t zd[] = {0, 1};
    mk_expect_f32(s, 1, 2, zd, NULL, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Trip count and condition: whichever ends first. */
static void both_and_zero(void **state)
{
    (void)state;
    mk_model *m = loop_model(true, true);
    onnxbn_session *s = mk_open_ok(m);
    const bool yes = true;
    const int64_t two = 2, ten = 10, zero = 0, neg = -5, one[] = {1}, sd2[] = {2, 1},
                  sd3[] = {3, 1}, zd[] = {0, 1};
    run_loop(s, &two, &yes, 3);
    mk_expect_f32(s, 0, 1, one, (const float[]){12}, 0, 0);
    mk_expect_f32(s, 1, 2, sd2, (const float[]){6, 13}, 0, 0);
    run_loop(s, &ten, &yes, 3); /* 6, 12, 24: the condition ends it */
    mk_expect_f32(s, 0, 1, one, (const float[]){24}, 0, 0);
    mk_expect_f32(s, 1, 2, sd3, (const float[]){6, 13, 26}, 0, 0);
    run_loop(s, &zero, &yes, 3);
    mk_expect_f32(s, 0, 1, one, (const float[]){3}, 0, 0);
    mk_expect_f32(s, 1, 2, zd, NULL, 0, 0);
    run_loop(s, &neg, &yes, 3); /* a negative trip count runs nothing */
    mk_expect_f32(s, 0, 1, one, (const float[]){3}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The main graph's w is read by an If inside the Loop body (two scopes down) and the body's
 * iteration number by the If's branch (one down): y += i even, y -= w odd.
 * From 0 with w = 10, M = 4: i=0 +0, i=1 -10, i=2 +2, i=3 -10 -> -18. */
static void outer_read_depth_two(void **state)
{
    (void)state;
    mk_model *m = loop_if_model();
    const int64_t one[] = {1};
    onnxbn_session *s = mk_open_ok(m);
    run_loop(s, (const int64_t[]){4}, NULL, 0);
    mk_expect_f32(s, 0, 1, one, (const float[]){-18}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The body slices x at [i, i+1) (a Slice whose starts are the iteration number): the values of
 * the iteration number are not plan keys, so the body is planned once for all iterations and
 * runs; the scan output is x itself. */
static void body_planned_once(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t n5[] = {5}, one[] = {1};
    mk_input(m, "M", ONNXBN_INT64, 0, NULL);
    mk_input(m, "x", ONNXBN_FLOAT, 1, n5);
    mk_init_f32(m, "acc0", 1, one, (const float[]){0});
    mk_model *b = mk_new(13);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "acc_in", ONNXBN_FLOAT, 1, one);
    mk_init(b, "ax", ONNXBN_INT64, 1, one, (const int64_t[]){0});
    mk_init(b, "k1", ONNXBN_INT64, 0, NULL, (const int64_t[]){1});
    mk_node_add(b, "Unsqueeze", "b_s", "i,ax", "start");
    mk_node_add(b, "Add", "b_e0", "i,k1", "end0");
    mk_node_add(b, "Unsqueeze", "b_e", "end0,ax", "end");
    mk_node_add(b, "Slice", "b_slice", "x,start,end", "xi");
    mk_node_add(b, "Add", "b_acc", "acc_in,xi", "acc_out");
    mk_node_add(b, "Identity", "b_id", "cond_in", "cond_out");
    mk_node_add(b, "Identity", "b_id2", "xi", "scan");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "acc_out", ONNXBN_FLOAT, 1, one);
    mk_output(b, "scan", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,acc0", "acc,xs");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "acc", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "xs", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float x[5] = {1, 2, 4, 8, 16};
    const int64_t five = 5, xd[] = {5, 1};
    for (int rep = 0; rep < 3; rep++) {
        mk_feed f[2] = {{"M", ONNXBN_INT64, 0, NULL, &five}, {"x", ONNXBN_FLOAT, 1, n5, x}};
        mk_run_ok(s, 2, f);
        mk_expect_f32(s, 0, 1, one, (const float[]){31}, 0, 0);
        mk_expect_f32(s, 1, 2, xd, x, 0, 0);
    }
    const onnxbn_model *om = onnxbn_session_model(s);
    assert_non_null(om->subs);
    int loop_node = -1;
    for (int i = 0; i < om->n_subs; i++)
        if (om->subs[i])
            loop_node = i;
    assert_true(loop_node >= 0);
    assert_int_equal(onnxbn_session_plan_builds(om->subs[loop_node]->b[0].sess), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Scan-16 over X [2, 3] on axis 1, reversed: columns 2, 1, 0 are added into s ([2]). Output 0
 * is the final s; output 1 stacks each step's s on axis 1 forward, output 2 on axis 0 reversed. */
static void scan_reverse_axes(void **state)
{
    (void)state;
    mk_model *m = mk_new(16);
    const int64_t d23[] = {2, 3}, n2[] = {2};
    mk_input(m, "s0", ONNXBN_FLOAT, 1, n2);
    mk_input(m, "X", ONNXBN_FLOAT, 2, d23);
    mk_model *b = mk_new(16);
    mk_input(b, "s_in", ONNXBN_FLOAT, 1, n2);
    mk_input(b, "xt", ONNXBN_FLOAT, 1, n2);
    mk_node_add(b, "Add", "b_add", "s_in,xt", "s_out");
    mk_node_add(b, "Identity", "b_id", "s_out", "y1");
    mk_node_add(b, "Identity", "b_id2", "s_out", "y2");
    mk_output(b, "s_out", ONNXBN_FLOAT, 1, n2);
    mk_output(b, "y1", ONNXBN_FLOAT, 1, n2);
    mk_output(b, "y2", ONNXBN_FLOAT, 1, n2);
    mk_node *nd = mk_node_add(m, "Scan", "scan", "s0,X", "s,Y1,Y2");
    mk_attr_graph(m, nd, "body", b);
    mk_attr_i(nd, "num_scan_inputs", 1);
    mk_attr_ints(nd, "scan_input_axes", 1, (const int64_t[]){-1});
    mk_attr_ints(nd, "scan_input_directions", 1, (const int64_t[]){1});
    mk_attr_ints(nd, "scan_output_axes", 2, (const int64_t[]){1, 0});
    mk_attr_ints(nd, "scan_output_directions", 2, (const int64_t[]){0, 1});
    mk_output(m, "s", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Y1", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Y2", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float X[6] = {1, 2, 3, 4, 5, 6}, s0[2] = {0, 100};
    mk_feed f[2] = {{"s0", ONNXBN_FLOAT, 1, n2, s0}, {"X", ONNXBN_FLOAT, 2, d23, X}};
    mk_run_ok(s, 2, f);
    const int64_t d32[] = {3, 2};
    mk_expect_f32(s, 0, 1, n2, (const float[]){6, 115}, 0, 0);
    mk_expect_f32(s, 1, 2, d23, (const float[]){3, 5, 6, 106, 111, 115}, 0, 0);
    mk_expect_f32(s, 2, 2, d32, (const float[]){6, 115, 5, 111, 3, 106}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Scan-8: batch axis 0, scan axis 1; sequence_lens stops batch 1 after one step and its scan
 * output is zero past it. */
static void scan8_batch(void **state)
{
    (void)state;
    mk_model *m = mk_new(8);
    const int64_t d2[] = {2, 1}, d22[] = {2, 2, 1}, one[] = {1};
    mk_input(m, "lens", ONNXBN_INT64, 1, (const int64_t[]){2});
    mk_input(m, "s0", ONNXBN_FLOAT, 2, d2);
    mk_input(m, "X", ONNXBN_FLOAT, 3, d22);
    mk_model *b = mk_new(8);
    mk_input(b, "s_in", ONNXBN_FLOAT, 1, one);
    mk_input(b, "xt", ONNXBN_FLOAT, 1, one);
    mk_node_add(b, "Add", "b_add", "s_in,xt", "s_out");
    mk_node_add(b, "Identity", "b_id", "s_out", "y");
    mk_output(b, "s_out", ONNXBN_FLOAT, 1, one);
    mk_output(b, "y", ONNXBN_FLOAT, 1, one);
    mk_node *nd = mk_node_add(m, "Scan", "scan8", "lens,s0,X", "s,Y");
    mk_attr_graph(m, nd, "body", b);
    mk_attr_i(nd, "num_scan_inputs", 1);
    mk_attr_ints(nd, "directions", 1, (const int64_t[]){1});
    mk_output(m, "s", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float X[4] = {1, 2, 10, 20}, s0[2] = {0, 0};
    const int64_t lens[2] = {2, 1};
    mk_feed f[3] = {{"lens", ONNXBN_INT64, 1, (const int64_t[]){2}, lens},
                    {"s0", ONNXBN_FLOAT, 2, d2, s0},
                    {"X", ONNXBN_FLOAT, 3, d22, X}};
    mk_run_ok(s, 3, f);
    /* batch 0 reversed: 2 then 1 -> states 2, 3; batch 1 over its one step: 10 */
    mk_expect_f32(s, 0, 2, d2, (const float[]){3, 10}, 0, 0);
    mk_expect_f32(s, 1, 3, d22, (const float[]){2, 3, 10, 0}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* No trip count and a condition that stays true: the session's deadline ends it. */
static void endless_loop_timeout(void **state)
{
    (void)state;
    mk_model *m = mk_new(16);
    const int64_t one[] = {1};
    mk_input(m, "y0", ONNXBN_FLOAT, 1, one);
    mk_model *b = mk_new(16);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "y_in", ONNXBN_FLOAT, 1, one);
    mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
    mk_node_add(b, "Neg", "b_neg", "y_in", "y_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "y_out", ONNXBN_FLOAT, 1, one);
    mk_node *nd = mk_node_add(m, "Loop", "forever", ",,y0", "y");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_session_set_timeout(s, 0.05, &err), ONNXBN_OK);
    const float y0 = 1;
    mk_feed f[1] = {{"y0", ONNXBN_FLOAT, 1, one, &y0}};
    assert_int_equal(mk_run(s, 1, f, &err), ONNXBN_ERR_TIMEOUT);
    /* the next run with a deadline fails the same way, and one without one is not started */
    assert_int_equal(mk_run(s, 1, f, &err), ONNXBN_ERR_TIMEOUT);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A body whose outputs do not fit the carried values: one too few, or another element type. */
static void bad_bodies(void **state)
{
    (void)state;
    const int64_t one[] = {1};
    for (int kind = 0; kind < 3; kind++) {
        mk_model *m = mk_new(16);
        mk_input(m, "y0", ONNXBN_FLOAT, 1, one);
        mk_init(m, "M", ONNXBN_INT64, 0, NULL, (const int64_t[]){2});
        mk_model *b = mk_new(16);
        mk_input(b, "i", ONNXBN_INT64, 0, NULL);
        mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
        mk_input(b, "y_in", ONNXBN_FLOAT, 1, one);
        mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
        mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
        if (kind == 1) {
            mk_attr_i(mk_node_add(b, "Cast", "b_cast", "y_in", "y_out"), "to", ONNXBN_INT32);
            mk_output(b, "y_out", ONNXBN_INT32, 1, one);
        } else if (kind == 2) {
            mk_node_add(b, "Add", "b_add", "y_in,nowhere", "y_out");
            mk_output(b, "y_out", ONNXBN_FLOAT, 1, one);
        }
        mk_node *nd = mk_node_add(m, "Loop", "bad_loop", "M,,y0", "y");
        mk_attr_graph(m, nd, "body", b);
        mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
        const float y0 = 1;
        mk_feed f[1] = {{"y0", ONNXBN_FLOAT, 1, one, &y0}};
        if (kind == 0)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_MODEL,
                           "node 'bad_loop' (Loop): subgraph 'body' has 1 outputs, the node 1 "
                           "carried values");
        else if (kind == 1)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE,
                           "node 'bad_loop' (Loop): subgraph 'body' output 1 is int32, carried "
                           "value 0 ('y0') is float");
        else
            mk_expect_fail(m, 1, f, ONNXBN_ERR_MODEL, "nowhere");
        mk_free(m);
    }
}

/* Scan axes out of range, and scan inputs of different lengths. */
static void bad_scan(void **state)
{
    (void)state;
    const int64_t d23[] = {2, 3}, n2[] = {2};
    for (int kind = 0; kind < 3; kind++) {
        mk_model *m = mk_new(16);
        mk_input(m, "X", ONNXBN_FLOAT, 2, d23);
        mk_model *b = mk_new(16);
        mk_input(b, "xt", ONNXBN_FLOAT, -1, NULL);
        mk_node_add(b, "Identity", "b_id", "xt", "y");
        mk_output(b, "y", ONNXBN_FLOAT, -1, NULL);
        mk_node *nd = mk_node_add(m, "Scan", "bad_scan", "X", "Y");
        mk_attr_graph(m, nd, "body", b);
        mk_attr_i(nd, "num_scan_inputs", kind == 2 ? 2 : 1);
        if (kind == 0)
            mk_attr_ints(nd, "scan_input_axes", 1, (const int64_t[]){2});
        else if (kind == 1)
            mk_attr_ints(nd, "scan_output_axes", 1, (const int64_t[]){-3});
        mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
        const float X[6] = {0};
        mk_feed f[1] = {{"X", ONNXBN_FLOAT, 2, d23, X}};
        (void)n2;
        if (kind == 0)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_MODEL,
                           "node 'bad_scan' (Scan): scan input 0 ('X') has axis 2, out of range "
                           "for rank 2");
        else if (kind == 1)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_MODEL,
                           "node 'bad_scan' (Scan): scan output 0 has axis -3, out of range for "
                           "rank 2");
        else
            mk_expect_fail(m, 1, f, ONNXBN_ERR_MODEL,
                           "node 'bad_scan' (Scan): num_scan_inputs is 2, expected 1 to 1");
        mk_free(m);
    }
}

/* A body that swaps its two carried values through Identity (outputs that may be views of the
 * inputs) and adds: (a, b, c) -> (b, a, a + c). From (1, 2, 0), three iterations: (2, 1, 4). */
static void carried_swap(void **state)
{
    (void)state;
    mk_model *m = mk_new(16);
    const int64_t n2[] = {2};
    mk_init(m, "M", ONNXBN_INT64, 0, NULL, (const int64_t[]){3});
    mk_input(m, "a0", ONNXBN_FLOAT, 1, n2);
    mk_input(m, "b0", ONNXBN_FLOAT, 1, n2);
    mk_input(m, "c0", ONNXBN_FLOAT, 1, n2);
    mk_model *b = mk_new(16);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "a_in", ONNXBN_FLOAT, 1, n2);
    mk_input(b, "b_in", ONNXBN_FLOAT, 1, n2);
    mk_input(b, "c_in", ONNXBN_FLOAT, 1, n2);
    mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
    mk_node_add(b, "Identity", "b_a", "b_in", "a_out");
    mk_node_add(b, "Identity", "b_b", "a_in", "b_out");
    mk_node_add(b, "Add", "b_add", "a_in,c_in", "c_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "a_out", ONNXBN_FLOAT, 1, n2);
    mk_output(b, "b_out", ONNXBN_FLOAT, 1, n2);
    mk_output(b, "c_out", ONNXBN_FLOAT, 1, n2);
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,a0,b0,c0", "a,b,c");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "a", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "b", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "c", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float a0[2] = {1, 10}, b0[2] = {2, 20}, c0[2] = {0, 0};
    mk_feed f[3] = {{"a0", ONNXBN_FLOAT, 1, n2, a0}, {"b0", ONNXBN_FLOAT, 1, n2, b0},
                    {"c0", ONNXBN_FLOAT, 1, n2, c0}};
    mk_run_ok(s, 3, f);
    /* a: 1 2 1 2; c: 0 + 1 + 2 + 1 = 4 (and 10, 20, 10: 40) */
    mk_expect_f32(s, 0, 1, n2, (const float[]){2, 20}, 0, 0);
    mk_expect_f32(s, 1, 1, n2, (const float[]){1, 10}, 0, 0);
    mk_expect_f32(s, 2, 1, n2, (const float[]){4, 40}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* f(v) = BN(Conv(v)) on [1, 2, 2] with W = [[1, 2], [-1, 0.5]] (1x1), BN scale (2, 0.5), bias
 * (1, -1), mean (0.5, 0), var (1, 4), eps 0: channel 0 = 2 (v0 + 2 v1), channel 1 =
 * (-v0 + 0.5 v1) / 4 - 1. */
static void conv_bn(mk_model *g, mk_model *gi, const char *sfx, const char *in, const char *out)
{
    const int64_t wd[] = {2, 2, 1}, c2[] = {2};
    char n[6][32];
    const char *what[6] = {"W", "s", "bb", "mu", "var", "a"};
    for (int i = 0; i < 6; i++)
        snprintf(n[i], sizeof n[i], "%s%s", what[i], sfx);
    mk_init_f32(gi, n[0], 3, wd, (const float[]){1, 2, -1, 0.5f});
    mk_init_f32(gi, n[1], 1, c2, (const float[]){2, 0.5f});
    mk_init_f32(gi, n[2], 1, c2, (const float[]){1, -1});
    mk_init_f32(gi, n[3], 1, c2, (const float[]){0.5f, 0});
    mk_init_f32(gi, n[4], 1, c2, (const float[]){1, 4});
    char ins[200], conv[40], bn[40];
    snprintf(ins, sizeof ins, "%s,%s", in, n[0]);
    snprintf(conv, sizeof conv, "conv%s", sfx);
    snprintf(bn, sizeof bn, "bn%s", sfx);
    mk_node_add(g, "Conv", conv, ins, n[5]);
    snprintf(ins, sizeof ins, "%s,%s,%s,%s,%s", n[5], n[1], n[2], n[3], n[4]);
    mk_attr_f(mk_node_add(g, "BatchNormalization", bn, ins, out), "epsilon", 0);
}

static void conv_bn_ref(const float *v, float *o)
{
    for (int i = 0; i < 2; i++) {
        o[i] = 2 * (v[i] + 2 * v[2 + i]);
        o[2 + i] = (-v[i] + 0.5f * v[2 + i]) / 4 - 1;
    }
}

/* BN occurrences in m and its subgraphs, any depth. */
static int count_bn(const onnxbn_model *m)
{
    int n = 0;
    for (size_t i = 0; i < onnxbn_model_node_count(m); i++) {
        n += !strcmp(onnxbn_model_node_op_type(m, i), "BatchNormalization");
        for (size_t k = 0; k < onnxbn_model_node_subgraph_count(m, i); k++)
            n += count_bn(onnxbn_model_node_subgraph(m, i, k, NULL));
    }
    return n;
}

/* A Loop body with Conv+BN, and an If inside it whose then-branch has another (two scopes down)
 * whose weights are initializers of the main graph: both fold, at open and by onnxbn fuse
 * (written and loaded again), with the values unfolded; the main graph's weights, no longer
 * read, are pruned. */
static void bn_folds_in_body(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t yd[] = {1, 2, 2};
    mk_input(m, "y0", ONNXBN_FLOAT, 3, yd);
    mk_input(m, "c", ONNXBN_BOOL, 0, NULL);
    mk_init(m, "M", ONNXBN_INT64, 0, NULL, (const int64_t[]){2});
    mk_model *b = mk_new(13), *t = mk_new(13), *e = mk_new(13);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "y_in", ONNXBN_FLOAT, 3, yd);
    conv_bn(b, b, "_b", "y_in", "z");
    conv_bn(t, m, "_t", "z", "tz"); /* its weights in the main graph, as torch exports them */
    mk_output(t, "tz", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Identity", "e_id", "z", "ez");
    mk_output(e, "ez", ONNXBN_FLOAT, -1, NULL);
    mk_node *nif = mk_node_add(b, "If", "b_if", "c", "y_out");
    mk_attr_graph(b, nif, "then_branch", t);
    mk_attr_graph(b, nif, "else_branch", e);
    mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "y_out", ONNXBN_FLOAT, 3, yd);
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,y0", "y");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);

    const float y0[4] = {1, -2, 0.5f, 3};
    float want[2][4];
    for (int c = 0; c < 2; c++) {
        float v[4], w[4];
        memcpy(v, y0, sizeof v);
        for (int it = 0; it < 2; it++) {
            conv_bn_ref(v, w);
            if (c)
                conv_bn_ref(w, v);
            else
                memcpy(v, w, sizeof v);
        }
        memcpy(want[c], v, sizeof v);
    }
    onnxbn_options nf = ONNXBN_OPTIONS_INIT;
    nf.no_fold = true;
    for (int mode = 0; mode < 3; mode++) {
        size_t len;
        uint8_t *buf = mk_pack(m, &len);
        onnxbn_model *model = NULL;
        onnxbn_session *s = NULL;
        onnxbn_error err = {0};
        if (onnxbn_model_load_buffer(buf, len, NULL, mode == 1 ? &nf : NULL, &model, &err))
            fail_msg("load: %s", err.msg);
        free(buf);
        assert_int_equal(count_bn(model), 2);
        if (mode == 2) { /* onnxbn fuse: fold, write, load the written model again */
            onnxbn_fuse_report *rep = NULL;
            if (onnxbn_model_fuse(model, NULL, 0, &rep, &err))
                fail_msg("fuse: %s", err.msg);
            assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_before, 2);
            assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_after, 0);
            onnxbn_fuse_report_free(rep);
            void *out;
            size_t olen;
            if (onnxbn_model_save_buffer(model, &out, &olen, &err))
                fail_msg("save: %s", err.msg);
            onnxbn_model_free(model);
            if (onnxbn_model_load_buffer(out, olen, NULL, &nf, &model, &err))
                fail_msg("reload: %s", err.msg);
            free(out);
            assert_int_equal(count_bn(model), 0);
            assert_int_equal(onnxbn_model_initializer_count(model), 1); /* M; W_t ... pruned */
        }
        if (onnxbn_session_new(model, mode ? &nf : NULL, &s, &err))
            fail_msg("open: %s", err.msg);
        assert_int_equal(count_bn(onnxbn_session_model(s)), mode == 1 ? 2 : 0);
        for (int c = 0; c < 2; c++) {
            const uint8_t cv = (uint8_t)c;
            mk_feed f[2] = {{"y0", ONNXBN_FLOAT, 3, yd, y0}, {"c", ONNXBN_BOOL, 0, NULL, &cv}};
            mk_run_ok(s, 2, f);
            mk_expect_f32(s, 0, 3, yd, want[c], 1e-5, 1e-5);
        }
        onnxbn_session_free(s);
    }
    mk_free(m);
}

/* Body (i, cond_in, s_in, acc_in) -> (cond_out, s_out, acc_out): s_out = s_in with x + i
 * appended, acc_out = acc_in + x; x ([n] float) from the outer graph. */
static mk_model *body_append(void)
{
    mk_model *b = mk_new(16);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "s_in", ONNXBN_UNDEFINED, -1, NULL);
    mk_input(b, "acc_in", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
    mk_attr_i(mk_node_add(b, "Cast", "b_cast", "i", "fi"), "to", ONNXBN_FLOAT);
    mk_node_add(b, "Add", "b_v", "x,fi", "v");
    mk_node_add(b, "SequenceInsert", "b_ins", "s_in,v", "s_out");
    mk_node_add(b, "Add", "b_acc", "acc_in,x", "acc_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "s_out", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(b, "acc_out", ONNXBN_FLOAT, -1, NULL);
    return b;
}

/* Loop(M, , SequenceEmpty(), acc0) over body_append: after M iterations the sequence is
 * [x + 0, ..., x + M-1] and acc = acc0 + M·x. Runs of 3, then 40 iterations over 100 floats
 * (the kept buffers grow while the sequence does), then 0 (the empty sequence), then 3 again. */
static void loop_appends_sequence(void **state)
{
    (void)state;
    mk_model *m = mk_new(16);
    const int64_t dn[] = {-1};
    mk_input(m, "M", ONNXBN_INT64, 0, NULL);
    mk_input(m, "x", ONNXBN_FLOAT, 1, dn);
    mk_input(m, "acc0", ONNXBN_FLOAT, 1, dn);
    mk_node_add(m, "SequenceEmpty", "empty", "", "s0");
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,s0,acc0", "s,acc");
    mk_attr_graph(m, nd, "body", body_append());
    mk_node_add(m, "SequenceLength", "len", "s", "n");
    mk_output(m, "s", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(m, "acc", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "n", ONNXBN_INT64, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const int64_t trips[] = {3, 40, 0, 3}, lens[] = {3, 100, 3, 3};
    for (int r = 0; r < 4; r++) {
        const int64_t M = trips[r], d[] = {lens[r]};
        float x[100], acc0[100], want[100];
        for (int k = 0; k < lens[r]; k++) {
            x[k] = (float)(k + 1);
            acc0[k] = 0.5f * (float)k;
        }
        mk_feed f[3] = {{"M", ONNXBN_INT64, 0, NULL, &M},
                        {"x", ONNXBN_FLOAT, 1, d, x},
                        {"acc0", ONNXBN_FLOAT, 1, d, acc0}};
        mk_run_ok(s, 3, f);
        const onnxbn_tensor *seq = onnxbn_session_output(s, 0);
        assert_int_equal(onnxbn_tensor_kind(seq), ONNXBN_KIND_SEQUENCE);
        assert_int_equal(onnxbn_sequence_length(seq), (size_t)M);
        assert_int_equal(*(const int64_t *)onnxbn_tensor_cdata(onnxbn_session_output(s, 2)), M);
        for (int64_t i = 0; i < M; i++) {
            const onnxbn_tensor *e = onnxbn_sequence_at(seq, (size_t)i);
            assert_non_null(e);
            assert_int_equal(onnxbn_tensor_dtype(e), ONNXBN_FLOAT);
            assert_int_equal(onnxbn_tensor_rank(e), 1);
            assert_int_equal(onnxbn_tensor_dims(e)[0], lens[r]);
            const float *g = onnxbn_tensor_cdata(e);
            for (int k = 0; k < lens[r]; k++)
                assert_true(g[k] == (float)(k + 1 + i));
        }
        for (int k = 0; k < lens[r]; k++)
            want[k] = 0.5f * (float)k + (float)M * (float)(k + 1);
        mk_expect_f32(s, 1, 1, d, want, 0, 0);
    }
    onnxbn_session_free(s);
    mk_free(m);
}

/* An optional carried value, empty at the start: Loop(M, , Optional(), ) whose body gives
 * Optional(Cast(i)) and scans OptionalHasElement of what it was handed. M = 0: the empty optional
 * comes out as it went in and the scan output is empty; M = 3: the last value, 2, and the body saw
 * nothing, then a value, then a value. */
static void loop_carries_empty_optional(void **state)
{
    (void)state;
    mk_model *m = mk_new(16);
    mk_input(m, "M", ONNXBN_INT64, 0, NULL);
    mk_node_add(m, "Optional", "none", "", "o0"); /* no value */
    mk_model *b = mk_new(16);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "o_in", ONNXBN_UNDEFINED, -1, NULL);
    mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
    mk_node_add(b, "OptionalHasElement", "b_has", "o_in", "had");
    mk_attr_i(mk_node_add(b, "Cast", "b_cast", "i", "fi"), "to", ONNXBN_FLOAT);
    mk_node_add(b, "Optional", "b_opt", "fi", "o_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "o_out", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(b, "had", ONNXBN_BOOL, 0, NULL);
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,o0", "o,hads");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "o", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(m, "hads", ONNXBN_BOOL, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    for (int rep = 0; rep < 2; rep++) {
        const int64_t zero = 0, three = 3, z[] = {0}, d3[] = {3};
        mk_feed f0[1] = {{"M", ONNXBN_INT64, 0, NULL, &zero}};
        mk_run_ok(s, 1, f0);
        assert_int_equal(onnxbn_tensor_kind(onnxbn_session_output(s, 0)), ONNXBN_KIND_NONE);
        mk_expect_bytes(s, 1, ONNXBN_BOOL, 1, z, NULL);
        mk_feed f3[1] = {{"M", ONNXBN_INT64, 0, NULL, &three}};
        mk_run_ok(s, 1, f3);
        assert_int_equal(onnxbn_tensor_kind(onnxbn_session_output(s, 0)), ONNXBN_KIND_TENSOR);
        mk_expect_f32(s, 0, 0, NULL, (const float[]){2}, 0, 0);
        mk_expect_bytes(s, 1, ONNXBN_BOOL, 1, d3, (const uint8_t[]){0, 1, 1});
    }
    onnxbn_session_free(s);
    mk_free(m);
}

/* Kinds that do not fit: a body turning a carried tensor into a sequence, a sequence given as
 * the trip count, and a Loop's final sequence read by a tensor op (found at load). */
static void bad_kinds(void **state)
{
    (void)state;
    const int64_t one[] = {1};
    const float y0 = 1;
    mk_feed f[1] = {{"y0", ONNXBN_FLOAT, 1, one, &y0}};
    for (int kind = 0; kind < 3; kind++) {
        mk_model *m = mk_new(16);
        mk_input(m, "y0", ONNXBN_FLOAT, 1, one);
        mk_init(m, "M", ONNXBN_INT64, 0, NULL, (const int64_t[]){2});
        mk_node_add(m, "SequenceEmpty", "empty", "", "s0");
        mk_model *b = mk_new(16);
        mk_input(b, "i", ONNXBN_INT64, 0, NULL);
        mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
        mk_input(b, "v_in", ONNXBN_UNDEFINED, -1, NULL);
        mk_node_add(b, "Identity", "b_c", "cond_in", "cond_out");
        if (kind == 0)
            mk_node_add(b, "SequenceConstruct", "b_s", "v_in", "v_out");
        else
            mk_node_add(b, "Identity", "b_v", "v_in", "v_out");
        mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
        mk_output(b, "v_out", ONNXBN_UNDEFINED, -1, NULL);
        mk_node *nd = mk_node_add(m, "Loop", "bad_loop", kind == 1 ? "s0,,y0" : kind == 2 ? "M,,s0" : "M,,y0",
                                  "v");
        mk_attr_graph(m, nd, "body", b);
        if (kind == 2) {
            mk_node_add(m, "Relu", "r", "v", "w");
            mk_output(m, "w", ONNXBN_FLOAT, -1, NULL);
        } else {
            mk_output(m, "v", ONNXBN_UNDEFINED, -1, NULL);
        }
        if (kind == 0)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE,
                           "node 'bad_loop' (Loop): subgraph 'body' output 1 is a sequence, "
                           "carried value 0 ('y0') is a tensor");
        else if (kind == 1)
            mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE,
                           "node 'bad_loop' (Loop): trip count 's0' is a sequence, expected a tensor");
        else
            mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE,
                           "node 'r' (Relu): input 0 ('v') is a sequence; Relu takes tensors");
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trip_count_only),  cmocka_unit_test(condition_only),
        cmocka_unit_test(both_and_zero),    cmocka_unit_test(outer_read_depth_two),
        cmocka_unit_test(body_planned_once), cmocka_unit_test(scan_reverse_axes),
        cmocka_unit_test(scan8_batch),      cmocka_unit_test(endless_loop_timeout),
        cmocka_unit_test(bad_bodies),       cmocka_unit_test(bad_scan),
        cmocka_unit_test(bn_folds_in_body), cmocka_unit_test(carried_swap),
        cmocka_unit_test(loop_appends_sequence), cmocka_unit_test(loop_carries_empty_optional),
        cmocka_unit_test(bad_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
