/* SPDX-License-Identifier: Apache-2.0 */
/* fold.c — the fold arithmetic: per-channel affine of a BN, weights and biases in double, and the
 * single rounding to float, double, float16 or bfloat16 at the end. */
#include "fold.h"

#include <math.h>
#include <string.h>

bool onnxbn_fold_affine(int64_t n, const double *gamma, const double *beta, const double *mean,
                        const double *var, double eps, double *a, double *t, int64_t *bad)
{
    for (int64_t c = 0; c < n; c++) {
        double d = var[c] + eps;
        /* `!(d > 0)` also catches NaN. γ/√d in one division: γ·(1/√d) would round twice. */
        if (!(d > 0)) {
            *bad = c;
            return false;
        }
        a[c] = gamma[c] / sqrt(d);
        t[c] = fma(-mean[c], a[c], beta[c]); /* one rounding, and none lost to cancellation */
        if (!isfinite(a[c]) || !isfinite(t[c])) {
            *bad = c;
            return false;
        }
    }
    return true;
}

void onnxbn_fold_scale(double *w, int64_t n, const onnxbn_chmap *map, const double *s)
{
    if (!map->blk && map->inner > 0 && n % map->inner == 0) {
        /* Whole rows share a factor: no division per element. */
        for (int64_t r = 0; r < n / map->inner; r++) {
            double f = s[r % map->mid];
            double *row = w + r * map->inner;
            for (int64_t i = 0; i < map->inner; i++)
                row[i] *= f;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++)
        w[i] *= s[onnxbn_chmap_at(map, i)];
}

void onnxbn_fold_bias(int64_t n, int64_t nch, const double *b, double cscale, const double *a,
                      const double *mean, const double *beta, double *out)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t c = i % nch;
        /* a·(b − μ) + β, not a·b + t: b − μ is exact for floats, while t = β − μ·a has already
         * cancelled once, which is where the usual float32 fold loses its bias. */
        double bi = b ? cscale * b[i] : 0.0;
        out[i] = a[c] * (bi - mean[c]) + beta[c];
    }
}

void onnxbn_fold_shift(const double *w, int64_t n, const onnxbn_chmap *map, const double *t,
                       int64_t oinner, int64_t nout, double scale, const double *base, double *out,
                       double *comp)
{
    for (int64_t o = 0; o < nout; o++) {
        out[o] = 0;
        comp[o] = 0;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t o = (i / oinner) % nout;
        double wi = w[i], ti = t[onnxbn_chmap_at(map, i)];
        double x = wi * ti;
        double xe = fma(wi, ti, -x); /* the product's rounding error, exactly */
        double s = out[o] + x;
        /* Neumaier: keep what the addition lost, whichever operand is larger. Together with the
         * product errors this is a dot product in twice the working precision (Dot2). */
        if (fabs(out[o]) >= fabs(x))
            comp[o] += ((out[o] - s) + x) + xe;
        else
            comp[o] += ((x - s) + out[o]) + xe;
        out[o] = s;
    }
    for (int64_t o = 0; o < nout; o++) {
        double sum = out[o] + comp[o];
        out[o] = (base ? base[o] : 0.0) + scale * sum;
    }
}

/* Round to nearest even with `mb` stored mantissa bits and normal exponents in [emin, emax]. */
static uint16_t round_small(double v, int mb, int emin, int emax, int bias)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    uint16_t inf = (uint16_t)(((unsigned)(emax + bias + 1)) << mb);
    if (isnan(v))
        return (uint16_t)(sign | inf | (1u << (mb - 1)));
    double x = fabs(v);
    if (isinf(x))
        return (uint16_t)(sign | inf);
    if (x == 0)
        return sign;
    int e = ilogb(x);
    if (e < emin)
        e = emin; /* subnormal: fixed exponent, fewer significant bits */
    double q = rint(ldexp(x, mb - e)); /* exact scaling, then the one rounding */
    double top = ldexp(1.0, mb + 1);
    if (q >= top) {
        q /= 2;
        e++;
    }
    if (e > emax)
        return (uint16_t)(sign | inf);
    uint32_t r = (uint32_t)q;
    if (r < (1u << mb)) /* subnormal (r reaching 2^mb reads as the smallest normal: right) */
        return (uint16_t)(sign | r);
    return (uint16_t)(sign | ((uint32_t)(e + bias) << mb) | (r - (1u << mb)));
}

uint16_t onnxbn_fold_to_half(double v) { return round_small(v, 10, -14, 15, 15); }
uint16_t onnxbn_fold_to_bf16(double v) { return round_small(v, 7, -126, 127, 127); }

bool onnxbn_fold_type_ok(onnxbn_dtype dt)
{
    return dt == ONNXBN_FLOAT || dt == ONNXBN_DOUBLE || dt == ONNXBN_FLOAT16 ||
           dt == ONNXBN_BFLOAT16;
}

bool onnxbn_fold_store(onnxbn_dtype dt, void *dst, int64_t i, double v)
{
    switch (dt) {
    case ONNXBN_FLOAT: {
        float f = (float)v;
        memcpy((char *)dst + i * 4, &f, 4);
        return isfinite(f);
    }
    case ONNXBN_DOUBLE:
        memcpy((char *)dst + i * 8, &v, 8);
        return isfinite(v);
    case ONNXBN_FLOAT16:
    case ONNXBN_BFLOAT16: {
        uint16_t h = dt == ONNXBN_FLOAT16 ? onnxbn_fold_to_half(v) : onnxbn_fold_to_bf16(v);
        memcpy((char *)dst + i * 2, &h, 2);
        unsigned expmask = dt == ONNXBN_FLOAT16 ? 0x7c00u : 0x7f80u;
        return (h & expmask) != expmask;
    }
    default:
        return false;
    }
}
