/* SPDX-License-Identifier: Apache-2.0 */
/* norm.c — Softmax, LogSoftmax, Hardmax (1, 11, 13), InstanceNormalization (1, 6), LRN (1, 13),
 * LayerNormalization (17) and MeanVarianceNormalization (9, 13): axis rules per version, shapes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/norm.h"
#include "op.h"
#include "threadpool.h"

static const onnxbn_attr_spec softmax_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec instnorm_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* InstanceNormalization-1's legacy hint */
    {"epsilon", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec lrn_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"beta", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"bias", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"size", ONNXBN_ATTR_INT, true, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec layernorm_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {"epsilon", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"stash_type", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec mvn_attrs[] = {
    {"axes", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

/* float16, float and double; bfloat16 too from `bf16_since`. Input `i` is named `name`. */
static onnxbn_status check_float(const onnxbn_kctx *c, int i, const char *name, int bf16_since)
{
    const onnxbn_dtype t = onnxbn_in(c, i)->dtype;
    const bool bf16 = bf16_since && c->version >= bf16_since;
    if (t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16 ||
        (bf16 && t == ONNXBN_BFLOAT16))
        return ONNXBN_OK;
    return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, %s-%d takes %s", name,
                            onnxbn_node_input_name(c->node, i), onnxbn_dtype_name(t),
                            onnxbn_op_name(c), c->version,
                            bf16 ? "float16, float, double or bfloat16" : "float16, float or double");
}

static onnxbn_status same_type(const onnxbn_kctx *c, int i, const char *name)
{
    const onnxbn_dtype t = onnxbn_in(c, i)->dtype, tx = onnxbn_in(c, 0)->dtype;
    if (t == tx)
        return ONNXBN_OK;
    return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, expected %s like the input",
                            name, onnxbn_node_input_name(c->node, i), onnxbn_dtype_name(t),
                            onnxbn_dtype_name(tx));
}

/* Product of dims[from, to), checked. */
static onnxbn_status dim_product(const onnxbn_kctx *c, const onnxbn_tensor *t, int from, int to,
                                 int64_t *out)
{
    size_t p = 1;
    bool ok = true;
    for (int d = from; d < to; d++)
        ok &= onnxbn_mul_size(p, (size_t)t->dims[d], &p);
    if (!ok || p > INT64_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the dimensions of the input overflow");
    *out = (int64_t)p;
    return ONNXBN_OK;
}

/* An axis attribute in [-r, hi] made non-negative. */
static onnxbn_status get_axis(const onnxbn_kctx *c, int64_t def, int r, int hi, int *axis)
{
    int64_t a;
    onnxbn_status st = onnxbn_attr_int(c, "axis", def, &a);
    if (st)
        return st;
    if (a < -r || a > hi)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'axis' is %lld, expected a value in [%d, %d] for an input of rank %d",
                                (long long)a, -r, hi, r);
    *axis = (int)(a < 0 ? a + r : a);
    return ONNXBN_OK;
}

/* Scratch bytes for the types computed through double: X and Y converted, plus `extra`. */
static bool via_f64(onnxbn_dtype t) { return t != ONNXBN_FLOAT && t != ONNXBN_DOUBLE; }

static onnxbn_status scratch_size(const onnxbn_kctx *c, size_t extra, size_t *bytes)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    size_t conv = 0;
    if (via_f64(x->dtype) && !onnxbn_mul_size((size_t)x->numel, 2 * sizeof(double), &conv))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    if (!onnxbn_add_size(conv, extra, bytes) || !onnxbn_add_size(*bytes, 64, bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status need_scratch(const onnxbn_kctx *c, size_t extra)
{
    size_t need;
    onnxbn_status st = scratch_size(c, extra, &need);
    if (st)
        return st;
    ONNXBN_CHECK(need <= c->workspace && c->scratch, c->err); /* infer asked for `need` */
    return ONNXBN_OK;
}

/* The double copies of X and Y for the types computed through double, at the start of scratch;
 * *rest is the scratch after them (8-byte aligned). */
static void f64_buffers(const onnxbn_kctx *c, double **xd, double **yd, void **rest)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    double *b = c->scratch;
    if (!via_f64(x->dtype)) {
        *xd = *yd = NULL;
        *rest = b;
        return;
    }
    *xd = b;
    *yd = b + x->numel;
    for (int64_t i = 0; i < x->numel; i++)
        (*xd)[i] = onnxbn_get_f64(x, i);
    *rest = b + 2 * x->numel;
}

static void store_f64(onnxbn_tensor *y, const double *yd)
{
    for (int64_t i = 0; i < y->numel; i++)
        onnxbn_set_f64(y, i, yd[i]);
}

/* ---- Softmax, LogSoftmax, Hardmax ---- */

typedef struct smx_shape {
    int64_t outer, n, inner;
} smx_shape;

static onnxbn_softmax_kind smx_kind(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_Softmax      ? ONNXBN_SOFTMAX
           : c->op == ONNXBN_OP_LogSoftmax ? ONNXBN_LOGSOFTMAX
                                           : ONNXBN_HARDMAX;
}

/* Up to version 11 the input is coerced to 2-D at `axis` (default 1) and each row of
 * dims[axis] × … × dims[r−1] is one line; from 13 the line runs along the single axis (default −1). */
static onnxbn_status smx_config(const onnxbn_kctx *c, smx_shape *s)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st;
    int axis = 0;
    if ((st = check_float(c, 0, "input", 13)))
        return st;
    if (x->rank == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' is a scalar, expected rank 1 or more");
    const bool v13 = c->version >= 13;
    if ((st = get_axis(c, v13 ? -1 : 1, x->rank, x->rank - 1, &axis)) ||
        (st = dim_product(c, x, 0, axis, &s->outer)))
        return st;
    if (v13) {
        s->n = x->dims[axis];
        return dim_product(c, x, axis + 1, x->rank, &s->inner);
    }
    s->inner = 1;
    return dim_product(c, x, axis, x->rank, &s->n);
}

static onnxbn_status smx_infer(onnxbn_kctx *c)
{
    smx_shape s;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st;
    if ((st = smx_config(c, &s)) ||
        (st = onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err)))
        return st;
    return scratch_size(c, onnxbn_softmax_scratch(s.inner), &c->workspace);
}

static onnxbn_status smx_prepare(onnxbn_kctx *c)
{
    smx_shape *s = malloc(sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = smx_config(c, s);
    if (st) {
        free(s);
        return st;
    }
    c->state = s;
    return ONNXBN_OK;
}

static onnxbn_status smx_run(onnxbn_kctx *c)
{
    const smx_shape *s = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const onnxbn_softmax_kind kind = smx_kind(c);
    double *xd, *yd;
    void *rest;
    onnxbn_status st;
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "run before prepare");
    if (x->numel == 0)
        return ONNXBN_OK;
    if ((st = need_scratch(c, onnxbn_softmax_scratch(s->inner))))
        return st;
    f64_buffers(c, &xd, &yd, &rest);
    if (x->dtype == ONNXBN_FLOAT) {
        onnxbn_softmax_f32(kind, x->data, y->data, s->outer, s->n, s->inner, rest);
    } else if (x->dtype == ONNXBN_DOUBLE) {
        onnxbn_softmax_f64(kind, x->data, y->data, s->outer, s->n, s->inner, rest);
    } else {
        onnxbn_softmax_f64(kind, xd, yd, s->outer, s->n, s->inner, rest);
        store_f64(y, yd);
    }
    return ONNXBN_OK;
}

#define SOFTMAX_DEF(sym)                                                                           \
    const onnxbn_op_def sym = {                                                                    \
        .attrs = softmax_attrs,                                                                    \
        .infer = smx_infer,                                                                        \
        .prepare = smx_prepare,                                                                    \
        .run = smx_run,                                                                            \
    }

SOFTMAX_DEF(onnxbn_op_softmax);
SOFTMAX_DEF(onnxbn_op_logsoftmax);
SOFTMAX_DEF(onnxbn_op_hardmax);

/* ---- InstanceNormalization ---- */

/* Plane count checks and sizes: N, C and the spatial size S. */
static onnxbn_status nc_shape(const onnxbn_kctx *c, int64_t *N, int64_t *C, int64_t *S)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->rank < 3) {
        char s[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input '%s' has shape %s, expected N x C x D1 x ... x Dn (rank 3 or more)",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(x, s, sizeof s));
    }
    *N = x->dims[0];
    *C = x->dims[1];
    return dim_product(c, x, 2, x->rank, S);
}

static onnxbn_status instnorm_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    static const char *const names[] = {"input", "scale", "B"};
    int64_t N, C, S;
    size_t extra;
    onnxbn_status st;
    if ((st = check_float(c, 0, "input", 0)) || (st = nc_shape(c, &N, &C, &S)))
        return st;
    for (int i = 1; i < 3; i++) {
        const onnxbn_tensor *p = onnxbn_in(c, i);
        if ((st = same_type(c, i, names[i])))
            return st;
        if (p->rank != 1 || p->dims[0] != C) {
            char s[ONNXBN_SHAPE_STR_MAX];
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%s') has shape %s, expected [%lld] (C)",
                                    names[i], onnxbn_node_input_name(c->node, i),
                                    onnxbn_shape_str(p, s, sizeof s), (long long)C);
        }
    }
    if (!onnxbn_mul_size((size_t)C, 2 * sizeof(double), &extra))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    if ((st = scratch_size(c, extra, &c->workspace)))
        return st;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err);
}

