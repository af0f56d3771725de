#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vision.sh — issue 14's speed table alone: builds onnxbn (Release, build-bench/) and its bench tool,
# then bench/vision.py times the models/vision exports against onnxruntime (one thread): the table
# goes to .cache/bench/VISION.md (figures in VISION.md.json). Arguments: model names to time only those.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
TOOLS=$ROOT/.cache/bench/tools
mkdir -p "$TOOLS" "$ROOT/.cache/ort"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DONNXBN_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
if [ ! -d "$ROOT/.cache/ort/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/.cache/ort" && npm install --ignore-scripts --no-save onnxruntime-node@1.30.0 >/dev/null)
fi
LIB=$(find "$BUILD" -name libonnxbn.a | head -1)
LIBS="$LIB -lprotobuf-c -lm -lpthread"
if ldd "$BUILD/onnxbn" | grep -q openblas; then LIBS="$LIBS -lopenblas"; fi
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT/runtime" \
  "$ROOT/bench/onnxbn_bench.c" -o "$TOOLS/onnxbn_bench" $LIBS
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE # as run.sh: OpenBLAS picks its kernel for the CPU
/usr/bin/python3 "$ROOT/bench/vision.py" "$BUILD" "$TOOLS" "$ROOT/.cache/bench/VISION.md" "$@"
