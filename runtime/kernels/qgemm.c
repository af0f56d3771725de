/* SPDX-License-Identifier: Apache-2.0 */
/* qgemm.c — the int8 matrix product: A packed in blocks of MR rows, B in panels of columns, both
 * by k groups; the product accumulates in int32, and the zero points come in afterwards through
 * the row and column sums (one pass over C, not one per product). */
#include "kernels/qgemm.h"

#include "kernels/isa.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define Q_X86 1
#include <immintrin.h>
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2 __attribute__((target("avx2,fma")))
VNNI static size_t pack_b_vnni(size_t K, const uint8_t *b, size_t ldb, int b_signed, uint8_t *o,
                               int32_t *sum);
AVX2 static size_t pack_b_avx2(size_t K, const uint8_t *b, size_t ldb, int b_signed, int16_t *o,
                               int32_t *sum);
#endif

/* Rows a block (all impls), and per impl the k group (bytes of a dot-product step) and panel
 * width. VNNI and GENERIC: 4 k of uint8/int8, 16 columns (one 512-bit vector a k group). AVX2: 2 k
 * of int16, 8 columns (one 256-bit vector). */
enum { MR = 6 };

static size_t kgroup(onnxbn_qgemm_impl impl) { return impl == ONNXBN_QGEMM_AVX2 ? 2 : 4; }
static size_t panel(onnxbn_qgemm_impl impl) { return impl == ONNXBN_QGEMM_AVX2 ? 8 : 16; }
static size_t esize(onnxbn_qgemm_impl impl) { return impl == ONNXBN_QGEMM_AVX2 ? 2 : 1; }
static size_t up(size_t v, size_t m) { return (v + m - 1) / m * m; }

int onnxbn_qgemm_can(onnxbn_qgemm_impl impl)
{
    switch (impl) {
    case ONNXBN_QGEMM_GENERIC:
        return 1;
    case ONNXBN_QGEMM_AVX2:
        return onnxbn_isa_native() >= ONNXBN_ISA_AVX2;
    case ONNXBN_QGEMM_VNNI:
#ifdef Q_X86
        __builtin_cpu_init();
        return onnxbn_isa_native() >= ONNXBN_ISA_AVX512 && __builtin_cpu_supports("avx512vnni") &&
               __builtin_cpu_supports("avx512bw");
#else
        return 0;
#endif
    }
    return 0;
}

onnxbn_qgemm_impl onnxbn_qgemm_pick(void)
{
    /* ONNXBN_ISA=avx2 or generic caps this as it caps the float kernels; avx512 means VNNI here
     * when the CPU has it (a CPU with AVX-512F but no VNNI takes the AVX2 loops). */
    const onnxbn_isa_level l = onnxbn_isa();
    if (l >= ONNXBN_ISA_AVX512 && onnxbn_qgemm_can(ONNXBN_QGEMM_VNNI))
        return ONNXBN_QGEMM_VNNI;
    if (l >= ONNXBN_ISA_AVX2)
        return ONNXBN_QGEMM_AVX2;
    return ONNXBN_QGEMM_GENERIC;
}

size_t onnxbn_qgemm_a_bytes(onnxbn_qgemm_impl impl, size_t M, size_t K)
{
    return up(M, MR) * up(K ? K : 1, kgroup(impl)) * esize(impl);
}

size_t onnxbn_qgemm_b_bytes(onnxbn_qgemm_impl impl, size_t K, size_t N)
{
    return up(N ? N : 1, panel(impl)) * up(K ? K : 1, kgroup(impl)) * esize(impl);
}

/* The packed value of element v: signed int8 for A, unsigned for B (see qgemm.h). */
static int32_t a_val(const void *a, size_t i, int sgn)
{
    return sgn ? ((const int8_t *)a)[i] : (int32_t)((const uint8_t *)a)[i] - 128;
}
static int32_t b_val(const void *b, size_t i, int sgn)
{
    return sgn ? (int32_t)((const int8_t *)b)[i] + 128 : ((const uint8_t *)b)[i];
}

