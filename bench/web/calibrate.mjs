#!/usr/bin/env node
// The wasm profile of this machine with the page's own GEMM rate: the package's `measureWasmGemm` (the tuned
// GEMM compiled to WebAssembly SIMD128, timed on one thread of a headless Chromium page) applied to the
// profile `mmperf calibrate --wasm-out` wrote (bandwidth, cores, all-core rate and the rest measured
// natively; its peak there is derived from the native ISA). The output is what `run.mjs --check` and
// `mmperf check-real --hardware` take.
//
//   ./target/release/mmperf calibrate --out bench/web/results/profile-native-X.json --wasm-out /tmp/wasm.json
//   bash scripts/build.sh        # pkg/ (the npm package's build)
//   node bench/web/calibrate.mjs /tmp/wasm.json --out bench/web/profile-X.json [--seconds 5] [--repeat 3]
//
// With --repeat N the measurement runs N times (a fresh page each) and the run with the median large-GEMM
// rate is kept; every run's figures are printed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { PKG, serve } from './server.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, seconds: { type: 'string', default: '5' }, repeat: { type: 'string', default: '3' } },
});
if (positionals.length !== 1 || !values.out) {
  console.error('usage: node bench/web/calibrate.mjs WASM_PROFILE.json --out OUT.json [--seconds 5] [--repeat 3]');
  process.exit(2);
}
if (!existsSync(join(PKG, 'web', 'multimodel_perf.js'))) {
  console.error('no pkg/web/multimodel_perf.js: build the package first (bash scripts/build.sh)');
  process.exit(2);
}
const base = JSON.parse(readFileSync(positionals[0], 'utf8'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = await serve(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
const runs = [];
try {
  for (let r = 0; r < Number(values.repeat); r++) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/calibrate.html`);
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 60_000 });
    const res = await page.evaluate(([hw, s]) => window.measure(hw, s), [base, Number(values.seconds)]);
    await page.close();
    if (res.fatal) throw new Error(res.fatal);
    const m = res.ok;
    const show = (f) => `${f.median.toFixed(1)} GFLOP/s (IQR ${f.iqrPct.toFixed(1)} %, ${f.samples} samples${f.stable ? '' : ', time cap'})`;
    console.error(`run ${r + 1}: large ${m.largeShape.join('×')} ${show(m.large)}; small ${m.smallShape.join('×')} ${show(m.small)}; ${m.seconds.toFixed(1)} s`);
    runs.push(m);
  }
} finally {
  await browser.close();
  server.close();
}
runs.sort((a, b) => a.large.median - b.large.median);
const kept = runs[Math.floor(runs.length / 2)];
writeFileSync(values.out, JSON.stringify(kept.hardware, null, 2) + '\n');
console.error(`peak fp32 ${(kept.hardware.peak_tflops.fp32 * 1e3).toFixed(1)} GFLOP/s over ${kept.hardware.compute_units} cores (was ${(base.peak_tflops.fp32 * 1e3).toFixed(1)}); written to ${values.out}`);
