/* SPDX-License-Identifier: Apache-2.0 */
/* plan.c — makes and runs the per-shape plan: infers every value's shape, evaluates nodes whose
 * inputs are all constant once (shape subgraphs, weight transforms), and lays activations in one arena. */
#include "plan.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALIGN_UP(x) (((x) + ONNXBN_ALIGN - 1) & ~(size_t)(ONNXBN_ALIGN - 1))

static void free_state(onnxbn_kctx *c)
{
    if (c->state) {
        if (c->def && c->def->free_state)
            c->def->free_state(c->state);
        else
            free(c->state);
        c->state = NULL;
    }
}

void onnxbn_plan_free(onnxbn_plan *p)
{
    if (!p)
        return;
    if (p->ctx)
        for (int i = 0; i < p->model->graph.n_nodes; i++)
            free_state(&p->ctx[i]);
    if (p->vals)
        for (int i = 0; i < p->n_values; i++)
            onnxbn_tensor_release(&p->vals[i]);
    if (p->out_copies)
        for (int i = 0; i < p->model->graph.n_outputs; i++)
            onnxbn_tensor_release(&p->out_copies[i]);
    if (p->fed_shapes)
        for (int i = 0; i < p->n_fed; i++)
            onnxbn_tensor_release(&p->fed_shapes[i]);
    free(p->vals);
    free(p->kind);
    free(p->ctx);
    free(p->in_ptrs);
    free(p->out_ptrs);
    free(p->steps);
    onnxbn_free(p->arena);
    free(p->fed_ids);
    free(p->fed_shapes);
    free(p->out_copies);
    free(p->deferred);
    for (int i = 0; i < p->run.n; i++)
        onnxbn_free(p->run.blk[i]);
    free(p);
}

/* ---- arena layout ---- */

/* A buffer of the arena: a value's storage (a root, see below) or a node's scratch, live from
 * step `first` to step `last` inclusive. */
typedef struct span {
    int id;   /* value id, or -1 - node index for scratch */
    size_t size, off;
    int first, last;
    int rank; /* of the busiest step it is live at, 0 being the step with the most bytes live */
} span;

/* Orders of placement; every one is total, so the layout never depends on qsort's tie-breaking. */
static int tie(const span *x, const span *y)
{
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    if (x->first != y->first)
        return x->first - y->first;
    return x->id - y->id;
}

static int by_size(const void *a, const void *b)
{
    return tie(*(const span *const *)a, *(const span *const *)b);
}

static int by_breadth(const void *a, const void *b)
{
    const span *x = *(const span *const *)a, *y = *(const span *const *)b;
    return x->rank != y->rank ? x->rank - y->rank : tie(x, y);
}

static int by_start(const void *a, const void *b)
{
    const span *x = *(const span *const *)a, *y = *(const span *const *)b;
    return x->first != y->first ? x->first - y->first : tie(x, y);
}

static int by_off(const void *a, const void *b)
{
    const span *const *x = a, *const *y = b;
    return (*x)->off < (*y)->off ? -1 : (*x)->off > (*y)->off;
}

typedef struct step_load {
    size_t bytes;
    int step;
} step_load;

static int by_load(const void *a, const void *b)
{
    const step_load *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->step - y->step;
}

/* Bytes live per step into load[] (n_steps + 1 entries, zeroed), and each span's rank; returns
 * the most bytes live at one step, which no layout can beat. */
static size_t rank_steps(span *s, int n, int n_steps, step_load *load, int *rank_of)
{
    for (int i = 0; i < n; i++)
        for (int t = s[i].first; t <= s[i].last && t < n_steps; t++)
            load[t].bytes += s[i].size;
    for (int t = 0; t < n_steps; t++)
        load[t].step = t;
    qsort(load, (size_t)n_steps, sizeof *load, by_load);
    for (int r = 0; r < n_steps; r++)
        rank_of[load[r].step] = r;
    for (int i = 0; i < n; i++) {
        s[i].rank = n_steps;
        for (int t = s[i].first; t <= s[i].last && t < n_steps; t++)
            if (rank_of[t] < s[i].rank)
                s[i].rank = rank_of[t];
    }
    return n_steps ? load[0].bytes : 0;
}

/* Places the spans in the order given, each clear of the placed ones live at the same time: at
 * the lowest offset that fits (first fit) or in the smallest gap that fits (best fit), else
 * above them all. Returns the arena size. `live` has room for n pointers. */
static size_t place(span **ord, int n, bool best, span **live)
{
    size_t top = 0;
    for (int i = 0; i < n; i++) {
        span *x = ord[i];
        int k = 0;
        for (int j = 0; j < i; j++)
            if (ord[j]->first <= x->last && x->first <= ord[j]->last)
                live[k++] = ord[j];
        qsort(live, (size_t)k, sizeof *live, by_off);
        size_t end = 0, off = SIZE_MAX, gap = SIZE_MAX;
        for (int j = 0; j < k; j++) {
            if (live[j]->off >= end + x->size && live[j]->off - end < gap) {
                off = end;
                gap = live[j]->off - end;
                if (!best)
                    break;
            }
            if (live[j]->off + live[j]->size > end)
                end = live[j]->off + live[j]->size;
        }
        x->off = off != SIZE_MAX ? off : end;
        if (x->off + x->size > top)
            top = x->off + x->size;
    }
    return top;
}

/* Sets every span's offset and returns the arena size in *total and the most bytes live at one
 * step in *bound. No greedy order is best on every graph (largest first leaves mnasnet0_5 at
 * 1.25x the bound, in order of first use reaches 1.06x; on densenet121 it is the other way
 * round), so three orders are tried, each with first fit and with best fit, and the smallest
 * arena kept (the first of equals; it stops early at the bound): largest buffers first, the
 * buffers of the busiest steps first (largest first within a step), and in order of first use. */
static onnxbn_status layout(span *s, int n, int n_steps, size_t *total, size_t *bound,
                            onnxbn_error *err)
{
    span **ord = malloc(((size_t)n + 1) * sizeof *ord);
    span **live = malloc(((size_t)n + 1) * sizeof *live);
    size_t *keep = malloc(((size_t)n + 1) * sizeof *keep);
    step_load *load = calloc((size_t)n_steps + 1, sizeof *load);
    int *rank_of = malloc(((size_t)n_steps + 1) * sizeof *rank_of);
    onnxbn_status st = ONNXBN_OK;
    if (!ord || !live || !keep || !load || !rank_of) {
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        goto done;
    }
    *bound = rank_steps(s, n, n_steps, load, rank_of);
    *total = SIZE_MAX;
    int (*const orders[])(const void *, const void *) = {by_size, by_breadth, by_start};
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < n; i++)
            ord[i] = &s[i];
        qsort(ord, (size_t)n, sizeof *ord, orders[k / 2]);
        size_t top = place(ord, n, k & 1, live);
        if (top < *total) {
            *total = top;
            for (int i = 0; i < n; i++)
                keep[i] = s[i].off;
        }
        if (top == *bound) /* cannot do better */
            break;
    }
    for (int i = 0; i < n; i++)
        s[i].off = keep[i];
done:
    free(ord);
    free(live);
    free(keep);
    free(load);
    free(rank_of);
    return st;
}

/* The arena's one promise: every buffer lies inside it and shares no byte with a buffer live at
 * one of the same steps. The greedy placement is tuned often, so the result is checked, not
 * trusted: a broken layout would have one node silently overwrite another's input. */
static onnxbn_status check_layout(const span *s, int n, size_t total, onnxbn_error *err)
{
    for (int i = 0; i < n; i++) {
        ONNXBN_CHECK(s[i].off <= total && s[i].size <= total - s[i].off, err);
        for (int j = i + 1; j < n; j++) {
            const bool together = s[i].first <= s[j].last && s[j].first <= s[i].last;
            const bool overlap = s[i].off < s[j].off + s[j].size && s[j].off < s[i].off + s[i].size;
            ONNXBN_CHECK(!(together && overlap), err);
        }
    }
    return ONNXBN_OK;
}

/* ---- storage sharing: views, fused activations, in place ----
 * parent[id] names the value whose storage `id` uses (itself when it has its own); the chain
 * ends at a root, and only roots get arena spans. */

static int root_of(const int *parent, int id)
{
    while (parent[id] != id)
        id = parent[id];
    return id;
}

static bool same_bytes(const onnxbn_tensor *a, const onnxbn_tensor *b)
{
    return a->dtype == b->dtype && a->nbytes == b->nbytes;
}

/* The activation of a Sigmoid, HardSigmoid or HardSwish node `hn` reading x, float; HardSigmoid's
 * alpha and beta as its kernel takes them (ops/activation.c's defaults). */
static bool gate_act(const onnxbn_plan *p, const onnxbn_node *hn, int x, onnxbn_act *act)
{
    const onnxbn_node_op *o = &p->model->ops[hn->index];
    if (!o->def || hn->n_in != 1 || hn->n_out != 1 || hn->in[0] != x || hn->out[0] < 0 ||
        p->deferred[hn->index] || p->vals[hn->out[0]].dtype != ONNXBN_FLOAT)
        return false;
    const onnxbn_kctx *c = &p->ctx[hn->index];
    act->lo = 0.0f;
    act->hi = 0.0f;
    switch (o->id) {
    case ONNXBN_OP_Sigmoid: act->kind = ONNXBN_ACT_SIGMOID; return true;
    case ONNXBN_OP_HardSigmoid:
        act->kind = ONNXBN_ACT_HARDSIGMOID;
        return !onnxbn_attr_float(c, "alpha", 0.2f, &act->lo) &&
               !onnxbn_attr_float(c, "beta", 0.5f, &act->hi);
    case ONNXBN_OP_HardSwish:
        act->kind = ONNXBN_ACT_HARDSWISH; /* x·HardSigmoid(x) at 1/6 and 1/2, as its kernel */
        act->lo = 1.0f / 6;
        act->hi = 0.5f;
        return true;
    default: return false;
    }
}

