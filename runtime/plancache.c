/* SPDX-License-Identifier: Apache-2.0 */
/* plancache.c — the session's plans per input-shape signature: an LRU bounded by a count and by
 * the session's memory budget, so alternating shapes reuse their plans instead of re-planning. */
#include <string.h>

#include "plancache.h"

onnxbn_plan *onnxbn_plancache_find(onnxbn_plancache *c, int n_fed, const int *fed_ids,
                                   const onnxbn_tensor *const *fed)
{
    for (int i = 0; i < c->n; i++) {
        if (!onnxbn_plan_matches(c->plan[i], n_fed, fed_ids, fed))
            continue;
        onnxbn_plan *p = c->plan[i];
        uint64_t u = c->used[i];
        memmove(&c->plan[1], &c->plan[0], (size_t)i * sizeof c->plan[0]);
        memmove(&c->used[1], &c->used[0], (size_t)i * sizeof c->used[0]);
        c->plan[0] = p;
        c->used[0] = u;
        return p;
    }
    return NULL;
}

uint64_t onnxbn_plancache_bytes(const onnxbn_plancache *c, int from)
{
    uint64_t b = 0;
    for (int i = from; i < c->n; i++)
        b += c->used[i] + c->plan[i]->run.total;
    return b;
}

void onnxbn_plancache_drop(onnxbn_plancache *c, bool all)
{
    int keep = all ? 0 : (c->n ? 1 : 0);
    for (int i = keep; i < c->n; i++) {
        onnxbn_plan_free(c->plan[i]);
        c->plan[i] = NULL;
        c->used[i] = 0;
    }
    c->n = keep;
}

static void trim(onnxbn_plancache *c, int keep)
{
    while (c->n > keep) {
        c->n--;
        onnxbn_plan_free(c->plan[c->n]);
        c->plan[c->n] = NULL;
        c->used[c->n] = 0;
    }
}

void onnxbn_plancache_add(onnxbn_plancache *c, onnxbn_plan *p, uint64_t used)
{
    onnxbn_plancache_make_room(c);
    memmove(&c->plan[1], &c->plan[0], (size_t)c->n * sizeof c->plan[0]);
    memmove(&c->used[1], &c->used[0], (size_t)c->n * sizeof c->used[0]);
    c->plan[0] = p;
    c->used[0] = used;
    c->n++;
}

void onnxbn_plancache_set_cap(onnxbn_plancache *c, int cap)
{
    c->cap = cap < 1 ? 1 : cap > ONNXBN_PLAN_CACHE_MAX ? ONNXBN_PLAN_CACHE_MAX : cap;
    trim(c, c->cap);
}

void onnxbn_plancache_make_room(onnxbn_plancache *c)
{
    if (c->cap < 1)
        c->cap = 1;
    trim(c, c->cap - 1);
}

void onnxbn_plancache_fit(onnxbn_plancache *c, uint64_t budget)
{
    if (!c->n)
        return;
    onnxbn_plan *p = c->plan[0];
    uint64_t others = onnxbn_plancache_bytes(c, 1);
    if (budget < others + c->used[0] || budget - others - c->used[0] < p->run.total) {
        onnxbn_plancache_drop(c, false);
        others = 0;
    }
    /* Alone, the plan has at least what it was built with: its run arena never passed that. */
    p->run_budget = budget > others + c->used[0] ? budget - others - c->used[0] : 0;
}
