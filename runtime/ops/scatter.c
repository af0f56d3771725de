/* SPDX-License-Identifier: Apache-2.0 */
/* scatter.c — Scatter (9), ScatterElements (11, 13, 16) and ScatterND (11, 13, 16): a copy of
 * `data` with `updates` written (or added, multiplied from 16) where `indices` say, checked first. */
#include <stdio.h>
#include <string.h>

#include "kernels/indexing.h"
#include "ops/shapeops.h"

/* Every tensor type; bfloat16 from 13 (Scatter-9 and the 11s have none). Strings are refused by
 * onnxbn_mv_check_type. */
static uint32_t data_types(int version) { return version >= 13 ? MV_ALL : MV_ALL12; }

/* The attribute 'reduction' (from version 16; "none" before). */
static onnxbn_status reduction(const onnxbn_kctx *c, int *out)
{
    *out = ONNXBN_SCATTER_NONE;
    if (c->version < 16)
        return ONNXBN_OK;
    char s[16];
    onnxbn_status st = onnxbn_attr_string(c, "reduction", "none", s, sizeof s);
    if (st)
        return st;
    if (!strcmp(s, "add"))
        *out = ONNXBN_SCATTER_ADD;
    else if (!strcmp(s, "mul"))
        *out = ONNXBN_SCATTER_MUL;
    else if (!strcmp(s, "min") || !strcmp(s, "max")) /* valid at opset 18, which binds 16 here */
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "attribute 'reduction' is '%s', which version 18 adds and onnxbn "
                                "does not implement (none, add and mul are)", s);
    else if (strcmp(s, "none"))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'reduction' is '%s', expected none, add or mul", s);
    return ONNXBN_OK;
}

/* Types of data, indices (in `index_types`) and updates; the reduction known for the type. */
static onnxbn_status check_types(const onnxbn_kctx *c, uint32_t index_types)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *u = onnxbn_in(c, 2);
    int red;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", data_types(c->version));
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "indices", index_types);
    if (!st && u->dtype != x->dtype)
        st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'updates' ('%.100s') is %s, 'data' is %s; they must be equal",
                              mv_in_name(c, 2), onnxbn_dtype_name(u->dtype), onnxbn_dtype_name(x->dtype));
    if (!st)
        st = reduction(c, &red);
    if (!st && red != ONNXBN_SCATTER_NONE && !onnxbn_scatter_reduces(x->dtype))
        st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "reduction on %s is not supported",
                              onnxbn_dtype_name(x->dtype));
    if (!st && x->rank < 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'data' is a scalar, %s needs rank >= 1",
                              onnxbn_op_name(c));
    return st;
}

/* Output 0 = data, unless the planner already gave it data's storage. */
static void copy_data(const onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->data != x->data && x->nbytes)
        memcpy(y->data, x->data, x->nbytes);
}

/* ---- Scatter, ScatterElements ---- */

static const onnxbn_attr_spec elements_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {"reduction", ONNXBN_ATTR_STRING, false, 16, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status elements_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1), *u = onnxbn_in(c, 2);
    int axis;
    onnxbn_status st = check_types(c, MV_INDEX);
    if (!st && idx->rank != x->rank)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'indices' has rank %d, 'data' has rank %d; they must be equal",
                              idx->rank, x->rank);
    if (!st && !onnxbn_same_shape(idx, u)) {
        char a[ONNXBN_SHAPE_STR_MAX], b[ONNXBN_SHAPE_STR_MAX];
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'updates' has shape %s, 'indices' has %s; they must be equal",
                              onnxbn_shape_str(u, a, sizeof a), onnxbn_shape_str(idx, b, sizeof b));
    }
    if (!st)
        st = onnxbn_mv_attr_axis(c, &axis);
    if (st)
        return st;
    for (int d = 0; d < x->rank; d++)
        if (d != axis && idx->dims[d] > x->dims[d])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'indices' has %lld on axis %d, above the %lld of 'data'",
                                    (long long)idx->dims[d], d, (long long)x->dims[d]);
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

