/* SPDX-License-Identifier: Apache-2.0 */
/* plan.h — the per-input-shape execution plan: shapes and types of every value, constants
 * evaluated once, per-node prepared state, and one arena whose offsets come from value lifetimes. */
#ifndef ONNXBN_PLAN_H
#define ONNXBN_PLAN_H

#include "model.h"

/* VAL_RUN: made by a deferred node (below): its shape and its storage in the run arena are set
 * anew by each run. */
enum { VAL_ABSENT = 0, VAL_INPUT, VAL_CONST, VAL_ARENA, VAL_RUN };

/* Where values made by deferred nodes live: 64-byte-aligned chunks bumped from blocks that are
 * kept across runs and reset at the start of each. A run that needs more adds a block (twice the
 * last, within the budget); the next reset makes one block of the most that run held at once, so
 * a workload of steady sizes allocates nothing per run. */
#define ONNXBN_RUN_BLOCKS 40
typedef struct onnxbn_run_arena {
    uint8_t *blk[ONNXBN_RUN_BLOCKS];
    size_t size[ONNXBN_RUN_BLOCKS];
    int n;         /* blocks held; the last is the one being filled */
    size_t used;   /* bytes handed out from the last block */
    size_t total;  /* bytes of all blocks, charged to the budget */
    size_t live;   /* bytes handed out in this run and not given back */
    size_t peak;   /* the most `live` reached since the last reset */
} onnxbn_run_arena;

typedef struct onnxbn_plan {
    const onnxbn_model *model;
    int n_values;
    onnxbn_tensor *vals;        /* per value id; data set for CONST and ARENA, bound per run for INPUT */
    uint8_t *kind;              /* VAL_* per value id */
    onnxbn_kctx *ctx;           /* per node index */
    const onnxbn_tensor **in_ptrs;
    onnxbn_tensor **out_ptrs;
    int n_steps;
    int *steps;                 /* node indices run per call, in order */
    uint8_t *arena;             /* activations and every node's scratch (kctx.scratch points in) */
    size_t arena_size;
    size_t arena_lower_bound;   /* the most bytes live at one step: no layout needs less */
    /* what the plan was made for: which inputs were fed, with which types and shapes */
    int n_fed;
    int *fed_ids;
    onnxbn_tensor *fed_shapes;  /* shape/type; and an owned copy of the data of value inputs */
    onnxbn_tensor *out_copies;  /* per graph output that is itself a graph input (copied per run) */
    uint64_t const_bytes;       /* bytes of constants computed at plan time */
    onnxbn_pool *pool;          /* the session's threads (set by the session; NULL: serial) */
    onnxbn_stop *build_stop;    /* while onnxbn_plan_build runs: its `stop`, for folded nodes */
    /* Deferred nodes (plan.c, "deferred"): their output shapes wait on values known only when
     * the run reaches them. They keep their place in `steps`; each run calls their infer,
     * allocates their outputs and scratch in `run`, and calls prepare, run and free_state. */
    bool *deferred;             /* per node index */
    int n_deferred;
    onnxbn_run_arena run;
    uint64_t run_budget;        /* bytes `run` may hold: the budget left after the plan */
} onnxbn_plan;

/* What a session keeps across its plans so that a weight is held once. A value is weights-only
 * when it is an initializer that is not a graph input, or an output of a node that constant
 * folding runs on weights-only values alone (a Transpose of a MatMul's weight, a Constant):
 * the same in every plan. The first plan folds such a node into `vals`, later plans borrow it;
 * an initializer marked in `drop` (only weights-only and shape-only nodes read it, no shape
 * rule reads its contents, not a graph output) is handed to `release` as soon as every node
 * reading it is planned, so the weight and what folding made of it are not both held. */
typedef struct onnxbn_kept {
    bool *fixed;              /* per value id: weights-only */
    bool *drop;               /* per value id: an initializer released once folded */
    onnxbn_tensor *vals;      /* per value id: folded outputs of weights-only nodes (owned) */
    void (*release)(void *ctx, int value_id); /* frees the initializer's bytes */
    void *ctx;
} onnxbn_kept;

/* Fills fixed and drop for g (need_value as for onnxbn_plan_build; may be NULL); vals empty. */
onnxbn_status onnxbn_kept_init(onnxbn_kept *k, const onnxbn_graph *g, const onnxbn_node_op *ops,
                               const bool *need_value, onnxbn_error *err);
void onnxbn_kept_free(onnxbn_kept *k, int n_values);

/* Makes a plan for inputs of the given types/shapes. `inits` are the session's decoded
 * initializers, indexed by position in graph.initializer (a dropped one has no data); `budget`
 * the bytes left. Fed values marked in `need_value` (per value id; may be NULL) are read now
 * and become constants of the plan (their data must be present); other fed data is ignored
 * until run. `kept` (may be NULL: every constant is the plan's own) is the session's, above.
 * `stop` (may be NULL) reaches the nodes folded now as it reaches a run's: an Einsum of
 * constants may sum 10^20 terms in a few bytes of weights, so only the run's deadline bounds it. */
onnxbn_status onnxbn_plan_build(const onnxbn_model *m, const onnxbn_tensor *inits, int n_fed,
                                const int *fed_ids, const onnxbn_tensor *const *fed,
                                const bool *need_value, onnxbn_kept *kept, uint64_t budget,
                                onnxbn_stop *stop, onnxbn_plan **out, onnxbn_error *err);
/* True when the plan fits these fed inputs (same values, types and shapes; same contents for
 * the inputs the plan took as constants). */
bool onnxbn_plan_matches(const onnxbn_plan *p, int n_fed, const int *fed_ids,
                         const onnxbn_tensor *const *fed);
/* prof_ns/prof_runs (both NULL when not profiling) accumulate per node index. `stop` (may be
 * NULL) is checked before each node and handed to the kernels (op.h). */
onnxbn_status onnxbn_plan_run(onnxbn_plan *p, int n_fed, const int *fed_ids,
                              const onnxbn_tensor *const *fed, uint64_t *prof_ns,
                              uint64_t *prof_runs, onnxbn_stop *stop, onnxbn_error *err);
void onnxbn_plan_free(onnxbn_plan *p);

/* The session's plan for inputs of these shapes (data not read), built if it has none that fits,
 * not run. Internal: onnxbn_session_shapes. */
onnxbn_status onnxbn_session_plan_for(onnxbn_session *s, size_t n, const char *const *names,
                                      const onnxbn_tensor *const *inputs, const onnxbn_plan **out,
                                      onnxbn_error *err);
/* Plans the session has built since it was opened: a test that runs the same shapes with other
 * contents checks that it made no new one. Internal (not in onnxbn.h), as is the next. */
uint64_t onnxbn_session_plan_builds(const onnxbn_session *s);
/* Deferred nodes in the session's current plan (0 without a plan). Internal, for tests. */
int onnxbn_session_deferred_steps(const onnxbn_session *s);
/* Bytes the current plan's run arena holds, in *blocks blocks; *peak: the most the last run held
 * at once (all 0 without a plan). */
size_t onnxbn_session_run_arena(const onnxbn_session *s, size_t *peak, int *blocks);

#endif
