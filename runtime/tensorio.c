/* SPDX-License-Identifier: Apache-2.0 */
/* tensorio.c — tensor files: reads a serialized onnx.TensorProto or a NumPy .npy (told apart by
 * content) and writes either. Every size read from a file is checked against the bytes present. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "onnx.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tensorio.c assumes a little-endian host (raw_data and .npy '<' data are copied as is)"
#endif

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* numpy refuses headers over 10000 bytes unless told otherwise; leave room for hand-made files
 * but do not let a length field send the parser far. */
#define NPY_HEADER_MAX (1u << 20)

/* ---- .npy ---------------------------------------------------------------------------------- */

typedef struct npy_type {
    const char *code; /* kind + item size, as in a descr after its byte-order character */
    onnxbn_dtype dtype;
} npy_type;

static const npy_type npy_types[] = {
    {"f4", ONNXBN_FLOAT},  {"f8", ONNXBN_DOUBLE},  {"f2", ONNXBN_FLOAT16},
    {"i1", ONNXBN_INT8},   {"i2", ONNXBN_INT16},   {"i4", ONNXBN_INT32},  {"i8", ONNXBN_INT64},
    {"u1", ONNXBN_UINT8},  {"u2", ONNXBN_UINT16},  {"u4", ONNXBN_UINT32}, {"u8", ONNXBN_UINT64},
    {"b1", ONNXBN_BOOL},   {"c8", ONNXBN_COMPLEX64}, {"c16", ONNXBN_COMPLEX128},
};

/* A cursor over the header text (not NUL-terminated). */
typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool take(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool take_word(cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

/* A Python string literal in ' or " quotes, without escapes (numpy never writes any). */
static bool take_string(cursor *c, char *buf, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap)
            return false;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    buf[n] = 0;
    return true;
}

static bool take_dim(cursor *c, int64_t *v)
{
    skip_ws(c);
    int64_t x = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int d = *c->p++ - '0';
        if (x > (INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
        digits++;
    }
    /* Python 2 era files may write 3L. */
    if (digits && c->p < c->end && *c->p == 'L')
        c->p++;
    *v = x;
    return digits > 0;
}

/* The shape tuple: (), (3,), (2, 3) and (2, 3,). Ranks over the limit are counted, not stored. */
static bool take_shape(cursor *c, int64_t *dims, int *rank)
{
    if (!take(c, '('))
        return false;
    int n = 0;
    if (take(c, ')')) {
        *rank = 0;
        return true;
    }
    for (;;) {
        int64_t v;
        if (!take_dim(c, &v))
            return false;
        if (n < ONNXBN_MAX_RANK)
            dims[n] = v;
        if (n < ONNXBN_MAX_RANK + 1)
            n++;
        bool comma = take(c, ',');
        if (take(c, ')'))
            break;
        if (!comma)
            return false;
    }
    *rank = n;
    return true;
}

static onnxbn_status npy_dtype(const char *descr, onnxbn_dtype *out, onnxbn_error *err)
{
    char order = descr[0];
    if (order != '<' && order != '|' && order != '=' && order != '>')
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: descr '%.40s' is not a plain type", descr);
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        if (strcmp(descr + 1, npy_types[i].code) != 0)
            continue;
        if (order == '>' && onnxbn_dtype_size(npy_types[i].dtype) > 1)
            return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                               ".npy: big-endian data ('%.40s') is not supported", descr);
        *out = npy_types[i].dtype;
        return ONNXBN_OK;
    }
    return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, ".npy: element type '%.40s' is not supported",
                       descr);
}

