/* SPDX-License-Identifier: Apache-2.0 */
/* depthwise.c — depthwise 2-D convolution: 3x3/5x5 on AVX-512 16 outputs a vector (rows shifted in
 * registers, masked borders); 7x7 stride 1 over a padded band at every level; else conv.c's rows. */
#include "kernels/depthwise.h"

#include "kernels/act.h"
#include "kernels/isa.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DW_X86 1
#include <immintrin.h>
#endif

/* Output rows up to this many vectors wide take the fast loop: their load masks are kept on the
 * stack (MAXVEC·5 words). Wider rows are far beyond any depthwise layer seen in practice. */
enum { MAXVEC = 256 };

static void dw_portable(const onnxbn_conv_geom *g, size_t out_ch, size_t mult, const float *x,
                        const float *w, const float *bias, int act_kind, float lo, float hi,
                        float *y)
{
    size_t isz = 1, osz = 1, ksz = 1;
    for (int d = 0; d < g->nsp; d++) {
        isz *= (size_t)g->img[d];
        osz *= (size_t)g->grid[d];
        ksz *= (size_t)g->k[d];
    }
    /* a channel at a time, so the activation finds its output still in cache */
    for (size_t m = 0; m < out_ch; m++) {
        float *ym = y + m * osz;
        onnxbn_conv_depthwise_f32(g, 1, 1, x + (m / mult) * isz, w + m * ksz,
                                  bias ? bias + m : NULL, ym);
        onnxbn_act_row(ym, osz, act_kind, lo, hi);
    }
}

/* ---- 7x7 at stride 1, dilation 1 (ConvNeXt): every level ----
 * A band of the channel's rows is copied into a zero-padded buffer (padded row r, column c hold
 * image row r − pt, column c − pl), so the inner loops have no border: output (oh, ow) is the sum
 * over taps of buf[oh + kh][ow + kw]. Each pass makes R = 4 output rows from the R + 6 input rows
 * they share, each shifted input vector loaded once for all the rows it feeds. */

/* Floats of the padded band, on the stack (32 KB: at 56x56 the whole 62x80 channel fits). */
enum { K7_SCRATCH = 8192, K7_MAXW = 1024 };

/* Row pitch of the padded band: the output row rounded up to 16 lanes, plus 16, so that every
 * vector load of a pass (up to column ⌈OW/16⌉·16 + 6) stays inside the row. */
static int64_t k7_pitch(const onnxbn_conv_geom *g)
{
    return (g->grid[1] + 15) / 16 * 16 + 16;
}

static bool k7_fits(const onnxbn_conv_geom *g)
{
    return g->nsp == 2 && g->k[0] == 7 && g->k[1] == 7 && g->stride[0] == 1 &&
           g->stride[1] == 1 && g->dil[0] == 1 && g->dil[1] == 1 && g->grid[0] >= 1 &&
           g->grid[1] >= 1 && g->grid[1] <= K7_MAXW && g->pad[0] >= 0 && g->pad[1] >= 0;
}

/* Padded rows [r0, r0 + n) of one channel into buf, row stride P. */
static void k7_fill(const onnxbn_conv_geom *g, const float *xin, int64_t r0, int64_t n, int64_t P,
                    float *buf)
{
    const int64_t H = g->img[0], W = g->img[1], pt = g->pad[0];
    const int64_t c0 = g->pad[1] < P ? g->pad[1] : P, c1 = c0 + W < P ? c0 + W : P;
    for (int64_t r = 0; r < n; r++) {
        float *d = buf + r * P;
        const int64_t ih = r0 + r - pt;
        if (ih < 0 || ih >= H) {
            memset(d, 0, (size_t)P * sizeof *d);
            continue;
        }
        memset(d, 0, (size_t)c0 * sizeof *d);
        memcpy(d + c0, xin + ih * W, (size_t)(c1 - c0) * sizeof *d);
        memset(d + c1, 0, (size_t)(P - c1) * sizeof *d);
    }
}

/* n output rows (at row stride OW) from buf (n + 6 padded rows at stride P), activation applied. */
typedef void k7_rows_fn(const float *buf, int64_t P, const float *wk, float b, int64_t n,
                        int64_t OW, int act, float lo, float hi, float *y);

