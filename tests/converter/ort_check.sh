#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ort_check.sh — the converter's files in onnxruntime: makes and fuses every case of
# fuse_cases.py, then has onnxruntime (npm onnxruntime-node) run the original and the fused model
# of each and compare. Skips (exit 77) when node or onnxruntime-node is not installed.
#
#   ort_check.sh ONNXBN WORK_DIR
# onnxruntime-node is looked up in $ONNXBN_ORT_DIR, else <repo>/.cache/ort (git-ignored):
#   mkdir -p .cache/ort && cd .cache/ort && npm install --ignore-scripts onnxruntime-node@1.30.0
set -u
here=$(cd "$(dirname "$0")" && pwd)
onnxbn=$1
work=$2
ort_dir=${ONNXBN_ORT_DIR:-$here/../../.cache/ort}
python=${ONNXBN_PYTHON:-/usr/bin/python3}

if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node is not installed"
    exit 77
fi
if [ ! -d "$ort_dir/node_modules/onnxruntime-node" ]; then
    echo "SKIP: onnxruntime-node is not in $ort_dir/node_modules (see the header of $0)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
"$python" "$here/fuse_cases.py" --onnxbn "$onnxbn" --work "$work" --all > "$work/cases.log"
rc=$?
[ $rc -eq 77 ] && { cat "$work/cases.log"; exit 77; }
if [ $rc -ne 0 ]; then
    grep -v '^PASS' "$work/cases.log"
    echo "ort_check: fuse_cases.py failed; onnxruntime checks the cases that passed"
fi
NODE_PATH="$ort_dir/node_modules" node "$here/ort_check.js" "$work"/*/
ort=$?
[ $rc -ne 0 ] && exit 1
exit $ort
