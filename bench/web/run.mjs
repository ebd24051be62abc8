#!/usr/bin/env node
// Measures several models alone and together with onnxruntime-web (WASM backend) in headless Chromium, under
// the plans of plans.mjs, and writes the results in bench/real/run.py's format (runtime "onnxruntime-web"),
// which `mmperf check-real` reads.
//
//   node bench/web/run.mjs [--scenarios FILE] [--only a,b] [--rounds K] [--passes P] [--warmup W]
//                          [--plans p,q] [--no-alone] [--out FILE] [--check HARDWARE] [--mmperf BIN]
//                          [--max-foreign F] [--retries R] [--max-wait S]
//
// One fresh page per scenario, cross-origin isolated (server.mjs). In it: one dedicated worker per model and
// thread count 1..N (each its own ORT instance, numThreads fixed at start), and the page's own ORT instance
// (N threads) holding every model for the in-page plans. Every session is created and run twice before any
// timing. A plan's pass during which other processes took more than --max-foreign (default 0.1) of the CPU
// is measured again after waiting (up to --max-wait s) for a quiet machine, at most --retries times (default
// 3); each scenario also waits for one before it starts. Progress goes to stderr, a table per scenario to
// stdout, results to --out after every scenario.
// With --check, `mmperf check-real OUT --hardware HARDWARE` runs at the end and its report is saved beside OUT
// as check-<name>.txt. Exit code 0; 1 when a scenario failed (recorded under `failed`); 2 for bad input;
// 130 when interrupted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HERE, ONNX_CACHE, serve } from './server.mjs';
import { PLAN_NAMES, alonePlans, label, passOrder, scenarioPlans } from './plans.mjs';
import { loadAvg1m, meter, ownPids, round, waitQuiet } from './noise.mjs';

const ROOT = resolve(HERE, '..', '..');
const NOISY = 0.10; // foreign CPU share above which a plan's figures are flagged (as bench/real)
const LOAD_WARMUP = 2; // runs of every session right after creation, never timed
const CLOCK_SKEW_MS = 0.5; // a worker whose clock disagrees with the page's by more fails the scenario
const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const ISA_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16'];

class InputError extends Error {}

const log = (msg) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Input

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: join(HERE, 'scenarios.json') },
      only: { type: 'string', default: '' },
      rounds: { type: 'string', default: '5' },
      passes: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '1' },
      plans: { type: 'string', default: '' },
      'no-alone': { type: 'boolean', default: false },
      'max-foreign': { type: 'string', default: '0.1' },
      retries: { type: 'string', default: '3' },
      'max-wait': { type: 'string', default: '120' },
      out: { type: 'string', default: '' },
      check: { type: 'string', default: '' },
      mmperf: { type: 'string', default: join(ROOT, 'target', 'release', 'mmperf') },
    },
  });
  const int = (name, min) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new InputError(`--${name}: expected an integer >= ${min}, got '${values[name]}'`);
    return v;
  };
  const fraction = (name) => {
    const v = Number(values[name]);
    if (!(v >= 0 && v <= 1)) throw new InputError(`--${name}: expected a number from 0 to 1, got '${values[name]}'`);
    return v;
  };
  const plans = values.plans ? values.plans.split(',').map((s) => s.trim()) : PLAN_NAMES;
  const bad = plans.filter((p) => !PLAN_NAMES.includes(p));
  if (bad.length) throw new InputError(`--plans: unknown ${bad.join(', ')}; known: ${PLAN_NAMES.join(', ')}`);
  const date = new Date().toISOString().slice(0, 10);
  return {
    scenarios: values.scenarios, only: values.only, plans, noAlone: values['no-alone'],
    rounds: int('rounds', 1), passes: int('passes', 1), warmup: int('warmup', 0),
    retries: int('retries', 0), maxWait: int('max-wait', 0), maxForeign: fraction('max-foreign'),
    out: resolve(values.out || join(HERE, 'results', `onnxruntime-web-${hostname()}-${date}.json`)),
    check: values.check, mmperf: values.mmperf,
  };
}

