#!/bin/bash
# cli_test.sh — one CLI check per call (ctest runs each case): error paths must print exactly one
# "onnxbn: error:" line and exit 1 or 2 without crashing; info, run and test must print what they say.
# usage: cli_test.sh ONNXBN DATA_DIR TESTDATA_DIR WORK_DIR CASE
set -u
ONNXBN=$1 DATA=$2 TESTDATA=$3 WORK=$4 CASE=$5
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
OUT=$WORK/stdout ERR=$WORK/stderr
failures=0

fail() {
    echo "FAILED: $*"
    echo "--- stdout:"; cat "$OUT"
    echo "--- stderr:"; cat "$ERR"
    failures=$((failures + 1))
}

# expect_error CODE SUBSTRING ARGS...: exit CODE, one error line on stderr containing SUBSTRING.
expect_error() {
    local code=$1 substr=$2
    shift 2
    "$ONNXBN" "$@" >"$OUT" 2>"$ERR" </dev/null
    local rc=$? n
    n=$(grep -c '^onnxbn: error: ' "$ERR")
    if [ "$rc" -ge 128 ]; then
        fail "onnxbn $* crashed (exit $rc)"
    elif [ "$rc" -ne "$code" ]; then
        fail "onnxbn $*: exit $rc, expected $code"
    elif [ "$n" -ne 1 ]; then
        fail "onnxbn $*: $n 'onnxbn: error:' lines on stderr, expected 1"
    elif ! grep '^onnxbn: error: ' "$ERR" | grep -qF -- "$substr"; then
        fail "onnxbn $*: the error does not mention '$substr'"
    fi
}

# expect_ok ARGS... : exit 0 and nothing on stderr; stdout is left in $OUT for has_line.
expect_ok() {
    "$ONNXBN" "$@" >"$OUT" 2>"$ERR" </dev/null
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "onnxbn $*: exit $rc, expected 0"
    elif [ -s "$ERR" ]; then
        fail "onnxbn $*: unexpected output on stderr"
    fi
}

# has_line LINE: stdout of the last command has LINE exactly.
has_line() {
    grep -qxF -- "$1" "$OUT" || fail "stdout lacks the line '$1'"
}

need_testdata() {
    if [ ! -d "$TESTDATA/node" ]; then
        echo "ONNX test data not found at $TESTDATA: skipped"
        exit 77
    fi
}

case_missing_file() {
    expect_error 1 "$WORK/none.onnx" info "$WORK/none.onnx"
    expect_error 1 "$WORK/none.onnx" run "$WORK/none.onnx"
    expect_error 1 "$WORK/none.pb" run "$DATA/relu.onnx" "x=$WORK/none.pb"
    expect_error 1 "$WORK/none.pb" run "$DATA/relu.onnx" "$WORK/none.pb"
    expect_error 1 "is not a regular file" info "$WORK"
}

case_truncated_model() {
    need_testdata
    local m=$TESTDATA/node/test_batchnorm_example/model.onnx size
    size=$(stat -c %s "$m")
    for n in 0 1 7 $((size / 3)) $((size / 2)) $((size - 1)); do
        head -c "$n" "$m" >"$WORK/trunc.onnx"
        expect_error 1 "trunc.onnx" info "$WORK/trunc.onnx"
        expect_error 1 "" run "$WORK/trunc.onnx"
    done
}

case_random_bytes() {
    expect_error 1 "random.bin" info "$DATA/random.bin"
    expect_error 1 "" run "$DATA/random.bin"
    expect_error 1 "random.bin" run "$DATA/relu.onnx" "x=$DATA/random.bin"
    head -c 100 "$DATA/random.bin" >"$WORK/short.npy"
    expect_error 1 "short.npy" run "$DATA/relu.onnx" "x=$WORK/short.npy"
    head -c 100 "$DATA/x_2x3.npy" >"$WORK/cut.npy"
    expect_error 1 "cut.npy" run "$DATA/relu.onnx" "x=$WORK/cut.npy"
    printf '\x93NUMPY\x01\x00\xff\xff{' >"$WORK/lying.npy"
    expect_error 1 "lying.npy" run "$DATA/relu.onnx" "x=$WORK/lying.npy"
}

case_cycle() {
    expect_error 1 "cycle" info "$DATA/cycle.onnx"
    expect_error 1 "cycle" run "$DATA/cycle.onnx"
}

