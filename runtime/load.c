/* SPDX-License-Identifier: Apache-2.0 */
/* load.c — turns bytes into a validated model: protobuf-c unpack, graph index, declared inputs and
 * outputs, and the load-time checks of stored tensors (core.c decodes them). */
#include "model.h"
#include "abi.h"
#include "subgraph.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Load-time check of an initializer, without allocating: a known element type, a shape whose
 * byte size does not overflow, stored data of exactly that size, external data that stays in
 * the model's folder. Valid ONNX that onnxbn cannot run (rank > 8, new types) passes
 * here and is refused when a session decodes it. */
static onnxbn_status check_stored(const Onnx__TensorProto *tp, onnxbn_error *err)
{
    int dt = tp->has_data_type ? tp->data_type : 0;
    if (dt == ONNXBN_UNDEFINED)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "tensor has no element type");
    size_t es = onnxbn_dtype_size((onnxbn_dtype)dt), numel = 1, nbytes;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "dimension %zu is negative (%lld)", i,
                               (long long)tp->dims[i]);
        if (!onnxbn_mul_size(numel, (size_t)tp->dims[i], &numel) || numel > (size_t)INT64_MAX)
            return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "element count overflows");
    }
    if (!onnxbn_mul_size(numel, es ? es : 1, &nbytes))
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "byte size overflows");
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        const char *loc = NULL;
        for (size_t i = 0; i < tp->n_external_data; i++)
            if (!strcmp(onnxbn_str(tp->external_data[i]->key), "location"))
                loc = onnxbn_str(tp->external_data[i]->value);
        return onnxbn_check_location(loc, err);
    }
    if (es == 0 || tp->segment)
        return ONNXBN_OK;
    if (dt == ONNXBN_STRING) {
        if (tp->has_raw_data || tp->n_string_data != numel)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "string_data has %zu strings, shape needs %zu",
                               tp->n_string_data, numel);
        return ONNXBN_OK;
    }
    if (tp->has_raw_data) {
        if (tp->raw_data.len != nbytes)
            return onnxbn_fail(err, ONNXBN_ERR_MODEL, "raw_data has %zu bytes, type %s and shape need %zu",
                               tp->raw_data.len, onnxbn_dtype_name((onnxbn_dtype)dt), nbytes);
        return ONNXBN_OK;
    }
    size_t have, per = 1;
    const char *field;
    switch (dt) {
    case ONNXBN_FLOAT: have = tp->n_float_data; field = "float_data"; break;
    case ONNXBN_COMPLEX64: have = tp->n_float_data; field = "float_data"; per = 2; break;
    case ONNXBN_DOUBLE: have = tp->n_double_data; field = "double_data"; break;
    case ONNXBN_COMPLEX128: have = tp->n_double_data; field = "double_data"; per = 2; break;
    case ONNXBN_INT64: have = tp->n_int64_data; field = "int64_data"; break;
    case ONNXBN_UINT32: case ONNXBN_UINT64: have = tp->n_uint64_data; field = "uint64_data"; break;
    default: have = tp->n_int32_data; field = "int32_data"; break;
    }
    if (have == 0 && numel != 0)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "tensor has no data for %zu elements", numel);
    if (have / per != numel || have % per)
        return onnxbn_fail(err, ONNXBN_ERR_MODEL, "%s holds %zu values, the shape needs %zu", field,
                           have, numel * per);
    return ONNXBN_OK;
}

void onnxbn_value_info_fill(const Onnx__ValueInfoProto *vi, onnxbn_value_info *out)
{
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->rank = -1;
    if (!vi)
        return;
    out->name = onnxbn_str(vi->name);
    const Onnx__TypeProto *tp = vi->type;
    /* optional(T) and sequence(tensor) say their kind; the tensor inside gives type and shape */
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && tp->optional_type) {
        tp = tp->optional_type->elem_type;
        out->kind = ONNXBN_KIND_OPTIONAL_TENSOR;
    }
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && tp->sequence_type) {
        tp = tp->sequence_type->elem_type;
        out->kind = out->kind ? ONNXBN_KIND_OPTIONAL_SEQUENCE : ONNXBN_KIND_SEQUENCE;
    }
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type)
        out->dtype = (onnxbn_dtype)tt->elem_type;
    if (!tt->shape || tt->shape->n_dim > ONNXBN_MAX_RANK)
        return;
    out->rank = (int)tt->shape->n_dim;
    for (int i = 0; i < out->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        out->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
            out->dims[i] = d->dim_value;
        else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
            out->dim_names[i] = d->dim_param;
    }
}

