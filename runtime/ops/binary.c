/* SPDX-License-Identifier: Apache-2.0 */
/* binary.c — the two-input element-wise operators (Add, Sub, Mul, Div, Pow, Mod, BitShift, the
 * comparisons, And/Or/Xor) plus Where and Not: types per version, broadcasting rules, one kernel call. */
#include <stdlib.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/elementwise.h"
#include "kernels/norm.h"
#include "kernels/unary.h"
#include "op.h"
#include "ops/types.h"
#include "threadpool.h"

#define M(t) ONNXBN_TM(t)
#define T_FLT ONNXBN_TM_FLT
#define T_BF ONNXBN_TM_BF
#define T_I32_64 ONNXBN_TM_I32_64
#define T_U32_64 ONNXBN_TM_U32_64
#define T_SMALL (M(ONNXBN_INT8) | M(ONNXBN_INT16) | M(ONNXBN_UINT8) | M(ONNXBN_UINT16))
#define T_INT (T_I32_64 | T_U32_64 | T_SMALL)
#define T_BOOL M(ONNXBN_BOOL)

static void dense_strides(int rank, const int64_t *dims, int64_t *st)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        st[i] = s;
        s *= dims[i];
    }
}

static onnxbn_status need_inputs(const onnxbn_kctx *c, int n, const char *const *formal)
{
    for (int i = 0; i < n; i++)
        if (!onnxbn_in(c, i))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input '%s' is missing", formal[i]);
    return ONNXBN_OK;
}

/* ---- two inputs ---- */

typedef struct bin_kind {
    onnxbn_binop op;                 /* Mod and BitShift pick theirs from the attributes */
    const char *names[2];            /* the inputs' names in the spec, for messages */
    const onnxbn_type_rule *types;   /* first input */
    const onnxbn_type_rule *types_b; /* second input; NULL: the same type as the first */
    int legacy_until; /* versions up to this one broadcast by `broadcast`/`axis` (0: none) */
} bin_kind;

static onnxbn_status resolve_op(const onnxbn_kctx *c, const bin_kind *k, onnxbn_binop *op)
{
    onnxbn_status st;
    *op = k->op;
    if (k->op == ONNXBN_BIN_MOD) {
        int64_t fm;
        if ((st = onnxbn_attr_int(c, "fmod", 0, &fm)))
            return st;
        if (fm != 0 && fm != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'fmod' is %lld, expected 0 or 1",
                                    (long long)fm);
        onnxbn_dtype t = onnxbn_in(c, 0)->dtype;
        bool flt = (T_FLT | T_BF) & M(t);
        if (flt && !fm)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "inputs are %s: Mod on floating-point types needs fmod=1",
                                    onnxbn_dtype_name(t));
        *op = fm ? ONNXBN_BIN_FMOD : ONNXBN_BIN_MOD;
    } else if (k->op == ONNXBN_BIN_SHL) {
        char dir[8];
        if ((st = onnxbn_attr_string(c, "direction", "", dir, sizeof dir)))
            return st;
        if (!strcmp(dir, "RIGHT"))
            *op = ONNXBN_BIN_SHR;
        else if (strcmp(dir, "LEFT"))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "attribute 'direction' is '%s', expected 'LEFT' or 'RIGHT'", dir);
    }
    return ONNXBN_OK;
}

/* The output shape and the strides that read A and B in it. Legacy versions (Add-1/6 …) take B
 * as it is when `broadcast` is 0 (same shape required), and with broadcast=1 lay B's shape over A's
 * from `axis` (default: B's trailing dims against A's), each dim equal or 1; a one-element B is
 * a scalar. Later versions broadcast both ways, numpy style. */
