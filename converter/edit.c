/* SPDX-License-Identifier: Apache-2.0 */
/* edit.c — the converter's editing context: names in use, value ranks, constants, and edit plans
 * that build every new protobuf object first and then commit with nothing left that can fail. */
#include "convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ---- */

fz_res fz_skip(fz *z, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(z->why, sizeof z->why, fmt, ap);
    va_end(ap);
    return FZ_SKIP;
}

fz_res fz_fail(fz *z, onnxbn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    onnxbn_vfail(&z->err, st, fmt, ap);
    va_end(ap);
    return FZ_ERR;
}

fz_res fz_nomem(fz *z) { return fz_fail(z, ONNXBN_ERR_NOMEM, "out of memory"); }

/* ---- name sets ---- */

bool fz_names_has(const fz_names *s, const char *name)
{
    if (!s->cap || !name)
        return false;
    for (size_t i = onnxbn_hash_str(s->seed, name) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i])
            return false;
        if (!strcmp(s->slot[i], name))
            return true;
    }
}

static void put(char **slot, size_t cap, uint64_t seed, char *copy)
{
    size_t i = onnxbn_hash_str(seed, copy) & (cap - 1);
    while (slot[i])
        i = (i + 1) & (cap - 1);
    slot[i] = copy;
}

bool fz_names_add(fz_names *s, const char *name)
{
    if (!name || !*name || fz_names_has(s, name))
        return true;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return false;
        if (!s->cap)
            s->seed = onnxbn_hash_seed(s);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                put(slot, cap, s->seed, s->slot[i]);
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    put(s->slot, s->cap, s->seed, copy);
    s->n++;
    return true;
}

void fz_names_free(fz_names *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

/* ---- context ---- */

#define MAX_DEPTH 256

/* Every name a graph mentions goes into `taken`; in a subgraph, the names it reads also go into
 * `sub`: they may come from the outer scope, where the index does not see them read. */
static bool walk_graph(fz *z, const Onnx__GraphProto *g, bool is_sub, int depth, bool *deep)
{
    if (!g)
        return true;
    if (depth > MAX_DEPTH) {
        *deep = true;
        return true;
    }
    fz_names *t = &z->taken, *s = &z->subref;
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!fz_names_add(t, g->initializer[i]->name))
            return false;
    for (size_t i = 0; i < g->n_input; i++)
        if (!fz_names_add(t, g->input[i]->name))
            return false;
    for (size_t i = 0; i < g->n_value_info; i++)
        if (!fz_names_add(t, g->value_info[i]->name))
            return false;
    for (size_t i = 0; i < g->n_output; i++)
        if (!fz_names_add(t, g->output[i]->name) || (is_sub && !fz_names_add(s, g->output[i]->name)))
            return false;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t k = 0; k < n->n_input; k++)
            if (!fz_names_add(t, n->input[k]) || (is_sub && !fz_names_add(s, n->input[k])))
                return false;
        for (size_t k = 0; k < n->n_output; k++)
            if (!fz_names_add(t, n->output[k]))
                return false;
        for (size_t k = 0; k < n->n_attribute; k++) {
            const Onnx__AttributeProto *a = n->attribute[k];
            if (!walk_graph(z, a->g, true, depth + 1, deep))
                return false;
            for (size_t j = 0; j < a->n_graphs; j++)
                if (!walk_graph(z, a->graphs[j], true, depth + 1, deep))
                    return false;
        }
    }
    return true;
}

static bool walk_bindings(fz *z, Onnx__StringStringEntryProto **kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!fz_names_add(&z->taken, kv[i]->key) || !fz_names_add(&z->subref, kv[i]->key) ||
            !fz_names_add(&z->taken, kv[i]->value) || !fz_names_add(&z->subref, kv[i]->value))
            return false;
    return true;
}

onnxbn_status fz_init(fz *z, Onnx__ModelProto *mp, const char *base_dir, int flags,
                      onnxbn_fuse_report *rep)
{
    memset(z, 0, sizeof *z);
    z->mp = mp;
    z->gp = mp->graph;
    z->base_dir = base_dir;
    z->flags = flags;
    z->rep = rep;
    z->ir = mp->ir_version;
    z->opset = onnxbn_model_opset_for(mp, "");
    if (!z->gp)
        return onnxbn_fail(&z->err, ONNXBN_ERR_MODEL, "the model has no graph");
    bool deep = false;
    bool ok = walk_graph(z, z->gp, false, 0, &deep);
    for (size_t i = 0; ok && i < mp->n_training_info; i++) {
        const Onnx__TrainingInfoProto *ti = mp->training_info[i];
        ok = walk_graph(z, ti->initialization, true, 1, &deep) &&
             walk_graph(z, ti->algorithm, true, 1, &deep) &&
             walk_bindings(z, ti->initialization_binding, ti->n_initialization_binding) &&
             walk_bindings(z, ti->update_binding, ti->n_update_binding);
    }
    if (!ok)
        return onnxbn_fail(&z->err, ONNXBN_ERR_NOMEM, "out of memory");
    if (deep)
        return onnxbn_fail(&z->err, ONNXBN_ERR_UNSUPPORTED,
                           "subgraphs are nested more than %d deep", MAX_DEPTH);
    return ONNXBN_OK;
}

