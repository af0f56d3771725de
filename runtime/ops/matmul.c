/* SPDX-License-Identifier: Apache-2.0 */
/* matmul.c — MatMul, versions 1, 9 and 13: numpy.matmul, i.e. batched matrix products with the
 * batch dims broadcast and 1-D operands promoted to a row (A) or column (B) and dropped again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/gemm.h"
#include "kernels/unary.h"
#include "op.h"
#include "ops/gemm_cols.h"
#include "ops/types.h"
#include "threadpool.h"

/* The node as run() needs it, worked out once per plan. Batch strides count whole matrices and
 * are 0 along the batch axes an operand broadcasts. */
typedef struct mm_cfg {
    size_t M, N, K;
    int brank;                        /* output batch rank */
    int64_t bdims[ONNXBN_MAX_RANK];
    int64_t astr[ONNXBN_MAX_RANK], bstr[ONNXBN_MAX_RANK];
    size_t nbatch;                    /* output batch count */
    bool one_gemm;                    /* B is one matrix for every batch: a single (nbatch·M)×K product */
    float *bp;                        /* a float weight B packed once (kernels/gemm.h), or NULL */
} mm_cfg;

static void mm_free_state(void *state)
{
    mm_cfg *g = state;
    if (g) {
        onnxbn_free(g->bp);
        free(g);
    }
}

/* Types and shapes; fills g and, when out_dims is not NULL, the output shape. */
static onnxbn_status mm_config(const onnxbn_kctx *c, mm_cfg *g, int *out_rank, int64_t *out_dims)
{
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    char sa[ONNXBN_SHAPE_STR_MAX], sb[ONNXBN_SHAPE_STR_MAX];
    memset(g, 0, sizeof *g);
    onnxbn_status st =
        onnxbn_check_input_type(c, 0, "A", onnxbn_type_mask_at(onnxbn_matmul_types, c->version));
    if (st)
        return st;
    if (b->dtype != a->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'B' ('%s') is %s, expected %s like 'A'",
                                onnxbn_node_input_name(c->node, 1), onnxbn_dtype_name(b->dtype),
                                onnxbn_dtype_name(a->dtype));
    for (int i = 0; i < 2; i++) {
        const onnxbn_tensor *t = i ? b : a;
        if (t->rank < 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input '%s' ('%s') is a scalar; MatMul needs rank 1 or more",
                                    i ? "B" : "A", onnxbn_node_input_name(c->node, i));
    }
    /* A 1-D A is a 1×K row, a 1-D B a K×1 column. */
    const bool a1 = a->rank == 1, b1 = b->rank == 1;
    const int64_t M = a1 ? 1 : a->dims[a->rank - 2], ka = a->dims[a->rank - 1];
    const int64_t kb = b1 ? b->dims[0] : b->dims[b->rank - 2], N = b1 ? 1 : b->dims[b->rank - 1];
    if (ka != kb)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "inner dimensions differ: A ('%s') %s has K=%lld, B ('%s') %s has K=%lld",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(a, sa, sizeof sa),
                                (long long)ka, onnxbn_node_input_name(c->node, 1),
                                onnxbn_shape_str(b, sb, sizeof sb), (long long)kb);
    const int ra = a1 ? 0 : a->rank - 2, rb = b1 ? 0 : b->rank - 2;
    if (!onnxbn_broadcast_shape(ra, a->dims, rb, b->dims, &g->brank, g->bdims))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "batch dimensions of A ('%s') %s and B ('%s') %s do not broadcast",
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(a, sa, sizeof sa),
                                onnxbn_node_input_name(c->node, 1), onnxbn_shape_str(b, sb, sizeof sb));
    onnxbn_broadcast_strides(ra, a->dims, g->brank, g->bdims, g->astr);
    onnxbn_broadcast_strides(rb, b->dims, g->brank, g->bdims, g->bstr);
    g->M = (size_t)M;
    g->N = (size_t)N;
    g->K = (size_t)ka;
    int64_t nbatch = 1, nb_b = 1;
    for (int i = 0; i < g->brank; i++)
        nbatch *= g->bdims[i]; /* ≤ the numel of A or B, so no overflow */
    for (int i = 0; i < rb; i++)
        nb_b *= b->dims[i];
    g->nbatch = (size_t)nbatch;
    g->one_gemm = nb_b == 1;
    if (out_dims) {
        int r = g->brank;
        memcpy(out_dims, g->bdims, (size_t)r * sizeof *out_dims);
        if (!a1)
            out_dims[r++] = M;
        if (!b1)
            out_dims[r++] = N;
        *out_rank = r;
    }
    return ONNXBN_OK;
}

