/* SPDX-License-Identifier: Apache-2.0 */
/* converter.h — what the rest of the library calls in the converter: the passes over a ModelProto
 * and the writer. The converter stands on the graph index and core only (runtime -> converter). */
#ifndef ONNXBN_CONVERTER_H
#define ONNXBN_CONVERTER_H

#include "graph.h"

/* Checks a pass list ("fold-bn,-prune" ...) without running anything. */
onnxbn_status onnxbn_fuse_check_passes(const char *passes, onnxbn_error *err);

/* Runs the passes over a ModelProto in place (for the session at open and onnxbn_model_fuse).
 * Every fold is applied whole or not at all, so on failure the proto is still a valid model.
 * `index` (may be NULL): the caller's index of mp, or an empty one. It is taken over (so the
 * passes start without a build) and handed back when, on success, it is still as a build would
 * make it for the proto as it now is (nothing edited, or built again since); else it is left
 * empty and the caller builds one. `builds` (may be NULL) is increased by the index builds the
 * passes made. */
onnxbn_status onnxbn_fuse_proto(Onnx__ModelProto *mp, const char *base_dir, const char *passes,
                                int flags, onnxbn_graph *index, int *builds,
                                onnxbn_fuse_report **report, onnxbn_error *err);

/* The model as protobuf bytes (malloc'd), refused at 2 GiB and over as protobuf readers do. */
onnxbn_status onnxbn_proto_pack(const Onnx__ModelProto *mp, void **buf, size_t *len,
                                onnxbn_error *err);
/* Writes the model to `path` (through a temporary file and a rename). A model with external data
 * must be written into the folder it was loaded from (`base_dir`), where its data files are. */
onnxbn_status onnxbn_proto_write(const Onnx__ModelProto *mp, const char *base_dir,
                                 const char *path, onnxbn_error *err);

#endif
