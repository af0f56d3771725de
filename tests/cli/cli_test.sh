#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
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
    has_line "  FrobnicateTensor         1   (not supported by onnxbn)"
    expect_ok info "$DATA/relu.onnx"
    grep -q "not supported" "$OUT" && fail "a supported operator marked as not supported"
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
    grep -qE '^isa: (avx512|avx2|generic)$' "$OUT" || fail "--version prints no isa"
    local native
    native=$(grep '^isa: ' "$OUT")
    # the cap lowers what the CPU has; an unknown value is ignored (docs/cli.md)
    ONNXBN_ISA=generic expect_ok --version
    has_line "isa: generic"
    ONNXBN_ISA=no-such-isa expect_ok --version
    has_line "$native"
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
    # A node with subgraphs: each branch's name, node count and outer reads, in text, dot, json.
    local m=$TESTDATA/node/test_if/model.onnx
    expect_ok info "$m"
    has_line "subgraphs:"
    has_line "  If: else_branch 1 node, 0 inputs; then_branch 1 node, 0 inputs"
    expect_ok info --dot "$m"
    grep -qF 'n0 [label="If\nelse_branch: 1 node\nthen_branch: 1 node"]' "$OUT" ||
        fail "--dot does not list the If's branches"
    expect_ok info --json "$m"
    grep -qF '"subgraphs": [{"attribute": "else_branch", "nodes": 1, "inputs": 0}, {"attribute": "then_branch", "nodes": 1, "inputs": 0}]' "$OUT" ||
        fail "--json does not list the If's branches"
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

# test --known-failures: a listed failure is XFAIL with the list's reason, a listed pass is XPASS
# (an error), a listed SKIP stays SKIP; the exit status counts FAIL and XPASS only.
case_test_known() {
    printf '# comment\n\ncases/relu_fail\tthe reference is wrong\nunknown_op\tnot run\n' >"$WORK/known.txt"
    expect_ok test --known-failures "$WORK/known.txt" "$DATA/cases/relu_fail" "$DATA/cases/relu_pass" \
        "$DATA/cases/unknown_op"
    grep -qE "^XFAIL relu_fail: output 'y' \[4\]: .* \[known: the reference is wrong\]$" "$OUT" \
        || fail "XFAIL line"
    grep -q "^SKIP unknown_op: " "$OUT" || fail "a listed SKIP stays SKIP"
    [ "$(tail -n 1 "$OUT")" = "1 passed, 0 failed, 1 skipped, 1 xfail, 0 xpass" ] || fail "summary"
    # A path of another suite does not match: relu_fail is then a plain FAIL.
    printf 'node/relu_fail\tx\n' >"$WORK/other.txt"
    "$ONNXBN" test --known-failures "$WORK/other.txt" "$DATA/cases/relu_fail" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] && grep -q "^FAIL relu_fail: " "$OUT" || fail "other suite's entry matched"
    # A listed case that passes: XPASS, exit 1, shown even with --quiet.
    printf 'relu_pass\tstale\n' >"$WORK/stale.txt"
    "$ONNXBN" test --quiet --known-failures "$WORK/stale.txt" "$DATA/cases/relu_pass" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] || fail "XPASS must exit 1"
    has_line "XPASS relu_pass: listed as a known failure (stale) but passes: update the list"
    [ "$(tail -n 1 "$OUT")" = "0 passed, 0 failed, 0 skipped, 0 xfail, 1 xpass" ] || fail "XPASS summary"
    # JSON carries the verdicts and the two counts.
    "$ONNXBN" test --json --known-failures "$WORK/known.txt" "$DATA/cases/relu_fail" >"$OUT" 2>"$ERR"
    grep -q '"verdict": "XFAIL"' "$OUT" && grep -q '"xfail": 1, "xpass": 0}$' "$OUT" || fail "--json"
    expect_error 1 "cannot read" test --known-failures "$WORK/none.txt" "$DATA/cases/relu_pass"
    printf 'a b\tc\n' >"$WORK/bad.txt"
    expect_error 1 "bad.txt:1: expected 'CASE<TAB>reason'" test --known-failures "$WORK/bad.txt" "$DATA/cases/relu_pass"
    expect_error 2 "--known-failures" test "$DATA/cases/relu_pass" --known-failures
}

