/* SPDX-License-Identifier: Apache-2.0 */
/* castlike.c — CastLike 15: Cast to the element type of a second input, whose values are never
 * read. Same conversions and type set as Cast-13 (cast.c), which does the work. */
#include "cast.h"
#include "shapeops.h"

static onnxbn_status castlike_infer(onnxbn_kctx *c)
{
    /* CastLike-15 takes Cast-13's types (bfloat16 and string included) on both sides */
    const uint32_t types = onnxbn_cast_types(13);
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", types);
    if (!st)
        st = onnxbn_mv_check_type(c, 1, "target_type", types);
    return st ? st : onnxbn_cast_set_out(c, onnxbn_in(c, 1)->dtype);
}

const onnxbn_op_def onnxbn_op_castlike = {
    .infer = castlike_infer,
    .run = onnxbn_cast_run,
    .free_state = onnxbn_strbuf_free,
};
