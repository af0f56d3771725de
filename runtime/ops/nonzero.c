/* SPDX-License-Identifier: Apache-2.0 */
/* nonzero.c — operators whose output size is the count of selected elements: NonZero (indices of
 * the non-zero elements) and Compress (slices kept by a boolean condition). Both run deferred. */
#include <string.h>

#include "shapeops.h"

/* Their shapes are counted from the data, so infer needs it: the planner defers these nodes to
 * the run (schema/ops.def, DYNAMIC), where every input has data. */
static onnxbn_status need_data(const onnxbn_kctx *c, int i)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    if (t->numel && !t->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "output shape depends on input values: input '%.100s' is not "
                                "known before the run", mv_in_name(c, i));
    return ONNXBN_OK;
}

/* ---- NonZero ---- */

/* What zero is, per element type: an element is `parts` unsigned words of one width, and it is
 * non-zero when a word has a bit of `mask` set. Integers and bool: any bit. Floats: any bit but
 * the sign, so -0 is zero and NaN is not (x != 0). Complex: either part. */
typedef struct zero_rule {
    int width; /* bytes per word: 1, 2, 4, 8 */
    int parts; /* 1, or 2 for complex */
    uint64_t mask;
} zero_rule;

static zero_rule zero_rule_of(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16: return (zero_rule){2, 1, 0x7fff};
    case ONNXBN_FLOAT: return (zero_rule){4, 1, 0x7fffffff};
    case ONNXBN_DOUBLE: return (zero_rule){8, 1, UINT64_MAX >> 1};
    case ONNXBN_COMPLEX64: return (zero_rule){4, 2, 0x7fffffff};
    case ONNXBN_COMPLEX128: return (zero_rule){8, 2, UINT64_MAX >> 1};
    default: break;
    }
    const int w = (int)onnxbn_dtype_size(t); /* 1, 2, 4, 8: strings never come here */
    return (zero_rule){w, 1, w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1};
}

/* count_W: the non-zero elements among n. fill_W: for rows of `inner` elements, row r with outer
 * coordinates idx (advanced here), writes each non-zero element's coordinates as column j of
 * y[rank][nnz]; returns how many it wrote (never more than nnz). */
#define NZ_KERNELS(W, T)                                                                           \
    static int64_t count_##W(const T *x, int64_t n, T m, int parts)                                \
    {                                                                                              \
        int64_t k = 0;                                                                             \
        if (parts == 1)                                                                            \
            for (int64_t i = 0; i < n; i++)                                                        \
                k += (x[i] & m) != 0;                                                              \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++)                                                        \
                k += ((x[2 * i] | x[2 * i + 1]) & m) != 0;                                         \
        return k;                                                                                  \
    }                                                                                              \
    static int64_t fill_##W(const T *x, T m, int parts, int rank, const int64_t *dims,             \
                            int64_t rows, int64_t *y, int64_t nnz)                                 \
    {                                                                                              \
        const int64_t inner = dims[rank - 1];                                                      \
        int64_t idx[ONNXBN_MAX_RANK] = {0}, j = 0;                                                 \
        for (int64_t r = 0; r < rows; r++, x += inner * parts) {                                   \
            for (int64_t i = 0; i < inner; i++) {                                                  \
                const T v = parts == 1 ? x[i] : (T)(x[2 * i] | x[2 * i + 1]);                      \
                if (!(v & m) || j == nnz)                                                          \
                    continue;                                                                      \
                for (int d = 0; d < rank - 1; d++)                                                 \
                    y[d * nnz + j] = idx[d];                                                       \
                y[(int64_t)(rank - 1) * nnz + j] = i;                                              \
                j++;                                                                               \
            }                                                                                      \
            for (int d = rank - 2; d >= 0 && ++idx[d] == dims[d]; d--)                             \
                idx[d] = 0;                                                                        \
        }                                                                                          \
        return j;                                                                                  \
    }

NZ_KERNELS(8, uint8_t)
NZ_KERNELS(16, uint16_t)
NZ_KERNELS(32, uint32_t)
NZ_KERNELS(64, uint64_t)

/* A string is non-zero when it is not empty: numpy's truth, which the spec's reference follows. */
static int64_t fill_str(const onnxbn_string *x, int rank, const int64_t *dims, int64_t rows,
                        int64_t *y, int64_t nnz)
{
    const int64_t inner = dims[rank - 1];
    int64_t idx[ONNXBN_MAX_RANK] = {0}, j = 0;
    for (int64_t r = 0; r < rows; r++, x += inner) {
        for (int64_t i = 0; i < inner && j < nnz; i++) {
            if (!x[i].len)
                continue;
            for (int d = 0; d < rank - 1; d++)
                y[d * nnz + j] = idx[d];
            y[(int64_t)(rank - 1) * nnz + j++] = i;
        }
        for (int d = rank - 2; d >= 0 && ++idx[d] == dims[d]; d--)
            idx[d] = 0;
    }
    return j;
}

static int64_t count_nonzero(const onnxbn_tensor *x)
{
    if (x->dtype == ONNXBN_STRING) {
        const onnxbn_string *s = x->data;
        int64_t k = 0;
        for (int64_t i = 0; i < x->numel; i++)
            k += s[i].len != 0;
        return k;
    }
    const zero_rule z = zero_rule_of(x->dtype);
    switch (z.width) {
    case 1: return count_8(x->data, x->numel, (uint8_t)z.mask, z.parts);
    case 2: return count_16(x->data, x->numel, (uint16_t)z.mask, z.parts);
    case 4: return count_32(x->data, x->numel, (uint32_t)z.mask, z.parts);
    default: return count_64(x->data, x->numel, z.mask, z.parts);
    }
}

