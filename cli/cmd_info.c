/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_info.c — `onnxbn info MODEL`: what a model declares (IR version, producer, opsets, inputs and
 * outputs with types and shapes) and what it holds (operators by count, initializers), as text,
 * JSON or a Graphviz graph, before or after BatchNormalization folding. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

const char cmd_info_help[] =
    "usage: onnxbn info MODEL [--dot | --json | --shapes] [--fused] [--dim NAME=VALUE]\n"
    "                   [--input-shape NAME=D0,D1,...]\n\n"
    "Prints the model's IR version, producer, opset imports, inputs and outputs (element type\n"
    "and shape; symbolic dimensions by name, '?' when unknown), the node count per operator type\n"
    "(most frequent first; '(not supported by onnxbn)' after a type onnxbn does not run at the\n"
    "model's opset), the number and size of the initializers, and the nodes that hold\n"
    "subgraphs (If's branches: each one's name, node count and inputs, which are the outer\n"
    "values it reads; nested ones indented).\n\n"
    "options:\n"
    "  --dot      write the graph in Graphviz format instead (render: dot -Tsvg): one box per\n"
    "             node with its weights' shapes, edges labelled with the shapes the model\n"
    "             declares, else with those the planner infers (as --shapes);\n"
    "             BatchNormalization nodes that `onnxbn fuse` folds are orange and\n"
    "             dashed, operators onnxbn does not implement red; a node with subgraphs\n"
    "             lists each one's name and node count in its box\n"
    "  --json     print one JSON object instead (documented in docs/cli.md)\n"
    "  --fused    describe the model as `onnxbn fuse` would write it (every pass, in memory);\n"
    "             with --dot, layers that absorbed a BatchNormalization are green\n"
    "  --shapes   print every value instead, one line each in graph order (the inputs, then\n"
    "             each node's outputs): name, element type and shape as the runtime's planner\n"
    "             infers them. A dimension that follows an unbound symbol is shown as that\n"
    "             symbol's expression (N, 2*N, N+1; '?' when not affine in one symbol); a\n"
    "             value whose shape depends on the data (NonZero ...) is 'unknown'\n"
    "  --dim NAME=VALUE   with --shapes: bind the symbolic dimension NAME (repeatable)\n"
    CLI_INPUT_SHAPE_HELP
    CLI_MAX_MEMORY_HELP;

typedef struct op_count {
    const char *op;
    size_t n;
    bool unsupported; /* some node of this type is not one onnxbn runs (operator or opset) */
} op_count;

static int by_count(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->op, y->op);
}

/* "sequence of ", "optional " ... before a declared element type, "" for a tensor. */
static const char *kind_prefix(onnxbn_kind k)
{
    return k == ONNXBN_KIND_SEQUENCE            ? "sequence of "
           : k == ONNXBN_KIND_OPTIONAL_TENSOR   ? "optional "
           : k == ONNXBN_KIND_OPTIONAL_SEQUENCE ? "optional sequence of "
                                                : "";
}

static const char *kind_word(onnxbn_kind k)
{
    return k == ONNXBN_KIND_SEQUENCE            ? "sequence"
           : k == ONNXBN_KIND_OPTIONAL_TENSOR   ? "optional_tensor"
           : k == ONNXBN_KIND_OPTIONAL_SEQUENCE ? "optional_sequence"
                                                : "tensor";
}

static void print_values(const char *title, size_t n, const onnxbn_model *m,
                         const onnxbn_value_info *(*get)(const onnxbn_model *, size_t))
{
    printf("%s: %zu\n", title, n);
    for (size_t i = 0; i < n; i++) {
        const onnxbn_value_info *vi = get(m, i);
        char shape[CLI_SHAPE_MAX];
        const char *type = vi->dtype == ONNXBN_UNDEFINED ? "?" : onnxbn_dtype_name(vi->dtype);
        printf("  %s: %s%s %s\n", vi->name, kind_prefix(vi->kind), type,
               cli_info_shape(vi, shape, sizeof shape));
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
        if (!onnxbn_model_node_supported(m, i))
            ops[j].unsupported = true;
    }
    qsort(ops, k, sizeof *ops, by_count);
    printf("nodes: %zu\n", n);
    for (size_t j = 0; j < k; j++)
        printf("  %-24s %zu%s\n", ops[j].op, ops[j].n,
               ops[j].unsupported ? "   (not supported by onnxbn)" : "");
    free(ops);
    return CLI_OK;
}

