/* batchnorm.c — BatchNormalization inner loops: the per-channel affine of inference and the batch
 * statistics of training, for float and double, with contiguous unit-stride inner loops. */
#include "kernels/batchnorm.h"

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

BN_AFFINE(onnxbn_bn_affine_f32, float)
BN_AFFINE(onnxbn_bn_affine_f64, double)
BN_AFFINE_INPLACE(onnxbn_bn_affine_inplace_f32, float)
BN_AFFINE_INPLACE(onnxbn_bn_affine_inplace_f64, double)
BN_STATS(onnxbn_bn_stats_f32, float)
BN_STATS(onnxbn_bn_stats_f64, double)
