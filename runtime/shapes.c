/* SPDX-License-Identifier: Apache-2.0 */
/* shapes.c — every value's type and shape as the planner infers them (onnxbn_session_shapes):
 * plans built for trial sizes of the unbound symbols, compared to tell symbolic dimensions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "plan.h"
#include "../converter/convert.h"

/* Trial sizes of an unbound symbol: the base, then two more that vary it alone. Three points
 * prove an affine dimension (a*N+b) and refute most others. Small, so a plan is cheap, and
 * over 4 so that a kernel or a slice of a few elements still fits. */
static const int64_t trial_size[3] = {5, 7, 11};

#define EXPR_MAX 64 /* a 20-digit factor, a 20-byte name, a 21-byte term */

struct onnxbn_shapes {
    size_t n;
    onnxbn_value_info *vals;
    char **names;                     /* owned copies of the value names */
    char (*expr)[ONNXBN_MAX_RANK][EXPR_MAX]; /* per value and dim: "N", "2*N", "N+1", "?" */
};

typedef struct {
    const char *name; /* the dim_param, or NULL for an unnamed unknown dimension */
    int64_t bound;    /* the caller's size, or -1 */
} sym;

typedef struct {
    int rank; /* -1: unknown (a deferred value or one not planned) */
    onnxbn_dtype dtype;
    int64_t dims[ONNXBN_MAX_RANK];
} seen;

void onnxbn_shapes_free(onnxbn_shapes *sh)
{
    if (!sh)
        return;
    for (size_t i = 0; i < sh->n; i++)
        free(sh->names[i]);
    free(sh->names);
    free(sh->vals);
    free(sh->expr);
    free(sh);
}

size_t onnxbn_shapes_count(const onnxbn_shapes *sh) { return sh ? sh->n : 0; }

const onnxbn_value_info *onnxbn_shapes_value(const onnxbn_shapes *sh, size_t i)
{
    return sh && i < sh->n ? &sh->vals[i] : NULL;
}

/* Symbol index of input k's dim d: named dims share one symbol, each unnamed one is its own. */
static int sym_of(const sym *syms, int n_syms, const onnxbn_value_info *vi, int k, int d,
                  const int *first_anon)
{
    if (vi->dim_names[d]) {
        for (int j = 0; j < n_syms; j++)
            if (syms[j].name && !strcmp(syms[j].name, vi->dim_names[d]))
                return j;
        return -1;
    }
    int j = first_anon[k];
    for (int e = 0; e < d; e++)
        j += vi->dims[e] < 0 && !vi->dim_names[e];
    return j;
}

/* Plans the session for inputs where symbol j has size size[j]; records every listed value. */
static onnxbn_status trial(onnxbn_session *s, const sym *syms, int n_syms, const int64_t *size,
                           const int *first_anon, const int *ids, size_t n_ids, seen *out,
                           onnxbn_error *err)
{
    const onnxbn_model *m = onnxbn_session_model(s);
    const onnxbn_graph *g = &m->graph;
    size_t n_in = (size_t)g->n_inputs;
    onnxbn_tensor **t = calloc(n_in + 1, sizeof *t);
    const char **names = calloc(n_in + 1, sizeof *names);
    onnxbn_status st = t && names ? ONNXBN_OK : onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (size_t k = 0; !st && k < n_in; k++) {
        const onnxbn_value_info *vi = &m->in_info[k];
        names[k] = vi->name;
        if (vi->rank < 0 || onnxbn_dtype_size(vi->dtype) == 0) {
            st = onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                             "input '%.200s' declares no tensor type and shape to start from",
                             vi->name);
            break;
        }
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < vi->rank; d++)
            dims[d] = vi->dims[d] >= 0 ? vi->dims[d]
                                       : size[sym_of(syms, n_syms, vi, (int)k, d, first_anon)];
        st = onnxbn_tensor_new(vi->dtype, vi->rank, dims, &t[k], err);
    }
    const onnxbn_plan *p = NULL;
    if (!st)
        st = onnxbn_session_plan_for(s, n_in, names, (const onnxbn_tensor *const *)t, &p, err);
    for (size_t i = 0; !st && i < n_ids; i++) {
        int id = ids[i];
        /* a sequence's planned "shape" is its block size, not a tensor shape: left unknown */
        bool known = p->kind[id] != VAL_ABSENT && p->kind[id] != VAL_RUN &&
                     p->vals[id].kind == ONNXBN_KIND_TENSOR;
        out[i].rank = known ? p->vals[id].rank : -1;
        out[i].dtype = p->vals[id].dtype;
        if (known)
            memcpy(out[i].dims, p->vals[id].dims, sizeof out[i].dims);
    }
    for (size_t k = 0; t && k < n_in; k++)
        onnxbn_tensor_free(t[k]);
    free(t);
    free(names);
    return st;
}

