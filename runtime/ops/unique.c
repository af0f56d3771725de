/* SPDX-License-Identifier: Apache-2.0 */
/* unique.c — Unique 11: the distinct elements (or slices along an axis) sorted, or in order of first
 * appearance, with first indices, inverse indices and counts; how many is known only after the run. */
#include <string.h>

#include "kernels/sort.h"
#include "shapeops.h"

static const onnxbn_attr_spec unique_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 11, 0},
    {"sorted", ONNXBN_ATTR_INT, false, 11, 0},
    {NULL, 0, false, 0, 0},
};

#define UNIQUE_TYPES                                                                            \
    (MV_NUMERIC | MV_T(ONNXBN_BOOL) | MV_T(ONNXBN_STRING) | MV_T(ONNXBN_COMPLEX64) |            \
     MV_T(ONNXBN_COMPLEX128))

typedef struct unique_cfg {
    bool has_axis, sorted;
    int axis;
    int64_t outer, n, inner; /* slices: n of them, each outer x inner elements */
} unique_cfg;

static onnxbn_status unique_cfg_get(const onnxbn_kctx *c, unique_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    int64_t axis, sorted;
    onnxbn_status st;
    memset(g, 0, sizeof *g);
    if ((st = onnxbn_mv_check_type(c, 0, "X", UNIQUE_TYPES)) ||
        (st = onnxbn_attr_int(c, "axis", 0, &axis)) ||
        (st = onnxbn_attr_int(c, "sorted", 1, &sorted)))
        return st;
    g->sorted = sorted != 0;
    g->has_axis = onnxbn_attr_has(c, "axis");
    g->outer = g->inner = 1;
    if (!g->has_axis) {
        g->n = x->numel;
        return ONNXBN_OK;
    }
    if ((st = onnxbn_mv_axis(c, axis, x->rank, "axis", &g->axis)))
        return st;
    g->n = x->dims[g->axis];
    for (int d = 0; d < g->axis; d++)
        g->outer *= x->dims[d];
    for (int d = g->axis + 1; d < x->rank; d++)
        g->inner *= x->dims[d];
    return ONNXBN_OK;
}

/* Scratch in int64 words: the slices gathered as rows, then six arrays of n indices. */
static bool scratch_words(const onnxbn_tensor *x, int64_t n, size_t *words)
{
    size_t rows = (x->nbytes + 7) / 8, idx;
    return onnxbn_mul_size((size_t)n, 6, &idx) && onnxbn_add_size(rows, idx, words) &&
           onnxbn_mul_size(*words, 8, &idx);
}

static onnxbn_status unique_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    unique_cfg g;
    onnxbn_status st = unique_cfg_get(c, &g);
    if (st)
        return st;
    if (!x->data && x->numel > 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "input 'X' ('%.100s') is known only at run time: the output shape depends on input values",
                                mv_in_name(c, 0));
    /* Upper bounds (every slice distinct); run() shrinks them to the distinct count. */
    int64_t ydims[ONNXBN_MAX_RANK], n1[1] = {g.n};
    int yrank = 1;
    if (g.has_axis) {
        memcpy(ydims, x->dims, sizeof ydims);
        yrank = x->rank;
    } else {
        ydims[0] = g.n;
    }
    size_t words;
    if ((st = onnxbn_mv_set_out(c, 0, x->dtype, yrank, ydims)) ||
        (st = onnxbn_mv_set_out(c, 1, ONNXBN_INT64, 1, n1)) ||
        (st = onnxbn_mv_set_out(c, 2, ONNXBN_INT64, 1, n1)) ||
        (st = onnxbn_mv_set_out(c, 3, ONNXBN_INT64, 1, n1)))
        return st;
    if (!scratch_words(x, g.n, &words))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "input 'X' is too large for the scratch size");
    c->workspace = words * 8;
    return ONNXBN_OK;
}

/* Element order: numbers ascending, NaN after every number and equal to NaN (numpy's sort, and
 * its unique with equal_nan); complex numbers by real part, then imaginary part. */
