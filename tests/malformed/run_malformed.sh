#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_malformed.sh — runs the onnxbn CLI on every bad file in expected.tsv and checks the exit status
# and that the one-line error holds the expected fragment exactly. Never a crash or a hang.
#
# Usage: run_malformed.sh ONNXBN [--valgrind]
#   --valgrind: each command under valgrind (tests/valgrind/memcheck.sh: memory errors and
#               definite/indirect leaks fail); skips (exit 77) when valgrind is not installed.
#               ctest's valgrind mode (-DONNXBN_VALGRIND=ON) passes a memcheck ONNXBN instead.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
wrap=()
if [ "${2:-}" = --valgrind ]; then
    if ! command -v valgrind >/dev/null; then
        echo "run_malformed.sh: valgrind is not installed: skipped"
        exit 77
    fi
    wrap=(bash "$here/../valgrind/memcheck.sh")
fi
cd "$here"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
while IFS=$'\t' read -r file cmd want frag args; do
    case "$file" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # extra arguments are words
    timeout 120 "${wrap[@]}" "$bin" "$cmd" "$file" $args >"$out/stdout" 2>"$out/stderr"
    rc=$?
    all=$(cat "$out/stdout" "$out/stderr")
    why=""
    if [ $rc -ne "$want" ]; then
        why="exit status $rc, expected $want"
    elif ! grep -qF -- "$frag" <<<"$all"; then
        why="output lacks '$frag'"
    elif [ "$want" -ne 0 ] && [ "$cmd" != test ] && [ "$(grep -c '^onnxbn: error: ' "$out/stderr")" -ne 1 ]; then
        why="expected exactly one 'onnxbn: error:' line on stderr"
    fi
    if [ -n "$why" ]; then
        fail=$((fail + 1))
        echo "FAIL $cmd $file $args: $why"
        sed 's/^/    /' "$out/stderr" | head -20
    else
        pass=$((pass + 1))
    fi
done <expected.tsv
echo "run_malformed.sh: $pass passed, $fail failed${wrap:+ (under valgrind)}"
[ $fail -eq 0 ]
