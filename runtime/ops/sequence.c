/* SPDX-License-Identifier: Apache-2.0 */
/* sequence.c — the sequence operators (SequenceEmpty, Construct, Insert, At, Erase, Length,
 * SplitToSequence, ConcatFromSequence, SequenceMap) over the one-block sequences of core.h. */
#include <stdlib.h>
#include <string.h>

#include "shapeops.h"

/* ---- what the defs share ---- */

static onnxbn_status want_kind(const onnxbn_kctx *c, int i, const char *name, int kind)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    if (!t)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input '%s' is missing", name);
    if (t->kind != kind)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' ('%.100s') is %s, expected %s", name,
                                mv_in_name(c, i), onnxbn_kind_name(t->kind), onnxbn_kind_name(kind));
    return ONNXBN_OK;
}

/* A scalar int32/int64 input (position, split size) read now: these ops run deferred when it is
 * not a plan-time constant (DYNAMIC with the input as VALUE_IN), so its data is there. */
static onnxbn_status scalar_int(const onnxbn_kctx *c, int i, const char *name, int64_t *v)
{
    const onnxbn_tensor *t = onnxbn_in(c, i);
    onnxbn_status st = want_kind(c, i, name, ONNXBN_KIND_TENSOR);
    if (st)
        return st;
    if (t->dtype != ONNXBN_INT32 && t->dtype != ONNXBN_INT64)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input '%s' is %s, expected int32 or int64",
                                name, onnxbn_dtype_name(t->dtype));
    if (t->numel != 1 || t->rank > 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' has %lld elements, expected a scalar",
                                name, (long long)t->numel);
    if (!t->data)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "output shape depends on input values: '%s' is not known before the run",
                                name);
    *v = onnxbn_get_i64(t, 0);
    return ONNXBN_OK;
}

/* A position in [-n, n + extra) made non-negative (Insert takes n itself: the end). */
static onnxbn_status position(const onnxbn_kctx *c, int i, int64_t n, int extra, int64_t *pos)
{
    int64_t p = 0;
    onnxbn_status st = scalar_int(c, i, "position", &p);
    if (st)
        return st;
    if (p < -n || p >= n + extra)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG,
                                "position %lld is out of range [%lld, %lld] of a sequence of length %lld",
                                (long long)p, (long long)-n, (long long)(n + extra - 1), (long long)n);
    *pos = p < 0 ? p + n : p;
    return ONNXBN_OK;
}

/* The element list of a sequence with one element inserted at `at` (ins) or left out (skip). */
static const onnxbn_tensor **elems_of(const onnxbn_tensor *s, int64_t at, const onnxbn_tensor *ins,
                                      int64_t skip, size_t *n)
{
    const onnxbn_tensor **v = malloc(((size_t)s->numel + 2) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (int64_t i = 0; i <= s->numel; i++) {
        if (ins && i == at)
            v[k++] = ins;
        if (i < s->numel && i != skip)
            v[k++] = onnxbn_seq_item(s, i);
    }
    *n = k;
    return v;
}

/* Shape (infer) or fill (run) output 0 from the list; frees it. */
static onnxbn_status emit(onnxbn_kctx *c, onnxbn_dtype dt, const onnxbn_tensor **v, size_t n,
                          bool run)
{
    if (!v && n)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_status st = ONNXBN_OK;
    if (run)
        onnxbn_seq_fill(c->out[0], n, v);
    else
        st = onnxbn_seq_shape(c->out[0], dt, n, v, c->err);
    free(v);
    return st;
}

static onnxbn_status same_dtype(const onnxbn_kctx *c, const onnxbn_tensor *s, const onnxbn_tensor *t)
{
    if (s->dtype != ONNXBN_UNDEFINED && t->dtype != s->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "tensor is %s, the sequence holds %s",
                                onnxbn_dtype_name(t->dtype), onnxbn_dtype_name(s->dtype));
    return ONNXBN_OK;
}

/* ---- SequenceEmpty ---- */

static const onnxbn_attr_spec empty_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status empty_infer(onnxbn_kctx *c)
{
    int64_t dt;
    onnxbn_status st = onnxbn_attr_int(c, "dtype", ONNXBN_FLOAT, &dt);
    if (st)
        return st;
    if (dt <= 0 || dt > ONNXBN_BFLOAT16 || !onnxbn_dtype_size((onnxbn_dtype)dt))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "dtype %lld is not supported", (long long)dt);
    return onnxbn_seq_shape(c->out[0], (onnxbn_dtype)dt, 0, NULL, c->err);
}

