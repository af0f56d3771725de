#!/usr/bin/env bash
# valgrind.sh — runs one command under valgrind memcheck for ctest: any memory error or definite or
# indirect leak fails. Exits 77 (ctest's skip) when valgrind is not installed.
#
# Usage: valgrind.sh [--any-status] COMMAND [ARGS...]
#   --any-status: only valgrind's findings fail, not the command's own exit status (for suites
#                 such as `onnxbn test node/` whose known failures are checked elsewhere).
set -uo pipefail
any=0
if [ "${1:-}" = --any-status ]; then
    any=1
    shift
fi
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed: skipped"; exit 77; }
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect "$@"
rc=$?
if [ $rc -eq 99 ]; then
    echo "valgrind.sh: valgrind reported errors or leaks" >&2
    exit 1
fi
[ $any -eq 1 ] && [ $rc -lt 128 ] && exit 0
exit $rc
