//! TypeScript definitions of every input and result of the JS API, and the opaque JS types the exports use
//! so that the generated `.d.ts` names them instead of `any`. The shapes mirror `crate::wire`; a test compiles
//! a usage file against the generated definitions with `tsc --noEmit`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
export type ModelType = "text_embedding" | "text_generation" | "vision" | "audio" | "multimodal";
export type Precision = "fp32" | "fp16" | "bf16" | "int8" | "int4";
export type Strategy = "parallel" | "sequential" | "batched";
export type Goal = "throughput" | "latency" | "memory" | "energy";

/** Layer shapes of a model outside the catalog. */
export interface ArchitectureSpec {
  family?: "encoder" | "decoder";
  layers: number;
  hidden: number;
  heads: number;
  kv_heads?: number;
  kvHeads?: number;
  ffn?: number;
  vocab?: number;
  gated?: boolean;
}

/** One model of a workload; snake_case and camelCase keys are both accepted. */
export interface ModelEntry {
  model_name?: string;
  modelName?: string;
  name?: string;
  model_type?: ModelType;
  modelType?: ModelType;
  batch_size?: number;
  batchSize?: number;
  precision?: Precision;
  sequence_length?: number;
  sequenceLength?: number;
  image_size?: number;
  imageSize?: number;
  audio_seconds?: number;
  audioSeconds?: number;
  output_tokens?: number;
  outputTokens?: number;
  /** CPU threads (default: every core). */
  threads?: number;
  /** Place this model on another device, e.g. "wasm" or "webnn:npu". */
  device?: string;
  /** Parameters in millions, for models outside the catalog. */
  params?: number;
  /** GFLOPs per item, with `params`. */
  gflops?: number;
  architecture?: ArchitectureSpec;
  /** Runtime for this model, e.g. "onnxruntime-web". */
  runtime?: string;
  /** The model's operators, as `describeOnnx` writes them (its `entry`). */
  graph?: OpGraph;
}

/** One operator of a described model (a multiply-add counts 2 FLOPs; elements, not bytes). */
export interface GraphOp {
  class: "gemm" | "attention" | "epilogue" | "norm" | "gather" | "pool" | "depthwise";
  batches?: number;
  m?: number;
  n?: number;
  k?: number;
  flops: number;
  act_elems: number;
  weight_elems?: number;
  out_elems?: number;
  repeat?: number;
}

/** A model's operators at `items` items; an entry with another batch_size scales them. */
export interface OpGraph {
  items: number;
  params: number;
  ops: GraphOp[];
}

/** How `describeOnnx` binds the graph's dynamic dimensions. */
export interface DescribeOnnxOptions {
  /** Name of the model entry (default "onnx-model"). */
  name?: string;
  /** Dynamic dimensions by their names in the graph. */
  dims?: Record<string, number>;
  /** Binds dimensions named like a batch (default 1). */
  batchSize?: number;
  /** Binds dimensions named like a sequence length (default 128). */
  sequenceLength?: number;
  /** Binds dimensions named like a height or width (default 224). */
  imageSize?: number;
  modelType?: ModelType;
}

/** What `describeOnnx` found; `entry` goes into a workload's models. */
export interface OnnxDescription {
  entry: ModelEntry & { model_name: string; graph: OpGraph };
  producer: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: number[] }[];
  dims: { name: string; value: number; source: "given" | "entry" | "default" }[];
  nodes: number;
  opTypes: Record<string, number>;
  params: number;
  weightBytes: number;
  gflops: number;
  ops: number;
  warnings: string[];
}

export interface Constraints {
  /** Memory budget across all pools, MB. */
  max_memory?: number;
  maxMemory?: number;
  /** Share of each device's compute the models may use, in (0, 1]. */
  max_compute?: number;
  maxCompute?: number;
}

export interface WorkloadObject {
  models: ModelEntry[];
  constraints?: Constraints;
  hardware?: string;
  runtime?: string;
  description?: string;
}

export interface GemmTile { m: number; n: number; efficiency: number; }

