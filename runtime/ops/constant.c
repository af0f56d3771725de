/* SPDX-License-Identifier: Apache-2.0 */
/* constant.c — operators that make values rather than read them: Constant, ConstantOfShape and
 * Range. Their shapes come from attributes or constant inputs, so the planner evaluates them once. */
#include <math.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

/* ---- Constant ---- */

static const onnxbn_attr_spec constant_attrs[] = {
    {"value", ONNXBN_ATTR_TENSOR, true, 1, 9},
    {"value", ONNXBN_ATTR_TENSOR, false, 11, 0},
    {"value_float", ONNXBN_ATTR_FLOAT, false, 12, 0},
    {"value_floats", ONNXBN_ATTR_FLOATS, false, 12, 0},
    {"value_int", ONNXBN_ATTR_INT, false, 12, 0},
    {"value_ints", ONNXBN_ATTR_INTS, false, 12, 0},
    {"value_string", ONNXBN_ATTR_STRING, false, 12, 0},
    {"value_strings", ONNXBN_ATTR_STRINGS, false, 12, 0},
    {NULL, 0, false, 0, 0},
};

/* Which attribute holds the value: exactly one may be given (sparse_value from Constant-11,
 * value_* from Constant-12). */
static onnxbn_status constant_source(const onnxbn_kctx *c, const char **which)
{
    static const char *const names[] = {"value", "sparse_value", "value_float", "value_floats",
                                        "value_int", "value_ints", "value_string", "value_strings"};
    const int n_names = c->version >= 12 ? 8 : c->version >= 11 ? 2 : 1;
    int found = 0;
    *which = NULL;
    for (int k = 0; k < n_names; k++)
        if (onnxbn_attr_has(c, names[k])) {
            found++;
            *which = names[k];
        }
    if (found != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "exactly one value attribute must be given (%s), found %d",
                                c->version >= 12   ? "value, sparse_value or value_*"
                                : c->version >= 11 ? "value or sparse_value"
                                                   : "value",
                                found);
    if (!strcmp(*which, "sparse_value") || !strcmp(*which, "value_string") ||
        !strcmp(*which, "value_strings"))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "attribute '%s' is not supported%s",
                                *which, (*which)[0] == 's' ? " (sparse tensors)" : " (string tensors)");
    return ONNXBN_OK;
}

/* The tensor attribute 'value' decoded. Constant-1 lists only float types, but exporters of that
 * era (PyTorch at opset 6, for Reshape shapes) store int64 in it, as onnxruntime accepts: every
 * version takes every type here. */
static onnxbn_status constant_tensor(const onnxbn_kctx *c, onnxbn_tensor **t)
{
    onnxbn_status st = onnxbn_attr_tensor(c, "value", t);
    if (st)
        return st;
    if ((st = onnxbn_mv_check_dtype(c, (*t)->dtype, "attribute 'value'", MV_ALL))) {
        onnxbn_tensor_free(*t);
        *t = NULL;
    }
    return st;
}

static onnxbn_status constant_infer(onnxbn_kctx *c)
{
    const char *which;
    onnxbn_status st = constant_source(c, &which);
    if (st)
        return st;
    if (!strcmp(which, "value")) {
        onnxbn_tensor *t;
        if ((st = constant_tensor(c, &t)))
            return st;
        st = onnxbn_mv_set_out(c, 0, t->dtype, t->rank, t->dims);
        onnxbn_tensor_free(t);
        return st;
    }
    const bool is_float = !strncmp(which, "value_float", 11);
    const bool is_list = which[strlen(which) - 1] == 's';
    int64_t n = 1;
    if (is_list) {
        const float *vf;
        const int64_t *vi;
        size_t len;
        st = is_float ? onnxbn_attr_floats(c, which, &vf, &len) : onnxbn_attr_ints(c, which, &vi, &len);
        if (st)
            return st;
        n = (int64_t)len;
    }
    return onnxbn_mv_set_out(c, 0, is_float ? ONNXBN_FLOAT : ONNXBN_INT64, is_list ? 1 : 0, &n);
}

