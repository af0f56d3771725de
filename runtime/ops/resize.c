/* SPDX-License-Identifier: Apache-2.0 */
/* resize.c — Resize (10, 11, 13, 18) and Upsample (7, 9): the attributes and constant inputs turned
 * into per-axis tables once per plan, then nearest gathers, a float 2-D path or a double N-D path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/resize.h"
#include "shapeops.h"
#include "threadpool.h"

static const onnxbn_attr_spec resize_attrs[] = {
    {"mode", ONNXBN_ATTR_STRING, false, 0, 0},
    {"coordinate_transformation_mode", ONNXBN_ATTR_STRING, false, 11, 0},
    {"cubic_coeff_a", ONNXBN_ATTR_FLOAT, false, 11, 0},
    {"exclude_outside", ONNXBN_ATTR_INT, false, 11, 0},
    {"extrapolation_value", ONNXBN_ATTR_FLOAT, false, 11, 0},
    {"nearest_mode", ONNXBN_ATTR_STRING, false, 11, 0},
    {"antialias", ONNXBN_ATTR_INT, false, 18, 0},
    {"axes", ONNXBN_ATTR_INTS, false, 18, 0},
    {"keep_aspect_ratio_policy", ONNXBN_ATTR_STRING, false, 18, 0},
    {NULL, 0, false, 0, 0},
};

static const onnxbn_attr_spec upsample_attrs[] = {
    {"mode", ONNXBN_ATTR_STRING, false, 0, 0},
    {"scales", ONNXBN_ATTR_FLOATS, true, 7, 8},
    {NULL, 0, false, 0, 0},
};

/* What the node asks for, resolved against the input shape. */
typedef struct rs_cfg {
    onnxbn_rs_params p;
    int rank;
    onnxbn_rs_geom g[ONNXBN_MAX_RANK];
    double ev;
} rs_cfg;

typedef enum { PATH_COPY, PATH_NEAREST, PATH_2D, PATH_F32, PATH_F64 } rs_path;

typedef struct rs_state {
    rs_cfg cfg;
    onnxbn_rs_axis ax[ONNXBN_MAX_RANK];
    onnxbn_rs_axis unit; /* the 2-D path's H axis for a rank-1 input */
    rs_path path;
    int64_t planes;      /* 2-D: the product of the leading (unchanged) axes */
    size_t per_thread;   /* 2-D: scratch bytes one thread uses */
    size_t buf_elems;    /* pass paths: elements of each of their two buffers */
    unsigned char ev[16]; /* nearest: the extrapolation value as one element */
} rs_state;

static bool is_legacy(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_Upsample || c->version < 11;
}

static int upsample_max_inputs(int version) { return version < 9 ? 1 : 2; }
static int resize_max_inputs(int version) { return version < 11 ? 2 : 4; }

/* The index of `s` in the NULL-ended `names`, or -1. */
static int pick(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static onnxbn_status string_attr(const onnxbn_kctx *c, const char *name, const char *def,
                                 const char *const *names, int *out)
{
    char buf[48];
    onnxbn_status st = onnxbn_attr_string(c, name, def, buf, sizeof buf);
    if (st)
        return st;
    if ((*out = pick(buf, names)) < 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' is '%s', not one this version knows",
                                name, buf);
    return ONNXBN_OK;
}

/* A present, non-empty input i, else NULL (an empty tensor counts as absent). */
static const onnxbn_tensor *given(const onnxbn_kctx *c, int i)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    return t && t->numel > 0 ? t : NULL;
}

static onnxbn_status need_const(const onnxbn_kctx *c, int i, const char *name)
{
    if (!onnxbn_in(c, i)->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input '%s' ('%.100s') is known only at run time; onnxbn needs it "
                                "constant, since the output shape depends on its values",
                                name, mv_in_name(c, i));
    return ONNXBN_OK;
}

