#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build.sh — builds the libFuzzer targets (fuzz_*.c) with clang, ASan and UBSan into a build folder.
# The library is compiled from source here, without OpenBLAS, so the sanitizers see every load.
#
# Usage: bash fuzz/build.sh [OUT]   (OUT defaults to build-fuzz/ at the top of the repo)
# Needs clang and libclang-rt-14-dev (libFuzzer), protobuf-c-compiler and libprotobuf-c-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/build-fuzz}")
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "build.sh: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$out/gen" "$out/obj"

schema=${ONNX_PROTO:-/usr/include/onnx/onnx.proto}
if [ ! -f "$out/gen/onnx.pb-c.c" ] || [ "$schema" -nt "$out/gen/onnx.pb-c.c" ]; then
    protoc-c --proto_path="$(dirname "$schema")" --c_out="$out/gen" "$schema"
    name=$(basename "$schema" .proto)
    if [ "$name" != onnx ]; then
        sed "s/\"$name.pb-c.h\"/\"onnx.pb-c.h\"/" "$out/gen/$name.pb-c.c" >"$out/gen/onnx.pb-c.c"
        mv "$out/gen/$name.pb-c.h" "$out/gen/onnx.pb-c.h"
        rm -f "$out/gen/$name.pb-c.c"
    fi
fi

san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
flags=(-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700
       -I"$root/include" -I"$root/runtime" -I"$root/converter" -I"$root/schema" -I"$out/gen" "${san[@]}")

# An object is rebuilt when its source or a header it includes (from its .d file) is newer.
[ "${FORCE:-0}" = 1 ] && rm -f "$out"/obj/*.o
objs=()
stale() { # obj
    [ -f "$1" ] && [ -f "$1.d" ] || return 0
    local dep
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$1.d"); do
        [ "$dep" -nt "$1" ] && return 0
    done
    return 1
}
compile() { # src obj extra-flags...
    local src=$1 obj=$2; shift 2
    if stale "$obj"; then
        "$cc" "${flags[@]}" "$@" -MMD -MF "$obj.d" -c "$src" -o "$obj"
    fi
    objs+=("$obj")
}
compile "$out/gen/onnx.pb-c.c" "$out/obj/onnx.pb-c.o" -w
# The library's warnings are checked by the CMake builds (ONNXBN_WERROR in test.sh's gcc and clang
# stages); here only the sanitizer build of it.
for src in "$root"/schema/*.c "$root"/runtime/*.c "$root"/runtime/ops/*.c "$root"/runtime/kernels/*.c "$root"/converter/*.c; do
    [ -f "$src" ] || continue
    rel=${src#"$root"/}
    compile "$src" "$out/obj/${rel//\//_}.o" -w -fsanitize=fuzzer-no-link
done
rm -f "$out/libonnxbn_fuzz.a"
ar rcs "$out/libonnxbn_fuzz.a" "${objs[@]}"

for t in "$root"/fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    "$cc" "${flags[@]}" -Wall -Wextra -Werror -fsanitize=fuzzer "$t" "$out/libonnxbn_fuzz.a" -lprotobuf-c -lm -lpthread -o "$out/$name"
    echo "built $out/$name"
done
