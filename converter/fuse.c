/* SPDX-License-Identifier: Apache-2.0 */
/* fuse.c — the converter's entry: pass selection, the driver over a ModelProto, and the report
 * (accessors and JSON). write.c writes the model back; runtime/rewrite.c is the model-level face. */
#include "convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- passes ---- */

enum { P_CONST, P_IDENTITY, P_DROPOUT, P_BN, P_PRUNE, N_PASSES };

static const char *const pass_names[N_PASSES] = {"fold-constants", "remove-identity",
                                                 "remove-dropout", "fold-bn", "prune"};

const char *onnxbn_fuse_passes(void)
{
    return "fold-constants,remove-identity,remove-dropout,fold-bn,prune";
}

static onnxbn_status parse_passes(const char *spec, bool on[N_PASSES], onnxbn_error *err)
{
    bool pos[N_PASSES] = {false}, neg[N_PASSES] = {false}, any_pos = false;
    for (const char *p = spec ? spec : ""; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t len = (size_t)(e - p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            bool minus = *p == '-';
            const char *name = p + minus;
            size_t nl = len - minus;
            int which = -1;
            for (int i = 0; i < N_PASSES; i++)
                if (strlen(pass_names[i]) == nl && !strncmp(pass_names[i], name, nl))
                    which = i;
            if (which < 0)
                return onnxbn_fail(err, ONNXBN_ERR_ARG, "unknown pass '%.*s' (the passes are %s)",
                                   (int)(len > 60 ? 60 : len), p, onnxbn_fuse_passes());
            if (minus)
                neg[which] = true;
            else
                pos[which] = any_pos = true;
        }
        p = e;
    }
    for (int i = 0; i < N_PASSES; i++)
        on[i] = (any_pos ? pos[i] : true) && !neg[i];
    return ONNXBN_OK;
}

onnxbn_status onnxbn_fuse_check_passes(const char *passes, onnxbn_error *err)
{
    bool on[N_PASSES];
    return parse_passes(passes, on, err);
}

/* ---- report ---- */

void onnxbn_fuse_report_free(onnxbn_fuse_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->e[i].action);
        free((char *)r->e[i].kind);
        free((char *)r->e[i].bn);
        free((char *)r->e[i].bn_output);
        free((char *)r->e[i].node);
        free((char *)r->e[i].reason);
    }
    free(r->e);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    free(r);
}

/* A NULL report reads as one with nothing in it: counts 0, pointers NULL (onnxbn.h). */
const onnxbn_fuse_stats *onnxbn_fuse_report_stats(const onnxbn_fuse_report *r)
{
    return r ? &r->stats : NULL;
}
size_t onnxbn_fuse_report_count(const onnxbn_fuse_report *r) { return r ? r->n : 0; }
const onnxbn_fuse_entry *onnxbn_fuse_report_entry(const onnxbn_fuse_report *r, size_t i)
{
    return r && i < r->n ? &r->e[i] : NULL;
}
size_t onnxbn_fuse_report_note_count(const onnxbn_fuse_report *r) { return r ? r->n_notes : 0; }
const char *onnxbn_fuse_report_note(const onnxbn_fuse_report *r, size_t i)
{
    return r && i < r->n_notes ? r->notes[i] : NULL;
}

typedef struct sbuf {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = 0;
}

/* A string literal, its length counted by the compiler. */
#define SB_LIT(b, lit) sb_put((b), (lit), sizeof(lit) - 1)

static void sb_printf(sbuf *b, const char *fmt, ...) ONNXBN_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) /* the formats here are short: cannot happen */
        b->oom = true;
    else
        sb_put(b, tmp, (size_t)n);
}

static void sb_json_str(sbuf *b, const char *s)
{
    SB_LIT(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sb_put(b, e, 2);
        } else if (*p < 0x20) {
            sb_printf(b, "\\u%04x", *p);
        } else {
            sb_put(b, (const char *)p, 1);
        }
    }
    SB_LIT(b, "\"");
}

