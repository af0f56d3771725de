/* SPDX-License-Identifier: Apache-2.0 */
/* test_sequence.c — sequence and optional values: the Sequence* and Optional* operators with
 * hand-computed results, sequences fed and handed back through the C API, the value files, and
 * bad input (index out of range, a sequence where a tensor is expected, mismatched concat). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mkmodel.h"

static onnxbn_tensor *f32(int rank, const int64_t *dims, const float *v)
{
    onnxbn_tensor *t;
    onnxbn_error err = {0};
    if (onnxbn_tensor_new(ONNXBN_FLOAT, rank, dims, &t, &err))
        fail_msg("%s", err.msg);
    memcpy(onnxbn_tensor_data(t), v, onnxbn_tensor_nbytes(t));
    return t;
}

static onnxbn_tensor *i64(int64_t v)
{
    onnxbn_tensor *t;
    if (onnxbn_tensor_new(ONNXBN_INT64, 0, NULL, &t, NULL))
        fail_msg("tensor");
    *(int64_t *)onnxbn_tensor_data(t) = v;
    return t;
}

/* Element i of sequence s is float with these dims and values. */
static void expect_elem(const onnxbn_tensor *s, size_t i, int rank, const int64_t *dims,
                        const float *v)
{
    assert_int_equal(onnxbn_tensor_kind(s), ONNXBN_KIND_SEQUENCE);
    const onnxbn_tensor *e = onnxbn_sequence_at(s, i);
    assert_non_null(e);
    assert_int_equal(onnxbn_tensor_dtype(e), ONNXBN_FLOAT);
    assert_int_equal(onnxbn_tensor_rank(e), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(e)[d], dims[d]);
    const float *g = onnxbn_tensor_cdata(e);
    for (int64_t k = 0; k < onnxbn_tensor_numel(e); k++)
        assert_true(g[k] == v[k]);
}

