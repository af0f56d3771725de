/* SPDX-License-Identifier: Apache-2.0 */
/* test_gemm_packed.c — the packed-weight product (kernels/gemm.h onnxbn_sgemm_packed): against a
 * double reference at every edge of its blocking, and through Gemm/MatMul with weight inputs. */
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
#include "mkmodel.h"
#include "ops/gemm_cols.h"
#include "threadpool.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Deterministic values in [-1, 1). */
static void fill(float *v, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
    }
}

static float act_ref(int kind, float lo, float hi, float v)
{
    if (kind == 1)
        return v <= 0.0f ? 0.0f : v;
    if (kind == 2)
        return v < lo ? lo : v > hi ? hi : v;
    return v;
}

/* C (M×N at ldc) against act(A·op(B) + bias) in double: within 1e-5 of Σ|a·b| + |bias| (a
 * wrong or missing term is far more than that), and untouched outside [0, M) × [0, N). */
static void check(size_t M, size_t N, size_t K, const float *A, const float *B, bool tb,
                  const float *bias, int act, float lo, float hi, const float *C, size_t ldc,
                  const char *what)
{
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < ldc; j++) {
            const float got = C[i * ldc + j];
            if (j >= N) {
                if (got != 1234.5f)
                    fail_msg("%s: C[%zu][%zu] past N was written", what, i, j);
                continue;
            }
            double s = bias ? bias[j] : 0.0, mag = bias ? fabs(bias[j]) : 0.0;
            for (size_t k = 0; k < K; k++) {
                const double p = (double)A[i * K + k] * (tb ? B[j * K + k] : B[k * N + j]);
                s += p;
                mag += fabs(p);
            }
            const float want = act_ref(act, lo, hi, (float)s);
            if (!(fabs(got - want) <= 1e-5 * mag + 1e-7))
                fail_msg("%s: M=%zu N=%zu K=%zu C[%zu][%zu] = %.9g, want %.9g", what, M, N, K, i,
                         j, got, want);
        }
    }
}

/* Every row-block and panel edge: M around 12 (rows per block) and 48 (rows per chunk), N around
 * 16 and 32 (vectors per panel), K around 256 (the K block), K = 0 (bias only). */
static void test_kernel_edges(void **state)
{
    (void)state;
    const size_t Ms[] = {1, 2, 11, 12, 13, 47, 48, 49, 64, 97};
    const size_t Ns[] = {1, 10, 16, 17, 32, 33, 70};
    const size_t Ks[] = {0, 1, 7, 256, 257, 520};
    const float lo = -0.25f, hi = 0.5f;
    for (size_t mi = 0; mi < COUNT(Ms); mi++)
        for (size_t ni = 0; ni < COUNT(Ns); ni++)
            for (size_t ki = 0; ki < COUNT(Ks); ki++) {
                const size_t M = Ms[mi], N = Ns[ni], K = Ks[ki], ldc = N + 3;
                const bool tb = (mi + ni + ki) % 2;
                const int act = (int)((mi + 2 * ni + ki) % 3);
                float *A = malloc((M * K + 1) * sizeof *A), *B = malloc((K * N + 1) * sizeof *B);
                float *bias = malloc(N * sizeof *bias), *C = malloc(M * ldc * sizeof *C);
                float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(K, N) * sizeof(float) + 64);
                assert_true(A && B && bias && C && Bp);
                fill(A, M * K, (uint32_t)(M + 7 * K));
                fill(B, K * N, (uint32_t)(N + 3 * K));
                fill(bias, N, (uint32_t)N);
                onnxbn_sgemm_pack_b(tb, K, N, B, tb ? K : N, Bp);
                const bool with_bias = (mi + ni) % 2 == 0;
                for (int v = 0; v < 3; v++) {
                    for (size_t i = 0; i < M * ldc; i++)
                        C[i] = 1234.5f;
                    if (v == 0) {
                        onnxbn_sgemm_packed(M, N, K, A, K, Bp, with_bias ? bias : NULL, act, lo, hi,
                                            C, ldc, 0, N);
                    } else if (v == 1) { /* two column ranges, as two threads take them */
                        const size_t cut = N > 32 ? 32 : N;
                        onnxbn_sgemm_packed(M, N, K, A, K, Bp, with_bias ? bias : NULL, act, lo, hi,
                                            C, ldc, cut, N);
                        onnxbn_sgemm_packed(M, N, K, A, K, Bp, with_bias ? bias : NULL, act, lo, hi,
                                            C, ldc, 0, cut);
                    } else {
                        onnxbn_sgemm_packed_portable(M, N, K, A, K, Bp, with_bias ? bias : NULL,
                                                     act, lo, hi, C, ldc, 0, N);
                    }
                    check(M, N, K, A, B, tb, with_bias ? bias : NULL, act, lo, hi, C, ldc,
                          v == 0 ? "packed" : v == 1 ? "packed, two ranges" : "portable");
                }
                free(A);
                free(B);
                free(bias);
                free(C);
                onnxbn_free(Bp);
            }
}

