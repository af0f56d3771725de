/* SPDX-License-Identifier: Apache-2.0 */
/* gemm.c — Gemm, versions 1, 6, 7, 9, 11 and 13: Y = alpha·A'·B' + beta·C, C broadcast to (M, N).
 * float on onnxbn_sgemm (a weight B packed once), double on onnxbn_dgemm, half through float. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm.h"
#include "op.h"
#include "ops/gemm_cols.h"
#include "ops/types.h"
#include "threadpool.h"

static const onnxbn_attr_spec gemm_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"beta", ONNXBN_ATTR_FLOAT, false, 1, 0},
    {"transA", ONNXBN_ATTR_INT, false, 1, 0},
    {"transB", ONNXBN_ATTR_INT, false, 1, 0},
    {"broadcast", ONNXBN_ATTR_INT, false, 1, 6},
    {NULL, 0, false, 0, 0},
};

/* The node as run() needs it. C, when used, is read as C[i·crs + j·ccs]: the strides are 0 along
 * a broadcast axis, so scalar, (N), (1,N), (M,1) and (M,N) are one case. */
typedef struct gemm_cfg {
    float alpha, beta;
    bool ta, tb;
    size_t M, N, K;
    const onnxbn_tensor *C; /* NULL when absent or when beta is 0 */
    size_t crs, ccs;
} gemm_cfg;

/* How C reaches (M, N). Gemm-1/6 without `broadcast` want C exactly (M, N); with it, or from
 * Gemm-7 on, C broadcasts unidirectionally (numpy rules, rank ≤ 2) — which is also how the ONNX
 * version converter reads `broadcast=1` when it lifts Gemm-6 to Gemm-7. */
static onnxbn_status c_layout(const onnxbn_kctx *c, gemm_cfg *g, bool legacy_exact)
{
    const onnxbn_tensor *t = onnxbn_in(c, 2);
    char got[ONNXBN_SHAPE_STR_MAX];
    const long long M = (long long)g->M, N = (long long)g->N;
    if (legacy_exact) {
        if (t->rank == 2 && t->dims[0] == M && t->dims[1] == N) {
            g->crs = g->N;
            g->ccs = 1;
            return ONNXBN_OK;
        }
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'C' ('%s') has shape %s, expected [%lld,%lld] "
                                "(Gemm-%d broadcasts C only with broadcast=1)",
                                onnxbn_node_input_name(c->node, 2),
                                onnxbn_shape_str(t, got, sizeof got), M, N, c->version);
    }
    int64_t d0 = 1, d1 = 1; /* C's shape right-aligned against (M, N) */
    if (t->rank == 1) {
        d1 = t->dims[0];
    } else if (t->rank == 2) {
        d0 = t->dims[0];
        d1 = t->dims[1];
    }
    if (t->rank > 2 || (d0 != 1 && d0 != M) || (d1 != 1 && d1 != N))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'C' ('%s') has shape %s, which does not broadcast to [%lld,%lld]",
                                onnxbn_node_input_name(c->node, 2),
                                onnxbn_shape_str(t, got, sizeof got), M, N);
    /* A dimension of 1 reads index 0 also when M or N is 1. */
    g->ccs = d1 == 1 ? 0 : 1;
    g->crs = d0 == 1 ? 0 : (size_t)d1;
    return ONNXBN_OK;
}

