/* SPDX-License-Identifier: Apache-2.0 */
/* test_resize.c — Resize and Upsample against a literal C port of the ONNX reference (resize.py:
 * recursion over axes, neighbours found by sorting the edge-padded input), hand values, bad input. */
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
#include "kernels/resize.h"
#include "mkmodel.h"

/* ---- the reference, element by element ---- */

enum { NEAREST, LINEAR, CUBIC };
enum { HALF, PYTORCH, ALIGN, ASYM, TF_NN, CROP };
enum { R_FLOOR, R_CEIL, FLOOR_, CEIL_, SIMPLE };

typedef struct ref_cfg {
    int mode, coord, nearest;
    double a, ev;
    bool excl, anti;
} ref_cfg;

static double ref_cubic(double x, double a)
{
    x = fabs(x);
    if (x <= 1)
        return (a + 2) * x * x * x - (a + 3) * x * x + 1;
    if (x < 2)
        return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
    return 0;
}

/* get_coeffs(ratio, scale): returns n */
static int ref_coeffs(const ref_cfg *c, double r, double scale, bool integer, double *w)
{
    if (c->mode == NEAREST) {
        int up;
        if (integer)
            up = 1;
        else if (c->nearest == R_FLOOR)
            up = r > 0.5;
        else if (c->nearest == R_CEIL)
            up = r >= 0.5;
        else if (c->nearest == FLOOR_)
            up = 0;
        else if (c->nearest == CEIL_)
            up = 1;
        else
            up = scale < 1;
        w[0] = !up;
        w[1] = up;
        return 2;
    }
    if (c->anti) {
        const double s = scale < 1 ? scale : 1;
        const int start = (int)floor((c->mode == LINEAR ? -1 : -2) / s) + 1, n = 2 - 2 * start;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            const double arg = s * (start + i - r);
            w[i] = c->mode == LINEAR ? fmax(0, fmin(1, 1 - fabs(arg))) : ref_cubic(arg, c->a);
            sum += w[i];
        }
        for (int i = 0; i < n; i++)
            w[i] /= sum;
        return n;
    }
    if (c->mode == LINEAR) {
        w[0] = 1 - r;
        w[1] = r;
        return 2;
    }
    w[0] = ref_cubic(r + 1, c->a);
    w[1] = ref_cubic(r, c->a);
    w[2] = ref_cubic(1 - r, c->a);
    w[3] = ref_cubic(2 - r, c->a);
    return 4;
}

static double ref_1d(const ref_cfg *c, const double *data, int64_t in, double scale, double len,
                     int64_t x, const double *roi)
{
    double xo;
    switch (c->coord) {
    case ALIGN: xo = len == 1 ? 0 : x * (double)(in - 1) / (len - 1); break;
    case ASYM: xo = x / scale; break;
    case PYTORCH: xo = len == 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
    case TF_NN: xo = (x + 0.5) / scale; break;
    case CROP:
        xo = len == 1 ? (roi[1] - roi[0]) * (in - 1) / 2 : x * (roi[1] - roi[0]) * (in - 1) / (len - 1);
        xo += roi[0] * (in - 1);
        if (xo < 0 || xo > in - 1)
            return c->ev;
        break;
    default: xo = (x + 0.5) / scale - 0.5; break;
    }
    const bool integer = xo == floor(xo);
    const double r = integer ? 1 : xo - floor(xo);
    double w[512];
    const int n = ref_coeffs(c, r, scale, integer, w);
    /* the n indices of the padded input nearest to xo, smaller first on ties, then ascending */
    const int64_t pad = (n + 1) / 2, L = in + 2 * pad;
    const double xp = xo + (double)pad;
    bool *taken = calloc((size_t)L, 1);
    int64_t idx[512];
    for (int k = 0; k < n; k++) {
        int64_t best = -1;
        for (int64_t i = 0; i < L; i++)
            if (!taken[i] && (best < 0 || fabs(xp - (double)i) < fabs(xp - (double)best)))
                best = i;
        taken[best] = true;
    }
    int k = 0;
    for (int64_t i = 0; i < L; i++)
        if (taken[i])
            idx[k++] = i - pad;
    free(taken);
    if (c->excl) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (idx[i] < 0 || idx[i] >= in)
                w[i] = 0;
            sum += w[i];
        }
        for (int i = 0; i < n; i++)
            w[i] /= sum;
    }
    double acc = 0;
    for (int i = 0; i < n; i++) {
        const int64_t s = idx[i] < 0 ? 0 : idx[i] >= in ? in - 1 : idx[i];
        acc += w[i] * data[s];
    }
    return acc;
}

