/* SPDX-License-Identifier: Apache-2.0 */
/* shape.c — operators that change only the shape: Reshape, Flatten, Squeeze, Unsqueeze, Identity
 * and inference-mode Dropout (the data is copied as is), and Shape and Size (read only dims). */
#include <stdio.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

/* "[2,-1,5]" for a list of values, for messages. */
static const char *list_str(const int64_t *v, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t k = 0; k <= n && len < cap; k++) {
        int w = k == n ? snprintf(buf + len, cap - len, "]")
                       : snprintf(buf + len, cap - len, "%s%lld", k ? "," : "[", (long long)v[k]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "[]");
    return buf;
}

static onnxbn_status same_shape_out(onnxbn_kctx *c, int k, onnxbn_dtype t)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    return onnxbn_mv_set_out(c, k, t, x->rank, x->dims);
}

/* ---- Reshape ---- */

static const onnxbn_attr_spec reshape_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* Reshape-1's legacy hint: unused */
    {"shape", ONNXBN_ATTR_INTS, false, 1, 1},
    {"allowzero", ONNXBN_ATTR_INT, false, 14, 0},
    {NULL, 0, false, 0, 0},
};

/* The shape given as an attribute (Reshape-1) or a constant input (from Reshape-5). */
static onnxbn_status reshape_target(const onnxbn_kctx *c, int64_t *want, size_t *n)
{
    if (c->version >= 5) {
        if (!onnxbn_in(c, 1))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input 'shape' is required");
        return onnxbn_mv_const_ints(c, 1, "shape", MV_T(ONNXBN_INT64), false, want,
                                    ONNXBN_MAX_RANK, n);
    }
    if (c->n_in > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Reshape-1 takes one input, %d given", c->n_in);
    const int64_t *v;
    onnxbn_status st = onnxbn_attr_ints(c, "shape", &v, n);
    if (st)
        return st;
    if (!onnxbn_attr_has(c, "shape"))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'shape' is required by Reshape-1");
    if (*n > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "attribute 'shape' has %zu values, rank above %d is not supported",
                                *n, ONNXBN_MAX_RANK);
    if (*n)
        memcpy(want, v, *n * sizeof *v);
    return ONNXBN_OK;
}

static onnxbn_status reshape_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const uint32_t types = c->version >= 13 ? MV_ALL : c->version >= 5 ? MV_ALL12 : MV_FLOATS;
    int64_t want[ONNXBN_MAX_RANK], dims[ONNXBN_MAX_RANK], allowzero = 0;
    size_t n = 0;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", types);
    if (!st)
        st = reshape_target(c, want, &n);
    if (!st && c->version >= 14)
        st = onnxbn_attr_int(c, "allowzero", 0, &allowzero);
    if (st)
        return st;

    char ws[ONNXBN_SHAPE_STR_MAX], xs[ONNXBN_SHAPE_STR_MAX];
    list_str(want, n, ws, sizeof ws);
    onnxbn_shape_str(x, xs, sizeof xs);
    int infer_at = -1;
    bool has_zero = false;
    uint64_t known = 1;
    for (size_t k = 0; k < n; k++) {
        int64_t v = want[k];
        if (v == -1) {
            if (infer_at >= 0)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "shape %s has more than one -1", ws);
            infer_at = (int)k;
            dims[k] = 1;
            continue;
        }
        if (v < -1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "shape %s has the negative value %lld", ws,
                                    (long long)v);
        if (v == 0 && !allowzero) {
            if ((int)k >= x->rank)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "shape %s copies dimension %zu (0) of input 'data' %s, which has rank %d",
                                        ws, k, xs, x->rank);
            v = x->dims[k];
        }
        has_zero |= v == 0;
        dims[k] = v;
        size_t prod;
        if (!onnxbn_mul_size((size_t)known, (size_t)v, &prod) || prod > (uint64_t)INT64_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "shape %s has more elements than fit in 64 bits", ws);
        known = prod;
    }
    if (infer_at >= 0) {
        if (allowzero && has_zero)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "shape %s has both -1 and 0, which allowzero=1 does not allow", ws);
        if (known == 0 || (uint64_t)x->numel % known)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "shape %s does not fit the %lld elements of input 'data' %s", ws,
                                    (long long)x->numel, xs);
        dims[infer_at] = x->numel / (int64_t)known;
    } else if (known != (uint64_t)x->numel) {
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "shape %s has %llu elements, input 'data' %s has %lld", ws,
                                (unsigned long long)known, xs, (long long)x->numel);
    }
    return onnxbn_mv_set_out(c, 0, x->dtype, (int)n, dims);
}

