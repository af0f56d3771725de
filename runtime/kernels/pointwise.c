/* SPDX-License-Identifier: Apache-2.0 */
/* pointwise.c — Y = act(Wp·X + bias) for 1x1 convolutions: an 8-channel × 48-pixel register tile
 * (AVX-512) sweeps X's rows in place, a chunk of X staying in cache across the channel panels. */
#include "kernels/pointwise.h"

#include "kernels/act.h"
#include "kernels/isa.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PW_X86 1
#include <immintrin.h>
#endif

enum { MR = ONNXBN_PW_MR, NR = 32 };

/* K is summed KB terms at a time, each block from zero and then added to the sum of the blocks
 * before it, and the bias comes last: the error of one chain of K multiply-adds grows with
 * sqrt(K), that of blocks with sqrt(KB) + sqrt(K/KB), and a bias at the start of the chain (a
 * folded BN's shift, often as large as the result) rides every partial sum. One chain from the
 * bias put fcn_resnet50 (K up to 4608) at twice torch's and onnxruntime's error; KB = 128 matches
 * onnxruntime's 1x1 results in RMS error. Cost: a load, add and store of each accumulator per
 * block and an add at the end. tests/unit/test_conv_fast.c holds the error to this. */
#ifndef ONNXBN_PW_KB
#define ONNXBN_PW_KB 128
#endif
enum { KB = ONNXBN_PW_KB };
_Static_assert(KB > 0 && KB % 8 == 0, "column() takes a block 8 terms at a time");

size_t onnxbn_pw_packed_floats(size_t M, size_t K)
{
    const size_t panels = (M + MR - 1) / MR;
    if (K && panels > SIZE_MAX / MR / K / sizeof(float))
        return 0;
    return panels * MR * K;
}

void onnxbn_pw_pack(size_t M, size_t K, const float *W, float *Wp)
{
    for (size_t p = 0; p * MR < M; p++)
        for (size_t r = 0; r < MR; r++) {
            const size_t row = p * MR + r;
            float *dst = Wp + p * K * MR + r;
            for (size_t k = 0; k < K; k++)
                dst[k * MR] = row < M ? W[row * K + k] : 0.0f;
        }
}

/* One MR × nr tile (nr ≤ NR) in plain C: the j loop vectorises for whatever the target has. */
static void tile_c(size_t K, const float *wp, const float *x, size_t ldx, const float *bias,
                   const float *res, size_t mr, size_t nr, int act, float lo, float hi, float *y,
                   size_t ldy)
{
    float sum[MR][NR], acc[MR][NR];
    memset(sum, 0, sizeof sum);
    for (size_t k0 = 0; k0 < K; k0 += KB) {
        const size_t k1 = K - k0 < KB ? K : k0 + KB;
        memset(acc, 0, sizeof acc);
        for (size_t k = k0; k < k1; k++) {
            const float *xk = x + k * ldx, *w = wp + k * MR;
            float xr[NR];
            memcpy(xr, xk, nr * sizeof *xr);
            for (size_t j = nr; j < NR; j++)
                xr[j] = 0.0f;
            for (int r = 0; r < MR; r++)
                for (int j = 0; j < NR; j++)
                    acc[r][j] += w[r] * xr[j];
        }
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++)
                sum[r][j] += acc[r][j];
    }
    for (size_t r = 0; r < mr; r++) {
        const float b = bias ? bias[r] : 0.0f;
        for (size_t j = 0; j < nr; j++)
            y[r * ldy + j] =
                onnxbn_act1(sum[r][j] + b + (res ? res[r * ldy + j] : 0.0f), act, lo, hi);
    }
}

void onnxbn_pw_portable_f32(size_t M, size_t N, size_t K, const float *Wp, const float *X,
                            size_t ldx, const float *bias, const float *R, int act_kind, float lo,
                            float hi, float *Y, size_t ldy)
{
    for (size_t n0 = 0; n0 < N; n0 += NR)
        for (size_t m0 = 0; m0 < M; m0 += MR)
            tile_c(K, Wp + m0 * K, X + n0, ldx, bias ? bias + m0 : NULL,
                   R ? R + m0 * ldy + n0 : NULL, M - m0 < MR ? M - m0 : MR,
                   N - n0 < NR ? N - n0 : NR, act_kind, lo, hi, Y + m0 * ldy + n0, ldy);
}

