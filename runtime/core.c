/* SPDX-License-Identifier: Apache-2.0 */
/* core.c — errors, aligned memory, checked sizes, element conversions and TensorProto decoding
 * (raw, typed fields, external files), shared by all rooms. Nothing here knows about graphs. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"

const char *onnxbn_version(void) { return ONNXBN_VERSION; }

const char *onnxbn_status_name(onnxbn_status s)
{
    switch (s) {
    case ONNXBN_OK: return "ok";
    case ONNXBN_ERR_ARG: return "bad argument";
    case ONNXBN_ERR_IO: return "i/o error";
    case ONNXBN_ERR_PARSE: return "parse error";
    case ONNXBN_ERR_MODEL: return "invalid model";
    case ONNXBN_ERR_UNSUPPORTED: return "unsupported";
    case ONNXBN_ERR_SHAPE: return "shape error";
    case ONNXBN_ERR_TYPE: return "type error";
    case ONNXBN_ERR_NOMEM: return "out of memory";
    case ONNXBN_ERR_LIMIT: return "limit exceeded";
    case ONNXBN_ERR_INTERNAL: return "internal error";
    case ONNXBN_ERR_CANCELLED: return "cancelled";
    case ONNXBN_ERR_TIMEOUT: return "timed out";
    case ONNXBN_ERR_BUSY: return "busy";
    }
    return "unknown status";
}

const char *onnxbn_dtype_name(onnxbn_dtype t)
{
    static const char *const names[] = {
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string",
        "bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16"};
    if ((unsigned)t < sizeof names / sizeof names[0])
        return names[t];
    return "?";
}

size_t onnxbn_dtype_size(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_BOOL: case ONNXBN_UINT8: case ONNXBN_INT8: return 1;
    case ONNXBN_UINT16: case ONNXBN_INT16: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: return 2;
    case ONNXBN_FLOAT: case ONNXBN_INT32: case ONNXBN_UINT32: return 4;
    case ONNXBN_DOUBLE: case ONNXBN_INT64: case ONNXBN_UINT64: case ONNXBN_COMPLEX64: return 8;
    case ONNXBN_COMPLEX128: return 16;
    case ONNXBN_STRING: return sizeof(onnxbn_string);
    default: return 0;
    }
}

onnxbn_status onnxbn_vfail(onnxbn_error *err, onnxbn_status st, const char *fmt, va_list ap)
{
    if (err) {
        err->status = st;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return st;
}

onnxbn_status onnxbn_fail(onnxbn_error *err, onnxbn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    onnxbn_vfail(err, st, fmt, ap);
    va_end(ap);
    return st;
}

void onnxbn_err_prefix(onnxbn_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char old[ONNXBN_MSG_MAX], pre[ONNXBN_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(err->msg, sizeof err->msg, "%.200s: %.300s", pre, old);
}

onnxbn_status onnxbn_internal_error(onnxbn_error *err, const char *file, int line, const char *cond)
{
    /* __FILE__ is the absolute path the build used; the message wants the path in the tree. */
    static const char *const tops[] = {"/runtime/", "/converter/", "/cli/", "/tests/"};
    const char *rel = file ? file : "?";
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        for (const char *p = file ? strstr(file, tops[i]) : NULL; p; p = strstr(p + 1, tops[i]))
            if (p + 1 > rel)
                rel = p + 1;
    }
    return onnxbn_fail(err, ONNXBN_ERR_INTERNAL, "internal error at %s:%d: %s", rel, line,
                       cond ? cond : "?");
}

void *onnxbn_alloc(size_t n)
{
    void *p = NULL;
    if (n == 0)
        n = 1;
    /* Round up so that vector loops may read a whole last block. */
    if (n > SIZE_MAX - ONNXBN_ALIGN)
        return NULL;
    n = (n + ONNXBN_ALIGN - 1) & ~(size_t)(ONNXBN_ALIGN - 1);
    if (posix_memalign(&p, ONNXBN_ALIGN, n) != 0)
        return NULL;
    return p;
}