/* Nodes that hold subgraphs, each subgraph's name, node count and outer reads; nested ones
 * indented under theirs. */
static void print_subgraphs(const onnxbn_model *m, int depth, bool *header)
{
    for (size_t i = 0; i < onnxbn_model_node_count(m); i++) {
        size_t ns = onnxbn_model_node_subgraph_count(m, i);
        if (!ns)
            continue;
        if (!*header)
            printf("subgraphs:\n");
        *header = true;
        const char *name = onnxbn_model_node_name(m, i);
        printf("%*s%s%s%s%s:", 2 + 2 * depth, "", onnxbn_model_node_op_type(m, i), name[0] ? " '" : "",
               name, name[0] ? "'" : "");
        for (size_t k = 0; k < ns; k++) {
            const char *attr = "";
            const onnxbn_model *b = onnxbn_model_node_subgraph(m, i, k, &attr);
            size_t nn = onnxbn_model_node_count(b), ni = onnxbn_model_input_count(b);
            printf("%s %s %zu node%s, %zu input%s", k ? ";" : "", attr, nn, nn == 1 ? "" : "s", ni,
                   ni == 1 ? "" : "s");
        }
        printf("\n");
        for (size_t k = 0; k < ns; k++)
            print_subgraphs(onnxbn_model_node_subgraph(m, i, k, NULL), depth + 1, header);
    }
}

/* ---- what `onnxbn fuse` does to each BatchNormalization, for the marks ---- */

typedef enum mark { MARK_NONE, MARK_BN_FOLDS, MARK_BN_CONVERTS, MARK_ABSORBED } mark;

typedef struct node_mark {
    mark kind;
    const onnxbn_fuse_entry *e; /* the report entry behind the mark */
} node_mark;

/* The node whose first output is `name`, or -1. */
static long producer_of(const onnxbn_model *m, const char *name)
{
    for (size_t i = 0; i < onnxbn_model_node_count(m); i++)
        if (onnxbn_model_node_output_count(m, i) && !strcmp(onnxbn_model_node_output(m, i, 0), name))
            return (long)i;
    return -1;
}

/* The node named `name` ("" never matches), or -1. */
static long named(const onnxbn_model *m, const char *name)
{
    for (size_t i = 0; name[0] && i < onnxbn_model_node_count(m); i++)
        if (!strcmp(onnxbn_model_node_name(m, i), name))
            return (long)i;
    return -1;
}

/* Fills marks[] (one per node of m) from a fuse report. `after` is true when m is the fused model
 * itself: a fold's result keeps the BN's output name, so the node producing it absorbed the BN
 * (a BN folded into the layer after it leaves no such name: then the layer is found by name).
 * Before, the BN node that produces it is the one that will go. */
static void mark_nodes(const onnxbn_model *m, const onnxbn_fuse_report *r, bool after,
                       node_mark *marks)
{
    for (size_t k = 0; k < onnxbn_fuse_report_count(r); k++) {
        const onnxbn_fuse_entry *e = onnxbn_fuse_report_entry(r, k);
        bool folded = !strcmp(e->action, "folded"), converted = !strcmp(e->action, "converted");
        if (!folded && !converted)
            continue;
        long i = producer_of(m, e->bn_output);
        if (i < 0 && after && folded)
            i = named(m, e->node);
        if (i < 0)
            continue;
        bool is_bn = !strcmp(onnxbn_model_node_op_type(m, (size_t)i), "BatchNormalization");
        if (after && folded && !is_bn)
            marks[i] = (node_mark){MARK_ABSORBED, e};
        else if (!after && is_bn)
            marks[i] = (node_mark){folded ? MARK_BN_FOLDS : MARK_BN_CONVERTS, e};
    }
}