# ---- info --dot / --json, test's table / --json / progress, bench --json ----
MODELS=$DATA/../../../models

# info --dot: every node, every edge onnx sees between nodes, inputs and outputs; the BNs that
# `onnxbn fuse` folds marked before, the layers that absorbed them after (--fused).
case_info_dot() {
    [ -f "$MODELS/tiny_resnet/model.onnx" ] || { echo "models/tiny_resnet missing: skipped"; exit 77; }
    # With shapes declared for every tensor (onnx shape inference), edges carry them.
    "$PY" -c "
import sys, onnx
m = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))
onnx.save(m, sys.argv[2])" "$MODELS/tiny_resnet/model.onnx" "$WORK/tr.onnx" || fail "shape inference"
    expect_ok info --dot "$WORK/tr.onnx"
    cp "$OUT" "$WORK/before.dot"
    expect_ok info --dot --fused "$WORK/tr.onnx"
    cp "$OUT" "$WORK/after.dot"
    "$ONNXBN" fuse "$WORK/tr.onnx" "$WORK/fused.onnx" >/dev/null 2>&1 || fail "onnxbn fuse"
    "$PY" - "$WORK/tr.onnx" "$WORK/before.dot" "$WORK/fused.onnx" "$WORK/after.dot" <<'PYEOF' >"$OUT" 2>"$ERR" \
        || fail "the dot graphs do not match the models"
import re, sys, onnx

def parse(path):
    text = open(path).read()
    lines = text.splitlines()
    assert lines[0] == "digraph onnxbn {" and lines[-1] == "}", (lines[0], lines[-1])
    nodes, edges = {}, []
    for l in lines[1:-1]:
        m = re.match(r'^  (\w+) \[(.*)\];$', l)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = m.group(2)
            continue
        m = re.match(r'^  (\w+) -> (\w+)(?: \[label="(.*)"\])?;$', l)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
    return text, nodes, edges

def label(attrs):
    return re.search(r'label="((?:[^"\\]|\\.)*)"', attrs).group(1).split("\\n")

def expected(model):
    g = model.graph
    inits = {t.name for t in g.initializer}
    feeds = [i.name for i in g.input if i.name not in inits]
    prod = {o: f"n{k}" for k, n in enumerate(g.node) for o in n.output}
    shapes = {}
    for vi in list(g.value_info) + list(g.output):
        d = vi.type.tensor_type.shape.dim
        shapes[vi.name] = "[" + ",".join(str(x.dim_value) if x.HasField("dim_value") else x.dim_param for x in d) + "]"
    edges = []
    for k, n in enumerate(g.node):
        for i in n.input:
            if i in prod:
                edges.append((prod[i], f"n{k}", shapes.get(i, "")))
            elif i in feeds:
                edges.append((f"in{feeds.index(i)}", f"n{k}", ""))
    for j, o in enumerate(g.output):
        edges.append((prod[o.name], f"out{j}", ""))
    return sorted(edges)

for model_path, dot_path, fused in ((sys.argv[1], sys.argv[2], False), (sys.argv[3], sys.argv[4], True)):
    model = onnx.load(model_path)
    text, nodes, edges = parse(dot_path)
    g = model.graph
    want = {f"n{k}" for k in range(len(g.node))} | {"in0", "out0"}
    assert set(nodes) == want, (sorted(set(nodes) ^ want))
    assert sorted(edges) == expected(model), (sorted(edges), expected(model))
    for k, n in enumerate(g.node):
        op, name = label(nodes[f"n{k}"])[:2]
        # long names keep their last 40 characters
        assert op == n.op_type and (name == n.name or name == "..." + n.name[-40:]), (op, name, n.name)
    assert label(nodes["in0"]) == ["input", "float [N,3,32,32]"], label(nodes["in0"])
    bn = [f"n{k}" for k, n in enumerate(g.node) if n.op_type == "BatchNormalization"]
    if not fused:
        # the stem Conv (stride 2) makes 16x16: a shape from the value_info, on its edge
        assert ("n0", "n1", "[N,8,16,16]") in edges, edges
        assert len(bn) == 6
        for b in bn:
            assert "dashed" in nodes[b] and "#fbd8a8" in nodes[b], nodes[b]
            assert label(nodes[b])[-1].startswith("folds into /"), label(nodes[b])
            assert label(nodes[b])[2] == "[8] x4" or label(nodes[b])[2] == "[16] x4", label(nodes[b])
        assert "6 fold away (orange)" in text
    else:
        assert not bn
        green = [k for k, a in nodes.items() if "#cdebc5" in a]
        assert len(green) == 6 and all(label(nodes[k])[0] == "Conv" for k in green), green
        assert "6 layers absorbed one (green)" in text
