/* SPDX-License-Identifier: Apache-2.0 */
/* elementwise.c — element-wise inner loops: Relu, and the broadcasting binary operators, Where and
 * Not. Plain unit-stride loops written so that gcc vectorises them; no allocation, no traps. */
#include "kernels/elementwise.h"

#include <math.h>
#include <string.h>

#include "core.h"

/* `x <= 0 ? 0 : x` rather than fmax: NaN compares false and passes through (numpy's maximum and
 * the ONNX reference do the same), and −0 compares true and becomes +0. */
void onnxbn_relu_f32(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

void onnxbn_relu_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] <= 0.0 ? 0.0 : x[i];
}

/* Half formats: sign set and not NaN → +0. `nan_above` is the magnitude of infinity. */
static void relu_half(const uint16_t *x, uint16_t *y, size_t n, uint16_t nan_above)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t h = x[i];
        y[i] = (h & 0x8000u) && (h & 0x7fffu) <= nan_above ? 0 : h;
    }
}

void onnxbn_relu_f16(const uint16_t *x, uint16_t *y, size_t n) { relu_half(x, y, n, 0x7c00u); }
void onnxbn_relu_bf16(const uint16_t *x, uint16_t *y, size_t n) { relu_half(x, y, n, 0x7f80u); }

#define RELU_INT(name, T)                                                                         \
    void name(const T *x, T *y, size_t n)                                                         \
    {                                                                                             \
        for (size_t i = 0; i < n; i++)                                                            \
            y[i] = x[i] < 0 ? 0 : x[i];                                                           \
    }
RELU_INT(onnxbn_relu_i8, int8_t)
RELU_INT(onnxbn_relu_i16, int16_t)
RELU_INT(onnxbn_relu_i32, int32_t)
RELU_INT(onnxbn_relu_i64, int64_t)

/* ---- broadcasting driver ---- */

#define MAXR (ONNXBN_MAX_RANK + 1)
#define MAXIN 3

/* An inner loop over n output elements. Bit k of `scalar` set: input k is one element read for all
 * n (a broadcast operand); clear: it advances with the output. */
typedef void (*inner_fn)(const void *const *in, void *y, size_t n, unsigned scalar, const void *ctx);

/* Drops size-1 axes and merges neighbours that every input walks as one (outer stride = inner
 * stride × inner size), so (N,C,H,W) + (1,C,1,1) becomes (N, C, H·W) with the channel operand
 * constant along H·W. Returns the new rank (≥ 1), or 0 when the output is empty. */
static int collapse(int rank, const int64_t *dims, int k, const int64_t *const *s, int64_t *d,
                    int64_t st[][MAXR])
{
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0)
            return 0;
        if (dims[i] == 1)
            continue;
        bool merge = r > 0;
        for (int j = 0; j < k && merge; j++)
            merge = st[j][r - 1] == s[j][i] * dims[i];
        if (merge) {
            d[r - 1] *= dims[i];
            for (int j = 0; j < k; j++)
                st[j][r - 1] = s[j][i];
            continue;
        }
        d[r] = dims[i];
        for (int j = 0; j < k; j++)
            st[j][r] = s[j][i];
        r++;
    }
    /* A scalar output, or an innermost stride that is neither 0 nor 1 (inputs that are not dense):
     * a unit innermost axis makes the loop below call the kernel once per element. */
    bool unit = r == 0;
    for (int j = 0; j < k && !unit; j++)
        unit = st[j][r - 1] != 0 && st[j][r - 1] != 1;
    if (unit) {
        d[r] = 1;
        for (int j = 0; j < k; j++)
            st[j][r] = 0;
        r++;
    }
    return r;
}

/* Walks the outer axes of the collapsed shape (an odometer over offsets, no per-element index
 * math) and calls fn on each innermost row. */