/* The portable loop: blocks of 4 rows x 8 columns in arrays the compiler may keep in registers. */
static void k7_rows_c(const float *buf, int64_t P, const float *wk, float b, int64_t n,
                      int64_t OW, int act, float lo, float hi, float *y)
{
    for (int64_t c0 = 0; c0 < OW; c0 += 8) {
        const int64_t nc = OW - c0 < 8 ? OW - c0 : 8;
        for (int64_t r0 = 0; r0 < n; r0 += 4) {
            const int R = n - r0 < 4 ? (int)(n - r0) : 4;
            float acc[4][8];
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < 8; j++)
                    acc[r][j] = b;
            for (int i = 0; i < R + 6; i++) {
                const float *s = buf + (r0 + i) * P + c0;
                const int rlo = i > 6 ? i - 6 : 0, rhi = i < R - 1 ? i : R - 1;
                for (int kw = 0; kw < 7; kw++)
                    for (int r = rlo; r <= rhi; r++) {
                        const float wv = wk[(i - r) * 7 + kw];
                        for (int j = 0; j < 8; j++)
                            acc[r][j] += wv * s[kw + j];
                    }
            }
            for (int r = 0; r < R; r++)
                for (int64_t j = 0; j < nc; j++)
                    y[(r0 + r) * OW + c0 + j] = acc[r][j];
        }
    }
    onnxbn_act_row(y, (size_t)(n * OW), act, lo, hi);
}

static void k7_run(k7_rows_fn *rows, const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                   const float *x, const float *w, const float *bias, int act, float lo, float hi,
                   float *y)
{
    float buf[K7_SCRATCH];
    const int64_t P = k7_pitch(g), OH = g->grid[0], OW = g->grid[1];
    const size_t isz = (size_t)(g->img[0] * g->img[1]), osz = (size_t)(OH * OW);
    const int64_t band = K7_SCRATCH / P - 6 < OH ? K7_SCRATCH / P - 6 : OH;
    if (band == OH) {
        /* one band holds the channel: its zero border is the same for every channel, so it is
         * written once and only the image rows are copied in (at 7x7, filling whole rows per
         * channel cost as much as the convolution) */
        const int64_t H = g->img[0], W = g->img[1], pt = g->pad[0];
        const int64_t c0 = g->pad[1] < P ? g->pad[1] : P, c1 = c0 + W < P ? c0 + W : P;
        const int64_t h0 = pt > 0 ? 0 : -pt, h1 = H < OH + 6 - pt ? H : OH + 6 - pt;
        memset(buf, 0, (size_t)((OH + 6) * P) * sizeof *buf);
        for (size_t m = 0; m < out_ch; m++) {
            const float *xin = x + (m / mult) * isz;
            for (int64_t ih = h0; ih < h1; ih++)
                memcpy(buf + (ih + pt) * P + c0, xin + ih * W, (size_t)(c1 - c0) * sizeof *buf);
            rows(buf, P, w + m * 49, bias ? bias[m] : 0.0f, OH, OW, act, lo, hi, y + m * osz);
        }
        return;
    }
    for (size_t m = 0; m < out_ch; m++) {
        const float *xin = x + (m / mult) * isz, *wk = w + m * 49;
        const float b = bias ? bias[m] : 0.0f;
        for (int64_t oh0 = 0; oh0 < OH; oh0 += band) {
            const int64_t n = OH - oh0 < band ? OH - oh0 : band;
            k7_fill(g, xin, oh0, n + 6, P, buf);
            rows(buf, P, wk, b, n, OW, act, lo, hi, y + m * osz + oh0 * OW);
        }
    }
}

#ifdef DW_X86
#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

/* The lanes j < lanes of a load starting at image column c whose column c + j is inside [0, W):
 * the others read as zero (and, being masked, are never touched). */
static uint32_t lane_mask(int64_t c, int64_t W, int lanes)
{
    const int64_t a = c < 0 ? -c : 0;
    int64_t b = W - c;
    if (b > lanes)
        b = lanes;
    if (b <= a)
        return 0;
    return (uint32_t)((((uint64_t)1 << b) - 1) & ~(((uint64_t)1 << a) - 1));
}

/* The end of one output vector: the K row sums added up, the activation, and the store (masked
 * for the last vector of a row). */
