/* SPDX-License-Identifier: Apache-2.0 */
/* test_fft.c — the FFT kernel (radix 2, mixed radix, Bluestein) against a long-double naive DFT
 * over 1..130 and longer lengths; DFT, STFT, windows and MelWeightMatrix as nodes; bad inputs. */
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
#include "kernels/fft.h"
#include "mkmodel.h"

/* A fixed pseudo-random sequence in [-1, 1) (no CPU or libc dependence). */
static double rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / (double)(1ull << 52) - 1.0;
}

/* The textbook sum, in long double, with the phase jk reduced mod n exactly: the independent
 * reference. sign -1: forward, +1: inverse (unscaled). x and y are n complex interleaved. */
static void naive_dft(const double *x, double *y, size_t n, int sign)
{
    const long double pi = 3.141592653589793238462643383279502884L;
    long double *c = malloc(n * sizeof *c), *s = malloc(n * sizeof *s);
    assert_true(c && s);
    for (size_t q = 0; q < n; q++) { /* the n roots, each from its own exact phase */
        long double a = sign * 2 * pi * (long double)q / (long double)n;
        c[q] = cosl(a);
        s[q] = sinl(a);
    }
    for (size_t k = 0; k < n; k++) {
        long double re = 0, im = 0;
        for (size_t j = 0, q = 0; j < n; j++, q = (q + k) % n) { /* q = jk mod n */
            re += x[2 * j] * c[q] - x[2 * j + 1] * s[q];
            im += x[2 * j] * s[q] + x[2 * j + 1] * c[q];
        }
        y[2 * k] = (double)re;
        y[2 * k + 1] = (double)im;
    }
    free(c);
    free(s);
}

/* Largest |a - b| over 2n doubles, relative to the largest |b|. */
static double rel_err(const double *a, const double *b, size_t n)
{
    double e = 0, m = 0;
    for (size_t i = 0; i < 2 * n; i++) {
        e = fmax(e, fabs(a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return m > 0 ? e / m : e;
}

/* One length: forward and inverse against the naive sums, and inverse(forward(x)) / n = x. */
static void check_len(size_t n, double tol)
{
    uint64_t seed = 1234567 + n;
    double *x = malloc(2 * n * sizeof(double)), *y = malloc(2 * n * sizeof(double));
    double *ref = malloc(2 * n * sizeof(double));
    double *work = malloc((onnxbn_fft_scratch(n) + 1) * sizeof(double));
    assert_true(x && y && ref && work);
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = rnd(&seed);
    onnxbn_fft *p = onnxbn_fft_new(n);
    assert_non_null(p);
    assert_int_equal(onnxbn_fft_len(p), n);
    for (int inv = 0; inv < 2; inv++) {
        memcpy(y, x, 2 * n * sizeof(double));
        onnxbn_fft_run(p, y, inv, work);
        naive_dft(x, ref, n, inv ? 1 : -1);
        double e = rel_err(y, ref, n);
        if (e > tol)
            fail_msg("n=%zu %s: relative error %.3g above %.3g", n, inv ? "inverse" : "forward", e, tol);
    }
    memcpy(y, x, 2 * n * sizeof(double));
    onnxbn_fft_run(p, y, false, work);
    onnxbn_fft_run(p, y, true, work);
    for (size_t i = 0; i < 2 * n; i++)
        y[i] /= (double)n;
    double e = rel_err(y, x, n);
    if (e > tol)
        fail_msg("n=%zu: inverse(forward(x))/n is %.3g from x", n, e);
    onnxbn_fft_free(p);
    free(x);
    free(y);
    free(ref);
    free(work);
}

/* A few ulps times log n: 1e-13 is loose for double and tight against any wrong twiddle, index
 * or scaling (those are errors of order 1). */
static void test_fft_lengths(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 130; n++)
        check_len(n, 1e-13);
    const size_t more[] = {211, 256, 509, 512, 1000, 1021, 1024, 2048, 2310, 4099, 4913};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        check_len(more[i], 1e-13);
}

/* Hand-computed: an impulse becomes all ones, a constant becomes n at frequency 0, e^{2 pi i j/n}
 * becomes n at frequency 1; for each of the three paths. */
static void test_fft_known(void **state)
{
    (void)state;
    const size_t lens[] = {8, 12, 17}; /* radix 2, mixed radix, Bluestein */
    for (size_t t = 0; t < 3; t++) {
        size_t n = lens[t];
        double x[2 * 17], work[256];
        assert_true(onnxbn_fft_scratch(n) <= 256);
        onnxbn_fft *p = onnxbn_fft_new(n);
        assert_non_null(p);
        memset(x, 0, sizeof x);
        x[0] = 1;
        onnxbn_fft_run(p, x, false, work);
        for (size_t k = 0; k < n; k++) {
            assert_float_equal(x[2 * k], 1.0, 1e-15);
            assert_float_equal(x[2 * k + 1], 0.0, 1e-15);
        }
        for (size_t k = 0; k < n; k++) {
            x[2 * k] = 2.5;
            x[2 * k + 1] = 0;
        }
        onnxbn_fft_run(p, x, false, work);
        assert_float_equal(x[0], 2.5 * (double)n, 1e-13);
        for (size_t k = 1; k < 2 * n; k++)
            assert_float_equal(x[k], 0.0, 1e-13);
        for (size_t j = 0; j < n; j++) {
            x[2 * j] = cos(2 * M_PI * (double)j / (double)n);
            x[2 * j + 1] = sin(2 * M_PI * (double)j / (double)n);
        }
        onnxbn_fft_run(p, x, false, work);
        for (size_t k = 0; k < n; k++) {
            assert_float_equal(x[2 * k], k == 1 ? (double)n : 0.0, 1e-13);
            assert_float_equal(x[2 * k + 1], 0.0, 1e-13);
        }
        onnxbn_fft_free(p);
    }
    assert_null(onnxbn_fft_new(0));
    assert_null(onnxbn_fft_new(ONNXBN_FFT_MAX_N + 1));
    onnxbn_fft_free(NULL);
}

/* ---- as nodes ---- */

static onnxbn_session *open_threads(const mk_model *m, int threads)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.threads = threads;
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err);
    free(buf);
    if (!st)
        st = onnxbn_session_new(model, &opt, &s, &err);
    if (st)
        fail_msg("open: %s", err.msg);
    return s;
}

