/* SPDX-License-Identifier: Apache-2.0 */
/* pool.c — MaxPool (1, 8, 10, 11, 12), AveragePool (1, 7, 10, 11), LpPool (1, 2, 11) and the global
 * pools: attributes per version, the output geometry (pads, auto_pad, ceil_mode), dtype dispatch. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/pool.h"
#include "op.h"
#include "ops/autopad.h"
#include "threadpool.h"

/* Attribute values and sizes are kept below 2^31 so that the geometry (a product of two such
 * values plus a few terms) cannot overflow int64. */
#define BIG INT64_C(0x7fffffff)

static const onnxbn_attr_spec maxpool_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, true, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {"storage_order", ONNXBN_ATTR_INT, false, 8, 0},
    {"ceil_mode", ONNXBN_ATTR_INT, false, 10, 0},
    {"dilations", ONNXBN_ATTR_INTS, false, 10, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec avgpool_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, true, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {"count_include_pad", ONNXBN_ATTR_INT, false, 7, 0},
    {"ceil_mode", ONNXBN_ATTR_INT, false, 10, 0},
    {NULL, 0, false, 0, 0},
};

/* LpPool-1 has a float p and an optional kernel_shape (without which it cannot run); from 2, p is
 * an int and kernel_shape is required. */
static const onnxbn_attr_spec lppool_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, true, 2, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, false, 1, 1},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {"p", ONNXBN_ATTR_FLOAT, false, 1, 1},
    {"p", ONNXBN_ATTR_INT, false, 2, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec globallp_attrs[] = {
    {"p", ONNXBN_ATTR_FLOAT, false, 1, 1},
    {"p", ONNXBN_ATTR_INT, false, 2, 0},
    {NULL, 0, false, 0, 0},
};


/* What run() needs, made once per plan. */
typedef struct pool_cfg {
    bool global;
    onnxbn_pool_params g;
    int64_t size; /* global: elements per plane */
    int rank;
    int64_t ydims[ONNXBN_MAX_RANK];
} pool_cfg;

static onnxbn_pool_kind kind_of(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_MaxPool || c->op == ONNXBN_OP_GlobalMaxPool ? ONNXBN_POOL_MAX
           : c->op == ONNXBN_OP_AveragePool || c->op == ONNXBN_OP_GlobalAveragePool
               ? ONNXBN_POOL_AVG
               : ONNXBN_POOL_LP;
}

static bool is_global(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_GlobalAveragePool || c->op == ONNXBN_OP_GlobalMaxPool ||
           c->op == ONNXBN_OP_GlobalLpPool;
}

/* float16, float and double everywhere; MaxPool-12 adds int8 and uint8. */
static onnxbn_status check_type(const onnxbn_kctx *c, onnxbn_pool_kind kind)
{
    const onnxbn_dtype t = onnxbn_in(c, 0)->dtype;
    const bool ints = kind == ONNXBN_POOL_MAX && !is_global(c) && c->version >= 12;
    if (t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16 ||
        (ints && (t == ONNXBN_INT8 || t == ONNXBN_UINT8)))
        return ONNXBN_OK;
    return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'X' ('%s') is %s, %s-%d takes %s",
                            onnxbn_node_input_name(c->node, 0), onnxbn_dtype_name(t),
                            onnxbn_op_name(c), c->version,
                            ints ? "float16, float, double, int8 or uint8"
                                 : "float16, float or double");
}

/* An INTS attribute with `want` values in [lo, BIG], or `def` everywhere when absent. */
static onnxbn_status get_ints(const onnxbn_kctx *c, const char *name, int want, int64_t def,
                              int64_t lo, int64_t *out)
{
    const int64_t *v;
    size_t n;
    onnxbn_status st = onnxbn_attr_ints(c, name, &v, &n);
    if (st)
        return st;
    if (!v) {
        for (int i = 0; i < want; i++)
            out[i] = def;
        return ONNXBN_OK;
    }
    if (n != (size_t)want)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute '%s' has %zu values, expected %d (input 'X' has %d spatial axes)",
                                name, n, want, onnxbn_in(c, 0)->rank - 2);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > BIG)
            return onnxbn_node_fail(c, v[i] < lo ? ONNXBN_ERR_MODEL : ONNXBN_ERR_LIMIT,
                                    "attribute '%s' value %zu is %lld, expected %s%lld", name, i,
                                    (long long)v[i], v[i] < lo ? "at least " : "at most ",
                                    (long long)(v[i] < lo ? lo : BIG));
        out[i] = v[i];
    }
    return ONNXBN_OK;
}