/** The graph of a CLI model entry in bench/real's cache: <model>-b<batch>-s<seq> (text) or -i<size> (vision). */
function graphOf(m, where) {
  if (typeof m?.model_name !== 'string' || !Number.isInteger(m.batch_size)) {
    throw new InputError(`${where}: expected {model_name, batch_size, sequence_length | image_size} (names as bench/real writes them, no aliases)`);
  }
  const tail = Number.isInteger(m.image_size) ? `i${m.image_size}` : Number.isInteger(m.sequence_length) ? `s${m.sequence_length}` : null;
  if (!tail) throw new InputError(`${where}: needs sequence_length (text) or image_size (vision); generating models are not supported here`);
  const dir = `${m.model_name}-b${m.batch_size}-${tail}`;
  if (!existsSync(join(ONNX_CACHE, dir, 'main.onnx'))) {
    throw new InputError(`${where}: no graph ${join(ONNX_CACHE, dir, 'main.onnx')}; export it with bench/real (run.py --runtime onnxruntime or check.py)`);
  }
  return `/models/${dir}/main.onnx`;
}

function loadScenarios(path, only) {
  let raw;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')).scenarios;
  } catch (e) {
    throw new InputError(`${path}: ${e.message}`);
  }
  if (!Array.isArray(raw)) throw new InputError(`${path}: expected {"scenarios": [...]}`);
  const all = raw.map((s, k) => {
    const where = `${path}: scenarios[${k}]`;
    if (typeof s?.name !== 'string' || !Array.isArray(s.models) || !s.models.length) {
      throw new InputError(`${where}: expected {name, description?, models: [...]}`);
    }
    return { name: s.name, description: s.description ?? '', models: s.models, urls: s.models.map((m, i) => graphOf(m, `${where}.models[${i}]`)) };
  });
  if (!only) return all;
  const keep = only.split(',').map((s) => s.trim()).filter(Boolean);
  const missing = keep.filter((n) => !all.some((s) => s.name === n));
  if (missing.length) throw new InputError(`--only: no scenario named ${missing.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  return all.filter((s) => keep.includes(s.name));
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

const median = (v) => quantile(v, 0.5);

/** Linear interpolation between order statistics (Python's statistics.quantiles, method 'inclusive'). */
function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

function spread(values) {
  const [q1, q3, m] = [quantile(values, 0.25), quantile(values, 0.75), median(values)];
  return {
    minMs: round(Math.min(...values)), maxMs: round(Math.max(...values)), q1Ms: round(q1), q3Ms: round(q3),
    iqrMs: round(q3 - q1), relIqr: round((q3 - q1) / m, 4),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

const workerName = (i, t) => `m${i}t${t}`;

/** One round of a plan: {makespan, models: [ms per model], lag}. */
async function runRound(page, plan) {
  const n = plan.threads.length;
  const models = Array(n).fill(null);
  if (plan.host === 'page') {
    const keys = plan.groups.flat().map((i) => `m${i}`);
    const r = await page.evaluate(([k, mode]) => window.bench.pageRun(k, mode), [keys, plan.mode]);
    plan.groups.flat().forEach((i, k) => { models[i] = r.runs[k].end - r.runs[k].start; });
    return { makespan: Math.max(...r.runs.map((x) => x.end)) - r.startAt, models, lag: 0 };
  }
  let makespan = 0;
  let lag = 0;
  for (const group of plan.groups) {
    const members = group.map((i) => ({ worker: workerName(i, plan.threads[i]), key: 'm' }));
    const r = await page.evaluate((m) => window.bench.runGroup(m), members);
    makespan += Math.max(...r.runs.map((x) => x.end)) - r.startAt;
    group.forEach((i, k) => { models[i] = r.runs[k].end - r.runs[k].start; });
    lag = Math.max(lag, ...r.runs.map((x) => x.start - r.startAt));
  }
  return { makespan, models, lag };
}

async function measurePlan(page, plan, args) {
  for (let k = 0; k < args.warmup; k++) await runRound(page, plan);
  const rec = { makespan: [], models: plan.threads.map(() => []), lag: 0 };
  const m = meter(args.pids);
  for (let k = 0; k < args.rounds; k++) {
    const r = await runRound(page, plan);
    rec.makespan.push(r.makespan);
    rec.lag = Math.max(rec.lag, r.lag);
    r.models.forEach((ms, i) => { if (ms !== null) rec.models[i].push(ms); });
  }
  rec.noise = m.read();
  return rec;
}

/** measurePlan, redone (up to --retries times, after waiting for a quiet machine) while others took more
 * than --max-foreign of the CPU; the pass keeps how often it was redone. */
async function measureQuiet(page, plan, args, progress) {
  for (let retry = 0; ; retry++) {
    const rec = await measurePlan(page, plan, args);
    rec.retries = retry;
    if ((rec.noise.foreignCpu ?? 0) <= args.maxForeign || retry >= args.retries) return rec;
    progress(`  others took ${Math.round(rec.noise.foreignCpu * 100)}% of the CPU: waiting for a quiet machine, then again`);
    const q = await waitQuiet(args.maxForeign, args.maxWait, args.pids);
    if (!q.quiet) progress(`  still ${Math.round(q.foreignCpu * 100)}% after ${q.waitedS} s: measuring anyway`);
  }
}

function planRecord(plan, passes) {
  const pooled = passes.flatMap((r) => r.makespan);
  const perModel = plan.threads.map((_, i) => passes.flatMap((r) => r.models[i]));
  return {
    plan: plan.plan, host: plan.host, groups: plan.groups, threads: plan.threads,
    passes: passes.map((r) => ({ makespanMs: r.makespan.map((v) => round(v)), modelMs: r.models.map((m) => m.map((v) => round(v))), ...r.noise, retries: r.retries })),
    medianMakespanMs: round(median(pooled)),
    medianModelMs: perModel.map((m) => (m.length ? round(median(m)) : null)),
    spread: { ...spread(pooled), passMedianMs: passes.map((r) => round(median(r.makespan))) },
    maxStartLagMs: round(Math.max(...passes.map((r) => r.lag))),
  };
}

function aloneRecord(plan, passes) {
  const i = plan.alone;
  const pooled = passes.flatMap((r) => r.models[i]);
  return {
    model: i, threads: plan.threads[i], ms: pooled.map((v) => round(v)), medianMs: round(median(pooled)),
    passMedianMs: passes.map((r) => round(median(r.models[i]))), foreignCpu: passes.map((r) => r.noise.foreignCpu),
    retries: passes.map((r) => r.retries),
    spread: spread(pooled),
  };
}

/** A fresh page: checks isolation, starts and loads the workers and the page's sessions. */
async function setUp(browser, base, sc, wantPage, progress) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
  const env = await page.evaluate(() => window.bench.env());
  if (!env.isolated) throw new Error('the page is not cross-origin isolated (crossOriginIsolated === false): WASM threads would silently fall back to 1');
  const cores = env.cores;
  const setup = { loadMs: [], warmMs: [], clock: [] };
  for (let i = 0; i < sc.models.length; i++) {
    for (let t = 1; t <= cores; t++) {
      progress(`worker m${i} (${sc.models[i].model_name}) t${t}: start, load, ${LOAD_WARMUP} warm-up runs`);
      await page.evaluate(([n, th]) => window.bench.startWorker(n, th), [workerName(i, t), t]);
      const r = await page.evaluate(([n, u, m, w]) => window.bench.loadWorker(n, 'm', u, m, w), [workerName(i, t), sc.urls[i], sc.models[i], LOAD_WARMUP]);
      setup.loadMs.push(round(r.loadMs, 1));
      setup.warmMs.push(round(r.warmMs, 1));
      const c = await page.evaluate((n) => window.bench.clockCheck(n), workerName(i, t));
      setup.clock.push(c);
      if (c.forward < -CLOCK_SKEW_MS || c.back < -CLOCK_SKEW_MS) {
        throw new Error(`worker ${workerName(i, t)}'s clock disagrees with the page's (${JSON.stringify(c)} ms): start times could not be compared`);
      }
    }
  }
  if (wantPage) {
    progress(`page ORT instance (${cores} threads): load every model, ${LOAD_WARMUP} warm-up runs each`);
    await page.evaluate((t) => window.bench.pageInit(t), cores);
    for (let i = 0; i < sc.models.length; i++) {
      await page.evaluate(([k, u, m, w]) => window.bench.pageLoad(k, u, m, w), [`m${i}`, sc.urls[i], sc.models[i], LOAD_WARMUP]);
    }
  }
  return { context, page, cores, errors, setup };
}

async function measureScenario(browser, base, sc, args, progress) {
  const t0 = performance.now();
  const load0 = loadAvg1m();
  const wanted = args.plans;
  const wantPage = wanted.some((p) => p.endsWith('-one-page'));
  const q = await waitQuiet(args.maxForeign, args.maxWait);
  if (!q.quiet) progress(`others take ${Math.round(q.foreignCpu * 100)}% of the CPU after ${q.waitedS} s of waiting: starting anyway`);
  const s = await setUp(browser, base, sc, wantPage, progress);
  try {
    const n = sc.models.length;
    const weights = [];
    for (let i = 0; i < n; i++) {
      const r = await runRound(s.page, { host: 'workers', groups: [[i]], threads: sc.models.map((_, j) => (j === i ? 1 : 0)) });
      weights.push(r.models[i]);
    }
    progress(`one-thread probe: ${weights.map((w) => w.toFixed(1)).join(', ')} ms; load ${s.setup.loadMs.join(', ')} ms; warm run ${s.setup.warmMs.join(', ')} ms`);
    const plans = scenarioPlans(weights, s.cores, wanted);
    const alone = args.noAlone ? [] : alonePlans(n, s.cores);
    const items = [...alone, ...plans];
    const samples = new Map(items.map((p) => [p, []]));
    const pids = ownPids();
    for (let p = 0; p < args.passes; p++) {
      const order = passOrder(items, p);
      for (const [k, plan] of order.entries()) {
        progress(`pass ${p + 1}/${args.passes} [${k + 1}/${order.length}] ${label(plan)}`);
        samples.get(plan).push(await measureQuiet(s.page, plan, { ...args, pids }, progress));
      }
    }
    if (s.errors.length) throw new Error(`page errors: ${s.errors.slice(0, 3).join(' | ')}`);
    return {
      name: sc.name, description: sc.description, models: sc.models, hardwareConcurrency: s.cores,
      runs: sc.models.map((m) => `session.run on ${m.batch_size}x${m.sequence_length ?? `3x${m.image_size}x${m.image_size}`}`),
      probeOneThreadMs: weights.map((w) => round(w)),
      setup: { loadMs: s.setup.loadMs, warmRunMs: s.setup.warmMs, workerClockMs: s.setup.clock.map((c) => ({ forward: round(c.forward), back: round(c.back) })) },
      alone: alone.map((p) => aloneRecord(p, samples.get(p))),
      plans: plans.map((p) => planRecord(p, samples.get(p))),
      loadAvg1m: [load0, loadAvg1m()],
      wallS: round((performance.now() - t0) / 1000, 1),
    };
  } finally {
    await s.page.evaluate(() => window.bench.closeAll()).catch(() => {});
    await s.context.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output

function writeJson(path, doc) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(doc, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

function machineInfo() {
  let cpu = 'unknown';
  let flags = new Set();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
    flags = new Set(info.match(/^flags\s*:\s*(.*)$/m)?.[1].split(/\s+/) ?? []);
  } catch { /* not Linux */ }
  return { cpu, cores: cpus().length, isa: ISA_FLAGS.filter((f) => flags.has(f)) };
}

const pct = (fs) => (fs.some((f) => f !== null) ? `${Math.round(Math.max(...fs.filter((f) => f !== null)) * 100)}%` : '?');

function summary(rec) {
  const names = rec.models.map((m) => `${m.model_name} b${m.batch_size}`);
  const lines = [`\n== ${rec.name}: ${names.join(' + ')} (load ${rec.loadAvg1m.join(' -> ')}) ==`];
  for (const a of rec.alone) {
    const s = a.spread;
    lines.push(`  alone m${a.model} ${rec.models[a.model].model_name.padEnd(24)} t${a.threads}  ${a.medianMs.toFixed(1).padStart(9)} ms  IQR ${s.iqrMs.toFixed(1).padStart(7)}  [${s.minMs.toFixed(1)}..${s.maxMs.toFixed(1)}]  others ${pct(a.foreignCpu)}`);
  }
  const seq = rec.plans.find((p) => p.plan === 'sequential');
  lines.push(`  ${'plan'.padEnd(22)}${'groups'.padEnd(10)}${'threads'.padEnd(9)}${'median ms'.padStart(10)}${'IQR'.padStart(8)}${'min..max'.padStart(14)}${'passes'.padStart(12)}${'lag'.padStart(6)}  vs seq  others`);
  for (const p of rec.plans) {
    const s = p.spread;
    const ratio = seq ? `${(seq.medianMakespanMs / p.medianMakespanMs).toFixed(2)}x` : '-';
    lines.push(`  ${p.plan.padEnd(22)}${p.groups.map((g) => g.join(',')).join('|').padEnd(10)}${p.threads.join(',').padEnd(9)}${p.medianMakespanMs.toFixed(1).padStart(10)}${s.iqrMs.toFixed(1).padStart(8)}${`${s.minMs.toFixed(0)}..${s.maxMs.toFixed(0)}`.padStart(14)}${s.passMedianMs.map((v) => v.toFixed(0)).join('/').padStart(12)}${p.maxStartLagMs.toFixed(2).padStart(6)}  ${ratio.padStart(6)}  ${pct(p.passes.map((x) => x.foreignCpu))}`);
  }
  const noisy = rec.plans.filter((p) => Math.max(...p.passes.map((x) => x.foreignCpu ?? 0)) > NOISY).map((p) => p.plan);
  if (noisy.length) lines.push(`  WARNING: other processes took > ${NOISY * 100}% of the CPU during ${noisy.join(', ')}: those figures are unreliable`);
  const best = rec.plans.reduce((a, b) => (b.medianMakespanMs < a.medianMakespanMs ? b : a), rec.plans[0]);
  if (best && seq) lines.push(`  best: ${best.plan} t${best.threads.join(',')} ${best.medianMakespanMs.toFixed(1)} ms, ${(seq.medianMakespanMs / best.medianMakespanMs).toFixed(2)}x sequential`);
  return lines.join('\n');
}

function checkReal(args) {
  const report = execFileSync(args.mmperf, ['check-real', args.out, '--hardware', args.check], { encoding: 'utf8' });
  const path = join(dirname(args.out), `check-${basename(args.out).replace(/\.json$/, '')}.txt`);
  writeFileSync(path, report);
  process.stdout.write(`\n${report}`);
  log(`check-real report: ${path}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main() {
  let args;
  let scenarios;
  try {
    args = options(process.argv.slice(2));
    scenarios = loadScenarios(args.scenarios, args.only);
    if (!existsSync(join(HERE, 'node_modules', 'onnxruntime-web'))) throw new InputError('onnxruntime-web is not installed: run `npm ci` in bench/web');
    if (!CHROMIUM) throw new InputError('no Chromium at /usr/bin/chromium or /usr/bin/chromium-browser; set CHROMIUM_PATH');
    if (args.check && !existsSync(args.mmperf)) throw new InputError(`--check: no ${args.mmperf}; build it with cargo build --release --locked --bin mmperf`);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    log(`error: ${e.message}`);
    return 2;
  }
  const server = await serve(0);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-sync', '--disable-renderer-backgrounding', '--disable-background-timer-throttling'],
  });
  let interrupted = false;
  const stop = () => { interrupted = true; log('interrupted: closing the browser'); browser.close().finally(() => process.exit(130)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ortVersion = JSON.parse(readFileSync(join(HERE, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version;
  const doc = {
    runtime: 'onnxruntime-web',
    runtimeVersion: `onnxruntime-web ${ortVersion} (WASM SIMD, threaded build, wasm EP) in headless Chromium ${browser.version()}`,
    machine: machineInfo(), timestampMs: Date.now(),
    settings: { rounds: args.rounds, passes: args.passes, warmup: args.warmup, loadWarmup: LOAD_WARMUP },
    scenarios: [], failed: [],
  };
  const t0 = performance.now();
  try {
    for (const [k, sc] of scenarios.entries()) {
      const progress = (msg) => log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${sc.name} (${k + 1}/${scenarios.length}): ${msg}`);
      try {
        const rec = await measureScenario(browser, base, sc, args, progress);
        doc.scenarios.push(rec);
        process.stdout.write(`${summary(rec)}\n`);
      } catch (e) {
        if (interrupted) break;
        log(`${sc.name} failed: ${e.stack ?? e}`);
        doc.failed.push({ name: sc.name, error: String(e.message ?? e) });
      }
      writeJson(args.out, doc);
    }
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
  log(`results: ${args.out} (${((performance.now() - t0) / 60000).toFixed(1)} min)`);
  if (args.check && doc.scenarios.length) checkReal(args);
  return doc.failed.length ? 1 : 0;
}

process.exitCode = await main();
