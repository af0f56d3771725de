/* SPDX-License-Identifier: Apache-2.0 */
/* test_api.c — the ABI rules of onnxbn.h: structs that carry their size (which sizes are served,
 * which fields are read or written), and the fuse report's readers on a NULL report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi.h"
#include "mkmodel.h"

/* x[2,3] -> Gemm(W[4,3], B[4], transB) -> h -> BatchNormalization -> y[2,4]: fixed shapes, so a
 * session plans at open, and one BN that a session folds unless told not to. */
static uint8_t *gemm_bn(size_t *len)
{
    mk_model *mk = mk_new(13);
    int64_t xd[2] = {2, 3}, wd[2] = {4, 3}, bd[1] = {4}, yd[2] = {2, 4};
    float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, b[4] = {1, 2, 3, 4};
    mk_input(mk, "x", ONNXBN_FLOAT, 2, xd);
    mk_output(mk, "y", ONNXBN_FLOAT, 2, yd);
    mk_init_f32(mk, "W", 2, wd, w);
    mk_init_f32(mk, "B", 1, bd, b);
    mk_init_f32(mk, "s", 1, bd, b);
    mk_init_f32(mk, "m", 1, bd, b);
    mk_init_f32(mk, "v", 1, bd, b);
    mk_attr_i(mk_node_add(mk, "Gemm", "fc", "x,W,B", "h"), "transB", 1);
    mk_node_add(mk, "BatchNormalization", "bn", "h,s,B,m,v", "y");
    uint8_t *buf = mk_pack(mk, len);
    mk_free(mk);
    return buf;
}

static onnxbn_status load(const uint8_t *buf, size_t len, const onnxbn_options *opt,
                          onnxbn_model **m, onnxbn_error *err)
{
    return onnxbn_model_load_buffer(buf, len, NULL, opt, m, err);
}

static void options_size(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = gemm_bn(&len);
    onnxbn_model *m = NULL;
    onnxbn_error err = {0};
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    onnxbn_model_free(m);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    assert_int_equal(opt.size, sizeof(onnxbn_options));
    assert_int_equal(load(buf, len, &opt, &m, &err), ONNXBN_OK);
    onnxbn_model_free(m);

    /* Zero (a caller that did not set it), too small, too large (a newer header): refused. */
    const size_t bad[] = {0, 1, ONNXBN_OPTIONS_SIZE_V1 - 1, sizeof(onnxbn_options) + 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        opt.size = bad[i];
        memset(&err, 0, sizeof err);
        assert_int_equal(load(buf, len, &opt, &m, &err), ONNXBN_ERR_ARG);
        assert_null(m);
        assert_int_equal(err.status, ONNXBN_ERR_ARG);
        assert_non_null(strstr(err.msg, "onnxbn_model_load_buffer: onnxbn_options.size is "));
        assert_non_null(strstr(err.msg, "ONNXBN_OPTIONS_INIT"));
    }
    opt.size = 0;
    assert_int_equal(onnxbn_model_load("/nonexistent.onnx", &opt, &m, &err), ONNXBN_ERR_ARG);
    assert_non_null(strstr(err.msg, "onnxbn_model_load: onnxbn_options.size is 0"));
    onnxbn_session *s = NULL;
    assert_int_equal(onnxbn_session_open("/nonexistent.onnx", &opt, &s, &err), ONNXBN_ERR_ARG);
    assert_null(s);

    /* The first version's size without the tail padding is that version: served. */
    opt.size = ONNXBN_OPTIONS_SIZE_V1;
    assert_int_equal(load(buf, len, &opt, &m, &err), ONNXBN_OK);
    onnxbn_model_free(m);

    /* The fields are read: a 16-byte cap refuses the model. */
    opt = (onnxbn_options)ONNXBN_OPTIONS_INIT;
    opt.max_memory = 16;
    assert_int_equal(load(buf, len, &opt, &m, &err), ONNXBN_ERR_LIMIT);
    free(buf);
}

