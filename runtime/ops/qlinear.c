/* SPDX-License-Identifier: Apache-2.0 */
/* qlinear.c — the integer operators (all version 10): ConvInteger and MatMulInteger (int32 out),
 * QLinearConv and QLinearMatMul (requantized to int8/uint8), all through kernels/qgemm.c. */
#include <stdlib.h>
#include <string.h>

#include "kernels/qgemm.h"
#include "ops/autopad.h"
#include "ops/qparams.h"
#include "ops/shapeops.h"
#include "ops/types.h"
#include "threadpool.h"

#define Q8 (ONNXBN_TM(ONNXBN_INT8) | ONNXBN_TM(ONNXBN_UINT8))
#define BIG INT64_C(0x7fffffff)
/* im2col bytes a chunk: the chunk and its packed copy stay in L2 while the product reads them */
#define COL_BYTES ((size_t)128 << 10)

static const onnxbn_attr_spec qconv_attrs[] = {
    {"auto_pad", ONNXBN_ATTR_STRING, false, 1, 0},
    {"dilations", ONNXBN_ATTR_INTS, false, 1, 0},
    {"group", ONNXBN_ATTR_INT, false, 1, 0},
    {"kernel_shape", ONNXBN_ATTR_INTS, false, 1, 0},
    {"pads", ONNXBN_ATTR_INTS, false, 1, 0},
    {"strides", ONNXBN_ATTR_INTS, false, 1, 0},
    {NULL, 0, false, 0, 0},
};

static const char *in_name(const onnxbn_kctx *c, int i)
{
    const char *n = onnxbn_node_input_name(c->node, i);
    return n ? n : "";
}

/* A zero point without a scale (ConvInteger, MatMulInteger): of type `type`, one value or, when
 * len > 0, len values; *count says which (1 when absent). */
static onnxbn_status zp_only(const onnxbn_kctx *c, int i, const char *what, onnxbn_dtype type,
                             int64_t len, int64_t *count)
{
    const onnxbn_tensor *z = onnxbn_in(c, i);
    char sh[ONNXBN_SHAPE_STR_MAX];
    *count = 1;
    if (!z)
        return ONNXBN_OK;
    if (z->dtype != type)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%.100s'), the zero point of '%s', is %s, expected %s like '%s'",
                                i, in_name(c, i), what, onnxbn_dtype_name(z->dtype),
                                onnxbn_dtype_name(type), what);
    if (z->numel == 1 && z->rank <= 1)
        return ONNXBN_OK;
    if (len > 0 && z->rank == 1 && z->dims[0] == len) {
        *count = len;
        return ONNXBN_OK;
    }
    return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input %d ('%.100s'), the zero point of '%s', has shape %s; expected one value%s",
                            i, in_name(c, i), what, onnxbn_shape_str(z, sh, sizeof sh),
                            len > 0 ? " or one a row/channel" : "");
}

/* Zero points j < n (count 1: the one value for all) into out; 0 when absent. */
static void zp_fill(const onnxbn_tensor *z, int64_t count, int32_t *out, int64_t n)
{
    for (int64_t j = 0; j < n; j++)
        out[j] = z ? onnxbn_q_at(z, count == 1 ? 0 : j) : 0;
}

/* ---------------------------------------------------------------- convolutions */

typedef struct qconv_cfg {
    bool qlinear;            /* QLinearConv (else ConvInteger) */
    int ix, iw, ixz, iwz;    /* input positions of x, w and their zero points */
    int nsp;
    int64_t N, C, M, group, Cg, Mg;
    onnxbn_conv_geom geom;
    size_t ksize, K, out_sz, rows, L, chunk_rows;
    onnxbn_qparam xq, wq, yq; /* QLinearConv */
    int64_t xz_count, wz_count;
    onnxbn_qgemm_impl impl;
    /* scratch layout (bytes from its start) */
    size_t s_col, s_pb, s_bsum, s_acc, s_pa, s_asum, s_za, s_mult, s_end;
    size_t slot, slots; /* bytes of one thread's chunk parts (col ... acc), and how many */
} qconv_cfg;

typedef struct qconv_state {
    void *pa;      /* packed W, one block per group (NULL: W is not constant, packed per run) */
    int32_t *asum; /* M row sums */
    onnxbn_qgemm_impl impl;
} qconv_state;

