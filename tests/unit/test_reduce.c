/* SPDX-License-Identifier: Apache-2.0 */
/* test_reduce.c — Reduce* and ArgMax/ArgMin through the session API: hand values, every axis subset
 * against a naive reference, axes inputs, empty/NaN/infinite/integer cases and errors. */
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

enum { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOGSUM, LSE, SUMSQ, N_OPS };
static const char *const op_names[N_OPS] = {
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
    "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
};

/* ---- helpers ---- */

static int64_t numel(int rank, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    return n;
}

static float rnd(uint32_t *st, float lo, float hi)
{
    *st = *st * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(*st >> 8) / 16777216.0f;
}

/* Y = op(X) as one node at `opset`, the axes as the attribute (axes_input false) or as an int64
 * initializer 'axes' (true); n_axes < 0 leaves them out. keepdims < 0 leaves it out. */
static mk_model *red_model(const char *op, int64_t opset, onnxbn_dtype dt, int rank,
                           const int64_t *dims, bool axes_input, int n_axes, const int64_t *axes,
                           int keepdims)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "X", dt, rank, dims);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node *n;
    if (axes_input && n_axes >= 0) {
        const int64_t ad[1] = {n_axes};
        mk_init(m, "axes", ONNXBN_INT64, 1, ad, axes);
        n = mk_node_add(m, op, "r", "X,axes", "Y");
    } else {
        n = mk_node_add(m, op, "r", "X", "Y");
        if (n_axes >= 0)
            mk_attr_ints(n, "axes", (size_t)n_axes, axes);
    }
    if (keepdims >= 0)
        mk_attr_i(n, "keepdims", keepdims);
    return m;
}

/* Opens and runs with X; the session in *out (NULL: freed). */
static onnxbn_status open_run(const mk_model *m, onnxbn_dtype dt, int rank, const int64_t *dims,
                              const void *x, onnxbn_session **out, onnxbn_error *err)
{
    onnxbn_session *s = NULL;
    onnxbn_status st = mk_session(m, &s, err);
    if (!st) {
        mk_feed f = {"X", dt, rank, dims, x};
        st = mk_run(s, 1, &f, err);
    }
    if (st || !out)
        onnxbn_session_free(s);
    else
        *out = s;
    return st;
}

static onnxbn_session *open_run_ok(const mk_model *m, onnxbn_dtype dt, int rank,
                                   const int64_t *dims, const void *x)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (open_run(m, dt, rank, dims, x, &s, &err))
        fail_msg("%s", err.msg);
    return s;
}

/* Output 0 has this type and shape and, element by element, equals `want` within
 * atol + rtol·|want| (NaN matches NaN, an infinity only itself). */
static void expect_out(const onnxbn_session *s, onnxbn_dtype dt, int rank, const int64_t *dims,
                       const double *want, double atol, double rtol, const char *what)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, 0);
    assert_non_null(t);
    if (onnxbn_tensor_dtype(t) != dt)
        fail_msg("%s: output is %s, expected %s", what, onnxbn_dtype_name(onnxbn_tensor_dtype(t)),
                 onnxbn_dtype_name(dt));
    if (onnxbn_tensor_rank(t) != rank)
        fail_msg("%s: output rank %d, expected %d", what, onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        if (onnxbn_tensor_dims(t)[d] != dims[d])
            fail_msg("%s: output dim %d is %lld, expected %lld", what, d,
                     (long long)onnxbn_tensor_dims(t)[d], (long long)dims[d]);
    for (int64_t k = 0; k < onnxbn_tensor_numel(t); k++) {
        double g = onnxbn_get_f64(t, k), w = want[k];
        bool ok = (isnan(g) && isnan(w)) || g == w || fabs(g - w) <= atol + rtol * fabs(w);
        if (!ok)
            fail_msg("%s: element %lld is %.9g, expected %.9g", what, (long long)k, g, w);
    }
}

static void expect_i64(const onnxbn_session *s, int rank, const int64_t *dims, const int64_t *want,
                       const char *what)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, 0);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), ONNXBN_INT64);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
    const int64_t *g = onnxbn_tensor_cdata(t);
    for (int64_t k = 0; k < onnxbn_tensor_numel(t); k++)
        if (g[k] != want[k])
            fail_msg("%s: element %lld is %lld, expected %lld", what, (long long)k,
                     (long long)g[k], (long long)want[k]);
}

static void expect_fail_model(const mk_model *m, onnxbn_dtype dt, int rank, const int64_t *dims,
                              onnxbn_status want, const char *needle)
{
    onnxbn_error err = {0};
    size_t n = (size_t)numel(rank, dims) + 1;
    void *x = calloc(n, 8);
    onnxbn_status st = open_run(m, dt, rank, dims, x, NULL, &err);
    free(x);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("status %s, message '%s'; expected %s with '%s'", onnxbn_status_name(st), err.msg,
                 onnxbn_status_name(want), needle);
}