static onnxbn_status nothing_run(onnxbn_kctx *c)
{
    (void)c;
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_sequence_empty = {
    .attrs = empty_attrs,
    .infer = empty_infer,
    .run = nothing_run,
};

/* ---- SequenceConstruct ---- */

static onnxbn_status construct(onnxbn_kctx *c, bool run)
{
    for (int k = 0; k < c->n_in; k++) {
        onnxbn_status st = want_kind(c, k, "inputs", ONNXBN_KIND_TENSOR);
        if (!st && c->in[k]->dtype != c->in[0]->dtype)
            st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d is %s, input 0 %s", k,
                                  onnxbn_dtype_name(c->in[k]->dtype), onnxbn_dtype_name(c->in[0]->dtype));
        if (st)
            return st;
    }
    if (run)
        onnxbn_seq_fill(c->out[0], (size_t)c->n_in, c->in);
    return run ? ONNXBN_OK : onnxbn_seq_shape(c->out[0], c->in[0]->dtype, (size_t)c->n_in, c->in, c->err);
}

static onnxbn_status construct_infer(onnxbn_kctx *c) { return construct(c, false); }
static onnxbn_status construct_run(onnxbn_kctx *c) { return construct(c, true); }

const onnxbn_op_def onnxbn_op_sequence_construct = {
    .infer = construct_infer,
    .run = construct_run,
};

/* ---- SequenceInsert ---- */

static onnxbn_status insert(onnxbn_kctx *c, bool run)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    if (!st)
        st = want_kind(c, 1, "tensor", ONNXBN_KIND_TENSOR);
    if (st)
        return st;
    const onnxbn_tensor *s = c->in[0], *t = c->in[1];
    if ((st = same_dtype(c, s, t)))
        return st;
    int64_t at = s->numel;
    if (onnxbn_in(c, 2) && (st = position(c, 2, s->numel, 1, &at)))
        return st;
    size_t n;
    const onnxbn_tensor **v = elems_of(s, at, t, -1, &n);
    return emit(c, t->dtype, v, v ? n : 1, run);
}

static onnxbn_status insert_infer(onnxbn_kctx *c) { return insert(c, false); }
static onnxbn_status insert_run(onnxbn_kctx *c) { return insert(c, true); }

const onnxbn_op_def onnxbn_op_sequence_insert = {
    .infer = insert_infer,
    .run = insert_run,
};

/* ---- SequenceErase ---- */

static onnxbn_status erase(onnxbn_kctx *c, bool run)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    if (st)
        return st;
    const onnxbn_tensor *s = c->in[0];
    int64_t at = s->numel - 1;
    if (onnxbn_in(c, 1))
        st = position(c, 1, s->numel, 0, &at);
    else if (!s->numel)
        st = onnxbn_node_fail(c, ONNXBN_ERR_ARG, "the sequence is empty: nothing to erase");
    if (st)
        return st;
    size_t n;
    const onnxbn_tensor **v = elems_of(s, -1, NULL, at, &n);
    return emit(c, s->dtype, v, v ? n : 1, run);
}

static onnxbn_status erase_infer(onnxbn_kctx *c) { return erase(c, false); }
static onnxbn_status erase_run(onnxbn_kctx *c) { return erase(c, true); }

const onnxbn_op_def onnxbn_op_sequence_erase = {
    .infer = erase_infer,
    .run = erase_run,
};

/* ---- SequenceAt ---- */

static onnxbn_status at_pick(const onnxbn_kctx *c, const onnxbn_tensor **e)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    int64_t at = 0;
    if (!st)
        st = position(c, 1, c->in[0]->numel, 0, &at);
    if (!st)
        *e = onnxbn_seq_item(c->in[0], at);
    return st;
}

