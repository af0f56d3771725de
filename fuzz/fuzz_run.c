/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_run.c — libFuzzer target: a model from bytes, opened as a session and run once on small
 * inputs made from its declared types and shapes. Any outcome but a crash, hang or leak is fine. */
#include <stdint.h>
#include <string.h>

#include "onnxbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUTS 16
#define MAX_ELEMS 4096 /* per input: larger declared inputs are not run (they only cost time) */

/* Small values of every kind: an input that decides a shape (Reshape, Expand ...) stays small. */
static void fill(onnxbn_tensor *t, uint32_t seed)
{
    int64_t n = onnxbn_tensor_numel(t);
    void *p = onnxbn_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        uint32_t r = (uint32_t)i * 2654435761u + seed;
        int v = (int)(r >> 29) - 3; /* -3 .. 4 */
        switch (onnxbn_tensor_dtype(t)) {
        case ONNXBN_FLOAT: ((float *)p)[i] = (float)v * 0.5f; break;
        case ONNXBN_DOUBLE: ((double *)p)[i] = v * 0.5; break;
        case ONNXBN_INT64: ((int64_t *)p)[i] = v; break;
        case ONNXBN_INT32: ((int32_t *)p)[i] = v; break;
        case ONNXBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)(v & 3); break;
        case ONNXBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)(v & 3); break;
        case ONNXBN_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
        case ONNXBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)(v & 3); break;
        case ONNXBN_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
        case ONNXBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)(v & 3); break;
        case ONNXBN_BOOL: ((uint8_t *)p)[i] = (uint8_t)(v & 1); break;
        case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: ((uint16_t *)p)[i] = 0x3c00; break;
        case ONNXBN_STRING: { /* static bytes: numbers, words, a NUL inside, empty */
            static const onnxbn_string words[4] = {{"1.5", 3}, {"Monday", 6}, {"a\0b", 3}, {"", 0}};
            ((onnxbn_string *)p)[i] = words[(unsigned)(v + 3) & 3];
            break;
        }
        default: break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.max_memory = 32u << 20;
    /* A Loop may legally run for 2^63 iterations, and constants folded at open may cost minutes
     * in 32 MiB: only a deadline bounds the time, as it would for a user. 3 s for the open and
     * each run (well under libFuzzer's 20 s), so a kernel that misses its stop checks still
     * shows as a hang. */
    opt.timeout = 3.0;
    opt.no_fold = size & 1; /* sessions fold BatchNormalization at open unless told not to */
    /* half the inputs on 2 threads: the kernels split their work and scratch per thread then */
    opt.threads = 1 + (int)((size >> 1) & 1);
    onnxbn_error err;
    onnxbn_model *m = NULL;
    if (onnxbn_model_load_buffer(data, size, NULL, &opt, &m, &err) != ONNXBN_OK)
        return 0;
    size_t n = onnxbn_model_input_count(m);
    if (n > MAX_INPUTS) {
        onnxbn_model_free(m);
        return 0;
    }
    const char *names[MAX_INPUTS];
    onnxbn_tensor *ins[MAX_INPUTS];
    size_t made = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        onnxbn_dtype dt = vi->dtype;
        if (onnxbn_dtype_size(dt) == 0)
            dt = ONNXBN_FLOAT;
        int rank = vi->rank < 0 ? 1 : vi->rank;
        int64_t dims[ONNXBN_MAX_RANK], numel = 1;
        for (int d = 0; d < rank; d++) {
            dims[d] = vi->dims[d] < 0 ? 2 : vi->dims[d];
            if (dims[d] > MAX_ELEMS || (numel *= dims[d]) > MAX_ELEMS)
                ok = false;
        }
        if (ok && onnxbn_tensor_new(dt, rank, dims, &ins[made], &err) == ONNXBN_OK) {
            fill(ins[made], (uint32_t)size + (uint32_t)i);
            if (vi->kind == ONNXBN_KIND_SEQUENCE || vi->kind == ONNXBN_KIND_OPTIONAL_SEQUENCE) {
                /* a declared sequence gets two copies of the tensor, so sequence ops run */
                onnxbn_tensor *seq = NULL;
                const onnxbn_tensor *two[2] = {ins[made], ins[made]};
                if (onnxbn_sequence_new(dt, 2, two, &seq, &err) != ONNXBN_OK)
                    ok = false;
                onnxbn_tensor_free(ins[made]);
                ins[made] = seq;
            }
            if (ok)
                names[made++] = vi->name;
        } else {
            ok = false;
        }
    }
    onnxbn_session *s = NULL;
    if (ok && onnxbn_session_new(m, &opt, &s, &err) == ONNXBN_OK) {
        if (onnxbn_session_run(s, made, names, (const onnxbn_tensor *const *)ins, &err) == ONNXBN_OK) {
            volatile uint8_t sum = 0;
            for (size_t i = 0; i < onnxbn_model_output_count(onnxbn_session_model(s)); i++) {
                const onnxbn_tensor *t = onnxbn_session_output(s, i);
                const uint8_t *p = onnxbn_tensor_cdata(t);
                for (size_t b = 0; b < onnxbn_tensor_nbytes(t); b++)
                    sum += p[b];
            }
            /* Again with the same shapes: the cached plan must give a clean second run. */
            (void)sum;
            onnxbn_session_run(s, made, names, (const onnxbn_tensor *const *)ins, &err);
        }
        onnxbn_session_free(s);
    } else if (!ok) {
        onnxbn_model_free(m);
    }
    for (size_t i = 0; i < made; i++)
        onnxbn_tensor_free(ins[i]);
    return 0;
}
