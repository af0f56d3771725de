/* SPDX-License-Identifier: Apache-2.0 */
/* loop.c — Loop (1, 11, 13, 16) and Scan (8, 9, 11, 16): run the node's `body` subgraph once per
 * iteration (runtime/subgraph.c), carrying state values from one iteration to the next. */
#include <string.h>

#include "shapeops.h"

/* Both are DYNAMIC with every input deciding: Loop's outputs are as long as its iterations, and
 * both take their per-iteration shapes from the body, so infer runs the whole loop (with every
 * input's data, at the run or when folding constants) into buffers kept with the body across
 * runs, and run() copies them into the node's outputs. The buffers grow (doubling) when a run
 * needs more than those before it and are never given back, so steady runs allocate nothing;
 * the body's own plan is made once per input shape (its formal inputs are not plan keys). */

/* A node's loop buffers: one tensor over `cap` bytes per slot. Loop: iteration number,
 * condition, two sets of N carried values, K scan outputs. Scan: two sets of N states, M scan
 * slices, N final states, K scan outputs. The carried values (states) ping-pong between their
 * two sets: one is bound to the body's inputs while the body's outputs are copied into the other,
 * since a body output may be a view of any body input (an Identity swapping two carried values)
 * and the body's arena is rewritten by its next run. */
typedef struct slot {
    onnxbn_tensor t; /* data owned here (onnxbn_alloc), `cap` bytes */
    size_t cap;
} slot;

typedef struct keep {
    int n;
    slot *s;
    int a_at, a_n, b_at; /* the node's output i is slot a_at + i below a_n, else b_at + i - a_n */
    size_t bytes;  /* sum of the caps, held under KEEP_MAX */
    bool fresh;    /* infer filled the slots for this run: run() takes them */
} keep;

/* What one node may hold in its loop buffers: a bad file cannot make a loop allocate without
 * bound (a Loop of 10^12 iterations with a scan output). */
#define KEEP_MAX ONNXBN_DEFAULT_MAX_MEMORY

static void keep_free(void *p)
{
    keep *k = p;
    if (!k)
        return;
    for (int i = 0; i < k->n; i++)
        onnxbn_free(k->s[i].t.data);
    free(k->s);
    free(k);
}

static onnxbn_status keep_get(onnxbn_kctx *c, int n, keep **out)
{
    void **slot_p = onnxbn_sub_keep(c, "body", keep_free);
    if (!slot_p)
        return onnxbn_node_fail(c, ONNXBN_ERR_INTERNAL, "subgraph 'body' is not open");
    keep *k = *slot_p;
    if (k && k->n != n) {
        keep_free(k);
        *slot_p = k = NULL;
    }
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k || !(k->s = calloc((size_t)n + 1, sizeof *k->s))) {
            free(k);
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
        }
        k->n = n;
        *slot_p = k;
    }
    *out = k;
    return ONNXBN_OK;
}

/* Makes slot s hold at least `need` bytes, growing its buffer to at least twice what it had
 * when it must grow; the first `keep_bytes` bytes are kept. s->t's shape is the caller's. */
static onnxbn_status grow(onnxbn_kctx *c, keep *k, slot *s, size_t need, size_t keep_bytes)
{
    if (need <= s->cap)
        return ONNXBN_OK;
    size_t cap = s->cap * 2 > need ? s->cap * 2 : need;
    if (cap < 64)
        cap = 64;
    if (need > KEEP_MAX || k->bytes - s->cap + cap > KEEP_MAX)
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT,
                                "its loop values would need more than %llu bytes",
                                (unsigned long long)KEEP_MAX);
    void *p = onnxbn_alloc(cap);
    if (!p)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    if (keep_bytes && s->t.data)
        memcpy(p, s->t.data, keep_bytes < s->t.nbytes ? keep_bytes : s->t.nbytes);
    onnxbn_free(s->t.data);
    k->bytes = k->bytes - s->cap + cap;
    s->cap = cap;
    s->t.data = p;
    return ONNXBN_OK;
}

/* Gives slot s the tensor shape (dtype, rank, dims), growing it as grow() does. */
static onnxbn_status fit(onnxbn_kctx *c, keep *k, slot *s, onnxbn_dtype dt, int rank,
                         const int64_t *dims, size_t keep_bytes)
{
    onnxbn_tensor t = {0};
    if (onnxbn_dtype_size(dt) == 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "a loop value of type %s",
                                onnxbn_dtype_name(dt));
    onnxbn_status st = onnxbn_tensor_set_shape(&t, dt, rank, dims, c->err);
    if (st || (st = grow(c, k, s, t.nbytes, keep_bytes)))
        return st;
    void *data = s->t.data;
    s->t = t;
    s->t.data = data;
    s->t.owns = false;
    return ONNXBN_OK;
}

