/* SPDX-License-Identifier: Apache-2.0 */
/* pool.c — pooling inner loops: a float fast path for 1-D, 2-D and 3-D windows without dilation
 * (depth slices, then rows, reduced element-wise, then the taps along the output row) and an N-d loop. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels/clones.h"
#include "kernels/pool.h"

/* The larger of a and m, NaN if either is (as torch and numpy): a NaN in a window is the
 * window's maximum, whatever its place. Element by element, so that it vectorises. */
#define MAXNAN(a, m) ((a) > (m) || (a) != (a) ? (a) : (m))

/* The taps of one window on one axis that land inside the input: [*lo, *hi) of j in [0, k), with
 * *start the input position of tap 0. *lo >= *hi when the window is all padding on that axis. */
static inline void taps(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t dil, int64_t in,
                        int64_t *start, int64_t *lo, int64_t *hi)
{
    const int64_t s = o * stride - pad;
    *start = s;
    *lo = s >= 0 ? 0 : (-s + dil - 1) / dil;
    if (s >= in) {
        *hi = 0;
    } else {
        const int64_t h = (in - s + dil - 1) / dil;
        *hi = h < k ? h : k;
    }
}

/* count_include_pad's divisor on one axis: the taps inside the padded input [−pad, in + pad_end).
 * The window never starts left of it, and the output size keeps its start inside. */
static inline int64_t padded_taps(int64_t s, int64_t k, int64_t dil, int64_t in, int64_t pad_end)
{
    const int64_t room = in + pad_end - s;
    if (room <= 0)
        return 0;
    const int64_t h = (room + dil - 1) / dil;
    return h < k ? h : k;
}

/* Index of a spatial row-major offset with the first axis varying fastest. */
static int64_t col_major(int64_t off, int n, const int64_t *in)
{
    int64_t c[ONNXBN_POOL_MAX_SP];
    for (int d = n - 1; d >= 0; d--) {
        c[d] = off % in[d];
        off /= in[d];
    }
    int64_t idx = 0, mul = 1;
    for (int d = 0; d < n; d++) {
        idx += c[d] * mul;
        mul *= in[d];
    }
    return idx;
}

