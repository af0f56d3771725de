#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# fuse_models.py — `onnxbn fuse` on exported models in the ONNX test-case layout (models/*,
# models/big/*): every foldable BN must go, --verify must pass on random inputs and on the stored
# inputs, the fused file must pass the ONNX checker and reproduce the framework's stored outputs
# (`onnxbn test`), and, when node + onnxruntime-node are installed, onnxruntime must load it and
# give the original's outputs. The value_info fuse adds must agree with onnx's shape inference
# (vicheck.py), and every intermediate tensor of these exports must get one. Prints one line per
# model with the before/after figures.
#
#   fuse_models.py --onnxbn build/onnxbn --work DIR [--bn-after NAME=N ...] CASE_DIR...
import argparse
import json
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vicheck  # noqa: E402
# BatchNormalization that no fold can take, by model: DenseNet normalises each concatenation
# before its ReLU (norm1 of every dense layer, the transitions, norm5): 62 of its 121.
KNOWN_LEFT = {"densenet121": 62}


def ort_dir():
    d = os.environ.get("ONNXBN_ORT_DIR") or os.path.join(HERE, "..", "..", ".cache", "ort")
    mod = os.path.join(d, "node_modules")
    have_node = shutil.which("node") is not None
    return mod if have_node and os.path.isdir(os.path.join(mod, "onnxruntime-node")) else None


def check(exe, case_dir, work, bn_after, ort):
    name = os.path.basename(os.path.normpath(case_dir))
    out_dir = os.path.join(work, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    src, dst = os.path.join(case_dir, "model.onnx"), os.path.join(out_dir, "model.onnx")
    r = subprocess.run([exe, "fuse", src, dst, "--verify", case_dir, "--report", "json"],
                       capture_output=True, text=True)
    if r.returncode:
        return False, f"onnxbn fuse failed: {r.stderr.strip()}"
    j = json.loads(r.stdout)
    rep = j["report"]
    want = bn_after.get(name, KNOWN_LEFT.get(name, 0))
    if rep["bn_after"] != want:
        left = [e for e in rep["entries"] if e["action"] == "left"]
        return False, f"{rep['bn_after']} BN left, expected {want}: {left[:2]}"
    if not j["verify_ok"]:
        return False, f"verify: {j['verify']}"
    onnx.checker.check_model(dst, full_check=True)
    orig, fused = onnx.load(src), onnx.load(dst)
    n_vi, n_dims = vicheck.check_added(orig, fused)
    outs = {o.name for o in fused.graph.output} | {t.name for t in fused.graph.initializer}
    bare = [o for n in fused.graph.node for o in n.output
            if o and o not in outs and o not in {v.name for v in fused.graph.value_info}]
    if bare:
        return False, f"{len(bare)} intermediate tensors without value_info: {bare[:3]}"
    # The stored outputs (PyTorch's) from the fused model, by the same rule as the models tests.
    for d in sorted(os.listdir(case_dir)):
        if d.startswith("test_data_set_"):
            os.symlink(os.path.abspath(os.path.join(case_dir, d)), os.path.join(out_dir, d))
    r = subprocess.run([exe, "test", "--rtol", "1e-3", "--atol", "1e-4", out_dir],
                       capture_output=True, text=True)
    if f"PASS {name}" not in r.stdout:
        return False, f"onnxbn test on the fused model: {r.stdout.strip()} {r.stderr.strip()}"
    ort_note = "onnxruntime: not installed"
    if ort:
        r = subprocess.run(["node", os.path.join(HERE, "ort_check.js"), "--pair", src, dst],
                           capture_output=True, text=True, env=dict(os.environ, NODE_PATH=ort))
        if r.returncode:
            return False, f"onnxruntime: {r.stdout.strip()} {r.stderr.strip()}"
        ort_note = "onnxruntime: " + r.stdout.strip().split(": ", 1)[-1]
    worst = max(v["max_rel"] or 0 for v in j["verify"])
    return True, (f"BN {rep['bn_before']} -> {rep['bn_after']}, nodes {rep['nodes_before']} -> "
                  f"{rep['nodes_after']}, bytes {j['bytes_before']} -> {j['bytes_after']}, "
                  f"value_info {n_vi} added ({n_dims} dims held against onnx), "
                  f"verify max rel diff {worst:.2g}; {ort_note}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnxbn", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bn-after", action="append", default=[], metavar="NAME=N")
    ap.add_argument("cases", nargs="+")
    a = ap.parse_args()
    bn_after = {k: int(v) for k, v in (s.split("=", 1) for s in a.bn_after)}
    ort = ort_dir()
    failed = 0
    for c in a.cases:
        name = os.path.basename(os.path.normpath(c))
        if not os.path.isfile(os.path.join(c, "model.onnx")):
            print(f"SKIP {name}: no model.onnx (models/big is made by models/make_big.sh)")
            continue
        try:
            ok, msg = check(a.onnxbn, c, a.work, bn_after, ort)
        except Exception as e:  # the checker's ValidationError and the like
            ok, msg = False, f"{type(e).__name__}: {e}"
        print(f"{'PASS' if ok else 'FAIL'} {name}: {msg}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