static onnxbn_status get_axes(const onnxbn_kctx *c, const char *name, size_t want, int64_t def,
                              int64_t lo, int64_t *out, bool *present)
{
    const int64_t *v;
    size_t n;
    onnxbn_status st = onnxbn_attr_ints(c, name, &v, &n);
    if (st)
        return st;
    if (present)
        *present = v && n;
    if (!v || !n) {
        for (size_t i = 0; i < want; i++)
            out[i] = def;
        return ONNXBN_OK;
    }
    if (n != want)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' has %zu values, expected %zu",
                                name, n, want);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' value %zu is %lld, expected %lld to %lld",
                                    name, i, (long long)v[i], (long long)lo, (long long)BIG);
        out[i] = v[i];
    }
    return ONNXBN_OK;
}

/* The scratch layout: the offset of a part of a·b bytes placed at *o (64-byte aligned), *o moved
 * past it; *ok cleared on overflow (adversarial shapes), so the layout is never wrapped. */
static size_t lay(size_t *o, size_t a, size_t b, bool *ok)
{
    size_t n, at = *o;
    if (!onnxbn_mul_size(a, b, &n) || !onnxbn_add_size(at, n, &n) || !onnxbn_add_size(n, 63, &n))
        *ok = false;
    *o = n & ~(size_t)63;
    return at;
}

