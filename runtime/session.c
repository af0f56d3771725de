/* SPDX-License-Identifier: Apache-2.0 */
/* session.c — the public session: decodes the weights once, checks inputs against what the model
 * declares, keeps a plan per input-shape signature (plancache.c) and plans only shapes not seen. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi.h"
#include "kernels/gemm.h"
#include "plancache.h"
#include "subgraph.h"
#include "threadpool.h"

struct onnxbn_session {
    onnxbn_model *model;
    onnxbn_tensor *inits;     /* decoded initializers, by position in graph.initializer */
    uint64_t budget;          /* bytes left under max_memory after the weights */
    onnxbn_plan *plan;        /* the current plan: cache.plan[0], or NULL */
    onnxbn_plancache cache;   /* plans per input-shape signature, most recently used first */
    uint64_t plan_builds;     /* plans made (or tried) since open (onnxbn_session_plan_builds) */
    bool ran;
    uint64_t *prof_ns, *prof_runs; /* per node index, with options.profile */
    bool *need_value;              /* per value id: its contents decide shapes (see op.h) */
    bool any_fed_value;            /* some graph input is such a value */
    onnxbn_pool *pool;             /* options.threads - 1 workers, or NULL */
    onnxbn_kept kept;              /* folded weights shared by the plans (plan.h) */
    bool blas_held;                /* onnxbn_blas_hold was called: release at free */
    /* Any thread may touch these three while a run goes on: atomics only, no lock. */
    atomic_flag busy;              /* set for the length of a run (ONNXBN_ERR_BUSY) */
    onnxbn_stop stop;              /* cancel request; deadline_ns is the run's own */
    _Atomic int64_t timeout_ns;    /* onnxbn_session_set_timeout; 0: none */
    /* run_locked's sorted input ids and tensors, grown to the largest call seen and kept: a
     * Loop body runs as a nested session once per iteration, which then allocates nothing. */
    int *run_ids;
    const onnxbn_tensor **run_fed;
    size_t run_cap;
};

void onnxbn_session_free(onnxbn_session *s)
{
    if (!s)
        return;
    onnxbn_plancache_drop(&s->cache, true);
    onnxbn_pool_free(s->pool);
    if (s->model)
        onnxbn_kept_free(&s->kept, s->model->graph.n_values);
    if (s->inits && s->model)
        for (size_t i = 0; i < s->model->proto->graph->n_initializer; i++)
            onnxbn_tensor_release(&s->inits[i]);
    free(s->inits);
    free(s->prof_ns);
    free(s->prof_runs);
    free(s->need_value);
    free(s->run_ids);
    free(s->run_fed);
    onnxbn_model_free(s->model);
    if (s->blas_held)
        onnxbn_blas_release();
    free(s);
}

const onnxbn_model *onnxbn_session_model(const onnxbn_session *s) { return s->model; }

/* A graph input or output is a tensor, a sequence of tensors, or an optional of either; maps,
 * sparse tensors and sequences of other things cannot be run. */
