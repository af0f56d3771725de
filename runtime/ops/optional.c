/* SPDX-License-Identifier: Apache-2.0 */
/* optional.c — Optional, OptionalHasElement, OptionalGetElement (version 15). An optional that
 * holds a value is that value; an empty one is a value of kind NONE (core.h). */
#include "shapeops.h"

/* ---- Optional: the input as it is, or an empty optional when there is none ---- */

/* The `type` attribute (a TypeProto) of an empty optional is not read: NONE carries no bytes,
 * and its element type is UNDEFINED. */
static onnxbn_status optional_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (!x) {
        onnxbn_tensor *y = c->out[0];
        *y = (onnxbn_tensor){.kind = ONNXBN_KIND_NONE};
        return ONNXBN_OK;
    }
    if (x->kind == ONNXBN_KIND_NONE)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input is an optional; an optional cannot hold one");
    return onnxbn_value_shape_like(c->out[0], x, c->err);
}

static onnxbn_status copy_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x && x->kind != ONNXBN_KIND_NONE) {
        ONNXBN_CHECK(c->out[0]->kind == x->kind && c->out[0]->nbytes == x->nbytes, c->err);
        onnxbn_value_copy(c->out[0], x);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_optional = {
    .infer = optional_infer,
    .run = copy_run,
};

/* ---- OptionalHasElement ---- */

static onnxbn_status has_infer(onnxbn_kctx *c)
{
    return onnxbn_tensor_set_shape(c->out[0], ONNXBN_BOOL, 0, NULL, c->err);
}

static onnxbn_status has_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    *(uint8_t *)c->out[0]->data = x && x->kind != ONNXBN_KIND_NONE;
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_optional_has_element = {
    .infer = has_infer,
    .run = has_run,
};

/* ---- OptionalGetElement: the value held; an empty optional is an error ---- */

static onnxbn_status get_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x->kind == ONNXBN_KIND_NONE)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input '%.100s' is an empty optional",
                                mv_in_name(c, 0));
    return onnxbn_value_shape_like(c->out[0], x, c->err);
}

const onnxbn_op_def onnxbn_op_optional_get_element = {
    .infer = get_infer,
    .run = copy_run,
};
