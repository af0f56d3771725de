/* SPDX-License-Identifier: Apache-2.0 */
/* test_load.c — the loader, graph index and session: every tensor encoding, external data and
 * its escapes, structural errors, input checking, symbolic dims and re-planning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mkmodel.h"

static const int64_t d23[] = {2, 3};
static const float vals6[] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};

/* Builds init -> Relu -> y, runs it, and returns the session (outputs checked by the caller). */
static onnxbn_session *relu_of_init(mk_model *m, onnxbn_dtype dt)
{
    mk_node_add(m, "Relu", "r", "w", "y");
    mk_output(m, "y", dt, 2, d23);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = mk_session(m, &s, &err);
    if (st)
        fail_msg("session: %s", err.msg);
    st = mk_run(s, 0, NULL, &err);
    if (st)
        fail_msg("run: %s", err.msg);
    return s;
}

static void test_raw_and_typed_float(void **state)
{
    (void)state;
    for (int typed = 0; typed < 2; typed++) {
        mk_model *m = mk_new(14);
        if (typed)
            mk_init_typed(m, "w", ONNXBN_FLOAT, 2, d23, vals6);
        else
            mk_init_f32(m, "w", 2, d23, vals6);
        onnxbn_session *s = relu_of_init(m, ONNXBN_FLOAT);
        mk_expect_f32(s, 0, 2, d23, vals6, 0, 0);
        onnxbn_session_free(s);
        mk_free(m);
    }
}

static void test_typed_int64_int32_double(void **state)
{
    (void)state;
    const int64_t i64[] = {1, 2, 3, 4, 5, 6000000000LL};
    const int32_t i32[] = {7, 0, 9, 10, 11, 12};
    const double f64[] = {0.25, 1e-300, 3, 4, 5, 6};
    struct { onnxbn_dtype dt; const void *data; size_t esz; } cases[] = {
        {ONNXBN_INT64, i64, 8}, {ONNXBN_INT32, i32, 4}, {ONNXBN_DOUBLE, f64, 8}};
    for (size_t c = 0; c < 3; c++)
        for (int typed = 0; typed < 2; typed++) {
            mk_model *m = mk_new(14);
            if (typed)
                mk_init_typed(m, "w", cases[c].dt, 2, d23, cases[c].data);
            else
                mk_init(m, "w", cases[c].dt, 2, d23, cases[c].data);
            onnxbn_session *s = relu_of_init(m, cases[c].dt);
            const onnxbn_tensor *y = onnxbn_session_output(s, 0);
            assert_non_null(y);
            assert_int_equal(onnxbn_tensor_dtype(y), cases[c].dt);
            assert_memory_equal(onnxbn_tensor_cdata(y), cases[c].data, 6 * cases[c].esz);
            onnxbn_session_free(s);
            mk_free(m);
        }
}

