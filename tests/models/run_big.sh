#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_big.sh — runs onnxbn on the full torchvision networks in models/big/ (made first where
# missing) with the acceptance tolerance: rtol 1e-3, atol 1e-4 against torch's outputs.
#
# Usage: bash tests/models/run_big.sh [ONNXBN_BINARY] [onnxbn test options, e.g. --quiet]
# (binary default: build/onnxbn). Exits 1 when any model fails; SKIPs (operators onnxbn lacks)
# are counted as failures too, since every one of these models must run.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/onnxbn}
shift || true
if [ ! -x "$bin" ]; then
    echo "run_big.sh: no onnxbn binary at '$bin' (build first, or pass its path)" >&2
    exit 2
fi
bash models/make_big.sh --missing-only
out=$("$bin" test --rtol 1e-3 --atol 1e-4 "$@" models/big) && rc=0 || rc=$?
echo "$out"
if [ "$rc" -ne 0 ] || ! grep -q " 0 failed, 0 skipped$" <<<"$out"; then
    exit 1
fi
