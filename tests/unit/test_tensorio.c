/* SPDX-License-Identifier: Apache-2.0 */
/* test_tensorio.c — tensor files: .pb and .npy round trips, numpy's exact bytes, a real ONNX
 * test-data tensor, and bad bytes (truncated, wrong magic, lying sizes, noise) that must fail. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "onnx.pb-c.h"
#include "onnxbn.h"

/* numpy 1.24 np.save of np.arange(6, dtype='<f4').reshape(2, 3) * 0.5 - 1 */
static const uint8_t npy_f4_2x3[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73,
    0x63, 0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x66, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f,
    0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46,
    0x61, 0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20,
    0x28, 0x32, 0x2c, 0x20, 0x33, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a, 0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0x00,
    0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00,
    0xc0, 0x3f,
};
/* numpy np.save of np.array(-7, dtype='<i8'): a 0-D array, shape () */
static const uint8_t npy_i8_scalar[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73,
    0x63, 0x72, 0x27, 0x3a, 0x20, 0x27, 0x3c, 0x69, 0x38, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f,
    0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46,
    0x61, 0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20,
    0x28, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff,
};
/* numpy np.save of np.array([True, False, True]): shape (3,), descr '|b1' */
static const uint8_t npy_b1_3[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73,
    0x63, 0x72, 0x27, 0x3a, 0x20, 0x27, 0x7c, 0x62, 0x31, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f,
    0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46,
    0x61, 0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65, 0x27, 0x3a, 0x20,
    0x28, 0x33, 0x2c, 0x29, 0x2c, 0x20, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a, 0x01, 0x00, 0x01,
};