/* Output i of type float or double, shape dims, within tol (absolute + relative) of ref. */
static void expect_close(const onnxbn_session *s, size_t i, onnxbn_dtype dt, int rank,
                         const int64_t *dims, const double *ref, double tol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
    int64_t n = onnxbn_tensor_numel(t);
    for (int64_t k = 0; k < n; k++) {
        double g = dt == ONNXBN_FLOAT ? ((const float *)onnxbn_tensor_cdata(t))[k]
                                      : ((const double *)onnxbn_tensor_cdata(t))[k];
        if (!(fabs(g - ref[k]) <= tol * (1 + fabs(ref[k]))))
            fail_msg("element %lld: got %.12g, expected %.12g", (long long)k, g, ref[k]);
    }
}

/* DFT on X [B, L, C, comp] along axis 1 with the attributes given; dft_length an initializer
 * when n > 0. */
static mk_model *dft_model(onnxbn_dtype dt, const int64_t *xd, int axis, int inverse,
                           int onesided, int64_t n)
{
    mk_model *m = mk_new(17);
    mk_input(m, "X", dt, 4, xd);
    mk_output(m, "Y", dt, -1, NULL);
    if (n > 0)
        mk_init(m, "N", ONNXBN_INT64, 0, NULL, &n);
    mk_node *d = mk_node_add(m, "DFT", "d", n > 0 ? "X,N" : "X", "Y");
    mk_attr_i(d, "axis", axis);
    mk_attr_i(d, "inverse", inverse);
    if (onesided >= 0)
        mk_attr_i(d, "onesided", onesided);
    return m;
}

/* The reference of one DFT case: each line along axis 1 of [B, L, C, comp] taken to length n
 * (zero-padded or cut), transformed, scaled 1/n when inverse, the first `keep` bins. */
static void dft_ref(const double *x, const int64_t *xd, int64_t n, int inverse, int64_t keep,
                    double *y)
{
    int64_t B = xd[0], L = xd[1], C = xd[2], comp = xd[3];
    double line[2 * 64], out[2 * 64];
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            memset(line, 0, sizeof line);
            for (int64_t j = 0; j < n && j < L; j++) {
                const double *e = x + ((b * L + j) * C + c) * comp;
                line[2 * j] = e[0];
                line[2 * j + 1] = comp == 2 ? e[1] : 0;
            }
            naive_dft(line, out, (size_t)n, inverse ? 1 : -1);
            for (int64_t k = 0; k < keep; k++) {
                double *o = y + ((b * keep + k) * C + c) * 2;
                o[0] = out[2 * k] / (inverse ? (double)n : 1.0);
                o[1] = out[2 * k + 1] / (inverse ? (double)n : 1.0);
            }
        }
}