static onnxbn_status at_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *e;
    onnxbn_status st = at_pick(c, &e);
    return st ? st : onnxbn_tensor_set_shape(c->out[0], e->dtype, e->rank, e->dims, c->err);
}

static onnxbn_status at_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *e;
    onnxbn_status st = at_pick(c, &e);
    if (st)
        return st;
    ONNXBN_CHECK(e->nbytes == c->out[0]->nbytes, c->err);
    if (e->nbytes)
        memcpy(c->out[0]->data, e->data, e->nbytes);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_sequence_at = {
    .infer = at_infer,
    .run = at_run,
};

/* ---- SequenceLength ---- */

static onnxbn_status length_infer(onnxbn_kctx *c)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    return st ? st : onnxbn_tensor_set_shape(c->out[0], ONNXBN_INT64, 0, NULL, c->err);
}

static onnxbn_status length_run(onnxbn_kctx *c)
{
    *(int64_t *)c->out[0]->data = c->in[0]->numel;
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_sequence_length = {
    .infer = length_infer,
    .run = length_run,
};

/* ---- SplitToSequence ---- */

static const onnxbn_attr_spec split_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 0, 0},
    {"keepdims", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* The pieces along the axis: their count, and each one's length in lens (malloc'd). */
static onnxbn_status split_plan(const onnxbn_kctx *c, int *axis, bool *squeeze, int64_t **lens,
                                int64_t *n)
{
    const onnxbn_tensor *x = c->in[0], *sp = onnxbn_in(c, 1);
    int64_t a, keep;
    onnxbn_status st = want_kind(c, 0, "input", ONNXBN_KIND_TENSOR);
    if (!st)
        st = onnxbn_attr_int(c, "axis", 0, &a);
    if (!st)
        st = onnxbn_attr_int(c, "keepdims", 1, &keep);
    if (!st && x->rank < 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input is a scalar; it has no axis to split");
    if (!st)
        st = onnxbn_mv_axis(c, a, x->rank, "axis", axis);
    if (!st && sp && (st = want_kind(c, 1, "split", ONNXBN_KIND_TENSOR)) == ONNXBN_OK &&
        sp->dtype != ONNXBN_INT32 && sp->dtype != ONNXBN_INT64)
        st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "split is %s, expected int32 or int64",
                              onnxbn_dtype_name(sp->dtype));
    if (!st && sp && sp->rank > 1)
        st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "split has rank %d, expected a scalar or 1-D", sp->rank);
    if (!st && sp && sp->numel && !sp->data)
        st = onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                              "output shape depends on input values: 'split' is not known before the run");
    if (st)
        return st;
    const int64_t dim = x->dims[*axis];
    *squeeze = !sp && !keep;
    int64_t chunk = 1;
    if (sp && sp->rank == 0) {
        chunk = onnxbn_get_i64(sp, 0);
        if (chunk <= 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "split %lld is not positive", (long long)chunk);
    }
    *n = sp && sp->rank == 1 ? sp->numel : (dim + chunk - 1) / chunk;
    if (!(*lens = malloc(((size_t)*n + 1) * sizeof **lens)))
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    int64_t sum = 0;
    for (int64_t i = 0; i < *n; i++) {
        int64_t l = sp && sp->rank == 1 ? onnxbn_get_i64(sp, i) : (dim - sum < chunk ? dim - sum : chunk);
        if (l < 0 || l > dim - sum) {
            free(*lens);
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "split sizes pass the length %lld of axis %d",
                                    (long long)dim, *axis);
        }
        (*lens)[i] = l;
        sum += l;
    }
    if (sum != dim) {
        free(*lens);
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "split sizes add up to %lld, axis %d has %lld",
                                (long long)sum, *axis, (long long)dim);
    }
    return ONNXBN_OK;
}

