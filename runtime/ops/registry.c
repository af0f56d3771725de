/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c — which def runs which operator: the implementation table, made from the OP lines of
 * schema/ops.def. Adding an operator is its file in runtime/ops/ plus its line there, not here. */
#include "op.h"

#define OP(name, dom, impl, ...) extern const onnxbn_op_def onnxbn_op_##impl;
#define OPX(...)
#include "ops.def"

static const onnxbn_op_def *const impls[ONNXBN_OP_COUNT] = {
#define OP(name, dom, impl, ...) [ONNXBN_OP_##name] = &onnxbn_op_##impl,
#define OPX(...)
#include "ops.def"
};

const onnxbn_op_def *onnxbn_op_impl(onnxbn_op_id id)
{
    return (int)id >= 0 && id < ONNXBN_OP_COUNT ? impls[id] : NULL;
}
