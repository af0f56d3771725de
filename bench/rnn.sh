#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# rnn.sh — issue 15's speed rows alone: builds onnxbn (Release, build-bench/) and bench/onnxbn_bench.c, makes the
# bench-size LSTM/GRU classifiers (models/make_rnn.py --bench, into .cache/bench/rnn), installs
# onnxruntime-node where missing, and runs bench/rnn.py: the table goes to .cache/bench/RNN.md.
# BUILD=dir uses another Release tree; BENCH_ROUNDS / BENCH_ITERS as in run.sh (defaults 5 / 40).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
MODELS=$ROOT/.cache/bench/rnn
TOOLS=$ROOT/.cache/bench/tools
mkdir -p "$MODELS" "$TOOLS" "$ROOT/.cache/ort"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DONNXBN_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
LIB=$(find "$BUILD" -name libonnxbn.a | head -1)
LIBS="$LIB -lprotobuf-c -lm -lpthread"
if ldd "$BUILD/onnxbn" | grep -q openblas; then LIBS="$LIBS -lopenblas"; fi
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT/runtime" \
  "$ROOT/bench/onnxbn_bench.c" -o "$TOOLS/onnxbn_bench" $LIBS
if [ ! -d "$ROOT/.cache/ort/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/.cache/ort" && npm install --ignore-scripts --no-save onnxruntime-node@1.30.0 >/dev/null)
fi
for m in lstm_cls_h128 gru_cls_h128; do
  if [ ! -f "$MODELS/$m/model.onnx" ]; then
    /usr/bin/python3 "$ROOT/models/make_rnn.py" --bench "$MODELS" 2>/dev/null
    break
  fi
done
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE # as run.sh: OpenBLAS picks its kernel for the CPU
/usr/bin/python3 "$ROOT/bench/rnn.py" "$TOOLS/onnxbn_bench" "$MODELS" "$ROOT/.cache/bench/RNN.md"
