/* SPDX-License-Identifier: Apache-2.0 */
/* test_unary.c — the one-input math and activation operators through the session API, with
 * hand-computed values for the tricky parts: Clip's forms, PRelu's broadcasts, defaults, rounding. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *name;
    float v;
} fattr;

/* Opens and runs m (freed here); returns the status and, on success, the session. */
static onnxbn_status open_run(mk_model *m, size_t nf, const mk_feed *f, onnxbn_session **out,
                              onnxbn_error *err)
{
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(m, &s, err);
    if (!st)
        st = mk_run(s, nf, f, err);
    mk_free(m);
    if (st) {
        onnxbn_session_free(s);
        s = NULL;
    }
    *out = s;
    return st;
}

/* x → op (float attributes from a NULL-ended list) → y, x of type dt and n elements. */
static onnxbn_status run_unary(int64_t opset, const char *op, const fattr *attrs, onnxbn_dtype dt,
                               size_t n, const void *x, onnxbn_session **out, onnxbn_error *err)
{
    const int64_t dims[] = {(int64_t)n};
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, 1, dims);
    mk_node *nd = mk_node_add(m, op, "u", "x", "y");
    for (; attrs && attrs->name; attrs++)
        mk_attr_f(nd, attrs->name, attrs->v);
    mk_output(m, "y", ONNXBN_UNDEFINED, -1, NULL);
    mk_feed f = {"x", dt, 1, dims, x};
    return open_run(m, 1, &f, out, err);
}

/* The output bytes equal want's (bit-exact, so the sign of zero counts). */
static void expect_bits(const onnxbn_session *s, onnxbn_dtype dt, size_t n, const void *want,
                        const char *what)
{
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), dt);
    assert_int_equal(onnxbn_tensor_numel(y), (int64_t)n);
    size_t esz = onnxbn_dtype_size(dt);
    const unsigned char *g = onnxbn_tensor_cdata(y), *w = want;
    for (size_t i = 0; i < n; i++)
        if (memcmp(g + i * esz, w + i * esz, esz))
            fail_msg("%s: element %zu differs from the expected bits", what, i);
}

/* Float x → op → y within atol/rtol of want. */
static void check_f32(int64_t opset, const char *op, const fattr *attrs, size_t n, const float *x,
                      const float *want, double rtol)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (run_unary(opset, op, attrs, ONNXBN_FLOAT, n, x, &s, &err))
        fail_msg("%s-%lld: %s", op, (long long)opset, err.msg);
    const int64_t dims[] = {(int64_t)n};
    mk_expect_f32(s, 0, 1, dims, want, 1e-7, rtol);
    onnxbn_session_free(s);
}

/* x of type dt → op → y of type ydt, bit-exact. */
static void check_bits_as(int64_t opset, const char *op, const fattr *attrs, onnxbn_dtype dt,
                          size_t n, const void *x, onnxbn_dtype ydt, const void *want)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (run_unary(opset, op, attrs, dt, n, x, &s, &err))
        fail_msg("%s-%lld %s: %s", op, (long long)opset, onnxbn_dtype_name(dt), err.msg);
    char what[64];
    snprintf(what, sizeof what, "%s-%lld %s", op, (long long)opset, onnxbn_dtype_name(dt));
    expect_bits(s, ydt, n, want, what);
    onnxbn_session_free(s);
}

static void check_bits(int64_t opset, const char *op, const fattr *attrs, onnxbn_dtype dt, size_t n,
                       const void *x, const void *want)
{
    check_bits_as(opset, op, attrs, dt, n, x, dt, want);
}

