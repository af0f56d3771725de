/* SPDX-License-Identifier: Apache-2.0 */
/* training.c — the ai.onnx.preview.training optimizers Adagrad, Adam and Momentum (version 1): one
 * step of each over any number of tensors, inputs R, T, then the X's, G's and state groups. */
#include <math.h>
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec adagrad_attrs[] = {
    {"decay_factor", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"epsilon", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"norm_coefficient", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec adam_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"beta", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"epsilon", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"norm_coefficient", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {"norm_coefficient_post", ONNXBN_ATTR_FLOAT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};
static const onnxbn_attr_spec momentum_attrs[] = {
    {"alpha", ONNXBN_ATTR_FLOAT, true, 0, 0},
    {"beta", ONNXBN_ATTR_FLOAT, true, 0, 0},
    {"mode", ONNXBN_ATTR_STRING, true, 0, 0},
    {"norm_coefficient", ONNXBN_ATTR_FLOAT, true, 0, 0},
    {NULL, 0, false, 0, 0},
};

#define OPT_FLOATS (ONNXBN_TM(ONNXBN_FLOAT) | ONNXBN_TM(ONNXBN_DOUBLE))

/* Per optimized tensor the inputs are X, G and `groups - 2` states; the outputs X_new and the new
 * states. Adagrad: X G H -> X H; Adam: X G V H -> X V H; Momentum: X G V -> X V. */
static int opt_groups(const onnxbn_kctx *c)
{
    return c->op == ONNXBN_OP_Adam ? 4 : 3;
}

/* Checks counts, types and shapes; *n: how many tensors are optimized. */
static onnxbn_status opt_check(const onnxbn_kctx *c, int *n)
{
    const int k = opt_groups(c);
    const int vars = c->n_in - 2;
    onnxbn_status st;
    if (vars <= 0 || vars % k)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has %d inputs after R and T; %s takes %d per "
                                "optimized tensor (%s)", vars, onnxbn_op_name(c), k,
                                k == 4 ? "X, G, V, H" : c->op == ONNXBN_OP_Adagrad ? "X, G, H" : "X, G, V");
    *n = vars / k;
    if (c->n_out != *n * (k - 1))
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "has %d outputs; for %d optimized tensors %s "
                                "gives %d", c->n_out, *n, onnxbn_op_name(c), *n * (k - 1));
    if ((st = onnxbn_check_input_type(c, 0, "R", OPT_FLOATS)) ||
        (st = onnxbn_check_input_type(c, 1, "T", ONNXBN_TM(ONNXBN_INT64))))
        return st;
    for (int i = 0; i < 2; i++)
        if (onnxbn_in(c, i)->numel != 1)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input '%s' ('%.100s') has %lld elements; "
                                    "it is a scalar", i ? "T" : "R", mv_in_name(c, i),
                                    (long long)onnxbn_in(c, i)->numel);
    for (int j = 0; j < *n; j++) {
        const onnxbn_tensor *x = onnxbn_in(c, 2 + j);
        if ((st = onnxbn_check_input_type(c, 2 + j, "X", OPT_FLOATS)))
            return st;
        for (int g = 1; g < k; g++) {
            const int i = 2 + g * *n + j;
            const onnxbn_tensor *t = onnxbn_in(c, i);
            if (!t)
                return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "input %d is missing", i);
            if (t->dtype != x->dtype || !onnxbn_same_shape(t, x)) {
                char ts[ONNXBN_SHAPE_STR_MAX], xs[ONNXBN_SHAPE_STR_MAX];
                return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input %d ('%.100s', %s %s) does not "
                                        "match its tensor X, input %d ('%.100s', %s %s)", i,
                                        mv_in_name(c, i), onnxbn_dtype_name(t->dtype),
                                        onnxbn_shape_str(t, ts, sizeof ts), 2 + j,
                                        mv_in_name(c, 2 + j), onnxbn_dtype_name(x->dtype),
                                        onnxbn_shape_str(x, xs, sizeof xs));
            }
        }
    }
    return ONNXBN_OK;
}

static onnxbn_status opt_infer(onnxbn_kctx *c)
{
    int n;
    onnxbn_status st = opt_check(c, &n);
    if (st)
        return st;
    if (c->op == ONNXBN_OP_Momentum) {
        char mode[16];
        if ((st = onnxbn_attr_string(c, "mode", "", mode, sizeof mode)))
            return st;
        if (strcmp(mode, "standard") && strcmp(mode, "nesterov"))
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'mode' is '%s'; expected "
                                    "'standard' or 'nesterov'", mode);
    }
    /* Output g*n + j is the new value of input (g == 0 ? X : state g) of tensor j. */
    for (int o = 0; o < c->n_out; o++) {
        const onnxbn_tensor *x = onnxbn_in(c, 2 + o % n);
        if ((st = onnxbn_mv_set_out(c, o, x->dtype, x->rank, x->dims)))
            return st;
    }
    return ONNXBN_OK;
}