static char tmpdir[] = "/tmp/onnxbn_tensorio_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(const char *name)
{
    static char path[256]; /* test-only scratch; tests run one at a time */
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void expect_shape(const onnxbn_tensor *t, onnxbn_dtype dt, int rank, const int64_t *dims)
{
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(onnxbn_tensor_dims(t)[i], dims[i]);
}

/* Reads buf and expects failure with the given status (0: any error). */
static void expect_fail(const void *buf, size_t len, onnxbn_status want)
{
    onnxbn_tensor *t = (onnxbn_tensor *)&t; /* must be reset to NULL */
    char *name = (char *)&name;
    onnxbn_error err = {0};
    onnxbn_status st = onnxbn_tensor_read_buffer(buf, len, &t, &name, &err);
    if (st == ONNXBN_OK)
        fail_msg("%zu bytes were accepted", len);
    if (want)
        assert_int_equal(st, want);
    assert_null(t);
    assert_null(name);
    assert_true(err.msg[0] != 0);
}

/* ---- round trips ---- */

typedef struct rt_case {
    onnxbn_dtype dt;
    int rank;
    int64_t dims[3];
} rt_case;

static void test_round_trip(void **state)
{
    (void)state;
    const rt_case cases[] = {
        {ONNXBN_FLOAT, 2, {2, 3}},  {ONNXBN_INT64, 1, {5}},    {ONNXBN_BOOL, 3, {2, 1, 3}},
        {ONNXBN_DOUBLE, 2, {2, 2}}, {ONNXBN_FLOAT, 0, {0}},    {ONNXBN_INT64, 0, {0}},
        {ONNXBN_FLOAT16, 1, {4}},   {ONNXBN_UINT8, 1, {7}},    {ONNXBN_INT32, 2, {3, 1}},
        {ONNXBN_FLOAT, 2, {0, 3}},  {ONNXBN_INT8, 1, {1}},     {ONNXBN_UINT16, 1, {2}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const rt_case *k = &cases[c];
        onnxbn_tensor *t = NULL;
        onnxbn_error err = {0};
        assert_int_equal(onnxbn_tensor_new(k->dt, k->rank, k->dims, &t, &err), ONNXBN_OK);
        uint8_t *p = onnxbn_tensor_data(t);
        size_t nb = onnxbn_tensor_nbytes(t);
        for (size_t i = 0; i < nb; i++)
            p[i] = (uint8_t)(i * 37 + 11);
        if (k->dt == ONNXBN_BOOL)
            for (size_t i = 0; i < nb; i++)
                p[i] &= 1;
        for (int fmt = 0; fmt < 2; fmt++) {
            const char *path = tmp(fmt ? "rt.npy" : "rt.pb");
            onnxbn_status st = fmt ? onnxbn_tensor_write_npy(path, t, &err)
                                   : onnxbn_tensor_write_pb(path, t, "my tensor", &err);
            if (st)
                fail_msg("case %zu write: %s", c, err.msg);
            onnxbn_tensor *r = NULL;
            char *name = NULL;
            st = onnxbn_tensor_read_file(path, &r, &name, &err);
            if (st)
                fail_msg("case %zu read %s: %s", c, fmt ? "npy" : "pb", err.msg);
            expect_shape(r, k->dt, k->rank, k->dims);
            assert_int_equal(onnxbn_tensor_nbytes(r), nb);
            if (nb)
                assert_memory_equal(onnxbn_tensor_cdata(r), p, nb);
            if (fmt)
                assert_null(name);
            else
                assert_string_equal(name, "my tensor");
            free(name);
            onnxbn_tensor_free(r);
        }
        onnxbn_tensor_free(t);
    }
}

/* A .pb without a name reads back with name NULL; the name pointer may also be NULL. */
static void test_pb_without_name(void **state)
{
    (void)state;
    const int64_t d[] = {2};
    float v[] = {1.5f, -2};
    onnxbn_tensor *t = NULL, *r = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_wrap(ONNXBN_FLOAT, 1, d, v, &t, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_write_pb(tmp("noname.pb"), t, NULL, &err), ONNXBN_OK);
    char *name = (char *)&name;
    assert_int_equal(onnxbn_tensor_read_file(tmp("noname.pb"), &r, &name, &err), ONNXBN_OK);
    assert_null(name);
    assert_memory_equal(onnxbn_tensor_cdata(r), v, sizeof v);
    onnxbn_tensor_free(r);
    assert_int_equal(onnxbn_tensor_read_file(tmp("noname.pb"), &r, NULL, &err), ONNXBN_OK);
    onnxbn_tensor_free(r);
    onnxbn_tensor_free(t);
}

/* The writer produces numpy's bytes exactly (header text, padding to 64, newline). */
static void test_npy_writer_matches_numpy(void **state)
{
    (void)state;
    struct { const uint8_t *bytes; size_t len; } ref[] = {
        {npy_f4_2x3, sizeof npy_f4_2x3}, {npy_i8_scalar, sizeof npy_i8_scalar},
        {npy_b1_3, sizeof npy_b1_3}};
    for (size_t i = 0; i < 3; i++) {
        onnxbn_tensor *t = NULL;
        onnxbn_error err = {0};
        assert_int_equal(onnxbn_tensor_read_buffer(ref[i].bytes, ref[i].len, &t, NULL, &err),
                         ONNXBN_OK);
        assert_int_equal(onnxbn_tensor_write_npy(tmp("w.npy"), t, &err), ONNXBN_OK);
        size_t len;
        uint8_t *b = slurp(tmp("w.npy"), &len);
        assert_int_equal(len, ref[i].len);
        assert_memory_equal(b, ref[i].bytes, len);
        free(b);
        onnxbn_tensor_free(t);
    }
}

static void test_npy_numpy_values(void **state)
{
    (void)state;
    onnxbn_tensor *t = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_read_buffer(npy_f4_2x3, sizeof npy_f4_2x3, &t, NULL, &err),
                     ONNXBN_OK);
    const int64_t d23[] = {2, 3};
    expect_shape(t, ONNXBN_FLOAT, 2, d23);
    const float want[] = {-1, -0.5f, 0, 0.5f, 1, 1.5f};
    assert_memory_equal(onnxbn_tensor_cdata(t), want, sizeof want);
    onnxbn_tensor_free(t);

    assert_int_equal(onnxbn_tensor_read_buffer(npy_i8_scalar, sizeof npy_i8_scalar, &t, NULL, &err),
                     ONNXBN_OK);
    expect_shape(t, ONNXBN_INT64, 0, NULL);
    assert_int_equal(onnxbn_tensor_numel(t), 1);
    assert_int_equal(*(const int64_t *)onnxbn_tensor_cdata(t), -7);
    onnxbn_tensor_free(t);

    assert_int_equal(onnxbn_tensor_read_buffer(npy_b1_3, sizeof npy_b1_3, &t, NULL, &err), ONNXBN_OK);
    const int64_t d3[] = {3};
    expect_shape(t, ONNXBN_BOOL, 1, d3);
    assert_memory_equal(onnxbn_tensor_cdata(t), "\1\0\1", 3);
    onnxbn_tensor_free(t);
}

/* Builds an .npy as numpy lays it out: magic, version, length, header text padded to 64. */
static size_t make_npy(uint8_t *out, size_t cap, int major, const char *header, const void *data,
                       size_t dlen)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(header);
    size_t total = (pre + hl + 1 + 63) / 64 * 64;
    assert_true(total + dlen <= cap);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    size_t h = total - pre;
    out[8] = (uint8_t)h;
    out[9] = (uint8_t)(h >> 8);
    if (major > 1)
        out[10] = out[11] = 0;
    memcpy(out + pre, header, hl);
    memset(out + pre + hl, ' ', total - pre - hl - 1);
    out[total - 1] = '\n';
    if (dlen)
        memcpy(out + total, data, dlen);
    return total + dlen;
}

