/* SPDX-License-Identifier: Apache-2.0 */
/* gradient.c — ai.onnx.preview.training Gradient-1: d sum(y) / d x for each x in xs, by reverse-mode
 * differentiation of the forward nodes between xs/zs and y, recomputed from the node's inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "shapeops.h"

static const onnxbn_attr_spec gradient_attrs[] = {
    {"xs", ONNXBN_ATTR_STRINGS, true, 0, 0},
    {"y", ONNXBN_ATTR_STRING, true, 0, 0},
    {"zs", ONNXBN_ATTR_STRINGS, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

enum { G_ADD, G_SUB, G_MUL, G_DIV, G_NEG, G_IDENTITY, G_RELU, G_SIGMOID, G_TANH, G_EXP, G_MATMUL };
static const char *const g_names[] = {"Add", "Sub", "Mul", "Div", "Neg", "Identity",
                                      "Relu", "Sigmoid", "Tanh", "Exp", "MatMul"};
#define G_N_OPS ((int)(sizeof g_names / sizeof g_names[0]))

typedef struct gslot {
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
    int64_t numel;
    int leaf; /* the node's input that holds it, or -1 (a step computes it) */
} gslot;
typedef struct gstep {
    int op, a, b, out; /* slots; b is -1 for a unary op */
} gstep;
typedef struct gprog {
    int n_slots, n_steps, n_xs;
    gslot *slots;
    gstep *steps;
    int *x_slot; /* per xs entry: its slot, or -1 when y does not depend on it */
    int y_slot;
} gprog;

static void prog_free(void *p)
{
    gprog *g = p;
    if (!g)
        return;
    free(g->slots);
    free(g->steps);
    free(g->x_slot);
    free(g);
}

static int op_kind(const char *domain, const char *type)
{
    if (domain && domain[0] && strcmp(domain, "ai.onnx"))
        return -1;
    for (int i = 0; i < G_N_OPS; i++)
        if (!strcmp(type, g_names[i]))
            return i;
    return -1;
}

/* The numpy broadcast of slots a and b into o; false when they do not broadcast. */
static bool bshape(const gslot *a, const gslot *b, gslot *o)
{
    o->rank = a->rank > b->rank ? a->rank : b->rank;
    o->numel = 1;
    for (int d = 0; d < o->rank; d++) {
        int da = d - (o->rank - a->rank), db = d - (o->rank - b->rank);
        int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
        if (x != y && x != 1 && y != 1)
            return false;
        o->dims[d] = x == 1 ? y : x;
        if (o->dims[d] && o->numel > INT64_MAX / 4 / o->dims[d])
            return false;
        o->numel *= o->dims[d];
    }
    return true;
}

static onnxbn_status step_shape(const onnxbn_kctx *c, const onnxbn_node *nd, gprog *p, gstep *s)
{
    const gslot *a = &p->slots[s->a];
    gslot *o = &p->slots[s->out];
    char label[ONNXBN_LABEL_MAX];
    o->leaf = -1;
    if (s->op == G_MATMUL) {
        const gslot *b = &p->slots[s->b];
        if (a->rank != 2 || b->rank != 2)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "cannot differentiate %s: MatMul of "
                                    "ranks %d and %d (only 2-D)", onnxbn_node_label(nd, label,
                                    sizeof label), a->rank, b->rank);
        if (a->dims[1] != b->dims[0])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s: MatMul of [%lld,%lld] by [%lld,%lld]",
                                    onnxbn_node_label(nd, label, sizeof label), (long long)a->dims[0],
                                    (long long)a->dims[1], (long long)b->dims[0], (long long)b->dims[1]);
        if (b->dims[1] && a->dims[0] > INT64_MAX / 4 / b->dims[1])
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%s: MatMul output too large",
                                    onnxbn_node_label(nd, label, sizeof label));
        o->rank = 2;
        o->dims[0] = a->dims[0];
        o->dims[1] = b->dims[1];
        o->numel = a->dims[0] * b->dims[1];
        return ONNXBN_OK;
    }
    if (s->b < 0) {
        *o = *a;
        o->leaf = -1;
        return ONNXBN_OK;
    }
    if (!bshape(a, &p->slots[s->b], o))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s: its inputs do not broadcast",
                                onnxbn_node_label(nd, label, sizeof label));
    o->leaf = -1;
    return ONNXBN_OK;
}

