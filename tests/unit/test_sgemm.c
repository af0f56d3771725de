/* SPDX-License-Identifier: Apache-2.0 */
/* test_sgemm.c — the matrix-multiply kernels (OpenBLAS dispatch and the portable kernel, float and
 * double) against a naive double-precision reference, over shapes that cross every block edge. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/gemm.h"

typedef void (*sgemm_fn)(bool, bool, size_t, size_t, size_t, float, const float *, size_t,
                         const float *, size_t, float, float *, size_t);
typedef void (*dgemm_fn)(bool, bool, size_t, size_t, size_t, double, const double *, size_t,
                         const double *, size_t, double, double *, size_t);

/* A small deterministic generator (xorshift), values in [-1, 1). */
static double rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / (double)(UINT64_C(1) << 52) - 1.0;
}

/* Stored matrices carry `pad` extra columns per row, filled with NaN: a kernel that reads past a
 * row (a wrong lda) turns its result into NaN, and one that writes past a row of C is caught by
 * the sentinel check. */
enum { PAD = 3 };
#define SENTINEL (-12345.0)

typedef struct mats {
    size_t M, N, K, lda, ldb, ldc, ra, rb; /* ra/rb: stored rows of A and B */
    double *A, *B, *C;                      /* the values, as doubles */
} mats;

static void make(mats *m, bool ta, bool tb, size_t M, size_t N, size_t K, uint64_t *seed)
{
    m->M = M, m->N = N, m->K = K;
    m->ra = ta ? K : M;
    m->lda = (ta ? M : K) + PAD;
    m->rb = tb ? N : K;
    m->ldb = (tb ? K : N) + PAD;
    m->ldc = N + PAD;
    m->A = malloc((m->ra * m->lda + 1) * sizeof(double));
    m->B = malloc((m->rb * m->ldb + 1) * sizeof(double));
    m->C = malloc((M * m->ldc + 1) * sizeof(double));
    assert_true(m->A && m->B && m->C);
    for (size_t i = 0; i < m->ra * m->lda; i++)
        m->A[i] = i % m->lda < m->lda - PAD ? rnd(seed) : NAN;
    for (size_t i = 0; i < m->rb * m->ldb; i++)
        m->B[i] = i % m->ldb < m->ldb - PAD ? rnd(seed) : NAN;
    for (size_t i = 0; i < M * m->ldc; i++)
        m->C[i] = i % m->ldc < N ? rnd(seed) : SENTINEL;
}

static void unmake(mats *m)
{
    free(m->A);
    free(m->B);
    free(m->C);
}

static double opa(const mats *m, bool ta, size_t i, size_t k)
{
    return ta ? m->A[k * m->lda + i] : m->A[i * m->lda + k];
}

static double opb(const mats *m, bool tb, size_t k, size_t j)
{
    return tb ? m->B[j * m->ldb + k] : m->B[k * m->ldb + j];
}

/* Checks got (row stride ldc) against the exact product of the stored values. The bound is the
 * classic one for any order of summation, γ = (K+2)·u/(1-(K+2)·u) times the sum of the absolute
 * terms, so it holds for blocked or BLAS sums, and a wrong element is far outside it. beta = 0
 * must not read C, which holds NaN then. */
static void check(const mats *m, bool ta, bool tb, double alpha, double beta, const double *got,
                  double unit, const char *what)
{
    double n = (double)(m->K + 2) * unit, gamma = n / (1.0 - n);
    for (size_t i = 0; i < m->M; i++) {
        for (size_t j = 0; j < m->N; j++) {
            double s = 0.0, mag = 0.0;
            for (size_t k = 0; k < m->K; k++) {
                double p = opa(m, ta, i, k) * opb(m, tb, k, j);
                s += p;
                mag += fabs(p);
            }
            double c = m->C[i * m->ldc + j];
            double want = alpha * s + (beta == 0.0 ? 0.0 : beta * c);
            double tol = gamma * (fabs(alpha) * mag + fabs(beta * c)) + 1e-300;
            double g = got[i * m->ldc + j];
            if (!(fabs(g - want) <= tol))
                fail_msg("%s ta=%d tb=%d M=%zu N=%zu K=%zu alpha=%g beta=%g: C[%zu,%zu] = %.9g, "
                         "expected %.9g (tol %.3g)",
                         what, ta, tb, m->M, m->N, m->K, alpha, beta, i, j, g, want, tol);
        }
        for (size_t j = m->N; j < m->ldc; j++)
            if (got[i * m->ldc + j] != SENTINEL)
                fail_msg("%s M=%zu N=%zu K=%zu: wrote C[%zu,%zu] past the row end", what, m->M,
                         m->N, m->K, i, j);
    }
}

