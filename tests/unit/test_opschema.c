/* SPDX-License-Identifier: Apache-2.0 */
/* test_opschema.c — the operator table (schema/ops.def): sorted for the binary search, lookups that
 * hit and miss, versions in force, one def per implemented line, and the load-time check step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mkmodel.h"
#include "model.h"
#include "onnxbn.h"

static void sorted(void **state)
{
    (void)state;
    assert_true(ONNXBN_OP_COUNT > 100);
    for (int id = 1; id < ONNXBN_OP_COUNT; id++) {
        const onnxbn_op_schema *a = onnxbn_op_schema_of((onnxbn_op_id)(id - 1));
        const onnxbn_op_schema *b = onnxbn_op_schema_of((onnxbn_op_id)id);
        int c = strcmp(a->domain, b->domain);
        if (!c)
            c = strcmp(a->name, b->name);
        if (c >= 0)
            fail_msg("ops.def: %s.%s must come after %s.%s", b->domain, b->name, a->domain, a->name);
    }
}

static void lookup(void **state)
{
    (void)state;
    for (int id = 0; id < ONNXBN_OP_COUNT; id++) {
        const onnxbn_op_schema *s = onnxbn_op_schema_of((onnxbn_op_id)id);
        assert_int_equal(onnxbn_op_lookup(s->domain, s->name), id);
        if (!*s->domain) /* "ai.onnx" names the default domain too */
            assert_int_equal(onnxbn_op_lookup("ai.onnx", s->name), id);
    }
    assert_int_equal(onnxbn_op_lookup("", "BatchNormalization"), ONNXBN_OP_BatchNormalization);
    assert_int_equal(onnxbn_op_lookup(NULL, "Relu"), ONNXBN_OP_Relu);
    assert_int_equal(onnxbn_op_lookup("", "Abs"), 0);                       /* first line */
    assert_int_equal(onnxbn_op_lookup("", "Xor"), ONNXBN_OP_Xor);           /* last of ai.onnx */
    assert_int_equal(onnxbn_op_lookup("ai.onnx.preview.training", "Momentum"),
                     ONNXBN_OP_COUNT - 1);                                  /* last line */
    assert_int_equal(onnxbn_op_lookup("", "Adam"), ONNXBN_OP_UNKNOWN);      /* domain counts */
    assert_int_equal(onnxbn_op_lookup("ai.onnx.preview.training", "Relu"), ONNXBN_OP_UNKNOWN);
    assert_int_equal(onnxbn_op_lookup("", "relu"), ONNXBN_OP_UNKNOWN);      /* case counts */
    assert_int_equal(onnxbn_op_lookup("", "Frobnicate"), ONNXBN_OP_UNKNOWN);
    assert_int_equal(onnxbn_op_lookup("", "A"), ONNXBN_OP_UNKNOWN);         /* before the first */
    assert_int_equal(onnxbn_op_lookup("", "Zzz"), ONNXBN_OP_UNKNOWN);       /* after the last */
    assert_int_equal(onnxbn_op_lookup("", ""), ONNXBN_OP_UNKNOWN);
    assert_int_equal(onnxbn_op_lookup("", NULL), ONNXBN_OP_UNKNOWN);
    assert_int_equal(onnxbn_op_lookup("com.example", "Relu"), ONNXBN_OP_UNKNOWN);
    assert_int_equal(onnxbn_op_lookup("ai.onnx.ml", "Relu"), ONNXBN_OP_UNKNOWN);
    assert_null(onnxbn_op_schema_of(ONNXBN_OP_UNKNOWN));
    assert_null(onnxbn_op_schema_of(ONNXBN_OP_COUNT));
    assert_string_equal(onnxbn_op_schema_of(ONNXBN_OP_Conv)->name, "Conv");
}