/* interpolate_nd_with_x: data of `rank` dims, roi as [starts..., ends...] */
static double ref_nd(const ref_cfg *c, const double *data, const int64_t *dims, int rank,
                     const double *scale, const double *len, const int64_t *x, const double *roi)
{
    double r2[2] = {roi ? roi[0] : 0, roi ? roi[rank] : 1};
    if (rank == 1)
        return ref_1d(c, data, dims[0], scale[0], len[0], x[0], r2);
    int64_t stride = 1;
    for (int d = 1; d < rank; d++)
        stride *= dims[d];
    double sub_roi[2 * ONNXBN_MAX_RANK];
    for (int d = 1; d < rank; d++) {
        sub_roi[d - 1] = roi ? roi[d] : 0;
        sub_roi[rank - 1 + d - 1] = roi ? roi[rank + d] : 1;
    }
    double *vals = malloc((size_t)dims[0] * sizeof *vals);
    for (int64_t i = 0; i < dims[0]; i++)
        vals[i] = ref_nd(c, data + i * stride, dims + 1, rank - 1, scale + 1, len + 1, x + 1, sub_roi);
    const double v = ref_1d(c, vals, dims[0], scale[0], len[0], x[0], r2);
    free(vals);
    return v;
}

/* ---- one Resize case ---- */

typedef struct rcase {
    const char *op; /* NULL: Resize */
    int opset;
    onnxbn_dtype dt;
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
    const char *mode, *coord, *nearest, *policy;
    float a, ev;
    int excl, anti;
    int naxes;
    int64_t axes[ONNXBN_MAX_RANK];
    int nscales, nsizes, nroi;
    float scales[ONNXBN_MAX_RANK];
    int64_t sizes[ONNXBN_MAX_RANK];
    float roi[2 * ONNXBN_MAX_RANK];
    int threads;
    int sample; /* check every sample-th output element against the reference (0: all) */
} rcase;

static int pick(const char *s, const char *const *names, int def)
{
    for (int i = 0; s && names[i]; i++)
        if (!strcmp(s, names[i]))
            return i;
    return def;
}

static mk_model *model_of(const rcase *k)
{
    const char *op = k->op ? k->op : "Resize";
    mk_model *m = mk_new(k->opset);
    mk_input(m, "X", k->dt, k->rank, k->dims);
    mk_output(m, "Y", k->dt, -1, NULL);
    char ins[64] = "X";
    const int64_t ns = k->nscales, nz = k->nsizes, nr = k->nroi, zero = 0;
    const bool upsample = !strcmp(op, "Upsample");
    if (upsample && k->opset < 9) {
        /* scales as the attribute */
    } else if (upsample || k->opset < 11) {
        mk_init_f32(m, "scales", 1, &ns, k->scales);
        strcat(ins, ",scales");
    } else {
        if (nr)
            mk_init_f32(m, "roi", 1, &nr, k->roi);
        else if (k->opset < 13)
            mk_init_f32(m, "roi", 1, &zero, k->roi);
        strcat(ins, nr || k->opset < 13 ? ",roi" : ",");
        if (ns)
            mk_init_f32(m, "scales", 1, &ns, k->scales);
        else if (k->opset < 13)
            mk_init_f32(m, "scales", 1, &zero, k->scales);
        strcat(ins, ns || k->opset < 13 ? ",scales" : ",");
        if (nz) {
            mk_init(m, "sizes", ONNXBN_INT64, 1, &nz, k->sizes);
            strcat(ins, ",sizes");
        }
    }
    mk_node *nd = mk_node_add(m, op, "r", ins, "Y");
    if (upsample && k->opset < 9)
        mk_attr_floats(nd, "scales", (size_t)ns, k->scales);
    if (k->mode)
        mk_attr_s(nd, "mode", k->mode);
    if (k->coord)
        mk_attr_s(nd, "coordinate_transformation_mode", k->coord);
    if (k->nearest)
        mk_attr_s(nd, "nearest_mode", k->nearest);
    if (k->policy)
        mk_attr_s(nd, "keep_aspect_ratio_policy", k->policy);
    if (k->a != 0)
        mk_attr_f(nd, "cubic_coeff_a", k->a);
    if (k->ev != 0)
        mk_attr_f(nd, "extrapolation_value", k->ev);
    if (k->excl)
        mk_attr_i(nd, "exclude_outside", 1);
    if (k->anti)
        mk_attr_i(nd, "antialias", 1);
    if (k->naxes)
        mk_attr_ints(nd, "axes", (size_t)k->naxes, k->axes);
    return m;
}

static onnxbn_session *open_threads(const mk_model *m, int threads)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_error err = {0};
    onnxbn_session *s = NULL;
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, &err);
    free(buf);
    onnxbn_options opt = ONNXBN_OPTIONS_INIT;
    opt.threads = threads;
    if (!st)
        st = onnxbn_session_new(model, &opt, &s, &err);
    if (st)
        fail_msg("session: %s", err.msg);
    return s;
}

