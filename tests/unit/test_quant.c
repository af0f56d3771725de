/* SPDX-License-Identifier: Apache-2.0 */
/* test_quant.c — the quantized operators and their int8 product: every ISA loop of kernels/qgemm.c
 * against an int64 reference over all sign combinations and zero-point forms, the rounding and
 * saturation edges, hand-computed operator values, per-axis scales and the bad inputs' errors. */
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
#include "kernels/qgemm.h"
#include "kernels/quantize.h"
#include "mkmodel.h"

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* The product of the quantized operators, exactly: Σk (a - za)(b - zb) in int64. */
static int64_t ref_dot(const uint8_t *a, int as, const uint8_t *b, int bs, size_t K, size_t N,
                       size_t m, size_t n, int32_t za, int32_t zb)
{
    int64_t s = 0;
    for (size_t k = 0; k < K; k++) {
        const int32_t av = as ? (int8_t)a[m * K + k] : a[m * K + k];
        const int32_t bv = bs ? (int8_t)b[k * N + n] : b[k * N + n];
        s += (int64_t)(av - za) * (bv - zb);
    }
    return s;
}

static void one_gemm(onnxbn_qgemm_impl impl, size_t M, size_t N, size_t K, int as, int bs,
                     int per_row, int per_col, int extreme)
{
    uint8_t *a = malloc(M * K + 1), *b = malloc(K * N + 1);
    int32_t *za = malloc((M + 1) * 4), *zb = malloc((N + 1) * 4), *c = malloc(M * N * 4 + 4);
    int32_t *asum = malloc(M * 4 + 4), *bsum = malloc(N * 4 + 4);
    assert_non_null(a), assert_non_null(b), assert_non_null(c);
    for (size_t i = 0; i < M * K; i++)
        a[i] = extreme ? (as ? 0x80 : 0xff) : (uint8_t)rnd(); /* -128 or 255 */
    for (size_t i = 0; i < K * N; i++)
        b[i] = extreme ? (bs ? 0x80 : 0xff) : (uint8_t)rnd();
    for (size_t i = 0; i < M + 1; i++)
        za[i] = extreme ? (as ? 127 : 0) : as ? (int8_t)rnd() : (uint8_t)rnd();
    for (size_t i = 0; i < N + 1; i++)
        zb[i] = extreme ? (bs ? 127 : 0) : bs ? (int8_t)rnd() : (uint8_t)rnd();
    void *pa = onnxbn_alloc(onnxbn_qgemm_a_bytes(impl, M, K));
    void *pb = onnxbn_alloc(onnxbn_qgemm_b_bytes(impl, K, N));
    onnxbn_qgemm_pack_a(impl, M, K, a, K, as, pa, asum);
    onnxbn_qgemm_pack_b(impl, K, N, b, N, bs, pb, bsum);
    const onnxbn_qgemm_zp zp = {za, zb, per_row ? 1 : 0, per_col ? 1 : 0, as, bs};
    onnxbn_qgemm(impl, M, N, K, pa, asum, pb, bsum, &zp, c, N);
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            const int64_t want = ref_dot(a, as, b, bs, K, N, m, n, za[per_row ? m : 0],
                                         zb[per_col ? n : 0]);
            if ((int64_t)c[m * N + n] != want)
                fail_msg("impl %d M%zu N%zu K%zu signs a%d b%d zp %d/%d: c[%zu][%zu] = %d, want %lld",
                         (int)impl, M, N, K, as, bs, per_row, per_col, m, n, c[m * N + n],
                         (long long)want);
        }
    onnxbn_free(pa), onnxbn_free(pb);
    free(a), free(b), free(za), free(zb), free(c), free(asum), free(bsum);
}

/* Every loop this CPU can run, over edge sizes (one row, one column, k not a multiple of the
 * group, partial row blocks and panels), all four sign combinations and per-tensor,
 * per-row and per-column zero points. */
