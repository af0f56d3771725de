/* SPDX-License-Identifier: Apache-2.0 */
/* signal.c — DFT and STFT (17) over kernels/fft.c, the Hann, Hamming and Blackman windows and
 * MelWeightMatrix (17): shapes from constant lengths, one FFT plan per node made at prepare. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fft.h"
#include "shapeops.h"
#include "threadpool.h"

/* float16, float, double and bfloat16: the T1 of DFT and STFT, T2 of MelWeightMatrix. */
#define SIG_FLOATS (MV_FLOATS | MV_T(ONNXBN_BFLOAT16))
/* Every numeric type but bool: what the windows and MelWeightMatrix may output. */
#define SIG_OUT_TYPES (MV_NUMERIC | MV_T(ONNXBN_BFLOAT16))

/* One node's transform: its length and plan. The lines are split over the session's threads. */
typedef struct sig_state {
    onnxbn_fft *fft;
    int64_t n;         /* the DFT length (DFT: dft_length or the axis; STFT: frame_length) */
    size_t per_thread; /* doubles of scratch one thread uses */
} sig_state;

static void sig_free(void *p)
{
    sig_state *s = p;
    if (s)
        onnxbn_fft_free(s->fft);
    free(s);
}

/* A constant scalar (or one-element 1-D) int32/int64 input, which must be positive. */
static onnxbn_status pos_scalar(const onnxbn_kctx *c, int i, const char *name, int64_t *v)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    size_t n = 0;
    onnxbn_status st = onnxbn_mv_const_ints(c, i, name, MV_INDEX, true, v, 1, &n);
    if (st)
        return st;
    if (n != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%.100s') must hold one value, "
                                "has %lld", name, mv_in_name(c, i), (long long)t->numel);
    if (*v <= 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%.100s') is %lld, must be "
                                "positive", name, mv_in_name(c, i), (long long)*v);
    return ONNXBN_OK;
}

/* A 0/1 attribute. */
static onnxbn_status flag_attr(const onnxbn_kctx *c, const char *name, int64_t def, bool *out)
{
    int64_t v;
    onnxbn_status st = onnxbn_attr_int(c, name, def, &v);
    if (st)
        return st;
    if (v != 0 && v != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' is %lld, must be 0 or 1",
                                name, (long long)v);
    *out = v != 0;
    return ONNXBN_OK;
}

/* A plan is node state, outside the planner's memory budget: like Resize's tables, one above
 * 512 MiB is refused (a power of two up to 2^26, lengths of primes up to 13 up to 2^25, any
 * other length up to about 2^23). */
#define SIG_PLAN_MAX ((size_t)512 << 20)

/* The length limits, and scratch per thread: one line of n complex doubles plus what Bluestein
 * needs. */
static onnxbn_status plan_len(onnxbn_kctx *c, int64_t n, const char *what)
{
    if ((uint64_t)n > ONNXBN_FFT_MAX_N)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%s %lld is above the longest transform "
                                "onnxbn runs (%zu)", what, (long long)n, ONNXBN_FFT_MAX_N);
    if (onnxbn_fft_plan_bytes((size_t)n) > SIG_PLAN_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "%s %lld needs an FFT plan of %zu MiB, above "
                                "the %zu MiB onnxbn allows one node", what, (long long)n,
                                onnxbn_fft_plan_bytes((size_t)n) >> 20, SIG_PLAN_MAX >> 20);
    size_t per = n ? 2 * (size_t)n + onnxbn_fft_scratch((size_t)n) : 0;
    c->workspace = per * sizeof(double) * (size_t)(c->threads > 1 ? c->threads : 1);
    return ONNXBN_OK;
}

static onnxbn_status sig_prepare_n(onnxbn_kctx *c, int64_t n)
{
    sig_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the FFT plan");
    s->n = n;
    s->per_thread = n ? 2 * (size_t)n + onnxbn_fft_scratch((size_t)n) : 0;
    if (n > 0 && !(s->fft = onnxbn_fft_new((size_t)n))) {
        free(s);
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for an FFT plan of length %lld",
                                (long long)n);
    }
    c->state = s;
    return ONNXBN_OK;
}