static onnxbn_status check_tensor_type(const onnxbn_value *v, const char *what, onnxbn_error *err)
{
    const Onnx__TypeProto *t = v->info ? v->info->type : NULL;
    if (t && t->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && t->optional_type &&
        t->optional_type->elem_type)
        t = t->optional_type->elem_type;
    if (t && t->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && t->sequence_type &&
        t->sequence_type->elem_type &&
        t->sequence_type->elem_type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return ONNXBN_OK;
    if (!t || t->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET ||
        t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return ONNXBN_OK;
    const char *kind = t->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? "a sequence"
                       : t->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE   ? "a map"
                       : t->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? "an optional"
                                                                               : "not a dense tensor";
    return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                       "graph %s '%.200s' is %s; onnxbn runs tensors, sequences of tensors and optionals of those",
                       what, v->name, kind);
}

/* What a session cannot run: unknown operators, opsets newer than onnxbn knows (an op could have
 * changed meaning there), and non-tensor graph inputs/outputs. */
/* A plan for shapes the cache does not hold. It is built within what the budget leaves after
 * the plans kept; when that is too little, the kept plans go and it is built again with the
 * whole budget, so a model that fits alone runs as it did before plans were cached. */
static onnxbn_status new_plan(onnxbn_session *s, int n, const int *ids,
                              const onnxbn_tensor *const *fed, const bool *need_value,
                              onnxbn_stop *stop, onnxbn_error *err)
{
    onnxbn_plancache *c = &s->cache;
    onnxbn_plancache_make_room(c);
    onnxbn_plan *p = NULL;
    uint64_t held = onnxbn_plancache_bytes(c, 0);
    uint64_t budget = held < s->budget ? s->budget - held : 0;
    onnxbn_status st = onnxbn_plan_build(s->model, s->inits, n, ids, fed, need_value, &s->kept,
                                         budget, stop, &p, err);
    s->plan_builds++;
    if (st == ONNXBN_ERR_LIMIT && c->n) {
        onnxbn_plancache_drop(c, true);
        s->plan = NULL;
        budget = s->budget;
        st = onnxbn_plan_build(s->model, s->inits, n, ids, fed, need_value, &s->kept, budget, stop,
                               &p, err);
        s->plan_builds++;
    }
    if (!st) {
        p->pool = s->pool;
        onnxbn_plancache_add(c, p, budget - p->run_budget);
        onnxbn_plancache_fit(c, s->budget);
    }
    s->plan = c->n ? c->plan[0] : NULL;
    return st;
}

static onnxbn_status check_ops(const onnxbn_model *m, onnxbn_error *err)
{
    const onnxbn_graph *g = &m->graph;
    int64_t opset = onnxbn_model_opset_for(m->proto, "");
    if (opset > ONNXBN_MAX_OPSET)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                           "the model imports ai.onnx opset %lld; onnxbn knows opsets up to %d",
                           (long long)opset, ONNXBN_MAX_OPSET);
    onnxbn_status st;
    for (int i = 0; i < g->n_inputs; i++)
        if ((st = check_tensor_type(&g->values[g->inputs[i]], "input", err)))
            return st;
    for (int i = 0; i < g->n_outputs; i++)
        if ((st = check_tensor_type(&g->values[g->outputs[i]], "output", err)))
            return st;
    for (int i = 0; i < g->n_nodes; i++) {
        const onnxbn_node *nd = &g->nodes[g->order[i]];
        if (!m->ops[nd->index].def) {
            char label[ONNXBN_LABEL_MAX];
            const char *dom = onnxbn_str(nd->proto->domain);
            return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                               "%s: operator %s%s%s (opset %lld) is not supported",
                               onnxbn_node_label(nd, label, sizeof label), dom, *dom ? "." : "",
                               nd->proto->op_type, (long long)nd->opset);
        }
    }
    return ONNXBN_OK;
}

/* The common case of a weight, raw little-endian bytes in the file, becomes a tensor over the
 * ModelProto's own copy of those bytes (protobuf-c's malloc'd, so aligned for any element type
 * up to 16 bytes): the weights are then held once, not twice. The proto outlives the session's
 * tensors, and nothing edits it once the session is open. Everything else (typed fields, external
 * data, odd alignment, and every error, so messages stay the same) goes through the copying
 * decoder. The budget is charged as for a copy, so --max-memory refuses the same models. */
static onnxbn_status borrow_or_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                      uint64_t *budget, onnxbn_tensor *out, onnxbn_error *err)
{
    bool external = tp->has_data_location &&
                    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    onnxbn_dtype dt = (onnxbn_dtype)(tp->has_data_type ? tp->data_type : 0);
    size_t es = dt == ONNXBN_STRING ? 0 : onnxbn_dtype_size(dt);
    if (tp->segment || external || !tp->has_raw_data || !tp->raw_data.len || es == 0 ||
        tp->n_dims > ONNXBN_MAX_RANK || (uintptr_t)tp->raw_data.data % (es < 16 ? es : 16))
        return onnxbn_tensor_from_proto(tp, base_dir, budget, out, err);
    onnxbn_tensor t;
    memset(&t, 0, sizeof t);
    if (onnxbn_tensor_set_shape(&t, dt, (int)tp->n_dims, tp->dims, NULL) ||
        tp->raw_data.len != t.nbytes || t.nbytes > *budget)
        return onnxbn_tensor_from_proto(tp, base_dir, budget, out, err);
    *budget -= t.nbytes;
    t.data = tp->raw_data.data;
    t.owns = false;
    *out = t;
    return ONNXBN_OK;
}

