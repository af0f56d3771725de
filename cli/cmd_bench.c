/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_bench.c — `onnxbn bench`: times repeated runs of a model on fixed random inputs and reports
 * median/min/p90 latency, optionally per node and per operator type. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

const char cmd_bench_help[] =
    "usage: onnxbn bench MODEL [options]\n"
    "\n"
    "Runs MODEL repeatedly on deterministic random inputs and prints latency statistics.\n"
    "The session is opened once (open time is reported separately); the first --warmup runs\n"
    "are not counted.\n"
    "\n"
    "options:\n"
    "  --iters N          timed runs (default 50)\n"
    "  --warmup N         untimed runs first (default 5)\n"
    "  --threads N        worker threads (default 1)\n"
    "  --no-fold          do not fold BatchNormalization into weights at open\n"
    "  --profile          also print time per operator type and the slowest nodes\n"
    "  --json             print one JSON object instead: model, median_ms, min_ms, p90_ms,\n"
    "                     mean_ms, iters, warmup, threads, fold, open_ms, blas, blas_core,\n"
    "                     isa, arena_bytes, arena_lower_bound_bytes, and with --profile ops\n"
    "                     (milliseconds per run by operator type); docs/cli.md says more\n"
    "  --dim NAME=VALUE   size of the symbolic dimension NAME (repeatable; default 1)\n"
    CLI_INPUT_SHAPE_HELP
    "  --seed N           seed of the random inputs (default 0)\n"
    CLI_MAX_MEMORY_HELP
    CLI_TIMEOUT_HELP;

typedef struct bench_args {
    const char *model;
    int64_t iters, warmup, threads;
    bool no_fold, profile, json;
    uint64_t seed, max_memory;
    double timeout;
    cli_dim *dims;
    int n_dims;
    cli_inshape *shapes;
    int n_shapes;
} bench_args;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_count(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!cli_parse_i64(v, out) || *out < lo || *out > hi)
        return cli_usage("bench", "%s wants a number from %lld to %lld, not '%s'", opt,
                         (long long)lo, (long long)hi, v);
    return CLI_OK;
}

