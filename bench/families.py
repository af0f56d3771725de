#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# families.py — issue 17's table: the torchvision families (models/families/, models/vision/ for
# swin_t and maxvit_t), both exports, onnxbn against onnxruntime at 1 and 2 threads, interleaved.
# usage: families.py BUILD TOOLS OUT.md [NAME ...] (bench/families.sh builds and calls it). Env:
# FAMILIES_FAST=1 (a subset, 1 round, 3 runs), BENCH_ROUNDS (2), BENCH_ITERS (5).
import json
import math
import os
import statistics
import subprocess
import sys
import time

FAST = os.environ.get("FAMILIES_FAST", "") not in ("", "0")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if FAST else "2"))
ITERS = int(os.environ.get("BENCH_ITERS", "3" if FAST else "5"))
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
CLS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "regnet_x_400mf", "regnet_x_800mf",
       "regnet_y_400mf", "regnet_y_800mf", "densenet121", "googlenet", "inception_v3",
       "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "mnasnet0_5", "mnasnet1_0",
       "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "squeezenet1_0", "squeezenet1_1",
       "efficientnet_b0", "efficientnet_b1", "efficientnet_v2_s", "convnext_tiny", "swin_t", "maxvit_t"]
VIDEO = ["r3d_18", "mc3_18", "r2plus1d_18", "s3d"]
FAST_SET = ["resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0"]
BATCH_ROWS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "convnext_tiny"]


def shape(name, batch=1):
    if name in VIDEO:
        return f"{batch},3,16,224,224" if name == "s3d" else f"{batch},3,16,112,112"
    return f"{batch},3,299,299" if name == "inception_v3" else f"{batch},3,224,224"


