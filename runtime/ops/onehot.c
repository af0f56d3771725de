/* SPDX-License-Identifier: Apache-2.0 */
/* onehot.c — OneHot 9 and 11: a new axis of `depth` positions, on_value where the index points
 * and off_value elsewhere. Negative indices count from the end; one outside [-depth, depth-1]
 * leaves its row all off (the spec; the numpy reference's mod would wrap it instead). */
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

static const onnxbn_attr_spec onehot_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

#define OH_INDEX (MV_NUMERIC)
#define OH_VALUES (MV_NUMERIC | MV_T(ONNXBN_BOOL) | MV_T(ONNXBN_STRING) | \
                   MV_T(ONNXBN_COMPLEX64) | MV_T(ONNXBN_COMPLEX128))

/* The depth: one element of any numeric type, a float truncated toward zero as a cast to an
 * integer would. Its value sets the output shape, so it must be known when infer runs. */
static onnxbn_status onehot_depth(const onnxbn_kctx *c, int64_t *depth)
{
    const onnxbn_tensor *d = onnxbn_in(c, 1);
    if (d->numel != 1 || d->rank > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'depth' ('%.100s') must be a scalar or one element, has %lld "
                                "elements in rank %d", mv_in_name(c, 1), (long long)d->numel, d->rank);
    if (!d->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input 'depth' ('%.100s') is known only at run time; the output "
                                "shape depends on its value", mv_in_name(c, 1));
    const double v = onnxbn_get_f64(d, 0);
    /* beyond 2^62 no output could be allocated anyway; the bound keeps the conversion defined */
    if (!(v >= 1) || v >= 0x1p62)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'depth' ('%.100s') is %g; it must be at "
                                "least 1", mv_in_name(c, 1), v);
    *depth = (int64_t)v;
    return ONNXBN_OK;
}

/* Output shape = indices' with depth inserted at axis (in [-(r+1), r]); also the split of
 * the indices into (outer, inner) around that axis. */
static onnxbn_status onehot_shape(const onnxbn_kctx *c, int64_t *dims, int64_t *outer,
                                  int64_t *inner, int64_t *depth)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axis;
    int ax;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "indices", OH_INDEX)) ||
        (st = onnxbn_mv_check_type(c, 1, "depth", OH_INDEX)) ||
        (st = onnxbn_mv_check_type(c, 2, "values", OH_VALUES)) ||
        (st = onnxbn_attr_int(c, "axis", -1, &axis)))
        return st;
    if (x->rank + 1 > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "indices of rank %d give an output of "
                                "rank %d, above onnxbn's %d", x->rank, x->rank + 1, ONNXBN_MAX_RANK);
    if ((st = onnxbn_mv_axis(c, axis, x->rank + 1, "attribute 'axis'", &ax)))
        return st;
    if (onnxbn_in(c, 2)->numel != 2 || onnxbn_in(c, 2)->rank != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'values' ('%.100s') must hold 2 values "
                                "[off, on], has %lld in rank %d", mv_in_name(c, 2),
                                (long long)onnxbn_in(c, 2)->numel, onnxbn_in(c, 2)->rank);
    if ((st = onehot_depth(c, depth)))
        return st;
    *outer = *inner = 1;
    for (int d = 0, k = 0; d <= x->rank; d++) {
        if (d == ax) {
            dims[d] = *depth;
            continue;
        }
        dims[d] = x->dims[k];
        if (d < ax)
            *outer *= x->dims[k];
        else
            *inner *= x->dims[k];
        k++;
    }
    return ONNXBN_OK;
}

static onnxbn_status onehot_infer(onnxbn_kctx *c)
{
    int64_t dims[ONNXBN_MAX_RANK], outer = 1, inner = 1, depth = 1;
    onnxbn_status st = onehot_shape(c, dims, &outer, &inner, &depth);
    return st ? st : onnxbn_mv_set_out(c, 0, onnxbn_in(c, 2)->dtype, onnxbn_in(c, 0)->rank + 1, dims);
}

/* Index k of the indices as an integer (floats truncated toward zero, as a cast to int64), or
 * -1 - depth (out of range) when it cannot be one. */
static int64_t index_at(const onnxbn_tensor *x, int64_t k, int64_t depth)
{
    switch (x->dtype) {
    case ONNXBN_INT64: return ((const int64_t *)x->data)[k];
    case ONNXBN_INT32: return ((const int32_t *)x->data)[k];
    case ONNXBN_UINT64: {
        uint64_t u = ((const uint64_t *)x->data)[k];
        return u > (uint64_t)INT64_MAX ? -1 - depth : (int64_t)u;
    }
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: {
        double v = onnxbn_get_f64(x, k);
        return v > -0x1p62 && v < 0x1p62 ? (int64_t)v : -1 - depth;
    }
    default: return onnxbn_get_i64(x, k);
    }
}

static onnxbn_status onehot_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *v = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t dims[ONNXBN_MAX_RANK], outer = 1, inner = 1, depth = 1;
    onnxbn_status st = onehot_shape(c, dims, &outer, &inner, &depth);
    if (st)
        return st;
    const size_t es = onnxbn_dtype_size(v->dtype);
    ONNXBN_CHECK(y->dtype == v->dtype && y->numel == outer * depth * inner, c->err);
    const uint8_t *off = v->data, *on = (const uint8_t *)v->data + es;
    uint8_t *out = y->data;
    onnxbn_fill(out, es, y->numel, off);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t k = index_at(x, o * inner + i, depth);
            if (k < -depth || k >= depth)
                continue;
            if (k < 0)
                k += depth;
            memcpy(out + (size_t)((o * depth + k) * inner + i) * es, on, es);
        }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_onehot = {
    .attrs = onehot_attrs,
    .infer = onehot_infer,
    .run = onehot_run,
};
