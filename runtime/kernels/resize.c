/* SPDX-License-Identifier: Apache-2.0 */
/* resize.c — Resize's tables and loops: per-axis source indices and weights made once per plan by
 * the ONNX reference's rules, then applied as row loops over contiguous outputs. */
#include "kernels/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/clones.h"

int64_t onnxbn_rs_taps(const onnxbn_rs_params *p, double scale, int64_t limit)
{
    if (p->mode == ONNXBN_RS_NEAREST)
        return 1;
    if (!p->antialias || scale >= 1)
        return p->mode == ONNXBN_RS_LINEAR ? 2 : 4;
    /* the reference's footprint: 2 - 2·(floor(-support/scale) + 1), support 1 (linear), 2 (cubic) */
    const double n = 2 - 2 * (floor((p->mode == ONNXBN_RS_LINEAR ? -1.0 : -2.0) / scale) + 1);
    if (!(n <= (double)limit))
        return -1;
    return (int64_t)n;
}

/* The source coordinate of output o (the reference's x_ori); *outside for tf_crop_and_resize
 * when it falls outside [0, in-1]. */
static double source(const onnxbn_rs_params *p, const onnxbn_rs_geom *g, int64_t o, bool *outside)
{
    const double x = (double)o, in = (double)g->in;
    *outside = false;
    switch (p->coord) {
    case ONNXBN_RS_ALIGN_CORNERS:
        return g->length == 1 ? 0 : x * (in - 1) / (g->length - 1);
    case ONNXBN_RS_ASYMMETRIC:
        return x / g->scale;
    case ONNXBN_RS_TF_CROP_AND_RESIZE: {
        const double d = g->roi1 - g->roi0;
        double v = g->length == 1 ? d * (in - 1) / 2 : x * d * (in - 1) / (g->length - 1);
        v += g->roi0 * (in - 1);
        *outside = !(v >= 0 && v <= in - 1);
        return v;
    }
    case ONNXBN_RS_PYTORCH_HALF_PIXEL:
        /* the reference's -0.5 for a length of 1 (the spec's text says 0) */
        return g->length == 1 ? -0.5 : (x + 0.5) / g->scale - 0.5;
    case ONNXBN_RS_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / g->scale;
    case ONNXBN_RS_HALF_PIXEL:
        break;
    }
    return (x + 0.5) / g->scale - 0.5;
}

static double cubic_w(double x, double a)
{
    x = fabs(x);
    const double x2 = x * x, x3 = x * x2;
    if (x <= 1)
        return (a + 2) * x3 - (a + 3) * x2 + 1;
    if (x < 2)
        return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a;
    return 0;
}