/* The status and a message fragment of a model that must fail. */
static void expect_unary_error(int64_t opset, const char *op, const fattr *attrs, onnxbn_dtype dt,
                               onnxbn_status want, const char *frag)
{
    const uint64_t zeros[4] = {0};
    onnxbn_session *s;
    onnxbn_error err = {0};
    onnxbn_status st = run_unary(opset, op, attrs, dt, 2, zeros, &s, &err);
    if (st != want)
        fail_msg("%s-%lld %s: expected %s, got %s: %s", op, (long long)opset, onnxbn_dtype_name(dt),
                 onnxbn_status_name(want), onnxbn_status_name(st), err.msg);
    if (!strstr(err.msg, frag))
        fail_msg("message lacks '%s': %s", frag, err.msg);
    onnxbn_session_free(s);
}

/* ---- Round, Sign, Abs, Neg ---- */

/* Halves go to the even neighbour, in float and in double; −0.5 gives −0. */
static void test_round_half_even(void **state)
{
    (void)state;
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.3f, 2.7f, -4.5f, 0.9f, -0.4f, 1e20f};
    const float y[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 2.0f, 3.0f, -4.0f, 1.0f, -0.0f, 1e20f};
    check_bits(11, "Round", NULL, ONNXBN_FLOAT, COUNT(x), x, y);
    const double xd[] = {0.5, 1.5, 2.5, -3.5, 4503599627370495.5, 2.4999999999999996};
    const double yd[] = {0.0, 2.0, 2.0, -4.0, 4503599627370496.0, 2.0};
    check_bits(11, "Round", NULL, ONNXBN_DOUBLE, COUNT(xd), xd, yd);
    /* float16: 2.5 (0x4100) → 2 (0x4000), 3.5 (0x4300) → 4 (0x4400). */
    const uint16_t xh[] = {0x4100, 0x4300, 0xb800}, yh[] = {0x4000, 0x4400, 0x8000};
    check_bits(11, "Round", NULL, ONNXBN_FLOAT16, COUNT(xh), xh, yh);
    expect_unary_error(11, "Round", NULL, ONNXBN_INT32, ONNXBN_ERR_TYPE, "Round-11 takes float16, float or double");
}

static void test_sign_abs_neg_integers(void **state)
{
    (void)state;
    const float xf[] = {-3.5f, -0.0f, 0.0f, 2.0f, NAN, -INFINITY};
    const float sf[] = {-1.0f, 0.0f, 0.0f, 1.0f, NAN, -1.0f};
    check_bits(13, "Sign", NULL, ONNXBN_FLOAT, COUNT(xf), xf, sf);
    const int8_t x8[] = {INT8_MIN, -5, 0, 7, INT8_MAX};
    const int8_t s8[] = {-1, -1, 0, 1, 1}, a8[] = {INT8_MIN, 5, 0, 7, INT8_MAX},
                 n8[] = {INT8_MIN, 5, 0, -7, -INT8_MAX};
    check_bits(9, "Sign", NULL, ONNXBN_INT8, COUNT(x8), x8, s8);
    check_bits(6, "Abs", NULL, ONNXBN_INT8, COUNT(x8), x8, a8); /* numpy wraps INT8_MIN too */
    check_bits(6, "Neg", NULL, ONNXBN_INT8, COUNT(x8), x8, n8);
    const int64_t x64[] = {INT64_MIN, -9, 9}, n64[] = {INT64_MIN, 9, -9};
    check_bits(13, "Neg", NULL, ONNXBN_INT64, COUNT(x64), x64, n64);
    const uint8_t xu[] = {0, 1, 255}, su[] = {0, 1, 1};
    check_bits(13, "Abs", NULL, ONNXBN_UINT8, COUNT(xu), xu, xu);
    check_bits(13, "Sign", NULL, ONNXBN_UINT8, COUNT(xu), xu, su);
    /* Integer types only from 6; unsigned Neg never. */
    expect_unary_error(1, "Abs", NULL, ONNXBN_INT32, ONNXBN_ERR_TYPE, "input 'X' ('x') is int32, Abs-1 takes");
    expect_unary_error(13, "Neg", NULL, ONNXBN_UINT8, ONNXBN_ERR_TYPE, "Neg-13 takes");
}

