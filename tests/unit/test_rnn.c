/* SPDX-License-Identifier: Apache-2.0 */
/* test_rnn.c — LSTM, GRU and RNN against a float64 numpy reference written from the spec
 * (tests/unit/rnn_ref.py prints the values below), and the bad inputs' errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "kernels/rnn.h"
#include "mkmodel.h"

/* Expected values: `/usr/bin/python3 tests/unit/rnn_ref.py` (its --check compares the reference
 * itself with the ONNX 1.12 node cases first). */
/* LSTM bidirectional, layout 1, sequence_lens {3, 1, 2} */
static const float lstm_y[36] = {-0.0184748709, -0.13880851, 0.181626949, 0.0463942092, 0.0137563263, -0.229585294, 0.184071466, 0.095956581, -0.068371971, -0.232184716, 0.117773287, 0.0397278514, -0.168064634, 0.0598555618, -0.167008552, -0.177403201, 0, 0, 0, 0, 0, 0, 0, 0, -0.0225628723, -0.143968601, 0.119771789, 0.0574031904, -0.138145275, -0.00557380151, 0.0337110909, 0.0365388722, 0, 0, 0, 0};
static const float lstm_yh[12] = {-0.068371971, -0.232184716, 0.181626949, 0.0463942092, -0.168064634, 0.0598555618, -0.167008552, -0.177403201, -0.138145275, -0.00557380151, 0.119771789, 0.0574031904};
static const float lstm_yc[12] = {-0.108574243, -0.401089338, 0.304465406, 0.0900131425, -0.272748308, 0.0758778014, -0.724683375, -0.295291208, -0.221067671, -0.00755958193, 0.191639748, 0.101823362};
/* GRU bidirectional, layout 0, sequence_lens {2, 3}, linear_before_reset 0 */
static const float gru0_y[24] = {-0.0114693461, -0.0409376701, 0.947110065, -0.00381736531, -0.291093493, -0.507133099, 0.246304411, -0.463497319, 0.131266745, 0.460225965, 0.722879853, -0.034180195, -0.14109679, 0.317151964, -0.302028641, -0.505768232, 0, 0, 0.318055903, 0.524247596, 0, 0, -0.155164911, 0.319650045};
static const float gru0_yh[8] = {0.131266745, 0.460225965, 0.318055903, 0.524247596, -0.291093493, -0.507133099, 0.246304411, -0.463497319};
/* GRU bidirectional, layout 0, sequence_lens {2, 3}, linear_before_reset 1 */
static const float gru1_y[24] = {-0.0139806408, -0.0426365661, 0.807159497, -0.00537738561, -0.25598716, -0.493168395, 0.301641003, -0.405657249, 0.0570082963, 0.383139425, 0.611609438, -0.025346487, -0.095932324, 0.355467875, -0.267415153, -0.491432302, 0, 0, 0.209937707, 0.336622429, 0, 0, -0.110634493, 0.358809151};
static const float gru1_yh[8] = {0.0570082963, 0.383139425, 0.209937707, 0.336622429, -0.25598716, -0.493168395, 0.301641003, -0.405657249};
/* RNN reverse, layout 1, Affine(0.5, 0.25) */
static const float rnn_y[24] = {0.841196567, 0.149280198, -0.186690985, 0.397402501, 0.126174758, 0.315559623, -0.0774654233, 0.080660174, 0.725529648, 0.0224391328, 0.179071503, 0.45344984, 0.782635749, 0.14756234, -0.188829252, 0.683772314, 0.140431947, 0.0193131399, 0.0884231202, 0.0947528018, 0.60938155, -0.164104616, 0.191835609, 0.64433255};
static const float rnn_yh[6] = {0.841196567, 0.149280198, -0.186690985, 0.782635749, 0.14756234, -0.188829252};
/* LSTM forward, input_forget, Softsign/Elu(0.7)/Softplus */
static const float lstmf_y[24] = {-0.151577198, 0.31232738, 0.256566468, -0.0616266949, 0.275453789, 0.177310999, -0.07782858, -0.0735502681, 0.210538773, -0.122300355, 0.202373289, 0.301446823, 0.0976715681, -0.317399756, -0.242145963, 0.0360449165, -0.281147424, 0.015382085, 0.143542613, -0.086259223, -0.314456574, 0.179786638, -0.279712316, -0.350359489};
static const float lstmf_yc[6] = {1.04516357, 0.0535291083, 0.482203672, 1.12435759, 0.063886046, 0.582017042};