static void test_qgemm_impls(void **state)
{
    (void)state;
    static const size_t Ms[] = {1, 5, 6, 7, 13, 64}, Ns[] = {1, 3, 16, 17, 31, 32, 33, 70};
    static const size_t Ks[] = {1, 2, 3, 4, 5, 9, 64, 577};
    int ran = 0;
    for (int impl = ONNXBN_QGEMM_GENERIC; impl <= ONNXBN_QGEMM_VNNI; impl++) {
        if (!onnxbn_qgemm_can((onnxbn_qgemm_impl)impl))
            continue;
        ran++;
        for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
            for (size_t j = 0; j < sizeof Ns / sizeof *Ns; j++)
                for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++) {
                    const int combo = (int)((i + j + k) % 4);
                    one_gemm((onnxbn_qgemm_impl)impl, Ms[i], Ns[j], Ks[k], combo & 1, combo >> 1,
                             (int)(k & 1), (int)(j & 1), 0);
                }
        /* the extreme products: (-128 - 127)^2 and 255^2 per term, where a 16-bit pair sum
         * (vpmaddubsw) would saturate */
        for (int s = 0; s < 4; s++)
            one_gemm((onnxbn_qgemm_impl)impl, 7, 33, 300, s & 1, s >> 1, 0, 0, 1);
    }
    assert_true(ran >= 1);
    /* this machine's test runs must reach the loops it has: VNNI and AVX2 where the CPU does */
    if (onnxbn_qgemm_can(ONNXBN_QGEMM_VNNI))
        assert_int_equal(ran, 3);
}

/* rint ties to even, then the zero point, then saturation; long rows take the vector loop. */
static void test_requant(void **state)
{
    (void)state;
    int32_t acc[40];
    static const int32_t hand[8] = {5, 7, -5, -7, 1000, -1000, 3, 0};
    /* mult 0.5: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -3.5 -> -4, 500 -> sat, -500 -> sat, 1.5 -> 2 */
    uint8_t yu[40];
    int8_t ys[40];
    for (int rep = 0; rep < 5; rep++)
        memcpy(acc + rep * 8, hand, sizeof hand);
    onnxbn_requant_row(acc, 40, 0.5f, 10, 0, yu);
    onnxbn_requant_row(acc, 40, 0.5f, -10, 1, ys);
    static const uint8_t want_u[8] = {12, 14, 8, 6, 255, 0, 12, 10};
    static const int8_t want_s[8] = {-8, -6, -12, -14, 127, -128, -8, -10};
    for (int i = 0; i < 40; i++) {
        assert_int_equal(yu[i], want_u[i % 8]);
        assert_int_equal(ys[i], want_s[i % 8]);
    }
    /* rows below 8 (the scalar loop on every ISA) agree */
    memset(yu, 0, sizeof yu);
    onnxbn_requant_row(acc, 7, 0.5f, 10, 0, yu);
    assert_memory_equal(yu, want_u, 7);
    /* an infinite multiplier (y_scale 0) saturates without an undefined cast; NaN goes low */
    onnxbn_requant_row(acc, 40, INFINITY, 0, 0, yu);
    assert_int_equal(yu[0], 255);
    assert_int_equal(yu[5], 0);
    assert_int_equal(yu[7], 0); /* 0 * inf = NaN */
    onnxbn_requant_row(acc, 7, INFINITY, 0, 0, yu);
    assert_int_equal(yu[0], 255);
    assert_int_equal(yu[5], 0);
}

