/* SPDX-License-Identifier: Apache-2.0 */
/* indexing.c — gathers and scatters addressed by index tensors: indices are checked and made
 * non-negative as they are read, then moved by typed loops (elements) or memcpy (slices). */
#include "indexing.h"

#include <string.h>

#include "core.h"

typedef struct { uint64_t lo, hi; } u128;

/* ---- combining an update with its target ---- */

typedef void (*combine_fn)(void *d, const void *u);

/* Integers wrap: computed on the unsigned type of the same width (promoted past int where a
 * narrow product could overflow it), whose low bits are the signed result too. */
#define INT_OPS(W, U, WIDE)                                                                       \
    static void add_u##W(void *d, const void *u)                                                  \
    {                                                                                             \
        U a, b;                                                                                   \
        memcpy(&a, d, sizeof a);                                                                  \
        memcpy(&b, u, sizeof b);                                                                  \
        a = (U)((WIDE)a + (WIDE)b);                                                               \
        memcpy(d, &a, sizeof a);                                                                  \
    }                                                                                             \
    static void mul_u##W(void *d, const void *u)                                                  \
    {                                                                                             \
        U a, b;                                                                                   \
        memcpy(&a, d, sizeof a);                                                                  \
        memcpy(&b, u, sizeof b);                                                                  \
        a = (U)((WIDE)a * (WIDE)b);                                                               \
        memcpy(d, &a, sizeof a);                                                                  \
    }
INT_OPS(8, uint8_t, uint32_t)
INT_OPS(16, uint16_t, uint32_t)
INT_OPS(32, uint32_t, uint32_t)
INT_OPS(64, uint64_t, uint64_t)

#define FLT_OPS(N, T)                                                                             \
    static void add_##N(void *d, const void *u) { *(T *)d += *(const T *)u; }                     \
    static void mul_##N(void *d, const void *u) { *(T *)d *= *(const T *)u; }
FLT_OPS(f32, float)
FLT_OPS(f64, double)

/* float16 and bfloat16 through float: one operation on float rounds once more to the narrow
 * type, which gives the narrow type's correctly rounded result (float has more than twice
 * their significand bits). */
#define NARROW_OPS(N, TO, FROM)                                                                   \
    static void add_##N(void *d, const void *u)                                                   \
    {                                                                                             \
        *(uint16_t *)d = FROM(TO(*(uint16_t *)d) + TO(*(const uint16_t *)u));                     \
    }                                                                                             \
    static void mul_##N(void *d, const void *u)                                                   \
    {                                                                                             \
        *(uint16_t *)d = FROM(TO(*(uint16_t *)d) * TO(*(const uint16_t *)u));                     \
    }
NARROW_OPS(f16, onnxbn_half_to_float, onnxbn_float_to_half)
NARROW_OPS(bf16, onnxbn_bf16_to_float, onnxbn_float_to_bf16)

static void add_bool(void *d, const void *u) { *(uint8_t *)d = *(uint8_t *)d || *(const uint8_t *)u; }
static void mul_bool(void *d, const void *u) { *(uint8_t *)d = *(uint8_t *)d && *(const uint8_t *)u; }

#define CPLX_OPS(N, T)                                                                            \
    static void add_##N(void *d, const void *u)                                                   \
    {                                                                                             \
        T *a = d;                                                                                 \
        const T *b = u;                                                                           \
        a[0] += b[0];                                                                             \
        a[1] += b[1];                                                                             \
    }                                                                                             \
    static void mul_##N(void *d, const void *u)                                                   \
    {                                                                                             \
        T *a = d;                                                                                 \
        const T *b = u;                                                                           \
        const T re = a[0] * b[0] - a[1] * b[1], im = a[0] * b[1] + a[1] * b[0];                   \
        a[0] = re;                                                                                \
        a[1] = im;                                                                                \
    }
CPLX_OPS(c64, float)
CPLX_OPS(c128, double)

static combine_fn pick(onnxbn_dtype dt, int red)
{
    const bool add = red == ONNXBN_SCATTER_ADD;
    switch (dt) {
    case ONNXBN_FLOAT: return add ? add_f32 : mul_f32;
    case ONNXBN_DOUBLE: return add ? add_f64 : mul_f64;
    case ONNXBN_FLOAT16: return add ? add_f16 : mul_f16;
    case ONNXBN_BFLOAT16: return add ? add_bf16 : mul_bf16;
    case ONNXBN_INT8: case ONNXBN_UINT8: return add ? add_u8 : mul_u8;
    case ONNXBN_INT16: case ONNXBN_UINT16: return add ? add_u16 : mul_u16;
    case ONNXBN_INT32: case ONNXBN_UINT32: return add ? add_u32 : mul_u32;
    case ONNXBN_INT64: case ONNXBN_UINT64: return add ? add_u64 : mul_u64;
    case ONNXBN_BOOL: return add ? add_bool : mul_bool;
    case ONNXBN_COMPLEX64: return add ? add_c64 : mul_c64;
    case ONNXBN_COMPLEX128: return add ? add_c128 : mul_c128;
    default: return NULL;
    }
}

