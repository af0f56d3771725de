/* SPDX-License-Identifier: Apache-2.0 */
/* mkmodel.c — in-memory ONNX model builder for unit tests: plain protobuf-c structs on the heap,
 * packed with the generated code, so tests exercise the same loader as real files. */
#include "mkmodel.h"

#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onnx.pb-c.h"

struct mk_node {
    Onnx__NodeProto p;
};

struct mk_model {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    /* Everything allocated for the model, freed together. */
    void **owned;
    size_t n_owned, cap_owned;
    mk_model **subs; /* models whose graphs are this model's graph attributes */
    size_t n_subs;
};

static void *own(mk_model *m, void *p)
{
    if (!p)
        fail_msg("mkmodel: out of memory");
    if (m->n_owned == m->cap_owned) {
        m->cap_owned = m->cap_owned ? 2 * m->cap_owned : 64;
        m->owned = realloc(m->owned, m->cap_owned * sizeof *m->owned);
        if (!m->owned)
            fail_msg("mkmodel: out of memory");
    }
    m->owned[m->n_owned++] = p;
    return p;
}

static void *zalloc(mk_model *m, size_t n) { return own(m, calloc(1, n ? n : 1)); }
static char *sdup(mk_model *m, const char *s) { return own(m, strdup(s ? s : "")); }

/* Appends one pointer to a protobuf-c repeated field (count + array). */
#define PUSH(m, n, arr, item)                                                        \
    do {                                                                             \
        void *grown = realloc((arr), ((n) + 1) * sizeof *(arr));                     \
        if (!grown)                                                                  \
            fail_msg("mkmodel: out of memory");                                      \
        (arr) = grown;                                                               \
        (arr)[(n)++] = (item);                                                       \
    } while (0)

mk_model *mk_new(int64_t opset)
{
    mk_model *m = calloc(1, sizeof *m);
    if (!m)
        fail_msg("mkmodel: out of memory");
    onnx__model_proto__init(&m->m);
    onnx__graph_proto__init(&m->g);
    m->m.has_ir_version = 1;
    m->m.ir_version = 8;
    m->m.producer_name = sdup(m, "mkmodel");
    m->m.graph = &m->g;
    m->g.name = sdup(m, "test");
    mk_opset(m, "", opset);
    return m;
}

void mk_ir_version(mk_model *m, int64_t ir) { m->m.ir_version = ir; }

void mk_opset(mk_model *m, const char *domain, int64_t version)
{
    Onnx__OperatorSetIdProto *o = zalloc(m, sizeof *o);
    onnx__operator_set_id_proto__init(o);
    o->domain = sdup(m, domain);
    o->has_version = 1;
    o->version = version;
    PUSH(m, m->m.n_opset_import, m->m.opset_import, o);
}

