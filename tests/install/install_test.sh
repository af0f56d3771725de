#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# install_test.sh — one check per call (ctest runs each case): what `cmake --install` puts in a
# prefix, programs built against it out of tree (pkg-config and find_package), the DEB, the examples.
# usage: install_test.sh CASE SRC_DIR BUILD_DIR WORK_DIR [SANITIZE(ON/OFF)]
set -u
CASE=$1 SRC=$2 BUILD=$3 WORK=$4 SAN=${5:-OFF}
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
OUT=$WORK/stdout ERR=$WORK/stderr
: >"$OUT"; : >"$ERR"
failures=0
# A sanitized library needs the sanitizer runtime in the program too.
san_flags=()
[ "$SAN" = ON ] && san_flags=(-fsanitize=address,undefined)
# The onnxbn programs this script runs (installed, built out of tree, the examples) go through
# $ONNXBN_TEST_WRAP when set: tests/valgrind/run_test.sh sets it to memcheck.sh in valgrind mode.
wrap=() pywrap=()
if [ -n "${ONNXBN_TEST_WRAP:-}" ]; then
    wrap=(bash "$ONNXBN_TEST_WRAP")
    pywrap=(bash "$ONNXBN_TEST_WRAP" --python)
fi

fail() {
    echo "FAILED: $*"
    echo "--- stdout:"; cat "$OUT"
    echo "--- stderr:"; cat "$ERR"
    failures=$((failures + 1))
}

# run_ok CMD...: exit 0; stdout/stderr kept in $OUT/$ERR.
run_ok() {
    "$@" >"$OUT" 2>"$ERR" </dev/null
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$*: exit $rc"
}

has_line() {
    grep -qxF -- "$1" "$OUT" || fail "stdout lacks the line '$1'"
}

PREFIX=$WORK/prefix
install_prefix() {
    cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 \
        || { cat "$WORK/install.log"; fail "cmake --install failed"; exit 1; }
    # GNUInstallDirs decides lib/ or lib/<multiarch>/ from the configured prefix: find it.
    LIBDIR=$(dirname "$(find "$PREFIX" -name onnxbn.pc | head -n 1)")
    LIBDIR=${LIBDIR%/pkgconfig}
    [ -n "$LIBDIR" ] && [ -d "$LIBDIR" ] || { fail "no onnxbn.pc installed"; exit 1; }
}

# The simple example on relu.onnx (y = Relu(x), x [2,3]) fills x with (i % 7) - 3 = -3..2.
RELU_LINE="output 'y': float [2,3]: 0 0 0 0 1 2"
check_simple() {
    run_ok "${wrap[@]}" "$1" "$SRC/tests/cli/data/relu.onnx"
    has_line "$RELU_LINE"
}