void onnxbn_qgemm_pack_a(onnxbn_qgemm_impl impl, size_t M, size_t K, const void *a, size_t lda,
                         int a_signed, void *packed, int32_t *sum)
{
    const size_t kg = kgroup(impl), Kp = up(K ? K : 1, kg), Mp = up(M, MR);
    memset(packed, 0, onnxbn_qgemm_a_bytes(impl, M, K));
    /* block r: for each k group, MR rows of kg values: the k group of one row is one 32-bit word
     * that the kernel broadcasts */
    for (size_t m = 0; m < Mp; m++) {
        const size_t blk = m / MR, r = m % MR;
        int32_t s = 0;
        for (size_t k = 0; m < M && k < K; k++) {
            const int32_t v = a_val(a, m * lda + k, a_signed);
            const size_t at = ((blk * (Kp / kg) + k / kg) * MR + r) * kg + k % kg;
            if (impl == ONNXBN_QGEMM_AVX2)
                ((int16_t *)packed)[at] = (int16_t)v;
            else
                ((int8_t *)packed)[at] = (int8_t)v;
            s += v;
        }
        if (m < M)
            sum[m] = s;
    }
}

void onnxbn_qgemm_pack_b(onnxbn_qgemm_impl impl, size_t K, size_t N, const void *b, size_t ldb,
                         int b_signed, void *packed, int32_t *sum)
{
    const size_t kg = kgroup(impl), nr = panel(impl), Kp = up(K ? K : 1, kg), Np = up(N ? N : 1, nr);
    const size_t ng = Kp / kg;
    for (size_t n = 0; n < N; n++)
        sum[n] = 0;
    if (impl == ONNXBN_QGEMM_AVX2) {
        int16_t *d = packed;
        for (size_t p = 0; p < Np / nr; p++) {
            size_t g0 = 0;
#ifdef Q_X86
            if (p * nr + nr <= N) {
                int32_t vs[8];
                g0 = pack_b_avx2(K, (const uint8_t *)b + p * nr, ldb, b_signed, d + p * ng * 16, vs);
                for (size_t j = 0; j < 8; j++)
                    sum[p * nr + j] += vs[j];
            }
#endif
            for (size_t g = g0; g < ng; g++)
                for (size_t kk = 0; kk < kg; kk++) {
                    const size_t k = g * kg + kk;
                    int16_t *o = d + (p * ng + g) * nr * kg + kk;
                    for (size_t j = 0; j < nr; j++) {
                        const size_t n = p * nr + j;
                        int32_t v = k < K && n < N ? b_val(b, k * ldb + n, b_signed) : 0;
                        o[j * kg] = (int16_t)v;
                        if (n < N)
                            sum[n] += v;
                    }
                }
        }
        return;
    }
    uint8_t *d = packed;
    for (size_t p = 0; p < Np / nr; p++) {
        size_t g0 = 0;
#ifdef Q_X86
        if (impl == ONNXBN_QGEMM_VNNI && p * nr + nr <= N) {
            int32_t vs[16];
            g0 = pack_b_vnni(K, (const uint8_t *)b + p * nr, ldb, b_signed, d + p * ng * 64, vs);
            for (size_t j = 0; j < 16; j++)
                sum[p * nr + j] += vs[j];
        }
#endif
        for (size_t g = g0; g < ng; g++)
            for (size_t kk = 0; kk < kg; kk++) {
                const size_t k = g * kg + kk;
                uint8_t *o = d + (p * ng + g) * nr * kg + kk;
                if (k < K && p * nr + nr <= N) {
                    /* a whole panel row: the common case, without per-element bounds */
                    const size_t base = k * ldb + p * nr;
                    if (b_signed) {
                        const int8_t *s = (const int8_t *)b + base;
                        for (size_t j = 0; j < 16; j++) {
                            o[j * 4] = (uint8_t)(s[j] + 128);
                            sum[p * nr + j] += s[j] + 128;
                        }
                    } else {
                        const uint8_t *s = (const uint8_t *)b + base;
                        for (size_t j = 0; j < 16; j++) {
                            o[j * 4] = s[j];
                            sum[p * nr + j] += s[j];
                        }
                    }
                    continue;
                }
                for (size_t j = 0; j < nr; j++) {
                    const size_t n = p * nr + j;
                    int32_t v = k < K && n < N ? b_val(b, k * ldb + n, b_signed) : 0;
                    o[j * kg] = (uint8_t)v;
                    if (n < N)
                        sum[n] += v;
                }
            }
    }
}

