/* SPDX-License-Identifier: Apache-2.0 */
/* movement.c — operators that rearrange elements: Transpose, Concat, Split and Gather, moving
 * raw elements of any size through the kernels in kernels/movement.h. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

static uint32_t all_types(int version) { return version >= 13 ? MV_ALL : MV_ALL12; }

/* Elements before and after `axis`. */
static void around(const onnxbn_tensor *t, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int d = 0; d < t->rank; d++) {
        if (d < axis)
            *outer *= t->dims[d];
        else if (d > axis)
            *inner *= t->dims[d];
    }
}

/* ---- Transpose ---- */

static const onnxbn_attr_spec transpose_attrs[] = {
    {"perm", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

/* perm, reversed axes by default; it must be a permutation of 0 .. rank-1. */
static onnxbn_status transpose_perm(const onnxbn_kctx *c, int64_t *perm)
{
    const int r = onnxbn_in(c, 0)->rank;
    const int64_t *p;
    size_t n;
    onnxbn_status st = onnxbn_attr_ints(c, "perm", &p, &n);
    if (st)
        return st;
    if (!onnxbn_attr_has(c, "perm")) {
        for (int k = 0; k < r; k++)
            perm[k] = r - 1 - k;
        return ONNXBN_OK;
    }
    if (n != (size_t)r)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'perm' has %zu values, input 'data' has rank %d",
                                n, r);
    bool seen[ONNXBN_MAX_RANK] = {false};
    for (int k = 0; k < r; k++) {
        if (p[k] < 0 || p[k] >= r || seen[p[k]])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "attribute 'perm' is not a permutation of 0..%d (value %lld at %d)",
                                    r - 1, (long long)p[k], k);
        seen[p[k]] = true;
        perm[k] = p[k];
    }
    return ONNXBN_OK;
}

static onnxbn_status transpose_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t perm[ONNXBN_MAX_RANK], dims[ONNXBN_MAX_RANK];
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", all_types(c->version));
    if (!st)
        st = transpose_perm(c, perm);
    if (st)
        return st;
    for (int k = 0; k < x->rank; k++)
        dims[k] = x->dims[perm[k]];
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
}

static onnxbn_status transpose_prepare(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t perm[ONNXBN_MAX_RANK], strides[ONNXBN_MAX_RANK];
    onnxbn_status st = transpose_perm(c, perm);
    if (st)
        return st;
    onnxbn_copy_plan *p = malloc(sizeof *p);
    if (!p)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_transpose_strides(x->rank, x->dims, perm, strides);
    onnxbn_copy_plan_init(p, onnxbn_dtype_size(x->dtype), x->rank, onnxbn_out(c, 0)->dims, strides);
    c->state = p;
    return ONNXBN_OK;
}

static onnxbn_status transpose_run(onnxbn_kctx *c)
{
    onnxbn_copy_plan_run(c->state, onnxbn_out(c, 0)->data, onnxbn_in(c, 0)->data);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_transpose = {
    .attrs = transpose_attrs,
    .infer = transpose_infer,
    .prepare = transpose_prepare,
    .run = transpose_run,
};

/* ---- Concat ---- */

static const onnxbn_attr_spec concat_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 1}, /* Concat-1: default 1 */
    {"axis", ONNXBN_ATTR_INT, true, 4, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status concat_axis(const onnxbn_kctx *c, int *axis)
{
    int64_t a;
    onnxbn_status st = onnxbn_attr_int(c, "axis", 1, &a);
    if (st)
        return st;
    return onnxbn_mv_axis(c, a, onnxbn_in(c, 0)->rank, "attribute 'axis'", axis);
}

static onnxbn_status concat_infer(onnxbn_kctx *c)
{
    const uint32_t types = c->version >= 4 ? all_types(c->version) : MV_FLOATS;
    for (int i = 0; i < c->n_in; i++)
        if (!onnxbn_in(c, i))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is empty", i);
    const onnxbn_tensor *x0 = onnxbn_in(c, 0);
    int axis;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "inputs", types);
    if (!st)
        st = concat_axis(c, &axis);
    if (st)
        return st;
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < c->n_in; i++) {
        const onnxbn_tensor *x = onnxbn_in(c, i);
        char a[ONNXBN_SHAPE_STR_MAX], b[ONNXBN_SHAPE_STR_MAX];
        if (x->dtype != x0->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%.100s') is %s, input 0 is %s", i,
                                    mv_in_name(c, i), onnxbn_dtype_name(x->dtype),
                                    onnxbn_dtype_name(x0->dtype));
        bool fits = x->rank == x0->rank;
        for (int d = 0; fits && d < x->rank; d++)
            fits = d == axis || x->dims[d] == x0->dims[d];
        if (!fits)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input %d ('%.100s') has shape %s, input 0 %s: they may differ only on axis %d",
                                    i, mv_in_name(c, i), onnxbn_shape_str(x, a, sizeof a),
                                    onnxbn_shape_str(x0, b, sizeof b), axis);
        if (__builtin_add_overflow(dims[axis], x->dims[axis], &dims[axis]))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the concatenated axis overflows");
    }
    return onnxbn_mv_set_out(c, 0, x0->dtype, x0->rank, dims);
}