/* The inputs rnn_ref.py makes: float(scale·sin(0.7·i + phase)). */
static float *wave(size_t n, double scale, double phase)
{
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * sin(0.7 * (double)i + phase));
    return v;
}

static size_t numel(int rank, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    return n;
}

/* A float initializer of the given shape filled with wave(scale, phase). */
static void init_wave(mk_model *m, const char *name, int rank, const int64_t *dims, double scale,
                      double phase)
{
    float *v = wave(numel(rank, dims), scale, phase);
    mk_init_f32(m, name, rank, dims, v);
    free(v);
}

static void run_x(const mk_model *m, int rank, const int64_t *dims, double scale, double phase,
                  onnxbn_session **out)
{
    float *x = wave(numel(rank, dims), scale, phase);
    onnxbn_session *s = mk_open_ok(m);
    mk_feed f = {"X", 0, rank, dims, x};
    mk_run_ok(s, 1, &f);
    free(x);
    *out = s;
}

#define ATOL 2e-5
#define RTOL 1e-4

/* LSTM bidirectional, layout 1 (batch first), sequence_lens {3, 1, 2}: steps past a batch's
 * length are zero in Y, Y_h/Y_c are its last valid step (the first step for the reverse
 * direction), with B, initial_h, initial_c and peepholes. */
static void test_lstm_bidirectional_layout1(void **state)
{
    (void)state;
    const int64_t T = 3, B = 3, I = 2, H = 2, D = 2;
    mk_model *m = mk_new(14);
    const int64_t xd[3] = {B, T, I}, wd[3] = {D, 4 * H, I}, rd[3] = {D, 4 * H, H}, bd[2] = {D, 8 * H},
                  sd[3] = {B, D, H}, pd[2] = {D, 3 * H}, ld[1] = {B};
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    init_wave(m, "W", 3, wd, 0.5, 0.2);
    init_wave(m, "R", 3, rd, 0.5, 0.3);
    init_wave(m, "B", 2, bd, 0.2, 0.4);
    init_wave(m, "h0", 3, sd, 0.3, 0.5);
    init_wave(m, "c0", 3, sd, 0.3, 0.6);
    init_wave(m, "P", 2, pd, 0.4, 0.7);
    const int32_t lens[3] = {3, 1, 2};
    mk_init(m, "L", ONNXBN_INT32, 1, ld, lens);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yc", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "LSTM", "lstm", "X,W,R,B,L,h0,c0,P", "Y,Yh,Yc");
    mk_attr_i(n, "hidden_size", H);
    mk_attr_i(n, "layout", 1);
    mk_attr_s(n, "direction", "bidirectional");
    onnxbn_session *s;
    run_x(m, 3, xd, 1.0, 0.1, &s);
    const int64_t yd[4] = {B, T, D, H};
    mk_expect_f32(s, 0, 4, yd, lstm_y, ATOL, RTOL);
    mk_expect_f32(s, 1, 3, sd, lstm_yh, ATOL, RTOL);
    mk_expect_f32(s, 2, 3, sd, lstm_yc, ATOL, RTOL);
    onnxbn_session_free(s);
    mk_free(m);
}

/* The common LSTM (default activations; no lens, peepholes, clip) runs on the fused step
 * (kernels/rnn.c, AVX-512): recurrence and gates in one pass, the input part in the same tile
 * or by chunks of steps. With sequence_lens of all T steps it takes the per-step path and the
 * one projection GEMM instead, so the two are compared: bidirectional, both layouts, 13 batch
 * rows (row blocks 5, 4, 4), 40 (7 blocks: a group of 6 and one more) and hidden 24 (a panel of
 * 16 and one cut short; 4H a multiple of
 * 32, so batch 1 projects by chunks), with B, initial_h and initial_c; and a batch of 1. The
 * fused gates are within 3 ulp of exact (test_lstm_gate_math), not vmath.h's bits, so the LSTM
 * is held to 1e-6 + 1e-5·|x| at every batch, as the tile's other order of x_t·Wᵀ's sum was
 * from batch 4 (5 steps of a few ulp per gate stay far inside it). The GRU (linear_before_reset,
 * as torch) too, whose projection goes by chunks of
 * steps without sequence_lens: hidden 32, 120 steps, so that batch 13 (1248 floats a step:
 * chunks of 105 steps) crosses a chunk's end in both directions. */
