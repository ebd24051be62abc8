// The demo page (www/, as `npm start` serves it) in headless Chromium with WebGPU: it detects the browser,
// the workload is edited through the controls, predictions and the timeline show the library's own numbers,
// the in-page run completes and shows measured values, a reload finds the measurement in IndexedDB, and no
// console error happens. Screenshots at desktop and phone width go to target/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from './load.mjs';
import { openBrowser, openPage } from './browser.mjs';

const SHOTS = join(root, 'target', 'screenshots');

test('the demo page predicts, runs, persists and renders at desktop and phone width', async () => {
  mkdirSync(SHOTS, { recursive: true });
  const pkg = await loadPackage();
  const { browser, base, close } = await openBrowser();
  try {
    const { page, consoleErrors } = await openPage(browser, base);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/www/index.html`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 90_000 });
    assert.match(await page.textContent('#caps-list'), /WebGPU adapter/);
    assert.match(await page.textContent('#caps-list'), /WebNN/);

    // Edit the workload through the controls: a catalog device, one more model, a larger batch.
    await page.selectOption('#hardware', 'cuda:a100-40gb');
    await page.fill('#model-search', 'resnet-50');
    await page.click('#add-model');
    const batch = page.locator('#models tbody tr').first().locator('input[type=number]').first();
    await batch.fill('16');
    await batch.dispatchEvent('change');
    await page.selectOption('#goal', 'throughput');
    const state = JSON.parse(new URL(page.url()).searchParams.get('s'));
    assert.equal(state.models.length, 4);
    assert.equal(state.models[0].batch_size, 16);
    assert.equal(state.hardware, 'cuda:a100-40gb');

    // The same numbers as the library for the state the URL holds.
    const predictor = new pkg.MultiModelPredictor();
    const rec = predictor.recommendExecutionStrategy({ models: state.models }, state.hardware, state.goal);
    for (const label of ['parallel', 'sequential']) {
      const row = page.locator(`#strategies tr[data-strategy=${label}]`);
      const shown = Number(await row.getAttribute('data-makespan'));
      const expected = rec.alternatives.find((a) => a.label === label).totalMetrics.combinedLatency;
      assert.equal(shown, expected, label);
    }
    assert.match(await page.textContent('#recommendation'), new RegExp(rec.recommendedStrategy));
    const parallel = predictor.predictMultiModelPerformance({ models: state.models }, state.hardware, 'parallel');
    assert.equal(Number(await page.getAttribute('#timeline svg', 'data-makespan')), parallel.executionSchedule.totalExecutionTime);
    assert.equal(await page.locator('#timeline svg rect.bar').count(), parallel.executionSchedule.timeline.length);
    await page.click('#tab-sequential');
    const sequential = predictor.predictMultiModelPerformance({ models: state.models }, state.hardware, 'sequential');
    assert.equal(Number(await page.getAttribute('#timeline svg', 'data-makespan')), sequential.executionSchedule.totalExecutionTime);
    await page.locator('#timeline svg rect.bar').first().focus();
    assert.match(await page.textContent('#tooltip'), /ms/);
    assert.equal(await page.locator('#routing tbody tr').count(), 4);

    // Run the built-in workloads in the page (small, so that the debug-free release build stays quick).
    await page.fill('#run-mflop', '4');
    await page.click('#run-button');
    await page.waitForSelector('#run[data-runs="1"]', { timeout: 120_000 });
    assert.match(await page.textContent('#run-status'), /Done: 4 of 4 models ran; recorded/);
    assert.equal(await page.locator('#run-bars .runrow').count(), 4);
    assert.match(await page.textContent('#run-bars'), /measured \d/);
    assert.equal(await page.locator('#scatter circle').count(), 4);
    assert.match(await page.textContent('#calibration'), /1 \(kept in IndexedDB/);
    await page.screenshot({ path: join(SHOTS, 'demo-desktop.png'), fullPage: true });

    // A reload keeps the workload (URL) and the measurement (IndexedDB).
    await page.reload();
    await page.waitForSelector('body[data-ready=true]', { timeout: 90_000 });
    assert.equal(await page.locator('#models tbody tr').count(), 4);
    assert.match(await page.textContent('#calibration'), /1 \(kept in IndexedDB/);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'demo-phone.png'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow} px at phone width`);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
