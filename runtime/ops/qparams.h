/* SPDX-License-Identifier: Apache-2.0 */
/* qparams.h — the scale and zero point inputs the quantized operators share: their types and
 * shapes checked once (per tensor, or per slice along an axis), and their values read per run. */
#ifndef ONNXBN_OPS_QPARAMS_H
#define ONNXBN_OPS_QPARAMS_H

#include <stdbool.h>

#include "op.h"

/* One scale/zero-point pair as a node has it: inputs si (float scale) and zi (zero point, may be
 * absent: then 0). count 1: per tensor; else one value per index of axis `axis` of the tensor it
 * quantizes. */
typedef struct onnxbn_qparam {
    int si, zi;
    int64_t count;
    int axis;
} onnxbn_qparam;

/* Checks inputs si/zi of node c: scale float, a scalar or one value (per tensor) or, when
 * `axis_len` > 0, a 1-D tensor of axis_len values; zero point of type `zp_type` (when present)
 * and of the scale's shape. `what` names the quantized tensor in messages ("x", "w"). */
onnxbn_status onnxbn_qparam_check(const onnxbn_kctx *c, int si, int zi, onnxbn_dtype zp_type,
                                  int64_t axis_len, const char *what, onnxbn_qparam *q);
/* Scale j (j < count; 0 for per tensor) and zero point j, from the inputs' data. */
float onnxbn_qparam_scale(const onnxbn_kctx *c, const onnxbn_qparam *q, int64_t j);
int32_t onnxbn_qparam_zp(const onnxbn_kctx *c, const onnxbn_qparam *q, int64_t j);
/* The element of an int8, uint8 or int32 tensor as an int32. */
int32_t onnxbn_q_at(const onnxbn_tensor *t, int64_t i);
/* int8 or uint8 (the 8-bit quantized types); int32 when `wide` allows it. */
bool onnxbn_q_type(onnxbn_dtype t, bool wide);

#endif