/* The activation of a Relu or Clip node `cn` as a clamp, when it can be folded into its
 * producer: float, and Clip bounds known at plan time. With `ext` (the producer is a Conv, Gemm
 * or MatMul, whose kernels apply every kind of kernels/act.h) also a Sigmoid, HardSigmoid or
 * HardSwish. */
static bool fusable_act(const onnxbn_plan *p, const onnxbn_node *cn, onnxbn_act *act, bool ext)
{
    const onnxbn_kctx *c = &p->ctx[cn->index];
    const onnxbn_node_op *o = &p->model->ops[cn->index];
    if (ext && cn->n_in == 1 && gate_act(p, cn, cn->in[0], act))
        return true;
    if (!o->def || !onnxbn_op_has(o->id, ONNXBN_OP_ACTIVATION) || cn->n_out != 1 ||
        cn->out[0] < 0 || p->vals[cn->out[0]].dtype != ONNXBN_FLOAT)
        return false;
    act->kind = ONNXBN_ACT_RELU;
    if (o->id == ONNXBN_OP_Relu)
        return cn->n_in == 1;
    if (o->id != ONNXBN_OP_Clip)
        return false;
    /* the bounds exactly as the Clip op takes them (ops/unary.c): absent attributes of Clip-1/6
     * are float's lowest and max, absent inputs of Clip-11+ clip nothing */
    act->kind = ONNXBN_ACT_CLIP;
    act->lo = -INFINITY;
    act->hi = INFINITY;
    if (c->version < 11)
        return !onnxbn_attr_float(c, "min", -FLT_MAX, &act->lo) &&
               !onnxbn_attr_float(c, "max", FLT_MAX, &act->hi) && !isnan(act->lo) &&
               !isnan(act->hi);
    for (int k = 1; k < cn->n_in; k++) {
        const onnxbn_tensor *b = c->in[k];
        if (!b)
            continue;
        if (p->kind[cn->in[k]] != VAL_CONST || b->dtype != ONNXBN_FLOAT || b->numel != 1 || !b->data)
            return false;
        float v = *(const float *)b->data;
        if (isnan(v))
            return false;
        *(k == 1 ? &act->lo : &act->hi) = v;
    }
    return true;
}

/* The step that runs node `index`, searching from `from`, or -1. */
static int step_of(const onnxbn_plan *p, int index, int from)
{
    for (int t = from; t < p->n_steps; t++)
        if (p->steps[t] == index)
            return t;
    return -1;
}

/* An Add that the producer of its input x (at step s) can take over: plain float Add of two
 * same-shape inputs, x not read twice, and the other input z ready before step s (a constant, a
 * graph input, or a value an earlier step makes). Returns z, or -1. */
static int fusable_add(const onnxbn_plan *p, const onnxbn_node *an, int x, int s)
{
    const onnxbn_graph *g = &p->model->graph;
    if (!p->model->ops[an->index].def || p->model->ops[an->index].id != ONNXBN_OP_Add ||
        an->n_in != 2 || an->n_out != 1 || an->out[0] < 0 || an->in[0] < 0 || an->in[1] < 0 ||
        an->in[0] == an->in[1])
        return -1;
    const int z = an->in[0] == x ? an->in[1] : an->in[0];
    const onnxbn_tensor *tx = &p->vals[x], *tz = &p->vals[z], *ty = &p->vals[an->out[0]];
    if (tx->dtype != ONNXBN_FLOAT || tz->dtype != ONNXBN_FLOAT || ty->dtype != ONNXBN_FLOAT ||
        tx->rank != ty->rank || tz->rank != ty->rank || !same_bytes(tx, ty) || !same_bytes(tz, ty))
        return -1;
    for (int d = 0; d < ty->rank; d++)
        if (tx->dims[d] != ty->dims[d] || tz->dims[d] != ty->dims[d])
            return -1;
    const int pr = g->values[z].producer;
    if (pr >= 0 && p->kind[z] != VAL_CONST) {
        const int t = step_of(p, pr, 0);
        if (t < 0 || t >= s)
            return -1;
    }
    return z;
}

/* SiLU as torch exports it: y = Mul(x, Sigmoid(x)) (either operand order), float, same shapes,
 * the Sigmoid's output read by that Mul alone and not a graph output. Returns the Mul's step, or
 * -1. The Sigmoid then writes y itself (kctx.silu) where the Mul would have: one pass, not two,
 * and the same bits (onnxbn_silu_f32). */
static int fusable_silu(const onnxbn_plan *p, const onnxbn_node *nd, int s)
{
    const onnxbn_graph *g = &p->model->graph;
    if (p->model->ops[nd->index].id != ONNXBN_OP_Sigmoid || nd->n_in != 1 || nd->n_out != 1 ||
        nd->in[0] < 0 || nd->out[0] < 0)
        return -1;
    const int x = nd->in[0], sg = nd->out[0];
    const onnxbn_value *v = &g->values[sg];
    if (v->n_consumers != 1 || v->output_index >= 0)
        return -1;
    const onnxbn_node *mn = &g->nodes[v->consumers[0]];
    if (!p->model->ops[mn->index].def || p->model->ops[mn->index].id != ONNXBN_OP_Mul ||
        mn->n_in != 2 || mn->n_out != 1 || mn->out[0] < 0 || p->deferred[mn->index] ||
        !((mn->in[0] == x && mn->in[1] == sg) || (mn->in[0] == sg && mn->in[1] == x)))
        return -1;
    const onnxbn_tensor *tx = &p->vals[x], *ts = &p->vals[sg], *ty = &p->vals[mn->out[0]];
    if (tx->dtype != ONNXBN_FLOAT || ts->dtype != ONNXBN_FLOAT || ty->dtype != ONNXBN_FLOAT ||
        tx->rank != ty->rank || !same_bytes(tx, ty) || !same_bytes(ts, ty))
        return -1;
    for (int d = 0; d < ty->rank; d++)
        if (tx->dims[d] != ty->dims[d])
            return -1;
    return step_of(p, mn->index, s + 1);
}

/* x·gate(x) after a Conv, Gemm or MatMul, as torch exports SiLU and (before opset 14) HardSwish:
 * x, the producer's output, read by exactly a Sigmoid or HardSigmoid of x and a Mul of x by that
 * gate (either operand order); the gate read by that Mul alone; neither a graph output. Sets the
 * producer's act to SILU or HARDSWISH (the gate's alpha and beta) and drops both steps: the
 * product is then written in the producer's epilogue, while its output is in cache, instead of
 * two passes over the tensor (or one, as fusable_silu does). The same bits: act1 computes the
 * gate as its kernel does and rounds the product once, as the Mul. */
static bool fuse_gated(onnxbn_plan *p, const onnxbn_node *nd, int s, int *parent, bool *skip)
{
    const onnxbn_graph *g = &p->model->graph;
    const int x = nd->out[0];
    const onnxbn_value *v = &g->values[x];
    if (v->n_consumers != 2 || v->output_index >= 0 || p->vals[x].dtype != ONNXBN_FLOAT)
        return false;
    for (int k = 0; k < 2; k++) {
        const onnxbn_node *hn = &g->nodes[v->consumers[k]], *mn = &g->nodes[v->consumers[1 - k]];
        onnxbn_act act;
        if (!gate_act(p, hn, x, &act) || act.kind == ONNXBN_ACT_HARDSWISH)
            continue;
        const int h = hn->out[0];
        const onnxbn_value *hv = &g->values[h];
        if (hv->n_consumers != 1 || hv->output_index >= 0 || hv->consumers[0] != mn->index ||
            !p->model->ops[mn->index].def || p->model->ops[mn->index].id != ONNXBN_OP_Mul ||
            mn->n_in != 2 || mn->n_out != 1 || mn->out[0] < 0 || p->deferred[mn->index] ||
            !((mn->in[0] == x && mn->in[1] == h) || (mn->in[0] == h && mn->in[1] == x)))
            continue;
        const onnxbn_tensor *tx = &p->vals[x], *th = &p->vals[h], *ty = &p->vals[mn->out[0]];
        if (ty->dtype != ONNXBN_FLOAT || !same_bytes(tx, ty) || !same_bytes(th, ty) ||
            tx->rank != ty->rank || th->rank != ty->rank)
            continue;
        bool same = true;
        for (int d = 0; d < ty->rank && same; d++)
            same = tx->dims[d] == ty->dims[d] && th->dims[d] == ty->dims[d];
        const int th_step = step_of(p, hn->index, s + 1), tm = step_of(p, mn->index, s + 1);
        if (!same || th_step < 0 || tm < 0 || skip[th_step] || skip[tm])
            continue;
        act.kind = act.kind == ONNXBN_ACT_SIGMOID ? ONNXBN_ACT_SILU : ONNXBN_ACT_HARDSWISH;
        p->ctx[nd->index].act = act;
        parent[h] = x; /* never written: the gate's storage is the producer's */
        parent[mn->out[0]] = x;
        skip[th_step] = true;
        skip[tm] = true;
        return true;
    }
    return false;
}

/* The node that alone reads value v, when v is not a graph output and that node runs at plan
 * time's known shapes; else -1. */
static int sole_reader(const onnxbn_plan *p, int v)
{
    if (v < 0)
        return -1;
    const onnxbn_value *val = &p->model->graph.values[v];
    if (val->n_consumers != 1 || val->output_index >= 0 || p->deferred[val->consumers[0]])
        return -1;
    return p->model->ops[val->consumers[0]].def ? val->consumers[0] : -1;
}

