/* SPDX-License-Identifier: Apache-2.0 */
/* test_gemm.c — the Gemm operator through the public session API: hand-computed values, every
 * attribute and C form against a reference, each opset's rules (C required, broadcast), errors. */
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

#define NOATTR (-1)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One Gemm node 'g' over graph inputs a, b and (rc ≥ 0) c, with static shapes, fed with data. */
typedef struct spec {
    int64_t opset;
    int64_t ta, tb, bcast;   /* NOATTR: attribute left out */
    float alpha, beta;       /* NAN: attribute left out */
    onnxbn_dtype dt;         /* 0: float */
    int ra, rb, rc;          /* ranks; rc -1: C absent */
    int64_t da[3], db[3], dc[3];
    const void *a, *b, *c;
} spec;

/* Builds, opens and runs the model; on success *out holds the session (the caller frees it). A
 * failure at open (static shapes plan early) or at run is returned with its message. */
static onnxbn_status run_spec(const spec *s, onnxbn_session **out, onnxbn_error *err)
{
    onnxbn_dtype dt = s->dt ? s->dt : ONNXBN_FLOAT;
    mk_model *m = mk_new(s->opset);
    mk_input(m, "a", dt, s->ra, s->da);
    mk_input(m, "b", dt, s->rb, s->db);
    if (s->rc >= 0)
        mk_input(m, "c", dt, s->rc, s->dc);
    mk_node *n = mk_node_add(m, "Gemm", "g", s->rc >= 0 ? "a,b,c" : "a,b", "y");
    if (s->ta != NOATTR)
        mk_attr_i(n, "transA", s->ta);
    if (s->tb != NOATTR)
        mk_attr_i(n, "transB", s->tb);
    if (s->bcast != NOATTR)
        mk_attr_i(n, "broadcast", s->bcast);
    if (!isnan(s->alpha))
        mk_attr_f(n, "alpha", s->alpha);
    if (!isnan(s->beta))
        mk_attr_f(n, "beta", s->beta);
    mk_output(m, "y", dt, -1, NULL);
    *out = NULL;
    onnxbn_session *ses = NULL;
    onnxbn_status st = mk_session(m, &ses, err);
    if (!st) {
        mk_feed feeds[3] = {{"a", dt, s->ra, s->da, s->a}, {"b", dt, s->rb, s->db, s->b},
                            {"c", dt, s->rc, s->dc, s->c}};
        st = mk_run(ses, s->rc >= 0 ? 3 : 2, feeds, err);
    }
    mk_free(m);
    if (st)
        onnxbn_session_free(ses);
    else
        *out = ses;
    return st;
}

static onnxbn_session *run_ok(const spec *s)
{
    onnxbn_session *ses;
    onnxbn_error err = {0};
    if (run_spec(s, &ses, &err))
        fail_msg("opset %lld: %s", (long long)s->opset, err.msg);
    return ses;
}

/* Runs and expects failure with `st` and a message holding each of the given fragments. */
static void run_fail(const spec *s, onnxbn_status want, const char *frag1, const char *frag2)
{
    onnxbn_session *ses;
    onnxbn_error err = {0};
    onnxbn_status st = run_spec(s, &ses, &err);
    if (st == ONNXBN_OK) {
        onnxbn_session_free(ses);
        fail_msg("opset %lld: expected %s, the model ran", (long long)s->opset,
                 onnxbn_status_name(want));
    }
    if (st != want)
        fail_msg("expected %s, got %s: %s", onnxbn_status_name(want), onnxbn_status_name(st), err.msg);
    if (!strstr(err.msg, "node 'g' (Gemm)"))
        fail_msg("message does not name the node: %s", err.msg);
    if ((frag1 && !strstr(err.msg, frag1)) || (frag2 && !strstr(err.msg, frag2)))
        fail_msg("message lacks '%s' / '%s': %s", frag1 ? frag1 : "", frag2 ? frag2 : "", err.msg);
}

/* A = [[1,2,3],[4,5,6]], B = [[1,2],[3,4],[5,6]]: A·B = [[22,28],[49,64]]. Stored transposed:
 * At = [[1,4],[2,5],[3,6]], Bt = [[1,3,5],[2,4,6]]. */
static const float A23[] = {1, 2, 3, 4, 5, 6}, A23t[] = {1, 4, 2, 5, 3, 6};
static const float B32[] = {1, 2, 3, 4, 5, 6}, B32t[] = {1, 3, 5, 2, 4, 6};
static const int64_t d22[] = {2, 2};