static onnxbn_status parse_modes(const onnxbn_kctx *c, rs_cfg *cfg, bool *keep_min, bool *keep_max)
{
    static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
    static const char *const legacy_modes[] = {"nearest", "linear", NULL};
    static const char *const coords[] = {"half_pixel",   "pytorch_half_pixel",   "align_corners",
                                         "asymmetric",   "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                         NULL};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                           NULL};
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller", NULL};
    onnxbn_rs_params *p = &cfg->p;
    int mode, v;
    onnxbn_status st = string_attr(c, "mode", "nearest", is_legacy(c) ? legacy_modes : modes, &mode);
    if (st)
        return st;
    p->mode = (onnxbn_rs_mode)mode;
    p->cubic_a = -0.75;
    *keep_min = *keep_max = false;
    if (is_legacy(c)) {
        p->coord = ONNXBN_RS_ASYMMETRIC;
        p->nearest = ONNXBN_RS_SIMPLE;
        return ONNXBN_OK;
    }
    float a, ev;
    int64_t excl, anti = 0;
    if ((st = string_attr(c, "coordinate_transformation_mode", "half_pixel", coords, &v)))
        return st;
    p->coord = (onnxbn_rs_coord)v;
    if ((st = string_attr(c, "nearest_mode", "round_prefer_floor", nearests, &v)))
        return st;
    p->nearest = (onnxbn_rs_nearest)v;
    if ((st = onnxbn_attr_float(c, "cubic_coeff_a", -0.75f, &a)) ||
        (st = onnxbn_attr_float(c, "extrapolation_value", 0.0f, &ev)) ||
        (st = onnxbn_attr_int(c, "exclude_outside", 0, &excl)))
        return st;
    p->cubic_a = a;
    cfg->ev = ev;
    p->exclude_outside = excl != 0;
    if (c->version >= 18) {
        if ((st = onnxbn_attr_int(c, "antialias", 0, &anti)) ||
            (st = string_attr(c, "keep_aspect_ratio_policy", "stretch", policies, &v)))
            return st;
        *keep_min = v == 1;
        *keep_max = v == 2;
    }
    /* antialias widens linear and cubic filters; nearest has none to widen */
    p->antialias = anti != 0 && p->mode != ONNXBN_RS_NEAREST;
    return ONNXBN_OK;
}

/* The axes that scales/sizes/roi list (Resize-18's `axes`; every axis before). */
static onnxbn_status parse_axes(const onnxbn_kctx *c, int rank, int *axes, int *na)
{
    const int64_t *v = NULL;
    size_t n = 0;
    onnxbn_status st = c->op == ONNXBN_OP_Resize && c->version >= 18
                           ? onnxbn_attr_ints(c, "axes", &v, &n)
                           : ONNXBN_OK;
    if (st)
        return st;
    if (!v) {
        for (int d = 0; d < rank; d++)
            axes[d] = d;
        *na = rank;
        return ONNXBN_OK;
    }
    if (n > (size_t)rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'axes' has %zu values for rank %d", n,
                                rank);
    bool seen[ONNXBN_MAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) {
        if ((st = onnxbn_mv_axis(c, v[i], rank, "axis", &axes[i])))
            return st;
        if (seen[axes[i]])
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'axes' lists axis %d twice",
                                    axes[i]);
        seen[axes[i]] = true;
    }
    *na = (int)n;
    return ONNXBN_OK;
}

