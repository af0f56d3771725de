/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_run.c — `onnxbn run MODEL [NAME=FILE ...]`: runs a model once on tensor files or on seeded
 * random inputs, prints each output and optionally writes them as .pb or .npy files. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const char cmd_run_help[] =
    "usage: onnxbn run MODEL [NAME=FILE | FILE ...] [options]\n\n"
    "Runs MODEL once. Inputs come from tensor files (.pb TensorProto or .npy, told apart by\n"
    "content): NAME=FILE binds by input name, a bare FILE binds to the next model input in order.\n"
    "An input the model declares as a sequence or an optional is read from a .pb SequenceProto or\n"
    "OptionalProto, and such outputs are printed element by element and written back so.\n"
    "Inputs not given are filled with deterministic random values (floats in [-1,1), integers in\n"
    "[0,10), booleans 0/1) of the declared shape; symbolic dimensions are 1 unless set by --dim.\n"
    "Prints each output's name, type, shape and first values.\n\n"
    "options:\n"
    "  -o DIR             write the outputs to DIR/output_K.pb (DIR is created if missing)\n"
    "  --npy              write .npy files instead of .pb\n"
    "  --seed N           seed of the random inputs (default 0)\n"
    "  --dim NAME=VALUE   size of the symbolic dimension NAME in random inputs (repeatable)\n"
    CLI_INPUT_SHAPE_HELP
    "  --threads N        worker threads (default 1)\n"
    "  --show N           values printed per output (default 8)\n"
    "  --no-fold          run the model as stored (by default BatchNormalization is folded into\n"
    "                     the neighbouring layers when the model is opened, as `fuse` would)\n"
    CLI_MAX_MEMORY_HELP
    CLI_TIMEOUT_HELP;

typedef struct run_args {
    const char *model, *outdir;
    bool npy, no_fold;
    uint64_t seed, max_memory;
    double timeout;
    int threads, show;
    char **files; /* input arguments as given (argv strings, which may be edited) */
    int n_files;
    cli_dim *dims;
    int n_dims;
    cli_inshape *shapes;
    int n_shapes;
} run_args;

/* Parses argv into a; returns CLI_OK or the exit code of a reported usage error. */
static int parse_args(int argc, char **argv, run_args *a)
{
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
            if (strcmp(argv[i], "--") == 0) {
                dashdash = true;
            } else if (strcmp(argv[i], "--npy") == 0) {
                a->npy = true;
            } else if (strcmp(argv[i], "--no-fold") == 0) {
                a->no_fold = true;
            } else if ((r = cli_opt(argc, argv, &i, "run", "-o", &v)) != 0) {
                if (r < 0)
                    return CLI_USAGE;
                a->outdir = v;
            } else if ((r = cli_opt(argc, argv, &i, "run", "--max-memory", &v)) != 0) {
                if (r < 0)
                    return CLI_USAGE;
                if (!cli_parse_size(v, &a->max_memory))
                    return cli_usage("run", "--max-memory wants a byte count like 512M, not '%s'", v);
            } else if ((r = cli_opt(argc, argv, &i, "run", "--timeout", &v)) != 0) {
                if (r < 0)
                    return CLI_USAGE;
                if (!cli_parse_timeout(v, &a->timeout))
                    return cli_usage("run", "--timeout wants seconds from 0 to 1e9, not '%s'", v);
            } else if ((r = cli_opt(argc, argv, &i, "run", "--seed", &v)) != 0) {
                if (r < 0)
                    return CLI_USAGE;
                if (!cli_parse_u64(v, &a->seed))
                    return cli_usage("run", "--seed wants a non-negative integer, not '%s'", v);
            } else if ((r = cli_opt(argc, argv, &i, "run", "--threads", &v)) != 0) {
                int64_t n;
                if (r < 0)
                    return CLI_USAGE;
                if (!cli_parse_i64(v, &n) || n < 1 || n > 1024)
                    return cli_usage("run", "--threads wants a number from 1 to 1024, not '%s'", v);
                a->threads = (int)n;
            } else if ((r = cli_opt(argc, argv, &i, "run", "--show", &v)) != 0) {
                int64_t n;
                if (r < 0)
                    return CLI_USAGE;
                if (!cli_parse_i64(v, &n) || n < 0 || n > 1000000)
                    return cli_usage("run", "--show wants a count, not '%s'", v);
                a->show = (int)n;
            } else if ((r = cli_opt(argc, argv, &i, "run", "--input-shape", &v)) != 0) {
                if (r < 0 || (r = cli_parse_input_shape("run", (char *)v, &a->shapes[a->n_shapes++])))
                    return r < 0 ? CLI_USAGE : r;
            } else if ((r = cli_opt(argc, argv, &i, "run", "--dim", &v)) != 0) {
                if (r < 0)
                    return CLI_USAGE;
                const char *eq = strchr(v, '=');
                int64_t n;
                if (!eq || eq == v || !cli_parse_i64(eq + 1, &n) || n < 0)
                    return cli_usage("run", "--dim wants NAME=VALUE with VALUE >= 0, not '%s'", v);
                cli_dim *d = &a->dims[a->n_dims++];
                /* Points into argv; the '=' is cut so the name is its own string. */
                *(char *)eq = 0;
                d->name = v;
                d->value = n;
            } else {
                return cli_usage("run", "unknown option '%s'", argv[i]);
            }
        } else if (!a->model) {
            a->model = argv[i];
        } else {
            a->files[a->n_files++] = argv[i];
        }
    }
    if (!a->model)
        return cli_usage("run", "no model given");
    return CLI_OK;
}