/* Column ranges give the same bits as one call (threads must not change results). */
static void test_ranges_same_bits(void **state)
{
    (void)state;
    enum { M = 30, N = 100, K = 300 };
    float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B), bias[N];
    float one[M * N], split[M * N];
    float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(K, N) * sizeof(float));
    assert_true(A && B && Bp);
    fill(A, M * K, 1);
    fill(B, K * N, 2);
    fill(bias, N, 3);
    onnxbn_sgemm_pack_b(false, K, N, B, N, Bp);
    onnxbn_sgemm_packed(M, N, K, A, K, Bp, bias, 1, 0, 0, one, N, 0, N);
    for (size_t j = 0; j < N; j += 32)
        onnxbn_sgemm_packed(M, N, K, A, K, Bp, bias, 1, 0, 0, split, N, j, j + 32);
    assert_memory_equal(one, split, sizeof one);
    free(A);
    free(B);
    onnxbn_free(Bp);
}

/* A long K (transformers' MLPs: 3072; here 4608) is summed in blocks of 256 that each start
 * from zero, not as one chain continued through C: the RMS error, relative to the RMS result,
 * grows with sqrt(KC) + sqrt(K/KC) rather than sqrt(K). On these values: 20.5 u (packed) and
 * 20.3 u (portable) as one chain, 4.9 u and 5.2 u in blocks. */
static void test_blocked_sum(void **state)
{
    (void)state;
    enum { M = 12, N = 32, K = 4608 };
    const double u = 1.0 / 16777216.0;
    float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B);
    float *C = malloc(M * N * sizeof *C);
    float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(K, N) * sizeof(float));
    assert_true(A && B && C && Bp);
    fill(A, M * K, 11);
    fill(B, K * N, 12);
    onnxbn_sgemm_pack_b(false, K, N, B, N, Bp);
    for (int v = 0; v < 2; v++) {
        if (v == 0)
            onnxbn_sgemm_packed(M, N, K, A, K, Bp, NULL, 0, 0, 0, C, N, 0, N);
        else
            onnxbn_sgemm_packed_portable(M, N, K, A, K, Bp, NULL, 0, 0, 0, C, N, 0, N);
        double e2 = 0.0, r2 = 0.0;
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double s = 0.0;
                for (size_t k = 0; k < K; k++)
                    s += (double)A[i * K + k] * B[k * N + j];
                e2 += (C[i * N + j] - s) * (C[i * N + j] - s);
                r2 += s * s;
            }
        const double rel = sqrt(e2 / r2) / u;
        if (!(rel <= 10.0))
            fail_msg("%s, K %d: RMS error %.1f u of the RMS result, expected at most 10 u (K summed "
                     "in blocks)", v == 0 ? "packed" : "portable", K, rel);
    }
    free(A);
    free(B);
    free(C);
    onnxbn_free(Bp);
}

