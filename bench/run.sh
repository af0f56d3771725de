#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# run.sh — builds onnxbn (Release) and the bench tools, installs onnxruntime-node 1.30 into the
# git-ignored .cache/ort, makes the synthetic models and writes bench/RESULTS.md (bench/run.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
CACHE=$ROOT/.cache/bench
TOOLS=$CACHE/tools
mkdir -p "$CACHE" "$TOOLS" "$ROOT/.cache/ort"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DONNXBN_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null

if [ ! -d "$ROOT/.cache/ort/node_modules/onnxruntime-node" ]; then
  (cd "$ROOT/.cache/ort" && npm install --ignore-scripts --no-save onnxruntime-node@1.30.0 >/dev/null)
fi

CFLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I$ROOT/include -I$ROOT/runtime"
LIB=$(find "$BUILD" -name libonnxbn.a | head -1)
LIBS="$LIB -lprotobuf-c -lm -lpthread"
grep -q ONNXBN_HAVE_OPENBLAS "$BUILD/CMakeCache.txt" 2>/dev/null && LIBS="$LIBS -lopenblas"
if ldd "$BUILD/onnxbn" | grep -q openblas; then LIBS="$LIBS -lopenblas"; fi
for t in onnxbn_bench bn_memcpy sgemm_peak profile_nodes; do
  gcc $CFLAGS "$ROOT/bench/$t.c" -o "$TOOLS/$t" $LIBS
done
gcc -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -pthread "$ROOT/bench/spin.c" -o "$TOOLS/spin"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$CACHE" >/dev/null

# The workplace pins OpenBLAS to Haswell kernels; the benchmark lets it detect the CPU itself and
# says which kernel it picked (RESULTS.md, "SGEMM" line).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "blas: openblas ($("$TOOLS/onnxbn_bench" "$CACHE/mlp_256_512_512_10.onnx" 1,256 1 2 1 | sed 's/.*"blas_core": "\([^"]*\)".*/\1/'))"
/usr/bin/python3 "$ROOT/bench/run.py" "$BUILD" "$TOOLS" "$CACHE"