static onnxbn_status nonzero_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "X", c->version >= 13 ? MV_ALL : MV_ALL12);
    if (!st)
        st = need_data(c, 0);
    if (st)
        return st;
    /* a scalar gives [0, N], not numpy's [1, N]: the spec says so */
    const int64_t dims[2] = {x->rank, x->numel ? count_nonzero(x) : 0};
    return onnxbn_mv_set_out(c, 0, ONNXBN_INT64, 2, dims);
}

static onnxbn_status nonzero_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const int64_t nnz = y->dims[1];
    if (x->rank == 0 || nnz == 0)
        return ONNXBN_OK; /* no element to write */
    const zero_rule z = zero_rule_of(x->dtype);
    const int64_t rows = x->numel / x->dims[x->rank - 1];
    int64_t got;
    switch (x->dtype == ONNXBN_STRING ? 0 : z.width) {
    case 0: got = fill_str(x->data, x->rank, x->dims, rows, y->data, nnz); break;
    case 1: got = fill_8(x->data, (uint8_t)z.mask, z.parts, x->rank, x->dims, rows, y->data, nnz); break;
    case 2: got = fill_16(x->data, (uint16_t)z.mask, z.parts, x->rank, x->dims, rows, y->data, nnz); break;
    case 4: got = fill_32(x->data, (uint32_t)z.mask, z.parts, x->rank, x->dims, rows, y->data, nnz); break;
    default: got = fill_64(x->data, z.mask, z.parts, x->rank, x->dims, rows, y->data, nnz); break;
    }
    ONNXBN_CHECK(got == nnz, c->err); /* infer counted the same data */
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_nonzero = {
    .infer = nonzero_infer,
    .run = nonzero_run,
};

/* ---- Compress ---- */

static const onnxbn_attr_spec compress_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* The axis compressed (-1: the flattened input) and the input's outer count, length along it and
 * bytes per slice. */
typedef struct compress_geom {
    int axis;
    int64_t outer, len;
    size_t slice;
} compress_geom;

static onnxbn_status compress_geometry(const onnxbn_kctx *c, compress_geom *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    g->axis = -1;
    g->outer = 1;
    g->len = x->numel;
    g->slice = onnxbn_dtype_size(x->dtype);
    if (!onnxbn_attr_has(c, "axis"))
        return ONNXBN_OK;
    int64_t axis;
    onnxbn_status st = onnxbn_attr_int(c, "axis", 0, &axis);
    if (!st)
        st = onnxbn_mv_axis(c, axis, x->rank, "attribute 'axis'", &g->axis);
    if (st)
        return st;
    g->len = x->dims[g->axis];
    for (int d = 0; d < g->axis; d++)
        g->outer *= x->dims[d];
    for (int d = g->axis + 1; d < x->rank; d++)
        g->slice *= (size_t)x->dims[d]; /* within the input's nbytes: no overflow */
    return ONNXBN_OK;
}

static onnxbn_status compress_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *cond = onnxbn_in(c, 1);
    compress_geom g;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", MV_ALL12);
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "condition", MV_T(ONNXBN_BOOL));
    if (st)
        return st;
    if (x->rank < 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') is a scalar; Compress takes rank 1 or more",
                                mv_in_name(c, 0));
    if (cond->rank != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'condition' ('%.100s') has rank %d, expected a 1-D tensor",
                                mv_in_name(c, 1), cond->rank);
    if ((st = compress_geometry(c, &g)) || (st = need_data(c, 1)))
        return st;
    /* A condition shorter than the axis drops the rest (the spec); a longer one may only hold
     * false there, as numpy.compress, which the spec follows, refuses a selected index past it. */
    const uint8_t *keep = cond->data;
    int64_t n = 0;
    for (int64_t k = 0; k < cond->numel; k++) {
        if (!keep[k])
            continue;
        if (k >= g.len)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input 'condition' ('%.100s') selects index %lld, but the input "
                                    "has %lld %s", mv_in_name(c, 1), (long long)k,
                                    (long long)g.len, g.axis < 0 ? "elements" : "along the axis");
        n++;
    }
    int64_t dims[ONNXBN_MAX_RANK];
    if (g.axis < 0)
        return onnxbn_mv_set_out(c, 0, x->dtype, 1, &n);
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[g.axis] = n;
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, dims);
}

/* Each run of selected slices is one copy per outer index. */
static onnxbn_status compress_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *cond = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    compress_geom g;
    onnxbn_status st = compress_geometry(c, &g);
    if (st || !y->nbytes)
        return st;
    const uint8_t *keep = cond->data, *src = x->data;
    uint8_t *dst = y->data;
    const int64_t lim = cond->numel < g.len ? cond->numel : g.len;
    for (int64_t o = 0; o < g.outer; o++) {
        const uint8_t *row = src + (size_t)(o * g.len) * g.slice;
        for (int64_t k = 0; k < lim;) {
            if (!keep[k]) {
                k++;
                continue;
            }
            int64_t e = k + 1;
            while (e < lim && keep[e])
                e++;
            const size_t bytes = (size_t)(e - k) * g.slice;
            ONNXBN_CHECK(dst + bytes <= (uint8_t *)y->data + y->nbytes, c->err);
            memcpy(dst, row + (size_t)k * g.slice, bytes);
            dst += bytes;
            k = e;
        }
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_compress = {
    .attrs = compress_attrs,
    .infer = compress_infer,
    .run = compress_run,
};