/* A float scalar known at plan time. */
static bool const_scalar(const onnxbn_plan *p, int v, float *out)
{
    if (v < 0 || p->kind[v] != VAL_CONST || p->vals[v].dtype != ONNXBN_FLOAT || p->vals[v].numel != 1 ||
        !p->vals[v].data)
        return false;
    *out = *(const float *)p->vals[v].data;
    return true;
}

/* Node n is op with two inputs, one of them `v`; *other gets the other input. */
static bool binary_with(const onnxbn_plan *p, int n, onnxbn_op_id op, int v, int *other)
{
    const onnxbn_node *nd = &p->model->graph.nodes[n];
    if (p->model->ops[n].id != op || nd->n_in != 2 || nd->n_out != 1 || nd->out[0] < 0 ||
        nd->in[0] == nd->in[1] || (nd->in[0] != v && nd->in[1] != v))
        return false;
    *other = nd->in[0] == v ? nd->in[1] : nd->in[0];
    return true;
}

/* GELU with erf as torch exports it (nn.GELU(), approximate='none'): Div(x, c) → Erf → Add(·, 1)
 * → Mul(x, ·) → Mul(·, 0.5), every intermediate read by the next node alone, float, x's shape
 * throughout, the constants scalars. Fills the four nodes after the Div and the constants; the
 * Div then writes the result in one pass (kctx.gelu, onnxbn_gelu_erf_f32, the same bits). */
static bool fusable_gelu(const onnxbn_plan *p, const onnxbn_node *nd, int *n4, float *k)
{
    const onnxbn_graph *g = &p->model->graph;
    int other;
    if (p->model->ops[nd->index].id != ONNXBN_OP_Div || nd->n_in != 2 || nd->n_out != 1 ||
        nd->in[0] < 0 || nd->out[0] < 0 || !const_scalar(p, nd->in[1], &k[0]))
        return false;
    const int x = nd->in[0];
    int e, a, m;
    if ((n4[0] = sole_reader(p, nd->out[0])) < 0 || p->model->ops[n4[0]].id != ONNXBN_OP_Erf ||
        g->nodes[n4[0]].n_in != 1 || g->nodes[n4[0]].n_out != 1 || (e = g->nodes[n4[0]].out[0]) < 0)
        return false;
    if ((n4[1] = sole_reader(p, e)) < 0 || !binary_with(p, n4[1], ONNXBN_OP_Add, e, &other) ||
        !const_scalar(p, other, &k[1]))
        return false;
    a = g->nodes[n4[1]].out[0];
    if ((n4[2] = sole_reader(p, a)) < 0 || !binary_with(p, n4[2], ONNXBN_OP_Mul, a, &other) || other != x)
        return false;
    m = g->nodes[n4[2]].out[0];
    if ((n4[3] = sole_reader(p, m)) < 0 || !binary_with(p, n4[3], ONNXBN_OP_Mul, m, &other) ||
        !const_scalar(p, other, &k[2]))
        return false;
    const int vals[] = {nd->out[0], e, a, m, g->nodes[n4[3]].out[0]};
    const onnxbn_tensor *tx = &p->vals[x];
    if (tx->dtype != ONNXBN_FLOAT)
        return false;
    for (int i = 0; i < 5; i++) {
        const onnxbn_tensor *t = &p->vals[vals[i]];
        if (t->dtype != ONNXBN_FLOAT || t->rank != tx->rank || !same_bytes(t, tx))
            return false;
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] != tx->dims[d])
                return false;
    }
    return true;
}

/* Value v is read by exactly the nodes a and b (b may equal a: then by a alone), and is not a
 * graph output. */
static bool read_only_by(const onnxbn_graph *g, int v, int a, int b)
{
    const onnxbn_value *val = &g->values[v];
    if (val->output_index >= 0 || val->n_consumers != (a == b ? 1 : 2))
        return false;
    for (int i = 0; i < val->n_consumers; i++)
        if (val->consumers[i] != a && val->consumers[i] != b)
            return false;
    return true;
}

/* A Linear as torch exports it on 3-D and 4-D inputs: MatMul(x, W) with W a constant float matrix,
 * then Add of a constant row of N floats (its bias; either operand order, any leading 1s), then
 * perhaps torch's erf GELU (fusable_gelu). The MatMul then adds the bias and applies the GELU
 * while each block of its output is in cache (kctx.bias, kctx.gelu; ops/matmul.c): three passes
 * over the hidden activations of a transformer MLP become one. Every intermediate must be read by
 * the next node alone (the GELU's input by its Div and its Mul) and not be a graph output, else
 * nothing folds. Kept apart from share_views' other fusions, which it runs before. */
static bool fuse_linear(onnxbn_plan *p, int s, int *parent, bool *skip)
{
    const onnxbn_graph *g = &p->model->graph;
    const onnxbn_node *nd = &g->nodes[p->steps[s]];
    if (p->model->ops[nd->index].id != ONNXBN_OP_MatMul || nd->n_in != 2 || nd->n_out != 1 ||
        nd->in[0] < 0 || nd->in[1] < 0 || nd->out[0] < 0)
        return false;
    const int w = nd->in[1], y = nd->out[0];
    const onnxbn_tensor *tw = &p->vals[w], *ty = &p->vals[y], *ta = &p->vals[nd->in[0]];
    if (p->kind[w] != VAL_CONST || tw->dtype != ONNXBN_FLOAT || tw->rank != 2 || !tw->data ||
        ta->dtype != ONNXBN_FLOAT || ta->rank < 2 || ty->dtype != ONNXBN_FLOAT || ty->rank < 2)
        return false;
    const int64_t N = ty->dims[ty->rank - 1];
    int x = y, bias = -1, add = -1, t_add = -1;
    /* the bias */
    const int an = sole_reader(p, y);
    int z;
    if (an >= 0 && binary_with(p, an, ONNXBN_OP_Add, y, &z) && z >= 0 && p->kind[z] == VAL_CONST &&
        p->vals[z].dtype == ONNXBN_FLOAT && p->vals[z].data && p->vals[z].numel == N &&
        p->vals[z].rank >= 1 && p->vals[z].rank <= ty->rank &&
        p->vals[z].dims[p->vals[z].rank - 1] == N && (t_add = step_of(p, an, s + 1)) >= 0 &&
        !skip[t_add]) {
        const onnxbn_tensor *to = &p->vals[g->nodes[an].out[0]];
        bool same = to->dtype == ONNXBN_FLOAT && to->rank == ty->rank && same_bytes(to, ty);
        for (int d = 0; same && d < ty->rank; d++)
            same = to->dims[d] == ty->dims[d];
        if (same) {
            bias = z;
            add = an;
            x = g->nodes[an].out[0];
        }
    }
    /* the GELU after it (or after the product itself) */
    int n4[4], t5[5] = {-1, -1, -1, -1, -1};
    float k[3];
    bool gelu = false;
    const onnxbn_value *xv = &g->values[x];
    for (int i = 0; i < xv->n_consumers && !gelu; i++) {
        const int dv = xv->consumers[i];
        const onnxbn_node *dn = &g->nodes[dv];
        if (p->deferred[dv] || !p->model->ops[dv].def || dn->in[0] != x ||
            !fusable_gelu(p, dn, n4, k) || !read_only_by(g, x, dv, n4[2]))
            continue;
        gelu = (t5[0] = step_of(p, dv, s + 1)) >= 0 && !skip[t5[0]];
        for (int j = 0; j < 4 && gelu; j++)
            gelu = (t5[j + 1] = step_of(p, n4[j], s + 1)) >= 0 && !skip[t5[j + 1]];
        if (gelu) {
            onnxbn_kctx *c = &p->ctx[nd->index];
            c->gelu = true;
            memcpy(c->gelu_k, k, sizeof k);
            parent[dn->out[0]] = y;
            for (int j = 0; j < 4; j++)
                parent[g->nodes[n4[j]].out[0]] = y;
            for (int j = 0; j < 5; j++)
                skip[t5[j]] = true;
        }
    }
    if (bias < 0 && !gelu)
        return false;
    if (bias >= 0) {
        p->ctx[nd->index].bias = &p->vals[bias];
        parent[g->nodes[add].out[0]] = y;
        skip[t_add] = true;
    }
    return true;
}

/* v has x's shape but for a last axis of 1: a mean over the last axis (keepdims), whatever the
 * ReduceMean's axes say (a mean over the other, size-1 axes changes nothing). */
static bool row_stat_of(const onnxbn_plan *p, int v, const onnxbn_tensor *tx)
{
    const onnxbn_tensor *t = &p->vals[v];
    if (t->dtype != ONNXBN_FLOAT || t->rank != tx->rank)
        return false;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] != (d + 1 < t->rank ? tx->dims[d] : 1))
            return false;
    return true;
}

/* A constant float vector of the n values of the last axis (shape [n], [1, n] ...). */
static bool const_row(const onnxbn_plan *p, int v, int64_t n)
{
    const onnxbn_tensor *t = &p->vals[v];
    return v >= 0 && p->kind[v] == VAL_CONST && t->dtype == ONNXBN_FLOAT && t->data &&
           t->numel == n && t->rank >= 1 && t->dims[t->rank - 1] == n;
}

/* Node n is a single-input, single-output op of the given id. */
static bool unary_node(const onnxbn_plan *p, int n, onnxbn_op_id op)
{
    const onnxbn_node *nd = &p->model->graph.nodes[n];
    return n >= 0 && p->model->ops[n].id == op && nd->n_in == 1 && nd->n_out == 1 &&
           nd->in[0] >= 0 && nd->out[0] >= 0;
}

