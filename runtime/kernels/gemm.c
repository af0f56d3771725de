/* SPDX-License-Identifier: Apache-2.0 */
/* gemm.c — single and double precision matrix multiply: OpenBLAS behind ONNXBN_HAVE_OPENBLAS, a
 * portable cache-blocked kernel, and an AVX-512 kernel for weights packed once (bias, Relu, GELU fused). */
#include "kernels/gemm.h"
#include "onnxbn.h"

#include "kernels/act.h"
#include "kernels/isa.h"
#include "kernels/unary.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#ifdef ONNXBN_HAVE_OPENBLAS
#include <cblas.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* Register tile MR×NR: the packed B row is one contiguous NR-vector, so the inner update is a
 * plain axpy gcc vectorises for whatever the target has (3×32 measured best for both SSE2 and AVX2
 * builds). KC keeps a packed B strip (KC×NR floats, 16 KiB, on the stack) in L1; MC keeps the A
 * block it sweeps (MC×KC) in L2. */
enum { MR = 3, NR = 32, KC = 128, MC = 128 };

/* bp[k][j] = op(B)(k0 + k, j0 + j) for k < kc, j < nr; columns nr..NR-1 are zero so the tile
 * kernel never needs an edge case in N. */
static void pack_b(bool tb, const float *B, size_t ldb, size_t k0, size_t kc, size_t j0, size_t nr,
                   float *restrict bp)
{
    if (!tb) {
        for (size_t k = 0; k < kc; k++) {
            const float *src = B + (k0 + k) * ldb + j0;
            float *dst = bp + k * NR;
            size_t j = 0;
            for (; j < nr; j++)
                dst[j] = src[j];
            for (; j < NR; j++)
                dst[j] = 0.0f;
        }
        return;
    }
    for (size_t j = 0; j < NR; j++) {
        if (j < nr) {
            const float *src = B + (j0 + j) * ldb + k0;
            for (size_t k = 0; k < kc; k++)
                bp[k * NR + j] = src[k];
        } else {
            for (size_t k = 0; k < kc; k++)
                bp[k * NR + j] = 0.0f;
        }
    }
}

/* acc = op(A)[rows, k0:k0+kc] · bp. a[r] points at op(A)(row r, k0); successive k are `cs` apart
 * (1 for a plain A, lda for a transposed one). Rows past the matrix edge repeat the last real row
 * (the caller discards them), so reads stay in bounds. */
static inline void tile(size_t kc, const float *const a[MR], size_t cs, const float *restrict bp,
                        float acc[MR][NR])
{
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            acc[r][j] = 0.0f;
    for (size_t k = 0; k < kc; k++) {
        const float *restrict b = bp + k * NR;
        for (int r = 0; r < MR; r++) {
            float av = a[r][k * cs];
            for (int j = 0; j < NR; j++)
                acc[r][j] += av * b[j];
        }
    }
}

/* C tile = alpha·acc + beta·C on the first K block, C += alpha·acc on the later ones. */
static void store(float acc[MR][NR], size_t mr, size_t nr, float alpha, float beta, bool first,
                  float *C, size_t ldc)
{
    for (size_t r = 0; r < mr; r++) {
        float *c = C + r * ldc;
        if (!first || beta == 1.0f) {
            for (size_t j = 0; j < nr; j++)
                c[j] += alpha * acc[r][j];
        } else if (beta == 0.0f) {
            for (size_t j = 0; j < nr; j++)
                c[j] = alpha * acc[r][j];
        } else {
            for (size_t j = 0; j < nr; j++)
                c[j] = alpha * acc[r][j] + beta * c[j];
        }
    }
}

static void scale_f32(size_t M, size_t N, float beta, float *C, size_t ldc)
{
    if (beta == 1.0f)
        return;
    for (size_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, N * sizeof *c);
        else
            for (size_t j = 0; j < N; j++)
                c[j] *= beta;
    }
}

