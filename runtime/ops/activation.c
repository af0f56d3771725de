/* SPDX-License-Identifier: Apache-2.0 */
/* activation.c — the activation functions (LeakyRelu, PRelu, Sigmoid, HardSigmoid, HardSwish,
 * Tanh, Elu, Selu, Celu, Softplus, Softsign, ThresholdedRelu, Mish, Shrink), every version. */
#include "ops/unary.h"

#include "kernels/broadcast.h"

#define END_ATTRS {NULL, 0, false, 0, 0}

static const onnxbn_type_rule flt16[] = {
    {1, ONNXBN_TM_FLT}, {16, ONNXBN_TM_FLT | ONNXBN_TM_BF}, {0, 0}};
static const onnxbn_type_rule celu_types[] = {{12, ONNXBN_TM(ONNXBN_FLOAT)}, {0, 0}};
static const onnxbn_type_rule shrink_types[] = {
    {9, ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT}, {0, 0}};

static const onnxbn_attr_spec legacy_attrs[] = {ONNXBN_CONSUMED_INPUTS_ATTR, END_ATTRS};
static const onnxbn_attr_spec alpha_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 0, 0}, ONNXBN_CONSUMED_INPUTS_ATTR, END_ATTRS};
static const onnxbn_attr_spec hardsigmoid_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"beta", ONNXBN_ATTR_FLOAT, false, 0, 0},
    ONNXBN_CONSUMED_INPUTS_ATTR,
    END_ATTRS};
static const onnxbn_attr_spec selu_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"gamma", ONNXBN_ATTR_FLOAT, false, 0, 0},
    ONNXBN_CONSUMED_INPUTS_ATTR,
    END_ATTRS};
static const onnxbn_attr_spec shrink_attrs[] = {
    {"lambd", ONNXBN_ATTR_FLOAT, false, 0, 0}, {"bias", ONNXBN_ATTR_FLOAT, false, 0, 0}, END_ATTRS};

/* One kind per operator; the defaults are the schemas' float values. */
ONNXBN_UNARY_KIND(k_sigmoid, ONNXBN_UN_SIGMOID, "X", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_tanh, ONNXBN_UN_TANH, "input", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_softplus, ONNXBN_UN_SOFTPLUS, "X", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_softsign, ONNXBN_UN_SOFTSIGN, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_hardswish, ONNXBN_UN_HARDSWISH, "X", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_mish, ONNXBN_UN_MISH, "X", onnxbn_types_float)
static const onnxbn_unary_kind k_leakyrelu = {
    .op = ONNXBN_UN_LEAKYRELU, .input = "X", .types = flt16, .attr_a = "alpha", .def_a = 0.01f};
static const onnxbn_unary_kind k_hardsigmoid = {
    .op = ONNXBN_UN_HARDSIGMOID, .input = "X", .types = onnxbn_types_float,
    .attr_a = "alpha", .def_a = 0.2f, .attr_b = "beta", .def_b = 0.5f};
static const onnxbn_unary_kind k_elu = {
    .op = ONNXBN_UN_ELU, .input = "X", .types = onnxbn_types_float,
    .attr_a = "alpha", .def_a = 1.0f};
/* Selu-1 documents 1.6732 and 1.0507; Selu-6 the constants of the SELU paper. */
static const onnxbn_unary_kind k_selu1 = {
    .op = ONNXBN_UN_SELU, .input = "X", .types = onnxbn_types_float,
    .attr_a = "alpha", .def_a = 1.6732f, .attr_b = "gamma", .def_b = 1.0507f};
static const onnxbn_unary_kind k_selu = {
    .op = ONNXBN_UN_SELU, .input = "X", .types = onnxbn_types_float,
    .attr_a = "alpha", .def_a = 1.67326319217681884765625f,
    .attr_b = "gamma", .def_b = 1.05070102214813232421875f, .v1 = &k_selu1};
static const onnxbn_unary_kind k_celu = {
    .op = ONNXBN_UN_CELU, .input = "X", .types = celu_types,
    .attr_a = "alpha", .def_a = 1.0f, .a_nonzero = true};
static const onnxbn_unary_kind k_thresholdedrelu = {
    .op = ONNXBN_UN_THRESHOLDEDRELU, .input = "X", .types = onnxbn_types_float,
    .attr_a = "alpha", .def_a = 1.0f};
static const onnxbn_unary_kind k_shrink = {
    .op = ONNXBN_UN_SHRINK, .input = "input", .types = shrink_types,
    .attr_a = "lambd", .def_a = 0.5f, .attr_b = "bias", .def_b = 0.0f};

