// The built package through a static page in headless Chromium: it loads, predicts the seed workload with the
// same numbers as node, reports bad input as an Error, and logs nothing to the console as an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from './load.mjs';
import { openBrowser, openPage } from './browser.mjs';

test('the package works in a page and matches node', async () => {
  const { browser, base, close } = await openBrowser();
  try {
    const { consoleErrors, result: load } = await openPage(browser, base);
    const result = await load('/tests/js/smoke.html');
    assert.equal(result.fatal, undefined, result.fatal);
    assert.match(result.error, /models\[0\]\.batch_size: 0/);
    const seed = JSON.parse(readFileSync(join(root, 'tests', 'data', 'seed-example.json'), 'utf8'));
    const pkg = await loadPackage();
    const predictor = new pkg.MultiModelPredictor({ hardware: seed.hardware });
    assert.deepEqual(result.prediction, predictor.predictMultiModelPerformance(seed.models, undefined, 'parallel'));
    assert.deepEqual(result.recommendation, predictor.recommendExecutionStrategy(seed.models, undefined, 'latency'));
    assert.equal(result.version, pkg.version());
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
