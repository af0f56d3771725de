#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make_big.sh — exports the full torchvision networks (random weights, randomised BN statistics)
# into models/big/ (git-ignored, ~370 MB), the models the issue-3 acceptance runs at 1x3x224x224.
#
# Usage: bash models/make_big.sh [--missing-only]   (about 15 s; needs install-deps.sh --models)
# Then:  bash tests/models/run_big.sh [build/onnxbn], or ctest -L big with -DONNXBN_BIG_MODELS=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 models/export_torch.py big "$@"
