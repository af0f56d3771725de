/* SPDX-License-Identifier: Apache-2.0 */
/* op.h — the contract between the planner and an operator: one onnxbn_op_def per operator family,
 * called through a kernel context that holds one node's inputs, outputs, attributes and state. */
#ifndef ONNXBN_OP_H
#define ONNXBN_OP_H

#include <stdatomic.h>

#include "core.h"
#include "opschema.h"
#include "kernels/act.h"

typedef struct onnxbn_node onnxbn_node; /* graph.h; ops see it only through the calls below */

/* The newest ai.onnx opset whose operator versions this build knows (ONNX 1.12 defines 17; a few
 * ops carry their version-18 forms). Sessions refuse newer opsets instead of guessing. */
#define ONNXBN_MAX_OPSET 18
typedef struct onnxbn_kctx onnxbn_kctx;

/* An attribute an operator knows. Checked when the model loads: a wrong type is an error, and so
 * is a missing required one for OPERATOR versions (c->version, not the model's opset) in
 * [since, until] (0 = no bound). */
typedef struct onnxbn_attr_spec {
    const char *name;
    int type;
    bool required;
    int since, until;
} onnxbn_attr_spec;

/* An activation a producer applies to its output while it is in cache (ONNXBN_OP_FUSE_ACT). */
enum {
    ONNXBN_ACT_NONE = 0,
    ONNXBN_ACT_RELU = 1, /* y <= 0 ? 0 : y, exactly as the Relu kernel (NaN stays, -0 becomes +0) */
    ONNXBN_ACT_CLIP = 2, /* y < lo ? lo : y, then > hi ? hi, exactly as the Clip kernel */
    /* the ones below are fused into Conv, Gemm and MatMul only (plan.c), as kernels/act.h says */
    ONNXBN_ACT_SIGMOID = 3,
    ONNXBN_ACT_SILU = 4,        /* y·sigmoid(y): a Sigmoid and the Mul of its input by it */
    ONNXBN_ACT_HARDSIGMOID = 5, /* lo = alpha, hi = beta */
    ONNXBN_ACT_HARDSWISH = 6
};
typedef struct onnxbn_act {
    int kind;
    float lo, hi; /* CLIP bounds; HARDSIGMOID's alpha and beta */
} onnxbn_act;


/* y = act(y) over n floats (nothing for ONNXBN_ACT_NONE): the kernels' own epilogue, so a node
 * that applies its activation after the kernel rounds as one that fuses it. */
static inline void onnxbn_act_f32(onnxbn_act act, float *y, size_t n)
{
    onnxbn_act_row(y, n, act.kind, act.lo, act.hi);
}

typedef struct onnxbn_pool onnxbn_pool; /* threadpool.h */
typedef struct onnxbn_subs onnxbn_subs; /* subgraph.h: a node's subgraphs, ready to run */

/* What stops a run early (onnxbn_session_cancel, onnxbn_session_set_timeout). The run checks it
 * before each node; a kernel that can run long checks it between chunks of about a millisecond of
 * work and, when it is set, returns at once leaving its output unfinished (the run then fails, so
 * nobody reads it). Never per element: a check is an atomic load and, with a deadline, a clock
 * read. `deadline_ns` is written before the run starts (CLOCK_MONOTONIC; 0: none). */
typedef struct onnxbn_stop {
    atomic_bool cancel;
    int64_t deadline_ns;
} onnxbn_stop;
/* ONNXBN_OK, ONNXBN_ERR_CANCELLED or ONNXBN_ERR_TIMEOUT (no message). NULL: never stops. */
onnxbn_status onnxbn_stop_reason(onnxbn_stop *s);
static inline bool onnxbn_stopped(onnxbn_stop *s) { return s && onnxbn_stop_reason(s) != ONNXBN_OK; }

/* How an operator runs. What ONNX says of it (op_type, domain, versions, arity, value inputs,
 * flags) is its line in schema/ops.def; registry.c ties the two by op id. */
typedef struct onnxbn_op_def {
    const onnxbn_attr_spec *attrs; /* ended by an entry with name NULL; may be NULL */
    /* Optional: the most inputs version `version` takes, when an older version takes fewer than
     * the table's IN() (Clip-1/6 has its bounds as attributes). Checked at load. */
    int (*max_inputs_at)(int version);
    /* Shape rule: checks attributes and input dtypes/shapes and sets every present output's dtype
     * and shape (onnxbn_tensor_set_shape). Input data is non-NULL only for constant inputs.
     * May set c->workspace to the scratch bytes run() needs. */
    onnxbn_status (*infer)(onnxbn_kctx *c);
    /* Once per plan, after infer (optional): precompute state from constant inputs into c->state.
     * As in infer, input data is non-NULL exactly for constant inputs (activations get their
     * arena addresses only after every node is prepared). */
    onnxbn_status (*prepare)(onnxbn_kctx *c);
    /* Per run: compute the outputs. Shapes are as infer set them. */
    onnxbn_status (*run)(onnxbn_kctx *c);
    void (*free_state)(void *state); /* NULL: state (if any) is released with free() */
} onnxbn_op_def;

