/* SPDX-License-Identifier: Apache-2.0 */
/* nms.c — NonMaxSuppression 10 and 11: greedy per batch and class, boxes by score descending (ties:
 * lower index first), as onnxruntime does it; how many boxes survive is known only after the run. */
#include <math.h>
#include <string.h>

#include "kernels/sort.h"
#include "shapeops.h"

static const onnxbn_attr_spec nms_attrs[] = {
    {"center_point_box", ONNXBN_ATTR_INT, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct nms_cfg {
    int64_t batches, classes, boxes; /* boxes [B, N, 4], scores [B, C, N] */
    int64_t max_out;                 /* per batch and class, >= 0 */
    float iou, score;
    bool has_score, center;
} nms_cfg;

/* The one value of optional input i (a scalar or a 1-element tensor). */
static onnxbn_status scalar_in(const onnxbn_kctx *c, int i, const char *name, onnxbn_dtype want,
                               double *v, bool *given)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    *given = t != NULL;
    if (!t)
        return ONNXBN_OK;
    if (t->dtype != want)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%.100s') is %s, expected %s", name,
                                mv_in_name(c, i), onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(want));
    if (t->rank > 1 || t->numel != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%.100s') has %lld values in rank %d, expected one",
                                name, mv_in_name(c, i), (long long)t->numel, t->rank);
    if (!t->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input '%s' ('%.100s') is known only at run time: the output shape depends on input values",
                                name, mv_in_name(c, i));
    if (want == ONNXBN_INT64) {
        /* Kept in range before it becomes a double: the caller compares it with a box count. */
        const int64_t i = *(const int64_t *)t->data;
        *v = i < 0 ? 0 : i > ((int64_t)1 << 52) ? (double)((int64_t)1 << 52) : (double)i;
    } else {
        *v = *(const float *)t->data;
    }
    return ONNXBN_OK;
}

static onnxbn_status nms_cfg_get(const onnxbn_kctx *c, nms_cfg *g)
{
    const onnxbn_tensor *b = onnxbn_in(c, 0), *s = onnxbn_in(c, 1);
    int64_t center;
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    if ((st = onnxbn_attr_int(c, "center_point_box", 0, &center)))
        return st;
    if (center != 0 && center != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "center_point_box is %lld, expected 0 or 1",
                                (long long)center);
    g->center = center == 1;
    if ((st = onnxbn_mv_check_type(c, 0, "boxes", MV_T(ONNXBN_FLOAT))) ||
        (st = onnxbn_mv_check_type(c, 1, "scores", MV_T(ONNXBN_FLOAT))))
        return st;
    char bs[ONNXBN_SHAPE_STR_MAX], ss[ONNXBN_SHAPE_STR_MAX];
    if (b->rank != 3 || b->dims[2] != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'boxes' has shape %s, expected [batches, boxes, 4]",
                                onnxbn_shape_str(b, bs, sizeof bs));
    if (s->rank != 3 || s->dims[0] != b->dims[0] || s->dims[2] != b->dims[1])
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'scores' has shape %s, expected [%lld, classes, %lld] for boxes %s",
                                onnxbn_shape_str(s, ss, sizeof ss), (long long)b->dims[0],
                                (long long)b->dims[1], onnxbn_shape_str(b, bs, sizeof bs));
    g->batches = b->dims[0];
    g->boxes = b->dims[1];
    g->classes = s->dims[1];
    double v = 0;
    bool given;
    if ((st = scalar_in(c, 2, "max_output_boxes_per_class", ONNXBN_INT64, &v, &given)))
        return st;
    /* Absent or 0: no box is selected (the spec's default); a negative limit selects none too. */
    g->max_out = given && v > 0 ? (int64_t)v : 0;
    if (g->max_out > g->boxes)
        g->max_out = g->boxes;
    v = 0;
    if ((st = scalar_in(c, 3, "iou_threshold", ONNXBN_FLOAT, &v, &given)))
        return st;
    if (!(v >= 0 && v <= 1))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "iou_threshold is %g, expected a value in [0, 1]", v);
    g->iou = (float)v;
    if ((st = scalar_in(c, 4, "score_threshold", ONNXBN_FLOAT, &v, &g->has_score)))
        return st;
    g->score = (float)v;
    return ONNXBN_OK;
}

/* Corners of box i: x0 <= x1, y0 <= y1 whichever way it was written; its area, computed once. */
typedef struct corners {
    float x0, y0, x1, y1, area;
} corners;

