/* SPDX-License-Identifier: Apache-2.0 */
/* test_revseq.c — ReverseSequence 10: the spec's two examples, blocks of more than one element,
 * lengths of 0 and of the whole axis, and lengths or axes that do not fit refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "mkmodel.h"

static mk_model *revseq_model(onnxbn_dtype t, int r, const int64_t *d, int64_t nb,
                              const int64_t *batch_axis, const int64_t *time_axis)
{
    mk_model *mm = mk_new(10);
    mk_input(mm, "X", t, r, d);
    mk_input(mm, "L", ONNXBN_INT64, 1, (const int64_t[]){nb});
    mk_output(mm, "Y", t, -1, NULL);
    mk_node *n = mk_node_add(mm, "ReverseSequence", "rs", "X,L", "Y");
    if (batch_axis)
        mk_attr_i(n, "batch_axis", *batch_axis);
    if (time_axis)
        mk_attr_i(n, "time_axis", *time_axis);
    return mm;
}

static void test_revseq_examples(void **state)
{
    (void)state;
    const int64_t d[] = {4, 4}, zero = 0, one = 1, nb[] = {4};
    float x[16];
    for (int k = 0; k < 16; k++)
        x[k] = (float)k;
    /* example 2: batch_axis 0, time_axis 1, lengths [1,2,3,4] */
    const int64_t l2[4] = {1, 2, 3, 4};
    mk_feed f2[2] = {{"X", ONNXBN_FLOAT, 2, d, x}, {"L", ONNXBN_INT64, 1, nb, l2}};
    mk_model *mm = revseq_model(ONNXBN_FLOAT, 2, d, 4, &zero, &one);
    mk_check_bytes(mm, 2, f2, ONNXBN_FLOAT, 2, d,
                (const float[]){0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12});
    mk_free(mm);
    /* example 1 (the defaults: time_axis 0, batch_axis 1): x[t][b] = 4b + t, lengths [4,3,2,1] */
    float x1[16];
    for (int t = 0; t < 4; t++)
        for (int b = 0; b < 4; b++)
            x1[t * 4 + b] = (float)(4 * b + t);
    const int64_t l1[4] = {4, 3, 2, 1};
    mk_feed f1[2] = {{"X", ONNXBN_FLOAT, 2, d, x1}, {"L", ONNXBN_INT64, 1, nb, l1}};
    mm = revseq_model(ONNXBN_FLOAT, 2, d, 4, NULL, NULL);
    mk_check_bytes(mm, 2, f1, ONNXBN_FLOAT, 2, d,
                (const float[]){3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15});
    mk_free(mm);
}

static void test_revseq_blocks(void **state)
{
    (void)state;
    /* [batch 2, time 3, 2]: batch 0 reversed over all 3 steps, batch 1 over none */
    const int64_t d[] = {2, 3, 2}, zero = 0, one = 1, nb[] = {2}, l[2] = {3, 0};
    const int16_t x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    mk_feed f[2] = {{"X", ONNXBN_INT16, 3, d, x}, {"L", ONNXBN_INT64, 1, nb, l}};
    mk_model *mm = revseq_model(ONNXBN_INT16, 3, d, 2, &zero, &one);
    mk_check_bytes(mm, 2, f, ONNXBN_INT16, 3, d, (const int16_t[]){4, 5, 2, 3, 0, 1, 6, 7, 8, 9, 10, 11});
    mk_free(mm);
    /* [time 3, batch 2, 2] with lengths [2, 3] */
    const int64_t dt[] = {3, 2, 2}, lt[2] = {2, 3};
    mk_feed ft[2] = {{"X", ONNXBN_INT16, 3, dt, x}, {"L", ONNXBN_INT64, 1, nb, lt}};
    mm = revseq_model(ONNXBN_INT16, 3, dt, 2, NULL, NULL);
    /* batch 0 blocks at t: {0,1},{4,5},{8,9} -> first 2 swapped; batch 1: {2,3},{6,7},{10,11} all */
    mk_check_bytes(mm, 2, ft, ONNXBN_INT16, 3, dt, (const int16_t[]){4, 5, 10, 11, 0, 1, 6, 7, 8, 9, 2, 3});
    mk_free(mm);
}

static void test_revseq_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3}, zero = 0, one = 1, nb[] = {2}, bad[2] = {1, 4};
    const float x[6] = {0};
    mk_feed f[2] = {{"X", ONNXBN_FLOAT, 2, d, x}, {"L", ONNXBN_INT64, 1, nb, bad}};
    mk_model *mm = revseq_model(ONNXBN_FLOAT, 2, d, 2, &zero, &one);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "node 'rs' (ReverseSequence): sequence_lens[1] is 4, outside [0, 3]");
    mk_free(mm);
    const int64_t neg[2] = {-1, 1};
    f[1].data = neg;
    mm = revseq_model(ONNXBN_FLOAT, 2, d, 2, &zero, &one);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "node 'rs' (ReverseSequence): sequence_lens[0] is -1");
    mk_free(mm);
    /* three lengths for a batch of 2 */
    const int64_t n3[] = {3}, l3[3] = {1, 1, 1};
    mk_feed f3[2] = {{"X", ONNXBN_FLOAT, 2, d, x}, {"L", ONNXBN_INT64, 1, n3, l3}};
    mm = revseq_model(ONNXBN_FLOAT, 2, d, 3, &zero, &one);
    mk_expect_fail(mm, 2, f3, ONNXBN_ERR_SHAPE, "node 'rs' (ReverseSequence): input 'sequence_lens' ('L') has 3 values");
    mk_free(mm);
    mm = revseq_model(ONNXBN_FLOAT, 2, d, 2, &one, &one);
    f[1].data = bad;
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_MODEL, "node 'rs' (ReverseSequence): attributes 'batch_axis' 1 and 'time_axis' 1");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revseq_examples),
        cmocka_unit_test(test_revseq_blocks),
        cmocka_unit_test(test_revseq_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