/* The definitions, naively in double: every input element is added into the output it maps to
 * (reduced axes at index 0), then finished. log-sum-exp is the textbook log(Σ exp x). */
static void ref_reduce(int op, int rank, const int64_t *dims, const bool *red, const float *x,
                       double *y, int64_t n_out)
{
    double *acc = calloc((size_t)n_out + 1, sizeof *acc);
    int64_t *cnt = calloc((size_t)n_out + 1, sizeof *cnt);
    for (int64_t o = 0; o < n_out; o++)
        acc[o] = op == PROD ? 1.0 : op == MAX ? -INFINITY : op == MIN ? INFINITY : 0.0;
    const int64_t n = numel(rank, dims);
    for (int64_t e = 0; e < n; e++) {
        int64_t rem = e, o = 0, mul = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t k = rem % dims[d];
            rem /= dims[d];
            if (!red[d]) {
                o += k * mul;
                mul *= dims[d];
            }
        }
        double v = x[e];
        switch (op) {
        case MAX: acc[o] = v > acc[o] ? v : acc[o]; break;
        case MIN: acc[o] = v < acc[o] ? v : acc[o]; break;
        case PROD: acc[o] *= v; break;
        case L1: acc[o] += fabs(v); break;
        case L2: case SUMSQ: acc[o] += v * v; break;
        case LSE: acc[o] += exp(v); break;
        default: acc[o] += v; break;
        }
        cnt[o]++;
    }
    for (int64_t o = 0; o < n_out; o++) {
        double a = acc[o];
        y[o] = op == MEAN ? a / (double)cnt[o] : op == L2 ? sqrt(a)
             : op == LOGSUM || op == LSE ? log(a) : a;
    }
    free(acc);
    free(cnt);
}

/* ---- tests ---- */

/* x = [[1, −2], [3, 4]] reduced along axis 1, by hand. */
static void test_ops_by_hand(void **state)
{
    (void)state;
    const int64_t dims[2] = {2, 2}, dy[1] = {2}, axis[1] = {1};
    const float x[4] = {1, -2, 3, 4};
    const double e = exp(1.0);
    const double want[N_OPS][2] = {
        [SUM] = {-1, 7},
        [MEAN] = {-0.5, 3.5},
        [MAX] = {1, 4},
        [MIN] = {-2, 3},
        [PROD] = {-2, 12},
        [L1] = {3, 7},
        [L2] = {sqrt(5.0), 5},
        [LOGSUM] = {NAN, log(7.0)}, /* log of a negative sum is NaN, as in numpy */
        [LSE] = {log(e + exp(-2.0)), log(exp(3.0) + exp(4.0))},
        [SUMSQ] = {5, 25},
    };
    for (int op = 0; op < N_OPS; op++) {
        /* opset 13: ReduceSum takes its axes as an input, the others as the attribute */
        mk_model *m = red_model(op_names[op], 13, ONNXBN_FLOAT, 2, dims, op == SUM, 1, axis, 0);
        onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
        expect_out(s, ONNXBN_FLOAT, 1, dy, want[op], 1e-6, 1e-6, op_names[op]);
        onnxbn_session_free(s);
        mk_free(m);
        /* the same at opset 11 (axes as the attribute for all) */
        m = red_model(op_names[op], 11, ONNXBN_FLOAT, 2, dims, false, 1, axis, 0);
        s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
        expect_out(s, ONNXBN_FLOAT, 1, dy, want[op], 1e-6, 1e-6, op_names[op]);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* Every subset of the axes of a (3,4,5,6) tensor (trailing, leading, middle, split sets), with and
 * without keepdims, for several ops, against ref_reduce. */
static void test_axis_subsets(void **state)
{
    (void)state;
    const int64_t dims[4] = {3, 4, 5, 6};
    const int n = 360;
    float x[360];
    uint32_t seed = 7;
    for (int i = 0; i < n; i++)
        x[i] = rnd(&seed, -1.5f, 1.5f);
    const int ops[] = {SUM, MEAN, MAX, MIN, PROD, L1, L2, LSE, SUMSQ};
    double want[360];
    for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
        const int op = ops[oi];
        for (int mask = 0; mask < 16; mask++) {
            for (int keep = 0; keep < 2; keep++) {
                bool red[4];
                int64_t axes[4], dy[4];
                int na = 0, ry = 0;
                int64_t n_out = 1;
                for (int d = 0; d < 4; d++) {
                    /* mask 0: the attribute left out, which reduces every axis */
                    red[d] = mask == 0 || (mask >> d & 1);
                    if (mask >> d & 1)
                        axes[na++] = (d & 1) ? d - 4 : d; /* odd axes given negative */
                    if (!red[d]) {
                        dy[ry++] = dims[d];
                        n_out *= dims[d];
                    } else if (keep) {
                        dy[ry++] = 1;
                    }
                }
                ref_reduce(op, 4, dims, red, x, want, n_out);
                mk_model *m = red_model(op_names[op], 13, ONNXBN_FLOAT, 4, dims, op == SUM,
                                        mask ? na : -1, axes, keep);
                onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 4, dims, x);
                char what[96];
                snprintf(what, sizeof what, "%s axes mask %d keepdims %d", op_names[op], mask, keep);
                expect_out(s, ONNXBN_FLOAT, ry, dy, want, 1e-6, 2e-6, what);
                onnxbn_session_free(s);
                mk_free(m);
            }
        }
    }
}

