/* SPDX-License-Identifier: Apache-2.0 */
/* fold.c — fold BatchNormalization through the C API: load, fuse, print the report, save, then
 * run the original and the folded file on the same input and compare. usage: fold IN.onnx OUT.onnx */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <onnxbn.h>

static int fail(const char *what, const onnxbn_error *err)
{
    fprintf(stderr, "fold: %s: %s (%s)\n", what, err->msg, onnxbn_status_name(err->status));
    return 1;
}

static int fuse_and_save(const char *in, const char *out)
{
    onnxbn_error err = {0};
    onnxbn_model *m = NULL;
    if (onnxbn_model_load(in, NULL, &m, &err) != ONNXBN_OK)
        return fail("load", &err);

    /* NULL passes: all of them (fold-constants, remove-identity, remove-dropout, fold-bn, prune). */
    onnxbn_fuse_report *r = NULL;
    if (onnxbn_model_fuse(m, NULL, 0, &r, &err) != ONNXBN_OK) {
        onnxbn_model_free(m);
        return fail("fuse", &err);
    }
    for (size_t i = 0; i < onnxbn_fuse_report_count(r); i++) {
        const onnxbn_fuse_entry *e = onnxbn_fuse_report_entry(r, i);
        printf("%-9s %-16s %s%s%s%s%s\n", e->action, e->kind, e->bn[0] ? e->bn : e->bn_output,
               e->node[0] ? " -> " : "", e->node, e->reason[0] ? ": " : "", e->reason);
    }
    const onnxbn_fuse_stats *st = onnxbn_fuse_report_stats(r);
    printf("BatchNormalization: %d -> %d (%d folded, %d left); nodes: %d -> %d\n", st->bn_before,
           st->bn_after, st->bn_folded, st->bn_left, st->nodes_before, st->nodes_after);
    onnxbn_fuse_report_free(r);

    onnxbn_status s = onnxbn_model_save(m, out, &err);
    onnxbn_model_free(m);
    return s == ONNXBN_OK ? 0 : fail("save", &err);
}

/* Opens `path` and runs it on deterministic inputs (symbolic dims 1). */
static int run(const char *path, bool no_fold, onnxbn_session **out)
{
    onnxbn_options opt = ONNXBN_OPTIONS_INIT; /* sets opt.size: see onnxbn.h */
    opt.no_fold = no_fold;
    onnxbn_error err = {0};
    if (onnxbn_session_open(path, &opt, out, &err) != ONNXBN_OK)
        return fail(path, &err);
    const onnxbn_model *m = onnxbn_session_model(*out);
    size_t n = onnxbn_model_input_count(m);
    onnxbn_tensor **in = calloc(n + 1, sizeof *in);
    const char **names = calloc(n + 1, sizeof *names);
    int rc = in && names ? 0 : 1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < vi->rank; d++)
            dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
        if (vi->dtype != ONNXBN_FLOAT || vi->rank < 0 ||
            onnxbn_tensor_new(ONNXBN_FLOAT, vi->rank, dims, &in[i], &err) != ONNXBN_OK) {
            fprintf(stderr, "fold: input '%s': this example feeds float tensors of known rank\n",
                    vi->name);
            rc = 1;
            break;
        }
        float *x = onnxbn_tensor_data(in[i]);
        for (int64_t k = 0; k < onnxbn_tensor_numel(in[i]); k++)
            x[k] = (float)sin(0.37 * (double)k); /* any fixed values; both runs see the same */
        names[i] = vi->name;
    }
    if (rc == 0 && onnxbn_session_run(*out, n, names, (const onnxbn_tensor *const *)in, &err))
        rc = fail(path, &err);
    for (size_t i = 0; in && i < n; i++)
        onnxbn_tensor_free(in[i]);
    free(in);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN.onnx OUT.onnx\n", argv[0]);
        return 2;
    }
    if (fuse_and_save(argv[1], argv[2]))
        return 1;
    printf("wrote %s\n", argv[2]);

    /* The original runs with its BN as written (no_fold), the saved file as it now is. */
    onnxbn_session *a = NULL, *b = NULL;
    int rc = run(argv[1], true, &a);
    if (rc == 0)
        rc = run(argv[2], false, &b);
    const onnxbn_model *m = a ? onnxbn_session_model(a) : NULL;
    for (size_t i = 0; rc == 0 && i < onnxbn_model_output_count(m); i++) {
        const onnxbn_tensor *x = onnxbn_session_output(a, i), *y = onnxbn_session_output(b, i);
        if (onnxbn_tensor_dtype(x) != ONNXBN_FLOAT || onnxbn_tensor_numel(x) != onnxbn_tensor_numel(y)) {
            fprintf(stderr, "fold: output %zu differs in type or size\n", i);
            rc = 1;
            break;
        }
        const float *p = onnxbn_tensor_cdata(x), *q = onnxbn_tensor_cdata(y);
        double diff = 0, peak = 0;
        for (int64_t k = 0; k < onnxbn_tensor_numel(x); k++) {
            diff = fmax(diff, fabs((double)p[k] - (double)q[k]));
            peak = fmax(peak, fabs((double)p[k]));
        }
        /* Folding reorders float arithmetic: expect agreement to a few ulps of the output scale. */
        int ok = diff <= 1e-5 + 1e-4 * peak;
        printf("output '%s': max |original - folded| = %.3g (max |output| %.3g) %s\n",
               onnxbn_model_output(m, i)->name, diff, peak, ok ? "ok" : "TOO LARGE");
        if (!ok)
            rc = 1;
    }
    onnxbn_session_free(a);
    onnxbn_session_free(b);
    return rc;
}
