/* SPDX-License-Identifier: Apache-2.0 */
/* rewrite.c — the model-level face of the converter: fold a loaded model (its index and declared
 * inputs/outputs made again after) and write it back. The converter works on the ModelProto. */
#include "converter.h"
#include "model.h"
#include "subgraph.h"

#include <stdlib.h>
#include <string.h>

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