static void run_f32(sgemm_fn f, const char *what, bool ta, bool tb, size_t M, size_t N, size_t K,
                    float alpha, float beta, uint64_t *seed)
{
    mats m;
    make(&m, ta, tb, M, N, K, seed);
    size_t na = m.ra * m.lda, nb = m.rb * m.ldb, nc = M * m.ldc;
    float *A = malloc((na + 1) * sizeof *A), *B = malloc((nb + 1) * sizeof *B),
          *C = malloc((nc + 1) * sizeof *C);
    double *got = malloc((nc + 1) * sizeof *got);
    assert_true(A && B && C && got);
    /* the reference works on exactly the float values the kernel sees */
    for (size_t i = 0; i < na; i++)
        m.A[i] = A[i] = (float)m.A[i];
    for (size_t i = 0; i < nb; i++)
        m.B[i] = B[i] = (float)m.B[i];
    for (size_t i = 0; i < nc; i++) {
        bool in_row = i % m.ldc < N;
        m.C[i] = (float)m.C[i];
        C[i] = in_row && beta == 0.0f ? NAN : (float)m.C[i];
    }
    f(ta, tb, M, N, K, alpha, A, m.lda, B, m.ldb, beta, C, m.ldc);
    for (size_t i = 0; i < nc; i++)
        got[i] = C[i];
    check(&m, ta, tb, alpha, beta, got, ldexp(1.0, -24), what);
    free(A);
    free(B);
    free(C);
    free(got);
    unmake(&m);
}

static void run_f64(dgemm_fn f, const char *what, bool ta, bool tb, size_t M, size_t N, size_t K,
                    double alpha, double beta, uint64_t *seed)
{
    mats m;
    make(&m, ta, tb, M, N, K, seed);
    size_t nc = M * m.ldc;
    double *C = malloc((nc + 1) * sizeof *C);
    assert_non_null(C);
    for (size_t i = 0; i < nc; i++)
        C[i] = i % m.ldc < N && beta == 0.0 ? NAN : m.C[i];
    f(ta, tb, M, N, K, alpha, m.A, m.lda, m.B, m.ldb, beta, C, m.ldc);
    check(&m, ta, tb, alpha, beta, C, ldexp(1.0, -53), what);
    free(C);
    unmake(&m);
}

/* Sizes on both sides of the portable kernel's edges: the few-rows path (M ≤ 4), the 3-row
 * register tile, the 32-column strip, the 128-deep K block and the 128-row A block. */
static const size_t Ms[] = {1, 2, 4, 5, 7, 129, 131};
static const size_t Ns[] = {1, 3, 31, 33, 65};
static const size_t Ks[] = {1, 2, 17, 127, 129, 300};
static const float alphas[] = {1.0f, -0.75f};
static const float betas[] = {0.0f, 1.0f, 0.5f};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void sweep_f32(sgemm_fn f, const char *what)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int t = 0; t < 4; t++)
        for (size_t a = 0; a < COUNT(Ms); a++)
            for (size_t b = 0; b < COUNT(Ns); b++)
                for (size_t k = 0; k < COUNT(Ks); k++) {
                    /* every (alpha, beta) pair, cycled over the shapes to keep the run short */
                    size_t pick = a + b + k;
                    run_f32(f, what, t & 1, t & 2, Ms[a], Ns[b], Ks[k],
                            alphas[pick % COUNT(alphas)], betas[(pick / 2) % COUNT(betas)], &seed);
                }
}

static void test_sgemm_dispatch(void **state)
{
    (void)state;
    print_message("onnxbn_sgemm runs on %s\n", onnxbn_gemm_backend());
    sweep_f32(onnxbn_sgemm, "sgemm");
}

static void test_sgemm_portable(void **state)
{
    (void)state;
    sweep_f32(onnxbn_sgemm_portable, "sgemm_portable");
}

/* Every (alpha, beta) on a few shapes in each path, so no combination relies on the cycling. */
static void test_sgemm_all_scalars(void **state)
{
    (void)state;
    uint64_t seed = 42;
    const size_t shapes[][3] = {{2, 5, 7}, {9, 40, 130}, {1, 1, 1}};
    for (size_t s = 0; s < COUNT(shapes); s++)
        for (int t = 0; t < 4; t++)
            for (size_t a = 0; a < COUNT(alphas); a++)
                for (size_t b = 0; b < COUNT(betas); b++) {
                    run_f32(onnxbn_sgemm, "sgemm", t & 1, t & 2, shapes[s][0], shapes[s][1],
                            shapes[s][2], alphas[a], betas[b], &seed);
                    run_f32(onnxbn_sgemm_portable, "sgemm_portable", t & 1, t & 2, shapes[s][0],
                            shapes[s][1], shapes[s][2], alphas[a], betas[b], &seed);
                }
}

/* K longer than the few-rows path's gather buffer (4096) and than several K blocks. */
static void test_long_k(void **state)
{
    (void)state;
    uint64_t seed = 99;
    for (int t = 0; t < 4; t++) {
        run_f32(onnxbn_sgemm_portable, "sgemm_portable", t & 1, t & 2, 2, 3, 5000, 1.0f, 0.5f, &seed);
        run_f32(onnxbn_sgemm_portable, "sgemm_portable", t & 1, t & 2, 6, 35, 9000, -0.75f, 0.0f, &seed);
        run_f32(onnxbn_sgemm, "sgemm", t & 1, t & 2, 2, 3, 5000, 1.0f, 1.0f, &seed);
    }
}

