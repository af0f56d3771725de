#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# fuse_testdata.py — `onnxbn fuse --bn-to-affine` over every model of the ONNX backend test data:
# it must never fail or crash, the result must pass the ONNX checker whenever the original does,
# and every case onnxbn passes with the original it must still pass with the result. The value_info
# fuse adds must agree with onnx's shape inference (vicheck.py) and pass the full check whenever
# the original does. Most of these models declare value_info already (the test generator ran onnx's
# inference), which fuse keeps: each such model is also fused with its value_info stripped, and
# what fuse writes then is held against what the model declared as well.
#
#   fuse_testdata.py ONNXBN TESTDATA_DIR WORK_DIR [--memcheck-subset]
import glob
import os
import shutil
import subprocess
import sys

try:
    import onnx
    import onnx.checker
except ImportError as e:  # pragma: no cover
    print(f"SKIP: needs onnx ({e}); use /usr/bin/python3")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vicheck  # noqa: E402


# The operators the converter rewrites; in valgrind mode (--memcheck-subset) only the node models
# that use one of them, or hold a subgraph, go through it (with every model of the other suites).
REWRITTEN = {"BatchNormalization", "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Identity",
             "Dropout", "Constant"}


def in_subset(path, data):
    if os.path.relpath(path, data).split(os.sep)[0] != "node":
        return True
    m = onnx.load(path, load_external_data=False)
    return any(n.op_type in REWRITTEN or
               any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute)
               for n in m.graph.node)


def verdicts(exe, cases):
    """{case name: its verdict line} from one `onnxbn test` over every case (names are unique)."""
    if not cases:
        return {}, None
    r = subprocess.run([exe, "test", "--no-progress"] + cases, capture_output=True, text=True)
    if r.returncode >= 128 or r.returncode < 0:
        return {}, f"onnxbn test crashed (exit {r.returncode}): {r.stderr.strip()[-300:]}"
    out = {}
    for line in r.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict in ("PASS", "FAIL", "SKIP"):
            out[rest.split(":", 1)[0]] = line
    return out, None


def main():
    args = sys.argv[1:]
    subset = "--memcheck-subset" in args
    args = [a for a in args if a != "--memcheck-subset"]
    exe, data, work = args[:3]
    models = sorted(glob.glob(os.path.join(data, "*", "*", "model.onnx")))
    if not models:
        print(f"SKIP: no models under {data}")
        return 77
    if subset:
        models = [m for m in models if in_subset(m, data)]
    problems = []
    fused = []  # (name, original case folder, fused case folder)
    vi_added = vi_checked = 0
    for m in models:
        case = os.path.dirname(m)
        name = os.path.relpath(case, data)
        w = os.path.join(work, name.replace("/", "__"))
        shutil.rmtree(w, ignore_errors=True)
        os.makedirs(w)
        r = subprocess.run([exe, "fuse", m, os.path.join(w, "model.onnx"), "--bn-to-affine"],
                           capture_output=True, text=True)
        if r.returncode:
            problems.append(f"{name}: fuse exited {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        for s in glob.glob(os.path.join(case, "test_data_set_*")):
            os.symlink(s, os.path.join(w, os.path.basename(s)))
        try:
            onnx.checker.check_model(m)
            original_valid = True
        except Exception:  # the test data holds a few models the checker of this onnx refuses
            original_valid = False
        if original_valid:
            try:
                onnx.checker.check_model(os.path.join(w, "model.onnx"))
            except Exception as e:
                problems.append(f"{name}: the checker refuses the result: {str(e)[:300]}")
            try:
                onnx.checker.check_model(m, full_check=True)
                full_valid = True
            except Exception:
                full_valid = False
            if full_valid:
                try:
                    onnx.checker.check_model(os.path.join(w, "model.onnx"), full_check=True)
                except Exception as e:
                    problems.append(f"{name}: the full check refuses the result: {str(e)[:300]}")
        try:
            n, k = vicheck.check_added(onnx.load(m), onnx.load(os.path.join(w, "model.onnx")))
            vi_added += n
            vi_checked += k
        except AssertionError as e:
            problems.append(f"{name}: value_info: {str(e)[:300]}")
        orig = onnx.load(m)
        if orig.graph.value_info and not subset:
            declared = list(orig.graph.value_info)
            del orig.graph.value_info[:]
            bare, bare_fused = os.path.join(w, "bare.onnx"), os.path.join(w, "bare_fused.onnx")
            onnx.save(orig, bare)
            r = subprocess.run([exe, "fuse", bare, bare_fused, "--bn-to-affine"],
                               capture_output=True, text=True)
            if r.returncode:
                problems.append(f"{name} (value_info stripped): fuse exited {r.returncode}: "
                                f"{r.stderr.strip()[:300]}")
            else:
                try:
                    n, k = vicheck.check_added(orig, onnx.load(bare_fused), declared=declared)
                    vi_added += n
                    vi_checked += k
                except AssertionError as e:
                    problems.append(f"{name} (value_info stripped): value_info: {str(e)[:300]}")
        fused.append((name, case, w))
    # Every case onnxbn passes before the fuse must pass after: one `onnxbn test` over all the
    # originals, one over the fused copies of those that passed.
    before, crash = verdicts(exe, [case for _, case, _ in fused])
    if crash:
        problems.append(f"the original models: {crash}")
    passed = [(name, w) for name, case, w in fused
              if before.get(os.path.basename(case), "").startswith("PASS ")]
    after, crash = verdicts(exe, [w for _, w in passed])
    if crash:
        problems.append(f"the fused models: {crash}")
    for name, w in passed:
        v = after.get(os.path.basename(w), "no verdict")
        if not v.startswith("PASS "):
            problems.append(f"{name}: passes before fuse, after: {v[:300]}")
    for p in problems:
        print("FAIL", p)
    what = " (valgrind subset)" if subset else ""
    print(f"{len(models)} models fused{what}, {len(passed)} pass before the fuse, "
          f"{vi_added} value_info entries added ({vi_checked} dimensions held against onnx's "
          f"inference), {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
