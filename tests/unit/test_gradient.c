/* SPDX-License-Identifier: Apache-2.0 */
/* test_gradient.c — Gradient (ai.onnx.preview.training 1) against hand-derived derivatives: broadcast
 * Add, a Mul chain, Sub/Div/Neg, the unary set, 2-D MatMul, zs, unreachable xs and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "mkmodel.h"

#define TRAINING "ai.onnx.preview.training"

/* A model with float inputs `ins` and a Gradient node 'g' over xs (comma-separated, also its
 * inputs) and y, whose outputs `outs` are the graph's; the caller adds the forward nodes. */
static mk_model *grad_model(const char *ins, const char *xs, const char *y, const char *outs)
{
    mk_model *m = mk_new(13);
    mk_opset(m, TRAINING, 1);
    char buf[256];
    const char *list[8];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", ins);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
        mk_input(m, p, ONNXBN_FLOAT, -1, NULL);
    snprintf(buf, sizeof buf, "%s", outs);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
        mk_output(m, p, ONNXBN_FLOAT, -1, NULL);
    snprintf(buf, sizeof buf, "%s", xs);
    for (char *p = strtok(buf, ","); p && n < 8; p = strtok(NULL, ","))
        list[n++] = p;
    mk_node *g = mk_node_add(m, "Gradient", "g", xs, outs);
    mk_node_domain(g, TRAINING);
    mk_attr_strings(g, "xs", n, list);
    mk_attr_s(g, "y", y);
    return m;
}