/* Reads xs, zs and y, walks the graph backwards from y to them and lays out the program. */
static onnxbn_status build(const onnxbn_kctx *c, gprog **out)
{
    const onnxbn_graph *g = c->graph;
    ONNXBN_CHECK(g, c->err);
    char name[1024];
    size_t n_xs = 0, n_zs = 0;
    onnxbn_status st;
    if ((st = onnxbn_attr_strings_at(c, "xs", 0, name, sizeof name, &n_xs)) ||
        (st = onnxbn_attr_strings_at(c, "zs", 0, name, sizeof name, &n_zs)))
        return st;
    const int n_args = onnxbn_node_arg_count(c->node);
    if (n_xs == 0 || (size_t)n_args != n_xs + n_zs)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has %d inputs; xs and zs name %zu + %zu",
                                n_args, n_xs, n_zs);
    if ((size_t)c->n_out > n_xs)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has %d outputs for %zu xs", c->n_out, n_xs);
    for (int k = 0; k < n_args; k++) {
        const onnxbn_tensor *t = onnxbn_in(c, k);
        if (!t)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is missing", k);
        if (t->kind != ONNXBN_KIND_TENSOR || t->dtype != ONNXBN_FLOAT)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "input %d is %s; Gradient "
                                    "differentiates float tensors only", k,
                                    onnxbn_dtype_name(t->dtype));
    }

    gprog *p = calloc(1, sizeof *p);
    int *slot_of = malloc((size_t)g->n_values * sizeof *slot_of);
    bool *need = calloc((size_t)g->n_values, 1);
    bool *in_prog = calloc((size_t)g->n_nodes, 1);
    if (p) {
        p->slots = malloc(((size_t)g->n_values + 1) * sizeof *p->slots);
        p->steps = malloc(((size_t)g->n_nodes + 1) * sizeof *p->steps);
        p->x_slot = malloc(n_xs * sizeof *p->x_slot);
    }
    if (!p || !slot_of || !need || !in_prog || !p->slots || !p->steps || !p->x_slot) {
        st = onnxbn_fail(c->err, ONNXBN_ERR_NOMEM, "Gradient: out of memory");
        goto done;
    }
    p->n_xs = (int)n_xs;
    for (int v = 0; v < g->n_values; v++)
        slot_of[v] = -1;
    /* leaves: the tensors xs and zs name, valued by the node's inputs in that order */
    for (int k = 0; k < n_args; k++) {
        const char *list = (size_t)k < n_xs ? "xs" : "zs";
        size_t at = (size_t)k < n_xs ? (size_t)k : (size_t)k - n_xs, cnt;
        if ((st = onnxbn_attr_strings_at(c, list, at, name, sizeof name, &cnt)))
            goto done;
        int v = onnxbn_graph_find(g, name);
        if (v < 0) {
            st = onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "%s names '%.200s', which the graph does not "
                                  "have", list, name);
            goto done;
        }
        if (slot_of[v] < 0) {
            const onnxbn_tensor *t = onnxbn_in(c, k);
            gslot *s = &p->slots[p->n_slots];
            s->rank = t->rank;
            memcpy(s->dims, t->dims, sizeof s->dims);
            s->numel = t->numel;
            s->leaf = k;
            slot_of[v] = p->n_slots++;
        }
        if ((size_t)k < n_xs)
            p->x_slot[k] = slot_of[v];
    }
    if ((st = onnxbn_attr_string(c, "y", "", name, sizeof name)))
        goto done;
    int y = onnxbn_graph_find(g, name);
    if (y < 0) {
        st = onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "y names '%.200s', which the graph does not have",
                              name);
        goto done;
    }
    /* backwards in topological order: a node is differentiated when y needs one of its outputs */
    need[y] = true;
    for (int oi = g->n_nodes - 1; oi >= 0; oi--) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        bool needed = false;
        for (int j = 0; j < nd->n_out; j++)
            if (nd->out[j] >= 0 && need[nd->out[j]] && slot_of[nd->out[j]] < 0)
                needed = true;
        if (!needed)
            continue;
        char label[ONNXBN_LABEL_MAX];
        int kind = op_kind(nd->proto->domain, nd->proto->op_type);
        if (kind < 0 || nd->n_out != 1 || nd->n_in != (kind <= G_DIV || kind == G_MATMUL ? 2 : 1)) {
            st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "cannot differentiate %s: Gradient "
                                  "knows Add, Sub, Mul, Div, Neg, Identity, Relu, Sigmoid, Tanh, Exp "
                                  "and MatMul", onnxbn_node_label(nd, label, sizeof label));
            goto done;
        }
        in_prog[nd->index] = true;
        for (int j = 0; j < nd->n_in; j++) {
            if (nd->in[j] < 0) {
                st = onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "%s lacks input %d",
                                      onnxbn_node_label(nd, label, sizeof label), j);
                goto done;
            }
            need[nd->in[j]] = true;
        }
    }
    /* forwards: every value the program reads is a leaf or a step's output */
    for (int oi = 0; oi < g->n_nodes; oi++) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        if (!in_prog[nd->index])
            continue;
        gstep *s = &p->steps[p->n_steps];
        s->op = op_kind(nd->proto->domain, nd->proto->op_type);
        s->b = -1;
        for (int j = 0; j < nd->n_in; j++) {
            int sl = slot_of[nd->in[j]];
            if (sl < 0) {
                char label[ONNXBN_LABEL_MAX];
                st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "y depends on '%.200s' (read by "
                                      "%s), which is neither in xs nor in zs",
                                      g->values[nd->in[j]].name,
                                      onnxbn_node_label(nd, label, sizeof label));
                goto done;
            }
            *(j ? &s->b : &s->a) = sl;
        }
        s->out = p->n_slots++;
        if ((st = step_shape(c, nd, p, s)))
            goto done;
        slot_of[nd->out[0]] = s->out;
        p->n_steps++;
    }
    p->y_slot = slot_of[y];
    if (p->y_slot < 0) {
        st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "y ('%.200s') is computed from neither xs "
                              "nor zs", g->values[y].name);
        goto done;
    }
    /* an x that y does not reach gets zeros: mark the slots y's gradient flows to */
    bool *flows = calloc((size_t)p->n_slots, 1);
    if (!flows) {
        st = onnxbn_fail(c->err, ONNXBN_ERR_NOMEM, "Gradient: out of memory");
        goto done;
    }
    flows[p->y_slot] = true;
    for (int i = p->n_steps - 1; i >= 0; i--)
        if (flows[p->steps[i].out]) {
            flows[p->steps[i].a] = true;
            if (p->steps[i].b >= 0)
                flows[p->steps[i].b] = true;
        }
    for (int i = 0; i < p->n_xs; i++)
        if (!flows[p->x_slot[i]])
            p->x_slot[i] = -1;
    free(flows);
    st = ONNXBN_OK;
