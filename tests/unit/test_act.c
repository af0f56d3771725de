/* SPDX-License-Identifier: Apache-2.0 */
/* test_act.c — the activations Conv, Gemm and MatMul apply in their epilogues (kernels/act.h): each
 * kind against float64, and the planner's fusions of Sigmoid, HardSigmoid, HardSwish and x·gate(x). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/act.h"
#include "kernels/unary.h"
#include "mkmodel.h"
#include "profiled.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static double ulp_at(double r)
{
    const float f = fabsf((float)r);
    return (double)nextafterf(f, INFINITY) - (double)f;
}

static double sigmoid_d(double v) { return 1.0 / (1.0 + exp(-v)); }
static double clamp01_d(double t) { return t < 0 ? 0 : t > 1 ? 1 : t; }

/* The exact value of kind k at v (lo, hi as onnxbn_act). */
static double ref_act(int k, double v, double lo, double hi)
{
    switch (k) {
    case 3: return sigmoid_d(v);
    case 4: return v * sigmoid_d(v);
    case 5: return clamp01_d(lo * v + hi);
    default: return v * clamp01_d(lo * v + hi);
    }
}

/* SiLU over every 97th float (both signs, every exponent), through the SiLU kernel, which is the
 * epilogue's loop (onnxbn_act_map): within 4 ulp (the sigmoid's 3 and the product's rounding)
 * where sigmoid(x) is a normal float; where it is subnormal (x < -87.3) or the result is below
 * FLT_MIN, within |x|·FLT_MIN absolute (the portable exp gives 0 below -87.34, vmath.h; the
 * AVX-512 one subnormals). */
static void silu_sweep(void **state)
{
    (void)state;
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
        onnxbn_silu_f32(x, y, k);
        for (size_t i = 0; i < k; i++) {
            if (isnan(x[i])) {
                if (!isnan(y[i]))
                    fail_msg("silu(NaN) = %g", (double)y[i]);
                continue;
            }
            const double r = ref_act(4, x[i], 0, 0), e = fabs((double)y[i] - r);
            if (isinf(x[i])) {
                if (!(x[i] > 0 ? y[i] == INFINITY : (y[i] == 0 || isnan(y[i]))))
                    fail_msg("silu(%g) = %g", (double)x[i], (double)y[i]);
                continue;
            }
            if (x[i] < -87.3f || fabs(r) < FLT_MIN) {
                /* and the product's rounding to a subnormal */
                if (!(e <= fabs(x[i]) * FLT_MIN + 0x1p-149))
                    fail_msg("silu(%.9g) = %.9g, want %.9g", (double)x[i], (double)y[i], r);
                continue;
            }
            if (e / ulp_at(r) > worst) {
                worst = e / ulp_at(r);
                at = x[i];
            }
        }
    }
    free(x);
    free(y);
    if (!(worst <= 4.0))
        fail_msg("silu: %.3f ulp at %.9g", worst, (double)at);
}

/* Every kind through the row form (onnxbn_act_row: in place, every length around the 16 lanes, so
 * the masked rest is run) and the scalar form, against float64: the sigmoid within 3 ulp, the
 * products within 4, the hard gates within 2 plus what cancellation in lo·x + hi makes of the
 * product's rounding; and the forms of HardSigmoid/HardSwish give the same bits (no rounding
 * differs). */
