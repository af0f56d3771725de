/* SPDX-License-Identifier: Apache-2.0 */
/* test_binary.c — the element-wise binary, variadic, comparison, logic and Where operators: broadcasting
 * forms, legacy axis broadcasting, integer edge cases, mixed-type Pow, shape and type errors. */
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
#include "kernels/elementwise.h"
#include "mkmodel.h"

/* ---- helpers ---- */

#define F32 ONNXBN_FLOAT
#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* A model with graph inputs from the feeds and one node `op` named `name` reading them in order
 * and giving "out". */
static mk_node *model1(mk_model *m, const char *op, const char *name, size_t n, const mk_feed *f)
{
    char ins[256] = "";
    for (size_t i = 0; i < n; i++) {
        mk_input(m, f[i].name, f[i].dtype ? f[i].dtype : F32, f[i].rank, f[i].dims);
        strcat(ins, i ? "," : "");
        strcat(ins, f[i].name);
    }
    mk_output(m, "out", ONNXBN_UNDEFINED, -1, NULL);
    return mk_node_add(m, op, name, ins, "out");
}

/* Opens and runs; the session is returned for inspection (NULL when opening failed). */
static onnxbn_status open_run(const mk_model *m, size_t n, const mk_feed *f, onnxbn_session **s,
                              onnxbn_error *err)
{
    *s = NULL;
    onnxbn_status st = mk_session(m, s, err);
    if (!st)
        st = mk_run(*s, n, f, err);
    return st;
}

/* Checks output 0's type, shape and values (through double; exact unless tol > 0; NaN matches NaN). */
static void expect(const onnxbn_session *s, onnxbn_dtype dt, int rank, const int64_t *dims,
                   const double *want, double tol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, 0);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    int64_t n = 1;
    for (int d = 0; d < rank; d++) {
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
        n *= dims[d];
    }
    assert_int_equal(onnxbn_tensor_numel(t), n);
    for (int64_t k = 0; k < n; k++) {
        double g = onnxbn_get_f64(t, k), e = want[k];
        bool ok = (isnan(e) && isnan(g)) || g == e || fabs(g - e) <= tol * fabs(e);
        if (!ok)
            fail_msg("element %lld: got %.17g, expected %.17g", (long long)k, g, e);
    }
}

/* One node over the feeds at `opset`, run, output 0 checked. */
static void check_op(int64_t opset, const char *op, size_t n, const mk_feed *f, onnxbn_dtype dt,
                     int rank, const int64_t *dims, const double *want)
{
    mk_model *m = mk_new(opset);
    model1(m, op, "n", n, f);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, n, f, &s, &err))
        fail_msg("%s-%lld: %s", op, (long long)opset, err.msg);
    expect(s, dt, rank, dims, want, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Opens and runs a model that must fail with `want`; the message must contain each of the
 * NULL-ended strings. */
static void expect_fail(const mk_model *m, size_t n, const mk_feed *f, onnxbn_status want, ...)
{
    onnxbn_session *s;
    onnxbn_error err = {0};
    onnxbn_status st = open_run(m, n, f, &s, &err);
    onnxbn_session_free(s);
    if (st != want)
        fail_msg("status %s, expected %s: %s", onnxbn_status_name(st), onnxbn_status_name(want), err.msg);
    va_list ap;
    va_start(ap, want);
    for (const char *p; (p = va_arg(ap, const char *));)
        if (!strstr(err.msg, p))
            fail_msg("message lacks \"%s\": %s", p, err.msg);
    va_end(ap);
}

static const int64_t D23[] = {2, 3};

/* ---- broadcasting forms (float, current versions) ---- */

static void test_same_shape(void **state)
{
    (void)state;
    const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {0.5f, -1, 2, 4, -2, 8};
    const mk_feed f[] = {{"a", 0, 2, D23, a}, {"b", 0, 2, D23, b}};
    const double add[] = {1.5, 1, 5, 8, 3, 14}, sub[] = {0.5, 3, 1, 0, 7, -2},
                 mul[] = {0.5, -2, 6, 16, -10, 48}, dv[] = {2, -2, 1.5, 1, -2.5, 0.75};
    check_op(14, "Add", 2, f, F32, 2, D23, add);
    check_op(14, "Sub", 2, f, F32, 2, D23, sub);
    check_op(7, "Mul", 2, f, F32, 2, D23, mul);
    check_op(13, "Div", 2, f, F32, 2, D23, dv);
}

/* A scalar on the left of a non-commutative operator, and on the right. */
static void test_scalar(void **state)
{
    (void)state;
    const float ten = 10, four = 4, x[] = {1, 2, 3, 4, 5, 6}, x2[] = {2, 4, 6, 8, 10, 12};
    const mk_feed f1[] = {{"s", 0, 0, NULL, &ten}, {"x", 0, 2, D23, x}};
    const double w1[] = {9, 8, 7, 6, 5, 4};
    check_op(14, "Sub", 2, f1, F32, 2, D23, w1);
    const mk_feed f2[] = {{"x", 0, 2, D23, x2}, {"s", 0, 0, NULL, &four}};
    const double w2[] = {0.5, 1, 1.5, 2, 2.5, 3};
    check_op(14, "Div", 2, f2, F32, 2, D23, w2);
    /* a one-element tensor of rank 1 broadcasts the same way */
    const int64_t d1[] = {1};
    const mk_feed f3[] = {{"x", 0, 2, D23, x2}, {"s", 0, 1, d1, &four}};
    check_op(14, "Div", 2, f3, F32, 2, D23, w2);
}

/* (N,C,H,W) + (C,1,1): the channel operand is constant along H·W. The bias is an initializer, as
 * in exported models. */
static void test_per_channel(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3, 1, 2}, cd[] = {3, 1, 1};
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    const float cv[] = {100, 200, 300};
    mk_model *m = mk_new(14);
    mk_input(m, "x", F32, 4, xd);
    mk_init_f32(m, "c", 3, cd, cv);
    mk_output(m, "y", F32, 4, xd);
    mk_node_add(m, "Add", "add", "x,c", "y");
    onnxbn_session *s;
    onnxbn_error err = {0};
    const mk_feed f = {"x", 0, 4, xd, x};
    if (open_run(m, 1, &f, &s, &err))
        fail_msg("%s", err.msg);
    const double want[] = {100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311};
    expect(s, F32, 4, xd, want, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* (N,C,H,W) · (N,C,1,1), as squeeze-and-excitation blocks do. */
static void test_per_row_scale(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 2, 1, 3}, sd[] = {2, 2, 1, 1};
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, sc[] = {1, 2, 3, 4};
    const mk_feed f[] = {{"x", 0, 4, xd, x}, {"s", 0, 4, sd, sc}};
    const double want[] = {1, 2, 3, 8, 10, 12, 21, 24, 27, 40, 44, 48};
    check_op(14, "Mul", 2, f, F32, 4, xd, want);
}

/* (2,3) + (3): B gains a leading axis. */
static void test_rank_extension(void **state)
{
    (void)state;
    const int64_t d3[] = {3};
    const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30};
    const mk_feed f[] = {{"a", 0, 2, D23, a}, {"b", 0, 1, d3, b}};
    const double want[] = {11, 22, 33, 14, 25, 36};
    check_op(14, "Add", 2, f, F32, 2, D23, want);
}