/* A 0/1 INT attribute. */
static onnxbn_status get_flag(const onnxbn_kctx *c, const char *name, bool *out)
{
    int64_t v;
    onnxbn_status st = onnxbn_attr_int(c, name, 0, &v);
    if (st)
        return st;
    if (v != 0 && v != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' is %lld, expected 0 or 1",
                                name, (long long)v);
    *out = v != 0;
    return ONNXBN_OK;
}

/* The exponent p: a float in LpPool-1/GlobalLpPool-1, an int from version 2; default 2. */
static onnxbn_status get_p(const onnxbn_kctx *c, double *p)
{
    onnxbn_status st;
    if (c->version == 1) {
        float f;
        if ((st = onnxbn_attr_float(c, "p", 2.0f, &f)))
            return st;
        *p = f;
    } else {
        int64_t i;
        if ((st = onnxbn_attr_int(c, "p", 2, &i)))
            return st;
        *p = (double)i;
    }
    if (!(*p > 0.0) || *p > 1e6)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'p' is %g, expected a value in (0, 1e6]",
                                *p);
    return ONNXBN_OK;
}

/* The lowest value of the element type: MaxPool's value for a window that is all padding, as
 * onnxruntime gives it. */
static double lowest(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_DOUBLE: return -DBL_MAX;
    case ONNXBN_FLOAT16: return -65504.0;
    case ONNXBN_INT8: return -128.0;
    case ONNXBN_UINT8: return 0.0;
    default: return -FLT_MAX;
    }
}

/* Output extent and pads of one spatial axis d. The output size is floor (or with ceil_mode ceil)
 * of (in + pads − dilated kernel) / stride + 1; SAME gives ceil(in / stride) whatever ceil_mode
 * says and splits the pads it needs, the odd one at the end (UPPER) or the start (LOWER). In
 * ceil_mode a last window that would start in the end padding is dropped, as PyTorch (whose
 * exports carry ceil_mode) computes it, so every window starts inside the input or its begin
 * padding. */
static onnxbn_status axis_geometry(const onnxbn_kctx *c, onnxbn_pool_params *g, int d,
                                   enum pad_mode mode, const int64_t *pads, bool ceil_mode)
{
    const int64_t in = onnxbn_in(c, 0)->dims[2 + d], s = g->stride[d];
    const int64_t dk = (g->k[d] - 1) * g->dil[d] + 1;
    int64_t pb = 0, pe = 0, out;
    if (mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
        out = (in + s - 1) / s;
        int64_t total = (out - 1) * s + dk - in;
        if (total < 0)
            total = 0;
        pb = mode == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        pe = total - pb;
    } else {
        if (mode == PAD_NOTSET) {
            pb = pads[d];
            pe = pads[g->nsp + d];
        }
        if (in + pb + pe < dk)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "spatial axis %d: the kernel spans %lld (size %lld, dilation %lld), more than the padded input %lld (input 'X' size %lld + pads %lld + %lld)",
                                    d, (long long)dk, (long long)g->k[d], (long long)g->dil[d],
                                    (long long)(in + pb + pe), (long long)in, (long long)pb,
                                    (long long)pe);
        const int64_t span = in + pb + pe - dk;
        out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (ceil_mode && (out - 1) * s >= in + pb)
            out--;
    }
    if (in == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' has size 0 on spatial axis %d", d);
    g->in[d] = in;
    g->out[d] = out;
    g->pad[d] = pb;
    g->pad_end[d] = pe;
    return ONNXBN_OK;
}