/* Every combination the spec allows on float and double, one thread and three: real and complex
 * input, forward and inverse, onesided, dft_length padding (12, a Bluestein length) and cutting. */
static void test_dft_node(void **state)
{
    (void)state;
    const int64_t lens[] = {0, 12, 3, 16}; /* 0: no dft_length (the axis, 9) */
    for (int dti = 0; dti < 2; dti++)
        for (int comp = 1; comp <= 2; comp++)
            for (int inverse = 0; inverse < 2; inverse++)
                for (int onesided = 0; onesided < 2; onesided++)
                    for (int li = 0; li < 4; li++) {
                        if (onesided && comp == 2)
                            continue;
                        onnxbn_dtype dt = dti ? ONNXBN_DOUBLE : ONNXBN_FLOAT;
                        int64_t xd[4] = {2, 9, 3, comp}, n = lens[li] ? lens[li] : 9;
                        int64_t keep = onesided ? n / 2 + 1 : n;
                        size_t numel = (size_t)(2 * 9 * 3 * comp);
                        double x[2 * 9 * 3 * 2], ref[2 * 16 * 3 * 2];
                        float xf[2 * 9 * 3 * 2];
                        uint64_t seed = 99;
                        for (size_t i = 0; i < numel; i++) {
                            xf[i] = (float)rnd(&seed);
                            x[i] = xf[i];
                        }
                        dft_ref(x, xd, n, inverse, keep, ref);
                        mk_model *m = dft_model(dt, xd, 1, inverse, onesided, lens[li]);
                        for (int threads = 1; threads <= 3; threads += 2) {
                            onnxbn_session *s = open_threads(m, threads);
                            mk_feed f = {"X", dt, 4, xd, dti ? (const void *)x : (const void *)xf};
                            mk_run_ok(s, 1, &f);
                            int64_t yd[4] = {2, keep, 3, 2};
                            expect_close(s, 0, dt, 4, yd, ref, dti ? 1e-13 : 1e-5);
                            onnxbn_session_free(s);
                        }
                        mk_free(m);
                    }
}

/* The axis counts over the whole shape; -2 is the last signal dim (axis 2 of rank 4). */
static void test_dft_axis(void **state)
{
    (void)state;
    const float x[2 * 3] = {1, 2, 3, 4, 5, 6}; /* [1, 2, 3, 1] */
    const int64_t xd[4] = {1, 2, 3, 1};
    /* DFT of [1,2,3]: 6, -1.5 + 0.866i, -1.5 - 0.866i; of [4,5,6]: 15, the same two. */
    const float h = 0.8660254f;
    const float want[12] = {6, 0, -1.5f, h, -1.5f, -h, 15, 0, -1.5f, h, -1.5f, -h};
    const int64_t yd[4] = {1, 2, 3, 2};
    const int axes[2] = {2, -2};
    for (int a = 0; a < 2; a++) {
        mk_model *m = dft_model(ONNXBN_FLOAT, xd, axes[a], 0, -1, 0);
        onnxbn_session *s = mk_open_ok(m);
        mk_feed f = {"X", ONNXBN_FLOAT, 4, xd, x};
        mk_run_ok(s, 1, &f);
        mk_expect_f32(s, 0, 4, yd, want, 1e-6, 1e-6);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* float16 in and out: computed in double, rounded once (bfloat16 takes the same path). */
static void test_dft_half(void **state)
{
    (void)state;
    const int64_t xd[4] = {1, 3, 1, 1}, yd[4] = {1, 3, 1, 2};
    uint16_t x[3], want[6];
    const float w[6] = {6, 0, -1.5f, 0.8660254f, -1.5f, -0.8660254f};
    for (int i = 0; i < 3; i++)
        x[i] = onnxbn_float_to_half((float)(i + 1));
    for (int i = 0; i < 6; i++)
        want[i] = onnxbn_float_to_half(w[i]);
    mk_model *m = dft_model(ONNXBN_FLOAT16, xd, 1, 0, -1, 0);
    mk_feed f = {"X", ONNXBN_FLOAT16, 4, xd, x};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 1, &f);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), ONNXBN_FLOAT16);
    for (int d = 0; d < 4; d++)
        assert_int_equal(onnxbn_tensor_dims(y)[d], yd[d]);
    const uint16_t *got = onnxbn_tensor_cdata(y);
    for (int i = 0; i < 6; i++) /* as values: a zero may come out as -0 */
        assert_true(onnxbn_half_to_float(got[i]) == onnxbn_half_to_float(want[i]));
    onnxbn_session_free(s);
    mk_free(m);
}

