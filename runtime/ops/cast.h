/* SPDX-License-Identifier: Apache-2.0 */
/* cast.h — what Cast shares with CastLike (castlike.c): the types a Cast version takes, the
 * output rule once the target type is known, and the run, which reads the target from output 0. */
#ifndef ONNXBN_OPS_CAST_H
#define ONNXBN_OPS_CAST_H

#include "op.h"

/* The element types Cast-`version` takes on either side (strings are then refused as
 * unsupported by the type check). */
uint32_t onnxbn_cast_types(int version);
/* Output 0: input 0's shape in type `to`; a pair the kernel does not convert is unsupported. */
onnxbn_status onnxbn_cast_set_out(onnxbn_kctx *c, onnxbn_dtype to);
/* Output 0 = input 0 converted to output 0's type. */
onnxbn_status onnxbn_cast_run(onnxbn_kctx *c);
/* Its state is an onnxbn_strbuf (string outputs): free it with onnxbn_strbuf_free. */

#endif