/* keepdims defaults to 1; size-1 axes reduced or kept change nothing but the shape. */
static void test_keepdims_default_and_ones(void **state)
{
    (void)state;
    const int64_t dims[4] = {2, 1, 3, 1}, axes[2] = {1, 2}, dy[4] = {2, 1, 1, 1};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const double want[2] = {6, 15};
    mk_model *m = red_model("ReduceSum", 11, ONNXBN_FLOAT, 4, dims, false, 2, axes, -1);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 4, dims, x);
    expect_out(s, ONNXBN_FLOAT, 4, dy, want, 0, 0, "keepdims default");
    onnxbn_session_free(s);
    mk_free(m);

    /* reducing only size-1 axes: each output is its one element, finished (L2 → |x|) */
    const int64_t one[1] = {3}, dy2[3] = {2, 1, 3};
    const float xn[6] = {-1, 2, -3, 4, -5, 6};
    const double wabs[6] = {1, 2, 3, 4, 5, 6};
    m = red_model("ReduceL2", 13, ONNXBN_FLOAT, 4, dims, false, 1, one, 0);
    s = open_run_ok(m, ONNXBN_FLOAT, 4, dims, xn);
    expect_out(s, ONNXBN_FLOAT, 3, dy2, wabs, 0, 0, "size-1 axis");
    onnxbn_session_free(s);
    mk_free(m);

    /* a scalar input: no axes, one element */
    const float sc[1] = {-4};
    const double w4[1] = {4};
    m = red_model("ReduceL1", 13, ONNXBN_FLOAT, 0, NULL, false, -1, NULL, 0);
    s = open_run_ok(m, ONNXBN_FLOAT, 0, NULL, sc);
    expect_out(s, ONNXBN_FLOAT, 0, NULL, w4, 0, 0, "scalar");
    onnxbn_session_free(s);
    mk_free(m);
}

/* ReduceSum-13: axes from an initializer, empty axes with and without noop_with_empty_axes, the
 * input left out, a fed empty axes tensor, and a fed non-empty one (unsupported). */
