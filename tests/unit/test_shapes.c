/* SPDX-License-Identifier: Apache-2.0 */
/* test_shapes.c — onnxbn_session_shapes: every value's inferred type and shape, symbolic
 * dimensions told by planning at several sizes, deferred values unknown, bad bindings refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "onnxbn.h"

/* x[N,3] → Concat(x, x, axis 0) → c[2N,3] → Relu → r; Concat(x, x, axis 1) → w[N,6];
 * Pad(x, 1 row before) → p[N+1,3]; NonZero(x) → nz[2,?] (deferred). */
static mk_model *model(void)
{
    mk_model *m = mk_new(13);
    int64_t xd[2] = {-1, 3};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_attr_i(mk_node_add(m, "Concat", "cat0", "x,x", "c"), "axis", 0);
    mk_node_add(m, "Relu", "relu", "c", "r");
    mk_attr_i(mk_node_add(m, "Concat", "cat1", "x,x", "w"), "axis", 1);
    int64_t four[1] = {4};
    mk_init(m, "pads", ONNXBN_INT64, 1, four, (const int64_t[]){1, 0, 0, 0});
    mk_node_add(m, "Pad", "pad", "x,pads", "p");
    mk_node_add(m, "NonZero", "nz", "x", "nz");
    mk_output(m, "r", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "w", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "p", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "nz", ONNXBN_INT64, -1, NULL);
    return m;
}

static const onnxbn_value_info *find(const onnxbn_shapes *sh, const char *name)
{
    for (size_t i = 0; i < onnxbn_shapes_count(sh); i++)
        if (!strcmp(onnxbn_shapes_value(sh, i)->name, name))
            return onnxbn_shapes_value(sh, i);
    return NULL;
}

static void expect_dim(const onnxbn_value_info *v, int d, int64_t n, const char *expr)
{
    assert_non_null(v);
    assert_int_equal(v->dims[d], n);
    if (expr)
        assert_string_equal(v->dim_names[d], expr);
    else
        assert_null(v->dim_names[d]);
}

static void test_symbolic(void **state)
{
    (void)state;
    mk_model *m = model();
    onnxbn_session *s;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    onnxbn_shapes *sh;
    assert_int_equal(onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &err), ONNXBN_OK);
    /* graph order: the input, then node outputs */
    assert_int_equal(onnxbn_shapes_count(sh), 6);
    assert_string_equal(onnxbn_shapes_value(sh, 0)->name, "x");
    assert_null(onnxbn_shapes_value(sh, 6));
    const onnxbn_value_info *c = find(sh, "c"), *w = find(sh, "w"), *p = find(sh, "p");
    assert_int_equal(c->dtype, ONNXBN_FLOAT);
    assert_int_equal(c->rank, 2);
    expect_dim(find(sh, "x"), 0, -1, "N");
    expect_dim(c, 0, -1, "2*N");
    expect_dim(c, 1, 3, NULL);
    expect_dim(find(sh, "r"), 0, -1, "2*N");
    expect_dim(w, 0, -1, "N");
    expect_dim(w, 1, 6, NULL);
    expect_dim(p, 0, -1, "N+1");
    const onnxbn_value_info *nz = find(sh, "nz");
    assert_non_null(nz);
    assert_int_equal(nz->rank, -1); /* NonZero's shape depends on the data */
    onnxbn_shapes_free(sh);

    /* N bound: every dimension a number */
    const char *sym[1] = {"N"};
    int64_t size[1] = {4};
    assert_int_equal(onnxbn_session_shapes(s, 1, sym, size, &sh, &err), ONNXBN_OK);
    expect_dim(find(sh, "c"), 0, 8, NULL);
    expect_dim(find(sh, "p"), 0, 5, NULL);
    expect_dim(find(sh, "x"), 0, 4, NULL);
    onnxbn_shapes_free(sh);
    onnxbn_session_free(s);
    mk_free(m);
}

