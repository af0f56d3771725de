/* SPDX-License-Identifier: Apache-2.0 */
/* convert.h — what the converter's passes share: the editing context over a ModelProto (graph
 * index edited along with each change, names in use, ranks), constants, all-or-nothing edit plans. */
#ifndef ONNXBN_CONVERT_H
#define ONNXBN_CONVERT_H

#include "converter.h"
#include "fold.h"
#include "opschema.h"

/* A set of strings (owned copies), for names in use and names read inside subgraphs. Hashed as
 * the graph index hashes, from a seed drawn when the set first allocates: the names come from the
 * file. Nothing walks the slots in order, so the seed never shows in what the converter writes. */
typedef struct fz_names {
    char **slot;
    size_t cap, n;
    uint64_t seed;
} fz_names;

bool fz_names_has(const fz_names *s, const char *name);
bool fz_names_add(fz_names *s, const char *name); /* false when out of memory */
void fz_names_free(fz_names *s);

/* The report behind the public handle; every string is owned. */
struct onnxbn_fuse_report {
    onnxbn_fuse_stats stats;
    onnxbn_fuse_entry *e;
    size_t n, cap;
    char **notes;
    size_t n_notes, cap_notes;
};

/* Result of a step that may decline: FZ_SKIP leaves the model as it was and says why in z->why. */
typedef enum fz_res { FZ_OK = 0, FZ_SKIP = 1, FZ_ERR = 2 } fz_res;

#define FZ_WHY_MAX 480

typedef struct fz {
    Onnx__ModelProto *mp;
    Onnx__GraphProto *gp;
    const char *base_dir;
    int64_t opset;        /* of the default domain */
    int64_t ir;
    int flags;
    onnxbn_graph g;       /* valid after fz_rebuild or fz_adopt; edits keep it current */
    bool edited;          /* g was edited in place since it was built */
    int builds;           /* index builds made here (fz_rebuild) */
    int *rank;            /* per value id: known rank or -1 */
    fz_names taken;       /* every name in the model (subgraphs too) and those made here */
    fz_names subref;      /* names read inside subgraphs or training_info: uses the index misses */
    onnxbn_fuse_report *rep;
    bool ir3_note;        /* the IR < 4 note is in the report */
    char why[FZ_WHY_MAX];
    onnxbn_error err;
} fz;

/* Fills z->why; returns FZ_SKIP. */
fz_res fz_skip(fz *z, const char *fmt, ...) ONNXBN_PRINTF(2, 3);
/* Records an error in z->err; returns FZ_ERR. */
fz_res fz_fail(fz *z, onnxbn_status st, const char *fmt, ...) ONNXBN_PRINTF(3, 4);
fz_res fz_nomem(fz *z);

onnxbn_status fz_init(fz *z, Onnx__ModelProto *mp, const char *base_dir, int flags,
                      onnxbn_fuse_report *rep);
void fz_release(fz *z);
/* Builds the graph index and the ranks again from the proto (counted in z->builds). */
fz_res fz_rebuild(fz *z);
/* Takes over an index the caller built for z->mp (g is left empty). */
fz_res fz_adopt(fz *z, onnxbn_graph *g);
/* After an edit mirrored in the index (onnxbn_graph_init_added, _node_removed ...): reads the
 * nodes whose names changed again, relinks the index and computes the ranks again. FZ_ERR with
 * the index's message (out of memory, or an edit that broke the graph). */
fz_res fz_sync(fz *z, Onnx__NodeProto *const *touched, int n);

/* ---- looking at nodes and values ---- */
bool fz_is_op(const fz *z, const onnxbn_node *n, onnxbn_op_id op); /* schema/ops.def id */
const char *fz_label(const onnxbn_node *n, char *buf, size_t cap);     /* "'conv1' (Conv)" */
#define FZ_LABEL_MAX 200
const Onnx__AttributeProto *fz_attr(const Onnx__NodeProto *np, const char *name);
/* Attribute getters: the default when absent; false when present with another type. */
bool fz_attr_i(const Onnx__NodeProto *np, const char *name, int64_t def, int64_t *out);
bool fz_attr_f(const Onnx__NodeProto *np, const char *name, float def, float *out);
bool fz_attr_ints(const Onnx__NodeProto *np, const char *name, const int64_t **v, size_t *n);
/* The string attribute, or def; NULL when it has another type. */
const char *fz_attr_s(const Onnx__NodeProto *np, const char *name, const char *def, char *buf,
                      size_t cap);

/* Readers of a value other than the graph index knows: graph output, subgraph reads, consumers. */
int fz_uses(const fz *z, int vid);
bool fz_subref(const fz *z, int vid);
int fz_rank(const fz *z, int vid);
onnxbn_dtype fz_dtype(const fz *z, int vid); /* declared or initializer type; UNDEFINED if unknown */

/* Is the value a constant (initializer that no caller can override, or a Constant node output)?
 * FZ_SKIP with the reason when not. */
fz_res fz_is_const(fz *z, int vid, const char *what);
/* Decodes a constant value (after fz_is_const) into an owned tensor. */
fz_res fz_const(fz *z, int vid, const char *what, onnxbn_tensor *out);
/* The same, widened to doubles (malloc'd); the tensor's type and shape in *t (data released). */
fz_res fz_const_f64(fz *z, int vid, const char *what, onnxbn_tensor *shape, double **vals);

/* A fresh name "<base><suffix>", or with "_2", "_3" ... appended, that no value, initializer or
 * subgraph name uses; recorded as taken. NULL when out of memory. */
char *fz_fresh(fz *z, const char *base, const char *suffix);