static void kinds_rows(void **state)
{
    (void)state;
    float x[67], y[67], z[67];
    for (size_t i = 0; i < COUNT(x); i++)
        x[i] = (float)((double)i - 33.0) * 0.37f;
    x[0] = -100.0f;
    x[1] = 100.0f;
    x[2] = -0.0f;
    x[3] = 3.0f;  /* HardSwish's knee: 3/6 + 1/2 = 1 */
    x[4] = -3.0f; /* and its zero */
    x[5] = -2.5f; /* HardSigmoid(0.2, 0.5) at 0 */
    const float params[][2] = {{0, 0}, {0, 0}, {0.2f, 0.5f}, {1.0f / 6, 0.5f}};
    for (int k = 3; k <= 6; k++) {
        const float lo = params[k - 3][0], hi = params[k - 3][1];
        for (size_t n = 1; n <= COUNT(x); n += (n < 34 ? 1 : 11)) {
            memcpy(y, x, sizeof x);
            onnxbn_act_row(y, n, k, lo, hi);
            onnxbn_act_map(x, z, n, k, lo, hi);
            for (size_t i = 0; i < n; i++) {
                const double r = ref_act(k, x[i], lo, hi), e = fabs((double)y[i] - r);
                /* the hard gates: 2 ulp, and where lo·x + hi cancels, the rounding of lo·x
                 * (2^-24·|lo·x|, times |x| for HardSwish) */
                const double bound = k == 3 ? 3.0 : k == 4 ? 4.0 : 2.0;
                const double cancel = k < 5 ? 0 : 6e-8 * fabs(x[i]) * (k == 6 ? fabs(x[i]) : 1.0);
                assert_true(memcmp(&y[i], &z[i], sizeof y[i]) == 0); /* in place = out of place */
                if (fabs(r) < FLT_MIN) {
                    if (!(e <= FLT_MIN))
                        fail_msg("kind %d n %zu: f(%g) = %g, want %g", k, n, (double)x[i],
                                 (double)y[i], r);
                } else if (!(e <= bound * ulp_at(r) + cancel)) {
                    fail_msg("kind %d n %zu: f(%.9g) = %.9g, want %.9g (%.2f ulp)", k, n,
                             (double)x[i], (double)y[i], r, e / ulp_at(r));
                }
                const float s = onnxbn_act1(x[i], k, lo, hi);
                if (k >= 5)
                    assert_true(memcmp(&s, &y[i], sizeof s) == 0);
                else if (!(fabs((double)s - r) <=
                           bound * ulp_at(r) + (fabs(r) < FLT_MIN ? FLT_MIN : 0)))
                    fail_msg("act1 kind %d: f(%.9g) = %.9g, want %.9g", k, (double)x[i],
                             (double)s, r);
            }
        }
    }
    /* Relu and Clip through the map, out of place: the input copied, then clamped */
    onnxbn_act_map(x, z, COUNT(x), 2, -1.0f, 2.0f);
    for (size_t i = 0; i < COUNT(x); i++)
        assert_true(z[i] == (x[i] < -1.0f ? -1.0f : x[i] > 2.0f ? 2.0f : x[i]));
    /* exact points and NaN */
    const float sp[] = {0.0f, INFINITY, -INFINITY, NAN, 3.0f, -3.0f};
    float o[COUNT(sp)];
    memcpy(o, sp, sizeof sp);
    onnxbn_act_row(o, COUNT(o), 3, 0, 0);
    assert_true(o[0] == 0.5f && o[1] == 1.0f && o[2] == 0.0f && isnan(o[3]));
    memcpy(o, sp, sizeof sp);
    onnxbn_act_row(o, COUNT(o), 6, 1.0f / 6, 0.5f);
    assert_true(o[0] == 0.0f && o[1] == INFINITY && isnan(o[3]) && o[4] == 3.0f && o[5] == 0.0f);
    memcpy(o, sp, sizeof sp);
    onnxbn_act_row(o, COUNT(o), 5, 0.2f, 0.5f);
    assert_true(o[0] == 0.5f && o[1] == 1.0f && o[2] == 0.0f && isnan(o[3]));
}

/* ---- fusions, through small models ---- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}
static float urand(uint32_t *s) { return (float)lcg(s) / (float)(1u << 24) * 2.0f - 1.0f; }

/* A Conv's shape: C in, M out, k×k kernel, `group` groups, an H×W image, padding k/2. */
typedef struct conv_case {
    const char *what;
    int C, M, k, group, H, W;
} conv_case;

/* The conv in float64 (NCHW, one image, stride 1, padding k/2). */
static void conv_ref(const conv_case *cc, const float *x, const float *w, const float *b, double *y)
{
    const int cg = cc->C / cc->group, mg = cc->M / cc->group, p = cc->k / 2;
    for (int m = 0; m < cc->M; m++)
        for (int i = 0; i < cc->H; i++)
            for (int j = 0; j < cc->W; j++) {
                double acc = b[m];
                const int g = m / mg;
                for (int c = 0; c < cg; c++)
                    for (int u = 0; u < cc->k; u++)
                        for (int v = 0; v < cc->k; v++) {
                            const int ii = i + u - p, jj = j + v - p;
                            if (ii < 0 || jj < 0 || ii >= cc->H || jj >= cc->W)
                                continue;
                            acc += (double)w[((m * cg + c) * cc->k + u) * cc->k + v] *
                                   x[((g * cg + c) * cc->H + ii) * cc->W + jj];
                        }
                y[(m * cc->H + i) * cc->W + j] = acc;
            }
}

