/* SPDX-License-Identifier: Apache-2.0 */
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

/* Makes OpenBLAS run every call on the calling thread only (no-op without OpenBLAS), for good:
 * what the benchmark tools use. */
void onnxbn_sgemm_single_thread(void);

/* Sessions hold OpenBLAS single-threaded while they are open. onnxbn parallelises around SGEMM
 * with the session's own pool, so OpenBLAS's threads would only oversubscribe the cores; but the
 * setting is process-wide (OpenBLAS 0.3.21 has no per-call one), and the host process (numpy in
 * the same Python, say) must get its own setting back. The first hold saves OpenBLAS's thread
 * count and sets 1; the last release restores the saved count, unless somebody else changed it
 * meanwhile. No-ops without OpenBLAS. */
void onnxbn_blas_hold(void);
void onnxbn_blas_release(void);

/* ---- B packed once: C = act(A·op(B) + bias) for constant weights (Gemm, MatMul) ----
 * BLAS packs B again on every call and needs extra passes for the bias and the activation; a
 * layer whose B is a weight packs it once at plan time instead, and adds the bias and applies
 * Relu/Clip while the result is in registers. */
#define ONNXBN_SGEMM_PANEL 32 /* columns per packed panel (two 16-float vectors) */

/* True when onnxbn_sgemm_packed has a vector kernel for this CPU (AVX-512); elsewhere it runs on
 * a portable loop that is slower than BLAS, so callers should keep onnxbn_sgemm. */
bool onnxbn_sgemm_packed_fast(void);

/* Floats of op(B) (K×N) packed: ⌈N/PANEL⌉·PANEL·K; 0 when that overflows. */
size_t onnxbn_sgemm_packed_floats(size_t K, size_t N);

/* Packs op(B) (B stored K×N, or N×K when trans_b) into Bp (64-byte aligned): panel p holds, for
 * k = 0 .. K−1, the PANEL values op(B)(k, p·PANEL ..), columns past N zero. */
void onnxbn_sgemm_pack_b(bool trans_b, size_t K, size_t N, const float *B, size_t ldb, float *Bp);

/* C[i][j] = act(Σ_k A[i][k]·Bp(k, j) + bias[j]) for rows 0 .. M−1 and columns j0 .. j1−1 (j0 a
 * multiple of PANEL: threads take disjoint column ranges). bias has N values or is NULL; act_kind
 * 0 none, 1 Relu (x <= 0 → 0, NaN kept), 2 Clip to [lo, hi], as onnxbn_act. C must not overlap A.
 * The sum runs over k in order for each element, so every column range gives the same bits. */
void onnxbn_sgemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                         const float *Bp, const float *bias, int act_kind, float lo, float hi,
                         float *C, size_t ldc, size_t j0, size_t j1);
/* The same on the portable loop only (tests it next to the vector kernel). */
void onnxbn_sgemm_packed_portable(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                  const float *Bp, const float *bias, int act_kind, float lo,
                                  float hi, float *C, size_t ldc, size_t j0, size_t j1);

/* As onnxbn_sgemm_packed (portable: onnxbn_sgemm_packed_portable), then, when gelu_k is not NULL,
 * torch's erf GELU with its constants gelu_k (onnxbn_gelu_erf_f32, kernels/unary.h: the same bits
 * as the five nodes) on every element, each block of rows while it is still in cache: a Linear
 * followed by nn.GELU() in one pass over its output. */
void onnxbn_sgemm_packed_gelu(size_t M, size_t N, size_t K, const float *A, size_t lda,
                              const float *Bp, const float *bias, int act_kind, float lo, float hi,
                              const float *gelu_k, float *C, size_t ldc, size_t j0, size_t j1,
                              bool portable);
/* "openblas" or "portable": what onnxbn_sgemm runs on in this build (for `onnxbn info`, tests). */
const char *onnxbn_gemm_backend(void);

#endif