/* ---- the lines: each a strided complex (or real) sequence in, a strided complex one out ---- */

/* What one transform task does: lines [0, lines) of `outer` x `inner`, each read from x at
 * base (o * x_outer + i * x_inner), `n_in` elements `x_step` apart (with `comp` components per
 * element, times `win` when given), and written to y as `n_out` complex values `y_step` apart. */
typedef struct sig_job {
    const sig_state *s;
    const onnxbn_tensor *x, *win;
    onnxbn_tensor *y;
    int64_t lines, inner, x_outer, x_inner, x_step, n_in, comp;
    int64_t y_outer, y_inner, y_step, n_out;
    bool inverse;
    double *scratch;
    onnxbn_stop *stop;
    int threads;
} sig_job;

static void sig_lines(void *arg, size_t task, int thread)
{
    const sig_job *j = arg;
    size_t lo, hi;
    onnxbn_split((size_t)j->lines, (size_t)j->threads, task, 1, &lo, &hi);
    double *buf = j->scratch + (size_t)thread * j->s->per_thread;
    double *work = buf + 2 * j->s->n;
    int64_t n = j->s->n;
    double scale = j->inverse ? 1.0 / (double)n : 1.0;
    for (size_t l = lo; l < hi; l++) {
        if ((l - lo) % 32 == 31 && onnxbn_stopped(j->stop))
            return;
        int64_t o = (int64_t)l / j->inner, i = (int64_t)l % j->inner;
        int64_t xb = o * j->x_outer + i * j->x_inner;
        if (j->x->dtype == ONNXBN_FLOAT && !j->win) { /* the common case without a call each */
            const float *x = (const float *)j->x->data + xb;
            for (int64_t k = 0; k < j->n_in; k++) {
                buf[2 * k] = x[k * j->x_step];
                buf[2 * k + 1] = j->comp == 2 ? x[k * j->x_step + 1] : 0.0;
            }
        } else {
            for (int64_t k = 0; k < j->n_in; k++) {
                double w = j->win ? onnxbn_get_f64(j->win, k) : 1.0;
                int64_t e = xb + k * j->x_step;
                buf[2 * k] = onnxbn_get_f64(j->x, e) * w;
                buf[2 * k + 1] = j->comp == 2 ? onnxbn_get_f64(j->x, e + 1) * w : 0.0;
            }
        }
        memset(buf + 2 * j->n_in, 0, (size_t)(n - j->n_in) * 2 * sizeof(double));
        onnxbn_fft_run(j->s->fft, buf, j->inverse, work);
        int64_t yb = o * j->y_outer + i * j->y_inner;
        if (j->y->dtype == ONNXBN_FLOAT) {
            float *y = (float *)j->y->data + yb;
            for (int64_t k = 0; k < j->n_out; k++) {
                y[k * j->y_step] = (float)(buf[2 * k] * scale);
                y[k * j->y_step + 1] = (float)(buf[2 * k + 1] * scale);
            }
        } else {
            for (int64_t k = 0; k < j->n_out; k++) {
                onnxbn_set_f64(j->y, yb + k * j->y_step, buf[2 * k] * scale);
                onnxbn_set_f64(j->y, yb + k * j->y_step + 1, buf[2 * k + 1] * scale);
            }
        }
    }
}

static onnxbn_status sig_run_lines(onnxbn_kctx *c, sig_job *j)
{
    j->s = c->state;
    j->scratch = c->scratch;
    j->stop = c->stop;
    j->threads = onnxbn_pool_threads(c->pool);
    /* infer sized the scratch for c->threads lines at once */
    ONNXBN_CHECK(j->threads <= (c->threads > 1 ? c->threads : 1), c->err);
    if (j->lines == 0 || j->n_out == 0)
        return ONNXBN_OK;
    if ((int64_t)j->threads > j->lines)
        j->threads = (int)j->lines;
    onnxbn_pool_run(j->threads > 1 ? c->pool : NULL, (size_t)j->threads, sig_lines, j);
    return ONNXBN_OK;
}