static onnxbn_status parse_npy(const uint8_t *buf, size_t len, onnxbn_tensor *out,
                               onnxbn_error *err)
{
    if (len < 10)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: file of %zu bytes is truncated", len);
    int major = buf[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: file of %zu bytes is truncated", len);
        uint32_t h = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
                     (uint32_t)buf[11] << 24;
        if (h > NPY_HEADER_MAX)
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: header length %u is too large",
                               (unsigned)h);
        hlen = h;
        hstart = 12;
    } else {
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, ".npy: format version %d.%d is not supported",
                           major, buf[7]);
    }
    if (hlen > len - hstart)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE,
                           ".npy: header claims %zu bytes but only %zu follow", hlen, len - hstart);

    cursor c = {(const char *)buf + hstart, (const char *)buf + hstart + hlen};
    char descr[32] = "", key[32];
    int64_t dims[ONNXBN_MAX_RANK] = {0};
    int rank = -1;
    bool have_descr = false, have_order = false, fortran = false;
    if (!take(&c, '{'))
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: header is not a dictionary");
    while (!take(&c, '}')) {
        if (!take_string(&c, key, sizeof key) || !take(&c, ':'))
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: malformed header");
        if (strcmp(key, "descr") == 0) {
            if (!take_string(&c, descr, sizeof descr)) {
                /* A list descr is a structured type. */
                return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                                   ".npy: structured element types are not supported");
            }
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (take_word(&c, "True"))
                fortran = true;
            else if (!take_word(&c, "False"))
                return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: bad fortran_order value");
            have_order = true;
        } else if (strcmp(key, "shape") == 0) {
            if (!take_shape(&c, dims, &rank))
                return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: bad shape tuple");
        } else {
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: unexpected header key '%s'", key);
        }
        if (!take(&c, ',')) {
            if (!take(&c, '}'))
                return onnxbn_fail(err, ONNXBN_ERR_PARSE, ".npy: malformed header");
            break;
        }
    }
    if (!have_descr || !have_order || rank < 0)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE,
                           ".npy: header lacks one of 'descr', 'fortran_order', 'shape'");
    if (fortran)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                           ".npy: Fortran-ordered arrays are not supported");
    if (rank > ONNXBN_MAX_RANK)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, ".npy: rank above %d is not supported",
                           ONNXBN_MAX_RANK);
    onnxbn_dtype dt = ONNXBN_UNDEFINED;
    onnxbn_status st = npy_dtype(descr, &dt, err);
    if (st)
        return st;

    onnxbn_tensor t;
    memset(&t, 0, sizeof t);
    st = onnxbn_tensor_set_shape(&t, dt, rank, dims, err);
    if (st)
        return st;
    size_t have = len - hstart - hlen;
    if (have != t.nbytes)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE,
                           ".npy: %s %s needs %zu data bytes, the file has %zu",
                           onnxbn_dtype_name(dt), rank == 0 ? "scalar" : "array", t.nbytes, have);
    /* Sizes match the file, so this allocation is bounded by what was read. */
    st = onnxbn_tensor_init_alloc(out, dt, rank, dims, err);
    if (st)
        return st;
    if (t.nbytes)
        memcpy(out->data, buf + hstart + hlen, t.nbytes);
    return ONNXBN_OK;
}

/* ---- TensorProto ---------------------------------------------------------------------------- */

/* Reads one protobuf varint; false when it runs past end or over 10 bytes. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Whether the bytes look like an onnx.SequenceProto or OptionalProto rather than a TensorProto:
 * both use fields 1 (name, a string), 2 (elem_type, a small enum) and 3-7 (nested messages), and
 * never 8 and up, where TensorProto keeps its name and raw_data. */
static bool looks_like_container(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    bool any = false;
    while (p < end) {
        uint64_t key, v;
        if (!varint(&p, end, &key))
            return false;
        uint64_t field = key >> 3;
        unsigned wt = (unsigned)(key & 7);
        if (field < 1 || field > 7)
            return false;
        if (field == 2) {
            if (wt != 0 || !varint(&p, end, &v) || v > 5)
                return false;
        } else {
            if (wt != 2 || !varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            p += v;
        }
        any = true;
    }
    return any;
}

static onnxbn_status not_a_tensor(onnxbn_error *err)
{
    return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                       "the file holds a sequence or optional value, not a tensor");
}

static onnxbn_status parse_pb(const uint8_t *buf, size_t len, onnxbn_tensor *out, char **name,
                              onnxbn_error *err)
{
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    if (!tp) {
        if (looks_like_container(buf, len))
            return not_a_tensor(err);
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, "not a TensorProto or .npy file");
    }
    onnxbn_status st;
    bool no_type = !tp->has_data_type || tp->data_type == 0;
    if ((tp->segment || no_type) && looks_like_container(buf, len)) {
        st = not_a_tensor(err);
        goto done;
    }
    if (no_type) {
        st = onnxbn_fail(err, ONNXBN_ERR_PARSE, "TensorProto has no data_type");
        goto done;
    }
    /* No decoded tensor can need more than 8 bytes per byte of file (int64 from a 1-byte varint),
     * so a lying shape fails before it allocates. */
    uint64_t budget = (uint64_t)len * 8 + 64;
    st = onnxbn_tensor_from_proto(tp, NULL, &budget, out, err);
    if (st) {
        if (looks_like_container(buf, len))
            st = not_a_tensor(err);
        goto done;
    }
    if (name && tp->name && tp->name[0]) {
        *name = strdup(tp->name);
        if (!*name) {
            onnxbn_tensor_release(out);
            st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        }
    }
