#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# fuse_cases.py — one small model per BatchNormalization fold and per precondition that must block
# one; runs `onnxbn fuse --verify --report json` on it and checks the report, the ONNX checker, an
# unchanged graph where a fold is blocked, and the outputs against a numpy reference (npref.py).
#
#   fuse_cases.py --onnxbn build/onnxbn --work DIR CASE...   run cases (exit 0, 1, or 77: skipped)
#   fuse_cases.py --list                                     the case names
#   fuse_cases.py --onnxbn ... --work DIR --all              every case, kept in DIR/<case>/
import argparse
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    import onnx.checker
    import onnx.helper as H
    import onnx.numpy_helper
    from onnx import TensorProto as TP
except ImportError as e:  # pragma: no cover
    print(f"SKIP: needs numpy and onnx ({e}); use /usr/bin/python3")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npref  # noqa: E402
import vicheck  # noqa: E402


class B:
    """A model under construction: nodes, initializers, inputs and outputs, random weights."""

    def __init__(self, seed, opset=13, ir=8):
        self.rng = np.random.default_rng(seed)
        self.opset, self.ir = opset, ir
        self.nodes, self.inits, self.inputs, self.outputs, self.vi = [], [], [], [], []

    def init(self, name, arr):
        self.inits.append(onnx.numpy_helper.from_array(np.asarray(arr), name))
        return name

    def w(self, name, shape, scale=0.5, dtype=np.float32):
        return self.init(name, (self.rng.standard_normal(shape) * scale).astype(dtype))

    def bn_params(self, p, c, dtypes=(np.float32,) * 4, eps_safe=True):
        r = self.rng
        sign = np.where(r.random(c) < 0.3, -1.0, 1.0)
        vals = [sign * (r.random(c) * 1.5 + 0.5), r.random(c) * 2 - 1, r.random(c) * 4 - 2,
                r.random(c) * 3.75 + 0.25]
        names = [f"{p}.scale", f"{p}.B", f"{p}.mean", f"{p}.var"]
        return [self.init(n, v.astype(d)) for n, v, d in zip(names, vals, dtypes)]

    def bn(self, name, x, y, c, params=None, outputs=None, **attrs):
        params = params or self.bn_params(name, c)
        self.node("BatchNormalization", [x] + params, outputs or [y], name, **attrs)
        return y

    def node(self, op, ins, outs, name=None, **attrs):
        self.nodes.append(H.make_node(op, ins, outs, name=name, **attrs))
        return outs[0]

    def input(self, name, shape, dt=TP.FLOAT):
        self.inputs.append(H.make_tensor_value_info(name, dt, shape))
        return name

    def output(self, name, shape=None, dt=TP.FLOAT):
        self.outputs.append((name, dt, shape))

    def model(self, inits_as_inputs=False):
        inputs = list(self.inputs)
        if inits_as_inputs:
            inputs += [H.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.inits]

        def build(outputs):
            g = H.make_graph(self.nodes, "g", inputs, outputs, self.inits, value_info=self.vi)
            return H.make_model(g, opset_imports=[H.make_opsetid("", self.opset)],
                                ir_version=self.ir, producer_name="onnxbn-tests")
        # The checker wants output shapes: numpy tells them (or the case gives them).
        m = build([H.make_tensor_value_info(n, dt, s) for n, dt, s in self.outputs])
        if any(s is None for _, _, s in self.outputs):
            ref = npref.run(m, feeds_for(m, np.random.default_rng(0)))
            m = build([H.make_tensor_value_info(n, dt, list(ref[n].shape) if s is None else s)
                       for n, dt, s in self.outputs])
        return m


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def folded(**kw):
    """Expectation helper: bn name -> (kind, node)."""
    return kw


# ---- folds into the layer before ----

def _conv_bn(seed, x_shape, w_shape, bias=True, **attrs):
    b = B(seed)
    b.input("x", list(x_shape))
    ins = ["x", b.w("W", w_shape)]
    if bias:
        ins.append(b.w("b", [w_shape[0]]))
    b.node("Conv", ins, ["c"], "conv", **attrs)
    b.bn("bn", "c", "y", w_shape[0], epsilon=1e-3)
    b.output("y")
    return b


@case
def conv2d_bias():
    return dict(model=_conv_bn(1, (2, 3, 8, 8), (4, 3, 3, 3), pads=[1, 1, 1, 1]).model(),
                folded={"bn": ("Conv+BN", "conv")})


