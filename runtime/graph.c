/* SPDX-License-Identifier: Apache-2.0 */
/* graph.c — builds the index over a GraphProto (names → producer, consumers, initializer, graph
 * input/output), orders the nodes topologically, checks the structure, and follows edits in place. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* FNV-1a from a random start, then a full mix: the low bits FNV alone gives depend only on the
 * low bits of each step, so names whose slots collide would be cheap to make, and a file full of
 * them would turn every lookup into a scan of the table. */
uint64_t onnxbn_hash_str(uint64_t seed, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

uint64_t onnxbn_hash_seed(const void *salt)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
        return s;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)salt;
}

/* Any value of that name, mentioned or not; -1 when the name was never seen. */
static int find_any(const onnxbn_graph *g, const char *name)
{
    if (!name || !*name || !g->hash_cap)
        return -1;
    size_t mask = g->hash_cap - 1;
    for (size_t i = onnxbn_hash_str(g->hash_seed, name) & mask;; i = (i + 1) & mask) {
        int id = g->hash[i];
        if (id < 0)
            return -1;
        if (!strcmp(g->values[id].name, name))
            return id;
    }
}

static bool mentioned(const onnxbn_value *v)
{
    return v->producer >= 0 || v->init || v->input_index >= 0 || v->n_consumers > 0;
}

int onnxbn_graph_find(const onnxbn_graph *g, const char *name)
{
    int id = find_any(g, name);
    return id >= 0 && mentioned(&g->values[id]) ? id : -1;
}

/* Keeps a block an edit allocated, for onnxbn_graph_free. */
static bool own(onnxbn_graph *g, void *p)
{
    if (!p)
        return false;
    if (g->n_owned == g->cap_owned) {
        size_t cap = g->cap_owned ? 2 * g->cap_owned : 16;
        void **v = realloc(g->owned, cap * sizeof *v);
        if (!v) {
            free(p);
            return false;
        }
        g->owned = v;
        g->cap_owned = cap;
    }
    g->owned[g->n_owned++] = p;
    return true;
}

/* The index's copy of a name, from blocks of at least 4 KiB. */
static const char *own_name(onnxbn_graph *g, const char *name)
{
    size_t len = strlen(name) + 1;
    if (len > g->name_left) {
        size_t cap = len > 4096 ? len : 4096;
        char *b = malloc(cap);
        if (!own(g, b))
            return NULL;
        g->name_buf = b;
        g->name_left = cap;
    }
    char *copy = g->name_buf;
    memcpy(copy, name, len);
    g->name_buf += len;
    g->name_left -= len;
    return copy;
}

static bool rehash(onnxbn_graph *g, size_t cap)
{
    int *h = malloc(cap * sizeof *h);
    if (!h)
        return false;
    memset(h, 0xff, cap * sizeof *h);
    for (int id = 0; id < g->n_values; id++) {
        size_t i = onnxbn_hash_str(g->hash_seed, g->values[id].name) & (cap - 1);
        while (h[i] >= 0)
            i = (i + 1) & (cap - 1);
        h[i] = id;
    }
    free(g->hash);
    g->hash = h;
    g->hash_cap = cap;
    return true;
}

/* Finds or adds the value `name` (-1: out of memory). A build sizes the tables for every name up
 * front; names an edit adds grow them. */
