/* SPDX-License-Identifier: Apache-2.0 */
/* test_strings.c — string tensors: building and .pb round trips (NUL bytes, empty strings), Cast to
 * and from string as numpy formats and parses, plan-time folding, StringNormalizer, TfIdfVectorizer,
 * and malformed or misfed strings. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "mkmodel.h"

static void expect_str(const onnxbn_string *s, const char *want, size_t len)
{
    assert_int_equal(s->len, len);
    if (len)
        assert_memory_equal(s->data, want, len);
}

static void test_new_and_pb_roundtrip(void **state)
{
    (void)state;
    const char *strs[3] = {"a\0b", "", "h\xc3\xa9llo"};
    const size_t lens[3] = {3, 0, 6};
    const int64_t dims[1] = {3};
    onnxbn_tensor *t = NULL;
    onnxbn_error err;
    assert_int_equal(onnxbn_tensor_new_strings(1, dims, strs, lens, &t, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_dtype(t), ONNXBN_STRING);
    assert_int_equal(onnxbn_tensor_nbytes(t), 3 * sizeof(onnxbn_string));
    char path[] = "/tmp/onnxbn_strXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(onnxbn_tensor_write_pb(path, t, "s", &err), ONNXBN_OK);
    onnxbn_tensor *r = NULL;
    char *name = NULL;
    assert_int_equal(onnxbn_tensor_read_file(path, &r, &name, &err), ONNXBN_OK);
    remove(path);
    assert_string_equal(name, "s");
    onnxbn_buffer_free(name);
    assert_int_equal(onnxbn_tensor_dtype(r), ONNXBN_STRING);
    assert_int_equal(onnxbn_tensor_numel(r), 3);
    const onnxbn_string *h = onnxbn_tensor_cdata(r);
    expect_str(&h[0], "a\0b", 3);
    expect_str(&h[1], "", 0);
    expect_str(&h[2], "h\xc3\xa9llo", 6);
    onnxbn_tensor_free(r);
    onnxbn_tensor_free(t);
    /* NUL-terminated when lens is NULL */
    const char *two[2] = {"xy", "z"};
    assert_int_equal(onnxbn_tensor_new_strings(1, (const int64_t[]){2}, two, NULL, &t, &err), ONNXBN_OK);
    h = onnxbn_tensor_cdata(t);
    expect_str(&h[0], "xy", 2);
    expect_str(&h[1], "z", 1);
    /* .npy has no string type: a clear refusal, not a file */
    assert_int_equal(onnxbn_tensor_write_npy("/tmp/onnxbn_str_never.npy", t, &err), ONNXBN_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "string"));
    onnxbn_tensor_free(t);
}

static void test_malformed_pb(void **state)
{
    (void)state;
    onnxbn_tensor *t = NULL;
    onnxbn_error err;
    /* dims [2], type string, one string_data entry "a" */
    const uint8_t short_data[] = {0x08, 0x02, 0x10, 0x08, 0x32, 0x01, 'a'};
    assert_int_not_equal(onnxbn_tensor_read_buffer(short_data, sizeof short_data, &t, NULL, &err),
                         ONNXBN_OK);
    assert_null(t);
    assert_non_null(strstr(err.msg, "string_data has 1 strings, shape needs 2"));
    /* dims [1], type string, the bytes in raw_data */
    const uint8_t raw[] = {0x08, 0x01, 0x10, 0x08, 0x4a, 0x02, 'a', 'b'};
    assert_int_not_equal(onnxbn_tensor_read_buffer(raw, sizeof raw, &t, NULL, &err), ONNXBN_OK);
    assert_non_null(strstr(err.msg, "string_data only"));
    /* a string_data entry longer than the buffer */
    const uint8_t cut[] = {0x08, 0x01, 0x10, 0x08, 0x32, 0x09, 'a'};
    assert_int_not_equal(onnxbn_tensor_read_buffer(cut, sizeof cut, &t, NULL, &err), ONNXBN_OK);
    assert_null(t);
}

static mk_model *cast_model(onnxbn_dtype from, onnxbn_dtype to, int64_t n)
{
    mk_model *m = mk_new(13);
    const int64_t d[1] = {n};
    mk_input(m, "X", from, 1, d);
    mk_output(m, "Y", to, 1, d);
    mk_attr_i(mk_node_add(m, "Cast", "c", "X", "Y"), "to", to);
    return m;
}

