#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make_qdq.py — a small QDQ CNN with BatchNormalization and its float64 numpy reference.

  x (float) -> Q/DQ -> Conv(W1 = DQ(Q(float W1)), per-channel) -> BN -> Relu -> Q/DQ
            -> Conv(W2 = DQ(int8 W2), per-channel, stride 2) -> BN -> Q/DQ -> y (float)

The first weight is the form a quantization tool leaves before export (a float constant through
QuantizeLinear and DequantizeLinear), the second the stored int8 form. Activations go through
uint8 QuantizeLinear/DequantizeLinear pairs with per-tensor scales.

  make_qdq.py DIR            writes DIR/model.onnx and DIR/test_data_set_0 (the reference)
  make_qdq.py --check CLI    writes them to a temporary folder, then: `CLI test` must pass within
                             one output quantization step (see ATOL_STEPS), `CLI fuse` must fold
                             both BatchNormalizations keeping every QuantizeLinear/
                             DequantizeLinear pair, and the fused model must pass the same data.

Tolerance: the reference is float64, the runtime float32. A value that lands within float32
rounding of a rounding boundary of a QuantizeLinear can round the other way, which moves that
element by one step of its grid; the output grid step is OUT_SCALE, so outputs may differ by one
step of it (atol = 1.01 steps, rtol 0), never more in this model (the layers after a flipped
activation move by far less than a step). Everything else is exact.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT_SCALE = 0.05
ATOL_STEPS = 1.01


def q(x, s, z, lo=0, hi=255, axis=None):
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, z = np.reshape(s, shape), np.reshape(z, shape)
    return np.clip(np.rint(x / s) + z, lo, hi)


def dq(v, s, z, axis=None):
    if axis is not None:
        shape = [1] * v.ndim
        shape[axis] = -1
        s, z = np.reshape(s, shape), np.reshape(z, shape)
    return (v - z) * s


