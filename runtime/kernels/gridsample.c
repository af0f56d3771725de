/* SPDX-License-Identifier: Apache-2.0 */
/* gridsample.c — GridSample's taps (torch.nn.functional.grid_sample's coordinate rules: unnormalise,
 * pad by border or reflection, bilinear/nearest/bicubic weights) and the per-channel gathers. */
#include "kernels/gridsample.h"

#include <math.h>
#include <string.h>

#include "core.h"
#include "kernels/clones.h"

int onnxbn_gs_taps(onnxbn_gs_mode mode)
{
    return mode == ONNXBN_GS_NEAREST ? 1 : mode == ONNXBN_GS_BILINEAR ? 4 : 16;
}

/* [-1, 1] to pixel coordinates: -1 and 1 are the corner pixels' centres (align_corners) or the
 * image's outer edges. */
static inline __attribute__((always_inline)) double unnormalize(double g, int64_t size, bool align)
{
    return align ? (g + 1) / 2 * (double)(size - 1) : ((g + 1) * (double)size - 1) / 2;
}

static inline __attribute__((always_inline)) double clip(double x, int64_t size)
{
    /* NaN stays NaN: every bounds test below is then false and the tap reads nothing */
    return x < 0 ? 0 : x > (double)(size - 1) ? (double)(size - 1) : x;
}

/* Reflects x into [twice_low/2, twice_high/2] by the borders, as often as it takes. */
static inline __attribute__((always_inline)) double reflect(double x, double twice_low, double twice_high)
{
    if (twice_low == twice_high)
        return 0;
    const double min = twice_low / 2, span = (twice_high - twice_low) / 2;
    x = fabs(x - min);
    const double extra = fmod(x, span), flips = floor(x / span);
    return fmod(flips, 2) == 0 ? extra + min : span - extra + min;
}

static inline __attribute__((always_inline)) double pad_coord(double x, int64_t size, onnxbn_gs_pad pad, bool align)
{
    switch (pad) {
    case ONNXBN_GS_BORDER: return clip(x, size);
    case ONNXBN_GS_REFLECTION:
        x = align ? reflect(x, 0, 2 * (double)(size - 1)) : reflect(x, -1, 2 * (double)size - 1);
        return clip(x, size);
    default: return x;
    }
}

/* Integer-valued coordinates in the plane. A value in (-1, 0) counts as 0, as torch's truncating
 * cast does (padding leaves only integers there, up to rounding). */
static inline __attribute__((always_inline)) bool inside(double x, double y, int64_t W, int64_t H)
{
    return x > -1 && x < (double)W && y > -1 && y < (double)H;
}

static inline __attribute__((always_inline)) void put(size_t k, double x, double y, double w, int64_t W, int64_t H, int32_t *idx,
                float *wf, double *wd)
{
    idx[k] = inside(x, y, W, H) ? (int32_t)((int64_t)y * W + (int64_t)x) : -1;
    if (wf)
        wf[k] = (float)w;
    if (wd)
        wd[k] = w;
}