/* Slot s becomes a copy of `from`, of any kind: a sequence is sized by its whole block (headers
 * and elements), which changes as a carried sequence grows, and copied with its headers moved
 * (onnxbn_value_copy); an empty optional takes no bytes. */
static onnxbn_status fit_copy(onnxbn_kctx *c, keep *k, slot *s, const onnxbn_tensor *from)
{
    onnxbn_status st;
    if (from->kind == ONNXBN_KIND_TENSOR)
        st = fit(c, k, s, from->dtype, from->rank, from->dims, 0);
    else if (!(st = grow(c, k, s, from->nbytes, 0))) {
        void *data = s->t.data;
        st = onnxbn_value_shape_like(&s->t, from, c->err);
        s->t.data = data;
        s->t.owns = false;
    }
    if (!st)
        onnxbn_value_copy(&s->t, from);
    return st;
}

/* The shape a body input is declared with decides between a scalar and [1] for the iteration
 * number and condition (the spec says scalar; some exporters declare [1]). */
static int decl_rank(const onnxbn_kctx *c, int i)
{
    onnxbn_value_info vi;
    return onnxbn_sub_decl(c, "body", false, i, &vi) && vi.rank == 1 ? 1 : 0;
}

static onnxbn_status stop_check(onnxbn_kctx *c)
{
    onnxbn_status st = onnxbn_stop_reason(c->stop);
    return st ? onnxbn_node_fail(c, st, "stopped after %s", st == ONNXBN_ERR_TIMEOUT
                                                             ? "its deadline" : "a cancel request")
              : ONNXBN_OK;
}

static bool same_shape(const onnxbn_tensor *a, int rank, const int64_t *dims)
{
    return a->rank == rank && !memcmp(a->dims, dims, (size_t)rank * sizeof *dims);
}

/* Whether a body output may follow a carried value: the same kind and element type, or an
 * empty optional on either side (an optional carried value may be empty at one iteration and
 * hold a value at the next, as test_loop16_seq_none's does), or an unknown element type. */
static bool same_kind(const onnxbn_tensor *y, const onnxbn_tensor *was)
{
    if (y->kind == ONNXBN_KIND_NONE || was->kind == ONNXBN_KIND_NONE)
        return true;
    /* an empty sequence read from a file may not say its element type (test_loop13_seq's) */
    return y->kind == was->kind && (y->dtype == was->dtype || y->dtype == ONNXBN_UNDEFINED ||
                                    was->dtype == ONNXBN_UNDEFINED);
}

/* Body outputs, by number, checked present. */
static onnxbn_status body_out(onnxbn_kctx *c, int i, const onnxbn_tensor **y)
{
    *y = onnxbn_sub_output(c, "body", i);
    return *y ? ONNXBN_OK
              : onnxbn_node_fail(c, ONNXBN_ERR_INTERNAL, "subgraph 'body' gave no output %d", i);
}

/* A scan output's type and shape when the body never ran: as the body declares it. */
static onnxbn_status empty_scan(onnxbn_kctx *c, keep *k, slot *s, int body_i, int axis_pos,
                                int64_t lead)
{
    onnxbn_value_info vi;
    int64_t dims[ONNXBN_MAX_RANK] = {0};
    int rank = 1;
    onnxbn_dtype dt = ONNXBN_FLOAT;
    if (onnxbn_sub_decl(c, "body", true, body_i, &vi)) {
        if (vi.dtype != ONNXBN_UNDEFINED)
            dt = vi.dtype;
        bool known = vi.rank >= 0 && vi.rank + 1 + (lead > 0) <= ONNXBN_MAX_RANK;
        for (int d = 0; known && d < vi.rank; d++)
            known = vi.dims[d] >= 0;
        if (known) {
            int r = 0;
            if (lead > 0)
                dims[r++] = lead;
            int ax = axis_pos < 0 ? axis_pos + vi.rank + 1 : axis_pos;
            for (int d = 0; d <= vi.rank; d++)
                dims[r++] = d == ax ? 0 : vi.dims[d < ax ? d : d - 1];
            rank = r;
            return fit(c, k, s, dt, rank, dims, 0);
        }
    }
    if (lead > 0) {
        dims[0] = lead;
        rank = 2;
    }
    return fit(c, k, s, dt, rank, dims, 0);
}

