/* SPDX-License-Identifier: Apache-2.0 */
/* gconv.c — grouped 2-D convolution one group at a time: the group's input copied once into padded
 * stride phases, then 8 (or 4) output channels × 48 (or 96) wide pixels a register tile, every tap
 * read in place from the phases, so no im2col copy of kh·kw spans a channel. */
#include "kernels/gconv.h"

#include "kernels/clones.h"
#include "kernels/isa.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GC_X86 1
#include <immintrin.h>
#endif

/* Terms summed a block, as in the 1x1 kernel (pointwise.c): a block holds whole channels,
 * KB / taps of them (14 for a 3x3), at least one. */
enum { KB = 128 };

/* Sizes on this path stay below 2^31 floats, so that no product of two of them overflows. */
#define LIM ((size_t)1 << 31)

static bool mul_lim(size_t a, size_t b, size_t *out)
{
    if (a && b > LIM / a)
        return false;
    *out = a * b;
    return *out < LIM;
}

bool onnxbn_gconv_init(onnxbn_gconv_geom *q, const onnxbn_conv_geom *g, size_t cg, size_t mg)
{
    memset(q, 0, sizeof *q);
    if (g->nsp != 2 || !cg || !mg || mg % 4 || cg >= LIM || mg >= LIM)
        return false;
    size_t sh[2];
    for (int d = 0; d < 2; d++) {
        if (g->stride[d] < 1 || g->stride[d] > 2 || g->dil[d] < 1 || g->k[d] < 1 ||
            g->k[d] > ONNXBN_GCONV_MAX_TAPS || g->grid[d] < 1 || g->grid[d] >= (int64_t)LIM ||
            g->img[d] < 1 || g->img[d] >= (int64_t)LIM || g->dil[d] >= (int64_t)LIM)
            return false;
        sh[d] = (size_t)((g->k[d] - 1) * g->dil[d] / g->stride[d]); /* the last tap's shift */
    }
    q->taps = (size_t)(g->k[0] * g->k[1]);
    if (q->taps > ONNXBN_GCONV_MAX_TAPS)
        return false;
    q->g = *g;
    q->cg = cg;
    q->mg = mg;
    q->mr = mg % 8 == 0 ? 8 : 4;
    q->oh = (size_t)g->grid[0];
    q->ow = (size_t)g->grid[1];
    q->hq = q->oh + sh[0];
    q->wq = q->ow + sh[1];
    q->phases = (size_t)(g->stride[0] * g->stride[1]);
    size_t all, out, w;
    if (q->hq >= LIM || q->wq >= LIM || !mul_lim(q->hq, q->wq, &q->plane) ||
        !mul_lim(q->plane, q->phases * cg, &all) || !mul_lim(mg, q->plane, &out) ||
        !mul_lim(mg, cg * q->taps, &w) || cg * q->taps >= LIM)
        return false;
    q->n = (q->oh - 1) * q->wq + q->ow;
    const size_t s0 = (size_t)g->stride[0], s1 = (size_t)g->stride[1];
    for (size_t a = 0; a < (size_t)g->k[0]; a++)
        for (size_t b = 0; b < (size_t)g->k[1]; b++) {
            const size_t ra = a * (size_t)g->dil[0], rb = b * (size_t)g->dil[1];
            q->tap_off[a * (size_t)g->k[1] + b] =
                ((ra % s0) * s1 + rb % s1) * q->plane + (ra / s0) * q->wq + rb / s1;
        }
    return true;
}

size_t onnxbn_gconv_planes_floats(const onnxbn_gconv_geom *q)
{
    return q->cg * q->phases * q->plane;
}

size_t onnxbn_gconv_out_floats(const onnxbn_gconv_geom *q)
{
    return q->mg * q->n;
}

size_t onnxbn_gconv_packed_floats(const onnxbn_gconv_geom *q)
{
    return q->mg * q->cg * q->taps;
}

void onnxbn_gconv_pack(const onnxbn_gconv_geom *q, const float *W, float *Wp)
{
    const size_t K = q->cg * q->taps, R = q->mr;
    for (size_t p = 0; p * R < q->mg; p++)
        for (size_t r = 0; r < R; r++)
            for (size_t k = 0; k < K; k++)
                Wp[(p * K + k) * R + r] = W[(p * R + r) * K + k];
}