static Onnx__ValueInfoProto *value_info(mk_model *m, const char *name, onnxbn_dtype dt, int rank,
                                        const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = zalloc(m, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = sdup(m, name);
    if (dt == ONNXBN_UNDEFINED && rank < 0)
        return vi;
    Onnx__TypeProto *tp = zalloc(m, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = zalloc(m, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    if (dt != ONNXBN_UNDEFINED) {
        tt->has_elem_type = 1;
        tt->elem_type = dt;
    }
    if (rank >= 0) {
        Onnx__TensorShapeProto *sh = zalloc(m, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        tt->shape = sh;
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = zalloc(m, sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = sdup(m, "N");
            }
            PUSH(m, sh->n_dim, sh->dim, d);
        }
    }
    return vi;
}

void mk_input(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = value_info(m, name, dt, rank, dims);
    PUSH(m, m->g.n_input, m->g.input, vi);
}

void mk_output(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = value_info(m, name, dt, rank, dims);
    PUSH(m, m->g.n_output, m->g.output, vi);
}

static int64_t count(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    return n;
}

static Onnx__TensorProto *tensor(mk_model *m, const char *name, onnxbn_dtype dt, int rank,
                                 const int64_t *dims)
{
    Onnx__TensorProto *t = zalloc(m, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = sdup(m, name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)rank;
    t->dims = zalloc(m, (size_t)rank * sizeof *t->dims);
    if (rank)
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    return t;
}

void mk_init(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
             const void *data)
{
    Onnx__TensorProto *t = tensor(m, name, dt, rank, dims);
    size_t bytes = (size_t)count(rank, dims) * onnxbn_dtype_size(dt);
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = zalloc(m, bytes);
    if (bytes)
        memcpy(t->raw_data.data, data, bytes);
    PUSH(m, m->g.n_initializer, m->g.initializer, t);
}

void mk_init_f32(mk_model *m, const char *name, int rank, const int64_t *dims, const float *data)
{
    mk_init(m, name, ONNXBN_FLOAT, rank, dims, data);
}

void mk_init_typed(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                   const void *data)
{
    Onnx__TensorProto *t = tensor(m, name, dt, rank, dims);
    size_t n = (size_t)count(rank, dims);
    switch (dt) {
    case ONNXBN_FLOAT:
        t->n_float_data = n;
        t->float_data = zalloc(m, n * 4);
        memcpy(t->float_data, data, n * 4);
        break;
    case ONNXBN_DOUBLE:
        t->n_double_data = n;
        t->double_data = zalloc(m, n * 8);
        memcpy(t->double_data, data, n * 8);
        break;
    case ONNXBN_INT64:
        t->n_int64_data = n;
        t->int64_data = zalloc(m, n * 8);
        memcpy(t->int64_data, data, n * 8);
        break;
    case ONNXBN_INT32:
        t->n_int32_data = n;
        t->int32_data = zalloc(m, n * 4);
        memcpy(t->int32_data, data, n * 4);
        break;
    case ONNXBN_BOOL: case ONNXBN_UINT8: case ONNXBN_INT8: {
        t->n_int32_data = n;
        t->int32_data = zalloc(m, n * 4);
        for (size_t i = 0; i < n; i++)
            t->int32_data[i] = dt == ONNXBN_INT8 ? ((const int8_t *)data)[i] : ((const uint8_t *)data)[i];
        break;
    }
    case ONNXBN_FLOAT16: case ONNXBN_UINT16: case ONNXBN_INT16: case ONNXBN_BFLOAT16: {
        t->n_int32_data = n;
        t->int32_data = zalloc(m, n * 4);
        for (size_t i = 0; i < n; i++)
            t->int32_data[i] = dt == ONNXBN_INT16 ? ((const int16_t *)data)[i] : ((const uint16_t *)data)[i];
        break;
    }
    default:
        fail_msg("mkmodel: mk_init_typed does not handle %s", onnxbn_dtype_name(dt));
    }
    PUSH(m, m->g.n_initializer, m->g.initializer, t);
}

static Onnx__StringStringEntryProto *kv(mk_model *m, const char *k, const char *v)
{
    Onnx__StringStringEntryProto *e = zalloc(m, sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = sdup(m, k);
    e->value = sdup(m, v);
    return e;
}

void mk_init_external(mk_model *m, const char *name, onnxbn_dtype dt, int rank, const int64_t *dims,
                      const char *location, int64_t offset, int64_t length)
{
    Onnx__TensorProto *t = tensor(m, name, dt, rank, dims);
    char num[32];
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->external_data = own(m, calloc(3, sizeof *t->external_data));
    t->external_data[t->n_external_data++] = kv(m, "location", location);
    snprintf(num, sizeof num, "%lld", (long long)offset);
    t->external_data[t->n_external_data++] = kv(m, "offset", num);
    if (length >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)length);
        t->external_data[t->n_external_data++] = kv(m, "length", num);
    }
    PUSH(m, m->g.n_initializer, m->g.initializer, t);
}

void mk_save(const mk_model *m, const char *path)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len)
        fail_msg("mkmodel: cannot write %s", path);
    fclose(f);
    free(buf);
}

static void split(mk_model *m, const char *list, size_t *n, char ***out)
{
    if (!list || !*list)
        return;
    char *copy = sdup(m, list);
    for (char *p = copy;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = 0;
        PUSH(m, *n, *out, p);
        if (!c)
            break;
        p = c + 1;
    }
}

mk_node *mk_node_add(mk_model *m, const char *op_type, const char *name, const char *inputs,
                     const char *outputs)
{
    mk_node *n = zalloc(m, sizeof *n);
    onnx__node_proto__init(&n->p);
    n->p.op_type = sdup(m, op_type);
    if (name)
        n->p.name = sdup(m, name);
    split(m, inputs, &n->p.n_input, &n->p.input);
    split(m, outputs, &n->p.n_output, &n->p.output);
    Onnx__NodeProto *p = &n->p;
    PUSH(m, m->g.n_node, m->g.node, p);
    /* The arrays grown by PUSH are freed in mk_free; remember the node's owner. */
    return n;
}

void mk_node_domain(mk_node *n, const char *domain) { n->p.domain = strdup(domain); }

static Onnx__AttributeProto *attr(mk_node *n, const char *name, int type)
{
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    if (!a)
        fail_msg("mkmodel: out of memory");
    onnx__attribute_proto__init(a);
    a->name = strdup(name);
    a->has_type = 1;
    a->type = (Onnx__AttributeProto__AttributeType)type;
    PUSH(NULL, n->p.n_attribute, n->p.attribute, a);
    return a;
}

void mk_attr_i(mk_node *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void mk_attr_f(mk_node *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void mk_attr_s(mk_node *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)strdup(v);
}

void mk_attr_strings(mk_node *n, const char *name, size_t count, const char *const *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = count;
    a->strings = calloc(count + 1, sizeof *a->strings);
    if (!a->strings)
        fail_msg("mkmodel: out of memory");
    for (size_t i = 0; i < count; i++) {
        a->strings[i].len = strlen(v[i]);
        a->strings[i].data = (uint8_t *)strdup(v[i]);
    }
}

void mk_attr_ints(mk_node *n, const char *name, size_t count, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = count;
    a->ints = calloc(count + 1, sizeof *a->ints);
    if (count)
        memcpy(a->ints, v, count * sizeof *v);
}

void mk_attr_floats(mk_node *n, const char *name, size_t count, const float *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = count;
    a->floats = calloc(count + 1, sizeof *a->floats);
    if (count)
        memcpy(a->floats, v, count * sizeof *v);
}

void mk_attr_graph(mk_model *m, mk_node *n, const char *name, mk_model *sub)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    sub->g.name = sdup(sub, name);
    a->g = &sub->g;
    PUSH(NULL, m->n_subs, m->subs, sub);
}

uint8_t *mk_pack(const mk_model *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&m->m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        fail_msg("mkmodel: out of memory");
    onnx__model_proto__pack(&m->m, buf);
    return buf;
}

void mk_free(mk_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->g.n_node; i++) {
        Onnx__NodeProto *p = m->g.node[i];
        for (size_t k = 0; k < p->n_attribute; k++) {
            Onnx__AttributeProto *a = p->attribute[k];
            free(a->name);
            free(a->s.data);
            for (size_t j = 0; j < a->n_strings; j++)
                free(a->strings[j].data);
            free(a->strings);
            free(a->ints);
            free(a->floats);
            free(a);
        }
        free(p->attribute);
        free(p->input);
        free(p->output);
        free(p->domain);
    }
    for (size_t i = 0; i < m->g.n_input; i++)
        if (m->g.input[i]->type && m->g.input[i]->type->tensor_type && m->g.input[i]->type->tensor_type->shape)
            free(m->g.input[i]->type->tensor_type->shape->dim);
    for (size_t i = 0; i < m->g.n_output; i++)
        if (m->g.output[i]->type && m->g.output[i]->type->tensor_type && m->g.output[i]->type->tensor_type->shape)
            free(m->g.output[i]->type->tensor_type->shape->dim);
    free(m->g.node);
    free(m->g.input);
    free(m->g.output);
    free(m->g.initializer);
    free(m->m.opset_import);
    for (size_t i = 0; i < m->n_subs; i++)
        mk_free(m->subs[i]);
    free(m->subs);
    for (size_t i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m);
}

