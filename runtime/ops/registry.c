/* registry.c — the one table of operators: (domain, op_type, versions) → def. Adding an operator
 * is one line here plus its file in runtime/ops/. */
#include <string.h>

#include "op.h"

extern const onnxbn_op_def onnxbn_op_batchnorm;
extern const onnxbn_op_def onnxbn_op_gemm;
extern const onnxbn_op_def onnxbn_op_relu;
/* extern: conv */
extern const onnxbn_op_def onnxbn_op_conv;
extern const onnxbn_op_def onnxbn_op_convtranspose;
/* extern: pool */
extern const onnxbn_op_def onnxbn_op_maxpool;
extern const onnxbn_op_def onnxbn_op_averagepool;
extern const onnxbn_op_def onnxbn_op_lppool;
extern const onnxbn_op_def onnxbn_op_global_averagepool;
extern const onnxbn_op_def onnxbn_op_global_maxpool;
extern const onnxbn_op_def onnxbn_op_global_lppool;
/* extern: norm */
extern const onnxbn_op_def onnxbn_op_softmax;
extern const onnxbn_op_def onnxbn_op_logsoftmax;
extern const onnxbn_op_def onnxbn_op_hardmax;
extern const onnxbn_op_def onnxbn_op_instancenorm;
extern const onnxbn_op_def onnxbn_op_lrn;
extern const onnxbn_op_def onnxbn_op_layernorm;
extern const onnxbn_op_def onnxbn_op_mvn;
/* extern: binary */
extern const onnxbn_op_def onnxbn_op_add;
extern const onnxbn_op_def onnxbn_op_sub;
extern const onnxbn_op_def onnxbn_op_mul;
extern const onnxbn_op_def onnxbn_op_div;
extern const onnxbn_op_def onnxbn_op_pow;
extern const onnxbn_op_def onnxbn_op_mod;
extern const onnxbn_op_def onnxbn_op_bitshift;
extern const onnxbn_op_def onnxbn_op_equal;
extern const onnxbn_op_def onnxbn_op_less;
extern const onnxbn_op_def onnxbn_op_greater;
extern const onnxbn_op_def onnxbn_op_less_or_equal;
extern const onnxbn_op_def onnxbn_op_greater_or_equal;
extern const onnxbn_op_def onnxbn_op_and;
extern const onnxbn_op_def onnxbn_op_or;
extern const onnxbn_op_def onnxbn_op_xor;
extern const onnxbn_op_def onnxbn_op_not;
extern const onnxbn_op_def onnxbn_op_where;
extern const onnxbn_op_def onnxbn_op_sum;
extern const onnxbn_op_def onnxbn_op_mean;
extern const onnxbn_op_def onnxbn_op_max;
extern const onnxbn_op_def onnxbn_op_min;
/* extern: unary */
extern const onnxbn_op_def onnxbn_op_sqrt;
extern const onnxbn_op_def onnxbn_op_exp;
extern const onnxbn_op_def onnxbn_op_log;
extern const onnxbn_op_def onnxbn_op_neg;
extern const onnxbn_op_def onnxbn_op_abs;
extern const onnxbn_op_def onnxbn_op_reciprocal;
extern const onnxbn_op_def onnxbn_op_floor;
extern const onnxbn_op_def onnxbn_op_ceil;
extern const onnxbn_op_def onnxbn_op_round;
extern const onnxbn_op_def onnxbn_op_sign;
extern const onnxbn_op_def onnxbn_op_sin;
extern const onnxbn_op_def onnxbn_op_cos;
extern const onnxbn_op_def onnxbn_op_tan;
extern const onnxbn_op_def onnxbn_op_asin;
extern const onnxbn_op_def onnxbn_op_acos;
extern const onnxbn_op_def onnxbn_op_atan;
extern const onnxbn_op_def onnxbn_op_sinh;
extern const onnxbn_op_def onnxbn_op_cosh;
extern const onnxbn_op_def onnxbn_op_asinh;
extern const onnxbn_op_def onnxbn_op_acosh;
extern const onnxbn_op_def onnxbn_op_atanh;
extern const onnxbn_op_def onnxbn_op_erf;
extern const onnxbn_op_def onnxbn_op_isnan;
extern const onnxbn_op_def onnxbn_op_isinf;
extern const onnxbn_op_def onnxbn_op_clip_legacy;
extern const onnxbn_op_def onnxbn_op_clip;
extern const onnxbn_op_def onnxbn_op_sigmoid;
extern const onnxbn_op_def onnxbn_op_tanh;
extern const onnxbn_op_def onnxbn_op_softplus;
extern const onnxbn_op_def onnxbn_op_softsign;
extern const onnxbn_op_def onnxbn_op_hardswish;
extern const onnxbn_op_def onnxbn_op_mish;
extern const onnxbn_op_def onnxbn_op_leakyrelu;
extern const onnxbn_op_def onnxbn_op_hardsigmoid;
extern const onnxbn_op_def onnxbn_op_elu;
extern const onnxbn_op_def onnxbn_op_selu;
extern const onnxbn_op_def onnxbn_op_celu;
extern const onnxbn_op_def onnxbn_op_thresholdedrelu;
extern const onnxbn_op_def onnxbn_op_shrink;
extern const onnxbn_op_def onnxbn_op_prelu;
/* extern: shape_a */
extern const onnxbn_op_def onnxbn_op_reshape;
extern const onnxbn_op_def onnxbn_op_flatten;
extern const onnxbn_op_def onnxbn_op_squeeze;
extern const onnxbn_op_def onnxbn_op_unsqueeze;
extern const onnxbn_op_def onnxbn_op_identity;
extern const onnxbn_op_def onnxbn_op_dropout;
extern const onnxbn_op_def onnxbn_op_shape;
extern const onnxbn_op_def onnxbn_op_size;
extern const onnxbn_op_def onnxbn_op_constant;
extern const onnxbn_op_def onnxbn_op_constant_of_shape;
extern const onnxbn_op_def onnxbn_op_range;
extern const onnxbn_op_def onnxbn_op_cast;
/* extern: shape_b */
extern const onnxbn_op_def onnxbn_op_transpose;
extern const onnxbn_op_def onnxbn_op_concat;
extern const onnxbn_op_def onnxbn_op_split;
extern const onnxbn_op_def onnxbn_op_slice;
extern const onnxbn_op_def onnxbn_op_gather;
extern const onnxbn_op_def onnxbn_op_expand;
extern const onnxbn_op_def onnxbn_op_tile;
extern const onnxbn_op_def onnxbn_op_pad;
/* extern: reduce */
extern const onnxbn_op_def onnxbn_op_reduce_sum;
extern const onnxbn_op_def onnxbn_op_reduce_mean;
extern const onnxbn_op_def onnxbn_op_reduce_max;
extern const onnxbn_op_def onnxbn_op_reduce_min;
extern const onnxbn_op_def onnxbn_op_reduce_prod;
extern const onnxbn_op_def onnxbn_op_reduce_l1;
extern const onnxbn_op_def onnxbn_op_reduce_l2;
extern const onnxbn_op_def onnxbn_op_reduce_log_sum;
extern const onnxbn_op_def onnxbn_op_reduce_log_sum_exp;
extern const onnxbn_op_def onnxbn_op_reduce_sum_square;
extern const onnxbn_op_def onnxbn_op_argmax;
extern const onnxbn_op_def onnxbn_op_argmin;
/* extern: matmul */
extern const onnxbn_op_def onnxbn_op_matmul;
/* extern: misc */