static onnxbn_status constant_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const char *which;
    onnxbn_status st = constant_source(c, &which);
    if (st)
        return st;
    if (!strcmp(which, "value")) {
        onnxbn_tensor *t;
        if ((st = constant_tensor(c, &t)))
            return st;
        if (t->nbytes != y->nbytes || t->dtype != y->dtype)
            st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'value' changed after planning");
        else if (t->nbytes)
            memcpy(y->data, t->data, t->nbytes);
        onnxbn_tensor_free(t);
        return st;
    }
    if (!strcmp(which, "value_float"))
        return onnxbn_attr_float(c, which, 0.0f, y->data);
    if (!strcmp(which, "value_int"))
        return onnxbn_attr_int(c, which, 0, y->data);
    const float *vf = NULL;
    const int64_t *vi = NULL;
    size_t len;
    if (!strcmp(which, "value_floats"))
        st = onnxbn_attr_floats(c, which, &vf, &len);
    else
        st = onnxbn_attr_ints(c, which, &vi, &len);
    if (!st && len * (vf ? sizeof *vf : sizeof *vi) != y->nbytes)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute '%s' changed after planning", which);
    if (!st && len)
        memcpy(y->data, vf ? (const void *)vf : (const void *)vi, y->nbytes);
    return st;
}

const onnxbn_op_def onnxbn_op_constant = {
    .attrs = constant_attrs,
    .infer = constant_infer,
    .run = constant_run,
};

/* ---- ConstantOfShape ---- */

static const onnxbn_attr_spec cos_attrs[] = {
    {"value", ONNXBN_ATTR_TENSOR, false, 9, 0},
    {NULL, 0, false, 0, 0},
};

/* The fill value: the one-element 'value' attribute, or float 0 when it is absent. */
static onnxbn_status cos_value(const onnxbn_kctx *c, onnxbn_tensor **t)
{
    onnxbn_status st = onnxbn_attr_tensor(c, "value", t);
    if (st || !*t)
        return st;
    const uint32_t types = MV_NUMERIC | MV_T(ONNXBN_BOOL);
    if (!(st = onnxbn_mv_check_dtype(c, (*t)->dtype, "attribute 'value'", types)) &&
        (*t)->numel != 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'value' has %lld elements, expected 1",
                              (long long)(*t)->numel);
    if (st) {
        onnxbn_tensor_free(*t);
        *t = NULL;
    }
    return st;
}

static onnxbn_status cos_infer(onnxbn_kctx *c)
{
    int64_t dims[ONNXBN_MAX_RANK];
    size_t n;
    onnxbn_tensor *v;
    onnxbn_status st = onnxbn_mv_const_ints(c, 0, "input", MV_T(ONNXBN_INT64), false, dims,
                                            ONNXBN_MAX_RANK, &n);
    if (st || (st = cos_value(c, &v)))
        return st;
    const onnxbn_dtype t = v ? v->dtype : ONNXBN_FLOAT;
    onnxbn_tensor_free(v);
    for (size_t k = 0; k < n; k++)
        if (dims[k] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' has the negative dimension %lld",
                                    (long long)dims[k]);
    return onnxbn_mv_set_out(c, 0, t, (int)n, dims);
}

static onnxbn_status cos_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0), *v;
    onnxbn_status st = cos_value(c, &v);
    if (st)
        return st;
    const float zero = 0.0f;
    if (v && v->dtype != y->dtype)
        st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "attribute 'value' changed after planning");
    else
        onnxbn_fill(y->data, onnxbn_dtype_size(y->dtype), y->numel, v ? v->data : (const void *)&zero);
    onnxbn_tensor_free(v);
    return st;
}

const onnxbn_op_def onnxbn_op_constant_of_shape = {
    .attrs = cos_attrs,
    .infer = cos_infer,
    .run = cos_run,
};

/* ---- Range ---- */

#define RANGE_TYPES \
    (MV_T(ONNXBN_FLOAT) | MV_T(ONNXBN_DOUBLE) | MV_T(ONNXBN_INT16) | MV_T(ONNXBN_INT32) | MV_T(ONNXBN_INT64))

static bool is_int(onnxbn_dtype t) { return t != ONNXBN_FLOAT && t != ONNXBN_DOUBLE; }

