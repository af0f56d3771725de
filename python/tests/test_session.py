# SPDX-License-Identifier: Apache-2.0
# test_session.py — onnxbn.Session and onnxbn.fuse from Python: declared inputs/outputs, results
# equal to the stored reference outputs of models/, dtype and layout handling, errors as onnxbn.Error.
import glob
import os
import threading

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxbn
from conftest import REPO

MODELS = os.path.join(REPO, "models")
MLP = os.path.join(MODELS, "mlp_bn")


def load_case(case_dir, k=0):
    """The inputs and expected outputs of test_data_set_k, as (name, array) lists."""
    d = os.path.join(case_dir, f"test_data_set_{k}")

    def read(kind):
        out = []
        for p in sorted(glob.glob(os.path.join(d, f"{kind}_*.pb")),
                        key=lambda p: int(p.rsplit("_", 1)[1][:-3])):
            t = onnx.load_tensor(p)
            out.append((t.name, numpy_helper.to_array(t)))
        return out
    return read("input"), read("output")


def relu_model(dtype=TensorProto.FLOAT, shape=("N", 3)):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                          [helper.make_tensor_value_info("x", dtype, list(shape))],
                          [helper.make_tensor_value_info("y", dtype, list(shape))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


def test_version():
    assert onnxbn.version() == onnxbn.__version__
    assert os.path.exists(onnxbn.library_path)


def test_inputs_outputs_declared():
    s = onnxbn.Session(os.path.join(MLP, "model.onnx"))
    assert s.inputs == [onnxbn.ValueInfo("input", np.dtype(np.float32), ("N", 16), "float")]
    assert s.outputs == [onnxbn.ValueInfo("output", np.dtype(np.float32), ("N", 10), "float")]


@pytest.mark.parametrize("case", sorted(os.path.basename(os.path.dirname(p)) for p in
                                        glob.glob(os.path.join(MODELS, "*", "model.onnx"))))
@pytest.mark.parametrize("fold", [True, False])
def test_models_match_reference(case, fold):
    """Every sample model reproduces its stored outputs (PyTorch's, checked by numpy in
    tests/models), folded at open or not; path, bytes and ModelProto load the same model."""
    case_dir = os.path.join(MODELS, case)
    path = os.path.join(case_dir, "model.onnx")
    sessions = [onnxbn.Session(path, fold=fold),
                onnxbn.Session(open(path, "rb").read(), fold=fold),
                onnxbn.Session(onnx.load(path), fold=fold)]
    k = 0
    while os.path.isdir(os.path.join(case_dir, f"test_data_set_{k}")):
        ins, outs = load_case(case_dir, k)
        for s in sessions:
            got = s.run(feeds={(n or s.inputs[i].name): a for i, (n, a) in enumerate(ins)})
            assert len(got) == len(outs)
            for g, (name, e) in zip(got, outs):
                assert g.dtype == e.dtype and g.shape == e.shape, name
                np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-5)
        k += 1
    assert k > 0


def test_run_output_selection_and_sequence_feeds():
    s = onnxbn.Session(os.path.join(MLP, "model.onnx"))
    (_, x), = load_case(MLP)[0]
    y_all = s.run(feeds={"input": x})
    y_named = s.run(["output"], {"input": x})
    y_seq = s.run("output", [x])
    y_one = s.run(None, x)
    for y in (y_named, y_seq, y_one):
        assert len(y) == 1
        np.testing.assert_array_equal(y[0], y_all[0])
    with pytest.raises(onnxbn.Error) as e:
        s.run(["nope"], {"input": x})
    assert e.value.status == onnxbn.Status.ARG and "nope" in str(e.value)


def test_outputs_are_copies_that_outlive_the_next_run():
    s = onnxbn.Session(relu_model())
    a = np.array([[1, -2, 3]], np.float32)
    y1, = s.run(feeds={"x": a})
    y2, = s.run(feeds={"x": -a})
    np.testing.assert_array_equal(y1, [[1, 0, 3]])
    np.testing.assert_array_equal(y2, [[0, 2, 0]])
    y1[...] = 7  # writable, and the session's own buffer is not it
    y3, = s.run(feeds={"x": a})
    np.testing.assert_array_equal(y3, [[1, 0, 3]])


