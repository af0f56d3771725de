/* SPDX-License-Identifier: Apache-2.0 */
/* test_share.c — the planner's storage sharing and the session threads: views, fused Relu/Clip and
 * in-place nodes give the same numbers as an independent reference and as the unshared plan. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels/batchnorm.h"
#include "mkmodel.h"
#include "threadpool.h"

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

static onnxbn_status open_opts(const mk_model *m, int threads, onnxbn_session **out,
                               onnxbn_error *err)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_options opt = {.size = sizeof opt, .threads = threads};
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, err);
    free(buf);
    return st ? st : onnxbn_session_new(model, &opt, out, err);
}

/* ---- Conv -> Relu -> Reshape -> Gemm -> Clip, and Sigmoid over the reshaped view ----
 * x [1,2,5,5]; Conv 3x3 pad 1 to 3 channels; Relu (fused into the Conv); Reshape to [1,75] (a
 * view); Gemm with W [75,4] and bias (Clip fused into it); Sigmoid of the view, which may then
 * overwrite the Relu output in place because nothing reads it later. */
enum { C_IN = 2, C_OUT = 3, HW = 5, FEAT = C_OUT * HW * HW, NOUT = 4 };

typedef struct chain_data {
    float x[C_IN * HW * HW], w[C_OUT * C_IN * 9], b[C_OUT], gw[FEAT * NOUT], gb[NOUT];
} chain_data;

static mk_model *chain_model(const chain_data *d, bool expose)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, C_IN, HW, HW}, wd[] = {C_OUT, C_IN, 3, 3}, bd[] = {C_OUT},
                  gwd[] = {FEAT, NOUT}, gbd[] = {NOUT}, shd[] = {2}, sc[] = {0};
    const int64_t shape[] = {1, FEAT}, pads[] = {1, 1, 1, 1};
    const float lo = -0.5f, hi = 0.75f;
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(m, "w", 4, wd, d->w);
    mk_init_f32(m, "b", 1, bd, d->b);
    mk_init_f32(m, "gw", 2, gwd, d->gw);
    mk_init_f32(m, "gb", 1, gbd, d->gb);
    mk_init(m, "shape", ONNXBN_INT64, 1, shd, shape);
    mk_init_f32(m, "lo", 0, sc, &lo);
    mk_init_f32(m, "hi", 0, sc, &hi);
    mk_attr_ints(mk_node_add(m, "Conv", "conv", "x,w,b", "c"), "pads", 4, pads);
    mk_node_add(m, "Relu", "relu", "c", "r");
    mk_node_add(m, "Reshape", "flat", "r,shape", "f");
    mk_node_add(m, "Gemm", "fc", "f,gw,gb", "g");
    mk_node_add(m, "Clip", "clip", "g,lo,hi", "y");
    mk_node_add(m, "Sigmoid", "sig", "f", "s");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "s", ONNXBN_FLOAT, -1, NULL);
    if (expose) { /* intermediates as graph outputs: nothing may be fused or overwritten */
        mk_output(m, "c", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "r", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "g", ONNXBN_FLOAT, -1, NULL);
    }
    return m;
}

/* The same computation in plain loops, in double. */
static void chain_reference(const chain_data *d, float *y, float *s, float *relu)
{
    for (int o = 0; o < C_OUT; o++)
        for (int i = 0; i < HW; i++)
            for (int j = 0; j < HW; j++) {
                double acc = d->b[o];
                for (int ci = 0; ci < C_IN; ci++)
                    for (int ki = 0; ki < 3; ki++)
                        for (int kj = 0; kj < 3; kj++) {
                            int ii = i + ki - 1, jj = j + kj - 1;
                            if (ii < 0 || jj < 0 || ii >= HW || jj >= HW)
                                continue;
                            acc += (double)d->w[((o * C_IN + ci) * 3 + ki) * 3 + kj] *
                                   d->x[(ci * HW + ii) * HW + jj];
                        }
                relu[(o * HW + i) * HW + j] = acc > 0 ? (float)acc : 0.0f;
            }
    for (int k = 0; k < NOUT; k++) {
        double acc = d->gb[k];
        for (int f = 0; f < FEAT; f++)
            acc += (double)relu[f] * d->gw[f * NOUT + k];
        y[k] = (float)(acc < -0.5 ? -0.5 : acc > 0.75 ? 0.75 : acc);
    }
    for (int f = 0; f < FEAT; f++)
        s[f] = (float)(1.0 / (1.0 + exp(-(double)relu[f])));
}

