#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# deterministic.sh — `onnxbn fuse` writes the same bytes every time for the same model: its name
# sets hash from a random seed per run (hostile names cannot collide on purpose), and nothing it
# writes may depend on that seed or on anything else that changes from run to run.
#
#   deterministic.sh ONNXBN WORK_DIR MODEL...   (each model fused 3 times, the files compared)
set -u
onnxbn=$1 work=$2
shift 2
rm -rf "$work" && mkdir -p "$work" || exit 1
status=0
for m in "$@"; do
    name=$(basename "$(dirname "$m")")
    for k in 1 2 3; do
        "$onnxbn" fuse "$m" "$work/$name.$k.onnx" --report json >"$work/$name.$k.json" 2>"$work/$name.err" ||
            { echo "FAIL $name: onnxbn fuse exited $?: $(cat "$work/$name.err")"; status=1; continue 2; }
    done
    for k in 2 3; do
        # The report names its output file, which differs by design.
        if ! cmp -s "$work/$name.1.onnx" "$work/$name.$k.onnx" ||
           [ "$(sed 's/"output":"[^"]*"//' "$work/$name.1.json")" != \
             "$(sed 's/"output":"[^"]*"//' "$work/$name.$k.json")" ]; then
            echo "FAIL $name: run $k wrote other bytes than run 1"
            status=1
            continue 2
        fi
    done
    # A fold that did nothing would compare equal trivially.
    grep -q '"bn_folded": *[1-9]' "$work/$name.1.json" || { echo "FAIL $name: no BN folded"; status=1; continue; }
    echo "PASS $name"
done
exit $status
