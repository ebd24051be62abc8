// Types of multimodel-perf/onnxruntime-web (npm/onnxruntime-web.js): onnxruntime-web models for the ResourcePool.
import type { DescribeOnnxOptions, ModelEntry, OnnxDescription, PoolBackend, RegisterOptions } from './web/multimodel_perf.js';

/** The parts of the onnxruntime-web module these functions use (`import * as ort from 'onnxruntime-web'`). */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

/** An onnxruntime-web session (the methods used here). */
export interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/** `registerModel` options, with what describing the graph found. */
export interface OrtRegisterOptions extends RegisterOptions {
  id?: string;
  model: ModelEntry;
  /** `describeOnnx` of the file: inputs, parameters, FLOPs, the operators the prediction uses. */
  onnx: OnnxDescription;
  /** Backends left out and assumptions made. */
  warnings: string[];
}

export interface OrtModelOptions {
  /** Pool id and the entry's model_name. */
  id?: string;
  /** The .onnx file: a URL, or its bytes. */
  onnx: string | URL | Uint8Array | ArrayBuffer;
  /** Backends to create sessions for, in fallback order (default ["wasm"]). */
  backends?: PoolBackend[];
  /** Untimed runs after creating each session: a number, or "steady" (default: at least 2, until a run is
   * within 10 % of the one before, at most 10). */
  warmup?: number | "steady";
  /** onnxruntime-web session options (executionProviders is set per backend). */
  sessionOptions?: object;
  /** How `describeOnnx` binds the graph's dynamic dimensions; the inputs are made at these shapes. */
  describe?: DescribeOnnxOptions;
  /** The entry the prediction uses (default: the described graph). */
  model?: ModelEntry;
  /** Input tensors (default: synthesised from the graph's inputs). */
  feeds?: Record<string, unknown> | ((backend: PoolBackend) => Record<string, unknown>);
  /** Keep only this output. */
  output?: string;
}

export interface OrtWorkerModelOptions {
  id?: string;
  /** URL of the .onnx file (the worker fetches it). */
  onnx: string | URL;
  /** URL of an onnxruntime-web ES module build, e.g. ".../onnxruntime-web/dist/ort.wasm.min.mjs". */
  ort: string | URL;
  /** Where onnxruntime-web finds its .wasm files (ort.env.wasm.wasmPaths), when not beside `ort`. */
  wasmPaths?: string;
  /** WASM threads of the worker's onnxruntime-web (default 1; with `perRun`, the most a run gets, default every
   * core). */
  threads?: number;
  /** Each run gets the threads the pool's plan gives it (one onnxruntime-web per thread count in the worker). */
  perRun?: boolean;
  /** Untimed runs after creating the session: a number, or "steady" (the default). */
  warmup?: number | "steady";
  sessionOptions?: object;
  describe?: DescribeOnnxOptions;
  model?: ModelEntry;
  /** The worker script (default: onnxruntime-web-worker.js of this package). */
  workerUrl?: string | URL;
}

export function ortModel(ort: OrtModule, options: OrtModelOptions): Promise<OrtRegisterOptions>;
export function ortWorkerModel(options: OrtWorkerModelOptions): Promise<OrtRegisterOptions>;
export function syntheticFeeds(ort: OrtModule, inputs: OnnxDescription['inputs']): Record<string, unknown>;
export function summary(outputs: Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }>): Record<string, { dims: number[]; sum: number }>;

export interface TransformersJsModelOptions {
  id?: string;
  /** The .onnx file transformers.js loads (URL or bytes), described for the prediction. */
  onnx?: string | URL | Uint8Array | ArrayBuffer;
  /** The device the model was loaded on (default "wasm"). */
  backend?: "wasm" | "webgpu";
  /** Untimed calls before registration: a number, or "steady" (the default). */
  warmup?: number | "steady";
  describe?: DescribeOnnxOptions;
  /** The entry the prediction uses (default: the described graph). */
  model?: ModelEntry;
  /** What the model is called with (or a function of the backend returning it). */
  inputs?: Record<string, unknown> | ((backend: PoolBackend) => Record<string, unknown>);
  /** transformers.js's Tensor class: with `onnx`, inputs are made at the described shapes. */
  Tensor?: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

/** `registerModel` options for a transformers.js model (`onnx` is null when it was registered by `model` alone). */
export interface TransformersJsRegisterOptions extends Omit<OrtRegisterOptions, 'onnx'> {
  onnx: OnnxDescription | null;
}

/** A transformers.js model or pipeline in the pool (see the README). */
export function transformersJsModel(model: (inputs: Record<string, unknown>) => Promise<Record<string, unknown>>, options: TransformersJsModelOptions): Promise<TransformersJsRegisterOptions>;

/** Runs `run` untimed: `warmup` times, or with "steady" at least twice and until a run is within 10 % of the
 * one before (at most 10 runs). Resolves to the number of runs. */
export function warmUp(run: () => Promise<unknown>, warmup?: number | "steady"): Promise<number>;
