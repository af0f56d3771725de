/* SPDX-License-Identifier: Apache-2.0 */
/* maxunpool.c — MaxUnpool 9 and 11: X's values scattered into a zero tensor at MaxPool's flat
 * indices I into the shape kernel_shape/strides/pads give, zero-padded at the end of each dim up to
 * the output_shape input when there is one (the ONNX test data's and onnxruntime's reading). */
#include <string.h>

#include "op.h"
#include "ops/shapeops.h"
#include "ops/types.h"

/* Attribute values below 2^31, so the output dims ((in - 1)·stride + kernel) fit int64. */
#define BIG INT64_C(0x7fffffff)

static const onnxbn_attr_spec unpool_attrs[] = {
    {"kernel_shape", ONNXBN_ATTR_INTS, true, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_type_rule unpool_types[] = {{1, ONNXBN_TM_FLT}, {0, 0}};

/* The checks, and the shape the indices address (MaxPool's input shape) into dims. */
static onnxbn_status unpool_shape(const onnxbn_kctx *c, int64_t *dims)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *ind = onnxbn_in(c, 1);
    char sx[ONNXBN_SHAPE_STR_MAX], si[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, 0, "X", onnxbn_type_mask_at(unpool_types, c->version))) ||
        (st = onnxbn_check_input_type(c, 1, "I", ONNXBN_TM(ONNXBN_INT64))))
        return st;
    if (x->rank < 3)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'X' ('%s') is %s; MaxUnpool needs (N, C, D1, ...)",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(x, sx, sizeof sx));
    if (!onnxbn_same_shape(x, ind))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'I' ('%s') is %s, expected X's shape %s",
                                onnxbn_node_input_name(c->node, 1), onnxbn_shape_str(ind, si, sizeof si),
                                onnxbn_shape_str(x, sx, sizeof sx));
    const int sp = x->rank - 2;
    const int64_t *k, *p, *s;
    size_t nk, np, ns;
    if ((st = onnxbn_attr_ints(c, "kernel_shape", &k, &nk)) ||
        (st = onnxbn_attr_ints(c, "pads", &p, &np)) || (st = onnxbn_attr_ints(c, "strides", &s, &ns)))
        return st;
    if (nk != (size_t)sp || (np && np != 2 * (size_t)sp) || (ns && ns != (size_t)sp))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "kernel_shape has %zu values, pads %zu, strides %zu; X %s has %d spatial dims",
                                nk, np, ns, onnxbn_shape_str(x, sx, sizeof sx), sp);
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < sp; i++) {
        const int64_t kk = k[i], ss = ns ? s[i] : 1, pb = np ? p[i] : 0, pe = np ? p[sp + i] : 0;
        if (kk < 1 || kk > BIG || ss < 1 || ss > BIG || pb < 0 || pb > BIG || pe < 0 || pe > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "spatial dim %d: kernel %lld, stride %lld, pads %lld/%lld (kernel and stride from 1, pads from 0, all below 2^31)",
                                    i, (long long)kk, (long long)ss, (long long)pb, (long long)pe);
        if (x->dims[2 + i] > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "input dim %lld is above 2^31",
                                    (long long)x->dims[2 + i]);
        dims[2 + i] = x->dims[2 + i] ? (x->dims[2 + i] - 1) * ss + kk - pb - pe : 0;
        if (dims[2 + i] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "spatial dim %d: pads %lld + %lld leave a negative output", i,
                                    (long long)pb, (long long)pe);
    }
    return ONNXBN_OK;
}

static onnxbn_status unpool_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    char sx[ONNXBN_SHAPE_STR_MAX];
    int64_t dims[ONNXBN_MAX_RANK];
    onnxbn_status st = unpool_shape(c, dims);
    if (st)
        return st;
    if (onnxbn_in(c, 2)) {
        /* output_shape: the whole output shape, N and C as X's */
        int64_t os[ONNXBN_MAX_RANK];
        size_t n;
        if ((st = onnxbn_mv_const_ints(c, 2, "output_shape", ONNXBN_TM(ONNXBN_INT64), false, os,
                                       ONNXBN_MAX_RANK, &n)))
            return st;
        bool ok = n == (size_t)x->rank && os[0] == x->dims[0] && os[1] == x->dims[1];
        for (size_t i = 2; ok && i < n; i++)
            ok = os[i] >= dims[i];
        if (!ok)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "output_shape ('%s') has %zu values; expected %d, X's N and C (%s) and then spatial dims at least the unpooled ones",
                                    onnxbn_node_input_name(c->node, 2), n, x->rank,
                                    onnxbn_shape_str(x, sx, sizeof sx));
        memcpy(dims, os, n * sizeof *os);
    }
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
}

static onnxbn_status unpool_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *ind = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const size_t es = onnxbn_dtype_size(x->dtype);
    const int64_t *I = ind->data;
    int64_t dims[ONNXBN_MAX_RANK];
    onnxbn_status st = unpool_shape(c, dims);
    if (st)
        return st;
    int64_t n = 1;
    bool same = true;
    for (int i = 0; i < y->rank; i++) {
        n *= dims[i]; /* ≤ y->numel (output_shape is at least dims) */
        same = same && dims[i] == y->dims[i];
    }
    memset(y->data, 0, y->nbytes);
    for (int64_t j = 0; j < x->numel; j++) {
        if (I[j] < 0 || I[j] >= n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "index %lld at position %lld of 'I' ('%s') is outside the %lld elements of the unpooled shape",
                                    (long long)I[j], (long long)j, onnxbn_node_input_name(c->node, 1),
                                    (long long)n);
        int64_t o = I[j];
        if (!same) { /* the same coordinates in the larger output */
            int64_t r = I[j], stride = 1;
            o = 0;
            for (int i = y->rank - 1; i >= 0; i--) {
                o += r % dims[i] * stride;
                r /= dims[i];
                stride *= y->dims[i];
            }
        }
        memcpy((char *)y->data + (size_t)o * es, (const char *)x->data + (size_t)j * es, es);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_maxunpool = {
    .attrs = unpool_attrs,
    .infer = unpool_infer,
    .run = unpool_run,
};
