/* SPDX-License-Identifier: Apache-2.0 */
/* batchnorm.c — BatchNormalization, versions 1, 6, 7, 9, 14 and 15: attributes, mode, shape rule,
 * the per-channel affine folded once per plan from constant parameters, and training statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/batchnorm.h"
#include "op.h"

/* How the node runs, and X seen as (outer, ch, inner): (N, C, D1·…·Dn) per channel, or
 * (N, C·D1·…·Dn, 1) with spatial=0, where every element of a sample has its own statistics. */
typedef struct bn_cfg {
    float eps, momentum;
    bool training, spatial;
    int64_t outer, ch, inner;
} bn_cfg;

/* Made by prepare. When `folded`, a and t come from constant parameters and run only applies them. */
typedef struct bn_state {
    bn_cfg cfg;
    bool folded;
    double *a64, *t64;
    float *a32, *t32;
} bn_state;

/* since/until are operator versions: consumed_inputs (required) only in BN-1, is_test up to BN-6,
 * spatial up to BN-7, training_mode from BN-14. */
static const onnxbn_attr_spec bn_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, true, 1, 1},
    {"epsilon", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"is_test", ONNXBN_ATTR_INT, false, 1, 6},
    {"momentum", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"spatial", ONNXBN_ATTR_INT, false, 1, 7},
    {"training_mode", ONNXBN_ATTR_INT, false, 14, 0},
    {NULL, 0, false, 0, 0},
};

static const char *in_name(const onnxbn_kctx *c, int i)
{
    static const char *const old[] = {"X", "scale", "B", "mean", "var"};
    static const char *const now[] = {"X", "scale", "B", "input_mean", "input_var"};
    return c->version >= 14 ? now[i] : old[i];
}

static const char *out_name(const onnxbn_kctx *c, int i)
{
    static const char *const old[] = {"Y", "mean", "var", "saved_mean", "saved_var"};
    static const char *const now[] = {"Y", "running_mean", "running_var", "?", "?"};
    return c->version >= 14 ? now[i] : old[i];
}

/* The first optional output present, or 0 when there is none. */
static int extra_output(const onnxbn_kctx *c)
{
    for (int i = 1; i < c->n_out; i++)
        if (onnxbn_out(c, i))
            return i;
    return 0;
}

/* Training or inference, per version: BN-1/6 say it with is_test, whose default 0 means training;
 * BN-7/9 have no attribute, so the outputs tell it (case #1 has the statistics, case #2 only Y),
 * as onnxruntime decides too; BN-14/15 say it with training_mode. */
static onnxbn_status bn_config(const onnxbn_kctx *c, bn_cfg *g)
{
    onnxbn_status st;
    int64_t flag = 0, spatial = 1;
    memset(g, 0, sizeof *g);
    if ((st = onnxbn_attr_float(c, "epsilon", 1e-5f, &g->eps)) != ONNXBN_OK ||
        (st = onnxbn_attr_float(c, "momentum", 0.9f, &g->momentum)) != ONNXBN_OK)
        return st;
    if (c->version <= 7 && (st = onnxbn_attr_int(c, "spatial", 1, &spatial)) != ONNXBN_OK)
        return st;
    g->spatial = spatial != 0;
    if (c->version <= 6) {
        if ((st = onnxbn_attr_int(c, "is_test", 0, &flag)) != ONNXBN_OK)
            return st;
        g->training = flag == 0;
    } else if (c->version <= 9) {
        g->training = extra_output(c) != 0;
    } else {
        if ((st = onnxbn_attr_int(c, "training_mode", 0, &flag)) != ONNXBN_OK)
            return st;
        g->training = flag != 0;
    }

    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->rank < 2 && !(x->rank == 1 && c->version >= 9))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'X' has rank %d, expected at least %d (N x C x D1 ... Dn)",
                                x->rank, c->version >= 9 ? 1 : 2);
    /* From BN-9 a 1-D X of size N is allowed and has one channel. */
    g->outer = x->dims[0];
    g->ch = x->rank >= 2 ? x->dims[1] : 1;
    /* checked: with a zero dimension elsewhere the product of the others is not bounded by numel */
    size_t inner = 1, ch = (size_t)g->ch;
    bool ok = true;
    for (int d = 2; d < x->rank; d++)
        ok &= onnxbn_mul_size(inner, (size_t)x->dims[d], &inner);
    if (!g->spatial) {
        ok &= onnxbn_mul_size(ch, inner, &ch);
        inner = 1;
    }
    if (!ok || inner > INT64_MAX || ch > INT64_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the dimensions of input 'X' overflow");
    g->inner = (int64_t)inner;
    g->ch = (int64_t)ch;
    return ONNXBN_OK;
}

