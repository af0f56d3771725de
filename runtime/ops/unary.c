/* SPDX-License-Identifier: Apache-2.0 */
/* unary.c — the one-input math operators (Sqrt … Erf, Round, Sign), IsNaN, IsInf and Clip, and
 * the infer/run all table-driven one-input operators share (activation.c has the rest). */
#include "ops/unary.h"

#include <float.h>
#include <string.h>

/* ---- shared plumbing ---- */

/* The kernel parameters from the attributes (or the defaults of the version in force). */
static onnxbn_status unary_params(const onnxbn_kctx *c, const onnxbn_unary_kind *k, float *a,
                                  float *b)
{
    onnxbn_status st;
    if (c->version == 1 && k->v1)
        k = k->v1;
    *a = k->def_a;
    *b = k->def_b;
    if (k->attr_a && (st = onnxbn_attr_float(c, k->attr_a, k->def_a, a)))
        return st;
    if (k->attr_b && (st = onnxbn_attr_float(c, k->attr_b, k->def_b, b)))
        return st;
    if (k->a_nonzero && *a == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' is 0; %s divides by it",
                                k->attr_a, onnxbn_node_op_type(c->node));
    return ONNXBN_OK;
}

onnxbn_status onnxbn_unary_infer(onnxbn_kctx *c, const onnxbn_unary_kind *k)
{
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, k->input, onnxbn_type_mask_at(k->types, c->version))))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (!onnxbn_unary_supported(k->op, x->dtype))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "input '%s' of type %s is not supported",
                                k->input, onnxbn_dtype_name(x->dtype));
    float a, b;
    if ((st = unary_params(c, k, &a, &b)))
        return st;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    return y ? onnxbn_tensor_set_shape(y, x->dtype, x->rank, x->dims, c->err) : ONNXBN_OK;
}

onnxbn_status onnxbn_unary_run(onnxbn_kctx *c, const onnxbn_unary_kind *k)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    /* infer refused every other type; the kernel would silently write nothing */
    ONNXBN_CHECK(x && onnxbn_unary_supported(k->op, x->dtype), c->err);
    float a, b;
    onnxbn_status st = unary_params(c, k, &a, &b);
    if (st || !y)
        return st;
    if (c->silu && x->dtype == ONNXBN_FLOAT) {
        onnxbn_silu_f32(x->data, y->data, (size_t)x->numel);
        return ONNXBN_OK;
    }
    onnxbn_unary(k->op, x->dtype, a, b, x->data, y->data, (size_t)x->numel);
    return ONNXBN_OK;
}

/* ---- the math operators ---- */

static const onnxbn_attr_spec legacy_attrs[] = {
    ONNXBN_CONSUMED_INPUTS_ATTR,
    {NULL, 0, false, 0, 0},
};

/* Sqrt, Exp, Log, Reciprocal, Floor and Ceil take onnxbn_types_float_bf13, Round and the
 * trigonometric and hyperbolic functions onnxbn_types_float (ops/types.h). */
static const onnxbn_type_rule neg_types[] = {
    {1, ONNXBN_TM_FLT},
    {6, ONNXBN_TM_FLT | ONNXBN_TM_SINT},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_SINT},
    {0, 0}};
