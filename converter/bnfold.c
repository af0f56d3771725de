/* SPDX-License-Identifier: Apache-2.0 */
/* bnfold.c — the fold-bn pass: each inference BatchNormalization folded into the layer before it
 * (Conv, ConvTranspose, Gemm, MatMul, MatMul + Add) or after it (Gemm, MatMul, unpadded Conv). */
#include "convert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a BN node folds to, read once per attempt. */
typedef struct bnp {
    int version;
    int x, y;               /* value ids of X and Y */
    int64_t c;              /* channels */
    onnxbn_dtype ptype;     /* type of scale */
    double *gamma, *beta, *mean, *var, *a, *t;
    bool borrowed;          /* the arrays belong to the pass's cache */
} bnp;

static void bnp_free(bnp *p)
{
    if (!p->borrowed) {
        free(p->gamma);
        free(p->beta);
        free(p->mean);
        free(p->var);
        free(p->a);
        free(p->t);
    }
    memset(p, 0, sizeof *p);
}

/* The decoded parameters of the BNs a pass has read, by node. The pass tries a BN it skipped
 * again after every fold elsewhere (a fold can change what it sees), but not its parameters:
 * they stay the same initializers or Constant nodes while the BN is there (nothing deletes a
 * tensor still read, and no fold edits one), so a successful decoding is kept. A BN's entry
 * goes when it folds, since its node is freed. Declined readings are not kept: their reasons
 * name other nodes, which folds change. */
typedef struct bn_cache {
    const Onnx__NodeProto **np;
    bnp *p;
    int n, cap;
} bn_cache;

static bnp *cache_find(const bn_cache *c, const Onnx__NodeProto *np)
{
    for (int i = 0; c && i < c->n; i++)
        if (c->np[i] == np)
            return &c->p[i];
    return NULL;
}

/* Moves p's arrays into the cache (p then borrows them); nothing when it is full. */
static void cache_put(bn_cache *c, const Onnx__NodeProto *np, bnp *p)
{
    if (!c || c->n >= c->cap)
        return;
    c->np[c->n] = np;
    c->p[c->n] = *p;
    c->n++;
    p->borrowed = true;
}

static void cache_drop(bn_cache *c, const Onnx__NodeProto *np)
{
    bnp *e = cache_find(c, np);
    if (!e)
        return;
    int i = (int)(e - c->p);
    bnp_free(e);
    c->np[i] = c->np[c->n - 1];
    c->p[i] = c->p[c->n - 1];
    c->n--;
}

static void cache_free(bn_cache *c)
{
    for (int i = 0; i < c->n; i++)
        bnp_free(&c->p[i]);
    free(c->np);
    free(c->p);
    memset(c, 0, sizeof *c);
}

static int bn_version(int64_t opset)
{
    return opset < 6 ? 1 : opset < 7 ? 6 : opset < 9 ? 7 : opset < 14 ? 9 : opset < 15 ? 14 : 15;
}

static int gemm_version(int64_t opset)
{
    return opset < 6 ? 1 : opset < 7 ? 6 : opset < 9 ? 7 : opset < 11 ? 9 : opset < 13 ? 11 : 13;
}

/* Why a value has readers besides `self` (one line, for reasons). */
static const char *other_reader(const fz *z, int vid, const onnxbn_node *self, char *buf, size_t cap)
{
    const onnxbn_value *v = &z->g.values[vid];
    if (v->output_index >= 0) {
        snprintf(buf, cap, "it is a graph output");
        return buf;
    }
    for (int i = 0; i < v->n_consumers; i++) {
        const onnxbn_node *n = &z->g.nodes[v->consumers[i]];
        if (n != self) {
            char lb[FZ_LABEL_MAX];
            snprintf(buf, cap, "%s reads it too", fz_label(n, lb, sizeof lb));
            return buf;
        }
    }
    if (fz_subref(z, vid)) {
        snprintf(buf, cap, "a subgraph reads it");
        return buf;
    }
    snprintf(buf, cap, "it is read twice by the same node");
    return buf;
}

static const char *param_name(int version, int i)
{
    static const char *const old[] = {"X", "scale", "B", "mean", "var"};
    static const char *const now[] = {"X", "scale", "B", "input_mean", "input_var"};
    return version >= 14 ? now[i] : old[i];
}

/* The BN's own preconditions: inference mode, optional outputs unused, constant parameters. */
static fz_res bn_read(fz *z, const onnxbn_node *bn, bnp *p, bn_cache *cache)
{
    memset(p, 0, sizeof *p);
    const Onnx__NodeProto *np = bn->proto;
    int v = p->version = bn_version(z->opset);
    if (bn->n_in != 5)
        return fz_skip(z, "it has %d inputs, expected 5", bn->n_in);
    for (int i = 0; i < 5; i++)
        if (bn->in[i] < 0)
            return fz_skip(z, "its input '%s' is missing", param_name(v, i));
    if (bn->n_out < 1 || bn->out[0] < 0)
        return fz_skip(z, "it has no output Y");
    p->x = bn->in[0];
    p->y = bn->out[0];

    int64_t flag;
    if (v <= 6) {
        if (!fz_attr_i(np, "is_test", 0, &flag))
            return fz_skip(z, "its attribute 'is_test' is not an INT");
        if (!flag)
            return fz_skip(z, "is_test=0: BatchNormalization-%d runs in training mode", v);
    } else if (v <= 9) {
        for (int k = 1; k < bn->n_out; k++)
            if (bn->out[k] >= 0)
                return fz_skip(z, "it has the optional output '%s': BatchNormalization-%d then "
                                  "computes batch statistics (training mode)",
                               z->g.values[bn->out[k]].name, v);
    } else {
        if (!fz_attr_i(np, "training_mode", 0, &flag))
            return fz_skip(z, "its attribute 'training_mode' is not an INT");
        if (flag)
            return fz_skip(z, "training_mode=%lld: it computes batch statistics", (long long)flag);
    }
    for (int k = 1; k < bn->n_out; k++)
        if (bn->out[k] >= 0 && fz_uses(z, bn->out[k]) > 0)
            return fz_skip(z, "its optional output '%s' is used", z->g.values[bn->out[k]].name);
    if (v <= 7) {
        int64_t spatial;
        if (!fz_attr_i(np, "spatial", 1, &spatial))
            return fz_skip(z, "its attribute 'spatial' is not an INT");
        int r = fz_rank(z, p->x);
        if (!spatial && r != 2)
            return fz_skip(z, "spatial=0 keeps statistics per element, and its input has %s",
                           r < 0 ? "an unknown rank" : "rank above 2");
    }
    float eps;
    if (!fz_attr_f(np, "epsilon", 1e-5f, &eps))
        return fz_skip(z, "its attribute 'epsilon' is not a FLOAT");
    const bnp *hit = cache_find(cache, np);
    if (hit) {
        *p = *hit;
        p->x = bn->in[0];
        p->y = bn->out[0];
        p->borrowed = true;
        return FZ_OK;
    }

    double **dst[4] = {&p->gamma, &p->beta, &p->mean, &p->var};
    onnxbn_tensor sh[4];
    for (int i = 0; i < 4; i++) {
        char what[48];
        snprintf(what, sizeof what, "its input '%s'", param_name(v, i + 1));
        fz_res r = fz_const_f64(z, bn->in[i + 1], what, &sh[i], dst[i]);
        if (r) {
            bnp_free(p);
            return r;
        }
    }
    p->ptype = sh[0].dtype;
    p->c = sh[0].numel;
    for (int i = 1; i < 4; i++)
        if (sh[i].numel != p->c) {
            bnp_free(p);
            return fz_skip(z, "its input '%s' has %lld elements, 'scale' has %lld",
                           param_name(v, i + 1), (long long)sh[i].numel, (long long)p->c);
        }
    if (p->c < 1) {
        bnp_free(p);
        return fz_skip(z, "it has no channels");
    }
    p->a = malloc((size_t)p->c * sizeof *p->a);
    p->t = malloc((size_t)p->c * sizeof *p->t);
    if (!p->a || !p->t) {
        bnp_free(p);
        return fz_nomem(z);
    }
    int64_t bad;
    if (!onnxbn_fold_affine(p->c, p->gamma, p->beta, p->mean, p->var, (double)eps, p->a, p->t,
                            &bad)) {
        double d = p->var[bad] + (double)eps;
        fz_res r = d > 0 ? fz_skip(z, "channel %lld: its scale or shift is not finite", (long long)bad)
                         : fz_skip(z, "channel %lld: variance + epsilon = %g is not positive",
                                   (long long)bad, d);
        bnp_free(p);
        return r;
    }
    cache_put(cache, np, p);
    return FZ_OK;
}

