/* SPDX-License-Identifier: Apache-2.0 */
/* threadpool.c — the session's worker threads. Between jobs a worker spins for a short while on
 * the job counter before it sleeps on a condition variable: a session runs its nodes back to back,
 * tens of microseconds apart, and waking a sleeping thread (futex + IPI, dearer under a hypervisor)
 * costs about as much as a small node, so without the spin a second thread slows small nodes down.
 * A job is published under a mutex with a generation number; tasks are claimed from a counter
 * tagged with that generation, and the caller waits for the tasks to finish, not for every worker
 * to wake (a worker the OS has not scheduled yet must not hold up the job). */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* How long a worker (or the caller waiting for the last task) spins before it blocks: longer than
 * the gap between two parallel nodes of a run (a serial node between them, typically under 0.5 ms),
 * short enough that an idle session gives its cores back almost at once. */
#define SPIN_NS 2000000L

typedef struct worker_slot {
    pthread_t tid;
    struct onnxbn_pool *pool;
    int index; /* 1 .. n_workers */
} worker_slot;

struct onnxbn_pool {
    int n_workers;
    worker_slot *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_uint gen;       /* bumped per job (under mu); read without mu by spinning workers */
    atomic_int sleepers;   /* workers blocked, or about to block, on wake */
    atomic_bool waiting;   /* the caller is blocked, or about to block, on done */
    bool stop;
    /* the current job, written under mu before gen is bumped */
    onnxbn_pool_fn fn;
    void *arg;
    size_t n;
    bool fixed; /* task i runs on thread i (onnxbn_pool_run_fixed) */
    /* (generation << 32) | next task index: a worker holding an older job's copy cannot claim a
     * task of the current one */
    atomic_uint_least64_t next;
    atomic_size_t finished; /* tasks of the current job completed */
};

typedef struct job {
    uint32_t gen;
    onnxbn_pool_fn fn;
    void *arg;
    size_t n;
    bool fixed;
} job;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool claim(onnxbn_pool *p, const job *j, size_t *task)
{
    uint_least64_t v = atomic_load_explicit(&p->next, memory_order_relaxed);
    for (;;) {
        if ((uint32_t)(v >> 32) != j->gen || (v & 0xffffffffu) >= j->n)
            return false;
        if (atomic_compare_exchange_weak_explicit(&p->next, &v, v + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *task = (size_t)(v & 0xffffffffu);
            return true;
        }
    }
}

/* Runs tasks of job j until none is left; the one that completes the last task wakes the caller
 * if it has stopped spinning. */
static void finish_one(onnxbn_pool *p, const job *j)
{
    if (atomic_fetch_add(&p->finished, 1) + 1 == j->n && atomic_load(&p->waiting)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void drain(onnxbn_pool *p, const job *j, int thread)
{
    size_t t;
    if (j->fixed) {
        if ((size_t)thread < j->n) {
            j->fn(j->arg, (size_t)thread, thread);
            finish_one(p, j);
        }
        return;
    }
    while (claim(p, j, &t)) {
        j->fn(j->arg, t, thread);
        finish_one(p, j);
    }
}

/* Spins until gen differs from seen or the spin time is up; true if it changed. */
static bool spin_for_job(onnxbn_pool *p, uint32_t seen)
{
    const int64_t end = now_ns() + SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&p->gen, memory_order_relaxed) != seen)
            return true;
        cpu_relax();
        if (!(i & 255) && now_ns() > end)
            return false;
    }
}

static void *worker(void *v)
{
    const worker_slot *w = v;
    onnxbn_pool *p = w->pool;
    uint32_t seen = 0;
    for (;;) {
        spin_for_job(p, seen);
        pthread_mutex_lock(&p->mu);
        /* Announced before gen is checked (both sequentially consistent), so that a caller who
         * bumps gen after this check sees a sleeper and broadcasts. */
        atomic_fetch_add(&p->sleepers, 1);
        while (!p->stop && atomic_load(&p->gen) == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        atomic_fetch_sub(&p->sleepers, 1);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        /* the job as it is now: if the caller has moved on, this is the newer one */
        const job j = {.gen = atomic_load(&p->gen), .fn = p->fn, .arg = p->arg, .n = p->n,
                       .fixed = p->fixed};
        seen = j.gen;
        pthread_mutex_unlock(&p->mu);
        drain(p, &j, w->index);
    }
    return NULL;
}

onnxbn_status onnxbn_pool_new(int threads, onnxbn_pool **out, onnxbn_error *err)
{
    *out = NULL;
    if (threads <= 1)
        return ONNXBN_OK;
    if (threads > 1024)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "%d threads asked for, at most 1024", threads);
    onnxbn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->waiting, false);
    atomic_init(&p->next, 0);
    atomic_init(&p->finished, 0);
    for (int i = 0; i < threads - 1; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i + 1;
        if (pthread_create(&p->workers[i].tid, NULL, worker, &p->workers[i])) {
            onnxbn_pool_free(p);
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot start worker thread %d of %d", i + 1,
                               threads - 1);
        }
        p->n_workers++;
    }
    *out = p;
    return ONNXBN_OK;
}

void onnxbn_pool_free(onnxbn_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    atomic_fetch_add(&p->gen, 1); /* ends the spin of a worker that has not gone to sleep yet */
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i].tid, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
}

int onnxbn_pool_threads(const onnxbn_pool *p) { return p ? p->n_workers + 1 : 1; }

static void run(onnxbn_pool *p, size_t n, onnxbn_pool_fn fn, void *arg, bool fixed)
{
    pthread_mutex_lock(&p->mu);
    const job j = {.gen = atomic_load(&p->gen) + 1, .fn = fn, .arg = arg, .n = n, .fixed = fixed};
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->fixed = fixed;
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    atomic_store_explicit(&p->next, (uint_least64_t)j.gen << 32, memory_order_release);
    atomic_store(&p->gen, j.gen);
    if (atomic_load(&p->sleepers))
        pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    drain(p, &j, 0);
    /* Tasks another thread claimed may still be running; spin a while for them, then sleep until
     * the one finishing last signals. */
    const int64_t end = now_ns() + SPIN_NS;
    for (unsigned i = 1; atomic_load_explicit(&p->finished, memory_order_acquire) < n; i++) {
        cpu_relax();
        if (!(i & 255) && now_ns() > end) {
            pthread_mutex_lock(&p->mu);
            atomic_store(&p->waiting, true);
            while (atomic_load(&p->finished) < n)
                pthread_cond_wait(&p->done, &p->mu);
            atomic_store(&p->waiting, false);
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
}
void onnxbn_pool_run(onnxbn_pool *p, size_t n, onnxbn_pool_fn fn, void *arg)
{
    if (!p || n <= 1 || n > 0xffffffffu) {
        for (size_t t = 0; t < n; t++)
            fn(arg, t, 0);
        return;
    }
    run(p, n, fn, arg, false);
}

void onnxbn_pool_run_fixed(onnxbn_pool *p, onnxbn_pool_fn fn, void *arg)
{
    if (!p) {
        fn(arg, 0, 0);
        return;
    }
    run(p, (size_t)p->n_workers + 1, fn, arg, true);
}

void onnxbn_split(size_t n, size_t parts, size_t i, size_t align, size_t *lo, size_t *hi)
{
    if (!parts)
        parts = 1;
    if (!align)
        align = 1;
    size_t blocks = (n + align - 1) / align;
    size_t a = blocks * i / parts * align, b = blocks * (i + 1) / parts * align;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}