def test_inputs_are_not_written():
    s = onnxbn.Session(relu_model())
    a = np.array([[1, -2, 3]], np.float32)
    s.run(feeds={"x": a})
    np.testing.assert_array_equal(a, [[1, -2, 3]])


def test_layouts_and_lists():
    """Non-contiguous, Fortran-order, byte-swapped and misaligned arrays and plain lists give the
    same result as the C-contiguous array (they are copied; only the latter is read in place)."""
    s = onnxbn.Session(relu_model())
    base = np.arange(-6, 6, dtype=np.float32).reshape(4, 3)
    want = np.maximum(base, 0)
    variants = [base, np.asfortranarray(base), np.ascontiguousarray(base.T).T,
                np.repeat(base, 2, axis=0)[::2], base.astype(">f4"), base.tolist(),
                np.frombuffer(b"\0" + base.tobytes(), np.float32, offset=1).reshape(4, 3)]
    assert not variants[-1].flags.aligned
    for v in variants:
        y, = s.run(feeds={"x": v})
        np.testing.assert_array_equal(y, want)
        assert y.dtype == np.float32


@pytest.mark.parametrize("dtype,np_dtype", [(TensorProto.FLOAT, np.float32),
                                            (TensorProto.DOUBLE, np.float64),
                                            (TensorProto.FLOAT16, np.float16),
                                            (TensorProto.INT32, np.int32),
                                            (TensorProto.INT64, np.int64),
                                            (TensorProto.INT8, np.int8)])
def test_dtypes(dtype, np_dtype):
    s = onnxbn.Session(relu_model(dtype))
    assert s.inputs[0].dtype == np.dtype(np_dtype)
    x = np.array([[-3, 0, 5], [7, -1, 2]], dtype=np_dtype)
    try:
        y, = s.run(feeds={"x": x})
    except onnxbn.Error as e:
        # Relu of this type may not be implemented: then it must say so, and nothing else.
        assert e.status == onnxbn.Status.UNSUPPORTED, e
        pytest.skip(str(e))
    assert y.dtype == np.dtype(np_dtype)
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_scalars_and_empty():
    s = onnxbn.Session(relu_model(shape=()))
    assert s.inputs[0].shape == ()
    y, = s.run(feeds={"x": np.float32(-2.5)})
    assert y.shape == () and y == 0
    y, = s.run(feeds={"x": 3})  # a Python number takes the declared type
    assert y.dtype == np.float32 and y == 3
    s = onnxbn.Session(relu_model(shape=("N", 3)))
    y, = s.run(feeds={"x": np.zeros((0, 3), np.float32)})
    assert y.shape == (0, 3)


def test_wrong_inputs():
    s = onnxbn.Session(relu_model(shape=("N", 3)))
    cases = [
        ({"x": np.zeros((2, 4), np.float32)}, onnxbn.Status.SHAPE),
        ({"x": np.zeros((2,), np.float32)}, onnxbn.Status.SHAPE),
        ({"x": np.zeros((2, 3), np.float64)}, onnxbn.Status.TYPE),
        ({"x": np.zeros((2, 3), np.int64)}, onnxbn.Status.TYPE),
        ({"x": np.array([["a", "b", "c"]])}, onnxbn.Status.TYPE),
        ({"x": np.zeros((2, 3), object)}, onnxbn.Status.TYPE),
        ({"x": [[1, 2], [3]]}, onnxbn.Status.TYPE),
        ({"x": np.zeros((1,) * 9, np.float32)}, onnxbn.Status.UNSUPPORTED),
        ({}, None),
        ({"x": np.zeros((2, 3), np.float32), "zz": np.zeros(3, np.float32)}, onnxbn.Status.ARG),
        ([np.zeros((2, 3), np.float32)] * 2, onnxbn.Status.ARG),
        ({1: np.zeros((2, 3), np.float32)}, onnxbn.Status.ARG),
    ]
    for feeds, status in cases:
        with pytest.raises(onnxbn.Error) as e:
            s.run(feeds=feeds)
        assert e.value.message
        if status is not None:
            assert e.value.status == status, (feeds, e.value)
    # The session still works after every failure.
    y, = s.run(feeds={"x": np.array([[-1, 0, 1]], np.float32)})
    np.testing.assert_array_equal(y, [[0, 0, 1]])