/* One block of at most MR rows and np panels: the raw dot products into t[MR][2 * 16]. */
static void block_generic(size_t ng, size_t np, const int8_t *pa, const uint8_t *pb, size_t pstride,
                          int32_t t[MR][32])
{
    memset(t, 0, sizeof(int32_t) * MR * 32);
    for (size_t p = 0; p < np; p++)
        for (size_t g = 0; g < ng; g++) {
            const uint8_t *bv = pb + p * pstride + g * 64;
            const int8_t *av = pa + g * MR * 4;
            for (int r = 0; r < MR; r++)
                for (size_t j = 0; j < 16; j++) {
                    int32_t s = 0;
                    for (int kk = 0; kk < 4; kk++)
                        s += av[r * 4 + kk] * bv[j * 4 + kk];
                    t[r][p * 16 + j] += s;
                }
        }
}

#ifdef Q_X86

VNNI static void block_vnni(size_t ng, size_t np, const int8_t *pa, const uint8_t *pb,
                            size_t pstride, int32_t t[MR][32])
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const int32_t *a = (const int32_t *)(const void *)pa;
    if (np == 2) {
        const uint8_t *b1 = pb + pstride;
        for (size_t g = 0; g < ng; g++, a += MR) {
            const __m512i b0v = _mm512_loadu_si512(pb + g * 64), b1v = _mm512_loadu_si512(b1 + g * 64);
            __m512i x = _mm512_set1_epi32(a[0]);
            c00 = _mm512_dpbusd_epi32(c00, b0v, x);
            c01 = _mm512_dpbusd_epi32(c01, b1v, x);
            x = _mm512_set1_epi32(a[1]);
            c10 = _mm512_dpbusd_epi32(c10, b0v, x);
            c11 = _mm512_dpbusd_epi32(c11, b1v, x);
            x = _mm512_set1_epi32(a[2]);
            c20 = _mm512_dpbusd_epi32(c20, b0v, x);
            c21 = _mm512_dpbusd_epi32(c21, b1v, x);
            x = _mm512_set1_epi32(a[3]);
            c30 = _mm512_dpbusd_epi32(c30, b0v, x);
            c31 = _mm512_dpbusd_epi32(c31, b1v, x);
            x = _mm512_set1_epi32(a[4]);
            c40 = _mm512_dpbusd_epi32(c40, b0v, x);
            c41 = _mm512_dpbusd_epi32(c41, b1v, x);
            x = _mm512_set1_epi32(a[5]);
            c50 = _mm512_dpbusd_epi32(c50, b0v, x);
            c51 = _mm512_dpbusd_epi32(c51, b1v, x);
        }
    } else {
        for (size_t g = 0; g < ng; g++, a += MR) {
            const __m512i b0v = _mm512_loadu_si512(pb + g * 64);
            c00 = _mm512_dpbusd_epi32(c00, b0v, _mm512_set1_epi32(a[0]));
            c10 = _mm512_dpbusd_epi32(c10, b0v, _mm512_set1_epi32(a[1]));
            c20 = _mm512_dpbusd_epi32(c20, b0v, _mm512_set1_epi32(a[2]));
            c30 = _mm512_dpbusd_epi32(c30, b0v, _mm512_set1_epi32(a[3]));
            c40 = _mm512_dpbusd_epi32(c40, b0v, _mm512_set1_epi32(a[4]));
            c50 = _mm512_dpbusd_epi32(c50, b0v, _mm512_set1_epi32(a[5]));
        }
    }
    _mm512_storeu_si512(&t[0][0], c00), _mm512_storeu_si512(&t[0][16], c01);
    _mm512_storeu_si512(&t[1][0], c10), _mm512_storeu_si512(&t[1][16], c11);
    _mm512_storeu_si512(&t[2][0], c20), _mm512_storeu_si512(&t[2][16], c21);
    _mm512_storeu_si512(&t[3][0], c30), _mm512_storeu_si512(&t[3][16], c31);
    _mm512_storeu_si512(&t[4][0], c40), _mm512_storeu_si512(&t[4][16], c41);
    _mm512_storeu_si512(&t[5][0], c50), _mm512_storeu_si512(&t[5][16], c51);
}

