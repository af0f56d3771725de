/* SPDX-License-Identifier: Apache-2.0 */
/* cast.c — Cast, versions 1, 6, 9 and 13: every numeric type and bool to every other, and (from 9)
 * to and from strings formatted and parsed as the ONNX reference (numpy) does. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast.h"
#include "kernels/cast.h"
#include "shapeops.h"

static const onnxbn_attr_spec cast_attrs[] = {
    {"to", ONNXBN_ATTR_STRING, true, 1, 5},
    {"to", ONNXBN_ATTR_INT, true, 6, 0},
    {NULL, 0, false, 0, 0},
};

/* Cast-1 names the type as in TensorProto.DataType ("FLOAT", "INT64" ...), in any case. */
static onnxbn_dtype type_by_name(const char *s)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
                                        "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
                                        "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    for (size_t t = 1; t < sizeof names / sizeof names[0]; t++) {
        const char *a = s, *b = names[t];
        while (*a && *b && toupper((unsigned char)*a) == *b)
            a++, b++;
        if (!*a && !*b)
            return (onnxbn_dtype)t;
    }
    return ONNXBN_UNDEFINED;
}

uint32_t onnxbn_cast_types(int version)
{
    uint32_t t = MV_NUMERIC | MV_T(ONNXBN_BOOL);
    if (version >= 9)
        t |= MV_T(ONNXBN_STRING);
    if (version >= 13)
        t |= MV_T(ONNXBN_BFLOAT16);
    return t;
}

static onnxbn_status cast_target(const onnxbn_kctx *c, onnxbn_dtype *to)
{
    onnxbn_status st;
    if (c->version < 6) {
        char name[32];
        if ((st = onnxbn_attr_string(c, "to", "", name, sizeof name)))
            return st;
        *to = type_by_name(name);
        if (*to == ONNXBN_UNDEFINED)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'to' names no data type: '%s'", name);
    } else {
        int64_t v;
        if ((st = onnxbn_attr_int(c, "to", 0, &v)))
            return st;
        if (v <= 0 || v > ONNXBN_BFLOAT16)
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute 'to' is %lld, not a data type", (long long)v);
        *to = (onnxbn_dtype)v;
    }
    return onnxbn_mv_check_dtype(c, *to, "attribute 'to'", onnxbn_cast_types(c->version));
}

onnxbn_status onnxbn_cast_set_out(onnxbn_kctx *c, onnxbn_dtype to)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    bool xs = x->dtype == ONNXBN_STRING, ts = to == ONNXBN_STRING;
    if ((!xs && !onnxbn_cast_supported(x->dtype)) || (!ts && !onnxbn_cast_supported(to)) ||
        (xs && ts) || ((xs || ts) && (x->dtype == ONNXBN_COMPLEX64 || x->dtype == ONNXBN_COMPLEX128 ||
                                      to == ONNXBN_COMPLEX64 || to == ONNXBN_COMPLEX128)))
        return onnxbn_node_fail(c, ONNXBN_ERR_UNSUPPORTED, "casting %s to %s is not supported",
                                onnxbn_dtype_name(x->dtype), onnxbn_dtype_name(to));
    return onnxbn_mv_set_out(c, 0, to, x->rank, x->dims);
}

static onnxbn_status cast_infer(onnxbn_kctx *c)
{
    onnxbn_dtype to = ONNXBN_UNDEFINED;
    onnxbn_status st = onnxbn_mv_check_type(c, 0, "input", onnxbn_cast_types(c->version));
    if (!st)
        st = cast_target(c, &to);
    return st ? st : onnxbn_cast_set_out(c, to);
}

/* The shortest digits that read back as the same value (numpy's repr), in numpy's layout:
 * positional with a ".0" when 1e-4 <= |v| < 1e16, else d.ddde+XX. */
