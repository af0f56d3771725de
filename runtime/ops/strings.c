/* SPDX-License-Identifier: Apache-2.0 */
/* strings.c — the text operators (StringNormalizer 10, TfIdfVectorizer 9) and the byte buffer
 * every op that makes strings keeps its outputs' bytes in (onnxbn_strbuf, op.h). */
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

/* ---- TfIdfVectorizer ---- */

static const onnxbn_attr_spec tfidf_attrs[] = {
    {"mode", ONNXBN_ATTR_STRING, true, 0, 0},
    {"min_gram_length", ONNXBN_ATTR_INT, true, 0, 0},
    {"max_gram_length", ONNXBN_ATTR_INT, true, 0, 0},
    {"max_skip_count", ONNXBN_ATTR_INT, true, 0, 0},
    {"ngram_counts", ONNXBN_ATTR_INTS, true, 0, 0},
    {"ngram_indexes", ONNXBN_ATTR_INTS, true, 0, 0},
    {"pool_int64s", ONNXBN_ATTR_INTS, false, 0, 0},
    {"pool_strings", ONNXBN_ATTR_STRINGS, false, 0, 0},
    {"weights", ONNXBN_ATTR_FLOATS, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

enum { TF, IDF, TFIDF };

/* The pool holds the n-grams of each length in turn: those of length g start at item
 * counts[g-1] and end where the next length starts (or at the pool's end). N-gram j overall (in
 * pool order) counts into output column idx[j] and has weight w[j]. */
typedef struct tfidf_cfg {
    int mode;
    int64_t minn, maxn, skip, width;
    const int64_t *counts, *idx, *pool_i;
    size_t n_counts, n_idx, n_pool;
    onnxbn_string *pool_s; /* malloc'd handles to the model's bytes (string pools) */
    const float *w;
    size_t n_w;
} tfidf_cfg;

static onnxbn_status tfidf_config(const onnxbn_kctx *c, tfidf_cfg *g)
{
    char mode[8];
    size_t n_ps = 0;
    onnxbn_status st;
    if ((st = onnxbn_attr_string(c, "mode", "", mode, sizeof mode)) ||
        (st = onnxbn_attr_int(c, "min_gram_length", 0, &g->minn)) ||
        (st = onnxbn_attr_int(c, "max_gram_length", 0, &g->maxn)) ||
        (st = onnxbn_attr_int(c, "max_skip_count", 0, &g->skip)) ||
        (st = onnxbn_attr_ints(c, "ngram_counts", &g->counts, &g->n_counts)) ||
        (st = onnxbn_attr_ints(c, "ngram_indexes", &g->idx, &g->n_idx)) ||
        (st = onnxbn_attr_ints(c, "pool_int64s", &g->pool_i, &g->n_pool)) ||
        (st = onnxbn_attr_strings(c, "pool_strings", NULL, 0, &n_ps)) ||
        (st = onnxbn_attr_floats(c, "weights", &g->w, &g->n_w)))
        return st;
    if (!strcmp(mode, "TF"))
        g->mode = TF;
    else if (!strcmp(mode, "IDF"))
        g->mode = IDF;
    else if (!strcmp(mode, "TFIDF"))
        g->mode = TFIDF;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "mode '%s' is none of TF, IDF, TFIDF", mode);
    if ((g->n_pool != 0) == (n_ps != 0) && (g->n_pool || n_ps))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "pool_int64s and pool_strings are both given");
    bool strs = onnxbn_in(c, 0)->dtype == ONNXBN_STRING;
    if (strs != (n_ps != 0) && (g->n_pool || n_ps))
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input X is %s but the pool is %s",
                                strs ? "string" : "integer", n_ps ? "pool_strings" : "pool_int64s");
    if (n_ps) {
        g->n_pool = n_ps;
        if (!(g->pool_s = malloc(n_ps * sizeof *g->pool_s)))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
        if ((st = onnxbn_attr_strings(c, "pool_strings", g->pool_s, n_ps, &n_ps)))
            return st;
    }
    if (g->minn < 1 || g->maxn < g->minn || (uint64_t)g->maxn > g->n_counts)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "gram lengths [%lld, %lld] are not within "
                                "[1, %zu] (ngram_counts has %zu lengths)", (long long)g->minn,
                                (long long)g->maxn, g->n_counts, g->n_counts);
    if (g->skip < 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "max_skip_count is negative (%lld)",
                                (long long)g->skip);
    /* every length's slice lies in the pool and holds whole n-grams; their number is n_idx */
    size_t grams = 0;
    for (size_t i = 0; i < g->n_counts; i++) {
        int64_t a = g->counts[i], b = i + 1 < g->n_counts ? g->counts[i + 1] : (int64_t)g->n_pool;
        if (a < 0 || b < a || (uint64_t)b > g->n_pool || (b - a) % (int64_t)(i + 1))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "ngram_counts[%zu] = %lld does not start "
                                    "whole %zu-grams within the pool of %zu", i, (long long)a,
                                    i + 1, g->n_pool);
        grams += (size_t)((b - a) / (int64_t)(i + 1));
    }
    if (grams != g->n_idx)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "the pool holds %zu n-grams, ngram_indexes has %zu",
                                grams, g->n_idx);
    if (g->n_w && g->n_w != g->n_idx)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "weights has %zu values for %zu n-grams",
                                g->n_w, g->n_idx);
    g->width = 0;
    for (size_t j = 0; j < g->n_idx; j++) {
        if (g->idx[j] < 0 || g->idx[j] >= INT32_MAX)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "ngram_indexes[%zu] = %lld is out of range",
                                    j, (long long)g->idx[j]);
        if (g->idx[j] + 1 > g->width)
            g->width = g->idx[j] + 1;
    }
    return ONNXBN_OK;
}