static onnxbn_status decode_inits(onnxbn_session *s, onnxbn_error *err)
{
    const Onnx__GraphProto *gp = s->model->proto->graph;
    s->inits = calloc(gp->n_initializer + 1, sizeof *s->inits);
    if (!s->inits)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        onnxbn_status st = borrow_or_decode(gp->initializer[i], s->model->base_dir, &s->budget,
                                            &s->inits[i], err);
        if (st) {
            onnxbn_err_prefix(err, "initializer '%.200s'", onnxbn_str(gp->initializer[i]->name));
            return st;
        }
    }
    return ONNXBN_OK;
}

/* A weight that only plan-time folding read is no longer needed once folded (plan.h): its bytes
 * go, from the ModelProto when the tensor borrowed them. The proto then has an empty raw_data
 * there; nothing reads a session's proto for tensor data again (the session's model is const
 * to callers, and saving it is not what a session is for). */
static void release_weight(void *ctx, int id)
{
    onnxbn_session *s = ctx;
    int i = s->model->graph.values[id].init_index;
    onnxbn_tensor *t = &s->inits[i];
    Onnx__TensorProto *tp = s->model->proto->graph->initializer[i];
    if (t->owns) {
        onnxbn_tensor_release(t);
    } else if (t->data && t->data == tp->raw_data.data) {
        free(tp->raw_data.data); /* protobuf-c's default allocator is malloc */
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
    }
    t->data = NULL;
}

/* Values whose contents some shape rule reads, directly (schema/ops.def VALUE_IN) or through the nodes
 * that compute them; walked backwards in topological order. Shape-only nodes (Shape, Size) read
 * no contents, so the walk stops there. It stops at DYNAMIC nodes (NonZero ...) too, their own
 * VALUE_IN inputs included: the planner defers such a node to the run when those inputs are not
 * constant (plan.c), so a NonZero over a fed image is planned once, not once per image. */
static onnxbn_status find_value_inputs(onnxbn_session *s, onnxbn_error *err)
{
    const onnxbn_graph *g = &s->model->graph;
    bool *need = s->need_value = calloc((size_t)g->n_values + 1, sizeof *need);
    if (!need)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int oi = g->n_nodes - 1; oi >= 0; oi--) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        bool all = false;
        for (int k = 0; k < nd->n_out && !all; k++)
            all = nd->out[k] >= 0 && need[nd->out[k]];
        const onnxbn_op_schema *sc = s->model->ops[nd->index].schema;
        if (sc->flags & ONNXBN_OP_DYNAMIC)
            continue;
        if (sc->flags & ONNXBN_OP_SHAPE_ONLY)
            all = false;
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0 && (all || (k < 32 && (sc->value_inputs >> k) & 1)))
                need[nd->in[k]] = true;
    }
    for (int i = 0; i < g->n_values; i++)
        if (need[i] && g->values[i].input_index >= 0)
            s->any_fed_value = true;
    return ONNXBN_OK;
}

/* The declared shape when it is complete (every dim a number), for planning at open. */
static bool static_input(const onnxbn_value_info *vi, onnxbn_tensor *t)
{
    if (vi->rank < 0 || onnxbn_dtype_size(vi->dtype) == 0 || vi->kind != ONNXBN_KIND_TENSOR)
        return false;
    for (int d = 0; d < vi->rank; d++)
        if (vi->dims[d] < 0)
            return false;
    memset(t, 0, sizeof *t);
    return onnxbn_tensor_set_shape(t, vi->dtype, vi->rank, vi->dims, NULL) == ONNXBN_OK;
}