static onnxbn_status get_cfg(const onnxbn_kctx *c, rs_cfg *cfg)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const int r = x->rank;
    bool keep_min, keep_max;
    memset(cfg, 0, sizeof *cfg);
    cfg->rank = r;
    if (r < 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'X' is a scalar: no axis to resize");
    onnxbn_status st = parse_modes(c, cfg, &keep_min, &keep_max);
    int axes[ONNXBN_MAX_RANK], na = 0;
    if (st || (st = parse_axes(c, r, axes, &na)))
        return st;
    for (int d = 0; d < r; d++) {
        if (x->dims[d] > INT32_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                    "axis %d of input 'X' has %lld elements, at most 2^31-1 supported",
                                    d, (long long)x->dims[d]);
        const double in = (double)x->dims[d];
        cfg->g[d] = (onnxbn_rs_geom){x->dims[d], x->dims[d], 1, in, 0, 1};
    }

    /* where scales, sizes and roi come from in each version */
    const bool upsample = c->op == ONNXBN_OP_Upsample;
    const float *attr_scales = NULL;
    size_t n_attr = 0;
    int i_scales = -1, i_sizes = -1, i_roi = -1;
    if (upsample && c->version < 9) {
        if ((st = onnxbn_attr_floats(c, "scales", &attr_scales, &n_attr)))
            return st;
    } else if (upsample || c->version < 11) {
        i_scales = 1;
    } else {
        i_roi = 1;
        i_scales = 2;
        i_sizes = 3;
    }
    const onnxbn_tensor *ts = i_scales > 0 ? given(c, i_scales) : NULL;
    const onnxbn_tensor *tz = i_sizes > 0 ? given(c, i_sizes) : NULL;
    if (ts && tz)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "inputs 'scales' (%lld values) and 'sizes' (%lld values) are both "
                                "given; exactly one may be",
                                (long long)ts->numel, (long long)tz->numel);
    if (!ts && !tz && !attr_scales)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "needs 'scales'%s; %s empty or absent", i_sizes > 0 ? " or 'sizes'" : "",
                                i_sizes > 0 ? "both are" : "it is");
    double scale[ONNXBN_MAX_RANK];
    int64_t sizes[ONNXBN_MAX_RANK];
    const int64_t n_given = attr_scales ? (int64_t)n_attr : ts ? ts->numel : tz->numel;
    const char *what = ts || attr_scales ? "scales" : "sizes";
    if (n_given != na)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s '%s' has %lld values, expected %d (one per %s)",
                                attr_scales ? "attribute" : "input", what, (long long)n_given, na,
                                na == r ? "axis of 'X'" : "entry of 'axes'");
    if (ts) {
        if (ts->dtype != ONNXBN_FLOAT)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'scales' is %s, expected float",
                                    onnxbn_dtype_name(ts->dtype));
        if ((st = need_const(c, i_scales, "scales")))
            return st;
        for (int i = 0; i < na; i++)
            scale[i] = ((const float *)ts->data)[i];
    } else if (attr_scales) {
        for (int i = 0; i < na; i++)
            scale[i] = attr_scales[i];
    } else {
        size_t n;
        if ((st = onnxbn_mv_const_ints(c, i_sizes, "sizes", MV_T(ONNXBN_INT64), false, sizes,
                                       ONNXBN_MAX_RANK, &n)))
            return st;
    }
    for (int i = 0; i < na; i++) {
        if (!tz && !(scale[i] > 0 && scale[i] < INFINITY))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "scale %g of axis %d is not a positive finite number", scale[i],
                                    axes[i]);
        if (tz && sizes[i] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "size %lld of axis %d is negative",
                                    (long long)sizes[i], axes[i]);
        if (tz && x->dims[axes[i]] == 0 && sizes[i] != 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "axis %d has length 0: it cannot become %lld",
                                    axes[i], (long long)sizes[i]);
    }

    const bool crop = cfg->p.coord == ONNXBN_RS_TF_CROP_AND_RESIZE;
    if (crop) {
        const onnxbn_tensor *tr = given(c, i_roi);
        if (!tr)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "coordinate_transformation_mode 'tf_crop_and_resize' needs input 'roi'");
        if (tr->dtype != ONNXBN_FLOAT && tr->dtype != ONNXBN_DOUBLE && tr->dtype != ONNXBN_FLOAT16)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'roi' is %s, expected float16, float or double",
                                    onnxbn_dtype_name(tr->dtype));
        if (tr->numel != 2 * (int64_t)na)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'roi' has %lld values, expected %d (a start and an end per "
                                    "resized axis)",
                                    (long long)tr->numel, 2 * na);
        if ((st = need_const(c, i_roi, "roi")))
            return st;
        for (int i = 0; i < na; i++) {
            cfg->g[axes[i]].roi0 = onnxbn_get_f64(tr, i);
            cfg->g[axes[i]].roi1 = onnxbn_get_f64(tr, na + i);
        }
    }

    double common = 0;
    if (tz && (keep_min || keep_max)) {
        for (int i = 0; i < na; i++) {
            const double s = x->dims[axes[i]] ? (double)sizes[i] / (double)x->dims[axes[i]] : 1;
            if (i == 0 || (keep_min && s < common) || (keep_max && s > common))
                common = s;
        }
    }
    for (int i = 0; i < na; i++) {
        onnxbn_rs_geom *g = &cfg->g[axes[i]];
        const double in = (double)g->in;
        double out;
        if (tz && (keep_min || keep_max)) {
            g->scale = common;
            g->length = common * in;
            out = floor(g->length + 0.5); /* the reference's round half up */
        } else if (tz) {
            g->scale = g->in ? (double)sizes[i] / in : 1;
            g->length = g->scale * in;
            out = (double)sizes[i];
        } else {
            g->scale = scale[i];
            /* the spec's size rule: tf_crop_and_resize resizes the region, not the whole axis */
            g->length = crop ? in * (g->roi1 - g->roi0) * scale[i] : scale[i] * in;
            out = floor(g->length);
        }
        if (!(out >= 0 && out <= (double)INT32_MAX))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT,
                                    "axis %d would have %g elements, at most 2^31-1 supported", axes[i],
                                    out);
        g->out = (int64_t)out;
    }
    return ONNXBN_OK;
}