static onnxbn_status qconv_cfg_get(const onnxbn_kctx *c, bool qlinear, qconv_cfg *g)
{
    memset(g, 0, sizeof *g);
    g->qlinear = qlinear;
    g->ix = 0;
    g->iw = qlinear ? 3 : 1;
    g->ixz = 2;
    g->iwz = qlinear ? 5 : 3;
    const onnxbn_tensor *x = onnxbn_in(c, g->ix), *w = onnxbn_in(c, g->iw);
    char sx[ONNXBN_SHAPE_STR_MAX], sw[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, g->ix, "x", Q8)) ||
        (st = onnxbn_check_input_type(c, g->iw, "w", Q8)))
        return st;
    if (x->rank < 3 || x->rank > 2 + ONNXBN_CONV_MAX_SP || w->rank != x->rank)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'x' ('%.100s') %s and 'w' ('%.100s') %s: expected N x C x D1 ... Dn and M x C/group x k1 ... kn, 1 to %d spatial axes",
                                in_name(c, g->ix), onnxbn_shape_str(x, sx, sizeof sx),
                                in_name(c, g->iw), onnxbn_shape_str(w, sw, sizeof sw), ONNXBN_CONV_MAX_SP);
    for (int d = 0; d < x->rank; d++)
        if (x->dims[d] > BIG || w->dims[d] > BIG)
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "a dimension of 'x' or 'w' is over %lld", (long long)BIG);
    g->nsp = x->rank - 2;
    g->N = x->dims[0];
    g->C = x->dims[1];
    g->M = w->dims[0];
    if ((st = onnxbn_attr_int(c, "group", 1, &g->group)))
        return st;
    if (g->group < 1 || g->group > BIG || w->dims[1] * g->group != g->C || g->M % g->group)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "group %lld does not fit 'x' %s and 'w' %s",
                                (long long)g->group, onnxbn_shape_str(x, sx, sizeof sx),
                                onnxbn_shape_str(w, sw, sizeof sw));
    g->Cg = g->C / g->group;
    g->Mg = g->M / g->group;
    int64_t ks[ONNXBN_CONV_MAX_SP], pads[2 * ONNXBN_CONV_MAX_SP];
    bool have_ks;
    if ((st = get_axes(c, "kernel_shape", (size_t)g->nsp, 1, 1, ks, &have_ks)) ||
        (st = get_axes(c, "strides", (size_t)g->nsp, 1, 1, g->geom.stride, NULL)) ||
        (st = get_axes(c, "dilations", (size_t)g->nsp, 1, 1, g->geom.dil, NULL)))
        return st;
    enum pad_mode mode;
    if ((st = onnxbn_get_auto_pad(c, &mode)))
        return st;
    if (mode == PAD_NOTSET && (st = get_axes(c, "pads", 2 * (size_t)g->nsp, 0, 0, pads, NULL)))
        return st;
    g->geom.nsp = g->nsp;
    g->ksize = 1;
    g->out_sz = 1;
    g->rows = 1;
    for (int d = 0; d < g->nsp; d++) {
        const int64_t k = w->dims[2 + d], in = x->dims[2 + d], s = g->geom.stride[d];
        if (k < 1 || (have_ks && ks[d] != k))
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'w' ('%.100s') %s: kernel extent %lld on spatial axis %d%s",
                                    in_name(c, g->iw), onnxbn_shape_str(w, sw, sizeof sw),
                                    (long long)k, d, have_ks ? ", against attribute 'kernel_shape'" : "");
        const int64_t dk = (k - 1) * g->geom.dil[d] + 1;
        int64_t pb = 0, pe = 0, out;
        if (mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + dk - in;
            total = total < 0 ? 0 : total;
            pb = mode == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        } else {
            if (mode == PAD_NOTSET) {
                pb = pads[d];
                pe = pads[g->nsp + d];
            }
            if (in + pb + pe < dk)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "spatial axis %d: the kernel spans %lld, more than the padded input %lld",
                                        d, (long long)dk, (long long)(in + pb + pe));
            out = (in + pb + pe - dk) / s + 1;
        }
        g->geom.k[d] = k;
        g->geom.img[d] = in;
        g->geom.grid[d] = out;
        g->geom.pad[d] = pb;
        if (!onnxbn_mul_size(g->ksize, (size_t)k, &g->ksize) ||
            !onnxbn_mul_size(g->out_sz, (size_t)out, &g->out_sz))
            return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the kernel or output size overflows");
        if (d < g->nsp - 1)
            g->rows *= (size_t)out;
    }
    g->L = (size_t)g->geom.grid[g->nsp - 1];
    if (!onnxbn_mul_size((size_t)g->Cg, g->ksize, &g->K) || g->K > (size_t)BIG)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "C/group x kernel size overflows");
    /* zero points and scales */
    const onnxbn_dtype xt = x->dtype, wt = w->dtype;
    if (qlinear) {
        const onnxbn_tensor *y0 = onnxbn_in(c, 7), *b = onnxbn_in(c, 8);
        if ((st = onnxbn_qparam_check(c, 1, 2, xt, 0, "x", &g->xq)) ||
            (st = onnxbn_qparam_check(c, 4, 5, wt, g->M, "w", &g->wq)))
            return st;
        if (!y0 || !onnxbn_q_type(y0->dtype, false))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 7 ('%.100s'), 'y_zero_point', is %s; expected int8 or uint8",
                                    in_name(c, 7), y0 ? onnxbn_dtype_name(y0->dtype) : "missing");
        if ((st = onnxbn_qparam_check(c, 6, 7, y0->dtype, 0, "y", &g->yq)))
            return st;
        if (!onnxbn_in(c, 2) || !onnxbn_in(c, 5))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "the zero points of 'x' and 'w' are required inputs");
        if (b && (b->dtype != ONNXBN_INT32 || b->rank != 1 || b->dims[0] != g->M))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 8 ('%.100s'), 'B', is %s %s, expected int32 [%lld]",
                                    in_name(c, 8), onnxbn_dtype_name(b->dtype),
                                    onnxbn_shape_str(b, sx, sizeof sx), (long long)g->M);
        g->xz_count = 1;
        g->wz_count = g->wq.count;
    } else {
        if ((st = zp_only(c, 2, "x", xt, 0, &g->xz_count)) ||
            (st = zp_only(c, 3, "w", wt, g->M, &g->wz_count)))
            return st;
    }
    /* chunks of whole grid rows, about COL_BYTES of im2col */
    g->impl = onnxbn_qgemm_pick();
    size_t per_row = g->K * g->L;
    g->chunk_rows = per_row ? COL_BYTES / per_row : 1;
    g->chunk_rows = g->chunk_rows < 1 ? 1 : g->chunk_rows > g->rows ? g->rows : g->chunk_rows;
    const size_t nc = g->chunk_rows * g->L;
    size_t o = 0, mnc = 0;
    bool ok = onnxbn_mul_size((size_t)g->Mg, nc, &mnc);
    /* a chunk's parts, one set a thread (slot), then the parts all threads read */
    g->s_col = lay(&o, g->K, nc, &ok);
    g->s_pb = lay(&o, 1, onnxbn_qgemm_b_bytes(g->impl, g->K, nc), &ok);
    g->s_bsum = lay(&o, nc, 4, &ok);
    g->s_acc = lay(&o, mnc, 4, &ok);
    g->slot = o;
    g->slots = c->threads > 1 ? (size_t)c->threads : 1;
    if (!onnxbn_mul_size(g->slot, g->slots, &o))
        ok = false;
    g->s_pa = lay(&o, (size_t)g->group, onnxbn_qgemm_a_bytes(g->impl, (size_t)g->Mg, g->K), &ok);
    g->s_asum = lay(&o, (size_t)g->M, 4, &ok);
    g->s_za = lay(&o, (size_t)g->M, 4, &ok);
    g->s_mult = lay(&o, (size_t)g->M, 4, &ok);
    g->s_end = o;
    if (!ok)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status qconv_infer_common(onnxbn_kctx *c, bool qlinear)
{
    qconv_cfg g;
    onnxbn_status st = qconv_cfg_get(c, qlinear, &g);
    if (st)
        return st;
    int64_t dims[ONNXBN_MAX_RANK];
    dims[0] = g.N;
    dims[1] = g.M;
    for (int d = 0; d < g.nsp; d++)
        dims[2 + d] = g.geom.grid[d];
    onnxbn_dtype yt = qlinear ? onnxbn_in(c, 7)->dtype : ONNXBN_INT32;
    c->workspace = g.s_end + 64;
    return onnxbn_mv_set_out(c, 0, yt, 2 + g.nsp, dims);
}