/* ---- edit plans: build everything that can fail, then commit with nothing that can ---- */
#define FZ_PLAN_MAX 8

typedef struct fz_plan {
    /* new initializers (and, for IR < 4, their graph.input entries) */
    Onnx__TensorProto *init[FZ_PLAN_MAX];
    Onnx__ValueInfoProto *init_vi[FZ_PLAN_MAX];
    int n_init;
    /* node input/output names to replace: the old string freed, s put in (kept as node and
     * index, since an input array may move when it grows) */
    Onnx__NodeProto *set_node[FZ_PLAN_MAX];
    size_t set_k[FZ_PLAN_MAX];
    bool set_out[FZ_PLAN_MAX];
    char *s[FZ_PLAN_MAX];
    int n_set;
    /* inputs appended to a node whose input array has been grown */
    Onnx__NodeProto *add_in_node[2];
    char *add_in[2];
    int n_add_in;
    /* attributes appended to a node whose attribute array has been grown */
    Onnx__NodeProto *add_attr_node[2];
    Onnx__AttributeProto *add_attr[2];
    int n_add_attr;
    /* float attributes set in place */
    Onnx__AttributeProto *set_f[2];
    float set_f_val[2];
    int n_set_f;
    int64_t *set_i[2];
    int64_t set_i_val[2];
    int n_set_i;
    /* node replacements: old node (freed) by 0, 1 or 2 new ones in its place */
    Onnx__NodeProto *old_node[2];
    Onnx__NodeProto *new_node[2][2];
    int n_new[2];
    int n_replace;
    size_t node_growth;
    /* value_info entries to drop (names of values that no longer exist) */
    char *drop_vi[FZ_PLAN_MAX];
    int n_drop_vi;
    /* initializers / Constant outputs to delete if nothing reads them after the commit */
    char *maybe_unused[2 * FZ_PLAN_MAX];
    int n_maybe;
} fz_plan;

void fz_plan_discard(fz_plan *p);
/* Builds a new initializer from doubles, rounded once to dt; FZ_SKIP when a value is not finite
 * in dt. Takes ownership of `name`. */
fz_res fz_plan_init(fz *z, fz_plan *p, char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                    const double *vals, const char *what);
/* Puts value `name` (copied) at input/output slot k of np, appending when k == n_input. */
fz_res fz_plan_input(fz *z, fz_plan *p, Onnx__NodeProto *np, size_t k, const char *name);
fz_res fz_plan_output(fz *z, fz_plan *p, Onnx__NodeProto *np, size_t k, const char *name);
/* Sets a FLOAT/INT attribute (adding it when absent). */
fz_res fz_plan_attr_f(fz *z, fz_plan *p, Onnx__NodeProto *np, const char *name, float v);
fz_res fz_plan_attr_i(fz *z, fz_plan *p, Onnx__NodeProto *np, const char *name, int64_t v);
fz_res fz_plan_replace(fz *z, fz_plan *p, Onnx__NodeProto *old, Onnx__NodeProto *n1,
                       Onnx__NodeProto *n2);
fz_res fz_plan_drop_vi(fz *z, fz_plan *p, const char *name);
fz_res fz_plan_maybe_unused(fz *z, fz_plan *p, const char *name);
/* Applies the plan (cannot fail), edits the index to match (no build: a pass costs no more
 * builds than it had when it started, however many folds it makes) and deletes what became
 * unused. FZ_ERR only when the index cannot follow (out of memory): the proto is then the
 * folded model, whole. */
fz_res fz_plan_commit(fz *z, fz_plan *p);

/* New protobuf objects (malloc'd, owned by the caller until committed). */
Onnx__NodeProto *fz_new_node(const char *op_type, const char *name, size_t n_in,
                             const char *const *in, const char *out);
Onnx__AttributeProto *fz_new_attr_i(const char *name, int64_t v);
Onnx__AttributeProto *fz_new_attr_f(const char *name, float v);
Onnx__ValueInfoProto *fz_new_tensor_vi(const char *name, int32_t elem, size_t rank,
                                       const int64_t *dims);
/* Appends to a node's attribute list (grows it); false when out of memory (a is then freed). */
bool fz_node_add_attr(Onnx__NodeProto *np, Onnx__AttributeProto *a);

/* Removals from the graph proto (each frees what it removes); the index is not updated. */
void fz_drop_value_info(Onnx__GraphProto *gp, const char *name); /* every entry of that name */
void fz_remove_input(Onnx__GraphProto *gp, const char *name);
bool fz_remove_node(Onnx__GraphProto *gp, const Onnx__NodeProto *np);
bool fz_remove_initializer(Onnx__GraphProto *gp, const Onnx__TensorProto *tp);

/* Deletes initializers (and IR < 4 graph inputs) and Constant nodes that nothing reads; the
 * index must be current, and is edited along (the caller relinks it). Returns how many were
 * deleted. */
int fz_delete_if_unused(fz *z, char *const *names, int n);

/* ---- report ---- */
fz_res fz_report_add(fz *z, const char *action, const char *kind, const onnxbn_node *bn,
                     const char *node, const char *reason);
fz_res fz_report_note(fz *z, const char *fmt, ...) ONNXBN_PRINTF(2, 3);
onnxbn_fuse_report *fz_report_new(void);

/* ---- passes ---- */
fz_res fz_pass_fold_bn(fz *z);
fz_res fz_pass_remove_identity(fz *z);
fz_res fz_pass_remove_dropout(fz *z);
fz_res fz_pass_fold_constants(fz *z);
fz_res fz_pass_prune(fz *z);

#endif