static int intern(onnxbn_graph *g, const char *name)
{
    size_t mask = g->hash_cap - 1;
    size_t i = onnxbn_hash_str(g->hash_seed, name) & mask;
    for (;; i = (i + 1) & mask) {
        int id = g->hash[i];
        if (id < 0)
            break;
        if (!strcmp(g->values[id].name, name))
            return id;
    }
    if (g->n_values >= g->values_cap) {
        int cap = 2 * g->values_cap + 16;
        onnxbn_value *v = realloc(g->values, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        g->values = v;
        g->values_cap = cap;
    }
    if (2 * ((size_t)g->n_values + 1) > g->hash_cap) {
        if (!rehash(g, 2 * g->hash_cap))
            return -1;
        return intern(g, name);
    }
    const char *copy = own_name(g, name);
    if (!copy)
        return -1;
    int id = g->n_values++;
    onnxbn_value *v = &g->values[id];
    memset(v, 0, sizeof *v);
    v->name = copy;
    v->producer = -1;
    v->init_index = v->input_index = v->output_index = -1;
    g->hash[i] = id;
    return id;
}

const char *onnxbn_node_label(const onnxbn_node *n, char *buf, size_t cap)
{
    const char *name = onnxbn_str(n->proto->name);
    if (*name)
        snprintf(buf, cap, "node '%.80s' (%.60s)", name, onnxbn_str(n->proto->op_type));
    else
        snprintf(buf, cap, "node #%d (%.60s)", n->index, onnxbn_str(n->proto->op_type));
    return buf;
}

onnxbn_status onnxbn_node_err(const onnxbn_node *n, onnxbn_error *err, onnxbn_status st,
                              const char *fmt, ...)
{
    char label[ONNXBN_LABEL_MAX];
    va_list ap;
    va_start(ap, fmt);
    onnxbn_vfail(err, st, fmt, ap);
    va_end(ap);
    onnxbn_err_prefix(err, "%s", onnxbn_node_label(n, label, sizeof label));
    return st;
}

int64_t onnxbn_model_opset_for(const Onnx__ModelProto *m, const char *domain)
{
    bool dflt = !*domain || !strcmp(domain, "ai.onnx");
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = onnxbn_str(m->opset_import[i]->domain);
        if (dflt ? (!*d || !strcmp(d, "ai.onnx")) : !strcmp(d, domain))
            return m->opset_import[i]->has_version ? m->opset_import[i]->version : 1;
    }
    return -1;
}

int onnxbn_attr_proto_type(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return (int)a->type;
    /* IR 1 files carry no type: tell it by the field that is set. */
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    return 0;
}

const char *onnxbn_attr_type_name(int t)
{
    switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return "FLOAT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return "INT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return "STRING";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return "TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "GRAPH";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return "FLOATS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return "INTS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "STRINGS";
    default: return "UNDEFINED";
    }
}

/* Kahn's algorithm, taking ready nodes in file order so the order is stable. */
static onnxbn_status topo_sort(onnxbn_graph *g, onnxbn_error *err)
{
    int n = g->n_nodes;
    int *indeg = calloc((size_t)n + 1, sizeof *indeg);
    if (!indeg)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0 && g->values[v].producer >= 0)
                indeg[i]++;
        }
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (!indeg[i])
            g->order[tail++] = i;
    while (head < tail) {
        const onnxbn_node *nd = &g->nodes[g->order[head++]];
        for (int k = 0; k < nd->n_out; k++) {
            int v = nd->out[k];
            if (v < 0)
                continue;
            const onnxbn_value *val = &g->values[v];
            for (int c = 0; c < val->n_consumers; c++)
                if (--indeg[val->consumers[c]] == 0)
                    g->order[tail++] = val->consumers[c];
        }
    }
    onnxbn_status st = ONNXBN_OK;
    if (tail < n) {
        for (int i = 0; i < n; i++)
            if (indeg[i] > 0) {
                st = onnxbn_node_err(&g->nodes[i], err, ONNXBN_ERR_MODEL,
                              "is part of a cycle: its inputs depend on its own outputs");
                break;
            }
    }
    free(indeg);
    return st;
}

/* Strips trailing empty names: "A,B,," has two inputs. */
static int trimmed(char **names, size_t n)
{
    while (n > 0 && (!names[n - 1] || !*names[n - 1]))
        n--;
    return (int)n;
}

/* ---- names subgraphs read from enclosing scopes ---- */

typedef struct namelist {
    const char **v;
    size_t n, cap;
    int *slot;          /* open addressing over v: index or -1; a subgraph may be large, and a
                           file crafted with many names must not make the walk quadratic */
    size_t slots;
    uint64_t seed;
} namelist;

static void nl_free(namelist *l)
{
    free(l->v);
    free(l->slot);
}

