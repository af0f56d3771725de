/* SPDX-License-Identifier: Apache-2.0 */
/* opschema.h — what onnxbn knows of each ONNX operator, made from schema/ops.def: the op id enum,
 * the facts per operator (versions, arity, value inputs, flags) and the lookup by (domain, op_type). */
#ifndef ONNXBN_OPSCHEMA_H
#define ONNXBN_OPSCHEMA_H

#include <stdbool.h>
#include <stdint.h>

/* One id per line of ops.def, in its order (sorted by domain, then op_type). */
typedef enum onnxbn_op_id {
    ONNXBN_OP_UNKNOWN = -1, /* not in the table */
#define OP(name, ...) ONNXBN_OP_##name,
#define OPX(name, ...) ONNXBN_OP_##name,
#include "ops.def"
    ONNXBN_OP_COUNT
} onnxbn_op_id;

/* Attribute types, numbered as onnx.AttributeProto.AttributeType. */
enum {
    ONNXBN_ATTR_FLOAT = 1, ONNXBN_ATTR_INT = 2, ONNXBN_ATTR_STRING = 3, ONNXBN_ATTR_TENSOR = 4,
    ONNXBN_ATTR_GRAPH = 5, ONNXBN_ATTR_FLOATS = 6, ONNXBN_ATTR_INTS = 7, ONNXBN_ATTR_STRINGS = 8
};

/* What the planner and the converter decide on. A decision that would need an op-type test
 * gets a flag here instead. */
enum {
    ONNXBN_OP_NO_CONST_FOLD = 1, /* never evaluate at plan time even if every input is constant */
    /* The outputs depend only on the input shapes (Shape, Size): evaluated at plan time with
     * inputs whose data is NULL, so the shape subgraphs exporters emit become constants. */
    ONNXBN_OP_SHAPE_ONLY = 2,
    /* Output 0 is input 0's bytes unchanged (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
     * inference Dropout): the planner may give it input 0's storage and skip the node. */
    ONNXBN_OP_ALIAS_INPUT0 = 4,
    /* Element-wise: run() is correct when output 0 is the same buffer as an input of the same
     * type and size as output 0; the planner then reuses an input that dies at this node. */
    ONNXBN_OP_INPLACE = 8,
    /* run() applies c->act to output 0 (Conv, Gemm, MatMul on float): the planner may fold a
     * following ACTIVATION node into it. */
    ONNXBN_OP_FUSE_ACT = 16,
    /* run() adds c->res (when set: float, output 0's shape, never output 0's storage) to output
     * 0 before c->act (Conv): the planner may fold a following Add of the same shape into the
     * node, the residual connection of ResNet-style blocks. */
    ONNXBN_OP_FUSE_ADD = 32,
    /* Output 0 has the rank of input 0 (unary math, pools, normalizations, Conv ...): the
     * converter carries a known rank through the node. */
    ONNXBN_OP_SAME_RANK = 64,
    /* Element-wise over every input with multidirectional (numpy) broadcasting: output 0 has the
     * largest rank of the inputs. */
    ONNXBN_OP_BROADCAST = 128,
    /* A unary activation a FUSE_ACT producer can apply in its epilogue (Relu, Clip): the planner
     * folds it into the producer when its bounds are known at plan time. */
    ONNXBN_OP_ACTIVATION = 256,
    /* Output shapes depend on input VALUES that are not known before the run (NonZero,
     * NonMaxSuppression, Unique, Compress): the planner defers the node and everything that
     * depends on its outputs to run time, where infer sees every input's data (op.h). Unlike
     * VALUE_IN, a fed input reaching such a node never becomes a plan-time constant. Its VALUE_IN
     * bits name the inputs whose values decide its shapes (none: every input); the node is
     * deferred only when one of those is not a plan-time constant. */
    ONNXBN_OP_DYNAMIC = 512,
    /* Outputs are random draws (RandomNormal, RandomUniform, their Like forms, Bernoulli,
     * Multinomial): no other generator reproduces them, so a test compares their types and shapes,
     * not their values (`onnxbn test` SKIPs such a case with that reason). Such ops are also
     * NO_CONST_FOLD: one draw must not become a constant of the plan. */
    ONNXBN_OP_RANDOM = 1024,
    /* Takes sequences and optionals as well as tensors (Identity, If, the Sequence* and Optional*
     * operators), checking its inputs' kinds itself; every other operator is handed tensors
     * only (the planner refuses anything else, naming the node). */
    ONNXBN_OP_VALUES = 2048,
    /* Every output is a sequence (SequenceEmpty, Construct, Insert, Erase, SplitToSequence,
     * SequenceMap): the load-time kind check (runtime/check.c) follows sequences from these and
     * from graph inputs declared so. */
    ONNXBN_OP_SEQ_OUT = 4096
};

#define ONNXBN_OP_MAX_VERSIONS 12

typedef struct onnxbn_op_schema {
    const char *name;       /* the op_type */
    const char *domain;     /* "" is ai.onnx */
    int versions[ONNXBN_OP_MAX_VERSIONS]; /* implemented since_versions, ascending, 0-ended; none: OPX */
    int min_inputs, max_inputs, min_outputs, max_outputs;
    /* Bit k set: the shape rule needs the VALUES of input k (a shape, axes, pads, repeats ...).
     * When such an input is fed by the caller, the session treats it as a plan-time constant:
     * its contents become part of the plan key, so the shape rule always sees data for it. */
    uint32_t value_inputs;
    unsigned flags;         /* ONNXBN_OP_* above */
} onnxbn_op_schema;

/* The id of (domain, op_type), or ONNXBN_OP_UNKNOWN. "" and "ai.onnx" are the same domain. A
 * binary search over the sorted table: no state, nothing to initialise. */
onnxbn_op_id onnxbn_op_lookup(const char *domain, const char *op_type);
/* The facts of an id, or NULL when id is not one (ONNXBN_OP_UNKNOWN, out of range). */
const onnxbn_op_schema *onnxbn_op_schema_of(onnxbn_op_id id);
/* The operator version in force at `opset` of the operator's domain: the newest implemented
 * since_version not newer than opset, or 0 when there is none (the opset is older than every
 * version this build implements, or the operator is not implemented). */
int onnxbn_op_version_at(onnxbn_op_id id, int64_t opset);
/* True when the operator has every flag in `flags` (false for an unknown id). */
static inline bool onnxbn_op_has(onnxbn_op_id id, unsigned flags)
{
    const onnxbn_op_schema *s = onnxbn_op_schema_of(id);
    return s && (s->flags & flags) == flags;
}

#endif
