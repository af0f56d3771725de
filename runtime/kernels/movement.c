/* SPDX-License-Identifier: Apache-2.0 */
/* movement.c — strided copies, index-map copies, gather and fills over raw elements of any size,
 * with contiguous rows done by memcpy and transposes in cache-sized blocks (4-byte ones in AVX2 tiles). */
#include "movement.h"

#include "kernels/isa.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MV_X86 1
#include <immintrin.h>
#endif

/* Elements are moved as whole machine words where the size allows it. */
typedef struct { uint64_t lo, hi; } u128;

#define BLOCK 16 /* transpose tile edge, in elements */

/* ---- walking the outer axes ---- */

/* An odometer over k axes of sizes n with source and destination element strides. */
typedef struct walk {
    int k;
    int64_t n[ONNXBN_MAX_RANK], ss[ONNXBN_MAX_RANK], ds[ONNXBN_MAX_RANK];
    int64_t idx[ONNXBN_MAX_RANK];
    int64_t soff, doff, count;
} walk;

static void walk_start(walk *w)
{
    w->count = 1;
    for (int q = 0; q < w->k; q++) {
        w->idx[q] = 0;
        w->count *= w->n[q];
    }
    w->soff = w->doff = 0;
}

static inline void walk_next(walk *w)
{
    for (int q = w->k - 1; q >= 0; q--) {
        w->soff += w->ss[q];
        w->doff += w->ds[q];
        if (++w->idx[q] < w->n[q])
            return;
        w->soff -= w->ss[q] * w->n[q];
        w->doff -= w->ds[q] * w->n[q];
        w->idx[q] = 0;
    }
}

/* ---- typed inner loops ---- */

#define DEF_LOOPS(T)                                                                              \
    static void gather_row_##T(T *restrict d, const T *restrict s, int64_t n, int64_t st)        \
    {                                                                                             \
        for (int64_t i = 0; i < n; i++)                                                           \
            d[i] = s[i * st];                                                                     \
    }                                                                                             \
    static void fill_##T(T *restrict d, T v, int64_t n)                                           \
    {                                                                                             \
        for (int64_t i = 0; i < n; i++)                                                           \
            d[i] = v;                                                                             \
    }                                                                                             \
    /* d[a·dst_a + b] = s[a + b·src_b] for a < na, b < nb, in BLOCK × BLOCK tiles. */            \
    static void transpose_##T(T *restrict d, int64_t dst_a, const T *restrict s, int64_t src_b,  \
                              int64_t na, int64_t nb)                                             \
    {                                                                                             \
        for (int64_t a0 = 0; a0 < na; a0 += BLOCK) {                                              \
            const int64_t a1 = a0 + BLOCK < na ? a0 + BLOCK : na;                                 \
            for (int64_t b0 = 0; b0 < nb; b0 += BLOCK) {                                          \
                const int64_t b1 = b0 + BLOCK < nb ? b0 + BLOCK : nb;                             \
                for (int64_t a = a0; a < a1; a++)                                                 \
                    for (int64_t b = b0; b < b1; b++)                                             \
                        d[a * dst_a + b] = s[a + b * src_b];                                      \
            }                                                                                     \
        }                                                                                         \
    }

DEF_LOOPS(uint8_t)
DEF_LOOPS(uint16_t)
DEF_LOOPS(uint32_t)
DEF_LOOPS(uint64_t)
DEF_LOOPS(u128)

/* Any other element size: one memcpy per element. */
static void gather_row_bytes(uint8_t *d, const uint8_t *s, int64_t n, int64_t st, size_t es)
{
    for (int64_t i = 0; i < n; i++)
        memcpy(d + (size_t)i * es, s + i * st * (int64_t)es, es);
}

