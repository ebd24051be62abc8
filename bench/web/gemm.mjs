#!/usr/bin/env node
// onnxruntime-web's GEMM rate against the tuned GEMM's (the package's measureWasmGemm) in one headless
// Chromium page, one thread each, on the shapes calibration times (512 × 768 × 768 and 16 × 768 × 768):
// their ratio is onnxruntime-web's kernel efficiency on the WASM EP against the page's calibrated peak
// (src/catalog/runtime.rs cites it). Passes alternate which goes first.
//
//   cargo run --release --example onnx_models -- target/onnx-models --chains
//   bash scripts/build.sh
//   node bench/web/gemm.mjs [--passes 4] [--seconds 3]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { GENERATED, PKG, serve } from './server.mjs';

const { values } = parseArgs({ options: { passes: { type: 'string', default: '4' }, seconds: { type: 'string', default: '3' } } });
if (!existsSync(join(GENERATED, 'gemm-512.onnx'))) {
  console.error('no GEMM graphs: cargo run --release --example onnx_models -- target/onnx-models --chains');
  process.exit(2);
}
if (!existsSync(join(PKG, 'web', 'multimodel_perf.js'))) {
  console.error('no pkg/web/multimodel_perf.js: build the package first (bash scripts/build.sh)');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = await serve(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
const ratios = { large: [], small: [] };
try {
  for (let p = 0; p < Number(values.passes); p++) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/gemm.html`);
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 120_000 });
    const r = await page.evaluate(([s, first]) => window.measure(s, first), [Number(values.seconds), p % 2 === 1]);
    await page.close();
    if (r.fatal) throw new Error(r.fatal);
    for (const k of ['large', 'small']) ratios[k].push(r.ort[k] / r.tuned[k]);
    console.log(`pass ${p + 1} (${p % 2 ? 'onnxruntime-web' : 'tuned GEMM'} first): 512×768×768 onnxruntime-web ${r.ort.large.toFixed(1)}, tuned ${r.tuned.large.toFixed(1)} GFLOP/s (${(r.ort.large / r.tuned.large).toFixed(3)}); 16×768×768 onnxruntime-web ${r.ort.small.toFixed(1)}, tuned ${r.tuned.small.toFixed(1)} (${(r.ort.small / r.tuned.small).toFixed(3)})`);
  }
} finally {
  await browser.close();
  server.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median ratio onnxruntime-web / tuned: large ${median(ratios.large).toFixed(3)} (${ratios.large.map((x) => x.toFixed(3)).join(', ')}), small ${median(ratios.small).toFixed(3)} (${ratios.small.map((x) => x.toFixed(3)).join(', ')})`);