static spec base(int64_t opset)
{
    spec s = {.opset = opset, .ta = NOATTR, .tb = NOATTR, .bcast = NOATTR, .alpha = NAN,
              .beta = NAN, .ra = 2, .rb = 2, .rc = -1, .da = {2, 3}, .db = {3, 2}, .a = A23,
              .b = B32};
    return s;
}

static void expect(const spec *s, const float *want)
{
    onnxbn_session *ses = run_ok(s);
    mk_expect_f32(ses, 0, 2, d22, want, 0, 0);
    onnxbn_session_free(ses);
}

static void test_hand_defaults(void **state)
{
    (void)state;
    const float cm[] = {10, 20, 30, 40};
    spec s = base(13);
    s.rc = 2, s.dc[0] = 2, s.dc[1] = 2, s.c = cm;
    expect(&s, (const float[]){32, 48, 79, 104});
    s = base(11); /* no C */
    expect(&s, (const float[]){22, 28, 49, 64});
    s = base(13);
    expect(&s, (const float[]){22, 28, 49, 64});
}

/* transA, transB, alpha 0.5, beta 2, C = [10,20]: 0.5·[[22,28],[49,64]] + 2·[10,20]
 * = [[31,54],[44.5,72]], whatever the storage of A and B. */
static void test_hand_all_attributes(void **state)
{
    (void)state;
    const float cn[] = {10, 20};
    for (int t = 0; t < 4; t++) {
        spec s = base(13);
        s.ta = t & 1, s.tb = (t >> 1) & 1, s.alpha = 0.5f, s.beta = 2.0f;
        if (s.ta)
            s.da[0] = 3, s.da[1] = 2, s.a = A23t;
        if (s.tb)
            s.db[0] = 2, s.db[1] = 3, s.b = B32t;
        s.rc = 1, s.dc[0] = 2, s.c = cn;
        expect(&s, (const float[]){31, 54, 44.5f, 72});
    }
}

/* C as a column (M,1) = [[1],[2]] adds per row: [[23,29],[51,66]]; a scalar 5 with alpha -1:
 * [[-17,-23],[-44,-59]]. */
static void test_hand_column_and_scalar(void **state)
{
    (void)state;
    const float col[] = {1, 2}, five[] = {5};
    spec s = base(13);
    s.rc = 2, s.dc[0] = 2, s.dc[1] = 1, s.c = col;
    expect(&s, (const float[]){23, 29, 51, 66});
    s = base(9);
    s.alpha = -1.0f, s.rc = 0, s.c = five;
    expect(&s, (const float[]){-17, -23, -44, -59});
}

/* ---- every combination against a reference ---- */
enum { M = 3, N = 4, K = 5 };
enum { C_ABSENT, C_SCALAR, C_ONE, C_ROW1, C_ROW2, C_COL, C_FULL, C_FORMS };
static const char *const form_name[] = {"absent", "scalar", "(1)", "(N)", "(1,N)", "(M,1)", "(M,N)"};

static void set_c(spec *s, int form)
{
    static const int ranks[] = {-1, 0, 1, 1, 2, 2, 2};
    static const int64_t dims[][2] = {{0, 0}, {0, 0}, {1, 0}, {N, 0}, {1, N}, {M, 1}, {M, N}};
    s->rc = ranks[form];
    s->dc[0] = dims[form][0];
    s->dc[1] = dims[form][1];
}

/* C(i, j) of a form filled from cvals in row-major order of its own shape. */
static double c_at(int form, const float *cv, int i, int j)
{
    switch (form) {
    case C_SCALAR: case C_ONE: return cv[0];
    case C_ROW1: case C_ROW2: return cv[j];
    case C_COL: return cv[i];
    case C_FULL: return cv[i * N + j];
    default: return 0.0;
    }
}