@case
def conv2d_nobias():
    return dict(model=_conv_bn(2, (2, 3, 9, 9), (5, 3, 3, 3), bias=False, strides=[2, 2]).model(),
                folded={"bn": ("Conv+BN", "conv")})


@case
def conv1d():
    return dict(model=_conv_bn(3, (2, 3, 10), (5, 3, 3)).model(), folded={"bn": ("Conv+BN", "conv")})


@case
def conv3d():
    return dict(model=_conv_bn(4, (1, 2, 4, 5, 6), (3, 2, 2, 2, 2), pads=[1] * 6).model(),
                folded={"bn": ("Conv+BN", "conv")})


@case
def conv_group():
    return dict(model=_conv_bn(5, (2, 4, 6, 6), (6, 2, 3, 3), group=2).model(),
                folded={"bn": ("Conv+BN", "conv")})


@case
def conv_depthwise():
    return dict(model=_conv_bn(6, (2, 4, 6, 6), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1]).model(),
                folded={"bn": ("Conv+BN", "conv")})


def _convt_bn(seed, x_shape, w_shape, group, bias):
    b = B(seed)
    b.input("x", list(x_shape))
    ins = ["x", b.w("W", w_shape)]
    m = w_shape[1] * group
    if bias:
        ins.append(b.w("b", [m]))
    b.node("ConvTranspose", ins, ["c"], "convt", group=group, strides=[2, 2], pads=[1, 1, 0, 0])
    b.bn("bn", "c", "y", m)
    b.output("y")
    return b.model()


@case
def convtranspose():
    return dict(model=_convt_bn(7, (2, 3, 5, 5), (3, 4, 3, 3), 1, False),
                folded={"bn": ("ConvTranspose+BN", "convt")})


@case
def convtranspose_group():
    # C_in = 4 in 2 groups, M/g = 3: output channel of W[i, j] is (i // 2) * 3 + j.
    return dict(model=_convt_bn(8, (2, 4, 5, 5), (4, 3, 3, 3), 2, True),
                folded={"bn": ("ConvTranspose+BN", "convt")})


def _gemm_bn(seed, c_shape, trans_b=0, alpha=0.7, beta=1.3, opset=13):
    b = B(seed, opset=opset)
    m, k, n = 3, 5, 4
    b.input("x", [m, k])
    ins = ["x", b.w("W", [n, k] if trans_b else [k, n])]
    if c_shape is not None:
        ins.append(b.w("C", c_shape))
    attrs = dict(alpha=alpha, beta=beta, transB=trans_b)
    if opset < 7:
        attrs["broadcast"] = 1
    b.node("Gemm", ins, ["g"], "gemm", **attrs)
    b.bn("bn", "g", "y", n, is_test=1) if opset < 7 else b.bn("bn", "g", "y", n)
    b.output("y")
    return b.model()


@case
def gemm_transb():
    return dict(model=_gemm_bn(9, [4], trans_b=1, alpha=1.0, beta=1.0), folded={"bn": ("Gemm+BN", "gemm")})


for _name, _shape in [("absent", None), ("scalar", []), ("1", [1]), ("n", [4]), ("1n", [1, 4]),
                      ("m1", [3, 1]), ("mn", [3, 4]), ("11", [1, 1])]:
    def _make(shape=_shape, seed=10 + len(CASES)):
        return dict(model=_gemm_bn(seed, shape), folded={"bn": ("Gemm+BN", "gemm")})
    _make.__name__ = f"gemm_beta_c_{_name}"
    case(_make)


@case
def gemm_opset6():
    return dict(model=_gemm_bn(30, [4], opset=6), folded={"bn": ("Gemm+BN", "gemm")})


@case
def matmul_bn():
    b = B(31)
    b.input("x", [3, 5])
    b.node("MatMul", ["x", b.w("W", [5, 4])], ["m"], "mm")
    b.bn("bn", "m", "y", 4)
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("MatMul+BN", "mm")}, ops_after={"Gemm": 1})


def _matmul_add_bn(seed, c_shape, reverse):
    b = B(seed)
    b.input("x", [3, 5])
    b.node("MatMul", ["x", b.w("W", [5, 4])], ["m"], "mm")
    c = b.w("c", c_shape)
    b.node("Add", [c, "m"] if reverse else ["m", c], ["a"], "add")
    b.bn("bn", "a", "y", 4)
    b.output("y")
    return b.model()


@case
def matmul_add_bn():
    return dict(model=_matmul_add_bn(32, [4], False), folded={"bn": ("MatMul+Add+BN", "mm")},
                ops_after={"MatMul": 1, "Add": 1})


