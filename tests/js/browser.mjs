// Headless Chromium (Debian's, never a downloaded one) driven by playwright-core, and a static server for it.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';
import { root } from './load.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export async function openBrowser() {
  const server = await serve(root, 0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  return { browser, base, close: async () => { await browser.close(); server.close(); } };
}
