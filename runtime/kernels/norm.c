/* SPDX-License-Identifier: Apache-2.0 */
/* norm.c — normalisation inner loops for float and double. One body per operation serves both
 * types (inlined with the type fixed); statistics and softmax sums are accumulated in double. */
#include <math.h>

#include "kernels/clones.h"
#include "kernels/norm.h"
#include "kernels/vmath.h"

#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

INLINE double ld(const void *p, int64_t i, bool f64)
{
    return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

INLINE void st(void *p, int64_t i, double v, bool f64)
{
    if (f64)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

/* exp in the element type's precision: expf is enough for a float result, and faster. */
INLINE double ex(double v, bool f64) { return f64 ? exp(v) : (double)expf((float)v); }

/* ---- softmax ---- */

size_t onnxbn_softmax_scratch(int64_t inner) { return inner > 1 ? 2 * (size_t)inner * sizeof(double) : 0; }

/* One contiguous line of n elements. */
INLINE void softmax_line(onnxbn_softmax_kind kind, const void *x, void *y, int64_t n, bool f64)
{
    if (kind == ONNXBN_HARDMAX) {
        double m = ld(x, 0, f64);
        int64_t am = 0;
        for (int64_t j = 1; j < n; j++) {
            const double v = ld(x, j, f64);
            if (v > m) {
                m = v;
                am = j;
            }
        }
        for (int64_t j = 0; j < n; j++)
            st(y, j, j == am ? 1.0 : 0.0, f64);
        return;
    }
    double m = ld(x, 0, f64), s = 0.0;
    for (int64_t j = 1; j < n; j++) {
        const double v = ld(x, j, f64);
        m = v > m ? v : m;
    }
    if (kind == ONNXBN_SOFTMAX) {
        for (int64_t j = 0; j < n; j++) {
            const double e = ex(ld(x, j, f64) - m, f64);
            st(y, j, e, f64);
            s += e;
        }
        const double r = 1.0 / s;
        for (int64_t j = 0; j < n; j++)
            st(y, j, ld(y, j, f64) * r, f64);
    } else {
        for (int64_t j = 0; j < n; j++)
            s += ex(ld(x, j, f64) - m, f64);
        const double off = m + log(s);
        for (int64_t j = 0; j < n; j++)
            st(y, j, ld(x, j, f64) - off, f64);
    }
}

/* One outer block of n × inner: the inner lines side by side, so that every loop runs along the
 * contiguous inner axis. m and s (inner each) hold the running maximum and the sum (or the
 * position of the maximum, for hardmax). */
INLINE void softmax_block(onnxbn_softmax_kind kind, const void *x, void *y, int64_t n,
                          int64_t inner, double *m, double *s, bool f64)
{
    for (int64_t i = 0; i < inner; i++) {
        m[i] = ld(x, i, f64);
        s[i] = 0.0;
    }
    for (int64_t j = 1; j < n; j++)
        for (int64_t i = 0; i < inner; i++) {
            const double v = ld(x, j * inner + i, f64);
            if (kind == ONNXBN_HARDMAX) {
                if (v > m[i]) {
                    m[i] = v;
                    s[i] = (double)j;
                }
            } else {
                m[i] = v > m[i] ? v : m[i];
            }
        }
    if (kind == ONNXBN_HARDMAX) {
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++)
                st(y, j * inner + i, s[i] == (double)j ? 1.0 : 0.0, f64);
        return;
    }
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < inner; i++) {
            const double e = ex(ld(x, j * inner + i, f64) - m[i], f64);
            if (kind == ONNXBN_SOFTMAX)
                st(y, j * inner + i, e, f64);
            s[i] += e;
        }
    if (kind == ONNXBN_SOFTMAX) {
        for (int64_t i = 0; i < inner; i++)
            s[i] = 1.0 / s[i];
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++)
                st(y, j * inner + i, ld(y, j * inner + i, f64) * s[i], f64);
    } else {
        for (int64_t i = 0; i < inner; i++)
            m[i] += log(s[i]);
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++)
                st(y, j * inner + i, ld(x, j * inner + i, f64) - m[i], f64);
    }
}

INLINE void softmax_any(onnxbn_softmax_kind kind, const void *x, void *y, int64_t outer,
                        int64_t n, int64_t inner, void *scratch, bool f64)
{
    const size_t esz = f64 ? sizeof(double) : sizeof(float);
    if (n <= 0 || inner <= 0)
        return;
    for (int64_t o = 0; o < outer; o++) {
        const size_t off = (size_t)(o * n * inner) * esz;
        const void *xo = (const char *)x + off;
        void *yo = (char *)y + off;
        if (inner == 1) {
            softmax_line(kind, xo, yo, n, f64);
        } else {
            double *m = scratch;
            softmax_block(kind, xo, yo, n, inner, m, m + inner, f64);
        }
    }
}