/* LayerNorm over the last axis as torch exports it below opset 17 (ConvNeXt's, after its
 * Transpose to NHWC): m = ReduceMean(x), d = Sub(x, m), ReduceMean(Pow(d, 2)), Add(·, eps), Sqrt,
 * Div(d, ·), Mul(·, scale), Add(·, bias); nine passes over the rows (ReduceMean was the slowest).
 * At the first ReduceMean's step: the Sub then writes the whole layer norm in one pass
 * (kctx.ln_scale, onnxbn_layernorm_f32, statistics in double) where d was, the last Add's output
 * becomes d's storage, the other seven are skipped. d must be read by the Pow and the Div alone,
 * every other intermediate by the next node alone, none a graph output; x float, rank >= 2, its
 * last axis at least 2 long. */
static bool fuse_layernorm(onnxbn_plan *p, int s, int *parent, bool *skip)
{
    const onnxbn_graph *g = &p->model->graph;
    const onnxbn_node *r1 = &g->nodes[p->steps[s]];
    if (!unary_node(p, r1->index, ONNXBN_OP_ReduceMean))
        return false;
    const int x = r1->in[0];
    const onnxbn_tensor *tx = &p->vals[x];
    if (tx->dtype != ONNXBN_FLOAT || tx->rank < 2 || tx->dims[tx->rank - 1] < 2 ||
        !row_stat_of(p, r1->out[0], tx))
        return false;
    const int64_t n = tx->dims[tx->rank - 1];
    int nd[8], other; /* Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add */
    float two, eps;
    nd[0] = sole_reader(p, r1->out[0]);
    if (nd[0] < 0 || !binary_with(p, nd[0], ONNXBN_OP_Sub, r1->out[0], &other) || other != x ||
        g->nodes[nd[0]].in[0] != x)
        return false;
    const int d = g->nodes[nd[0]].out[0];
    const onnxbn_value *dv = &g->values[d];
    if (dv->n_consumers != 2 || dv->output_index >= 0)
        return false;
    /* the Pow and the Div reading d, in either order of d's consumers */
    int pw = dv->consumers[0], dvd = dv->consumers[1];
    if (p->model->ops[pw].id != ONNXBN_OP_Pow) {
        pw = dv->consumers[1];
        dvd = dv->consumers[0];
    }
    nd[1] = pw;
    nd[5] = dvd;
    if (p->deferred[pw] || p->deferred[dvd] || !p->model->ops[pw].def || !p->model->ops[dvd].def)
        return false;
    if (!binary_with(p, pw, ONNXBN_OP_Pow, d, &other) || g->nodes[pw].in[0] != d ||
        !const_scalar(p, other, &two) || two != 2.0f)
        return false;
    if ((nd[2] = sole_reader(p, g->nodes[pw].out[0])) < 0 ||
        !unary_node(p, nd[2], ONNXBN_OP_ReduceMean) || !row_stat_of(p, g->nodes[nd[2]].out[0], tx))
        return false;
    if ((nd[3] = sole_reader(p, g->nodes[nd[2]].out[0])) < 0 ||
        !binary_with(p, nd[3], ONNXBN_OP_Add, g->nodes[nd[2]].out[0], &other) ||
        !const_scalar(p, other, &eps) || !(eps >= 0.0f) ||
        !row_stat_of(p, g->nodes[nd[3]].out[0], tx))
        return false;
    if ((nd[4] = sole_reader(p, g->nodes[nd[3]].out[0])) < 0 ||
        !unary_node(p, nd[4], ONNXBN_OP_Sqrt) || sole_reader(p, g->nodes[nd[4]].out[0]) != dvd ||
        !binary_with(p, dvd, ONNXBN_OP_Div, d, &other) || g->nodes[dvd].in[0] != d ||
        other != g->nodes[nd[4]].out[0])
        return false;
    int scale, bias;
    if ((nd[6] = sole_reader(p, g->nodes[dvd].out[0])) < 0 ||
        !binary_with(p, nd[6], ONNXBN_OP_Mul, g->nodes[dvd].out[0], &scale) || !const_row(p, scale, n))
        return false;
    if ((nd[7] = sole_reader(p, g->nodes[nd[6]].out[0])) < 0 ||
        !binary_with(p, nd[7], ONNXBN_OP_Add, g->nodes[nd[6]].out[0], &bias) || !const_row(p, bias, n))
        return false;
    /* d, the Div's, the Mul's and the last Add's outputs: all x's shape */
    const int full[] = {d, g->nodes[dvd].out[0], g->nodes[nd[6]].out[0], g->nodes[nd[7]].out[0]};
    for (int i = 0; i < 4; i++) {
        const onnxbn_tensor *t = &p->vals[full[i]];
        if (t->dtype != ONNXBN_FLOAT || t->rank != tx->rank || !same_bytes(t, tx))
            return false;
        for (int k = 0; k < t->rank; k++)
            if (t->dims[k] != tx->dims[k])
                return false;
    }
    int t[8];
    for (int i = 0; i < 8; i++)
        if ((t[i] = step_of(p, nd[i], s + 1)) < 0 || skip[t[i]])
            return false;
    onnxbn_kctx *c = &p->ctx[nd[0]];
    c->ln_scale = &p->vals[scale];
    c->ln_bias = &p->vals[bias];
    c->ln_eps = eps;
    skip[s] = true;
    for (int i = 1; i < 8; i++)
        skip[t[i]] = true;
    for (int i = 1; i < 4; i++)
        parent[full[i]] = d;
    return true;
}

/* Views and fused activations: decided per step, before lifetimes are known. Marks skip[s]. */
static void share_views(onnxbn_plan *p, int *parent, bool *skip)
{
    const onnxbn_graph *g = &p->model->graph;
    for (int s = 0; s < p->n_steps; s++) {
        if (skip[s])
            continue;
        const onnxbn_node *nd = &g->nodes[p->steps[s]];
        const unsigned flags = p->model->ops[nd->index].schema->flags;
        if (p->deferred[nd->index]) /* its shapes come at run time, its storage too */
            continue;
        if ((flags & ONNXBN_OP_ALIAS_INPUT0) && nd->n_in >= 1 && nd->in[0] >= 0 && nd->out[0] >= 0) {
            /* Only a pure view: every other input constant (infer checked it), no other output. */
            bool ok = p->kind[root_of(parent, nd->in[0])] == VAL_ARENA &&
                      same_bytes(&p->vals[nd->in[0]], &p->vals[nd->out[0]]);
            for (int k = 1; k < nd->n_in && ok; k++)
                ok = nd->in[k] < 0 || p->kind[nd->in[k]] == VAL_CONST;
            for (int k = 1; k < nd->n_out && ok; k++)
                ok = nd->out[k] < 0;
            if (ok) {
                parent[nd->out[0]] = root_of(parent, nd->in[0]);
                skip[s] = true;
            }
            continue;
        }
        if (fuse_linear(p, s, parent, skip) || fuse_layernorm(p, s, parent, skip))
            continue;
        int n4[4];
        float k[3];
        if (fusable_gelu(p, nd, n4, k)) {
            int t4[4], from = s + 1;
            bool ok = true;
            for (int i = 0; i < 4 && ok; i++)
                ok = (t4[i] = step_of(p, n4[i], from)) >= 0 && !skip[t4[i]];
            if (ok) {
                onnxbn_kctx *c = &p->ctx[nd->index];
                c->gelu = true;
                memcpy(c->gelu_k, k, sizeof k);
                for (int i = 0; i < 4; i++) {
                    parent[g->nodes[n4[i]].out[0]] = nd->out[0];
                    skip[t4[i]] = true;
                }
                continue;
            }
        }
        int m = fusable_silu(p, nd, s);
        if (m >= 0) {
            p->ctx[nd->index].silu = true;
            parent[g->nodes[p->steps[m]].out[0]] = nd->out[0];
            skip[m] = true;
            continue;
        }
        if (!(flags & ONNXBN_OP_FUSE_ACT) || nd->n_out < 1 || nd->out[0] < 0)
            continue;
        /* Conv, Gemm, MatMul (not the element-wise FUSE_ACT ops, whose Sigmoid and Mul keep
         * their own SiLU pass): every kind of act.h */
        const bool ext = !(flags & ONNXBN_OP_BROADCAST);
        if (ext && fuse_gated(p, nd, s, parent, skip))
            continue;
        int x = nd->out[0];
        const onnxbn_value *v = &g->values[x];
        if (v->n_consumers != 1 || v->output_index >= 0 || p->vals[x].dtype != ONNXBN_FLOAT)
            continue;
        const onnxbn_node *cn = &g->nodes[v->consumers[0]];
        int z, t;
        if (p->deferred[cn->index])
            continue;
        if ((flags & ONNXBN_OP_FUSE_ADD) && (z = fusable_add(p, cn, x, s)) >= 0 &&
            (t = step_of(p, cn->index, s + 1)) >= 0) {
            /* the Add's result is written where x would be; then an activation after it */
            p->ctx[nd->index].res = &p->vals[z];
            parent[cn->out[0]] = nd->out[0];
            skip[t] = true;
            x = cn->out[0];
            v = &g->values[x];
            if (v->n_consumers != 1 || v->output_index >= 0)
                continue;
            cn = &g->nodes[v->consumers[0]];
            if (p->deferred[cn->index])
                continue;
        }
        onnxbn_act act;
        if (cn->in[0] != x || !fusable_act(p, cn, &act, ext) || !same_bytes(&p->vals[x], &p->vals[cn->out[0]]))
            continue;
        if ((t = step_of(p, cn->index, s + 1)) >= 0) {
            p->ctx[nd->index].act = act;
            parent[cn->out[0]] = nd->out[0];
            skip[t] = true;
        }
    }
}

