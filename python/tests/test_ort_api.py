# SPDX-License-Identifier: Apache-2.0
# test_ort_api.py — onnxbn's onnxruntime-compatible API (InferenceSession & co.): a script written
# for onnxruntime runs with `import onnxbn as onnxruntime` on a torchvision export and gives
# onnxruntime-node's outputs (stored in data/ort, made by data/ort/make.py) within 1e-4.
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import onnxbn
import onnxbn as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "ort")
MODEL = os.path.join(DATA, "mobilenet_v2_w025.onnx")
PY_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PY_DIR)


def test_onnxruntime_script_runs_unchanged(tmp_path):
    src = open(os.path.join(DATA, "ort_script.py")).read()
    assert src.count("import onnxruntime\n") == 1
    script = tmp_path / "script.py"
    script.write_text(src.replace("import onnxruntime\n", "import onnxbn as onnxruntime\n"))
    out = tmp_path / "y.npy"
    env = dict(os.environ, PYTHONPATH=PY_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, str(script), MODEL, os.path.join(DATA, "input.npy"),
                        str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "providers: ['CPUExecutionProvider']" in lines
    assert "input: image tensor(float) ['batch', 3, 96, 96]" in lines
    assert "output: logits tensor(float) ['batch', 10]" in lines
    assert "graph: mobilenet_v2_w025 version: 3 producer: pytorch" in lines
    ref = np.load(os.path.join(DATA, "ort_logits.npy"))
    got = np.load(out)
    assert got.shape == ref.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    assert f"top-1: {ref.argmax(axis=1).tolist()}" in lines


def test_metadata():
    s = ort.InferenceSession(MODEL)
    i, = s.get_inputs()
    o, = s.get_outputs()
    assert (i.name, i.type, i.shape) == ("image", "tensor(float)", ["batch", 3, 96, 96])
    assert (o.name, o.type, o.shape) == ("logits", "tensor(float)", ["batch", 10])
    assert repr(i) == "NodeArg(name='image', type='tensor(float)', shape=['batch', 3, 96, 96])"
    m = s.get_modelmeta()
    assert m.producer_name == "pytorch" and m.graph_name == "mobilenet_v2_w025"
    assert m.version == 3 and m.domain == ""
    assert m.description.startswith("mobilenet_v2 (torchvision 0.14)")
    assert m.custom_metadata_map == {"source": "python/tests/data/ort/make.py"}
    assert s.get_providers() == ["CPUExecutionProvider"]
    assert s.get_provider_options() == {"CPUExecutionProvider": {}}
    assert ort.get_available_providers() == ["CPUExecutionProvider"]
    assert ort.get_device() == "CPU"
    assert s.get_overridable_initializers() == []


def _relu_model(with_override=False):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "b"], ["y"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])]
    init = [numpy_helper.from_array(np.array([1, 2, 3], np.float32), "b")]
    if with_override:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [3]))
    g = helper.make_graph(nodes, "g", inputs,
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], init)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString()


def test_bytes_names_and_overridable_initializers():
    s = ort.InferenceSession(_relu_model(with_override=True))
    x = np.array([[-1, 0, 1]], np.float32)
    y, = s.run(None, {"x": x})
    np.testing.assert_array_equal(y, [[1, 2, 4]])
    ov, = s.get_overridable_initializers()
    assert (ov.name, ov.type, ov.shape) == ("b", "tensor(float)", [3])
    y, = s.run(["y"], {"x": x, "b": np.array([10, 20, 30], np.float32)})
    np.testing.assert_array_equal(y, [[10, 20, 31]])
    assert ort.InferenceSession(_relu_model()).get_overridable_initializers() == []


def test_errors_have_onnxruntime_names(tmp_path):
    with pytest.raises(ort.NoSuchFile):
        ort.InferenceSession(str(tmp_path / "missing.onnx"))
    with pytest.raises(ort.InvalidProtobuf):
        ort.InferenceSession(b"\x08\x07\x12\x03abc\xff\xff")
    s = ort.InferenceSession(_relu_model())
    with pytest.raises(ort.InvalidArgument, match=r"Required inputs \(\['x'\]\) are missing"):
        s.run(None, {})
    with pytest.raises(ort.InvalidArgument):
        s.run(None, {"x": np.zeros((1, 3), np.float64)})  # wrong element type
    with pytest.raises(ort.InvalidArgument):
        s.run(["nope"], {"x": np.zeros((1, 3), np.float32)})
    # Each is an onnxbn.Error too, and reachable where onnxruntime keeps them.
    try:
        s.run(None, {"x": np.zeros((1, 4), np.float32)})
    except onnxbn.Error as e:
        assert isinstance(e, ort.capi.onnxruntime_pybind11_state.InvalidArgument)
        assert e.status == onnxbn.Status.SHAPE
    else:
        pytest.fail("a [1,4] feed for a [n,3] input ran")
    ro = ort.RunOptions()
    ro.terminate = True
    with pytest.raises(ort.Fail, match="terminate"):
        s.run(None, {"x": np.zeros((1, 3), np.float32)}, ro)


def test_providers():
    m = _relu_model()
    ort.InferenceSession(m, providers=["CPUExecutionProvider"])
    ort.InferenceSession(m, providers=[("CPUExecutionProvider", {"arena_extend_strategy": "x"})])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ort.InferenceSession(m, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert any("CUDAExecutionProvider" in str(x.message) for x in w)
    with pytest.raises(ValueError, match="CPU only"):
        ort.InferenceSession(m, providers=["CUDAExecutionProvider"])
    with pytest.raises(ValueError, match="same length"):
        ort.InferenceSession(m, providers=["CPUExecutionProvider"], provider_options=[{}, {}])


def test_session_options(tmp_path):
    so = ort.SessionOptions()
    assert so.intra_op_num_threads == 0
    assert so.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.x", "1")
    assert so.get_session_config_entry("session.x") == "1"
    # optimized_model_filepath: the folded model, which has no BatchNormalization left and runs
    # to the same outputs; ORT_DISABLE_ALL writes the model as given.
    onnx = pytest.importorskip("onnx")
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    x = np.load(os.path.join(DATA, "input.npy"))
    ref = np.load(os.path.join(DATA, "ort_logits.npy"))
    ort.InferenceSession(MODEL, so)
    opt = onnx.load(so.optimized_model_filepath)
    orig = onnx.load(MODEL)
    assert sum(n.op_type == "BatchNormalization" for n in opt.graph.node) == 0
    y, = ort.InferenceSession(so.optimized_model_filepath).run(None, {"image": x})
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    so2 = ort.SessionOptions()
    so2.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so2.optimized_model_filepath = str(tmp_path / "asis.onnx")
    so2.intra_op_num_threads = 1
    y, = ort.InferenceSession(MODEL, so2).run(None, {"image": x})
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert open(so2.optimized_model_filepath, "rb").read() == open(MODEL, "rb").read()
    assert len(orig.graph.node) > len(opt.graph.node)
    bad = ort.SessionOptions()
    bad.intra_op_num_threads = -1
    with pytest.raises(ort.InvalidArgument):
        ort.InferenceSession(MODEL, bad)
