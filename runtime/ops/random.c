/* SPDX-License-Identifier: Apache-2.0 */
/* random.c — the operators that draw random values: RandomNormal, RandomUniform, their Like forms,
 * Bernoulli and Multinomial. One generator per node, its state in the node's plan state. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shapeops.h"

/* The generator is splitmix64 (Steele, Lea, Flood 2014): 64 bits of state, a Weyl step and a
 * mixing function, passing BigCrush. Its state lives in kctx.state, made by prepare for each plan
 * and advanced by each run: a session runs one call at a time, so the state needs no lock, and it
 * is freed with the plan. A seed taken from a per-run counter in the plan would have worked as
 * well, but it would have put a field in the plan for six operators; the node's state is where
 * the planner already keeps what belongs to one node. So: the same seed gives the same values in
 * the first run of every new plan (a new session, or a new input shape), and successive runs of a
 * plan go on drawing new values, as onnxruntime's do. */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static double rng_unit(rng *g)
{
    return (double)(rng_next(g) >> 11) * 0x1.0p-53;
}

/* ---- shared rules ---- */

/* seed is a float attribute: its value (exactly) picks the stream. Without one, the spec lets the
 * runtime choose: the name of the node's first output, so that a model gives the same values on
 * every run of the program (reproducible outside a test too) while two unseeded nodes draw
 * different streams. */
static onnxbn_status rng_prepare(onnxbn_kctx *c)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    if (onnxbn_attr_has(c, "seed")) {
        float seed;
        onnxbn_status st = onnxbn_attr_float(c, "seed", 0.0f, &seed);
        if (st)
            return st;
        double d = (double)seed + 0.0; /* -0 and +0 are the same seed */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        h = (h ^ bits) * 0x100000001b3u;
    } else {
        for (const char *p = onnxbn_node_output_name(c->node, 0); *p; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3u;
        h ^= 0x5bd1e995u; /* unseeded streams differ from the seeded one of the same bits */
    }
    rng *g = malloc(sizeof *g);
    if (!g)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory for the generator state");
    g->s = h;
    rng_next(g); /* one step, so that nearby seeds do not start from nearby states */
    c->state = g;
    return ONNXBN_OK;
}

/* The output type: the 'dtype' attribute when given, else `def` (ONNXBN_UNDEFINED when the input's
 * type is the default and it is not one of `allowed`). */
static onnxbn_status out_dtype(const onnxbn_kctx *c, onnxbn_dtype def, const char *def_what,
                               uint32_t allowed, onnxbn_dtype *out)
{
    int64_t v = def;
    onnxbn_status st = onnxbn_attr_int(c, "dtype", def, &v);
    if (st)
        return st;
    if (!onnxbn_attr_has(c, "dtype")) {
        if (v < 0 || v > 31 || !(allowed & MV_T((onnxbn_dtype)v)))
            return onnxbn_mv_check_dtype(c, (onnxbn_dtype)def, def_what, allowed);
    } else if (v < 0 || v > 31) {
        return onnxbn_node_fail(c, ONNXBN_ERR_TYPE, "attribute 'dtype' is %lld, not an element type",
                                (long long)v);
    } else if ((st = onnxbn_mv_check_dtype(c, (onnxbn_dtype)v, "attribute 'dtype'", allowed))) {
        return st;
    }
    *out = (onnxbn_dtype)v;
    return ONNXBN_OK;
}

/* Output 0's shape: the 'shape' attribute (RandomNormal, RandomUniform), else input 0's. */
static onnxbn_status rand_shape(const onnxbn_kctx *c, onnxbn_dtype t)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    if (x)
        return onnxbn_mv_set_out(c, 0, t, x->rank, x->dims);
    const int64_t *dims;
    size_t n;
    onnxbn_status st = onnxbn_attr_ints(c, "shape", &dims, &n);
    if (st)
        return st;
    if (n > ONNXBN_MAX_RANK)
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED,
                                "attribute 'shape' has rank %zu, onnxbn supports up to %d", n,
                                ONNXBN_MAX_RANK);
    for (size_t k = 0; k < n; k++)
        if (dims[k] < 0)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                    "attribute 'shape' has the negative dimension %lld at %zu",
                                    (long long)dims[k], k);
    return onnxbn_mv_set_out(c, 0, t, (int)n, dims);
}

/* ---- RandomNormal, RandomUniform and their Like forms ---- */