INLINE AVX512 void finish(const __m512 *part, int K, int act, __m512 lo, __m512 hi, float *dst,
                          bool last, __mmask16 tail)
{
    __m512 acc = part[0];
#pragma GCC unroll 5
    for (int kh = 1; kh < K; kh++)
        acc = _mm512_add_ps(acc, part[kh]);
    acc = onnxbn_act16(acc, act, lo, hi);
    if (!last)
        _mm512_storeu_ps(dst, acc);
    else
        _mm512_mask_storeu_ps(dst, tail, acc);
}

/* One output channel of a K x K kernel at horizontal stride S (both constants after inlining), for
 * any horizontal dilation: a masked load per tap. masks[v·K + kw] is the load mask of vector v
 * under kernel column kw (S·16 lanes). Stride 2 loads 32 columns and keeps the even ones. */
INLINE AVX512 void dw_chan(const onnxbn_conv_geom *g, const int K, const int S, const float *xin,
                           const float *wk, float b, const uint32_t *masks, int act, float lo,
                           float hi, float *yo)
{
    const int64_t H = g->img[0], W = g->img[1], OH = g->grid[0], OW = g->grid[1];
    const int64_t sh = g->stride[0], dh = g->dil[0], dw = g->dil[1], ph = g->pad[0],
                  pw = g->pad[1];
    const int64_t nvec = (OW + 15) / 16;
    const __mmask16 tail = (__mmask16)((1u << (OW - (nvec - 1) * 16)) - 1);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512 bv = _mm512_set1_ps(b), lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    __m512 wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        wv[t] = _mm512_set1_ps(wk[t]);
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *rows[5];
        const int64_t ih0 = oh * sh - ph;
#pragma GCC unroll 5
        for (int kh = 0; kh < K; kh++) {
            const int64_t ih = ih0 + kh * dh;
            rows[kh] = ih >= 0 && ih < H ? xin + ih * W - pw : NULL;
        }
        float *yrow = yo + oh * OW;
        for (int64_t v = 0; v < nvec; v++) {
            const int64_t c0 = v * 16 * S;
            __mmask16 mlo[5], mhi[5];
#pragma GCC unroll 5
            for (int kw = 0; kw < K; kw++) {
                mlo[kw] = (__mmask16)masks[v * K + kw];
                mhi[kw] = (__mmask16)(masks[v * K + kw] >> 16);
            }
            /* one sum per kernel row, so that the K·K products are not one long chain */
            __m512 part[5];
#pragma GCC unroll 5
            for (int kh = 0; kh < K; kh++) {
                part[kh] = kh ? _mm512_setzero_ps() : bv;
                if (!rows[kh])
                    continue;
#pragma GCC unroll 5
                for (int kw = 0; kw < K; kw++) {
                    const float *p = rows[kh] + c0 + kw * dw;
                    __m512 xv;
                    if (S == 1) {
                        xv = _mm512_maskz_loadu_ps(mlo[kw], p);
                    } else {
                        const __m512 a = _mm512_maskz_loadu_ps(mlo[kw], p);
                        const __m512 z = _mm512_maskz_loadu_ps(mhi[kw], p + 16);
                        xv = _mm512_permutex2var_ps(a, even, z);
                    }
                    part[kh] = _mm512_fmadd_ps(wv[kh * K + kw], xv, part[kh]);
                }
            }
            finish(part, K, act, lov, hiv, yrow + v * 16, v + 1 == nvec, tail);
        }
    }
}

/* 16 lanes from p under mask m; whole vectors (the usual case) take the plain load, which is
 * cheaper than a masked one when it straddles two cache lines, and blocks wholly outside the
 * image (past the end of narrow rows) no load at all. */
INLINE AVX512 __m512 load16(const float *p, __mmask16 m)
{
    if (m == 0xffff)
        return _mm512_loadu_ps(p);
    return m ? _mm512_maskz_loadu_ps(m, p) : _mm512_setzero_ps();
}

/* The same channel for horizontal dilation 1, each input row read once: block t of a row holds
 * image columns [16·S·t − pw, +16·S) (S = 2: split into its even and odd columns), and kernel
 * column kw of output vector v is block v (and v + 1) shifted by kw (kw / 2) lanes. bmask[t] is
 * block t's load mask (S·16 lanes), t ≤ nvec. */
