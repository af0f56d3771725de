/* SPDX-License-Identifier: Apache-2.0 */
/* profiled.h — a profiled session from a made model, and how many times a node ran in it: the
 * fusion tests' check that a fused node left the steps (0 runs) and its producer did the work. */
#ifndef ONNXBN_TESTS_PROFILED_H
#define ONNXBN_TESTS_PROFILED_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mkmodel.h"
#include "onnxbn.h"

/* m opened with profiling on and `threads` workers; fails the test when it does not open. */
static inline onnxbn_session *prof_open(const mk_model *m, int threads)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.profile = true;
    opt.threads = threads;
    onnxbn_model *md = NULL;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &md, &err) ||
        onnxbn_session_new(md, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    return s;
}

/* The runs the profile counted for the node named `node`; fails the test when there is none. */
static inline uint64_t prof_runs(const onnxbn_session *s, const char *node)
{
    for (size_t i = 0; i < onnxbn_session_profile_count(s); i++) {
        const char *name;
        uint64_t ns, runs;
        if (onnxbn_session_profile_get(s, i, &name, NULL, &ns, &runs) && !strcmp(name, node))
            return runs;
    }
    fail_msg("no node %s", node);
    return 0;
}

#endif
