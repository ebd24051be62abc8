// The built package imported from node as an ES module: predicts the seed workload, checks the result's shape
// and that bad input is a catchable Error naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, root } from './load.mjs';

const pkg = await loadPackage();
const seed = JSON.parse(readFileSync(join(root, 'tests', 'data', 'seed-example.json'), 'utf8'));

test('predicts the seed workload with the seed shape', () => {
  const predictor = new pkg.MultiModelPredictor({ hardware: 'cuda' });
  const r = predictor.predictMultiModelPerformance(seed.models, undefined, 'parallel');
  for (const k of ['combinedThroughput', 'combinedLatency', 'combinedMemory', 'feasible']) assert.ok(k in r.totalMetrics, k);
  assert.equal(r.individualPredictions.length, 3);
  assert.deepEqual(r.individualPredictions.map((m) => m.modelName), seed.models.map((m) => m.model_name));
  assert.equal(r.executionSchedule.totalExecutionTime, r.totalMetrics.combinedLatency);
  assert.equal(Math.max(...r.executionSchedule.timeline.map((t) => t.endTime)), r.totalMetrics.combinedLatency);
  assert.equal(r.hardwarePlatform, 'cuda:a100-40gb');
  assert.ok(!(r.contentionFactors instanceof Map) && typeof r.contentionFactors.computeContention === 'number');
});

test('recommends for every goal with plain-object maps', () => {
  const predictor = new pkg.MultiModelPredictor();
  for (const goal of ['throughput', 'latency', 'memory']) {
    const r = predictor.recommendExecutionStrategy(seed, 'cuda:t4', goal);
    assert.equal(r.optimizationGoal, goal);
    assert.ok(Object.keys(r.allPredictions).includes('sequential'));
    assert.ok(r.reason.length > 10);
    assert.ok(r.plan.groups.flat().length === 3);
  }
});

test('bad input is an Error naming the field, the value and what is allowed', () => {
  const predictor = new pkg.MultiModelPredictor();
  const cases = [
    [[{ model_name: 'bert-base-uncased', batch_size: 0 }], 'models[0].batch_size'],
    [[{ model_name: 'bert-base-uncased', batch_size: -2 }], 'models[0].batch_size'],
    [[{ model_name: 'bert-base-uncased', batch_size: NaN }], 'models[0].batch_size'],
    [[], 'models'],
    ['not a workload', 'models'],
    [[{ model_name: 'foo' }], 'models[0].model_name'],
  ];
  for (const [models, field] of cases) {
    assert.throws(() => predictor.predictMultiModelPerformance(models), (e) => e instanceof Error && e.message.includes(field), JSON.stringify(models));
  }
  assert.throws(() => predictor.predictMultiModelPerformance(seed.models, 'tpu'), /hardware/);
  assert.throws(() => predictor.predictMultiModelPerformance(seed.models, 'cuda', 'diagonal'), /strategy: diagonal \(one of parallel, sequential, batched\)/);
  assert.throws(() => predictor.recommendExecutionStrategy(seed.models, 'cuda', 'speed'), /goal/);
  assert.throws(() => new pkg.MultiModelPredictor({ runtime: 'caffe' }), /runtime/);
  // The predictor still works after errors: nothing panicked.
  assert.ok(predictor.predictMultiModelPerformance(seed.models, 'cuda').totalMetrics.feasible);
});

test('energy and cold start', () => {
  const predictor = new pkg.MultiModelPredictor({ hardware: 'cuda' });
  const p = predictor.predictMultiModelPerformance(seed.models);
  const attributed = p.individualPredictions.reduce((s, m) => s + m.energyJ, 0);
  assert.ok(Math.abs(attributed - p.energy.totalJ) < 1e-3, `${attributed} vs ${p.energy.totalJ}`);
  assert.equal(p.totalMetrics.energyJ, p.energy.totalJ);
  const r = predictor.recommendExecutionStrategy(seed.models, undefined, 'energy');
  assert.equal(r.optimizationGoal, 'energy');
  const cold = predictor.predictColdStart(seed.models, 'webgpu', { source: 'network', warmupIterations: 1 });
  assert.equal(cold.source, 'network');
  for (const s of cold.strategies) assert.ok(s.coldMs >= s.warmMs, JSON.stringify(s));
  assert.throws(() => predictor.predictColdStart(seed.models, 'cuda', { source: 'floppy' }), /options\.source: floppy/);
  assert.throws(() => predictor.predictColdStart(seed.models, 'cuda', { sourceGbps: -1 }), /source_gbps/);
});