INLINE AVX512 void dw_slide(const onnxbn_conv_geom *g, const int K, const int S, const float *xin,
                            const float *wk, float b, const uint32_t *bmask, int act, float lo,
                            float hi, float *yo)
{
    const int64_t H = g->img[0], W = g->img[1], OH = g->grid[0], OW = g->grid[1];
    const int64_t sh = g->stride[0], dh = g->dil[0], ph = g->pad[0], pw = g->pad[1];
    const int64_t nvec = (OW + 15) / 16;
    const __mmask16 tail = (__mmask16)((1u << (OW - (nvec - 1) * 16)) - 1);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512 bv = _mm512_set1_ps(b), lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *rows[5];
        const int64_t ih0 = oh * sh - ph;
        /* per row: the current block (S = 1), or its even and odd columns (S = 2) */
        __m512 ce[5], co[5];
#pragma GCC unroll 5
        for (int kh = 0; kh < K; kh++) {
            const int64_t ih = ih0 + kh * dh;
            rows[kh] = ih >= 0 && ih < H ? xin + ih * W - pw : NULL;
            ce[kh] = co[kh] = _mm512_setzero_ps();
            if (!rows[kh])
                continue;
            if (S == 1) {
                ce[kh] = load16(rows[kh], (__mmask16)bmask[0]);
            } else {
                const __m512 a = load16(rows[kh], (__mmask16)bmask[0]);
                const __m512 z = load16(rows[kh] + 16, (__mmask16)(bmask[0] >> 16));
                ce[kh] = _mm512_permutex2var_ps(a, even, z);
                co[kh] = _mm512_permutex2var_ps(a, odd, z);
            }
        }
        float *yrow = yo + oh * OW;
        for (int64_t v = 0; v < nvec; v++) {
            const uint32_t mn = bmask[v + 1];
            const int64_t cn = (v + 1) * 16 * S;
            /* one sum per kernel row, so that the K·K products are not one long chain */
            __m512 part[5];
#pragma GCC unroll 5
            for (int kh = 0; kh < K; kh++) {
                part[kh] = kh ? _mm512_setzero_ps() : bv;
                if (!rows[kh])
                    continue;
                const float *wr = wk + kh * K;
                if (S == 1) {
                    const __m512i c = _mm512_castps_si512(ce[kh]);
                    const __m512 nx = load16(rows[kh] + cn, (__mmask16)mn);
                    const __m512i n = _mm512_castps_si512(nx);
/* the shift is an instruction immediate, so it is spelled out */
#define TAP(i)                                                                                     \
    part[kh] = _mm512_fmadd_ps(_mm512_set1_ps(wr[i]),                                             \
                               _mm512_castsi512_ps(_mm512_alignr_epi32(n, c, i)), part[kh])
                    part[kh] = _mm512_fmadd_ps(_mm512_set1_ps(wr[0]), ce[kh], part[kh]);
                    TAP(1);
                    TAP(2);
                    if (K == 5) {
                        TAP(3);
                        TAP(4);
                    }
#undef TAP
                    ce[kh] = nx;
                } else {
                    __m512 ne = _mm512_setzero_ps(), no = ne;
                    if (mn) { /* else past the end of a narrow row */
                        const __m512 a = load16(rows[kh] + cn, (__mmask16)mn);
                        const __m512 z = load16(rows[kh] + cn + 16, (__mmask16)(mn >> 16));
                        ne = _mm512_permutex2var_ps(a, even, z);
                        no = _mm512_permutex2var_ps(a, odd, z);
                    }
                    const __m512i e = _mm512_castps_si512(ce[kh]), o = _mm512_castps_si512(co[kh]);
                    const __m512i nei = _mm512_castps_si512(ne), noi = _mm512_castps_si512(no);
                    part[kh] = _mm512_fmadd_ps(_mm512_set1_ps(wr[0]), ce[kh], part[kh]);
                    part[kh] = _mm512_fmadd_ps(_mm512_set1_ps(wr[1]), co[kh], part[kh]);
                    part[kh] = _mm512_fmadd_ps(
                        _mm512_set1_ps(wr[2]), _mm512_castsi512_ps(_mm512_alignr_epi32(nei, e, 1)),
                        part[kh]);
                    if (K == 5) {
                        part[kh] = _mm512_fmadd_ps(
                            _mm512_set1_ps(wr[3]),
                            _mm512_castsi512_ps(_mm512_alignr_epi32(noi, o, 1)), part[kh]);
                        part[kh] = _mm512_fmadd_ps(
                            _mm512_set1_ps(wr[4]),
                            _mm512_castsi512_ps(_mm512_alignr_epi32(nei, e, 2)), part[kh]);
                    }
                    ce[kh] = ne;
                    co[kh] = no;
                }
            }
            finish(part, K, act, lov, hiv, yrow + v * 16, v + 1 == nvec, tail);
        }
    }
}

