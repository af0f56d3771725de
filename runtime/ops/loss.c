/* SPDX-License-Identifier: Apache-2.0 */
/* loss.c — NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss 12 and 13: the loss of each target
 * over (N, C, d1..dk), weighted, ignore_index masked, then none/sum/mean, as the ONNX reference. */
#include <math.h>
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec loss_attrs[] = {
    {"reduction", ONNXBN_ATTR_STRING, false, 0, 0},
    {"ignore_index", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* NLL-12/13 and SCE-12 take the three float types; SCE-13 adds bfloat16. */
static const onnxbn_type_rule nll_types[] = {{12, ONNXBN_TM_FLT}, {0, 0}};
static const onnxbn_type_rule sce_types[] = {{12, ONNXBN_TM_FLT}, {13, ONNXBN_TM_FLT | ONNXBN_TM_BF}, {0, 0}};

enum { RED_NONE, RED_SUM, RED_MEAN };

typedef struct loss_cfg {
    int red;
    bool has_ii;
    int64_t ii;           /* ignore_index, when has_ii */
    int64_t n, cls, d;    /* N, C and d1*...*dk (1 when k = 0) */
} loss_cfg;

static bool is_sce(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_SoftmaxCrossEntropyLoss;
}

static onnxbn_status loss_cfg_get(const onnxbn_kctx *c, loss_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *t = onnxbn_in(c, 1), *w = onnxbn_in(c, 2);
    const onnxbn_type_rule *types = is_sce(c) ? sce_types : nll_types;
    char red[16];
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, is_sce(c) ? "scores" : "input",
                                      onnxbn_type_mask_at(types, c->version))) ||
        (st = onnxbn_check_input_type(c, 1, "target", ONNXBN_TM_I32_64)) ||
        (w && (st = onnxbn_check_input_type(c, 2, "weights", ONNXBN_TM(x->dtype)))) ||
        (st = onnxbn_attr_string(c, "reduction", "mean", red, sizeof red)) ||
        (st = onnxbn_attr_int(c, "ignore_index", 0, &g->ii)))
        return st;
    g->has_ii = onnxbn_attr_has(c, "ignore_index");
    if (!strcmp(red, "none"))
        g->red = RED_NONE;
    else if (!strcmp(red, "sum"))
        g->red = RED_SUM;
    else if (!strcmp(red, "mean"))
        g->red = RED_MEAN;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'reduction' is '%s'; expected "
                                "'none', 'sum' or 'mean'", red);
    if (x->rank < 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 0 ('%.100s') has rank %d; the loss "
                                "takes (N, C, d1, ..., dk), rank 2 or more", mv_in_name(c, 0), x->rank);
    bool fits = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
    for (int k = 1; fits && k < t->rank; k++)
        fits = t->dims[k] == x->dims[k + 1];
    if (!fits) {
        char xs[ONNXBN_SHAPE_STR_MAX], ts[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'target' ('%.100s') has shape %s; "
                                "input 0 has shape %s (N, C, d1, ..., dk), so it must be (N, d1, ..., dk)",
                                mv_in_name(c, 1), onnxbn_shape_str(t, ts, sizeof ts),
                                onnxbn_shape_str(x, xs, sizeof xs));
    }
    g->n = x->dims[0];
    g->cls = x->dims[1];
    g->d = 1;
    for (int k = 2; k < x->rank; k++)
        g->d *= x->dims[k];
    if (w && (w->rank != 1 || w->dims[0] != g->cls))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'weights' ('%.100s') has %lld elements "
                                "in rank %d; expected one per class, C = %lld", mv_in_name(c, 2),
                                (long long)w->numel, w->rank, (long long)g->cls);
    return ONNXBN_OK;
}

static onnxbn_status loss_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *t = onnxbn_in(c, 1);
    loss_cfg g;
    onnxbn_status st = loss_cfg_get(c, &g);
    if (st)
        return st;
    if ((st = onnxbn_mv_set_out(c, 0, x->dtype, g.red == RED_NONE ? t->rank : 0, t->dims)))
        return st;
    return is_sce(c) ? onnxbn_mv_set_out(c, 1, x->dtype, x->rank, x->dims) : ONNXBN_OK;
}

/* -log softmax(x)[t] of the column of C scores at x[0], x[d], ...: max-shifted as the reference.
 * With lp, the whole column of log-probabilities is written there too. */
static double sce_column(const onnxbn_tensor *x, int64_t base, int64_t cls, int64_t d, int64_t tgt,
                         onnxbn_tensor *lp)
{
    double mx = -INFINITY, sum = 0;
    for (int64_t k = 0; k < cls; k++) {
        double v = onnxbn_get_f64(x, base + k * d);
        mx = v > mx ? v : mx;
    }
    for (int64_t k = 0; k < cls; k++)
        sum += exp(onnxbn_get_f64(x, base + k * d) - mx);
    const double lse = mx + log(sum);
    if (lp)
        for (int64_t k = 0; k < cls; k++)
            onnxbn_set_f64(lp, base + k * d, onnxbn_get_f64(x, base + k * d) - lse);
    return tgt < 0 ? 0 : lse - onnxbn_get_f64(x, base + tgt * d);
}

static onnxbn_status loss_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *t = onnxbn_in(c, 1), *w = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0), *lp = onnxbn_out(c, 1);
    loss_cfg g;
    onnxbn_status st = loss_cfg_get(c, &g);
    if (st)
        return st;
    /* Every target is checked before any output is written, so a bad one leaves no half result. */
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t v = onnxbn_get_i64(t, i);
        if ((v < 0 || v >= g.cls) && !(g.has_ii && v == g.ii))
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "target %lld (element %lld of input 'target' "
                                    "('%.100s')) is out of range [0, %lld)%s", (long long)v,
                                    (long long)i, mv_in_name(c, 1), (long long)g.cls,
                                    g.has_ii ? " and is not ignore_index" : "");
    }
    /* Sums in double; the reference's float32 sums round more, within the ONNX tolerance. */
    double total = 0, wsum = 0;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t j = 0; j < g.d; j++) {
            const int64_t i = n * g.d + j, base = n * g.cls * g.d + j;
            const int64_t tgt = onnxbn_get_i64(t, i);
            const bool ignored = g.has_ii && tgt == g.ii;
            const double wt = ignored ? 0 : w ? onnxbn_get_f64(w, tgt) : 1;
            double l;
            if (is_sce(c))
                l = sce_column(x, base, g.cls, g.d, ignored ? -1 : tgt, lp);
            else
                l = ignored ? 0 : -onnxbn_get_f64(x, base + tgt * g.d);
            l *= wt;
            if (g.red == RED_NONE)
                onnxbn_set_f64(y, i, l);
            total += l;
            wsum += wt;
        }
    /* mean: the weighted sum over the weights of the targets not ignored (the count of them when
     * there are no weights), as the reference; all ignored gives 0/0, NaN, as there. */
    if (g.red == RED_SUM)
        onnxbn_set_f64(y, 0, total);
    else if (g.red == RED_MEAN)
        onnxbn_set_f64(y, 0, total / wsum);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_nllloss = {
    .attrs = loss_attrs,
    .infer = loss_infer,
    .run = loss_run,
};

const onnxbn_op_def onnxbn_op_sceloss = {
    .attrs = loss_attrs,
    .infer = loss_infer,
    .run = loss_run,
};
