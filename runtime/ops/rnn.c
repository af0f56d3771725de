/* SPDX-License-Identifier: Apache-2.0 */
/* rnn.c — LSTM (1, 7, 14), GRU (1, 3, 7, 14) and RNN (1, 7, 14), float: the input projection of
 * every step and direction as one GEMM, then per step one GEMM over the batch and kernels/rnn.c. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm.h"
#include "kernels/rnn.h"
#include "op.h"
#include "ops/gemm_cols.h"
#include "ops/types.h"
#include "threadpool.h"

#define RNN_ATTRS_COMMON                                                                           \
    {"activation_alpha", ONNXBN_ATTR_FLOATS, false, 1, 0},                                         \
    {"activation_beta", ONNXBN_ATTR_FLOATS, false, 1, 0},                                          \
    {"activations", ONNXBN_ATTR_STRINGS, false, 1, 0},                                             \
    {"clip", ONNXBN_ATTR_FLOAT, false, 1, 0},                                                      \
    {"direction", ONNXBN_ATTR_STRING, false, 1, 0},                                                \
    {"hidden_size", ONNXBN_ATTR_INT, false, 1, 0},                                                 \
    {"output_sequence", ONNXBN_ATTR_INT, false, 1, 6},                                             \
    {"layout", ONNXBN_ATTR_INT, false, 14, 0}

static const onnxbn_attr_spec lstm_attrs[] = {
    RNN_ATTRS_COMMON,
    {"input_forget", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec gru_attrs[] = {
    RNN_ATTRS_COMMON,
    {"linear_before_reset", ONNXBN_ATTR_INT, false, 3, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec rnn_attrs[] = {
    RNN_ATTRS_COMMON,
    {NULL, 0, false, 0, 0},
};

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P };
typedef enum { CELL_LSTM, CELL_GRU, CELL_RNN } cell_kind;

/* The node as run() needs it. Gates per cell G (4, 3, 1), activations per direction NA. */
typedef struct rnn_cfg {
    cell_kind kind;
    size_t G, NA, T, B, I, H, D;
    bool layout1, reverse; /* reverse: direction "reverse" (bidirectional runs d = 1 reversed) */
    onnxbn_rnn_cell cell[2];
} rnn_cfg;

static const char *const formal[] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};

static bool name_is(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* The activation named `name`, its alpha/beta taken in order from the lists (only functions that
 * have parameters consume them, as onnxruntime reads them); defaults are those of the ONNX
 * operators of the same name. */
static onnxbn_status act_parse(const onnxbn_kctx *c, const char *name, const float *al, size_t nal,
                               size_t *ia, const float *be, size_t nbe, size_t *ib,
                               onnxbn_rnn_act *f)
{
    static const struct {
        const char *name;
        onnxbn_rnn_actkind kind;
        int nparams;
        float a, b;
    } tab[] = {
        {"Relu", ONNXBN_RA_RELU, 0, 0, 0},
        {"Tanh", ONNXBN_RA_TANH, 0, 0, 0},
        {"Sigmoid", ONNXBN_RA_SIGMOID, 0, 0, 0},
        {"Affine", ONNXBN_RA_AFFINE, 2, 1.0f, 0.0f},
        {"LeakyRelu", ONNXBN_RA_LEAKYRELU, 1, 0.01f, 0},
        {"ThresholdedRelu", ONNXBN_RA_THRESHOLDEDRELU, 1, 1.0f, 0},
        {"ScaledTanh", ONNXBN_RA_SCALEDTANH, 2, 1.0f, 1.0f},
        {"HardSigmoid", ONNXBN_RA_HARDSIGMOID, 2, 0.2f, 0.5f},
        {"Elu", ONNXBN_RA_ELU, 1, 1.0f, 0},
        {"Softsign", ONNXBN_RA_SOFTSIGN, 0, 0, 0},
        {"Softplus", ONNXBN_RA_SOFTPLUS, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
        if (!name_is(name, tab[k].name))
            continue;
        f->kind = tab[k].kind;
        f->a = tab[k].a;
        f->b = tab[k].b;
        if (tab[k].nparams >= 1 && *ia < nal)
            f->a = al[(*ia)++];
        if (tab[k].nparams >= 2 && *ib < nbe)
            f->b = be[(*ib)++];
        return ONNXBN_OK;
    }
    return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                            "activation '%.40s' is not one the spec lists (Relu, Tanh, Sigmoid, Affine, "
                            "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)",
                            name);
}

static onnxbn_status acts_get(const onnxbn_kctx *c, rnn_cfg *g)
{
    static const char *const defaults[3][3] = {
        {"Sigmoid", "Tanh", "Tanh"}, {"Sigmoid", "Tanh", ""}, {"Tanh", "", ""}};
    const float *al, *be;
    size_t nal, nbe, n, ia = 0, ib = 0;
    char name[64];
    onnxbn_status st;
    if ((st = onnxbn_attr_floats(c, "activation_alpha", &al, &nal)) ||
        (st = onnxbn_attr_floats(c, "activation_beta", &be, &nbe)) ||
        (st = onnxbn_attr_strings_at(c, "activations", 0, name, sizeof name, &n)))
        return st;
    /* RNN's schema default is [Tanh, Tanh] whatever the direction: one direction takes the first. */
    const bool rnn_pair = g->kind == CELL_RNN && g->D == 1 && n == 2;
    if (n && n != g->NA * g->D && !rnn_pair)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'activations' has %zu entries, expected %zu (%zu per direction)",
                                n, g->NA * g->D, g->NA);
    for (size_t d = 0; d < g->D; d++) {
        onnxbn_rnn_act *fs[3] = {&g->cell[d].f, &g->cell[d].g, &g->cell[d].h};
        for (size_t k = 0; k < g->NA; k++) {
            if (n && (st = onnxbn_attr_strings_at(c, "activations", d * g->NA + k, name, sizeof name, &n)))
                return st;
            if ((st = act_parse(c, n ? name : defaults[g->kind][k], al, nal, &ia, be, nbe, &ib, fs[k])))
                return st;
        }
    }
    return ONNXBN_OK;
}

