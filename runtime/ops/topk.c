/* SPDX-License-Identifier: Apache-2.0 */
/* topk.c — TopK 1 (k an attribute), 10 (k an input) and 11 (largest, sorted, integer types): the
 * k best along one axis, best first, ties to the lower index, by kernels/sort.c's selection. */
#include <string.h>

#include "kernels/sort.h"
#include "shapeops.h"

static const onnxbn_attr_spec topk_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 0},
    {"k", ONNXBN_ATTR_INT, true, 1, 9},
    {"largest", ONNXBN_ATTR_INT, false, 11, 0},
    {"sorted", ONNXBN_ATTR_INT, false, 11, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_type_rule topk_types[] = {
    {1, ONNXBN_TM_FLT},
    {11, ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT},
    {0, 0},
};

typedef struct topk_cfg {
    int axis;
    int64_t k, outer, n, inner;
    bool largest;
} topk_cfg;

static onnxbn_status topk_cfg_get(const onnxbn_kctx *c, topk_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axis, largest = 1, sorted = 1;
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, "X", onnxbn_type_mask_at(topk_types, c->version))) ||
        (st = onnxbn_attr_int(c, "axis", -1, &axis)) ||
        (st = onnxbn_attr_int(c, "largest", 1, &largest)) ||
        (st = onnxbn_attr_int(c, "sorted", 1, &sorted)))
        return st;
    /* sorted = 0 leaves the order to the implementation; the sorted order is one such order. */
    (void)sorted;
    if (x->rank == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' is a scalar; TopK needs an axis");
    if ((st = onnxbn_mv_axis(c, axis, x->rank, "axis", &g->axis)))
        return st;
    if (c->version < 10) {
        if ((st = onnxbn_attr_int(c, "k", 0, &g->k)))
            return st;
    } else {
        const onnxbn_tensor *kt = onnxbn_in(c, 1);
        size_t nk = 0;
        if (!kt)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input 'K' is required from TopK-10");
        if (kt->numel != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'K' ('%.100s') has %lld values, expected 1",
                                    mv_in_name(c, 1), (long long)kt->numel);
        if ((st = onnxbn_mv_const_ints(c, 1, "K", MV_T(ONNXBN_INT64), true, &g->k, 1, &nk)))
            return st;
    }
    g->n = x->dims[g->axis];
    if (g->k < 0 || g->k > g->n)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "k = %lld is outside [0, %lld], the size of axis %d of input 'X'",
                                (long long)g->k, (long long)g->n, g->axis);
    g->outer = g->inner = 1;
    for (int d = 0; d < g->axis; d++)
        g->outer *= x->dims[d];
    for (int d = g->axis + 1; d < x->rank; d++)
        g->inner *= x->dims[d];
    g->largest = largest != 0;
    return ONNXBN_OK;
}

static onnxbn_status topk_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    topk_cfg g;
    onnxbn_status st = topk_cfg_get(c, &g);
    if (st)
        return st;
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[g.axis] = g.k;
    if ((st = onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims)) ||
        (st = onnxbn_mv_set_out(c, 1, ONNXBN_INT64, x->rank, dims)))
        return st;
    /* Scratch: the kernel's candidate buffer, and a row widened to float for the 16-bit floats. */
    size_t buf, row = 0;
    if (x->dtype == ONNXBN_FLOAT16 || x->dtype == ONNXBN_BFLOAT16)
        row = (size_t)g.n * sizeof(float); /* n floats: below X's bytes times two */
    if (!onnxbn_mul_size((size_t)onnxbn_topk_buf(g.k), sizeof(int64_t), &buf) ||
        !onnxbn_add_size(buf, row + 64, &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "k = %lld overflows the scratch size", (long long)g.k);
    return ONNXBN_OK;
}

/* dst[j * inner] = src[idx[j] * inner] for j < k, elements of es bytes. */
static void gather(size_t es, void *dst, const void *src, const int64_t *idx, int64_t k,
                   int64_t inner)
{
    switch (es) {
#define CASE(N, T)                                                                                 \
    case N:                                                                                        \
        for (int64_t j = 0; j < k; j++)                                                            \
            ((T *)dst)[j * inner] = ((const T *)src)[idx[j] * inner];                              \
        break;
        CASE(1, uint8_t)
        CASE(2, uint16_t)
        CASE(4, uint32_t)
        CASE(8, uint64_t)
#undef CASE
    default:
        for (int64_t j = 0; j < k; j++)
            memcpy((uint8_t *)dst + (size_t)(j * inner) * es,
                   (const uint8_t *)src + (size_t)(idx[j] * inner) * es, es);
    }
}

static onnxbn_status topk_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *vals = onnxbn_out(c, 0), *inds = onnxbn_out(c, 1);
    topk_cfg g;
    onnxbn_status st = topk_cfg_get(c, &g);
    if (st)
        return st;
    ONNXBN_CHECK(onnxbn_topk_supported(x->dtype), c->err);
    ONNXBN_CHECK(c->scratch && c->workspace >= (size_t)onnxbn_topk_buf(g.k) * sizeof(int64_t), c->err);
    if (g.k == 0)
        return ONNXBN_OK;
    int64_t *buf = c->scratch;
    float *row = (float *)(void *)((uint8_t *)c->scratch +
                                   (((size_t)onnxbn_topk_buf(g.k) * sizeof(int64_t) + 63) & ~(size_t)63));
    const size_t es = onnxbn_dtype_size(x->dtype);
    for (int64_t o = 0; o < g.outer; o++) {
        for (int64_t i = 0; i < g.inner; i++) {
            const uint8_t *src = (const uint8_t *)x->data + (size_t)(o * g.n * g.inner + i) * es;
            const int64_t at = o * g.k * g.inner + i;
            onnxbn_topk_idx(x->dtype, src, g.n, g.inner, g.k, g.largest, buf, row);
            if (vals)
                gather(es, (uint8_t *)vals->data + (size_t)at * es, src, buf, g.k, g.inner);
            if (inds) {
                int64_t *dst = (int64_t *)inds->data + at;
                for (int64_t j = 0; j < g.k; j++)
                    dst[j * g.inner] = buf[j];
            }
        }
        if (onnxbn_stopped(c->stop))
            return ONNXBN_OK; /* the run checks the stop after the node and fails it */
    }
    return ONNXBN_OK;
}

/* TopK-1 has k as an attribute, so no input 'K'. */
static int topk_max_inputs(int version)
{
    return version < 10 ? 1 : 2;
}

const onnxbn_op_def onnxbn_op_topk = {
    .attrs = topk_attrs,
    .max_inputs_at = topk_max_inputs,
    .infer = topk_infer,
    .run = topk_run,
};