/* ---- Graphviz ---- */

static void dot_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        if (*s == '\n')
            fputs("\\n", stdout);
        else
            putchar(*s);
    }
    putchar('"');
}

/* Long names make wide boxes: keep the end, which is the informative part of exported names. */
static const char *short_name(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s), keep = 40;
    if (n <= keep + 3)
        return s;
    snprintf(buf, cap, "...%s", s + n - keep);
    return buf;
}

/* Appends printf output to a fixed buffer, truncating. */
static void cat(char *buf, size_t cap, const char *fmt, ...) CLI_PRINTF(3, 4);
static void cat(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

static int input_index(const onnxbn_model *m, const char *name)
{
    for (size_t j = 0; j < onnxbn_model_input_count(m); j++)
        if (!strcmp(onnxbn_model_input(m, j)->name, name))
            return (int)j;
    return -1;
}

/* An edge from whatever makes value `name` to `to`, labelled with its declared shape, else with
 * the inferred one (sh, may be NULL). */
static void dot_edge(const onnxbn_model *m, const onnxbn_shapes *sh, const char *name,
                     const char *to)
{
    long p = -1;
    size_t slot = 0;
    for (size_t i = 0; i < onnxbn_model_node_count(m) && p < 0; i++)
        for (size_t k = 0; k < onnxbn_model_node_output_count(m, i); k++)
            if (!strcmp(onnxbn_model_node_output(m, i, k), name)) {
                p = (long)i;
                slot = k;
                break;
            }
    onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
    char shape[CLI_SHAPE_MAX] = "";
    if (p >= 0 && onnxbn_model_value(m, name, &vi, NULL) && vi.rank >= 0)
        cli_info_shape(&vi, shape, sizeof shape);
    for (size_t i = 0; p >= 0 && !shape[0] && i < onnxbn_shapes_count(sh); i++) {
        const onnxbn_value_info *si = onnxbn_shapes_value(sh, i);
        if (si->rank >= 0 && !strcmp(si->name, name))
            cli_info_shape(si, shape, sizeof shape);
    }
    if (p >= 0) {
        printf("  n%ld -> %s", p, to);
        if (slot > 0 || shape[0]) {
            char label[CLI_SHAPE_MAX + 32] = "";
            if (slot > 0)
                cat(label, sizeof label, "#%zu ", slot);
            cat(label, sizeof label, "%s", shape);
            printf(" [label=");
            dot_str(label);
            printf("]");
        }
        printf(";\n");
        return;
    }
    int j = input_index(m, name);
    if (j >= 0)
        printf("  in%d -> %s;\n", j, to);
}

static void print_dot(const char *path, const onnxbn_model *m, const onnxbn_shapes *sh,
                      const node_mark *marks, bool fused, const char *note)
{
    size_t n = onnxbn_model_node_count(m);
    int n_bn = 0, n_marked = 0;
    for (size_t i = 0; i < n; i++) {
        n_bn += !strcmp(onnxbn_model_node_op_type(m, i), "BatchNormalization");
        n_marked += marks[i].kind != MARK_NONE;
    }
    char title[1024];
    snprintf(title, sizeof title, "%s%s: %zu nodes, %d BatchNormalization", path,
             fused ? " (fused)" : "", n, n_bn);
    if (fused && n_marked)
        cat(title, sizeof title, "; %d layer%s absorbed one (green)", n_marked, n_marked == 1 ? "" : "s");
    else if (!fused && n_marked)
        cat(title, sizeof title, "; %d fold%s away (orange)", n_marked, n_marked == 1 ? "s" : "");
    printf("digraph onnxbn {\n");
    if (note)
        printf("  // %s\n", note);
    printf("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=b, label=");
    dot_str(title);
    printf("];\n");
    printf("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", color=\"#666666\", "
           "fontname=\"Helvetica\", fontsize=11];\n");
    printf("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#333333\"];\n");
    char shape[CLI_SHAPE_MAX], label[2048], nb[64];
    for (size_t j = 0; j < onnxbn_model_input_count(m); j++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, j);
        snprintf(label, sizeof label, "%s\n%s %s", vi->name,
                 vi->dtype ? onnxbn_dtype_name(vi->dtype) : "?", cli_info_shape(vi, shape, sizeof shape));
        printf("  in%zu [shape=ellipse, fillcolor=\"#d6e6f5\", label=", j);
        dot_str(label);
        printf("];\n");
    }
    for (size_t i = 0; i < n; i++) {
        const char *op = onnxbn_model_node_op_type(m, i), *name = onnxbn_model_node_name(m, i);
        snprintf(label, sizeof label, "%s", op);
        if (name[0])
            cat(label, sizeof label, "\n%s", short_name(name, nb, sizeof nb));
        /* Weights go inside the box (as separate nodes they would crowd the picture), equal
         * shapes in a row once with a count: BN's four [C] read "[C] x4". */
        char prev[CLI_SHAPE_MAX] = "";
        int reps = 0;
        for (size_t k = 0; k <= onnxbn_model_node_input_count(m, i); k++) {
            const char *in = onnxbn_model_node_input(m, i, k); /* "" past the end */
            onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
            bool init = false;
            bool w = in[0] && onnxbn_model_value(m, in, &vi, &init) && init;
            if (w && reps && !strcmp(prev, cli_info_shape(&vi, shape, sizeof shape))) {
                reps++;
                continue;
            }
            if (reps > 1)
                cat(label, sizeof label, " x%d", reps);
            if (!w)
                continue;
            const char *sep = prev[0] ? " " : "\n";
            cat(label, sizeof label, "%s%s", sep, cli_info_shape(&vi, prev, sizeof prev));
            reps = 1;
        }
        for (size_t k = 0; k < onnxbn_model_node_subgraph_count(m, i); k++) {
            const char *attr = "";
            const onnxbn_model *b = onnxbn_model_node_subgraph(m, i, k, &attr);
            size_t nn = onnxbn_model_node_count(b);
            cat(label, sizeof label, "\n%s: %zu node%s", attr, nn, nn == 1 ? "" : "s");
        }
        const char *style = "";
        const node_mark *mk = &marks[i];
        if (mk->kind == MARK_BN_FOLDS) {
            cat(label, sizeof label, "\nfolds into %s", mk->e->node[0] ? short_name(mk->e->node, nb, sizeof nb) : "the next layer");
            style = ", style=\"rounded,filled,dashed\", fillcolor=\"#fbd8a8\", color=\"#d9822b\"";
        } else if (mk->kind == MARK_BN_CONVERTS) {
            cat(label, sizeof label, "\nbecomes Mul + Add");
            style = ", style=\"rounded,filled,dashed\", fillcolor=\"#fbd8a8\", color=\"#d9822b\"";
        } else if (mk->kind == MARK_ABSORBED) {
            cat(label, sizeof label, "\n+ BatchNormalization%s%s", mk->e->bn[0] ? " " : "",
                mk->e->bn[0] ? short_name(mk->e->bn, nb, sizeof nb) : "");
            style = ", fillcolor=\"#cdebc5\", color=\"#3c8d2f\"";
        } else if (!onnxbn_model_node_supported(m, i)) {
            cat(label, sizeof label, "\n(not supported)");
            style = ", fillcolor=\"#f4c7c3\", color=\"#b3261e\"";
        }
        printf("  n%zu [label=", i);
        dot_str(label);
        printf("%s];\n", style);
    }
    char to[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(to, sizeof to, "n%zu", i);
        for (size_t k = 0; k < onnxbn_model_node_input_count(m, i); k++) {
            const char *in = onnxbn_model_node_input(m, i, k);
            onnxbn_value_info vi = ONNXBN_VALUE_INFO_INIT;
            bool init = false;
            if (in[0] && onnxbn_model_value(m, in, &vi, &init) && !init)
                dot_edge(m, sh, in, to);
        }
    }
    for (size_t o = 0; o < onnxbn_model_output_count(m); o++) {
        const onnxbn_value_info *vi = onnxbn_model_output(m, o);
        snprintf(label, sizeof label, "%s\n%s %s", vi->name,
                 vi->dtype ? onnxbn_dtype_name(vi->dtype) : "?", cli_info_shape(vi, shape, sizeof shape));
        printf("  out%zu [shape=ellipse, fillcolor=\"#d6e6f5\", label=", o);
        dot_str(label);
        printf("];\n");
        snprintf(to, sizeof to, "out%zu", o);
        /* An output edge repeats the shape its ellipse shows: leave it unlabelled. */
        long p = -1;
        for (size_t i = 0; i < n && p < 0; i++)
            for (size_t k = 0; k < onnxbn_model_node_output_count(m, i); k++)
                if (!strcmp(onnxbn_model_node_output(m, i, k), vi->name))
                    p = (long)i;
        int j = input_index(m, vi->name);
        if (p >= 0)
            printf("  n%ld -> %s;\n", p, to);
        else if (j >= 0)
            printf("  in%d -> %s;\n", j, to);
    }
    printf("}\n");
}

