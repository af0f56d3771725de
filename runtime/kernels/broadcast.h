/* SPDX-License-Identifier: Apache-2.0 */
/* broadcast.h — ONNX multidirectional (numpy-style) broadcasting of shapes, and the element
 * strides that let a kernel read an input as if it had the output's shape. */
#ifndef ONNXBN_BROADCAST_H
#define ONNXBN_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxbn.h"

/* The broadcast of shapes a and b (right-aligned; a dim of 1 stretches). False when they do not
 * broadcast. *rout/dout may alias neither input. */
bool onnxbn_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                            int64_t *dout);
/* Element strides of a row-major tensor of shape (r, d) read as shape (ro, dout): 0 on broadcast
 * axes and on the leading axes it lacks. Requires that (r, d) broadcasts to (ro, dout). */
void onnxbn_broadcast_strides(int r, const int64_t *d, int ro, const int64_t *dout,
                              int64_t *strides);

#endif
