#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make_models.py — builds the small sample models in models/ with PyTorch and exports them to ONNX
# in the ONNX test-case layout (model.onnx + test_data_set_N/{input_0,output_0}.pb).
#
# Run with Debian's interpreter, which has torch and onnx: /usr/bin/python3 models/make_models.py
# (packages: scripts/install-deps.sh --models). Same seed, same bytes: re-running it on the same
# torch build and CPU must leave `git status` clean (--verify says what another CPU may change).
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper

try:
    import torch
except ImportError:
    # --verify runs as a ctest: 77 is its "skipped" (torch comes with install-deps.sh --models).
    print("make_models.py: needs PyTorch (python3-torch): bash scripts/install-deps.sh --models",
          file=sys.stderr)
    sys.exit(77 if "--verify" in sys.argv else 1)

OPSET = 13
# The committed files were made with Debian 12's python3-torch 1.13.1+dfsg-4; another build may
# export another graph, so --verify runs only under this one (and skips elsewhere).
MADE_WITH = "1.13.0a0"
MODELS = ("mlp_bn",)
SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_files  # noqa: E402  (beside this script)


class MlpBn(torch.nn.Module):
    """Linear(16,32) -> BatchNorm1d(32) -> ReLU -> Linear(32,10): exports as Gemm, BN, Relu, Gemm."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.bn = torch.nn.BatchNorm1d(32, eps=1e-3)
        self.relu = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.bn(self.fc1(x))))


def randomise_bn(bn, gen):
    # Fresh BN is the identity (mean 0, var 1, gamma 1, beta 0): a runtime that ignored it, or a
    # fold that dropped it, would still pass. Stats far from that make every term count, and a
    # negative gamma catches a fold that takes |gamma| or a sqrt of the wrong thing.
    n = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.rand(n, generator=gen) * 4.0 - 2.0)
        bn.running_var.copy_(torch.rand(n, generator=gen) * 3.75 + 0.25)
        sign = torch.where(torch.rand(n, generator=gen) < 0.3, -1.0, 1.0)
        bn.weight.copy_(sign * (torch.rand(n, generator=gen) * 1.5 + 0.5))
        bn.bias.copy_(torch.rand(n, generator=gen) * 2.0 - 1.0)


def write_case(folder, model, inputs):
    os.makedirs(folder, exist_ok=True)
    with torch.no_grad():
        outputs = model(inputs)
    for name, arr in (("input_0.pb", inputs), ("output_0.pb", outputs)):
        t = onnx.numpy_helper.from_array(
            arr.detach().numpy().astype(np.float32), "input" if name.startswith("input") else "output")
        with open(os.path.join(folder, name), "wb") as f:
            f.write(t.SerializeToString())


def make_mlp_bn(out_dir):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)
    model = MlpBn()
    randomise_bn(model.bn, gen)
    model.eval()

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    example = torch.randn(4, 16, generator=gen)
    torch.onnx.export(
        model, (example,), path,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.EVAL,
        # Constant folding would leave BN in, but keep the export literal: the point of this
        # model is a BatchNormalization node for the runtime and the folder to deal with.
        do_constant_folding=False,
        export_params=True)

    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    if ops != ["Gemm", "BatchNormalization", "Relu", "Gemm"]:
        sys.exit(f"make_models.py: mlp_bn exported as {ops}, expected Gemm, BatchNormalization, Relu, Gemm")

    write_case(os.path.join(out_dir, "test_data_set_0"), model, torch.randn(4, 16, generator=gen))
    write_case(os.path.join(out_dir, "test_data_set_1"), model, torch.randn(1, 16, generator=gen))
    print(f"{out_dir}: opset {OPSET}, nodes {ops}")


def verify(root):
    """Re-makes every model into a temporary folder and compares it with the one in root: the model
    and inputs byte for byte (they come from seeded generators), the reference outputs, torch's
    float32 forward on this CPU, within the ONNX rule (verify_files.py says what was measured)."""
    if torch.__version__ != MADE_WITH:
        print(f"make_models.py --verify: torch {torch.__version__}, the files were made with "
              f"{MADE_WITH}: the same files are not expected (skipped)")
        return 77
    cap = verify_files.aten_capability()
    print(f"make_models.py --verify: {verify_files.describe(cap)}", flush=True)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        make_mlp_bn(os.path.join(tmp, "mlp_bn"))
        for name in MODELS:
            for sub, _, files in sorted(os.walk(os.path.join(tmp, name))):
                for f in sorted(files):
                    made = os.path.join(sub, f)
                    rel = os.path.relpath(made, tmp)
                    kept = os.path.join(root, rel)
                    if not os.path.exists(kept):
                        print(f"FAIL models/{rel}: made but not committed")
                        bad += 1
                        continue
                    ok, how = verify_files.compare_file(made, kept, cap)
                    print(f"{'ok  ' if ok else 'FAIL'} models/{rel}: {how}")
                    bad += not ok
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description="Builds the sample ONNX models in models/.")
    ap.add_argument("--out", default=HERE, help="folder to write the models into (default: models/)")
    ap.add_argument("--verify", action="store_true",
                    help="make the models in a temporary folder and compare them with the ones in "
                         "--out: model and inputs byte for byte, outputs within rtol 1e-3, atol 1e-7 "
                         "(torch's float32 rounds differently on other CPUs); exit 1 if not")
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    if args.verify:
        sys.exit(verify(args.out))
    make_mlp_bn(os.path.join(args.out, "mlp_bn"))


if __name__ == "__main__":
    main()