/* ---- Loop ---- */

static const onnxbn_attr_spec loop_attrs[] = {
    {"body", ONNXBN_ATTR_GRAPH, true, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status scalar_in(const onnxbn_kctx *c, int i, onnxbn_dtype dt, const char *what)
{
    const onnxbn_tensor *t = c->in[i];
    if (t->kind != ONNXBN_KIND_TENSOR)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "%s '%.100s' is %s, expected a tensor", what,
                                mv_in_name(c, i), onnxbn_kind_name(t->kind));
    if (t->dtype != dt)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "%s '%.100s' is %s, expected %s", what,
                                mv_in_name(c, i), onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(dt));
    if (t->numel != 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "%s '%.100s' has %lld elements, expected one",
                                what, mv_in_name(c, i), (long long)t->numel);
    if (!t->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "output shape depends on input values: '%.100s' is not known "
                                "before the run", mv_in_name(c, i));
    return ONNXBN_OK;
}

/* The whole loop into the node's kept slots: 0 iteration number, 1 condition, 2.. carried,
 * then the scan outputs stacked. */
static onnxbn_status loop_exec(onnxbn_kctx *c, keep **kp)
{
    const int n_args = onnxbn_node_arg_count(c->node);
    const int n_carried = n_args - 2 > 0 ? n_args - 2 : 0;
    const int body_in = onnxbn_sub_arg_count(c, "body");
    const int n_body_out = onnxbn_sub_output_count(c, "body");
    if (body_in != 2 + n_carried)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "subgraph 'body' has %d inputs, expected %d (iteration number, "
                                "condition and %d carried values)", body_in, 2 + n_carried, n_carried);
    const int n_scan = n_body_out - 1 - n_carried;
    if (n_scan < 0 || c->n_out > n_carried + n_scan)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "subgraph 'body' has %d outputs, the node %d carried values and %d "
                                "outputs (the body gives the condition, the carried values, then "
                                "the scan outputs)", n_body_out, n_carried, c->n_out);
    const onnxbn_tensor *m_in = n_args > 0 ? c->in[0] : NULL;
    const onnxbn_tensor *cond_in = n_args > 1 ? c->in[1] : NULL;
    onnxbn_status st;
    int64_t trip = -1; /* none */
    bool cond = true;
    if (m_in) {
        if ((st = scalar_in(c, 0, ONNXBN_INT64, "trip count")))
            return st;
        trip = *(const int64_t *)m_in->data;
        if (trip < 0)
            trip = 0;
    }
    if (cond_in) {
        if ((st = scalar_in(c, 1, ONNXBN_BOOL, "condition")))
            return st;
        cond = *(const uint8_t *)cond_in->data != 0;
    }
    for (int j = 0; j < n_carried; j++)
        if (!c->in[2 + j])
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "carried value %d has no initial value", j);
    keep *k;
    if ((st = keep_get(c, 2 + 2 * n_carried + n_scan, &k)))
        return st;
    *kp = k;
    k->fresh = false;
    const int64_t one = 1;
    slot *it = &k->s[0], *cd = &k->s[1], *cv = k->s + 2, *nx = k->s + 2 + n_carried,
         *sc = k->s + 2 + 2 * n_carried;
    if ((st = fit(c, k, it, ONNXBN_INT64, decl_rank(c, 0), &one, 0)) ||
        (st = fit(c, k, cd, ONNXBN_BOOL, decl_rank(c, 1), &one, 0)))
        return st;
    for (int j = 0; j < n_carried; j++)
        if ((st = fit_copy(c, k, &cv[j], c->in[2 + j])))
            return st;
    const onnxbn_tensor *args[ONNXBN_MAX_RANK]; /* small loops on the stack, else in the slots */
    const onnxbn_tensor **argv = args;
    if (2 + n_carried > ONNXBN_MAX_RANK && !(argv = calloc((size_t)(2 + n_carried), sizeof *argv)))
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    argv[0] = &it->t;
    argv[1] = &cd->t;
    for (int j = 0; j < n_carried; j++)
        argv[2 + j] = &cv[j].t;
    int64_t i = 0;
    for (; (trip < 0 || i < trip) && cond; i++) {
        if ((st = stop_check(c)))
            break;
        *(int64_t *)it->t.data = i;
        *(uint8_t *)cd->t.data = cond;
        int n = 0;
        if ((st = onnxbn_sub_run_args(c, "body", 2 + n_carried, argv, &n)))
            break;
        const onnxbn_tensor *y;
        if ((st = body_out(c, 0, &y)))
            break;
        if (y->kind != ONNXBN_KIND_TENSOR || y->dtype != ONNXBN_BOOL || y->numel != 1) {
            st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                  "subgraph 'body' output 0 (the condition) is %s of %s of %lld "
                                  "elements, expected one bool", onnxbn_kind_name(y->kind),
                                  onnxbn_dtype_name(y->dtype), (long long)y->numel);
            break;
        }
        cond = *(const uint8_t *)y->data != 0;
        for (int j = 0; j < n_carried && !st; j++) {
            if ((st = body_out(c, 1 + j, &y)))
                break;
            if (!same_kind(y, &cv[j].t)) {
                const bool kinds = y->kind != cv[j].t.kind; /* else the element types differ */
                st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                      "subgraph 'body' output %d is %s, carried value %d ('%.100s') "
                                      "is %s", 1 + j,
                                      kinds ? onnxbn_kind_name(y->kind) : onnxbn_dtype_name(y->dtype),
                                      j, mv_in_name(c, 2 + j),
                                      kinds ? onnxbn_kind_name(cv[j].t.kind)
                                            : onnxbn_dtype_name(cv[j].t.dtype));
            } else
                st = fit_copy(c, k, &nx[j], y);
        }
        for (int s = 0; s < n_scan && !st; s++) {
            if ((st = body_out(c, 1 + n_carried + s, &y)))
                break;
            slot *o = &sc[s];
            if (y->kind != ONNXBN_KIND_TENSOR) {
                st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "scan output %d is %s, expected a tensor",
                                      s, onnxbn_kind_name(y->kind));
                break;
            }
            if (i == 0) {
                if (y->rank + 1 > ONNXBN_MAX_RANK) {
                    st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                          "scan output %d would have rank %d", s, y->rank + 1);
                    break;
                }
                int64_t dims[ONNXBN_MAX_RANK] = {1};
                memcpy(dims + 1, y->dims, (size_t)y->rank * sizeof *dims);
                st = fit(c, k, o, y->dtype, y->rank + 1, dims, 0);
            } else if (y->dtype != o->t.dtype || !same_shape(y, o->t.rank - 1, o->t.dims + 1)) {
                char a[ONNXBN_SHAPE_STR_MAX];
                st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                      "scan output %d is %s %s at iteration %lld, %s before", s,
                                      onnxbn_dtype_name(y->dtype), onnxbn_shape_str(y, a, sizeof a),
                                      (long long)i, onnxbn_dtype_name(o->t.dtype));
            } else {
                int64_t dims[ONNXBN_MAX_RANK];
                memcpy(dims, o->t.dims, (size_t)o->t.rank * sizeof *dims);
                const size_t had = o->t.nbytes;
                dims[0] = i + 1;
                st = fit(c, k, o, o->t.dtype, o->t.rank, dims, had);
            }
            if (!st && y->nbytes)
                memcpy((char *)o->t.data + (size_t)i * y->nbytes, y->data, y->nbytes);
        }
        if (st)
            break;
        slot *was = cv; /* the new values are bound next; the old set receives */
        cv = nx;
        nx = was;
        for (int j = 0; j < n_carried; j++)
            argv[2 + j] = &cv[j].t;
    }
    if (argv != args)
        free(argv);
    if (st)
        return st;
    if (i == 0)
        for (int s = 0; s < n_scan; s++)
            if ((st = empty_scan(c, k, &sc[s], 1 + n_carried + s, 0, 0)))
                return st;
    k->a_at = (int)(cv - k->s);
    k->a_n = n_carried;
    k->b_at = 2 + 2 * n_carried;
    k->fresh = true;
    return ONNXBN_OK;
}

