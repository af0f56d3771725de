/* SPDX-License-Identifier: Apache-2.0 */
/* rnn.c — LSTM, GRU and RNN gate math for one batch row and one step: sums, clip, activations
 * and the state update, as short vectorised passes over rows of H floats. */
#include "kernels/rnn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/clones.h"
#include "kernels/unary.h"
#include "kernels/vmath.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(ONNXBN_NO_CLONES)
#include <immintrin.h>
#define LSTM_X86 1
#define AVX512 __attribute__((target("avx512f,avx2,fma")))
#endif

ONNXBN_CLONE_BODY void affine_body(float *x, size_t n, float a, float b)
{
    for (size_t i = 0; i < n; i++)
        x[i] = a * x[i] + b;
}
ONNXBN_CLONES(static, affine, (float *x, size_t n, float a, float b), (x, n, a, b))

ONNXBN_CLONE_BODY void scaledtanh_body(float *x, size_t n, float a, float b)
{
    for (size_t i = 0; i < n; i++)
        x[i] = a * onnxbn_vtanhf(b * x[i]);
}
ONNXBN_CLONES(static, scaledtanh, (float *x, size_t n, float a, float b), (x, n, a, b))

ONNXBN_CLONE_BODY void relu_body(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] <= 0 ? 0.0f : x[i]; /* as the Relu kernel: NaN stays */
}
ONNXBN_CLONES(static, relu, (float *x, size_t n), (x, n))

void onnxbn_rnn_act_apply(onnxbn_rnn_act f, float *x, size_t n)
{
    switch (f.kind) {
    case ONNXBN_RA_RELU: relu(x, n); return;
    case ONNXBN_RA_TANH: onnxbn_unary_f32(ONNXBN_UN_TANH, 0, 0, x, x, n); return;
    case ONNXBN_RA_SIGMOID: onnxbn_unary_f32(ONNXBN_UN_SIGMOID, 0, 0, x, x, n); return;
    case ONNXBN_RA_AFFINE: affine(x, n, f.a, f.b); return;
    case ONNXBN_RA_LEAKYRELU: onnxbn_unary_f32(ONNXBN_UN_LEAKYRELU, f.a, 0, x, x, n); return;
    case ONNXBN_RA_THRESHOLDEDRELU: onnxbn_unary_f32(ONNXBN_UN_THRESHOLDEDRELU, f.a, 0, x, x, n); return;
    case ONNXBN_RA_SCALEDTANH: scaledtanh(x, n, f.a, f.b); return;
    case ONNXBN_RA_HARDSIGMOID: onnxbn_unary_f32(ONNXBN_UN_HARDSIGMOID, f.a, f.b, x, x, n); return;
    case ONNXBN_RA_ELU: onnxbn_unary_f32(ONNXBN_UN_ELU, f.a, 0, x, x, n); return;
    case ONNXBN_RA_SOFTSIGN: onnxbn_unary_f32(ONNXBN_UN_SOFTSIGN, 0, 0, x, x, n); return;
    case ONNXBN_RA_SOFTPLUS: onnxbn_unary_f32(ONNXBN_UN_SOFTPLUS, 0, 0, x, x, n); return;
    }
}

/* pre = pre + xp (+ bias), then clipped to [-clip, clip] when clip is finite and positive. */
ONNXBN_CLONE_BODY void sum_body(float *pre, const float *xp, const float *bias, size_t n)
{
    if (bias)
        for (size_t i = 0; i < n; i++)
            pre[i] += xp[i] + bias[i];
    else
        for (size_t i = 0; i < n; i++)
            pre[i] += xp[i];
}
ONNXBN_CLONES(static, sum, (float *pre, const float *xp, const float *bias, size_t n),
              (pre, xp, bias, n))

ONNXBN_CLONE_BODY void clip_row_body(float *x, size_t n, float c)
{
    for (size_t i = 0; i < n; i++) {
        const float v = x[i] < -c ? -c : x[i];
        x[i] = v > c ? c : v;
    }
}
ONNXBN_CLONES(static, clip_row, (float *x, size_t n, float c), (x, n, c))

static bool clipping(const onnxbn_rnn_cell *k) { return k->clip > 0 && k->clip < INFINITY; }

/* x += p ⊙ c */
ONNXBN_CLONE_BODY void peep_body(float *x, const float *p, const float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += p[i] * c[i];
}
ONNXBN_CLONES(static, peep, (float *x, const float *p, const float *c, size_t n), (x, p, c, n))