/* a*name+b, or "?" when a is not a whole number or there is no name. */
static void affine(char *buf, const char *name, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
                   int64_t x2, int64_t y2)
{
    int64_t dx = x1 - x0, dy = y1 - y0;
    if (!name || dy % dx) {
        snprintf(buf, EXPR_MAX, "?");
        return;
    }
    int64_t a = dy / dx, b = y0 - a * x0;
    if (a == 0 || a * x2 + b != y2) {
        snprintf(buf, EXPR_MAX, "?");
        return;
    }
    int at = a == 1 ? snprintf(buf, EXPR_MAX, "%.20s", name)
                    : snprintf(buf, EXPR_MAX, "%lld*%.20s", (long long)a, name);
    if (b && at > 0 && at < EXPR_MAX)
        snprintf(buf + at, (size_t)(EXPR_MAX - at), "%+lld", (long long)b);
}

onnxbn_status onnxbn_session_shapes(onnxbn_session *s, size_t n_bind, const char *const *symbols,
                                    const int64_t *sizes, onnxbn_shapes **out, onnxbn_error *err)
{
    if (!s || !out || (n_bind && (!symbols || !sizes)))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_session_shapes: NULL argument");
    *out = NULL;
    const onnxbn_model *m = onnxbn_session_model(s);
    const onnxbn_graph *g = &m->graph;
    int n_in = g->n_inputs;

    /* The symbols: named ones once, then every unnamed unknown dimension. */
    int cap = 1;
    for (int k = 0; k < n_in; k++)
        cap += m->in_info[k].rank > 0 ? m->in_info[k].rank : 0;
    sym *syms = calloc((size_t)cap, sizeof *syms);
    int *first_anon = calloc((size_t)n_in + 1, sizeof *first_anon);
    size_t n_ids = (size_t)n_in;
    for (int i = 0; i < g->n_nodes; i++)
        n_ids += (size_t)g->nodes[i].n_out;
    int *ids = calloc(n_ids + 1, sizeof *ids);
    onnxbn_shapes *sh = calloc(1, sizeof *sh);
    onnxbn_status st = syms && first_anon && ids && sh
                           ? ONNXBN_OK
                           : onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    int n_syms = 0;
    for (int k = 0; !st && k < n_in; k++) {
        const onnxbn_value_info *vi = &m->in_info[k];
        for (int d = 0; d < vi->rank; d++)
            if (vi->dims[d] < 0 && vi->dim_names[d] &&
                sym_of(syms, n_syms, vi, k, d, first_anon) < 0)
                syms[n_syms++] = (sym){vi->dim_names[d], -1};
    }
    for (int k = 0; !st && k < n_in; k++) {
        const onnxbn_value_info *vi = &m->in_info[k];
        first_anon[k] = n_syms;
        for (int d = 0; d < vi->rank; d++)
            if (vi->dims[d] < 0 && !vi->dim_names[d])
                syms[n_syms++] = (sym){NULL, -1};
    }
    for (size_t b = 0; !st && b < n_bind; b++) {
        int j = 0;
        while (j < n_syms && !(syms[j].name && symbols[b] && !strcmp(syms[j].name, symbols[b])))
            j++;
        if (j == n_syms)
            st = onnxbn_fail(err, ONNXBN_ERR_ARG, "no input has a dimension named '%.60s'",
                             symbols[b] ? symbols[b] : "(null)");
        else if (sizes[b] < 0)
            st = onnxbn_fail(err, ONNXBN_ERR_ARG, "dimension '%.60s' given size %lld",
                             symbols[b], (long long)sizes[b]);
        else
            syms[j].bound = sizes[b];
    }

    /* The values listed: graph inputs, then node outputs in topological order. */
    size_t n = 0;
    for (int k = 0; !st && k < n_in; k++)
        ids[n++] = g->inputs[k];
    for (int i = 0; !st && i < g->n_nodes; i++) {
        const onnxbn_node *nd = &g->nodes[g->order[i]];
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                ids[n++] = nd->out[k];
    }
    int free_syms = 0;
    for (int j = 0; j < n_syms; j++)
        free_syms += syms[j].bound < 0;
    int n_trials = 1 + 2 * free_syms;
    seen *obs = NULL;
    int64_t *size = NULL;
    if (!st) {
        obs = calloc((size_t)n_trials * (n + 1), sizeof *obs);
        size = calloc((size_t)n_syms + 1, sizeof *size);
        sh->vals = calloc(n + 1, sizeof *sh->vals);
        sh->names = calloc(n + 1, sizeof *sh->names);
        sh->expr = calloc(n + 1, sizeof *sh->expr);
        if (!obs || !size || !sh->vals || !sh->names || !sh->expr)
            st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    /* Trial 0: every free symbol at its base; trials 2f+1, 2f+2: free symbol f alone varied. */
    int *varied = calloc((size_t)n_trials + 1, sizeof *varied); /* symbol index, -1 for base */
    if (!st && !varied)
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int t = 0, f = 0; !st && t < n_trials; t++) {
        varied[t] = -1;
        for (int j = 0; j < n_syms; j++) {
            size[j] = syms[j].bound >= 0 ? syms[j].bound : trial_size[0];
            if (t && syms[j].bound < 0 && f++ == (t - 1) / 2) {
                size[j] = trial_size[1 + (t - 1) % 2];
                varied[t] = j;
            }
        }
        f = 0;
        st = trial(s, syms, n_syms, size, first_anon, ids, n, obs + (size_t)t * n, err);
    }
    for (size_t i = 0; !st && i < n; i++) {
        const onnxbn_value *v = &g->values[ids[i]];
        onnxbn_value_info *vi = &sh->vals[i];
        const seen *o0 = &obs[i];
        if (!(sh->names[i] = strdup(v->name))) {
            st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
            break;
        }
        *vi = (onnxbn_value_info)ONNXBN_VALUE_INFO_INIT;
        vi->name = sh->names[i];
        vi->dtype = o0->dtype;
        vi->rank = o0->rank;
        for (int t = 1; t < n_trials; t++)
            if (obs[(size_t)t * n + i].rank != o0->rank)
                vi->rank = -1;
        for (int d = 0; d < vi->rank; d++) {
            int64_t y0 = o0->dims[d];
            int who = -2; /* -2: no trial changed it; -1: trials of two symbols did */
            for (int t = 1; t < n_trials; t++)
                if (obs[(size_t)t * n + i].dims[d] != y0)
                    who = who == -2 || who == varied[t] ? varied[t] : -1;
            vi->dims[d] = who == -2 ? y0 : -1;
            if (who == -2)
                continue;
            char *e = sh->expr[i][d];
            int t1 = 0;
            while (who >= 0 && varied[t1] != who)
                t1++;
            if (who < 0)
                snprintf(e, EXPR_MAX, "?");
            else
                affine(e, syms[who].name, trial_size[0], y0, trial_size[1],
                       obs[(size_t)t1 * n + i].dims[d], trial_size[2],
                       obs[(size_t)(t1 + 1) * n + i].dims[d]);
            vi->dim_names[d] = e;
        }
        sh->n = i + 1;
    }
    free(varied);
    free(obs);
    free(size);
    free(syms);
    free(first_anon);
    free(ids);
    if (st) {
        onnxbn_shapes_free(sh);
        return st;
    }
    *out = sh;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_model_add_value_info(onnxbn_model *m, const onnxbn_shapes *sh,
                                          onnxbn_error *err)
{
    if (!m || !sh)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_add_value_info: NULL argument");
    Onnx__GraphProto *gp = m->proto->graph;
    for (size_t i = 0; i < sh->n; i++) {
        const onnxbn_value_info *vi = &sh->vals[i];
        int id = onnxbn_graph_find(&m->graph, vi->name);
        if (id < 0 || vi->rank < 0 || onnxbn_dtype_size(vi->dtype) == 0)
            continue;
        const onnxbn_value *v = &m->graph.values[id];
        /* what the model declares stays as it is */
        if (v->info || v->init || v->input_index >= 0 || v->output_index >= 0)
            continue;
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < vi->rank; d++)
            dims[d] = vi->dims[d] < 0 ? 0 : vi->dims[d];
        Onnx__ValueInfoProto *p = fz_new_tensor_vi(vi->name, (int32_t)vi->dtype, (size_t)vi->rank,
                                                   dims);
        Onnx__ValueInfoProto **grown =
            p ? realloc(gp->value_info, (gp->n_value_info + 1) * sizeof *grown) : NULL;
        if (grown)
            gp->value_info = grown;
        bool ok = grown != NULL;
        for (int d = 0; ok && d < vi->rank; d++) {
            Onnx__TensorShapeProto__Dimension *dd = p->type->tensor_type->shape->dim[d];
            if (vi->dims[d] >= 0)
                continue;
            /* an expression is a symbol ONNX keeps by name; '?' a dimension with no value */
            if (vi->dim_names[d] && strcmp(vi->dim_names[d], "?")) {
                dd->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                ok = (dd->dim_param = strdup(vi->dim_names[d])) != NULL;
            } else {
                dd->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE__NOT_SET;
            }
        }
        if (!ok) {
            if (p)
                onnx__value_info_proto__free_unpacked(p, NULL);
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        }
        gp->value_info[gp->n_value_info++] = p;
        onnxbn_graph_info_reload(&m->graph, vi->name);
    }
    return ONNXBN_OK;
}