static void test_dgemm(void **state)
{
    (void)state;
    uint64_t seed = 7;
    const size_t shapes[][3] = {{1, 1, 1}, {3, 4, 5}, {17, 33, 129}, {130, 7, 3}};
    for (size_t s = 0; s < COUNT(shapes); s++)
        for (int t = 0; t < 4; t++)
            for (size_t b = 0; b < COUNT(betas); b++) {
                run_f64(onnxbn_dgemm, "dgemm", t & 1, t & 2, shapes[s][0], shapes[s][1],
                        shapes[s][2], -0.75, betas[b], &seed);
                run_f64(onnxbn_dgemm_portable, "dgemm_portable", t & 1, t & 2, shapes[s][0],
                        shapes[s][1], shapes[s][2], 1.0, betas[b], &seed);
            }
}

/* Hand-computed: [[1,2,3],[4,5,6]]·[[1,2],[3,4],[5,6]] = [[22,28],[49,64]]; with alpha 0.5 and
 * beta 2 over C = [[10,20],[30,40]]: [[31,54],[84.5,112]]. Transposed storage gives the same. */
static void test_hand_values(void **state)
{
    (void)state;
    const float A[] = {1, 2, 3, 4, 5, 6}, At[] = {1, 4, 2, 5, 3, 6};
    const float B[] = {1, 2, 3, 4, 5, 6}, Bt[] = {1, 3, 5, 2, 4, 6};
    const float want[] = {31, 54, 84.5f, 112};
    sgemm_fn fns[] = {onnxbn_sgemm, onnxbn_sgemm_portable};
    for (int f = 0; f < 2; f++)
        for (int t = 0; t < 4; t++) {
            bool ta = t & 1, tb = t & 2;
            float C[] = {10, 20, 30, 40};
            fns[f](ta, tb, 2, 2, 3, 0.5f, ta ? At : A, ta ? 2 : 3, tb ? Bt : B, tb ? 3 : 2, 2.0f,
                   C, 2);
            for (int i = 0; i < 4; i++)
                if (C[i] != want[i])
                    fail_msg("fn %d ta=%d tb=%d: C[%d] = %g, expected %g", f, ta, tb, i, C[i], want[i]);
        }
    const double Ad[] = {1, 2, 3, 4, 5, 6}, Bd[] = {1, 2, 3, 4, 5, 6};
    double Cd[] = {10, 20, 30, 40};
    onnxbn_dgemm(false, false, 2, 2, 3, 0.5, Ad, 3, Bd, 2, 2.0, Cd, 2);
    for (int i = 0; i < 4; i++)
        assert_true(Cd[i] == want[i]);
}

/* Degenerate sizes: M or N = 0 touch nothing; K = 0 or alpha = 0 give beta·C without reading A
 * or B (passed as NULL here); beta = 0 then clears C even over NaN. */
static void test_degenerate(void **state)
{
    (void)state;
    sgemm_fn fns[] = {onnxbn_sgemm, onnxbn_sgemm_portable};
    for (int f = 0; f < 2; f++) {
        float C[] = {1, 2, 3, 4};
        fns[f](false, false, 0, 2, 3, 1.0f, NULL, 3, NULL, 2, 0.0f, C, 2);
        fns[f](false, false, 2, 0, 3, 1.0f, NULL, 3, NULL, 2, 0.0f, C, 2);
        assert_true(C[0] == 1 && C[3] == 4);
        fns[f](false, false, 2, 2, 0, 1.0f, NULL, 1, NULL, 2, 3.0f, C, 2);
        assert_true(C[0] == 3 && C[1] == 6 && C[2] == 9 && C[3] == 12);
        fns[f](true, true, 2, 2, 5, 0.0f, NULL, 2, NULL, 5, 0.5f, C, 2);
        assert_true(C[0] == 1.5f && C[3] == 6);
        float Cn[] = {NAN, NAN, NAN, NAN};
        fns[f](false, false, 2, 2, 0, 1.0f, NULL, 1, NULL, 2, 0.0f, Cn, 2);
        for (int i = 0; i < 4; i++)
            assert_true(Cn[i] == 0.0f && !signbit(Cn[i]));
    }
    double D[] = {NAN, 1};
    onnxbn_dgemm(false, false, 1, 2, 0, 1.0, NULL, 1, NULL, 2, 0.0, D, 2);
    assert_true(D[0] == 0.0 && D[1] == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_sgemm_dispatch),
        cmocka_unit_test(test_sgemm_portable),
        cmocka_unit_test(test_sgemm_all_scalars),
        cmocka_unit_test(test_long_k),
        cmocka_unit_test(test_dgemm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
