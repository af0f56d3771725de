/* SPDX-License-Identifier: Apache-2.0 */
/* test_gridsample.c — GridSample: every mode × padding × align_corners against torch's grid_sample,
 * the types, threads, NaN not leaking from outside taps, and bad grids and attributes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"

typedef struct gs_case {
    const char *mode, *pad;
    int align;
    float y[6];
} gs_case;

/* X = ((i·7) mod 11 − 5)/4 as a 1×1×3×4 image; the grid below (points inside, on the corner and
 * outside on every side); values from torch.nn.functional.grid_sample in float64. */
static const double GRID[12] = {-1, -1, 0.3, -0.2, 1.4, 0.9, -1.3, 0.55, 0.9, 1.0, 0.1, -1.6};
static const gs_case CASES[] = {
    {"bilinear", "zeros", 0, {-0.3125f, 0.5325f, 0.0f, 0.0f, -0.4375f, 0.0f}},
    {"bilinear", "zeros", 1, {-1.25f, 0.64f, -0.45f, -0.240625f, -1.1f, -0.06f}},
    {"bilinear", "border", 0, {-1.25f, 0.5325f, -1.25f, -0.78125f, -1.25f, -0.2f}},
    {"bilinear", "border", 1, {-1.25f, 0.64f, -1.125f, -0.4375f, -1.1f, -0.15f}},
    {"bilinear", "reflection", 0, {-1.25f, 0.5325f, -0.95f, -0.654375f, -1.25f, 0.07f}},
    {"bilinear", "reflection", 1, {-1.25f, 0.64f, -0.525f, -0.206875f, -1.1f, 0.1725f}},
    {"nearest", "zeros", 0, {-1.25f, 1.0f, 0.0f, 0.0f, -1.25f, 0.0f}},
    {"nearest", "zeros", 1, {-1.25f, 1.0f, 0.0f, -1.0f, -1.25f, 0.0f}},
    {"nearest", "border", 0, {-1.25f, 1.0f, -1.25f, -1.0f, -1.25f, -0.5f}},
    {"nearest", "border", 1, {-1.25f, 1.0f, -1.25f, -1.0f, -1.25f, -0.5f}},
    {"nearest", "reflection", 0, {-1.25f, 1.0f, -1.25f, -1.0f, -1.25f, -0.5f}},
    {"nearest", "reflection", 1, {-1.25f, 1.0f, -0.25f, -1.0f, -1.25f, 1.0f}},
    {"bicubic", "zeros", 0, {-0.489013672f, 0.762315609f, 0.107213818f, 0.0529426758f, -0.590242188f, 0.035775f}},
    {"bicubic", "zeros", 1, {-1.25f, 0.79952275f, -0.555678f, -0.283577175f, -1.23825781f, -0.151790063f}},
    {"bicubic", "border", 0, {-1.57885742f, 0.778347703f, -1.38863281f, -0.782152344f, -1.4774375f, -0.33125f}},
    {"bicubic", "border", 1, {-1.25f, 0.811925875f, -1.229274f, -0.350545685f, -1.13665625f, -0.308854125f}},
    {"bicubic", "reflection", 0, {-1.95605469f, 0.778347703f, -1.25370184f, -0.67351214f, -1.641875f, 0.0456805f}},
    {"bicubic", "reflection", 1, {-1.25f, 0.776404375f, -0.78153525f, -0.263318922f, -1.2179375f, 0.153341719f}},
};

static void image(float *x)
{
    for (int i = 0; i < 12; i++)
        x[i] = (float)((i * 7) % 11 - 5) / 4.0f;
}

static mk_model *gs_model(const char *mode, const char *pad, int align, onnxbn_dtype xt,
                          const int64_t *xd, onnxbn_dtype gt, int gr, const int64_t *gd)
{
    mk_model *m = mk_new(16);
    mk_input(m, "X", xt, 4, xd);
    mk_input(m, "G", gt, gr, gd);
    mk_output(m, "Y", xt, -1, NULL);
    mk_node *n = mk_node_add(m, "GridSample", "gs", "X,G", "Y");
    if (mode)
        mk_attr_s(n, "mode", mode);
    if (pad)
        mk_attr_s(n, "padding_mode", pad);
    if (align >= 0)
        mk_attr_i(n, "align_corners", align);
    return m;
}

