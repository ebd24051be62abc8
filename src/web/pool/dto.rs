//! The TypeScript definitions of the pool's options and results; their serde shapes are
//! [`crate::wire::pool`].

pub use crate::wire::pool::*;

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const POOL_TS: &'static str = r#"
/** Backend names the pool routes to. */
export type PoolBackend = "webgpu" | "webnn-gpu" | "webnn-npu" | "webnn-cpu" | "wasm";

/** What an executor receives besides the backend name. */
export interface ExecutorInputs {
  /** Pool model id. */
  id: string;
  /** The model entry it was registered with. */
  model: ModelEntry;
  /** The pool's GPUDevice when the backend is "webgpu" (one device, one queue for every model); with
   * @webgpu/types installed, use it as `inputs.device as GPUDevice`. */
  device?: object;
  /** Shared tensors the model acquired, by name. */
  tensors: Record<string, SharedTensor>;
  /** Aborted when the run times out: stop work and reject. */
  signal: AbortSignal;
  /** 0 for the first backend tried, 1 for the first fallback, ... */
  attempt: number;
}

/** A user executor: runs one inference of the model on `backend`, resolves to its outputs. */
export type Executor = (backend: PoolBackend, inputs: ExecutorInputs) => Promise<unknown> | unknown;

/** Options of `ResourcePool.create`. */
export interface PoolOptions {
  /** Capabilities to use instead of detecting them (e.g. fixtures, or a result from a worker). */
  capabilities?: Capabilities;
  /** Default per-model timeout for `execute`, ms (default 30000). */
  timeoutMs?: number;
  /** Try the next usable backend when a model fails (default true). */
  fallback?: boolean;
  /** At most this many models at once per backend (default: no limit; WASM runs on this thread anyway). */
  concurrency?: Partial<Record<PoolBackend, number>>;
  /** A compiled `multimodel_perf_bg.wasm` for built-in workers. Not needed with the npm package, which hands
   * workers its own module; only a build without feature `own-module` (e.g. wasm-pack --target bundler) needs it. */
  wasmModule?: WebAssembly.Module;
  /** Where measurements, refitted profiles and fits are kept: "indexeddb" (default; falls back to memory
   * with a warning when unavailable) or "memory". */
  storage?: "indexeddb" | "memory";
  /** IndexedDB database name (default "multimodel-perf"). */
  dbName?: string;
}

/** Run the model in its own Web Worker: `true` for a built-in workload (WASM path), or your module worker
 * script, which answers `{ type: "mmperf-run", runId, id, backend, model, threads, attempt }` messages with
 * `{ runId, ok: true, outputs }` or `{ runId, ok: false, error: { name, message } }`. */
export interface WorkerOptions {
  url?: string;
  /** Threads this worker may use; the pool keeps the workers' total within hardwareConcurrency (default 1). */
  threads?: number;
  /** The script posts `{ type: "mmperf-ready" }` when its set-up (e.g. a runtime session) is done, or
   * `{ type: "mmperf-ready", ok: false, error: { name, message } }`: registration (and a restart after a
   * timeout) waits for it, so set-up is never timed. */
  ready?: boolean;
  /** Each run's threads come from the plan (1 to `threads`, in `mmperf-run`'s `threads`) instead of a fixed
   * share: the worker does not count against the other workers' cores, and `auto` can choose between one
   * model at a time on every core and several at once on a share each. */
  perRun?: boolean;
}

/** Sizing of a built-in workload (see the README: the model's weight-GEMM chain, scaled). */
export interface WorkloadOptions {
  /** Dimension scale in (0, 1]; FLOPs shrink by about scale³. */
  scale?: number;
  /** Budget when no scale is given, MFLOP (default 64). */
  maxMflop?: number;
}

/** Argument of `registerModel`. */
export interface RegisterOptions {
  /** Unique id in this pool (default: the model name, then name#2, ...). */
  id?: string;
  /** The model, as in predictions. */
  model: ModelEntry;
  /** Your executor. Without one, the built-in workload of the model runs (WebGPU and WASM). */
  executor?: Executor;
  /** Extra output check: return true when fine, false or a message when the output is wrong. */
  validate?: (outputs: unknown) => boolean | string;
  /** Backends allowed, in the pool's ranked order (default: every usable one). */
  backends?: PoolBackend[];
  /** Built-in workload sizing. */
  workload?: WorkloadOptions;
  /** Shared tensors this model uses (acquired now, released by `unregisterModel`). */
  tensors?: string[];
  /** Run in a Web Worker (real CPU concurrency; terminated on timeout). */
  worker?: boolean | WorkerOptions;
}

