// SPDX-License-Identifier: Apache-2.0
// ort_bench.js — times one model on onnxruntime-node for bench/run.sh: median/min/p90 of its own
// profiler's model_run events (the JavaScript binding's copies not counted) and of wall time.
// usage: node ort_bench.js MODEL SHAPE[;SHAPE...] THREADS ITERS WARMUP [all|disabled]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require(process.env.ORT_NODE_DIR || 'onnxruntime-node');

function stats(v) {
  const s = [...v].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2,
           min: s[0], p90: at(0.9), n: s.length };
}

async function main() {
  const [model, shapeArg, threadsArg, itersArg, warmArg, optArg] = process.argv.slice(2);
  const threads = +threadsArg, iters = +itersArg, warmup = +warmArg;
  const prefix = path.join(os.tmpdir(), `ortprof_${process.pid}_`);
  const baseRss = process.resourceUsage().maxRSS / 1024; // node itself, before onnxruntime loads
  const t0 = process.hrtime.bigint();
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: optArg || 'all',
    enableProfiling: true, profileFilePrefix: prefix,
  });
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const shapes = shapeArg.split(';').map((s) => s.split(',').map(Number));
  const feeds = {};
  let seed = 12345;
  sess.inputNames.forEach((name, i) => {
    const dims = shapes[i];
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      data[k] = seed / 2 ** 31 - 1;
    }
    // ORT_BENCH_INT64=1: integer inputs (token ids) in [0, 10), as `onnxbn bench` draws them
    feeds[name] = process.env.ORT_BENCH_INT64
      ? new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(Math.floor((v + 1) * 5))), dims)
      : new ort.Tensor('float32', data, dims);
  });
  const wall = [], cpu = [];
  for (let i = 0; i < warmup + iters; i++) {
    const c0 = process.cpuUsage();
    const a = process.hrtime.bigint();
    await sess.run(feeds);
    const b = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    if (i >= warmup) {
      wall.push(Number(b - a) / 1e6);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  let file = sess.endProfiling();
  if (typeof file !== 'string' || !fs.existsSync(file)) { // the binding may not return the name
    const base = path.basename(prefix);
    const hit = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(base));
    if (!hit.length) throw new Error('no onnxruntime profile file ' + prefix + '*');
    file = path.join(os.tmpdir(), hit[0]);
  }
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  if (process.env.ORT_NODE_PROFILE) { // per node, in execution order: ms per run (all runs)
    const order = [], agg = {};
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const k = e.name.slice(0, -'_kernel_time'.length);
      if (!(k in agg)) { order.push(k); agg[k] = { name: k, op: (e.args && e.args.op_name) || '', us: 0 }; }
      agg[k].us += e.dur;
    }
    const runsAll = events.filter((e) => e.name === 'model_run').length || 1;
    fs.writeFileSync(process.env.ORT_NODE_PROFILE, JSON.stringify(
      order.map((k) => ({ name: k, op: agg[k].op, ms: agg[k].us / 1000 / runsAll }))));
  }
  const runs = events.filter((e) => e.name === 'model_run').map((e) => e.dur / 1000);
  const prof = stats(runs.slice(warmup));
  const w = stats(wall), cu = stats(cpu);
  process.stdout.write(JSON.stringify({
    median_ms: prof.median, min_ms: prof.min, p90_ms: prof.p90, iters: prof.n,
    wall_median_ms: w.median, wall_min_ms: w.min, cpu_median_ms: cu.median, cpu_min_ms: cu.min,
    open_ms: openMs, threads, max_rss_mb: process.resourceUsage().maxRSS / 1024,
    node_rss_mb: baseRss,
  }) + '\n');
  await sess.release();
}
main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