#define DW_SLIDE(K, S)                                                                             \
    static AVX512 void dws_k##K##s##S(const onnxbn_conv_geom *g, const float *xin,                \
                                      const float *wk, float b, const uint32_t *bmask, int act,   \
                                      float lo, float hi, float *yo)                              \
    {                                                                                              \
        dw_slide(g, K, S, xin, wk, b, bmask, act, lo, hi, yo);                                     \
    }
DW_SLIDE(3, 1)
DW_SLIDE(3, 2)
DW_SLIDE(5, 1)
DW_SLIDE(5, 2)

/* Small images at stride 1 with the output as wide as the input (7x7): the channel is
 * one flat run of pixels, so a vector covers several rows and tap (kh, kw) is the run shifted by
 * (kh·dh − ph)·W + kw·dw − pw, its lanes outside the image masked off: fmask[v·K·K + tap]. */
INLINE AVX512 void dw_flat(const onnxbn_conv_geom *g, const int K, const float *xin,
                           const float *wk, float b, const uint16_t *fmask, int act, float lo,
                           float hi, float *yo)
{
    const int64_t W = g->img[1], n = g->grid[0] * g->grid[1], nvec = (n + 15) / 16;
    const int64_t dh = g->dil[0], dw = g->dil[1], ph = g->pad[0], pw = g->pad[1];
    const __mmask16 tail = (__mmask16)((1u << (n - (nvec - 1) * 16)) - 1);
    const __m512 bv = _mm512_set1_ps(b), lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    for (int64_t v = 0; v < nvec; v++) {
        const uint16_t *mk = fmask + v * K * K;
        __m512 part[5];
#pragma GCC unroll 5
        for (int kh = 0; kh < K; kh++) {
            part[kh] = kh ? _mm512_setzero_ps() : bv;
            const float *row = xin + v * 16 + (kh * dh - ph) * W - pw;
#pragma GCC unroll 5
            for (int kw = 0; kw < K; kw++) {
                const __mmask16 m = mk[kh * K + kw];
                if (m)
                    part[kh] = _mm512_fmadd_ps(_mm512_set1_ps(wk[kh * K + kw]),
                                               _mm512_maskz_loadu_ps(m, row + kw * dw), part[kh]);
            }
        }
        finish(part, K, act, lov, hiv, yo + v * 16, v + 1 == nvec, tail);
    }
}

static AVX512 void dwf_k3(const onnxbn_conv_geom *g, const float *xin, const float *wk, float b,
                          const uint16_t *fmask, int act, float lo, float hi, float *yo)
{
    dw_flat(g, 3, xin, wk, b, fmask, act, lo, hi, yo);
}

static AVX512 void dwf_k5(const onnxbn_conv_geom *g, const float *xin, const float *wk, float b,
                          const uint16_t *fmask, int act, float lo, float hi, float *yo)
{
    dw_flat(g, 5, xin, wk, b, fmask, act, lo, hi, yo);
}

/* Pixels up to which a stride-1 image takes the flat loop (its masks are FLAT_MAX/16·25 words):
 * at 7x7 it does 4 vectors a channel instead of 7 rows; from 14x14 on the rows are faster. */
enum { FLAT_MAX = 64 };

#define DW_VARIANT(K, S)                                                                           \
    static AVX512 void dw_k##K##s##S(const onnxbn_conv_geom *g, const float *xin, const float *wk, \
                                     float b, const uint32_t *masks, int act, float lo, float hi,  \
                                     float *yo)                                                    \
    {                                                                                              \
        dw_chan(g, K, S, xin, wk, b, masks, act, lo, hi, yo);                                      \
    }
DW_VARIANT(3, 1)
DW_VARIANT(3, 2)
DW_VARIANT(5, 1)
DW_VARIANT(5, 2)