/* C = f ⊙ C + i ⊙ g (f = 1 − i when coupled) */
ONNXBN_CLONE_BODY void lstm_c_body(float *C, const float *i_, const float *f, const float *g,
                                   bool coupled, size_t n)
{
    if (coupled)
        for (size_t j = 0; j < n; j++)
            C[j] = (1.0f - i_[j]) * C[j] + i_[j] * g[j];
    else
        for (size_t j = 0; j < n; j++)
            C[j] = f[j] * C[j] + i_[j] * g[j];
}
ONNXBN_CLONES(static, lstm_c,
              (float *C, const float *i_, const float *f, const float *g, bool coupled, size_t n),
              (C, i_, f, g, coupled, n))

ONNXBN_CLONE_BODY void mul_body(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] * b[i];
}
ONNXBN_CLONES(static, mul, (float *y, const float *a, const float *b, size_t n), (y, a, b, n))

void onnxbn_lstm_step(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                      const float *P, float *C, float *h)
{
    const size_t H = k->H;
    float *gi = pre, *go = pre + H, *gf = pre + 2 * H, *gc = pre + 3 * H;
    sum(pre, xp, bias, 4 * H);
    if (P) {
        peep(gi, P, C, H);
        peep(gf, P + 2 * H, C, H);
    }
    if (clipping(k)) {
        clip_row(gi, H, k->clip);
        clip_row(gf, H, k->clip);
        clip_row(gc, H, k->clip);
    }
    onnxbn_rnn_act_apply(k->f, gi, H);
    if (!k->input_forget)
        onnxbn_rnn_act_apply(k->f, gf, H);
    onnxbn_rnn_act_apply(k->g, gc, H);
    lstm_c(C, gi, gf, gc, k->input_forget, H);
    if (P)
        peep(go, P + H, C, H);
    if (clipping(k))
        clip_row(go, H, k->clip);
    onnxbn_rnn_act_apply(k->f, go, H);
    for (size_t j = 0; j < H; j++) /* h(C) in the c gate's place, now free */
        gc[j] = C[j];
    onnxbn_rnn_act_apply(k->h, gc, H);
    mul(h, go, gc, H);
}

void onnxbn_gru_step_zr(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                        const float *h, float *rh)
{
    const size_t H = k->H;
    sum(pre, xp, bias, 2 * H);
    if (clipping(k))
        clip_row(pre, 2 * H, k->clip);
    onnxbn_rnn_act_apply(k->f, pre, 2 * H);
    if (!k->linear_before_reset)
        mul(rh, pre + H, h, H);
}

/* cand = cand + r ⊙ (rec + rbh) (linear_before_reset) */
ONNXBN_CLONE_BODY void lbr_body(float *rec, const float *r, const float *rbh, size_t n)
{
    if (rbh)
        for (size_t i = 0; i < n; i++)
            rec[i] = r[i] * (rec[i] + rbh[i]);
    else
        for (size_t i = 0; i < n; i++)
            rec[i] = r[i] * rec[i];
}
ONNXBN_CLONES(static, lbr, (float *rec, const float *r, const float *rbh, size_t n),
              (rec, r, rbh, n))

/* h = (1 − z) ⊙ cand + z ⊙ h */
ONNXBN_CLONE_BODY void gru_h_body(float *h, const float *z, const float *cand, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h[i] = (1.0f - z[i]) * cand[i] + z[i] * h[i];
}
ONNXBN_CLONES(static, gru_h, (float *h, const float *z, const float *cand, size_t n), (h, z, cand, n))

void onnxbn_gru_step_h(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                       const float *rbh, float *h)
{
    const size_t H = k->H;
    float *cand = pre + 2 * H;
    if (k->linear_before_reset)
        lbr(cand, pre + H, rbh, H);
    sum(cand, xp + 2 * H, bias ? bias + 2 * H : NULL, H);
    if (clipping(k))
        clip_row(cand, H, k->clip);
    onnxbn_rnn_act_apply(k->g, cand, H);
    gru_h(h, pre, cand, H);
}

void onnxbn_rnn_step(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                     float *h)
{
    const size_t H = k->H;
    sum(pre, xp, bias, H);
    if (clipping(k))
        clip_row(pre, H, k->clip);
    onnxbn_rnn_act_apply(k->f, pre, H);
    for (size_t j = 0; j < H; j++)
        h[j] = pre[j];
}

/* ---- LSTM step fused with its recurrence ---- */

/* Rows of batch per tile: 4·LR accumulators (24) and the panel row's four vectors fit the 32
 * registers. K goes LKC at a time, each block summed from zero and then added to the sums before
 * it, as the packed SGEMM does (the error of blocks grows as sqrt(LKC) + sqrt(K/LKC)), so this
 * path gives the same sums as the GEMM one for H up to LKC. */
