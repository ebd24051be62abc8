// The native CLI and the wasm build give the same numbers: every fixture, every strategy and goal, through
// `mmperf ... --json` (target/debug/mmperf, built by `cargo test`) and through the package in node. Numbers
// are compared to 1e-9 relative (the JSON rounds to 4 decimals; libm differences could flip a last digit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, loadPackage, root } from './load.mjs';

const pkg = await loadPackage();
const mmperf = join(root, 'target', 'debug', 'mmperf');

function close(a, b, path) {
  if (typeof a === 'number' && typeof b === 'number') {
    const ok = a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-4;
    assert.ok(ok, `${path}: native ${b} vs wasm ${a}`);
  } else if (Array.isArray(a)) {
    assert.equal(a.length, b.length, `${path}: length`);
    a.forEach((x, i) => close(x, b[i], `${path}[${i}]`));
  } else if (a && typeof a === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path}: keys`);
    for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`);
  } else {
    assert.equal(a, b, path);
  }
}

test('native CLI and wasm agree on every fixture', () => {
  assert.ok(existsSync(mmperf), 'target/debug/mmperf missing: run cargo test or cargo build first');
  const predictor = new pkg.MultiModelPredictor();
  let compared = 0;
  for (const { path, workload } of fixtures()) {
    for (const strategy of ['parallel', 'sequential', 'batched']) {
      const native = JSON.parse(execFileSync(mmperf, ['predict', path, '--strategy', strategy, '--json'], { encoding: 'utf8' }));
      const wasm = predictor.predictMultiModelPerformance(workload, undefined, strategy);
      close(wasm, native, `${path} ${strategy}`);
      compared++;
    }
    for (const goal of ['throughput', 'latency', 'memory']) {
      const native = JSON.parse(execFileSync(mmperf, ['recommend', path, '--goal', goal, '--json'], { encoding: 'utf8' }));
      close(predictor.recommendExecutionStrategy(workload, undefined, goal), native, `${path} ${goal}`);
      compared++;
    }
  }
  assert.ok(compared >= 30, `compared ${compared} results`);
});

test('describeOnnx in wasm gives what mmperf describe gives natively, and its entry predicts the same', () => {
  const predictor = new pkg.MultiModelPredictor();
  for (const [file, opts, args] of [
    ['bert-2layer.onnx', { batchSize: 2, sequenceLength: 32, name: 'bert-2layer' }, ['--batch-size', '2', '--sequence-length', '32']],
    ['small-cnn.onnx', { dims: { batch: 4 }, name: 'cnn' }, ['--dim', 'batch=4', '--name', 'cnn']],
  ]) {
    const path = join(root, 'tests', 'data', 'onnx', file);
    const native = JSON.parse(execFileSync(mmperf, ['describe', path, '--json', ...args], { encoding: 'utf8' }));
    const wasm = pkg.describeOnnx(readFileSync(path), opts);
    close(wasm, native, file);
    assert.ok(wasm.gflops > 0 && wasm.entry.graph.ops.length > 0, `${file}: no work described`);
    const dir = mkdtempSync(join(tmpdir(), 'mmperf-onnx-'));
    let predicted;
    try {
      const workload = join(dir, 'w.json');
      writeFileSync(workload, JSON.stringify([wasm.entry, { model_name: 'resnet-50' }]));
      predicted = JSON.parse(execFileSync(mmperf, ['predict', workload, '--hardware', 'cpu', '--json'], { encoding: 'utf8' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    close(predictor.predictMultiModelPerformance([wasm.entry, { model_name: 'resnet-50' }], 'cpu', 'parallel'), predicted, `${file} predicted`);
  }
});

test('describeOnnx rejects what it cannot read with a message naming it', () => {
  const bytes = readFileSync(join(root, 'tests', 'data', 'onnx', 'bert-2layer.onnx'));
  assert.throws(() => pkg.describeOnnx(new Uint8Array([0xff, 0xff, 0xff, 0x07])), /malformed ONNX file/);
  assert.throws(() => pkg.describeOnnx('model.onnx'), /invalid bytes: .*Uint8Array or an ArrayBuffer/);
  assert.throws(() => pkg.describeOnnx(bytes, { batchSize: 0 }), /invalid batchSize: 0/);
  assert.throws(() => pkg.describeOnnx(bytes, { dims: { sequence_length: -1 } }), /invalid dims.sequence_length/);
  assert.throws(() => pkg.describeOnnx(bytes, { seqLen: 3 }), /unknown field `seqLen`/);
  assert.equal(pkg.describeOnnx(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).params, pkg.describeOnnx(bytes).params);
});

test('routeModels gives what mmperf route --capabilities gives natively, on every capabilities fixture', () => {
  const dir = join(root, 'tests', 'data', 'capabilities');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3, `capabilities fixtures: ${files}`);
  const seedPath = join(root, 'tests', 'data', 'seed-example.json');
  const seed = JSON.parse(readFileSync(seedPath, 'utf8'));
  for (const file of files) {
    const path = join(dir, file);
    const native = JSON.parse(execFileSync(mmperf, ['route', seedPath, '--capabilities', path, '--json'], { encoding: 'utf8' }));
    const wasm = pkg.routeModels(seed.models, JSON.parse(readFileSync(path, 'utf8')));
    close(wasm, native, file);
    assert.equal(wasm.length, seed.models.length, file);
  }
  // Impossible values are rejected by name in both.
  const caps = JSON.parse(readFileSync(join(dir, 'laptop-igpu-webnn.json'), 'utf8'));
  assert.throws(() => pkg.routeModels(seed.models, { ...caps, hardwareConcurrency: 0 }), /capabilities\.hardwareConcurrency/);
  assert.throws(() => pkg.routeModels(seed.models, { ...caps, deviceMemoryGb: NaN }), /capabilities\.deviceMemoryGb/);
});