/* The n weights of the reference for ratio r in (0, 1] (tap k sits at x_int - n/2 + 1 + k). */
static void coeffs(const onnxbn_rs_params *p, double scale, double r, int n, double *c)
{
    const double a = p->cubic_a;
    if (p->antialias) {
        const double s = scale < 1 ? scale : 1;
        const int start = 1 - n / 2;
        double sum = 0;
        for (int k = 0; k < n; k++) {
            const double arg = ((double)(start + k) - r) * s;
            double v;
            if (p->mode == ONNXBN_RS_LINEAR) {
                v = 1 - fabs(arg);
                v = v < 0 ? 0 : v > 1 ? 1 : v;
            } else {
                v = cubic_w(arg, a);
            }
            c[k] = v;
            sum += v;
        }
        for (int k = 0; k < n; k++)
            c[k] /= sum;
        return;
    }
    if (p->mode == ONNXBN_RS_LINEAR) {
        c[0] = 1 - r;
        c[1] = r;
        return;
    }
    const double r1 = r + 1, q = 1 - r, q1 = q + 1;
    c[0] = ((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a;
    c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    c[2] = ((a + 2) * q - (a + 3)) * q * q + 1;
    c[3] = ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a;
}

/* Which of the two taps nearest takes (0: the one below x, 1: above). */
static int nearest_tap(const onnxbn_rs_params *p, double scale, bool integer, double r)
{
    if (integer)
        return 1;
    switch (p->nearest) {
    case ONNXBN_RS_ROUND_PREFER_FLOOR: return r <= 0.5 ? 0 : 1;
    case ONNXBN_RS_ROUND_PREFER_CEIL: return r < 0.5 ? 0 : 1;
    case ONNXBN_RS_FLOOR: return 0;
    case ONNXBN_RS_CEIL: return 1;
    case ONNXBN_RS_SIMPLE: break;
    }
    return scale >= 1 ? 0 : 1;
}

void onnxbn_rs_axis_free(onnxbn_rs_axis *a)
{
    free(a->idx);
    free(a->wf);
    free(a->wd);
    free(a->outside);
    memset(a, 0, sizeof *a);
}

static bool axis_alloc(onnxbn_rs_axis *a, int64_t in, int64_t out, int taps)
{
    memset(a, 0, sizeof *a);
    a->in = in;
    a->out = out;
    a->taps = taps;
    const size_t n = (size_t)out * (size_t)taps + 1;
    a->idx = malloc(n * sizeof *a->idx);
    a->wf = malloc(n * sizeof *a->wf);
    a->wd = malloc(n * sizeof *a->wd);
    if (!a->idx || !a->wf || !a->wd) {
        onnxbn_rs_axis_free(a);
        return false;
    }
    return true;
}

bool onnxbn_rs_axis_identity(onnxbn_rs_axis *a, int64_t n)
{
    if (!axis_alloc(a, n, n, 1))
        return false;
    for (int64_t o = 0; o < n; o++) {
        a->idx[o] = (int32_t)o;
        a->wf[o] = 1;
        a->wd[o] = 1;
    }
    a->identity = true;
    return true;
}

/* True when the table maps output o to input o with weights summing to 1 and nothing else; then
 * it is rewritten as one tap. The sum matters: pytorch_half_pixel sends an axis of length 1 to
 * -0.5, two taps of 0.5 on the same clamped element, and N and C of NCHW are such axes. */
static void detect_identity(onnxbn_rs_axis *a)
{
    if (a->out != a->in || a->outside)
        return;
    const size_t out = (size_t)a->out;
    for (size_t o = 0; o < out; o++) {
        double on = 0;
        for (int k = 0; k < a->taps; k++) {
            const double w = a->wd[(size_t)k * out + o];
            if (a->idx[(size_t)k * out + o] == (int32_t)o)
                on += w;
            else if (w != 0)
                return;
        }
        if (on != 1)
            return;
    }
    for (size_t o = 0; o < out; o++) {
        a->idx[o] = (int32_t)o;
        a->wf[o] = 1;
        a->wd[o] = 1;
    }
    a->taps = 1;
    a->identity = true;
}

bool onnxbn_rs_axis_build(onnxbn_rs_axis *a, const onnxbn_rs_params *p, const onnxbn_rs_geom *g)
{
    if (g->out == 0) /* nothing to read: the filter's width does not matter */
        return axis_alloc(a, g->in, 0, 1);
    const int taps = (int)onnxbn_rs_taps(p, g->scale, INT32_MAX);
    const int n = p->mode == ONNXBN_RS_NEAREST ? 2 : taps; /* the reference's window */
    if (taps < 1 || !axis_alloc(a, g->in, g->out, taps))
        return false;
    double *c = malloc((size_t)n * sizeof *c);
    if (!c) {
        onnxbn_rs_axis_free(a);
        return false;
    }
    const size_t out = (size_t)g->out;
    const int64_t in = g->in, half = n / 2;
    for (size_t o = 0; o < out; o++) {
        bool outside;
        double x = source(p, g, (int64_t)o, &outside);
        if (outside && !a->outside && !(a->outside = calloc(out, 1))) {
            free(c);
            onnxbn_rs_axis_free(a);
            return false;
        }
        if (outside) {
            a->outside[o] = 1;
            for (int k = 0; k < taps; k++) {
                a->idx[(size_t)k * out + o] = 0;
                a->wf[(size_t)k * out + o] = 0;
                a->wd[(size_t)k * out + o] = 0;
            }
            continue;
        }
        /* far outside (or NaN) it only matters that the window stays at the edge */
        const double lim = (double)in + (double)n;
        if (!(x >= -lim))
            x = -lim;
        if (x > lim)
            x = lim;
        const double fl = floor(x);
        const bool integer = x == fl;
        const int64_t xi = (int64_t)fl - (integer ? 1 : 0);
        const double r = integer ? 1 : x - fl;
        /* the n nearest indices of the edge-padded input (pad n/2): a window from xi - n/2 + 1,
         * shifted to stay inside the padded range as the reference's search does */
        int64_t a0 = xi - half + 1 + half;
        a0 = a0 < 0 ? 0 : a0 > in ? in : a0;
        a0 -= half;
        if (p->mode == ONNXBN_RS_NEAREST) {
            int64_t s = a0 + nearest_tap(p, g->scale, integer, r);
            s = s < 0 ? 0 : s >= in ? in - 1 : s;
            a->idx[o] = (int32_t)s;
            a->wf[o] = 1;
            a->wd[o] = 1;
            continue;
        }
        coeffs(p, g->scale, r, n, c);
        if (p->exclude_outside) {
            double sum = 0;
            for (int k = 0; k < n; k++) {
                if (a0 + k < 0 || a0 + k >= in)
                    c[k] = 0;
                sum += c[k];
            }
            for (int k = 0; k < n; k++)
                c[k] /= sum;
        }
        for (int k = 0; k < n; k++) {
            int64_t s = a0 + k;
            s = s < 0 ? 0 : s >= in ? in - 1 : s;
            a->idx[(size_t)k * out + o] = (int32_t)s;
            a->wd[(size_t)k * out + o] = c[k];
            a->wf[(size_t)k * out + o] = (float)c[k];
        }
    }
    free(c);
    detect_identity(a);
    return true;
}

/* ---- nearest: gathers of whole elements ---- */

ONNXBN_CLONE_BODY void gather4_body(const uint32_t *x, const int32_t *idx, uint32_t *y, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] = x[idx[j]];
}
ONNXBN_CLONES(static, gather4, (const uint32_t *x, const int32_t *idx, uint32_t *y, size_t n),
              (x, idx, y, n))

static void gather_row(size_t es, const uint8_t *x, const int32_t *idx, uint8_t *y, size_t n)
{
    switch (es) {
    case 1:
        for (size_t j = 0; j < n; j++)
            y[j] = x[idx[j]];
        return;
    case 2:
        for (size_t j = 0; j < n; j++)
            memcpy(y + 2 * j, x + 2 * (size_t)idx[j], 2);
        return;
    case 4:
        if (((uintptr_t)x | (uintptr_t)y) % 4 == 0) {
            gather4((const uint32_t *)(const void *)x, idx, (uint32_t *)(void *)y, n);
            return;
        }
        break;
    default:
        break;
    }
    for (size_t j = 0; j < n; j++)
        memcpy(y + es * j, x + es * (size_t)idx[j], es);
}

static void fill(uint8_t *y, const void *ev, size_t es, size_t n)
{
    for (size_t j = 0; j < n; j++)
        memcpy(y + es * j, ev, es);
}

void onnxbn_rs_gather(const onnxbn_rs_axis *ax, int rank, size_t es, const void *x, void *y,
                       const void *ev, size_t row_lo, size_t row_hi)
{
    const onnxbn_rs_axis *w = &ax[rank - 1];
    const size_t wo = (size_t)w->out, row_bytes = wo * es;
    int64_t ist[ONNXBN_MAX_RANK], c[ONNXBN_MAX_RANK] = {0}, acc = 1;
    for (int d = rank - 1; d >= 0; d--) {
        ist[d] = acc;
        acc *= ax[d].in;
    }
    size_t r = row_lo;
    for (int d = rank - 2; d >= 0; d--) {
        c[d] = (int64_t)(r % (size_t)ax[d].out);
        r /= (size_t)ax[d].out;
    }
    int64_t prev = -1;
    for (size_t row = row_lo; row < row_hi; row++) {
        int64_t off = 0;
        bool out = false;
        for (int d = 0; d < rank - 1; d++) {
            off += ax[d].idx[c[d]] * ist[d];
            out |= ax[d].outside && ax[d].outside[c[d]];
        }
        uint8_t *yr = (uint8_t *)y + row * row_bytes;
        if (out) {
            fill(yr, ev, es, wo);
            off = -1;
        } else if (off == prev) {
            memcpy(yr, yr - row_bytes, row_bytes); /* upsampled rows repeat */
        } else {
            gather_row(es, (const uint8_t *)x + (size_t)off * es, w->idx, yr, wo);
            if (w->outside)
                for (size_t j = 0; j < wo; j++)
                    if (w->outside[j])
                        memcpy(yr + es * j, ev, es);
        }
        prev = off;
        for (int d = rank - 2; d >= 0 && ++c[d] == ax[d].out; d--)
            c[d] = 0;
    }
}

/* ---- float, two axes: horizontal taps into cached rows, then a vertical blend ---- */

ONNXBN_CLONE_BODY void hrow_body(const float *x, const int32_t *idx, const float *w, int taps,
                                 size_t n, float *t)
{
    if (taps == 2) {
        const int32_t *i1 = idx + n;
        const float *w1 = w + n;
        for (size_t j = 0; j < n; j++)
            t[j] = w[j] * x[idx[j]] + w1[j] * x[i1[j]];
        return;
    }
    for (size_t j = 0; j < n; j++)
        t[j] = w[j] * x[idx[j]];
    for (int k = 1; k < taps; k++) {
        const int32_t *ik = idx + (size_t)k * n;
        const float *wk = w + (size_t)k * n;
        for (size_t j = 0; j < n; j++)
            t[j] += wk[j] * x[ik[j]];
    }
}
ONNXBN_CLONES(static, hrow, (const float *x, const int32_t *idx, const float *w, int taps, size_t n,
                             float *t),
              (x, idx, w, taps, n, t))

ONNXBN_CLONE_BODY void vrow2_body(const float *a, const float *b, float wa, float wb, float *y,
                                  size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] = wa * a[j] + wb * b[j];
}
ONNXBN_CLONES(static, vrow2, (const float *a, const float *b, float wa, float wb, float *y, size_t n),
              (a, b, wa, wb, y, n))