static onnxbn_status qconv_infer(onnxbn_kctx *c) { return qconv_infer_common(c, true); }
static onnxbn_status convint_infer(onnxbn_kctx *c) { return qconv_infer_common(c, false); }

static void qconv_free_state(void *p)
{
    qconv_state *s = p;
    if (s) {
        onnxbn_free(s->pa);
        free(s->asum);
        free(s);
    }
}

/* Packs every group's rows of W (M x K, row-major) into pa, sums into asum. */
static void pack_w(const qconv_cfg *g, const onnxbn_tensor *w, void *pa, int32_t *asum)
{
    const size_t gb = onnxbn_qgemm_a_bytes(g->impl, (size_t)g->Mg, g->K);
    for (int64_t gr = 0; gr < g->group; gr++)
        onnxbn_qgemm_pack_a(g->impl, (size_t)g->Mg, g->K,
                            (const uint8_t *)w->data + (size_t)(gr * g->Mg) * g->K, g->K,
                            w->dtype == ONNXBN_INT8, (uint8_t *)pa + (size_t)gr * gb,
                            asum + gr * g->Mg);
}

static onnxbn_status qconv_prepare_common(onnxbn_kctx *c, bool qlinear)
{
    qconv_cfg g;
    onnxbn_status st = qconv_cfg_get(c, qlinear, &g);
    if (st)
        return st;
    const onnxbn_tensor *w = onnxbn_in(c, g.iw);
    if (!w->data)
        return ONNXBN_OK; /* packed per run */
    qconv_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "no memory for the packed weights");
    s->impl = g.impl;
    s->pa = onnxbn_alloc((size_t)g.group * onnxbn_qgemm_a_bytes(g.impl, (size_t)g.Mg, g.K));
    s->asum = malloc((size_t)g.M * sizeof *s->asum + 1);
    if (!s->pa || !s->asum) {
        qconv_free_state(s);
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "no memory for the packed weights");
    }
    pack_w(&g, w, s->pa, s->asum);
    c->state = s;
    return ONNXBN_OK;
}

static onnxbn_status qconv_prepare(onnxbn_kctx *c) { return qconv_prepare_common(c, true); }
static onnxbn_status convint_prepare(onnxbn_kctx *c) { return qconv_prepare_common(c, false); }

/* One run's work, split into tasks of one chunk of output rows of one image and group. */
typedef struct qconv_job {
    const qconv_cfg *g;
    bool qlinear;
    const onnxbn_tensor *x, *w, *b;
    onnxbn_tensor *y;
    uint8_t *sc;
    const void *pa;
    const int32_t *asum, *za;
    const float *mult;
    int32_t xz, yz;
    size_t chunks; /* chunks an image and group */
} qconv_job;

