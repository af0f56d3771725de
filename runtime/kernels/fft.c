/* SPDX-License-Identifier: Apache-2.0 */
/* fft.c — radix-2 FFT for powers of two, mixed radix for lengths whose primes are all at most 13,
 * Bluestein's chirp-z for the rest, in double. Twiddles and chirps come once per plan from exact
 * integer phases (jk mod n, k^2 mod 2n), so the error stays near one FFT's whatever n is. */
#include "kernels/fft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The largest prime a mixed-radix stage takes: a stage of radix r costs r complex products per
 * element, still well below Bluestein's three FFTs of a length past 2n. */
#define MAX_RADIX 13
#define MAX_FACTORS 64

struct onnxbn_fft {
    size_t n;      /* the length transformed */
    size_t m;      /* the radix-2 length run: n, or Bluestein's power of two >= 2n-1; 0: mixed */
    double *tw;    /* radix-2: m/2 complex, e^{-2 pi i k/m}; mixed radix: n complex, e^{-2 pi i k/n} */
    int nfac;      /* mixed radix: the radices, 4s first, then the primes ascending */
    int fac[MAX_FACTORS];
    double *chirp; /* Bluestein: n complex, e^{-pi i k^2/n}; NULL for powers of two */
    double *bhat;  /* Bluestein: m complex, the FFT of the conjugate chirp laid circularly */
};

static bool pow2(size_t n) { return n && !(n & (n - 1)); }

/* The radices of n when its primes are all at most MAX_RADIX (4s taken first), else 0. */
static int factor(size_t n, int *fac)
{
    int k = 0;
    while (n % 4 == 0 && n > 4) {
        fac[k++] = 4;
        n /= 4;
    }
    for (size_t r = 2; r <= MAX_RADIX && n > 1; r++)
        while (n % r == 0) {
            fac[k++] = (int)r;
            n /= r;
        }
    return n == 1 ? k : 0;
}

static bool mixed_len(size_t n)
{
    int fac[MAX_FACTORS];
    return !pow2(n) && factor(n, fac) > 0;
}

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
    if (n == 0 || pow2(n))
        return 0;
    return mixed_len(n) ? 2 * n : 2 * next_pow2(2 * n - 1);
}

size_t onnxbn_fft_plan_bytes(size_t n)
{
    if (n == 0)
        return 0;
    if (mixed_len(n))
        return 2 * n * sizeof(double);
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
    if (mixed_len(n)) {
        p->nfac = factor(n, p->fac);
        if (!(p->tw = malloc(n * 2 * sizeof(double))))
            goto fail;
        for (size_t k = 0; k < n; k++)
            unit_root(k, n, &p->tw[2 * k], &p->tw[2 * k + 1]);
        return p;
    }
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

/* Mixed-radix decimation in time, out of place: `out` (n complex) gets the DFT of the n values
 * of `in` `stride` complex apart. The first radix r splits the sequence into r interleaved ones
 * of n/r, transformed into consecutive blocks of out, then joined by r-point DFTs with twiddles.
 * roots: the N roots of the plan; sign -1 conjugates them (inverse). */
static void mixed(const double *roots, size_t N, const double *in, size_t stride, double *out,
                  size_t n, const int *fac, double sign)
{
    size_t r = (size_t)fac[0], m = n / r, rstep = N / r;
    double t[2 * MAX_RADIX];
    if (m == 1) {
        for (size_t q = 0; q < r; q++) {
            t[2 * q] = in[2 * q * stride];
            t[2 * q + 1] = in[2 * q * stride + 1];
        }
    } else {
        for (size_t q = 0; q < r; q++)
            mixed(roots, N, in + 2 * q * stride, stride * r, out + 2 * q * m, m, fac + 1, sign);
    }
    size_t step = N / n;
    for (size_t k = 0; k < m; k++) {
        if (m > 1)
            for (size_t q = 0; q < r; q++) { /* t_q = out[q][k] W_n^{qk} */
                const double *w = roots + 2 * (q * k * step);
                double a = out[2 * (q * m + k)], b = out[2 * (q * m + k) + 1];
                t[2 * q] = a * w[0] - b * sign * w[1];
                t[2 * q + 1] = a * sign * w[1] + b * w[0];
            }
        double *o = out + 2 * k, *o1 = o + 2 * m; /* out[0][k], out[1][k] */
        if (r == 2) {
            o[0] = t[0] + t[2];
            o[1] = t[1] + t[3];
            o1[0] = t[0] - t[2];
            o1[1] = t[1] - t[3];
        } else if (r == 3) { /* W_3 = -1/2 -+ i sqrt(3)/2 */
            const double h = 0.86602540378443864676 * sign;
            double sr = t[2] + t[4], si = t[3] + t[5], dr = t[2] - t[4], di = t[3] - t[5];
            double br = t[0] - 0.5 * sr, bi = t[1] - 0.5 * si, *o2 = o1 + 2 * m;
            o[0] = t[0] + sr;
            o[1] = t[1] + si;
            o1[0] = br + h * di;
            o1[1] = bi - h * dr;
            o2[0] = br - h * di;
            o2[1] = bi + h * dr;
        } else if (r == 4) { /* W_4 = -+i */
            double a0r = t[0] + t[4], a0i = t[1] + t[5], a1r = t[0] - t[4], a1i = t[1] - t[5];
            double a2r = t[2] + t[6], a2i = t[3] + t[7], a3r = t[2] - t[6], a3i = t[3] - t[7];
            double *o2 = o1 + 2 * m, *o3 = o2 + 2 * m;
            o[0] = a0r + a2r;
            o[1] = a0i + a2i;
            o2[0] = a0r - a2r;
            o2[1] = a0i - a2i;
            o1[0] = a1r + sign * a3i;
            o1[1] = a1i - sign * a3r;
            o3[0] = a1r - sign * a3i;
            o3[1] = a1i + sign * a3r;
        } else {
            for (size_t s = 0; s < r; s++) { /* out[s][k] = sum_q t_q W_r^{qs} */
                double re = t[0], im = t[1];
                for (size_t q = 1, e = s; q < r; q++) {
                    const double *w = roots + 2 * (e * rstep);
                    re += t[2 * q] * w[0] - t[2 * q + 1] * sign * w[1];
                    im += t[2 * q] * sign * w[1] + t[2 * q + 1] * w[0];
                    e += s; /* q s mod r, without a division */
                    if (e >= r)
                        e -= r;
                }
                out[2 * (s * m + k)] = re;
                out[2 * (s * m + k) + 1] = im;
            }
        }
    }
}

void onnxbn_fft_run(const onnxbn_fft *p, double *x, bool inverse, double *scratch)
{
    size_t n = p->n, m = p->m;
    if (p->nfac) {
        memcpy(scratch, x, 2 * n * sizeof(double));
        mixed(p->tw, n, scratch, 1, x, n, p->fac, inverse ? -1.0 : 1.0);
        return;
    }
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