static onnxbn_status bin_shape(const onnxbn_kctx *c, const bin_kind *k, int *rank, int64_t *dims,
                               int64_t *sa, int64_t *sb)
{
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    char sha[ONNXBN_SHAPE_STR_MAX], shb[ONNXBN_SHAPE_STR_MAX];
    onnxbn_status st;
    if (c->version <= k->legacy_until) {
        int64_t bc, axis;
        if ((st = onnxbn_attr_int(c, "broadcast", 0, &bc)))
            return st;
        *rank = a->rank;
        memcpy(dims, a->dims, sizeof a->dims);
        dense_strides(a->rank, a->dims, sa);
        if (!bc) {
            if (!onnxbn_same_shape(a, b))
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "inputs '%s' ('%s') %s and '%s' ('%s') %s differ in shape and "
                                        "attribute 'broadcast' is not set (%s-%d broadcasts only with broadcast=1)",
                                        k->names[0], onnxbn_node_input_name(c->node, 0),
                                        onnxbn_shape_str(a, sha, sizeof sha), k->names[1],
                                        onnxbn_node_input_name(c->node, 1),
                                        onnxbn_shape_str(b, shb, sizeof shb),
                                        onnxbn_node_op_type(c->node), c->version);
            dense_strides(b->rank, b->dims, sb);
            return ONNXBN_OK;
        }
        int64_t bd[ONNXBN_MAX_RANK];
        for (int i = 0; i < a->rank; i++)
            bd[i] = 1;
        if (b->numel != 1) {
            if ((st = onnxbn_attr_int(c, "axis", (int64_t)a->rank - b->rank, &axis)))
                return st;
            if (axis < 0)
                axis += a->rank;
            bool fits = b->rank <= a->rank && axis >= 0 && axis + b->rank <= a->rank;
            for (int i = 0; fits && i < b->rank; i++)
                fits = b->dims[i] == a->dims[axis + i] || b->dims[i] == 1;
            if (!fits)
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                        "input '%s' ('%s') %s does not broadcast to input '%s' ('%s') %s "
                                        "at axis %lld",
                                        k->names[1], onnxbn_node_input_name(c->node, 1),
                                        onnxbn_shape_str(b, shb, sizeof shb), k->names[0],
                                        onnxbn_node_input_name(c->node, 0),
                                        onnxbn_shape_str(a, sha, sizeof sha), (long long)axis);
            for (int i = 0; i < b->rank; i++)
                bd[axis + i] = b->dims[i];
        }
        onnxbn_broadcast_strides(a->rank, bd, a->rank, a->dims, sb);
        return ONNXBN_OK;
    }
    if (!onnxbn_broadcast_shape(a->rank, a->dims, b->rank, b->dims, rank, dims))
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "inputs '%s' ('%s') %s and '%s' ('%s') %s do not broadcast", k->names[0],
                                onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(a, sha, sizeof sha),
                                k->names[1], onnxbn_node_input_name(c->node, 1),
                                onnxbn_shape_str(b, shb, sizeof shb));
    onnxbn_broadcast_strides(a->rank, a->dims, *rank, dims, sa);
    onnxbn_broadcast_strides(b->rank, b->dims, *rank, dims, sb);
    return ONNXBN_OK;
}

static onnxbn_status bin_infer(onnxbn_kctx *c, const bin_kind *k)
{
    onnxbn_status st;
    if ((st = need_inputs(c, 2, k->names)))
        return st;
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    if ((st = onnxbn_check_input_type(c, 0, k->names[0],
                                      onnxbn_type_mask_at(k->types, c->version))))
        return st;
    if (k->types_b && c->version >= 12) {
        if ((st = onnxbn_check_input_type(c, 1, k->names[1],
                                          onnxbn_type_mask_at(k->types_b, c->version))))
            return st;
    } else if (a->dtype != b->dtype) {
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE,
                                "input '%s' ('%s') is %s and input '%s' ('%s') is %s: %s-%d takes one type",
                                k->names[0], onnxbn_node_input_name(c->node, 0),
                                onnxbn_dtype_name(a->dtype), k->names[1],
                                onnxbn_node_input_name(c->node, 1), onnxbn_dtype_name(b->dtype),
                                onnxbn_node_op_type(c->node), c->version);
    }
    onnxbn_binop op;
    if ((st = resolve_op(c, k, &op)))
        return st;
    if (!onnxbn_binary_supported(op, a->dtype, b->dtype))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "inputs of type %s and %s are not supported",
                                onnxbn_dtype_name(a->dtype), onnxbn_dtype_name(b->dtype));
    int rank;
    int64_t dims[ONNXBN_MAX_RANK], sa[ONNXBN_MAX_RANK], sb[ONNXBN_MAX_RANK];
    if ((st = bin_shape(c, k, &rank, dims, sa, sb)))
        return st;
    bool cmp = op >= ONNXBN_BIN_EQ && op <= ONNXBN_BIN_GE;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), cmp ? ONNXBN_BOOL : a->dtype, rank, dims, c->err);
}

