/* SPDX-License-Identifier: Apache-2.0 */
/* cast.c — type conversion in chunks through one of three carriers (double for floats, int64 for
 * signed and uint64 for unsigned integers), so every pair of types shares two small switches. */
#include "cast.h"

#include <math.h>
#include <string.h>

#include "core.h"

#define CHUNK 256

enum { CARRY_F, CARRY_I, CARRY_U };

typedef union carrier {
    double f[CHUNK];
    int64_t i[CHUNK];
    uint64_t u[CHUNK];
} carrier;

bool onnxbn_cast_supported(onnxbn_dtype t) { return onnxbn_dtype_is_numeric(t); }

static int carry_of(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
        return CARRY_F;
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
        return CARRY_I;
    default:
        return CARRY_U;
    }
}

/* double → float rounded to odd: truncated, with the last bit set when anything was dropped.
 * Rounding that to a format with at least two fewer significand bits (float16, bfloat16) gives
 * the correctly rounded result, which rounding double → float → half twice would not. */
static float to_odd_float(double d)
{
    float f = (float)d;
    if ((double)f != d && !isnan(d)) {
        uint32_t b;
        memcpy(&b, &f, 4);
        if (fabs((double)f) > fabs(d))
            b--;
        b |= 1;
        memcpy(&f, &b, 4);
    }
    return f;
}

#define LOAD_LOOP(T, field, expr)                \
    do {                                         \
        const T *s = (const T *)src + off;       \
        for (size_t k = 0; k < m; k++)           \
            c->field[k] = (expr);                \
    } while (0)

static void load(const void *src, onnxbn_dtype t, size_t off, size_t m, carrier *c)
{
    switch (t) {
    case ONNXBN_FLOAT: LOAD_LOOP(float, f, s[k]); break;
    case ONNXBN_DOUBLE: LOAD_LOOP(double, f, s[k]); break;
    case ONNXBN_FLOAT16: LOAD_LOOP(uint16_t, f, onnxbn_half_to_float(s[k])); break;
    case ONNXBN_BFLOAT16: LOAD_LOOP(uint16_t, f, onnxbn_bf16_to_float(s[k])); break;
    case ONNXBN_INT8: LOAD_LOOP(int8_t, i, s[k]); break;
    case ONNXBN_INT16: LOAD_LOOP(int16_t, i, s[k]); break;
    case ONNXBN_INT32: LOAD_LOOP(int32_t, i, s[k]); break;
    case ONNXBN_INT64: LOAD_LOOP(int64_t, i, s[k]); break;
    case ONNXBN_UINT8: LOAD_LOOP(uint8_t, u, s[k]); break;
    case ONNXBN_BOOL: LOAD_LOOP(uint8_t, u, s[k] != 0); break;
    case ONNXBN_UINT16: LOAD_LOOP(uint16_t, u, s[k]); break;
    case ONNXBN_UINT32: LOAD_LOOP(uint32_t, u, s[k]); break;
    case ONNXBN_UINT64: LOAD_LOOP(uint64_t, u, s[k]); break;
    default: memset(c, 0, sizeof *c); break;
    }
}

/* Float to a signed integer carrier: truncation within the int64 range, NaN 0, saturation beyond. */
static int64_t f_to_i(double d)
{
    if (isnan(d))
        return 0;
    if (d > -0x1p63 && d < 0x1p63)
        return (int64_t)d;
    return d < 0 ? INT64_MIN : INT64_MAX;
}

static uint64_t f_to_u(double d)
{
    if (isnan(d))
        return 0;
    if (d > -0x1p63 && d < 0x1p63)
        return (uint64_t)(int64_t)d;
    if (d >= 0x1p63 && d < 0x1p64)
        return (uint64_t)d;
    return d < 0 ? 0 : UINT64_MAX;
}

/* The carrier as the three kinds of value every store needs. */
static inline double as_f(const carrier *c, int kind, size_t k)
{
    return kind == CARRY_F ? c->f[k] : kind == CARRY_I ? (double)c->i[k] : (double)c->u[k];
}

static inline int64_t as_i(const carrier *c, int kind, size_t k)
{
    return kind == CARRY_F ? f_to_i(c->f[k]) : kind == CARRY_I ? c->i[k] : (int64_t)c->u[k];
}

/* Negative floats go through the signed conversion first, so −1.0 → uint8 is 255 like −1 is. */
static inline uint64_t as_u(const carrier *c, int kind, size_t k)
{
    return kind == CARRY_F ? f_to_u(c->f[k]) : kind == CARRY_I ? (uint64_t)c->i[k] : c->u[k];
}