static const onnxbn_attr_spec normal_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"mean", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"scale", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"shape", ONNXBN_ATTR_INTS, true, 0, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec uniform_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"high", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"low", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"shape", ONNXBN_ATTR_INTS, true, 0, 0},
    {NULL, 0, false, 0, 0},
};
/* The Like forms: the same without 'shape'. */
static const onnxbn_attr_spec normal_like_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"mean", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"scale", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec uniform_like_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"high", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"low", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status random_infer(onnxbn_kctx *c)
{
    onnxbn_dtype t = ONNXBN_FLOAT;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    char what[160] = "";
    if (x)
        snprintf(what, sizeof what, "input 'input' ('%.100s'), whose type is the default output type,",
                 mv_in_name(c, 0));
    /* Without 'dtype', the Like forms take the input's type (which may be any type; the output
     * can only be a float type), the others float. */
    onnxbn_status st = out_dtype(c, x ? x->dtype : ONNXBN_FLOAT, what, MV_FLOATS, &t);
    if (st)
        return st;
    float lo, hi;
    if (onnxbn_attr_has(c, "high") || onnxbn_attr_has(c, "low")) {
        if ((st = onnxbn_attr_float(c, "low", 0.0f, &lo)) ||
            (st = onnxbn_attr_float(c, "high", 1.0f, &hi)))
            return st;
        if (!(lo < hi) || !isfinite(lo) || !isfinite(hi))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                    "attributes 'low' %g and 'high' %g: [low, high) is not a finite, "
                                    "non-empty interval", lo, hi);
    }
    return rand_shape(c, t);
}

static bool is_uniform(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_RandomUniform || c->op == ONNXBN_OP_RandomUniformLike;
}

