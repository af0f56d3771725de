/* SPDX-License-Identifier: Apache-2.0 */
/* einsum.c — Einsum 12: the equation is parsed against the input ranks once per plan into a short
 * program of strided sums (diagonals, reductions, permutes, broadcasts) and batched GEMMs, a pair of
 * operands at a time; matmul-shaped equations become one batched GEMM straight on the inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm.h"
#include "op.h"
#include "ops/gemm_cols.h"
#include "ops/types.h"
#include "threadpool.h"

/* Labels: 'A'..'Z' are 0..25 and 'a'..'z' 26..51, so that label order is ASCII order (numpy's
 * implicit output sorts that way); the dims an ellipsis stands for are 52 .. 52+E-1, right-aligned
 * across operands as numpy broadcasts them. At most 60 labels, so a set of labels is a uint64_t. */
#define ES_LETTERS 52
#define ES_MAXLAB (ES_LETTERS + ONNXBN_MAX_RANK)
#define ES_MAX_OPS 64
#define ES_EQ_MAX 1024

static const onnxbn_attr_spec einsum_attrs[] = {
    {"equation", ONNXBN_ATTR_STRING, true, 1, 0},
    {NULL, 0, false, 0, 0},
};

/* Element types the work is done in: float16 is widened to float, the integers to 64-bit
 * unsigned (wrapping sums of products, truncated to the type at the end: the same residue as
 * computing in the type, without signed overflow). */
typedef enum { W_F32, W_F64, W_U64 } es_wtype;

typedef enum { B_IN, B_SCRATCH, B_OUT } es_bkind;
typedef struct es_buf {
    es_bkind kind;
    int in;     /* B_IN: the input */
    size_t off; /* B_SCRATCH: bytes into the scratch */
} es_buf;

/* A tensor as the contraction sees it: unique labels over a buffer, a stride (elements) per
 * label. A diagonal is one label whose stride is the sum of its dims' strides; a broadcast dim
 * has stride 0. Sizes are the equation's (es_eq.size). */
typedef struct es_view {
    es_buf buf;
    int n;
    int lab[ES_MAXLAB];
    int64_t str[ES_MAXLAB];
} es_view;

enum { ST_WIDEN, ST_SUM, ST_GEMM, ST_NARROW };
typedef struct es_step {
    int kind;
    es_buf src, src2, dst;
    size_t n; /* WIDEN, NARROW: elements */
    /* SUM: dst (row-major over dim[0 .. nd-1]) = Σ over dim[nd .. nd+ns-1] of src at Σ idx·str */
    int nd, ns;
    int64_t dim[ES_MAXLAB], str[ES_MAXLAB];
    /* GEMM: for b < nb, C_b (M×N, contiguous) = op(A_b)·op(B_b), A_b at src + b·sa, B_b at
     * src2 + b·sb, C_b at dst + b·M·N */
    size_t nb, M, N, K, lda, ldb, sa, sb;
    bool ta, tb;
} es_step;

typedef struct es_plan {
    es_wtype wt;
    size_t wsize;
    int nsteps, cap;
    es_step *steps;
    size_t scratch;
    int copies; /* SUM steps that only move data (for choosing between operand orders) */
} es_plan;

/* The equation against the input shapes. */
typedef struct es_eq {
    int n;
    int rank[ES_MAX_OPS];
    int lab[ES_MAX_OPS][ONNXBN_MAX_RANK];
    int out_rank;
    int out[ONNXBN_MAX_RANK];
    int64_t size[ES_MAXLAB];
} es_eq;

static char label_char(int l)
{
    return (char)(l < 26 ? 'A' + l : 'a' + (l - 26));
}

static int letter_id(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return 26 + (ch - 'a');
    return -1;
}

/* One term ("ab...c"): its letters in order and where the ellipsis stands (-1: none). */
typedef struct es_term {
    int nl;
    int l[ES_MAXLAB];
    int ell; /* letters before the ellipsis */
} es_term;

static onnxbn_status parse_term(const onnxbn_kctx *c, const char *eq, const char *s, size_t len,
                                es_term *t)
{
    t->nl = 0;
    t->ell = -1;
    for (size_t i = 0; i < len; i++) {
        int id = letter_id(s[i]);
        if (id >= 0) {
            if (t->nl == ES_MAXLAB)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "equation '%s' has a term with too many labels", eq);
            t->l[t->nl++] = id;
        } else if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.' && t->ell < 0) {
            t->ell = t->nl;
            i += 2;
        } else if (s[i] == '.' && t->ell >= 0) {
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "equation '%s' has two ellipses in one term", eq);
        } else {
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "equation '%s' does not parse at '%c' (letters, '...', ',' and '->')",
                                    eq, s[i]);
        }
    }
    return ONNXBN_OK;
}

