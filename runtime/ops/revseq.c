/* SPDX-License-Identifier: Apache-2.0 */
/* revseq.c — ReverseSequence 10: for each batch entry b, the first sequence_lens[b] steps of the
 * time axis reversed and the rest copied. The lengths are read at each run. */
#include <string.h>

#include "shapeops.h"

static const onnxbn_attr_spec revseq_attrs[] = {
    {"batch_axis", ONNXBN_ATTR_INT, false, 0, 0},
    {"time_axis", ONNXBN_ATTR_INT, false, 0, 0},
    {NULL, 0, false, 0, 0},
};

#define REVSEQ_TYPES (MV_ALL12 & ~MV_T(ONNXBN_STRING))

static onnxbn_status revseq_axes(const onnxbn_kctx *c, int64_t *batch, int64_t *time)
{
    onnxbn_status st;
    if ((st = onnxbn_attr_int(c, "batch_axis", 1, batch)) || (st = onnxbn_attr_int(c, "time_axis", 0, time)))
        return st;
    if ((*batch != 0 && *batch != 1) || (*time != 0 && *time != 1) || *batch == *time)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attributes 'batch_axis' %lld and 'time_axis' "
                                "%lld must be 0 and 1 in some order", (long long)*batch, (long long)*time);
    return ONNXBN_OK;
}

static onnxbn_status revseq_infer(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *lens = onnxbn_in(c, 1);
    int64_t batch, time;
    onnxbn_status st;
    if ((st = onnxbn_mv_check_type(c, 0, "input", REVSEQ_TYPES)) ||
        (st = onnxbn_mv_check_type(c, 1, "sequence_lens", MV_T(ONNXBN_INT64))) ||
        (st = revseq_axes(c, &batch, &time)))
        return st;
    if (x->rank < 2)
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'input' ('%.100s') has rank %d, "
                                "expected 2 or more", mv_in_name(c, 0), x->rank);
    if (lens->rank != 1 || lens->dims[0] != x->dims[batch])
        return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "input 'sequence_lens' ('%.100s') has %lld "
                                "values in rank %d; it needs one per batch entry, %lld",
                                mv_in_name(c, 1), (long long)lens->numel, lens->rank,
                                (long long)x->dims[batch]);
    return onnxbn_mv_set_out(c, 0, x->dtype, x->rank, x->dims);
}

static onnxbn_status revseq_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0), *lens = onnxbn_in(c, 1);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    int64_t batch, time;
    onnxbn_status st = revseq_axes(c, &batch, &time);
    if (st)
        return st;
    const int64_t nb = x->dims[batch], nt = x->dims[time];
    const int64_t *len = lens->data;
    for (int64_t b = 0; b < nb; b++)
        if (len[b] < 0 || len[b] > nt)
            return onnxbn_node_fail(c, ONNXBN_ERR_SHAPE, "sequence_lens[%lld] is %lld, outside "
                                    "[0, %lld], the time axis' length", (long long)b,
                                    (long long)len[b], (long long)nt);
    if (y->numel == 0)
        return ONNXBN_OK;
    /* a block is everything after the first two axes, contiguous in both tensors */
    const size_t block = (size_t)(y->numel / (nb * nt)) * onnxbn_dtype_size(x->dtype);
    const int64_t sb = time == 0 ? 1 : nt, st_ = time == 0 ? nb : 1; /* block strides of b, t */
    for (int64_t b = 0; b < nb; b++)
        for (int64_t t = 0; t < nt; t++) {
            const int64_t from = t < len[b] ? len[b] - 1 - t : t;
            memcpy((uint8_t *)y->data + (size_t)(b * sb + t * st_) * block,
                   (const uint8_t *)x->data + (size_t)(b * sb + from * st_) * block, block);
        }
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_reversesequence = {
    .attrs = revseq_attrs,
    .infer = revseq_infer,
    .run = revseq_run,
};