/** Shape of a built-in workload. */
export interface WorkloadShape {
  gemms: number;
  mflop: number;
  fullGflop: number;
  scale: number;
  weightBytes: number;
  largestBufferBytes: number;
}

/** A registered model. */
export interface RegisteredModel {
  id: string;
  model: string;
  builtin: boolean;
  /** Backend the pool will try first. */
  backend: PoolBackend;
  /** Then these, when fallback is on. */
  fallbacks: PoolBackend[];
  /** The routing decision (predicted latency per backend, reasons). */
  route: RouteDecision;
  workload?: WorkloadShape;
  /** Where its work runs: "gpu-queue" (WebGPU, shared with the other WebGPU models), "main-thread"
   * (WASM here: blocks this thread, so WASM models run one after another), "worker" (its own Web Worker),
   * "webnn-context". */
  runsOn: RunsOn;
  tensors: string[];
}

/** Where a model's work runs. */
export type RunsOn = "gpu-queue" | "main-thread" | "worker" | "webnn-context";

/** One backend tried for a model. */
export interface Attempt {
  backend: PoolBackend;
  status: "ok" | "error" | "timeout" | "invalid-output";
  ms: number;
  error?: string;
}

/** One model in a run. */
export interface ModelRun {
  id: string;
  model: string;
  status: "ok" | "error" | "timeout" | "invalid-output";
  /** Backend that produced the result (the last one tried when all failed). */
  backend: PoolBackend;
  /** Backend routing chose first. */
  plannedBackend: PoolBackend;
  /** Whether a fallback backend produced the result. */
  fellBack: boolean;
  attempts: Attempt[];
  /** From the start of the run, ms (performance.now). */
  startMs: number;
  endMs: number;
  latencyMs: number;
  /** Items per second over its own latency (0 when it failed). */
  throughput: number;
  batchSize: number;
  runsOn: RunsOn;
  error?: string;
  /** Built-in workloads: how the output compared with the CPU reference. */
  check?: { maxRelativeError: number; tolerance: number; outputLength: number };
  /** What the executor resolved to (user executors), or the output array (built-in). */
  outputs?: unknown;
  /** Predicted latency of this model in the plan, ms. */
  predictedLatencyMs: number;
}

/** Result of `execute`. */
export interface PoolRun {
  strategy: "parallel" | "sequential" | "batched";
  /** Set when strategy "auto" was asked: the recommendation's goal and reason. */
  auto?: { goal: Goal; reason: string; label: string };
  /** Stages run one after another; models in a stage start together. */
  stages: string[][];
  makespanMs: number;
  /** Items per second over the makespan, successful models only. */
  throughput: number;
  models: ModelRun[];
  succeeded: number;
  failed: number;
  /** The prediction made before the run, for the same plan and backends. */
  prediction: PredictionResult;
  /** Whether the run was recorded as a measurement (only runs where every model succeeded are). */
  recorded: boolean;
  warnings: string[];
}

/** Options of `execute`. */
export interface ExecuteOptions {
  strategy?: "parallel" | "sequential" | "batched" | "auto";
  /** For "auto" (default throughput). */
  goal?: Goal;
  timeoutMs?: number;
  fallback?: boolean;
}

/** A shared tensor. */
export interface SharedTensor {
  name: string;
  byteLength: number;
  refs: number;
  users: string[];
  /** One GPUBuffer shared by every user, when created with gpu: true (`as GPUBuffer` with @webgpu/types). */
  buffer?: object;
  /** The data it was created with, if any. */
  data?: ArrayBufferView;
}

/** Options of `shareTensor`. */
export interface ShareTensorOptions {
  data?: ArrayBufferView;
  byteLength?: number;
  gpu?: boolean;
}

/** Memory the pool holds. */
export interface PoolMemory {
  tensors: { name: string; bytes: number; refs: number; users: string[]; onGpu: boolean }[];
  /** Bytes of shared tensors (each counted once). */
  sharedBytes: number;
  /** Bytes sharing saves: what each extra user would otherwise hold. */
  savedBytes: number;
  models: { id: string; ownBytes: number }[];
  /** Shared tensors plus every model's own buffers. */
  totalBytes: number;
}
"#;
