#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# alternate.sh — issue 17's alternating-shape row: resnet18 with a symbolic batch (exported into
# the git-ignored .cache/bench/ on first use), timed at batch 1 alone, 8 alone, then 1, 8, 1, 8 ...
# in one session. Prints one JSON line per round: ratio_a/ratio_b are the alternating medians over
# the steady ones (target <= 1.1). Env: ALT_THREADS (1), ALT_ITERS (10), ALT_ROUNDS (2),
# ALT_BATCHES ("1 8"), ALT_MODEL (another .onnx whose input 0 has a free batch dimension).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-bench"
CACHE="$ROOT/.cache/bench"
mkdir -p "$CACHE"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DONNXBN_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
LIB=$(find "$BUILD" -name libonnxbn.a | head -1)
LIBS="$LIB -lprotobuf-c -lm -lpthread"
if ldd "$BUILD/onnxbn" | grep -q openblas; then LIBS="$LIBS -lopenblas"; fi
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" \
  "$ROOT/bench/alternate.c" -o "$BUILD/alternate" $LIBS
MODEL="${ALT_MODEL:-$CACHE/resnet18_dynbatch.onnx}"
if [ ! -f "$MODEL" ]; then
  /usr/bin/python3 - "$MODEL" <<'PY'
import sys, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18().eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13,
                  input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
PY
fi
read -r A B <<<"${ALT_BATCHES:-1 8}"
for _ in $(seq "${ALT_ROUNDS:-2}"); do
  "$BUILD/alternate" "$MODEL" "${ALT_THREADS:-1}" "${ALT_ITERS:-10}" "$A" "$B"
done