static void test_cast_to_string(void **state)
{
    (void)state;
    /* numpy's str(np.float32): shortest round-trip digits, ".0" on integral values, exponent
     * outside [1e-4, 1e16) */
    const float x[10] = {1.0f, 0.1f, 1e-5f, 123456.0f, 1e20f, NAN, -INFINITY, -0.0f, 0.039187793f,
                         3.4028235e38f};
    const char *want[10] = {"1.0",   "0.1",  "1e-05", "123456.0",    "1e+20",
                            "nan",   "-inf", "-0.0",  "0.039187793", "3.4028235e+38"};
    const int64_t d[1] = {10};
    mk_model *m = cast_model(ONNXBN_FLOAT, ONNXBN_STRING, 10);
    onnxbn_session *s = mk_open_ok(m);
    mk_feed f = {"X", ONNXBN_FLOAT, 1, d, x};
    mk_run_ok(s, 1, &f);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), ONNXBN_STRING);
    const onnxbn_string *h = onnxbn_tensor_cdata(y);
    for (int i = 0; i < 10; i++)
        expect_str(&h[i], want[i], strlen(want[i]));
    /* a second run rewrites the bytes the first left */
    const float x2[10] = {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, -7.0f};
    f.data = x2;
    mk_run_ok(s, 1, &f);
    h = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    expect_str(&h[0], "2.5", 3);
    expect_str(&h[9], "-7.0", 4);
    onnxbn_session_free(s);
    mk_free(m);

    /* double keeps 17 digits where float needs 9 */
    const double xd[2] = {0.1, 1.0 / 3};
    m = cast_model(ONNXBN_DOUBLE, ONNXBN_STRING, 2);
    s = mk_open_ok(m);
    mk_feed fd = {"X", ONNXBN_DOUBLE, 1, (const int64_t[]){2}, xd};
    mk_run_ok(s, 1, &fd);
    h = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    expect_str(&h[0], "0.1", 3);
    expect_str(&h[1], "0.3333333333333333", 18);
    onnxbn_session_free(s);
    mk_free(m);

    /* integers and bool */
    const int64_t xi[3] = {-7, 0, INT64_MAX};
    m = cast_model(ONNXBN_INT64, ONNXBN_STRING, 3);
    s = mk_open_ok(m);
    mk_feed fi = {"X", ONNXBN_INT64, 1, (const int64_t[]){3}, xi};
    mk_run_ok(s, 1, &fi);
    h = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    expect_str(&h[0], "-7", 2);
    expect_str(&h[1], "0", 1);
    expect_str(&h[2], "9223372036854775807", 19);
    onnxbn_session_free(s);
    mk_free(m);
    const uint8_t xb[2] = {1, 0};
    m = cast_model(ONNXBN_BOOL, ONNXBN_STRING, 2);
    s = mk_open_ok(m);
    mk_feed fb = {"X", ONNXBN_BOOL, 1, (const int64_t[]){2}, xb};
    mk_run_ok(s, 1, &fb);
    h = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    expect_str(&h[0], "True", 4);
    expect_str(&h[1], "False", 5);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_cast_from_string(void **state)
{
    (void)state;
    const onnxbn_string x[4] = {{" 2.5 ", 5}, {"1e3", 3}, {"-inf", 4}, {"0.47892547", 10}};
    const int64_t d[1] = {4};
    const float want[4] = {2.5f, 1000.0f, -INFINITY, 0.47892547f};
    mk_model *m = cast_model(ONNXBN_STRING, ONNXBN_FLOAT, 4);
    mk_feed f = {"X", ONNXBN_STRING, 1, d, x};
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, d, want);
    mk_free(m);
    const onnxbn_string xi[2] = {{"42", 2}, {"-9000000000", 11}};
    const int64_t wi[2] = {42, -9000000000LL};
    m = cast_model(ONNXBN_STRING, ONNXBN_INT64, 2);
    mk_feed fi = {"X", ONNXBN_STRING, 1, (const int64_t[]){2}, xi};
    mk_check_bytes(m, 1, &fi, ONNXBN_INT64, 1, (const int64_t[]){2}, wi);
    mk_free(m);
    /* not a number, a NUL inside, an empty string, a fraction for an integer: one error naming
     * the node and the element */
    const onnxbn_string bad[4][1] = {{{"abc", 3}}, {{"1\0" "2", 3}}, {{"", 0}}, {{"1.5", 3}}};
    const onnxbn_dtype to[4] = {ONNXBN_FLOAT, ONNXBN_FLOAT, ONNXBN_DOUBLE, ONNXBN_INT32};
    for (int k = 0; k < 4; k++) {
        m = cast_model(ONNXBN_STRING, to[k], 1);
        mk_feed fb = {"X", ONNXBN_STRING, 1, (const int64_t[]){1}, bad[k]};
        mk_expect_fail(m, 1, &fb, ONNXBN_ERR_ARG, "node 'c' (Cast): input element 0");
        mk_free(m);
    }
}