char *onnxbn_fuse_report_json(const onnxbn_fuse_report *r)
{
    if (!r)
        return NULL;
    sbuf b = {0};
    const onnxbn_fuse_stats *s = &r->stats;
    sb_printf(&b, "{\"bn_before\":%d,\"bn_after\":%d,\"bn_folded\":%d,\"bn_converted\":%d,"
                  "\"bn_left\":%d,\"nodes_before\":%d,\"nodes_after\":%d,",
              s->bn_before, s->bn_after, s->bn_folded, s->bn_converted, s->bn_left,
              s->nodes_before, s->nodes_after);
    sb_printf(&b, "\"initializers_before\":%d,\"initializers_after\":%d,\"identity_removed\":%d,"
                  "\"dropout_removed\":%d,\"constants_folded\":%d,",
              s->initializers_before, s->initializers_after, s->identity_removed,
              s->dropout_removed, s->constants_folded);
    sb_printf(&b, "\"nodes_pruned\":%d,\"initializers_pruned\":%d,\"value_info_pruned\":%d,",
              s->nodes_pruned, s->initializers_pruned, s->value_info_pruned);
    SB_LIT(&b, "\"entries\":[");
    for (size_t i = 0; i < r->n; i++) {
        const onnxbn_fuse_entry *e = &r->e[i];
        if (i)
            SB_LIT(&b, ",");
        SB_LIT(&b, "{\"action\":");
        sb_json_str(&b, e->action);
        SB_LIT(&b, ",\"kind\":");
        sb_json_str(&b, e->kind);
        SB_LIT(&b, ",\"bn\":");
        sb_json_str(&b, e->bn);
        SB_LIT(&b, ",\"bn_output\":");
        sb_json_str(&b, e->bn_output);
        SB_LIT(&b, ",\"node\":");
        sb_json_str(&b, e->node);
        SB_LIT(&b, ",\"reason\":");
        sb_json_str(&b, e->reason);
        SB_LIT(&b, "}");
    }
    SB_LIT(&b, "],\"notes\":[");
    for (size_t i = 0; i < r->n_notes; i++) {
        if (i)
            SB_LIT(&b, ",");
        sb_json_str(&b, r->notes[i]);
    }
    SB_LIT(&b, "]}");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- driver ---- */

/* The passes, in order, as the driver and the subgraphs run them. */
static fz_res run_passes(fz *z, const bool *on)
{
    fz_res (*const run[N_PASSES])(fz *) = {fz_pass_fold_constants, fz_pass_remove_identity,
                                            fz_pass_remove_dropout, fz_pass_fold_bn, fz_pass_prune};
    fz_res r = FZ_OK;
    for (int i = 0; i < N_PASSES && !r; i++)
        if (on[i] && (r = run[i](z)) == FZ_SKIP)
            r = FZ_OK;
    return r;
}

static bool names_union(fz_names *to, const fz_names *from)
{
    for (size_t i = 0; i < from->cap; i++)
        if (from->slot[i] && !fz_names_add(to, from->slot[i]))
            return false;
    return true;
}

static fz_res fold_subgraphs(fz *z, const bool *on, bool *changed);

/* A copy of a TensorProto (through its bytes: protobuf-c has no copy), or NULL. */
static Onnx__TensorProto *tensor_copy(const Onnx__TensorProto *t)
{
    size_t n = onnx__tensor_proto__get_packed_size(t);
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    onnx__tensor_proto__pack(t, buf);
    Onnx__TensorProto *c = onnx__tensor_proto__unpack(NULL, n, buf);
    free(buf);
    return c;
}

/* After the subgraphs of z's graph changed: the index's implicit inputs and the names read in
 * subgraphs are built again from the proto, as at the start. */
static fz_res settle(fz *z)
{
    onnxbn_fuse_report *rep = z->rep;
    const int builds = z->builds;
    const bool note = z->ir3_note;
    Onnx__ModelProto *mp = z->mp;
    const char *base_dir = z->base_dir;
    const int flags = z->flags;
    fz_release(z);
    if (fz_init(z, mp, base_dir, flags, rep))
        return FZ_ERR;
    z->builds = builds;
    z->ir3_note = note;
    return fz_rebuild(z);
}

/* The passes over one subgraph (If's branches, a Loop or Scan body), in place: its GraphProto
 * becomes the graph of a shell ModelProto for as long as they run. Each name it reads from the
 * enclosing graph is, in the shell, a copy of that graph's initializer when it is a constant
 * there (a torch export keeps a loop body's weights in the main graph: BN folds with them), else
 * an appended graph input; both are taken off again after, so the GraphProto keeps its own
 * inputs, in order, and its own initializers plus those a fold made. The outer graph's names are
 * taken in the shell, so a name made here shadows none of them; the outer passes leave every
 * name a subgraph reads as it is (fz_subref). Nested subgraphs are done first. */
static fz_res fold_one(fz *z, const Onnx__NodeProto *np, const char *attr, Onnx__GraphProto *g,
                       const bool *on, bool *changed)
{
    const char **names;
    size_t n;
    if (!onnxbn_graph_free_names(g, &names, &n))
        return fz_nomem(z);
    const size_t n0 = g->n_input, i0 = g->n_initializer;
    Onnx__ValueInfoProto *vis = calloc(n + 1, sizeof *vis);
    Onnx__TensorProto **copies = calloc(n + 1, sizeof *copies);
    Onnx__ValueInfoProto **in = realloc(g->input, (n0 + n + 1) * sizeof *in);
    if (in)
        g->input = in;
    Onnx__TensorProto **inits = realloc(g->initializer, (i0 + n + 1) * sizeof *inits);
    if (inits)
        g->initializer = inits;
    bool ok = vis && copies && in && inits;
    size_t n_vis = 0, n_copies = 0;
    for (size_t k = 0; ok && k < n; k++) {
        int vid = onnxbn_graph_find(&z->g, names[k]);
        const onnxbn_value *v = vid >= 0 ? &z->g.values[vid] : NULL;
        if (v && v->init && fz_is_const(z, vid, "value") == FZ_OK) {
            ok = (copies[n_copies] = tensor_copy(v->init)) != NULL;
            if (ok)
                inits[g->n_initializer++] = copies[n_copies++];
            continue;
        }
        onnx__value_info_proto__init(&vis[n_vis]);
        ok = (vis[n_vis].name = strdup(names[k])) != NULL; /* names point into g: passes edit it */
        in[g->n_input++] = &vis[n_vis++];
    }
    free(names);
    fz_res r = FZ_OK;
    if (!ok) {
        r = fz_nomem(z);
    } else {
        Onnx__ModelProto shell;
        onnx__model_proto__init(&shell);
        shell.graph = g;
        shell.has_ir_version = true;
        shell.ir_version = z->mp->ir_version;
        shell.n_opset_import = z->mp->n_opset_import;
        shell.opset_import = z->mp->opset_import;
        fz sub;
        bool inner = false;
        onnxbn_status st = fz_init(&sub, &shell, z->base_dir, z->flags, z->rep);
        r = st ? FZ_ERR : names_union(&sub.taken, &z->taken) ? FZ_OK : fz_nomem(&sub);
        if (!r)
            r = fz_rebuild(&sub);
        if (!r)
            r = fold_subgraphs(&sub, on, &inner);
        if (!r && inner && !(r = settle(&sub)))
            r = names_union(&sub.taken, &z->taken) ? FZ_OK : fz_nomem(&sub);
        if (!r)
            r = run_passes(&sub, on);
        if (!r && (inner || sub.edited || sub.builds > 1))
            *changed = true;
        if (!r && !names_union(&z->taken, &sub.taken))
            r = fz_nomem(z);
        else if (r) {
            z->err = sub.err;
            if (!z->err.status)
                z->err.status = ONNXBN_ERR_MODEL;
            onnxbn_err_prefix(&z->err, "node '%.100s' (%.60s): subgraph '%.60s'",
                              onnxbn_str(np->name), onnxbn_str(np->op_type), attr);
        }
        fz_release(&sub);
    }
    /* take the appended inputs and the copied constants off wherever the passes left them (a
     * copy a pass deleted is already freed and gone from the list) */
    if (in) {
        size_t w = 0;
        for (size_t i = 0; i < g->n_input; i++)
            if (!(g->input[i] >= vis && g->input[i] < vis + n_vis))
                g->input[w++] = g->input[i];
        g->n_input = w;
    }
    if (inits) {
        size_t w = 0;
        for (size_t i = 0; i < g->n_initializer; i++) {
            bool mine = false;
            for (size_t k = 0; k < n_copies && !mine; k++)
                mine = g->initializer[i] == copies[k];
            if (mine)
                onnx__tensor_proto__free_unpacked(g->initializer[i], NULL);
            else
                g->initializer[w++] = g->initializer[i];
        }
        g->n_initializer = w;
    }
    for (size_t k = 0; vis && k < n_vis; k++)
        free(vis[k].name);
    free(vis);
    free(copies);
    return r;
}

static fz_res fold_subgraphs(fz *z, const bool *on, bool *changed)
{
    for (size_t i = 0; i < z->gp->n_node; i++) {
        Onnx__NodeProto *np = z->gp->node[i];
        for (size_t a = 0; a < np->n_attribute; a++) {
            Onnx__AttributeProto *at = np->attribute[a];
            for (size_t j = 0; j < at->n_graphs + (at->g != NULL); j++) {
                fz_res r = fold_one(z, np, onnxbn_str(at->name),
                                    j < at->n_graphs ? at->graphs[j] : at->g, on, changed);
                if (r)
                    return r;
            }
        }
    }
    return FZ_OK;
}

/* BatchNormalization nodes of g and of its subgraphs, any depth. */
static int count_bn(const fz *z, const Onnx__GraphProto *g, int depth)
{
    int bn = 0;
    for (size_t i = 0; g && depth <= 256 && i < g->n_node; i++) { /* fz_init refuses deeper */
        const Onnx__NodeProto *np = g->node[i];
        bn += onnxbn_op_lookup(onnxbn_str(np->domain), onnxbn_str(np->op_type)) ==
              ONNXBN_OP_BatchNormalization;
        for (size_t a = 0; a < np->n_attribute; a++) {
            const Onnx__AttributeProto *at = np->attribute[a];
            bn += count_bn(z, at->g, depth + 1);
            for (size_t j = 0; j < at->n_graphs; j++)
                bn += count_bn(z, at->graphs[j], depth + 1);
        }
    }
    return bn;
}

static void count(const fz *z, int *bn, int *nodes, int *inits)
{
    *bn = count_bn(z, z->gp, 0);
    *nodes = (int)z->gp->n_node;
    *inits = (int)z->gp->n_initializer;
}

onnxbn_status onnxbn_fuse_proto(Onnx__ModelProto *mp, const char *base_dir, const char *passes,
                                int flags, onnxbn_graph *index, int *builds,
                                onnxbn_fuse_report **report, onnxbn_error *err)
{
    if (report)
        *report = NULL;
    if (!mp)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_fuse: NULL model");
    bool on[N_PASSES];
    onnxbn_status st = parse_passes(passes, on, err);
    if (st)
        return st;
    onnxbn_fuse_report *rep = fz_report_new();
    if (!rep)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    fz z;
    st = fz_init(&z, mp, base_dir, flags, rep);
    fz_res r = FZ_ERR;
    if (!st)
        r = index && index->proto && index->proto == mp->graph ? fz_adopt(&z, index) : fz_rebuild(&z);
    if (index)
        onnxbn_graph_free(index); /* taken over, or not of this proto */
    if (!r) {
        onnxbn_fuse_stats *s = &rep->stats;
        count(&z, &s->bn_before, &s->nodes_before, &s->initializers_before);
        /* subgraphs first: a fold there may leave an outer weight unread, for prune here */
        bool changed = false;
        r = fold_subgraphs(&z, on, &changed);
        if (!r && changed)
            r = settle(&z);
        if (!r)
            r = run_passes(&z, on);
        if (!r)
            count(&z, &s->bn_after, &s->nodes_after, &s->initializers_after);
    }
    if (r) {
        st = z.err.status ? z.err.status : ONNXBN_ERR_MODEL;
        if (err)
            *err = z.err;
    } else if (index && !z.edited) {
        *index = z.g;
        memset(&z.g, 0, sizeof z.g);
    }
    if (builds)
        *builds += z.builds;
    fz_release(&z);
    if (st || !report)
        onnxbn_fuse_report_free(rep);
    else
        *report = rep;
    return st;
}
