/* SPDX-License-Identifier: Apache-2.0 */
/* test_layernorm_fusion.c — a layer norm over the last axis as torch exports it below opset 17
 * (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) run as the Sub alone, and not. */
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
#include "mkmodel.h"
#include "profiled.h"

/* x is B×T×C: 5120 elements, over the size at which the Sub splits its rows over the pool */
enum { B = 2, T = 64, C = 40 };
#define NX (B * T * C)

static const float EPS = 1e-6f;

static void fill(float *v, size_t n, uint32_t seed, float offset)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f + offset;
    }
}

typedef struct shape {
    bool keep_d;      /* d = x − mean is a graph output too */
    bool gamma_input; /* the scale is a graph input, not a constant */
    bool axis1;       /* both means over axis 1, not the last */
    bool cube;        /* Pow(d, 3): not a variance */
    bool swap;        /* Mul(gamma, ·) and Add(beta, ·): the constants first */
} shape;

static mk_model *ln_model(const shape *sh, const float *gamma, const float *beta)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {B, T, C}, cd[] = {C}, one[] = {1};
    const int64_t last[] = {-1}, mid[] = {1};
    const float two = sh->cube ? 3.0f : 2.0f;
    mk_input(m, "x", ONNXBN_FLOAT, 3, xd);
    if (sh->gamma_input)
        mk_input(m, "gamma", ONNXBN_FLOAT, 1, cd);
    else
        mk_init_f32(m, "gamma", 1, cd, gamma);
    mk_init_f32(m, "beta", 1, cd, beta);
    mk_init_f32(m, "two", 1, one, &two);
    mk_init_f32(m, "eps", 1, one, &EPS);
    mk_attr_ints(mk_node_add(m, "ReduceMean", "rm0", "x", "m"), "axes", 1,
                 sh->axis1 ? mid : last);
    mk_node_add(m, "Sub", "sub", "x,m", "d");
    mk_node_add(m, "Pow", "pow", "d,two", "p");
    mk_attr_ints(mk_node_add(m, "ReduceMean", "rm1", "p", "v"), "axes", 1,
                 sh->axis1 ? mid : last);
    mk_node_add(m, "Add", "add0", "v,eps", "ve");
    mk_node_add(m, "Sqrt", "sqrt", "ve", "sd");
    mk_node_add(m, "Div", "div", "d,sd", "n");
    mk_node_add(m, "Mul", "mul", sh->swap ? "gamma,n" : "n,gamma", "g");
    mk_node_add(m, "Add", "add1", sh->swap ? "beta,g" : "g,beta", "out");
    mk_output(m, "out", ONNXBN_FLOAT, 3, xd);
    if (sh->keep_d)
        mk_output(m, "d", ONNXBN_FLOAT, 3, xd);
    return m;
}

/* float64 reference of the graph over the last axis (Pow 2). */
static void reference(const float *x, const float *gamma, const float *beta, float *ref)
{
    for (int r = 0; r < B * T; r++) {
        const float *xr = x + r * C;
        double mean = 0.0, var = 0.0;
        for (int j = 0; j < C; j++)
            mean += xr[j];
        mean /= C;
        for (int j = 0; j < C; j++)
            var += (xr[j] - mean) * (xr[j] - mean);
        var /= C;
        for (int j = 0; j < C; j++)
            ref[r * C + j] =
                (float)((xr[j] - mean) / sqrt(var + (double)EPS) * gamma[j] + beta[j]);
    }
}

static const char *const folded[] = {"rm0", "pow", "rm1", "add0", "sqrt", "div", "mul", "add1"};

/* Fused: only the Sub runs, and the output is within a few float roundings of float64 (the
 * inputs are offset by 3, so the mean does not vanish and the Sub's cancellation is exercised);
 * a second run gives the same bits. */
static void ln_fused(void **state)
{
    (void)state;
    static float x[NX], ref[NX], first[NX];
    float gamma[C], beta[C];
    fill(x, NX, 1, 3.0f);
    fill(gamma, C, 2, 0.0f);
    fill(beta, C, 3, 0.0f);
    reference(x, gamma, beta, ref);
    const int64_t xd[] = {B, T, C};
    for (int swap = 0; swap < 2; swap++)
        for (int threads = 1; threads <= 2; threads++) {
            const shape sh = {.swap = swap};
            mk_model *m = ln_model(&sh, gamma, beta);
            onnxbn_session *s = prof_open(m, threads);
            mk_feed f = {"x", 0, 3, xd, x};
            mk_run_ok(s, 1, &f);
            assert_int_equal(prof_runs(s, "sub"), 1);
            for (size_t i = 0; i < sizeof folded / sizeof folded[0]; i++)
                assert_int_equal(prof_runs(s, folded[i]), 0);
            mk_expect_f32(s, 0, 3, xd, ref, 2e-6, 1e-5);
            memcpy(first, onnxbn_tensor_data((onnxbn_tensor *)onnxbn_session_output(s, 0)),
                   sizeof first);
            mk_run_ok(s, 1, &f);
            mk_expect_bytes(s, 0, ONNXBN_FLOAT, 3, xd, first);
            onnxbn_session_free(s);
            mk_free(m);
        }
}

/* Each shape that must not fold runs every node; where it is still a layer norm over the last
 * axis, the output still matches the reference. */
static void ln_not_fused(void **state)
{
    (void)state;
    static float x[NX], ref[NX];
    float gamma[C], beta[C];
    fill(x, NX, 4, 3.0f);
    fill(gamma, C, 5, 0.0f);
    fill(beta, C, 6, 0.0f);
    reference(x, gamma, beta, ref);
    const int64_t xd[] = {B, T, C}, cd[] = {C};
    const shape shapes[] = {{.keep_d = true}, {.gamma_input = true}, {.axis1 = true}, {.cube = true}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *sh = &shapes[k];
        mk_model *m = ln_model(sh, gamma, beta);
        onnxbn_session *s = prof_open(m, 1);
        mk_feed f[2] = {{"x", 0, 3, xd, x}, {"gamma", 0, 1, cd, gamma}};
        mk_run_ok(s, sh->gamma_input ? 2 : 1, f);
        assert_int_equal(prof_runs(s, "sub"), 1);
        for (size_t i = 0; i < sizeof folded / sizeof folded[0]; i++)
            assert_int_equal(prof_runs(s, folded[i]), 1);
        if (!sh->axis1 && !sh->cube)
            mk_expect_f32(s, 0, 3, xd, ref, 2e-6, 1e-5);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ln_fused),
        cmocka_unit_test(ln_not_fused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
