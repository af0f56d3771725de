#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make_data.py — writes the tiny models, tensors and test cases under tests/cli/data/ that the CLI
# tests use (bad models, wrong inputs, a PASS/FAIL/SKIP case set). Run it to regenerate them.
import os
import random
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def model(nodes, inputs, outputs, inits=(), opset=14, name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="onnxbn-tests", producer_version="1",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def save(m, *path, check=True):
    if check:
        onnx.checker.check_model(m)
    p = os.path.join(DATA, *path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    onnx.save(m, p)


def save_tensor(arr, name, *path):
    p = os.path.join(DATA, *path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def main():
    shutil.rmtree(DATA, ignore_errors=True)
    os.makedirs(DATA)
    rng = np.random.default_rng(7)

    # relu.onnx: y = Relu(x), x float [2,3].
    relu = model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                 [vi("x", TensorProto.FLOAT, [2, 3])], [vi("y", TensorProto.FLOAT, [2, 3])])
    save(relu, "relu.onnx")

    # sym.onnx: the same with a symbolic batch dimension N.
    sym = model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                [vi("x", TensorProto.FLOAT, ["N", 3])], [vi("y", TensorProto.FLOAT, ["N", 3])])
    save(sym, "sym.onnx")

    # mixed.onnx: several operator types (for info's per-operator counts) and an initializer.
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")
    mixed = model([helper.make_node("Relu", ["x"], ["a"]),
                   helper.make_node("Relu", ["a"], ["b"]),
                   helper.make_node("Relu", ["b"], ["c"]),
                   helper.make_node("Add", ["c", "w"], ["d"]),
                   helper.make_node("Mul", ["d", "w"], ["y"])],
                  [vi("x", TensorProto.FLOAT, ["batch", 3])],
                  [vi("y", TensorProto.FLOAT, ["batch", 3])], inits=[w])
    save(mixed, "mixed.onnx")

    # cycle.onnx: a -> Relu -> b -> Relu -> a (the checker refuses it, so it is not run).
    cycle = model([helper.make_node("Relu", ["b"], ["a"], name="r1"),
                   helper.make_node("Relu", ["a"], ["b"], name="r2")],
                  [vi("x", TensorProto.FLOAT, [2])], [vi("b", TensorProto.FLOAT, [2])])
    save(cycle, "cycle.onnx", check=False)

    # unknown_op.onnx: an operator no runtime knows, in the default domain.
    unknown = model([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")],
                    [vi("x", TensorProto.FLOAT, [2, 3])], [vi("y", TensorProto.FLOAT, [2, 3])])
    save(unknown, "unknown_op.onnx", check=False)

    # Input tensors: right, wrong shape, wrong type, and an .npy of the right one.
    x = rng.standard_normal((2, 3)).astype(np.float32)
    save_tensor(x, "x", "x_2x3.pb")
    np.save(os.path.join(DATA, "x_2x3.npy"), x)
    save_tensor(rng.standard_normal((3, 2)).astype(np.float32), "x", "x_3x2.pb")
    save_tensor(np.arange(6, dtype=np.int64).reshape(2, 3), "x", "x_i64_2x3.pb")
    save_tensor(x, "", "x_noname_2x3.pb")

    # random.bin: 1000 bytes of noise (not a model, not a tensor).
    r = random.Random(1)
    with open(os.path.join(DATA, "random.bin"), "wb") as f:
        f.write(bytes(r.randrange(256) for _ in range(1000)))

    # cases/: ONNX backend test layout. relu_pass matches; relu_fail has expected element 4 off by
    # 0.25; unknown_op is skipped; relu_two_sets has a second data set that fails.
    y = np.maximum(x, 0)
    for case in ("relu_pass", "relu_fail", "relu_two_sets"):
        save(relu, "cases", case, "model.onnx")
        save_tensor(x, "x", "cases", case, "test_data_set_0", "input_0.pb")
        save_tensor(y, "y", "cases", case, "test_data_set_0", "output_0.pb")
    bad = y.copy()
    bad.flat[4] += 0.25
    save_tensor(bad, "y", "cases", "relu_fail", "test_data_set_0", "output_0.pb")
    x2 = -np.abs(x)  # all negative: Relu gives zeros, the stored expectation says otherwise
    save_tensor(x2, "", "cases", "relu_two_sets", "test_data_set_1", "input_0.pb")
    save_tensor(np.full((2, 3), 1.0, np.float32), "y", "cases", "relu_two_sets", "test_data_set_1",
                "output_0.pb")
    save(unknown, "cases", "unknown_op", "model.onnx", check=False)
    save_tensor(x, "x", "cases", "unknown_op", "test_data_set_0", "input_0.pb")
    save_tensor(y, "y", "cases", "unknown_op", "test_data_set_0", "output_0.pb")


if __name__ == "__main__":
    main()
