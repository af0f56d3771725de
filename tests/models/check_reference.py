#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# check_reference.py — recomputes a sample model's test outputs with numpy from its initializers,
# so the reference data in models/ rests on two independent implementations, not torch's alone.
#
# Usage: /usr/bin/python3 tests/models/check_reference.py models/mlp_bn
# Knows the operators of the models made by models/make_models.py and models/export_torch.py
# (Gemm, BatchNormalization, Relu, Conv, ConvTranspose, MaxPool, GlobalAveragePool, Add, Flatten,
# Clip, Constant, Identity). Computes in float64; the stored outputs are torch's float32.
import glob
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper

# float32 Gemm over 32 terms against a float64 reference: a few ulp of the largest partial sum.
# Tight enough that a wrong epsilon (1e-5 for 1e-3) or a missing BN term fails by orders of magnitude.
RTOL = 1e-5
ATOL = 1e-5


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def gemm(node, a, b, c=None):
    at = attrs(node)
    if at.get("transA", 0):
        a = a.T
    if at.get("transB", 0):
        b = b.T
    y = at.get("alpha", 1.0) * (a @ b)
    if c is not None:
        y = y + at.get("beta", 1.0) * c
    return y


def batchnorm(node, x, scale, bias, mean, var):
    at = attrs(node)
    if at.get("training_mode", 0):
        sys.exit(f"node '{node.name}': training_mode BatchNormalization is not handled here")
    # Per-channel parameters broadcast over axis 1 of an (N, C, ...) input.
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = at.get("epsilon", 1e-5)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) \
        + bias.reshape(shape)


def conv_params(node, nd):
    at = attrs(node)
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        sys.exit(f"node '{node.name}' ({node.op_type}): auto_pad is not handled here")
    if "output_shape" in at:
        sys.exit(f"node '{node.name}' ({node.op_type}): output_shape is not handled here")
    return (at.get("strides", [1] * nd), at.get("dilations", [1] * nd), at.get("pads", [0] * 2 * nd),
            at.get("group", 1), at.get("output_padding", [0] * nd))