enum { LC = ONNXBN_LSTM_COLS, LP = 4 * ONNXBN_LSTM_COLS, LR = 6, LKC = 256 };

bool onnxbn_lstm_fused_fast(void)
{
#ifdef LSTM_X86
    return onnxbn_isa() >= ONNXBN_ISA_AVX512;
#else
    return false;
#endif
}

size_t onnxbn_lstm_packed_floats(size_t H, size_t K)
{
    const size_t panels = H / LC + (H % LC != 0);
    if (K && panels > SIZE_MAX / LP / K / sizeof(float))
        return 0;
    return panels * LP * K;
}

void onnxbn_lstm_pack(size_t H, size_t K, const float *M, float *Mp)
{
    for (size_t p = 0; p * LC < H; p++)
        for (size_t k = 0; k < K; k++) {
            float *dst = Mp + (p * K + k) * LP;
            for (size_t g = 0; g < 4; g++)
                for (size_t j = 0; j < LC; j++) {
                    const size_t col = p * LC + j;
                    dst[g * LC + j] = col < H ? M[(g * H + col) * K + k] : 0.0f;
                }
        }
}

#ifdef LSTM_X86
/* acc (R rows of 64: i, o, f, c) = [acc +] A[0..R)·panel over kc steps of k. */
AVX512 static inline __attribute__((always_inline)) void
lstm_tile(const int R, size_t kc, const float *A, size_t lda, const float *bp, bool first, float *acc)
{
    __m512 c[LR][4];
    for (int r = 0; r < R; r++)
        for (int g = 0; g < 4; g++)
            c[r][g] = _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(bp + k * LP), b1 = _mm512_load_ps(bp + k * LP + 16),
                     b2 = _mm512_load_ps(bp + k * LP + 32), b3 = _mm512_load_ps(bp + k * LP + 48);
        for (int r = 0; r < R; r++) {
            const __m512 a = _mm512_set1_ps(A[r * lda + k]);
            c[r][0] = _mm512_fmadd_ps(a, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(a, b1, c[r][1]);
            c[r][2] = _mm512_fmadd_ps(a, b2, c[r][2]);
            c[r][3] = _mm512_fmadd_ps(a, b3, c[r][3]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int g = 0; g < 4; g++) {
            __m512 v = c[r][g];
            if (!first)
                v = _mm512_add_ps(v, _mm512_load_ps(acc + r * LP + 16 * g));
            _mm512_store_ps(acc + r * LP + 16 * g, v);
        }
}

typedef void (*lstm_tile_fn)(size_t, const float *, size_t, const float *, bool, float *);
#define LTILE(R)                                                                                  \
    AVX512 static void lstm_tile_##R(size_t kc, const float *A, size_t lda, const float *bp,     \
                                     bool first, float *acc)                                     \
    {                                                                                             \
        lstm_tile(R, kc, A, lda, bp, first, acc);                                                 \
    }
LTILE(1) LTILE(2) LTILE(3) LTILE(4) LTILE(5) LTILE(6)
#undef LTILE
static const lstm_tile_fn lstm_tiles[LR + 1] = {NULL, lstm_tile_1, lstm_tile_2, lstm_tile_3,
                                                lstm_tile_4, lstm_tile_5, lstm_tile_6};

/* σ as the Sigmoid kernel (kernels/unary.c): e^-|v| never overflows. */
AVX512 static inline __attribute__((always_inline)) float lsig(float v)
{
    const float e = onnxbn_vexpf(v < 0 ? v : -v), r = 1.0f / (1.0f + e);
    return v >= 0 ? r : e * r;
}

/* The gates of one row and 16 columns: pre = a + (x + bias) per gate (x, bias: gate g at g·H;
 * either may be absent), then the cell as onnxbn_lstm_step computes it, the same operations in
 * the same order. Fixed length and restrict: one vector pass straight from and to memory. */
AVX512 static inline __attribute__((always_inline)) float
pre1(const bool has_x, const bool has_bias, float a, const float *restrict x,
     const float *restrict bias, size_t at)
{
    return has_x ? a + (has_bias ? x[at] + bias[at] : x[at]) : has_bias ? a + bias[at] : a;
}

AVX512 static inline __attribute__((always_inline)) void
gates16(const bool has_x, const bool has_bias, const float *restrict a, const float *restrict x,
        const float *restrict bias, size_t H, float *restrict c, float *restrict h)
{
    for (size_t j = 0; j < LC; j++) {
        const float pi = pre1(has_x, has_bias, a[j], x, bias, j);
        const float po = pre1(has_x, has_bias, a[LC + j], x, bias, H + j);
        const float pf = pre1(has_x, has_bias, a[2 * LC + j], x, bias, 2 * H + j);
        const float pc = pre1(has_x, has_bias, a[3 * LC + j], x, bias, 3 * H + j);
        const float gi = lsig(pi), go = lsig(po), gf = lsig(pf), gc = onnxbn_vtanhf(pc);
        const float cn = gf * c[j] + gi * gc;
        c[j] = cn;
        h[j] = go * onnxbn_vtanhf(cn);
    }
}

/* The gates of `rows` rows and nr ≤ 16 columns from their sums in acc; x, bias, C, hn, y are
 * at the panel's first column (x NULL: the input part is in acc). A panel cut short by H (nr < 16) goes through local lanes, zero
 * past nr. xnext (the next step's x, or NULL) is prefetched: the projection of a whole layer is
 * beyond L2, and a step reads it as 4·rows short runs that no hardware prefetcher follows. */
AVX512 static void lstm_gates(size_t rows, size_t nr, size_t H, const float *acc, const float *x,
                              const float *xnext, size_t ldx, const float *bias, float *C,
                              size_t ldc, float *hn, size_t ldn, float *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        const float *a = acc + r * LP, *xr = x ? x + r * ldx : NULL;
        float *cr = C + r * ldc, *hr = hn + r * ldn;
        if (xnext)
            for (size_t g = 0; g < 4; g++)
                _mm_prefetch((const char *)(xnext + r * ldx + g * H), _MM_HINT_T0);
        if (nr == LC) {
            if (x && bias)
                gates16(true, true, a, xr, bias, H, cr, hr);
            else if (x)
                gates16(true, false, a, xr, NULL, H, cr, hr);
            else if (bias)
                gates16(false, true, a, NULL, bias, H, cr, hr);
            else
                gates16(false, false, a, NULL, NULL, H, cr, hr);
        } else {
            float lx[4 * LC] = {0}, lb[4 * LC] = {0}, lc[LC] = {0}, lh[LC];
            for (size_t g = 0; g < 4; g++) {
                if (x)
                    memcpy(lx + g * LC, xr + g * H, nr * sizeof(float));
                if (bias)
                    memcpy(lb + g * LC, bias + g * H, nr * sizeof(float));
            }
            memcpy(lc, cr, nr * sizeof(float));
            gates16(true, true, a, lx, lb, LC, lc, lh); /* absent parts are zeros here */
            memcpy(cr, lc, nr * sizeof(float));
            memcpy(hr, lh, nr * sizeof(float));
        }
        if (y)
            memcpy(y + r * ldy, hr, nr * sizeof(float));
    }
}
#endif

