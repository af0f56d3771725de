#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# run.py — the side-by-side table of issue 5: onnxbn against onnxruntime-node on the same models in
# one run (interleaved), medians and ratios, written to bench/RESULTS.md. Called by bench/run.sh.
import json
import os
import platform
import statistics
import subprocess
import sys

# interleaved runs of each side per case (BENCH_ROUNDS)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# Issue 14's exports (models/vision/, bash models/make_vision.sh), one thread against onnxruntime's
# one thread, BN kept in the file and folded by `onnxbn fuse`: (folder, input shapes). Those onnxbn
# refuses (an operator it lacks) are named in the notes instead of a row.
VISION = [("fcn_resnet50", "1,3,224,224"), ("deeplabv3_resnet50", "1,3,224,224"),
          ("deeplabv3_mobilenet_v3_large", "1,3,224,224"), ("lraspp_mobilenet_v3_large", "1,3,224,224"),
          ("unet", "1,3,64,64"), ("swin_t", "1,3,224,224"), ("maxvit_t", "1,3,224,224"),
          ("raft_small", "1,3,128,128;1,3,128,128"),
          ("fasterrcnn_mobilenet_v3_large_320_fpn", "3,320,320"), ("fasterrcnn_resnet50_fpn", "3,320,320"),
          ("retinanet_resnet50_fpn", "3,320,320"), ("fcos_resnet50_fpn", "3,320,320"),
          ("ssd300_vgg16", "3,320,320"), ("ssdlite320_mobilenet_v3_large", "3,320,320")]