/* Softmax of float along a contiguous axis (attention's rows): the maximum in 16 lanes, e^(x − max)
 * by vmath.h's exp, the sum in double over 16 lanes, all loops vectorised per ISA level; expf was
 * a call per element. NaN and infinities give what softmax_line gives (the maximum skips a NaN
 * that is not first, whose e^ then makes every output NaN). */
#define LANES 16
ONNXBN_CLONE_BODY void smx_rows_f32_body(const float *x, float *y, int64_t rows, int64_t n)
{
    for (int64_t r = 0; r < rows; r++, x += n, y += n) {
        float ml[LANES];
        for (int l = 0; l < LANES; l++)
            ml[l] = x[0];
        int64_t j = 0;
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++)
                ml[l] = x[j + l] > ml[l] ? x[j + l] : ml[l];
        for (; j < n; j++)
            ml[0] = x[j] > ml[0] ? x[j] : ml[0];
        float m = ml[0];
        for (int l = 1; l < LANES; l++)
            m = ml[l] > m ? ml[l] : m;
        for (j = 0; j < n; j++)
            y[j] = onnxbn_vexpf(x[j] - m);
        double sl[LANES] = {0};
        for (j = 0; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++)
                sl[l] += (double)y[j + l];
        for (; j < n; j++)
            sl[0] += (double)y[j];
        double s = 0.0;
        for (int l = 0; l < LANES; l++)
            s += sl[l];
        const double inv = 1.0 / s;
        for (j = 0; j < n; j++)
            y[j] = (float)((double)y[j] * inv);
    }
}
ONNXBN_CLONES(static, smx_rows_f32, (const float *x, float *y, int64_t rows, int64_t n),
              (x, y, rows, n))
#undef LANES

void onnxbn_softmax_f32(onnxbn_softmax_kind kind, const float *x, float *y, int64_t outer,
                        int64_t n, int64_t inner, void *scratch)
{
    if (kind == ONNXBN_SOFTMAX && inner == 1 && n > 0)
        smx_rows_f32(x, y, outer, n);
    else
        softmax_any(kind, x, y, outer, n, inner, scratch, false);
}

void onnxbn_softmax_f64(onnxbn_softmax_kind kind, const double *x, double *y, int64_t outer,
                        int64_t n, int64_t inner, void *scratch)
{
    softmax_any(kind, x, y, outer, n, inner, scratch, true);
}

/* ---- statistics ---- */

/* Mean and population variance of n elements, two passes in double over 4 independent lanes. */
INLINE void moments(const void *x, int64_t n, bool f64, double *mean, double *var)
{
    double a[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++)
            a[l] += ld(x, i + l, f64);
    for (; i < n; i++)
        a[0] += ld(x, i, f64);
    const double mu = ((a[0] + a[1]) + (a[2] + a[3])) / (double)n;
    a[0] = a[1] = a[2] = a[3] = 0.0;
    for (i = 0; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++) {
            const double d = ld(x, i + l, f64) - mu;
            a[l] += d * d;
        }
    for (; i < n; i++) {
        const double d = ld(x, i, f64) - mu;
        a[0] += d * d;
    }
    *mean = mu;
    *var = ((a[0] + a[1]) + (a[2] + a[3])) / (double)n;
}

INLINE void instnorm_any(const void *x, void *y, const double *scale, const double *bias,
                         int64_t N, int64_t C, int64_t S, double eps, bool f64)
{
    const size_t esz = f64 ? sizeof(double) : sizeof(float);
    for (int64_t p = 0; p < N * C; p++) {
        const int64_t c = p % C;
        const void *xp = (const char *)x + (size_t)(p * S) * esz;
        void *yp = (char *)y + (size_t)(p * S) * esz;
        double mu, var;
        moments(xp, S, f64, &mu, &var);
        const double a = scale[c] / sqrt(var + eps), b = bias[c];
        for (int64_t i = 0; i < S; i++)
            st(yp, i, (ld(xp, i, f64) - mu) * a + b, f64);
    }
}

void onnxbn_instnorm_f32(const float *x, float *y, const double *scale, const double *bias,
                         int64_t N, int64_t C, int64_t S, double eps)
{
    instnorm_any(x, y, scale, bias, N, C, S, eps, false);
}

void onnxbn_instnorm_f64(const double *x, double *y, const double *scale, const double *bias,
                         int64_t N, int64_t C, int64_t S, double eps)
{
    instnorm_any(x, y, scale, bias, N, C, S, eps, true);
}