onnxbn_status mk_session(const mk_model *m, onnxbn_session **out, onnxbn_error *err)
{
    size_t len;
    uint8_t *buf = mk_pack(m, &len);
    onnxbn_model *model;
    onnxbn_status st = onnxbn_model_load_buffer(buf, len, NULL, NULL, &model, err);
    free(buf);
    if (st)
        return st;
    return onnxbn_session_new(model, NULL, out, err);
}

onnxbn_status mk_run(onnxbn_session *s, size_t n, const mk_feed *feeds, onnxbn_error *err)
{
    const char **names = calloc(n + 1, sizeof *names);
    onnxbn_tensor **ts = calloc(n + 1, sizeof *ts);
    onnxbn_status st = ONNXBN_OK;
    for (size_t i = 0; i < n && !st; i++) {
        names[i] = feeds[i].name;
        st = onnxbn_tensor_wrap(feeds[i].dtype ? feeds[i].dtype : ONNXBN_FLOAT, feeds[i].rank,
                                feeds[i].dims, (void *)feeds[i].data, &ts[i], err);
    }
    if (!st)
        st = onnxbn_session_run(s, n, names, (const onnxbn_tensor *const *)ts, err);
    for (size_t i = 0; i < n; i++)
        onnxbn_tensor_free(ts[i]);
    free(ts);
    free(names);
    return st;
}