void *onnxbn_calloc_aligned(size_t n)
{
    void *p = onnxbn_alloc(n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void onnxbn_free(void *p) { free(p); }

void onnxbn_buffer_free(void *p) { free(p); }

bool onnxbn_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool onnxbn_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}

onnxbn_status onnxbn_tensor_set_shape(onnxbn_tensor *t, onnxbn_dtype dtype, int rank,
                                      const int64_t *dims, onnxbn_error *err)
{
    if (rank < 0 || rank > ONNXBN_MAX_RANK)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "rank %d is beyond the supported %d",
                           rank, ONNXBN_MAX_RANK);
    size_t esz = onnxbn_dtype_size(dtype);
    if (esz == 0)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "element type %s is not supported",
                           onnxbn_dtype_name(dtype));
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return onnxbn_fail(err, ONNXBN_ERR_SHAPE, "dimension %d is negative (%lld)", i,
                               (long long)dims[i]);
        if ((uint64_t)dims[i] > (uint64_t)INT64_MAX || !onnxbn_mul_size(n, (size_t)dims[i], &n) ||
            n > (size_t)INT64_MAX)
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "element count overflows");
    }
    size_t bytes;
    if (!onnxbn_mul_size(n, esz, &bytes))
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "byte size overflows");
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < ONNXBN_MAX_RANK; i++)
        t->dims[i] = i < rank ? dims[i] : 0;
    t->numel = (int64_t)n;
    t->nbytes = bytes;
    return ONNXBN_OK;
}

bool onnxbn_same_shape(const onnxbn_tensor *a, const onnxbn_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

const char *onnxbn_shape_str(const onnxbn_tensor *t, char *buf, size_t cap)
{
    size_t k = 0;
    if (cap == 0)
        return buf;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, cap - k, "[");
    for (int i = 0; i < t->rank && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ",%lld" : "%lld", (long long)t->dims[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, "]");
    return buf;
}

onnxbn_status onnxbn_tensor_init_alloc(onnxbn_tensor *t, onnxbn_dtype dtype, int rank,
                                       const int64_t *dims, onnxbn_error *err)
{
    memset(t, 0, sizeof *t);
    onnxbn_status st = onnxbn_tensor_set_shape(t, dtype, rank, dims, err);
    if (st)
        return st;
    t->data = onnxbn_calloc_aligned(t->nbytes);
    if (!t->data)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", t->nbytes);
    t->owns = true;
    return ONNXBN_OK;
}

void onnxbn_tensor_release(onnxbn_tensor *t)
{
    if (!t)
        return;
    void *data = t->data;
    bool owns = t->owns;
    t->data = NULL;
    t->owns = false;
    if (owns)
        onnxbn_free(data);
}

/* ---- public tensor handles ---- */

onnxbn_status onnxbn_tensor_new(onnxbn_dtype dtype, int rank, const int64_t *dims,
                                onnxbn_tensor **out, onnxbn_error *err)
{
    if (!out || (rank > 0 && !dims))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_new: NULL argument");
    *out = NULL;
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = onnxbn_tensor_init_alloc(t, dtype, rank, dims, err);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_tensor_wrap(onnxbn_dtype dtype, int rank, const int64_t *dims, void *data,
                                 onnxbn_tensor **out, onnxbn_error *err)
{
    if (!out || (rank > 0 && !dims))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_wrap: NULL argument");
    *out = NULL;
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = onnxbn_tensor_set_shape(t, dtype, rank, dims, err);
    if (st) {
        free(t);
        return st;
    }
    if (!data && t->nbytes > 0) {
        size_t nbytes = t->nbytes;
        free(t);
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_wrap: NULL data for %zu bytes",
                           nbytes);
    }
    t->data = data;
    *out = t;
    return ONNXBN_OK;
}

/* ---- sequences and optionals (core.h) ---- */

#define SEQ_ALIGN(x) (((x) + ONNXBN_ALIGN - 1) & ~(size_t)(ONNXBN_ALIGN - 1))

onnxbn_status onnxbn_seq_shape(onnxbn_tensor *t, onnxbn_dtype dtype, size_t n,
                               const onnxbn_tensor *const *elems, onnxbn_error *err)
{
    size_t bytes;
    if (n > (size_t)INT64_MAX / 2 || !onnxbn_mul_size(n, sizeof(onnxbn_tensor), &bytes) ||
        bytes > SIZE_MAX / 2)
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "a sequence of %zu elements is too long", n);
    bytes = SEQ_ALIGN(bytes);
    for (size_t i = 0; i < n; i++)
        if (elems[i]->nbytes > SIZE_MAX / 4 || !onnxbn_add_size(bytes, SEQ_ALIGN(elems[i]->nbytes), &bytes))
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "a sequence of %zu elements is too large", n);
    memset(t, 0, sizeof *t);
    t->kind = ONNXBN_KIND_SEQUENCE;
    t->dtype = dtype;
    t->numel = (int64_t)n;
    t->nbytes = bytes;
    return ONNXBN_OK;
}

