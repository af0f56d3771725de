/* SPDX-License-Identifier: Apache-2.0 */
/* reduce.c — ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare and ArgMax/ArgMin.
 * The axes are an attribute until ReduceSum-13 and the others' version 18, an optional input since. */
#include <stdlib.h>
#include <string.h>

#include "kernels/reduce.h"
#include "op.h"

/* What sets one reduction apart: its kernel op and the version that moved `axes` to an input. */
typedef struct red_kind {
    onnxbn_op_id id;
    onnxbn_reduce_op op;
    int axes_input_since;
} red_kind;

static const red_kind kinds[] = {
    {ONNXBN_OP_ReduceSum, ONNXBN_REDUCE_SUM, 13},
    {ONNXBN_OP_ReduceMean, ONNXBN_REDUCE_MEAN, 18},
    {ONNXBN_OP_ReduceMax, ONNXBN_REDUCE_MAX, 18},
    {ONNXBN_OP_ReduceMin, ONNXBN_REDUCE_MIN, 18},
    {ONNXBN_OP_ReduceProd, ONNXBN_REDUCE_PROD, 18},
    {ONNXBN_OP_ReduceL1, ONNXBN_REDUCE_L1, 18},
    {ONNXBN_OP_ReduceL2, ONNXBN_REDUCE_L2, 18},
    {ONNXBN_OP_ReduceLogSum, ONNXBN_REDUCE_LOG_SUM, 18},
    {ONNXBN_OP_ReduceLogSumExp, ONNXBN_REDUCE_LOG_SUM_EXP, 18},
    {ONNXBN_OP_ReduceSumSquare, ONNXBN_REDUCE_SUM_SQUARE, 18},
};

static const red_kind *kind_of(const onnxbn_kctx *c)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].id == c->op)
            return &kinds[i];
    return NULL; /* every def below is in the table: red_config checks */
}

/* The node as run() needs it. */
typedef struct red_cfg {
    onnxbn_reduce_op op;
    bool noop; /* empty axes with noop_with_empty_axes: Y is a copy of X */
    int out_rank;
    int64_t out_dims[ONNXBN_MAX_RANK];
    onnxbn_reduce_layout layout;
} red_cfg;

static bool red_type_ok(onnxbn_dtype t, int version, bool minmax)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16:
    case ONNXBN_INT32: case ONNXBN_INT64: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    case ONNXBN_BFLOAT16:
        return version >= 13;
    case ONNXBN_INT8: case ONNXBN_UINT8:
        return minmax && version >= 12;
    default:
        return false;
    }
}

/* Whether the product of the dims fits in int64 (always so for a non-empty input's sub-shapes; an
 * empty input says nothing about its other dims). */
static bool fits(int rank, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0)
            return true;
    for (int i = 0; i < rank; i++)
        if (!onnxbn_mul_size(n, (size_t)dims[i], &n) || n > (size_t)INT64_MAX)
            return false;
    return true;
}

/* Marks the listed axes in reduce[]; each must be in [-rank, rank-1] and appear once. */
static onnxbn_status mark_axes(const onnxbn_kctx *c, const char *what, const int64_t *axes,
                               size_t n, int rank, bool *reduce)
{
    for (size_t i = 0; i < n; i++) {
        int64_t a = axes[i];
        if (a < -rank || a >= rank)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "%s: axis %lld is out of range for input 'data' of rank %d",
                                    what, (long long)a, rank);
        if (a < 0)
            a += rank;
        if (reduce[a])
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "%s: axis %lld is given twice", what,
                                    (long long)axes[i]);
        reduce[a] = true;
    }
    return ONNXBN_OK;
}