static void test_bad(void **state)
{
    (void)state;
    mk_model *m = model();
    onnxbn_session *s;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    onnxbn_shapes *sh = (onnxbn_shapes *)&err;
    const char *sym[1] = {"M"};
    int64_t size[1] = {4};
    assert_int_equal(onnxbn_session_shapes(s, 1, sym, size, &sh, &err), ONNXBN_ERR_ARG);
    assert_null(sh);
    assert_non_null(strstr(err.msg, "'M'"));
    sym[0] = "N";
    size[0] = -2;
    assert_int_equal(onnxbn_session_shapes(s, 1, sym, size, &sh, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_session_shapes(s, 1, NULL, size, &sh, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_session_shapes(NULL, 0, NULL, NULL, &sh, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_shapes_count(NULL), 0);
    assert_null(onnxbn_shapes_value(NULL, 0));
    onnxbn_shapes_free(NULL);
    onnxbn_session_free(s);
    mk_free(m);
}

/* A shape the model cannot take: the planner's own error, naming the node. */
static void test_refused(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    int64_t xd[2] = {-1, 3}, wd[2] = {4, 2};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    float wv[8] = {0};
    mk_init_f32(m, "wt", 2, wd, wv);
    mk_node_add(m, "MatMul", "mm", "x,wt", "y");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *s;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &s, &err), ONNXBN_OK);
    onnxbn_shapes *sh;
    assert_int_not_equal(onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &err), ONNXBN_OK);
    assert_null(sh);
    assert_non_null(strstr(err.msg, "mm"));
    onnxbn_session_free(s);
    mk_free(m);
}

/* A fixed batch overridden: x[2,3] declared, planned at [5,3]; a rank Gemm cannot take fails
 * at open with Gemm's own error; bad calls are refused. */
static void test_set_input_shape(void **state)
{
    (void)state;
    mk_model *mm = mk_new(13);
    int64_t xd[2] = {2, 3}, wd[2] = {3, 4};
    mk_input(mm, "x", ONNXBN_FLOAT, 2, xd);
    float wv[12] = {0};
    mk_init_f32(mm, "wt", 2, wd, wv);
    mk_node_add(mm, "Gemm", "gemm", "x,wt", "y");
    mk_output(mm, "y", ONNXBN_FLOAT, -1, NULL);
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    onnxbn_error err = {0};
    onnxbn_model *m;
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err), ONNXBN_OK);
    int64_t five[2] = {5, 3};
    assert_int_equal(onnxbn_model_set_input_shape(m, "x", 2, five, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_input(m, 0)->dims[0], 5);
    assert_int_equal(onnxbn_model_set_input_shape(m, "wt", 2, five, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_model_set_input_shape(m, "nope", 2, five, &err), ONNXBN_ERR_ARG);
    assert_int_equal(onnxbn_model_set_input_shape(m, "x", ONNXBN_MAX_RANK + 1, five, &err),
                     ONNXBN_ERR_ARG);
    int64_t neg[2] = {-1, 3};
    assert_int_equal(onnxbn_model_set_input_shape(m, "x", 2, neg, &err), ONNXBN_ERR_ARG);
    onnxbn_session *s;
    assert_int_equal(onnxbn_session_new(m, NULL, &s, &err), ONNXBN_OK);
    onnxbn_shapes *sh;
    assert_int_equal(onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &err), ONNXBN_OK);
    expect_dim(find(sh, "y"), 0, 5, NULL);
    expect_dim(find(sh, "y"), 1, 4, NULL);
    onnxbn_shapes_free(sh);
    onnxbn_session_free(s);

    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err), ONNXBN_OK);
    int64_t r3[3] = {1, 2, 3};
    assert_int_equal(onnxbn_model_set_input_shape(m, "x", 3, r3, &err), ONNXBN_OK);
    assert_int_not_equal(onnxbn_session_new(m, NULL, &s, &err), ONNXBN_OK);
    assert_non_null(strstr(err.msg, "gemm"));
    free(buf);
    mk_free(mm);
}

