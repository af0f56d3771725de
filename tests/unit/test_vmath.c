/* SPDX-License-Identifier: Apache-2.0 */
/* test_vmath.c — the vectorised float Erf, Exp, Sigmoid, Tanh (kernels/vmath.h through the unary
 * kernel) and float Softmax rows against double libm, over a sweep of every float range, under
 * the ISA level in force (scripts/test.sh runs the unit tests again under ONNXBN_ISA=avx2 and
 * generic). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/norm.h"
#include "kernels/unary.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The spacing of floats at the float nearest to v (FLT_MAX's for values past it). */
static double ulp_at(double v)
{
    float f = fabsf((float)v);
    if (isinf(f))
        f = FLT_MAX;
    return (double)nextafterf(f, INFINITY) - (double)f;
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

typedef double (*ref_fn)(double);

static double sigmoid_d(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Every 97th float bit pattern, both signs (about 88 million / 97 values, every exponent), plus
 * the specials; checks y against ref within max_ulp, or within abs_tol where ulps are not the
 * measure (abs_from: |x| from which abs_tol applies, results below FLT_MIN: their size). */
static void sweep(onnxbn_unop op, ref_fn ref, double max_ulp, double abs_from, double abs_tol)
{
    enum { N = 4096 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    double worst = 0;
    float at = 0;
    for (uint64_t b = 0; b <= 0xffffffffu;) {
        size_t k = 0;
        for (; k < N && b <= 0xffffffffu; k++, b += 97)
            x[k] = from_bits((uint32_t)b);
        onnxbn_unary_f32(op, 0, 0, x, y, k);
        for (size_t i = 0; i < k; i++) {
            if (isnan(x[i])) {
                if (!isnan(y[i]))
                    fail_msg("op %d: NaN gave %g", (int)op, y[i]);
                continue;
            }
            const double r = ref((double)x[i]), e = fabs((double)y[i] - r);
            if (fabs(r) < FLT_MIN || fabs(x[i]) >= abs_from) {
                if (!(e <= (fabs(r) < FLT_MIN ? FLT_MIN : abs_tol)))
                    fail_msg("op %d: f(%.9g) = %.9g, want %.9g", (int)op, x[i], y[i], r);
                continue;
            }
            if ((float)r == INFINITY || (float)r == -INFINITY) {
                if (y[i] != (float)r)
                    fail_msg("op %d: f(%.9g) = %.9g, want %g", (int)op, x[i], y[i], (float)r);
                continue;
            }
            const double u = e / ulp_at(r);
            if (!(u <= worst)) {
                worst = u;
                at = x[i];
            }
        }
    }
    free(x);
    free(y);
    if (!(worst <= max_ulp))
        fail_msg("op %d: %.3f ulp at %.9g (bound %.1f)", (int)op, worst, at, max_ulp);
}

static void test_exp(void **state)
{
    (void)state;
    sweep(ONNXBN_UN_EXP, exp, 1.5, INFINITY, 0); /* exhaustive: 1.22 ulp */
    const float x[] = {0.0f, -0.0f, 1.0f, -1.0f, 88.72283935546875f, 88.7f, 89.0f, INFINITY,
                       -INFINITY, -87.0f, -104.0f};
    float y[COUNT(x)];
    onnxbn_unary_f32(ONNXBN_UN_EXP, 0, 0, x, y, COUNT(x));
    assert_true(y[0] == 1.0f && y[1] == 1.0f);
    assert_float_equal(y[2], 2.7182817f, 3e-7);
    assert_float_equal(y[3], 0.36787945f, 5e-8);
    assert_true(y[4] == INFINITY); /* e^88.7228394 is past FLT_MAX by more than half an ulp */
    assert_float_equal(y[5] / 3.3259769e38f, 1.0f, 2.4e-7);
    assert_true(y[6] == INFINITY && y[7] == INFINITY && y[8] == 0.0f && y[10] == 0.0f);
    assert_float_equal(y[9] / 1.6458115e-38f, 1.0f, 2.4e-7);
}

static void test_erf(void **state)
{
    (void)state;
    /* 3 ulp below 0.921875, where erf is x·P(x²); beyond it 7e-8 absolute (erf ≥ 0.8 there, ulp
     * 6e-8): the exhaustive run over all floats measured 2.8 ulp and 6.2e-8 */
    sweep(ONNXBN_UN_ERF, erf, 3.0, 0.921875, 7e-8);
    const float x[] = {0.0f, -0.0f, 0.5f, -0.5f, 1.0f, -2.0f, 3.9f, 4.0f, 1e30f, -INFINITY,
                       1e-30f, -1e-40f};
    float y[COUNT(x)];
    onnxbn_unary_f32(ONNXBN_UN_ERF, 0, 0, x, y, COUNT(x));
    assert_true(y[0] == 0.0f && y[1] == 0.0f && signbit(y[1]));
    assert_float_equal(y[2], 0.52049988f, 1.2e-7);
    assert_float_equal(y[3], -0.52049988f, 1.2e-7);
    assert_float_equal(y[4], 0.84270079f, 1.2e-7);
    assert_float_equal(y[5], -0.99532227f, 1.2e-7);
    assert_float_equal(y[6], 0.99999997f, 7e-8);
    assert_true(y[7] == 1.0f && y[8] == 1.0f && y[9] == -1.0f);
    assert_float_equal(y[10] / 1.1283792e-30f, 1.0f, 2.4e-7);
    assert_true(y[11] <= 0.0f && y[11] > -1.2e-40f);
}

static void test_tanh(void **state)
{
    (void)state;
    sweep(ONNXBN_UN_TANH, tanh, 2.0, INFINITY, 0); /* exhaustive: 1.6 ulp */
    const float x[] = {0.0f, -0.0f, 0.625f, -0.6249999f, 10.0f, INFINITY, -INFINITY};
    float y[COUNT(x)];
    onnxbn_unary_f32(ONNXBN_UN_TANH, 0, 0, x, y, COUNT(x));
    assert_true(y[0] == 0.0f && signbit(y[1]));
    assert_float_equal(y[2], 0.5545997f, 1.2e-7);
    assert_float_equal(y[3], -0.55459964f, 1.2e-7);
    assert_true(y[4] == 1.0f && y[5] == 1.0f && y[6] == -1.0f);
}

static void test_sigmoid(void **state)
{
    (void)state;
    sweep(ONNXBN_UN_SIGMOID, sigmoid_d, 3.0, INFINITY, 0);
    const float x[] = {0.0f, 100.0f, -100.0f, INFINITY, -INFINITY, 2.0f, -2.0f};
    float y[COUNT(x)];
    onnxbn_unary_f32(ONNXBN_UN_SIGMOID, 0, 0, x, y, COUNT(x));
    assert_true(y[0] == 0.5f && y[1] == 1.0f && y[3] == 1.0f && y[4] == 0.0f);
    assert_true(y[2] >= 0.0f && y[2] < 1e-38f);
    assert_float_equal(y[5], 0.88079708f, 1.2e-7);
    assert_float_equal(y[6], 0.11920292f, 2e-8);
}

/* Rows of lengths around the 16 lanes, against softmax in double of x − max rounded to float (as
 * the float kernel has always rounded it: the exponent's own rounding is not the kernel's error);
 * NaN and infinities as the element-by-element loop gives them. */
static void test_softmax_rows(void **state)
{
    (void)state;
    const int64_t lens[] = {1, 2, 15, 16, 17, 49, 64, 197, 1000};
    for (size_t t = 0; t < COUNT(lens); t++) {
        const int64_t n = lens[t], rows = 3;
        float *x = malloc((size_t)(rows * n) * sizeof *x);
        float *y = malloc((size_t)(rows * n) * sizeof *y);
        assert_non_null(x);
        assert_non_null(y);
        uint32_t s = 12345u + (uint32_t)n;
        for (int64_t i = 0; i < rows * n; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 40.0f; /* [-20, 20) */
        }
        x[n + n / 2] = 60.0f; /* the maximum in the middle of row 1 */
        onnxbn_softmax_f32(ONNXBN_SOFTMAX, x, y, rows, n, 1, NULL);
        for (int64_t r = 0; r < rows; r++) {
            double m = -INFINITY, sum = 0;
            for (int64_t j = 0; j < n; j++)
                m = fmax(m, x[r * n + j]);
            for (int64_t j = 0; j < n; j++)
                sum += exp((float)(x[r * n + j] - m));
            for (int64_t j = 0; j < n; j++) {
                const double want = exp((float)(x[r * n + j] - m)) / sum;
                if (!(fabs(y[r * n + j] - want) <= 4 * ulp_at(want) + 1e-38))
                    fail_msg("n %lld row %lld [%lld]: %.9g, want %.9g", (long long)n, (long long)r,
                             (long long)j, y[r * n + j], want);
            }
        }
        free(x);
        free(y);
    }
    const float sp[] = {1.0f, NAN, 2.0f, -INFINITY, -INFINITY, 0.0f, INFINITY, 1.0f, 2.0f};
    float y[9];
    onnxbn_softmax_f32(ONNXBN_SOFTMAX, sp, y, 3, 3, 1, NULL);
    for (int j = 0; j < 3; j++)
        assert_true(isnan(y[j])); /* a NaN makes its row NaN */
    assert_true(y[3] == 0.0f && y[4] == 0.0f && y[5] == 1.0f);
    assert_true(isnan(y[6]) && isnan(y[7]) && isnan(y[8])); /* inf − inf, in the sum too */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),     cmocka_unit_test(test_erf),
        cmocka_unit_test(test_tanh),    cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_softmax_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