/* Both operands stretch: (3,1)+(1,4) → (3,4), and (2,1,2)−(3,1) → (2,3,2). */
static void test_both_sided(void **state)
{
    (void)state;
    const int64_t d31[] = {3, 1}, d14[] = {1, 4}, d34[] = {3, 4};
    const float a[] = {1, 2, 3}, b[] = {10, 20, 30, 40};
    const mk_feed f[] = {{"a", 0, 2, d31, a}, {"b", 0, 2, d14, b}};
    const double want[] = {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43};
    check_op(14, "Add", 2, f, F32, 2, d34, want);

    const int64_t d212[] = {2, 1, 2}, d232[] = {2, 3, 2};
    const float c[] = {1, 2, 3, 4}, d[] = {10, 20, 30};
    const mk_feed g[] = {{"c", 0, 3, d212, c}, {"d", 0, 2, d31, d}};
    const double want2[] = {-9, -8, -19, -18, -29, -28, -7, -6, -17, -16, -27, -26};
    check_op(14, "Sub", 2, g, F32, 3, d232, want2);
}

static void test_empty(void **state)
{
    (void)state;
    const int64_t d03[] = {0, 3}, d3[] = {3};
    const float b[] = {1, 2, 3};
    const mk_feed f[] = {{"a", 0, 2, d03, b}, {"b", 0, 1, d3, b}};
    check_op(14, "Add", 2, f, F32, 2, d03, NULL);
}

