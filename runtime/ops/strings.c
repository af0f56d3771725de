/* strings.c — the string operators (StringNormalizer 10) and the byte buffer every op that makes
 * strings keeps its outputs' bytes in (onnxbn_strbuf, op.h). */
#include <stdlib.h>
#include <string.h>

#include "shapeops.h"

onnxbn_strbuf *onnxbn_strbuf_of(onnxbn_kctx *c)
{
    if (!c->state && !(c->state = calloc(1, sizeof(onnxbn_strbuf))))
        return NULL;
    onnxbn_strbuf *b = c->state;
    b->len = 0;
    return b;
}

bool onnxbn_strbuf_put(onnxbn_strbuf *b, const char *s, size_t n, onnxbn_string *h)
{
    if (n > SIZE_MAX / 2 - b->len)
        return false;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return false;
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    /* an offset while the buffer may still move */
    h->data = (const char *)(uintptr_t)b->len;
    h->len = n;
    b->len += n;
    return true;
}

void onnxbn_strbuf_fix(const onnxbn_strbuf *b, onnxbn_string *h, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        h[i].data = b->p ? b->p + (uintptr_t)h[i].data : "";
}

void onnxbn_strbuf_free(void *state)
{
    if (state) {
        free(((onnxbn_strbuf *)state)->p);
        free(state);
    }
}

/* ---- StringNormalizer ---- */

static const onnxbn_attr_spec strnorm_attrs[] = {
    {"case_change_action", ONNXBN_ATTR_STRING, false, 0, 0},
    {"is_case_sensitive", ONNXBN_ATTR_INT, false, 0, 0},
    {"locale", ONNXBN_ATTR_STRING, false, 0, 0},
    {"stopwords", ONNXBN_ATTR_STRINGS, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

enum { CASE_NONE, CASE_LOWER, CASE_UPPER };

/* Case changes ASCII letters only: a byte of a multi-byte UTF-8 sequence is never a letter, so
 * other text passes through unchanged (not folded, but never broken). */
static char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch; }
static char upper(char ch) { return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch; }

static bool same(onnxbn_string a, onnxbn_string b, bool sensitive)
{
    if (a.len != b.len)
        return false;
    for (size_t k = 0; k < a.len; k++)
        if (sensitive ? a.data[k] != b.data[k] : lower(a.data[k]) != lower(b.data[k]))
            return false;
    return true;
}

typedef struct strnorm_cfg {
    int action;
    bool sensitive;
    size_t n_stop;
    onnxbn_string *stop; /* malloc'd handles to the model's bytes; the caller frees it */
} strnorm_cfg;

static onnxbn_status strnorm_config(const onnxbn_kctx *c, strnorm_cfg *g)
{
    char act[16], loc[32];
    int64_t cs;
    memset(g, 0, sizeof *g);
    onnxbn_status st = onnxbn_attr_string(c, "case_change_action", "NONE", act, sizeof act);
    if (!st)
        st = onnxbn_attr_string(c, "locale", "", loc, sizeof loc);
    if (!st)
        st = onnxbn_attr_int(c, "is_case_sensitive", 0, &cs);
    if (!st)
        st = onnxbn_attr_strings(c, "stopwords", NULL, 0, &g->n_stop);
    if (st)
        return st;
    if (!strcmp(act, "NONE"))
        g->action = CASE_NONE;
    else if (!strcmp(act, "LOWER"))
        g->action = CASE_LOWER;
    else if (!strcmp(act, "UPPER"))
        g->action = CASE_UPPER;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "case_change_action '%s' is none of NONE, LOWER, UPPER", act);
    /* ASCII case rules are those of English and of the C locale, nothing else */
    if (loc[0] && strcmp(loc, "C") && strcmp(loc, "en_US") && strcmp(loc, "en_US.UTF-8") &&
        strcmp(loc, "en_US.utf8"))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "locale '%s' is not supported (only \"\", \"C\" and \"en_US\")", loc);
    g->sensitive = cs != 0;
    if (g->n_stop && !(g->stop = malloc(g->n_stop * sizeof *g->stop)))
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    return onnxbn_attr_strings(c, "stopwords", g->stop, g->n_stop, &g->n_stop);
}

/* Whether x is one of the stopwords. */
static bool stopped(const strnorm_cfg *g, onnxbn_string x)
{
    for (size_t k = 0; k < g->n_stop; k++)
        if (same(x, g->stop[k], g->sensitive))
            return true;
    return false;
}

static onnxbn_status strnorm_shape(onnxbn_kctx *c, const strnorm_cfg *g);

static onnxbn_status strnorm_infer(onnxbn_kctx *c)
{
    strnorm_cfg g = {0};
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "X", MV_T(ONNXBN_STRING));
    if (!st)
        st = strnorm_config(c, &g);
    if (!st)
        st = strnorm_shape(c, &g);
    free(g.stop);
    return st;
}

static onnxbn_status strnorm_shape(onnxbn_kctx *c, const strnorm_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "X must be [C] or [1, C], not rank %d%s",
                                x->rank, x->rank == 2 ? " with a first dimension other than 1" : "");
    if (x->numel && !x->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "output shape depends on input values: input '%.100s' is not "
                                "known before the run", mv_in_name(c, 0));
    int64_t kept = 0;
    for (int64_t i = 0; i < x->numel; i++)
        kept += !stopped(g, ((const onnxbn_string *)x->data)[i]);
    /* all dropped: one empty string, as the spec says */
    const int64_t dims[2] = {1, kept ? kept : 1};
    return onnxbn_mv_set_out(c, 0, ONNXBN_STRING, x->rank, x->rank == 1 ? dims + 1 : dims);
}

static onnxbn_status strnorm_copy(onnxbn_kctx *c, const strnorm_cfg *g);

static onnxbn_status strnorm_run(onnxbn_kctx *c)
{
    strnorm_cfg g = {0};
    onnxbn_status st = strnorm_config(c, &g);
    if (!st)
        st = strnorm_copy(c, &g);
    free(g.stop);
    return st;
}

/* The kept strings, case changed, into the node's buffer. */
static onnxbn_status strnorm_copy(onnxbn_kctx *c, const strnorm_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    onnxbn_strbuf *b = onnxbn_strbuf_of(c);
    if (!b)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    const onnxbn_string *xs = x->data;
    onnxbn_string *ys = y->data;
    int64_t o = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        if (stopped(g, xs[i]))
            continue;
        ONNXBN_CHECK(o < y->numel, c->err); /* infer counted the same data */
        if (!onnxbn_strbuf_put(b, xs[i].data, xs[i].len, &ys[o]))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
        char *p = b->p + (uintptr_t)ys[o].data;
        for (size_t k = 0; g->action != CASE_NONE && k < xs[i].len; k++)
            p[k] = g->action == CASE_LOWER ? lower(p[k]) : upper(p[k]);
        o++;
    }
    if (o == 0) {
        ONNXBN_CHECK(y->numel == 1, c->err);
        ys[0] = (onnxbn_string){"", 0};
        return ONNXBN_OK;
    }
    ONNXBN_CHECK(o == y->numel, c->err);
    onnxbn_strbuf_fix(b, ys, o);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_strnorm = {
    .attrs = strnorm_attrs,
    .infer = strnorm_infer,
    .run = strnorm_run,
    .free_state = onnxbn_strbuf_free,
};