ONNXBN_CLONE_BODY void vaxpy_body(const float *a, float w, float *y, size_t n, int first)
{
    if (first)
        for (size_t j = 0; j < n; j++)
            y[j] = w * a[j];
    else
        for (size_t j = 0; j < n; j++)
            y[j] += w * a[j];
}
ONNXBN_CLONES(static, vaxpy, (const float *a, float w, float *y, size_t n, int first),
              (a, w, y, n, first))

/* Input row xr resized along w into t. */
static void hpass(const onnxbn_rs_axis *w, const float *xr, float *t, float ev)
{
    const size_t n = (size_t)w->out;
    if (w->identity)
        memcpy(t, xr, n * sizeof *t);
    else
        hrow(xr, w->idx, w->wf, w->taps, n, t);
    if (w->outside)
        for (size_t j = 0; j < n; j++)
            if (w->outside[j])
                t[j] = ev;
}

void onnxbn_rs_2d_f32(const onnxbn_rs_axis *h, const onnxbn_rs_axis *w, const float *x, float *y,
                      int64_t row_lo, int64_t row_hi, float ev, float *scratch, int64_t *tags)
{
    const size_t wo = (size_t)w->out, wi = (size_t)w->in, ho = (size_t)h->out;
    const int th = h->taps;
    int64_t *slot = tags + th;
    for (int s = 0; s < th; s++)
        tags[s] = -1;
    for (int64_t oh = row_lo; oh < row_hi; oh++) {
        float *yr = y + (size_t)oh * wo;
        if (h->outside && h->outside[oh]) {
            for (size_t j = 0; j < wo; j++)
                yr[j] = ev;
            continue;
        }
        if (th == 1 && h->wf[oh] == 1) {
            hpass(w, x + (size_t)h->idx[oh] * wi, yr, ev);
            continue;
        }
        for (int k = 0; k < th; k++) {
            const int64_t r = h->idx[(size_t)k * ho + (size_t)oh];
            slot[k] = -1;
            for (int s = 0; s < th && slot[k] < 0; s++)
                if (tags[s] == r)
                    slot[k] = s;
        }
        for (int k = 0; k < th; k++) {
            if (slot[k] >= 0)
                continue;
            const int64_t r = h->idx[(size_t)k * ho + (size_t)oh];
            for (int s = 0; s < th && slot[k] < 0; s++)
                if (tags[s] == r)
                    slot[k] = s; /* loaded for an earlier tap of this row */
            if (slot[k] >= 0)
                continue;
            /* a slot no tap of this row uses: there is one, since a row has th taps */
            int free_s = -1;
            for (int s = 0; s < th && free_s < 0; s++) {
                bool used = false;
                for (int q = 0; q < th && !used; q++)
                    used = slot[q] == s;
                if (!used)
                    free_s = s;
            }
            hpass(w, x + (size_t)r * wi, scratch + (size_t)free_s * wo, ev);
            tags[free_s] = r;
            slot[k] = free_s;
        }
        if (th == 2) {
            vrow2(scratch + (size_t)slot[0] * wo, scratch + (size_t)slot[1] * wo, h->wf[oh],
                  h->wf[ho + (size_t)oh], yr, wo);
        } else {
            for (int k = 0; k < th; k++)
                vaxpy(scratch + (size_t)slot[k] * wo, h->wf[(size_t)k * ho + (size_t)oh], yr, wo,
                      k == 0);
        }
    }
}