@case
def matmul_add_bn_reversed():
    return dict(model=_matmul_add_bn(33, [3, 4], True), folded={"bn": ("MatMul+Add+BN", "mm")})


@case
def matmul_rank3_left():
    # (2,3,5) @ (5,4) = (2,3,4): BN's channel axis 1 has 3 entries, not the MatMul's 4 columns.
    b = B(34)
    b.input("x", [2, 3, 5])
    b.node("MatMul", ["x", b.w("W", [5, 4])], ["m"], "mm")
    b.bn("bn", "m", "y", 3)
    b.output("y")
    return dict(model=b.model(), left={"bn": "rank 3"}, unchanged=True)


# ---- folds into the layer after ----

@case
def mlp_bn_after_relu():
    b = B(40)
    b.input("x", [3, 5])
    b.node("Gemm", ["x", b.w("W1", [8, 5]), b.w("b1", [8])], ["h"], "fc1", transB=1)
    b.node("Relu", ["h"], ["r"], "relu")
    b.bn("bn", "r", "n", 8)
    b.node("Gemm", ["n", b.w("W2", [3, 8]), b.w("b2", [3])], ["y"], "fc2", transB=1)
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("BN+Gemm", "fc2")})


@case
def bn_then_gemm_alpha_beta_cmn():
    b = B(41)
    b.input("x", [3, 5])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", 5)
    b.node("Gemm", ["n", b.w("W", [5, 4]), b.w("C", [3, 4])], ["y"], "fc", alpha=0.5, beta=2.0)
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("BN+Gemm", "fc")})


@case
def bn_then_matmul():
    b = B(42)
    b.input("x", [3, 5])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", 5)
    b.node("MatMul", ["n", b.w("W", [5, 4])], ["y"], "mm")
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("BN+MatMul", "mm")}, ops_after={"Gemm": 1})


def _bn_conv(seed, w_shape, x_shape, **attrs):
    b = B(seed)
    b.input("x", list(x_shape))
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", x_shape[1])
    b.node("Conv", ["n", b.w("W", w_shape), b.w("b", [w_shape[0]])], ["y"], "conv", **attrs)
    b.output("y")
    return b.model()


@case
def bn_then_conv_unpadded():
    return dict(model=_bn_conv(43, (6, 4, 3, 3), (2, 4, 7, 7), strides=[2, 2]),
                folded={"bn": ("BN+Conv", "conv")})


@case
def bn_then_conv_group_valid():
    return dict(model=_bn_conv(44, (6, 2, 3, 3), (2, 4, 7, 7), group=2, auto_pad="VALID"),
                folded={"bn": ("BN+Conv", "conv")})


@case
def bn_then_padded_conv_left():
    return dict(model=_bn_conv(45, (6, 4, 3, 3), (2, 4, 7, 7), pads=[1, 1, 1, 1]),
                left={"bn": "pads with zeros"}, unchanged=True)


@case
def bn_then_same_padded_conv_left():
    return dict(model=_bn_conv(46, (6, 4, 3, 3), (2, 4, 7, 7), auto_pad="SAME_UPPER"),
                left={"bn": "auto_pad=SAME_UPPER"}, unchanged=True)


@case
def bn_then_convtranspose_left():
    b = B(47)
    b.input("x", [2, 4, 5, 5])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", 4)
    b.node("ConvTranspose", ["n", b.w("W", [4, 3, 3, 3])], ["y"], "convt")
    b.output("y")
    return dict(model=b.model(), left={"bn": "ConvTranspose"}, unchanged=True)


@case
def bn_then_gemm_transa_left():
    b = B(48)
    b.input("x", [5, 3])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", 3)
    b.node("Gemm", ["n", b.w("W", [5, 4])], ["y"], "fc", transA=1)
    b.output("y")
    return dict(model=b.model(), left={"bn": "transA=1"}, unchanged=True)


# ---- chains ----

@case
def chain_conv_bn_bn():
    b = B(50)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn1", "c", "n1", 4)
    b.bn("bn2", "n1", "y", 4)
    b.output("y")
    return dict(model=b.model(), folded={"bn1": ("Conv+BN", "conv"), "bn2": ("Conv+BN", "conv")})


@case
def chain_matmul_add_bn_bn():
    b = B(51)
    b.input("x", [3, 5])
    b.node("MatMul", ["x", b.w("W", [5, 4])], ["m"], "mm")
    b.node("Add", ["m", b.w("c", [4])], ["a"], "add")
    b.bn("bn1", "a", "n1", 4)
    b.bn("bn2", "n1", "y", 4)
    b.output("y")
    return dict(model=b.model(),
                folded={"bn1": ("MatMul+Add+BN", "mm"), "bn2": ("MatMul+Add+BN", "mm")})