static bool nl_has(const namelist *l, const char *s)
{
    if (!l->slots)
        return false;
    for (size_t i = onnxbn_hash_str(l->seed, s) & (l->slots - 1);; i = (i + 1) & (l->slots - 1)) {
        if (l->slot[i] < 0)
            return false;
        if (!strcmp(l->v[l->slot[i]], s))
            return true;
    }
}

static bool nl_add(namelist *l, const char *s)
{
    if (!s || !*s || nl_has(l, s))
        return true;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    if (2 * (l->n + 1) > l->slots) {
        size_t slots = l->slots ? 2 * l->slots : 32;
        int *slot = malloc(slots * sizeof *slot);
        if (!slot)
            return false;
        memset(slot, 0xff, slots * sizeof *slot);
        if (!l->slots)
            l->seed = onnxbn_hash_seed(l);
        for (size_t k = 0; k < l->n; k++) {
            size_t i = onnxbn_hash_str(l->seed, l->v[k]) & (slots - 1);
            while (slot[i] >= 0)
                i = (i + 1) & (slots - 1);
            slot[i] = (int)k;
        }
        free(l->slot);
        l->slot = slot;
        l->slots = slots;
    }
    size_t i = onnxbn_hash_str(l->seed, s) & (l->slots - 1);
    while (l->slot[i] >= 0)
        i = (i + 1) & (l->slots - 1);
    l->slot[i] = (int)l->n;
    l->v[l->n++] = s;
    return true;
}

static bool graph_free_names(const Onnx__GraphProto *gp, namelist *out)
{
    namelist def = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < gp->n_input; i++)
        ok = nl_add(&def, gp->input[i]->name);
    for (size_t i = 0; ok && i < gp->n_initializer; i++)
        ok = nl_add(&def, gp->initializer[i]->name);
    for (size_t i = 0; ok && i < gp->n_node; i++)
        for (size_t k = 0; ok && k < gp->node[i]->n_output; k++)
            ok = nl_add(&def, gp->node[i]->output[k]);
    for (size_t i = 0; ok && i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t k = 0; ok && k < np->n_input; k++)
            if (np->input[k] && *np->input[k] && !nl_has(&def, np->input[k]))
                ok = nl_add(out, np->input[k]);
        for (size_t a = 0; ok && a < np->n_attribute; a++) {
            const Onnx__AttributeProto *at = np->attribute[a];
            for (size_t j = 0; ok && j < at->n_graphs + (at->g != NULL); j++) {
                namelist inner = {0};
                ok = graph_free_names(j < at->n_graphs ? at->graphs[j] : at->g, &inner);
                for (size_t q = 0; ok && q < inner.n; q++)
                    if (!nl_has(&def, inner.v[q]))
                        ok = nl_add(out, inner.v[q]);
                nl_free(&inner);
            }
        }
    }
    nl_free(&def);
    return ok;
}

bool onnxbn_graph_free_names(const Onnx__GraphProto *gp, const char ***names, size_t *n)
{
    namelist l = {0};
    bool ok = graph_free_names(gp, &l);
    free(l.slot);
    if (!ok)
        free(l.v);
    *names = ok ? l.v : NULL;
    *n = ok ? l.n : 0;
    return ok;
}

/* The free names of all of node np's subgraphs, appended to l. */
static bool node_free_names(const Onnx__NodeProto *np, namelist *l)
{
    bool ok = true;
    for (size_t a = 0; ok && a < np->n_attribute; a++) {
        const Onnx__AttributeProto *at = np->attribute[a];
        for (size_t j = 0; ok && j < at->n_graphs + (at->g != NULL); j++)
            ok = graph_free_names(j < at->n_graphs ? at->graphs[j] : at->g, l);
    }
    return ok;
}

