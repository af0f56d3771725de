#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# install-deps.sh — installs the Debian 12 packages onnxbn needs to build and test.
# Touches nothing (no apt-get update, no network) when every package is already installed.
#
# Usage: bash scripts/install-deps.sh [--models] [--ort]
#   --models   also the packages that regenerate models/ (PyTorch, from Debian)
#   --ort      also onnxruntime-node (npm) in .cache/ort, for the converter's onnxruntime cross-check
#              (tests/converter/ort_check.sh; it skips without it)
#
# The ASan+UBSan build uses gcc, whose runtimes (libasan8, libubsan1) come with gcc on Debian 12
# through libgcc-12-dev; test.sh's clang stage builds and tests with clang 14 too, and the fuzz
# targets use it with libFuzzer and its sanitizer runtimes from libclang-rt-14-dev (Debian 12's
# clang is 14).
set -euo pipefail

base=(
    cmake gcc make                       # the build
    libprotobuf-c-dev protobuf-c-compiler # ModelProto parsing (code generated at build time)
    libonnx-dev                          # /usr/include/onnx/onnx.proto, the schema we generate from
    libopenblas-dev                      # SGEMM
    libcmocka-dev                        # unit tests
    valgrind                             # test.sh's valgrind stage: every ctest under memcheck
    clang libclang-rt-14-dev             # test.sh's clang stage (the second compiler); its fuzz
                                         # stage: libFuzzer (fuzz/build.sh)
    libonnx-testdata                     # conformance tests: the ONNX backend test data
    python3-onnx python3-numpy python3-pytest # independent references in tests/models
    pkg-config lintian                   # tests/install: pkg-config builds, find_package's
                                         # protobuf-c lookup, the Debian packages' check
)
models=(python3-torch python3-torchvision)

# onnxruntime for the cross-check: the npm package carries its own prebuilt library.
ort_version=1.30.0
repo=$(cd "$(dirname "$0")/.." && pwd)
ort_dir=${ONNXBN_ORT_DIR:-$repo/.cache/ort}

want=("${base[@]}")
ort=0
for arg in "$@"; do
    case "$arg" in
        --models) want+=("${models[@]}") ;;
        --ort) ort=1 ;;
        -h|--help) sed -n '3,13p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown option '$arg' (expected --models, --ort)" >&2; exit 2 ;;
    esac
done

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

# Node.js may come from outside Debian (the machine's own, with npm inside): ask for the command,
# not the package, so that Debian's nodejs/npm are only installed where there is none.
if [ $ort -eq 1 ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps.sh: all ${#want[@]} packages present"
else
    echo "install-deps.sh: installing ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "install-deps.sh: missing packages (${missing[*]}) and not root, no sudo: run as root" >&2
        exit 1
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ $ort -eq 1 ]; then
    pkg_json="$ort_dir/node_modules/onnxruntime-node/package.json"
    have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg_json" 2>/dev/null | head -n 1 || true)
    if [ "$have" = "$ort_version" ]; then
        echo "install-deps.sh: onnxruntime-node $ort_version present in $ort_dir"
    else
        echo "install-deps.sh: installing onnxruntime-node@$ort_version into $ort_dir"
        mkdir -p "$ort_dir"
        # --ignore-scripts: its install script fetches CUDA libraries from outside npm; the CPU
        # library is in the package itself.
        npm install --prefix "$ort_dir" --ignore-scripts --no-audit --no-fund --loglevel=error \
            "onnxruntime-node@$ort_version"
    fi
fi