/* im2col on bytes against the definition, with padding read as the zero point. */
static void test_im2col_u8(void **state)
{
    (void)state;
    onnxbn_conv_geom g = {.nsp = 2};
    const int64_t H = 5, W = 6, k0 = 3, k1 = 2;
    for (int variant = 0; variant < 3; variant++) {
        g.img[0] = H, g.img[1] = W, g.k[0] = k0, g.k[1] = k1;
        g.stride[0] = 1 + (variant == 1), g.stride[1] = 1 + (variant >= 1);
        g.dil[0] = 1, g.dil[1] = 1 + (variant == 2);
        g.pad[0] = 1, g.pad[1] = variant == 2 ? 2 : 1;
        for (int d = 0; d < 2; d++)
            g.grid[d] = (g.img[d] + 2 * g.pad[d] - (g.k[d] - 1) * g.dil[d] - 1) / g.stride[d] + 1;
        uint8_t img[2 * 5 * 6], col[2 * 6 * 64];
        for (size_t i = 0; i < sizeof img; i++)
            img[i] = (uint8_t)(i + 1);
        const size_t rows = (size_t)g.grid[0], L = (size_t)g.grid[1];
        for (size_t row0 = 0; row0 < rows; row0++) {
            const size_t nr = rows - row0 < 2 ? rows - row0 : 2;
            onnxbn_im2col_u8(&g, 2, img, row0, nr, 200, col);
            for (size_t ch = 0; ch < 2; ch++)
                for (int64_t a = 0; a < k0; a++)
                    for (int64_t b = 0; b < k1; b++)
                        for (size_t r = 0; r < nr; r++)
                            for (size_t q = 0; q < L; q++) {
                                const int64_t ih = (int64_t)(row0 + r) * g.stride[0] - g.pad[0] + a * g.dil[0];
                                const int64_t iw = (int64_t)q * g.stride[1] - g.pad[1] + b * g.dil[1];
                                const uint8_t want = ih < 0 || ih >= H || iw < 0 || iw >= W
                                                         ? 200
                                                         : img[ch * 30 + (size_t)(ih * W + iw)];
                                assert_int_equal(col[((ch * 3 + (size_t)a) * 2 + (size_t)b) * nr * L + r * L + q], want);
                            }
        }
    }
    /* 1-D and 3-D go through the general loop: a 1-D case by hand */
    onnxbn_conv_geom g1 = {.nsp = 1, .img = {4}, .grid = {4}, .k = {3}, .stride = {1}, .dil = {1}, .pad = {1}};
    const uint8_t x1[4] = {1, 2, 3, 4};
    uint8_t c1[12];
    onnxbn_im2col_u8(&g1, 1, x1, 0, 1, 9, c1);
    static const uint8_t w1[12] = {9, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 9};
    assert_memory_equal(c1, w1, 12);
}

/* QuantizeLinear and DequantizeLinear on hand values: ties to even, saturation, int8 and uint8,
 * per-axis scales (13), and int32 input. */
static void test_quantize_ops(void **state)
{
    (void)state;
    const int64_t d7[1] = {7}, one[1] = {1};
    const float x[7] = {0.0f, 1.0f, 5.0f, -5.0f, 600.0f, -600.0f, 7.0f};
    {
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 1, d7);
        mk_output(m, "y", ONNXBN_INT8, 1, d7);
        const float s = 2.0f;
        const int8_t z = -1;
        mk_init(m, "s", ONNXBN_FLOAT, 0, NULL, &s);
        mk_init(m, "z", ONNXBN_INT8, 0, NULL, &z);
        mk_node_add(m, "QuantizeLinear", "q", "x,s,z", "y");
        /* x/2 = 0, 0.5, 2.5, -2.5, 300, -300, 3.5 -> 0, 0, 2, -2, sat, sat, 4; then -1 */
        const int8_t want[7] = {-1, -1, 1, -3, 127, -128, 3};
        const mk_feed f = {"x", ONNXBN_FLOAT, 1, d7, x};
        mk_check_bytes(m, 1, &f, ONNXBN_INT8, 1, d7, want);
        mk_free(m);
    }
    {
        /* no zero point: uint8, zero point 0 (opset 10) */
        mk_model *m = mk_new(10);
        mk_input(m, "x", ONNXBN_FLOAT, 1, d7);
        mk_output(m, "y", ONNXBN_UINT8, 1, d7);
        const float s = 0.5f;
        mk_init(m, "s", ONNXBN_FLOAT, 1, one, &s);
        mk_node_add(m, "QuantizeLinear", "q", "x,s", "y");
        const uint8_t want[7] = {0, 2, 10, 0, 255, 0, 14};
        const mk_feed f = {"x", ONNXBN_FLOAT, 1, d7, x};
        mk_check_bytes(m, 1, &f, ONNXBN_UINT8, 1, d7, want);
        mk_free(m);
    }
    {
        /* per axis 0 of a 2x3, int32 input */
        const int64_t d23[2] = {2, 3}, d2[1] = {2};
        const int32_t xi[6] = {10, 15, -25, 10, 15, 1000};
        const float s[2] = {10.0f, 5.0f};
        const uint8_t z[2] = {100, 0};
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_INT32, 2, d23);
        mk_output(m, "y", ONNXBN_UINT8, 2, d23);
        mk_init(m, "s", ONNXBN_FLOAT, 1, d2, s);
        mk_init(m, "z", ONNXBN_UINT8, 1, d2, z);
        mk_attr_i(mk_node_add(m, "QuantizeLinear", "q", "x,s,z", "y"), "axis", 0);
        const uint8_t want[6] = {101, 102, 98, 2, 3, 200};
        const mk_feed f = {"x", ONNXBN_INT32, 2, d23, xi};
        mk_check_bytes(m, 1, &f, ONNXBN_UINT8, 2, d23, want);
        mk_free(m);
    }
    {
        /* DequantizeLinear per axis 1 (the default) of 1x2x2, int8 */
        const int64_t d[3] = {1, 2, 2}, d2[1] = {2};
        const int8_t xq[4] = {-128, 127, 0, -1};
        const float s[2] = {0.5f, 2.0f};
        const int8_t z[2] = {-128, 1};
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_INT8, 3, d);
        mk_output(m, "y", ONNXBN_FLOAT, 3, d);
        mk_init(m, "s", ONNXBN_FLOAT, 1, d2, s);
        mk_init(m, "z", ONNXBN_INT8, 1, d2, z);
        mk_node_add(m, "DequantizeLinear", "dq", "x,s,z", "y");
        onnxbn_session *ss = mk_open_ok(m);
        const mk_feed f = {"x", ONNXBN_INT8, 3, d, xq};
        mk_run_ok(ss, 1, &f);
        const float want[4] = {0.0f, 127.5f, -2.0f, -4.0f};
        mk_expect_f32(ss, 0, 3, d, want, 0, 0);
        onnxbn_session_free(ss);
        mk_free(m);
    }
}