/* AVX2: panels of 8 columns, k pairs of int16; np panels of up to 4 (32 columns), so t holds the
 * same 6 x 32 as the other loops. Two panels at a time keep 12 accumulators in 16 registers. */
AVX2 static void block_avx2(size_t ng, size_t np, const int16_t *pa, const int16_t *pb,
                            size_t pstride, int32_t t[MR][32])
{
    for (size_t p = 0; p < np; p += 2) {
        const int two = p + 1 < np;
        __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        const int16_t *b0 = pb + p * pstride, *b1 = two ? b0 + pstride : b0;
        const int32_t *a = (const int32_t *)(const void *)pa;
        for (size_t g = 0; g < ng; g++, a += MR) {
            const __m256i b0v = _mm256_loadu_si256((const __m256i *)(const void *)(b0 + g * 16));
            const __m256i b1v = _mm256_loadu_si256((const __m256i *)(const void *)(b1 + g * 16));
            __m256i x = _mm256_set1_epi32(a[0]);
            c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(b0v, x));
            c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(b1v, x));
            x = _mm256_set1_epi32(a[1]);
            c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(b0v, x));
            c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(b1v, x));
            x = _mm256_set1_epi32(a[2]);
            c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(b0v, x));
            c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(b1v, x));
            x = _mm256_set1_epi32(a[3]);
            c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(b0v, x));
            c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(b1v, x));
            x = _mm256_set1_epi32(a[4]);
            c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(b0v, x));
            c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(b1v, x));
            x = _mm256_set1_epi32(a[5]);
            c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(b0v, x));
            c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(b1v, x));
        }
        const size_t o = p * 8;
        _mm256_storeu_si256((__m256i *)(void *)&t[0][o], c00);
        _mm256_storeu_si256((__m256i *)(void *)&t[1][o], c10);
        _mm256_storeu_si256((__m256i *)(void *)&t[2][o], c20);
        _mm256_storeu_si256((__m256i *)(void *)&t[3][o], c30);
        _mm256_storeu_si256((__m256i *)(void *)&t[4][o], c40);
        _mm256_storeu_si256((__m256i *)(void *)&t[5][o], c50);
        if (two) {
            _mm256_storeu_si256((__m256i *)(void *)&t[0][o + 8], c01);
            _mm256_storeu_si256((__m256i *)(void *)&t[1][o + 8], c11);
            _mm256_storeu_si256((__m256i *)(void *)&t[2][o + 8], c21);
            _mm256_storeu_si256((__m256i *)(void *)&t[3][o + 8], c31);
            _mm256_storeu_si256((__m256i *)(void *)&t[4][o + 8], c41);
            _mm256_storeu_si256((__m256i *)(void *)&t[5][o + 8], c51);
        }
    }
}

/* VNNI packing of B: four rows of 16 columns interleaved into one 64-byte k group by two rounds
 * of unpacking, and the 16 column sums by one vpdpbusd against ones. Only whole panels and
 * whole k groups here; the caller does the edges. Returns the groups done. */
VNNI static size_t pack_b_vnni(size_t K, const uint8_t *b, size_t ldb, int b_signed, uint8_t *o,
                               int32_t *sum)
{
    const size_t full = K / 4;
    const __m128i flip = _mm_set1_epi8(b_signed ? (char)0x80 : 0);
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i s = _mm512_setzero_si512();
    for (size_t g = 0; g < full; g++) {
        const uint8_t *r = b + g * 4 * ldb;
        const __m128i r0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)r), flip);
        const __m128i r1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(r + ldb)), flip);
        const __m128i r2 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(r + 2 * ldb)), flip);
        const __m128i r3 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(r + 3 * ldb)), flip);
        const __m128i a0 = _mm_unpacklo_epi8(r0, r1), a1 = _mm_unpackhi_epi8(r0, r1);
        const __m128i b0 = _mm_unpacklo_epi8(r2, r3), b1 = _mm_unpackhi_epi8(r2, r3);
        __m128i *d = (__m128i *)(void *)(o + g * 64);
        const __m128i q0 = _mm_unpacklo_epi16(a0, b0), q1 = _mm_unpackhi_epi16(a0, b0);
        const __m128i q2 = _mm_unpacklo_epi16(a1, b1), q3 = _mm_unpackhi_epi16(a1, b1);
        _mm_storeu_si128(d, q0);
        _mm_storeu_si128(d + 1, q1);
        _mm_storeu_si128(d + 2, q2);
        _mm_storeu_si128(d + 3, q3);
        const __m512i v = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_set_m128i(q1, q0)), _mm256_set_m128i(q3, q2), 1);
        s = _mm512_dpbusd_epi32(s, v, ones);
    }
    _mm512_storeu_si512(sum, s);
    return full;
}