ONNXBN_UNARY_DEF(sigmoid, k_sigmoid, legacy_attrs)
ONNXBN_UNARY_DEF(tanh, k_tanh, legacy_attrs)
ONNXBN_UNARY_DEF(softplus, k_softplus, NULL)
ONNXBN_UNARY_DEF(softsign, k_softsign, NULL)
ONNXBN_UNARY_DEF(hardswish, k_hardswish, NULL)
ONNXBN_UNARY_DEF(mish, k_mish, NULL)
ONNXBN_UNARY_DEF(leakyrelu, k_leakyrelu, alpha_attrs)
ONNXBN_UNARY_DEF(hardsigmoid, k_hardsigmoid, hardsigmoid_attrs)
ONNXBN_UNARY_DEF(elu, k_elu, alpha_attrs)
ONNXBN_UNARY_DEF(selu, k_selu, selu_attrs)
ONNXBN_UNARY_DEF(celu, k_celu, alpha_attrs)
ONNXBN_UNARY_DEF(thresholdedrelu, k_thresholdedrelu, alpha_attrs)
ONNXBN_UNARY_DEF(shrink, k_shrink, shrink_attrs)

/* ---- PRelu: y = x < 0 ? slope·x : x, with the slope broadcast to x ---- */

static const onnxbn_type_rule prelu_types[] = {
    {1, ONNXBN_TM_FLT},
    {9, ONNXBN_TM_FLT | ONNXBN_TM(ONNXBN_INT32) | ONNXBN_TM(ONNXBN_INT64) |
            ONNXBN_TM(ONNXBN_UINT32) | ONNXBN_TM(ONNXBN_UINT64)},
    {16, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM(ONNXBN_INT32) | ONNXBN_TM(ONNXBN_INT64) |
             ONNXBN_TM(ONNXBN_UINT32) | ONNXBN_TM(ONNXBN_UINT64)},
    {0, 0}};

/* Whether slope's shape broadcasts one way onto x's: right-aligned, each dim equal or 1. */
static bool unidirectional(const onnxbn_tensor *s, const onnxbn_tensor *x)
{
    if (s->rank > x->rank)
        return false;
    for (int i = 1; i <= s->rank; i++)
        if (s->dims[s->rank - i] != 1 && s->dims[s->rank - i] != x->dims[x->rank - i])
            return false;
    return true;
}

/* The strides that read the slope over x's shape. From 7 the slope broadcasts unidirectionally
 * (numpy rules, onto x). Versions 1 and 6 say only that a one-element slope is shared by all
 * channels; what their exporters emit (pytorch's PReLU) is a slope of C values for x of shape
 * (N, C, ...), one per channel, axis 1. So there: one element → shared, a 1-D slope as long as
 * axis 1 → per channel, and otherwise the unidirectional rule (e.g. a slope of x's own shape). */
static onnxbn_status prelu_strides(const onnxbn_kctx *c, int64_t *ss)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *s = onnxbn_in(c, 1);
    for (int i = 0; i < x->rank; i++)
        ss[i] = 0;
    if (c->version < 7 && s->numel == 1)
        return ONNXBN_OK;
    if (c->version < 7 && s->rank == 1 && x->rank >= 2 && s->dims[0] == x->dims[1]) {
        ss[1] = 1;
        return ONNXBN_OK;
    }
    if (!unidirectional(s, x)) {
        char shs[ONNXBN_SHAPE_STR_MAX], shx[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'slope' ('%s') %s does not broadcast to input 'X' ('%s') %s",
                                onnxbn_node_input_name(c->node, 1),
                                onnxbn_shape_str(s, shs, sizeof shs),
                                onnxbn_node_input_name(c->node, 0),
                                onnxbn_shape_str(x, shx, sizeof shx));
    }
    onnxbn_broadcast_strides(s->rank, s->dims, x->rank, x->dims, ss);
    return ONNXBN_OK;
}

static onnxbn_status prelu_infer(onnxbn_kctx *c)
{
    onnxbn_status st;
    uint32_t mask = onnxbn_type_mask_at(prelu_types, c->version);
    if ((st = onnxbn_check_input_type(c, 0, "X", mask)) ||
        (st = onnxbn_check_input_type(c, 1, "slope", mask)))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0), *s = onnxbn_in(c, 1);
    if (s->dtype != x->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'slope' ('%s') is %s, input 'X' is %s",
                                onnxbn_node_input_name(c->node, 1), onnxbn_dtype_name(s->dtype),
                                onnxbn_dtype_name(x->dtype));
    if (!onnxbn_prelu_supported(x->dtype))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "input 'X' of type %s is not supported",
                                onnxbn_dtype_name(x->dtype));
    int64_t ss[ONNXBN_MAX_RANK];
    if ((st = prelu_strides(c, ss)))
        return st;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    return y ? onnxbn_tensor_set_shape(y, x->dtype, x->rank, x->dims, c->err) : ONNXBN_OK;
}

static onnxbn_status prelu_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *s = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(onnxbn_prelu_supported(x->dtype) && s->dtype == x->dtype, c->err);
    int64_t ss[ONNXBN_MAX_RANK];
    onnxbn_status st = prelu_strides(c, ss);
    if (st || !y)
        return st;
    onnxbn_prelu(x->dtype, x->rank, x->dims, x->data, s->data, ss, y->data);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_prelu = {
    .attrs = legacy_attrs,
    .infer = prelu_infer,
    .run = prelu_run,
};
