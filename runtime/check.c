/* SPDX-License-Identifier: Apache-2.0 */
/* check.c — the load-time check of a model against the operator table: each node gets its op id,
 * the def that runs it and the version in force, and its arity and attributes are checked. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* Input/output counts (the table's) and attributes (the def's) for the version in force. */
static onnxbn_status check_node(const onnxbn_node *n, const onnxbn_node_op *o, onnxbn_error *err)
{
    const onnxbn_op_schema *s = o->schema;
    const onnxbn_op_def *d = o->def;
    const Onnx__NodeProto *p = n->proto;
    const int max_inputs = d->max_inputs_at ? d->max_inputs_at(o->version) : s->max_inputs;
    if (n->n_args < s->min_inputs || n->n_args > max_inputs)
        return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "has %d inputs, the operator takes %d to %d",
                               n->n_args, s->min_inputs, max_inputs);
    if (n->n_out < s->min_outputs || n->n_out > s->max_outputs)
        return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "has %d outputs, the operator gives %d to %d",
                               n->n_out, s->min_outputs, s->max_outputs);
    /* The first min_inputs inputs are required in every version (an empty name omits only an
     * optional one); operators rely on them being there. */
    for (int k = 0; k < s->min_inputs; k++)
        if (n->in[k] < 0)
            return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL,
                                   "input %d is required but has an empty name", k);
    for (int k = 0; k < s->min_outputs; k++)
        if (n->out[k] < 0)
            return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL,
                                   "output %d is required but has an empty name", k);
    for (size_t i = 0; i < p->n_attribute; i++) {
        const Onnx__AttributeProto *a = p->attribute[i];
        if (!a->name || !*a->name)
            return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "has an attribute without a name");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(onnxbn_str(p->attribute[j]->name), a->name))
                return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "attribute '%.60s' is given twice",
                                       a->name);
    }
    for (const onnxbn_attr_spec *as = d->attrs; as && as->name; as++) {
        if ((as->since && o->version < as->since) || (as->until && o->version > as->until))
            continue;
        const Onnx__AttributeProto *a = NULL;
        for (size_t i = 0; i < p->n_attribute && !a; i++)
            if (!strcmp(onnxbn_str(p->attribute[i]->name), as->name))
                a = p->attribute[i];
        if (!a) {
            if (as->required)
                return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "required attribute '%s' is missing",
                                       as->name);
            continue;
        }
        int t = onnxbn_attr_proto_type(a);
        if (t != as->type)
            return onnxbn_node_err(n, err, ONNXBN_ERR_MODEL, "attribute '%s' must be %s, got %s",
                                   as->name, onnxbn_attr_type_name(as->type),
                                   onnxbn_attr_type_name(t));
    }
    return ONNXBN_OK;
}

/* A sequence where a tensor is expected, found at load: values are sequences when a graph input
 * is declared one (or an optional of one: it may hold one), when a SEQ_OUT operator makes them,
 * when a view that carries any kind (Identity) passes one on, or when a Loop carries one (its
 * final value j is input 2 + j's kind: the body must keep each carried value's type). An operator that takes tensors
 * only (not VALUES) reading one is one error naming the node. What the declarations leave
 * unknown (undeclared inputs, If's outputs) is caught when the node is planned or run (plan.c). */
static onnxbn_status check_kinds(const onnxbn_graph *g, const onnxbn_node_op *ops, onnxbn_error *err)
{
    bool *seq = calloc((size_t)g->n_values + 1, sizeof *seq);
    if (!seq)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_values; i++) {
        const Onnx__TypeProto *t = g->values[i].input_index >= 0 && g->values[i].info
                                       ? g->values[i].info->type : NULL;
        if (t && t->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && t->optional_type)
            t = t->optional_type->elem_type;
        seq[i] = t && t->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && !g->values[i].init;
    }
    onnxbn_status st = ONNXBN_OK;
    for (int oi = 0; oi < g->n_nodes && !st; oi++) {
        const onnxbn_node *nd = &g->nodes[g->order[oi]];
        const onnxbn_op_schema *sc = ops[nd->index].schema;
        if (!sc || !ops[nd->index].def)
            continue;
        if (!(sc->flags & ONNXBN_OP_VALUES)) {
            for (int k = 0; k < nd->n_args && !st; k++)
                if (nd->in[k] >= 0 && seq[nd->in[k]])
                    st = onnxbn_node_err(nd, err, ONNXBN_ERR_TYPE,
                                         "input %d ('%.100s') is a sequence; %s takes tensors",
                                         k, g->values[nd->in[k]].name, sc->name);
            continue;
        }
        if (strcmp(sc->name, "Loop") == 0) {
            /* a carried value keeps its kind: final value j is a sequence when input 2 + j is */
            for (int k = 0; k < nd->n_out; k++)
                if (nd->out[k] >= 0)
                    seq[nd->out[k]] = 2 + k < nd->n_args && nd->in[2 + k] >= 0 && seq[nd->in[2 + k]];
            continue;
        }
        const bool carry = (sc->flags & ONNXBN_OP_ALIAS_INPUT0) && nd->n_in >= 1 && nd->in[0] >= 0 &&
                           seq[nd->in[0]];
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0)
                seq[nd->out[k]] = (sc->flags & ONNXBN_OP_SEQ_OUT) || carry;
    }
    free(seq);
    return st;
}

onnxbn_status onnxbn_check_ops(const onnxbn_graph *g, bool require_ops, onnxbn_node_op **out,
                               onnxbn_error *err)
{
    *out = NULL;
    onnxbn_node_op *ops = calloc((size_t)g->n_nodes + 1, sizeof *ops);
    if (!ops)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
        const onnxbn_node *nd = &g->nodes[i];
        const char *domain = onnxbn_str(nd->proto->domain);
        onnxbn_node_op *o = &ops[i];
        o->id = onnxbn_op_lookup(domain, nd->proto->op_type);
        o->schema = onnxbn_op_schema_of(o->id);
        o->version = onnxbn_op_version_at(o->id, nd->opset);
        o->def = o->version ? onnxbn_op_impl(o->id) : NULL;
        if (!o->def) {
            o->version = 0;
            if (!require_ops)
                continue;
            free(ops);
            return onnxbn_node_err(nd, err, ONNXBN_ERR_UNSUPPORTED,
                                   "operator %.60s%s%.60s (opset %lld) is not supported",
                                   *domain ? domain : "", *domain ? "." : "", nd->proto->op_type,
                                   (long long)nd->opset);
        }
        onnxbn_status st = check_node(nd, o, err);
        if (st) {
            free(ops);
            return st;
        }
    }
    onnxbn_status st = check_kinds(g, ops, err);
    if (st) {
        free(ops);
        return st;
    }
    *out = ops;
    return ONNXBN_OK;
}
