/* SPDX-License-Identifier: Apache-2.0 */
/* inshape.c — onnxbn_model_set_input_shape: a graph input declared with the caller's shape in
 * place of the file's, so a model fixed to one batch size can be planned and run at another. */
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "model.h"

onnxbn_status onnxbn_model_set_input_shape(onnxbn_model *m, const char *name, int rank,
                                           const int64_t *dims, onnxbn_error *err)
{
    if (!m || !name || (rank > 0 && !dims))
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "onnxbn_model_set_input_shape: NULL argument");
    int id = onnxbn_graph_find(&m->graph, name);
    if (id < 0 || m->graph.values[id].input_index < 0 || m->graph.values[id].init)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "the model has no input named '%.200s'", name);
    if (rank < 0 || rank > ONNXBN_MAX_RANK)
        return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%.200s': rank %d is out of range", name,
                           rank);
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0)
            return onnxbn_fail(err, ONNXBN_ERR_ARG, "input '%.200s': dimension %d is %lld", name,
                               d, (long long)dims[d]);
    /* The graph input itself: graph.c takes an input's declared type from there first. */
    Onnx__ValueInfoProto *vi = m->proto->graph->input[m->graph.values[id].input_index];
    Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return onnxbn_fail(err, ONNXBN_ERR_TYPE, "input '%.200s' declares no tensor type", name);
    /* Built apart and swapped in whole, with malloc as protobuf-c's free_unpacked expects. */
    Onnx__TensorShapeProto *sh = malloc(sizeof *sh);
    if (!sh)
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    onnx__tensor_shape_proto__init(sh);
    sh->dim = calloc((size_t)rank + 1, sizeof *sh->dim);
    for (int d = 0; sh->dim && d < rank; d++) {
        Onnx__TensorShapeProto__Dimension *dd = malloc(sizeof *dd);
        if (!dd)
            break;
        onnx__tensor_shape_proto__dimension__init(dd);
        dd->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dd->dim_value = dims[d];
        sh->dim[sh->n_dim++] = dd;
    }
    if (sh->n_dim != (size_t)rank) {
        onnx__tensor_shape_proto__free_unpacked(sh, NULL);
        return onnxbn_fail(err, ONNXBN_ERR_NOMEM, "out of memory");
    }
    if (tp->tensor_type->shape)
        onnx__tensor_shape_proto__free_unpacked(tp->tensor_type->shape, NULL);
    tp->tensor_type->shape = sh;
    return onnxbn_model_fill_io(m, err);
}
