/* SPDX-License-Identifier: Apache-2.0 */
/* conv_taps.c — the taps of a Conv that read only padding, found from the geometry at plan time and
 * skipped: the ASPP convs of DeepLab (dilation 12-36 on 14x14 to 28x28 maps) are mostly such taps. */
#include "ops/conv_taps.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/act.h"
#include "kernels/gemm.h"
#include "kernels/pointwise.h"
#include "threadpool.h"

/* floor(a / b) for b > 0 and any a */
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The outputs [lo, hi) along axis d for which tap j reads inside the image (lo >= hi: none). */
static void live_range(const onnxbn_conv_geom *g, int d, int64_t j, int64_t *lo, int64_t *hi)
{
    const int64_t base = j * g->dil[d] - g->pad[d], s = g->stride[d];
    int64_t l = -floor_div(base, s); /* ceil(-base / s): the first o with o·s + base >= 0 */
    int64_t h = floor_div(g->img[d] - 1 - base, s) + 1;
    *lo = l < 0 ? 0 : l;
    *hi = h > g->grid[d] ? g->grid[d] : h;
}

bool onnxbn_conv_trim_taps(onnxbn_conv_geom *g, int64_t *first, int64_t *korig)
{
    int64_t j0[ONNXBN_CONV_MAX_SP], j1[ONNXBN_CONV_MAX_SP];
    bool cut = false;
    for (int d = 0; d < g->nsp; d++) {
        j0[d] = -1;
        j1[d] = -1;
        for (int64_t j = 0; j < g->k[d]; j++) {
            int64_t lo, hi;
            live_range(g, d, j, &lo, &hi);
            if (lo < hi) {
                if (j0[d] < 0)
                    j0[d] = j;
                j1[d] = j + 1;
            }
        }
        if (j0[d] < 0) /* every output of this axis reads only padding: left to the full path */
            return false;
        cut |= j0[d] > 0 || j1[d] < g->k[d];
    }
    if (!cut)
        return false;
    for (int d = 0; d < g->nsp; d++) {
        korig[d] = g->k[d];
        first[d] = j0[d];
        g->k[d] = j1[d] - j0[d];
        g->pad[d] -= j0[d] * g->dil[d];
    }
    return true;
}

void onnxbn_conv_slice_taps(const float *w, size_t rows, int nsp, const int64_t *korig,
                            const int64_t *first, const int64_t *k, float *out)
{
    size_t kin = 1, kout = 1;
    for (int d = 0; d < nsp; d++) {
        kin *= (size_t)korig[d];
        kout *= (size_t)k[d];
    }
    for (size_t r = 0; r < rows; r++) {
        const float *src = w + r * kin;
        float *dst = out + r * kout;
        for (size_t t = 0; t < kout; t++) {
            /* t's index along each axis, last axis fastest; its place in the full kernel */
            size_t rem = t, at = 0, mul = 1;
            for (int d = nsp - 1; d >= 0; d--) {
                const size_t i = rem % (size_t)k[d];
                rem /= (size_t)k[d];
                at += (i + (size_t)first[d]) * mul;
                mul *= (size_t)korig[d];
            }
            dst[t] = src[at];
        }
    }
}

/* Gathered floats a chunk of a tap's outputs may take before it is cut into row chunks (4 MiB). */
#define CHUNK_CAP ((size_t)1 << 20)

/* Rows of a tap's rectangle (h rows of w outputs) a chunk takes: at least 1. */
static size_t chunk_rows(const onnxbn_conv_taps *t, size_t w, size_t h)
{
    const size_t per_row = t->C * w;
    size_t nr = per_row ? t->chunk_cap / per_row : h;
    if (nr < 1)
        nr = 1;
    return nr > h ? h : nr;
}

