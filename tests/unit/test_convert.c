/* SPDX-License-Identifier: Apache-2.0 */
/* test_convert.c — the converter's editing context: the graph index a pass edits in place after
 * each fold is the index a fresh build makes, and a pass costs one build, not one per fold. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convert.h"
#include "mkmodel.h"
#include "model.h"

/* ---- models ---- */

static float wave(int i, int k) { return (float)sin(0.37 * i + 1.3 * k) * 0.5f; }

/* BN `name` reading x; its parameters are initializers "<name>.scale" ..., except the mean when
 * `mean` names another value. */
static void add_bn_mean(mk_model *m, const char *name, const char *x, const char *y, int c,
                        int seed, bool as_inputs, const char *mean)
{
    static const char *const sfx[4] = {"scale", "B", "mean", "var"};
    char in[400], p[4][64];
    float v[16];
    int64_t d = c;
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s.%s", name, sfx[i]);
        if (i == 2 && mean) {
            snprintf(p[i], sizeof p[i], "%s", mean);
            continue;
        }
        for (int k = 0; k < c; k++)
            v[k] = i == 0 ? 1.0f + wave(seed, k) : i == 3 ? 0.5f + fabsf(wave(seed + 7, k)) : wave(seed + i, k);
        mk_init_f32(m, p[i], 1, &d, v);
        if (as_inputs) /* IR 3: initializers are listed among the graph inputs */
            mk_input(m, p[i], ONNXBN_FLOAT, 1, &d);
    }
    snprintf(in, sizeof in, "%s,%s,%s,%s,%s", x, p[0], p[1], p[2], p[3]);
    mk_node_add(m, "BatchNormalization", name, in, y);
}

static void add_bn(mk_model *m, const char *name, const char *x, const char *y, int c, int seed,
                   bool as_inputs)
{
    add_bn_mean(m, name, x, y, c, seed, as_inputs, NULL);
}

/* x (1,4,6,6) → n × [Conv 3×3 pad 1 → BN (→ Relu every other block)] → y. Blocks without Relu
 * put a BN right before the next Conv, so folds touch neighbouring nodes. */
static mk_model *chain(int n, int64_t ir)
{
    static const int64_t dx[4] = {1, 4, 6, 6}, dw[4] = {4, 4, 3, 3}, db[1] = {4},
                         pads[4] = {1, 1, 1, 1};
    mk_model *m = mk_new(13);
    mk_ir_version(m, ir);
    mk_input(m, "x", ONNXBN_FLOAT, 4, dx);
    char prev[32] = "x";
    float w[144], b[4];
    for (int i = 0; i < n; i++) {
        char wn[32], bn[32], cn[32], c[32], r[32], name[32], in[128];
        snprintf(wn, sizeof wn, "w%d", i);
        snprintf(bn, sizeof bn, "b%d", i);
        for (int k = 0; k < 144; k++)
            w[k] = wave(i, k) * 0.3f;
        for (int k = 0; k < 4; k++)
            b[k] = wave(i + 50, k);
        mk_init_f32(m, wn, 4, dw, w);
        mk_init_f32(m, bn, 1, db, b);
        if (ir < 4) {
            mk_input(m, wn, ONNXBN_FLOAT, 4, dw);
            mk_input(m, bn, ONNXBN_FLOAT, 1, db);
        }
        snprintf(cn, sizeof cn, "conv%d", i);
        snprintf(c, sizeof c, "c%d", i);
        snprintf(in, sizeof in, "%s,%s,%s", prev, wn, bn);
        mk_node *cv = mk_node_add(m, "Conv", cn, in, c);
        mk_attr_ints(cv, "pads", 4, pads);
        snprintf(name, sizeof name, "bn%d", i);
        snprintf(r, sizeof r, i + 1 == n ? "y" : "t%d", i);
        if (i % 2 && i + 1 < n) {
            char t[32];
            snprintf(t, sizeof t, "n%d", i);
            add_bn(m, name, c, t, 4, i, ir < 4);
            mk_node_add(m, "Relu", NULL, t, r); /* unnamed: labels carry the node's index */
        } else {
            add_bn(m, name, c, r, 4, i, ir < 4);
        }
        snprintf(prev, sizeof prev, "%s", r);
    }
    mk_output(m, "y", ONNXBN_FLOAT, 4, dx);
    return m;
}

/* The chain, then: MatMul → BN (the MatMul becomes a Gemm), Add → BN that cannot fold (Mul + Add
 * with ONNXBN_FUSE_BN_TO_AFFINE), and a BN whose mean comes from a Constant node. */