/* Parses `eq` against the inputs' ranks and dims into e. */
static onnxbn_status parse_eq(const onnxbn_kctx *c, const char *eq, es_eq *e)
{
    char s[ES_EQ_MAX];
    size_t len = 0;
    for (const char *p = eq; *p; p++)
        if (*p != ' ')
            s[len++] = *p;
    s[len] = 0;
    memset(e, 0, sizeof *e);
    e->n = c->n_in;
    if (e->n > ES_MAX_OPS)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "%d operands; at most %d are supported",
                                e->n, ES_MAX_OPS);
    const char *arrow = strstr(s, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - s) : len;
    for (size_t i = 0; i < len; i++)
        if ((s[i] == '-' || s[i] == '>') && !(arrow && (s + i == arrow || s + i == arrow + 1)))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "equation '%s' does not parse at '%c'", eq,
                                    s[i]);
    es_term terms[ES_MAX_OPS];
    int nt = 0;
    size_t start = 0;
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && s[i] != ',')
            continue;
        if (nt == e->n)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "equation '%s' has more operands than the node's %d inputs", eq,
                                    e->n);
        onnxbn_status st = parse_term(c, eq, s + start, i - start, &terms[nt++]);
        if (st)
            return st;
        start = i + 1;
    }
    if (nt != e->n)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "equation '%s' has %d operands, the node %d inputs", eq, nt, e->n);
    /* Ranks: how many dims each ellipsis stands for. */
    int E = 0;
    for (int k = 0; k < e->n; k++) {
        const onnxbn_tensor *x = onnxbn_in(c, k);
        int nl = terms[k].nl;
        if (terms[k].ell < 0 ? nl != x->rank : nl > x->rank)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "equation '%s': operand %d ('%s') has rank %d, its term %d labels%s",
                                    eq, k, onnxbn_node_input_name(c->node, k), x->rank, nl,
                                    terms[k].ell < 0 ? "" : " and an ellipsis");
        if (x->rank - nl > E)
            E = x->rank - nl;
    }
    /* Labels per dim, and the size of each label (numpy broadcasting: equal, or 1). */
    for (int l = 0; l < ES_MAXLAB; l++)
        e->size[l] = -1;
    int count[ES_MAXLAB] = {0};
    for (int k = 0; k < e->n; k++) {
        const onnxbn_tensor *x = onnxbn_in(c, k);
        const es_term *t = &terms[k];
        int ne = x->rank - t->nl, d = 0;
        for (int i = 0; i <= t->nl; i++) {
            if (i == t->ell)
                for (int j = 0; j < ne; j++)
                    e->lab[k][d++] = ES_LETTERS + (E - ne) + j;
            if (i < t->nl)
                e->lab[k][d++] = t->l[i];
        }
        e->rank[k] = x->rank;
        for (int i = 0; i < x->rank; i++) {
            int l = e->lab[k][i];
            int64_t s = x->dims[i];
            count[l]++;
            for (int j = 0; j < i; j++)
                if (e->lab[k][j] == l && x->dims[j] != s)
                    return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                            "equation '%s': operand %d ('%s') repeats a label over dims of sizes %lld and %lld",
                                            eq, k, onnxbn_node_input_name(c->node, k),
                                            (long long)x->dims[j], (long long)s);
            if (e->size[l] < 0 || e->size[l] == 1)
                e->size[l] = s;
            else if (s != 1 && s != e->size[l]) {
                char name[8];
                if (l < ES_LETTERS)
                    snprintf(name, sizeof name, "'%c'", label_char(l));
                else
                    snprintf(name, sizeof name, "'...'");
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "equation '%s': label %s is %lld in one operand and %lld in operand %d ('%s')",
                                        eq, name, (long long)e->size[l], (long long)s, k,
                                        onnxbn_node_input_name(c->node, k));
            }
        }
    }
    /* The output. */
    if (arrow) {
        es_term t;
        onnxbn_status st = parse_term(c, eq, arrow + 2, len - lhs_len - 2, &t);
        if (st)
            return st;
        bool seen[ES_MAXLAB] = {false};
        for (int i = 0; i < t.nl; i++) {
            if (seen[t.l[i]] || !count[t.l[i]])
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "equation '%s': output label '%c' %s", eq,
                                        label_char(t.l[i]),
                                        seen[t.l[i]] ? "appears twice" : "is in no input");
            seen[t.l[i]] = true;
        }
        if (t.ell < 0 && E > 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "equation '%s': the inputs' ellipsis dims have no '...' in the output",
                                    eq);
        if (t.nl + (t.ell >= 0 ? E : 0) > ONNXBN_MAX_RANK)
            return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "equation '%s': output rank above %d",
                                    eq, ONNXBN_MAX_RANK);
        int d = 0;
        for (int i = 0; i <= t.nl; i++) {
            if (i == t.ell)
                for (int j = 0; j < E; j++)
                    e->out[d++] = ES_LETTERS + j;
            if (i < t.nl)
                e->out[d++] = t.l[i];
        }
        e->out_rank = d;
    } else {
        int d = 0;
        for (int j = 0; j < E; j++)
            e->out[d++] = ES_LETTERS + j;
        for (int l = 0; l < ES_LETTERS; l++)
            if (count[l] == 1) {
                if (d == ONNXBN_MAX_RANK)
                    return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                            "equation '%s': output rank above %d", eq, ONNXBN_MAX_RANK);
                e->out[d++] = l;
            }
        e->out_rank = d;
    }
    for (int l = 0; l < ES_MAXLAB; l++)
        if (e->size[l] < 0)
            e->size[l] = 1; /* an output ellipsis no input fills */
    return ONNXBN_OK;
}

