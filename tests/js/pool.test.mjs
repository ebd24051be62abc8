// The release package's ResourcePool in a static page in headless Chromium: built-in workloads run in Web
// Workers (the worker instantiates this very wasm with stub imports) and on the main thread, every run
// succeeds and is recorded in IndexedDB, a reload finds the measurements again, and nothing is logged as an
// error. The timings are printed (not asserted: this is a shared
// 2-core machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage } from './browser.mjs';

test('the release pool runs built-in workloads in workers and on the main thread', async () => {
  const { browser, base, close } = await openBrowser();
  try {
    const { consoleErrors, result: load } = await openPage(browser, base);
    const result = await load('/tests/js/pool.html', 120_000);
    assert.equal(result.fatal, undefined, result.fatal);
    for (const [key, run] of Object.entries(result.runs)) {
      assert.deepEqual(run.statuses, ['ok', 'ok'], key);
      assert.deepEqual(run.runsOn, key.startsWith('worker') ? ['worker', 'worker'] : ['main-thread', 'main-thread'], key);
      console.log(`pool ${key}: makespan ${run.makespanMs.toFixed(2)} ms (predicted ${run.predictedMs.toFixed(2)} ms), per model ${run.latencies.map((l) => l.toFixed(2)).join(' / ')} ms`);
    }
    console.log(`cores: ${result.cores}`);
    // Every run was recorded, in IndexedDB, and a reloaded page finds them.
    assert.equal(result.stored.persistent, true, JSON.stringify(result.stored));
    assert.equal(result.stored.measurements, 4);
    assert.equal(result.validation.measurements, 4);
    console.log(`makespan error over the 4 runs (uncalibrated): mean ${(100 * result.validation.makespan.meanApe).toFixed(1)} %`);
    const after = await load('/tests/js/pool.html?reload');
    assert.equal(after.fatal, undefined, after.fatal);
    assert.equal(after.count, 4, JSON.stringify(after));
    assert.equal(after.storage.persistent, true);
    assert.deepEqual(after.validation.makespan, result.validation.makespan);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