/* Sets node nd's implicit inputs (in[n_args..]) from `names`, which must all be defined here. */
static onnxbn_status bind_implicit(onnxbn_graph *g, onnxbn_node *nd, const namelist *names,
                                   onnxbn_error *err)
{
    for (size_t q = 0; q < names->n; q++) {
        int id = intern(g, names->v[q]);
        if (id < 0)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        onnxbn_value *v = &g->values[id];
        if (v->producer < 0 && !v->init && v->input_index < 0)
            return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL,
                                   "a subgraph reads '%.200s', which no enclosing scope defines",
                                   names->v[q]);
        nd->in[nd->n_args + (int)q] = id;
    }
    return ONNXBN_OK;
}

static onnxbn_status build_nodes(onnxbn_graph *g, const Onnx__ModelProto *m, namelist *sub,
                                 size_t slots, size_t names, onnxbn_error *err);

static onnxbn_status build(onnxbn_graph *g, const Onnx__ModelProto *m, onnxbn_error *err)
{
    const Onnx__GraphProto *gp = m->graph;
    g->proto = gp;
    g->ir_version = m->ir_version;
    if (gp->n_node > INT32_MAX / 4 || gp->n_initializer > INT32_MAX / 4)
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "the graph is too large");

    size_t slots = 0, names = gp->n_initializer + gp->n_input + gp->n_output;
    /* Per node with subgraphs, the names they read from here (implicit inputs). */
    namelist *sub = calloc(gp->n_node + 1, sizeof *sub);
    if (!sub)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = build_nodes(g, m, sub, slots, names, err);
    for (size_t i = 0; i < gp->n_node; i++)
        nl_free(&sub[i]);
    free(sub);
    return st;
}

