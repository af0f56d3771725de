/* SPDX-License-Identifier: Apache-2.0 */
/* reduce.c — reduction kernels: one driver walks the canonical layout in unit-stride runs and calls
 * a per-type fold on each (independent lanes, so gcc vectorises); arg-max/arg-min along one axis. */
#include "kernels/reduce.h"

#include <math.h>
#include <string.h>

#include "core.h"

/* One accumulator: double for floating types, exact 64-bit integers for integer types. */
typedef union acc64 {
    double f;
    int64_t i;
    uint64_t u;
} acc64;

enum { DOM_F, DOM_I, DOM_U };
enum { FOLD_SUM, FOLD_ABS, FOLD_SQ, FOLD_PROD, FOLD_MAX, FOLD_MIN, FOLD_EXP, N_FOLD };
enum { LANES = 8, CHUNK = 256 };

/* seg: folds x[0..n) into *acc (a contiguous run of the reduced axes).
 * vec: acc[i] ⊕= x[i] for i < n (a contiguous run of outputs).
 * `sh` is the shift of FOLD_EXP (the maximum, as double); the others ignore it. */
typedef void (*seg_fn)(acc64 *acc, const void *x, size_t n, double sh);
typedef void (*vec_fn)(acc64 *acc, const void *x, size_t n, const acc64 *sh);
/* y[0..n) = the final values of n accumulators. For LOG_SUM_EXP, a[i].f is the maximum and s2[i]
 * the sum of exp(x − max). */
typedef void (*store_fn)(onnxbn_reduce_op op, const acc64 *a, const acc64 *s2, void *y, size_t n,
                         int64_t count);

typedef struct type_fns {
    size_t esz;
    int dom;
    acc64 lo, hi; /* the start of max (lowest value) and of min (highest value) */
    seg_fn seg[N_FOLD];
    vec_fn vec[N_FOLD];
    store_fn store;
} type_fns;

/* ---- folds ---- */

/* STEP combines accumulator `a` with element `v`; MERGE combines two lanes `a` and `b`. */
#define DEF_FOLD(SUF, NAME, T, ACC, M, LD, ID, STEP, MERGE)                                       \
    static void seg_##NAME##_##SUF(acc64 *acc, const void *xv, size_t n, double sh)               \
    {                                                                                             \
        const T *x = xv;                                                                          \
        ACC l[LANES], t = acc->M;                                                                 \
        size_t i = 0;                                                                             \
        (void)sh;                                                                                 \
        for (int j = 0; j < LANES; j++)                                                           \
            l[j] = ID;                                                                            \
        for (; i + LANES <= n; i += LANES)                                                        \
            for (int j = 0; j < LANES; j++) {                                                     \
                ACC a = l[j], v = LD(x[i + j]);                                                   \
                l[j] = STEP;                                                                      \
            }                                                                                     \
        for (; i < n; i++) {                                                                      \
            ACC a = t, v = LD(x[i]);                                                              \
            t = STEP;                                                                             \
        }                                                                                         \
        for (int j = 0; j < LANES; j++) {                                                         \
            ACC a = t, b = l[j];                                                                  \
            t = MERGE;                                                                            \
        }                                                                                         \
        acc->M = t;                                                                               \
    }                                                                                             \
    static void vec_##NAME##_##SUF(acc64 *restrict s, const void *xv, size_t n,                   \
                                   const acc64 *sh)                                               \
    {                                                                                             \
        const T *restrict x = xv;                                                                 \
        (void)sh;                                                                                 \
        for (size_t i = 0; i < n; i++) {                                                          \
            ACC a = s[i].M, v = LD(x[i]);                                                         \
            s[i].M = STEP;                                                                        \
        }                                                                                         \
    }

/* exp(x − sh) summed in double, for every type. EXP is exp, or expf for float data, whose terms
 * need no more than float precision (x − sh is rounded to float first; the sum stays double). */
#define EXP_D(d) exp(d)
#define EXP_F(d) ((double)expf((float)(d)))
#define DEF_EXP(SUF, T, LDD, EXP)                                                                 \
    static void seg_exp_##SUF(acc64 *acc, const void *xv, size_t n, double sh)                    \
    {                                                                                             \
        const T *x = xv;                                                                          \
        double t = acc->f;                                                                        \
        for (size_t i = 0; i < n; i++)                                                            \
            t += EXP(LDD(x[i]) - sh);                                                             \
        acc->f = t;                                                                               \
    }                                                                                             \
    static void vec_exp_##SUF(acc64 *restrict s, const void *xv, size_t n, const acc64 *sh)       \
    {                                                                                             \
        const T *restrict x = xv;                                                                 \
        for (size_t i = 0; i < n; i++)                                                            \
            s[i].f += EXP(LDD(x[i]) - sh[i].f);                                                   \
    }