/* First j ≥ 0 with s·j + off ≥ lo (off, lo may be negative), as a signed count. */
static int64_t first_at(int64_t s, int64_t off, int64_t lo)
{
    const int64_t d = lo - off;
    return d <= 0 ? 0 : (d + s - 1) / s;
}

/* One phase row: lo zeros, hi − lo image values at stride s (1 or 2, each its own loop so that
 * it vectorises: a copy, or a deinterleave), zeros to wq. Inline loops, not memset/memcpy: the
 * rows are 8 to 60 floats, and a call per piece cost a fifth of a 7x7 layer. */
ONNXBN_CLONE_BODY void phase_rows_body(const onnxbn_gconv_geom *q, const float *img, float *planes)
{
    const onnxbn_conv_geom *g = &q->g;
    const int64_t H = g->img[0], W = g->img[1], s0 = g->stride[0], s1 = g->stride[1];
    const int64_t wq = (int64_t)q->wq;
    for (size_t c = 0; c < q->cg; c++)
        for (int64_t p = 0; p < s0; p++)
            for (int64_t r = 0; r < s1; r++) {
                float *pl = planes + (c * q->phases + (size_t)(p * s1 + r)) * q->plane;
                const float *im = img + c * (size_t)(H * W);
                /* plane column j holds image column s1·j + r − pad[1]: [lo, hi) inside */
                int64_t lo = first_at(s1, r - g->pad[1], 0), hi = first_at(s1, r - g->pad[1], W);
                lo = lo > wq ? wq : lo;
                hi = hi < lo ? lo : hi > wq ? wq : hi;
                for (size_t i = 0; i < q->hq; i++) {
                    float *restrict row = pl + i * q->wq;
                    const int64_t ih = s0 * (int64_t)i + p - g->pad[0];
                    if (ih < 0 || ih >= H || lo == hi) {
                        for (int64_t j = 0; j < wq; j++)
                            row[j] = 0.0f;
                        continue;
                    }
                    const float *restrict src = im + ih * W + (s1 * lo + r - g->pad[1]);
                    for (int64_t j = 0; j < lo; j++)
                        row[j] = 0.0f;
                    float *restrict mid = row + lo;
                    const int64_t len = hi - lo;
                    if (s1 == 1)
                        for (int64_t j = 0; j < len; j++)
                            mid[j] = src[j];
                    else
                        for (int64_t j = 0; j < len; j++)
                            mid[j] = src[2 * j];
                    for (int64_t j = hi; j < wq; j++)
                        row[j] = 0.0f;
                }
            }
}
ONNXBN_CLONES(static, phase_rows, (const onnxbn_gconv_geom *q, const float *img, float *planes),
              (q, img, planes))

#ifdef GC_X86
/* src[b .. b + 16) as one vector, zeros outside [0, W): the loads are masked to the image, the
 * pointer never leaves it (a window starting left of it loads from src and shifts up). */
static inline __attribute__((always_inline, target("avx512f"))) __m512
window16(const float *src, int64_t b, int64_t W)
{
    if (b >= W || b + 16 <= 0)
        return _mm512_setzero_ps();
    if (b >= 0) {
        const int64_t n = W - b < 16 ? W - b : 16;
        return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), src + b);
    }
    const int64_t n = b + 16 < W ? b + 16 : W;
    const __m512 v = _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), src);
    const __m512i idx = _mm512_add_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)b));
    return _mm512_maskz_permutexvar_ps((__mmask16)(((1u << n) - 1) << -b), idx, v);
}

/* The same planes a vector at a time: a 7x7 layer's rows are 8 or 9 floats, where the loops
 * above spend their time on scalar ends, and at stride 2 one window of 32 image columns gives
 * both column phases (phases of 256 channels at 56x56/2: 0.14 against 0.21 ms). */
