// `npm run bench`: the speed cases of `mmperf bench` (src/bench.rs) through the package's public JS API, in
// node and in headless Chromium, beside the native build measured in the same run, as JSON on stdout (a
// table on stderr). A benchmark, not a test: it only reports.
//
// Cases: predict (parallel) of 3 and 50 models, recommend (throughput) of 3, 8 and 50 models, on
// `cuda:a100-40gb` and `cpu`, each by a predictor with its memo and by one without (`/no-memo`); and the
// serving simulator's events per second (`serve/parallel`, `serve/fifo`; `measureServe`). 3 models = the seed
// workload; N models = the catalog (listModels() order)
// cycled, model i at batch 1 + i mod 4 (src/bench.rs `catalog_mix`). Each case: 50 ms of warm-up, then
// samples of about 2 ms of calls (20 ms in Chromium, whose clock is coarse) for `--seconds` (default 1); the
// figure is the median time per call. Each case with its memo also gives `copyUs`, the median time a plain
// JavaScript copy of the result takes (every object and array of it made again, `resultBytes` characters of
// JSON): an estimate of what making the result's objects costs in that engine, whatever the boundary (not a
// strict floor: code that builds fixed-shape literals may do better); the table prints Chromium's.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from '../tests/js/load.mjs';
import { openBrowser } from '../tests/js/browser.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const seconds = Number(arg('--seconds', '1'));
const only = arg('--only', '');
// `--pkg DIR`: time another wasm-bindgen web build (DIR/multimodel_perf.js) in node only, e.g. to compare
// optimisation levels side by side.
const otherPkg = arg('--pkg', '');
const seed = JSON.parse(readFileSync(join(root, 'tests', 'data', 'seed-example.json'), 'utf8')).models;

// Runs in node and, as source text, in the page: everything it needs comes in as arguments.
function measureAll(pkg, seed, seconds, only, sampleMs = 2) {
  const names = pkg.listModels().map((m) => m.name);
  const mix = (n) => Array.from({ length: n }, (_, i) => ({ model_name: names[i % names.length], batch_size: 1 + (i % 4) }));
  const time = (f) => {
    let calls = 0;
    const warm = performance.now();
    while (performance.now() - warm < 50 || calls < 3) { f(); calls++; }
    const perCall = (performance.now() - warm) / calls;
    const batch = Math.max(1, Math.floor(sampleMs / perCall));
    const samples = [];
    const start = performance.now();
    while (performance.now() - start < seconds * 1000 || samples.length < 5) {
      const t = performance.now();
      for (let i = 0; i < batch; i++) f();
      samples.push(((performance.now() - t) * 1000) / batch);
    }
    samples.sort((a, b) => a - b);
    return { medianUs: samples[samples.length >> 1], minUs: samples[0], samples: samples.length, callsPerSample: batch };
  };
  const copy = (v) => {
    if (Array.isArray(v)) return v.map(copy);
    if (v === null || typeof v !== 'object') return v;
    const o = { ...v };
    for (const k in o) if (o[k] !== null && typeof o[k] === 'object') o[k] = copy(o[k]);
    return o;
  };
  const out = [];
  for (const [short, device] of [['cuda', 'cuda:a100-40gb'], ['cpu', 'cpu']]) {
    for (const [call, n] of [['predict', 3], ['predict', 50], ['recommend', 3], ['recommend', 8], ['recommend', 50]]) {
      // A predictor of its own per case: with its memo (the default; calls after the first take the models'
      // kept predictions), then without (`/no-memo`: every call costs every model).
      for (const memo of [true, false]) {
        const name = `${call}/${n}-models/${short}${memo ? '' : '/no-memo'}`;
        if (only && !name.includes(only)) continue;
        const p = new pkg.MultiModelPredictor({ hardware: device, memo });
        const models = n === 3 ? seed : mix(n);
        const f = call === 'predict'
          ? () => p.predictMultiModelPerformance(models, undefined, 'parallel')
          : () => p.recommendExecutionStrategy(models, undefined, 'throughput');
        const timed = time(f);
        // `copyUs` (the header says why): the result copied object by object, timed the same way.
        const result = f();
        const copied = memo ? { copyUs: time(() => copy(result)).medianUs, resultBytes: JSON.stringify(result).length } : {};
        out.push({ name, ...timed, ...copied });
        p.free();
      }
    }
  }
  return out;
}