static onnxbn_status instnorm_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *scale = onnxbn_in(c, 1), *bias = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t N, C, S;
    float eps;
    double *xd, *yd;
    void *rest;
    onnxbn_status st;
    if ((st = onnxbn_attr_float(c, "epsilon", 1e-5f, &eps)) || (st = nc_shape(c, &N, &C, &S)) ||
        (st = need_scratch(c, (size_t)C * 2 * sizeof(double))))
        return st;
    if (x->numel == 0)
        return ONNXBN_OK;
    f64_buffers(c, &xd, &yd, &rest);
    double *sd = rest, *bd = sd + C;
    for (int64_t k = 0; k < C; k++) {
        sd[k] = onnxbn_get_f64(scale, k);
        bd[k] = onnxbn_get_f64(bias, k);
    }
    if (x->dtype == ONNXBN_FLOAT) {
        onnxbn_instnorm_f32(x->data, y->data, sd, bd, N, C, S, eps);
    } else if (x->dtype == ONNXBN_DOUBLE) {
        onnxbn_instnorm_f64(x->data, y->data, sd, bd, N, C, S, eps);
    } else {
        onnxbn_instnorm_f64(xd, yd, sd, bd, N, C, S, eps);
        store_f64(y, yd);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_instancenorm = {
    .attrs = instnorm_attrs,
    .infer = instnorm_infer,
    .run = instnorm_run,
};

/* ---- LRN ---- */

typedef struct lrn_cfg {
    int64_t N, C, S, size;
    float alpha, beta, bias;
} lrn_cfg;

static onnxbn_status lrn_config(const onnxbn_kctx *c, lrn_cfg *g)
{
    onnxbn_status st;
    if ((st = check_float(c, 0, "X", 13)) || (st = nc_shape(c, &g->N, &g->C, &g->S)) ||
        (st = onnxbn_attr_int(c, "size", 1, &g->size)) ||
        (st = onnxbn_attr_float(c, "alpha", 1e-4f, &g->alpha)) ||
        (st = onnxbn_attr_float(c, "beta", 0.75f, &g->beta)) ||
        (st = onnxbn_attr_float(c, "bias", 1.0f, &g->bias)))
        return st;
    if (g->size < 1 || g->size > INT32_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'size' is %lld, expected 1 or more",
                                (long long)g->size);
    return ONNXBN_OK;
}

static onnxbn_status lrn_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    lrn_cfg g;
    size_t extra;
    onnxbn_status st;
    if ((st = lrn_config(c, &g)))
        return st;
    if (!onnxbn_mul_size((size_t)g.S, sizeof(double), &extra))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    if ((st = scratch_size(c, extra, &c->workspace)))
        return st;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err);
}