void onnxbn_seq_layout(onnxbn_tensor *t, size_t n, const onnxbn_tensor *const *elems)
{
    onnxbn_tensor *h = t->data;
    uint8_t *p = (uint8_t *)t->data + SEQ_ALIGN(n * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        h[i] = *elems[i];
        h[i].kind = ONNXBN_KIND_TENSOR;
        h[i].owns = false;
        h[i].data = p;
        p += SEQ_ALIGN(elems[i]->nbytes);
    }
}

void onnxbn_seq_fill(onnxbn_tensor *t, size_t n, const onnxbn_tensor *const *elems)
{
    /* the sources are read before any header is written: an element may be a header of t */
    uint8_t *p = (uint8_t *)t->data + SEQ_ALIGN(n * sizeof(onnxbn_tensor));
    for (size_t i = 0; i < n; i++) {
        if (elems[i]->nbytes)
            memmove(p, elems[i]->data, elems[i]->nbytes);
        p += SEQ_ALIGN(elems[i]->nbytes);
    }
    onnxbn_seq_layout(t, n, elems);
}

onnxbn_status onnxbn_value_shape_like(onnxbn_tensor *dst, const onnxbn_tensor *src,
                                      onnxbn_error *err)
{
    if (src->kind == ONNXBN_KIND_TENSOR)
        return onnxbn_tensor_set_shape(dst, src->dtype, src->rank, src->dims, err);
    memset(dst, 0, sizeof *dst);
    dst->kind = src->kind;
    dst->dtype = src->dtype;
    dst->numel = src->numel;
    dst->nbytes = src->nbytes;
    return ONNXBN_OK;
}

void onnxbn_value_copy(onnxbn_tensor *dst, const onnxbn_tensor *src)
{
    if (dst->data == src->data || !src->nbytes)
        return;
    if (src->kind != ONNXBN_KIND_SEQUENCE) {
        memcpy(dst->data, src->data, src->nbytes);
        return;
    }
    /* the same layout at another address: the headers' pointers move by the same offset */
    memcpy(dst->data, src->data, src->nbytes);
    onnxbn_tensor *h = dst->data;
    for (int64_t i = 0; i < src->numel; i++)
        h[i].data = (uint8_t *)dst->data + ((const uint8_t *)h[i].data - (const uint8_t *)src->data);
}

const char *onnxbn_kind_name(int kind)
{
    return kind == ONNXBN_KIND_SEQUENCE ? "a sequence" : kind == ONNXBN_KIND_NONE ? "an empty optional"
                                                                                  : "a tensor";
}

onnxbn_kind onnxbn_tensor_kind(const onnxbn_tensor *t)
{
    return t ? (onnxbn_kind)t->kind : ONNXBN_KIND_TENSOR;
}

size_t onnxbn_sequence_length(const onnxbn_tensor *t)
{
    return t && t->kind == ONNXBN_KIND_SEQUENCE ? (size_t)t->numel : 0;
}