void fz_release(fz *z)
{
    onnxbn_graph_free(&z->g);
    free(z->rank);
    z->rank = NULL;
    fz_names_free(&z->taken);
    fz_names_free(&z->subref);
}

/* ---- nodes and attributes ---- */

bool fz_is_op(const fz *z, const onnxbn_node *n, onnxbn_op_id op)
{
    (void)z;
    return onnxbn_op_lookup(onnxbn_str(n->proto->domain), onnxbn_str(n->proto->op_type)) == op;
}

const char *fz_label(const onnxbn_node *n, char *buf, size_t cap)
{
    const char *name = onnxbn_str(n->proto->name);
    if (*name)
        snprintf(buf, cap, "'%.100s' (%.60s)", name, onnxbn_str(n->proto->op_type));
    else
        snprintf(buf, cap, "#%d (%.60s)", n->index, onnxbn_str(n->proto->op_type));
    return buf;
}

const Onnx__AttributeProto *fz_attr(const Onnx__NodeProto *np, const char *name)
{
    for (size_t i = 0; i < np->n_attribute; i++)
        if (!strcmp(onnxbn_str(np->attribute[i]->name), name))
            return np->attribute[i];
    return NULL;
}

bool fz_attr_i(const Onnx__NodeProto *np, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = fz_attr(np, name);
    *out = def;
    if (!a)
        return true;
    if (onnxbn_attr_proto_type(a) != ONNXBN_ATTR_INT)
        return false;
    *out = a->i;
    return true;
}

bool fz_attr_f(const Onnx__NodeProto *np, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = fz_attr(np, name);
    *out = def;
    if (!a)
        return true;
    if (onnxbn_attr_proto_type(a) != ONNXBN_ATTR_FLOAT)
        return false;
    *out = a->f;
    return true;
}

bool fz_attr_ints(const Onnx__NodeProto *np, const char *name, const int64_t **v, size_t *n)
{
    const Onnx__AttributeProto *a = fz_attr(np, name);
    *v = NULL;
    *n = 0;
    if (!a)
        return true;
    int t = onnxbn_attr_proto_type(a);
    if (t != ONNXBN_ATTR_INTS && t != 0)
        return false;
    *v = a->ints;
    *n = a->n_ints;
    return true;
}

const char *fz_attr_s(const Onnx__NodeProto *np, const char *name, const char *def, char *buf,
                      size_t cap)
{
    const Onnx__AttributeProto *a = fz_attr(np, name);
    if (!a)
        return def;
    if (onnxbn_attr_proto_type(a) != ONNXBN_ATTR_STRING || a->s.len >= cap)
        return NULL;
    if (a->s.len)
        memcpy(buf, a->s.data, a->s.len);
    buf[a->s.len] = 0;
    return buf;
}

/* ---- values ---- */

bool fz_subref(const fz *z, int vid) { return fz_names_has(&z->subref, z->g.values[vid].name); }

int fz_uses(const fz *z, int vid)
{
    const onnxbn_value *v = &z->g.values[vid];
    return v->n_consumers + (v->output_index >= 0) + fz_subref(z, vid);
}

int fz_rank(const fz *z, int vid) { return vid >= 0 && z->rank ? z->rank[vid] : -1; }

static int declared_rank(const Onnx__ValueInfoProto *vi)
{
    if (!vi || !vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !vi->type->tensor_type || !vi->type->tensor_type->shape)
        return -1;
    size_t n = vi->type->tensor_type->shape->n_dim;
    return n <= ONNXBN_MAX_RANK ? (int)n : -1;
}

onnxbn_dtype fz_dtype(const fz *z, int vid)
{
    const onnxbn_value *v = &z->g.values[vid];
    if (v->init && v->init->has_data_type)
        return (onnxbn_dtype)v->init->data_type;
    const Onnx__ValueInfoProto *vi = v->info;
    if (vi && vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        vi->type->tensor_type && vi->type->tensor_type->has_elem_type)
        return (onnxbn_dtype)vi->type->tensor_type->elem_type;
    return ONNXBN_UNDEFINED;
}

/* Output 0's rank from the operator table's flags (schema/ops.def: SAME_RANK, BROADCAST) and
 * the few operators with a rank rule of their own. */
