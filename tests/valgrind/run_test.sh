#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_test.sh — how ctest runs every test in valgrind mode (cmake -DONNXBN_VALGRIND=ON): the onnxbn
# programs the test starts run under memcheck.sh, and any finding of theirs fails the test.
#
# Usage: run_test.sh COMMAND [ARGS...]
# Exits 77 (ctest's skip) when valgrind is not installed; 1 on a finding, whatever COMMAND did with
# the program's exit status; else COMMAND's status. Sets for COMMAND: ONNXBN_VG_LOG (the findings
# folder memcheck.sh writes to) and ONNXBN_TEST_WRAP (memcheck.sh, for the scripts that run
# programs they build or install themselves: tests/install).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v valgrind >/dev/null; then
    echo "run_test.sh: valgrind is not installed: skipped"
    exit 77
fi
log=$(mktemp -d "${TMPDIR:-/tmp}/onnxbn-memcheck.XXXXXX") || exit 1
trap 'rm -rf "$log"' EXIT
export ONNXBN_VG_LOG=$log ONNXBN_TEST_WRAP=$here/memcheck.sh
"$@"
rc=$?
found=$(find "$log" -name '*.txt' | sort)
if [ -n "$found" ]; then
    n=$(wc -l <<<"$found")
    # The first few in full (the rest are mostly the same finding again).
    head -n 3 <<<"$found" | while IFS= read -r f; do head -n 150 "$f"; echo; done
    echo "run_test.sh: valgrind memcheck found errors or leaks in $n program run(s)"
    exit 1
fi
exit $rc