/* Geometry as the reference sets it up (scales, output sizes, lengths, roi over every axis). */
static void ref_geometry(const rcase *k, double *scale, double *len, int64_t *out, double *roi,
                         bool *has_roi)
{
    const int r = k->rank;
    int64_t axes[ONNXBN_MAX_RANK];
    const int na = k->naxes ? k->naxes : r;
    for (int i = 0; i < na; i++)
        axes[i] = k->naxes ? (k->axes[i] + r) % r : i;
    for (int d = 0; d < r; d++) {
        scale[d] = 1;
        out[d] = k->dims[d];
        roi[d] = 0;
        roi[r + d] = 1;
    }
    *has_roi = k->nroi > 0;
    for (int i = 0; i < na && k->nroi; i++) {
        roi[axes[i]] = k->roi[i];
        roi[r + axes[i]] = k->roi[na + i];
    }
    double common = 0;
    const bool keep = k->policy && strcmp(k->policy, "stretch");
    for (int i = 0; i < na && keep; i++) {
        const double s = (double)k->sizes[i] / (double)k->dims[axes[i]];
        if (i == 0 || (!strcmp(k->policy, "not_larger") ? s < common : s > common))
            common = s;
    }
    for (int i = 0; i < na; i++) {
        const int d = (int)axes[i];
        if (keep) {
            scale[d] = common;
            out[d] = (int64_t)(common * (double)k->dims[d] + 0.5);
        } else if (k->nsizes) {
            scale[d] = (double)k->sizes[i] / (double)k->dims[d];
            out[d] = k->sizes[i];
        } else {
            scale[d] = k->scales[i];
            out[d] = (int64_t)floor(scale[d] * (double)k->dims[d]);
        }
    }
    for (int d = 0; d < r; d++)
        len[d] = scale[d] * (double)k->dims[d];
}

/* Runs the case and compares with the reference: floats within 1e-4 + 1e-5·|y| (float arithmetic
 * in the 2-D path), float16 at its precision, integer types exactly after the same truncation. */
static void check_case(const rcase *k)
{
    const int r = k->rank;
    int64_t n = 1;
    for (int d = 0; d < r; d++)
        n *= k->dims[d];
    const size_t es = onnxbn_dtype_size(k->dt);
    uint8_t *x = malloc((size_t)n * es + 1);
    double *xd = malloc((size_t)n * sizeof *xd + 1);
    for (int64_t i = 0; i < n; i++) {
        /* smooth and rough parts, negative values, within every integer type's range */
        double v = (double)((i * 37 + 11) % 101) - 30 + 0.25 * (double)(i % 7);
        if (k->dt != ONNXBN_FLOAT && k->dt != ONNXBN_DOUBLE && k->dt != ONNXBN_FLOAT16)
            v = (double)((i * 37 + 11) % 101) + (k->dt == ONNXBN_INT8 || k->dt == ONNXBN_INT64 ? -40 : 0);
        if (k->dt == ONNXBN_BOOL)
            v = (i * 7) % 3 == 0;
        onnxbn_rs_store(k->dt, x, i, v);
        xd[i] = onnxbn_load_f64(k->dt, x, i);
    }
    mk_model *m = model_of(k);
    onnxbn_session *s = open_threads(m, k->threads ? k->threads : 1);
    mk_feed f = {"X", k->dt, r, k->dims, x};
    onnxbn_error err = {0};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);

    double scale[ONNXBN_MAX_RANK], len[ONNXBN_MAX_RANK], roi[2 * ONNXBN_MAX_RANK];
    int64_t out[ONNXBN_MAX_RANK];
    bool has_roi;
    ref_geometry(k, scale, len, out, roi, &has_roi);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), k->dt);
    assert_int_equal(onnxbn_tensor_rank(y), r);
    for (int d = 0; d < r; d++)
        if (onnxbn_tensor_dims(y)[d] != out[d])
            fail_msg("axis %d: %lld, expected %lld", d, (long long)onnxbn_tensor_dims(y)[d],
                     (long long)out[d]);
    static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                         "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize",
                                         NULL};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                           NULL};
    const bool legacy = (k->op && !strcmp(k->op, "Upsample")) || k->opset < 11;
    ref_cfg c = {pick(k->mode, modes, NEAREST), legacy ? ASYM : pick(k->coord, coords, HALF),
                 legacy ? SIMPLE : pick(k->nearest, nearests, R_FLOOR), k->a != 0 ? k->a : -0.75,
                 k->ev, k->excl != 0, k->anti != 0};
    const int64_t total = onnxbn_tensor_numel(y);
    const void *got = onnxbn_tensor_cdata(y);
    const int64_t step = k->sample ? k->sample : 1;
    int64_t xi[ONNXBN_MAX_RANK];
    for (int64_t o = 0; o < total; o += step) {
        int64_t rem = o;
        for (int d = r - 1; d >= 0; d--) {
            xi[d] = rem % out[d];
            rem /= out[d];
        }
        const double want = ref_nd(&c, xd, k->dims, r, scale, len, xi, has_roi ? roi : NULL);
        const double g = onnxbn_load_f64(k->dt, got, o);
        double w = want;
        bool ok;
        if (k->dt == ONNXBN_FLOAT || k->dt == ONNXBN_DOUBLE) {
            ok = fabs(g - w) <= 1e-4 + 1e-5 * fabs(w);
        } else if (k->dt == ONNXBN_FLOAT16) {
            ok = fabs(g - w) <= 1e-3 * fabs(w) + 1e-3;
        } else {
            /* truncation: a sum an ulp off an integer may land on either side of it */
            uint8_t tmp[8];
            ok = false;
            for (int e = -1; e <= 1 && !ok; e++) {
                onnxbn_rs_store(k->dt, tmp, 0, want + e * 1e-9 * (1 + fabs(want)));
                w = onnxbn_load_f64(k->dt, tmp, 0);
                ok = g == w;
            }
        }
        if (!ok)
            fail_msg("%s %s element %lld: got %.9g, expected %.9g", k->mode ? k->mode : "nearest",
                     k->coord ? k->coord : "", (long long)o, g, w);
    }
    onnxbn_session_free(s);
    mk_free(m);
    free(x);
    free(xd);
}