static int node_out_rank(const fz *z, const onnxbn_node *n)
{
    const onnxbn_op_id op = onnxbn_op_lookup(onnxbn_str(n->proto->domain), onnxbn_str(n->proto->op_type));
    if (op == ONNXBN_OP_UNKNOWN)
        return -1;
    int r0 = n->n_in > 0 && n->in[0] >= 0 ? z->rank[n->in[0]] : -1;
    if (onnxbn_op_has(op, ONNXBN_OP_SAME_RANK))
        return r0;
    if (op == ONNXBN_OP_Gemm || op == ONNXBN_OP_Flatten)
        return 2;
    if (op == ONNXBN_OP_Shape)
        return 1;
    if (op == ONNXBN_OP_Size)
        return 0;
    if (onnxbn_op_has(op, ONNXBN_OP_BROADCAST)) {
        int r = 0;
        for (int k = 0; k < n->n_in; k++) {
            int rk = n->in[k] >= 0 ? z->rank[n->in[k]] : -1;
            if (rk < 0)
                return -1;
            if (rk > r)
                r = rk;
        }
        return r;
    }
    if (op == ONNXBN_OP_MatMul && n->n_in == 2 && n->in[1] >= 0) {
        int ra = r0, rb = z->rank[n->in[1]];
        if (ra < 1 || rb < 1)
            return -1;
        if (ra == 1 && rb == 1)
            return 0;
        if (ra == 1)
            return rb - 1;
        if (rb == 1)
            return ra - 1;
        return ra > rb ? ra : rb;
    }
    if (op == ONNXBN_OP_Reshape && n->n_in >= 2 && n->in[1] >= 0) {
        const onnxbn_value *s = &z->g.values[n->in[1]];
        if (s->init && s->init->n_dims == 1 && s->init->dims[0] <= ONNXBN_MAX_RANK)
            return (int)s->init->dims[0];
    }
    return -1;
}

static void compute_ranks(fz *z)
{
    const onnxbn_graph *g = &z->g;
    for (int i = 0; i < g->n_values; i++) {
        const onnxbn_value *v = &g->values[i];
        z->rank[i] = declared_rank(v->info);
        if (v->init)
            z->rank[i] = v->init->n_dims <= ONNXBN_MAX_RANK ? (int)v->init->n_dims : -1;
    }
    for (int k = 0; k < g->n_nodes; k++) {
        const onnxbn_node *n = &g->nodes[g->order[k]];
        if (n->n_out < 1 || n->out[0] < 0 || z->rank[n->out[0]] >= 0)
            continue;
        z->rank[n->out[0]] = node_out_rank(z, n);
    }
}

/* Ranks again for the index as it is now (after a build or in-place edits). */
static fz_res ranks(fz *z)
{
    int *r = realloc(z->rank, ((size_t)z->g.n_values + 1) * sizeof *r);
    if (!r)
        return fz_nomem(z);
    z->rank = r;
    compute_ranks(z);
    return FZ_OK;
}

fz_res fz_rebuild(fz *z)
{
    onnxbn_graph_free(&z->g);
    free(z->rank);
    z->rank = NULL;
    z->edited = false;
    z->builds++;
    if (onnxbn_graph_build(&z->g, z->mp, &z->err) != ONNXBN_OK)
        return FZ_ERR;
    return ranks(z);
}

fz_res fz_adopt(fz *z, onnxbn_graph *g)
{
    onnxbn_graph_free(&z->g);
    z->g = *g;
    memset(g, 0, sizeof *g);
    z->edited = false;
    return ranks(z);
}

/* ---- constants ---- */

static const Onnx__AttributeProto *constant_attr(const Onnx__NodeProto *np)
{
    const Onnx__AttributeProto *a;
    if ((a = fz_attr(np, "value")) && a->t)
        return a;
    if ((a = fz_attr(np, "value_float")) && a->has_f)
        return a;
    if ((a = fz_attr(np, "value_floats")))
        return a;
    return NULL;
}

fz_res fz_is_const(fz *z, int vid, const char *what)
{
    const onnxbn_value *v = &z->g.values[vid];
    if (v->init) {
        if (v->input_index >= 0 && z->ir >= 4)
            return fz_skip(z, "%s ('%.100s') is a graph input with an initializer as default (IR %lld): "
                              "a caller may override it",
                           what, v->name, (long long)z->ir);
        if (v->input_index >= 0 && !z->ir3_note) {
            z->ir3_note = true;
            if (fz_report_note(z, "IR version %lld lists initializers among the graph inputs: "
                                  "they are taken as constants",
                               (long long)z->ir) != FZ_OK)
                return FZ_ERR;
        }
        return FZ_OK;
    }
    if (v->producer >= 0) {
        const onnxbn_node *p = &z->g.nodes[v->producer];
        char lb[FZ_LABEL_MAX];
        if (fz_is_op(z, p, ONNXBN_OP_Constant)) {
            if (constant_attr(p->proto))
                return FZ_OK;
            return fz_skip(z, "%s ('%.100s') comes from Constant %s in a form not read here", what,
                           v->name, fz_label(p, lb, sizeof lb));
        }
        return fz_skip(z, "%s ('%.100s') is computed by %s, not a constant", what, v->name,
                       fz_label(p, lb, sizeof lb));
    }
    return fz_skip(z, "%s ('%.100s') is a graph input, not a constant", what, v->name);
}

