/* SPDX-License-Identifier: Apache-2.0 */
/* loopmodels.h — a Loop model that test_loop.c checks for its values and test_loop_alloc.c for
 * its heap calls: a body with an If inside, reading the main graph two scopes down. */
#ifndef ONNXBN_TESTS_LOOPMODELS_H
#define ONNXBN_TESTS_LOOPMODELS_H

#include "mkmodel.h"

/* Loop(M, , y0) whose body runs If(i even): then y + i, else y − w, w read from the main graph
 * two scopes down: both the body and the branch run as nested sessions once per iteration. */
static inline mk_model *loop_if_model(void)
{
    mk_model *m = mk_new(16);
    const int64_t one[] = {1};
    mk_input(m, "M", ONNXBN_INT64, 0, NULL);
    mk_input(m, "y0", ONNXBN_FLOAT, 1, one);
    mk_init_f32(m, "w", 1, one, (const float[]){10});
    mk_model *b = mk_new(16), *t = mk_new(16), *e = mk_new(16);
    mk_input(b, "i", ONNXBN_INT64, 0, NULL);
    mk_input(b, "cond_in", ONNXBN_BOOL, 0, NULL);
    mk_input(b, "y_in", ONNXBN_FLOAT, 1, one);
    mk_init(b, "two", ONNXBN_INT64, 0, NULL, (const int64_t[]){2});
    mk_init(b, "zero", ONNXBN_INT64, 0, NULL, (const int64_t[]){0});
    mk_node_add(b, "Mod", "b_mod", "i,two", "r");
    mk_node_add(b, "Equal", "b_eq", "r,zero", "even");
    mk_attr_i(mk_node_add(t, "Cast", "t_cast", "i", "fi"), "to", ONNXBN_FLOAT);
    mk_node_add(t, "Add", "t_add", "y_in,fi", "ty");
    mk_output(t, "ty", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(e, "Sub", "e_sub", "y_in,w", "ey");
    mk_output(e, "ey", ONNXBN_FLOAT, -1, NULL);
    mk_node *nif = mk_node_add(b, "If", "b_if", "even", "y_out");
    mk_attr_graph(b, nif, "then_branch", t);
    mk_attr_graph(b, nif, "else_branch", e);
    mk_node_add(b, "Identity", "b_id", "cond_in", "cond_out");
    mk_output(b, "cond_out", ONNXBN_BOOL, 0, NULL);
    mk_output(b, "y_out", ONNXBN_FLOAT, 1, one);
    mk_node *nd = mk_node_add(m, "Loop", "loop", "M,,y0", "y");
    mk_attr_graph(m, nd, "body", b);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    return m;
}

#endif