static __attribute__((target("avx512f"))) void phases_x512(const onnxbn_gconv_geom *q,
                                                                 const float *img, float *planes)
{
    const onnxbn_conv_geom *g = &q->g;
    const int64_t H = g->img[0], W = g->img[1], s0 = g->stride[0], s1 = g->stride[1];
    const int64_t wq = (int64_t)q->wq;
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (size_t c = 0; c < q->cg; c++) {
        const float *im = img + c * (size_t)(H * W);
        for (int64_t p = 0; p < s0; p++)
            for (size_t i = 0; i < q->hq; i++) {
                const int64_t ih = s0 * (int64_t)i + p - g->pad[0];
                const bool in = ih >= 0 && ih < H;
                const float *src = in ? im + ih * W : im;
                /* the rows of column phase 0 and (at stride 2) 1 */
                float *row0 = planes + (c * q->phases + (size_t)(p * s1)) * q->plane + i * q->wq;
                float *row1 = row0 + q->plane;
                for (int64_t j0 = 0; j0 < wq; j0 += 16) {
                    const int64_t left = wq - j0;
                    const __mmask16 st = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
                    const int64_t b = s1 * j0 - g->pad[1]; /* lane 0's image column, phase 0 */
                    if (!in) {
                        _mm512_mask_storeu_ps(row0 + j0, st, _mm512_setzero_ps());
                        if (s1 == 2)
                            _mm512_mask_storeu_ps(row1 + j0, st, _mm512_setzero_ps());
                    } else if (s1 == 1) {
                        _mm512_mask_storeu_ps(row0 + j0, st, window16(src, b, W));
                    } else {
                        /* one window of 32 columns holds both phases: even lanes and odd */
                        const __m512 lo = window16(src, b, W), hi = window16(src, b + 16, W);
                        _mm512_mask_storeu_ps(row0 + j0, st, _mm512_permutex2var_ps(lo, even, hi));
                        _mm512_mask_storeu_ps(row1 + j0, st, _mm512_permutex2var_ps(lo, odd, hi));
                    }
                }
            }
    }
}
#endif

void onnxbn_gconv_phases_f32(const onnxbn_gconv_geom *q, const float *img, float *planes)
{
#ifdef GC_X86
    /* stride 2 reads both column phases from one pair of loads here; at stride 1 on wider rows
     * the vectorised copy did better (56 columns: 0.062 against 0.082 ms for ResNeXt's layer1) */
    if (onnxbn_isa() >= ONNXBN_ISA_AVX512 && (q->g.stride[1] == 2 || q->g.img[1] <= 32)) {
        phases_x512(q, img, planes);
        return;
    }
#endif
    phase_rows(q, img, planes);
}

void onnxbn_gconv_portable_f32(const onnxbn_gconv_geom *q, const float *Wp, const float *planes,
                               float *yw)
{
    const size_t T = q->taps, K = q->cg * T, R = q->mr, cst = q->phases * q->plane;
    const size_t cb = KB / T ? KB / T : 1;
    for (size_t m = 0; m < q->mg; m++) {
        const float *w = Wp + (m / R) * R * K + m % R;
        for (size_t j = 0; j < q->n; j++) {
            float s = 0.0f;
            for (size_t c0 = 0; c0 < q->cg; c0 += cb) {
                const size_t c1 = q->cg - c0 < cb ? q->cg : c0 + cb;
                float b = 0.0f;
                for (size_t c = c0; c < c1; c++)
                    for (size_t t = 0; t < T; t++)
                        b += w[(c * T + t) * R] * planes[c * cst + q->tap_off[t] + j];
                s += b;
            }
            yw[m * q->n + j] = s;
        }
    }
}

#ifdef GC_X86
#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE static inline __attribute__((always_inline))

/* R output channels × NV vectors of 16 wide columns: R·NV accumulators (24), NV loads and R
 * broadcasts a tap; unmasked when the tile is whole (full), else under mk. */
INLINE AVX512 void tile(const int R, const int NV, const int full, const onnxbn_gconv_geom *q,
                        const float *wp, const float *x, const __mmask16 *mk, float *y)
{
    const size_t T = q->taps, cst = q->phases * q->plane, cb = KB / T ? KB / T : 1;
    __m512 acc[6][8];
    float sum[6][8][16] __attribute__((aligned(64)));
    for (size_t c0 = 0; c0 < q->cg || c0 == 0; c0 += cb) { /* at least once: acc is set */
        const size_t c1 = q->cg - c0 < cb ? q->cg : c0 + cb;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++)
#pragma GCC unroll 6
            for (int i = 0; i < NV; i++)
                acc[i][r] = _mm512_setzero_ps();
        for (size_t c = c0; c < c1; c++) {
            const float *xc = x + c * cst, *wc = wp + c * T * (size_t)R;
            for (size_t t = 0; t < T; t++) {
                const float *xk = xc + q->tap_off[t], *w = wc + t * (size_t)R;
                __m512 xv[6];
#pragma GCC unroll 6
                for (int i = 0; i < NV; i++)
                    xv[i] = full ? _mm512_loadu_ps(xk + 16 * i)
                                 : _mm512_maskz_loadu_ps(mk[i], xk + 16 * i);
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 6
                    for (int i = 0; i < NV; i++)
                        acc[i][r] = _mm512_fmadd_ps(wr, xv[i], acc[i][r]);
                }
            }
        }
        if (c0 == 0 && c1 >= q->cg)
            break; /* one block: the sum is in the registers */