static inline double ld(const void *p, int64_t i, bool f64)
{
    return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

static inline void st(void *p, int64_t i, double v, bool f64)
{
    if (f64)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

static inline double lp_term(double v, double p)
{
    return p == 2.0 ? v * v : p == 1.0 ? fabs(v) : pow(fabs(v), p);
}

static inline double lp_root(double s, double p)
{
    return p == 2.0 ? sqrt(s) : p == 1.0 ? s : pow(s, 1.0 / p);
}

/* Any rank, dilation, kind and element type (float or double, summed in double). NaN inputs lose
 * every comparison, so max skips them, as numpy.nanmax in the ONNX reference does. */
static void pool_nd(const onnxbn_pool_params *g, const void *x, void *y, int64_t *ind, bool f64)
{
    const int n = g->nsp, last = n - 1;
    int64_t isz = 1, osz = 1, istr[ONNXBN_POOL_MAX_SP];
    for (int d = n - 1; d >= 0; d--) {
        istr[d] = isz;
        isz *= g->in[d];
        osz *= g->out[d];
    }
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const int64_t xo = pl * isz, yo = pl * osz;
        int64_t o[ONNXBN_POOL_MAX_SP] = {0};
        for (int64_t oi = 0; oi < osz; oi++) {
            int64_t s[ONNXBN_POOL_MAX_SP], lo[ONNXBN_POOL_MAX_SP], hi[ONNXBN_POOL_MAX_SP];
            int64_t j[ONNXBN_POOL_MAX_SP];
            bool empty = false;
            double cnt = 1.0;
            for (int d = 0; d < n; d++) {
                taps(o[d], g->stride[d], g->pad[d], g->k[d], g->dil[d], g->in[d], &s[d], &lo[d],
                     &hi[d]);
                empty |= lo[d] >= hi[d];
                cnt *= g->count_pad ? (double)padded_taps(s[d], g->k[d], g->dil[d], g->in[d],
                                                          g->pad_end[d])
                                    : (double)(hi[d] > lo[d] ? hi[d] - lo[d] : 0);
            }
            double acc = g->kind == ONNXBN_POOL_MAX ? -INFINITY : 0.0;
            int64_t best = -1;
            if (!empty) {
                int64_t off0 = 0;
                for (int d = 0; d < n; d++)
                    off0 += (s[d] + lo[d] * g->dil[d]) * istr[d];
                best = off0;
                for (int d = 0; d < last; d++)
                    j[d] = lo[d];
                for (;;) {
                    int64_t pos = s[last] + lo[last] * g->dil[last];
                    for (int d = 0; d < last; d++)
                        pos += (s[d] + j[d] * g->dil[d]) * istr[d];
                    for (int64_t t = lo[last]; t < hi[last]; t++, pos += g->dil[last]) {
                        const double v = ld(x, xo + pos, f64);
                        if (g->kind == ONNXBN_POOL_MAX) {
                            if (v > acc || (v != v && acc == acc)) { /* first NaN wins */
                                acc = v;
                                best = pos;
                            }
                        } else {
                            acc += g->kind == ONNXBN_POOL_AVG ? v : lp_term(v, g->p);
                        }
                    }
                    int d = last - 1;
                    while (d >= 0 && ++j[d] == hi[d]) {
                        j[d] = lo[d];
                        d--;
                    }
                    if (d < 0)
                        break;
                }
            }
            double out;
            if (g->kind == ONNXBN_POOL_MAX)
                out = empty ? g->empty : acc;
            else if (g->kind == ONNXBN_POOL_AVG)
                out = acc / cnt;
            else
                out = lp_root(acc, g->p);
            st(y, yo + oi, out, f64);
            if (ind)
                ind[yo + oi] = empty ? -1 : xo + (g->col_major ? col_major(best, n, g->in) : best);
            for (int d = last; d >= 0 && ++o[d] == g->out[d]; d--)
                o[d] = 0;
        }
    }
}

/* The 2-D geometry of a 1-D or 2-D layer (a 1-D one gets a unit leading axis). */
typedef struct geo2 {
    int64_t h, w, oh, ow, kh, kw, sh, sw, ph, pw, peh, pew;
} geo2;

static geo2 as_2d(const onnxbn_pool_params *g)
{
    const int a = g->nsp - 1; /* the last axis */
    geo2 r = {.h = 1, .oh = 1, .kh = 1, .sh = 1};
    if (g->nsp == 2) {
        r.h = g->in[0];
        r.oh = g->out[0];
        r.kh = g->k[0];
        r.sh = g->stride[0];
        r.ph = g->pad[0];
        r.peh = g->pad_end[0];
    }
    r.w = g->in[a];
    r.ow = g->out[a];
    r.kw = g->k[a];
    r.sw = g->stride[a];
    r.pw = g->pad[a];
    r.pew = g->pad_end[a];
    return r;
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* The output columns [*lo, *hi) whose kernel tap j lands inside the row: 0 <= ow·sw − pw + j < w. */
static inline void tap_cols(const geo2 *q, int64_t j, int64_t *lo, int64_t *hi)
{
    const int64_t a = q->pw - j; /* ow·sw >= a */
    const int64_t b = q->w + q->pw - j; /* ow·sw < b */
    *lo = a <= 0 ? 0 : (a + q->sw - 1) / q->sw;
    *hi = b <= 0 ? 0 : min64((b + q->sw - 1) / q->sw, q->ow);
}

/* One output row from the input rows [hs, he): first the rows are reduced column by column into
 * v (contiguous, vectorisable), then each kernel tap j is applied along the whole output row
 * (a fixed input stride, no per-window bounds). A row that is all padding gives −inf or 0. */
ONNXBN_CLONE_BODY void row2d_f32_body(const geo2 *q, const float *xp, float *yr, int64_t hs,
                                      int64_t he, bool max, float *v)
{
    for (int64_t ow = 0; ow < q->ow; ow++)
        yr[ow] = max ? -INFINITY : 0.0f;
    if (hs >= he)
        return;
    const float *src = xp + hs * q->w;
    if (he - hs > 1) {
        memcpy(v, src, sizeof(float) * (size_t)q->w);
        for (int64_t h = hs + 1; h < he; h++) {
            const float *r = xp + h * q->w;
            if (max)
                for (int64_t w = 0; w < q->w; w++)
                    v[w] = MAXNAN(r[w], v[w]);
            else
                for (int64_t w = 0; w < q->w; w++)
                    v[w] += r[w];
        }
        src = v;
    }
    /* only the taps that land in the row for some output column: a kernel far wider than the
     * input costs nothing extra */
    const int64_t j0 = max64(0, q->pw - (q->ow - 1) * q->sw), j1 = min64(q->kw, q->w + q->pw);
    for (int64_t j = j0; j < j1; j++) {
        int64_t lo, hi;
        tap_cols(q, j, &lo, &hi);
        const int64_t off = j - q->pw, sw = q->sw; /* the tap reads src[ow·sw + off] */
        if (max && sw == 1) {
            for (int64_t ow = lo; ow < hi; ow++)
                yr[ow] = MAXNAN(src[ow + off], yr[ow]);
        } else if (max && sw == 2) {
            /* the stride as a constant: the compiler vectorises it with shuffles (the 3x3/2
             * MaxPool after a ResNet stem) */
            const float *restrict sp = src + off;
            float *restrict yo = yr;
            for (int64_t ow = lo; ow < hi; ow++)
                yo[ow] = MAXNAN(sp[2 * ow], yo[ow]);
        } else if (max) {
            for (int64_t ow = lo; ow < hi; ow++)
                yr[ow] = MAXNAN(src[ow * sw + off], yr[ow]);
        } else if (sw == 1) {
            for (int64_t ow = lo; ow < hi; ow++)
                yr[ow] += src[ow + off];
        } else if (sw == 2) {
            const float *restrict sp = src + off;
            float *restrict yo = yr;
            for (int64_t ow = lo; ow < hi; ow++)
                yo[ow] += sp[2 * ow];
        } else {
            for (int64_t ow = lo; ow < hi; ow++)
                yr[ow] += src[ow * sw + off];
        }
    }
}
ONNXBN_CLONES(static, row2d_f32,
              (const geo2 *q, const float *xp, float *yr, int64_t hs, int64_t he, bool max, float *v),
              (q, xp, yr, hs, he, max, v))

/* Max over a 3-wide window at stride 2 (ResNet's and SqueezeNet's pools), one plane: for each
 * output row the rows [hs, he) reduced into v[0 .. w) with −inf at v[−1] and v[w], then every
 * output column is one branch-free max of three (the general taps loop pays a setup per tap on
 * rows this short). The usual three rows are reduced in one pass (one store of v, not three), and
 * the rows of a plane run in one call: on SqueezeNet's 13x13 to 55x55 outputs the per-row call
 * and the two extra passes over v were most of the time. */
ONNXBN_CLONE_BODY void max_k3s2_plane_body(const geo2 *q, const float *xp, float *yp, float *v)
{
    const int64_t w = q->w;
    for (int64_t oh = 0; oh < q->oh; oh++) {
        const int64_t h0 = oh * q->sh - q->ph;
        const int64_t hs = max64(h0, 0), he = min64(h0 + q->kh, q->h);
        const float *restrict r0 = xp + hs * w;
        float *restrict vv = v;
        if (he - hs == 3) {
            const float *restrict r1 = r0 + w, *restrict r2 = r0 + 2 * w;
            for (int64_t i = 0; i < w; i++) {
                const float m = MAXNAN(r1[i], r0[i]);
                vv[i] = MAXNAN(r2[i], m);
            }
        } else {
            for (int64_t i = 0; i < w; i++)
                vv[i] = r0[i];
            for (int64_t h = hs + 1; h < he; h++) {
                const float *restrict r = xp + h * w;
                for (int64_t i = 0; i < w; i++)
                    vv[i] = MAXNAN(r[i], vv[i]);
            }
        }
        const float *restrict src = v - q->pw; /* window of ow: src[2·ow .. 2·ow + 2] */
        float *restrict out = yp + oh * q->ow;
        for (int64_t ow = 0; ow < q->ow; ow++) {
            const float m = MAXNAN(src[2 * ow + 1], src[2 * ow]);
            out[ow] = MAXNAN(src[2 * ow + 2], m);
        }
    }
}
ONNXBN_CLONES(static, max_k3s2_plane, (const geo2 *q, const float *xp, float *yp, float *v),
              (q, xp, yp, v))

/* Whether max_k3s2_plane applies: every window inside v[−1 .. w] (pads of at most 1), no empty row
 * window (pads below the kernel height), float comparisons as the general loop makes them. */
static bool k3s2(const geo2 *q)
{
    return q->kw == 3 && q->sw == 2 && q->pw <= 1 && 2 * (q->ow - 1) + 2 - q->pw <= q->w &&
           q->ph < q->kh && (q->oh - 1) * q->sh - q->ph < q->h;
}

static void max2d_f32(const onnxbn_pool_params *g, const float *x, float *y, float *v)
{
    const geo2 q = as_2d(g);
    if (k3s2(&q)) {
        const int64_t isz = q.h * q.w, osz = q.oh * q.ow;
        float *vp = v + 1; /* v holds w + 2 floats: the pads either side */
        vp[-1] = -INFINITY;
        vp[q.w] = -INFINITY;
        for (int64_t pl = 0; pl < g->planes; pl++)
            max_k3s2_plane(&q, x + pl * isz, y + pl * osz, vp);
        return;
    }
    const int64_t isz = q.h * q.w, osz = q.oh * q.ow;
    const float empty = (float)g->empty;
    /* every window reaches into the row when the first and the last one do (window starts only
     * grow), the usual case: then no column needs the check below */
    const bool cols_hit = q.pw < q.kw && (q.ow - 1) * q.sw - q.pw < q.w;
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * isz;
        for (int64_t oh = 0; oh < q.oh; oh++) {
            const int64_t h0 = oh * q.sh - q.ph;
            const int64_t hs = max64(h0, 0), he = min64(h0 + q.kh, q.h);
            float *yr = y + pl * osz + oh * q.ow;
            row2d_f32(&q, xp, yr, hs, he, true, v);
            if (cols_hit && hs < he)
                continue;
            /* windows with no input element (pads as wide as the kernel) */
            for (int64_t ow = 0; ow < q.ow; ow++) {
                const int64_t w0 = ow * q.sw - q.pw;
                if (hs >= he || max64(w0, 0) >= min64(w0 + q.kw, q.w))
                    yr[ow] = empty;
            }
        }
    }
}

/* With Indices: window by window, keeping the position of the first maximum. */
static void max2d_ind_f32(const onnxbn_pool_params *g, const float *x, float *y, int64_t *ind)
{
    const geo2 q = as_2d(g);
    const int64_t isz = q.h * q.w, osz = q.oh * q.ow;
    const float empty = (float)g->empty;
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * isz;
        float *yp = y + pl * osz;
        int64_t *ip = ind + pl * osz;
        for (int64_t oh = 0; oh < q.oh; oh++) {
            const int64_t h0 = oh * q.sh - q.ph;
            const int64_t hs = max64(h0, 0), he = min64(h0 + q.kh, q.h);
            for (int64_t ow = 0; ow < q.ow; ow++) {
                const int64_t w0 = ow * q.sw - q.pw;
                const int64_t ws = max64(w0, 0), we = min64(w0 + q.kw, q.w);
                if (hs >= he || ws >= we) {
                    yp[oh * q.ow + ow] = empty;
                    ip[oh * q.ow + ow] = -1;
                    continue;
                }
                float m = -INFINITY;
                int64_t b = hs * q.w + ws;
                for (int64_t h = hs; h < he; h++) {
                    const float *r = xp + h * q.w;
                    for (int64_t w = ws; w < we; w++)
                        if (r[w] > m || (r[w] != r[w] && m == m)) { /* first NaN wins */
                            m = r[w];
                            b = h * q.w + w;
                        }
                }
                yp[oh * q.ow + ow] = m;
                ip[oh * q.ow + ow] = pl * isz + (g->col_major ? b / q.w + (b % q.w) * q.h : b);
            }
        }
    }
}