static onnxbn_status split_seq(onnxbn_kctx *c, bool run)
{
    int axis = 0;
    bool squeeze = false;
    int64_t *lens = NULL, n = 0;
    onnxbn_status st = split_plan(c, &axis, &squeeze, &lens, &n);
    if (st)
        return st;
    const onnxbn_tensor *x = c->in[0];
    onnxbn_tensor *e = calloc((size_t)n + 1, sizeof *e);
    const onnxbn_tensor **v = calloc((size_t)n + 1, sizeof *v);
    if (!e || !v)
        st = onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++) {
        int64_t dims[ONNXBN_MAX_RANK];
        int r = 0;
        for (int d = 0; d < x->rank; d++)
            if (d != axis || !squeeze)
                dims[r++] = d == axis ? lens[i] : x->dims[d];
        st = onnxbn_tensor_set_shape(&e[i], x->dtype, r, dims, c->err);
        v[i] = &e[i];
    }
    if (!st && !run)
        st = onnxbn_seq_shape(c->out[0], x->dtype, (size_t)n, v, c->err);
    if (!st && run) {
        onnxbn_seq_layout(c->out[0], (size_t)n, v);
        const size_t es = onnxbn_dtype_size(x->dtype);
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
            outer *= x->dims[d];
        for (int d = axis + 1; d < x->rank; d++)
            inner *= x->dims[d];
        const size_t row = (size_t)x->dims[axis] * (size_t)inner * es;
        size_t off = 0;
        for (int64_t i = 0; i < n; i++) {
            const size_t piece = (size_t)lens[i] * (size_t)inner * es;
            uint8_t *dst = onnxbn_seq_item(c->out[0], i)->data;
            for (int64_t o = 0; o < outer && piece; o++)
                memcpy(dst + (size_t)o * piece, (const uint8_t *)x->data + (size_t)o * row + off, piece);
            off += piece;
        }
    }
    free(e);
    free(v);
    free(lens);
    return st;
}

static onnxbn_status split_infer(onnxbn_kctx *c) { return split_seq(c, false); }
static onnxbn_status split_run(onnxbn_kctx *c) { return split_seq(c, true); }

const onnxbn_op_def onnxbn_op_split_to_sequence = {
    .attrs = split_attrs,
    .infer = split_infer,
    .run = split_run,
};

/* ---- ConcatFromSequence ---- */

static const onnxbn_attr_spec concat_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, true, 0, 0},
    {"new_axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

/* The output axis and whether it is new; checks every element against the first. */
static onnxbn_status concat_check(const onnxbn_kctx *c, int *axis, bool *stack, int64_t *total)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    int64_t a, na;
    if (!st)
        st = onnxbn_attr_int(c, "axis", 0, &a);
    if (!st)
        st = onnxbn_attr_int(c, "new_axis", 0, &na);
    if (st)
        return st;
    const onnxbn_tensor *s = c->in[0];
    if (!s->numel)
        return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "the sequence is empty: nothing to concatenate");
    const onnxbn_tensor *e0 = onnxbn_seq_item(s, 0);
    *stack = na != 0;
    if (*stack && e0->rank >= ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "stacking rank-%d tensors passes rank %d",
                                e0->rank, ONNXBN_MAX_RANK);
    if (!*stack && e0->rank < 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "the elements are scalars; set new_axis to stack them");
    if ((st = onnxbn_mv_axis(c, a, e0->rank + *stack, "axis", axis)))
        return st;
    *total = 0;
    for (int64_t i = 0; i < s->numel; i++) {
        const onnxbn_tensor *e = onnxbn_seq_item(s, i);
        bool ok = e->dtype == e0->dtype && e->rank == e0->rank;
        for (int d = 0; ok && d < e->rank; d++)
            ok = e->dims[d] == e0->dims[d] || (!*stack && d == *axis);
        if (!ok) {
            char a0[ONNXBN_SHAPE_STR_MAX], ai[ONNXBN_SHAPE_STR_MAX];
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "element %lld is %s %s, element 0 %s %s: they do not concatenate on axis %d",
                                    (long long)i, onnxbn_dtype_name(e->dtype), onnxbn_shape_str(e, ai, sizeof ai),
                                    onnxbn_dtype_name(e0->dtype), onnxbn_shape_str(e0, a0, sizeof a0), *axis);
        }
        *total += *stack ? 1 : e->dims[*axis];
    }
    return ONNXBN_OK;
}