static int64_t mono_ns(void);

/* seconds in 0 .. 1e9 (checked by the caller); a positive bound is at least 1 ns */
static int64_t timeout_ns(double seconds)
{
    int64_t ns = (int64_t)ceil(seconds * 1e9);
    return seconds > 0.0 && ns < 1 ? 1 : ns;
}

onnxbn_status onnxbn_session_new(onnxbn_model *model, const onnxbn_options *opt,
                                 onnxbn_session **out, onnxbn_error *err)
{
    if (!out) {
        onnxbn_model_free(model);
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_new: NULL argument");
    }
    *out = NULL;
    if (!model)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_new: NULL model");
    onnxbn_options o;
    if (opt) {
        onnxbn_status st = onnxbn_options_read(opt, &o, "onnxbn_session_new", err);
        if (st) {
            onnxbn_model_free(model);
            return st;
        }
        opt = &o;
    }
    onnxbn_session *s = calloc(1, sizeof *s);
    if (!s) {
        onnxbn_model_free(model);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    s->model = model;
    s->cache.cap = ONNXBN_PLAN_CACHE_DEFAULT;
    atomic_flag_clear(&s->busy);
    atomic_init(&s->stop.cancel, false);
    atomic_init(&s->timeout_ns, 0);
    if (opt)
        model->opt = *opt;
    model->opt.max_memory = onnxbn_options_max_memory(opt ? opt : &model->opt);
    s->budget = model->opt.max_memory;
    /* the open's own bound (the plan below), then each run's until set_timeout changes it */
    atomic_store(&s->timeout_ns, timeout_ns(model->opt.timeout));
    s->stop.deadline_ns = model->opt.timeout > 0.0 ? mono_ns() + atomic_load(&s->timeout_ns) : 0;
    /* BN folded into the neighbouring layers at open, as `onnxbn fuse` would: exact in double,
     * so an unfused model runs as fast as a fused one. */
    onnxbn_status st = model->opt.no_fold ? ONNXBN_OK
                                          : onnxbn_model_fuse(model, "fold-bn", 0, NULL, err);
    if (!st)
        st = check_ops(model, err);
    if (!st)
        st = onnxbn_subs_open(model, err);
    /* onnxbn threads around SGEMM (one call per thread), so OpenBLAS runs each call on the
     * calling thread alone while the session is open (process-wide; restored at the last
     * session's free: gemm.h). */
    onnxbn_blas_hold();
    s->blas_held = true;
    if (!st)
        st = onnxbn_pool_new(model->opt.threads, &s->pool, err);
    if (!st && model->opt.profile) {
        s->prof_ns = calloc((size_t)model->graph.n_nodes + 1, sizeof *s->prof_ns);
        s->prof_runs = calloc((size_t)model->graph.n_nodes + 1, sizeof *s->prof_runs);
        if (!s->prof_ns || !s->prof_runs)
            st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    if (!st)
        st = decode_inits(s, err);
    if (!st)
        st = find_value_inputs(s, err);
    if (!st)
        st = onnxbn_kept_init(&s->kept, &model->graph, model->ops, s->need_value, err);
    s->kept.release = release_weight;
    s->kept.ctx = s;
    /* Plan now when every input's shape is fixed, so shape errors show at open. */
    const onnxbn_graph *g = &model->graph;
    int n = g->n_inputs;
    onnxbn_tensor *shapes = calloc((size_t)n + 1, sizeof *shapes);
    const onnxbn_tensor **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    if (!st && (!shapes || !ptrs))
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    bool all_static = !s->any_fed_value; /* value inputs have no contents before a run */
    for (int i = 0; !st && i < n && all_static; i++) {
        all_static = static_input(&model->in_info[i], &shapes[i]);
        ptrs[i] = &shapes[i];
    }
    if (!st && all_static)
        st = new_plan(s, n, g->inputs, ptrs, NULL, &s->stop, err);
    free(shapes);
    free(ptrs);
    if (st) {
        onnxbn_session_free(s);
        return st;
    }
    *out = s;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_session_open(const char *path, const onnxbn_options *opt,
                                  onnxbn_session **out, onnxbn_error *err)
{
    if (!out)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_open: NULL argument");
    *out = NULL;
    onnxbn_model *m;
    onnxbn_status st = onnxbn_model_load(path, opt, &m, err);
    if (st)
        return st;
    st = onnxbn_session_new(m, opt, out, err);
    if (st)
        onnxbn_err_prefix(err, "%s", path); /* as load errors are */
    return st;
}

/* Each fed tensor against the graph input's declared type and shape; symbolic dims must agree
 * across inputs. */
static onnxbn_status check_inputs(const onnxbn_session *s, size_t n, const char *const *names,
                                  const onnxbn_tensor *const *inputs, int *ids, onnxbn_error *err)
{
    const onnxbn_graph *g = &s->model->graph;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !inputs[i])
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "input %zu: NULL name or tensor", i);
        int id = onnxbn_graph_find(g, names[i]);
        if (id < 0 || g->values[id].input_index < 0)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "the model has no input named '%.200s'", names[i]);
        for (size_t j = 0; j < i; j++)
            if (ids[j] == id)
                return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%.200s' is given twice", names[i]);
        ids[i] = id;
        const onnxbn_tensor *t = inputs[i];
        if (t->nbytes && !t->data)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%.200s' has no data", names[i]);
        onnxbn_value_info vi;
        onnxbn_value_info_fill(g->values[id].info, &vi);
        const bool seq_ok = vi.kind == ONNXBN_KIND_SEQUENCE || vi.kind == ONNXBN_KIND_OPTIONAL_SEQUENCE;
        const bool opt = vi.kind == ONNXBN_KIND_OPTIONAL_TENSOR || vi.kind == ONNXBN_KIND_OPTIONAL_SEQUENCE;
        const bool undeclared = !g->values[id].info || !g->values[id].info->type;
        if (t->kind != ONNXBN_KIND_TENSOR || vi.kind != ONNXBN_KIND_TENSOR) {
            /* a sequence where a tensor is declared, or the other way round, stops here */
            bool ok = t->kind == ONNXBN_KIND_SEQUENCE ? seq_ok || undeclared
                      : t->kind == ONNXBN_KIND_NONE   ? opt || undeclared
                                                      : !seq_ok;
            if (!ok)
                return onnxbn_fail(err, ONNXBN_ERR_TYPE, "input '%.200s' is %s, the model expects %s",
                                   names[i], onnxbn_kind_name(t->kind),
                                   seq_ok ? "a sequence" : "a tensor");
            if (t->kind == ONNXBN_KIND_SEQUENCE && vi.dtype != ONNXBN_UNDEFINED &&
                t->dtype != ONNXBN_UNDEFINED && vi.dtype != t->dtype)
                return onnxbn_fail(err, ONNXBN_ERR_TYPE, "input '%.200s' is a sequence of %s, the model expects %s",
                                   names[i], onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(vi.dtype));
            if (t->kind != ONNXBN_KIND_TENSOR)
                continue; /* element shapes are checked by the nodes that read them */
        }
        if (g->values[id].init && vi.dtype == ONNXBN_UNDEFINED) {
            vi.dtype = (onnxbn_dtype)g->values[id].init->data_type;
        }
        if (vi.dtype != ONNXBN_UNDEFINED && vi.dtype != t->dtype)
            return onnxbn_fail(err, ONNXBN_ERR_TYPE, "input '%.200s' is %s, the model expects %s",
                               names[i], onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(vi.dtype));
        char got[ONNXBN_SHAPE_STR_MAX];
        if (vi.rank >= 0 && vi.rank != t->rank)
            return onnxbn_fail(err, ONNXBN_ERR_SHAPE, "input '%.200s' has shape %s (rank %d), the model expects rank %d",
                               names[i], onnxbn_shape_str(t, got, sizeof got), t->rank, vi.rank);
        for (int d = 0; vi.rank >= 0 && d < vi.rank; d++) {
            if (vi.dims[d] >= 0 && vi.dims[d] != t->dims[d])
                return onnxbn_fail(err, ONNXBN_ERR_SHAPE,
                                   "input '%.200s' has shape %s, the model expects dimension %d to be %lld",
                                   names[i], onnxbn_shape_str(t, got, sizeof got), d, (long long)vi.dims[d]);
            if (!vi.dim_names[d])
                continue;
            /* The same symbol elsewhere among the fed inputs must have the same size. */
            for (size_t j = 0; j < i; j++) {
                onnxbn_value_info vj;
                onnxbn_value_info_fill(g->values[ids[j]].info, &vj);
                for (int e = 0; e < vj.rank && e < inputs[j]->rank; e++)
                    if (vj.dim_names[e] && !strcmp(vj.dim_names[e], vi.dim_names[d]) &&
                        inputs[j]->dims[e] != t->dims[d])
                        return onnxbn_fail(err, ONNXBN_ERR_SHAPE,
                                           "dimension '%.60s' is %lld in input '%.200s' but %lld in input '%.200s'",
                                           vi.dim_names[d], (long long)inputs[j]->dims[e], names[j],
                                           (long long)t->dims[d], names[i]);
            }
        }
    }
    for (int k = 0; k < g->n_inputs; k++) {
        bool given = false;
        for (size_t i = 0; i < n && !given; i++)
            given = ids[i] == g->inputs[k];
        if (!given)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%.200s' was not given",
                               g->values[g->inputs[k]].name);
    }
    return ONNXBN_OK;
}

