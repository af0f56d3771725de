/* SPDX-License-Identifier: Apache-2.0 */
/* relu.c — Relu, versions 1, 6, 13 and 14: y = max(0, x) elementwise, same type and shape. The
 * versions differ only in the types they take (bfloat16 from 13, signed integers from 14). */
#include "kernels/elementwise.h"
#include "op.h"
#include "ops/types.h"

static const onnxbn_attr_spec relu_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* Relu-1's legacy hint: accepted, unused */
    {NULL, 0, false, 0, 0},
};

static const onnxbn_type_rule relu_types[] = {
    {1, ONNXBN_TM_FLT},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF},
    {14, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_SINT},
    {0, 0},
};

static onnxbn_status relu_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_check_input_type(c, 0, "X", onnxbn_type_mask_at(relu_types, c->version));
    if (st)
        return st;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, x->rank, x->dims, c->err);
}

static onnxbn_status relu_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const size_t n = (size_t)x->numel;
    switch (x->dtype) {
    case ONNXBN_FLOAT: onnxbn_relu_f32(x->data, y->data, n); break;
    case ONNXBN_DOUBLE: onnxbn_relu_f64(x->data, y->data, n); break;
    case ONNXBN_FLOAT16: onnxbn_relu_f16(x->data, y->data, n); break;
    case ONNXBN_BFLOAT16: onnxbn_relu_bf16(x->data, y->data, n); break;
    case ONNXBN_INT8: onnxbn_relu_i8(x->data, y->data, n); break;
    case ONNXBN_INT16: onnxbn_relu_i16(x->data, y->data, n); break;
    case ONNXBN_INT32: onnxbn_relu_i32(x->data, y->data, n); break;
    case ONNXBN_INT64: onnxbn_relu_i64(x->data, y->data, n); break;
    default:
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "element type %s is not supported",
                                onnxbn_dtype_name(x->dtype));
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_relu = {
    .attrs = relu_attrs,
    .infer = relu_infer,
    .run = relu_run,
};