static void test_all_combinations(void **state)
{
    (void)state;
    float a[K * M], b[K * N], cv[M * N];
    for (int i = 0; i < K * M; i++)
        a[i] = (float)((i * 7) % 11) - 5.0f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 5) % 13) * 0.5f - 3.0f;
    for (int i = 0; i < M * N; i++)
        cv[i] = (float)(i + 1) * 0.25f;
    const int64_t opsets[] = {1, 6, 7, 9, 11, 13};
    const float alphas[] = {NAN, 0.5f, -2.0f}, betas[] = {NAN, 2.0f, 0.0f};
    int runs = 0;
    for (size_t o = 0; o < COUNT(opsets); o++)
        for (int t = 0; t < 4; t++)
            for (size_t al = 0; al < COUNT(alphas); al++)
                for (size_t be = 0; be < COUNT(betas); be++)
                    for (int form = 0; form < C_FORMS; form++) {
                        int64_t op = opsets[o];
                        if (form == C_ABSENT && op < 11)
                            continue;
                        spec s = {.opset = op, .ta = t & 1, .tb = (t >> 1) & 1, .bcast = NOATTR,
                                  .alpha = alphas[al], .beta = betas[be], .ra = 2, .rb = 2,
                                  .a = a, .b = b, .c = cv};
                        /* Gemm-1/6 broadcast only with broadcast=1 (C exactly (M,N) then optional) */
                        if (op <= 6 && (form != C_FULL || t == 3))
                            s.bcast = 1;
                        s.da[0] = s.ta ? K : M, s.da[1] = s.ta ? M : K;
                        s.db[0] = s.tb ? N : K, s.db[1] = s.tb ? K : N;
                        set_c(&s, form);
                        onnxbn_session *ses = run_ok(&s);
                        double alpha = isnan(s.alpha) ? 1.0 : s.alpha;
                        double beta = isnan(s.beta) ? 1.0 : s.beta;
                        float want[M * N];
                        for (int i = 0; i < M; i++)
                            for (int j = 0; j < N; j++) {
                                double acc = 0.0;
                                for (int k = 0; k < K; k++)
                                    acc += (double)(s.ta ? a[k * M + i] : a[i * K + k]) *
                                           (double)(s.tb ? b[j * K + k] : b[k * N + j]);
                                want[i * N + j] = (float)(alpha * acc +
                                                          (form == C_ABSENT ? 0.0 : beta * c_at(form, cv, i, j)));
                            }
                        /* the inputs are multiples of 0.25 with small sums: exact in float */
                        const onnxbn_tensor *y = onnxbn_session_output(ses, 0);
                        const float *got = onnxbn_tensor_cdata(y);
                        assert_int_equal(onnxbn_tensor_rank(y), 2);
                        assert_int_equal(onnxbn_tensor_dims(y)[0], M);
                        assert_int_equal(onnxbn_tensor_dims(y)[1], N);
                        for (int e = 0; e < M * N; e++)
                            if (got[e] != want[e])
                                fail_msg("opset %lld ta=%lld tb=%lld alpha=%g beta=%g C %s: "
                                         "y[%d] = %g, expected %g",
                                         (long long)op, (long long)s.ta, (long long)s.tb, s.alpha,
                                         s.beta, form_name[form], e, got[e], want[e]);
                        onnxbn_session_free(ses);
                        runs++;
                    }
    assert_true(runs > 500);
}

/* A size that takes the blocked kernel (not the few-rows path) through the op, on a reference
 * with the rounding bound for K terms. */
static void test_larger_against_reference(void **state)
{
    (void)state;
    enum { BM = 37, BN = 70, BK = 150 };
    static float a[BM * BK], b[BN * BK], c[BN];
    for (int i = 0; i < BM * BK; i++)
        a[i] = sinf((float)i * 0.37f);
    for (int i = 0; i < BN * BK; i++)
        b[i] = cosf((float)i * 0.11f);
    for (int i = 0; i < BN; i++)
        c[i] = (float)i - 35.0f;
    spec s = {.opset = 13, .ta = NOATTR, .tb = 1, .bcast = NOATTR, .alpha = 0.5f, .beta = -1.0f,
              .ra = 2, .rb = 2, .rc = 1, .da = {BM, BK}, .db = {BN, BK}, .dc = {BN}, .a = a, .b = b, .c = c};
    onnxbn_session *ses = run_ok(&s);
    const float *got = onnxbn_tensor_cdata(onnxbn_session_output(ses, 0));
    const double u = ldexp(1.0, -24), gamma = (BK + 2) * u / (1 - (BK + 2) * u);
    for (int i = 0; i < BM; i++)
        for (int j = 0; j < BN; j++) {
            double acc = 0, mag = 0;
            for (int k = 0; k < BK; k++) {
                double p = (double)a[i * BK + k] * b[j * BK + k];
                acc += p;
                mag += fabs(p);
            }
            double w = 0.5 * acc - c[j];
            double tol = gamma * (0.5 * mag + fabs(c[j]));
            if (!(fabs(got[i * BN + j] - w) <= tol))
                fail_msg("y[%d,%d] = %.9g, expected %.9g (tol %.3g)", i, j, got[i * BN + j], w, tol);
        }
    onnxbn_session_free(ses);
}

