/* SPDX-License-Identifier: Apache-2.0 */
/* cleanup.c — the passes deployment wants next to folding: Identity and inference Dropout out,
 * Constant nodes into initializers, unused nodes, initializers and value_info pruned. */
#include "convert.h"

#include <stdlib.h>
#include <string.h>

/* ---- bypassing a node whose output equals its input ---- */

typedef struct rename {
    Onnx__NodeProto *np;
    bool out;
    size_t k;
    char *s;
} rename_t;

/* Queues "every read of value `from` now reads `to`" (skipping node `skip`). */
static bool queue_reads(fz *z, int from, const char *to, const onnxbn_node *skip, rename_t *v,
                        size_t *n)
{
    const onnxbn_value *val = &z->g.values[from];
    for (int c = 0; c < val->n_consumers; c++) {
        const onnxbn_node *nd = &z->g.nodes[val->consumers[c]];
        if (nd == skip)
            continue;
        for (int k = 0; k < nd->n_args; k++) { /* implicit reads: fz_subref refused them */
            if (nd->in[k] != from)
                continue;
            bool dup = false; /* a node reading the value twice is listed twice */
            for (size_t j = 0; j < *n && !dup; j++)
                dup = v[j].np == nd->proto && !v[j].out && v[j].k == (size_t)k;
            if (dup)
                continue;
            v[*n] = (rename_t){(Onnx__NodeProto *)nd->proto, false, (size_t)k, strdup(to)};
            if (!v[(*n)++].s)
                return false;
        }
    }
    return true;
}

/* Removes node `nd` whose output `y` equals its input `x`. Returns FZ_SKIP when the names cannot
 * be joined without touching a subgraph, a graph input or a graph output's name. */
static fz_res bypass(fz *z, const onnxbn_node *nd, int x, int y)
{
    const onnxbn_value *vx = &z->g.values[x], *vy = &z->g.values[y];
    if (fz_subref(z, y))
        return FZ_SKIP;
    bool keep_y = vy->output_index >= 0;
    if (keep_y && (vx->producer < 0 || vx->output_index >= 0 || fz_subref(z, x)))
        return FZ_SKIP; /* both names must survive, or x cannot be renamed */
    size_t cap = (size_t)vx->n_consumers + (size_t)vy->n_consumers + 2, n = 0;
    rename_t *v = calloc(cap, sizeof *v);
    if (!v)
        return fz_nomem(z);
    bool ok;
    char *gone;
    if (!keep_y) {
        ok = queue_reads(z, y, vx->name, nd, v, &n);
        gone = strdup(vy->name);
    } else {
        /* y is a graph output: x's producer writes y directly, x's other readers follow. */
        const onnxbn_node *p = &z->g.nodes[vx->producer];
        v[n] = (rename_t){(Onnx__NodeProto *)p->proto, true, (size_t)vx->producer_slot,
                          strdup(vy->name)};
        ok = v[n++].s && queue_reads(z, x, vy->name, nd, v, &n);
        gone = strdup(vx->name);
    }
    /* The renamed nodes, read again by the index once the edit is done. */
    Onnx__NodeProto **touched = malloc((n + 1) * sizeof *touched);
    if (!ok || !gone || !touched) {
        for (size_t i = 0; i < n; i++)
            free(v[i].s);
        free(v);
        free(gone);
        free(touched);
        return fz_nomem(z);
    }
    for (size_t i = 0; i < n; i++) {
        char **arr = v[i].out ? v[i].np->output : v[i].np->input;
        free(arr[v[i].k]);
        arr[v[i].k] = v[i].s;
        touched[i] = v[i].np;
    }
    int at = nd->index;
    fz_remove_node(z->gp, nd->proto);
    onnxbn_graph_node_removed(&z->g, at);
    fz_drop_value_info(z->gp, gone);
    onnxbn_graph_info_reload(&z->g, gone);
    free(gone);
    free(v);
    fz_res r = fz_sync(z, touched, (int)n);
    free(touched);
    return r == FZ_ERR ? FZ_ERR : FZ_OK;
}

