#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# run_vision.py — runs onnxbn on issue 14's exports in models/vision/ (folded at open, --no-fold,
# and after `onnxbn fuse` + `fuse --verify`) against torch (or onnxruntime) and prints one table.
#
# Usage: /usr/bin/python3 tests/models/run_vision.py [ONNXBN] [--only NAME...] (bash tests/models/run_vision.sh)
# A model refused because onnxbn lacks an operator is reported, not a failure; a mismatch or any
# other error is (exit 1). Every operator a model uses that schema/ops.def does not run is listed,
# read from the ONNX file (subgraphs of If/Loop included), not found by running. Detection models
# are compared with onnxruntime as sets, plus the staged and float64-arbiter rules of
# docs/test-data.md ("The detection models against onnxruntime").
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.defs
import onnx.numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VISION = os.path.join(ROOT, "models", "vision")
RTOL, ATOL = "1e-3", "1e-4"  # the issue's acceptance tolerance
ORT_DIRS = [os.path.join(ROOT, ".cache/ort/node_modules/onnxruntime-node"),
            "/work/main/.cache/ort/node_modules/onnxruntime-node"]
# The operators issue 14 names; anything else missing is listed apart, for the lead.
ISSUE_OPS = set("""Resize Upsample GatherElements GatherND ScatterElements Scatter ScatterND NonZero
Compress OneHot Trilu CumSum EyeLike CastLike ReverseSequence Unique TopK NonMaxSuppression RoiAlign
MaxRoiPool DepthToSpace SpaceToDepth GridSample MaxUnpool LpNormalization Det Einsum RandomNormal
RandomUniform RandomNormalLike RandomUniformLike Bernoulli Multinomial""".split())
# Detection models whose postprocess cuts a top-k through scores that tie below float32's
# resolution (docs/test-data.md, "The detection models against onnxruntime"): the tensors feeding
# the postprocess, where the staged comparison splits the model.
TIED_CUTS = {"ssdlite320_mobilenet_v3_large": ["/model/Softmax_output_0", "/model/Reshape_output_0"]}


def implemented():
    """{op_type: set of versions} of the OP lines of schema/ops.def (ai.onnx only)."""
    ops = {}
    pat = re.compile(r'^OP\((\w+),\s*"([^"]*)",\s*\w+,\s*V\(([^)]*)\)')
    with open(os.path.join(ROOT, "schema", "ops.def")) as f:
        for line in f:
            m = pat.match(line)
            if m and m.group(2) in ("", "ai.onnx"):
                ops[m.group(1)] = {int(v) for v in m.group(3).split(",")}
    return ops