static void test_npy_versions_and_forms(void **state)
{
    (void)state;
    uint8_t buf[512];
    onnxbn_tensor *t = NULL;
    onnxbn_error err = {0};
    const int32_t i4[] = {1, -2, 3};
    const int64_t d3[] = {3}, d21[] = {2, 1};
    /* numpy's write_array(version=(2, 0)) header, and 3.0 (utf-8) with a uint8 (2, 1). */
    size_t n = make_npy(buf, sizeof buf, 2,
                        "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i4, sizeof i4);
    assert_int_equal(onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err), ONNXBN_OK);
    expect_shape(t, ONNXBN_INT32, 1, d3);
    assert_memory_equal(onnxbn_tensor_cdata(t), i4, sizeof i4);
    onnxbn_tensor_free(t);
    n = make_npy(buf, sizeof buf, 3, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }",
                 "\xc8\x07", 2);
    assert_int_equal(onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err), ONNXBN_OK);
    expect_shape(t, ONNXBN_UINT8, 2, d21);
    assert_int_equal(((const uint8_t *)onnxbn_tensor_cdata(t))[0], 200);
    onnxbn_tensor_free(t);
    /* Key order, double quotes and no trailing comma are all valid Python. */
    n = make_npy(buf, sizeof buf, 1, "{\"shape\": (2,1), \"descr\": \"<f2\", \"fortran_order\": False}",
                 "\x00\x3c\x00\xc0", 4);
    assert_int_equal(onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err), ONNXBN_OK);
    expect_shape(t, ONNXBN_FLOAT16, 2, d21);
    onnxbn_tensor_free(t);
    /* An empty array: shape (0, 3), no data bytes. */
    n = make_npy(buf, sizeof buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }",
                 NULL, 0);
    assert_int_equal(onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_numel(t), 0);
    onnxbn_tensor_free(t);
}