done:
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return st;
}

/* ---- public readers ------------------------------------------------------------------------- */

onnxbn_status onnxbn_tensor_read_buffer(const void *buf, size_t len, onnxbn_tensor **out,
                                        char **name, onnxbn_error *err)
{
    if (name)
        *name = NULL;
    if (!out || (!buf && len))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_read_buffer: NULL argument");
    *out = NULL;
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    const uint8_t *b = buf;
    onnxbn_status st;
    if (len == 0)
        st = onnxbn_fail(err, ONNXBN_ERR_PARSE, "empty tensor file");
    else if (len >= sizeof npy_magic && memcmp(b, npy_magic, sizeof npy_magic) == 0)
        st = parse_npy(b, len, t, err);
    else
        st = parse_pb(b, len, t, name, err);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_tensor_read_file(const char *path, onnxbn_tensor **out, char **name,
                                      onnxbn_error *err)
{
    if (name)
        *name = NULL;
    if (!path || !out)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_tensor_read_file: NULL argument");
    *out = NULL;
    uint8_t *buf;
    size_t len;
    onnxbn_status st = onnxbn_file_read(path, &buf, &len, ONNXBN_DEFAULT_MAX_MEMORY, err);
    if (st)
        return st;
    st = onnxbn_tensor_read_buffer(buf, len, out, name, err);
    free(buf);
    if (st)
        onnxbn_err_prefix(err, "'%.300s'", path);
    return st;
}

/* ---- writers -------------------------------------------------------------------------------- */

static onnxbn_status write_all(const char *path, const void *a, size_t alen, const void *b,
                               size_t blen, onnxbn_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot create '%.300s'", path);
    bool ok = fwrite(a, 1, alen, f) == alen && (blen == 0 || fwrite(b, 1, blen, f) == blen);
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        remove(path);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "writing '%.300s' failed", path);
    }
    return ONNXBN_OK;
}

static onnxbn_status check_tensor(const onnxbn_tensor *t, const char *path, onnxbn_error *err)
{
    if (!path || !t || (t->nbytes && !t->data))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "tensor writer: NULL argument");
    if (t->kind != ONNXBN_KIND_TENSOR)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "cannot write %s as a tensor file (.pb "
                           "through onnxbn_value_write_pb holds it)", onnxbn_kind_name(t->kind));
    if (onnxbn_dtype_size(t->dtype) == 0)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "cannot write a %s tensor",
                           onnxbn_dtype_name(t->dtype));
    return ONNXBN_OK;
}

onnxbn_status onnxbn_tensor_write_pb(const char *path, const onnxbn_tensor *t, const char *name,
                                     onnxbn_error *err)
{
    onnxbn_status st = check_tensor(t, path, err);
    if (st)
        return st;
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, t->dims, sizeof dims);
    tp.n_dims = (size_t)t->rank;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = (int32_t)t->dtype;
    ProtobufCBinaryData *strs = NULL;
    if (t->dtype == ONNXBN_STRING) {
        /* Strings go in string_data (raw_data cannot hold them); the entries only point to the
         * tensor's bytes, for the packing. */
        const onnxbn_string *h = t->data;
        strs = malloc((size_t)t->numel * sizeof *strs + 1);
        if (!strs)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %lld strings",
                               (long long)t->numel);
        for (int64_t i = 0; i < t->numel; i++)
            strs[i] = (ProtobufCBinaryData){h[i].len, (uint8_t *)h[i].data};
        tp.n_string_data = (size_t)t->numel;
        tp.string_data = strs;
    } else {
        tp.has_raw_data = 1;
        tp.raw_data.len = t->nbytes;
        tp.raw_data.data = t->data;
    }
    if (name && name[0])
        tp.name = (char *)name; /* protobuf-c's field is not const; pack only reads it */
    size_t n = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        free(strs);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", n);
    }
    size_t packed = onnx__tensor_proto__pack(&tp, buf);
    st = packed == n ? write_all(path, buf, n, NULL, 0, err)
                     : onnxbn_fail(err, ONNXBN_ERR_PARSE, "TensorProto packing failed");
    free(buf);
    free(strs);
    return st;
}