case_tree() {
    install_prefix
    local v
    v=$(sed -n 's/^project(onnxbn VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
    for f in bin/onnxbn include/onnxbn.h; do
        [ -f "$PREFIX/$f" ] || fail "not installed: $f"
    done
    for f in "libonnxbn.so.$v" libonnxbn.a pkgconfig/onnxbn.pc cmake/onnxbn/onnxbnConfig.cmake \
             cmake/onnxbn/onnxbnConfigVersion.cmake cmake/onnxbn/onnxbnTargets.cmake; do
        [ -f "$LIBDIR/$f" ] || fail "not installed: ${LIBDIR#$PREFIX/}/$f"
    done
    [ "$(readlink "$LIBDIR/libonnxbn.so")" = "libonnxbn.so.${v%%.*}" ] || fail "libonnxbn.so link"
    objdump -p "$LIBDIR/libonnxbn.so.$v" | grep -q "SONAME *libonnxbn.so.${v%%.*}$" \
        || fail "soname is not libonnxbn.so.${v%%.*}"
    # The installed header stands alone (no internal header, C11 and C++ both).
    echo '#include <onnxbn.h>
int main(void) { return onnxbn_version()[0] == 0; }' >"$WORK/h.c"
    gcc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$PREFIX/include" "$WORK/h.c" \
        >"$OUT" 2>"$ERR" || fail "onnxbn.h does not compile alone with gcc -std=c11 -pedantic"
    if command -v g++ >/dev/null; then
        g++ -Wall -Wextra -Werror -fsyntax-only -x c++ -I"$PREFIX/include" "$WORK/h.c" \
            >"$OUT" 2>"$ERR" || fail "onnxbn.h does not compile as C++"
    fi
    run_ok "${wrap[@]}" "$PREFIX/bin/onnxbn" --version
    has_line "onnxbn $v"
    run_ok "${wrap[@]}" "$PREFIX/bin/onnxbn" info "$SRC/tests/cli/data/relu.onnx"
    has_line "  Relu                     1"
}

# cc simple.c $(pkg-config --cflags --libs onnxbn): shared; and the static archive with
# pkg-config --static for what it needs.
case_pkgconfig() {
    install_prefix
    export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
    run_ok pkg-config --modversion onnxbn
    [ "$(cat "$OUT")" = "$(sed -n 's/^project(onnxbn VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")" ] \
        || fail "pkg-config --modversion"
    [ "$(realpath "$(pkg-config --variable=includedir onnxbn)")" = "$(realpath "$PREFIX/include")" ] \
        || fail "includedir is not the install prefix's"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror "${san_flags[@]}" "$SRC/examples/simple.c" -o "$WORK/simple" \
        $(pkg-config --cflags --libs onnxbn) -Wl,-rpath,"$LIBDIR" >"$OUT" 2>"$ERR" \
        || fail "build with pkg-config"
    ldd "$WORK/simple" | grep -q "libonnxbn.so.0 => $LIBDIR/" || { ldd "$WORK/simple" >"$OUT"; fail "does not load the installed library"; }
    check_simple "$WORK/simple"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror "${san_flags[@]}" "$SRC/examples/simple.c" -o "$WORK/simple_static" \
        $(pkg-config --cflags onnxbn) "$LIBDIR/libonnxbn.a" $(pkg-config --static --libs-only-l onnxbn | sed 's/-lonnxbn//') \
        >"$OUT" 2>"$ERR" || fail "static build with pkg-config --static"
    ldd "$WORK/simple_static" | grep -q libonnxbn && fail "the static build loads libonnxbn.so"
    check_simple "$WORK/simple_static"
}

# find_package(onnxbn) + target_link_libraries(app onnxbn::onnxbn), from a project outside the tree:
# the examples/ project itself and a two-line app with the static target.
case_cmake() {
    install_prefix
    mkdir -p "$WORK/app"
    cat >"$WORK/app/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.18)
project(app C)
find_package(onnxbn 0.1 REQUIRED)
add_executable(app "$SRC/examples/simple.c")
target_link_libraries(app onnxbn::onnxbn)
add_executable(app_static "$SRC/examples/simple.c")
target_link_libraries(app_static onnxbn::onnxbn_static)
EOF
    local flags="-Wall -Wextra -Werror ${san_flags[*]}"
    for proj in "$WORK/app" "$SRC/examples"; do
        local b=$WORK/build-$(basename "$proj")
        cmake -S "$proj" -B "$b" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_FLAGS="$flags" \
            -DCMAKE_EXE_LINKER_FLAGS="${san_flags[*]}" >"$OUT" 2>"$ERR" || fail "configure $proj"
        cmake --build "$b" >>"$OUT" 2>>"$ERR" || fail "build $proj"
    done
    grep -q "onnxbn_DIR:PATH=$PREFIX/" "$WORK/build-app/CMakeCache.txt" || fail "found another onnxbn"
    check_simple "$WORK/build-app/app"
    ldd "$WORK/build-app/app" | grep -q "libonnxbn.so.0 => $LIBDIR/" || fail "app does not load the installed library"
    check_simple "$WORK/build-app/app_static"
    check_simple "$WORK/build-examples/simple"
    [ -x "$WORK/build-examples/fold" ] || fail "examples/fold not built"
}

# cpack -G DEB: four packages as Debian splits a library (libonnxbn0, libonnxbn-dev, onnxbn,
# python3-onnxbn), each with its copyright and changelog; lintian finds no error in them; and
# `dpkg --root` installs them into an empty root where the tool, pkg-config, find_package and the
# Python package work.
case_deb() {
    command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found: skipped"; exit 77; }
    (cd "$WORK" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg") >"$OUT" 2>"$ERR" \
        || fail "cpack -G DEB"
    local v arch ma deb lib dev tool py
    v=$(sed -n 's/^project(onnxbn VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
    arch=$(dpkg --print-architecture)
    ma=$(gcc -print-multiarch)
    lib=$WORK/pkg/libonnxbn0_${v}_$arch.deb dev=$WORK/pkg/libonnxbn-dev_${v}_$arch.deb
    tool=$WORK/pkg/onnxbn_${v}_$arch.deb py=$WORK/pkg/python3-onnxbn_${v}_all.deb
    for deb in "$lib" "$dev" "$tool" "$py"; do
        [ -f "$deb" ] || { ls "$WORK/pkg" >"$OUT"; fail "no $(basename "$deb")"; exit 1; }
    done
    expect_files() {
        local d=$1 f
        shift
        dpkg-deb -c "$d" | awk '{print $6}' >"$OUT"
        for f in "$@"; do
            grep -qxF "./$f" "$OUT" || fail "$(basename "$d") lacks $f"
        done
    }
    expect_files "$lib" "usr/lib/$ma/libonnxbn.so.$v" "usr/lib/$ma/libonnxbn.so.${v%%.*}" \
        usr/share/doc/libonnxbn0/copyright usr/share/doc/libonnxbn0/changelog.gz
    grep -q "libonnxbn\.a\|onnxbn\.h\|bin/onnxbn" "$OUT" && fail "libonnxbn0 holds development files or the tool"
    expect_files "$dev" usr/include/onnxbn.h "usr/lib/$ma/libonnxbn.a" "usr/lib/$ma/libonnxbn.so" \
        "usr/lib/$ma/pkgconfig/onnxbn.pc" "usr/lib/$ma/cmake/onnxbn/onnxbnConfig.cmake" \
        usr/share/doc/libonnxbn-dev/copyright
    expect_files "$tool" usr/bin/onnxbn usr/share/doc/onnxbn/copyright
    expect_files "$py" usr/lib/python3/dist-packages/onnxbn/__init__.py \
        usr/lib/python3/dist-packages/onnxbn/_config.py usr/share/doc/python3-onnxbn/copyright
    dpkg-deb -f "$lib" Depends Section >"$OUT"
    grep -q "^Depends: .*libprotobuf-c1" "$OUT" || fail "libonnxbn0: Depends lacks libprotobuf-c1"
    has_line "Section: libs"
    dpkg-deb -f "$dev" Depends >"$OUT"
    grep -q "libonnxbn0 (= $v)" "$OUT" && grep -q "libprotobuf-c-dev" "$OUT" && grep -q "libopenblas" "$OUT" \
        || fail "libonnxbn-dev: Depends"
    dpkg-deb -f "$py" Depends Architecture >"$OUT"
    grep -q "python3-numpy" "$OUT" && grep -q "libonnxbn0" "$OUT" || fail "python3-onnxbn: Depends"
    has_line "Architecture: all"
    dpkg-deb -e "$lib" "$WORK/ctl-lib"
    grep -qx "activate-noawait ldconfig" "$WORK/ctl-lib/triggers" || fail "libonnxbn0: no ldconfig trigger"
    [ -f "$WORK/ctl-lib/shlibs" ] || fail "libonnxbn0: no shlibs file"
    if command -v lintian >/dev/null; then
        lintian --allow-root "$lib" "$dev" "$tool" "$py" >"$OUT" 2>"$ERR"
        grep -q "^E: " "$OUT" && fail "lintian reports errors"
    else
        echo "lintian not installed: its check is left out"
    fi
    # An empty root: dpkg's database only. Dependencies live on the host (--force-depends);
    # maintainer scripts run outside the root (it has no shell), with DPKG_ROOT set.
    local R=$WORK/root
    mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
    : >"$R/var/lib/dpkg/status"
    : >"$R/var/lib/dpkg/available"
    run_ok dpkg --root="$R" --log=/dev/null --force-depends --force-script-chrootless \
        -i "$lib" "$dev" "$tool" "$py"
    run_ok dpkg --root="$R" -s libonnxbn0 libonnxbn-dev onnxbn python3-onnxbn
    [ "$(grep -c '^Status: install ok installed' "$OUT")" -eq 4 ] || fail "not all four installed"
    run_ok env LD_LIBRARY_PATH="$R/usr/lib/$ma" "${wrap[@]}" "$R/usr/bin/onnxbn" --version
    has_line "onnxbn $v"
    run_ok env LD_LIBRARY_PATH="$R/usr/lib/$ma" "${wrap[@]}" "$R/usr/bin/onnxbn" run \
        "$SRC/tests/cli/data/relu.onnx" "x=$SRC/tests/cli/data/x_2x3.pb"
    run_ok env PKG_CONFIG_SYSROOT_DIR="$R" PKG_CONFIG_LIBDIR="$R/usr/lib/$ma/pkgconfig" pkg-config --libs onnxbn
    grep -q -- "-lonnxbn" "$OUT" || fail "pkg-config --libs onnxbn in the root"
    if [ "$SAN" != ON ]; then
        # (a sanitized library cannot be loaded into a python without the sanitizer runtime)
        run_ok env PYTHONPATH="$R/usr/lib/python3/dist-packages" ONNXBN_LIBRARY= "${pywrap[@]}" "$PY" -c \
            "import onnxbn, os; print(os.path.realpath(onnxbn.library_path))"
        has_line "$(realpath "$R/usr/lib/$ma/libonnxbn.so.$v")"
    fi
    # find_package(onnxbn) from the root: the static target finds OpenBLAS and protobuf-c on this
    # machine (find_dependency, pkg-config), not by the paths of the machine that built it.
    grep -q "$BUILD\|libprotobuf-c\.so\|libopenblas\.so" "$R/usr/lib/$ma/cmake/onnxbn/onnxbnTargets.cmake" \
        && fail "onnxbnTargets.cmake names a path of the build machine"
    mkdir -p "$WORK/rootapp"
    printf 'cmake_minimum_required(VERSION 3.18)\nproject(app C)\nfind_package(onnxbn 0.1 REQUIRED)\nadd_executable(app_static "%s")\ntarget_link_libraries(app_static onnxbn::onnxbn_static)\n' \
        "$SRC/examples/simple.c" >"$WORK/rootapp/CMakeLists.txt"
    if cmake -S "$WORK/rootapp" -B "$WORK/build-rootapp" -DCMAKE_PREFIX_PATH="$R/usr" \
        -DCMAKE_C_FLAGS="${san_flags[*]}" -DCMAKE_EXE_LINKER_FLAGS="${san_flags[*]}" >"$OUT" 2>"$ERR" &&
        cmake --build "$WORK/build-rootapp" >>"$OUT" 2>>"$ERR"; then
        check_simple "$WORK/build-rootapp/app_static"
    else
        fail "find_package(onnxbn) static app from the root"
    fi
}

# examples/simple: fills, runs, reads; the values are checked by hand (relu) and by numpy (mlp_bn).
case_example_simple() {
    local simple=$BUILD/examples/simple
    check_simple "$simple"
    has_line "onnxbn $(sed -n 's/^project(onnxbn VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")"
    run_ok "${wrap[@]}" "$simple" "$SRC/models/mlp_bn/model.onnx"
    "$PY" - "$SRC/models/mlp_bn/model.onnx" "$OUT" <<'EOF' >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "mlp_bn output differs from numpy"; }
# Gemm -> BatchNormalization -> Relu -> Gemm in float64 from the model's own weights.
import sys, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
x = (np.arange(16) % 7 - 3).astype(np.float64).reshape(1, 16)
vals = {m.graph.input[0].name: x}
for n in m.graph.node:
    a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
    i = [vals[k] if k in vals else w[k] for k in n.input]
    if n.op_type == "Gemm":
        b = i[1].T if a.get("transB", 0) else i[1]
        y = a.get("alpha", 1.0) * i[0] @ b + a.get("beta", 1.0) * i[2]
    elif n.op_type == "BatchNormalization":
        s, bias, mean, var = i[1:5]
        y = (i[0] - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * s + bias
    elif n.op_type == "Relu":
        y = np.maximum(i[0], 0)
    else:
        raise SystemExit("unexpected op " + n.op_type)
    vals[n.output[0]] = y
exp = vals[m.graph.output[0].name].ravel()
line = [l for l in open(sys.argv[2]) if l.startswith("output 'output': float [1,10]:")]
assert len(line) == 1, open(sys.argv[2]).read()
got = np.array([float(v) for v in line[0].split("]:", 1)[1].split()])
assert got.shape == exp.shape, (got, exp)
np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-5)
assert np.abs(exp).max() > 0.1  # the check is not against a zero output
EOF
    # Errors: one line naming the file, exit 1; usage: exit 2.
    "${wrap[@]}" "$simple" "$WORK/none.onnx" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] && [ "$(wc -l <"$ERR")" -eq 1 ] && grep -q "none.onnx" "$ERR" || fail "missing model"
    "${wrap[@]}" "$simple" "$SRC/tests/cli/data/unknown_op.onnx" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] && grep -q "FrobnicateTensor" "$ERR" && grep -q "ONNXBN_ERR_UNSUPPORTED\|unsupported" "$ERR" \
        || fail "unsupported operator"
    "${wrap[@]}" "$simple" >"$OUT" 2>"$ERR"
    [ $? -eq 2 ] || fail "no argument: exit 2 expected"
}

