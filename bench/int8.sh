#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# int8.sh — int8 Conv (QLinearConv, ConvInteger) against the float Conv of the same shape
# (1x64x56x56, 3x3, pad 1, 64 -> 64), onnxbn only, one thread, interleaved rounds so that the
# machine's load falls on every side alike. Usage: bench/int8.sh [path/to/onnxbn]
# (default build/onnxbn); ROUNDS (default 7) and ITERS (default 50) set the work.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cli="${1:-$here/../build/onnxbn}"
dir="$here/../.cache/bench/int8"
rounds="${ROUNDS:-7}"
iters="${ITERS:-50}"
/usr/bin/python3 "$here/make_int8_models.py" "$dir"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
  for m in conv_f32 qlinearconv_u8s8 convinteger_u8s8; do
    printf '%s ' "$m" >>"$out"
    "$cli" bench "$dir/$m.onnx" --iters "$iters" --warmup 5 --threads 1 --json >>"$out"
  done
done
/usr/bin/python3 - "$out" "$rounds" "$iters" <<'PY'
import json, statistics, sys
runs = {}
isa = "?"
for line in open(sys.argv[1]):
    name, js = line.split(" ", 1)
    d = json.loads(js)
    isa = d.get("isa", isa)
    runs.setdefault(name, []).append(d["median_ms"])
f = statistics.median(runs["conv_f32"])
print(f"isa {isa}, {sys.argv[2]} interleaved rounds of {sys.argv[3]} runs, one thread; median of the round medians")
fmin = min(runs["conv_f32"])
print(f"{'model':<20} {'median ms':>10} {'min ms':>8} {'float/this (median, min)':>25}  rounds (ms)")
for name, v in runs.items():
    m = statistics.median(v)
    print(f"{name:<20} {m:>10.3f} {min(v):>8.3f} {f / m:>12.2f} {fmin / min(v):>12.2f}  {' '.join(f'{x:.2f}' for x in v)}")
PY
