#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# memory.sh — peak RSS of `onnxbn bench` on four torchvision networks against the issue-13 target
# (weights held once): peak <= 2 x the model file + the activation arena + 20 MB.
#
# Usage: bash bench/memory.sh [ONNXBN_BINARY]   (default build/onnxbn; exports the models into
#        models/big/ first where missing, about 20 s, needs python3-torch)
# MB are 10^6 bytes, as `onnxbn bench` prints them. One thread, 3 runs after 1 warm-up: the
# peak is reached when the first run plans (the plan packs the weights), so more runs add nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/onnxbn}
[ -x "$BIN" ] || { echo "memory.sh: no onnxbn binary at '$BIN' (build first, or pass its path)" >&2; exit 1; }
/usr/bin/python3 "$ROOT/models/export_torch.py" memory --missing-only >/dev/null

printf '| model | file MB | arena MB | plan constants MB | peak RSS MB | peak / file | target MB | met? |\n'
printf '|---|---|---|---|---|---|---|---|\n'
fail=0
for m in memory/resnet50 memory/convnext_tiny efficientnet_b0 densenet121; do
  out=$("$BIN" bench "$ROOT/models/big/$m/model.onnx" --iters 3 --warmup 1)
  # "activation arena: 11.36 MB (lower bound ...)" and "memory:   file 102.49 MB   plan
  # constants 0 bytes   peak RSS 231.85 MB (2.26x the file)"; every size back to bytes
  row=$(printf '%s\n' "$out" | awk -v name="${m#memory/}" '
    function bytes(v, u) { return u == "MB" ? v * 1e6 : u == "kB" ? v * 1e3 : v }
    /^activation arena:/ { arena = bytes($3, $4) }
    /^memory:/ { file = bytes($3, $4); consts = bytes($7, $8); peak = bytes($11, $12) }
    END {
      target = 2 * file + arena + 20e6
      printf "| %s | %.1f | %.1f | %.1f | %.1f | %.2fx | %.1f | %s |\n", name, file / 1e6,
             arena / 1e6, consts / 1e6, peak / 1e6, peak / file, target / 1e6,
             peak <= target ? "yes" : "NO"
    }')
  printf '%s\n' "$row"
  case $row in *"| NO |") fail=1 ;; esac
done
exit $fail
