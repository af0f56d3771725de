/* SPDX-License-Identifier: Apache-2.0 */
/* model.h — the loaded model (ModelProto + graph index) and the session behind the public handles.
 * Shared by load.c, session.c, plan.c and the converter. */
#ifndef ONNXBN_MODEL_H
#define ONNXBN_MODEL_H

#include "check.h"

struct onnxbn_model {
    Onnx__ModelProto *proto;   /* owned; protobuf-c unpacked */
    char *base_dir;            /* folder for external data, or NULL */
    onnxbn_options opt;        /* max_memory filled in */
    onnxbn_graph graph;
    onnxbn_node_op *ops;       /* per node index: the operator and def that run it (check.c) */
    onnxbn_value_info *in_info, *out_info;
    uint64_t init_bytes;
    int index_builds;          /* times the graph index was built (load, fold passes) */
    struct onnxbn_subs **subs; /* per node index: its subgraphs (subgraph.h), or NULL; NULL
                                  when no node has any */
    int n_subs;                /* entries of subs (the node count when they were built) */
    bool shell;                /* proto is a subgraph's shell (subgraph.h), not an unpacked file */
};

/* Takes ownership of proto, also on failure. */
onnxbn_status onnxbn_model_from_proto(Onnx__ModelProto *proto, const char *base_dir,
                                      const onnxbn_options *opt, onnxbn_model **out,
                                      onnxbn_error *err);
/* (Re)builds graph, ops, in_info, out_info and init_bytes from proto. */
onnxbn_status onnxbn_model_reindex(onnxbn_model *m, onnxbn_error *err);
/* ops (check.c), in_info, out_info and init_bytes from the graph index already there. */
onnxbn_status onnxbn_model_bind(onnxbn_model *m, onnxbn_error *err);
/* in_info, out_info and init_bytes from the graph index already there. */
onnxbn_status onnxbn_model_fill_io(onnxbn_model *m, onnxbn_error *err);
/* Declared element type and shape of a value info; rank -1 when there is no shape. */
void onnxbn_value_info_fill(const Onnx__ValueInfoProto *vi, onnxbn_value_info *out);
uint64_t onnxbn_options_max_memory(const onnxbn_options *opt);
/* Reads a whole regular file of at most cap bytes (malloc'd). */
onnxbn_status onnxbn_file_read(const char *path, uint8_t **buf, size_t *len, uint64_t cap,
                               onnxbn_error *err);

#endif