static mk_model *lstm_wide(const char *op, int64_t layout, int64_t B, bool with_lens)
{
    const int64_t G = strcmp(op, "GRU") ? 4 : 3, T = G == 4 ? 5 : 120, I = 6, H = G == 4 ? 24 : 32, D = 2;
    mk_model *m = mk_new(14);
    const int64_t xd[3] = {layout ? B : T, layout ? T : B, I}, wd[3] = {D, G * H, I},
                  rd[3] = {D, G * H, H}, bd[2] = {D, 2 * G * H},
                  sd[3] = {layout ? B : D, layout ? D : B, H}, ld[1] = {B};
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    init_wave(m, "W", 3, wd, 0.5, 0.2);
    init_wave(m, "R", 3, rd, 0.3, 0.3);
    init_wave(m, "B", 2, bd, 0.2, 0.4);
    init_wave(m, "h0", 3, sd, 0.3, 0.5);
    init_wave(m, "c0", 3, sd, 0.8, 0.6);
    int32_t lens[40];
    for (int i = 0; i < 40; i++)
        lens[i] = (int32_t)T;
    mk_init(m, "L", ONNXBN_INT32, 1, ld, lens);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
    if (G == 4)
        mk_output(m, "Yc", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, op, "rnn",
                             G == 4 ? (with_lens ? "X,W,R,B,L,h0,c0" : "X,W,R,B,,h0,c0")
                                    : (with_lens ? "X,W,R,B,L,h0" : "X,W,R,B,,h0"),
                             G == 4 ? "Y,Yh,Yc" : "Y,Yh");
    mk_attr_i(n, "hidden_size", H);
    mk_attr_i(n, "layout", layout);
    mk_attr_s(n, "direction", "bidirectional");
    if (G == 3)
        mk_attr_i(n, "linear_before_reset", 1); /* as torch exports it */
    return m;
}

static void test_lstm_fused_matches_steps(void **state)
{
    (void)state;
    for (int op = 0; op < 2; op++)
    for (int64_t layout = 0; layout < 2; layout++)
        for (int64_t B = 1; B <= 40; B = B == 1 ? 13 : B == 13 ? 40 : 41) {
            const char *name = op ? "GRU" : "LSTM";
            mk_model *mf = lstm_wide(name, layout, B, false), *ms = lstm_wide(name, layout, B, true);
            const int64_t T = op ? 120 : 5, xd[3] = {layout ? B : T, layout ? T : B, 6};
            onnxbn_session *sf, *ss;
            run_x(mf, 3, xd, 1.0, 0.1, &sf);
            run_x(ms, 3, xd, 1.0, 0.1, &ss);
            for (size_t o = 0; o < (op ? 2u : 3u); o++) {
                const onnxbn_tensor *a = onnxbn_session_output(sf, o), *b = onnxbn_session_output(ss, o);
                assert_non_null(a);
                assert_non_null(b);
                assert_int_equal(a->rank, b->rank);
                size_t n = 1;
                for (int k = 0; k < a->rank; k++) {
                    assert_int_equal(a->dims[k], b->dims[k]);
                    n *= (size_t)a->dims[k];
                }
                const float *va = a->data, *vb = b->data;
                double most = 0;
                for (size_t i = 0; i < n; i++) {
                    most = fabs(vb[i]) > most ? fabs(vb[i]) : most;
                    /* the GRU's projection by chunks gives each element the sum the one
                     * GEMM gives: the same bits; the fused LSTM's gate math is its own
                     * (a few ulp), and from batch 4 its tile sums x_t·Wᵀ in another order */
                    const bool exact = op;
                    if (exact ? va[i] != vb[i] : fabs((double)va[i] - vb[i]) > 1e-6 + 1e-5 * fabs(vb[i]))
                        fail_msg("%s layout %d batch %d output %zu [%zu]: %.9g, with lens %.9g", name,
                                 (int)layout, (int)B, o, i, va[i], vb[i]);
                }
                assert_true(most > 0.05); /* the states are not all near zero */
            }
            onnxbn_session_free(sf);
            onnxbn_session_free(ss);
            mk_free(mf);
            mk_free(ms);
        }
}

