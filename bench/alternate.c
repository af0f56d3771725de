/* SPDX-License-Identifier: Apache-2.0 */
/* alternate.c — the cost of changing input shapes (issue 17): one session timed at batch A alone,
 * at batch B alone, then alternating A, B, A, B ...; medians per shape and their ratios, JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnxbn.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One float input of dims {batch, rest...}, wrapping x. */
static onnxbn_tensor *wrap(int rank, const int64_t *rest, int64_t batch, float *x)
{
    int64_t dims[8] = {batch};
    for (int d = 1; d < rank; d++)
        dims[d] = rest[d] > 0 ? rest[d] : 1;
    onnxbn_tensor *t = NULL;
    onnxbn_error err;
    if (onnxbn_tensor_wrap(ONNXBN_FLOAT, rank, dims, x, &t, &err))
        fprintf(stderr, "alternate: %s\n", err.msg);
    return t;
}

/* The run's wall time in ms, or -1. */
static double run(onnxbn_session *s, const char *name, const onnxbn_tensor *in)
{
    onnxbn_error err;
    double t0 = now_ms();
    if (onnxbn_session_run(s, 1, &name, &in, &err)) {
        fprintf(stderr, "alternate: %s\n", err.msg);
        return -1;
    }
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: alternate MODEL THREADS ITERS BATCH_A BATCH_B\n");
        return 2;
    }
    const int threads = atoi(argv[2]), iters = atoi(argv[3]);
    const int64_t ba = atoll(argv[4]), bb = atoll(argv[5]);
    if (iters < 1 || iters > 100000 || ba < 1 || bb < 1 || ba > 4096 || bb > 4096)
        return 2;
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_error err;
    onnxbn_session *s;
    if (onnxbn_session_open(argv[1], &opt, &s, &err)) {
        fprintf(stderr, "alternate: %s\n", err.msg);
        return 1;
    }
    const onnxbn_model *m = onnxbn_session_model(s);
    const onnxbn_value_info *vi = onnxbn_model_input(m, 0);
    if (vi->rank < 1 || vi->rank > 8) {
        fprintf(stderr, "alternate: input 0 has no usable shape\n");
        return 1;
    }
    size_t per = 1;
    for (int d = 1; d < vi->rank; d++)
        per *= (size_t)(vi->dims[d] > 0 ? vi->dims[d] : 1);
    int64_t big = ba > bb ? ba : bb;
    float *x = malloc(per * (size_t)big * sizeof *x);
    double *va = malloc((size_t)iters * sizeof *va), *vb = malloc((size_t)iters * sizeof *vb);
    double *aa = malloc((size_t)iters * sizeof *aa), *ab = malloc((size_t)iters * sizeof *ab);
    if (!x || !va || !vb || !aa || !ab)
        return 1;
    for (size_t i = 0; i < per * (size_t)big; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    const char *name = vi->name;
    onnxbn_tensor *ta = wrap(vi->rank, vi->dims, ba, x), *tb = wrap(vi->rank, vi->dims, bb, x);
    if (!ta || !tb)
        return 1;
    double first_a = run(s, name, ta); /* plans A */
    for (int i = 0; i < iters; i++)
        if ((va[i] = run(s, name, ta)) < 0)
            return 1;
    double first_b = run(s, name, tb); /* plans B */
    for (int i = 0; i < iters; i++)
        if ((vb[i] = run(s, name, tb)) < 0)
            return 1;
    for (int i = 0; i < iters; i++)
        if ((aa[i] = run(s, name, ta)) < 0 ||
            (ab[i] = run(s, name, tb)) < 0)
            return 1;
    double ma = median(va, iters), mb = median(vb, iters);
    double maa = median(aa, iters), mab = median(ab, iters);
    printf("{\"model\": \"%s\", \"threads\": %d, \"iters\": %d, \"batch_a\": %lld, \"batch_b\": %lld, "
           "\"first_a_ms\": %.3f, \"first_b_ms\": %.3f, \"steady_a_ms\": %.3f, \"steady_b_ms\": %.3f, "
           "\"alternating_a_ms\": %.3f, \"alternating_b_ms\": %.3f, \"ratio_a\": %.3f, \"ratio_b\": %.3f}\n",
           argv[1], threads, iters, (long long)ba, (long long)bb, first_a, first_b, ma, mb, maa, mab,
           maa / ma, mab / mb);
    onnxbn_tensor_free(ta);
    onnxbn_tensor_free(tb);
    free(x);
    free(va);
    free(vb);
    free(aa);
    free(ab);
    onnxbn_session_free(s);
    return 0;
}