/* Sorted by value id, so the plan key does not depend on the caller's order. */
static void sort_fed(int n, int *ids, const onnxbn_tensor **t)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            int a = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = a;
            const onnxbn_tensor *b = t[j];
            t[j] = t[j - 1];
            t[j - 1] = b;
        }
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void onnxbn_session_cancel(onnxbn_session *s)
{
    if (s)
        atomic_store_explicit(&s->stop.cancel, true, memory_order_relaxed);
}

onnxbn_status onnxbn_session_set_timeout(onnxbn_session *s, double seconds, onnxbn_error *err)
{
    if (!s)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_set_timeout: NULL session");
    if (!(seconds >= 0.0 && seconds <= 1e9))
        return onnxbn_fail(err, ONNXBN_ERR_ARG,
                           "onnxbn_session_set_timeout: %g seconds; expected 0 (none) to 1e9",
                           seconds);
    atomic_store(&s->timeout_ns, timeout_ns(seconds));
    return ONNXBN_OK;
}

static onnxbn_status run_locked(onnxbn_session *s, size_t n, const char *const *names,
                                const onnxbn_tensor *const *inputs, onnxbn_stop *stop,
                                onnxbn_error *err);

/* A branch session runs inside its outer run (one at a time, as the outer session): no busy
 * flag of its own, and the outer stop request, so cancel and deadline reach into it. */