/* ---- models ---- */

/* protobuf-c unpacks (and frees) nested messages by recursion without a depth limit, so a few KB of
 * GraphProto-in-attribute (or TypeProto-in-sequence) nesting would overflow the stack; and an
 * empty message of 2 bytes unpacks into a struct of ~100, so a file under the memory cap could
 * still unpack far beyond it. This walk of the wire format, guided by the schema's descriptors,
 * bounds the depth and adds up what unpacking will allocate, before anything is allocated.
 * Anything it cannot read is left for protobuf-c to refuse. */
#define MAX_NESTING 100

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

enum { SCAN_OK, SCAN_DEEP, SCAN_BAD };

/* SCAN_DEEP when the nesting goes past MAX_NESTING; SCAN_BAD for a field number protobuf-c takes
 * in an over-long encoding but would write back as a tag it refuses (0, or above 2^29 - 1), so a
 * model it loaded could not be loaded again once saved. Adds to *cost an upper bound of the bytes
 * unpacking allocates for the fields of this message (its own struct is the caller's). */
static int prescan(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *d,
                   int depth, uint64_t *cost)
{
    if (depth > MAX_NESTING)
        return SCAN_DEEP;
    while (p < end) {
        uint64_t tag, n;
        if (!read_varint(&p, end, &tag))
            return SCAN_OK;
        if (tag >> 3 == 0 || tag >> 3 > 536870911)
            return SCAN_BAD;
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
        /* A repeated slot and protobuf-c's scan record; unknown fields are also kept in a list. */
        *cost += f ? 48 : 96;
        switch (tag & 7) {
        case 0:
            if (!read_varint(&p, end, &n))
                return SCAN_OK;
            break;
        case 1:
        case 5: {
            size_t w = (tag & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < w)
                return SCAN_OK;
            p += w;
            break;
        }
        case 2: {
            if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p))
                return SCAN_OK;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                /* the struct, malloc's overhead and, for nodes, their share of the graph index */
                *cost += ((const ProtobufCMessageDescriptor *)f->descriptor)->sizeof_message + 112;
                int r = prescan(p, p + n, f->descriptor, depth + 1, cost);
                if (r != SCAN_OK)
                    return r;
            } else if (f && f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES) {
                *cost += 8 * n; /* packed scalars: a 1-byte varint can become an 8-byte value */
            } else {
                *cost += n + 1; /* strings, bytes and unknown fields are copied */
            }
            p += n;
            break;
        }
        default:
            return SCAN_OK; /* groups and bad wire types: protobuf-c refuses them */
        }
    }
    return SCAN_OK;
}

static onnxbn_status read_file(const char *path, uint8_t **buf, size_t *len, uint64_t cap,
                               onnxbn_error *err)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return onnxbn_fail(err, ONNXBN_ERR_IO, "cannot open '%.300s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "'%.300s' is not a regular file", path);
    }
    if ((uint64_t)sb.st_size > cap || (uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "'%.300s' has %lld bytes, over the memory limit",
                           path, (long long)sb.st_size);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        close(fd);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "cannot allocate %zu bytes for '%.300s'", n, path);
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, b + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    if (done != n) {
        free(b);
        return onnxbn_fail(err, ONNXBN_ERR_IO, "reading '%.300s' failed", path);
    }
    *buf = b;
    *len = n;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_file_read(const char *path, uint8_t **buf, size_t *len, uint64_t cap,
                               onnxbn_error *err)
{
    return read_file(path, buf, len, cap, err);
}