/* NaN wins max and min, as in numpy (bitwise | keeps the select branch-free). */
#define F_MAX(a, v) ((((v) > (a)) | ((v) != (v))) ? (v) : (a))
#define F_MIN(a, v) ((((v) < (a)) | ((v) != (v))) ? (v) : (a))
#define I_ADD(a, v) ((int64_t)((uint64_t)(a) + (uint64_t)(v)))
#define I_MUL(a, v) ((int64_t)((uint64_t)(a) * (uint64_t)(v)))
#define I_ABS(v) ((v) < 0 ? 0 - (uint64_t)(v) : (uint64_t)(v))

#define DEF_FOLDS_F(SUF, T, LD, EXP)                                                              \
    DEF_FOLD(SUF, sum, T, double, f, LD, 0.0, a + v, a + b)                                       \
    DEF_FOLD(SUF, abs, T, double, f, LD, 0.0, a + fabs(v), a + b)                                 \
    DEF_FOLD(SUF, sq, T, double, f, LD, 0.0, a + v * v, a + b)                                    \
    DEF_FOLD(SUF, prod, T, double, f, LD, 1.0, a * v, a * b)                                      \
    DEF_FOLD(SUF, max, T, double, f, LD, -INFINITY, F_MAX(a, v), F_MAX(a, b))                     \
    DEF_FOLD(SUF, min, T, double, f, LD, INFINITY, F_MIN(a, v), F_MIN(a, b))                      \
    DEF_EXP(SUF, T, LD, EXP)

#define DEF_FOLDS_I(SUF, T)                                                                       \
    DEF_FOLD(SUF, sum, T, int64_t, i, (int64_t), 0, I_ADD(a, v), I_ADD(a, b))                     \
    DEF_FOLD(SUF, abs, T, int64_t, i, (int64_t), 0, I_ADD(a, I_ABS(v)), I_ADD(a, b))              \
    DEF_FOLD(SUF, sq, T, int64_t, i, (int64_t), 0, I_ADD(a, (uint64_t)v * (uint64_t)v),           \
             I_ADD(a, b))                                                                         \
    DEF_FOLD(SUF, prod, T, int64_t, i, (int64_t), 1, I_MUL(a, v), I_MUL(a, b))                    \
    DEF_FOLD(SUF, max, T, int64_t, i, (int64_t), INT64_MIN, v > a ? v : a, b > a ? b : a)         \
    DEF_FOLD(SUF, min, T, int64_t, i, (int64_t), INT64_MAX, v < a ? v : a, b < a ? b : a)         \
    DEF_EXP(SUF, T, (double), EXP_D)

#define DEF_FOLDS_U(SUF, T)                                                                       \
    DEF_FOLD(SUF, sum, T, uint64_t, u, (uint64_t), 0, a + v, a + b)                               \
    DEF_FOLD(SUF, sq, T, uint64_t, u, (uint64_t), 0, a + v * v, a + b)                            \
    DEF_FOLD(SUF, prod, T, uint64_t, u, (uint64_t), 1, a * v, a * b)                              \
    DEF_FOLD(SUF, max, T, uint64_t, u, (uint64_t), 0, v > a ? v : a, b > a ? b : a)               \
    DEF_FOLD(SUF, min, T, uint64_t, u, (uint64_t), UINT64_MAX, v < a ? v : a, b < a ? b : a)      \
    DEF_EXP(SUF, T, (double), EXP_D)

#define LD_F(v) ((double)(v))
#define LD_H(v) ((double)onnxbn_half_to_float(v))
#define LD_B(v) ((double)onnxbn_bf16_to_float(v))

DEF_FOLDS_F(f32, float, LD_F, EXP_F)
DEF_FOLDS_F(f64, double, LD_F, EXP_D)
DEF_FOLDS_F(f16, uint16_t, LD_H, EXP_F)
DEF_FOLDS_F(bf16, uint16_t, LD_B, EXP_F)
DEF_FOLDS_I(i8, int8_t)
DEF_FOLDS_I(i32, int32_t)
DEF_FOLDS_I(i64, int64_t)
DEF_FOLDS_U(u8, uint8_t)
DEF_FOLDS_U(u32, uint32_t)
DEF_FOLDS_U(u64, uint64_t)