/* Attributes, types and shapes; fills g for run(). */
static onnxbn_status gemm_config(const onnxbn_kctx *c, gemm_cfg *g)
{
    onnxbn_status st;
    int64_t ta = 0, tb = 0, bc = 0;
    memset(g, 0, sizeof *g);
    if ((st = onnxbn_attr_float(c, "alpha", 1.0f, &g->alpha)) ||
        (st = onnxbn_attr_float(c, "beta", 1.0f, &g->beta)) ||
        (st = onnxbn_attr_int(c, "transA", 0, &ta)) || (st = onnxbn_attr_int(c, "transB", 0, &tb)))
        return st;
    if (c->version <= 6 && (st = onnxbn_attr_int(c, "broadcast", 0, &bc)))
        return st;
    g->ta = ta != 0;
    g->tb = tb != 0;

    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1), *cc = onnxbn_in(c, 2);
    if (!cc && c->version < 11)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "input 'C' is missing; it is optional only from Gemm-11 on (this is Gemm-%d)",
                                c->version);
    if ((st = onnxbn_check_input_type(c, 0, "A", onnxbn_type_mask_at(onnxbn_matmul_types, c->version))))
        return st;
    for (int i = 1; i < 3; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        if (t && t->dtype != a->dtype)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%s') is %s, expected %s like 'A'",
                                    i == 1 ? "B" : "C", onnxbn_node_input_name(c->node, i),
                                    onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(a->dtype));
    }
    char sa[ONNXBN_SHAPE_STR_MAX], sb[ONNXBN_SHAPE_STR_MAX];
    for (int i = 0; i < 2; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        if (t->rank != 2)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%s') has shape %s, expected rank 2",
                                    i ? "B" : "A", onnxbn_node_input_name(c->node, i),
                                    onnxbn_shape_str(t, sa, sizeof sa));
    }
    int64_t ka = a->dims[g->ta ? 0 : 1], kb = b->dims[g->tb ? 1 : 0];
    if (ka != kb)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "inner dimensions differ: A '%s' %s%s has K=%lld, B '%s' %s%s has K=%lld",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(a, sa, sizeof sa),
                                g->ta ? " (transposed)" : "", (long long)ka,
                                onnxbn_node_input_name(c->node, 1), onnxbn_shape_str(b, sb, sizeof sb),
                                g->tb ? " (transposed)" : "", (long long)kb);
    g->M = (size_t)a->dims[g->ta ? 1 : 0];
    g->N = (size_t)b->dims[g->tb ? 0 : 1];
    g->K = (size_t)ka;
    if (cc) {
        if ((st = c_layout(c, g, c->version <= 6 && bc == 0)))
            return st;
        /* beta = 0 ignores C (as onnxruntime does), so a NaN in an unused bias cannot leak. */
        if (g->beta != 0.0f)
            g->C = cc;
    }
    return ONNXBN_OK;
}

static onnxbn_status gemm_infer(onnxbn_kctx *c)
{
    gemm_cfg g;
    onnxbn_status st = gemm_config(c, &g);
    if (st)
        return st;
    const onnxbn_dtype dt = onnxbn_in(c, 0)->dtype;
    const int64_t dims[2] = {(int64_t)g.M, (int64_t)g.N};
    if ((st = onnxbn_tensor_set_shape(onnxbn_out(c, 0), dt, 2, dims, c->err)))
        return st;
    if (dt == ONNXBN_FLOAT16 || dt == ONNXBN_BFLOAT16) {
        /* float copies of A, B and Y */
        size_t mk, kn, mn, n, bytes;
        if (!onnxbn_mul_size(g.M, g.K, &mk) || !onnxbn_mul_size(g.K, g.N, &kn) ||
            !onnxbn_mul_size(g.M, g.N, &mn) || !onnxbn_add_size(mk, kn, &n) ||
            !onnxbn_add_size(n, mn, &n) || !onnxbn_mul_size(n, sizeof(float), &bytes))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "float scratch for [%zu,%zu]x[%zu,%zu] overflows",
                                    g.M, g.K, g.K, g.N);
        c->workspace = bytes;
    }
    return ONNXBN_OK;
}

/* Y = C broadcast (the caller then runs the product with beta), for one element size. */
static void fill_c(const gemm_cfg *g, const void *cdata, void *y, size_t esz)
{
    const char *cs = cdata;
    char *yd = y;
    if (cdata == y)
        return;
    if (g->crs == g->N && g->ccs == 1) {
        memcpy(yd, cs, g->M * g->N * esz);
        return;
    }
    for (size_t i = 0; i < g->M; i++) {
        char *row = yd + i * g->N * esz;
        const char *src = cs + i * g->crs * esz;
        if (g->ccs)
            memcpy(row, src, g->N * esz);
        else
            for (size_t j = 0; j < g->N; j++)
                memcpy(row + j * esz, src, esz);
    }
}

