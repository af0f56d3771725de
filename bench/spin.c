/* SPDX-License-Identifier: Apache-2.0 */
/* spin.c — how much parallel capacity the machine has right now: the same CPU-bound loop on 1 and
 * on 2 threads; speedup = 2·wall(1)/wall(2) (2.0 on an idle 2-core machine). For RESULTS.md. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    volatile double s = 0;
    for (long i = 0; i < 100000000; i++)
        s += (double)i * 1e-9;
    (void)arg;
    return NULL;
}

int main(void)
{
    double wall[3];
    for (int n = 1; n <= 2; n++) {
        double t0 = now();
        pthread_t t[2];
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, work, NULL);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        wall[n] = now() - t0;
    }
    printf("{\"speedup_2_threads\": %.2f}\n", 2.0 * wall[1] / wall[2]);
    return 0;
}
