/* SPDX-License-Identifier: Apache-2.0 */
/* test_random.c — the random operators (RandomNormal, RandomUniform, their Like forms, Bernoulli,
 * Multinomial): shapes and types, seeds, and the moments of 100 000 draws within 5 sigma. */
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
#include "opschema.h"

#define N_DRAWS 100000

static onnxbn_session *open_ok(const mk_model *mm)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(mm, &s, &err))
        fail_msg("session: %s", err.msg);
    return s;
}

static const onnxbn_tensor *run_ok(onnxbn_session *s, size_t n, const mk_feed *f)
{
    onnxbn_error err = {0};
    if (mk_run(s, n, f, &err))
        fail_msg("run: %s", err.msg);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_non_null(y);
    return y;
}

static void expect_shape(const onnxbn_tensor *y, onnxbn_dtype dt, int rank, const int64_t *dims)
{
    assert_int_equal(onnxbn_tensor_dtype(y), dt);
    assert_int_equal(onnxbn_tensor_rank(y), rank);
    for (int k = 0; k < rank; k++)
        assert_int_equal(onnxbn_tensor_dims(y)[k], dims[k]);
}

/* Element i of a float16, float or double output. */
static double at(const onnxbn_tensor *y, int64_t i)
{
    const void *p = onnxbn_tensor_cdata(y);
    switch (onnxbn_tensor_dtype(y)) {
    case ONNXBN_FLOAT: return ((const float *)p)[i];
    case ONNXBN_DOUBLE: return ((const double *)p)[i];
    case ONNXBN_FLOAT16: return onnxbn_half_to_float(((const uint16_t *)p)[i]);
    case ONNXBN_INT32: return ((const int32_t *)p)[i];
    case ONNXBN_INT64: return (double)((const int64_t *)p)[i];
    case ONNXBN_BOOL: case ONNXBN_UINT8: return ((const uint8_t *)p)[i];
    default: fail_msg("unexpected type %d", onnxbn_tensor_dtype(y));
    }
    return 0;
}

static void moments(const onnxbn_tensor *y, double *mean, double *var)
{
    const int64_t n = onnxbn_tensor_numel(y);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++)
        s += at(y, i);
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        s2 += (at(y, i) - *mean) * (at(y, i) - *mean);
    *var = s2 / (double)(n - 1);
}

/* A one-node model: op with output Y and, for the Like forms and Bernoulli/Multinomial, input X. */
static mk_model *one_node(const char *op, onnxbn_dtype xt, int xr, const int64_t *xd, mk_node **nd)
{
    mk_model *mm = mk_new(15);
    const bool has_x = xr >= 0;
    if (has_x)
        mk_input(mm, "X", xt, xr, xd);
    mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
    *nd = mk_node_add(mm, op, "rnd", has_x ? "X" : "", "Y");
    return mm;
}

/* ---- the table ---- */

static void test_flags(void **state)
{
    (void)state;
    const onnxbn_op_id ids[] = {ONNXBN_OP_RandomNormal, ONNXBN_OP_RandomUniform,
                                ONNXBN_OP_RandomNormalLike, ONNXBN_OP_RandomUniformLike,
                                ONNXBN_OP_Bernoulli, ONNXBN_OP_Multinomial};
    /* A random op folded at plan time would draw once and repeat that draw forever. */
    for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
        assert_true(onnxbn_op_has(ids[k], ONNXBN_OP_RANDOM | ONNXBN_OP_NO_CONST_FOLD));
    assert_false(onnxbn_op_has(ONNXBN_OP_Dropout, ONNXBN_OP_RANDOM));
    assert_false(onnxbn_op_has(ONNXBN_OP_Add, ONNXBN_OP_RANDOM));
    assert_int_equal(ONNXBN_OP_RANDOM, 1024);

    /* The public view of the flag, which `onnxbn test` reads. */
    mk_model *mm = mk_new(15);
    const int64_t d[] = {4};
    mk_input(mm, "P", ONNXBN_FLOAT, 1, d);
    mk_output(mm, "Y", ONNXBN_FLOAT, 1, d);
    mk_node_add(mm, "Bernoulli", "b", "P", "B");
    mk_node_add(mm, "Add", "a", "B,P", "Y");
    size_t len;
    uint8_t *bytes = mk_pack(mm, &len);
    onnxbn_model *m = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(bytes, len, NULL, NULL, &m, &err))
        fail_msg("load: %s", err.msg);
    assert_true(onnxbn_model_node_random(m, 0));
    assert_false(onnxbn_model_node_random(m, 1));
    assert_false(onnxbn_model_node_random(m, 2));
    assert_false(onnxbn_model_node_random(NULL, 0));
    onnxbn_model_free(m);
    free(bytes);
    mk_free(mm);
}