/* Concat without copies: when the concatenated axis has nothing but size-1 dims before it (the
 * fire modules of SqueezeNet and the branches of GoogLeNet at batch 1), each input is one
 * contiguous block of the output, so its producer writes there and the Concat leaves the steps.
 * An input's root storage becomes a piece of the output's (parent = the output, off = the
 * block's byte offset): only a root of the input's own size (not already a piece of another
 * Concat, as DenseNet's features, which several Concats read), in the arena, no graph output,
 * each once (64 inputs at most), every block starting on the arena's alignment. Its producers
 * then start the output's lifetime and its later readers extend it: the layout needs no more. */
static void share_concat(onnxbn_plan *p, int *parent, size_t *off, bool *skip)
{
    const onnxbn_graph *g = &p->model->graph;
    for (int s = 0; s < p->n_steps; s++) {
        const onnxbn_node *nd = &g->nodes[p->steps[s]];
        if (skip[s] || p->model->ops[nd->index].id != ONNXBN_OP_Concat ||
            p->deferred[nd->index] || nd->n_out != 1 || nd->out[0] < 0 || nd->n_in > 64)
            continue;
        const int y = nd->out[0];
        const onnxbn_tensor *ty = &p->vals[y];
        int64_t axis;
        if (parent[y] != y || p->kind[y] != VAL_ARENA || !ty->nbytes ||
            onnxbn_attr_int(&p->ctx[nd->index], "axis", 0, &axis))
            continue;
        if (axis < 0)
            axis += ty->rank;
        bool ok = axis >= 0 && axis < ty->rank;
        for (int d = 0; d < axis && ok; d++)
            ok = ty->dims[d] == 1;
        int roots[64];
        size_t at = 0;
        for (int k = 0; k < nd->n_in && ok; k++) {
            const int x = nd->in[k];
            const int r = x >= 0 ? root_of(parent, x) : -1;
            ok = r >= 0 && r != y && p->kind[r] == VAL_ARENA && p->vals[x].dtype == ty->dtype &&
                 same_bytes(&p->vals[r], &p->vals[x]) && p->vals[x].nbytes &&
                 at % ONNXBN_ALIGN == 0;
            for (int j = 0; j < k && ok; j++)
                ok = roots[j] != r;
            for (int o = 0; o < g->n_outputs && ok; o++)
                ok = root_of(parent, g->outputs[o]) != r;
            roots[k] = r;
            at += ok ? p->vals[x].nbytes : 0;
        }
        if (!ok || at != ty->nbytes)
            continue;
        at = 0;
        for (int k = 0; k < nd->n_in; k++) {
            parent[roots[k]] = y;
            off[roots[k]] = at;
            at += p->vals[nd->in[k]].nbytes;
        }
        skip[s] = true;
    }
}

/* The byte offset of id's storage in its root's: the pieces of a Concat's output on the way. */
static size_t offset_of(const int *parent, const size_t *off, int id)
{
    size_t at = 0;
    for (; parent[id] != id; id = parent[id])
        at += off[id];
    return at;
}

/* In place: an element-wise node writes over an input that dies at it. last[] is per root, in
 * step numbers (graph outputs: n_steps). */
static void share_inplace(onnxbn_plan *p, int *parent, int *last)
{
    const onnxbn_graph *g = &p->model->graph;
    for (int s = 0; s < p->n_steps; s++) {
        const onnxbn_node *nd = &g->nodes[p->steps[s]];
        if (p->deferred[nd->index] ||
            !onnxbn_op_has(p->model->ops[nd->index].id, ONNXBN_OP_INPLACE) || nd->n_out != 1 ||
            nd->out[0] < 0)
            continue;
        const int y = nd->out[0];
        if (parent[y] != y)
            continue;
        for (int k = 0; k < nd->n_in; k++) {
            if (nd->in[k] < 0)
                continue;
            const int r = root_of(parent, nd->in[k]);
            if (r == y || p->kind[r] != VAL_ARENA || last[r] != s ||
                !same_bytes(&p->vals[nd->in[k]], &p->vals[y]) ||
                p->vals[nd->in[k]].numel != p->vals[y].numel)
                continue;
            parent[y] = nd->in[k]; /* not r: the input may be a piece of r (share_concat) */
            if (last[y] > last[r])
                last[r] = last[y];
            break;
        }
    }
}

/* ---- building ---- */

/* An operator that takes tensors only is never handed a sequence or an empty optional: one check
 * here (at plan time, and at the run for a deferred node) rather than one in each def; the ops
 * flagged VALUES (schema/ops.def) check their inputs' kinds themselves. The implicit inputs after
 * the listed ones (names a subgraph reads from this scope) are not checked: the node only binds
 * them, and the subgraph's own plan checks what reads them (an If branch inside a Loop body
 * reading the body's carried sequence). */
static onnxbn_status check_kinds(const onnxbn_kctx *c, const onnxbn_op_schema *sc)
{
    if (sc->flags & ONNXBN_OP_VALUES)
        return ONNXBN_OK;
    const int n_args = onnxbn_node_arg_count(c->node);
    for (int k = 0; k < c->n_in && k < n_args; k++)
        if (c->in[k] && c->in[k]->kind != ONNXBN_KIND_TENSOR)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%.100s') is %s; %s takes tensors",
                                    k, onnxbn_node_input_name(c->node, k),
                                    onnxbn_kind_name(c->in[k]->kind), onnxbn_op_name(c));
    return ONNXBN_OK;
}

static onnxbn_status alloc_tables(onnxbn_plan *p, const onnxbn_graph *g, onnxbn_error *err)
{
    size_t slots = 0;
    for (int i = 0; i < g->n_nodes; i++)
        slots += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
    p->n_values = g->n_values;
    p->vals = calloc((size_t)g->n_values + 1, sizeof *p->vals);
    p->kind = calloc((size_t)g->n_values + 1, 1);
    p->ctx = calloc((size_t)g->n_nodes + 1, sizeof *p->ctx);
    p->in_ptrs = calloc(slots + 1, sizeof *p->in_ptrs);
    p->out_ptrs = calloc(slots + 1, sizeof *p->out_ptrs);
    p->steps = calloc((size_t)g->n_nodes + 1, sizeof *p->steps);
    p->out_copies = calloc((size_t)g->n_outputs + 1, sizeof *p->out_copies);
    p->deferred = calloc((size_t)g->n_nodes + 1, sizeof *p->deferred);
    if (!p->vals || !p->kind || !p->ctx || !p->in_ptrs || !p->out_ptrs || !p->steps ||
        !p->out_copies || !p->deferred)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    return ONNXBN_OK;
}

static onnxbn_status remember_key(onnxbn_plan *p, int n_fed, const int *fed_ids,
                                  const onnxbn_tensor *const *fed, const bool *need_value,
                                  uint64_t *budget, onnxbn_error *err)
{
    p->n_fed = n_fed;
    p->fed_ids = calloc((size_t)n_fed + 1, sizeof *p->fed_ids);
    p->fed_shapes = calloc((size_t)n_fed + 1, sizeof *p->fed_shapes);
    if (!p->fed_ids || !p->fed_shapes)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_fed; i++) {
        onnxbn_tensor *k = &p->fed_shapes[i];
        p->fed_ids[i] = fed_ids[i];
        *k = *fed[i];
        k->data = NULL;
        k->owns = false;
        if (!need_value || !need_value[fed_ids[i]] || fed[i]->kind != ONNXBN_KIND_TENSOR)
            continue;
        /* A value input: the plan keeps its contents (the key, and the constant infer reads). */
        if (fed[i]->nbytes && !fed[i]->data)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%s' has no data",
                               p->model->graph.values[fed_ids[i]].name);
        if (fed[i]->nbytes > *budget)
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "input '%s' is over the memory limit",
                               p->model->graph.values[fed_ids[i]].name);
        *budget -= fed[i]->nbytes;
        if (!(k->data = onnxbn_alloc(fed[i]->nbytes)))
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        k->owns = true;
        if (fed[i]->nbytes)
            memcpy(k->data, fed[i]->data, fed[i]->nbytes);
    }
    return ONNXBN_OK;
}

static onnxbn_string string_at(const void *src, int64_t i)
{
    return ((const onnxbn_string *)src)[i];
}

/* Runs a node whose inputs are all constant, now, into owned outputs. */
static onnxbn_status fold_stopped(onnxbn_kctx *c, onnxbn_status why)
{
    return onnxbn_node_fail(c, why, "%s while folding its constant inputs at plan time",
                            why == ONNXBN_ERR_CANCELLED ? "cancelled" : "timed out");
}