done:
    free(slot_of);
    free(need);
    free(in_prog);
    if (st)
        prog_free(p);
    else
        *out = p;
    return st;
}

static onnxbn_status gradient_infer(onnxbn_kctx *c)
{
    gprog *p = NULL;
    onnxbn_status st = build(c, &p);
    if (st)
        return st;
    for (int i = 0; i < c->n_out && !st; i++) {
        onnxbn_tensor *o = onnxbn_out(c, i);
        const onnxbn_tensor *x = onnxbn_in(c, i);
        if (o)
            st = onnxbn_tensor_set_shape(o, ONNXBN_FLOAT, x->rank, x->dims, c->err);
    }
    prog_free(p);
    return st;
}

static onnxbn_status gradient_prepare(onnxbn_kctx *c)
{
    gprog *p = NULL;
    onnxbn_status st = build(c, &p);
    if (!st)
        c->state = p;
    return st;
}

/* Per dim of o, the step of an input broadcast to o (0 along a dim it repeats). */
static void bstrides(const gslot *o, const gslot *in, int64_t *st)
{
    int64_t s = 1;
    for (int d = o->rank - 1; d >= 0; d--) {
        int di = d - (o->rank - in->rank);
        if (di < 0) {
            st[d] = 0;
            continue;
        }
        st[d] = in->dims[di] == 1 ? 0 : s;
        s *= in->dims[di];
    }
}

/* A broadcasting binary op, forward (fwd) or backward; the backward += at a broadcast input's
 * offset sums the gradient over the axes it was repeated along. */
static void binary(const gprog *p, const gstep *s, float **val, float **grad, bool fwd)
{
    const gslot *o = &p->slots[s->out], *A = &p->slots[s->a], *B = &p->slots[s->b];
    int64_t sa[ONNXBN_MAX_RANK], sb[ONNXBN_MAX_RANK], idx[ONNXBN_MAX_RANK] = {0};
    bstrides(o, A, sa);
    bstrides(o, B, sb);
    const float *a = val[s->a], *b = val[s->b];
    float *y = val[s->out], *ga = grad[s->a], *gb = grad[s->b];
    const float *gy = grad[s->out];
    int64_t ia = 0, ib = 0;
    for (int64_t k = 0; k < o->numel; k++) {
        float x = a[ia], w = b[ib];
        if (fwd) {
            y[k] = s->op == G_ADD ? x + w : s->op == G_SUB ? x - w : s->op == G_MUL ? x * w : x / w;
        } else {
            float g = gy[k];
            switch (s->op) {
            case G_ADD: ga[ia] += g; gb[ib] += g; break;
            case G_SUB: ga[ia] += g; gb[ib] -= g; break;
            case G_MUL: ga[ia] += g * w; gb[ib] += g * x; break;
            default: ga[ia] += g / w; gb[ib] -= g * x / (w * w); break;
            }
        }
        for (int d = o->rank - 1; d >= 0; d--) { /* next index: carry through the dims */
            ia += sa[d];
            ib += sb[d];
            if (++idx[d] < o->dims[d])
                break;
            ia -= sa[d] * o->dims[d];
            ib -= sb[d] * o->dims[d];
            idx[d] = 0;
        }
    }
}