static void test_npy_refused(void **state)
{
    (void)state;
    uint8_t buf[512];
    const double f8[] = {1, 3, 2, 4};
    size_t n;
    struct { const char *hdr; size_t dlen; onnxbn_status st; } bad[] = {
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", 32, ONNXBN_ERR_UNSUPPORTED},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }", 32, ONNXBN_ERR_UNSUPPORTED},
        {"{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", 12, ONNXBN_ERR_UNSUPPORTED},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8, ONNXBN_ERR_UNSUPPORTED},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4,
         ONNXBN_ERR_UNSUPPORTED},
        /* data one byte short and one byte long */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 31, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 32, ONNXBN_ERR_PARSE},
        /* a shape that claims far more than the file holds, and one that overflows */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", 32,
         ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }", 32,
         ONNXBN_ERR_LIMIT},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 32,
         ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,4), }", 32,
         ONNXBN_ERR_UNSUPPORTED},
        /* malformed headers */
        {"{'descr': '<f8', 'fortran_order': False, }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'shape': (4,), }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'extra': 1, }", 32,
         ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (4,), }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,,), }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4 4), }", 32, ONNXBN_ERR_PARSE},
        {"{'descr': '<f8 , 'fortran_order': False, 'shape': (4,), }", 32, ONNXBN_ERR_PARSE},
        {"['descr', '<f8']", 32, ONNXBN_ERR_PARSE},
        {"", 32, ONNXBN_ERR_PARSE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = make_npy(buf, sizeof buf, 1, bad[i].hdr, f8, bad[i].dlen);
        onnxbn_tensor *t = NULL;
        onnxbn_error err = {0};
        onnxbn_status st = onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err);
        if (st != bad[i].st)
            fail_msg("header %zu (%s): status %d, want %d (%s)", i, bad[i].hdr, st, bad[i].st,
                     err.msg);
        assert_null(t);
    }
    /* Lying header lengths: v1 0xffff, v2 0xffffffff, both with a short file; bad version. */
    n = make_npy(buf, sizeof buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }",
                 f8, 32);
    buf[8] = buf[9] = 0xff;
    expect_fail(buf, n, ONNXBN_ERR_PARSE);
    n = make_npy(buf, sizeof buf, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }",
                 f8, 32);
    buf[8] = buf[9] = buf[10] = buf[11] = 0xff;
    expect_fail(buf, n, ONNXBN_ERR_PARSE);
    buf[6] = 9;
    expect_fail(buf, n, ONNXBN_ERR_UNSUPPORTED);
    /* Wrong magic: the bytes are then not a TensorProto either. */
    n = make_npy(buf, sizeof buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }",
                 f8, 32);
    buf[5] = 'X';
    expect_fail(buf, n, 0);
    /* Every truncation of a good file fails. */
    for (size_t len = 0; len < sizeof npy_f4_2x3; len++)
        expect_fail(npy_f4_2x3, len, 0);
}

/* ---- real ONNX test data ---- */

static void test_real_testdata(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/node/test_relu/test_data_set_0/input_0.pb", ONNXBN_TESTDATA_DIR);
    if (access(path, R_OK) != 0)
        skip();
    onnxbn_tensor *t = NULL;
    char *name = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_read_file(path, &t, &name, &err), ONNXBN_OK);
    /* numpy_helper.to_array: float32 (3, 4, 5), name 'x'; flat [0], [1], [2], [59] and the sum. */
    const int64_t d[] = {3, 4, 5};
    expect_shape(t, ONNXBN_FLOAT, 3, d);
    assert_string_equal(name, "x");
    const float *v = onnxbn_tensor_cdata(t);
    assert_true(v[0] == 1.764052391052246f);
    assert_true(v[1] == 0.40015721321105957f);
    assert_true(v[2] == 0.978738009929657f);
    assert_true(v[59] == -0.3627411723136902f);
    double sum = 0;
    for (int i = 0; i < 60; i++)
        sum += v[i];
    assert_true(sum > 4.6000375 - 1e-5 && sum < 4.6000375 + 1e-5);
    free(name);

    /* Every truncation of the real file fails cleanly (no crash, no tensor). */
    size_t len;
    uint8_t *b = slurp(path, &len);
    for (size_t n = 1; n < len; n++) {
        onnxbn_tensor *r = NULL;
        onnxbn_status st = onnxbn_tensor_read_buffer(b, n, &r, NULL, &err);
        if (st == ONNXBN_OK) {
            /* A prefix may parse only if it ends on a field boundary before raw_data; then it
             * lacks the data and must not have produced a 60-element tensor. */
            assert_int_not_equal(onnxbn_tensor_numel(r), 60);
            onnxbn_tensor_free(r);
        }
    }
    free(b);
    onnxbn_tensor_free(t);

    /* A 0-D float from a real case: test_gemm_default_scalar_bias input 'c' = 3.14. */
    snprintf(path, sizeof path, "%s/node/test_gemm_default_scalar_bias/test_data_set_0/input_2.pb",
             ONNXBN_TESTDATA_DIR);
    assert_int_equal(onnxbn_tensor_read_file(path, &t, &name, &err), ONNXBN_OK);
    expect_shape(t, ONNXBN_FLOAT, 0, NULL);
    assert_true(*(const float *)onnxbn_tensor_cdata(t) == 3.14f);
    assert_string_equal(name, "c");
    free(name);
    onnxbn_tensor_free(t);
}