PYEOF
    # Operators onnxbn lacks are red; a graph without BN has no marks.
    expect_ok info --dot "$DATA/unknown_op.onnx"
    grep -qF 'label="FrobnicateTensor\nfrob\n(not supported)", fillcolor="#f4c7c3"' "$OUT" \
        || fail "unsupported node not marked"
    grep -q "fold" "$OUT" && fail "fold marks in a model without BN"
    if command -v dot >/dev/null; then
        dot -Tsvg "$WORK/before.dot" -o "$WORK/before.svg" 2>"$ERR" || fail "dot cannot render the graph"
    fi
    expect_error 2 "do not go together" info --dot --json "$DATA/relu.onnx"
}

# info --json: the same facts as the model file, read by onnx; fold marks and --fused stats.
case_info_json() {
    need_testdata
    [ -f "$MODELS/tiny_resnet/model.onnx" ] || { echo "models/tiny_resnet missing: skipped"; exit 77; }
    local bn=$TESTDATA/node/test_batchnorm_example/model.onnx
    for m in "$bn" "$DATA/mixed.onnx" "$DATA/unknown_op.onnx" "$MODELS/tiny_resnet/model.onnx"; do
        expect_ok info --json "$m"
        "$PY" - "$m" "$OUT" <<'PYEOF' >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "info --json $m"; }
import collections, json, sys, onnx
path, out = sys.argv[1], sys.argv[2]
j = json.load(open(out))
m = onnx.load(path)
g = m.graph
inits = {t.name for t in g.initializer}
assert j["model"] == path and j["fused"] is False
assert j["ir_version"] == m.ir_version and j["producer_name"] == m.producer_name
assert j["opsets"] == [{"domain": o.domain or "ai.onnx", "version": o.version} for o in m.opset_import]
def shape(vi):
    if not vi.type.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in vi.type.tensor_type.shape.dim]
exp_in = [{"name": i.name, "dtype": "float", "shape": shape(i)} for i in g.input if i.name not in inits]
assert j["inputs"] == exp_in, (j["inputs"], exp_in)
assert j["outputs"] == [{"name": o.name, "dtype": "float", "shape": shape(o)} for o in g.output]
assert j["node_count"] == len(g.node)
assert j["ops"] == dict(collections.Counter(n.op_type for n in g.node))
assert j["initializer_count"] == len(g.initializer)
assert [(n["name"], n["op_type"], n["inputs"], n["outputs"]) for n in j["nodes"]] == \
       [(n.name, n.op_type, list(n.input), list(n.output)) for n in g.node]
unsup = ["FrobnicateTensor"] if "unknown_op" in path else []
assert j["unsupported_ops"] == unsup
assert [n["supported"] for n in j["nodes"]] == [n.op_type not in unsup for n in g.node]
if "tiny_resnet" in path:
    for k, n in enumerate(g.node):
        if n.op_type == "BatchNormalization":
            f = j["nodes"][k]["bn_fold"]
            assert f["action"] == "folded" and f["kind"] == "Conv+BN", f
            assert f["into"] == g.node[k - 1].name and f["bn"] == n.name, (f, g.node[k - 1].name)
        else:
            assert "bn_fold" not in j["nodes"][k]
    assert j["fuse"]["bn_before"] == 6 and j["fuse"]["bn_folded"] == 6
PYEOF
    done
    expect_ok info --json --fused "$MODELS/tiny_resnet/model.onnx"
    "$PY" -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j['fused'] is True and j['node_count'] == 17 and 'BatchNormalization' not in j['ops'], j['ops']
assert j['fuse'] == {'bn_before': 6, 'bn_after': 0, 'bn_folded': 6, 'bn_converted': 0, 'bn_left': 0, 'nodes_before': 23, 'nodes_after': 17}, j['fuse']
assert sum('absorbed_bn' in n for n in j['nodes']) == 6
" "$OUT" >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "info --json --fused"; }
    # The text form says when it describes the fused model.
    expect_ok info --fused "$MODELS/tiny_resnet/model.onnx"
    has_line "nodes: 17"
    grep -q "^model: .* (fused)$" "$OUT" || fail "info --fused header"
}