void onnxbn_rs_pass_f32(const onnxbn_rs_axis *a, const float *x, float *y, int64_t outer,
                        int64_t inner, float ev)
{
    const size_t in = (size_t)a->in, out = (size_t)a->out, nn = (size_t)inner;
    for (size_t q = 0; q < (size_t)outer; q++) {
        const float *xq = x + q * in * nn;
        float *yq = y + q * out * nn;
        if (nn == 1) {
            hpass(a, xq, yq, ev);
            continue;
        }
        for (size_t o = 0; o < out; o++) {
            float *yr = yq + o * nn;
            if (a->outside && a->outside[o]) {
                for (size_t j = 0; j < nn; j++)
                    yr[j] = ev;
                continue;
            }
            const int32_t *idx = a->idx + o;
            const float *w = a->wf + o;
            if (a->taps == 2) {
                vrow2(xq + (size_t)idx[0] * nn, xq + (size_t)idx[out] * nn, w[0], w[out], yr, nn);
                continue;
            }
            for (int k = 0; k < a->taps; k++)
                vaxpy(xq + (size_t)idx[(size_t)k * out] * nn, w[(size_t)k * out], yr, nn, k == 0);
        }
    }
}

/* ---- any axis, in double ---- */

void onnxbn_rs_pass_f64(const onnxbn_rs_axis *a, const double *x, double *y, int64_t outer,
                        int64_t inner, double ev)
{
    const size_t in = (size_t)a->in, out = (size_t)a->out, nn = (size_t)inner;
    for (size_t q = 0; q < (size_t)outer; q++) {
        const double *xq = x + q * in * nn;
        double *yq = y + q * out * nn;
        for (size_t o = 0; o < out; o++) {
            double *yr = yq + o * nn;
            if (a->outside && a->outside[o]) {
                for (size_t j = 0; j < nn; j++)
                    yr[j] = ev;
                continue;
            }
            for (int k = 0; k < a->taps; k++) {
                const double w = a->wd[(size_t)k * out + o];
                const double *src = xq + (size_t)a->idx[(size_t)k * out + o] * nn;
                if (k == 0)
                    for (size_t j = 0; j < nn; j++)
                        yr[j] = w * src[j];
                else
                    for (size_t j = 0; j < nn; j++)
                        yr[j] += w * src[j];
            }
        }
    }
}

