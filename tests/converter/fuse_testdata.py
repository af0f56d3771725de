#!/usr/bin/python3
# fuse_testdata.py — `onnxbn fuse --bn-to-affine` over every model of the ONNX backend test data:
# it must never fail or crash, the result must pass the ONNX checker whenever the original does,
# and every case onnxbn passes with the original it must still pass with the result.
#
#   fuse_testdata.py ONNXBN TESTDATA_DIR WORK_DIR
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


def first_line(out):
    return out.split("\n", 1)[0]


def main():
    exe, data, work = sys.argv[1:4]
    models = sorted(glob.glob(os.path.join(data, "*", "*", "model.onnx")))
    if not models:
        print(f"SKIP: no models under {data}")
        return 77
    problems = []
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
        before = subprocess.run([exe, "test", case], capture_output=True, text=True).stdout
        if first_line(before).startswith("PASS"):
            after = subprocess.run([exe, "test", w], capture_output=True, text=True).stdout
            if not first_line(after).startswith("PASS"):
                problems.append(f"{name}: passes before fuse, after: {first_line(after)}")
    for p in problems:
        print("FAIL", p)
    print(f"{len(models)} models fused, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
