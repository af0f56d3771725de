/* SPDX-License-Identifier: Apache-2.0 */
/* introspect.c — read-only views for tools: a node's inputs and outputs, what a value is declared
 * as, and the operator registry (the public "Introspection" block at the end of onnxbn.h). */
#include <string.h>

#include "model.h"
#include "abi.h"
#include "subgraph.h"

static const onnxbn_node *node_at(const onnxbn_model *m, size_t i)
{
    return m && i < (size_t)m->graph.n_nodes ? &m->graph.nodes[i] : NULL;
}

size_t onnxbn_model_node_input_count(const onnxbn_model *m, size_t i)
{
    const onnxbn_node *n = node_at(m, i);
    return n ? n->proto->n_input : 0;
}

const char *onnxbn_model_node_input(const onnxbn_model *m, size_t i, size_t k)
{
    const onnxbn_node *n = node_at(m, i);
    return n && k < n->proto->n_input ? onnxbn_str(n->proto->input[k]) : "";
}

size_t onnxbn_model_node_output_count(const onnxbn_model *m, size_t i)
{
    const onnxbn_node *n = node_at(m, i);
    return n ? n->proto->n_output : 0;
}

const char *onnxbn_model_node_output(const onnxbn_model *m, size_t i, size_t k)
{
    const onnxbn_node *n = node_at(m, i);
    return n && k < n->proto->n_output ? onnxbn_str(n->proto->output[k]) : "";
}

const char *onnxbn_model_node_domain(const onnxbn_model *m, size_t i)
{
    const onnxbn_node *n = node_at(m, i);
    return n ? onnxbn_str(n->proto->domain) : "";
}

bool onnxbn_model_node_supported(const onnxbn_model *m, size_t i)
{
    const onnxbn_node *n = node_at(m, i);
    return n && m->ops[i].def;
}

bool onnxbn_model_node_random(const onnxbn_model *m, size_t i)
{
    const onnxbn_node *n = node_at(m, i);
    return n && onnxbn_op_has(m->ops[i].id, ONNXBN_OP_RANDOM);
}

size_t onnxbn_model_node_subgraph_count(const onnxbn_model *m, size_t i)
{
    return node_at(m, i) && m->subs && m->subs[i] ? (size_t)m->subs[i]->n : 0;
}

const onnxbn_model *onnxbn_model_node_subgraph(const onnxbn_model *m, size_t i, size_t k,
                                               const char **attr)
{
    if (k >= onnxbn_model_node_subgraph_count(m, i))
        return NULL;
    const onnxbn_branch *b = &m->subs[i]->b[k];
    if (attr)
        *attr = b->attr;
    return b->model;
}

bool onnxbn_model_value(const onnxbn_model *m, const char *name, onnxbn_value_info *out,
                        bool *is_initializer)
{
    if (!m || !name || !out)
        return false;
    int id = onnxbn_graph_find(&m->graph, name);
    if (id < 0)
        return false;
    const onnxbn_value *v = &m->graph.values[id];
    /* Filled whole here, then copied as far as the caller's struct goes. */
    onnxbn_value_info vi;
    onnxbn_value_info_fill(v->info, &vi);
    /* A string of the proto's, as for onnxbn_model_input: the index's own copy goes with it when
     * a session's open folds and builds it again. */
    if (v->info)
        vi.name = onnxbn_str(v->info->name);
    else if (v->init)
        vi.name = onnxbn_str(v->init->name);
    else if (v->producer >= 0)
        vi.name = m->graph.nodes[v->producer].proto->output[v->producer_slot];
    else
        vi.name = v->name;
    if (!v->info && v->init) {
        /* No declaration: the initializer itself says its type and shape. */
        const Onnx__TensorProto *t = v->init;
        vi.dtype = (onnxbn_dtype)t->data_type;
        if (t->n_dims <= ONNXBN_MAX_RANK) {
            vi.rank = (int)t->n_dims;
            for (size_t d = 0; d < t->n_dims; d++)
                vi.dims[d] = t->dims[d];
        }
    }
    if (!onnxbn_out_copy(out, &vi, ONNXBN_VALUE_INFO_SIZE_V1, sizeof vi))
        return false;
    if (is_initializer)
        *is_initializer = v->init != NULL;
    return true;
}

/* The registry's entries are the table's OP lines (operators with a def), in table order. */
size_t onnxbn_op_count(void)
{
    size_t n = 0;
    for (int id = 0; id < ONNXBN_OP_COUNT; id++)
        n += onnxbn_op_impl((onnxbn_op_id)id) != NULL;
    return n;
}

bool onnxbn_op_info(size_t i, const char **domain, const char **op_type, const int **versions,
                    size_t *n_versions)
{
    const onnxbn_op_schema *s = NULL;
    for (int id = 0; id < ONNXBN_OP_COUNT && !s; id++)
        if (onnxbn_op_impl((onnxbn_op_id)id) && i-- == 0)
            s = onnxbn_op_schema_of((onnxbn_op_id)id);
    if (!s)
        return false;
    size_t nv = 0;
    while (nv < ONNXBN_OP_MAX_VERSIONS && s->versions[nv])
        nv++;
    if (domain)
        *domain = s->domain;
    if (op_type)
        *op_type = s->name;
    if (versions)
        *versions = s->versions;
    if (n_versions)
        *n_versions = nv;
    return true;
}
