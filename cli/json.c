/* SPDX-License-Identifier: Apache-2.0 */
/* json.c — JSON string escaping and shape arrays for the commands' --json output.
 * Bytes >= 0x80 pass through: names in ONNX files are UTF-8 already. */
#include <math.h>

#include "json.h"

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void cli_json_shape(FILE *f, const onnxbn_value_info *vi)
{
    if (!vi || vi->rank < 0) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int d = 0; d < vi->rank; d++) {
        if (d)
            fputs(", ", f);
        if (vi->dims[d] >= 0)
            fprintf(f, "%lld", (long long)vi->dims[d]);
        else if (vi->dim_names[d])
            cli_json_str(f, vi->dim_names[d]);
        else
            fputs("null", f);
    }
    fputc(']', f);
}

void cli_json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}