/* Erf and Shrink on integers: computed exactly, truncated back (erf(6) is 1.0 in double). */
static void test_erf_shrink_integers(void **state)
{
    (void)state;
    const int32_t xe[] = {-6, -1, 0, 2, 6}, ye[] = {-1, 0, 0, 0, 1};
    check_bits(13, "Erf", NULL, ONNXBN_INT32, COUNT(xe), xe, ye);
    const int8_t xs[] = {-3, -2, -1, 0, 1, 2, 3}, ys[] = {-2, -1, 0, 0, 0, 1, 2};
    const fattr sh[] = {{"lambd", 1.5f}, {"bias", 1.0f}, {NULL, 0}};
    check_bits(9, "Shrink", sh, ONNXBN_INT8, COUNT(xs), xs, ys);
    /* Float: the soft default (lambd 0.5, bias 0) and a soft shrink. */
    const float xf[] = {-2.0f, -0.5f, 0.25f, 0.5f, 0.75f};
    const float hard[] = {-2.0f, 0.0f, 0.0f, 0.0f, 0.75f}, soft[] = {-1.5f, 0.0f, 0.0f, 0.0f, 0.25f};
    const fattr so[] = {{"bias", 0.5f}, {NULL, 0}};
    check_f32(9, "Shrink", NULL, COUNT(xf), xf, hard, 0);
    check_f32(9, "Shrink", so, COUNT(xf), xf, soft, 0);
}

/* ---- activations: defaults by version, and hand-computed values ---- */

/* HardSwish = x·max(0, min(1, x/6 + 1/2)): 0 at and below −3, x at and above 3. */
static void test_hardswish(void **state)
{
    (void)state;
    const float x[] = {-4.0f, -3.0f, -1.0f, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f};
    const float y[] = {0.0f, 0.0f, -1.0f / 3.0f, 0.0f, 2.0f / 3.0f, 2.0f * 5.0f / 6.0f, 3.0f, 4.0f};
    check_f32(14, "HardSwish", NULL, COUNT(x), x, y, 1e-6);
    const double xd[] = {-1.0, 1.5}, yd[] = {-1.0 / 3.0, 1.5 * 0.75};
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (run_unary(14, "HardSwish", NULL, ONNXBN_DOUBLE, 2, xd, &s, &err))
        fail_msg("%s", err.msg);
    const double *g = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    for (int i = 0; i < 2; i++)
        assert_true(fabs(g[i] - yd[i]) < 1e-15);
    onnxbn_session_free(s);
    expect_unary_error(13, "HardSwish", NULL, ONNXBN_FLOAT, ONNXBN_ERR_UNSUPPORTED, "HardSwish");
}

/* Selu's defaults differ between versions 1 (1.6732, 1.0507) and 6 (the paper's constants). */
static void test_selu_elu_defaults(void **state)
{
    (void)state;
    const float x[] = {-1.0f, 0.0f, 2.0f};
    const float y6[] = {-1.1113307f, 0.0f, 2.1014020f};
    const float y1[] = {-1.1112877f, 0.0f, 2.1014f};
    check_f32(6, "Selu", NULL, COUNT(x), x, y6, 1e-6);
    check_f32(1, "Selu", NULL, COUNT(x), x, y1, 1e-6);
    const fattr sa[] = {{"alpha", 2.0f}, {"gamma", 3.0f}, {NULL, 0}};
    const float ys[] = {3.0f * 2.0f * -0.63212056f, 0.0f, 6.0f};
    check_f32(6, "Selu", sa, COUNT(x), x, ys, 1e-6);
    const float ye[] = {-0.63212056f, 0.0f, 2.0f}, ye2[] = {-1.2642411f, 0.0f, 2.0f};
    check_f32(6, "Elu", NULL, COUNT(x), x, ye, 1e-6);
    check_f32(1, "Elu", NULL, COUNT(x), x, ye, 1e-6);
    const fattr ea[] = {{"alpha", 2.0f}, {NULL, 0}};
    check_f32(6, "Elu", ea, COUNT(x), x, ye2, 1e-6);
    /* Celu(alpha=2) at −1: 2·(e^−0.5 − 1); alpha 0 is refused; float only. */
    const float yc[] = {-0.78693868f, 0.0f, 2.0f};
    check_f32(12, "Celu", ea, COUNT(x), x, yc, 1e-6);
    const fattr c0[] = {{"alpha", 0.0f}, {NULL, 0}};
    expect_unary_error(12, "Celu", c0, ONNXBN_FLOAT, ONNXBN_ERR_MODEL, "attribute 'alpha' is 0");
    expect_unary_error(12, "Celu", NULL, ONNXBN_DOUBLE, ONNXBN_ERR_TYPE, "Celu-12 takes float");
}