test('serving under load', () => {
  const predictor = new pkg.MultiModelPredictor({ hardware: 'cuda' });
  const r = predictor.simulateServing(seed.models, undefined, { rate: 5, durationS: 20, seed: 3 });
  assert.equal(r.models.length, 3);
  for (const m of r.models) {
    assert.ok(m.latency.p99Ms >= m.latency.p95Ms && m.latency.p95Ms >= m.latency.p50Ms, JSON.stringify(m.latency));
    assert.ok(m.utilisation <= 1 && m.maxSustainableRps > 5 === r.stable || !r.stable);
  }
  const again = predictor.simulateServing(seed.models, undefined, { rate: 5, durationS: 20, seed: 3 });
  assert.deepEqual(again, r);
  assert.throws(() => predictor.simulateServing(seed.models, undefined, { rate: -1 }), /rate/);
  assert.throws(() => predictor.simulateServing(seed.models, undefined, { rates: { nope: 1 } }), /serve\.rates\.nope/);
  assert.throws(() => predictor.simulateServing(seed.models, undefined, { rate: 1, policy: 'lifo' }), /serve\.policy: lifo/);
});

test('memory advice and applying it', () => {
  const tight = JSON.parse(readFileSync(join(root, 'examples', 'tight-memory.json'), 'utf8'));
  const predictor = new pkg.MultiModelPredictor();
  const advice = predictor.adviseMemory(tight);
  assert.equal(advice.feasible, false);
  assert.ok(advice.fitPlan && advice.fitPlan.prediction.totalMetrics.feasible);
  for (let k = 1; k < advice.options.length; k++) assert.ok(advice.options[k - 1].savedMb >= advice.options[k].savedMb - 1e-6);
  const after = predictor.applyMemoryOptions(tight, undefined, 'parallel', [0]);
  assert.equal(after.totalMetrics.feasible, true);
  assert.throws(() => predictor.applyMemoryOptions(tight, undefined, 'parallel', [999]), /apply: 999/);
  // A predictor made with { timelines: false } returns the same applied prediction without the two curves.
  const lean = new pkg.MultiModelPredictor({ timelines: false }).applyMemoryOptions(tight, undefined, 'parallel', [0]);
  assert.ok(after.executionSchedule.timeline.length > 0 && after.executionSchedule.memoryTimeline.length > 0);
  assert.deepEqual(lean, { ...after, executionSchedule: { ...after.executionSchedule, timeline: [], memoryTimeline: [] } });
});

test('detection, routing and browser recommendation', async () => {
  const caps = await pkg.detectCapabilities();
  assert.ok(caps.hardwareConcurrency === undefined || caps.wasm !== undefined, 'well-formed capabilities');
  const routes = pkg.routeModels(seed.models, caps);
  assert.equal(routes.length, 3);
  for (const r of routes) assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && r.alternatives.length >= 1, JSON.stringify(r));
  const rec = pkg.recommendBrowser(seed.models);
  assert.ok(rec.reason.length > 0);
  assert.throws(() => pkg.routeModels(seed.models), /capabilities/);
});

test('catalogs and version', () => {
  // 20 transformers and classifiers (roberta-large last, since session 57), and YOLOv5n-x (640x640 by default).
  const models = pkg.listModels();
  assert.equal(models.length, 25);
  assert.ok(models.some((m) => m.name === 'yolov5s'));
  assert.equal(models[models.length - 1].name, 'roberta-large');
  assert.ok(pkg.listHardware().some((d) => d.id === 'webgpu:fallback'));
  const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/^version = "(.*)"/m)[1];
  assert.equal(pkg.version(), cargo);
});
