#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# rnn.py — issue 15's speed rows: the LSTM and GRU text classifiers of models/make_rnn.py --bench
# (hidden 128, embedding 128, 64 tokens) at batch 1 and 32, onnxbn against onnxruntime-node on
# one thread, in interleaved rounds (onnxbn, onnxruntime, onnxbn, ... per case and round), so both
# sides see the same load on a shared machine. Prints a Markdown table (and writes it to OUT).
# Both sides get the same token ids (integers in [0, 10) from one generator).
#   usage: rnn.py ONNXBN_BENCH MODELS_DIR OUT   (bench/rnn.sh builds bench/onnxbn_bench.c, the models)
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ITERS = int(os.environ.get("BENCH_ITERS", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CASES = [(m, n) for m in ("lstm_cls_h128", "gru_cls_h128") for n in (1, 32)]


def last_json(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        raise RuntimeError(f"{cmd[0]}: " + (r.stderr.strip().splitlines() or ["?"])[-1][:300])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    tool, models, out = sys.argv[1:4]
    env = dict(os.environ, ORT_BENCH_INT64="1",
               ORT_NODE_DIR=os.path.join(ROOT, ".cache/ort/node_modules/onnxruntime-node"))
    res = {c: {"onnxbn": [], "ort": []} for c in CASES}
    for r in range(ROUNDS):
        for m, n in CASES:
            path = os.path.join(models, m, "model.onnx")
            a = last_json([tool, path, f"{n},64", "1", str(ITERS), "3"], env)
            b = last_json(["node", os.path.join(HERE, "ort_bench.js"), path, f"{n},64", "1", str(ITERS), "3"],
                          env)
            res[(m, n)]["onnxbn"].append((a["median_ms"], a["min_ms"], a["cpu_median_ms"]))
            res[(m, n)]["ort"].append((b["median_ms"], b["min_ms"], b["cpu_median_ms"]))
            print(f"round {r + 1}/{ROUNDS} {m} N={n}: onnxbn {a['median_ms']:.3f} ms, "
                  f"onnxruntime {b['median_ms']:.3f} ms", file=sys.stderr)
    lines = [f"{ROUNDS} interleaved rounds of {ITERS} timed runs each, one thread: wall time (median of the "
             "rounds' medians, and the best run of all) and process CPU time (median of the rounds' medians; "
             "preemption does not inflate it). ratio = onnxruntime / onnxbn (above 1: onnxbn faster).",
             "",
             "| model | batch × steps | onnxbn ms | onnxruntime ms | ratio | onnxbn min | onnxruntime min | ratio | "
             "onnxbn CPU ms | onnxruntime CPU ms | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (m, n), v in res.items():
        om, orm = (statistics.median(x[0] for x in v[k]) for k in ("onnxbn", "ort"))
        on, orn = (min(x[1] for x in v[k]) for k in ("onnxbn", "ort"))
        oc, orc = (statistics.median(x[2] for x in v[k]) for k in ("onnxbn", "ort"))
        lines.append(f"| {m} | {n} × 64 | {om:.3f} | {orm:.3f} | {orm / om:.2f} | {on:.3f} | {orn:.3f} | "
                     f"{orn / on:.2f} | {oc:.3f} | {orc:.3f} | {orc / oc:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