static onnxbn_status nms_infer(onnxbn_kctx *c)
{
    nms_cfg g;
    onnxbn_status st = nms_cfg_get(c, &g);
    if (st)
        return st;
    if (!onnxbn_in(c, 0)->data || !onnxbn_in(c, 1)->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "inputs 'boxes' and 'scores' are known only at run time: the output shape depends on input values");
    /* An upper bound; run() shrinks it to the boxes kept. The product fits: every factor is a
     * dimension of a tensor that exists, and max_out <= boxes. */
    int64_t dims[2] = {0, 3};
    size_t rows;
    if (!onnxbn_mul_size((size_t)g.batches, (size_t)g.classes, &rows) ||
        !onnxbn_mul_size(rows, (size_t)g.max_out, &rows) || rows > (size_t)INT64_MAX / 3)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%lld x %lld x %lld selected boxes overflow",
                                (long long)g.batches, (long long)g.classes, (long long)g.max_out);
    dims[0] = (int64_t)rows;
    if ((st = onnxbn_mv_set_out(c, 0, ONNXBN_INT64, 2, dims)))
        return st;
    /* Scratch: the candidates of one class and the merge sort's other half, the kept, the
     * buckets' heads and links, and the corners of one batch's boxes (computed once, not for
     * every pair). */
    size_t bytes;
    if (!onnxbn_mul_size((size_t)g.boxes, 5 * sizeof(int64_t) + sizeof(corners), &bytes))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%lld boxes overflow the scratch size",
                                (long long)g.boxes);
    c->workspace = bytes;
    return ONNXBN_OK;
}


static corners box_at(const float *b, bool center)
{
    corners r;
    if (center) { /* [x_center, y_center, width, height] */
        const float hw = b[2] / 2, hh = b[3] / 2;
        r.x0 = b[0] - hw, r.x1 = b[0] + hw, r.y0 = b[1] - hh, r.y1 = b[1] + hh;
    } else { /* [y1, x1, y2, x2], either diagonal */
        r.y0 = fminf(b[0], b[2]), r.y1 = fmaxf(b[0], b[2]);
        r.x0 = fminf(b[1], b[3]), r.x1 = fmaxf(b[1], b[3]);
    }
    r.area = (r.x1 - r.x0) * (r.y1 - r.y0);
    return r;
}

/* A box that can suppress or be suppressed: finite corners and an area that is positive and
 * finite. Any other box's IoU with anything is NaN, 0 or refused by the checks below, so it is
 * kept without comparing and never compared with. */
static bool able(const corners *b)
{
    return isfinite(b->x0) && isfinite(b->x1) && isfinite(b->y0) && isfinite(b->y1) &&
           isfinite(b->area) && b->area > 0;
}

/* IoU(a, b) > threshold, in float as onnxruntime computes it (its std::max/min, which for the
 * finite corners of able boxes are fmaxf/fminf without the libm call). */
static inline bool suppresses(const corners *a, const corners *b, float threshold)
{
    const float ix0 = a->x0 > b->x0 ? a->x0 : b->x0, ix1 = a->x1 < b->x1 ? a->x1 : b->x1;
    const float iy0 = a->y0 > b->y0 ? a->y0 : b->y0, iy1 = a->y1 < b->y1 ? a->y1 : b->y1;
    if (ix1 <= ix0 || iy1 <= iy0)
        return false;
    const float inter = (ix1 - ix0) * (iy1 - iy0);
    const float uni = a->area + b->area - inter;
    if (inter <= 0 || uni <= 0)
        return false;
    return inter / uni > threshold;
}

/* The kept boxes of one class, bucketed by x0 so that a candidate is compared only with those
 * that can overlap it in x: torchvision's batched NMS offsets each class by the image size, so
 * its one NMS call holds thousands of boxes of which a candidate meets a few. Which boxes are
 * compared changes nothing: a box that does not overlap in x cannot suppress. */
typedef struct buckets {
    int64_t *head, *next; /* head[nb] (-1: empty), next[box] */
    int64_t nb;
    double lo, width, maxw; /* bucket k holds x0 in [lo + k width, lo + (k + 1) width) */
} buckets;

static int64_t bucket_of(const buckets *u, double x)
{
    const double k = (x - u->lo) / u->width;
    return !(k > 0) ? 0 : k >= (double)(u->nb - 1) ? u->nb - 1 : (int64_t)k;
}

