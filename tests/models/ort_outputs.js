// SPDX-License-Identifier: Apache-2.0
// ort_outputs.js — runs one model on onnxruntime-node (CPU, one thread) and writes its outputs for
// tests/models/run_vision.py, which turns them into an ONNX test data set (the reference where
// torch's own order of detections is ambiguous).
// usage: node ort_outputs.js MODEL OUTDIR NAME=DTYPE:D0,D1,...:FILE.bin ...
// Inputs are raw little-endian files; each output K goes to OUTDIR/output_K.bin with its
// name, type and dims in OUTDIR/outputs.json.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(process.env.ORT_NODE_DIR || 'onnxruntime-node');

const ARRAYS = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, float64: Float64Array };

async function main() {
  const [model, outDir, ...feedArgs] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const feeds = {};
  for (const a of feedArgs) {
    const [name, type, dims, file] = a.split(/[=:]/);
    const buf = fs.readFileSync(file);
    const Arr = ARRAYS[type];
    const data = new Arr(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    feeds[name] = new ort.Tensor(type, data, dims === '' ? [] : dims.split(',').map(Number));
  }
  const res = await sess.run(feeds);
  const meta = [];
  sess.outputNames.forEach((name, k) => {
    const t = res[name];
    fs.writeFileSync(path.join(outDir, `output_${k}.bin`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    meta.push({ name, type: t.type, dims: t.dims });
  });
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(meta));
}
main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