static void qconv_task(void *arg, size_t t, int thread)
{
    const qconv_job *j = arg;
    const qconv_cfg *g = j->g;
    const size_t r0 = (t % j->chunks) * g->chunk_rows;
    const int64_t gr = (int64_t)(t / j->chunks % (size_t)g->group);
    const int64_t n = (int64_t)(t / j->chunks / (size_t)g->group);
    uint8_t *sl = j->sc + (size_t)thread * g->slot;
    uint8_t *col = sl + g->s_col, *pb = sl + g->s_pb;
    int32_t *bsum = (int32_t *)(void *)(sl + g->s_bsum), *acc = (int32_t *)(void *)(sl + g->s_acc);
    const size_t isz = (size_t)(j->x->numel / (g->N ? g->N : 1) / (g->C ? g->C : 1));
    const int xs8 = j->x->dtype == ONNXBN_INT8, ws8 = j->w->dtype == ONNXBN_INT8;
    const uint8_t *img = (const uint8_t *)j->x->data + (size_t)(n * g->C + gr * g->Cg) * isz;
    const onnxbn_qgemm_zp zp = {j->za + (g->wz_count == 1 ? 0 : gr * g->Mg), &j->xz,
                                g->wz_count == 1 ? 0 : 1, 0, ws8, xs8};
    const size_t nr = g->rows - r0 < g->chunk_rows ? g->rows - r0 : g->chunk_rows;
    const size_t nc = nr * g->L;
    onnxbn_im2col_u8(&g->geom, (size_t)g->Cg, img, r0, nr, (uint8_t)j->xz, col);
    onnxbn_qgemm_pack_b(g->impl, g->K, nc, col, nc, xs8, pb, bsum);
    const size_t yoff = (size_t)(n * g->M + gr * g->Mg) * g->out_sz + r0 * g->L;
    const void *pag = (const uint8_t *)j->pa +
                      (size_t)gr * onnxbn_qgemm_a_bytes(g->impl, (size_t)g->Mg, g->K);
    const int32_t *asg = j->asum + gr * g->Mg;
    if (!j->qlinear) {
        onnxbn_qgemm(g->impl, (size_t)g->Mg, nc, g->K, pag, asg, pb, bsum, &zp,
                     (int32_t *)j->y->data + yoff, g->out_sz);
        return;
    }
    onnxbn_qgemm(g->impl, (size_t)g->Mg, nc, g->K, pag, asg, pb, bsum, &zp, acc, nc);
    const int ys8 = j->y->dtype == ONNXBN_INT8;
    for (int64_t m = 0; m < g->Mg; m++) {
        const int64_t mm = gr * g->Mg + m;
        int32_t *row = acc + (size_t)m * nc;
        if (j->b) {
            const int32_t bv = ((const int32_t *)j->b->data)[mm];
            for (size_t q = 0; q < nc; q++)
                row[q] = (int32_t)((uint32_t)row[q] + (uint32_t)bv);
        }
        onnxbn_requant_row(row, nc, j->mult[mm], j->yz, ys8,
                           (uint8_t *)j->y->data + yoff + (size_t)m * g->out_sz);
    }
}

/* The tasks of one image: task t of the pool is task base + t of the job. */
typedef struct qconv_image {
    const qconv_job *j;
    size_t base;
} qconv_image;

static void qconv_task_image(void *arg, size_t t, int thread)
{
    const qconv_image *im = arg;
    qconv_task((void *)im->j, im->base + t, thread);
}

