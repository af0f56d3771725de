#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# setup.sh — from a fresh clone to a working onnxbn: installs the Debian packages, builds into build/,
# then runs the main job on the bundled sample model models/mlp_bn: describe it, run it against
# its reference outputs, fold its BatchNormalization and check the folded model.
#
# Usage (as root on Debian 12, or with sudo available): bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
# Library, header, tool and the Python package under /usr/local, so `onnxbn`, pkg-config and
# `/usr/bin/python3 -c "import onnxbn"` work from anywhere (PYTHONPATH=python uses build/ instead).
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" cmake --install build
"${as_root[@]}" ldconfig
/usr/bin/python3 -c "import onnxbn; print('python: onnxbn', onnxbn.version(), 'from', onnxbn.library_path)"

echo
echo "== build/onnxbn info models/mlp_bn/model.onnx"
build/onnxbn info models/mlp_bn/model.onnx
echo
echo "== build/onnxbn test models/mlp_bn"
build/onnxbn test models/mlp_bn
echo
echo "== build/onnxbn fuse models/mlp_bn/model.onnx build/mlp_bn_fused.onnx --verify models/mlp_bn"
build/onnxbn fuse models/mlp_bn/model.onnx build/mlp_bn_fused.onnx --verify models/mlp_bn