/* GRU bidirectional, layout 0, sequence_lens {2, 3} as a graph input, HardSigmoid(0.3, 0.4) /
 * LeakyRelu(0.05) forward and Sigmoid / ScaledTanh(0.9, 1.2) reverse, clip 1.25; both forms of
 * the candidate (linear_before_reset 0 and 1). */
static void gru_case(int lbr, const float *want_y, const float *want_yh)
{
    const int64_t T = 3, B = 2, I = 3, H = 2, D = 2;
    mk_model *m = mk_new(14);
    const int64_t xd[3] = {T, B, I}, wd[3] = {D, 3 * H, I}, rd[3] = {D, 3 * H, H}, bd[2] = {D, 6 * H},
                  ld[1] = {B};
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    mk_input(m, "L", ONNXBN_INT32, 1, ld);
    init_wave(m, "W", 3, wd, 0.6, 0.9);
    init_wave(m, "R", 3, rd, 0.6, 1.0);
    init_wave(m, "B", 2, bd, 0.3, 1.1);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "GRU", "gru", "X,W,R,B,L", "Y,Yh");
    mk_attr_i(n, "hidden_size", H);
    mk_attr_i(n, "linear_before_reset", lbr);
    mk_attr_s(n, "direction", "bidirectional");
    mk_attr_f(n, "clip", 1.25f);
    const float al[3] = {0.3f, 0.05f, 0.9f}, be[2] = {0.4f, 1.2f};
    mk_attr_floats(n, "activation_alpha", 3, al);
    mk_attr_floats(n, "activation_beta", 2, be);
    const char *const acts[4] = {"HardSigmoid", "LeakyRelu", "Sigmoid", "ScaledTanh"};
    mk_attr_strings(n, "activations", 4, acts);
    float *x = wave((size_t)(T * B * I), 1.5, 0.8);
    const int32_t lens[2] = {2, 3};
    onnxbn_session *s = mk_open_ok(m);
    mk_feed f[2] = {{"X", 0, 3, xd, x}, {"L", ONNXBN_INT32, 1, ld, lens}};
    mk_run_ok(s, 2, f);
    const int64_t yd[4] = {T, D, B, H}, hd[3] = {D, B, H};
    mk_expect_f32(s, 0, 4, yd, want_y, ATOL, RTOL);
    mk_expect_f32(s, 1, 3, hd, want_yh, ATOL, RTOL);
    /* a length past T at run time: one error naming the node, nothing read out of bounds */
    const int32_t bad[2] = {2, 4};
    mk_feed fb[2] = {{"X", 0, 3, xd, x}, {"L", ONNXBN_INT32, 1, ld, bad}};
    onnxbn_error err = {0};
    assert_int_equal(mk_run(s, 2, fb, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "node 'gru' (GRU)"));
    assert_non_null(strstr(err.msg, "sequence_lens"));
    onnxbn_session_free(s);
    free(x);
    mk_free(m);
}

static void test_gru_bidirectional_activations(void **state)
{
    (void)state;
    gru_case(0, gru0_y, gru0_yh);
    gru_case(1, gru1_y, gru1_yh);
}