/* Every input constant: evaluated once at plan time. */
static void test_constant_inputs(void **state)
{
    (void)state;
    const int64_t d2[] = {2};
    const float a[] = {1.5f, -2}, b[] = {4, 0.25f};
    mk_model *m = mk_new(14);
    mk_init_f32(m, "a", 1, d2, a);
    mk_init_f32(m, "b", 1, d2, b);
    mk_output(m, "y", F32, 1, d2);
    mk_node_add(m, "Mul", "mul", "a,b", "y");
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, 0, NULL, &s, &err))
        fail_msg("%s", err.msg);
    const double want[] = {6, -0.5};
    expect(s, F32, 1, d2, want, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* ---- legacy broadcasting: Add-1/6 …, `broadcast` and `axis` ---- */

static void check_legacy(int64_t opset, const char *op, int64_t bc, int64_t axis, size_t n,
                         const mk_feed *f, onnxbn_dtype dt, int rank, const int64_t *dims,
                         const double *want)
{
    mk_model *m = mk_new(opset);
    mk_node *nd = model1(m, op, "n", n, f);
    if (bc >= 0)
        mk_attr_i(nd, "broadcast", bc);
    if (axis != INT64_MIN)
        mk_attr_i(nd, "axis", axis);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, n, f, &s, &err))
        fail_msg("%s-%lld: %s", op, (long long)opset, err.msg);
    expect(s, dt, rank, dims, want, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* (2,3,2) + (3) at axis 1: numpy could not broadcast these (trailing 2 vs 3). */
static void test_legacy_axis(void **state)
{
    (void)state;
    const int64_t ad[] = {2, 3, 2}, bd[] = {3};
    float a[12];
    for (int i = 0; i < 12; i++)
        a[i] = (float)i;
    const float b[] = {100, 200, 300};
    const mk_feed f[] = {{"a", 0, 3, ad, a}, {"b", 0, 1, bd, b}};
    const double want[] = {100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311};
    check_legacy(6, "Add", 1, 1, 2, f, F32, 3, ad, want);
    check_legacy(1, "Add", 1, 1, 2, f, F32, 3, ad, want);
    /* negative axis counts from A's end */
    check_legacy(6, "Add", 1, -2, 2, f, F32, 3, ad, want);
    const double sub[] = {-100, -99, -198, -197, -296, -295, -94, -93, -192, -191, -290, -289};
    check_legacy(6, "Sub", 1, 1, 2, f, F32, 3, ad, sub);
}

static void test_legacy_suffix_and_axis0(void **state)
{
    (void)state;
    const int64_t d3[] = {3}, d2[] = {2}, d21[] = {2, 1}, d11[] = {1, 1};
    const float a[] = {0, 1, 2, 3, 4, 5}, row[] = {10, 20, 30}, col[] = {10, 20}, one[] = {1};
    /* no axis: B's dims match A's trailing dims */
    const mk_feed f1[] = {{"a", 0, 2, D23, a}, {"b", 0, 1, d3, row}};
    const double w1[] = {10, 21, 32, 13, 24, 35};
    check_legacy(6, "Add", 1, INT64_MIN, 2, f1, F32, 2, D23, w1);
    /* axis 0 */
    const mk_feed f2[] = {{"a", 0, 2, D23, a}, {"b", 0, 1, d2, col}};
    const double w2[] = {10, 11, 12, 23, 24, 25};
    check_legacy(6, "Add", 1, 0, 2, f2, F32, 2, D23, w2);
    /* a size-1 dim in B stretches (PyTorch's exporter emits (2,1) at axis 0) */
    const mk_feed f3[] = {{"a", 0, 2, D23, a}, {"b", 0, 2, d21, col}};
    check_legacy(6, "Add", 1, 0, 2, f3, F32, 2, D23, w2);
    /* one element: a scalar whatever its rank */
    const mk_feed f4[] = {{"a", 0, 2, D23, a}, {"b", 0, 2, d11, one}};
    const double w4[] = {-1, 0, 1, 2, 3, 4};
    check_legacy(6, "Sub", 1, INT64_MIN, 2, f4, F32, 2, D23, w4);
    /* without broadcast: same shapes, plain element-wise */
    const float b[] = {1, 1, 2, 2, 4, 4};
    const mk_feed f5[] = {{"a", 0, 2, D23, a}, {"b", 0, 2, D23, b}};
    const double w5[] = {0, 1, 1, 1.5, 1, 1.25};
    check_legacy(6, "Div", -1, INT64_MIN, 2, f5, F32, 2, D23, w5);
}

static void test_legacy_pow_and_compare(void **state)
{
    (void)state;
    const int64_t d22[] = {2, 2}, d2[] = {2};
    const float a[] = {1, 2, 3, 4}, e[] = {2, 3};
    const mk_feed f[] = {{"a", 0, 2, d22, a}, {"e", 0, 1, d2, e}};
    const double w[] = {1, 4, 27, 64};
    check_legacy(1, "Pow", 1, 0, 2, f, F32, 2, d22, w);

    const int32_t ia[] = {1, 2, 3, 4}, ib[] = {1, 4};
    const mk_feed g[] = {{"a", ONNXBN_INT32, 2, d22, ia}, {"b", ONNXBN_INT32, 1, d2, ib}};
    const double w2[] = {1, 0, 0, 1};
    check_legacy(1, "Equal", 1, INT64_MIN, 2, g, ONNXBN_BOOL, 2, d22, w2);

    const uint8_t ba[] = {1, 1, 0, 0}, bb[] = {1, 0};
    const mk_feed h[] = {{"a", ONNXBN_BOOL, 2, d22, ba}, {"b", ONNXBN_BOOL, 1, d2, bb}};
    const double w3[] = {1, 0, 0, 0};
    check_legacy(1, "And", 1, INT64_MIN, 2, h, ONNXBN_BOOL, 2, d22, w3);
}

static void test_legacy_errors(void **state)
{
    (void)state;
    const int64_t d3[] = {3}, d4[] = {4};
    const float a[6] = {0}, b[4] = {0};
    /* different shapes without broadcast=1 */
    mk_model *m = mk_new(6);
    const mk_feed f[] = {{"x", 0, 2, D23, a}, {"w", 0, 1, d3, b}};
    model1(m, "Add", "add6", 2, f);
    expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'add6' (Add)", "'x'", "'w'", "[2,3]", "[3]",
                "broadcast", NULL);
    mk_free(m);
    /* B does not fit A at the axis */
    m = mk_new(6);
    const mk_feed g[] = {{"x", 0, 2, D23, a}, {"w", 0, 1, d4, b}};
    mk_attr_i(model1(m, "Add", "add6", 2, g), "broadcast", 1);
    expect_fail(m, 2, g, ONNXBN_ERR_SHAPE, "node 'add6' (Add)", "'x'", "'w'", "[2,3]", "[4]",
                "axis 1", NULL);
    mk_free(m);
    /* axis past A's end */
    m = mk_new(6);
    mk_node *nd = model1(m, "Mul", "mul6", 2, f);
    mk_attr_i(nd, "broadcast", 1);
    mk_attr_i(nd, "axis", 2);
    expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'mul6' (Mul)", "[3]", "axis 2", NULL);
    mk_free(m);
}

/* ---- shape and type errors ---- */