/* DynamicQuantizeLinear: the spec's example (scale 0.0196078438, zero point 153). */
static void test_dynamic_quantize(void **state)
{
    (void)state;
    const int64_t d6[1] = {6};
    const float x[6] = {0, 2, -3, -2.5f, 1.34f, 0.5f};
    mk_model *m = mk_new(11);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d6);
    mk_output(m, "y", ONNXBN_UINT8, 1, d6);
    mk_output(m, "s", ONNXBN_FLOAT, 0, NULL);
    mk_output(m, "z", ONNXBN_UINT8, 0, NULL);
    mk_node_add(m, "DynamicQuantizeLinear", "dq", "x", "y,s,z");
    onnxbn_session *s = mk_open_ok(m);
    const mk_feed f = {"x", ONNXBN_FLOAT, 1, d6, x};
    mk_run_ok(s, 1, &f);
    const float sc = 5.0f / 255.0f;
    mk_expect_f32(s, 1, 0, NULL, &sc, 0, 0);
    const uint8_t zp = 153;
    mk_expect_bytes(s, 2, ONNXBN_UINT8, 0, NULL, &zp);
    /* round(x / scale) + 153 with the division in float, as the spec's reference (numpy float32)
     * does it: 0 -> 153, 2 -> 102 + 153 = 255, -3 -> -153 + 153 = 0, -2.5 -> -127.49999 (not
     * -127.5: the float scale is a little above 5/255) -> -127 + 153 = 26, 1.34 -> 68.34 -> 221,
     * 0.5 -> 25.5 -> 26 (ties to even) + 153 = 179 */
    const uint8_t want[6] = {153, 255, 0, 26, 221, 179};
    mk_expect_bytes(s, 0, ONNXBN_UINT8, 1, d6, want);
    /* all zeros: scale 0 and zero point 0, no division by zero */
    const float z6[6] = {0};
    const mk_feed f0 = {"x", ONNXBN_FLOAT, 1, d6, z6};
    mk_run_ok(s, 1, &f0);
    const float zero = 0;
    mk_expect_f32(s, 1, 0, NULL, &zero, 0, 0);
    const uint8_t zeros[6] = {0};
    mk_expect_bytes(s, 0, ONNXBN_UINT8, 1, d6, zeros);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A session on m with `threads` threads (the int8 Conv splits its chunks over the pool). */
static onnxbn_session *open_threads(const mk_model *m, int threads)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err);
    free(buf);
    if (!st)
        st = onnxbn_session_new(model, &opt, &s, &err);
    if (st)
        fail_msg("open with %d threads: %s", threads, err.msg);
    return s;
}

/* QLinearConv and ConvInteger against the definition (int64 sums, then the float requant) over
 * random int8/uint8 data, per-channel weight scales and zero points, stride, padding and group. */
