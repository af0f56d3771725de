/* SPDX-License-Identifier: Apache-2.0 */
/* threadpool.h — one pool of worker threads per session, for kernels that split their work into
 * independent tasks (Conv output channels, depthwise channels ...). No global state. */
#ifndef ONNXBN_THREADPOOL_H
#define ONNXBN_THREADPOOL_H

#include <stddef.h>

#include "core.h"

typedef struct onnxbn_pool onnxbn_pool;

/* fn(arg, task, thread) for one task; `thread` (0 .. threads-1, 0 is the caller) is for picking
 * per-thread scratch. Tasks of one call run concurrently: they must not depend on each other, and
 * their results must not depend on which thread runs them. */
typedef void (*onnxbn_pool_fn)(void *arg, size_t task, int thread);

/* A pool that runs tasks on `threads` threads in all: the caller plus threads - 1 workers.
 * threads <= 1 gives *out = NULL, which every call below takes as "run serially". */
onnxbn_status onnxbn_pool_new(int threads, onnxbn_pool **out, onnxbn_error *err);
void onnxbn_pool_free(onnxbn_pool *p);
int onnxbn_pool_threads(const onnxbn_pool *p); /* 1 for NULL */

/* Runs fn for tasks 0 .. n-1 and returns when all are done. The caller takes part; tasks are
 * handed out one at a time, so uneven tasks balance. Not reentrant: a task must not call it. */
void onnxbn_pool_run(onnxbn_pool *p, size_t n, onnxbn_pool_fn fn, void *arg);

/* Runs fn for tasks 0 .. threads-1, task i on thread i (0 is the caller), and returns when all
 * are done. For kernels that split a tensor the same way node after node: each thread then finds
 * its part of the input in its own core's cache, where the part the previous node wrote. */
void onnxbn_pool_run_fixed(onnxbn_pool *p, onnxbn_pool_fn fn, void *arg);

/* [*lo, *hi): part `i` of `parts` near-equal parts of n items, each boundary a multiple of
 * `align` (except n itself). */
void onnxbn_split(size_t n, size_t parts, size_t i, size_t align, size_t *lo, size_t *hi);

#endif