static onnxbn_status qconv_run_common(onnxbn_kctx *c, bool qlinear)
{
    qconv_cfg g;
    onnxbn_status st = qconv_cfg_get(c, qlinear, &g);
    if (st)
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, g.ix), *w = onnxbn_in(c, g.iw);
    ONNXBN_CHECK(c->scratch && c->workspace >= g.s_end, c->err);
    ONNXBN_CHECK((size_t)onnxbn_pool_threads(c->pool) <= g.slots, c->err);
    uint8_t *sc = c->scratch;
    const qconv_state *s = c->state;
    qconv_job j = {.g = &g, .qlinear = qlinear, .x = x, .w = w,
                   .b = qlinear ? onnxbn_in(c, 8) : NULL, .y = onnxbn_out(c, 0), .sc = sc};
    if (s) {
        ONNXBN_CHECK(s->impl == g.impl, c->err);
        j.pa = s->pa;
        j.asum = s->asum;
    } else {
        pack_w(&g, w, sc + g.s_pa, (int32_t *)(void *)(sc + g.s_asum));
        j.pa = sc + g.s_pa;
        j.asum = (const int32_t *)(void *)(sc + g.s_asum);
    }
    int32_t *za = (int32_t *)(void *)(sc + g.s_za);
    float *mult = (float *)(void *)(sc + g.s_mult);
    zp_fill(onnxbn_in(c, g.iwz), g.wz_count, za, g.M);
    const onnxbn_tensor *xzt = onnxbn_in(c, g.ixz);
    j.xz = xzt ? onnxbn_q_at(xzt, 0) : 0;
    if (qlinear) {
        const float xs = onnxbn_qparam_scale(c, &g.xq, 0), ys = onnxbn_qparam_scale(c, &g.yq, 0);
        j.yz = onnxbn_qparam_zp(c, &g.yq, 0);
        for (int64_t m = 0; m < g.M; m++)
            mult[m] = xs * onnxbn_qparam_scale(c, &g.wq, m) / ys;
    }
    j.za = za;
    j.mult = mult;
    j.chunks = (g.rows + g.chunk_rows - 1) / g.chunk_rows;
    const size_t per_image = j.chunks * (size_t)g.group;
    for (int64_t n = 0; n < g.N; n++) {
        /* an image at a time, so a stop request is seen between images */
        qconv_image im = {&j, (size_t)n * per_image};
        if (c->pool) {
            onnxbn_pool_run(c->pool, per_image, qconv_task_image, &im);
        } else {
            for (size_t t = 0; t < per_image; t++)
                qconv_task_image(&im, t, 0);
        }
        if (onnxbn_stopped(c->stop))
            return ONNXBN_OK;
    }
    return ONNXBN_OK;
}

static onnxbn_status qconv_run(onnxbn_kctx *c) { return qconv_run_common(c, true); }
static onnxbn_status convint_run(onnxbn_kctx *c) { return qconv_run_common(c, false); }

/* ---------------------------------------------------------------- matrix products */

typedef struct qmm_cfg {
    bool qlinear;
    int ia, ib, iaz, ibz;
    int64_t M, K, N, batch;
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];      /* the output's */
    int64_t adims[ONNXBN_MAX_RANK], bdims[ONNXBN_MAX_RANK]; /* batch dims of a and b, aligned */
    int nb;                             /* batch axes */
    onnxbn_qparam aq, bq, yq;
    int64_t az_count, bz_count;
    onnxbn_qgemm_impl impl;
    size_t s_pa, s_pb, s_asum, s_bsum, s_za, s_zb, s_acc, s_end;
} qmm_cfg;

