#!/usr/bin/env bash
# test.sh — the whole test suite: installs the Debian packages, builds a Release build into build/
# and runs every ctest, then the same again built with ASan+UBSan into build-asan/.
#
# Usage: bash scripts/test.sh   (exits non-zero when any build or test fails; CI runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
start=$SECONDS
failed=()

bash scripts/install-deps.sh
# onnxruntime (npm) for the converter's cross-check; without it that test skips, so a registry
# hiccup costs the check, not the run.
bash scripts/install-deps.sh --ort ||
    echo "test.sh: warning: onnxruntime-node not installed; converter.onnxruntime will skip" >&2

echo "== Release build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DONNXBN_SANITIZE=OFF
cmake --build build -j"$jobs"
# A failing test does not stop the script: the sanitizer run below may say why it fails.
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 300 || failed+=("Release ctest")

echo "== ASan+UBSan build (build-asan/)"
# Without OpenBLAS: the Release run covers the OpenBLAS path, this one the portable SGEMM kernel,
# where the sanitizers can see the loads and stores (they cannot inside OpenBLAS's assembly).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DONNXBN_SANITIZE=ON -DONNXBN_USE_OPENBLAS=OFF
cmake --build build-asan -j"$jobs"
# Any report fails the test: leaks included; UBSan stops at the first finding (the build uses
# -fno-sanitize-recover=all). allocator_may_return_null lets an over-large allocation reach the
# library's ONNXBN_ERR_NOMEM path, as it would with the system allocator, instead of aborting.
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 || failed+=("ASan+UBSan ctest")

elapsed=$((SECONDS - start))
if [ ${#failed[@]} -ne 0 ]; then
    printf '== FAILED: %s (%d s)\n' "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')" "$elapsed" >&2
    exit 1
fi
echo "== all tests passed ($elapsed s)"