/* Keys' cubic with A = -0.75, as torch. */
static inline __attribute__((always_inline)) void cubic_coeffs(double t, double c[4])
{
    const double A = -0.75;
    double x = t + 1;
    c[0] = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    x = t;
    c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
    x = 1 - t;
    c[2] = ((A + 2) * x - (A + 3)) * x * x + 1;
    x = 2 - t;
    c[3] = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/* Cloned per ISA level: floor and nearbyint are then one instruction (vroundsd) instead of a
 * libm call per coordinate, which the x86-64 baseline (no SSE4.1) needs. */
ONNXBN_CLONE_BODY void onnxbn_gs_row_taps_body(onnxbn_gs_mode mode, onnxbn_gs_pad pad, bool align,
                                               int64_t H, int64_t W, const double *gxy, size_t n,
                                               int32_t *idx, float *wf, double *wd)
{
    for (size_t p = 0; p < n; p++) {
        double x = unnormalize(gxy[2 * p], W, align), y = unnormalize(gxy[2 * p + 1], H, align);
        if (mode == ONNXBN_GS_BICUBIC) {
            const double x0 = floor(x), y0 = floor(y);
            double cx[4], cy[4];
            cubic_coeffs(x - x0, cx);
            cubic_coeffs(y - y0, cy);
            for (int i = 0; i < 4; i++) {
                const double yy = pad_coord(y0 - 1 + i, H, pad, align);
                for (int j = 0; j < 4; j++) {
                    const double xx = pad_coord(x0 - 1 + j, W, pad, align);
                    put((size_t)(i * 4 + j) * n + p, xx, yy, cy[i] * cx[j], W, H, idx, wf, wd);
                }
            }
            continue;
        }
        x = pad_coord(x, W, pad, align);
        y = pad_coord(y, H, pad, align);
        if (mode == ONNXBN_GS_NEAREST) {
            put(p, nearbyint(x), nearbyint(y), 1, W, H, idx, wf, wd);
            continue;
        }
        const double x0 = floor(x), y0 = floor(y), x1 = x0 + 1, y1 = y0 + 1;
        put(p, x0, y0, (x1 - x) * (y1 - y), W, H, idx, wf, wd);
        put(n + p, x1, y0, (x - x0) * (y1 - y), W, H, idx, wf, wd);
        put(2 * n + p, x0, y1, (x1 - x) * (y - y0), W, H, idx, wf, wd);
        put(3 * n + p, x1, y1, (x - x0) * (y - y0), W, H, idx, wf, wd);
    }
}

ONNXBN_CLONES(, onnxbn_gs_row_taps,
              (onnxbn_gs_mode mode, onnxbn_gs_pad pad, bool align, int64_t H, int64_t W,
               const double *gxy, size_t n, int32_t *idx, float *wf, double *wd),
              (mode, pad, align, H, W, gxy, n, idx, wf, wd))

/* Tap by tap over the whole row: each pass is a gather the vectoriser turns into vector gathers
 * (vgatherdps under AVX2/AVX-512). */
ONNXBN_CLONE_BODY void onnxbn_gs_gather_f32_body(const float *x, size_t n, int taps,
                                                 const int32_t *idx, const float *w, float *y)
{
    /* The load is unconditional (an outside tap reads element 0) and its value then dropped by
     * a select, so the loop stays a plain gather the vectoriser takes; a conditional load is not. */
    for (size_t p = 0; p < n; p++) {
        const int32_t i = idx[p];
        const float v = x[i < 0 ? 0 : i];
        y[p] = w[p] * (i < 0 ? 0.0f : v);
    }
    for (int t = 1; t < taps; t++) {
        const int32_t *it = idx + (size_t)t * n;
        const float *wt = w + (size_t)t * n;
        for (size_t p = 0; p < n; p++) {
            const int32_t i = it[p];
            const float v = x[i < 0 ? 0 : i];
            y[p] += wt[p] * (i < 0 ? 0.0f : v);
        }
    }
}
ONNXBN_CLONES(, onnxbn_gs_gather_f32,
              (const float *x, size_t n, int taps, const int32_t *idx, const float *w, float *y),
              (x, n, taps, idx, w, y))

void onnxbn_gs_gather_f64(const double *x, size_t n, int taps, const int32_t *idx, const double *w,
                          double *y)
{
    for (size_t p = 0; p < n; p++)
        y[p] = w[p] * (idx[p] >= 0 ? x[idx[p]] : 0.0);
    for (int t = 1; t < taps; t++)
        for (size_t p = 0; p < n; p++) {
            const int32_t i = idx[(size_t)t * n + p];
            y[p] += w[(size_t)t * n + p] * (i >= 0 ? x[i] : 0.0);
        }
}

void onnxbn_gs_gather_f16(const uint16_t *x, size_t n, int taps, const int32_t *idx,
                          const float *w, uint16_t *y)
{
    for (size_t p = 0; p < n; p++) {
        float s = 0;
        for (int t = 0; t < taps; t++) {
            const int32_t i = idx[(size_t)t * n + p];
            s += w[(size_t)t * n + p] * (i >= 0 ? onnxbn_half_to_float(x[i]) : 0.0f);
        }
        y[p] = onnxbn_float_to_half(s);
    }
}

void onnxbn_gs_gather_bytes(const uint8_t *x, size_t es, size_t n, const int32_t *idx,
                            uint8_t *y)
{
    for (size_t p = 0; p < n; p++) {
        if (idx[p] >= 0)
            memcpy(y + p * es, x + (size_t)idx[p] * es, es);
        else
            memset(y + p * es, 0, es);
    }
}