def test_error_carries_status_and_message():
    with pytest.raises(onnxbn.Error) as e:
        onnxbn.Session("/nonexistent/model.onnx")
    err = e.value
    assert err.status == onnxbn.Status.IO and isinstance(err.status, onnxbn.Status)
    assert "/nonexistent/model.onnx" in str(err) and err.message == str(err)
    assert err.status_name == "i/o error"
    assert "IO" in repr(err)


def test_bad_arguments():
    with pytest.raises(TypeError):
        onnxbn.Session(12)
    with pytest.raises(onnxbn.Error):
        onnxbn.Session(relu_model(), threads=-1)
    with pytest.raises(onnxbn.Error):
        onnxbn.Session(relu_model(), threads="4")
    s = onnxbn.Session(relu_model(), threads=2, max_memory=1 << 20)
    s.close()
    s.close()
    with pytest.raises(onnxbn.Error):
        s.run(feeds={"x": np.zeros((1, 3), np.float32)})


def test_max_memory():
    s = onnxbn.Session(relu_model(), max_memory=1 << 16)
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds={"x": np.zeros((1 << 15, 3), np.float32)})
    assert e.value.status in (onnxbn.Status.LIMIT, onnxbn.Status.NOMEM)


def test_threads_share_a_session():
    s = onnxbn.Session(os.path.join(MLP, "model.onnx"))
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((5, 16)).astype(np.float32) for _ in range(8)]
    want = [s.run(feeds={"input": x})[0] for x in xs]
    bad = []

    def work(i):
        for _ in range(20):
            y, = s.run(feeds={"input": xs[i]})
            if not np.array_equal(y, want[i]):
                bad.append(i)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not bad


def test_fold_matches_no_fold():
    path = os.path.join(MODELS, "tiny_resnet", "model.onnx")
    if not os.path.exists(path):
        pytest.skip("models/tiny_resnet is missing")
    a = onnxbn.Session(path, fold=True)
    b = onnxbn.Session(path, fold=False)
    rng = np.random.default_rng(2)
    shape = tuple(d if isinstance(d, int) else 2 for d in a.inputs[0].shape)
    x = rng.standard_normal(shape).astype(np.float32)
    ya, = a.run(feeds={a.inputs[0].name: x})
    yb, = b.run(feeds={b.inputs[0].name: x})
    np.testing.assert_allclose(ya, yb, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(yb).max())))


# ---- fuse ----------------------------------------------------------------------------------------

needs_fuse = pytest.mark.skipif(not onnxbn._LIB.has_fuse,
                                reason="this libonnxbn has no converter API")


@needs_fuse
def test_fuse_mlp(tmp_path):
    src = os.path.join(MLP, "model.onnx")
    dst = str(tmp_path / "fused.onnx")
    rep = onnxbn.fuse(src, dst, verify=True)
    assert os.path.exists(dst)
    m = onnx.load(dst)
    onnx.checker.check_model(m)
    assert [n.op_type for n in m.graph.node].count("BatchNormalization") == 0
    assert rep["verify"]["ok"] is True
    # The fused model still gives the stored reference outputs.
    (_, x), = load_case(MLP)[0]
    (_, want), = load_case(MLP)[1]
    y, = onnxbn.Session(dst, fold=False).run(feeds={"input": x})
    np.testing.assert_allclose(y, want, rtol=1e-3, atol=1e-5)
    assert rep.model is None