onnxbn_status onnxbn_session_run_nested(onnxbn_session *s, size_t n, const char *const *names,
                                        const onnxbn_tensor *const *inputs, onnxbn_stop *stop,
                                        onnxbn_error *err)
{
    return run_locked(s, n, names, inputs, stop, err);
}

onnxbn_status onnxbn_session_run(onnxbn_session *s, size_t n, const char *const *names,
                                 const onnxbn_tensor *const *inputs, onnxbn_error *err)
{
    if (!s || (n && (!names || !inputs)))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_run: NULL argument");
    /* Refused rather than queued: a caller that shares a session between threads learns it at
     * once, and a run never waits on a lock behind another caller's long model. */
    if (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
        return onnxbn_fail(err, ONNXBN_ERR_BUSY,
                           "onnxbn_session_run: the session is running on another thread; "
                           "a session runs one call at a time");
    int64_t timeout = atomic_load(&s->timeout_ns);
    s->stop.deadline_ns = timeout ? mono_ns() + timeout : 0;
    atomic_store_explicit(&s->stop.cancel, false, memory_order_relaxed);
    onnxbn_status st = run_locked(s, n, names, inputs, &s->stop, err);
    atomic_flag_clear_explicit(&s->busy, memory_order_release);
    return st;
}

static onnxbn_status run_locked(onnxbn_session *s, size_t n, const char *const *names,
                                const onnxbn_tensor *const *inputs, onnxbn_stop *stop,
                                onnxbn_error *err)
{
    if (n > (size_t)s->model->graph.n_values)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "%zu inputs given, the model has fewer", n);
    s->ran = false;
    if (n + 1 > s->run_cap) {
        int *ids = realloc(s->run_ids, (n + 1) * sizeof *ids);
        if (ids)
            s->run_ids = ids;
        const onnxbn_tensor **fed = realloc(s->run_fed, (n + 1) * sizeof *fed);
        if (fed)
            s->run_fed = fed;
        if (!ids || !fed)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        s->run_cap = n + 1;
    }
    int *ids = s->run_ids;
    const onnxbn_tensor **fed = s->run_fed;
    memset(ids, 0, (n + 1) * sizeof *ids);
    memset(fed, 0, (n + 1) * sizeof *fed);
    onnxbn_status st = check_inputs(s, n, names, inputs, ids, err);
    if (!st) {
        if (n)
            memcpy(fed, inputs, n * sizeof *fed);
        sort_fed((int)n, ids, fed);
        if (!s->plan || !onnxbn_plan_matches(s->plan, (int)n, ids, fed)) {
            if (onnxbn_plancache_find(&s->cache, (int)n, ids, fed)) {
                onnxbn_plancache_fit(&s->cache, s->budget);
                s->plan = s->cache.plan[0];
            } else {
                st = new_plan(s, (int)n, ids, fed, s->need_value, stop, err);
            }
        }
    }
    if (!st)
        st = onnxbn_plan_run(s->plan, (int)n, ids, fed, s->prof_ns, s->prof_runs, stop, err);
    s->ran = st == ONNXBN_OK;
    return st;
}