@case
def chain_blocks():
    b = B(52)
    b.input("x", [2, 3, 9, 9])
    b.node("Conv", ["x", b.w("W1", [4, 3, 3, 3])], ["c1"], "conv1", pads=[1, 1, 1, 1])
    b.bn("bn1", "c1", "n1", 4)
    b.node("Relu", ["n1"], ["r1"], "relu1")
    b.bn("bn2", "r1", "n2", 4)
    b.node("Conv", ["n2", b.w("W2", [5, 4, 3, 3]), b.w("b2", [5])], ["c2"], "conv2")
    b.bn("bn3", "c2", "y", 5)
    b.output("y")
    return dict(model=b.model(), folded={"bn1": ("Conv+BN", "conv1"), "bn2": ("BN+Conv", "conv2"),
                                         "bn3": ("Conv+BN", "conv2")})


# ---- preconditions that block ----

@case
def training_mode_left():
    b = B(60, opset=15)
    b.input("x", [4, 3, 5, 5])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y", 4, outputs=["y", "running_mean", "running_var"], training_mode=1)
    b.output("y")
    return dict(model=b.model(), left={"bn": "training_mode=1"}, unchanged=True)


@case
def is_test_0_left():
    b = B(61, opset=6)
    b.input("x", [4, 3, 5, 5])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y", 4, is_test=0)
    b.output("y")
    return dict(model=b.model(), left={"bn": "is_test=0"}, unchanged=True)


@case
def bn9_statistics_outputs_left():
    b = B(62, opset=9)
    b.input("x", [4, 3, 5, 5])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y", 4, outputs=["y", "mean", "var", "saved_mean", "saved_var"])
    b.output("y")
    return dict(model=b.model(), left={"bn": "training mode"}, unchanged=True)


@case
def bn_output_read_twice_after_relu_left():
    b = B(63)
    b.input("x", [2, 4, 5, 5])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", 4)
    b.node("Relu", ["n"], ["y1"], "relu2")
    b.node("Sigmoid", ["n"], ["y2"], "sig")
    b.output("y1")
    b.output("y2")
    return dict(model=b.model(), left={"bn": "single reader"}, unchanged=True)


@case
def bn_output_read_twice_after_conv():
    # Folding into the Conv before is exact whatever reads the BN output: it keeps its name.
    b = B(64)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["y1"], "relu")
    b.node("Sigmoid", ["n"], ["y2"], "sig")
    b.output("y1")
    b.output("y2")
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")})


@case
def bn_graph_output_after_relu_left():
    b = B(65)
    b.input("x", [2, 4, 5, 5])
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "y", 4)
    b.output("y")
    return dict(model=b.model(), left={"bn": "graph output"}, unchanged=True)


@case
def bn_graph_output_after_conv():
    b = B(66)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y", 4)
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")})


@case
def conv_output_read_twice_left():
    b = B(67)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y1", 4)
    b.node("Relu", ["c"], ["y2"], "relu")
    b.output("y1")
    b.output("y2")
    return dict(model=b.model(), left={"bn": "other readers"}, unchanged=True)


@case
def weight_shared_by_two_convs():
    # conv1 → BN is folded with a new weight; conv2 keeps reading the original one, unchanged.
    b = B(68)
    b.input("x", [2, 3, 6, 6])
    w = b.w("W", [4, 3, 3, 3])
    b.node("Conv", ["x", w], ["c1"], "conv1")
    b.bn("bn", "c1", "y1", 4)
    b.node("Conv", ["x", w], ["y2"], "conv2")
    b.output("y1")
    b.output("y2")
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv1")}, shared_kept=("conv2", "W"))


@case
def weight_shared_both_folded():
    b = B(69)
    b.input("x", [2, 3, 6, 6])
    w = b.w("W", [4, 3, 3, 3])
    b.node("Conv", ["x", w], ["c1"], "conv1")
    b.bn("bn1", "c1", "y1", 4)
    b.node("Conv", ["x", w], ["c2"], "conv2")
    b.bn("bn2", "c2", "y2", 4)
    b.output("y1")
    b.output("y2")
    return dict(model=b.model(), folded={"bn1": ("Conv+BN", "conv1"), "bn2": ("Conv+BN", "conv2")},
                gone=["W"])