static onnxbn_status fold_node(onnxbn_plan *p, onnxbn_kctx *c, uint64_t *budget)
{
    for (int k = 0; k < c->n_out; k++) {
        onnxbn_tensor *t = c->out[k];
        if (!t)
            continue;
        if (t->nbytes > *budget)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "output %d needs %zu bytes, over the memory limit",
                                    k, t->nbytes);
        *budget -= t->nbytes;
        t->data = onnxbn_calloc_aligned(t->nbytes);
        if (!t->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", t->nbytes);
        t->owns = true;
        p->const_bytes += t->nbytes;
    }
    onnxbn_status st = ONNXBN_OK;
    void *scratch = NULL;
    if (c->workspace) {
        if (c->workspace > *budget)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "needs %zu scratch bytes, over the memory limit",
                                    c->workspace);
        if (!(scratch = onnxbn_alloc(c->workspace)))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", c->workspace);
    }
    c->scratch = scratch;
    c->stop = p->build_stop;
    if ((st = onnxbn_stop_reason(c->stop)))
        st = fold_stopped(c, st);
    if (!st && c->def->prepare)
        st = c->def->prepare(c);
    if (!st)
        st = c->def->run(c);
    /* A stopped kernel leaves its output unfinished: never a constant, never kept. */
    onnxbn_status why = st ? ONNXBN_OK : onnxbn_stop_reason(c->stop);
    if (why)
        st = fold_stopped(c, why);
    c->stop = NULL;
    c->scratch = NULL;
    onnxbn_free(scratch);
    /* A string output's bytes are the node state's, freed below: the folded value takes a copy
     * it owns (handles and bytes in one block). */
    for (int k = 0; !st && k < c->n_out; k++) {
        onnxbn_tensor *t = c->out[k], own;
        if (!t || t->dtype != ONNXBN_STRING)
            continue;
        st = onnxbn_tensor_init_strings(&own, t->rank, t->dims, string_at, t->data, budget, c->err);
        if (!st) {
            p->const_bytes += own.nbytes;
            onnxbn_tensor_release(t);
            *t = own;
        }
    }
    free_state(c);
    return st;
}

/* ---- weights-only values, kept across plans (plan.h) ---- */

static bool weights_only(const onnxbn_node_op *ops, const onnxbn_node *nd, const bool *fixed)
{
    const onnxbn_node_op *o = &ops[nd->index];
    if (!o->def || (o->schema->flags & (ONNXBN_OP_NO_CONST_FOLD | ONNXBN_OP_SHAPE_ONLY)))
        return false;
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && !fixed[nd->in[k]])
            return false;
    return true;
}

onnxbn_status onnxbn_kept_init(onnxbn_kept *k, const onnxbn_graph *g, const onnxbn_node_op *ops,
                               const bool *need_value, onnxbn_error *err)
{
    memset(k, 0, sizeof *k);
    size_t n = (size_t)g->n_values + 1;
    k->fixed = calloc(n, sizeof *k->fixed);
    k->drop = calloc(n, sizeof *k->drop);
    k->vals = calloc(n, sizeof *k->vals);
    if (!k->fixed || !k->drop || !k->vals)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_values; i++)
        k->fixed[i] = g->values[i].init && g->values[i].input_index < 0;
    for (int oi = 0; oi < g->n_nodes; oi++) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        if (weights_only(ops, nd, k->fixed))
            for (int j = 0; j < nd->n_out; j++)
                if (nd->out[j] >= 0)
                    k->fixed[nd->out[j]] = true;
    }
    for (int i = 0; i < g->n_values; i++) {
        const onnxbn_value *v = &g->values[i];
        bool drop = k->fixed[i] && v->init && v->output_index < 0 && v->n_consumers > 0 &&
                    !(need_value && need_value[i]);
        for (int j = 0; drop && j < v->n_consumers; j++) {
            const onnxbn_node *nd = &g->nodes[v->consumers[j]];
            drop = weights_only(ops, nd, k->fixed) ||
                   (ops[nd->index].def && (ops[nd->index].schema->flags & ONNXBN_OP_SHAPE_ONLY));
        }
        k->drop[i] = drop;
    }
    return ONNXBN_OK;
}

void onnxbn_kept_free(onnxbn_kept *k, int n_values)
{
    for (int i = 0; k->vals && i < n_values; i++)
        onnxbn_tensor_release(&k->vals[i]);
    free(k->vals);
    free(k->fixed);
    free(k->drop);
    memset(k, 0, sizeof *k);
}

/* A weights-only node: borrowed from `kept` when an earlier plan folded it, else folded now and
 * handed to `kept`; then each dropped weight it reads goes once every node reading it is
 * planned (ctx[i].node is set as the build loop reaches node i). Budget and constant bytes are
 * counted as for a fold of the plan's own, so limits and reports do not depend on the order. */
static onnxbn_status fold_kept(onnxbn_plan *p, onnxbn_kctx *c, onnxbn_kept *kept, uint64_t *budget)
{
    const onnxbn_node *nd = c->node;
    const onnxbn_graph *g = &p->model->graph;
    bool have = true;
    size_t bytes = 0;
    for (int k = 0; k < nd->n_out && have; k++) {
        int id = nd->out[k];
        if (id < 0)
            continue;
        const onnxbn_tensor *t = &kept->vals[id];
        have = t->data && t->dtype == p->vals[id].dtype && onnxbn_same_shape(t, &p->vals[id]) &&
               onnxbn_add_size(bytes, p->vals[id].nbytes, &bytes);
    }
    if (have && bytes <= *budget) {
        *budget -= bytes;
        p->const_bytes += bytes;
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0) {
                p->vals[nd->out[k]].data = kept->vals[nd->out[k]].data;
                p->vals[nd->out[k]].owns = false;
            }
        return ONNXBN_OK;
    }
    for (int k = 0; k < c->n_in; k++)
        if (c->in[k] && c->in[k]->nbytes && !c->in[k]->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "input %d was released after an earlier plan folded this node, "
                                    "which now has other output shapes", k);
    onnxbn_status st = fold_node(p, c, budget);
    if (st)
        return st;
    for (int k = 0; k < nd->n_out; k++) {
        int id = nd->out[k];
        /* A kept value other plans still borrow stays; this plan keeps its own (the session
         * holds several plans, plancache.c). */
        if (id < 0 || kept->vals[id].data)
            continue;
        kept->vals[id] = p->vals[id];
        p->vals[id].owns = false;
    }
    for (int k = 0; k < nd->n_in; k++) {
        int id = nd->in[k];
        if (id < 0 || !kept->drop[id] || !p->vals[id].data)
            continue;
        const onnxbn_value *v = &g->values[id];
        bool done = true;
        for (int j = 0; j < v->n_consumers && done; j++)
            done = p->ctx[v->consumers[j]].node != NULL;
        if (done) {
            kept->release(kept->ctx, id);
            p->vals[id].data = NULL;
        }
    }
    return ONNXBN_OK;
}

/* ---- deferred nodes ----
 * A node is deferred when its output shapes cannot be known before the run: an input is made by
 * a deferred node, or an input whose values decide its shapes is not a plan-time constant. The
 * inputs whose values decide are its VALUE_IN inputs (schema/ops.def); a DYNAMIC op that names
 * none (NonZero) depends on every input. An empty input decides nothing: it has no values. A
 * DYNAMIC node whose deciding inputs are all constant is planned like any other (and folded when
 * every input is constant); so is a node whose VALUE_IN inputs the session made constants. */
static bool waits_on_values(const onnxbn_plan *p, const onnxbn_node *nd, const onnxbn_op_schema *sc)
{
    const bool all = !sc->value_inputs && (sc->flags & ONNXBN_OP_DYNAMIC);
    for (int k = 0; k < nd->n_in; k++) {
        const int id = nd->in[k];
        if (id < 0 || !(all || (k < 32 && (sc->value_inputs >> k) & 1)))
            continue;
        if (p->kind[id] == VAL_RUN || (p->kind[id] != VAL_CONST && p->vals[id].numel != 0))
            return true;
    }
    return false;
}

/* Storage sharing first (views, fused activations: their nodes leave the steps), then lifetimes
 * of roots in step numbers (graph outputs live to the end), then in place; then one layout of the
 * roots and of each step's scratch, which lives for its step only. */
