/* SPDX-License-Identifier: Apache-2.0 */
/* det.c — Det 11: the determinant of each square matrix of the last two axes, output shape the
 * batch axes. LU with partial pivoting in double (kernels/det.c), rounded once to the type. */
#include "kernels/det.h"
#include "shapeops.h"

static onnxbn_status det_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "X", MV_FLOATS);
    if (st)
        return st;
    if (x->rank < 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' ('%.100s') has rank %d; Det takes "
                                "square matrices, rank 2 or more", mv_in_name(c, 0), x->rank);
    const int64_t m = x->dims[x->rank - 1];
    if (x->dims[x->rank - 2] != m) {
        char s[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' ('%.100s') has shape %s; its last "
                                "two axes must be equal (square matrices)", mv_in_name(c, 0),
                                onnxbn_shape_str(x, s, sizeof s));
    }
    /* one matrix in double: x holds m*m elements unless it is empty, and then nothing is read */
    c->workspace = x->numel ? (size_t)(m * m) * sizeof(double) : 0;
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank - 2, x->dims);
}

static onnxbn_status det_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(onnxbn_det_supported(x->dtype) && y->dtype == x->dtype, c->err);
    const int64_t m = x->dims[x->rank - 1];
    onnxbn_det(x->dtype, x->data, y->data, y->numel, m, c->scratch);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_det = {
    .infer = det_infer,
    .run = det_run,
};