static void run_chain(const chain_data *d, bool expose, int threads, float *y, float *s)
{
    mk_model *m = chain_model(d, expose);
    onnxbn_session *ses = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = open_opts(m, threads, &ses, &err);
    if (st)
        fail_msg("open: %s", err.msg);
    const int64_t xd[] = {1, C_IN, HW, HW};
    mk_feed feed = {"x", ONNXBN_FLOAT, 4, xd, d->x};
    /* twice: a second run through the same plan must not see the first one's leftovers */
    for (int rep = 0; rep < 2; rep++) {
        st = mk_run(ses, 1, &feed, &err);
        if (st)
            fail_msg("run: %s", err.msg);
    }
    memcpy(y, onnxbn_tensor_cdata(onnxbn_session_output(ses, 0)), NOUT * sizeof *y);
    memcpy(s, onnxbn_tensor_cdata(onnxbn_session_output(ses, 1)), FEAT * sizeof *s);
    onnxbn_session_free(ses);
    mk_free(m);
}

static void test_chain_matches_reference_and_unshared(void **state)
{
    (void)state;
    chain_data d;
    fill(d.x, COUNT(d.x), 1);
    fill(d.w, COUNT(d.w), 2);
    fill(d.b, COUNT(d.b), 3);
    fill(d.gw, COUNT(d.gw), 4);
    fill(d.gb, COUNT(d.gb), 5);
    float ry[NOUT], rs[FEAT], relu[FEAT];
    chain_reference(&d, ry, rs, relu);
    /* the data must exercise both sides of Relu and of both Clip bounds to mean anything */
    int zeros = 0, clipped = 0;
    for (int f = 0; f < FEAT; f++)
        zeros += relu[f] == 0.0f;
    for (int k = 0; k < NOUT; k++)
        clipped += ry[k] == -0.5f || ry[k] == 0.75f;
    assert_true(zeros > 5 && zeros < FEAT - 5);
    assert_true(clipped >= 1 && clipped < NOUT);

    float y[NOUT], s[FEAT], uy[NOUT], us[FEAT];
    run_chain(&d, false, 1, y, s);
    run_chain(&d, true, 1, uy, us);
    for (int k = 0; k < NOUT; k++)
        assert_float_equal(y[k], ry[k], 1e-5 + 1e-5 * fabs(ry[k]));
    for (int f = 0; f < FEAT; f++)
        assert_float_equal(s[f], rs[f], 1e-6);
    /* shared and unshared plans do the same float operations in the same order */
    assert_memory_equal(y, uy, sizeof y);
    assert_memory_equal(s, us, sizeof s);
}

/* Add(a, a) in place over an input that dies there, then a Relu in place over that, and a
 * Reshape of a graph input (not aliased: the caller's buffer) feeding an output. */
static void test_inplace_and_input_views(void **state)
{
    (void)state;
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 3}, shd[] = {1}, flat[] = {6};
    mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
    mk_init(m, "shape", ONNXBN_INT64, 1, shd, flat);
    mk_node_add(m, "Neg", "neg", "x", "n");
    mk_node_add(m, "Add", "add", "n,n", "a");
    mk_node_add(m, "Relu", "relu", "a", "r");
    mk_node_add(m, "Reshape", "view", "r,shape", "y");
    mk_node_add(m, "Identity", "id", "x", "xi");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "xi", ONNXBN_FLOAT, -1, NULL);
    onnxbn_session *ses = NULL;
    onnxbn_error err = {0};
    assert_int_equal(mk_session(m, &ses, &err), ONNXBN_OK);
    float x[6] = {1.5f, -2.0f, 0.25f, -0.0f, 3.0f, -7.5f};
    mk_feed feed = {"x", ONNXBN_FLOAT, 2, xd, x};
    assert_int_equal(mk_run(ses, 1, &feed, &err), ONNXBN_OK);
    const float want[6] = {0.0f, 4.0f, 0.0f, 0.0f, 0.0f, 15.0f};
    mk_expect_f32(ses, 0, 1, flat, want, 0, 0);
    mk_expect_f32(ses, 1, 2, xd, x, 0, 0);
    /* the output that equals the input is the session's copy, not the caller's buffer */
    assert_ptr_not_equal(onnxbn_tensor_cdata(onnxbn_session_output(ses, 1)), x);
    onnxbn_session_free(ses);
    mk_free(m);
}

