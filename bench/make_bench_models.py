#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make_bench_models.py — the synthetic models bench/run.sh times (standalone BatchNormalization at
# two shapes, the Gemm→BN→Relu MLP 256-512-512-10) written with onnx.helper into a folder.
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def bn_params(prefix, c, rng):
    return [
        numpy_helper.from_array(rng.uniform(0.5, 1.5, c).astype(np.float32), prefix + "_scale"),
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, c).astype(np.float32), prefix + "_bias"),
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, c).astype(np.float32), prefix + "_mean"),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, c).astype(np.float32), prefix + "_var"),
    ]


def bn_model(shape):
    rng = np.random.default_rng(1)
    c = shape[1]
    node = helper.make_node("BatchNormalization",
                            ["x", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["y"],
                            name="bn", epsilon=1e-5)
    g = helper.make_graph([node], "bn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
                          bn_params("bn", c, rng))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])


def mlp_model(sizes=(256, 512, 512, 10)):
    rng = np.random.default_rng(2)
    nodes, inits = [], []
    x = "input"
    for i in range(len(sizes) - 1):
        k, n = sizes[i], sizes[i + 1]
        w = rng.normal(0, 1 / np.sqrt(k), (n, k)).astype(np.float32)
        b = rng.normal(0, 0.1, n).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"fc{i}_w"), numpy_helper.from_array(b, f"fc{i}_b")]
        y = f"fc{i}" if i < len(sizes) - 2 else "output"
        nodes.append(helper.make_node("Gemm", [x, f"fc{i}_w", f"fc{i}_b"], [y], name=f"fc{i}",
                                      transB=1))
        if i < len(sizes) - 2:
            inits += bn_params(f"bn{i}", n, rng)
            nodes.append(helper.make_node("BatchNormalization",
                                          [y] + [f"bn{i}_{s}" for s in ("scale", "bias", "mean", "var")],
                                          [f"bn{i}"], name=f"bn{i}", epsilon=1e-5))
            nodes.append(helper.make_node("Relu", [f"bn{i}"], [f"relu{i}"], name=f"relu{i}"))
            x = f"relu{i}"
    g = helper.make_graph(nodes, "mlp",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", sizes[0]])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", sizes[-1]])],
                          inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, m in (("bn_1x64x112x112", bn_model([1, 64, 112, 112])),
                    ("bn_8x256x56x56", bn_model([8, 256, 56, 56])),
                    ("mlp_256_512_512_10", mlp_model())):
        m.ir_version = 8
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(out, name + ".onnx"))
        print(os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