static onnxbn_status configure(const onnxbn_kctx *c, pool_cfg *cfg)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const onnxbn_pool_kind kind = kind_of(c);
    onnxbn_pool_params *g = &cfg->g;
    onnxbn_status st;
    memset(cfg, 0, sizeof *cfg);
    cfg->global = is_global(c);
    g->kind = kind;
    g->p = 2.0;
    if ((st = check_type(c, kind)))
        return st;
    if (x->rank < 3) {
        char s[ONNXBN_SHAPE_STR_MAX];
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'X' ('%s') has shape %s, expected N x C x D1 x ... x Dn (rank 3 or more)",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(x, s, sizeof s));
    }
    if (kind == ONNXBN_POOL_LP && (st = get_p(c, &g->p)))
        return st;
    const int n = x->rank - 2;
    g->nsp = n;
    size_t planes;
    if (!onnxbn_mul_size((size_t)x->dims[0], (size_t)x->dims[1], &planes) || planes > INT64_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "N x C of input 'X' overflows");
    g->planes = (int64_t)planes;
    cfg->rank = x->rank;
    cfg->ydims[0] = x->dims[0];
    cfg->ydims[1] = x->dims[1];

    if (cfg->global) {
        size_t size = 1;
        bool ok = true;
        for (int d = 0; d < n; d++) {
            ok &= onnxbn_mul_size(size, (size_t)x->dims[2 + d], &size);
            cfg->ydims[2 + d] = 1;
        }
        if (!ok || size > INT64_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the spatial size of input 'X' overflows");
        cfg->size = (int64_t)size;
        return ONNXBN_OK;
    }

    enum pad_mode mode = PAD_NOTSET;
    int64_t pads[2 * ONNXBN_POOL_MAX_SP] = {0};
    bool ceil_mode = false;
    if (kind == ONNXBN_POOL_LP && c->version == 1 && !onnxbn_attr_has(c, "kernel_shape"))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'kernel_shape' is required");
    if ((st = get_ints(c, "kernel_shape", n, 1, 1, g->k)) ||
        (st = get_ints(c, "strides", n, 1, 1, g->stride)) || (st = onnxbn_get_auto_pad(c, &mode)))
        return st;
    /* With auto_pad set, the pads attribute (which the spec forbids alongside) is ignored. */
    if (mode == PAD_NOTSET && (st = get_ints(c, "pads", 2 * n, 0, 0, pads)))
        return st;
    for (int d = 0; d < n; d++)
        g->dil[d] = 1;
    if (kind == ONNXBN_POOL_MAX && c->version >= 10 &&
        (st = get_ints(c, "dilations", n, 1, 1, g->dil)))
        return st;
    if (c->version >= 10 && kind != ONNXBN_POOL_LP && (st = get_flag(c, "ceil_mode", &ceil_mode)))
        return st;
    if (kind == ONNXBN_POOL_AVG && c->version >= 7 &&
        (st = get_flag(c, "count_include_pad", &g->count_pad)))
        return st;
    if (kind == ONNXBN_POOL_MAX && c->version >= 8 &&
        (st = get_flag(c, "storage_order", &g->col_major)))
        return st;
    g->empty = lowest(x->dtype);
    for (int d = 0; d < n; d++) {
        if ((st = axis_geometry(c, g, d, mode, pads, ceil_mode)))
            return st;
        cfg->ydims[2 + d] = g->out[d];
    }
    return ONNXBN_OK;
}

/* float16, int8 and uint8 go through double: the input converted into scratch, pooled, and the
 * result rounded back once. */
static bool via_f64(onnxbn_dtype t) { return t != ONNXBN_FLOAT && t != ONNXBN_DOUBLE; }