static const onnxbn_type_rule abs_types[] = {
    {1, ONNXBN_TM_FLT},
    {6, ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {0, 0}};
/* Sign and Erf: every numeric type, bfloat16 from 13. */
static const onnxbn_type_rule num_types[] = {
    {9, ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {0, 0}};

ONNXBN_UNARY_KIND(k_sqrt, ONNXBN_UN_SQRT, "X", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_exp, ONNXBN_UN_EXP, "input", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_log, ONNXBN_UN_LOG, "input", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_neg, ONNXBN_UN_NEG, "X", neg_types)
ONNXBN_UNARY_KIND(k_abs, ONNXBN_UN_ABS, "X", abs_types)
ONNXBN_UNARY_KIND(k_reciprocal, ONNXBN_UN_RECIPROCAL, "X", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_floor, ONNXBN_UN_FLOOR, "X", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_ceil, ONNXBN_UN_CEIL, "X", onnxbn_types_float_bf13)
ONNXBN_UNARY_KIND(k_round, ONNXBN_UN_ROUND, "X", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_sign, ONNXBN_UN_SIGN, "input", num_types)
ONNXBN_UNARY_KIND(k_sin, ONNXBN_UN_SIN, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_cos, ONNXBN_UN_COS, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_tan, ONNXBN_UN_TAN, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_asin, ONNXBN_UN_ASIN, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_acos, ONNXBN_UN_ACOS, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_atan, ONNXBN_UN_ATAN, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_sinh, ONNXBN_UN_SINH, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_cosh, ONNXBN_UN_COSH, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_asinh, ONNXBN_UN_ASINH, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_acosh, ONNXBN_UN_ACOSH, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_atanh, ONNXBN_UN_ATANH, "input", onnxbn_types_float)
ONNXBN_UNARY_KIND(k_erf, ONNXBN_UN_ERF, "input", num_types)

ONNXBN_UNARY_DEF(sqrt, k_sqrt, legacy_attrs)
ONNXBN_UNARY_DEF(exp, k_exp, legacy_attrs)
ONNXBN_UNARY_DEF(log, k_log, legacy_attrs)
ONNXBN_UNARY_DEF(neg, k_neg, legacy_attrs)
ONNXBN_UNARY_DEF(abs, k_abs, legacy_attrs)
ONNXBN_UNARY_DEF(reciprocal, k_reciprocal, legacy_attrs)
ONNXBN_UNARY_DEF(floor, k_floor, legacy_attrs)
ONNXBN_UNARY_DEF(ceil, k_ceil, legacy_attrs)
ONNXBN_UNARY_DEF(round, k_round, NULL)
ONNXBN_UNARY_DEF(sign, k_sign, NULL)
ONNXBN_UNARY_DEF(sin, k_sin, NULL)
ONNXBN_UNARY_DEF(cos, k_cos, NULL)
ONNXBN_UNARY_DEF(tan, k_tan, NULL)
ONNXBN_UNARY_DEF(asin, k_asin, NULL)
ONNXBN_UNARY_DEF(acos, k_acos, NULL)
ONNXBN_UNARY_DEF(atan, k_atan, NULL)
ONNXBN_UNARY_DEF(sinh, k_sinh, NULL)
ONNXBN_UNARY_DEF(cosh, k_cosh, NULL)
ONNXBN_UNARY_DEF(asinh, k_asinh, NULL)
ONNXBN_UNARY_DEF(acosh, k_acosh, NULL)
ONNXBN_UNARY_DEF(atanh, k_atanh, NULL)
ONNXBN_UNARY_DEF(erf, k_erf, NULL)

/* ---- IsNaN, IsInf: a bool tensor of x's shape ---- */

static const onnxbn_type_rule isnan_types[] = {
    {9, ONNXBN_TM_FLT}, {13, ONNXBN_TM_FLT | ONNXBN_TM_BF}, {0, 0}};
static const onnxbn_type_rule isinf_types[] = {
    {10, ONNXBN_TM(ONNXBN_FLOAT) | ONNXBN_TM(ONNXBN_DOUBLE)}, {0, 0}};

static onnxbn_status bool_infer(onnxbn_kctx *c, const onnxbn_type_rule *types)
{
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, "X", onnxbn_type_mask_at(types, c->version))))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    return y ? onnxbn_tensor_set_shape(y, ONNXBN_BOOL, x->rank, x->dims, c->err) : ONNXBN_OK;
}

static onnxbn_status isnan_infer(onnxbn_kctx *c) { return bool_infer(c, isnan_types); }

static onnxbn_status isnan_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    /* the kernel reads any other type as 16-bit halves, past the end of an 8-bit buffer */
    ONNXBN_CHECK(onnxbn_isnan_supported(x->dtype), c->err);
    if (y)
        onnxbn_isnan(x->dtype, x->data, y->data, (size_t)x->numel);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_isnan = {
    .infer = isnan_infer,
    .run = isnan_run,
};

static const onnxbn_attr_spec isinf_attrs[] = {
    {"detect_negative", ONNXBN_ATTR_INT, false, 0, 0},
    {"detect_positive", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* Any nonzero flag counts as set (the spec speaks only of 1, the default, and 0). */
static onnxbn_status isinf_flags(const onnxbn_kctx *c, bool *neg, bool *pos)
{
    int64_t n, p;
    onnxbn_status st;
    if ((st = onnxbn_attr_int(c, "detect_negative", 1, &n)) ||
        (st = onnxbn_attr_int(c, "detect_positive", 1, &p)))
        return st;
    *neg = n != 0;
    *pos = p != 0;
    return ONNXBN_OK;
}

static onnxbn_status isinf_infer(onnxbn_kctx *c)
{
    bool neg = true, pos = true;
    onnxbn_status st = isinf_flags(c, &neg, &pos);
    return st ? st : bool_infer(c, isinf_types);
}

static onnxbn_status isinf_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(onnxbn_isnan_supported(x->dtype), c->err); /* IsInf takes the same types */
    bool neg = true, pos = true;
    onnxbn_status st = isinf_flags(c, &neg, &pos);
    if (!st && y)
        onnxbn_isinf(x->dtype, x->data, y->data, (size_t)x->numel, neg, pos);
    return st;
}

const onnxbn_op_def onnxbn_op_isinf = {
    .attrs = isinf_attrs,
    .infer = isinf_infer,
    .run = isinf_run,
};

/* ---- Clip ----
 * y = min(max(x, min), max), so min > max gives max everywhere (the later specs say so; numpy's
 * clip does the same). Versions 1 and 6 take the bounds as float attributes, 11 on as optional
 * one-element inputs of x's type; 12 adds the integer types, 13 bfloat16. Two defs, because the
 * number of inputs differs. */

static const onnxbn_type_rule clip_types[] = {
    {1, ONNXBN_TM_FLT},
    {12, ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {0, 0}};

static onnxbn_status clip_out(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    return y ? onnxbn_tensor_set_shape(y, x->dtype, x->rank, x->dims, c->err) : ONNXBN_OK;
}

static const onnxbn_attr_spec clip_attrs[] = {
    {"min", ONNXBN_ATTR_FLOAT, false, 1, 6}, /* inputs from 11 on */
    {"max", ONNXBN_ATTR_FLOAT, false, 1, 6},
    ONNXBN_CONSUMED_INPUTS_ATTR,
    {NULL, 0, false, 0, 0},
};

/* Absent attributes are float's lowest and max: Clip-6's declared defaults, and what Clip-1's
 * text says (numeric_limits of the attributes' type, float). So +-inf clip to +-FLT_MAX. */
static onnxbn_status clip_attr_bounds(const onnxbn_kctx *c, float *lo, float *hi)
{
    onnxbn_status st = onnxbn_attr_float(c, "min", -FLT_MAX, lo);
    return st ? st : onnxbn_attr_float(c, "max", FLT_MAX, hi);
}

static onnxbn_status clip_legacy_infer(onnxbn_kctx *c)
{
    float lo, hi;
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, "input", onnxbn_type_mask_at(clip_types, c->version))) ||
        (st = clip_attr_bounds(c, &lo, &hi)))
        return st;
    return clip_out(c);
}

