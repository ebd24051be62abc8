// Prediction speed of the wasm build: calls per second for the seed workload (predict, parallel) and for a
// recommendation, in node and in headless Chromium. A benchmark, not a test: it only reports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from '../tests/js/load.mjs';
import { openBrowser } from '../tests/js/browser.mjs';

const seed = JSON.parse(readFileSync(join(root, 'tests', 'data', 'seed-example.json'), 'utf8'));

function measure(pkg, seed, seconds) {
  const p = new pkg.MultiModelPredictor({ hardware: seed.hardware });
  const rate = (fn) => {
    for (let i = 0; i < 50; i++) fn();
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) { fn(); n++; }
    return n / ((performance.now() - t0) / 1000);
  };
  return {
    predictPerSecond: rate(() => p.predictMultiModelPerformance(seed.models, undefined, 'parallel')),
    recommendPerSecond: rate(() => p.recommendExecutionStrategy(seed.models, undefined, 'throughput')),
  };
}

const pkg = await loadPackage();
const node = measure(pkg, seed, 2);
console.log(`node:     predict ${node.predictPerSecond.toFixed(0)} calls/s, recommend ${node.recommendPerSecond.toFixed(0)} calls/s (seed workload)`);

const { browser, base, close } = await openBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${base}/tests/js/smoke.html`);
  await page.waitForFunction(() => window.__result !== undefined);
  const chrome = await page.evaluate(async ({ seed, src }) => {
    const pkg = await import('/pkg/web/multimodel_perf.js');
    await pkg.default();
    const measure = new Function('return ' + src)();
    return measure(pkg, seed, 2);
  }, { seed, src: measure.toString() });
  console.log(`chromium: predict ${chrome.predictPerSecond.toFixed(0)} calls/s, recommend ${chrome.recommendPerSecond.toFixed(0)} calls/s (seed workload)`);
} finally {
  await close();
}