fz_res fz_const(fz *z, int vid, const char *what, onnxbn_tensor *out)
{
    fz_res r = fz_is_const(z, vid, what);
    if (r)
        return r;
    const onnxbn_value *v = &z->g.values[vid];
    onnxbn_error e = {0};
    onnxbn_status st;
    memset(out, 0, sizeof *out);
    if (v->init) {
        st = onnxbn_tensor_from_proto(v->init, z->base_dir, NULL, out, &e);
    } else {
        const Onnx__AttributeProto *a = constant_attr(z->g.nodes[v->producer].proto);
        if (a->t) {
            st = onnxbn_tensor_from_proto(a->t, z->base_dir, NULL, out, &e);
        } else if (a->has_f && !strcmp(a->name, "value_float")) {
            st = onnxbn_tensor_init_alloc(out, ONNXBN_FLOAT, 0, NULL, &e);
            if (!st)
                ((float *)out->data)[0] = a->f;
        } else {
            int64_t d = (int64_t)a->n_floats;
            st = onnxbn_tensor_init_alloc(out, ONNXBN_FLOAT, 1, &d, &e);
            if (!st && a->n_floats)
                memcpy(out->data, a->floats, a->n_floats * sizeof(float));
        }
    }
    if (st == ONNXBN_ERR_NOMEM) {
        z->err = e;
        return FZ_ERR;
    }
    if (st)
        return fz_skip(z, "cannot read %s ('%.100s'): %.300s", what, v->name, e.msg);
    return FZ_OK;
}

fz_res fz_const_f64(fz *z, int vid, const char *what, onnxbn_tensor *shape, double **vals)
{
    onnxbn_tensor t;
    *vals = NULL;
    fz_res r = fz_const(z, vid, what, &t);
    if (r)
        return r;
    if (!onnxbn_fold_type_ok(t.dtype)) {
        onnxbn_tensor_release(&t);
        return fz_skip(z, "%s ('%.100s') is %s, not float, double, float16 or bfloat16", what,
                       z->g.values[vid].name, onnxbn_dtype_name(t.dtype));
    }
    double *d = malloc(((size_t)t.numel + 1) * sizeof *d);
    if (!d) {
        onnxbn_tensor_release(&t);
        return fz_nomem(z);
    }
    for (int64_t i = 0; i < t.numel; i++)
        d[i] = onnxbn_get_f64(&t, i);
    onnxbn_tensor_release(&t);
    *shape = t;
    shape->data = NULL;
    shape->owns = false;
    *vals = d;
    return FZ_OK;
}