static void state_free(void *sp)
{
    rs_state *s = sp;
    if (!s)
        return;
    for (int d = 0; d < ONNXBN_MAX_RANK; d++)
        onnxbn_rs_axis_free(&s->ax[d]);
    onnxbn_rs_axis_free(&s->unit);
    free(s);
}

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

/* The most bytes of per-axis tables a node may ask for: an axis of 16M outputs at 2 taps. */
#define RS_TABLE_MAX (512 << 20)

/* Tables, the path and the scratch it needs; *s is freed by the caller either way. */
static onnxbn_status build(const onnxbn_kctx *c, rs_state *s)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = get_cfg(c, &s->cfg);
    if (st)
        return st;
    const rs_cfg *cfg = &s->cfg;
    const int r = cfg->rank;
    int moved = 0, lowest = r; /* axes that are not identity, and the first of them */
    double table_bytes = 0;
    for (int d = 0; d < r; d++) {
        const onnxbn_rs_geom *g = &cfg->g[d];
        /* an antialias filter spans 2/scale (linear) or 4/scale (cubic) inputs; with at least
         * one output, scale >= 1/in except for a tf_crop_and_resize region wider than the input */
        const int64_t taps = g->out > 0 ? onnxbn_rs_taps(&cfg->p, g->scale, 4 * g->in + 8) : 1;
        if (taps < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT,
                                    "the antialias filter of axis %d (scale %g) is wider than 4 x its "
                                    "%lld inputs",
                                    d, g->scale, (long long)g->in);
        /* tables are made here, before the planner holds the output to the memory budget: a
         * huge `sizes` must be refused before it is allocated (an index, two weights a tap) */
        table_bytes += (double)g->out * ((double)taps * 16 + 1);
        if (table_bytes > (double)RS_TABLE_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT,
                                    "the tables of axis %d (%lld outputs, %lld taps each) pass %d MiB",
                                    d, (long long)g->out, (long long)taps, RS_TABLE_MAX >> 20);
        if (!onnxbn_rs_axis_build(&s->ax[d], &cfg->p, g))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the tables of axis %d", d);
        if (!s->ax[d].identity) {
            moved++;
            if (lowest == r)
                lowest = d;
        }
    }
    onnxbn_rs_store(x->dtype, s->ev, 0, cfg->ev);
    const size_t threads = (size_t)(c->threads > 1 ? c->threads : 1);
    if (moved == 0) {
        s->path = PATH_COPY;
    } else if (cfg->p.mode == ONNXBN_RS_NEAREST) {
        s->path = PATH_NEAREST;
    } else if (x->dtype == ONNXBN_FLOAT && lowest >= r - 2) {
        s->path = PATH_2D;
        s->planes = 1;
        for (int d = 0; d < r - 2; d++)
            s->planes *= x->dims[d];
        if (r == 1 && !onnxbn_rs_axis_identity(&s->unit, 1))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
        const onnxbn_rs_axis *h = r == 1 ? &s->unit : &s->ax[r - 2], *w = &s->ax[r - 1];
        s->per_thread = round64((size_t)h->taps * (size_t)w->out * sizeof(float)) +
                        round64(2 * (size_t)h->taps * sizeof(int64_t));
        if (s->per_thread > SIZE_MAX / threads)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "scratch too large");
    } else {
        if (!onnxbn_dtype_is_numeric(x->dtype))
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "mode '%s' on %s is not supported",
                                    cfg->p.mode == ONNXBN_RS_LINEAR ? "linear" : "cubic",
                                    onnxbn_dtype_name(x->dtype));
        /* float passes read X and write Y themselves and need room for the results between;
         * double passes also hold the input and the output converted */
        s->path = x->dtype == ONNXBN_FLOAT ? PATH_F32 : PATH_F64;
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < r; d++)
            dims[d] = cfg->g[d].in;
        size_t most = s->path == PATH_F64 ? (size_t)x->numel : 0;
        for (int d = r - 1, left = moved; d >= 0; d--) {
            if (s->ax[d].identity)
                continue;
            dims[d] = cfg->g[d].out;
            size_t n = 1;
            for (int k = 0; k < r; k++)
                if (!onnxbn_mul_size(n, (size_t)dims[k], &n))
                    return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "intermediate too large");
            if (--left > 0 || s->path == PATH_F64)
                most = n > most ? n : most;
        }
        if (most > SIZE_MAX / 32)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "intermediate too large");
        s->buf_elems = most;
    }
    return ONNXBN_OK;
}