/** A custom device: any field, optionally starting from a catalog device (`base`). */
export interface HardwareProfile {
  base?: string;
  id?: string;
  platform?: string;
  name?: string;
  peak_tflops?: Partial<Record<Precision, number>>;
  memory_bandwidth_gbps?: number;
  bandwidth_efficiency?: number;
  memory_capacity_mb?: number;
  memory_pool?: "dedicated" | "host";
  tdp_w?: number;
  idle_w?: number;
  throttle_after_s?: number;
  throttled_speed?: number;
  sustained_clock_ratio?: number;
  compute_units?: number;
  gemm_tiles?: GemmTile[];
  kernel_overhead_us?: number;
  concurrency?: "concurrent_kernels" | "serial_queue" | "cpu_threads";
  interference_per_model?: number;
  per_unit_bandwidth_gbps?: number;
  host_cores?: number;
  host_link_gbps?: number;
  spin_wait_share?: number;
  /** CPUs: per-core rate with every core busy relative to one busy core, in (0, 1]. */
  all_core_rate?: number;
  default_runtime?: string;
  sources?: Record<string, string>;
}

/** The seed's sharing schema. */
export interface SharingRule {
  compatible_types?: ModelType[];
  compatibleTypes?: ModelType[];
  sharing_efficiency?: number;
  sharingEfficiency?: number;
  memory_reduction?: number;
  memoryReduction?: number;
}
export type SharingConfig = Partial<Record<ModelType, SharingRule>>;

export interface PredictorOptions {
  sharingConfig?: SharingConfig;
  /** Default target: "webgpu", "cuda:a100-40gb", … or a profile. */
  hardware?: string | HardwareProfile;
  /** Runtime for the default target, e.g. "transformersjs", "onnxruntime-web", "tensorrt". */
  runtime?: string;
}

export interface TotalMetrics {
  /** Items per second over the makespan. */
  combinedThroughput: number;
  /** Makespan, ms. */
  combinedLatency: number;
  /** Peak memory, MB. */
  combinedMemory: number;
  /** Mean time until a model's result is ready, ms. */
  meanLatency: number;
  feasible: boolean;
  overflowMb: number;
  /** Energy of the round, J. */
  energyJ: number;
}

export interface MemoryBreakdown {
  weights: number;
  activations: number;
  kvCache: number;
  workspace: number;
  runtimeOverhead: number;
  shared: number;
}

export interface IndividualPrediction {
  modelName: string;
  modelType: ModelType;
  device: string;
  runtime: string;
  batchSize: number;
  precision: Precision;
  computePrecision: Precision;
  latency: number;
  soloLatency: number;
  throughput: number;
  memory: number;
  memoryBreakdown: MemoryBreakdown;
  startTime: number;
  endTime: number;
  slowdown: number;
  bound: "compute" | "memory" | "overhead";
  kernels: number;
  gflops: number;
  prefillLatency: number;
  decodeLatency: number;
  threads: number;
  group: number;
  /** Energy attributed to the model, J. */
  energyJ: number;
}

export interface NamedValue { modelName: string; value: number; }

export interface ContentionFactors {
  computeContention: number;
  memoryBandwidthContention: number;
  memoryContention: number;
  makespanOverLongest: number;
  modelSlowdowns: NamedValue[];
}

export interface SharingPair { modelA: string; modelB: string; memorySavedMb: number; reason: string; }

export interface SharingBenefits {
  memoryBenefit: number;
  computeBenefit: number;
  memorySavedMb: number;
  compatiblePairs: SharingPair[];
}

export interface TimelineEntry { model: string; startTime: number; endTime: number; duration: number; group: number; device: string; }
export interface MemoryPoint { time: number; memory: number; }

export interface ExecutionSchedule {
  timeline: TimelineEntry[];
  totalExecutionTime: number;
  memoryTimeline: MemoryPoint[];
}

export interface MemoryPool {
  name: string;
  capacityMb: number;
  peakMb: number;
  overflowMb: number;
  /** Host memory only: extra time per round if the overflow is paged to swap, ms. */
  swapMsPerRound: number;
}

export interface ExecutionPlan {
  strategy: Strategy;
  groups: string[][];
  threads: NamedValue[];
  residency: "resident" | "unload";
}

