#!/usr/bin/python3
# profile.py — groups profile_nodes output by operator, Conv split by kind (depthwise, pointwise
# 1x1, KxK im2col) with each group's GFLOP/s: where a model's time goes, for RESULTS.md.
import subprocess
import sys

import onnx
from onnx import shape_inference


def main():
    tool, model, shape, iters = sys.argv[1:5]
    threads = sys.argv[5] if len(sys.argv) > 5 else "1"
    m = shape_inference.infer_shapes(onnx.load(model))
    shapes = {v.name: [d.dim_value or 1 for d in v.type.tensor_type.shape.dim]
              for v in list(m.graph.value_info) + list(m.graph.output)}
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    kind, flop = {}, {}
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


if __name__ == "__main__":
    main()