/* ---- opset rules ---- */

/* Gemm-6 as pytorch exported nn.Linear (test_Linear): broadcast=1, transB=1, C of shape (N). */
static void test_opset6_broadcast(void **state)
{
    (void)state;
    const float cn[] = {10, 20};
    for (int64_t op = 1; op <= 6; op += 5) {
        spec s = base(op);
        s.bcast = 1, s.tb = 1, s.db[0] = 2, s.db[1] = 3, s.b = B32t;
        s.rc = 1, s.dc[0] = 2, s.c = cn;
        expect(&s, (const float[]){32, 48, 59, 84});
        /* without broadcast C must be exactly (M,N) */
        s.bcast = NOATTR;
        run_fail(&s, ONNXBN_ERR_SHAPE, "[2]", "broadcast=1");
        s.bcast = 0;
        run_fail(&s, ONNXBN_ERR_SHAPE, "[2]", "expected [2,2]");
        const float cm[] = {1, 2, 3, 4};
        s.rc = 2, s.dc[0] = 2, s.dc[1] = 2, s.c = cm;
        expect(&s, (const float[]){23, 30, 52, 68});
    }
}

/* C is required before Gemm-11 (the loader takes 2 inputs for every version). */
static void test_c_required_before_11(void **state)
{
    (void)state;
    const int64_t opsets[] = {1, 6, 7, 9, 10};
    for (size_t i = 0; i < COUNT(opsets); i++) {
        spec s = base(opsets[i]);
        run_fail(&s, ONNXBN_ERR_MODEL, "'C' is missing", NULL);
    }
    spec s = base(12);
    expect(&s, (const float[]){22, 28, 49, 64});
}

/* beta = 0 leaves C out entirely, so a NaN or inf in an unused bias does not reach Y. */
static void test_beta_zero_ignores_c(void **state)
{
    (void)state;
    const float cm[] = {NAN, INFINITY, -INFINITY, NAN};
    spec s = base(13);
    s.beta = 0.0f, s.rc = 2, s.dc[0] = 2, s.dc[1] = 2, s.c = cm;
    expect(&s, (const float[]){22, 28, 49, 64});
}

/* ---- errors ---- */

static void test_k_mismatch(void **state)
{
    (void)state;
    const float b42[8] = {0};
    spec s = base(13);
    s.db[0] = 4, s.b = b42;
    run_fail(&s, ONNXBN_ERR_SHAPE, "'a' [2,3]", "'b' [4,2]");
    s = base(13);
    s.ta = 1; /* A stored (2,3) transposed is (3,2): K = 2 against B's 3 */
    run_fail(&s, ONNXBN_ERR_SHAPE, "K=2", "K=3");
}

static void test_rank(void **state)
{
    (void)state;
    spec s = base(13);
    s.ra = 1, s.da[0] = 3;
    run_fail(&s, ONNXBN_ERR_SHAPE, "'a'", "rank 2");
    s = base(13);
    s.rb = 3, s.db[0] = 1, s.db[1] = 3, s.db[2] = 2;
    run_fail(&s, ONNXBN_ERR_SHAPE, "'b'", "rank 2");
}

/* C shapes that do not broadcast to (M,N) = (2,4). */
static void test_bad_c(void **state)
{
    (void)state;
    static const float b34[12] = {0}, cz[8] = {0};
    const struct { int rank; int64_t d[3]; const char *shape; } bad[] = {
        {1, {2}, "[2]"}, {1, {3}, "[3]"}, {2, {2, 2}, "[2,2]"}, {2, {4, 2}, "[4,2]"},
        {2, {1, 3}, "[1,3]"}, {3, {1, 2, 4}, "[1,2,4]"}, {2, {2, 8}, "[2,8]"}};
    for (size_t i = 0; i < COUNT(bad); i++) {
        spec s = base(13);
        s.db[0] = 3, s.db[1] = 4, s.b = b34;
        s.rc = bad[i].rank, s.c = cz;
        memcpy(s.dc, bad[i].d, sizeof s.dc);
        run_fail(&s, ONNXBN_ERR_SHAPE, bad[i].shape, "does not broadcast to [2,4]");
    }
}