static void unary(const gprog *p, const gstep *s, float **val, float **grad, bool fwd)
{
    const float *x = val[s->a];
    float *y = val[s->out];
    const int64_t n = p->slots[s->out].numel;
    if (fwd) {
        for (int64_t k = 0; k < n; k++) {
            float v = x[k];
            switch (s->op) {
            case G_NEG: y[k] = -v; break;
            case G_IDENTITY: y[k] = v; break;
            case G_RELU: y[k] = v > 0 ? v : 0; break;
            case G_SIGMOID: y[k] = 1 / (1 + expf(-v)); break;
            case G_TANH: y[k] = tanhf(v); break;
            default: y[k] = expf(v); break;
            }
        }
        return;
    }
    float *gx = grad[s->a];
    const float *gy = grad[s->out];
    for (int64_t k = 0; k < n; k++) {
        float g = gy[k];
        switch (s->op) {
        case G_NEG: gx[k] -= g; break;
        case G_IDENTITY: gx[k] += g; break;
        case G_RELU: gx[k] += x[k] > 0 ? g : 0; break;
        case G_SIGMOID: gx[k] += g * y[k] * (1 - y[k]); break;
        case G_TANH: gx[k] += g * (1 - y[k] * y[k]); break;
        default: gx[k] += g * y[k]; break;
        }
    }
}

static void matmul(const gprog *p, const gstep *s, float **val, float **grad, bool fwd)
{
    const int64_t m = p->slots[s->a].dims[0], kk = p->slots[s->a].dims[1], n = p->slots[s->b].dims[1];
    const float *a = val[s->a], *b = val[s->b];
    if (fwd) {
        float *y = val[s->out];
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                float acc = 0;
                for (int64_t t = 0; t < kk; t++)
                    acc += a[i * kk + t] * b[t * n + j];
                y[i * n + j] = acc;
            }
        return;
    }
    const float *gy = grad[s->out];
    float *ga = grad[s->a], *gb = grad[s->b];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t t = 0; t < kk; t++) {
                ga[i * kk + t] += gy[i * n + j] * b[t * n + j]; /* dY B^T */
                gb[t * n + j] += a[i * kk + t] * gy[i * n + j]; /* A^T dY */
            }
}

static void step(const gprog *p, const gstep *s, float **val, float **grad, bool fwd)
{
    if (s->op == G_MATMUL)
        matmul(p, s, val, grad, fwd);
    else if (s->b >= 0)
        binary(p, s, val, grad, fwd);
    else
        unary(p, s, val, grad, fwd);
}

static onnxbn_status gradient_run(onnxbn_kctx *c)
{
    const gprog *p = c->state;
    ONNXBN_CHECK(p, c->err);
    onnxbn_status st = ONNXBN_OK;
    float **val = calloc((size_t)p->n_slots, sizeof *val);
    float **grad = calloc((size_t)p->n_slots, sizeof *grad);
    if (!val || !grad) {
        st = onnxbn_fail(c->err, ONNXBN_ERR_NOMEM, "Gradient: out of memory");
        goto done;
    }
    for (int i = 0; i < p->n_slots; i++) {
        const gslot *s = &p->slots[i];
        size_t n = s->numel ? (size_t)s->numel : 1;
        grad[i] = calloc(n, sizeof(float));
        val[i] = s->leaf >= 0 ? (float *)onnxbn_in(c, s->leaf)->data : malloc(n * sizeof(float));
        if (!grad[i] || !val[i]) {
            st = onnxbn_fail(c->err, ONNXBN_ERR_NOMEM, "Gradient: out of memory");
            goto done;
        }
    }
    for (int i = 0; i < p->n_steps; i++)
        step(p, &p->steps[i], val, grad, true);
    for (int64_t k = 0; k < p->slots[p->y_slot].numel; k++)
        grad[p->y_slot][k] = 1; /* d sum(y) / d y */
    for (int i = p->n_steps - 1; i >= 0; i--)
        step(p, &p->steps[i], val, grad, false);
    for (int i = 0; i < c->n_out; i++) {
        onnxbn_tensor *o = onnxbn_out(c, i);
        if (!o)
            continue;
        if (p->x_slot[i] < 0)
            memset(o->data, 0, (size_t)o->numel * sizeof(float));
        else
            memcpy(o->data, grad[p->x_slot[i]], (size_t)o->numel * sizeof(float));
    }
done:
    for (int i = 0; val && grad && i < p->n_slots; i++) {
        if (p->slots[i].leaf < 0)
            free(val[i]);
        free(grad[i]);
    }
    free(val);
    free(grad);
    return st;
}

const onnxbn_op_def onnxbn_op_gradient = {.attrs = gradient_attrs,
                                          .infer = gradient_infer,
                                          .prepare = gradient_prepare,
                                          .run = gradient_run,
                                          .free_state = prog_free};