/* cd: the depth window's divisor of a 3-D layer (1 for 1-D and 2-D) */
static void avg2d_f32(const onnxbn_pool_params *g, const float *x, float *y, float *v, int64_t cd)
{
    const geo2 q = as_2d(g);
    const int64_t isz = q.h * q.w, osz = q.oh * q.ow;
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * isz;
        for (int64_t oh = 0; oh < q.oh; oh++) {
            const int64_t h0 = oh * q.sh - q.ph;
            const int64_t hs = max64(h0, 0), he = min64(h0 + q.kh, q.h);
            const int64_t ch = g->count_pad ? min64(h0 + q.kh, q.h + q.peh) - h0
                                            : max64(he - hs, 0);
            float *yr = y + pl * osz + oh * q.ow;
            row2d_f32(&q, xp, yr, hs, he, false, v);
            for (int64_t ow = 0; ow < q.ow; ow++) {
                const int64_t w0 = ow * q.sw - q.pw;
                const int64_t cw = g->count_pad ? min64(w0 + q.kw, q.w + q.pew) - w0
                                                : max64(min64(w0 + q.kw, q.w) - max64(w0, 0), 0);
                yr[ow] /= (float)(cd * ch * cw);
            }
        }
    }
}

/* Element-wise max or sum of n slices of len floats, slice i at x + i·step, into p. */
ONNXBN_CLONE_BODY void slices_body(const float *x, int64_t step, int64_t n, int64_t len, bool max,
                                   float *p)
{
    memcpy(p, x, sizeof(float) * (size_t)len);
    for (int64_t i = 1; i < n; i++) {
        const float *restrict r = x + i * step;
        float *restrict o = p;
        if (max)
            for (int64_t e = 0; e < len; e++)
                o[e] = MAXNAN(r[e], o[e]);
        else
            for (int64_t e = 0; e < len; e++)
                o[e] += r[e];
    }
}
ONNXBN_CLONES(static, slices, (const float *x, int64_t step, int64_t n, int64_t len, bool max, float *p),
              (x, step, n, len, max, p))