static onnxbn_status build_nodes(onnxbn_graph *g, const Onnx__ModelProto *m, namelist *sub,
                                 size_t slots, size_t names, onnxbn_error *err)
{
    const Onnx__GraphProto *gp = m->graph;
    for (size_t i = 0; i < gp->n_node; i++) {
        if (!node_free_names(gp->node[i], &sub[i]))
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        slots += gp->node[i]->n_input + gp->node[i]->n_output + sub[i].n;
        names += gp->node[i]->n_input + gp->node[i]->n_output + sub[i].n;
    }
    if (names > INT32_MAX / 4)
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "the graph is too large");
    g->hash_seed = onnxbn_hash_seed(g);
    g->hash_cap = 16;
    while (g->hash_cap < 2 * names)
        g->hash_cap *= 2;
    g->hash = malloc(g->hash_cap * sizeof *g->hash);
    g->values = calloc(names + 1, sizeof *g->values);
    g->nodes = calloc(gp->n_node + 1, sizeof *g->nodes);
    g->order = calloc(gp->n_node + 1, sizeof *g->order);
    /* One pool for node in/out lists, consumer lists, graph inputs and outputs. */
    g->pool = calloc(2 * slots + gp->n_input + gp->n_output + 1, sizeof *g->pool);
    if (!g->hash || !g->values || !g->nodes || !g->order || !g->pool)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    g->values_cap = (int)names + 1;
    g->nodes_cap = (int)gp->n_node + 1;
    memset(g->hash, 0xff, g->hash_cap * sizeof *g->hash);
    int *pool = g->pool;

    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !*t->name)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "initializer #%zu has no name", i);
        int id = intern(g, t->name);
        if (id < 0)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        if (g->values[id].init)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "initializer '%.200s' is given twice", t->name);
        g->values[id].init = t;
        g->values[id].init_index = (int)i;
    }
    g->inputs = pool;
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !*vi->name)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "graph input #%zu has no name", i);
        int id = intern(g, vi->name);
        if (id < 0)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        onnxbn_value *v = &g->values[id];
        if (v->input_index >= 0)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "graph input '%.200s' is listed twice", vi->name);
        v->input_index = (int)i;
        v->info = vi;
        if (!v->init)
            g->inputs[g->n_inputs++] = id;
    }
    pool += g->n_inputs;

    g->n_nodes = (int)gp->n_node;
    for (int i = 0; i < g->n_nodes; i++) {
        onnxbn_node *nd = &g->nodes[i];
        const Onnx__NodeProto *np = gp->node[i];
        nd->proto = np;
        nd->index = i;
        if (!np->op_type || !*np->op_type)
            return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "has no op_type");
        nd->n_args = trimmed(np->input, np->n_input);
        nd->n_in = nd->n_args + (int)sub[i].n;
        nd->n_out = trimmed(np->output, np->n_output);
        nd->in = pool;
        pool += nd->n_in;
        nd->out = pool;
        pool += nd->n_out;
        for (int k = 0; k < nd->n_out; k++) {
            const char *name = np->output[k];
            if (!name || !*name) {
                nd->out[k] = -1;
                continue;
            }
            int id = intern(g, name);
            if (id < 0)
                return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
            onnxbn_value *v = &g->values[id];
            if (v->producer >= 0) {
                char other[ONNXBN_LABEL_MAX];
                return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "output '%.200s' is already produced by %s",
                                name, onnxbn_node_label(&g->nodes[v->producer], other, sizeof other));
            }
            if (v->init || v->input_index >= 0)
                return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL,
                                "output '%.200s' has the name of a graph input or initializer", name);
            v->producer = i;
            v->producer_slot = k;
            nd->out[k] = id;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        onnxbn_node *nd = &g->nodes[i];
        onnxbn_status st = bind_implicit(g, nd, &sub[i], err);
        if (st)
            return st;
        for (int k = nd->n_args; k < nd->n_in; k++)
            g->values[nd->in[k]].n_consumers++;
        for (int k = 0; k < nd->n_args; k++) {
            const char *name = nd->proto->input[k];
            if (!name || !*name) {
                nd->in[k] = -1;
                continue;
            }
            int id = intern(g, name);
            if (id < 0)
                return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
            onnxbn_value *v = &g->values[id];
            if (v->producer < 0 && !v->init && v->input_index < 0)
                return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL,
                                "input '%.200s' is not produced by any node, initializer or graph input",
                                name);
            nd->in[k] = id;
            v->n_consumers++;
        }
    }
    g->outputs = pool;
    pool += gp->n_output;
    g->n_outputs = (int)gp->n_output;
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        int id = vi->name && *vi->name ? onnxbn_graph_find(g, vi->name) : -1;
        if (id < 0)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                               "graph output '%.200s' is not produced by any node, initializer or input",
                               onnxbn_str(vi->name));
        g->outputs[i] = id;
        if (g->values[id].output_index < 0)
            g->values[id].output_index = (int)i;
        if (!g->values[id].info || g->values[id].input_index < 0)
            g->values[id].info = vi;
    }
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const Onnx__ValueInfoProto *vi = gp->value_info[i];
        int id = onnxbn_graph_find(g, onnxbn_str(vi->name));
        if (id >= 0 && !g->values[id].info)
            g->values[id].info = vi;
    }
    /* Consumer lists: counted above, filled now. */
    for (int i = 0; i < g->n_values; i++) {
        g->values[i].consumers = pool;
        pool += g->values[i].n_consumers;
        g->values[i].n_consumers = 0;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int id = g->nodes[i].in[k];
            if (id >= 0) {
                onnxbn_value *v = &g->values[id];
                v->consumers[v->n_consumers++] = i;
            }
        }

    onnxbn_status st = topo_sort(g, err);
    if (st)
        return st;

    for (int i = 0; i < g->n_nodes; i++) {
        onnxbn_node *nd = &g->nodes[i];
        const char *domain = onnxbn_str(nd->proto->domain);
        nd->opset = onnxbn_model_opset_for(m, domain);
        if (nd->opset < 0)
            return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "its domain '%.100s' is not in the model's opset_import",
                            *domain ? domain : "ai.onnx");
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_graph_build(onnxbn_graph *g, const Onnx__ModelProto *m, onnxbn_error *err)
{
    memset(g, 0, sizeof *g);
    if (!m->graph)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "the model has no graph");
    onnxbn_status st = build(g, m, err);
    if (st)
        onnxbn_graph_free(g);
    return st;
}

void onnxbn_graph_free(onnxbn_graph *g)
{
    for (size_t i = 0; i < g->n_owned; i++)
        free(g->owned[i]);
    free(g->owned);
    free(g->cons);
    free(g->hash);
    free(g->values);
    free(g->nodes);
    free(g->order);
    free(g->pool);
    memset(g, 0, sizeof *g);
}