static onnxbn_status concat_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis;
    onnxbn_status st = concat_axis(c, &axis);
    if (st)
        return st;
    int64_t outer, inner;
    around(y, axis, &outer, &inner);
    const size_t es = onnxbn_dtype_size(y->dtype);
    const size_t pitch = (size_t)y->dims[axis] * (size_t)inner * es;
    size_t off = 0;
    for (int i = 0; i < c->n_in; i++) {
        const onnxbn_tensor *x = onnxbn_in(c, i);
        const size_t block = (size_t)x->dims[axis] * (size_t)inner * es;
        if (block && outer)
            onnxbn_copy_rows((uint8_t *)y->data + off, pitch, x->data, block, outer, block);
        off += block;
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_concat = {
    .attrs = concat_attrs,
    .infer = concat_infer,
    .run = concat_run,
};

/* ---- Split ---- */

static const onnxbn_attr_spec split_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {"split", ONNXBN_ATTR_INTS, false, 1, 12},
    {NULL, 0, false, 0, 0},
};

typedef struct split_state {
    int axis, n;
    int64_t len[]; /* per output */
} split_state;

/* The lengths along the axis: the 'split' attribute (up to Split-11), the 'split' input (Split-1
 * and from Split-13), or equal parts. */
static onnxbn_status split_lengths(const onnxbn_kctx *c, int *axis, int64_t *len)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int n = c->n_out;
    int64_t a;
    onnxbn_status st = onnxbn_attr_int(c, "axis", 0, &a);
    if (st || (st = onnxbn_mv_axis(c, a, x->rank, "attribute 'axis'", axis)))
        return st;
    const int64_t dim = x->dims[*axis];
    bool given = false;
    if (onnxbn_in(c, 1)) {
        if (c->version >= 2 && c->version < 13)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Split-%d takes one input, %d given", c->version, c->n_in);
        const onnxbn_tensor *s = onnxbn_in(c, 1);
        /* Split-1 types its 'split' input T (a float type) by the letter of the spec. */
        const uint32_t types = c->version >= 13 ? MV_T(ONNXBN_INT64) : MV_INDEX | MV_FLOATS;
        if ((st = onnxbn_mv_check_type(c, 1, "split", types)))
            return st;
        if (s->rank != 1 || s->numel != n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'split' has %lld values for %d outputs",
                                    (long long)s->numel, n);
        if (!s->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "input 'split' ('%.100s') is known only at run time; onnxbn needs it "
                                    "constant, since the output shapes depend on its values",
                                    mv_in_name(c, 1));
        for (int k = 0; k < n; k++) {
            if (s->dtype == ONNXBN_INT64 || s->dtype == ONNXBN_INT32) {
                len[k] = onnxbn_get_i64(s, k);
                continue;
            }
            const double v = onnxbn_get_f64(s, k);
            if (!(v >= 0.0 && v <= 0x1p62) || v != floor(v))
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'split' value %g is not a length", v);
            len[k] = (int64_t)v;
        }
        given = true;
    } else if (c->version < 13 && onnxbn_attr_has(c, "split")) {
        const int64_t *v;
        size_t m;
        if ((st = onnxbn_attr_ints(c, "split", &v, &m)))
            return st;
        if (m != (size_t)n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'split' has %zu values for %d outputs", m, n);
        memcpy(len, v, (size_t)n * sizeof *v);
        given = true;
    }
    if (!given) {
        if (dim % n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d of size %lld does not split into %d equal parts",
                                    *axis, (long long)dim, n);
        for (int k = 0; k < n; k++)
            len[k] = dim / n;
        return ONNXBN_OK;
    }
    int64_t sum = 0;
    for (int k = 0; k < n; k++) {
        if (len[k] < 0 || len[k] > dim - sum)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "split length %lld (output %d) is negative or runs past axis %d of size %lld",
                                    (long long)len[k], k, *axis, (long long)dim);
        sum += len[k];
    }
    if (sum != dim)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "split lengths add up to %lld, axis %d has size %lld",
                                (long long)sum, *axis, (long long)dim);
    return ONNXBN_OK;
}