/* Input i has exactly the shape (rank, want), else one error naming it. */
static onnxbn_status want_shape(const onnxbn_kctx *c, int i, int rank, const int64_t *want)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    bool ok = t->rank == rank;
    for (int k = 0; ok && k < rank; k++)
        ok = t->dims[k] == want[k];
    if (ok)
        return ONNXBN_OK;
    char got[ONNXBN_SHAPE_STR_MAX], exp[ONNXBN_SHAPE_STR_MAX];
    onnxbn_tensor w = {.rank = rank};
    memcpy(w.dims, want, (size_t)rank * sizeof *want);
    return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%s') has shape %s, expected %s",
                            formal[i], onnxbn_node_input_name(c->node, i),
                            onnxbn_shape_str(t, got, sizeof got), onnxbn_shape_str(&w, exp, sizeof exp));
}

static onnxbn_status rnn_config(const onnxbn_kctx *c, rnn_cfg *g)
{
    memset(g, 0, sizeof *g);
    g->kind = c->op == ONNXBN_OP_LSTM ? CELL_LSTM : c->op == ONNXBN_OP_GRU ? CELL_GRU : CELL_RNN;
    g->G = g->kind == CELL_LSTM ? 4 : g->kind == CELL_GRU ? 3 : 1;
    g->NA = g->kind == CELL_LSTM ? 3 : g->kind == CELL_GRU ? 2 : 1;
    const int n_args = g->kind == CELL_LSTM ? 8 : 6;
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, IN_X, "X", ONNXBN_TM(ONNXBN_FLOAT))))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, IN_X);
    for (int i = IN_W; i < n_args; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        const onnxbn_dtype want = i == IN_LENS ? ONNXBN_INT32 : x->dtype;
        if (t && t->dtype != want)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, expected %s",
                                    formal[i], onnxbn_node_input_name(c->node, i),
                                    onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(want));
    }
    char dir[32];
    int64_t layout = 0, hs = 0, coupled = 0, lbr = 0;
    float clip = 0;
    if ((st = onnxbn_attr_string(c, "direction", "forward", dir, sizeof dir)) ||
        (st = onnxbn_attr_int(c, "hidden_size", 0, &hs)) ||
        (st = onnxbn_attr_float(c, "clip", 0.0f, &clip)))
        return st;
    if (c->version >= 14 && (st = onnxbn_attr_int(c, "layout", 0, &layout)))
        return st;
    if (g->kind == CELL_LSTM && (st = onnxbn_attr_int(c, "input_forget", 0, &coupled)))
        return st;
    if (g->kind == CELL_GRU && c->version >= 3 && (st = onnxbn_attr_int(c, "linear_before_reset", 0, &lbr)))
        return st;
    if (!strcmp(dir, "forward") || !strcmp(dir, "reverse"))
        g->D = 1;
    else if (!strcmp(dir, "bidirectional"))
        g->D = 2;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'direction' is '%s', expected forward, reverse or bidirectional", dir);
    g->reverse = !strcmp(dir, "reverse");
    if (layout != 0 && layout != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'layout' is %lld, expected 0 or 1", (long long)layout);
    g->layout1 = layout == 1;
    if (onnxbn_attr_has(c, "clip") && !(clip > 0))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'clip' is %g, expected a positive threshold", clip);

    char got[ONNXBN_SHAPE_STR_MAX];
    if (x->rank != 3)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' ('%s') has shape %s, expected rank 3",
                                onnxbn_node_input_name(c->node, IN_X), onnxbn_shape_str(x, got, sizeof got));
    const onnxbn_tensor *r = onnxbn_in(c, IN_R);
    if (!hs) {
        if (r->rank != 3)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'R' ('%s') has shape %s, expected rank 3",
                                    onnxbn_node_input_name(c->node, IN_R), onnxbn_shape_str(r, got, sizeof got));
        hs = r->dims[2]; /* the attribute is optional in the schema; R's last axis is H */
    }
    if (hs <= 0 || hs > INT32_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "hidden size %lld is not a positive size", (long long)hs);
    g->T = (size_t)x->dims[g->layout1 ? 1 : 0];
    g->B = (size_t)x->dims[g->layout1 ? 0 : 1];
    g->I = (size_t)x->dims[2];
    g->H = (size_t)hs;
    const int64_t D = (int64_t)g->D, GH = (int64_t)(g->G * g->H), H = hs, Bn = (int64_t)g->B;
    if ((st = want_shape(c, IN_W, 3, (const int64_t[]){D, GH, (int64_t)g->I})) ||
        (st = want_shape(c, IN_R, 3, (const int64_t[]){D, GH, H})))
        return st;
    if (onnxbn_in(c, IN_B) && (st = want_shape(c, IN_B, 2, (const int64_t[]){D, 2 * GH})))
        return st;
    if (onnxbn_in(c, IN_LENS) && (st = want_shape(c, IN_LENS, 1, (const int64_t[]){Bn})))
        return st;
    const int64_t state[3] = {g->layout1 ? Bn : D, g->layout1 ? D : Bn, H};
    if (onnxbn_in(c, IN_H0) && (st = want_shape(c, IN_H0, 3, state)))
        return st;
    if (g->kind == CELL_LSTM) {
        if (onnxbn_in(c, IN_C0) && (st = want_shape(c, IN_C0, 3, state)))
            return st;
        if (onnxbn_in(c, IN_P) && (st = want_shape(c, IN_P, 2, (const int64_t[]){D, 3 * H})))
            return st;
    }
    for (size_t d = 0; d < g->D; d++) {
        g->cell[d].H = g->H;
        g->cell[d].clip = clip;
        g->cell[d].input_forget = coupled != 0;
        g->cell[d].linear_before_reset = lbr != 0;
    }
    return acts_get(c, g);
}

