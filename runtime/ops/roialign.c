/* SPDX-License-Identifier: Apache-2.0 */
/* roialign.c — RoiAlign 10 and 16: each region of interest pooled to a fixed grid by averaging (or
 * taking the largest of) bilinear samples, sampled as onnxruntime and torchvision do (float X in float). */
#include <math.h>
#include <string.h>

#include "shapeops.h"
#include "threadpool.h"

static const onnxbn_attr_spec roialign_attrs[] = {
    {"coordinate_transformation_mode", ONNXBN_ATTR_STRING, false, 16, 0},
    {"mode", ONNXBN_ATTR_STRING, false, 1, 0},
    {"output_height", ONNXBN_ATTR_INT, false, 1, 0},
    {"output_width", ONNXBN_ATTR_INT, false, 1, 0},
    {"sampling_ratio", ONNXBN_ATTR_INT, false, 1, 0},
    {"spatial_scale", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct roi_cfg {
    int64_t n, ch, h, w, rois, oh, ow, ratio;
    float scale;
    bool max, half_pixel;
} roi_cfg;

static onnxbn_status roi_cfg_get(const onnxbn_kctx *c, roi_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *r = onnxbn_in(c, 1), *bi = onnxbn_in(c, 2);
    char mode[16], ctm[32], s0[ONNXBN_SHAPE_STR_MAX], s1[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    /* RoiAlign-10 has no half-pixel offset; 16 names that behaviour output_half_pixel. */
    if ((st = onnxbn_attr_string(c, "mode", "avg", mode, sizeof mode)) ||
        (st = onnxbn_attr_string(c, "coordinate_transformation_mode",
                                 c->version >= 16 ? "half_pixel" : "output_half_pixel", ctm, sizeof ctm)) ||
        (st = onnxbn_attr_int(c, "output_height", 1, &g->oh)) ||
        (st = onnxbn_attr_int(c, "output_width", 1, &g->ow)) ||
        (st = onnxbn_attr_int(c, "sampling_ratio", 0, &g->ratio)) ||
        (st = onnxbn_attr_float(c, "spatial_scale", 1.0f, &g->scale)))
        return st;
    if (strcmp(mode, "avg") && strcmp(mode, "max"))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "mode is '%s', expected 'avg' or 'max'", mode);
    g->max = !strcmp(mode, "max");
    if (strcmp(ctm, "half_pixel") && strcmp(ctm, "output_half_pixel"))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "coordinate_transformation_mode is '%s', expected 'half_pixel' or 'output_half_pixel'",
                                ctm);
    g->half_pixel = !strcmp(ctm, "half_pixel");
    if (g->oh < 1 || g->ow < 1 || g->oh > INT32_MAX || g->ow > INT32_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "output_height %lld and output_width %lld must be positive",
                                (long long)g->oh, (long long)g->ow);
    if (g->ratio < 0 || g->ratio > 1 << 16)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "sampling_ratio is %lld, expected 0 (adaptive) to 65536",
                                (long long)g->ratio);
    if (!isfinite(g->scale))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "spatial_scale is not finite");
    if ((st = onnxbn_mv_check_type(c, 0, "X", MV_FLOATS)) ||
        (st = onnxbn_mv_check_type(c, 2, "batch_indices", MV_T(ONNXBN_INT64))))
        return st;
    if (r->dtype != x->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'rois' is %s, input 'X' %s",
                                onnxbn_dtype_name(r->dtype), onnxbn_dtype_name(x->dtype));
    if (x->rank != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' has shape %s, expected [N, C, H, W]",
                                onnxbn_shape_str(x, s0, sizeof s0));
    if (r->rank != 2 || r->dims[1] != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'rois' has shape %s, expected [num_rois, 4]",
                                onnxbn_shape_str(r, s0, sizeof s0));
    if (bi->rank != 1 || bi->dims[0] != r->dims[0])
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'batch_indices' has shape %s, expected [%lld] for rois %s",
                                onnxbn_shape_str(bi, s0, sizeof s0), (long long)r->dims[0],
                                onnxbn_shape_str(r, s1, sizeof s1));
    g->n = x->dims[0], g->ch = x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
    g->rois = r->dims[0];
    return ONNXBN_OK;
}

/* One bilinear sample: four pixel offsets in a channel plane and their weights (all 0 outside). */
typedef struct sample {
    int64_t p[4];
    double w[4];
    float wf[4]; /* the same weights for the float loop */
} sample;

