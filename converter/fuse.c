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

static void count(const fz *z, int *bn, int *nodes, int *inits)
{
    *bn = 0;
    for (int i = 0; i < z->g.n_nodes; i++)
        *bn += fz_is_op(z, &z->g.nodes[i], ONNXBN_OP_BatchNormalization);
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
        fz_res (*const run[N_PASSES])(fz *) = {fz_pass_fold_constants, fz_pass_remove_identity,
                                                fz_pass_remove_dropout, fz_pass_fold_bn,
                                                fz_pass_prune};
        for (int i = 0; i < N_PASSES && !r; i++)
            if (on[i] && (r = run[i](&z)) == FZ_SKIP)
                r = FZ_OK;
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