/* sequence_lens, when given and known: every length in [0, T]. */
static onnxbn_status lens_check(const onnxbn_kctx *c, const rnn_cfg *g)
{
    const onnxbn_tensor *l = onnxbn_in(c, IN_LENS);
    if (!l || !l->data)
        return ONNXBN_OK;
    const int32_t *v = l->data;
    for (size_t b = 0; b < g->B; b++)
        if (v[b] < 0 || (size_t)v[b] > g->T)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'sequence_lens' ('%s') is %ld for batch %zu, outside [0, %zu]",
                                    onnxbn_node_input_name(c->node, IN_LENS), (long)v[b], b, g->T);
    return ONNXBN_OK;
}

/* Scratch, in floats, each part rounded up to 64 bytes. */
typedef struct rnn_parts {
    size_t proj, rec, hs, cs, rh, bias, rbh, hx, total;
} rnn_parts;

static bool part(size_t *at, size_t *total, size_t a, size_t b)
{
    size_t n;
    if (!onnxbn_mul_size(a, b, &n) || !onnxbn_add_size(n, 15, &n))
        return false;
    *at = *total;
    return onnxbn_add_size(*total, n & ~(size_t)15, total);
}

static bool rnn_layout(const rnn_cfg *g, rnn_parts *p)
{
    const size_t GH = g->G * g->H;
    size_t tb, dgh;
    p->total = 0;
    return onnxbn_mul_size(g->T, g->B, &tb) && onnxbn_mul_size(g->D, GH, &dgh) &&
           part(&p->proj, &p->total, tb, dgh) && part(&p->rec, &p->total, g->B, GH) &&
           part(&p->hs, &p->total, g->D * g->B, g->H) && part(&p->cs, &p->total, g->D * g->B, g->H) &&
           part(&p->rh, &p->total, g->B, g->H) && part(&p->bias, &p->total, g->D, GH) &&
           part(&p->rbh, &p->total, g->D, g->H) && part(&p->hx, &p->total, 2 * g->B, g->H);
}