static onnxbn_status lrn_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    lrn_cfg g;
    double *xd, *yd;
    void *rest;
    onnxbn_status st;
    if ((st = lrn_config(c, &g)) || (st = need_scratch(c, (size_t)g.S * sizeof(double))))
        return st;
    if (x->numel == 0)
        return ONNXBN_OK;
    f64_buffers(c, &xd, &yd, &rest);
    if (x->dtype == ONNXBN_FLOAT) {
        onnxbn_lrn_f32(x->data, y->data, g.N, g.C, g.S, g.size, g.alpha, g.beta, g.bias, rest);
    } else if (x->dtype == ONNXBN_DOUBLE) {
        onnxbn_lrn_f64(x->data, y->data, g.N, g.C, g.S, g.size, g.alpha, g.beta, g.bias, rest);
    } else {
        onnxbn_lrn_f64(xd, yd, g.N, g.C, g.S, g.size, g.alpha, g.beta, g.bias, rest);
        store_f64(y, yd);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_lrn = {
    .attrs = lrn_attrs,
    .infer = lrn_infer,
    .run = lrn_run,
};

/* ---- LayerNormalization ---- */

/* X seen as rows × n with n = Π dims[axis:]; Scale and B broadcast to dims[axis:]. */
typedef struct ln_cfg {
    int axis, m;                      /* m = rank − axis normalised axes */
    int64_t rows, n;
    float eps;
    onnxbn_dtype stash;               /* Mean and InvStdDev's type */
    int64_t sstr[2][ONNXBN_MAX_RANK]; /* element strides of Scale and B over dims[axis:] */
} ln_cfg;

/* Input i must broadcast (unidirectionally) to the m normalised dims; its strides over them. */
static onnxbn_status ln_param(const onnxbn_kctx *c, const ln_cfg *g, int i, int64_t *strides)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *p = onnxbn_in(c, i);
    const char *name = i == 1 ? "Scale" : "B";
    onnxbn_status st;
    if ((st = same_type(c, i, name)))
        return st;
    int r = p->rank;
    const int64_t *d = p->dims;
    while (r > g->m && d[0] == 1) { /* leading 1s beyond the normalised axes change nothing */
        d++;
        r--;
    }
    bool ok = r <= g->m;
    for (int k = 0; ok && k < r; k++) {
        const int64_t want = x->dims[x->rank - r + k];
        ok = d[k] == want || d[k] == 1;
    }
    if (!ok) {
        char sp[ONNXBN_SHAPE_STR_MAX], sx[ONNXBN_SHAPE_STR_MAX];
        onnxbn_tensor tail = {.rank = g->m};
        memcpy(tail.dims, x->dims + g->axis, sizeof(int64_t) * (size_t)g->m);
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input '%s' ('%s') has shape %s, which does not broadcast to %s (the dimensions of 'X' from axis %d)",
                                name, onnxbn_node_input_name(c->node, i),
                                onnxbn_shape_str(p, sp, sizeof sp),
                                onnxbn_shape_str(&tail, sx, sizeof sx), g->axis);
    }
    onnxbn_broadcast_strides(r, d, g->m, x->dims + g->axis, strides);
    return ONNXBN_OK;
}