static onnxbn_status roialign_infer(onnxbn_kctx *c)
{
    roi_cfg g;
    onnxbn_status st = roi_cfg_get(c, &g);
    if (st)
        return st;
    const int64_t dims[4] = {g.rois, g.ch, g.oh, g.ow};
    if ((st = onnxbn_mv_set_out(c, 0, onnxbn_in(c, 0)->dtype, 4, dims)))
        return st;
    /* Scratch for the samples of one roi a thread: 16 a bin covers sampling_ratio up to 4 and
     * adaptive grids of rois up to 4 bins a side. */
    if (!onnxbn_mul_size((size_t)g.oh * 16, (size_t)g.ow, &c->workspace) ||
        !onnxbn_mul_size(c->workspace, sizeof(sample), &c->workspace) ||
        !onnxbn_mul_size(c->workspace, (size_t)(c->threads > 1 ? c->threads : 1), &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "output_height %lld x output_width %lld overflow",
                                (long long)g.oh, (long long)g.ow);
    return ONNXBN_OK;
}


/* The sample at (y, x), as onnxruntime's and torchvision's pre-calculation: points more than a
 * pixel outside the map weigh nothing, points just outside clamp to the border. R is the type the
 * geometry is computed in (float for float X, as both references do; double for the others). */
#define SAMPLE_AT(NAME, R)                                                                         \
    static sample NAME(R y, R x, int64_t h, int64_t w)                                             \
    {                                                                                              \
        sample s;                                                                                  \
        memset(&s, 0, sizeof s);                                                                   \
        if (h <= 0 || w <= 0 || y < (R)-1 || y > (R)h || x < (R)-1 || x > (R)w)                    \
            return s;                                                                              \
        if (y <= 0)                                                                                \
            y = 0;                                                                                 \
        if (x <= 0)                                                                                \
            x = 0;                                                                                 \
        int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;                                          \
        if (y0 >= h - 1) {                                                                         \
            y1 = y0 = h - 1;                                                                       \
            y = (R)y0;                                                                             \
        } else {                                                                                   \
            y1 = y0 + 1;                                                                           \
        }                                                                                          \
        if (x0 >= w - 1) {                                                                         \
            x1 = x0 = w - 1;                                                                       \
            x = (R)x0;                                                                             \
        } else {                                                                                   \
            x1 = x0 + 1;                                                                           \
        }                                                                                          \
        const R ly = y - (R)y0, lx = x - (R)x0, hy = 1 - ly, hx = 1 - lx;                          \
        const R w4[4] = {hy * hx, hy * lx, ly * hx, ly * lx};                                      \
        s.p[0] = y0 * w + x0, s.p[1] = y0 * w + x1, s.p[2] = y1 * w + x0, s.p[3] = y1 * w + x1;    \
        for (int q = 0; q < 4; q++)                                                                \
            s.w[q] = (double)w4[q], s.wf[q] = (float)w4[q];                                        \
        return s;                                                                                  \
    }
SAMPLE_AT(sample_f32, float)
SAMPLE_AT(sample_f64, double)
#undef SAMPLE_AT

/* Element i of X: float read directly (the detection models' type), the others converted. */
static inline double ld(onnxbn_dtype t, const void *d, int64_t i)
{
    return t == ONNXBN_FLOAT ? (double)((const float *)d)[i] : onnxbn_load_f64(t, d, i);
}

/* One output bin of one channel from its samples; float in float, as onnxruntime, the others in
 * double. */
static double pool_bin(onnxbn_dtype t, const void *x, int64_t base, const sample *s, int64_t n,
                       bool max, double count)
{
    if (t == ONNXBN_FLOAT) {
        const float *xf = (const float *)x + base;
        float acc = 0;
        for (int64_t k = 0; k < n; k++) {
            const float v0 = s[k].wf[0] * xf[s[k].p[0]], v1 = s[k].wf[1] * xf[s[k].p[1]];
            const float v2 = s[k].wf[2] * xf[s[k].p[2]], v3 = s[k].wf[3] * xf[s[k].p[3]];
            if (!max) {
                acc += v0 + v1 + v2 + v3;
            } else {
                const float m = fmaxf(fmaxf(fmaxf(v0, v1), v2), v3);
                acc = k == 0 ? m : fmaxf(acc, m);
            }
        }
        return max ? (double)acc : (double)(acc / (float)count);
    }
    double acc = 0;
    for (int64_t k = 0; k < n; k++) {
        const double v0 = s[k].w[0] * ld(t, x, base + s[k].p[0]);
        const double v1 = s[k].w[1] * ld(t, x, base + s[k].p[1]);
        const double v2 = s[k].w[2] * ld(t, x, base + s[k].p[2]);
        const double v3 = s[k].w[3] * ld(t, x, base + s[k].p[3]);
        if (!max) {
            acc += v0 + v1 + v2 + v3;
        } else {
            /* The reference's max mode: the largest weighted corner of each sample. */
            const double m = fmax(fmax(fmax(v0, v1), v2), v3);
            acc = k == 0 ? m : fmax(acc, m);
        }
    }
    return max ? acc : acc / count;
}

/* Where one roi samples: its corner, bin size and sample grid; for float X all four are floats
 * (held exactly in the doubles) and every sample point is computed in float. */
typedef struct roi_geom {
    double x0, y0, bh, bw;
    int64_t ny, nx;
    bool f32;
} roi_geom;

/* false when the grid is too large to sample (a huge or non-finite roi with adaptive sampling).
 * Float rois are mapped in float, operation for operation as onnxruntime's and torchvision's
 * kernels do: a roi of the detection models is hundreds of pixels from the origin, where float
 * and double sample points differ by ~1e-5 px, enough to move a pooled value by 1e-3. */
static bool geom_of(const roi_cfg *g, onnxbn_dtype t, const void *rois, int64_t ri, roi_geom *o)
{
    double x0, y0, rw, rh;
    o->f32 = t == ONNXBN_FLOAT;
    if (o->f32) {
        const float *r = (const float *)rois + ri * 4, offset = g->half_pixel ? 0.5f : 0.0f;
        const float fx0 = r[0] * g->scale - offset, fy0 = r[1] * g->scale - offset;
        const float fx1 = r[2] * g->scale - offset, fy1 = r[3] * g->scale - offset;
        float fw = fx1 - fx0, fh = fy1 - fy0;
        if (!g->half_pixel) { /* the old behaviour: at least one pixel wide and high */
            fw = fmaxf(fw, 1.0f);
            fh = fmaxf(fh, 1.0f);
        }
        x0 = fx0, y0 = fy0, rw = fw, rh = fh;
        o->bh = (double)(fh / (float)g->oh), o->bw = (double)(fw / (float)g->ow);
    } else {
        const double offset = g->half_pixel ? 0.5 : 0.0;
        x0 = ld(t, rois, ri * 4) * g->scale - offset;
        y0 = ld(t, rois, ri * 4 + 1) * g->scale - offset;
        rw = ld(t, rois, ri * 4 + 2) * g->scale - offset - x0;
        rh = ld(t, rois, ri * 4 + 3) * g->scale - offset - y0;
        if (!g->half_pixel) {
            rw = fmax(rw, 1.0);
            rh = fmax(rh, 1.0);
        }
        o->bh = rh / (double)g->oh, o->bw = rw / (double)g->ow;
    }
    o->x0 = x0, o->y0 = y0;
    /* Adaptive: about one sample per input pixel of a bin. */
    const double gh = g->ratio > 0 ? (double)g->ratio : ceil(o->bh);
    const double gw = g->ratio > 0 ? (double)g->ratio : ceil(o->bw);
    o->ny = o->nx = 0; /* a roi of no (or NaN) extent has no samples: its bins are 0 */
    if (gh > 0 && gw > 0) {
        if (!(gh * gw <= 1e8))
            return false;
        o->ny = (int64_t)gh, o->nx = (int64_t)gw;
    }
    return true;
}

/* Sample (iy, ix) of bin (ph, pw): start + ph * bin + (iy + 0.5) * bin / grid, in the references'
 * order of operations. */
static sample sample_of(const roi_geom *q, int64_t ph, int64_t pw, int64_t iy, int64_t ix, int64_t h,
                        int64_t w)
{
    if (q->f32) {
        const float bh = (float)q->bh, bw = (float)q->bw;
        const float yy = (float)q->y0 + (float)ph * bh + ((float)iy + 0.5f) * bh / (float)q->ny;
        const float xx = (float)q->x0 + (float)pw * bw + ((float)ix + 0.5f) * bw / (float)q->nx;
        return sample_f32(yy, xx, h, w);
    }
    const double yy = q->y0 + (double)ph * q->bh + ((double)iy + 0.5) * q->bh / (double)q->ny;
    const double xx = q->x0 + (double)pw * q->bw + ((double)ix + 0.5) * q->bw / (double)q->nx;
    return sample_f64(yy, xx, h, w);
}

typedef struct roi_job {
    const roi_cfg *g;
    const onnxbn_tensor *x, *rois;
    const int64_t *bidx;
    onnxbn_tensor *y;
    uint8_t *scratch;
    size_t per_thread; /* scratch bytes a thread */
    onnxbn_stop *stop;
} roi_job;

/* Roi `ri` into its rows of Y; batch index and grid were checked before the tasks started. */
static void roi_task(void *arg, size_t task, int thread)
{
    const roi_job *j = arg;
    const roi_cfg *g = j->g;
    const int64_t ri = (int64_t)task;
    if (onnxbn_stopped(j->stop))
        return; /* the run checks the stop after the node and fails it */
    const onnxbn_dtype t = j->x->dtype;
    const void *x = j->x->data;
    float *yf = t == ONNXBN_FLOAT ? j->y->data : NULL;
    roi_geom q;
    (void)geom_of(g, t, j->rois->data, ri, &q);
    const int64_t b = j->bidx[ri], plane = g->h * g->w, bins = g->oh * g->ow;
    const int64_t per = q.ny * q.nx, cap = (int64_t)(j->per_thread / sizeof(sample));
    const double count = per > 1 ? (double)per : 1.0;
    sample *pre = (sample *)(void *)(j->scratch + (size_t)thread * j->per_thread);
    /* The samples of every bin once for the roi when they fit the scratch (sampling_ratio 2 and
     * the usual adaptive grids do), then channel by channel over them; else bin by bin, and a
     * grid larger than the scratch is sampled again for each channel. */
    const bool all = bins > 0 && per <= cap / bins, one = per <= cap;
    for (int64_t bin = 0; bin < bins; bin++) {
        const int64_t ph = bin / g->ow, pw = bin % g->ow;
        sample *s = all ? pre + bin * per : pre;
        for (int64_t iy = 0; iy < q.ny && (all || one); iy++)
            for (int64_t ix = 0; ix < q.nx; ix++)
                s[iy * q.nx + ix] = sample_of(&q, ph, pw, iy, ix, g->h, g->w);
        if (all)
            continue;
        for (int64_t ch = 0; ch < g->ch; ch++) {
            const int64_t base = (b * g->ch + ch) * plane, at = (ri * g->ch + ch) * bins + bin;
            double v;
            if (one) {
                v = pool_bin(t, x, base, s, per, g->max, count);
            } else {
                double acc = 0;
                for (int64_t k = 0; k < per; k++) {
                    const sample d = sample_of(&q, ph, pw, k / q.nx, k % q.nx, g->h, g->w);
                    const double u = pool_bin(t, x, base, &d, 1, g->max, 1.0);
                    acc = g->max ? (k == 0 ? u : fmax(acc, u)) : acc + u;
                }
                v = g->max ? acc : acc / count;
            }
            if (yf)
                yf[at] = (float)v;
            else
                onnxbn_set_f64(j->y, at, v);
        }
    }
    if (!all)
        return;
    for (int64_t ch = 0; ch < g->ch; ch++) {
        const int64_t base = (b * g->ch + ch) * plane, at = (ri * g->ch + ch) * bins;
        for (int64_t bin = 0; bin < bins; bin++) {
            const double v = pool_bin(t, x, base, pre + bin * per, per, g->max, count);
            if (yf)
                yf[at + bin] = (float)v;
            else
                onnxbn_set_f64(j->y, at + bin, v);
        }
    }
}

static onnxbn_status roialign_run(onnxbn_kctx *c)
{
    roi_cfg g;
    onnxbn_status st = roi_cfg_get(c, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0), *r = onnxbn_in(c, 1);
    const int64_t *bidx = onnxbn_in(c, 2)->data;
    /* Every roi is checked before any is pooled: a task cannot fail. */
    for (int64_t ri = 0; ri < g.rois; ri++) {
        roi_geom q;
        if (bidx[ri] < 0 || bidx[ri] >= g.n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "batch_indices[%lld] is %lld, outside [0, %lld)",
                                    (long long)ri, (long long)bidx[ri], (long long)g.n);
        if (!geom_of(&g, x->dtype, r->data, ri, &q))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "roi %lld asks for more than 1e8 samples a bin",
                                    (long long)ri);
    }
    const int threads = onnxbn_pool_threads(c->pool);
    ONNXBN_CHECK(threads <= (c->threads > 1 ? c->threads : 1) && c->scratch, c->err);
    roi_job job = {&g, x, r, bidx, onnxbn_out(c, 0), c->scratch,
                   c->workspace / (size_t)(c->threads > 1 ? c->threads : 1), c->stop};
    job.per_thread -= job.per_thread % sizeof(sample);
    onnxbn_pool_run(c->pool, (size_t)g.rois, roi_task, &job);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_roialign = {
    .attrs = roialign_attrs,
    .infer = roialign_infer,
    .run = roialign_run,
};
