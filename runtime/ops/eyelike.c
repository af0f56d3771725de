/* SPDX-License-Identifier: Apache-2.0 */
/* eyelike.c — EyeLike 9: a matrix of its input's shape with ones on diagonal k (row i, column
 * i + k) and zeros elsewhere, in attribute dtype's type or else the input's. */
#include <string.h>

#include "kernels/cast.h"
#include "shapeops.h"

static const onnxbn_attr_spec eyelike_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"k", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

#define EYE_TYPES (MV_NUMERIC | MV_T(ONNXBN_BOOL))

static onnxbn_status eyelike_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t dt, k;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", EYE_TYPES)) ||
        (st = onnxbn_attr_int(c, "dtype", x->dtype, &dt)) || (st = onnxbn_attr_int(c, "k", 0, &k)))
        return st;
    if (dt <= 0 || dt > 31)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'dtype' is %lld, not a data type", (long long)dt);
    if ((st = onnxbn_mv_check_dtype(c, (onnxbn_dtype)dt, "attribute 'dtype'", EYE_TYPES)))
        return st;
    if (x->rank != 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has rank %d; EyeLike "
                                "takes a matrix", mv_in_name(c, 0), x->rank);
    return onnxbn_mv_set_out(c, 0, (onnxbn_dtype)dt, 2, x->dims);
}

static onnxbn_status eyelike_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t k;
    onnxbn_status st = onnxbn_attr_int(c, "k", 0, &k);
    if (st)
        return st;
    ONNXBN_CHECK(onnxbn_cast_supported(y->dtype), c->err);
    const size_t es = onnxbn_dtype_size(y->dtype);
    const int64_t n = y->dims[0], m = y->dims[1];
    const double one_d = 1.0;
    uint8_t one[16];
    onnxbn_cast(&one_d, ONNXBN_DOUBLE, one, y->dtype, 1);
    memset(y->data, 0, y->nbytes);
    /* rows i with 0 <= i + k < m; k outside (-n, m) leaves no diagonal (and no overflow) */
    if (k <= -n || k >= m)
        return ONNXBN_OK;
    for (int64_t i = k < 0 ? -k : 0; i < n && i + k < m; i++)
        memcpy((uint8_t *)y->data + (size_t)(i * m + i + k) * es, one, es);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_eyelike = {
    .attrs = eyelike_attrs,
    .infer = eyelike_infer,
    .run = eyelike_run,
};