/* Sequence and optional values (stored in the same .pb layout) are refused as unsupported. */
static void test_not_a_tensor(void **state)
{
    (void)state;
    const char *files[] = {
        "node/test_identity_sequence/test_data_set_0/input_0.pb",
        "node/test_identity_opt/test_data_set_0/input_0.pb",
        "node/test_optional_has_element_empty/test_data_set_0/input_0.pb",
        "node/test_sequence_insert_at_back/test_data_set_0/output_0.pb",
        "node/test_optional_get_element/test_data_set_0/input_0.pb",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", ONNXBN_TESTDATA_DIR, files[i]);
        if (access(path, R_OK) != 0)
            skip();
        onnxbn_tensor *t = NULL;
        onnxbn_error err = {0};
        onnxbn_status st = onnxbn_tensor_read_file(path, &t, NULL, &err);
        if (st != ONNXBN_ERR_UNSUPPORTED)
            fail_msg("%s: status %d (%s)", files[i], st, err.msg);
        assert_non_null(strstr(err.msg, "not a tensor"));
        assert_null(t);
    }
}

/* ---- bad TensorProtos ---- */

static size_t pack_tp(const Onnx__TensorProto *tp, uint8_t *buf, size_t cap)
{
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    assert_true(n <= cap);
    return onnx__tensor_proto__pack(tp, buf);
}

static void test_pb_refused(void **state)
{
    (void)state;
    uint8_t buf[256];
    int64_t dims[9] = {2, 2, 1, 1, 1, 1, 1, 1, 1};
    float f4[4] = {1, 2, 3, 4};
    int64_t i8[2] = {1, 2};

    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    tp.n_dims = 2;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = ONNXBN_FLOAT;
    tp.has_raw_data = 1;
    tp.raw_data.data = (uint8_t *)f4;
    tp.raw_data.len = 16;
    size_t n = pack_tp(&tp, buf, sizeof buf);
    onnxbn_tensor *t = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_read_buffer(buf, n, &t, NULL, &err), ONNXBN_OK); /* control */
    onnxbn_tensor_free(t);

    tp.raw_data.len = 12; /* raw_data shorter than the shape needs */
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    tp.raw_data.len = 16;

    int64_t huge[2] = {1000000000, 1000000000};
    tp.dims = huge; /* a lying shape over a small raw_data */
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    tp.has_raw_data = 0; /* ... and over a short typed field: must not allocate 4e18 bytes */
    tp.n_float_data = 4;
    tp.float_data = f4;
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    int64_t big1[1] = {100000000}; /* 400 MB claimed by a 20-byte file */
    tp.dims = big1;
    tp.n_dims = 1;
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    tp.dims = dims;
    tp.n_dims = 2;

    tp.n_float_data = 0; /* int64 typed data shorter than the shape */
    tp.float_data = NULL;
    tp.data_type = ONNXBN_INT64;
    tp.n_int64_data = 2;
    tp.int64_data = i8;
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);

    tp.has_data_type = 0; /* no type at all */
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    tp.has_data_type = 1;
    tp.data_type = 99; /* unknown type */
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);
    tp.data_type = ONNXBN_STRING; /* strings with no string_data (test_strings.c reads good ones) */
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), ONNXBN_ERR_MODEL);

    tp.data_type = ONNXBN_FLOAT; /* rank 9 */
    tp.n_int64_data = 0;
    tp.int64_data = NULL;
    tp.n_dims = 9;
    tp.has_raw_data = 1;
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), ONNXBN_ERR_UNSUPPORTED);

    int64_t neg[2] = {-2, -2};
    tp.n_dims = 2;
    tp.dims = neg;
    expect_fail(buf, pack_tp(&tp, buf, sizeof buf), 0);

    /* Not protobuf at all, and an empty file. */
    expect_fail("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, ONNXBN_ERR_PARSE);
    expect_fail("", 0, ONNXBN_ERR_PARSE);
}

