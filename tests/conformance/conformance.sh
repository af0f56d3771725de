#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# conformance.sh — runs `onnxbn test` for ctest over the ONNX backend test data; exits 77 (ctest
# SKIP) when the data is not installed. usage: conformance.sh ONNXBN TESTDATA pass|suite PATH...
#   pass:  every case must PASS (a SKIP fails too)
#   skip:  every case must SKIP with the reason in $SKIP_REASON (the random-value cases)
#   suite: no case may FAIL or crash, except those in known_failures.txt (defects of the test
#          data itself), which must still fail (onnxbn test --known-failures: XFAIL, and XPASS
#          when one passes); unsupported ones SKIP (the summary is printed)
set -u
ONNXBN=$1 TESTDATA=$2 MODE=$3
shift 3
if [ ! -d "$TESTDATA" ]; then
    echo "ONNX test data not found at $TESTDATA: skipped"
    exit 77
fi
paths=()
for p in "$@"; do
    paths+=("$TESTDATA/$p")
done
case $MODE in
pass)
    out=$("$ONNXBN" test "${paths[@]}")
    rc=$?
    echo "$out"
    [ "$rc" -lt 128 ] || { echo "onnxbn crashed (exit $rc)"; exit 1; }
    want="${#paths[@]} passed, 0 failed, 0 skipped"
    [ "$(tail -n 1 <<<"$out")" = "$want" ] || { echo "expected: $want"; exit 1; }
    ;;
skip)
    out=$("$ONNXBN" test "${paths[@]}")
    rc=$?
    echo "$out"
    [ "$rc" -lt 128 ] || { echo "onnxbn crashed (exit $rc)"; exit 1; }
    status=0
    for p in "$@"; do
        c=${p##*/}
        grep -qxF "SKIP $c: $SKIP_REASON" <<<"$out" || { echo "expected: SKIP $c: $SKIP_REASON"; status=1; }
    done
    exit "$status"
    ;;
suite)
    # The list of known failures goes to onnxbn itself: a listed case that fails is XFAIL, one
    # that passes is XPASS, and the exit status counts FAIL and XPASS only.
    known="$(dirname "$0")/known_failures.txt"
    out=$("$ONNXBN" test --quiet --known-failures "$known" "${paths[@]}")
    rc=$?
    echo "$out"
    if [ "$rc" -ge 128 ]; then
        # --quiet hides where it happened: the verbose run's last lines name the case before it.
        echo "onnxbn crashed (exit $rc); the last cases of a verbose run:"
        "$ONNXBN" test "${paths[@]}" 2>&1 | tail -n 3
        exit 1
    fi
    [ "$rc" -eq 0 ] || { echo "unexpected FAIL or XPASS (exit $rc): see the lines above"; exit 1; }
    ;;
*)
    echo "unknown mode '$MODE'"
    exit 1
    ;;
esac
