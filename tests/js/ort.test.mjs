// The onnxruntime-web adapter (multimodel-perf/onnxruntime-web) with real onnxruntime-web 1.30 (WASM EP) in
// headless Chromium, on the small ONNX models `cargo run --example onnx_models -- target/onnx-models` writes:
// sessions created and warmed up at registration (never inside a run), every strategy on the main thread
// without a failure from onnxruntime-web's concurrency rules, a runtime error that keeps the other model's
// result and recovers with a new session, models in Web Workers (one onnxruntime-web each, calibrated in the
// page), the same on the WebGPU build (WebGPU then WASM; SwiftShader's WebGPU), and a transformers.js model
// loaded offline from a local folder beside an onnxruntime-web one. Timings are
// printed, not asserted (a shared 2-core machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, openPage } from './browser.mjs';
import { root } from './load.mjs';

/** Loads the page (`?ep=webgpu` for the WebGPU build) and checks what every variant must show. */
async function page(browser, base, query) {
  const { consoleErrors, result } = await openPage(browser, base);
  const r = await result(`/tests/js/ort.html${query}`, 240_000);
  assert.equal(r.fatal, undefined, r.fatal);
  assert.equal(r.isolated, true);
  assert.deepEqual(r.usable, [r.backends, r.backends], JSON.stringify(r.warnings));
  // describeOnnx read the graphs the sessions run.
  assert.deepEqual(r.described.bert.inputs.map((i) => i.shape), [[2, 32], [2, 32]]);
  assert.ok(r.described.bert.params > 0 && r.described.cnn.gflops > 0);
  // Sessions: created (and warmed up) at registration, one per model and backend, none inside the runs.
  assert.equal(r.createdAtRegistration, 2 * r.backends.length);
  assert.equal(r.createdDuringRuns, 0);
  for (const [key, run] of Object.entries(r.runs)) {
    assert.deepEqual(run.statuses, ['ok', 'ok'], `${key}: ${JSON.stringify(run.errors)}`);
    assert.deepEqual(run.runsOn, key.startsWith('worker') ? ['worker', 'worker'] : [0, 1].map(() => (r.backends[0] === 'webgpu' ? 'gpu-queue' : 'main-thread')), key);
    if (!key.startsWith('worker')) assert.deepEqual(run.backends, [r.backends[0], r.backends[0]], key);
  }
  // A runtime error: reported with what happens next, the other model kept; then a new session and ok.
  const failed = r.broken.statuses.indexOf('error');
  assert.ok(failed >= 0, JSON.stringify(r.broken));
  assert.equal(r.broken.statuses[1 - failed], 'ok');
  assert.match(r.broken.errors[failed], /onnxruntime-web failed on (wasm|webgpu): .*the next run starts from a new session/s);
  assert.deepEqual(r.recovered.statuses, ['ok', 'ok']);
  assert.equal(r.createdForRecovery, 1);
  // Every fully successful run is a measurement: 4 strategies and the recovery.
  assert.equal(r.measurements, 5);
  for (const k of Object.keys(r.runs)) console.log(`ort ${r.backends[0]} ${k}: ${r.runs[k].makespanMs.toFixed(1)} ms (predicted ${r.runs[k].predictedMs.toFixed(1)})`);
  // onnxruntime-web prints its own warnings ([W:onnxruntime:...], e.g. shape ops placed on the CPU) through
  // console.error; anything else is an error.
  assert.deepEqual(consoleErrors.filter((e) => !/\[W:onnxruntime:/.test(e)), []);
  return r;
}

test('onnxruntime-web models run in the pool under every strategy, on the main thread and in workers', async () => {
  assert.ok(existsSync(join(root, 'target', 'onnx-models', 'bert-tiny.onnx')),
    'target/onnx-models missing: cargo run --example onnx_models -- target/onnx-models');
  const { browser, base, close } = await openBrowser({ isolate: true });
  try {
    const r = await page(browser, base, '');
    assert.match(r.brokenWorker, /options\.worker.*a worker that starts: .*no\/such\/ort\.mjs/s);
    // Workers: 3 calibration runs and 6 judged ones, all measurements; the fit is of the workers' profile.
    assert.equal(r.workerMeasurements, 9);
    assert.equal(r.fit.profile, 'pool:wasm-workers');
    // Per-run threads: every run ok, each model ran with the threads the plan gave it (every core when the plan
    // leaves them open).
    for (const [key, run] of Object.entries(r.perRun)) {
      assert.deepEqual(run.statuses, ['ok', 'ok'], `${key}: ${JSON.stringify(run.errors)}`);
      assert.deepEqual(run.ran, run.ids.map((id) => run.planned[id] ?? r.cores), `${key}: ran ${JSON.stringify(run.ran)}, planned ${JSON.stringify(run.planned)}`);
      console.log(`ort per-run threads ${key} (${run.label}, threads ${run.ran.join('+')}): ${run.makespanMs.toFixed(1)} ms (predicted ${run.predictedMs.toFixed(1)})`);
    }
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const par = median([0, 1, 2].map((i) => r.runs[`worker-parallel-${i}`].makespanMs));
    const seq = median([0, 1, 2].map((i) => r.runs[`worker-sequential-${i}`].makespanMs));
    const judged = Object.entries(r.runs).filter(([k]) => /^worker-(parallel|sequential)-\d$/.test(k)).map(([, v]) => Math.abs(v.predictedMs / v.makespanMs - 1));
    console.log(`ort workers (${r.cores} cores): parallel ${par.toFixed(1)} ms, sequential ${seq.toFixed(1)} ms (medians of 3), ratio ${(par / seq).toFixed(2)}; after refit on 3 runs (${r.fit.train} to fit, ${r.fit.test} to check; compute x${r.fit.computeScale.toFixed(2)}, overhead x${r.fit.overheadScale.toFixed(2)}, interference ${r.fit.interferenceBefore} -> ${r.fit.interferenceAfter}): median makespan error ${(100 * median(judged)).toFixed(0)} % over ${judged.length} runs`);
  } finally {
    await close();
  }
});

test('onnxruntime-web WebGPU sessions (SwiftShader) run in the pool under every strategy without overlapping', async () => {
  const { browser, base, close } = await openBrowser({ isolate: true });
  try {
    const r = await page(browser, base, '?ep=webgpu');
    assert.deepEqual(r.backends, ['webgpu', 'wasm']);
  } finally {
    await close();
  }
});

// The README recipes are the code the test pages run: every import from the package, pool creation, adapter
// call and registration of a recipe appears verbatim in its page (paths and package names as the page has them;
// onnxruntime-web itself the page imports by its dist path, the ort page by build).
const PAGE_FORMS = [
  ["from 'multimodel-perf/onnxruntime-web'", "from '/pkg/onnxruntime-web.js'"],
  ["import init, { ResourcePool } from 'multimodel-perf'", "import init, { ResourcePool } from '/pkg/web/multimodel_perf.js'"],
  ["from '@huggingface/transformers'", "from '/node_modules/@huggingface/transformers/dist/transformers.web.js'"],
  ["'/models/bert-tiny/onnx/model.onnx'", "'/target/onnx-models/transformers/bert-tiny/onnx/model.onnx'"],
];
for (const readmePath of ['README.md', join('npm', 'README.md')]) {
  for (const [marker, pagePath] of [['ort-recipe', 'ort.html'], ['transformers-recipe', 'transformers.html']]) {
    test(`${readmePath}'s ${marker} is the code tests/js/${pagePath} runs`, () => {
      const readme = readFileSync(join(root, readmePath), 'utf8');
      const page = readFileSync(join(root, 'tests', 'js', pagePath), 'utf8');
      const block = readme.match(new RegExp(`<!-- ${marker} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``));
      assert.ok(block, `${readmePath}: the <!-- ${marker} --> block is missing`);
      const calls = block[1].split('\n').map((l) => l.trim())
        .filter((l) => /ortModel\(|ortWorkerModel\(|transformersJsModel\(|registerModel\(|ResourcePool\.create\(|from_pretrained\(|^import .* from '(multimodel-perf|@huggingface)/.test(l));
      assert.ok(calls.length >= 6, `only ${calls.length} lines to check in ${marker}`);
      for (const line of calls) {
        let tested = line;
        for (const [from, to] of PAGE_FORMS) tested = tested.replace(from, to);
        const found = page.includes(tested) || (tested.startsWith('import init, { ResourcePool }') && page.includes(tested.replace('{ ResourcePool }', '{ ResourcePool, describeOnnx }')));
        assert.ok(found, `${readmePath} line not in tests/js/${pagePath}: ${line}`);
      }
    });
  }
}

test('a transformers.js model (local files, offline) runs in the pool beside an onnxruntime-web one', async () => {
  assert.ok(existsSync(join(root, 'target', 'onnx-models', 'transformers', 'bert-tiny', 'config.json')),
    'target/onnx-models missing: cargo run --example onnx_models -- target/onnx-models');
  const { browser, base, close } = await openBrowser({ isolate: true });
  try {
    const { consoleErrors, result } = await openPage(browser, base);
    const r = await result('/tests/js/transformers.html', 240_000);
    assert.equal(r.fatal, undefined, r.fatal);
    assert.deepEqual(r.described.inputs.map((i) => [i.name, i.shape]), [['input_ids', [2, 32]], ['attention_mask', [2, 32]]]);
    for (const [strategy, run] of Object.entries(r.runs)) {
      assert.deepEqual(run.statuses, ['ok', 'ok'], `${strategy}: ${JSON.stringify(run.errors)}`);
      // transformers.js's BertModel returns the hidden states at the described shape.
      assert.deepEqual(run.outputs[0].last_hidden_state.dims, [2, 32, 128], strategy);
      console.log(`transformers.js + onnxruntime-web ${strategy}: ${run.makespanMs.toFixed(1)} ms (predicted ${run.predictedMs.toFixed(1)})`);
    }
    assert.deepEqual(consoleErrors.filter((e) => !/\[W:onnxruntime:/.test(e)), []);
  } finally {
    await close();
  }
});