/* Few rows (a batch-1 fully connected layer): packing B would cost as much as the product, so
 * stream B once per row, as axpys (plain B) or dot products (transposed B). */
enum { DOT = 16, SMALL_M = 4 };

/* DOT independent partial sums, so gcc vectorises without reassociating one sum. */
static float dot(const float *restrict a, const float *restrict b, size_t K)
{
    float part[DOT] = {0};
    size_t k = 0;
    for (; k + DOT <= K; k += DOT)
        for (int t = 0; t < DOT; t++)
            part[t] += a[k + t] * b[k + t];
    float s = 0.0f;
    for (; k < K; k++)
        s += a[k] * b[k];
    for (int t = 0; t < DOT; t++)
        s += part[t];
    return s;
}

static void small_m(size_t rs, size_t cs, bool tb, size_t M, size_t N, size_t K, float alpha,
                    const float *A, const float *B, size_t ldb, float beta, float *C, size_t ldc,
                    float *restrict arow)
{
    for (size_t i = 0; i < M; i++) {
        const float *a = A + i * rs;
        float *c = C + i * ldc;
        if (!tb) {
            scale_f32(1, N, beta, c, ldc);
            for (size_t k = 0; k < K; k++) {
                float av = alpha * a[k * cs];
                const float *restrict b = B + k * ldb;
                for (size_t j = 0; j < N; j++)
                    c[j] += av * b[j];
            }
            continue;
        }
        if (cs != 1) { /* a transposed A: gather the row in KC pieces so dot() stays contiguous */
            for (size_t j = 0; j < N; j++)
                c[j] = beta == 0.0f ? 0.0f : beta * c[j];
            for (size_t k0 = 0; k0 < K; k0 += KC * NR) {
                size_t kc = K - k0 < KC * NR ? K - k0 : KC * NR;
                for (size_t k = 0; k < kc; k++)
                    arow[k] = a[(k0 + k) * cs];
                for (size_t j = 0; j < N; j++)
                    c[j] += alpha * dot(arow, B + j * ldb + k0, kc);
            }
            continue;
        }
        for (size_t j = 0; j < N; j++) {
            float s = dot(a, B + j * ldb, K);
            c[j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[j];
        }
    }
}

void onnxbn_sgemm_portable(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                           const float *A, size_t lda, const float *B, size_t ldb, float beta,
                           float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0 || alpha == 0.0f) {
        scale_f32(M, N, beta, C, ldc);
        return;
    }
    /* op(A)(i, k) = A[i·rs + k·cs] */
    size_t rs = trans_a ? 1 : lda, cs = trans_a ? lda : 1;
    _Alignas(64) float bp[KC * NR];
    if (M <= SMALL_M) {
        small_m(rs, cs, trans_b, M, N, K, alpha, A, B, ldb, beta, C, ldc, bp);
        return;
    }
    float acc[MR][NR];
    for (size_t k0 = 0; k0 < K; k0 += KC) {
        size_t kc = K - k0 < KC ? K - k0 : KC;
        bool first = k0 == 0;
        for (size_t i0 = 0; i0 < M; i0 += MC) {
            size_t mc = M - i0 < MC ? M - i0 : MC;
            for (size_t j0 = 0; j0 < N; j0 += NR) {
                size_t nr = N - j0 < NR ? N - j0 : NR;
                pack_b(trans_b, B, ldb, k0, kc, j0, nr, bp);
                for (size_t i = i0; i < i0 + mc; i += MR) {
                    size_t mr = i0 + mc - i < MR ? i0 + mc - i : MR;
                    const float *a[MR];
                    for (size_t r = 0; r < MR; r++)
                        a[r] = A + (i + (r < mr ? r : mr - 1)) * rs + k0 * cs;
                    tile(kc, a, cs, bp, acc);
                    store(acc, mr, nr, alpha, beta, first, C + i * ldc + j0, ldc);
                }
            }
        }
    }
}