/* c = t - za·(bsum - K·zb) - asum·zb for one row block, 16 columns a vector, wrapping in 32 bits
 * (the exact result modulo 2^32, as the scalar loop). */
VNNI static void fix_vnni(int32_t t[MR][32], size_t mm, size_t nn, const int32_t *b1,
                          const int32_t *zb, const int32_t *za, const int32_t *as, int32_t *c,
                          size_t ldc)
{
    for (size_t r = 0; r < mm; r++) {
        const __m512i vza = _mm512_set1_epi32(za[r]), vas = _mm512_set1_epi32(as[r]);
        for (size_t j = 0; j < nn; j += 16) {
            const __mmask16 k = nn - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (nn - j)) - 1);
            __m512i v = _mm512_loadu_si512(&t[r][j]);
            v = _mm512_sub_epi32(v, _mm512_mullo_epi32(vza, _mm512_loadu_si512(b1 + j)));
            v = _mm512_sub_epi32(v, _mm512_mullo_epi32(vas, _mm512_loadu_si512(zb + j)));
            _mm512_mask_storeu_epi32(c + r * ldc + j, k, v);
        }
    }
}


/* AVX2 packing of B: two rows of 8 columns widened to int16 and interleaved into one 32-byte k
 * pair, the column sums by vpmaddwd against ones. Whole panels and k pairs only (as VNNI's). */
AVX2 static size_t pack_b_avx2(size_t K, const uint8_t *b, size_t ldb, int b_signed, int16_t *o,
                               int32_t *sum)
{
    const size_t full = K / 2;
    const __m128i flip = _mm_set1_epi8(b_signed ? (char)0x80 : 0);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i s = _mm256_setzero_si256();
    for (size_t g = 0; g < full; g++) {
        const uint8_t *r = b + g * 2 * ldb;
        const __m128i r0 = _mm_cvtepu8_epi16(_mm_xor_si128(_mm_loadl_epi64((const __m128i *)(const void *)r), flip));
        const __m128i r1 = _mm_cvtepu8_epi16(_mm_xor_si128(_mm_loadl_epi64((const __m128i *)(const void *)(r + ldb)), flip));
        const __m256i v = _mm256_set_m128i(_mm_unpackhi_epi16(r0, r1), _mm_unpacklo_epi16(r0, r1));
        _mm256_storeu_si256((__m256i *)(void *)(o + g * 16), v);
        s = _mm256_add_epi32(s, _mm256_madd_epi16(v, ones));
    }
    _mm256_storeu_si256((__m256i *)(void *)sum, s);
    return full;
}


/* fix_vnni on 8 lanes. */
AVX2 static void fix_avx2(int32_t t[MR][32], size_t mm, size_t nn, const int32_t *b1,
                          const int32_t *zb, const int32_t *za, const int32_t *as, int32_t *c,
                          size_t ldc)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t r = 0; r < mm; r++) {
        const __m256i vza = _mm256_set1_epi32(za[r]), vas = _mm256_set1_epi32(as[r]);
        for (size_t j = 0; j < nn; j += 8) {
            const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(nn - j)), lane);
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)&t[r][j]);
            v = _mm256_sub_epi32(v, _mm256_mullo_epi32(vza, _mm256_loadu_si256((const __m256i *)(const void *)(b1 + j))));
            v = _mm256_sub_epi32(v, _mm256_mullo_epi32(vas, _mm256_loadu_si256((const __m256i *)(const void *)(zb + j))));
            _mm256_maskstore_epi32(c + r * ldc + j, k, v);
        }
    }
}