/* An empty axis without dft_length is an empty output, not a plan of length 0; with dft_length
 * it is a zero signal, padded. */
static void test_dft_empty(void **state)
{
    (void)state;
    const int64_t xd[4] = {2, 0, 3, 1}, y0[4] = {2, 0, 3, 2}, y4[4] = {2, 4, 3, 2};
    float x[1] = {0}, zeros[2 * 4 * 3 * 2] = {0};
    mk_feed f = {"X", ONNXBN_FLOAT, 4, xd, x};
    mk_model *m = dft_model(ONNXBN_FLOAT, xd, 1, 0, -1, 0);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 4, y0, NULL);
    mk_free(m);
    m = dft_model(ONNXBN_FLOAT, xd, 1, 0, -1, 4);
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 1, &f);
    mk_expect_f32(s, 0, 4, y4, zeros, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
    assert_int_equal(onnxbn_fft_plan_bytes(0), 0);
    assert_int_equal(onnxbn_fft_scratch(0), 0);
}

static void test_dft_errors(void **state)
{
    (void)state;
    const int64_t xd[4] = {1, 4, 4, 1}, xc[4] = {1, 4, 4, 2}, x3[4] = {1, 4, 4, 3};
    float x[32] = {0};
    mk_feed f = {"X", ONNXBN_FLOAT, 4, xd, x};
    mk_model *m;
    /* dft_length 0 and negative */
    const int64_t bad_n[2] = {0, -3};
    for (int i = 0; i < 2; i++) {
        m = mk_new(17);
        mk_input(m, "X", ONNXBN_FLOAT, 4, xd);
        mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
        mk_init(m, "N", ONNXBN_INT64, 0, NULL, &bad_n[i]);
        mk_node_add(m, "DFT", "d", "X,N", "Y");
        mk_expect_fail(m, 1, &f, ONNXBN_ERR_SHAPE, "node 'd' (DFT): input 'dft_length' ('N') is");
        mk_free(m);
    }
    /* axis 3 is the real/imaginary dim, -1 too; 4 and -5 are outside */
    const int bad_axes[4] = {3, -1, 4, -5};
    for (int i = 0; i < 4; i++) {
        m = dft_model(ONNXBN_FLOAT, xd, bad_axes[i], 0, -1, 0);
        mk_expect_fail(m, 1, &f, ONNXBN_ERR_SHAPE, "node 'd' (DFT): attribute 'axis'");
        mk_free(m);
    }
    /* onesided on complex input */
    m = dft_model(ONNXBN_FLOAT, xc, 1, 0, 1, 0);
    mk_feed fc = {"X", ONNXBN_FLOAT, 4, xc, x};
    mk_expect_fail(m, 1, &fc, ONNXBN_ERR_SHAPE, "node 'd' (DFT): onesided=1 needs a real input");
    mk_free(m);
    /* a plan above 512 MiB (a prime near 2^24: Bluestein at 2^25), and past the longest */
    const int64_t big[2] = {16777213, (int64_t)1 << 40};
    const char *big_msg[2] = {"node 'd' (DFT): dft_length 16777213 needs an FFT plan of 1023 MiB",
                              "node 'd' (DFT): dft_length 1099511627776 is above the longest"};
    for (int i = 0; i < 2; i++) {
        m = dft_model(ONNXBN_FLOAT, xd, 1, 0, -1, big[i]);
        mk_expect_fail(m, 1, &f, ONNXBN_ERR_LIMIT, big_msg[i]);
        mk_free(m);
    }
    assert_int_equal(onnxbn_fft_plan_bytes(8), 5 * 16); /* (8/2 + 1) complex twiddles */
    /* a last dim that is neither 1 nor 2 */
    m = dft_model(ONNXBN_FLOAT, x3, 1, 0, -1, 0);
    float x48[48] = {0};
    mk_feed f3 = {"X", ONNXBN_FLOAT, 4, x3, x48};
    mk_expect_fail(m, 1, &f3, ONNXBN_ERR_SHAPE, "node 'd' (DFT): input 'input' ('X') must be");
    mk_free(m);
    /* inverse must be 0 or 1; integer input is refused */
    m = dft_model(ONNXBN_FLOAT, xd, 1, 2, -1, 0);
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "node 'd' (DFT): attribute 'inverse' is 2");
    mk_free(m);
    int32_t xi[16] = {0};
    m = dft_model(ONNXBN_INT32, xd, 1, 0, -1, 0);
    mk_feed fi = {"X", ONNXBN_INT32, 4, xd, xi};
    mk_expect_fail(m, 1, &fi, ONNXBN_ERR_TYPE, "node 'd' (DFT)");
    mk_free(m);
}

