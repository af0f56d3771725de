/* SPDX-License-Identifier: Apache-2.0 */
/* sort.c — TopK's selection (a quickselected candidate buffer, then an introsort of the k), one
 * copy per element type, and the stable index merge sort NonMaxSuppression and Unique order by. */
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

/* Per element type T: NAME##_bt(a, b) says element a goes before element b (better value, or the
 * same value at a lower index: a strict total order, so every selection below is deterministic).
 *
 * The k best of a row: candidates gather in buf (cap = 2k + 64 indices); when it fills, a
 * quickselect keeps the k best and the k-th of them becomes the bar a later element must beat, so
 * most of a long row costs one comparison and the work is O(n + k log k) expected. The k kept are
 * then sorted by an introsort (quicksort, insertion sort on short runs, heap sort past a depth
 * bound), so no input, however built, costs more than O(n log k). */
#define TOPK_DEF(NAME, T)                                                                          \
    static inline bool NAME##_bt(const T *x, int64_t s, bool lg, int64_t a, int64_t b)            \
    {                                                                                              \
        const T va = x[a * s], vb = x[b * s];                                                      \
        if (EQ(va, vb))                                                                            \
            return a < b;                                                                          \
        return lg ? GT(va, vb) : GT(vb, va);                                                       \
    }                                                                                              \
    /* buf[0..m) best first, by a heap whose root is the worst. */                                 \
    static void NAME##_heapsort(const T *x, int64_t s, bool lg, int64_t *buf, int64_t m)          \
    {                                                                                              \
        for (int64_t e = 1; e < m; e++) { /* heapify by sifting up, then sort down */              \
            const int64_t v = buf[e];                                                              \
            int64_t p = e;                                                                         \
            while (p > 0 && NAME##_bt(x, s, lg, buf[(p - 1) / 2], v)) {                            \
                buf[p] = buf[(p - 1) / 2];                                                         \
                p = (p - 1) / 2;                                                                   \
            }                                                                                      \
            buf[p] = v;                                                                            \
        }                                                                                          \
        for (int64_t e = m - 1; e > 0; e--) {                                                      \
            const int64_t last = buf[e];                                                           \
            buf[e] = buf[0];                                                                       \
            int64_t p = 0;                                                                         \
            for (;;) {                                                                             \
                int64_t l = 2 * p + 1, w;                                                          \
                if (l >= e)                                                                        \
                    break;                                                                         \
                w = l;                                                                             \
                if (l + 1 < e && NAME##_bt(x, s, lg, buf[l], buf[l + 1]))                          \
                    w = l + 1;                                                                     \
                if (!NAME##_bt(x, s, lg, last, buf[w]))                                            \
                    break;                                                                         \
                buf[p] = buf[w];                                                                   \
                p = w;                                                                             \
            }                                                                                      \
            buf[p] = last;                                                                         \
        }                                                                                          \
    }                                                                                              \
    /* Hoare partition of buf[lo..hi] around the median of three; returns i, j with buf[lo..j]   \
     * before the pivot's place and buf[i..hi] after it (j < i). */                                \
    static void NAME##_part(const T *x, int64_t s, bool lg, int64_t *buf, int64_t lo, int64_t hi, \
                            int64_t *pi, int64_t *pj)                                              \
    {                                                                                              \
        const int64_t mid = lo + (hi - lo) / 2;                                                    \
        int64_t a = buf[lo], b = buf[mid], c = buf[hi], p;                                         \
        if (NAME##_bt(x, s, lg, a, b))                                                             \
            p = NAME##_bt(x, s, lg, b, c) ? b : NAME##_bt(x, s, lg, a, c) ? c : a;                 \
        else                                                                                       \
            p = NAME##_bt(x, s, lg, a, c) ? a : NAME##_bt(x, s, lg, b, c) ? c : b;                 \
        int64_t i = lo, j = hi;                                                                    \
        while (i <= j) {                                                                           \
            while (NAME##_bt(x, s, lg, buf[i], p))                                                 \
                i++;                                                                               \
            while (NAME##_bt(x, s, lg, p, buf[j]))                                                 \
                j--;                                                                               \
            if (i <= j) {                                                                          \
                const int64_t t = buf[i];                                                          \
                buf[i++] = buf[j];                                                                 \
                buf[j--] = t;                                                                      \
            }                                                                                      \
        }                                                                                          \
        *pi = i, *pj = j;                                                                          \
    }                                                                                              \
    /* buf[0..k) become the k best of buf[0..m), buf[k-1] the worst of them. */                    \
    static void NAME##_select(const T *x, int64_t s, bool lg, int64_t *buf, int64_t m, int64_t k) \
    {                                                                                              \
        int64_t lo = 0, hi = m - 1, budget = 64;                                                   \
        while (lo < hi) {                                                                          \
            if (budget-- == 0) { /* pivots keep failing: sort the rest, O(m log m) */              \
                NAME##_heapsort(x, s, lg, buf + lo, hi - lo + 1);                                  \
                return;                                                                            \
            }                                                                                      \
            int64_t i, j;                                                                          \
            NAME##_part(x, s, lg, buf, lo, hi, &i, &j);                                            \
            if (k - 1 <= j)                                                                        \
                hi = j;                                                                            \
            else if (k - 1 >= i)                                                                   \
                lo = i;                                                                            \
            else                                                                                   \
                return;                                                                            \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_sort(const T *x, int64_t s, bool lg, int64_t *buf, int64_t m, int depth)   \
    {                                                                                              \
        while (m > 16) {                                                                           \
            if (depth-- == 0) {                                                                    \
                NAME##_heapsort(x, s, lg, buf, m);                                                 \
                return;                                                                            \
            }                                                                                      \
            int64_t i, j;                                                                          \
            NAME##_part(x, s, lg, buf, 0, m - 1, &i, &j);                                          \
            NAME##_sort(x, s, lg, buf + i, m - i, depth); /* recurse right, loop left */          \
            m = j + 1;                                                                             \
        }                                                                                          \
        for (int64_t a = 1; a < m; a++) {                                                          \
            const int64_t v = buf[a];                                                              \
            int64_t b = a;                                                                         \
            for (; b > 0 && NAME##_bt(x, s, lg, v, buf[b - 1]); b--)                               \
                buf[b] = buf[b - 1];                                                               \
            buf[b] = v;                                                                            \
        }                                                                                          \
    }                                                                                              \
    static void NAME(const T *x, int64_t n, int64_t s, int64_t k, bool lg, int64_t *buf)          \
    {                                                                                              \
        const int64_t cap = 2 * k + 64;                                                            \
        int64_t m = 0, bar = -1;                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                          \
            if (bar >= 0) {                                                                        \
                /* Only a strictly better value than the bar gets in: an equal one has a higher \
                 * index, so it ranks below. */                                                    \
                const T v = x[i * s], r = x[bar * s];                                              \
                if (!(lg ? GT(v, r) : GT(r, v)))                                                   \
                    continue;                                                                      \
            }                                                                                      \
            buf[m++] = i;                                                                          \
            if (m == cap) {                                                                        \
                NAME##_select(x, s, lg, buf, m, k);                                                \
                m = k;                                                                             \
                bar = buf[k - 1];                                                                  \
            }                                                                                      \
        }                                                                                          \
        if (m > k)                                                                                 \
            NAME##_select(x, s, lg, buf, m, k);                                                    \
        int depth = 0;                                                                             \
        for (int64_t q = k; q > 1; q /= 2)                                                         \
            depth += 2;                                                                            \
        NAME##_sort(x, s, lg, buf, k, depth + 2);                                                  \
    }

TOPK_DEF(topk_float, float)
TOPK_DEF(topk_double, double)
TOPK_DEF(topk_int8_t, int8_t)
TOPK_DEF(topk_int16_t, int16_t)
TOPK_DEF(topk_int32_t, int32_t)
TOPK_DEF(topk_int64_t, int64_t)
TOPK_DEF(topk_uint8_t, uint8_t)
TOPK_DEF(topk_uint16_t, uint16_t)
TOPK_DEF(topk_uint32_t, uint32_t)
TOPK_DEF(topk_uint64_t, uint64_t)

void onnxbn_topk_idx(onnxbn_dtype t, const void *x, int64_t n, int64_t stride, int64_t k,
                     bool largest, int64_t *buf, float *tmp)
{
    switch (t) {
    case ONNXBN_FLOAT: topk_float(x, n, stride, k, largest, buf); break;
    case ONNXBN_DOUBLE: topk_double(x, n, stride, k, largest, buf); break;
    case ONNXBN_INT8: topk_int8_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_INT16: topk_int16_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_INT32: topk_int32_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_INT64: topk_int64_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_UINT8: topk_uint8_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_UINT16: topk_uint16_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_UINT32: topk_uint32_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_UINT64: topk_uint64_t(x, n, stride, k, largest, buf); break;
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16: {
        /* Both widen to float exactly and in order, so the float loop ranks them as they are. */
        const uint16_t *h = x;
        for (int64_t i = 0; i < n; i++)
            tmp[i] = t == ONNXBN_FLOAT16 ? onnxbn_half_to_float(h[i * stride])
                                         : onnxbn_bf16_to_float(h[i * stride]);
        topk_float(tmp, n, 1, k, largest, buf);
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
