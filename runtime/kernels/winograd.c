/* SPDX-License-Identifier: Apache-2.0 */
/* winograd.c — the two transforms of F(2x2, 3x3) over whole tile rows, written as loops over
 * contiguous vectors of tiles so that they vectorise; the SGEMMs between them are the caller's. */
#include "kernels/winograd.h"

#include "kernels/act.h"
#include "kernels/clones.h"

#include <string.h>

void onnxbn_wino_weights_f32(const float *w, size_t M, size_t C, float *U)
{
    /* G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] */
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    const size_t MC = M * C;
    for (size_t mc = 0; mc < MC; mc++) {
        const float *g = w + mc * 9;
        double t[4][3]; /* G·g */
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
                t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                U[(size_t)(i * 4 + j) * MC + mc] =
                    (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
}

/* Input row ir of one channel into dst[0, wp), shifted by the left pad, zero outside the image. */
static void padded_row(const onnxbn_wino_geom *g, const float *xc, int64_t ir, size_t wp,
                       float *dst)
{
    if (ir < 0 || ir >= g->H) {
        memset(dst, 0, wp * sizeof *dst);
        return;
    }
    int64_t lo = g->pl > 0 ? g->pl : 0, hi = g->W + g->pl;
    if (lo > (int64_t)wp)
        lo = (int64_t)wp;
    if (hi > (int64_t)wp)
        hi = (int64_t)wp;
    if (hi < lo)
        hi = lo;
    memset(dst, 0, (size_t)lo * sizeof *dst);
    memcpy(dst + lo, xc + ir * g->W + (lo - g->pl), (size_t)(hi - lo) * sizeof *dst);
    memset(dst + hi, 0, (wp - (size_t)hi) * sizeof *dst);
}

size_t onnxbn_wino_rowbuf_floats(const onnxbn_wino_geom *g, size_t nr)
{
    return (2 * nr + 6) * (size_t)(2 * g->TW + 2);
}

/* Bᵀ·d down the columns of four input rows, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], even
 * and odd columns apart (n of each) so that the step along the rows reads contiguous vectors.
 * Separate functions with restrict parameters: GCC takes restrict from parameters, not from
 * locals, and without it keeps these loops scalar. They are inlined into each ISA's copy of the
 * transforms (ONNXBN_CLONES): built once for the baseline, they ran 4 lanes wide, and on the
 * small UNet's 16- to 64-channel layers the transforms were 43% of the time, the point products
 * 39%. */
ONNXBN_CLONE_BODY void down(size_t n, const float *restrict a0, const float *restrict a1,
                            const float *restrict a2, const float *restrict a3,
                            float *restrict e0, float *restrict e1, float *restrict e2,
                            float *restrict e3, float *restrict o0, float *restrict o1,
                            float *restrict o2, float *restrict o3)
{
    for (size_t t = 0; t < n; t++) {
        e0[t] = a0[2 * t] - a2[2 * t];
        e1[t] = a1[2 * t] + a2[2 * t];
        e2[t] = a2[2 * t] - a1[2 * t];
        e3[t] = a1[2 * t] - a3[2 * t];
        o0[t] = a0[2 * t + 1] - a2[2 * t + 1];
        o1[t] = a1[2 * t + 1] + a2[2 * t + 1];
        o2[t] = a2[2 * t + 1] - a1[2 * t + 1];
        o3[t] = a1[2 * t + 1] - a3[2 * t + 1];
    }
}

/* Then ·B along a row: tile t spans columns 2t .. 2t+3, that is e[t] o[t] e[t+1] o[t+1]. */
ONNXBN_CLONE_BODY void along(size_t n, const float *restrict e, const float *restrict o,
                             float *restrict v0, float *restrict v1, float *restrict v2,
                             float *restrict v3)
{
    for (size_t t = 0; t < n; t++) {
        v0[t] = e[t] - e[t + 1];
        v1[t] = o[t] + e[t + 1];
        v2[t] = e[t + 1] - o[t];
        v3[t] = o[t] - o[t + 1];
    }
}

ONNXBN_CLONE_BODY void onnxbn_wino_input_f32_body(const onnxbn_wino_geom *g, const float *x,
                                                  size_t c0, size_t c1, size_t r0, size_t nr,
                                                  float *V, size_t pstride, float *rowbuf)
{
    const size_t TW = (size_t)g->TW, wp = 2 * TW + 2, nt = nr * TW;
    /* the channel's rows under these tile rows, padded (each is read by two tile rows) */
    float *pad = rowbuf + 4 * wp, *e[4], *o[4];
    for (int k = 0; k < 4; k++) {
        e[k] = rowbuf + (size_t)(2 * k) * (TW + 1);
        o[k] = rowbuf + (size_t)(2 * k + 1) * (TW + 1);
    }
    for (size_t c = c0; c < c1; c++) {
        const float *xc = x + c * (g->xcs ? g->xcs : (size_t)(g->H * g->W));
        for (size_t q = 0; q < 2 * nr + 2; q++)
            padded_row(g, xc, 2 * (int64_t)r0 - g->pt + (int64_t)q, wp, pad + q * wp);
        for (size_t i = 0; i < nr; i++) {
            const float *a = pad + 2 * i * wp;
            down(TW + 1, a, a + wp, a + 2 * wp, a + 3 * wp, e[0], e[1], e[2], e[3], o[0], o[1],
                 o[2], o[3]);
            float *v = V + c * (g->vcs ? g->vcs : nt) + i * TW;
            for (int k = 0; k < 4; k++)
                along(TW, e[k], o[k], v + (size_t)(4 * k) * pstride,
                      v + (size_t)(4 * k + 1) * pstride, v + (size_t)(4 * k + 2) * pstride,
                      v + (size_t)(4 * k + 3) * pstride);
        }
    }
}

ONNXBN_CLONES(, onnxbn_wino_input_f32,
              (const onnxbn_wino_geom *g, const float *x, size_t c0, size_t c1, size_t r0,
               size_t nr, float *V, size_t pstride, float *rowbuf),
              (g, x, c0, c1, r0, nr, V, pstride, rowbuf))

/* Tiles are turned into output a segment at a time, through a buffer that stays in L1. */
enum { SEG = 64 };

/* Aᵀ down column k of n tiles (rows k, 4 + k, 8 + k, 12 + k of P), and then ·A along the two
 * rows that gives, even and odd output columns interleaved. Separate loops with restrict
 * parameters: one loop over 16 row pointers kept them on the stack and reloaded them per vector. */
ONNXBN_CLONE_BODY void wino_up(size_t n, const float *restrict a, const float *restrict b,
                               const float *restrict c, const float *restrict d,
                               float *restrict s0, float *restrict s1)
{
    for (size_t t = 0; t < n; t++) {
        s0[t] = a[t] + b[t] + c[t];
        s1[t] = b[t] - c[t] - d[t];
    }
}

ONNXBN_CLONE_BODY void wino_across(size_t n, const float *restrict s0, const float *restrict s1,
                                   const float *restrict s2, const float *restrict s3, float bias,
                                   float *restrict q)
{
    for (size_t t = 0; t < n; t++) {
        q[2 * t] = s0[t] + s1[t] + s2[t] + bias;
        q[2 * t + 1] = s1[t] - s2[t] - s3[t] + bias;
    }
}

/* dst[i] += res[i] (separate for the restrict qualifiers: then it vectorises). */
ONNXBN_CLONE_BODY void add_row(float *restrict dst, const float *restrict res, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += res[i];
}

ONNXBN_CLONE_BODY void onnxbn_wino_output_f32_body(const onnxbn_wino_geom *g, const float *P,
                                                   size_t pstride, size_t m0, size_t m1, size_t r0,
                                                   size_t nr, const float *bias, const float *res,
                                                   int act_kind, float lo, float hi, float *y)
{
    const size_t TW = (size_t)g->TW, OW = (size_t)g->OW, nt = nr * TW;
    const size_t ycs = g->ycs ? g->ycs : (size_t)(g->OH * g->OW);
    float q[2][2 * SEG]; /* output rows 0/1 of the segment, even/odd columns interleaved */
    for (size_t m = m0; m < m1; m++) {
        const float b = bias ? bias[m] : 0.0f;
        for (size_t i = r0; i < r0 + nr; i++) {
            const size_t base = m * (g->pcs ? g->pcs : nt) + (i - r0) * TW;
            const int64_t oy = 2 * (int64_t)i;
            for (size_t t0 = 0; t0 < TW; t0 += SEG) {
                const size_t n = TW - t0 < SEG ? TW - t0 : SEG;
                const float *p = P + base + t0;
                float s[8][SEG];
                /* Aᵀ·P·A, Aᵀ = [1 1 1 0; 0 1 −1 −1]: down the tile's columns, then along */
                for (size_t k = 0; k < 4; k++)
                    wino_up(n, p + k * pstride, p + (4 + k) * pstride, p + (8 + k) * pstride,
                            p + (12 + k) * pstride, s[k], s[4 + k]);
                wino_across(n, s[0], s[1], s[2], s[3], b, q[0]);
                wino_across(n, s[4], s[5], s[6], s[7], b, q[1]);
                /* the last tile column of an odd width and the last tile row of an odd height
                 * fall partly outside the output */
                const size_t x0 = 2 * t0, w = x0 + 2 * n > OW ? OW - x0 : 2 * n;
                for (int r = 0; r < 2 && oy + r < g->OH; r++) {
                    const size_t at = m * ycs + (size_t)(oy + r) * OW + x0;
                    float *dst = y + at;
                    memcpy(dst, q[r], w * sizeof *dst);
                    if (res)
                        add_row(dst, res + at, w);
                    onnxbn_act_row(dst, w, act_kind, lo, hi);
                }
            }
        }
    }
}

ONNXBN_CLONES(, onnxbn_wino_output_f32,
              (const onnxbn_wino_geom *g, const float *P, size_t pstride, size_t m0, size_t m1,
               size_t r0, size_t nr, const float *bias, const float *res, int act_kind, float lo,
               float hi, float *y),
              (g, P, pstride, m0, m1, r0, nr, bias, res, act_kind, lo, hi, y))