/* Repeats `step` over the nodes until a whole scan changes nothing. */
static fz_res sweep(fz *z, fz_res (*step)(fz *, const onnxbn_node *, bool *), int *count)
{
    for (;;) {
        bool changed = false;
        for (int k = 0; k < z->g.n_nodes && !changed; k++) {
            fz_res r = step(z, &z->g.nodes[z->g.order[k]], &changed);
            if (r == FZ_ERR)
                return r;
        }
        if (!changed)
            return FZ_OK;
        (*count)++;
    }
}

static fz_res identity_step(fz *z, const onnxbn_node *nd, bool *changed)
{
    if (!fz_is_op(z, nd, ONNXBN_OP_Identity) || nd->n_in < 1 || nd->in[0] < 0 || nd->n_out < 1 ||
        nd->out[0] < 0)
        return FZ_SKIP;
    fz_res r = bypass(z, nd, nd->in[0], nd->out[0]);
    *changed = r == FZ_OK;
    return r;
}

fz_res fz_pass_remove_identity(fz *z)
{
    return sweep(z, identity_step, &z->rep->stats.identity_removed);
}

/* Dropout is the identity in inference: always from version 7 up to 11; with is_test=1 before;
 * from 12 when training_mode is absent or a constant false. Its mask must be unused. */
static fz_res dropout_step(fz *z, const onnxbn_node *nd, bool *changed)
{
    if (!fz_is_op(z, nd, ONNXBN_OP_Dropout) || nd->n_in < 1 || nd->in[0] < 0 || nd->n_out < 1 ||
        nd->out[0] < 0)
        return FZ_SKIP;
    for (int k = 1; k < nd->n_out; k++)
        if (nd->out[k] >= 0 && fz_uses(z, nd->out[k]) > 0)
            return FZ_SKIP;
    if (z->opset < 7) {
        int64_t is_test;
        if (!fz_attr_i(nd->proto, "is_test", 0, &is_test) || !is_test)
            return FZ_SKIP;
    } else if (z->opset >= 12 && nd->n_in >= 3 && nd->in[2] >= 0) {
        onnxbn_tensor t;
        fz_res r = fz_const(z, nd->in[2], "training_mode", &t);
        if (r)
            return r;
        bool on = false;
        for (int64_t i = 0; i < t.numel && onnxbn_dtype_is_numeric(t.dtype); i++)
            on = on || onnxbn_get_f64(&t, i) != 0;
        bool numeric = onnxbn_dtype_is_numeric(t.dtype);
        onnxbn_tensor_release(&t);
        if (on || !numeric)
            return FZ_SKIP;
    }
    fz_res r = bypass(z, nd, nd->in[0], nd->out[0]);
    *changed = r == FZ_OK;
    return r;
}

fz_res fz_pass_remove_dropout(fz *z)
{
    return sweep(z, dropout_step, &z->rep->stats.dropout_removed);
}

/* ---- Constant nodes into initializers ---- */