/* Relu as the Relu operator has it: NaN stays NaN, -0 becomes +0. */
static void test_relu_nan_and_signed_zero(void **state)
{
    (void)state;
    enum { K = 2, N = 3 };
    const float A[2 * K] = {NAN, 0.0f, 1.0f, 0.0f}, B[K * N] = {1, -1, 0, 0, 0, 0};
    const float bias[N] = {0, 0, -0.0f};
    float C[2 * N];
    float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(K, N) * sizeof(float));
    onnxbn_sgemm_pack_b(false, K, N, B, N, Bp);
    onnxbn_sgemm_packed(2, N, K, A, K, Bp, bias, 1, 0, 0, C, N, 0, N);
    assert_true(isnan(C[0]) && isnan(C[1])); /* NaN·1 and NaN·−1 */
    assert_true(C[3] == 1.0f && C[4] == 0.0f && !signbit(C[4])); /* −1 → 0 */
    assert_true(C[5] == 0.0f && !signbit(C[5]));                 /* 0·0 + −0 is +0 */
    onnxbn_free(Bp);
}

/* ---- through the operators: B (and C) initializers, as torch Linear exports them ---- */

enum { BM = 20, BK = 70, BN = 40 };

typedef struct lin {
    const char *op;  /* "Gemm" or "MatMul" */
    int tb;          /* Gemm transB */
    float alpha, beta;
    int c_rank;      /* -1 none, 0 scalar, 1 (N), 2 (1,N) or 3 (M,N) */
    bool relu;       /* followed by a Relu (fused into the node) */
    int64_t M;
    int threads;     /* 0: 1 */
} lin;

/* Runs the model and returns a copy of output 0 after checking it against the double reference. */
static float *run_linear(const lin *l)
{
    float x[BM * BK], w[BK * BN], c[BM * BN];
    fill(x, sizeof x / sizeof *x, 5);
    fill(w, sizeof w / sizeof *w, 6);
    fill(c, sizeof c / sizeof *c, 7);
    const int64_t M = l->M, xd[] = {M, BK}, wd_n[] = {BK, BN}, wd_t[] = {BN, BK}, yd[] = {M, BN};
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init_f32(m, "w", 2, l->tb ? wd_t : wd_n, w);
    const char *out = l->relu ? "g" : "y";
    if (!strcmp(l->op, "MatMul")) {
        mk_node_add(m, "MatMul", "mm", "x,w", out);
    } else {
        const int64_t cd[3][2] = {{BN, 0}, {1, BN}, {M, BN}};
        const int crank[] = {0, 1, 2, 2};
        if (l->c_rank >= 0)
            mk_init_f32(m, "c", crank[l->c_rank], l->c_rank == 0 ? NULL : cd[l->c_rank - 1], c);
        mk_node *n = mk_node_add(m, "Gemm", "fc", l->c_rank >= 0 ? "x,w,c" : "x,w", out);
        mk_attr_i(n, "transB", l->tb);
        mk_attr_f(n, "alpha", l->alpha);
        mk_attr_f(n, "beta", l->beta);
    }
    if (l->relu)
        mk_node_add(m, "Relu", "r", "g", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, yd);
    float want[BM * BN];
    for (int64_t i = 0; i < M; i++)
        for (int j = 0; j < BN; j++) {
            double s = 0;
            for (int k = 0; k < BK; k++)
                s += (double)x[i * BK + k] * (l->tb ? w[j * BK + k] : w[k * BN + j]);
            s *= l->alpha;
            if (l->c_rank >= 0) {
                const float cv = l->c_rank == 0 ? c[0] : l->c_rank < 3 ? c[j] : c[i * BN + j];
                s += (double)l->beta * cv;
            }
            want[i * BN + j] = l->relu && s <= 0 ? 0.0f : (float)s;
        }
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_options opt = {.size = sizeof opt, .threads = l->threads};
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err) ||
        onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("%s", err.msg);
    free(buf);
    mk_feed f = {"x", 0, 2, xd, x};
    if (mk_run(s, 1, &f, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 2, yd, want, 1e-5, 1e-5);
    float *y = malloc((size_t)(M * BN) * sizeof *y);
    assert_non_null(y);
    memcpy(y, onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), (size_t)(M * BN) * sizeof *y);
    onnxbn_session_free(s);
    mk_free(m);
    return y;
}

