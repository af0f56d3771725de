/* SPDX-License-Identifier: Apache-2.0 */
/* conv.c — the inner loops of Conv and ConvTranspose: im2col/col2im a grid row at a time (innermost
 * a plain copy or strided gather, no bounds tests there) and direct depthwise rows. */
#include "kernels/act.h"
#include "kernels/clones.h"
#include "kernels/conv.h"

#include <stdbool.h>
#include <string.h>

size_t onnxbn_conv_grid_rows(const onnxbn_conv_geom *g)
{
    size_t rows = 1;
    for (int d = 0; d + 1 < g->nsp; d++)
        rows *= (size_t)g->grid[d];
    return rows;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The grid positions o in [*lo, *hi) with 0 ≤ o·s + base < n_img, clipped to [0, n_grid). */
static void span(int64_t base, int64_t s, int64_t n_img, int64_t n_grid, int64_t *lo, int64_t *hi)
{
    int64_t a = base >= 0 ? 0 : ceil_div(-base, s);
    int64_t b = n_img - base <= 0 ? 0 : ceil_div(n_img - base, s);
    if (a > n_grid)
        a = n_grid;
    if (b > n_grid)
        b = n_grid;
    if (b < a)
        b = a;
    *lo = a;
    *hi = b;
}

/* Walks the grid rows [row0, row0 + nrows) under one kernel tap `kt`: for each, the offset of
 * the image row it reads (in elements, without the last axis), or −1 when the row falls in the
 * padding. The caller gets the rows through `rowoff`, which must hold nrows entries. */
static void tap_rows(const onnxbn_conv_geom *g, const int64_t *kt, size_t row0, size_t nrows,
                     int64_t *rowoff)
{
    const int outer = g->nsp - 1;
    int64_t og[ONNXBN_CONV_MAX_SP] = {0};
    size_t r = row0;
    for (int d = outer - 1; d >= 0; d--) {
        og[d] = (int64_t)(r % (size_t)g->grid[d]);
        r /= (size_t)g->grid[d];
    }
    for (size_t n = 0; n < nrows; n++) {
        int64_t off = 0;
        for (int d = 0; d < outer; d++) {
            int64_t i = og[d] * g->stride[d] - g->pad[d] + kt[d] * g->dil[d];
            if (i < 0 || i >= g->img[d]) {
                off = -1;
                break;
            }
            off = off * g->img[d] + i;
        }
        rowoff[n] = off < 0 ? -1 : off * g->img[outer];
        for (int d = outer - 1; d >= 0; d--) {
            if (++og[d] < g->grid[d])
                break;
            og[d] = 0;
        }
    }
}

/* Next kernel tap in row-major order. */
static void next_tap(const onnxbn_conv_geom *g, int64_t *kt)
{
    for (int d = g->nsp - 1; d >= 0; d--) {
        if (++kt[d] < g->k[d])
            return;
        kt[d] = 0;
    }
}

static size_t taps(const onnxbn_conv_geom *g)
{
    size_t k = 1;
    for (int d = 0; d < g->nsp; d++)
        k *= (size_t)g->k[d];
    return k;
}

static size_t img_size(const onnxbn_conv_geom *g)
{
    size_t n = 1;
    for (int d = 0; d < g->nsp; d++)
        n *= (size_t)g->img[d];
    return n;
}

/* Rows are walked per tap (not per channel) because the row offsets depend only on the tap; a
 * small stack buffer holds them for a batch of rows at a time. */
enum { ROWBATCH = 256 };

ONNXBN_CLONE_BODY void onnxbn_im2col_f32_body(const onnxbn_conv_geom *g, size_t channels,
                                              const float *img, size_t row0, size_t nrows,
                                              float *col)
{
    const int last = g->nsp - 1;
    const int64_t L = g->grid[last], s = g->stride[last], n_img = g->img[last];
    const size_t K = taps(g), isz = img_size(g), ld = nrows * (size_t)L;
    int64_t kt[ONNXBN_CONV_MAX_SP] = {0};
    int64_t rowoff[ROWBATCH];
    for (size_t j = 0; j < K; j++, next_tap(g, kt)) {
        const int64_t base = kt[last] * g->dil[last] - g->pad[last];
        int64_t lo, hi;
        span(base, s, n_img, L, &lo, &hi);
        for (size_t r0 = 0; r0 < nrows; r0 += ROWBATCH) {
            const size_t nr = nrows - r0 < ROWBATCH ? nrows - r0 : ROWBATCH;
            tap_rows(g, kt, row0 + r0, nr, rowoff);
            for (size_t c = 0; c < channels; c++) {
                const float *im = img + c * isz;
                float *dst = col + (c * K + j) * ld + r0 * (size_t)L;
                for (size_t r = 0; r < nr; r++, dst += L) {
                    if (rowoff[r] < 0 || lo == hi) {
                        memset(dst, 0, (size_t)L * sizeof *dst);
                        continue;
                    }
                    const float *src = im + rowoff[r];
                    if (lo > 0)
                        memset(dst, 0, (size_t)lo * sizeof *dst);
                    if (s == 1) {
                        memcpy(dst + lo, src + lo + base, (size_t)(hi - lo) * sizeof *dst);
                    } else if (s == 2) {
                        /* a constant stride the compiler turns into vector shuffles (the
                         * stride-2 stems of ResNet/MobileNet spend a third of their time here) */
                        const float *restrict sp = src + base;
                        float *restrict dp = dst;
                        for (int64_t o = lo; o < hi; o++)
                            dp[o] = sp[2 * o];
                    } else {
                        for (int64_t o = lo; o < hi; o++)
                            dst[o] = src[o * s + base];
                    }
                    if (hi < L)
                        memset(dst + hi, 0, (size_t)(L - hi) * sizeof *dst);
                }
            }
        }
    }
}
ONNXBN_CLONES(, onnxbn_im2col_f32,
              (const onnxbn_conv_geom *g, size_t channels, const float *img, size_t row0,
               size_t nrows, float *col),
              (g, channels, img, row0, nrows, col))

void onnxbn_col2im_f32(const onnxbn_conv_geom *g, size_t channels, const float *col, size_t row0,
                       size_t nrows, float *img)
{
    const int last = g->nsp - 1;
    const int64_t L = g->grid[last], s = g->stride[last], n_img = g->img[last];
    const size_t K = taps(g), isz = img_size(g), ld = nrows * (size_t)L;
    int64_t kt[ONNXBN_CONV_MAX_SP] = {0};
    int64_t rowoff[ROWBATCH];
    for (size_t j = 0; j < K; j++, next_tap(g, kt)) {
        const int64_t base = kt[last] * g->dil[last] - g->pad[last];
        int64_t lo, hi;
        span(base, s, n_img, L, &lo, &hi);
        if (lo == hi)
            continue;
        for (size_t r0 = 0; r0 < nrows; r0 += ROWBATCH) {
            const size_t nr = nrows - r0 < ROWBATCH ? nrows - r0 : ROWBATCH;
            tap_rows(g, kt, row0 + r0, nr, rowoff);
            for (size_t c = 0; c < channels; c++) {
                float *im = img + c * isz;
                const float *src = col + (c * K + j) * ld + r0 * (size_t)L;
                for (size_t r = 0; r < nr; r++, src += L) {
                    if (rowoff[r] < 0)
                        continue;
                    float *restrict dst = im + rowoff[r];
                    if (s == 1) {
                        for (int64_t o = lo; o < hi; o++)
                            dst[o + base] += src[o];
                    } else {
                        for (int64_t o = lo; o < hi; o++)
                            dst[o * s + base] += src[o];
                    }
                }
            }
        }
    }
}

size_t onnxbn_im2col_wide_cols(const onnxbn_conv_geom *g)
{
    const size_t Wp = (size_t)(g->grid[1] + (g->k[1] - 1) * g->dil[1]);
    return ((size_t)g->grid[0] - 1) * Wp + (size_t)g->grid[1];
}

void onnxbn_im2col_wide_f32(const onnxbn_conv_geom *g, size_t channels, const float *img,
                            float *pad, float *col)
{
    const int64_t H = g->img[0], W = g->img[1];
    const int64_t Hp = g->grid[0] + (g->k[0] - 1) * g->dil[0];
    const int64_t Wp = g->grid[1] + (g->k[1] - 1) * g->dil[1];
    const size_t n = onnxbn_im2col_wide_cols(g), psz = (size_t)(Hp * Wp);
    /* padded column j holds image column j − pad[1]: [lo, hi) of j inside the image */
    int64_t lo = g->pad[1], hi = g->pad[1] + W;
    lo = lo < 0 ? 0 : lo > Wp ? Wp : lo;
    hi = hi < lo ? lo : hi > Wp ? Wp : hi;
    for (size_t c = 0; c < channels; c++) {
        const float *im = img + c * (size_t)(H * W);
        float *p = pad + c * psz;
        for (int64_t i = 0; i < Hp; i++) {
            float *row = p + i * Wp;
            const int64_t ih = i - g->pad[0];
            if (ih < 0 || ih >= H || lo == hi) {
                memset(row, 0, sizeof(float) * (size_t)Wp);
                continue;
            }
            memset(row, 0, sizeof(float) * (size_t)lo);
            memcpy(row + lo, im + ih * W + (lo - g->pad[1]), sizeof(float) * (size_t)(hi - lo));
            memset(row + hi, 0, sizeof(float) * (size_t)(Wp - hi));
        }
    }
    /* the last span ends at ((grid[0]−1) + (k[0]−1)·dil[0])·Wp + (grid[1]−1) + (k[1]−1)·dil[1],
     * the last element of pad */
    const size_t K = (size_t)(g->k[0] * g->k[1]);
    for (size_t c = 0; c < channels; c++)
        for (int64_t a = 0; a < g->k[0]; a++)
            for (int64_t b = 0; b < g->k[1]; b++)
                memcpy(col + (c * K + (size_t)(a * g->k[1] + b)) * n,
                       pad + c * psz + (size_t)(a * g->dil[0] * Wp + b * g->dil[1]),
                       sizeof(float) * n);
}

/* Kernel widths up to this get their column spans computed once per call rather than per row. */
enum { KW_CACHED = 32 };

/* Direct convolution facts for one call, in 2-D form. */
typedef struct dw_geom {
    int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw;
    const int64_t *lo, *hi; /* per kw: the output columns whose input column is inside; NULL when
                             * KW is over KW_CACHED and they are computed on the spot */
} dw_geom;

/* yrow += the taps of one kernel row over input row xrow, one tap at a time. */
static void dw_taps(const dw_geom *d, const float *wrow, const float *xrow, float *restrict yrow)
{
    for (int64_t kw = 0; kw < d->KW; kw++) {
        const float wv = wrow[kw];
        const int64_t base = kw * d->dw - d->pw;
        int64_t lo, hi;
        if (d->lo) {
            lo = d->lo[kw];
            hi = d->hi[kw];
        } else {
            span(base, d->sw, d->W, d->OW, &lo, &hi);
        }
        if (d->sw == 1) {
            for (int64_t o = lo; o < hi; o++)
                yrow[o] += wv * xrow[o + base];
        } else {
            for (int64_t o = lo; o < hi; o++)
                yrow[o] += wv * xrow[o * d->sw + base];
        }
    }
}

/* K x K with all K input rows inside the image: the columns whose taps are all inside are done in
 * one pass (one store per output instead of K·K), the few edge columns one output at a time.
 * K is a constant in each expansion so the tap loops unroll and the column loop vectorises. */
#define DW_ROW(K)                                                                                 \
    static void dw_row##K(const dw_geom *d, const float *wk, const float *const xr[K], float b,    \
                          float *restrict yrow)                                                   \
    {                                                                                             \
        int64_t a = 0, z = d->OW;                                                                 \
        for (int kw = 0; kw < K; kw++) {                                                          \
            if (d->lo[kw] > a)                                                                    \
                a = d->lo[kw];                                                                    \
            if (d->hi[kw] < z)                                                                    \
                z = d->hi[kw];                                                                    \
        }                                                                                         \
        if (z < a)                                                                                \
            z = a;                                                                                \
        const int64_t s = d->sw, dw = d->dw, pw = d->pw;                                          \
        if (s == 1) {                                                                             \
            for (int64_t o = a; o < z; o++) {                                                     \
                float acc = b;                                                                    \
                for (int kh = 0; kh < K; kh++)                                                    \
                    for (int kw = 0; kw < K; kw++)                                                \
                        acc += wk[kh * K + kw] * xr[kh][o + kw * dw - pw];                        \
                yrow[o] = acc;                                                                    \
            }                                                                                     \
        } else {                                                                                  \
            for (int64_t o = a; o < z; o++) {                                                     \
                float acc = b;                                                                    \
                for (int kh = 0; kh < K; kh++)                                                    \
                    for (int kw = 0; kw < K; kw++)                                                \
                        acc += wk[kh * K + kw] * xr[kh][o * s + kw * dw - pw];                    \
                yrow[o] = acc;                                                                    \
            }                                                                                     \
        }                                                                                         \
        for (int e = 0; e < 2; e++) {                                                             \
            const int64_t o0 = e ? z : 0, o1 = e ? d->OW : a;                                     \
            for (int64_t o = o0; o < o1; o++) {                                                   \
                float acc = b;                                                                    \
                for (int kh = 0; kh < K; kh++)                                                    \
                    for (int kw = 0; kw < K; kw++) {                                              \
                        const int64_t i = o * s + kw * dw - pw;                                   \
                        if (i >= 0 && i < d->W)                                                   \
                            acc += wk[kh * K + kw] * xr[kh][i];                                   \
                    }                                                                             \
                yrow[o] = acc;                                                                    \
            }                                                                                     \
        }                                                                                         \
    }