# examples/fold on tiny_resnet: the report, the saved file (no BN, valid ONNX), and the saved file
# passes the original test data (PyTorch's outputs) under `onnxbn test`.
case_example_fold() {
    local fold=$BUILD/examples/fold model=$SRC/models/tiny_resnet
    [ -f "$model/model.onnx" ] || { echo "models/tiny_resnet missing: skipped"; exit 77; }
    mkdir -p "$WORK/case"
    run_ok "${wrap[@]}" "$fold" "$model/model.onnx" "$WORK/case/model.onnx"
    has_line "BatchNormalization: 6 -> 0 (6 folded, 0 left); nodes: 23 -> 17"
    grep -qE "^folded +Conv\+BN +/stem/stem.1/BatchNormalization -> /stem/stem.0/Conv$" "$OUT" \
        || fail "report line of the stem fold"
    grep -qE "^output 'output': max \|original - folded\| = .* ok$" "$OUT" || fail "comparison line"
    "$PY" -c "
import sys, onnx
m = onnx.load(sys.argv[1]); onnx.checker.check_model(m)
ops = [n.op_type for n in m.graph.node]
assert 'BatchNormalization' not in ops and ops.count('Conv') == 6, ops
" "$WORK/case/model.onnx" >"$OUT" 2>"$ERR" || fail "the folded file"
    cp -r "$model"/test_data_set_* "$WORK/case/"
    run_ok "${wrap[@]}" "$BUILD/onnxbn" test "$WORK/case"
    has_line "PASS case"
    "${wrap[@]}" "$fold" "$WORK/none.onnx" "$WORK/x.onnx" >"$OUT" 2>"$ERR"
    [ $? -eq 1 ] && grep -q "none.onnx" "$ERR" || fail "missing model"
}