static onnxbn_status mm_infer(onnxbn_kctx *c)
{
    mm_cfg g;
    int rank = 0;
    int64_t dims[ONNXBN_MAX_RANK + 2];
    onnxbn_status st = mm_config(c, &g, &rank, dims);
    if (st)
        return st;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (rank > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "output rank %d is above %d", rank,
                                ONNXBN_MAX_RANK);
    if ((st = onnxbn_tensor_set_shape(y, a->dtype, rank, dims, c->err)))
        return st;
    if (a->dtype == ONNXBN_FLOAT16 || a->dtype == ONNXBN_BFLOAT16) {
        /* float copies of A, B and Y */
        size_t n, bytes;
        if (!onnxbn_add_size((size_t)a->numel, (size_t)b->numel, &n) ||
            !onnxbn_add_size(n, (size_t)y->numel, &n) || !onnxbn_mul_size(n, sizeof(float), &bytes))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "float scratch for the product overflows");
        c->workspace = bytes;
    }
    return ONNXBN_OK;
}

static onnxbn_status mm_prepare(onnxbn_kctx *c)
{
    mm_cfg *g = malloc(sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = mm_config(c, g, NULL, NULL);
    if (st) {
        free(g);
        return st;
    }
    c->state = g;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    /* A weight B (data known now) as one matrix: packed once, as Gemm does (ops/gemm.c). */
    const size_t floats = onnxbn_sgemm_packed_floats(g->K, g->N);
    if (a->dtype == ONNXBN_FLOAT && b->data && g->one_gemm && g->nbatch * g->M >= 2 && g->N &&
        floats && onnxbn_sgemm_packed_fast()) {
        if (!(g->bp = onnxbn_alloc(floats * sizeof(float))))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "cannot allocate the packed weights");
        onnxbn_sgemm_pack_b(false, g->K, g->N, b->data, g->N, g->bp);
    }
    return ONNXBN_OK;
}

/* Matrix indices into A and B of output batch `o` (row-major over the output batch dims). */
static void batch_index(const mm_cfg *g, size_t o, size_t *ai, size_t *bi)
{
    size_t ia = 0, ib = 0;
    for (int d = g->brank - 1; d >= 0; d--) {
        size_t dim = (size_t)g->bdims[d], k = o % dim;
        o /= dim;
        ia += k * (size_t)g->astr[d];
        ib += k * (size_t)g->bstr[d];
    }
    *ai = ia;
    *bi = ib;
}

static void run_f32(const mm_cfg *g, const float *A, const float *B, float *Y)
{
    const size_t M = g->M, N = g->N, K = g->K;
    if (g->one_gemm) {
        /* A's batches are contiguous rows, all against the same B. */
        onnxbn_sgemm(false, false, g->nbatch * M, N, K, 1.0f, A, K, B, N, 0.0f, Y, N);
        return;
    }
    for (size_t o = 0; o < g->nbatch; o++) {
        size_t ai, bi;
        batch_index(g, o, &ai, &bi);
        onnxbn_sgemm(false, false, M, N, K, 1.0f, A + ai * M * K, K, B + bi * K * N, N, 0.0f,
                     Y + o * M * N, N);
    }
}

static void run_f64(const mm_cfg *g, const double *A, const double *B, double *Y)
{
    const size_t M = g->M, N = g->N, K = g->K;
    if (g->one_gemm) {
        onnxbn_dgemm(false, false, g->nbatch * M, N, K, 1.0, A, K, B, N, 0.0, Y, N);
        return;
    }
    for (size_t o = 0; o < g->nbatch; o++) {
        size_t ai, bi;
        batch_index(g, o, &ai, &bi);
        onnxbn_dgemm(false, false, M, N, K, 1.0, A + ai * M * K, K, B + bi * K * N, N, 0.0,
                     Y + o * M * N, N);
    }
}

/* Half types: widen A and B into float scratch, multiply, narrow Y. */
static void run_half(const mm_cfg *g, const onnxbn_tensor *a, const onnxbn_tensor *b,
                     onnxbn_tensor *y, float *scratch)
{
    const bool bf = a->dtype == ONNXBN_BFLOAT16;
    const size_t na = (size_t)a->numel, nb = (size_t)b->numel, ny = (size_t)y->numel;
    float *fa = scratch, *fb = fa + na, *fy = fb + nb;
    const uint16_t *ha = a->data, *hb = b->data;
    uint16_t *hy = y->data;
    for (size_t i = 0; i < na; i++)
        fa[i] = bf ? onnxbn_bf16_to_float(ha[i]) : onnxbn_half_to_float(ha[i]);
    for (size_t i = 0; i < nb; i++)
        fb[i] = bf ? onnxbn_bf16_to_float(hb[i]) : onnxbn_half_to_float(hb[i]);
    run_f32(g, fa, fb, fy);
    for (size_t i = 0; i < ny; i++)
        hy[i] = bf ? onnxbn_float_to_bf16(fy[i]) : onnxbn_float_to_half(fy[i]);
}

/* Integers wrap like the C types they are: sums of products in 64-bit unsigned arithmetic,
 * truncated to T (the same residue as computing in T, without signed-overflow UB). */