static void dw_avx512(const onnxbn_conv_geom *g, size_t out_ch, size_t mult, const float *x,
                      const float *w, const float *bias, int act, float lo, float hi, float *y)
{
    const int K = (int)g->k[0], S = (int)g->stride[1];
    const int64_t OW = g->grid[1], nvec = (OW + 15) / 16;
    const size_t isz = (size_t)(g->img[0] * g->img[1]), osz = (size_t)(g->grid[0] * OW);
    const bool slide = g->dil[1] == 1;
    uint32_t masks[MAXVEC * 5];
    if (S == 1 && g->stride[0] == 1 && OW == g->img[1] && g->grid[0] * OW <= FLAT_MAX) {
        uint16_t fmask[FLAT_MAX / 16 * 25];
        const int64_t n = g->grid[0] * OW;
        for (int64_t v = 0; v * 16 < n; v++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) {
                    uint16_t m = 0;
                    for (int j = 0; j < 16 && v * 16 + j < n; j++) {
                        const int64_t p = v * 16 + j, oh = p / OW, ow = p % OW;
                        const int64_t ih = oh - g->pad[0] + kh * g->dil[0];
                        const int64_t iw = ow - g->pad[1] + kw * g->dil[1];
                        if (ih >= 0 && ih < g->img[0] && iw >= 0 && iw < g->img[1])
                            m |= (uint16_t)(1u << j);
                    }
                    fmask[(v * K + kh) * K + kw] = m;
                }
        for (size_t m = 0; m < out_ch; m++)
            (K == 3 ? dwf_k3 : dwf_k5)(g, x + (m / mult) * isz, w + m * (size_t)(K * K),
                                       bias ? bias[m] : 0.0f, fmask, act, lo, hi, y + m * osz);
        return;
    }
    if (slide) {
        for (int64_t t = 0; t <= nvec; t++)
            masks[t] = lane_mask(t * 16 * S - g->pad[1], g->img[1], 16 * S);
    } else {
        for (int64_t v = 0; v < nvec; v++)
            for (int kw = 0; kw < K; kw++)
                masks[v * K + kw] =
                    lane_mask(v * 16 * S - g->pad[1] + kw * g->dil[1], g->img[1], 16 * S);
    }
    for (size_t m = 0; m < out_ch; m++) {
        const float *xin = x + (m / mult) * isz, *wk = w + m * (size_t)(K * K);
        const float b = bias ? bias[m] : 0.0f;
        float *yo = y + m * osz;
        if (slide && K == 3)
            (S == 1 ? dws_k3s1 : dws_k3s2)(g, xin, wk, b, masks, act, lo, hi, yo);
        else if (slide)
            (S == 1 ? dws_k5s1 : dws_k5s2)(g, xin, wk, b, masks, act, lo, hi, yo);
        else if (K == 3)
            (S == 1 ? dw_k3s1 : dw_k3s2)(g, xin, wk, b, masks, act, lo, hi, yo);
        else
            (S == 1 ? dw_k5s1 : dw_k5s2)(g, xin, wk, b, masks, act, lo, hi, yo);
    }
}

/* One pass of the 7x7 loop at AVX-512: R output rows x C vectors of 16 columns (R, C constants
 * after inlining), the last vector stored under mlast. */
INLINE AVX512 void k7_blk512(const float *src, int64_t P, const float *wk, __m512 bv, const int R,
                             const int C, int act, __m512 lo, __m512 hi, float *dst, int64_t OW,
                             __mmask16 mlast)
{
    __m512 acc[4][2];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int c = 0; c < C; c++)
            acc[r][c] = bv;
#pragma GCC unroll 10
    for (int i = 0; i < R + 6; i++) {
        const float *s = src + i * P;
#pragma GCC unroll 7
        for (int kw = 0; kw < 7; kw++) {
            __m512 xv[2];
#pragma GCC unroll 2
            for (int c = 0; c < C; c++)
                xv[c] = _mm512_loadu_ps(s + kw + 16 * c);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) {
                if (i - r < 0 || i - r > 6)
                    continue;
                const __m512 wv = _mm512_set1_ps(wk[(i - r) * 7 + kw]);
#pragma GCC unroll 2
                for (int c = 0; c < C; c++)
                    acc[r][c] = _mm512_fmadd_ps(wv, xv[c], acc[r][c]);
            }
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int c = 0; c < C; c++) {
            const __m512 v = onnxbn_act16(acc[r][c], act, lo, hi);
            if (c + 1 < C)
                _mm512_storeu_ps(dst + r * OW + 16 * c, v);
            else
                _mm512_mask_storeu_ps(dst + r * OW + 16 * c, mlast, v);
        }
}

