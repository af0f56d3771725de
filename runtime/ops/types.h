/* SPDX-License-Identifier: Apache-2.0 */
/* types.h — element-type rules by operator version, shared by every operator file: sets of types
 * as bit masks, the set a version takes, and the one type check with its one message. */
#ifndef ONNXBN_OPS_TYPES_H
#define ONNXBN_OPS_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"

#define ONNXBN_TM(t) (1u << (t))
#define ONNXBN_TM_FLT (ONNXBN_TM(ONNXBN_FLOAT16) | ONNXBN_TM(ONNXBN_FLOAT) | ONNXBN_TM(ONNXBN_DOUBLE))
#define ONNXBN_TM_BF ONNXBN_TM(ONNXBN_BFLOAT16)
#define ONNXBN_TM_SINT                                                                             \
    (ONNXBN_TM(ONNXBN_INT8) | ONNXBN_TM(ONNXBN_INT16) | ONNXBN_TM(ONNXBN_INT32) |                  \
     ONNXBN_TM(ONNXBN_INT64))
#define ONNXBN_TM_UINT                                                                             \
    (ONNXBN_TM(ONNXBN_UINT8) | ONNXBN_TM(ONNXBN_UINT16) | ONNXBN_TM(ONNXBN_UINT32) |               \
     ONNXBN_TM(ONNXBN_UINT64))
#define ONNXBN_TM_I32_64 (ONNXBN_TM(ONNXBN_INT32) | ONNXBN_TM(ONNXBN_INT64))
#define ONNXBN_TM_U32_64 (ONNXBN_TM(ONNXBN_UINT32) | ONNXBN_TM(ONNXBN_UINT64))

/* The element types a version takes: the entry with the newest `since` not above it; the list
 * ends with {0, 0}. */
typedef struct onnxbn_type_rule {
    int since;
    uint32_t mask;
} onnxbn_type_rule;

uint32_t onnxbn_type_mask_at(const onnxbn_type_rule *r, int version);
/* "bool, float16, float or double" into buf (at most cap bytes); returns buf. */
const char *onnxbn_type_list(uint32_t mask, char *buf, size_t cap);
/* Fails with ONNXBN_ERR_TYPE unless input i's type is in mask: "input 'X' ('x0') is int8,
 * Sqrt-13 takes float16, float, double or bfloat16". */
onnxbn_status onnxbn_check_input_type(const onnxbn_kctx *c, int i, const char *formal,
                                      uint32_t mask);

/* Rules many operators share: float16, float and double in every version; the same with
 * bfloat16 from version 13; and Gemm's and MatMul's (integers from 9, bfloat16 from 13). */
extern const onnxbn_type_rule onnxbn_types_float[];
extern const onnxbn_type_rule onnxbn_types_float_bf13[];
extern const onnxbn_type_rule onnxbn_matmul_types[];

#endif
