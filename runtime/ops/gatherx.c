/* SPDX-License-Identifier: Apache-2.0 */
/* gatherx.c — GatherElements (11, 13) and GatherND (11, 12, 13 with batch_dims): reads addressed
 * by index tensors; every index is checked at run time, an index out of range names the node. */
#include <stdio.h>

#include "kernels/indexing.h"
#include "ops/shapeops.h"

/* Every tensor type; bfloat16 from 13. Strings are refused by onnxbn_mv_check_type. */
static uint32_t data_types(int version) { return version >= 13 ? MV_ALL : MV_ALL12; }

/* ---- GatherElements ---- */

static const onnxbn_attr_spec elements_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status elements_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    int axis;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", data_types(c->version));
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "indices", MV_INDEX);
    if (!st && x->rank < 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'data' is a scalar, GatherElements needs rank >= 1");
    if (!st && idx->rank != x->rank)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'indices' has rank %d, 'data' has rank %d; they must be equal",
                              idx->rank, x->rank);
    if (!st)
        st = onnxbn_mv_attr_axis(c, &axis);
    if (st)
        return st;
    for (int d = 0; d < x->rank; d++)
        if (d != axis && idx->dims[d] > x->dims[d])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'indices' has %lld on axis %d, above the %lld of 'data'",
                                    (long long)idx->dims[d], d, (long long)x->dims[d]);
    return onnxbn_mv_set_out(c, 0, x->dtype, idx->rank, idx->dims);
}

static onnxbn_status elements_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis;
    onnxbn_status st = onnxbn_mv_attr_axis(c, &axis);
    if (st)
        return st;
    const int64_t bad = onnxbn_gather_elements(y->data, x->data, onnxbn_dtype_size(x->dtype), x->rank,
                                               x->dims, idx->dims, axis, idx->data,
                                               idx->dtype == ONNXBN_INT64);
    return bad < 0 ? ONNXBN_OK : onnxbn_mv_index_fail(c, bad, axis);
}

const onnxbn_op_def onnxbn_op_gather_elements = {
    .attrs = elements_attrs,
    .infer = elements_infer,
    .run = elements_run,
};

/* ---- GatherND ---- */

static const onnxbn_attr_spec nd_attrs[] = {
    {"batch_dims", ONNXBN_ATTR_INT, false, 12, 0},
    {NULL, 0, false, 0, 0},
};

/* batch_dims b and the tuple length m, checked against the shapes. */
static onnxbn_status nd_dims(const onnxbn_kctx *c, int *b, int *m)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    const int r = x->rank, q = idx->rank;
    int64_t bd = 0;
    onnxbn_status st = c->version >= 12 ? onnxbn_attr_int(c, "batch_dims", 0, &bd) : ONNXBN_OK;
    if (st)
        return st;
    const int lim = r < q ? r : q;
    if (bd < 0 || bd >= lim)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "attribute 'batch_dims' is %lld, expected 0 to %d (below the ranks "
                                "of 'data', %d, and 'indices', %d)",
                                (long long)bd, lim - 1, r, q);
    *b = (int)bd;
    const int64_t last = idx->dims[q - 1];
    if (last < 1 || last > r - *b)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'indices' has %lld on its last axis, expected 1 to %d (the "
                                "rank of 'data' less batch_dims)",
                                (long long)last, r - *b);
    *m = (int)last;
    for (int d = 0; d < *b; d++)
        if (idx->dims[d] != x->dims[d])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "batch axis %d: 'indices' has %lld, 'data' has %lld; they must be equal",
                                    d, (long long)idx->dims[d], (long long)x->dims[d]);
    return ONNXBN_OK;
}

static onnxbn_status nd_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", data_types(c->version));
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "indices", MV_T(ONNXBN_INT64));
    if (!st && (x->rank < 1 || idx->rank < 1))
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' is a scalar, GatherND needs rank >= 1",
                              x->rank < 1 ? "data" : "indices");
    int b = 0, m = 1;
    if (!st)
        st = nd_dims(c, &b, &m);
    if (st)
        return st;
    const int rank = idx->rank - 1 + x->rank - b - m;
    if (rank > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "output rank %d is above the supported %d",
                                rank, ONNXBN_MAX_RANK);
    int64_t dims[ONNXBN_MAX_RANK];
    int k = 0;
    for (int d = 0; d + 1 < idx->rank; d++)
        dims[k++] = idx->dims[d];
    for (int d = b + m; d < x->rank; d++)
        dims[k++] = x->dims[d];
    return onnxbn_mv_set_out(c, 0, x->dtype, rank, dims);
}

static onnxbn_status nd_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int b = 0, m = 1;
    onnxbn_status st = nd_dims(c, &b, &m);
    if (st)
        return st;
    int64_t batch = 1, tuples = 1, slice = 1;
    for (int d = 0; d + 1 < idx->rank; d++)
        *(d < b ? &batch : &tuples) *= idx->dims[d];
    for (int d = b + m; d < x->rank; d++)
        slice *= x->dims[d];
    const int64_t bad = onnxbn_gather_nd(y->data, x->data, onnxbn_dtype_size(x->dtype), batch,
                                         tuples, m, x->dims + b, slice, idx->data);
    return bad < 0 ? ONNXBN_OK : onnxbn_mv_index_fail(c, bad, b + (int)(bad % m));
}

const onnxbn_op_def onnxbn_op_gather_nd = {
    .attrs = nd_attrs,
    .infer = nd_infer,
    .run = nd_run,
};
