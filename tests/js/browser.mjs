// Headless Chromium (Debian's, never a downloaded one) driven by playwright-core, and a static server for it.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';
import { root } from './load.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Chromium and a server of the repository; `isolate` sends COOP/COEP (SharedArrayBuffer, WASM threads). */
export async function openBrowser({ isolate = false } = {}) {
  const server = await serve(root, 0, { isolate });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  return { browser, base, close: async () => { await browser.close(); server.close(); } };
}

// A page of the browser that records console errors and page errors, and a way to load a test page and wait
// for the `window.__result` it sets.
export async function openPage(browser, base) {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const result = async (path, timeout = 60_000) => {
    await page.goto(`${base}${path}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout });
    return page.evaluate(() => window.__result);
  };
  return { page, consoleErrors, result };
}
