/* cast.c — Cast, versions 1, 6, 9 and 13: every numeric type and bool to every other. The target
 * is a type name in Cast-1 and a TensorProto.DataType number from Cast-6; strings are unsupported. */
#include <ctype.h>
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
    if (!onnxbn_cast_supported(x->dtype) || !onnxbn_cast_supported(to))
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

onnxbn_status onnxbn_cast_run(onnxbn_kctx *c)
{
    const onnxbn_tensor *x = onnxbn_in(c, 0);
    onnxbn_tensor *y = onnxbn_out(c, 0);
    /* the kernel would leave y unwritten for any other type */
    ONNXBN_CHECK(onnxbn_cast_supported(x->dtype) && onnxbn_cast_supported(y->dtype), c->err);
    onnxbn_cast(x->data, x->dtype, y->data, y->dtype, (size_t)x->numel);
    return ONNXBN_OK;
}

const onnxbn_op_def onnxbn_op_cast = {
    .attrs = cast_attrs,
    .infer = cast_infer,
    .run = onnxbn_cast_run,
};