onnxbn_status onnxbn_tensor_write_npy(const char *path, const onnxbn_tensor *t, onnxbn_error *err)
{
    onnxbn_status st = check_tensor(t, path, err);
    if (st)
        return st;
    const char *code = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype)
            code = npy_types[i].code;
    if (!code)
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, ".npy has no %s element type",
                           onnxbn_dtype_name(t->dtype));
    char order = onnxbn_dtype_size(t->dtype) == 1 ? '|' : '<';

    /* Header: magic, version 1.0, 2-byte length, the dict, spaces and a newline so that the data
     * starts at a multiple of 64 as numpy writes it. Rank <= 8 keeps it far below 64 KiB. */
    char dict[320], shape[ONNXBN_MAX_RANK * 22 + 4] = "";
    size_t sk = 0;
    for (int i = 0; i < t->rank; i++)
        sk += (size_t)snprintf(shape + sk, sizeof shape - sk, i ? ", %lld" : "%lld",
                               (long long)t->dims[i]);
    int k = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (%s%s), }",
                     order, code, shape, t->rank == 1 ? "," : "");
    char hdr[512];
    size_t total = 10 + (size_t)k + 1;
    size_t padded = (total + 63) / 64 * 64;
    memcpy(hdr, npy_magic, sizeof npy_magic);
    hdr[6] = 1;
    hdr[7] = 0;
    size_t hlen = padded - 10;
    hdr[8] = (char)(hlen & 0xff);
    hdr[9] = (char)(hlen >> 8);
    memcpy(hdr + 10, dict, (size_t)k);
    memset(hdr + 10 + k, ' ', padded - total);
    hdr[padded - 1] = '\n';
    return write_all(path, hdr, padded, t->data, t->nbytes, err);
}

/* ---- sequences and optionals (onnx-data.proto's SequenceProto and OptionalProto) ----------------
 * Those messages are not in onnx.proto, whose code the build generates, so they are read and
 * written here on the wire: 1 name, 2 elem_type (1 tensor, 3 sequence), 3 tensor_values
 * (repeated in a sequence, one in an optional), 5 sequence_value (in an optional). A field
 * number outside 1..7 or a sparse, map or nested value is refused; nothing recurses deeper than
 * optional -> sequence -> tensor. */

enum { ELEM_TENSOR = 1, ELEM_SEQUENCE = 3 };

typedef struct wire_msg {
    const char *name;       /* into the buffer, not terminated */
    size_t name_len;
    uint64_t elem_type;
    size_t n_tensors;
    const uint8_t *first_tensor; /* the first field-3 payload (an optional's tensor) */
    size_t first_len;
    const uint8_t *seq;          /* field 5 payload */
    size_t seq_len;
    bool has_seq;
} wire_msg;

static onnxbn_status wire_read(const uint8_t *p, size_t len, wire_msg *m, onnxbn_error *err)
{
    const uint8_t *end = p + len;
    memset(m, 0, sizeof *m);
    while (p < end) {
        uint64_t key, v;
        if (!varint(&p, end, &key))
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, "truncated sequence or optional value");
        const uint64_t field = key >> 3;
        const unsigned wt = (unsigned)(key & 7);
        if (field == 2 && wt == 0) {
            if (!varint(&p, end, &m->elem_type))
                return onnxbn_fail(err, ONNXBN_ERR_PARSE, "truncated sequence or optional value");
            continue;
        }
        if (wt != 2 || !varint(&p, end, &v) || v > (uint64_t)(end - p))
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, "not a SequenceProto or OptionalProto");
        if (field == 1) {
            m->name = (const char *)p;
            m->name_len = (size_t)v;
        } else if (field == 3) {
            if (!m->n_tensors++) {
                m->first_tensor = p;
                m->first_len = (size_t)v;
            }
        } else if (field == 5) {
            m->seq = p;
            m->seq_len = (size_t)v;
            m->has_seq = true;
        } else if (field == 4 || field == 6 || field == 7) {
            return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                               "the value holds sparse tensors, maps or optionals; onnxbn runs "
                               "tensors, sequences of tensors and optionals of those");
        } else {
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, "not a SequenceProto or OptionalProto");
        }
        p += v;
    }
    return ONNXBN_OK;
}

static onnxbn_status read_tensor_msg(const uint8_t *p, size_t len, onnxbn_tensor *t,
                                     onnxbn_error *err)
{
    memset(t, 0, sizeof *t);
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, p);
    if (!tp)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, "an element is not a TensorProto");
    uint64_t budget = (uint64_t)len * 8 + 64;
    onnxbn_status st = onnxbn_tensor_from_proto(tp, NULL, &budget, t, err);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return st;
}