@case
def param_is_graph_input_left():
    b = B(70)
    b.input("x", [2, 3, 6, 6])
    b.input("mean", [4])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    p = b.bn_params("bn", 4)
    b.inits = [t for t in b.inits if t.name != "bn.mean"]
    b.bn("bn", "c", "y", 4, params=[p[0], p[1], "mean", p[3]])
    b.output("y")
    return dict(model=b.model(), left={"bn": "graph input, not a constant"}, unchanged=True)


@case
def param_overridable_initializer_left():
    b = B(71)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "y", 4)
    b.inputs.append(H.make_tensor_value_info("bn.var", TP.FLOAT, [4]))
    b.output("y")
    return dict(model=b.model(), left={"bn": "may override"}, unchanged=True)


@case
def ir3_initializers_as_inputs():
    b = B(72, opset=7, ir=3)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3]), b.w("b", [4])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["y"], "relu")
    b.output("y")
    return dict(model=b.model(inits_as_inputs=True), folded={"bn": ("Conv+BN", "conv")},
                note="IR version 3", gone=["W", "b", "bn.scale", "bn.B", "bn.mean", "bn.var"])


@case
def bn15_mixed_types():
    b = B(73, opset=15)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    p = b.bn_params("bn", 4, dtypes=(np.float64, np.float64, np.float16, np.float16))
    b.bn("bn", "c", "y", 4, params=p)
    b.output("y")
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")}, weight_type=("conv", TP.FLOAT))


@case
def zero_variance_left():
    b = B(74)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    p = b.bn_params("bn", 4)
    b.inits = [t for t in b.inits if t.name != "bn.var"]
    b.init("bn.var", np.array([1, 0, 1, 1], np.float32))
    b.bn("bn", "c", "y", 4, params=p, epsilon=0.0)
    b.output("y")
    return dict(model=b.model(), left={"bn": "not positive"}, unchanged=True, numeric=False)


@case
def float16_overflow_left():
    b = B(75)
    b.input("x", [3, 5], TP.FLOAT16)
    b.node("Gemm", ["x", b.init("W", np.full((5, 4), 3000, np.float16))], ["g"], "gemm")
    p = [b.init("bn.scale", np.full(4, 100, np.float16)), b.init("bn.B", np.zeros(4, np.float16)),
         b.init("bn.mean", np.zeros(4, np.float16)), b.init("bn.var", np.full(4, 0.01, np.float16))]
    b.bn("bn", "g", "y", 4, params=p)
    b.output("y", [3, 4], dt=TP.FLOAT16)
    return dict(model=b.model(), left={"bn": "not be finite in float16"}, unchanged=True,
                verify=False, numeric=False)


@case
def subgraph_reads_left():
    # An If branch reads the Conv output and the BN output from the outer scope: the index of the
    # main graph does not see those reads, the converter must.
    b = B(76)
    b.input("x", [2, 3, 6, 6])
    b.input("cond", [], TP.BOOL)
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    then_g = H.make_graph([H.make_node("Identity", ["c"], ["t"])], "then", [],
                          [H.make_tensor_value_info("t", TP.FLOAT, None)])
    else_g = H.make_graph([H.make_node("Identity", ["n"], ["e"])], "else", [],
                          [H.make_tensor_value_info("e", TP.FLOAT, None)])
    b.node("If", ["cond"], ["y"], "if", then_branch=then_g, else_branch=else_g)
    b.output("y", [2, 4, 4, 4])
    return dict(model=b.model(), left={"bn": "subgraph"}, unchanged=True, verify=False,
                numeric=False)


# ---- standalone BN, clean-up, preservation ----

def _standalone(seed, shape):
    b = B(seed)
    b.input("x", list(shape))
    b.node("Relu", ["x"], ["r"], "relu")
    b.bn("bn", "r", "n", shape[1])
    b.node("Sigmoid", ["n"], ["y"], "sig")
    b.output("y")
    return b.model()


@case
def standalone_bn_left():
    return dict(model=_standalone(80, (2, 4, 5, 5)), left={"bn": "is not Gemm, MatMul or Conv"},
                unchanged=True)


@case
def standalone_bn_to_affine():
    return dict(model=_standalone(81, (2, 4, 5, 5)), args=["--bn-to-affine"],
                converted=["bn"], ops_after={"Mul": 1, "Add": 1})


@case
def standalone_bn_to_affine_rank2():
    return dict(model=_standalone(82, (3, 6)), args=["--bn-to-affine"], converted=["bn"])