/* float max/min of a contiguous run in float lanes (exact; no widening). The lane update is a
 * plain loop of 64, which gcc vectorises; unrolled by hand into fewer lanes it does not. */
enum { FLANES = 64 };

static inline void lanes_max(float *restrict l, const float *restrict x)
{
    for (int j = 0; j < FLANES; j++) {
        float a = l[j], v = x[j];
        l[j] = (v > a || v != v) ? v : a;
    }
}

static inline void lanes_min(float *restrict l, const float *restrict x)
{
    for (int j = 0; j < FLANES; j++) {
        float a = l[j], v = x[j];
        l[j] = (v < a || v != v) ? v : a;
    }
}

static void seg_fmax_f32(acc64 *acc, const void *xv, size_t n, double sh)
{
    const float *x = xv;
    float l[FLANES];
    size_t i = 0;
    (void)sh;
    for (int j = 0; j < FLANES; j++)
        l[j] = -INFINITY;
    for (; i + FLANES <= n; i += FLANES)
        lanes_max(l, x + i);
    seg_max_f32(acc, l, FLANES, 0.0); /* the lanes, then the tail, by the generic fold */
    seg_max_f32(acc, x + i, n - i, 0.0);
}

static void seg_fmin_f32(acc64 *acc, const void *xv, size_t n, double sh)
{
    const float *x = xv;
    float l[FLANES];
    size_t i = 0;
    (void)sh;
    for (int j = 0; j < FLANES; j++)
        l[j] = INFINITY;
    for (; i + FLANES <= n; i += FLANES)
        lanes_min(l, x + i);
    seg_min_f32(acc, l, FLANES, 0.0); /* the lanes, then the tail, by the generic fold */
    seg_min_f32(acc, x + i, n - i, 0.0);
}

/* ---- final values ---- */

static double post_f(onnxbn_reduce_op op, double a, double s2, int64_t count)
{
    switch (op) {
    case ONNXBN_REDUCE_MEAN: return a / (double)count;
    case ONNXBN_REDUCE_L2: return sqrt(a);
    case ONNXBN_REDUCE_LOG_SUM: return log(a);
    case ONNXBN_REDUCE_LOG_SUM_EXP: return isfinite(a) ? a + log(s2) : a;
    default: return a;
    }
}

/* The double results of integer reductions (L2, the logs), saturated; NaN gives 0. */
static int64_t sat_i(double v, int64_t lo, int64_t hi)
{
    if (isnan(v))
        return 0;
    if (v <= (double)lo)
        return lo;
    if (v >= (double)hi) /* (double)INT64_MAX is 2^63, itself out of range */
        return hi;
    return (int64_t)v;
}

static uint64_t sat_u(double v, uint64_t hi)
{
    if (isnan(v) || v <= 0.0)
        return 0;
    if (v >= (double)hi)
        return hi;
    return (uint64_t)v;
}

static double int_double(onnxbn_reduce_op op, double a, double s2)
{
    switch (op) {
    case ONNXBN_REDUCE_L2: return sqrt(a);
    case ONNXBN_REDUCE_LOG_SUM: return log(a);
    default: return isfinite(a) ? a + log(s2) : a; /* LOG_SUM_EXP */
    }
}

#define DEF_STORE_F(SUF, T, CONV)                                                                 \
    static void store_##SUF(onnxbn_reduce_op op, const acc64 *a, const acc64 *s2, void *yv,       \
                            size_t n, int64_t count)                                              \
    {                                                                                             \
        T *y = yv;                                                                                \
        for (size_t i = 0; i < n; i++)                                                            \
            y[i] = CONV(post_f(op, a[i].f, s2 ? s2[i].f : 0.0, count));                           \
    }

#define CONV_F32(v) ((float)(v))
#define CONV_F64(v) (v)
#define CONV_H(v) onnxbn_float_to_half((float)(v))
#define CONV_B(v) onnxbn_float_to_bf16((float)(v))
DEF_STORE_F(f32, float, CONV_F32)
DEF_STORE_F(f64, double, CONV_F64)
DEF_STORE_F(f16, uint16_t, CONV_H)
DEF_STORE_F(bf16, uint16_t, CONV_B)

/* Sums, products and extremes wrap to T like T's own arithmetic; the mean is the exact integer
 * quotient (truncated toward zero, as numpy's mean cast back to the type). */