void onnxbn_dgemm_portable(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
                           const double *A, size_t lda, const double *B, size_t ldb, double beta,
                           double *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++) {
        double *c = C + i * ldc;
        for (size_t j = 0; j < N; j++)
            c[j] = beta == 0.0 ? 0.0 : beta * c[j];
        if (K == 0 || alpha == 0.0)
            continue;
        if (!trans_b) {
            /* row i of C += op(A)(i,k) · row k of B: contiguous in j */
            for (size_t k = 0; k < K; k++) {
                double av = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
                const double *b = B + k * ldb;
                for (size_t j = 0; j < N; j++)
                    c[j] += av * b[j];
            }
        } else {
            for (size_t j = 0; j < N; j++) {
                const double *b = B + j * ldb;
                double s = 0.0;
                for (size_t k = 0; k < K; k++)
                    s += (trans_a ? A[k * lda + i] : A[i * lda + k]) * b[k];
                c[j] += alpha * s;
            }
        }
    }
}

#ifdef ONNXBN_HAVE_OPENBLAS
/* cblas takes int sizes and prints (then returns) on a bad argument, which a library must never
 * do: only well-formed calls that fit in int go to it. */
static bool blas_ok(bool ta, bool tb, size_t M, size_t N, size_t K, size_t lda, size_t ldb,
                    size_t ldc)
{
    size_t big = INT_MAX;
    return M <= big && N <= big && K <= big && lda <= big && ldb <= big && ldc <= big &&
           lda >= (ta ? M : K) && ldb >= (tb ? K : N) && ldc >= N;
}
#endif

void onnxbn_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0 || alpha == 0.0f) {
        scale_f32(M, N, beta, C, ldc);
        return;
    }
#ifdef ONNXBN_HAVE_OPENBLAS
    if (M == 1 && blas_ok(trans_a, trans_b, M, N, K, lda, ldb, ldc)) {
        /* One row (Gemm/MatMul at batch 1): OpenBLAS's GEMM packs all of B for it, its GEMV
         * streams B once (2.6x faster on a 1280x1000 classifier). C is cleared first so that
         * beta = 0 keeps its meaning (never read C) whatever GEMV does with 0·NaN. */
        if (beta == 0.0f)
            memset(C, 0, N * sizeof *C);
        cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans,
                    (int)(trans_b ? N : K), (int)(trans_b ? K : N), alpha, B, (int)ldb, A,
                    trans_a ? (int)lda : 1, beta, C, 1);
        return;
    }
    if (blas_ok(trans_a, trans_b, M, N, K, lda, ldb, ldc)) {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda,
                    B, (int)ldb, beta, C, (int)ldc);
        return;
    }
#endif
    onnxbn_sgemm_portable(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void onnxbn_dgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
                  const double *A, size_t lda, const double *B, size_t ldb, double beta, double *C,
                  size_t ldc)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    if (M && N && K && alpha != 0.0 && blas_ok(trans_a, trans_b, M, N, K, lda, ldb, ldc)) {
        cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda,
                    B, (int)ldb, beta, C, (int)ldc);
        return;
    }
