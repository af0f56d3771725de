/* SPDX-License-Identifier: Apache-2.0 */
/* autopad.c — parses the `auto_pad` attribute of the windowed operators; the padding each mode
 * implies differs per operator (ConvTranspose derives it from the output) and stays there. */
#include <string.h>

#include "autopad.h"

onnxbn_status onnxbn_get_auto_pad(const onnxbn_kctx *c, enum pad_mode *mode)
{
    char s[32];
    onnxbn_status st = onnxbn_attr_string(c, "auto_pad", "NOTSET", s, sizeof s);
    if (st)
        return st;
    if (!strcmp(s, "NOTSET") || !s[0])
        *mode = PAD_NOTSET;
    else if (!strcmp(s, "SAME_UPPER"))
        *mode = PAD_SAME_UPPER;
    else if (!strcmp(s, "SAME_LOWER"))
        *mode = PAD_SAME_LOWER;
    else if (!strcmp(s, "VALID"))
        *mode = PAD_VALID;
    else
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL,
                                "attribute 'auto_pad' is '%s', expected NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                                s);
    return ONNXBN_OK;
}
