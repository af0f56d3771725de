/* SPDX-License-Identifier: Apache-2.0 */
/* pad.c — Pad, versions 1 and 2 (attributes) and 11 and 13 (constant pads input, constant_value
 * input): constant, reflect and edge modes as numpy.pad has them; negative pads crop. */
#include <stdlib.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

static const onnxbn_attr_spec pad_attrs[] = {
    {"mode", ONNXBN_ATTR_STRING, false, 1, 0},
    {"paddings", ONNXBN_ATTR_INTS, true, 1, 1},
    {"pads", ONNXBN_ATTR_INTS, true, 2, 10},
    {"value", ONNXBN_ATTR_FLOAT, false, 1, 10},
    {NULL, 0, false, 0, 0},
};

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

typedef struct pad_args {
    int mode;
    int64_t begin[ONNXBN_MAX_RANK], end[ONNXBN_MAX_RANK], dims[ONNXBN_MAX_RANK];
} pad_args;

static uint32_t pad_types(int version)
{
    return version >= 13 ? MV_ALL : version >= 11 ? MV_NUMERIC : MV_FLOATS;
}

/* Mode, pads (x1_begin, x2_begin, ..., x1_end, x2_end, ...) and the output dims. */
static onnxbn_status pad_args_get(const onnxbn_kctx *c, pad_args *a)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int r = x->rank;
    int64_t pads[2 * ONNXBN_MAX_RANK];
    size_t n;
    char mode[16];
    onnxbn_status st = onnxbn_attr_string(c, "mode", "constant", mode, sizeof mode);
    if (st)
        return st;
    if (!strcmp(mode, "constant"))
        a->mode = PAD_CONSTANT;
    else if (!strcmp(mode, "reflect"))
        a->mode = PAD_REFLECT;
    else if (!strcmp(mode, "edge"))
        a->mode = PAD_EDGE;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'mode' is '%s', expected constant, reflect or edge",
                                mode);
    if (c->version >= 11) {
        if (c->n_in < 2 || !onnxbn_in(c, 1))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input 'pads' is required");
        if (onnxbn_in(c, 1)->numel != 2 * r)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'pads' has %lld values, expected %d for rank %d",
                                    (long long)onnxbn_in(c, 1)->numel, 2 * r, r);
        if ((st = onnxbn_mv_const_ints(c, 1, "pads", MV_T(ONNXBN_INT64), false, pads,
                                       2 * ONNXBN_MAX_RANK, &n)))
            return st;
    } else {
        const char *name = c->version >= 2 ? "pads" : "paddings";
        const int64_t *v;
        if (c->n_in > 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Pad-%d takes one input, %d given", c->version, c->n_in);
        if ((st = onnxbn_attr_ints(c, name, &v, &n)))
            return st;
        if (n != (size_t)(2 * r))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute '%s' has %zu values, expected %d for rank %d",
                                    name, n, 2 * r, r);
        memcpy(pads, v, n * sizeof *v);
    }
    for (int d = 0; d < r; d++) {
        const int64_t in = x->dims[d], b = pads[d], e = pads[r + d];
        int64_t out;
        if (__builtin_add_overflow(in, b, &out) || __builtin_add_overflow(out, e, &out))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "pads %lld, %lld of axis %d overflow", (long long)b,
                                    (long long)e, d);
        if (out < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "pads %lld, %lld remove more than the %lld elements of axis %d",
                                    (long long)b, (long long)e, (long long)in, d);
        if (a->mode != PAD_CONSTANT && in == 0 && out > 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d is empty: there is nothing to %s-pad from",
                                    d, mode);
        a->begin[d] = b;
        a->end[d] = e;
        a->dims[d] = out;
    }
    return ONNXBN_OK;
}

/* Pad-11/13's constant_value: a scalar of the data's type, or absent. */
static onnxbn_status check_value(const onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *v = onnxbn_in(c, 2);
    if (!v)
        return ONNXBN_OK;
    if (v->dtype != x->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'constant_value' is %s, input 'data' %s",
                                onnxbn_dtype_name(v->dtype), onnxbn_dtype_name(x->dtype));
    if (v->numel != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'constant_value' has %lld elements, expected a scalar",
                                (long long)v->numel);
    return ONNXBN_OK;
}

static onnxbn_status pad_infer(onnxbn_kctx *c)
{
    pad_args a;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", pad_types(c->version));
    if (!st)
        st = pad_args_get(c, &a);
    if (!st)
        st = check_value(c);
    return st ? st : onnxbn_mv_set_out(c, 0, x->dtype, x->rank, a.dims);
}

typedef struct pad_state {
    onnxbn_remap_plan plan;
    uint8_t fill[16]; /* Pad-1/2: 'value' in the data's type */
    bool empty;
    int64_t segs[];
} pad_state;

static onnxbn_status pad_prepare(onnxbn_kctx *c)
{
    static const int modes[] = {[PAD_CONSTANT] = ONNXBN_AXIS_FILL, [PAD_REFLECT] = ONNXBN_AXIS_REFLECT,
                                [PAD_EDGE] = ONNXBN_AXIS_CLAMP};
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const onnxbn_tensor *y = onnxbn_out(c, 0);
    pad_args a;
    onnxbn_status st = pad_args_get(c, &a);
    if (st)
        return st;
    onnxbn_axis_rule rules[ONNXBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++)
        rules[d] = (onnxbn_axis_rule){modes[a.mode], a.begin[d]};
    onnxbn_remap_plan plan;
    const bool empty = y->numel == 0; /* nothing to write */
    if (!empty)
        onnxbn_remap_init(&plan, onnxbn_dtype_size(x->dtype), x->rank, x->dims, y->dims, rules);
    pad_state *s = calloc(1, sizeof *s + (empty ? 0 : (size_t)plan.n_segs * 4 * sizeof(int64_t)));
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the row segments");
    c->state = s;
    s->empty = empty;
    if (empty)
        return ONNXBN_OK;
    s->plan = plan;
    onnxbn_remap_segments(&s->plan, s->segs);
    if (c->version < 11) {
        float v;
        if ((st = onnxbn_attr_float(c, "value", 0.0f, &v)))
            return st;
        onnxbn_tensor one = {.dtype = x->dtype, .numel = 1, .data = s->fill};
        onnxbn_set_f64(&one, 0, v);
    }
    return ONNXBN_OK;
}

static onnxbn_status pad_run(onnxbn_kctx *c)
{
    const pad_state *s = c->state;
    const onnxbn_tensor *v = onnxbn_in(c, 2);
    if (s->empty)
        return ONNXBN_OK;
    static const uint8_t zero[16];
    const void *fill = c->version < 11 ? s->fill : v ? v->data : zero;
    onnxbn_remap_run(&s->plan, onnxbn_out(c, 0)->data, onnxbn_in(c, 0)->data, fill);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_pad = {
    .attrs = pad_attrs,
    .infer = pad_infer,
    .prepare = pad_prepare,
    .run = pad_run,
};
