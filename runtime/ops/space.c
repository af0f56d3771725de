/* SPDX-License-Identifier: Apache-2.0 */
/* space.c — DepthToSpace (1, 11 with DCR/CRD modes, 13) and SpaceToDepth (1, 13): NCHW blocks
 * moved between channels and space, each a 6-D transpose read through one strided copy plan. */
#include <stdlib.h>
#include <string.h>

#include "kernels/movement.h"
#include "shapeops.h"

static const onnxbn_attr_spec d2s_attrs[] = {
    {"blocksize", ONNXBN_ATTR_INT, true, 0, 0},
    {"mode", ONNXBN_ATTR_STRING, false, 11, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec s2d_attrs[] = {
    {"blocksize", ONNXBN_ATTR_INT, true, 0, 0},
    {NULL, 0, false, 0, 0},
};

static uint32_t space_types(int version)
{
    const uint32_t t = MV_ALL12 & ~MV_T(ONNXBN_STRING);
    return version >= 13 ? t | MV_T(ONNXBN_BFLOAT16) : t;
}

/* Checks the type and rank, and reads the block size and (DepthToSpace) the mode. */
static onnxbn_status space_common(const onnxbn_kctx *c, int64_t *bs, bool *crd)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", space_types(c->version))) ||
        (st = onnxbn_attr_int(c, "blocksize", 0, bs)))
        return st;
    *crd = false;
    if (c->op == ONNXBN_OP_DepthToSpace && c->version >= 11) {
        char mode[8];
        if ((st = onnxbn_attr_string(c, "mode", "DCR", mode, sizeof mode)) != ONNXBN_OK)
            return st;
        if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'mode' is '%s', not DCR or CRD", mode);
        *crd = !strcmp(mode, "CRD");
    }
    if (*bs <= 0 || *bs > (int64_t)1 << 20)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'blocksize' is %lld, not in [1, 2^20]",
                                (long long)*bs);
    if (x->rank != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has rank %d, "
                                "expected 4 (N, C, H, W)", mv_in_name(c, 0), x->rank);
    return ONNXBN_OK;
}

/* The output view's 6 dims and the input strides that read it: DepthToSpace's output is seen as
 * (N, C', H, b, W, b), SpaceToDepth's as (N, b, b, C, H', W'). */
static onnxbn_status space_plan(const onnxbn_kctx *c, int64_t *ydims, int64_t *view, int64_t *strides)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t b;
    bool crd;
    onnxbn_status st = space_common(c, &b, &crd);
    if (st)
        return st;
    const int64_t n = x->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
    const int64_t hw = h * w;
    if (c->op == ONNXBN_OP_DepthToSpace) {
        if (ch % (b * b))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has %lld channels, "
                                    "not a multiple of blocksize² = %lld", mv_in_name(c, 0),
                                    (long long)ch, (long long)(b * b));
        const int64_t co = ch / (b * b);
        const int64_t v[6] = {n, co, h, b, w, b};
        const int64_t s_dcr[6] = {ch * hw, hw, w, b * co * hw, 1, co * hw};
        const int64_t s_crd[6] = {ch * hw, b * b * hw, w, b * hw, 1, hw};
        memcpy(view, v, sizeof v);
        memcpy(strides, crd ? s_crd : s_dcr, sizeof s_dcr);
        ydims[0] = n, ydims[1] = co, ydims[2] = h * b, ydims[3] = w * b;
    } else {
        if (h % b || w % b)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has height %lld "
                                    "and width %lld, not both multiples of blocksize %lld",
                                    mv_in_name(c, 0), (long long)h, (long long)w, (long long)b);
        const int64_t v[6] = {n, b, b, ch, h / b, w / b};
        const int64_t s[6] = {ch * hw, w, 1, hw, b * w, b};
        memcpy(view, v, sizeof v);
        memcpy(strides, s, sizeof s);
        ydims[0] = n, ydims[1] = ch * b * b, ydims[2] = h / b, ydims[3] = w / b;
    }
    return ONNXBN_OK;
}

static onnxbn_status space_infer(onnxbn_kctx *c)
{
    int64_t ydims[4], view[6], strides[6];
    onnxbn_status st = space_plan(c, ydims, view, strides);
    return st ? st : onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, 4, ydims);
}

static onnxbn_status space_prepare(onnxbn_kctx *c)
{
    int64_t ydims[4], view[6], strides[6];
    onnxbn_status st = space_plan(c, ydims, view, strides);
    if (st)
        return st;
    onnxbn_copy_plan *p = malloc(sizeof *p);
    if (!p)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_copy_plan_init(p, onnxbn_dtype_size(onnxbn_in(c, 0)->dtype), 6, view, strides);
    c->state = p;
    return ONNXBN_OK;
}

static onnxbn_status space_run(onnxbn_kctx *c)
{
    ONNXBN_CHECK(c->state, c->err);
    if (onnxbn_out(c, 0)->numel)
        onnxbn_copy_plan_run(c->state, onnxbn_out(c, 0)->data, onnxbn_in(c, 0)->data);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_depthtospace = {
    .attrs = d2s_attrs,
    .infer = space_infer,
    .prepare = space_prepare,
    .run = space_run,
};

const onnxbn_op_def onnxbn_op_spacetodepth = {
    .attrs = s2d_attrs,
    .infer = space_infer,
    .prepare = space_prepare,
    .run = space_run,
};