bool onnxbn_scatter_reduces(onnxbn_dtype dt)
{
    return pick(dt, ONNXBN_SCATTER_ADD) != NULL;
}

/* ---- GatherElements, ScatterElements ---- */

/* One index row (the last axis of indices), positions at .. at+n of the index tensor: element k
 * sits at data offset i*as + k*js from the row's base, i its index made non-negative (js is 0
 * when the last axis is the indexed one). Each index is checked as it is read, so the loop stays
 * one pass; a bad one returns its position. */
#define ROW(I, BODY)                                                                              \
    do {                                                                                          \
        const I *p = (const I *)idx + at;                                                         \
        for (int64_t k = 0; k < n; k++) {                                                         \
            int64_t i = p[k];                                                                     \
            i += i < 0 ? lim : 0;                                                                 \
            if ((uint64_t)i >= (uint64_t)lim)                                                     \
                return at + k;                                                                    \
            const int64_t o = i * as + k * js;                                                    \
            BODY;                                                                                 \
        }                                                                                         \
    } while (0)

#define ROW_IDX(BODY)                                                                             \
    do {                                                                                          \
        if (idx64)                                                                                \
            ROW(int64_t, BODY);                                                                   \
        else                                                                                      \
            ROW(int32_t, BODY);                                                                   \
    } while (0)

#define TAKE(T) ROW_IDX(((T *)out)[k] = ((const T *)base)[o])

static int64_t take_row(void *out, const void *base, size_t es, const void *idx, bool idx64,
                        int64_t at, int64_t n, int64_t lim, int64_t as, int64_t js)
{
    switch (es) {
    case 1: TAKE(uint8_t); break;
    case 2: TAKE(uint16_t); break;
    case 4: TAKE(uint32_t); break;
    case 8: TAKE(uint64_t); break;
    case 16: TAKE(u128); break;
    default:
        ROW_IDX(memcpy((uint8_t *)out + (size_t)k * es, (const uint8_t *)base + (size_t)o * es, es));
    }
    return -1;
}

#define PUT(T) ROW_IDX(((T *)base)[o] = ((const T *)upd)[k])

static int64_t put_row(void *base, const void *upd, size_t es, const void *idx, bool idx64,
                       int64_t at, int64_t n, int64_t lim, int64_t as, int64_t js, combine_fn f)
{
    if (f) {
        ROW_IDX(f((uint8_t *)base + (size_t)o * es, (const uint8_t *)upd + (size_t)k * es));
        return -1;
    }
    switch (es) {
    case 1: PUT(uint8_t); break;
    case 2: PUT(uint16_t); break;
    case 4: PUT(uint32_t); break;
    case 8: PUT(uint64_t); break;
    case 16: PUT(u128); break;
    default:
        ROW_IDX(memcpy((uint8_t *)base + (size_t)o * es, (const uint8_t *)upd + (size_t)k * es, es));
    }
    return -1;
}

/* Walks the rows of indices (every axis but the last), finding each row's base in data with the
 * indexed axis at 0. Gather (f unused) when `gather`. */
static int64_t elements(uint8_t *data, uint8_t *other, size_t es, int rank, const int64_t *ddims,
                        const int64_t *idims, int axis, const void *idx, bool idx64, bool gather,
                        combine_fn f)
{
    int64_t dstride[ONNXBN_MAX_RANK], c[ONNXBN_MAX_RANK] = {0}, rows = 1;
    dstride[rank - 1] = 1;
    for (int d = rank - 1; d > 0; d--)
        dstride[d - 1] = dstride[d] * ddims[d];
    for (int d = 0; d < rank; d++)
        if (idims[d] == 0)
            return -1;
    if (ddims[axis] == 0) /* every index is out of range, and data may have no storage at all */
        return 0;
    for (int d = 0; d + 1 < rank; d++)
        rows *= idims[d];
    const int64_t len = idims[rank - 1], lim = ddims[axis], as = dstride[axis];
    const int64_t js = axis == rank - 1 ? 0 : 1;
    int64_t base = 0;
    for (int64_t r = 0; r < rows; r++) {
        const int64_t at = r * len;
        const int64_t bad =
            gather ? take_row(other + (size_t)at * es, data + (size_t)base * es, es, idx, idx64, at,
                              len, lim, as, js)
                   : put_row(data + (size_t)base * es, other + (size_t)at * es, es, idx, idx64, at,
                             len, lim, as, js, f);
        if (bad >= 0)
            return bad;
        for (int d = rank - 2; d >= 0; d--) { /* the next row: an odometer over the outer axes */
            if (d != axis)
                base += dstride[d];
            if (++c[d] < idims[d])
                break;
            if (d != axis)
                base -= dstride[d] * idims[d];
            c[d] = 0;
        }
    }
    return -1;
}