# test: the per-operator table after the cases, the summary line still last; none for one case.
case_test_table() {
    "$ONNXBN" test "$DATA/cases" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] || fail "exit status"
    [ -s "$ERR" ] && fail "stderr is not a terminal: no progress expected"
    grep -qE '^  FrobnicateTensor +0 +0 +1$' "$OUT" || fail "FrobnicateTensor row"
    grep -qE '^  Relu +1 +2 +0$' "$OUT" || fail "Relu row"
    grep -qE '^  operator +passed +failed +skipped$' "$OUT" || fail "table header"
    [ "$(tail -n 1 "$OUT")" = "1 passed, 2 failed, 1 skipped" ] || fail "summary not last"
    expect_ok test "$DATA/cases/relu_pass"
    [ "$(cat "$OUT")" = "PASS relu_pass
1 passed, 0 failed, 0 skipped" ] || fail "one case: no table expected"
    # A model that does not load has its own row.
    mkdir -p "$WORK/bad/broken/test_data_set_0"
    head -c 50 "$DATA/relu.onnx" >"$WORK/bad/broken/model.onnx"
    cp -r "$DATA/cases/relu_pass" "$WORK/bad/"
    "$ONNXBN" test "$WORK/bad" >"$OUT" 2>"$ERR"
    grep -qE '^  \(model not loaded\) +0 +1 +0$' "$OUT" || fail "row of the model that does not load"
    grep -qE '^  Relu +1 +0 +0$' "$OUT" || fail "Relu row beside a broken model"
}

# test --json: one object with every case, the per-operator tally and the totals; same exit code.
case_test_json() {
    "$ONNXBN" test --json "$DATA/cases" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] || fail "exit status"
    "$PY" - "$OUT" "$DATA/cases" <<'PYEOF' >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "test --json"; }
import json, sys
j = json.load(open(sys.argv[1]))
d = sys.argv[2]
v = {c["name"]: c["verdict"] for c in j["cases"]}
assert v == {"relu_fail": "FAIL", "relu_pass": "PASS", "relu_two_sets": "FAIL", "unknown_op": "SKIP"}, v
c = j["cases"][0]
assert c["path"] == d + "/relu_fail" and c["ops"] == ["Relu"], c
assert c["reason"] == "output 'y' [4]: got 0 expected 0.25 (abs err 0.25; 1 of 6 values differ)", c["reason"]
assert j["cases"][1]["reason"] == ""
assert "FrobnicateTensor" in j["cases"][3]["reason"]
assert j["ops"] == {"FrobnicateTensor": {"passed": 0, "failed": 0, "skipped": 1},
                    "Relu": {"passed": 1, "failed": 2, "skipped": 0}}, j["ops"]
assert (j["passed"], j["failed"], j["skipped"]) == (1, 2, 1)
assert (j["rtol"], j["atol"]) == (1e-3, 1e-7)
PYEOF
    expect_ok test --json --atol 0.3 "$DATA/cases/relu_fail"
    "$PY" -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j['cases'][0]['verdict'] == 'PASS' and j['atol'] == 0.3 and j['passed'] == 1, j
" "$OUT" >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "--json --atol"; }
}

# test on a terminal: "k/N done, running CASE" on stderr, wiped before each result line.
case_test_progress() {
    command -v script >/dev/null || { echo "script(1) not found: skipped"; exit 77; }
    script -qec "'$ONNXBN' test '$DATA/cases'" /dev/null >"$OUT" 2>"$ERR" </dev/null
    tr -d '\r' <"$OUT" >"$WORK/tty"
    grep -q "3/4 done, running unknown_op" "$WORK/tty" || fail "no progress line on a terminal"
    grep -q "0/4 done, running relu_fail" "$WORK/tty" || fail "no progress before the first case"
    [ "$(sed 's/\x1b\[K//g' "$WORK/tty" | grep -v '^$' | tail -n 1)" = "1 passed, 2 failed, 1 skipped" ] \
        || fail "summary not last on a terminal"
    script -qec "'$ONNXBN' test --no-progress '$DATA/cases'" /dev/null >"$OUT" 2>"$ERR" </dev/null
    if grep -q "done, running" "$OUT"; then fail "--no-progress shows progress"; fi
}