void mk_expect_f32(const onnxbn_session *s, size_t i, int rank, const int64_t *dims,
                   const float *expected, double atol, double rtol)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), ONNXBN_FLOAT);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
    const float *got = onnxbn_tensor_cdata(t);
    int64_t n = onnxbn_tensor_numel(t);
    for (int64_t k = 0; k < n; k++) {
        double e = expected[k], g = got[k];
        bool ok = (isnan(e) && isnan(g)) || fabs(g - e) <= atol + rtol * fabs(e);
        if (!ok)
            fail_msg("output %zu element %lld: got %.9g, expected %.9g", i, (long long)k, g, e);
    }
}

void mk_expect_fail(const mk_model *m, size_t n, const mk_feed *feeds, onnxbn_status want,
                    const char *text)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_status st = mk_session(m, &s, &err);
    if (!st)
        st = mk_run(s, n, feeds, &err);
    onnxbn_session_free(s);
    if (st != want)
        fail_msg("expected status %s, got %s: %s", onnxbn_status_name(want), onnxbn_status_name(st),
                 err.msg);
    if (text && !strstr(err.msg, text))
        fail_msg("message '%s' lacks '%s'", err.msg, text);
}

void mk_expect_bytes(const onnxbn_session *s, size_t i, onnxbn_dtype dt, int rank,
                     const int64_t *dims, const void *data)
{
    const onnxbn_tensor *t = onnxbn_session_output(s, i);
    assert_non_null(t);
    assert_int_equal(onnxbn_tensor_dtype(t), dt);
    assert_int_equal(onnxbn_tensor_rank(t), rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(onnxbn_tensor_dims(t)[d], dims[d]);
    if (onnxbn_tensor_nbytes(t))
        assert_memory_equal(onnxbn_tensor_cdata(t), data, onnxbn_tensor_nbytes(t));
}

onnxbn_session *mk_open_ok(const mk_model *m)
{
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    if (mk_session(m, &s, &err))
        fail_msg("session: %s", err.msg);
    return s;
}

void mk_run_ok(onnxbn_session *s, size_t n, const mk_feed *feeds)
{
    onnxbn_error err = {0};
    if (mk_run(s, n, feeds, &err))
        fail_msg("run: %s", err.msg);
}

void mk_check_bytes(const mk_model *m, size_t n, const mk_feed *feeds, onnxbn_dtype dt, int rank,
                    const int64_t *dims, const void *data)
{
    onnxbn_session *s = mk_open_ok(m);
    mk_run_ok(s, n, feeds);
    mk_expect_bytes(s, 0, dt, rank, dims, data);
    onnxbn_session_free(s);
}
