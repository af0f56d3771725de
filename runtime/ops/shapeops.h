/* SPDX-License-Identifier: Apache-2.0 */
/* shapeops.h — what the shape and data-movement operators share: element-type rules by version,
 * axis checks, reading constant integer inputs (shapes, axes, pads) and the plain copy. */
#ifndef ONNXBN_OPS_SHAPEOPS_H
#define ONNXBN_OPS_SHAPEOPS_H

#include "op.h"
#include "ops/types.h"

/* Sets of element types, one bit per onnxbn_dtype. */
#define MV_T(t) ONNXBN_TM(t)
#define MV_FLOATS (MV_T(ONNXBN_FLOAT16) | MV_T(ONNXBN_FLOAT) | MV_T(ONNXBN_DOUBLE))
#define MV_SIGNED (MV_T(ONNXBN_INT8) | MV_T(ONNXBN_INT16) | MV_T(ONNXBN_INT32) | MV_T(ONNXBN_INT64))
#define MV_UNSIGNED \
    (MV_T(ONNXBN_UINT8) | MV_T(ONNXBN_UINT16) | MV_T(ONNXBN_UINT32) | MV_T(ONNXBN_UINT64))
#define MV_NUMERIC (MV_FLOATS | MV_SIGNED | MV_UNSIGNED)
/* The "all tensor types" list of the opsets before 13, then with bfloat16. */
#define MV_ALL12                                                                      \
    (MV_NUMERIC | MV_T(ONNXBN_BOOL) | MV_T(ONNXBN_STRING) | MV_T(ONNXBN_COMPLEX64) | \
     MV_T(ONNXBN_COMPLEX128))
#define MV_ALL (MV_ALL12 | MV_T(ONNXBN_BFLOAT16))
#define MV_INDEX (MV_T(ONNXBN_INT32) | MV_T(ONNXBN_INT64))

/* Input i must be one of `allowed`; `name` is its name in the operator spec. Strings and other
 * types without a fixed element size are refused as unsupported even where the spec allows them. */
onnxbn_status onnxbn_mv_check_type(const onnxbn_kctx *c, int i, const char *name,
                                   uint32_t allowed);
onnxbn_status onnxbn_mv_check_dtype(const onnxbn_kctx *c, onnxbn_dtype t, const char *what,
                                    uint32_t allowed);

/* An axis in [-rank, rank-1] made non-negative in *out; `what` names it. Negative axes are taken
 * in every version: the specs spell them out only from opset 11, but exporters emit them at older
 * opsets (PyTorch's Split at opset 6) with the one possible meaning, and onnxruntime takes them. */
onnxbn_status onnxbn_mv_axis(const onnxbn_kctx *c, int64_t axis, int rank, const char *what,
                             int *out);

/* The values of input i, a constant 1-D tensor (or a scalar when allow_scalar) of a type in
 * `allowed` (integer types), into buf (at most cap values). A value known only at run time is
 * ONNXBN_ERR_UNSUPPORTED: the output shape would depend on data. */
onnxbn_status onnxbn_mv_const_ints(const onnxbn_kctx *c, int i, const char *name,
                                   uint32_t allowed, bool allow_scalar, int64_t *buf, size_t cap,
                                   size_t *n);

/* Sets output k's type and shape (when the output is present); a failure (rank, overflow) names
 * the node and output. */
onnxbn_status onnxbn_mv_set_out(const onnxbn_kctx *c, int k, onnxbn_dtype t, int rank,
                                const int64_t *dims);

/* The run-time error of a gather or scatter over input 0 for the index at position p of input 1
 * ('indices', int32 or int64), out of range on data axis `axis`. */
onnxbn_status onnxbn_mv_index_fail(const onnxbn_kctx *c, int64_t p, int axis);

/* The `axis` attribute (default 0) of the Elements forms, an axis of input 0. */
onnxbn_status onnxbn_mv_attr_axis(const onnxbn_kctx *c, int *axis);

/* Output 0 = input 0, byte for byte (Reshape, Flatten, Squeeze, Unsqueeze, Identity). */
onnxbn_status onnxbn_mv_copy_run(onnxbn_kctx *c);

/* Input i's name in the graph, for messages. */
static inline const char *mv_in_name(const onnxbn_kctx *c, int i)
{
    return onnxbn_node_input_name(c->node, i);
}

#endif
