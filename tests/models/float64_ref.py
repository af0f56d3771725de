#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# float64_ref.py — the float64 forward of a torchvision detection export of models/vision (the same
# seeded weights, BN statistics and input as models/export_torch.py), the arbiter of run_vision.py.
#
# Usage: /usr/bin/python3 tests/models/float64_ref.py NAME...   (NAME as the folder: ssd300_vgg16,
# fasterrcnn_resnet50_fpn_default ...). Writes models/vision/NAME/float64/output_K.pb (boxes,
# scores, labels, as float64 and int64) after checking that the float32 forward of the rebuilt
# model reproduces the folder's stored torch outputs bit for bit (else the weights are not the
# export's, and it exits 1).
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import export_torch as et  # noqa: E402 (models/ is not a package)


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def forward64(folder):
    """(float32 outputs, float64 outputs) of the torch model behind models/vision/folder."""
    base = folder[: -len("_default")] if folder.endswith("_default") else folder
    kind, in_shapes, _, _ = et.VISION[base]
    if kind != "det":
        sys.exit(f"float64_ref.py: {folder} is not a detection model")
    # export_vision's construction, step for step: the same seeds, the same draws in the same order
    seed = et.seed_of(base)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = et.vision_ctor(kind, base)()
    et.randomise_bn(model, "mild", gen)
    model.eval()
    inputs = [torch.rand(*s, generator=gen) for s in in_shapes]
    with torch.no_grad():
        y32 = [t.numpy().copy() for t in model(*inputs)]
        model.double()
        y64 = [t.numpy().copy() for t in model(*[x.double() for x in inputs])]
    return y32, y64


def main():
    for folder in sys.argv[1:]:
        case = os.path.join(ROOT, "models", "vision", folder)
        y32, y64 = forward64(folder)
        stored = [load_pb(os.path.join(case, "test_data_set_0", f"output_{k}.pb")) for k in range(3)]
        if not all(np.array_equal(a, b) for a, b in zip(y32, stored)):
            sys.exit(f"float64_ref.py: {folder}: the rebuilt float32 forward does not reproduce the stored "
                     "outputs (another torch build or CPU?); no float64 reference written")
        out = os.path.join(case, "float64")
        os.makedirs(out, exist_ok=True)
        for k, (a, n) in enumerate(zip(y64, ["boxes", "scores", "labels"])):
            with open(os.path.join(out, f"output_{k}.pb"), "wb") as f:
                f.write(onnx.numpy_helper.from_array(a, n).SerializeToString())
        print(f"{out}: {len(y64[1])} detections in float64 (float32: {len(y32[1])})")


if __name__ == "__main__":
    main()