/* ---- the program ---- */

static onnxbn_status push(const onnxbn_kctx *c, es_plan *p, es_step **out)
{
    if (p->nsteps == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        es_step *s = realloc(p->steps, (size_t)cap * sizeof *s);
        if (!s)
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
        p->steps = s;
        p->cap = cap;
    }
    *out = &p->steps[p->nsteps++];
    memset(*out, 0, sizeof **out);
    return ONNXBN_OK;
}

/* Bump allocation in the scratch: a program is short and each buffer is written once. */
static onnxbn_status alloc_scratch(const onnxbn_kctx *c, es_plan *p, int64_t numel, es_buf *b)
{
    size_t bytes, end;
    if (!onnxbn_mul_size((size_t)numel, p->wsize, &bytes) ||
        !onnxbn_add_size(bytes, 63, &bytes) || !onnxbn_add_size(p->scratch, bytes & ~(size_t)63, &end))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "scratch for the contraction overflows");
    b->kind = B_SCRATCH;
    b->off = p->scratch;
    p->scratch = end;
    return ONNXBN_OK;
}

static uint64_t view_set(const es_view *v)
{
    uint64_t m = 0;
    for (int i = 0; i < v->n; i++)
        m |= UINT64_C(1) << v->lab[i];
    return m;
}

static int64_t view_stride(const es_view *v, int l)
{
    for (int i = 0; i < v->n; i++)
        if (v->lab[i] == l)
            return v->str[i];
    return 0;
}

/* True when v is its buffer row-major in the label order `ord` (size-1 labels aside). */
static bool is_rowmajor(const es_eq *e, const es_view *v, const int *ord, int n)
{
    if (n != v->n)
        return false;
    int64_t want = 1;
    for (int i = n - 1; i >= 0; i--) {
        int l = ord[i];
        if (e->size[l] != 1 && view_stride(v, l) != want)
            return false;
        want *= e->size[l];
    }
    return true;
}

static int64_t prod(const es_eq *e, const int *l, int n)
{
    int64_t r = 1;
    for (int i = 0; i < n; i++)
        r *= e->size[l[i]];
    return r;
}