/* Cast of an initializer is folded when the plan is made: the folded value owns its bytes after
 * the node's state is gone. */
static void test_cast_folded(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t d[1] = {2};
    const float c[2] = {1.5f, -0.25f};
    mk_init_f32(m, "C", 1, d, c);
    mk_output(m, "Y", ONNXBN_STRING, 1, d);
    mk_attr_i(mk_node_add(m, "Cast", "c", "C", "Y"), "to", ONNXBN_STRING);
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 0, NULL);
    const onnxbn_string *h = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    expect_str(&h[0], "1.5", 3);
    expect_str(&h[1], "-0.25", 5);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A string fed where the model declares float: an error naming the input, never a read of the
 * handles as floats. */
static void test_string_misfed(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t d[1] = {1};
    mk_input(m, "X", ONNXBN_FLOAT, 1, d);
    mk_output(m, "Y", ONNXBN_FLOAT, 1, d);
    mk_node_add(m, "Relu", "r", "X", "Y");
    const onnxbn_string x[1] = {{"1", 1}};
    mk_feed f = {"X", ONNXBN_STRING, 1, d, x};
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_TYPE, "input 'X' is string, the model expects float");
    mk_free(m);
}

/* StringNormalizer(X) with the given attributes; locale NULL leaves it out. */
static mk_model *strnorm_model(int rank, const int64_t *dims, const char *action, int sensitive,
                               size_t n_stop, const char *const *stop, const char *locale)
{
    mk_model *m = mk_new(10);
    mk_input(m, "X", ONNXBN_STRING, rank, dims);
    mk_output(m, "Y", ONNXBN_STRING, -1, NULL);
    mk_node *n = mk_node_add(m, "StringNormalizer", "sn", "X", "Y");
    if (action)
        mk_attr_s(n, "case_change_action", action);
    mk_attr_i(n, "is_case_sensitive", sensitive);
    if (n_stop)
        mk_attr_strings(n, "stopwords", n_stop, stop);
    if (locale)
        mk_attr_s(n, "locale", locale);
    return m;
}