/* onnxbn_requant_row on 8 lanes, as requant_avx512. */
AVX2 static size_t requant_avx2(const int32_t *acc, size_t n, float mult, int32_t zp, int sgn,
                                void *y)
{
    const __m256 vm = _mm256_set1_ps(mult), big = _mm256_set1_ps(2147483520.0f);
    const __m256i vz = _mm256_set1_epi32(zp), lo = _mm256_set1_epi32(sgn ? -128 : 0);
    const __m256i hi = _mm256_set1_epi32(sgn ? 127 : 255);
    const __m256i top = _mm256_set1_epi32(INT32_MAX - 256), bot = _mm256_set1_epi32(INT32_MIN + 256);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i))), vm);
        __m256i q = _mm256_cvtps_epi32(f);
        q = _mm256_blendv_epi8(q, top, _mm256_castps_si256(_mm256_cmp_ps(f, big, _CMP_GT_OQ)));
        q = _mm256_blendv_epi8(q, bot, _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q)));
        q = _mm256_max_epi32(_mm256_min_epi32(q, top), bot);
        q = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(q, vz), lo), hi);
        int32_t o[8];
        _mm256_storeu_si256((__m256i *)(void *)o, q);
        for (int j = 0; j < 8; j++)
            ((uint8_t *)y)[i + (size_t)j] = (uint8_t)o[j]; /* int8 as its byte */
    }
    return i;
}

/* onnxbn_requant_row on 16 lanes: cvtps rounds to nearest even as rint does; lanes past 2^31
 * (an infinite product) go to hi, NaN to lo, as the scalar loop. */
VNNI static void requant_avx512(const int32_t *acc, size_t n, float mult, int32_t zp, int sgn,
                                void *y)
{
    const __m512 vm = _mm512_set1_ps(mult), big = _mm512_set1_ps(2147483520.0f);
    const __m512i vz = _mm512_set1_epi32(zp), lo = _mm512_set1_epi32(sgn ? -128 : 0);
    const __m512i hi = _mm512_set1_epi32(sgn ? 127 : 255);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(k, acc + i)), vm);
        __m512i q = _mm512_cvtps_epi32(f);
        const __mmask16 over = _mm512_cmp_ps_mask(f, big, _CMP_GT_OQ);
        const __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
        q = _mm512_mask_mov_epi32(q, over, _mm512_set1_epi32(INT32_MAX - 256));
        q = _mm512_mask_mov_epi32(q, nan, _mm512_set1_epi32(INT32_MIN + 256));
        /* zp is a byte; q past ±(2^31 - 256) is saturated before the add cannot wrap */
        q = _mm512_max_epi32(_mm512_min_epi32(q, _mm512_set1_epi32(INT32_MAX - 256)),
                             _mm512_set1_epi32(INT32_MIN + 256));
        q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, vz), lo), hi);
        _mm_mask_storeu_epi8((uint8_t *)y + i, k, _mm512_cvtepi32_epi8(q));
    }
}
#endif

