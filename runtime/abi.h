/* SPDX-License-Identifier: Apache-2.0 */
/* abi.h — the public structs that carry their size (onnxbn.h): whether a caller's size is one this
 * library serves, and copies that touch only the bytes the caller's struct has. */
#ifndef ONNXBN_ABI_H
#define ONNXBN_ABI_H

#include "core.h"

/* The end of field f of struct T: a caller's struct holds f when its size is at least this. */
#define ONNXBN_FIELD_END(T, f) (offsetof(T, f) + sizeof(((T *)0)->f))

/* The size of each struct's first version (its last field then). A valid size lies between it
 * and the library's sizeof; when a field is added, these stay as they are. */
#define ONNXBN_OPTIONS_SIZE_V1 ONNXBN_FIELD_END(onnxbn_options, profile)
#define ONNXBN_MEMORY_INFO_SIZE_V1 ONNXBN_FIELD_END(onnxbn_memory_info, constant_bytes)
#define ONNXBN_VALUE_INFO_SIZE_V1 ONNXBN_FIELD_END(onnxbn_value_info, dim_names)

/* *out = the defaults, then the fields of `in` (NULL: the defaults) that its size covers.
 * A size of 0, below the first version or above sizeof(onnxbn_options) is ONNXBN_ERR_ARG, and
 * then nothing else of *in is read. `who` names the caller in the message. */
onnxbn_status onnxbn_options_read(const onnxbn_options *in, onnxbn_options *out, const char *who,
                                  onnxbn_error *err);

/* Copies a whole library-side struct `src` (of `full` bytes, starting with size_t size) into the
 * caller's `dst`, only as many bytes as dst->size says, keeping dst->size. False, writing nothing,
 * when dst->size is outside [v1, full]. */
bool onnxbn_out_copy(void *dst, const void *src, size_t v1, size_t full);

#endif
