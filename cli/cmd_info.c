/* cmd_info.c — `onnxbn info MODEL`: what a model declares (IR version, producer, opsets, inputs and
 * outputs with types and shapes) and what it holds (operators by count, initializers). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cmd_info_help[] =
    "usage: onnxbn info MODEL\n\n"
    "Prints the model's IR version, producer, opset imports, inputs and outputs (element type\n"
    "and shape; symbolic dimensions by name, '?' when unknown), the node count per operator type\n"
    "(most frequent first) and the number and size of the initializers.\n";

typedef struct op_count {
    const char *op;
    size_t n;
} op_count;

static int by_count(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->op, y->op);
}

static void print_values(const char *title, size_t n, const onnxbn_model *m,
                         const onnxbn_value_info *(*get)(const onnxbn_model *, size_t))
{
    printf("%s: %zu\n", title, n);
    for (size_t i = 0; i < n; i++) {
        const onnxbn_value_info *vi = get(m, i);
        char shape[CLI_SHAPE_MAX];
        const char *type = vi->dtype == ONNXBN_UNDEFINED ? "?" : onnxbn_dtype_name(vi->dtype);
        printf("  %s: %s %s\n", vi->name, type, cli_info_shape(vi, shape, sizeof shape));
    }
}

static int print_ops(const onnxbn_model *m)
{
    size_t n = onnxbn_model_node_count(m), k = 0;
    op_count *ops = calloc(n ? n : 1, sizeof *ops);
    if (!ops)
        return cli_error("out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *op = onnxbn_model_node_op_type(m, i);
        size_t j = 0;
        while (j < k && strcmp(ops[j].op, op) != 0)
            j++;
        if (j == k)
            ops[k++].op = op;
        ops[j].n++;
    }
    qsort(ops, k, sizeof *ops, by_count);
    printf("nodes: %zu\n", n);
    for (size_t j = 0; j < k; j++)
        printf("  %-24s %zu\n", ops[j].op, ops[j].n);
    free(ops);
    return CLI_OK;
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            if (i + 1 < argc && !path)
                path = argv[++i];
            if (i + 1 < argc)
                return cli_usage("info", "unexpected argument '%s'", argv[i + 1]);
            break;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("info", "unknown option '%s'", argv[i]);
        if (path)
            return cli_usage("info", "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!path)
        return cli_usage("info", "no model given");

    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    if (onnxbn_model_load(path, NULL, &m, &err) != ONNXBN_OK)
        return cli_lib_error(&err);

    printf("model: %s\n", path);
    printf("ir_version: %lld\n", (long long)onnxbn_model_ir_version(m));
    const char *pn = onnxbn_model_producer_name(m), *pv = onnxbn_model_producer_version(m);
    printf("producer: %s%s%s\n", pn[0] ? pn : "(none)", pv[0] ? " " : "", pv);
    printf("opsets:");
    for (size_t i = 0; i < onnxbn_model_opset_count(m); i++) {
        const char *d = onnxbn_model_opset_domain(m, i);
        printf("%s %s %lld", i ? "," : "", d[0] ? d : "ai.onnx",
               (long long)onnxbn_model_opset_version(m, i));
    }
    printf("\n");
    print_values("inputs", onnxbn_model_input_count(m), m, onnxbn_model_input);
    print_values("outputs", onnxbn_model_output_count(m), m, onnxbn_model_output);
    int rc = print_ops(m);
    printf("initializers: %zu (%llu bytes)\n", onnxbn_model_initializer_count(m),
           (unsigned long long)onnxbn_model_initializer_bytes(m));
    onnxbn_model_free(m);
    return rc;
}