char *fz_fresh(fz *z, const char *base, const char *suffix)
{
    size_t len = strlen(base) + strlen(suffix) + 24;
    char *s = malloc(len);
    if (!s)
        return NULL;
    snprintf(s, len, "%s%s", base, suffix);
    for (unsigned k = 2; fz_names_has(&z->taken, s); k++)
        snprintf(s, len, "%s%s_%u", base, suffix, k);
    if (!fz_names_add(&z->taken, s)) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- new protobuf objects ---- */

Onnx__NodeProto *fz_new_node(const char *op_type, const char *name, size_t n_in,
                             const char *const *in, const char *out)
{
    Onnx__NodeProto *n = malloc(sizeof *n);
    if (!n)
        return NULL;
    onnx__node_proto__init(n);
    n->op_type = strdup(op_type);
    n->name = name && *name ? strdup(name) : NULL;
    n->input = calloc(n_in + 1, sizeof *n->input);
    n->output = calloc(1, sizeof *n->output);
    bool ok = n->op_type && (!name || !*name || n->name) && n->input && n->output;
    if (n->input)
        for (size_t i = 0; i < n_in; i++) {
            n->input[n->n_input++] = strdup(in[i]);
            ok = ok && n->input[i];
        }
    if (n->output) {
        n->output[n->n_output++] = strdup(out);
        ok = ok && n->output[0];
    }
    if (!ok) {
        onnx__node_proto__free_unpacked(n, NULL);
        return NULL;
    }
    return n;
}

static Onnx__AttributeProto *new_attr(const char *name, int type)
{
    Onnx__AttributeProto *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    if (!(a->name = strdup(name))) {
        free(a);
        return NULL;
    }
    a->has_type = 1;
    a->type = (Onnx__AttributeProto__AttributeType)type;
    return a;
}

Onnx__AttributeProto *fz_new_attr_i(const char *name, int64_t v)
{
    Onnx__AttributeProto *a = new_attr(name, ONNXBN_ATTR_INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
    return a;
}

Onnx__AttributeProto *fz_new_attr_f(const char *name, float v)
{
    Onnx__AttributeProto *a = new_attr(name, ONNXBN_ATTR_FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = v;
    }
    return a;
}

bool fz_node_add_attr(Onnx__NodeProto *np, Onnx__AttributeProto *a)
{
    if (!a)
        return false;
    Onnx__AttributeProto **v = realloc(np->attribute, (np->n_attribute + 1) * sizeof *v);
    if (!v) {
        onnx__attribute_proto__free_unpacked(a, NULL);
        return false;
    }
    np->attribute = v;
    np->attribute[np->n_attribute++] = a;
    return true;
}

Onnx__ValueInfoProto *fz_new_tensor_vi(const char *name, int32_t elem, size_t rank,
                                       const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = malloc(sizeof *vi);
    if (!vi)
        return NULL;
    onnx__value_info_proto__init(vi);
    vi->name = strdup(name);
    Onnx__TypeProto *tp = vi->type = malloc(sizeof *tp);
    if (!vi->name || !tp)
        goto fail;
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = malloc(sizeof *tt);
    if (!tt)
        goto fail;
    onnx__type_proto__tensor__init(tt);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    Onnx__TensorShapeProto *sh = tt->shape = malloc(sizeof *sh);
    if (!sh)
        goto fail;
    onnx__tensor_shape_proto__init(sh);
    sh->dim = calloc(rank + 1, sizeof *sh->dim);
    if (!sh->dim)
        goto fail;
    for (size_t i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = malloc(sizeof *d);
        if (!d)
            goto fail;
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
        sh->dim[sh->n_dim++] = d;
    }
    return vi;
fail:
    onnx__value_info_proto__free_unpacked(vi, NULL);
    return NULL;
}

/* ---- plans ---- */

void fz_plan_discard(fz_plan *p)
{
    for (int i = 0; i < p->n_init; i++) {
        onnx__tensor_proto__free_unpacked(p->init[i], NULL);
        if (p->init_vi[i])
            onnx__value_info_proto__free_unpacked(p->init_vi[i], NULL);
    }
    for (int i = 0; i < p->n_set; i++)
        free(p->s[i]);
    for (int i = 0; i < p->n_add_in; i++)
        free(p->add_in[i]);
    for (int i = 0; i < p->n_add_attr; i++)
        onnx__attribute_proto__free_unpacked(p->add_attr[i], NULL);
    for (int i = 0; i < p->n_replace; i++)
        for (int k = 0; k < p->n_new[i]; k++)
            onnx__node_proto__free_unpacked(p->new_node[i][k], NULL);
    for (int i = 0; i < p->n_drop_vi; i++)
        free(p->drop_vi[i]);
    for (int i = 0; i < p->n_maybe; i++)
        free(p->maybe_unused[i]);
    memset(p, 0, sizeof *p);
}

/* Grows a protobuf-c pointer array so that `want` entries fit (the count is not changed). */
static bool reserve(void ***arr, size_t want)
{
    void **v = realloc(*arr, (want + 1) * sizeof *v);
    if (!v)
        return false;
    *arr = v;
    return true;
}

fz_res fz_plan_init(fz *z, fz_plan *p, char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                    const double *vals, const char *what)
{
    if (!name)
        return fz_nomem(z);
    if (p->n_init >= FZ_PLAN_MAX) {
        free(name);
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: too many new initializers in one edit");
    }
    size_t es = onnxbn_dtype_size(dt), n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    uint8_t *raw = malloc(n * es + 1);
    int64_t *d = malloc(((size_t)rank + 1) * sizeof *d);
    Onnx__TensorProto *tp = malloc(sizeof *tp);
    if (!raw || !d || !tp) {
        free(raw);
        free(d);
        free(tp);
        free(name);
        return fz_nomem(z);
    }
    for (size_t i = 0; i < n; i++) {
        if (!onnxbn_fold_store(dt, raw, (int64_t)i, vals[i])) {
            fz_skip(z, "the folded %s would not be finite in %s (element %zu is %g)", what,
                    onnxbn_dtype_name(dt), i, vals[i]);
            free(raw);
            free(d);
            free(tp);
            free(name);
            return FZ_SKIP;
        }
    }
    memcpy(d, dims, (size_t)rank * sizeof *d);
    onnx__tensor_proto__init(tp);
    tp->name = name;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)dt;
    tp->n_dims = (size_t)rank;
    tp->dims = d;
    tp->has_raw_data = 1;
    tp->raw_data.len = n * es;
    tp->raw_data.data = raw;
    Onnx__ValueInfoProto *vi = NULL;
    if (z->ir < 4 && !(vi = fz_new_tensor_vi(name, (int32_t)dt, (size_t)rank, dims))) {
        onnx__tensor_proto__free_unpacked(tp, NULL);
        return fz_nomem(z);
    }
    Onnx__GraphProto *gp = z->gp;
    if (!reserve((void ***)&gp->initializer, gp->n_initializer + (size_t)p->n_init + 1) ||
        (vi && !reserve((void ***)&gp->input, gp->n_input + (size_t)p->n_init + 1))) {
        onnx__tensor_proto__free_unpacked(tp, NULL);
        if (vi)
            onnx__value_info_proto__free_unpacked(vi, NULL);
        return fz_nomem(z);
    }
    p->init[p->n_init] = tp;
    p->init_vi[p->n_init++] = vi;
    return FZ_OK;
}

static fz_res plan_set(fz *z, fz_plan *p, Onnx__NodeProto *np, bool out, size_t k, const char *name)
{
    if (p->n_set >= FZ_PLAN_MAX)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: too many renames in one edit");
    char *s = strdup(name);
    if (!s)
        return fz_nomem(z);
    p->set_node[p->n_set] = np;
    p->set_k[p->n_set] = k;
    p->set_out[p->n_set] = out;
    p->s[p->n_set++] = s;
    return FZ_OK;
}

fz_res fz_plan_input(fz *z, fz_plan *p, Onnx__NodeProto *np, size_t k, const char *name)
{
    if (k < np->n_input)
        return plan_set(z, p, np, false, k, name);
    if (k != np->n_input || p->n_add_in >= 2)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: input %zu cannot be appended", k);
    char *s = strdup(name);
    if (!s || !reserve((void ***)&np->input, np->n_input + 1)) {
        free(s);
        return fz_nomem(z);
    }
    p->add_in_node[p->n_add_in] = np;
    p->add_in[p->n_add_in++] = s;
    return FZ_OK;
}

fz_res fz_plan_output(fz *z, fz_plan *p, Onnx__NodeProto *np, size_t k, const char *name)
{
    if (k >= np->n_output)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: no output %zu", k);
    return plan_set(z, p, np, true, k, name);
}

static fz_res plan_add_attr(fz *z, fz_plan *p, Onnx__NodeProto *np, Onnx__AttributeProto *a)
{
    if (!a)
        return fz_nomem(z);
    if (p->n_add_attr >= 2) {
        onnx__attribute_proto__free_unpacked(a, NULL);
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: too many new attributes in one edit");
    }
    size_t more = 1;
    for (int i = 0; i < p->n_add_attr; i++)
        more += p->add_attr_node[i] == np;
    if (!reserve((void ***)&np->attribute, np->n_attribute + more)) {
        onnx__attribute_proto__free_unpacked(a, NULL);
        return fz_nomem(z);
    }
    p->add_attr_node[p->n_add_attr] = np;
    p->add_attr[p->n_add_attr++] = a;
    return FZ_OK;
}

fz_res fz_plan_attr_f(fz *z, fz_plan *p, Onnx__NodeProto *np, const char *name, float v)
{
    Onnx__AttributeProto *a = (Onnx__AttributeProto *)fz_attr(np, name);
    if (!a)
        return plan_add_attr(z, p, np, fz_new_attr_f(name, v));
    if (onnxbn_attr_proto_type(a) != ONNXBN_ATTR_FLOAT || p->n_set_f >= 2)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: attribute '%s' cannot be set", name);
    p->set_f[p->n_set_f] = a;
    p->set_f_val[p->n_set_f++] = v;
    return FZ_OK;
}

fz_res fz_plan_attr_i(fz *z, fz_plan *p, Onnx__NodeProto *np, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = (Onnx__AttributeProto *)fz_attr(np, name);
    if (!a)
        return plan_add_attr(z, p, np, fz_new_attr_i(name, v));
    if (onnxbn_attr_proto_type(a) != ONNXBN_ATTR_INT || p->n_set_i >= 2)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: attribute '%s' cannot be set", name);
    p->set_i[p->n_set_i] = &a->i;
    p->set_i_val[p->n_set_i++] = v;
    return FZ_OK;
}

fz_res fz_plan_replace(fz *z, fz_plan *p, Onnx__NodeProto *old, Onnx__NodeProto *n1,
                       Onnx__NodeProto *n2)
{
    if (p->n_replace >= 2 || (n2 && !n1)) {
        if (n1)
            onnx__node_proto__free_unpacked(n1, NULL);
        if (n2)
            onnx__node_proto__free_unpacked(n2, NULL);
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: too many node replacements in one edit");
    }
    int r = p->n_replace++;
    p->old_node[r] = old;
    p->n_new[r] = 0;
    if (n1)
        p->new_node[r][p->n_new[r]++] = n1;
    if (n2) {
        p->new_node[r][p->n_new[r]++] = n2;
        p->node_growth++;
        if (!reserve((void ***)&z->gp->node, z->gp->n_node + p->node_growth))
            return fz_nomem(z);
    }
    return FZ_OK;
}

static fz_res push_name(fz *z, char **list, int *n, int max, const char *name)
{
    if (*n >= max)
        return fz_fail(z, ONNXBN_ERR_MODEL, "internal: too many names in one edit");
    if (!(list[*n] = strdup(name)))
        return fz_nomem(z);
    (*n)++;
    return FZ_OK;
}

fz_res fz_plan_drop_vi(fz *z, fz_plan *p, const char *name)
{
    return push_name(z, p->drop_vi, &p->n_drop_vi, FZ_PLAN_MAX, name);
}

fz_res fz_plan_maybe_unused(fz *z, fz_plan *p, const char *name)
{
    if (!name || !*name)
        return FZ_OK;
    for (int i = 0; i < p->n_maybe; i++)
        if (!strcmp(p->maybe_unused[i], name))
            return FZ_OK;
    return push_name(z, p->maybe_unused, &p->n_maybe, 2 * FZ_PLAN_MAX, name);
}

/* ---- removing from the graph proto ---- */

/* Frees the entries named `name` of a ValueInfoProto list and closes the gaps. */
static void drop_named(Onnx__ValueInfoProto **v, size_t *n, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp(onnxbn_str(v[i]->name), name))
            onnx__value_info_proto__free_unpacked(v[i], NULL);
        else
            v[k++] = v[i];
    }
    *n = k;
}