/* The activation patterns after the Conv "conv" (output t): the node names the test looks for
 * are "gate" and "mul". */
enum pat { P_SILU, P_HSWISH_GATED, P_SIGMOID, P_HARDSIGMOID, P_HARDSWISH, P_COUNT };
static const char *const pat_name[] = {"x·Sigmoid(x)", "x·HardSigmoid(x)", "Sigmoid",
                                       "HardSigmoid", "HardSwish"};

/* keep: 0 nothing else reads t or the gate; 1 the gate's output is a graph output too; 2 t is a
 * graph output too. Either of the last two stops the fusion (the nodes then run apart). */
static mk_model *conv_model(const conv_case *cc, enum pat p, int keep, const float *w,
                            const float *b)
{
    mk_model *m = mk_new(p == P_HARDSWISH ? 14 : 13);
    const int64_t xd[] = {1, cc->C, cc->H, cc->W}, yd[] = {1, cc->M, cc->H, cc->W},
                  wd[] = {cc->M, cc->C / cc->group, cc->k, cc->k}, bd[] = {cc->M};
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(m, "w", 4, wd, w);
    mk_init_f32(m, "b", 1, bd, b);
    mk_node *c = mk_node_add(m, "Conv", "conv", "x,w,b", "t");
    const int64_t pads[] = {cc->k / 2, cc->k / 2, cc->k / 2, cc->k / 2};
    mk_attr_ints(c, "pads", 4, pads);
    mk_attr_i(c, "group", cc->group);
    const char *out = "y";
    switch (p) {
    case P_SILU:
        mk_node_add(m, "Sigmoid", "gate", "t", "s");
        mk_node_add(m, "Mul", "mul", keep == 1 ? "s,t" : "t,s", "y");
        break;
    case P_HSWISH_GATED: {
        mk_node *h = mk_node_add(m, "HardSigmoid", "gate", "t", "s");
        mk_attr_f(h, "alpha", 0.2f); /* not HardSwish's 1/6: the gate's own alpha is used */
        mk_node_add(m, "Mul", "mul", "s,t", "y");
        break;
    }
    case P_SIGMOID: mk_node_add(m, "Sigmoid", "gate", "t", "y"); break;
    case P_HARDSIGMOID: {
        mk_node *h = mk_node_add(m, "HardSigmoid", "gate", "t", "y");
        mk_attr_f(h, "alpha", 1.0f / 6);
        mk_attr_f(h, "beta", 0.25f);
        break;
    }
    default: mk_node_add(m, "HardSwish", "gate", "t", "y"); break;
    }
    mk_output(m, out, ONNXBN_FLOAT, 4, yd);
    if (keep == 1 && (p == P_SILU || p == P_HSWISH_GATED))
        mk_output(m, "s", ONNXBN_FLOAT, 4, yd);
    if (keep == 2)
        mk_output(m, "t", ONNXBN_FLOAT, 4, yd);
    return m;
}

static double pat_ref(enum pat p, double t)
{
    switch (p) {
    case P_SILU: return ref_act(4, t, 0, 0);
    case P_HSWISH_GATED: return ref_act(6, t, 0.2, 0.5);
    case P_SIGMOID: return ref_act(3, t, 0, 0);
    case P_HARDSIGMOID: return ref_act(5, t, 1.0 / 6, 0.25);
    default: return ref_act(6, t, 1.0 / 6, 0.5);
    }
}

/* Each Conv path (the packed 1x1 kernel with its whole tiles, masked tile and lone columns;
 * depthwise; im2col; the tiny 1x1 of a squeeze-excitation block on a 1x1 image, which takes
 * SGEMM and the row epilogue) with each pattern: fused, the activation's nodes run no more, the
 * output is the float64 conv's activation (atol 2e-5, rtol 1e-5: the conv's float sums), and
 * it is the unfused nodes' output within 4 ulp (at the level in force both run the same
 * activation code; clang may contract the portable forms differently), at one and two threads.
 * Unfused when the gate or t is also a graph output. */
