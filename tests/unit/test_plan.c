/* SPDX-License-Identifier: Apache-2.0 */
/* test_plan.c — the activation arena: its size and lower bound (onnxbn_session_memory) on graphs
 * whose bound is worked out by hand, outputs still right, and every bundled model within 1.2x. */
#include <dirent.h>
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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Deterministic values in [-1, 1). */
static void fill(float *v, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
    }
}

/* y[1,n] = x[1,k] · w[k,n] (+ b), in double. */
static void ref_layer(const double *x, const float *w, const float *b, size_t k, size_t n, double *y)
{
    for (size_t j = 0; j < n; j++) {
        double s = b ? b[j] : 0.0;
        for (size_t i = 0; i < k; i++)
            s += x[i] * w[i * n + j];
        y[j] = s;
    }
}

static void expect_arena(const onnxbn_session *s, uint64_t arena, uint64_t bound)
{
    onnxbn_memory_info mem = ONNXBN_MEMORY_INFO_INIT;
    assert_true(onnxbn_session_memory(s, &mem));
    assert_int_equal(mem.arena_lower_bound, bound);
    assert_int_equal(mem.arena_bytes, arena);
}

/* A chain of Gemms x[1,32] -> [1,n1] -> ... through weights of the given widths; layer `view_at`
 * (when >= 0) is followed by a Reshape to its own shape (a view) and an Add of a bias (in place
 * over the view's storage, which dies there). Runs it on x and compares with a double
 * reference; returns the open session. */
static onnxbn_session *gemm_chain(const int64_t *width, int n_layers, int view_at)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, width[0]};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    float *w[8], bias[256], x[256];
    double ref[2][256];
    assert_true(n_layers < 8 && width[0] <= 256);
    fill(x, (size_t)width[0], 99);
    for (int i = 0; i < width[0]; i++)
        ref[0][i] = x[i];
    char prev[16] = "x";
    int cur = 0;
    for (int l = 0; l < n_layers; l++) {
        const int64_t k = width[l], n = width[l + 1], wd[] = {k, n};
        assert_true(n <= 256);
        char wn[16], out[16];
        snprintf(wn, sizeof wn, "w%d", l);
        snprintf(out, sizeof out, l == n_layers - 1 ? "y" : "h%d", l);
        w[l] = malloc((size_t)(k * n) * sizeof(float));
        assert_non_null(w[l]);
        fill(w[l], (size_t)(k * n), 10 + (uint32_t)l);
        mk_init_f32(m, wn, 2, wd, w[l]);
        char ins[40];
        snprintf(ins, sizeof ins, "%s,%s", prev, wn);
        mk_node_add(m, "Gemm", out, ins, out);
        ref_layer(ref[cur], w[l], NULL, (size_t)k, (size_t)n, ref[!cur]);
        cur = !cur;
        snprintf(prev, sizeof prev, "%s", out);
        if (l == view_at) {
            const int64_t sd[] = {2}, shape[] = {1, n}, bd[] = {n};
            fill(bias, (size_t)n, 77);
            mk_init(m, "shape", ONNXBN_INT64, 1, sd, shape);
            mk_init_f32(m, "bias", 1, bd, bias);
            snprintf(ins, sizeof ins, "%s,shape", out);
            mk_node_add(m, "Reshape", "view", ins, "v");
            mk_node_add(m, "Add", "addb", "v,bias", "r");
            for (int j = 0; j < n; j++)
                ref[cur][j] += bias[j];
            snprintf(prev, sizeof prev, "r");
        }
    }
    const int64_t yd[] = {1, width[n_layers]};
    mk_output(m, "y", ONNXBN_FLOAT, 2, yd);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("%s", err.msg);
    mk_feed f = {"x", 0, 2, xd, x};
    if (mk_run(s, 1, &f, &err))
        fail_msg("%s", err.msg);
    float want[256];
    for (int j = 0; j < width[n_layers]; j++)
        want[j] = (float)ref[cur][j];
    mk_expect_f32(s, 0, 2, yd, want, 1e-5, 1e-4);
    for (int l = 0; l < n_layers; l++)
        free(w[l]);
    mk_free(m);
    return s;
}

/* Views and in place share storage, so they add nothing to the bound. Buffers (bytes, steps
 * live; Reshape is skipped, Add writes over h1):
 *   h0 [1,128] 512 [0,1]   h1=v=r [1,192] 768 [1,3]   h2 [1,64] 256 [3,4]
 *   h3 [1,192] 768 [4,5]   y [1,16] 64 [5,6 = end]
 * Bytes live per step: 512, 1280, 768, 1024, 1024, 832, 64: the bound is 1280 (it would be
 * 1536 if r had its own buffer), and the arena can reach it. */
