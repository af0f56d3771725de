/* SPDX-License-Identifier: Apache-2.0 */
/* slice.c — Slice, versions 1 (attributes), 10, 11 and 13 (constant inputs with steps): the
 * numpy rule for starts/ends (negative counts from the end, clamped by step sign), one strided copy. */
#include <stdlib.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

static const onnxbn_attr_spec slice_attrs[] = {
    {"starts", ONNXBN_ATTR_INTS, true, 1, 9},
    {"ends", ONNXBN_ATTR_INTS, true, 1, 9},
    {"axes", ONNXBN_ATTR_INTS, false, 1, 9},
    {NULL, 0, false, 0, 0},
};

typedef struct slice_state {
    onnxbn_copy_plan plan;
    int64_t offset; /* element of the input that lands first */
} slice_state;

typedef struct slice_args {
    size_t n;
    int64_t starts[ONNXBN_MAX_RANK], ends[ONNXBN_MAX_RANK], axes[ONNXBN_MAX_RANK],
        steps[ONNXBN_MAX_RANK];
    bool has_axes, has_steps;
} slice_args;

/* One of Slice-1's list attributes into dst; at most one value per axis of the data. */
static onnxbn_status attr_list(const onnxbn_kctx *c, const char *name, int64_t *dst, size_t *n,
                               bool *given)
{
    const int64_t *v;
    onnxbn_status st = onnxbn_attr_ints(c, name, &v, n);
    if (st)
        return st;
    *given = onnxbn_attr_has(c, name);
    if (*n > (size_t)onnxbn_in(c, 0)->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute '%s' has %zu values for rank %d", name,
                                *n, onnxbn_in(c, 0)->rank);
    if (*n)
        memcpy(dst, v, *n * sizeof *v);
    return ONNXBN_OK;
}

/* Input i (from Slice-10) into dst; at most one value per axis of the data. */
static onnxbn_status input_list(const onnxbn_kctx *c, int i, const char *name, int64_t *dst,
                                size_t *n)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    if (t->numel > onnxbn_in(c, 0)->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' has %lld values for rank %d", name,
                                (long long)t->numel, onnxbn_in(c, 0)->rank);
    if (t->dtype != onnxbn_in(c, 1)->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' is %s, input 'starts' %s", name,
                                onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(onnxbn_in(c, 1)->dtype));
    return onnxbn_mv_const_ints(c, i, name, MV_INDEX, false, dst, ONNXBN_MAX_RANK, n);
}

static onnxbn_status slice_args_get(const onnxbn_kctx *c, slice_args *a)
{
    size_t ne = 0, na = 0, ns = 0;
    bool given;
    onnxbn_status st;
    memset(a, 0, sizeof *a);
    if (c->version < 10) {
        if (c->n_in > 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Slice-1 takes one input, %d given", c->n_in);
        if ((st = attr_list(c, "starts", a->starts, &a->n, &given)) ||
            (st = attr_list(c, "ends", a->ends, &ne, &given)) ||
            (st = attr_list(c, "axes", a->axes, &na, &a->has_axes)))
            return st;
    } else {
        if (c->n_in < 3 || !onnxbn_in(c, 1) || !onnxbn_in(c, 2))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "inputs 'starts' and 'ends' are required");
        a->has_axes = onnxbn_in(c, 3) != NULL;
        a->has_steps = onnxbn_in(c, 4) != NULL;
        if ((st = input_list(c, 1, "starts", a->starts, &a->n)) ||
            (st = input_list(c, 2, "ends", a->ends, &ne)) ||
            (a->has_axes && (st = input_list(c, 3, "axes", a->axes, &na))) ||
            (a->has_steps && (st = input_list(c, 4, "steps", a->steps, &ns))))
            return st;
    }
    if (ne != a->n || (a->has_axes && na != a->n) || (a->has_steps && ns != a->n))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "starts, ends%s%s have different lengths (%zu, %zu%s%s)",
                                a->has_axes ? ", axes" : "", a->has_steps ? ", steps" : "", a->n, ne,
                                a->has_axes ? ", axes" : "", a->has_steps ? ", steps" : "");
    for (size_t k = 0; k < a->n; k++) {
        if (!a->has_axes)
            a->axes[k] = (int64_t)k;
        if (!a->has_steps)
            a->steps[k] = 1;
    }
    return ONNXBN_OK;
}

/* Output dims, and the first element and per-axis element strides of the input to read. */
static onnxbn_status slice_params(const onnxbn_kctx *c, int64_t *dims, int64_t *offset,
                                  int64_t *strides)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    slice_args a;
    onnxbn_status st = slice_args_get(c, &a);
    if (st)
        return st;
    int64_t dense[ONNXBN_MAX_RANK], acc = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        dense[d] = acc;
        acc *= x->dims[d];
        dims[d] = x->dims[d];
        strides[d] = dense[d];
    }
    bool seen[ONNXBN_MAX_RANK] = {false};
    *offset = 0;
    for (size_t k = 0; k < a.n; k++) {
        int ax;
        if ((st = onnxbn_mv_axis(c, a.axes[k], x->rank, "axis", &ax)))
            return st;
        if (seen[ax])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d is sliced twice", ax);
        seen[ax] = true;
        const int64_t dim = x->dims[ax], step = a.steps[k];
        int64_t s = a.starts[k], e = a.ends[k];
        if (step == 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "step of axis %d is 0", ax);
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        uint64_t span;
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            span = e > s ? (uint64_t)(e - s) : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            span = dim > 0 && s > e ? (uint64_t)(s - e) : 0;
        }
        const uint64_t ustep = step > 0 ? (uint64_t)step : (uint64_t)0 - (uint64_t)step;
        dims[ax] = (int64_t)((span + ustep - 1) / ustep);
        if (dims[ax] > 0)
            *offset += s * dense[ax];
        /* Two or more elements taken means |step| < dim, so the stride cannot overflow. */
        strides[ax] = dims[ax] > 1 ? step * dense[ax] : dense[ax];
    }
    return ONNXBN_OK;
}

static onnxbn_status slice_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t dims[ONNXBN_MAX_RANK], offset, strides[ONNXBN_MAX_RANK];
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = slice_params(c, dims, &offset, strides);
    return st ? st : onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
}

static onnxbn_status slice_prepare(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t dims[ONNXBN_MAX_RANK], strides[ONNXBN_MAX_RANK];
    slice_state *s = malloc(sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = slice_params(c, dims, &s->offset, strides);
    if (st) {
        free(s);
        return st;
    }
    onnxbn_copy_plan_init(&s->plan, onnxbn_dtype_size(x->dtype), x->rank, dims, strides);
    c->state = s;
    return ONNXBN_OK;
}

static onnxbn_status slice_run(onnxbn_kctx *c)
{
    const slice_state *s = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (s->plan.numel > 0)
        onnxbn_copy_plan_run(&s->plan, onnxbn_out(c, 0)->data,
                             (const uint8_t *)x->data + s->offset * (int64_t)s->plan.es);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_slice = {
    .attrs = slice_attrs,
    .infer = slice_infer,
    .prepare = slice_prepare,
    .run = slice_run,
};
