/* SPDX-License-Identifier: Apache-2.0 */
/* batchnorm.c — BatchNormalization inner loops: the per-channel affine of inference and the batch
 * statistics of training, for float and double, with contiguous unit-stride inner loops. */
#include "kernels/batchnorm.h"

#include <stdbool.h>
#include <stdint.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Outputs at least this big are written with non-temporal stores: they do not fit in cache next
 * to their input anyway, and a plain store first reads each output line (3 memory streams instead
 * of memcpy's 2). Smaller outputs stay cached for the node that reads them next. */
#define STREAM_BYTES ((int64_t)16 << 20)

#if defined(__SSE__)
/* yc[i] = ac·xc[i] + tc with streaming stores; the same float operations as the plain loop. */
static void affine_row_stream(const float *restrict xc, float *restrict yc, float ac, float tc,
                              int64_t n)
{
    int64_t i = 0;
    for (; i < n && ((uintptr_t)(yc + i) & 15); i++)
        yc[i] = ac * xc[i] + tc;
    const __m128 va = _mm_set1_ps(ac), vt = _mm_set1_ps(tc);
    for (; i + 8 <= n; i += 8) {
        __m128 x0 = _mm_loadu_ps(xc + i), x1 = _mm_loadu_ps(xc + i + 4);
        _mm_stream_ps(yc + i, _mm_add_ps(_mm_mul_ps(va, x0), vt));
        _mm_stream_ps(yc + i + 4, _mm_add_ps(_mm_mul_ps(va, x1), vt));
    }
    for (; i < n; i++)
        yc[i] = ac * xc[i] + tc;
}

static bool affine_stream_f32(const float *restrict x, float *restrict y, const float *restrict a,
                              const float *restrict t, int64_t outer, int64_t ch, int64_t inner)
{
    if (inner < 64 || outer * ch * inner < STREAM_BYTES / (int64_t)sizeof(float))
        return false;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < ch; c++)
            affine_row_stream(x + (o * ch + c) * inner, y + (o * ch + c) * inner, a[c], t[c], inner);
    _mm_sfence(); /* streaming stores are weakly ordered: make them visible before returning */
    return true;
}
#endif

/* inner == 1 is the (N, C) case and the spatial=0 case: there the contiguous axis is the channel,
 * so the loop runs over channels with a[] and t[] read alongside x, not one element per call. */