static void test_shape_errors(void **state)
{
    (void)state;
    const int64_t d4[] = {4}, d2[] = {2};
    const float a[6] = {0}, b[4] = {0};
    mk_model *m = mk_new(14);
    const mk_feed f[] = {{"x", 0, 2, D23, a}, {"w", 0, 1, d4, b}};
    model1(m, "Add", "add1", 2, f);
    expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'add1' (Add)", "'x'", "'w'", "[2,3]", "[4]",
                "do not broadcast", NULL);
    mk_free(m);

    m = mk_new(13);
    model1(m, "Less", "lt", 2, f);
    expect_fail(m, 2, f, ONNXBN_ERR_SHAPE, "node 'lt' (Less)", "[2,3]", "[4]", NULL);
    mk_free(m);

    /* Sum-6 wants equal shapes; Sum-8 broadcasts but (2,3) and (2) do not */
    const mk_feed g[] = {{"x", 0, 2, D23, a}, {"w", 0, 1, d2, b}};
    const int64_t d3[] = {3};
    const mk_feed h[] = {{"x", 0, 2, D23, a}, {"w", 0, 1, d3, b}};
    m = mk_new(6);
    model1(m, "Sum", "sum", 2, h);
    expect_fail(m, 2, h, ONNXBN_ERR_SHAPE, "node 'sum' (Sum)", "[2,3]", "[3]", NULL);
    mk_free(m);
    m = mk_new(8);
    model1(m, "Sum", "sum", 2, g);
    expect_fail(m, 2, g, ONNXBN_ERR_SHAPE, "node 'sum' (Sum)", "[2,3]", "[2]", NULL);
    mk_free(m);

    const uint8_t c[2] = {0};
    const mk_feed w[] = {{"c", ONNXBN_BOOL, 1, d2, c}, {"x", 0, 2, D23, a}, {"y", 0, 1, d4, b}};
    m = mk_new(16);
    model1(m, "Where", "wh", 3, w);
    expect_fail(m, 3, w, ONNXBN_ERR_SHAPE, "node 'wh' (Where)", "[2]", "[2,3]", "[4]", NULL);
    mk_free(m);
}

static void test_type_errors(void **state)
{
    (void)state;
    const int64_t d2[] = {2};
    const int8_t i8[2] = {0};
    const double f64[2] = {0};
    const float f32[2] = {0};
    /* int8 arrives in Add-14 */
    mk_model *m = mk_new(13);
    const mk_feed f[] = {{"a", ONNXBN_INT8, 1, d2, i8}, {"b", ONNXBN_INT8, 1, d2, i8}};
    model1(m, "Add", "add", 2, f);
    expect_fail(m, 2, f, ONNXBN_ERR_TYPE, "node 'add' (Add)", "int8", "Add-13", NULL);
    mk_free(m);
    /* one type for both inputs */
    m = mk_new(14);
    const mk_feed g[] = {{"a", 0, 1, d2, f32}, {"b", ONNXBN_DOUBLE, 1, d2, f64}};
    model1(m, "Add", "add", 2, g);
    expect_fail(m, 2, g, ONNXBN_ERR_TYPE, "float", "double", NULL);
    mk_free(m);
    /* Pow takes two types only from 12 */
    m = mk_new(11);
    model1(m, "Pow", "pow", 2, g);
    expect_fail(m, 2, g, ONNXBN_ERR_TYPE, "node 'pow' (Pow)", NULL);
    mk_free(m);
    /* Max of integers from 12 */
    m = mk_new(8);
    model1(m, "Max", "max", 2, f);
    expect_fail(m, 2, f, ONNXBN_ERR_TYPE, "node 'max' (Max)", "int8", NULL);
    mk_free(m);
    /* Where's X and Y agree */
    const uint8_t c[2] = {1, 0};
    const mk_feed w[] = {{"c", ONNXBN_BOOL, 1, d2, c}, {"x", 0, 1, d2, f32}, {"y", ONNXBN_DOUBLE, 1, d2, f64}};
    m = mk_new(16);
    model1(m, "Where", "wh", 3, w);
    expect_fail(m, 3, w, ONNXBN_ERR_TYPE, "node 'wh' (Where)", NULL);
    mk_free(m);
    /* And takes bool only */
    m = mk_new(7);
    model1(m, "And", "and", 2, g);
    expect_fail(m, 2, g, ONNXBN_ERR_TYPE, "node 'and' (And)", NULL);
    mk_free(m);
}

/* ---- integers ---- */

static void test_int_div(void **state)
{
    (void)state;
    const int64_t d7[] = {7}, d3[] = {3};
    /* truncation toward zero; x/0 gives 0; INT_MIN/-1 wraps instead of trapping */
    const int32_t a[] = {-7, 7, -7, 7, 5, INT32_MIN, 0}, b[] = {2, -2, -2, 2, 0, -1, 3};
    const mk_feed f[] = {{"a", ONNXBN_INT32, 1, d7, a}, {"b", ONNXBN_INT32, 1, d7, b}};
    const double w[] = {-3, -3, 3, 3, 0, INT32_MIN, 0};
    check_op(14, "Div", 2, f, ONNXBN_INT32, 1, d7, w);
    const uint8_t ua[] = {200, 7, 9}, ub[] = {7, 0, 3};
    const mk_feed g[] = {{"a", ONNXBN_UINT8, 1, d3, ua}, {"b", ONNXBN_UINT8, 1, d3, ub}};
    const double w2[] = {28, 0, 3};
    check_op(14, "Div", 2, g, ONNXBN_UINT8, 1, d3, w2);
}

static void test_int_wrap(void **state)
{
    (void)state;
    const int64_t d2[] = {2}, d3[] = {3};
    const int64_t a[] = {INT64_MAX, INT64_MIN}, b[] = {1, 1};
    mk_model *m = mk_new(14);
    const mk_feed f[] = {{"a", ONNXBN_INT64, 1, d2, a}, {"b", ONNXBN_INT64, 1, d2, b}};
    model1(m, "Add", "add", 2, f);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, 2, f, &s, &err))
        fail_msg("%s", err.msg);
    const int64_t *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    assert_true(y[0] == INT64_MIN);
    assert_true(y[1] == INT64_MIN + 1);
    onnxbn_session_free(s);
    mk_free(m);

    const int8_t c[] = {100, -128, 7}, d[] = {3, -1, -1};
    const mk_feed g[] = {{"c", ONNXBN_INT8, 1, d3, c}, {"d", ONNXBN_INT8, 1, d3, d}};
    const double w[] = {44, -128, -7}; /* 300 − 256; 128 wraps to −128 */
    check_op(14, "Mul", 2, g, ONNXBN_INT8, 1, d3, w);
}