static void session_options(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = gemm_bn(&len);
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    onnxbn_session *s = NULL;

    /* A bad size in onnxbn_session_new: refused, and the model is still taken (and freed). */
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.size = 3;
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_session_new(m, &opt, &s, &err), ONNXBN_ERR_ARG);
    assert_null(s);
    assert_non_null(strstr(err.msg, "onnxbn_session_new: onnxbn_options.size is 3"));

    /* bool flags: folded by default (Gemm alone), kept with no_fold; profile on. */
    opt = (onnxbn_options)ONNXBN_OPTIONS_INIT;
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_session_new(m, &opt, &s, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_node_count(onnxbn_session_model(s)), 1);
    assert_int_equal(onnxbn_session_profile_count(s), 0);
    onnxbn_session_free(s);
    opt.no_fold = true;
    opt.profile = true;
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_session_new(m, &opt, &s, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_node_count(onnxbn_session_model(s)), 2);
    assert_int_equal(onnxbn_session_profile_count(s), 2);

    /* onnxbn_memory_info: a bad size writes nothing; a good one gets the plan's numbers. */
    onnxbn_memory_info mem = {0, 7, 7, 7};
    assert_false(onnxbn_session_memory(s, &mem));
    assert_int_equal(mem.size, 0);
    assert_int_equal(mem.arena_bytes, 7);
    mem.size = sizeof mem + 8;
    assert_false(onnxbn_session_memory(s, &mem));
    assert_int_equal(mem.arena_bytes, 7);
    mem = (onnxbn_memory_info)ONNXBN_MEMORY_INFO_INIT;
    assert_true(onnxbn_session_memory(s, &mem));
    assert_int_equal(mem.size, sizeof mem);
    /* h and y [2,4]: 32 bytes each, 64-aligned; one buffer or two as the planner shares them
     * (test_plan.c holds the planner to exact numbers; here it is that the fields are written). */
    assert_true(mem.arena_bytes == 64 || mem.arena_bytes == 128);
    assert_true(mem.arena_lower_bound >= 64 && mem.arena_lower_bound <= mem.arena_bytes);
    assert_int_equal(mem.constant_bytes, 0);
    onnxbn_session_free(s);
    free(buf);
}

static void value_info_size(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = gemm_bn(&len);
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    free(buf);
    /* The library's own carry the library's size. */
    assert_int_equal(onnxbn_model_input(m, 0)->size, sizeof(onnxbn_value_info));
    assert_int_equal(onnxbn_model_output(m, 0)->size, sizeof(onnxbn_value_info));
    onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
    assert_true(onnxbn_model_value(m, "W", &vi, NULL));
    assert_int_equal(vi.size, sizeof vi);
    assert_int_equal(vi.rank, 2);
    assert_int_equal(vi.dims[1], 3);
    vi.size = 0;
    vi.rank = 5;
    assert_false(onnxbn_model_value(m, "W", &vi, NULL));
    assert_int_equal(vi.rank, 5);
    onnxbn_model_free(m);
}

/* A caller built against an older header has a shorter struct: the bytes past it stay untouched. */
typedef struct v2 {
    size_t size;
    uint64_t a, b;
} v2;

static void out_copy_short(void **state)
{
    (void)state;
    const v2 src = {sizeof(v2), 11, 22};
    v2 dst = {offsetof(v2, b), 0, 99}; /* a v1 caller: size covers `a` only */
    assert_true(onnxbn_out_copy(&dst, &src, offsetof(v2, b), sizeof src));
    assert_int_equal(dst.size, offsetof(v2, b));
    assert_int_equal(dst.a, 11);
    assert_int_equal(dst.b, 99);
    dst.size = sizeof dst;
    assert_true(onnxbn_out_copy(&dst, &src, offsetof(v2, b), sizeof src));
    assert_int_equal(dst.b, 22);
    dst = (v2){offsetof(v2, a), 5, 5};
    assert_false(onnxbn_out_copy(&dst, &src, offsetof(v2, b), sizeof src));
    assert_int_equal(dst.a, 5);
}

/* One rule for every reader: a NULL report has nothing in it. */
static void report_null(void **state)
{
    (void)state;
    assert_null(onnxbn_fuse_report_stats(NULL));
    assert_int_equal(onnxbn_fuse_report_count(NULL), 0);
    assert_null(onnxbn_fuse_report_entry(NULL, 0));
    assert_int_equal(onnxbn_fuse_report_note_count(NULL), 0);
    assert_null(onnxbn_fuse_report_note(NULL, 0));
    assert_null(onnxbn_fuse_report_json(NULL));
    onnxbn_fuse_report_free(NULL);

    /* Against a real report of the same model: the same readers give its contents. */
    size_t len;
    uint8_t *buf = gemm_bn(&len);
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    assert_int_equal(load(buf, len, NULL, &m, &err), ONNXBN_OK);
    free(buf);
    onnxbn_fuse_report *r = NULL;
    assert_int_equal(onnxbn_model_fuse(m, "fold-bn", 0, &r, &err), ONNXBN_OK);
    assert_non_null(onnxbn_fuse_report_stats(r));
    assert_int_equal(onnxbn_fuse_report_stats(r)->bn_folded, 1);
    assert_int_equal(onnxbn_fuse_report_count(r), 1);
    assert_string_equal(onnxbn_fuse_report_entry(r, 0)->action, "folded");
    assert_null(onnxbn_fuse_report_entry(r, 1));
    char *js = onnxbn_fuse_report_json(r);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"bn_folded\":1"));
    onnxbn_buffer_free(js);
    onnxbn_fuse_report_free(r);
    onnxbn_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_size),     cmocka_unit_test(session_options),
        cmocka_unit_test(value_info_size),  cmocka_unit_test(out_copy_short),
        cmocka_unit_test(report_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