static void test_other_activations(void **state)
{
    (void)state;
    const float x[] = {-3.0f, -1.0f, 0.0f, 0.5f, 1.0f, 1.5f, 3.0f};
    const float leaky[] = {-0.03f, -0.01f, 0.0f, 0.5f, 1.0f, 1.5f, 3.0f};
    check_f32(16, "LeakyRelu", NULL, COUNT(x), x, leaky, 1e-6);
    check_f32(6, "LeakyRelu", NULL, COUNT(x), x, leaky, 1e-6);
    /* HardSigmoid defaults alpha 0.2, beta 0.5; clamped to [0, 1]. */
    const float hs[] = {0.0f, 0.3f, 0.5f, 0.6f, 0.7f, 0.8f, 1.0f};
    check_f32(6, "HardSigmoid", NULL, COUNT(x), x, hs, 1e-6);
    /* ThresholdedRelu default alpha 1: strictly above passes. */
    const float tr[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.5f, 3.0f};
    check_f32(10, "ThresholdedRelu", NULL, COUNT(x), x, tr, 0);
    const float ss[] = {-0.75f, -0.5f, 0.0f, 1.0f / 3.0f, 0.5f, 0.6f, 0.75f};
    check_f32(1, "Softsign", NULL, COUNT(x), x, ss, 1e-6);
    /* Softplus, Sigmoid and Mish far out: no overflow to inf or NaN. */
    const float big[] = {-100.0f, 1.0f, 100.0f};
    const float sp[] = {3.7200760e-44f, 1.3132617f, 100.0f};
    check_f32(1, "Softplus", NULL, COUNT(big), big, sp, 1e-6);
    const float sg[] = {3.7200760e-44f, 0.7310586f, 1.0f};
    check_f32(13, "Sigmoid", NULL, COUNT(big), big, sg, 1e-6);
    const float mx[] = {-1.0f, 1.0f, 100.0f}, my[] = {-0.30340146f, 0.86509839f, 100.0f};
    check_f32(18, "Mish", NULL, COUNT(mx), mx, my, 1e-6);
}

/* float16 / bfloat16 through the float loops, exact where the values allow. */
static void test_half_types(void **state)
{
    (void)state;
    const uint16_t x[] = {0x4400, 0x3c00, 0x0000, 0xbc00}; /* 4, 1, 0, −1 */
    const uint16_t sq[] = {0x4000, 0x3c00, 0x0000, 0x7e00}; /* 2, 1, 0, NaN */
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (run_unary(13, "Sqrt", NULL, ONNXBN_FLOAT16, 4, x, &s, &err))
        fail_msg("%s", err.msg);
    const uint16_t *g = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    for (int i = 0; i < 3; i++)
        assert_int_equal(g[i], sq[i]);
    assert_true((g[3] & 0x7fff) > 0x7c00);
    onnxbn_session_free(s);
    const uint16_t bx[] = {0x4080, 0xc000}, bneg[] = {0xc080, 0x4000}; /* 4, −2 */
    check_bits(13, "Neg", NULL, ONNXBN_BFLOAT16, 2, bx, bneg);
    expect_unary_error(6, "Neg", NULL, ONNXBN_BFLOAT16, ONNXBN_ERR_TYPE, "Neg-6 takes");
}

