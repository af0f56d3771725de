/* SPDX-License-Identifier: Apache-2.0 */
/* convtest.h — what the Conv node tests share: deterministic data, the fused activations' double
 * reference, the rounding bound and a session opened at a given thread count. */
#ifndef ONNXBN_TESTS_CONVTEST_H
#define ONNXBN_TESTS_CONVTEST_H

#include <stdint.h>
#include <stdlib.h>

#include "mkmodel.h"

/* Unit roundoff of float. A sum of n float products (each exact under FMA, or rounded once)
 * accumulated in any order is within (n + 1)·u·Σ|terms| of the exact sum (Higham, §3.1); the
 * checks allow (n + 2)·u·Σ|terms|, the bound plus one rounding of slack, and nothing more. */
#define U_F32 (1.0 / 16777216.0)

enum { ACT_NONE = 0, ACT_RELU = 1, ACT_CLIP = 2 };
static const float CLIP_LO = -0.25f, CLIP_HI = 0.5f;

/* Deterministic values in [-1, 1). */
static inline void fill(float *v, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
    }
}

static inline float *fresh(size_t n, uint32_t seed)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    fill(v, n, seed);
    return v;
}

static inline double act_d(double v, int act)
{
    if (act == ACT_RELU)
        return v <= 0 ? 0 : v;
    if (act == ACT_CLIP)
        return v < CLIP_LO ? CLIP_LO : v > CLIP_HI ? CLIP_HI : v;
    return v;
}

static inline onnxbn_status open_threads(const mk_model *m, int threads, onnxbn_session **out,
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

#endif