/* Noise: random bytes, and random corruptions of good files, never crash or leak. */
static void test_noise(void **state)
{
    (void)state;
    uint64_t s = 12345;
    uint8_t buf[300];
    uint8_t good[256];
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[2] = {2, 3};
    float f6[6] = {1, 2, 3, 4, 5, 6};
    tp.n_dims = 2;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = ONNXBN_FLOAT;
    tp.name = "x";
    tp.has_raw_data = 1;
    tp.raw_data.data = (uint8_t *)f6;
    tp.raw_data.len = sizeof f6;
    size_t good_len = pack_tp(&tp, good, sizeof good);
    int accepted = 0;
    for (int it = 0; it < 30000; it++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len;
        int kind = it % 3;
        if (kind == 0) { /* pure noise */
            len = (size_t)(s >> 33) % sizeof buf;
            for (size_t i = 0; i < len; i++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[i] = (uint8_t)(s >> 56);
            }
        } else if (kind == 1) { /* a good .npy with a few bytes changed */
            len = sizeof npy_f4_2x3;
            memcpy(buf, npy_f4_2x3, len);
            for (int k = 0; k < 3; k++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[(s >> 33) % len] = (uint8_t)(s >> 56);
            }
        } else { /* a good .pb with a few bytes changed */
            len = good_len;
            memcpy(buf, good, len);
            for (int k = 0; k < 2; k++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[(s >> 33) % len] = (uint8_t)(s >> 56);
            }
        }
        onnxbn_tensor *t = NULL;
        char *name = NULL;
        onnxbn_error err = {0};
        if (onnxbn_tensor_read_buffer(buf, len, &t, &name, &err) == ONNXBN_OK) {
            /* Whatever was accepted is self-consistent. */
            size_t esz = onnxbn_dtype_size(onnxbn_tensor_dtype(t));
            assert_true(esz > 0);
            assert_int_equal(onnxbn_tensor_nbytes(t), (size_t)onnxbn_tensor_numel(t) * esz);
            assert_true(onnxbn_tensor_nbytes(t) <= len * 8);
            accepted++;
            onnxbn_tensor_free(t);
            free(name);
        } else {
            assert_null(t);
            assert_null(name);
        }
    }
    /* Some corruptions only touch the data bytes and are rightly accepted. */
    assert_true(accepted > 0);
}

static void test_io_errors(void **state)
{
    (void)state;
    onnxbn_tensor *t = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_tensor_read_file(tmp("missing.pb"), &t, NULL, &err), ONNXBN_ERR_IO);
    assert_non_null(strstr(err.msg, "missing.pb"));
    assert_null(t);
    assert_int_equal(onnxbn_tensor_read_file(tmpdir, &t, NULL, &err), ONNXBN_ERR_IO);
    spit(tmp("empty.pb"), "", 0);
    assert_int_equal(onnxbn_tensor_read_file(tmp("empty.pb"), &t, NULL, &err), ONNXBN_ERR_PARSE);
    assert_int_equal(onnxbn_tensor_read_buffer(NULL, 4, &t, NULL, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_tensor_read_buffer("x", 1, NULL, NULL, &err), ONNXBN_ERR_ARG);

    const int64_t d[] = {1};
    float v = 1;
    assert_int_equal(onnxbn_tensor_wrap(ONNXBN_FLOAT, 1, d, &v, &t, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_write_pb("/nonexistent-dir/x.pb", t, "x", &err), ONNXBN_ERR_IO);
    assert_int_equal(onnxbn_tensor_write_npy("/nonexistent-dir/x.npy", t, &err), ONNXBN_ERR_IO);
    assert_int_equal(onnxbn_tensor_write_npy(NULL, t, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_tensor_write_pb(tmp("x.pb"), NULL, "x", &err), ONNXBN_ERR_ARG);
    onnxbn_tensor_free(t);
    /* bfloat16 has no .npy type; a .pb holds it. */
    assert_int_equal(onnxbn_tensor_new(ONNXBN_BFLOAT16, 1, d, &t, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_write_npy(tmp("bf.npy"), t, &err), ONNXBN_ERR_UNSUPPORTED);
    assert_int_equal(onnxbn_tensor_write_pb(tmp("bf.pb"), t, NULL, &err), ONNXBN_OK);
    onnxbn_tensor_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pb_without_name),
        cmocka_unit_test(test_npy_writer_matches_numpy),
        cmocka_unit_test(test_npy_numpy_values),
        cmocka_unit_test(test_npy_versions_and_forms),
        cmocka_unit_test(test_npy_refused),
        cmocka_unit_test(test_real_testdata),
        cmocka_unit_test(test_not_a_tensor),
        cmocka_unit_test(test_pb_refused),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_io_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
