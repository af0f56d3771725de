/* SPDX-License-Identifier: Apache-2.0 */
/* mkmodel.h — builds small ONNX models in memory for the unit tests (protobuf-c structs, packed
 * to bytes), so each test states its model in a few lines. Aborts the test on misuse. */
#ifndef MKMODEL_H
#define MKMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

typedef struct mk_model mk_model;
typedef struct mk_node mk_node;

/* A model with ir_version 8 importing the default domain at `opset`. */
mk_model *mk_new(int64_t opset);
void mk_ir_version(mk_model *m, int64_t ir);
void mk_opset(mk_model *m, const char *domain, int64_t version); /* adds another opset_import */

/* Graph inputs/outputs. rank -1: no shape given; a dim of -1 becomes the symbol "N". dtype
 * ONNXBN_UNDEFINED leaves the type out. */
void mk_input(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims);
void mk_output(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims);

/* Initializers, stored in raw_data (little-endian). */
void mk_init(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
             const void *data);
void mk_init_f32(mk_model *m, const char *name, int rank, const int64_t *dims, const float *data);
/* The same tensor stored in the typed field instead (float_data, int64_data, int32_data, double_data
 * as the type requires). */
void mk_init_typed(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                   const void *data);

/* An initializer whose data is in an external file (location/offset/length as given; length < 0
 * leaves the key out). */
void mk_init_external(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                      const char *location, int64_t offset, int64_t length);

/* A node; inputs/outputs are comma-separated value names, an empty entry is an omitted optional
 * ("X,,B"). name may be NULL (unnamed node). */
mk_node *mk_node_add(mk_model *m, const char *op_type, const char *name, const char *inputs,
                     const char *outputs);
void mk_node_domain(mk_node *n, const char *domain);
void mk_attr_i(mk_node *n, const char *name, int64_t v);
void mk_attr_f(mk_node *n, const char *name, float v);
void mk_attr_s(mk_node *n, const char *name, const char *v);
void mk_attr_strings(mk_node *n, const char *name, size_t count, const char *const *v);
void mk_attr_ints(mk_node *n, const char *name, size_t count, const int64_t *v);
void mk_attr_floats(mk_node *n, const char *name, size_t count, const float *v);
/* A GRAPH attribute holding sub's graph (If's branches); m takes sub over (mk_free frees it). */
void mk_attr_graph(mk_model *m, mk_node *n, const char *name, mk_model *sub);

/* Serialized bytes (malloc'd; the caller frees). */
uint8_t *mk_pack(const mk_model *m, size_t *len);
void mk_free(mk_model *m);

/* Writes the packed model to path. */
void mk_save(const mk_model *m, const char *path);

/* Packs, loads (base_dir NULL) and opens a session; frees nothing of m. */
onnxbn_status mk_session(const mk_model *m, onnxbn_session **out, onnxbn_error *err);

/* Runs a session with float inputs given as (name, rank, dims, data) and returns the status. */
typedef struct mk_feed {
    const char *name;
    onnxbn_dtype dtype; /* 0 means float */
    int rank;
    const int64_t *dims;
    const void *data;
} mk_feed;
onnxbn_status mk_run(onnxbn_session *s, size_t n, const mk_feed *feeds, onnxbn_error *err);

/* Asserts (cmocka) that output `i` has the given shape and that every element is within
 * atol + rtol*|expected| of `expected` (float outputs). */
void mk_expect_f32(const onnxbn_session *s, size_t i, int rank, const int64_t *dims,
                   const float *expected, double atol, double rtol);

/* Opens and runs the model on the feeds, expecting status `want` and (when text is not NULL) a
 * message that contains `text`. */
void mk_expect_fail(const mk_model *m, size_t n, const mk_feed *feeds, onnxbn_status want,
                    const char *text);
/* Output i has this type, shape and exactly these bytes. */
void mk_expect_bytes(const onnxbn_session *s, size_t i, onnxbn_dtype dt, int rank,
                     const int64_t *dims, const void *data);

/* The same steps, failing the test (cmocka) with the library's message when one does not
 * succeed: open a session on m; run it; open, run and check output 0's type, shape and bytes. */
onnxbn_session *mk_open_ok(const mk_model *m);
void mk_run_ok(onnxbn_session *s, size_t n, const mk_feed *feeds);
void mk_check_bytes(const mk_model *m, size_t n, const mk_feed *feeds, onnxbn_dtype dt, int rank,
                    const int64_t *dims, const void *data);

#endif