/* A new buffer holding v summed over the labels not in `ord`, laid out row-major in `ord`. */
static onnxbn_status sum_into(const onnxbn_kctx *c, es_plan *p, const es_eq *e, const es_view *v,
                              const int *ord, int n, es_buf dst, es_view *out)
{
    es_step *s = NULL;
    onnxbn_status st = push(c, p, &s);
    if (st)
        return st;
    s->kind = ST_SUM;
    s->src = v->buf;
    s->dst = dst;
    s->nd = n;
    uint64_t keep = 0;
    for (int i = 0; i < n; i++) {
        s->dim[i] = e->size[ord[i]];
        s->str[i] = view_stride(v, ord[i]);
        keep |= UINT64_C(1) << ord[i];
    }
    bool sums = false;
    for (int i = 0; i < v->n; i++)
        if (!(keep >> v->lab[i] & 1)) {
            s->dim[n + s->ns] = e->size[v->lab[i]];
            s->str[n + s->ns++] = v->str[i];
            sums = true;
        }
    if (!sums)
        p->copies++;
    out->buf = dst;
    out->n = n;
    int64_t acc = 1;
    for (int i = n - 1; i >= 0; i--) {
        out->lab[i] = ord[i];
        out->str[i] = acc;
        acc *= e->size[ord[i]];
    }
    return ONNXBN_OK;
}

/* The labels of v in `set`, in v's order. */
static int pick(const es_view *v, uint64_t set, int *to)
{
    int n = 0;
    for (int i = 0; i < v->n; i++)
        if (set >> v->lab[i] & 1)
            to[n++] = v->lab[i];
    return n;
}

/* acc := contraction of A and B keeping the labels in `keep`; into the output when `last` and
 * the result is laid out as the output is. */
static onnxbn_status contract(const onnxbn_kctx *c, es_plan *p, const es_eq *e, const es_view *A,
                              const es_view *B, uint64_t keep, bool last, bool out_direct,
                              es_view *res)
{
    const uint64_t sa = view_set(A), sb = view_set(B);
    const uint64_t mb = sa & sb & keep, mk = sa & sb & ~keep, mm = sa & ~sb & keep,
                   mn = sb & ~sa & keep;
    int bl[ES_MAXLAB], ml[ES_MAXLAB], kl[ES_MAXLAB], nl[ES_MAXLAB];
    int nbl, nml = pick(A, mm, ml), nkl, nnl = pick(B, mn, nl);
    /* Batch and K orders from A when A can be used as it is, else from B. */
    int ord[ES_MAXLAB];
    bool a_ok = false, ta = false;
    nbl = pick(A, mb, bl);
    nkl = pick(A, mk, kl);
    for (int t = 0; t < 2 && !a_ok; t++) {
        int n = 0;
        memcpy(ord, bl, (size_t)nbl * sizeof *ord);
        n = nbl;
        const int *x = t ? kl : ml, *y = t ? ml : kl;
        int nx = t ? nkl : nml, ny = t ? nml : nkl;
        memcpy(ord + n, x, (size_t)nx * sizeof *ord);
        n += nx;
        memcpy(ord + n, y, (size_t)ny * sizeof *ord);
        n += ny;
        if (is_rowmajor(e, A, ord, n)) {
            a_ok = true;
            ta = t == 1;
        }
    }
    if (!a_ok) {
        nbl = pick(B, mb, bl);
        nkl = pick(B, mk, kl);
    }
    bool b_ok = false, tb = false;
    for (int t = 0; t < 2 && !b_ok; t++) {
        int n = nbl;
        memcpy(ord, bl, (size_t)nbl * sizeof *ord);
        const int *x = t ? nl : kl, *y = t ? kl : nl;
        int nx = t ? nnl : nkl, ny = t ? nkl : nnl;
        memcpy(ord + n, x, (size_t)nx * sizeof *ord);
        n += nx;
        memcpy(ord + n, y, (size_t)ny * sizeof *ord);
        n += ny;
        if (is_rowmajor(e, B, ord, n)) {
            b_ok = true;
            tb = t == 1;
        }
    }
    onnxbn_status st;
    es_view a = *A, b = *B;
    if (!a_ok) { /* [batch, M, K] */
        es_buf buf;
        int n = 0;
        memcpy(ord, bl, (size_t)nbl * sizeof *ord), n += nbl;
        memcpy(ord + n, ml, (size_t)nml * sizeof *ord), n += nml;
        memcpy(ord + n, kl, (size_t)nkl * sizeof *ord), n += nkl;
        if ((st = alloc_scratch(c, p, prod(e, ord, n), &buf)) ||
            (st = sum_into(c, p, e, A, ord, n, buf, &a)))
            return st;
    }
    if (!b_ok) { /* [batch, K, N] */
        es_buf buf;
        int n = 0;
        memcpy(ord, bl, (size_t)nbl * sizeof *ord), n += nbl;
        memcpy(ord + n, kl, (size_t)nkl * sizeof *ord), n += nkl;
        memcpy(ord + n, nl, (size_t)nnl * sizeof *ord), n += nnl;
        if ((st = alloc_scratch(c, p, prod(e, ord, n), &buf)) ||
            (st = sum_into(c, p, e, B, ord, n, buf, &b)))
            return st;
    }
    /* C = [batch, M, N] */
    int n = 0;
    memcpy(ord, bl, (size_t)nbl * sizeof *ord), n += nbl;
    memcpy(ord + n, ml, (size_t)nml * sizeof *ord), n += nml;
    memcpy(ord + n, nl, (size_t)nnl * sizeof *ord), n += nnl;
    es_buf cb = {.kind = B_OUT};
    if (!(last && out_direct && n == e->out_rank && !memcmp(ord, e->out, (size_t)n * sizeof *ord)))
        if ((st = alloc_scratch(c, p, prod(e, ord, n), &cb)))
            return st;
    es_step *s = NULL;
    if ((st = push(c, p, &s)))
        return st;
    s->kind = ST_GEMM;
    s->src = a.buf;
    s->src2 = b.buf;
    s->dst = cb;
    s->nb = (size_t)prod(e, bl, nbl);
    s->M = (size_t)prod(e, ml, nml);
    s->N = (size_t)prod(e, nl, nnl);
    s->K = (size_t)prod(e, kl, nkl);
    s->ta = ta && a_ok;
    s->tb = tb && b_ok;
    s->lda = s->ta ? s->M : s->K;
    s->ldb = s->tb ? s->K : s->N;
    s->sa = s->M * s->K;
    s->sb = s->K * s->N;
    res->buf = cb;
    res->n = n;
    int64_t acc = 1;
    for (int i = n - 1; i >= 0; i--) {
        res->lab[i] = ord[i];
        res->str[i] = acc;
        acc *= e->size[ord[i]];
    }
    return ONNXBN_OK;
}

