/* SPDX-License-Identifier: Apache-2.0 */
/* gemm_cols.c — the column splits behind onnxbn_sgemm_cols (one BLAS call per thread on its block
 * of columns, the fused activation applied while it is in cache) and onnxbn_sgemm_packed_cols. */
#include "ops/gemm_cols.h"

#include "kernels/gemm.h"
#include "threadpool.h"

/* Below this many multiply-adds, or 64 columns a thread, one call: the pool's round trip (about
 * half a microsecond) would cost more than the split saves. */
enum { SPLIT_MIN_MACS = 1 << 16, SPLIT_MIN_COLS = 64 };

typedef struct cols_job {
    bool ta, tb;
    size_t M, N, K, lda, ldb, ldc, parts;
    float alpha, beta;
    const float *A, *B;
    float *C;
    onnxbn_act act;
} cols_job;

static void cols_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const cols_job *j = arg;
    size_t n0, n1;
    onnxbn_split(j->N, j->parts, t, 16, &n0, &n1);
    if (n0 == n1)
        return;
    onnxbn_sgemm(j->ta, j->tb, j->M, n1 - n0, j->K, j->alpha, j->A, j->lda,
                 j->B + (j->tb ? n0 * j->ldb : n0), j->ldb, j->beta, j->C + n0, j->ldc);
    for (size_t i = 0; i < j->M; i++)
        onnxbn_act_f32(j->act, j->C + i * j->ldc + n0, n1 - n0);
}

void onnxbn_sgemm_cols(onnxbn_pool *pool, bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                       float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                       float beta, float *C, size_t ldc, onnxbn_act act)
{
    const size_t nth = (size_t)onnxbn_pool_threads(pool);
    cols_job j = {trans_a, trans_b, M, N, K, lda, ldb, ldc, 1, alpha, beta, A, B, C, act};
    if (nth > 1 && N >= SPLIT_MIN_COLS * nth && M * N * K >= SPLIT_MIN_MACS) {
        j.parts = nth;
        onnxbn_pool_run_fixed(pool, cols_task, &j);
        return;
    }
    cols_task(&j, 0, 0);
}

typedef struct packed_job {
    size_t M, N, K, lda, ldc, tasks;
    bool by_rows;
    const float *A, *Bp, *bias, *gelu;
    float *C;
    onnxbn_act act;
} packed_job;

/* Task t: its share of the column panels, or of the rows (every panel). */
static void packed_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const packed_job *j = arg;
    size_t lo, hi;
    if (j->by_rows) {
        onnxbn_split(j->M, j->tasks, t, 8, &lo, &hi);
        if (lo < hi)
            onnxbn_sgemm_packed_gelu(hi - lo, j->N, j->K, j->A + lo * j->lda, j->lda, j->Bp,
                                     j->bias, j->act.kind, j->act.lo, j->act.hi, j->gelu,
                                     j->C + lo * j->ldc, j->ldc, 0, j->N, false);
        return;
    }
    const size_t panels = (j->N + ONNXBN_SGEMM_PANEL - 1) / ONNXBN_SGEMM_PANEL;
    onnxbn_split(panels, j->tasks, t, 1, &lo, &hi);
    onnxbn_sgemm_packed_gelu(j->M, j->N, j->K, j->A, j->lda, j->Bp, j->bias, j->act.kind,
                             j->act.lo, j->act.hi, j->gelu, j->C, j->ldc, lo * ONNXBN_SGEMM_PANEL,
                             hi * ONNXBN_SGEMM_PANEL, false);
}

/* Rows instead of panels when the panels do not share out evenly (a transformer's Linear at 96 or
 * 288 columns is 3 or 9 panels: 2 threads would get 2 and 1, 5 and 4) and there are rows enough
 * for every thread to keep whole row chunks; each thread then reads all of B, which the panel
 * split would not, so a split that is already even stays by panels. */
enum { ROWS_MIN_PER_THREAD = 96 };

void onnxbn_sgemm_packed_cols(onnxbn_pool *pool, size_t M, size_t N, size_t K, const float *A,
                              size_t lda, const float *Bp, const float *bias, float *C, size_t ldc,
                              onnxbn_act act)
{
    onnxbn_sgemm_packed_cols_gelu(pool, M, N, K, A, lda, Bp, bias, NULL, C, ldc, act);
}

void onnxbn_sgemm_packed_cols_gelu(onnxbn_pool *pool, size_t M, size_t N, size_t K,
                                   const float *A, size_t lda, const float *Bp, const float *bias,
                                   const float *gelu_k, float *C, size_t ldc, onnxbn_act act)
{
    const size_t panels = (N + ONNXBN_SGEMM_PANEL - 1) / ONNXBN_SGEMM_PANEL;
    const size_t nth = (size_t)onnxbn_pool_threads(pool);
    packed_job j = {.M = M, .N = N, .K = K, .lda = lda, .ldc = ldc,
                    .tasks = panels < nth ? panels : nth, .A = A, .Bp = Bp, .bias = bias,
                    .gelu = gelu_k, .C = C, .act = act};
    if (nth > 1 && M >= ROWS_MIN_PER_THREAD * nth) {
        /* the panel split's busiest thread does ceil(panels/nth) panels; even work is panels/nth */
        const size_t most = (panels + nth - 1) / nth;
        if (panels * 20 < most * nth * 19) { /* below 95 % of even */
            j.by_rows = true;
            j.tasks = nth;
        }
    }
    onnxbn_pool_run(pool, j.tasks, packed_task, &j);
}
