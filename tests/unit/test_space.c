/* SPDX-License-Identifier: Apache-2.0 */
/* test_space.c — DepthToSpace (DCR, CRD) and SpaceToDepth: hand-computed small cases, a reference
 * written as the spec's reshape-transpose-reshape in index arithmetic over several shapes and
 * element sizes, the round trip, and channels or sizes that do not divide refused. */
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

static mk_model *space_model(const char *op, int opset, onnxbn_dtype t, const int64_t *xd,
                             int64_t b, const char *mode)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", t, 4, xd);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node *n = mk_node_add(mm, op, "sp", "X", "Y");
    mk_attr_i(n, "blocksize", b);
    if (mode)
        mk_attr_s(n, "mode", mode);
    return mm;
}

static void test_space_small(void **state)
{
    (void)state;
    float x[8];
    for (int k = 0; k < 8; k++)
        x[k] = (float)k;
    const int64_t d8[] = {1, 8, 1, 1}, y8[] = {1, 2, 2, 2};
    mk_feed f = {"X", ONNXBN_FLOAT, 4, d8, x};
    /* DCR: out[c, i, j] = x[(i*2 + j)*2 + c]; the default mode, and DepthToSpace-1's only one */
    const float dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    const int opsets[] = {1, 11, 13};
    for (int k = 0; k < 3; k++) {
        mk_model *mm = space_model("DepthToSpace", opsets[k], ONNXBN_FLOAT, d8, 2, NULL);
        mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 4, y8, dcr);
        mk_free(mm);
    }
    mk_model *mm = space_model("DepthToSpace", 11, ONNXBN_FLOAT, d8, 2, "DCR");
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 4, y8, dcr);
    mk_free(mm);
    /* CRD: out[c, i, j] = x[c*4 + i*2 + j] */
    mm = space_model("DepthToSpace", 13, ONNXBN_FLOAT, d8, 2, "CRD");
    mk_check_bytes(mm, 1, &f, ONNXBN_FLOAT, 4, y8, x);
    mk_free(mm);
    /* SpaceToDepth of [1,2,2,2]: channel (i*2 + j)*2 + c holds x[c, i, j] */
    const int64_t s8[] = {1, 2, 2, 2};
    mk_feed fs = {"X", ONNXBN_FLOAT, 4, s8, x};
    mm = space_model("SpaceToDepth", 13, ONNXBN_FLOAT, s8, 2, NULL);
    mk_check_bytes(mm, 1, &fs, ONNXBN_FLOAT, 4, d8, (const float[]){0, 4, 1, 5, 2, 6, 3, 7});
    mk_free(mm);
}

/* The spec's formulas, element by element. DepthToSpace: y[n, c, h*b + i, w*b + j] =
 * x[n, DCR ? (i*b + j)*C' + c : c*b*b + i*b + j, h, w]. SpaceToDepth: y[n, (i*b + j)*C + c, h, w]
 * = x[n, c, h*b + i, w*b + j]. */
static void ref_d2s(const uint8_t *x, uint8_t *y, size_t es, const int64_t *d, int64_t b, bool crd)
{
    const int64_t n = d[0], ch = d[1], h = d[2], w = d[3], co = ch / (b * b);
    for (int64_t a = 0; a < n; a++)
        for (int64_t c = 0; c < co; c++)
            for (int64_t hh = 0; hh < h; hh++)
                for (int64_t i = 0; i < b; i++)
                    for (int64_t ww = 0; ww < w; ww++)
                        for (int64_t j = 0; j < b; j++) {
                            int64_t src_c = crd ? c * b * b + i * b + j : (i * b + j) * co + c;
                            int64_t src = ((a * ch + src_c) * h + hh) * w + ww;
                            int64_t dst = ((a * co + c) * h * b + hh * b + i) * w * b + ww * b + j;
                            memcpy(y + dst * es, x + src * es, es);
                        }
}

static void ref_s2d(const uint8_t *x, uint8_t *y, size_t es, const int64_t *d, int64_t b)
{
    const int64_t n = d[0], ch = d[1], h = d[2] / b, w = d[3] / b;
    for (int64_t a = 0; a < n; a++)
        for (int64_t c = 0; c < ch; c++)
            for (int64_t i = 0; i < b; i++)
                for (int64_t j = 0; j < b; j++)
                    for (int64_t hh = 0; hh < h; hh++)
                        for (int64_t ww = 0; ww < w; ww++) {
                            int64_t src = ((a * ch + c) * d[2] + hh * b + i) * d[3] + ww * b + j;
                            int64_t dst = ((a * ch * b * b + (i * b + j) * ch + c) * h + hh) * w + ww;
                            memcpy(y + dst * es, x + src * es, es);
                        }
}