# docs/deploying-pytorch.md, steps 2-8, as written there (the C part with the in-tree example).
case_guide() {
    "$PY" -c "import torch" 2>/dev/null || { echo "PyTorch (python3-torch) not installed: skipped"; exit 77; }
    local bin=$BUILD/onnxbn
    cd "$WORK" || exit 1
    run_ok "$PY" "$SRC/examples/export_pytorch.py" smallnet
    run_ok "${wrap[@]}" "$bin" info smallnet/model.onnx
    has_line "  input: float [N,3,32,32]"
    has_line "  output: float [N,10]"
    has_line "nodes: 11"
    has_line "  BatchNormalization       1"
    run_ok "${wrap[@]}" "$bin" info smallnet/model.onnx --dot
    grep -q "folds into /head/head.0/Gemm" "$OUT" || fail "the guide's orange BN"
    run_ok "${wrap[@]}" "$bin" run smallnet/model.onnx
    grep -q "^output 'output': float \[1,10\] = " "$OUT" || fail "run"
    run_ok "${wrap[@]}" "$bin" run smallnet/model.onnx input=smallnet/test_data_set_0/input_0.pb -o out/ --npy
    [ -f out/output_0.npy ] || fail "run -o out/ --npy wrote nothing"
    run_ok "${wrap[@]}" "$bin" test smallnet
    has_line "PASS smallnet"
    run_ok "${wrap[@]}" "$bin" fuse smallnet/model.onnx smallnet_fused.onnx --verify smallnet
    grep -qE "^folded +Gemm\+BN +'/head/head.1/BatchNormalization' into '/head/head.0/Gemm'$" "$OUT" || fail "fuse report"
    grep -q "^verify on smallnet/test_data_set_0:" "$OUT" || fail "fuse --verify"
    run_ok "${wrap[@]}" "$bin" info smallnet/model.onnx --dot --fused
    grep -q "+ BatchNormalization /head/head.1/BatchNormalization" "$OUT" || fail "the guide's green Gemm"
    run_ok "${wrap[@]}" "$bin" bench smallnet_fused.onnx --dim N=1 --iters 5 --json
    "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['iters'] == 5" "$OUT" || fail "bench --json"
    # The C example on the folded model equals the CLI on the original, same input ((i % 7) - 3).
    run_ok "${wrap[@]}" "$BUILD/examples/simple" smallnet_fused.onnx
    cp "$OUT" simple.out
    "$PY" -c "
import numpy as np
np.save('x.npy', (np.arange(3 * 32 * 32) % 7 - 3).astype(np.float32).reshape(1, 3, 32, 32))"
    run_ok "${wrap[@]}" "$bin" run smallnet/model.onnx input=x.npy -o ref/ --npy
    "$PY" -c "
import numpy as np
line = [l for l in open('simple.out') if l.startswith(\"output 'output': float [1,10]:\")][0]
got = np.array([float(v) for v in line.split(']:', 1)[1].split()])
exp = np.load('ref/output_0.npy').ravel()
np.testing.assert_allclose(got, exp, rtol=1e-4, atol=1e-5)
assert np.abs(exp).max() > 0.05
" >"$OUT" 2>"$ERR" || fail "simple on the folded model differs from the original"
}

# scripts/gen-operator-table.py: rows from the registry through the C API, counts from the node suite.
case_operator_table() {
    [ -d /usr/share/libonnx-testdata/data/node ] || { echo "ONNX test data not installed: skipped"; exit 77; }
    run_ok "${pywrap[@]}" /usr/bin/python3 "$SRC/scripts/gen-operator-table.py" "$BUILD" -o "$WORK/operators.md"
    local t=$WORK/operators.md
    cp "$t" "$OUT"
    # Versions as the operator files declare them (BN: runtime/ops/batchnorm.c; Gemm 1-13).
    grep -qE '^\| BatchNormalization \| 1, 6, 7, 9, 14, 15 \| — \| ([0-9]+) / 0 / 0 \| \1 / \1 \|$' "$t" || fail "BatchNormalization row (onnxbn test and the Python backend pass every case)"
    grep -qE '^\| Gemm \| 1, 6, 7, 9, 11, 13 \| — \|' "$t" || fail "Gemm row"
    grep -qE '^## Not implemented \([0-9]+\)$' "$t" || fail "not-implemented list"
    # Every operator the library runs is a row, and the pass counts add up to the suite's.
    "$PY" - "$t" "$BUILD/onnxbn" <<'PYEOF' >"$WORK/py.out" 2>&1 || { cat "$WORK/py.out"; fail "table vs onnxbn test --json"; }
import json, os, re, subprocess, sys
wrap = ["bash", os.environ["ONNXBN_TEST_WRAP"]] if os.environ.get("ONNXBN_TEST_WRAP") else []
rows = [l.split("|")[1:-1] for l in open(sys.argv[1]) if re.match(r"^\| [A-Za-z]", l)]
# Another domain's row is "domain.Op"; `onnxbn test --json` counts it under its op_type.
ops = {r[0].strip().split(".")[-1]: r[3].strip() for r in rows}
j = json.loads(subprocess.run(wrap + [sys.argv[2], "test", "--json", "/usr/share/libonnx-testdata/data/node"],
                              capture_output=True, text=True).stdout)
for op, c in j["ops"].items():
    if op in ops:
        assert ops[op] == f"{c['passed']} / {c['failed']} / {c['skipped']}", (op, ops[op], c)
    else:
        assert c["passed"] == 0, f"{op} passes {c['passed']} cases but has no row"
assert len(rows) >= 100, len(rows)
PYEOF
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