const onnxbn_op_def onnxbn_op_reshape = {
    .attrs = reshape_attrs,
    .infer = reshape_infer,
    .run = onnxbn_mv_copy_run,
};

/* ---- Flatten ---- */

static const onnxbn_attr_spec flatten_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status flatten_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const uint32_t types = c->version >= 13 ? MV_ALL : c->version >= 9 ? MV_ALL12 : MV_FLOATS;
    int64_t axis;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", types);
    if (!st)
        st = onnxbn_attr_int(c, "axis", 1, &axis);
    if (st)
        return st;
    /* axis may equal the rank: everything goes to the outer dimension. Negative values (spelled
     * out from Flatten-11) are taken in every version, as for the other axes (shapeops.h). */
    const int64_t lo = -(int64_t)x->rank;
    if (axis < lo || axis > x->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'axis' %lld is outside [%lld, %d] for rank %d",
                                (long long)axis, (long long)lo, x->rank, x->rank);
    if (axis < 0)
        axis += x->rank;
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < x->rank; d++)
        dims[d < axis ? 0 : 1] *= x->dims[d];
    return onnxbn_mv_set_out(c, 0, x->dtype, 2, dims);
}

const onnxbn_op_def onnxbn_op_flatten = {
    .attrs = flatten_attrs,
    .infer = flatten_infer,
    .run = onnxbn_mv_copy_run,
};

/* ---- Squeeze and Unsqueeze ---- */

static const onnxbn_attr_spec squeeze_attrs[] = {
    {"axes", ONNXBN_ATTR_INTS, false, 1, 12},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec unsqueeze_attrs[] = {
    {"axes", ONNXBN_ATTR_INTS, true, 1, 12},
    {NULL, 0, false, 0, 0},
};

/* The axes of (Un)Squeeze: an attribute up to version 12, a constant input from 13. *given is
 * false when they are absent (Squeeze then removes every dimension of size 1). */
static onnxbn_status axes_list(const onnxbn_kctx *c, int64_t *axes, size_t *n, bool *given)
{
    *n = 0;
    if (c->version >= 13) {
        if (c->n_in > 2)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "takes at most 2 inputs, %d given", c->n_in);
        *given = onnxbn_in(c, 1) != NULL;
        return *given ? onnxbn_mv_const_ints(c, 1, "axes", MV_T(ONNXBN_INT64), true, axes,
                                             ONNXBN_MAX_RANK, n)
                      : ONNXBN_OK;
    }
    if (c->n_in > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "%s-%d takes one input, %d given",
                                onnxbn_node_op_type(c->node), c->version, c->n_in);
    const int64_t *v;
    onnxbn_status st = onnxbn_attr_ints(c, "axes", &v, n);
    if (st)
        return st;
    *given = onnxbn_attr_has(c, "axes");
    if (*n > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'axes' has %zu values, more than the rank allows",
                                *n);
    if (*n)
        memcpy(axes, v, *n * sizeof *v);
    return ONNXBN_OK;
}

static onnxbn_status squeeze_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axes[ONNXBN_MAX_RANK], dims[ONNXBN_MAX_RANK];
    size_t n;
    bool given, drop[ONNXBN_MAX_RANK] = {false};
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = axes_list(c, axes, &n, &given);
    if (st)
        return st;
    for (size_t k = 0; k < n; k++) {
        int a;
        if ((st = onnxbn_mv_axis(c, axes[k], x->rank, "axis", &a)))
            return st;
        if (drop[a])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d is given twice", a);
        if (x->dims[a] != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "axis %d of input 'data' has size %lld, only axes of size 1 can be squeezed",
                                    a, (long long)x->dims[a]);
        drop[a] = true;
    }
    int r = 0;
    for (int d = 0; d < x->rank; d++)
        if (!(given ? drop[d] : x->dims[d] == 1))
            dims[r++] = x->dims[d];
    return onnxbn_mv_set_out(c, 0, x->dtype, r, dims);
}

