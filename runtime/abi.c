/* SPDX-License-Identifier: Apache-2.0 */
/* abi.c — reading the size-versioned public structs: a caller built against an older onnxbn.h
 * passes a smaller struct, and the library touches only the fields that struct has. */
#include "abi.h"

#include <string.h>

static bool size_ok(size_t size, size_t v1, size_t full)
{
    return size >= v1 && size <= full;
}

onnxbn_status onnxbn_options_read(const onnxbn_options *in, onnxbn_options *out, const char *who,
                                  onnxbn_error *err)
{
    *out = (onnxbn_options)ONNXBN_OPTIONS_INIT;
    if (!in)
        return ONNXBN_OK;
    if (!size_ok(in->size, ONNXBN_OPTIONS_SIZE_V1, sizeof *in))
        return onnxbn_fail(err, ONNXBN_ERR_ARG,
                           "%s: onnxbn_options.size is %zu, expected sizeof(onnxbn_options) = %zu "
                           "(initialize it with ONNXBN_OPTIONS_INIT)",
                           who, in->size, sizeof *in);
    out->max_memory = in->max_memory;
    out->threads = in->threads;
    out->no_fold = in->no_fold;
    out->profile = in->profile;
    /* fields added after the first version: read when the caller's struct has them */
    if (in->size >= ONNXBN_FIELD_END(onnxbn_options, timeout))
        out->timeout = in->timeout;
    if (!(out->timeout >= 0.0 && out->timeout <= 1e9))
        return onnxbn_fail(err, ONNXBN_ERR_ARG,
                           "%s: onnxbn_options.timeout is %g seconds; expected 0 (none) to 1e9", who,
                           out->timeout);
    return ONNXBN_OK;
}

bool onnxbn_out_copy(void *dst, const void *src, size_t v1, size_t full)
{
    size_t n;
    memcpy(&n, dst, sizeof n);
    if (!size_ok(n, v1, full))
        return false;
    memcpy(dst, src, n);
    memcpy(dst, &n, sizeof n);
    return true;
}
