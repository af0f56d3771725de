#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# export_pytorch.py — the PyTorch side of docs/deploying-pytorch.md: exports a small CNN to ONNX
# and writes one test case (an input and PyTorch's output) next to it for `onnxbn test`.
#
# Usage: /usr/bin/python3 examples/export_pytorch.py OUT_DIR
#   writes OUT_DIR/model.onnx and OUT_DIR/test_data_set_0/{input_0.pb,output_0.pb}
import os
import sys

import torch
from onnx import numpy_helper


class SmallNet(torch.nn.Module):
    """Conv-BN-ReLU twice, pooling, then Linear-BatchNorm1d-ReLU-Linear: a typical small classifier."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1, bias=False), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1, bias=False), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.head = torch.nn.Sequential(
            torch.nn.Linear(32, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(), torch.nn.Linear(64, classes))

    def forward(self, x):
        return self.head(self.features(x))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_pytorch.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    torch.manual_seed(0)
    model = SmallNet()
    # Untrained BN layers are the identity; give them statistics as training would.
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()  # inference: BN uses its running statistics

    x = torch.randn(2, 3, 32, 32)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, opset_version=13)
    with torch.no_grad():
        y = model(x)
    for name, t, f in (("input", x, "input_0.pb"), ("output", y, "output_0.pb")):
        with open(os.path.join(out, "test_data_set_0", f), "wb") as fh:
            fh.write(numpy_helper.from_array(t.numpy(), name).SerializeToString())
    print(f"wrote {path} and {out}/test_data_set_0/")


if __name__ == "__main__":
    main()