void onnxbn_qgemm(onnxbn_qgemm_impl impl, size_t M, size_t N, size_t K, const void *pa,
                  const int32_t *asum, const void *pb, const int32_t *bsum,
                  const onnxbn_qgemm_zp *zp, int32_t *c, size_t ldc)
{
#ifndef Q_X86
    impl = ONNXBN_QGEMM_GENERIC;
#endif
    const size_t kg = kgroup(impl), nr = panel(impl), es = esize(impl);
    const size_t ng = up(K ? K : 1, kg) / kg, pstride = ng * kg * nr; /* elements a panel */
    const size_t ablock = ng * kg * MR;                                  /* elements a row block */
    const int64_t za_move = zp->a_signed ? 0 : -128, zb_move = zp->b_signed ? 128 : 0;
    int32_t t[MR][32];
    /* a step: a pair of 16-column panels, or of 8-column int16 ones (two int16 panels of a long
     * K already fill L1, and every row block reads them again) */
    const size_t step = 2 * nr;
    for (size_t n0 = 0; n0 < N; n0 += step) {
        const size_t nn = N - n0 < step ? N - n0 : step, np = (nn + nr - 1) / nr;
        const uint8_t *bp = (const uint8_t *)pb + (n0 / nr) * pstride * es;
        /* the column terms, with the moved zero points: b1 = bsum - K·zb */
        int32_t b1[32], zb[32];
        for (size_t j = 0; j < 32; j++) {
            const int64_t z = j < nn ? zp->zb[(n0 + j) * zp->zb_step] + zb_move : 0;
            zb[j] = (int32_t)z;
            b1[j] = j < nn ? (int32_t)((uint32_t)bsum[n0 + j] - (uint32_t)K * (uint32_t)z) : 0;
        }
        for (size_t m0 = 0; m0 < M; m0 += MR) {
            const uint8_t *ap = (const uint8_t *)pa + (m0 / MR) * ablock * es;
            switch (impl) {
#ifdef Q_X86
            case ONNXBN_QGEMM_VNNI:
                block_vnni(ng, np, (const int8_t *)ap, bp, pstride, t);
                break;
            case ONNXBN_QGEMM_AVX2:
                block_avx2(ng, np, (const int16_t *)(const void *)ap,
                           (const int16_t *)(const void *)bp, pstride, t);
                break;
#endif
            default:
                block_generic(ng, np, (const int8_t *)ap, bp, pstride, t);
                break;
            }
            const size_t mm = M - m0 < MR ? M - m0 : MR;
            int32_t za[MR], as[MR];
            for (size_t r = 0; r < mm; r++) {
                za[r] = (int32_t)(zp->za[(m0 + r) * zp->za_step] + za_move);
                as[r] = asum[m0 + r];
            }
#ifdef Q_X86
            if (impl == ONNXBN_QGEMM_VNNI) {
                fix_vnni(t, mm, nn, b1, zb, za, as, c + m0 * ldc + n0, ldc);
                continue;
            }
            if (impl == ONNXBN_QGEMM_AVX2) {
                fix_avx2(t, mm, nn, b1, zb, za, as, c + m0 * ldc + n0, ldc);
                continue;
            }
#endif
            for (size_t r = 0; r < mm; r++) {
                int32_t *crow = c + (m0 + r) * ldc + n0;
                for (size_t j = 0; j < nn; j++) /* uint32: the exact result modulo 2^32 */
                    crow[j] = (int32_t)((uint32_t)t[r][j] - (uint32_t)za[r] * (uint32_t)b1[j] -
                                        (uint32_t)as[r] * (uint32_t)zb[j]);
            }
        }
    }
}

void onnxbn_requant_row(const int32_t *acc, size_t n, float mult, int32_t zp, int sgn, void *y)
{
#ifdef Q_X86
    size_t done = 0;
    const onnxbn_qgemm_impl impl = n >= 8 ? onnxbn_qgemm_pick() : ONNXBN_QGEMM_GENERIC;
    if (impl == ONNXBN_QGEMM_VNNI) {
        requant_avx512(acc, n, mult, zp, sgn, y);
        return;
    }
    if (impl == ONNXBN_QGEMM_AVX2) {
        done = requant_avx2(acc, n, mult, zp, sgn, y);
        acc += done;
        n -= done;
        y = (uint8_t *)y + done;
    }
#endif
    const float lo = sgn ? -128.0f : 0.0f, hi = sgn ? 127.0f : 255.0f;
    for (size_t i = 0; i < n; i++) {
        float v = rintf((float)acc[i] * mult) + (float)zp;
        v = !(v >= lo) ? lo : v > hi ? hi : v; /* NaN (an infinite scale) to lo, never cast */
        if (sgn)
            ((int8_t *)y)[i] = (int8_t)v;
        else
            ((uint8_t *)y)[i] = (uint8_t)v;
    }
}