static void test_broadcast_add(void **state)
{
    (void)state;
    mk_model *m = grad_model("A,B", "A,B", "Y", "dA,dB");
    mk_node_add(m, "Add", "add", "A,B", "Y");
    const int64_t da[] = {2, 3}, db[] = {3};
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {7, 8, 9};
    const mk_feed f[] = {{"A", 0, 2, da, a}, {"B", 0, 1, db, b}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    /* d sum(A + B) / dB sums the ones over the broadcast axis 0 */
    const float ga[6] = {1, 1, 1, 1, 1, 1}, gb[3] = {2, 2, 2};
    mk_expect_f32(s, 0, 2, da, ga, 0, 0);
    mk_expect_f32(s, 1, 1, db, gb, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_mul_chain(void **state)
{
    (void)state;
    /* d = (a * b) * a = a^2 b: dd/da = 2ab, dd/db = a^2 */
    mk_model *m = grad_model("a,b", "a,b", "d", "da,db");
    mk_node_add(m, "Mul", "m1", "a,b", "c");
    mk_node_add(m, "Mul", "m2", "c,a", "d");
    const int64_t d3[] = {3};
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    const mk_feed f[] = {{"a", 0, 1, d3, a}, {"b", 0, 1, d3, b}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    const float ga[3] = {8, 20, 36}, gb[3] = {1, 4, 9};
    mk_expect_f32(s, 0, 1, d3, ga, 0, 0);
    mk_expect_f32(s, 1, 1, d3, gb, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_sub_div_neg(void **state)
{
    (void)state;
    /* e = a / b - (-a) = a/b + a: de/da = 1/b + 1, de/db = -a/b^2 */
    mk_model *m = grad_model("a,b", "a,b", "e", "da,db");
    mk_node_add(m, "Div", "div", "a,b", "q");
    mk_node_add(m, "Neg", "neg", "a", "n");
    mk_node_add(m, "Sub", "sub", "q,n", "e");
    const int64_t d2[] = {2};
    const float a[2] = {2, -3}, b[2] = {4, 0.5f};
    const mk_feed f[] = {{"a", 0, 1, d2, a}, {"b", 0, 1, d2, b}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    const float ga[2] = {1.25f, 3}, gb[2] = {-0.125f, 12};
    mk_expect_f32(s, 0, 1, d2, ga, 1e-6, 1e-6);
    mk_expect_f32(s, 1, 1, d2, gb, 1e-6, 1e-6);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_unary(void **state)
{
    (void)state;
    /* y = Relu(x) + Exp(x) + Sigmoid(x) + Tanh(Identity(x)): dy/dx = [x > 0] + e^x + s(1 - s) +
     * 1 - tanh^2. At -1: 0 + 0.36787944 + 0.19661193 + 0.41997434; at 0.5: 1 + 1.64872127 +
     * 0.23500371 + 0.78644773. */
    mk_model *m = grad_model("x", "x", "y", "dx");
    mk_node_add(m, "Relu", "r", "x", "r");
    mk_node_add(m, "Exp", "e", "x", "e");
    mk_node_add(m, "Sigmoid", "s", "x", "s");
    mk_node_add(m, "Identity", "i", "x", "i");
    mk_node_add(m, "Tanh", "t", "i", "t");
    mk_node_add(m, "Add", "a1", "r,e", "re");
    mk_node_add(m, "Add", "a2", "s,t", "st");
    mk_node_add(m, "Add", "a3", "re,st", "y");
    const int64_t d2[] = {2};
    const float x[2] = {-1, 0.5f};
    const mk_feed f[] = {{"x", 0, 1, d2, x}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 1, f);
    const float gx[2] = {0.98446571f, 3.67017271f};
    mk_expect_f32(s, 0, 1, d2, gx, 1e-6, 1e-6);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_matmul(void **state)
{
    (void)state;
    /* Y = A B with A [2,3], B [3,2]: dA = 1 B^T (row t of B summed), dB = A^T 1 (column t of A
     * summed) */
    mk_model *m = grad_model("A,B", "A,B", "Y", "dA,dB");
    mk_node_add(m, "MatMul", "mm", "A,B", "Y");
    const int64_t da[] = {2, 3}, db[] = {3, 2};
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, -1, 2, 3, 0.5f, 0.25f};
    const mk_feed f[] = {{"A", 0, 2, da, a}, {"B", 0, 2, db, b}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    const float ga[6] = {0, 5, 0.75f, 0, 5, 0.75f}, gb[6] = {5, 5, 7, 7, 9, 9};
    mk_expect_f32(s, 0, 2, da, ga, 0, 0);
    mk_expect_f32(s, 1, 2, db, gb, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_unreachable_and_optional(void **state)
{
    (void)state;
    /* y = Relu(a) does not read b: dy/db is zeros of b's shape */
    mk_model *m = grad_model("a,b", "a,b", "y", "da,db");
    mk_node_add(m, "Relu", "r", "a", "y");
    const int64_t d2[] = {2}, d3[] = {3};
    const float a[2] = {-2, 2}, b[3] = {1, 2, 3};
    const mk_feed f[] = {{"a", 0, 1, d2, a}, {"b", 0, 1, d3, b}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    const float ga[2] = {0, 1}, gb[3] = {0, 0, 0};
    mk_expect_f32(s, 0, 1, d2, ga, 0, 0);
    mk_expect_f32(s, 1, 1, d3, gb, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
    /* outputs are optional: asking only for da */
    m = grad_model("a,b", "a,b", "y", "da");
    mk_node_add(m, "Mul", "m", "a,b", "y");
    const float b2[2] = {3, 4};
    const mk_feed f2[] = {{"a", 0, 1, d2, a}, {"b", 0, 1, d2, b2}};
    s = mk_open_ok(m);
    mk_run_ok(s, 2, f2);
    mk_expect_f32(s, 0, 1, d2, b2, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_zs_and_intermediate(void **state)
{
    (void)state;
    /* y = (a * z) * z with xs = [a], zs = [z]: dy/da = z^2; z is an input, not differentiated */
    mk_model *m = mk_new(13);
    mk_opset(m, TRAINING, 1);
    mk_input(m, "a", ONNXBN_FLOAT, -1, NULL);
    mk_input(m, "z", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "da", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "dh", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(m, "Mul", "m1", "a,z", "h");
    mk_node_add(m, "Mul", "m2", "h,z", "y");
    mk_node *g = mk_node_add(m, "Gradient", "g", "a,z", "da");
    mk_node_domain(g, TRAINING);
    const char *xs[] = {"a"}, *zs[] = {"z"}, *hs[] = {"h"};
    mk_attr_strings(g, "xs", 1, xs);
    mk_attr_strings(g, "zs", 1, zs);
    mk_attr_s(g, "y", "y");
    /* against an intermediate tensor (the spec's dY/dH): y = h * z, so dy/dh = z */
    g = mk_node_add(m, "Gradient", "g2", "h,z", "dh");
    mk_node_domain(g, TRAINING);
    mk_attr_strings(g, "xs", 1, hs);
    mk_attr_strings(g, "zs", 1, zs);
    mk_attr_s(g, "y", "y");
    const int64_t d2[] = {2};
    const float a[2] = {5, 7}, z[2] = {2, -3};
    const mk_feed f[] = {{"a", 0, 1, d2, a}, {"z", 0, 1, d2, z}};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 2, f);
    const float ga[2] = {4, 9};
    mk_expect_f32(s, 0, 1, d2, ga, 0, 0);
    mk_expect_f32(s, 1, 1, d2, z, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_refused(void **state)
{
    (void)state;
    const int64_t d2[] = {2}, d3[] = {3}, d22[] = {2, 2}, d222[] = {2, 2, 2};
    const float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    mk_feed f[] = {{"a", 0, 1, d2, a}, {"b", 0, 1, d2, a}};
    /* an operator it cannot differentiate */
    mk_model *m = grad_model("a,b", "a,b", "y", "da,db");
    mk_node_add(m, "Abs", "abs", "a", "p");
    mk_node_add(m, "Add", "add", "p,b", "y");
    mk_expect_fail(m, 2, f, ONNXBN_ERR_UNSUPPORTED,
                   "node 'g' (Gradient): cannot differentiate node 'abs' (Abs)");
    mk_free(m);
    /* y reads a value that is neither in xs nor zs */
    m = grad_model("a,b", "a", "y", "da");
    mk_node_add(m, "Add", "add", "a,b", "y");
    mk_expect_fail(m, 2, f, ONNXBN_ERR_UNSUPPORTED, "node 'g' (Gradient): y depends on 'b' (read "
                   "by node 'add' (Add)), which is neither in xs nor in zs");
    mk_free(m);
    /* y and xs that the graph does not have */
    m = grad_model("a,b", "a,b", "nope", "da,db");
    mk_node_add(m, "Add", "add", "a,b", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_expect_fail(m, 2, f, ONNXBN_ERR_MODEL, "node 'g' (Gradient): y names 'nope'");
    mk_free(m);
    /* shapes that do not broadcast, and a 3-D MatMul */
    m = grad_model("a,b", "a,b", "y", "da,db");
    mk_node_add(m, "Add", "add", "a,b", "y");
    f[1].dims = d3;
    mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, NULL);
    mk_free(m);
    m = grad_model("a,b", "a,b", "y", "da,db");
    mk_node_add(m, "MatMul", "mm", "a,b", "y");
    f[0] = (mk_feed){"a", 0, 3, d222, a};
    f[1] = (mk_feed){"b", 0, 2, d22, a};
    mk_expect_fail(m, 2, f, ONNXBN_ERR_UNSUPPORTED,
                   "node 'g' (Gradient): cannot differentiate node 'mm' (MatMul): MatMul of ranks 3 "
                   "and 2");
    mk_free(m);
    /* a non-float input */
    m = mk_new(13);
    mk_opset(m, TRAINING, 1);
    mk_input(m, "a", ONNXBN_INT32, -1, NULL);
    mk_input(m, "b", ONNXBN_INT32, -1, NULL);
    mk_output(m, "da", ONNXBN_INT32, -1, NULL);
    mk_node_add(m, "Add", "add", "a,b", "y");
    mk_node *g = mk_node_add(m, "Gradient", "g", "a,b", "da");
    mk_node_domain(g, TRAINING);
    const char *xs[] = {"a", "b"};
    mk_attr_strings(g, "xs", 2, xs);
    mk_attr_s(g, "y", "y");
    const int32_t ia[2] = {1, 2};
    f[0] = (mk_feed){"a", ONNXBN_INT32, 1, d2, ia};
    f[1] = (mk_feed){"b", ONNXBN_INT32, 1, d2, ia};
    mk_expect_fail(m, 2, f, ONNXBN_ERR_UNSUPPORTED, "node 'g' (Gradient): input 0 is int32");
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_add), cmocka_unit_test(test_mul_chain),
        cmocka_unit_test(test_sub_div_neg),   cmocka_unit_test(test_unary),
        cmocka_unit_test(test_matmul),        cmocka_unit_test(test_unreachable_and_optional),
        cmocka_unit_test(test_zs_and_intermediate), cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