#define K7_512(R, C)                                                                               \
    static AVX512 void k7_512_r##R##c##C(const float *src, int64_t P, const float *wk, __m512 bv, \
                                         int act, __m512 lo, __m512 hi, float *dst, int64_t OW,   \
                                         __mmask16 mlast)                                          \
    {                                                                                              \
        k7_blk512(src, P, wk, bv, R, C, act, lo, hi, dst, OW, mlast);                              \
    }
K7_512(1, 1)
K7_512(2, 1)
K7_512(3, 1)
K7_512(4, 1)
K7_512(1, 2)
K7_512(2, 2)
K7_512(3, 2)
K7_512(4, 2)

static AVX512 void k7_rows512(const float *buf, int64_t P, const float *wk, float b, int64_t n,
                              int64_t OW, int act, float lo, float hi, float *y)
{
    typedef void blk(const float *, int64_t, const float *, __m512, int, __m512, __m512, float *,
                     int64_t, __mmask16);
    static blk *const tab[2][4] = {{k7_512_r1c1, k7_512_r2c1, k7_512_r3c1, k7_512_r4c1},
                                   {k7_512_r1c2, k7_512_r2c2, k7_512_r3c2, k7_512_r4c2}};
    const __m512 bv = _mm512_set1_ps(b), lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    for (int64_t c0 = 0; c0 < OW; c0 += 32) {
        const int64_t left = OW - c0;
        const int C = left > 16 ? 2 : 1;
        const int64_t lastw = left - 16 * (C - 1) < 16 ? left - 16 * (C - 1) : 16;
        const __mmask16 mlast = (__mmask16)((1u << lastw) - 1);
        for (int64_t r0 = 0; r0 < n; r0 += 4) {
            const int R = n - r0 < 4 ? (int)(n - r0) : 4;
            tab[C - 1][R - 1](buf + r0 * P + c0, P, wk, bv, act, lov, hiv, y + r0 * OW + c0, OW,
                              mlast);
        }
    }
}

#define AVX2 __attribute__((target("avx2,fma")))

/* The same pass at AVX2: R rows x C vectors of 8 columns, the last stored under mask mlast. */
INLINE AVX2 void k7_blk256(const float *src, int64_t P, const float *wk, __m256 bv, const int R,
                           const int C, float *dst, int64_t OW, __m256i mlast)
{
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int c = 0; c < C; c++)
            acc[r][c] = bv;
#pragma GCC unroll 10
    for (int i = 0; i < R + 6; i++) {
        const float *s = src + i * P;
#pragma GCC unroll 7
        for (int kw = 0; kw < 7; kw++) {
            __m256 xv[2];
#pragma GCC unroll 2
            for (int c = 0; c < C; c++)
                xv[c] = _mm256_loadu_ps(s + kw + 8 * c);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) {
                if (i - r < 0 || i - r > 6)
                    continue;
                const __m256 wv = _mm256_broadcast_ss(wk + (i - r) * 7 + kw);
#pragma GCC unroll 2
                for (int c = 0; c < C; c++)
                    acc[r][c] = _mm256_fmadd_ps(wv, xv[c], acc[r][c]);
            }
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int c = 0; c < C; c++) {
            if (c + 1 < C)
                _mm256_storeu_ps(dst + r * OW + 8 * c, acc[r][c]);
            else
                _mm256_maskstore_ps(dst + r * OW + 8 * c, mlast, acc[r][c]);
        }
}

#define K7_256(R, C)                                                                               \
    static AVX2 void k7_256_r##R##c##C(const float *src, int64_t P, const float *wk, __m256 bv,   \
                                       float *dst, int64_t OW, __m256i mlast)                      \
    {                                                                                              \
        k7_blk256(src, P, wk, bv, R, C, dst, OW, mlast);                                           \
    }
K7_256(1, 1)
K7_256(2, 1)
K7_256(3, 1)
K7_256(4, 1)
K7_256(1, 2)
K7_256(2, 2)
K7_256(3, 2)
K7_256(4, 2)