static const onnxbn_tensor *out_slot(const keep *k, int i)
{
    return &k->s[i < k->a_n ? k->a_at + i : k->b_at + i - k->a_n].t;
}

static onnxbn_status loop_infer(onnxbn_kctx *c)
{
    keep *k = NULL;
    onnxbn_status st = loop_exec(c, &k);
    for (int i = 0; !st && i < c->n_out; i++)
        if (c->out[i]) {
            const onnxbn_tensor *t = out_slot(k, i);
            if (!(st = onnxbn_value_shape_like(c->out[i], t, c->err)))
                c->out[i]->kind = t->kind; /* a tensor's shape leaves the kind as it was */
        }
    return st;
}

/* Copies slot `from` into output i, which infer shaped from it for this run (deferred) or for the
 * plan (folded): a change since is an error, never a write past the output. */
static onnxbn_status put(onnxbn_kctx *c, int i, const onnxbn_tensor *from)
{
    onnxbn_tensor *o = c->out[i];
    if (!o)
        return ONNXBN_OK;
    if (from->kind != o->kind || from->dtype != o->dtype || from->nbytes != o->nbytes ||
        from->numel != o->numel || !same_shape(o, from->rank, from->dims))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "output %d changed shape or type since the plan", i);
    onnxbn_value_copy(o, from);
    return ONNXBN_OK;
}