static mk_model *mixed(int64_t ir)
{
    static const int64_t dz[2] = {2, 3}, dm[2] = {3, 4}, dx[4] = {1, 4, 6, 6};
    mk_model *m = chain(6, ir);
    float w[12];
    for (int k = 0; k < 12; k++)
        w[k] = wave(3, k);
    mk_input(m, "z", ONNXBN_FLOAT, 2, dz);
    mk_init_f32(m, "mw", 2, dm, w);
    if (ir < 4)
        mk_input(m, "mw", ONNXBN_FLOAT, 2, dm);
    mk_node_add(m, "MatMul", "mm", "z,mw", "zm");
    add_bn(m, "bnm", "zm", "z2", 4, 11, ir < 4);
    mk_output(m, "z2", ONNXBN_FLOAT, 2, (const int64_t[]){2, 4});
    mk_node_add(m, "Add", "sum", "y,y", "s");
    add_bn(m, "bns", "s", "s2", 4, 12, ir < 4);
    mk_output(m, "s2", ONNXBN_FLOAT, 4, dx);
    /* Conv → BN whose mean is a Constant node's output */
    static const int64_t dw[4] = {4, 4, 1, 1};
    float w1[16], mean[4];
    for (int k = 0; k < 16; k++)
        w1[k] = wave(5, k);
    for (int k = 0; k < 4; k++)
        mean[k] = wave(6, k);
    mk_init_f32(m, "w1x1", 4, dw, w1);
    if (ir < 4)
        mk_input(m, "w1x1", ONNXBN_FLOAT, 4, dw);
    mk_node_add(m, "Conv", "pw", "s2,w1x1", "p");
    mk_node *k = mk_node_add(m, "Constant", "kmean", "", "kmean_out");
    mk_attr_floats(k, "value_floats", 4, mean);
    add_bn_mean(m, "bnk", "p", "q", 4, 13, ir < 4, "kmean_out");
    mk_output(m, "q", ONNXBN_FLOAT, 4, dx);
    return m;
}

/* ---- comparing an edited index with a fresh build ---- */

static const char *vname(const onnxbn_graph *g, int id) { return id >= 0 ? g->values[id].name : ""; }

static void same_index(const fz *z, const fz *f)
{
    const onnxbn_graph *a = &z->g, *b = &f->g;
    assert_int_equal(a->n_nodes, b->n_nodes);
    for (int i = 0; i < b->n_nodes; i++) {
        const onnxbn_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_ptr_equal(x->proto, y->proto);
        assert_int_equal(x->index, i);
        assert_int_equal(x->opset, y->opset);
        assert_int_equal(x->n_in, y->n_in);
        assert_int_equal(x->n_out, y->n_out);
        for (int k = 0; k < y->n_in; k++)
            assert_string_equal(vname(a, x->in[k]), vname(b, y->in[k]));
        for (int k = 0; k < y->n_out; k++)
            assert_string_equal(vname(a, x->out[k]), vname(b, y->out[k]));
        assert_int_equal(a->order[i], b->order[i]);
    }
    int live = 0;
    for (int i = 0; i < a->n_values; i++)
        live += onnxbn_graph_find(a, a->values[i].name) == i;
    assert_int_equal(live, b->n_values);
    for (int i = 0; i < b->n_values; i++) {
        const onnxbn_value *v = &b->values[i];
        int id = onnxbn_graph_find(a, v->name);
        assert_true(id >= 0);
        const onnxbn_value *u = &a->values[id];
        assert_int_equal(u->producer, v->producer);
        if (v->producer >= 0)
            assert_int_equal(u->producer_slot, v->producer_slot);
        assert_int_equal(u->n_consumers, v->n_consumers);
        for (int c = 0; c < v->n_consumers; c++)
            assert_int_equal(u->consumers[c], v->consumers[c]);
        assert_ptr_equal(u->init, v->init);
        assert_int_equal(u->init_index, v->init_index);
        assert_int_equal(u->input_index, v->input_index);
        assert_int_equal(u->output_index, v->output_index);
        assert_ptr_equal(u->info, v->info);
        assert_int_equal(z->rank[id], f->rank[i]);
    }
    assert_int_equal(a->n_inputs, b->n_inputs);
    for (int i = 0; i < b->n_inputs; i++)
        assert_string_equal(vname(a, a->inputs[i]), vname(b, b->inputs[i]));
    assert_int_equal(a->n_outputs, b->n_outputs);
    for (int i = 0; i < b->n_outputs; i++)
        assert_string_equal(vname(a, a->outputs[i]), vname(b, b->outputs[i]));
}

/* value_info for values the passes remove or keep (c0 goes, n1 stays, z2 twice, a name no value
 * has), so that dropped entries and the declared types the index points at are checked too. */
