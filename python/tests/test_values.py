# SPDX-License-Identifier: Apache-2.0
# test_values.py — sequences and optionals through the Python API: a list of arrays in and out,
# None for an empty optional, the declared kind in ValueInfo, and the errors for a wrong kind.
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnxbn


def _model(nodes, inputs, outputs, opset=17):
    g = helper.make_graph(nodes, "values", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _seq_info(name, elem=TensorProto.FLOAT):
    return helper.make_value_info(name, helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(elem, None)))


def _opt_info(name, elem=TensorProto.FLOAT):
    return helper.make_value_info(name, helper.make_optional_type_proto(
        helper.make_tensor_type_proto(elem, None)))


def test_sequence_in_and_out():
    m = _model([helper.make_node("SequenceInsert", ["s", "t"], ["s2"]),
                helper.make_node("SequenceLength", ["s2"], ["n"])],
               [_seq_info("s"), helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
               [_seq_info("s2"), helper.make_tensor_value_info("n", TensorProto.INT64, [])])
    s = onnxbn.Session(m)
    assert s.inputs[0].kind == "sequence" and s.inputs[1].kind == "tensor"
    assert s.outputs[0].kind == "sequence"
    a = np.array([1, 2], np.float32)
    b = np.array([[3, 4, 5]], np.float32)
    s2, n = s.run(feeds=[[a], b])
    assert isinstance(s2, list) and len(s2) == 2
    np.testing.assert_array_equal(s2[0], a)
    np.testing.assert_array_equal(s2[1], b)
    assert int(n) == 2
    s2, n = s.run(feeds={"s": [], "t": a})  # an empty sequence, then lengths change run to run
    assert len(s2) == 1 and int(n) == 1
    np.testing.assert_array_equal(s2[0], a)


def test_optional_none():
    m = _model([helper.make_node("OptionalHasElement", ["o"], ["h"]),
                helper.make_node("Identity", ["o"], ["o2"])],
               [_opt_info("o")],
               [helper.make_tensor_value_info("h", TensorProto.BOOL, []), _opt_info("o2")])
    s = onnxbn.Session(m)
    assert s.inputs[0].kind == "optional_tensor"
    h, o2 = s.run(feeds=[None])
    assert not bool(h) and o2 is None
    x = np.array([7.0], np.float32)
    h, o2 = s.run(feeds=[x])
    assert bool(h)
    np.testing.assert_array_equal(o2, x)


def test_sequence_where_tensor_expected():
    m = _model([helper.make_node("Relu", ["x"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    s = onnxbn.Session(m)
    with pytest.raises(onnxbn.Error) as e:  # a list for a tensor input is one array, not a sequence
        s.run(feeds=[[np.zeros(2, np.float32), np.zeros(3, np.float32)]])
    assert e.value.status in (onnxbn.Status.TYPE, onnxbn.Status.ARG)


def test_sequence_at_out_of_range():
    m = _model([helper.make_node("SequenceAt", ["s", "p"], ["e"], name="at")],
               [_seq_info("s"), helper.make_tensor_value_info("p", TensorProto.INT64, [])],
               [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    s = onnxbn.Session(m)
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds=[[np.zeros(2, np.float32)], np.array(3, np.int64)])
    assert e.value.status == onnxbn.Status.ARG
    assert "node 'at' (SequenceAt): position 3 is out of range" in e.value.message
    e, = s.run(feeds=[[np.zeros(2, np.float32), np.ones(3, np.float32)], np.array(-1, np.int64)])
    np.testing.assert_array_equal(e, np.ones(3, np.float32))
