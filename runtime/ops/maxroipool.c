/* SPDX-License-Identifier: Apache-2.0 */
/* maxroipool.c — MaxRoiPool 1: the largest value of each bin of each region of interest, regions
 * given as [batch, x1, y1, x2, y2] and rounded to pixels as Caffe's (and onnxruntime's) RoIPool. */
#include <math.h>
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec maxroipool_attrs[] = {
    {"pooled_shape", ONNXBN_ATTR_INTS, true, 1, 0},
    {"spatial_scale", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct mrp_cfg {
    int64_t n, ch, h, w, rois, ph, pw;
    float scale;
} mrp_cfg;

static onnxbn_status mrp_cfg_get(const onnxbn_kctx *c, mrp_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *r = onnxbn_in(c, 1);
    const int64_t *ps;
    size_t nps;
    char s0[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    if ((st = onnxbn_attr_ints(c, "pooled_shape", &ps, &nps)) ||
        (st = onnxbn_attr_float(c, "spatial_scale", 1.0f, &g->scale)))
        return st;
    if (nps != 2 || ps[0] < 1 || ps[1] < 1 || ps[0] > INT32_MAX || ps[1] > INT32_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "pooled_shape must be two positive sizes");
    g->ph = ps[0], g->pw = ps[1];
    if (!isfinite(g->scale))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "spatial_scale is not finite");
    if ((st = onnxbn_mv_check_type(c, 0, "X", MV_FLOATS)))
        return st;
    if (r->dtype != x->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'rois' is %s, input 'X' %s",
                                onnxbn_dtype_name(r->dtype), onnxbn_dtype_name(x->dtype));
    if (x->rank != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' has shape %s, expected [N, C, H, W]",
                                onnxbn_shape_str(x, s0, sizeof s0));
    if (r->rank != 2 || r->dims[1] != 5)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'rois' has shape %s, expected [num_rois, 5] (batch, x1, y1, x2, y2)",
                                onnxbn_shape_str(r, s0, sizeof s0));
    g->n = x->dims[0], g->ch = x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
    g->rois = r->dims[0];
    return ONNXBN_OK;
}

static onnxbn_status maxroipool_infer(onnxbn_kctx *c)
{
    mrp_cfg g;
    onnxbn_status st = mrp_cfg_get(c, &g);
    if (st)
        return st;
    const int64_t dims[4] = {g.rois, g.ch, g.ph, g.pw};
    return onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, 4, dims);
}

/* v clamped to [0, hi]. */
static int64_t clamp(double v, int64_t hi)
{
    return v <= 0 ? 0 : v >= (double)hi ? hi : (int64_t)v;
}

static onnxbn_status maxroipool_run(onnxbn_kctx *c)
{
    mrp_cfg g;
    onnxbn_status st = mrp_cfg_get(c, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0), *r = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    for (int64_t ri = 0; ri < g.rois; ri++) {
        const double bd = onnxbn_get_f64(r, ri * 5);
        if (!(bd >= 0 && bd < (double)g.n)) /* truncated, as onnxruntime's int cast */
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "rois[%lld] has batch index %g, outside [0, %lld)",
                                    (long long)ri, bd, (long long)g.n);
        const int64_t b = (int64_t)bd;
        /* Corners rounded to pixels (half away from zero, as std::round); a roi is at least one
         * pixel. Values far outside the map are clamped before they reach an integer. */
        double q[4];
        for (int k = 0; k < 4; k++) {
            q[k] = round(onnxbn_get_f64(r, ri * 5 + 1 + k) * g.scale);
            q[k] = q[k] != q[k] ? 0 : fmax(fmin(q[k], 4e15), -4e15);
        }
        const double rw = fmax(q[2] - q[0] + 1, 1), rh = fmax(q[3] - q[1] + 1, 1);
        const double bw = rw / (double)g.pw, bh = rh / (double)g.ph;
        for (int64_t ph = 0; ph < g.ph; ph++) {
            const int64_t hs = clamp(floor((double)ph * bh) + q[1], g.h);
            const int64_t he = clamp(ceil((double)(ph + 1) * bh) + q[1], g.h);
            for (int64_t pw = 0; pw < g.pw; pw++) {
                const int64_t ws = clamp(floor((double)pw * bw) + q[0], g.w);
                const int64_t we = clamp(ceil((double)(pw + 1) * bw) + q[0], g.w);
                for (int64_t ch = 0; ch < g.ch; ch++) {
                    const int64_t base = (b * g.ch + ch) * g.h * g.w;
                    double m = 0; /* an empty bin is 0 */
                    bool first = true;
                    for (int64_t hh = hs; hh < he; hh++)
                        for (int64_t ww = ws; ww < we; ww++) {
                            const double v = onnxbn_get_f64(x, base + hh * g.w + ww);
                            if (first || v > m)
                                m = v;
                            first = false;
                        }
                    onnxbn_set_f64(y, ((ri * g.ch + ch) * g.ph + ph) * g.pw + pw, m);
                }
            }
        }
        if (onnxbn_stopped(c->stop))
            return ONNXBN_OK; /* the run checks the stop after the node and fails it */
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_maxroipool = {
    .attrs = maxroipool_attrs,
    .infer = maxroipool_infer,
    .run = maxroipool_run,
};