/* ---- JSON ---- */

static void json_values(const char *key, size_t n, const onnxbn_model *m,
                        const onnxbn_value_info *(*get)(const onnxbn_model *, size_t))
{
    printf(", \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        const onnxbn_value_info *vi = get(m, i);
        printf("%s{\"name\": ", i ? ", " : "");
        cli_json_str(stdout, vi->name);
        printf(", \"dtype\": ");
        if (vi->dtype == ONNXBN_UNDEFINED)
            printf("null");
        else
            cli_json_str(stdout, onnxbn_dtype_name(vi->dtype));
        printf(", \"shape\": ");
        cli_json_shape(stdout, vi);
        if (vi->kind != ONNXBN_KIND_TENSOR) /* the key only where it says something */
            printf(", \"kind\": \"%s\"", kind_word(vi->kind));
        printf("}");
    }
    printf("]");
}

static int print_json(const char *path, const onnxbn_model *m, const node_mark *marks,
                      const onnxbn_fuse_report *r, bool fused, const char *note)
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
    printf("{\"model\": ");
    cli_json_str(stdout, path);
    printf(", \"fused\": %s, \"ir_version\": %lld, \"producer_name\": ", fused ? "true" : "false",
           (long long)onnxbn_model_ir_version(m));
    cli_json_str(stdout, onnxbn_model_producer_name(m));
    printf(", \"producer_version\": ");
    cli_json_str(stdout, onnxbn_model_producer_version(m));
    printf(", \"opsets\": [");
    for (size_t i = 0; i < onnxbn_model_opset_count(m); i++) {
        const char *d = onnxbn_model_opset_domain(m, i);
        printf("%s{\"domain\": ", i ? ", " : "");
        cli_json_str(stdout, d[0] ? d : "ai.onnx");
        printf(", \"version\": %lld}", (long long)onnxbn_model_opset_version(m, i));
    }
    printf("]");
    json_values("inputs", onnxbn_model_input_count(m), m, onnxbn_model_input);
    json_values("outputs", onnxbn_model_output_count(m), m, onnxbn_model_output);
    printf(", \"node_count\": %zu, \"ops\": {", n);
    for (size_t j = 0; j < k; j++) {
        printf("%s", j ? ", " : "");
        cli_json_str(stdout, ops[j].op);
        printf(": %zu", ops[j].n);
    }
    printf("}, \"unsupported_ops\": [");
    int n_unsup = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = 0;
        while (i < n && strcmp(onnxbn_model_node_op_type(m, i), ops[j].op))
            i++;
        if (i < n && !onnxbn_model_node_supported(m, i)) {
            printf("%s", n_unsup++ ? ", " : "");
            cli_json_str(stdout, ops[j].op);
        }
    }
    printf("], \"initializer_count\": %zu, \"initializer_bytes\": %llu, \"nodes\": [",
           onnxbn_model_initializer_count(m), (unsigned long long)onnxbn_model_initializer_bytes(m));
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        cli_json_str(stdout, onnxbn_model_node_name(m, i));
        printf(", \"op_type\": ");
        cli_json_str(stdout, onnxbn_model_node_op_type(m, i));
        printf(", \"domain\": ");
        cli_json_str(stdout, onnxbn_model_node_domain(m, i));
        printf(", \"supported\": %s", onnxbn_model_node_supported(m, i) ? "true" : "false");
        for (size_t k = 0; k < onnxbn_model_node_subgraph_count(m, i); k++) {
            const char *attr = "";
            const onnxbn_model *b = onnxbn_model_node_subgraph(m, i, k, &attr);
            printf("%s{\"attribute\": ", k ? ", " : ", \"subgraphs\": [");
            cli_json_str(stdout, attr);
            printf(", \"nodes\": %zu, \"inputs\": %zu}", onnxbn_model_node_count(b),
                   onnxbn_model_input_count(b));
            if (k + 1 == onnxbn_model_node_subgraph_count(m, i))
                printf("]");
        }
        static const char *const lists[] = {"inputs", "outputs"};
        for (int l = 0; l < 2; l++) {
            size_t c = l ? onnxbn_model_node_output_count(m, i) : onnxbn_model_node_input_count(m, i);
            printf(", \"%s\": [", lists[l]);
            for (size_t s = 0; s < c; s++) {
                printf("%s", s ? ", " : "");
                cli_json_str(stdout, l ? onnxbn_model_node_output(m, i, s) : onnxbn_model_node_input(m, i, s));
            }
            printf("]");
        }
        const node_mark *mk = &marks[i];
        if (mk->kind != MARK_NONE) {
            printf(", \"%s\": {\"action\": ", mk->kind == MARK_ABSORBED ? "absorbed_bn" : "bn_fold");
            cli_json_str(stdout, mk->e->action);
            printf(", \"kind\": ");
            cli_json_str(stdout, mk->e->kind);
            printf(", \"bn\": ");
            cli_json_str(stdout, mk->e->bn);
            printf(", \"into\": ");
            cli_json_str(stdout, mk->e->node);
            printf("}");
        }
        printf("}");
    }
    printf("]");
    if (r) {
        const onnxbn_fuse_stats *st = onnxbn_fuse_report_stats(r);
        printf(", \"fuse\": {\"bn_before\": %d, \"bn_after\": %d, \"bn_folded\": %d, "
               "\"bn_converted\": %d, \"bn_left\": %d, \"nodes_before\": %d, \"nodes_after\": %d}",
               st->bn_before, st->bn_after, st->bn_folded, st->bn_converted, st->bn_left,
               st->nodes_before, st->nodes_after);
    }
    if (note) {
        printf(", \"fuse_error\": ");
        cli_json_str(stdout, note);
    }
    printf("}\n");
    free(ops);
    return CLI_OK;
}

