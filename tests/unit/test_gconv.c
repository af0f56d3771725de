/* SPDX-License-Identifier: Apache-2.0 */
/* test_gconv.c — the grouped-conv kernel (kernels/gconv.c): its phase planes exactly, and its tiles
 * (the CPU's and the portable loop) against a double-precision convolution of one group. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/gconv.h"
#include "kernels/isa.h"

#include "convtest.h"

typedef struct gcase {
    int64_t cg, mg, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} gcase;

static onnxbn_conv_geom geom(const gcase *k)
{
    onnxbn_conv_geom g;
    memset(&g, 0, sizeof g);
    g.nsp = 2;
    g.img[0] = k->H;
    g.img[1] = k->W;
    g.k[0] = k->kh;
    g.k[1] = k->kw;
    g.stride[0] = k->sh;
    g.stride[1] = k->sw;
    g.dil[0] = k->dh;
    g.dil[1] = k->dw;
    g.pad[0] = k->pt;
    g.pad[1] = k->pl;
    g.grid[0] = (k->H + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1;
    g.grid[1] = (k->W + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1;
    return g;
}

/* Image value of channel c at padded position (P, Q), zero in the padding. */
static float at(const gcase *k, const float *x, int64_t c, int64_t P, int64_t Q)
{
    const int64_t ih = P - k->pt, iw = Q - k->pl;
    return ih < 0 || ih >= k->H || iw < 0 || iw >= k->W ? 0.0f : x[(c * k->H + ih) * k->W + iw];
}

static void run_case(const gcase *k)
{
    const onnxbn_conv_geom g = geom(k);
    onnxbn_gconv_geom q;
    assert_true(onnxbn_gconv_init(&q, &g, (size_t)k->cg, (size_t)k->mg));
    assert_int_equal(q.mr, k->mg % 8 == 0 ? 8 : 4);
    const size_t K = (size_t)(k->cg * k->kh * k->kw), OH = (size_t)g.grid[0],
                 OW = (size_t)g.grid[1];
    float *x = fresh((size_t)(k->cg * k->H * k->W), 41), *w = fresh((size_t)k->mg * K, 42);
    /* the planes and the wide output with a guard float after each */
    const size_t np = onnxbn_gconv_planes_floats(&q), ny = onnxbn_gconv_out_floats(&q);
    float *pl = malloc((np + 1) * sizeof *pl), *wp = malloc(onnxbn_gconv_packed_floats(&q) * sizeof *wp);
    float *y = malloc((ny + 1) * sizeof *y), *yp = malloc((ny + 1) * sizeof *yp);
    assert_true(pl && wp && y && yp);
    pl[np] = y[ny] = yp[ny] = 12345.0f;
    onnxbn_gconv_phases_f32(&q, x, pl);
    assert_true(pl[np] == 12345.0f);
    /* every plane element is the padded input at its phase position, exactly */
    const size_t s0 = (size_t)k->sh, s1 = (size_t)k->sw;
    for (size_t c = 0; c < (size_t)k->cg; c++)
        for (size_t ph = 0; ph < q.phases; ph++)
            for (size_t i = 0; i < q.hq; i++)
                for (size_t j = 0; j < q.wq; j++) {
                    const float want = at(k, x, (int64_t)c, (int64_t)(s0 * i + ph / s1),
                                          (int64_t)(s1 * j + ph % s1));
                    const float got = pl[(c * q.phases + ph) * q.plane + i * q.wq + j];
                    if (got != want)
                        fail_msg("phase plane c %zu phase %zu (%zu, %zu): %g, expected %g", c, ph, i,
                                 j, (double)got, (double)want);
                }
    onnxbn_gconv_pack(&q, w, wp);
    onnxbn_gconv_f32(&q, wp, pl, y);
    onnxbn_gconv_portable_f32(&q, wp, pl, yp);
    assert_true(y[ny] == 12345.0f && yp[ny] == 12345.0f);
    for (size_t m = 0; m < (size_t)k->mg; m++)
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                double ref = 0.0, mag = 0.0;
                for (int64_t c = 0; c < k->cg; c++)
                    for (int64_t a = 0; a < k->kh; a++)
                        for (int64_t b = 0; b < k->kw; b++) {
                            const double t =
                                (double)w[m * K + (size_t)((c * k->kh + a) * k->kw + b)] *
                                at(k, x, c, (int64_t)oh * k->sh + a * k->dh,
                                   (int64_t)ow * k->sw + b * k->dw);
                            ref += t;
                            mag += fabs(t);
                        }
                const double tol = (double)(K + 2) * U_F32 * mag;
                const float got[2] = {y[m * q.n + oh * q.wq + ow], yp[m * q.n + oh * q.wq + ow]};
                for (int v = 0; v < 2; v++) {
                    const double e = fabs((double)got[v] - ref);
                    if (!(e <= tol))
                        fail_msg("%s: cg %lld mg %lld %lldx%lld k %lldx%lld s %lld,%lld: m %zu (%zu, "
                                 "%zu) = %.9g, expected %.9g (bound %.3g)",
                                 v ? "portable" : "kernel", (long long)k->cg, (long long)k->mg,
                                 (long long)k->H, (long long)k->W, (long long)k->kh,
                                 (long long)k->kw, (long long)k->sh, (long long)k->sw, m, oh, ow,
                                 (double)got[v], ref, tol);
                }
            }
    free(x);
    free(w);
    free(pl);
    free(wp);
    free(y);
    free(yp);
}

