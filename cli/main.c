/* SPDX-License-Identifier: Apache-2.0 */
/* main.c — the onnxbn command line: finds the subcommand in the table and hands it the arguments.
 * A new command (fuse, bench ...) is one function and one row in `commands`. */
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"info", cmd_info, "print a model's inputs, outputs, opsets and operators", cmd_info_help},
    {"run", cmd_run, "run a model on tensor files or random inputs", cmd_run_help},
    {"test", cmd_test, "run ONNX backend test cases (model.onnx + test_data_set_N)", cmd_test_help},
    {"fuse", cmd_fuse, "fold BatchNormalization and clean a model up for deployment", cmd_fuse_help},
    {"bench", cmd_bench, "time repeated runs of a model (median/min/p90, per-node profile)", cmd_bench_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f)
{
    fprintf(f, "usage: onnxbn COMMAND [ARGS...]\n"
               "       onnxbn COMMAND --help\n"
               "       onnxbn --version\n\n"
               "A small ONNX runtime and BatchNormalization-folding converter.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEnvironment: ONNXBN_ISA=avx512|avx2|generic caps the instruction set the kernels use\n"
               "(lowers, never raises, what the CPU has; an unknown value is ignored). --version\n"
               "prints the version and the instruction set in use.\n"
               "\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n");
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(NULL, "no command given");
    const char *arg = argv[1];
    if (cli_is_help(arg)) {
        print_help(stdout);
        return CLI_OK;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("onnxbn %s\nisa: %s\n", onnxbn_version(), onnxbn_cpu_isa());
        return CLI_OK;
    }
    if (strcmp(arg, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_OK;
        }
        const cli_command *c = find(argv[2]);
        if (!c)
            return cli_usage(NULL, "unknown command '%s'", argv[2]);
        fputs(c->help, stdout);
        return CLI_OK;
    }
    if (arg[0] == '-')
        return cli_usage(NULL, "unknown option '%s'", arg);
    const cli_command *c = find(arg);
    if (!c)
        return cli_usage(NULL, "unknown command '%s'", arg);
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (cli_is_help(argv[i])) {
            fputs(c->help, stdout);
            return CLI_OK;
        }
    }
    return c->run(argc - 1, argv + 1);
}
