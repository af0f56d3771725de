/* SPDX-License-Identifier: Apache-2.0 */
/* profile_nodes.c — per-node time of one model through the public profiling API, one line per
 * node ("name<TAB>op<TAB>ms per run"), for bench/profile.py to group (e.g. Conv by kind). */
#include <stdio.h>
#include <stdlib.h>

#include "onnxbn.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: profile_nodes MODEL N,C,H,W ITERS [THREADS]\n");
        return 2;
    }
    int64_t d[4];
    if (sscanf(argv[2], "%ld,%ld,%ld,%ld", &d[0], &d[1], &d[2], &d[3]) != 4)
        return 2;
    onnxbn_options opt = {.size = sizeof opt, .profile = true, .threads = argc > 4 ? atoi(argv[4]) : 1};
    onnxbn_error err;
    onnxbn_session *s;
    onnxbn_tensor *x;
    if (onnxbn_session_open(argv[1], &opt, &s, &err) || onnxbn_tensor_new(ONNXBN_FLOAT, 4, d, &x, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const char *name = onnxbn_model_input(onnxbn_session_model(s), 0)->name;
    const onnxbn_tensor *in[] = {x};
    for (int i = 0; i < 3; i++)
        onnxbn_session_run(s, 1, &name, in, &err);
    onnxbn_session_profile_reset(s);
    for (int i = 0; i < atoi(argv[3]); i++)
        if (onnxbn_session_run(s, 1, &name, in, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    for (size_t i = 0; i < onnxbn_session_profile_count(s); i++) {
        const char *nm, *op;
        uint64_t ns, runs;
        onnxbn_session_profile_get(s, i, &nm, &op, &ns, &runs);
        printf("%s\t%s\t%.4f\n", nm, op, runs ? (double)ns / 1e6 / (double)runs : 0.0);
    }
    onnxbn_tensor_free(x);
    onnxbn_session_free(s);
    return 0;
}