case_unknown_operator() {
    # info describes the model; running it is refused by name.
    expect_ok info "$DATA/unknown_op.onnx"
    has_line "  FrobnicateTensor         1"
    expect_error 1 "FrobnicateTensor" run "$DATA/unknown_op.onnx"
    expect_error 1 "FrobnicateTensor" run "$DATA/unknown_op.onnx" "x=$DATA/x_2x3.pb"
}

case_wrong_input() {
    expect_error 1 "'x'" run "$DATA/relu.onnx" "x=$DATA/x_3x2.pb"
    expect_error 1 "'x'" run "$DATA/relu.onnx" "$DATA/x_i64_2x3.pb"
    expect_error 1 "int64" run "$DATA/relu.onnx" "$DATA/x_i64_2x3.pb"
    expect_error 1 "nosuch" run "$DATA/relu.onnx" "nosuch=$DATA/x_2x3.pb"
}

case_bad_usage() {
    expect_error 2 "no command"
    expect_error 2 "frob" frob
    expect_error 2 "--bogus" --bogus
    expect_error 2 "no model" run
    expect_error 2 "no model" info
    expect_error 2 "unexpected argument" info "$DATA/relu.onnx" extra
    expect_error 2 "--wat" info --wat "$DATA/relu.onnx"
    expect_error 2 "--seed" run "$DATA/relu.onnx" --seed
    expect_error 2 "--seed" run "$DATA/relu.onnx" --seed=-3
    expect_error 2 "--dim" run "$DATA/sym.onnx" --dim N
    expect_error 2 "'M'" run "$DATA/sym.onnx" --dim M=3
    expect_error 2 "twice" run "$DATA/relu.onnx" "x=$DATA/x_2x3.pb" "x=$DATA/x_2x3.pb"
    expect_error 2 "more input files" run "$DATA/relu.onnx" "$DATA/x_2x3.pb" "$DATA/x_2x3.pb"
    expect_error 2 "no test case" test
    expect_error 2 "--rtol" test --rtol abc "$DATA/cases/relu_pass"
    expect_error 2 "--atol" test "$DATA/cases/relu_pass" --atol
    expect_error 2 "unknown command 'nope'" help nope
}

case_help() {
    expect_ok --help
    has_line "usage: onnxbn COMMAND [ARGS...]"
    expect_ok --version
    grep -qE '^onnxbn [0-9]+\.[0-9]+\.[0-9]+$' "$OUT" || fail "--version prints no version"
    for c in info run test; do
        expect_ok "$c" --help
        grep -q "^usage: onnxbn $c" "$OUT" || fail "$c --help prints no usage"
        expect_ok help "$c"
        grep -q "^usage: onnxbn $c" "$OUT" || fail "help $c prints no usage"
    done
}

case_info() {
    need_testdata
    expect_ok info "$TESTDATA/node/test_batchnorm_example/model.onnx"
    has_line "ir_version: 8"
    has_line "producer: backend-test"
    has_line "opsets: ai.onnx 15"
    has_line "inputs: 5"
    has_line "  x: float [2,3,4,5]"
    has_line "  s: float [3]"
    has_line "outputs: 1"
    has_line "  y: float [2,3,4,5]"
    has_line "nodes: 1"
    has_line "  BatchNormalization       1"
    has_line "initializers: 0 (0 bytes)"
    # Symbolic dimensions by name; operators most frequent first; initializer bytes.
    expect_ok info "$DATA/mixed.onnx"
    has_line "  x: float [batch,3]"
    has_line "nodes: 5"
    has_line "initializers: 1 (24 bytes)"
    local order
    order=$(grep -E '^  (Relu|Add|Mul) ' "$OUT" | awk '{print $1 $2}' | tr '\n' ' ')
    [ "$order" = "Relu3 Add1 Mul1 " ] || fail "operator counts in the wrong order: $order"
}