#endif
    onnxbn_dgemm_portable(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- B packed once ---- */

/* Up to PR rows of A against one panel: 2·PR accumulators of 16 floats, 24 of the 32 AVX-512
 * registers. K is taken KC at a time so that the panel's KC×32 block (32 KiB) is read from L1 by
 * every row block; partial sums wait in C. Each block's sum starts from zero and is then added to
 * C's, rather than continuing C's: the error of one chain of K multiply-adds grows with sqrt(K),
 * that of blocks with sqrt(KC) + sqrt(K/KC) (as in kernels/pointwise.c; the same load of C, one
 * add more per block). */
enum { PN = ONNXBN_SGEMM_PANEL, PR = 12, PKC = 256, PM = 48 };

bool onnxbn_sgemm_packed_fast(void)
{
#ifdef HAVE_X86
    return onnxbn_isa() >= ONNXBN_ISA_AVX512;
#else
    return false;
#endif
}

size_t onnxbn_sgemm_packed_floats(size_t K, size_t N)
{
    size_t panels = N / PN + (N % PN != 0);
    if (K && panels > SIZE_MAX / PN / K / sizeof(float))
        return 0;
    return panels * PN * K;
}

void onnxbn_sgemm_pack_b(bool trans_b, size_t K, size_t N, const float *B, size_t ldb, float *Bp)
{
    for (size_t j0 = 0; j0 < N; j0 += PN) {
        float *panel = Bp + j0 * K;
        const size_t nr = N - j0 < PN ? N - j0 : PN;
        for (size_t k = 0; k < K; k++) {
            float *dst = panel + k * PN;
            for (size_t j = 0; j < PN; j++)
                dst[j] = j >= nr ? 0.0f : trans_b ? B[(j0 + j) * ldb + k] : B[k * ldb + j0 + j];
        }
    }
}

/* What one panel's tiles share. */
typedef struct ptile {
    size_t ldc, nr;      /* nr: the panel's real columns */
    const float *bias;   /* at the panel's first column, or NULL */
    int act;
    float lo, hi;
    const float *gelu;   /* the erf GELU's constants, applied after act, or NULL */
} ptile;

/* GELU over the finished rows i0 .. i1−1, columns j0 .. j1−1 of C: once per row block rather
 * than per tile (a call per 32 floats would cost a quarter of a small tile), while the block,
 * at most PM rows, is still in L2. The same function as the fused GELU node, so the same bits. */
static void gelu_rows(const ptile *e, float *C, size_t i0, size_t i1, size_t j0, size_t j1)
{
    if (e->gelu)
        for (size_t i = i0; i < i1; i++)
            onnxbn_gelu_erf_f32(C + i * e->ldc + j0, C + i * e->ldc + j0, j1 - j0, e->gelu);
}

/* Portable: one row at a time against the whole panel (gcc vectorises the j loop). */
static void panel_c(size_t M, size_t K, const float *A, size_t lda, const float *panel,
                    const ptile *e, float *C)
{
    for (size_t i = 0; i < M; i++) {
        float acc[PN] = {0};
        const float *a = A + i * lda;
        for (size_t k0 = 0; k0 < K; k0 += PKC) { /* in blocks, as the AVX-512 tiles */
            const size_t k1 = K - k0 < PKC ? K : k0 + PKC;
            float blk[PN] = {0};
            for (size_t k = k0; k < k1; k++) {
                const float av = a[k], *b = panel + k * PN;
                for (int j = 0; j < PN; j++)
                    blk[j] += av * b[j];
            }
            for (int j = 0; j < PN; j++)
                acc[j] += blk[j];
        }
        for (size_t j = 0; j < e->nr; j++)
            C[i * e->ldc + j] =
                onnxbn_act1(acc[j] + (e->bias ? e->bias[j] : 0.0f), e->act, e->lo, e->hi);
    }
}

#ifdef HAVE_X86
#define AVX512 __attribute__((target("avx512f")))

/* R rows × W vectors (compile-time constants after inlining) over kc steps of k from 0, added to
 * the partial sums in C unless first; ends with bias and activation (last) or partial sums. */
AVX512 static inline __attribute__((always_inline)) void
tile_rw(const int R, const int W, size_t kc, const float *A, size_t lda, const float *bp,
        bool first, bool last, const ptile *e, float *C)
{
    const __mmask16 m[2] = {e->nr >= 16 ? 0xFFFF : (__mmask16)((1u << e->nr) - 1),
                            e->nr >= 32 ? 0xFFFF
                            : e->nr > 16 ? (__mmask16)((1u << (e->nr - 16)) - 1)
                                         : 0};
    __m512 c[PR][2];
    for (int r = 0; r < R; r++)
        for (int w = 0; w < W; w++) {
            c[r][w] = _mm512_setzero_ps();
            /* C's lines are requested now so that their misses overlap the k loop rather than
             * stall the stores: with K under ~128 and a wide C (a Linear of 96 inputs at 3136
             * rows) the stores' misses cost up to a fifth of the time. */
            if (first)
                _mm_prefetch((const char *)(C + r * e->ldc + 16 * w), _MM_HINT_T0);
        }
    for (size_t k = 0; k < kc; k++) {
        __m512 b[2];
        for (int w = 0; w < W; w++)
            b[w] = _mm512_load_ps(bp + k * PN + 16 * w);
        for (int r = 0; r < R; r++) {
            const __m512 a = _mm512_set1_ps(A[r * lda + k]);
            for (int w = 0; w < W; w++)
                c[r][w] = _mm512_fmadd_ps(a, b[w], c[r][w]);
        }
    }
    const __m512 lo = _mm512_set1_ps(e->lo), hi = _mm512_set1_ps(e->hi);
    for (int w = 0; w < W; w++) {
        const __m512 bias = last && e->bias ? _mm512_maskz_loadu_ps(m[w], e->bias + 16 * w)
                                            : _mm512_setzero_ps();
        for (int r = 0; r < R; r++) {
            __m512 v = c[r][w];
            if (!first)
                v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m[w], C + r * e->ldc + 16 * w));
            if (last)
                v = onnxbn_act16(_mm512_add_ps(v, bias), e->act, lo, hi);
            _mm512_mask_storeu_ps(C + r * e->ldc + 16 * w, m[w], v);
        }
    }
}

