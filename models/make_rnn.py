#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# make_rnn.py — exports the recurrent text classifiers of issue 15 from PyTorch: Embedding → 2-layer
# bidirectional batch_first nn.LSTM / nn.GRU → last step → BatchNorm1d → Linear, opset 14.
#
#   /usr/bin/python3 models/make_rnn.py              models/rnn/{lstm,gru}_cls (committed, ~0.3 MB)
#   /usr/bin/python3 models/make_rnn.py --bench DIR  the bench sizes into DIR/{lstm,gru}_cls_h128
#                                                    (model.onnx and one input per batch size)
# Random weights, BN statistics drawn away from the identity (export_torch.randomise_bn "strong"),
# as ONNX test-case folders with torch's float32 outputs as the reference. The batch and the
# sequence length are dynamic axes. Seeded and single-threaded: the same torch build rewrites the
# same files.
import argparse
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper

try:
    import torch
    import torch.nn as nn
except ImportError:
    sys.exit("make_rnn.py: needs PyTorch (bash scripts/install-deps.sh --models)")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_torch import randomise_bn  # noqa: E402

SEED = 20261207
OPSET = 14


class TextClassifier(nn.Module):
    def __init__(self, cell, vocab, emb, hidden, classes):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.rnn = getattr(nn, cell)(emb, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.bn = nn.BatchNorm1d(2 * hidden)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, tokens):
        y, _ = self.rnn(self.emb(tokens))
        return self.fc(self.bn(y[:, -1, :]))


def write(path, arr, name):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def make(cell, out_dir, vocab, emb, hidden, classes, datasets):
    """datasets: (batch, steps) per test_data_set_k."""
    torch.manual_seed(SEED + (cell == "GRU"))
    gen = torch.Generator().manual_seed(SEED + 7)
    model = TextClassifier(cell, vocab, emb, hidden, classes)
    randomise_bn(model, "strong", gen)
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    x0 = torch.randint(0, vocab, datasets[0], generator=gen)
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(model, (x0,), path, opset_version=OPSET, input_names=["tokens"],
                      output_names=["logits"], do_constant_folding=True,
                      dynamic_axes={"tokens": {0: "N", 1: "T"}, "logits": {0: "N"}})
    onnx.checker.check_model(onnx.load(path))
    for k, shape in enumerate(datasets):
        x = x0 if k == 0 else torch.randint(0, vocab, shape, generator=gen)
        with torch.no_grad():
            y = model(x).numpy()
        ds = os.path.join(out_dir, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        write(os.path.join(ds, "input_0.pb"), x.numpy(), "tokens")
        write(os.path.join(ds, "output_0.pb"), y, "logits")
    print(f"{out_dir}: {os.path.getsize(path)} bytes, data sets {datasets}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench", metavar="DIR", help="make the bench sizes into DIR instead")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for cell in ("LSTM", "GRU"):
        name = f"{cell.lower()}_cls"
        if args.bench:
            # hidden 128 and embedding 128, sequences of 64 tokens, batch 1 and 32
            make(cell, os.path.join(args.bench, name + "_h128"), 2000, 128, 128, 10,
                 [(1, 64), (32, 64)])
        else:
            # two shapes: the plan is made again for the second, and batch 1 takes the GEMV path
            make(cell, os.path.join(HERE, "rnn", name), 500, 32, 48, 5, [(4, 16), (1, 9)])


if __name__ == "__main__":
    main()