static void gather_row(void *d, const void *s, int64_t n, int64_t st, size_t es)
{
    switch (es) {
    case 1: gather_row_uint8_t(d, s, n, st); break;
    case 2: gather_row_uint16_t(d, s, n, st); break;
    case 4: gather_row_uint32_t(d, s, n, st); break;
    case 8: gather_row_uint64_t(d, s, n, st); break;
    case 16: gather_row_u128(d, s, n, st); break;
    default: gather_row_bytes(d, s, n, st, es); break;
    }
}

void onnxbn_fill(void *dst, size_t es, int64_t n, const void *value)
{
    if (n <= 0)
        return;
    switch (es) {
    case 1: fill_uint8_t(dst, *(const uint8_t *)value, n); return;
    case 2: { uint16_t v; memcpy(&v, value, 2); fill_uint16_t(dst, v, n); return; }
    case 4: { uint32_t v; memcpy(&v, value, 4); fill_uint32_t(dst, v, n); return; }
    case 8: { uint64_t v; memcpy(&v, value, 8); fill_uint64_t(dst, v, n); return; }
    case 16: { u128 v; memcpy(&v, value, 16); fill_u128(dst, v, n); return; }
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy((uint8_t *)dst + (size_t)i * es, value, es);
    }
}

#ifdef MV_X86
/* 4-byte elements at AVX2 (and above): 8x8 tiles transposed in registers, which the scalar tile
 * loop cannot be vectorised into (ConvNeXt's NCHW <-> NHWC Transposes around each LayerNorm). */
#define TR_AVX2 __attribute__((target("avx2")))