#ifdef PW_X86
#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE static inline __attribute__((always_inline))

/* Pixels per register tile: three vectors, 24 accumulators with the 8 output channels. */
enum { TN = 48 };

/* One MR × (16·NV) tile: 8·NV accumulators, W broadcast from the packed panel, the pixels of
 * column vector i under mask mk[i], or unmasked in a whole tile (full: GCC reloaded the masks
 * from the stack at every step, and whole tiles are nearly all of them); rows past mr are
 * computed but not stored. It fetches ahead the panel of W at pfw (the next one: the late
 * layers' W comes from memory, and broadcasts use it too slowly for the hardware prefetcher to
 * notice) and, with pfx, the next tile's pixels (X has a row stream per input channel, more
 * than the hardware follows). */
INLINE AVX512 void tile(const int NV, const int pfx, const int full, size_t K, const float *wp,
                        const float *pfw, const float *x, size_t ldx, const float *bias,
                        const float *res, size_t mr, const __mmask16 *mk, int act, float lo,
                        float hi, float *y, size_t ldy)
{
    __m512 acc[3][MR];
    /* the sum of the blocks so far, in memory: the accumulators take 24 of the 32 registers */
    float sum[3][MR][16] __attribute__((aligned(64)));
    for (size_t k0 = 0; k0 < K || k0 == 0; k0 += KB) {
        const size_t k1 = K - k0 < KB ? K : k0 + KB;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
            for (int i = 0; i < NV; i++)
                acc[i][r] = _mm512_setzero_ps();
#pragma GCC unroll 2
        for (size_t k = k0; k < k1; k++) {
            const float *xk = x + k * ldx, *w = wp + k * MR;
            __m512 xv[3];
#pragma GCC unroll 3
            for (int i = 0; i < NV; i++)
                xv[i] = full ? _mm512_loadu_ps(xk + 16 * i)
                             : _mm512_maskz_loadu_ps(mk[i], xk + 16 * i);
            _mm_prefetch((const char *)(pfw + k * MR), _MM_HINT_T0);
            if (pfx) {
#pragma GCC unroll 3
                for (int i = 0; i < NV; i++)
                    _mm_prefetch((const char *)(xk + TN + 16 * i), _MM_HINT_T0);
            }
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) {
                const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 3
                for (int i = 0; i < NV; i++)
                    acc[i][r] = _mm512_fmadd_ps(wr, xv[i], acc[i][r]);
            }
        }
        if (k0 == 0 && k1 >= K)
            break; /* one block: the sum is in the registers */
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
            for (int i = 0; i < NV; i++) {
                if (k0)
                    acc[i][r] = _mm512_add_ps(acc[i][r], _mm512_load_ps(sum[i][r]));
                if (k1 < K)
                    _mm512_store_ps(sum[i][r], acc[i][r]);
            }
        if (k1 >= K)
            break;
    }
    const __m512 lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        if ((size_t)r >= mr)
            break;
        const __m512 b = _mm512_set1_ps(bias ? bias[r] : 0.0f);
#pragma GCC unroll 3
        for (int i = 0; i < NV; i++) {
            __m512 v = bias ? _mm512_add_ps(acc[i][r], b) : acc[i][r];
            if (res) {
                const float *rp = res + r * ldy + 16 * i;
                v = _mm512_add_ps(v, full ? _mm512_loadu_ps(rp) : _mm512_maskz_loadu_ps(mk[i], rp));
            }
            v = onnxbn_act16(v, act, lov, hiv);
            if (full)
                _mm512_storeu_ps(y + r * ldy + 16 * i, v);
            else
                _mm512_mask_storeu_ps(y + r * ldy + 16 * i, mk[i], v);
        }
    }
}

#define TILE_VARIANT(name, NV, PFX, FULL)                                                          \
    static AVX512 void name(size_t K, const float *wp, const float *pfw, const float *x,          \
                            size_t ldx, const float *bias, const float *res, size_t mr,           \
                            const __mmask16 *mk, int act, float lo, float hi, float *y,           \
                            size_t ldy)                                                           \
    {                                                                                             \
        tile(NV, PFX, FULL, K, wp, pfw, x, ldx, bias, res, mr, mk, act, lo, hi, y, ldy);          \
    }
