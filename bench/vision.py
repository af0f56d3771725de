#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# vision.py — issue 14's speed table: the exports of models/vision (BN kept, folded by `onnxbn fuse`,
# and torch's _default export) against onnxruntime, one thread, interleaved rounds.
# usage: vision.py BUILD TOOLS OUT.md [NAME ...] (bench/vision.sh builds and calls it; OUT.md.json
# gets every figure)
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ITERS = int(os.environ.get("BENCH_VISION_ITERS", "5"))
# (folder, input shapes) as bench/run.py's VISION rows; each also as NAME_default
MODELS = [("fcn_resnet50", "1,3,224,224"), ("deeplabv3_resnet50", "1,3,224,224"),
          ("deeplabv3_mobilenet_v3_large", "1,3,224,224"), ("lraspp_mobilenet_v3_large", "1,3,224,224"),
          ("unet", "1,3,64,64"), ("swin_t", "1,3,224,224"), ("maxvit_t", "1,3,224,224"),
          ("raft_small", "1,3,128,128;1,3,128,128")]
# The detection models take one 3x320x320 image (they resize it to 320 or 800 themselves); only
# their BN-kept export by default (BENCH_VISION_DET_DEFAULT=1 adds the _default ones): each of
# the resnet50 ones runs for seconds at one thread. Both sides draw the same input, uniform in
# [-1, 1), so both see the same proposals and detections.
DETECTION = ["fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_resnet50_fpn", "retinanet_resnet50_fpn",
             "fcos_resnet50_fpn", "ssd300_vgg16", "ssdlite320_mobilenet_v3_large"]
MODELS += [(d, "3,320,320") for d in DETECTION]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        raise RuntimeError((r.stderr.strip().splitlines() or ["?"])[-1][:300])
    return r.stdout


def js(cmd, env):
    return json.loads(run(cmd, env).strip().splitlines()[-1])


def by_op_onnxbn(build, model, env):
    # `onnxbn bench --profile --json`'s ops: ms per run by operator type
    j = js([os.path.join(build, "onnxbn"), "bench", model, "--iters", str(ITERS), "--warmup", "1",
            "--profile", "--json"], env)
    return dict(j.get("ops", {}))


def by_op_ort(model, shape, env):
    prof = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vision_ort_{os.getpid()}.json")
    run(["node", os.path.join(HERE, "ort_bench.js"), model, shape, "1", str(ITERS), "1"],
        dict(env, ORT_NODE_PROFILE=prof))
    ops = {}
    for n in json.load(open(prof)):
        ops[n["op"]] = ops.get(n["op"], 0.0) + n["ms"]
    os.unlink(prof)
    return ops


def main():
    build, tools, out = sys.argv[1], sys.argv[2], sys.argv[3]
    only = set(sys.argv[4:])
    env = dict(os.environ)
    env["ORT_NODE_DIR"] = os.path.join(ROOT, ".cache/ort/node_modules/onnxruntime-node")
    cache = os.path.join(ROOT, ".cache/bench")
    os.makedirs(cache, exist_ok=True)
    ob = os.path.join(tools, "onnxbn_bench")
    ort = ["node", os.path.join(HERE, "ort_bench.js")]
    cases, notes = [], []
    det_default = os.environ.get("BENCH_VISION_DET_DEFAULT") == "1"
    for base, shape in MODELS:
        for name in (base, base + "_default") if base not in DETECTION or det_default else (base,):
            if only and name not in only and base not in only:
                continue
            src = os.path.join(ROOT, "models/vision", name, "model.onnx")
            if not os.path.exists(src):
                notes.append(f"{name}: missing (bash models/make_vision.sh), skipped")
                continue
            folded = os.path.join(cache, name + "_folded.onnx")
            try:
                run([os.path.join(build, "onnxbn"), "fuse", src, folded], env)
                run([ob, folded, shape, "1", "1", "0"], env)
            except RuntimeError as e:
                notes.append(f"{name}: not timed, onnxbn does not run it: {e}")
                continue
            cases.append({"name": name, "src": src, "folded": folded, "shape": shape, "a": [], "b": []})
    # onnxruntime's node profile sums to more than its model_run time, so only its shares are given
    # rounds over the whole list (onnxbn, onnxruntime per model, then the next model), so a burst
    # of load on the shared machine hits one round of many models rather than every round of one
    for _ in range(ROUNDS):
        for c in cases:
            c["a"].append(js([ob, c["folded"], c["shape"], "1", str(ITERS), "2"], env))
            c["b"].append(js(ort + [c["src"], c["shape"], "1", str(ITERS), "2"], env))
            print(c["name"], c["a"][-1]["median_ms"], c["b"][-1]["median_ms"], flush=True)
    for c in cases:
        med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
        c["ms"], c["ort_ms"] = med(c["a"], "median_ms"), med(c["b"], "median_ms")
        c["cpu"], c["ort_cpu"] = med(c["a"], "cpu_median_ms"), med(c["b"], "cpu_median_ms")
        c["ratio"] = c["ms"] / c["ort_ms"]
        # where the time goes: operator types, both sides, for every model (slower or not)
        c["ops"] = by_op_onnxbn(build, c["folded"], env)
        c["ort_ops"] = by_op_ort(c["src"], c["shape"], env)
    cpu = ""
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except (OSError, IndexError):
        pass
    with open(out, "w") as f:
        f.write(f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpu or platform.processor()}, "
                f"{os.cpu_count()} CPUs, load average at the end {' '.join(open('/proc/loadavg').read().split()[:3])}; "
                f"{ROUNDS} interleaved rounds of {ITERS} runs (2 warm-up) a side, one thread, median of the "
                f"rounds' medians.\n\n")
        f.write("| model | onnxbn ms | onnxruntime ms | ratio | cpu ratio | onnxbn's top node types, ms (share) "
                "| onnxruntime's top node types (share) |\n|---|---|---|---|---|---|---|\n")
        for c in cases:
            def top(ops, ms=True):
                tot = sum(ops.values()) or 1.0
                return ", ".join(f"{k} {v:.1f} ({100 * v / tot:.0f}%)" if ms else f"{k} {100 * v / tot:.0f}%"
                                 for k, v in sorted(ops.items(), key=lambda kv: -kv[1])[:3])
            f.write(f"| {c['name']} | {c['ms']:.1f} | {c['ort_ms']:.1f} | {c['ratio']:.2f} | "
                    f"{c['cpu'] / c['ort_cpu']:.2f} | {top(c['ops'])} | {top(c['ort_ops'], False)} |\n")
        for n in notes:
            f.write(f"\n- {n}")
        f.write("\n")
        json.dump([{k: v for k, v in c.items() if k not in ("a", "b")} for c in cases],
                  open(out + ".json", "w"), indent=1)
    print(open(out).read())


if __name__ == "__main__":
    main()
