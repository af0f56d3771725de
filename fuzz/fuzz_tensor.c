/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tensor.c — libFuzzer target: a tensor file (.pb TensorProto or .npy) from bytes, and the
 * same bytes as a SequenceProto and an OptionalProto. A tensor that reads (each element of a
 * sequence too) must be self-consistent: its byte count is its type size times its element count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tensor(const onnxbn_tensor *t)
{
    int rank = onnxbn_tensor_rank(t);
    if (rank < 0 || rank > ONNXBN_MAX_RANK)
        __builtin_trap();
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        int64_t d = onnxbn_tensor_dims(t)[i];
        if (d < 0)
            __builtin_trap();
        n *= d;
    }
    size_t es = onnxbn_dtype_size(onnxbn_tensor_dtype(t));
    if (n != onnxbn_tensor_numel(t) || (uint64_t)n * es != onnxbn_tensor_nbytes(t))
        __builtin_trap();
    /* Touch every byte, so a buffer shorter than it claims shows up under ASan. */
    const uint8_t *p = onnxbn_tensor_cdata(t);
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < onnxbn_tensor_nbytes(t); i++)
        sum += p[i];
    (void)sum;
}

static void read_as(const uint8_t *data, size_t size, onnxbn_kind as)
{
    onnxbn_tensor *t = NULL;
    char *name = NULL;
    onnxbn_error err;
    if (onnxbn_value_read_buffer(data, size, as, &t, &name, &err) != ONNXBN_OK) {
        if (t || name || !err.msg[0])
            __builtin_trap();
        return;
    }
    onnxbn_kind k = onnxbn_tensor_kind(t);
    if (k == ONNXBN_KIND_SEQUENCE) {
        for (size_t i = 0; i < onnxbn_sequence_length(t); i++) {
            const onnxbn_tensor *e = onnxbn_sequence_at(t, i);
            if (!e || onnxbn_tensor_dtype(e) != onnxbn_tensor_dtype(t))
                __builtin_trap();
            check_tensor(e);
        }
    } else if (k == ONNXBN_KIND_TENSOR) {
        if (as == ONNXBN_KIND_SEQUENCE)
            __builtin_trap();
        check_tensor(t);
    } else if (as != ONNXBN_KIND_OPTIONAL_SEQUENCE && as != ONNXBN_KIND_OPTIONAL_TENSOR) {
        __builtin_trap();
    }
    free(name);
    onnxbn_tensor_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_as(data, size, ONNXBN_KIND_TENSOR);
    read_as(data, size, ONNXBN_KIND_SEQUENCE);
    read_as(data, size, ONNXBN_KIND_OPTIONAL_SEQUENCE);
    return 0;
}
