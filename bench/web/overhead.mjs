#!/usr/bin/env node
// onnxruntime-web's fixed costs on the WASM EP with one thread, in headless Chromium: the time of a call and of
// one kernel dispatch, from chains of 1, 64 and 256 element-wise Adds on a 1 x 16 tensor (page/overhead.html).
// The runtime profile's onnxruntime-web CPU overheads (src/catalog/runtime.rs) cite this.
//
//   cargo run --release --example onnx_models -- target/onnx-models --chains
//   node bench/web/overhead.mjs [--runs 300] [--repeat 3]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { GENERATED, serve } from './server.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' }, repeat: { type: 'string', default: '3' } } });
if (!existsSync(join(GENERATED, 'chain-256.onnx'))) {
  console.error('no chain graphs: cargo run --release --example onnx_models -- target/onnx-models --chains');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = await serve(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
try {
  for (let r = 0; r < Number(values.repeat); r++) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/overhead.html?runs=${values.runs}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 300_000 });
    const res = await page.evaluate(() => window.__result);
    await page.close();
    if (res.fatal) throw new Error(res.fatal);
    for (const level of ['all', 'disabled']) {
      const at = (n) => res.out.find((o) => o.level === level && o.n === n).medianMs;
      const perKernelUs = 1000 * (at(256) - at(64)) / 192;
      const callUs = 1000 * at(1) - perKernelUs;
      console.log(`pass ${r + 1}, optimisations ${level.padEnd(8)}: run of 1 / 64 / 256 Adds ${[1, 64, 256].map((n) => (1000 * at(n)).toFixed(1)).join(' / ')} µs (medians); per kernel ${perKernelUs.toFixed(2)} µs, per call ${callUs.toFixed(1)} µs`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