static void test_operators_with_weights(void **state)
{
    (void)state;
    const lin cases[] = {
        {"Gemm", 1, 1.0f, 1.0f, 1, true, BM, 1},   /* torch Linear + ReLU: packed, bias, Relu fused */
        {"Gemm", 0, 1.0f, 1.0f, 2, false, BM, 1},  /* C (1,N) */
        {"Gemm", 1, 1.0f, 0.5f, 0, true, BM, 1},   /* scalar C, beta folded into the bias */
        {"Gemm", 1, 1.0f, 1.0f, -1, false, BM, 1}, /* no C */
        {"Gemm", 1, 1.0f, 1.0f, 3, true, BM, 1},   /* C (M,N): BLAS path */
        {"Gemm", 1, 2.0f, 1.0f, 1, false, BM, 1},  /* alpha != 1: BLAS path */
        {"Gemm", 1, 1.0f, 1.0f, 1, true, 1, 1},    /* one row: GEMV */
        {"Gemm", 1, 1.0f, 1.0f, 1, false, 2, 1},
        {"MatMul", 0, 1.0f, 1.0f, -1, true, BM, 1},
        {"MatMul", 0, 1.0f, 1.0f, -1, false, 3, 1},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        free(run_linear(&cases[i]));
}

/* Two threads split the column panels (40 columns: two panels) and give the same bits. */
static void test_operators_threads(void **state)
{
    (void)state;
    for (int op = 0; op < 2; op++) {
        lin l = {op ? "MatMul" : "Gemm", 1, 1.0f, 1.0f, 1, true, BM, 1};
        if (op) { /* MatMul: B as stored, no C */
            l.tb = 0;
            l.c_rank = -1;
        }
        float *one = run_linear(&l);
        l.threads = 2;
        float *two = run_linear(&l);
        assert_memory_equal(one, two, BM * BN * sizeof *one);
        free(one);
        free(two);
    }
}

/* onnxbn_sgemm_packed_cols on two threads: panels that do not share out evenly (96 columns: 3
 * panels; 288: 9) with rows enough are split by rows, the rest by panels; either way the result
 * is the double reference's and the same bits as one thread. */
static void test_cols_split_rows(void **state)
{
    (void)state;
    const size_t Ms[] = {1, 191, 192, 300, 3136};
    const size_t Ns[] = {96, 288, 64, 40};
    enum { K = 70 };
    onnxbn_pool *pool = NULL;
    onnxbn_error err = {0};
    if (onnxbn_pool_new(2, &pool, &err))
        fail_msg("%s", err.msg);
    const onnxbn_act relu = {.kind = ONNXBN_ACT_RELU};
    for (size_t mi = 0; mi < COUNT(Ms); mi++)
        for (size_t ni = 0; ni < COUNT(Ns); ni++) {
            const size_t M = Ms[mi], N = Ns[ni], ldc = N + 5;
            float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B);
            float *bias = malloc(N * sizeof *bias), *one = malloc(M * ldc * sizeof *one);
            float *two = malloc(M * ldc * sizeof *two);
            float *Bp = onnxbn_alloc(onnxbn_sgemm_packed_floats(K, N) * sizeof(float));
            assert_true(A && B && bias && one && two && Bp);
            fill(A, M * K, (uint32_t)(M + 11));
            fill(B, K * N, (uint32_t)(N + 5));
            fill(bias, N, (uint32_t)(N + 1));
            onnxbn_sgemm_pack_b(false, K, N, B, N, Bp);
            for (size_t i = 0; i < M * ldc; i++)
                one[i] = two[i] = 1234.5f;
            onnxbn_sgemm_packed_cols(NULL, M, N, K, A, K, Bp, bias, one, ldc, relu);
            onnxbn_sgemm_packed_cols(pool, M, N, K, A, K, Bp, bias, two, ldc, relu);
            check(M, N, K, A, B, false, bias, 1, 0, 0, two, ldc, "two threads");
            assert_memory_equal(one, two, M * ldc * sizeof *one);
            free(A);
            free(B);
            free(bias);
            free(one);
            free(two);
            onnxbn_free(Bp);
        }
    onnxbn_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_edges),
        cmocka_unit_test(test_ranges_same_bits),
        cmocka_unit_test(test_blocked_sum),
        cmocka_unit_test(test_relu_nan_and_signed_zero),
        cmocka_unit_test(test_operators_with_weights),
        cmocka_unit_test(test_operators_threads),
        cmocka_unit_test(test_cols_split_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