const onnxbn_tensor *onnxbn_sequence_at(const onnxbn_tensor *t, size_t i)
{
    return t && t->kind == ONNXBN_KIND_SEQUENCE && i < (size_t)t->numel ? onnxbn_seq_item(t, (int64_t)i)
                                                                         : NULL;
}

onnxbn_status onnxbn_sequence_new(onnxbn_dtype dtype, size_t n, const onnxbn_tensor *const *elems,
                                  onnxbn_tensor **out, onnxbn_error *err)
{
    if (!out || (n && !elems))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_sequence_new: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!elems[i] || elems[i]->kind != ONNXBN_KIND_TENSOR)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_sequence_new: element %zu is not a tensor", i);
        if (elems[i]->dtype != dtype)
            return onnxbn_fail(err, ONNXBN_ERR_TYPE, "onnxbn_sequence_new: element %zu is %s, the sequence %s",
                               i, onnxbn_dtype_name(elems[i]->dtype), onnxbn_dtype_name(dtype));
        if (elems[i]->nbytes && !elems[i]->data)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_sequence_new: element %zu has no data", i);
    }
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = onnxbn_seq_shape(t, dtype, n, elems, err);
    if (!st && !(t->data = onnxbn_alloc(t->nbytes)))
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    if (st) {
        free(t);
        return st;
    }
    t->owns = true;
    onnxbn_seq_fill(t, n, elems);
    *out = t;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_tensor_init_strings(onnxbn_tensor *t, int rank, const int64_t *dims,
                                         onnxbn_string (*get)(const void *src, int64_t i),
                                         const void *src, uint64_t *budget, onnxbn_error *err)
{
    memset(t, 0, sizeof *t);
    onnxbn_status st = onnxbn_tensor_set_shape(t, ONNXBN_STRING, rank, dims, err);
    if (st)
        return st;
    size_t total = t->nbytes;
    for (int64_t i = 0; i < t->numel; i++)
        if (!onnxbn_add_size(total, get(src, i).len, &total))
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "string tensor too large");
    if (budget) {
        if (total > *budget)
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                               "string tensor of %zu bytes is over the memory limit", total);
        *budget -= total;
    }
    /* One block: the handles first, then the bytes they point to, so the tensor is the one owner
     * and one free releases both. */
    char *blk = onnxbn_alloc(total);
    if (!blk)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", total);
    onnxbn_string *h = (onnxbn_string *)blk;
    char *bytes = blk + t->nbytes;
    for (int64_t i = 0; i < t->numel; i++) {
        onnxbn_string s = get(src, i);
        if (s.len)
            memcpy(bytes, s.data, s.len);
        h[i].data = bytes;
        h[i].len = s.len;
        bytes += s.len;
    }
    t->data = blk;
    t->owns = true;
    return ONNXBN_OK;
}

typedef struct {
    const char *const *strs;
    const size_t *lens;
} str_src;

static onnxbn_string from_arrays(const void *src, int64_t i)
{
    const str_src *a = src;
    const char *p = a->strs[i] ? a->strs[i] : "";
    return (onnxbn_string){p, a->lens ? (a->strs[i] ? a->lens[i] : 0) : strlen(p)};
}

