/* SPDX-License-Identifier: Apache-2.0 */
/* quant.c — QuantizeLinear and DequantizeLinear (10; 13 adds per-axis scales) and
 * DynamicQuantizeLinear (11): float to int8/uint8 and back, rounding half to even, saturating. */
#include <math.h>
#include <string.h>

#include "kernels/quantize.h"
#include "ops/qparams.h"
#include "ops/shapeops.h"
#include "ops/types.h"

static const onnxbn_attr_spec q_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 13, 0},
    {NULL, 0, false, 0, 0},
};

bool onnxbn_q_type(onnxbn_dtype t, bool wide)
{
    return t == ONNXBN_INT8 || t == ONNXBN_UINT8 || (wide && t == ONNXBN_INT32);
}

int32_t onnxbn_q_at(const onnxbn_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case ONNXBN_INT8:
        return ((const int8_t *)t->data)[i];
    case ONNXBN_UINT8:
        return ((const uint8_t *)t->data)[i];
    case ONNXBN_INT32:
        return ((const int32_t *)t->data)[i];
    default:
        return 0;
    }
}

static const char *in_name(const onnxbn_kctx *c, int i)
{
    const char *n = onnxbn_node_input_name(c->node, i);
    return n ? n : "";
}

onnxbn_status onnxbn_qparam_check(const onnxbn_kctx *c, int si, int zi, onnxbn_dtype zp_type,
                                  int64_t axis_len, const char *what, onnxbn_qparam *q)
{
    const onnxbn_tensor *s = onnxbn_in(c, si), *z = onnxbn_in(c, zi);
    char sh[ONNXBN_SHAPE_STR_MAX];
    q->si = si;
    q->zi = z ? zi : -1;
    q->axis = 0;
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "the scale of '%s' (input %d) is missing",
                                what, si);
    if (s->dtype != ONNXBN_FLOAT)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%.100s'), the scale of '%s', is %s, expected float",
                                si, in_name(c, si), what, onnxbn_dtype_name(s->dtype));
    if (s->rank <= 1 && s->numel == 1)
        q->count = 1;
    else if (axis_len > 0 && s->rank == 1 && s->dims[0] == axis_len)
        q->count = axis_len;
    else if (axis_len > 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input %d ('%.100s'), the scale of '%s', has shape %s; expected one value or [%lld], one per index of its axis",
                                si, in_name(c, si), what, onnxbn_shape_str(s, sh, sizeof sh),
                                (long long)axis_len);
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input %d ('%.100s'), the scale of '%s', has shape %s; expected one value (per tensor)",
                                si, in_name(c, si), what, onnxbn_shape_str(s, sh, sizeof sh));
    if (z) {
        if (z->dtype != zp_type)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                    "input %d ('%.100s'), the zero point of '%s', is %s, expected %s",
                                    zi, in_name(c, zi), what, onnxbn_dtype_name(z->dtype),
                                    onnxbn_dtype_name(zp_type));
        if (z->numel != s->numel || z->rank > 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input %d ('%.100s'), the zero point of '%s', has shape %s; expected the shape of its scale",
                                    zi, in_name(c, zi), what, onnxbn_shape_str(z, sh, sizeof sh));
    }
    return ONNXBN_OK;
}

float onnxbn_qparam_scale(const onnxbn_kctx *c, const onnxbn_qparam *q, int64_t j)
{
    return ((const float *)onnxbn_in(c, q->si)->data)[q->count == 1 ? 0 : j];
}

int32_t onnxbn_qparam_zp(const onnxbn_kctx *c, const onnxbn_qparam *q, int64_t j)
{
    if (q->zi < 0)
        return 0;
    return onnxbn_q_at(onnxbn_in(c, q->zi), q->count == 1 ? 0 : j);
}

/* The per-axis layout of x: outer x n x inner, with n the quantized axis (n = 1 per tensor). */
typedef struct qcfg {
    onnxbn_qparam q;
    int64_t outer, n, inner;
} qcfg;

static onnxbn_status q_cfg(const onnxbn_kctx *c, bool quantize, qcfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *z = onnxbn_in(c, 2);
    onnxbn_status st;
    const uint32_t xmask = quantize ? ONNXBN_TM(ONNXBN_FLOAT) | ONNXBN_TM(ONNXBN_INT32)
                                    : ONNXBN_TM(ONNXBN_INT8) | ONNXBN_TM(ONNXBN_UINT8) |
                                          ONNXBN_TM(ONNXBN_INT32);
    if ((st = onnxbn_check_input_type(c, 0, "x", xmask)))
        return st;
    onnxbn_dtype zt = quantize ? (z ? z->dtype : ONNXBN_UINT8) : x->dtype;
    if (quantize && !onnxbn_q_type(zt, false))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                "input 2 ('%.100s'), 'y_zero_point', is %s; the output type is int8 or uint8",
                                in_name(c, 2), onnxbn_dtype_name(zt));
    int64_t axis_len = 0, axis = 1;
    int ax = 0;
    if (c->version >= 13) {
        if ((st = onnxbn_attr_int(c, "axis", 1, &axis)))
            return st;
        const onnxbn_tensor *s = onnxbn_in(c, 1);
        /* the axis matters only for a 1-D scale of more than one value; a scalar x has none */
        if (s && !(s->rank <= 1 && s->numel == 1)) {
            if (axis < -x->rank || axis >= x->rank)
                return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'axis' is %lld, outside [%d, %d] for 'x' of rank %d",
                                        (long long)axis, -x->rank, x->rank - 1, x->rank);
            ax = (int)(axis < 0 ? axis + x->rank : axis);
            axis_len = x->dims[ax];
        }
    }
    if ((st = onnxbn_qparam_check(c, 1, 2, zt, axis_len, "x", &g->q)))
        return st;
    g->outer = g->inner = 1;
    g->n = 1;
    if (g->q.count > 1) {
        g->n = x->dims[ax];
        for (int d = 0; d < ax; d++)
            g->outer *= x->dims[d];
        for (int d = ax + 1; d < x->rank; d++)
            g->inner *= x->dims[d];
    } else {
        g->inner = x->numel;
    }
    return ONNXBN_OK;
}