static void run_nd(inner_fn fn, const void *ctx, int rank, const int64_t *dims, int k,
                   const void *const *in, const int64_t *const *strides, const size_t *esize,
                   void *y, size_t ey)
{
    int64_t d[MAXR], st[MAXIN][MAXR], idx[MAXR] = {0}, off[MAXIN] = {0};
    int r = collapse(rank, dims, k, strides, d, st);
    if (r == 0)
        return;
    const size_t n = (size_t)d[r - 1];
    unsigned scalar = 0;
    for (int j = 0; j < k; j++)
        if (st[j][r - 1] == 0)
            scalar |= 1u << j;
    char *out = y;
    const void *p[MAXIN];
    for (;;) {
        for (int j = 0; j < k; j++)
            p[j] = (const char *)in[j] + (size_t)off[j] * esize[j];
        fn(p, out, n, scalar, ctx);
        out += n * ey;
        int i = r - 2;
        for (; i >= 0; i--) {
            for (int j = 0; j < k; j++)
                off[j] += st[j][i];
            if (++idx[i] < d[i])
                break;
            for (int j = 0; j < k; j++)
                off[j] -= st[j][i] * d[i];
            idx[i] = 0;
        }
        if (i < 0)
            break;
    }
}

/* ---- binary inner loops ----
 * One function per (operator, element type), generated from an expression in x (from a) and z (from
 * b). The four forms are written out so that the common ones are plain unit-stride loops gcc can
 * vectorise; a constant operand is loaded once. */
#define DEF_BIN(NAME, TA, TY, EXPR)                                                               \
    static void NAME(const void *const *in, void *py, size_t n, unsigned scalar, const void *ctx) \
    {                                                                                             \
        const TA *a = in[0], *b = in[1];                                                          \
        TY *y = py;                                                                               \
        (void)ctx;                                                                                \
        switch (scalar) {                                                                         \
        case 0:                                                                                   \
            for (size_t i = 0; i < n; i++) {                                                      \
                const TA x = a[i], z = b[i];                                                      \
                y[i] = (TY)(EXPR);                                                                \
            }                                                                                     \
            break;                                                                                \
        case 1: {                                                                                 \
            const TA x = a[0];                                                                    \
            for (size_t i = 0; i < n; i++) {                                                      \
                const TA z = b[i];                                                                \
                y[i] = (TY)(EXPR);                                                                \
            }                                                                                     \
        } break;                                                                                  \
        case 2: {                                                                                 \
            const TA z = b[0];                                                                    \
            for (size_t i = 0; i < n; i++) {                                                      \
                const TA x = a[i];                                                                \
                y[i] = (TY)(EXPR);                                                                \
            }                                                                                     \
        } break;                                                                                  \
        default: {                                                                                \
            const TA x = a[0], z = b[0];                                                          \
            const TY v = (TY)(EXPR);                                                              \
            for (size_t i = 0; i < n; i++)                                                        \
                y[i] = v;                                                                         \
        }                                                                                         \
        }                                                                                         \
    }

/* Integer power by squaring, wrapping modulo 2^64 (the caller truncates to its width). A negative
 * exponent is 1/x^|e| truncated toward zero. */
static int64_t ipow(int64_t x, bool neg, uint64_t e)
{
    if (neg)
        return x == 1 ? 1 : x == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x;
    while (e) {
        if (e & 1)
            r *= b;
        b *= b;
        e >>= 1;
    }
    return (int64_t)r;
}

static inline int64_t ipow_s(int64_t x, int64_t e)
{
    return ipow(x, e < 0, e < 0 ? 0 - (uint64_t)e : (uint64_t)e);
}

/* numpy's maximum/minimum: NaN in either operand gives NaN. */
#define FMAX(x, z) ((((x) >= (z)) | ((x) != (x))) ? (x) : (z))
#define FMIN(x, z) ((((x) <= (z)) | ((x) != (x))) ? (x) : (z))