static void test_mod(void **state)
{
    (void)state;
    const int64_t d7[] = {7}, d2[] = {2};
    const int32_t a[] = {-4, 7, 5, 4, -7, 8, 3}, b[] = {2, -3, 8, -2, 3, 5, 0};
    const mk_feed f[] = {{"a", ONNXBN_INT32, 1, d7, a}, {"b", ONNXBN_INT32, 1, d7, b}};
    const double py[] = {0, -2, 5, 0, 2, 3, 0}; /* sign of the divisor; x % 0 = 0 */
    check_op(13, "Mod", 2, f, ONNXBN_INT32, 1, d7, py);

    mk_model *m = mk_new(10);
    mk_attr_i(model1(m, "Mod", "mod", 2, f), "fmod", 1);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, 2, f, &s, &err))
        fail_msg("%s", err.msg);
    const double cf[] = {0, 1, 5, 0, -1, 3, 0}; /* sign of the dividend */
    expect(s, ONNXBN_INT32, 1, d7, cf, 0);
    onnxbn_session_free(s);
    mk_free(m);

    const float x[] = {-4.5f, 7.5f}, y[] = {2, -2};
    const mk_feed g[] = {{"x", 0, 1, d2, x}, {"y", 0, 1, d2, y}};
    m = mk_new(13);
    mk_attr_i(model1(m, "Mod", "mod", 2, g), "fmod", 1);
    if (open_run(m, 2, g, &s, &err))
        fail_msg("%s", err.msg);
    const double fw[] = {-0.5, 1.5};
    expect(s, F32, 1, d2, fw, 0);
    onnxbn_session_free(s);
    mk_free(m);
    /* floating point needs fmod=1 */
    m = mk_new(13);
    model1(m, "Mod", "mod", 2, g);
    expect_fail(m, 2, g, ONNXBN_ERR_MODEL, "node 'mod' (Mod)", "fmod", NULL);
    mk_free(m);
}

static void test_bitshift(void **state)
{
    (void)state;
    const int64_t d4[] = {4}, d2[] = {2};
    const uint8_t x[] = {1, 255, 3, 1}, s[] = {7, 1, 8, 0};
    const mk_feed f[] = {{"x", ONNXBN_UINT8, 1, d4, x}, {"s", ONNXBN_UINT8, 1, d4, s}};
    mk_model *m = mk_new(11);
    mk_attr_s(model1(m, "BitShift", "sh", 2, f), "direction", "LEFT");
    onnxbn_session *ss;
    onnxbn_error err = {0};
    if (open_run(m, 2, f, &ss, &err))
        fail_msg("%s", err.msg);
    const double w[] = {128, 254, 0, 1}; /* a shift by the width gives 0 */
    expect(ss, ONNXBN_UINT8, 1, d4, w, 0);
    onnxbn_session_free(ss);
    mk_free(m);

    const uint64_t y[] = {UINT64_MAX, 16}, t[] = {63, 64};
    const mk_feed g[] = {{"x", ONNXBN_UINT64, 1, d2, y}, {"s", ONNXBN_UINT64, 1, d2, t}};
    m = mk_new(11);
    mk_attr_s(model1(m, "BitShift", "sh", 2, g), "direction", "RIGHT");
    if (open_run(m, 2, g, &ss, &err))
        fail_msg("%s", err.msg);
    const double w2[] = {1, 0};
    expect(ss, ONNXBN_UINT64, 1, d2, w2, 0);
    onnxbn_session_free(ss);
    mk_free(m);

    m = mk_new(11);
    mk_attr_s(model1(m, "BitShift", "sh", 2, g), "direction", "UP");
    expect_fail(m, 2, g, ONNXBN_ERR_MODEL, "node 'sh' (BitShift)", "direction", NULL);
    mk_free(m);
}

/* ---- Pow ---- */

static void test_pow(void **state)
{
    (void)state;
    const int64_t d4[] = {4}, d3[] = {3}, d5[] = {5}, d2[] = {2};
    /* float base, int64 exponent (negative and zero too) */
    const float x[] = {2, -2, 0.5f, 3};
    const int64_t e[] = {3, 2, -1, 0};
    const mk_feed f[] = {{"x", 0, 1, d4, x}, {"e", ONNXBN_INT64, 1, d4, e}};
    const double w[] = {8, 4, 2, 1};
    check_op(15, "Pow", 2, f, F32, 1, d4, w);
    /* int32 base, float exponent: truncated */
    const int32_t ib[] = {2, 9, -8};
    const float fe[] = {0.5f, 0.5f, 1};
    const mk_feed g[] = {{"x", ONNXBN_INT32, 1, d3, ib}, {"e", 0, 1, d3, fe}};
    const double w2[] = {1, 3, -8};
    check_op(12, "Pow", 2, g, ONNXBN_INT32, 1, d3, w2);
    /* int64 ^ int64, exact beyond 2^53; negative exponents truncate 1/x^n */
    const int64_t lb[] = {3, -1, -1, 2, 3}, le[] = {39, 3, -3, -1, 0};
    const mk_feed h[] = {{"x", ONNXBN_INT64, 1, d5, lb}, {"e", ONNXBN_INT64, 1, d5, le}};
    mk_model *m = mk_new(15);
    model1(m, "Pow", "pow", 2, h);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, 2, h, &s, &err))
        fail_msg("%s", err.msg);
    const int64_t *y = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    assert_true(y[0] == INT64_C(4052555153018976267)); /* 3^39 */
    assert_true(y[1] == -1 && y[2] == -1 && y[3] == 0 && y[4] == 1);
    onnxbn_session_free(s);
    mk_free(m);
    /* constant exponent 2, and a general one */
    const float v[] = {1.5f, -3, 0.25f}, two = 2, half = 0.5f;
    const mk_feed k[] = {{"x", 0, 1, d3, v}, {"e", 0, 0, NULL, &two}};
    const double w3[] = {2.25, 9, 0.0625};
    check_op(13, "Pow", 2, k, F32, 1, d3, w3);
    const float v2[] = {4, 2.25f};
    const mk_feed k2[] = {{"x", 0, 1, d2, v2}, {"e", 0, 0, NULL, &half}};
    const double w4[] = {2, 1.5};
    check_op(7, "Pow", 2, k2, F32, 1, d2, w4);
}