/* ---- threads: every Conv path (chunked im2col, channel-split im2col, pointwise, depthwise),
 * batch 2, fused activations; 2 and 3 threads against 1. ---- */
static mk_model *conv_net(void)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {2, 3, 160, 160};
    const int64_t w1d[] = {32, 3, 3, 3}, w2d[] = {48, 32, 3, 3}, w3d[] = {40, 48, 1, 1},
                  w4d[] = {40, 1, 3, 3}, fwd[] = {10, 40}, b1[] = {32}, b2[] = {48}, b3[] = {40},
                  b4[] = {40}, fb[] = {10}, sc[] = {0};
    const int64_t p1[] = {1, 1, 1, 1}, s4[] = {4, 4};
    static float w1[32 * 27], w2[48 * 288], w3[40 * 48], w4[40 * 9], fw[400], bb[48];
    fill(w1, COUNT(w1), 11);
    fill(w2, COUNT(w2), 12);
    fill(w3, COUNT(w3), 13);
    fill(w4, COUNT(w4), 14);
    fill(fw, COUNT(fw), 15);
    fill(bb, COUNT(bb), 16);
    const float lo = 0.0f, hi = 0.5f;
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(m, "w1", 4, w1d, w1);
    mk_init_f32(m, "w2", 4, w2d, w2);
    mk_init_f32(m, "w3", 4, w3d, w3);
    mk_init_f32(m, "w4", 4, w4d, w4);
    mk_init_f32(m, "fw", 2, fwd, fw);
    mk_init_f32(m, "b1", 1, b1, bb);
    mk_init_f32(m, "b2", 1, b2, bb);
    mk_init_f32(m, "b3", 1, b3, bb);
    mk_init_f32(m, "b4", 1, b4, bb);
    mk_init_f32(m, "fb", 1, fb, bb);
    mk_init_f32(m, "lo", 0, sc, &lo);
    mk_init_f32(m, "hi", 0, sc, &hi);
    mk_attr_ints(mk_node_add(m, "Conv", "c1", "x,w1,b1", "c1"), "pads", 4, p1);
    mk_node_add(m, "Relu", "r1", "c1", "r1");
    mk_node *c2 = mk_node_add(m, "Conv", "c2", "r1,w2,b2", "c2");
    mk_attr_ints(c2, "pads", 4, p1);
    mk_attr_ints(c2, "strides", 2, s4);
    mk_node_add(m, "Relu", "r2", "c2", "r2");
    mk_node_add(m, "Conv", "c3", "r2,w3,b3", "c3");
    mk_node *c4 = mk_node_add(m, "Conv", "c4", "c3,w4,b4", "c4");
    mk_attr_ints(c4, "pads", 4, p1);
    mk_attr_i(c4, "group", 40);
    mk_node_add(m, "Clip", "r4", "c4,lo,hi", "r4");
    mk_node_add(m, "Add", "res", "r4,c3", "a");
    mk_node_add(m, "GlobalAveragePool", "gap", "a", "p");
    mk_node_add(m, "Flatten", "flat", "p", "f");
    mk_node *fc = mk_node_add(m, "Gemm", "fc", "f,fw,fb", "y");
    mk_attr_i(fc, "transB", 1);
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "a", ONNXBN_FLOAT, -1, NULL);
    return m;
}