/* RNN reverse, layout 1, Affine(0.5, 0.25): Y_h is the state after step 0. */
static void test_rnn_reverse_affine(void **state)
{
    (void)state;
    const int64_t T = 4, B = 2, I = 2, H = 3;
    mk_model *m = mk_new(14);
    const int64_t xd[3] = {B, T, I}, wd[3] = {1, H, I}, rd[3] = {1, H, H};
    /* rnn_ref.py takes the first H rows of a [1, 3H, ·] wave: the same values */
    float *w = wave((size_t)(3 * H * I), 0.5, 1.3), *r = wave((size_t)(3 * H * H), 0.5, 1.4);
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "W", 3, wd, w);
    mk_init_f32(m, "R", 3, rd, r);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "RNN", "rnn", "X,W,R", "Y,Yh");
    mk_attr_i(n, "hidden_size", H);
    mk_attr_i(n, "layout", 1);
    mk_attr_s(n, "direction", "reverse");
    const float al = 0.5f, be = 0.25f;
    mk_attr_floats(n, "activation_alpha", 1, &al);
    mk_attr_floats(n, "activation_beta", 1, &be);
    const char *const act = "Affine";
    mk_attr_strings(n, "activations", 1, &act);
    onnxbn_session *s;
    run_x(m, 3, xd, 1.0, 1.2, &s);
    const int64_t yd[4] = {B, T, 1, H}, hd[3] = {B, 1, H};
    mk_expect_f32(s, 0, 4, yd, rnn_y, ATOL, RTOL);
    mk_expect_f32(s, 1, 3, hd, rnn_yh, ATOL, RTOL);
    onnxbn_session_free(s);
    free(w);
    free(r);
    mk_free(m);
}

/* LSTM forward with input_forget (f = 1 − i) and Softsign / Elu(0.7) / Softplus, opset 7 (no
 * layout attribute); only Y_c wanted besides Y (Y_h omitted). */
static void test_lstm_input_forget(void **state)
{
    (void)state;
    const int64_t T = 4, B = 2, I = 2, H = 3;
    /* rnn_ref.py feeds the batch-first wave transposed to [T, B, I] */
    float *xb = wave((size_t)(B * T * I), 1.0, 1.2), *x = malloc((size_t)(T * B * I) * sizeof *x);
    assert_non_null(x);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t i = 0; i < I; i++)
                x[(t * B + b) * I + i] = xb[(b * T + t) * I + i];
    mk_model *m = mk_new(7);
    const int64_t xd[3] = {T, B, I}, wd[3] = {1, 4 * H, I}, rd[3] = {1, 4 * H, H};
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    init_wave(m, "W", 3, wd, 0.5, 1.5);
    init_wave(m, "R", 3, rd, 0.5, 1.6);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "Yc", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "LSTM", "lstm", "X,W,R", "Y,,Yc");
    mk_attr_i(n, "hidden_size", H);
    mk_attr_i(n, "input_forget", 1);
    const float al = 0.7f;
    mk_attr_floats(n, "activation_alpha", 1, &al);
    const char *const acts[3] = {"Softsign", "Elu", "Softplus"};
    mk_attr_strings(n, "activations", 3, acts);
    onnxbn_session *s = mk_open_ok(m);
    mk_feed f = {"X", 0, 3, xd, x};
    mk_run_ok(s, 1, &f);
    const int64_t yd[4] = {T, 1, B, H}, hd[3] = {1, B, H};
    mk_expect_f32(s, 0, 4, yd, lstmf_y, ATOL, RTOL);
    mk_expect_f32(s, 1, 3, hd, lstmf_yc, ATOL, RTOL);
    onnxbn_session_free(s);
    free(x);
    free(xb);
    mk_free(m);
}

/* An `op` node [T=2, B=1, I=2] with hidden_size 3, W [1, wrows, 2], R [1, wrows, rcols], whose
 * inputs (NULL: X,W,R) and attributes the caller may spoil. */
static mk_model *lstm_small(const char *op, int64_t wrows, int64_t rcols, const char *dir,
                            mk_node **node, const char *inputs)
{
    const int64_t xd[3] = {2, 1, 2}, wd[3] = {1, wrows, 2}, rd[3] = {1, wrows, rcols};
    mk_model *m = mk_new(14);
    mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
    init_wave(m, "W", 3, wd, 0.5, 0.1);
    init_wave(m, "R", 3, rd, 0.5, 0.2);
    mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, op, "bad_rnn", inputs ? inputs : "X,W,R", ",Yh");
    mk_attr_i(n, "hidden_size", 3);
    if (dir)
        mk_attr_s(n, "direction", dir);
    if (node)
        *node = n;
    return m;
}