static AVX2 void k7_rows256(const float *buf, int64_t P, const float *wk, float b, int64_t n,
                            int64_t OW, int act, float lo, float hi, float *y)
{
    typedef void blk(const float *, int64_t, const float *, __m256, float *, int64_t, __m256i);
    static blk *const tab[2][4] = {{k7_256_r1c1, k7_256_r2c1, k7_256_r3c1, k7_256_r4c1},
                                   {k7_256_r1c2, k7_256_r2c2, k7_256_r3c2, k7_256_r4c2}};
    const __m256 bv = _mm256_set1_ps(b);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t c0 = 0; c0 < OW; c0 += 16) {
        const int64_t left = OW - c0;
        const int C = left > 8 ? 2 : 1;
        const int64_t lastw = left - 8 * (C - 1) < 8 ? left - 8 * (C - 1) : 8;
        const __m256i mlast = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)lastw), lane);
        for (int64_t r0 = 0; r0 < n; r0 += 4) {
            const int R = n - r0 < 4 ? (int)(n - r0) : 4;
            tab[C - 1][R - 1](buf + r0 * P + c0, P, wk, bv, y + r0 * OW + c0, OW, mlast);
        }
    }
    onnxbn_act_row(y, (size_t)(n * OW), act, lo, hi);
}
#endif

/* The 7x7 loop for the level in force, ONNXBN_DW_PORTABLE when g is not a 7x7 of its shape. */
static onnxbn_dw_impl k7_pick(const onnxbn_conv_geom *g)
{
    if (!k7_fits(g))
        return ONNXBN_DW_PORTABLE;
#ifdef DW_X86
    if (onnxbn_isa() >= ONNXBN_ISA_AVX512)
        return ONNXBN_DW_K7_AVX512;
    if (onnxbn_isa() >= ONNXBN_ISA_AVX2)
        return ONNXBN_DW_K7_AVX2;
#endif
    return ONNXBN_DW_K7;
}

/* impl is one of the 7x7 loops: runs it and says so; else false. */
static bool k7_dispatch(onnxbn_dw_impl impl, const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                        const float *x, const float *w, const float *bias, int act, float lo,
                        float hi, float *y)
{
    k7_rows_fn *rows = impl == ONNXBN_DW_K7 ? k7_rows_c : NULL;
#ifdef DW_X86
    if (impl == ONNXBN_DW_K7_AVX512)
        rows = k7_rows512;
    else if (impl == ONNXBN_DW_K7_AVX2)
        rows = k7_rows256;
#endif
    if (!rows)
        return false;
    k7_run(rows, g, out_ch, mult, x, w, bias, act, lo, hi, y);
    return true;
}

int onnxbn_dw_usable(onnxbn_dw_impl impl, const onnxbn_conv_geom *g)
{
    if (impl == ONNXBN_DW_PORTABLE)
        return 1;
    if (impl == ONNXBN_DW_AVX512)
        return onnxbn_dw_pick(g) == ONNXBN_DW_AVX512;
    /* the levels are ordered K7 < K7_AVX2 < K7_AVX512, as the ISA levels */
    const onnxbn_dw_impl best = k7_pick(g);
    return best != ONNXBN_DW_PORTABLE && impl >= ONNXBN_DW_K7 && impl <= best;
}

onnxbn_dw_impl onnxbn_dw_pick(const onnxbn_conv_geom *g)
{
    if (k7_fits(g))
        return k7_pick(g);
#ifdef DW_X86
    if (g->nsp == 2 && g->k[0] == g->k[1] && (g->k[0] == 3 || g->k[0] == 5) &&
        (g->stride[1] == 1 || g->stride[1] == 2) && g->grid[1] >= 1 &&
        g->grid[1] <= 16 * (int64_t)MAXVEC && onnxbn_isa() >= ONNXBN_ISA_AVX512)
        return ONNXBN_DW_AVX512;
#else
    (void)g;
#endif
    return ONNXBN_DW_PORTABLE;
}

void onnxbn_dw_run_f32(onnxbn_dw_impl impl, const onnxbn_conv_geom *g, size_t out_ch, size_t mult,
                       const float *x, const float *w, const float *bias, int act_kind, float lo,
                       float hi, float *y)
{
    if (k7_dispatch(impl, g, out_ch, mult, x, w, bias, act_kind, lo, hi, y))
        return;
#ifdef DW_X86
    if (impl == ONNXBN_DW_AVX512) {
        dw_avx512(g, out_ch, mult, x, w, bias, act_kind, lo, hi, y);
        return;
    }
#else
    (void)impl;
#endif
    dw_portable(g, out_ch, mult, x, w, bias, act_kind, lo, hi, y);
}