TILE_VARIANT(tile1, 1, 0, 0)
TILE_VARIANT(tile2, 2, 0, 0)
TILE_VARIANT(tile3, 3, 0, 0)
TILE_VARIANT(tile3f, 3, 0, 1)
TILE_VARIANT(tile3x, 3, 1, 1)

/* The tile at output channel r0 over columns [n0, n0 + nr), nr ≤ TN. */
static void tile_at(size_t M, size_t N, size_t K, const float *Wp, const float *X, size_t ldx,
                    const float *bias, const float *R, int act, float lo, float hi, float *Y,
                    size_t ldy, size_t r0, size_t n0, size_t nr)
{
    const size_t mr = M - r0 < MR ? M - r0 : MR;
    __mmask16 mk[3];
    for (size_t i = 0; i < 3; i++) {
        const size_t left = nr > 16 * i ? nr - 16 * i : 0;
        mk[i] = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
    }
    const float *b = bias ? bias + r0 : NULL, *wp = Wp + r0 * K;
    const float *pfw = r0 + MR < M ? wp + MR * K : wp;
    float *y = Y + r0 * ldy + n0;
    const float *res = R ? R + r0 * ldy + n0 : NULL;
    if (r0 == 0 && nr == TN && N - n0 > TN)
        tile3x(K, wp, pfw, X + n0, ldx, b, res, mr, mk, act, lo, hi, y, ldy);
    else if (nr == TN)
        tile3f(K, wp, pfw, X + n0, ldx, b, res, mr, mk, act, lo, hi, y, ldy);
    else if (nr > 32)
        tile3(K, wp, pfw, X + n0, ldx, b, res, mr, mk, act, lo, hi, y, ldy);
    else if (nr > 16)
        tile2(K, wp, pfw, X + n0, ldx, b, res, mr, mk, act, lo, hi, y, ldy);
    else
        tile1(K, wp, pfw, X + n0, ldx, b, res, mr, mk, act, lo, hi, y, ldy);
}

/* Column n of Y for every output channel, one panel (8 channels, a 256-bit vector) at a time:
 * for the one or two pixels past the last whole tile (7x7 images: 49 = 48 + 1), where a 16-lane
 * vector would be mostly padding. Eight accumulators take k in turn, so that the sum is eight
 * independent chains (one chain waits out the FMA latency at every k: on layer4 of ResNet that
 * made this one column a sixth of the layer's time). */
static AVX512 void column(size_t M, size_t K, const float *Wp, const float *x, size_t ldx,
                          const float *bias, const float *res, int act, float lo, float hi,
                          float *y, size_t ldy)
{
    for (size_t r0 = 0; r0 < M; r0 += MR) {
        const float *wp = Wp + r0 * K;
        __m256 s = _mm256_setzero_ps();
        /* KB terms a block as in the tiles (KB is a multiple of 8) */
        for (size_t k0 = 0; k0 < K; k0 += KB) {
            const size_t k1 = K - k0 < KB ? K : k0 + KB;
            __m256 acc[8];
            for (int u = 0; u < 8; u++)
                acc[u] = _mm256_setzero_ps();
            size_t k = k0;
            for (; k + 8 <= k1; k += 8)
#pragma GCC unroll 8
                for (int u = 0; u < 8; u++)
                    acc[u] = _mm256_fmadd_ps(_mm256_loadu_ps(wp + (k + u) * MR),
                                             _mm256_set1_ps(x[(k + u) * ldx]), acc[u]);
            for (; k < k1; k++)
                acc[k % 8] = _mm256_fmadd_ps(_mm256_loadu_ps(wp + k * MR),
                                             _mm256_set1_ps(x[k * ldx]), acc[k % 8]);
            const __m256 b = _mm256_add_ps(
                _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])),
                _mm256_add_ps(_mm256_add_ps(acc[4], acc[5]), _mm256_add_ps(acc[6], acc[7])));
            s = k0 ? _mm256_add_ps(s, b) : b;
        }
        float v[16];
        _mm256_storeu_ps(v, s);
        const size_t nm = M - r0 < MR ? M - r0 : MR;
        for (size_t i = 0; i < nm; i++)
            v[i] = v[i] + (bias ? bias[r0 + i] : 0.0f) + (res ? res[(r0 + i) * ldy] : 0.0f);
        /* the activation as the tiles apply it (their Sigmoid is not act1's: act.h) */
        _mm512_mask_storeu_ps(v, 0xFF, onnxbn_act16(_mm512_maskz_loadu_ps(0xFF, v), act,
                                                    _mm512_set1_ps(lo), _mm512_set1_ps(hi)));
        for (size_t i = 0; i < nm; i++)
            y[(r0 + i) * ldy] = v[i];
    }
}