/* STFT: signal [B, L, comp], frame_step S; window and/or frame_length as given (0: absent). */
static mk_model *stft_model(const int64_t *sd, int64_t step, int64_t wlen, int64_t flen,
                            int onesided)
{
    mk_model *m = mk_new(17);
    mk_input(m, "S", ONNXBN_FLOAT, 3, sd);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_init(m, "step", ONNXBN_INT64, 0, NULL, &step);
    if (wlen > 0) {
        float w[64];
        for (int64_t k = 0; k < wlen; k++)
            w[k] = (float)(0.5 - 0.5 * cos(2 * M_PI * (double)k / (double)wlen));
        mk_init_f32(m, "W", 1, &wlen, w);
    }
    if (flen > 0)
        mk_init(m, "L", ONNXBN_INT64, 0, NULL, &flen);
    char ins[32];
    snprintf(ins, sizeof ins, "S,step,%s%s", wlen > 0 ? "W" : "", flen > 0 ? ",L" : "");
    mk_node *n = mk_node_add(m, "STFT", "st", ins, "Y");
    if (onesided >= 0)
        mk_attr_i(n, "onesided", onesided);
    return m;
}

/* Frames of a real signal, with a Hann window of 10 (a Bluestein length) and without one (8),
 * onesided and not; a complex signal two-sided. Against the naive DFT of each frame. */
static void test_stft_node(void **state)
{
    (void)state;
    const int64_t L = 37;
    float sig[2 * 37 * 2];
    uint64_t seed = 5;
    for (int i = 0; i < 2 * 37 * 2; i++)
        sig[i] = (float)rnd(&seed);
    struct { int64_t comp, step, wlen, flen; int onesided; } cases[] = {
        {1, 4, 10, 0, -1}, {1, 3, 0, 8, 0}, {1, 5, 10, 10, 1}, {2, 6, 0, 9, 0},
    };
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        int64_t comp = cases[t].comp, fl = cases[t].wlen ? cases[t].wlen : cases[t].flen;
        int64_t sd[3] = {2, L, comp}, frames = (L - fl) / cases[t].step + 1;
        int64_t bins = cases[t].onesided == 0 ? fl : fl / 2 + 1;
        double ref[2 * 37 * 16 * 2], line[2 * 16], out[2 * 16];
        for (int64_t b = 0; b < 2; b++)
            for (int64_t f = 0; f < frames; f++) {
                for (int64_t j = 0; j < fl; j++) {
                    double w = cases[t].wlen ? (float)(0.5 - 0.5 * cos(2 * M_PI * (double)j / (double)fl)) : 1.0;
                    const float *e = sig + (b * L + f * cases[t].step + j) * comp;
                    line[2 * j] = e[0] * w;
                    line[2 * j + 1] = comp == 2 ? e[1] * w : 0;
                }
                naive_dft(line, out, (size_t)fl, -1);
                memcpy(ref + (b * frames + f) * bins * 2, out, (size_t)bins * 2 * sizeof(double));
            }
        mk_model *m = stft_model(sd, cases[t].step, cases[t].wlen, cases[t].flen, cases[t].onesided);
        for (int threads = 1; threads <= 2; threads++) {
            onnxbn_session *s = open_threads(m, threads);
            mk_feed f = {"S", ONNXBN_FLOAT, 3, sd, sig};
            mk_run_ok(s, 1, &f);
            int64_t yd[4] = {2, frames, bins, 2};
            expect_close(s, 0, ONNXBN_FLOAT, 4, yd, ref, 1e-5);
            onnxbn_session_free(s);
        }
        mk_free(m);
    }
}