/* ---- DFT ---- */

static const onnxbn_attr_spec dft_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {"inverse", ONNXBN_ATTR_INT, false, 0, 0},
    {"onesided", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct dft_geo {
    int axis;
    int64_t n;
    bool inverse, onesided;
} dft_geo;

/* The attributes and lengths, checked against input 0 ([batch, signal..., 1 or 2]). */
static onnxbn_status dft_geometry(onnxbn_kctx *c, dft_geo *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axis;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", SIG_FLOATS)) ||
        (st = onnxbn_attr_int(c, "axis", 1, &axis)) ||
        (st = flag_attr(c, "inverse", 0, &g->inverse)) ||
        (st = flag_attr(c, "onesided", 0, &g->onesided)))
        return st;
    if (x->rank < 2 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') must be [batch, "
                                "signal..., 1 or 2] (real or complex), has rank %d and last dim "
                                "%lld", mv_in_name(c, 0), x->rank,
                                (long long)(x->rank ? x->dims[x->rank - 1] : 0));
    /* Axes count over every dim but the last (real, imaginary); negative ones from the end of
     * the whole shape, as DFT-20 spells out: [-rank, -2] and [0, rank - 2]. */
    int64_t a = axis < 0 ? axis + x->rank : axis;
    if (a < 0 || a > x->rank - 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "attribute 'axis' %lld is out of range for "
                                "input of rank %d (takes [%d, -2] or [0, %d]; the last dim holds "
                                "the real and imaginary parts)", (long long)axis, x->rank,
                                -x->rank, x->rank - 2);
    g->axis = (int)a;
    g->n = x->dims[a];
    if (onnxbn_in(c, 1) && (st = pos_scalar(c, 1, "dft_length", &g->n)))
        return st;
    if (g->onesided && x->dims[x->rank - 1] == 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "onesided=1 needs a real input (last dim 1); "
                                "'%.100s' is complex (last dim 2)", mv_in_name(c, 0));
    return ONNXBN_OK;
}

static onnxbn_status dft_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    dft_geo g;
    onnxbn_status st = dft_geometry(c, &g);
    if (st || (st = plan_len(c, g.n, "dft_length")))
        return st;
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[g.axis] = g.onesided ? g.n / 2 + 1 : g.n;
    dims[x->rank - 1] = 2;
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
}

static onnxbn_status dft_prepare(onnxbn_kctx *c)
{
    dft_geo g;
    onnxbn_status st = dft_geometry(c, &g);
    return st ? st : sig_prepare_n(c, g.n);
}

static onnxbn_status dft_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    dft_geo g;
    onnxbn_status st = dft_geometry(c, &g);
    if (st)
        return st;
    const sig_state *s = c->state;
    ONNXBN_CHECK(s && s->n == g.n && y->dtype == x->dtype, c->err);
    int r = x->rank;
    int64_t outer = 1, inner = 1, comp = x->dims[r - 1];
    for (int d = 0; d < g.axis; d++)
        outer *= x->dims[d];
    for (int d = g.axis + 1; d < r - 1; d++)
        inner *= x->dims[d];
    int64_t len = x->dims[g.axis], n_out = y->dims[g.axis];
    sig_job j = {
        .x = x, .y = y, .lines = outer * inner, .inner = inner ? inner : 1,
        .x_outer = len * inner * comp, .x_inner = comp, .x_step = inner * comp,
        .n_in = len < g.n ? len : g.n, .comp = comp,
        .y_outer = n_out * inner * 2, .y_inner = 2, .y_step = inner * 2, .n_out = n_out,
        .inverse = g.inverse,
    };
    return sig_run_lines(c, &j);
}