static void test_isnan_isinf(void **state)
{
    (void)state;
    const float x[] = {NAN, INFINITY, -INFINITY, 0.0f, -1.0f, 3.4e38f};
    const uint8_t nan[] = {1, 0, 0, 0, 0, 0}, both[] = {0, 1, 1, 0, 0, 0},
                  pos[] = {0, 1, 0, 0, 0, 0}, neg[] = {0, 0, 1, 0, 0, 0};
    check_bits_as(9, "IsNaN", NULL, ONNXBN_FLOAT, COUNT(x), x, ONNXBN_BOOL, nan);
    check_bits_as(10, "IsInf", NULL, ONNXBN_FLOAT, COUNT(x), x, ONNXBN_BOOL, both);
    for (int which = 0; which < 2; which++) {
        const int64_t dims[] = {6};
        mk_model *m = mk_new(10);
        mk_input(m, "x", ONNXBN_FLOAT, 1, dims);
        mk_node *nd = mk_node_add(m, "IsInf", "u", "x", "y");
        mk_attr_i(nd, which ? "detect_positive" : "detect_negative", 0);
        mk_output(m, "y", ONNXBN_BOOL, 1, dims);
        mk_feed f = {"x", ONNXBN_FLOAT, 1, dims, x};
        onnxbn_session *s;
        onnxbn_error err = {0};
        if (open_run(m, 1, &f, &s, &err))
            fail_msg("%s", err.msg);
        expect_bits(s, ONNXBN_BOOL, 6, which ? neg : pos, "IsInf");
        onnxbn_session_free(s);
    }
    /* float16 by bit pattern: NaN, +inf, −inf, 1. */
    const uint16_t h[] = {0x7e01, 0x7c00, 0xfc00, 0x3c00};
    const uint8_t hn[] = {1, 0, 0, 0};
    check_bits_as(13, "IsNaN", NULL, ONNXBN_FLOAT16, 4, h, ONNXBN_BOOL, hn);
    expect_unary_error(10, "IsInf", NULL, ONNXBN_FLOAT16, ONNXBN_ERR_TYPE, "IsInf-10 takes float or double");
}

/* ---- Clip ---- */

/* Clip at opset ≥ 11: x and the given bounds are graph inputs (run-time values), "" omits one. */
static onnxbn_status clip_inputs(int64_t opset, onnxbn_dtype dt, size_t n, const void *x,
                                 const void *lo, const void *hi, onnxbn_session **s,
                                 onnxbn_error *err)
{
    const int64_t dims[] = {(int64_t)n};
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, 1, dims);
    if (lo)
        mk_input(m, "lo", dt, 0, NULL);
    if (hi)
        mk_input(m, "hi", dt, 0, NULL);
    char ins[32];
    snprintf(ins, sizeof ins, "x,%s,%s", lo ? "lo" : "", hi ? "hi" : "");
    mk_node_add(m, "Clip", "c", ins, "y");
    mk_output(m, "y", dt, 1, dims);
    mk_feed f[3] = {{"x", dt, 1, dims, x}};
    size_t nf = 1;
    if (lo)
        f[nf++] = (mk_feed){"lo", dt, 0, NULL, lo};
    if (hi)
        f[nf++] = (mk_feed){"hi", dt, 0, NULL, hi};
    return open_run(m, nf, f, s, err);
}

static void clip_case(int64_t opset, onnxbn_dtype dt, size_t n, const void *x, const void *lo,
                      const void *hi, const void *want, const char *what)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (clip_inputs(opset, dt, n, x, lo, hi, &s, &err))
        fail_msg("%s: %s", what, err.msg);
    expect_bits(s, dt, n, want, what);
    onnxbn_session_free(s);
}