static onnxbn_status rnn_infer(onnxbn_kctx *c)
{
    rnn_cfg g;
    onnxbn_status st = rnn_config(c, &g);
    if (st || (st = lens_check(c, &g)))
        return st;
    const int64_t T = (int64_t)g.T, B = (int64_t)g.B, D = (int64_t)g.D, H = (int64_t)g.H;
    const int64_t y[4] = {g.layout1 ? B : T, g.layout1 ? T : D, g.layout1 ? D : B, H};
    const int64_t yh[3] = {g.layout1 ? B : D, g.layout1 ? D : B, H};
    for (int i = 0; i < c->n_out; i++) {
        onnxbn_tensor *t = onnxbn_out(c, i);
        if (t && (st = onnxbn_tensor_set_shape(t, ONNXBN_FLOAT, i ? 3 : 4, i ? yh : y, c->err)))
            return st;
    }
    rnn_parts p;
    if (!rnn_layout(&g, &p) || !onnxbn_mul_size(p.total, sizeof(float), &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "scratch for %zu steps of batch %zu, hidden %zu overflows",
                                g.T, g.B, g.H);
    return ONNXBN_OK;
}

/* Row of the (T·B) input projection that holds step t of batch b. */
static size_t xrow(const rnn_cfg *g, size_t t, size_t b)
{
    return g->layout1 ? b * g->T + t : t * g->B + b;
}
/* Offset of (direction d, batch b) in Y_h/Y_c/initial_h/initial_c. */
static size_t srow(const rnn_cfg *g, size_t d, size_t b)
{
    return (g->layout1 ? b * g->D + d : d * g->B + b) * g->H;
}

/* Per direction: bias = Wb + Rb, except GRU with linear_before_reset, whose Rbh is kept apart
 * (rbh) because r multiplies it. */
static void biases(const rnn_cfg *g, const float *Bt, float *bias, float *rbh)
{
    const size_t GH = g->G * g->H, H = g->H;
    const bool lbr = g->kind == CELL_GRU && g->cell[0].linear_before_reset;
    for (size_t d = 0; d < g->D; d++) {
        const float *wb = Bt + d * 2 * GH, *rb = wb + GH;
        float *o = bias + d * GH;
        for (size_t j = 0; j < GH; j++)
            o[j] = wb[j] + (lbr && j >= 2 * H ? 0.0f : rb[j]);
        if (lbr)
            memcpy(rbh + d * H, rb + 2 * H, H * sizeof(float));
    }
}

/* R packed once per plan for the packed SGEMM (kernels/gemm.h), per direction: the columns of
 * h_{t-1}·Rᵀ the first per-step product computes (all G·H; GRU without linear_before_reset z and
 * r only), and that GRU's Rh for the second. BLAS would pack R again at every step. */
typedef struct rnn_packed {
    float *r[2], *rh[2];
    /* The common LSTM cell (fused_cell) with neither sequence_lens nor P: R packed for
     * onnxbn_lstm_fused_step instead of r, the gates computed in the same pass; and W so packed
     * too when w is (for batches of FUSED_X_ROWS and more, x_t·Wᵀ is summed in the step). */
    float *lr[2], *lw[2];
    /* W packed as well when it is a constant (the projection on the packed kernel), with the
     * biases added there when B is a constant or absent (bias_in_w; bias NULL without B). */
    float *w, *bias, *rbh;
    bool bias_in_w;
} rnn_packed;

static void rnn_free_state(void *state)
{
    rnn_packed *s = state;
    if (s) {
        for (int d = 0; d < 2; d++) {
            onnxbn_free(s->r[d]);
            onnxbn_free(s->rh[d]);
            onnxbn_free(s->lr[d]);
            onnxbn_free(s->lw[d]);
        }
        onnxbn_free(s->w);
        free(s->bias);
        free(s->rbh);
        free(s);
    }
}

/* The LSTM cell onnxbn_lstm_fused_step computes: Sigmoid, Tanh, Tanh, no clip, no input_forget. */
static bool fused_cell(const onnxbn_rnn_cell *k)
{
    return k->f.kind == ONNXBN_RA_SIGMOID && k->g.kind == ONNXBN_RA_TANH &&
           k->h.kind == ONNXBN_RA_TANH && !(k->clip > 0 && k->clip < INFINITY) && !k->input_forget;
}

static bool fusable(const onnxbn_kctx *c, const rnn_cfg *g)
{
    return g->kind == CELL_LSTM && fused_cell(&g->cell[0]) && (g->D == 1 || fused_cell(&g->cell[1])) &&
           !onnxbn_in(c, IN_LENS) && !onnxbn_in(c, IN_P) && onnxbn_lstm_fused_fast();
}

static onnxbn_status rnn_prepare(onnxbn_kctx *c)
{
    rnn_cfg g;
    onnxbn_status st = rnn_config(c, &g);
    if (st)
        return st;
    const onnxbn_tensor *r = onnxbn_in(c, IN_R);
    /* Batch 1 too: unlike Gemm's one GEMV per run, R is read 2·T times a run from L2, where the
     * packed panels measured faster than OpenBLAS's sgemv (hidden 128: LSTM classifier 1.42 ms
     * against 1.88, GRU 0.98 against 1.56, best of 100 runs). */
    if (!r->data || !onnxbn_sgemm_packed_fast())
        return ONNXBN_OK;
    const size_t H = g.H, GH = g.G * g.H;
    const bool split = g.kind == CELL_GRU && !g.cell[0].linear_before_reset;
    const size_t fl = fusable(c, &g) ? onnxbn_lstm_packed_floats(H, H) : 0;
    const size_t n1 = split ? 2 * H : GH, f1 = onnxbn_sgemm_packed_floats(H, n1),
                 f2 = split ? onnxbn_sgemm_packed_floats(H, H) : 0;
    if (!f1 || (split && !f2))
        return ONNXBN_OK; /* too big to pack: BLAS takes it */
    rnn_packed *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
    for (size_t d = 0; fl && d < g.D; d++) {
        if (!(s->lr[d] = onnxbn_alloc(fl * sizeof(float)))) {
            rnn_free_state(s);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
        }
        onnxbn_lstm_pack(H, H, (const float *)r->data + d * GH * H, s->lr[d]);
    }
    for (size_t d = 0; !fl && d < g.D; d++) {
        const float *rd = (const float *)r->data + d * GH * H;
        if (!(s->r[d] = onnxbn_alloc(f1 * sizeof(float))) ||
            (split && !(s->rh[d] = onnxbn_alloc(f2 * sizeof(float))))) {
            rnn_free_state(s);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
        }
        onnxbn_sgemm_pack_b(true, H, n1, rd, H, s->r[d]);
        if (split)
            onnxbn_sgemm_pack_b(true, H, H, rd + 2 * H * H, H, s->rh[d]);
    }
    const onnxbn_tensor *w = onnxbn_in(c, IN_W), *tb = onnxbn_in(c, IN_B);
    const size_t fw = onnxbn_sgemm_packed_floats(g.I, g.D * GH);
    if (w->data && fw && (!tb || tb->data)) {
        if (!(s->w = onnxbn_alloc(fw * sizeof(float))) ||
            (tb && (!(s->bias = malloc(g.D * GH * sizeof(float))) ||
                    !(s->rbh = malloc(g.D * H * sizeof(float)))))) {
            rnn_free_state(s);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
        }
        onnxbn_sgemm_pack_b(true, g.I, g.D * GH, w->data, g.I, s->w);
        const size_t flw = fl ? onnxbn_lstm_packed_floats(H, g.I) : 0;
        for (size_t d = 0; flw && d < g.D; d++) {
            if (!(s->lw[d] = onnxbn_alloc(flw * sizeof(float)))) {
                rnn_free_state(s);
                return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
            }
            onnxbn_lstm_pack(H, g.I, (const float *)w->data + d * GH * g.I, s->lw[d]);
        }
        if (tb)
            biases(&g, tb->data, s->bias, s->rbh);
        s->bias_in_w = true;
    }
    c->state = s;
    return ONNXBN_OK;
}

/* A fused step's hidden columns over the session's pool: each task all rows, its own columns. */
typedef struct fused_job {
    onnxbn_lstm_args a;
    size_t parts;
} fused_job;

static void fused_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const fused_job *j = arg;
    size_t j0, j1;
    onnxbn_split(j->a.H, j->parts, t, ONNXBN_LSTM_COLS, &j0, &j1);
    if (j0 < j1)
        onnxbn_lstm_fused_step(&j->a, j0, j1);
}