/* ---- --shapes ---- */

/* Takes m (the session owns it). BatchNormalization is not folded: every value of the file is
 * listed, not those of the folded graph. */
static int print_shapes(onnxbn_model *m, const onnxbn_options *lib, const cli_dim *dims,
                        int n_dims)
{
    onnxbn_options opt = *lib;
    opt.no_fold = true;
    onnxbn_error err = {0};
    onnxbn_session *s;
    if (onnxbn_session_new(m, &opt, &s, &err) != ONNXBN_OK)
        return cli_lib_error(&err);
    const char **names = calloc((size_t)n_dims + 1, sizeof *names);
    int64_t *sizes = calloc((size_t)n_dims + 1, sizeof *sizes);
    onnxbn_shapes *sh = NULL;
    int rc = names && sizes ? CLI_OK : cli_error("out of memory");
    for (int i = 0; rc == CLI_OK && i < n_dims; i++) {
        names[i] = dims[i].name;
        sizes[i] = dims[i].value;
    }
    if (rc == CLI_OK && onnxbn_session_shapes(s, (size_t)n_dims, names, sizes, &sh, &err))
        rc = cli_lib_error(&err);
    for (size_t i = 0; rc == CLI_OK && i < onnxbn_shapes_count(sh); i++) {
        const onnxbn_value_info *vi = onnxbn_shapes_value(sh, i);
        char shape[CLI_SHAPE_MAX];
        const char *type = vi->dtype == ONNXBN_UNDEFINED ? "?" : onnxbn_dtype_name(vi->dtype);
        printf("%s: %s %s\n", vi->name, type, cli_info_shape(vi, shape, sizeof shape));
    }
    onnxbn_shapes_free(sh);
    free(names);
    free(sizes);
    onnxbn_session_free(s);
    return rc;
}