typedef void (*tile_fn)(size_t, const float *, size_t, const float *, bool, bool, const ptile *,
                        float *);
#define TILE(R, W)                                                                                \
    AVX512 static void tile_##R##_##W(size_t kc, const float *A, size_t lda, const float *bp,    \
                                      bool first, bool last, const ptile *e, float *C)            \
    {                                                                                             \
        tile_rw(R, W, kc, A, lda, bp, first, last, e, C);                                         \
    }
#define TILES(R) TILE(R, 1) TILE(R, 2)
TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6)
TILES(7) TILES(8) TILES(9) TILES(10) TILES(11) TILES(12)
#undef TILES
#undef TILE
#define T(R) {tile_##R##_1, tile_##R##_2}
static const tile_fn tiles[PR + 1][2] = {{NULL, NULL}, T(1), T(2), T(3), T(4), T(5), T(6),
                                         T(7), T(8), T(9), T(10), T(11), T(12)};
#undef T

/* Rows in chunks of at most PM (so that the chunk's rows of A stay in L2 while the panels pass),
 * each chunk in row blocks of near-equal height (64 rows: two chunks of 11, 11, 10 rather than
 * 5·12 + 4, whose last block would keep too few accumulators in flight). K goes KC at a time:
 * the panel's KC rows are read from L1 by every row block. A is read in place: copying it
 * k-major costs more than the reads it saves at these sizes. */
static void packed_avx512(size_t M, size_t K, const float *A, size_t lda, const float *Bp,
                          const float *bias, ptile *e, float *C, size_t j0, size_t j1)
{
    const size_t chunks = (M + PM - 1) / PM;
    for (size_t ci = 0, i0 = 0; ci < chunks; ci++) {
        const size_t mc = M / chunks + (ci < M % chunks), blocks = (mc + PR - 1) / PR;
        for (size_t j = j0; j < j1; j += PN) {
            e->nr = j1 - j < PN ? j1 - j : PN;
            e->bias = bias ? bias + j : NULL;
            const size_t w = e->nr > 16;
            for (size_t k0 = 0; k0 < K || k0 == 0; k0 += PKC) {
                const size_t kc = K - k0 < PKC ? K - k0 : PKC;
                for (size_t bi = 0, i = i0; bi < blocks; bi++) {
                    const size_t rows = mc / blocks + (bi < mc % blocks);
                    tiles[rows][w](kc, A + i * lda + k0, lda, Bp + j * K + k0 * PN, k0 == 0,
                                   k0 + kc >= K, e, C + i * e->ldc + j);
                    i += rows;
                }
                if (K == 0)
                    break;
            }
        }
        gelu_rows(e, C, i0, i0 + mc, j0, j1);
        i0 += mc;
    }
}
#endif