static void test_views_and_in_place_count_once(void **state)
{
    (void)state;
    const int64_t width[] = {32, 128, 192, 64, 192, 16};
    onnxbn_session *s = gemm_chain(width, 5, 1);
    expect_arena(s, 1280, 1280);
    onnxbn_session_free(s);
}

/* Largest-first placement is not enough here (documented in plan.c's layout):
 *   h0 [1,128] 512 [0,1]   h1 [1,128] 512 [1,2]   h2 [1,64] 256 [2,3]
 *   h3 [1,192] 768 [3,4]   y [1,16] 64 [4,5]
 * Bytes live per step: 512, 1024, 768, 1024, 832, 64, so the bound is 1024. Largest first puts
 * h3 at 0, h0 at 0, h1 at 512, and then h2 (live with h1 and h3) only fits at 1024: 1280 bytes.
 * In order of first use (h0 0, h1 512, h2 0, h3 256, y 0) the arena is the bound. */
static void test_arena_reaches_bound(void **state)
{
    (void)state;
    const int64_t width[] = {32, 128, 128, 64, 192, 16};
    onnxbn_session *s = gemm_chain(width, 5, -1);
    expect_arena(s, 1024, 1024);
    onnxbn_session_free(s);
}

/* A node's scratch lives for its step only, in the same arena. Two float16 Gemms (their scratch:
 * float copies of A, B and Y):
 *   step 0: a [1,64] half 128 bytes, scratch (64 + 64·64 + 64)·4 = 16896
 *   step 1: a, y [1,16] half 32 → 64 bytes, scratch (64 + 64·16 + 16)·4 = 4416
 * The bound is 128 + 16896 = 17024 (step 0); a separate scratch area would need 17088. The
 * inputs are 0/±1, so the outputs are exact integers. */
static void test_scratch_shares_the_arena(void **state)
{
    (void)state;
    enum { K = 64, N0 = 64, N1 = 16 };
    const uint16_t one = 0x3C00, minus = 0xBC00;
    uint16_t x[K], w0[K * N0], w1[N0 * N1];
    double a[N0], y[N1];
    for (int i = 0; i < K; i++)
        x[i] = i % 3 == 0 ? one : 0;
    for (int i = 0; i < K * N0; i++)
        w0[i] = (i * 7) % 5 == 0 ? one : (i * 7) % 5 == 1 ? minus : 0;
    for (int i = 0; i < N0 * N1; i++)
        w1[i] = (i * 3) % 4 == 0 ? one : (i * 3) % 4 == 1 ? minus : 0;
    for (int j = 0; j < N0; j++) {
        a[j] = 0;
        for (int k = 0; k < K; k++)
            a[j] += onnxbn_half_to_float(x[k]) * onnxbn_half_to_float(w0[k * N0 + j]);
    }
    for (int j = 0; j < N1; j++) {
        y[j] = 0;
        for (int k = 0; k < N0; k++)
            y[j] += a[k] * onnxbn_half_to_float(w1[k * N1 + j]);
    }
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, K}, w0d[] = {K, N0}, w1d[] = {N0, N1}, yd[] = {1, N1};
    mk_input(m, "x", ONNXBN_FLOAT16, 2, xd);
    mk_init(m, "w0", ONNXBN_FLOAT16, 2, w0d, w0);
    mk_init(m, "w1", ONNXBN_FLOAT16, 2, w1d, w1);
    mk_node_add(m, "Gemm", "g0", "x,w0", "a");
    mk_node_add(m, "Gemm", "g1", "a,w1", "y");
    mk_output(m, "y", ONNXBN_FLOAT16, 2, yd);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("%s", err.msg);
    expect_arena(s, 17024, 17024);
    mk_feed f = {"x", ONNXBN_FLOAT16, 2, xd, x};
    if (mk_run(s, 1, &f, &err))
        fail_msg("%s", err.msg);
    const uint16_t *got = onnxbn_tensor_cdata(onnxbn_session_output(s, 0));
    for (int j = 0; j < N1; j++)
        assert_true(onnxbn_half_to_float(got[j]) == (float)y[j]);
    onnxbn_session_free(s);
    mk_free(m);
}