static onnxbn_status ln_config(const onnxbn_kctx *c, ln_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t stash;
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    if ((st = check_float(c, 0, "X", 17)) ||
        (st = onnxbn_attr_float(c, "epsilon", 1e-5f, &g->eps)) ||
        (st = onnxbn_attr_int(c, "stash_type", 1, &stash)))
        return st;
    if (x->rank == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' is a scalar, expected rank 1 or more");
    if ((st = get_axis(c, -1, x->rank, x->rank, &g->axis)))
        return st;
    if (g->axis == x->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "attribute 'axis' is %d (the rank of 'X'): normalising over no axis is not supported",
                                g->axis);
    if (stash != ONNXBN_FLOAT && stash != ONNXBN_BFLOAT16)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "attribute 'stash_type' is %lld, supported are 1 (float) and 16 (bfloat16)",
                                (long long)stash);
    g->stash = (onnxbn_dtype)stash;
    g->m = x->rank - g->axis;
    if ((st = dim_product(c, x, 0, g->axis, &g->rows)) ||
        (st = dim_product(c, x, g->axis, x->rank, &g->n)))
        return st;
    for (int i = 1; i < 3; i++)
        if (onnxbn_in(c, i) && (st = ln_param(c, g, i, g->sstr[i - 1])))
            return st;
    return ONNXBN_OK;
}

/* Scratch after the double copies: Scale and B expanded to n elements of the compute type, then
 * Mean and InvStdDev per row in double. */
