// SPDX-License-Identifier: Apache-2.0
// ort_check.js — loads original and fused models in onnxruntime (npm onnxruntime-node) and checks
// that onnxruntime accepts the fused file and gives the original's outputs.
//
//   node ort_check.js CASE_DIR...          each with in.onnx, out.onnx and inputs.json
//   node ort_check.js --pair ORIG FUSED    random inputs from the declared shapes (symbols = 1)
//
// The rule is the one of `onnxbn fuse --verify`: max|fused - orig| <= 1e-5 + 1e-4 * max|orig| per
// output. A case whose ORIGINAL onnxruntime refuses (an opset or mode it lacks) is skipped.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

ort.env.logLevel = 'error';
const OPTS = { logSeverityLevel: 3 }; // its warnings about old opsets would drown the verdicts

const TYPES = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  bool: Uint8Array, float16: Uint16Array,
};

// The bits of a float16 given as a number that float16 holds exactly (inputs are).
function halfBits(x) {
  if (x === 0) return 0;
  const s = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  if (e < -14) return s | Math.round(a / 2 ** -24); // subnormal
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return s | ((e + 15) << 10) | m;
}

function fromJson(inputs) {
  const feeds = {};
  for (const [name, v] of Object.entries(inputs)) {
    const type = v.type === 'bool' ? 'bool' : v.type;
    let data;
    if (type === 'float16') data = Uint16Array.from(v.data, halfBits);
    else if (type === 'bool') data = Uint8Array.from(v.data, (b) => (b ? 1 : 0));
    else data = TYPES[type].from(v.data);
    feeds[name] = new ort.Tensor(type, data, v.dims);
  }
  return feeds;
}

function randomFeeds(session) {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * 256 - 128) / 128;
  };
  const feeds = {};
  for (const md of session.inputMetadata) {
    const dims = md.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const T = TYPES[md.type];
    if (!T) throw new Error(`input '${md.name}' has type ${md.type}`);
    const data = new T(n);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (md.type === 'int64') data[i] = BigInt(Math.abs(Math.round(r * 10)));
      else if (md.type === 'float16') data[i] = halfBits(r);
      else data[i] = r;
    }
    feeds[md.name] = new ort.Tensor(md.type, data, dims);
  }
  return feeds;
}

function compare(a, b) {
  if (a.type !== b.type || a.dims.join() !== b.dims.join()) {
    return { ok: false, why: `type/shape ${b.type}[${b.dims}] vs ${a.type}[${a.dims}]` };
  }
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]), y = Number(b.data[i]);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return { ok: false, why: `NaN at ${i}` };
      continue;
    }
    maxRef = Math.max(maxRef, Math.abs(x));
    maxAbs = Math.max(maxAbs, Math.abs(x - y));
  }
  const tol = a.type.startsWith('float') ? 1e-5 + 1e-4 * maxRef : 0;
  return { ok: maxAbs <= tol, why: `max abs diff ${maxAbs.toExponential(3)}, max |y| ${maxRef.toPrecision(4)}, tolerance ${tol.toExponential(3)}` };
}

async function check(label, orig, fused, inputsJson) {
  let so;
  try {
    so = await ort.InferenceSession.create(orig, OPTS);
  } catch (e) {
    console.log(`SKIP ${label}: onnxruntime refuses the original: ${e.message.split('\n')[0]}`);
    return true;
  }
  const feeds = inputsJson ? fromJson(JSON.parse(fs.readFileSync(inputsJson, 'utf8'))) : randomFeeds(so);
  let ro;
  try {
    ro = await so.run(feeds);
  } catch (e) {
    console.log(`SKIP ${label}: onnxruntime cannot run the original: ${e.message.split('\n')[0]}`);
    return true;
  }
  let sf, rf;
  try {
    sf = await ort.InferenceSession.create(fused, OPTS);
    rf = await sf.run(feeds);
  } catch (e) {
    console.log(`FAIL ${label}: onnxruntime on the fused model: ${e.message.split('\n')[0]}`);
    return false;
  }
  let ok = true;
  const notes = [];
  for (const name of so.outputNames) {
    const c = compare(ro[name], rf[name]);
    ok = ok && c.ok;
    notes.push(`${name}: ${c.why}`);
  }
  console.log(`${ok ? 'PASS' : 'FAIL'} ${label}: ${notes.join('; ')}`);
  return ok;
}

async function main() {
  const args = process.argv.slice(2);
  let ok = true;
  if (args[0] === '--pair') {
    ok = await check(path.basename(args[2]), args[1], args[2], null);
  } else {
    for (const dir of args) {
      const inp = path.join(dir, 'inputs.json');
      ok = (await check(path.basename(path.resolve(dir)), path.join(dir, 'in.onnx'),
        path.join(dir, 'out.onnx'), fs.existsSync(inp) ? inp : null)) && ok;
    }
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`ort_check: ${e.stack || e}`);
  process.exit(1);
});