static void packed_portable(size_t M, size_t K, const float *A, size_t lda, const float *Bp,
                            const float *bias, ptile *e, float *C, size_t j0, size_t j1)
{
    for (size_t i0 = 0; i0 < M; i0 += PM) {
        const size_t mc = M - i0 < PM ? M - i0 : PM;
        for (size_t j = j0; j < j1; j += PN) {
            e->nr = j1 - j < PN ? j1 - j : PN;
            e->bias = bias ? bias + j : NULL;
            panel_c(mc, K, A + i0 * lda, lda, Bp + j * K, e, C + i0 * e->ldc + j);
        }
        gelu_rows(e, C, i0, i0 + mc, j0, j1);
    }
}

void onnxbn_sgemm_packed_gelu(size_t M, size_t N, size_t K, const float *A, size_t lda,
                              const float *Bp, const float *bias, int act_kind, float lo, float hi,
                              const float *gelu_k, float *C, size_t ldc, size_t j0, size_t j1,
                              bool portable)
{
    ptile e = {.ldc = ldc, .act = act_kind, .lo = lo, .hi = hi, .gelu = gelu_k};
    if (j1 > N)
        j1 = N;
    if (M == 0 || j0 >= j1)
        return;
#ifdef HAVE_X86
    if (!portable && onnxbn_sgemm_packed_fast()) {
        packed_avx512(M, K, A, lda, Bp, bias, &e, C, j0, j1);
        return;
    }
#endif
    packed_portable(M, K, A, lda, Bp, bias, &e, C, j0, j1);
}

void onnxbn_sgemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                         const float *Bp, const float *bias, int act_kind, float lo, float hi,
                         float *C, size_t ldc, size_t j0, size_t j1)
{
    onnxbn_sgemm_packed_gelu(M, N, K, A, lda, Bp, bias, act_kind, lo, hi, NULL, C, ldc, j0, j1,
                             false);
}

void onnxbn_sgemm_packed_portable(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                  const float *Bp, const float *bias, int act_kind, float lo,
                                  float hi, float *C, size_t ldc, size_t j0, size_t j1)
{
    onnxbn_sgemm_packed_gelu(M, N, K, A, lda, Bp, bias, act_kind, lo, hi, NULL, C, ldc, j0, j1,
                             true);
}

const char *onnxbn_gemm_backend(void)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    return "openblas";
#else
    return "portable";
#endif
}

const char *onnxbn_blas_info(void) { return onnxbn_gemm_backend(); }

const char *onnxbn_blas_core(void)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    const char *core = openblas_get_corename();
    return core ? core : "";
#else
    return "";
#endif
}

void onnxbn_sgemm_single_thread(void)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
#endif
}

#ifdef ONNXBN_HAVE_OPENBLAS
/* The one piece of process-wide state in the library, and on purpose: it mirrors OpenBLAS's own
 * process-wide thread count, which sessions borrow (gemm.h). Guarded by the mutex. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static long blas_holders;
static int blas_saved = 1;
#endif

void onnxbn_blas_hold(void)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    pthread_mutex_lock(&blas_lock);
    if (blas_holders++ == 0) {
        blas_saved = openblas_get_num_threads();
        if (blas_saved != 1)
            openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_lock);
#endif
}

void onnxbn_blas_release(void)
{
#ifdef ONNXBN_HAVE_OPENBLAS
    pthread_mutex_lock(&blas_lock);
    /* A count someone set while sessions were open is theirs to keep. */
    if (blas_holders > 0 && --blas_holders == 0 && blas_saved != 1 &&
        openblas_get_num_threads() == 1)
        openblas_set_num_threads(blas_saved);
    pthread_mutex_unlock(&blas_lock);
#endif
}