static void test_types(void **state)
{
    (void)state;
    /* C of another type */
    const double cd[] = {1};
    spec s = base(13);
    mk_model *m = mk_new(13);
    mk_input(m, "a", ONNXBN_FLOAT, 2, s.da);
    mk_input(m, "b", ONNXBN_FLOAT, 2, s.db);
    mk_input(m, "c", ONNXBN_DOUBLE, 0, NULL);
    mk_node_add(m, "Gemm", "g", "a,b,c", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *ses = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = mk_session(m, &ses, &err);
    if (!st) {
        mk_feed f[] = {{"a", 0, 2, s.da, A23}, {"b", 0, 2, s.db, B32}, {"c", ONNXBN_DOUBLE, 0, NULL, cd}};
        st = mk_run(ses, 3, f, &err);
    }
    assert_int_equal(st, ONNXBN_ERR_TYPE);
    assert_non_null(strstr(err.msg, "node 'g' (Gemm)"));
    assert_non_null(strstr(err.msg, "double"));
    onnxbn_session_free(ses);
    mk_free(m);

    /* integers from Gemm-9, bfloat16 from Gemm-13, never int8 */
    const int32_t ai[] = {1, 2, 3, 4, 5, 6}, bi[] = {1, 2, 3, 4, 5, 6};
    s = base(7);
    s.dt = ONNXBN_INT32, s.a = ai, s.b = bi, s.rc = 0;
    const int32_t ci[] = {-100};
    s.c = ci;
    run_fail(&s, ONNXBN_ERR_TYPE, "int32", "float16, float or double");
    const uint16_t h[6] = {0};
    s = base(11);
    s.dt = ONNXBN_BFLOAT16, s.a = h, s.b = h;
    run_fail(&s, ONNXBN_ERR_TYPE, "bfloat16", NULL);
    const int8_t i8[6] = {0};
    s = base(13);
    s.dt = ONNXBN_INT8, s.a = i8, s.b = i8;
    run_fail(&s, ONNXBN_ERR_TYPE, "int8", NULL);
}

/* Hand values in the other element types: [[22,28],[49,64]] and friends. */
static void test_double(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4, 5, 6}, b[] = {1, 3, 5, 2, 4, 6}, c[] = {0.5, -0.5};
    spec s = base(7);
    s.dt = ONNXBN_DOUBLE, s.a = a, s.b = b, s.tb = 1, s.db[0] = 2, s.db[1] = 3;
    s.alpha = 2.0f, s.rc = 2, s.dc[0] = 1, s.dc[1] = 2, s.c = c;
    onnxbn_session *ses = run_ok(&s);
    const onnxbn_tensor *y = onnxbn_session_output(ses, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), ONNXBN_DOUBLE);
    const double *g = onnxbn_tensor_cdata(y);
    const double want[] = {44.5, 55.5, 98.5, 127.5};
    for (int i = 0; i < 4; i++)
        assert_true(g[i] == want[i]);
    onnxbn_session_free(ses);
}