/* d[i·dst_a + j] = s[i + j·src_b] for i, j < 8. */
static inline TR_AVX2 void tile8(float *d, int64_t dst_a, const float *s, int64_t src_b)
{
    __m256 r[8], t[8], u[8];
    for (int j = 0; j < 8; j++)
        r[j] = _mm256_loadu_ps(s + j * src_b);
    for (int j = 0; j < 8; j += 2) {
        t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {
        u[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
        u[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
        u[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        u[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(d + i * dst_a, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(d + (i + 4) * dst_a, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
    }
}

/* As transpose_uint32_t; whole 8x8 tiles in registers, 16 source columns (a cache line) a sweep
 * so that each line read is used whole, and the ragged edges by the scalar loop. */
static TR_AVX2 void transpose4_avx2(uint32_t *d, int64_t dst_a, const uint32_t *s, int64_t src_b,
                                    int64_t na, int64_t nb)
{
    const int64_t na8 = na & ~(int64_t)7, nb8 = nb & ~(int64_t)7;
    float *df = (float *)d;
    const float *sf = (const float *)s;
    for (int64_t a0 = 0; a0 < na8; a0 += 16) {
        const int64_t a1 = a0 + 16 <= na8 ? a0 + 16 : na8;
        for (int64_t b0 = 0; b0 < nb8; b0 += 8)
            for (int64_t a = a0; a < a1; a += 8)
                tile8(df + a * dst_a + b0, dst_a, sf + a + b0 * src_b, src_b);
    }
    for (int64_t a = na8; a < na; a++)
        for (int64_t b = 0; b < nb8; b++)
            d[a * dst_a + b] = s[a + b * src_b];
    for (int64_t a = 0; a < na; a++)
        for (int64_t b = nb8; b < nb; b++)
            d[a * dst_a + b] = s[a + b * src_b];
}
#endif

static void transpose_block(void *d, int64_t dst_a, const void *s, int64_t src_b, int64_t na,
                            int64_t nb, size_t es)
{
    switch (es) {
    case 1: transpose_uint8_t(d, dst_a, s, src_b, na, nb); return;
    case 2: transpose_uint16_t(d, dst_a, s, src_b, na, nb); return;
    case 4:
#ifdef MV_X86
        if (na >= 8 && nb >= 8 && onnxbn_isa() >= ONNXBN_ISA_AVX2) {
            transpose4_avx2(d, dst_a, s, src_b, na, nb);
            return;
        }
#endif
        transpose_uint32_t(d, dst_a, s, src_b, na, nb);
        return;
    case 8: transpose_uint64_t(d, dst_a, s, src_b, na, nb); return;
    case 16: transpose_u128(d, dst_a, s, src_b, na, nb); return;
    default:
        for (int64_t a = 0; a < na; a++)
            for (int64_t b = 0; b < nb; b++)
                memcpy((uint8_t *)d + (size_t)(a * dst_a + b) * es,
                       (const uint8_t *)s + (size_t)(a + b * src_b) * es, es);
    }
}

/* ---- strided copy ---- */

void onnxbn_copy_plan_init(onnxbn_copy_plan *p, size_t es, int rank, const int64_t *dims,
                           const int64_t *strides)
{
    int64_t dense[ONNXBN_MAX_RANK];
    int64_t acc = 1;
    for (int d = rank - 1; d >= 0; d--) {
        dense[d] = acc;
        acc *= dims[d];
    }
    memset(p, 0, sizeof *p);
    p->es = es;
    p->numel = acc;
    if (!strides)
        strides = dense;
    int r = 0;
    for (int d = 0; d < rank && acc > 0; d++) {
        if (dims[d] == 1)
            continue;
        /* The axis before walks exactly over this one: one axis of their product. */
        if (r > 0 && p->strides[r - 1] == strides[d] * dims[d]) {
            p->dims[r - 1] *= dims[d];
            p->strides[r - 1] = strides[d];
        } else {
            p->dims[r] = dims[d];
            p->strides[r] = strides[d];
            r++;
        }
    }
    p->rank = r;
}

void onnxbn_copy_plan_run(const onnxbn_copy_plan *p, void *dst, const void *src)
{
    const size_t es = p->es;
    if (p->numel <= 0)
        return;
    if (p->rank == 0) {
        memcpy(dst, src, es);
        return;
    }
    const int last = p->rank - 1;
    const int64_t n = p->dims[last], st = p->strides[last];
    uint8_t *d = dst;
    const uint8_t *s = src;

    /* A source axis with stride 1 that is not the output's last: a transpose of (that, last). */
    int j = -1;
    if (st != 1 && st != 0)
        for (int q = 0; q < last; q++)
            if (p->strides[q] == 1)
                j = q;
    if (j >= 0) {
        int64_t dense[ONNXBN_MAX_RANK], acc = 1;
        for (int q = last; q >= 0; q--) {
            dense[q] = acc;
            acc *= p->dims[q];
        }
        walk w = {0};
        for (int q = 0; q < last; q++)
            if (q != j) {
                w.n[w.k] = p->dims[q];
                w.ss[w.k] = p->strides[q];
                w.ds[w.k] = dense[q];
                w.k++;
            }
        walk_start(&w);
        for (int64_t it = 0; it < w.count; it++) {
            transpose_block(d + (size_t)w.doff * es, dense[j], s + w.soff * (int64_t)es, st,
                            p->dims[j], n, es);
            walk_next(&w);
        }
        return;
    }

    walk w = {0};
    for (int q = 0; q < last; q++) {
        w.n[w.k] = p->dims[q];
        w.ss[w.k] = p->strides[q];
        w.ds[w.k] = 0;
        w.k++;
    }
    walk_start(&w);
    const size_t row = (size_t)n * es;
    for (int64_t it = 0; it < w.count; it++, d += row) {
        const uint8_t *sr = s + w.soff * (int64_t)es;
        if (st == 1)
            memcpy(d, sr, row);
        else if (st == 0)
            onnxbn_fill(d, es, n, sr);
        else
            gather_row(d, sr, n, st, es);
        walk_next(&w);
    }
}

void onnxbn_transpose_strides(int rank, const int64_t *in_dims, const int64_t *perm,
                              int64_t *strides)
{
    int64_t dense[ONNXBN_MAX_RANK], acc = 1;
    for (int d = rank - 1; d >= 0; d--) {
        dense[d] = acc;
        acc *= in_dims[d];
    }
    for (int k = 0; k < rank; k++)
        strides[k] = dense[perm[k]];
}

/* ---- copies through per-axis coordinate rules ---- */

int64_t onnxbn_axis_source(const onnxbn_axis_rule *r, int64_t o, int64_t n)
{
    const int64_t i = o - r->shift;
    if (i >= 0 && i < n)
        return i;
    if (n <= 0 || r->mode == ONNXBN_AXIS_FILL)
        return -1;
    if (r->mode == ONNXBN_AXIS_CLAMP || n == 1)
        return i < 0 ? 0 : n - 1;
    if (r->mode == ONNXBN_AXIS_WRAP) {
        const int64_t m = i % n;
        return m < 0 ? m + n : m;
    }
    const int64_t p = 2 * (n - 1);
    int64_t m = i % p;
    if (m < 0)
        m += p;
    return m < n ? m : p - m;
}

/* Appends segment (o, len, src, step) when it is not empty. */
static void emit(int64_t *buf, int64_t *count, int64_t o, int64_t len, int64_t src, int64_t step)
{
    if (len <= 0)
        return;
    if (buf) {
        int64_t *g = buf + 4 * *count;
        g[0] = o;
        g[1] = len;
        g[2] = src;
        g[3] = step;
    }
    (*count)++;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The last axis as segments, written to buf when it is not NULL; returns their count. FILL and
 * CLAMP give at most three (before, inside, after) whatever the pads; WRAP and REFLECT repeat with
 * a period of at most 2n, so only the first period is described and *period says to repeat it.
 * Work and memory are thus bounded by the input's row, not by the output's. */
static int64_t segments(const onnxbn_remap_plan *p, int64_t *buf, int64_t *period)
{
    const int last = p->rank - 1;
    const onnxbn_axis_rule *r = &p->rule[last];
    const int64_t n = p->out_dims[last], in = p->in_dims[last], shift = r->shift;
    int64_t count = 0;
    *period = 0;
    int mode = r->mode;
    if (in == 0)
        mode = ONNXBN_AXIS_FILL;
    else if (in == 1 && mode == ONNXBN_AXIS_REFLECT)
        mode = ONNXBN_AXIS_CLAMP;
    if (mode == ONNXBN_AXIS_FILL || mode == ONNXBN_AXIS_CLAMP) {
        /* inside: o in [shift, shift + in) ∩ [0, n); shift and in are far below 2^62 */
        const int64_t a = clamp64(shift, 0, n), b = clamp64(shift + in, a, n);
        const bool fill = mode == ONNXBN_AXIS_FILL;
        emit(buf, &count, 0, a, fill ? -1 : 0, 0);
        emit(buf, &count, a, b - a, a - shift, 1);
        emit(buf, &count, b, n - b, fill ? -1 : in - 1, 0);
        return count;
    }
    const int64_t per = mode == ONNXBN_AXIS_WRAP ? in : 2 * (in - 1);
    const int64_t m = n < per ? n : per;
    if (n > per)
        *period = per;
    for (int64_t o = 0; o < m;) {
        const int64_t s0 = onnxbn_axis_source(r, o, in);
        int64_t e = o + 1, step = 0;
        if (e < m) {
            step = onnxbn_axis_source(r, e, in) - s0;
            if (step < -1 || step > 1)
                step = 0;
            else
                for (e++; e < m && onnxbn_axis_source(r, e, in) == s0 + step * (e - o); e++)
                    ;
        }
        emit(buf, &count, o, e - o, s0, step);
        o = e;
    }
    return count;
}

void onnxbn_remap_init(onnxbn_remap_plan *p, size_t es, int rank, const int64_t *in_dims,
                       const int64_t *out_dims, const onnxbn_axis_rule *rules)
{
    memset(p, 0, sizeof *p);
    p->es = es;
    p->rank = rank;
    int64_t acc = 1;
    for (int d = rank - 1; d >= 0; d--) {
        p->in_dims[d] = in_dims[d];
        p->out_dims[d] = out_dims[d];
        p->rule[d] = rules[d];
        p->in_strides[d] = acc;
        acc *= in_dims[d];
    }
    p->n_segs = rank > 0 ? segments(p, NULL, &p->period) : 0;
}

void onnxbn_remap_segments(onnxbn_remap_plan *p, int64_t *buf)
{
    if (p->rank > 0)
        segments(p, buf, &p->period);
    p->segs = buf;
}

void onnxbn_remap_run(const onnxbn_remap_plan *p, void *dst, const void *src, const void *fill)
{
    const size_t es = p->es;
    const int r = p->rank;
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t rows = 1;
    for (int d = 0; d < r; d++) {
        if (p->out_dims[d] == 0)
            return;
        if (d < r - 1)
            rows *= p->out_dims[d];
    }
    const int64_t n = p->out_dims[r - 1];
    int64_t idx[ONNXBN_MAX_RANK] = {0};
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (int64_t it = 0; it < rows; it++, d += (size_t)n * es) {
        int64_t off = 0;
        bool hole = false;
        for (int q = 0; q < r - 1 && !hole; q++) {
            const int64_t i = onnxbn_axis_source(&p->rule[q], idx[q], p->in_dims[q]);
            hole = i < 0;
            off += i * p->in_strides[q];
        }
        if (hole) {
            onnxbn_fill(d, es, n, fill);
        } else {
            const uint8_t *row = s + off * (int64_t)es;
            for (int64_t k = 0; k < p->n_segs; k++) {
                const int64_t *g = p->segs + 4 * k;
                uint8_t *dr = d + (size_t)g[0] * es;
                if (g[2] < 0)
                    onnxbn_fill(dr, es, g[1], fill);
                else if (g[3] == 1)
                    memcpy(dr, row + g[2] * (int64_t)es, (size_t)g[1] * es);
                else if (g[3] == 0)
                    onnxbn_fill(dr, es, g[1], row + g[2] * (int64_t)es);
                else
                    gather_row(dr, row + g[2] * (int64_t)es, g[1], -1, es);
            }
            /* a periodic row: the first period doubled until the row is full */
            for (int64_t have = p->period; have > 0 && have < n; have *= 2) {
                const int64_t take = have < n - have ? have : n - have;
                memcpy(d + (size_t)have * es, d, (size_t)take * es);
            }
        }
        for (int q = r - 2; q >= 0; q--) {
            if (++idx[q] < p->out_dims[q])
                break;
            idx[q] = 0;
        }
    }
}

/* ---- gather, rows ---- */

void onnxbn_gather(void *dst, const void *src, size_t es, int64_t outer, int64_t n, int64_t inner,
                   const void *idx, bool idx64, int64_t n_idx)
{
    const int64_t *i64 = idx;
    const int32_t *i32 = idx;
    const size_t block = (size_t)inner * es;
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (int64_t o = 0; o < outer; o++) {
        const uint8_t *base = s + (size_t)o * (size_t)n * block;
        if (inner == 1 && (es == 4 || es == 8)) {
            for (int64_t k = 0; k < n_idx; k++) {
                int64_t i = idx64 ? i64[k] : i32[k];
                if (i < 0)
                    i += n;
                if (es == 4)
                    ((uint32_t *)d)[k] = ((const uint32_t *)base)[i];
                else
                    ((uint64_t *)d)[k] = ((const uint64_t *)base)[i];
            }
            d += (size_t)n_idx * es;
            continue;
        }
        for (int64_t k = 0; k < n_idx; k++, d += block) {
            int64_t i = idx64 ? i64[k] : i32[k];
            if (i < 0)
                i += n;
            memcpy(d, base + (size_t)i * block, block);
        }
    }
}

void onnxbn_copy_rows(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                      int64_t rows, size_t bytes)
{
    if (!bytes)
        return;
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (int64_t i = 0; i < rows; i++, d += dst_pitch, s += src_pitch)
        memcpy(d, s, bytes);
}