static onnxbn_status elements_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1), *u = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis, red;
    onnxbn_status st = onnxbn_mv_attr_axis(c, &axis);
    if (!st)
        st = reduction(c, &red);
    if (st)
        return st;
    copy_data(c);
    const int64_t bad = onnxbn_scatter_elements(y->data, u->data, x->dtype, x->rank, x->dims,
                                                idx->dims, axis, idx->data,
                                                idx->dtype == ONNXBN_INT64, red);
    return bad < 0 ? ONNXBN_OK : onnxbn_mv_index_fail(c, bad, axis);
}

const onnxbn_op_def onnxbn_op_scatter_elements = {
    .attrs = elements_attrs,
    .infer = elements_infer,
    .run = elements_run,
};

/* Scatter-9 is ScatterElements-11 under its old name (ONNX deprecates it at opset 11 and its
 * version converter rewrites it so): the same rule and loop under its own def, one def per
 * operator (tests/unit/test_opschema.c). A model that still uses Scatter at opset 11 or above
 * gets version 9, whose meaning is the same. */
static const onnxbn_attr_spec scatter_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

const onnxbn_op_def onnxbn_op_scatter = {
    .attrs = scatter_attrs,
    .infer = elements_infer,
    .run = elements_run,
};

/* ---- ScatterND ---- */

static const onnxbn_attr_spec nd_attrs[] = {
    {"reduction", ONNXBN_ATTR_STRING, false, 16, 0},
    {NULL, 0, false, 0, 0},
};

/* The tuple length m: indices.shape[-1], at most rank(data). 0 is allowed: each tuple then
 * addresses the whole tensor (the spec bounds m only from above). */
static onnxbn_status nd_tuple(const onnxbn_kctx *c, int *m)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    const int64_t last = idx->dims[idx->rank - 1];
    if (last > x->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'indices' has %lld on its last axis, above the rank %d of 'data'",
                                (long long)last, x->rank);
    *m = (int)last;
    return ONNXBN_OK;
}

static onnxbn_status nd_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1), *u = onnxbn_in(c, 2);
    int m = 0;
    onnxbn_status st = check_types(c, MV_T(ONNXBN_INT64));
    if (!st && idx->rank < 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'indices' is a scalar, ScatterND needs rank >= 1");
    if (!st)
        st = nd_tuple(c, &m);
    if (st)
        return st;
    /* updates: indices.shape[:-1] ++ data.shape[m:] */
    int64_t want[2 * ONNXBN_MAX_RANK];
    int k = 0;
    for (int d = 0; d + 1 < idx->rank; d++)
        want[k++] = idx->dims[d];
    for (int d = m; d < x->rank; d++)
        want[k++] = x->dims[d];
    bool same = u->rank == k;
    for (int d = 0; same && d < k; d++)
        same = u->dims[d] == want[d];
    if (!same) {
        char a[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'updates' has shape %s, expected indices.shape[:-1] + "
                                "data.shape[%d:] (rank %d)",
                                onnxbn_shape_str(u, a, sizeof a), m, k);
    }
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

static onnxbn_status nd_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1), *u = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int m = 0, red;
    onnxbn_status st = nd_tuple(c, &m);
    if (!st)
        st = reduction(c, &red);
    if (st)
        return st;
    copy_data(c);
    int64_t tuples = 1, slice = 1;
    for (int d = 0; d + 1 < idx->rank; d++)
        tuples *= idx->dims[d];
    for (int d = m; d < x->rank; d++)
        slice *= x->dims[d];
    const int64_t bad = onnxbn_scatter_nd(y->data, u->data, x->dtype, tuples, m, x->dims, slice,
                                          idx->data, red);
    return bad < 0 ? ONNXBN_OK : onnxbn_mv_index_fail(c, bad, (int)(bad % m));
}

const onnxbn_op_def onnxbn_op_scatter_nd = {
    .attrs = nd_attrs,
    .infer = nd_infer,
    .run = nd_run,
};