static void test_threads_match_one_thread(void **state)
{
    (void)state;
    mk_model *m = conv_net();
    const int64_t xd[] = {2, 3, 160, 160};
    const size_t nx = 2 * 3 * 160 * 160;
    float *x = malloc(nx * sizeof *x);
    assert_non_null(x);
    fill(x, nx, 21);
    mk_feed feed = {"x", ONNXBN_FLOAT, 4, xd, x};
    float *ref[2] = {NULL, NULL};
    size_t nref[2] = {0, 0};
    const int threads[] = {1, 2, 3};
    for (size_t t = 0; t < COUNT(threads); t++) {
        onnxbn_session *ses = NULL;
        onnxbn_error err = {0};
        if (open_opts(m, threads[t], &ses, &err))
            fail_msg("open: %s", err.msg);
        if (mk_run(ses, 1, &feed, &err) || mk_run(ses, 1, &feed, &err))
            fail_msg("run: %s", err.msg);
        for (int o = 0; o < 2; o++) {
            const onnxbn_tensor *out = onnxbn_session_output(ses, (size_t)o);
            const float *v = onnxbn_tensor_cdata(out);
            const size_t n = (size_t)onnxbn_tensor_numel(out);
            if (t == 0) {
                ref[o] = malloc(n * sizeof *v);
                assert_non_null(ref[o]);
                memcpy(ref[o], v, n * sizeof *v);
                nref[o] = n;
                continue;
            }
            assert_int_equal(n, nref[o]);
            /* Threads split output channels and grid chunks, never a dot product, but OpenBLAS may
             * pick another micro-kernel (another summation order) for a smaller block: allow float
             * rounding of sums whose terms are of the tensor's scale, nothing more. */
            double scale = 0;
            for (size_t i = 0; i < n; i++)
                if (fabs((double)ref[o][i]) > scale)
                    scale = fabs((double)ref[o][i]);
            for (size_t i = 0; i < n; i++) {
                double e = fabs((double)v[i] - ref[o][i]);
                if (e > 1e-5 * scale + 1e-5 * fabs((double)ref[o][i]))
                    fail_msg("%d threads: output %d element %zu is %.9g, %.9g with 1 thread "
                             "(tensor scale %g)", threads[t], o, i, (double)v[i],
                             (double)ref[o][i], scale);
            }
        }
        onnxbn_session_free(ses);
    }
    /* the model must compute something: the Clip at 0.5 is hit and not everywhere */
    size_t hits = 0;
    for (size_t i = 0; i < nref[1]; i++)
        hits += ref[1][i] != ref[1][0];
    assert_true(hits > nref[1] / 2);
    free(ref[0]);
    free(ref[1]);
    free(x);
    mk_free(m);
}

/* The models shipped in models/ (exported by torch) with 2 threads against 1. */
static void test_threads_on_exported_models(void **state)
{
    (void)state;
    const char *names[] = {"tiny_resnet", "tiny_mobilenet"};
    for (size_t k = 0; k < COUNT(names); k++) {
        char path[512], in[512];
        snprintf(path, sizeof path, "%s/models/%s/model.onnx", ONNXBN_SOURCE_DIR, names[k]);
        snprintf(in, sizeof in, "%s/models/%s/test_data_set_0/input_0.pb", ONNXBN_SOURCE_DIR, names[k]);
        onnxbn_tensor *x = NULL;
        onnxbn_error err = {0};
        if (onnxbn_tensor_read_file(in, &x, NULL, &err))
            fail_msg("%s: %s", in, err.msg);
        float *first = NULL;
        size_t n = 0;
        for (int threads = 1; threads <= 2; threads++) {
            onnxbn_options opt = {.size = sizeof opt, .threads = threads};
            onnxbn_session *ses = NULL;
            if (onnxbn_session_open(path, &opt, &ses, &err))
                fail_msg("%s: %s", path, err.msg);
            const char *iname = onnxbn_model_input(onnxbn_session_model(ses), 0)->name;
            const onnxbn_tensor *xs[] = {x};
            if (onnxbn_session_run(ses, 1, &iname, xs, &err))
                fail_msg("%s: %s", path, err.msg);
            const onnxbn_tensor *y = onnxbn_session_output(ses, 0);
            const float *v = onnxbn_tensor_cdata(y);
            if (threads == 1) {
                n = (size_t)onnxbn_tensor_numel(y);
                first = malloc(n * sizeof *first);
                assert_non_null(first);
                memcpy(first, v, n * sizeof *first);
            } else {
                assert_int_equal((size_t)onnxbn_tensor_numel(y), n);
                for (size_t i = 0; i < n; i++)
                    assert_float_equal(v[i], first[i], 1e-5 + 1e-5 * fabs(first[i]));
            }
            onnxbn_session_free(ses);
        }
        free(first);
        onnxbn_tensor_free(x);
    }
}

/* BN outputs over 16 MiB take the streaming-store path: the same numbers as the plain loop, also
 * with rows that start off a 16-byte boundary and lengths that are not a multiple of 8. */