static size_t workspace_of(const onnxbn_kctx *c, const rs_state *s)
{
    const size_t threads = (size_t)(c->threads > 1 ? c->threads : 1);
    switch (s->path) {
    case PATH_2D:
        return s->per_thread * threads;
    case PATH_F32:
        return 2 * round64(s->buf_elems * sizeof(float));
    case PATH_F64:
        return 2 * round64(s->buf_elems * sizeof(double));
    default:
        return 0;
    }
}

static onnxbn_status resize_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    const uint32_t types = c->op == ONNXBN_OP_Resize && c->version >= 13 ? MV_ALL : MV_ALL12;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "X", types);
    if (st)
        return st;
    rs_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    st = build(c, s);
    if (!st) {
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < x->rank; d++)
            dims[d] = s->cfg.g[d].out;
        st = onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
        c->workspace = workspace_of(c, s);
    }
    state_free(s);
    return st;
}

static onnxbn_status resize_prepare(onnxbn_kctx *c)
{
    rs_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = build(c, s);
    if (st) {
        state_free(s);
        return st;
    }
    c->state = s;
    return ONNXBN_OK;
}

/* ---- run ---- */

typedef struct rs_job {
    const rs_state *s;
    const onnxbn_kctx *c;
    const void *x;
    void *y;
    size_t parts, units, rows_per_unit;
} rs_job;

static void nearest_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const rs_job *j = arg;
    size_t lo, hi;
    onnxbn_split(j->units, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_rs_gather(j->s->ax, j->s->cfg.rank, onnxbn_dtype_size(onnxbn_in(j->c, 0)->dtype), j->x,
                          j->y, j->s->ev, lo, hi);
}