/* Stride 1 and 2, dilation, asymmetric and zero pads, 4-row and 8-row panels, one and several
 * summation blocks (cg·taps past 128), images whose wide rows end in a partial tile of each width
 * and rows wider than 32 (the phase split's other loop). */
static void test_gconv_kernel(void **state)
{
    (void)state;
    /* cg, mg, H, W, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr */
    static const gcase cases[] = {
        {4, 4, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* ResNeXt layer1: 4-row panels */
        {8, 8, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* layer2 */
        {32, 32, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* layer4: 3 blocks of the sum */
        {16, 16, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* RegNet's stride-2 layer */
        {16, 16, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, /* wide rows, stride 2 */
        {8, 8, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {5, 12, 13, 11, 3, 3, 2, 1, 1, 1, 0, 1, 1, 0},   /* strides differ, asymmetric pads */
        {3, 20, 15, 17, 3, 5, 1, 2, 2, 1, 2, 0, 1, 2},   /* dilation, 3x5 */
        {6, 24, 9, 40, 5, 5, 2, 2, 2, 2, 3, 4, 3, 4},    /* stride and dilation 2 */
        {40, 8, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     /* cg·taps 360 */
        {2, 4, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},      /* one pixel */
        {3, 16, 8, 8, 8, 8, 1, 1, 1, 1, 0, 0, 0, 0},     /* 64 taps, one output pixel */
        {7, 28, 20, 33, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},   /* 1x1 at stride 2 */
        {4, 8, 10, 10, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0},    /* no pads */
        {4, 8, 10, 10, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2},    /* a pad wider than the stride */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* What the path refuses: the caller then takes im2col. */
static void test_gconv_refuses(void **state)
{
    (void)state;
    onnxbn_gconv_geom q;
    const gcase ok = {16, 16, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    onnxbn_conv_geom g = geom(&ok);
    assert_true(onnxbn_gconv_init(&q, &g, 16, 16));
    assert_false(onnxbn_gconv_init(&q, &g, 16, 6)); /* not whole 4-row panels */
    assert_false(onnxbn_gconv_init(&q, &g, 0, 16));
    g.stride[1] = 3;
    assert_false(onnxbn_gconv_init(&q, &g, 16, 16));
    g = geom(&ok);
    g.k[0] = g.k[1] = 9; /* 81 taps */
    assert_false(onnxbn_gconv_init(&q, &g, 16, 16));
    g = geom(&ok);
    g.nsp = 1;
    assert_false(onnxbn_gconv_init(&q, &g, 16, 16));
    g = geom(&ok);
    g.grid[0] = (int64_t)1 << 40;
    assert_false(onnxbn_gconv_init(&q, &g, 16, 16));
    /* the tile runs only where the level in force is AVX-512 (ONNXBN_ISA caps it) */
    if (onnxbn_gconv_fast())
        assert_true(onnxbn_isa() >= ONNXBN_ISA_AVX512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gconv_kernel),
        cmocka_unit_test(test_gconv_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