static void test_strnormalizer(void **state)
{
    (void)state;
    /* case-insensitive stopwords, UPPER; an embedded NUL survives; a UTF-8 é (c3 a9) is left as
     * it is (only ASCII letters change case) */
    const onnxbn_string x[5] = {{"Monday", 6}, {"a\0b", 3}, {"", 0}, {"caf\xc3\xa9", 5}, {"MONDAY", 6}};
    const int64_t d[2] = {1, 5};
    const char *stop[1] = {"monday"};
    mk_model *m = strnorm_model(2, d, "UPPER", 0, 1, stop, "en_US");
    onnxbn_session *s = mk_open_ok(m);
    mk_feed f = {"X", ONNXBN_STRING, 2, d, x};
    mk_run_ok(s, 1, &f);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_rank(y), 2);
    assert_int_equal(onnxbn_tensor_dims(y)[0], 1);
    assert_int_equal(onnxbn_tensor_dims(y)[1], 3);
    const onnxbn_string *h = onnxbn_tensor_cdata(y);
    expect_str(&h[0], "A\0B", 3);
    expect_str(&h[1], "", 0);
    expect_str(&h[2], "CAF\xc3\xa9", 5);
    onnxbn_session_free(s);
    mk_free(m);
    /* case-sensitive: only the exact word goes; LOWER */
    m = strnorm_model(1, (const int64_t[]){5}, "LOWER", 1, 1, stop, NULL);
    s = mk_open_ok(m);
    mk_feed f1 = {"X", ONNXBN_STRING, 1, (const int64_t[]){5}, x};
    mk_run_ok(s, 1, &f1);
    y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_numel(y), 5);
    h = onnxbn_tensor_cdata(y);
    expect_str(&h[0], "monday", 6);
    expect_str(&h[4], "monday", 6);
    onnxbn_session_free(s);
    mk_free(m);
    /* everything dropped: [1] holding one empty string */
    const onnxbn_string all[2] = {{"monday", 6}, {"MonDay", 6}};
    m = strnorm_model(1, (const int64_t[]){2}, NULL, 0, 1, stop, "");
    s = mk_open_ok(m);
    mk_feed f2 = {"X", ONNXBN_STRING, 1, (const int64_t[]){2}, all};
    mk_run_ok(s, 1, &f2);
    y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_rank(y), 1);
    assert_int_equal(onnxbn_tensor_numel(y), 1);
    expect_str(onnxbn_tensor_cdata(y), "", 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_strnormalizer_bad(void **state)
{
    (void)state;
    const onnxbn_string x[2] = {{"a", 1}, {"b", 1}};
    const int64_t d1[1] = {2}, d2[2] = {2, 1};
    const char *stop[1] = {"a"};
    mk_model *m = strnorm_model(1, d1, NULL, 0, 1, stop, "tr_TR");
    mk_feed f = {"X", ONNXBN_STRING, 1, d1, x};
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_UNSUPPORTED, "node 'sn' (StringNormalizer): locale 'tr_TR'");
    mk_free(m);
    m = strnorm_model(1, d1, "TITLE", 0, 0, NULL, NULL);
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "case_change_action 'TITLE'");
    mk_free(m);
    m = strnorm_model(2, d2, NULL, 0, 0, NULL, NULL);
    mk_feed f2 = {"X", ONNXBN_STRING, 2, d2, x};
    mk_expect_fail(m, 1, &f2, ONNXBN_ERR_SHAPE, "X must be [C] or [1, C]");
    mk_free(m);
    /* numbers where strings are expected */
    m = mk_new(10);
    mk_input(m, "X", ONNXBN_FLOAT, 1, d1);
    mk_output(m, "Y", ONNXBN_STRING, -1, NULL);
    mk_node_add(m, "StringNormalizer", "sn", "X", "Y");
    const float xf[2] = {1, 2};
    mk_feed ff = {"X", ONNXBN_FLOAT, 1, d1, xf};
    mk_expect_fail(m, 1, &ff, ONNXBN_ERR_TYPE, "sn");
    mk_free(m);
}

/* TfIdfVectorizer on X (int64 or string), pool of 2 unigrams then 2 bigrams. */
static mk_model *tfidf_model(onnxbn_dtype xt, int rank, const int64_t *dims, const char *mode,
                             int64_t minn, int64_t skip, bool weights)
{
    mk_model *m = mk_new(9);
    mk_input(m, "X", xt, rank, dims);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "TfIdfVectorizer", "tf", "X", "Y");
    mk_attr_s(n, "mode", mode);
    mk_attr_i(n, "min_gram_length", minn);
    mk_attr_i(n, "max_gram_length", 2);
    mk_attr_i(n, "max_skip_count", skip);
    mk_attr_ints(n, "ngram_counts", 2, (const int64_t[]){0, 2});
    /* unigram "7"/"a" -> column 3, "8"/"b" -> 0; bigram (7,8) -> 1, (8,7) -> 2 */
    mk_attr_ints(n, "ngram_indexes", 4, (const int64_t[]){3, 0, 1, 2});
    if (xt == ONNXBN_STRING)
        mk_attr_strings(n, "pool_strings", 6, (const char *const[]){"a", "b", "a", "b", "b", "a"});
    else
        mk_attr_ints(n, "pool_int64s", 6, (const int64_t[]){7, 8, 7, 8, 8, 7});
    if (weights)
        mk_attr_floats(n, "weights", 4, (const float[]){0.5f, 2, 3, 0.25f});
    return m;
}

