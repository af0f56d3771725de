/* SPDX-License-Identifier: Apache-2.0 */
/* if.c — If (versions 1, 11, 13, 16): runs then_branch or else_branch as the boolean condition
 * says; the node's outputs are the branch's, shapes included (runtime/subgraph.c runs it). */
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec attrs[] = {
    {"then_branch", ONNXBN_ATTR_GRAPH, true, 0, 0},
    {"else_branch", ONNXBN_ATTR_GRAPH, true, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* The branch the condition picks. The output shapes are the branch's, so the node needs every
 * input's data: the planner defers it to the run (DYNAMIC, every input deciding). */
static onnxbn_status pick(const onnxbn_kctx *c, const char **attr)
{
    const onnxbn_tensor *t = c->in[0];
    if (t->kind != ONNXBN_KIND_TENSOR)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "condition '%.100s' is %s, expected a bool tensor",
                                mv_in_name(c, 0), onnxbn_kind_name(t->kind));
    if (t->dtype != ONNXBN_BOOL)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "condition '%.100s' is %s, expected bool",
                                mv_in_name(c, 0), onnxbn_dtype_name(t->dtype));
    if (t->numel != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "condition '%.100s' has %lld elements, expected one",
                                mv_in_name(c, 0), (long long)t->numel);
    for (int k = 0; k < c->n_in; k++)
        if (c->in[k] && c->in[k]->numel && !c->in[k]->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "output shape depends on input values: '%.100s' is not "
                                    "known before the run", mv_in_name(c, k));
    *attr = *(const uint8_t *)t->data ? "then_branch" : "else_branch";
    return ONNXBN_OK;
}

/* Runs the branch and checks that it gives the node's outputs. */
static onnxbn_status run_branch(onnxbn_kctx *c, const char *attr)
{
    int n = 0;
    onnxbn_status st = onnxbn_sub_run(c, attr, &n);
    if (st)
        return st;
    if (n != c->n_out)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "subgraph '%s' has %d outputs, the node %d",
                                attr, n, c->n_out);
    for (int i = 0; i < n; i++)
        if (!onnxbn_sub_output(c, attr, i))
            return onnxbn_node_fail(c, ONNXBN_ERR_INTERNAL, "subgraph '%s' gave no output %d",
                                    attr, i);
    return ONNXBN_OK;
}

static onnxbn_status if_infer(onnxbn_kctx *c)
{
    const char *attr;
    onnxbn_status st = pick(c, &attr);
    if (!st)
        st = run_branch(c, attr);
    for (int i = 0; !st && i < c->n_out; i++) {
        const onnxbn_tensor *y = onnxbn_sub_output(c, attr, i);
        if (c->out[i]) /* a sequence or an optional too (test_if_seq, test_if_opt) */
            st = onnxbn_value_shape_like(c->out[i], y, c->err);
    }
    return st;
}

static onnxbn_status if_run(onnxbn_kctx *c)
{
    const char *attr;
    onnxbn_status st = pick(c, &attr);
    if (st)
        return st;
    /* infer ran the branch on this run's inputs (deferred, or folded at plan time): its outputs
     * are there; otherwise run it again, the shapes planned must hold */
    if (!onnxbn_sub_take_fresh(c, attr) && (st = run_branch(c, attr)))
        return st;
    for (int i = 0; i < c->n_out; i++) {
        const onnxbn_tensor *y = onnxbn_sub_output(c, attr, i);
        onnxbn_tensor *o = c->out[i];
        if (!o)
            continue;
        if (y->kind != o->kind || y->dtype != o->dtype || y->nbytes != o->nbytes || y->rank != o->rank ||
            memcmp(y->dims, o->dims, (size_t)y->rank * sizeof *y->dims))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "subgraph '%s' output %d changed shape or type since the plan",
                                    attr, i);
        onnxbn_value_copy(o, y);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_ifop = {
    .attrs = attrs,
    .infer = if_infer,
    .run = if_run,
};
