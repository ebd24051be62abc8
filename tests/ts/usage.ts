// Compiled with `tsc --noEmit` against the generated definitions: every input and result is typed, so these
// lines type-check, and the lines marked @ts-expect-error must not.
import init, { MultiModelPredictor, ResourcePool, describeOnnx, listHardware, listModels, version } from '../../pkg/web/multimodel_perf.js';
import { ortModel, ortWorkerModel, transformersJsModel, type OrtModule, type OrtRegisterOptions, type TransformersJsRegisterOptions } from '../../pkg/onnxruntime-web.js';
import type { OnnxDescription, OpGraph, ModelEntry, PredictionResult, RecommendationResult, WorkloadObject, HardwareProfile, CatalogModel, ColdStartResult, ServeResult, MemoryAdvice, Capabilities, RegisteredModel, Executor, PoolBackend, ExecutorInputs, PoolRun, ModelRun, PoolMemory, SharedTensor, RunsOn, MeasurementRecord, ValidationReport, FitReport, StrategyComparison, StorageState, MeasurementExport } from '../../pkg/web/multimodel_perf.js';

export async function example(): Promise<number> {
  await init();
  const models: ModelEntry[] = [
    { model_name: 'bert-base-uncased', model_type: 'text_embedding', batch_size: 4 },
    { modelName: 'vit-base-patch16-224', precision: 'fp16' },
  ];
  const predictor = new MultiModelPredictor({ hardware: 'webgpu', runtime: 'transformersjs' });
  const p: PredictionResult = predictor.predictMultiModelPerformance(models, 'cuda:a100-40gb', 'parallel', { max_memory: 8000 });
  const latency: number = p.totalMetrics.combinedLatency;
  const bound: 'compute' | 'memory' | 'overhead' = p.individualPredictions[0].bound;
  const workload: WorkloadObject = { models, constraints: { maxCompute: 0.8 } };
  const custom: HardwareProfile = { base: 'cuda:t4', memory_capacity_mb: 8000 };
  const r: RecommendationResult = predictor.recommendExecutionStrategy(workload, custom, 'memory');
  const groups: string[][] = r.plan.groups;
  const cold: ColdStartResult = predictor.predictColdStart(models, 'webgpu', { source: 'cache', warmupIterations: 2 });
  const served: ServeResult = predictor.simulateServing(models, 'cuda:t4', { rates: { 'bert-base-uncased': 20 }, policy: 'sjf', durationS: 10 });
  const p99: number | undefined = served.models[0].latency?.p99Ms;
  const advice: MemoryAdvice = predictor.adviseMemory(models, 'cuda:t4', 'sequential');
  const fitted: PredictionResult = predictor.applyMemoryOptions(models, 'cuda:t4', 'sequential', advice.options.map((o) => o.rank).slice(0, 1));
  const joules: number = fitted.totalMetrics.combinedMemory + p.energy.totalJ + cold.strategies[0].coldMs;
  const described: OnnxDescription = describeOnnx(new Uint8Array(0), { sequenceLength: 256, dims: { batch_size: 2 } });
  const graph: OpGraph = described.entry.graph;
  const own: ModelEntry[] = [described.entry, { model_name: 'custom', graph }];
  // @ts-expect-error describeOnnx takes bytes, not a URL
  describeOnnx('/models/model.onnx');
  const ort = {} as OrtModule;
  const onPage: OrtRegisterOptions = await ortModel(ort, { id: 'm', onnx: '/m.onnx', backends: ['webgpu', 'wasm'], describe: { batchSize: 2 } });
  const inWorker: OrtRegisterOptions = await ortWorkerModel({ onnx: '/m.onnx', ort: '/ort.wasm.min.mjs', threads: 1 });
  const params: number = onPage.onnx.params + inWorker.onnx.gflops;
  const tjs: TransformersJsRegisterOptions = await transformersJsModel(async (inputs) => inputs, { onnx: '/m.onnx', inputs: {} });
  const tjsParams: number | undefined = tjs.onnx?.params;
  // @ts-expect-error a worker needs the URL of onnxruntime-web's module build
  await ortWorkerModel({ onnx: '/m.onnx' });
  const catalog: CatalogModel[] = listModels();
  const ids: string[] = listHardware().map((d) => d.id);
  // @ts-expect-error unknown strategy names are rejected at compile time
  predictor.predictMultiModelPerformance(models, 'cuda', 'diagonal');
  // @ts-expect-error precision must be one of the known formats
  const wrong: ModelEntry = { model_name: 'gpt2', precision: 'fp12' };
  return (p99 ?? 0) + joules + latency + groups.length + catalog.length + ids.length + version().length + bound.length + (wrong ? 0 : 1);
}

export async function poolExample(): Promise<number> {
  await init();
  const pool: ResourcePool = await ResourcePool.create({ timeoutMs: 5000, concurrency: { webgpu: 2 } });
  const caps: Capabilities = pool.capabilities;
  const builtin: RegisteredModel = await pool.registerModel({ model: { model_name: 'bert-base-uncased' }, workload: { maxMflop: 16 } });
  const executor: Executor = async (backend: PoolBackend, inputs: ExecutorInputs) => {
    if (inputs.signal.aborted) throw new Error('aborted');
    return new Float32Array([backend.length, inputs.attempt]);
  };
  await pool.shareTensor('image', { byteLength: 4 * 224 * 224 * 3, gpu: false });
  const inWorker: RegisteredModel = await pool.registerModel({ model: { model_name: 'gpt2' }, worker: { threads: 1 } });
  const where: RunsOn = inWorker.runsOn;
  await pool.registerModel({ id: 'ort-worker', model: { model_name: 'all-MiniLM-L6-v2' }, worker: { url: '/ort-worker.js', threads: 2 } });
  await pool.registerModel({ id: 'mine', model: { model_name: 'resnet-50' }, executor, backends: ['webgpu', 'wasm'], tensors: ['image'] });
  const run: PoolRun = await pool.execute(['mine', builtin.id], { strategy: 'auto', goal: 'latency', timeoutMs: 2000 });
  const statuses: ModelRun['status'][] = run.models.map((m) => m.status);
  const predicted: number = run.prediction.totalMetrics.combinedLatency;
  const memory: PoolMemory = pool.memory();
  const shared: SharedTensor = pool.acquireTensor('image', builtin.id);
  const records: MeasurementRecord[] = pool.measurements();
  const report: ValidationReport = pool.validate({ threshold: 0.2, window: 5 });
  const fit: FitReport = await pool.refit({ hardware: 'pool:wasm-main-thread' });
  const comparison: StrategyComparison = await pool.compareStrategies(undefined, { goal: 'latency' });
  const storage: StorageState = pool.storage;
  const exported: MeasurementExport = pool.exportMeasurements();
  await pool.importMeasurements(exported);
  await pool.addMeasurement(records[0]);
  const persisted: boolean = storage.persistent && report.refitDue && fit.after.meanApe >= 0 && comparison.hit;
  // @ts-expect-error strategies are a closed set
  await pool.execute(undefined, { strategy: 'fastest' });
  pool.destroy();
  return (persisted ? 1 : 0) + where.length + statuses.length + predicted + memory.totalBytes + shared.refs + run.makespanMs + (caps.wasm ? 1 : 0);
}