/* A bias-like constant (Gemm C, Add operand) broadcast against (rows, n): its shape must be
 * (), (1), (n), (1,1), (1,n), (r,1) or (r,n). Expands it to rows×n doubles. */
static bool bias_layout(const onnxbn_tensor *s, int64_t n, int64_t *rows, int *rank, int64_t *dims)
{
    if (s->rank == 0 || (s->rank == 1 && (s->dims[0] == 1 || s->dims[0] == n))) {
        *rows = 1;
        *rank = 1;
        dims[0] = n;
        return true;
    }
    if (s->rank == 2 && (s->dims[1] == 1 || s->dims[1] == n) && s->dims[0] >= 1) {
        *rows = s->dims[0];
        *rank = 2;
        dims[0] = s->dims[0];
        dims[1] = n;
        return true;
    }
    return false;
}

static double *expand_bias(const onnxbn_tensor *s, const double *v, int64_t rows, int64_t n)
{
    double *out = malloc((size_t)(rows * n) * sizeof *out);
    if (!out)
        return NULL;
    int64_t d0 = s->rank == 2 ? s->dims[0] : 1, d1 = s->rank >= 1 ? s->dims[s->rank - 1] : 1;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < n; c++)
            out[r * n + c] = v[(d0 == 1 ? 0 : r) * d1 + (d1 == 1 ? 0 : c)];
    return out;
}

/* Everything a fold allocates, freed in one place. */
typedef struct work {
    double *w, *b, *out, *exp, *comp;
    onnxbn_tensor ws, bs;
} work;

static void work_free(work *k)
{
    free(k->w);
    free(k->b);
    free(k->out);
    free(k->exp);
    free(k->comp);
    memset(k, 0, sizeof *k);
}

static const char *vname(const fz *z, int vid) { return z->g.values[vid].name; }
static const char *node_name(const onnxbn_node *n) { return onnxbn_str(n->proto->name); }

/* The base of a new bias name: the old bias, else "<layer name or weight>_bias". */
static char *bias_name(fz *z, const onnxbn_node *layer, int bias_vid, int weight_vid)
{
    if (bias_vid >= 0)
        return fz_fresh(z, vname(z, bias_vid), "_bnfold");
    const char *base = *node_name(layer) ? node_name(layer) : vname(z, weight_vid);
    return fz_fresh(z, base, "_bias_bnfold");
}

/* The BN's parameters are no longer read once it is gone. */
static fz_res plan_bn_gone(fz *z, fz_plan *pl, const onnxbn_node *bn)
{
    fz_res r = FZ_OK;
    for (int i = 1; i < 5 && !r; i++)
        r = fz_plan_maybe_unused(z, pl, vname(z, bn->in[i]));
    return r;
}

static fz_res record_fold(fz *z, fz_plan *pl, fz_res r, const onnxbn_node *bn, const char *kind,
                     const char *into, bool *applied)
{
    if (r) {
        fz_plan_discard(pl);
        return r;
    }
    /* Report before committing: the commit frees the BN node the entry names. */
    if ((r = fz_report_add(z, "folded", kind, bn, into, "")) != FZ_OK) {
        fz_plan_discard(pl);
        return r;
    }
    r = fz_plan_commit(z, pl);
    if (!r) {
        *applied = true;
        z->rep->stats.bn_folded++;
    }
    return r;
}

/* ---- folds into the layer before ---- */

static fz_res back_conv(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                        bool transpose, bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    if (l->n_in < 2 || l->in[1] < 0)
        return fz_skip(z, "%s has no weight", lb);
    fz_res r = fz_const_f64(z, l->in[1], "the weight", &k.ws, &k.w);
    if (r)
        return r;
    int64_t n = k.ws.numel, m, g = 1;
    onnxbn_chmap map = {0, 0, 0};
    if (k.ws.rank < 3) {
        r = fz_skip(z, "the weight of %s has rank %d, expected 3 or more", lb, k.ws.rank);
        goto out;
    }
    if (!fz_attr_i(l->proto, "group", 1, &g) || g < 1) {
        r = fz_skip(z, "%s has an invalid 'group'", lb);
        goto out;
    }
    if (transpose) {
        /* W is C_in × M/g × k…: output channel of W[i, j, …] is (i / (C_in/g))·(M/g) + j. */
        int64_t cin = k.ws.dims[0], mg = k.ws.dims[1];
        if (cin % g) {
            r = fz_skip(z, "%s: %lld input channels do not split into %lld groups", lb,
                        (long long)cin, (long long)g);
            goto out;
        }
        m = mg * g;
        map.inner = n / (cin * mg);
        map.mid = mg;
        map.blk = cin / g;
    } else {
        m = k.ws.dims[0];
        map.inner = n / m;
        map.mid = m;
    }
    if (m != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld output channels", (long long)p->c, lb,
                    (long long)m);
        goto out;
    }
    int bias = l->n_in >= 3 ? l->in[2] : -1;
    if (bias >= 0) {
        if ((r = fz_const_f64(z, bias, "the bias", &k.bs, &k.b)))
            goto out;
        if (k.bs.numel != m) {
            r = fz_skip(z, "the bias of %s has %lld elements, expected %lld", lb,
                        (long long)k.bs.numel, (long long)m);
            goto out;
        }
    }
    if (!(k.out = malloc((size_t)m * sizeof *k.out))) {
        r = fz_nomem(z);
        goto out;
    }
    onnxbn_fold_scale(k.w, n, &map, p->a);
    onnxbn_fold_bias(m, m, k.b, 1.0, p->a, p->mean, p->beta, k.out);

    Onnx__NodeProto *lp = (Onnx__NodeProto *)l->proto;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), k.ws.dtype,
                           k.ws.rank, k.ws.dims, k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, bias, l->in[1]), k.ws.dtype, 1, &m, k.out,
                           "bias")) &&
        !(r = fz_plan_input(z, &pl, lp, 1, pl.init[0]->name)) &&
        !(r = fz_plan_input(z, &pl, lp, 2, pl.init[1]->name)) &&
        !(r = fz_plan_output(z, &pl, lp, 0, vname(z, p->y))) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->x))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))) &&
        !(r = bias >= 0 ? fz_plan_maybe_unused(z, &pl, vname(z, bias)) : FZ_OK))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, transpose ? "ConvTranspose+BN" : "Conv+BN", node_name(l), applied);
out:
    work_free(&k);
    return r;
}


/* ---- a Conv whose weight is quantized (QDQ graphs) ----
 * The weight is DequantizeLinear(q, s, z), q either QuantizeLinear(W, s, z) of a float constant W
 * (what quantization tools leave before export) or an int8/uint8 constant. Folding a BN's scale
 * a[m] into channel m scales the real weight (q - z)·s by a[m]; the same integers represent it
 * with the scale s·|a[m]| (and, for a[m] < 0, q mirrored around z), so the fold moves the scale,
 * keeps the quantization pair and loses nothing: W becomes W·a[m] before its QuantizeLinear, or
 * the stored integers are kept (mirrored where a[m] < 0). A per-tensor scale becomes per channel
 * (axis 0), which QuantizeLinear/DequantizeLinear take from opset 13. */