static void plan_free(es_plan *p)
{
    if (p) {
        free(p->steps);
        free(p);
    }
}

static es_wtype wtype_of(onnxbn_dtype t)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_FLOAT16 ? W_F32 : t == ONNXBN_DOUBLE ? W_F64 : W_U64;
}

static bool direct_type(onnxbn_dtype t)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE;
}

/* Output rank and dims set; the program built. */
static onnxbn_status build(onnxbn_kctx *c, es_plan *p, es_eq *e)
{
    char eq[ES_EQ_MAX];
    memset(p, 0, sizeof *p);
    onnxbn_status st = onnxbn_attr_string(c, "equation", "", eq, sizeof eq);
    if (st)
        return st;
    const uint32_t types = ONNXBN_TM_FLT | ONNXBN_TM_SINT | ONNXBN_TM_UINT;
    if ((st = onnxbn_check_input_type(c, 0, "Inputs", types)))
        return st;
    const onnxbn_dtype dt = onnxbn_in(c, 0)->dtype;
    for (int k = 1; k < c->n_in; k++) {
        const onnxbn_tensor *x = onnxbn_in(c, k);
        if (!x)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is empty", k);
        if (x->dtype != dt)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%s') is %s, expected %s like input 0",
                                    k, onnxbn_node_input_name(c->node, k),
                                    onnxbn_dtype_name(x->dtype), onnxbn_dtype_name(dt));
    }
    if ((st = parse_eq(c, eq, e)))
        return st;
    p->wt = wtype_of(dt);
    p->wsize = p->wt == W_F32 ? sizeof(float) : sizeof(double);
    const bool direct = direct_type(dt);
    /* Operands as views; widened first when the work type is not theirs. */
    es_view *v = calloc((size_t)e->n, sizeof *v);
    if (!v)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    for (int k = 0; k < e->n && !st; k++) {
        const onnxbn_tensor *x = onnxbn_in(c, k);
        es_view *w = &v[k];
        w->buf = (es_buf){.kind = B_IN, .in = k};
        if (!direct) {
            es_step *s = NULL;
            if ((st = alloc_scratch(c, p, x->numel, &w->buf)) || (st = push(c, p, &s)))
                break;
            s->kind = ST_WIDEN;
            s->src = (es_buf){.kind = B_IN, .in = k};
            s->dst = w->buf;
            s->n = (size_t)x->numel;
        }
        int64_t stride = 1;
        for (int i = x->rank - 1; i >= 0; i--) {
            int l = e->lab[k][i], j = 0;
            int64_t s = x->dims[i] == 1 && e->size[l] != 1 ? 0 : stride; /* broadcast */
            while (j < w->n && w->lab[j] != l)
                j++;
            if (j == w->n) {
                w->lab[w->n] = l;
                w->str[w->n++] = 0;
            }
            w->str[j] += s;
            stride *= x->dims[i];
        }
        /* the loop above went from the last dim: back to the dims' order */
        for (int i = 0, j = w->n - 1; i < j; i++, j--) {
            int tl = w->lab[i];
            int64_t ts = w->str[i];
            w->lab[i] = w->lab[j], w->str[i] = w->str[j];
            w->lab[j] = tl, w->str[j] = ts;
        }
    }
    uint64_t outset = 0;
    for (int i = 0; i < e->out_rank; i++)
        outset |= UINT64_C(1) << e->out[i];
    es_view acc = v[0];
    for (int k = 1; k < e->n && !st; k++) {
        uint64_t keep = outset;
        for (int j = k + 1; j < e->n; j++)
            keep |= view_set(&v[j]);
        const bool last = k == e->n - 1;
        es_view r;
        if (last) {
            /* Both operand orders: C = A·B or (B·A), whichever lands as the output is laid out. */
            es_plan trial = *p;
            trial.steps = NULL;
            trial.cap = trial.nsteps = 0;
            es_view r1, r2;
            int cost[2];
            for (int t = 0; t < 2 && !st; t++) {
                trial.copies = 0;
                trial.nsteps = 0;
                st = contract(c, &trial, e, t ? &v[k] : &acc, t ? &acc : &v[k], keep, true, direct,
                              t ? &r2 : &r1);
                cost[t] = trial.copies + ((t ? r2 : r1).buf.kind != B_OUT);
            }
            free(trial.steps);
            if (st)
                break;
            const bool swap = cost[1] < cost[0];
            st = contract(c, p, e, swap ? &v[k] : &acc, swap ? &acc : &v[k], keep, true, direct, &r);
        } else {
            st = contract(c, p, e, &acc, &v[k], keep, false, false, &r);
        }
        acc = r;
    }
    free(v);
    if (st)
        return st;
    if (acc.buf.kind != B_OUT) {
        es_buf dst = {.kind = B_OUT};
        int64_t n = prod(e, e->out, e->out_rank);
        if (!direct && (st = alloc_scratch(c, p, n, &dst)))
            return st;
        es_view r;
        if ((st = sum_into(c, p, e, &acc, e->out, e->out_rank, dst, &r)))
            return st;
        if (!direct) {
            es_step *s = NULL;
            if ((st = push(c, p, &s)))
                return st;
            s->kind = ST_NARROW;
            s->src = dst;
            s->dst = (es_buf){.kind = B_OUT};
            s->n = (size_t)n;
        }
    }
    return ONNXBN_OK;
}

