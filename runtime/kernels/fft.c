/* fft.c — radix-2 FFT for powers of two and Bluestein's chirp-z for the other lengths, in double.
 * Twiddles and chirps are computed once per plan from exact integer phases (k^2 mod 2n), so the
 * error stays near that of one FFT of the padded length whatever n is. */
#include "kernels/fft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct onnxbn_fft {
    size_t n;      /* the length transformed */
    size_t m;      /* the radix-2 length run: n, or Bluestein's power of two >= 2n-1 */
    double *tw;    /* m/2 complex: e^{-2 pi i k/m} */
    double *chirp; /* Bluestein: n complex, e^{-pi i k^2/n}; NULL for powers of two */
    double *bhat;  /* Bluestein: m complex, the FFT of the conjugate chirp laid circularly */
};

static bool pow2(size_t n) { return n && !(n & (n - 1)); }

static size_t next_pow2(size_t n)
{
    size_t m = 1;
    while (m < n)
        m <<= 1;
    return m;
}

/* In-place radix-2 decimation in time over m complex values (m a power of two); tw holds the m/2
 * twiddles e^{-2 pi i k/m}, of which a stage of length len takes every (m/len)-th. */
static void radix2(double *x, size_t m, const double *tw, bool inverse)
{
    for (size_t i = 1, j = 0; i < m; i++) {
        size_t bit = m >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double r = x[2 * i], s = x[2 * i + 1];
            x[2 * i] = x[2 * j];
            x[2 * i + 1] = x[2 * j + 1];
            x[2 * j] = r;
            x[2 * j + 1] = s;
        }
    }
    double sign = inverse ? -1.0 : 1.0;
    for (size_t len = 2; len <= m; len <<= 1) {
        size_t half = len >> 1, step = m / len;
        for (size_t b = 0; b < m; b += len) {
            double *lo = x + 2 * b, *hi = lo + 2 * half;
            for (size_t k = 0; k < half; k++) {
                double wr = tw[2 * k * step], wi = sign * tw[2 * k * step + 1];
                double hr = hi[2 * k] * wr - hi[2 * k + 1] * wi;
                double hi_ = hi[2 * k] * wi + hi[2 * k + 1] * wr;
                hi[2 * k] = lo[2 * k] - hr;
                hi[2 * k + 1] = lo[2 * k + 1] - hi_;
                lo[2 * k] += hr;
                lo[2 * k + 1] += hi_;
            }
        }
    }
}

/* e^{-2 pi i num/den} with num reduced into [0, den) by the caller, from the nearest octant so
 * that sin and cos see arguments no larger than pi/4 (exact symmetries, not rounded 2 pi). */
static void unit_root(uint64_t num, uint64_t den, double *re, double *im)
{
    /* angle = 2 pi num/den: its octant and the offset in it by integer arithmetic on 8 num */
    uint64_t e = 8 * num; /* num < den <= 2^28, so no overflow */
    uint64_t oct = e / den, rem = e % den;
    double t = (double)rem / (double)den * (M_PI / 4); /* in [0, pi/4) */
    double c, s;
    if (oct & 1) { /* measured from the next octant boundary backwards */
        t = M_PI / 4 - t;
    }
    c = cos(t);
    s = sin(t);
    /* the angle is oct*pi/4 + t (even oct) or (oct+1)*pi/4 - t (odd oct) */
    double cr, ci;
    switch (oct) {
    case 0: cr = c; ci = s; break;
    case 1: cr = s; ci = c; break;
    case 2: cr = -s; ci = c; break;
    case 3: cr = -c; ci = s; break;
    case 4: cr = -c; ci = -s; break;
    case 5: cr = -s; ci = -c; break;
    case 6: cr = s; ci = -c; break;
    default: cr = c; ci = -s; break;
    }
    *re = cr;
    *im = -ci; /* e^{-i angle} */
}

size_t onnxbn_fft_scratch(size_t n)
{
    return pow2(n) ? 0 : 2 * next_pow2(2 * n - 1);
}