static bool float_type(onnxbn_dtype t, bool bf16)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16 ||
           (bf16 && t == ONNXBN_BFLOAT16);
}

/* BN-1..9: one type T for all five inputs. BN-14: X, scale, B are T; the statistics are U.
 * BN-15: X is T, scale and B are T1, the statistics T2. */
static onnxbn_status check_types(const onnxbn_kctx *c)
{
    const bool bf16 = c->version >= 14;
    const onnxbn_dtype tx = onnxbn_in(c, 0)->dtype;
    if (!float_type(tx, bf16))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'X' is %s, expected %s",
                                onnxbn_dtype_name(tx),
                                bf16 ? "float16, float, double or bfloat16"
                                     : "float16, float or double");
    for (int i = 1; i < 5; i++) {
        const onnxbn_dtype t = onnxbn_in(c, i)->dtype;
        /* The input whose type this one must share: X, or its partner in the pair. */
        int like = 0;
        if (c->version >= 15)
            like = i == 2 || i == 4 ? i - 1 : -1;
        else if (c->version >= 14 && i >= 3)
            like = i == 4 ? 3 : -1;
        if (!float_type(t, bf16))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' is %s, expected %s",
                                    in_name(c, i), onnxbn_dtype_name(t),
                                    bf16 ? "float16, float, double or bfloat16"
                                         : "float16, float or double");
        if (like >= 0 && t != onnxbn_in(c, like)->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' is %s, expected %s (the type of '%s')",
                                    in_name(c, i), onnxbn_dtype_name(t),
                                    onnxbn_dtype_name(onnxbn_in(c, like)->dtype), in_name(c, like));
    }
    return ONNXBN_OK;
}

/* Each parameter is (C), or with spatial=0 the shape of one sample, (C x D1 x ... x Dn); the
 * flattened (C·D1·…·Dn) is taken too since it holds the same numbers in the same order. */
static onnxbn_status check_param(const onnxbn_kctx *c, const bn_cfg *g, int i)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *p = onnxbn_in(c, i);
    char got[ONNXBN_SHAPE_STR_MAX], want[ONNXBN_SHAPE_STR_MAX];
    if (p->numel != g->ch)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' has %lld elements, expected %lld%s",
                                in_name(c, i), (long long)p->numel, (long long)g->ch,
                                g->spatial ? "" : " (C x D1 x ... x Dn, spatial=0)");
    if (p->rank == 1)
        return ONNXBN_OK;
    if (!g->spatial && p->rank == x->rank - 1 &&
        memcmp(p->dims, x->dims + 1, sizeof(int64_t) * (size_t)p->rank) == 0)
        return ONNXBN_OK;
    onnxbn_shape_str(p, got, sizeof got);
    if (g->spatial) {
        snprintf(want, sizeof want, "[%lld]", (long long)g->ch);
    } else {
        onnxbn_tensor sample = {.rank = x->rank - 1};
        memcpy(sample.dims, x->dims + 1, sizeof(int64_t) * (size_t)sample.rank);
        onnxbn_shape_str(&sample, want, sizeof want);
    }
    return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' has shape %s, expected %s",
                            in_name(c, i), got, want);
}

static bool is_const(const onnxbn_tensor *t) { return t && t->data; }

/* Inference with constant parameters is folded once by prepare; otherwise each run folds a and t
 * (and in training first the batch statistics) into scratch. Input data is non-NULL only for
 * constants in infer and prepare, so both see the same answer. */
static bool foldable(const onnxbn_kctx *c, const bn_cfg *g)
{
    return !g->training && is_const(onnxbn_in(c, 1)) && is_const(onnxbn_in(c, 2)) &&
           is_const(onnxbn_in(c, 3)) && is_const(onnxbn_in(c, 4));
}