// The serving simulator's cases of `mmperf bench` (src/native/speed.rs, src/bench.rs `serve_config`) through
// `simulateServing`: the seed workload on `cuda:a100-40gb`, every model at the same Poisson rate, 90 % of the
// sustainable load (the capacity search's scale, which the result gives to 4 digits, so the rate and the
// events can differ from the native run's in the last digits), about 200,000 requests, arrival seed 0. Each
// case: the median time per run over `seconds` (at least 5 runs); events per second = the run's simulated
// events over it. Runs in node and, as source text, in the page.
function measureServe(pkg, seed, seconds, only) {
  const out = [];
  for (const policy of ['parallel', 'fifo']) {
    const name = `serve/${policy}`;
    if (only && !name.includes(only)) continue;
    const p = new pkg.MultiModelPredictor({ hardware: 'cuda:a100-40gb' });
    // Equal rates whose one-at-a-time load is 1, as the native case sets them.
    const solo = p.predictMultiModelPerformance(seed, undefined, 'parallel').individualPredictions;
    const load = solo.reduce((sum, m) => sum + m.soloLatency / 1e3, 0);
    const probe = p.simulateServing(seed, undefined, { rate: 1 / load, policy, durationS: 2000 * load, seed: 0 });
    const rate = (0.9 * probe.maxSustainableScale) / load;
    const options = { rate, policy, durationS: 200000 / (rate * seed.length), seed: 0, capacity: false };
    const run = () => p.simulateServing(seed, undefined, options);
    const events = run().events;
    const runs = [];
    const start = performance.now();
    while (performance.now() - start < seconds * 1000 || runs.length < 5) {
      const t = performance.now();
      run();
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    const medianMs = runs[runs.length >> 1];
    out.push({ name, events, medianMs, eventsPerS: events / (medianMs / 1e3), runs: runs.length });
    p.free();
  }
  return out;
}

const report = { secondsPerCase: seconds, builds: {}, serve: {} };

const mmperf = join(root, 'target', 'release', 'mmperf');
try {
  execFileSync('cargo', ['build', '--release', '--locked', '--bin', 'mmperf'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
} catch (e) {
  console.error(`native build failed (${e.message}); reporting wasm only`);
}
if (existsSync(mmperf)) {
  const args = ['bench', '--json', '--seconds', String(seconds), ...(only ? ['--only', only] : [])];
  const native = JSON.parse(execFileSync(mmperf, args, { encoding: 'utf8' }));
  report.builds.native = native.cases;
  report.serve.native = native.serve;
}

const pkg = await loadPackage();
report.builds.node = measureAll(pkg, seed, seconds, only);
report.serve.node = measureServe(pkg, seed, seconds, only);
if (otherPkg) {
  const { readFileSync: read } = await import('node:fs');
  const other = await import(join(otherPkg, 'multimodel_perf.js'));
  await other.default({ module_or_path: read(join(otherPkg, 'multimodel_perf_bg.wasm')) });
  report.builds.other = measureAll(other, seed, seconds, only);
  for (const c of report.builds.other) console.error(`${otherPkg}: ${c.name.padEnd(32)} ${c.medianUs.toFixed(1)} µs`);
}

const { browser, base, close } = await openBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${base}/tests/js/smoke.html`);
  await page.waitForFunction(() => window.__result !== undefined);
  const inPage = await page.evaluate(async ({ seed, seconds, only, src, serveSrc }) => {
    const pkg = await import('/pkg/web/multimodel_perf.js');
    await pkg.default();
    // Chromium coarsens performance.now() to 0.1 ms here (no cross-origin isolation): 20 ms samples keep that
    // under 0.5 %.
    const cases = new Function('return ' + src)()(pkg, seed, seconds, only, 20);
    const serve = new Function('return ' + serveSrc)()(pkg, seed, seconds, only);
    return { cases, serve };
  }, { seed, seconds, only, src: measureAll.toString(), serveSrc: measureServe.toString() });
  report.builds.chromium = inPage.cases;
  report.serve.chromium = inPage.serve;
} finally {
  await close();
}

const native = Object.fromEntries((report.builds.native ?? []).map((c) => [c.name, c.medianUs]));
const rows = report.builds.node.map((c, i) => ({ name: c.name, native: native[c.name], node: c.medianUs, chromium: report.builds.chromium[i]?.medianUs, copy: report.builds.chromium[i]?.copyUs }));
report.ratios = rows.map((r) => ({ name: r.name, nodeOverNative: r.node / r.native, chromiumOverNative: r.chromium / r.native }));
console.error(`${'case'.padEnd(32)} ${'native µs'.padStart(10)} ${'node µs'.padStart(10)} ${'chromium µs'.padStart(12)}  node/native chromium/native  copy µs (chromium)`);
for (const r of rows) {
  const f = (x, w) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1)).padStart(w);
  console.error(`${r.name.padEnd(32)} ${f(r.native, 10)} ${f(r.node, 10)} ${f(r.chromium, 12)}  ${f(r.node / r.native, 11)} ${f(r.chromium / r.native, 15)}  ${f(r.copy, 19)}`);
}
const serveRows = (report.serve.node ?? []).map((c, i) => ({
  name: c.name,
  events: c.events,
  native: report.serve.native?.find((n) => n.name === c.name)?.eventsPerS,
  node: c.eventsPerS,
  chromium: report.serve.chromium?.[i]?.eventsPerS,
}));
if (serveRows.length > 0) {
  console.error(`${'serving simulator'.padEnd(32)} ${'events'.padStart(10)} ${'native M/s'.padStart(11)} ${'node M/s'.padStart(9)} ${'chromium M/s'.padStart(13)}`);
  const m = (x, w) => (x === undefined || Number.isNaN(x) ? '-' : (x / 1e6).toFixed(2)).padStart(w);
  for (const r of serveRows) console.error(`${r.name.padEnd(32)} ${String(r.events).padStart(10)} ${m(r.native, 11)} ${m(r.node, 9)} ${m(r.chromium, 13)}`);
}
console.log(JSON.stringify(report, null, 2));
