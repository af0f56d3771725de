#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# profile.py — groups profile_nodes output by operator, Conv split by kind (depthwise, pointwise
# 1x1, KxK) with each group's GFLOP/s: where a model's time goes, for RESULTS.md. With a per-node
# onnxruntime profile (ort_bench.js, ORT_NODE_PROFILE) as a 6th argument, also one row per Conv
# side by side: onnxruntime fuses a Conv with the Relu/Add after it and names the node after the
# last output it writes, which is how its nodes are matched to onnxbn's.
import json
import subprocess
import sys

import onnx
from onnx import shape_inference


def main():
    tool, model, shape, iters = sys.argv[1:5]
    threads = sys.argv[5] if len(sys.argv) > 5 else "1"
    ort = json.load(open(sys.argv[6])) if len(sys.argv) > 6 else None
    m = shape_inference.infer_shapes(onnx.load(model))
    shapes = {v.name: [d.dim_value or 1 for d in v.type.tensor_type.shape.dim]
              for v in list(m.graph.value_info) + list(m.graph.output)}
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    kind, flop, desc = {}, {}, {}
    for n in m.graph.node:
        k = n.op_type
        if k == "Conv":
            w = inits[n.input[1]]
            group = next((a.i for a in n.attribute if a.name == "group"), 1)
            y = shapes[n.output[0]]
            macs = 1
            for v in y:
                macs *= v
            for v in w[1:]:
                macs *= v
            k = ("Conv depthwise" if w[1] == 1 and group > 1 else
                 "Conv 1x1" if w[2:] == [1] * (len(w) - 2) else f"Conv {w[2]}x{w[3]}")
            flop[n.name] = 2.0 * macs
            at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            st = (at.get("strides") or [1])[0]
            desc[n.name] = (f"{w[2]}x{w[3]}/{st} {w[1] * group}->{w[0]}" +
                            (f" g{group}" if group > 1 else "") + f" {y[2]}x{y[3]} ({path(w, group, st, y)})")
        kind[n.name] = k
    out = subprocess.run([tool, model, shape, iters, threads], capture_output=True, text=True,
                         check=True).stdout
    groups = {}
    total = 0.0
    for line in out.splitlines():
        name, op, ms = line.split("\t")
        g = groups.setdefault(kind.get(name, op), [0.0, 0.0, 0])
        g[0] += float(ms)
        g[1] += flop.get(name, 0.0)
        g[2] += float(ms) > 0
        total += float(ms)
    print(f"| group | nodes run | ms per run | share | GFLOP/s |\n|---|---|---|---|---|")
    for k, (ms, fl, n) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        gf = f"{fl / (ms / 1e3) / 1e9:.0f}" if fl and ms else ""
        print(f"| {k} | {n} | {ms:.3f} | {100 * ms / total:.1f}% | {gf} |")
    if ort:
        side_by_side(m, out, desc, flop, ort)


def path(w, group, stride, y):
    """The loop onnxbn picks for a Conv (runtime/ops/conv.c, on a CPU with AVX-512)."""
    if w[1] == 1 and group > 1:
        return "depthwise"
    if w[2:] == [1, 1] and stride == 1:
        return "1x1 direct"
    tiles = ((y[2] + 1) // 2) * ((y[3] + 1) // 2)
    if w[2:] == [3, 3] and stride == 1 and group == 1 and w[1] >= 16 and w[0] >= 16 and tiles >= 32:
        return "Winograd"
    return "im2col"


def side_by_side(m, out, desc, flop, ort):
    """One row per Conv: onnxbn's time (the Conv plus the Relu/Clip it runs in its epilogue)
    against the onnxruntime node that took the same Conv (with whatever it fused after it)."""
    users = {}
    for n in m.graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    ort_ms = {o["name"][:-6] if o["name"].endswith("_nchwc") else o["name"]: o for o in ort}
    ms = {}
    for line in out.splitlines():
        name, op, t = line.split("\t")
        ms[name] = float(t)
    used = set()
    print("\nPer Conv, onnxbn against onnxruntime (its node includes the Relu/Add it fused):\n")
    print("| Conv (kernel/stride C->M, output, onnxbn path) | MFLOP | onnxbn ms | onnxruntime ms | ratio |")
    print("|---|---|---|---|---|")
    tot = [0.0, 0.0]
    for n in m.graph.node:
        if n.op_type != "Conv":
            continue
        out_name, hit = n.output[0], None
        while True:
            if out_name in ort_ms:
                hit = ort_ms[out_name]
            nxt = users.get(out_name, [])
            if len(nxt) != 1 or nxt[0].op_type not in ("Relu", "Clip", "Add", "BatchNormalization"):
                break
            out_name = nxt[0].output[0]
        a = ms.get(n.name, 0.0)
        b = hit["ms"] if hit else None
        if hit:
            used.add(hit["name"])
            tot[0] += a
            tot[1] += b
        print(f"| {desc[n.name]} | {flop[n.name] / 1e6:.0f} | {a:.3f} | "
              f"{'' if b is None else f'{b:.3f}'} | {'' if not b else f'{a / b:.2f}'} |")
    print(f"| all matched Convs | | {tot[0]:.3f} | {tot[1]:.3f} | {tot[0] / tot[1] if tot[1] else 0:.2f} |")
    rest = {}
    for o in ort:
        if o["name"] not in used:
            rest[o["op"]] = rest.get(o["op"], 0.0) + o["ms"]
    mine = {}
    for n in m.graph.node:
        if n.op_type != "Conv":
            mine[n.op_type] = mine.get(n.op_type, 0.0) + ms.get(n.name, 0.0)
    print("\nThe other nodes, ms per run: onnxbn " +
          ", ".join(f"{k} {v:.3f}" for k, v in sorted(mine.items(), key=lambda kv: -kv[1]) if v) +
          "; onnxruntime " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(rest.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
