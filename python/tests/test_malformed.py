# SPDX-License-Identifier: Apache-2.0
# test_malformed.py — bad models through onnxbn.Session: each gives onnxbn.Error with the right
# status, never a crash or another exception; plus truncated and mutated copies of a good model.
import glob
import os
import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper

import onnxbn
from conftest import HERE, REPO

MLP = os.path.join(REPO, "models", "mlp_bn", "model.onnx")
CORPUS = os.path.join(REPO, "tests", "malformed")


def mk(nodes, inputs, outputs, inits=(), opset=14):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def vi(name, shape=(2, 3), dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, list(shape))


def short_tensor():
    """A [2,3] float initializer holding 7 bytes of data (24 expected)."""
    t = helper.make_tensor("w", TensorProto.FLOAT, [2, 3], np.zeros(6, np.float32).tobytes(),
                           raw=True)
    t.raw_data = b"\0" * 7
    return t


def bad_models():
    """(name, bytes, expected status or None for any error)."""
    good = open(MLP, "rb").read()
    rng = np.random.default_rng(11)
    relu = helper.make_node("Relu", ["x"], ["y"], name="r")
    out = [
        ("empty", b"", onnxbn.Status.PARSE),
        ("truncated_half", good[:len(good) // 2], onnxbn.Status.PARSE),
        ("truncated_minus_1", good[:-1], onnxbn.Status.PARSE),
        ("cycle", mk([helper.make_node("Relu", ["b"], ["a"], name="r1"),
                      helper.make_node("Relu", ["a"], ["b"], name="r2")],
                     [vi("x", (2,))], [vi("b", (2,))]), onnxbn.Status.MODEL),
        ("unknown_op", mk([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")],
                          [vi("x")], [vi("y")]), onnxbn.Status.UNSUPPORTED),
        ("unknown_domain", mk([helper.make_node("Relu", ["x"], ["y"], domain="com.example")],
                              [vi("x")], [vi("y")]), None),
        ("dangling_input", mk([helper.make_node("Add", ["x", "nowhere"], ["y"])],
                              [vi("x")], [vi("y")]), onnxbn.Status.MODEL),
        ("undefined_output", mk([relu], [vi("x")], [vi("y"), vi("zz")]), onnxbn.Status.MODEL),
        ("duplicate_output", mk([relu, helper.make_node("Relu", ["x"], ["y"], name="r2")],
                                [vi("x")], [vi("y")]), onnxbn.Status.MODEL),
        ("bad_initializer", mk([helper.make_node("Add", ["x", "w"], ["y"])], [vi("x")], [vi("y")],
                               inits=[short_tensor()]), None),
        ("wrong_attr_type", mk([helper.make_node("Gemm", ["x", "x"], ["y"], transB="yes")],
                               [vi("x", (3, 3))], [vi("y", (3, 3))]), None),
        ("no_graph", helper.make_model(helper.make_graph([], "g", [], [])).SerializeToString()[:2],
         None),
    ]
    for seed in range(8):
        out.append((f"random_{seed}", rng.integers(0, 256, 64 + 97 * seed, dtype=np.uint8).tobytes(),
                    None))
    return out


@pytest.mark.parametrize("name,data,status", bad_models(), ids=[b[0] for b in bad_models()])
def test_bad_model_raises_error(name, data, status, tmp_path):
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(data)
    for model in (str(path), data):
        with pytest.raises(onnxbn.Error) as e:
            s = onnxbn.Session(model)
            # Some refusals may only come when the inputs' shapes are known.
            from onnxbn._api import _random_feeds
            s.run(feeds=_random_feeds(s))
        assert e.value.message, name
        if status is not None:
            assert e.value.status == status, (name, e.value)


def test_wrong_input_shape_and_type():
    s = onnxbn.Session(MLP)
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds={"input": np.zeros((2, 15), np.float32)})
    assert e.value.status == onnxbn.Status.SHAPE and "input" in e.value.message
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds={"input": np.zeros((2, 16), np.int32)})
    assert e.value.status == onnxbn.Status.TYPE
    with pytest.raises(onnxbn.Error) as e:
        s.run(feeds={"wrong_name": np.zeros((2, 16), np.float32)})
    assert e.value.status == onnxbn.Status.ARG


def run_probe(paths, timeout=900):
    """probe.py over `paths` in a child process: {(path, how): (outcome, fields)}; fails the test
    naming the file when the child crashes."""
    env = dict(os.environ)
    p = subprocess.run([sys.executable, os.path.join(HERE, "probe.py"), *paths],
                       capture_output=True, text=True, timeout=timeout, env=env)
    res, begun, ended = {}, [], set()
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "BEGIN":
            begun.append(f[1])
        elif f[0] == "END":
            ended.add(f[1])
        elif f[0] in ("OK", "ERROR", "EXCEPTION"):
            res[(f[1], f[2])] = (f[0], f[3:])
    if p.returncode != 0:
        last = [b for b in begun if b not in ended]
        pytest.fail(f"the Python process died (exit {p.returncode}) on {last[-1] if last else '?'}"
                    f"\n{p.stderr[-3000:]}")
    assert set(begun) == ended == set(paths), p.stderr[-3000:]
    return res


def test_truncated_and_mutated_models(tmp_path):
    """Every prefix length of a good model at a stride, and copies with bytes overwritten, opened
    and run in a child process: onnxbn.Error or a result, never a crash or another exception."""
    good = open(MLP, "rb").read()
    rng = np.random.default_rng(5)
    paths = []
    for n in range(0, len(good), max(1, len(good) // 150)):
        p = tmp_path / f"trunc_{n}.onnx"
        p.write_bytes(good[:n])
        paths.append(str(p))
    for i in range(250):
        b = bytearray(good)
        for _ in range(1 + i % 4):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        p = tmp_path / f"mut_{i}.onnx"
        p.write_bytes(bytes(b))
        paths.append(str(p))
    res = run_probe(paths)
    bad = [(k, v) for k, v in res.items() if v[0] == "EXCEPTION"]
    assert not bad, bad[:10]
    # A prefix that cuts the graph is a parse error (shorter than the whole graph field).
    cut = [k for k, v in res.items() if "trunc_" in k[0] and v[0] == "OK"
           and os.path.getsize(k[0]) < len(good) // 2]
    assert not cut, cut


def corpus_expectations():
    """{path: must_fail} from tests/malformed/expected.tsv: a model that `onnxbn info`, or `onnxbn
    run` on random inputs, must refuse must be refused by Session too (it checks at least as much);
    models that need particular inputs to fail, and the corpus's valid models, must not crash."""
    rows = {}
    with open(os.path.join(CORPUS, "expected.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            name, command, status = cols[0], cols[1], cols[2]
            extra = cols[4].strip() if len(cols) > 4 else ""
            if name.endswith(".onnx"):
                rows[os.path.join(CORPUS, name)] = (
                    status != "0" and command in ("info", "run") and not extra)
    return rows


@pytest.mark.skipif(not os.path.isfile(os.path.join(CORPUS, "expected.tsv")),
                    reason="no hostile corpus at tests/malformed/")
def test_hostile_corpus():
    """Each model of the C tests' hostile corpus gives onnxbn.Error where the CLI refuses it, and
    nothing in the corpus crashes the process or raises anything but onnxbn.Error."""
    paths = sorted(glob.glob(os.path.join(CORPUS, "**", "*.onnx"), recursive=True))
    assert paths, f"no .onnx files under {CORPUS}"
    must_fail = corpus_expectations()
    assert any(must_fail.values()), "expected.tsv lists no model that must be refused"
    res = run_probe(paths)
    crashed = {k: v for k, v in res.items() if v[0] not in ("OK", "ERROR")}
    assert not crashed, crashed
    wrong = {k: v for k, v in res.items() if must_fail.get(k[0]) and v[0] != "ERROR"}
    assert not wrong, wrong
