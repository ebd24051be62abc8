// Two WebAssembly instances of the package in one JavaScript realm, sharing the glue's snippet module (the
// glue imported twice under two URLs, as a bundler's hot reload or a second copy of the package does): each
// instance's results keep their own field names, whatever the other one converted in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './load.mjs';

const wasm = readFileSync(join(root, 'pkg', 'web', 'multimodel_perf_bg.wasm'));

async function instance(tag) {
  const url = pathToFileURL(join(root, 'pkg', 'web', 'multimodel_perf.js'));
  url.search = `?instance=${tag}`;
  const pkg = await import(url.href);
  await pkg.default({ module_or_path: wasm });
  return pkg;
}

const seed = JSON.parse(readFileSync(join(root, 'examples', 'seed.json'), 'utf8'));

test('two instances sharing the snippet module each get their own field names', async () => {
  const a = await instance('a');
  const b = await instance('b');
  assert.notEqual(a.MultiModelPredictor, b.MultiModelPredictor, 'the two imports are one module');
  const first = new a.MultiModelPredictor().predictMultiModelPerformance(seed, 'cpu', 'parallel');
  // The second instance's first results name other fields first (the hardware catalog's), then a prediction.
  const devices = b.listHardware();
  assert.ok(devices.length > 0 && typeof devices[0].id === 'string', 'listHardware has no ids');
  const other = new b.MultiModelPredictor().predictMultiModelPerformance(seed, 'cpu', 'parallel');
  const again = new a.MultiModelPredictor().predictMultiModelPerformance(seed, 'cpu', 'parallel');
  assert.deepStrictEqual(again, first);
  assert.deepStrictEqual(other, first);
  assert.ok('totalMetrics' in first && Array.isArray(first.individualPredictions), Object.keys(first).join());
});