/* Half types: widen A, B and C into float scratch, run sgemm, narrow into Y. */
static void run_half(const gemm_cfg *g, const onnxbn_tensor *a, const onnxbn_tensor *b,
                     onnxbn_tensor *y, float *scratch)
{
    const bool bf = a->dtype == ONNXBN_BFLOAT16;
    float *fa = scratch, *fb = fa + g->M * g->K, *fy = fb + g->K * g->N;
    const uint16_t *ha = a->data, *hb = b->data;
    for (size_t i = 0; i < g->M * g->K; i++)
        fa[i] = bf ? onnxbn_bf16_to_float(ha[i]) : onnxbn_half_to_float(ha[i]);
    for (size_t i = 0; i < g->K * g->N; i++)
        fb[i] = bf ? onnxbn_bf16_to_float(hb[i]) : onnxbn_half_to_float(hb[i]);
    if (g->C) {
        const uint16_t *hc = g->C->data;
        for (size_t i = 0; i < g->M; i++)
            for (size_t j = 0; j < g->N; j++) {
                uint16_t h = hc[i * g->crs + j * g->ccs];
                fy[i * g->N + j] = bf ? onnxbn_bf16_to_float(h) : onnxbn_half_to_float(h);
            }
    }
    onnxbn_sgemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, fa, g->ta ? g->M : g->K, fb,
                 g->tb ? g->K : g->N, g->C ? g->beta : 0.0f, fy, g->N);
    uint16_t *hy = y->data;
    for (size_t i = 0; i < g->M * g->N; i++)
        hy[i] = bf ? onnxbn_float_to_bf16(fy[i]) : onnxbn_float_to_half(fy[i]);
}

/* Integer types: products wrap in 64 bits like the C integer types they are; alpha and beta apply
 * exactly when they are 1 (and beta 0), otherwise through double with the result saturated. */
static int64_t sat_i64(double v, double lo, double hi)
{
    if (isnan(v))
        return 0;
    if (v <= lo)
        return (int64_t)lo;
    if (v >= hi) /* hi is 2^63 for int64, which is out of range: the largest value then */
        return hi >= 0x1p63 ? INT64_MAX : (int64_t)hi;
    return (int64_t)v;
}

static uint64_t sat_u64(double v, double hi)
{
    if (isnan(v) || v <= 0.0)
        return 0;
    if (v >= hi)
        return hi >= 0x1p64 ? UINT64_MAX : (uint64_t)hi;
    return (uint64_t)v;
}

#define GEMM_INT(name, T, SIGNED, LO, HI)                                                         \
    static void name(const gemm_cfg *g, const T *A, const T *B, const T *C, T *Y)                \
    {                                                                                             \
        const size_t ars = g->ta ? 1 : g->K, acs = g->ta ? g->M : 1;                              \
        const size_t brs = g->tb ? 1 : g->N, bcs = g->tb ? g->K : 1;                              \
        const bool exact = g->alpha == 1.0f && (!C || g->beta == 1.0f);                           \
        for (size_t i = 0; i < g->M; i++)                                                         \
            for (size_t j = 0; j < g->N; j++) {                                                   \
                uint64_t s = 0;                                                                   \
                for (size_t k = 0; k < g->K; k++)                                                 \
                    s += (uint64_t)A[i * ars + k * acs] * (uint64_t)B[k * brs + j * bcs];         \
                T cv = C ? C[i * g->crs + j * g->ccs] : 0;                                        \
                if (exact) {                                                                      \
                    Y[i * g->N + j] = (T)(s + (uint64_t)cv);                                      \
                } else {                                                                          \
                    double v = (double)g->alpha * (SIGNED ? (double)(int64_t)s : (double)s) +     \
                               (double)g->beta * (double)cv;                                      \
                    Y[i * g->N + j] = SIGNED ? (T)sat_i64(v, LO, HI) : (T)sat_u64(v, HI);         \
                }                                                                                 \
            }                                                                                     \
    }
GEMM_INT(gemm_i32, int32_t, true, -0x1p31, 0x1p31 - 1)
GEMM_INT(gemm_i64, int64_t, true, -0x1p63, 0x1p63)
GEMM_INT(gemm_u32, uint32_t, false, 0.0, 0x1p32 - 1)
GEMM_INT(gemm_u64, uint64_t, false, 0.0, 0x1p64)

/* A float Gemm whose B is a weight: op(B) packed once per plan, and C (when it is one row
 * broadcast over M, as a Linear layer's bias) as beta·C, so run() is one pass that adds the bias
 * and applies the fused activation in registers. alpha must be 1 (alpha·Σ would round otherwise
 * than Σ over alpha·B). Only where the packed kernel beats BLAS (onnxbn_sgemm_packed_fast). */
typedef struct gemm_packed {
    gemm_cfg g;  /* the node's configuration, kept so run() reads no attributes */
    float *bp;   /* onnxbn_sgemm_packed_floats(K, N), onnxbn_alloc'd */
    float *bias; /* N floats, or NULL */
} gemm_packed;