/* Columns are taken a chunk at a time, with the chunk's K×n block of X (up to X_L2 bytes) kept
 * in L2 while every channel panel sweeps it: W (in the late layers larger than X, and read from
 * memory) is then read once a chunk, and Y is written as MR long rows, which streams to memory
 * much better than M short pieces. With few output channels and a large X, a chunk is one tile
 * wide instead, its panel of X staying in L1 (measured on the MobileNet shapes). */
#ifndef ONNXBN_PW_X_L2
#define ONNXBN_PW_X_L2 (1024 << 10)
#endif
enum { X_L2 = ONNXBN_PW_X_L2, X_SMALL = 256 << 10, FEW_M = 64, COL_BUF = 8192 };

static void pw_avx512(size_t M, size_t N, size_t K, const float *Wp, const float *X, size_t ldx,
                      const float *bias, const float *R, int act, float lo, float hi, float *Y,
                      size_t ldy)
{
    /* whole tiles, then the rest: one or two columns alone, more as a (masked) tile */
    const size_t rest = N % TN, Nt = rest && rest <= 2 && N > TN ? N - rest : N;
    size_t chunk = K ? X_L2 / sizeof(float) / K / TN * TN : Nt;
    if (chunk < TN || (M <= FEW_M && K * Nt > X_SMALL / sizeof(float)))
        chunk = TN;
    /* The leftover columns gathered once into a contiguous buffer (L1-resident while every panel
     * reads them), instead of a strided read, a cache line a k, per panel. */
    float xcol[COL_BUF];
    const float *xr = X + Nt;
    size_t ldr = ldx, step = 1;
    if (N > Nt && (N - Nt) * K <= COL_BUF) {
        for (size_t n = Nt; n < N; n++)
            for (size_t k = 0; k < K; k++)
                xcol[(n - Nt) * K + k] = X[k * ldx + n];
        xr = xcol;
        ldr = 1;
        step = K;
    }
    for (size_t c0 = 0; c0 < Nt; c0 += chunk) {
        const size_t c1 = Nt - c0 < chunk ? Nt : c0 + chunk;
        for (size_t r0 = 0; r0 < M; r0 += MR) {
            for (size_t n0 = c0; n0 < c1; n0 += TN)
                tile_at(M, Nt, K, Wp, X, ldx, bias, R, act, lo, hi, Y, ldy, r0, n0,
                        c1 - n0 < TN ? c1 - n0 : TN);
            /* the leftover columns with the panel the tiles just read (still in cache): a
             * separate pass would read all of W once more, from memory in the late layers */
            if (c1 == Nt)
                for (size_t n = Nt; n < N; n++)
                    column(M - r0 < MR ? M - r0 : MR, K, Wp + r0 * K, xr + (n - Nt) * step, ldr,
                           bias ? bias + r0 : NULL, R ? R + r0 * ldy + n : NULL, act, lo, hi,
                           Y + r0 * ldy + n, ldy);
        }
    }
}
#endif

bool onnxbn_pw_fast(void)
{
#ifdef PW_X86
    return onnxbn_isa() >= ONNXBN_ISA_AVX512;
#else
    return false;
#endif
}

void onnxbn_pw_f32(size_t M, size_t N, size_t K, const float *Wp, const float *X, size_t ldx,
                   const float *bias, const float *R, int act_kind, float lo, float hi, float *Y,
                   size_t ldy)
{
#ifdef PW_X86
    if (onnxbn_pw_fast()) {
        pw_avx512(M, N, K, Wp, X, ldx, bias, R, act_kind, lo, hi, Y, ldy);
        return;
    }
#endif
    onnxbn_pw_portable_f32(M, N, K, Wp, X, ldx, bias, R, act_kind, lo, hi, Y, ldy);
}