INLINE void layernorm_any(const void *x, void *y, const void *scale, const void *bias,
                          int64_t rows, int64_t n, double eps, double *mean, double *inv, bool f64)
{
    const size_t esz = f64 ? sizeof(double) : sizeof(float);
    for (int64_t r = 0; r < rows; r++) {
        const void *xr = (const char *)x + (size_t)(r * n) * esz;
        void *yr = (char *)y + (size_t)(r * n) * esz;
        double mu, var;
        moments(xr, n, f64, &mu, &var);
        const double k = 1.0 / sqrt(var + eps);
        if (mean)
            mean[r] = mu;
        if (inv)
            inv[r] = k;
        if (f64) {
            for (int64_t j = 0; j < n; j++)
                st(yr, j, (ld(xr, j, true) - mu) * k * ld(scale, j, true) +
                              (bias ? ld(bias, j, true) : 0.0), true);
        } else {
            const float *s = scale, *b = bias;
            float *yf = yr;
            const float *xf = xr;
            for (int64_t j = 0; j < n; j++)
                yf[j] = (float)(((double)xf[j] - mu) * k) * s[j] + (b ? b[j] : 0.0f);
        }
    }
}

/* LayerNormalization of float rows: the same arithmetic as layernorm_any (mean and variance in
 * double, two passes; x − mean scaled in double, rounded, then scale and bias in float), with the
 * sums kept in 16 double lanes and every loop vectorised per ISA level. Only the order in which
 * the double sums are added differs, far below a float's rounding. On Swin's rows (96-768 wide)
 * the scalar body, built for baseline SSE2, ran 8.6-10.6 GB/s, this one 9.9-18 GB/s (AVX-512). */
#define LANES 16
/* Σ x (sq false) or Σ (x − mu)² (sq true) over 16 double lanes, then the tail, then the lanes. */
ONNXBN_CLONE_BODY double ln_sum16(const float *x, int64_t n, double mu, bool sq)
{
    double sl[LANES] = {0}, s = 0.0;
    int64_t j = 0;
    if (sq)
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                const double d = (double)x[j + l] - mu;
                sl[l] += d * d;
            }
    else
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++)
                sl[l] += (double)x[j + l];
    for (; j < n; j++) {
        const double d = (double)x[j] - mu;
        s += sq ? d * d : (double)x[j];
    }
    for (int l = 0; l < LANES; l++)
        s += sl[l];
    return s;
}

ONNXBN_CLONE_BODY void ln_rows_f32_body(const float *x, float *y, const float *s, const float *b,
                                        int64_t rows, int64_t n, double eps, double *mean,
                                        double *inv)
{
    for (int64_t r = 0; r < rows; r++, x += n, y += n) {
        const double mu = ln_sum16(x, n, 0.0, false) / (double)n;
        const double var = ln_sum16(x, n, mu, true) / (double)n;
        const double k = 1.0 / sqrt(var + eps);
        if (mean)
            mean[r] = mu;
        if (inv)
            inv[r] = k;
        if (b)
            for (int64_t j = 0; j < n; j++)
                y[j] = (float)(((double)x[j] - mu) * k) * s[j] + b[j];
        else
            for (int64_t j = 0; j < n; j++)
                y[j] = (float)(((double)x[j] - mu) * k) * s[j] + 0.0f;
    }
}
ONNXBN_CLONES(static, ln_rows_f32,
              (const float *x, float *y, const float *s, const float *b, int64_t rows, int64_t n,
               double eps, double *mean, double *inv),
              (x, y, s, b, rows, n, eps, mean, inv))

/* The same over float statistics: Σ x, then Σ (x − μ)², in 16 float lanes (a lane sums n/16
 * terms), and y = (x − μ)·k·scale + bias in float. That is what a layer norm exported as float
 * nodes computes (kernels of those nodes sum in float too), at the full float vector width: the
 * double body above converts every element and runs at half of it. */
ONNXBN_CLONE_BODY float lnf_sum16(const float *x, int64_t n, float mu, bool sq)
{
    float sl[LANES] = {0}, s = 0.0f;
    int64_t j = 0;
    if (sq)
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++) {
                const float d = x[j + l] - mu;
                sl[l] += d * d;
            }
    else
        for (; j + LANES <= n; j += LANES)
            for (int l = 0; l < LANES; l++)
                sl[l] += x[j + l];
    for (; j < n; j++) {
        const float d = x[j] - mu;
        s += sq ? d * d : x[j];
    }
    for (int l = 0; l < LANES; l++)
        s += sl[l];
    return s;
}

ONNXBN_CLONE_BODY void onnxbn_layernorm_nodes_f32_body(const float *x, float *y, const float *s,
                                                       const float *b, int64_t rows, int64_t n,
                                                       float eps)
{
    for (int64_t r = 0; r < rows; r++, x += n, y += n) {
        const float mu = lnf_sum16(x, n, 0.0f, false) / (float)n;
        const float var = lnf_sum16(x, n, mu, true) / (float)n;
        const float k = 1.0f / sqrtf(var + eps);
        for (int64_t j = 0; j < n; j++)
            y[j] = (x[j] - mu) * k * s[j] + b[j];
    }
}
ONNXBN_CLONES(, onnxbn_layernorm_nodes_f32,
              (const float *x, float *y, const float *s, const float *b, int64_t rows, int64_t n,
               float eps),
              (x, y, s, b, rows, n, eps))