/* v truncated and held in [lo, hi] (NaN: 0), for a conversion that is defined for every v. */
static double sat(double v, double lo, double hi)
{
    v = trunc(v);
    return v != v ? 0 : v < lo ? lo : v > hi ? hi : v;
}

void onnxbn_rs_store(onnxbn_dtype t, void *data, int64_t i, double v)
{
    switch (t) {
    case ONNXBN_FLOAT: ((float *)data)[i] = (float)v; return;
    case ONNXBN_DOUBLE: ((double *)data)[i] = v; return;
    case ONNXBN_FLOAT16: ((uint16_t *)data)[i] = onnxbn_float_to_half((float)v); return;
    case ONNXBN_BFLOAT16: ((uint16_t *)data)[i] = onnxbn_float_to_bf16((float)v); return;
    case ONNXBN_BOOL: ((uint8_t *)data)[i] = v != 0; return;
    case ONNXBN_INT8: ((int8_t *)data)[i] = (int8_t)sat(v, INT8_MIN, INT8_MAX); return;
    case ONNXBN_INT16: ((int16_t *)data)[i] = (int16_t)sat(v, INT16_MIN, INT16_MAX); return;
    case ONNXBN_INT32: ((int32_t *)data)[i] = (int32_t)sat(v, INT32_MIN, INT32_MAX); return;
    case ONNXBN_UINT8: ((uint8_t *)data)[i] = (uint8_t)sat(v, 0, UINT8_MAX); return;
    case ONNXBN_UINT16: ((uint16_t *)data)[i] = (uint16_t)sat(v, 0, UINT16_MAX); return;
    case ONNXBN_UINT32: ((uint32_t *)data)[i] = (uint32_t)sat(v, 0, UINT32_MAX); return;
    case ONNXBN_INT64: {
        /* 2^63 is the first double above INT64_MAX */
        const double s = sat(v, -9223372036854775808.0, 9223372036854775808.0);
        ((int64_t *)data)[i] = s >= 9223372036854775808.0 ? INT64_MAX : (int64_t)s;
        return;
    }
    case ONNXBN_UINT64: {
        const double s = sat(v, 0, 18446744073709551616.0);
        ((uint64_t *)data)[i] = s >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)s;
        return;
    }
    default:
        return;
    }
}
