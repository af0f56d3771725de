#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# verify_selftest.py — make_models.py --verify and export_torch.py --verify can still fail now that
# they compare reference outputs within tolerance, and they skip cleanly where torch is missing.
#
#   verify_selftest.py detects-change   copies a committed model folder, perturbs files and
#                                       demands each verdict: a reference output moved by half
#                                       the ONNX tolerance passes, by twice it fails; a seeded
#                                       input or weight moved by 1e-3 fails (by 1 ulp too under
#                                       ATen's AVX2/AVX512 kernels, where they are byte for byte)
#                                       (exit 77 without torch)
#   verify_selftest.py without-torch    both --verify under an interpreter where `import torch`
#                                       fails: exit 77 and say why
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
sys.path.insert(0, MODELS)
import verify_files  # noqa: E402

failed = []


def run(args, env=None):
    p = subprocess.run([sys.executable] + args, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout + p.stderr


def expect(what, args, code, text, env=None):
    rc, out = run(args, env)
    if rc != code or text not in out:
        print(f"FAIL {what}: exit {rc} (expected {code}), output should contain {text!r}:\n{out}")
        failed.append(what)
    else:
        print(f"ok   {what}: exit {rc}, says {text!r}")


def rewrite_tensor(path, change):
    t = verify_files.load_tensor(path)
    a = onnx.numpy_helper.to_array(t).copy()
    change(a)
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(a, t.name).SerializeToString())


def rewrite_initializer(path, name, change):
    m = onnx.load(path)
    for i, t in enumerate(m.graph.initializer):
        if t.name == name:
            a = onnx.numpy_helper.to_array(t).copy()
            change(a)
            m.graph.initializer[i].CopyFrom(onnx.numpy_helper.from_array(a, name))
            onnx.save(m, path)
            return
    sys.exit(f"{path}: no initializer '{name}'")


def move_output(factor):
    # The largest value, by `factor` times what the ONNX rule allows it.
    def change(a):
        i = np.unravel_index(int(np.argmax(np.abs(a))), a.shape)
        e = float(a[i])
        a[i] = np.float32(e + factor * (verify_files.ATOL + verify_files.RTOL * abs(e)))
    return change


def move_relative(rel):
    def change(a):
        i = np.unravel_index(int(np.argmax(np.abs(a))), a.shape)
        a[i] = np.float32(a[i] * (1 + rel))
    return change


def one_ulp(a):
    i = np.unravel_index(int(np.argmax(np.abs(a))), a.shape)
    a[i] = np.nextafter(a[i], np.float32(np.inf))


def detects_change():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("verify_selftest.py: needs PyTorch (python3-torch): skipped")
        return 77
    exact = verify_files.seeded_exact(verify_files.aten_capability())
    # One --verify per row: it reports every file, so each change is judged on its own line.
    # (file, change, passes?) with the model's change applied to its initializer fc1.weight.
    rows = [[("test_data_set_0/output_0.pb", move_output(0.5), True),
             ("test_data_set_1/output_0.pb", move_output(2.0), False),
             ("test_data_set_0/input_0.pb", move_relative(1e-3), False),
             ("model.onnx", move_relative(1e-3), False)]]
    if exact:  # byte for byte here: one ulp is a change
        rows.append([("test_data_set_0/output_0.pb", move_output(-2.0), False),
                     ("test_data_set_1/input_0.pb", one_ulp, False),
                     ("model.onnx", one_ulp, False)])
    for script, name in (("make_models.py", "mlp_bn"), ("export_torch.py", "mlp_bn_after_relu")):
        args = [os.path.join(MODELS, script)] + (["mlp_bn_after_relu"] if name != "mlp_bn" else [])
        for row in rows:
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copytree(os.path.join(MODELS, name), os.path.join(tmp, name))
                for rel, change, _ in row:
                    path = os.path.join(tmp, name, rel)
                    if rel.endswith(".onnx"):
                        rewrite_initializer(path, "fc1.weight", change)
                    else:
                        rewrite_tensor(path, change)
                rc, out = run(args + ["--verify", "--out", tmp])
                lines = out.splitlines()
                for rel, _, passes in row:
                    # make_models.py: "ok   models/NAME/REL: how" or "FAIL models/NAME/REL: why";
                    # export_torch.py: "ok      TMP/NAME/REL: how" or "DIFFERS TMP/NAME/REL: why".
                    where = f"models/{name}/{rel}:" if script == "make_models.py" else f"{tmp}/{name}/{rel}:"
                    want = (("ok",) if passes else ("FAIL", "DIFFERS"))
                    hit = [ln for ln in lines if where in ln and ln.split()[0] in want]
                    what = f"{script} {name}: {rel} {'passes' if passes else 'fails'}"
                    if not hit or (passes and f"within {verify_files.RULE}" not in hit[0]):
                        print(f"FAIL {what}: no such line in:\n{out}")
                        failed.append(what)
                    else:
                        print(f"ok   {what}: {hit[0].split(': ', 1)[1]}")
                if rc != 1:
                    print(f"FAIL {script} {name}: exit {rc}, expected 1:\n{out}")
                    failed.append(script)
    return 1 if failed else 0


def without_torch():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "torch"))
        with open(os.path.join(tmp, "torch", "__init__.py"), "w") as f:
            f.write("raise ImportError('No module named torch (verify_selftest.py)')\n")
        env = dict(os.environ, PYTHONPATH=tmp)
        for script in ("make_models.py", "export_torch.py"):
            path = os.path.join(MODELS, script)
            expect(f"{script} --verify without torch", [path, "--verify"], 77, "needs PyTorch", env)
            expect(f"{script} without torch", [path, "--out", tmp], 1, "needs PyTorch", env)
    return 1 if failed else 0


if __name__ == "__main__":
    modes = {"detects-change": detects_change, "without-torch": without_torch}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit("usage: verify_selftest.py detects-change|without-torch")
    sys.exit(modes[sys.argv[1]]())