static void test_tfidf(void **state)
{
    (void)state;
    /* X = 7 8 9 7 8 7: unigrams 7 x3, 8 x2; skip 0 bigrams (7,8) x2, (8,7) x1; skip 1 pairs
     * i,i+2 are (7,9) (8,7) (9,8) (7,7): (8,7) once more; skip 2 pairs i,i+3 are (7,7) (8,8)
     * (9,7): none */
    const int64_t x[6] = {7, 8, 9, 7, 8, 7}, d[1] = {6}, yd[1] = {4};
    mk_feed f = {"X", ONNXBN_INT64, 1, d, x};
    mk_model *m = tfidf_model(ONNXBN_INT64, 1, d, "TF", 1, 2, false);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, yd, (const float[]){2, 2, 2, 3});
    mk_free(m);
    /* bigrams only, no skips */
    m = tfidf_model(ONNXBN_INT64, 1, d, "TF", 2, 0, false);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, yd, (const float[]){0, 2, 1, 0});
    mk_free(m);
    /* IDF: the weight where the n-gram occurs; TFIDF: count times weight (weights by n-gram) */
    m = tfidf_model(ONNXBN_INT64, 1, d, "IDF", 1, 0, true);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, yd, (const float[]){2, 3, 0.25f, 0.5f});
    mk_free(m);
    m = tfidf_model(ONNXBN_INT64, 1, d, "TFIDF", 1, 0, true);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, yd, (const float[]){4, 6, 0.25f, 1.5f});
    mk_free(m);
    /* strings, 2-D: each row its own counts */
    const onnxbn_string xs[6] = {{"a", 1}, {"b", 1}, {"a", 1}, {"b", 1}, {"b", 1}, {"c", 1}};
    const int64_t d2[2] = {2, 3}, y2[2] = {2, 4};
    m = tfidf_model(ONNXBN_STRING, 2, d2, "TF", 1, 0, false);
    mk_feed fs = {"X", ONNXBN_STRING, 2, d2, xs};
    mk_check_bytes(m, 1, &fs, ONNXBN_FLOAT, 2, y2, (const float[]){1, 1, 1, 2, 2, 0, 0, 0});
    mk_free(m);
    /* a skip count far past the row counts every skip that fits: skip 3 adds (7,8) at 0,4 and
     * (8,7) at 1,5 to the three skips above, skip 4 (7,7) nothing */
    m = tfidf_model(ONNXBN_INT64, 1, d, "TF", 2, INT64_MAX, false);
    mk_check_bytes(m, 1, &f, ONNXBN_FLOAT, 1, yd, (const float[]){0, 3, 3, 0});
    mk_free(m);
}

static void test_tfidf_bad(void **state)
{
    (void)state;
    const int64_t x[2] = {7, 8}, d[1] = {2};
    mk_feed f = {"X", ONNXBN_INT64, 1, d, x};
    mk_model *m = tfidf_model(ONNXBN_INT64, 1, d, "BM25", 1, 0, false);
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "node 'tf' (TfIdfVectorizer): mode 'BM25'");
    mk_free(m);
    m = tfidf_model(ONNXBN_INT64, 1, d, "TF", 3, 0, false);
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "gram lengths [3, 2]");
    mk_free(m);
    /* an integer pool for string input */
    const onnxbn_string xs[2] = {{"a", 1}, {"b", 1}};
    m = mk_new(9);
    mk_input(m, "X", ONNXBN_STRING, 1, d);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "TfIdfVectorizer", "tf", "X", "Y");
    mk_attr_s(n, "mode", "TF");
    mk_attr_i(n, "min_gram_length", 1);
    mk_attr_i(n, "max_gram_length", 1);
    mk_attr_i(n, "max_skip_count", 0);
    mk_attr_ints(n, "ngram_counts", 1, (const int64_t[]){0});
    mk_attr_ints(n, "ngram_indexes", 3, (const int64_t[]){0, 1, 2});
    mk_attr_ints(n, "pool_int64s", 2, (const int64_t[]){1, 2});
    mk_feed fs = {"X", ONNXBN_STRING, 1, d, xs};
    mk_expect_fail(m, 1, &fs, ONNXBN_ERR_TYPE, "input X is string but the pool is pool_int64s");
    mk_free(m);
    /* ngram_indexes not matching the pool */
    m = mk_new(9);
    mk_input(m, "X", ONNXBN_INT64, 1, d);
    mk_output(m, "Y", ONNXBN_FLOAT, -1, NULL);
    n = mk_node_add(m, "TfIdfVectorizer", "tf", "X", "Y");
    mk_attr_s(n, "mode", "TF");
    mk_attr_i(n, "min_gram_length", 1);
    mk_attr_i(n, "max_gram_length", 1);
    mk_attr_i(n, "max_skip_count", 0);
    mk_attr_ints(n, "ngram_counts", 1, (const int64_t[]){0});
    mk_attr_ints(n, "ngram_indexes", 3, (const int64_t[]){0, 1, 2});
    mk_attr_ints(n, "pool_int64s", 2, (const int64_t[]){1, 2});
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_MODEL, "the pool holds 2 n-grams, ngram_indexes has 3");
    mk_free(m);
}