static onnxbn_status unsqueeze_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axes[ONNXBN_MAX_RANK], dims[ONNXBN_MAX_RANK];
    size_t n;
    bool given, ins[ONNXBN_MAX_RANK] = {false};
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = axes_list(c, axes, &n, &given);
    if (st)
        return st;
    if (!given)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input 'axes' is required");
    if ((size_t)x->rank + n > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "output rank %zu is above the supported %d",
                                (size_t)x->rank + n, ONNXBN_MAX_RANK);
    const int r = x->rank + (int)n;
    for (size_t k = 0; k < n; k++) {
        int a;
        if ((st = onnxbn_mv_axis(c, axes[k], r, "axis", &a)))
            return st;
        if (ins[a])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d is given twice", a);
        ins[a] = true;
    }
    for (int d = 0, j = 0; d < r; d++)
        dims[d] = ins[d] ? 1 : x->dims[j++];
    return onnxbn_mv_set_out(c, 0, x->dtype, r, dims);
}

const onnxbn_op_def onnxbn_op_squeeze = {
    .attrs = squeeze_attrs,
    .infer = squeeze_infer,
    .run = onnxbn_mv_copy_run,
};

const onnxbn_op_def onnxbn_op_unsqueeze = {
    .attrs = unsqueeze_attrs,
    .infer = unsqueeze_infer,
    .run = onnxbn_mv_copy_run,
};

/* ---- Identity ---- */

/* Sequences from version 14, optionals from 16: the value is copied whole, headers and all. */
static onnxbn_status identity_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->kind != ONNXBN_KIND_TENSOR) {
        if (c->version < (x->kind == ONNXBN_KIND_SEQUENCE ? 14 : 16))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input is %s; Identity-%d takes tensors",
                                    onnxbn_kind_name(x->kind), c->version);
        return onnxbn_value_shape_like(c->out[0], x, c->err);
    }
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", c->version >= 13 ? MV_ALL : MV_ALL12);
    return st ? st : same_shape_out(c, 0, x->dtype);
}

static onnxbn_status identity_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->kind == ONNXBN_KIND_TENSOR)
        return onnxbn_mv_copy_run(c);
    ONNXBN_CHECK(c->out[0]->kind == x->kind && c->out[0]->nbytes == x->nbytes, c->err);
    onnxbn_value_copy(c->out[0], x);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_identity = {
    .infer = identity_infer,
    .run = identity_run,
};

/* ---- Dropout ----
 * onnxbn runs inference: Y = X and the mask is all ones. Dropout-1/6 say training with is_test=0
 * and Dropout-7/10 cannot say it at all; both are taken in test mode, as exported inference graphs
 * mean them and as onnxruntime runs them. From Dropout-12 the training_mode input decides: in
 * training, ratio 0 still gives Y = X with a full mask, any other ratio draws random numbers,
 * which onnxbn does not do (unsupported). */

static const onnxbn_attr_spec dropout_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1},
    {"is_test", ONNXBN_ATTR_INT, false, 1, 6},
    {"ratio", ONNXBN_ATTR_FLOAT, false, 1, 10},
    {"seed", ONNXBN_ATTR_INT, false, 12, 0},
    {NULL, 0, false, 0, 0},
};

static double scalar(const onnxbn_tensor *t) { return onnxbn_get_f64(t, 0); }

/* Training mode with a non-zero ratio is random: refused. Inputs known only at run time are
 * checked by run (at_run). */
static onnxbn_status dropout_mode(const onnxbn_kctx *c, bool at_run)
{
    const onnxbn_tensor *ratio = onnxbn_in(c, 1), *train = onnxbn_in(c, 2);
    if (c->version < 12 || !train)
        return ONNXBN_OK;
    if (!train->data || (ratio && !ratio->data))
        return at_run ? onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input 'training_mode' or 'ratio' has no data")
                      : ONNXBN_OK;
    if (!((const uint8_t *)train->data)[0])
        return ONNXBN_OK;
    const double r = ratio ? scalar(ratio) : 0.5;
    if (!(r >= 0.0 && r < 1.0))
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input 'ratio' is %g, expected a value in [0, 1)", r);
    if (r != 0.0)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "training_mode is true with ratio %g: random dropout is not supported "
                                "(onnxbn runs inference)", r);
    return ONNXBN_OK;
}

