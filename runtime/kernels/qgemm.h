/* SPDX-License-Identifier: Apache-2.0 */
/* qgemm.h — integer matrix product for the quantized operators: C = (A - za)(B - zb) over 8-bit A
 * (M x K) and B (K x N), accumulated exactly in int32, with AVX-512 VNNI, AVX2 or portable loops. */
#ifndef ONNXBN_KERNELS_QGEMM_H
#define ONNXBN_KERNELS_QGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/conv.h"

/* The loops. Every sign combination runs as unsigned B times signed A: a uint8 A is moved to int8
 * (a - 128) and an int8 B to uint8 (b + 128) when packed, and the zero points move with them, so
 * the differences (a - za), (b - zb) and the result are unchanged.
 *  VNNI:    vpdpbusd, 16 columns x 4 k a vector (AVX-512 VNNI).
 *  AVX2:    both sides widened to int16, vpmaddwd (exact: vpmaddubsw's int16 sum of two u8*s8
 *           products saturates, 255*127*2 > 32767, so it is not used).
 *  GENERIC: scalar, on the VNNI layout. */
typedef enum onnxbn_qgemm_impl {
    ONNXBN_QGEMM_GENERIC = 0,
    ONNXBN_QGEMM_AVX2 = 1,
    ONNXBN_QGEMM_VNNI = 2
} onnxbn_qgemm_impl;

/* The best this process may use (onnxbn_isa() and, for VNNI, the CPU's avx512vnni). */
onnxbn_qgemm_impl onnxbn_qgemm_pick(void);
/* Whether `impl` can run on this CPU (the tests run every one that can). */
int onnxbn_qgemm_can(onnxbn_qgemm_impl impl);

/* Packed A: rows padded to the row block, k to the k group. Bytes for M x K, then the packing,
 * which also writes sum[m] = Σk of the packed (sign-moved) a, M values. `a` is row-major with row
 * stride lda, int8 when a_signed else uint8. */
size_t onnxbn_qgemm_a_bytes(onnxbn_qgemm_impl impl, size_t M, size_t K);
void onnxbn_qgemm_pack_a(onnxbn_qgemm_impl impl, size_t M, size_t K, const void *a, size_t lda,
                         int a_signed, void *packed, int32_t *sum);

/* Packed B: columns in panels, k in groups. Bytes for K x N; the packing writes sum[n] = Σk of
 * the packed b, N values. `b` row-major with row stride ldb, int8 when b_signed else uint8. */
size_t onnxbn_qgemm_b_bytes(onnxbn_qgemm_impl impl, size_t K, size_t N);
void onnxbn_qgemm_pack_b(onnxbn_qgemm_impl impl, size_t K, size_t N, const void *b, size_t ldb,
                         int b_signed, void *packed, int32_t *sum);

/* The zero points as the caller has them (of the unpacked a and b), one per row of A (za[m *
 * za_step], step 0: one for all) and per column of B (zb[n * zb_step]). */
typedef struct onnxbn_qgemm_zp {
    const int32_t *za, *zb;
    size_t za_step, zb_step;
    int a_signed, b_signed;
} onnxbn_qgemm_zp;

/* c[m*ldc + n] = Σk (a[m][k] - za[m]) (b[k][n] - zb[n]) for m < M, n < N, in int32 (wrapping
 * as int32 arithmetic does when K is beyond 2^31 / 65025: the exact result modulo 2^32). Packed
 * operands as above, by the same impl. */
void onnxbn_qgemm(onnxbn_qgemm_impl impl, size_t M, size_t N, size_t K, const void *pa,
                  const int32_t *asum, const void *pb, const int32_t *bsum,
                  const onnxbn_qgemm_zp *zp, int32_t *c, size_t ldc);

/* Requantization: y[n] = saturate(rint(acc[n] * mult) + zp), int8 when sgn else uint8; the
 * product in float, as the quantized operators' references compute it. */
void onnxbn_requant_row(const int32_t *acc, size_t n, float mult, int32_t zp, int sgn, void *y);

/* onnxbn_im2col_f32's layout on bytes (int8 or uint8 alike): col[(c·K + j), r·L + o] for grid
 * rows row0 .. row0 + nrows; image positions outside the image read as `pad` (the input's zero
 * point, which stands for 0). */
void onnxbn_im2col_u8(const onnxbn_conv_geom *g, size_t channels, const uint8_t *img, size_t row0,
                      size_t nrows, uint8_t pad, uint8_t *col);

#endif
