/* sort.c — TopK's bounded-heap selection, one copy per element type, and the stable index merge
 * sort that NonMaxSuppression and Unique order by. */
#include <string.h>

#include "core.h"
#include "kernels/sort.h"

bool onnxbn_topk_supported(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
    case ONNXBN_UINT8: case ONNXBN_UINT16: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    default:
        return false;
    }
}

/* "a ranks above b" for the value order (NaN above every number, equal to NaN); integers never
 * take the NaN tests' branch because v != v is false for them. */
#define GT(a, b) ((a) > (b) || ((a) != (a) && (b) == (b)))
#define EQ(a, b) ((a) == (b) || ((a) != (a) && (b) != (b)))

/* BETTER(i, j): element i goes before element j. LARGEST is a loop-invariant the compiler hoists. */
#define TOPK_DEF(NAME, T)                                                                          \
    static void NAME(const T *x, int64_t n, int64_t s, int64_t k, bool largest, int64_t *h)       \
    {                                                                                              \
        /* h: a heap whose root h[0] is the worst kept; every parent is worse than its children. */ \
        int64_t m = 0;                                                                             \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T v = x[i * s];                                                                  \
            if (m == k) {                                                                          \
                /* Only a strictly better value than the root gets in: an equal one has a higher \
                 * index, so it ranks below. */                                                    \
                const T r = x[h[0] * s];                                                           \
                if (!(largest ? GT(v, r) : GT(r, v)))                                              \
                    continue;                                                                      \
                int64_t p = 0;                                                                     \
                for (;;) { /* sift down: move the worse child up while it is worse than v */       \
                    int64_t l = 2 * p + 1, w;                                                      \
                    if (l >= k)                                                                    \
                        break;                                                                     \
                    w = l;                                                                         \
                    if (l + 1 < k && WORSE(h[l + 1], h[l]))                                        \
                        w = l + 1;                                                                 \
                    if (!WORSE(h[w], i))                                                           \
                        break;                                                                     \
                    h[p] = h[w];                                                                   \
                    p = w;                                                                         \
                }                                                                                  \
                h[p] = i;                                                                          \
            } else {                                                                               \
                int64_t p = m++;                                                                   \
                while (p > 0 && WORSE(i, h[(p - 1) / 2])) { /* sift up */                          \
                    h[p] = h[(p - 1) / 2];                                                         \
                    p = (p - 1) / 2;                                                               \
                }                                                                                  \
                h[p] = i;                                                                          \
            }                                                                                      \
        }                                                                                          \
        /* Heap sort in place: the worst goes to the end, so h ends best first. */                 \
        for (int64_t e = k - 1; e > 0; e--) {                                                      \
            const int64_t last = h[e];                                                             \
            h[e] = h[0];                                                                           \
            int64_t p = 0;                                                                         \
            for (;;) {                                                                             \
                int64_t l = 2 * p + 1, w;                                                          \
                if (l >= e)                                                                        \
                    break;                                                                         \
                w = l;                                                                             \
                if (l + 1 < e && WORSE(h[l + 1], h[l]))                                            \
                    w = l + 1;                                                                     \
                if (!WORSE(h[w], last))                                                            \
                    break;                                                                         \
                h[p] = h[w];                                                                       \
                p = w;                                                                             \
            }                                                                                      \
            h[p] = last;                                                                           \
        }                                                                                          \
    }

/* WORSE(a, b): element a ranks below element b (by value, then the higher index is worse). */
#define WORSE(a, b) worse_(x, s, largest, (a), (b))
#define WORSE_DEF(T)                                                                               \
    static inline bool worse_##T(const T *x, int64_t s, bool largest, int64_t a, int64_t b)       \
    {                                                                                              \
        const T va = x[a * s], vb = x[b * s];                                                      \
        if (EQ(va, vb))                                                                            \
            return a > b;                                                                          \
        return largest ? GT(vb, va) : GT(va, vb);                                                  \
    }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfloat-equal"
WORSE_DEF(float)
WORSE_DEF(double)
WORSE_DEF(int8_t)
WORSE_DEF(int16_t)
WORSE_DEF(int32_t)
WORSE_DEF(int64_t)
WORSE_DEF(uint8_t)
WORSE_DEF(uint16_t)
WORSE_DEF(uint32_t)
WORSE_DEF(uint64_t)

#define worse_ worse_float
TOPK_DEF(topk_float, float)
#undef worse_
#define worse_ worse_double
TOPK_DEF(topk_double, double)
#undef worse_
#define worse_ worse_int8_t
TOPK_DEF(topk_int8_t, int8_t)
#undef worse_
#define worse_ worse_int16_t
TOPK_DEF(topk_int16_t, int16_t)
#undef worse_
#define worse_ worse_int32_t
TOPK_DEF(topk_int32_t, int32_t)
#undef worse_
#define worse_ worse_int64_t
TOPK_DEF(topk_int64_t, int64_t)
#undef worse_
#define worse_ worse_uint8_t
TOPK_DEF(topk_uint8_t, uint8_t)
#undef worse_
#define worse_ worse_uint16_t
TOPK_DEF(topk_uint16_t, uint16_t)
#undef worse_
#define worse_ worse_uint32_t
TOPK_DEF(topk_uint32_t, uint32_t)
#undef worse_
#define worse_ worse_uint64_t
TOPK_DEF(topk_uint64_t, uint64_t)
#undef worse_
#pragma GCC diagnostic pop

void onnxbn_topk_idx(onnxbn_dtype t, const void *x, int64_t n, int64_t stride, int64_t k,
                     bool largest, int64_t *out, float *tmp)
{
    switch (t) {
    case ONNXBN_FLOAT: topk_float(x, n, stride, k, largest, out); break;
    case ONNXBN_DOUBLE: topk_double(x, n, stride, k, largest, out); break;
    case ONNXBN_INT8: topk_int8_t(x, n, stride, k, largest, out); break;
    case ONNXBN_INT16: topk_int16_t(x, n, stride, k, largest, out); break;
    case ONNXBN_INT32: topk_int32_t(x, n, stride, k, largest, out); break;
    case ONNXBN_INT64: topk_int64_t(x, n, stride, k, largest, out); break;
    case ONNXBN_UINT8: topk_uint8_t(x, n, stride, k, largest, out); break;
    case ONNXBN_UINT16: topk_uint16_t(x, n, stride, k, largest, out); break;
    case ONNXBN_UINT32: topk_uint32_t(x, n, stride, k, largest, out); break;
    case ONNXBN_UINT64: topk_uint64_t(x, n, stride, k, largest, out); break;
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16: {
        /* Both widen to float exactly and in order, so the float loop ranks them as they are. */
        const uint16_t *h = x;
        for (int64_t i = 0; i < n; i++)
            tmp[i] = t == ONNXBN_FLOAT16 ? onnxbn_half_to_float(h[i * stride])
                                         : onnxbn_bf16_to_float(h[i * stride]);
        topk_float(tmp, n, 1, k, largest, out);
        break;
    }
    default:
        break;
    }
}

/* Bottom-up merge sort between idx and tmp; ties take the left run first, which is stability. */
void onnxbn_sort_idx(int64_t *idx, int64_t n, int64_t *tmp, onnxbn_idx_cmp cmp, const void *ctx)
{
    int64_t *src = idx, *dst = tmp;
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = cmp(ctx, src[b], src[a]) < 0 ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, (size_t)n * sizeof *idx);
}
