/* SPDX-License-Identifier: Apache-2.0 */
/* rnn.h — the per-step gate math of LSTM, GRU and RNN on one batch row: pre-activations already
 * summed by GEMMs (input projection, recurrence), here the bias, clip, activations and state update. */
#ifndef ONNXBN_KERNELS_RNN_H
#define ONNXBN_KERNELS_RNN_H

#include <stdbool.h>
#include <stddef.h>

/* The activation functions the RNN operators name, with their alpha/beta. */
typedef enum onnxbn_rnn_actkind {
    ONNXBN_RA_RELU, ONNXBN_RA_TANH, ONNXBN_RA_SIGMOID,
    ONNXBN_RA_AFFINE,          /* a·x + b */
    ONNXBN_RA_LEAKYRELU,       /* x < 0 ? a·x : x */
    ONNXBN_RA_THRESHOLDEDRELU, /* x > a ? x : 0 */
    ONNXBN_RA_SCALEDTANH,      /* a·tanh(b·x) */
    ONNXBN_RA_HARDSIGMOID,     /* max(0, min(1, a·x + b)) */
    ONNXBN_RA_ELU,             /* x < 0 ? a·(e^x − 1) : x */
    ONNXBN_RA_SOFTSIGN,        /* x / (1 + |x|) */
    ONNXBN_RA_SOFTPLUS         /* ln(1 + e^x) */
} onnxbn_rnn_actkind;

typedef struct onnxbn_rnn_act {
    onnxbn_rnn_actkind kind;
    float a, b;
} onnxbn_rnn_act;

/* x = f(x) over n floats (Sigmoid and Tanh on the vectorised vmath.h loops). */
void onnxbn_rnn_act_apply(onnxbn_rnn_act f, float *x, size_t n);

/* What every cell shares. clip <= 0 (or +inf) means no clip; otherwise every pre-activation is
 * bounded to [-clip, clip] before its activation, as the spec says ("applied to the input of
 * activations"; the new cell state C itself is not clipped, as onnxruntime does). */
typedef struct onnxbn_rnn_cell {
    size_t H;
    float clip;
    onnxbn_rnn_act f, g, h; /* LSTM f, g, h; GRU f, g; RNN f */
    bool input_forget;      /* LSTM: f = 1 − i */
    bool linear_before_reset;
} onnxbn_rnn_cell;

/* LSTM, gates in ONNX order i, o, f, c. pre (4H) holds the recurrence h_{t-1}·Rᵀ, xp (4H) the
 * input projection x_t·Wᵀ, bias (4H, Wb + Rb) may be NULL, P (3H: i, o, f) may be NULL.
 * Updates C (H) in place and writes h (H). pre is used as scratch. */
void onnxbn_lstm_step(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                      const float *P, float *C, float *h);

/* GRU, gates z, r, h. First half: z and r into pre[0..2H) (pre: recurrence, xp: projection,
 * bias 3H or NULL), and, without linear_before_reset, rh = r ⊙ h_prev for the caller's
 * (r ⊙ h_prev)·Rh GEMM. Second half: the candidate from pre[2H..3H) (the recurrence of h_prev,
 * or of r ⊙ h_prev) and the update of h in place. rbh (H, Rbh; only with linear_before_reset,
 * else folded into bias) may be NULL. */
void onnxbn_gru_step_zr(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                        const float *h, float *rh);
void onnxbn_gru_step_h(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                       const float *rbh, float *h);

/* RNN: h = f(pre + xp + bias), pre (H) as scratch. */
void onnxbn_rnn_step(const onnxbn_rnn_cell *k, float *pre, const float *xp, const float *bias,
                     float *h);

/* ---- LSTM with the recurrence and the gates in one pass (AVX-512 only) ----
 * The common cell (Sigmoid, Tanh, Tanh; no clip, peepholes or input_forget) on R packed by hidden
 * column: panel p holds, for k = 0 .. H−1, the gates i, o, f, c of columns 16p .. 16p+15 (64
 * floats, columns past H zero). A step computes h_{t-1}·Rᵀ for a block of batch rows and one
 * panel in registers, then the gates and the state update while the sums are still in L1: no
 * pass over a [B, 4H] buffer, and no separate sum, activation and copy passes per row. */
#define ONNXBN_LSTM_COLS 16

/* True when onnxbn_lstm_fused_step has its vector kernel (the level in force is AVX-512). */
bool onnxbn_lstm_fused_fast(void);

/* Floats of a [4H, K] gate matrix (R: K = H; W: K = I) packed: ⌈H/16⌉·64·K; 0 on overflow. */
size_t onnxbn_lstm_packed_floats(size_t H, size_t K);

/* Packs M (row-major [4H, K], one direction, gates i, o, f, c) into Mp (64-byte aligned): panel p
 * holds, for k = 0 .. K−1, the four gates of columns 16p .. 16p+15. */
void onnxbn_lstm_pack(size_t H, size_t K, const float *M, float *Mp);

/* One step. Row b of each operand is at b times its stride. */
typedef struct onnxbn_lstm_args {
    size_t B, H, I;
    /* The input part: with Wp (W packed), x_t·Wᵀ is summed in the same tile (x rows ldxi apart,
     * I wide) and xp is not read; else xp holds the projection rows (xp·1 + bias), ldx apart,
     * and xnext, the next step's (or NULL), is prefetched. */
    const float *x, *Wp;
    size_t ldxi;
    const float *xp, *xnext;
    size_t ldx;
    const float *h_prev, *Rp; /* h_{t-1} rows, ldh apart; R packed */
    size_t ldh;
    const float *bias; /* 4H (Wb + Rb) or NULL */
    float *C;          /* cell state rows, ldc apart, updated */
    size_t ldc;
    float *h_next; /* must not overlap h_prev: every row block reads all of h_prev */
    size_t ldn;
    float *y; /* NULL or Y's rows for this step, ldy apart */
    size_t ldy;
} onnxbn_lstm_args;

/* Hidden columns [j0, j1) (j0 a multiple of 16) for every batch row: pre = [x_t·Wᵀ +] h_prev·Rᵀ
 * [+ xp] + bias, then i, o, f = σ(·), c = tanh(·), C = f ⊙ C + i ⊙ c, h = o ⊙ tanh(C), h written
 * to h_next and y. */
void onnxbn_lstm_fused_step(const onnxbn_lstm_args *a, size_t j0, size_t j1);

/* For tests: y = σ(x) (tanh_ false) or tanh(x), n floats, on the fused step's gate math (a few
 * ulp from exact; not vmath.h's bits). False, y untouched, where that path does not exist. */
bool onnxbn_lstm_gate_math(bool tanh_, const float *x, float *y, size_t n);

#endif