/* float: the kernel's row buffer; float16, int8, uint8: X and Y converted to double. */
static onnxbn_status scratch_size(const onnxbn_kctx *c, const pool_cfg *cfg, size_t *bytes)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *y = onnxbn_out(c, 0);
    size_t n;
    *bytes = 0;
    if (x->dtype == ONNXBN_FLOAT && !cfg->global) /* a row buffer per thread */
        *bytes = (onnxbn_pool_scratch(&cfg->g) + 63) / 64 * 64 * (size_t)(c->threads > 1 ? c->threads : 1);
    else if (via_f64(x->dtype) &&
             (!onnxbn_add_size((size_t)x->numel, (size_t)y->numel, &n) ||
              !onnxbn_mul_size(n, sizeof(double), bytes)))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status pool_infer(onnxbn_kctx *c)
{
    pool_cfg cfg;
    onnxbn_status st = configure(c, &cfg);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0), *ind = onnxbn_out(c, 1);
    if (ind && (kind_of(c) != ONNXBN_POOL_MAX || cfg.global || c->version < 8))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has 2 outputs, %s-%d gives only 'Y'",
                                onnxbn_op_name(c), c->version);
    if ((st = onnxbn_tensor_set_shape(y, x->dtype, cfg.rank, cfg.ydims, c->err)))
        return st;
    if (ind && (st = onnxbn_tensor_set_shape(ind, ONNXBN_INT64, cfg.rank, cfg.ydims, c->err)))
        return st;
    return scratch_size(c, &cfg, &c->workspace);
}

static onnxbn_status pool_prepare(onnxbn_kctx *c)
{
    pool_cfg *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = configure(c, cfg);
    if (st) {
        free(cfg);
        return st;
    }
    c->state = cfg;
    return ONNXBN_OK;
}

/* Windowed float pooling split by planes over the pool. Each task is whole planes, so the result
 * does not depend on the split; indices are flat over all of X, so a run with them stays whole. */
typedef struct {
    const pool_cfg *cfg;
    const float *x;
    float *y;
    char *scratch;
    size_t parts, in_sz, out_sz, row_bytes;
} plane_job;

/* 2-D: thread t's block of output rows in every plane (onnxbn_pool_run_fixed), so that after a
 * Conv that split its output rows the same way each core reads the rows it wrote. Each call
 * takes one plane, its rows shifted by moving the top pad (the window of output row oh starts at
 * input row oh·stride − pad either way). */
static void rows_task(void *arg, size_t t, int thread)
{
    const plane_job *j = arg;
    const onnxbn_pool_params *g0 = &j->cfg->g;
    size_t lo, hi;
    onnxbn_split((size_t)g0->out[0], j->parts, t, 1, &lo, &hi);
    if (lo == hi)
        return;
    onnxbn_pool_params g = *g0;
    g.planes = 1;
    g.out[0] = (int64_t)(hi - lo);
    g.pad[0] = g0->pad[0] - (int64_t)lo * g0->stride[0];
    float *row = j->row_bytes ? (float *)(j->scratch + (size_t)thread * j->row_bytes) : NULL;
    for (int64_t pl = 0; pl < g0->planes; pl++)
        onnxbn_pool_f32(&g, j->x + (size_t)pl * j->in_sz,
                        j->y + (size_t)pl * j->out_sz + lo * (size_t)g0->out[1], NULL, row);
}

static void plane_task(void *arg, size_t t, int thread)
{
    const plane_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->cfg->g.planes, j->parts, t, 1, &lo, &hi);
    if (lo == hi)
        return;
    onnxbn_pool_params g = j->cfg->g;
    g.planes = (int64_t)(hi - lo);
    onnxbn_pool_f32(&g, j->x + lo * j->in_sz, j->y + lo * j->out_sz, NULL,
                    j->row_bytes ? j->scratch + (size_t)thread * j->row_bytes : NULL);
}

static void global_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const plane_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->cfg->g.planes, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_global_pool_f32(j->cfg->g.kind, j->x + lo * (size_t)j->cfg->size, j->y + lo,
                               (int64_t)(hi - lo), j->cfg->size, j->cfg->g.p);
}