static onnxbn_status set_out(onnxbn_kctx *c, const es_eq *e)
{
    int64_t dims[ONNXBN_MAX_RANK];
    for (int i = 0; i < e->out_rank; i++)
        dims[i] = e->size[e->out[i]];
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), onnxbn_in(c, 0)->dtype, e->out_rank, dims,
                                   c->err);
}

static onnxbn_status einsum_infer(onnxbn_kctx *c)
{
    es_plan p;
    es_eq e;
    onnxbn_status st = build(c, &p, &e);
    if (!st)
        st = set_out(c, &e);
    if (!st)
        c->workspace = p.scratch;
    free(p.steps);
    return st;
}

static onnxbn_status einsum_prepare(onnxbn_kctx *c)
{
    es_plan *p = calloc(1, sizeof *p);
    es_eq *e = malloc(sizeof *e);
    onnxbn_status st = p && e ? build(c, p, e)
                              : onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    free(e);
    if (st) {
        if (p)
            free(p->steps);
        free(p);
        return st;
    }
    c->state = p;
    return ONNXBN_OK;
}

/* ---- run ---- */

static void *addr(const onnxbn_kctx *c, es_buf b)
{
    switch (b.kind) {
    case B_IN: return onnxbn_in(c, b.in)->data;
    case B_SCRATCH: return (char *)c->scratch + b.off;
    default: return onnxbn_out(c, 0)->data;
    }
}

/* The strided sum, in the work type T with accumulator ACC: a row (the last output dim) at a
 * time; a plain permute (nothing summed) is a strided copy of the row. Counters for the summed
 * dims are reset per element only when there are any. */