static onnxbn_session *open_threads(const mk_model *m, int threads)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_session *s = NULL;
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err) ||
        onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    return s;
}

static const int64_t XD[4] = {1, 1, 3, 4}, GD[4] = {1, 2, 3, 2}, YD[4] = {1, 1, 2, 3};

static void test_against_torch(void **state)
{
    (void)state;
    float x[12], g[12];
    image(x);
    for (int i = 0; i < 12; i++)
        g[i] = (float)GRID[i];
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        const gs_case *c = &CASES[k];
        mk_model *m = gs_model(c->mode, c->pad, c->align, ONNXBN_FLOAT, XD, ONNXBN_FLOAT, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, XD, x}, {"G", ONNXBN_FLOAT, 4, GD, g}};
        if (mk_run(s, 2, f, &err))
            fail_msg("%s/%s/%d: %s", c->mode, c->pad, c->align, err.msg);
        mk_expect_f32(s, 0, 4, YD, c->y, 1e-6, 1e-5);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* The defaults are bilinear, zeros, align_corners 0; the grid in double and float16 too. */
static void test_defaults_and_types(void **state)
{
    (void)state;
    float x[12];
    image(x);
    double gd[12];
    uint16_t gh[12];
    double xd[12], yd[6];
    memcpy(gd, GRID, sizeof gd);
    for (int i = 0; i < 12; i++)
        xd[i] = x[i];
    /* float16 grid: the points above are not all exact in float16, so use a grid that is */
    const float gexact[12] = {-1, -1, 0.25f, -0.25f, 1.5f, 0.875f, -1.25f, 0.5f, 0.875f, 1, 0.125f, -1.5f};
    for (int i = 0; i < 12; i++) {
        float v = gexact[i];
        /* float16 bits of these values: sign, exponent, 10-bit mantissa (all are exact) */
        int e = 0;
        float mnt = frexpf(fabsf(v), &e); /* v = mnt·2^e, mnt in [0.5, 1) */
        gh[i] = (uint16_t)((v < 0 ? 0x8000 : 0) | (uint16_t)((e - 1 + 15) << 10) |
                           (uint16_t)lrintf((mnt * 2 - 1) * 1024));
    }
    {
        mk_model *m = gs_model(NULL, NULL, -1, ONNXBN_FLOAT, XD, ONNXBN_DOUBLE, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, XD, x}, {"G", ONNXBN_DOUBLE, 4, GD, gd}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 4, YD, CASES[0].y, 1e-6, 1e-5); /* bilinear, zeros, 0 */
        onnxbn_session_free(s);
        mk_free(m);
    }
    {
        /* the float16 grid against the float grid of the same values */
        float gf[12], yf[6];
        for (int i = 0; i < 12; i++)
            gf[i] = gexact[i];
        mk_model *m = gs_model("bicubic", "reflection", 0, ONNXBN_FLOAT, XD, ONNXBN_FLOAT, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, XD, x}, {"G", ONNXBN_FLOAT, 4, GD, gf}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        memcpy(yf, onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), sizeof yf);
        onnxbn_session_free(s);
        mk_free(m);
        m = gs_model("bicubic", "reflection", 0, ONNXBN_FLOAT, XD, ONNXBN_FLOAT16, 4, GD);
        s = open_threads(m, 1);
        const mk_feed fh[2] = {{"X", ONNXBN_FLOAT, 4, XD, x}, {"G", ONNXBN_FLOAT16, 4, GD, gh}};
        assert_int_equal(mk_run(s, 2, fh, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 4, YD, yf, 0, 0);
        onnxbn_session_free(s);
        mk_free(m);
    }
    {
        /* double X: the same torch values, closer */
        mk_model *m = gs_model("bicubic", "border", 1, ONNXBN_DOUBLE, XD, ONNXBN_DOUBLE, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_DOUBLE, 4, XD, xd}, {"G", ONNXBN_DOUBLE, 4, GD, gd}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        memcpy(yd, onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), sizeof yd);
        for (int i = 0; i < 6; i++)
            assert_true(fabs(yd[i] - CASES[15].y[i]) <= 1e-6 * (1 + fabs(yd[i])));
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* float16 X: widened per tap, summed in float, rounded once (float16 keeps 11 bits). */
static void test_half_image(void **state)
{
    (void)state;
    float g[12];
    uint16_t xh[12], yh[6];
    for (int i = 0; i < 12; i++)
        g[i] = (float)GRID[i];
    /* x is a multiple of 1/4 in [-1.25, 1.25]: exact in float16 */
    static const uint16_t H[11] = {0xbd00, 0xbc00, 0xba00, 0xb800, 0xb400, 0x0000,
                                   0x3400, 0x3800, 0x3a00, 0x3c00, 0x3d00}; /* -1.25 .. 1.25 */
    for (int i = 0; i < 12; i++)
        xh[i] = H[(i * 7) % 11];
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k += 5) {
        const gs_case *c = &CASES[k];
        mk_model *m = gs_model(c->mode, c->pad, c->align, ONNXBN_FLOAT16, XD, ONNXBN_FLOAT, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT16, 4, XD, xh}, {"G", ONNXBN_FLOAT, 4, GD, g}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        memcpy(yh, onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), sizeof yh);
        for (int i = 0; i < 6; i++) {
            /* decode: normal float16 or zero (the values here have no subnormals) */
            const int e = (yh[i] >> 10) & 31, mnt = yh[i] & 1023;
            double v = e ? ldexp(1 + mnt / 1024.0, e - 15) : 0;
            if (yh[i] & 0x8000)
                v = -v;
            if (fabs(v - c->y[i]) > 1e-3 * (1 + fabs(c->y[i])))
                fail_msg("%s/%s/%d: y[%d] = %g, torch %g", c->mode, c->pad, c->align, i, v, c->y[i]);
        }
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* Nearest copies elements of any type: int32 X gives the float case's values exactly (x·4). */
static void test_nearest_int(void **state)
{
    (void)state;
    int32_t x[12], want[6];
    float g[12];
    for (int i = 0; i < 12; i++) {
        x[i] = (i * 7) % 11 - 5;
        g[i] = (float)GRID[i];
    }
    const gs_case *c = &CASES[11]; /* nearest, reflection, 1 */
    for (int i = 0; i < 6; i++)
        want[i] = (int32_t)lrintf(c->y[i] * 4);
    mk_model *m = gs_model("nearest", "reflection", 1, ONNXBN_INT32, XD, ONNXBN_FLOAT, 4, GD);
    onnxbn_session *s = open_threads(m, 1);
    onnxbn_error err = {0};
    const mk_feed f[2] = {{"X", ONNXBN_INT32, 4, XD, x}, {"G", ONNXBN_FLOAT, 4, GD, g}};
    assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
    mk_expect_bytes(s, 0, ONNXBN_INT32, 4, YD, want);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Outside taps read 0, not x·0: a NaN at the plane's first element stays out of a zeros-padded
 * sample far outside (and of one inside that does not touch it). */
static void test_outside_reads_nothing(void **state)
{
    (void)state;
    float x[12], g[12] = {5, 5, -7, 3, 0.9f, 0.9f, 2, -2, 3, 3, -3, -3};
    image(x);
    x[0] = NAN;
    for (int mode = 0; mode < 3; mode++) {
        const char *name = mode == 0 ? "bilinear" : mode == 1 ? "nearest" : "bicubic";
        mk_model *m = gs_model(name, "zeros", 0, ONNXBN_FLOAT, XD, ONNXBN_FLOAT, 4, GD);
        onnxbn_session *s = open_threads(m, 1);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, XD, x}, {"G", ONNXBN_FLOAT, 4, GD, g}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        const float *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
        for (int i = 0; i < 6; i++)
            if (i != 2 && y[i] != 0)
                fail_msg("%s: y[%d] = %g, expected 0", name, i, y[i]);
        assert_false(isnan(y[2])); /* (0.9, 0.9) reads the far corner */
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* Two threads split the rows; every row is computed alike, so the bits are those of one thread. */
static void test_threads(void **state)
{
    (void)state;
    enum { N = 2, C = 3, H = 9, W = 11, HO = 7, WO = 37 };
    const int64_t xd[4] = {N, C, H, W}, gd[4] = {N, HO, WO, 2};
    float *x = malloc(sizeof(float) * N * C * H * W), *g = malloc(sizeof(float) * N * HO * WO * 2);
    float *y1 = malloc(sizeof(float) * N * C * HO * WO);
    assert_true(x && g && y1);
    for (int i = 0; i < N * C * H * W; i++)
        x[i] = (float)((i * 37) % 101) / 50.0f - 1;
    for (int i = 0; i < N * HO * WO * 2; i++)
        g[i] = (float)((i * 53) % 97) / 40.0f - 1.2f;
    for (int t = 1; t <= 2; t++) {
        mk_model *m = gs_model("bilinear", "zeros", 1, ONNXBN_FLOAT, xd, ONNXBN_FLOAT, 4, gd);
        onnxbn_session *s = open_threads(m, t);
        onnxbn_error err = {0};
        const mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, xd, x}, {"G", ONNXBN_FLOAT, 4, gd, g}};
        assert_int_equal(mk_run(s, 2, f, &err), ONNXBN_OK);
        const int64_t yd[4] = {N, C, HO, WO};
        if (t == 1)
            memcpy(y1, onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), sizeof(float) * N * C * HO * WO);
        else
            mk_expect_bytes(s, 0, ONNXBN_FLOAT, 4, yd, y1);
        onnxbn_session_free(s);
        mk_free(m);
    }
    free(x);
    free(g);
    free(y1);
}