onnxbn_status onnxbn_tensor_new_strings(int rank, const int64_t *dims, const char *const *strs,
                                        const size_t *lens, onnxbn_tensor **out, onnxbn_error *err)
{
    if (!out || (rank > 0 && !dims))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_new_strings: NULL argument");
    *out = NULL;
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_tensor probe;
    memset(&probe, 0, sizeof probe);
    onnxbn_status st = onnxbn_tensor_set_shape(&probe, ONNXBN_STRING, rank, dims, err);
    if (!st && probe.numel > 0 && !strs)
        st = onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_new_strings: NULL strings");
    str_src a = {strs, lens};
    if (!st)
        st = onnxbn_tensor_init_strings(t, rank, dims, from_arrays, &a, NULL, err);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_optional_none(onnxbn_dtype dtype, onnxbn_tensor **out, onnxbn_error *err)
{
    if (!out)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_optional_none: NULL argument");
    if (!(*out = calloc(1, sizeof **out)))
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    (*out)->kind = ONNXBN_KIND_NONE;
    (*out)->dtype = dtype;
    return ONNXBN_OK;
}

void onnxbn_tensor_free(onnxbn_tensor *t)
{
    if (!t)
        return;
    onnxbn_tensor_release(t);
    free(t);
}

onnxbn_dtype onnxbn_tensor_dtype(const onnxbn_tensor *t) { return t->dtype; }
int onnxbn_tensor_rank(const onnxbn_tensor *t) { return t->rank; }
const int64_t *onnxbn_tensor_dims(const onnxbn_tensor *t) { return t->dims; }
int64_t onnxbn_tensor_numel(const onnxbn_tensor *t) { return t->numel; }
size_t onnxbn_tensor_nbytes(const onnxbn_tensor *t) { return t->nbytes; }
void *onnxbn_tensor_data(onnxbn_tensor *t) { return t->data; }
const void *onnxbn_tensor_cdata(const onnxbn_tensor *t) { return t->data; }

/* ---- element conversions ---- */

float onnxbn_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            man &= 0x3ff;
            bits = sign | (exp << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t onnxbn_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000u) { /* subnormal or zero in half */
        float a;
        memcpy(&a, &absx, 4);
        /* Scale so that the half subnormal unit (2^-24) becomes 1, round to nearest even. */
        float r = nearbyintf(a * 16777216.0f);
        return (uint16_t)(sign | (uint32_t)r);
    }
    uint32_t e = ((absx >> 23) - 127 + 15), man = absx & 0x7fffff;
    uint32_t h = (e << 10) | (man >> 13);
    uint32_t rest = man & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

float onnxbn_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t onnxbn_float_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

bool onnxbn_dtype_is_numeric(onnxbn_dtype t)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_DOUBLE: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
    case ONNXBN_INT8: case ONNXBN_INT16: case ONNXBN_INT32: case ONNXBN_INT64:
    case ONNXBN_UINT8: case ONNXBN_UINT16: case ONNXBN_UINT32: case ONNXBN_UINT64:
    case ONNXBN_BOOL:
        return true;
    default:
        return false;
    }
}

double onnxbn_get_f64(const onnxbn_tensor *t, int64_t i)
{
    return onnxbn_load_f64(t->dtype, t->data, i);
}

double onnxbn_load_f64(onnxbn_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ONNXBN_FLOAT: return ((const float *)p)[i];
    case ONNXBN_DOUBLE: return ((const double *)p)[i];
    case ONNXBN_FLOAT16: return onnxbn_half_to_float(((const uint16_t *)p)[i]);
    case ONNXBN_BFLOAT16: return onnxbn_bf16_to_float(((const uint16_t *)p)[i]);
    case ONNXBN_INT8: return ((const int8_t *)p)[i];
    case ONNXBN_INT16: return ((const int16_t *)p)[i];
    case ONNXBN_INT32: return ((const int32_t *)p)[i];
    case ONNXBN_INT64: return (double)((const int64_t *)p)[i];
    case ONNXBN_UINT8: case ONNXBN_BOOL: return ((const uint8_t *)p)[i];
    case ONNXBN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXBN_UINT32: return ((const uint32_t *)p)[i];
    case ONNXBN_UINT64: return (double)((const uint64_t *)p)[i];
    default: return 0;
    }
}

void onnxbn_set_f64(onnxbn_tensor *t, int64_t i, double v)
{
    void *p = t->data;
    switch (t->dtype) {
    case ONNXBN_FLOAT: ((float *)p)[i] = (float)v; break;
    case ONNXBN_DOUBLE: ((double *)p)[i] = v; break;
    case ONNXBN_FLOAT16: ((uint16_t *)p)[i] = onnxbn_float_to_half((float)v); break;
    case ONNXBN_BFLOAT16: ((uint16_t *)p)[i] = onnxbn_float_to_bf16((float)v); break;
    case ONNXBN_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case ONNXBN_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case ONNXBN_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case ONNXBN_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case ONNXBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case ONNXBN_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case ONNXBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case ONNXBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case ONNXBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    default: break;
    }
}