DW_ROW(3)
DW_ROW(5)

void onnxbn_conv_depthwise_f32(const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                               const float *x, const float *w, const float *bias, float *y)
{
    /* A 1-D convolution is a 2-D one with a single row. */
    const bool two = g->nsp == 2;
    const int last = g->nsp - 1;
    int64_t lo_c[KW_CACHED], hi_c[KW_CACHED];
    dw_geom d = {
        .H = two ? g->img[0] : 1, .W = g->img[last],
        .OH = two ? g->grid[0] : 1, .OW = g->grid[last],
        .KH = two ? g->k[0] : 1, .KW = g->k[last],
        .sh = two ? g->stride[0] : 1, .sw = g->stride[last],
        .dh = two ? g->dil[0] : 1, .dw = g->dil[last],
        .ph = two ? g->pad[0] : 0, .pw = g->pad[last],
    };
    if (d.KW <= KW_CACHED) {
        for (int64_t kw = 0; kw < d.KW; kw++)
            span(kw * d.dw - d.pw, d.sw, d.W, d.OW, &lo_c[kw], &hi_c[kw]);
        d.lo = lo_c;
        d.hi = hi_c;
    }
    /* square 3x3 and 5x5 kernels (the depthwise sizes of MobileNet/EfficientNet) get a fused row */
    const int ksq = d.KH == d.KW && (d.KH == 3 || d.KH == 5) && d.lo ? (int)d.KH : 0;
    for (size_t m = 0; m < out_ch; m++) {
        const float *xin = x + (m / mult) * (size_t)(d.H * d.W);
        const float *wm = w + m * (size_t)(d.KH * d.KW);
        float *yo = y + m * (size_t)(d.OH * d.OW);
        const float b = bias ? bias[m] : 0.0f;
        for (int64_t oh = 0; oh < d.OH; oh++) {
            float *restrict yrow = yo + oh * d.OW;
            const int64_t ih0 = oh * d.sh - d.ph;
            if (ksq && ih0 >= 0 && ih0 + (ksq - 1) * d.dh < d.H) {
                const float *xr[5];
                for (int kh = 0; kh < ksq; kh++)
                    xr[kh] = xin + (ih0 + kh * d.dh) * d.W;
                if (ksq == 3)
                    dw_row3(&d, wm, xr, b, yrow);
                else
                    dw_row5(&d, wm, xr, b, yrow);
                continue;
            }
            for (int64_t o = 0; o < d.OW; o++)
                yrow[o] = b;
            for (int64_t kh = 0; kh < d.KH; kh++) {
                const int64_t ih = ih0 + kh * d.dh;
                if (ih >= 0 && ih < d.H)
                    dw_taps(&d, wm + kh * d.KW, xin + ih * d.W, yrow);
            }
        }
    }
}