static onnxbn_status ln_extra(const onnxbn_kctx *c, const ln_cfg *g, size_t *bytes)
{
    size_t a, b;
    if (!onnxbn_mul_size((size_t)g->n, 2 * sizeof(double), &a) ||
        !onnxbn_mul_size((size_t)g->rows, 2 * sizeof(double), &b) || !onnxbn_add_size(a, b, bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status ln_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    ln_cfg g;
    size_t extra;
    int64_t sdims[ONNXBN_MAX_RANK];
    onnxbn_status st;
    if ((st = ln_config(c, &g)) || (st = ln_extra(c, &g, &extra)) ||
        (st = scratch_size(c, extra, &c->workspace)))
        return st;
    if ((st = onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err)))
        return st;
    for (int d = 0; d < x->rank; d++)
        sdims[d] = d < g.axis ? x->dims[d] : 1;
    for (int i = 1; i < 3; i++)
        if (onnxbn_out(c, i) &&
            (st = onnxbn_tensor_set_shape(onnxbn_out(c, i), g.stash, x->rank, sdims, c->err)))
            return st;
    return ONNXBN_OK;
}

static onnxbn_status ln_prepare(onnxbn_kctx *c)
{
    ln_cfg *g = malloc(sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = ln_config(c, g);
    if (st) {
        free(g);
        return st;
    }
    c->state = g;
    return ONNXBN_OK;
}

/* Scale or B read as the normalised dims (odometer over them), into n floats or doubles. */
static void ln_expand(const onnxbn_tensor *p, const int64_t *str, int m, const int64_t *dims,
                      int64_t n, void *out, bool f64)
{
    int64_t co[ONNXBN_MAX_RANK] = {0}, off = 0;
    for (int64_t j = 0; j < n; j++) {
        const double v = onnxbn_get_f64(p, off);
        if (f64)
            ((double *)out)[j] = v;
        else
            ((float *)out)[j] = (float)v;
        for (int d = m - 1; d >= 0; d--) {
            off += str[d];
            if (++co[d] < dims[d])
                break;
            off -= str[d] * dims[d];
            co[d] = 0;
        }
    }
}

/* Float rows shared out over the session's threads: rows are independent, so the bits are those
 * of one thread. Below LN_SPLIT_MIN elements the pool's round trip would cost more than it saves. */
enum { LN_SPLIT_MIN = 1 << 15 };
typedef struct ln_job {
    const float *x, *s, *b;
    float *y;
    int64_t rows, n;
    double eps, *mean, *inv;
    size_t parts;
} ln_job;

static void ln_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const ln_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->rows, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_layernorm_f32(j->x + lo * (size_t)j->n, j->y + lo * (size_t)j->n, j->s, j->b,
                             (int64_t)(hi - lo), j->n, j->eps, j->mean + lo, j->inv + lo);
}

static onnxbn_status ln_run(onnxbn_kctx *c)
{
    const ln_cfg *g = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0), *bias = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0), *mo = onnxbn_out(c, 1), *io = onnxbn_out(c, 2);
    double *xd, *yd;
    void *rest;
    size_t extra;
    onnxbn_status st;
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "run before prepare");
    if ((st = ln_extra(c, g, &extra)) || (st = need_scratch(c, extra)))
        return st;
    if (x->numel == 0) { /* rows of nothing: the mean of no element, as numpy gives it */
        for (int64_t r = 0; r < g->rows; r++) {
            if (mo)
                onnxbn_set_f64(mo, r, NAN);
            if (io)
                onnxbn_set_f64(io, r, NAN);
        }
        return ONNXBN_OK;
    }
    f64_buffers(c, &xd, &yd, &rest);
    const bool f32 = x->dtype == ONNXBN_FLOAT;
    const int64_t *tail = x->dims + g->axis;
    double *sc = rest, *bs = sc + g->n, *mean = bs + g->n, *inv = mean + g->rows;
    ln_expand(onnxbn_in(c, 1), g->sstr[0], g->m, tail, g->n, sc, !f32);
    if (bias)
        ln_expand(bias, g->sstr[1], g->m, tail, g->n, bs, !f32);
    const size_t nth = (size_t)onnxbn_pool_threads(c->pool);
    if (f32 && nth > 1 && g->rows > 1 && x->numel >= LN_SPLIT_MIN) {
        ln_job j = {x->data, (const float *)sc, bias ? (const float *)bs : NULL, y->data,
                    g->rows, g->n, g->eps, mean, inv,
                    (size_t)g->rows < nth ? (size_t)g->rows : nth};
        onnxbn_pool_run(c->pool, j.parts, ln_task, &j);
    } else if (f32)
        onnxbn_layernorm_f32(x->data, y->data, (const float *)sc, bias ? (const float *)bs : NULL,
                             g->rows, g->n, g->eps, mean, inv);
    else if (x->dtype == ONNXBN_DOUBLE)
        onnxbn_layernorm_f64(x->data, y->data, sc, bias ? bs : NULL, g->rows, g->n, g->eps, mean,
                             inv);
    else
        onnxbn_layernorm_f64(xd, yd, sc, bias ? bs : NULL, g->rows, g->n, g->eps, mean, inv);
    if (xd)
        store_f64(y, yd);
    for (int64_t r = 0; r < g->rows; r++) {
        if (mo)
            onnxbn_set_f64(mo, r, mean[r]);
        if (io)
            onnxbn_set_f64(io, r, inv[r]);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_layernorm = {
    .attrs = layernorm_attrs,
    .infer = ln_infer,
    .prepare = ln_prepare,
    .run = ln_run,
};

/* ---- MeanVarianceNormalization ---- */

/* The reduced axes (default 0, 2, 3) as a mask over X's axes; *kept = Π of the others. */
static onnxbn_status mvn_config(const onnxbn_kctx *c, bool *reduce, int64_t *kept)
{
    static const int64_t def_axes[] = {0, 2, 3};
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int64_t *axes;
    size_t n;
    onnxbn_status st;
    if ((st = check_float(c, 0, "X", 13)) || (st = onnxbn_attr_ints(c, "axes", &axes, &n)))
        return st;
    if (!axes) {
        axes = def_axes;
        n = 3;
    }
    for (int d = 0; d < x->rank; d++)
        reduce[d] = false;
    for (size_t i = 0; i < n; i++) {
        const int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
        if (a < 0 || a >= x->rank)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "attribute 'axes' value %lld is out of range for input 'X' of rank %d%s",
                                    (long long)axes[i], x->rank,
                                    axes == def_axes ? " (the default axes are 0, 2, 3)" : "");
        if (reduce[a])
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'axes' names axis %lld twice",
                                    (long long)a);
        reduce[a] = true;
    }
    size_t k = 1;
    bool ok = true;
    for (int d = 0; d < x->rank; d++)
        if (!reduce[d])
            ok &= onnxbn_mul_size(k, (size_t)x->dims[d], &k);
    if (!ok || k > INT64_MAX / 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the dimensions of input 'X' overflow");
    *kept = (int64_t)k;
    return ONNXBN_OK;
}

