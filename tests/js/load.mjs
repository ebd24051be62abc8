// Loads the web build of the package in node (the same files a page imports) and exposes the fixtures the
// native tests use.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function loadPackage() {
  const pkg = await import(join(root, 'pkg', 'web', 'multimodel_perf.js'));
  await pkg.default({ module_or_path: readFileSync(join(root, 'pkg', 'web', 'multimodel_perf_bg.wasm')) });
  return pkg;
}

/** Every workload fixture: examples/*.json (except the sharing table) and tests/data/seed-example.json. */
export function fixtures() {
  const ex = readdirSync(join(root, 'examples'))
    .filter((f) => f.endsWith('.json') && f !== 'sharing-config.json')
    .map((f) => join(root, 'examples', f));
  return [...ex, join(root, 'tests', 'data', 'seed-example.json')].map((path) => ({ path, workload: JSON.parse(readFileSync(path, 'utf8')) }));
}
