/* SPDX-License-Identifier: Apache-2.0 */
/* test_linear_fusion.c — a Linear as torch exports it on 3-D inputs (MatMul by a weight, Add of
 * its bias, then perhaps the five-node erf GELU) run as the MatMul alone, with the same bits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "kernels/gemm.h"
#include "kernels/unary.h"
#include "mkmodel.h"
#include "profiled.h"

/* x is B×T×K, W K×N: 3 panels of 32 columns, the last one partial */
enum { B = 2, T = 5, K = 40, N = 70 };

static void fill(float *v, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
    }
}

static const float GELU_K[3] = {1.41421353816986083984375f, 1.0f, 0.5f};

typedef struct shape {
    bool bias, bias_first, gelu;
    bool keep_y;     /* the MatMul's output is a graph output too */
    bool keep_t;     /* the Add's output (the GELU's input) is a graph output too */
    bool bias_input; /* the bias is a graph input, not a constant */
    bool bias_3d;    /* the bias is 1×1×N (broadcast the same) */
    bool extra_read; /* the GELU's input is read by a third node */
} shape;

static mk_model *linear_model(const shape *sh, const float *w, const float *b)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {B, T, K}, wd[] = {K, N}, yd[] = {B, T, N}, bd[] = {N}, b3[] = {1, 1, N},
                  one[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "w", 2, wd, w);
    if (sh->bias_input)
        mk_input(m, "b", ONNXBN_FLOAT, 1, bd);
    else
        mk_init_f32(m, "b", sh->bias_3d ? 3 : 1, sh->bias_3d ? b3 : bd, b);
    mk_init_f32(m, "r2", 1, one, &GELU_K[0]);
    mk_init_f32(m, "one", 1, one, &GELU_K[1]);
    mk_init_f32(m, "half", 1, one, &GELU_K[2]);
    mk_node_add(m, "MatMul", "mm", "x,w", "y");
    const char *t = "y";
    if (sh->bias) {
        mk_node_add(m, "Add", "add", sh->bias_first ? "b,y" : "y,b", "t");
        t = "t";
    }
    char in[64];
    if (sh->gelu) {
        snprintf(in, sizeof in, "%s,r2", t);
        mk_node_add(m, "Div", "div", in, "d");
        mk_node_add(m, "Erf", "erf", "d", "e");
        mk_node_add(m, "Add", "add1", "e,one", "a");
        snprintf(in, sizeof in, "%s,a", t);
        mk_node_add(m, "Mul", "mul0", in, "mm0");
        mk_node_add(m, "Mul", "mul1", "mm0,half", "out");
    } else {
        mk_node_add(m, "Identity", "id", t, "out");
    }
    mk_output(m, "out", ONNXBN_FLOAT, 3, yd);
    if (sh->keep_y)
        mk_output(m, "y", ONNXBN_FLOAT, 3, yd);
    if (sh->keep_t)
        mk_output(m, t, ONNXBN_FLOAT, 3, yd);
    if (sh->extra_read) {
        snprintf(in, sizeof in, "%s,%s", t, t);
        mk_node_add(m, "Mul", "sq", in, "sq_out");
        mk_output(m, "sq_out", ONNXBN_FLOAT, 3, yd);
    }
    return m;
}

/* Runs sh on x (and b as an input when the shape says so); copies output 0 into out. */
static onnxbn_session *run_shape(const shape *sh, const float *x, const float *w, const float *b,
                                 float *out, int threads)
{
    mk_model *m = linear_model(sh, w, b);
    onnxbn_session *s = prof_open(m, threads);
    const int64_t xd[] = {B, T, K}, bd[] = {N};
    mk_feed f[2] = {{"x", 0, 3, xd, x}, {"b", 0, 1, bd, b}};
    mk_run_ok(s, sh->bias_input ? 2 : 1, f);
    memcpy(out, onnxbn_tensor_data((onnxbn_tensor *)onnxbn_session_output(s, 0)),
           (size_t)B * T * N * sizeof *out);
    mk_free(m);
    return s;
}