# run writes output files that numpy reads back equal to the ONNX reference outputs.
case_run_outputs() {
    need_testdata
    local c=$TESTDATA/node/test_gemm_all_attributes
    local d=$c/test_data_set_0
    expect_ok run "$c/model.onnx" "$d/input_0.pb" "$d/input_1.pb" "$d/input_2.pb" -o "$WORK/pb"
    grep -q "^output 'y': float \[3,5\] = " "$OUT" || fail "run does not print output 'y'"
    expect_ok run "$c/model.onnx" "a=$d/input_0.pb" "b=$d/input_1.pb" "c=$d/input_2.pb" \
        -o "$WORK/npy" --npy
    "$PY" - "$d/output_0.pb" "$WORK/pb/output_0.pb" "$WORK/npy/output_0.npy" <<'EOF' >"$OUT" 2>"$ERR" \
        || fail "written outputs differ from the reference"
import sys, numpy as np, onnx
from onnx import numpy_helper
def load_pb(p):
    t = onnx.TensorProto()
    with open(p, "rb") as f:
        t.ParseFromString(f.read())
    return t
ref = load_pb(sys.argv[1])
exp = numpy_helper.to_array(ref)
got_pb = load_pb(sys.argv[2])
assert got_pb.name == "y", got_pb.name
got = numpy_helper.to_array(got_pb)
npy = np.load(sys.argv[3])
for a in (got, npy):
    assert a.dtype == exp.dtype and a.shape == exp.shape, (a.dtype, a.shape)
    np.testing.assert_allclose(a, exp, rtol=1e-3, atol=1e-7)
assert np.array_equal(got, npy)
EOF
    # The written .pb, used as the expected output of a case, passes `onnxbn test`.
    mkdir -p "$WORK/case/test_data_set_0"
    cp "$c/model.onnx" "$WORK/case/"
    cp "$d"/input_*.pb "$WORK/case/test_data_set_0/"
    cp "$WORK/pb/output_0.pb" "$WORK/case/test_data_set_0/"
    expect_ok test "$WORK/case"
    has_line "PASS case"
}

# Random inputs are deterministic for a seed, differ across seeds, and follow --dim.
case_run_random() {
    expect_ok run "$DATA/sym.onnx" --dim N=4 --seed 5 -o "$WORK/a"
    has_line "input 'x': float [4,3] (random, seed 5)"
    expect_ok run "$DATA/sym.onnx" --dim N=4 --seed 5 -o "$WORK/b"
    expect_ok run "$DATA/sym.onnx" --dim N=4 --seed 6 -o "$WORK/c"
    cmp -s "$WORK/a/output_0.pb" "$WORK/b/output_0.pb" || fail "same seed, different outputs"
    cmp -s "$WORK/a/output_0.pb" "$WORK/c/output_0.pb" && fail "different seeds, same outputs"
    expect_ok run "$DATA/sym.onnx"
    has_line "input 'x': float [1,3] (random, seed 0)"
}

# test: PASS, FAIL with the worst element, SKIP with the library's reason, the summary, exit 1.
case_test_verdicts() {
    "$ONNXBN" test "$DATA/cases" >"$OUT" 2>"$ERR"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "test with failures: exit $rc, expected 1"
    has_line "PASS relu_pass"
    grep -qE "^FAIL relu_fail: output 'y' \[4\]: got 0 expected 0\.25 \(abs err 0\.25; 1 of 6 values differ\)$" "$OUT" \
        || fail "relu_fail line"
    grep -q "^FAIL relu_two_sets: test_data_set_1: output 'y' " "$OUT" || fail "relu_two_sets line"
    grep -qE "^SKIP unknown_op: .*FrobnicateTensor" "$OUT" || fail "unknown_op line"
    [ "$(tail -n 1 "$OUT")" = "1 passed, 2 failed, 1 skipped" ] || fail "summary line"
    # --quiet keeps failures and the summary; only PASS/SKIP gives exit 0.
    expect_ok test --quiet "$DATA/cases/relu_pass" "$DATA/cases/unknown_op"
    [ "$(cat "$OUT")" = "1 passed, 0 failed, 1 skipped" ] || fail "--quiet output"
    # A looser tolerance turns the 0.25 difference into a pass.
    expect_ok test --atol 0.3 "$DATA/cases/relu_fail"
    has_line "PASS relu_fail"
    # A folder that is not a case is a FAIL line, not a crash.
    "$ONNXBN" test "$WORK" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] && grep -q "^FAIL .*: no model.onnx" "$OUT" || fail "non-case folder"
}

if ! declare -F "case_$CASE" >/dev/null; then
    echo "unknown case '$CASE'"
    exit 1
fi
"case_$CASE"
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "ok"
