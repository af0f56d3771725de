/* SPDX-License-Identifier: Apache-2.0 */
/* opschema.c — the operator facts of schema/ops.def as a const table indexed by op id, and the
 * lookup by (domain, op_type): a binary search, since the lines are sorted and nothing is built. */
#include "opschema.h"

#include <limits.h>
#include <string.h>

/* Flag names as ops.def spells them. */
#define NO_CONST_FOLD ONNXBN_OP_NO_CONST_FOLD
#define SHAPE_ONLY ONNXBN_OP_SHAPE_ONLY
#define ALIAS_INPUT0 ONNXBN_OP_ALIAS_INPUT0
#define INPLACE ONNXBN_OP_INPLACE
#define FUSE_ACT ONNXBN_OP_FUSE_ACT
#define FUSE_ADD ONNXBN_OP_FUSE_ADD
#define SAME_RANK ONNXBN_OP_SAME_RANK
#define BROADCAST ONNXBN_OP_BROADCAST
#define ACTIVATION ONNXBN_OP_ACTIVATION
#define DYNAMIC ONNXBN_OP_DYNAMIC
#define RANDOM ONNXBN_OP_RANDOM
#define VALUES ONNXBN_OP_VALUES
#define SEQ_OUT ONNXBN_OP_SEQ_OUT

#define V(...) .versions = {__VA_ARGS__}
#define IN(lo, hi) .min_inputs = (lo), .max_inputs = (hi)
#define OUT(lo, hi) .min_outputs = (lo), .max_outputs = (hi)
#define VALUE_IN(mask) .value_inputs = (mask)

static const onnxbn_op_schema schemas[ONNXBN_OP_COUNT] = {
#define OP(op, dom, impl, vers, in, out, vin, fl)                                                 \
    [ONNXBN_OP_##op] = {.name = #op, .domain = dom, vers, in, out, vin, .flags = (fl)},
#define OPX(op, dom, in, out, vin, fl)                                                            \
    [ONNXBN_OP_##op] = {.name = #op, .domain = dom, in, out, vin, .flags = (fl)},
#include "ops.def"
};

static const char *canon_domain(const char *d)
{
    return !d || !strcmp(d, "ai.onnx") ? "" : d;
}

onnxbn_op_id onnxbn_op_lookup(const char *domain, const char *op_type)
{
    if (!op_type)
        return ONNXBN_OP_UNKNOWN;
    domain = canon_domain(domain);
    int lo = 0, hi = ONNXBN_OP_COUNT - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(domain, schemas[mid].domain);
        if (!c)
            c = strcmp(op_type, schemas[mid].name);
        if (!c)
            return (onnxbn_op_id)mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return ONNXBN_OP_UNKNOWN;
}

const onnxbn_op_schema *onnxbn_op_schema_of(onnxbn_op_id id)
{
    return (int)id >= 0 && id < ONNXBN_OP_COUNT ? &schemas[id] : NULL;
}

int onnxbn_op_version_at(onnxbn_op_id id, int64_t opset)
{
    const onnxbn_op_schema *s = onnxbn_op_schema_of(id);
    int v = 0;
    for (int i = 0; s && i < ONNXBN_OP_MAX_VERSIONS && s->versions[i]; i++)
        if (s->versions[i] <= opset)
            v = s->versions[i];
    return v;
}