export interface DeviceEnergy { device: string; idleJ: number; dynamicJ: number; }

export interface EnergyReport {
  totalJ: number;
  perItemJ: number;
  averagePowerW: number;
  devices: DeviceEnergy[];
}

export interface PredictionResult {
  totalMetrics: TotalMetrics;
  individualPredictions: IndividualPrediction[];
  contentionFactors: ContentionFactors;
  sharingBenefits: SharingBenefits;
  executionSchedule: ExecutionSchedule;
  executionStrategy: Strategy;
  plan: ExecutionPlan;
  hardwarePlatform: string;
  devices: string[];
  memoryPools: MemoryPool[];
  energy: EnergyReport;
  warnings: string[];
}

export interface Alternative { label: string; plan: ExecutionPlan; totalMetrics: TotalMetrics; }

export interface RecommendationResult {
  recommendedStrategy: string;
  plan: ExecutionPlan;
  optimizationGoal: Goal;
  allPredictions: Record<string, TotalMetrics>;
  alternatives: Alternative[];
  reason: string;
  exactGrouping: boolean;
  prediction: PredictionResult;
}

export type WeightSource = "memory" | "disk" | "network" | "cache";

export interface ColdStartOptions {
  /** Where the weights come from (default "disk"). */
  source?: WeightSource;
  /** Bandwidth of the source, GB/s (default: 3 disk, 0.0125 network, 1 cache). */
  sourceGbps?: number;
  /** Warm-up iterations before the first measured run (default 0). */
  warmupIterations?: number;
}

export interface ModelColdStart {
  modelName: string;
  readMs: number;
  copyMs: number;
  compileMs: number;
  warmupMs: number;
  warmMs: number;
  firstRunMs: number;
}

export interface StrategyColdStart { strategy: Strategy; residency: "resident" | "unload"; warmMs: number; coldMs: number; }

export interface ColdStartResult {
  source: WeightSource;
  sourceGbps: number;
  warmupIterations: number;
  models: ModelColdStart[];
  strategies: StrategyColdStart[];
}

export interface ServeOptions {
  /** Requests per second for every model. */
  rate?: number;
  /** Requests per second by model name. */
  rates?: Record<string, number>;
  arrivals?: "poisson" | "periodic";
  /** Arrival times in ms by model name. */
  traces?: Record<string, number[]>;
  policy?: "parallel" | "fifo" | "sjf" | "priority";
  /** Priority level per model in workload order, 0 = most urgent. */
  priorities?: number[];
  /** Seconds of arrivals (default 60). */
  durationS?: number;
  /** Seconds excluded from the statistics (default a tenth of the duration). */
  warmupS?: number;
  seed?: number;
  /** Apply the device's thermal throttling (default true). */
  throttle?: boolean;
  /** Search the highest sustainable rates (default true). */
  capacity?: boolean;
}

export interface LatencyStats { meanMs: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; meanWaitMs: number; }

export interface ModelServeResult {
  modelName: string;
  arrived: number;
  completed: number;
  offeredRps: number;
  throughputRps: number;
  throughputItemsPerS: number;
  serviceMs: number;
  latency: LatencyStats | null;
  utilisation: number;
  latencyTrend: number;
  backlog: number;
  keptUp: boolean;
  maxSustainableRps: number | null;
}

export interface ServeResult {
  policy: "parallel" | "fifo" | "shortest_job_first" | "priority";
  windowS: number;
  utilisation: number;
  meanLatencyMs: number | null;
  stable: boolean;
  events: number;
  requests: number;
  maxSustainableScale: number | null;
  /** Seconds until throttling starts, and the speed after. */
  throttle: [number, number] | null;
  models: ModelServeResult[];
}

export interface ModelMemory {
  modelName: string;
  precision: Precision;
  weightsMb: number;
  activationsMb: number;
  kvCacheMb: number;
  workspaceMb: number;
  runtimeOverheadMb: number;
  sharedMb: number;
  heldMb: number;
}