static onnxbn_status loop_run(onnxbn_kctx *c)
{
    keep *k = NULL;
    void **p = onnxbn_sub_keep(c, "body", keep_free);
    onnxbn_status st = ONNXBN_OK;
    if (p && *p && ((keep *)*p)->fresh)
        k = *p;
    else if ((st = loop_exec(c, &k)))
        return st;
    k->fresh = false;
    for (int i = 0; !st && i < c->n_out; i++)
        st = put(c, i, out_slot(k, i));
    return st;
}

const onnxbn_op_def onnxbn_op_loop = {
    .attrs = loop_attrs,
    .infer = loop_infer,
    .run = loop_run,
};

/* ---- Scan ---- */

static const onnxbn_attr_spec scan_attrs[] = {
    {"body", ONNXBN_ATTR_GRAPH, true, 0, 0},
    {"num_scan_inputs", ONNXBN_ATTR_INT, true, 0, 0},
    {"directions", ONNXBN_ATTR_INTS, false, 8, 8},
    {"scan_input_axes", ONNXBN_ATTR_INTS, false, 9, 0},
    {"scan_input_directions", ONNXBN_ATTR_INTS, false, 9, 0},
    {"scan_output_axes", ONNXBN_ATTR_INTS, false, 9, 0},
    {"scan_output_directions", ONNXBN_ATTR_INTS, false, 9, 0},
    {NULL, 0, false, 0, 0},
};

/* What a Scan node is: counts, axes and directions, checked against the inputs. Scan-8 has a
 * batch axis 0 on every state and scan input (and output) and its scan axis is 1. */
typedef struct scan_shape {
    int n_state, n_in, n_out;       /* N, M, K */
    int first;                      /* index of the first state in in[] (1 for Scan-8) */
    int64_t batch;                  /* Scan-8's batch, else 1 */
    int64_t len;                    /* the scan length (Scan-8: the longest) */
    const int64_t *lens;            /* Scan-8's sequence_lens, or NULL */
    int in_axis[ONNXBN_MAX_RANK * 4], in_rev[ONNXBN_MAX_RANK * 4];
    int out_axis[ONNXBN_MAX_RANK * 4], out_rev[ONNXBN_MAX_RANK * 4];
} scan_shape;
#define SCAN_MAX_IO (ONNXBN_MAX_RANK * 4)

static onnxbn_status ints_attr(const onnxbn_kctx *c, const char *name, int n, int *out,
                               const char *what)
{
    const int64_t *v;
    size_t nv;
    onnxbn_status st = onnxbn_attr_ints(c, name, &v, &nv);
    if (st)
        return st;
    if (nv && nv != (size_t)n)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "'%s' has %zu values, expected %d (the %s)",
                                name, nv, n, what);
    for (int i = 0; i < n; i++) /* clamped: a wild value stays out of range, and an int */
        out[i] = nv ? (int)(v[i] < -1000 ? -1000 : v[i] > 1000 ? 1000 : v[i]) : 0;
    return ONNXBN_OK;
}