def conv(node, x, w, b=None):
    # Direct definition: y[n, m, o] = sum_{c, k} x_padded[n, c, o*s + k*d] * w[m, c, k], summed
    # one kernel offset at a time over strided views of the padded input; any rank, any group.
    nd = x.ndim - 2
    s, d, p, g, _ = conv_params(node, nd)
    k = w.shape[2:]
    x = np.pad(x, [(0, 0), (0, 0)] + [(p[i], p[i + nd]) for i in range(nd)])
    out = [(x.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    n, c, m = x.shape[0], x.shape[1], w.shape[0]
    y = np.zeros((n, g, m // g) + tuple(out))
    wg = w.reshape((g, m // g, c // g) + tuple(k))
    for off in np.ndindex(*k):
        view = x[(slice(None), slice(None)) + tuple(
            slice(off[i] * d[i], off[i] * d[i] + s[i] * (out[i] - 1) + 1, s[i]) for i in range(nd))]
        y += np.einsum("ngc...,gmc->ngm...", view.reshape((n, g, c // g) + tuple(out)),
                       wg[(Ellipsis,) + off])
    y = y.reshape((n, m) + tuple(out))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def conv_transpose(node, x, w, b=None):
    # Scatter form: input position i, kernel offset k add x[n, c, i] * w[c, m, k] into output
    # position i*s + k*d - pad_begin; output_padding extends the far end (only bias lands there).
    nd = x.ndim - 2
    s, d, p, g, op = conv_params(node, nd)
    k = w.shape[2:]
    n, c, inp = x.shape[0], x.shape[1], x.shape[2:]
    m = w.shape[1] * g
    full = [(inp[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i] for i in range(nd)]
    y = np.zeros((n, g, m // g) + tuple(full))
    xg = x.reshape((n, g, c // g) + tuple(inp))
    wg = w.reshape((g, c // g, m // g) + tuple(k))
    for off in np.ndindex(*k):
        dst = tuple(slice(off[i] * d[i], off[i] * d[i] + s[i] * (inp[i] - 1) + 1, s[i]) for i in range(nd))
        y[(slice(None),) * 3 + dst] += np.einsum("ngc...,gcm->ngm...", xg, wg[(Ellipsis,) + off])
    y = y[(slice(None),) * 3 + tuple(slice(p[i], full[i] - p[i + nd]) for i in range(nd))]
    y = y.reshape((n, m) + y.shape[3:])
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def max_pool(node, x):
    at = attrs(node)
    if len(node.output) > 1 and node.output[1]:
        sys.exit(f"node '{node.name}' (MaxPool): the Indices output is not handled here")
    k = at["kernel_shape"]
    nd = len(k)
    s, d, p, _, _ = conv_params(node, nd)
    out = []
    for i in range(nd):
        span = x.shape[2 + i] + p[i] + p[i + nd] - d[i] * (k[i] - 1) - 1
        o = (-(-span // s[i]) if at.get("ceil_mode", 0) else span // s[i]) + 1
        if at.get("ceil_mode", 0) and (o - 1) * s[i] >= x.shape[2 + i] + p[i]:
            o -= 1  # the last window may not start in the end padding
        out.append(o)
    # Pad with -inf, far enough for the last (ceil_mode) window.
    hi = [max(p[i + nd], (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - x.shape[2 + i] - p[i]) for i in range(nd)]
    x = np.pad(x, [(0, 0), (0, 0)] + [(p[i], hi[i]) for i in range(nd)], constant_values=-np.inf)
    y = np.full(x.shape[:2] + tuple(out), -np.inf)
    for off in np.ndindex(*k):
        y = np.maximum(y, x[(slice(None), slice(None)) + tuple(
            slice(off[i] * d[i], off[i] * d[i] + s[i] * (out[i] - 1) + 1, s[i]) for i in range(nd))])
    return y


def flatten(node, x):
    axis = attrs(node).get("axis", 1)
    axis += x.ndim if axis < 0 else 0
    return x.reshape((int(np.prod(x.shape[:axis])), -1))


def clip(node, x, lo=None, hi=None):
    at = attrs(node)  # opset < 11: min/max attributes; from 11: optional inputs
    lo = at.get("min", -np.inf) if lo is None else lo
    hi = at.get("max", np.inf) if hi is None else hi
    return np.minimum(np.maximum(x, lo), hi)


OPS = {
    "Gemm": gemm,
    "BatchNormalization": batchnorm,
    "Relu": lambda node, x: np.maximum(x, 0.0),
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    "MaxPool": max_pool,
    "GlobalAveragePool": lambda node, x: x.mean(axis=tuple(range(2, x.ndim)), keepdims=True),
    "Add": lambda node, a, b: a + b,
    "Flatten": flatten,
    "Clip": clip,
    "Identity": lambda node, x: x,
    "Constant": lambda node: onnx.numpy_helper.to_array(attrs(node)["value"]).astype(np.float64),
}


def run(model, feeds):
    values = {i.name: onnx.numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    values.update(feeds)
    for node in model.graph.node:  # ONNX requires nodes in topological order
        if node.op_type not in OPS:
            sys.exit(f"node '{node.name}' ({node.op_type}): not handled by check_reference.py")
        # An empty name is an absent optional input (Clip's min with only max given): keep its place.
        args = [values[n] if n else None for n in node.input]
        while args and args[-1] is None:
            args.pop()
        values[node.output[0]] = OPS[node.op_type](node, *args)
    return [values[o.name] for o in model.graph.output]


def check_bn_is_not_identity(model):
    # The sample model is only a good test if BN does real work; keep make_models.py honest.
    init = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type != "BatchNormalization":
            continue
        scale, bias, mean, var = (init[n] for n in node.input[1:5])
        if (np.abs(mean).max() < 0.5 or np.abs(var - 1).max() < 0.5
                or np.abs(scale - 1).max() < 0.5 or np.abs(bias).max() < 0.5 or (scale >= 0).all()):
            sys.exit(f"node '{node.name}': BatchNormalization parameters are too close to identity")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_reference.py MODEL_DIR")
    case = sys.argv[1]
    model = onnx.load(os.path.join(case, "model.onnx"))
    check_bn_is_not_identity(model)
    inputs = [i.name for i in model.graph.input
              if i.name not in {t.name for t in model.graph.initializer}]
    sets = sorted(glob.glob(os.path.join(case, "test_data_set_*")))
    if not sets:
        sys.exit(f"{case}: no test_data_set_* folders")
    failed = 0
    for ds in sets:
        feeds = {}
        for k, name in enumerate(inputs):
            t = onnx.TensorProto()
            with open(os.path.join(ds, f"input_{k}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            if t.name and t.name != name:
                sys.exit(f"{ds}/input_{k}.pb: named '{t.name}', the model's input {k} is '{name}'")
            feeds[name] = onnx.numpy_helper.to_array(t).astype(np.float64)
        got = run(model, feeds)
        for k, y in enumerate(got):
            t = onnx.TensorProto()
            with open(os.path.join(ds, f"output_{k}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            exp = onnx.numpy_helper.to_array(t)
            if exp.dtype != np.float32 or exp.shape != y.shape:
                print(f"FAIL {ds}/output_{k}.pb: {exp.dtype}{list(exp.shape)}, numpy gives float32{list(y.shape)}")
                failed += 1
                continue
            err = np.abs(exp.astype(np.float64) - y)
            bad = err > ATOL + RTOL * np.abs(y)
            worst = float(err.max())
            if bad.any():
                idx = np.unravel_index(int(np.argmax(err)), err.shape)
                print(f"FAIL {ds}/output_{k}.pb: {int(bad.sum())} of {y.size} values off, worst at "
                      f"{list(idx)}: stored {exp[idx]!r}, numpy {y[idx]!r}")
                failed += 1
            else:
                print(f"ok   {ds}/output_{k}.pb: {y.size} values, max |diff| {worst:.3g}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
