#!/usr/bin/env node
// Where an onnxruntime-web model's time goes on the WASM EP, in headless Chromium: ORT's own profiler (its
// events go to the page's console) summed per operator type over the profiled runs, convolutions split into
// depthwise (`Conv:dw`: one input channel per group), pointwise (`Conv:pw`: 1x1 window) and other (`Conv`) by
// their weight shape. Beside it the wall time of the same runs without the profiler, so its cost shows.
//
//   node bench/web/op_profile.mjs [--threads 1] [--runs 5] [--warmup 3] [--json OUT] DIR...
//
// DIR: a graph bench/real exported under bench/real/.cache/onnx, e.g. mobilenet-v2-b1-i224,
// bert-base-uncased-b1-s128 (its name says the batch and the sequence length or image size).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { threads: { type: 'string', default: '1' }, runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' }, json: { type: 'string' } },
});

/** The model entry a cache folder's name stands for: NAME-bB-sS (text) or NAME-bB-iI (vision). */
function entry(dir) {
  const m = /^(.*)-b(\d+)(?:-([si])(\d+))?$/.exec(dir);
  if (!m) throw new Error(`${dir}: expected NAME-bBATCH-sSEQ or NAME-bBATCH-iSIZE`);
  const out = { model_name: m[1], batch_size: Number(m[2]) };
  if (m[3] === 's') out.sequence_length = Number(m[4]);
  if (m[3] === 'i') out.image_size = Number(m[4]);
  return out;
}

/** Operator kind of a profiled node: convolutions split by their weight shape (second input). */
function kind(args) {
  const op = args.op_name;
  if (!/Conv$/.test(op)) return op;
  const w = args.input_type_shape?.[1];
  const dims = w && Object.values(w)[0];
  if (!dims || dims.length !== 4) return op;
  if (dims[1] === 1 && dims[2] > 1) return `${op}:dw`;
  if (dims[2] === 1 && dims[3] === 1) return `${op}:pw`;
  return op;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = await serve(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
const report = [];
try {
  for (const dir of positionals) {
    const model = entry(dir);
    const page = await browser.newPage();
    const events = [];
    page.on('console', (m) => {
      const line = m.text().trim().replace(/,$/, '');
      if (line.startsWith('{') && line.includes('"cat"')) events.push(JSON.parse(line));
    });
    const q = new URLSearchParams({ dir, model: JSON.stringify(model), threads: values.threads, runs: values.runs, warmup: values.warmup });
    await page.goto(`http://127.0.0.1:${server.address().port}/ops.html?${q}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 900_000 });
    const res = await page.evaluate(() => window.__result);
    await page.close();
    if (res.fatal) throw new Error(`${dir}: ${res.fatal}`);
    // The profiler is on from the session's start: keep the nodes inside the last `runs` model_run spans.
    const runs = Number(values.runs);
    const spans = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(-runs);
    if (spans.length < runs) throw new Error(`${dir}: ${spans.length} profiled runs in the console, expected ${runs}`);
    const inside = (e) => spans.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
    const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && inside(e));
    const per = new Map();
    for (const e of nodes) {
      const k = kind(e.args);
      const o = per.get(k) ?? { us: 0, nodes: 0 };
      o.us += e.dur; o.nodes += 1;
      per.set(k, o);
    }
    const ops = [...per].map(([op, o]) => ({ op, ms: o.us / runs / 1000, nodes: o.nodes / runs })).sort((a, b) => b.ms - a.ms);
    const kernelMs = ops.reduce((s, o) => s + o.ms, 0);
    const row = { dir, model, threads: Number(values.threads), wallMs: median(res.wall), profiledMs: median(res.profiled), kernelMs, ops };
    report.push(row);
    console.log(`${dir}, ${values.threads} thread(s): wall ${row.wallMs.toFixed(1)} ms (profiled ${row.profiledMs.toFixed(1)}), kernels ${kernelMs.toFixed(1)} ms (ORT profiler, median run's share)`);
    for (const o of ops) console.log(`  ${o.op.padEnd(28)} ${o.ms.toFixed(2).padStart(9)} ms ${(100 * o.ms / kernelMs).toFixed(1).padStart(5)} %  ${o.nodes} nodes`);
  }
} finally {
  await browser.close();
  server.close();
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');