/* 3-D without Indices: for each output depth the input slices of its window are reduced into
 * one H×W plane (separable in depth: kd passes over a plane instead of kd·kh·kw reads an output),
 * which the 2-D path then pools; a window of one slice is read in place. Scratch: the plane,
 * then the 2-D path's row. */
static void pool3d_f32(const onnxbn_pool_params *g, const float *x, float *y, float *scratch)
{
    onnxbn_pool_params g2 = *g;
    g2.nsp = 2;
    g2.planes = 1;
    for (int d = 0; d < 2; d++) {
        g2.in[d] = g->in[d + 1];
        g2.out[d] = g->out[d + 1];
        g2.k[d] = g->k[d + 1];
        g2.stride[d] = g->stride[d + 1];
        g2.pad[d] = g->pad[d + 1];
        g2.pad_end[d] = g->pad_end[d + 1];
        g2.dil[d] = 1;
    }
    const int64_t D = g->in[0], hw = g->in[1] * g->in[2], ohw = g->out[1] * g->out[2];
    const bool max = g->kind == ONNXBN_POOL_MAX;
    float *plane = scratch, *row = scratch + hw;
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * D * hw;
        for (int64_t od = 0; od < g->out[0]; od++) {
            float *yp = y + (pl * g->out[0] + od) * ohw;
            const int64_t d0 = od * g->stride[0] - g->pad[0];
            const int64_t ds = max64(d0, 0), de = min64(d0 + g->k[0], D);
            const int64_t cd = g->count_pad ? min64(d0 + g->k[0], D + g->pad_end[0]) - d0
                                            : max64(de - ds, 0);
            if (ds >= de) { /* the window is all padding in depth */
                const float v = max ? (float)g->empty : 0.0f / (float)cd;
                for (int64_t i = 0; i < ohw; i++)
                    yp[i] = v;
                continue;
            }
            const float *src = xp + ds * hw;
            if (de - ds > 1) {
                slices(src, hw, de - ds, hw, max, plane);
                src = plane;
            }
            if (max)
                max2d_f32(&g2, src, yp, row);
            else
                avg2d_f32(&g2, src, yp, row, cd);
        }
    }
}

