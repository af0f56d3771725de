/* SPDX-License-Identifier: Apache-2.0 */
/* test_if.c — If with subgraphs: both branches, outer-scope reads two levels down, a branch output
 * whose shape differs per branch, a condition computed at run time, load errors, and BN folding
 * around an If whose branch reads the folded value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "plan.h"

static onnxbn_session *open_opt(const mk_model *m, const onnxbn_options *opt)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(buf, len, NULL, opt, &model, &err) ||
        onnxbn_session_new(model, opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    return s;
}

/* Runs with x (float[n]) and c (bool scalar); fails the test on error. */
static void run_xc(onnxbn_session *s, int64_t n, const float *x, bool c)
{
    onnxbn_error err = {0};
    const uint8_t cv = c;
    mk_feed f[2] = {{"x", ONNXBN_FLOAT, 1, &n, x}, {"c", ONNXBN_BOOL, 0, NULL, &cv}};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
}

/* then: x + k (k an initializer of the branch); else: x * w (w an initializer of the main
 * graph, read from the enclosing scope). */
static mk_model *two_branches(int cond_rank)
{
    mk_model *m = mk_new(16);
    const int64_t n3[] = {3};
    mk_input(m, "x", ONNXBN_FLOAT, cond_rank < 0 ? -1 : 1, n3);
    mk_input(m, "c", ONNXBN_BOOL, cond_rank, NULL);
    mk_init_f32(m, "w", 1, n3, (const float[]){2, 3, 4});
    mk_model *t = mk_new(16), *e = mk_new(16);
    mk_init_f32(t, "k", 1, n3, (const float[]){10, 20, 30});
    mk_node_add(t, "Add", "t_add", "x,k", "ty");
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Mul", "e_mul", "x,w", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "if", "c", "y");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    return m;
}