/* Floating point. Pow gets its own loops below (x² by multiplication). */
#define FLOAT_OPS(S, T, FMODF)                                                                    \
    DEF_BIN(add_##S, T, T, x + z)                                                                 \
    DEF_BIN(sub_##S, T, T, x - z)                                                                 \
    DEF_BIN(mul_##S, T, T, x * z)                                                                  \
    DEF_BIN(div_##S, T, T, x / z)                                                                 \
    DEF_BIN(max_##S, T, T, FMAX(x, z))                                                            \
    DEF_BIN(min_##S, T, T, FMIN(x, z))                                                            \
    DEF_BIN(fmod_##S, T, T, FMODF(x, z))
FLOAT_OPS(f32, float, fmodf)
FLOAT_OPS(f64, double, fmod)

/* Integers: arithmetic in the unsigned type UW (at least int's width, so no promotion to a signed
 * int can overflow) and truncated back; divisions guarded against 0 and INT_MIN/-1. */
#define INT_COMMON(S, T, UW)                                                                      \
    DEF_BIN(add_##S, T, T, (UW)x + (UW)z)                                                         \
    DEF_BIN(sub_##S, T, T, (UW)x - (UW)z)                                                         \
    DEF_BIN(mul_##S, T, T, (UW)x * (UW)z)                                                          \
    DEF_BIN(max_##S, T, T, x > z ? x : z)                                                         \
    DEF_BIN(min_##S, T, T, x < z ? x : z)

#define INT_SIGNED(S, T, UW)                                                                      \
    INT_COMMON(S, T, UW)                                                                          \
    static inline T sdiv_##S(T x, T z)                                                            \
    {                                                                                             \
        return z == 0 ? 0 : z == -1 ? (T)(0 - (UW)x) : (T)(x / z);                               \
    }                                                                                             \
    static inline T srem_##S(T x, T z) { return z == 0 || z == -1 ? 0 : (T)(x % z); }             \
    static inline T smod_##S(T x, T z)                                                            \
    {                                                                                             \
        T r = srem_##S(x, z);                                                                     \
        return r != 0 && (r < 0) != (z < 0) ? (T)(r + z) : r;                                     \
    }                                                                                             \
    DEF_BIN(div_##S, T, T, sdiv_##S(x, z))                                                        \
    DEF_BIN(fmod_##S, T, T, srem_##S(x, z))                                                       \
    DEF_BIN(mod_##S, T, T, smod_##S(x, z))                                                        \
    DEF_BIN(pow_##S, T, T, ipow_s(x, z))

#define INT_UNSIGNED(S, T, UW)                                                                    \
    INT_COMMON(S, T, UW)                                                                          \
    DEF_BIN(div_##S, T, T, z == 0 ? 0 : x / z)                                                    \
    DEF_BIN(fmod_##S, T, T, z == 0 ? 0 : x % z)                                                   \
    DEF_BIN(mod_##S, T, T, z == 0 ? 0 : x % z)                                                    \
    DEF_BIN(pow_##S, T, T, ipow((int64_t)x, false, z))                                            \
    DEF_BIN(shl_##S, T, T, z >= 8 * sizeof(T) ? 0 : (UW)x << z)                                   \
    DEF_BIN(shr_##S, T, T, z >= 8 * sizeof(T) ? 0 : (UW)x >> z)

INT_SIGNED(i8, int8_t, uint32_t)
INT_SIGNED(i16, int16_t, uint32_t)
INT_SIGNED(i32, int32_t, uint32_t)
INT_SIGNED(i64, int64_t, uint64_t)
INT_UNSIGNED(u8, uint8_t, uint32_t)
INT_UNSIGNED(u16, uint16_t, uint32_t)
INT_UNSIGNED(u32, uint32_t, uint32_t)
INT_UNSIGNED(u64, uint64_t, uint64_t)

#define CMP_OPS(S, T)                                                                             \
    DEF_BIN(eq_##S, T, uint8_t, x == z)                                                           \
    DEF_BIN(lt_##S, T, uint8_t, x < z)                                                            \
    DEF_BIN(gt_##S, T, uint8_t, x > z)                                                            \
    DEF_BIN(le_##S, T, uint8_t, x <= z)                                                           \
    DEF_BIN(ge_##S, T, uint8_t, x >= z)
CMP_OPS(f32, float)
CMP_OPS(f64, double)
CMP_OPS(i8, int8_t)
CMP_OPS(i16, int16_t)
CMP_OPS(i32, int32_t)
CMP_OPS(i64, int64_t)
CMP_OPS(u8, uint8_t)
CMP_OPS(u16, uint16_t)
CMP_OPS(u32, uint32_t)
CMP_OPS(u64, uint64_t)

/* bool: any nonzero byte is true, the result is 0 or 1. */
DEF_BIN(eq_b, uint8_t, uint8_t, (x != 0) == (z != 0))
DEF_BIN(and_b, uint8_t, uint8_t, (x != 0) & (z != 0))
DEF_BIN(or_b, uint8_t, uint8_t, (x != 0) | (z != 0))
DEF_BIN(xor_b, uint8_t, uint8_t, (x != 0) ^ (z != 0))

/* Pow for float and double: a constant exponent of 2 or 1 (x**2 in normalisation layers) is done
 * without the library call; otherwise powf/pow per element, as numpy does for these types. */
#define POW_FLOAT(S, T, POWF)                                                                     \
    DEF_BIN(pow_gen_##S, T, T, POWF(x, z))                                                        \
    static void pow_##S(const void *const *in, void *py, size_t n, unsigned scalar,              \
                        const void *ctx)                                                          \
    {                                                                                             \
        const T *a = in[0];                                                                       \
        T *y = py;                                                                                \
        if (scalar == 2 && *(const T *)in[1] == 2) {                                              \
            for (size_t i = 0; i < n; i++)                                                        \
                y[i] = a[i] * a[i];                                                               \
        } else if (scalar == 2 && *(const T *)in[1] == 1) {                                       \
            for (size_t i = 0; i < n; i++)                                                        \
                y[i] = a[i];                                                                      \
        } else {                                                                                  \
            pow_gen_##S(in, py, n, scalar, ctx);                                                  \
        }                                                                                         \
    }
POW_FLOAT(f32, float, powf)
POW_FLOAT(f64, double, pow)

#define ROW(P)                                                                                    \
    {                                                                                             \
        [ONNXBN_FLOAT] = P##_f32, [ONNXBN_DOUBLE] = P##_f64, [ONNXBN_INT8] = P##_i8,              \
        [ONNXBN_INT16] = P##_i16, [ONNXBN_INT32] = P##_i32, [ONNXBN_INT64] = P##_i64,             \
        [ONNXBN_UINT8] = P##_u8, [ONNXBN_UINT16] = P##_u16, [ONNXBN_UINT32] = P##_u32,            \
        [ONNXBN_UINT64] = P##_u64                                                                 \
    }
#define ROW_INT(P)                                                                                \
    {                                                                                             \
        [ONNXBN_INT8] = P##_i8, [ONNXBN_INT16] = P##_i16, [ONNXBN_INT32] = P##_i32,               \
        [ONNXBN_INT64] = P##_i64, [ONNXBN_UINT8] = P##_u8, [ONNXBN_UINT16] = P##_u16,             \
        [ONNXBN_UINT32] = P##_u32, [ONNXBN_UINT64] = P##_u64                                      \
    }
#define NTYPES (ONNXBN_BFLOAT16 + 1)

/* (operator, element type) → loop; float16 and bfloat16 go through the float column. */
static const inner_fn table[ONNXBN_BIN_COUNT][NTYPES] = {
    [ONNXBN_BIN_ADD] = ROW(add),
    [ONNXBN_BIN_SUB] = ROW(sub),
    [ONNXBN_BIN_MUL] = ROW(mul),
    [ONNXBN_BIN_DIV] = ROW(div),
    [ONNXBN_BIN_POW] = ROW(pow),
    [ONNXBN_BIN_MAX] = ROW(max),
    [ONNXBN_BIN_MIN] = ROW(min),
    [ONNXBN_BIN_MOD] = ROW_INT(mod),
    [ONNXBN_BIN_FMOD] = ROW(fmod),
    [ONNXBN_BIN_EQ] = {[ONNXBN_FLOAT] = eq_f32, [ONNXBN_DOUBLE] = eq_f64, [ONNXBN_INT8] = eq_i8,
                       [ONNXBN_INT16] = eq_i16, [ONNXBN_INT32] = eq_i32, [ONNXBN_INT64] = eq_i64,
                       [ONNXBN_UINT8] = eq_u8, [ONNXBN_UINT16] = eq_u16, [ONNXBN_UINT32] = eq_u32,
                       [ONNXBN_UINT64] = eq_u64, [ONNXBN_BOOL] = eq_b},
    [ONNXBN_BIN_LT] = ROW(lt),
    [ONNXBN_BIN_GT] = ROW(gt),
    [ONNXBN_BIN_LE] = ROW(le),
    [ONNXBN_BIN_GE] = ROW(ge),
    [ONNXBN_BIN_AND] = {[ONNXBN_BOOL] = and_b},
    [ONNXBN_BIN_OR] = {[ONNXBN_BOOL] = or_b},
    [ONNXBN_BIN_XOR] = {[ONNXBN_BOOL] = xor_b},
    [ONNXBN_BIN_SHL] = {[ONNXBN_UINT8] = shl_u8, [ONNXBN_UINT16] = shl_u16,
                        [ONNXBN_UINT32] = shl_u32, [ONNXBN_UINT64] = shl_u64},
    [ONNXBN_BIN_SHR] = {[ONNXBN_UINT8] = shr_u8, [ONNXBN_UINT16] = shr_u16,
                        [ONNXBN_UINT32] = shr_u32, [ONNXBN_UINT64] = shr_u64},
};

static bool is_cmp(onnxbn_binop op) { return op >= ONNXBN_BIN_EQ && op <= ONNXBN_BIN_GE; }
static bool is_half(onnxbn_dtype t) { return t == ONNXBN_FLOAT16 || t == ONNXBN_BFLOAT16; }

/* ---- float16 / bfloat16: blocks converted to float, the float loop, converted back ---- */

#define HALF_BLOCK 256

typedef struct {
    inner_fn f32;
    bool bf16, bool_out;
} half_ctx;

static float half_get(const uint16_t *p, bool bf16)
{
    return bf16 ? onnxbn_bf16_to_float(*p) : onnxbn_half_to_float(*p);
}

static void half_inner(const void *const *in, void *py, size_t n, unsigned scalar, const void *ctx)
{
    const half_ctx *h = ctx;
    float fa[HALF_BLOCK], fb[HALF_BLOCK], fy[HALF_BLOCK];
    float *f[2] = {fa, fb};
    for (size_t i0 = 0; i0 < n; i0 += HALF_BLOCK) {
        size_t m = n - i0 < HALF_BLOCK ? n - i0 : HALF_BLOCK;
        for (int j = 0; j < 2; j++) {
            const uint16_t *p = in[j];
            if (scalar & (1u << j))
                f[j][0] = half_get(p, h->bf16);
            else
                for (size_t i = 0; i < m; i++)
                    f[j][i] = half_get(p + i0 + i, h->bf16);
        }
        const void *pf[2] = {fa, fb};
        if (h->bool_out) {
            h->f32(pf, (uint8_t *)py + i0, m, scalar, NULL);
        } else {
            h->f32(pf, fy, m, scalar, NULL);
            uint16_t *y = (uint16_t *)py + i0;
            for (size_t i = 0; i < m; i++)
                y[i] = h->bf16 ? onnxbn_float_to_bf16(fy[i]) : onnxbn_float_to_half(fy[i]);
        }
    }
}

/* ---- Pow with base and exponent of different types (Pow-12 on) ----
 * Element by element through int64 (both integer: exact, wrapping) or double (otherwise; the
 * result rounded or truncated to the base's type). */

typedef struct {
    onnxbn_dtype ta, tb;
} mixed_ctx;

static bool is_int(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
    case ONNXBN_UINT8: case ONNXBN_UINT16: case ONNXBN_UINT32: case ONNXBN_UINT64:
        return true;
    default:
        return false;
    }
}

/* An integer element as sign and magnitude, so uint64 above INT64_MAX stays exact. */
static uint64_t get_u(onnxbn_dtype t, const void *p, size_t i, bool *neg)
{
    int64_t v;
    switch (t) {
    case ONNXBN_UINT64: *neg = false; return ((const uint64_t *)p)[i];
    case ONNXBN_UINT32: v = ((const uint32_t *)p)[i]; break;
    case ONNXBN_UINT16: v = ((const uint16_t *)p)[i]; break;
    case ONNXBN_UINT8: v = ((const uint8_t *)p)[i]; break;
    case ONNXBN_INT8: v = ((const int8_t *)p)[i]; break;
    case ONNXBN_INT16: v = ((const int16_t *)p)[i]; break;
    case ONNXBN_INT32: v = ((const int32_t *)p)[i]; break;
    default: v = ((const int64_t *)p)[i]; break;
    }
    *neg = v < 0;
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/* Truncation toward zero, saturating at [lo, hi] (C leaves out-of-range float → int undefined);
 * NaN gives 0. ±2^63 and 2^64 are exact doubles, so the bounds tests are exact. */
static int64_t sat_int(double v, int64_t lo, int64_t hi)
{
    if (!(v == v))
        return 0;
    int64_t w = v >= 9223372036854775808.0 ? INT64_MAX
              : v < -9223372036854775808.0 ? INT64_MIN
                                           : (int64_t)v;
    return w < lo ? lo : w > hi ? hi : w;
}

static void put(onnxbn_dtype t, void *p, size_t i, double v, int64_t iv, bool use_int)
{
    const float f = use_int ? (float)iv : (float)v;
#define PUT_INT(T, LO, HI) ((T *)p)[i] = (T)(use_int ? iv : sat_int(v, LO, HI))
    switch (t) {
    case ONNXBN_FLOAT: ((float *)p)[i] = f; break;
    case ONNXBN_DOUBLE: ((double *)p)[i] = use_int ? (double)iv : v; break;
    case ONNXBN_FLOAT16: ((uint16_t *)p)[i] = onnxbn_float_to_half(f); break;
    case ONNXBN_BFLOAT16: ((uint16_t *)p)[i] = onnxbn_float_to_bf16(f); break;
    case ONNXBN_INT8: PUT_INT(int8_t, INT8_MIN, INT8_MAX); break;
    case ONNXBN_INT16: PUT_INT(int16_t, INT16_MIN, INT16_MAX); break;
    case ONNXBN_INT32: PUT_INT(int32_t, INT32_MIN, INT32_MAX); break;
    case ONNXBN_INT64: PUT_INT(int64_t, INT64_MIN, INT64_MAX); break;
    case ONNXBN_UINT8: PUT_INT(uint8_t, 0, UINT8_MAX); break;
    case ONNXBN_UINT16: PUT_INT(uint16_t, 0, UINT16_MAX); break;
    case ONNXBN_UINT32: PUT_INT(uint32_t, 0, UINT32_MAX); break;
    case ONNXBN_UINT64:
        ((uint64_t *)p)[i] = use_int ? (uint64_t)iv
                             : !(v > 0) ? 0
                             : v >= 18446744073709551616.0 ? UINT64_MAX
                                                           : (uint64_t)v;
        break;
    default: break;
    }
#undef PUT_INT
}

static void pow_mixed(const void *const *in, void *py, size_t n, unsigned scalar, const void *ctx)
{
    const mixed_ctx *m = ctx;
    const bool ints = is_int(m->ta) && is_int(m->tb);
    for (size_t i = 0; i < n; i++) {
        size_t ia = (scalar & 1) ? 0 : i, ib = (scalar & 2) ? 0 : i;
        if (ints) {
            bool nb, ne;
            uint64_t ub = get_u(m->ta, in[0], ia, &nb), ue = get_u(m->tb, in[1], ib, &ne);
            int64_t base = nb ? (int64_t)(0 - ub) : (int64_t)ub;
            put(m->ta, py, i, 0, ipow(base, ne, ue), true);
        } else {
            put(m->ta, py, i,
                pow(onnxbn_load_f64(m->ta, in[0], (int64_t)ia), onnxbn_load_f64(m->tb, in[1], (int64_t)ib)),
                0, false);
        }
    }
}

/* ---- entry points ---- */

static bool numeric(onnxbn_dtype t) { return is_int(t) || t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || is_half(t); }

bool onnxbn_binary_supported(onnxbn_binop op, onnxbn_dtype ta, onnxbn_dtype tb)
{
    if ((unsigned)op >= ONNXBN_BIN_COUNT || (unsigned)ta >= NTYPES || (unsigned)tb >= NTYPES)
        return false;
    if (op == ONNXBN_BIN_POW && ta != tb)
        return numeric(ta) && numeric(tb);
    if (ta != tb)
        return false;
    return table[op][is_half(ta) ? ONNXBN_FLOAT : ta] != NULL;
}

void onnxbn_binary(onnxbn_binop op, onnxbn_dtype ta, onnxbn_dtype tb, int rank, const int64_t *dims,
                   const void *a, const int64_t *sa, const void *b, const int64_t *sb, void *y)
{
    const void *in[2] = {a, b};
    const int64_t *st[2] = {sa, sb};
    const size_t es[2] = {onnxbn_dtype_size(ta), onnxbn_dtype_size(tb)};
    const size_t ey = is_cmp(op) ? 1 : es[0];
    if (op == ONNXBN_BIN_POW && ta != tb) {
        const mixed_ctx m = {ta, tb};
        run_nd(pow_mixed, &m, rank, dims, 2, in, st, es, y, ey);
    } else if (is_half(ta)) {
        const half_ctx h = {table[op][ONNXBN_FLOAT], ta == ONNXBN_BFLOAT16, is_cmp(op)};
        run_nd(half_inner, &h, rank, dims, 2, in, st, es, y, ey);
    } else {
        run_nd(table[op][ta], NULL, rank, dims, 2, in, st, es, y, ey);
    }
}

/* ---- Where ---- */

#define WHERE_LOOP(T)                                                                             \
    {                                                                                             \
        const T *x = in[1], *z = in[2];                                                           \
        T *y = py;                                                                                \
        for (size_t i = 0; i < n; i++)                                                            \
            y[i] = c[i & mc] ? x[i & mx] : z[i & mz];                                             \
    }

/* The element size comes in ctx. Masks turn a constant operand's index into 0 without a branch. */
static void where_inner(const void *const *in, void *py, size_t n, unsigned scalar, const void *ctx)
{
    const size_t es = *(const size_t *)ctx;
    const uint8_t *c = in[0];
    const size_t mc = (scalar & 1) ? 0 : SIZE_MAX, mx = (scalar & 2) ? 0 : SIZE_MAX,
                 mz = (scalar & 4) ? 0 : SIZE_MAX;
    switch (es) {
    case 1: WHERE_LOOP(uint8_t) break;
    case 2: WHERE_LOOP(uint16_t) break;
    case 4: WHERE_LOOP(uint32_t) break;
    case 8: WHERE_LOOP(uint64_t) break;
    default:
        for (size_t i = 0; i < n; i++)
            memcpy((char *)py + i * es,
                   c[i & mc] ? (const char *)in[1] + (i & mx) * es : (const char *)in[2] + (i & mz) * es,
                   es);
    }
}

void onnxbn_where(size_t elsize, int rank, const int64_t *dims, const uint8_t *cond,
                  const int64_t *sc, const void *x, const int64_t *sx, const void *z,
                  const int64_t *sz, void *y)
{
    const void *in[3] = {cond, x, z};
    const int64_t *st[3] = {sc, sx, sz};
    const size_t es[3] = {1, elsize, elsize};
    run_nd(where_inner, &elsize, rank, dims, 3, in, st, es, y, elsize);
}

void onnxbn_not_bool(const uint8_t *x, uint8_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] == 0;
}