void onnxbn_session_unkey_inputs(onnxbn_session *s, int n)
{
    const onnxbn_graph *g = &s->model->graph;
    if (!s->need_value)
        return;
    for (int i = 0; i < g->n_values; i++)
        if (g->values[i].input_index >= 0 && g->values[i].input_index < n)
            s->need_value[i] = false;
    s->any_fed_value = false;
    for (int i = 0; i < g->n_values; i++)
        if (s->need_value[i] && g->values[i].input_index >= 0)
            s->any_fed_value = true;
}

/* The plan for inputs of these shapes, built as a run would build it but not run: the shape
 * inference behind onnxbn_session_shapes (shapes.c). Inputs whose contents decide shapes have
 * no contents here, so a model with such an input is refused. */
onnxbn_status onnxbn_session_plan_for(onnxbn_session *s, size_t n, const char *const *names,
                                      const onnxbn_tensor *const *inputs, const onnxbn_plan **out,
                                      onnxbn_error *err)
{
    *out = NULL;
    if (s->any_fed_value)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                           "the contents of a graph input decide shapes in this model: its "
                           "shapes are known only when it runs");
    if (n > (size_t)s->model->graph.n_values)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "%zu inputs given, the model has fewer", n);
    /* it replaces the plan a run on another thread would be using */
    if (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
        return onnxbn_fail(err, ONNXBN_ERR_BUSY,
                           "onnxbn_session_shapes: the session is running on another thread");
    int *ids = calloc(n + 1, sizeof *ids);
    const onnxbn_tensor **fed = calloc(n + 1, sizeof *fed);
    onnxbn_status st = ids && fed ? ONNXBN_OK : onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    if (!st)
        st = check_inputs(s, n, names, inputs, ids, err);
    if (!st) {
        if (n)
            memcpy(fed, inputs, n * sizeof *fed);
        sort_fed((int)n, ids, fed);
        /* the same way a run finds or makes its plan: from the cache, or a new one in it */
        if (!s->plan || !onnxbn_plan_matches(s->plan, (int)n, ids, fed)) {
            s->ran = false;
            if (onnxbn_plancache_find(&s->cache, (int)n, ids, fed)) {
                onnxbn_plancache_fit(&s->cache, s->budget);
                s->plan = s->cache.plan[0];
            } else {
                /* planning folds constants: the session's timeout bounds it as it bounds a run */
                int64_t timeout = atomic_load(&s->timeout_ns);
                s->stop.deadline_ns = timeout ? mono_ns() + timeout : 0;
                atomic_store_explicit(&s->stop.cancel, false, memory_order_relaxed);
                st = new_plan(s, (int)n, ids, fed, s->need_value, &s->stop, err);
            }
        }
    }
    free(ids);
    free(fed);
    atomic_flag_clear_explicit(&s->busy, memory_order_release);
    *out = st ? NULL : s->plan;
    return st;
}