static onnxbn_status red_config(const onnxbn_kctx *c, red_cfg *r)
{
    const red_kind *k = kind_of(c);
    ONNXBN_CHECK(k, c->err); /* else a ReduceX def missing from kinds[] ran as ReduceSum */
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const bool minmax = k->op == ONNXBN_REDUCE_MAX || k->op == ONNXBN_REDUCE_MIN;
    const bool axes_input = c->version >= k->axes_input_since;
    onnxbn_status st;
    int64_t keepdims = 1, noop_empty = 0;
    memset(r, 0, sizeof *r);
    r->op = k->op;
    if ((st = onnxbn_attr_int(c, "keepdims", 1, &keepdims)))
        return st;
    if (axes_input && (st = onnxbn_attr_int(c, "noop_with_empty_axes", 0, &noop_empty)))
        return st;
    if (!red_type_ok(x->dtype, c->version, minmax))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'data' ('%s') is %s, which %s-%d does not take",
                                onnxbn_node_input_name(c->node, 0), onnxbn_dtype_name(x->dtype),
                                onnxbn_op_name(c), c->version);

    bool reduce[ONNXBN_MAX_RANK] = {false};
    const int64_t *axes = NULL;
    size_t n_axes = 0;
    if (!axes_input) {
        if (onnxbn_in(c, 1))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "%s-%d takes 'axes' as an attribute, not as an input (from version %d)",
                                    onnxbn_op_name(c), c->version, k->axes_input_since);
        if ((st = onnxbn_attr_ints(c, "axes", &axes, &n_axes)))
            return st;
        if ((st = mark_axes(c, "attribute 'axes'", axes, n_axes, x->rank, reduce)))
            return st;
    } else {
        const onnxbn_tensor *t = onnxbn_in(c, 1);
        if (t) {
            if (t->dtype != ONNXBN_INT64 || t->rank > 1)
                return onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                        "input 'axes' ('%s') must be a 1-D int64 tensor, got a rank-%d %s tensor",
                                        onnxbn_node_input_name(c->node, 1), t->rank,
                                        onnxbn_dtype_name(t->dtype));
            n_axes = (size_t)t->numel;
            if (n_axes && !t->data) /* an empty axes input needs no data to be known */
                return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                        "input 'axes' ('%s') is not a constant: the output shape would "
                                        "depend on input data, which is not supported",
                                        onnxbn_node_input_name(c->node, 1));
            axes = t->data;
            if ((st = mark_axes(c, "input 'axes'", axes, n_axes, x->rank, reduce)))
                return st;
        }
        if (n_axes == 0 && noop_empty)
            r->noop = true;
    }
    if (n_axes == 0 && !r->noop)
        for (int i = 0; i < x->rank; i++)
            reduce[i] = true;

    for (int i = 0; i < x->rank; i++) {
        if (!reduce[i])
            r->out_dims[r->out_rank++] = x->dims[i];
        else if (keepdims)
            r->out_dims[r->out_rank++] = 1;
    }
    if (!fits(r->out_rank, r->out_dims))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the output of an empty input would be too large");
    onnxbn_reduce_layout_init(&r->layout, x->rank, x->dims, reduce);
    return ONNXBN_OK;
}

static onnxbn_status red_infer(onnxbn_kctx *c)
{
    red_cfg r;
    onnxbn_status st = red_config(c, &r);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (r.noop)
        return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err);
    c->workspace = onnxbn_reduce_scratch(&r.layout);
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, r.out_rank, r.out_dims, c->err);
}

static onnxbn_status red_prepare(onnxbn_kctx *c)
{
    red_cfg *r = malloc(sizeof *r);
    if (!r)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = red_config(c, r);
    if (st) {
        free(r);
        return st;
    }
    c->state = r;
    return ONNXBN_OK;
}

static onnxbn_status red_run(onnxbn_kctx *c)
{
    const red_cfg *r = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (r->noop) {
        if (x->nbytes)
            memcpy(y->data, x->data, x->nbytes);
        return ONNXBN_OK;
    }
    onnxbn_reduce(r->op, x->dtype, &r->layout, x->data, y->data, c->scratch);
    return ONNXBN_OK;
}

/* The axes attribute ends where the version that takes them as an input begins. */
static const onnxbn_attr_spec sum_attrs[] = {
    {"axes", ONNXBN_ATTR_INTS, false, 1, 12},
    {"keepdims", ONNXBN_ATTR_INT, false, 1, 0},
    {"noop_with_empty_axes", ONNXBN_ATTR_INT, false, 13, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec red_attrs[] = {
    {"axes", ONNXBN_ATTR_INTS, false, 1, 17},
    {"keepdims", ONNXBN_ATTR_INT, false, 1, 0},
    {"noop_with_empty_axes", ONNXBN_ATTR_INT, false, 18, 0},
    {NULL, 0, false, 0, 0},
};

#define RED_DEF(sym, attrs_)                                                                      \
    const onnxbn_op_def sym = {                                                                   \
        .attrs = attrs_,                                                                          \
        .infer = red_infer,                                                                       \
        .prepare = red_prepare,                                                                   \
        .run = red_run,                                                                           \
    };

RED_DEF(onnxbn_op_reduce_sum, sum_attrs)
RED_DEF(onnxbn_op_reduce_mean, red_attrs)
RED_DEF(onnxbn_op_reduce_max, red_attrs)
RED_DEF(onnxbn_op_reduce_min, red_attrs)
RED_DEF(onnxbn_op_reduce_prod, red_attrs)
RED_DEF(onnxbn_op_reduce_l1, red_attrs)
RED_DEF(onnxbn_op_reduce_l2, red_attrs)
RED_DEF(onnxbn_op_reduce_log_sum, red_attrs)
RED_DEF(onnxbn_op_reduce_log_sum_exp, red_attrs)
RED_DEF(onnxbn_op_reduce_sum_square, red_attrs)

/* ---- ArgMax / ArgMin ---- */

typedef struct arg_cfg {
    bool is_max, last;
    int64_t outer, r, inner;
    int out_rank;
    int64_t out_dims[ONNXBN_MAX_RANK];
} arg_cfg;

static bool arg_type_ok(onnxbn_dtype t, int version)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16:
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
    case ONNXBN_UINT8: case ONNXBN_UINT16: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    case ONNXBN_BFLOAT16:
        return version >= 13;
    default:
        return false;
    }
}