static onnxbn_status scan_describe(onnxbn_kctx *c, scan_shape *d)
{
    memset(d, 0, sizeof *d);
    const bool v8 = c->version < 9;
    const int n_args = onnxbn_node_arg_count(c->node);
    int64_t m;
    onnxbn_status st = onnxbn_attr_int(c, "num_scan_inputs", 0, &m);
    if (st)
        return st;
    d->first = v8 ? 1 : 0;
    const int n_vals = n_args - d->first;
    if (m < 1 || m > n_vals)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "num_scan_inputs is %lld, expected 1 to %d (the inputs after the "
                                "states)", (long long)m, n_vals);
    d->n_in = (int)m;
    d->n_state = n_vals - d->n_in;
    const int body_in = onnxbn_sub_arg_count(c, "body");
    const int n_body_out = onnxbn_sub_output_count(c, "body");
    if (body_in != d->n_state + d->n_in)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "subgraph 'body' has %d inputs, expected %d (%d states and %d scan "
                                "inputs)", body_in, d->n_state + d->n_in, d->n_state, d->n_in);
    d->n_out = n_body_out - d->n_state;
    if (d->n_out < 0 || c->n_out > n_body_out)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "subgraph 'body' has %d outputs, the node %d states and %d outputs",
                                n_body_out, d->n_state, c->n_out);
    if (d->n_in > SCAN_MAX_IO || d->n_out > SCAN_MAX_IO)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "more than %d scan inputs or outputs",
                                SCAN_MAX_IO);
    if ((st = ints_attr(c, v8 ? "directions" : "scan_input_directions", d->n_in, d->in_rev,
                        "scan inputs' directions")))
        return st;
    if (!v8 && ((st = ints_attr(c, "scan_input_axes", d->n_in, d->in_axis, "scan inputs' axes")) ||
                (st = ints_attr(c, "scan_output_axes", d->n_out, d->out_axis, "scan outputs' axes")) ||
                (st = ints_attr(c, "scan_output_directions", d->n_out, d->out_rev,
                                "scan outputs' directions"))))
        return st;
    for (int i = 0; i < d->n_in; i++)
        if (d->in_rev[i] != 0 && d->in_rev[i] != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "scan input %d's direction is %d, expected 0 or 1",
                                    i, d->in_rev[i]);
    for (int i = 0; i < d->n_out; i++)
        if (d->out_rev[i] != 0 && d->out_rev[i] != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "scan output %d's direction is %d, expected 0 or 1",
                                    i, d->out_rev[i]);
    for (int i = 0; i < n_vals; i++)
        if (!c->in[d->first + i])
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is missing", d->first + i);
    d->batch = 1;
    if (v8) {
        const onnxbn_tensor *b0 = c->in[1];
        if (b0->rank < 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%.100s' has no batch axis",
                                    mv_in_name(c, 1));
        d->batch = b0->dims[0];
        for (int i = 0; i < n_vals; i++) {
            const onnxbn_tensor *t = c->in[1 + i];
            if (t->rank < (i < d->n_state ? 1 : 2) || t->dims[0] != d->batch)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "input '%.100s' has rank %d or batch %lld, expected "
                                        "batch %lld%s", mv_in_name(c, 1 + i), t->rank,
                                        (long long)(t->rank ? t->dims[0] : 0), (long long)d->batch,
                                        i < d->n_state ? "" : " and a scan axis");
        }
        for (int i = 0; i < d->n_in; i++)
            d->in_axis[i] = 1;
    }
    for (int i = 0; i < d->n_in; i++) {
        const onnxbn_tensor *t = c->in[d->first + d->n_state + i];
        int a = d->in_axis[i];
        if (a < -t->rank || a >= t->rank)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "scan input %d ('%.100s') has axis %d, out of range for rank %d",
                                    i, mv_in_name(c, d->first + d->n_state + i), a, t->rank);
        d->in_axis[i] = a < 0 ? a + t->rank : a;
        if (i == 0)
            d->len = t->dims[d->in_axis[i]];
        else if (t->dims[d->in_axis[i]] != d->len)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "scan input %d ('%.100s') is %lld long on its scan axis, "
                                    "scan input 0 %lld", i, mv_in_name(c, d->first + d->n_state + i),
                                    (long long)t->dims[d->in_axis[i]], (long long)d->len);
    }
    if (v8 && n_args > 0 && c->in[0]) {
        const onnxbn_tensor *sl = c->in[0];
        if (sl->dtype != ONNXBN_INT64 || sl->numel != d->batch || !sl->data)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "sequence_lens '%.100s' must be %lld int64 values",
                                    mv_in_name(c, 0), (long long)d->batch);
        d->lens = sl->data;
        for (int64_t b = 0; b < d->batch; b++)
            if (d->lens[b] < 0 || d->lens[b] > d->len)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "sequence_lens[%lld] is %lld, expected 0 to %lld",
                                        (long long)b, (long long)d->lens[b], (long long)d->len);
    }
    return ONNXBN_OK;
}

