#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# flops.py — multiply-add count of the Conv, Gemm and MatMul nodes of a model at batch 1 (as
# 2·MACs, GFLOP), from ONNX shape inference; for the GFLOP/s column of bench/run.py.
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def gflop(path):
    m = shape_inference.infer_shapes(onnx.load(path))
    g = m.graph
    shapes = {}
    for v in list(g.value_info) + list(g.input) + list(g.output):
        t = v.type.tensor_type
        if t.HasField("shape"):
            shapes[v.name] = [d.dim_value if d.HasField("dim_value") else 1 for d in t.shape.dim]
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    macs = 0
    for n in g.node:
        if n.op_type == "Conv":
            w, y = shapes[n.input[1]], shapes.get(n.output[0])
            macs += int(np.prod(y)) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            a, y = shapes[n.input[0]], shapes.get(n.output[0])
            trans = any(at.name == "transA" and at.i for at in n.attribute)
            k = a[0] if trans and n.op_type == "Gemm" else a[-1]
            macs += int(np.prod(y)) * k
    return 2.0 * macs / 1e9


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{gflop(p):.4f}")
