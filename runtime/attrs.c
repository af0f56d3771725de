/* SPDX-License-Identifier: Apache-2.0 */
/* attrs.c — what an operator may ask of its node: names for messages and typed attribute getters
 * that fail with the node and attribute named, so ops never touch protobuf structs. */
#include "graph.h"
#include "op.h"

#include <stdlib.h>
#include <string.h>

const char *onnxbn_node_name(const onnxbn_node *n) { return onnxbn_str(n->proto->name); }
const char *onnxbn_node_op_type(const onnxbn_node *n) { return onnxbn_str(n->proto->op_type); }

const char *onnxbn_node_input_name(const onnxbn_node *n, int i)
{
    return i >= 0 && (size_t)i < n->proto->n_input ? onnxbn_str(n->proto->input[i]) : "";
}

int onnxbn_node_arg_count(const onnxbn_node *n) { return n->n_args; }

const char *onnxbn_node_output_name(const onnxbn_node *n, int i)
{
    return i >= 0 && (size_t)i < n->proto->n_output ? onnxbn_str(n->proto->output[i]) : "";
}

onnxbn_status onnxbn_node_fail(const onnxbn_kctx *c, onnxbn_status st, const char *fmt, ...)
{
    char label[ONNXBN_LABEL_MAX];
    va_list ap;
    va_start(ap, fmt);
    onnxbn_vfail(c->err, st, fmt, ap);
    va_end(ap);
    onnxbn_err_prefix(c->err, "%s", onnxbn_node_label(c->node, label, sizeof label));
    return st;
}

static const Onnx__AttributeProto *find(const onnxbn_kctx *c, const char *name)
{
    const Onnx__NodeProto *p = c->node->proto;
    for (size_t i = 0; i < p->n_attribute; i++)
        if (!strcmp(onnxbn_str(p->attribute[i]->name), name))
            return p->attribute[i];
    return NULL;
}

bool onnxbn_attr_has(const onnxbn_kctx *c, const char *name) { return find(c, name) != NULL; }

/* The attribute, or NULL when absent; fails when it has another type. */
static onnxbn_status get(const onnxbn_kctx *c, const char *name, int type,
                         const Onnx__AttributeProto **out)
{
    *out = find(c, name);
    if (*out) {
        int t = onnxbn_attr_proto_type(*out);
        if (t != type) {
            *out = NULL;
            return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' must be %s, got %s", name,
                                    onnxbn_attr_type_name(type), onnxbn_attr_type_name(t));
        }
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_attr_int(const onnxbn_kctx *c, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_INT, &a);
    *out = a ? a->i : def;
    return st;
}

onnxbn_status onnxbn_attr_float(const onnxbn_kctx *c, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_FLOAT, &a);
    *out = a ? a->f : def;
    return st;
}

onnxbn_status onnxbn_attr_ints(const onnxbn_kctx *c, const char *name, const int64_t **v,
                               size_t *n)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_INTS, &a);
    *v = a ? a->ints : NULL;
    *n = a ? a->n_ints : 0;
    return st;
}

onnxbn_status onnxbn_attr_floats(const onnxbn_kctx *c, const char *name, const float **v,
                                 size_t *n)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_FLOATS, &a);
    *v = a ? a->floats : NULL;
    *n = a ? a->n_floats : 0;
    return st;
}

onnxbn_status onnxbn_attr_strings_at(const onnxbn_kctx *c, const char *name, size_t i, char *buf,
                                    size_t cap, size_t *count)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_STRINGS, &a);
    *count = a ? a->n_strings : 0;
    buf[0] = 0;
    if (st || !a || i >= a->n_strings)
        return st;
    const size_t len = a->strings[i].len;
    if (len >= cap)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' entry %zu is too long (%zu bytes)",
                                name, i, len);
    if (len)
        memcpy(buf, a->strings[i].data, len);
    buf[len] = 0;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_attr_string(const onnxbn_kctx *c, const char *name, const char *def,
                                 char *buf, size_t cap)
{
    const Onnx__AttributeProto *a;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_STRING, &a);
    if (st)
        return st;
    const char *src = def ? def : "";
    size_t len = strlen(src);
    if (a) {
        src = (const char *)a->s.data;
        len = a->s.len;
    }
    if (len >= cap)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' is too long (%zu bytes)", name, len);
    if (len)
        memcpy(buf, src, len);
    buf[len] = 0;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_attr_strings(const onnxbn_kctx *c, const char *name, onnxbn_string *v,
                                  size_t cap, size_t *n)
{
    const Onnx__AttributeProto *a;
    *n = 0;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_STRINGS, &a);
    if (st || !a)
        return st;
    *n = a->n_strings;
    for (size_t i = 0; v && i < a->n_strings && i < cap; i++)
        v[i] = (onnxbn_string){(const char *)a->strings[i].data,
                               a->strings[i].data ? a->strings[i].len : 0};
    return ONNXBN_OK;
}

onnxbn_status onnxbn_attr_tensor(const onnxbn_kctx *c, const char *name, onnxbn_tensor **out)
{
    const Onnx__AttributeProto *a;
    *out = NULL;
    onnxbn_status st = get(c, name, ONNXBN_ATTR_TENSOR, &a);
    if (st || !a)
        return st;
    if (!a->t)
        return onnxbn_node_fail(c, ONNXBN_ERR_MODEL, "attribute '%s' holds no tensor", name);
    onnxbn_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return onnxbn_node_fail(c, ONNXBN_ERR_NOMEM, "out of memory");
    /* Tensor attributes live in the file itself: external data is not followed. */
    st = onnxbn_tensor_from_proto(a->t, NULL, NULL, t, c->err);
    if (st) {
        free(t);
        onnxbn_err_prefix(c->err, "attribute '%s'", name);
        char label[ONNXBN_LABEL_MAX];
        onnxbn_err_prefix(c->err, "%s", onnxbn_node_label(c->node, label, sizeof label));
        return st;
    }
    *out = t;
    return ONNXBN_OK;
}