void fz_drop_value_info(Onnx__GraphProto *gp, const char *name)
{
    drop_named(gp->value_info, &gp->n_value_info, name);
}

void fz_remove_input(Onnx__GraphProto *gp, const char *name)
{
    drop_named(gp->input, &gp->n_input, name);
}

static ptrdiff_t node_pos(const Onnx__GraphProto *gp, const Onnx__NodeProto *np)
{
    for (size_t i = 0; i < gp->n_node; i++)
        if (gp->node[i] == np)
            return (ptrdiff_t)i;
    return -1;
}

bool fz_remove_node(Onnx__GraphProto *gp, const Onnx__NodeProto *np)
{
    ptrdiff_t at = node_pos(gp, np);
    if (at < 0)
        return false;
    memmove(gp->node + at, gp->node + at + 1, (gp->n_node - (size_t)at - 1) * sizeof *gp->node);
    gp->n_node--;
    onnx__node_proto__free_unpacked((Onnx__NodeProto *)np, NULL);
    return true;
}

bool fz_remove_initializer(Onnx__GraphProto *gp, const Onnx__TensorProto *tp)
{
    for (size_t k = 0; k < gp->n_initializer; k++) {
        if (gp->initializer[k] != tp)
            continue;
        onnx__tensor_proto__free_unpacked(gp->initializer[k], NULL);
        memmove(gp->initializer + k, gp->initializer + k + 1,
                (gp->n_initializer - k - 1) * sizeof *gp->initializer);
        gp->n_initializer--;
        return true;
    }
    return false;
}

