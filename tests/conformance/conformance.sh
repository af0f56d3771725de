#!/bin/bash
# conformance.sh — runs `onnxbn test` for ctest over the ONNX backend test data; exits 77 (ctest
# SKIP) when the data is not installed. usage: conformance.sh ONNXBN TESTDATA pass|suite PATH...
#   pass:  every case must PASS (a SKIP fails too)
#   skip:  every case must SKIP with the reason in $SKIP_REASON (the random-value cases)
#   suite: no case may FAIL or crash, except those in known_failures.txt (defects of the test
#          data itself), which must still fail; unsupported ones SKIP (the summary is printed)
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
    out=$("$ONNXBN" test --quiet "${paths[@]}")
    rc=$?
    echo "$out"
    if [ "$rc" -ge 128 ]; then
        # --quiet hides where it happened: the verbose run's last lines name the case before it.
        echo "onnxbn crashed (exit $rc); the last cases of a verbose run:"
        "$ONNXBN" test "${paths[@]}" 2>&1 | tail -n 3
        exit 1
    fi
    known="$(dirname "$0")/known_failures.txt"
    status=0
    # Cases of this suite that are allowed (and expected) to fail, by name.
    expected=$(for p in "$@"; do grep -v '^#' "$known" | cut -f1 | grep "^$p/" | sed 's|.*/||'; done | sort -u)
    failed=$(sed -n 's/^FAIL \([^:]*\):.*/\1/p' <<<"$out" | sort -u)
    for c in $failed; do
        grep -qx "$c" <<<"$expected" || { echo "unexpected FAIL: $c"; status=1; }
    done
    for c in $expected; do
        grep -qx "$c" <<<"$failed" || { echo "known failure $c no longer fails: update tests/conformance/known_failures.txt"; status=1; }
    done
    exit "$status"
    ;;
*)
    echo "unknown mode '$MODE'"
    exit 1
    ;;
esac
