/* gemm_cols.h — a float GEMM through BLAS on the session's threads: BLAS itself runs
 * single-threaded in a session (its own threads would fight the pool), so Gemm and MatMul split
 * the columns of C over the pool when each thread gets enough of them. */
#ifndef ONNXBN_OPS_GEMM_COLS_H
#define ONNXBN_OPS_GEMM_COLS_H

#include <stdbool.h>
#include <stddef.h>

#include "op.h"

/* C = act(alpha·op(A)·op(B) + beta·C) as onnxbn_sgemm, then the activation, column block by
 * column block (cut at cache lines), a block a thread of pool (NULL: one call). */
void onnxbn_sgemm_cols(onnxbn_pool *pool, bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
                       float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                       float beta, float *C, size_t ldc, onnxbn_act act);

#endif