/* ---- the reference cases ---- */

static void test_linear_2d(void **state)
{
    (void)state;
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                         "asymmetric"};
    for (int i = 0; i < 4; i++) {
        /* upsample x2 (UNet), arbitrary sizes both ways, a downsample by scales */
        rcase up = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {2, 3, 5, 7}, .mode = "linear",
                    .coord = coords[i], .nscales = 4, .scales = {1, 1, 2, 2}};
        check_case(&up);
        rcase sz = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 6, 5}, .mode = "linear",
                    .coord = coords[i], .nsizes = 4, .sizes = {1, 2, 13, 3}};
        check_case(&sz);
        rcase down = {.opset = 11, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 9, 8},
                      .mode = "linear", .coord = coords[i], .nscales = 4, .scales = {1, 1, 0.6f, 0.45f}};
        check_case(&down);
    }
    /* only H changes; a width of 1; rank 1 (the 2-D path with no H axis) */
    rcase h = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 4, 6}, .mode = "linear",
               .nsizes = 4, .sizes = {1, 2, 9, 6}};
    check_case(&h);
    rcase w1 = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 3, .dims = {2, 4, 1}, .mode = "linear",
                .coord = "align_corners", .nsizes = 3, .sizes = {2, 3, 5}};
    check_case(&w1);
    rcase r1 = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 1, .dims = {7}, .mode = "linear",
                .nscales = 1, .scales = {2.5f}};
    check_case(&r1);
    /* exclude_outside on linear zeroes the clamped tap at the border */
    rcase ex = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 2, .dims = {3, 4}, .mode = "linear",
                .excl = 1, .nscales = 2, .scales = {3, 2}};
    check_case(&ex);
}

static void test_cubic(void **state)
{
    (void)state;
    rcase k = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 6, 5}, .mode = "cubic",
               .nscales = 4, .scales = {1, 1, 1.7f, 2}};
    check_case(&k);
    k.a = -0.5f;
    k.excl = 1;
    check_case(&k);
    k.coord = "align_corners";
    k.nscales = 0;
    k.nsizes = 4;
    memcpy(k.sizes, (int64_t[]){1, 2, 4, 3}, 4 * sizeof(int64_t));
    check_case(&k);
    rcase asym = {.opset = 11, .dt = ONNXBN_FLOAT, .rank = 2, .dims = {5, 4}, .mode = "cubic",
                  .coord = "asymmetric", .nscales = 2, .scales = {0.8f, 2.25f}};
    check_case(&asym);
}