static void test_sum_axes_input(void **state)
{
    (void)state;
    const int64_t dims[2] = {2, 3};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t last[1] = {-1}, d21[2] = {2, 1}, d11[2] = {1, 1};
    const double rows[2] = {6, 15}, all[1] = {21}, same[6] = {1, 2, 3, 4, 5, 6};

    mk_model *m = red_model("ReduceSum", 13, ONNXBN_FLOAT, 2, dims, true, 1, last, 1);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
    expect_out(s, ONNXBN_FLOAT, 2, d21, rows, 0, 0, "axes [-1]");
    onnxbn_session_free(s);
    mk_free(m);

    for (int noop = 0; noop < 2; noop++) {
        for (int form = 0; form < 3; form++) { /* empty initializer, omitted, fed empty */
            mk_model *mm = mk_new(13);
            mk_input(mm, "X", ONNXBN_FLOAT, 2, dims);
            mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
            const int64_t zero[1] = {0};
            mk_node *n;
            if (form == 0) {
                mk_init(mm, "axes", ONNXBN_INT64, 1, zero, NULL);
                n = mk_node_add(mm, "ReduceSum", "r", "X,axes", "Y");
            } else if (form == 1) {
                n = mk_node_add(mm, "ReduceSum", "r", "X", "Y");
            } else {
                mk_input(mm, "axes", ONNXBN_INT64, 1, zero);
                n = mk_node_add(mm, "ReduceSum", "r", "X,axes", "Y");
            }
            mk_attr_i(n, "noop_with_empty_axes", noop);
            onnxbn_session *ss = NULL;
            onnxbn_error err = {0};
            if (mk_session(mm, &ss, &err))
                fail_msg("%s", err.msg);
            mk_feed f[2] = {{"X", 0, 2, dims, x}, {"axes", ONNXBN_INT64, 1, zero, NULL}};
            if (mk_run(ss, form == 2 ? 2 : 1, f, &err))
                fail_msg("noop %d form %d: %s", noop, form, err.msg);
            if (noop)
                expect_out(ss, ONNXBN_FLOAT, 2, dims, same, 0, 0, "noop");
            else
                expect_out(ss, ONNXBN_FLOAT, 2, d11, all, 0, 0, "empty axes");
            onnxbn_session_free(ss);
            mk_free(mm);
        }
    }

    /* fed non-empty axes: a value input, read when the plan is made */
    mk_model *mm = mk_new(13);
    const int64_t one[1] = {1};
    mk_input(mm, "X", ONNXBN_FLOAT, 2, dims);
    mk_input(mm, "axes", ONNXBN_INT64, 1, one);
    mk_output(mm, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node_add(mm, "ReduceSum", "r", "X,axes", "Y");
    onnxbn_session *ss = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = mk_session(mm, &ss, &err);
    if (!st) {
        const int64_t av[1] = {1};
        mk_feed f[2] = {{"X", 0, 2, dims, x}, {"axes", ONNXBN_INT64, 1, one, av}};
        st = mk_run(ss, 2, f, &err);
    }
    if (st)
        fail_msg("fed axes: %s", err.msg);
    expect_out(ss, ONNXBN_FLOAT, 2, d21, rows, 0, 0, "fed axes [1]");
    onnxbn_session_free(ss);
    mk_free(mm);
}

/* Version 18 moved the others' axes to an input; before it, an axes input is an error. */
static void test_opset18(void **state)
{
    (void)state;
    const int64_t dims[2] = {2, 3}, axis0[1] = {0}, dy[1] = {3};
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const double mean0[3] = {2.5, 3.5, 4.5};
    mk_model *m = red_model("ReduceMean", 18, ONNXBN_FLOAT, 2, dims, true, 1, axis0, 0);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
    expect_out(s, ONNXBN_FLOAT, 1, dy, mean0, 0, 0, "ReduceMean-18");
    onnxbn_session_free(s);
    mk_free(m);

    /* ReduceMax-18 without axes and noop_with_empty_axes = 1: a copy */
    m = mk_new(18);
    mk_input(m, "X", ONNXBN_FLOAT, 2, dims);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_attr_i(mk_node_add(m, "ReduceMax", "r", "X", "Y"), "noop_with_empty_axes", 1);
    s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
    const double same[6] = {1, 2, 3, 4, 5, 6};
    expect_out(s, ONNXBN_FLOAT, 2, dims, same, 0, 0, "ReduceMax-18 noop");
    onnxbn_session_free(s);
    mk_free(m);

    m = red_model("ReduceMean", 13, ONNXBN_FLOAT, 2, dims, true, 1, axis0, 0);
    expect_fail_model(m, ONNXBN_FLOAT, 2, dims, ONNXBN_ERR_MODEL, "as an attribute");
    mk_free(m);
}

/* A reduced axis of length 0: the identity of each op (numpy's values; mean is 0/0). */
static void test_empty(void **state)
{
    (void)state;
    const int64_t dims[2] = {0, 3}, axis0[1] = {0}, dy[1] = {3};
    const double want[N_OPS] = {
        [SUM] = 0, [MEAN] = NAN, [MAX] = -INFINITY, [MIN] = INFINITY, [PROD] = 1,
        [L1] = 0, [L2] = 0, [LOGSUM] = -INFINITY, [LSE] = -INFINITY, [SUMSQ] = 0,
    };
    for (int op = 0; op < N_OPS; op++) {
        double w[3] = {want[op], want[op], want[op]};
        mk_model *m = red_model(op_names[op], 11, ONNXBN_FLOAT, 2, dims, false, 1, axis0, 0);
        onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, NULL);
        expect_out(s, ONNXBN_FLOAT, 1, dy, w, 0, 0, op_names[op]);
        onnxbn_session_free(s);
        mk_free(m);
    }
    /* no outputs at all */
    const int64_t axis1[1] = {1}, dy0[1] = {0};
    mk_model *m = red_model("ReduceMax", 11, ONNXBN_FLOAT, 2, dims, false, 1, axis1, 0);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, NULL);
    expect_out(s, ONNXBN_FLOAT, 1, dy0, NULL, 0, 0, "empty output");
    onnxbn_session_free(s);
    mk_free(m);
}

