/* SPDX-License-Identifier: Apache-2.0 */
/* lpnorm.c — LpNormalization 1: x divided by its L1 (p = 1) or L2 (p = 2) norm along one axis,
 * summed in double. A zero line divides 0 by 0 and gives NaN, as numpy's x / norm does. */
#include <math.h>

#include "shapeops.h"

static const onnxbn_attr_spec lpnorm_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {"p", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status lpnorm_params(const onnxbn_kctx *c, int *axis, int64_t *p)
{
    int64_t a;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", MV_FLOATS)) ||
        (st = onnxbn_attr_int(c, "axis", -1, &a)) || (st = onnxbn_attr_int(c, "p", 2, p)) ||
        (st = onnxbn_mv_axis(c, a, onnxbn_in(c, 0)->rank, "attribute 'axis'", axis)))
        return st;
    if (*p != 1 && *p != 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'p' is %lld; LpNormalization takes "
                                "1 or 2", (long long)*p);
    return ONNXBN_OK;
}

static onnxbn_status lpnorm_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int axis;
    int64_t p;
    onnxbn_status st = lpnorm_params(c, &axis, &p);
    return st ? st : onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

/* Lines of n elements `inner` apart; the inner index runs in the innermost loop so that the
 * reads are contiguous whatever the axis. */
static onnxbn_status lpnorm_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int axis;
    int64_t p;
    onnxbn_status st = lpnorm_params(c, &axis, &p);
    if (st)
        return st;
    ONNXBN_CHECK(y->dtype == x->dtype && y->numel == x->numel, c->err);
    int64_t outer = 1, inner = 1;
    const int64_t n = x->dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    if (x->dtype == ONNXBN_FLOAT) { /* the common case, without a type switch per element */
        const float *xs = x->data;
        float *ys = y->data;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                const float *xl = xs + o * n * inner + i;
                float *yl = ys + o * n * inner + i;
                double s = 0;
                for (int64_t k = 0; k < n; k++)
                    s += p == 1 ? fabs((double)xl[k * inner]) : (double)xl[k * inner] * xl[k * inner];
                const double norm = p == 1 ? s : sqrt(s);
                for (int64_t k = 0; k < n; k++)
                    yl[k * inner] = (float)(xl[k * inner] / norm);
            }
        return ONNXBN_OK;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const int64_t base = o * n * inner + i;
            double s = 0;
            for (int64_t k = 0; k < n; k++) {
                const double v = onnxbn_get_f64(x, base + k * inner);
                s += p == 1 ? fabs(v) : v * v;
            }
            const double norm = p == 1 ? s : sqrt(s);
            for (int64_t k = 0; k < n; k++)
                onnxbn_set_f64(y, base + k * inner, onnxbn_get_f64(x, base + k * inner) / norm);
        }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_lpnorm = {
    .attrs = lpnorm_attrs,
    .infer = lpnorm_infer,
    .run = lpnorm_run,
};
