/* SPDX-License-Identifier: Apache-2.0 */
/* gridsample.c — GridSample 16 (4-D): attributes, the grid's shape rule, and the run split over
 * output rows; each row's taps are worked out once and applied to every channel (kernels/gridsample). */
#include <stdlib.h>
#include <string.h>

#include "kernels/gridsample.h"
#include "op.h"
#include "ops/types.h"
#include "threadpool.h"

static const onnxbn_attr_spec gs_attrs[] = {
    {"align_corners", ONNXBN_ATTR_INT, false, 1, 0},
    {"mode", ONNXBN_ATTR_STRING, false, 1, 0},
    {"padding_mode", ONNXBN_ATTR_STRING, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct gs_cfg {
    onnxbn_gs_mode mode;
    onnxbn_gs_pad pad;
    bool align;
    int taps;
    int64_t N, C, H, W, Ho, Wo;
    size_t per_thread; /* scratch bytes: the row's grid as doubles, its indices, its weights */
    size_t off_idx, off_w;
} gs_cfg;

static size_t up64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static onnxbn_status gs_config(const onnxbn_kctx *c, gs_cfg *g)
{
    memset(g, 0, sizeof *g);
    char mode[16], pad[16];
    int64_t align = 0;
    onnxbn_status st;
    if ((st = onnxbn_attr_string(c, "mode", "bilinear", mode, sizeof mode)) ||
        (st = onnxbn_attr_string(c, "padding_mode", "zeros", pad, sizeof pad)) ||
        (st = onnxbn_attr_int(c, "align_corners", 0, &align)))
        return st;
    if (!strcmp(mode, "bilinear"))
        g->mode = ONNXBN_GS_BILINEAR;
    else if (!strcmp(mode, "nearest"))
        g->mode = ONNXBN_GS_NEAREST;
    else if (!strcmp(mode, "bicubic"))
        g->mode = ONNXBN_GS_BICUBIC;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "mode '%s' is not bilinear, nearest or bicubic", mode);
    if (!strcmp(pad, "zeros"))
        g->pad = ONNXBN_GS_ZEROS;
    else if (!strcmp(pad, "border"))
        g->pad = ONNXBN_GS_BORDER;
    else if (!strcmp(pad, "reflection"))
        g->pad = ONNXBN_GS_REFLECTION;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "padding_mode '%s' is not zeros, border or reflection", pad);
    if (align != 0 && align != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "align_corners is %lld, expected 0 or 1",
                                (long long)align);
    g->align = align == 1;
    g->taps = onnxbn_gs_taps(g->mode);
    const onnxbn_tensor *x = onnxbn_in(c, 0), *grid = onnxbn_in(c, 1);
    /* Interpolating modes blend values: float types only. Nearest copies one element, so it
     * takes every type of a fixed size. */
    const uint32_t any = ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT | ONNXBN_TM(ONNXBN_BOOL);
    if ((st = onnxbn_check_input_type(c, 0, "X", g->mode == ONNXBN_GS_NEAREST ? any : ONNXBN_TM_FLT)) ||
        (st = onnxbn_check_input_type(c, 1, "grid", ONNXBN_TM_FLT)))
        return st;
    char sx[ONNXBN_SHAPE_STR_MAX], sg[ONNXBN_SHAPE_STR_MAX];
    if (x->rank != 4)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' ('%s') is %s; GridSample-16 takes 4-D (N, C, H, W)",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(x, sx, sizeof sx));
    if (grid->rank != 4 || grid->dims[0] != x->dims[0] || grid->dims[3] != 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'grid' ('%s') is %s, expected (%lld, H_out, W_out, 2) for X %s",
                                onnxbn_node_input_name(c->node, 1),
                                onnxbn_shape_str(grid, sg, sizeof sg), (long long)x->dims[0],
                                onnxbn_shape_str(x, sx, sizeof sx));
    g->N = x->dims[0];
    g->C = x->dims[1];
    g->H = x->dims[2];
    g->W = x->dims[3];
    g->Ho = grid->dims[1];
    g->Wo = grid->dims[2];
    if (g->H * g->W > INT32_MAX) /* each a tensor dim, so the product fits int64 */
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "an input plane of %lld elements is above %d",
                                (long long)(g->H * g->W), INT32_MAX);
    /* The row's scratch: Wo·2 doubles, Wo·taps indices and weights; all below the grid's and the
     * output's sizes times a small factor, so no overflow once those exist. */
    const size_t wo = (size_t)g->Wo, ws = x->dtype == ONNXBN_DOUBLE ? sizeof(double) : sizeof(float);
    g->off_idx = up64(wo * 2 * sizeof(double));
    g->off_w = g->off_idx + up64(wo * (size_t)g->taps * sizeof(int32_t));
    g->per_thread = g->off_w + up64(wo * (size_t)g->taps * ws);
    return ONNXBN_OK;
}