/* fz_const_f64 for the integer tensors of a quantization (int8, uint8, int32) as well. */
static fz_res const_q64(fz *z, int vid, const char *what, onnxbn_tensor *shape, double **vals)
{
    onnxbn_tensor t;
    *vals = NULL;
    fz_res r = fz_const(z, vid, what, &t);
    if (r)
        return r;
    double *d = NULL;
    if (t.dtype == ONNXBN_INT8 || t.dtype == ONNXBN_UINT8 || t.dtype == ONNXBN_INT32 ||
        t.dtype == ONNXBN_FLOAT) {
        if (!(d = malloc(((size_t)t.numel + 1) * sizeof *d))) {
            onnxbn_tensor_release(&t);
            return fz_nomem(z);
        }
        for (int64_t i = 0; i < t.numel; i++)
            d[i] = onnxbn_get_f64(&t, i);
    }
    onnxbn_tensor_release(&t);
    if (!d)
        return fz_skip(z, "%s ('%.100s') is %s, not int8, uint8, int32 or float", what,
                       z->g.values[vid].name, onnxbn_dtype_name(t.dtype));
    *shape = t;
    shape->data = NULL;
    shape->owns = false;
    *vals = d;
    return FZ_OK;
}

/* The plan's new initializer i, made as float from whole values (exact: |v| < 2^24), stored as
 * the integer type dt instead (fz_plan_init makes floating types only). v is in dt's range. */
static void plan_retype_int(fz_plan *pl, int i, onnxbn_dtype dt, const double *v)
{
    Onnx__TensorProto *tp = pl->init[i];
    const size_t n = tp->raw_data.len / 4;
    for (size_t j = 0; j < n; j++) {
        if (dt == ONNXBN_INT8)
            ((int8_t *)tp->raw_data.data)[j] = (int8_t)v[j];
        else
            ((uint8_t *)tp->raw_data.data)[j] = (uint8_t)v[j];
    }
    tp->raw_data.len = n;
    tp->data_type = (int32_t)dt;
    Onnx__ValueInfoProto *vi = pl->init_vi[i];
    if (vi && vi->type && vi->type->tensor_type)
        vi->type->tensor_type->elem_type = (int32_t)dt;
}

typedef struct qdq_w {
    const onnxbn_node *dq, *qn; /* qn NULL: q is a constant */
    int q, s, zp;               /* value ids of DequantizeLinear's inputs (zp -1: absent) */
    int64_t axis;
} qdq_w;

/* The quantization of l's weight, or FZ_SKIP with the reason. */
static fz_res qdq_find(fz *z, const onnxbn_node *l, const char *lb, qdq_w *w)
{
    const onnxbn_value *wv = &z->g.values[l->in[1]];
    memset(w, 0, sizeof *w);
    w->dq = &z->g.nodes[wv->producer];
    char dl[FZ_LABEL_MAX];
    fz_label(w->dq, dl, sizeof dl);
    if (fz_uses(z, l->in[1]) != 1 || wv->n_consumers != 1)
        return fz_skip(z, "the weight ('%.100s') of %s from %s has other readers", wv->name, lb, dl);
    if (w->dq->n_in < 2 || w->dq->in[0] < 0 || w->dq->in[1] < 0)
        return fz_skip(z, "%s lacks its scale", dl);
    w->q = w->dq->in[0];
    w->s = w->dq->in[1];
    w->zp = w->dq->n_in >= 3 ? w->dq->in[2] : -1;
    fz_attr_i(w->dq->proto, "axis", 1, &w->axis);
    const onnxbn_value *qv = &z->g.values[w->q];
    if (qv->producer >= 0 && fz_is_op(z, &z->g.nodes[qv->producer], ONNXBN_OP_QuantizeLinear)) {
        w->qn = &z->g.nodes[qv->producer];
        char ql[FZ_LABEL_MAX];
        fz_label(w->qn, ql, sizeof ql);
        int64_t qaxis;
        fz_attr_i(w->qn->proto, "axis", 1, &qaxis);
        const int qzp = w->qn->n_in >= 3 ? w->qn->in[2] : -1;
        if (fz_uses(z, w->q) != 1 || qv->n_consumers != 1)
            return fz_skip(z, "the output of %s has readers other than %s", ql, dl);
        if (w->qn->n_in < 2 || w->qn->in[1] != w->s || qzp != w->zp || qaxis != w->axis)
            return fz_skip(z, "%s and %s do not share their scale, zero point and axis", ql, dl);
        return FZ_OK;
    }
    return FZ_OK;
}

