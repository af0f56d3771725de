#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make_control.py — exports two torch 1.13 models as ONNX test-case folders under models/control/:
# one whose scripted forward has a data-dependent `if` and a `for` over a tensor dimension around
# Conv+BatchNorm (so the ONNX has If and Loop with BN inside a body), and nn.TransformerEncoder.
#
#   /usr/bin/python3 models/make_control.py [OUT]    (OUT defaults to models/control)
# Each folder: model.onnx, test_data_set_0/input_*.pb and torch's outputs as output_*.pb. The
# folders are outside models/*/ on purpose: tests/models/check_reference.py recomputes only the
# plain CNN/MLP operators; these are checked against torch alone (rtol 1e-3, atol 1e-4).
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

SEED = 20261207
HERE = os.path.dirname(os.path.abspath(__file__))


class Step(nn.Module):
    """Conv1d + BatchNorm1d + ReLU, used inside the loop body."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm1d(c)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class ControlFlow(nn.Module):
    """x [N, C, L]: a BN'd stem; then, for each of the first `steps` positions of x's last axis
    (a loop over a tensor dimension), x = x + step(x) * x[..., i]; then, when the mean is
    positive (data-dependent), a second Conv+BN, else a negation."""

    def __init__(self, c=8):
        super().__init__()
        self.stem = nn.Conv1d(c, c, 1)
        self.stem_bn = nn.BatchNorm1d(c)
        self.step = Step(c)
        self.head = nn.Conv1d(c, c, 1)
        self.head_bn = nn.BatchNorm1d(c)

    def forward(self, x):
        x = self.stem_bn(self.stem(x))
        n = x.size(2) // 4
        for i in range(n):
            x = x + self.step(x) * x[:, :, i:i + 1]
        if bool(x.mean() > 0):
            y = self.head_bn(self.head(x))
        else:
            y = -x
        return y


def randomize_bn(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.5, 0.5, generator=g)


def save_case(folder, onnx_path, inputs, outputs, names_in, names_out, k=0):
    ds = os.path.join(folder, "test_data_set_%d" % k)
    os.makedirs(ds, exist_ok=True)
    for i, (a, n) in enumerate(zip(inputs, names_in)):
        t = onnx.numpy_helper.from_array(a, n)
        with open(os.path.join(ds, "input_%d.pb" % i), "wb") as f:
            f.write(t.SerializeToString())
    for i, (a, n) in enumerate(zip(outputs, names_out)):
        t = onnx.numpy_helper.from_array(a, n)
        with open(os.path.join(ds, "output_%d.pb" % i), "wb") as f:
            f.write(t.SerializeToString())


def make_control(out):
    g = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    model = ControlFlow().eval()
    randomize_bn(model, g)
    scripted = torch.jit.script(model)
    x = torch.randn(2, 8, 16, generator=g)
    with torch.no_grad():
        y = scripted(x)
    folder = os.path.join(out, "control_flow")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(scripted, (x,), path, opset_version=14, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "N", 2: "L"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    # PRESERVE on a model in eval mode keeps BN as BatchNormalization (EVAL would fold it)
    m = onnx.load(path)
    ops = set()

    def walk(gr):
        for nd in gr.node:
            ops.add(nd.op_type)
            for a in nd.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
    walk(m.graph)
    assert {"If", "Loop", "BatchNormalization"} <= ops, ops
    save_case(folder, path, [x.numpy()], [y.numpy()], ["x"], [m.graph.output[0].name])
    # a second set: another length (another trip count) and the other branch of the `if`
    def branch(v):  # the `if` condition, computed as forward does
        v = model.stem_bn(model.stem(v))
        for i in range(v.size(2) // 4):
            v = v + model.step(v) * v[:, :, i:i + 1]
        return bool(v.mean() > 0)
    with torch.no_grad():
        first = branch(x)
        for shift in (3.0, -3.0, 10.0, -10.0):
            x1 = torch.randn(1, 8, 8, generator=g) + shift
            if branch(x1) != first:
                break
        else:
            raise SystemExit("make_control.py: no input takes the other branch")
        y1 = scripted(x1)
    save_case(folder, path, [x1.numpy()], [y1.numpy()], ["x"], [m.graph.output[0].name], 1)
    return folder


def make_transformer(out):
    g = torch.Generator().manual_seed(SEED + 1)
    torch.manual_seed(SEED + 1)
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0,
                                       batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2).eval()
    x = torch.randn(2, 10, 64, generator=g)
    with torch.no_grad():
        y = model(x)
    folder = os.path.join(out, "transformer_encoder")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, (x,), path, opset_version=14, input_names=["x"], output_names=["y"],
                      training=torch.onnx.TrainingMode.EVAL)
    save_case(folder, path, [x.numpy()], [y.numpy()], ["x"], ["y"])
    return folder


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "control")
    for f in (make_control(out), make_transformer(out)):
        print("wrote", f, os.path.getsize(os.path.join(f, "model.onnx")), "bytes")


if __name__ == "__main__":
    main()