static onnxbn_status random_run(onnxbn_kctx *c)
{
    rng *g = c->state;
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(g && y && (MV_FLOATS & MV_T(y->dtype)), c->err);
    onnxbn_status st;
    if (is_uniform(c)) {
        float lo, hi;
        if ((st = onnxbn_attr_float(c, "low", 0.0f, &lo)) ||
            (st = onnxbn_attr_float(c, "high", 1.0f, &hi)))
            return st;
        for (int64_t i = 0; i < y->numel; i++) {
            /* low + u (high - low) can round up to high (in double, or when stored in a narrower
             * type); such a draw is drawn again, so the values stay in [low, high) with the
             * distribution uniform over what the type can hold. Infer made sure low < high, and
             * low itself is always below high, so the loop ends; it is bounded anyway. */
            for (int tries = 0;; tries++) {
                double v = tries < 64 ? lo + rng_unit(g) * ((double)hi - lo) : lo;
                onnxbn_set_f64(y, i, v);
                if (onnxbn_get_f64(y, i) < hi || tries >= 64)
                    break;
            }
        }
        return ONNXBN_OK;
    }
    float mean, scale;
    if ((st = onnxbn_attr_float(c, "mean", 0.0f, &mean)) ||
        (st = onnxbn_attr_float(c, "scale", 1.0f, &scale)))
        return st;
    /* Box-Muller, both values of each pair used; 1 - u is in (0, 1], so the log is finite. */
    const double two_pi = 6.283185307179586476925;
    for (int64_t i = 0; i < y->numel; i += 2) {
        const double r = sqrt(-2.0 * log(1.0 - rng_unit(g))), a = two_pi * rng_unit(g);
        onnxbn_set_f64(y, i, mean + scale * r * cos(a));
        if (i + 1 < y->numel)
            onnxbn_set_f64(y, i + 1, mean + scale * r * sin(a));
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_random_normal = {
    .attrs = normal_attrs, .infer = random_infer, .prepare = rng_prepare, .run = random_run,
};
const onnxbn_op_def onnxbn_op_random_uniform = {
    .attrs = uniform_attrs, .infer = random_infer, .prepare = rng_prepare, .run = random_run,
};
const onnxbn_op_def onnxbn_op_random_normal_like = {
    .attrs = normal_like_attrs, .infer = random_infer, .prepare = rng_prepare, .run = random_run,
};
const onnxbn_op_def onnxbn_op_random_uniform_like = {
    .attrs = uniform_like_attrs, .infer = random_infer, .prepare = rng_prepare, .run = random_run,
};

/* ---- Bernoulli ---- */

static const onnxbn_attr_spec bernoulli_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status bernoulli_infer(onnxbn_kctx *c)
{
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", MV_FLOATS);
    if (st)
        return st;
    onnxbn_dtype t = ONNXBN_UNDEFINED;
    const uint32_t out_types = MV_NUMERIC | MV_T(ONNXBN_BFLOAT16) | MV_T(ONNXBN_BOOL);
    if ((st = out_dtype(c, onnxbn_in(c, 0)->dtype, "input 'input'", out_types, &t)))
        return st;
    return rand_shape(c, t);
}

/* y = 1 with probability p: u < p for u uniform in [0, 1). A p at or below 0 (or NaN) always
 * gives 0 and one at or above 1 always 1, the limits of the same rule. */
static onnxbn_status bernoulli_run(onnxbn_kctx *c)
{
    rng *g = c->state;
    const onnxbn_tensor *p = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    ONNXBN_CHECK(g && p && y && p->numel == y->numel, c->err);
    for (int64_t i = 0; i < y->numel; i++)
        onnxbn_set_f64(y, i, rng_unit(g) < onnxbn_get_f64(p, i) ? 1.0 : 0.0);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_bernoulli = {
    .attrs = bernoulli_attrs, .infer = bernoulli_infer, .prepare = rng_prepare, .run = bernoulli_run,
};

/* ---- Multinomial ---- */

static const onnxbn_attr_spec multinomial_attrs[] = {
    {"dtype", ONNXBN_ATTR_INT, false, 0, 0},
    {"sample_size", ONNXBN_ATTR_INT, false, 0, 0},
    {"seed", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

static onnxbn_status multinomial_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", MV_FLOATS);
    if (st)
        return st;
    if (x->rank != 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'input' has rank %d, expected 2 ([batch_size, class_size])",
                                x->rank);
    onnxbn_dtype t = ONNXBN_UNDEFINED;
    if ((st = out_dtype(c, ONNXBN_INT32, "", MV_INDEX, &t)))
        return st;
    int64_t n;
    if ((st = onnxbn_attr_int(c, "sample_size", 1, &n)))
        return st;
    if (n < 1)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'sample_size' is %lld, expected >= 1",
                                (long long)n);
    if (x->dims[1] == 0 && x->dims[0] > 0)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE,
                                "input 'input' has no class to draw from (class_size 0)");
    /* One row's cumulative weights in double. */
    if (!onnxbn_mul_size((size_t)x->dims[1], sizeof(double), &c->workspace))
        return onnxbn_node_fail(c, ONNXBN_ERR_LIMIT, "class_size %lld is too large",
                                (long long)x->dims[1]);
    const int64_t dims[2] = {x->dims[0], n};
    return onnxbn_mv_set_out(c, 0, t, 2, dims);
}

/* Each row of the input holds unnormalised log-probabilities: class k is drawn with probability
 * exp(x_k) / sum exp(x). The weights are exp(x_k - max) (no overflow), accumulated; a draw is the
 * first class whose running sum passes u * total (a binary search). */
static onnxbn_status multinomial_run(onnxbn_kctx *c)
{
    rng *g = c->state;
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    double *cum = c->scratch;
    ONNXBN_CHECK(g && x && y && x->rank == 2 && y->rank == 2 && y->dims[0] == x->dims[0], c->err);
    const int64_t batch = x->dims[0], classes = x->dims[1], n = y->dims[1];
    ONNXBN_CHECK(classes > 0 || batch == 0, c->err);
    ONNXBN_CHECK(cum || classes == 0, c->err);
    for (int64_t b = 0; b < batch; b++) {
        double top = -INFINITY;
        for (int64_t k = 0; k < classes; k++) {
            double v = onnxbn_get_f64(x, b * classes + k);
            if (isnan(v) || v == INFINITY)
                return onnxbn_node_fail(c, ONNXBN_ERR_ARG,
                                        "input 'input' row %lld holds %s at class %lld: not a "
                                        "log-probability", (long long)b, isnan(v) ? "NaN" : "+inf",
                                        (long long)k);
            if (v > top)
                top = v;
        }
        if (top == -INFINITY)
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG,
                                    "input 'input' row %lld is -inf throughout: no class has a "
                                    "probability", (long long)b);
        double total = 0.0;
        for (int64_t k = 0; k < classes; k++) {
            total += exp(onnxbn_get_f64(x, b * classes + k) - top);
            cum[k] = total;
        }
        for (int64_t s = 0; s < n; s++) {
            const double r = rng_unit(g) * total;
            int64_t lo = 0, hi = classes - 1; /* the first k with cum[k] > r */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cum[mid] > r)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            /* u * total may round up to total itself: step back over zero-weight classes. */
            while (lo > 0 && cum[lo] == cum[lo - 1])
                lo--;
            onnxbn_set_f64(y, b * n + s, (double)lo);
        }
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_multinomial = {
    .attrs = multinomial_attrs, .infer = multinomial_infer, .prepare = rng_prepare,
    .run = multinomial_run,
};