int64_t onnxbn_get_i64(const onnxbn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case ONNXBN_INT8: return ((const int8_t *)p)[i];
    case ONNXBN_INT16: return ((const int16_t *)p)[i];
    case ONNXBN_INT32: return ((const int32_t *)p)[i];
    case ONNXBN_INT64: return ((const int64_t *)p)[i];
    case ONNXBN_UINT8: case ONNXBN_BOOL: return ((const uint8_t *)p)[i];
    case ONNXBN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXBN_UINT32: return ((const uint32_t *)p)[i];
    case ONNXBN_UINT64: return (int64_t)((const uint64_t *)p)[i];
    default: {
        double d = onnxbn_get_f64(t, i);
        if (!(d > -9.2e18 && d < 9.2e18))
            return 0;
        return (int64_t)d;
    }
    }
}

/* ---- paths ---- */

void onnxbn_path_dir(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == path)
        snprintf(buf, cap, "/");
    else
        snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

/* ---- external data ---- */

/* Refuses what could leave the model's folder: absolute paths and any climb above it. Symbolic
 * links are caught afterwards by comparing resolved paths. */
onnxbn_status onnxbn_check_location(const char *loc, onnxbn_error *err)
{
    if (!loc || !*loc)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "external data has no 'location'");
    if (loc[0] == '/')
        return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                           "external data location '%.200s' is absolute; it must be relative to the model's folder",
                           loc);
    int depth = 0;
    for (const char *p = loc; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                                   "external data location '%.200s' climbs out of the model's folder",
                                   loc);
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    return ONNXBN_OK;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static onnxbn_status read_external(const Onnx__TensorProto *tp, const char *base_dir, void *dst,
                                   size_t nbytes, onnxbn_error *err)
{
    const char *loc = NULL;
    uint64_t offset = 0, length = nbytes;
    bool has_length = false;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *kv = tp->external_data[i];
        const char *k = onnxbn_str(kv->key), *v = onnxbn_str(kv->value);
        if (!strcmp(k, "location"))
            loc = v;
        else if (!strcmp(k, "offset") && !parse_u64(v, &offset))
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "external data offset '%.40s' is not a number", v);
        else if (!strcmp(k, "length")) {
            if (!parse_u64(v, &length))
                return onnxbn_fail(err, ONNXBN_ERR_MODEL, "external data length '%.40s' is not a number", v);
            has_length = true;
        }
    }
    onnxbn_status st = onnxbn_check_location(loc, err);
    if (st)
        return st;
    if (!base_dir)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                           "external data '%.200s' needs the model's folder (model loaded from memory without one)",
                           loc);
    if (has_length && length != nbytes)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "external data length %llu does not match the %zu bytes the tensor's type and shape need",
                           (unsigned long long)length, nbytes);

    char path[PATH_MAX], real_base[PATH_MAX], real_path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", base_dir, loc) >= (int)sizeof path)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "external data path is too long");
    if (!realpath(base_dir, real_base))
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot resolve the model folder '%.200s': %s", base_dir, strerror(errno));
    if (!realpath(path, real_path))
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot open external data '%.200s': %s", loc, strerror(errno));
    size_t bl = strlen(real_base);
    if (strncmp(real_path, real_base, bl) != 0 || (real_path[bl] != '/' && !(bl == 1 && real_base[0] == '/')))
        return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                           "external data location '%.200s' resolves outside the model's folder", loc);

    int fd = open(real_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot open external data '%.200s': %s", loc, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "external data '%.200s' is not a regular file", loc);
    }
    if (offset > (uint64_t)sb.st_size || nbytes > (uint64_t)sb.st_size - offset) {
        close(fd);
        return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                           "external data '%.200s': offset %llu + %zu bytes is past its end (%lld bytes)",
                           loc, (unsigned long long)offset, nbytes, (long long)sb.st_size);
    }
    size_t done = 0;
    while (done < nbytes) {
        ssize_t r = pread(fd, (char *)dst + done, nbytes - done, (off_t)(offset + done));
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            close(fd);
            return onnxbn_fail(err, ONNXBN_ERR_IO, "reading external data '%.200s' failed", loc);
        }
        done += (size_t)r;
    }
    close(fd);
    return ONNXBN_OK;
}