/* NaN propagates through max and min along the trailing axis and along a leading one. */
static void test_nan(void **state)
{
    (void)state;
    const int64_t dims[2] = {3, 3}, a0[1] = {0}, a1[1] = {1}, dy[1] = {3};
    const float x[9] = {1, NAN, 3, 4, 5, 6, NAN, 8, 9};
    const double rows_max[3] = {NAN, 6, NAN}, rows_min[3] = {NAN, 4, NAN};
    const double cols_max[3] = {NAN, NAN, 9}, cols_min[3] = {NAN, NAN, 3};
    for (int op = MAX; op <= MIN; op++) {
        for (int ax = 0; ax < 2; ax++) {
            mk_model *m = red_model(op_names[op], 13, ONNXBN_FLOAT, 2, dims, false, 1,
                                    ax ? a1 : a0, 0);
            onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
            const double *w = ax ? (op == MAX ? rows_max : rows_min) : (op == MAX ? cols_max : cols_min);
            expect_out(s, ONNXBN_FLOAT, 1, dy, w, 0, 0, op_names[op]);
            onnxbn_session_free(s);
            mk_free(m);
        }
    }
}

/* Long runs (past the vectorised lanes): NaN anywhere wins, else the true extreme, along the
 * rows and down the columns. */
static void test_nan_long(void **state)
{
    (void)state;
    enum { R = 3, C = 200 };
    static float x[R * C], xt[C * R];
    uint32_t seed = 3;
    for (int i = 0; i < R * C; i++)
        x[i] = rnd(&seed, -1, 1);
    x[0 * C + 100] = NAN;    /* row 0: NaN in the lanes */
    x[1 * C + 150] = 5.0f;   /* row 1: the max in the lanes, the min at the tail */
    x[1 * C + 199] = -5.0f;
    x[2 * C + 197] = NAN;    /* row 2: NaN in the tail */
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            xt[c * R + r] = x[r * C + c];
    const double wmax[R] = {NAN, 5, NAN}, wmin[R] = {NAN, -5, NAN};
    const int64_t dx[2] = {R, C}, dxt[2] = {C, R}, a1[1] = {1}, a0[1] = {0}, dy[1] = {R};
    for (int op = MAX; op <= MIN; op++) {
        const double *w = op == MAX ? wmax : wmin;
        mk_model *m = red_model(op_names[op], 13, ONNXBN_FLOAT, 2, dx, false, 1, a1, 0);
        onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dx, x);
        expect_out(s, ONNXBN_FLOAT, 1, dy, w, 0, 0, op_names[op]);
        onnxbn_session_free(s);
        mk_free(m);
        m = red_model(op_names[op], 13, ONNXBN_FLOAT, 2, dxt, false, 1, a0, 0);
        s = open_run_ok(m, ONNXBN_FLOAT, 2, dxt, xt);
        expect_out(s, ONNXBN_FLOAT, 1, dy, w, 0, 0, op_names[op]);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

/* log-sum-exp stays finite where exp overflows, and handles infinite maxima. */
static void test_log_sum_exp_range(void **state)
{
    (void)state;
    const int64_t dims[2] = {3, 2}, a1[1] = {1}, dy[1] = {3};
    const float x[6] = {1000, 1000, -INFINITY, -INFINITY, INFINITY, 1};
    const double want[3] = {1000 + log(2.0), -INFINITY, INFINITY};
    mk_model *m = red_model("ReduceLogSumExp", 13, ONNXBN_FLOAT, 2, dims, false, 1, a1, 0);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, dims, x);
    expect_out(s, ONNXBN_FLOAT, 1, dy, want, 1e-4, 0, "rows");
    onnxbn_session_free(s);
    mk_free(m);
    /* the same by columns (the row-vector path): x transposed */
    const int64_t dt[2] = {2, 3}, a0[1] = {0};
    const float xt[6] = {1000, -INFINITY, INFINITY, 1000, -INFINITY, 1};
    m = red_model("ReduceLogSumExp", 13, ONNXBN_FLOAT, 2, dt, false, 1, a0, 0);
    s = open_run_ok(m, ONNXBN_FLOAT, 2, dt, xt);
    expect_out(s, ONNXBN_FLOAT, 1, dy, want, 1e-4, 0, "columns");
    onnxbn_session_free(s);
    mk_free(m);
}

/* float sums accumulate in double: 2^24 + 64·1 is exact, where a float accumulator holding 2^24
 * drops every 1 added to it (2^24 + 1 rounds back to 2^24). */