uint64_t onnxbn_options_max_memory(const onnxbn_options *opt)
{
    return opt && opt->max_memory ? opt->max_memory : ONNXBN_DEFAULT_MAX_MEMORY;
}

/* Builds the graph index, binds its nodes to the operator table (check.c) and fills the declared
 * inputs/outputs over m->proto: at load, and after the converter's passes when the index they
 * edited in place is not handed back. */
onnxbn_status onnxbn_model_reindex(onnxbn_model *m, onnxbn_error *err)
{
    onnxbn_graph_free(&m->graph);
    m->index_builds++;
    onnxbn_status st = onnxbn_graph_build(&m->graph, m->proto, err);
    return st ? st : onnxbn_model_bind(m, err);
}

onnxbn_status onnxbn_model_bind(onnxbn_model *m, onnxbn_error *err)
{
    free(m->ops);
    m->ops = NULL;
    onnxbn_status st = onnxbn_check_ops(&m->graph, false, &m->ops, err);
    if (!st)
        st = onnxbn_subs_build(m, err);
    return st ? st : onnxbn_model_fill_io(m, err);
}

onnxbn_status onnxbn_model_fill_io(onnxbn_model *m, onnxbn_error *err)
{
    free(m->in_info);
    free(m->out_info);
    m->in_info = m->out_info = NULL;
    const onnxbn_graph *g = &m->graph;
    m->in_info = calloc((size_t)g->n_inputs + 1, sizeof *m->in_info);
    m->out_info = calloc((size_t)g->n_outputs + 1, sizeof *m->out_info);
    if (!m->in_info || !m->out_info)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_inputs; i++) {
        const onnxbn_value *v = &g->values[g->inputs[i]];
        onnxbn_value_info_fill(v->info, &m->in_info[i]);
        /* The proto's string, not the index's copy: callers keep these names across a session's
         * open, which folds and builds the index again (onnxbn.h: valid while the model lives). */
        m->in_info[i].name = onnxbn_str(m->proto->graph->input[v->input_index]->name);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const onnxbn_value *v = &g->values[g->outputs[i]];
        onnxbn_value_info_fill(v->info, &m->out_info[i]);
        m->out_info[i].name = onnxbn_str(m->proto->graph->output[i]->name);
    }
    /* Bytes as the types and shapes say (typed fields and external data included). */
    m->init_bytes = 0;
    const Onnx__GraphProto *gp = m->proto->graph;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        onnxbn_tensor t;
        if (tp->n_dims <= ONNXBN_MAX_RANK && tp->has_data_type &&
            !onnxbn_tensor_set_shape(&t, (onnxbn_dtype)tp->data_type, (int)tp->n_dims, tp->dims, NULL))
            m->init_bytes += t.nbytes;
    }
    return ONNXBN_OK;
}