/* The SequenceProto in p[0, len) into *out (one owned block). */
static onnxbn_status read_sequence(const uint8_t *p, size_t len, onnxbn_tensor *out,
                                   wire_msg *m, onnxbn_error *err)
{
    onnxbn_status st = wire_read(p, len, m, err);
    if (st)
        return st;
    if (m->has_seq || (m->elem_type != ELEM_TENSOR && (m->elem_type || m->n_tensors)))
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED,
                           "the sequence does not hold tensors; onnxbn runs sequences of tensors");
    onnxbn_tensor *e = calloc(m->n_tensors + 1, sizeof *e);
    const onnxbn_tensor **v = calloc(m->n_tensors + 1, sizeof *v);
    if (!e || !v)
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    size_t n = 0;
    const uint8_t *q = p, *end = p + len;
    while (!st && q < end) {
        uint64_t key = 0, l = 0;
        varint(&q, end, &key); /* wire_read walked these bytes already */
        if ((key & 7) == 0) {
            varint(&q, end, &l);
            continue;
        }
        varint(&q, end, &l);
        if (key >> 3 == 3) {
            st = read_tensor_msg(q, (size_t)l, &e[n], err);
            if (!st && n && e[n].dtype != e[0].dtype)
                st = onnxbn_fail(err, ONNXBN_ERR_TYPE, "element %zu is %s, element 0 %s", n,
                                 onnxbn_dtype_name(e[n].dtype), onnxbn_dtype_name(e[0].dtype));
            v[n] = &e[n];
            n++;
            if (st)
                onnxbn_err_prefix(err, "sequence element %zu", n - 1);
        }
        q += l;
    }
    if (!st)
        st = onnxbn_seq_shape(out, n ? e[0].dtype : ONNXBN_UNDEFINED, n, v, err);
    if (!st && !(out->data = onnxbn_alloc(out->nbytes)))
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    if (!st) {
        out->owns = true;
        onnxbn_seq_fill(out, n, v);
    }
    for (size_t i = 0; e && i < n; i++)
        onnxbn_tensor_release(&e[i]);
    free(e);
    free(v);
    return st;
}

static onnxbn_status read_value(const uint8_t *b, size_t len, onnxbn_kind as, onnxbn_tensor *t,
                                char **name, onnxbn_error *err)
{
    wire_msg m;
    onnxbn_status st;
    if (as == ONNXBN_KIND_SEQUENCE) {
        st = read_sequence(b, len, t, &m, err);
    } else {
        if ((st = wire_read(b, len, &m, err)))
            return st;
        if (m.n_tensors > 1)
            return onnxbn_fail(err, ONNXBN_ERR_PARSE, "an OptionalProto holds one value, this %zu",
                               m.n_tensors);
        if (m.n_tensors) {
            st = read_tensor_msg(m.first_tensor, m.first_len, t, err);
        } else if (m.has_seq) {
            wire_msg inner;
            st = read_sequence(m.seq, m.seq_len, t, &inner, err);
        } else {
            memset(t, 0, sizeof *t);
            t->kind = ONNXBN_KIND_NONE;
        }
    }
    if (!st && name && m.name_len) {
        if ((*name = malloc(m.name_len + 1))) {
            memcpy(*name, m.name, m.name_len);
            (*name)[m.name_len] = 0;
        } else {
            onnxbn_tensor_release(t);
            st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        }
    }
    return st;
}

onnxbn_status onnxbn_value_read_buffer(const void *buf, size_t len, onnxbn_kind as,
                                       onnxbn_tensor **out, char **name, onnxbn_error *err)
{
    if (as == ONNXBN_KIND_TENSOR)
        return onnxbn_tensor_read_buffer(buf, len, out, name, err);
    if (name)
        *name = NULL;
    if (!out || (!buf && len))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_value_read_buffer: NULL argument");
    *out = NULL;
    if (as != ONNXBN_KIND_SEQUENCE && as != ONNXBN_KIND_OPTIONAL_TENSOR &&
        as != ONNXBN_KIND_OPTIONAL_SEQUENCE)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_value_read_buffer: kind %d is not a declared kind",
                           (int)as);
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = read_value(buf, len, as, t, name, err);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_value_read_file(const char *path, onnxbn_kind as, onnxbn_tensor **out,
                                     char **name, onnxbn_error *err)
{
    if (name)
        *name = NULL;
    if (!path || !out)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_value_read_file: NULL argument");
    *out = NULL;
    uint8_t *buf;
    size_t len;
    onnxbn_status st = onnxbn_file_read(path, &buf, &len, ONNXBN_DEFAULT_MAX_MEMORY, err);
    if (st)
        return st;
    st = onnxbn_value_read_buffer(buf, len, as, out, name, err);
    free(buf);
    if (st)
        onnxbn_err_prefix(err, "'%.300s'", path);
    return st;
}