static void test_float_accuracy(void **state)
{
    (void)state;
    const int64_t dims[1] = {65};
    float x[65];
    x[0] = 16777216.0f;
    for (int i = 1; i < 65; i++)
        x[i] = 1.0f;
    const double want[1] = {16777280.0};
    mk_model *m = red_model("ReduceSum", 11, ONNXBN_FLOAT, 1, dims, false, -1, NULL, 0);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 1, dims, x);
    expect_out(s, ONNXBN_FLOAT, 0, NULL, want, 0, 0, "2^24 + 64");
    onnxbn_session_free(s);
    mk_free(m);
    /* the same down a column (the row-vector path) */
    const int64_t dcol[2] = {65, 1}, a0[1] = {0}, d1[1] = {1};
    m = red_model("ReduceMean", 11, ONNXBN_FLOAT, 2, dcol, false, 1, a0, 0);
    s = open_run_ok(m, ONNXBN_FLOAT, 2, dcol, x);
    const double mean[1] = {16777280.0 / 65};
    expect_out(s, ONNXBN_FLOAT, 1, d1, mean, 0, 1e-7, "mean of 2^24 + 64");
    onnxbn_session_free(s);
    mk_free(m);
}

/* Integer reductions are exact in 64 bits; the mean truncates toward zero. */
static void test_integers(void **state)
{
    (void)state;
    const int64_t d3[1] = {3}, d22[2] = {2, 2}, a1[1] = {1}, dy2[1] = {2};
    onnxbn_session *s;
    mk_model *m;

    const int64_t big[3] = {INT64_C(1) << 53, 1, 1};
    m = red_model("ReduceSum", 11, ONNXBN_INT64, 1, d3, false, -1, NULL, 0);
    s = open_run_ok(m, ONNXBN_INT64, 1, d3, big);
    const int64_t *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    assert_true(y[0] == (INT64_C(1) << 53) + 2);
    onnxbn_session_free(s);
    mk_free(m);

    const int32_t xi[4] = {1, 2, -1, -2};
    const double mean[2] = {1, -1};
    m = red_model("ReduceMean", 13, ONNXBN_INT32, 2, d22, false, 1, a1, 0);
    s = open_run_ok(m, ONNXBN_INT32, 2, d22, xi);
    expect_out(s, ONNXBN_INT32, 1, dy2, mean, 0, 0, "int32 mean");
    onnxbn_session_free(s);
    mk_free(m);

    const int32_t x34[4] = {3, 4, -6, 8};
    const double l2[2] = {5, 10}, sq[2] = {25, 100}, l1[2] = {7, 14}, prod[2] = {12, -48};
    const char *ops[4] = {"ReduceL2", "ReduceSumSquare", "ReduceL1", "ReduceProd"};
    const double *wants[4] = {l2, sq, l1, prod};
    for (int i = 0; i < 4; i++) {
        m = red_model(ops[i], 13, ONNXBN_INT32, 2, d22, false, 1, a1, 0);
        s = open_run_ok(m, ONNXBN_INT32, 2, d22, x34);
        expect_out(s, ONNXBN_INT32, 1, dy2, wants[i], 0, 0, ops[i]);
        onnxbn_session_free(s);
        mk_free(m);
    }

    /* int8 and uint8 only for ReduceMax/Min from version 12 */
    const int8_t x8[3] = {-128, 5, -3};
    const double max8[1] = {5}, min8[1] = {-128};
    m = red_model("ReduceMax", 12, ONNXBN_INT8, 1, d3, false, -1, NULL, 0);
    s = open_run_ok(m, ONNXBN_INT8, 1, d3, x8);
    expect_out(s, ONNXBN_INT8, 0, NULL, max8, 0, 0, "int8 max");
    onnxbn_session_free(s);
    mk_free(m);
    m = red_model("ReduceMin", 13, ONNXBN_INT8, 1, d3, false, -1, NULL, 0);
    s = open_run_ok(m, ONNXBN_INT8, 1, d3, x8);
    expect_out(s, ONNXBN_INT8, 0, NULL, min8, 0, 0, "int8 min");
    onnxbn_session_free(s);
    mk_free(m);
    const uint64_t xu[3] = {UINT64_MAX, 1, 7};
    m = red_model("ReduceMax", 13, ONNXBN_UINT64, 1, d3, false, -1, NULL, 0);
    s = open_run_ok(m, ONNXBN_UINT64, 1, d3, xu);
    assert_true(((const uint64_t *)onnxbn_tensor_cdata(onnxbn_session_output(s, 0)))[0] == UINT64_MAX);
    onnxbn_session_free(s);
    mk_free(m);

    m = red_model("ReduceMax", 11, ONNXBN_INT8, 1, d3, false, -1, NULL, 0);
    expect_fail_model(m, ONNXBN_INT8, 1, d3, ONNXBN_ERR_TYPE, "ReduceMax-11 does not take");
    mk_free(m);
    m = red_model("ReduceSum", 13, ONNXBN_INT8, 1, d3, false, -1, NULL, 0);
    expect_fail_model(m, ONNXBN_INT8, 1, d3, ONNXBN_ERR_TYPE, "ReduceSum-13 does not take");
    mk_free(m);
}