onnxbn_status onnxbn_model_from_proto(Onnx__ModelProto *proto, const char *base_dir,
                                      const onnxbn_options *opt, onnxbn_model **out,
                                      onnxbn_error *err)
{
    *out = NULL;
    onnxbn_model *m = calloc(1, sizeof *m);
    if (!m) {
        onnx__model_proto__free_unpacked(proto, NULL);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    m->proto = proto;
    if (opt)
        m->opt = *opt;
    m->opt.max_memory = onnxbn_options_max_memory(opt);
    if (base_dir && !(m->base_dir = strdup(base_dir))) {
        onnxbn_model_free(m);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    onnxbn_status st;
    if (!proto->graph)
        st = onnxbn_fail(err, ONNXBN_ERR_MODEL, "the model has no graph");
    else if (!proto->has_ir_version || proto->ir_version < 1)
        st = onnxbn_fail(err, ONNXBN_ERR_MODEL, "the model has no valid ir_version");
    else
        st = onnxbn_model_reindex(m, err);
    for (size_t i = 0; !st && i < proto->graph->n_initializer; i++)
        if ((st = check_stored(proto->graph->initializer[i], err)))
            onnxbn_err_prefix(err, "initializer '%.200s'", onnxbn_str(proto->graph->initializer[i]->name));
    /* Tensors in attributes (Constant's value) too: the converter turns them into initializers. */
    for (int i = 0; !st && i < m->graph.n_nodes; i++) {
        const onnxbn_node *nd = &m->graph.nodes[i];
        for (size_t k = 0; !st && k < nd->proto->n_attribute; k++) {
            const Onnx__AttributeProto *a = nd->proto->attribute[k];
            for (size_t j = 0; !st && j < a->n_tensors + (a->t != NULL); j++) {
                if ((st = check_stored(j < a->n_tensors ? a->tensors[j] : a->t, err))) {
                    char label[ONNXBN_LABEL_MAX];
                    onnxbn_err_prefix(err, "%s: attribute '%.100s'",
                                      onnxbn_node_label(nd, label, sizeof label), onnxbn_str(a->name));
                }
            }
        }
    }
    if (st) {
        onnxbn_model_free(m);
        return st;
    }
    *out = m;
    return ONNXBN_OK;
}

onnxbn_status onnxbn_model_load_buffer(const void *buf, size_t len, const char *base_dir,
                                       const onnxbn_options *opt, onnxbn_model **out,
                                       onnxbn_error *err)
{
    if (!out || (!buf && len))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_load_buffer: NULL argument");
    *out = NULL;
    onnxbn_options o;
    onnxbn_status st = onnxbn_options_read(opt, &o, "onnxbn_model_load_buffer", err);
    if (st)
        return st;
    opt = &o;
    if (len == 0)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE, "the model is empty (0 bytes)");
    if ((uint64_t)len > onnxbn_options_max_memory(opt))
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT, "the model has %zu bytes, over the memory limit", len);
    uint64_t cost = onnx__model_proto__descriptor.sizeof_message;
    int scan = prescan(buf, (const uint8_t *)buf + len, &onnx__model_proto__descriptor, 0, &cost);
    if (scan == SCAN_BAD)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE,
                           "not a valid ONNX model: a protobuf field number is 0 or out of range");
    if (scan == SCAN_DEEP)
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                           "the model nests messages more than %d deep (graphs in attributes, types in types)",
                           MAX_NESTING);
    if (cost > onnxbn_options_max_memory(opt))
        return onnxbn_fail(err, ONNXBN_ERR_LIMIT,
                           "the model's %zu bytes unpack into about %llu, over the memory limit", len,
                           (unsigned long long)cost);
    Onnx__ModelProto *proto = onnx__model_proto__unpack(NULL, len, buf);
    if (!proto)
        return onnxbn_fail(err, ONNXBN_ERR_PARSE,
                           "not a valid ONNX model: the protobuf does not parse (truncated or not ONNX?)");
    return onnxbn_model_from_proto(proto, base_dir, opt, out, err);
}

onnxbn_status onnxbn_model_load(const char *path, const onnxbn_options *opt, onnxbn_model **out,
                                onnxbn_error *err)
{
    if (!path || !out)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_load: NULL argument");
    *out = NULL;
    onnxbn_options o;
    onnxbn_status st = onnxbn_options_read(opt, &o, "onnxbn_model_load", err);
    if (st)
        return st;
    opt = &o;
    uint8_t *buf;
    size_t len;
    st = read_file(path, &buf, &len, onnxbn_options_max_memory(opt), err);
    if (st)
        return st;
    char dir[PATH_MAX];
    onnxbn_path_dir(path, dir, sizeof dir);
    st = onnxbn_model_load_buffer(buf, len, dir, opt, out, err);
    free(buf);
    if (st)
        onnxbn_err_prefix(err, "%s", path);
    return st;
}

void onnxbn_model_free(onnxbn_model *m)
{
    if (!m)
        return;
    onnxbn_subs_free(m);
    onnxbn_graph_free(&m->graph);
    free(m->ops);
    free(m->in_info);
    free(m->out_info);
    free(m->base_dir);
    if (m->shell)
        onnxbn_shell_free(m->proto);
    else if (m->proto)
        onnx__model_proto__free_unpacked(m->proto, NULL);
    free(m);
}