static onnxbn_status concat_infer(onnxbn_kctx *c)
{
    int axis;
    bool stack;
    int64_t total;
    onnxbn_status st = concat_check(c, &axis, &stack, &total);
    if (st)
        return st;
    const onnxbn_tensor *e0 = onnxbn_seq_item(c->in[0], 0);
    int64_t dims[ONNXBN_MAX_RANK];
    int r = 0;
    for (int d = 0; d < e0->rank + stack; d++)
        dims[r++] = d == axis ? total : e0->dims[d - (stack && d > axis)];
    return onnxbn_tensor_set_shape(c->out[0], e0->dtype, r, dims, c->err);
}

static onnxbn_status concat_run(onnxbn_kctx *c)
{
    int axis;
    bool stack;
    int64_t total;
    onnxbn_status st = concat_check(c, &axis, &stack, &total);
    if (st)
        return st;
    const onnxbn_tensor *s = c->in[0], *y = c->out[0];
    const size_t es = onnxbn_dtype_size(y->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= y->dims[d];
    for (int d = axis + 1; d < y->rank; d++)
        inner *= y->dims[d];
    const size_t row = (size_t)total * (size_t)inner * es;
    ONNXBN_CHECK(row * (size_t)outer == y->nbytes, c->err);
    size_t off = 0;
    for (int64_t i = 0; i < s->numel; i++) {
        const onnxbn_tensor *e = onnxbn_seq_item(s, i);
        const size_t piece = (size_t)(stack ? 1 : e->dims[axis]) * (size_t)inner * es;
        for (int64_t o = 0; o < outer && piece; o++)
            memcpy((uint8_t *)y->data + (size_t)o * row + off, (const uint8_t *)e->data + (size_t)o * piece,
                   piece);
        off += piece;
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_concat_from_sequence = {
    .attrs = concat_attrs,
    .infer = concat_infer,
    .run = concat_run,
};

/* ---- SequenceMap ----
 * The body runs once per element of input 0; sequence inputs give it their element i, tensor
 * inputs themselves. Output k is the sequence of the body's output k. infer runs the body over
 * every element to learn the shapes (they may differ from element to element), run() runs it
 * again and copies each output into place: twice the body's work, and no buffer of every
 * iteration's outputs kept between the two. */

static const onnxbn_attr_spec map_attrs[] = {
    {"body", ONNXBN_ATTR_GRAPH, true, 0, 0},
    {NULL, 0, false, 0, 0},
};

static int n_args_of(const onnxbn_kctx *c)
{
    return onnxbn_node_arg_count(c->node);
}

/* One iteration: binds element i and runs the body. */
static onnxbn_status map_step(onnxbn_kctx *c, int n_args, const onnxbn_tensor **args, int64_t i)
{
    for (int k = 0; k < n_args; k++) {
        const onnxbn_tensor *t = c->in[k];
        args[k] = t->kind == ONNXBN_KIND_SEQUENCE ? onnxbn_seq_item(t, i) : t;
    }
    int n_out = 0;
    onnxbn_status st = onnxbn_sub_run_args(c, "body", n_args, args, &n_out);
    if (!st && n_out != c->n_out)
        st = onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "body has %d outputs, the node %d", n_out, c->n_out);
    for (int k = 0; !st && k < c->n_out; k++) {
        const onnxbn_tensor *y = onnxbn_sub_output(c, "body", k);
        if (!y || y->kind != ONNXBN_KIND_TENSOR)
            st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "body output %d is %s, expected a tensor", k,
                                  y ? onnxbn_kind_name(y->kind) : "missing");
    }
    return st;
}

static onnxbn_status map_check(const onnxbn_kctx *c, int n_args, int64_t *len)
{
    onnxbn_status st = want_kind(c, 0, "input_sequence", ONNXBN_KIND_SEQUENCE);
    if (st)
        return st;
    *len = c->in[0]->numel;
    for (int k = 1; k < n_args; k++) {
        const onnxbn_tensor *t = c->in[k];
        if (!t)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "additional input %d is missing", k);
        if (t->kind == ONNXBN_KIND_NONE)
            return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input %d ('%.100s') is an empty optional", k,
                                    mv_in_name(c, k));
        if (t->kind == ONNXBN_KIND_SEQUENCE && t->numel != *len)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "input %d ('%.100s') has %lld elements, input 0 %lld", k,
                                    mv_in_name(c, k), (long long)t->numel, (long long)*len);
    }
    return ONNXBN_OK;
}

