/* SPDX-License-Identifier: Apache-2.0 */
/* sgemm_peak.c — the machine's single-thread SGEMM rate through onnxbn's one SGEMM interface
 * (OpenBLAS when built with it), the yardstick for the conv models' GFLOP/s in bench/run.py. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/gemm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)atoi(argv[1]) : 1024;
    float *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *b), *c = malloc(n * n * sizeof *c);
    for (size_t i = 0; i < n * n; i++) {
        a[i] = (float)(i % 7) * 0.25f;
        b[i] = (float)(i % 5) * 0.5f;
    }
    onnxbn_sgemm_single_thread();
    double best = 1e30;
    for (int r = 0; r < 12; r++) {
        double t0 = now_s();
        onnxbn_sgemm(false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = now_s() - t0;
        if (r >= 2 && t < best)
            best = t;
    }
    printf("{\"n\": %zu, \"gflops\": %.1f, \"check\": %g}\n", n, 2.0 * (double)n * n * n / best / 1e9,
           (double)c[n + 1]);
    free(a);
    free(b);
    free(c);
    return 0;
}