void onnxbn_im2col_u8(const onnxbn_conv_geom *g, size_t channels, const uint8_t *img, size_t row0,
                      size_t nrows, uint8_t pad, uint8_t *col)
{
    const int n = g->nsp, last = n - 1;
    const size_t L = (size_t)g->grid[last], W = (size_t)g->img[last];
    size_t isz = 1, ksz = 1;
    for (int d = 0; d < n; d++) {
        isz *= (size_t)g->img[d];
        ksz *= (size_t)g->k[d];
    }
    const size_t ld = nrows * L;
    if (n == 2) {
        /* the common 2-D case without the general index arithmetic: one row of output columns
         * a tap and grid row, its inside span found once */
        const int64_t H = g->img[0], s1 = g->stride[1];
        for (size_t ch = 0; ch < channels; ch++)
            for (int64_t kh = 0; kh < g->k[0]; kh++)
                for (int64_t kw = 0; kw < g->k[1]; kw++) {
                    uint8_t *dst = col + ((ch * (size_t)g->k[0] + (size_t)kh) * (size_t)g->k[1] +
                                          (size_t)kw) * ld;
                    const int64_t off = kw * g->dil[1] - g->pad[1];
                    /* columns q with 0 <= q·s1 + off < W */
                    int64_t qa = off >= 0 ? 0 : (-off + s1 - 1) / s1;
                    int64_t qb = (int64_t)W - off <= 0 ? 0 : ((int64_t)W - off + s1 - 1) / s1;
                    qa = qa > (int64_t)L ? (int64_t)L : qa;
                    qb = qb > (int64_t)L ? (int64_t)L : qb < qa ? qa : qb;
                    for (size_t r = 0; r < nrows; r++) {
                        uint8_t *o = dst + r * L;
                        const int64_t ih = (int64_t)(row0 + r) * g->stride[0] - g->pad[0] +
                                           kh * g->dil[0];
                        if (ih < 0 || ih >= H) {
                            memset(o, pad, L);
                            continue;
                        }
                        const uint8_t *src = img + ch * isz + (size_t)ih * W;
                        if (qa)
                            memset(o, pad, (size_t)qa);
                        if (s1 == 1) {
                            memcpy(o + qa, src + off + qa, (size_t)(qb - qa));
                        } else {
                            for (int64_t q = qa; q < qb; q++)
                                o[q] = src[q * s1 + off];
                        }
                        if ((int64_t)L > qb)
                            memset(o + qb, pad, L - (size_t)qb);
                    }
                }
        return;
    }
    for (size_t ch = 0; ch < channels; ch++)
        for (size_t j = 0; j < ksz; j++) {
            /* tap j as a multi-index, row-major over k */
            int64_t kj[ONNXBN_CONV_MAX_SP];
            size_t rem = j;
            for (int d = n - 1; d >= 0; d--) {
                kj[d] = (int64_t)(rem % (size_t)g->k[d]);
                rem /= (size_t)g->k[d];
            }
            uint8_t *dst = col + (ch * ksz + j) * ld;
            const int64_t s = g->stride[last], off = kj[last] * g->dil[last] - g->pad[last];
            for (size_t r = 0; r < nrows; r++) {
                uint8_t *o = dst + r * L;
                /* the image row this grid row and tap read, or none (all padding) */
                size_t gr = row0 + r, at = 0, mul = W;
                int inside = 1;
                for (int d = n - 2; d >= 0; d--) {
                    const int64_t gi = (int64_t)(gr % (size_t)g->grid[d]);
                    gr /= (size_t)g->grid[d];
                    const int64_t ii = gi * g->stride[d] - g->pad[d] + kj[d] * g->dil[d];
                    if (ii < 0 || ii >= g->img[d]) {
                        inside = 0;
                        break;
                    }
                    at += (size_t)ii * mul;
                    mul *= (size_t)g->img[d];
                }
                if (!inside) {
                    memset(o, pad, L);
                    continue;
                }
                const uint8_t *src = img + ch * isz + at;
                if (s == 1) {
                    /* columns o with 0 <= o + off < W are one copy */
                    int64_t a = -off, b = (int64_t)W - off;
                    a = a < 0 ? 0 : a > (int64_t)L ? (int64_t)L : a;
                    b = b < a ? a : b > (int64_t)L ? (int64_t)L : b;
                    memset(o, pad, (size_t)a);
                    memcpy(o + a, src + a + off, (size_t)(b - a));
                    memset(o + b, pad, L - (size_t)b);
                } else {
                    for (size_t q = 0; q < L; q++) {
                        const int64_t iw = (int64_t)q * s + off;
                        o[q] = iw >= 0 && iw < (int64_t)W ? src[iw] : pad;
                    }
                }
            }
        }
}
