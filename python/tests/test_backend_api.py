# SPDX-License-Identifier: Apache-2.0
# test_backend_api.py — onnxbn.backend beyond the conformance runner: prepare from a ModelProto,
# a path or bytes, positional and named inputs, run_node, devices, and UNSUPPORTED errors.
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnxbn
import onnxbn.backend as backend
from test_session import MLP, load_case


def test_prepare_and_run_match_reference():
    path = os.path.join(MLP, "model.onnx")
    (_, x), = load_case(MLP)[0]
    (_, want), = load_case(MLP)[1]
    for model in (onnx.load(path), path, open(path, "rb").read()):
        rep = backend.prepare(model, "CPU")
        for out in (rep.run([x]), rep.run({"input": x}), rep.run(x),
                    backend.run_model(model, [x])):
            assert out._fields == ("output",)
            np.testing.assert_allclose(out[0], want, rtol=1e-3, atol=1e-5)
            np.testing.assert_array_equal(out["output"], out[0])


def test_positional_inputs_follow_graph_input_order():
    """IR 3 models list their weights among graph.input: positions count them, as the ONNX
    runner expects (input_0.pb is graph.input[0])."""
    p = "/usr/share/libonnx-testdata/data/pytorch-converted/test_Linear"
    if not os.path.isdir(p):
        pytest.skip("no ONNX test data")
    m = onnx.load(os.path.join(p, "model.onnx"))
    assert len(m.graph.input) > 1
    ins, outs = load_case(p)
    y, = backend.prepare(m).run([a for _, a in ins])
    np.testing.assert_allclose(y, outs[0][1], rtol=1e-3, atol=1e-7)


def test_run_node():
    node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1, alpha=2.0)
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    c = rng.standard_normal((5,)).astype(np.float32)
    y, = backend.run_node(node, [a, b, c])
    np.testing.assert_allclose(y, 2 * a @ b.T + c, rtol=1e-5, atol=1e-5)
    y, = backend.run_node(node, {"a": a, "b": b, "c": c}, opset_version=13,
                          outputs_info=[(np.float32, (3, 5))])
    np.testing.assert_allclose(y, 2 * a @ b.T + c, rtol=1e-5, atol=1e-5)


def test_unsupported_and_devices():
    assert backend.supports_device("CPU") and not backend.supports_device("CUDA")
    assert backend.is_compatible(onnx.ModelProto())
    node = helper.make_node("FrobnicateTensor", ["x"], ["y"])
    with pytest.raises(onnxbn.Error) as e:
        backend.run_node(node, [np.zeros(3, np.float32)])
    assert e.value.status == onnxbn.Status.UNSUPPORTED
    with pytest.raises(onnxbn.Error) as e:
        backend.prepare(onnx.load(os.path.join(MLP, "model.onnx")), "CUDA")
    assert e.value.status == onnxbn.Status.UNSUPPORTED
    # sequences of tensors run (test_values.py); a sequence of sequences does not
    seqseq = helper.make_sequence_type_proto(helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))
    seq = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "g",
        [helper.make_value_info("x", seqseq)], [helper.make_value_info("y", seqseq)])
    with pytest.raises(onnxbn.Error) as e:
        backend.prepare(helper.make_model(seq))
    assert e.value.status == onnxbn.Status.UNSUPPORTED and "sequence" in e.value.message
