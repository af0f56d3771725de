/* SPDX-License-Identifier: Apache-2.0 */
/* onnxbn_bench.c — times one model through the public API for bench/run.sh: wall time and process
 * CPU time per run (CPU time is what a loaded machine's preemptions do not inflate), as JSON. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "onnxbn.h"

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(double *v, int n, double *med, double *min, double *p90)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *min = v[0];
    *p90 = v[(int)(0.9 * (n - 1) + 0.5)];
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: onnxbn_bench MODEL SHAPE[;SHAPE...] THREADS ITERS WARMUP\n");
        return 2;
    }
    const int threads = atoi(argv[3]), iters = atoi(argv[4]), warmup = atoi(argv[5]);
    const double started = clock_ms(CLOCK_MONOTONIC);
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_error err;
    onnxbn_session *s;
    double t0 = clock_ms(CLOCK_MONOTONIC);
    if (onnxbn_session_open(argv[1], &opt, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const double open_ms = clock_ms(CLOCK_MONOTONIC) - t0;
    const onnxbn_model *m = onnxbn_session_model(s);
    size_t nin = onnxbn_model_input_count(m);
    onnxbn_tensor **in = calloc(nin, sizeof *in);
    const char **names = calloc(nin, sizeof *names);
    char *shapes = strdup(argv[2]), *save = NULL, *tok = strtok_r(shapes, ";", &save);
    uint32_t seed = 12345;
    for (size_t i = 0; i < nin; i++, tok = strtok_r(NULL, ";", &save)) {
        int64_t d[8];
        int r = 0;
        for (char *p = tok; p && *p && r < 8; r++) {
            d[r] = strtoll(p, &p, 10);
            if (*p == ',')
                p++;
        }
        /* An int64 input (token ids) gets integers in [0, 10) from the same draws, as ort_bench.js
         * makes them under ORT_BENCH_INT64=1; every other input floats in [-1, 1). */
        const bool ids = onnxbn_model_input(m, i)->dtype == ONNXBN_INT64;
        if (!tok || onnxbn_tensor_new(ids ? ONNXBN_INT64 : ONNXBN_FLOAT, r, d, &in[i], &err)) {
            fprintf(stderr, "input %zu: bad shape\n", i);
            return 1;
        }
        float *v = onnxbn_tensor_data(in[i]);
        int64_t *iv = onnxbn_tensor_data(in[i]);
        for (int64_t k = 0; k < onnxbn_tensor_numel(in[i]); k++) {
            seed = seed * 1664525u + 1013904223u;
            const float u = (float)seed / 2147483648.0f - 1.0f;
            if (ids)
                iv[k] = (int64_t)floor(((double)u + 1) * 5);
            else
                v[k] = u;
        }
        names[i] = onnxbn_model_input(m, i)->name;
    }
    double *wall = malloc(sizeof(double) * (size_t)iters), *cpu = malloc(sizeof(double) * (size_t)iters);
    /* OpenBLAS starts its worker threads when the library loads, and they spin (sched_yield) for
     * about 2^28 cycles before they sleep: process CPU time that no run of ours causes (sessions
     * run OpenBLAS single-threaded), but that doubled the CPU column of 1-2 ms models timed in the
     * first 0.1 s. So the warm-up also lasts until 300 ms after the start (capped at 10000 runs). */
    int extra = 0;
    while (clock_ms(CLOCK_MONOTONIC) - started < 300.0 && extra < 10000) {
        if (onnxbn_session_run(s, nin, names, (const onnxbn_tensor *const *)in, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        extra++;
    }
    for (int i = 0; i < warmup + iters; i++) {
        double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        if (onnxbn_session_run(s, nin, names, (const onnxbn_tensor *const *)in, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_ms(CLOCK_MONOTONIC);
        if (i >= warmup) {
            wall[i - warmup] = w1 - w0;
            cpu[i - warmup] = c1 - c0;
        }
    }
    double wm, wmin, wp, cm, cmin, cp;
    stats(wall, iters, &wm, &wmin, &wp);
    stats(cpu, iters, &cm, &cmin, &cp);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    onnxbn_memory_info mem = ONNXBN_MEMORY_INFO_INIT;
    onnxbn_session_memory(s, &mem);
    printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"p90_ms\": %.4f, \"cpu_median_ms\": %.4f, "
           "\"cpu_min_ms\": %.4f, \"iters\": %d, \"threads\": %d, \"open_ms\": %.3f, "
           "\"max_rss_mb\": %.1f, \"blas\": \"%s\", \"blas_core\": \"%s\", \"arena_bytes\": %llu, "
           "\"arena_lower_bound_bytes\": %llu}\n",
           wm, wmin, wp, cm, cmin, iters, threads, open_ms, (double)ru.ru_maxrss / 1024.0,
           onnxbn_blas_info(), onnxbn_blas_core(), (unsigned long long)mem.arena_bytes,
           (unsigned long long)mem.arena_lower_bound);
    for (size_t i = 0; i < nin; i++)
        onnxbn_tensor_free(in[i]);
    free(in);
    free(names);
    free(shapes);
    free(wall);
    free(cpu);
    onnxbn_session_free(s);
    return 0;
}