static onnxbn_status qmm_cfg_get(const onnxbn_kctx *c, bool qlinear, qmm_cfg *g)
{
    memset(g, 0, sizeof *g);
    g->qlinear = qlinear;
    g->ia = 0;
    g->ib = qlinear ? 3 : 1;
    g->iaz = 2;
    g->ibz = qlinear ? 5 : 3;
    const onnxbn_tensor *a = onnxbn_in(c, g->ia), *b = onnxbn_in(c, g->ib);
    char sa[ONNXBN_SHAPE_STR_MAX], sb[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    if ((st = onnxbn_check_input_type(c, g->ia, "a", Q8)) ||
        (st = onnxbn_check_input_type(c, g->ib, "b", Q8)))
        return st;
    if (a->rank < 1 || b->rank < 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "inputs 'a' %s and 'b' %s: a product needs rank 1 or more",
                                onnxbn_shape_str(a, sa, sizeof sa), onnxbn_shape_str(b, sb, sizeof sb));
    g->M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    g->K = a->dims[a->rank - 1];
    g->N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    const int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (kb != g->K)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "inputs 'a' %s and 'b' %s: inner dimensions %lld and %lld differ",
                                onnxbn_shape_str(a, sa, sizeof sa), onnxbn_shape_str(b, sb, sizeof sb),
                                (long long)g->K, (long long)kb);
    const int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
    g->nb = ab > bb ? ab : bb;
    g->batch = 1;
    for (int i = 0; i < g->nb; i++) {
        const int ia = i - (g->nb - ab), ib = i - (g->nb - bb);
        g->adims[i] = ia >= 0 ? a->dims[ia] : 1;
        g->bdims[i] = ib >= 0 ? b->dims[ib] : 1;
        if (g->adims[i] != g->bdims[i] && g->adims[i] != 1 && g->bdims[i] != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "inputs 'a' %s and 'b' %s: batch axes do not broadcast",
                                    onnxbn_shape_str(a, sa, sizeof sa), onnxbn_shape_str(b, sb, sizeof sb));
        g->dims[i] = g->adims[i] == 1 ? g->bdims[i] : g->adims[i];
        g->batch *= g->dims[i];
    }
    g->rank = g->nb;
    if (a->rank > 1)
        g->dims[g->rank++] = g->M;
    if (b->rank > 1)
        g->dims[g->rank++] = g->N;
    if (g->M > BIG || g->K > BIG || g->N > BIG)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "a matrix dimension is over %lld", (long long)BIG);
    if (qlinear) {
        const onnxbn_tensor *y0 = onnxbn_in(c, 7);
        if ((st = onnxbn_qparam_check(c, 1, 2, a->dtype, g->M, "a", &g->aq)) ||
            (st = onnxbn_qparam_check(c, 4, 5, b->dtype, g->N, "b", &g->bq)))
            return st;
        if (!y0 || !onnxbn_q_type(y0->dtype, false))
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 7 ('%.100s'), 'y_zero_point', is %s; expected int8 or uint8",
                                    in_name(c, 7), y0 ? onnxbn_dtype_name(y0->dtype) : "missing");
        if ((st = onnxbn_qparam_check(c, 6, 7, y0->dtype, g->M, "y", &g->yq)))
            return st;
        if (!onnxbn_in(c, 2) || !onnxbn_in(c, 5))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "the zero points of 'a' and 'b' are required inputs");
        g->az_count = g->aq.count;
        g->bz_count = g->bq.count;
    } else if ((st = zp_only(c, 2, "a", a->dtype, g->M, &g->az_count)) ||
               (st = zp_only(c, 3, "b", b->dtype, g->N, &g->bz_count))) {
        return st;
    }
    g->impl = onnxbn_qgemm_pick();
    const size_t M = (size_t)g->M, N = (size_t)g->N, K = (size_t)g->K;
    size_t o = 0, mn = 0;
    bool ok = onnxbn_mul_size(M, N, &mn);
    g->s_pa = lay(&o, 1, onnxbn_qgemm_a_bytes(g->impl, M, K), &ok);
    g->s_pb = lay(&o, 1, onnxbn_qgemm_b_bytes(g->impl, K, N), &ok);
    g->s_asum = lay(&o, M, 4, &ok);
    g->s_bsum = lay(&o, N, 4, &ok);
    g->s_za = lay(&o, M, 4, &ok);
    g->s_zb = lay(&o, N, 4, &ok);
    g->s_acc = lay(&o, qlinear ? mn : 0, 4, &ok);
    g->s_end = o;
    if (!ok)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "the scratch size overflows");
    return ONNXBN_OK;
}

static onnxbn_status qmm_infer_common(onnxbn_kctx *c, bool qlinear)
{
    qmm_cfg g;
    onnxbn_status st = qmm_cfg_get(c, qlinear, &g);
    if (st)
        return st;
    c->workspace = g.s_end + 64;
    return onnxbn_mv_set_out(c, 0, qlinear ? onnxbn_in(c, 7)->dtype : ONNXBN_INT32, g.rank, g.dims);
}

static onnxbn_status qmm_infer(onnxbn_kctx *c) { return qmm_infer_common(c, true); }
static onnxbn_status mmint_infer(onnxbn_kctx *c) { return qmm_infer_common(c, false); }