#define MM_INT(name, T)                                                                          \
    static void name(const mm_cfg *g, const T *A, const T *B, T *Y)                              \
    {                                                                                            \
        const size_t M = g->M, N = g->N, K = g->K;                                               \
        for (size_t o = 0; o < g->nbatch; o++) {                                                 \
            size_t ai, bi;                                                                       \
            batch_index(g, o, &ai, &bi);                                                         \
            const T *a = A + ai * M * K, *b = B + bi * K * N;                                    \
            T *y = Y + o * M * N;                                                                \
            for (size_t i = 0; i < M; i++)                                                       \
                for (size_t j = 0; j < N; j++) {                                                 \
                    uint64_t s = 0;                                                              \
                    for (size_t k = 0; k < K; k++)                                               \
                        s += (uint64_t)a[i * K + k] * (uint64_t)b[k * N + j];                    \
                    y[i * N + j] = (T)s;                                                         \
                }                                                                                \
        }                                                                                        \
    }
MM_INT(mm_i32, int32_t)
MM_INT(mm_i64, int64_t)
MM_INT(mm_u32, uint32_t)
MM_INT(mm_u64, uint64_t)

/* What the planner folded in after a float product not run on the packed kernel: the bias row,
 * then the activation, then the GELU, in the order of the nodes they replace. */
static void epilogue(const onnxbn_kctx *c, float *y, size_t rows, size_t N)
{
    const float *bias = c->bias ? c->bias->data : NULL;
    for (size_t i = 0; i < rows; i++) {
        float *r = y + i * N;
        if (bias)
            for (size_t j = 0; j < N; j++)
                r[j] += bias[j];
        onnxbn_act_f32(c->act, r, N);
        if (c->gelu)
            onnxbn_gelu_erf_f32(r, r, N, c->gelu_k);
    }
}

static onnxbn_status mm_run(onnxbn_kctx *c)
{
    const mm_cfg *g = c->state;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->numel == 0)
        return ONNXBN_OK;
    /* the planner folds an Add only of N floats, after a float product (plan.c fuse_linear) */
    ONNXBN_CHECK(!c->bias || (a->dtype == ONNXBN_FLOAT && c->bias->dtype == ONNXBN_FLOAT &&
                              (size_t)c->bias->numel == g->N && c->bias->data),
                 c->err);
    ONNXBN_CHECK(!c->gelu || a->dtype == ONNXBN_FLOAT, c->err);
    if (g->bp) { /* one_gemm: A's batches are contiguous rows, all against the same B */
        onnxbn_sgemm_packed_cols_gelu(c->pool, g->nbatch * g->M, g->N, g->K, a->data, g->K, g->bp,
                                      c->bias ? c->bias->data : NULL, c->gelu ? c->gelu_k : NULL,
                                      y->data, g->N, c->act);
        return ONNXBN_OK;
    }
    const bool folded = c->bias || c->gelu;
    switch (a->dtype) {
    case ONNXBN_FLOAT:
        if (g->one_gemm) { /* A's batches are contiguous rows, all against the same B */
            if (!folded) {
                onnxbn_sgemm_cols(c->pool, false, false, g->nbatch * g->M, g->N, g->K, 1.0f,
                                  a->data, g->K, b->data, g->N, 0.0f, y->data, g->N, c->act);
                break;
            }
            onnxbn_sgemm_cols(c->pool, false, false, g->nbatch * g->M, g->N, g->K, 1.0f, a->data,
                              g->K, b->data, g->N, 0.0f, y->data, g->N, (onnxbn_act){0});
        } else {
            run_f32(g, a->data, b->data, y->data);
        }
        /* a fused Relu/Clip (op.h), after a folded bias; then a folded GELU */
        epilogue(c, y->data, (size_t)y->numel / g->N, g->N);
        break;
    case ONNXBN_DOUBLE: run_f64(g, a->data, b->data, y->data); break;
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16:
        /* infer sized the scratch for float copies of A, B and Y */
        ONNXBN_CHECK(c->scratch && c->workspace / sizeof(float) >=
                                       (size_t)a->numel + (size_t)b->numel + (size_t)y->numel,
                     c->err);
        run_half(g, a, b, y, c->scratch);
        break;
    case ONNXBN_INT32: mm_i32(g, a->data, b->data, y->data); break;
    case ONNXBN_INT64: mm_i64(g, a->data, b->data, y->data); break;
    case ONNXBN_UINT32: mm_u32(g, a->data, b->data, y->data); break;
    case ONNXBN_UINT64: mm_u64(g, a->data, b->data, y->data); break;
    default:
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "element type %s is not supported",
                                onnxbn_dtype_name(a->dtype));
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_matmul = {
    .infer = mm_infer,
    .prepare = mm_prepare,
    .run = mm_run,
    .free_state = mm_free_state,
};