static void test_clip_inputs(void **state)
{
    (void)state;
    const float x[] = {-3.0f, -1.0f, 0.0f, 1.0f, 3.0f, NAN, INFINITY};
    const float lo = -1.5f, hi = 2.0f;
    const float both[] = {-1.5f, -1.0f, 0.0f, 1.0f, 2.0f, NAN, 2.0f};
    const float lo_only[] = {-1.5f, -1.0f, 0.0f, 1.0f, 3.0f, NAN, INFINITY};
    const float hi_only[] = {-3.0f, -1.0f, 0.0f, 1.0f, 2.0f, NAN, 2.0f};
    clip_case(11, ONNXBN_FLOAT, COUNT(x), x, &lo, &hi, both, "both bounds");
    clip_case(13, ONNXBN_FLOAT, COUNT(x), x, &lo, NULL, lo_only, "min only");
    clip_case(13, ONNXBN_FLOAT, COUNT(x), x, NULL, &hi, hi_only, "max only");
    clip_case(13, ONNXBN_FLOAT, COUNT(x), x, NULL, NULL, x, "no bounds");
    /* min > max: every element becomes max (min(max(x, min), max)). */
    const float lo2 = 2.0f, hi2 = -1.0f;
    const float inv[] = {-1.0f, -1.0f, -1.0f, -1.0f, -1.0f, NAN, -1.0f};
    clip_case(13, ONNXBN_FLOAT, COUNT(x), x, &lo2, &hi2, inv, "min > max");
    /* Integers from 12: absent bounds are the type's limits. */
    const int8_t x8[] = {INT8_MIN, -5, 0, 5, INT8_MAX}, lo8 = -4, hi8 = 4;
    const int8_t c8[] = {-4, -4, 0, 4, 4}, c8hi[] = {INT8_MIN, -5, 0, 4, 4};
    clip_case(12, ONNXBN_INT8, COUNT(x8), x8, &lo8, &hi8, c8, "int8");
    clip_case(13, ONNXBN_INT8, COUNT(x8), x8, NULL, &hi8, c8hi, "int8 max only");
    clip_case(13, ONNXBN_INT8, COUNT(x8), x8, NULL, NULL, x8, "int8 no bounds");
    const uint64_t xu[] = {0, 7, UINT64_MAX}, lou = 5, cu[] = {5, 7, UINT64_MAX};
    clip_case(13, ONNXBN_UINT64, COUNT(xu), xu, &lou, NULL, cu, "uint64 min only");
    const int64_t xi[] = {INT64_MIN, 0, INT64_MAX}, hii = -7, ci[] = {INT64_MIN, -7, -7};
    clip_case(12, ONNXBN_INT64, COUNT(xi), xi, NULL, &hii, ci, "int64 max only");
    const double xd[] = {-1e300, 0.5, 1e300}, lod = -1.0, hid = 1.0, cd[] = {-1.0, 0.5, 1.0};
    clip_case(11, ONNXBN_DOUBLE, COUNT(xd), xd, &lod, &hid, cd, "double");

    /* Errors: integers before 12, a bound of another type, a bound that is not one element. */
    onnxbn_session *s;
    onnxbn_error err = {0};
    assert_int_equal(clip_inputs(11, ONNXBN_INT8, COUNT(x8), x8, &lo8, &hi8, &s, &err), ONNXBN_ERR_TYPE);
    assert_non_null(strstr(err.msg, "Clip-11 takes float16, float or double"));
    const int64_t d5[] = {5}, d2[] = {2};
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d5);
    mk_init(m, "lo", ONNXBN_DOUBLE, 0, NULL, &lod);
    mk_node_add(m, "Clip", "c", "x,lo", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 1, d5);
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_ERR_TYPE);
    assert_non_null(strstr(err.msg, "input 'min' ('lo') is double, input 'input' is float"));
    mk_free(m);
    const float two[] = {0.0f, 1.0f};
    m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d5);
    mk_init_f32(m, "hi", 1, d2, two);
    mk_node_add(m, "Clip", "c", "x,,hi", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 1, d5);
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "input 'max' ('hi') has shape [2], expected a scalar"));
    mk_free(m);
}