int64_t onnxbn_gather_elements(void *dst, const void *src, size_t es, int rank,
                               const int64_t *ddims, const int64_t *idims, int axis,
                               const void *idx, bool idx64)
{
    return elements((uint8_t *)src, dst, es, rank, ddims, idims, axis, idx, idx64, true, NULL);
}

int64_t onnxbn_scatter_elements(void *data, const void *upd, onnxbn_dtype dt, int rank,
                                const int64_t *ddims, const int64_t *idims, int axis,
                                const void *idx, bool idx64, int reduction)
{
    const combine_fn f = reduction == ONNXBN_SCATTER_NONE ? NULL : pick(dt, reduction);
    return elements(data, (uint8_t *)upd, onnxbn_dtype_size(dt), rank, ddims, idims, axis, idx,
                    idx64, false, f);
}

/* ---- GatherND, ScatterND ---- */

/* The element offset of the tuple at idx[p .. p+m) (strides st), or -1 with *bad its position. */
static inline int64_t tuple_offset(const int64_t *idx, int64_t p, int m, const int64_t *dims,
                                   const int64_t *st, int64_t *bad)
{
    int64_t off = 0;
    for (int k = 0; k < m; k++) {
        int64_t i = idx[p + k];
        if (i < 0)
            i += dims[k];
        if ((uint64_t)i >= (uint64_t)dims[k]) {
            *bad = p + k;
            return -1;
        }
        off += i * st[k];
    }
    return off;
}

static void tuple_strides(int m, const int64_t *dims, int64_t slice, int64_t *st, int64_t *block)
{
    int64_t s = slice;
    for (int k = m - 1; k >= 0; k--) {
        st[k] = s;
        s *= dims[k];
    }
    *block = s;
}

int64_t onnxbn_gather_nd(void *dst, const void *src, size_t es, int64_t batch, int64_t n_tuples,
                         int m, const int64_t *dims, int64_t slice, const int64_t *idx)
{
    int64_t st[ONNXBN_MAX_RANK], block, bad = -1;
    tuple_strides(m, dims, slice, st, &block);
    const size_t bytes = (size_t)slice * es;
    int64_t p = 0;
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t t = 0; t < n_tuples; t++, p += m) {
            const int64_t off = tuple_offset(idx, p, m, dims, st, &bad);
            if (off < 0)
                return bad;
            if (!bytes) /* an empty slice: the indices are checked all the same */
                continue;
            uint8_t *y = (uint8_t *)dst + (size_t)(b * n_tuples + t) * bytes;
            const uint8_t *s = (const uint8_t *)src + (size_t)(b * block + off) * es;
            switch (slice == 1 ? es : 0) { /* one element: a word move, not a call */
            case 4: *(uint32_t *)y = *(const uint32_t *)s; break;
            case 8: *(uint64_t *)y = *(const uint64_t *)s; break;
            default: memcpy(y, s, bytes);
            }
        }
    }
    return -1;
}

int64_t onnxbn_scatter_nd(void *data, const void *upd, onnxbn_dtype dt, int64_t n_tuples, int m,
                          const int64_t *dims, int64_t slice, const int64_t *idx, int reduction)
{
    int64_t st[ONNXBN_MAX_RANK], block, bad = -1;
    tuple_strides(m, dims, slice, st, &block);
    const size_t es = onnxbn_dtype_size(dt), bytes = (size_t)slice * es;
    const combine_fn f = reduction == ONNXBN_SCATTER_NONE ? NULL : pick(dt, reduction);
    for (int64_t t = 0; t < n_tuples; t++) {
        const int64_t off = tuple_offset(idx, t * m, m, dims, st, &bad);
        if (off < 0)
            return bad;
        if (!bytes)
            continue;
        uint8_t *d = (uint8_t *)data + (size_t)off * es;
        const uint8_t *u = (const uint8_t *)upd + (size_t)t * bytes;
        if (!f)
            memcpy(d, u, bytes);
        else
            for (int64_t k = 0; k < slice; k++)
                f(d + (size_t)k * es, u + (size_t)k * es);
    }
    return -1;
}