#define DEF_STORE_I(SUF, T, LO, HI)                                                               \
    static void store_##SUF(onnxbn_reduce_op op, const acc64 *a, const acc64 *s2, void *yv,       \
                            size_t n, int64_t count)                                              \
    {                                                                                             \
        T *y = yv;                                                                                \
        for (size_t i = 0; i < n; i++) {                                                          \
            switch (op) {                                                                         \
            case ONNXBN_REDUCE_MEAN:                                                              \
                y[i] = count ? (T)(a[i].i / count) : 0;                                           \
                break;                                                                            \
            case ONNXBN_REDUCE_L2: case ONNXBN_REDUCE_LOG_SUM:                                    \
                y[i] = (T)sat_i(int_double(op, (double)a[i].i, 0.0), LO, HI);                     \
                break;                                                                            \
            case ONNXBN_REDUCE_LOG_SUM_EXP:                                                       \
                y[i] = (T)sat_i(int_double(op, a[i].f, s2 ? s2[i].f : 0.0), LO, HI);              \
                break;                                                                            \
            default:                                                                              \
                y[i] = (T)a[i].i;                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

#define DEF_STORE_U(SUF, T, HI)                                                                   \
    static void store_##SUF(onnxbn_reduce_op op, const acc64 *a, const acc64 *s2, void *yv,       \
                            size_t n, int64_t count)                                              \
    {                                                                                             \
        T *y = yv;                                                                                \
        for (size_t i = 0; i < n; i++) {                                                          \
            switch (op) {                                                                         \
            case ONNXBN_REDUCE_MEAN:                                                              \
                y[i] = count ? (T)(a[i].u / (uint64_t)count) : 0;                                 \
                break;                                                                            \
            case ONNXBN_REDUCE_L2: case ONNXBN_REDUCE_LOG_SUM:                                    \
                y[i] = (T)sat_u(int_double(op, (double)a[i].u, 0.0), HI);                         \
                break;                                                                            \
            case ONNXBN_REDUCE_LOG_SUM_EXP:                                                       \
                y[i] = (T)sat_u(int_double(op, a[i].f, s2 ? s2[i].f : 0.0), HI);                  \
                break;                                                                            \
            default:                                                                              \
                y[i] = (T)a[i].u;                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

DEF_STORE_I(i8, int8_t, INT8_MIN, INT8_MAX)
DEF_STORE_I(i32, int32_t, INT32_MIN, INT32_MAX)
DEF_STORE_I(i64, int64_t, INT64_MIN, INT64_MAX)
DEF_STORE_U(u8, uint8_t, UINT8_MAX)
DEF_STORE_U(u32, uint32_t, UINT32_MAX)
DEF_STORE_U(u64, uint64_t, UINT64_MAX)

/* ---- the type table ---- */

#define FNS_F(SUF, T, SEGMAX, SEGMIN)                                                             \
    {sizeof(T), DOM_F, {.f = -INFINITY}, {.f = INFINITY},                                         \
     {seg_sum_##SUF, seg_abs_##SUF, seg_sq_##SUF, seg_prod_##SUF, SEGMAX, SEGMIN, seg_exp_##SUF},   \
     {vec_sum_##SUF, vec_abs_##SUF, vec_sq_##SUF, vec_prod_##SUF, vec_max_##SUF, vec_min_##SUF,   \
      vec_exp_##SUF},                                                                             \
     store_##SUF}
#define FNS_I(SUF, T, LO, HI)                                                                     \
    {sizeof(T), DOM_I, {.i = LO}, {.i = HI},                                                      \
     {seg_sum_##SUF, seg_abs_##SUF, seg_sq_##SUF, seg_prod_##SUF, seg_max_##SUF, seg_min_##SUF,   \
      seg_exp_##SUF},                                                                             \
     {vec_sum_##SUF, vec_abs_##SUF, vec_sq_##SUF, vec_prod_##SUF, vec_max_##SUF, vec_min_##SUF,   \
      vec_exp_##SUF},                                                                             \
     store_##SUF}
/* Unsigned: |x| is x, so L1 is the plain sum. */
#define FNS_U(SUF, T, HI)                                                                         \
    {sizeof(T), DOM_U, {.u = 0}, {.u = HI},                                                       \
     {seg_sum_##SUF, seg_sum_##SUF, seg_sq_##SUF, seg_prod_##SUF, seg_max_##SUF, seg_min_##SUF,   \
      seg_exp_##SUF},                                                                             \
     {vec_sum_##SUF, vec_sum_##SUF, vec_sq_##SUF, vec_prod_##SUF, vec_max_##SUF, vec_min_##SUF,   \
      vec_exp_##SUF},                                                                             \
     store_##SUF}

static const type_fns fns_f32 = FNS_F(f32, float, seg_fmax_f32, seg_fmin_f32);
static const type_fns fns_f64 = FNS_F(f64, double, seg_max_f64, seg_min_f64);
static const type_fns fns_f16 = FNS_F(f16, uint16_t, seg_max_f16, seg_min_f16);
static const type_fns fns_bf16 = FNS_F(bf16, uint16_t, seg_max_bf16, seg_min_bf16);
static const type_fns fns_i8 = FNS_I(i8, int8_t, INT8_MIN, INT8_MAX);
static const type_fns fns_i32 = FNS_I(i32, int32_t, INT32_MIN, INT32_MAX);
static const type_fns fns_i64 = FNS_I(i64, int64_t, INT64_MIN, INT64_MAX);
static const type_fns fns_u8 = FNS_U(u8, uint8_t, UINT8_MAX);
static const type_fns fns_u32 = FNS_U(u32, uint32_t, UINT32_MAX);
static const type_fns fns_u64 = FNS_U(u64, uint64_t, UINT64_MAX);

static const type_fns *fns_for(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: return &fns_f32;
    case ONNXBN_DOUBLE: return &fns_f64;
    case ONNXBN_FLOAT16: return &fns_f16;
    case ONNXBN_BFLOAT16: return &fns_bf16;
    case ONNXBN_INT8: return &fns_i8;
    case ONNXBN_INT32: return &fns_i32;
    case ONNXBN_INT64: return &fns_i64;
    case ONNXBN_UINT8: return &fns_u8;
    case ONNXBN_UINT32: return &fns_u32;
    case ONNXBN_UINT64: return &fns_u64;
    default: return NULL;
    }
}

bool onnxbn_reduce_type_ok(onnxbn_dtype t) { return fns_for(t) != NULL; }

/* ---- layout ---- */

void onnxbn_reduce_layout_init(onnxbn_reduce_layout *l, int rank, const int64_t *dims,
                               const bool *reduce)
{
    memset(l, 0, sizeof *l);
    bool empty = false, none = false;
    for (int i = 0; i < rank; i++) {
        empty |= dims[i] == 0;
        none |= dims[i] == 0 && !reduce[i];
    }
    if (none) /* no outputs (the other dims of an empty tensor may be anything) */
        return;
    l->n_out = 1;
    for (int i = 0; i < rank; i++)
        if (!reduce[i])
            l->n_out *= dims[i];
    if (empty) /* count 0: every output is the empty reduction */
        return;
    int n = 0;
    l->count = 1;
    for (int i = 0; i < rank; i++) {
        if (reduce[i])
            l->count *= dims[i];
        if (dims[i] == 1)
            continue;
        if (n > 0 && l->red[n - 1] == reduce[i]) {
            l->dims[n - 1] *= dims[i];
        } else {
            l->dims[n] = dims[i];
            l->red[n] = reduce[i];
            n++;
        }
    }
    if (n == 0) { /* one element: one segment of length 1 */
        l->dims[0] = 1;
        l->red[0] = true;
        n = 1;
    }
    l->n = n;
    int64_t s = 1;
    for (int i = n - 1; i >= 0; i--) {
        l->strides[i] = s;
        s *= l->dims[i];
    }
}

size_t onnxbn_reduce_scratch(const onnxbn_reduce_layout *l)
{
    if (l->n == 0 || l->red[l->n - 1])
        return 0;
    uint64_t inner = (uint64_t)l->dims[l->n - 1];
    if (inner > SIZE_MAX / (2 * sizeof(acc64)))
        return SIZE_MAX;
    return (size_t)inner * 2 * sizeof(acc64);
}

/* ---- driver ---- */

/* An odometer over some of the layout's axes, tracking the element offset. */
typedef struct odo {
    int n;
    int64_t dim[ONNXBN_MAX_RANK], str[ONNXBN_MAX_RANK], idx[ONNXBN_MAX_RANK];
    int64_t off;
} odo;

static void odo_reset(odo *o)
{
    memset(o->idx, 0, sizeof o->idx);
    o->off = 0;
}

/* The axes before `upto` whose kind is `red`. */
static void odo_make(odo *o, const onnxbn_reduce_layout *l, int upto, bool red)
{
    o->n = 0;
    for (int i = 0; i < upto; i++)
        if (l->red[i] == red) {
            o->dim[o->n] = l->dims[i];
            o->str[o->n] = l->strides[i];
            o->n++;
        }
    odo_reset(o);
}

/* Steps to the next position; false (and back at the start) after the last one. */
static bool odo_next(odo *o)
{
    for (int i = o->n - 1; i >= 0; i--) {
        if (++o->idx[i] < o->dim[i]) {
            o->off += o->str[i];
            return true;
        }
        o->off -= (o->dim[i] - 1) * o->str[i];
        o->idx[i] = 0;
    }
    return false;
}

static double as_double(int dom, acc64 a)
{
    return dom == DOM_F ? a.f : dom == DOM_I ? (double)a.i : (double)a.u;
}

static int fold_of(onnxbn_reduce_op op)
{
    switch (op) {
    case ONNXBN_REDUCE_L1: return FOLD_ABS;
    case ONNXBN_REDUCE_L2: case ONNXBN_REDUCE_SUM_SQUARE: return FOLD_SQ;
    case ONNXBN_REDUCE_PROD: return FOLD_PROD;
    case ONNXBN_REDUCE_MAX: case ONNXBN_REDUCE_LOG_SUM_EXP: return FOLD_MAX;
    case ONNXBN_REDUCE_MIN: return FOLD_MIN;
    default: return FOLD_SUM; /* SUM, MEAN, LOG_SUM */
    }
}

static acc64 start_of(const type_fns *f, int fold)
{
    acc64 a = {.u = 0}; /* 0 and 0.0 alike */
    if (fold == FOLD_PROD) {
        if (f->dom == DOM_F)
            a.f = 1.0;
        else
            a.u = 1;
    } else if (fold == FOLD_MAX) {
        a = f->lo;
    } else if (fold == FOLD_MIN) {
        a = f->hi;
    }
    return a;
}

/* The trailing run is reduced: each output folds the segments of length T the other reduced
 * axes pick out. Final values go out CHUNK at a time. */
static void reduce_segments(onnxbn_reduce_op op, const type_fns *f, const onnxbn_reduce_layout *l,
                            const char *x, char *y)
{
    const int last = l->n - 1, fold = fold_of(op);
    const size_t T = (size_t)l->dims[last], esz = f->esz;
    const bool lse = op == ONNXBN_REDUCE_LOG_SUM_EXP;
    const acc64 start = start_of(f, fold);
    odo ko, ro;
    odo_make(&ko, l, last, false);
    odo_make(&ro, l, last, true);
    acc64 buf[CHUNK], s2[CHUNK];
    size_t nb = 0;
    int64_t o0 = 0;
    do {
        acc64 a = start;
        do
            f->seg[fold](&a, x + (size_t)(ko.off + ro.off) * esz, T, 0.0);
        while (odo_next(&ro));
        if (lse) {
            a.f = as_double(f->dom, a);
            s2[nb].f = 0.0;
            if (isfinite(a.f))
                do
                    f->seg[FOLD_EXP](&s2[nb], x + (size_t)(ko.off + ro.off) * esz, T, a.f);
                while (odo_next(&ro));
        }
        buf[nb++] = a;
        if (nb == CHUNK) {
            f->store(op, buf, s2, y + (size_t)o0 * esz, nb, l->count);
            o0 += (int64_t)nb;
            nb = 0;
        }
    } while (odo_next(&ko));
    if (nb)
        f->store(op, buf, s2, y + (size_t)o0 * esz, nb, l->count);
}

/* float max/min along leading or middle axes fold straight into the output row: in float the
 * select is exact, and the plain loop vectorises (≈5× the double-accumulator path). */
static void rows_minmax_f32(bool is_min, const onnxbn_reduce_layout *l, const float *x, float *y)
{
    const int last = l->n - 1;
    const size_t I = (size_t)l->dims[last];
    const float start = is_min ? INFINITY : -INFINITY;
    odo ko, ro;
    odo_make(&ko, l, last, false);
    odo_make(&ro, l, last, true);
    float *restrict yr = y;
    do {
        for (size_t i = 0; i < I; i++)
            yr[i] = start;
        do {
            const float *restrict xr = x + ko.off + ro.off;
            if (is_min)
                for (size_t i = 0; i < I; i++) {
                    float a = yr[i], v = xr[i];
                    yr[i] = (v < a || v != v) ? v : a;
                }
            else
                for (size_t i = 0; i < I; i++) {
                    float a = yr[i], v = xr[i];
                    yr[i] = (v > a || v != v) ? v : a;
                }
        } while (odo_next(&ro));
        yr += I;
    } while (odo_next(&ko));
}

/* The trailing run is kept: a row of I outputs folds whole rows of the input at once. */
static void reduce_rows(onnxbn_reduce_op op, const type_fns *f, const onnxbn_reduce_layout *l,
                        const char *x, char *y, acc64 *scratch)
{
    const int last = l->n - 1, fold = fold_of(op);
    const size_t I = (size_t)l->dims[last], esz = f->esz;
    const acc64 start = start_of(f, fold);
    acc64 *acc = scratch, *s2 = scratch + I;
    odo ko, ro;
    odo_make(&ko, l, last, false);
    odo_make(&ro, l, last, true);
    size_t o = 0;
    do {
        for (size_t i = 0; i < I; i++)
            acc[i] = start;
        do
            f->vec[fold](acc, x + (size_t)(ko.off + ro.off) * esz, I, NULL);
        while (odo_next(&ro));
        if (op == ONNXBN_REDUCE_LOG_SUM_EXP) {
            /* Non-finite maxima make NaN sums here, which the store does not read. */
            for (size_t i = 0; i < I; i++) {
                acc[i].f = as_double(f->dom, acc[i]);
                s2[i].f = 0.0;
            }
            do
                f->vec[FOLD_EXP](s2, x + (size_t)(ko.off + ro.off) * esz, I, acc);
            while (odo_next(&ro));
        }
        f->store(op, acc, s2, y + o * I * esz, I, l->count);
        o++;
    } while (odo_next(&ko));
}

void onnxbn_reduce(onnxbn_reduce_op op, onnxbn_dtype t, const onnxbn_reduce_layout *l,
                   const void *x, void *y, void *scratch)
{
    const type_fns *f = fns_for(t);
    if (!f || l->n_out == 0)
        return;
    if (l->count == 0) {
        acc64 a = start_of(f, fold_of(op)), s2 = {.f = 0.0};
        if (op == ONNXBN_REDUCE_LOG_SUM_EXP)
            a.f = -INFINITY;
        for (int64_t o = 0; o < l->n_out; o++)
            f->store(op, &a, &s2, (char *)y + (size_t)o * f->esz, 1, 0);
        return;
    }
    if (l->red[l->n - 1])
        reduce_segments(op, f, l, x, y);
    else if (t == ONNXBN_FLOAT && (op == ONNXBN_REDUCE_MAX || op == ONNXBN_REDUCE_MIN))
        rows_minmax_f32(op == ONNXBN_REDUCE_MIN, l, x, y);
    else
        reduce_rows(op, f, l, x, y, scratch);
}

/* ---- arg-max / arg-min ---- */

static inline bool no_nan_i(int64_t v)
{
    (void)v;
    return false;
}
static inline bool no_nan_u(uint64_t v)
{
    (void)v;
    return false;
}
#define IS_NAN(v) isnan(v)

/* mode: 0 max first, 1 max last, 2 min first, 3 min last. Inlined with a constant mode, so each
 * mode gets its own loop. */
#define DEF_ARG(SUF, T, K, LD, NAN_)                                                              \
    static inline bool beats_##SUF(K v, K b, int mode)                                            \
    {                                                                                             \
        switch (mode) {                                                                           \
        case 0: return !NAN_(b) && (v > b || NAN_(v));                                            \
        case 1: return NAN_(b) ? NAN_(v) : (v >= b || NAN_(v));                                   \
        case 2: return !NAN_(b) && (v < b || NAN_(v));                                            \
        default: return NAN_(b) ? NAN_(v) : (v <= b || NAN_(v));                                 \
        }                                                                                         \
    }                                                                                             \
    static inline void scan_##SUF(int mode, int64_t outer, int64_t r, int64_t inner,              \
                                  const T *x, int64_t *y, K *best)                                \
    {                                                                                             \
        for (int64_t o = 0; o < outer; o++) {                                                     \
            const T *xo = x + o * r * inner;                                                      \
            int64_t *yo = y + o * inner;                                                          \
            if (inner == 1) {                                                                     \
                K b = LD(xo[0]);                                                                  \
                int64_t bi = 0;                                                                   \
                for (int64_t k = 1; k < r; k++) {                                                 \
                    K v = LD(xo[k]);                                                              \
                    if (beats_##SUF(v, b, mode)) {                                                \
                        b = v;                                                                    \
                        bi = k;                                                                   \
                    }                                                                             \
                }                                                                                 \
                yo[0] = bi;                                                                       \
                continue;                                                                         \
            }                                                                                     \
            for (int64_t i = 0; i < inner; i++) {                                                 \
                best[i] = LD(xo[i]);                                                              \
                yo[i] = 0;                                                                        \
            }                                                                                     \
            for (int64_t k = 1; k < r; k++) {                                                     \
                const T *row = xo + k * inner;                                                    \
                for (int64_t i = 0; i < inner; i++) {                                             \
                    K v = LD(row[i]);                                                             \
                    if (beats_##SUF(v, best[i], mode)) {                                          \
                        best[i] = v;                                                              \
                        yo[i] = k;                                                                \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    static void arg_##SUF(int mode, int64_t outer, int64_t r, int64_t inner, const void *x,       \
                          int64_t *y, void *scratch)                                              \
    {                                                                                             \
        switch (mode) {                                                                           \
        case 0: scan_##SUF(0, outer, r, inner, x, y, scratch); break;                             \
        case 1: scan_##SUF(1, outer, r, inner, x, y, scratch); break;                             \
        case 2: scan_##SUF(2, outer, r, inner, x, y, scratch); break;                             \
        default: scan_##SUF(3, outer, r, inner, x, y, scratch); break;                            \
        }                                                                                         \
    }

#define LD_SAME(v) (v)
#define LD_HF(v) onnxbn_half_to_float(v)
#define LD_BF(v) onnxbn_bf16_to_float(v)
DEF_ARG(f32, float, float, LD_SAME, IS_NAN)
DEF_ARG(f64, double, double, LD_SAME, IS_NAN)
DEF_ARG(f16, uint16_t, float, LD_HF, IS_NAN)
DEF_ARG(bf16, uint16_t, float, LD_BF, IS_NAN)
DEF_ARG(i8, int8_t, int64_t, (int64_t), no_nan_i)
DEF_ARG(i16, int16_t, int64_t, (int64_t), no_nan_i)
DEF_ARG(i32, int32_t, int64_t, (int64_t), no_nan_i)
DEF_ARG(i64, int64_t, int64_t, (int64_t), no_nan_i)
DEF_ARG(u8, uint8_t, uint64_t, (uint64_t), no_nan_u)
DEF_ARG(u16, uint16_t, uint64_t, (uint64_t), no_nan_u)
DEF_ARG(u32, uint32_t, uint64_t, (uint64_t), no_nan_u)
DEF_ARG(u64, uint64_t, uint64_t, (uint64_t), no_nan_u)

typedef void (*arg_fn)(int mode, int64_t outer, int64_t r, int64_t inner, const void *x,
                       int64_t *y, void *scratch);

static arg_fn arg_for(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: return arg_f32;
    case ONNXBN_DOUBLE: return arg_f64;
    case ONNXBN_FLOAT16: return arg_f16;
    case ONNXBN_BFLOAT16: return arg_bf16;
    case ONNXBN_INT8: return arg_i8;
    case ONNXBN_INT16: return arg_i16;
    case ONNXBN_INT32: return arg_i32;
    case ONNXBN_INT64: return arg_i64;
    case ONNXBN_UINT8: return arg_u8;
    case ONNXBN_UINT16: return arg_u16;
    case ONNXBN_UINT32: return arg_u32;
    case ONNXBN_UINT64: return arg_u64;
    default: return NULL;
    }
}

bool onnxbn_argreduce_type_ok(onnxbn_dtype t) { return arg_for(t) != NULL; }

size_t onnxbn_argreduce_scratch(int64_t inner)
{
    if (inner <= 1)
        return 0;
    if ((uint64_t)inner > SIZE_MAX / 8)
        return SIZE_MAX;
    return (size_t)inner * 8;
}

void onnxbn_argreduce(bool is_max, bool last, onnxbn_dtype t, int64_t outer, int64_t r,
                      int64_t inner, const void *x, int64_t *y, void *scratch)
{
    arg_fn f = arg_for(t);
    if (!f || r < 1 || outer == 0 || inner == 0)
        return;
    f((is_max ? 0 : 2) + (last ? 1 : 0), outer, r, inner, x, y, scratch);
}
