/* SPDX-License-Identifier: Apache-2.0 */
/* det.c — batched determinants by LU with partial pivoting (the largest |a| of the column moves
 * to the diagonal, as LAPACK's getrf does, so the multipliers stay at most 1 in magnitude). */
#include <math.h>

#include "core.h"
#include "kernels/det.h"

bool onnxbn_det_supported(onnxbn_dtype t)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16;
}

/* Factorises a (m×m, row-major, overwritten) and returns the product of the pivots with the sign
 * of the row swaps. */
static double lu_det(double *a, int64_t m)
{
    double det = 1;
    for (int64_t k = 0; k < m; k++) {
        int64_t p = k;
        double best = fabs(a[k * m + k]);
        for (int64_t i = k + 1; i < m; i++)
            if (fabs(a[i * m + k]) > best) {
                best = fabs(a[i * m + k]);
                p = i;
            }
        if (best == 0) /* a whole column of zeros below the diagonal: singular */
            return 0;
        if (isnan(best)) /* no pivot order makes a NaN column finite */
            return NAN;
        if (p != k) {
            for (int64_t j = k; j < m; j++) {
                double t = a[k * m + j];
                a[k * m + j] = a[p * m + j];
                a[p * m + j] = t;
            }
            det = -det;
        }
        const double piv = a[k * m + k];
        det *= piv;
        for (int64_t i = k + 1; i < m; i++) {
            const double f = a[i * m + k] / piv;
            if (f == 0)
                continue;
            for (int64_t j = k + 1; j < m; j++)
                a[i * m + j] -= f * a[k * m + j];
        }
    }
    return det;
}

void onnxbn_det(onnxbn_dtype t, const void *x, void *y, int64_t count, int64_t m, double *scratch)
{
    const int64_t mm = m * m;
    for (int64_t b = 0; b < count; b++) {
        for (int64_t i = 0; i < mm; i++)
            scratch[i] = onnxbn_load_f64(t, x, b * mm + i);
        const double d = lu_det(scratch, m); /* m == 0: the empty product, 1 */
        switch (t) {
        case ONNXBN_FLOAT: ((float *)y)[b] = (float)d; break;
        case ONNXBN_DOUBLE: ((double *)y)[b] = d; break;
        case ONNXBN_FLOAT16: ((uint16_t *)y)[b] = onnxbn_float_to_half((float)d); break;
        default: break;
        }
    }
}