typedef struct {
    onnxbn_binop op;
    int64_t sa[ONNXBN_MAX_RANK], sb[ONNXBN_MAX_RANK];
    bool flat; /* A and B both laid out as Y: one run over n elements, splittable anywhere */
} bin_state;

static onnxbn_status bin_prepare(onnxbn_kctx *c, const bin_kind *k)
{
    bin_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    c->state = s;
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
    onnxbn_status st = resolve_op(c, k, &s->op);
    if (st || (st = bin_shape(c, k, &rank, dims, s->sa, s->sb)))
        return st;
    int64_t ds[ONNXBN_MAX_RANK];
    dense_strides(rank, dims, ds);
    s->flat = true;
    for (int i = 0; i < rank; i++)
        s->flat &= dims[i] == 1 || (s->sa[i] == ds[i] && s->sb[i] == ds[i]);
    return ONNXBN_OK;
}

/* Chunks of a flat float op: 16 Ki elements (64 KiB a stream) keep Y in L1/L2 for the fused
 * activation. Below MIN_SPLIT elements one thread does it all: the pool's round trip (about half
 * a microsecond) is then near the op's own time. */
#define CHUNK 16384
#define MIN_SPLIT 4096

typedef struct {
    const bin_state *s;
    const float *a, *b;
    float *y;
    size_t n, parts;
    onnxbn_act act;
} flat_job;

/* Part t of nth on thread t: contiguous, so that it covers the channels a Conv split by output
 * channels left in the same core's cache; chunk by chunk within it. */
static void flat_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const flat_job *j = arg;
    size_t lo, hi;
    onnxbn_split(j->n, j->parts, t, 16, &lo, &hi);
    for (; lo < hi; lo += CHUNK) {
        const size_t len = hi - lo < CHUNK ? hi - lo : CHUNK;
        const int64_t dims[1] = {(int64_t)len}, one[1] = {1};
        onnxbn_binary(j->s->op, ONNXBN_FLOAT, ONNXBN_FLOAT, 1, dims, j->a + lo, one, j->b + lo,
                      one, j->y + lo);
        onnxbn_act_f32(j->act, j->y + lo, len);
    }
}

typedef struct {
    const float *x, *k;
    float *y;
    size_t n, parts;
} gelu_job;

static void gelu_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const gelu_job *j = arg;
    size_t lo, hi;
    onnxbn_split(j->n, j->parts, t, 16, &lo, &hi);
    if (hi > lo)
        onnxbn_gelu_erf_f32(j->x + lo, j->y + lo, hi - lo, j->k);
}

/* The layer norm a Sub runs for the nodes the planner folded into it (kctx.ln_scale): rows of n,
 * part t of them on thread t. */
typedef struct ln_job {
    const float *x, *scale, *bias;
    float eps;
    float *y;
    int64_t n, rows;
    size_t parts;
} ln_job;

static void ln_task(void *arg, size_t t, int thread)
{
    (void)thread;
    const ln_job *j = arg;
    const int64_t r0 = (int64_t)((size_t)j->rows * t / j->parts);
    const int64_t r1 = (int64_t)((size_t)j->rows * (t + 1) / j->parts);
    if (r1 > r0)
        onnxbn_layernorm_nodes_f32(j->x + r0 * j->n, j->y + r0 * j->n, j->scale, j->bias,
                                   r1 - r0, j->n, j->eps);
}