# iterations per round for them (heavy models: a few seconds a run for the ResNet-50 ones)
VISION_ITERS = int(os.environ.get("BENCH_VISION_ITERS", "5"))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def sh(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r.stdout


def js(cmd, env=None):
    return json.loads(sh(cmd, env).strip().splitlines()[-1])


def main():
    build, tools, cache = sys.argv[1], sys.argv[2], sys.argv[3]
    iters = int(os.environ.get("BENCH_ITERS", "40"))
    env = dict(os.environ)
    env["ORT_NODE_DIR"] = os.path.join(ROOT, ".cache/ort/node_modules/onnxruntime-node")
    ob = os.path.join(tools, "onnxbn_bench")
    ort = ["node", os.path.join(HERE, "ort_bench.js")]
    big = os.path.join(ROOT, "models/big")
    rows, notes = [], []

    peak = js([os.path.join(tools, "sgemm_peak"), "1024"], env)["gflops"]
    spin = [js([os.path.join(tools, "spin")], env)["speedup_2_threads"]]
    core = js([ob, os.path.join(cache, "mlp_256_512_512_10.onnx"), "1,256", "1", "3", "1"], env)["blas_core"]

    def mid(xs, key):
        return statistics.median(x[key] for x in xs)

    def pair(label, onnxbn_model, ort_model, shape, threads, n, gflop=None, ort_threads=None):
        # interleaved rounds (onnxbn, onnxruntime, onnxbn, onnxruntime ...); per side the median
        # over the rounds of each run's median: one lucky or unlucky run moves neither side
        a, b = [], []
        for _ in range(ROUNDS):
            a.append(js([ob, onnxbn_model, shape, str(threads), str(n), "5"], env))
            b.append(js(ort + [ort_model, shape, str(ort_threads or threads), str(n), "5"], env))
        r = {"case": label, "threads": threads,
             "onnxbn_ms": mid(a, "median_ms"), "ort_ms": mid(b, "median_ms"),
             "onnxbn_cpu": mid(a, "cpu_median_ms"), "ort_cpu": mid(b, "cpu_median_ms"),
             "onnxbn_open": min(x["open_ms"] for x in a), "ort_open": min(x["open_ms"] for x in b),
             "onnxbn_rss": max(x["max_rss_mb"] for x in a), "ort_rss": max(x["max_rss_mb"] for x in b),
             "node_rss": max(x["node_rss_mb"] for x in b)}
        r["ratio"] = r["onnxbn_ms"] / r["ort_ms"]
        r["cpu_ratio"] = r["onnxbn_cpu"] / r["ort_cpu"]
        if gflop:
            r["gflops"] = gflop / (r["onnxbn_cpu"] / 1e3)
        rows.append(r)
        print(json.dumps(r), flush=True)
        return r

    for name in ("resnet18", "mobilenet_v2"):
        src = os.path.join(big, name, "model.onnx")
        if not os.path.exists(src):
            notes.append(f"{name}: models/big/{name} missing (bash models/make_big.sh), skipped")
            continue
        folded = os.path.join(cache, name + "_folded.onnx")
        sh([os.path.join(build, "onnxbn"), "fuse", src, folded], env)
        gf = float(sh(["/usr/bin/python3", os.path.join(HERE, "flops.py"), src]).strip())
        one = pair(f"{name} 1x3x224x224", folded, src, "1,3,224,224", 1, iters, gf)
        two = pair(f"{name} 1x3x224x224", folded, src, "1,3,224,224", 2, iters, gf)
        notes.append(f"{name}: 2 threads vs 1 thread, onnxbn: {one['onnxbn_ms'] / two['onnxbn_ms']:.2f}x "
                     f"(target >= 1.7x); onnxruntime: {one['ort_ms'] / two['ort_ms']:.2f}x")
    vision = os.path.join(ROOT, "models/vision")
    for name, shape in VISION:
        src = os.path.join(vision, name, "model.onnx")
        if not os.path.exists(src):
            notes.append(f"{name}: models/vision/{name} missing (bash models/make_vision.sh), skipped")
            continue
        folded = os.path.join(cache, name + "_folded.onnx")
        r = subprocess.run([os.path.join(build, "onnxbn"), "fuse", src, folded], capture_output=True,
                           text=True, env=env)
        if not r.returncode:  # a run on random inputs: does onnxbn run it at all?
            r = subprocess.run([ob, folded, shape, "1", "1", "0"], capture_output=True, text=True, env=env)
        if r.returncode:
            why = (r.stderr.strip().splitlines() or ["?"])[-1]
            notes.append(f"{name}: not timed, onnxbn does not run it: {why[:200]}")
            continue
        pair(f"{name} {shape.replace(',', 'x').replace(';', ' + ')}", folded, src, shape, 1,
             VISION_ITERS)
    profiles = []
    for name in ("resnet18", "mobilenet_v2"):
        folded = os.path.join(cache, name + "_folded.onnx")
        if os.path.exists(folded):
            # onnxruntime's own per-node profile of the same model, right before onnxbn's
            prof = os.path.join(cache, name + "_ort_nodes.json")
            sh(ort + [os.path.join(big, name, "model.onnx"), "1,3,224,224", "1", str(iters), "5"],
               dict(env, ORT_NODE_PROFILE=prof))
            table = sh(["/usr/bin/python3", os.path.join(HERE, "profile.py"),
                        os.path.join(tools, "profile_nodes"), folded, "1,3,224,224", str(iters), "1",
                        prof], env)
            profiles.append((name, table))
            print(table, flush=True)
    mlp = os.path.join(cache, "mlp_256_512_512_10.onnx")
    mlp_folded = os.path.join(cache, "mlp_256_512_512_10_folded.onnx")
    sh([os.path.join(build, "onnxbn"), "fuse", mlp, mlp_folded], env)
    for b in (1, 64):
        pair(f"MLP 256-512-512-10 batch {b}", mlp_folded, mlp, f"{b},256", 1, iters * 20)
    bn = []
    for shape in ("1,64,112,112", "8,256,56,56"):
        model = os.path.join(cache, "bn_" + shape.replace(",", "x") + ".onnx")
        r = js([os.path.join(tools, "bn_memcpy"), model, shape, str(iters * 5 if shape[0] == "1" else iters)], env)
        o = js(ort + [model, shape, "1", str(iters * 5 if shape[0] == "1" else iters), "5"], env)
        r["ort_ms"] = o["median_ms"]
        bn.append(r)
        print(json.dumps(r), flush=True)

    # Peak activation memory: the planner's arena against the most bytes live at one step, at
    # batch 1 (symbolic dims 1), BN folded as sessions do by default.
    arenas = []
    for group in (os.path.join(ROOT, "models"), big):
        for name in sorted(os.listdir(group)) if os.path.isdir(group) else []:
            model = os.path.join(group, name, "model.onnx")
            if os.path.exists(model):
                j = js([os.path.join(build, "onnxbn"), "bench", model, "--iters", "1", "--warmup", "0",
                        "--json"], env)
                arenas.append((os.path.relpath(model, ROOT), j["arena_bytes"], j["arena_lower_bound_bytes"]))
                print(arenas[-1], flush=True)

    spin.append(js([os.path.join(tools, "spin")], env)["speedup_2_threads"])
    out = os.path.join(HERE, "RESULTS.md")
    with open(out, "w") as f:
        cpu = ""
        try:
            cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
        except (OSError, IndexError):
            pass
        load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []
        f.write("# Benchmark results (issue 5)\n\n")
        f.write("Written by `bash bench/run.sh` (one run; every number below comes from it).\n\n")
        f.write(f"- machine: {cpu or platform.processor()}, {os.cpu_count()} CPUs; "
                f"load average at the end of the run: {' '.join(load)}\n")
        f.write(f"- parallel capacity: a CPU-bound loop ran {spin[0]:.2f}x (start of the run) and "
                f"{spin[1]:.2f}x (end) faster on 2 threads than on 1 (2.00 = two idle cores)\n")
        f.write(f"- SGEMM: OpenBLAS, kernel `{core}`; measured single-thread SGEMM peak "
                f"(1024³, best of 10, CPU time): {peak:.0f} GFLOP/s; the GFLOP/s columns below count "
                f"a direct convolution's multiply-adds, so where Winograd does fewer they are "
                f"effective rates and may pass this peak\n")
        f.write("- onnxruntime-node 1.30.0, CPU provider, graph optimisation level `all`, "
                "intra-op threads as in the table, timed by its profiler's `model_run` events; "
                "onnxbn timed through the C API (bench/onnxbn_bench.c) on the model as "
                "`onnxbn fuse` writes it (BatchNormalization folded).\n")
        f.write(f"- each side ran {ROUNDS} times, interleaved (onnxbn, onnxruntime, onnxbn, "
                "onnxruntime ...); the table gives the median of the runs' medians. `cpu` columns "
                "are the process CPU time per run (median), which a loaded machine inflates much "
                "less than wall time.\n\n")
        f.write("| case | threads | onnxbn ms | onnxruntime ms | ratio | onnxbn cpu ms | onnxruntime cpu ms | cpu ratio | onnxbn GFLOP/s (cpu) |\n")
        f.write("|---|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            gf = f"{r['gflops']:.0f}" if r.get("gflops") else ""
            f.write(f"| {r['case']} | {r['threads']} | {r['onnxbn_ms']:.3f} | {r['ort_ms']:.3f} | "
                    f"{r['ratio']:.2f} | {r['onnxbn_cpu']:.3f} | {r['ort_cpu']:.3f} | "
                    f"{r['cpu_ratio']:.2f} | {gf} |\n")
        f.write("\nSession open (load + plan), ms: " + "; ".join(
            f"{r['case']} t{r['threads']}: onnxbn {r['onnxbn_open']:.1f}, onnxruntime {r['ort_open']:.1f}"
            for r in rows) + "\n\n")
        f.write("Peak resident memory of the whole process, MB (onnxruntime: node's own before loading "
                "onnxruntime in brackets): " + "; ".join(
                    f"{r['case']} t{r['threads']}: onnxbn {r['onnxbn_rss']:.0f}, onnxruntime "
                    f"{r['ort_rss']:.0f} ({r['node_rss']:.0f})" for r in rows) + "\n\n")
        f.write("Standalone BatchNormalization (onnxbn, one process: BN run, memcpy of the same bytes, "
                "a plain `y = a·x + t` loop, interleaved; medians):\n\n")
        f.write("| shape | bytes | onnxbn BN ms | memcpy ms | a·x+t loop ms | BN / memcpy | onnxruntime BN ms |\n")
        f.write("|---|---|---|---|---|---|---|\n")
        for r in bn:
            f.write(f"| {r['shape']} | {r['bytes']} | {r['bn_ms']:.4f} | {r['memcpy_ms']:.4f} | "
                    f"{r['affine_loop_ms']:.4f} | {r['bn_over_memcpy']:.2f} | {r['ort_ms']:.4f} |\n")
        f.write("\nPeak activation memory at batch 1 (BN folded; `onnxbn bench`'s `arena_bytes` and "
                "`arena_lower_bound_bytes`): the arena holds every intermediate tensor and node scratch; "
                "the lower bound is the most bytes live at one step (target: ratio <= 1.2):\n\n")
        f.write("| model | arena kB | lower bound kB | ratio |\n|---|---|---|---|\n")
        for name, arena, bound in arenas:
            f.write(f"| {name} | {arena / 1e3:.1f} | {bound / 1e3:.1f} | {arena / bound if bound else 1:.3f} |\n")
        f.write("\n" + "\n".join("- " + n for n in notes) + "\n")
        for name, table in profiles:
            f.write(f"\nWhere onnxbn's time goes, {name} (folded, 1 thread, wall ms per run from the "
                    "session profiler; GFLOP/s per group at that wall time, counting a direct "
                    "convolution's multiply-adds, so Winograd layers, which do 2.25x fewer, show an "
                    "effective rate):\n\n" + table)
    print("wrote", out)


if __name__ == "__main__":
    main()