def nodes_of(graph):
    """Every node, subgraphs (If branches, Loop bodies) included, in file order."""
    for n in graph.node:
        yield n
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from nodes_of(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield from nodes_of(g)


def missing_ops(path, impl):
    """Operators of the model that ops.def does not run at the version the model's opset selects,
    in order of first use: 'Resize', or 'Resize-11' when only other versions of it exist."""
    m = onnx.load(path, load_external_data=False)
    opset = {(i.domain or ""): i.version for i in m.opset_import}
    out = []
    for n in nodes_of(m.graph):
        dom = n.domain if n.domain != "ai.onnx" else ""
        if dom:
            name = f"{dom}:{n.op_type}"
        elif n.op_type not in impl:
            name = n.op_type
        else:
            try:
                since = onnx.defs.get_schema(n.op_type, opset.get("", 1), "").since_version
            except Exception:  # noqa: BLE001 (an op ONNX 1.12 does not know)
                since = None
            name = None if since in impl[n.op_type] else f"{n.op_type}-{since}"
        if name and name not in out:
            out.append(name)
    return out


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def verdict_of(bin_, case, extra):
    """(verdict, reason) of `onnxbn test` on one case folder."""
    rc, out, err = sh([bin_, "test", "--json", "--rtol", RTOL, "--atol", ATOL, "--timeout", "900",
                       *extra, case])
    if rc >= 128 or rc < 0:
        return "CRASH", f"onnxbn exited with {rc}: {err.strip()[-300:]}"
    try:
        c = json.loads(out)["cases"][0]
    except (ValueError, KeyError, IndexError):
        return "FAIL", f"no JSON from onnxbn test (exit {rc}): {err.strip()[-300:]}"
    return c["verdict"], c["reason"]


def refused_op(reason):
    m = re.search(r"operator (\S+)", reason)
    return m.group(1) if m else reason[:120]


def ort_case(path, src_case, tmp):
    """A test-case folder beside the model whose reference outputs are onnxruntime-node's (1 thread),
    or (None, why) when onnxruntime-node is not installed or fails."""
    ort = next((d for d in ORT_DIRS if os.path.isdir(d)), None)
    if not ort:
        return None, "onnxruntime-node not installed (bash bench/run.sh installs it into .cache/ort)"
    case = os.path.join(tmp, os.path.basename(src_case) + "_ort")
    ds = os.path.join(case, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    os.symlink(os.path.abspath(path), os.path.join(case, "model.onnx"))
    feeds = []
    src_ds = os.path.join(src_case, "test_data_set_0")
    k = 0
    types = {np.float32: "float32", np.int64: "int64", np.int32: "int32", np.float64: "float64"}
    while os.path.exists(os.path.join(src_ds, f"input_{k}.pb")):
        t = onnx.TensorProto()
        with open(os.path.join(src_ds, f"input_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        a = onnx.numpy_helper.to_array(t)
        raw = os.path.join(case, f"input_{k}.bin")
        a.tofile(raw)
        feeds.append(f"{t.name}={types[a.dtype.type]}:{','.join(map(str, a.shape))}:{raw}")
        shutil.copy(os.path.join(src_ds, f"input_{k}.pb"), ds)
        k += 1
    env = dict(os.environ, ORT_NODE_DIR=ort)
    r = subprocess.run(["node", os.path.join(ROOT, "tests/models/ort_outputs.js"), path, case, *feeds],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        return None, "onnxruntime failed: " + r.stderr.strip()[-300:]
    with open(os.path.join(case, "outputs.json")) as f:
        meta = json.load(f)
    dt = {"float32": np.float32, "int64": np.int64, "int32": np.int32, "float64": np.float64,
          "bool": np.bool_}
    for k, o in enumerate(meta):
        a = np.fromfile(os.path.join(case, f"output_{k}.bin"), dtype=dt[o["type"]]).reshape(o["dims"])
        with open(os.path.join(ds, f"output_{k}.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(a, o["name"]).SerializeToString())
    return case, ""


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def unmatched(got, want, rtol=float(RTOL), atol=float(ATOL)):
    """How many of want's detections (boxes, scores, labels) have no partner in got: the same label,
    score and box within the tolerance, each of got's used once (greedy, in want's order)."""
    used = np.zeros(len(got[1]), bool)
    miss = 0
    for i in range(len(want[1])):
        ok = (~used & (got[2] == want[2][i])
              & (np.abs(got[1] - want[1][i]) <= atol + rtol * abs(want[1][i]))
              & (np.abs(got[0] - want[0][i]).max(axis=1) <= atol + rtol * np.abs(want[0][i]).max()))
        j = np.flatnonzero(ok)
        if len(j):
            used[j[0]] = True
        else:
            miss += 1
    return miss


def within(got, want, rtol=float(RTOL), atol=float(ATOL)):
    """The tolerance rule elementwise, shapes equal."""
    return got.shape == want.shape and bool(np.all(np.abs(got.astype(np.float64) - want) <= atol + rtol * np.abs(want)))


def staged_verdict(got, ref, got_cuts, ref_cuts, staged):
    """The staged rule, for a model in TIED_CUTS (docs/test-data.md). got, ref: onnxbn's and the
    reference's detections (boxes, scores, labels); got_cuts, ref_cuts: both sides' values of the
    cut tensors; staged: onnxbn's detections when the cut tensors are fed the reference's values.
    Passes when (1) the counts are equal, (2) every cut tensor is within the tolerance of the
    reference's, and (3) the staged detections are the reference's: the same count, each with its
    partner. (ok, detail)."""
    if len(got[1]) != len(ref[1]):
        return False, f"{len(got[1])} detections, the reference {len(ref[1])}"
    for k, (a, b) in enumerate(zip(got_cuts, ref_cuts)):
        if not within(a, b):
            return False, f"cut tensor {k} differs from the reference's beyond the tolerance"
    if len(staged[1]) != len(ref[1]):
        return False, f"fed the reference's cut tensors, {len(staged[1])} detections, the reference {len(ref[1])}"
    miss = unmatched(staged, ref)
    if miss:
        return False, f"fed the reference's cut tensors, {miss} of {len(ref[1])} detections have no partner"
    return True, "staged at the tied top-k cut: cut tensors within the tolerance, same detections from the same cut tensors"


def arbiter_unmatched(got, ref, truth, rtol=float(RTOL), atol=float(ATOL)):
    """As unmatched(), but a reference detection without a partner in got is excused when the
    reference itself is off: it has no partner in the float64 forward (truth) within the tolerance,
    while its nearest truth detection of the same label (by box) has an unused partner in got
    within the tolerance. (how many stay unmatched, how many were excused)."""
    def partner(rows, used, box, score, label):
        ok = (~used & (rows[2] == label) & (np.abs(rows[1] - score) <= atol + rtol * abs(score))
              & (np.abs(rows[0] - box).max(axis=1) <= atol + rtol * np.abs(box).max()))
        j = np.flatnonzero(ok)
        return j[0] if len(j) else None
    used = np.zeros(len(got[1]), bool)
    miss = excused = 0
    for i in range(len(ref[1])):
        j = partner(got, used, ref[0][i], ref[1][i], ref[2][i])
        if j is None and partner(truth, np.zeros(len(truth[1]), bool), ref[0][i], ref[1][i], ref[2][i]) is None:
            same = np.flatnonzero(truth[2] == ref[2][i])
            if len(same):
                t = same[np.argmin(np.abs(truth[0][same] - ref[0][i]).max(axis=1))]
                j = partner(got, used, truth[0][t], truth[1][t], truth[2][t])
                excused += j is not None
        if j is None:
            miss += 1
        else:
            used[j] = True
    return miss, excused


def detections_agree(bin_, model, ref, extra, tmp):
    """onnxbn's detections against the reference's as a set: when `onnxbn test` fails only on the
    order of detections with equal scores (exact ties, which onnxruntime and torch order their own
    ways), the case still passes if every detection has its partner. (ok, detail)."""
    out = tempfile.mkdtemp(dir=tmp)
    ds = os.path.join(ref, "test_data_set_0")
    ins = sorted(f for f in os.listdir(ds) if f.startswith("input_"))
    rc, _, err = sh([bin_, "run", model, *[os.path.join(ds, f) for f in ins], "-o", out, *extra])
    if rc:
        return False, f"onnxbn run: {err.strip()[-200:]}"
    got = [load_pb(os.path.join(out, f"output_{k}.pb")) for k in range(3)]
    want = [load_pb(os.path.join(ds, f"output_{k}.pb")) for k in range(3)]
    if len(got[1]) != len(want[1]):
        return False, f"{len(got[1])} detections, the reference {len(want[1])}"
    miss = unmatched(got, want)
    if miss:
        return False, f"{miss} of {len(want[1])} detections have no partner within the tolerance"
    return True, "same detections, order differs among equal scores"


def run_outputs(bin_, model, inputs, extra, tmp, n):
    """onnxbn's first n outputs of `onnxbn run`, or (None, why)."""
    out = tempfile.mkdtemp(dir=tmp)
    rc, _, err = sh([bin_, "run", model, *inputs, "-o", out, *extra])
    if rc:
        return None, f"onnxbn run: {err.strip()[-200:]}"
    return [load_pb(os.path.join(out, f"output_{k}.pb")) for k in range(n)], ""


def base_of(name):
    return name[: -len("_default")] if name.endswith("_default") else name


def staged_agree(bin_, model, case, cuts, extra, tmp):
    """staged_verdict() for one mode: onnxruntime once on the model with the cut tensors as extra
    outputs; onnxbn on the same, and on the model whose cut tensors are inputs fed onnxruntime's
    values (their producers removed). (ok, detail)."""
    m = onnx.load(model)
    for c in cuts:
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(c))
    work = tempfile.mkdtemp(dir=tmp)
    probe = os.path.join(work, "probe.onnx")
    onnx.save(m, probe)
    ref, err = ort_case(probe, case, work)
    if not ref:
        return False, err
    ds = os.path.join(ref, "test_data_set_0")
    want = [load_pb(os.path.join(ds, f"output_{k}.pb")) for k in range(3 + len(cuts))]
    ins = [os.path.join(ds, f) for f in sorted(os.listdir(ds)) if f.startswith("input_")]
    got, err = run_outputs(bin_, probe, ins, extra, tmp, 3 + len(cuts))
    if got is None:
        return False, err
    keep = [n for n in m.graph.node if not set(n.output) & set(cuts)]
    del m.graph.node[:]
    m.graph.node.extend(keep)
    del m.graph.output[3:]
    for c, a in zip(cuts, want[3:]):
        m.graph.input.append(onnx.helper.make_tensor_value_info(c, onnx.TensorProto.FLOAT, a.shape))
        f = os.path.join(work, f"cut_{len(ins)}.pb")
        with open(f, "wb") as fh:
            fh.write(onnx.numpy_helper.from_array(a, c).SerializeToString())
        ins.append(f)
    staged_model = os.path.join(work, "staged.onnx")
    onnx.save(m, staged_model)
    staged, err = run_outputs(bin_, staged_model, ins, extra, tmp, 3)
    if staged is None:
        return False, err
    return staged_verdict(got[:3], want[:3], got[3:], want[3:], staged)


def arbiter_agree(bin_, model, ref, name, extra, tmp):
    """The reference's detections against onnxbn's with the float64 forward as the arbiter
    (arbiter_unmatched; tests/models/float64_ref.py makes it, once). (ok, detail)."""
    truth_dir = os.path.join(VISION, name, "float64")
    if not os.path.exists(os.path.join(truth_dir, "output_2.pb")):
        rc, _, err = sh(["/usr/bin/python3", os.path.join(ROOT, "tests/models/float64_ref.py"), name])
        if rc:
            return False, f"no float64 forward: {err.strip()[-200:]}"
    truth = [load_pb(os.path.join(truth_dir, f"output_{k}.pb")) for k in range(3)]
    ds = os.path.join(ref, "test_data_set_0")
    got, err = run_outputs(bin_, model, [os.path.join(ds, f) for f in sorted(os.listdir(ds))
                                         if f.startswith("input_")], extra, tmp, 3)
    if got is None:
        return False, err
    want = [load_pb(os.path.join(ds, f"output_{k}.pb")) for k in range(3)]
    if len(got[1]) != len(want[1]):
        return False, f"{len(got[1])} detections, the reference {len(want[1])}"
    miss, excused = arbiter_unmatched(got, want, truth)
    if miss:
        return False, f"{miss} of {len(want[1])} detections have no partner, even by the float64 forward"
    return True, (f"{excused} detection(s) where the reference is outside the tolerance of the float64 "
                  "forward and onnxbn within it")


def run_model(bin_, name, tmp, impl):
    """One row: (status, detail, missing operators). status: pass | refused | mismatch | error."""
    case = os.path.join(VISION, name)
    path = os.path.join(case, "model.onnx")
    missing = missing_ops(path, impl)
    m = onnx.load(path, load_external_data=False)
    n_bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
    detection = [o.name for o in m.graph.output] == ["boxes", "scores", "labels"]
    v, why = verdict_of(bin_, case, [])
    if v == "SKIP":
        return "refused", refused_op(why), missing, n_bn
    notes = []
    ref = case
    if detection:
        # With random weights many scores tie and torch's order among them is its own: the
        # reference is onnxruntime's, which must agree in count exactly and in value within the
        # tolerance. Whether torch's own outputs also match is said in the detail.
        if v == "PASS":
            notes.append("torch agrees")
        elif v == "FAIL":
            ok, detail = detections_agree(bin_, path, case, [], tmp)
            notes.append("torch: " + (detail if ok else "differs: " + detail))
        ref, err = ort_case(path, case, tmp)
        if not ref:
            return "error", err, missing, n_bn
        v, why = verdict_of(bin_, ref, [])
        if v == "SKIP":
            return "refused", refused_op(why), missing, n_bn

    def check(v, why, model, extra, what):
        """None when the mode passed, else the row."""
        if v == "PASS":
            return None
        if v == "FAIL" and detection:
            ok, detail = detections_agree(bin_, model, ref, extra, tmp)
            if not ok and base_of(name) in TIED_CUTS:
                ok, detail = staged_agree(bin_, model, case, TIED_CUTS[base_of(name)], extra, tmp)
            if not ok:
                ok, arb = arbiter_agree(bin_, model, ref, name, extra, tmp)
                detail = arb if ok else f"{detail}; {arb}"
            if ok:
                if "onnxruntime: " + detail not in notes:
                    notes.append("onnxruntime: " + detail)
                return None
            why = f"{why} ({detail})"
        return "mismatch" if v == "FAIL" else "error", f"{what}: {why}", missing, n_bn

    row = check(v, why, path, [], "folded")
    if row:
        return row
    v, why = verdict_of(bin_, ref, ["--no-fold"])
    row = check(v, why, path, ["--no-fold"], "--no-fold")
    if row:
        return row
    fused = os.path.join(tmp, name + "_fused")
    os.makedirs(fused, exist_ok=True)
    # fuse --verify compares IN and OUT row by row: across a tied top-k cut folding's ulps pick
    # other rows, so a TIED_CUTS model is fused without it and its fused model held by the staged
    # rule against onnxruntime below, as the other two modes.
    tied = detection and base_of(name) in TIED_CUTS
    # A detection model's --verify runs at the issue's tolerance, rtol 1e-3 / atol 1e-4, the one
    # every other comparison here uses: verify's default (rtol 1e-4 of the output's largest value)
    # is stricter than that, and a detection head turns rounding upstream into score differences
    # of about 1e-3 (docs/test-data.md, fasterrcnn_resnet50_fpn), so the default would hold the
    # folded file to more than the original is held to against torch.
    tol = ["--rtol", "1e-3", "--atol", "1e-4"] if detection else []
    verify = [] if tied else ["--verify", ref, *tol]
    rc, out, err = sh([bin_, "fuse", path, os.path.join(fused, "model.onnx"), *verify])
    if tied and not rc:
        notes.append("fused without --verify (a tied top-k cut), the fused model staged")
    if rc:
        return "mismatch" if rc == 1 else "error", f"fuse --verify: {(err or out).strip()[-200:]}", missing, n_bn
    bn_left = re.search(r"BatchNormalization: (\d+) before, (\d+) after", out)
    os.symlink(os.path.join(ref, "test_data_set_0"), os.path.join(fused, "test_data_set_0"))
    v, why = verdict_of(bin_, fused, [])
    row = check(v, why, os.path.join(fused, "model.onnx"), [], "fused")
    if row:
        return row
    if bn_left:
        notes.append(f"BN {bn_left.group(1)} -> {bn_left.group(2)} after fuse")
    return "pass", "; ".join(notes), missing, n_bn


def main():
    ap = argparse.ArgumentParser(description="runs onnxbn on models/vision/ and prints a table")
    ap.add_argument("onnxbn", nargs="?", default=os.path.join(ROOT, "build", "onnxbn"))
    ap.add_argument("--only", nargs="*", help="folder names under models/vision/ (default: all)")
    ap.add_argument("--dir", help="another folder of test-case folders (default models/vision)")
    args = ap.parse_args()
    global VISION
    VISION = os.path.abspath(args.dir) if args.dir else VISION
    if not os.access(args.onnxbn, os.X_OK):
        sys.exit(f"run_vision.py: no onnxbn binary at '{args.onnxbn}' (build first, or pass its path)")
    names = args.only or sorted(d for d in os.listdir(VISION)
                                if os.path.exists(os.path.join(VISION, d, "model.onnx")))
    impl = implemented()
    rows = []
    with tempfile.TemporaryDirectory(prefix="run_vision_") as tmp:
        for name in names:
            status, detail, missing, n_bn = run_model(args.onnxbn, name, tmp, impl)
            rows.append((name, n_bn, status, detail, missing))
            print(f"{name}: {status}{': ' + detail if detail else ''}", file=sys.stderr, flush=True)
    w = max(len(r[0]) for r in rows)
    print(f"{'model':<{w}}  {'BN':>3}  status")
    for name, n_bn, status, detail, _ in rows:
        shown = status + (f": {detail}" if detail else "")
        print(f"{name:<{w}}  {n_bn:>3}  {shown}")
    print("\nOperators each model uses that schema/ops.def does not run (from the ONNX file):")
    for name, _, _, _, missing in rows:
        print(f"  {name}: {' '.join(missing) if missing else '-'}")
    union = sorted({op for r in rows for op in r[4]})
    beyond = [op for op in union if op.split("-")[0] not in ISSUE_OPS]
    print(f"\nmissing in all: {' '.join(union) or '-'}")
    print(f"missing beyond issue 14's list: {' '.join(beyond) or '-'}")
    counts = {s: sum(1 for r in rows if r[2] == s) for s in ("pass", "refused", "mismatch", "error")}
    print(f"\n{counts['pass']} pass, {counts['refused']} refused, {counts['mismatch']} mismatch, "
          f"{counts['error']} error")
    return 1 if counts["mismatch"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