static void test_bn_streaming_matches_plain(void **state)
{
    (void)state;
    const int64_t outer = 2, ch = 3, inner = 700001; /* 4.2 M floats: 16.8 MB */
    const size_t n = (size_t)(outer * ch * inner);
    float *x = malloc(n * sizeof *x), *y = malloc((n + 1) * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    fill(x, n, 31);
    const float a[3] = {1.5f, -0.25f, 3.0f}, t[3] = {0.125f, -2.0f, 0.7f};
    float *yo = y + 1; /* rows at every alignment */
    onnxbn_bn_affine_f32(x, yo, a, t, outer, ch, inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < ch; c++)
            for (int64_t i = 0; i < inner; i++) {
                const size_t k = (size_t)((o * ch + c) * inner + i);
                const float want = a[c] * x[k] + t[c];
                if (yo[k] != want)
                    fail_msg("y[%zu] = %.9g, expected %.9g", k, (double)yo[k], (double)want);
            }
    free(x);
    free(y);
}

/* ---- element-wise and pooling nodes split over the threads ----
 * Add -> Relu (fused into the Add, the flat split: 5·C·H·W ≥ two 16 Ki chunks), Mul by a
 * per-channel scale -> Clip (broadcast: no split, the Clip still fused), MaxPool 3x3/2 pad 1 (by
 * planes), each against plain loops in float: the same operations in the same order, so every
 * element must match exactly, with 1, 2 and 3 threads. */
enum { EC = 6, EH = 61, EW = 67, EOH = 31, EOW = 34 };

static void test_elementwise_and_pool_threads(void **state)
{
    (void)state;
    const int64_t xd[] = {1, EC, EH, EW}, sd[] = {EC, 1, 1}, yd[] = {1, EC, EOH, EOW}, sc[] = {0};
    const int64_t k3[] = {3, 3}, s2[] = {2, 2}, p1[] = {1, 1, 1, 1};
    const size_t n = EC * EH * EW, no = EC * EOH * EOW;
    float *x = malloc(n * sizeof *x), *z = malloc(n * sizeof *z), *add = malloc(n * sizeof *add),
          *mul = malloc(n * sizeof *mul), *mp = malloc(no * sizeof *mp), scale[EC];
    assert_true(x && z && add && mul && mp);
    fill(x, n, 41);
    fill(z, n, 42);
    fill(scale, EC, 43);
    const float lo = -0.3f, hi = 0.4f;
    for (size_t i = 0; i < n; i++) {
        const float a = x[i] + z[i], m = x[i] * scale[i / (EH * EW)];
        add[i] = a <= 0.0f ? 0.0f : a;
        mul[i] = m < lo ? lo : m > hi ? hi : m;
    }
    for (int c = 0; c < EC; c++)
        for (int i = 0; i < EOH; i++)
            for (int j = 0; j < EOW; j++) {
                float v = -INFINITY;
                for (int ki = 0; ki < 3; ki++)
                    for (int kj = 0; kj < 3; kj++) {
                        const int ii = 2 * i - 1 + ki, jj = 2 * j - 1 + kj;
                        if (ii >= 0 && jj >= 0 && ii < EH && jj < EW && x[(c * EH + ii) * EW + jj] > v)
                            v = x[(c * EH + ii) * EW + jj];
                    }
                mp[(c * EOH + i) * EOW + j] = v;
            }
    for (int threads = 1; threads <= 3; threads++) {
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
        mk_input(m, "z", ONNXBN_FLOAT, 4, xd);
        mk_init_f32(m, "scale", 3, sd, scale);
        mk_init_f32(m, "lo", 0, sc, &lo);
        mk_init_f32(m, "hi", 0, sc, &hi);
        mk_node_add(m, "Add", "add", "x,z", "s");
        mk_node_add(m, "Relu", "relu", "s", "add");
        mk_node_add(m, "Mul", "mul", "x,scale", "p");
        mk_node_add(m, "Clip", "clip", "p,lo,hi", "mul");
        mk_node *mpn = mk_node_add(m, "MaxPool", "pool", "x", "mp");
        mk_attr_ints(mpn, "kernel_shape", 2, k3);
        mk_attr_ints(mpn, "strides", 2, s2);
        mk_attr_ints(mpn, "pads", 4, p1);
        mk_output(m, "add", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "mul", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "mp", ONNXBN_FLOAT, -1, NULL);
        onnxbn_session *ses = NULL;
        onnxbn_error err = {0};
        if (open_opts(m, threads, &ses, &err))
            fail_msg("open: %s", err.msg);
        const mk_feed feeds[] = {{"x", ONNXBN_FLOAT, 4, xd, x}, {"z", ONNXBN_FLOAT, 4, xd, z}};
        for (int rep = 0; rep < 2; rep++)
            if (mk_run(ses, 2, feeds, &err))
                fail_msg("run: %s", err.msg);
        mk_expect_bytes(ses, 0, ONNXBN_FLOAT, 4, xd, add);
        mk_expect_bytes(ses, 1, ONNXBN_FLOAT, 4, xd, mul);
        mk_expect_bytes(ses, 2, ONNXBN_FLOAT, 4, yd, mp);
        onnxbn_session_free(ses);
        mk_free(m);
    }
    free(x);
    free(z);
    free(add);
    free(mul);
    free(mp);
}

/* ---- a fused Add (residual) and the order of steps ----
 * x -> ConvA (3x3) -> a; x -> ConvB (1x1) -> b; Add(a, b) -> s; Relu(s) -> y; and Add(b, b) -> d.
 * a is made before b, so the Add can go into ConvB (reading a) but not into ConvA (b is not made
 * yet); d adds b to itself, which no Conv can take. Against the same graph with a and b exposed
 * as outputs (nothing fused), at 1 and 2 threads. */
static mk_model *residual_model(const float *wa, const float *wb, const float *bias, bool expose)
{
    mk_model *m = mk_new(13);
    const int64_t xd[] = {1, 16, 20, 20}, wad[] = {16, 16, 3, 3}, wbd[] = {16, 16, 1, 1},
                  bd[] = {16}, p1[] = {1, 1, 1, 1};
    mk_input(m, "x", ONNXBN_FLOAT, 4, xd);
    mk_init_f32(m, "wa", 4, wad, wa);
    mk_init_f32(m, "wb", 4, wbd, wb);
    mk_init_f32(m, "bias", 1, bd, bias);
    mk_attr_ints(mk_node_add(m, "Conv", "convA", "x,wa,bias", "a"), "pads", 4, p1);
    mk_node_add(m, "Conv", "convB", "x,wb,bias", "b");
    mk_node_add(m, "Add", "add", "a,b", "s");
    mk_node_add(m, "Relu", "relu", "s", "y");
    mk_node_add(m, "Add", "twice", "b,b", "d");
    mk_output(m, "y", ONNXBN_FLOAT, -1, NULL);
    mk_output(m, "d", ONNXBN_FLOAT, -1, NULL);
    if (expose) {
        mk_output(m, "a", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "b", ONNXBN_FLOAT, -1, NULL);
    }
    return m;
}

static void test_residual_add(void **state)
{
    (void)state;
    enum { N = 16 * 20 * 20 };
    static float wa[16 * 16 * 9], wb[16 * 16], bias[16], x[N], x0[N], ref[2][N];
    fill(wa, COUNT(wa), 51);
    fill(wb, COUNT(wb), 52);
    fill(bias, COUNT(bias), 53);
    fill(x, COUNT(x), 54);
    fill(x0, COUNT(x0), 55);
    const int64_t xd[] = {1, 16, 20, 20};
    /* first another input, so that a value read before it is made holds the wrong numbers */
    const mk_feed feed0 = {"x", ONNXBN_FLOAT, 4, xd, x0}, feed = {"x", ONNXBN_FLOAT, 4, xd, x};
    for (int variant = 0; variant < 3; variant++) {
        /* 0: unfused reference, 1: fused at 1 thread, 2: fused at 2 threads */
        mk_model *m = residual_model(wa, wb, bias, variant == 0);
        onnxbn_session *ses = NULL;
        onnxbn_error err = {0};
        if (open_opts(m, variant == 2 ? 2 : 1, &ses, &err))
            fail_msg("open: %s", err.msg);
        for (int rep = 0; rep < 2; rep++)
            if (mk_run(ses, 1, rep ? &feed : &feed0, &err))
                fail_msg("run: %s", err.msg);
        if (variant == 0) { /* d = b + b exactly */
            const float *d = onnxbn_tensor_cdata(onnxbn_session_output(ses, 1));
            const float *b = onnxbn_tensor_cdata(onnxbn_session_output(ses, 3));
            for (size_t i = 0; i < N; i++)
                assert_true(d[i] == b[i] + b[i]);
        }
        for (int o = 0; o < 2; o++) {
            const float *v = onnxbn_tensor_cdata(onnxbn_session_output(ses, (size_t)o));
            if (variant == 0) {
                memcpy(ref[o], v, sizeof ref[o]);
                continue;
            }
            for (size_t i = 0; i < N; i++)
                if (!(fabsf(v[i] - ref[o][i]) <= 1e-5f * (1.0f + fabsf(ref[o][i]))))
                    fail_msg("variant %d, output %d, element %zu: %.9g, unfused %.9g", variant, o,
                             i, (double)v[i], (double)ref[o][i]);
        }
        onnxbn_session_free(ses);
        mk_free(m);
    }
    /* the reference itself: y = relu(a + b) >= 0 everywhere */
    for (size_t i = 0; i < N; i++)
        assert_true(ref[0][i] >= 0.0f);
}

/* ---- Gemm and MatMul off the packed kernel, split by columns over the threads ----
 * y1 = Relu(x·Wᵀ + c) (Gemm, transB, M = 1: BLAS's GEMV), y2 = aᵀ·W2 + c2 (Gemm, transA: not
 * packed, M = 3), y3 = x·B (MatMul, M = 1); against double loops at 1, 2 and 3 threads, within
 * (K + 2)·u·Σ|terms|. */
enum { GK = 300, GN = 1000, GM2 = 3, MN = 520 };

static void expect_gemm(const char *what, const float *got, const double *ref, const double *mag,
                        size_t n, int threads)
{
    const double u = 1.0 / 16777216.0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - ref[i]) <= (GK + 2) * u * mag[i]))
            fail_msg("%s, %d threads: element %zu is %.9g, expected %.9g", what, threads, i,
                     (double)got[i], ref[i]);
}