#define ES_SUM(name, T, ACC)                                                                      \
    static void name(const es_step *s, const T *src, T *dst)                                     \
    {                                                                                            \
        const int nd = s->nd, ns = s->ns;                                                        \
        int64_t no = 1, nr = 1;                                                                  \
        for (int i = 0; i < nd; i++)                                                             \
            no *= s->dim[i];                                                                     \
        for (int i = 0; i < ns; i++)                                                             \
            nr *= s->dim[nd + i];                                                                \
        if (no == 0)                                                                             \
            return;                                                                              \
        const int64_t last = nd ? s->dim[nd - 1] : 1, lstr = nd ? s->str[nd - 1] : 0;           \
        const int64_t inner = ns ? s->dim[nd + ns - 1] : 1, istr = ns ? s->str[nd + ns - 1] : 0; \
        int64_t oi[ES_MAXLAB], ri[ES_MAXLAB], ooff = 0;                                          \
        memset(oi, 0, sizeof oi);                                                                \
        for (int64_t o = 0; o < no; o += last) {                                                 \
            T *d = dst + o;                                                                      \
            if (!ns) {                                                                           \
                const T *q = src + ooff;                                                         \
                for (int64_t k = 0; k < last; k++)                                               \
                    d[k] = q[k * lstr];                                                          \
            } else {                                                                             \
                for (int64_t k = 0; k < last; k++) {                                             \
                    ACC a = 0;                                                                   \
                    if (nr) {                                                                    \
                        int64_t roff = 0;                                                        \
                        memset(ri, 0, (size_t)ns * sizeof *ri);                                  \
                        for (int64_t r = 0; r < nr; r += inner) {                                \
                            const T *q = src + ooff + k * lstr + roff;                           \
                            for (int64_t m = 0; m < inner; m++)                                  \
                                a += (ACC)q[m * istr];                                           \
                            for (int e = ns - 2; e >= 0; e--) {                                  \
                                roff += s->str[nd + e];                                          \
                                if (++ri[e] < s->dim[nd + e])                                    \
                                    break;                                                       \
                                roff -= ri[e] * s->str[nd + e];                                  \
                                ri[e] = 0;                                                       \
                            }                                                                    \
                        }                                                                        \
                    }                                                                            \
                    d[k] = (T)a;                                                                 \
                }                                                                                \
            }                                                                                    \
            for (int e = nd - 2; e >= 0; e--) {                                                  \
                ooff += s->str[e];                                                               \
                if (++oi[e] < s->dim[e])                                                         \
                    break;                                                                       \
                ooff -= oi[e] * s->str[e];                                                       \
                oi[e] = 0;                                                                       \
            }                                                                                    \
        }                                                                                        \
    }
ES_SUM(sum_f32, float, double)
ES_SUM(sum_f64, double, double)
ES_SUM(sum_u64, uint64_t, uint64_t)

typedef struct gemm_job {
    const es_step *s;
    const float *A, *B;
    float *C;
} gemm_job;

static void gemm_task(void *arg, size_t b, int thread)
{
    (void)thread;
    const gemm_job *j = arg;
    const es_step *s = j->s;
    onnxbn_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, j->A + b * s->sa, s->lda ? s->lda : 1,
                 j->B + b * s->sb, s->ldb ? s->ldb : 1, 0.0f, j->C + b * s->M * s->N,
                 s->N ? s->N : 1);
}

static void gemm_u64(const es_step *s, const uint64_t *A, const uint64_t *B, uint64_t *C)
{
    for (size_t b = 0; b < s->nb; b++) {
        const uint64_t *a = A + b * s->sa, *bb = B + b * s->sb;
        uint64_t *y = C + b * s->M * s->N;
        for (size_t i = 0; i < s->M; i++)
            for (size_t j = 0; j < s->N; j++) {
                uint64_t acc = 0;
                for (size_t k = 0; k < s->K; k++)
                    acc += (s->ta ? a[k * s->lda + i] : a[i * s->lda + k]) *
                           (s->tb ? bb[j * s->ldb + k] : bb[k * s->ldb + j]);
                y[i * s->N + j] = acc;
            }
    }
}