static onnxbn_status mvn_extra(const onnxbn_kctx *c, size_t *bytes)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    bool reduce[ONNXBN_MAX_RANK];
    int64_t kept;
    size_t conv = 0, stats;
    onnxbn_status st = mvn_config(c, reduce, &kept);
    if (st)
        return st;
    /* float and double are converted too: the kernel is double only */
    if ((x->dtype == ONNXBN_FLOAT || x->dtype == ONNXBN_DOUBLE) &&
        !onnxbn_mul_size((size_t)x->numel, 2 * sizeof(double), &conv))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    if (!onnxbn_mul_size((size_t)kept, 2 * sizeof(double), &stats) ||
        !onnxbn_add_size(conv, stats, bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status mvn_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    size_t extra;
    onnxbn_status st;
    if ((st = mvn_extra(c, &extra)) || (st = scratch_size(c, extra, &c->workspace)))
        return st;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err);
}

static onnxbn_status mvn_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    bool reduce[ONNXBN_MAX_RANK];
    int64_t kept;
    size_t extra;
    double *xd, *yd;
    void *rest;
    onnxbn_status st;
    if ((st = mvn_config(c, reduce, &kept)) || (st = mvn_extra(c, &extra)) ||
        (st = need_scratch(c, extra)))
        return st;
    if (x->numel == 0)
        return ONNXBN_OK;
    f64_buffers(c, &xd, &yd, &rest);
    if (!xd) { /* float and double: converted here (f64_buffers converts only the other types) */
        xd = rest;
        yd = xd + x->numel;
        rest = yd + x->numel;
        for (int64_t i = 0; i < x->numel; i++)
            xd[i] = onnxbn_get_f64(x, i);
    }
    onnxbn_mvn_f64(xd, yd, x->rank, x->dims, reduce, rest);
    store_f64(y, yd);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_mvn = {
    .attrs = mvn_attrs,
    .infer = mvn_infer,
    .run = mvn_run,
};