static onnxbn_status quantize_infer(onnxbn_kctx *c)
{
    qcfg g;
    onnxbn_status st = q_cfg(c, true, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0), *z = onnxbn_in(c, 2);
    return onnxbn_mv_set_out(c, 0, z ? z->dtype : ONNXBN_UINT8, x->rank, x->dims);
}

static onnxbn_status quantize_run(onnxbn_kctx *c)
{
    qcfg g;
    onnxbn_status st = q_cfg(c, true, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const int sgn = y->dtype == ONNXBN_INT8;
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t j = 0; j < g.n; j++) {
            const size_t at = (size_t)((o * g.n + j) * g.inner);
            const float s = onnxbn_qparam_scale(c, &g.q, j);
            const int32_t zp = onnxbn_qparam_zp(c, &g.q, j);
            void *dst = (uint8_t *)y->data + at;
            if (x->dtype == ONNXBN_FLOAT)
                onnxbn_quantize_f32((const float *)x->data + at, (size_t)g.inner, s, zp, sgn, dst);
            else
                onnxbn_quantize_i32((const int32_t *)x->data + at, (size_t)g.inner, s, zp, sgn, dst);
        }
    return ONNXBN_OK;
}

static onnxbn_status dequantize_infer(onnxbn_kctx *c)
{
    qcfg g;
    onnxbn_status st = q_cfg(c, false, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    return onnxbn_mv_set_out(c, 0, ONNXBN_FLOAT, x->rank, x->dims);
}

static onnxbn_status dequantize_run(onnxbn_kctx *c)
{
    qcfg g;
    onnxbn_status st = q_cfg(c, false, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const size_t es = onnxbn_dtype_size(x->dtype);
    for (int64_t o = 0; o < g.outer; o++)
        for (int64_t j = 0; j < g.n; j++) {
            const size_t at = (size_t)((o * g.n + j) * g.inner);
            onnxbn_dequantize((const uint8_t *)x->data + at * es, x->dtype == ONNXBN_INT8,
                              x->dtype == ONNXBN_INT32, (size_t)g.inner,
                              onnxbn_qparam_scale(c, &g.q, j), onnxbn_qparam_zp(c, &g.q, j),
                              (float *)y->data + at);
        }
    return ONNXBN_OK;
}

/* DynamicQuantizeLinear: the uint8 grid that spans [min(0, min x), max(0, max x)]. */
static onnxbn_status dynq_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_check_input_type(c, 0, "x", ONNXBN_TM(ONNXBN_FLOAT));
    if (st)
        return st;
    if ((st = onnxbn_mv_set_out(c, 0, ONNXBN_UINT8, x->rank, x->dims)) ||
        (st = onnxbn_mv_set_out(c, 1, ONNXBN_FLOAT, 0, NULL)))
        return st;
    return onnxbn_mv_set_out(c, 2, ONNXBN_UINT8, 0, NULL);
}

static onnxbn_status dynq_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0), *ys = onnxbn_out(c, 1), *yz = onnxbn_out(c, 2);
    const float *v = x->data;
    float lo = 0.0f, hi = 0.0f; /* the range always holds 0, so 0 is exact on the grid */
    for (int64_t i = 0; i < x->numel; i++) {
        lo = v[i] < lo ? v[i] : lo; /* NaN compares false and is left out */
        hi = v[i] > hi ? v[i] : hi;
    }
    const float scale = (hi - lo) / 255.0f;
    int32_t zp = 0;
    /* scale 0: every x is 0 (or NaN), which the zero point 0 represents with any scale */
    if (scale > 0.0f && isfinite(scale))
        zp = onnxbn_quantize_one((0.0f - lo) / scale, 0, 0, 255);
    if (y) {
        if (scale > 0.0f && isfinite(scale))
            onnxbn_quantize_f32(v, (size_t)x->numel, scale, zp, 0, y->data);
        else
            memset(y->data, 0, y->nbytes);
    }
    if (ys)
        *(float *)ys->data = scale;
    if (yz)
        *(uint8_t *)yz->data = (uint8_t)zp;
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_quantizelinear = {
    .attrs = q_attrs,
    .infer = quantize_infer,
    .run = quantize_run,
};

const onnxbn_op_def onnxbn_op_dequantizelinear = {
    .attrs = q_attrs,
    .infer = dequantize_infer,
    .run = dequantize_run,
};

const onnxbn_op_def onnxbn_op_dynamicquantizelinear = {
    .infer = dynq_infer,
    .run = dynq_run,
};