void onnxbn_conv_dil_rows(const onnxbn_conv_geom *g, size_t gap, size_t *rows_in,
                          size_t *rows_out)
{
    const size_t P = (size_t)(g->dil[0] * g->dil[1]), H = (size_t)(g->img[0] / g->dil[0]);
    *rows_in = P * H + (P - 1) * gap;
    *rows_out = (P - 1) * (H + gap) + (size_t)(g->grid[0] / g->dil[0]);
}

void onnxbn_conv_dil_split_f32(const onnxbn_conv_geom *g, size_t channels, size_t gap,
                               const float *img, float *tall)
{
    const size_t d0 = (size_t)g->dil[0], d1 = (size_t)g->dil[1];
    const size_t H = (size_t)g->img[0], W = (size_t)g->img[1], Hp = H / d0, Wp = W / d1;
    size_t rows, unused;
    onnxbn_conv_dil_rows(g, gap, &rows, &unused);
    for (size_t c = 0; c < channels; c++) {
        const float *xc = img + c * H * W;
        float *tc = tall + c * rows * Wp;
        for (size_t a = 0; a < d0; a++)
            for (size_t b = 0; b < d1; b++) {
                const size_t p = a * d1 + b;
                float *t = tc + p * (Hp + gap) * Wp;
                for (size_t r = 0; r < Hp; r++) {
                    const float *src = xc + (a + d0 * r) * W + b;
                    for (size_t s = 0; s < Wp; s++)
                        t[r * Wp + s] = src[s * d1];
                }
                if (p + 1 < d0 * d1)
                    memset(t + Hp * Wp, 0, gap * Wp * sizeof *t);
            }
    }
}