/* 2-D: a unit is one block of output rows of one plane; thread t takes a contiguous run of units,
 * so with more planes than threads each thread has whole planes. */
static void plane_task(void *arg, size_t t, int thread)
{
    const rs_job *j = arg;
    const rs_state *s = j->s;
    const int r = s->cfg.rank;
    const onnxbn_rs_axis *h = r == 1 ? &s->unit : &s->ax[r - 2], *w = &s->ax[r - 1];
    char *scratch = (char *)j->c->scratch + (size_t)thread * s->per_thread;
    int64_t *tags = (int64_t *)(void *)(scratch +
                                        round64((size_t)h->taps * (size_t)w->out * sizeof(float)));
    const size_t in_sz = (size_t)h->in * (size_t)w->in, out_sz = (size_t)h->out * (size_t)w->out;
    size_t lo, hi;
    onnxbn_split(j->units, j->parts, t, 1, &lo, &hi);
    for (size_t u = lo; u < hi; u++) {
        if (onnxbn_stopped(j->c->stop))
            return;
        const size_t plane = u / j->rows_per_unit, blk = u % j->rows_per_unit;
        size_t r0, r1;
        onnxbn_split((size_t)h->out, j->rows_per_unit, blk, 1, &r0, &r1);
        onnxbn_rs_2d_f32(h, w, (const float *)j->x + plane * in_sz, (float *)j->y + plane * out_sz,
                         (int64_t)r0, (int64_t)r1, (float)s->cfg.ev, (float *)(void *)scratch, tags);
    }
}

typedef struct pass_job {
    const onnxbn_rs_axis *a;
    const float *x;
    float *y;
    size_t parts;
    int64_t outer, inner;
    float ev;
} pass_job;

static void pass_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const pass_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->outer, j->parts, t, 1, &lo, &hi);
    if (lo < hi)
        onnxbn_rs_pass_f32(j->a, j->x + lo * (size_t)j->a->in * (size_t)j->inner,
                           j->y + lo * (size_t)j->a->out * (size_t)j->inner, (int64_t)(hi - lo),
                           j->inner, j->ev);
}

/* Float, any axes: one pass per changed axis, last first, X → scratch → ... → Y; each pass split
 * over the slices before its axis when there are enough of them. */
static void run_f32(const onnxbn_kctx *c, const rs_state *s)
{
    const int r = s->cfg.rank;
    const size_t threads = (size_t)onnxbn_pool_threads(c->pool);
    float *buf[2] = {c->scratch, (float *)(void *)((char *)c->scratch +
                                                  round64(s->buf_elems * sizeof(float)))};
    int64_t dims[ONNXBN_MAX_RANK];
    int left = 0;
    for (int d = 0; d < r; d++) {
        dims[d] = s->cfg.g[d].in;
        left += !s->ax[d].identity;
    }
    const float *src = onnxbn_in(c, 0)->data;
    for (int d = r - 1, i = 0; d >= 0; d--) {
        if (s->ax[d].identity)
            continue;
        pass_job j = {&s->ax[d], src, --left ? buf[i % 2] : onnxbn_out(c, 0)->data, 1, 1, 1,
                      (float)s->cfg.ev};
        for (int k = 0; k < d; k++)
            j.outer *= dims[k];
        for (int k = d + 1; k < r; k++)
            j.inner *= dims[k];
        if (threads >= 2 && (size_t)j.outer >= threads &&
            (double)j.outer * (double)j.inner * (double)s->ax[d].out >= 16384) {
            j.parts = threads;
            onnxbn_pool_run_fixed(c->pool, pass_task, &j);
        } else {
            pass_task(&j, 0, 0);
        }
        dims[d] = s->cfg.g[d].out;
        src = j.y;
        i++;
    }
}