/* The other floating types go through double too. */
static void test_other_floats(void **state)
{
    (void)state;
    const int64_t dims[2] = {2, 3}, a1[1] = {1}, dy[1] = {2};
    const double xv[6] = {1, 2, 3, -4, 5.5, 6};
    const double want[2] = {6, 7.5};
    const onnxbn_dtype types[3] = {ONNXBN_DOUBLE, ONNXBN_FLOAT16, ONNXBN_BFLOAT16};
    for (int i = 0; i < 3; i++) {
        onnxbn_tensor *x = NULL;
        assert_int_equal(onnxbn_tensor_new(types[i], 2, dims, &x, NULL), ONNXBN_OK);
        for (int k = 0; k < 6; k++)
            onnxbn_set_f64(x, k, xv[k]);
        /* bfloat16 from version 13, where ReduceSum takes its axes as an input */
        const bool v13 = types[i] == ONNXBN_BFLOAT16;
        mk_model *m = red_model("ReduceSum", v13 ? 13 : 11, types[i], 2, dims, v13, 1, a1, 0);
        onnxbn_session *s = open_run_ok(m, types[i], 2, dims, onnxbn_tensor_data(x));
        expect_out(s, types[i], 1, dy, want, 0, 0, onnxbn_dtype_name(types[i]));
        onnxbn_session_free(s);
        mk_free(m);
        onnxbn_tensor_free(x);
    }
}

static void test_errors(void **state)
{
    (void)state;
    const int64_t dims[3] = {2, 3, 4};
    const int64_t out3[1] = {3}, neg4[1] = {-4}, dup[2] = {1, -2};
    mk_model *m = red_model("ReduceMean", 13, ONNXBN_FLOAT, 3, dims, false, 1, out3, 1);
    expect_fail_model(m, ONNXBN_FLOAT, 3, dims, ONNXBN_ERR_MODEL, "axis 3 is out of range");
    mk_free(m);
    m = red_model("ReduceSum", 13, ONNXBN_FLOAT, 3, dims, true, 1, neg4, 1);
    expect_fail_model(m, ONNXBN_FLOAT, 3, dims, ONNXBN_ERR_MODEL, "axis -4 is out of range");
    mk_free(m);
    m = red_model("ReduceMax", 11, ONNXBN_FLOAT, 3, dims, false, 2, dup, 1);
    expect_fail_model(m, ONNXBN_FLOAT, 3, dims, ONNXBN_ERR_MODEL, "given twice");
    mk_free(m);

    /* int32 axes */
    m = mk_new(13);
    const int64_t one[1] = {1};
    const int32_t ax[1] = {0};
    mk_input(m, "X", ONNXBN_FLOAT, 3, dims);
    mk_init(m, "axes", ONNXBN_INT32, 1, one, ax);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node_add(m, "ReduceSum", "r", "X,axes", "Y");
    expect_fail_model(m, ONNXBN_FLOAT, 3, dims, ONNXBN_ERR_TYPE, "1-D int64");
    mk_free(m);
}

/* ---- ArgMax / ArgMin ---- */

static mk_model *arg_model(const char *op, int64_t opset, onnxbn_dtype dt, int rank,
                           const int64_t *dims, int64_t axis, int keepdims, int last)
{
    mk_model *m = mk_new(opset);
    mk_input(m, "X", dt, rank, dims);
    mk_output(m, "Y", ONNXBN_UNDEFINED, -1, NULL);
    mk_node *n = mk_node_add(m, op, "a", "X", "Y");
    mk_attr_i(n, "axis", axis);
    if (keepdims >= 0)
        mk_attr_i(n, "keepdims", keepdims);
    if (last >= 0)
        mk_attr_i(n, "select_last_index", last);
    return m;
}