export interface MemoryOption {
  /** 1-based rank; pass it to applyMemoryOptions (0 = the fit plan). */
  rank: number;
  kind: "lower-precision" | "fused-attention" | "epilogue-fusion" | "shared-arena" | "planned-arena" | "fit-plan";
  models: string[];
  description: string;
  /** Peak memory saved, MB, measured by re-prediction unless `estimated`. */
  savedMb: number;
  latencyDeltaMs: number;
  estimated: boolean;
  feasible: boolean;
  caveat: string | null;
}

export interface MemoryAdvice {
  strategy: Strategy;
  peakMb: number;
  capacityMb: number;
  overflowMb: number;
  feasible: boolean;
  latencyMs: number;
  contextMb: number;
  models: ModelMemory[];
  options: MemoryOption[];
  fitPlan: { option: MemoryOption; prediction: PredictionResult } | null;
  notes: string[];
}

export interface CatalogModel {
  name: string;
  modelType: ModelType;
  params: number;
  publishedParams: number;
  source: string;
  gflopsPerItem: number;
}

export interface CatalogDevice {
  id: string;
  name: string;
  platform: string;
  peakTflops: Partial<Record<Precision, number>>;
  memoryBandwidthGbps: number;
  memoryCapacityMb: number;
  tdpW: number;
  idleW: number;
  throttleAfterS: number;
  throttledSpeed: number;
  concurrency: "concurrent_kernels" | "serial_queue" | "cpu_threads";
  defaultRuntime: string;
  platformDefault: boolean;
  sources: Record<string, string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PredictorOptions`.
    #[wasm_bindgen(typescript_type = "PredictorOptions")]
    pub type PredictorOptions;
    /// A workload: entries or an object.
    #[wasm_bindgen(typescript_type = "ModelEntry[] | WorkloadObject")]
    pub type ModelsArg;
    /// A target string or a profile.
    #[wasm_bindgen(typescript_type = "string | HardwareProfile")]
    pub type HardwareArg;
    /// Constraints.
    #[wasm_bindgen(typescript_type = "Constraints")]
    pub type ConstraintsArg;
    /// A strategy name.
    #[wasm_bindgen(typescript_type = "Strategy")]
    pub type StrategyArg;
    /// A goal name.
    #[wasm_bindgen(typescript_type = "Goal")]
    pub type GoalArg;
    /// Result of `predictMultiModelPerformance`.
    #[wasm_bindgen(typescript_type = "PredictionResult")]
    pub type PredictionJs;
    /// Result of `recommendExecutionStrategy`.
    #[wasm_bindgen(typescript_type = "RecommendationResult")]
    pub type RecommendationJs;
    /// Options of `predictColdStart`.
    #[wasm_bindgen(typescript_type = "ColdStartOptions")]
    pub type ColdStartOptionsArg;
    /// Result of `predictColdStart`.
    #[wasm_bindgen(typescript_type = "ColdStartResult")]
    pub type ColdStartJs;
    /// Options of `simulateServing`.
    #[wasm_bindgen(typescript_type = "ServeOptions")]
    pub type ServeOptionsArg;
    /// Result of `simulateServing`.
    #[wasm_bindgen(typescript_type = "ServeResult")]
    pub type ServeJs;
    /// Option ranks.
    #[wasm_bindgen(typescript_type = "number[]")]
    pub type RanksArg;
    /// Result of `adviseMemory`.
    #[wasm_bindgen(typescript_type = "MemoryAdvice")]
    pub type MemoryAdviceJs;
    /// Result of `listModels`.
    #[wasm_bindgen(typescript_type = "CatalogModel[]")]
    pub type CatalogModelsJs;
    /// Result of `listHardware`.
    #[wasm_bindgen(typescript_type = "CatalogDevice[]")]
    pub type CatalogDevicesJs;
    /// The bytes of an ONNX file.
    #[wasm_bindgen(typescript_type = "Uint8Array | ArrayBuffer")]
    pub type OnnxBytesArg;
    /// Options of `describeOnnx`.
    #[wasm_bindgen(typescript_type = "DescribeOnnxOptions")]
    pub type DescribeOnnxOptionsArg;
    /// Result of `describeOnnx`.
    #[wasm_bindgen(typescript_type = "OnnxDescription")]
    pub type OnnxDescriptionJs;
}
