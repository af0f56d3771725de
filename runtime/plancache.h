/* SPDX-License-Identifier: Apache-2.0 */
/* plancache.h — a session's plans, one per input-shape signature, most recently used first, so
 * a workload that alternates shapes plans each shape once instead of on every change. */
#ifndef ONNXBN_PLANCACHE_H
#define ONNXBN_PLANCACHE_H

#include "plan.h"

/* Plans a session keeps by default (onnxbn_plancache.cap); bytes are bounded by the budget. */
#define ONNXBN_PLAN_CACHE_DEFAULT 4
#define ONNXBN_PLAN_CACHE_MAX 16

/* plan[0] is the one the last run used (the session's current plan). used[i]: the bytes plan i
 * took from the budget when it was built (arena, folded constants, value-input copies; the
 * weights it borrows from onnxbn_kept are in it too, as they are for a lone plan). */
typedef struct onnxbn_plancache {
    onnxbn_plan *plan[ONNXBN_PLAN_CACHE_MAX];
    uint64_t used[ONNXBN_PLAN_CACHE_MAX];
    int n;
    int cap; /* 1 .. ONNXBN_PLAN_CACHE_MAX */
} onnxbn_plancache;

/* The plan for these fed inputs, moved to the front; NULL when none fits. */
onnxbn_plan *onnxbn_plancache_find(onnxbn_plancache *c, int n_fed, const int *fed_ids,
                                   const onnxbn_tensor *const *fed);
/* Bytes plans from index `from` on hold: what they took when built plus their run arenas. */
uint64_t onnxbn_plancache_bytes(const onnxbn_plancache *c, int from);
/* Frees the plans behind the front one, or all of them when `all`. */
void onnxbn_plancache_drop(onnxbn_plancache *c, bool all);
/* Frees least recently used plans until one more fits under cap (before building it, so the
 * budget it is built with counts only the plans that stay). */
void onnxbn_plancache_make_room(onnxbn_plancache *c);
/* Puts p (which took `used` bytes) in front, after make_room. */
void onnxbn_plancache_add(onnxbn_plancache *c, onnxbn_plan *p, uint64_t used);
/* Sets the bound (clamped to 1 .. ONNXBN_PLAN_CACHE_MAX), freeing the plans beyond it. */
void onnxbn_plancache_set_cap(onnxbn_plancache *c, int cap);
/* The front plan's run arena gets what the budget leaves after the other plans and itself;
 * when that is less than it holds already, the other plans go. */
void onnxbn_plancache_fit(onnxbn_plancache *c, uint64_t budget);

/* Internal (not in onnxbn.h), for tests and the bench: the session's bound on plans kept (1 ..
 * ONNXBN_PLAN_CACHE_MAX; clamped), and how many it keeps now. */
void onnxbn_session_set_plan_cache(onnxbn_session *s, int cap);
int onnxbn_session_plan_count(const onnxbn_session *s);

#endif