static onnxbn_status split_alloc(const onnxbn_kctx *c, split_state **s)
{
    *s = malloc(sizeof **s + (size_t)c->n_out * sizeof(int64_t));
    if (!*s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    (*s)->n = c->n_out;
    return ONNXBN_OK;
}

static onnxbn_status split_infer(onnxbn_kctx *c)
{
    const uint32_t types = c->version >= 2 ? all_types(c->version) : MV_FLOATS;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    split_state *s;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", types);
    if (st || (st = split_alloc(c, &s)))
        return st;
    st = split_lengths(c, &s->axis, s->len);
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    for (int k = 0; !st && k < c->n_out; k++) {
        dims[s->axis] = s->len[k];
        st = onnxbn_mv_set_out(c, k, x->dtype, x->rank, dims);
    }
    free(s);
    return st;
}

static onnxbn_status split_prepare(onnxbn_kctx *c)
{
    split_state *s;
    onnxbn_status st = split_alloc(c, &s);
    if (!st && (st = split_lengths(c, &s->axis, s->len))) {
        free(s);
        return st;
    }
    c->state = s;
    return st;
}

static onnxbn_status split_run(onnxbn_kctx *c)
{
    const split_state *s = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t outer, inner;
    around(x, s->axis, &outer, &inner);
    const size_t es = onnxbn_dtype_size(x->dtype);
    const size_t pitch = (size_t)x->dims[s->axis] * (size_t)inner * es;
    size_t off = 0;
    for (int k = 0; k < s->n; k++) {
        onnxbn_tensor *y = onnxbn_out(c, k);
        const size_t block = (size_t)s->len[k] * (size_t)inner * es;
        if (y && block && outer)
            onnxbn_copy_rows(y->data, block, (const uint8_t *)x->data + off, pitch, outer, block);
        off += block;
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_split = {
    .attrs = split_attrs,
    .infer = split_infer,
    .prepare = split_prepare,
    .run = split_run,
};

/* ---- Gather ---- */

static const onnxbn_attr_spec gather_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status gather_axis(const onnxbn_kctx *c, int *axis)
{
    int64_t a;
    onnxbn_status st = onnxbn_attr_int(c, "axis", 0, &a);
    return st ? st : onnxbn_mv_axis(c, a, onnxbn_in(c, 0)->rank, "attribute 'axis'", axis);
}

/* Every index within [-n, n-1]. */
static onnxbn_status check_indices(const onnxbn_kctx *c, int64_t n)
{
    const onnxbn_tensor *t = onnxbn_in(c, 1);
    for (int64_t k = 0; k < t->numel; k++) {
        const int64_t i = t->dtype == ONNXBN_INT64 ? ((const int64_t *)t->data)[k]
                                                   : ((const int32_t *)t->data)[k];
        if (i < -n || i >= n)
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG,
                                    "index %lld at position %lld of input 'indices' is outside [%lld, %lld]",
                                    (long long)i, (long long)k, (long long)-n, (long long)(n - 1));
    }
    return ONNXBN_OK;
}

static onnxbn_status gather_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    int axis;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", all_types(c->version));
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "indices", MV_INDEX);
    if (!st && x->rank < 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'data' is a scalar, Gather needs rank >= 1");
    if (!st)
        st = gather_axis(c, &axis);
    if (st)
        return st;
    const int r = x->rank - 1 + idx->rank;
    if (r > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "output rank %d is above the supported %d", r,
                                ONNXBN_MAX_RANK);
    if (idx->data && (st = check_indices(c, x->dims[axis])))
        return st;
    int64_t dims[ONNXBN_MAX_RANK];
    int k = 0;
    for (int d = 0; d < axis; d++)
        dims[k++] = x->dims[d];
    for (int d = 0; d < idx->rank; d++)
        dims[k++] = idx->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        dims[k++] = x->dims[d];
    return onnxbn_mv_set_out(c, 0, x->dtype, r, dims);
}

static onnxbn_status gather_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *idx = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis;
    onnxbn_status st = gather_axis(c, &axis);
    if (!st)
        st = check_indices(c, x->dims[axis]);
    if (st || y->numel == 0)
        return st;
    int64_t outer, inner;
    around(x, axis, &outer, &inner);
    onnxbn_gather(y->data, x->data, onnxbn_dtype_size(x->dtype), outer, x->dims[axis], inner,
                  idx->data, idx->dtype == ONNXBN_INT64, idx->numel);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_gather = {
    .attrs = gather_attrs,
    .infer = gather_infer,
    .run = gather_run,
};
