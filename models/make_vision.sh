#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make_vision.sh — exports issue 14's torchvision segmentation, detection, optical-flow and
# transformer networks (random weights, randomised BN statistics) into models/vision/ (git-ignored).
#
# Each model twice: models/vision/NAME (BatchNormalization kept: TrainingMode.PRESERVE, no constant
# folding) and models/vision/NAME_default (torch.onnx.export's defaults), with torch's float32
# outputs for one seeded input in test_data_set_0/.
# Usage: bash models/make_vision.sh [--missing-only] [NAME...]   (needs install-deps.sh --models)
# Then:  bash tests/models/run_vision.sh [build/onnxbn]
set -euo pipefail
cd "$(dirname "$0")/.."
names=()
opts=()
for a in "$@"; do
    case "$a" in -*) opts+=("$a") ;; *) names+=("$a") ;; esac
done
[ ${#names[@]} -gt 0 ] || names=(vision)
exec /usr/bin/python3 models/export_torch.py "${opts[@]}" "${names[@]}"