static void versions_in_force(void **state)
{
    (void)state;
    static const struct { onnxbn_op_id id; int64_t opset; int want; } cases[] = {
        {ONNXBN_OP_BatchNormalization, 0, 0},  {ONNXBN_OP_BatchNormalization, 1, 1},
        {ONNXBN_OP_BatchNormalization, 5, 1},  {ONNXBN_OP_BatchNormalization, 6, 6},
        {ONNXBN_OP_BatchNormalization, 8, 7},  {ONNXBN_OP_BatchNormalization, 13, 9},
        {ONNXBN_OP_BatchNormalization, 14, 14}, {ONNXBN_OP_BatchNormalization, 18, 15},
        {ONNXBN_OP_Clip, 6, 6},                {ONNXBN_OP_Clip, 10, 6},
        {ONNXBN_OP_Clip, 11, 11},              {ONNXBN_OP_Clip, 17, 13},
        {ONNXBN_OP_LayerNormalization, 16, 0}, {ONNXBN_OP_LayerNormalization, 17, 17},
        {ONNXBN_OP_Mish, 17, 0},               {ONNXBN_OP_Mish, 18, 18},
        {ONNXBN_OP_Gelu, 18, 0},               /* listed, not implemented */
        {ONNXBN_OP_UNKNOWN, 18, 0},            {ONNXBN_OP_COUNT, 18, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (onnxbn_op_version_at(cases[i].id, cases[i].opset) != cases[i].want)
            fail_msg("case %zu: version %d at opset %lld, want %d", i,
                     onnxbn_op_version_at(cases[i].id, cases[i].opset),
                     (long long)cases[i].opset, cases[i].want);
}

/* Every OP line has its def, every OPX line none, and no def serves two lines. */
static void impls(void **state)
{
    (void)state;
    size_t implemented = 0;
    for (int id = 0; id < ONNXBN_OP_COUNT; id++) {
        const onnxbn_op_schema *s = onnxbn_op_schema_of((onnxbn_op_id)id);
        const onnxbn_op_def *d = onnxbn_op_impl((onnxbn_op_id)id);
        if ((d != NULL) != (s->versions[0] != 0))
            fail_msg("%s: versions and impl disagree", s->name);
        if (!d)
            continue;
        implemented++;
        assert_non_null(d->infer);
        assert_non_null(d->run);
        for (int k = 1; k < ONNXBN_OP_MAX_VERSIONS && s->versions[k]; k++)
            assert_true(s->versions[k - 1] < s->versions[k]);
        assert_true(s->min_inputs <= s->max_inputs && s->min_outputs <= s->max_outputs);
        assert_true(s->max_outputs >= 1);
        /* a value input is an input the operator can have */
        for (int k = 0; k < 32; k++)
            if ((s->value_inputs >> k) & 1)
                assert_true(k < s->max_inputs);
        for (int other = 0; other < id; other++)
            if (onnxbn_op_impl((onnxbn_op_id)other) == d)
                fail_msg("%s and %s share a def", s->name, onnxbn_op_schema_of(other)->name);
    }
    assert_null(onnxbn_op_impl(ONNXBN_OP_UNKNOWN));
    assert_null(onnxbn_op_impl(ONNXBN_OP_COUNT));
    /* the public registry lists exactly the implemented lines */
    assert_int_equal(onnxbn_op_count(), implemented);
}

static void flags(void **state)
{
    (void)state;
    assert_true(onnxbn_op_has(ONNXBN_OP_Relu, ONNXBN_OP_ACTIVATION | ONNXBN_OP_INPLACE));
    assert_true(onnxbn_op_has(ONNXBN_OP_Clip, ONNXBN_OP_ACTIVATION | ONNXBN_OP_SAME_RANK));
    assert_false(onnxbn_op_has(ONNXBN_OP_Sigmoid, ONNXBN_OP_ACTIVATION));
    assert_true(onnxbn_op_has(ONNXBN_OP_Conv, ONNXBN_OP_FUSE_ACT | ONNXBN_OP_FUSE_ADD));
    assert_false(onnxbn_op_has(ONNXBN_OP_Gemm, ONNXBN_OP_FUSE_ADD));
    assert_true(onnxbn_op_has(ONNXBN_OP_Add, ONNXBN_OP_BROADCAST | ONNXBN_OP_FUSE_ACT));
    assert_false(onnxbn_op_has(ONNXBN_OP_Add, ONNXBN_OP_SAME_RANK));
    assert_true(onnxbn_op_has(ONNXBN_OP_Reshape, ONNXBN_OP_ALIAS_INPUT0));
    assert_true(onnxbn_op_has(ONNXBN_OP_Shape, ONNXBN_OP_SHAPE_ONLY));
    assert_true(onnxbn_op_has(ONNXBN_OP_Dropout, ONNXBN_OP_NO_CONST_FOLD | ONNXBN_OP_ALIAS_INPUT0));
    assert_true(onnxbn_op_has(ONNXBN_OP_Resize, ONNXBN_OP_SAME_RANK)); /* OPX: facts only */
    assert_false(onnxbn_op_has(ONNXBN_OP_UNKNOWN, 0));
    assert_int_equal(onnxbn_op_schema_of(ONNXBN_OP_Slice)->value_inputs, 0x1eu);
}

/* The index takes any op_type; the check step binds what the table knows. */
static void check_step(void **state)
{
    (void)state;
    static const int64_t d[] = {2, 3};
    mk_model *mm = mk_new(6);
    mk_input(mm, "x", ONNXBN_FLOAT, 2, d);
    mk_node_add(mm, "Frobnicate", "f", "x", "a");
    mk_node_add(mm, "Clip", "c", "a", "b");
    mk_node_add(mm, "LayerNormalization", "l", "b,x", "y"); /* opset 6: none in force */
    mk_output(mm, "y", ONNXBN_FLOAT, 2, d);
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    assert_non_null(mp);
    onnxbn_graph g;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_graph_build(&g, mp, &err), ONNXBN_OK);
    assert_int_equal(g.n_nodes, 3);
    onnxbn_node_op *ops = NULL;
    assert_int_equal(onnxbn_check_ops(&g, false, &ops, &err), ONNXBN_OK);
    assert_int_equal(ops[0].id, ONNXBN_OP_UNKNOWN);
    assert_null(ops[0].schema);
    assert_null(ops[0].def);
    assert_int_equal(ops[1].id, ONNXBN_OP_Clip);
    assert_int_equal(ops[1].version, 6);
    assert_ptr_equal(ops[1].def, onnxbn_op_impl(ONNXBN_OP_Clip));
    assert_int_equal(ops[2].id, ONNXBN_OP_LayerNormalization);
    assert_null(ops[2].def);
    assert_int_equal(ops[2].version, 0);
    free(ops);
    ops = NULL;
    assert_int_equal(onnxbn_check_ops(&g, true, &ops, &err), ONNXBN_ERR_UNSUPPORTED);
    assert_null(ops);
    assert_string_equal(err.msg, "node 'f' (Frobnicate): operator Frobnicate (opset 6) is not supported");
    onnxbn_graph_free(&g);
    onnx__model_proto__free_unpacked(mp, NULL);
    free(buf);
    mk_free(mm);
}

/* Clip is one def for every version: the bounds are attributes up to 6 (one input), inputs from
 * 11 (up to three); the check at load says so with the table's message. */
static void clip_arity(void **state)
{
    (void)state;
    static const int64_t d[] = {4};
    for (int opset = 6; opset <= 11; opset += 5) {
        mk_model *mm = mk_new(opset);
        mk_input(mm, "x", ONNXBN_FLOAT, 1, d);
        mk_init_f32(mm, "lo", 0, NULL, (const float[]){0.0f});
        mk_node_add(mm, "Clip", "c", "x,lo", "y");
        mk_output(mm, "y", ONNXBN_FLOAT, 1, d);
        size_t len;
        uint8_t *buf = mk_pack(mm, &len);
        onnxbn_model *m = NULL;
        onnxbn_error err = {0};
        onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &m, &err);
        if (opset == 6) {
            assert_int_equal(st, ONNXBN_ERR_MODEL);
            assert_string_equal(err.msg, "node 'c' (Clip): has 2 inputs, the operator takes 1 to 1");
        } else {
            assert_int_equal(st, ONNXBN_OK);
            assert_int_equal(m->ops[0].version, 11);
            assert_true(onnxbn_model_node_supported(m, 0));
        }
        onnxbn_model_free(m);
        free(buf);
        mk_free(mm);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorted),     cmocka_unit_test(lookup),     cmocka_unit_test(versions_in_force),
        cmocka_unit_test(impls),      cmocka_unit_test(flags),      cmocka_unit_test(check_step),
        cmocka_unit_test(clip_arity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
