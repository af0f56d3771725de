/* SPDX-License-Identifier: Apache-2.0 */
/* tile.c — operators that repeat their input: Expand (numpy broadcasting to a constant shape,
 * read with zero strides) and Tile (repeats per axis: coordinates taken modulo the input's). */
#include <stdlib.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/movement.h"
#include "shapeops.h"

/* ---- Expand ---- */

static onnxbn_status expand_shape(const onnxbn_kctx *c, int *rank, int64_t *dims)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t shape[ONNXBN_MAX_RANK];
    size_t n;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = onnxbn_mv_const_ints(c, 1, "shape", MV_T(ONNXBN_INT64), false, shape, ONNXBN_MAX_RANK, &n);
    if (st)
        return st;
    char a[ONNXBN_SHAPE_STR_MAX], b[ONNXBN_SHAPE_STR_MAX];
    onnxbn_tensor want = {.rank = (int)n};
    memcpy(want.dims, shape, n * sizeof *shape);
    for (size_t k = 0; k < n; k++)
        if (shape[k] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'shape' %s has a negative dimension",
                                    onnxbn_shape_str(&want, b, sizeof b));
    if (!onnxbn_broadcast_shape(x->rank, x->dims, (int)n, shape, rank, dims))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input %s does not broadcast to shape %s",
                                onnxbn_shape_str(x, a, sizeof a), onnxbn_shape_str(&want, b, sizeof b));
    return ONNXBN_OK;
}

static onnxbn_status expand_infer(onnxbn_kctx *c)
{
    int r;
    int64_t dims[ONNXBN_MAX_RANK];
    onnxbn_status st = expand_shape(c, &r, dims);
    return st ? st : onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, r, dims);
}

static onnxbn_status expand_prepare(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t strides[ONNXBN_MAX_RANK];
    onnxbn_copy_plan *p = malloc(sizeof *p);
    if (!p)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_broadcast_strides(x->rank, x->dims, y->rank, y->dims, strides);
    onnxbn_copy_plan_init(p, onnxbn_dtype_size(x->dtype), y->rank, y->dims, strides);
    c->state = p;
    return ONNXBN_OK;
}

static onnxbn_status expand_run(onnxbn_kctx *c)
{
    onnxbn_copy_plan_run(c->state, onnxbn_out(c, 0)->data, onnxbn_in(c, 0)->data);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_expand = {
    .infer = expand_infer,
    .prepare = expand_prepare,
    .run = expand_run,
};

/* ---- Tile ---- */

/* Output dims: each axis times its repeat count (Tile-6/13), or one axis times 'tiles' (Tile-1). */
static onnxbn_status tile_dims(const onnxbn_kctx *c, int64_t *dims)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const uint32_t types = c->version >= 13 ? MV_ALL : c->version >= 6 ? MV_ALL12 : MV_FLOATS;
    int64_t rep[ONNXBN_MAX_RANK];
    size_t n;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", types);
    if (st)
        return st;
    for (int d = 0; d < x->rank; d++) {
        dims[d] = x->dims[d];
        rep[d] = 1;
    }
    if (c->version < 6) {
        int64_t tiles, axis;
        int ax;
        if (c->n_in != 3 || !onnxbn_in(c, 1) || !onnxbn_in(c, 2))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Tile-1 takes inputs 'input', 'tiles' and 'axis'");
        if ((st = onnxbn_mv_const_ints(c, 1, "tiles", MV_INDEX, true, &tiles, 1, &n)) ||
            (n != 1 && (st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'tiles' must hold one value"))) ||
            (st = onnxbn_mv_const_ints(c, 2, "axis", MV_INDEX, true, &axis, 1, &n)) ||
            (n != 1 && (st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'axis' must hold one value"))) ||
            (st = onnxbn_mv_axis(c, axis, x->rank, "input 'axis'", &ax)))
            return st;
        rep[ax] = tiles;
    } else {
        if (c->n_in != 2)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Tile-%d takes 2 inputs, %d given", c->version, c->n_in);
        if ((st = onnxbn_mv_const_ints(c, 1, "repeats", MV_T(ONNXBN_INT64), false, rep,
                                       ONNXBN_MAX_RANK, &n)))
            return st;
        if (n != (size_t)x->rank)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'repeats' has %zu values, input 'input' has rank %d",
                                    n, x->rank);
    }
    for (int d = 0; d < x->rank; d++) {
        size_t prod;
        if (rep[d] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "repeat count %lld of axis %d is negative",
                                    (long long)rep[d], d);
        if (!onnxbn_mul_size((size_t)dims[d], (size_t)rep[d], &prod) || prod > (size_t)INT64_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "axis %d of size %lld repeated %lld times overflows",
                                    d, (long long)dims[d], (long long)rep[d]);
        dims[d] = (int64_t)prod;
    }
    return ONNXBN_OK;
}

static onnxbn_status tile_infer(onnxbn_kctx *c)
{
    int64_t dims[ONNXBN_MAX_RANK];
    onnxbn_status st = tile_dims(c, dims);
    return st ? st : onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, onnxbn_in(c, 0)->rank, dims);
}

typedef struct tile_state {
    onnxbn_remap_plan plan;
    int64_t segs[];
} tile_state;

/* Output coordinate o of an axis reads o mod n. */
static onnxbn_status tile_prepare(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->numel == 0) /* nothing to write */
        return ONNXBN_OK;
    onnxbn_axis_rule rules[ONNXBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++)
        rules[d] = (onnxbn_axis_rule){ONNXBN_AXIS_WRAP, 0};
    onnxbn_remap_plan plan;
    onnxbn_remap_init(&plan, onnxbn_dtype_size(x->dtype), x->rank, x->dims, y->dims, rules);
    tile_state *s = malloc(sizeof *s + (size_t)plan.n_segs * 4 * sizeof(int64_t));
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "no memory for %lld row segments", (long long)plan.n_segs);
    s->plan = plan;
    onnxbn_remap_segments(&s->plan, s->segs);
    c->state = s;
    return ONNXBN_OK;
}

static onnxbn_status tile_run(onnxbn_kctx *c)
{
    const tile_state *s = c->state;
    if (s)
        onnxbn_remap_run(&s->plan, onnxbn_out(c, 0)->data, onnxbn_in(c, 0)->data, NULL);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_tile = {
    .infer = tile_infer,
    .prepare = tile_prepare,
    .run = tile_run,
};