uint64_t onnxbn_session_plan_builds(const onnxbn_session *s) { return s ? s->plan_builds : 0; }

void onnxbn_session_set_plan_cache(onnxbn_session *s, int cap)
{
    onnxbn_plancache_set_cap(&s->cache, cap);
    s->plan = s->cache.n ? s->cache.plan[0] : NULL;
}

int onnxbn_session_plan_count(const onnxbn_session *s) { return s ? s->cache.n : 0; }

int onnxbn_session_deferred_steps(const onnxbn_session *s)
{
    return s && s->plan ? s->plan->n_deferred : 0;
}

size_t onnxbn_session_run_arena(const onnxbn_session *s, size_t *peak, int *blocks)
{
    const onnxbn_run_arena *a = s && s->plan ? &s->plan->run : NULL;
    *peak = a ? a->peak : 0;
    *blocks = a ? a->n : 0;
    return a ? a->total : 0;
}

const onnxbn_tensor *onnxbn_session_output(const onnxbn_session *s, size_t i)
{
    if (!s || !s->ran || !s->plan || i >= (size_t)s->model->graph.n_outputs)
        return NULL;
    int id = s->model->graph.outputs[i];
    if (s->plan->kind[id] == VAL_INPUT)
        return &s->plan->out_copies[i];
    return &s->plan->vals[id];
}

bool onnxbn_session_memory(const onnxbn_session *s, onnxbn_memory_info *out)
{
    if (!out)
        return false;
    onnxbn_memory_info mi = ONNXBN_MEMORY_INFO_INIT;
    if (s && s->plan) {
        mi.arena_bytes = s->plan->arena_size;
        mi.arena_lower_bound = s->plan->arena_lower_bound;
        mi.constant_bytes = s->plan->const_bytes;
    }
    /* Zeroes when there is no plan, as far as the caller's struct goes. */
    return onnxbn_out_copy(out, &mi, ONNXBN_MEMORY_INFO_SIZE_V1, sizeof mi) && s && s->plan;
}

size_t onnxbn_session_profile_count(const onnxbn_session *s)
{
    return s && s->prof_ns ? (size_t)s->model->graph.n_nodes : 0;
}

bool onnxbn_session_profile_get(const onnxbn_session *s, size_t i, const char **name,
                                const char **op_type, uint64_t *total_ns, uint64_t *runs)
{
    if (i >= onnxbn_session_profile_count(s))
        return false;
    const onnxbn_node *nd = &s->model->graph.nodes[i];
    if (name)
        *name = onnxbn_str(nd->proto->name);
    if (op_type)
        *op_type = onnxbn_str(nd->proto->op_type);
    if (total_ns)
        *total_ns = s->prof_ns[i];
    if (runs)
        *runs = s->prof_runs[i];
    return true;
}

void onnxbn_session_profile_reset(onnxbn_session *s)
{
    size_t n = onnxbn_session_profile_count(s);
    if (n) {
        memset(s->prof_ns, 0, n * sizeof *s->prof_ns);
        memset(s->prof_runs, 0, n * sizeof *s->prof_runs);
    }
}
