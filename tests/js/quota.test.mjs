// An origin over its storage quota: Chromium's DevTools protocol (Storage.overrideQuotaForOrigin) gives the
// test page's origin a 1-byte quota, so every IndexedDB write the pool makes aborts with QuotaExceededError.
// The runs still succeed, every measurement stays in the pool's memory (measurements, export, validation),
// the failure is reported with its name (run warnings, storage.writeError, unsaved count, persistent false),
// and once the quota is lifted the next run writes the unsaved measurements, in order, before its own, so a
// reloaded page finds all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';

test('an IndexedDB write over quota keeps every measurement in memory, says so, and is written once space returns', async () => {
  const { browser, base, close } = await openBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    const cdp = await context.newCDPSession(page);
    // Before the page touches storage: Chromium caches an origin's free space while its storage is in use, so
    // a quota lowered later would not be seen by the next small writes.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: base, quotaSize: 1 });
    const db = `mmperf-quota-${Date.now()}`;
    const load = async () => {
      await page.goto(`${base}/tests/js/quota.html?db=${db}`);
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000 });
      const r = await page.evaluate(() => window.__result);
      assert.equal(r.fatal, undefined, r.fatal);
      return r;
    };
    const opened = await load();
    assert.equal(opened.storage.backend, 'indexeddb');
    assert.equal(opened.storage.persistent, true, 'opening the database needs no quota');
    assert.equal(opened.storage.unsaved, 0);

    const over = [];
    for (let i = 1; i <= 3; i++) {
      const run = await page.evaluate(() => window.__run());
      assert.deepEqual(run.statuses, ['ok']);
      assert.equal(run.recorded, true, 'the run is recorded as a measurement in memory');
      assert.ok(run.warnings.some((w) => w.includes('QuotaExceededError') && w.includes(`${i} record(s) kept in memory only`)), JSON.stringify(run.warnings));
      const s = await page.evaluate(() => window.__state());
      assert.equal(s.storage.unsaved, i);
      assert.equal(s.storage.persistent, false);
      assert.equal(s.storage.writeError.name, 'QuotaExceededError', JSON.stringify(s.storage));
      assert.match(s.storage.writeError.message, /over its storage quota.*"measurements"/);
      assert.equal(s.measurements.length, i);
      over.push(s);
    }
    const held = over.at(-1);
    assert.deepEqual(held.exported.measurements, held.measurements, 'the export holds every measurement taken');
    assert.equal(held.validation.measurements, 3);
    assert.equal(new Set(held.measurements.map((m) => m.timestampMs)).size, 3);
    assert.deepEqual(await page.evaluate(() => window.__stored()), [], 'nothing reached the database');

    // Space again: the next run writes the three unsaved measurements first, then its own.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: base });
    const run = await page.evaluate(() => window.__run());
    assert.deepEqual(run.statuses, ['ok']);
    assert.ok(!run.warnings.some((w) => w.includes('IndexedDB')), JSON.stringify(run.warnings));
    const after = await page.evaluate(() => window.__state());
    assert.equal(after.storage.unsaved, 0);
    assert.equal(after.storage.persistent, true);
    assert.equal(after.storage.writeError, undefined);
    assert.equal(after.storage.warning, undefined);
    assert.equal(after.measurements.length, 4);
    assert.deepEqual(after.measurements.slice(0, 3), held.measurements);
    assert.deepEqual(await page.evaluate(() => window.__stored()), after.measurements);

    // A reloaded page (a new pool on the same database) finds every measurement of the session.
    const reloaded = await load();
    assert.deepEqual(reloaded.measurements, after.measurements);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  } finally {
    await close();
  }
});