/* seq = [x, y]; insert z at the front; at(1) is x; length 3; erase the last: [z, x]. */
static void test_construct_insert_at_erase(void **state)
{
    (void)state;
    mk_model *m = mk_new(17);
    const int64_t d2[] = {2}, d3[] = {3}, d1[] = {1};
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_input(m, "y", ONNXBN_FLOAT, 1, d3);
    mk_input(m, "z", ONNXBN_FLOAT, 1, d1);
    mk_init(m, "zero", ONNXBN_INT64, 0, NULL, (const int64_t[]){0});
    mk_init(m, "one", ONNXBN_INT64, 0, NULL, (const int64_t[]){1});
    mk_node_add(m, "SequenceConstruct", "c", "x,y", "s");
    mk_node_add(m, "SequenceInsert", "i", "s,z,zero", "s2");
    mk_node_add(m, "SequenceAt", "at", "s2,one", "e");
    mk_node_add(m, "SequenceLength", "len", "s2", "n");
    mk_node_add(m, "SequenceErase", "er", "s2", "s3");
    mk_output(m, "e", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "n", ONNXBN_INT64, -1, NULL);
    mk_output(m, "s3", ONNXBN_UNDEFINED, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float x[] = {1, 2}, y[] = {3, 4, 5}, z[] = {9};
    mk_feed f[3] = {{"x", 0, 1, d2, x}, {"y", 0, 1, d3, y}, {"z", 0, 1, d1, z}};
    for (int run = 0; run < 2; run++) { /* the second run reuses the plan and its run arena */
        mk_run_ok(s, 3, f);
        mk_expect_f32(s, 0, 1, d2, x, 0, 0);
        const onnxbn_tensor *n = onnxbn_session_output(s, 1);
        assert_int_equal(onnxbn_tensor_rank(n), 0);
        assert_int_equal(*(const int64_t *)onnxbn_tensor_cdata(n), 3);
        const onnxbn_tensor *s3 = onnxbn_session_output(s, 2);
        assert_int_equal(onnxbn_sequence_length(s3), 2);
        expect_elem(s3, 0, 1, d1, z);
        expect_elem(s3, 1, 1, d2, x);
        assert_null(onnxbn_sequence_at(s3, 2));
    }
    onnxbn_session_free(s);
    mk_free(m);
}

/* x[2,3] split on axis 1 as [1, 2] and concatenated back is x; split into columns without
 * keepdims and stacked on a new axis 1 is x again. */
static void test_split_concat(void **state)
{
    (void)state;
    mk_model *m = mk_new(17);
    const int64_t d23[] = {2, 3}, d2[] = {2};
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_init(m, "sp", ONNXBN_INT64, 1, d2, (const int64_t[]){1, 2});
    mk_node *a = mk_node_add(m, "SplitToSequence", "split", "x,sp", "s");
    mk_attr_i(a, "axis", 1);
    mk_node *b = mk_node_add(m, "ConcatFromSequence", "cat", "s", "y");
    mk_attr_i(b, "axis", -1);
    mk_node *c = mk_node_add(m, "SplitToSequence", "cols", "x", "cs");
    mk_attr_i(c, "axis", 1);
    mk_attr_i(c, "keepdims", 0);
    mk_node *d = mk_node_add(m, "ConcatFromSequence", "stack", "cs", "y2");
    mk_attr_i(d, "axis", 1);
    mk_attr_i(d, "new_axis", 1);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "cs", ONNXBN_UNDEFINED, -1, NULL);
    mk_output(m, "y2", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float x[] = {1, 2, 3, 4, 5, 6};
    mk_feed f[1] = {{"x", 0, 2, d23, x}};
    mk_run_ok(s, 1, f);
    mk_expect_f32(s, 0, 2, d23, x, 0, 0);
    const onnxbn_tensor *cs = onnxbn_session_output(s, 1);
    assert_int_equal(onnxbn_sequence_length(cs), 3);
    expect_elem(cs, 0, 1, d2, (const float[]){1, 4});
    expect_elem(cs, 2, 1, d2, (const float[]){3, 6});
    mk_expect_f32(s, 2, 2, d23, x, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A sequence fed through the API (undeclared input), read at a fed position; lengths and element
 * shapes change from run to run; a position out of range is an error naming the node. */
static void test_fed_sequence(void **state)
{
    (void)state;
    mk_model *m = mk_new(17);
    mk_input(m, "s", ONNXBN_UNDEFINED, -1, NULL);
    mk_input(m, "p", ONNXBN_INT64, 0, NULL);
    mk_node_add(m, "SequenceAt", "at", "s,p", "e");
    mk_node_add(m, "Identity", "id", "s", "s_out");
    mk_output(m, "e", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "s_out", ONNXBN_UNDEFINED, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const int64_t d2[] = {2}, d13[] = {1, 3};
    onnxbn_tensor *a = f32(1, d2, (const float[]){1, 2}), *b = f32(2, d13, (const float[]){3, 4, 5});
    const onnxbn_tensor *el[] = {a, b};
    const char *names[] = {"s", "p"};
    onnxbn_error err = {0};
    for (int len = 2; len >= 1; len--) {
        onnxbn_tensor *seq, *p = i64(-1);
        assert_int_equal(onnxbn_sequence_new(ONNXBN_FLOAT, (size_t)len, el, &seq, &err), ONNXBN_OK);
        const onnxbn_tensor *in[] = {seq, p};
        if (onnxbn_session_run(s, 2, names, in, &err))
            fail_msg("%s", err.msg);
        onnxbn_tensor_free(seq); /* the outputs are the session's own */
        onnxbn_tensor_free(p);
        if (len == 2)
            mk_expect_f32(s, 0, 2, d13, (const float[]){3, 4, 5}, 0, 0);
        else
            mk_expect_f32(s, 0, 1, d2, (const float[]){1, 2}, 0, 0);
        const onnxbn_tensor *so = onnxbn_session_output(s, 1);
        assert_int_equal(onnxbn_sequence_length(so), (size_t)len);
        expect_elem(so, 0, 1, d2, (const float[]){1, 2});
    }
    onnxbn_tensor *seq, *p = i64(2);
    assert_int_equal(onnxbn_sequence_new(ONNXBN_FLOAT, 2, el, &seq, &err), ONNXBN_OK);
    const onnxbn_tensor *in[] = {seq, p};
    assert_int_equal(onnxbn_session_run(s, 2, names, in, &err), ONNXBN_ERR_ARG);
    assert_non_null(strstr(err.msg, "node 'at' (SequenceAt): position 2 is out of range [-2, 1]"));
    onnxbn_tensor_free(seq);
    onnxbn_tensor_free(p);
    onnxbn_tensor_free(a);
    onnxbn_tensor_free(b);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A sequence reaching an operator that takes tensors: one error naming the node, whether the
 * sequence is made in the graph (found when planning) or fed (found at the run); and a fed
 * sequence where the model declares a tensor is refused before anything runs. */
static void test_sequence_where_tensor(void **state)
{
    (void)state;
    const int64_t d2[] = {2};
    mk_model *m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "SequenceConstruct", "c", "x,x", "s");
    mk_node_add(m, "Relu", "r", "s", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    const float x[] = {1, -1};
    mk_feed f[1] = {{"x", 0, 1, d2, x}};
    /* found when the model loads, before any session */
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_error lerr = {0};
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &lerr), ONNXBN_ERR_TYPE);
    assert_null(model);
    assert_string_equal(lerr.msg, "node 'r' (Relu): input 0 ('s') is a sequence; Relu takes tensors");
    free(buf);
    mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE, "node 'r' (Relu): input 0 ('s') is a sequence; Relu takes tensors");
    mk_free(m);

    /* through Identity, which carries any kind; and an empty optional (found when planning) */
    m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "SequenceConstruct", "c", "x", "s");
    mk_node_add(m, "Identity", "i", "s", "s2");
    mk_node_add(m, "Abs", "a", "s2", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE, "node 'a' (Abs): input 0 ('s2') is a sequence; Abs takes tensors");
    mk_free(m);
    m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "Optional", "o", "", "e");
    mk_node_add(m, "Add", "add", "x,e", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_expect_fail(m, 1, f, ONNXBN_ERR_TYPE, "node 'add' (Add): input 1 ('e') is an empty optional; Add takes tensors");
    mk_free(m);

    m = mk_new(17);
    mk_input(m, "s", ONNXBN_UNDEFINED, -1, NULL);
    mk_input(m, "t", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "Relu", "r", "s", "y");
    mk_node_add(m, "Relu", "r2", "t", "y2");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "y2", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    onnxbn_tensor *a = f32(1, d2, x), *seq;
    onnxbn_error err = {0};
    const onnxbn_tensor *el[] = {a};
    assert_int_equal(onnxbn_sequence_new(ONNXBN_FLOAT, 1, el, &seq, &err), ONNXBN_OK);
    const char *names[] = {"s", "t"};
    const onnxbn_tensor *in[] = {seq, a};
    assert_int_equal(onnxbn_session_run(s, 2, names, in, &err), ONNXBN_ERR_TYPE);
    assert_non_null(strstr(err.msg, "node 'r' (Relu): input 0 ('s') is a sequence"));
    const onnxbn_tensor *in2[] = {a, seq};
    assert_int_equal(onnxbn_session_run(s, 2, names, in2, &err), ONNXBN_ERR_TYPE);
    assert_string_equal(err.msg, "input 't' is a sequence, the model expects a tensor");
    onnxbn_tensor_free(seq);
    onnxbn_tensor_free(a);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_concat_mismatch(void **state)
{
    (void)state;
    const int64_t d2[] = {2}, d3[] = {3}, d12[] = {1, 2};
    mk_model *m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_input(m, "y", ONNXBN_FLOAT, 2, d12);
    mk_node_add(m, "SequenceConstruct", "c", "x,y", "s");
    mk_node *n = mk_node_add(m, "ConcatFromSequence", "cat", "s", "z");
    mk_attr_i(n, "axis", 0);
    mk_output(m, "z", ONNXBN_FLOAT, -1, NULL);
    const float x[] = {1, 2};
    mk_feed f[2] = {{"x", 0, 1, d2, x}, {"y", 0, 2, d12, x}};
    mk_expect_fail(m, 2, f, ONNXBN_ERR_SHAPE,
                   "node 'cat' (ConcatFromSequence): element 1 is float [1,2], element 0 float [2]");
    mk_free(m);

    /* stacking needs equal shapes: [2] and [3] concatenate on axis 0 but do not stack */
    m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_input(m, "y", ONNXBN_FLOAT, 1, d3);
    mk_node_add(m, "SequenceConstruct", "c", "x,y", "s");
    n = mk_node_add(m, "ConcatFromSequence", "cat", "s", "z");
    mk_attr_i(n, "axis", 0);
    mk_attr_i(n, "new_axis", 1);
    mk_output(m, "z", ONNXBN_FLOAT, -1, NULL);
    const float y[] = {3, 4, 5};
    mk_feed g[2] = {{"x", 0, 1, d2, x}, {"y", 0, 1, d3, y}};
    mk_expect_fail(m, 2, g, ONNXBN_ERR_SHAPE, "element 1 is float [3], element 0 float [2]");
    mk_free(m);
}

/* Optional(x) holds x; Optional() holds nothing; getting from an empty one is an error. */
static void test_optional(void **state)
{
    (void)state;
    const int64_t d2[] = {2};
    mk_model *m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "Optional", "o", "x", "ox");
    mk_node_add(m, "Optional", "e", "", "oe");
    mk_node_add(m, "OptionalHasElement", "h1", "ox", "b1");
    mk_node_add(m, "OptionalHasElement", "h2", "oe", "b2");
    mk_node_add(m, "OptionalGetElement", "g", "ox", "y");
    mk_output(m, "b1", ONNXBN_BOOL, -1, NULL);
    mk_output(m, "b2", ONNXBN_BOOL, -1, NULL);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "oe", ONNXBN_UNDEFINED, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    const float x[] = {7, 8};
    mk_feed f[1] = {{"x", 0, 1, d2, x}};
    mk_run_ok(s, 1, f);
    assert_int_equal(*(const uint8_t *)onnxbn_tensor_cdata(onnxbn_session_output(s, 0)), 1);
    assert_int_equal(*(const uint8_t *)onnxbn_tensor_cdata(onnxbn_session_output(s, 1)), 0);
    mk_expect_f32(s, 2, 1, d2, x, 0, 0);
    assert_int_equal(onnxbn_tensor_kind(onnxbn_session_output(s, 3)), ONNXBN_KIND_NONE);
    onnxbn_session_free(s);
    mk_free(m);

    m = mk_new(17);
    mk_input(m, "x", ONNXBN_FLOAT, 1, d2);
    mk_node_add(m, "Optional", "e", "", "oe");
    mk_node_add(m, "OptionalGetElement", "g", "oe", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_expect_fail(m, 1, f, ONNXBN_ERR_ARG, "node 'g' (OptionalGetElement): input 'oe' is an empty optional");
    mk_free(m);
}

/* SequenceMap: the body adds the tensor input to each element. */
static void test_sequence_map(void **state)
{
    (void)state;
    const int64_t d2[] = {2}, d1[] = {1};
    mk_model *m = mk_new(17);
    mk_input(m, "s", ONNXBN_UNDEFINED, -1, NULL);
    mk_input(m, "k", ONNXBN_FLOAT, 1, d1);
    mk_model *body = mk_new(17);
    mk_input(body, "e", ONNXBN_FLOAT, -1, NULL);
    mk_input(body, "kk", ONNXBN_FLOAT, 1, d1);
    mk_node_add(body, "Add", "add", "e,kk", "r");
    mk_output(body, "r", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(m, "SequenceMap", "map", "s,k", "out");
    mk_attr_graph(m, n, "body", body);
    mk_output(m, "out", ONNXBN_UNDEFINED, -1, NULL);
    onnxbn_session *s = mk_open_ok(m);
    onnxbn_tensor *a = f32(1, d2, (const float[]){1, 2}), *b = f32(1, d1, (const float[]){5});
    onnxbn_tensor *k = f32(1, d1, (const float[]){10}), *seq;
    const onnxbn_tensor *el[] = {a, b};
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_sequence_new(ONNXBN_FLOAT, 2, el, &seq, &err), ONNXBN_OK);
    const char *names[] = {"s", "k"};
    const onnxbn_tensor *in[] = {seq, k};
    if (onnxbn_session_run(s, 2, names, in, &err))
        fail_msg("%s", err.msg);
    const onnxbn_tensor *o = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_sequence_length(o), 2);
    expect_elem(o, 0, 1, d2, (const float[]){11, 12});
    expect_elem(o, 1, 1, d1, (const float[]){15});
    onnxbn_tensor_free(seq);
    onnxbn_tensor_free(a);
    onnxbn_tensor_free(b);
    onnxbn_tensor_free(k);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Value files: a sequence and an empty optional written and read back; bytes that are not a
 * sequence are a parse error, never a crash. */
static void test_value_files(void **state)
{
    (void)state;
    const int64_t d2[] = {2}, d12[] = {1, 2};
    onnxbn_tensor *a = f32(1, d2, (const float[]){1, 2}), *b = f32(2, d12, (const float[]){3, 4});
    const onnxbn_tensor *el[] = {a, b};
    onnxbn_tensor *seq, *none, *back;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_sequence_new(ONNXBN_FLOAT, 2, el, &seq, &err), ONNXBN_OK);
    char path[] = "/tmp/onnxbn_seq_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const onnxbn_kind kinds[] = {ONNXBN_KIND_SEQUENCE, ONNXBN_KIND_OPTIONAL_SEQUENCE};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(onnxbn_value_write_pb(path, seq, "s", kinds[i], &err), ONNXBN_OK);
        char *name = NULL;
        assert_int_equal(onnxbn_value_read_file(path, kinds[i], &back, &name, &err), ONNXBN_OK);
        assert_string_equal(name, "s");
        free(name);
        assert_int_equal(onnxbn_sequence_length(back), 2);
        expect_elem(back, 0, 1, d2, (const float[]){1, 2});
        expect_elem(back, 1, 2, d12, (const float[]){3, 4});
        onnxbn_tensor_free(back);
    }
    assert_int_equal(onnxbn_optional_none(ONNXBN_FLOAT, &none, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_value_write_pb(path, none, NULL, ONNXBN_KIND_SEQUENCE, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_value_write_pb(path, none, NULL, ONNXBN_KIND_OPTIONAL_TENSOR, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_value_read_file(path, ONNXBN_KIND_OPTIONAL_TENSOR, &back, NULL, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_tensor_kind(back), ONNXBN_KIND_NONE);
    onnxbn_tensor_free(back);
    /* a sequence cannot be written as a tensor file */
    assert_int_equal(onnxbn_tensor_write_npy(path, seq, &err), ONNXBN_ERR_UNSUPPORTED);
    const uint8_t junk[] = {0x1a, 0x05, 0x08, 0x02, 0x10}; /* field 3 of 5 bytes, truncated */
    assert_int_equal(onnxbn_value_read_buffer(junk, sizeof junk, ONNXBN_KIND_SEQUENCE, &back, NULL, &err),
                     ONNXBN_ERR_PARSE);
    remove(path);
    onnxbn_tensor_free(none);
    onnxbn_tensor_free(seq);
    onnxbn_tensor_free(a);
    onnxbn_tensor_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_construct_insert_at_erase),
        cmocka_unit_test(test_split_concat),
        cmocka_unit_test(test_fed_sequence),
        cmocka_unit_test(test_sequence_where_tensor),
        cmocka_unit_test(test_concat_mismatch),
        cmocka_unit_test(test_optional),
        cmocka_unit_test(test_sequence_map),
        cmocka_unit_test(test_value_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
