/* SPDX-License-Identifier: Apache-2.0 */
/* types.c — the element-type rules every operator states by version, and the one message an
 * input of the wrong type gets, so that operators say only which types they take. */
#include "ops/types.h"

#include <stdio.h>

const onnxbn_type_rule onnxbn_types_float[] = {{1, ONNXBN_TM_FLT}, {0, 0}};
const onnxbn_type_rule onnxbn_types_float_bf13[] = {
    {1, ONNXBN_TM_FLT}, {13, ONNXBN_TM_FLT | ONNXBN_TM_BF}, {0, 0}};
const onnxbn_type_rule onnxbn_matmul_types[] = {
    {1, ONNXBN_TM_FLT},
    {9, ONNXBN_TM_FLT | ONNXBN_TM_I32_64 | ONNXBN_TM_U32_64},
    {13, ONNXBN_TM_FLT | ONNXBN_TM_BF | ONNXBN_TM_I32_64 | ONNXBN_TM_U32_64},
    {0, 0},
};

uint32_t onnxbn_type_mask_at(const onnxbn_type_rule *r, int version)
{
    uint32_t m = 0;
    for (; r->since; r++)
        if (r->since <= version)
            m = r->mask;
    return m;
}

const char *onnxbn_type_list(uint32_t mask, char *buf, size_t cap)
{
    static const onnxbn_dtype order[] = {
        ONNXBN_BOOL, ONNXBN_FLOAT16, ONNXBN_FLOAT, ONNXBN_DOUBLE, ONNXBN_BFLOAT16, ONNXBN_INT8,
        ONNXBN_INT16, ONNXBN_INT32, ONNXBN_INT64, ONNXBN_UINT8, ONNXBN_UINT16, ONNXBN_UINT32,
        ONNXBN_UINT64, ONNXBN_STRING, ONNXBN_COMPLEX64, ONNXBN_COMPLEX128};
    const size_t count = sizeof order / sizeof order[0];
    int total = 0, k = 0;
    for (size_t i = 0; i < count; i++)
        total += (mask & ONNXBN_TM(order[i])) != 0;
    size_t len = 0;
    if (cap == 0)
        return buf;
    buf[0] = 0;
    for (size_t i = 0; i < count && len < cap; i++) {
        if (!(mask & ONNXBN_TM(order[i])))
            continue;
        k++;
        const char *sep = k == 1 ? "" : k == total ? " or " : ", ";
        int w = snprintf(buf + len, cap - len, "%s%s", sep, onnxbn_dtype_name(order[i]));
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

onnxbn_status onnxbn_check_input_type(const onnxbn_kctx *c, int i, const char *formal, uint32_t mask)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    if (!t)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input '%s' is missing", formal);
    if ((unsigned)t->dtype < 32 && (mask & ONNXBN_TM(t->dtype)))
        return ONNXBN_OK;
    char buf[200];
    return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, %s-%d takes %s", formal,
                            onnxbn_node_input_name(c->node, i), onnxbn_dtype_name(t->dtype),
                            onnxbn_node_op_type(c->node), c->version,
                            onnxbn_type_list(mask, buf, sizeof buf));
}
