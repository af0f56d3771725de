/* SPDX-License-Identifier: Apache-2.0 */
/* test_unique.c — Unique 11: flattened and along an axis, sorted and in order of appearance, all
 * four outputs against numpy, by hand for bool, NaN and -0, partial outputs, empty input. */
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

/* numpy 1.24's unique(x, True, True, True, axis) (a script, seed 5): u_x1 is 30 int16 in [-3, 3],
 * flattened; u_x2 is [2, 7, 2] int32 made of three distinct slices along axis 1. The unsorted
 * outputs are reordered by first index, as the ONNX test case does. */
static const int16_t u_x1[30] = {1, 2, -3, 2, 0, 0, 1, -1, 3, -3, -2, -1, 0, -1, -3, -3, -3, -3, 
-2, 3, -2, 1, 2, -2, -2, 0, -2, 3, -2, 3};
/* flat sorted: (7,) */
static const int16_t u_flat_y[7] = {-3, -2, -1, 0, 1, 2, 3};
static const int64_t u_flat_idx[7] = {2, 10, 7, 4, 0, 1, 8};
static const int64_t u_flat_inv[30] = {4, 5, 0, 5, 3, 3, 4, 2, 6, 0, 1, 2, 3, 2, 0, 0, 0, 0, 1, 6, 
1, 4, 5, 1, 1, 3, 1, 6, 1, 6};
static const int64_t u_flat_cnt[7] = {6, 7, 3, 4, 3, 3, 4};
/* flat unsorted: (7,) */
static const int16_t u_flat_uy[7] = {1, 2, -3, 0, -1, 3, -2};
static const int64_t u_flat_uidx[7] = {0, 1, 2, 4, 7, 8, 10};
static const int64_t u_flat_uinv[30] = {0, 1, 2, 1, 3, 3, 0, 4, 5, 2, 6, 4, 3, 4, 2, 2, 2, 2, 6, 5, 
6, 0, 1, 6, 6, 3, 6, 5, 6, 5};
static const int64_t u_flat_ucnt[7] = {3, 3, 6, 4, 3, 4, 7};
/* ax1 sorted: (2, 3, 2) */
static const int32_t u_ax1_y[12] = {0, 1, 1, 1, 2, 2, 1, 0, 2, 1, 1, 2};
static const int64_t u_ax1_idx[3] = {2, 0, 1};
static const int64_t u_ax1_inv[7] = {1, 2, 0, 1, 2, 2, 0};
static const int64_t u_ax1_cnt[3] = {2, 2, 3};
/* ax1 unsorted: (2, 3, 2) */
static const int32_t u_ax1_uy[12] = {1, 1, 2, 2, 0, 1, 2, 1, 1, 2, 1, 0};
static const int64_t u_ax1_uidx[3] = {0, 1, 2};
static const int64_t u_ax1_uinv[7] = {0, 1, 2, 0, 1, 1, 2};
static const int64_t u_ax1_ucnt[3] = {2, 3, 2};
static const int32_t u_x2[28] = {1, 1, 2, 2, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 2, 1, 1, 2, 1, 0, 2, 1, 
1, 2, 1, 2, 1, 0};

/* Unique over fed X with outputs `outs` ("Y,I,V,C" or a part); axis INT64_MIN leaves it out. */
static mk_model *uq_model(onnxbn_dtype t, int64_t axis, int sorted, const char *outs)
{
    mk_model *mm = mk_new(11);
    mk_input(mm, "X", t, -1, NULL);
    mk_output(mm, "Y", t, -1, NULL);
    if (strstr(outs, "I"))
        mk_output(mm, "I", ONNXBN_INT64, -1, NULL);
    if (strstr(outs, "V"))
        mk_output(mm, "V", ONNXBN_INT64, -1, NULL);
    if (strstr(outs, "C"))
        mk_output(mm, "C", ONNXBN_INT64, -1, NULL);
    mk_node *n = mk_node_add(mm, "Unique", "uq", "X", outs);
    if (axis != INT64_MIN)
        mk_attr_i(n, "axis", axis);
    if (sorted >= 0)
        mk_attr_i(n, "sorted", sorted);
    return mm;
}