static void check_arg(const char *op, onnxbn_dtype dt, int rank, const int64_t *dims,
                      const void *x, int64_t axis, int keepdims, int last, int ry,
                      const int64_t *dy, const int64_t *want)
{
    mk_model *m = arg_model(op, 13, dt, rank, dims, axis, keepdims, last);
    onnxbn_session *s = open_run_ok(m, dt, rank, dims, x);
    char what[80];
    snprintf(what, sizeof what, "%s axis %lld last %d", op, (long long)axis, last);
    expect_i64(s, ry, dy, want, what);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_arg(void **state)
{
    (void)state;
    const int64_t dims[2] = {2, 3}, d21[2] = {2, 1}, d13[2] = {1, 3}, d3[1] = {3};
    const float x[6] = {2, 1, 2, 0, 5, 5};
    /* along the rows (contiguous) */
    const int64_t max_first[2] = {0, 1}, max_last[2] = {2, 2}, min_first[2] = {1, 0};
    check_arg("ArgMax", ONNXBN_FLOAT, 2, dims, x, 1, 1, 0, 2, d21, max_first);
    check_arg("ArgMax", ONNXBN_FLOAT, 2, dims, x, -1, -1, 1, 2, d21, max_last);
    check_arg("ArgMin", ONNXBN_FLOAT, 2, dims, x, 1, 1, -1, 2, d21, min_first);
    check_arg("ArgMin", ONNXBN_FLOAT, 2, dims, x, 1, 1, 1, 2, d21, min_first);
    /* along the columns (the strided path), default axis 0 */
    const int64_t cmax[3] = {0, 1, 1}, cmin[3] = {1, 0, 0};
    check_arg("ArgMax", ONNXBN_FLOAT, 2, dims, x, 0, 0, 0, 1, d3, cmax);
    check_arg("ArgMin", ONNXBN_FLOAT, 2, dims, x, 0, 1, 0, 2, d13, cmin);
    const float t[4] = {1, 1, 1, 0};
    const int64_t d22[2] = {2, 2}, d2[1] = {2}, tfirst[2] = {0, 0}, tlast[2] = {1, 0};
    check_arg("ArgMax", ONNXBN_FLOAT, 2, d22, t, 0, 0, 0, 1, d2, tfirst);
    check_arg("ArgMax", ONNXBN_FLOAT, 2, d22, t, 0, 0, 1, 1, d2, tlast);
    const int64_t tminlast[2] = {1, 1};
    check_arg("ArgMin", ONNXBN_FLOAT, 2, d22, t, 0, 0, 1, 1, d2, tminlast);

    /* NaN is the extreme for both, as in numpy */
    const float xn[4] = {1, NAN, 3, NAN};
    const int64_t d4[1] = {4}, i1[1] = {1}, i3[1] = {3};
    check_arg("ArgMax", ONNXBN_FLOAT, 1, d4, xn, 0, 0, 0, 0, NULL, i1);
    check_arg("ArgMax", ONNXBN_FLOAT, 1, d4, xn, 0, 0, 1, 0, NULL, i3);
    check_arg("ArgMin", ONNXBN_FLOAT, 1, d4, xn, 0, 0, 0, 0, NULL, i1);

    /* integer types */
    const int8_t x8[3] = {-5, 7, 7};
    const int64_t i2[1] = {2}, d1[1] = {1};
    check_arg("ArgMax", ONNXBN_INT8, 1, d3, x8, 0, 1, 1, 1, d1, i2);
    const uint64_t xu[3] = {UINT64_MAX, 1, UINT64_MAX - 1};
    const int64_t i0[1] = {0};
    check_arg("ArgMax", ONNXBN_UINT64, 1, d3, xu, 0, 0, 0, 0, NULL, i0);
    check_arg("ArgMin", ONNXBN_UINT64, 1, d3, xu, 0, 0, 0, 0, NULL, i1);
    const double xd[3] = {-1e300, 1e300, 0};
    check_arg("ArgMax", ONNXBN_DOUBLE, 1, d3, xd, 0, 0, 0, 0, NULL, i1);

    /* errors: axis out of range, an empty axis with outputs */
    mk_model *m = arg_model("ArgMax", 13, ONNXBN_FLOAT, 2, dims, 2, -1, -1);
    expect_fail_model(m, ONNXBN_FLOAT, 2, dims, ONNXBN_ERR_MODEL, "out of range");
    mk_free(m);
    const int64_t d02[2] = {0, 2};
    m = arg_model("ArgMin", 13, ONNXBN_FLOAT, 2, d02, 0, -1, -1);
    expect_fail_model(m, ONNXBN_FLOAT, 2, d02, ONNXBN_ERR_SHAPE, "length 0");
    mk_free(m);
    /* ... but an empty output is fine */
    const int64_t d012[1] = {0};
    m = arg_model("ArgMin", 13, ONNXBN_FLOAT, 2, d02, 1, 0, -1);
    onnxbn_session *s = open_run_ok(m, ONNXBN_FLOAT, 2, d02, NULL);
    expect_i64(s, 1, d012, NULL, "empty");
    onnxbn_session_free(s);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_by_hand),
        cmocka_unit_test(test_axis_subsets),
        cmocka_unit_test(test_keepdims_default_and_ones),
        cmocka_unit_test(test_sum_axes_input),
        cmocka_unit_test(test_opset18),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_nan),
        cmocka_unit_test(test_nan_long),
        cmocka_unit_test(test_log_sum_exp_range),
        cmocka_unit_test(test_float_accuracy),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_other_floats),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