static int parse_args(int argc, char **argv, bench_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r, rc = CLI_OK;
        if (argv[i][0] != '-' || !argv[i][1]) {
            if (a->model)
                return cli_usage("bench", "unexpected argument '%s'", argv[i]);
            a->model = argv[i];
        } else if (!strcmp(argv[i], "--no-fold")) {
            a->no_fold = true;
        } else if (!strcmp(argv[i], "--profile")) {
            a->profile = true;
        } else if (!strcmp(argv[i], "--json")) {
            a->json = true;
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--iters", &v)) != 0) {
            rc = r < 0 ? CLI_USAGE : parse_count("--iters", v, 1, 10000000, &a->iters);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--warmup", &v)) != 0) {
            rc = r < 0 ? CLI_USAGE : parse_count("--warmup", v, 0, 10000000, &a->warmup);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--threads", &v)) != 0) {
            rc = r < 0 ? CLI_USAGE : parse_count("--threads", v, 1, 1024, &a->threads);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--max-memory", &v)) != 0) {
            if (r < 0 || !cli_parse_size(v, &a->max_memory))
                return r < 0 ? CLI_USAGE
                             : cli_usage("bench", "--max-memory wants a byte count like 512M, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--timeout", &v)) != 0) {
            if (r < 0 || !cli_parse_timeout(v, &a->timeout))
                return r < 0 ? CLI_USAGE
                             : cli_usage("bench", "--timeout wants seconds from 0 to 1e9, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--seed", &v)) != 0) {
            if (r < 0 || !cli_parse_u64(v, &a->seed))
                return r < 0 ? CLI_USAGE : cli_usage("bench", "--seed wants a number, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--input-shape", &v)) != 0) {
            if (r < 0 || (r = cli_parse_input_shape("bench", (char *)v, &a->shapes[a->n_shapes++])))
                return r < 0 ? CLI_USAGE : r;
        } else if ((r = cli_opt(argc, argv, &i, "bench", "--dim", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            const char *eq = strchr(v, '=');
            int64_t n;
            if (!eq || eq == v || !cli_parse_i64(eq + 1, &n) || n < 0)
                return cli_usage("bench", "--dim wants NAME=VALUE with VALUE >= 0, not '%s'", v);
            *(char *)eq = 0; /* the name becomes its own string inside argv */
            a->dims[a->n_dims++] = (cli_dim){.name = v, .value = n};
        } else {
            return cli_usage("bench", "unknown option '%s'", argv[i]);
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (!a->model)
        return cli_usage("bench", "no model given");
    return CLI_OK;
}

/* Per operator type: total time per run, summed over its nodes. */
typedef struct op_time {
    const char *op;
    double ms;
    int nodes;
} op_time;

static int cmp_op_time(const void *a, const void *b)
{
    double x = ((const op_time *)a)->ms, y = ((const op_time *)b)->ms;
    return (x < y) - (x > y);
}

static size_t gather_ops(const onnxbn_session *s, op_time *ops, double *total)
{
    size_t n_ops = 0, n = onnxbn_session_profile_count(s);
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name, *op;
        uint64_t ns, runs;
        onnxbn_session_profile_get(s, i, &name, &op, &ns, &runs);
        double ms = runs ? (double)ns * 1e-6 / (double)runs : 0;
        *total += ms;
        size_t k = 0;
        while (k < n_ops && strcmp(ops[k].op, op))
            k++;
        if (k == n_ops)
            ops[n_ops++] = (op_time){.op = op};
        ops[k].ms += ms;
        ops[k].nodes++;
    }
    qsort(ops, n_ops, sizeof *ops, cmp_op_time);
    return n_ops;
}

static void print_profile(const onnxbn_session *s)
{
    size_t n = onnxbn_session_profile_count(s);
    op_time *ops = calloc(n + 1, sizeof *ops);
    if (!ops)
        return;
    double total;
    size_t n_ops = gather_ops(s, ops, &total);
    printf("\nper operator type (ms per run, share of node time):\n");
    for (size_t k = 0; k < n_ops; k++)
        printf("  %-24s %9.4f  %5.1f%%  (%d node%s)\n", ops[k].op, ops[k].ms,
               total > 0 ? 100 * ops[k].ms / total : 0, ops[k].nodes, ops[k].nodes == 1 ? "" : "s");
    printf("\nslowest nodes (ms per run):\n");
    /* n is small enough for a selection of the top 10 by repeated scans. */
    bool *shown = calloc(n + 1, sizeof *shown);
    for (int top = 0; shown && top < 10; top++) {
        size_t best = n;
        double best_ms = -1;
        for (size_t i = 0; i < n; i++) {
            uint64_t ns, runs;
            onnxbn_session_profile_get(s, i, NULL, NULL, &ns, &runs);
            double ms = runs ? (double)ns * 1e-6 / (double)runs : 0;
            if (!shown[i] && runs && ms > best_ms) {
                best = i;
                best_ms = ms;
            }
        }
        if (best == n)
            break;
        shown[best] = true;
        const char *name, *op;
        onnxbn_session_profile_get(s, best, &name, &op, NULL, NULL);
        printf("  #%-5zu %-20s %-30s %9.4f\n", best, op, *name ? name : "-", best_ms);
    }
    free(shown);
    free(ops);
}

/* MB below 1 MB would print as 0.00: small models get kB or bytes. */
static void print_bytes(uint64_t n)
{
    if (n < 1000)
        printf("%llu bytes", (unsigned long long)n);
    else if (n < 1000000)
        printf("%.1f kB", (double)n / 1e3);
    else
        printf("%.2f MB", (double)n / 1e6);
}

/* The activation arena against the least that the buffers' lifetimes allow (docs/cli.md); then
 * the process's peak resident set against the model file, the measure of weights held once
 * (bench/memory.sh). ru_maxrss is in KiB on Linux. */
static void print_memory(const char *path, const onnxbn_session *s)
{
    onnxbn_memory_info mem = ONNXBN_MEMORY_INFO_INIT;
    if (!onnxbn_session_memory(s, &mem))
        return;
    printf("activation arena: ");
    print_bytes(mem.arena_bytes);
    printf(" (lower bound ");
    print_bytes(mem.arena_lower_bound);
    printf(", ratio %.3f)\n",
           mem.arena_lower_bound ? (double)mem.arena_bytes / (double)mem.arena_lower_bound : 1.0);
    struct stat sb;
    struct rusage ru;
    if (stat(path, &sb) != 0 || getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    uint64_t peak = (uint64_t)ru.ru_maxrss * 1024;
    printf("memory:   file ");
    print_bytes((uint64_t)sb.st_size);
    printf("   plan constants ");
    print_bytes(mem.constant_bytes);
    printf("   peak RSS ");
    print_bytes(peak);
    printf(" (%.2fx the file)\n", sb.st_size ? (double)peak / (double)sb.st_size : 0.0);
}

static void print_json(const bench_args *a, const double *t, double open_ms, const onnxbn_session *s)
{
    int64_t n = a->iters;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += t[i];
    printf("{\"model\": \"");
    for (const char *p = a->model; *p; p++) /* paths rarely need escaping; quotes do */
        printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    printf("\", \"median_ms\": %.6f, \"min_ms\": %.6f, \"p90_ms\": %.6f, \"mean_ms\": %.6f, "
           "\"iters\": %lld, \"warmup\": %lld, \"threads\": %lld, \"fold\": %s, \"open_ms\": %.6f, "
           "\"blas\": \"%s\", \"blas_core\": \"%s\", \"isa\": \"%s\"",
           t[n / 2], t[0], t[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], sum / (double)n,
           (long long)n, (long long)a->warmup, (long long)a->threads, a->no_fold ? "false" : "true",
           open_ms, onnxbn_blas_info(), onnxbn_blas_core(), onnxbn_cpu_isa());
    onnxbn_memory_info mem = ONNXBN_MEMORY_INFO_INIT;
    onnxbn_session_memory(s, &mem);
    printf(", \"arena_bytes\": %llu, \"arena_lower_bound_bytes\": %llu",
           (unsigned long long)mem.arena_bytes, (unsigned long long)mem.arena_lower_bound);
    if (a->profile) {
        size_t np = onnxbn_session_profile_count(s);
        op_time *ops = calloc(np + 1, sizeof *ops);
        double total;
        size_t n_ops = ops ? gather_ops(s, ops, &total) : 0;
        printf(", \"ops\": {");
        for (size_t k = 0; k < n_ops; k++)
            printf("%s\"%s\": %.6f", k ? ", " : "", ops[k].op, ops[k].ms);
        printf("}");
        free(ops);
    }
    printf("}\n");
}

int cmd_bench(int argc, char **argv)
{
    bench_args a = {.iters = 50, .warmup = 5, .threads = 1};
    a.dims = calloc((size_t)argc + 1, sizeof *a.dims);
    a.shapes = calloc((size_t)argc + 1, sizeof *a.shapes);
    if (!a.dims || !a.shapes) {
        free(a.dims);
    free(a.shapes);
        return cli_error("out of memory");
    }
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) {
        free(a.dims);
    free(a.shapes);
        return rc;
    }
    onnxbn_options opt = {.size = sizeof opt, .threads = (int)a.threads, .no_fold = a.no_fold, .profile = a.profile,
                          .max_memory = a.max_memory, .timeout = a.timeout};
    onnxbn_error err = {0};
    onnxbn_session *s = NULL;
    double t0 = now_ms();
    if (cli_open_session(a.model, &opt, a.shapes, a.n_shapes, &s, &err) != ONNXBN_OK) {
        free(a.dims);
    free(a.shapes);
        return cli_lib_error(&err);
    }
    if (onnxbn_session_set_timeout(s, a.timeout, &err) != ONNXBN_OK) {
        onnxbn_session_free(s);
        free(a.dims);
    free(a.shapes);
        return cli_lib_error(&err);
    }
    double open_ms = now_ms() - t0;
    const onnxbn_model *m = onnxbn_session_model(s);
    size_t n_in = onnxbn_model_input_count(m);
    onnxbn_tensor **in = calloc(n_in + 1, sizeof *in);
    const char **names = calloc(n_in + 1, sizeof *names);
    double *times = calloc((size_t)a.iters, sizeof *times);
    cli_rng rng = {a.seed};
    rc = in && names && times ? CLI_OK : cli_error("out of memory");
    for (size_t i = 0; rc == CLI_OK && i < n_in; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        names[i] = vi->name;
        rc = cli_random_input(vi, a.dims, a.n_dims, &rng, &in[i]);
    }
    for (int k = 0; rc == CLI_OK && k < a.n_dims; k++)
        if (!a.dims[k].used)
            rc = cli_usage("bench", "--dim %s: the model's inputs have no dimension of that name",
                           a.dims[k].name);
    for (int64_t i = 0; rc == CLI_OK && i < a.warmup + a.iters; i++) {
        if (i == a.warmup)
            onnxbn_session_profile_reset(s);
        double t = now_ms();
        if (onnxbn_session_run(s, n_in, names, (const onnxbn_tensor *const *)in, &err) != ONNXBN_OK)
            rc = cli_lib_error(&err);
        else if (i >= a.warmup)
            times[i - a.warmup] = now_ms() - t;
    }
    if (rc == CLI_OK) {
        qsort(times, (size_t)a.iters, sizeof *times, cmp_double);
        int64_t n = a.iters;
        if (a.json) {
            print_json(&a, times, open_ms, s);
        } else {
            double sum = 0;
            for (int64_t i = 0; i < n; i++)
                sum += times[i];
            printf("model:    %s\n", a.model);
            printf("blas:     %s%s%s%s\n", onnxbn_blas_info(), *onnxbn_blas_core() ? " (" : "",
                   onnxbn_blas_core(), *onnxbn_blas_core() ? ")" : "");
            printf("threads:  %lld   fold: %s   warmup: %lld   iters: %lld\n", (long long)a.threads,
                   a.no_fold ? "no" : "yes", (long long)a.warmup, (long long)n);
            printf("open:     %.3f ms\n", open_ms);
            printf("latency:  median %.4f ms   min %.4f ms   p90 %.4f ms   mean %.4f ms\n",
                   times[n / 2], times[0], times[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1],
                   sum / (double)n);
            printf("throughput: %.1f runs/s (at the median)\n", 1e3 / times[n / 2]);
            print_memory(a.model, s);
            if (a.profile)
                print_profile(s);
        }
    }
    for (size_t i = 0; in && i < n_in; i++)
        onnxbn_tensor_free(in[i]);
    free(in);
    free(names);
    free(times);
    free(a.dims);
    free(a.shapes);
    onnxbn_session_free(s);
    return rc;
}
