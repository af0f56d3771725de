/* registry.c — the one table of operators: (domain, op_type, versions) → def. Adding an operator
 * is one line here plus its file in runtime/ops/. */
#include <string.h>

#include "op.h"

extern const onnxbn_op_def onnxbn_op_batchnorm;
extern const onnxbn_op_def onnxbn_op_gemm;
extern const onnxbn_op_def onnxbn_op_relu;

static const onnxbn_op_def *const table[] = {
    &onnxbn_op_batchnorm,
    &onnxbn_op_gemm,
    &onnxbn_op_relu,
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
