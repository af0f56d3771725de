/* SPDX-License-Identifier: Apache-2.0 */
/* autopad.h — the `auto_pad` attribute shared by the windowed operators (Conv, ConvTranspose,
 * the pools): one parser, so every op accepts and refuses the same spellings. */
#ifndef ONNXBN_OPS_AUTOPAD_H
#define ONNXBN_OPS_AUTOPAD_H

#include "op.h"

enum pad_mode { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

/* NOTSET (also ""), SAME_UPPER, SAME_LOWER or VALID; anything else fails naming the node. */
onnxbn_status onnxbn_get_auto_pad(const onnxbn_kctx *c, enum pad_mode *mode);

#endif