static onnxbn_status map_infer(onnxbn_kctx *c)
{
    const int n_args = n_args_of(c);
    int64_t len;
    onnxbn_status st = map_check(c, n_args, &len);
    if (st)
        return st;
    const onnxbn_tensor **args = calloc((size_t)n_args + 1, sizeof *args);
    onnxbn_tensor *shapes = calloc((size_t)c->n_out * (size_t)len + 1, sizeof *shapes);
    const onnxbn_tensor **v = calloc((size_t)len + 1, sizeof *v);
    if (!args || !shapes || !v)
        st = onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < len; i++) {
        st = map_step(c, n_args, args, i);
        for (int k = 0; !st && k < c->n_out; k++) {
            const onnxbn_tensor *y = onnxbn_sub_output(c, "body", k);
            shapes[(size_t)k * (size_t)len + (size_t)i] = *y;
            if (i && y->dtype != shapes[(size_t)k * (size_t)len].dtype)
                st = onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "body output %d is %s at element %lld, %s at 0",
                                      k, onnxbn_dtype_name(y->dtype), (long long)i,
                                      onnxbn_dtype_name(shapes[(size_t)k * (size_t)len].dtype));
        }
    }
    for (int k = 0; !st && k < c->n_out; k++) {
        if (!c->out[k])
            continue;
        for (int64_t i = 0; i < len; i++)
            v[i] = &shapes[(size_t)k * (size_t)len + (size_t)i];
        /* an empty input sequence gives empty outputs of an unknown element type */
        st = onnxbn_seq_shape(c->out[k], len ? v[0]->dtype : ONNXBN_UNDEFINED, (size_t)len, v, c->err);
    }
    free(args);
    free(shapes);
    free(v);
    return st;
}

static onnxbn_status map_run(onnxbn_kctx *c)
{
    const int n_args = n_args_of(c);
    int64_t len;
    onnxbn_status st = map_check(c, n_args, &len);
    if (st)
        return st;
    const onnxbn_tensor **args = calloc((size_t)n_args + 1, sizeof *args);
    if (!args)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    size_t *off = calloc((size_t)c->n_out + 1, sizeof *off);
    if (!off) {
        free(args);
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < c->n_out; k++)
        off[k] = onnxbn_seq_header_bytes((size_t)len);
    for (int64_t i = 0; !st && i < len; i++) {
        st = map_step(c, n_args, args, i);
        for (int k = 0; !st && k < c->n_out; k++) {
            onnxbn_tensor *o = c->out[k];
            const onnxbn_tensor *y = onnxbn_sub_output(c, "body", k);
            if (!o)
                continue;
            const size_t need = onnxbn_seq_elem_bytes(y->nbytes);
            if (o->kind != ONNXBN_KIND_SEQUENCE || o->numel != len || off[k] > o->nbytes ||
                need > o->nbytes - off[k]) {
                st = onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                      "body output %d changed shape since the shapes were taken", k);
                break;
            }
            onnxbn_tensor *h = (onnxbn_tensor *)o->data + i;
            *h = *y;
            h->owns = false;
            h->data = (uint8_t *)o->data + off[k];
            if (y->nbytes)
                memcpy(h->data, y->data, y->nbytes);
            off[k] += need;
        }
    }
    free(args);
    free(off);
    return st;
}

const onnxbn_op_def onnxbn_op_sequence_map = {
    .attrs = map_attrs,
    .infer = map_infer,
    .run = map_run,
};