static onnxbn_status qmm_run_common(onnxbn_kctx *c, bool qlinear)
{
    qmm_cfg g;
    onnxbn_status st = qmm_cfg_get(c, qlinear, &g);
    if (st)
        return st;
    const onnxbn_tensor *a = onnxbn_in(c, g.ia), *b = onnxbn_in(c, g.ib);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(c->scratch && c->workspace >= g.s_end, c->err);
    uint8_t *sc = c->scratch;
    const size_t M = (size_t)g.M, N = (size_t)g.N, K = (size_t)g.K;
    int32_t *asum = (int32_t *)(void *)(sc + g.s_asum), *bsum = (int32_t *)(void *)(sc + g.s_bsum);
    int32_t *za = (int32_t *)(void *)(sc + g.s_za), *zb = (int32_t *)(void *)(sc + g.s_zb);
    int32_t *acc = (int32_t *)(void *)(sc + g.s_acc);
    zp_fill(onnxbn_in(c, g.iaz), g.az_count, za, g.az_count == 1 ? 1 : g.M);
    zp_fill(onnxbn_in(c, g.ibz), g.bz_count, zb, g.bz_count == 1 ? 1 : g.N);
    const onnxbn_qgemm_zp zp = {za, zb, g.az_count == 1 ? 0 : 1, g.bz_count == 1 ? 0 : 1,
                                a->dtype == ONNXBN_INT8, b->dtype == ONNXBN_INT8};
    const int ys8 = y->dtype == ONNXBN_INT8;
    for (int64_t t = 0; t < g.batch; t++) {
        /* the batch index of a and b under broadcasting */
        int64_t rem = t, ai = 0, bi = 0, as = 1, bs = 1;
        for (int d = g.nb - 1; d >= 0; d--) {
            const int64_t i = rem % g.dims[d];
            rem /= g.dims[d];
            ai += (g.adims[d] == 1 ? 0 : i) * as;
            bi += (g.bdims[d] == 1 ? 0 : i) * bs;
            as *= g.adims[d];
            bs *= g.bdims[d];
        }
        const uint8_t *ap = (const uint8_t *)a->data + (size_t)ai * M * K;
        const uint8_t *bp = (const uint8_t *)b->data + (size_t)bi * K * N;
        onnxbn_qgemm_pack_a(g.impl, M, K, ap, K, a->dtype == ONNXBN_INT8, sc + g.s_pa, asum);
        onnxbn_qgemm_pack_b(g.impl, K, N, bp, N, b->dtype == ONNXBN_INT8, sc + g.s_pb, bsum);
        if (!qlinear) {
            onnxbn_qgemm(g.impl, M, N, K, sc + g.s_pa, asum, sc + g.s_pb, bsum, &zp,
                         (int32_t *)y->data + (size_t)t * M * N, N);
            continue;
        }
        onnxbn_qgemm(g.impl, M, N, K, sc + g.s_pa, asum, sc + g.s_pb, bsum, &zp, acc, N);
        uint8_t *yb = (uint8_t *)y->data + (size_t)t * M * N;
        for (size_t m = 0; m < M; m++) {
            const float am = onnxbn_qparam_scale(c, &g.aq, (int64_t)m);
            const float ysc = onnxbn_qparam_scale(c, &g.yq, (int64_t)m);
            const int32_t yz = onnxbn_qparam_zp(c, &g.yq, (int64_t)m);
            if (g.bq.count == 1) {
                onnxbn_requant_row(acc + m * N, N, am * onnxbn_qparam_scale(c, &g.bq, 0) / ysc,
                                   yz, ys8, yb + m * N);
            } else {
                for (size_t n = 0; n < N; n++)
                    onnxbn_requant_row(acc + m * N + n, 1,
                                       am * onnxbn_qparam_scale(c, &g.bq, (int64_t)n) / ysc, yz,
                                       ys8, yb + m * N + n);
            }
        }
    }
    return ONNXBN_OK;
}

static onnxbn_status qmm_run(onnxbn_kctx *c) { return qmm_run_common(c, true); }
static onnxbn_status mmint_run(onnxbn_kctx *c) { return qmm_run_common(c, false); }

const onnxbn_op_def onnxbn_op_qlinearconv = {
    .attrs = qconv_attrs,
    .infer = qconv_infer,
    .prepare = qconv_prepare,
    .run = qconv_run,
    .free_state = qconv_free_state,
};

const onnxbn_op_def onnxbn_op_convinteger = {
    .attrs = qconv_attrs,
    .infer = convint_infer,
    .prepare = convint_prepare,
    .run = convint_run,
    .free_state = qconv_free_state,
};

const onnxbn_op_def onnxbn_op_qlinearmatmul = {
    .infer = qmm_infer,
    .run = qmm_run,
};

const onnxbn_op_def onnxbn_op_matmulinteger = {
    .infer = mmint_infer,
    .run = mmint_run,
};