static void conv_fused(void **state)
{
    (void)state;
    static const conv_case cases[] = {
        {"1x1 packed", 16, 24, 1, 1, 10, 10}, /* 100 pixels: 2 tiles of 48, a masked rest */
        {"1x1 7x7", 16, 24, 1, 1, 7, 7},      /* 49 = 48 + one lone column */
        {"depthwise 3x3", 8, 8, 3, 8, 9, 9},
        {"depthwise 5x5", 8, 8, 5, 8, 6, 6},
        {"3x3 im2col", 4, 8, 3, 1, 6, 6},
        {"SE 1x1 on 1x1", 24, 6, 1, 1, 1, 1},
    };
    uint32_t seed = 7;
    for (size_t ci = 0; ci < COUNT(cases); ci++) {
        const conv_case *cc = &cases[ci];
        const size_t nx = (size_t)cc->C * cc->H * cc->W, ny = (size_t)cc->M * cc->H * cc->W,
                     nw = (size_t)cc->M * (cc->C / cc->group) * cc->k * cc->k;
        float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
        float *b = malloc(cc->M * sizeof *b);
        float *want = malloc(ny * sizeof *want), *apart = malloc(ny * sizeof *apart);
        double *t = malloc(ny * sizeof *t);
        assert_true(x && w && b && want && apart && t);
        for (size_t i = 0; i < nx; i++)
            x[i] = urand(&seed) * 2.0f;
        /* sums of up to 25·16 terms: scaled so that t spans about ±8, both sides of every knee */
        const float ws = 3.0f / sqrtf((float)(cc->C / cc->group * cc->k * cc->k));
        for (size_t i = 0; i < nw; i++)
            w[i] = urand(&seed) * ws;
        for (int i = 0; i < cc->M; i++)
            b[i] = urand(&seed);
        conv_ref(cc, x, w, b, t);
        const int64_t xd[] = {1, cc->C, cc->H, cc->W}, yd[] = {1, cc->M, cc->H, cc->W};
        mk_feed f = {"x", 0, 4, xd, x};
        for (int p = 0; p < P_COUNT; p++) {
            for (size_t i = 0; i < ny; i++)
                want[i] = (float)pat_ref((enum pat)p, t[i]);
            const bool gated = p == P_SILU || p == P_HSWISH_GATED;
            for (int th = 1; th <= 2; th++) { /* two threads split the Conv and its epilogue */
                /* apart: the Conv's output t is also a graph output (at the same thread count:
                 * the Conv's split may order its sums otherwise) */
                mk_model *m = conv_model(cc, (enum pat)p, 2, w, b);
                onnxbn_session *s = prof_open(m, th);
                mk_run_ok(s, 1, &f);
                assert_int_equal(prof_runs(s, "gate"), 1);
                if (gated) /* a Sigmoid then takes its Mul in (plan.c's fusable_silu), no Conv */
                    assert_int_equal(prof_runs(s, "mul"), p == P_SILU ? 0 : 1);
                memcpy(apart, onnxbn_tensor_data((onnxbn_tensor *)onnxbn_session_output(s, 0)),
                       ny * sizeof *apart);
                mk_expect_f32(s, 0, 4, yd, want, 2e-5, 1e-5);
                onnxbn_session_free(s);
                mk_free(m);
                if (gated) { /* the gate also an output: apart too, and the same values */
                    m = conv_model(cc, (enum pat)p, 1, w, b);
                    s = prof_open(m, th);
                    mk_run_ok(s, 1, &f);
                    assert_int_equal(prof_runs(s, "gate"), 1);
                    assert_int_equal(prof_runs(s, "mul"), 1);
                    mk_expect_f32(s, 0, 4, yd, apart, 1e-37, 4.8e-7);
                    onnxbn_session_free(s);
                    mk_free(m);
                }
                m = conv_model(cc, (enum pat)p, 0, w, b);
                s = prof_open(m, th);
                for (int r = 0; r < 2; r++) { /* twice: the arena reused gives the same */
                    mk_run_ok(s, 1, &f);
                    if (prof_runs(s, "gate") != 0 || (gated && prof_runs(s, "mul") != 0))
                        fail_msg("%s, %s: not fused", cc->what, pat_name[p]);
                    mk_expect_f32(s, 0, 4, yd, want, 2e-5, 1e-5);
                    mk_expect_f32(s, 0, 4, yd, apart, 1e-37, 4.8e-7);
                }
                onnxbn_session_free(s);
                mk_free(m);
            }
        }
        free(x);
        free(w);
        free(b);
        free(want);
        free(apart);
        free(t);
    }
}