static onnxbn_status bin_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *a = onnxbn_in(c, 0), *b = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    const bin_state *s = c->state;
    /* prepare made s; infer refused the pairs the kernel table has no loop for (a NULL call) */
    ONNXBN_CHECK(s && onnxbn_binary_supported(s->op, a->dtype, b->dtype), c->err);
    if (c->ln_scale && a->dtype == ONNXBN_FLOAT && y->dtype == ONNXBN_FLOAT && a->rank >= 1) {
        const int64_t n = a->dims[a->rank - 1];
        ln_job j = {a->data, c->ln_scale->data, c->ln_bias->data, c->ln_eps, y->data, n,
                    n > 0 ? a->numel / n : 0, 1};
        if (a->numel < MIN_SPLIT) {
            ln_task(&j, 0, 0);
        } else {
            j.parts = (size_t)onnxbn_pool_threads(c->pool);
            onnxbn_pool_run_fixed(c->pool, ln_task, &j);
        }
        return ONNXBN_OK;
    }
    if (c->gelu && a->dtype == ONNXBN_FLOAT && y->dtype == ONNXBN_FLOAT) {
        gelu_job j = {a->data, c->gelu_k, y->data, (size_t)y->numel, 1};
        if (j.n < MIN_SPLIT) {
            gelu_task(&j, 0, 0);
        } else {
            j.parts = (size_t)onnxbn_pool_threads(c->pool);
            onnxbn_pool_run_fixed(c->pool, gelu_task, &j);
        }
        return ONNXBN_OK;
    }
    if (s->flat && a->dtype == ONNXBN_FLOAT && b->dtype == ONNXBN_FLOAT &&
        y->dtype == ONNXBN_FLOAT) {
        flat_job j = {s, a->data, b->data, y->data, (size_t)y->numel, 1, c->act};
        if (j.n < MIN_SPLIT) {
            flat_task(&j, 0, 0);
        } else {
            j.parts = (size_t)onnxbn_pool_threads(c->pool);
            onnxbn_pool_run_fixed(c->pool, flat_task, &j);
        }
        return ONNXBN_OK;
    }
    onnxbn_binary(s->op, a->dtype, b->dtype, y->rank, y->dims, a->data, s->sa, b->data, s->sb,
                  y->data);
    if (y->dtype == ONNXBN_FLOAT)
        onnxbn_act_f32(c->act, y->data, (size_t)y->numel);
    return ONNXBN_OK;
}

/* One def per operator; the kind carries what differs. */
#define BIN_DEF(SYM, KIND, ATTRS)                                                                 \
    static onnxbn_status SYM##_infer(onnxbn_kctx *c) { return bin_infer(c, &KIND); }              \
    static onnxbn_status SYM##_prepare(onnxbn_kctx *c) { return bin_prepare(c, &KIND); }          \
    const onnxbn_op_def onnxbn_op_##SYM = {                                                       \
        .attrs = ATTRS,                                                                           \
        .infer = SYM##_infer,                                                                     \
        .prepare = SYM##_prepare,                                                                 \
        .run = bin_run,                                                                           \
    };

/* Add, Sub, Mul, Div: 1 and 6 broadcast by attribute; 6 adds 32/64-bit integers, 13 bfloat16,
 * 14 the 8- and 16-bit integers. */
static const onnxbn_attr_spec arith_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 6},
    {"broadcast", ONNXBN_ATTR_INT, false, 1, 6},
    {"consumed_inputs", ONNXBN_ATTR_INTS, false, 1, 1}, /* legacy hint: accepted, unused */
    {NULL, 0, false, 0, 0},
};
static const onnxbn_type_rule arith_types[] = {
    {1, T_FLT},
    {6, T_FLT | T_I32_64 | T_U32_64},
    {13, T_FLT | T_BF | T_I32_64 | T_U32_64},
    {14, T_FLT | T_BF | T_INT},
    {0, 0},
};
static const bin_kind k_add = {ONNXBN_BIN_ADD, {"A", "B"}, arith_types, NULL, 6};
static const bin_kind k_sub = {ONNXBN_BIN_SUB, {"A", "B"}, arith_types, NULL, 6};
static const bin_kind k_mul = {ONNXBN_BIN_MUL, {"A", "B"}, arith_types, NULL, 6};
static const bin_kind k_div = {ONNXBN_BIN_DIV, {"A", "B"}, arith_types, NULL, 6};
BIN_DEF(add, k_add, arith_attrs)
BIN_DEF(sub, k_sub, arith_attrs)
BIN_DEF(mul, k_mul, arith_attrs)
BIN_DEF(div, k_div, arith_attrs)

/* Pow: float types with one type until 12, which lets the exponent's type differ and the base be
 * int32/int64 too; 13 adds a bfloat16 base, 15 a bfloat16 exponent. */
