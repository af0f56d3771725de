/* SPDX-License-Identifier: Apache-2.0 */
/* conv_taps.c — the taps of a Conv that read only padding, found from the geometry at plan time and
 * skipped: the ASPP convs of DeepLab (dilation 12-36 on 14x14 to 28x28 maps) are mostly such taps. */
#include "ops/conv_taps.h"

#include <string.h>

#include "kernels/act.h"
#include "kernels/gemm.h"
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

/* The bands of axis d: cut at every live range's ends, then neighbours with the same taps joined. */
static int make_bands(const onnxbn_conv_geom *g, int d, onnxbn_taps_band *band)
{
    int64_t cuts[2 * ONNXBN_TAPS_MAX_K + 2], lo[ONNXBN_TAPS_MAX_K], hi[ONNXBN_TAPS_MAX_K];
    const int64_t k = g->k[d], n = g->grid[d];
    int nc = 0;
    cuts[nc++] = 0;
    cuts[nc++] = n;
    for (int64_t j = 0; j < k; j++) {
        live_range(g, d, j, &lo[j], &hi[j]);
        if (lo[j] > 0 && lo[j] < n)
            cuts[nc++] = lo[j];
        if (hi[j] > 0 && hi[j] < n)
            cuts[nc++] = hi[j];
    }
    for (int i = 1; i < nc; i++) /* insertion sort: at most 34 values */
        for (int m = i; m > 0 && cuts[m - 1] > cuts[m]; m--) {
            const int64_t t = cuts[m];
            cuts[m] = cuts[m - 1];
            cuts[m - 1] = t;
        }
    int nb = 0;
    for (int i = 0; i + 1 < nc; i++) {
        const int64_t o0 = cuts[i], o1 = cuts[i + 1];
        if (o0 == o1)
            continue;
        int64_t j0 = -1, j1 = -1;
        for (int64_t j = 0; j < k; j++)
            if (lo[j] <= o0 && o0 < hi[j]) {
                if (j0 < 0)
                    j0 = j;
                j1 = j + 1;
            }
        if (j0 < 0)
            j0 = j1 = 0;
        if (nb && band[nb - 1].j0 == j0 && band[nb - 1].j1 == j1 && band[nb - 1].o1 == o0) {
            band[nb - 1].o1 = o1;
            continue;
        }
        band[nb++] = (onnxbn_taps_band){o0, o1, j0, j1};
    }
    return nb;
}

/* Gathered floats a chunk of a region may take before it is cut into row chunks (4 MiB). */
#define CHUNK_CAP ((size_t)1 << 20)

/* Rows a chunk of a region of width w with kk live taps takes (at least 1). */
static size_t chunk_rows(const onnxbn_conv_taps *t, size_t kk, size_t w, size_t h)
{
    const size_t per_row = kk * t->C * w;
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
        t->nb[d] = make_bands(g, d, t->band[d]);
        double s = 0;
        for (int b = 0; b < t->nb[d]; b++)
            s += (double)(t->band[d][b].o1 - t->band[d][b].o0) *
                 (double)(t->band[d][b].j1 - t->band[d][b].j0);
        live *= s;
        full *= (double)g->grid[d] * (double)g->k[d];
    }
    if (live > max_live * full)
        return false;
    /* the scratch of the largest chunk: gathered input and its output, within size_t */
    size_t most = 0;
    for (int by = 0; by < t->nb[0]; by++)
        for (int bx = 0; bx < t->nb[1]; bx++) {
            const onnxbn_taps_band *y = &t->band[0][by], *x = &t->band[1][bx];
            const size_t kk = (size_t)((y->j1 - y->j0) * (x->j1 - x->j0));
            const size_t w = (size_t)(x->o1 - x->o0), h = (size_t)(y->o1 - y->o0);
            size_t px, colf, outf, all;
            if (!onnxbn_mul_size(chunk_rows(t, kk, w, h), w, &px) ||
                !onnxbn_mul_size(kk * C, px, &colf) || !onnxbn_mul_size(M, px, &outf) ||
                (all = colf + outf) < colf || all > SIZE_MAX / 2 / sizeof(float))
                return false;
            if (all > most)
                most = all;
        }
    t->slot_floats = most;
    return true;
}