/* Run-time scratch: a and t in double and float, and the batch mean and variance. */
static onnxbn_status bn_workspace(const onnxbn_kctx *c, const bn_cfg *g, size_t *bytes)
{
    const size_t per_channel = 4 * sizeof(double) + 2 * sizeof(float);
    if (!onnxbn_mul_size((size_t)g->ch, per_channel, bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%lld channels overflow the scratch size",
                                (long long)g->ch);
    return ONNXBN_OK;
}

static onnxbn_status bn_infer(onnxbn_kctx *c)
{
    bn_cfg g;
    onnxbn_status st;
    for (int i = 0; i < 5; i++)
        if (!onnxbn_in(c, i))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input '%s' is required", in_name(c, i));
    if ((st = bn_config(c, &g)) != ONNXBN_OK || (st = check_types(c)) != ONNXBN_OK)
        return st;
    for (int i = 1; i < 5; i++)
        if ((st = check_param(c, &g, i)) != ONNXBN_OK)
            return st;

    if (c->version >= 14 && c->n_out > 3)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has %d outputs, at most 3 are allowed",
                                c->n_out);
    if (!g.training && extra_output(c))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "output '%s' is only produced in training mode (%s)",
                                out_name(c, extra_output(c)),
                                c->version >= 14 ? "training_mode=1" : "is_test=0");

    const onnxbn_tensor *x = onnxbn_in(c, 0), *mean = onnxbn_in(c, 3);
    if ((st = onnxbn_tensor_set_shape(c->out[0], x->dtype, x->rank, x->dims, c->err)) != ONNXBN_OK)
        return st;
    for (int i = 1; i < c->n_out; i++) {
        onnxbn_tensor *o = onnxbn_out(c, i);
        /* running statistics keep the statistics' type; saved ones (BN-1..9) are T like X */
        onnxbn_dtype t = i <= 2 ? mean->dtype : x->dtype;
        if (o && (st = onnxbn_tensor_set_shape(o, t, mean->rank, mean->dims, c->err)) != ONNXBN_OK)
            return st;
    }
    c->workspace = 0;
    return foldable(c, &g) ? ONNXBN_OK : bn_workspace(c, &g, &c->workspace);
}

static inline double param(const onnxbn_tensor *t, const double *d, int64_t k)
{
    return d ? d[k] : onnxbn_get_f64(t, k);
}

/* a = scale / sqrt(var + eps) and t = bias - mean·a in double, rounded once to float: folding in
 * float loses up to ~1e4 ulp in t to cancellation (see docs/bn-folding.md). mean_d/var_d, when
 * not NULL, replace the mean and var inputs (training mode's batch statistics). */
static void bn_fold(const onnxbn_kctx *c, const bn_cfg *g, const double *mean_d,
                    const double *var_d, double *a64, double *t64, float *a32, float *t32)
{
    const onnxbn_tensor *scale = onnxbn_in(c, 1), *bias = onnxbn_in(c, 2);
    const onnxbn_tensor *mean = onnxbn_in(c, 3), *var = onnxbn_in(c, 4);
    const double eps = (double)g->eps;
    for (int64_t k = 0; k < g->ch; k++) {
        const double a = onnxbn_get_f64(scale, k) / sqrt(param(var, var_d, k) + eps);
        const double t = fma(-param(mean, mean_d, k), a, onnxbn_get_f64(bias, k)); /* as fold.c */
        a64[k] = a;
        t64[k] = t;
        a32[k] = (float)a;
        t32[k] = (float)t;
    }
}

static onnxbn_status bn_prepare(onnxbn_kctx *c)
{
    bn_cfg g;
    onnxbn_status st = bn_config(c, &g);
    if (st != ONNXBN_OK)
        return st;
    const bool fold = foldable(c, &g);
    size_t arrays = 0, bytes;
    if (fold && !onnxbn_mul_size((size_t)g.ch, 2 * sizeof(double) + 2 * sizeof(float), &arrays))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%lld channels overflow the state size",
                                (long long)g.ch);
    if (!onnxbn_add_size(sizeof(bn_state), arrays, &bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%lld channels overflow the state size",
                                (long long)g.ch);
    bn_state *s = malloc(bytes);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "no memory for %zu bytes of state", bytes);
    memset(s, 0, sizeof *s);
    s->cfg = g;
    s->folded = fold;
    if (fold) {
        s->a64 = (double *)(s + 1);
        s->t64 = s->a64 + g.ch;
        s->a32 = (float *)(s->t64 + g.ch);
        s->t32 = s->a32 + g.ch;
        bn_fold(c, &g, NULL, NULL, s->a64, s->t64, s->a32, s->t32);
    }
    c->state = s;
    return ONNXBN_OK;
}