static void test_integers(void **state)
{
    (void)state;
    const int32_t a[] = {1, -2, 3, 4, 5, -6}, b[] = {1, 2, 3, 4, 5, 6}, c[] = {-100};
    /* A·B = [[1-6+15, 2-8+18],[4+15-30, 8+20-36]] = [[10,12],[-11,-8]] */
    spec s = base(9);
    s.dt = ONNXBN_INT32, s.a = a, s.b = b, s.rc = 0, s.c = c;
    onnxbn_session *ses = run_ok(&s);
    const int32_t *g = onnxbn_tensor_cdata(onnxbn_session_output(ses, 0));
    const int32_t want[] = {-90, -88, -111, -108};
    for (int i = 0; i < 4; i++)
        assert_int_equal(g[i], want[i]);
    onnxbn_session_free(ses);

    /* alpha 0.5, beta 2 go through double: 0.5·[[10,12],[-11,-8]] - 200 = [[-195,-194],[-205.5,-204]],
     * truncated toward zero like numpy's astype */
    s.alpha = 0.5f, s.beta = 2.0f;
    ses = run_ok(&s);
    g = onnxbn_tensor_cdata(onnxbn_session_output(ses, 0));
    const int32_t want2[] = {-195, -194, -205, -204};
    for (int i = 0; i < 4; i++)
        assert_int_equal(g[i], want2[i]);
    onnxbn_session_free(ses);

    const int64_t a64[] = {3000000000LL, 0, 0, 0, 1, 0}, b64[] = {3, 0, 0, 1, 0, 0};
    spec t = base(13);
    t.dt = ONNXBN_INT64, t.a = a64, t.b = b64;
    ses = run_ok(&t);
    const int64_t *g64 = onnxbn_tensor_cdata(onnxbn_session_output(ses, 0));
    assert_true(g64[0] == 9000000000LL && g64[1] == 0 && g64[2] == 0 && g64[3] == 1);
    onnxbn_session_free(ses);

    const uint64_t au[] = {1, 2, 3, 4, 5, 6}, bu[] = {1, 2, 3, 4, 5, 6}, cu[] = {UINT64_MAX - 20, 1};
    t = base(11);
    t.dt = ONNXBN_UINT64, t.a = au, t.b = bu, t.rc = 1, t.dc[0] = 2, t.c = cu;
    ses = run_ok(&t);
    const uint64_t *gu = onnxbn_tensor_cdata(onnxbn_session_output(ses, 0));
    /* [[22,28],[49,64]] + [2^64-21, 1], wrapping: 22 + 2^64 - 21 = 1, 49 + 2^64 - 21 = 28 */
    assert_true(gu[0] == 1 && gu[1] == 29 && gu[2] == 28 && gu[3] == 65);
    onnxbn_session_free(ses);
}

static void test_half_types(void **state)
{
    (void)state;
    uint16_t a[6], b[6], c[1];
    for (int bf = 0; bf < 2; bf++) {
        for (int i = 0; i < 6; i++) {
            a[i] = bf ? onnxbn_float_to_bf16(A23[i]) : onnxbn_float_to_half(A23[i]);
            b[i] = bf ? onnxbn_float_to_bf16(B32[i]) : onnxbn_float_to_half(B32[i]);
        }
        c[0] = bf ? onnxbn_float_to_bf16(-0.5f) : onnxbn_float_to_half(-0.5f);
        spec s = base(13);
        s.dt = bf ? ONNXBN_BFLOAT16 : ONNXBN_FLOAT16, s.a = a, s.b = b, s.rc = 0, s.c = c;
        s.alpha = 2.0f;
        onnxbn_session *ses = run_ok(&s);
        const onnxbn_tensor *y = onnxbn_session_output(ses, 0);
        assert_int_equal(onnxbn_tensor_dtype(y), s.dt);
        const uint16_t *g = onnxbn_tensor_cdata(y);
        const float want[] = {43.5f, 55.5f, 97.5f, 127.5f};
        for (int i = 0; i < 4; i++) {
            float got = bf ? onnxbn_bf16_to_float(g[i]) : onnxbn_half_to_float(g[i]);
            /* all four need at most 8 significant bits: exact in bfloat16 too */
            if (got != want[i])
                fail_msg("%s y[%d] = %g, expected %g", bf ? "bfloat16" : "float16", i, got, want[i]);
        }
        onnxbn_session_free(ses);
    }
}

/* M, N or K of 0: an empty Y, or Y = beta·C. */
static void test_empty(void **state)
{
    (void)state;
    const float c[] = {1, 2};
    spec s = base(13);
    s.da[1] = 0, s.db[0] = 0, s.a = NULL, s.b = NULL;
    s.beta = 3.0f, s.rc = 1, s.dc[0] = 2, s.c = c;
    expect(&s, (const float[]){3, 6, 3, 6});
    s = base(13);
    s.da[0] = 0, s.a = NULL;
    onnxbn_session *ses = run_ok(&s);
    assert_int_equal(onnxbn_tensor_numel(onnxbn_session_output(ses, 0)), 0);
    assert_int_equal(onnxbn_tensor_dims(onnxbn_session_output(ses, 0))[1], 2);
    onnxbn_session_free(ses);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_defaults),
        cmocka_unit_test(test_hand_all_attributes),
        cmocka_unit_test(test_hand_column_and_scalar),
        cmocka_unit_test(test_all_combinations),
        cmocka_unit_test(test_larger_against_reference),
        cmocka_unit_test(test_opset6_broadcast),
        cmocka_unit_test(test_c_required_before_11),
        cmocka_unit_test(test_beta_zero_ignores_c),
        cmocka_unit_test(test_k_mismatch),
        cmocka_unit_test(test_rank),
        cmocka_unit_test(test_bad_c),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_half_types),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
