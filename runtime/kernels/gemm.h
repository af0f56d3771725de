/* gemm.h — the one matrix-multiply interface every operator uses (Gemm, MatMul, Conv via im2col):
 * row-major C = alpha·op(A)·op(B) + beta·C, on OpenBLAS when built with it, else a portable kernel. */
#ifndef ONNXBN_KERNELS_GEMM_H
#define ONNXBN_KERNELS_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/* Row-major, BLAS conventions: op(A) is M×K (A is stored K×M when trans_a), op(B) is K×N (B is
 * stored N×K when trans_b), C is M×N. lda/ldb/ldc are row strides in elements and must be at least
 * the stored row length (lda ≥ (trans_a ? M : K), ldb ≥ (trans_b ? K : N), ldc ≥ N).
 * beta == 0 overwrites C without reading it (NaN in C does not leak); alpha == 0 or K == 0 leaves
 * C = beta·C without reading A or B. C must not overlap A or B. Never fails, never allocates. */
void onnxbn_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc);

/* The portable blocked kernel that onnxbn_sgemm uses without OpenBLAS; always built, so that it
 * can be tested (and benchmarked) next to OpenBLAS. Same contract as onnxbn_sgemm. */
void onnxbn_sgemm_portable(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                           const float *A, size_t lda, const float *B, size_t ldb, float beta,
                           float *C, size_t ldc);

/* Double precision, same contract: OpenBLAS dgemm when built with it, else a plain loop (double
 * models are rare; this is for correctness, not speed). */
void onnxbn_dgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
                  const double *A, size_t lda, const double *B, size_t ldb, double beta, double *C,
                  size_t ldc);
void onnxbn_dgemm_portable(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, double alpha,
                           const double *A, size_t lda, const double *B, size_t ldb, double beta,
                           double *C, size_t ldc);

/* Makes OpenBLAS run every call on the calling thread only (no-op without OpenBLAS). onnxbn
 * parallelises around SGEMM with the session's own pool, so OpenBLAS's threads would only
 * oversubscribe the cores. This setting is process-wide (OpenBLAS has no per-call one): a session
 * open sets it, and it stays for the life of the process. */
void onnxbn_sgemm_single_thread(void);

/* "openblas" or "portable": what onnxbn_sgemm runs on in this build (for `onnxbn info`, tests). */
const char *onnxbn_gemm_backend(void);

#endif