size_t onnxbn_fft_plan_bytes(size_t n)
{
    size_t m = pow2(n) ? n : next_pow2(2 * n - 1);
    size_t doubles = (m / 2 + 1) * 2 + (pow2(n) ? 0 : 2 * n + 2 * m);
    return doubles * sizeof(double);
}

size_t onnxbn_fft_len(const onnxbn_fft *p) { return p->n; }

void onnxbn_fft_free(void *plan)
{
    onnxbn_fft *p = plan;
    if (!p)
        return;
    free(p->tw);
    free(p->chirp);
    free(p->bhat);
    free(p);
}

onnxbn_fft *onnxbn_fft_new(size_t n)
{
    if (n == 0 || n > ONNXBN_FFT_MAX_N)
        return NULL;
    onnxbn_fft *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n;
    p->m = pow2(n) ? n : next_pow2(2 * n - 1);
    size_t m = p->m;
    p->tw = malloc((m / 2 + 1) * 2 * sizeof(double));
    if (!p->tw)
        goto fail;
    for (size_t k = 0; k < m / 2; k++)
        unit_root(k, m, &p->tw[2 * k], &p->tw[2 * k + 1]);
    if (pow2(n))
        return p;
    p->chirp = malloc(n * 2 * sizeof(double));
    p->bhat = calloc(m * 2, sizeof(double));
    if (!p->chirp || !p->bhat)
        goto fail;
    for (size_t k = 0; k < n; k++) {
        /* e^{-pi i k^2/n} = e^{-2 pi i (k^2 mod 2n)/(2n)}: the phase reduced exactly */
        uint64_t q = (uint64_t)k * k % (2 * (uint64_t)n);
        unit_root(q, 2 * (uint64_t)n, &p->chirp[2 * k], &p->chirp[2 * k + 1]);
    }
    p->bhat[0] = p->chirp[0];
    p->bhat[1] = -p->chirp[1];
    for (size_t k = 1; k < n; k++) {
        p->bhat[2 * k] = p->bhat[2 * (m - k)] = p->chirp[2 * k];
        p->bhat[2 * k + 1] = p->bhat[2 * (m - k) + 1] = -p->chirp[2 * k + 1];
    }
    radix2(p->bhat, m, p->tw, false);
    return p;
fail:
    onnxbn_fft_free(p);
    return NULL;
}

void onnxbn_fft_run(const onnxbn_fft *p, double *x, bool inverse, double *scratch)
{
    size_t n = p->n, m = p->m;
    if (pow2(n)) {
        radix2(x, n, p->tw, inverse);
        return;
    }
    /* The inverse is the conjugate of the forward transform of the conjugate. */
    double s = inverse ? -1.0 : 1.0;
    const double *w = p->chirp;
    double *a = scratch;
    for (size_t k = 0; k < n; k++) {
        double xr = x[2 * k], xi = s * x[2 * k + 1];
        a[2 * k] = xr * w[2 * k] - xi * w[2 * k + 1];
        a[2 * k + 1] = xr * w[2 * k + 1] + xi * w[2 * k];
    }
    for (size_t k = 2 * n; k < 2 * m; k++)
        a[k] = 0;
    radix2(a, m, p->tw, false);
    for (size_t k = 0; k < m; k++) {
        double ar = a[2 * k], ai = a[2 * k + 1], br = p->bhat[2 * k], bi = p->bhat[2 * k + 1];
        a[2 * k] = ar * br - ai * bi;
        a[2 * k + 1] = ar * bi + ai * br;
    }
    radix2(a, m, p->tw, true);
    double inv_m = 1.0 / (double)m; /* exact: m is a power of two */
    for (size_t k = 0; k < n; k++) {
        double ar = a[2 * k] * inv_m, ai = a[2 * k + 1] * inv_m;
        x[2 * k] = ar * w[2 * k] - ai * w[2 * k + 1];
        x[2 * k + 1] = s * (ar * w[2 * k + 1] + ai * w[2 * k]);
    }
}