#define BN_AFFINE(NAME, T)                                                                      \
    void NAME(const T *restrict x, T *restrict y, const T *restrict a, const T *restrict t,     \
              int64_t outer, int64_t ch, int64_t inner)                                         \
    {                                                                                           \
        if (inner == 1) {                                                                       \
            for (int64_t o = 0; o < outer; o++) {                                               \
                const T *restrict xo = x + o * ch;                                              \
                T *restrict yo = y + o * ch;                                                    \
                for (int64_t c = 0; c < ch; c++)                                                \
                    yo[c] = a[c] * xo[c] + t[c];                                                \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        for (int64_t o = 0; o < outer; o++) {                                                   \
            for (int64_t c = 0; c < ch; c++) {                                                  \
                const T *restrict xc = x + (o * ch + c) * inner;                                \
                T *restrict yc = y + (o * ch + c) * inner;                                      \
                const T ac = a[c], tc = t[c];                                                   \
                for (int64_t i = 0; i < inner; i++)                                             \
                    yc[i] = ac * xc[i] + tc;                                                    \
            }                                                                                   \
        }                                                                                       \
    }

#define BN_AFFINE_INPLACE(NAME, T)                                                              \
    void NAME(T *restrict y, const T *restrict a, const T *restrict t, int64_t outer,           \
              int64_t ch, int64_t inner)                                                        \
    {                                                                                           \
        if (inner == 1) {                                                                       \
            for (int64_t o = 0; o < outer; o++) {                                               \
                T *restrict yo = y + o * ch;                                                    \
                for (int64_t c = 0; c < ch; c++)                                                \
                    yo[c] = a[c] * yo[c] + t[c];                                                \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        for (int64_t o = 0; o < outer; o++) {                                                   \
            for (int64_t c = 0; c < ch; c++) {                                                  \
                T *restrict yc = y + (o * ch + c) * inner;                                      \
                const T ac = a[c], tc = t[c];                                                   \
                for (int64_t i = 0; i < inner; i++)                                             \
                    yc[i] = ac * yc[i] + tc;                                                    \
            }                                                                                   \
        }                                                                                       \
    }

/* Two passes (mean, then squared deviations) rather than sum and sum of squares: the one-pass
 * formula loses everything to cancellation when |mean| is large against the spread. */
#define BN_STATS(NAME, T)                                                                       \
    void NAME(const T *restrict x, int64_t outer, int64_t ch, int64_t inner,                    \
              double *restrict mean, double *restrict var)                                      \
    {                                                                                           \
        const double count = (double)outer * (double)inner;                                     \
        for (int64_t c = 0; c < ch; c++)                                                        \
            mean[c] = var[c] = 0.0;                                                             \
        if (inner == 1) {                                                                       \
            for (int64_t o = 0; o < outer; o++)                                                 \
                for (int64_t c = 0; c < ch; c++)                                                \
                    mean[c] += (double)x[o * ch + c];                                           \
            for (int64_t c = 0; c < ch; c++)                                                    \
                mean[c] /= count;                                                               \
            for (int64_t o = 0; o < outer; o++)                                                 \
                for (int64_t c = 0; c < ch; c++) {                                              \
                    const double d = (double)x[o * ch + c] - mean[c];                           \
                    var[c] += d * d;                                                            \
                }                                                                               \
            for (int64_t c = 0; c < ch; c++)                                                    \
                var[c] /= count;                                                                \
            return;                                                                             \
        }                                                                                       \
        for (int64_t o = 0; o < outer; o++)                                                     \
            for (int64_t c = 0; c < ch; c++) {                                                  \
                const T *restrict xc = x + (o * ch + c) * inner;                                \
                double s = 0.0;                                                                 \
                for (int64_t i = 0; i < inner; i++)                                             \
                    s += (double)xc[i];                                                         \
                mean[c] += s;                                                                   \
            }                                                                                   \
        for (int64_t c = 0; c < ch; c++)                                                        \
            mean[c] /= count;                                                                   \
        for (int64_t o = 0; o < outer; o++)                                                     \
            for (int64_t c = 0; c < ch; c++) {                                                  \
                const T *restrict xc = x + (o * ch + c) * inner;                                \
                const double m = mean[c];                                                       \
                double s = 0.0;                                                                 \
                for (int64_t i = 0; i < inner; i++) {                                           \
                    const double d = (double)xc[i] - m;                                         \
                    s += d * d;                                                                 \
                }                                                                               \
                var[c] += s;                                                                    \
            }                                                                                   \
        for (int64_t c = 0; c < ch; c++)                                                        \
            var[c] /= count;                                                                    \
    }

static BN_AFFINE(affine_f32, float)

void onnxbn_bn_affine_f32(const float *restrict x, float *restrict y, const float *restrict a,
                          const float *restrict t, int64_t outer, int64_t ch, int64_t inner)
{
#if defined(__SSE__)
    if (affine_stream_f32(x, y, a, t, outer, ch, inner))
        return;
#endif
    affine_f32(x, y, a, t, outer, ch, inner);
}
BN_AFFINE(onnxbn_bn_affine_f64, double)
BN_AFFINE_INPLACE(onnxbn_bn_affine_inplace_f32, float)
BN_AFFINE_INPLACE(onnxbn_bn_affine_inplace_f64, double)
BN_STATS(onnxbn_bn_stats_f32, float)
BN_STATS(onnxbn_bn_stats_f64, double)