# bench --json keeps its documented fields.
case_bench_json() {
    expect_ok bench --json --iters 3 --warmup 1 --profile "$DATA/mixed.onnx"
    "$PY" -c "
import json, sys
j = json.load(open(sys.argv[1]))
keys = ['model', 'median_ms', 'min_ms', 'p90_ms', 'mean_ms', 'iters', 'warmup', 'threads', 'fold', 'open_ms', 'blas', 'blas_core', 'isa', 'arena_bytes', 'arena_lower_bound_bytes', 'ops']
assert list(j) == keys, list(j)
# batch 1: a, b, c [1,3] share one buffer (Relu in place), d [2,3] its own (Mul in place over
# it); both are live at the Add: 64 + 64 bytes (each rounded up to 64)
assert j['arena_bytes'] == 128 and j['arena_lower_bound_bytes'] == 128, j
assert j['iters'] == 3 and j['warmup'] == 1 and j['threads'] == 1 and j['fold'] is True
assert 0 <= j['min_ms'] <= j['median_ms'] <= j['p90_ms'] and j['blas'] in ('openblas', 'portable')
assert j['isa'] in ('avx512', 'avx2', 'generic'), j['isa']
assert set(j['ops']) == {'Relu', 'Add', 'Mul'}, j['ops']
" "$OUT" >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "bench --json"; }
    # --help's --json paragraph names every key --json prints.
    cp "$OUT" "$WORK/bench.json"
    expect_ok bench --help
    "$PY" -c "
import json, re, sys
keys = list(json.load(open(sys.argv[1])))
text = open(sys.argv[2]).read()
text = text[text.index('  --json'):]
text = text[:text.index('\n  --', 1)]  # the --json paragraph alone
missing = [k for k in keys if not re.search(r'\\b' + k + r'\\b', text)]
assert not missing, 'bench --help does not name: %s' % missing
" "$WORK/bench.json" "$OUT" >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "bench --help keys"; }
    expect_ok bench --iters 3 --warmup 1 "$DATA/mixed.onnx"
    grep -qx "activation arena: 128 bytes (lower bound 128 bytes, ratio 1.000)" "$OUT" \
        || fail "bench: no activation arena line"
}

# --timeout on run, test and bench: a 1 ns bound has passed before the first node (exit 1, the
# library's "run timed out at node ..."), a generous one changes nothing, a bad one is a usage error.
case_timeout() {
    local m=$MODELS/tiny_vgg
    [ -f "$m/model.onnx" ] || { echo "models/tiny_vgg missing: skipped"; exit 77; }
    expect_error 1 "run timed out at node" run --timeout 1e-9 "$m/model.onnx"
    expect_error 1 "run timed out at node" bench --timeout 0.000000001 --iters 2 "$m/model.onnx"
    "$ONNXBN" test --timeout 1e-9 "$m" >"$OUT" 2>"$ERR" </dev/null
    [ $? -eq 1 ] || fail "test --timeout 1e-9: exit status not 1"
    grep -q "^FAIL tiny_vgg: .*run timed out at node" "$OUT" || fail "test --timeout: no timed-out FAIL line"
    expect_ok run --timeout 60 "$m/model.onnx"
    expect_ok test --timeout 60 "$m"
    has_line "1 passed, 0 failed, 0 skipped"
    expect_ok bench --timeout=60 --iters 2 --warmup 0 "$m/model.onnx"
    expect_ok run --timeout 0 "$m/model.onnx"
    expect_error 2 "--timeout" run --timeout -1 "$m/model.onnx"
    expect_error 2 "--timeout" test --timeout abc "$m"
    expect_error 2 "--timeout" bench --timeout 1e10 "$m/model.onnx"
    expect_error 2 "--timeout" run "$m/model.onnx" --timeout
}