static void print_tensor(const char *what, const char *name, const onnxbn_tensor *t,
                         const char *from, int show)
{
    char shape[CLI_SHAPE_MAX];
    if (onnxbn_tensor_kind(t) != ONNXBN_KIND_TENSOR) {
        /* a sequence: its length, then each element as a tensor; an empty optional: that */
        if (onnxbn_tensor_kind(t) == ONNXBN_KIND_NONE)
            printf("%s '%s': empty optional%s%s%s\n", what, name, from ? " (" : "", from ? from : "",
                   from ? ")" : "");
        else
            printf("%s '%s': sequence of %zu %s%s%s%s\n", what, name, onnxbn_sequence_length(t),
                   onnxbn_dtype_name(onnxbn_tensor_dtype(t)), from ? " (" : "", from ? from : "",
                   from ? ")" : "");
        for (size_t i = 0; i < onnxbn_sequence_length(t); i++) {
            char label[32];
            snprintf(label, sizeof label, "  [%zu]", i);
            print_tensor(label, name, onnxbn_sequence_at(t, i), NULL, show);
        }
        return;
    }
    printf("%s '%s': %s %s", what, name, onnxbn_dtype_name(onnxbn_tensor_dtype(t)),
           cli_shape(onnxbn_tensor_rank(t), onnxbn_tensor_dims(t), shape, sizeof shape));
    if (from)
        printf(" (%s)", from);
    if (show > 0) {
        printf(" = ");
        cli_print_values(stdout, t, show);
    }
    printf("\n");
}

static int make_outdir(const char *dir)
{
    if (cli_is_dir(dir))
        return CLI_OK;
    if (mkdir(dir, 0777) != 0)
        return cli_error("cannot create folder '%s': %s", dir, strerror(errno));
    return CLI_OK;
}

static int write_outputs(const onnxbn_session *s, const run_args *a)
{
    const onnxbn_model *m = onnxbn_session_model(s);
    int rc = make_outdir(a->outdir);
    for (size_t i = 0; rc == CLI_OK && i < onnxbn_model_output_count(m); i++) {
        char file[64];
        snprintf(file, sizeof file, "output_%zu.%s", i, a->npy ? "npy" : "pb");
        char *path = cli_path_join(a->outdir, file);
        if (!path)
            return cli_error("out of memory");
        onnxbn_error err = {0};
        const onnxbn_tensor *t = onnxbn_session_output(s, i);
        /* a sequence or optional goes out as the SequenceProto/OptionalProto the model declares */
        const onnxbn_value_info *vi = onnxbn_model_output(m, i);
        onnxbn_status st = a->npy ? onnxbn_tensor_write_npy(path, t, &err)
                                  : onnxbn_value_write_pb(path, t, vi->name, vi->kind, &err);
        if (st)
            rc = cli_lib_error(&err);
        else
            printf("wrote %s\n", path);
        free(path);
    }
    return rc;
}