static onnxbn_status plan_arena(onnxbn_plan *p, uint64_t budget, onnxbn_error *err)
{
    const onnxbn_graph *g = &p->model->graph;
    onnxbn_status st = ONNXBN_OK;
    int n_spans = 0;
    span *spans = calloc((size_t)g->n_values + (size_t)p->n_steps + 1, sizeof *spans);
    int *first = malloc(((size_t)g->n_values + 1) * sizeof *first);
    int *parent = malloc(((size_t)g->n_values + 1) * sizeof *parent);
    int *last = malloc(((size_t)g->n_values + 1) * sizeof *last);
    bool *skip = calloc((size_t)p->n_steps + 1, sizeof *skip);
    size_t *off = calloc((size_t)g->n_values + 1, sizeof *off);
    if (!spans || !first || !parent || !last || !skip || !off) {
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < g->n_values; i++) {
        first[i] = last[i] = -1;
        parent[i] = i;
    }
    share_views(p, parent, skip);
    share_concat(p, parent, off, skip);
    int kept = 0;
    for (int s = 0; s < p->n_steps; s++)
        if (!skip[s])
            p->steps[kept++] = p->steps[s];
    p->n_steps = kept;
    for (int s = 0; s < p->n_steps; s++) {
        const onnxbn_node *nd = &g->nodes[p->steps[s]];
        for (int k = 0; k < nd->n_in + nd->n_out; k++) {
            int id = k < nd->n_in ? nd->in[k] : nd->out[k - nd->n_in];
            if (id >= 0)
                last[root_of(parent, id)] = s;
        }
        /* a fused Add's other input is read here, its own step gone */
        const onnxbn_tensor *res = p->ctx[nd->index].res;
        if (res)
            last[root_of(parent, (int)(res - p->vals))] = s;
    }
    for (int i = 0; i < g->n_outputs; i++)
        last[root_of(parent, g->outputs[i])] = p->n_steps;
    share_inplace(p, parent, last);
    /* Every sum the layout makes is at most the sum of all spans; bounding that (and each span by
     * the budget, before rounding) keeps sizes like 2^64 − 16 bytes from wrapping to a small
     * arena. */
    size_t all = 0;
    for (int s = 0; s < p->n_steps; s++) {
        const onnxbn_node *nd = &g->nodes[p->steps[s]];
        for (int k = 0; k < nd->n_out + 1; k++) {
            size_t size;
            int r = -1;
            if (k < nd->n_out) {
                if (nd->out[k] < 0)
                    continue;
                r = root_of(parent, nd->out[k]);
                if (first[r] >= 0 || p->kind[r] != VAL_ARENA)
                    continue;
                size = p->vals[r].nbytes;
            } else if (p->deferred[nd->index] || !(size = p->ctx[nd->index].workspace)) {
                continue; /* a deferred node's scratch comes from the run arena */
            }
            if (size > budget || size > SIZE_MAX / 4 || !onnxbn_add_size(all, ALIGN_UP(size), &all) ||
                all > SIZE_MAX / 4) {
                st = onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                                 "node '%s' (%s): %s needs %zu bytes, over the memory limit of the session",
                                 onnxbn_node_name(nd), onnxbn_node_op_type(nd),
                                 r >= 0 ? "an output" : "its scratch", size);
                goto done;
            }
            if (r >= 0) {
                first[r] = n_spans;
                spans[n_spans++] = (span){.id = r, .size = ALIGN_UP(size), .first = s, .last = last[r]};
            } else {
                spans[n_spans++] = (span){.id = -1 - nd->index, .size = ALIGN_UP(size), .first = s,
                                          .last = s};
            }
        }
    }
    size_t total = 0;
    if ((st = layout(spans, n_spans, p->n_steps, &total, &p->arena_lower_bound, err)) ||
        (st = check_layout(spans, n_spans, total, err)))
        goto done;
    if (total > budget) {
        st = onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                         "activations need %zu bytes, over the memory limit of the session", total);
        goto done;
    }
    p->arena_size = total;
    if (!(p->arena = onnxbn_alloc(total))) {
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes of activations", total);
        goto done;
    }
    /* Nodes without scratch get the arena's end: a valid pointer that they never read. */
    for (int s = 0; s < p->n_steps; s++)
        p->ctx[p->steps[s]].scratch = p->arena + total;
    for (int i = 0; i < n_spans; i++) {
        if (spans[i].id >= 0)
            p->vals[spans[i].id].data = p->arena + spans[i].off;
        else
            p->ctx[-1 - spans[i].id].scratch = p->arena + spans[i].off;
    }
    for (int i = 0; i < g->n_values; i++)
        if (p->kind[i] == VAL_ARENA && parent[i] != i)
            p->vals[i].data = (uint8_t *)p->vals[root_of(parent, i)].data + offset_of(parent, off, i);
done:
    free(spans);
    free(first);
    free(parent);
    free(last);
    free(skip);
    free(off);
    return st;
}