static fz_res back_conv_qdq(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                            bool *applied)
{
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    qdq_w qw;
    fz_res r = qdq_find(z, l, lb, &qw);
    if (r)
        return r;
    work k = {0};
    fz_plan pl = {0};
    onnxbn_tensor ss = {0}, zs = {0}, qs = {0};
    double *s = NULL, *zv = NULL, *qv = NULL, *ns = NULL, *nz = NULL;
    int64_t g = 1;
    /* the real weight: W (float) before QuantizeLinear, or the stored integers */
    if ((qw.qn ? (r = fz_const_f64(z, qw.qn->in[0], "the float weight", &k.ws, &k.w))
               : (r = const_q64(z, qw.q, "the quantized weight", &qs, &qv))) ||
        (r = fz_const_f64(z, qw.s, "the weight's scale", &ss, &s)) ||
        (qw.zp >= 0 && (r = const_q64(z, qw.zp, "the weight's zero point", &zs, &zv))))
        goto out;
    const onnxbn_tensor *wt = qw.qn ? &k.ws : &qs;
    if (wt->rank < 3 || !fz_attr_i(l->proto, "group", 1, &g) || g < 1) {
        r = fz_skip(z, "the weight of %s has rank %d or an invalid group", lb, wt->rank);
        goto out;
    }
    const int64_t m = wt->dims[0], n = wt->numel, inner = n / (m ? m : 1);
    if (m != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld output channels", (long long)p->c, lb, (long long)m);
        goto out;
    }
    const bool per_ch = ss.numel != 1;
    if (per_ch && !((qw.axis == 0 || qw.axis == -wt->rank) && ss.numel == m)) {
        r = fz_skip(z, "the weight's scale has %lld values on axis %lld, not one per output channel",
                    (long long)ss.numel, (long long)qw.axis);
        goto out;
    }
    if (!per_ch && qw.dq->opset < 13) {
        r = fz_skip(z, "its per-channel factors need a per-channel weight scale, which "
                    "DequantizeLinear takes from opset 13 (the model imports %lld)", (long long)qw.dq->opset);
        goto out;
    }
    if (!qw.qn && qs.dtype != ONNXBN_INT8 && qs.dtype != ONNXBN_UINT8) {
        r = fz_skip(z, "the quantized weight is %s, not int8 or uint8", onnxbn_dtype_name(qs.dtype));
        goto out;
    }
    const onnxbn_dtype zt = qw.zp >= 0 ? zs.dtype : qw.qn ? ONNXBN_UINT8 : qs.dtype;
    if (zt != ONNXBN_INT8 && zt != ONNXBN_UINT8) {
        r = fz_skip(z, "the weight's zero point is %s, not int8 or uint8", onnxbn_dtype_name(zt));
        goto out;
    }
    {
        /* an edit appends at most two inputs: the zero points and the bias, where absent */
        const Onnx__NodeProto *dp = qw.dq->proto;
        int appends = (dp->n_input < 3) + (l->proto->n_input < 3) +
                      (qw.qn ? qw.qn->proto->n_input < 3 : 0);
        if (appends > 2) {
            r = fz_skip(z, "neither the weight's QuantizeLinear/DequantizeLinear have a zero point nor %s a bias (three inputs to add in one edit)", lb);
            goto out;
        }
    }
    if (!(ns = malloc((size_t)m * sizeof *ns)) || !(nz = malloc((size_t)m * sizeof *nz)) ||
        !(k.out = malloc((size_t)m * sizeof *k.out))) {
        r = fz_nomem(z);
        goto out;
    }
    for (int64_t c = 0; c < m; c++) {
        const double a = p->a[c];
        ns[c] = s[per_ch ? c : 0] * fabs(a);
        nz[c] = zv ? zv[per_ch ? c : 0] : 0;
        if (!(ns[c] > 0) || !isfinite(ns[c])) {
            r = fz_skip(z, "channel %lld would get the weight scale %g (BN factor %g)", (long long)c, ns[c], a);
            goto out;
        }
    }
    if (qw.qn) {
        onnxbn_chmap map = {inner, m, 0};
        onnxbn_fold_scale(k.w, n, &map, p->a);
    } else {
        /* the integers stay; a negative factor mirrors them around the zero point */
        for (int64_t i = 0; i < n; i++) {
            const int64_t c = i / inner;
            if (p->a[c] < 0)
                qv[i] = 2 * nz[c] - qv[i];
            const double lo = qs.dtype == ONNXBN_INT8 ? -128 : 0, hi = lo + 255;
            if (qv[i] < lo || qv[i] > hi) {
                r = fz_skip(z, "channel %lld has a negative BN factor and its weight %g, mirrored around the zero point %g, leaves %s",
                            (long long)c, 2 * nz[c] - qv[i], nz[c], onnxbn_dtype_name(qs.dtype));
                goto out;
            }
        }
    }
    int bias = l->n_in >= 3 ? l->in[2] : -1;
    if (bias >= 0) {
        if ((r = fz_const_f64(z, bias, "the bias", &k.bs, &k.b)))
            goto out;
        if (k.bs.numel != m) {
            r = fz_skip(z, "the bias of %s has %lld elements, expected %lld", lb, (long long)k.bs.numel, (long long)m);
            goto out;
        }
    }
    onnxbn_fold_bias(m, m, k.b, 1.0, p->a, p->mean, p->beta, k.out);

    Onnx__NodeProto *lp = (Onnx__NodeProto *)l->proto, *dqp = (Onnx__NodeProto *)qw.dq->proto;
    Onnx__NodeProto *qp = qw.qn ? (Onnx__NodeProto *)qw.qn->proto : NULL;
    const int wvid = qw.qn ? qw.qn->in[0] : qw.q;
    const onnxbn_dtype bt = bias >= 0 ? k.bs.dtype : ONNXBN_FLOAT;
    if ((r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, wvid), "_bnfold"),
                          qw.qn ? wt->dtype : ONNXBN_FLOAT, wt->rank, wt->dims, qw.qn ? k.w : qv,
                          "weight")) ||
        (r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, qw.s), "_bnfold"), ONNXBN_FLOAT, 1, &m, ns,
                          "weight scale")) ||
        (r = fz_plan_init(z, &pl, fz_fresh(z, qw.zp >= 0 ? vname(z, qw.zp) : vname(z, qw.s), "_zp_bnfold"),
                          ONNXBN_FLOAT, 1, &m, nz, "weight zero point")) ||
        (r = fz_plan_init(z, &pl, bias_name(z, l, bias, l->in[1]), bt, 1, &m, k.out, "bias")))
        goto out;
    if (!qw.qn)
        plan_retype_int(&pl, 0, qs.dtype, qv);
    plan_retype_int(&pl, 2, zt, nz);
    /* QuantizeLinear (when there is one) reads the new float weight, both the new scale and zero
     * point, on axis 0; the Conv the new bias and the BN's output name */
    if ((qp && ((r = fz_plan_input(z, &pl, qp, 0, pl.init[0]->name)) ||
                (r = fz_plan_input(z, &pl, qp, 1, pl.init[1]->name)) ||
                (r = fz_plan_input(z, &pl, qp, 2, pl.init[2]->name)) ||
                (r = fz_plan_attr_i(z, &pl, qp, "axis", 0)))) ||
        (!qp && (r = fz_plan_input(z, &pl, dqp, 0, pl.init[0]->name))) ||
        (r = fz_plan_input(z, &pl, dqp, 1, pl.init[1]->name)) ||
        (r = fz_plan_input(z, &pl, dqp, 2, pl.init[2]->name)) ||
        (r = fz_plan_attr_i(z, &pl, dqp, "axis", 0)) ||
        (r = fz_plan_input(z, &pl, lp, 2, pl.init[3]->name)) ||
        (r = fz_plan_output(z, &pl, lp, 0, vname(z, p->y))) ||
        (r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) ||
        (r = fz_plan_drop_vi(z, &pl, vname(z, p->x))) ||
        (r = fz_plan_maybe_unused(z, &pl, vname(z, wvid))) ||
        (r = fz_plan_maybe_unused(z, &pl, vname(z, qw.s))) ||
        (qw.zp >= 0 && (r = fz_plan_maybe_unused(z, &pl, vname(z, qw.zp)))) ||
        (bias >= 0 && (r = fz_plan_maybe_unused(z, &pl, vname(z, bias)))))
        goto out_plan;
    r = plan_bn_gone(z, &pl, bn);
out_plan:
    r = record_fold(z, &pl, r, bn, "Conv(QDQ weight)+BN", node_name(l), applied);
out:
    if (r && pl.n_init && !*applied)
        fz_plan_discard(&pl);
    work_free(&k);
    free(s), free(zv), free(qv), free(ns), free(nz);
    return r;
}

typedef struct gemm_attrs {
    float alpha, beta;
    int64_t ta, tb, broadcast;
    int version;
} gemm_attrs;

static fz_res read_gemm(fz *z, const onnxbn_node *l, gemm_attrs *ga)
{
    char lb[FZ_LABEL_MAX];
    ga->version = gemm_version(z->opset);
    if (!fz_attr_f(l->proto, "alpha", 1.0f, &ga->alpha) || !fz_attr_f(l->proto, "beta", 1.0f, &ga->beta) ||
        !fz_attr_i(l->proto, "transA", 0, &ga->ta) || !fz_attr_i(l->proto, "transB", 0, &ga->tb) ||
        !fz_attr_i(l->proto, "broadcast", 0, &ga->broadcast))
        return fz_skip(z, "%s has an attribute of the wrong type", fz_label(l, lb, sizeof lb));
    if (l->n_in < 2 || l->in[0] < 0 || l->in[1] < 0)
        return fz_skip(z, "%s lacks an input", fz_label(l, lb, sizeof lb));
    return FZ_OK;
}

/* Reads a 2-D constant right-hand side. */
static fz_res read_rhs(fz *z, const onnxbn_node *l, work *k)
{
    char lb[FZ_LABEL_MAX];
    fz_res r = fz_const_f64(z, l->in[1], "the weight", &k->ws, &k->w);
    if (r)
        return r;
    if (k->ws.rank != 2)
        return fz_skip(z, "the weight of %s has rank %d, expected 2", fz_label(l, lb, sizeof lb),
                       k->ws.rank);
    return FZ_OK;
}

/* Reads Gemm's C (when present) against n columns: k->bs/k->b, the output layout, and the
 * expansion to rows × n in k->exp. */