#define CMP_NUM(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : (a) == (b) ? 0 : ((a) != (a)) - ((b) != (b)))

typedef struct rows_ctx {
    onnxbn_dtype t;
    const uint8_t *rows;
    int64_t len; /* elements a row */
    size_t es;
} rows_ctx;

static int cmp_elem(onnxbn_dtype t, const void *pa, const void *pb)
{
    switch (t) {
#define CASE(DT, T)                                                                                \
    case DT: {                                                                                     \
        T a, b;                                                                                    \
        memcpy(&a, pa, sizeof a);                                                                  \
        memcpy(&b, pb, sizeof b);                                                                  \
        return CMP_NUM(a, b);                                                                      \
    }
        CASE(ONNXBN_FLOAT, float)
        CASE(ONNXBN_DOUBLE, double)
        CASE(ONNXBN_INT8, int8_t)
        CASE(ONNXBN_INT16, int16_t)
        CASE(ONNXBN_INT32, int32_t)
        CASE(ONNXBN_INT64, int64_t)
        CASE(ONNXBN_UINT8, uint8_t)
        CASE(ONNXBN_BOOL, uint8_t)
        CASE(ONNXBN_UINT16, uint16_t)
        CASE(ONNXBN_UINT32, uint32_t)
        CASE(ONNXBN_UINT64, uint64_t)
#undef CASE
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16: {
        uint16_t ha, hb;
        memcpy(&ha, pa, 2);
        memcpy(&hb, pb, 2);
        const float a = t == ONNXBN_FLOAT16 ? onnxbn_half_to_float(ha) : onnxbn_bf16_to_float(ha);
        const float b = t == ONNXBN_FLOAT16 ? onnxbn_half_to_float(hb) : onnxbn_bf16_to_float(hb);
        return CMP_NUM(a, b);
    }
    case ONNXBN_STRING: { /* bytes in order, then length: UTF-8 byte order is code point order,
                             as numpy sorts str */
        onnxbn_string a, b;
        memcpy(&a, pa, sizeof a);
        memcpy(&b, pb, sizeof b);
        size_t n = a.len < b.len ? a.len : b.len;
        int r = n ? memcmp(a.data, b.data, n) : 0;
        return r ? (r < 0 ? -1 : 1) : CMP_NUM(a.len, b.len);
    }
    case ONNXBN_COMPLEX64: {
        int r = cmp_elem(ONNXBN_FLOAT, pa, pb);
        return r ? r : cmp_elem(ONNXBN_FLOAT, (const float *)pa + 1, (const float *)pb + 1);
    }
    case ONNXBN_COMPLEX128: {
        int r = cmp_elem(ONNXBN_DOUBLE, pa, pb);
        return r ? r : cmp_elem(ONNXBN_DOUBLE, (const double *)pa + 1, (const double *)pb + 1);
    }
    default:
        return 0;
    }
}

/* Rows a and b lexicographically (numpy's unique with an axis compares the slices so). */
static int cmp_rows(const void *ctx, int64_t a, int64_t b)
{
    const rows_ctx *r = ctx;
    const size_t row = (size_t)r->len * r->es;
    const uint8_t *pa = r->rows + (size_t)a * row, *pb = r->rows + (size_t)b * row;
    for (int64_t k = 0; k < r->len; k++) {
        int d = cmp_elem(r->t, pa + (size_t)k * r->es, pb + (size_t)k * r->es);
        if (d)
            return d;
    }
    return 0;
}

/* First indices ascending (all distinct). */
static int cmp_first(const void *ctx, int64_t a, int64_t b)
{
    const int64_t *f = ctx;
    return f[a] < f[b] ? -1 : f[a] > f[b];
}