static void run_gemm(const onnxbn_kctx *c, const es_plan *p, const es_step *s)
{
    const void *A = addr(c, s->src), *B = addr(c, s->src2);
    void *C = addr(c, s->dst);
    if (!s->nb || !s->M || !s->N)
        return;
    const size_t lda = s->lda ? s->lda : 1, ldb = s->ldb ? s->ldb : 1;
    switch (p->wt) {
    case W_F32:
        if (s->nb == 1) {
            onnxbn_sgemm_cols(c->pool, s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f,
                              C, s->N, (onnxbn_act){0});
        } else {
            gemm_job j = {s, A, B, C};
            onnxbn_pool_run(c->pool, s->nb, gemm_task, &j);
        }
        break;
    case W_F64:
        for (size_t b = 0; b < s->nb; b++)
            onnxbn_dgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0, (const double *)A + b * s->sa, lda,
                         (const double *)B + b * s->sb, ldb, 0.0, (double *)C + b * s->M * s->N,
                         s->N);
        break;
    case W_U64: gemm_u64(s, A, B, C); break;
    }
}

static void widen(onnxbn_dtype t, const void *src, void *dst, size_t n)
{
    if (t == ONNXBN_FLOAT16) {
        const uint16_t *h = src;
        float *f = dst;
        for (size_t i = 0; i < n; i++)
            f[i] = onnxbn_half_to_float(h[i]);
        return;
    }
    uint64_t *u = dst;
#define WIDEN_INT(T)                         \
    for (size_t i = 0; i < n; i++)           \
        u[i] = (uint64_t)((const T *)src)[i]; \
    break;
    switch (t) {
    case ONNXBN_INT8: WIDEN_INT(int8_t)
    case ONNXBN_UINT8: WIDEN_INT(uint8_t)
    case ONNXBN_INT16: WIDEN_INT(int16_t)
    case ONNXBN_UINT16: WIDEN_INT(uint16_t)
    case ONNXBN_INT32: WIDEN_INT(int32_t)
    case ONNXBN_UINT32: WIDEN_INT(uint32_t)
    default: memcpy(dst, src, n * sizeof *u); break; /* int64, uint64 */
    }
#undef WIDEN_INT
}

static void narrow(onnxbn_dtype t, const void *src, void *dst, size_t n)
{
    const uint64_t *u = src;
    switch (t) {
    case ONNXBN_FLOAT16: {
        const float *f = src;
        uint16_t *h = dst;
        for (size_t i = 0; i < n; i++)
            h[i] = onnxbn_float_to_half(f[i]);
        break;
    }
    case ONNXBN_INT8:
    case ONNXBN_UINT8:
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = (uint8_t)u[i];
        break;
    case ONNXBN_INT16:
    case ONNXBN_UINT16:
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = (uint16_t)u[i];
        break;
    case ONNXBN_INT32:
    case ONNXBN_UINT32:
        for (size_t i = 0; i < n; i++)
            ((uint32_t *)dst)[i] = (uint32_t)u[i];
        break;
    default: memcpy(dst, src, n * sizeof *u); break;
    }
}

static onnxbn_status einsum_run(onnxbn_kctx *c)
{
    const es_plan *p = c->state;
    const onnxbn_dtype dt = onnxbn_in(c, 0)->dtype;
    ONNXBN_CHECK(p && (!p->scratch || c->scratch) && c->workspace >= p->scratch, c->err);
    for (int i = 0; i < p->nsteps; i++) {
        const es_step *s = &p->steps[i];
        switch (s->kind) {
        case ST_WIDEN: widen(dt, addr(c, s->src), addr(c, s->dst), s->n); break;
        case ST_NARROW: narrow(dt, addr(c, s->src), addr(c, s->dst), s->n); break;
        case ST_SUM:
            if (p->wt == W_F32)
                sum_f32(s, addr(c, s->src), addr(c, s->dst));
            else if (p->wt == W_F64)
                sum_f64(s, addr(c, s->src), addr(c, s->dst));
            else
                sum_u64(s, addr(c, s->src), addr(c, s->dst));
            break;
        case ST_GEMM: run_gemm(c, p, s); break;
        }
        if (onnxbn_stopped(c->stop))
            return ONNXBN_OK; /* the run's own check after the node reports it */
    }
    return ONNXBN_OK;
}

static void einsum_free(void *state)
{
    plan_free(state);
}

const onnxbn_op_def onnxbn_op_einsum = {
    .attrs = einsum_attrs,
    .infer = einsum_infer,
    .prepare = einsum_prepare,
    .run = einsum_run,
    .free_state = einsum_free,
};