@needs_fuse
def test_fuse_report_and_bytes():
    src = os.path.join(MLP, "model.onnx")
    rep = onnxbn.fuse(open(src, "rb").read(), None)
    assert isinstance(rep, dict) and isinstance(rep.model, bytes)
    onnx.checker.check_model(onnx.load_from_string(rep.model))
    text = repr(rep)
    assert "folded" in text or "Gemm" in text, text


@needs_fuse
def test_fuse_passes_and_errors(tmp_path):
    passes = onnxbn.fuse_passes()
    assert "fold-bn" in passes and "prune" in passes
    src = os.path.join(MLP, "model.onnx")
    # Without fold-bn the BN stays.
    rep = onnxbn.fuse(src, None, passes=[p for p in passes if p != "fold-bn"])
    kept = onnx.load_from_string(rep.model)
    assert [n.op_type for n in kept.graph.node].count("BatchNormalization") == 1
    with pytest.raises(onnxbn.Error) as e:
        onnxbn.fuse(src, None, passes="no-such-pass")
    assert e.value.status == onnxbn.Status.ARG
    with pytest.raises(onnxbn.Error):
        onnxbn.fuse(b"\x08\x01garbage", None)
    with pytest.raises(onnxbn.Error) as e:
        onnxbn.fuse(src, str(tmp_path / "no" / "such" / "dir" / "x.onnx"))
    assert e.value.status == onnxbn.Status.IO


@needs_fuse
def test_fuse_verify_with_feeds():
    src = os.path.join(MLP, "model.onnx")
    x = np.random.default_rng(3).standard_normal((7, 16)).astype(np.float32)
    rep = onnxbn.fuse(src, None, verify={"input": x})
    assert rep["verify"]["ok"] and rep["verify"]["outputs"]["output"]["values"] == 70


@needs_fuse
def test_fuse_report_json_agrees_with_accessors():
    """report.json (onnxbn_fuse_report_json) is valid JSON holding what the accessors say."""
    import json
    for case in ("mlp_bn", "tiny_resnet", "mlp_bn_after_relu"):
        src = os.path.join(MODELS, case, "model.onnx")
        if not os.path.exists(src):
            continue
        rep = onnxbn.fuse(src, None)
        assert rep["entries"], case
        assert json.loads(rep.json) == {k: v for k, v in rep.items() if k != "verify"}, case


@needs_fuse
def test_fuse_writes_what_the_cli_writes(tmp_path):
    """onnxbn.fuse and `onnxbn fuse` write the same bytes: value_info for every intermediate
    tensor by default, none with shapes=False / --no-shapes."""
    import subprocess
    from test_cli_agreement import find_cli
    cli = find_cli()
    if cli is None:
        pytest.skip("no onnxbn command beside the library")
    src = os.path.join(MODELS, "tiny_resnet", "model.onnx")
    for kw, args in (({}, []), ({"shapes": False}, ["--no-shapes"])):
        py, sh = str(tmp_path / "py.onnx"), str(tmp_path / "cli.onnx")
        onnxbn.fuse(src, py, **kw)
        subprocess.run([cli, "fuse", src, sh] + args, check=True, capture_output=True)
        assert open(py, "rb").read() == open(sh, "rb").read(), args
        vi = {v.name for v in onnx.load(py).graph.value_info}
        assert bool(vi) == (not args), vi
    onnxbn.fuse(src, str(tmp_path / "py.onnx"))  # the loop's last file has none
    m = onnx.load(str(tmp_path / "py.onnx"))
    outs = {o.name for o in m.graph.output}
    assert {v.name for v in m.graph.value_info} == {o for n in m.graph.node for o in n.output} - outs


