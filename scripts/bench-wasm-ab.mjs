// Two or more wasm-bindgen `web` builds of the package timed side by side in one node process, to compare a
// change on a noisy machine: `node scripts/bench-wasm-ab.mjs CASE DIR...`, e.g.
//
//   node scripts/bench-wasm-ab.mjs p3cuda /tmp/pkg-before pkg/web
//
// CASE is `p` (predict, parallel) or `r` (recommend, throughput), the number of models (3 = the seed workload,
// otherwise the catalog cycled at batch 1 + i mod 4, as `npm run bench`), then `cuda` (cuda:a100-40gb) or `cpu`,
// and `-lean` for a predictor made with `{ timelines: false }`: p3cuda, p50cpu, r8cpu-lean, ... Each DIR holds multimodel_perf.js and multimodel_perf_bg.wasm (build one with
// `bash scripts/build.sh` and copy pkg/web away). The builds take turns, 300 ms of calls each, for 12 rounds;
// it prints each build's fastest and median block in µs per call. A benchmark, not a test.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [which, ...dirs] = process.argv.slice(2);
const parsed = /^([pr])(\d+)(cuda|cpu)(-lean)?$/.exec(which ?? '');
if (!parsed || dirs.length === 0) {
  console.error('usage: node scripts/bench-wasm-ab.mjs p3cuda|p50cpu|r8cpu-lean|... DIR [DIR...]');
  process.exit(2);
}
const [, call, count, device, lean] = parsed;
const seed = JSON.parse(readFileSync(new URL('../tests/data/seed-example.json', import.meta.url), 'utf8')).models;

const calls = [];
for (const dir of dirs) {
  // A query per directory: each build gets its own module instance even where two paths resolve alike.
  const url = pathToFileURL(resolve(dir, 'multimodel_perf.js')).href + `?${calls.length}`;
  const m = await import(url);
  m.initSync({ module: readFileSync(resolve(dir, 'multimodel_perf_bg.wasm')) });
  const names = m.listModels().map((x) => x.name);
  const n = Number(count);
  const models = n === 3 ? seed : Array.from({ length: n }, (_, i) => ({ model_name: names[i % names.length], batch_size: 1 + (i % 4) }));
  const p = new m.MultiModelPredictor({ hardware: device === 'cuda' ? 'cuda:a100-40gb' : 'cpu', ...(lean ? { timelines: false } : {}) });
  calls.push(call === 'p' ? () => p.predictMultiModelPerformance(models) : () => p.recommendExecutionStrategy(models));
}

const blocks = calls.map(() => []);
for (let round = 0; round < 12; round++) {
  calls.forEach((f, k) => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 300) {
      f();
      n++;
    }
    blocks[k].push(((performance.now() - t0) * 1000) / n);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
dirs.forEach((dir, k) => {
  console.log(`${which.padEnd(8)} ${dir.padEnd(24)} fastest ${Math.min(...blocks[k]).toFixed(1)} µs  median ${median(blocks[k]).toFixed(1)} µs`);
});
