/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_load.c — libFuzzer target: a model from bytes. Loading must fail cleanly or succeed, and
 * every fact the public API reports about a loaded model must be readable. */
#include <stdint.h>
#include <string.h>

#include "onnxbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.max_memory = 64u << 20; /* a small cap: the fuzzer must not run the machine out of memory */
    onnxbn_model *m = NULL;
    onnxbn_error err;
    /* No base folder: external data must be refused, never read. */
    if (onnxbn_model_load_buffer(data, size, NULL, &opt, &m, &err) != ONNXBN_OK) {
        if (m || !err.msg[0] || strlen(err.msg) >= sizeof err.msg)
            __builtin_trap(); /* a failure leaves no model and always says why */
        return 0;
    }
    size_t acc = strlen(onnxbn_model_producer_name(m)) + strlen(onnxbn_model_producer_version(m));
    acc += (size_t)onnxbn_model_ir_version(m);
    for (size_t i = 0; i < onnxbn_model_opset_count(m); i++)
        acc += strlen(onnxbn_model_opset_domain(m, i)) + (size_t)onnxbn_model_opset_version(m, i);
    for (size_t i = 0; i < onnxbn_model_node_count(m); i++)
        acc += strlen(onnxbn_model_node_op_type(m, i)) + strlen(onnxbn_model_node_name(m, i));
    acc += onnxbn_model_initializer_count(m) + (size_t)onnxbn_model_initializer_bytes(m);
    for (size_t k = 0; k < 2; k++) {
        size_t n = k ? onnxbn_model_output_count(m) : onnxbn_model_input_count(m);
        for (size_t i = 0; i < n; i++) {
            const onnxbn_value_info *vi = k ? onnxbn_model_output(m, i) : onnxbn_model_input(m, i);
            acc += strlen(vi->name) + (size_t)vi->dtype;
            if (vi->rank > ONNXBN_MAX_RANK)
                __builtin_trap();
            for (int d = 0; d < vi->rank; d++)
                acc += (size_t)vi->dims[d] + (vi->dim_names[d] ? strlen(vi->dim_names[d]) : 0);
        }
    }
    onnxbn_model_free(m);
    return acc == 42 ? 0 : 0;
}