static void test_nearest(void **state)
{
    (void)state;
    static const char *const modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const char *const coords[] = {"half_pixel",    "pytorch_half_pixel",   "align_corners",
                                         "asymmetric",    "tf_half_pixel_for_nn"};
    static const onnxbn_dtype types[] = {ONNXBN_FLOAT, ONNXBN_INT64, ONNXBN_INT8, ONNXBN_FLOAT16,
                                         ONNXBN_BOOL};
    for (int m = 0; m < 4; m++)
        for (int i = 0; i < 5; i++) {
            rcase k = {.opset = 13, .dt = types[(m + i) % 5], .rank = 4, .dims = {1, 2, 5, 7},
                       .coord = coords[i], .nearest = modes[m], .nsizes = 4, .sizes = {1, 2, 8, 4}};
            check_case(&k);
            rcase s = {.opset = 13, .dt = types[(m + 2 * i) % 5], .rank = 3, .dims = {3, 4, 6},
                       .coord = coords[i], .nearest = modes[m], .nscales = 3, .scales = {0.7f, 1.5f, 3}};
            check_case(&s);
        }
    /* Upsample-7 (attribute), Upsample-9 and Resize-10 (input): 'simple' rounding both ways */
    rcase u7 = {.op = "Upsample", .opset = 7, .dt = ONNXBN_INT32, .rank = 4, .dims = {1, 1, 2, 3},
                .nscales = 4, .scales = {1, 1, 2, 3}};
    check_case(&u7);
    rcase u9 = {.op = "Upsample", .opset = 9, .dt = ONNXBN_UINT8, .rank = 2, .dims = {5, 4},
                .nscales = 2, .scales = {0.6f, 2.5f}};
    check_case(&u9);
    rcase r10 = {.opset = 10, .dt = ONNXBN_FLOAT, .rank = 3, .dims = {2, 5, 4}, .nscales = 3,
                 .scales = {1, 0.6f, 1.75f}};
    check_case(&r10);
    rcase r10l = {.opset = 10, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 5, 4}, .mode = "linear",
                  .nscales = 4, .scales = {1, 1, 0.6f, 1.75f}};
    check_case(&r10l);
}

/* Axes other than the last two take separable passes (float, or double for other types). */
static void test_other_paths(void **state)
{
    (void)state;
    rcase tri = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 5, .dims = {1, 2, 3, 4, 5}, .mode = "linear",
                 .nscales = 5, .scales = {1, 1, 2, 1.5f, 0.8f}};
    check_case(&tri);
    rcase chan = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {2, 3, 2, 2}, .mode = "cubic",
                  .nsizes = 4, .sizes = {3, 5, 2, 2}};
    check_case(&chan);
    /* float passes: threaded over the slices before the axis, and tf_crop_and_resize's outside
     * outputs on a gathered (last) axis and on a blended one */
    rcase tri2 = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 5, .dims = {1, 4, 6, 10, 12},
                  .mode = "linear", .nscales = 5, .scales = {1, 1, 2, 2, 2}, .threads = 2, .sample = 41};
    check_case(&tri2);
    rcase crop3 = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 3, .dims = {4, 3, 5}, .mode = "cubic",
                   .coord = "tf_crop_and_resize", .ev = -7, .nsizes = 3, .sizes = {6, 3, 4}, .nroi = 6,
                   .roi = {-0.2f, 0, 0.1f, 0.9f, 1, 1.3f}};
    check_case(&crop3);
    static const onnxbn_dtype types[] = {ONNXBN_DOUBLE, ONNXBN_FLOAT16, ONNXBN_UINT8, ONNXBN_INT8,
                                         ONNXBN_INT64, ONNXBN_UINT16};
    for (int i = 0; i < 6; i++) {
        rcase k = {.opset = 13, .dt = types[i], .rank = 4, .dims = {1, 2, 4, 5},
                   .mode = i % 2 ? "linear" : "cubic", .nscales = 4, .scales = {1, 1, 1.5f, 0.6f}};
        check_case(&k);
    }
}

