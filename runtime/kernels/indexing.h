/* SPDX-License-Identifier: Apache-2.0 */
/* indexing.h — the inner loops of the index operators (GatherElements, GatherND, ScatterElements,
 * ScatterND): element and slice copies addressed by index tensors, every index checked before use. */
#ifndef ONNXBN_KERNELS_INDEXING_H
#define ONNXBN_KERNELS_INDEXING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

/* How an update meets the element it lands on: replaced (in index order, so of duplicate indices
 * the last wins), added, multiplied (integers wrap, bool add is or and mul is and, as numpy). */
enum { ONNXBN_SCATTER_NONE, ONNXBN_SCATTER_ADD, ONNXBN_SCATTER_MUL };

/* Index values may be negative (counted from the end of their axis). Every kernel checks each one
 * before it addresses memory with it and stops at the first outside [-n, n): it returns that
 * value's position in the index tensor, or -1 when all were in range. What was written before the
 * stop is unspecified. Index tensors are int64, or int32 where `idx64` is false. */

/* out[c] = data[c with c[axis] = indices[c]] over every coordinate c of indices (shape idims;
 * data has shape ddims, the same rank, and idims[d] <= ddims[d] for d != axis). es: any element
 * size (1, 2, 4, 8 and 16 are moved as words). */
int64_t onnxbn_gather_elements(void *dst, const void *src, size_t es, int rank,
                               const int64_t *ddims, const int64_t *idims, int axis,
                               const void *idx, bool idx64);

/* data[c with c[axis] = indices[c]] (op)= updates[c] over every coordinate c of indices, in
 * row-major order; `data` (shape ddims) is updated in place, updates has the shape idims. */
int64_t onnxbn_scatter_elements(void *data, const void *upd, onnxbn_dtype dt, int rank,
                                const int64_t *ddims, const int64_t *idims, int axis,
                                const void *idx, bool idx64, int reduction);

/* GatherND: data is `batch` blocks; in each, an index tuple of m values addresses the axes of
 * sizes dims[0..m) and selects `slice` contiguous elements (the trailing axes). idx holds, per
 * batch, n_tuples tuples of m int64; out is (batch, n_tuples, slice). A slice longer than one
 * element is one memcpy. */
int64_t onnxbn_gather_nd(void *dst, const void *src, size_t es, int64_t batch, int64_t n_tuples,
                         int m, const int64_t *dims, int64_t slice, const int64_t *idx);

/* ScatterND: data (axes dims[0..m), then `slice` elements) updated in place, tuple after tuple,
 * from updates (n_tuples, slice). m may be 0: every tuple then addresses the whole tensor. */
int64_t onnxbn_scatter_nd(void *data, const void *upd, onnxbn_dtype dt, int64_t n_tuples, int m,
                          const int64_t *dims, int64_t slice, const int64_t *idx, int reduction);

/* Whether add/mul reductions are defined for dt (every fixed-size type onnxbn holds). */
bool onnxbn_scatter_reduces(onnxbn_dtype dt);

#endif