/* Versions 1 and 6: float attributes; an absent one is float's lowest/max, so ±inf clip to it. */
static void test_clip_attributes(void **state)
{
    (void)state;
    const float x[] = {-3.0f, 0.25f, 3.0f, -INFINITY, INFINITY, NAN};
    const fattr both[] = {{"min", -1.0f}, {"max", 1.0f}, {NULL, 0}};
    const fattr max_only[] = {{"max", 0.0f}, {NULL, 0}};
    const fattr inv[] = {{"min", 1.0f}, {"max", -1.0f}, {NULL, 0}};
    const float y_both[] = {-1.0f, 0.25f, 1.0f, -1.0f, 1.0f, NAN};
    const float y_max[] = {-3.0f, 0.0f, 0.0f, -3.4028234663852886e38f, 0.0f, NAN};
    const float y_none[] = {-3.0f, 0.25f, 3.0f, -3.4028234663852886e38f, 3.4028234663852886e38f, NAN};
    const float y_inv[] = {-1.0f, -1.0f, -1.0f, -1.0f, -1.0f, NAN};
    check_bits(6, "Clip", both, ONNXBN_FLOAT, COUNT(x), x, y_both);
    check_bits(1, "Clip", both, ONNXBN_FLOAT, COUNT(x), x, y_both);
    check_bits(6, "Clip", max_only, ONNXBN_FLOAT, COUNT(x), x, y_max);
    check_bits(6, "Clip", NULL, ONNXBN_FLOAT, COUNT(x), x, y_none);
    check_bits(6, "Clip", inv, ONNXBN_FLOAT, COUNT(x), x, y_inv);
    /* float16 against a bound float16 cannot hold exactly: 0.1 rounds to 0x2e66. */
    const uint16_t hx[] = {0x0000, 0x3c00}, hy[] = {0x2e66, 0x3c00};
    const fattr tenth[] = {{"min", 0.1f}, {NULL, 0}};
    check_bits(6, "Clip", tenth, ONNXBN_FLOAT16, 2, hx, hy);
    /* A second input is not part of Clip-6. */
    const int64_t d1[] = {1};
    mk_model *m = mk_new(6);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d1);
    mk_input(m, "lo", ONNXBN_FLOAT, 0, NULL);
    mk_node_add(m, "Clip", "c", "x,lo", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 1, d1);
    onnxbn_session *s;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_ERR_MODEL);
    mk_free(m);
}

/* ---- PRelu ---- */

static onnxbn_status prelu(int64_t opset, onnxbn_dtype dt, int rx, const int64_t *dx, const void *x,
                           int rs, const int64_t *ds, const void *slope, onnxbn_session **s,
                           onnxbn_error *err)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "x", dt, rx, dx);
    mk_init(m, "slope", dt, rs, ds, slope);
    mk_node_add(m, "PRelu", "p", "x,slope", "y");
    mk_output(m, "y", dt, rx, dx);
    mk_feed f = {"x", dt, rx, dx, x};
    return open_run(m, 1, &f, s, err);
}