static void add_value_info(Onnx__ModelProto *mp)
{
    static const char *const vis[] = {"c0", "c1", "n1", "zm", "z2", "s", "p", "z2", "zi", "nosuch"};
    static const int64_t d[4] = {1, 4, 6, 6}, d2[2] = {2, 4};
    Onnx__GraphProto *gp = mp->graph;
    gp->value_info = realloc(gp->value_info, (gp->n_value_info + 10) * sizeof *gp->value_info);
    assert_non_null(gp->value_info);
    for (int i = 0; i < 10; i++) {
        bool two = vis[i][0] == 'z';
        gp->value_info[gp->n_value_info] = fz_new_tensor_vi(vis[i], ONNXBN_FLOAT, two ? 2 : 4, two ? d2 : d);
        assert_non_null(gp->value_info[gp->n_value_info++]);
    }
}

static Onnx__ModelProto *unpack(const mk_model *m)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(mp);
    return mp;
}

/* Runs fold-bn (and prune) through the fz API, then checks the edited index against a build. */
static void edited_index_is_built_index(mk_model *m, int flags, int folded, int converted)
{
    Onnx__ModelProto *mp = unpack(m);
    mk_free(m);
    add_value_info(mp);
    onnxbn_fuse_report *rep = fz_report_new();
    assert_non_null(rep);
    fz z, f;
    assert_int_equal(fz_init(&z, mp, NULL, flags, rep), ONNXBN_OK);
    assert_int_equal(fz_rebuild(&z), FZ_OK);
    assert_int_equal(fz_pass_fold_bn(&z), FZ_OK);
    assert_int_equal(rep->stats.bn_folded, folded);
    assert_int_equal(rep->stats.bn_converted, converted);
    assert_int_equal(z.builds, 1); /* the one before the pass: none per fold */
    assert_true(z.edited);
    assert_int_equal(fz_init(&f, mp, NULL, flags, NULL), ONNXBN_OK);
    assert_int_equal(fz_rebuild(&f), FZ_OK);
    same_index(&z, &f);
    fz_release(&f);
    fz_release(&z);
    onnxbn_fuse_report_free(rep);
    onnx__model_proto__free_unpacked(mp, NULL);
}

static void chain_of_50(void **state)
{
    (void)state;
    edited_index_is_built_index(chain(50, 8), 0, 50, 0);
}

static void mixed_edits(void **state)
{
    (void)state;
    edited_index_is_built_index(mixed(8), 0, 8, 0);
    edited_index_is_built_index(mixed(8), ONNXBN_FUSE_BN_TO_AFFINE, 8, 1);
}

static void mixed_edits_ir3(void **state)
{
    (void)state;
    edited_index_is_built_index(mixed(3), ONNXBN_FUSE_BN_TO_AFFINE, 8, 1);
}

/* mixed() and what the clean-up passes take out: Identity nodes (one whose output is a graph
 * output), a Dropout, a dead node, an unused initializer; the Constant node becomes an
 * initializer. */
static mk_model *untidy(int64_t ir)
{
    static const int64_t d2[2] = {2, 4}, d1[1] = {3};
    static const float junk[3] = {1, 2, 3};
    mk_model *m = mixed(ir);
    mk_node_add(m, "Identity", "idz", "z2", "zi");
    mk_node_add(m, "Dropout", "drop", "zi", "zd");
    mk_node_add(m, "Relu", "rz", "zd", "r3");
    mk_output(m, "r3", ONNXBN_FLOAT, 2, d2);
    mk_node_add(m, "Identity", "idp", "p", "pid");
    mk_output(m, "pid", ONNXBN_FLOAT, 4, (const int64_t[]){1, 4, 6, 6});
    mk_node_add(m, "Relu", "dead", "x", "unread");
    mk_init_f32(m, "junk", 1, d1, junk);
    if (ir < 4)
        mk_input(m, "junk", ONNXBN_FLOAT, 1, d1);
    return m;
}

/* Every pass in turn through the fz API: after each the edited index is a fresh build's, and the
 * whole run made the one build it started with. */
