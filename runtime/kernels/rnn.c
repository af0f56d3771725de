/* SPDX-License-Identifier: Apache-2.0 */
/* rnn.c — LSTM, GRU and RNN gate math for one batch row and one step: sums, clip, activations
 * and the state update, as short vectorised passes over rows of H floats. */
#include "kernels/rnn.h"

#include <math.h>

#include "kernels/clones.h"
#include "kernels/unary.h"
#include "kernels/vmath.h"

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