/* max(ceil((limit - start) / delta), 0), exactly for integers; in double for floats. */
static onnxbn_status range_count(const onnxbn_kctx *c, int64_t *count)
{
    static const char *const names[] = {"start", "limit", "delta"};
    const onnxbn_tensor *t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = onnxbn_in(c, k);
        onnxbn_status st = onnxbn_mv_check_type(c, k, names[k], RANGE_TYPES);
        if (st)
            return st;
        if (t[k]->dtype != t[0]->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' is %s, input 'start' %s", names[k],
                                    onnxbn_dtype_name(t[k]->dtype), onnxbn_dtype_name(t[0]->dtype));
        if (t[k]->numel != 1 || t[k]->rank > 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' has %lld elements, expected a scalar",
                                    names[k], (long long)t[k]->numel);
        if (!t[k]->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "input '%s' ('%.100s') is known only at run time; onnxbn needs it "
                                    "constant, since the output length depends on its value",
                                    names[k], mv_in_name(c, k));
    }
    if (is_int(t[0]->dtype)) {
        const int64_t s = onnxbn_get_i64(t[0], 0), l = onnxbn_get_i64(t[1], 0), d = onnxbn_get_i64(t[2], 0);
        if (d == 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input 'delta' is 0");
        /* The inputs are at most 64-bit, so the span fits in unsigned 64 bits. */
        const bool up = d > 0;
        if (up ? l <= s : l >= s) {
            *count = 0;
            return ONNXBN_OK;
        }
        const uint64_t span = up ? (uint64_t)l - (uint64_t)s : (uint64_t)s - (uint64_t)l;
        const uint64_t step = up ? (uint64_t)d : (uint64_t)0 - (uint64_t)d;
        const uint64_t n = span / step + (span % step != 0);
        if (n > (uint64_t)INT64_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the range has %llu elements", (unsigned long long)n);
        *count = (int64_t)n;
        return ONNXBN_OK;
    }
    const double s = onnxbn_get_f64(t[0], 0), l = onnxbn_get_f64(t[1], 0), d = onnxbn_get_f64(t[2], 0);
    if (d == 0.0)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input 'delta' is 0");
    const double n = ceil((l - s) / d);
    if (isnan(n) || n > 0x1p62)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "range(%g, %g, %g) has no finite length", s, l, d);
    *count = n > 0 ? (int64_t)n : 0;
    return ONNXBN_OK;
}

static onnxbn_status range_infer(onnxbn_kctx *c)
{
    int64_t n;
    onnxbn_status st = range_count(c, &n);
    return st ? st : onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, 1, &n);
}

/* output[i] = start + i·delta: integers wrap as the type does (values stay between start and
 * limit), floats are computed in double and rounded once. */
static onnxbn_status range_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *t0 = onnxbn_in(c, 0), *t2 = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const int64_t n = y->numel;
    /* infer took only these; the loops below write int64 for any other, past a narrower y */
    ONNXBN_CHECK(y->dtype == t0->dtype && (unsigned)y->dtype < 32 && (RANGE_TYPES & MV_T(y->dtype)),
                 c->err);
    if (is_int(t0->dtype)) {
        const uint64_t s = (uint64_t)onnxbn_get_i64(t0, 0), d = (uint64_t)onnxbn_get_i64(t2, 0);
        for (int64_t i = 0; i < n; i++) {
            const uint64_t v = s + (uint64_t)i * d;
            switch (y->dtype) {
            case ONNXBN_INT16: ((int16_t *)y->data)[i] = (int16_t)v; break;
            case ONNXBN_INT32: ((int32_t *)y->data)[i] = (int32_t)v; break;
            default: ((int64_t *)y->data)[i] = (int64_t)v; break;
            }
        }
        return ONNXBN_OK;
    }
    const double s = onnxbn_get_f64(t0, 0), d = onnxbn_get_f64(t2, 0);
    for (int64_t i = 0; i < n; i++) {
        const double v = s + (double)i * d;
        if (y->dtype == ONNXBN_FLOAT)
            ((float *)y->data)[i] = (float)v;
        else
            ((double *)y->data)[i] = v;
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_range = {
    .infer = range_infer,
    .run = range_run,
};