typedef struct opt_par {
    double r, a, b, eps, norm, post; /* r: R as this step adjusts it */
    bool nesterov;
} opt_par;

static onnxbn_status opt_params(const onnxbn_kctx *c, opt_par *p)
{
    float a = 0, b = 0, eps = 0, norm = 0, post = 0, decay = 0;
    char mode[16] = "";
    onnxbn_status st;
    const double r = onnxbn_get_f64(onnxbn_in(c, 0), 0);
    const int64_t t = onnxbn_get_i64(onnxbn_in(c, 1), 0);
    memset(p, 0, sizeof *p);
    switch (c->op) {
    case ONNXBN_OP_Adagrad:
        if ((st = onnxbn_attr_float(c, "decay_factor", 0.0f, &decay)) ||
            (st = onnxbn_attr_float(c, "epsilon", 1e-6f, &eps)) ||
            (st = onnxbn_attr_float(c, "norm_coefficient", 0.0f, &norm)))
            return st;
        p->r = r / (1 + (double)t * decay);
        break;
    case ONNXBN_OP_Adam:
        if ((st = onnxbn_attr_float(c, "alpha", 0.9f, &a)) ||
            (st = onnxbn_attr_float(c, "beta", 0.999f, &b)) ||
            (st = onnxbn_attr_float(c, "epsilon", 1e-6f, &eps)) ||
            (st = onnxbn_attr_float(c, "norm_coefficient", 0.0f, &norm)) ||
            (st = onnxbn_attr_float(c, "norm_coefficient_post", 0.0f, &post)))
            return st;
        /* Bias correction of both moments from the first counted step on. */
        p->r = t > 0 ? r * sqrt(1 - pow(b, (double)t)) / (1 - pow(a, (double)t)) : r;
        break;
    default:
        if ((st = onnxbn_attr_float(c, "alpha", 0.0f, &a)) ||
            (st = onnxbn_attr_float(c, "beta", 0.0f, &b)) ||
            (st = onnxbn_attr_float(c, "norm_coefficient", 0.0f, &norm)) ||
            (st = onnxbn_attr_string(c, "mode", "", mode, sizeof mode)))
            return st;
        p->r = r;
        /* The gradient's coefficient is 1 at the first step (T = 0), then beta. */
        if (t <= 0)
            b = 1;
        p->nesterov = !strcmp(mode, "nesterov");
    }
    p->a = a, p->b = b, p->eps = eps, p->norm = norm, p->post = post;
    return ONNXBN_OK;
}

static onnxbn_status opt_run(onnxbn_kctx *c)
{
    int n;
    opt_par p;
    onnxbn_status st;
    if ((st = opt_check(c, &n)) || (st = opt_params(c, &p)))
        return st;
    for (int j = 0; j < n; j++) {
        const onnxbn_tensor *x = onnxbn_in(c, 2 + j), *gr = onnxbn_in(c, 2 + n + j);
        const onnxbn_tensor *s1 = onnxbn_in(c, 2 + 2 * n + j);
        const onnxbn_tensor *s2 = c->op == ONNXBN_OP_Adam ? onnxbn_in(c, 2 + 3 * n + j) : NULL;
        onnxbn_tensor *xo = onnxbn_out(c, j), *o1 = onnxbn_out(c, n + j);
        onnxbn_tensor *o2 = c->op == ONNXBN_OP_Adam ? onnxbn_out(c, 2 * n + j) : NULL;
        for (int64_t i = 0; i < x->numel; i++) {
            const double xv = onnxbn_get_f64(x, i);
            const double g = p.norm * xv + onnxbn_get_f64(gr, i);
            double xn, n1, n2 = 0;
            switch (c->op) {
            case ONNXBN_OP_Adagrad:
                n1 = onnxbn_get_f64(s1, i) + g * g;
                xn = xv - p.r * g / (sqrt(n1) + p.eps);
                break;
            case ONNXBN_OP_Adam:
                n1 = p.a * onnxbn_get_f64(s1, i) + (1 - p.a) * g;
                n2 = p.b * onnxbn_get_f64(s2, i) + (1 - p.b) * g * g;
                xn = (1 - p.post) * (xv - p.r * n1 / (sqrt(n2) + p.eps));
                break;
            default:
                n1 = p.a * onnxbn_get_f64(s1, i) + p.b * g;
                xn = xv - p.r * (p.nesterov ? g + p.a * n1 : n1);
            }
            if (xo)
                onnxbn_set_f64(xo, i, xn);
            if (o1)
                onnxbn_set_f64(o1, i, n1);
            if (o2)
                onnxbn_set_f64(o2, i, n2);
        }
    }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_adagrad = {.attrs = adagrad_attrs, .infer = opt_infer, .run = opt_run};
const onnxbn_op_def onnxbn_op_adam = {.attrs = adam_attrs, .infer = opt_infer, .run = opt_run};
const onnxbn_op_def onnxbn_op_momentum = {.attrs = momentum_attrs, .infer = opt_infer, .run = opt_run};