static bool fast_path(const onnxbn_pool_params *g)
{
    bool fast = g->nsp <= 3 && g->kind != ONNXBN_POOL_LP;
    for (int d = 0; d < g->nsp; d++)
        fast &= g->dil[d] == 1;
    return fast;
}

size_t onnxbn_pool_scratch(const onnxbn_pool_params *g)
{
    if (!fast_path(g))
        return 0;
    const size_t row = sizeof(float) * ((size_t)g->in[g->nsp - 1] + 2);
    /* the caller guarantees the sizes fit in int64; a plane is less than the whole input */
    return g->nsp == 3 ? row + sizeof(float) * (size_t)(g->in[1] * g->in[2]) : row;
}

void onnxbn_pool_f32(const onnxbn_pool_params *g, const float *x, float *y, int64_t *ind,
                     void *scratch)
{
    if (!fast_path(g) || (g->nsp == 3 && ind))
        pool_nd(g, x, y, ind, false);
    else if (g->nsp == 3)
        pool3d_f32(g, x, y, scratch);
    else if (g->kind == ONNXBN_POOL_MAX && ind)
        max2d_ind_f32(g, x, y, ind);
    else if (g->kind == ONNXBN_POOL_MAX)
        max2d_f32(g, x, y, scratch);
    else
        avg2d_f32(g, x, y, scratch, 1);
}