/* ---- TensorProto decoding ---- */

static onnxbn_status typed_count(size_t have, int64_t want, const char *field, onnxbn_error *err)
{
    if ((uint64_t)have != (uint64_t)want)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "%s holds %zu values, the shape needs %lld", field,
                           have, (long long)want);
    return ONNXBN_OK;
}

static onnxbn_status from_typed(const Onnx__TensorProto *tp, onnxbn_tensor *t, onnxbn_error *err)
{
    int64_t n = t->numel;
    onnxbn_status st;
    switch (t->dtype) {
    case ONNXBN_FLOAT:
        if ((st = typed_count(tp->n_float_data, n, "float_data", err)))
            return st;
        memcpy(t->data, tp->float_data, t->nbytes);
        return ONNXBN_OK;
    case ONNXBN_COMPLEX64:
        if ((st = typed_count(tp->n_float_data, 2 * n, "float_data", err)))
            return st;
        memcpy(t->data, tp->float_data, t->nbytes);
        return ONNXBN_OK;
    case ONNXBN_DOUBLE:
        if ((st = typed_count(tp->n_double_data, n, "double_data", err)))
            return st;
        memcpy(t->data, tp->double_data, t->nbytes);
        return ONNXBN_OK;
    case ONNXBN_COMPLEX128:
        if ((st = typed_count(tp->n_double_data, 2 * n, "double_data", err)))
            return st;
        memcpy(t->data, tp->double_data, t->nbytes);
        return ONNXBN_OK;
    case ONNXBN_INT64:
        if ((st = typed_count(tp->n_int64_data, n, "int64_data", err)))
            return st;
        memcpy(t->data, tp->int64_data, t->nbytes);
        return ONNXBN_OK;
    case ONNXBN_UINT32:
    case ONNXBN_UINT64:
        if ((st = typed_count(tp->n_uint64_data, n, "uint64_data", err)))
            return st;
        for (int64_t i = 0; i < n; i++) {
            if (t->dtype == ONNXBN_UINT32)
                ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
            else
                ((uint64_t *)t->data)[i] = tp->uint64_data[i];
        }
        return ONNXBN_OK;
    case ONNXBN_INT32: case ONNXBN_INT16: case ONNXBN_INT8: case ONNXBN_UINT16:
    case ONNXBN_UINT8: case ONNXBN_BOOL: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
        if ((st = typed_count(tp->n_int32_data, n, "int32_data", err)))
            return st;
        /* One int32 per element; 16-bit floats are carried as their bit patterns. */
        for (int64_t i = 0; i < n; i++) {
            int32_t v = tp->int32_data[i];
            switch (t->dtype) {
            case ONNXBN_INT32: ((int32_t *)t->data)[i] = v; break;
            case ONNXBN_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
            case ONNXBN_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
            case ONNXBN_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
            case ONNXBN_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
            default: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
            }
        }
        return ONNXBN_OK;
    default:
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "tensors of type %s are not supported",
                           onnxbn_dtype_name(t->dtype));
    }
}

static onnxbn_string from_pb(const void *src, int64_t i)
{
    const ProtobufCBinaryData *b = &((const ProtobufCBinaryData *)src)[i];
    return (onnxbn_string){(const char *)b->data, b->data ? b->len : 0};
}