# run and bench on models whose output shapes are known only at run time (NonZero, Compress:
# deferred nodes): the outputs printed and written with the run's shapes; random inputs with
# other contents give other shapes from the same model.
case_run_deferred() {
    need_testdata
    local c=$TESTDATA/node/test_nonzero_example
    expect_ok run "$c/model.onnx" "$c/test_data_set_0/input_0.pb" -o "$WORK/pb"
    has_line "output 'result': int64 [2,3] = 0 1 1 0 0 1"
    "$PY" - "$c/test_data_set_0/output_0.pb" "$WORK/pb/output_0.pb" <<'EOF' >"$OUT" 2>"$ERR" \
        || fail "the written NonZero output differs from the reference"
import sys, numpy as np, onnx
from onnx import numpy_helper
def load(p):
    t = onnx.TensorProto()
    with open(p, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)
exp, got = load(sys.argv[1]), load(sys.argv[2])
assert got.dtype == exp.dtype and got.shape == exp.shape and np.array_equal(got, exp), got
EOF
    c=$TESTDATA/node/test_compress_0
    expect_ok run "$c/model.onnx" --seed 1
    has_line "output 'output': float [2,2] = -0.117188 0.75 -0.429688 -0.195312"
    expect_ok run "$c/model.onnx" --seed 2
    has_line "output 'output': float [1,2] = -0.382812 0.445312"
    expect_ok bench --iters 3 --warmup 1 "$c/model.onnx"
}

# info --shapes: every value of tiny_resnet, checked against onnx's own shape inference of the
# same file (symbolic dims by the same name, fixed ones equal); --dim binds the batch.
case_info_shapes() {
    local m=$DATA/../../../models/tiny_resnet/model.onnx
    expect_ok info "$m" --shapes
    has_line "input: float [N,3,32,32]"
    has_line "/block2/Add_output_0: float [N,16,4,4]"
    has_line "output: float [N,10]"
    [ "$(wc -l <"$OUT")" -eq 24 ] || fail "expected 24 values (the input and 23 node outputs)"
    "$PY" - "$m" "$OUT" <<'EOF2' >"$WORK/py.out" 2>&1 || fail "onnx shape inference disagrees: $(cat "$WORK/py.out")"
import sys, onnx
m = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))
g = m.graph
want = {}
for vi in list(g.input) + list(g.value_info) + list(g.output):
    tt = vi.type.tensor_type
    dims = ["%d" % d.dim_value if d.HasField("dim_value") else d.dim_param for d in tt.shape.dim]
    want[vi.name] = "%s [%s]" % ({1: "float", 7: "int64"}[tt.elem_type], ",".join(dims))
got = {}
for line in open(sys.argv[2]):
    name, rest = line.rstrip("\n").rsplit(": ", 1)
    got[name] = rest
produced = [o for n in g.node for o in n.output]
assert len(produced) == 23, produced
for name in [g.input[0].name] + produced:
    assert got.get(name) == want.get(name), (name, got.get(name), want.get(name))
print("ok")
EOF2
    # --dot: the file declares no value_info, the edges carry the inferred shapes
    expect_ok info "$m" --dot
    grep -qF 'n3 -> n4 [label="[N,8,8,8]"];' "$OUT" || fail "--dot edge without the inferred shape"
    expect_ok info "$m" --shapes --dim N=2
    has_line "input: float [2,3,32,32]"
    has_line "/Flatten_output_0: float [2,16]"
    expect_error 1 "'M'" info "$m" --shapes --dim M=2
    expect_error 2 "--shapes" info "$m" --dim N=2
}

# fuse writes value_info for every inferred tensor by default: the file passes onnx's full check,
# and onnx's own inference of the same graph without them gives the same shapes. --shapes (the old
# opt-in) writes the same bytes; --no-shapes writes the file of before, with no value_info; a model
# whose input contents decide shapes gets none, with a note.
case_fuse_shapes() {
    local m=$DATA/../../../models/tiny_resnet/model.onnx
    "$ONNXBN" fuse "$m" "$WORK/f.onnx" >"$OUT" 2>"$ERR" || fail "onnxbn fuse"
    "$ONNXBN" fuse "$m" "$WORK/f_alias.onnx" --shapes >/dev/null 2>&1 || fail "onnxbn fuse --shapes"
    cmp -s "$WORK/f.onnx" "$WORK/f_alias.onnx" || fail "fuse --shapes wrote other bytes than fuse"
    "$ONNXBN" fuse "$m" "$WORK/f_none.onnx" --no-shapes >/dev/null 2>&1 || fail "onnxbn fuse --no-shapes"
    "$PY" -c "
import sys, onnx
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
assert not b.graph.value_info, [v.name for v in b.graph.value_info]
del a.graph.value_info[:]
assert a == b, 'fuse and fuse --no-shapes differ beyond value_info'
" "$WORK/f.onnx" "$WORK/f_none.onnx" >"$WORK/py.out" 2>&1 || fail "--no-shapes: $(cat "$WORK/py.out")"
    # Reshape to a shape the caller feeds: nothing to infer, said so, and the fold still written.
    "$PY" -c "
import sys, onnx
from onnx import helper as h, TensorProto as T
g = h.make_graph([h.make_node('Reshape', ['x', 's'], ['r']), h.make_node('Relu', ['r'], ['y'])], 'g',
                 [h.make_tensor_value_info('x', T.FLOAT, ['N', 6]), h.make_tensor_value_info('s', T.INT64, [2])],
                 [h.make_tensor_value_info('y', T.FLOAT, None)])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 13)]), sys.argv[1])
