#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make.py — makes the data of test_ort_api.py: a torchvision network exported by torch (mobilenet_v2
# at width 0.25 with a 10-class head, random weights and randomised BN statistics, torch's default
# export: small enough to commit) and onnxruntime-node's outputs for a fixed input, the reference
# the onnxruntime-compatible API must reproduce within 1e-4.
# usage: /usr/bin/python3 python/tests/data/ort/make.py   (needs torch, torchvision and
#        onnxruntime-node in .cache/ort: `npm install --ignore-scripts --prefix .cache/ort onnxruntime-node@1.30.0`)
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def main():
    torch.manual_seed(7)
    net = torchvision.models.mobilenet_v2(weights=None, width_mult=0.25, num_classes=10)
    # BN statistics measured on random images (cumulative average), then the affine parts
    # randomised: activations keep their scale through the depth, so the logits depend on the
    # input (with made-up statistics they hardly do, and a wrong input would go unnoticed).
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
            m.reset_running_stats()
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, 3, 96, 96))
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)
    net.eval()
    model = os.path.join(HERE, "mobilenet_v2_w025.onnx")
    torch.onnx.export(net, torch.zeros(1, 3, 96, 96), model, opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    m = onnx.load(model)
    m.doc_string = "mobilenet_v2 (torchvision 0.14), width 0.25, 10 classes, random weights"
    m.graph.name = "mobilenet_v2_w025"
    m.model_version = 3
    onnx.helper.set_model_props(m, {"source": "python/tests/data/ort/make.py"})
    onnx.save(m, model)
    x = np.random.default_rng(0).standard_normal((2, 3, 96, 96)).astype(np.float32)
    np.save(os.path.join(HERE, "input.npy"), x)
    with tempfile.TemporaryDirectory() as tmp:
        xb = os.path.join(tmp, "x.bin")
        x.tofile(xb)
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, ".cache", "ort", "node_modules"))
        subprocess.run(["node", os.path.join(ROOT, "tests", "models", "ort_outputs.js"), model, tmp,
                        f"image=float32:2,3,96,96:{xb}"], check=True, env=env)
        y = np.fromfile(os.path.join(tmp, "output_0.bin"), dtype=np.float32).reshape(2, 10)
    np.save(os.path.join(HERE, "ort_logits.npy"), y)
    with torch.no_grad():
        t = net(torch.from_numpy(x)).numpy()
    print("written; |onnxruntime - torch| max", float(np.abs(y - t).max()))


if __name__ == "__main__":
    sys.exit(main())