static void test_stft_errors(void **state)
{
    (void)state;
    const int64_t sd[3] = {1, 8, 1}, sc[3] = {1, 8, 2};
    float sig[16] = {0};
    mk_feed f = {"S", ONNXBN_FLOAT, 3, sd, sig};
    mk_model *m = stft_model(sd, 2, 0, 9, -1); /* frame longer than the signal */
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_SHAPE,
                   "node 'st' (STFT): frame length 9 is longer than the signal 'S' (8 samples)");
    mk_free(m);
    m = stft_model(sd, 2, 4, 5, -1); /* window of 4, frame_length 5 */
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_SHAPE,
                   "node 'st' (STFT): input 'window' ('W') has 4 elements, frame_length is 5");
    mk_free(m);
    m = stft_model(sd, 0, 4, 0, -1); /* frame_step 0 */
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_SHAPE, "node 'st' (STFT): input 'frame_step' ('step') is 0");
    mk_free(m);
    m = stft_model(sd, 2, 0, 0, -1); /* no length at all */
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "node 'st' (STFT): needs 'window' or 'frame_length'");
    mk_free(m);
    m = stft_model(sc, 2, 4, 0, -1); /* complex signal, onesided by default */
    mk_feed fc = {"S", ONNXBN_FLOAT, 3, sc, sig};
    mk_expect_fail(m, 1, &fc, ONNXBN_ERR_SHAPE, "node 'st' (STFT): onesided=1 needs a real signal");
    mk_free(m);
}

/* A window op of `size` (an int32 initializer). */
static mk_model *window_model(const char *op, int32_t size, int periodic, int out_type)
{
    mk_model *m = mk_new(17);
    mk_init(m, "n", ONNXBN_INT32, 0, NULL, &size);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node *w = mk_node_add(m, op, "w", "n", "Y");
    if (periodic >= 0)
        mk_attr_i(w, "periodic", periodic);
    if (out_type)
        mk_attr_i(w, "output_datatype", out_type);
    return m;
}

/* Hand-computed windows (numpy's hanning, hamming and blackman for the symmetric ones). */
static void test_windows(void **state)
{
    (void)state;
    struct { const char *op; int32_t size; int periodic; double want[5]; } cases[] = {
        {"HannWindow", 4, -1, {0, 0.5, 1, 0.5}},
        {"HannWindow", 5, 0, {0, 0.5, 1, 0.5, 0}},
        {"HammingWindow", 4, 1, {2.0 / 23, 25.0 / 46, 1, 25.0 / 46}},
        {"HammingWindow", 5, 0, {2.0 / 23, 25.0 / 46, 1, 25.0 / 46, 2.0 / 23}},
        {"BlackmanWindow", 3, 0, {0, 1, 0}},
        {"BlackmanWindow", 4, 1, {0, 0.34, 1, 0.34}},
        {"HannWindow", 1, 0, {1}},
        {"HannWindow", 1, 1, {0}},
    };
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        mk_model *m = window_model(cases[t].op, cases[t].size, cases[t].periodic, ONNXBN_DOUBLE);
        onnxbn_session *s = mk_open_ok(m);
        mk_run_ok(s, 0, NULL);
        int64_t d = cases[t].size;
        expect_close(s, 0, ONNXBN_DOUBLE, 1, &d, cases[t].want, 1e-15);
        onnxbn_session_free(s);
        mk_free(m);
    }
    /* the default type is float; an empty window; int32 truncates as Cast does */
    mk_model *m = window_model("HannWindow", 4, -1, 0);
    const float hf[4] = {0, 0.5f, 1, 0.5f};
    const int64_t d4 = 4, d0 = 0;
    mk_check_bytes(m, 0, NULL, ONNXBN_FLOAT, 1, &d4, hf);
    mk_free(m);
    m = window_model("HammingWindow", 0, -1, 0);
    mk_check_bytes(m, 0, NULL, ONNXBN_FLOAT, 1, &d0, NULL);
    mk_free(m);
    m = window_model("HannWindow", 4, 1, ONNXBN_INT32);
    const int32_t hi[4] = {0, 0, 1, 0};
    mk_check_bytes(m, 0, NULL, ONNXBN_INT32, 1, &d4, hi);
    mk_free(m);
    /* bad: negative size, bool output, periodic 2 */
    m = window_model("HannWindow", -1, -1, 0);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "node 'w' (HannWindow): input 'size' ('n')");
    mk_free(m);
    m = window_model("BlackmanWindow", 3, -1, ONNXBN_BOOL);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_TYPE, "node 'w' (BlackmanWindow): attribute 'output_datatype'");
    mk_free(m);
    m = window_model("HammingWindow", 3, 2, 0);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_MODEL, "node 'w' (HammingWindow): attribute 'periodic' is 2");
    mk_free(m);
}

