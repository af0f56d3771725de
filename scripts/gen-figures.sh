#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gen-figures.sh — renders the README's before/after picture of BatchNormalization folding:
# models/tiny_resnet as exported, and as `onnxbn fuse` writes it, from `onnxbn info --dot`.
#
# Usage: bash scripts/gen-figures.sh [BUILD_DIR]   (default build/; needs Debian's graphviz)
# Writes docs/images/tiny_resnet_before.svg and docs/images/tiny_resnet_after.svg.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
out=$repo/docs/images
command -v dot >/dev/null || { echo "gen-figures.sh: graphviz's dot not found (apt-get install graphviz)" >&2; exit 2; }
[ -x "$build/onnxbn" ] || { echo "gen-figures.sh: no onnxbn in $build (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# PyTorch exports declare no intermediate shapes: ONNX shape inference adds them, so the edges
# can show them. The graph is otherwise the committed model's.
/usr/bin/python3 -c "
import sys, onnx
onnx.save(onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1])), sys.argv[2])
" "$repo/models/tiny_resnet/model.onnx" "$tmp/tiny_resnet.onnx"
cd "$tmp" # the graph's caption names the model by this short relative path
"$build/onnxbn" info --dot tiny_resnet.onnx >before.dot
"$build/onnxbn" info --dot --fused tiny_resnet.onnx >after.dot
dot -Tsvg before.dot -o "$out/tiny_resnet_before.svg"
dot -Tsvg after.dot -o "$out/tiny_resnet_after.svg"
echo "wrote $out/tiny_resnet_before.svg $out/tiny_resnet_after.svg"