void onnxbn_conv_taps_weights(const float *w, size_t M, size_t C, const onnxbn_conv_geom *g,
                              float *out)
{
    const size_t kk = (size_t)(g->k[0] * g->k[1]);
    for (size_t m = 0; m < M; m++)
        for (size_t c = 0; c < C; c++)
            for (size_t j = 0; j < kk; j++)
                out[(m * kk + j) * C + c] = w[(m * C + c) * kk + j];
}

/* One task: output channels [m0, m1) of grid rows [r0, r0 + nr) of region (by, bx). */
typedef struct taps_job {
    const onnxbn_conv_taps *t;
    const onnxbn_conv_geom *g;
    const float *x, *wt, *bias, *res;
    float *y, *scratch;
    size_t slot, mparts;
    bool own_slots; /* a slot a thread (else every task on the caller's) */
    onnxbn_act act;
    onnxbn_stop *stop;
} taps_job;

static void gather(const taps_job *j, const onnxbn_taps_band *by, const onnxbn_taps_band *bx,
                   size_t r0, size_t nr, float *col)
{
    const onnxbn_conv_geom *g = j->g;
    const size_t C = j->t->C, w = (size_t)(bx->o1 - bx->o0), P = nr * w;
    const int64_t H = g->img[0], W = g->img[1], sx = g->stride[1];
    size_t row = 0;
    for (int64_t ky = by->j0; ky < by->j1; ky++)
        for (int64_t kx = bx->j0; kx < bx->j1; kx++)
            for (size_t c = 0; c < C; c++, row++) {
                const float *xc = j->x + c * (size_t)(H * W);
                float *dst = col + row * P;
                for (size_t r = 0; r < nr; r++) {
                    const int64_t oy = by->o0 + (int64_t)(r0 + r);
                    const int64_t iy = oy * g->stride[0] - g->pad[0] + ky * g->dil[0];
                    const int64_t ix = bx->o0 * sx - g->pad[1] + kx * g->dil[1];
                    /* the band's taps are live for all its outputs: iy, ix .. inside the image */
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

static void taps_chunk(const taps_job *j, const onnxbn_taps_band *by, const onnxbn_taps_band *bx,
                       size_t r0, size_t nr, size_t mpart, int thread)
{
    const onnxbn_conv_taps *t = j->t;
    const onnxbn_conv_geom *g = j->g;
    const size_t C = t->C, M = t->M, w = (size_t)(bx->o1 - bx->o0), P = nr * w;
    const size_t ny = (size_t)(by->j1 - by->j0), nx = (size_t)(bx->j1 - bx->j0);
    const size_t k1 = (size_t)g->k[1], lda = (size_t)g->k[0] * k1 * C;
    size_t m0, m1;
    onnxbn_split(M, j->mparts, mpart, 16, &m0, &m1);
    if (m0 >= m1)
        return;
    float *col = j->scratch + (j->own_slots ? (size_t)thread : 0) * j->slot;
    float *out = col + ny * nx * C * P;
    if (!ny || !nx) {
        memset(out + m0 * P, 0, (m1 - m0) * P * sizeof *out);
    } else {
        gather(j, by, bx, r0, nr, col);
        /* whole kernel rows: the live taps of consecutive kernel rows are one span of W */
        const size_t calls = nx == k1 ? 1 : ny, kpart = (nx == k1 ? ny : 1) * nx * C;
        for (size_t q = 0; q < calls; q++) {
            const float *a = j->wt + m0 * lda + (((size_t)by->j0 + q) * k1 + (size_t)bx->j0) * C;
            onnxbn_sgemm(false, false, m1 - m0, P, kpart, 1.0f, a, lda, col + q * kpart * P, P,
                         q ? 1.0f : 0.0f, out + m0 * P, P);
        }
    }
    const size_t OW = (size_t)g->grid[1], osz = (size_t)(g->grid[0] * g->grid[1]);
    for (size_t m = m0; m < m1; m++) {
        const float b = j->bias ? j->bias[m] : 0.0f;
        for (size_t r = 0; r < nr; r++) {
            const size_t at = m * osz + ((size_t)by->o0 + r0 + r) * OW + (size_t)bx->o0;
            const float *restrict src = out + m * P + r * w;
            float *restrict dst = j->y + at;
            if (j->res) {
                const float *restrict z = j->res + at;
                for (size_t i = 0; i < w; i++)
                    dst[i] = src[i] + b + z[i];
            } else {
                for (size_t i = 0; i < w; i++)
                    dst[i] = src[i] + b;
            }
            onnxbn_act_row(dst, w, j->act.kind, j->act.lo, j->act.hi);
        }
    }
}

/* Task q: chunk q / mparts in region-major order, output-channel part q % mparts. */
static void taps_task(void *arg, size_t q, int thread)
{
    const taps_job *j = arg;
    const onnxbn_conv_taps *t = j->t;
    if (onnxbn_stopped(j->stop))
        return;
    size_t chunk = q / j->mparts;
    for (int by = 0; by < t->nb[0]; by++)
        for (int bx = 0; bx < t->nb[1]; bx++) {
            const onnxbn_taps_band *y = &t->band[0][by], *x = &t->band[1][bx];
            const size_t kk = (size_t)((y->j1 - y->j0) * (x->j1 - x->j0));
            const size_t h = (size_t)(y->o1 - y->o0), w = (size_t)(x->o1 - x->o0);
            const size_t nr = chunk_rows(t, kk, w, h), n = (h + nr - 1) / nr;
            if (chunk >= n) {
                chunk -= n;
                continue;
            }
            const size_t r0 = chunk * nr;
            taps_chunk(j, y, x, r0, h - r0 < nr ? h - r0 : nr, q % j->mparts, thread);
            return;
        }
}

void onnxbn_conv_taps_run(const onnxbn_conv_taps *t, const onnxbn_conv_geom *g, size_t N,
                          const float *x, const float *wt, const float *bias, const float *res,
                          float *y, onnxbn_act act, float *scratch, size_t slots,
                          onnxbn_pool *pool, onnxbn_stop *stop)
{
    const size_t nth = (size_t)onnxbn_pool_threads(pool);
    const size_t isz = (size_t)(g->img[0] * g->img[1]), osz = (size_t)(g->grid[0] * g->grid[1]);
    size_t chunks = 0;
    for (int by = 0; by < t->nb[0]; by++)
        for (int bx = 0; bx < t->nb[1]; bx++) {
            const onnxbn_taps_band *yb = &t->band[0][by], *xb = &t->band[1][bx];
            const size_t kk = (size_t)((yb->j1 - yb->j0) * (xb->j1 - xb->j0));
            const size_t h = (size_t)(yb->o1 - yb->o0), w = (size_t)(xb->o1 - xb->o0);
            const size_t nr = chunk_rows(t, kk, w, h);
            chunks += (h + nr - 1) / nr;
        }
    taps_job j = {.t = t, .g = g, .wt = wt, .bias = bias, .act = act, .stop = stop,
                  .scratch = scratch, .slot = t->slot_floats};
    j.own_slots = nth > 1 && slots >= nth;
    /* few chunks (the regions are uneven): the threads also share each chunk's output channels */
    j.mparts = j.own_slots && chunks < 4 * nth && t->M >= 32 * nth ? nth : 1;
    for (size_t n = 0; n < N; n++) {
        j.x = x + n * t->C * isz;
        j.y = y + n * t->M * osz;
        j.res = res ? res + n * t->M * osz : NULL;
        if (j.own_slots) {
            onnxbn_pool_run(pool, chunks * j.mparts, taps_task, &j);
        } else {
            for (size_t q = 0; q < chunks * j.mparts; q++)
                taps_task(&j, q, 0);
        }
    }
}