static void conv_case(int xs8, int ws8, int ys8, int64_t group, int64_t stride, int64_t pad,
                      int qlinear)
{
    const int64_t N = 2, C = 4, H = 7, W = 9, M = 6, k = 3;
    const int64_t Cg = C / group, Mg = M / group;
    const int64_t OH = (H + 2 * pad - k) / stride + 1, OW = (W + 2 * pad - k) / stride + 1;
    const int64_t xd[4] = {N, C, H, W}, wd[4] = {M, Cg, k, k}, yd[4] = {N, M, OH, OW};
    const int64_t md[1] = {M};
    uint8_t x[2 * 4 * 7 * 9], w[6 * 4 * 9], wz[6];
    int32_t bias[6];
    float ws[6];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = (uint8_t)rnd();
    for (size_t i = 0; i < (size_t)(M * Cg * k * k); i++)
        w[i] = (uint8_t)rnd();
    for (int m = 0; m < M; m++) {
        wz[m] = (uint8_t)(rnd() % 7 + (ws8 ? 0 : 120));
        ws[m] = 0.001f * (float)(m + 1);
        bias[m] = (int32_t)(rnd() % 2001) - 1000;
    }
    const uint8_t xz = xs8 ? (uint8_t)(int8_t)-3 : 130, yz = ys8 ? 5 : 120;
    const float xsc = 0.02f, ysc = 0.01f;
    const onnxbn_dtype xt = xs8 ? ONNXBN_INT8 : ONNXBN_UINT8, wt = ws8 ? ONNXBN_INT8 : ONNXBN_UINT8;
    const onnxbn_dtype yt = qlinear ? (ys8 ? ONNXBN_INT8 : ONNXBN_UINT8) : ONNXBN_INT32;
    mk_model *mm = mk_new(10);
    mk_input(mm, "x", xt, 4, xd);
    mk_output(mm, "y", yt, 4, yd);
    mk_init(mm, "w", wt, 4, wd, w);
    mk_init(mm, "xz", xt, 0, NULL, &xz);
    mk_init(mm, "wz", wt, 1, md, wz);
    mk_node *n;
    if (qlinear) {
        mk_init(mm, "xs", ONNXBN_FLOAT, 0, NULL, &xsc);
        mk_init(mm, "ws", ONNXBN_FLOAT, 1, md, ws);
        mk_init(mm, "ys", ONNXBN_FLOAT, 0, NULL, &ysc);
        mk_init(mm, "yz", yt, 0, NULL, &yz);
        mk_init(mm, "b", ONNXBN_INT32, 1, md, bias);
        n = mk_node_add(mm, "QLinearConv", "qc", "x,xs,xz,w,ws,wz,ys,yz,b", "y");
    } else {
        n = mk_node_add(mm, "ConvInteger", "ci", "x,w,xz,wz", "y");
    }
    const int64_t pads[4] = {pad, pad, pad, pad}, strides[2] = {stride, stride};
    mk_attr_ints(n, "pads", 4, pads);
    mk_attr_ints(n, "strides", 2, strides);
    mk_attr_i(n, "group", group);
    const size_t ny = (size_t)(N * M * OH * OW);
    int32_t *want = calloc(ny, 4);
    uint8_t *wantq = calloc(ny, 1);
    for (int64_t b = 0; b < N; b++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    int64_t s = 0;
                    const int64_t g = m / Mg;
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t e = 0; e < k; e++) {
                                const int64_t ih = oh * stride - pad + a, iw = ow * stride - pad + e;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue; /* the zero point: contributes 0 */
                                const uint8_t xr = x[((b * C + g * Cg + c) * H + ih) * W + iw];
                                const uint8_t wr = w[((m * Cg + c) * k + a) * k + e];
                                const int64_t xv = xs8 ? (int8_t)xr : xr, wv = ws8 ? (int8_t)wr : wr;
                                const int64_t xzv = xs8 ? (int8_t)xz : xz, wzv = ws8 ? (int8_t)wz[m] : wz[m];
                                s += (xv - xzv) * (wv - wzv);
                            }
                    const size_t at = (size_t)(((b * M + m) * OH + oh) * OW + ow);
                    want[at] = (int32_t)s;
                    const float v = rintf((float)(int32_t)(s + bias[m]) * (xsc * ws[m] / ysc)) +
                                    (float)(ys8 ? (int8_t)yz : yz);
                    const float lo = ys8 ? -128.0f : 0.0f, hi = ys8 ? 127.0f : 255.0f;
                    const float q = v < lo ? lo : v > hi ? hi : v;
                    wantq[at] = ys8 ? (uint8_t)(int8_t)q : (uint8_t)q;
                }
    const mk_feed f = {"x", xt, 4, xd, x};
    if (qlinear)
        mk_check_bytes(mm, 1, &f, yt, 4, yd, wantq);
    else
        mk_check_bytes(mm, 1, &f, yt, 4, yd, want);
    /* the same bytes on two threads */
    onnxbn_session *s2 = open_threads(mm, 2);
    mk_run_ok(s2, 1, &f);
    mk_expect_bytes(s2, 0, yt, 4, yd, qlinear ? (const void *)wantq : (const void *)want);
    onnxbn_session_free(s2);
    free(want);
    free(wantq);
    mk_free(mm);
}