#undef LANES

void onnxbn_layernorm_f32(const float *x, float *y, const float *scale, const float *bias,
                          int64_t rows, int64_t n, double eps, double *mean, double *inv)
{
    if (n > 0)
        ln_rows_f32(x, y, scale, bias, rows, n, eps, mean, inv);
    else
        layernorm_any(x, y, scale, bias, rows, n, eps, mean, inv, false);
}

void onnxbn_layernorm_f64(const double *x, double *y, const double *scale, const double *bias,
                          int64_t rows, int64_t n, double eps, double *mean, double *inv)
{
    layernorm_any(x, y, scale, bias, rows, n, eps, mean, inv, true);
}

/* ---- LRN ---- */

INLINE void lrn_any(const void *x, void *y, int64_t N, int64_t C, int64_t S, int64_t size,
                    double alpha, double beta, double bias, void *sq, bool f64)
{
    const size_t esz = f64 ? sizeof(double) : sizeof(float);
    const int64_t before = (size - 1) / 2, after = size / 2; /* ⌊(size−1)/2⌋, ⌈(size−1)/2⌉ */
    const double k = alpha / (double)size;
    for (int64_t nn = 0; nn < N; nn++) {
        const char *xn = (const char *)x + (size_t)(nn * C * S) * esz;
        char *yn = (char *)y + (size_t)(nn * C * S) * esz;
        for (int64_t c = 0; c < C; c++) {
            const int64_t lo = c - before < 0 ? 0 : c - before;
            const int64_t hi = c + after > C - 1 ? C - 1 : c + after;
            for (int64_t i = 0; i < S; i++)
                st(sq, i, 0.0, f64);
            for (int64_t ch = lo; ch <= hi; ch++) {
                const void *xc = xn + (size_t)(ch * S) * esz;
                for (int64_t i = 0; i < S; i++) {
                    const double v = ld(xc, i, f64);
                    st(sq, i, ld(sq, i, f64) + v * v, f64);
                }
            }
            const void *xc = xn + (size_t)(c * S) * esz;
            void *yc = yn + (size_t)(c * S) * esz;
            for (int64_t i = 0; i < S; i++) {
                const double base = bias + k * ld(sq, i, f64);
                const double d = f64 ? pow(base, beta) : (double)powf((float)base, (float)beta);
                st(yc, i, ld(xc, i, f64) / d, f64);
            }
        }
    }
}

void onnxbn_lrn_f32(const float *x, float *y, int64_t N, int64_t C, int64_t S, int64_t size,
                    double alpha, double beta, double bias, float *scratch)
{
    lrn_any(x, y, N, C, S, size, alpha, beta, bias, scratch, false);
}

void onnxbn_lrn_f64(const double *x, double *y, int64_t N, int64_t C, int64_t S, int64_t size,
                    double alpha, double beta, double bias, double *scratch)
{
    lrn_any(x, y, N, C, S, size, alpha, beta, bias, scratch, true);
}

/* ---- MVN ---- */

void onnxbn_mvn_f64(const double *x, double *y, int rank, const int64_t *dims, const bool *reduce,
                    double *stats)
{
    int64_t ks[8], kept = 1, numel = 1;
    for (int d = rank - 1; d >= 0; d--) {
        ks[d] = reduce[d] ? 0 : kept;
        kept *= reduce[d] ? 1 : dims[d];
        numel *= dims[d];
    }
    if (numel == 0)
        return;
    const double count = (double)(numel / kept);
    double *mean = stats, *m2 = stats + kept;
    for (int64_t k = 0; k < kept; k++)
        mean[k] = m2[k] = 0.0;
    for (int pass = 0; pass < 3; pass++) {
        int64_t co[8] = {0}, k = 0;
        for (int64_t i = 0; i < numel; i++) {
            if (pass == 0) {
                mean[k] += x[i];
            } else if (pass == 1) {
                const double d = x[i] - mean[k];
                m2[k] += d * d;
            } else {
                y[i] = (x[i] - mean[k]) / (m2[k] + 1e-9);
            }
            for (int d = rank - 1; d >= 0; d--) {
                k += ks[d];
                if (++co[d] < dims[d])
                    break;
                k -= ks[d] * dims[d];
                co[d] = 0;
            }
        }
        for (int64_t j = 0; j < kept && pass < 2; j++) {
            if (pass == 0)
                mean[j] /= count;
            else
                m2[j] = sqrt(m2[j] / count); /* from here on, the standard deviation */
        }
    }
}