/* ---- comparisons ---- */

static void test_compare(void **state)
{
    (void)state;
    const int64_t d5[] = {5}, d2[] = {2}, d21[] = {2, 1}, d22[] = {2, 2};
    const float a[] = {1, 2, NAN, -0.0f, 3}, b[] = {2, 2, NAN, 0.0f, 1};
    const mk_feed f[] = {{"a", 0, 1, d5, a}, {"b", 0, 1, d5, b}};
    const double eq[] = {0, 1, 0, 1, 0}, lt[] = {1, 0, 0, 0, 0}, gt[] = {0, 0, 0, 0, 1},
                 le[] = {1, 1, 0, 1, 0}, ge[] = {0, 1, 0, 1, 1};
    check_op(13, "Equal", 2, f, ONNXBN_BOOL, 1, d5, eq);
    check_op(13, "Less", 2, f, ONNXBN_BOOL, 1, d5, lt);
    check_op(9, "Greater", 2, f, ONNXBN_BOOL, 1, d5, gt);
    check_op(12, "LessOrEqual", 2, f, ONNXBN_BOOL, 1, d5, le);
    check_op(16, "GreaterOrEqual", 2, f, ONNXBN_BOOL, 1, d5, ge);
    /* int64 compared exactly (these differ by 1 above 2^53) */
    const int64_t x[] = {INT64_MAX, INT64_MAX - 1}, y[] = {INT64_MAX - 1, INT64_MAX};
    const mk_feed g[] = {{"x", ONNXBN_INT64, 1, d2, x}, {"y", ONNXBN_INT64, 1, d2, y}};
    const double w[] = {1, 0};
    check_op(13, "Greater", 2, g, ONNXBN_BOOL, 1, d2, w);
    /* bool Equal broadcast both ways */
    const uint8_t p[] = {1, 0}, q[] = {1, 0};
    const mk_feed h[] = {{"p", ONNXBN_BOOL, 2, d21, p}, {"q", ONNXBN_BOOL, 1, d2, q}};
    const double w2[] = {1, 0, 0, 1};
    check_op(11, "Equal", 2, h, ONNXBN_BOOL, 2, d22, w2);
}

/* ---- logic ---- */

static void test_logic(void **state)
{
    (void)state;
    const int64_t d22[] = {2, 2}, d2[] = {2}, d3[] = {3};
    const uint8_t a[] = {1, 1, 0, 0}, b[] = {1, 0};
    const mk_feed f[] = {{"a", ONNXBN_BOOL, 2, d22, a}, {"b", ONNXBN_BOOL, 1, d2, b}};
    const double wand[] = {1, 0, 0, 0}, wor[] = {1, 1, 1, 0}, wxor[] = {0, 1, 1, 0};
    check_op(7, "And", 2, f, ONNXBN_BOOL, 2, d22, wand);
    check_op(7, "Or", 2, f, ONNXBN_BOOL, 2, d22, wor);
    check_op(7, "Xor", 2, f, ONNXBN_BOOL, 2, d22, wxor);
    const uint8_t x[] = {1, 0, 0};
    const mk_feed g[] = {{"x", ONNXBN_BOOL, 1, d3, x}};
    const double wnot[] = {0, 1, 1};
    check_op(1, "Not", 1, g, ONNXBN_BOOL, 1, d3, wnot);
}

/* ---- Where ---- */

static void test_where(void **state)
{
    (void)state;
    const int64_t d21[] = {2, 1}, d13[] = {1, 3};
    const uint8_t c[] = {1, 0};
    const float x[] = {1, 2, 3}, y = -1;
    const mk_feed f[] = {{"c", ONNXBN_BOOL, 2, d21, c}, {"x", 0, 2, d13, x}, {"y", 0, 0, NULL, &y}};
    const double w[] = {1, 2, 3, -1, -1, -1};
    check_op(16, "Where", 3, f, F32, 2, D23, w);
    /* int64 copied exactly; the condition broadcast along rows */
    const int64_t d3[] = {3};
    const uint8_t c2[] = {0, 1, 0};
    const int64_t xi[] = {INT64_MAX, 2, 3, 4, 5, 6}, yi[] = {-7, -8, INT64_MIN + 1};
    const mk_feed g[] = {{"c", ONNXBN_BOOL, 1, d3, c2}, {"x", ONNXBN_INT64, 2, D23, xi},
                         {"y", ONNXBN_INT64, 1, d3, yi}};
    mk_model *m = mk_new(9);
    model1(m, "Where", "wh", 3, g);
    onnxbn_session *s;
    onnxbn_error err = {0};
    if (open_run(m, 3, g, &s, &err))
        fail_msg("%s", err.msg);
    const int64_t *o = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    const int64_t want[] = {-7, 2, INT64_MIN + 1, -7, 5, INT64_MIN + 1};
    for (int i = 0; i < 6; i++)
        assert_true(o[i] == want[i]);
    onnxbn_session_free(s);
    mk_free(m);
}

/* ---- variadic ---- */

