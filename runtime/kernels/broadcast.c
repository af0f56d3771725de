/* SPDX-License-Identifier: Apache-2.0 */
/* broadcast.c — shape rules for multidirectional broadcasting, shared by the element-wise,
 * Where, Expand and friends so each needs only a strided loop. */
#include "broadcast.h"

bool onnxbn_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                            int64_t *dout)
{
    int r = ra > rb ? ra : rb;
    if (r > ONNXBN_MAX_RANK)
        return false;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t a = ia >= 0 ? da[ia] : 1, b = ib >= 0 ? db[ib] : 1;
        if (a == b || b == 1)
            dout[i] = a;
        else if (a == 1)
            dout[i] = b;
        else
            return false;
    }
    *rout = r;
    return true;
}

void onnxbn_broadcast_strides(int r, const int64_t *d, int ro, const int64_t *dout,
                              int64_t *strides)
{
    int64_t s = 1;
    for (int i = ro - 1; i >= 0; i--) {
        int j = i - (ro - r);
        if (j < 0 || (d[j] == 1 && dout[i] != 1)) {
            strides[i] = 0;
        } else {
            strides[i] = s;
        }
        if (j >= 0)
            s *= d[j];
    }
}