/* How the fused LSTM gets x_t·Wᵀ. IN_STEP: summed in the step's own tile from W packed by gates
 * (from FUSED_X_ROWS batch rows: below, a step's tile is too thin for the W part to run at GEMM
 * speed, and one GEMM over all steps is faster). CHUNKED: the packed GEMM for `chunk` steps of
 * one direction at a time (layout 0), 512 KiB at most, so that the steps read it from L2 rather
 * than a whole layer's coming back from memory. WHOLE: rnn_run's one GEMM for every step. */
typedef enum { PROJ_IN_STEP, PROJ_CHUNKED, PROJ_WHOLE } proj_mode;
enum { FUSED_X_ROWS = 4 };

/* CHUNKED: steps a chunk (B·G·H floats each, 512 KiB at most, at least one step). */
static size_t proj_chunk(size_t B, size_t GH)
{
    return B && (size_t)1 << 17 > B * GH ? ((size_t)1 << 17) / (B * GH) : 1;
}

/* CHUNKED: when step t is not in [*t_lo, *t_hi), projects the chunk of steps from t on in the
 * direction of the run (rev: down) for direction d into proj ([steps·B, G·H]; biases added
 * when they are in pk). */
static void project_chunk(onnxbn_kctx *c, const rnn_cfg *g, const rnn_packed *pk, const float *x,
                          size_t d, size_t t, bool rev, float *proj, size_t *t_lo, size_t *t_hi)
{
    const size_t T = g->T, B = g->B, I = g->I, GH = g->G * g->H, chunk = proj_chunk(B, GH);
    if (t >= *t_lo && t < *t_hi)
        return;
    *t_lo = rev ? (t + 1 > chunk ? t + 1 - chunk : 0) : t;
    *t_hi = rev ? t + 1 : (t + chunk < T ? t + chunk : T);
    const onnxbn_act none = {ONNXBN_ACT_NONE, 0, 0};
    onnxbn_sgemm_packed_cols(c->pool, (*t_hi - *t_lo) * B, GH, I, x + *t_lo * B * I, I,
                             pk->w + d * GH * I, pk->bias ? pk->bias + d * GH : NULL, proj, GH, none);
}