static void both_branches(void **state)
{
    (void)state;
    mk_model *m = two_branches(0);
    onnxbn_session *s = open_opt(m, NULL);
    const float x[3] = {1, -2, 0.5f};
    const int64_t n3[] = {3};
    for (int rep = 0; rep < 2; rep++) {
        run_xc(s, 3, x, true);
        mk_expect_f32(s, 0, 1, n3, (const float[]){11, 18, 30.5f}, 0, 0);
        run_xc(s, 3, x, false);
        mk_expect_f32(s, 0, 1, n3, (const float[]){2, -6, 2}, 0, 0);
    }
    /* one outer plan: the condition's value is read at run time, not planned on */
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Outer x and the then-branch's own t are read by an If inside the then-branch:
 * then: t = Neg(x); inner If(c2) then: Add(t, x) (0), else: Sub(t, x) (-2x); else: Identity(x). */
static void nested_depth_two(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t n2[] = {2};
    mk_input(m, "x", ONNXBN_FLOAT, 1, n2);
    mk_input(m, "c", ONNXBN_BOOL, 0, NULL);
    mk_input(m, "c2", ONNXBN_BOOL, 0, NULL);
    mk_model *t = mk_new(13), *e = mk_new(13), *it = mk_new(13), *ie = mk_new(13);
    mk_node_add(it, "Add", "in_add", "t,x", "ity");
    mk_output(it, "ity", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(ie, "Sub", "in_sub", "t,x", "iey");
    mk_output(ie, "iey", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(t, "Neg", "neg", "x", "t");
    mk_node *inner = mk_node_add(t, "If", "inner", "c2", "ty");
    mk_attr_graph(t, inner, "then_branch", it);
    mk_attr_graph(t, inner, "else_branch", ie);
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Identity", "id", "x", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "outer", "c", "y");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_opt(m, NULL);
    const float x[2] = {1.5f, -4};
    const uint8_t yes = 1, no = 0;
    const uint8_t *cs[3][2] = {{&yes, &yes}, {&yes, &no}, {&no, &yes}};
    const float want[3][2] = {{0, 0}, {-3, 8}, {1.5f, -4}};
    for (int i = 0; i < 3; i++) {
        onnxbn_error err = {0};
        mk_feed f[3] = {{"x", ONNXBN_FLOAT, 1, n2, x},
                        {"c", ONNXBN_BOOL, 0, NULL, cs[i][0]},
                        {"c2", ONNXBN_BOOL, 0, NULL, cs[i][1]}};
        if (mk_run(s, 3, f, &err))
            fail_msg("run: %s", err.msg);
        mk_expect_f32(s, 0, 1, n2, want[i], 0, 0);
    }
    onnxbn_session_free(s);
    mk_free(m);
}

/* then: Concat(x, x) ([2n]); else: ReduceSum(x) keepdims ([1]); then Add(y, 1) downstream.
 * Output shapes follow the branch taken, run after run, and nothing is planned again. */
static void shape_per_branch(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t n4[] = {4}, one[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 1, n4);
    mk_input(m, "c", ONNXBN_BOOL, 0, NULL);
    mk_init_f32(m, "one", 1, one, (const float[]){1});
    mk_model *t = mk_new(13), *e = mk_new(13);
    mk_attr_i(mk_node_add(t, "Concat", "cat", "x,x", "ty"), "axis", 0);
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "ReduceSum", "sum", "x", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "if", "c", "y");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    mk_node_add(m, "Add", "plus", "y,one", "z");
    mk_output(m, "z", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_opt(m, NULL);
    const float x[4] = {1, 2, 3, 4};
    const int64_t n8[] = {8};
    for (int rep = 0; rep < 3; rep++) {
        run_xc(s, 4, x, true);
        mk_expect_f32(s, 0, 1, n8, (const float[]){2, 3, 4, 5, 2, 3, 4, 5}, 0, 0);
        run_xc(s, 4, x, false);
        mk_expect_f32(s, 0, 1, one, (const float[]){11}, 0, 0);
    }
    assert_int_equal(onnxbn_session_plan_builds(s), 1);
    assert_int_equal(onnxbn_session_deferred_steps(s), 2); /* the If and the Add after it */
    onnxbn_session_free(s);
    mk_free(m);
}

/* cond = ReduceSum(x) > 0, computed by the graph: the branch follows x's contents. */
static void cond_at_run_time(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t n2[] = {2};
    mk_input(m, "x", ONNXBN_FLOAT, 1, n2);
    mk_init_f32(m, "zero", 0, NULL, (const float[]){0});
    mk_attr_i(mk_node_add(m, "ReduceSum", "sum", "x", "s"), "keepdims", 0);
    mk_node_add(m, "Greater", "gt", "s,zero", "c");
    mk_model *t = mk_new(13), *e = mk_new(13);
    mk_node_add(t, "Abs", "abs", "x", "ty");
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Neg", "neg", "x", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "if", "c", "y");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = open_opt(m, NULL);
    onnxbn_error err = {0};
    mk_feed f = {"x", ONNXBN_FLOAT, 1, n2, (const float[]){3, -1}};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 1, n2, (const float[]){3, 1}, 0, 0);
    f.data = (const float[]){1, -5};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 1, n2, (const float[]){-1, 5}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A name read in a branch that neither the branch nor any enclosing scope defines. */
static void undefined_free_name(void **state)
{
    (void)state;
    mk_model *m = two_branches(0);
    mk_model *t = mk_new(16), *e = mk_new(16);
    mk_node_add(t, "Identity", "tid", "nowhere", "t2");
    mk_output(t, "t2", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Identity", "eid", "x", "e2");
    mk_output(e, "e2", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "bad_if", "c", "y2");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err), ONNXBN_ERR_MODEL);
    assert_null(model);
    assert_non_null(strstr(err.msg, "node 'bad_if' (If)"));
    assert_non_null(strstr(err.msg, "'nowhere'"));
    free(buf);
    mk_free(m);
}

/* A wrong condition is an error naming the node, not a crash (x and c declared without shapes). */
static void bad_condition(void **state)
{
    (void)state;
    mk_model *m = two_branches(-1);
    const int64_t n3[] = {3}, n2[] = {2};
    const float x[3] = {1, 2, 3};
    const uint8_t two[2] = {1, 0};
    mk_feed f[2] = {{"x", ONNXBN_FLOAT, 1, n3, x}, {"c", ONNXBN_BOOL, 1, n2, two}};
    mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'if' (If): condition 'c' has 2 elements");
    /* an error inside a branch names the If node, the branch and the branch's node */
    const float x2[2] = {1, 2};
    const uint8_t yes = 1;
    mk_feed g[2] = {{"x", ONNXBN_FLOAT, 1, n2, x2}, {"c", ONNXBN_BOOL, 0, NULL, &yes}};
    mk_expect_fail(m, 2, g, ONNXBN_ERR_SHAPE, "node 'if' (If): subgraph 'then_branch': node 't_add' (Add)");
    mk_free(m);
}

/* x → Conv → BN → b; If(c) then: b + 1, else: Neg(b). The branch reads BN's output: folding BN
 * into the Conv must keep the name b (the Conv now writes it), and the branches come back intact. */
static mk_model *bn_before_if(void)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, 2, 2, 2}, wd[] = {2, 2, 1, 1}, cd[] = {2}, one[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_input(m, "c", ONNXBN_BOOL, 0, NULL);
    mk_init_f32(m, "W", 4, wd, (const float[]){1, 2, -1, 0.5f});
    mk_init_f32(m, "s", 1, cd, (const float[]){2, 0.5f});
    mk_init_f32(m, "bb", 1, cd, (const float[]){1, -1});
    mk_init_f32(m, "mu", 1, cd, (const float[]){0.5f, 0});
    mk_init_f32(m, "var", 1, cd, (const float[]){1, 4});
    mk_init_f32(m, "one", 1, one, (const float[]){1});
    mk_node_add(m, "Conv", "conv", "x,W", "a");
    mk_attr_f(mk_node_add(m, "BatchNormalization", "bn", "a,s,bb,mu,var", "b"), "epsilon", 0);
    mk_model *t = mk_new(13), *e = mk_new(13);
    mk_node_add(t, "Add", "t_add", "b,one", "ty");
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Neg", "e_neg", "b", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nd = mk_node_add(m, "If", "if", "c", "y");
    mk_attr_graph(m, nd, "then_branch", t);
    mk_attr_graph(m, nd, "else_branch", e);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    return m;
}

static void run_bn(onnxbn_session *s, bool c)
{
    const int64_t xd[] = {1, 2, 2, 2};
    const float x[8] = {1, 2, 3, 4, -1, 0, 1, 2};
    const uint8_t cv = c;
    onnxbn_error err = {0};
    mk_feed f[2] = {{"x", ONNXBN_FLOAT, 4, xd, x}, {"c", ONNXBN_BOOL, 0, NULL, &cv}};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
}

static void converter_keeps_branch_reads(void **state)
{
    (void)state;
    mk_model *m = bn_before_if();
    /* By hand: a = Conv: channel 0 = x0 + 2 x1, channel 1 = -x0 + 0.5 x1;
     * b = s (a - mu) / sqrt(var) + bb. */
    const float x0[4] = {1, 2, 3, 4}, x1[4] = {-1, 0, 1, 2};
    float b[8];
    for (int i = 0; i < 4; i++) {
        b[i] = 2 * (x0[i] + 2 * x1[i] - 0.5f) / 1 + 1;
        b[4 + i] = 0.5f * (-x0[i] + 0.5f * x1[i]) / 2 - 1;
    }
    float then_y[8], else_y[8];
    for (int i = 0; i < 8; i++) {
        then_y[i] = b[i] + 1;
        else_y[i] = -b[i];
    }
    const int64_t yd[] = {1, 2, 2, 2};
    onnxbn_options nf = ONNXBN_OPTIONS_INIT;
    nf.no_fold = true;
    for (int mode = 0; mode < 3; mode++) {
        onnxbn_session *s = NULL;
        if (mode < 2) {
            s = open_opt(m, mode ? &nf : NULL); /* folded at open; not folded */
        } else {
            /* onnxbn fuse: fold, write, load the written model again */
            size_t len;
            uint8_t *buf = mk_pack(m, &len);
            onnxbn_model *model = NULL;
            onnxbn_error err = {0};
            if (onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err) ||
                onnxbn_model_fuse(model, NULL, 0, NULL, &err))
                fail_msg("fuse: %s", err.msg);
            free(buf);
            assert_int_equal(onnxbn_model_node_count(model), 2); /* Conv (BN folded in), If */
            void *out;
            size_t olen;
            if (onnxbn_model_save_buffer(model, &out, &olen, &err))
                fail_msg("save: %s", err.msg);
            onnxbn_model_free(model);
            if (onnxbn_model_load_buffer(out, olen, NULL, &nf, &model, &err) ||
                onnxbn_session_new(model, &nf, &s, &err))
                fail_msg("reload: %s", err.msg);
            free(out);
        }
        run_bn(s, true);
        mk_expect_f32(s, 0, 4, yd, then_y, 1e-6, 1e-6);
        run_bn(s, false);
        mk_expect_f32(s, 0, 4, yd, else_y, 1e-6, 1e-6);
        onnxbn_session_free(s);
    }
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_branches),
        cmocka_unit_test(nested_depth_two),
        cmocka_unit_test(shape_per_branch),
        cmocka_unit_test(cond_at_run_time),
        cmocka_unit_test(undefined_free_name),
        cmocka_unit_test(bad_condition),
        cmocka_unit_test(converter_keeps_branch_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
