/* SPDX-License-Identifier: Apache-2.0 */
/* rewrite.c — the model-level face of the converter: fold a loaded model (its index and declared
 * inputs/outputs made again after) and write it back. The converter works on the ModelProto. */
#include "converter.h"
#include "model.h"
#include "subgraph.h"
#include "../converter/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A note for the report (the converter's own notes go through fz_report_note). */
static onnxbn_status note(onnxbn_fuse_report *r, const char *msg, onnxbn_error *err)
{
    if (!r)
        return ONNXBN_OK;
    if (r->n_notes == r->cap_notes) {
        size_t cap = r->cap_notes ? 2 * r->cap_notes : 4;
        char **v = realloc(r->notes, cap * sizeof *v);
        if (!v)
            return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
        r->notes = v;
        r->cap_notes = cap;
    }
    if (!(r->notes[r->n_notes] = strdup(msg)))
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    r->n_notes++;
    return ONNXBN_OK;
}

/* ONNXBN_FUSE_SHAPES: value_info for what the planner proves of the folded model. Planned on a
 * copy, since a session releases weights from the proto it runs. A model the planner cannot
 * take (an operator it lacks, input contents that decide shapes) gets no value_info and a note
 * saying why: the fold stands without them. */
static onnxbn_status add_shapes(onnxbn_model *m, onnxbn_fuse_report *rep, onnxbn_error *err)
{
    void *buf = NULL;
    size_t len = 0;
    onnxbn_model *copy = NULL;
    onnxbn_session *s = NULL;
    onnxbn_shapes *sh = NULL;
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.no_fold = true;
    onnxbn_error why = {0};
    if (!onnxbn_model_save_buffer(m, &buf, &len, &why) &&
        !onnxbn_model_load_buffer(buf, len, m->base_dir, &opt, &copy, &why) &&
        !onnxbn_session_new(copy, &opt, &s, &why)) /* takes copy, also when it fails */
        onnxbn_session_shapes(s, 0, NULL, NULL, &sh, &why);
    onnxbn_buffer_free(buf);
    onnxbn_session_free(s);
    onnxbn_status st;
    if (sh) {
        st = onnxbn_model_add_value_info(m, sh, err);
    } else {
        char msg[sizeof why.msg + 64];
        snprintf(msg, sizeof msg, "no value_info added: the shapes could not be inferred: %s",
                 why.msg);
        st = note(rep, msg, err);
    }
    onnxbn_shapes_free(sh);
    return st;
}

onnxbn_status onnxbn_model_fuse(onnxbn_model *m, const char *passes, int flags,
                                onnxbn_fuse_report **report, onnxbn_error *err)
{
    if (report)
        *report = NULL;
    if (!m || !m->proto)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_fuse: NULL model");
    onnxbn_status st = onnxbn_fuse_check_passes(passes, err);
    if (st)
        return st;
    /* The passes take the index over (no build to start them) and edit it as they fold; the
     * model gets it back when it is still as a build makes it, else builds one. */
    onnxbn_graph g = m->graph;
    memset(&m->graph, 0, sizeof m->graph);
    onnxbn_subs_free(m); /* bound to node indices too, and to the nodes' protos */
    free(m->ops); /* bound to node indices the passes change */
    m->ops = NULL;
    free(m->in_info);
    free(m->out_info);
    m->in_info = m->out_info = NULL;
    int builds = 0;
    st = onnxbn_fuse_proto(m->proto, m->base_dir, passes, flags, &g, &builds, report, err);
    m->index_builds += builds;
    onnxbn_error e2 = {0};
    onnxbn_status st2;
    if (g.proto) {
        m->graph = g;
        st2 = onnxbn_model_bind(m, st ? &e2 : err);
    } else {
        st2 = onnxbn_model_reindex(m, st ? &e2 : err);
    }
    if (!st && !st2 && (flags & ONNXBN_FUSE_SHAPES))
        st2 = add_shapes(m, report ? *report : NULL, err);
    if (!st && st2 && report) {
        onnxbn_fuse_report_free(*report);
        *report = NULL;
    }
    return st ? st : st2;
}

onnxbn_status onnxbn_model_save_buffer(const onnxbn_model *m, void **buf, size_t *len,
                                       onnxbn_error *err)
{
    if (!m || !buf || !len)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_save_buffer: NULL argument");
    return onnxbn_proto_pack(m->proto, buf, len, err);
}

onnxbn_status onnxbn_model_save(const onnxbn_model *m, const char *path, onnxbn_error *err)
{
    if (!m || !path)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_save: NULL argument");
    return onnxbn_proto_write(m->proto, m->base_dir, path, err);
}
