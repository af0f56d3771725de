/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_fuse.c — libFuzzer target: `onnxbn fuse` on a model from bytes. Every pass runs; when they
 * succeed the written model must serialize and load again (the converter must not emit garbage). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.max_memory = 64u << 20;
    onnxbn_error err;
    onnxbn_model *m = NULL;
    if (onnxbn_model_load_buffer(data, size, NULL, &opt, &m, &err) != ONNXBN_OK)
        return 0;
    onnxbn_fuse_report *rep = NULL;
    int flags = size & 1 ? ONNXBN_FUSE_BN_TO_AFFINE : 0;
    onnxbn_status st = onnxbn_model_fuse(m, NULL, flags, &rep, &err);
    if (rep) {
        char *json = onnxbn_fuse_report_json(rep);
        free(json);
        for (size_t i = 0; i < onnxbn_fuse_report_count(rep); i++)
            if (!onnxbn_fuse_report_entry(rep, i)->reason)
                __builtin_trap();
        onnxbn_fuse_report_free(rep);
    }
    void *buf = NULL;
    size_t len = 0;
    /* Folds finished before a failure leave a valid model too. */
    if (onnxbn_model_save_buffer(m, &buf, &len, &err) == ONNXBN_OK) {
        onnxbn_model *again = NULL;
        if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &again, &err) != ONNXBN_OK) {
            if (st == ONNXBN_OK && err.status != ONNXBN_ERR_LIMIT)
                __builtin_trap(); /* fuse wrote a model onnxbn itself refuses */
        }
        onnxbn_model_free(again);
        free(buf);
    }
    onnxbn_model_free(m);
    return 0;
}
