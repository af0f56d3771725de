/* SPDX-License-Identifier: Apache-2.0 */
/* check.h — binds the graph index's nodes to the operator table (schema/ops.def) and the defs that
 * run them, checking arity and attributes: the step between the index and the planner. */
#ifndef ONNXBN_CHECK_H
#define ONNXBN_CHECK_H

#include "graph.h"
#include "op.h"

/* What runs node i of the graph (one per node, by node index). */
typedef struct onnxbn_node_op {
    onnxbn_op_id id;                /* ONNXBN_OP_UNKNOWN: not in the table */
    const onnxbn_op_schema *schema; /* NULL when unknown */
    const onnxbn_op_def *def;       /* NULL: not run by this build at this opset (the model still
                                       loads for info/fuse) */
    int version;                    /* operator version in force (when def) */
} onnxbn_node_op;

/* Looks every node of g up in the table and checks the ones this build runs: input/output counts
 * and attribute types for the version in force. *out receives n_nodes bindings (owned by the
 * caller, free()). Operators this build does not run are allowed (def NULL); `require_ops` makes
 * them an error. */
onnxbn_status onnxbn_check_ops(const onnxbn_graph *g, bool require_ops, onnxbn_node_op **out,
                               onnxbn_error *err);

#endif
