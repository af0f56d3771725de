/* SPDX-License-Identifier: Apache-2.0 */
/* cumsum.c — CumSum 11 and 14 (float16 and bfloat16 from 14): the running sum along the axis
 * given as input 1, inclusive or exclusive, forward or reverse. The axis is read at each run. */
#include "kernels/cumsum.h"
#include "shapeops.h"

static const onnxbn_attr_spec cumsum_attrs[] = {
    {"exclusive", ONNXBN_ATTR_INT, false, 0, 0},
    {"reverse", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static uint32_t cumsum_types(int version)
{
    uint32_t t = MV_T(ONNXBN_FLOAT) | MV_T(ONNXBN_DOUBLE) | MV_INDEX | MV_T(ONNXBN_UINT32) |
                 MV_T(ONNXBN_UINT64);
    return version >= 14 ? t | MV_T(ONNXBN_FLOAT16) | MV_T(ONNXBN_BFLOAT16) : t;
}

/* The axis as a non-negative number; *known false when its value is not known yet (infer). */
static onnxbn_status cumsum_axis(const onnxbn_kctx *c, int *axis, bool *known)
{
    const onnxbn_tensor *a = onnxbn_in(c, 1), *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 1, "axis", MV_INDEX);
    if (st)
        return st;
    if (a->numel != 1 || a->rank > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'axis' ('%.100s') must be a scalar or "
                                "one element, has %lld in rank %d", mv_in_name(c, 1),
                                (long long)a->numel, a->rank);
    *known = a->data != NULL;
    if (!*known)
        return ONNXBN_OK;
    int64_t v = a->dtype == ONNXBN_INT32 ? ((const int32_t *)a->data)[0] : ((const int64_t *)a->data)[0];
    return onnxbn_mv_axis(c, v, x->rank, "input 'axis'", axis);
}

static onnxbn_status cumsum_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int axis;
    bool known;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "x", cumsum_types(c->version));
    if (!st)
        st = cumsum_axis(c, &axis, &known);
    if (st)
        return st;
    if (x->rank == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'x' ('%.100s') is a scalar; CumSum "
                                "needs an axis to sum along", mv_in_name(c, 0));
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

static onnxbn_status cumsum_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis;
    bool known;
    int64_t exclusive, reverse;
    onnxbn_status st;
    if ((st = cumsum_axis(c, &axis, &known)) || (st = onnxbn_attr_int(c, "exclusive", 0, &exclusive)) ||
        (st = onnxbn_attr_int(c, "reverse", 0, &reverse)))
        return st;
    ONNXBN_CHECK(known && onnxbn_cumsum_supported(x->dtype) && y->dtype == x->dtype, c->err);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    onnxbn_cumsum(x->dtype, x->data, y->data, outer, x->dims[axis], inner, exclusive != 0,
                  reverse != 0);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_cumsum = {
    .attrs = cumsum_attrs,
    .infer = cumsum_infer,
    .run = cumsum_run,
};