" "$WORK/reshape.onnx" || fail "making reshape.onnx"
    expect_ok fuse "$WORK/reshape.onnx" "$WORK/reshape_f.onnx"
    has_line "note: no value_info added: the shapes could not be inferred: the contents of a graph input decide shapes in this model: its shapes are known only when it runs"
    "$ONNXBN" fuse "$m" "$WORK/f.onnx" >"$OUT" 2>"$ERR" || fail "onnxbn fuse"
    "$PY" - "$WORK/f.onnx" <<'EOF2' >"$WORK/py.out" 2>&1 || fail "value_info: $(cat "$WORK/py.out")"
import sys, onnx
m = onnx.load(sys.argv[1])
g = m.graph
onnx.checker.check_model(m, full_check=True)
def dims(vi):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in vi.type.tensor_type.shape.dim]
ours = {vi.name: (vi.type.tensor_type.elem_type, dims(vi)) for vi in g.value_info}
outs = {o.name for o in g.output}
produced = [o for n in g.node for o in n.output if o not in outs]
assert sorted(ours) == sorted(produced), (sorted(ours), produced)
del g.value_info[:]
ref = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph
theirs = {vi.name: (vi.type.tensor_type.elem_type, dims(vi)) for vi in ref.value_info}
for name in produced:
    assert ours[name] == theirs[name], (name, ours[name], theirs.get(name))
assert ours["/Flatten_output_0"] == (1, ["N", 16]), ours["/Flatten_output_0"]
print("ok")
EOF2
    expect_ok info "$WORK/f.onnx" --dot
    grep -qF '[label="[N,8,8,8]"]' "$OUT" || fail "--dot of the fused file lacks its shapes"
}

# --input-shape: a fixed batch (relu.onnx's x is [2,3]) and a symbolic one (mlp_bn) overridden in
# run, bench and info; a rank Gemm cannot take is refused by the planner, naming the node.
case_input_shape() {
    local mlp=$DATA/../../../models/mlp_bn/model.onnx
    expect_ok run "$DATA/relu.onnx" --input-shape x=4,3
    grep -q "^output 'y': float \[4,3\] = " "$OUT" || fail "relu at [4,3]: $(cat "$OUT")"
    expect_ok info "$DATA/relu.onnx" --input-shape x=4,3
    has_line "  x: float [4,3]"
    expect_ok run "$mlp" --input-shape input=5,16
    grep -q "^output 'output': float \[5,10\] = " "$OUT" || fail "mlp_bn at [5,16]"
    expect_ok info "$mlp" --shapes --input-shape input=3,16
    has_line "/relu/Relu_output_0: float [3,32]"
    expect_ok bench --iters 2 --warmup 0 --json "$mlp" --input-shape input=7,16
    expect_error 1 "/fc1/Gemm" run "$mlp" --input-shape input=16
    grep -q "expected rank 2" "$ERR" || fail "the refusal does not say the rank Gemm wants"
    expect_error 1 "/fc1/Gemm" bench "$mlp" --input-shape input=2,16,1
    expect_error 1 "/fc1/Gemm" info "$mlp" --shapes --input-shape input=16
    expect_error 1 "'nosuch'" run "$mlp" --input-shape nosuch=1,16
    expect_error 2 "--input-shape" run "$mlp" --input-shape input=1,x
    expect_error 2 "--input-shape" info "$mlp" --input-shape input
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
