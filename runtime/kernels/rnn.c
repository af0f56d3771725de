/* SPDX-License-Identifier: Apache-2.0 */
/* rnn.c — LSTM, GRU and RNN gate math for one batch row and one step: sums, clip, activations
 * and the state update, as short vectorised passes over rows of H floats. */
#include "kernels/rnn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/act.h"
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

/* The fused step's own gate math, cheaper than vmath.h's forms (about 17% of the run was gates):
 * e^x by FMA range reduction and Horner, 2^n by scalef (which also overflows to inf and
 * underflows to 0), and 1/d by rcp14 and one Newton step instead of a division. σ and tanh are
 * within 3 ulp of exact (test_rnn.c sweeps them against double), not the per-step path's bits;
 * the fused and per-step LSTM are held to each other by a tolerance. */
AVX512 static inline __attribute__((always_inline)) __m512 vexp16(__m512 x)
{
    const __m512 c =
        _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.8f)), _mm512_set1_ps(-104.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512 y = _mm512_scalef_ps(p, n);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x); /* NaN stays */
}

/* 1/d for d in [1, 2]: rcp14 (relative error < 2^-14) and one Newton step (then about 2^-28). */
AVX512 static inline __attribute__((always_inline)) __m512 vrcp16(__m512 d)
{
    const __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}

/* σ as every Sigmoid runs at the level avx512 (kernels/act.h's onnxbn_sigmoid16: FMA exp, scalef,
 * rcp14 and one Newton step, within 3 ulp), so the fused step's gates are the Sigmoid node's. */
AVX512 static inline __attribute__((always_inline)) __m512 vsig16(__m512 v)
{
    return onnxbn_sigmoid16(v);
}

/* tanh as onnxbn_vtanhf: below 0.625 its odd polynomial (now by FMA), above (1 - e)/(1 + e) with
 * e = e^-2|x| (1 - e ≥ 0.71, no cancellation), the sign put back; NaN stays. */
AVX512 static inline __attribute__((always_inline)) __m512 vtanh16(__m512 x)
{
    const __m512 a = _mm512_abs_ps(x);
    const __m512 u = _mm512_mul_ps(a, a);
    __m512 p = _mm512_set1_ps(0.0022958424984604094f);
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.008346985789015715f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.02176996453504561f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.05395940679144004f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(0.1333330428586874f));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(-0.33333333178042945f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(a, u), p, a);
    const __m512 e = vexp16(_mm512_mul_ps(_mm512_set1_ps(-2.0f), a));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 l = _mm512_mul_ps(_mm512_sub_ps(one, e), vrcp16(_mm512_add_ps(one, e)));
    const __mmask16 small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    const __m512i sign = _mm512_set1_epi32(INT32_MIN),
                  m = _mm512_castps_si512(_mm512_mask_blend_ps(small, l, p));
    const __m512 y =
        _mm512_castsi512_ps(_mm512_or_si512(m, _mm512_and_si512(sign, _mm512_castps_si512(x))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

/* For tests: σ (tanh false) or tanh of n floats on the fused step's gate math; false where
 * that path does not exist (no AVX-512). */
AVX512 static bool gate_math16(bool tanh_, const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(y + i, m, tanh_ ? vtanh16(v) : vsig16(v));
    }
    return true;
}

/* The pre-activation of gate g: a + (x + bias) (either may be absent), as onnxbn_lstm_step's sum. */
AVX512 static inline __attribute__((always_inline)) __m512
pre16(__mmask16 m, __m512 a, const float *x, const float *bias, size_t at)
{
    if (x && bias)
        return _mm512_add_ps(a, _mm512_add_ps(_mm512_maskz_loadu_ps(m, x + at),
                                              _mm512_maskz_loadu_ps(m, bias + at)));
    if (x)
        return _mm512_add_ps(a, _mm512_maskz_loadu_ps(m, x + at));
    if (bias)
        return _mm512_add_ps(a, _mm512_maskz_loadu_ps(m, bias + at));
    return a;
}

/* The gates of `rows` rows and nr ≤ 16 columns from their sums in acc; x, bias, C, hn, y are
 * at the panel's first column (x NULL: the input part is in acc). The same steps as
 * onnxbn_lstm_step, on the cheaper gate math above. In two passes over the rows, the four
 * activations of every row into acc first, then the cell and h: the second half of a row (the cell, tanh, h) is one
 * chain of dependent operations, and a pass of those alone lets the core run several rows'
 * chains at once. xnext (the next step's x, or NULL) is prefetched: a layer's projection is
 * beyond L2, and a step reads it as 4·rows short runs no hardware prefetcher follows. */
AVX512 static void lstm_gates(size_t rows, size_t nr, size_t H, float *acc, const float *x,
                              const float *xnext, size_t ldx, const float *bias, float *C,
                              size_t ldc, float *hn, size_t ldn, float *y, size_t ldy)
{
    const __mmask16 m = nr >= LC ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *a = acc + r * LP;
        const float *xr = x ? x + r * ldx : NULL;
        if (xnext)
            for (size_t g = 0; g < 4; g++)
                _mm_prefetch((const char *)(xnext + r * ldx + g * H), _MM_HINT_T0);
        const __m512 gi = vsig16(pre16(m, _mm512_load_ps(a), xr, bias, 0));
        const __m512 go = vsig16(pre16(m, _mm512_load_ps(a + LC), xr, bias, H));
        const __m512 gf = vsig16(pre16(m, _mm512_load_ps(a + 2 * LC), xr, bias, 2 * H));
        const __m512 gc = vtanh16(pre16(m, _mm512_load_ps(a + 3 * LC), xr, bias, 3 * H));
        _mm512_store_ps(a, gi);
        _mm512_store_ps(a + LC, go);
        _mm512_store_ps(a + 2 * LC, gf);
        _mm512_store_ps(a + 3 * LC, gc);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *a = acc + r * LP;
        float *cr = C + r * ldc;
        const __m512 fc = _mm512_mul_ps(_mm512_load_ps(a + 2 * LC), _mm512_maskz_loadu_ps(m, cr));
        const __m512 c = _mm512_add_ps(fc, _mm512_mul_ps(_mm512_load_ps(a), _mm512_load_ps(a + 3 * LC)));
        const __m512 h = _mm512_mul_ps(_mm512_load_ps(a + LC), vtanh16(c));
        _mm512_mask_storeu_ps(cr, m, c);
        _mm512_mask_storeu_ps(hn + r * ldn, m, h);
        if (y)
            _mm512_mask_storeu_ps(y + r * ldy, m, h);
    }
}
#endif

