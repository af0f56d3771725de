/* SPDX-License-Identifier: Apache-2.0 */
/* simple.c — the smallest complete use of libonnxbn: open a model, fill its inputs, run it, read
 * the outputs, and report errors. Build: cc simple.c $(pkg-config --cflags --libs onnxbn) */
#include <stdio.h>
#include <stdlib.h>

#include <onnxbn.h>

/* Deterministic input values, so a run can be checked: element i holds (i % 7) - 3. */
static void fill(onnxbn_tensor *t)
{
    float *x = onnxbn_tensor_data(t);
    for (int64_t i = 0; i < onnxbn_tensor_numel(t); i++)
        x[i] = (float)(i % 7 - 3);
}

static void print_output(const char *name, const onnxbn_tensor *t)
{
    const int64_t *dims = onnxbn_tensor_dims(t);
    printf("output '%s': %s [", name, onnxbn_dtype_name(onnxbn_tensor_dtype(t)));
    for (int d = 0; d < onnxbn_tensor_rank(t); d++)
        printf(d ? ",%lld" : "%lld", (long long)dims[d]);
    printf("]:");
    if (onnxbn_tensor_dtype(t) == ONNXBN_FLOAT) {
        const float *y = onnxbn_tensor_cdata(t);
        int64_t n = onnxbn_tensor_numel(t);
        for (int64_t i = 0; i < n && i < 16; i++)
            printf(" %.7g", y[i]);
        if (n > 16)
            printf(" ...");
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
        return 2;
    }
    printf("onnxbn %s\n", onnxbn_version());

    /* Every call that can fail returns a status and, given an onnxbn_error, says what and where. */
    onnxbn_error err = {0};
    onnxbn_session *s = NULL;
    if (onnxbn_session_open(argv[1], NULL, &s, &err) != ONNXBN_OK) {
        fprintf(stderr, "simple: %s (%s)\n", err.msg, onnxbn_status_name(err.status));
        return 1;
    }
    const onnxbn_model *m = onnxbn_session_model(s);

    /* One tensor per input, of the declared shape; a symbolic dimension (batch) is taken as 1. */
    size_t n_in = onnxbn_model_input_count(m);
    onnxbn_tensor **inputs = calloc(n_in + 1, sizeof *inputs);
    const char **names = calloc(n_in + 1, sizeof *names);
    int rc = inputs && names ? 0 : 1;
    for (size_t i = 0; rc == 0 && i < n_in; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        if (vi->dtype != ONNXBN_FLOAT || vi->rank < 0) {
            fprintf(stderr, "simple: input '%s' is not a float tensor of known rank\n", vi->name);
            rc = 1;
            break;
        }
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < vi->rank; d++)
            dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
        if (onnxbn_tensor_new(ONNXBN_FLOAT, vi->rank, dims, &inputs[i], &err) != ONNXBN_OK) {
            fprintf(stderr, "simple: %s\n", err.msg);
            rc = 1;
            break;
        }
        fill(inputs[i]);
        names[i] = vi->name;
    }

    if (rc == 0 && onnxbn_session_run(s, n_in, names, (const onnxbn_tensor *const *)inputs, &err) !=
                       ONNXBN_OK) {
        fprintf(stderr, "simple: %s (%s)\n", err.msg, onnxbn_status_name(err.status));
        rc = 1;
    }
    /* Outputs belong to the session and stay valid until the next run. */
    for (size_t i = 0; rc == 0 && i < onnxbn_model_output_count(m); i++)
        print_output(onnxbn_model_output(m, i)->name, onnxbn_session_output(s, i));

    for (size_t i = 0; inputs && i < n_in; i++)
        onnxbn_tensor_free(inputs[i]);
    free(inputs);
    free(names);
    onnxbn_session_free(s);
    return rc;
}