static fz_res read_c(fz *z, const onnxbn_node *l, int cid, int64_t n, work *k, int64_t *rows,
                     int *rank, int64_t *dims, const char *what)
{
    char lb[FZ_LABEL_MAX];
    *rows = 1;
    *rank = 1;
    dims[0] = n;
    if (cid < 0)
        return FZ_OK;
    fz_res r = fz_const_f64(z, cid, what, &k->bs, &k->b);
    if (r)
        return r;
    char sh[ONNXBN_SHAPE_STR_MAX];
    if (!bias_layout(&k->bs, n, rows, rank, dims))
        return fz_skip(z, "%s of %s has shape %s, which does not broadcast per column to (M, %lld)",
                       what, fz_label(l, lb, sizeof lb), onnxbn_shape_str(&k->bs, sh, sizeof sh),
                       (long long)n);
    if (!(k->exp = expand_bias(&k->bs, k->b, *rows, n)))
        return fz_nomem(z);
    return FZ_OK;
}

static fz_res back_gemm(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                        bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    gemm_attrs ga;
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    fz_res r = read_gemm(z, l, &ga);
    if (r || (r = read_rhs(z, l, &k)))
        goto out;
    int64_t nn = ga.tb ? k.ws.dims[0] : k.ws.dims[1], kk = ga.tb ? k.ws.dims[1] : k.ws.dims[0];
    if (nn != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld outputs", (long long)p->c, lb, (long long)nn);
        goto out;
    }
    int cid = l->n_in >= 3 ? l->in[2] : -1;
    if (cid < 0 && ga.version < 11) {
        r = fz_skip(z, "%s has no C, which Gemm-%d requires", lb, ga.version);
        goto out;
    }
    int64_t rows, dims[2];
    int rank;
    if ((r = read_c(z, l, cid, nn, &k, &rows, &rank, dims, "C")))
        goto out;
    if (!(k.out = malloc((size_t)(rows * nn) * sizeof *k.out))) {
        r = fz_nomem(z);
        goto out;
    }
    /* Y = α·A·B + β·C, so BN(Y) = α·A·(B·diag(a)) + a⊙(β·C − μ) + β_bn: α stays, β becomes 1. */
    onnxbn_chmap map = {ga.tb ? kk : 1, nn, 0};
    onnxbn_fold_scale(k.w, k.ws.numel, &map, p->a);
    onnxbn_fold_bias(rows * nn, nn, k.exp, (double)ga.beta, p->a, p->mean, p->beta, k.out);

    Onnx__NodeProto *lp = (Onnx__NodeProto *)l->proto;
    onnxbn_dtype dt = k.ws.dtype;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), dt, 2, k.ws.dims,
                           k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, cid, l->in[1]), dt, rank, dims, k.out, "bias")) &&
        !(r = fz_plan_input(z, &pl, lp, 1, pl.init[0]->name)) &&
        !(r = fz_plan_input(z, &pl, lp, 2, pl.init[1]->name)) &&
        !(r = fz_plan_output(z, &pl, lp, 0, vname(z, p->y))) &&
        !(r = ga.beta != 1.0f || fz_attr(lp, "beta") ? fz_plan_attr_f(z, &pl, lp, "beta", 1.0f) : FZ_OK) &&
        !(r = ga.version < 7 && rows == 1 && ga.broadcast != 1
                  ? fz_plan_attr_i(z, &pl, lp, "broadcast", 1) : FZ_OK) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->x))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))) &&
        !(r = cid >= 0 ? fz_plan_maybe_unused(z, &pl, vname(z, cid)) : FZ_OK))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "Gemm+BN", node_name(l), applied);
out:
    work_free(&k);
    return r;
}

/* A rank-2 product is needed: then the BN channel axis (1) is MatMul's column axis. */
static fz_res need_rank2(fz *z, const onnxbn_node *l, int vid)
{
    char lb[FZ_LABEL_MAX];
    int r = fz_rank(z, vid);
    if (r == 2)
        return FZ_OK;
    if (r < 0)
        return fz_skip(z, "the rank of '%.100s', the left side of %s, is unknown (the fold needs rank 2)",
                       vname(z, vid), fz_label(l, lb, sizeof lb));
    return fz_skip(z, "'%.100s', the left side of %s, has rank %d: the BN channel axis 1 is not "
                      "the product's column axis",
                   vname(z, vid), fz_label(l, lb, sizeof lb), r);
}

/* A Gemm node standing in for a MatMul (+ bias): C broadcasts per column. */
static fz_res new_gemm(fz *z, const onnxbn_node *mm, const char *a, const char *b, const char *c,
                       const char *out, Onnx__NodeProto **gemm)
{
    const char *in[3] = {a, b, c};
    Onnx__NodeProto *g = fz_new_node("Gemm", node_name(mm), 3, in, out);
    if (!g || (z->opset < 7 && !fz_node_add_attr(g, fz_new_attr_i("broadcast", 1)))) {
        if (g)
            onnx__node_proto__free_unpacked(g, NULL);
        return fz_nomem(z);
    }
    *gemm = g;
    return FZ_OK;
}

static fz_res back_matmul(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                          bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    fz_res r;
    if (l->n_in != 2 || l->in[0] < 0 || l->in[1] < 0)
        return fz_skip(z, "%s does not have two inputs", lb);
    if ((r = need_rank2(z, l, l->in[0])) || (r = read_rhs(z, l, &k)))
        goto out;
    int64_t nn = k.ws.dims[1];
    if (nn != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld columns", (long long)p->c, lb, (long long)nn);
        goto out;
    }
    if (!(k.out = malloc((size_t)nn * sizeof *k.out))) {
        r = fz_nomem(z);
        goto out;
    }
    onnxbn_chmap map = {1, nn, 0};
    onnxbn_fold_scale(k.w, k.ws.numel, &map, p->a);
    onnxbn_fold_bias(nn, nn, NULL, 1.0, p->a, p->mean, p->beta, k.out);
    Onnx__NodeProto *gemm = NULL;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), k.ws.dtype, 2,
                           k.ws.dims, k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, -1, l->in[1]), k.ws.dtype, 1, &nn, k.out, "bias")) &&
        !(r = new_gemm(z, l, vname(z, l->in[0]), pl.init[0]->name, pl.init[1]->name,
                       vname(z, p->y), &gemm)) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)l->proto, gemm, NULL)) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->x))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "MatMul+BN", node_name(l), applied);
out:
    work_free(&k);
    return r;
}

static bool quiet_const(const fz *z, int vid)
{
    const onnxbn_value *v = &z->g.values[vid];
    return v->init || (v->producer >= 0 && fz_is_op(z, &z->g.nodes[v->producer], ONNXBN_OP_Constant));
}