bool onnxbn_lstm_gate_math(bool tanh_, const float *x, float *y, size_t n)
{
#ifdef LSTM_X86
    if (onnxbn_lstm_fused_fast())
        return gate_math16(tanh_, x, y, n);
#endif
    (void)tanh_, (void)x, (void)y, (void)n;
    return false;
}

void onnxbn_lstm_fused_step(const onnxbn_lstm_args *g, size_t j0, size_t j1)
{
#ifdef LSTM_X86
    /* Row blocks go by groups of LG: the W panel for all of a group, then the R panel for all of
     * it, so each panel (32 KiB at 128 columns of K) is read from L1 by every block after the
     * first, where W and R in turn per block evicted each other. Each block's sums are the same
     * operations as before, so the same bits. */
    enum { LG = 6 };
    _Alignas(64) float acc[LG][LR * LP];
    const size_t B = g->B, H = g->H, I = g->Wp ? g->I : 0, blocks = (B + LR - 1) / LR;
    for (size_t j = j0; j < j1; j += LC) {
        const size_t nr = j1 - j < LC ? j1 - j : LC;
        const float *rp = g->Rp + (j / LC) * H * LP, *wp = g->Wp ? g->Wp + (j / LC) * I * LP : NULL;
        /* blocks of near-equal height (32 rows: 6, 6, 5, 5, 5, 5), as the packed SGEMM */
        for (size_t b0 = 0, i0 = 0; b0 < blocks; b0 += LG) {
            const size_t nb = blocks - b0 < LG ? blocks - b0 : LG;
            for (size_t bi = b0, i = i0; bi < b0 + nb; bi++) {
                const size_t rows = B / blocks + (bi < B % blocks);
                for (size_t k0 = 0; k0 < I; k0 += LKC)
                    lstm_tiles[rows](I - k0 < LKC ? I - k0 : LKC, g->x + i * g->ldxi + k0,
                                     g->ldxi, wp + k0 * LP, k0 == 0, acc[bi - b0]);
                i += rows;
            }
            for (size_t bi = b0, i = i0; bi < b0 + nb; bi++) {
                const size_t rows = B / blocks + (bi < B % blocks);
                for (size_t k0 = 0; k0 < H; k0 += LKC)
                    lstm_tiles[rows](H - k0 < LKC ? H - k0 : LKC, g->h_prev + i * g->ldh + k0,
                                     g->ldh, rp + k0 * LP, k0 == 0 && !I, acc[bi - b0]);
                i += rows;
            }
            for (size_t bi = b0; bi < b0 + nb; bi++) {
                const size_t rows = B / blocks + (bi < B % blocks), i = i0;
                lstm_gates(rows, nr, H, acc[bi - b0], g->Wp ? NULL : g->xp + i * g->ldx + j,
                           g->Wp || !g->xnext ? NULL : g->xnext + i * g->ldx + j, g->ldx,
                           g->bias ? g->bias + j : NULL, g->C + i * g->ldc + j, g->ldc,
                           g->h_next + i * g->ldn + j, g->ldn,
                           g->y ? g->y + i * g->ldy + j : NULL, g->ldy);
                i0 += rows;
            }
        }
    }
#else
    (void)g, (void)j0, (void)j1;
#endif
}
