/* SPDX-License-Identifier: Apache-2.0 */
/* graph.h — the index over a loaded ModelProto that the runtime and the converter share: every
 * value name with its producer, consumers, initializer and graph input/output; topological order. */
#ifndef ONNXBN_GRAPH_H
#define ONNXBN_GRAPH_H

#include "core.h"
#include "onnx.pb-c.h"

typedef struct onnxbn_value {
    const char *name;
    int producer;          /* node index, or -1 */
    int producer_slot;     /* output position in the producer */
    int n_consumers;
    int *consumers;        /* node indices (a node appears once per input slot that reads it) */
    const Onnx__TensorProto *init;  /* the initializer, or NULL */
    int init_index;        /* its position in graph.initializer, or -1 */
    int input_index;       /* position in graph.input, or -1 */
    int output_index;      /* first position in graph.output, or -1 */
    const Onnx__ValueInfoProto *info; /* declared type, from input/output/value_info, or NULL */
} onnxbn_value;

/* A node as the file has it. Which operator it is, and whether this build runs it, is not the
 * index's business: runtime/check.c binds nodes to the operator table. */
typedef struct onnxbn_node {
    const Onnx__NodeProto *proto;
    int index;                   /* position in graph.node */
    int64_t opset;               /* opset of the node's domain */
    int n_in, n_out;
    int *in, *out;               /* value ids; -1 for an omitted optional (empty name) */
    /* in[0, n_args) are the inputs the file lists (proto->input); in[n_args, n_in) are the values
     * of this graph that the node's subgraphs (If's branches) read by name: implicit inputs, so
     * that the order, liveness and every walk over inputs see those reads as well. */
    int n_args;
} onnxbn_node;

typedef struct onnxbn_graph {
    const Onnx__GraphProto *proto;
    int64_t ir_version;
    int n_values;
    onnxbn_value *values;
    int n_nodes;
    onnxbn_node *nodes;
    int *order;                  /* node indices in a topological order */
    int n_inputs;                /* graph inputs with no initializer: the caller feeds them */
    int *inputs;
    int n_outputs;
    int *outputs;                /* value ids of graph.output, in order */
    /* private: name lookup and the id pool behind the lists above */
    int *hash;
    size_t hash_cap;
    uint64_t hash_seed;          /* random per index: names crafted to collide cannot slow it */
    int *pool;
    /* private: the index's own copies of the value names (the proto's strings may be freed by an
     * edit), blocks edits allocated, and the capacities edits grow */
    char *name_buf;
    size_t name_left;
    void **owned;
    size_t n_owned, cap_owned;
    int *cons;                   /* consumer lists after onnxbn_graph_relink */
    int values_cap, nodes_cap;
} onnxbn_graph;

/* Builds the index and checks the structure: names produced twice, inputs nothing produces,
 * cycles, domains missing from opset_import, names a subgraph reads that no enclosing scope
 * defines. It knows no operator: any op_type is indexed. */
onnxbn_status onnxbn_graph_build(onnxbn_graph *g, const Onnx__ModelProto *m, onnxbn_error *err);
void onnxbn_graph_free(onnxbn_graph *g);
/* Value id or -1. A value no node, initializer or graph input mentions any more (after edits)
 * is not found, as a new build would not find it. */
int onnxbn_graph_find(const onnxbn_graph *g, const char *name);

/* ---- editing in place, for the converter's passes: each call mirrors a change already made to
 * the proto, so that a pass keeps its index current without building it again after each fold.
 * Value ids stay as they were (new names get new ids; values no longer mentioned stay, unseen
 * by onnxbn_graph_find); nodes stay in graph.node order with `index` their position. After
 * the calls, onnxbn_graph_relink recomputes producers, consumers and the order. ---- */
/* Node i's proto (g->nodes[i].proto, which the caller may have replaced) is read again: its
 * names, operator and checks, as a build reads a node. */
onnxbn_status onnxbn_graph_node_reload(onnxbn_graph *g, const Onnx__ModelProto *m, int i,
                                       onnxbn_error *err);
/* graph.node[at] is a new node / the node at `at` is gone; the nodes after it move by one. */
onnxbn_status onnxbn_graph_node_inserted(onnxbn_graph *g, const Onnx__ModelProto *m, int at,
                                         onnxbn_error *err);
void onnxbn_graph_node_removed(onnxbn_graph *g, int at);
/* graph.initializer[at] (and graph.input[input_at] when >= 0) is a new tensor / was removed. */
onnxbn_status onnxbn_graph_init_added(onnxbn_graph *g, int at, int input_at, onnxbn_error *err);
void onnxbn_graph_init_removed(onnxbn_graph *g, int at);
void onnxbn_graph_input_removed(onnxbn_graph *g, int at); /* graph.input[at] was removed */
/* The declared type of `name` again, after entries of graph.value_info were dropped. */
void onnxbn_graph_info_reload(onnxbn_graph *g, const char *name);
/* Producers, consumers and the topological order again from the nodes' lists; fails on a value
 * produced twice or a cycle, as a build would. */
onnxbn_status onnxbn_graph_relink(onnxbn_graph *g, onnxbn_error *err);
/* The index's string hash, for any table of names read from a file: seeded at random per table
 * (salt, e.g. the table's address, only counts when the system has no randomness to give), so
 * that names crafted to collide cannot turn lookups into scans. */
uint64_t onnxbn_hash_seed(const void *salt);
uint64_t onnxbn_hash_str(uint64_t seed, const char *s);
/* The names graph `gp` reads (its own nodes and the graphs nested in them, any depth) that it
 * does not define itself (inputs, initializers, node outputs): what it reads from enclosing
 * scopes, in order of first use. *names (malloc'd, pointing into gp) and *n; false when out of
 * memory. */
bool onnxbn_graph_free_names(const Onnx__GraphProto *gp, const char ***names, size_t *n);
/* "node 'name' (Op)" or "node #3 (Op)" into buf. */
const char *onnxbn_node_label(const onnxbn_node *n, char *buf, size_t cap);
#define ONNXBN_LABEL_MAX 160
/* Fails with the node's label in front: "node 'bn3' (BatchNormalization): <message>". */
onnxbn_status onnxbn_node_err(const onnxbn_node *n, onnxbn_error *err, onnxbn_status st,
                              const char *fmt, ...) ONNXBN_PRINTF(4, 5);

/* The opset version the model imports for a domain ("" and "ai.onnx" are the same), or -1. */
int64_t onnxbn_model_opset_for(const Onnx__ModelProto *m, const char *domain);

/* An attribute's type (onnx.AttributeProto.AttributeType numbering), told by the set field in IR 1
 * files that carry none; 0 when nothing is set. */
int onnxbn_attr_proto_type(const Onnx__AttributeProto *a);
const char *onnxbn_attr_type_name(int t); /* "FLOAT", "INTS" ... */

#endif
