/* SPDX-License-Identifier: Apache-2.0 */
/* bn_memcpy.c — standalone BatchNormalization through onnxbn against a memcpy of the same bytes and
 * a plain per-channel y = a·x + t loop, interleaved in one process so load changes hit all three. */
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

/* What a compiler makes of the textbook loop, as the floor BN should reach. */
static void affine(const float *restrict x, float *restrict y, const float *a, const float *t,
                   long outer, long ch, long inner)
{
    for (long o = 0; o < outer; o++)
        for (long c = 0; c < ch; c++) {
            const float *xc = x + (o * ch + c) * inner;
            float *yc = y + (o * ch + c) * inner;
            for (long i = 0; i < inner; i++)
                yc[i] = a[c] * xc[i] + t[c];
        }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bn_memcpy MODEL N,C,H,W [ITERS]\n");
        return 2;
    }
    int64_t d[4];
    if (sscanf(argv[2], "%ld,%ld,%ld,%ld", &d[0], &d[1], &d[2], &d[3]) != 4)
        return 2;
    int iters = argc > 3 ? atoi(argv[3]) : 200;
    size_t n = (size_t)(d[0] * d[1] * d[2] * d[3]), bytes = n * sizeof(float);
    onnxbn_error err;
    onnxbn_session *s;
    if (onnxbn_session_open(argv[1], NULL, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    onnxbn_tensor *x;
    if (onnxbn_tensor_new(ONNXBN_FLOAT, 4, d, &x, &err))
        return 1;
    float *xv = onnxbn_tensor_data(x);
    for (size_t i = 0; i < n; i++)
        xv[i] = (float)(i % 1000) / 500.0f - 1.0f;
    float *dst = aligned_alloc(64, (bytes + 63) / 64 * 64), *a = malloc((size_t)d[1] * 4),
          *t = malloc((size_t)d[1] * 4);
    for (int64_t c = 0; c < d[1]; c++) {
        a[c] = 1.0f + (float)c / 100.0f;
        t[c] = (float)c / 50.0f;
    }
    memset(dst, 0, bytes);
    const char *name = onnxbn_model_input(onnxbn_session_model(s), 0)->name;
    const onnxbn_tensor *in[] = {x};
    double *tb = malloc(sizeof(double) * (size_t)iters), *tm = malloc(sizeof(double) * (size_t)iters),
           *ta = malloc(sizeof(double) * (size_t)iters);
    for (int w = 0; w < 5; w++) {
        onnxbn_session_run(s, 1, &name, in, &err);
        memcpy(dst, xv, bytes);
    }
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        if (onnxbn_session_run(s, 1, &name, in, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t1 = now_ms();
        memcpy(dst, xv, bytes);
        double t2 = now_ms();
        affine(xv, dst, a, t, (long)d[0], (long)d[1], (long)(d[2] * d[3]));
        double t3 = now_ms();
        tb[i] = t1 - t0;
        tm[i] = t2 - t1;
        ta[i] = t3 - t2;
    }
    double mb = median(tb, iters), mm = median(tm, iters), ma = median(ta, iters);
    printf("{\"shape\": \"%s\", \"bytes\": %zu, \"iters\": %d, \"bn_ms\": %.4f, \"memcpy_ms\": %.4f, "
           "\"affine_loop_ms\": %.4f, \"bn_over_memcpy\": %.3f}\n",
           argv[2], bytes, iters, mb, mm, ma, mb / mm);
    free(tb);
    free(tm);
    free(ta);
    free(dst);
    free(a);
    free(t);
    onnxbn_tensor_free(x);
    onnxbn_session_free(s);
    return 0;
}