static void test_gemm_columns_threads(void **state)
{
    (void)state;
    static float x[GK], w[GN * GK], c[GN], a[GK * GM2], c2[GN], b[GK * MN];
    static double r1[GN], m1[GN], r2[GM2 * GN], m2[GM2 * GN], r3[MN], m3[MN];
    fill(x, GK, 61);
    fill(w, COUNT(w), 62);
    fill(c, GN, 63);
    fill(a, COUNT(a), 64);
    fill(c2, GN, 65);
    fill(b, COUNT(b), 66);
    for (int n = 0; n < GN; n++) {
        double s = c[n], m = fabs(c[n]);
        for (int k = 0; k < GK; k++) {
            s += (double)x[k] * w[n * GK + k];
            m += fabs((double)x[k] * w[n * GK + k]);
        }
        r1[n] = s > 0 ? s : 0;
        m1[n] = m;
        for (int i = 0; i < GM2; i++) {
            double t = c2[n], q = fabs(c2[n]);
            for (int k = 0; k < GK; k++) {
                t += (double)a[k * GM2 + i] * w[n * GK + k];
                q += fabs((double)a[k * GM2 + i] * w[n * GK + k]);
            }
            r2[i * GN + n] = t;
            m2[i * GN + n] = q;
        }
    }
    for (int n = 0; n < MN; n++) {
        double s = 0, m = 0;
        for (int k = 0; k < GK; k++) {
            s += (double)x[k] * b[k * MN + n];
            m += fabs((double)x[k] * b[k * MN + n]);
        }
        r3[n] = s;
        m3[n] = m;
    }
    const int64_t xd[] = {1, GK}, wd[] = {GN, GK}, cd[] = {GN}, ad[] = {GK, GM2}, bd[] = {GK, MN};
    for (int threads = 1; threads <= 3; threads++) {
        mk_model *m = mk_new(13);
        mk_input(m, "x", ONNXBN_FLOAT, 2, xd);
        mk_input(m, "a", ONNXBN_FLOAT, 2, ad);
        mk_init_f32(m, "w", 2, wd, w);
        mk_init_f32(m, "c", 1, cd, c);
        mk_init_f32(m, "c2", 1, cd, c2);
        mk_init_f32(m, "b", 2, bd, b);
        mk_attr_i(mk_node_add(m, "Gemm", "fc", "x,w,c", "g1"), "transB", 1);
        mk_node_add(m, "Relu", "relu", "g1", "y1");
        mk_node *g2 = mk_node_add(m, "Gemm", "fcT", "a,w,c2", "y2");
        mk_attr_i(g2, "transA", 1);
        mk_attr_i(g2, "transB", 1);
        mk_node_add(m, "MatMul", "mm", "x,b", "y3");
        mk_output(m, "y1", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "y2", ONNXBN_FLOAT, -1, NULL);
        mk_output(m, "y3", ONNXBN_FLOAT, -1, NULL);
        onnxbn_session *ses = NULL;
        onnxbn_error err = {0};
        if (open_opts(m, threads, &ses, &err))
            fail_msg("open: %s", err.msg);
        const mk_feed feeds[] = {{"x", ONNXBN_FLOAT, 2, xd, x}, {"a", ONNXBN_FLOAT, 2, ad, a}};
        for (int rep = 0; rep < 2; rep++)
            if (mk_run(ses, 2, feeds, &err))
                fail_msg("run: %s", err.msg);
        expect_gemm("Gemm M=1 + Relu", onnxbn_tensor_cdata(onnxbn_session_output(ses, 0)), r1, m1,
                    GN, threads);
        expect_gemm("Gemm transA M=3", onnxbn_tensor_cdata(onnxbn_session_output(ses, 1)), r2, m2,
                    GM2 * GN, threads);
        expect_gemm("MatMul M=1", onnxbn_tensor_cdata(onnxbn_session_output(ses, 2)), r3, m3, MN,
                    threads);
        onnxbn_session_free(ses);
        mk_free(m);
    }
}