/* ---- RandomNormal / RandomUniform ---- */

static void test_normal_moments(void **state)
{
    (void)state;
    const int64_t shape[] = {4, 25000};
    const onnxbn_dtype types[] = {ONNXBN_FLOAT, ONNXBN_DOUBLE, ONNXBN_FLOAT16};
    for (size_t t = 0; t < 3; t++) {
        mk_node *nd;
        mk_model *mm = one_node("RandomNormal", 0, -1, NULL, &nd);
        mk_attr_ints(nd, "shape", 2, shape);
        mk_attr_f(nd, "mean", 2.0f);
        mk_attr_f(nd, "scale", 3.0f);
        if (types[t] != ONNXBN_FLOAT)
            mk_attr_i(nd, "dtype", types[t]);
        onnxbn_session *s = open_ok(mm);
        const onnxbn_tensor *y = run_ok(s, 0, NULL);
        expect_shape(y, types[t], 2, shape);
        double mean, var;
        moments(y, &mean, &var);
        /* sd of the mean sigma/sqrt(n); of the sample variance sigma^2 sqrt(2/(n-1)). float16
         * rounds each draw by up to 2^-11 relative, far inside the bounds. */
        assert_true(fabs(mean - 2.0) < 5 * 3.0 / sqrt(N_DRAWS));
        assert_true(fabs(var - 9.0) < 5 * 9.0 * sqrt(2.0 / (N_DRAWS - 1)));
        /* Gaussian tails: about 0.27 % beyond 3 sigma, none at all would mean a wrong shape. */
        int64_t beyond = 0;
        for (int64_t i = 0; i < N_DRAWS; i++)
            beyond += fabs(at(y, i) - 2.0) > 9.0;
        const double p3 = 0.0026998;
        assert_true(fabs((double)beyond - p3 * N_DRAWS) < 5 * sqrt(N_DRAWS * p3 * (1 - p3)));
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

static void test_uniform_moments(void **state)
{
    (void)state;
    const int64_t shape[] = {N_DRAWS};
    const onnxbn_dtype types[] = {ONNXBN_FLOAT, ONNXBN_DOUBLE, ONNXBN_FLOAT16};
    for (size_t t = 0; t < 3; t++) {
        mk_node *nd;
        mk_model *mm = one_node("RandomUniform", 0, -1, NULL, &nd);
        mk_attr_ints(nd, "shape", 1, shape);
        mk_attr_f(nd, "low", -1.0f);
        mk_attr_f(nd, "high", 3.0f);
        mk_attr_i(nd, "dtype", types[t]);
        onnxbn_session *s = open_ok(mm);
        const onnxbn_tensor *y = run_ok(s, 0, NULL);
        expect_shape(y, types[t], 1, shape);
        int64_t low_half = 0;
        for (int64_t i = 0; i < N_DRAWS; i++) {
            const double v = at(y, i);
            assert_true(v >= -1.0 && v < 3.0); /* [low, high): never high, even in float16 */
            low_half += v < 1.0;
        }
        double mean, var;
        moments(y, &mean, &var);
        /* U(a, b): mean (a+b)/2, variance (b-a)^2/12, fourth central moment (b-a)^4/80. */
        const double v0 = 16.0 / 12.0, m4 = 256.0 / 80.0;
        assert_true(fabs(mean - 1.0) < 5 * sqrt(v0 / N_DRAWS));
        assert_true(fabs(var - v0) < 5 * sqrt((m4 - v0 * v0) / N_DRAWS));
        assert_true(fabs((double)low_half - N_DRAWS / 2.0) < 5 * sqrt(N_DRAWS * 0.25));
        onnxbn_session_free(s);
        mk_free(mm);
    }

    /* The defaults: U[0, 1), float. */
    mk_node *nd;
    mk_model *mm = one_node("RandomUniform", 0, -1, NULL, &nd);
    const int64_t sh[] = {2, 3, 1000};
    mk_attr_ints(nd, "shape", 3, sh);
    onnxbn_session *s = open_ok(mm);
    const onnxbn_tensor *y = run_ok(s, 0, NULL);
    expect_shape(y, ONNXBN_FLOAT, 3, sh);
    double mean, var;
    moments(y, &mean, &var);
    assert_true(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / 6000));
    for (int64_t i = 0; i < 6000; i++)
        assert_true(at(y, i) >= 0.0 && at(y, i) < 1.0);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* Same seed, same values; another seed, others; two runs of one session go on drawing. */
static void test_seed(void **state)
{
    (void)state;
    const int64_t shape[] = {64};
    const char *ops[] = {"RandomNormal", "RandomUniform"};
    for (size_t o = 0; o < 2; o++) {
        float got[4][64];
        const float seeds[] = {7.0f, 7.0f, 8.0f};
        for (int k = 0; k < 3; k++) {
            mk_node *nd;
            mk_model *mm = one_node(ops[o], 0, -1, NULL, &nd);
            mk_attr_ints(nd, "shape", 1, shape);
            mk_attr_f(nd, "seed", seeds[k]);
            onnxbn_session *s = open_ok(mm);
            memcpy(got[k], onnxbn_tensor_cdata(run_ok(s, 0, NULL)), sizeof got[k]);
            if (k == 0)
                memcpy(got[3], onnxbn_tensor_cdata(run_ok(s, 0, NULL)), sizeof got[3]);
            onnxbn_session_free(s);
            mk_free(mm);
        }
        assert_memory_equal(got[0], got[1], sizeof got[0]);
        assert_memory_not_equal(got[0], got[2], sizeof got[0]);
        assert_memory_not_equal(got[0], got[3], sizeof got[0]); /* not folded into a constant */
    }

    /* Unseeded: reproducible per node (the output's name picks the stream), and two nodes of one
     * model draw different values. */
    mk_model *mm = mk_new(15);
    mk_output(mm, "A", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(mm, "B", ONNXBN_UNDEFINED, -1, NULL);
    mk_attr_ints(mk_node_add(mm, "RandomNormal", "a", "", "A"), "shape", 1, shape);
    mk_attr_ints(mk_node_add(mm, "RandomNormal", "b", "", "B"), "shape", 1, shape);
    float first[2][64];
    for (int k = 0; k < 2; k++) {
        onnxbn_session *s = open_ok(mm);
        run_ok(s, 0, NULL);
        memcpy(first[k], onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), sizeof first[k]);
        if (k == 0)
            assert_memory_not_equal(onnxbn_tensor_cdata(onnxbn_session_output(s, 0)),
                                    onnxbn_tensor_cdata(onnxbn_session_output(s, 1)), sizeof first[k]);
        onnxbn_session_free(s);
    }
    assert_memory_equal(first[0], first[1], sizeof first[0]);
    mk_free(mm);
}

static void test_like(void **state)
{
    (void)state;
    const int64_t d[] = {3, 1, 5};
    int32_t xi[15] = {0};
    double xd[15] = {0};
    uint16_t xh[15] = {0};
    /* The input's type is the default output type when it is a float type ... */
    const struct { const char *op; onnxbn_dtype xt; const void *x; int64_t dtype; onnxbn_dtype want; } cases[] = {
        {"RandomNormalLike", ONNXBN_DOUBLE, xd, -1, ONNXBN_DOUBLE},
        {"RandomUniformLike", ONNXBN_FLOAT16, xh, -1, ONNXBN_FLOAT16},
        {"RandomNormalLike", ONNXBN_INT32, xi, ONNXBN_FLOAT, ONNXBN_FLOAT},
        {"RandomUniformLike", ONNXBN_DOUBLE, xd, ONNXBN_FLOAT16, ONNXBN_FLOAT16},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mk_node *nd;
        mk_model *mm = one_node(cases[k].op, cases[k].xt, 3, d, &nd);
        if (cases[k].dtype >= 0)
            mk_attr_i(nd, "dtype", cases[k].dtype);
        mk_attr_f(nd, "seed", 1.0f);
        onnxbn_session *s = open_ok(mm);
        mk_feed f = {"X", cases[k].xt, 3, d, cases[k].x};
        const onnxbn_tensor *y = run_ok(s, 1, &f);
        expect_shape(y, cases[k].want, 3, d);
        double distinct = 0;
        for (int i = 1; i < 15; i++)
            distinct += at(y, i) != at(y, 0);
        assert_true(distinct > 10);
        onnxbn_session_free(s);
        mk_free(mm);
    }
    /* ... and an int32 input without 'dtype' is refused by name. */
    mk_node *nd;
    mk_model *mm = one_node("RandomUniformLike", ONNXBN_INT32, 3, d, &nd);
    mk_feed f = {"X", ONNXBN_INT32, 3, d, xi};
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_TYPE, "node 'rnd' (RandomUniformLike)");
    mk_free(mm);
}

/* ---- Bernoulli ---- */

static void test_bernoulli(void **state)
{
    (void)state;
    /* Four blocks of 25 000 draws at p = 0, 0.25, 0.7, 1. */
    const double ps[] = {0.0, 0.25, 0.7, 1.0};
    const int64_t d[] = {4, 25000};
    float *p = malloc(N_DRAWS * sizeof *p);
    double *pd = malloc(N_DRAWS * sizeof *pd);
    assert_non_null(p);
    assert_non_null(pd);
    for (int64_t i = 0; i < N_DRAWS; i++)
        pd[i] = p[i] = (float)ps[i / 25000];
    const struct { onnxbn_dtype xt; const void *x; int64_t dtype; onnxbn_dtype want; } cases[] = {
        {ONNXBN_FLOAT, p, -1, ONNXBN_FLOAT},
        {ONNXBN_DOUBLE, pd, -1, ONNXBN_DOUBLE},
        {ONNXBN_FLOAT, p, ONNXBN_BOOL, ONNXBN_BOOL},
        {ONNXBN_DOUBLE, pd, ONNXBN_INT64, ONNXBN_INT64},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mk_node *nd;
        mk_model *mm = one_node("Bernoulli", cases[k].xt, 2, d, &nd);
        if (cases[k].dtype >= 0)
            mk_attr_i(nd, "dtype", cases[k].dtype);
        onnxbn_session *s = open_ok(mm);
        mk_feed f = {"X", cases[k].xt, 2, d, cases[k].x};
        const onnxbn_tensor *y = run_ok(s, 1, &f);
        expect_shape(y, cases[k].want, 2, d);
        for (int b = 0; b < 4; b++) {
            int64_t ones = 0;
            for (int64_t i = b * 25000; i < (b + 1) * 25000; i++) {
                const double v = at(y, i);
                assert_true(v == 0.0 || v == 1.0);
                ones += v == 1.0;
            }
            const double want = 25000 * ps[b], sd = sqrt(25000 * ps[b] * (1 - ps[b]));
            if (sd == 0)
                assert_int_equal(ones, (int64_t)want); /* p = 0 and p = 1 are certain */
            else
                assert_true(fabs((double)ones - want) < 5 * sd);
        }
        onnxbn_session_free(s);
        mk_free(mm);
    }
    free(p);
    free(pd);

    /* Bad input: an integer probability tensor, a dtype that is not a type. */
    const int64_t d1[] = {3};
    const int32_t pi[3] = {0, 1, 0};
    const float pf[3] = {0.5f, 0.5f, 0.5f};
    mk_node *nd;
    mk_model *mm = one_node("Bernoulli", ONNXBN_INT32, 1, d1, &nd);
    mk_feed f = {"X", ONNXBN_INT32, 1, d1, pi};
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_TYPE, "node 'rnd' (Bernoulli): input 'input'");
    mk_free(mm);
    mm = one_node("Bernoulli", ONNXBN_FLOAT, 1, d1, &nd);
    mk_attr_i(nd, "dtype", 99);
    mk_feed g = {"X", ONNXBN_FLOAT, 1, d1, pf};
    mk_expect_fail(mm, 1, &g, ONNXBN_ERR_TYPE, "attribute 'dtype' is 99");
    mk_free(mm);
}