/* The common LSTM without sequence_lens (every batch runs all T steps): per direction, the state
 * ping-pongs between two [B, H] buffers (hx) since every row block reads the whole of h_{t-1},
 * and each step is one onnxbn_lstm_fused_step, which also writes Y. hs/cs hold the state as in
 * rnn_run. bias: Wb + Rb, unless it went into the WHOLE projection. */
static onnxbn_status lstm_fused_run(onnxbn_kctx *c, const rnn_cfg *g, const rnn_packed *pk,
                                    proj_mode mode, const float *x, float *proj, const float *bias,
                                    float *hx, float *hs, float *cs, float *y, onnxbn_tensor *tyh,
                                    onnxbn_tensor *tyc)
{
    const size_t T = g->T, B = g->B, D = g->D, H = g->H, I = g->I, GH = 4 * g->H;
    const size_t sh = g->layout1 ? D * H : H;
    const size_t nth = (size_t)onnxbn_pool_threads(c->pool);
    const size_t blocks = (H + ONNXBN_LSTM_COLS - 1) / ONNXBN_LSTM_COLS;
    /* split only where each thread gets a few 16-column panels of a batch worth the round trip */
    const size_t parts = nth > 1 && B * GH * H >= (size_t)1 << 16 ? (blocks < nth ? blocks : nth) : 1;
    for (size_t d = 0; d < D; d++) {
        const bool rev = g->reverse || d == 1;
        float *ha = hx, *hb = hx + B * H, *cd = cs + srow(g, d, 0), *hd = hs + srow(g, d, 0);
        for (size_t b = 0; b < B; b++)
            memcpy(ha + b * H, hd + b * sh, H * sizeof(float));
        size_t t_lo = 0, t_hi = 0; /* CHUNKED: the steps [t_lo, t_hi) projected into proj */
        for (size_t s = 0; s < T; s++) {
            const size_t t = rev ? T - 1 - s : s, tn = rev ? t - 1 : t + 1; /* the next step's */
            fused_job j = {.a = {.B = B, .H = H, .I = I, .h_prev = ha, .ldh = H, .Rp = pk->lr[d], .C = cd,
                                 .ldc = sh, .h_next = hb, .ldn = H, .ldy = g->layout1 ? T * D * H : H},
                           .parts = parts};
            j.a.y = y ? y + (g->layout1 ? (t * D + d) * H : (t * D + d) * B * H) : NULL;
            if (mode == PROJ_IN_STEP) {
                j.a.x = x + xrow(g, t, 0) * I;
                j.a.ldxi = (g->layout1 ? T : 1) * I;
                j.a.Wp = pk->lw[d];
                j.a.bias = pk->bias ? pk->bias + d * GH : NULL;
            } else if (mode == PROJ_CHUNKED) {
                project_chunk(c, g, pk, x, d, t, rev, proj, &t_lo, &t_hi);
                j.a.xp = proj + (t - t_lo) * B * GH;
                j.a.ldx = GH;
                j.a.xnext = s + 1 < T && tn >= t_lo && tn < t_hi ? proj + (tn - t_lo) * B * GH : NULL;
            } else {
                j.a.xp = proj + xrow(g, t, 0) * D * GH + d * GH;
                j.a.ldx = (g->layout1 ? T : 1) * D * GH;
                j.a.xnext = s + 1 < T ? proj + xrow(g, tn, 0) * D * GH + d * GH : NULL;
                j.a.bias = bias ? bias + d * GH : NULL;
            }
            if (parts > 1)
                onnxbn_pool_run(c->pool, parts, fused_task, &j);
            else
                fused_task(&j, 0, 0);
            float *tmp = ha;
            ha = hb;
            hb = tmp;
            if ((s & 15) == 15 && onnxbn_stopped(c->stop))
                return ONNXBN_OK; /* the run checks the stop after the node and fails it */
        }
        for (size_t b = 0; b < B; b++)
            memcpy(hd + b * sh, ha + b * H, H * sizeof(float));
    }
    if (tyh)
        memcpy(tyh->data, hs, D * B * H * sizeof(float));
    if (tyc)
        memcpy(tyc->data, cs, D * B * H * sizeof(float));
    return ONNXBN_OK;
}