static onnxbn_status arg_config(const onnxbn_kctx *c, arg_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axis = 0, keepdims = 1, last = 0;
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    g->is_max = c->op == ONNXBN_OP_ArgMax;
    if ((st = onnxbn_attr_int(c, "axis", 0, &axis)) || (st = onnxbn_attr_int(c, "keepdims", 1, &keepdims)))
        return st;
    if (c->version >= 12 && (st = onnxbn_attr_int(c, "select_last_index", 0, &last)))
        return st;
    g->last = last != 0;
    if (!arg_type_ok(x->dtype, c->version))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'data' ('%s') is %s, which %s-%d does not take",
                                onnxbn_node_input_name(c->node, 0), onnxbn_dtype_name(x->dtype),
                                onnxbn_op_name(c), c->version);
    const int rank = x->rank;
    if (axis < -rank || axis >= rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'axis' is %lld, out of range for input 'data' of rank %d",
                                (long long)axis, rank);
    if (axis < 0)
        axis += rank;
    for (int i = 0; i < rank; i++) {
        if (i != axis)
            g->out_dims[g->out_rank++] = x->dims[i];
        else if (keepdims)
            g->out_dims[g->out_rank++] = 1;
    }
    if (!fits(g->out_rank, g->out_dims))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the output of an empty input would be too large");
    bool empty_out = false;
    for (int i = 0; i < g->out_rank; i++)
        empty_out |= g->out_dims[i] == 0;
    g->r = x->dims[axis];
    g->outer = g->inner = 1;
    if (empty_out) { /* nothing to compute; the kernel returns at once */
        g->outer = 0;
        return ONNXBN_OK;
    }
    for (int i = 0; i < rank; i++) {
        if (i < axis)
            g->outer *= x->dims[i];
        else if (i > axis)
            g->inner *= x->dims[i];
    }
    if (g->r == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'data' ('%s') has length 0 along axis %lld: there is no index to give",
                                onnxbn_node_input_name(c->node, 0), (long long)axis);
    return ONNXBN_OK;
}

static onnxbn_status arg_infer(onnxbn_kctx *c)
{
    arg_cfg g;
    onnxbn_status st = arg_config(c, &g);
    if (st)
        return st;
    c->workspace = onnxbn_argreduce_scratch(g.inner);
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), ONNXBN_INT64, g.out_rank, g.out_dims, c->err);
}

static onnxbn_status arg_prepare(onnxbn_kctx *c)
{
    arg_cfg *g = malloc(sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = arg_config(c, g);
    if (st) {
        free(g);
        return st;
    }
    c->state = g;
    return ONNXBN_OK;
}

static onnxbn_status arg_run(onnxbn_kctx *c)
{
    const arg_cfg *g = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_argreduce(g->is_max, g->last, x->dtype, g->outer, g->r, g->inner, x->data,
                     onnxbn_out(c, 0)->data, c->scratch);
    return ONNXBN_OK;
}

static const onnxbn_attr_spec arg_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {"keepdims", ONNXBN_ATTR_INT, false, 1, 0},
    {"select_last_index", ONNXBN_ATTR_INT, false, 12, 0},
    {NULL, 0, false, 0, 0},
};

#define ARG_DEF(sym)                                                                              \
    const onnxbn_op_def sym = {                                                                   \
        .attrs = arg_attrs,                                                                       \
        .infer = arg_infer,                                                                       \
        .prepare = arg_prepare,                                                                   \
        .run = arg_run,                                                                           \
    };

ARG_DEF(onnxbn_op_argmax)
ARG_DEF(onnxbn_op_argmin)