/* A float bound as one element of type t (float16 rounds it; clipping a float16 x against the
 * rounded bound gives what clipping in float and rounding would). */
static void bound_as(onnxbn_dtype t, float v, void *out)
{
    if (t == ONNXBN_DOUBLE) {
        double d = v;
        memcpy(out, &d, sizeof d);
    } else if (t == ONNXBN_FLOAT16 || t == ONNXBN_BFLOAT16) {
        uint16_t h = t == ONNXBN_FLOAT16 ? onnxbn_float_to_half(v) : onnxbn_float_to_bf16(v);
        memcpy(out, &h, sizeof h);
    } else {
        memcpy(out, &v, sizeof v);
    }
}

static onnxbn_status clip_legacy_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    /* Clip-1/6 take float types only, the ones bound_as can write */
    ONNXBN_CHECK(onnxbn_type_mask_at(clip_types, c->version) & ONNXBN_TM(x->dtype), c->err);
    float lo, hi;
    onnxbn_status st = clip_attr_bounds(c, &lo, &hi);
    if (st || !y)
        return st;
    double blo, bhi; /* room for one element of any float type */
    bound_as(x->dtype, lo, &blo);
    bound_as(x->dtype, hi, &bhi);
    onnxbn_clip(x->dtype, x->data, y->data, (size_t)x->numel, &blo, &bhi);
    return ONNXBN_OK;
}

static onnxbn_status clip11_infer(onnxbn_kctx *c)
{
    static const char *const names[3] = {"input", "min", "max"};
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, "input", onnxbn_type_mask_at(clip_types, c->version))))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    for (int i = 1; i < 3; i++) {
        const onnxbn_tensor *b = onnxbn_in(c, i);
        if (!b)
            continue;
        if (b->dtype != x->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                    "input '%s' ('%s') is %s, input 'input' is %s", names[i], onnxbn_node_input_name(c->node, i),
                                    onnxbn_dtype_name(b->dtype), onnxbn_dtype_name(x->dtype));
        if (b->numel != 1) {
            char sh[ONNXBN_SHAPE_STR_MAX];
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input '%s' ('%s') has shape %s, expected a scalar", names[i], onnxbn_node_input_name(c->node, i),
                                    onnxbn_shape_str(b, sh, sizeof sh));
        }
    }
    if (!onnxbn_clip_supported(x->dtype))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "input 'input' of type %s is not supported",
                                onnxbn_dtype_name(x->dtype));
    return clip_out(c);
}

static onnxbn_status clip11_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *lo = onnxbn_in(c, 1), *hi = onnxbn_in(c, 2);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(onnxbn_clip_supported(x->dtype), c->err); /* else the kernel writes nothing */
    if (y)
        onnxbn_clip(x->dtype, x->data, y->data, (size_t)x->numel, lo ? lo->data : NULL,
                    hi ? hi->data : NULL);
    return ONNXBN_OK;
}

/* One def for every version (one table line per operator): bounds are attributes up to 6 and
 * optional scalar inputs from 11 on. */
static int clip_max_inputs(int version) { return version < 11 ? 1 : 3; }
static onnxbn_status clip_infer(onnxbn_kctx *c)
{
    return c->version < 11 ? clip_legacy_infer(c) : clip11_infer(c);
}
static onnxbn_status clip_run(onnxbn_kctx *c)
{
    return c->version < 11 ? clip_legacy_run(c) : clip11_run(c);
}

const onnxbn_op_def onnxbn_op_clip = {
    .attrs = clip_attrs,
    .max_inputs_at = clip_max_inputs,
    .infer = clip_infer,
    .run = clip_run,
};