static void all_passes_edit_in_place(int64_t ir, int flags)
{
    mk_model *m = untidy(ir);
    Onnx__ModelProto *mp = unpack(m);
    mk_free(m);
    add_value_info(mp);
    onnxbn_fuse_report *rep = fz_report_new();
    assert_non_null(rep);
    fz z;
    assert_int_equal(fz_init(&z, mp, NULL, flags, rep), ONNXBN_OK);
    assert_int_equal(fz_rebuild(&z), FZ_OK);
    fz_res (*const pass[5])(fz *) = {fz_pass_fold_constants, fz_pass_remove_identity,
                                      fz_pass_remove_dropout, fz_pass_fold_bn, fz_pass_prune};
    for (int i = 0; i < 5; i++) {
        fz_res r = pass[i](&z);
        assert_true(r == FZ_OK || r == FZ_SKIP);
        fz f;
        assert_int_equal(fz_init(&f, mp, NULL, flags, NULL), ONNXBN_OK);
        assert_int_equal(fz_rebuild(&f), FZ_OK);
        same_index(&z, &f);
        fz_release(&f);
    }
    const onnxbn_fuse_stats *st = &rep->stats;
    assert_int_equal(st->constants_folded, 1);
    assert_int_equal(st->identity_removed, 2);
    assert_int_equal(st->dropout_removed, 1);
    assert_int_equal(st->bn_folded, 7); /* bnk reads pid, now also a graph output: left */
    assert_int_equal(st->nodes_pruned, 1);
    assert_int_equal(st->initializers_pruned, 1);
    assert_int_equal(st->value_info_pruned, 2); /* nosuch and z2's repeat; the folds drop c0 ... */
    assert_int_equal(z.builds, 1);
    fz_release(&z);
    onnxbn_fuse_report_free(rep);
    onnx__model_proto__free_unpacked(mp, NULL);
}

static void cleanup_passes(void **state)
{
    (void)state;
    all_passes_edit_in_place(8, 0);
    all_passes_edit_in_place(3, ONNXBN_FUSE_BN_TO_AFFINE);
}

/* All passes over a ModelProto: one build for the whole run, however many BNs fold. */
static void fuse_proto_builds_once(void **state)
{
    (void)state;
    mk_model *m = chain(50, 8);
    Onnx__ModelProto *mp = unpack(m);
    mk_free(m);
    int builds = 0;
    onnxbn_fuse_report *rep = NULL;
    onnxbn_error err = {0};
    assert_int_equal(onnxbn_fuse_proto(mp, NULL, NULL, 0, NULL, &builds, &rep, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_folded, 50);
    assert_int_equal(onnxbn_fuse_report_stats(rep)->bn_after, 0);
    assert_int_equal(builds, 1);
    onnxbn_fuse_report_free(rep);
    onnx__model_proto__free_unpacked(mp, NULL);
}

/* A session folds at open: the load builds the index, the fold pass takes it over and edits it,
 * the model builds it once more (was 2 per fold + 3); the outputs are those of the unfolded run. */
static void session_open_builds_twice(void **state)
{
    (void)state;
    mk_model *m = chain(50, 8);
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    mk_free(m);
    onnxbn_error err = {0};
    onnxbn_model *ma = NULL, *mb = NULL;
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &ma, &err), ONNXBN_OK);
    assert_int_equal(onnxbn_model_load_buffer(buf, len, NULL, NULL, &mb, &err), ONNXBN_OK);
    free(buf);
    onnxbn_options plain = ONNXBN_OPTIONS_INIT;
    plain.no_fold = true;
    onnxbn_session *sa = NULL, *sb = NULL;
    assert_int_equal(onnxbn_session_new(ma, &plain, &sa, &err), ONNXBN_OK);
    /* Input names taken before the open stay valid through its folds (the fuzz harness and
     * every caller feeding by name rely on that). */
    const char *in_name = onnxbn_model_input(mb, 0)->name;
    assert_int_equal(onnxbn_session_new(mb, NULL, &sb, &err), ONNXBN_OK);
    assert_ptr_equal(onnxbn_model_input(onnxbn_session_model(sb), 0)->name, in_name);
    assert_int_equal(onnxbn_session_model(sa)->index_builds, 1);
    assert_int_equal(onnxbn_session_model(sb)->index_builds, 2);
    assert_int_equal(onnxbn_model_node_count(onnxbn_session_model(sb)), 50 + 24);

    float x[144];
    for (int k = 0; k < 144; k++)
        x[k] = wave(99, k);
    const int64_t dx[4] = {1, 4, 6, 6};
    mk_feed feed = {"x", ONNXBN_FLOAT, 4, dx, x};
    assert_int_equal(mk_run(sa, 1, &feed, &err), ONNXBN_OK);
    assert_int_equal(mk_run(sb, 1, &feed, &err), ONNXBN_OK);
    const onnxbn_tensor *ya = onnxbn_session_output(sa, 0);
    mk_expect_f32(sb, 0, 4, dx, onnxbn_tensor_cdata(ya), 1e-4, 1e-3);
    onnxbn_session_free(sa);
    onnxbn_session_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_of_50),
        cmocka_unit_test(mixed_edits),
        cmocka_unit_test(mixed_edits_ir3),
        cmocka_unit_test(cleanup_passes),
        cmocka_unit_test(fuse_proto_builds_once),
        cmocka_unit_test(session_open_builds_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
