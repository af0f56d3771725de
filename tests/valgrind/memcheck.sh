#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# memcheck.sh — runs one program under valgrind memcheck for the test suite's valgrind mode
# (cmake -DONNXBN_VALGRIND=ON): every memory error and every definite or indirect leak is a finding.
#
# Usage: memcheck.sh [--python] PROGRAM [ARGS...]
#   --python: PROGRAM is a Python interpreter: PYTHONMALLOC=malloc, so that valgrind sees each
#             object, and python.supp, which hides leaks CPython and numpy make themselves.
# Findings go to $ONNXBN_VG_LOG/<pid>.*.log when run_test.sh set ONNXBN_VG_LOG (it fails the test
# on any, even when the test ignores the program's exit status), else to stderr. Either way the
# program's exit status becomes 99.
set -u
here=$(cd "$(dirname "$0")" && pwd)
opts=(-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
      --show-leak-kinds=definite,indirect --num-callers=30)
if [ "${1:-}" = --python ]; then
    shift
    export PYTHONMALLOC=malloc
    opts+=(--suppressions="$here/python.supp")
fi
if ! command -v valgrind >/dev/null; then
    echo "memcheck.sh: valgrind is not installed" >&2
    exit 77
fi
if [ -n "${ONNXBN_VG_LOG:-}" ]; then
    # %p: a program that forks without exec (Python's subprocess before its exec) writes its own.
    opts+=(--log-file="$ONNXBN_VG_LOG/$$.%p.log")
fi
valgrind "${opts[@]}" "$@"
rc=$?
if [ -n "${ONNXBN_VG_LOG:-}" ]; then
    # Keep the logs with findings, each headed by the command; drop the empty ones.
    for f in "$ONNXBN_VG_LOG/$$".*.log; do
        [ -e "$f" ] || continue
        if [ -s "$f" ]; then
            { printf 'memcheck.sh: exit %d:' "$rc"; printf ' %q' "$@"; echo; cat "$f"; } >"$f.txt"
        fi
        rm -f "$f"
    done
fi
exit $rc