const onnxbn_op_def onnxbn_op_dft = {
    .attrs = dft_attrs,
    .infer = dft_infer,
    .prepare = dft_prepare,
    .run = dft_run,
    .free_state = sig_free,
};

/* ---- STFT ---- */

static const onnxbn_attr_spec stft_attrs[] = {
    {"onesided", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

typedef struct stft_geo {
    int64_t step, len, frames;
    bool onesided;
} stft_geo;

static onnxbn_status stft_geometry(onnxbn_kctx *c, stft_geo *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *w = onnxbn_in(c, 2);
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "signal", SIG_FLOATS)) ||
        (st = flag_attr(c, "onesided", 1, &g->onesided)) ||
        (st = pos_scalar(c, 1, "frame_step", &g->step)))
        return st;
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'signal' ('%.100s') must be [batch, "
                                "length, 1 or 2] (real or complex), has rank %d",
                                mv_in_name(c, 0), x->rank);
    if (g->onesided && x->dims[2] == 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "onesided=1 needs a real signal (last dim 1); "
                                "'%.100s' is complex (last dim 2)", mv_in_name(c, 0));
    if (w) {
        if ((st = onnxbn_mv_check_type(c, 2, "window", MV_T(x->dtype))))
            return st;
        if (w->rank != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'window' ('%.100s') must have rank "
                                    "1, has %d", mv_in_name(c, 2), w->rank);
    }
    if (onnxbn_in(c, 3)) {
        if ((st = pos_scalar(c, 3, "frame_length", &g->len)))
            return st;
        if (w && w->dims[0] != g->len)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'window' ('%.100s') has %lld "
                                    "elements, frame_length is %lld", mv_in_name(c, 2),
                                    (long long)w->dims[0], (long long)g->len);
    } else if (w) {
        g->len = w->dims[0];
        if (g->len == 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'window' ('%.100s') is empty",
                                    mv_in_name(c, 2));
    } else {
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "needs 'window' or 'frame_length' for the "
                                "length of a frame; neither is given");
    }
    if (g->len > x->dims[1])
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "frame length %lld is longer than the signal "
                                "'%.100s' (%lld samples)", (long long)g->len, mv_in_name(c, 0),
                                (long long)x->dims[1]);
    g->frames = (x->dims[1] - g->len) / g->step + 1;
    return ONNXBN_OK;
}

static onnxbn_status stft_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    stft_geo g;
    onnxbn_status st = stft_geometry(c, &g);
    if (st || (st = plan_len(c, g.len, "frame length")))
        return st;
    int64_t dims[4] = {x->dims[0], g.frames, g.onesided ? g.len / 2 + 1 : g.len, 2};
    return onnxbn_mv_set_out(c, 0, x->dtype, 4, dims);
}

static onnxbn_status stft_prepare(onnxbn_kctx *c)
{
    stft_geo g;
    onnxbn_status st = stft_geometry(c, &g);
    return st ? st : sig_prepare_n(c, g.len);
}

static onnxbn_status stft_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    stft_geo g;
    onnxbn_status st = stft_geometry(c, &g);
    if (st)
        return st;
    const sig_state *s = c->state;
    ONNXBN_CHECK(s && s->n == g.len && y->dtype == x->dtype, c->err);
    int64_t comp = x->dims[2], bins = y->dims[2];
    /* A line is one frame: frames are `step` samples apart within a signal. */
    sig_job j = {
        .x = x, .win = onnxbn_in(c, 2), .y = y, .lines = x->dims[0] * g.frames,
        .inner = g.frames, .x_outer = x->dims[1] * comp, .x_inner = g.step * comp,
        .x_step = comp, .n_in = g.len, .comp = comp,
        .y_outer = g.frames * bins * 2, .y_inner = bins * 2, .y_step = 2, .n_out = bins,
    };
    return sig_run_lines(c, &j);
}

