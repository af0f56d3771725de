/* SPDX-License-Identifier: Apache-2.0 */
/* gemm_cols.h — a float GEMM on the session's threads, for Gemm and MatMul: BLAS itself runs
 * single-threaded in a session (its own threads would fight the pool), and so does the packed
 * kernel, so both are split by columns of C over the pool. */
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

/* C = act(A·Bp + bias) with a B packed once (onnxbn_sgemm_packed, kernels/gemm.h), its column
 * panels shared out over the pool (NULL: one thread). bias has N values or is NULL. */
void onnxbn_sgemm_packed_cols(onnxbn_pool *pool, size_t M, size_t N, size_t K, const float *A,
                              size_t lda, const float *Bp, const float *bias, float *C, size_t ldc,
                              onnxbn_act act);

/* The same, then torch's erf GELU with constants gelu_k (NULL: none) on each block of rows while
 * it is in cache (onnxbn_sgemm_packed_gelu, kernels/gemm.h). */
void onnxbn_sgemm_packed_cols_gelu(onnxbn_pool *pool, size_t M, size_t N, size_t K,
                                   const float *A, size_t lda, const float *Bp, const float *bias,
                                   const float *gelu_k, float *C, size_t ldc, onnxbn_act act);

#endif