static void space_case(onnxbn_dtype t, const int64_t *d, int64_t b)
{
    const size_t es = onnxbn_dtype_size(t);
    const int64_t n = d[0] * d[1] * d[2] * d[3];
    uint8_t *x = malloc((size_t)n * es), *want = malloc((size_t)n * es);
    assert_non_null(x);
    assert_non_null(want);
    for (size_t k = 0; k < (size_t)n * es; k++)
        x[k] = (uint8_t)(k * 13 + k / 7);
    mk_feed f = {"X", t, 4, d, x};
    for (int crd = 0; crd < 2; crd++) {
        const int64_t yd[] = {d[0], d[1] / (b * b), d[2] * b, d[3] * b};
        ref_d2s(x, want, es, d, b, crd);
        mk_model *mm = space_model("DepthToSpace", 13, t, d, b, crd ? "CRD" : "DCR");
        mk_check_bytes(mm, 1, &f, t, 4, yd, want);
        mk_free(mm);
    }
    /* SpaceToDepth of the same bytes seen as (N, C/b², H*b, W*b) */
    const int64_t sd[] = {d[0], d[1] / (b * b), d[2] * b, d[3] * b};
    mk_feed fs = {"X", t, 4, sd, x};
    ref_s2d(x, want, es, sd, b);
    mk_model *mm = space_model("SpaceToDepth", 13, t, sd, b, NULL);
    mk_check_bytes(mm, 1, &fs, t, 4, d, want);
    mk_free(mm);
    free(x);
    free(want);
}

static void test_space_reference(void **state)
{
    (void)state;
    space_case(ONNXBN_FLOAT, (const int64_t[]){2, 8, 3, 5}, 2);
    space_case(ONNXBN_UINT8, (const int64_t[]){1, 18, 4, 2}, 3);
    space_case(ONNXBN_BFLOAT16, (const int64_t[]){3, 4, 1, 1}, 2);
    space_case(ONNXBN_COMPLEX128, (const int64_t[]){1, 16, 2, 3}, 4);
    space_case(ONNXBN_INT64, (const int64_t[]){2, 5, 3, 2}, 1); /* blocksize 1: a copy */
}

/* SpaceToDepth then DepthToSpace (DCR) gives the input back. */
static void test_space_roundtrip(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 6, 4}, yd[] = {2, 12, 3, 2};
    float x[144];
    for (int k = 0; k < 144; k++)
        x[k] = (float)k * 0.5f - 7;
    mk_model *mm = mk_new(13);
    mk_input(mm, "X", ONNXBN_FLOAT, 4, d);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "Z", ONNXBN_FLOAT, -1, NULL);
    mk_attr_i(mk_node_add(mm, "SpaceToDepth", "s2d", "X", "Z"), "blocksize", 2);
    mk_attr_i(mk_node_add(mm, "DepthToSpace", "d2s", "Z", "Y"), "blocksize", 2);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f = {"X", ONNXBN_FLOAT, 4, d, x};
    mk_run_ok(s, 1, &f);
    mk_expect_bytes(s, 0, ONNXBN_FLOAT, 4, d, x);
    float z[144];
    ref_s2d((const uint8_t *)x, (uint8_t *)z, sizeof(float), d, 2);
    mk_expect_bytes(s, 1, ONNXBN_FLOAT, 4, yd, z);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_space_errors(void **state)
{
    (void)state;
    float x[72] = {0};
    const int64_t d6[] = {1, 6, 3, 4};
    mk_feed f = {"X", ONNXBN_FLOAT, 4, d6, x};
    mk_model *mm = space_model("DepthToSpace", 13, ONNXBN_FLOAT, d6, 2, NULL);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE,
                   "node 'sp' (DepthToSpace): input 'input' ('X') has 6 channels, not a multiple of blocksize² = 4");
    mk_free(mm);
    mm = space_model("SpaceToDepth", 13, ONNXBN_FLOAT, d6, 2, NULL);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE,
                   "node 'sp' (SpaceToDepth): input 'input' ('X') has height 3 and width 4, not both multiples of blocksize 2");
    mk_free(mm);
    mm = space_model("DepthToSpace", 13, ONNXBN_FLOAT, d6, 1, "RCD");
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_MODEL, "node 'sp' (DepthToSpace): attribute 'mode' is 'RCD', not DCR or CRD");
    mk_free(mm);
    mm = space_model("DepthToSpace", 13, ONNXBN_FLOAT, d6, 0, NULL);
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_MODEL, "node 'sp' (DepthToSpace): attribute 'blocksize' is 0");
    mk_free(mm);
    /* bfloat16 only from 13 */
    uint16_t h[4] = {0};
    const int64_t d4[] = {1, 4, 1, 1};
    mm = space_model("SpaceToDepth", 11, ONNXBN_BFLOAT16, d4, 1, NULL);
    mk_feed fh = {"X", ONNXBN_BFLOAT16, 4, d4, h};
    mk_expect_fail(mm, 1, &fh, ONNXBN_ERR_TYPE, "node 'sp' (SpaceToDepth): input 'input' ('X') is bfloat16, SpaceToDepth-1 takes");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space_small),
        cmocka_unit_test(test_space_reference),
        cmocka_unit_test(test_space_roundtrip),
        cmocka_unit_test(test_space_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
