/* SPDX-License-Identifier: Apache-2.0 */
/* pool.h — pooling inner loops over N·C planes of 1 to 6 spatial axes: max (with the flat index of
 * the maximum), average and Lp over a sliding window, and the global forms over a whole plane. */
#ifndef ONNXBN_KERNELS_POOL_H
#define ONNXBN_KERNELS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ONNXBN_POOL_MAX_SP 6 /* spatial axes: ONNXBN_MAX_RANK less N and C */

typedef enum onnxbn_pool_kind { ONNXBN_POOL_MAX, ONNXBN_POOL_AVG, ONNXBN_POOL_LP } onnxbn_pool_kind;

/* One pooling layer. Window element j of output o on axis d reads input position
 * o·stride[d] − pad[d] + j·dil[d] for j in [0, k[d]); positions outside [0, in[d]) are padding and
 * never read. The caller guarantees out[d] >= 1 and that every size product fits in int64. */
typedef struct onnxbn_pool_params {
    onnxbn_pool_kind kind;
    int nsp;                           /* spatial axes, 1..ONNXBN_POOL_MAX_SP */
    int64_t planes;                    /* N·C */
    int64_t in[ONNXBN_POOL_MAX_SP], out[ONNXBN_POOL_MAX_SP], k[ONNXBN_POOL_MAX_SP];
    int64_t stride[ONNXBN_POOL_MAX_SP], dil[ONNXBN_POOL_MAX_SP];
    int64_t pad[ONNXBN_POOL_MAX_SP];     /* begin pads */
    int64_t pad_end[ONNXBN_POOL_MAX_SP]; /* end pads: only the count_pad divisor uses them */
    bool count_pad;  /* AVG: divide by the window size clipped to the padded input, not by the
                      * number of input elements in it */
    bool col_major;  /* MAX: indices with the first spatial axis varying fastest (storage_order 1) */
    double p;        /* LP: the norm's exponent (> 0) */
    double empty;    /* MAX: the value of a window holding no input element (all padding) */
} onnxbn_pool_params;

/* x is planes × Π in, y is planes × Π out. A NaN in a MAX window makes that output NaN (as torch
 * and numpy). ind (MAX only, may be NULL) receives for each output the index of its maximum (its
 * first NaN) in x flattened (N, C row-major; the spatial part per col_major), or −1 for a window
 * that holds no input element. An AVG window with no input element gives NaN (0/0)
 * unless count_pad. The float version needs onnxbn_pool_scratch(g) bytes of scratch (4-byte
 * aligned; NULL when that is 0). */
size_t onnxbn_pool_scratch(const onnxbn_pool_params *g);
void onnxbn_pool_f32(const onnxbn_pool_params *g, const float *x, float *y, int64_t *ind,
                     void *scratch);
void onnxbn_pool_f64(const onnxbn_pool_params *g, const double *x, double *y, int64_t *ind);

/* Global pools: y[i] = reduce(x[i·size .. (i+1)·size)) for i < planes; p is for LP. */
void onnxbn_global_pool_f32(onnxbn_pool_kind kind, const float *x, float *y, int64_t planes,
                            int64_t size, double p);
void onnxbn_global_pool_f64(onnxbn_pool_kind kind, const double *x, double *y, int64_t planes,
                            int64_t size, double p);

#endif
