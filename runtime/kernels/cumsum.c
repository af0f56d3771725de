/* SPDX-License-Identifier: Apache-2.0 */
/* cumsum.c — CumSum's running sum: rows of the summed axis added in order, so every element is
 * read once and written once, and the row adds are plain loops the compiler vectorises. */
#include <string.h>

#include "core.h"
#include "kernels/cumsum.h"

bool onnxbn_cumsum_supported(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
    case ONNXBN_INT32: case ONNXBN_INT64: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    default:
        return false;
    }
}

static inline uint16_t add_f16(uint16_t a, uint16_t b)
{
    return onnxbn_float_to_half(onnxbn_half_to_float(a) + onnxbn_half_to_float(b));
}
static inline uint16_t add_bf16(uint16_t a, uint16_t b)
{
    return onnxbn_float_to_bf16(onnxbn_bf16_to_float(a) + onnxbn_bf16_to_float(b));
}
#define ADD_PLAIN(a, b) ((a) + (b))

/* Row r of line o is at (o*n + r)*inner; row t of the walk is r = t, or n-1-t in reverse.
 * Exclusive: row 0 of the walk is 0 and row t adds x's row t-1 of the walk, not its row t. */
#define CUMSUM_LOOP(T, ADD)                                                                   \
    do {                                                                                      \
        const T *xs = x;                                                                      \
        T *ys = y;                                                                            \
        const int64_t step = reverse ? -inner : inner;                                        \
        for (int64_t o = 0; o < outer; o++) {                                                 \
            const int64_t first = (o * n + (reverse ? n - 1 : 0)) * inner;                   \
            if (exclusive)                                                                    \
                memset(ys + first, 0, (size_t)inner * sizeof(T));                             \
            else                                                                              \
                memcpy(ys + first, xs + first, (size_t)inner * sizeof(T));                    \
            for (int64_t t = 1; t < n; t++) {                                                 \
                T *yr = ys + first + t * step;                                                \
                const T *yp = yr - step;                                                      \
                const T *xr = xs + first + (exclusive ? t - 1 : t) * step;                    \
                for (int64_t i = 0; i < inner; i++)                                           \
                    yr[i] = ADD(yp[i], xr[i]);                                                \
            }                                                                                 \
        }                                                                                     \
    } while (0)

void onnxbn_cumsum(onnxbn_dtype t, const void *x, void *y, int64_t outer, int64_t n,
                   int64_t inner, bool exclusive, bool reverse)
{
    if (outer <= 0 || n <= 0 || inner <= 0)
        return;
    switch (t) {
    case ONNXBN_FLOAT: CUMSUM_LOOP(float, ADD_PLAIN); break;
    case ONNXBN_DOUBLE: CUMSUM_LOOP(double, ADD_PLAIN); break;
    /* signed sums as unsigned: wrapping is defined there, and the bits are the two's complement */
    case ONNXBN_INT32: case ONNXBN_UINT32: CUMSUM_LOOP(uint32_t, ADD_PLAIN); break;
    case ONNXBN_INT64: case ONNXBN_UINT64: CUMSUM_LOOP(uint64_t, ADD_PLAIN); break;
    case ONNXBN_FLOAT16: CUMSUM_LOOP(uint16_t, add_f16); break;
    case ONNXBN_BFLOAT16: CUMSUM_LOOP(uint16_t, add_bf16); break;
    default: break;
    }
}