/* MatMul → Add(constant) → BN: the MatMul's weight and the Add's constant take the BN. */
static fz_res back_matmul_add(fz *z, const onnxbn_node *bn, const onnxbn_node *add, const bnp *p,
                              bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    char lb[FZ_LABEL_MAX], mb[FZ_LABEL_MAX], why[200];
    fz_label(add, lb, sizeof lb);
    if (z->opset < 7)
        return fz_skip(z, "%s: Add before opset 7 broadcasts by attribute, not folded", lb);
    if (add->n_in != 2 || add->in[0] < 0 || add->in[1] < 0)
        return fz_skip(z, "%s does not have two inputs", lb);
    int side = -1;
    for (int s = 0; s < 2 && side < 0; s++) {
        const onnxbn_value *m = &z->g.values[add->in[s]];
        if (m->producer >= 0 && fz_is_op(z, &z->g.nodes[m->producer], ONNXBN_OP_MatMul) &&
            quiet_const(z, add->in[1 - s]))
            side = s;
    }
    if (side < 0)
        return fz_skip(z, "the layer before it, %s, does not add a constant to a MatMul", lb);
    int mid = add->in[side], cid = add->in[1 - side];
    const onnxbn_node *mm = &z->g.nodes[z->g.values[mid].producer];
    fz_label(mm, mb, sizeof mb);
    if (fz_uses(z, mid) != 1 || z->g.values[mid].n_consumers != 1)
        return fz_skip(z, "the output '%.100s' of %s has other readers: %s", vname(z, mid), mb,
                       other_reader(z, mid, add, why, sizeof why));
    fz_res r;
    if (mm->n_in != 2 || mm->in[0] < 0 || mm->in[1] < 0) {
        r = fz_skip(z, "%s does not have two inputs", mb);
        goto out;
    }
    if ((r = need_rank2(z, mm, mm->in[0])) || (r = read_rhs(z, mm, &k)))
        goto out;
    int64_t nn = k.ws.dims[1];
    if (nn != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld columns", (long long)p->c, mb, (long long)nn);
        goto out;
    }
    int64_t rows, dims[2];
    int rank;
    if ((r = read_c(z, add, cid, nn, &k, &rows, &rank, dims, "the added constant")))
        goto out;
    if (!(k.out = malloc((size_t)(rows * nn) * sizeof *k.out))) {
        r = fz_nomem(z);
        goto out;
    }
    onnxbn_chmap map = {1, nn, 0};
    onnxbn_fold_scale(k.w, k.ws.numel, &map, p->a);
    onnxbn_fold_bias(rows * nn, nn, k.exp, 1.0, p->a, p->mean, p->beta, k.out);
    Onnx__NodeProto *mp = (Onnx__NodeProto *)mm->proto, *ap = (Onnx__NodeProto *)add->proto;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, mm->in[1]), "_bnfold"), k.ws.dtype, 2,
                           k.ws.dims, k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, cid), "_bnfold"), k.bs.dtype, rank, dims,
                           k.out, "bias")) &&
        !(r = fz_plan_input(z, &pl, mp, 1, pl.init[0]->name)) &&
        !(r = fz_plan_input(z, &pl, ap, (size_t)(1 - side), pl.init[1]->name)) &&
        !(r = fz_plan_output(z, &pl, ap, 0, vname(z, p->y))) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->x))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, mm->in[1]))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, cid))))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "MatMul+Add+BN", node_name(mm), applied);
out:
    work_free(&k);
    return r;
}

static fz_res fold_back(fz *z, const onnxbn_node *bn, const bnp *p, bool *applied)
{
    const onnxbn_value *x = &z->g.values[p->x];
    char lb[FZ_LABEL_MAX], why[200];
    if (x->producer < 0)
        return fz_skip(z, "its input '%.100s' is a graph input or initializer, not a layer's output",
                       x->name);
    const onnxbn_node *l = &z->g.nodes[x->producer];
    fz_label(l, lb, sizeof lb);
    bool conv = fz_is_op(z, l, ONNXBN_OP_Conv), convt = fz_is_op(z, l, ONNXBN_OP_ConvTranspose);
    bool gemm = fz_is_op(z, l, ONNXBN_OP_Gemm), mm = fz_is_op(z, l, ONNXBN_OP_MatMul), add = fz_is_op(z, l, ONNXBN_OP_Add);
    if (!conv && !convt && !gemm && !mm && !add)
        return fz_skip(z, "the layer before it, %s, is not Conv, ConvTranspose, Gemm or MatMul", lb);
    if (fz_uses(z, p->x) != 1 || x->n_consumers != 1)
        return fz_skip(z, "the output '%.100s' of %s has other readers: %s", x->name, lb,
                       other_reader(z, p->x, bn, why, sizeof why));
    if (x->producer_slot != 0)
        return fz_skip(z, "it reads output %d of %s, not its result", x->producer_slot, lb);
    if (conv && l->n_in >= 2 && l->in[1] >= 0 && z->g.values[l->in[1]].producer >= 0 &&
        fz_is_op(z, &z->g.nodes[z->g.values[l->in[1]].producer], ONNXBN_OP_DequantizeLinear))
        return back_conv_qdq(z, bn, l, p, applied);
    if (conv || convt)
        return back_conv(z, bn, l, p, convt, applied);
    if (gemm)
        return back_gemm(z, bn, l, p, applied);
    if (mm)
        return back_matmul(z, bn, l, p, applied);
    return back_matmul_add(z, bn, l, p, applied);
}

/* ---- folds into the layer after ---- */

static fz_res fwd_gemm(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                       bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    gemm_attrs ga;
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    fz_res r = read_gemm(z, l, &ga);
    if (r)
        return r;
    if (ga.ta)
        return fz_skip(z, "%s has transA=1: the BN channels are not its inner dimension", lb);
    if ((r = read_rhs(z, l, &k)))
        goto out;
    int64_t kk = ga.tb ? k.ws.dims[1] : k.ws.dims[0], nn = ga.tb ? k.ws.dims[0] : k.ws.dims[1];
    if (kk != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld inputs", (long long)p->c, lb, (long long)kk);
        goto out;
    }
    int cid = l->n_in >= 3 ? l->in[2] : -1;
    if (cid < 0 && ga.version < 11) {
        r = fz_skip(z, "%s has no C, which Gemm-%d requires", lb, ga.version);
        goto out;
    }
    int64_t rows, dims[2];
    int rank;
    if ((r = read_c(z, l, cid, nn, &k, &rows, &rank, dims, "C")))
        goto out;
    double *s = malloc((size_t)nn * sizeof *s);
    k.comp = malloc((size_t)nn * sizeof *k.comp);
    k.out = malloc((size_t)(rows * nn) * sizeof *k.out);
    if (!s || !k.comp || !k.out) {
        free(s);
        r = fz_nomem(z);
        goto out;
    }
    /* A' = A·diag(a) + t (per row): α·A'·B = α·A·(diag(a)·B) + α·(t·B); β·C joins the shift. */
    onnxbn_chmap rows_map = {ga.tb ? 1 : nn, kk, 0};
    onnxbn_fold_shift(k.w, k.ws.numel, &rows_map, p->t, ga.tb ? kk : 1, nn, (double)ga.alpha,
                      NULL, s, k.comp);
    for (int64_t i = 0; i < rows * nn; i++)
        k.out[i] = (k.exp ? (double)ga.beta * k.exp[i] : 0.0) + s[i % nn];
    free(s);
    onnxbn_fold_scale(k.w, k.ws.numel, &rows_map, p->a);

    Onnx__NodeProto *lp = (Onnx__NodeProto *)l->proto;
    onnxbn_dtype dt = k.ws.dtype;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), dt, 2, k.ws.dims,
                           k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, cid, l->in[1]), dt, rank, dims, k.out, "bias")) &&
        !(r = fz_plan_input(z, &pl, lp, 0, vname(z, p->x))) &&
        !(r = fz_plan_input(z, &pl, lp, 1, pl.init[0]->name)) &&
        !(r = fz_plan_input(z, &pl, lp, 2, pl.init[1]->name)) &&
        !(r = ga.beta != 1.0f || fz_attr(lp, "beta") ? fz_plan_attr_f(z, &pl, lp, "beta", 1.0f) : FZ_OK) &&
        !(r = ga.version < 7 && rows == 1 && ga.broadcast != 1
                  ? fz_plan_attr_i(z, &pl, lp, "broadcast", 1) : FZ_OK) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->y))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))) &&
        !(r = cid >= 0 ? fz_plan_maybe_unused(z, &pl, vname(z, cid)) : FZ_OK))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "BN+Gemm", node_name(l), applied);
out:
    work_free(&k);
    return r;
}

