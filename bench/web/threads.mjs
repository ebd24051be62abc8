#!/usr/bin/env node
// What a second WASM thread gains or costs onnxruntime-web, in headless Chromium (one thread against two, each
// in its own worker, twice, nothing else running): a chain of 1 and 64 MatMuls of 64 x 128 by 128 x 128 (2.1
// MFLOP each) gives the per-kernel time at each thread count, and the 2-layer test encoder (batch 8 x 64
// tokens) a whole model. Needs `cargo run --release --example onnx_models -- target/onnx-models --chains`.
//
//   node bench/web/threads.mjs [--runs 100] [--gap MS]   (MS idle before each timed run, as between pool runs)
//   NESTED=1 node bench/web/threads.mjs                  (each instance in a worker started by a worker, as
//                                                         ortWorkerModel's perRun does)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { GENERATED, serve } from './server.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' }, gap: { type: 'string', default: '0' } } });
if (!existsSync(join(GENERATED, 'matmul-chain-64.onnx'))) {
  console.error('no chain graphs: cargo run --release --example onnx_models -- target/onnx-models --chains');
  process.exit(2);
}
const server = await serve(0);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/threads.html?runs=${values.runs}&gap=${values.gap}${process.env.NESTED ? '&nested' : ''}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 600_000 });
  const r = await page.evaluate(() => window.__result);
  if (r.fatal) throw new Error(r.fatal);
  for (const threads of [1, 2]) {
    for (const [pass, out] of r[threads].entries()) {
      const perKernel = (out['matmul-chain-64'] - out['matmul-chain-1']) / 63;
      console.log(`${threads} thread(s), pass ${pass + 1}: MatMul 64x128x128 ${(1000 * perKernel).toFixed(1)} µs per kernel (${(2 * 64 * 128 * 128 / perKernel / 1e6).toFixed(1)} GFLOP/s); bert-tiny b8 s64 ${out['bert-tiny b8 s64'].toFixed(2)} ms`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
