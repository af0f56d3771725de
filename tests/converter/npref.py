#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# npref.py — a small numpy evaluator of ONNX graphs in float64, independent of onnxbn: the
# reference the converter tests compare the original and the fused model against.
import numpy as np
import onnx
import onnx.numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    nd = x.ndim - 2
    group = a.get("group", 1)
    strides = a.get("strides", [1] * nd)
    dil = a.get("dilations", [1] * nd)
    pads = list(a.get("pads", [0] * 2 * nd))
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    k = w.shape[2:]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        for i in range(nd):
            out = -(-x.shape[2 + i] // strides[i])
            total = max(0, (out - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 - x.shape[2 + i])
            small, big = total // 2, total - total // 2
            pads[i], pads[i + nd] = (small, big) if auto == "SAME_UPPER" else (big, small)
    elif auto == "VALID":
        pads = [0] * 2 * nd
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    n, c = x.shape[:2]
    m = w.shape[0]
    osz = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((n, m, *osz))
    cg, mg = c // group, m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for kid in np.ndindex(*k):
            sl = tuple(slice(kid[i] * dil[i], kid[i] * dil[i] + strides[i] * (osz[i] - 1) + 1, strides[i])
                       for i in range(nd))
            patch = xs[(slice(None), slice(None)) + sl]
            y[:, g * mg:(g + 1) * mg] += np.einsum("nc...,mc->nm...", patch,
                                                    ws[(slice(None), slice(None)) + kid])
    if b is not None:
        y += b.reshape(1, m, *[1] * nd)
    return y


def _conv_transpose(x, w, b, a):
    nd = x.ndim - 2
    group = a.get("group", 1)
    strides = a.get("strides", [1] * nd)
    dil = a.get("dilations", [1] * nd)
    pads = a.get("pads", [0] * 2 * nd)
    outpad = a.get("output_padding", [0] * nd)
    n, cin = x.shape[:2]
    mg = w.shape[1]
    m = mg * group
    k = w.shape[2:]
    s = x.shape[2:]
    full = [(s[i] - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 + outpad[i] for i in range(nd)]
    y = np.zeros((n, m, *full))
    cg = cin // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * cg:(g + 1) * cg]
        for kid in np.ndindex(*k):
            sl = tuple(slice(kid[i] * dil[i], kid[i] * dil[i] + strides[i] * (s[i] - 1) + 1, strides[i])
                       for i in range(nd))
            y[(slice(None), slice(g * mg, (g + 1) * mg)) + sl] += np.einsum(
                "nc...,cm->nm...", xs, ws[(slice(None), slice(None)) + kid])
    y = y[(slice(None), slice(None)) + tuple(slice(pads[i], full[i] - pads[i + nd]) for i in range(nd))]
    if b is not None:
        y += b.reshape(1, m, *[1] * nd)
    return y


def _bn(ins, a, version, n_out):
    x, scale, bias, mean, var = ins
    eps = a.get("epsilon", 1e-5)
    shape = (1, -1) + (1,) * (x.ndim - 2) if x.ndim >= 2 else (-1,)
    training = False
    if version <= 6:
        training = a.get("is_test", 0) == 0
    elif version <= 9:
        training = n_out > 1
    else:
        training = a.get("training_mode", 0) != 0
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
    with np.errstate(divide="ignore", invalid="ignore"):  # var + eps = 0 is a test case
        return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) \
            * scale.reshape(shape) + bias.reshape(shape)


def _gemm(ins, a):
    A, B = ins[0], ins[1]
    if a.get("transA", 0):
        A = A.T
    if a.get("transB", 0):
        B = B.T
    y = a.get("alpha", 1.0) * (A @ B)
    if len(ins) > 2 and ins[2] is not None:
        y = y + a.get("beta", 1.0) * ins[2]
    return y


def run(model, feeds, every_value=False):
    """Evaluates the main graph in float64; returns {output name: array} (with every_value, every
    value computed or given: the shapes value_info must state)."""
    g = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    env = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    for k, v in feeds.items():
        env[k] = np.asarray(v, dtype=np.float64)
    for node in g.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "ConvTranspose":
            out = _conv_transpose(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "BatchNormalization":
            v = 1 if opset < 6 else 6 if opset < 7 else 7 if opset < 9 else 9 if opset < 14 else 14 if opset < 15 else 15
            out = _bn(ins, a, v, len([o for o in node.output if o]))
        elif op == "Gemm":
            out = _gemm(ins, a)
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "Mul":
            out = ins[0] * ins[1]
        elif op == "Sub":
            out = ins[0] - ins[1]
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Sigmoid":
            out = 1 / (1 + np.exp(-ins[0]))
        elif op in ("Identity", "Dropout"):
            out = ins[0]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Constant":
            if "value" in a:
                out = onnx.numpy_helper.to_array(a["value"]).astype(np.float64)
            elif "value_float" in a:
                out = np.array(a["value_float"], dtype=np.float64)
            else:
                out = np.array(a["value_floats"], dtype=np.float64)
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = out
    return env if every_value else {o.name: env[o.name] for o in g.output}
