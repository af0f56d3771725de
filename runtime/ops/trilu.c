/* SPDX-License-Identifier: Apache-2.0 */
/* trilu.c — Trilu 14: the upper (j - i >= k) or lower (j - i <= k) triangle of each matrix of the
 * last two axes kept, the rest zero. k is read at each run, so it may be computed by the graph. */
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec trilu_attrs[] = {
    {"upper", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

#define TRILU_TYPES (MV_ALL & ~MV_T(ONNXBN_STRING))

/* k: absent is 0; else a scalar or one-element int64. */
static onnxbn_status trilu_k(const onnxbn_kctx *c, int64_t *k)
{
    const onnxbn_tensor *t = onnxbn_in(c, 1);
    *k = 0;
    if (!t)
        return ONNXBN_OK;
    onnxbn_status st = onnxbn_mv_check_type(c, 1, "k", MV_T(ONNXBN_INT64));
    if (st)
        return st;
    if (t->numel != 1 || t->rank > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'k' ('%.100s') must be a scalar or one "
                                "element, has %lld in rank %d", mv_in_name(c, 1),
                                (long long)t->numel, t->rank);
    if (t->data)
        *k = ((const int64_t *)t->data)[0];
    return ONNXBN_OK;
}

static onnxbn_status trilu_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t k, upper;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", TRILU_TYPES)) || (st = trilu_k(c, &k)) ||
        (st = onnxbn_attr_int(c, "upper", 1, &upper)))
        return st;
    if (x->rank < 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has rank %d; Trilu "
                                "takes matrices, rank 2 or more", mv_in_name(c, 0), x->rank);
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

/* Row i keeps columns [lo, hi): lower keeps [0, i+k+1), upper keeps [i+k, m), clamped. */
static onnxbn_status trilu_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t k, upper;
    onnxbn_status st;
    if ((st = trilu_k(c, &k)) || (st = onnxbn_attr_int(c, "upper", 1, &upper)))
        return st;
    const int64_t n = x->dims[x->rank - 2], m = x->dims[x->rank - 1];
    const size_t es = onnxbn_dtype_size(x->dtype);
    if (y->numel == 0)
        return ONNXBN_OK;
    const int64_t mats = y->numel / (n * m);
    /* clamp k into [-n, m] so that i + k cannot overflow and the bounds stay the same */
    if (k < -n)
        k = -n;
    if (k > m)
        k = m;
    for (int64_t b = 0; b < mats; b++)
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *src = (const uint8_t *)x->data + (size_t)((b * n + i) * m) * es;
            uint8_t *dst = (uint8_t *)y->data + (size_t)((b * n + i) * m) * es;
            int64_t lo = upper ? i + k : 0, hi = upper ? m : i + k + 1;
            lo = lo < 0 ? 0 : lo > m ? m : lo;
            hi = hi < lo ? lo : hi > m ? m : hi;
            memset(dst, 0, (size_t)lo * es);
            if (src != dst)
                memcpy(dst + (size_t)lo * es, src + (size_t)lo * es, (size_t)(hi - lo) * es);
            memset(dst + (size_t)hi * es, 0, (size_t)(m - hi) * es);
        }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_trilu = {
    .attrs = trilu_attrs,
    .infer = trilu_infer,
    .run = trilu_run,
};