static const onnxbn_attr_spec legacy1_attrs[] = {
    {"axis", ONNXBN_ATTR_INT, false, 1, 1},
    {"broadcast", ONNXBN_ATTR_INT, false, 1, 1},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_type_rule pow_types[] = {
    {1, T_FLT},
    {12, T_FLT | T_I32_64},
    {13, T_FLT | T_BF | T_I32_64},
    {0, 0},
};
static const onnxbn_type_rule pow_exp_types[] = {
    {12, T_FLT | T_INT},
    {15, T_FLT | T_BF | T_INT},
    {0, 0},
};
static const bin_kind k_pow = {ONNXBN_BIN_POW, {"X", "Y"}, pow_types, pow_exp_types, 1};
BIN_DEF(pow, k_pow, legacy1_attrs)

/* Mod: integer modulus (sign of the divisor) or, with fmod=1, C's fmod (sign of the dividend). */
static const onnxbn_attr_spec mod_attrs[] = {
    {"fmod", ONNXBN_ATTR_INT, false, 10, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_type_rule mod_types[] = {{10, T_FLT | T_INT}, {13, T_FLT | T_BF | T_INT}, {0, 0}};
static const bin_kind k_mod = {ONNXBN_BIN_MOD, {"A", "B"}, mod_types, NULL, 0};
BIN_DEF(mod, k_mod, mod_attrs)

static const onnxbn_attr_spec shift_attrs[] = {
    {"direction", ONNXBN_ATTR_STRING, true, 11, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_type_rule shift_types[] = {
    {11, M(ONNXBN_UINT8) | M(ONNXBN_UINT16) | T_U32_64},
    {0, 0},
};
static const bin_kind k_shift = {ONNXBN_BIN_SHL, {"X", "Y"}, shift_types, NULL, 0};
BIN_DEF(bitshift, k_shift, shift_attrs)

/* Comparisons → bool. Equal takes bool and 32/64-bit integers until 11 adds everything numeric;
 * Less/Greater take float types until 9 adds the integers; 13 (16 for the -OrEqual pair) bfloat16. */
static const onnxbn_type_rule eq_types[] = {
    {1, T_BOOL | T_I32_64},
    {11, T_BOOL | T_FLT | T_INT},
    {13, T_BOOL | T_FLT | T_BF | T_INT},
    {0, 0},
};
static const onnxbn_type_rule order_types[] = {
    {1, T_FLT},
    {9, T_FLT | T_INT},
    {13, T_FLT | T_BF | T_INT},
    {0, 0},
};
static const onnxbn_type_rule order_eq_types[] = {{12, T_FLT | T_INT}, {16, T_FLT | T_BF | T_INT}, {0, 0}};
static const bin_kind k_eq = {ONNXBN_BIN_EQ, {"A", "B"}, eq_types, NULL, 1};
static const bin_kind k_lt = {ONNXBN_BIN_LT, {"A", "B"}, order_types, NULL, 1};
static const bin_kind k_gt = {ONNXBN_BIN_GT, {"A", "B"}, order_types, NULL, 1};
static const bin_kind k_le = {ONNXBN_BIN_LE, {"A", "B"}, order_eq_types, NULL, 0};
static const bin_kind k_ge = {ONNXBN_BIN_GE, {"A", "B"}, order_eq_types, NULL, 0};
BIN_DEF(equal, k_eq, legacy1_attrs)
BIN_DEF(less, k_lt, legacy1_attrs)
BIN_DEF(greater, k_gt, legacy1_attrs)
BIN_DEF(less_or_equal, k_le, NULL)
BIN_DEF(greater_or_equal, k_ge, NULL)

static const onnxbn_type_rule bool_types[] = {{1, T_BOOL}, {0, 0}};
static const bin_kind k_and = {ONNXBN_BIN_AND, {"A", "B"}, bool_types, NULL, 1};
static const bin_kind k_or = {ONNXBN_BIN_OR, {"A", "B"}, bool_types, NULL, 1};
static const bin_kind k_xor = {ONNXBN_BIN_XOR, {"A", "B"}, bool_types, NULL, 1};
BIN_DEF(and, k_and, legacy1_attrs)
BIN_DEF(or, k_or, legacy1_attrs)
BIN_DEF(xor, k_xor, legacy1_attrs)

/* ---- Not ---- */

static onnxbn_status not_infer(onnxbn_kctx *c)
{
    static const char *const names[] = {"X"};
    onnxbn_status st;
    if ((st = need_inputs(c, 1, names)) || (st = onnxbn_check_input_type(c, 0, "X", T_BOOL)))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), ONNXBN_BOOL, x->rank, x->dims, c->err);
}

static onnxbn_status not_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_not_bool(x->data, onnxbn_out(c, 0)->data, (size_t)x->numel);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_not = {
    .infer = not_infer,
    .run = not_run,
};

/* ---- Where: bool condition, X and Y of any one type (strings aside), all three broadcast ---- */

#define T_ANY (T_BOOL | T_FLT | T_INT | M(ONNXBN_COMPLEX64) | M(ONNXBN_COMPLEX128))
static const onnxbn_type_rule where_types[] = {{9, T_ANY}, {16, T_ANY | T_BF}, {0, 0}};
static const char *const where_names[] = {"condition", "X", "Y"};

typedef struct {
    int64_t st[3][ONNXBN_MAX_RANK];
} where_state;

static onnxbn_status where_shape(const onnxbn_kctx *c, int *rank, int64_t *dims)
{
    const onnxbn_tensor *t[3] = {onnxbn_in(c, 0), onnxbn_in(c, 1), onnxbn_in(c, 2)};
    int64_t tmp[ONNXBN_MAX_RANK];
    int r;
    char s[3][ONNXBN_SHAPE_STR_MAX];
    if (onnxbn_broadcast_shape(t[0]->rank, t[0]->dims, t[1]->rank, t[1]->dims, &r, tmp) &&
        onnxbn_broadcast_shape(r, tmp, t[2]->rank, t[2]->dims, rank, dims))
        return ONNXBN_OK;
    return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                            "inputs 'condition' ('%s') %s, 'X' ('%s') %s and 'Y' ('%s') %s do not broadcast",
                            onnxbn_node_input_name(c->node, 0), onnxbn_shape_str(t[0], s[0], sizeof s[0]),
                            onnxbn_node_input_name(c->node, 1), onnxbn_shape_str(t[1], s[1], sizeof s[1]),
                            onnxbn_node_input_name(c->node, 2), onnxbn_shape_str(t[2], s[2], sizeof s[2]));
}

static onnxbn_status where_infer(onnxbn_kctx *c)
{
    onnxbn_status st;
    if ((st = need_inputs(c, 3, where_names)) ||
        (st = onnxbn_check_input_type(c, 0, "condition", T_BOOL)))
        return st;
    const onnxbn_tensor *x = onnxbn_in(c, 1), *y = onnxbn_in(c, 2);
    if (x->dtype == ONNXBN_STRING) /* valid ONNX, not yet run by this kernel */
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "string inputs are not supported");
    if ((st = onnxbn_check_input_type(c, 1, "X", onnxbn_type_mask_at(where_types, c->version))))
        return st;
    if (x->dtype != y->dtype)
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "input 'X' ('%s') is %s and input 'Y' ('%s') is %s: "
                                "they must be one type", onnxbn_node_input_name(c->node, 1),
                                onnxbn_dtype_name(x->dtype), onnxbn_node_input_name(c->node, 2),
                                onnxbn_dtype_name(y->dtype));
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
    if ((st = where_shape(c, &rank, dims)))
        return st;
    return onnxbn_tensor_set_shape(onnxbn_out(c, 0), x->dtype, rank, dims, c->err);
}

static onnxbn_status where_prepare(onnxbn_kctx *c)
{
    where_state *s = calloc(1, sizeof *s);
    if (!s)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    c->state = s;
    const onnxbn_tensor *y = onnxbn_out(c, 0);
    for (int i = 0; i < 3; i++) {
        const onnxbn_tensor *t = onnxbn_in(c, i);
        onnxbn_broadcast_strides(t->rank, t->dims, y->rank, y->dims, s->st[i]);
    }
    return ONNXBN_OK;
}

static onnxbn_status where_run(onnxbn_kctx *c)
{
    const where_state *s = c->state;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    onnxbn_where(onnxbn_dtype_size(y->dtype), y->rank, y->dims, onnxbn_in(c, 0)->data, s->st[0],
                 onnxbn_in(c, 1)->data, s->st[1], onnxbn_in(c, 2)->data, s->st[2], y->data);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_where = {
    .infer = where_infer,
    .prepare = where_prepare,
    .run = where_run,
};