/* The index is in graph.node order: a node's position in one is its position in the other. */
static int index_of(const fz *z, const Onnx__NodeProto *np)
{
    for (int i = 0; i < z->g.n_nodes; i++)
        if (z->g.nodes[i].proto == np)
            return i;
    return -1;
}

fz_res fz_sync(fz *z, Onnx__NodeProto *const *touched, int n)
{
    z->edited = true;
    for (int i = 0; i < n; i++) {
        int at = index_of(z, touched[i]);
        if (at >= 0 && onnxbn_graph_node_reload(&z->g, z->mp, at, &z->err))
            return FZ_ERR;
    }
    if (onnxbn_graph_relink(&z->g, &z->err))
        return FZ_ERR;
    return ranks(z);
}

fz_res fz_plan_commit(fz *z, fz_plan *p)
{
    Onnx__GraphProto *gp = z->gp;
    onnxbn_graph *g = &z->g;
    /* Nodes whose names change in place, read again once everything is applied. */
    Onnx__NodeProto *touched[FZ_PLAN_MAX + 4];
    int n_touched = 0;
    z->edited = true;
    for (int i = 0; i < p->n_set; i++) {
        char **arr = p->set_out[i] ? p->set_node[i]->output : p->set_node[i]->input;
        free(arr[p->set_k[i]]);
        arr[p->set_k[i]] = p->s[i];
        touched[n_touched++] = p->set_node[i];
    }
    for (int i = 0; i < p->n_add_in; i++) {
        Onnx__NodeProto *np = p->add_in_node[i];
        np->input[np->n_input++] = p->add_in[i];
        touched[n_touched++] = np;
    }
    for (int i = 0; i < p->n_add_attr; i++) {
        Onnx__NodeProto *np = p->add_attr_node[i];
        np->attribute[np->n_attribute++] = p->add_attr[i];
        touched[n_touched++] = np; /* its attributes are checked again, as a build would */
    }
    for (int i = 0; i < p->n_set_f; i++) {
        p->set_f[i]->f = p->set_f_val[i];
        p->set_f[i]->has_f = 1;
    }
    for (int i = 0; i < p->n_set_i; i++)
        *p->set_i[i] = p->set_i_val[i];
    onnxbn_status st = ONNXBN_OK;
    for (int i = 0; i < p->n_init; i++) {
        gp->initializer[gp->n_initializer++] = p->init[i];
        if (p->init_vi[i])
            gp->input[gp->n_input++] = p->init_vi[i];
        if (!st)
            st = onnxbn_graph_init_added(g, (int)gp->n_initializer - 1,
                                         p->init_vi[i] ? (int)gp->n_input - 1 : -1, &z->err);
    }
    for (int r = 0; r < p->n_replace; r++) {
        ptrdiff_t at = node_pos(gp, p->old_node[r]);
        if (at < 0) /* cannot happen: the node came from the index */
            continue;
        size_t i = (size_t)at;
        if (p->n_new[r] == 0) {
            memmove(gp->node + i, gp->node + i + 1, (gp->n_node - i - 1) * sizeof *gp->node);
            gp->n_node--;
            onnxbn_graph_node_removed(g, (int)at);
        } else if (p->n_new[r] == 1) {
            gp->node[i] = p->new_node[r][0];
            g->nodes[at].proto = gp->node[i];
            if (!st)
                st = onnxbn_graph_node_reload(g, z->mp, (int)at, &z->err);
        } else {
            memmove(gp->node + i + 2, gp->node + i + 1, (gp->n_node - i - 1) * sizeof *gp->node);
            gp->node[i] = p->new_node[r][0];
            gp->node[i + 1] = p->new_node[r][1];
            gp->n_node++;
            g->nodes[at].proto = gp->node[i];
            if (!st)
                st = onnxbn_graph_node_reload(g, z->mp, (int)at, &z->err);
            if (!st)
                st = onnxbn_graph_node_inserted(g, z->mp, (int)at + 1, &z->err);
        }
        onnx__node_proto__free_unpacked(p->old_node[r], NULL);
    }
    for (int i = 0; i < p->n_drop_vi; i++) {
        fz_drop_value_info(gp, p->drop_vi[i]);
        onnxbn_graph_info_reload(g, p->drop_vi[i]);
    }
    /* Everything now belongs to the model; what is left in the plan is the name lists. The
     * index follows the edit in place: building it again per fold made a pass quadratic. */
    p->n_init = p->n_set = p->n_add_in = p->n_add_attr = p->n_replace = 0;
    fz_res r = st ? FZ_ERR : fz_sync(z, touched, n_touched);
    if (!r && fz_delete_if_unused(z, p->maybe_unused, p->n_maybe) > 0)
        r = fz_sync(z, NULL, 0);
    fz_plan_discard(p);
    return r;
}