/* ---- model facts ---- */

int64_t onnxbn_model_ir_version(const onnxbn_model *m) { return m->proto->ir_version; }
const char *onnxbn_model_producer_name(const onnxbn_model *m) { return onnxbn_str(m->proto->producer_name); }
const char *onnxbn_model_producer_version(const onnxbn_model *m) { return onnxbn_str(m->proto->producer_version); }
const char *onnxbn_model_domain(const onnxbn_model *m) { return onnxbn_str(m->proto->domain); }
int64_t onnxbn_model_version(const onnxbn_model *m) { return m->proto->model_version; }
const char *onnxbn_model_doc_string(const onnxbn_model *m) { return onnxbn_str(m->proto->doc_string); }
const char *onnxbn_model_graph_name(const onnxbn_model *m) { return onnxbn_str(m->proto->graph->name); }
const char *onnxbn_model_graph_doc_string(const onnxbn_model *m)
{
    return onnxbn_str(m->proto->graph->doc_string);
}
size_t onnxbn_model_metadata_count(const onnxbn_model *m) { return m->proto->n_metadata_props; }
const char *onnxbn_model_metadata_key(const onnxbn_model *m, size_t i)
{
    return i < m->proto->n_metadata_props ? onnxbn_str(m->proto->metadata_props[i]->key) : NULL;
}
const char *onnxbn_model_metadata_value(const onnxbn_model *m, size_t i)
{
    return i < m->proto->n_metadata_props ? onnxbn_str(m->proto->metadata_props[i]->value) : NULL;
}
size_t onnxbn_model_opset_count(const onnxbn_model *m) { return m->proto->n_opset_import; }
const char *onnxbn_model_opset_domain(const onnxbn_model *m, size_t i)
{
    return i < m->proto->n_opset_import ? onnxbn_str(m->proto->opset_import[i]->domain) : "";
}
int64_t onnxbn_model_opset_version(const onnxbn_model *m, size_t i)
{
    return i < m->proto->n_opset_import ? m->proto->opset_import[i]->version : -1;
}
size_t onnxbn_model_node_count(const onnxbn_model *m) { return (size_t)m->graph.n_nodes; }
const char *onnxbn_model_node_op_type(const onnxbn_model *m, size_t i)
{
    return i < (size_t)m->graph.n_nodes ? onnxbn_str(m->graph.nodes[i].proto->op_type) : "";
}
const char *onnxbn_model_node_name(const onnxbn_model *m, size_t i)
{
    return i < (size_t)m->graph.n_nodes ? onnxbn_str(m->graph.nodes[i].proto->name) : "";
}
size_t onnxbn_model_initializer_count(const onnxbn_model *m) { return m->proto->graph->n_initializer; }
uint64_t onnxbn_model_initializer_bytes(const onnxbn_model *m) { return m->init_bytes; }
size_t onnxbn_model_input_count(const onnxbn_model *m) { return (size_t)m->graph.n_inputs; }
const onnxbn_value_info *onnxbn_model_input(const onnxbn_model *m, size_t i)
{
    return i < (size_t)m->graph.n_inputs ? &m->in_info[i] : NULL;
}
size_t onnxbn_model_graph_input_count(const onnxbn_model *m) { return m->proto->graph->n_input; }
const char *onnxbn_model_graph_input_name(const onnxbn_model *m, size_t i)
{
    return i < m->proto->graph->n_input ? onnxbn_str(m->proto->graph->input[i]->name) : NULL;
}
size_t onnxbn_model_output_count(const onnxbn_model *m) { return (size_t)m->graph.n_outputs; }
const onnxbn_value_info *onnxbn_model_output(const onnxbn_model *m, size_t i)
{
    return i < (size_t)m->graph.n_outputs ? &m->out_info[i] : NULL;
}