static const onnxbn_op_def *const table[] = {
    &onnxbn_op_batchnorm,
    &onnxbn_op_gemm,
    &onnxbn_op_relu,
    /* table: conv */
    &onnxbn_op_conv,
    &onnxbn_op_convtranspose,
    /* table: pool */
    &onnxbn_op_maxpool,
    &onnxbn_op_averagepool,
    &onnxbn_op_lppool,
    &onnxbn_op_global_averagepool,
    &onnxbn_op_global_maxpool,
    &onnxbn_op_global_lppool,
    /* table: norm */
    &onnxbn_op_softmax,
    &onnxbn_op_logsoftmax,
    &onnxbn_op_hardmax,
    &onnxbn_op_instancenorm,
    &onnxbn_op_lrn,
    &onnxbn_op_layernorm,
    &onnxbn_op_mvn,
    /* table: binary */
    &onnxbn_op_add,
    &onnxbn_op_sub,
    &onnxbn_op_mul,
    &onnxbn_op_div,
    &onnxbn_op_pow,
    &onnxbn_op_mod,
    &onnxbn_op_bitshift,
    &onnxbn_op_equal,
    &onnxbn_op_less,
    &onnxbn_op_greater,
    &onnxbn_op_less_or_equal,
    &onnxbn_op_greater_or_equal,
    &onnxbn_op_and,
    &onnxbn_op_or,
    &onnxbn_op_xor,
    &onnxbn_op_not,
    &onnxbn_op_where,
    &onnxbn_op_sum,
    &onnxbn_op_mean,
    &onnxbn_op_max,
    &onnxbn_op_min,
    /* table: unary */
    &onnxbn_op_sqrt,
    &onnxbn_op_exp,
    &onnxbn_op_log,
    &onnxbn_op_neg,
    &onnxbn_op_abs,
    &onnxbn_op_reciprocal,
    &onnxbn_op_floor,
    &onnxbn_op_ceil,
    &onnxbn_op_round,
    &onnxbn_op_sign,
    &onnxbn_op_sin,
    &onnxbn_op_cos,
    &onnxbn_op_tan,
    &onnxbn_op_asin,
    &onnxbn_op_acos,
    &onnxbn_op_atan,
    &onnxbn_op_sinh,
    &onnxbn_op_cosh,
    &onnxbn_op_asinh,
    &onnxbn_op_acosh,
    &onnxbn_op_atanh,
    &onnxbn_op_erf,
    &onnxbn_op_isnan,
    &onnxbn_op_isinf,
    &onnxbn_op_clip_legacy,
    &onnxbn_op_clip,
    &onnxbn_op_sigmoid,
    &onnxbn_op_tanh,
    &onnxbn_op_softplus,
    &onnxbn_op_softsign,
    &onnxbn_op_hardswish,
    &onnxbn_op_mish,
    &onnxbn_op_leakyrelu,
    &onnxbn_op_hardsigmoid,
    &onnxbn_op_elu,
    &onnxbn_op_selu,
    &onnxbn_op_celu,
    &onnxbn_op_thresholdedrelu,
    &onnxbn_op_shrink,
    &onnxbn_op_prelu,
    /* table: shape_a */
    &onnxbn_op_reshape,
    &onnxbn_op_flatten,
    &onnxbn_op_squeeze,
    &onnxbn_op_unsqueeze,
    &onnxbn_op_identity,
    &onnxbn_op_dropout,
    &onnxbn_op_shape,
    &onnxbn_op_size,
    &onnxbn_op_constant,
    &onnxbn_op_constant_of_shape,
    &onnxbn_op_range,
    &onnxbn_op_cast,
    /* table: shape_b */
    &onnxbn_op_transpose,
    &onnxbn_op_concat,
    &onnxbn_op_split,
    &onnxbn_op_slice,
    &onnxbn_op_gather,
    &onnxbn_op_expand,
    &onnxbn_op_tile,
    &onnxbn_op_pad,
    /* table: reduce */
    &onnxbn_op_reduce_sum,
    &onnxbn_op_reduce_mean,
    &onnxbn_op_reduce_max,
    &onnxbn_op_reduce_min,
    &onnxbn_op_reduce_prod,
    &onnxbn_op_reduce_l1,
    &onnxbn_op_reduce_l2,
    &onnxbn_op_reduce_log_sum,
    &onnxbn_op_reduce_log_sum_exp,
    &onnxbn_op_reduce_sum_square,
    &onnxbn_op_argmax,
    &onnxbn_op_argmin,
    /* table: matmul */
    &onnxbn_op_matmul,
    /* table: misc */
    NULL,
};

const onnxbn_op_def *const *onnxbn_op_table(void) { return table; }

static bool same_domain(const char *a, const char *b)
{
    bool da = !*a || !strcmp(a, "ai.onnx"), db = !*b || !strcmp(b, "ai.onnx");
    return da || db ? da && db : !strcmp(a, b);
}

/* The version in force is the newest one not newer than the model's opset. Several defs may share
 * an op_type (e.g. one per version range); the one with the newest applicable version wins. */
const onnxbn_op_def *onnxbn_op_find(const char *domain, const char *op_type, int64_t opset,
                                    int *version)
{
    const onnxbn_op_def *best = NULL;
    int best_v = 0;
    for (const onnxbn_op_def *const *d = table; *d; d++) {
        if (strcmp((*d)->op_type, op_type) || !same_domain((*d)->domain, domain))
            continue;
        for (int i = 0; i < (int)(sizeof (*d)->versions / sizeof (*d)->versions[0]) && (*d)->versions[i]; i++)
            if ((*d)->versions[i] <= opset && (*d)->versions[i] > best_v) {
                best = *d;
                best_v = (*d)->versions[i];
            }
    }
    if (version)
        *version = best_v;
    return best;
}