static fz_res fwd_matmul(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                         bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    char lb[FZ_LABEL_MAX];
    fz_label(l, lb, sizeof lb);
    fz_res r;
    if (l->n_in != 2 || l->in[1] < 0)
        return fz_skip(z, "%s does not have two inputs", lb);
    if ((r = need_rank2(z, l, p->x)) || (r = read_rhs(z, l, &k)))
        goto out;
    int64_t kk = k.ws.dims[0], nn = k.ws.dims[1];
    if (kk != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld rows", (long long)p->c, lb, (long long)kk);
        goto out;
    }
    k.comp = malloc((size_t)nn * sizeof *k.comp);
    k.out = malloc((size_t)nn * sizeof *k.out);
    if (!k.comp || !k.out) {
        r = fz_nomem(z);
        goto out;
    }
    onnxbn_chmap rows_map = {nn, kk, 0};
    onnxbn_fold_shift(k.w, k.ws.numel, &rows_map, p->t, 1, nn, 1.0, NULL, k.out, k.comp);
    onnxbn_fold_scale(k.w, k.ws.numel, &rows_map, p->a);
    Onnx__NodeProto *gemm = NULL;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), k.ws.dtype, 2,
                           k.ws.dims, k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, -1, l->in[1]), k.ws.dtype, 1, &nn, k.out, "bias")) &&
        !(r = new_gemm(z, l, vname(z, p->x), pl.init[0]->name, pl.init[1]->name,
                       vname(z, l->out[0]), &gemm)) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)l->proto, gemm, NULL)) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->y))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "BN+MatMul", node_name(l), applied);
out:
    work_free(&k);
    return r;
}

