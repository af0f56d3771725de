/* SPDX-License-Identifier: Apache-2.0 */
/* unary.h — the plumbing the one-input element-wise operators share (unary.c, activation.c): a
 * kind per operator (kernel op, types per version, parameter attributes) and one infer/run. */
#ifndef ONNXBN_OPS_UNARY_H
#define ONNXBN_OPS_UNARY_H

#include "kernels/unary.h"
#include "op.h"
#include "ops/types.h"

/* One operator computed by onnxbn_unary: y = op(x; a, b), same type and shape as x. */
typedef struct onnxbn_unary_kind {
    onnxbn_unop op;
    const char *input;              /* the input's name in the spec, for messages */
    const onnxbn_type_rule *types;
    const char *attr_a, *attr_b;    /* attributes giving the kernel's a and b; NULL: none */
    float def_a, def_b;             /* their defaults */
    bool a_nonzero;                 /* a = 0 is refused (Celu divides by alpha) */
    const struct onnxbn_unary_kind *v1; /* the kind for version 1 when its defaults differ */
} onnxbn_unary_kind;

/* A kind without parameters: the kernel op, the input's name in the spec, its type rule. */
#define ONNXBN_UNARY_KIND(NAME, OP, INPUT, TYPES)                                                 \
    static const onnxbn_unary_kind NAME = {.op = OP, .input = INPUT, .types = TYPES};

onnxbn_status onnxbn_unary_infer(onnxbn_kctx *c, const onnxbn_unary_kind *k);
onnxbn_status onnxbn_unary_run(onnxbn_kctx *c, const onnxbn_unary_kind *k);

/* A def for a kind: SYM names the symbol onnxbn_op_SYM (the impl of its line in schema/ops.def). */
#define ONNXBN_UNARY_DEF(SYM, KIND, ATTRS)                                                         \
    static onnxbn_status SYM##_infer(onnxbn_kctx *c) { return onnxbn_unary_infer(c, &KIND); }      \
    static onnxbn_status SYM##_run(onnxbn_kctx *c) { return onnxbn_unary_run(c, &KIND); }          \
    const onnxbn_op_def onnxbn_op_##SYM = {                                                        \
        .attrs = ATTRS,                                                                            \
        .infer = SYM##_infer,                                                                      \
        .run = SYM##_run,                                                                          \
    };

/* The legacy hint of version 1 (`consumed_inputs`), accepted and unused. */
#define ONNXBN_CONSUMED_INPUTS_ATTR {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}

#endif
