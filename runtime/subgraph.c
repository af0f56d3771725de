/* SPDX-License-Identifier: Apache-2.0 */
/* subgraph.c — a node's subgraphs as models of their own (built at load over a shell proto),
 * their sessions (opened with the outer session), and running one with the node's inputs. */
#include "subgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void onnxbn_shell_free(Onnx__ModelProto *shell)
{
    if (!shell)
        return;
    Onnx__GraphProto *g = shell->graph;
    if (g) {
        /* inputs past the branch's own are the shell's: name borrowed, struct owned */
        for (size_t i = 0; i < g->n_input; i++)
            if (g->input[i] && !g->input[i]->type && g->input[i]->doc_string == (char *)g)
                free(g->input[i]);
        free(g->input);
        free(g);
    }
    free(shell);
}

/* The shell: the branch GraphProto's fields as they are (borrowed), its inputs followed by one
 * ValueInfoProto per free name. doc_string points at the shell graph to mark what it owns. */
static onnxbn_status make_shell(const Onnx__ModelProto *outer, const Onnx__GraphProto *gp,
                                const char **names, size_t n, Onnx__ModelProto **out,
                                onnxbn_error *err)
{
    *out = NULL;
    Onnx__ModelProto *m = calloc(1, sizeof *m);
    Onnx__GraphProto *g = calloc(1, sizeof *g);
    Onnx__ValueInfoProto **in = calloc(gp->n_input + n + 1, sizeof *in);
    if (!m || !g || !in) {
        free(m);
        free(g);
        free(in);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    onnx__model_proto__init(m);
    *g = *gp;
    m->graph = g;
    m->has_ir_version = true;
    m->ir_version = outer->ir_version > 0 ? outer->ir_version : 3;
    m->n_opset_import = outer->n_opset_import;
    m->opset_import = outer->opset_import;
    g->input = in;
    g->n_input = gp->n_input;
    if (gp->n_input)
        memcpy(in, gp->input, gp->n_input * sizeof *in);
    for (size_t i = 0; i < n; i++) {
        Onnx__ValueInfoProto *vi = calloc(1, sizeof *vi);
        if (!vi) {
            onnxbn_shell_free(m);
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        }
        onnx__value_info_proto__init(vi);
        vi->name = (char *)names[i];
        vi->doc_string = (char *)g;
        in[g->n_input++] = vi;
    }
    *out = m;
    return ONNXBN_OK;
}

static void branch_free(onnxbn_branch *b)
{
    if (b->sess)
        onnxbn_session_free(b->sess); /* frees the model */
    else
        onnxbn_model_free(b->model);
    free(b->names);
    free(b->src);
    free(b->bind_names);
    free(b->bind_in);
    if (b->keep && b->keep_free)
        b->keep_free(b->keep);
}

void onnxbn_subs_free(onnxbn_model *m)
{
    if (!m->subs)
        return;
    for (int i = 0; i < m->n_subs; i++) {
        onnxbn_subs *s = m->subs[i];
        if (!s)
            continue;
        for (int k = 0; k < s->n; k++)
            branch_free(&s->b[k]);
        free(s->b);
        free(s);
    }
    free(m->subs);
    m->subs = NULL;
    m->n_subs = 0;
}

/* Branch `b` over graph gp of node nd: its free names, its shell model, where each free name
 * is among the node's inputs. */
static onnxbn_status branch_build(onnxbn_model *m, const onnxbn_node *nd, const char *attr,
                                  const Onnx__GraphProto *gp, onnxbn_branch *b, onnxbn_error *err)
{
    b->attr = attr;
    size_t n;
    const char **names;
    if (!onnxbn_graph_free_names(gp, &names, &n))
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    b->names = names;
    b->n_free = (int)n;
    b->src = calloc(n + 1, sizeof *b->src);
    b->n_formal = (int)gp->n_input;
    /* made once here so that a Loop's iterations bind their inputs without allocating */
    b->bind_names = calloc(gp->n_input + n + 1, sizeof *b->bind_names);
    b->bind_in = calloc(gp->n_input + n + 1, sizeof *b->bind_in);
    if (!b->src || !b->bind_names || !b->bind_in)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_input; i++)
        b->bind_names[i] = onnxbn_str(gp->input[i]->name);
    for (size_t i = 0; i < n; i++)
        b->bind_names[gp->n_input + i] = names[i];
    const onnxbn_graph *g = &m->graph;
    for (size_t i = 0; i < n; i++) {
        b->src[i] = -1;
        for (int k = nd->n_args; k < nd->n_in && b->src[i] < 0; k++)
            if (nd->in[k] >= 0 && !strcmp(g->values[nd->in[k]].name, names[i]))
                b->src[i] = k;
        ONNXBN_CHECK(b->src[i] >= 0, err); /* the index made every free name an input */
    }
    Onnx__ModelProto *shell;
    onnxbn_status st = make_shell(m->proto, gp, names, n, &shell, err);
    if (st)
        return st;
    onnxbn_model *bm = calloc(1, sizeof *bm);
    if (!bm) {
        onnxbn_shell_free(shell);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    bm->proto = shell;
    bm->shell = true;
    bm->opt = m->opt;
    b->model = bm;
    if (m->base_dir && !(bm->base_dir = strdup(m->base_dir)))
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    return onnxbn_model_reindex(bm, err);
}

onnxbn_status onnxbn_subs_build(onnxbn_model *m, onnxbn_error *err)
{
    onnxbn_subs_free(m);
    const onnxbn_graph *g = &m->graph;
    for (int i = 0; i < g->n_nodes; i++) {
        const onnxbn_node *nd = &g->nodes[i];
        const Onnx__NodeProto *np = nd->proto;
        int n = 0;
        for (size_t a = 0; a < np->n_attribute; a++)
            n += (int)np->attribute[a]->n_graphs + (np->attribute[a]->g != NULL);
        if (!n)
            continue;
        if (!m->subs) {
            if (!(m->subs = calloc((size_t)g->n_nodes + 1, sizeof *m->subs)))
                return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
            m->n_subs = g->n_nodes;
        }
        onnxbn_subs *s = m->subs[i] = calloc(1, sizeof *s);
        if (!s || !(s->b = calloc((size_t)n, sizeof *s->b)))
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        for (size_t a = 0; a < np->n_attribute; a++) {
            const Onnx__AttributeProto *at = np->attribute[a];
            for (size_t j = 0; j < at->n_graphs + (at->g != NULL); j++) {
                onnxbn_status st = branch_build(m, nd, onnxbn_str(at->name),
                                                j < at->n_graphs ? at->graphs[j] : at->g,
                                                &s->b[s->n++], err);
                if (st) {
                    char label[ONNXBN_LABEL_MAX];
                    onnxbn_err_prefix(err, "%s: subgraph '%.60s'",
                                      onnxbn_node_label(nd, label, sizeof label), onnxbn_str(at->name));
                    return st;
                }
            }
        }
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_subs_open(onnxbn_model *m, onnxbn_error *err)
{
    for (int i = 0; m->subs && i < m->graph.n_nodes; i++) {
        onnxbn_subs *s = m->subs[i];
        for (int k = 0; s && k < s->n; k++) {
            onnxbn_branch *b = &s->b[k];
            if (b->sess)
                continue;
            onnxbn_options o = m->opt;
            o.no_fold = true; /* the outer model's fold did the branch's (converter/fuse.c) */
            o.threads = 1;
            o.profile = false;
            onnxbn_model *bm = b->model;
            b->model = NULL;
            onnxbn_status st = onnxbn_session_new(bm, &o, &b->sess, err);
            if (st) {
                char label[ONNXBN_LABEL_MAX];
                onnxbn_err_prefix(err, "%s: subgraph '%.60s'",
                                  onnxbn_node_label(&m->graph.nodes[i], label, sizeof label), b->attr);
                return st;
            }
            b->model = (onnxbn_model *)onnxbn_session_model(b->sess);
            const onnxbn_op_id op = m->ops[i].id;
            if (op == ONNXBN_OP_Loop || op == ONNXBN_OP_Scan)
                onnxbn_session_unkey_inputs(b->sess, b->n_formal);
        }
    }
    return ONNXBN_OK;
}

static onnxbn_branch *find_branch(const onnxbn_kctx *c, const char *attr)
{
    for (int k = 0; c->subs && k < c->subs->n; k++)
        if (!strcmp(c->subs->b[k].attr, attr))
            return &c->subs->b[k];
    return NULL;
}

/* Runs b with args bound to its first n_args graph inputs and the node's implicit inputs to its
 * free names; n_args < 0: the formal inputs are not bound (If, whose branches have none). */
static onnxbn_status run_bound(onnxbn_kctx *c, onnxbn_branch *b, int n_args,
                               const onnxbn_tensor *const *args, int *n_out)
{
    b->fresh = false;
    int lo = n_args < 0 ? b->n_formal : 0;
    for (int i = 0; i < n_args; i++)
        b->bind_in[i] = args[i];
    for (int i = 0; i < b->n_free; i++)
        b->bind_in[b->n_formal + i] = c->in[b->src[i]];
    onnxbn_status st = onnxbn_session_run_nested(b->sess, (size_t)(b->n_formal + b->n_free - lo),
                                                 b->bind_names + lo, b->bind_in + lo, c->stop,
                                                 c->err);
    if (st) {
        char label[ONNXBN_LABEL_MAX];
        onnxbn_err_prefix(c->err, "%s: subgraph '%.60s'",
                          onnxbn_node_label(c->node, label, sizeof label), b->attr);
        return st;
    }
    b->fresh = true;
    *n_out = (int)onnxbn_model_output_count(b->model);
    return ONNXBN_OK;
}

onnxbn_status onnxbn_sub_run(onnxbn_kctx *c, const char *attr, int *n_out)
{
    onnxbn_branch *b = find_branch(c, attr);
    if (!b || !b->sess)
        return onnxbn_node_fail(c, ONNXBN_ERR_INTERNAL, "subgraph '%s' is not open", attr);
    return run_bound(c, b, -1, NULL, n_out);
}

onnxbn_status onnxbn_sub_run_args(onnxbn_kctx *c, const char *attr, int n_args,
                                  const onnxbn_tensor *const *args, int *n_out)
{
    onnxbn_branch *b = find_branch(c, attr);
    if (!b || !b->sess)
        return onnxbn_node_fail(c, ONNXBN_ERR_INTERNAL, "subgraph '%s' is not open", attr);
    if (n_args != b->n_formal)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "subgraph '%s' has %d inputs, expected %d",
                                attr, b->n_formal, n_args);
    return run_bound(c, b, n_args, args, n_out);
}

int onnxbn_sub_arg_count(const onnxbn_kctx *c, const char *attr)
{
    const onnxbn_branch *b = find_branch(c, attr);
    return b ? b->n_formal : -1;
}

int onnxbn_sub_output_count(const onnxbn_kctx *c, const char *attr)
{
    const onnxbn_branch *b = find_branch(c, attr);
    return b && b->model ? (int)b->model->proto->graph->n_output : -1;
}

bool onnxbn_sub_decl(const onnxbn_kctx *c, const char *attr, bool output, int i,
                     onnxbn_value_info *vi)
{
    const onnxbn_branch *b = find_branch(c, attr);
    const Onnx__GraphProto *g = b && b->model ? b->model->proto->graph : NULL;
    if (!g || i < 0 || (size_t)i >= (output ? g->n_output : (size_t)b->n_formal))
        return false;
    memset(vi, 0, sizeof *vi);
    vi->size = sizeof *vi;
    onnxbn_value_info_fill(output ? g->output[i] : g->input[i], vi);
    return true;
}

void **onnxbn_sub_keep(onnxbn_kctx *c, const char *attr, void (*free_fn)(void *))
{
    onnxbn_branch *b = find_branch(c, attr);
    if (!b)
        return NULL;
    b->keep_free = free_fn;
    return &b->keep;
}

const onnxbn_tensor *onnxbn_sub_output(const onnxbn_kctx *c, const char *attr, int i)
{
    onnxbn_branch *b = find_branch(c, attr);
    return b && b->sess ? onnxbn_session_output(b->sess, (size_t)i) : NULL;
}

bool onnxbn_sub_take_fresh(onnxbn_kctx *c, const char *attr)
{
    onnxbn_branch *b = find_branch(c, attr);
    bool f = b && b->fresh;
    if (b)
        b->fresh = false;
    return f;
}