/* Binds the input arguments and random fills; names[i]/tensors[i] for each model input fed. */
static int bind_inputs(const onnxbn_model *m, run_args *a, const char **names,
                       onnxbn_tensor **tensors, size_t *n_fed)
{
    size_t n_in = onnxbn_model_input_count(m), pos = 0, n = 0;
    for (int f = 0; f < a->n_files; f++) {
        onnxbn_kind as = ONNXBN_KIND_TENSOR;
        char *arg = a->files[f], *eq = strchr(arg, '=');
        const char *file = arg, *name;
        /* NAME=FILE, unless the whole argument is a file that has '=' in its name. Inputs with
         * an initializer may be fed by name too, so unknown names are left to the library. */
        if (eq && eq != arg && !cli_is_file(arg)) {
            *eq = 0; /* argv strings are writable and outlive the run */
            name = arg;
            file = eq + 1;
        } else {
            if (pos >= n_in)
                return cli_usage("run", "more input files than model inputs (%zu)", n_in);
            name = onnxbn_model_input(m, pos++)->name;
        }
        for (size_t k = 0; k < n_in; k++)
            if (!strcmp(onnxbn_model_input(m, k)->name, name))
                as = onnxbn_model_input(m, k)->kind;
        for (size_t k = 0; k < n; k++)
            if (strcmp(names[k], name) == 0)
                return cli_usage("run", "input '%s' is given twice", name);
        onnxbn_error err = {0};
        if (onnxbn_value_read_file(file, as, &tensors[n], NULL, &err) != ONNXBN_OK)
            return cli_lib_error(&err);
        names[n++] = name;
        *n_fed = n;
        print_tensor("input", name, tensors[n - 1], file, 0);
    }
    cli_rng rng = {a->seed};
    for (size_t i = 0; i < n_in; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        bool given = false;
        for (size_t k = 0; k < n && !given; k++)
            given = strcmp(names[k], vi->name) == 0;
        if (given)
            continue;
        if (vi->kind != ONNXBN_KIND_TENSOR)
            return cli_usage("run", "input '%s' is a sequence or optional: give it as a .pb file "
                                    "(SequenceProto or OptionalProto)", vi->name);
        int rc = cli_random_input(vi, a->dims, a->n_dims, &rng, &tensors[n]);
        if (rc)
            return rc;
        names[n++] = vi->name;
        *n_fed = n;
        char from[64];
        snprintf(from, sizeof from, "random, seed %llu", (unsigned long long)a->seed);
        print_tensor("input", vi->name, tensors[n - 1], from, 0);
    }
    for (int k = 0; k < a->n_dims; k++)
        if (!a->dims[k].used)
            return cli_usage("run", "no random input has a dimension named '%s'", a->dims[k].name);
    return CLI_OK;
}

int cmd_run(int argc, char **argv)
{
    run_args a = {.show = 8};
    a.files = calloc((size_t)argc, sizeof *a.files);
    a.dims = calloc((size_t)argc, sizeof *a.dims);
    a.shapes = calloc((size_t)argc, sizeof *a.shapes);
    if (!a.files || !a.dims || !a.shapes) {
        free(a.shapes);
        free(a.files);
        free(a.dims);
        return cli_error("out of memory");
    }
    int rc = parse_args(argc, argv, &a);
    onnxbn_session *s = NULL;
    const char **names = NULL;
    onnxbn_tensor **tensors = NULL;
    size_t n_fed = 0;
    if (rc)
        goto done;

    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .threads = a.threads, .max_memory = a.max_memory, .no_fold = a.no_fold,
                          .timeout = a.timeout};
    if (cli_open_session(a.model, &opt, a.shapes, a.n_shapes, &s, &err) != ONNXBN_OK ||
        onnxbn_session_set_timeout(s, a.timeout, &err) != ONNXBN_OK) {
        rc = cli_lib_error(&err);
        goto done;
    }
    const onnxbn_model *m = onnxbn_session_model(s);
    size_t cap = onnxbn_model_input_count(m) + (size_t)a.n_files + 1;
    names = calloc(cap, sizeof *names);
    tensors = calloc(cap, sizeof *tensors);
    if (!names || !tensors) {
        rc = cli_error("out of memory");
        goto done;
    }
    rc = bind_inputs(m, &a, names, tensors, &n_fed);
    if (rc)
        goto done;
    if (onnxbn_session_run(s, n_fed, names, (const onnxbn_tensor *const *)tensors, &err) !=
        ONNXBN_OK) {
        rc = cli_lib_error(&err);
        goto done;
    }
    for (size_t i = 0; i < onnxbn_model_output_count(m); i++)
        print_tensor("output", onnxbn_model_output(m, i)->name, onnxbn_session_output(s, i), NULL,
                     a.show);
    if (a.outdir)
        rc = write_outputs(s, &a);
done:
    for (size_t i = 0; i < n_fed; i++)
        onnxbn_tensor_free(tensors[i]);
    free(tensors);
    free(names);
    onnxbn_session_free(s);
    free(a.files);
    free(a.dims);
    free(a.shapes);
    return rc;
}