def test_non_utf8_names_round_trip():
    """Names that are not UTF-8 (protobuf-c does not check) can still be fed and selected."""
    data = relu_model().SerializeToString()
    # Same length, so the protobuf stays valid: x -> \xff, y -> \xfe.
    data = data.replace(b"\n\x01x", b"\n\x01\xff").replace(b"\x12\x01y", b"\x12\x01\xfe")
    data = data.replace(b"\n\x01y", b"\n\x01\xfe")
    try:
        s = onnxbn.Session(data)
    except onnxbn.Error:
        return  # refusing such names is fine too
    (xi,), (yo,) = s.inputs, s.outputs
    assert xi.name.encode("utf-8", "surrogateescape") == b"\xff"
    y, = s.run([yo.name], {xi.name: np.array([[-1, 2, -3]], np.float32)})
    np.testing.assert_array_equal(y, [[0, 2, 0]])


def test_zero_copy_for_c_contiguous_arrays():
    """A C-contiguous, aligned array of a known dtype is handed to the library as it is; the
    others are converted first."""
    s = onnxbn.Session(relu_model())
    a = np.zeros((2, 3), np.float32)
    assert s._array("x", a)[0] is a
    assert s._array("x", np.asfortranarray(np.zeros((2, 3), np.float32)))[0].flags.c_contiguous
    assert s._array("x", a.astype(">f4"))[0].dtype.isnative


def test_threads_give_the_same_results():
    path = os.path.join(MODELS, "tiny_resnet", "model.onnx")
    if not os.path.exists(path):
        pytest.skip("models/tiny_resnet is missing")
    x = np.random.default_rng(6).standard_normal((4, 3, 32, 32)).astype(np.float32)
    want, = onnxbn.Session(path, threads=1).run(feeds=[x])
    for n in (2, 3):
        got, = onnxbn.Session(path, threads=n).run(feeds=[x])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(onnxbn.Error) as e:
        onnxbn.Session(path, threads=100000)
    assert e.value.status == onnxbn.Status.ARG


def conv_chain(layers=40, hw=256, ch=16):
    """A chain of 5x5 convolutions that takes seconds to run: something to stop."""
    rng = np.random.default_rng(3)
    nodes, inits = [], []
    for i in range(layers):
        w = (rng.standard_normal((ch, ch, 5, 5)) * 0.05).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("Conv", ["x" if i == 0 else f"y{i - 1}", f"w{i}"],
                                      ["y" if i == layers - 1 else f"y{i}"], name=f"conv{i}",
                                      kernel_shape=[5, 5], pads=[2, 2, 2, 2]))
    shape = [1, ch, hw, hw]
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m, np.ones(shape, np.float32)


def test_timeout_and_cancel_stop_a_long_run():
    m, x = conv_chain()
    s = onnxbn.Session(m)
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds=[x], timeout=0.1)
    assert e.value.status == onnxbn.Status.TIMEOUT
    assert "run timed out at node 'conv" in e.value.message
    timer = threading.Timer(0.05, s.cancel)
    timer.start()
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds=[x])
    timer.join()
    assert e.value.status == onnxbn.Status.CANCELLED
    assert e.value.status_name == "cancelled"
    s.cancel()  # no run in progress: nothing happens
    s.close()
    s.cancel()  # closed: nothing happens either


def test_session_usable_after_timeout():
    case = os.path.join(MODELS, "tiny_resnet")
    ins, outs = load_case(case)
    s = onnxbn.Session(os.path.join(case, "model.onnx"))
    want, = s.run(feeds=dict(ins))
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds=dict(ins), timeout=1e-9)  # passed before the first node
    assert e.value.status == onnxbn.Status.TIMEOUT
    got, = s.run(feeds=dict(ins))  # no bound again
    assert np.array_equal(got, want)
    got, = s.run(feeds=dict(ins), timeout=60)
    assert np.array_equal(got, want)
    np.testing.assert_allclose(got, outs[0][1], rtol=1e-3, atol=1e-7)
    for bad in (-1, float("nan"), 2e9, "soon"):
        with pytest.raises(onnxbn.Error) as e:
            s.run(feeds=dict(ins), timeout=bad)
        assert e.value.status == onnxbn.Status.ARG
