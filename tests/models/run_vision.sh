#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_vision.sh — runs onnxbn on issue 14's torchvision exports in models/vision/ (made first where
# missing: segmentation, detection, raft, swin, maxvit, a UNet; each with BN kept and as torch
# exports by default), at rtol 1e-3, atol 1e-4, and prints a table: model, BN count, status.
#
# Usage: bash tests/models/run_vision.sh [ONNXBN_BINARY] [--only NAME...]   (default build/onnxbn)
# Each model runs three ways: folded at open, --no-fold, and after `onnxbn fuse` (with --verify).
# Status: pass | refused: the operator onnxbn lacks (not a failure) | mismatch: where and by how
# much (a failure) | error: any other error (a failure). Detection outputs are compared with
# onnxruntime-node 1.30 (.cache/ort; bench/run.sh installs it), exactly in count, within the
# tolerance in value: with random weights many scores tie, and torch's order among them is its own.
# Beyond that rule only two, each documented with its numbers in docs/test-data.md and tested to
# fail wrong detections (tests/models/vision_rules_selftest.py): a model whose postprocess cuts a
# top-k through tied scores (TIED_CUTS: ssdlite) is compared staged at that cut, and a reference
# detection that is itself outside the tolerance of the float64 forward (float64_ref.py, made once
# into models/vision/NAME/float64/) is excused when onnxbn's is within it.
# After the table, per model, every operator it uses that schema/ops.def does not run (read from
# the ONNX file). Exit 1 on any mismatch or error.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/onnxbn}
shift || true
if [ ! -x "$bin" ]; then
    echo "run_vision.sh: no onnxbn binary at '$bin' (build first, or pass its path)" >&2
    exit 2
fi
bash models/make_vision.sh --missing-only >&2
exec /usr/bin/python3 tests/models/run_vision.py "$bin" "$@"