static onnxbn_status rnn_run(onnxbn_kctx *c)
{
    rnn_cfg g;
    rnn_parts p;
    onnxbn_status st = rnn_config(c, &g);
    if (st || (st = lens_check(c, &g)))
        return st;
    ONNXBN_CHECK(rnn_layout(&g, &p) && c->workspace >= p.total * sizeof(float) && (c->scratch || !p.total), c->err);
    const size_t T = g.T, B = g.B, D = g.D, H = g.H, GH = g.G * g.H;
    float *ws = c->scratch;
    float *proj = ws + p.proj, *rec = ws + p.rec, *hs = ws + p.hs, *cs = ws + p.cs, *rh = ws + p.rh;
    const float *x = onnxbn_in(c, IN_X)->data, *W = onnxbn_in(c, IN_W)->data, *R = onnxbn_in(c, IN_R)->data;
    const onnxbn_tensor *tb = onnxbn_in(c, IN_B), *tl = onnxbn_in(c, IN_LENS), *th = onnxbn_in(c, IN_H0);
    const onnxbn_tensor *tc = g.kind == CELL_LSTM ? onnxbn_in(c, IN_C0) : NULL;
    const onnxbn_tensor *tp = g.kind == CELL_LSTM ? onnxbn_in(c, IN_P) : NULL;
    const int32_t *lens = tl ? tl->data : NULL;
    float *bias = tb ? ws + p.bias : NULL, *rbh = tb ? ws + p.rbh : NULL;
    const bool lbr = g.kind == CELL_GRU && g.cell[0].linear_before_reset;
    onnxbn_tensor *ty = onnxbn_out(c, 0), *tyh = onnxbn_out(c, 1), *tyc = onnxbn_out(c, 2);
    float *y = ty ? ty->data : NULL;
    const rnn_packed *pk = c->state;
    const onnxbn_act none = {ONNXBN_ACT_NONE, 0, 0};

    if (pk && pk->bias_in_w) {
        bias = NULL; /* added by the projection */
        rbh = pk->rbh;
    } else if (tb) {
        biases(&g, tb->data, bias, rbh);
    }
    if (th)
        memcpy(hs, th->data, D * B * H * sizeof(float));
    else
        memset(hs, 0, D * B * H * sizeof(float));
    if (g.kind == CELL_LSTM) {
        if (tc)
            memcpy(cs, tc->data, D * B * H * sizeof(float));
        else
            memset(cs, 0, D * B * H * sizeof(float));
    }
    if (y && lens) /* steps past a batch's length stay zero */
        memset(y, 0, T * D * B * H * sizeof(float));
    size_t steps = lens ? 0 : T;
    for (size_t b = 0; lens && b < B; b++)
        steps = (size_t)lens[b] > steps ? (size_t)lens[b] : steps;
    /* x·Wᵀ for every step, batch and direction at once: W is [D·G·H, I] row-major. */
    /* Chunks need every batch at the same step (no sequence_lens) and a step's rows together. */
    const bool chunks = pk && pk->w && !lens && !g.layout1 && GH % ONNXBN_SGEMM_PANEL == 0;
    const proj_mode mode = pk && pk->lr[0] && pk->lw[0] && B >= FUSED_X_ROWS ? PROJ_IN_STEP
                           : chunks                                        ? PROJ_CHUNKED
                                                                           : PROJ_WHOLE;
    if (mode != PROJ_WHOLE)
        ; /* projected in the steps, or by chunk of steps */
    else if (steps && pk && pk->w)
        onnxbn_sgemm_packed_cols(c->pool, T * B, D * GH, g.I, x, g.I, pk->w, pk->bias, proj, D * GH, none);
    else if (steps)
        onnxbn_sgemm_cols(c->pool, false, true, T * B, D * GH, g.I, 1.0f, x, g.I, W, g.I, 0.0f, proj,
                          D * GH, none);

    /* hs, cs hold the state in the layout of initial_h ([D,B,H] or [B,D,H]); sh is its row step. */
    const size_t sh = g.layout1 ? D * H : H;
    if (pk && pk->lr[0])
        return lstm_fused_run(c, &g, pk, mode, x, proj, bias, ws + p.hx, hs, cs, y, tyh, tyc);
    for (size_t d = 0; d < D; d++) {
        const bool rev = g.reverse || d == 1;
        const float *Rd = R + d * GH * H, *bd = bias ? bias + d * GH : NULL;
        const float *rbd = rbh ? rbh + d * H : NULL, *Pd = tp ? (const float *)tp->data + d * 3 * H : NULL;
        float *hd = hs + srow(&g, d, 0), *cd = cs + srow(&g, d, 0);
        const onnxbn_rnn_cell *k = &g.cell[d];
        size_t t_lo = 0, t_hi = 0; /* PROJ_CHUNKED: the steps in proj */
        for (size_t s = 0; s < steps; s++) {
            if (mode == PROJ_CHUNKED) /* no sequence_lens: every batch at step t */
                project_chunk(c, &g, pk, x, d, rev ? T - 1 - s : s, rev, proj, &t_lo, &t_hi);
            /* h_{t-1}·Rᵀ for the whole batch; GRU without linear_before_reset only z and r now */
            const size_t nrec = g.kind == CELL_GRU && !lbr ? 2 * H : GH;
            if (pk)
                onnxbn_sgemm_packed_cols(c->pool, B, nrec, H, hd, sh, pk->r[d], NULL, rec, GH, none);
            else
                onnxbn_sgemm_cols(c->pool, false, true, B, nrec, H, 1.0f, hd, sh, Rd, H, 0.0f, rec, GH, none);
            for (size_t b = 0; b < B; b++) {
                const size_t len = lens ? (size_t)lens[b] : T;
                if (s >= len)
                    continue;
                const size_t t = rev ? len - 1 - s : s;
                const float *xp = mode == PROJ_CHUNKED ? proj + ((t - t_lo) * B + b) * GH
                                                       : proj + xrow(&g, t, b) * D * GH + d * GH;
                float *pre = rec + b * GH, *h = hd + b * sh;
                if (g.kind == CELL_LSTM)
                    onnxbn_lstm_step(k, pre, xp, bd, Pd, cd + b * sh, h);
                else if (g.kind == CELL_RNN)
                    onnxbn_rnn_step(k, pre, xp, bd, h);
                else
                    onnxbn_gru_step_zr(k, pre, xp, bd, h, rh + b * H);
            }
            if (g.kind == CELL_GRU) {
                if (!lbr) /* (r ⊙ h_{t-1})·Rhᵀ */
                {
                    if (pk)
                        onnxbn_sgemm_packed_cols(c->pool, B, H, H, rh, H, pk->rh[d], NULL, rec + 2 * H, GH, none);
                    else
                        onnxbn_sgemm_cols(c->pool, false, true, B, H, H, 1.0f, rh, H, Rd + 2 * H * H, H, 0.0f,
                                          rec + 2 * H, GH, none);
                }
                for (size_t b = 0; b < B; b++) {
                    const size_t len = lens ? (size_t)lens[b] : T;
                    if (s >= len)
                        continue;
                    const size_t t = rev ? len - 1 - s : s;
                    const float *xp = mode == PROJ_CHUNKED ? proj + ((t - t_lo) * B + b) * GH
                                                           : proj + xrow(&g, t, b) * D * GH + d * GH;
                    onnxbn_gru_step_h(k, rec + b * GH, xp, bd, rbd, hd + b * sh);
                }
            }
            if (y)
                for (size_t b = 0; b < B; b++) {
                    const size_t len = lens ? (size_t)lens[b] : T;
                    if (s >= len)
                        continue;
                    const size_t t = rev ? len - 1 - s : s;
                    const size_t at = g.layout1 ? ((b * T + t) * D + d) * H : ((t * D + d) * B + b) * H;
                    memcpy(y + at, hd + b * sh, H * sizeof(float));
                }
            if ((s & 15) == 15 && onnxbn_stopped(c->stop))
                return ONNXBN_OK; /* the run checks the stop after the node and fails it */
        }
    }
    if (tyh)
        memcpy(tyh->data, hs, D * B * H * sizeof(float));
    if (tyc)
        memcpy(tyc->data, cs, D * B * H * sizeof(float));
    return ONNXBN_OK;
}

/* RNN and GRU have no initial_c and no P. */
static int six_inputs(int version)
{
    (void)version;
    return 6;
}

const onnxbn_op_def onnxbn_op_lstm = {.attrs = lstm_attrs, .infer = rnn_infer, .prepare = rnn_prepare,
                                      .run = rnn_run, .free_state = rnn_free_state};
const onnxbn_op_def onnxbn_op_gru = {.attrs = gru_attrs, .max_inputs_at = six_inputs, .infer = rnn_infer,
                                     .prepare = rnn_prepare, .run = rnn_run, .free_state = rnn_free_state};
const onnxbn_op_def onnxbn_op_rnn = {.attrs = rnn_attrs, .max_inputs_at = six_inputs, .infer = rnn_infer,
                                     .prepare = rnn_prepare, .run = rnn_run, .free_state = rnn_free_state};