@case
def cleanup_constant_identity_dropout():
    b = B(83)
    b.input("x", [2, 3, 6, 6])
    b.node("Identity", ["x"], ["xi"], "id")
    b.node("Conv", ["xi", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    p = b.bn_params("bn", 4)
    mean = next(t for t in b.inits if t.name == "bn.mean")
    b.inits.remove(mean)
    b.node("Constant", [], ["bn.mean"], "const", value=mean)
    b.bn("bn", "c", "n", 4, params=p)
    b.node("Dropout", ["n"], ["d", "mask"], "drop")
    b.node("Relu", ["d"], ["y"], "relu")
    b.output("y")
    b.vi.append(H.make_tensor_value_info("c", TP.FLOAT, [2, 4, 4, 4]))
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")},
                stats={"identity_removed": 1, "dropout_removed": 1, "constants_folded": 1,
                       "value_info_pruned": 0},
                ops_after={"Conv": 1, "Relu": 1}, no_value_info=["c"])


@case
def preserve_everything_else():
    b = B(84)
    b.input("x", [2, 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["y1"], "relu")
    b.node("Sigmoid", ["n"], ["y0"], "sig")
    b.output("y1")
    b.output("y0")
    b.vi.append(H.make_tensor_value_info("n", TP.FLOAT, [2, 4, 4, 4]))
    m = b.model()
    m.doc_string = "model doc"
    m.graph.doc_string = "graph doc"
    m.graph.node[2].doc_string = "relu doc"
    m.model_version = 7
    m.domain = "org.example"
    H.set_model_props(m, {"author": "tests", "license": "none"})
    return dict(model=m, folded={"bn": ("Conv+BN", "conv")}, preserve=True)


# ---- value_info: what fuse writes for the intermediate tensors ----

def _symbolic(seed):
    b = B(seed)
    b.input("x", ["N", 3, 6, 6])
    b.node("Conv", ["x", b.w("W", [4, 3, 3, 3])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["r"], "relu")
    b.node("Flatten", ["r"], ["f"], "flat")
    b.node("Gemm", ["f", b.w("G", [5, 64])], ["y"], "fc", transB=1)
    b.output("y", ["N", 5])
    return b.model()


@case
def shapes_symbolic_batch():
    # n, r as [N, 4, 4, 4] and f as [N, 64]: the batch stays a dim_param, the rest numbers.
    return dict(model=_symbolic(90), folded={"bn": ("Conv+BN", "conv")},
                value_info={"n": [1, ["N", 4, 4, 4]], "r": [1, ["N", 4, 4, 4]], "f": [1, ["N", 64]]})


@case
def shapes_off():
    return dict(model=_symbolic(91), folded={"bn": ("Conv+BN", "conv")}, args=["--no-shapes"])


@case
def shapes_dynamic_left():
    # NonZero's output and what is computed from it are known only at run time: no entry, never
    # a guess; the Relu beside them gets its entry.
    b = B(92)
    b.input("x", [2, 3, 4, 4])
    b.node("Conv", ["x", b.w("W", [4, 3, 1, 1])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["r"], "relu")
    b.node("NonZero", ["r"], ["nz"], "nonzero")
    b.node("Transpose", ["nz"], ["t"], "tr")
    b.node("Shape", ["t"], ["s"], "shape")
    b.node("Sigmoid", ["r"], ["y"], "sig")
    b.output("y", [2, 4, 4, 4])
    b.output("s", [2], TP.INT64)
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")}, numeric=False,
                dynamic=["nz", "t"], value_info={"r": [1, [2, 4, 4, 4]]})


@case
def shapes_sequence_left():
    # A sequence planned whole (SequenceConstruct of planned tensors) has a block size, not a
    # tensor shape: no entry for it; SequenceAt's output is known only at run time.
    b = B(93)
    b.input("x", [2, 3, 4, 4])
    b.node("Conv", ["x", b.w("W", [4, 3, 1, 1])], ["c"], "conv")
    b.bn("bn", "c", "n", 4)
    b.node("Relu", ["n"], ["r"], "relu")
    b.node("SequenceConstruct", ["r", "r"], ["s"], "seq")
    b.node("SequenceAt", ["s", b.init("i0", np.array(1, dtype=np.int64))], ["a"], "at")
    b.node("Sigmoid", ["a"], ["y"], "sig")
    b.output("y", [2, 4, 4, 4])
    return dict(model=b.model(), folded={"bn": ("Conv+BN", "conv")}, numeric=False,
                dynamic=["s", "a"], value_info={"r": [1, [2, 4, 4, 4]]})


# ---- the runner ----

UNKNOWN = b"\xf8\x06\x2a"  # field 111, varint 42: a field this ONNX does not know


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def feeds_for(model, rng):
    inits = {t.name for t in model.graph.initializer}
    out = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 2 for d in tt.shape.dim]
        if tt.elem_type == TP.BOOL:
            out[vi.name] = np.array(True).reshape(shape)
            continue
        dt = {TP.FLOAT: np.float32, TP.FLOAT16: np.float16, TP.DOUBLE: np.float64}[tt.elem_type]
        out[vi.name] = rng.standard_normal(shape).astype(dt)
    return out


def max_rel(a, ref):
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return float(np.max(np.abs(a - ref))) / (scale if scale else 1.0)


def onnxbn_outputs(exe, path, feeds, work, tag):
    args = [exe, "run", path]
    for k, v in feeds.items():
        f = os.path.join(work, f"{tag}_{k}.npy")
        np.save(f, v)
        args.append(f"{k}={f}")
    outdir = os.path.join(work, f"{tag}_out")
    args += ["-o", outdir, "--npy"]
    r = run(args)
    if r.returncode:
        raise AssertionError(f"onnxbn run {path} failed: {r.stderr.strip()}")
    return outdir


def check_case(name, exe, work):
    spec = CASES[name]()
    model = spec["model"]
    os.makedirs(work, exist_ok=True)
    onnx.checker.check_model(model)  # the test model itself must be valid
    src, dst = os.path.join(work, "in.onnx"), os.path.join(work, "out.onnx")
    data = model.SerializeToString()
    if spec.get("preserve"):
        data += UNKNOWN
    with open(src, "wb") as f:
        f.write(data)

    cmd = [exe, "fuse", src, dst, "--report", "json"] + spec.get("args", [])
    if spec.get("verify", True):
        cmd.append("--verify")
    r = run(cmd)
    if r.returncode:
        raise AssertionError(f"onnxbn fuse failed ({r.returncode}): {r.stderr.strip()}")
    rep_all = json.loads(r.stdout)
    rep = rep_all["report"]
    if spec.get("verify", True):
        assert rep_all["verify_ok"], rep_all["verify"]

    # The report: every BN of the model, with what was expected of it.
    bn_names = [n.name for n in model.graph.node if n.op_type == "BatchNormalization"]
    entries = {e["bn"]: e for e in rep["entries"]}
    assert sorted(entries) == sorted(bn_names), (entries.keys(), bn_names)
    for bn, (kind, node) in spec.get("folded", {}).items():
        e = entries[bn]
        assert (e["action"], e["kind"], e["node"]) == ("folded", kind, node), e
    for bn, why in spec.get("left", {}).items():
        e = entries[bn]
        assert e["action"] == "left" and why in e["reason"], e
    for bn in spec.get("converted", []):
        assert entries[bn]["action"] == "converted", entries[bn]
    n_left = len(spec.get("left", {}))
    assert rep["bn_before"] == len(bn_names) and rep["bn_after"] == n_left, rep
    if "note" in spec:
        assert any(spec["note"] in n for n in rep["notes"]), rep["notes"]
    for k, v in spec.get("stats", {}).items():
        assert rep[k] == v, (k, rep[k], v)

    out_bytes = open(dst, "rb").read()
    fused = onnx.load_from_string(out_bytes)
    onnx.checker.check_model(fused, full_check=True)
    ops = [n.op_type for n in fused.graph.node]
    assert ops.count("BatchNormalization") == n_left, ops
    for op, k in spec.get("ops_after", {}).items():
        assert ops.count(op) == k, (op, ops)
    # Graph outputs keep their names and order; inputs too.
    assert [o.name for o in fused.graph.output] == [o.name for o in model.graph.output]
    assert [i.name for i in fused.graph.input if i.name in {j.name for j in model.graph.input}] == \
        [i.name for i in model.graph.input if i.name in {j.name for j in fused.graph.input}]
    if spec.get("unchanged"):
        # The value_info fuse adds is held against onnx's inference below.
        assert vicheck.without_added(model, fused) == model, "a blocked fold changed the model"
    names = {t.name for t in fused.graph.initializer}
    for g in spec.get("gone", []):
        assert g not in names and g not in {i.name for i in fused.graph.input}, g
    if "shared_kept" in spec:
        node, w = spec["shared_kept"]
        n = next(n for n in fused.graph.node if n.name == node)
        assert n.input[1] == w, n
        orig = next(t for t in model.graph.initializer if t.name == w)
        now = next(t for t in fused.graph.initializer if t.name == w)
        assert np.array_equal(onnx.numpy_helper.to_array(orig), onnx.numpy_helper.to_array(now))
    if "weight_type" in spec:
        node, dt = spec["weight_type"]
        n = next(n for n in fused.graph.node if n.name == node)
        assert all(next(t for t in fused.graph.initializer if t.name == i).data_type == dt
                   for i in n.input[1:]), n
    for v in spec.get("no_value_info", []):
        assert v not in {x.name for x in fused.graph.value_info}, v
    if model.ir_version < 4:
        inputs = {i.name for i in fused.graph.input}
        assert all(t.name in inputs for t in fused.graph.initializer)
    if spec.get("preserve"):
        assert UNKNOWN in out_bytes, "an unknown field was lost"
        for f in ("doc_string", "model_version", "domain", "producer_name", "ir_version"):
            assert getattr(fused, f) == getattr(model, f), f
        assert fused.metadata_props == model.metadata_props
        assert fused.graph.doc_string == model.graph.doc_string
        assert next(n for n in fused.graph.node if n.name == "relu").doc_string == "relu doc"
        assert [v.name for v in vicheck.split(model, fused)[0]] == ["n"]
        assert fused.opset_import == model.opset_import

    # The value_info fuse added: one entry per intermediate tensor (every case plans at fixed
    # shapes), none with --no-shapes, each agreeing with onnx's inference and, when numpy runs
    # the fused model, with the shapes it computes.
    values = None
    if spec.get("numeric", True):
        rng = np.random.default_rng(1234)
        feeds = feeds_for(model, rng)
        values = npref.run(fused, feeds, every_value=True)
    n_added, n_checked = vicheck.check_added(model, fused, values)
    declared = {v.name for v in fused.graph.input} | {v.name for v in fused.graph.output} | \
        {v.name for v in model.graph.value_info} | {t.name for t in fused.graph.initializer}
    inner = {o for n in fused.graph.node for o in n.output if o and o not in declared}
    added = {v.name for v in vicheck.split(model, fused)[1]}
    if "--no-shapes" in spec.get("args", []):
        assert not added, f"--no-shapes added value_info for {sorted(added)}"
    else:
        inner -= set(spec.get("dynamic", []))
        assert added == inner, f"value_info added for {sorted(added)}, intermediates {sorted(inner)}"
        assert n_checked or not n_added, "no added value_info dimension was compared"
    for name, (et, dims) in spec.get("value_info", {}).items():
        vi = next(v for v in fused.graph.value_info if v.name == name)
        got = [d.dim_value if d.HasField("dim_value") else d.dim_param
               for d in vi.type.tensor_type.shape.dim]
        assert (vi.type.tensor_type.elem_type, got) == (et, dims), (name, vi)

    # Outputs: numpy evaluates the original in float64; the fused model (numpy, and onnxbn) and
    # the original (onnxbn) must agree with it.
    if spec.get("numeric", True):
        ref = npref.run(model, feeds)
        got_np = {o.name: values[o.name] for o in fused.graph.output}
        o1 = onnxbn_outputs(exe, src, feeds, work, "orig")
        o2 = onnxbn_outputs(exe, dst, feeds, work, "fused")
        for i, o in enumerate(model.graph.output):
            # Weights rounded once to float32: relative error ~1e-7 of the terms summed.
            e = max_rel(got_np[o.name], ref[o.name])
            assert e < 2e-6, f"numpy on the fused model: output {o.name} off by {e:.3g} (relative)"
            for d in (o1, o2):
                got = np.load(os.path.join(d, f"output_{i}.npy")).astype(np.float64)
                e = max_rel(got, ref[o.name])
                assert e < 1e-4, f"onnxbn ({d}): output {o.name} off by {e:.3g} of max |ref|"
    with open(os.path.join(work, "inputs.json"), "w") as f:
        rng = np.random.default_rng(99)
        json.dump({k: {"dims": list(v.shape), "type": str(v.dtype), "data": v.ravel().tolist()}
                   for k, v in feeds_for(model, rng).items()}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnxbn")
    ap.add_argument("--work")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    names = list(CASES) if a.all else a.cases
    failed = 0
    for n in names:
        if n not in CASES:
            print(f"FAIL {n}: no such case")
            failed += 1
            continue
        try:
            check_case(n, a.onnxbn, os.path.join(a.work, n))
            print(f"PASS {n}")
        except Exception as e:  # report every case, then fail
            print(f"FAIL {n}: {type(e).__name__}: {e}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