def conv(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def bn(x, g, b, mean, var, eps=1e-5):
    sh = (1, -1, 1, 1)
    return (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * g.reshape(sh) + b.reshape(sh)


def build():
    rng = np.random.default_rng(7)
    C0, C1, C2 = 3, 8, 6
    x = rng.standard_normal((2, C0, 12, 12)).astype(np.float32)
    w1 = (rng.standard_normal((C1, C0, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(C1) * 0.1).astype(np.float32)
    w1s = (np.abs(w1).reshape(C1, -1).max(1) / 127).astype(np.float32)
    w2f = rng.standard_normal((C2, C1, 3, 3)) * 0.2
    w2s = (np.abs(w2f).reshape(C2, -1).max(1) / 127).astype(np.float32)
    w2q = np.clip(np.rint(w2f / w2s.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
    bnp = []
    for c in (C1, C2):
        g = rng.uniform(0.5, 1.5, c).astype(np.float32)
        g[0] = -g[0]  # a negative BN scale: the fold must flip the weight's sign
        bnp.append((g, (rng.standard_normal(c) * 0.1).astype(np.float32),
                    (rng.standard_normal(c) * 0.1).astype(np.float32),
                    rng.uniform(0.5, 2.0, c).astype(np.float32)))
    xs, xz, a1s, a1z = np.float32(0.03), np.uint8(128), np.float32(0.04), np.uint8(0)
    ys, yz = np.float32(OUT_SCALE), np.uint8(128)

    inits = [numpy_helper.from_array(np.array(v), n) for n, v in
             [("xs", xs), ("xz", xz), ("a1s", a1s), ("a1z", a1z), ("ys", ys), ("yz", yz)]]
    inits += [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w1s, "w1s"),
              numpy_helper.from_array(np.zeros(C1, np.int8), "w1z"), numpy_helper.from_array(b1, "b1"),
              numpy_helper.from_array(w2q, "w2q"), numpy_helper.from_array(w2s, "w2s"),
              numpy_helper.from_array(np.zeros(C2, np.int8), "w2z")]
    for i, (g, b, m, v) in enumerate(bnp, 1):
        inits += [numpy_helper.from_array(a, f"bn{i}_{k}") for k, a in
                  zip(("g", "b", "m", "v"), (g, b, m, v))]
    N = helper.make_node
    nodes = [
        N("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q_x"),
        N("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dq_x"),
        N("QuantizeLinear", ["w1", "w1s", "w1z"], ["w1q"], name="q_w1", axis=0),
        N("DequantizeLinear", ["w1q", "w1s", "w1z"], ["w1d"], name="dq_w1", axis=0),
        N("Conv", ["xd", "w1d", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        N("BatchNormalization", ["c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v"], ["n1"], name="bn1"),
        N("Relu", ["n1"], ["r1"], name="relu1"),
        N("QuantizeLinear", ["r1", "a1s", "a1z"], ["r1q"], name="q_r1"),
        N("DequantizeLinear", ["r1q", "a1s", "a1z"], ["r1d"], name="dq_r1"),
        N("DequantizeLinear", ["w2q", "w2s", "w2z"], ["w2d"], name="dq_w2", axis=0),
        N("Conv", ["r1d", "w2d"], ["c2"], name="conv2", pads=[1, 1, 1, 1], strides=[2, 2]),
        N("BatchNormalization", ["c2", "bn2_g", "bn2_b", "bn2_m", "bn2_v"], ["n2"], name="bn2"),
        N("QuantizeLinear", ["n2", "ys", "yz"], ["yq"], name="q_y"),
        N("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="dq_y"),
    ]
    graph = helper.make_graph(nodes, "qdq_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, C0, 12, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, C2, 6, 6])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_qdq.py")
    model.ir_version = 7
    onnx.checker.check_model(model)

    # the reference, float64 throughout; the quantized parameters as the model stores them
    f = np.float64
    xd = dq(q(x.astype(f), f(xs), f(xz)), f(xs), f(xz))
    w1d = dq(q(w1.astype(f), w1s.astype(f), 0, -128, 127, axis=0), w1s.astype(f), 0, axis=0)
    c1 = conv(xd, w1d, b1.astype(f), 1, 1)
    r1 = np.maximum(bn(c1, *[a.astype(f) for a in bnp[0]]), 0)
    r1d = dq(q(r1, f(a1s), f(a1z)), f(a1s), f(a1z))
    w2d = dq(w2q.astype(f), w2s.astype(f), 0, axis=0)
    c2 = conv(r1d, w2d, np.zeros(C2), 2, 1)
    n2 = bn(c2, *[a.astype(f) for a in bnp[1]])
    y = dq(q(n2, f(ys), f(yz)), f(ys), f(yz)).astype(np.float32)
    return model, x, y


def write(d):
    model, x, y = build()
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for name, arr, fn in (("x", x, "input_0.pb"), ("y", y, "output_0.pb")):
        with open(os.path.join(d, "test_data_set_0", fn), "wb") as fh:
            fh.write(numpy_helper.from_array(arr, name).SerializeToString())


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    print("$", " ".join(cmd))
    print(p.stdout + p.stderr, end="")
    return p


def check(cli):
    atol = str(ATOL_STEPS * OUT_SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        case = os.path.join(tmp, "qdq_cnn")
        write(case)
        ok = "1 passed, 0 failed, 0 skipped" in run([cli, "test", case, "--rtol", "0", "--atol", atol]).stdout
        fused = os.path.join(tmp, "fused", "qdq_cnn")
        os.makedirs(fused)
        os.symlink(os.path.join(case, "test_data_set_0"), os.path.join(fused, "test_data_set_0"))
        p = run([cli, "fuse", os.path.join(case, "model.onnx"), os.path.join(fused, "model.onnx")])
        ok &= p.returncode == 0
        m = onnx.load(os.path.join(fused, "model.onnx"))
        ops = [n.op_type for n in m.graph.node]
        print("fused:", " ".join(ops))
        if "BatchNormalization" in ops:
            print("FAIL: a BatchNormalization is left")
            ok = False
        if ops.count("QuantizeLinear") != 4 or ops.count("DequantizeLinear") != 5:
            print("FAIL: the QuantizeLinear/DequantizeLinear pairs were not kept (4 and 5 expected)")
            ok = False
        ok &= "1 passed, 0 failed, 0 skipped" in run([cli, "test", fused, "--rtol", "0", "--atol", atol]).stdout
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write(sys.argv[1])