int fz_delete_if_unused(fz *z, char *const *names, int n)
{
    Onnx__GraphProto *gp = z->gp;
    onnxbn_graph *g = &z->g;
    /* Decide everything first, then remove, keeping the index in step; the caller relinks. */
    int *doomed = calloc((size_t)n + 1, sizeof *doomed), n_doomed = 0;
    if (!doomed)
        return 0; /* nothing deleted: the model keeps an unused tensor, which is harmless */
    for (int i = 0; i < n; i++) {
        int vid = onnxbn_graph_find(g, names[i]);
        if (vid < 0 || fz_uses(z, vid) > 0)
            continue;
        const onnxbn_value *v = &g->values[vid];
        if (v->init) {
            if (v->input_index >= 0 && z->ir >= 4)
                continue; /* an input the caller may feed: part of the interface */
            doomed[n_doomed++] = vid;
        } else if (v->producer >= 0 && fz_is_op(z, &g->nodes[v->producer], ONNXBN_OP_Constant) &&
                   g->nodes[v->producer].n_out == 1) {
            doomed[n_doomed++] = vid;
        }
    }
    for (int d = 0; d < n_doomed; d++) {
        /* Read before the removals: the name is the index's own copy, the tensor's is freed. */
        const onnxbn_value *v = &g->values[doomed[d]];
        const char *name = v->name;
        if (v->init) {
            int at = v->init_index, in_at = v->input_index;
            if (in_at >= 0) {
                fz_remove_input(gp, name);
                onnxbn_graph_input_removed(g, in_at);
            }
            fz_drop_value_info(gp, name);
            fz_remove_initializer(gp, gp->initializer[at]);
            onnxbn_graph_init_removed(g, at);
        } else {
            /* Producers are relinked after the loop: find the Constant by its output. */
            int at = -1;
            for (int i = 0; i < g->n_nodes && at < 0; i++)
                for (int k = 0; k < g->nodes[i].n_out; k++)
                    if (g->nodes[i].out[k] == doomed[d])
                        at = i;
            fz_drop_value_info(gp, name);
            if (at >= 0 && fz_remove_node(gp, g->nodes[at].proto))
                onnxbn_graph_node_removed(g, at);
        }
        onnxbn_graph_info_reload(g, name);
    }
    free(doomed);
    return n_doomed;
}

/* ---- report ---- */

onnxbn_fuse_report *fz_report_new(void) { return calloc(1, sizeof(onnxbn_fuse_report)); }

fz_res fz_report_add(fz *z, const char *action, const char *kind, const onnxbn_node *bn,
                     const char *node, const char *reason)
{
    onnxbn_fuse_report *r = z->rep;
    if (!r)
        return FZ_OK;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        onnxbn_fuse_entry *e = realloc(r->e, cap * sizeof *e);
        if (!e)
            return fz_nomem(z);
        r->e = e;
        r->cap = cap;
    }
    onnxbn_fuse_entry *e = &r->e[r->n];
    const char *out = bn->n_out > 0 && bn->out[0] >= 0 ? z->g.values[bn->out[0]].name : "";
    e->action = strdup(action);
    e->kind = strdup(kind);
    e->bn = strdup(onnxbn_str(bn->proto->name));
    e->bn_output = strdup(out);
    e->node = strdup(onnxbn_str(node));
    e->reason = strdup(onnxbn_str(reason));
    if (!e->action || !e->kind || !e->bn || !e->bn_output || !e->node || !e->reason) {
        free((char *)e->action);
        free((char *)e->kind);
        free((char *)e->bn);
        free((char *)e->bn_output);
        free((char *)e->node);
        free((char *)e->reason);
        return fz_nomem(z);
    }
    r->n++;
    return FZ_OK;
}

fz_res fz_report_note(fz *z, const char *fmt, ...)
{
    onnxbn_fuse_report *r = z->rep;
    if (!r)
        return FZ_OK;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (r->n_notes == r->cap_notes) {
        size_t cap = r->cap_notes ? 2 * r->cap_notes : 4;
        char **v = realloc(r->notes, cap * sizeof *v);
        if (!v)
            return fz_nomem(z);
        r->notes = v;
        r->cap_notes = cap;
    }
    if (!(r->notes[r->n_notes] = strdup(buf)))
        return fz_nomem(z);
    r->n_notes++;
    return FZ_OK;
}