/* ---- Multinomial ---- */

static void test_multinomial(void **state)
{
    (void)state;
    /* Row 0: probabilities 0.1 0.2 0.3 0.4 as unnormalised logs (+5: only ratios count); row 1:
     * all the weight on class 2 (-inf elsewhere). */
    const double probs[4] = {0.1, 0.2, 0.3, 0.4};
    float x[8];
    for (int k = 0; k < 4; k++) {
        x[k] = (float)(log(probs[k]) + 5.0);
        x[4 + k] = k == 2 ? 0.0f : -INFINITY;
    }
    const int64_t d[] = {2, 4};
    const onnxbn_dtype types[] = {ONNXBN_INT32, ONNXBN_INT64};
    for (int t = 0; t < 2; t++) {
        mk_node *nd;
        mk_model *mm = one_node("Multinomial", ONNXBN_FLOAT, 2, d, &nd);
        mk_attr_i(nd, "sample_size", N_DRAWS);
        mk_attr_f(nd, "seed", 3.0f);
        if (t == 1)
            mk_attr_i(nd, "dtype", ONNXBN_INT64);
        onnxbn_session *s = open_ok(mm);
        mk_feed f = {"X", ONNXBN_FLOAT, 2, d, x};
        const onnxbn_tensor *y = run_ok(s, 1, &f);
        const int64_t yd[] = {2, N_DRAWS};
        expect_shape(y, types[t], 2, yd);
        int64_t count[4] = {0};
        for (int64_t i = 0; i < N_DRAWS; i++) {
            const double v = at(y, i);
            assert_true(v >= 0 && v < 4);
            count[(int)v]++;
            assert_true(at(y, N_DRAWS + i) == 2.0);
        }
        /* Each count binomial(n, p_k). */
        for (int k = 0; k < 4; k++)
            assert_true(fabs((double)count[k] - N_DRAWS * probs[k]) <
                        5 * sqrt(N_DRAWS * probs[k] * (1 - probs[k])));
        onnxbn_session_free(s);
        mk_free(mm);
    }

    /* The default: one draw per row, int32. */
    mk_node *nd;
    mk_model *mm = one_node("Multinomial", ONNXBN_FLOAT, 2, d, &nd);
    onnxbn_session *s = open_ok(mm);
    mk_feed f = {"X", ONNXBN_FLOAT, 2, d, x};
    const onnxbn_tensor *y = run_ok(s, 1, &f);
    const int64_t yd[] = {2, 1};
    expect_shape(y, ONNXBN_INT32, 2, yd);
    assert_int_equal(((const int32_t *)onnxbn_tensor_cdata(y))[1], 2);
    onnxbn_session_free(s);
    mk_free(mm);

    /* Bad input: rank 1; a row that is NaN, or -inf throughout; a float dtype. */
    const int64_t d1[] = {4};
    mm = one_node("Multinomial", ONNXBN_FLOAT, 1, d1, &nd);
    mk_feed f1 = {"X", ONNXBN_FLOAT, 1, d1, x};
    mk_expect_fail(mm, 1, &f1, ONNXBN_ERR_SHAPE, "node 'rnd' (Multinomial): input 'input' has rank 1");
    mk_free(mm);
    float bad[8];
    memcpy(bad, x, sizeof bad);
    bad[5] = NAN;
    mm = one_node("Multinomial", ONNXBN_FLOAT, 2, d, &nd);
    mk_feed f2 = {"X", ONNXBN_FLOAT, 2, d, bad};
    mk_expect_fail(mm, 1, &f2, ONNXBN_ERR_ARG, "node 'rnd' (Multinomial): input 'input' row 1 holds NaN");
    bad[5] = -INFINITY;
    bad[6] = -INFINITY;
    mk_expect_fail(mm, 1, &f2, ONNXBN_ERR_ARG, "row 1 is -inf throughout");
    mk_free(mm);
    mm = one_node("Multinomial", ONNXBN_FLOAT, 2, d, &nd);
    mk_attr_i(nd, "dtype", ONNXBN_FLOAT);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_TYPE, "attribute 'dtype' is float");
    mk_free(mm);
    mm = one_node("Multinomial", ONNXBN_FLOAT, 2, d, &nd);
    mk_attr_i(nd, "sample_size", 0);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_MODEL, "attribute 'sample_size' is 0");
    mk_free(mm);
}

