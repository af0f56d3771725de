/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h — what the onnxbn commands share: the command table, error reporting with exit codes,
 * option parsing, tensor printing and comparison. Built on the public API (onnxbn.h) only. */
#ifndef ONNXBN_CLI_H
#define ONNXBN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "onnxbn.h"

/* Exit codes: 2 is a usage error, 1 any other failure. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* One subcommand. argv[0] is the command name; `help` is printed for --help. */
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line for `onnxbn --help` */
    const char *help;    /* the full usage text */
} cli_command;

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_fuse(int argc, char **argv);
extern const char cmd_info_help[], cmd_run_help[], cmd_test_help[], cmd_bench_help[],
    cmd_fuse_help[];

/* "onnxbn: error: <message>" on stderr; returns CLI_FAIL. */
int cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* The same plus a pointer to `onnxbn CMD --help`; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Reports a library error (its message, or the status name when it has none); returns CLI_FAIL. */
int cli_lib_error(const onnxbn_error *e);

/* Option parsing over argv[*i]: when argv[*i] is `opt` ("--rtol") or "opt=VALUE", sets *value
 * (taking the next argument in the first form) and returns 1; 0 when it is another argument;
 * -1 (after reporting a usage error) when the value is missing. */
int cli_opt(int argc, char **argv, int *i, const char *cmd, const char *opt, const char **value);
bool cli_is_help(const char *arg);
/* Strict number parsing: the whole string must be a number in range. */
bool cli_parse_i64(const char *s, int64_t *out);
bool cli_parse_u64(const char *s, uint64_t *out);
bool cli_parse_double(const char *s, double *out);
/* A byte count for --max-memory: digits with an optional binary suffix K, M, G or T ("512M"). */
bool cli_parse_size(const char *s, uint64_t *out);
#define CLI_MAX_MEMORY_HELP \
    "  --max-memory N     cap on the bytes the model may use (default 4G; suffixes K, M, G, T)\n"
/* --timeout: seconds, fractions allowed, 0 (no bound) to 1e9; onnxbn_session_set_timeout. */
bool cli_parse_timeout(const char *s, double *out);
#define CLI_TIMEOUT_HELP \
    "  --timeout SECONDS  stop any run of the model that takes longer, with an error\n" \
    "                     (fractions allowed; default 0: no bound)\n"

/* "[2,3,N]" for a declared shape (symbols by name, '?' for unknown; "unknown" for rank -1). */
const char *cli_info_shape(const onnxbn_value_info *vi, char *buf, size_t cap);
const char *cli_shape(int rank, const int64_t *dims, char *buf, size_t cap);
#define CLI_SHAPE_MAX 512

/* Element access for every numeric type (float16/bfloat16 widened); complex reads the real and
 * imaginary parts as two elements. */
bool cli_dtype_is_float(onnxbn_dtype t);
double cli_get_f64(onnxbn_dtype t, const void *data, int64_t i);
int64_t cli_get_i64(onnxbn_dtype t, const void *data, int64_t i);
/* Prints up to `max` values, space-separated, with "..." when there are more. */
void cli_print_values(FILE *f, const onnxbn_tensor *t, int max);

/* Compares got with expected by the ONNX rule: |got-exp| <= atol + rtol*|exp| for floating
 * types (NaN equals NaN, infinities exactly), exact for integers and bool; dtype and shape must
 * match. On a mismatch writes what differs into msg ("[12]: got 1.5 expected 1.25 (...)"). */
bool cli_compare(const onnxbn_tensor *got, const onnxbn_tensor *exp, double rtol, double atol,
                 char *msg, size_t cap);

/* A small deterministic PRNG (splitmix64) with its state in the caller's hands. */
typedef struct cli_rng {
    uint64_t s;
} cli_rng;
uint64_t cli_rng_next(cli_rng *r);
double cli_rng_uniform(cli_rng *r); /* [0, 1) */

/* Random inputs: values exact in every floating type (multiples of 1/128), small integers.
 * Symbolic dims take the value of a matching cli_dim (marked used) and 1 otherwise. */
typedef struct cli_dim {
    const char *name;
    int64_t value;
    bool used;
} cli_dim;
void cli_fill_random(onnxbn_tensor *t, cli_rng *rng);
/* Returns CLI_OK, or the exit code after reporting an error. */
int cli_random_input(const onnxbn_value_info *vi, cli_dim *dims, int n_dims, cli_rng *rng,
                     onnxbn_tensor **out);

/* --input-shape NAME=d0,d1,...: a graph input's shape in place of the declared one. */
typedef struct cli_inshape {
    const char *name; /* points into argv (the '=' is cut) */
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
} cli_inshape;
#define CLI_INPUT_SHAPE_HELP \
    "  --input-shape NAME=D0,D1,...\n" \
    "                     plan and run input NAME with this shape instead of the declared one\n" \
    "                     (fixed or symbolic; repeatable; NAME= alone is a scalar)\n"
/* Parses v (an argv string, edited) into *out; CLI_OK or the exit code of a usage error. */
int cli_parse_input_shape(const char *cmd, char *v, cli_inshape *out);
/* Loads path, declares the given input shapes (onnxbn_model_set_input_shape), opens a session. */
onnxbn_status cli_open_session(const char *path, const onnxbn_options *opt, const cli_inshape *sh,
                               int n_sh, onnxbn_session **out, onnxbn_error *err);

/* "dir/name" into a malloc'd string (NULL when out of memory). */
char *cli_path_join(const char *dir, const char *name);
bool cli_is_dir(const char *path);
bool cli_is_file(const char *path);

#endif