/* A folder with model.onnx and weights.bin; returns the folder (static buffer per call site). */
static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static onnxbn_status open_external(const char *dir, const char *location, int64_t offset,
                                   int64_t length, onnxbn_session **s, onnxbn_error *err)
{
    mk_model *m = mk_new(14);
    mk_init_external(m, "w", ONNXBN_FLOAT, 2, d23, location, offset, length);
    mk_node_add(m, "Relu", "r", "w", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    mk_save(m, path);
    mk_free(m);
    return onnxbn_session_open(path, NULL, s, err);
}

static void test_external_data(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxbn_ext_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600], sub[600];
    /* 8 bytes of padding, then the floats: offset is honoured. */
    uint8_t blob[8 + sizeof vals6] = {0};
    memcpy(blob + 8, vals6, sizeof vals6);
    snprintf(sub, sizeof sub, "%s/data", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/data/weights.bin", dir);
    write_file(path, blob, sizeof blob);

    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(open_external(dir, "data/weights.bin", 8, (int64_t)sizeof vals6, &s, &err), ONNXBN_OK);
    assert_int_equal(mk_run(s, 0, NULL, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, d23, vals6, 0, 0);
    onnxbn_session_free(s);

    /* "./data/../data/x" stays inside and is fine. */
    assert_int_equal(open_external(dir, "./data/../data/weights.bin", 8, -1, &s, &err), ONNXBN_OK);
    onnxbn_session_free(s);

    /* Past the end of the file. */
    assert_int_equal(open_external(dir, "data/weights.bin", 16, -1, &s, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "past its end"));
    /* A length that disagrees with the shape. */
    assert_int_equal(open_external(dir, "data/weights.bin", 0, 4, &s, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "length"));
    /* Escapes. */
    assert_int_equal(open_external(dir, "/etc/passwd", 0, -1, &s, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "absolute"));
    assert_int_equal(open_external(dir, "../../etc/passwd", 0, -1, &s, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "climbs out"));
    assert_int_equal(open_external(dir, "data/../../x", 0, -1, &s, &err), ONNXBN_ERR_MODEL);
    snprintf(path, sizeof path, "%s/link", dir);
    assert_int_equal(symlink("/etc", path), 0);
    assert_int_equal(open_external(dir, "link/passwd", 0, -1, &s, &err), ONNXBN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "outside"));
    assert_int_equal(open_external(dir, "missing.bin", 0, -1, &s, &err), ONNXBN_ERR_IO);
    assert_null(s);

    /* From memory without a folder, external data is refused. */
    mk_model *m = mk_new(14);
    mk_init_external(m, "w", ONNXBN_FLOAT, 2, d23, "data/weights.bin", 8, -1);
    mk_node_add(m, "Relu", "r", "w", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_ERR_MODEL);
    mk_free(m);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    onnxbn_model *m = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_load_buffer("", 0, NULL, NULL, &m, &err), ONNXBN_ERR_PARSE);
    uint8_t junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    onnxbn_status st = onnxbn_model_load_buffer(junk, sizeof junk, NULL, NULL, &m, &err);
    assert_int_not_equal(st, ONNXBN_OK);
    assert_null(m);
    assert_true(strlen(err.msg) > 0);

    /* Every truncation of a real model fails cleanly or loads a valid prefix. */
    mk_model *mm = mk_new(14);
    mk_input(mm, "x", ONNXBN_FLOAT, 2, d23);
    mk_init_f32(mm, "w", 2, d23, vals6);
    mk_node_add(mm, "Relu", "r", "x", "y");
    mk_output(mm, "y", ONNXBN_FLOAT, 2, d23);
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    for (size_t cut = 0; cut < len; cut++) {
        st = onnxbn_model_load_buffer(buf, cut, NULL, NULL, &m, &err);
        if (st == ONNXBN_OK)
            onnxbn_model_free(m);
    }
    free(buf);
    mk_free(mm);

    assert_int_equal(onnxbn_model_load("/nonexistent/model.onnx", NULL, &m, &err), ONNXBN_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/model.onnx"));
}

static void expect_model_error(mk_model *m, onnxbn_status want, const char *needle)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err);
    onnxbn_session *s = NULL;
    if (st == ONNXBN_OK)
        st = onnxbn_session_new(model, NULL, &s, &err);
    free(buf);
    onnxbn_session_free(s);
    if (st != want || !strstr(err.msg, needle))
        fail_msg("want status %d with '%s', got %d: %s", want, needle, st, err.msg);
    mk_free(m);
}

static void test_structure_errors(void **state)
{
    (void)state;
    mk_model *m = mk_new(14); /* cycle: a -> b -> a */
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "first", "b", "a");
    mk_node_add(m, "Relu", "second", "a", "b");
    mk_output(m, "b", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "cycle");

    m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "r", "nowhere", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "node 'r' (Relu): input 'nowhere' is not produced");

    m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "r1", "x", "y");
    mk_node_add(m, "Relu", "r2", "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "node 'r2' (Relu): output 'y' is already produced by node 'r1'");

    m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Frobnicate", NULL, "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_UNSUPPORTED, "node #0 (Frobnicate): operator Frobnicate (opset 14) is not supported");

    m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "r", "x", "y");
    mk_output(m, "z", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "graph output 'z'");

    m = mk_new(14); /* an attribute of the wrong type */
    mk_input(m, "a", ONNXBN_FLOAT, 2, d23);
    mk_init_f32(m, "b", 2, (const int64_t[]){3, 2}, vals6);
    mk_attr_i(mk_node_add(m, "Gemm", "g", "a,b", "y"), "alpha", 2);
    mk_output(m, "y", ONNXBN_FLOAT, 2, (const int64_t[]){2, 2});
    expect_model_error(m, ONNXBN_ERR_MODEL, "node 'g' (Gemm): attribute 'alpha' must be FLOAT, got INT");

    m = mk_new(14); /* too many inputs */
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "r", "x,x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "node 'r' (Relu): has 2 inputs");

    m = mk_new(14); /* a domain the model does not import */
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_domain(mk_node_add(m, "Relu", "r", "x", "y"), "com.example");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_MODEL, "domain 'com.example'");

    m = mk_new(99); /* an opset newer than onnxbn knows: refused, not guessed */
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_node_add(m, "Relu", "r", "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d23);
    expect_model_error(m, ONNXBN_ERR_UNSUPPORTED, "opset 99; onnxbn knows opsets up to");

    m = mk_new(14); /* a shape error found when planning at open */
    mk_input(m, "a", ONNXBN_FLOAT, 2, d23);
    mk_init_f32(m, "b", 2, d23, vals6);
    mk_node_add(m, "Gemm", "g", "a,b", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, (const int64_t[]){2, 3});
    expect_model_error(m, ONNXBN_ERR_SHAPE, "node 'g' (Gemm)");
}