/* Attribute errors of the generators: each names the node, none crashes. */
static void test_bad_attrs(void **state)
{
    (void)state;
    const int64_t neg[] = {2, -1}, ok[] = {2, 2}, big[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    mk_node *nd;
    mk_model *mm = one_node("RandomNormal", 0, -1, NULL, &nd);
    mk_attr_ints(nd, "shape", 2, neg);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_SHAPE, "node 'rnd' (RandomNormal): attribute 'shape' has the negative");
    mk_free(mm);
    mm = one_node("RandomNormal", 0, -1, NULL, &nd);
    mk_attr_ints(nd, "shape", 9, big);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_UNSUPPORTED, "attribute 'shape' has rank 9");
    mk_free(mm);
    mm = one_node("RandomNormal", 0, -1, NULL, &nd);
    mk_attr_ints(nd, "shape", 2, ok);
    mk_attr_i(nd, "dtype", ONNXBN_INT32);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_TYPE, "node 'rnd' (RandomNormal): attribute 'dtype' is int32");
    mk_free(mm);
    mm = one_node("RandomUniform", 0, -1, NULL, &nd);
    mk_attr_ints(nd, "shape", 2, ok);
    mk_attr_f(nd, "low", 2.0f);
    mk_attr_f(nd, "high", 2.0f);
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_MODEL, "node 'rnd' (RandomUniform): attributes 'low' 2 and 'high' 2");
    mk_free(mm);
    mm = one_node("RandomUniform", 0, -1, NULL, &nd); /* 'shape' is required */
    mk_expect_fail(mm, 0, NULL, ONNXBN_ERR_MODEL, "shape");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),         cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_uniform_moments), cmocka_unit_test(test_seed),
        cmocka_unit_test(test_like),          cmocka_unit_test(test_bernoulli),
        cmocka_unit_test(test_multinomial),   cmocka_unit_test(test_bad_attrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
