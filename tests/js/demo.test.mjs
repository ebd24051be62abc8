// The demo page (www/, as `npm start` serves it) in headless Chromium with WebGPU: it detects the browser,
// the workload is edited through the controls, predictions and the timeline show the library's own numbers
// (the memory curve has a point per event of the schedule; the capacity is the prediction's, with its
// source), the in-page run completes and shows measured values, a reload finds the measurement in IndexedDB,
// at phone width the timeline stays readable and wide tables scroll with a visible cue, and no console error
// happens. Screenshots at desktop and phone width go to target/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from './load.mjs';
import { openBrowser, openPage } from './browser.mjs';

const SHOTS = join(root, 'target', 'screenshots');
const mb = (x) => `${Math.round(x).toLocaleString('en-US')} MB`;

/** The timeline's memory path as points (one per M or V command, the x of the H before it) and its plot box. */
async function memoryPath(page) {
  const { d, box } = await page.evaluate(() => ({
    d: document.querySelector('#timeline svg path.mem').getAttribute('d'),
    box: Object.fromEntries(['x', 'y', 'width', 'height'].map((k) => [k, Number(document.querySelector('#timeline svg rect.mem-bg').getAttribute(k))])),
  }));
  const points = [];
  let x = null;
  for (const c of d.match(/[A-Za-z][^A-Za-z]*/g)) {
    const nums = c.slice(1).split(',').map(Number);
    if (c[0] === 'M') points.push([nums[0], nums[1]]);
    else if (c[0] === 'H') x = nums[0];
    else if (c[0] === 'V') points.push([x, nums[0]]);
    else assert.fail(`unexpected path command ${c} in ${d}`);
  }
  return { d, box, points };
}

/** The memory path has a point per event (each start and end) at that time and the memory in use after it. */
function assertMemoryPath({ d, box, points }, p) {
  const s = p.executionSchedule;
  const events = s.timeline.flatMap((b) => [b.startTime, b.endTime]).sort((a, b) => a - b);
  assert.ok(events.length >= 2);
  assert.equal(points.length, events.length, `one point per event of the schedule: ${d}`);
  const after = (t) => s.memoryTimeline.filter((m) => m.time <= t).at(-1).memory;
  const cap = p.memoryPools.reduce((sum, x) => sum + x.capacityMb, 0);
  const scale = Math.max(cap, ...s.memoryTimeline.map((m) => m.memory));
  events.forEach((t, i) => {
    const [x, y] = points[i];
    assert.ok(Math.abs(x - (box.x + (t / s.totalExecutionTime) * box.width)) <= 0.051, `event ${i} at ${t} ms drawn at x ${x}`);
    assert.ok(Math.abs(y - (box.y + box.height - (after(t) / scale) * box.height)) <= 0.051, `event ${i}: ${after(t)} MB drawn at y ${y}`);
  });
}

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

    // The default workload on "this browser": the prediction the page drew, made by the page's own module
    // (same URL, so the same instance that ran detection), with the profiles of this browser's backends.
    const here = await page.evaluate(async () => {
      const m = await import('/www/pkg/multimodel_perf.js');
      const { models } = JSON.parse(new URL(location.href).searchParams.get('s'));
      const caps = await m.detectCapabilities();
      return {
        p: new m.MultiModelPredictor().predictMultiModelPerformance({ models }, 'browser', 'parallel'),
        webgpu: m.detectedProfile(caps),
        wasm: m.detectedProfile({ ...caps, webgpu: { available: false, reason: 'the WASM backend alone' } }),
      };
    });
    assertMemoryPath(await memoryPath(page), here.p);
    // One capacity figure in the timeline, the prediction's, with the reason the library gives for it.
    assert.equal(here.p.memoryPools.length, 1, JSON.stringify(here.p.memoryPools));
    const [device] = here.p.devices;
    const profile = device === 'browser:wasm' ? here.wasm : here.webgpu;
    const cap = here.p.memoryPools[0].capacityMb;
    assert.equal(profile.memoryCapacityMb, cap, `${device}'s profile has the pool's capacity`);
    const capacity = await page.textContent('#capacity');
    assert.ok(capacity.includes(`Capacity ${mb(cap)} — ${device}`), capacity);
    assert.ok(profile.reasons.some((r) => r.includes(`${Math.round(cap)} MB`) && capacity.includes(r)), `${capacity} names none of ${profile.reasons}`);
    assert.match(await page.textContent('#timeline svg'), new RegExp(`capacity ${mb(cap)} \\(${device}\\)`));
    // "This browser" labels each backend's figure (WebGPU: a share of the RAM; WASM: also wasm32's 4 GiB).
    const facts = await page.textContent('#caps-list');
    assert.ok(facts.includes(`Memory for WebGPU models${mb(here.webgpu.memoryCapacityMb)} — `), facts);
    assert.ok(facts.includes(`Memory for WASM models${mb(here.wasm.memoryCapacityMb)} — `), facts);

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
    assertMemoryPath(await memoryPath(page), sequential);
    const a100 = pkg.listHardware().find((d) => d.id === state.hardware);
    assert.equal(sequential.memoryPools[0].capacityMb, a100.memoryCapacityMb);
    assert.ok((await page.textContent('#capacity')).includes(`Capacity ${mb(a100.memoryCapacityMb)} — ${a100.id} (catalog device): ${a100.name}; ${a100.sources.datasheet}`),
      await page.textContent('#capacity'));
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
    // Resize observers report before the next frame is painted.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SHOTS, 'demo-phone.png'), fullPage: true });
    await page.locator('#timelines').screenshot({ path: join(SHOTS, 'demo-phone-timeline.png') });
    const phone = await page.evaluate(() => {
      const svg = document.querySelector('#timeline svg');
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const scroller = (e) => {
        for (let a = e.parentElement; a; a = a.parentElement) if (/auto|scroll/.test(getComputedStyle(a).overflowX)) return a;
        return null;
      };
      const visible = (e) => {
        const r = e?.getBoundingClientRect();
        return !!r && r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth && getComputedStyle(e).visibility === 'visible';
      };
      return {
        fontsPx: [...svg.querySelectorAll('text')].map((t) => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]),
        wide: [...document.querySelectorAll('table, #timeline svg')].map((e) => {
          const box = scroller(e);
          return {
            what: e.id || e.closest('[id]').id, width: e.getBoundingClientRect().width, box: box?.clientWidth ?? innerWidth,
            overflowX: box && getComputedStyle(box).overflowX, scrollWidth: box?.scrollWidth, clientWidth: box?.clientWidth,
            cue: visible(box?.parentElement.querySelector(':scope > .scroll-cue')),
          };
        }).filter((t) => t.width > t.box + 1),
      };
    });
    for (const [text, px] of phone.fontsPx) assert.ok(px >= 10, `timeline text "${text}" renders at ${px.toFixed(1)} px`);
    // The tables the issue found cut off, and the timeline, are wider than a phone: each scrolls in its box.
    assert.deepEqual(phone.wide.map((t) => t.what).sort(), ['models', 'routing', 'strategies', 'timeline'], JSON.stringify(phone.wide));
    for (const t of phone.wide) {
      assert.match(t.overflowX, /auto|scroll/, t.what);
      assert.ok(t.scrollWidth > t.clientWidth, JSON.stringify(t));
      assert.ok(t.cue, `no visible scroll cue beside ${t.what}`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow} px at phone width`);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
