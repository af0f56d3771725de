#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# families.sh — issue 17's family table: exports the missing models (models/export_torch.py
# families into the git-ignored models/families/; swin_t, maxvit_t into models/vision/), builds
# onnxbn (Release, build-bench/) and its bench tool, then bench/families.py times them against
# onnxruntime at 1 and 2 threads and writes bench/FAMILIES.md. FAMILIES_FAST=1: four models, one
# round of three runs (the full run takes hours on the shared 2-core machine). Arguments: model
# names to time only those.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
TOOLS=$ROOT/.cache/bench/tools
mkdir -p "$TOOLS" "$ROOT/.cache/ort"

if [ -n "${FAMILIES_FAST:-}" ] && [ "${FAMILIES_FAST}" != 0 ]; then
  SPECS="families/resnet18 families/mobilenet_v2 families/squeezenet1_1 families/efficientnet_b0"
else
  SPECS=families
fi
/usr/bin/python3 "$ROOT/models/export_torch.py" --missing-only $SPECS
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DONNXBN_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
if [ ! -d "$ROOT/.cache/ort/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/.cache/ort" && npm install --ignore-scripts --no-save onnxruntime-node@1.30.0 >/dev/null)
fi
LIB=$(find "$BUILD" -name libonnxbn.a | head -1)
LIBS="$LIB -lprotobuf-c -lm -lpthread"
if ldd "$BUILD/onnxbn" | grep -q openblas; then LIBS="$LIBS -lopenblas"; fi
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT/runtime" \
  "$ROOT/bench/onnxbn_bench.c" -o "$TOOLS/onnxbn_bench" $LIBS
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE # as run.sh: OpenBLAS picks its kernel for the CPU
/usr/bin/python3 "$ROOT/bench/families.py" "$BUILD" "$TOOLS" "$ROOT/bench/FAMILIES.md" "$@"