/* true when a kept box suppresses candidate a. */
static bool suppressed(const buckets *u, const corners *cb, const corners *a, float threshold)
{
    /* b overlaps a in x only if b.x0 < a.x1 and b.x1 > a.x0, so b.x0 > a.x0 - (widest b) (the
     * width of a float box is exact in double); one bucket more below covers the rounding of
     * that subtraction, bucket_of being monotonic. */
    const int64_t k0 = bucket_of(u, (double)a->x0 - u->maxw), k1 = bucket_of(u, (double)a->x1);
    for (int64_t k = k0 > 0 ? k0 - 1 : 0; k <= k1; k++)
        for (int64_t q = u->head[k]; q >= 0; q = u->next[q])
            if (cb[q].x0 < a->x1 && suppresses(a, &cb[q], threshold))
                return true;
    return false;
}

/* Scores descending; the merge sort keeps equal scores in index order. */
static int by_score(const void *ctx, int64_t a, int64_t b)
{
    const float *s = ctx;
    return s[a] > s[b] ? -1 : s[a] < s[b] ? 1 : 0;
}

static onnxbn_status nms_run(onnxbn_kctx *c)
{
    nms_cfg g;
    onnxbn_status st = nms_cfg_get(c, &g);
    if (st)
        return st;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(y && y->numel >= g.batches * g.classes * g.max_out * 3, c->err);
    ONNXBN_CHECK(!g.boxes || (c->scratch && c->workspace >= (size_t)g.boxes * (5 * sizeof(int64_t) + sizeof(corners))),
                 c->err);
    const float *boxes = onnxbn_in(c, 0)->data, *scores = onnxbn_in(c, 1)->data;
    int64_t *cand = c->scratch, *tmp = cand + g.boxes, *kept = tmp + g.boxes;
    buckets u = {kept + g.boxes, kept + 2 * g.boxes, g.boxes, 0, 1, 0};
    corners *cb = (corners *)(void *)(u.next + g.boxes);
    int64_t *out = y->data, rows = 0;
    for (int64_t i = 0; i < u.nb; i++)
        u.head[i] = -1;
    for (int64_t bi = 0; bi < g.batches && g.max_out > 0 && g.boxes > 0; bi++) {
        const float *bb = boxes + bi * g.boxes * 4;
        double x_lo = INFINITY, x_hi = -INFINITY;
        for (int64_t i = 0; i < g.boxes; i++) {
            cb[i] = box_at(bb + i * 4, g.center);
            if (able(&cb[i])) {
                x_lo = fmin(x_lo, cb[i].x0);
                x_hi = fmax(x_hi, cb[i].x0);
            }
        }
        u.lo = x_lo;
        u.width = x_hi > x_lo ? (x_hi - x_lo) / (double)u.nb : 1.0;
        if (!(u.width > 0) || !isfinite(u.width)) /* the range overflowed: one bucket of many */
            u.width = 1.0, u.lo = 0;
        for (int64_t ci = 0; ci < g.classes; ci++) {
            const float *sc = scores + (bi * g.classes + ci) * g.boxes;
            int64_t n = 0, nk = 0;
            for (int64_t i = 0; i < g.boxes; i++)
                if (!g.has_score || sc[i] > g.score)
                    cand[n++] = i;
            onnxbn_sort_idx(cand, n, tmp, by_score, sc);
            u.maxw = 0;
            for (int64_t j = 0; j < n && nk < g.max_out; j++) {
                const int64_t i = cand[j];
                if (!able(&cb[i])) { /* suppresses nothing, suppressed by nothing */
                    kept[nk++] = i;
                    continue;
                }
                if (suppressed(&u, cb, &cb[i], g.iou))
                    continue;
                kept[nk++] = i;
                const int64_t k = bucket_of(&u, cb[i].x0);
                u.next[i] = u.head[k];
                u.head[k] = i;
                u.maxw = fmax(u.maxw, (double)cb[i].x1 - (double)cb[i].x0);
            }
            for (int64_t q = 0; q < nk; q++, rows++) {
                out[rows * 3] = bi;
                out[rows * 3 + 1] = ci;
                out[rows * 3 + 2] = kept[q];
                u.head[bucket_of(&u, cb[kept[q]].x0)] = -1; /* empty again for the next class */
            }
        }
        if (onnxbn_stopped(c->stop))
            return ONNXBN_OK; /* the run checks the stop after the node and fails it */
    }
    const int64_t dims[2] = {rows, 3};
    return onnxbn_out_shrink(c, 0, 2, dims);
}

const onnxbn_op_def onnxbn_op_nms = {
    .attrs = nms_attrs,
    .infer = nms_infer,
    .run = nms_run,
};