static void test_crop_and_resize(void **state)
{
    (void)state;
    /* a region partly outside the input: extrapolation_value there */
    rcase k = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 4, 5}, .mode = "linear",
               .coord = "tf_crop_and_resize", .ev = 10, .nsizes = 4, .sizes = {1, 2, 3, 6}, .nroi = 8,
               .roi = {0, 0, 0.4f, -0.3f, 1, 1, 1.2f, 0.9f}};
    check_case(&k);
    k.mode = NULL; /* nearest */
    check_case(&k);
    k.mode = "cubic";
    k.dt = ONNXBN_DOUBLE;
    check_case(&k);
    /* with scales the output covers the region: floor(in · (end - start) · scale) */
    rcase s = {.opset = 11, .dt = ONNXBN_FLOAT, .rank = 2, .dims = {4, 4}, .mode = "linear",
               .coord = "tf_crop_and_resize", .nscales = 2, .scales = {2, 1}, .nroi = 4,
               .roi = {0.25f, 0, 0.75f, 1}};
    mk_model *m = model_of(&s);
    onnxbn_session *ss = open_threads(m, 1);
    const float x[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const int64_t xd[] = {4, 4}, yd[] = {4, 4};
    mk_feed f = {"X", 0, 2, xd, x};
    onnxbn_error err = {0};
    if (mk_run(ss, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    /* rows at 0.75 + o · (0.5·3)/(4-1) = 0.75, 1.25, 1.75, 2.25 of the input */
    const float want[16] = {3, 4, 5, 6, 5, 6, 7, 8, 7, 8, 9, 10, 9, 10, 11, 12};
    mk_expect_f32(ss, 0, 2, yd, want, 1e-6, 1e-6);
    onnxbn_session_free(ss);
    mk_free(m);
}

/* Opset 18: axes, keep_aspect_ratio_policy, antialias (checked against the reference too). */
static void test_opset18(void **state)
{
    (void)state;
    rcase ax = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 5, 6}, .mode = "linear",
                .naxes = 2, .axes = {3, 2}, .nscales = 2, .scales = {2, 0.5f}};
    check_case(&ax);
    rcase keep = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 4, 6}, .mode = "linear",
                  .naxes = 2, .axes = {2, 3}, .nsizes = 2, .sizes = {7, 7}, .policy = "not_larger"};
    check_case(&keep); /* 7/6 on both: 5 x 7 */
    keep.policy = "not_smaller";
    check_case(&keep); /* 7/4 on both: 7 x 11 */
    rcase crop = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 4, 4}, .mode = "linear",
                  .coord = "tf_crop_and_resize", .naxes = 2, .axes = {3, 2}, .nsizes = 2,
                  .sizes = {3, 3}, .nroi = 4, .roi = {0.6f, 0.4f, 0.8f, 0.6f}};
    check_case(&crop);
    for (int m = 0; m < 2; m++) {
        rcase aa = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 2, 9, 11},
                    .mode = m ? "cubic" : "linear", .anti = 1, .nsizes = 4, .sizes = {1, 2, 4, 3}};
        check_case(&aa);
        aa.excl = 1;
        check_case(&aa);
        aa.nsizes = 0;
        aa.nscales = 4;
        memcpy(aa.scales, (float[]){1, 1, 1.5f, 0.3f}, sizeof aa.scales[0] * 4);
        check_case(&aa);
    }
    /* one output from 100 inputs: a cubic filter 400 taps wide, most of it on the clamped edge */
    rcase wide = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 2, .dims = {3, 100}, .mode = "cubic",
                  .anti = 1, .nsizes = 2, .sizes = {2, 1}};
    check_case(&wide);
    wide.excl = 1;
    check_case(&wide);
    /* a region far wider than the input at a tiny scale: refused, not a table of millions */
    rcase far = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 2, .dims = {1, 10}, .mode = "linear",
                 .anti = 1, .coord = "tf_crop_and_resize", .nscales = 2, .scales = {1, 1e-6f},
                 .nroi = 4, .roi = {0, 0, 1, 1e6f}};
    mk_model *m = model_of(&far);
    const float x[10] = {0};
    mk_feed f = {"X", 0, 2, far.dims, x};
    mk_expect_fail(m, 1, &f, ONNXBN_ERR_LIMIT, "antialias filter of axis 1");
    mk_free(m);
}

/* Values of the onnx reference (op_resize.py of opset 18, run by numpy), not of the port above. */
static void test_antialias_values(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 4, 4}, yd[] = {1, 1, 2, 2}, x8d[] = {1, 1, 8, 8}, y8d[] = {1, 1, 3, 2};
    float x[16], x8[64];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    for (int i = 0; i < 64; i++)
        x8[i] = (float)pow(i, 1.5) / 7.0f;
    static const float lin[] = {2.875f, 4.5f, 9.375f, 11.0f};
    static const float cub[] = {2.518072135f, 4.285886181f, 9.589328318f, 11.357142364f};
    static const float lin8[] = {5.174034595f, 7.653458118f, 23.860710144f,
                                 28.247543335f, 50.709499359f, 56.374031067f};
    for (int m = 0; m < 3; m++) {
        rcase k = {.opset = 18, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 4, 4},
                   .mode = m == 1 ? "cubic" : "linear", .anti = 1, .nscales = 4,
                   .scales = {1, 1, 0.6f, 0.6f}};
        if (m == 2) {
            memcpy(k.scales, (float[]){1, 1, 0.375f, 0.25f}, 4 * sizeof(float));
            k.dims[2] = k.dims[3] = 8;
        }
        mk_model *mm = model_of(&k);
        onnxbn_session *s = open_threads(mm, 1);
        mk_feed f = {"X", 0, 4, m == 2 ? x8d : xd, m == 2 ? x8 : x};
        onnxbn_error err = {0};
        if (mk_run(s, 1, &f, &err))
            fail_msg("run: %s", err.msg);
        mk_expect_f32(s, 0, 4, m == 2 ? y8d : yd, m == 0 ? lin : m == 1 ? cub : lin8, 1e-6, 1e-5);
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

/* The hand-computed bilinear case of the ONNX docs, and the same at two threads on planes big
 * enough to be split (by planes, and by rows when there are fewer planes than threads). */
