/* relu.c — Relu, versions 1, 6, 13 and 14: y = max(0, x) elementwise, same type and shape. The
 * versions differ only in the types they take (bfloat16 from 13, signed integers from 14). */
#include "kernels/elementwise.h"
#include "op.h"

static const onnxbn_attr_spec relu_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* Relu-1's legacy hint: accepted, unused */
    {NULL, 0, false, 0, 0},
};

static bool type_ok(onnxbn_dtype t, int version)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16:
        return true;
    case ONNXBN_BFLOAT16:
        return version >= 13;
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
        return version >= 14;
    default:
        return false;
    }
}

static onnxbn_status relu_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (!type_ok(x->dtype, c->version))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'X' ('%s') is %s, Relu-%d takes %s",
                                onnxbn_node_input_name(c->node, 0), onnxbn_dtype_name(x->dtype),
                                c->version,
                                c->version >= 14   ? "float16, float, double, bfloat16, int8, int16, int32 or int64"
                                : c->version >= 13 ? "float16, float, double or bfloat16"
                                                   : "float16, float or double");
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