/* Before a plan exists there is nothing to report. */
static void test_no_plan_no_numbers(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t d[] = {-1, 4};
    mk_input(m, "x", ONNXBN_FLOAT, 2, d);
    mk_node_add(m, "Relu", "r", "x", "y");
    mk_output(m, "y", ONNXBN_FLOAT, 2, d);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("%s", err.msg);
    onnxbn_memory_info mem = {sizeof mem, 1, 1, 1};
    assert_false(onnxbn_session_memory(s, &mem));
    assert_int_equal(mem.arena_bytes, 0);
    assert_int_equal(mem.arena_lower_bound, 0);
    assert_false(onnxbn_session_memory(NULL, &mem));
    assert_false(onnxbn_session_memory(s, NULL));
    const float x[8] = {-1, 2, -3, 4, 5, -6, 7, -8};
    const int64_t xd[] = {2, 4};
    mk_feed f = {"x", 0, 2, xd, x};
    if (mk_run(s, 1, &f, &err))
        fail_msg("%s", err.msg);
    expect_arena(s, 64, 64); /* y [2,4]: 32 bytes, 64 aligned */
    onnxbn_session_free(s);
    mk_free(m);
}

/* Opens `path` (BN folded, as by default), feeds zeros with symbolic dimensions 1 when the shape
 * was not fixed, and checks the arena against the bound. Returns false when there is no model. */
static bool check_model(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fclose(f);
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (onnxbn_session_open(path, NULL, &s, &err))
        fail_msg("%s: %s", path, err.msg);
    onnxbn_memory_info mem = ONNXBN_MEMORY_INFO_INIT;
    if (!onnxbn_session_memory(s, &mem)) {
        const onnxbn_model *m = onnxbn_session_model(s);
        size_t n = onnxbn_model_input_count(m);
        onnxbn_tensor *in[8] = {0};
        const char *names[8];
        assert_true(n <= COUNT(in));
        for (size_t i = 0; i < n; i++) {
            const onnxbn_value_info *vi = onnxbn_model_input(m, i);
            int64_t d[ONNXBN_MAX_RANK];
            for (int k = 0; k < vi->rank; k++)
                d[k] = vi->dims[k] < 0 ? 1 : vi->dims[k];
            names[i] = vi->name;
            if (onnxbn_tensor_new(vi->dtype, vi->rank, d, &in[i], &err))
                fail_msg("%s: %s", path, err.msg);
        }
        if (onnxbn_session_run(s, n, names, (const onnxbn_tensor *const *)in, &err))
            fail_msg("%s: %s", path, err.msg);
        for (size_t i = 0; i < n; i++)
            onnxbn_tensor_free(in[i]);
        assert_true(onnxbn_session_memory(s, &mem));
    }
    printf("%-60s arena %10llu  bound %10llu  ratio %.3f\n", path,
           (unsigned long long)mem.arena_bytes, (unsigned long long)mem.arena_lower_bound,
           mem.arena_lower_bound ? (double)mem.arena_bytes / (double)mem.arena_lower_bound : 1.0);
    assert_true(mem.arena_bytes >= mem.arena_lower_bound);
    assert_true(mem.arena_bytes * 5 <= mem.arena_lower_bound * 6); /* within 1.2x */
    onnxbn_session_free(s);
    return true;
}

/* models/NAME/model.onnx, and the torchvision networks in models/big when they were made. */
static int check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < (int)COUNT(names);)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    /* readdir's order is the file system's: sort, so the output is the same everywhere */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    int checked = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, names[i]);
        checked += check_model(path);
        free(names[i]);
    }
    return checked;
}

static void test_bundled_models_within_1_2(void **state)
{
    (void)state;
    assert_true(check_dir(ONNXBN_SOURCE_DIR "/models") >= 8);
    check_dir(ONNXBN_SOURCE_DIR "/models/big"); /* git-ignored: made by models/make_big.sh */
}

/* A buffer of 2^64 − 16 bytes fits size_t but not the arena: rounding it up to the alignment
 * wrapped to a 64-byte arena that Pad then wrote past (found by fuzz_run). Pad [2,3] by
 * [0, −5, 0, 2^61] gives [2, 2^61 − 2] floats. */
static void test_huge_buffer_refused(void **state)
{
    (void)state;
    const int64_t xd[] = {2, 3}, pd[] = {4}, pads[] = {0, -5, 0, INT64_C(1) << 61};
    mk_model *m = mk_new(13);
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init(m, "pads", ONNXBN_INT64, 1, pd, pads);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_node_add(m, "Pad", "pd", "x,pads", "y");
    const float x[6] = {0};
    mk_feed f = {"x", 0, 2, xd, x};
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_LIMIT,
                   "node 'pd' (Pad): an output needs 18446744073709551600 bytes, over the memory limit");
    mk_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_and_in_place_count_once),
        cmocka_unit_test(test_arena_reaches_bound),
        cmocka_unit_test(test_scratch_shares_the_arena),
        cmocka_unit_test(test_no_plan_no_numbers),
        cmocka_unit_test(test_bundled_models_within_1_2),
        cmocka_unit_test(test_huge_buffer_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
