/* fuzz_tensor.c — libFuzzer target: a tensor file (.pb TensorProto or .npy) from bytes. A tensor
 * that reads must be self-consistent: its byte count is its type size times its element count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnxbn_tensor *t = NULL;
    char *name = NULL;
    onnxbn_error err;
    if (onnxbn_tensor_read_buffer(data, size, &t, &name, &err) != ONNXBN_OK) {
        if (t || name || !err.msg[0])
            __builtin_trap();
        return 0;
    }
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
    if (name)
        sum += (uint8_t)strlen(name);
    (void)sum;
    free(name);
    onnxbn_tensor_free(t);
    return 0;
}