static inline bool as_bool(const carrier *c, int kind, size_t k)
{
    /* NaN != 0 is true, so NaN casts to true like any other non-zero value */
    return kind == CARRY_F ? c->f[k] != 0.0 : kind == CARRY_I ? c->i[k] != 0 : c->u[k] != 0;
}

/* float and double straight from the integer carriers, so int64 → float rounds once. */
static inline float as_float(const carrier *c, int kind, size_t k)
{
    return kind == CARRY_F ? (float)c->f[k] : kind == CARRY_I ? (float)c->i[k] : (float)c->u[k];
}

#define STORE_LOOP(T, expr)                      \
    do {                                         \
        T *d = (T *)dst + off;                   \
        for (size_t k = 0; k < m; k++)           \
            d[k] = (T)(expr);                    \
    } while (0)

static void store(void *dst, onnxbn_dtype t, size_t off, size_t m, const carrier *c, int kind)
{
    switch (t) {
    case ONNXBN_FLOAT: STORE_LOOP(float, as_float(c, kind, k)); break;
    case ONNXBN_DOUBLE: STORE_LOOP(double, as_f(c, kind, k)); break;
    case ONNXBN_FLOAT16:
        STORE_LOOP(uint16_t, onnxbn_float_to_half(to_odd_float(as_f(c, kind, k))));
        break;
    case ONNXBN_BFLOAT16:
        STORE_LOOP(uint16_t, onnxbn_float_to_bf16(to_odd_float(as_f(c, kind, k))));
        break;
    case ONNXBN_INT8: STORE_LOOP(int8_t, (uint8_t)as_i(c, kind, k)); break;
    case ONNXBN_INT16: STORE_LOOP(int16_t, (uint16_t)as_i(c, kind, k)); break;
    case ONNXBN_INT32: STORE_LOOP(int32_t, (uint32_t)as_i(c, kind, k)); break;
    case ONNXBN_INT64: STORE_LOOP(int64_t, as_i(c, kind, k)); break;
    case ONNXBN_UINT8: STORE_LOOP(uint8_t, as_u(c, kind, k)); break;
    case ONNXBN_UINT16: STORE_LOOP(uint16_t, as_u(c, kind, k)); break;
    case ONNXBN_UINT32: STORE_LOOP(uint32_t, as_u(c, kind, k)); break;
    case ONNXBN_UINT64: STORE_LOOP(uint64_t, as_u(c, kind, k)); break;
    case ONNXBN_BOOL: STORE_LOOP(uint8_t, as_bool(c, kind, k)); break;
    default: break;
    }
}

/* The conversions on the float path that need no carrier. */
static bool direct(const void *src, onnxbn_dtype from, void *dst, onnxbn_dtype to, size_t n)
{
    if (from == ONNXBN_FLOAT && to == ONNXBN_DOUBLE) {
        const float *s = src;
        double *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = s[k];
    } else if (from == ONNXBN_DOUBLE && to == ONNXBN_FLOAT) {
        const double *s = src;
        float *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = (float)s[k];
    } else if (from == ONNXBN_FLOAT && to == ONNXBN_FLOAT16) {
        const float *s = src;
        uint16_t *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = onnxbn_float_to_half(s[k]);
    } else if (from == ONNXBN_FLOAT16 && to == ONNXBN_FLOAT) {
        const uint16_t *s = src;
        float *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = onnxbn_half_to_float(s[k]);
    } else if (from == ONNXBN_FLOAT && to == ONNXBN_BFLOAT16) {
        const float *s = src;
        uint16_t *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = onnxbn_float_to_bf16(s[k]);
    } else if (from == ONNXBN_INT64 && to == ONNXBN_FLOAT) {
        const int64_t *s = src;
        float *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = (float)s[k];
    } else if (from == ONNXBN_INT32 && to == ONNXBN_INT64) {
        const int32_t *s = src;
        int64_t *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = s[k];
    } else if (from == ONNXBN_INT64 && to == ONNXBN_INT32) {
        const int64_t *s = src;
        int32_t *d = dst;
        for (size_t k = 0; k < n; k++)
            d[k] = (int32_t)(uint32_t)s[k];
    } else {
        return false;
    }
    return true;
}

void onnxbn_cast(const void *src, onnxbn_dtype from, void *dst, onnxbn_dtype to, size_t n)
{
    if (from == to && from != ONNXBN_BOOL) { /* bool goes through the carrier: bytes become 0/1 */
        if (n)
            memcpy(dst, src, n * onnxbn_dtype_size(to));
        return;
    }
    if (direct(src, from, dst, to, n))
        return;
    carrier c;
    const int kind = carry_of(from);
    for (size_t off = 0; off < n; off += CHUNK) {
        const size_t m = n - off < CHUNK ? n - off : CHUNK;
        load(src, from, off, m, &c);
        store(dst, to, off, m, &c, kind);
    }
}