static void run_f32(const onnxbn_kctx *c, const pool_cfg *cfg, const float *x, float *y,
                    int64_t *ind, void *scratch)
{
    const size_t threads = (size_t)onnxbn_pool_threads(c->pool);
    if (cfg->global) {
        /* planes in one contiguous part a thread: the channels a Conv split by output channels
         * left in that core's cache */
        if (threads >= 2 && (size_t)cfg->g.planes >= 2 * threads &&
            (size_t)cfg->g.planes * (size_t)cfg->size >= 4096) {
            plane_job j = {.cfg = cfg, .x = x, .y = y, .parts = threads};
            onnxbn_pool_run_fixed(c->pool, global_task, &j);
            return;
        }
        onnxbn_global_pool_f32(cfg->g.kind, x, y, cfg->g.planes, cfg->size, cfg->g.p);
        return;
    }
    const size_t planes = (size_t)cfg->g.planes, out_sz = (size_t)onnxbn_out(c, 0)->numel / planes;
    /* a few tasks a thread, and not for a layer too small to repay waking the others */
    if (ind || threads < 2 || planes < 2 || planes * out_sz < 16384) {
        onnxbn_pool_f32(&cfg->g, x, y, ind, scratch);
        return;
    }
    plane_job j = {cfg, x, y, scratch, planes < 4 * threads ? planes : 4 * threads,
                   (size_t)onnxbn_in(c, 0)->numel / planes, out_sz,
                   (onnxbn_pool_scratch(&cfg->g) + 63) / 64 * 64};
    if (cfg->g.nsp == 2 && (size_t)cfg->g.out[0] >= 4 * threads) {
        j.parts = threads;
        onnxbn_pool_run_fixed(c->pool, rows_task, &j);
        return;
    }
    onnxbn_pool_run(c->pool, j.parts, plane_task, &j);
}

static void run_f64(const pool_cfg *cfg, const double *x, double *y, int64_t *ind)
{
    if (cfg->global)
        onnxbn_global_pool_f64(cfg->g.kind, x, y, cfg->g.planes, cfg->size, cfg->g.p);
    else
        onnxbn_pool_f64(&cfg->g, x, y, ind);
}

static onnxbn_status pool_run(onnxbn_kctx *c)
{
    const pool_cfg *cfg = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0), *io = onnxbn_out(c, 1);
    int64_t *ind = io ? io->data : NULL;
    if (!cfg)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "run before prepare");
    if (y->numel == 0)
        return ONNXBN_OK;
    size_t need;
    onnxbn_status st = scratch_size(c, cfg, &need);
    if (st)
        return st;
    if (need > c->workspace || (need && !c->scratch))
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "scratch of %zu bytes given, %zu needed",
                                c->workspace, need);
    if (x->dtype == ONNXBN_FLOAT) {
        run_f32(c, cfg, x->data, y->data, ind, c->scratch);
        return ONNXBN_OK;
    }
    if (x->dtype == ONNXBN_DOUBLE) {
        run_f64(cfg, x->data, y->data, ind);
        return ONNXBN_OK;
    }
    double *xd = c->scratch, *yd = xd + x->numel;
    for (int64_t i = 0; i < x->numel; i++)
        xd[i] = onnxbn_get_f64(x, i);
    run_f64(cfg, xd, yd, ind);
    for (int64_t i = 0; i < y->numel; i++)
        onnxbn_set_f64(y, i, yd[i]);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_maxpool = {
    .attrs = maxpool_attrs,
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};

const onnxbn_op_def onnxbn_op_averagepool = {
    .attrs = avgpool_attrs,
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};

const onnxbn_op_def onnxbn_op_lppool = {
    .attrs = lppool_attrs,
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};

const onnxbn_op_def onnxbn_op_global_averagepool = {
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};

const onnxbn_op_def onnxbn_op_global_maxpool = {
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};

const onnxbn_op_def onnxbn_op_global_lppool = {
    .attrs = globallp_attrs,
    .infer = pool_infer,
    .prepare = pool_prepare,
    .run = pool_run,
};
