#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# fused_case.sh — folds a sample model's BatchNormalization with `onnxbn fuse --verify` and runs the
# fused model on the sample's own test data: the fold must still reproduce PyTorch's outputs.
#
#   fused_case.sh ONNXBN CASE_DIR WORK_DIR [TEST OPTIONS...]
# The fused copy is WORK_DIR/<case>/model.onnx beside links to CASE_DIR's test_data_set_N folders.
# Tolerance: the ONNX runner's, as for the unfused model. A folded weight is rounded once more than
# the original, so the outputs are not bit-equal, but the folds here are done in double and stay
# well inside it; a lost BN term is off by orders of magnitude more.
set -eu
onnxbn=$1
case_dir=$(cd "$2" && pwd)
name=$(basename "$case_dir")
work=$3/$name

rm -rf "$work"
mkdir -p "$work"
"$onnxbn" fuse "$case_dir/model.onnx" "$work/model.onnx" --verify "$case_dir"
for ds in "$case_dir"/test_data_set_*; do
    ln -s "$ds" "$work/$(basename "$ds")"
done
"$onnxbn" test "$work" "${@:4}"