/* ---- editing in place ---- */

/* Reads node i from its proto: lists (in a block of their own), operator, checks. */
static onnxbn_status load_node(onnxbn_graph *g, const Onnx__ModelProto *m, int i, onnxbn_error *err)
{
    onnxbn_node *nd = &g->nodes[i];
    const Onnx__NodeProto *np = nd->proto;
    nd->index = i;
    if (!np->op_type || !*np->op_type)
        return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "has no op_type");
    int n_args = trimmed(np->input, np->n_input), n_out = trimmed(np->output, np->n_output);
    namelist sub = {0};
    if (!node_free_names(np, &sub)) {
        nl_free(&sub);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    int n_in = n_args + (int)sub.n;
    int *ids = malloc(((size_t)n_in + (size_t)n_out + 1) * sizeof *ids);
    if (!own(g, ids)) {
        nl_free(&sub);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    /* Implicit inputs are interned, not checked: the relink that follows every edit checks
     * the graph as a whole. */
    for (size_t q = 0; q < sub.n; q++)
        if ((ids[n_args + (int)q] = intern(g, sub.v[q])) < 0) {
            nl_free(&sub);
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        }
    nl_free(&sub);
    for (int k = 0; k < n_in + n_out; k++) {
        if (k >= n_args && k < n_in)
            continue;
        const char *name = k < n_in ? np->input[k] : np->output[k - n_in];
        ids[k] = name && *name ? intern(g, name) : -1;
        if (name && *name && ids[k] < 0)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    nd->n_in = n_in;
    nd->n_args = n_args;
    nd->n_out = n_out;
    nd->in = ids;
    nd->out = ids + n_in;
    const char *domain = onnxbn_str(np->domain);
    nd->opset = onnxbn_model_opset_for(m, domain);
    if (nd->opset < 0)
        return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "its domain '%.100s' is not in the model's opset_import",
                        *domain ? domain : "ai.onnx");
    return ONNXBN_OK;
}

onnxbn_status onnxbn_graph_node_reload(onnxbn_graph *g, const Onnx__ModelProto *m, int i,
                                       onnxbn_error *err)
{
    return load_node(g, m, i, err);
}

onnxbn_status onnxbn_graph_node_inserted(onnxbn_graph *g, const Onnx__ModelProto *m, int at,
                                         onnxbn_error *err)
{
    if (g->n_nodes + 1 >= g->nodes_cap) {
        int cap = 2 * g->nodes_cap + 8;
        onnxbn_node *n = realloc(g->nodes, (size_t)cap * sizeof *n);
        if (!n)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        g->nodes = n;
        int *o = realloc(g->order, (size_t)cap * sizeof *o);
        if (!o)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        g->order = o;
        g->nodes_cap = cap;
    }
    memmove(g->nodes + at + 1, g->nodes + at, (size_t)(g->n_nodes - at) * sizeof *g->nodes);
    g->n_nodes++;
    for (int i = at + 1; i < g->n_nodes; i++)
        g->nodes[i].index = i;
    memset(&g->nodes[at], 0, sizeof g->nodes[at]);
    g->nodes[at].proto = m->graph->node[at];
    return load_node(g, m, at, err);
}

void onnxbn_graph_node_removed(onnxbn_graph *g, int at)
{
    memmove(g->nodes + at, g->nodes + at + 1, (size_t)(g->n_nodes - at - 1) * sizeof *g->nodes);
    g->n_nodes--;
    for (int i = at; i < g->n_nodes; i++)
        g->nodes[i].index = i;
}

onnxbn_status onnxbn_graph_init_added(onnxbn_graph *g, int at, int input_at, onnxbn_error *err)
{
    const Onnx__TensorProto *t = g->proto->initializer[at];
    int id = t->name && *t->name ? intern(g, t->name) : -1;
    if (id < 0)
        return onnxbn_fail(err, t->name && *t->name ? ONNXBN_ERR_NOMEM : ONNXBN_ERR_MODEL,
                           "initializer #%d has no name or memory ran out", at);
    onnxbn_value *v = &g->values[id];
    v->init = t;
    v->init_index = at;
    if (input_at >= 0) {
        v->input_index = input_at;
        v->info = g->proto->input[input_at];
    }
    return ONNXBN_OK;
}

void onnxbn_graph_init_removed(onnxbn_graph *g, int at)
{
    for (int i = 0; i < g->n_values; i++) {
        onnxbn_value *v = &g->values[i];
        if (v->init_index == at) {
            v->init = NULL;
            v->init_index = -1;
        } else if (v->init_index > at) {
            v->init_index--;
        }
    }
}

void onnxbn_graph_input_removed(onnxbn_graph *g, int at)
{
    for (int i = 0; i < g->n_values; i++) {
        onnxbn_value *v = &g->values[i];
        if (v->input_index == at) {
            v->input_index = -1;
            v->info = NULL;
            onnxbn_graph_info_reload(g, v->name);
        } else if (v->input_index > at) {
            v->input_index--;
        }
    }
}

/* The same choice a build makes: the graph input's entry, else the last graph output's, else the
 * first value_info entry. */
void onnxbn_graph_info_reload(onnxbn_graph *g, const char *name)
{
    int id = find_any(g, name);
    if (id < 0)
        return;
    onnxbn_value *v = &g->values[id];
    const Onnx__GraphProto *gp = g->proto;
    v->info = v->input_index >= 0 ? gp->input[v->input_index] : NULL;
    for (size_t i = 0; i < gp->n_output; i++)
        if ((!v->info || v->input_index < 0) && !strcmp(onnxbn_str(gp->output[i]->name), name))
            v->info = gp->output[i];
    for (size_t i = 0; i < gp->n_value_info && !v->info; i++)
        if (!strcmp(onnxbn_str(gp->value_info[i]->name), name))
            v->info = gp->value_info[i];
}

onnxbn_status onnxbn_graph_relink(onnxbn_graph *g, onnxbn_error *err)
{
    size_t slots = 0;
    for (int i = 0; i < g->n_values; i++) {
        g->values[i].producer = -1;
        g->values[i].producer_slot = 0;
        g->values[i].n_consumers = 0;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const onnxbn_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_out; k++) {
            if (nd->out[k] < 0)
                continue;
            onnxbn_value *v = &g->values[nd->out[k]];
            if (v->producer >= 0) {
                char other[ONNXBN_LABEL_MAX];
                return onnxbn_node_err(nd, err, ONNXBN_ERR_MODEL, "output '%.200s' is already produced by %s",
                                v->name, onnxbn_node_label(&g->nodes[v->producer], other, sizeof other));
            }
            v->producer = i;
            v->producer_slot = k;
        }
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0) {
                g->values[nd->in[k]].n_consumers++;
                slots++;
            }
    }
    int *cons = realloc(g->cons, (slots + 1) * sizeof *cons);
    if (!cons)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    g->cons = cons;
    for (int i = 0; i < g->n_values; i++) {
        onnxbn_value *v = &g->values[i];
        if (!mentioned(v))
            v->info = NULL; /* its value_info entry may be gone */
        v->consumers = cons;
        cons += v->n_consumers;
        v->n_consumers = 0;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int id = g->nodes[i].in[k];
            if (id < 0)
                continue;
            onnxbn_value *v = &g->values[id];
            if (v->producer < 0 && !v->init && v->input_index < 0)
                return onnxbn_node_err(&g->nodes[i], err, ONNXBN_ERR_MODEL,
                                "input '%.200s' is not produced by any node, initializer or graph input",
                                v->name);
            v->consumers[v->n_consumers++] = i;
        }
    for (int i = 0; i < g->n_outputs; i++) {
        const onnxbn_value *v = &g->values[g->outputs[i]];
        if (v->producer < 0 && !v->init && v->input_index < 0)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                               "graph output '%.200s' is not produced by any node, initializer or input",
                               v->name);
    }
    return topo_sort(g, err);
}