static void test_prelu(void **state)
{
    (void)state;
    /* x (2,3,2) = −1…−12 with a few positives; slopes by position. */
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = i % 4 == 3 ? (float)i : -(float)(i + 1);
    const int64_t dx[] = {2, 3, 2}, d3[] = {3}, d2[] = {2}, d31[] = {3, 1}, d1[] = {1};
    const float s3[] = {0.5f, 0.25f, 2.0f}, s2[] = {0.5f, 3.0f}, s1[] = {0.1f};
    onnxbn_session *s;
    onnxbn_error err = {0};
    float want[12];

    /* 7+: numpy-style, right-aligned: a (2) slope runs along the last axis. */
    for (int i = 0; i < 12; i++)
        want[i] = x[i] < 0 ? s2[i % 2] * x[i] : x[i];
    if (prelu(9, ONNXBN_FLOAT, 3, dx, x, 1, d2, s2, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 3, dx, want, 0, 0);
    onnxbn_session_free(s);
    /* a (3,1) slope: one per middle index. */
    for (int i = 0; i < 12; i++)
        want[i] = x[i] < 0 ? s3[(i / 2) % 3] * x[i] : x[i];
    if (prelu(16, ONNXBN_FLOAT, 3, dx, x, 2, d31, s3, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 3, dx, want, 0, 0);
    onnxbn_session_free(s);
    /* A (3) slope does not broadcast onto (2,3,2) from 7 on ... */
    assert_int_equal(prelu(7, ONNXBN_FLOAT, 3, dx, x, 1, d3, s3, &s, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "input 'slope' ('slope') [3] does not broadcast to input 'X' ('x') [2,3,2]"));
    /* ... but in 6 it is one slope per channel (axis 1), as pytorch exported it. */
    if (prelu(6, ONNXBN_FLOAT, 3, dx, x, 1, d3, s3, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 3, dx, want, 0, 0);
    onnxbn_session_free(s);
    /* One shared slope, in 1 and 16. */
    for (int i = 0; i < 12; i++)
        want[i] = x[i] < 0 ? 0.1f * x[i] : x[i];
    for (int v = 0; v < 2; v++) {
        if (prelu(v ? 16 : 1, ONNXBN_FLOAT, 3, dx, x, 1, d1, s1, &s, &err))
            fail_msg("%s", err.msg);
        mk_expect_f32(s, 0, 3, dx, want, 0, 0);
        onnxbn_session_free(s);
    }
    /* int32 from 9 (products wrap), not before. */
    const int32_t xi[] = {-4, 5, INT32_MIN, -1}, si[] = {3, 3}, yi[] = {-12, 5, INT32_MIN, -3};
    const int64_t d4[] = {2, 2};
    if (prelu(9, ONNXBN_INT32, 2, d4, xi, 1, d2, si, &s, &err))
        fail_msg("%s", err.msg);
    expect_bits(s, ONNXBN_INT32, 4, yi, "PRelu int32");
    onnxbn_session_free(s);
    assert_int_equal(prelu(7, ONNXBN_INT32, 2, d4, xi, 1, d2, si, &s, &err), ONNXBN_ERR_TYPE);
}

/* PRelu over a bigger (N,C,H,W) with a per-channel slope (C,1,1): the fast rows and the outer
 * walk against a direct computation. */
static void test_prelu_channels(void **state)
{
    (void)state;
    enum { N = 2, C = 5, H = 3, W = 7, T = N * C * H * W };
    float x[T], want[T];
    const float sl[C] = {0.1f, -0.5f, 2.0f, 0.0f, 1.0f};
    for (int i = 0; i < T; i++) {
        x[i] = (float)((i * 37) % 23 - 11) * 0.25f;
        int ch = (i / (H * W)) % C;
        want[i] = x[i] < 0 ? sl[ch] * x[i] : x[i];
    }
    const int64_t dx[] = {N, C, H, W}, ds[] = {C, 1, 1};
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (prelu(16, ONNXBN_FLOAT, 4, dx, x, 3, ds, sl, &s, &err))
        fail_msg("%s", err.msg);
    mk_expect_f32(s, 0, 4, dx, want, 0, 0);
    onnxbn_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_half_even),
        cmocka_unit_test(test_sign_abs_neg_integers),
        cmocka_unit_test(test_erf_shrink_integers),
        cmocka_unit_test(test_hardswish),
        cmocka_unit_test(test_selu_elu_defaults),
        cmocka_unit_test(test_other_activations),
        cmocka_unit_test(test_half_types),
        cmocka_unit_test(test_isnan_isinf),
        cmocka_unit_test(test_clip_inputs),
        cmocka_unit_test(test_clip_attributes),
        cmocka_unit_test(test_prelu),
        cmocka_unit_test(test_prelu_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