static Onnx__TensorProto *new_tensor(const char *name, int32_t dt, size_t rank, size_t n)
{
    Onnx__TensorProto *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    onnx__tensor_proto__init(t);
    t->name = strdup(name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->dims = malloc((rank + 1) * sizeof *t->dims);
    if (t->dims && rank) {
        t->n_dims = rank;
        t->dims[0] = (int64_t)n;
    }
    if (!t->name || !t->dims) {
        onnx__tensor_proto__free_unpacked(t, NULL);
        return NULL;
    }
    return t;
}

/* The initializer a Constant stands for: *steal set when the tensor is the node's own `value`
 * (moved out at commit). NULL with *unsupported for forms kept as nodes (sparse). */
static Onnx__TensorProto *constant_tensor(const Onnx__NodeProto *np, const char *name,
                                          Onnx__AttributeProto **steal, bool *unsupported)
{
    *steal = NULL;
    *unsupported = false;
    if (np->n_attribute != 1) {
        *unsupported = true;
        return NULL;
    }
    Onnx__AttributeProto *a = np->attribute[0];
    const char *an = onnxbn_str(a->name);
    Onnx__TensorProto *t = NULL;
    if (!strcmp(an, "value") && a->t) {
        *steal = a;
        return a->t;
    }
    if (!strcmp(an, "value_float") && a->has_f) {
        if ((t = new_tensor(name, ONNXBN_FLOAT, 0, 1)) && (t->float_data = malloc(sizeof(float)))) {
            t->n_float_data = 1;
            t->float_data[0] = a->f;
        }
    } else if (!strcmp(an, "value_floats")) {
        if ((t = new_tensor(name, ONNXBN_FLOAT, 1, a->n_floats)) &&
            (t->float_data = malloc((a->n_floats + 1) * sizeof(float)))) {
            t->n_float_data = a->n_floats;
            if (a->n_floats)
                memcpy(t->float_data, a->floats, a->n_floats * sizeof(float));
        }
    } else if (!strcmp(an, "value_int") && a->has_i) {
        if ((t = new_tensor(name, ONNXBN_INT64, 0, 1)) && (t->int64_data = malloc(sizeof(int64_t)))) {
            t->n_int64_data = 1;
            t->int64_data[0] = a->i;
        }
    } else if (!strcmp(an, "value_ints")) {
        if ((t = new_tensor(name, ONNXBN_INT64, 1, a->n_ints)) &&
            (t->int64_data = malloc((a->n_ints + 1) * sizeof(int64_t)))) {
            t->n_int64_data = a->n_ints;
            if (a->n_ints)
                memcpy(t->int64_data, a->ints, a->n_ints * sizeof(int64_t));
        }
    } else {
        *unsupported = true; /* sparse_value, strings: left as they are */
        return NULL;
    }
    if (t && !t->float_data && !t->int64_data) {
        onnx__tensor_proto__free_unpacked(t, NULL);
        t = NULL;
    }
    return t;
}

static Onnx__ValueInfoProto *tensor_vi(const Onnx__TensorProto *t, const char *name)
{
    return fz_new_tensor_vi(name, t->data_type, t->n_dims, t->dims);
}

static fz_res constant_step(fz *z, const onnxbn_node *nd, bool *changed)
{
    if (!fz_is_op(z, nd, ONNXBN_OP_Constant) || nd->n_out != 1 || nd->out[0] < 0)
        return FZ_SKIP;
    int y = nd->out[0];
    if (z->g.values[y].output_index >= 0)
        return FZ_SKIP; /* a graph output stays a node's output */
    const char *name = z->g.values[y].name;
    Onnx__AttributeProto *steal;
    bool unsupported;
    Onnx__TensorProto *t = constant_tensor(nd->proto, name, &steal, &unsupported);
    if (unsupported)
        return FZ_SKIP;
    if (!t)
        return fz_nomem(z);
    char *tname = steal ? strdup(name) : NULL;
    Onnx__ValueInfoProto *vi = z->ir < 4 ? tensor_vi(t, name) : NULL;
    Onnx__GraphProto *gp = z->gp;
    Onnx__TensorProto **inits = realloc(gp->initializer, (gp->n_initializer + 1) * sizeof *inits);
    if (inits)
        gp->initializer = inits;
    Onnx__ValueInfoProto **ins = NULL;
    if (vi && (ins = realloc(gp->input, (gp->n_input + 1) * sizeof *ins)))
        gp->input = ins;
    if ((steal && !tname) || (z->ir < 4 && (!vi || !ins)) || !inits) {
        free(tname);
        if (vi)
            onnx__value_info_proto__free_unpacked(vi, NULL);
        if (!steal)
            onnx__tensor_proto__free_unpacked(t, NULL);
        return fz_nomem(z);
    }
    if (steal) {
        steal->t = NULL;
        free(t->name);
        t->name = tname;
    }
    gp->initializer[gp->n_initializer++] = t;
    if (vi)
        gp->input[gp->n_input++] = vi;
    int at = nd->index;
    fz_remove_node(gp, nd->proto);
    *changed = true;
    onnxbn_graph_node_removed(&z->g, at);
    if (onnxbn_graph_init_added(&z->g, (int)gp->n_initializer - 1, vi ? (int)gp->n_input - 1 : -1,
                                &z->err))
        return FZ_ERR;
    return fz_sync(z, NULL, 0) == FZ_ERR ? FZ_ERR : FZ_OK;
}

fz_res fz_pass_fold_constants(fz *z)
{
    return sweep(z, constant_step, &z->rep->stats.constants_folded);
}

/* ---- prune ---- */

static bool node_dead(const fz *z, const onnxbn_node *nd)
{
    for (int k = 0; k < nd->n_out; k++)
        if (nd->out[k] >= 0 && fz_uses(z, nd->out[k]) > 0)
            return false;
    return true;
}

fz_res fz_pass_prune(fz *z)
{
    Onnx__GraphProto *gp = z->gp;
    onnxbn_fuse_stats *st = &z->rep->stats;
    /* Dead nodes: each sweep removes those whose outputs nobody reads, until none is left. */
    const Onnx__NodeProto **dead = calloc((size_t)z->g.n_nodes + 1, sizeof *dead);
    if (!dead)
        return fz_nomem(z);
    for (;;) {
        int removed = 0;
        /* Reader counts are not updated within a sweep: stale counts can only keep a dead
         * node until the next sweep, never remove a live one. */
        for (int k = z->g.n_nodes - 1; k >= 0; k--)
            if (node_dead(z, &z->g.nodes[z->g.order[k]]))
                dead[removed++] = z->g.nodes[z->g.order[k]].proto;
        for (int i = 0; i < removed; i++) {
            int at = -1;
            for (int j = 0; j < z->g.n_nodes && at < 0; j++)
                if (z->g.nodes[j].proto == dead[i])
                    at = j;
            if (at >= 0 && fz_remove_node(gp, dead[i]))
                onnxbn_graph_node_removed(&z->g, at);
        }
        if (!removed)
            break;
        st->nodes_pruned += removed;
        if (fz_sync(z, NULL, 0)) {
            free(dead);
            return FZ_ERR;
        }
    }
    free(dead);
    /* Initializers nothing reads (IR >= 4 ones that are also inputs are interface: kept). */
    const Onnx__TensorProto **doomed = calloc(gp->n_initializer + 1, sizeof *doomed);
    if (!doomed)
        return fz_nomem(z);
    size_t nd = 0;
    for (int i = 0; i < z->g.n_values; i++) {
        const onnxbn_value *v = &z->g.values[i];
        if (!v->init || fz_uses(z, i) > 0 || (v->input_index >= 0 && z->ir >= 4))
            continue;
        doomed[nd++] = v->init;
    }
    for (size_t d = 0; d < nd; d++) {
        /* The name belongs to the tensor: drop the input entry and value_info first. */
        const char *name = doomed[d]->name;
        int vid = onnxbn_graph_find(&z->g, name);
        const onnxbn_value *v = &z->g.values[vid];
        int at = v->init_index, in_at = v->input_index;
        fz_remove_input(gp, name);
        if (in_at >= 0)
            onnxbn_graph_input_removed(&z->g, in_at);
        fz_drop_value_info(gp, name);
        fz_remove_initializer(gp, doomed[d]);
        onnxbn_graph_init_removed(&z->g, at);
        onnxbn_graph_info_reload(&z->g, z->g.values[vid].name);
    }
    free(doomed);
    st->initializers_pruned += (int)nd;
    if (nd && fz_sync(z, NULL, 0))
        return FZ_ERR;
    /* value_info for names the graph no longer has, and repeats of one name. */
    size_t k = 0;
    int dropped = 0;
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const char *name = onnxbn_str(gp->value_info[i]->name);
        bool stale = onnxbn_graph_find(&z->g, name) < 0 && !fz_names_has(&z->subref, name);
        for (size_t j = 0; j < k && !stale; j++)
            stale = !strcmp(onnxbn_str(gp->value_info[j]->name), name);
        if (stale) {
            onnx__value_info_proto__free_unpacked(gp->value_info[i], NULL);
            dropped++;
        } else {
            gp->value_info[k++] = gp->value_info[i];
        }
    }
    gp->n_value_info = k;
    st->value_info_pruned += dropped;
    /* The entries dropped name no value, or repeat one whose first entry stays: the index's
     * declared types still point at live entries. */
    return FZ_OK;
}