/* float64 reference: t = x·W (+ b), then 0.5·t·(1 + erf(t/√2)) when gelu. */
static void reference(const float *x, const float *w, const float *b, bool bias, bool gelu,
                      float *ref)
{
    for (int i = 0; i < B * T; i++)
        for (int j = 0; j < N; j++) {
            double t = bias ? b[j] : 0.0;
            for (int k = 0; k < K; k++)
                t += (double)x[i * K + k] * w[k * N + j];
            ref[i * N + j] = (float)(gelu ? 0.5 * t * (1.0 + erf(t / sqrt(2.0))) : t);
        }
}

/* Fused: the MatMul runs, the Add and the GELU's five nodes do not; the output is within 2e-5
 * of float64 (a 40-term float sum of terms under 1: at most 40 roundings of 2^-24·|partial sum|,
 * under 1e-5; erf's 3 ulp and the GELU's slope under 1.13 add little), and bit for bit the same
 * as the nodes run apart (the GELU's input kept as an output, so nothing folds). */
static void linear_fused(void **state)
{
    (void)state;
    float x[B * T * K], w[K * N], b[N], ref[B * T * N], fused[B * T * N], apart[B * T * N];
    fill(x, B * T * K, 1);
    fill(w, K * N, 2);
    fill(b, N, 3);
    for (int k = 0; k < K; k++)
        w[k * N + 5] *= 8.0f; /* a column with large |t|: the GELU's erf tail and its cancellation */
    const int64_t yd[] = {B, T, N};
    for (int v = 0; v < 6; v++) {
        shape sh = {.bias = v != 4, .bias_first = v & 1, .gelu = v != 5, .bias_3d = v == 2};
        reference(x, w, b, sh.bias, sh.gelu, ref);
        for (int threads = 1; threads <= 2; threads++) {
            onnxbn_session *s = run_shape(&sh, x, w, b, fused, threads);
            assert_int_equal(prof_runs(s, "mm"), 1);
            if (sh.bias)
                assert_int_equal(prof_runs(s, "add"), 0);
            if (sh.gelu) {
                assert_int_equal(prof_runs(s, "div"), 0);
                assert_int_equal(prof_runs(s, "erf"), 0);
                assert_int_equal(prof_runs(s, "add1"), 0);
                assert_int_equal(prof_runs(s, "mul0"), 0);
                assert_int_equal(prof_runs(s, "mul1"), 0);
            }
            mk_expect_f32(s, 0, 3, yd, ref, 2e-5, 1e-5);
            mk_run_ok(s, 1, &(mk_feed){"x", 0, 3, (const int64_t[]){B, T, K}, x});
            mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, yd, fused); /* again, the arena reused */
            onnxbn_session_free(s);

            /* apart: the GELU's input is an output, so the GELU runs as its nodes; without a
             * GELU, the product is an output, so the Add runs as its node */
            shape kept = sh;
            kept.keep_t = sh.gelu;
            kept.keep_y = !sh.gelu;
            s = run_shape(&kept, x, w, b, apart, threads);
            if (sh.gelu)
                assert_int_equal(prof_runs(s, "div"), 1);
            else
                assert_int_equal(prof_runs(s, "add"), 1);
            assert_memory_equal(fused, apart, sizeof fused);
            onnxbn_session_free(s);
        }
    }
}

/* Each shape that must not fold: the node it would have folded still runs, and the output is
 * still right. */
static void linear_not_fused(void **state)
{
    (void)state;
    float x[B * T * K], w[K * N], b[N], ref[B * T * N], out[B * T * N];
    fill(x, B * T * K, 4);
    fill(w, K * N, 5);
    fill(b, N, 6);
    const int64_t yd[] = {B, T, N};
    reference(x, w, b, true, true, ref);
    /* the product is an output too: neither the bias nor the GELU folds into it */
    shape sh = {.bias = true, .gelu = true, .keep_y = true};
    onnxbn_session *s = run_shape(&sh, x, w, b, out, 1);
    assert_int_equal(prof_runs(s, "add"), 1);
    mk_expect_f32(s, 0, 3, yd, ref, 2e-5, 1e-5);
    onnxbn_session_free(s);
    /* the bias is an input, known only at the run */
    sh = (shape){.bias = true, .gelu = true, .bias_input = true};
    s = run_shape(&sh, x, w, b, out, 1);
    assert_int_equal(prof_runs(s, "add"), 1);
    mk_expect_f32(s, 0, 3, yd, ref, 2e-5, 1e-5);
    onnxbn_session_free(s);
    /* the GELU's input has a third reader: the bias folds, the GELU runs as its own node */
    sh = (shape){.bias = true, .gelu = true, .extra_read = true};
    s = run_shape(&sh, x, w, b, out, 1);
    assert_int_equal(prof_runs(s, "add"), 0);
    assert_int_equal(prof_runs(s, "div"), 1);
    mk_expect_f32(s, 0, 3, yd, ref, 2e-5, 1e-5);
    onnxbn_session_free(s);
}