/* One node as the op sees it, per plan. */
struct onnxbn_kctx {
    const onnxbn_node *node;
    const onnxbn_op_def *def;
    onnxbn_op_id op;             /* the node's line in schema/ops.def */
    int version;                 /* the operator version in force (one of its versions) */
    int n_in, n_out;
    const onnxbn_tensor **in;    /* NULL for an omitted optional input */
    onnxbn_tensor **out;         /* NULL for an omitted optional output */
    void *state;                 /* set by prepare; freed with the plan */
    size_t workspace;            /* set by infer: scratch bytes run() needs */
    void *scratch;               /* at run: `workspace` bytes, 64-byte aligned, not kept */
    onnxbn_error *err;
    int threads;                 /* the session's thread count (for sizing scratch in infer) */
    onnxbn_pool *pool;           /* at run: the session's pool, or NULL (serial) */
    onnxbn_stop *stop;           /* at run: the session's stop request, or NULL (never) */
    onnxbn_act act;              /* set by the planner for ONNXBN_OP_FUSE_ACT ops */
    const onnxbn_tensor *res;    /* set by the planner for ONNXBN_OP_FUSE_ADD ops, or NULL */
    bool silu;                   /* set by the planner on a float Sigmoid whose Mul by its own input
                                    it folded in: the node writes x·sigmoid(x) (plan.c) */
    bool gelu;                   /* set by the planner on a float Div that starts an erf GELU whose
                                    four other nodes it folded in: the node writes the GELU with
                                    the constants gelu_k (divisor, addend, factor; plan.c);
                                    on a MatMul, the GELU of its (biased) product (plan.c) */
    float gelu_k[3];
    const onnxbn_tensor *bias;   /* set by the planner on a float MatMul by a constant matrix whose
                                    Add of a constant row of N values it folded in, or NULL */
    const onnxbn_tensor *ln_scale; /* set by the planner on a float Sub that starts a layer norm
                                    over the last axis exported as nodes (ReduceMean, Sub, Pow,
                                    ReduceMean, Add, Sqrt, Div, Mul, Add) whose eight others it
                                    folded in: the node writes LayerNormalization of its input 0
                                    with this scale, ln_bias and ln_eps (plan.c); else NULL */
    const onnxbn_tensor *ln_bias;
    float ln_eps;
    const struct onnxbn_graph *graph; /* set by the planner: the graph the node is in, for the
                                    one op that reads other nodes (Gradient, ops/gradient.c) */
    onnxbn_subs *subs;           /* set by the planner for a node with subgraphs (If), or NULL;
                                    in[n_args..n_in) are then the values they read (graph.h) */
};

/* Input i or NULL when it is absent (also past n_in). */
static inline const onnxbn_tensor *onnxbn_in(const onnxbn_kctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}
static inline onnxbn_tensor *onnxbn_out(const onnxbn_kctx *c, int i)
{
    return i < c->n_out ? c->out[i] : NULL;
}

/* The op_type of the node's operator, for messages. */
static inline const char *onnxbn_op_name(const onnxbn_kctx *c)
{
    return onnxbn_op_schema_of(c->op)->name;
}

/* For a node run deferred (ONNXBN_OP_DYNAMIC, or one whose shapes wait on such a node): run()
 * may give output i its final shape when infer could only set an upper bound (NonMaxSuppression
 * knows how many boxes it keeps only after keeping them). The new shape may not need more bytes
 * than infer's; the data stays where it is, laid out for the new shape by the op. */
static inline onnxbn_status onnxbn_out_shrink(onnxbn_kctx *c, int i, int rank, const int64_t *dims)
{
    onnxbn_tensor *t = onnxbn_out(c, i);
    ONNXBN_CHECK(t, c->err);
    onnxbn_tensor had = *t;
    onnxbn_status st = onnxbn_tensor_set_shape(t, had.dtype, rank, dims, c->err);
    if (!st && t->nbytes > had.nbytes) {
        *t = had;
        ONNXBN_CHECK(!"output grows past the bytes infer gave it", c->err);
    }
    return st;
}

/* Node facts for messages and rules. */
const char *onnxbn_node_name(const onnxbn_node *n);    /* "" when unnamed */
const char *onnxbn_node_op_type(const onnxbn_node *n);
const char *onnxbn_node_input_name(const onnxbn_node *n, int i);  /* value name, "" when absent */
const char *onnxbn_node_output_name(const onnxbn_node *n, int i);
/* The inputs the file lists (in[0, n) of the kctx), before the implicit ones of subgraphs. */
int onnxbn_node_arg_count(const onnxbn_node *n);

/* Fails with the node in front: "node 'bn3' (BatchNormalization): <message>". */
onnxbn_status onnxbn_node_fail(const onnxbn_kctx *c, onnxbn_status st, const char *fmt, ...)
    ONNXBN_PRINTF(3, 4);

/* Attributes. The getters return the default when the attribute is absent and fail (naming the
 * node and attribute) when it has another type. */