/* Not fused: the Sigmoid's output multiplied by another tensor (the squeeze-excitation scale):
 * the Sigmoid goes into the Conv (it alone reads t), the Mul runs, broadcasting s over H×W; and
 * Gemm takes a Sigmoid too. Values against float64. */
static void se_scale_and_gemm(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, 4, 1, 1}, wd[] = {3, 4, 1, 1}, bd[] = {3}, ud[] = {1, 3, 2, 2};
    const float w[] = {1, -1, 0.5f, 2, 0, 1, -2, 1, 0.25f, 0.5f, -0.5f, 1};
    const float b[] = {0.1f, -0.2f, 0.3f};
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_input(m, "u", ONNXBN_FLOAT, 4, ud);
    mk_init_f32(m, "w", 4, wd, w);
    mk_init_f32(m, "b", 1, bd, b);
    mk_node_add(m, "Conv", "conv", "x,w,b", "t");
    mk_node_add(m, "Sigmoid", "gate", "t", "s");
    mk_node_add(m, "Mul", "mul", "u,s", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 4, ud);
    const float x[] = {1, 2, -1, 0.5f}, u[] = {1, 2, 3, 4, -1, -2, -3, -4, 0.5f, 0, 8, 1};
    float want[12];
    for (int c = 0; c < 3; c++) {
        double tv = b[c];
        for (int k = 0; k < 4; k++)
            tv += (double)w[c * 4 + k] * x[k];
        for (int i = 0; i < 4; i++)
            want[c * 4 + i] = (float)(u[c * 4 + i] * sigmoid_d(tv));
    }
    onnxbn_session *s = prof_open(m, 1);
    mk_feed f[] = {{"x", 0, 4, xd, x}, {"u", 0, 4, ud, u}};
    mk_run_ok(s, 2, f);
    assert_int_equal(prof_runs(s, "gate"), 0);
    assert_int_equal(prof_runs(s, "mul"), 1);
    mk_expect_f32(s, 0, 4, ud, want, 1e-6, 1e-6);
    onnxbn_session_free(s);
    mk_free(m);

    /* Gemm(a, B, c) → Sigmoid, and → x·Sigmoid(x) */
    for (int gated = 0; gated < 2; gated++) {
        m = mk_new(13);
        const int64_t ad[] = {2, 3}, Bd[] = {3, 2}, yd[] = {2, 2};
        const float a[] = {1, -2, 0.5f, 3, 0, -1}, B[] = {0.5f, -1, 2, 0.25f, -0.5f, 1};
        mk_input(m, "a", ONNXBN_FLOAT, 2, ad);
        mk_init_f32(m, "B", 2, Bd, B);
        mk_node_add(m, "Gemm", "gemm", "a,B", "t");
        mk_node_add(m, "Sigmoid", "gate", "t", gated ? "s" : "y");
        if (gated)
            mk_node_add(m, "Mul", "mul", "t,s", "y");
        mk_output(m, "y", ONNXBN_FLOAT, 2, yd);
        float gw[4];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double tv = 0;
                for (int k = 0; k < 3; k++)
                    tv += (double)a[i * 3 + k] * B[k * 2 + j];
                gw[i * 2 + j] = (float)(gated ? tv * sigmoid_d(tv) : sigmoid_d(tv));
            }
        s = prof_open(m, 1);
        mk_feed fa = {"a", 0, 2, ad, a};
        mk_run_ok(s, 1, &fa);
        assert_int_equal(prof_runs(s, "gate"), 0);
        if (gated)
            assert_int_equal(prof_runs(s, "mul"), 0);
        mk_expect_f32(s, 0, 2, yd, gw, 1e-6, 1e-6);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds_rows),
        cmocka_unit_test(silu_sweep),
        cmocka_unit_test(conv_fused),
        cmocka_unit_test(se_scale_and_gemm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
