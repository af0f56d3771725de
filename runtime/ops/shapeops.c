/* SPDX-License-Identifier: Apache-2.0 */
/* shapeops.c — helpers shared by the shape and data-movement operators: type rules, axis checks,
 * constant integer inputs and the plain copy, so each operator states only its own rule. */
#include <stdio.h>
#include <string.h>

#include "shapeops.h"

onnxbn_status onnxbn_mv_check_dtype(const onnxbn_kctx *c, onnxbn_dtype t, const char *what,
                                    uint32_t allowed)
{
    char list[256];
    if ((unsigned)t > 31 || !(allowed & MV_T(t)))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "%s is %s, %s-%d takes %s", what,
                                onnxbn_dtype_name(t), onnxbn_node_op_type(c->node), c->version,
                                onnxbn_type_list(allowed, list, sizeof list));
    if (onnxbn_dtype_size(t) == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "%s is %s, which onnxbn does not support",
                                what, onnxbn_dtype_name(t));
    return ONNXBN_OK;
}

onnxbn_status onnxbn_mv_check_type(const onnxbn_kctx *c, int i, const char *name,
                                   uint32_t allowed)
{
    char what[160];
    snprintf(what, sizeof what, "input '%s' ('%.100s')", name, mv_in_name(c, i));
    return onnxbn_mv_check_dtype(c, onnxbn_in(c, i)->dtype, what, allowed);
}

onnxbn_status onnxbn_mv_axis(const onnxbn_kctx *c, int64_t axis, int rank, const char *what,
                             int *out)
{
    const int64_t lo = -(int64_t)rank;
    if (axis < lo || axis >= rank) {
        if (rank == 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s %lld given for a tensor of rank 0",
                                    what, (long long)axis);
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s %lld is outside [%lld, %d] for rank %d",
                                what, (long long)axis, (long long)lo, rank - 1, rank);
    }
    *out = (int)(axis < 0 ? axis + rank : axis);
    return ONNXBN_OK;
}

onnxbn_status onnxbn_mv_const_ints(const onnxbn_kctx *c, int i, const char *name,
                                   uint32_t allowed, bool allow_scalar, int64_t *buf, size_t cap,
                                   size_t *n)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    onnxbn_status st = onnxbn_mv_check_type(c, i, name, allowed);
    if (st)
        return st;
    if (t->rank != 1 && !(allow_scalar && t->rank == 0))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%.100s') has rank %d, expected a 1-D tensor",
                                name, mv_in_name(c, i), t->rank);
    if (!t->data && t->numel > 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input '%s' ('%.100s') is known only at run time; onnxbn needs it "
                                "constant, since the output shape depends on its values",
                                name, mv_in_name(c, i));
    if ((uint64_t)t->numel > cap)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input '%s' ('%.100s') has %lld values, at most %zu are supported",
                                name, mv_in_name(c, i), (long long)t->numel, cap);
    for (int64_t k = 0; k < t->numel; k++)
        buf[k] = t->dtype == ONNXBN_INT32 ? ((const int32_t *)t->data)[k] : onnxbn_get_i64(t, k);
    *n = (size_t)t->numel;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_mv_set_out(const onnxbn_kctx *c, int k, onnxbn_dtype t, int rank,
                                const int64_t *dims)
{
    onnxbn_tensor *o = onnxbn_out(c, k);
    if (!o)
        return ONNXBN_OK;
    onnxbn_error e = {0};
    onnxbn_status st = onnxbn_tensor_set_shape(o, t, rank, dims, &e);
    if (st)
        return onnxbn_node_fail(c, st, "output '%.100s': %s", onnxbn_node_output_name(c->node, k),
                                e.msg);
    return ONNXBN_OK;
}

onnxbn_status onnxbn_mv_copy_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->nbytes != x->nbytes)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "output has %zu bytes, input %zu", y->nbytes,
                                x->nbytes);
    if (y->nbytes && y->data != x->data)
        memcpy(y->data, x->data, x->nbytes);
    return ONNXBN_OK;
}

onnxbn_status onnxbn_mv_index_fail(const onnxbn_kctx *c, int64_t p, int axis)
{
    const onnxbn_tensor *idx = onnxbn_in(c, 1);
    const int64_t v = idx->dtype == ONNXBN_INT64 ? ((const int64_t *)idx->data)[p]
                                                 : ((const int32_t *)idx->data)[p];
    const int64_t n = onnxbn_in(c, 0)->dims[axis];
    return onnxbn_node_fail(c, ONNXBN_ERR_ARG,
                            "index %lld on axis %d is out of range [%lld, %lld) (element %lld of "
                            "input 'indices' ('%.100s'))",
                            (long long)v, axis, (long long)-n, (long long)n, (long long)p,
                            mv_in_name(c, 1));
}

onnxbn_status onnxbn_mv_attr_axis(const onnxbn_kctx *c, int *axis)
{
    int64_t a;
    onnxbn_status st = onnxbn_attr_int(c, "axis", 0, &a);
    return st ? st : onnxbn_mv_axis(c, a, onnxbn_in(c, 0)->rank, "attribute 'axis'", axis);
}