bool onnxbn_conv_taps_plan(const onnxbn_conv_geom *g, size_t C, size_t M, double max_live,
                           onnxbn_conv_taps *t)
{
    if (g->nsp != 2 || !C || !M)
        return false;
    for (int d = 0; d < 2; d++)
        if (g->k[d] > ONNXBN_TAPS_MAX_K || g->grid[d] < 1)
            return false;
    memset(t, 0, sizeof *t);
    t->C = C;
    t->M = M;
    t->chunk_cap = CHUNK_CAP;
    /* the live (tap, output) pairs factor over the axes */
    double live = 1, full = 1;
    for (int d = 0; d < 2; d++) {
        double s = 0;
        for (int64_t j = 0; j < g->k[d]; j++) {
            live_range(g, d, j, &t->lo[d][j], &t->hi[d][j]);
            if (t->hi[d][j] < t->lo[d][j])
                t->hi[d][j] = t->lo[d][j];
            s += (double)(t->hi[d][j] - t->lo[d][j]);
        }
        live *= s;
        full *= (double)g->grid[d] * (double)g->k[d];
    }
    if (live > max_live * full)
        return false;
    /* the scratch of the largest chunk: gathered input and its product, within size_t */
    size_t most = 0;
    for (int64_t ky = 0; ky < g->k[0]; ky++)
        for (int64_t kx = 0; kx < g->k[1]; kx++) {
            const size_t h = (size_t)(t->hi[0][ky] - t->lo[0][ky]);
            const size_t w = (size_t)(t->hi[1][kx] - t->lo[1][kx]);
            size_t px, colf, outf, all;
            if (!h || !w)
                continue;
            if (!onnxbn_mul_size(chunk_rows(t, w, h), w, &px) || !onnxbn_mul_size(C, px, &colf) ||
                !onnxbn_mul_size(M, px, &outf) || (all = colf + outf) < colf ||
                all > SIZE_MAX / 2 / sizeof(float))
                return false;
            if (all > most)
                most = all;
        }
    t->slot_floats = most ? most : 1;
    return true;
}

float *onnxbn_conv_taps_weights(onnxbn_conv_taps *t, const float *w, const onnxbn_conv_geom *g)
{
    const size_t kk = (size_t)(g->k[0] * g->k[1]), M = t->M, C = t->C;
    const size_t pk = onnxbn_pw_fast() ? onnxbn_pw_packed_floats(M, C) : 0;
    size_t all;
    t->packed = pk != 0;
    t->tap_floats = pk ? pk : M * C;
    if (!onnxbn_mul_size(kk, t->tap_floats, &all) || all > SIZE_MAX / sizeof(float))
        return NULL;
    float *out = malloc(all * sizeof(float)), *plain = pk ? malloc(M * C * sizeof(float)) : NULL;
    if (!out || (pk && !plain)) {
        free(out);
        free(plain);
        return NULL;
    }
    for (size_t j = 0; j < kk; j++) {
        float *dst = pk ? plain : out + j * t->tap_floats;
        for (size_t m = 0; m < M; m++)
            for (size_t c = 0; c < C; c++)
                dst[m * C + c] = w[(m * C + c) * kk + j];
        if (pk)
            onnxbn_pw_pack(M, C, plain, out + j * pk);
    }
    free(plain);
    return out;
}

/* One image, output channels [m0, m1) of part t: every tap over the outputs it is live for. */
typedef struct taps_job {
    const onnxbn_conv_taps *t;
    const onnxbn_conv_geom *g;
    const float *x, *wt, *bias, *res;
    float *y, *scratch;
    size_t slot, parts;
    onnxbn_act act;
    onnxbn_stop *stop;
} taps_job;

/* col (C × nr·w) = the inputs under tap (ky, kx) for output rows oy0 .. oy0+nr, columns ox0 ..
 * ox0+w: inside the image for every one of them (the tap is live there), so plain copies. */
static void gather(const taps_job *j, int64_t ky, int64_t kx, int64_t oy0, size_t nr, int64_t ox0,
                   size_t w, float *col)
{
    const onnxbn_conv_geom *g = j->g;
    const size_t C = j->t->C, P = nr * w;
    const int64_t H = g->img[0], W = g->img[1], sx = g->stride[1];
    const int64_t ix = ox0 * sx - g->pad[1] + kx * g->dil[1];
    for (size_t c = 0; c < C; c++) {
        const float *xc = j->x + c * (size_t)(H * W);
        float *dst = col + c * P;
        for (size_t r = 0; r < nr; r++) {
            const int64_t iy = (oy0 + (int64_t)r) * g->stride[0] - g->pad[0] + ky * g->dil[0];
            const float *src = xc + iy * W + ix;
            if (sx == 1) {
                memcpy(dst + r * w, src, w * sizeof *dst);
            } else {
                for (size_t i = 0; i < w; i++)
                    dst[r * w + i] = src[(int64_t)i * sx];
            }
        }
    }
}

static void add_rows(float *restrict dst, const float *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}