/* All four outputs: Y (yr, yd), then indices and counts [u], inverse [n]. */
static void expect_all(mk_model *mm, onnxbn_dtype t, int xr, const int64_t *xd, const void *x,
                       int yr, const int64_t *yd, const void *y, int64_t u, const int64_t *idx,
                       int64_t n, const int64_t *inv, const int64_t *cnt)
{
    onnxbn_session *s = mk_open_ok(mm);
    const mk_feed f = {"X", t, xr, xd, x};
    onnxbn_error err = {0};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    const int64_t ud[1] = {u}, nd[1] = {n};
    mk_expect_bytes(s, 0, t, yr, yd, y);
    mk_expect_bytes(s, 1, ONNXBN_INT64, 1, ud, idx);
    mk_expect_bytes(s, 2, ONNXBN_INT64, 1, nd, inv);
    mk_expect_bytes(s, 3, ONNXBN_INT64, 1, ud, cnt);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_against_numpy(void **state)
{
    (void)state;
    const int64_t d1[1] = {30}, y1[1] = {7};
    expect_all(uq_model(ONNXBN_INT16, INT64_MIN, -1, "Y,I,V,C"), ONNXBN_INT16, 1, d1, u_x1, 1, y1,
               u_flat_y, 7, u_flat_idx, 30, u_flat_inv, u_flat_cnt);
    expect_all(uq_model(ONNXBN_INT16, INT64_MIN, 0, "Y,I,V,C"), ONNXBN_INT16, 1, d1, u_x1, 1, y1,
               u_flat_uy, 7, u_flat_uidx, 30, u_flat_uinv, u_flat_ucnt);
    const int64_t d2[3] = {2, 7, 2}, y2[3] = {2, 3, 2};
    expect_all(uq_model(ONNXBN_INT32, 1, 1, "Y,I,V,C"), ONNXBN_INT32, 3, d2, u_x2, 3, y2, u_ax1_y, 3,
               u_ax1_idx, 7, u_ax1_inv, u_ax1_cnt);
    expect_all(uq_model(ONNXBN_INT32, -2, 0, "Y,I,V,C"), ONNXBN_INT32, 3, d2, u_x2, 3, y2, u_ax1_uy,
               3, u_ax1_uidx, 7, u_ax1_uinv, u_ax1_ucnt);
}

/* bool, and floats with NaN (after every number, one group) and -0 (equal to 0; Y holds the first
 * occurrence's bits). */
static void test_by_hand(void **state)
{
    (void)state;
    const uint8_t b[5] = {1, 0, 0, 1, 1};
    const int64_t d5[1] = {5}, d2[1] = {2};
    const uint8_t by[2] = {1, 0}, bys[2] = {0, 1};
    const int64_t bi[2] = {0, 1}, bv[5] = {0, 1, 1, 0, 0}, bc[2] = {3, 2};
    const int64_t bis[2] = {1, 0}, bvs[5] = {1, 0, 0, 1, 1}, bcs[2] = {2, 3};
    expect_all(uq_model(ONNXBN_BOOL, INT64_MIN, 0, "Y,I,V,C"), ONNXBN_BOOL, 1, d5, b, 1, d2, by, 2,
               bi, 5, bv, bc);
    expect_all(uq_model(ONNXBN_BOOL, 0, 1, "Y,I,V,C"), ONNXBN_BOOL, 1, d5, b, 1, d2, bys, 2, bis, 5,
               bvs, bcs);

    const float x[6] = {NAN, 0.0f, -0.0f, 1.0f, NAN, -INFINITY};
    const int64_t d6[1] = {6}, d4[1] = {4};
    const float y[4] = {-INFINITY, 0.0f, 1.0f, NAN};
    const int64_t i[4] = {5, 1, 3, 0}, v[6] = {3, 1, 1, 2, 3, 0}, c[4] = {1, 2, 1, 2};
    expect_all(uq_model(ONNXBN_FLOAT, INT64_MIN, 1, "Y,I,V,C"), ONNXBN_FLOAT, 1, d6, x, 1, d4, y, 4,
               i, 6, v, c);

    /* complex64: by real part, then imaginary part (numpy's order). */
    const float z[8] = {1, 2, 1, 1, -1, 5, 1, 2}, zy[6] = {-1, 5, 1, 1, 1, 2};
    const int64_t d4z[1] = {4}, d3[1] = {3}, zi[3] = {2, 1, 0}, zv[4] = {2, 1, 0, 2}, zc[3] = {1, 1, 2};
    expect_all(uq_model(ONNXBN_COMPLEX64, INT64_MIN, 1, "Y,I,V,C"), ONNXBN_COMPLEX64, 1, d4z, z, 1, d3,
               zy, 3, zi, 4, zv, zc);

    /* uint64 at its extremes, as a [2, 2] matrix flattened. */
    const uint64_t u[4] = {UINT64_MAX, 1, UINT64_MAX, 0}, uy[3] = {0, 1, UINT64_MAX};
    const int64_t ud[2] = {2, 2}, u3[1] = {3}, ui[3] = {3, 1, 0}, uv[4] = {2, 1, 2, 0},
                  uc[3] = {1, 1, 2};
    expect_all(uq_model(ONNXBN_UINT64, INT64_MIN, -1, "Y,I,V,C"), ONNXBN_UINT64, 2, ud, u, 1, u3, uy,
               3, ui, 4, uv, uc);
}

/* Only Y and counts asked for; and an empty input. */
static void test_partial_and_empty(void **state)
{
    (void)state;
    const int64_t d1[1] = {30}, y1[1] = {7};
    mk_model *mm = uq_model(ONNXBN_INT16, INT64_MIN, -1, "Y,,,C");
    onnxbn_session *s = mk_open_ok(mm);
    const mk_feed f = {"X", ONNXBN_INT16, 1, d1, u_x1};
    onnxbn_error err = {0};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_bytes(s, 0, ONNXBN_INT16, 1, y1, u_flat_y);
    mk_expect_bytes(s, 1, ONNXBN_INT64, 1, y1, u_flat_cnt);
    onnxbn_session_free(s);
    mk_free(mm);

    const int64_t d0[1] = {0};
    const float none[1] = {0};
    const int64_t inone[1] = {0};
    expect_all(uq_model(ONNXBN_FLOAT, INT64_MIN, 1, "Y,I,V,C"), ONNXBN_FLOAT, 1, d0, none, 1, d0, none,
               0, inone, 0, inone, inone);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const int64_t d[2] = {2, 3};
    const float x[6] = {0};
    const mk_feed f = {"X", ONNXBN_FLOAT, 2, d, x};
    mk_model *mm = uq_model(ONNXBN_FLOAT, 2, 1, "Y,I,V,C");
    mk_expect_fail(mm, 1, &f, ONNXBN_ERR_SHAPE, "node 'uq' (Unique): axis 2 is outside [-2, 1]");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_numpy),
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_partial_and_empty),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