static int fmt_float(char *buf, size_t cap, double v, bool single)
{
    if (isnan(v))
        return snprintf(buf, cap, "nan");
    if (isinf(v))
        return snprintf(buf, cap, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return snprintf(buf, cap, signbit(v) ? "-0.0" : "0.0");
    char e[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (single ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
            break;
    }
    double a = fabs(v);
    if (a >= 1e-4 && a < 1e16) {
        int ex = atoi(strchr(e, 'e') + 1);
        int frac = prec - 1 - ex;
        int n = snprintf(buf, cap, "%.*f", frac > 0 ? frac : 0, v);
        if (frac <= 0 && n + 2 < (int)cap) {
            strcat(buf, ".0");
            n += 2;
        }
        return n;
    }
    return snprintf(buf, cap, "%.*e", prec - 1, v);
}

static onnxbn_status to_string(onnxbn_kctx *c, const onnxbn_tensor *x, onnxbn_tensor *y)
{
    onnxbn_strbuf *b = onnxbn_strbuf_of(c);
    if (!b)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    onnxbn_string *h = y->data;
    for (int64_t i = 0; i < x->numel; i++) {
        char t[64];
        int n;
        switch (x->dtype) {
        case ONNXBN_FLOAT: case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16:
            n = fmt_float(t, sizeof t, onnxbn_get_f64(x, i), x->dtype == ONNXBN_FLOAT); break;
        case ONNXBN_DOUBLE: n = fmt_float(t, sizeof t, onnxbn_get_f64(x, i), false); break;
        case ONNXBN_BOOL: n = snprintf(t, sizeof t, ((const uint8_t *)x->data)[i] ? "True" : "False"); break;
        case ONNXBN_UINT64:
            n = snprintf(t, sizeof t, "%llu", (unsigned long long)((const uint64_t *)x->data)[i]); break;
        default: n = snprintf(t, sizeof t, "%lld", (long long)onnxbn_get_i64(x, i)); break;
        }
        if (!onnxbn_strbuf_put(b, t, (size_t)n, &h[i]))
            return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    }
    onnxbn_strbuf_fix(b, h, x->numel);
    return ONNXBN_OK;
}

/* As numpy's astype from str: the number Python's float()/int() reads (spaces around allowed). */
static onnxbn_status from_string(onnxbn_kctx *c, const onnxbn_tensor *x, onnxbn_tensor *y)
{
    const onnxbn_string *h = x->data;
    bool fl = y->dtype == ONNXBN_FLOAT || y->dtype == ONNXBN_DOUBLE || y->dtype == ONNXBN_FLOAT16 ||
              y->dtype == ONNXBN_BFLOAT16;
    for (int64_t i = 0; i < x->numel; i++) {
        char t[128];
        if (h[i].len >= sizeof t || memchr(h[i].data, 0, h[i].len))
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input element %lld is not a number",
                                    (long long)i);
        if (h[i].len)
            memcpy(t, h[i].data, h[i].len);
        t[h[i].len] = 0;
        char *end;
        errno = 0;
        double d = 0;
        long long ll = 0;
        unsigned long long ull = 0;
        if (fl || y->dtype == ONNXBN_BOOL)
            d = strtod(t, &end);
        else if (y->dtype == ONNXBN_UINT64)
            ull = strtoull(t, &end, 10);
        else
            ll = strtoll(t, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (end == t || *end || (!fl && errno == ERANGE))
            return onnxbn_node_fail(c, ONNXBN_ERR_ARG, "input element %lld ('%.40s') is not %s %s",
                                    (long long)i, t, fl ? "a" : "an", fl ? "number" : "integer in range");
        if (y->dtype == ONNXBN_UINT64)
            ((uint64_t *)y->data)[i] = ull;
        else if (y->dtype == ONNXBN_INT64)
            ((int64_t *)y->data)[i] = ll;
        else if (y->dtype == ONNXBN_FLOAT)
            ((float *)y->data)[i] = (float)d; /* numpy: float() first, then to float32 */
        else
            onnxbn_set_f64(y, i, fl || y->dtype == ONNXBN_BOOL ? d : (double)ll);
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_cast_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    if (y->dtype == ONNXBN_STRING)
        return to_string(c, x, y);
    if (x->dtype == ONNXBN_STRING)
        return from_string(c, x, y);
    /* the kernel would leave y unwritten for any other type */
    ONNXBN_CHECK(onnxbn_cast_supported(x->dtype) && onnxbn_cast_supported(y->dtype), c->err);
    onnxbn_cast(x->data, x->dtype, y->data, y->dtype, (size_t)x->numel);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_cast = {
    .attrs = cast_attrs,
    .infer = cast_infer,
    .run = onnxbn_cast_run,
    .free_state = onnxbn_strbuf_free,
};