static void run_f64(const onnxbn_kctx *c, const rs_state *s)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const int r = s->cfg.rank;
    double *a = c->scratch, *b = (double *)(void *)((char *)c->scratch +
                                                    round64(s->buf_elems * sizeof(double)));
    for (int64_t i = 0; i < x->numel; i++)
        a[i] = onnxbn_load_f64(x->dtype, x->data, i);
    int64_t dims[ONNXBN_MAX_RANK];
    for (int d = 0; d < r; d++)
        dims[d] = s->cfg.g[d].in;
    /* the last axis first, as the reference's recursion combines them */
    for (int d = r - 1; d >= 0; d--) {
        if (s->ax[d].identity)
            continue;
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < d; k++)
            outer *= dims[k];
        for (int k = d + 1; k < r; k++)
            inner *= dims[k];
        onnxbn_rs_pass_f64(&s->ax[d], a, b, outer, inner, s->cfg.ev);
        dims[d] = s->cfg.g[d].out;
        double *t = a;
        a = b;
        b = t;
    }
    for (int64_t i = 0; i < y->numel; i++)
        onnxbn_rs_store(y->dtype, y->data, i, a[i]);
}

static onnxbn_status resize_run(onnxbn_kctx *c)
{
    const rs_state *s = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(s, c->err);
    if (y->numel == 0)
        return ONNXBN_OK;
    const size_t threads = (size_t)onnxbn_pool_threads(c->pool);
    rs_job j = {s, c, x->data, y->data, threads, 0, 1};
    switch (s->path) {
    case PATH_COPY:
        ONNXBN_CHECK(y->nbytes == x->nbytes, c->err);
        memcpy(y->data, x->data, y->nbytes);
        return ONNXBN_OK;
    case PATH_NEAREST:
        j.units = (size_t)(y->numel / s->cfg.g[s->cfg.rank - 1].out);
        if (threads < 2 || y->numel < 32768 || j.units < 2) {
            onnxbn_rs_gather(s->ax, s->cfg.rank, onnxbn_dtype_size(x->dtype), x->data, y->data, s->ev,
                              0, j.units);
            return ONNXBN_OK;
        }
        onnxbn_pool_run_fixed(c->pool, nearest_task, &j);
        return ONNXBN_OK;
    case PATH_2D: {
        ONNXBN_CHECK(x->dtype == ONNXBN_FLOAT && c->scratch, c->err);
        const size_t planes = (size_t)s->planes;
        const size_t ho = (size_t)(s->cfg.rank == 1 ? 1 : s->cfg.g[s->cfg.rank - 2].out);
        if (threads < 2 || y->numel < 16384) {
            j.parts = 1;
        } else if (planes < 2 * threads) {
            /* few planes: split their rows too, so every thread has work */
            size_t want = (2 * threads + planes - 1) / planes;
            j.rows_per_unit = want < ho ? want : ho;
        }
        j.units = planes * j.rows_per_unit;
        if (j.parts == 1)
            plane_task(&j, 0, 0);
        else
            onnxbn_pool_run_fixed(c->pool, plane_task, &j);
        return ONNXBN_OK;
    }
    case PATH_F32:
        ONNXBN_CHECK(x->dtype == ONNXBN_FLOAT && (s->buf_elems == 0 || c->scratch), c->err);
        run_f32(c, s);
        return ONNXBN_OK;
    case PATH_F64:
        ONNXBN_CHECK(c->scratch, c->err);
        run_f64(c, s);
        return ONNXBN_OK;
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_resize = {
    .attrs = resize_attrs,
    .max_inputs_at = resize_max_inputs,
    .infer = resize_infer,
    .prepare = resize_prepare,
    .run = resize_run,
    .free_state = state_free,
};

const onnxbn_op_def onnxbn_op_upsample = {
    .attrs = upsample_attrs,
    .max_inputs_at = upsample_max_inputs,
    .infer = resize_infer,
    .prepare = resize_prepare,
    .run = resize_run,
    .free_state = state_free,
};