/* A growing byte buffer for writing the wire format. */
typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} wbuf;

static void put(wbuf *w, const void *d, size_t n)
{
    if (w->oom || !n)
        return;
    if (w->cap - w->n < n) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->n < n && cap < SIZE_MAX / 2)
            cap *= 2;
        uint8_t *p = cap - w->n >= n ? realloc(w->p, cap) : NULL;
        if (!p) {
            w->oom = true;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void put_varint(wbuf *w, uint64_t v)
{
    uint8_t b[10];
    size_t k = 0;
    do {
        b[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    put(w, b, k);
}

static void put_bytes(wbuf *w, unsigned field, const void *d, size_t n)
{
    put_varint(w, (uint64_t)field << 3 | 2);
    put_varint(w, n);
    put(w, d, n);
}

static onnxbn_status pack_tensor(wbuf *w, unsigned field, const onnxbn_tensor *t, onnxbn_error *err)
{
    if (onnxbn_dtype_size(t->dtype) == 0 || (t->nbytes && !t->data))
        return onnxbn_fail(err, ONNXBN_ERR_UNSUPPORTED, "cannot write a %s tensor",
                           onnxbn_dtype_name(t->dtype));
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[ONNXBN_MAX_RANK];
    memcpy(dims, t->dims, sizeof dims);
    tp.n_dims = (size_t)t->rank;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = (int32_t)t->dtype;
    tp.has_raw_data = 1;
    tp.raw_data.len = t->nbytes;
    tp.raw_data.data = t->data;
    size_t n = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes", n);
    onnx__tensor_proto__pack(&tp, buf);
    put_bytes(w, field, buf, n);
    free(buf);
    return ONNXBN_OK;
}

static onnxbn_status pack_sequence(wbuf *w, const onnxbn_tensor *t, const char *name,
                                   onnxbn_error *err)
{
    if (name && name[0])
        put_bytes(w, 1, name, strlen(name));
    put_varint(w, 2 << 3);
    put_varint(w, ELEM_TENSOR);
    onnxbn_status st = ONNXBN_OK;
    for (int64_t i = 0; !st && i < t->numel; i++)
        st = pack_tensor(w, 3, onnxbn_seq_item(t, i), err);
    return st;
}

onnxbn_status onnxbn_value_write_pb(const char *path, const onnxbn_tensor *t, const char *name,
                                    onnxbn_kind as, onnxbn_error *err)
{
    if (!path || !t)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_value_write_pb: NULL argument");
    const bool opt = as == ONNXBN_KIND_OPTIONAL_TENSOR || as == ONNXBN_KIND_OPTIONAL_SEQUENCE;
    if (!opt && t->kind == ONNXBN_KIND_TENSOR)
        return onnxbn_tensor_write_pb(path, t, name, err);
    if (!opt && t->kind == ONNXBN_KIND_NONE)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "an empty optional is written only as an optional");
    wbuf w = {0}, inner = {0};
    onnxbn_status st = ONNXBN_OK;
    if (!opt) {
        st = pack_sequence(&w, t, name, err);
    } else {
        if (name && name[0])
            put_bytes(&w, 1, name, strlen(name));
        if (t->kind != ONNXBN_KIND_NONE) {
            put_varint(&w, 2 << 3);
            put_varint(&w, t->kind == ONNXBN_KIND_SEQUENCE ? ELEM_SEQUENCE : ELEM_TENSOR);
        }
        if (t->kind == ONNXBN_KIND_TENSOR) {
            st = pack_tensor(&w, 3, t, err);
        } else if (t->kind == ONNXBN_KIND_SEQUENCE) {
            st = pack_sequence(&inner, t, NULL, err);
            if (!st && !inner.oom)
                put_bytes(&w, 5, inner.p, inner.n);
        }
    }
    if (!st && (w.oom || inner.oom))
        st = onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    if (!st)
        st = write_all(path, w.p ? (const void *)w.p : "", w.n, NULL, 0, err);
    free(w.p);
    free(inner.p);
    return st;
}