static onnxbn_shapes *infer_for_dot(const char *path, const onnxbn_options *lib, bool fused,
                                     const cli_inshape *shapes, int n_shapes)
{
    onnxbn_options opt = *lib;
    opt.no_fold = true;
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    onnxbn_session *s = NULL;
    onnxbn_shapes *sh = NULL;
    onnxbn_status st = onnxbn_model_load(path, lib, &m, &err);
    if (!st && fused)
        st = onnxbn_model_fuse(m, NULL, 0, NULL, &err);
    for (int i = 0; !st && i < n_shapes; i++)
        st = onnxbn_model_set_input_shape(m, shapes[i].name, shapes[i].rank, shapes[i].dims, &err);
    if (st)
        onnxbn_model_free(m);
    else if (!onnxbn_session_new(m, &opt, &s, &err))
        onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &err);
    onnxbn_session_free(s);
    return sh;
}

/* ---- the command ---- */

enum { FMT_TEXT, FMT_DOT, FMT_JSON, FMT_SHAPES };

static int parse(int argc, char **argv, const char **path_out, int *fmt_out, bool *fused_out,
                 onnxbn_options *lib, cli_dim *dims, int *n_dims, cli_inshape *shapes,
                 int *n_shapes)
{
    const char *path = NULL;
    int fmt = FMT_TEXT;
    bool fused = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            if (i + 1 < argc && !path)
                path = argv[++i];
            if (i + 1 < argc)
                return cli_usage("info", "unexpected argument '%s'", argv[i + 1]);
            break;
        }
        if (!strcmp(argv[i], "--dot") || !strcmp(argv[i], "--json") || !strcmp(argv[i], "--shapes")) {
            int want = argv[i][2] == 'd' ? FMT_DOT : argv[i][2] == 'j' ? FMT_JSON : FMT_SHAPES;
            if (fmt != FMT_TEXT && fmt != want)
                return cli_usage("info", "--dot, --json and --shapes do not go together");
            fmt = want;
            continue;
        }
        if (!strcmp(argv[i], "--fused")) {
            fused = true;
            continue;
        }
        const char *v;
        int r = cli_opt(argc, argv, &i, "info", "--max-memory", &v);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0) {
            if (!cli_parse_size(v, &lib->max_memory))
                return cli_usage("info", "--max-memory wants a byte count like 512M, not '%s'", v);
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "info", "--input-shape", &v)) != 0) {
            if (r < 0 || (r = cli_parse_input_shape("info", (char *)v, &shapes[(*n_shapes)++])))
                return r < 0 ? CLI_USAGE : r;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "info", "--dim", &v)) != 0) {
            const char *eq = r > 0 ? strchr(v, '=') : NULL;
            int64_t n;
            if (r < 0)
                return CLI_USAGE;
            if (!eq || eq == v || !cli_parse_i64(eq + 1, &n) || n < 0)
                return cli_usage("info", "--dim wants NAME=VALUE with VALUE >= 0, not '%s'", v);
            *(char *)eq = 0; /* the name becomes its own string inside argv */
            dims[(*n_dims)++] = (cli_dim){.name = v, .value = n};
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("info", "unknown option '%s'", argv[i]);
        if (path)
            return cli_usage("info", "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!path)
        return cli_usage("info", "no model given");
    if (*n_dims && fmt != FMT_SHAPES)
        return cli_usage("info", "--dim goes with --shapes");
    if (fused && fmt == FMT_SHAPES)
        return cli_usage("info", "--shapes describes the model as stored, not with --fused");
    *path_out = path;
    *fmt_out = fmt;
    *fused_out = fused;
    return CLI_OK;
}

static int info(const char *path, int fmt, bool fused, const onnxbn_options *lib,
                const cli_dim *dims, int n_dims, const cli_inshape *shapes, int n_shapes)
{
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    if (onnxbn_model_load(path, lib, &m, &err) != ONNXBN_OK)
        return cli_lib_error(&err);
    for (int i = 0; i < n_shapes; i++)
        if (onnxbn_model_set_input_shape(m, shapes[i].name, shapes[i].rank, shapes[i].dims,
                                         &err) != ONNXBN_OK) {
            onnxbn_model_free(m);
            return cli_lib_error(&err);
        }
    if (fmt == FMT_SHAPES)
        return print_shapes(m, lib, dims, n_dims);
    /* --dot labels the edges the model declares no shape for with the planner's (of the model
     * as loaded: without --fused the values are the file's). Best effort: a model that cannot
     * be planned (an unsupported operator ...) is drawn without them. */
    onnxbn_shapes *dot_shapes = NULL;
    if (fmt == FMT_DOT)
        dot_shapes = infer_for_dot(path, lib, fused, shapes, n_shapes);

    /* The fold marks come from the converter's report: on the model itself for --fused, else on
     * a second copy, so the picture shows what `onnxbn fuse` would do. A copy that cannot be
     * fused only loses the marks (noted in the output); --fused itself must succeed. */
    onnxbn_fuse_report *r = NULL;
    onnxbn_model *copy = NULL;
    char note[ONNXBN_MSG_MAX + 64];
    bool have_note = false;
    if (fused) {
        if (onnxbn_model_fuse(m, NULL, 0, &r, &err) != ONNXBN_OK) {
            onnxbn_model_free(m);
            return cli_lib_error(&err);
        }
    } else if (fmt != FMT_TEXT) {
        if (onnxbn_model_load(path, lib, &copy, &err) != ONNXBN_OK ||
            onnxbn_model_fuse(copy, NULL, 0, &r, &err) != ONNXBN_OK) {
            snprintf(note, sizeof note, "no fold marks: %s",
                     err.msg[0] ? err.msg : onnxbn_status_name(err.status));
            have_note = true;
            onnxbn_fuse_report_free(r);
            r = NULL;
        }
    }
    size_t n = onnxbn_model_node_count(m);
    node_mark *marks = calloc(n ? n : 1, sizeof *marks);
    int rc = CLI_OK;
    if (!marks) {
        rc = cli_error("out of memory");
        goto done;
    }
    if (r)
        mark_nodes(m, r, fused, marks);

    if (fmt == FMT_DOT) {
        print_dot(path, m, dot_shapes, marks, fused, have_note ? note : NULL);
        goto done;
    }
    if (fmt == FMT_JSON) {
        rc = print_json(path, m, marks, r, fused, have_note ? note : NULL);
        goto done;
    }
    printf("model: %s%s\n", path, fused ? " (fused)" : "");
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
    rc = print_ops(m);
    printf("initializers: %zu (%llu bytes)\n", onnxbn_model_initializer_count(m),
           (unsigned long long)onnxbn_model_initializer_bytes(m));
    bool header = false;
    print_subgraphs(m, 0, &header);
done:
    onnxbn_shapes_free(dot_shapes);
    free(marks);
    onnxbn_fuse_report_free(r);
    onnxbn_model_free(copy);
    onnxbn_model_free(m);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int fmt = FMT_TEXT;
    bool fused = false;
    onnxbn_options lib = ONNXBN_OPTIONS_INIT;
    cli_dim *dims = calloc((size_t)argc + 1, sizeof *dims);
    cli_inshape *shapes = calloc((size_t)argc + 1, sizeof *shapes);
    int n_dims = 0, n_shapes = 0;
    int rc = dims && shapes ? parse(argc, argv, &path, &fmt, &fused, &lib, dims, &n_dims, shapes,
                                    &n_shapes)
                            : cli_error("out of memory");
    if (rc != CLI_OK) {
        free(dims);
        free(shapes);
        return rc;
    }
    rc = info(path, fmt, fused, &lib, dims, n_dims, shapes, n_shapes);
    free(dims);
    free(shapes);
    return rc;
}