void onnxbn_conv_dil_merge_f32(const onnxbn_conv_geom *g, size_t channels, size_t gap,
                               const float *tall, const float *res, int act_kind, float lo,
                               float hi, float *y)
{
    const size_t d0 = (size_t)g->dil[0], d1 = (size_t)g->dil[1];
    const size_t OH = (size_t)g->grid[0], OW = (size_t)g->grid[1], Hp = (size_t)g->img[0] / d0;
    const size_t OHp = OH / d0, OWp = OW / d1;
    size_t unused, rows;
    onnxbn_conv_dil_rows(g, gap, &unused, &rows);
    for (size_t m = 0; m < channels; m++) {
        const float *tm = tall + m * rows * OWp;
        float *ym = y + m * OH * OW;
        for (size_t a = 0; a < d0; a++)
            for (size_t b = 0; b < d1; b++) {
                const float *t = tm + (a * d1 + b) * (Hp + gap) * OWp;
                for (size_t i = 0; i < OHp; i++) {
                    float *dst = ym + (a + d0 * i) * OW + b;
                    for (size_t j = 0; j < OWp; j++)
                        dst[j * d1] = t[i * OWp + j];
                }
            }
        /* residual and activation over whole rows, after every phase is in */
        if (res) {
            const float *rm = res + m * OH * OW;
            for (size_t i = 0; i < OH * OW; i++)
                ym[i] += rm[i];
        }
        onnxbn_act_row(ym, OH * OW, act_kind, lo, hi);
    }
}
