#!/usr/bin/env node
// Full-size models through the product's own pool and onnxruntime-web adapter (issue 16's bench): for each
// scenario of scenarios.json, one fresh cross-origin isolated page (page/pool.html) registers the scenario's
// graphs from bench/real/.cache/onnx with multimodel-perf/onnxruntime-web (the first hardwareConcurrency models
// in Web Workers with one thread each, the rest on the page), runs sequential and parallel rounds and an auto
// pick uncalibrated, refits, and runs them again; prints measured against predicted per scenario and writes
// everything to --out.
//
//   node bench/web/pool.mjs [--scenarios FILE] [--only a,b] [--rounds K] [--out FILE] [--per-run] [--measure-wasm]
//
// --measure-wasm: after the uncalibrated rounds, pool.measureWasm() (the page's own WebAssembly GEMM makes the
// pool's WASM profiles) and the same rounds again ("measured"), before the refit.
// --per-run: every model in a worker whose threads each plan chooses (ortWorkerModel perRun), so sequential
// runs each model on every core, parallel on every core each, and auto on the split it recommends.
//
// Needs: the package built (npm run build or bash scripts/build.sh), onnxruntime-web in bench/web/node_modules
// (cd bench/web && npm ci), Chromium, and the exported graphs (bench/real: run.py --runtime onnxruntime).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HERE, ONNX_CACHE, PKG, serve } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const log = (m) => process.stderr.write(`${m}\n`);

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: join(HERE, 'scenarios.json') },
    only: { type: 'string', default: '' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: join(HERE, 'results', 'pool-dev-vm.json') },
    'per-run': { type: 'boolean', default: false },
    'measure-wasm': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) { log(`invalid --rounds ${values.rounds} (an integer >= 1)`); process.exit(2); }
if (!existsSync(join(PKG, 'onnxruntime-web.js'))) { log('pkg/ has no onnxruntime-web.js: build the package first (bash scripts/build.sh)'); process.exit(2); }
const only = values.only ? values.only.split(',') : null;
const scenarios = JSON.parse(readFileSync(values.scenarios, 'utf8')).scenarios.filter((s) => !only || only.includes(s.name));

/** bench/real's cache folder of a model entry. */
function graph(m) {
  const dim = m.image_size ? `i${m.image_size}` : `s${m.sequence_length}`;
  const dir = `${m.model_name}-b${m.batch_size}-${dim}`;
  if (!existsSync(join(ONNX_CACHE, dir, 'main.onnx'))) throw new Error(`no graph ${dir}/main.onnx in ${ONNX_CACHE} (export it with bench/real)`);
  return `/models/${dir}/main.onnx`;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const server = await serve(0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
const results = { date: new Date().toISOString(), rounds, scenarios: [] };
let failed = 0;
try {
  for (const s of scenarios) {
    const cfg = { models: s.models, paths: s.models.map(graph), rounds, perRun: values['per-run'], measureWasm: values['measure-wasm'] };
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`  page error: ${e}`));
    log(`${s.name}: ${s.models.map((m) => m.model_name).join(' + ')}`);
    const t0 = Date.now();
    await page.goto(`${base}/pool.html?cfg=${encodeURIComponent(JSON.stringify(cfg))}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 1_800_000, polling: 500 });
    const r = await page.evaluate(() => window.__result);
    await page.close();
    if (r.fatal) { log(`  failed: ${r.fatal}`); failed++; results.scenarios.push({ name: s.name, failed: r.fatal }); continue; }
    results.scenarios.push({ name: s.name, ...r, seconds: (Date.now() - t0) / 1000 });
    console.log(`\n${s.name} (${r.models.map((m) => `${m.id} on ${m.where}`).join(', ')}; ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    for (const [name, p] of Object.entries(r.phases)) {
      const by = (st) => p.runs.filter((x) => x.strategy === st);
      const row = (st) => {
        const xs = by(st);
        return `${st.padEnd(10)} measured ${median(xs.map((x) => x.makespanMs)).toFixed(1).padStart(8)} ms, predicted ${median(xs.map((x) => x.predictedMs)).toFixed(1).padStart(8)} ms`;
      };
      const err = median(p.runs.map((x) => Math.abs(x.predictedMs / x.makespanMs - 1)));
      const bad = p.runs.filter((x) => x.statuses.some((st) => st !== 'ok'));
      const [ms, mp] = ['sequential', 'parallel'].map((st) => median(by(st).map((x) => x.makespanMs)));
      const [ps, pp] = ['sequential', 'parallel'].map((st) => median(by(st).map((x) => x.predictedMs)));
      console.log(`  ${name}: ${row('sequential')}\n  ${' '.repeat(name.length)}  ${row('parallel')}`);
      console.log(`  ${' '.repeat(name.length)}  median makespan error ${(100 * err).toFixed(0)} %; faster measured: ${mp < ms ? 'parallel' : 'sequential'} (x${(Math.max(ms, mp) / Math.min(ms, mp)).toFixed(2)}), predicted: ${pp < ps ? 'parallel' : 'sequential'} (x${(Math.max(ps, pp) / Math.min(ps, pp)).toFixed(2)}); auto picked ${p.auto.strategy}${p.auto.threads?.length ? ` [${p.auto.threads.join(', ')} threads]` : ''} (${p.auto.makespanMs.toFixed(1)} ms, predicted ${p.auto.predictedMs.toFixed(1)})${bad.length ? `; ${bad.length} runs with failures` : ''}`);
    }
    if (r.wasm) console.log(`  measureWasm: ${JSON.stringify(r.wasm)}`);
    if (r.fit) console.log(`  refit: ${JSON.stringify(r.fit)}`);
    mkdirSync(dirname(resolve(values.out)), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(results, null, 1)}\n`);
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