static void test_bilinear_threads(void **state)
{
    (void)state;
    const int64_t xd[] = {1, 1, 2, 2}, yd[] = {1, 1, 4, 4};
    const float x[] = {1, 2, 3, 4};
    const float want[] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                          2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    rcase k = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 2, 2}, .mode = "linear",
               .nscales = 4, .scales = {1, 1, 2, 2}};
    mk_model *m = model_of(&k);
    onnxbn_session *s = open_threads(m, 1);
    mk_feed f = {"X", 0, 4, xd, x};
    onnxbn_error err = {0};
    if (mk_run(s, 1, &f, &err))
        fail_msg("run: %s", err.msg);
    mk_expect_f32(s, 0, 4, yd, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(m);

    rcase many = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 9, 12, 14}, .mode = "linear",
                  .nscales = 4, .scales = {1, 1, 2, 2}, .threads = 2, .sample = 7};
    check_case(&many);
    rcase few = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 20, 24}, .mode = "cubic",
                 .nsizes = 4, .sizes = {1, 1, 130, 150}, .threads = 2, .sample = 53};
    check_case(&few);
    rcase near = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 3, 40, 50}, .nscales = 4,
                  .scales = {1, 1, 2, 2}, .threads = 2, .sample = 31};
    check_case(&near);
}

/* ---- the kernels on their own ---- */

static void test_tables(void **state)
{
    (void)state;
    /* half_pixel x2 on 3: sources -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 */
    onnxbn_rs_params p = {.mode = ONNXBN_RS_LINEAR, .coord = ONNXBN_RS_HALF_PIXEL, .cubic_a = -0.75};
    onnxbn_rs_geom g = {3, 6, 2, 6, 0, 1};
    onnxbn_rs_axis a;
    assert_true(onnxbn_rs_axis_build(&a, &p, &g));
    assert_int_equal(a.taps, 2);
    assert_false(a.identity);
    static const int32_t i0[] = {0, 0, 0, 1, 1, 2}, i1[] = {0, 1, 1, 2, 2, 2};
    static const double w1[] = {0.75, 0.25, 0.75, 0.25, 0.75, 0.25};
    for (int o = 0; o < 6; o++) {
        assert_int_equal(a.idx[o], i0[o]);
        assert_int_equal(a.idx[6 + o], i1[o]);
        assert_true(a.wd[6 + o] == w1[o]);
        assert_true(a.wd[o] == 1 - w1[o]);
    }
    onnxbn_rs_axis_free(&a);
    /* cubic at scale 1 is the identity, and is recognised as such */
    p.mode = ONNXBN_RS_CUBIC;
    g = (onnxbn_rs_geom){5, 5, 1, 5, 0, 1};
    assert_true(onnxbn_rs_axis_build(&a, &p, &g));
    assert_true(a.identity);
    assert_int_equal(a.taps, 1);
    onnxbn_rs_axis_free(&a);
    /* antialias at scale 1/4: the linear filter is 8 taps wide */
    p.mode = ONNXBN_RS_LINEAR;
    p.antialias = true;
    assert_int_equal(onnxbn_rs_taps(&p, 0.25, 100), 8);
    assert_int_equal(onnxbn_rs_taps(&p, 1e-9, 100), -1);
    p.mode = ONNXBN_RS_CUBIC;
    assert_int_equal(onnxbn_rs_taps(&p, 0.25, 100), 16);
    /* integer stores truncate and saturate; NaN is 0 */
    uint8_t u8[4];
    int64_t i64[2];
    onnxbn_rs_store(ONNXBN_UINT8, u8, 0, 300.7);
    onnxbn_rs_store(ONNXBN_UINT8, u8, 1, -3);
    onnxbn_rs_store(ONNXBN_UINT8, u8, 2, 7.9);
    onnxbn_rs_store(ONNXBN_UINT8, u8, 3, NAN);
    assert_int_equal(u8[0], 255);
    assert_int_equal(u8[1], 0);
    assert_int_equal(u8[2], 7);
    assert_int_equal(u8[3], 0);
    onnxbn_rs_store(ONNXBN_INT64, i64, 0, 1e30);
    onnxbn_rs_store(ONNXBN_INT64, i64, 1, -2.5);
    assert_true(i64[0] == INT64_MAX);
    assert_true(i64[1] == -2);
}

/* ---- bad input: one error naming the node ---- */

static void expect_bad(const rcase *k, onnxbn_status want, const char *text)
{
    mk_model *m = model_of(k);
    const float x[64] = {0};
    mk_feed f = {"X", 0, k->rank, k->dims, x};
    char who[64];
    snprintf(who, sizeof who, "node 'r' (%s): ", k->op ? k->op : "Resize");
    mk_expect_fail(m, 1, &f, want, text);
    mk_expect_fail(m, 1, &f, want, who);
    mk_free(m);
}