static void test_qconv(void **state)
{
    (void)state;
    for (int s = 0; s < 8; s++) {
        conv_case(s & 1, (s >> 1) & 1, (s >> 2) & 1, 1, 1, 1, 1);
        conv_case(s & 1, (s >> 1) & 1, 0, (s & 1) ? 2 : 1, 2, s & 1, 0);
    }
    conv_case(0, 1, 0, 2, 1, 0, 1);
}

/* MatMulInteger on the spec's example, and QLinearMatMul with per-column b scales. */
static void test_qmatmul(void **state)
{
    (void)state;
    const int64_t ad[2] = {4, 3}, bd[2] = {3, 2}, yd[2] = {4, 2};
    const uint8_t a[12] = {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0};
    const uint8_t az = 12;
    const uint8_t b[6] = {1, 4, 2, 5, 3, 6};
    const int32_t want[8] = {-38, -83, -44, -98, -50, -113, -56, -128};
    mk_model *m = mk_new(10);
    mk_input(m, "A", ONNXBN_UINT8, 2, ad);
    mk_output(m, "Y", ONNXBN_INT32, 2, yd);
    mk_init(m, "B", ONNXBN_UINT8, 2, bd, b);
    mk_init(m, "az", ONNXBN_UINT8, 0, NULL, &az);
    mk_node_add(m, "MatMulInteger", "mmi", "A,B,az", "Y");
    const mk_feed f = {"A", ONNXBN_UINT8, 2, ad, a};
    mk_check_bytes(m, 1, &f, ONNXBN_INT32, 2, yd, want);
    mk_free(m);

    /* QLinearMatMul, int8 a and b, b per column: y = rint(acc · sa·sb[n]/sy) + zy */
    const int64_t d2[1] = {2};
    const int8_t qa[12] = {-128, 127, 3, 10, -6, 2, 9, 5, 1, 8, 4, 0}, qb[6] = {1, -4, 2, 5, -3, 127};
    const int8_t qaz = 1, qbz[2] = {0, -1}, qyz = -2;
    const float sa = 0.5f, sb[2] = {0.25f, 0.125f}, sy = 1.0f;
    mk_model *q = mk_new(10);
    mk_input(q, "a", ONNXBN_INT8, 2, ad);
    mk_output(q, "y", ONNXBN_INT8, 2, yd);
    mk_init(q, "sa", ONNXBN_FLOAT, 0, NULL, &sa);
    mk_init(q, "za", ONNXBN_INT8, 0, NULL, &qaz);
    mk_init(q, "b", ONNXBN_INT8, 2, bd, qb);
    mk_init(q, "sb", ONNXBN_FLOAT, 1, d2, sb);
    mk_init(q, "zb", ONNXBN_INT8, 1, d2, qbz);
    mk_init(q, "sy", ONNXBN_FLOAT, 0, NULL, &sy);
    mk_init(q, "zy", ONNXBN_INT8, 0, NULL, &qyz);
    mk_node_add(q, "QLinearMatMul", "qmm", "a,sa,za,b,sb,zb,sy,zy", "y");
    int8_t wq[8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) {
            int32_t s = 0;
            for (int k = 0; k < 3; k++)
                s += (qa[i * 3 + k] - qaz) * (qb[k * 2 + j] - qbz[j]);
            float v = rintf((float)s * (sa * sb[j] / sy)) + (float)qyz;
            wq[i * 2 + j] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    /* by hand for row 0, column 0: (-129)(1) + (126)(2) + (2)(-3) = 117; · 0.125 = 14.625 -> 15 - 2 */
    assert_int_equal(wq[0], 13);
    const mk_feed fq = {"a", ONNXBN_INT8, 2, ad, qa};
    mk_check_bytes(q, 1, &fq, ONNXBN_INT8, 2, yd, wq);
    mk_free(q);
}

/* Bad inputs: one error naming the node, never a crash. */
static void test_quant_errors(void **state)
{
    (void)state;
    const int64_t d23[2] = {2, 3}, d4[1] = {4}, d2[1] = {2};
    const float s4[4] = {1, 1, 1, 1};
    {
        /* a zero point whose type is not x's (DequantizeLinear) */
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_UINT8, 2, d23);
        mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
        const float s = 1;
        const int8_t z = 0;
        mk_init(m, "s", ONNXBN_FLOAT, 0, NULL, &s);
        mk_init(m, "z", ONNXBN_INT8, 0, NULL, &z);
        mk_node_add(m, "DequantizeLinear", "deq_bad", "x,s,z", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_TYPE, "deq_bad");
        mk_free(m);
    }
    {
        /* a scale with 4 values for an axis of 3 */
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
        mk_output(m, "y", ONNXBN_UINT8, 2, d23);
        mk_init(m, "s", ONNXBN_FLOAT, 1, d4, s4);
        mk_node_add(m, "QuantizeLinear", "q_axis", "x,s", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "q_axis");
        mk_free(m);
    }
    {
        /* per-axis scales at opset 10, which has none */
        mk_model *m = mk_new(10);
        mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
        mk_output(m, "y", ONNXBN_UINT8, 2, d23);
        mk_init(m, "s", ONNXBN_FLOAT, 1, d2, s4);
        mk_node_add(m, "QuantizeLinear", "q10", "x,s", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "q10");
        mk_free(m);
    }
    {
        /* a float zero point for QuantizeLinear's output */
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
        mk_output(m, "y", ONNXBN_UINT8, 2, d23);
        const float s = 1, z = 0;
        mk_init(m, "s", ONNXBN_FLOAT, 0, NULL, &s);
        mk_init(m, "z", ONNXBN_FLOAT, 0, NULL, &z);
        mk_node_add(m, "QuantizeLinear", "q_zf", "x,s,z", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_TYPE, "q_zf");
        mk_free(m);
    }
    {
        /* MatMulInteger: inner dimensions differ; a zero point of the other sign */
        const int64_t ad[2] = {2, 3}, bd[2] = {4, 2};
        const uint8_t b[8] = {0};
        mk_model *m = mk_new(10);
        mk_input(m, "A", ONNXBN_UINT8, 2, ad);
        mk_output(m, "Y", ONNXBN_INT32, -1, NULL);
        mk_init(m, "B", ONNXBN_UINT8, 2, bd, b);
        mk_node_add(m, "MatMulInteger", "mmi_bad", "A,B", "Y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "mmi_bad");
        mk_free(m);
        const int64_t bd2[2] = {3, 2};
        const int8_t az = 0;
        m = mk_new(10);
        mk_input(m, "A", ONNXBN_UINT8, 2, ad);
        mk_output(m, "Y", ONNXBN_INT32, -1, NULL);
        mk_init(m, "B", ONNXBN_UINT8, 2, bd2, b);
        mk_init(m, "az", ONNXBN_INT8, 0, NULL, &az);
        mk_node_add(m, "MatMulInteger", "mmi_zp", "A,B,az", "Y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_TYPE, "mmi_zp");
        mk_free(m);
    }
    {
        /* QLinearConv: w_scale with the wrong count of channels; a float x */
        const int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {3, 2, 1, 1}, d3[1] = {2};
        const int8_t w[6] = {0};
        const float one = 1, ws[2] = {1, 1};
        const uint8_t z = 0;
        const int8_t wz[2] = {0, 0};
        mk_model *m = mk_new(10);
        mk_input(m, "x", ONNXBN_UINT8, 4, xd);
        mk_output(m, "y", ONNXBN_UINT8, -1, NULL);
        mk_init(m, "w", ONNXBN_INT8, 4, wd, w);
        mk_init(m, "s", ONNXBN_FLOAT, 0, NULL, &one);
        mk_init(m, "z", ONNXBN_UINT8, 0, NULL, &z);
        mk_init(m, "ws", ONNXBN_FLOAT, 1, d3, ws);
        mk_init(m, "wz", ONNXBN_INT8, 1, d3, wz);
        mk_node_add(m, "QLinearConv", "qc_bad", "x,s,z,w,ws,wz,s,z", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_SHAPE, "qc_bad");
        mk_free(m);
        m = mk_new(10);
        mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
        mk_output(m, "y", ONNXBN_INT32, -1, NULL);
        mk_init(m, "w", ONNXBN_INT8, 4, wd, w);
        mk_node_add(m, "ConvInteger", "ci_float", "x,w", "y");
        mk_expect_fail(m, 0, NULL, ONNXBN_ERR_TYPE, "ci_float");
        mk_free(m);
    }
}

/* Empty tensors run and produce empty outputs: no rows (MatMulInteger), no batch (ConvInteger),
 * no input channels (ConvInteger: every output is 0), nothing to quantize. */
static void test_quant_empty(void **state)
{
    (void)state;
    {
        const int64_t ad[2] = {0, 3}, bd[2] = {3, 2}, yd[2] = {0, 2};
        const uint8_t b[6] = {1, 2, 3, 4, 5, 6};
        mk_model *m = mk_new(10);
        mk_input(m, "A", ONNXBN_UINT8, 2, ad);
        mk_output(m, "Y", ONNXBN_INT32, 2, yd);
        mk_init(m, "B", ONNXBN_UINT8, 2, bd, b);
        mk_node_add(m, "MatMulInteger", "mmi0", "A,B", "Y");
        const uint8_t none[1] = {0};
        const mk_feed f = {"A", ONNXBN_UINT8, 2, ad, none};
        mk_check_bytes(m, 1, &f, ONNXBN_INT32, 2, yd, none);
        mk_free(m);
    }
    for (int variant = 0; variant < 2; variant++) {
        /* variant 0: batch 0; 1: zero input channels */
        const int64_t C = variant ? 0 : 2, N = variant ? 1 : 0;
        const int64_t xd[4] = {N, C, 3, 3}, wd[4] = {2, C, 2, 2}, yd[4] = {N, 2, 2, 2};
        const int8_t w[16] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
        mk_model *m = mk_new(10);
        mk_input(m, "x", ONNXBN_UINT8, 4, xd);
        mk_output(m, "y", ONNXBN_INT32, 4, yd);
        mk_init(m, "w", ONNXBN_INT8, 4, wd, w);
        mk_node_add(m, "ConvInteger", "ci0", "x,w", "y");
        const int32_t zeros[8] = {0};
        const uint8_t none[1] = {0};
        const mk_feed f = {"x", ONNXBN_UINT8, 4, xd, none};
        mk_check_bytes(m, 1, &f, ONNXBN_INT32, 4, yd, zeros);
        mk_free(m);
    }
    {
        const int64_t d0[1] = {0};
        const float s = 1.0f, none[1] = {0};
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 1, d0);
        mk_output(m, "y", ONNXBN_UINT8, 1, d0);
        mk_init(m, "s", ONNXBN_FLOAT, 0, NULL, &s);
        mk_node_add(m, "QuantizeLinear", "q0", "x,s", "y");
        const mk_feed f = {"x", ONNXBN_FLOAT, 1, d0, none};
        mk_check_bytes(m, 1, &f, ONNXBN_UINT8, 1, d0, none);
        mk_free(m);
        m = mk_new(11);
        mk_input(m, "x", ONNXBN_FLOAT, 1, d0);
        mk_output(m, "y", ONNXBN_UINT8, 1, d0);
        mk_output(m, "ys", ONNXBN_FLOAT, 0, NULL);
        mk_output(m, "yz", ONNXBN_UINT8, 0, NULL);
        mk_node_add(m, "DynamicQuantizeLinear", "dq0", "x", "y,ys,yz");
        mk_check_bytes(m, 1, &f, ONNXBN_UINT8, 1, d0, none);
        mk_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qgemm_impls),   cmocka_unit_test(test_requant),
        cmocka_unit_test(test_im2col_u8),     cmocka_unit_test(test_quantize_ops),
        cmocka_unit_test(test_dynamic_quantize), cmocka_unit_test(test_qconv),
        cmocka_unit_test(test_qmatmul),       cmocka_unit_test(test_quant_errors),
        cmocka_unit_test(test_quant_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