static void expect_bad(mk_model *m, onnxbn_status want, const char *text)
{
    const int64_t xd[3] = {2, 1, 2};
    const float x[4] = {1, 2, 3, 4};
    mk_feed f = {"X", 0, 3, xd, x};
    mk_expect_fail(m, 1, &f, want, "node 'bad_rnn' (");
    mk_expect_fail(m, 1, &f, want, text);
    mk_free(m);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    /* W and R made for another hidden size than the attribute's */
    expect_bad(lstm_small("LSTM", 16, 3, NULL, NULL, NULL), ONNXBN_ERR_SHAPE, "input 'W' ('W') has shape [1,16,2], expected [1,12,2]");
    expect_bad(lstm_small("LSTM", 12, 4, NULL, NULL, NULL), ONNXBN_ERR_SHAPE, "input 'R' ('R') has shape [1,12,4], expected [1,12,3]");
    /* a GRU given an LSTM's weights (4 gates, not 3) */
    expect_bad(lstm_small("GRU", 12, 3, NULL, NULL, NULL), ONNXBN_ERR_SHAPE, "expected [1,9,2]");
    expect_bad(lstm_small("LSTM", 12, 3, "sideways", NULL, NULL), ONNXBN_ERR_MODEL, "attribute 'direction' is 'sideways'");
    /* bidirectional wants two directions of weights */
    expect_bad(lstm_small("LSTM", 12, 3, "bidirectional", NULL, NULL), ONNXBN_ERR_SHAPE, "expected [2,12,2]");
    mk_node *n;
    mk_model *m = lstm_small("LSTM", 12, 3, NULL, &n, NULL);
    const char *const swish[3] = {"Sigmoid", "Tanh", "Swish"};
    mk_attr_strings(n, "activations", 3, swish);
    expect_bad(m, ONNXBN_ERR_UNSUPPORTED, "activation 'Swish'");
    m = lstm_small("LSTM", 12, 3, NULL, &n, NULL);
    mk_attr_strings(n, "activations", 2, swish);
    expect_bad(m, ONNXBN_ERR_MODEL, "'activations' has 2 entries, expected 3");
    m = lstm_small("LSTM", 12, 3, NULL, &n, NULL);
    mk_attr_i(n, "layout", 2);
    expect_bad(m, ONNXBN_ERR_MODEL, "attribute 'layout' is 2");
    m = lstm_small("LSTM", 12, 3, NULL, &n, NULL);
    mk_attr_f(n, "clip", -1.0f);
    expect_bad(m, ONNXBN_ERR_MODEL, "attribute 'clip'");

    /* sequence_lens: a constant out of range fails when the session opens, an int64 one by type */
    const int64_t one = 1;
    const int32_t l3 = 3;
    const int64_t l1 = 1;
    m = lstm_small("LSTM", 12, 3, NULL, NULL, "X,W,R,,L");
    mk_init(m, "L", ONNXBN_INT32, 1, &one, &l3);
    expect_bad(m, ONNXBN_ERR_SHAPE, "input 'sequence_lens' ('L') is 3 for batch 0, outside [0, 2]");
    m = lstm_small("LSTM", 12, 3, NULL, NULL, "X,W,R,,L");
    mk_init(m, "L", ONNXBN_INT64, 1, &one, &l1);
    expect_bad(m, ONNXBN_ERR_TYPE, "input 'sequence_lens' ('L') is int64, expected int32");
    /* initial_h for another batch size */
    m = lstm_small("RNN", 3, 3, NULL, NULL, "X,W,R,,,h0");
    const int64_t hd[3] = {1, 2, 3};
    init_wave(m, "h0", 3, hd, 1.0, 0.0);
    expect_bad(m, ONNXBN_ERR_SHAPE, "input 'initial_h' ('h0') has shape [1,2,3], expected [1,1,3]");
}

/* Empty sequences and batches: shapes as the spec's, no product run on nothing; with no step
 * taken Y_h is initial_h. */