#pragma GCC unroll 8
        for (int r = 0; r < R; r++)
#pragma GCC unroll 6
            for (int i = 0; i < NV; i++) {
                if (c0)
                    acc[i][r] = _mm512_add_ps(acc[i][r], _mm512_load_ps(sum[i][r]));
                if (c1 < q->cg)
                    _mm512_store_ps(sum[i][r], acc[i][r]);
            }
        if (c1 >= q->cg)
            break;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 6
        for (int i = 0; i < NV; i++) {
            if (full)
                _mm512_storeu_ps(y + r * q->n + 16 * i, acc[i][r]);
            else
                _mm512_mask_storeu_ps(y + r * q->n + 16 * i, mk[i], acc[i][r]);
        }
}

#define TILE_VARIANT(name, R, NV, FULL)                                                            \
    static AVX512 void name(const onnxbn_gconv_geom *q, const float *wp, const float *x,          \
                            const __mmask16 *mk, float *y)                                        \
    {                                                                                             \
        tile(R, NV, FULL, q, wp, x, mk, y);                                                       \
    }
TILE_VARIANT(tile8_1, 8, 1, 0)
TILE_VARIANT(tile8_2, 8, 2, 0)
TILE_VARIANT(tile8_3, 8, 3, 0)
TILE_VARIANT(tile8f, 8, 3, 1)
TILE_VARIANT(tile4_1, 4, 1, 0)
TILE_VARIANT(tile4_2, 4, 2, 0)
TILE_VARIANT(tile4_3, 4, 3, 0)
TILE_VARIANT(tile4_4, 4, 4, 0)
TILE_VARIANT(tile4_5, 4, 5, 0)
TILE_VARIANT(tile4_6, 4, 6, 0)
TILE_VARIANT(tile4f, 4, 6, 1)

typedef void (*tile_fn)(const onnxbn_gconv_geom *, const float *, const float *, const __mmask16 *,
                        float *);
/* the last, partial tile with only the vectors it needs (a 7x7 layer's 61 wide columns are a
 * whole tile and one vector, not two whole tiles) */
static const tile_fn tail8[4] = {tile8_1, tile8_1, tile8_2, tile8_3};
static const tile_fn tail4[7] = {tile4_1, tile4_1, tile4_2, tile4_3, tile4_4, tile4_5, tile4_6};

/* Column tiles outer, panels inner: a tile's spans of the planes stay in L1 across the panels. */
static void gconv_avx512(const onnxbn_gconv_geom *q, const float *Wp, const float *planes,
                         float *yw)
{
    const size_t R = q->mr, TN = R == 8 ? 48 : 96, K = q->cg * q->taps;
    for (size_t n0 = 0; n0 < q->n; n0 += TN) {
        const size_t nr = q->n - n0 < TN ? q->n - n0 : TN;
        __mmask16 mk[6];
        for (size_t i = 0; i < 6; i++) {
            const size_t left = nr > 16 * i ? nr - 16 * i : 0;
            mk[i] = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
        }
        for (size_t p = 0; p * R < q->mg; p++) {
            const float *wp = Wp + p * R * K;
            float *y = yw + p * R * q->n + n0;
            const size_t nv = (nr + 15) / 16;
            if (R == 8)
                (nr == TN ? tile8f : tail8[nv])(q, wp, planes + n0, mk, y);
            else
                (nr == TN ? tile4f : tail4[nv])(q, wp, planes + n0, mk, y);
        }
    }
}
#endif

bool onnxbn_gconv_fast(void)
{
#ifdef GC_X86
    return onnxbn_isa() >= ONNXBN_ISA_AVX512;
#else
    return false;
#endif
}

void onnxbn_gconv_f32(const onnxbn_gconv_geom *q, const float *Wp, const float *planes, float *yw)
{
#ifdef GC_X86
    if (onnxbn_gconv_fast()) {
        gconv_avx512(q, Wp, planes, yw);
        return;
    }
#endif
    onnxbn_gconv_portable_f32(q, Wp, planes, yw);
}
