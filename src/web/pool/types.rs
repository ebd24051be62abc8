//! The TypeScript of the pool's JS-only values: executors and their inputs, registration and worker options
//! (read key by key, since they hold functions), shared tensors (they hold buffers). The pool's data shapes
//! (options, runs, records) are generated from [`crate::wire::pool`] with the others (`web/types.rs`).

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const POOL_TS: &'static str = r#"
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

export type Executor = (backend: PoolBackend, inputs: ExecutorInputs) => Promise<unknown> | unknown;

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

export interface ShareTensorOptions {
  data?: ArrayBufferView;
  byteLength?: number;
  gpu?: boolean;
}
"#;