/* Data movement moves handles: Transpose, Concat and Unique (sorted by bytes, as numpy sorts str)
 * on strings. */
static void test_movement(void **state)
{
    (void)state;
    const onnxbn_string x[4] = {{"b", 1}, {"a\0", 2}, {"", 0}, {"a", 1}};
    const int64_t d[2] = {2, 2};
    mk_feed f = {"X", ONNXBN_STRING, 2, d, x};
    mk_model *m = mk_new(13);
    mk_input(m, "X", ONNXBN_STRING, 2, d);
    mk_output(m, "Y", ONNXBN_STRING, -1, NULL);
    mk_node_add(m, "Transpose", "t", "X", "Y");
    mk_check_bytes(m, 1, &f, ONNXBN_STRING, 2, d, (const onnxbn_string[]){x[0], x[2], x[1], x[3]});
    mk_free(m);
    m = mk_new(13);
    mk_input(m, "X", ONNXBN_STRING, 2, d);
    mk_output(m, "Y", ONNXBN_STRING, -1, NULL);
    mk_attr_i(mk_node_add(m, "Concat", "c", "X,X", "Y"), "axis", 1);
    mk_check_bytes(m, 1, &f, ONNXBN_STRING, 2, (const int64_t[]){2, 4},
                   (const onnxbn_string[]){x[0], x[1], x[0], x[1], x[2], x[3], x[2], x[3]});
    mk_free(m);
    /* "" < "a" < "a\0" < "b" */
    const onnxbn_string xu[5] = {{"b", 1}, {"a\0", 2}, {"", 0}, {"a", 1}, {"b", 1}};
    m = mk_new(11);
    mk_input(m, "X", ONNXBN_STRING, 1, (const int64_t[]){5});
    mk_output(m, "Y", ONNXBN_STRING, -1, NULL);
    mk_node_add(m, "Unique", "u", "X", "Y");
    mk_feed fu = {"X", ONNXBN_STRING, 1, (const int64_t[]){5}, xu};
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, 1, &fu);
    /* Unique runs deferred (its size depends on the values): its strings are copied into the
     * run arena, so compare bytes, not handles */
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_numel(y), 4);
    const onnxbn_string *h = onnxbn_tensor_cdata(y);
    expect_str(&h[0], "", 0);
    expect_str(&h[1], "a", 1);
    expect_str(&h[2], "a\0", 2);
    expect_str(&h[3], "b", 1);
    onnxbn_session_free(s);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_pb_roundtrip),
        cmocka_unit_test(test_malformed_pb),
        cmocka_unit_test(test_cast_to_string),
        cmocka_unit_test(test_cast_from_string),
        cmocka_unit_test(test_cast_folded),
        cmocka_unit_test(test_string_misfed),
        cmocka_unit_test(test_strnormalizer),
        cmocka_unit_test(test_strnormalizer_bad),
        cmocka_unit_test(test_tfidf),
        cmocka_unit_test(test_tfidf_bad),
        cmocka_unit_test(test_movement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