static fz_res fwd_conv(fz *z, const onnxbn_node *bn, const onnxbn_node *l, const bnp *p,
                       bool *applied)
{
    work k = {0};
    fz_plan pl = {0};
    char lb[FZ_LABEL_MAX], buf[32];
    fz_label(l, lb, sizeof lb);
    const int64_t *pads;
    size_t npads;
    int64_t g;
    if (!fz_attr_ints(l->proto, "pads", &pads, &npads) || !fz_attr_i(l->proto, "group", 1, &g) || g < 1)
        return fz_skip(z, "%s has an invalid 'pads' or 'group'", lb);
    for (size_t i = 0; i < npads; i++)
        if (pads[i])
            return fz_skip(z, "the layer after it, %s, pads with zeros: the BN shift would be "
                              "wrong at the borders",
                           lb);
    const char *ap = fz_attr_s(l->proto, "auto_pad", "NOTSET", buf, sizeof buf);
    if (!ap || (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")))
        return fz_skip(z, "the layer after it, %s, has auto_pad=%s: it pads with zeros", lb,
                       ap ? ap : "?");
    if (l->n_in < 2 || l->in[1] < 0)
        return fz_skip(z, "%s has no weight", lb);
    fz_res r = fz_const_f64(z, l->in[1], "the weight", &k.ws, &k.w);
    if (r)
        return r;
    int64_t m = k.ws.rank >= 3 ? k.ws.dims[0] : 0, cg = k.ws.rank >= 3 ? k.ws.dims[1] : 0;
    if (k.ws.rank < 3 || m % g) {
        r = fz_skip(z, "the weight of %s does not fit its 'group'", lb);
        goto out;
    }
    if (cg * g != p->c) {
        r = fz_skip(z, "it has %lld channels, %s has %lld input channels", (long long)p->c, lb,
                    (long long)(cg * g));
        goto out;
    }
    int bias = l->n_in >= 3 ? l->in[2] : -1;
    if (bias >= 0) {
        if ((r = fz_const_f64(z, bias, "the bias", &k.bs, &k.b)))
            goto out;
        if (k.bs.numel != m) {
            r = fz_skip(z, "the bias of %s has %lld elements, expected %lld", lb,
                        (long long)k.bs.numel, (long long)m);
            goto out;
        }
    }
    k.comp = malloc((size_t)m * sizeof *k.comp);
    k.out = malloc((size_t)m * sizeof *k.out);
    if (!k.comp || !k.out) {
        r = fz_nomem(z);
        goto out;
    }
    /* Input channel of W[o, c, …] is (o / (M/g))·(C/g) + c. */
    int64_t ks = k.ws.numel / (m * cg);
    onnxbn_chmap in_map = {ks, cg, m / g};
    onnxbn_fold_shift(k.w, k.ws.numel, &in_map, p->t, cg * ks, m, 1.0, k.b, k.out, k.comp);
    onnxbn_fold_scale(k.w, k.ws.numel, &in_map, p->a);

    Onnx__NodeProto *lp = (Onnx__NodeProto *)l->proto;
    if (!(r = fz_plan_init(z, &pl, fz_fresh(z, vname(z, l->in[1]), "_bnfold"), k.ws.dtype,
                           k.ws.rank, k.ws.dims, k.w, "weight")) &&
        !(r = fz_plan_init(z, &pl, bias_name(z, l, bias, l->in[1]), k.ws.dtype, 1, &m, k.out,
                           "bias")) &&
        !(r = fz_plan_input(z, &pl, lp, 0, vname(z, p->x))) &&
        !(r = fz_plan_input(z, &pl, lp, 1, pl.init[0]->name)) &&
        !(r = fz_plan_input(z, &pl, lp, 2, pl.init[1]->name)) &&
        !(r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, NULL, NULL)) &&
        !(r = fz_plan_drop_vi(z, &pl, vname(z, p->y))) &&
        !(r = fz_plan_maybe_unused(z, &pl, vname(z, l->in[1]))) &&
        !(r = bias >= 0 ? fz_plan_maybe_unused(z, &pl, vname(z, bias)) : FZ_OK))
        r = plan_bn_gone(z, &pl, bn);
    r = record_fold(z, &pl, r, bn, "BN+Conv", node_name(l), applied);
out:
    work_free(&k);
    return r;
}

static fz_res fold_fwd(fz *z, const onnxbn_node *bn, const bnp *p, bool *applied)
{
    const onnxbn_value *y = &z->g.values[p->y];
    char lb[FZ_LABEL_MAX], why[200];
    if (y->n_consumers == 0 || fz_uses(z, p->y) != 1 || y->n_consumers != 1) {
        if (y->n_consumers == 0 && y->output_index < 0 && !fz_subref(z, p->y))
            return fz_skip(z, "nothing reads its output");
        const onnxbn_node *first = y->n_consumers > 0 ? &z->g.nodes[y->consumers[0]] : NULL;
        return fz_skip(z, "its output '%.100s' does not have a single reader: %s", y->name,
                       other_reader(z, p->y, first, why, sizeof why));
    }
    const onnxbn_node *l = &z->g.nodes[y->consumers[0]];
    fz_label(l, lb, sizeof lb);
    for (int k = 1; k < l->n_in; k++)
        if (l->in[k] == p->y)
            return fz_skip(z, "%s reads its output as input %d, not as data", lb, k);
    if (l->in[0] != p->y)
        return fz_skip(z, "%s does not read its output as data", lb);
    if (fz_is_op(z, l, ONNXBN_OP_Gemm))
        return fwd_gemm(z, bn, l, p, applied);
    if (fz_is_op(z, l, ONNXBN_OP_MatMul))
        return fwd_matmul(z, bn, l, p, applied);
    if (fz_is_op(z, l, ONNXBN_OP_Conv))
        return fwd_conv(z, bn, l, p, applied);
    if (fz_is_op(z, l, ONNXBN_OP_ConvTranspose))
        return fz_skip(z, "the layer after it, %s, is a ConvTranspose, whose outputs sum a varying "
                          "number of inputs: the shift would not be exact",
                       lb);
    return fz_skip(z, "the layer after it, %s, is not Gemm, MatMul or Conv", lb);
}

/* ---- standalone BN as Mul + Add ---- */

static fz_res to_affine(fz *z, const onnxbn_node *bn, const bnp *p)
{
    fz_plan pl = {0};
    int r0 = fz_rank(z, p->x) >= 0 ? fz_rank(z, p->x) : fz_rank(z, p->y);
    if (r0 < 1)
        return fz_skip(z, "the rank of its input is unknown, so the shape of Mul + Add constants is too");
    onnxbn_dtype dt = fz_dtype(z, p->x);
    if (dt == ONNXBN_UNDEFINED)
        dt = fz_dtype(z, p->y);
    if (dt == ONNXBN_UNDEFINED && p->version <= 14)
        dt = p->ptype; /* scale has X's type up to BN-14 */
    if (!onnxbn_fold_type_ok(dt))
        return fz_skip(z, "the element type of its input is %s",
                       dt == ONNXBN_UNDEFINED ? "unknown" : onnxbn_dtype_name(dt));
    int64_t dims[ONNXBN_MAX_RANK];
    int rank = 1;
    dims[0] = p->c;
    if (z->opset >= 7)
        for (; rank < r0 - 1; rank++)
            dims[rank] = 1; /* (C, 1, …, 1) broadcasts on the channel axis */
    const char *base = *node_name(bn) ? node_name(bn) : vname(z, p->y);
    char *tmp = fz_fresh(z, vname(z, p->y), "_scaled");
    char *mname = *node_name(bn) ? fz_fresh(z, node_name(bn), "_mul") : NULL;
    char *aname = *node_name(bn) ? fz_fresh(z, node_name(bn), "_add") : NULL;
    Onnx__NodeProto *mul = NULL, *add = NULL;
    fz_res r = FZ_OK;
    if (!tmp || (*node_name(bn) && (!mname || !aname)))
        r = fz_nomem(z);
    if (!r && !(r = fz_plan_init(z, &pl, fz_fresh(z, base, "_scale"), dt, rank, dims, p->a, "scale")) &&
        !(r = fz_plan_init(z, &pl, fz_fresh(z, base, "_shift"), dt, rank, dims, p->t, "shift"))) {
        const char *min[2] = {vname(z, p->x), pl.init[0]->name};
        const char *ain[2] = {tmp, pl.init[1]->name};
        mul = fz_new_node("Mul", mname, 2, min, tmp);
        add = fz_new_node("Add", aname, 2, ain, vname(z, p->y));
        bool ok = mul && add;
        if (ok && z->opset < 7)
            ok = fz_node_add_attr(mul, fz_new_attr_i("broadcast", 1)) &&
                 fz_node_add_attr(mul, fz_new_attr_i("axis", 1)) &&
                 fz_node_add_attr(add, fz_new_attr_i("broadcast", 1)) &&
                 fz_node_add_attr(add, fz_new_attr_i("axis", 1));
        if (!ok) {
            if (mul)
                onnx__node_proto__free_unpacked(mul, NULL);
            if (add)
                onnx__node_proto__free_unpacked(add, NULL);
            r = fz_nomem(z);
        } else {
            r = fz_plan_replace(z, &pl, (Onnx__NodeProto *)bn->proto, mul, add);
        }
    }
    if (!r)
        r = plan_bn_gone(z, &pl, bn);
    if (!r)
        r = fz_report_add(z, "converted", "BN->Mul+Add", bn, "", "");
    free(tmp);
    free(mname);
    free(aname);
    if (r) {
        fz_plan_discard(&pl);
        return r;
    }
    r = fz_plan_commit(z, &pl);
    if (!r)
        z->rep->stats.bn_converted++;
    return r;
}

/* ---- the pass ---- */

typedef struct pending {
    const Onnx__NodeProto *np;
    char *why;
} pending;

static void pending_clear(pending *v, int *n)
{
    for (int i = 0; i < *n; i++)
        free(v[i].why);
    *n = 0;
}

static const onnxbn_node *find_node(const fz *z, const Onnx__NodeProto *np)
{
    for (int i = 0; i < z->g.n_nodes; i++)
        if (z->g.nodes[i].proto == np)
            return &z->g.nodes[i];
    return NULL;
}

/* One attempt on one BN: before, then after. FZ_SKIP leaves the combined reason in z->why. */
static fz_res try_bn(fz *z, const onnxbn_node *bn, bool *applied, bn_cache *cache)
{
    bnp p;
    const Onnx__NodeProto *np = bn->proto;
    fz_res r = bn_read(z, bn, &p, cache);
    if (r)
        return r;
    char before[FZ_WHY_MAX];
    r = fold_back(z, bn, &p, applied);
    if (r == FZ_SKIP) {
        snprintf(before, sizeof before, "%s", z->why);
        r = fold_fwd(z, bn, &p, applied);
        if (r == FZ_SKIP) {
            char after[FZ_WHY_MAX];
            snprintf(after, sizeof after, "%s", z->why);
            snprintf(z->why, sizeof z->why, "before: %.220s; after: %.220s", before, after);
        }
    }
    bnp_free(&p);
    if (*applied)
        cache_drop(cache, np); /* the node is freed: its address may come back as another */
    return r;
}

fz_res fz_pass_fold_bn(fz *z)
{
    pending *left = calloc((size_t)z->g.n_nodes + 1, sizeof *left);
    int n_left = 0;
    bn_cache cache = {0};
    for (int i = 0; i < z->g.n_nodes; i++)
        cache.cap += fz_is_op(z, &z->g.nodes[i], ONNXBN_OP_BatchNormalization);
    cache.np = calloc((size_t)cache.cap + 1, sizeof *cache.np);
    cache.p = calloc((size_t)cache.cap + 1, sizeof *cache.p);
    if (!left || !cache.np || !cache.p) {
        free(left);
        cache_free(&cache);
        return fz_nomem(z);
    }
    fz_res r = FZ_OK;
    for (;;) {
        bool applied = false;
        pending_clear(left, &n_left);
        /* The index changes with every fold: scan again from the top until a whole scan folds
         * nothing. The BNs still there are then final, with their reasons. */
        for (int k = 0; k < z->g.n_nodes && !applied; k++) {
            const onnxbn_node *bn = &z->g.nodes[z->g.order[k]];
            if (!fz_is_op(z, bn, ONNXBN_OP_BatchNormalization))
                continue;
            r = try_bn(z, bn, &applied, &cache);
            if (r == FZ_ERR)
                goto done;
            if (r == FZ_SKIP) {
                left[n_left].np = bn->proto;
                if (!(left[n_left++].why = strdup(z->why))) {
                    r = fz_nomem(z);
                    goto done;
                }
            }
        }
        if (!applied)
            break;
        pending *grown = realloc(left, ((size_t)z->g.n_nodes + 1) * sizeof *left);
        if (!grown) {
            r = fz_nomem(z);
            goto done;
        }
        left = grown;
    }
    r = FZ_OK;
    for (int i = 0; i < n_left && !r; i++) {
        const onnxbn_node *bn = find_node(z, left[i].np);
        if (!bn)
            continue;
        char why[FZ_WHY_MAX + 240];
        snprintf(why, sizeof why, "%s", left[i].why);
        if (z->flags & ONNXBN_FUSE_BN_TO_AFFINE) {
            bnp p;
            /* A BN whose own preconditions fail (training, non-constant parameters) is no
             * affine map either; its reason already says so. */
            r = bn_read(z, bn, &p, &cache);
            if (!r) {
                const Onnx__NodeProto *np = bn->proto;
                r = to_affine(z, bn, &p);
                bnp_free(&p);
                if (!r)
                    cache_drop(&cache, np);
                if (!r)
                    continue;
                if (r == FZ_SKIP)
                    snprintf(why, sizeof why, "%.480s; not turned into Mul + Add: %.150s",
                             left[i].why, z->why);
            }
            if (r == FZ_ERR)
                break;
            r = FZ_OK;
        }
        r = fz_report_add(z, "left", "BN", bn, "", why);
        z->rep->stats.bn_left++;
    }
done:
    pending_clear(left, &n_left);
    free(left);
    cache_free(&cache);
    return r;
}