/* dims without axis `ax` (and, with `skip_batch`, without axis 0 as well). */
static int drop_axis(const onnxbn_tensor *t, int ax, bool skip_batch, int64_t *dims)
{
    int r = 0;
    for (int d = skip_batch ? 1 : 0; d < t->rank; d++)
        if (d != ax)
            dims[r++] = t->dims[d];
    return r;
}

/* Slot layout: [0, N) states, [N, N+M) slices, [N+M, 2N+M) final states, then K scan outputs. */
static onnxbn_status scan_exec(onnxbn_kctx *c, keep **kp)
{
    scan_shape d;
    onnxbn_status st = scan_describe(c, &d);
    if (st)
        return st;
    const int N = d.n_state, M = d.n_in, K = d.n_out;
    const bool v8 = c->version < 9;
    keep *k;
    if ((st = keep_get(c, 3 * N + M + K, &k)))
        return st;
    *kp = k;
    k->fresh = false;
    slot *sv = k->s, *nx = k->s + N, *sl = k->s + 2 * N, *fs = k->s + 2 * N + M,
         *so = k->s + 3 * N + M;
    const onnxbn_tensor **argv = calloc((size_t)(N + M) + 1, sizeof *argv);
    if (!argv)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    int64_t dims[ONNXBN_MAX_RANK];
    /* the slices' shapes, and final states sized for the whole batch */
    for (int i = 0; i < M && !st; i++) {
        const onnxbn_tensor *x = c->in[d.first + N + i];
        int r = drop_axis(x, d.in_axis[i], v8, dims);
        st = fit(c, k, &sl[i], x->dtype, r, dims, 0);
        argv[N + i] = &sl[i].t;
    }
    for (int j = 0; j < N && !st; j++)
        st = fit_copy(c, k, &fs[j], c->in[d.first + j]);
    bool have_out = false;
    for (int64_t b = 0; b < d.batch && !st; b++) {
        const int64_t len = d.lens ? d.lens[b] : d.len;
        for (int j = 0; j < N && !st; j++) {
            const onnxbn_tensor *x = c->in[d.first + j];
            int r = drop_axis(x, -1, v8, dims);
            if (!(st = fit(c, k, &sv[j], x->dtype, r, dims, 0)) && sv[j].t.nbytes)
                memcpy(sv[j].t.data, (const char *)x->data + (size_t)b * sv[j].t.nbytes,
                       sv[j].t.nbytes);
            argv[j] = &sv[j].t;
        }
        for (int64_t t = 0; t < len && !st; t++) {
            if ((st = stop_check(c)))
                break;
            for (int i = 0; i < M; i++) { /* gather slice t (or len-1-t) of scan input i */
                const onnxbn_tensor *x = c->in[d.first + N + i];
                const int64_t at = d.in_rev[i] ? len - 1 - t : t;
                const int ax = d.in_axis[i];
                size_t inner = onnxbn_dtype_size(x->dtype), outer = 1;
                for (int e = ax + 1; e < x->rank; e++)
                    inner *= (size_t)x->dims[e];
                for (int e = v8 ? 1 : 0; e < ax; e++)
                    outer *= (size_t)x->dims[e];
                const char *src = (const char *)x->data + (size_t)b * outer * (size_t)d.len * inner;
                for (size_t o = 0; o < outer && inner; o++)
                    memcpy((char *)sl[i].t.data + o * inner,
                           src + (o * (size_t)d.len + (size_t)at) * inner, inner);
            }
            int n = 0;
            if ((st = onnxbn_sub_run_args(c, "body", N + M, argv, &n)))
                break;
            const onnxbn_tensor *y;
            for (int j = 0; j < N && !st; j++) {
                if ((st = body_out(c, j, &y)))
                    break;
                if (y->kind != ONNXBN_KIND_TENSOR || y->dtype != sv[j].t.dtype ||
                    (v8 && !same_shape(y, sv[j].t.rank, sv[j].t.dims)))
                    st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                          "subgraph 'body' output %d is %s, state %d ('%.100s') %s",
                                          j, onnxbn_dtype_name(y->dtype), j,
                                          mv_in_name(c, d.first + j),
                                          onnxbn_dtype_name(sv[j].t.dtype));
                else
                    st = fit_copy(c, k, &nx[j], y);
            }
            for (int s = 0; s < K && !st; s++) {
                if ((st = body_out(c, N + s, &y)))
                    break;
                slot *o = &so[s];
                int ax = d.out_axis[s];
                if (y->kind != ONNXBN_KIND_TENSOR) {
                    st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                          "scan output %d is %s, expected a tensor", s,
                                          onnxbn_kind_name(y->kind));
                    break;
                }
                if (!have_out) { /* the first iteration gives the per-iteration shape */
                    if (ax < -(y->rank + 1) || ax > y->rank) {
                        st = onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                              "scan output %d has axis %d, out of range for rank %d",
                                              s, ax, y->rank + 1);
                        break;
                    }
                    if (y->rank + 1 + v8 > ONNXBN_MAX_RANK) {
                        st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                              "scan output %d would have rank %d", s, y->rank + 2);
                        break;
                    }
                    d.out_axis[s] = ax = ax < 0 ? ax + y->rank + 1 : ax;
                    int r = 0;
                    if (v8)
                        dims[r++] = d.batch;
                    for (int e = 0; e <= y->rank; e++)
                        dims[r++] = e == ax ? d.len : y->dims[e < ax ? e : e - 1];
                    if (!(st = fit(c, k, o, y->dtype, r, dims, 0)) && o->t.nbytes)
                        memset(o->t.data, 0, o->t.nbytes); /* Scan-8: past a sequence's length */
                    if (st)
                        break;
                }
                const int off = v8 ? 1 : 0;
                int64_t per[ONNXBN_MAX_RANK];
                int pr = drop_axis(&o->t, off + ax, v8, per);
                if (y->dtype != o->t.dtype || !same_shape(y, pr, per)) {
                    char a[ONNXBN_SHAPE_STR_MAX];
                    st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                          "scan output %d is %s %s at step %lld, unlike step 0", s,
                                          onnxbn_dtype_name(y->dtype),
                                          onnxbn_shape_str(y, a, sizeof a), (long long)t);
                    break;
                }
                const int64_t at = d.out_rev[s] ? len - 1 - t : t;
                size_t inner = onnxbn_dtype_size(y->dtype), outer = 1;
                for (int e = ax; e < y->rank; e++)
                    inner *= (size_t)y->dims[e];
                for (int e = 0; e < ax; e++)
                    outer *= (size_t)y->dims[e];
                char *dst = (char *)o->t.data + (size_t)b * outer * (size_t)d.len * inner;
                for (size_t q = 0; q < outer && inner; q++)
                    memcpy(dst + (q * (size_t)d.len + (size_t)at) * inner,
                           (const char *)y->data + q * inner, inner);
            }
            if (st)
                break;
            slot *was = sv; /* the new states are bound next; the old set receives */
            sv = nx;
            nx = was;
            for (int j = 0; j < N; j++)
                argv[j] = &sv[j].t;
            have_out = true;
        }
        for (int j = 0; j < N && !st; j++) { /* this batch's final state */
            if (!v8) {
                st = fit_copy(c, k, &fs[j], &sv[j].t);
            } else if (sv[j].t.nbytes) {
                memcpy((char *)fs[j].t.data + (size_t)b * sv[j].t.nbytes, sv[j].t.data,
                       sv[j].t.nbytes);
            }
        }
    }
    free(argv);
    if (st)
        return st;
    if (!have_out)
        for (int s = 0; s < K; s++)
            if ((st = empty_scan(c, k, &so[s], N + s, d.out_axis[s], v8 ? d.batch : 0)))
                return st;
    k->a_at = (int)(fs - k->s);
    k->a_n = N;
    k->b_at = (int)(so - k->s);
    k->fresh = true;
    return ONNXBN_OK;
}

static onnxbn_status scan_infer(onnxbn_kctx *c)
{
    keep *k = NULL;
    onnxbn_status st = scan_exec(c, &k);
    if (st)
        return st;
    for (int i = 0; !st && i < c->n_out; i++)
        if (c->out[i]) {
            const onnxbn_tensor *t = out_slot(k, i);
            st = onnxbn_tensor_set_shape(c->out[i], t->dtype, t->rank, t->dims, c->err);
        }
    return st;
}

static onnxbn_status scan_run(onnxbn_kctx *c)
{
    keep *k = NULL;
    void **p = onnxbn_sub_keep(c, "body", keep_free);
    onnxbn_status st = ONNXBN_OK;
    if (p && *p && ((keep *)*p)->fresh)
        k = *p;
    else if ((st = scan_exec(c, &k)))
        return st;
    k->fresh = false;
    for (int i = 0; !st && i < c->n_out; i++)
        st = put(c, i, out_slot(k, i));
    return st;
}

const onnxbn_op_def onnxbn_op_scan = {
    .attrs = scan_attrs,
    .infer = scan_infer,
    .run = scan_run,
};