/* A bias that broadcasts along rows, not columns (B×T×1 would be numel 10, not N; a 1-D bias of
 * another length fails at the Add): the Add runs and adds per row. */
static void bias_per_row_not_fused(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, 3, 2}, wd[] = {2, 2}, bd[] = {1, 3, 1}, yd[] = {1, 3, 2};
    const float w[] = {1, 2, 3, 4}, b[] = {10, 20, 30}, x[] = {1, 0, 0, 1, 1, 1};
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "w", 2, wd, w);
    mk_init_f32(m, "b", 3, bd, b);
    mk_node_add(m, "MatMul", "mm", "x,w", "y");
    mk_node_add(m, "Add", "add", "y,b", "out");
    mk_output(m, "out", ONNXBN_FLOAT, 3, yd);
    onnxbn_session *s = prof_open(m, 1);
    mk_run_ok(s, 1, &(mk_feed){"x", 0, 3, xd, x});
    assert_int_equal(prof_runs(s, "add"), 1);
    const float want[] = {11, 12, 23, 24, 34, 36};
    mk_expect_f32(s, 0, 3, yd, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* 400 rows of 96 columns (3 panels): two threads split it by rows (ops/gemm_cols.c), each with
 * the GELU on its own rows; the same bits as one thread, and right against float64. */
static void linear_rows_threads(void **state)
{
    (void)state;
    enum { R = 400, KR = 40, NR = 96 };
    float *x = malloc(sizeof(float) * R * KR), *w = malloc(sizeof(float) * KR * NR),
          *b = malloc(sizeof(float) * NR), *ref = malloc(sizeof(float) * R * NR),
          *one = malloc(sizeof(float) * R * NR);
    assert_true(x && w && b && ref && one);
    fill(x, (size_t)R * KR, 11);
    fill(w, (size_t)KR * NR, 12);
    fill(b, NR, 13);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NR; j++) {
            double t = b[j];
            for (int k = 0; k < KR; k++)
                t += (double)x[i * KR + k] * w[k * NR + j];
            ref[i * NR + j] = (float)(0.5 * t * (1.0 + erf(t / sqrt(2.0))));
        }
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, R / 2, KR}, wd[] = {KR, NR}, yd[] = {2, R / 2, NR}, bd[] = {NR},
                  o1[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    mk_init_f32(m, "w", 2, wd, w);
    mk_init_f32(m, "b", 1, bd, b);
    mk_init_f32(m, "r2", 1, o1, &GELU_K[0]);
    mk_init_f32(m, "one", 1, o1, &GELU_K[1]);
    mk_init_f32(m, "half", 1, o1, &GELU_K[2]);
    mk_node_add(m, "MatMul", "mm", "x,w", "y");
    mk_node_add(m, "Add", "add", "b,y", "t");
    mk_node_add(m, "Div", "div", "t,r2", "d");
    mk_node_add(m, "Erf", "erf", "d", "e");
    mk_node_add(m, "Add", "add1", "one,e", "a");
    mk_node_add(m, "Mul", "mul0", "a,t", "mm0");
    mk_node_add(m, "Mul", "mul1", "half,mm0", "out");
    mk_output(m, "out", ONNXBN_FLOAT, 3, yd);
    for (int threads = 1; threads <= 2; threads++) {
        onnxbn_session *s = prof_open(m, threads);
        mk_run_ok(s, 1, &(mk_feed){"x", 0, 3, xd, x});
        assert_int_equal(prof_runs(s, "add"), 0);
        assert_int_equal(prof_runs(s, "div"), 0);
        mk_expect_f32(s, 0, 3, yd, ref, 2e-5, 1e-5);
        if (threads == 1)
            memcpy(one, onnxbn_tensor_data((onnxbn_tensor *)onnxbn_session_output(s, 0)),
                   sizeof(float) * R * NR);
        else
            mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, yd, one);
        onnxbn_session_free(s);
    }
    mk_free(m);
    free(x);
    free(w);
    free(b);
    free(ref);
    free(one);
}