static void taps_part(void *arg, size_t part, int thread)
{
    const taps_job *j = arg;
    const onnxbn_conv_taps *t = j->t;
    const onnxbn_conv_geom *g = j->g;
    const size_t C = t->C, M = t->M, OW = (size_t)g->grid[1];
    const size_t osz = (size_t)g->grid[0] * OW;
    size_t m0, m1;
    onnxbn_split(M, j->parts, part, 16, &m0, &m1);
    if (m0 >= m1)
        return;
    const size_t nm = m1 - m0;
    float *col = j->scratch + (size_t)thread * j->slot;
    /* outputs no tap reaches keep the bias */
    for (size_t m = m0; m < m1; m++) {
        const float b = j->bias ? j->bias[m] : 0.0f;
        float *ym = j->y + m * osz;
        for (size_t i = 0; i < osz; i++)
            ym[i] = b;
    }
    for (int64_t ky = 0; ky < g->k[0]; ky++)
        for (int64_t kx = 0; kx < g->k[1]; kx++) {
            const size_t h = (size_t)(t->hi[0][ky] - t->lo[0][ky]);
            const size_t w = (size_t)(t->hi[1][kx] - t->lo[1][kx]);
            if (!h || !w || onnxbn_stopped(j->stop))
                continue;
            /* rows from m0 (a multiple of 16, so of the packed panels too) */
            const float *a = j->wt + (size_t)(ky * g->k[1] + kx) * t->tap_floats + m0 * C;
            const size_t nr = chunk_rows(t, w, h);
            for (size_t r0 = 0; r0 < h; r0 += nr) {
                const size_t n = h - r0 < nr ? h - r0 : nr, P = n * w;
                const size_t oy = (size_t)t->lo[0][ky] + r0, ox = (size_t)t->lo[1][kx];
                gather(j, ky, kx, (int64_t)oy, n, (int64_t)ox, w, col);
                float *yr = j->y + m0 * osz + oy * OW + ox, *prod = col + C * P;
                if (t->packed) {
                    onnxbn_pw_f32(nm, P, C, a, col, P, NULL, NULL, 0, 0.0f, 0.0f, prod, P);
                    for (size_t m = 0; m < nm; m++)
                        for (size_t r = 0; r < n; r++)
                            add_rows(yr + m * osz + r * OW, prod + m * P + r * w, w);
                    continue;
                }
                if (w == OW) { /* whole rows: one span of Y a channel, summed in place */
                    onnxbn_sgemm(false, false, nm, P, C, 1.0f, a, C, col, P, 1.0f, yr, osz);
                    continue;
                }
                onnxbn_sgemm(false, false, nm, P, C, 1.0f, a, C, col, P, 0.0f, prod, P);
                for (size_t m = 0; m < nm; m++)
                    for (size_t r = 0; r < n; r++)
                        add_rows(yr + m * osz + r * OW, prod + m * P + r * w, w);
            }
        }
    for (size_t m = m0; m < m1; m++) {
        float *ym = j->y + m * osz;
        if (j->res)
            add_rows(ym, j->res + m * osz, osz);
        onnxbn_act_row(ym, osz, j->act.kind, j->act.lo, j->act.hi);
    }
}

void onnxbn_conv_taps_run(const onnxbn_conv_taps *t, const onnxbn_conv_geom *g, size_t N,
                          const float *x, const float *wt, const float *bias, const float *res,
                          float *y, onnxbn_act act, float *scratch, size_t slots,
                          onnxbn_pool *pool, onnxbn_stop *stop)
{
    const size_t nth = (size_t)onnxbn_pool_threads(pool);
    const size_t isz = (size_t)(g->img[0] * g->img[1]), osz = (size_t)(g->grid[0] * g->grid[1]);
    taps_job j = {.t = t, .g = g, .wt = wt, .bias = bias, .act = act, .stop = stop,
                  .scratch = scratch, .slot = t->slot_floats};
    /* threads split the output channels (each reads its rows of W once, and gathers the
     * inputs for itself): whole 16-row blocks each, else one thread */
    j.parts = nth > 1 && slots >= nth && t->M >= 32 * nth ? nth : 1;
    for (size_t n = 0; n < N; n++) {
        j.x = x + n * t->C * isz;
        j.y = y + n * t->M * osz;
        j.res = res ? res + n * t->M * osz : NULL;
        if (j.parts > 1)
            onnxbn_pool_run_fixed(pool, taps_part, &j);
        else
            taps_part(&j, 0, 0);
    }
}