static void gemm_free_state(void *state)
{
    gemm_packed *s = state;
    if (s) {
        onnxbn_free(s->bp);
        free(s->bias);
        free(s);
    }
}

static onnxbn_status gemm_prepare(onnxbn_kctx *c)
{
    gemm_cfg g;
    onnxbn_status st = gemm_config(c, &g);
    if (st)
        return st;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    /* M = 1 stays on GEMV, which streams B once as the packed kernel would. */
    if (a->dtype != ONNXBN_FLOAT || !b->data || g.ta || g.alpha != 1.0f || g.M < 2 || g.N == 0 ||
        (g.C && (!g.C->data || g.crs != 0)) || !onnxbn_sgemm_packed_fast())
        return ONNXBN_OK;
    const size_t floats = onnxbn_sgemm_packed_floats(g.K, g.N);
    if (!floats)
        return ONNXBN_OK; /* too big to pack: BLAS takes it */
    gemm_packed *s = calloc(1, sizeof *s);
    if (!s || !(s->bp = onnxbn_alloc(floats * sizeof(float))) ||
        (g.C && !(s->bias = malloc(g.N * sizeof(float))))) {
        gemm_free_state(s);
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
    }
    onnxbn_sgemm_pack_b(g.tb, g.K, g.N, b->data, g.tb ? g.K : g.N, s->bp);
    if (g.C) {
        const float *cv = g.C->data;
        for (size_t j = 0; j < g.N; j++)
            s->bias[j] = g.beta * cv[j * g.ccs];
    }
    s->g = g;
    c->state = s;
    return ONNXBN_OK;
}

static onnxbn_status gemm_run(onnxbn_kctx *c)
{
    const gemm_packed *s = c->state;
    if (s) {
        onnxbn_sgemm_packed_cols(c->pool, s->g.M, s->g.N, s->g.K, onnxbn_in(c, 0)->data, s->g.K,
                                 s->bp, s->bias, onnxbn_out(c, 0)->data, s->g.N, c->act);
        return ONNXBN_OK;
    }
    gemm_cfg g;
    onnxbn_status st = gemm_config(c, &g);
    if (st)
        return st;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const size_t lda = g.ta ? g.M : g.K, ldb = g.tb ? g.K : g.N;
    if (g.M == 0 || g.N == 0)
        return ONNXBN_OK;
    switch (a->dtype) {
    case ONNXBN_FLOAT: {
        if (g.C)
            fill_c(&g, g.C->data, y->data, sizeof(float));
        /* a classifier at batch 1 is a GEMV that streams B (5 MB in MobileNetV2): split */
        onnxbn_sgemm_cols(c->pool, g.ta, g.tb, g.M, g.N, g.K, g.alpha, a->data, lda, b->data, ldb,
                          g.C ? g.beta : 0.0f, y->data, g.N, c->act);
        return ONNXBN_OK;
    }
    case ONNXBN_DOUBLE:
        if (g.C)
            fill_c(&g, g.C->data, y->data, sizeof(double));
        onnxbn_dgemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, a->data, lda, b->data, ldb,
                     g.C ? g.beta : 0.0, y->data, g.N);
        return ONNXBN_OK;
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16:
        /* infer sized the scratch for float copies of A, B and Y */
        ONNXBN_CHECK(c->scratch && c->workspace / sizeof(float) >= g.M * g.K + g.K * g.N + g.M * g.N,
                     c->err);
        run_half(&g, a, b, y, c->scratch);
        return ONNXBN_OK;
    case ONNXBN_INT32:
        gemm_i32(&g, a->data, b->data, g.C ? g.C->data : NULL, y->data);
        return ONNXBN_OK;
    case ONNXBN_INT64:
        gemm_i64(&g, a->data, b->data, g.C ? g.C->data : NULL, y->data);
        return ONNXBN_OK;
    case ONNXBN_UINT32:
        gemm_u32(&g, a->data, b->data, g.C ? g.C->data : NULL, y->data);
        return ONNXBN_OK;
    case ONNXBN_UINT64:
        gemm_u64(&g, a->data, b->data, g.C ? g.C->data : NULL, y->data);
        return ONNXBN_OK;
    default:
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "element type %s is not supported",
                                onnxbn_dtype_name(a->dtype));
    }
}

const onnxbn_op_def onnxbn_op_gemm = {
    .attrs = gemm_attrs,
    .infer = gemm_infer,
    .prepare = gemm_prepare,
    .run = gemm_run,
    .free_state = gemm_free_state,
};