/* The kernel: onnxbn_sgemm_packed_gelu, vector and portable, over several row chunks and column
 * ranges, gives exactly the packed product followed by onnxbn_gelu_erf_f32; NULL constants give
 * exactly onnxbn_sgemm_packed. */
static void packed_gelu_kernel(void **state)
{
    (void)state;
    enum { M = 131, KK = 300, NN = 77, LD = 80 };
    float *A = malloc(sizeof(float) * M * KK), *Bm = malloc(sizeof(float) * KK * NN),
          *bias = malloc(sizeof(float) * NN), *want = malloc(sizeof(float) * M * LD),
          *got = malloc(sizeof(float) * M * LD);
    float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(KK, NN) * sizeof(float));
    assert_true(A && Bm && bias && want && got && Bp);
    fill(A, (size_t)M * KK, 7);
    fill(Bm, (size_t)KK * NN, 8);
    fill(bias, NN, 9);
    for (size_t i = 0; i < (size_t)M * KK; i++)
        A[i] *= 0.2f;
    onnxbn_sgemm_pack_b(false, KK, NN, Bm, NN, Bp);
    const size_t ranges[][2] = {{0, NN}, {32, NN}, {0, 32}, {64, 200}};
    for (int portable = 0; portable < 2; portable++)
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            const size_t j0 = ranges[r][0], j1 = ranges[r][1] > NN ? NN : ranges[r][1];
            for (size_t i = 0; i < (size_t)M * LD; i++)
                want[i] = got[i] = 1234.5f;
            (portable ? onnxbn_sgemm_packed_portable : onnxbn_sgemm_packed)(
                M, NN, KK, A, KK, Bp, bias, 0, 0, 0, want, LD, j0, j1);
            for (size_t i = 0; i < M; i++)
                onnxbn_gelu_erf_f32(want + i * LD + j0, want + i * LD + j0, j1 - j0, GELU_K);
            onnxbn_sgemm_packed_gelu(M, NN, KK, A, KK, Bp, bias, 0, 0, 0, GELU_K, got, LD, j0,
                                     ranges[r][1], portable);
            assert_memory_equal(want, got, sizeof(float) * M * LD);
            /* no GELU: the plain packed product */
            (portable ? onnxbn_sgemm_packed_portable : onnxbn_sgemm_packed)(
                M, NN, KK, A, KK, Bp, bias, 1, 0, 0, want, LD, j0, j1);
            onnxbn_sgemm_packed_gelu(M, NN, KK, A, KK, Bp, bias, 1, 0, 0, NULL, got, LD, j0, j1,
                                     portable);
            assert_memory_equal(want, got, sizeof(float) * M * LD);
        }
    /* the GELU itself, against float64 on a few values */
    float one[1];
    onnxbn_sgemm_packed_gelu(1, NN, KK, A, KK, Bp, NULL, 0, 0, 0, GELU_K, one, 1, 0, 1, false);
    double t = 0;
    for (int k = 0; k < KK; k++)
        t += (double)A[k] * Bm[(size_t)k * NN];
    assert_float_equal(one[0], 0.5 * t * (1.0 + erf(t / sqrt(2.0))), 1e-5);
    onnxbn_free(Bp);
    free(A);
    free(Bm);
    free(bias);
    free(want);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_fused),
        cmocka_unit_test(linear_not_fused),
        cmocka_unit_test(bias_per_row_not_fused),
        cmocka_unit_test(linear_rows_threads),
        cmocka_unit_test(packed_gelu_kernel),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