bool onnxbn_attr_has(const onnxbn_kctx *c, const char *name);
onnxbn_status onnxbn_attr_int(const onnxbn_kctx *c, const char *name, int64_t def, int64_t *out);
onnxbn_status onnxbn_attr_float(const onnxbn_kctx *c, const char *name, float def, float *out);
/* *v stays valid for the life of the model; *n = 0 and *v = NULL when absent. */
onnxbn_status onnxbn_attr_ints(const onnxbn_kctx *c, const char *name, const int64_t **v,
                               size_t *n);
onnxbn_status onnxbn_attr_floats(const onnxbn_kctx *c, const char *name, const float **v,
                                 size_t *n);
/* Copies the string NUL-terminated into buf; a string that does not fit is an error. */
onnxbn_status onnxbn_attr_string(const onnxbn_kctx *c, const char *name, const char *def,
                                 char *buf, size_t cap);
/* Entry i of a STRINGS attribute into buf, as onnxbn_attr_string; *count: how many entries it has
 * (0 when absent). An i past the end leaves buf "". */
onnxbn_status onnxbn_attr_strings_at(const onnxbn_kctx *c, const char *name, size_t i, char *buf,
                                     size_t cap, size_t *count);
/* A STRINGS attribute: *n is its count (0 when absent); the first min(n, cap) go to v (may be
 * NULL), pointing to the model's bytes, valid for the life of the model. */
onnxbn_status onnxbn_attr_strings(const onnxbn_kctx *c, const char *name, onnxbn_string *v,
                                  size_t cap, size_t *n);
/* Decodes a TENSOR attribute into a new owned tensor (*out NULL when absent). */
onnxbn_status onnxbn_attr_tensor(const onnxbn_kctx *c, const char *name, onnxbn_tensor **out);

/* Subgraphs (runtime/subgraph.c). Runs the node's subgraph held by attribute `attr` with the
 * node's implicit inputs bound (read, never written), and leaves its outputs for
 * onnxbn_sub_output until the branch runs again; *n_out: how many it has. The branch's plan
 * is kept and reused while its input shapes repeat. Errors name the node and the branch's node;
 * c->stop reaches into the branch. */
onnxbn_status onnxbn_sub_run(onnxbn_kctx *c, const char *attr, int *n_out);
/* Output i of the last run of subgraph `attr`, or NULL. */
const onnxbn_tensor *onnxbn_sub_output(const onnxbn_kctx *c, const char *attr, int i);
/* True once after each onnxbn_sub_run of `attr`: a node whose infer ran the branch (with every
 * input's data) takes its outputs in run() without running it again. */
bool onnxbn_sub_take_fresh(onnxbn_kctx *c, const char *attr);
/* Loop and Scan bodies, which have inputs of their own: runs subgraph `attr` with args bound to
 * its n_args formal inputs (the body's GraphProto inputs, in order; a count that differs from the
 * body's is an error naming the node) and the implicit inputs as onnxbn_sub_run does. The args
 * are read during the call only. The body's plan is keyed on the shapes of the args, never on
 * their contents (onnxbn_session_unkey_inputs), so iterations reuse one plan. */
onnxbn_status onnxbn_sub_run_args(onnxbn_kctx *c, const char *attr, int n_args,
                                  const onnxbn_tensor *const *args, int *n_out);
/* Formal inputs and outputs of subgraph `attr` (-1: no such subgraph), and the declared type and
 * shape of its input or output i (false: no such one). */
int onnxbn_sub_arg_count(const onnxbn_kctx *c, const char *attr);
int onnxbn_sub_output_count(const onnxbn_kctx *c, const char *attr);
bool onnxbn_sub_decl(const onnxbn_kctx *c, const char *attr, bool output, int i,
                     onnxbn_value_info *vi);
/* A slot kept with the node's subgraph `attr` across runs and plans (NULL: no such subgraph),
 * for buffers an op reuses from run to run; what it holds is freed with free_fn when the
 * subgraph is. */
void **onnxbn_sub_keep(onnxbn_kctx *c, const char *attr, void (*free_fn)(void *));

/* The bytes of a node's string outputs (runtime/ops/strings.c): kept in the node's state,
 * rewritten each run, freed with the plan, so the outputs live until the next run as an arena
 * output does. Strings are appended and their handles hold offsets until onnxbn_strbuf_fix. */
typedef struct onnxbn_strbuf {
    char *p;
    size_t len, cap;
} onnxbn_strbuf;
/* c->state as a strbuf (made on first use), emptied for this run; NULL when out of memory. */
onnxbn_strbuf *onnxbn_strbuf_of(onnxbn_kctx *c);
/* Appends n bytes and sets *h to their offset and length; false when out of memory. */
bool onnxbn_strbuf_put(onnxbn_strbuf *b, const char *s, size_t n, onnxbn_string *h);
/* Turns the offsets of n handles into pointers, once every string is in. */
void onnxbn_strbuf_fix(const onnxbn_strbuf *b, onnxbn_string *h, int64_t n);
void onnxbn_strbuf_free(void *state); /* free_state of an op using a strbuf */

/* Registry (ops/registry.c, made from schema/ops.def): the def that runs operator `id`, or NULL
 * (an OPX line, or not an id). */
const onnxbn_op_def *onnxbn_op_impl(onnxbn_op_id id);

#endif