/* The inferred shapes written as value_info: only for what the model declares nothing for. */
static void test_add_value_info(void **state)
{
    (void)state;
    mk_model *mm = model();
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    onnxbn_error err = {0};
    onnxbn_model *a, *b;
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &a, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &b, &err), ONNXBN_OK);
    onnxbn_session *s;
    assert_int_equal(onnxbn_session_new(a, NULL, &s, &err), ONNXBN_OK);
    onnxbn_shapes *sh;
    assert_int_equal(onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &err), ONNXBN_OK);
    onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
    assert_true(onnxbn_model_value(b, "c", &vi, NULL));
    assert_int_equal(vi.rank, -1);
    assert_int_equal(onnxbn_model_add_value_info(b, sh, &err), ONNXBN_OK);
    assert_true(onnxbn_model_value(b, "c", &vi, NULL));
    assert_int_equal(vi.dtype, ONNXBN_FLOAT);
    assert_int_equal(vi.rank, 2);
    expect_dim(&vi, 0, -1, "2*N");
    expect_dim(&vi, 1, 3, NULL);
    assert_true(onnxbn_model_value(b, "w", &vi, NULL)); /* a graph output: as declared */
    assert_int_equal(vi.rank, -1);
    assert_int_equal(onnxbn_model_add_value_info(b, NULL, &err), ONNXBN_ERR_ARG);
    /* the model still saves and loads with them */
    void *out;
    size_t out_len;
    assert_int_equal(onnxbn_model_save_buffer(b, &out, &out_len, &err), ONNXBN_OK);
    onnxbn_model *c;
    assert_int_equal(onnxbn_model_load_buffer(out, out_len, NULL, NULL, &c, &err), ONNXBN_OK);
    assert_true(onnxbn_model_value(c, "c", &vi, NULL));
    expect_dim(&vi, 0, -1, "2*N");
    onnxbn_model_free(c);
    onnxbn_buffer_free(out);
    onnxbn_shapes_free(sh);
    onnxbn_session_free(s);
    onnxbn_model_free(b);
    free(buf);
    mk_free(mm);
}

/* ONNXBN_FUSE_SHAPES: onnxbn_model_fuse writes the value_info itself; without the flag nothing is
 * added; a model the planner refuses is still fused, with no value_info and a note naming why. */
static void test_fuse_shapes(void **state)
{
    (void)state;
    mk_model *mm = model();
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    onnxbn_error err = {0};
    onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
    for (int flags = 0; flags <= ONNXBN_FUSE_SHAPES; flags += ONNXBN_FUSE_SHAPES) {
        onnxbn_model *m;
        onnxbn_fuse_report *rep;
        assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err), ONNXBN_OK);
        assert_int_equal(onnxbn_model_fuse(m, NULL, flags, &rep, &err), ONNXBN_OK);
        assert_int_equal(onnxbn_fuse_report_note_count(rep), 0);
        assert_true(onnxbn_model_value(m, "c", &vi, NULL));
        if (flags) {
            assert_int_equal(vi.dtype, ONNXBN_FLOAT);
            assert_int_equal(vi.rank, 2);
            expect_dim(&vi, 0, -1, "2*N");
            expect_dim(&vi, 1, 3, NULL);
        } else {
            assert_int_equal(vi.rank, -1);
        }
        onnxbn_fuse_report_free(rep);
        onnxbn_model_free(m);
    }
    free(buf);
    mk_free(mm);

    /* x[N,3] · wt[4,2]: no plan, so no shapes; the fuse itself succeeds. */
    mm = mk_new(13);
    int64_t xd[2] = {-1, 3}, wd[2] = {4, 2};
    mk_input(mm, "x", ONNXBN_FLOAT, 2, xd);
    float wv[8] = {0};
    mk_init_f32(mm, "wt", 2, wd, wv);
    mk_node_add(mm, "MatMul", "mm", "x,wt", "y");
    mk_node_add(mm, "Relu", "relu", "y", "z");
    mk_output(mm, "z", ONNXBN_FLOAT, -1, NULL);
    buf = mk_pack(mm, &len);
    onnxbn_model *m;
    onnxbn_fuse_report *rep;
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_fuse(m, NULL, ONNXBN_FUSE_SHAPES, &rep, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_fuse_report_note_count(rep), 1);
    const char *note = onnxbn_fuse_report_note(rep, 0);
    assert_non_null(strstr(note, "no value_info added"));
    assert_non_null(strstr(note, "'mm'"));
    assert_true(onnxbn_model_value(m, "y", &vi, NULL));
    assert_int_equal(vi.rank, -1);
    /* no report asked for: the same, silently */
    assert_int_equal(onnxbn_model_fuse(m, NULL, ONNXBN_FUSE_SHAPES, NULL, &err), ONNXBN_OK);
    onnxbn_fuse_report_free(rep);
    onnxbn_model_free(m);
    free(buf);
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbolic),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_set_input_shape),
        cmocka_unit_test(test_add_value_info),
        cmocka_unit_test(test_fuse_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