static void test_bad_input(void **state)
{
    (void)state;
    float x[12] = {0}, g[64] = {0};
    const int64_t g3[4] = {1, 2, 3, 3}, gn[4] = {2, 2, 3, 2}, gr3[3] = {1, 6, 2};
    const struct {
        const int64_t *gd;
        int gr;
        const char *mode, *pad;
        onnxbn_dtype xt;
        onnxbn_status st;
        const char *text;
    } bad[] = {
        {g3, 4, NULL, NULL, ONNXBN_FLOAT, ONNXBN_ERR_SHAPE, "input 'grid' ('G') is [1,2,3,3], expected (1, H_out, W_out, 2)"},
        {gn, 4, NULL, NULL, ONNXBN_FLOAT, ONNXBN_ERR_SHAPE, "input 'grid' ('G') is [2,2,3,2]"},
        {gr3, 3, NULL, NULL, ONNXBN_FLOAT, ONNXBN_ERR_SHAPE, "input 'grid' ('G') is [1,6,2]"},
        {GD, 4, "linear", NULL, ONNXBN_FLOAT, ONNXBN_ERR_MODEL, "mode 'linear' is not"},
        {GD, 4, NULL, "mirror", ONNXBN_FLOAT, ONNXBN_ERR_MODEL, "padding_mode 'mirror' is not"},
        {GD, 4, "bilinear", NULL, ONNXBN_INT32, ONNXBN_ERR_TYPE, "input 'X'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mk_model *m = gs_model(bad[i].mode, bad[i].pad, -1, bad[i].xt, XD, ONNXBN_FLOAT, bad[i].gr, bad[i].gd);
        const mk_feed f[2] = {{"X", bad[i].xt, 4, XD, x}, {"G", ONNXBN_FLOAT, bad[i].gr, bad[i].gd, g}};
        mk_expect_fail(m, 2, f, bad[i].st, "node 'gs' (GridSample): ");
        mk_expect_fail(m, 2, f, bad[i].st, bad[i].text);
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_torch),   cmocka_unit_test(test_defaults_and_types),
        cmocka_unit_test(test_half_image),      cmocka_unit_test(test_nearest_int),     cmocka_unit_test(test_outside_reads_nothing),
        cmocka_unit_test(test_threads),         cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