static void test_nodes_out_of_order_and_optional(void **state)
{
    (void)state;
    /* y = relu(gemm(x, w) + c): nodes listed consumer first. */
    mk_model *m = mk_new(13);
    const int64_t dx[] = {-1, 3}, dw[] = {3, 2}, dy[] = {-1, 2};
    const float w[] = {1, -1, 2, 0, 0.5f, 1};
    mk_input(m, "x", ONNXBN_FLOAT, 2, dx);
    mk_init_f32(m, "w", 2, dw, w);
    mk_node_add(m, "Relu", "r", "h", "y");
    mk_node_add(m, "Gemm", "g", "x,w,", "h"); /* C given as an empty name: omitted */
    mk_output(m, "y", ONNXBN_FLOAT, 2, dy);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);

    const onnxbn_model *model = onnxbn_session_model(s);
    assert_int_equal(onnxbn_model_input_count(model), 1);
    const onnxbn_value_info *vi = onnxbn_model_input(model, 0);
    assert_string_equal(vi->name, "x");
    assert_int_equal(vi->rank, 2);
    assert_int_equal(vi->dims[0], -1);
    assert_string_equal(vi->dim_names[0], "N");
    assert_int_equal(vi->dims[1], 3);

    /* batch 2, then batch 1 (re-plan), then batch 2 again */
    const float x2[] = {1, 2, 3, -1, -2, -3};
    const float y2[] = {1 * 1 + 2 * 2 + 3 * 0.5f, -1 + 0 + 3, 0, 0}; /* relu([6.5,2],[-6.5,-2]) */
    const float x1[] = {1, 0, 0};
    const float y1[] = {1, 0};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, (const int64_t[]){2, 3}, x2}}, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 2, (const int64_t[]){2, 2}, y2, 1e-6, 0);
        assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, (const int64_t[]){1, 3}, x1}}, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 2, (const int64_t[]){1, 2}, y1, 1e-6, 0);
    }

    /* Input errors name the input. */
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, (const int64_t[]){2, 4}, x2}}, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "input 'x' has shape [2,4]"));
    assert_null(onnxbn_session_output(s, 0));
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 1, (const int64_t[]){6}, x2}}, &err), ONNXBN_ERR_SHAPE);
    assert_non_null(strstr(err.msg, "rank"));
    const int64_t i6[6] = {0};
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", ONNXBN_INT64, 2, (const int64_t[]){2, 3}, i6}}, &err), ONNXBN_ERR_TYPE);
    assert_non_null(strstr(err.msg, "input 'x' is int64, the model expects float"));
    assert_int_equal(mk_run(s, 0, NULL, &err), ONNXBN_ERR_ARG);
    assert_non_null(strstr(err.msg, "input 'x' was not given"));
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"q", 0, 2, (const int64_t[]){2, 3}, x2}}, &err), ONNXBN_ERR_ARG);
    assert_non_null(strstr(err.msg, "no input named 'q'"));
    onnxbn_session_free(s);
    mk_free(m);
}