static onnxbn_status gs_infer(onnxbn_kctx *c)
{
    gs_cfg g;
    onnxbn_status st = gs_config(c, &g);
    if (st)
        return st;
    const int64_t dims[4] = {g.N, g.C, g.Ho, g.Wo};
    if ((st = onnxbn_tensor_set_shape(onnxbn_out(c, 0), onnxbn_in(c, 0)->dtype, 4, dims, c->err)))
        return st;
    const size_t threads = c->threads > 1 ? (size_t)c->threads : 1;
    if (!onnxbn_mul_size(threads, g.per_thread, &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "scratch for the taps overflows");
    return ONNXBN_OK;
}

static onnxbn_status gs_prepare(onnxbn_kctx *c)
{
    gs_cfg *g = malloc(sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = gs_config(c, g);
    if (st) {
        free(g);
        return st;
    }
    c->state = g;
    return ONNXBN_OK;
}

typedef struct gs_job {
    const gs_cfg *g;
    const onnxbn_tensor *x, *grid;
    onnxbn_tensor *y;
    char *scratch;
} gs_job;

/* One output row (image n, row h) for every channel. */
static void gs_task(void *arg, size_t task, int thread)
{
    const gs_job *j = arg;
    const gs_cfg *g = j->g;
    const size_t n = task / (size_t)g->Ho, h = task % (size_t)g->Ho, wo = (size_t)g->Wo;
    const size_t plane = (size_t)(g->H * g->W), es = onnxbn_dtype_size(j->x->dtype);
    char *s = j->scratch + (size_t)thread * g->per_thread;
    double *gxy = (double *)s;
    int32_t *idx = (int32_t *)(s + g->off_idx);
    const size_t g0 = (n * (size_t)g->Ho + h) * wo * 2;
    for (size_t i = 0; i < 2 * wo; i++)
        gxy[i] = onnxbn_load_f64(j->grid->dtype, j->grid->data, (int64_t)(g0 + i));
    const bool dbl = j->x->dtype == ONNXBN_DOUBLE;
    float *wf = dbl ? NULL : (float *)(s + g->off_w);
    double *wd = dbl ? (double *)(s + g->off_w) : NULL;
    onnxbn_gs_row_taps(g->mode, g->pad, g->align, g->H, g->W, gxy, wo, idx, wf, wd);
    for (size_t ch = 0; ch < (size_t)g->C; ch++) {
        const size_t xi = (n * (size_t)g->C + ch) * plane, yi = ((n * (size_t)g->C + ch) * (size_t)g->Ho + h) * wo;
        const char *xp = (const char *)j->x->data + xi * es;
        char *yp = (char *)j->y->data + yi * es;
        switch (j->x->dtype) {
        case ONNXBN_FLOAT: onnxbn_gs_gather_f32((const float *)xp, wo, g->taps, idx, wf, (float *)yp); break;
        case ONNXBN_DOUBLE: onnxbn_gs_gather_f64((const double *)xp, wo, g->taps, idx, wd, (double *)yp); break;
        case ONNXBN_FLOAT16:
            onnxbn_gs_gather_f16((const uint16_t *)xp, wo, g->taps, idx, wf, (uint16_t *)yp);
            break;
        default: /* nearest (gs_config) */
            onnxbn_gs_gather_bytes((const uint8_t *)xp, es, wo, idx, (uint8_t *)yp);
            break;
        }
    }
}

static onnxbn_status gs_run(onnxbn_kctx *c)
{
    const gs_cfg *g = c->state;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->numel == 0)
        return ONNXBN_OK;
    if (g->H * g->W == 0) { /* nothing to sample: every tap is outside */
        memset(y->data, 0, y->nbytes);
        return ONNXBN_OK;
    }
    const size_t threads = (size_t)onnxbn_pool_threads(c->pool);
    size_t need;
    ONNXBN_CHECK(c->scratch && onnxbn_mul_size(threads, g->per_thread, &need) && c->workspace >= need,
                 c->err);
    gs_job j = {g, onnxbn_in(c, 0), onnxbn_in(c, 1), y, c->scratch};
    onnxbn_pool_run(c->pool, (size_t)(g->N * g->Ho), gs_task, &j);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_gridsample = {
    .attrs = gs_attrs,
    .infer = gs_infer,
    .prepare = gs_prepare,
    .run = gs_run,
};