static mk_model *mel_model(int32_t bins, int32_t dft, int32_t rate, float lo, float hi)
{
    mk_model *m = mk_new(17);
    mk_init(m, "b", ONNXBN_INT32, 0, NULL, &bins);
    mk_init(m, "d", ONNXBN_INT32, 0, NULL, &dft);
    mk_init(m, "r", ONNXBN_INT32, 0, NULL, &rate);
    mk_init(m, "lo", ONNXBN_FLOAT, 0, NULL, &lo);
    mk_init(m, "hi", ONNXBN_FLOAT, 0, NULL, &hi);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node_add(m, "MelWeightMatrix", "mel", "b,d,r,lo,hi", "Y");
    return m;
}

/* The nonzero entries the ONNX reference (melweightmatrix.py, numpy float64) gives for 4 bins,
 * a DFT of 64, 16 kHz, 100 Hz to 8 kHz (edges at bins 0 1 4 7 13 20). */
static void test_mel(void **state)
{
    (void)state;
    static const struct { int r, c; double v; } nz[] = {
        {1, 0, 1}, {2, 0, 2.0 / 3}, {2, 1, 1.0 / 3}, {3, 0, 1.0 / 3}, {3, 1, 2.0 / 3}, {4, 1, 1},
        {5, 1, 2.0 / 3}, {5, 2, 1.0 / 3}, {6, 1, 1.0 / 3}, {6, 2, 2.0 / 3}, {7, 2, 1},
        {8, 2, 5.0 / 6}, {8, 3, 1.0 / 6}, {9, 2, 4.0 / 6}, {9, 3, 2.0 / 6}, {10, 2, 0.5},
        {10, 3, 0.5}, {11, 2, 2.0 / 6}, {11, 3, 4.0 / 6}, {12, 2, 1.0 / 6}, {12, 3, 5.0 / 6},
        {13, 3, 1}, {14, 3, 6.0 / 7}, {15, 3, 5.0 / 7}, {16, 3, 4.0 / 7}, {17, 3, 3.0 / 7},
        {18, 3, 2.0 / 7}, {19, 3, 1.0 / 7},
    };
    double want[33 * 4] = {0};
    for (size_t i = 0; i < sizeof nz / sizeof *nz; i++)
        want[nz[i].r * 4 + nz[i].c] = nz[i].v;
    mk_model *m = mel_model(4, 64, 16000, 100, 8000);
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 0, NULL);
    const int64_t d[2] = {33, 4};
    expect_close(s, 0, ONNXBN_FLOAT, 2, d, want, 1e-7);
    onnxbn_session_free(s);
    mk_free(m);
    /* past Nyquist, and an upper edge below the lower one */
    m = mel_model(4, 64, 16000, 100, 20000);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_ARG, "node 'mel' (MelWeightMatrix): band edge 5 falls past");
    mk_free(m);
    m = mel_model(1, 10000000, 1, 0, 1e12f); /* edge 1 lands near bin 8e12, of 5e6 */
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_ARG, "node 'mel' (MelWeightMatrix): band edge 1 falls past");
    mk_free(m);
    m = mel_model(4, 64, 16000, 500, 100);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_ARG, "node 'mel' (MelWeightMatrix): needs 0 <=");
    mk_free(m);
    m = mel_model(0, 64, 16000, 0, 100);
    mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "node 'mel' (MelWeightMatrix): input 'num_mel_bins'");
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft_lengths),
        cmocka_unit_test(test_fft_known),
        cmocka_unit_test(test_dft_node),
        cmocka_unit_test(test_dft_axis),
        cmocka_unit_test(test_dft_half),
        cmocka_unit_test(test_dft_empty),
        cmocka_unit_test(test_dft_errors),
        cmocka_unit_test(test_stft_node),
        cmocka_unit_test(test_stft_errors),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_mel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