/* The pool: many short jobs back to back (workers often wake late, after the caller has done
 * every task and moved on); each task of each job runs exactly once, on a valid thread index. */
typedef struct count_job {
    int counts[64];
    int threads;
    int bad_thread;
} count_job;

static void count_task(void *arg, size_t t, int thread)
{
    count_job *j = arg;
    j->counts[t]++; /* each task index is run by one thread only */
    if (thread < 0 || thread >= j->threads)
        j->bad_thread = 1;
}

typedef struct fixed_job {
    int counts[8], thread[8];
} fixed_job;

static void fixed_task(void *arg, size_t t, int thread)
{
    fixed_job *j = arg;
    j->counts[t]++;
    j->thread[t] = thread;
}

static void test_pool_runs_each_task_once(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 3; threads++) {
        onnxbn_pool *pool = NULL;
        onnxbn_error err = {0};
        assert_int_equal(onnxbn_pool_new(threads, &pool, &err), ONNXBN_OK);
        assert_int_equal(onnxbn_pool_threads(pool), threads);
        for (int rep = 0; rep < 3000; rep++) {
            count_job j;
            memset(&j, 0, sizeof j);
            j.threads = threads;
            const size_t n = (size_t)(rep % 17);
            onnxbn_pool_run(pool, n, count_task, &j);
            for (size_t t = 0; t < 64; t++)
                if (j.counts[t] != (t < n))
                    fail_msg("%d threads, job %d of %zu tasks: task %zu ran %d times", threads, rep, n,
                             t, j.counts[t]);
            assert_int_equal(j.bad_thread, 0);
            /* fixed: task i on thread i, once each */
            fixed_job f;
            memset(&f, 0, sizeof f);
            onnxbn_pool_run_fixed(pool, fixed_task, &f);
            for (int t = 0; t < 8; t++)
                if (f.counts[t] != (t < threads) || (t < threads && f.thread[t] != t))
                    fail_msg("%d threads, fixed job %d: task %d ran %d times, on thread %d", threads,
                             rep, t, f.counts[t], f.thread[t]);
            /* now and then idle past the workers' spin, so that they sleep and must be woken */
            if (rep % 1000 == 999) {
                const struct timespec idle = {0, 5000000};
                nanosleep(&idle, NULL);
            }
        }
        onnxbn_pool_free(pool);
    }
    size_t lo, hi;
    onnxbn_split(40, 2, 0, 16, &lo, &hi);
    assert_true(lo == 0 && hi == 16);
    onnxbn_split(40, 2, 1, 16, &lo, &hi);
    assert_true(lo == 16 && hi == 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_matches_reference_and_unshared),
        cmocka_unit_test(test_inplace_and_input_views),
        cmocka_unit_test(test_threads_match_one_thread),
        cmocka_unit_test(test_threads_on_exported_models),
        cmocka_unit_test(test_bn_streaming_matches_plain),
        cmocka_unit_test(test_elementwise_and_pool_threads),
        cmocka_unit_test(test_residual_add),
        cmocka_unit_test(test_gemm_columns_threads),
        cmocka_unit_test(test_pool_runs_each_task_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