static onnxbn_status dropout_infer(onnxbn_kctx *c)
{
    const uint32_t types = c->version >= 13 ? MV_FLOATS | MV_T(ONNXBN_BFLOAT16) : MV_FLOATS;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", types);
    if (st)
        return st;
    if (c->version < 12 && c->n_in > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "Dropout-%d takes one input, %d given",
                                c->version, c->n_in);
    const onnxbn_tensor *ratio = onnxbn_in(c, 1), *train = onnxbn_in(c, 2);
    if (ratio) {
        if ((st = onnxbn_mv_check_type(c, 1, "ratio", MV_FLOATS)))
            return st;
        if (ratio->numel != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'ratio' has %lld elements, expected a scalar",
                                    (long long)ratio->numel);
    }
    if (train) {
        if ((st = onnxbn_mv_check_type(c, 2, "training_mode", MV_T(ONNXBN_BOOL))))
            return st;
        if (train->numel != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'training_mode' has %lld elements, expected a scalar",
                                    (long long)train->numel);
    }
    if ((st = dropout_mode(c, false)))
        return st;
    const onnxbn_dtype t = onnxbn_in(c, 0)->dtype;
    if ((st = same_shape_out(c, 0, t)))
        return st;
    /* The mask is T up to Dropout-7, bool from Dropout-10. */
    return same_shape_out(c, 1, c->version >= 10 ? ONNXBN_BOOL : t);
}

static onnxbn_status dropout_run(onnxbn_kctx *c)
{
    onnxbn_status st = dropout_mode(c, true);
    if (!st)
        st = onnxbn_mv_copy_run(c);
    onnxbn_tensor *mask = onnxbn_out(c, 1);
    if (st || !mask)
        return st;
    switch (mask->dtype) {
    case ONNXBN_BOOL: {
        const uint8_t one = 1;
        onnxbn_fill(mask->data, 1, mask->numel, &one);
        break;
    }
    case ONNXBN_FLOAT: {
        const float one = 1.0f;
        onnxbn_fill(mask->data, sizeof one, mask->numel, &one);
        break;
    }
    case ONNXBN_DOUBLE: {
        const double one = 1.0;
        onnxbn_fill(mask->data, sizeof one, mask->numel, &one);
        break;
    }
    case ONNXBN_FLOAT16: {
        const uint16_t one = 0x3c00;
        onnxbn_fill(mask->data, sizeof one, mask->numel, &one);
        break;
    }
    default:
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "mask type %s", onnxbn_dtype_name(mask->dtype));
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_dropout = {
    .attrs = dropout_attrs,
    .infer = dropout_infer,
    .run = dropout_run,
};

/* ---- Shape and Size: evaluated at plan time from the input's dims alone ---- */

static const onnxbn_attr_spec shape_attrs[] = {
    {"start", ONNXBN_ATTR_INT, false, 15, 0},
    {"end", ONNXBN_ATTR_INT, false, 15, 0},
    {NULL, 0, false, 0, 0},
};

/* Shape-15's [start, end) of the axes, each clamped into [0, rank] after adding rank to a
 * negative value. */
static onnxbn_status shape_range(const onnxbn_kctx *c, int *start, int *end)
{
    const int r = onnxbn_in(c, 0)->rank;
    int64_t s = 0, e = r;
    onnxbn_status st;
    if (c->version >= 15 && ((st = onnxbn_attr_int(c, "start", 0, &s)) ||
                             (st = onnxbn_attr_int(c, "end", r, &e))))
        return st;
    if (s < 0)
        s += r;
    if (e < 0)
        e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    *start = (int)s;
    *end = (int)(e > s ? e : s);
    return ONNXBN_OK;
}

static onnxbn_status shape_infer(onnxbn_kctx *c)
{
    int s, e;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = shape_range(c, &s, &e);
    if (st)
        return st;
    const int64_t n = e - s;
    return onnxbn_mv_set_out(c, 0, ONNXBN_INT64, 1, &n);
}

static onnxbn_status shape_run(onnxbn_kctx *c)
{
    int s, e;
    onnxbn_status st = shape_range(c, &s, &e);
    if (st)
        return st;
    int64_t *y = onnxbn_out(c, 0)->data;
    for (int d = s; d < e; d++)
        y[d - s] = onnxbn_in(c, 0)->dims[d];
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_shape = {
    .attrs = shape_attrs,
    .infer = shape_infer,
    .run = shape_run,
};

static onnxbn_status size_infer(onnxbn_kctx *c)
{
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "data", c->version >= 13 ? MV_ALL : MV_ALL12);
    return st ? st : onnxbn_mv_set_out(c, 0, ONNXBN_INT64, 0, NULL);
}

static onnxbn_status size_run(onnxbn_kctx *c)
{
    *(int64_t *)onnxbn_out(c, 0)->data = onnxbn_in(c, 0)->numel;
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_size = {
    .infer = size_infer,
    .run = size_run,
};