def run(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        raise RuntimeError((r.stderr.strip().splitlines() or ["?"])[-1][:300])
    return r.stdout


def js(cmd, env):
    return json.loads(run(cmd, env).strip().splitlines()[-1])


def top_ops(build, model, env):
    j = js([os.path.join(build, "onnxbn"), "bench", model, "--iters", str(ITERS), "--warmup", "1",
            "--profile", "--json"], env)
    ops = dict(j.get("ops", {}))
    tot = sum(ops.values()) or 1.0
    return ", ".join(f"{k} {v:.1f} ms ({100 * v / tot:.0f}%)"
                     for k, v in sorted(ops.items(), key=lambda kv: -kv[1])[:3])


def gmean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main():
    build, tools, out = sys.argv[1], sys.argv[2], sys.argv[3]
    only = set(sys.argv[4:])
    env = dict(os.environ)
    env["ORT_NODE_DIR"] = os.path.join(ROOT, ".cache/ort/node_modules/onnxruntime-node")
    ob = os.path.join(tools, "onnxbn_bench")
    ort = ["node", os.path.join(HERE, "ort_bench.js")]
    names = FAST_SET if FAST else CLS + VIDEO
    cases, notes = [], []
    for base in names:
        for name in (base, base + "_default"):
            if only and name not in only and base not in only:
                continue
            where = "vision" if base in ("swin_t", "maxvit_t") else "families"
            src = os.path.join(ROOT, "models", where, name, "model.onnx")
            if not os.path.exists(src):
                notes.append(f"{name}: missing (bash bench/families.sh exports it), skipped")
                continue
            try:
                run([ob, src, shape(base), "1", "1", "0"], env)
            except RuntimeError as e:
                notes.append(f"{name}: not timed, onnxbn does not run it: {e}")
                continue
            cases.append({"name": name, "base": base, "src": src, "shape": shape(base)})
    # (case, threads, batch) rows; rounds go over the whole list, onnxbn then onnxruntime per row
    rows = [(c, t, 1) for c in cases for t in (1, 2)]
    rows += [(c, 1, b) for c in cases if c["base"] in BATCH_ROWS and not c["name"].endswith("_default")
             for b in ((8,) if FAST else (8, 32))]
    res = {id(r): {"a": [], "b": []} for r in rows}
    for _ in range(ROUNDS):
        for r in rows:
            c, t, b = r
            sh = shape(c["base"], b)
            for side, cmd in (("a", [ob, c["src"], sh, str(t), str(ITERS), "1"]),
                              ("b", ort + [c["src"], sh, str(t), str(ITERS), "1"])):
                try:
                    res[id(r)][side].append(js(cmd, env))
                except RuntimeError as e:
                    notes.append(f"{c['name']} {t} thread(s) batch {b}, {side}: {e}")
            print(c["name"], t, b, [x["median_ms"] for x in res[id(r)]["a"]][-1:],
                  [x["median_ms"] for x in res[id(r)]["b"]][-1:], flush=True)

    def med(xs, k):
        return statistics.median(x[k] for x in xs) if xs else float("nan")
    table, batch = {}, []
    for r in rows:
        c, t, b = r
        a, o = res[id(r)]["a"], res[id(r)]["b"]
        if not a or not o:
            continue
        row = {"ms": med(a, "median_ms"), "ort_ms": med(o, "median_ms"), "open": med(a, "open_ms"),
               "ort_open": med(o, "open_ms"), "rss": max(x["max_rss_mb"] for x in a),
               "ort_rss": max(x["max_rss_mb"] for x in o)}
        row["ratio"] = row["ms"] / row["ort_ms"]
        if b == 1:
            table.setdefault(c["name"], {"case": c})[t] = row
        else:
            batch.append((c["name"], b, row))
    worst = sorted(((v[1]["ratio"], n) for n, v in table.items() if 1 in v), reverse=True)[:3]
    with open(out, "w") as f:
        f.write(f"# Issue 17: torchvision families against onnxruntime-node 1.30\n\n"
                f"{'FAST MODE (FAMILIES_FAST=1): a subset of ' + str(len(FAST_SET)) + ' models and fewer runs; partial, not the issue-17 verdict. ' if FAST else ''}"
                f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load "
                f"average at the end {' '.join(open('/proc/loadavg').read().split()[:3])}; {ROUNDS} "
                f"interleaved round(s) of {ITERS} runs (1 warm-up) a side; onnxbn opens the export as is "
                f"(BN folded at open); ratio = onnxbn median / onnxruntime model_run median (< 1: onnxbn faster).\n\n")
        load = float(open("/proc/loadavg").read().split()[0])
        if load > (os.cpu_count() or 1):
            f.write(f"**The machine was loaded (load average {load:.1f} on {os.cpu_count()} CPUs): the 2-thread "
                    "figures say nothing about threads (onnxbn's workers spin and wait on a preempted "
                    "peer), and the 1-thread ones carry that load's noise.**\n\n")
        f.write("| model | 1 thread ms (ort) | ratio | 2 threads ms (ort) | ratio | open ms (ort) | peak RSS MB (ort) |\n"
                "|---|---|---|---|---|---|---|\n")
        for n, v in table.items():
            def cell(t):
                return (f"{v[t]['ms']:.1f} ({v[t]['ort_ms']:.1f}) | {v[t]['ratio']:.2f}" if t in v else "— | —")
            r1 = v.get(1) or v.get(2)
            f.write(f"| {n} | {cell(1)} | {cell(2)} | {r1['open']:.0f} ({r1['ort_open']:.0f}) | "
                    f"{r1['rss']:.0f} ({r1['ort_rss']:.0f}) |\n")
        for t in (1, 2):
            rs = [v[t]["ratio"] for v in table.values() if t in v]
            slower = sum(r > 1.0 for r in rs)
            f.write(f"\nGeometric mean at {t} thread(s): {gmean(rs):.2f}x over {len(rs)} models "
                    f"({slower} slower than onnxruntime; target ≤ 0.80x, each ≤ 1.0x).")
        f.write("\n\n| batch | model | onnxbn ms | onnxruntime ms | throughput ratio (ort/onnxbn time) |\n|---|---|---|---|---|\n")
        for n, b, row in batch:
            f.write(f"| {b} | {n} | {row['ms']:.1f} | {row['ort_ms']:.1f} | {1 / row['ratio']:.2f} |\n")
        f.write("\nThe worst three at 1 thread, with onnxbn's top node types (`onnxbn bench --profile`):\n\n")
        for ratio, n in worst:
            try:
                prof = top_ops(build, table[n]["case"]["src"], env)
            except RuntimeError as e:
                prof = f"(profile failed: {e})"
            f.write(f"- {n}: {ratio:.2f}x — {prof}\n")
        for n in notes:
            f.write(f"\n- {n}")
        f.write("\n")
    print(open(out).read())


if __name__ == "__main__":
    main()