/* Batch statistics of X per channel, in double. */
static void bn_stats(const onnxbn_tensor *x, const bn_cfg *g, double *mean, double *var)
{
    if (x->numel == 0) { /* the mean of nothing, as numpy has it; and no loop over empty axes */
        for (int64_t k = 0; k < g->ch; k++)
            mean[k] = var[k] = NAN;
        return;
    }
    if (x->dtype == ONNXBN_FLOAT) {
        onnxbn_bn_stats_f32(x->data, g->outer, g->ch, g->inner, mean, var);
        return;
    }
    if (x->dtype == ONNXBN_DOUBLE) {
        onnxbn_bn_stats_f64(x->data, g->outer, g->ch, g->inner, mean, var);
        return;
    }
    /* float16 and bfloat16: the same two passes, element by element. */
    const double count = (double)g->outer * (double)g->inner;
    const int64_t n = g->outer * g->ch * g->inner;
    for (int64_t k = 0; k < g->ch; k++)
        mean[k] = var[k] = 0.0;
    for (int64_t e = 0; e < n; e++)
        mean[e / g->inner % g->ch] += onnxbn_get_f64(x, e);
    for (int64_t k = 0; k < g->ch; k++)
        mean[k] /= count;
    for (int64_t e = 0; e < n; e++) {
        const int64_t k = e / g->inner % g->ch;
        const double d = onnxbn_get_f64(x, e) - mean[k];
        var[k] += d * d;
    }
    for (int64_t k = 0; k < g->ch; k++)
        var[k] /= count;
}

/* running = input·momentum + batch·(1 − momentum); BN-1..9 also give the batch statistics. */
static void bn_outputs(const onnxbn_kctx *c, const bn_cfg *g, const double *mean,
                       const double *var)
{
    const double m = (double)g->momentum;
    const double *batch[2] = {mean, var};
    for (int j = 0; j < 2; j++) {
        onnxbn_tensor *run = onnxbn_out(c, 1 + j), *saved = onnxbn_out(c, 3 + j);
        const onnxbn_tensor *in = onnxbn_in(c, 3 + j);
        for (int64_t k = 0; k < g->ch; k++) {
            if (run)
                onnxbn_set_f64(run, k, onnxbn_get_f64(in, k) * m + batch[j][k] * (1.0 - m));
            if (saved)
                onnxbn_set_f64(saved, k, batch[j][k]);
        }
    }
}

static void bn_apply(const onnxbn_tensor *x, onnxbn_tensor *y, const bn_cfg *g, const double *a64,
                     const double *t64, const float *a32, const float *t32)
{
    if (x->numel == 0)
        return;
    if (x->dtype == ONNXBN_FLOAT) {
        if (x->data == y->data)
            onnxbn_bn_affine_inplace_f32(y->data, a32, t32, g->outer, g->ch, g->inner);
        else
            onnxbn_bn_affine_f32(x->data, y->data, a32, t32, g->outer, g->ch, g->inner);
        return;
    }
    if (x->dtype == ONNXBN_DOUBLE) {
        if (x->data == y->data)
            onnxbn_bn_affine_inplace_f64(y->data, a64, t64, g->outer, g->ch, g->inner);
        else
            onnxbn_bn_affine_f64(x->data, y->data, a64, t64, g->outer, g->ch, g->inner);
        return;
    }
    /* float16 and bfloat16: computed in double, rounded once on the store. */
    for (int64_t o = 0; o < g->outer; o++)
        for (int64_t k = 0; k < g->ch; k++) {
            const int64_t base = (o * g->ch + k) * g->inner;
            for (int64_t i = 0; i < g->inner; i++)
                onnxbn_set_f64(y, base + i, a64[k] * onnxbn_get_f64(x, base + i) + t64[k]);
        }
}

static onnxbn_status bn_run(onnxbn_kctx *c)
{
    const bn_state *s = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    bn_cfg g;
    onnxbn_status st = ONNXBN_OK;
    if (s)
        g = s->cfg;
    else if ((st = bn_config(c, &g)) != ONNXBN_OK)
        return st;
    if (s && s->folded) {
        bn_apply(x, y, &g, s->a64, s->t64, s->a32, s->t32);
        return ONNXBN_OK;
    }
    if (g.ch == 0) /* nothing to normalise, and no statistics to give */
        return ONNXBN_OK;
    size_t need;
    if ((st = bn_workspace(c, &g, &need)) != ONNXBN_OK)
        return st;
    ONNXBN_CHECK(need <= c->workspace && (!need || c->scratch), c->err); /* infer asked for it */
    double *a64 = c->scratch, *t64 = a64 + g.ch, *mean = t64 + g.ch, *var = mean + g.ch;
    float *a32 = (float *)(var + g.ch), *t32 = a32 + g.ch;
    if (g.training) {
        bn_stats(x, &g, mean, var);
        bn_fold(c, &g, mean, var, a64, t64, a32, t32);
        bn_outputs(c, &g, mean, var);
    } else {
        bn_fold(c, &g, NULL, NULL, a64, t64, a32, t32);
    }
    bn_apply(x, y, &g, a64, t64, a32, t32);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_batchnorm = {
    .attrs = bn_attrs,
    .infer = bn_infer,
    .prepare = bn_prepare,
    .run = bn_run,
};
