/* SPDX-License-Identifier: Apache-2.0 */
/* variadic.c — Sum, Mean, Max and Min over one or more inputs: same shapes before version 8, numpy
 * broadcasting from 8. The output accumulates input by input through the binary kernel. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/elementwise.h"
#include "op.h"

#define M(t) (1u << (t))
#define T_FLT (M(ONNXBN_FLOAT16) | M(ONNXBN_FLOAT) | M(ONNXBN_DOUBLE))
#define T_INT                                                                                     \
    (M(ONNXBN_INT8) | M(ONNXBN_INT16) | M(ONNXBN_INT32) | M(ONNXBN_INT64) | M(ONNXBN_UINT8) |     \
     M(ONNXBN_UINT16) | M(ONNXBN_UINT32) | M(ONNXBN_UINT64))

typedef struct {
    onnxbn_binop op;
    bool mean;
    bool ints_from_12; /* Max and Min take integers from version 12 */
} var_kind;

static uint32_t types_at(const var_kind *k, int version)
{
    uint32_t m = T_FLT;
    if (version >= 13)
        m |= M(ONNXBN_BFLOAT16);
    if (k->ints_from_12 && version >= 12)
        m |= T_INT;
    return m;
}

static const char *types_str(uint32_t m)
{
    if (m & T_INT)
        return m & M(ONNXBN_BFLOAT16) ? "float16, float, double, bfloat16 or integers"
                                      : "float16, float, double or integers";
    return m & M(ONNXBN_BFLOAT16) ? "float16, float, double or bfloat16" : "float16, float or double";
}

static onnxbn_status var_infer(onnxbn_kctx *c, const var_kind *k)
{
    const onnxbn_tensor *first = onnxbn_in(c, 0);
    const uint32_t mask = types_at(k, c->version);
    int rank = 0;
    int64_t dims[ONNXBN_MAX_RANK];
    char s1[ONNXBN_SHAPE_STR_MAX], s2[ONNXBN_SHAPE_STR_MAX];
    for (int i = 0; i < c->n_in; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        if (!t)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is missing", i);
        if ((unsigned)t->dtype >= 32 || !(mask & M(t->dtype)))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%s') is %s, %s-%d takes %s", i,
                                    onnxbn_node_input_name(c->node, i), onnxbn_dtype_name(t->dtype),
                                    onnxbn_node_op_type(c->node), c->version, types_str(mask));
        if (t->dtype != first->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%s') is %s and input 0 ('%s') is %s: "
                                    "all inputs must be one type", i, onnxbn_node_input_name(c->node, i),
                                    onnxbn_dtype_name(t->dtype), onnxbn_node_input_name(c->node, 0),
                                    onnxbn_dtype_name(first->dtype));
        if (i == 0) {
            rank = t->rank;
            memcpy(dims, t->dims, sizeof t->dims);
        } else if (c->version < 8) {
            if (!onnxbn_same_shape(t, first))
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "input %d ('%s') %s and input 0 ('%s') %s differ in shape (%s-%d "
                                        "does not broadcast)", i, onnxbn_node_input_name(c->node, i),
                                        onnxbn_shape_str(t, s1, sizeof s1),
                                        onnxbn_node_input_name(c->node, 0),
                                        onnxbn_shape_str(first, s2, sizeof s2),
                                        onnxbn_node_op_type(c->node), c->version);
        } else {
            int64_t prev[ONNXBN_MAX_RANK];
            int prank = rank;
            memcpy(prev, dims, sizeof prev);
            if (!onnxbn_broadcast_shape(prank, prev, t->rank, t->dims, &rank, dims)) {
                onnxbn_tensor acc = {.rank = prank};
                memcpy(acc.dims, prev, sizeof prev);
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "input %d ('%s') %s does not broadcast with inputs 0..%d, "
                                        "broadcast to %s", i, onnxbn_node_input_name(c->node, i),
                                        onnxbn_shape_str(t, s1, sizeof s1), i - 1,
                                        onnxbn_shape_str(&acc, s2, sizeof s2));
            }
        }
    }
    if (!onnxbn_binary_supported(k->op, first->dtype, first->dtype))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "inputs of type %s are not supported",
                                onnxbn_dtype_name(first->dtype));
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), first->dtype, rank, dims, c->err);
}

/* y = x0 op x1, then y = y op xk for each further input; Mean then divides by the count, as
 * numpy's mean does (not a multiplication by 1/n, which rounds differently). */
static onnxbn_status var_run(onnxbn_kctx *c, const var_kind *k)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const onnxbn_tensor *x0 = onnxbn_in(c, 0);
    if (c->n_in == 1) {
        if (y->nbytes)
            memcpy(y->data, x0->data, y->nbytes);
        return ONNXBN_OK;
    }
    int64_t sy[ONNXBN_MAX_RANK], sa[ONNXBN_MAX_RANK], sb[ONNXBN_MAX_RANK];
    int64_t s = 1;
    for (int i = y->rank - 1; i >= 0; i--) {
        sy[i] = s;
        s *= y->dims[i];
    }
    onnxbn_broadcast_strides(x0->rank, x0->dims, y->rank, y->dims, sa);
    for (int i = 1; i < c->n_in; i++) {
        const onnxbn_tensor *x = onnxbn_in(c, i);
        onnxbn_broadcast_strides(x->rank, x->dims, y->rank, y->dims, sb);
        onnxbn_binary(k->op, y->dtype, y->dtype, y->rank, y->dims, i == 1 ? x0->data : y->data,
                      i == 1 ? sa : sy, x->data, sb, y->data);
    }
    if (k->mean) {
        union {
            float f;
            double d;
            uint16_t h;
        } n;
        static const int64_t zero[ONNXBN_MAX_RANK];
        switch (y->dtype) {
        case ONNXBN_FLOAT: n.f = (float)c->n_in; break;
        case ONNXBN_DOUBLE: n.d = c->n_in; break;
        case ONNXBN_FLOAT16: n.h = onnxbn_float_to_half((float)c->n_in); break;
        case ONNXBN_BFLOAT16: n.h = onnxbn_float_to_bf16((float)c->n_in); break;
        default:
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "Mean of %s is not supported",
                                    onnxbn_dtype_name(y->dtype));
        }
        onnxbn_binary(ONNXBN_BIN_DIV, y->dtype, y->dtype, y->rank, y->dims, y->data, sy, &n, zero,
                      y->data);
    }
    return ONNXBN_OK;
}

static const onnxbn_attr_spec var_attrs[] = {
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* legacy hint: accepted, unused */
    {NULL, 0, false, 0, 0},
};

#define VAR_DEF(SYM, OP, MEAN, INTS)                                                              \
    static const var_kind SYM##_kind = {OP, MEAN, INTS};                                          \
    static onnxbn_status SYM##_infer(onnxbn_kctx *c) { return var_infer(c, &SYM##_kind); }        \
    static onnxbn_status SYM##_run(onnxbn_kctx *c) { return var_run(c, &SYM##_kind); }            \
    const onnxbn_op_def onnxbn_op_##SYM = {                                                       \
        .attrs = var_attrs,                                                                       \
        .infer = SYM##_infer,                                                                     \
        .run = SYM##_run,                                                                         \
    };

VAR_DEF(sum, ONNXBN_BIN_ADD, false, false)
VAR_DEF(mean, ONNXBN_BIN_ADD, true, false)
VAR_DEF(max, ONNXBN_BIN_MAX, false, true)
VAR_DEF(min, ONNXBN_BIN_MIN, false, true)
