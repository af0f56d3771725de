#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make_corpus.sh — fills the fuzzers' seed corpora from the ONNX backend test data, models/ and the
# committed bad inputs (tests/malformed, fuzz/regressions). Seeds are copied, never committed.
#
# Usage: bash fuzz/make_corpus.sh [OUT]   → OUT/models/ (fuzz_load, fuzz_run, fuzz_fuse) and
#        OUT/tensors/ (fuzz_tensor); OUT defaults to build-fuzz/seeds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/build-fuzz/seeds}")
data=${ONNXBN_TESTDATA_DIR:-/usr/share/libonnx-testdata/data}
rm -rf "$out"
mkdir -p "$out/models" "$out/tensors"

# seed DIR FILE: copies FILE under a name made from its path (unique, readable in crash reports).
seed() {
    local name=${2#"$root"/}
    name=${name#"$data"/}
    cp "$2" "$1/${name//\//_}"
}
# Models up to 128 KiB (bigger ones only slow the mutator); tensors up to 32 KiB.
if [ -d "$data" ]; then
    while IFS= read -r f; do seed "$out/models" "$f"; done \
        < <(find "$data" -name model.onnx -size -129k)
    while IFS= read -r f; do seed "$out/tensors" "$f"; done \
        < <(find "$data" -path '*test_data_set_0*' -name '*.pb' -size -33k)
else
    echo "make_corpus.sh: no test data at $data (libonnx-testdata); seeding from models/ only" >&2
fi
while IFS= read -r f; do seed "$out/models" "$f"; done \
    < <(find "$root/models" \( -path "$root/models/big" -o -path "$root/models/vision" \) -prune -o -name '*.onnx' -size -129k -print)
while IFS= read -r f; do seed "$out/tensors" "$f"; done \
    < <(find "$root/models" "$root/tests/cli" \( -path "$root/models/big" -o -path "$root/models/vision" \) -prune -o \
             \( -name '*.pb' -o -name '*.npy' \) -size -33k -print)
for d in "$root/tests/malformed" "$root/fuzz/regressions"; do
    [ -d "$d" ] || continue
    while IFS= read -r f; do seed "$out/models" "$f"; done < <(find "$d" -type f \( -name '*.onnx' -o -name '*.good' -o -name 'crash-*' -o -name 'timeout-*' \))
    while IFS= read -r f; do seed "$out/tensors" "$f"; done < <(find "$d" \( -name '*.pb' -o -name '*.npy' \))
done
echo "make_corpus.sh: $(ls "$out/models" | wc -l) models, $(ls "$out/tensors" | wc -l) tensors in $out"