static void test_variadic(void **state)
{
    (void)state;
    const int64_t d21[] = {2, 1}, d3[] = {3}, d2[] = {2};
    const float a[] = {1, 2}, b[] = {10, 20, 30}, c = 100;
    const mk_feed f[] = {{"a", 0, 2, d21, a}, {"b", 0, 1, d3, b}, {"c", 0, 0, NULL, &c}};
    const double sum[] = {111, 121, 131, 112, 122, 132};
    check_op(13, "Sum", 3, f, F32, 2, D23, sum);
    const double mx[] = {100, 100, 100, 100, 100, 100};
    check_op(8, "Max", 3, f, F32, 2, D23, mx);
    const double mn[] = {1, 1, 1, 2, 2, 2};
    check_op(13, "Min", 3, f, F32, 2, D23, mn);

    const float p[] = {1, 2}, q[] = {2, 4}, r[] = {6, 9};
    const mk_feed g[] = {{"p", 0, 1, d2, p}, {"q", 0, 1, d2, q}, {"r", 0, 1, d2, r}};
    const double mean[] = {3, 5};
    check_op(6, "Mean", 3, g, F32, 1, d2, mean);
    check_op(13, "Mean", 3, g, F32, 1, d2, mean);
    /* one input: itself */
    const mk_feed one[] = {{"q", 0, 1, d2, q}};
    const double wq[] = {2, 4};
    check_op(13, "Max", 1, one, F32, 1, d2, wq);
    check_op(13, "Mean", 1, one, F32, 1, d2, wq);
    /* NaN wins in Max and Min, as in numpy */
    const float n1[] = {1, NAN, 3}, n2[] = {2, 1, NAN};
    const mk_feed h[] = {{"a", 0, 1, d3, n1}, {"b", 0, 1, d3, n2}};
    const double wmax[] = {2, NAN, NAN}, wmin[] = {1, NAN, NAN};
    check_op(13, "Max", 2, h, F32, 1, d3, wmax);
    check_op(13, "Min", 2, h, F32, 1, d3, wmin);
    /* integers from 12 */
    const int8_t i1[] = {-128, 5, 7}, i2[] = {127, -3, 7};
    const mk_feed k[] = {{"a", ONNXBN_INT8, 1, d3, i1}, {"b", ONNXBN_INT8, 1, d3, i2}};
    const double wi[] = {-128, -3, 7};
    check_op(12, "Min", 2, k, ONNXBN_INT8, 1, d3, wi);
}

/* ---- float16 / bfloat16 through float ---- */

static void test_half(void **state)
{
    (void)state;
    const int64_t d3[] = {3};
    const uint16_t a[] = {onnxbn_float_to_half(1.5f), onnxbn_float_to_half(65504), onnxbn_float_to_half(-2)},
                   b[] = {onnxbn_float_to_half(2.25f), onnxbn_float_to_half(65504), onnxbn_float_to_half(0.5f)};
    const mk_feed f[] = {{"a", ONNXBN_FLOAT16, 1, d3, a}, {"b", ONNXBN_FLOAT16, 1, d3, b}};
    const double add[] = {3.75, INFINITY, -1.5}, mx[] = {2.25, 65504, 0.5}, lt[] = {1, 0, 1};
    check_op(14, "Add", 2, f, ONNXBN_FLOAT16, 1, d3, add);
    check_op(13, "Max", 2, f, ONNXBN_FLOAT16, 1, d3, mx);
    check_op(13, "Less", 2, f, ONNXBN_BOOL, 1, d3, lt);
    const uint16_t c[] = {onnxbn_float_to_bf16(1), onnxbn_float_to_bf16(-3), onnxbn_float_to_bf16(0.5f)},
                   d[] = {onnxbn_float_to_bf16(2), onnxbn_float_to_bf16(4), onnxbn_float_to_bf16(0.25f)};
    const mk_feed g[] = {{"c", ONNXBN_BFLOAT16, 1, d3, c}, {"d", ONNXBN_BFLOAT16, 1, d3, d}};
    const double mul[] = {2, -12, 0.125};
    check_op(13, "Mul", 2, g, ONNXBN_BFLOAT16, 1, d3, mul);
}

/* ---- the kernel against index arithmetic, over random broadcast shapes ---- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Offset of output element `flat` in an input of shape (r, d) broadcast to (ro, dout), straight
 * from the definition (right-aligned dims, size-1 dims read index 0). */
static int64_t ref_offset(int64_t flat, int ro, const int64_t *dout, int r, const int64_t *d)
{
    int64_t off = 0, stride = 1;
    for (int i = ro - 1; i >= 0; i--) {
        int64_t idx = flat % dout[i];
        flat /= dout[i];
        int j = i - (ro - r);
        if (j >= 0) {
            off += (d[j] == 1 ? 0 : idx) * stride;
            stride *= d[j];
        }
    }
    return off;
}

static void strides_of(int r, const int64_t *d, int ro, const int64_t *dout, int64_t *st)
{
    for (int i = 0; i < ro; i++) {
        int j = i - (ro - r);
        int64_t s = 1;
        for (int k = j < 0 ? 0 : j + 1; k < r; k++)
            s *= d[k];
        st[i] = j < 0 || (d[j] == 1 && dout[i] != 1) ? 0 : s;
    }
}