static onnxbn_status tfidf_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "X", MV_T(ONNXBN_STRING) | MV_INDEX);
    if (st)
        return st;
    if (x->rank != 1 && x->rank != 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "X must be [C] or [N, C], not rank %d", x->rank);
    tfidf_cfg g = {0};
    st = tfidf_config(c, &g);
    free(g.pool_s);
    if (st)
        return st;
    const int64_t dims[2] = {x->rank == 2 ? x->dims[0] : 1, g.width};
    return onnxbn_mv_set_out(c, 0, ONNXBN_FLOAT, x->rank, x->rank == 1 ? dims + 1 : dims);
}

/* Whether the n tokens of x from s, `step` apart, equal pool items from p on. */
static bool tfidf_match(const onnxbn_tensor *x, const tfidf_cfg *g, int64_t s, int64_t step,
                        int64_t n, int64_t p)
{
    for (int64_t t = 0; t < n; t++) {
        int64_t i = s + t * step;
        if (g->pool_s) {
            if (!same(((const onnxbn_string *)x->data)[i], g->pool_s[p + t], true))
                return false;
        } else if (onnxbn_get_i64(x, i) != g->pool_i[p + t]) {
            return false;
        }
    }
    return true;
}

static onnxbn_status tfidf_count(onnxbn_kctx *c, const tfidf_cfg *g)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const int64_t rows = x->rank == 2 ? x->dims[0] : 1, cols = x->dims[x->rank - 1];
    double *cnt = calloc(g->n_idx ? g->n_idx : 1, sizeof *cnt);
    if (!cnt)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    float *out = y->data;
    memset(out, 0, y->nbytes);
    for (int64_t r = 0; r < rows; r++) {
        memset(cnt, 0, (g->n_idx ? g->n_idx : 1) * sizeof *cnt);
        for (int64_t s = 0; s < cols; s++)
            for (int64_t d = 0; d <= g->skip && d < cols; d++) { /* wider skips fit nothing */
                size_t base = 0; /* n-grams of shorter lengths before these */
                for (int64_t n = 1; n <= g->maxn; n++) {
                    int64_t a = g->counts[n - 1];
                    int64_t b = n < (int64_t)g->n_counts ? g->counts[n] : (int64_t)g->n_pool;
                    size_t num = (size_t)((b - a) / n);
                    /* a unigram has no skips: counted once, at skip 0 */
                    bool fits = (n - 1) * (d + 1) < cols - s;
                    if (n >= g->minn && fits && !(n == 1 && d > 0))
                        for (size_t k = 0; k < num; k++)
                            if (tfidf_match(x, g, r * cols + s, d + 1, n, a + (int64_t)k * n)) {
                                cnt[base + k] += 1;
                                break;
                            }
                    base += num;
                }
            }
        for (size_t j = 0; j < g->n_idx; j++) {
            double w = g->n_w ? g->w[j] : 1.0, v = cnt[j];
            if (g->mode == IDF)
                v = v > 0 ? w : 0;
            else if (g->mode == TFIDF)
                v *= w;
            out[r * g->width + g->idx[j]] += (float)v;
        }
    }
    free(cnt);
    return ONNXBN_OK;
}

static onnxbn_status tfidf_run(onnxbn_kctx *c)
{
    tfidf_cfg g = {0};
    onnxbn_status st = tfidf_config(c, &g);
    if (!st)
        st = tfidf_count(c, &g);
    free(g.pool_s);
    return st;
}

const onnxbn_op_def onnxbn_op_tfidf = {
    .attrs = tfidf_attrs,
    .infer = tfidf_infer,
    .run = tfidf_run,
};