/* string_data only: ONNX keeps strings nowhere else (raw_data and external data cannot hold them). */
static onnxbn_status strings_from_proto(const Onnx__TensorProto *tp, uint64_t *budget,
                                        onnxbn_tensor *out, onnxbn_error *err)
{
    if (tp->n_dims > ONNXBN_MAX_RANK)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "tensor rank %zu is beyond the supported %d",
                           tp->n_dims, ONNXBN_MAX_RANK);
    if (tp->has_raw_data || (tp->has_data_location &&
                             tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "string tensor with raw or external data "
                                                  "(ONNX keeps strings in string_data only)");
    onnxbn_tensor shape;
    memset(&shape, 0, sizeof shape);
    onnxbn_status st = onnxbn_tensor_set_shape(&shape, ONNXBN_STRING, (int)tp->n_dims, tp->dims, err);
    if (st)
        return st;
    if ((uint64_t)shape.numel != (uint64_t)tp->n_string_data)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "string_data has %zu strings, shape needs %lld",
                           tp->n_string_data, (long long)shape.numel);
    return onnxbn_tensor_init_strings(out, (int)tp->n_dims, tp->dims, from_pb, tp->string_data,
                                      budget, err);
}

onnxbn_status onnxbn_tensor_from_proto(const struct Onnx__TensorProto *tp, const char *base_dir,
                                       uint64_t *budget, onnxbn_tensor *out, onnxbn_error *err)
{
    memset(out, 0, sizeof *out);
    if (tp->segment)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "segmented tensors are not supported");
    onnxbn_dtype dt = (onnxbn_dtype)(tp->has_data_type ? tp->data_type : 0);
    if (dt == ONNXBN_STRING)
        return strings_from_proto(tp, budget, out, err);
    if (onnxbn_dtype_size(dt) == 0)
        return onnxbn_fail(err, dt == ONNXBN_UNDEFINED ? ONNXBN_ERR_MODEL : ONNXBN_ERR_UNSUPPORTED,
                           "tensor has %s element type %d", dt == ONNXBN_UNDEFINED ? "no" : "unsupported",
                           (int)dt);
    if (tp->n_dims > ONNXBN_MAX_RANK)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "tensor rank %zu is beyond the supported %d",
                           tp->n_dims, ONNXBN_MAX_RANK);
    onnxbn_tensor t;
    memset(&t, 0, sizeof t);
    onnxbn_status st = onnxbn_tensor_set_shape(&t, dt, (int)tp->n_dims, tp->dims, err);
    if (st)
        return st;

    bool external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    /* Check the stored size before allocating, so a lying shape cannot make us allocate more
     * than the file holds (external files are checked against their size when read). */
    if (!external && tp->has_raw_data && tp->raw_data.len != t.nbytes)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL,
                           "raw_data has %zu bytes, type %s and shape need %zu", tp->raw_data.len,
                           onnxbn_dtype_name(dt), t.nbytes);
    if (budget) {
        if (t.nbytes > *budget)
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                               "tensor of %zu bytes is over the memory limit", t.nbytes);
        *budget -= t.nbytes;
    }
    if (!external && !tp->has_raw_data) {
        /* Typed fields: the element count is checked against the field length before copying. */
        size_t have = tp->n_float_data + tp->n_double_data + tp->n_int32_data + tp->n_int64_data +
                      tp->n_uint64_data;
        if (have == 0 && t.numel != 0)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "tensor has no data for %lld elements",
                               (long long)t.numel);
    }
    t.data = onnxbn_calloc_aligned(t.nbytes);
    if (!t.data)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", t.nbytes);
    t.owns = true;
    if (external)
        st = read_external(tp, base_dir, t.data, t.nbytes, err);
    else if (tp->has_raw_data && t.nbytes) /* empty raw_data unpacks as a NULL pointer */
        memcpy(t.data, tp->raw_data.data, t.nbytes); /* little-endian host assumed (x86-64, arm64) */
    else if (t.numel > 0)
        st = from_typed(tp, &t, err);
    if (st) {
        onnxbn_tensor_release(&t);
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}