const onnxbn_op_def onnxbn_op_stft = {
    .attrs = stft_attrs,
    .infer = stft_infer,
    .prepare = stft_prepare,
    .run = stft_run,
    .free_state = sig_free,
};

/* ---- HannWindow, HammingWindow, BlackmanWindow ---- */

static const onnxbn_attr_spec window_attrs[] = {
    {"output_datatype", ONNXBN_ATTR_INT, false, 0, 0},
    {"periodic", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* The `output_datatype` attribute (default float), one of `allowed`. */
static onnxbn_status out_type(const onnxbn_kctx *c, onnxbn_dtype *t)
{
    int64_t v;
    onnxbn_status st = onnxbn_attr_int(c, "output_datatype", ONNXBN_FLOAT, &v);
    if (st)
        return st;
    if (v <= 0 || v > 31)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "attribute 'output_datatype' %lld is not an "
                                "element type", (long long)v);
    *t = (onnxbn_dtype)v;
    return onnxbn_mv_check_dtype(c, *t, "attribute 'output_datatype'", SIG_OUT_TYPES);
}

static onnxbn_status window_infer(onnxbn_kctx *c)
{
    onnxbn_dtype t = ONNXBN_FLOAT;
    int64_t size;
    size_t n = 0;
    bool periodic = true;
    onnxbn_status st;
    if ((st = out_type(c, &t)) || (st = flag_attr(c, "periodic", 1, &periodic)) ||
        (st = onnxbn_mv_const_ints(c, 0, "size", MV_INDEX, true, &size, 1, &n)))
        return st;
    if (n != 1 || size < 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'size' ('%.100s') must be one value "
                                "at least 0, %s %lld", mv_in_name(c, 0),
                                n != 1 ? "has values:" : "is", (long long)(n != 1 ? (int64_t)n : size));
    return onnxbn_mv_set_out(c, 0, t, 1, &size);
}

/* Generalised cosine windows: a0 - a1 cos(2 pi k/N) + a2 cos(4 pi k/N), N = size when periodic,
 * size - 1 when symmetric (a symmetric window of one point is 1, as numpy's). Computed in double
 * with the true pi; the ONNX reference's 3.1415 is 3e-5 away, inside the data's tolerance. */
static onnxbn_status window_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    bool periodic = true;
    onnxbn_status st = flag_attr(c, "periodic", 1, &periodic);
    if (st)
        return st;
    double a0 = 0, a1 = 0, a2 = 0;
    switch (c->op) {
    case ONNXBN_OP_HannWindow: a0 = 0.5; a1 = 0.5; break;
    case ONNXBN_OP_HammingWindow: a0 = 25.0 / 46.0; a1 = 21.0 / 46.0; break;
    case ONNXBN_OP_BlackmanWindow: a0 = 0.42; a1 = 0.5; a2 = 0.08; break;
    default: ONNXBN_CHECK(!"a window op", c->err);
    }
    int64_t size = y->dims[0], den = periodic ? size : size - 1;
    for (int64_t k = 0; k < size; k++) {
        double v = 1.0;
        if (den > 0) {
            double ph = 2 * M_PI * (double)k / (double)den;
            v = a0 - a1 * cos(ph) + a2 * cos(2 * ph);
        }
        onnxbn_set_f64(y, k, v);
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_hannwindow = {
    .attrs = window_attrs, .infer = window_infer, .run = window_run,
};
const onnxbn_op_def onnxbn_op_hammingwindow = {
    .attrs = window_attrs, .infer = window_infer, .run = window_run,
};
const onnxbn_op_def onnxbn_op_blackmanwindow = {
    .attrs = window_attrs, .infer = window_infer, .run = window_run,
};

/* ---- MelWeightMatrix ---- */

static const onnxbn_attr_spec mel_attrs[] = {
    {"output_datatype", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status mel_infer(onnxbn_kctx *c)
{
    onnxbn_dtype t = ONNXBN_FLOAT;
    int64_t bins, dft;
    onnxbn_status st;
    if ((st = out_type(c, &t)) || (st = pos_scalar(c, 0, "num_mel_bins", &bins)) ||
        (st = pos_scalar(c, 1, "dft_length", &dft)) ||
        (st = onnxbn_mv_check_type(c, 2, "sample_rate", MV_T(onnxbn_in(c, 0)->dtype))) ||
        (st = onnxbn_mv_check_type(c, 3, "lower_edge_hertz", SIG_FLOATS)) ||
        (st = onnxbn_mv_check_type(c, 4, "upper_edge_hertz", MV_T(onnxbn_in(c, 3)->dtype))))
        return st;
    for (int i = 2; i < 5; i++)
        if (onnxbn_in(c, i)->numel != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input %d ('%.100s') must hold one value, "
                                    "has %lld", i, mv_in_name(c, i),
                                    (long long)onnxbn_in(c, i)->numel);
    int64_t dims[2] = {dft / 2 + 1, bins};
    return onnxbn_mv_set_out(c, 0, t, 2, dims);
}

/* The ONNX reference (melweightmatrix.py) to the letter: num_mel_bins + 2 edges evenly spaced in
 * mel (the step divided by num_mel_bins + 2, as it does), each mapped to the spectrogram bin
 * floor((dft_length + 1) f / sample_rate); triangles rise from edge i to i+1 and fall to i+2. */
static onnxbn_status mel_run(onnxbn_kctx *c)
{
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t nspec = y->dims[0], bins = y->dims[1];
    int64_t dft = onnxbn_get_i64(onnxbn_in(c, 1), 0);
    int64_t rate = onnxbn_get_i64(onnxbn_in(c, 2), 0);
    double lo = onnxbn_get_f64(onnxbn_in(c, 3), 0), hi = onnxbn_get_f64(onnxbn_in(c, 4), 0);
    if (rate <= 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input 'sample_rate' ('%.100s') is %lld, must "
                                "be positive", mv_in_name(c, 2), (long long)rate);
    if (!(lo >= 0 && lo <= hi && hi <= 1e12))
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "needs 0 <= lower_edge_hertz <= "
                                "upper_edge_hertz, has %g and %g", lo, hi);
    double mlo = 2595 * log10(1 + lo / 700), mhi = 2595 * log10(1 + hi / 700);
    double step = (mhi - mlo) / (double)(bins + 2);
    int64_t *edge = malloc(sizeof(int64_t) * (size_t)(bins + 2));
    if (!edge)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for %lld mel bins",
                                (long long)bins);
    for (int64_t i = 0; i < bins + 2; i++) {
        double f = 700 * (pow(10, ((double)i * step + mlo) / 2595) - 1);
        double b = floor((double)(dft + 1) * f / (double)rate); /* >= 0: lo >= 0 */
        if (!(b < (double)nspec)) { /* before the cast, which b past int64 would make undefined */
            free(edge);
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "band edge %lld falls past the last of "
                                    "the %lld spectrogram bins (upper_edge_hertz %g above half "
                                    "the sample_rate %lld)", (long long)i, (long long)nspec, hi,
                                    (long long)rate);
        }
        edge[i] = (int64_t)b;
    }
    for (int64_t k = 0; k < y->numel; k++)
        onnxbn_set_f64(y, k, 0);
    for (int64_t i = 0; i < bins; i++) {
        int64_t l = edge[i], m = edge[i + 1], r = edge[i + 2];
        if (m == l)
            onnxbn_set_f64(y, m * bins + i, 1);
        else
            for (int64_t j = l; j <= m; j++)
                onnxbn_set_f64(y, j * bins + i, (double)(j - l) / (double)(m - l));
        for (int64_t j = m; j < r; j++)
            onnxbn_set_f64(y, j * bins + i, (double)(r - j) / (double)(r - m));
    }
    free(edge);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_melweightmatrix = {
    .attrs = mel_attrs,
    .infer = mel_infer,
    .run = mel_run,
};