/* IR 3 style: initializers are listed as graph inputs; they are defaults the caller may override. */
static void test_initializer_as_input(void **state)
{
    (void)state;
    const int64_t d1[] = {1, 3}, dw[] = {3, 1};
    const float w[] = {1, 2, 3}, w2[] = {-1, -1, -1}, x[] = {1, 1, 1};
    mk_model *m = mk_new(6);
    mk_ir_version(m, 3);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d1);
    mk_input(m, "w", ONNXBN_FLOAT, 2, dw);
    mk_init_f32(m, "w", 2, dw, w);
    mk_init_f32(m, "c", 1, (const int64_t[]){1}, (const float[]){0.5f});
    mk_input(m, "c", ONNXBN_FLOAT, 1, (const int64_t[]){1});
    mk_attr_i(mk_node_add(m, "Gemm", "g", "x,w,c", "y"), "broadcast", 1);
    mk_output(m, "y", ONNXBN_FLOAT, 2, (const int64_t[]){1, 1});
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_input_count(onnxbn_session_model(s)), 1);
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, d1, x}}, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, (const int64_t[]){1, 1}, (const float[]){6.5f}, 1e-6, 0);
    /* Overriding the default. */
    assert_int_equal(mk_run(s, 2, (mk_feed[]){{"x", 0, 2, d1, x}, {"w", 0, 2, dw, w2}}, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, (const int64_t[]){1, 1}, (const float[]){-2.5f}, 1e-6, 0);
    /* And back. */
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, d1, x}}, &err), ONNXBN_OK);
    mk_expect_f32(s, 0, 2, (const int64_t[]){1, 1}, (const float[]){6.5f}, 1e-6, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_scalar_and_passthrough(void **state)
{
    (void)state;
    /* A 0-D input, and a graph output that is the graph input itself. */
    mk_model *m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 0, NULL);
    mk_node_add(m, "Relu", "r", "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 0, NULL);
    mk_output(m, "x", ONNXBN_FLOAT, 0, NULL);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    float v = -3;
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 0, NULL, &v}}, &err), ONNXBN_OK);
    v = 99; /* the outputs must not alias the caller's input */
    mk_expect_f32(s, 0, 0, NULL, (const float[]){0}, 0, 0);
    mk_expect_f32(s, 1, 0, NULL, (const float[]){-3}, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_memory_limit(void **state)
{
    (void)state;
    mk_model *m = mk_new(14);
    mk_input(m, "x", ONNXBN_FLOAT, 2, (const int64_t[]){-1, 1024});
    mk_node_add(m, "Relu", "r", "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, (const int64_t[]){-1, 1024});
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_session *s;
    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .max_memory = 64 * 1024};
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_session_new(model, &opt, &s, &err), ONNXBN_OK);
    float *x = calloc(64 * 1024, sizeof *x);
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, (const int64_t[]){64, 1024}, x}}, &err), ONNXBN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "memory limit"));
    assert_int_equal(mk_run(s, 1, (mk_feed[]){{"x", 0, 2, (const int64_t[]){2, 1024}, x}}, &err), ONNXBN_OK);
    free(x);
    free(buf);
    onnxbn_session_free(s);
    mk_free(m);
}

/* An input whose contents decide a shape (ReduceSum-13 axes) is read at plan time; new contents
 * make a new plan. */
static void test_value_input(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_input(m, "axes", ONNXBN_INT64, 1, (const int64_t[]){1});
    mk_attr_i(mk_node_add(m, "ReduceSum", "r", "x,axes", "y"), "keepdims", 0);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    const int64_t ax0[] = {0}, ax1[] = {1};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(mk_run(s, 2, (mk_feed[]){{"x", 0, 2, d23, vals6}, {"axes", ONNXBN_INT64, 1, (const int64_t[]){1}, ax1}}, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 1, (const int64_t[]){2}, (const float[]){4.5f, 13.5f}, 1e-6, 0);
        assert_int_equal(mk_run(s, 2, (mk_feed[]){{"x", 0, 2, d23, vals6}, {"axes", ONNXBN_INT64, 1, (const int64_t[]){1}, ax0}}, &err), ONNXBN_OK);
        mk_expect_f32(s, 0, 1, (const int64_t[]){3}, (const float[]){4, 6, 8}, 1e-6, 0);
    }
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_model_info(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    mk_opset(m, "com.example", 2);
    mk_input(m, "x", ONNXBN_FLOAT, 2, d23);
    mk_init_f32(m, "w", 2, (const int64_t[]){3, 2}, vals6);
    mk_node_add(m, "Gemm", "g", "x,w", "h");
    mk_node_add(m, "Relu", NULL, "h", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, (const int64_t[]){2, 2});
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_ir_version(model), 8);
    assert_string_equal(onnxbn_model_producer_name(model), "mkmodel");
    assert_string_equal(onnxbn_model_producer_version(model), "");
    assert_int_equal(onnxbn_model_opset_count(model), 2);
    assert_string_equal(onnxbn_model_opset_domain(model, 1), "com.example");
    assert_int_equal(onnxbn_model_opset_version(model, 0), 13);
    assert_int_equal(onnxbn_model_node_count(model), 2);
    assert_string_equal(onnxbn_model_node_op_type(model, 1), "Relu");
    assert_string_equal(onnxbn_model_node_name(model, 1), "");
    assert_int_equal(onnxbn_model_initializer_count(model), 1);
    assert_int_equal(onnxbn_model_initializer_bytes(model), 24);
    assert_int_equal(onnxbn_model_output_count(model), 1);
    assert_string_equal(onnxbn_model_output(model, 0)->name, "y");
    onnxbn_model_free(model);
    free(buf);
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_and_typed_float),
        cmocka_unit_test(test_typed_int64_int32_double),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_nodes_out_of_order_and_optional),
        cmocka_unit_test(test_initializer_as_input),
        cmocka_unit_test(test_scalar_and_passthrough),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_value_input),
        cmocka_unit_test(test_model_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