static void test_bad_input(void **state)
{
    (void)state;
    rcase k = {.opset = 13, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 2, 2}, .mode = "linear"};
    rcase both = k;
    both.nscales = 4;
    memcpy(both.scales, (float[]){1, 1, 2, 2}, 4 * sizeof(float));
    both.nsizes = 4;
    memcpy(both.sizes, (int64_t[]){1, 1, 4, 4}, 4 * sizeof(int64_t));
    expect_bad(&both, ONNXBN_ERR_MODEL, "'scales' (4 values) and 'sizes' (4 values) are both given");
    expect_bad(&k, ONNXBN_ERR_MODEL, "needs 'scales' or 'sizes'");
    rcase len = k;
    len.nscales = 3;
    memcpy(len.scales, (float[]){1, 2, 2}, 3 * sizeof(float));
    expect_bad(&len, ONNXBN_ERR_SHAPE, "input 'scales' has 3 values, expected 4");
    rcase slen = k;
    slen.nsizes = 5;
    expect_bad(&slen, ONNXBN_ERR_SHAPE, "input 'sizes' has 5 values, expected 4");
    static const float badv[] = {0, -1, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        rcase z = k;
        z.nscales = 4;
        memcpy(z.scales, (float[]){1, 1, 2, badv[i]}, 4 * sizeof(float));
        expect_bad(&z, ONNXBN_ERR_SHAPE, "of axis 3 is not a positive finite number");
    }
    rcase neg = k;
    neg.nsizes = 4;
    memcpy(neg.sizes, (int64_t[]){1, 1, -4, 4}, 4 * sizeof(int64_t));
    expect_bad(&neg, ONNXBN_ERR_SHAPE, "size -4 of axis 2 is negative");
    rcase roi = k;
    roi.coord = "tf_crop_and_resize";
    roi.nsizes = 4;
    memcpy(roi.sizes, (int64_t[]){1, 1, 3, 3}, 4 * sizeof(int64_t));
    roi.nroi = 4;
    expect_bad(&roi, ONNXBN_ERR_SHAPE, "input 'roi' has 4 values, expected 8");
    roi.nroi = 0;
    expect_bad(&roi, ONNXBN_ERR_MODEL, "needs input 'roi'");
    rcase huge = k;
    huge.nscales = 4;
    memcpy(huge.scales, (float[]){1, 1, 3e9f, 1}, 4 * sizeof(float));
    expect_bad(&huge, ONNXBN_ERR_LIMIT, "at most 2^31-1");
    /* 2^30 outputs fit in an axis but their tables (32 GiB) are refused before they are made */
    rcase big = k;
    big.nsizes = 4;
    memcpy(big.sizes, (int64_t[]){1, 1, 2, 1 << 30}, 4 * sizeof(int64_t));
    expect_bad(&big, ONNXBN_ERR_LIMIT, "the tables of axis 3 (1073741824 outputs, 2 taps each) pass 512 MiB");
    rcase mode = k;
    mode.mode = "bicubic";
    mode.nscales = 4;
    memcpy(mode.scales, (float[]){1, 1, 2, 2}, 4 * sizeof(float));
    expect_bad(&mode, ONNXBN_ERR_MODEL, "attribute 'mode' is 'bicubic'");
    rcase r10 = mode;
    r10.opset = 10;
    r10.mode = "cubic"; /* Resize-10 has no cubic */
    expect_bad(&r10, ONNXBN_ERR_MODEL, "attribute 'mode' is 'cubic'");
    rcase axes = mode;
    axes.mode = "linear";
    axes.opset = 18;
    axes.naxes = 2;
    memcpy(axes.axes, (int64_t[]){2, -2}, 2 * sizeof(int64_t));
    axes.nscales = 2;
    expect_bad(&axes, ONNXBN_ERR_SHAPE, "lists axis 2 twice");
    axes.axes[1] = 4;
    expect_bad(&axes, ONNXBN_ERR_SHAPE, "axis");
    axes.axes[1] = 3;
    axes.nscales = 4;
    expect_bad(&axes, ONNXBN_ERR_SHAPE, "input 'scales' has 4 values, expected 2 (one per entry of 'axes')");
    /* Upsample: the attribute of 7 and the input of 9 are checked alike */
    rcase u7 = {.op = "Upsample", .opset = 7, .dt = ONNXBN_FLOAT, .rank = 4, .dims = {1, 1, 2, 2},
                .nscales = 3, .scales = {1, 2, 2}};
    expect_bad(&u7, ONNXBN_ERR_SHAPE, "attribute 'scales' has 3 values, expected 4");
    rcase u9 = u7;
    u9.opset = 9;
    u9.nscales = 4;
    memcpy(u9.scales, (float[]){1, 1, -2, 2}, 4 * sizeof(float));
    expect_bad(&u9, ONNXBN_ERR_SHAPE, "scale -2 of axis 2 is not a positive finite number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),          cmocka_unit_test(test_linear_2d),
        cmocka_unit_test(test_cubic),           cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_other_paths),     cmocka_unit_test(test_crop_and_resize),
        cmocka_unit_test(test_opset18),         cmocka_unit_test(test_antialias_values),
        cmocka_unit_test(test_bilinear_threads), cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