void onnxbn_pool_f64(const onnxbn_pool_params *g, const double *x, double *y, int64_t *ind)
{
    pool_nd(g, x, y, ind, true);
}

/* Sums in double over 4 lanes (independent chains the compiler can keep in registers). */
/* The planes' sums in double, 16 lanes an element apart added in a fixed tree: the same order,
 * so the same bits, at every ISA level, and the lanes are two AVX-512 vectors (8 doubles each)
 * where the 4 lanes before were scalar SSE2 conversions (GlobalAveragePool was 4% of
 * efficientnet_b0, its squeeze-excitation blocks). */
ONNXBN_CLONE_BODY void gsum_body(const float *x, float *y, int64_t planes, int64_t n)
{
    for (int64_t p = 0; p < planes; p++, x += n) {
        double a[16] = {0};
        int64_t i = 0;
        for (; i + 16 <= n; i += 16)
            for (int l = 0; l < 16; l++)
                a[l] += (double)x[i + l];
        for (; i < n; i++)
            a[i % 16] += (double)x[i];
        for (int w = 8; w >= 1; w /= 2)
            for (int l = 0; l < w; l++)
                a[l] += a[l + w];
        y[p] = (float)(a[0] / (double)n);
    }
}
ONNXBN_CLONES(static, gsum, (const float *x, float *y, int64_t planes, int64_t n), (x, y, planes, n))

static float max_f32(const float *x, int64_t n)
{
    float m[8];
    for (int l = 0; l < 8; l++)
        m[l] = -INFINITY;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++)
            m[l] = MAXNAN(x[i + l], m[l]);
    for (; i < n; i++)
        m[0] = MAXNAN(x[i], m[0]);
    for (int l = 1; l < 8; l++)
        m[0] = MAXNAN(m[l], m[0]);
    return m[0];
}

static double global_one(onnxbn_pool_kind kind, const void *x, int64_t n, double p, bool f64)
{
    if (!f64 && kind == ONNXBN_POOL_MAX)
        return max_f32(x, n);
    double acc = kind == ONNXBN_POOL_MAX ? -INFINITY : 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double v = ld(x, i, f64);
        if (kind == ONNXBN_POOL_MAX)
            acc = MAXNAN(v, acc);
        else
            acc += kind == ONNXBN_POOL_AVG ? v : lp_term(v, p);
    }
    return kind == ONNXBN_POOL_AVG ? acc / (double)n : kind == ONNXBN_POOL_LP ? lp_root(acc, p) : acc;
}

void onnxbn_global_pool_f32(onnxbn_pool_kind kind, const float *x, float *y, int64_t planes,
                            int64_t size, double p)
{
    if (kind == ONNXBN_POOL_AVG) {
        gsum(x, y, planes, size);
        return;
    }
    for (int64_t i = 0; i < planes; i++)
        y[i] = (float)global_one(kind, x + i * size, size, p, false);
}

void onnxbn_global_pool_f64(onnxbn_pool_kind kind, const double *x, double *y, int64_t planes,
                            int64_t size, double p)
{
    for (int64_t i = 0; i < planes; i++)
        y[i] = global_one(kind, x + i * size, size, p, true);
}
