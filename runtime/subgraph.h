/* SPDX-License-Identifier: Apache-2.0 */
/* subgraph.h — the subgraphs of a node (If's branches, Loop's and Scan's body): each a model of
 * its own over its GraphProto, with the names it reads from enclosing scopes as its graph inputs. */
#ifndef ONNXBN_SUBGRAPH_H
#define ONNXBN_SUBGRAPH_H

#include "model.h"

/* One GRAPH attribute of a node. Its model is built at load over a shell ModelProto that borrows
 * the GraphProto (nodes, initializers) and the outer opset_import and adds one graph input per
 * free name, so the index, check, planner and session of the main graph serve it unchanged. */
typedef struct onnxbn_branch {
    const char *attr;       /* the attribute's name */
    onnxbn_model *model;    /* owned here until `sess` takes it */
    onnxbn_session *sess;   /* opened with the outer session (onnxbn_subs_open); owns model */
    int n_free;             /* graph inputs of the branch that are outer values */
    const char **names;     /* their names (the branch model's strings) */
    int *src;               /* per free name: its position in the node's in[] */
    bool fresh;             /* ran, and its outputs not yet taken by the node's run() */
    int n_formal;           /* the GraphProto's own inputs (a Loop body's i, cond, carried ...) */
    const char **bind_names;           /* n_formal formal names, then the n_free free names */
    const onnxbn_tensor **bind_in;     /* the tensors bound to them, filled per run */
    void *keep;                        /* the op's buffers kept across runs (onnxbn_sub_keep) */
    void (*keep_free)(void *);
} onnxbn_branch;

struct onnxbn_subs {
    int n;
    onnxbn_branch *b;
};

/* m->subs: per node index, NULL or the node's subgraphs, each built and checked as a model
 * (recursively); a load error inside names the node and the attribute. */
onnxbn_status onnxbn_subs_build(onnxbn_model *m, onnxbn_error *err);
void onnxbn_subs_free(onnxbn_model *m);
/* Opens a session for every subgraph of m (their own subgraphs' sessions with them), with the
 * outer options but no folding (the branch borrows the outer proto) and one thread. */
onnxbn_status onnxbn_subs_open(onnxbn_model *m, onnxbn_error *err);
/* Frees a shell ModelProto made by onnxbn_subs_build, leaving what it borrows. */
void onnxbn_shell_free(Onnx__ModelProto *shell);

/* session.c: a run of a branch's session under the outer run's stop request. */
onnxbn_status onnxbn_session_run_nested(onnxbn_session *s, size_t n, const char *const *names,
                                        const onnxbn_tensor *const *inputs, onnxbn_stop *stop,
                                        onnxbn_error *err);
/* session.c: the first n graph inputs of s (a Loop or Scan body's formal inputs: the iteration
 * number, carried values, scan slices) change from one iteration to the next, so no plan is keyed
 * on their contents; a node whose shape reads one is deferred to the run instead (plan.c), and
 * the body is planned once per input shape rather than once per iteration. */
void onnxbn_session_unkey_inputs(onnxbn_session *s, int n);

#endif