static void test_empty(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        const int64_t T = k ? 3 : 0, B = k ? 0 : 2, I = 2, H = 3;
        const int64_t xd[3] = {T, B, I}, wd[3] = {1, 4 * H, I}, rd[3] = {1, 4 * H, H}, hd[3] = {1, B, H};
        mk_model *m = mk_new(14);
        mk_input(m, "X", ONNXBN_FLOAT, 3, xd);
        init_wave(m, "W", 3, wd, 0.5, 0.1);
        init_wave(m, "R", 3, rd, 0.5, 0.2);
        init_wave(m, "h0", 3, hd, 1.0, 0.3);
        mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "Yh", ONNXBN_FLOAT, -1, NULL);
        mk_node *n = mk_node_add(m, "LSTM", "lstm", "X,W,R,,,h0", "Y,Yh");
        mk_attr_i(n, "hidden_size", H);
        const float x[1] = {0};
        onnxbn_session *s = mk_open_ok(m);
        mk_feed f = {"X", 0, 3, xd, x};
        mk_run_ok(s, 1, &f);
        const int64_t yd[4] = {T, 1, B, H};
        float *h0 = wave((size_t)(B * H) + 1, 1.0, 0.3); /* + 1: never malloc(0) */
        mk_expect_f32(s, 0, 4, yd, NULL, 0, 0);
        mk_expect_f32(s, 1, 3, hd, h0, 0, 0);
        free(h0);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* ulps between y and the float nearest to want (the spacing at want's binade; 2^-149 below) */
static double ulps(float y, double want)
{
    const float w = (float)want;
    if (w == 0 && y == 0)
        return 0;
    const int e = w == 0 ? -149 : (ilogbf(w) - 23 < -149 ? -149 : ilogbf(w) - 23);
    return fabs((double)y - want) / ldexp(1.0, e);
}

/* The fused LSTM's σ and tanh (kernels/rnn.c: FMA exp, rcp14 and a Newton step) within 3 ulp
 * of double over [-110, 110] (both formulas of tanh and their switch at 0.625, the exp's clamp
 * and denormal σ), and exact where exact is due: σ(0) = 0.5, tanh(±0) = ±0, saturation at ±1
 * and 0, NaN through. */
static void test_lstm_gate_math(void **state)
{
    (void)state;
    enum { N = 44003 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int i = 0; i < N - 3; i++) /* dense near 0, where both functions bend */
        x[i] = (float)(i < 20000 ? (i - 10000) * 1e-3 * (i % 7 == 0 ? 0.01 : 1)
                                 : (i - 32000) * (110.0 / 12000));
    x[N - 3] = 0.625f;
    x[N - 2] = nextafterf(0.625f, 0);
    x[N - 1] = -0.0f;
    for (int fn = 0; fn < 2; fn++) {
        if (!onnxbn_lstm_gate_math(fn == 1, x, y, N)) {
            print_message("no AVX-512: the fused gate math does not run here\n");
            break;
        }
        double most = 0;
        for (int i = 0; i < N; i++) {
            const double v = x[i], want = fn ? tanh(v) : 1 / (1 + exp(-v));
            const double u = ulps(y[i], want);
            if (u > 3)
                fail_msg("%s(%.9g) = %.9g, want %.9g (%.2f ulp)", fn ? "tanh" : "sigmoid", v, y[i],
                         want, u);
            most = u > most ? u : most;
        }
        print_message("%s: at most %.2f ulp\n", fn ? "tanh" : "sigmoid", most);
        assert_true(most > 0); /* the sweep reached inexact values */
        const float sp[6] = {0.0f, -0.0f, 30.0f, -120.0f, INFINITY, NAN};
        float sy[6];
        assert_true(onnxbn_lstm_gate_math(fn == 1, sp, sy, 6));
        assert_true(fn ? sy[0] == 0 && !signbit(sy[0]) && sy[1] == 0 && signbit(sy[1]) : sy[0] == 0.5f);
        assert_true(sy[2] == 1.0f);
        assert_true(fn ? sy[3] == -1.0f : sy[3] == 0.0f);
        assert_true(sy[4] == 1.0f);
        assert_true(isnan(sy[5]));
    }
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm_bidirectional_layout1),
        cmocka_unit_test(test_lstm_fused_matches_steps),
        cmocka_unit_test(test_lstm_gate_math),
        cmocka_unit_test(test_gru_bidirectional_activations),
        cmocka_unit_test(test_rnn_reverse_affine),
        cmocka_unit_test(test_lstm_input_forget),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