void onnxbn_lstm_fused_step(const onnxbn_lstm_args *g, size_t j0, size_t j1)
{
#ifdef LSTM_X86
    _Alignas(64) float acc[LR * LP];
    const size_t B = g->B, H = g->H, I = g->Wp ? g->I : 0, blocks = (B + LR - 1) / LR;
    for (size_t j = j0; j < j1; j += LC) {
        const size_t nr = j1 - j < LC ? j1 - j : LC;
        const float *rp = g->Rp + (j / LC) * H * LP, *wp = g->Wp ? g->Wp + (j / LC) * I * LP : NULL;
        /* blocks of near-equal height (32 rows: 6, 6, 5, 5, 5, 5), as the packed SGEMM */
        for (size_t bi = 0, i = 0; bi < blocks; bi++) {
            const size_t rows = B / blocks + (bi < B % blocks);
            for (size_t k0 = 0; k0 < I; k0 += LKC)
                lstm_tiles[rows](I - k0 < LKC ? I - k0 : LKC, g->x + i * g->ldxi + k0, g->ldxi,
                                 wp + k0 * LP, k0 == 0, acc);
            for (size_t k0 = 0; k0 < H; k0 += LKC)
                lstm_tiles[rows](H - k0 < LKC ? H - k0 : LKC, g->h_prev + i * g->ldh + k0, g->ldh,
                                 rp + k0 * LP, k0 == 0 && !I, acc);
            lstm_gates(rows, nr, H, acc, g->Wp ? NULL : g->xp + i * g->ldx + j,
                       g->Wp || !g->xnext ? NULL : g->xnext + i * g->ldx + j, g->ldx,
                       g->bias ? g->bias + j : NULL, g->C + i * g->ldc + j, g->ldc,
                       g->h_next + i * g->ldn + j, g->ldn, g->y ? g->y + i * g->ldy + j : NULL, g->ldy);
            i += rows;
        }
    }
#else
    (void)g, (void)j0, (void)j1;
#endif
}