static onnxbn_status unique_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    unique_cfg g;
    onnxbn_status st = unique_cfg_get(c, &g);
    if (st)
        return st;
    size_t words;
    ONNXBN_CHECK(scratch_words(x, g.n, &words) && words * 8 <= c->workspace, c->err);
    ONNXBN_CHECK(onnxbn_dtype_size(x->dtype) > 0, c->err);
    const size_t es = onnxbn_dtype_size(x->dtype);
    const int64_t n = g.n, len = g.outer * g.inner;
    if (n == 0)
        return ONNXBN_OK; /* infer's shapes are the exact ones: nothing in, nothing out */
    uint8_t *rows = c->scratch;
    int64_t *perm = (int64_t *)c->scratch + (x->nbytes + 7) / 8;
    int64_t *tmp = perm + n, *gid = tmp + n, *first = gid + n, *cnt = first + n, *pos = cnt + n;
    /* Slice j as row j: element (o, i) of it is X[o][j][i]. */
    for (int64_t o = 0; o < g.outer && g.inner > 0; o++)
        for (int64_t j = 0; j < n; j++)
            memcpy(rows + ((size_t)(j * len + o * g.inner)) * es,
                   (const uint8_t *)x->data + ((size_t)((o * n + j) * g.inner)) * es,
                   (size_t)g.inner * es);
    const rows_ctx rc = {x->dtype, rows, len, es};
    for (int64_t j = 0; j < n; j++)
        perm[j] = j;
    /* Stable, so the first of equal slices is the first of its run: that is its first index. */
    onnxbn_sort_idx(perm, n, tmp, cmp_rows, &rc);
    int64_t u = 0;
    for (int64_t k = 0; k < n; k++) {
        if (k == 0 || cmp_rows(&rc, perm[k - 1], perm[k])) {
            first[u] = perm[k];
            cnt[u++] = 0;
        }
        cnt[u - 1]++;
        gid[perm[k]] = u - 1;
    }
    /* pos[group]: its place in the output; unsorted keeps the order of first appearance. */
    for (int64_t q = 0; q < u; q++)
        tmp[q] = q;
    if (!g.sorted)
        onnxbn_sort_idx(tmp, u, perm, cmp_first, first);
    for (int64_t q = 0; q < u; q++)
        pos[tmp[q]] = q;
    onnxbn_tensor *y = onnxbn_out(c, 0), *yi = onnxbn_out(c, 1), *yv = onnxbn_out(c, 2),
                  *yc = onnxbn_out(c, 3);
    int64_t ydims[ONNXBN_MAX_RANK];
    int yrank = 1;
    if (g.has_axis) {
        memcpy(ydims, x->dims, sizeof ydims);
        ydims[g.axis] = u;
        yrank = x->rank;
    } else {
        ydims[0] = u;
    }
    const int64_t u1[1] = {u};
    if (y) {
        if ((st = onnxbn_out_shrink(c, 0, yrank, ydims)))
            return st;
        for (int64_t q = 0; q < u; q++) {
            const int64_t p = pos[q], f = first[q];
            for (int64_t o = 0; o < g.outer && g.inner > 0; o++)
                memcpy((uint8_t *)y->data + ((size_t)((o * u + p) * g.inner)) * es,
                       (const uint8_t *)x->data + ((size_t)((o * n + f) * g.inner)) * es,
                       (size_t)g.inner * es);
        }
    }
    if (yi) {
        if ((st = onnxbn_out_shrink(c, 1, 1, u1)))
            return st;
        for (int64_t q = 0; q < u; q++)
            ((int64_t *)yi->data)[pos[q]] = first[q];
    }
    if (yv)
        for (int64_t j = 0; j < n; j++)
            ((int64_t *)yv->data)[j] = pos[gid[j]];
    if (yc) {
        if ((st = onnxbn_out_shrink(c, 3, 1, u1)))
            return st;
        for (int64_t q = 0; q < u; q++)
            ((int64_t *)yc->data)[pos[q]] = cnt[q];
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_unique = {
    .attrs = unique_attrs,
    .infer = unique_infer,
    .run = unique_run,
};