static onnxbn_status build(onnxbn_plan *p, const onnxbn_tensor *inits, int n_fed,
                           const int *fed_ids, const onnxbn_tensor *const *fed,
                           const bool *need_value, onnxbn_kept *kept, uint64_t budget,
                           onnxbn_error *err)
{
    const onnxbn_graph *g = &p->model->graph;
    onnxbn_status st = alloc_tables(p, g, err);
    if (!st)
        st = remember_key(p, n_fed, fed_ids, fed, need_value, &budget, err);
    if (st)
        return st;

    for (int i = 0; i < g->n_values; i++) {
        const onnxbn_value *v = &g->values[i];
        if (v->init) { /* a default until proven fed */
            p->vals[i] = inits[v->init_index];
            p->vals[i].owns = false;
            p->kind[i] = VAL_CONST;
        }
    }
    for (int i = 0; i < n_fed; i++) {
        p->vals[fed_ids[i]] = p->fed_shapes[i];
        p->vals[fed_ids[i]].owns = false; /* the key's copy owns value-input data */
        /* a fed sequence or optional is bound whole per run: its length and element shapes are
         * the run's, so what reads it is deferred as what reads a deferred node's output */
        p->kind[fed_ids[i]] = p->fed_shapes[i].owns                        ? VAL_CONST
                              : p->fed_shapes[i].kind != ONNXBN_KIND_TENSOR ? VAL_RUN
                                                                            : VAL_INPUT;
    }

    const onnxbn_tensor **in_pool = p->in_ptrs;
    onnxbn_tensor **out_pool = p->out_ptrs;
    for (int oi = 0; oi < g->n_nodes; oi++) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        const onnxbn_node_op *o = &p->model->ops[nd->index];
        onnxbn_kctx *c = &p->ctx[nd->index];
        c->node = nd;
        c->def = o->def;
        c->op = o->id;
        c->version = o->version;
        c->err = err;
        c->threads = p->model->opt.threads > 1 ? p->model->opt.threads : 1;
        c->n_in = nd->n_in;
        c->n_out = nd->n_out;
        c->subs = p->model->subs ? p->model->subs[nd->index] : NULL;
        c->graph = g;
        c->in = in_pool;
        c->out = out_pool;
        in_pool += nd->n_in;
        out_pool += nd->n_out;
        if (!o->def) {
            char label[ONNXBN_LABEL_MAX];
            return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "%s: operator %s (opset %lld) is not supported",
                               onnxbn_node_label(nd, label, sizeof label), nd->proto->op_type,
                               (long long)nd->opset);
        }
        bool all_const = true, defer = false;
        for (int k = 0; k < nd->n_in; k++) {
            int id = nd->in[k];
            if (id < 0) {
                c->in[k] = NULL;
                continue;
            }
            if (p->kind[id] == VAL_ABSENT) {
                const char *why = g->values[id].input_index >= 0 ? "a graph input that was not given"
                                                                 : "not computed";
                return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input '%s' is %s",
                                        g->values[id].name, why);
            }
            c->in[k] = &p->vals[id];
            all_const &= p->kind[id] == VAL_CONST;
            /* a planned sequence has its element headers only once it is written */
            defer |= p->kind[id] == VAL_RUN ||
                     (p->kind[id] != VAL_CONST && p->vals[id].kind == ONNXBN_KIND_SEQUENCE);
        }
        if ((st = check_kinds(c, o->schema)))
            return st;
        for (int k = 0; k < nd->n_out; k++) {
            int id = nd->out[k];
            c->out[k] = id < 0 ? NULL : &p->vals[id];
        }
        if (defer || waits_on_values(p, nd, o->schema)) {
            p->deferred[nd->index] = true;
            p->n_deferred++;
            for (int k = 0; k < nd->n_out; k++)
                if (nd->out[k] >= 0)
                    p->kind[nd->out[k]] = VAL_RUN;
            p->steps[p->n_steps++] = nd->index;
            continue;
        }
        if ((st = o->def->infer(c)))
            return st;
        for (int k = 0; k < nd->n_out; k++)
            if (c->out[k] && c->out[k]->dtype == ONNXBN_UNDEFINED &&
                c->out[k]->kind == ONNXBN_KIND_TENSOR) /* an empty optional may have none */
                return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                        "output %d ('%s') was given no type by the operator", k,
                                        g->values[nd->out[k]].name);
        if ((all_const && !(o->schema->flags & ONNXBN_OP_NO_CONST_FOLD)) ||
            (o->schema->flags & ONNXBN_OP_SHAPE_ONLY)) {
            st = kept && weights_only(p->model->ops, nd, kept->fixed) ? fold_kept(p, c, kept, &budget)
                                                       : fold_node(p, c, &budget);
            if (st)
                return st;
            for (int k = 0; k < nd->n_out; k++)
                if (nd->out[k] >= 0)
                    p->kind[nd->out[k]] = VAL_CONST;
            continue;
        }
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                p->kind[nd->out[k]] = VAL_ARENA;
        if (o->def->prepare && (st = o->def->prepare(c)))
            return st;
        p->steps[p->n_steps++] = nd->index;
    }

    if ((st = plan_arena(p, budget, err)))
        return st;
    p->run_budget = budget - p->arena_size; /* plan_arena kept the arena within the budget */

    /* A graph output that is a fed input is handed back as a copy the session owns. */
    for (int i = 0; i < g->n_outputs; i++) {
        int id = g->outputs[i];
        if (p->kind[id] == VAL_INPUT &&
            (st = onnxbn_tensor_init_alloc(&p->out_copies[i], p->vals[id].dtype, p->vals[id].rank,
                                           p->vals[id].dims, err)))
            return st;
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_plan_build(const onnxbn_model *m, const onnxbn_tensor *inits, int n_fed,
                                const int *fed_ids, const onnxbn_tensor *const *fed,
                                const bool *need_value, onnxbn_kept *kept, uint64_t budget,
                                onnxbn_stop *stop, onnxbn_plan **out, onnxbn_error *err)
{
    *out = NULL;
    onnxbn_plan *p = calloc(1, sizeof *p);
    if (!p)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    p->model = m;
    p->build_stop = stop;
    onnxbn_status st = build(p, inits, n_fed, fed_ids, fed, need_value, kept, budget, err);
    p->build_stop = NULL;
    if (st) {
        onnxbn_plan_free(p);
        return st;
    }
    *out = p;
    return ONNXBN_OK;
}

bool onnxbn_plan_matches(const onnxbn_plan *p, int n_fed, const int *fed_ids,
                         const onnxbn_tensor *const *fed)
{
    if (p->n_fed != n_fed)
        return false;
    for (int i = 0; i < n_fed; i++) {
        const onnxbn_tensor *k = &p->fed_shapes[i];
        if (p->fed_ids[i] != fed_ids[i] || k->kind != fed[i]->kind || k->dtype != fed[i]->dtype ||
            !onnxbn_same_shape(k, fed[i]))
            return false;
        if (k->owns && k->nbytes && (!fed[i]->data || memcmp(k->data, fed[i]->data, k->nbytes)))
            return false;
    }
    return true;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

onnxbn_status onnxbn_stop_reason(onnxbn_stop *s)
{
    if (!s)
        return ONNXBN_OK;
    if (atomic_load_explicit(&s->cancel, memory_order_relaxed))
        return ONNXBN_ERR_CANCELLED;
    if (s->deadline_ns && (int64_t)now_ns() >= s->deadline_ns)
        return ONNXBN_ERR_TIMEOUT;
    return ONNXBN_OK;
}

/* Why the run stops at step `s` (named in the message), or ONNXBN_OK. */
static onnxbn_status stop_at(const onnxbn_plan *p, int s, onnxbn_stop *stop, onnxbn_error *err)
{
    onnxbn_status st = onnxbn_stop_reason(stop);
    if (!st)
        return ONNXBN_OK;
    char label[ONNXBN_LABEL_MAX];
    onnxbn_node_label(p->ctx[p->steps[s]].node, label, sizeof label);
    return onnxbn_fail(err, st, st == ONNXBN_ERR_CANCELLED ? "run cancelled at %s (step %d of %d)"
                                                           : "run timed out at %s (step %d of %d)",
                       label, s + 1, p->n_steps);
}

/* ---- the run arena (plan.h) ---- */

#define RUN_BLOCK_MIN ((size_t)64 << 10)

/* Starts a run: nothing handed out. Blocks added by the last run become one block of the most it
 * held at once, so the same sizes fit without a new block; when that allocation fails the arena
 * starts empty and grows again as the run asks. */
static void run_reset(onnxbn_run_arena *a)
{
    a->used = a->live = 0;
    if (a->n <= 1) {
        a->peak = 0;
        return;
    }
    const size_t want = a->peak;
    for (int i = 0; i < a->n; i++)
        onnxbn_free(a->blk[i]);
    a->n = 0;
    a->total = a->peak = 0;
    if ((a->blk[0] = onnxbn_alloc(want))) {
        a->size[0] = want;
        a->total = want;
        a->n = 1;
    }
}

/* `bytes` (any count, 0 too: the pointer is never NULL) of output or scratch `what` of node c,
 * 64-byte aligned, valid until the next reset. */
/* A chunk asked for by no node (a fed value handed back) fails without a node's name. */
#define RUN_FAIL(c, ...) ((c)->node ? onnxbn_node_fail((c), __VA_ARGS__) : onnxbn_fail((c)->err, __VA_ARGS__))

static onnxbn_status run_alloc(onnxbn_plan *p, onnxbn_kctx *c, size_t bytes, const char *what,
                               void **out)
{
    onnxbn_run_arena *a = &p->run;
    if (bytes > SIZE_MAX / 4 || bytes > p->run_budget)
        return RUN_FAIL(c, ONNXBN_ERR_LIMIT, "%s needs %zu bytes, over the memory limit of the session",
                                what, bytes);
    const size_t need = ALIGN_UP(bytes ? bytes : 1);
    if (!a->n || a->size[a->n - 1] - a->used < need) {
        size_t size = a->n ? a->size[a->n - 1] * 2 : RUN_BLOCK_MIN;
        if (size < need)
            size = need;
        if (size > p->run_budget - a->total) /* total never passes the budget */
            size = need;
        if (size > p->run_budget - a->total || a->n == ONNXBN_RUN_BLOCKS)
            return RUN_FAIL(c, ONNXBN_ERR_LIMIT,
                                    "%s needs %zu bytes; with the %zu this run holds already that is "
                                    "over the memory limit of the session", what, bytes, a->live);
        if (!(a->blk[a->n] = onnxbn_alloc(size)))
            return RUN_FAIL(c, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes for %s", size, what);
        a->size[a->n++] = size;
        a->total += size;
        a->used = 0;
    }
    *out = a->blk[a->n - 1] + a->used;
    a->used += need;
    a->live += need;
    if (a->live > a->peak)
        a->peak = a->live;
    return ONNXBN_OK;
}

/* A deferred node's string output: its bytes are in the node's state, freed after the step, so
 * they move to the run arena, which holds them as it holds the handles (until the next run). */
static onnxbn_status strings_to_arena(onnxbn_plan *p, onnxbn_kctx *c, onnxbn_tensor *t)
{
    onnxbn_string *h = t->data;
    size_t total = 0;
    for (int64_t i = 0; i < t->numel; i++)
        if (!onnxbn_add_size(total, h[i].len, &total))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "string output too large");
    if (!total)
        return ONNXBN_OK;
    void *blk;
    onnxbn_status st = run_alloc(p, c, total, "its strings", &blk);
    if (st)
        return st;
    char *o = blk;
    for (int64_t i = 0; i < t->numel; i++) {
        if (h[i].len)
            memcpy(o, h[i].data, h[i].len);
        h[i].data = o;
        o += h[i].len;
    }
    return ONNXBN_OK;
}

/* A deferred step: the shape rule with every input's data, outputs and scratch from the run
 * arena, then prepare, run and free_state as one step; the scratch is given back after it. */
static onnxbn_status run_deferred(onnxbn_plan *p, onnxbn_kctx *c)
{
    const onnxbn_graph *g = &p->model->graph;
    const onnxbn_node *nd = c->node;
    for (int k = 0; k < c->n_out; k++)
        if (c->out[k])
            memset(c->out[k], 0, sizeof *c->out[k]);
    c->workspace = 0;
    c->scratch = NULL;
    onnxbn_status st = check_kinds(c, p->model->ops[nd->index].schema);
    if (!st)
        st = c->def->infer(c);
    if (st)
        return st;
    for (int k = 0; k < c->n_out; k++) {
        onnxbn_tensor *t = c->out[k];
        if (!t)
            continue;
        if (t->dtype == ONNXBN_UNDEFINED && t->kind == ONNXBN_KIND_TENSOR)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "output %d ('%s') was given no type by the operator", k,
                                    g->values[nd->out[k]].name);
        char what[32];
        snprintf(what, sizeof what, "output %d", k);
        if ((st = run_alloc(p, c, t->nbytes, what, &t->data)))
            return st;
    }
    void *scratch = p->arena + p->arena_size; /* never read when there is no workspace */
    if (c->workspace && (st = run_alloc(p, c, c->workspace, "its scratch", &scratch)))
        return st;
    const size_t held = c->workspace ? ALIGN_UP(c->workspace) : 0; /* run_alloc bounded it */
    c->scratch = scratch;
    if (c->def->prepare)
        st = c->def->prepare(c);
    if (!st)
        st = c->def->run(c);
    c->scratch = NULL;
    /* the scratch is the last chunk handed out, at the top of the last block: given back */
    p->run.used -= held;
    p->run.live -= held;
    for (int k = 0; !st && k < c->n_out; k++)
        if (c->out[k] && c->out[k]->dtype == ONNXBN_STRING)
            st = strings_to_arena(p, c, c->out[k]);
    free_state(c);
    return st;
}

/* Fed sequences and optionals (VAL_RUN inputs) are bound whole, shapes and all; one that is also
 * a graph output is handed back as a copy in the run arena, since the caller's value need live
 * only for the call. */
static onnxbn_status bind_values(onnxbn_plan *p, int n_fed, const int *fed_ids,
                                 const onnxbn_tensor *const *fed, onnxbn_error *err)
{
    const onnxbn_graph *g = &p->model->graph;
    for (int i = 0; i < n_fed; i++) {
        const int id = fed_ids[i];
        if (p->kind[id] != VAL_RUN)
            continue;
        p->vals[id] = *fed[i];
        p->vals[id].owns = false;
        if (g->values[id].output_index < 0 || !fed[i]->nbytes)
            continue;
        onnxbn_kctx none = {.node = NULL, .err = err};
        void *data;
        onnxbn_status st = run_alloc(p, &none, fed[i]->nbytes, "a graph output", &data);
        if (st)
            return st;
        p->vals[id].data = data;
        onnxbn_value_copy(&p->vals[id], fed[i]);
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_plan_run(onnxbn_plan *p, int n_fed, const int *fed_ids,
                              const onnxbn_tensor *const *fed, uint64_t *prof_ns,
                              uint64_t *prof_runs, onnxbn_stop *stop, onnxbn_error *err)
{
    const onnxbn_graph *g = &p->model->graph;
    for (int i = 0; i < n_fed; i++)
        if (p->kind[fed_ids[i]] == VAL_INPUT) /* read only: kernels never write their inputs */
            p->vals[fed_ids[i]].data = fed[i]->data;
    run_reset(&p->run);
    onnxbn_status bst = bind_values(p, n_fed, fed_ids, fed, err);
    if (bst)
        return bst;
    for (int s = 0; s < p->n_steps; s++) {
        onnxbn_kctx *c = &p->ctx[p->steps[s]];
        c->err = err;
        c->pool = p->pool;
        c->stop = stop;
        onnxbn_status st = stop_at(p, s, stop, err);
        uint64_t t0 = prof_ns ? now_ns() : 0;
        if (!st)
            st = p->deferred[p->steps[s]] ? run_deferred(p, c) : c->def->run(c);
        /* a kernel that saw the request left its output unfinished: it must not count as done */
        if (!st)
            st = stop_at(p, s, stop, err);
        if (st)
            return st;
        if (prof_ns) {
            prof_ns[p->steps[s]] += now_ns() - t0;
            prof_runs[p->steps[s]]++;
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int id = g->outputs[i];
        if (p->kind[id] == VAL_INPUT && p->vals[id].nbytes)
            memcpy(p->out_copies[i].data, p->vals[id].data, p->vals[id].nbytes);
    }
    for (int i = 0; i < n_fed; i++)
        if (p->kind[fed_ids[i]] == VAL_INPUT)
            p->vals[fed_ids[i]].data = NULL;
    return ONNXBN_OK;
}