static void test_kernel_random(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int trial = 0; trial < 400; trial++) {
        int ro = 1 + (int)(lcg(&seed) % 5);
        int64_t dout[8], da[8], db[8], dc[8];
        for (int i = 0; i < ro; i++)
            dout[i] = 1 + (int64_t)(lcg(&seed) % 4);
        int ra = ro - (int)(lcg(&seed) % (unsigned)(ro + 1)), rb = ro - (int)(lcg(&seed) % 2),
            rc = ro - (int)(lcg(&seed) % (unsigned)(ro + 1));
        for (int i = 0; i < ra; i++)
            da[i] = lcg(&seed) % 3 == 0 ? 1 : dout[i + ro - ra];
        for (int i = 0; i < rb; i++)
            db[i] = lcg(&seed) % 3 == 0 ? 1 : dout[i + ro - rb];
        for (int i = 0; i < rc; i++)
            dc[i] = lcg(&seed) % 2 == 0 ? 1 : dout[i + ro - rc];
        /* the output is what these broadcast to */
        for (int i = 0; i < ro; i++) {
            int ja = i - (ro - ra), jb = i - (ro - rb), jc = i - (ro - rc);
            bool any = (ja >= 0 && da[ja] != 1) || (jb >= 0 && db[jb] != 1) || (jc >= 0 && dc[jc] != 1);
            if (!any)
                dout[i] = 1;
        }
        int64_t na = 1, nb = 1, nc = 1, no = 1;
        for (int i = 0; i < ra; i++)
            na *= da[i];
        for (int i = 0; i < rb; i++)
            nb *= db[i];
        for (int i = 0; i < rc; i++)
            nc *= dc[i];
        for (int i = 0; i < ro; i++)
            no *= dout[i];
        float *a = malloc((size_t)na * 4), *b = malloc((size_t)nb * 4), *y = malloc((size_t)no * 4);
        int32_t *ia = malloc((size_t)na * 4), *ib = malloc((size_t)nb * 4), *iy = malloc((size_t)no * 4);
        uint8_t *c = malloc((size_t)nc), *by = malloc((size_t)no);
        for (int64_t i = 0; i < na; i++) {
            a[i] = (float)(lcg(&seed) % 1000) / 8 - 60;
            ia[i] = (int32_t)(lcg(&seed) % 2001) - 1000;
        }
        for (int64_t i = 0; i < nb; i++) {
            b[i] = (float)(lcg(&seed) % 1000) / 8 - 60;
            ib[i] = (int32_t)(lcg(&seed) % 2001) - 1000;
        }
        for (int64_t i = 0; i < nc; i++)
            c[i] = (uint8_t)(lcg(&seed) % 2);
        int64_t sa[8], sb[8], sc[8], sy[8];
        strides_of(ra, da, ro, dout, sa);
        strides_of(rb, db, ro, dout, sb);
        strides_of(rc, dc, ro, dout, sc);
        strides_of(ro, dout, ro, dout, sy);

        onnxbn_binary(ONNXBN_BIN_SUB, F32, F32, ro, dout, a, sa, b, sb, y);
        for (int64_t i = 0; i < no; i++)
            if (y[i] != a[ref_offset(i, ro, dout, ra, da)] - b[ref_offset(i, ro, dout, rb, db)])
                fail_msg("trial %d: Sub element %lld", trial, (long long)i);
        /* accumulating in place: y = y · b */
        onnxbn_binary(ONNXBN_BIN_MUL, F32, F32, ro, dout, y, sy, b, sb, y);
        for (int64_t i = 0; i < no; i++) {
            float bi = b[ref_offset(i, ro, dout, rb, db)];
            if (y[i] != (a[ref_offset(i, ro, dout, ra, da)] - bi) * bi)
                fail_msg("trial %d: in-place Mul element %lld", trial, (long long)i);
        }
        onnxbn_binary(ONNXBN_BIN_MOD, ONNXBN_INT32, ONNXBN_INT32, ro, dout, ia, sa, ib, sb, iy);
        for (int64_t i = 0; i < no; i++) {
            int32_t x = ia[ref_offset(i, ro, dout, ra, da)], z = ib[ref_offset(i, ro, dout, rb, db)];
            int32_t r = z == 0 ? 0 : x % z;
            if (r != 0 && (r < 0) != (z < 0))
                r += z;
            if (iy[i] != r)
                fail_msg("trial %d: Mod element %lld: %d %% %d gave %d", trial, (long long)i, x, z, iy[i]);
        }
        onnxbn_binary(ONNXBN_BIN_LE, F32, F32, ro, dout, a, sa, b, sb, by);
        for (int64_t i = 0; i < no; i++)
            if (by[i] != (a[ref_offset(i, ro, dout, ra, da)] <= b[ref_offset(i, ro, dout, rb, db)]))
                fail_msg("trial %d: LessOrEqual element %lld", trial, (long long)i);
        onnxbn_where(4, ro, dout, c, sc, a, sa, b, sb, y);
        for (int64_t i = 0; i < no; i++) {
            float w = c[ref_offset(i, ro, dout, rc, dc)] ? a[ref_offset(i, ro, dout, ra, da)]
                                                         : b[ref_offset(i, ro, dout, rb, db)];
            if (y[i] != w)
                fail_msg("trial %d: Where element %lld", trial, (long long)i);
        }
        free(a), free(b), free(y), free(ia), free(ib), free(iy), free(c), free(by);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_shape),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_per_channel),
        cmocka_unit_test(test_per_row_scale),
        cmocka_unit_test(test_rank_extension),
        cmocka_unit_test(test_both_sided),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_constant_inputs),
        cmocka_unit_test(test_legacy_axis),
        cmocka_unit_test(test_legacy_suffix_and_axis0),
        cmocka_unit_test(test_legacy_pow_and_compare),
        cmocka_unit_test(test_legacy_errors),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_int_div),
        cmocka_unit_test(test_int_wrap),
        cmocka_unit_test(test_mod),
        cmocka_unit_test(test_bitshift),
        cmocka_unit_test(test_pow),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_variadic),
        cmocka_unit_test(test_half),
        cmocka_unit_test(test_kernel_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
