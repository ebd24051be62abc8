// Generated from the crate's DTOs by `src/wire/ts.rs` (MMPERF_UPDATE_TS=1 cargo test --lib typescript). Do not edit.

/** Kinds of model. */
export type ModelType = "text_embedding" | "text_generation" | "vision" | "audio" | "multimodal";

/** Number formats. */
export type Precision = "fp32" | "tf32" | "fp16" | "bf16" | "int8" | "int4";

/** How a device runs models at once. */
export type Concurrency = "concurrent_kernels" | "serial_queue" | "cpu_threads";

/** Kinds of operator in a model's graph. */
export type OpClass = "gemm" | "attention" | "epilogue" | "norm" | "gather" | "pool" | "depthwise";

/** Ways to run the models together. */
export type Strategy = "parallel" | "sequential" | "batched";

/** What a recommendation optimises. */
export type Goal = "throughput" | "latency" | "memory" | "energy";

/** What dominated a model's time. */
export type Bound = "compute" | "memory" | "overhead";

/** Whether weights stay loaded between runs. */
export type Residency = "resident" | "unload";

/** Where a cold start reads the weights from. */
export type WeightSource = "memory" | "disk" | "network" | "cache";

/** Kinds of memory-saving option. */
export type MemoryOptionKind = "lower-precision" | "fused-attention" | "epilogue-fusion" | "shared-arena" | "planned-arena" | "fit-plan";

/** Layer shapes of a custom model. */
export interface ArchitectureSpec {
  /** `encoder` or `decoder`. */
  family?: "encoder" | "decoder";
  /** Layers. */
  layers: number;
  /** Hidden size. */
  hidden?: number;
  d_model?: number;
  hiddenSize?: number;
  hidden_size?: number;
  /** Heads. */
  heads?: number;
  numHeads?: number;
  num_heads?: number;
  /** KV heads. */
  kv_heads?: number;
  kvHeads?: number;
  /** FFN width. */
  ffn?: number;
  intermediateSize?: number;
  intermediate_size?: number;
  /** Vocabulary. */
  vocab?: number;
  vocabSize?: number;
  vocab_size?: number;
  /** Gated FFN. */
  gated?: boolean;
}

/** One operator of a described graph. */
export interface GraphOp {
  /** `gemm`, `attention`, `epilogue`, `norm`, `gather`, `pool` or `depthwise`. */
  class: OpClass;
  /** Independent problems (GEMM batches, attention heads × items). */
  batches?: number;
  /** GEMM rows / attention queries. */
  m?: number;
  /** GEMM columns / attention keys. */
  n?: number;
  /** GEMM reduction / attention head size. */
  k?: number;
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
  /** Activation elements read plus written. */
  act_elems?: number;
  actElems?: number;
  /** Weight elements read. */
  weight_elems?: number;
  weightElems?: number;
  /** Elements written. */
  out_elems?: number;
  outElems?: number;
  /** Identical copies run one after another. */
  repeat?: number;
  /**
   * An element-wise operator's activation function where it needs an exponential or an error function:
   * `sigmoid` (SiLU, QuickGELU, sigmoid) or `gelu`; absent (or `none`) for any other operator.
   */
  activation?: "none" | "sigmoid" | "gelu";
  /**
   * An attention's element-wise kernels over its scores between their product and the softmax (the scale,
   * a mask, a cast), each its own kernel where the runtime runs attention unfused; 1 (a scale) when absent.
   */
  score_kernels?: number;
  scoreKernels?: number;
}

/** A model's operators at `items` items (what `describe` writes into a model entry). */
export interface OpGraph {
  /** Items (batch) the operators were described at. */
  items: number;
  /** Parameters. */
  params: number;
  /** The operators. */
  ops: Array<GraphOp>;
}

/** One model entry as written in JSON. */
export interface ModelEntry {
  /** Model name. */
  model_name?: string;
  modelName?: string;
  name?: string;
  /** Model type. */
  model_type?: ModelType;
  modelType?: ModelType;
  /** Batch size. */
  batch_size?: number;
  batchSize?: number;
  /** Precision. */
  precision?: Precision;
  /** Tokens per item. */
  sequence_length?: number;
  sequenceLength?: number;
  /** Image side. */
  image_size?: number;
  imageSize?: number;
  /** Audio seconds. */
  audio_seconds?: number;
  audioSeconds?: number;
  /** Tokens to generate. */
  output_tokens?: number;
  outputTokens?: number;
  /** CPU threads (default: every core). */
  threads?: number;
  /** Place this model on another device than the target, e.g. "wasm" or "webnn:npu". */
  device?: string;
  /** Runtime for this model, e.g. "onnxruntime-web" (the device's or the workload's when absent). */
  runtime?: string;
  /**
   * The output head to run instead of the catalog model's own: "masked-lm" (an encoder's masked-LM head
   * over every position, as a fill-mask pipeline runs BERT).
   */
  head?: "masked-lm";
  /**
   * How the runtime lays out the activations: "contiguous" (NCHW, PyTorch's default) or "channels_last"
   * (NHWC, `model.to(memory_format=torch.channels_last)`). Under PyTorch on CUDA GPUs each tensor-core 2-D
   * convolution of an NCHW model has its input transposed to NHWC (and on the V100 and T4 its output back);
   * channels-last ones do not. On CPUs channels-last convolutions skip oneDNN's layout copies.
   */
  memory_format?: "contiguous" | "channels_last";
  memoryFormat?: "contiguous" | "channels_last";
  /**
   * Which attention kernels the model runs: "fused" (one kernel per layer: PyTorch's
   * `scaled_dot_product_attention`, FlashAttention; Hugging Face's `attn_implementation` "sdpa" or
   * "flash_attention_2"; SDPA's backend "flash") or "unfused" ("eager", SDPA's "math": the products, the
   * scale, a text model's mask and the softmax as kernels of their own, the scores written out between
   * them, as hand-written attention and PyTorch before 2.0 run). The runtime's own when absent (PyTorch,
   * TensorRT, ONNX Runtime: fused on GPUs).
   */
  attention?: "fused" | "unfused" | "sdpa" | "flash" | "flash_attention_2" | "eager" | "math";
  attnImplementation?: "fused" | "unfused" | "sdpa" | "flash" | "flash_attention_2" | "eager" | "math";
  attn_implementation?: "fused" | "unfused" | "sdpa" | "flash" | "flash_attention_2" | "eager" | "math";
  /** Parameters in millions, for models outside the catalog. */
  params?: number;
  /** GFLOPs per item, with `params`, for models outside the catalog. */
  gflops?: number;
  /** Layer shapes (custom models). */
  architecture?: ArchitectureSpec;
  arch?: ArchitectureSpec;
  /** A GEMM chain `[m, k, n]` per GEMM (the built-in synthetic workloads). */
  chain?: Array<[number, number, number]>;
  /** The model's operators, as `mmperf describe model.onnx` / `describeOnnx` write them. */
  graph?: OpGraph;
}

/** Constraints as written in JSON. */
export interface Constraints {
  /** Memory budget across all pools, MB. */
  max_memory?: number;
  maxMemory?: number;
  /** Share of each device's compute the models may use, in (0, 1]. */
  max_compute?: number;
  maxCompute?: number;
}

/** Object form of a workload. */
export interface WorkloadObject {
  /** Entries. */
  models: Array<ModelEntry>;
  /** Limits. */
  constraints?: Constraints;
  resourceConstraints?: Constraints;
  resource_constraints?: Constraints;
  /** Default hardware target (a command-line `--hardware` wins). */
  hardware?: string;
  /** Default runtime (a command-line `--runtime` wins). */
  runtime?: string;
  /** Free text. */
  description?: string;
}

/** A sharing table row as written in JSON (the seed's schema). */
export interface SharingRule {
  /** Compatible types. */
  compatible_types?: ModelType[];
  compatibleTypes?: ModelType[];
  /** Work saved on the shared part. */
  sharing_efficiency?: number;
  sharingEfficiency?: number;
  /** Weights of the smaller model that are shared. */
  memory_reduction?: number;
  memoryReduction?: number;
}

/** The seed's sharing table, by model type. */
export type SharingConfig = Partial<Record<ModelType, SharingRule>>;

/** Options of `describeOnnx(bytes, options)`, as written in JS (camelCase, snake_case accepted). */
export interface DescribeOnnxOptions {
  /** Name of the model entry (default "onnx-model"). */
  name?: string;
  /** Dynamic dimensions by their name in the graph. */
  dims?: Record<string, number>;
  /** Binds dimensions named like a batch (default 1). */
  batchSize?: number;
  batch_size?: number;
  /** Binds dimensions named like a sequence length (default 128). */
  sequenceLength?: number;
  sequence_length?: number;
  /** Binds dimensions named like a height or width (default 224). */
  imageSize?: number;
  image_size?: number;
  /** `text_embedding`, `text_generation`, `vision`, `audio` or `multimodal`. */
  modelType?: ModelType;
  model_type?: ModelType;
}

/** One input of the described graph with the shape it was described at. */
export interface GraphInput {
  /** Input name. */
  name: string;
  /** Element type (`float32`, `int64`, …). */
  dtype: string;
  /** Shape used. */
  shape: Array<number>;
}

/** A dynamic dimension and the value it was given. */
export interface GraphDim {
  /** The graph's name for it (`batch_size`, `sequence_length`, …). */
  name: string;
  /** The value used. */
  value: number;
  /**
   * Where the value came from: `given` (the options' dims), `entry` (the entry's batch, sequence length or
   * image size), `default`.
   */
  source: "given" | "entry" | "default";
}

/** What describing an ONNX file found. */
export interface OnnxDescription {
  /** A model entry holding the graph: drop it into a workload's `models`. */
  entry: ModelEntry & { model_name: string, graph: OpGraph };
  /** The program that wrote the file (`pytorch 2.5.0`, …). */
  producer: string;
  /** Default-domain operator set version. */
  opset: number;
  /** Graph inputs with the shapes used. */
  inputs: Array<GraphInput>;
  /** Dynamic dimensions and the values they were given. */
  dims: Array<GraphDim>;
  /** Nodes in the graph. */
  nodes: number;
  /** Nodes per operator type (`domain:Op` outside the default domain). */
  opTypes: { [key in string]: number };
  /** Parameters. */
  params: number;
  /** Bytes of weights as stored. */
  weightBytes: number;
  /** Floating-point operations of one run at the described items, GFLOP. */
  gflops: number;
  /** Operators after merging identical ones. */
  ops: number;
  /** What was assumed or left out. */
  warnings: Array<string>;
}

/** A GEMM tile in a profile. */
export interface GemmTile {
  /** Rows. */
  m: number;
  /** Columns. */
  n: number;
  /** Efficiency. */
  efficiency: number;
}

/**
 * A custom hardware profile: any field of a device profile, optionally starting from a catalog device
 * (`base`). Units are in the field names.
 */
export interface HardwareProfile {
  /** Catalog device to start from. */
  base?: string;
  /** Profile id. */
  id?: string;
  /** Platform. */
  platform?: string;
  /** Name. */
  name?: string;
  /** Peaks, TFLOP/s by precision. */
  peak_tflops?: Partial<Record<Precision, number>>;
  /** Datasheet bandwidth. */
  memory_bandwidth_gbps?: number;
  /** Achievable fraction of it. */
  bandwidth_efficiency?: number;
  /** Capacity, MB. */
  memory_capacity_mb?: number;
  /** `dedicated` or `host`. */
  memory_pool?: "dedicated" | "host";
  /** Power. */
  tdp_w?: number;
  /** Idle power, W. */
  idle_w?: number;
  /**
   * Power the compute units would draw kept busy at the boost clock, W, where that exceeds `tdp_w` (a
   * power-limited GPU: a heavy load runs below its boost clock); 0: a full load fits `tdp_w`.
   */
  full_load_w?: number;
  /** Seconds of sustained load before throttling (0: never). */
  throttle_after_s?: number;
  /** Speed after throttling. */
  throttled_speed?: number;
  /** Sustained clock ratio. */
  sustained_clock_ratio?: number;
  /** Compute units. */
  compute_units?: number;
  /** Tiles. */
  gemm_tiles?: Array<GemmTile>;
  /** Kernel overhead. */
  kernel_overhead_us?: number;
  /** `concurrent_kernels`, `serial_queue` or `cpu_threads`. */
  concurrency?: Concurrency;
  /** Interference. */
  interference_per_model?: number;
  /** Per-unit bandwidth. */
  per_unit_bandwidth_gbps?: number;
  /** Host cores. */
  host_cores?: number;
  /** Host link. */
  host_link_gbps?: number;
  /** Spin share. */
  spin_wait_share?: number;
  /** Amdahl serial fraction of CPU kernels. */
  serial_fraction?: number;
  /** CPUs: per-core rate with every core busy relative to one busy core, in (0, 1]. */
  all_core_rate?: number;
  /** CPUs: scheduler time slice, µs. */
  sched_slice_us?: number;
  /** CPUs: wake-up latency of a blocked thread, µs. */
  wake_us?: number;
  /** CPUs: first write to a fresh 4 KiB page, µs. */
  page_fault_us?: number;
  /** Last-level cache the cores (a GPU's SMs: its L2) share, MB (0 = unknown). */
  llc_mb?: number;
  /** One core's (a GPU's SM's) read rate from the last-level cache, GB/s (0 = unknown). */
  llc_bandwidth_gbps?: number;
  /** CPUs: each core's private L2 cache, MB (0 = unknown: no L2 rule). */
  l2_mb?: number;
  /** CPUs: one core's read rate from its own L2, GB/s (0 = unknown). */
  l2_bandwidth_gbps?: number;
  /**
   * NPUs: the vector DSPs' rate (norms, softmax) as a share of the int8 peak, 0 to 1 (0 = none apart); above 0
   * only on a `serial_queue` device.
   */
  vector_unit_share?: number;
  /**
   * CUDA GPUs: how many times the tensor-core tiles' share of their peak a GEMM tile sustains of the FP32
   * peak on the CUDA cores, above 0 up to 4 (1 = the same share).
   */
  fp32_tile_gain?: number;
  /**
   * CUDA and ROCm GPUs: how many times the FP16 tiles' share of their peak a GEMM tile sustains of the INT8
   * peak, above 0 up to 4 (1 = the same share).
   */
  int8_tile_gain?: number;
  /**
   * CPUs: width of the FMA datapath the FP32 peak assumes, bits (512 on Zen 5 and Xeon, 256 on Zen 4 and
   * AVX2 parts; 0 = unknown).
   */
  fma_width_bits?: number;
  /**
   * CUDA GPUs: compute capability, major × 10 + minor (70 Volta, 75 Turing, 80 A100, 86 and 89 Ampere and
   * Ada consumer parts, 90 Hopper; 0 = unknown).
   */
  cuda_compute_capability?: number;
  /** CPUs: the cores' maker (`intel`, `amd`, or empty when unknown). */
  cpu_vendor?: "intel" | "amd" | "";
  /** Default runtime. */
  default_runtime?: string;
  /** Multiplier of the runtime's dispatch and call overheads on this device (calibration). */
  overhead_scale?: number;
  /** Per-model latency factors from calibration, by model name. */
  latency_corrections?: { [key in string]: number };
  /**
   * Measured kernel efficiency per runtime on this device, in (0, 4]: above 1 where its kernels beat the
   * tuned GEMM the peak was calibrated with.
   */
  runtime_efficiency?: { [key in string]: number };
  /**
   * CPUs: measured cost of a parallel region per thread beyond the first for a runtime on this device, µs,
   * in [0, 10000]; replaces the device's region cost plus the runtime's own for that runtime.
   */
  runtime_region_us?: { [key in string]: number };
  /** Sources per field. */
  sources?: { [key in string]: string };
}

/** One catalog model for `models --json`. */
export interface CatalogModel {
  /** Name. */
  name: string;
  /** Type. */
  modelType: ModelType;
  /** Derived parameters. */
  params: number;
  /** Published parameters. */
  publishedParams: number;
  /** Source of the published count. */
  source: string;
  /** Default input GFLOPs per item. */
  gflopsPerItem: number;
}

/** One device for `hardware --json`. */
export interface CatalogDevice {
  /** Id. */
  id: string;
  /** Name. */
  name: string;
  /** Platform. */
  platform: string;
  /** Peaks per precision, TFLOP/s. */
  peakTflops: Partial<Record<Precision, number>>;
  /** Bandwidth, GB/s. */
  memoryBandwidthGbps: number;
  /** Capacity, MB. */
  memoryCapacityMb: number;
  /** Power, W. */
  tdpW: number;
  /** Idle power, W. */
  idleW: number;
  /** Power the compute units would draw busy at the boost clock, W, where above `tdp_w` (0: none). */
  fullLoadW: number;
  /** Seconds of sustained load before throttling (0: never). */
  throttleAfterS: number;
  /** Speed after throttling. */
  throttledSpeed: number;
  /** Concurrency model. */
  concurrency: Concurrency;
  /** Default runtime. */
  defaultRuntime: string;
  /** Whether a bare platform name selects it. */
  platformDefault: boolean;
  /** Sources. */
  sources: { [key in string]: string };
}

/** `totalMetrics`. */
export interface TotalMetrics {
  /** Items per second over the makespan. */
  combinedThroughput: number;
  /** Makespan, ms. */
  combinedLatency: number;
  /** Peak memory, MB. */
  combinedMemory: number;
  /** Mean time until a model's result is ready, ms. */
  meanLatency: number;
  /** Fits. */
  feasible: boolean;
  /** Overflow, MB. */
  overflowMb: number;
  /** Energy of the round, J. */
  energyJ: number;
}

/** `memoryBreakdown` of a model. */
export interface MemoryBreakdown {
  /** Weights, MB. */
  weights: number;
  /** Activations, MB. */
  activations: number;
  /** KV cache, MB. */
  kvCache: number;
  /** Workspace, MB. */
  workspace: number;
  /** Runtime overhead, MB. */
  runtimeOverhead: number;
  /** Weights not counted thanks to sharing, MB. */
  shared: number;
}

/** One entry of `individualPredictions`. */
export interface IndividualPrediction {
  /** Name. */
  modelName: string;
  /** Type. */
  modelType: ModelType;
  /** Device id. */
  device: string;
  /** Runtime. */
  runtime: string;
  /** Batch size. */
  batchSize: number;
  /** Precision asked for. */
  precision: Precision;
  /**
   * Precision computed in; where a model computes in two (an fp32 CNN under PyTorch on a GPU with TF32:
   * convolutions as TF32, other products as fp32; `warnings` says so), the one most of its FLOPs run in.
   */
  computePrecision: Precision;
  /** Time in the schedule, ms. */
  latency: number;
  /** Time alone, ms. */
  soloLatency: number;
  /** Items/s in the schedule. */
  throughput: number;
  /** Memory held, MB. */
  memory: number;
  /** Breakdown. */
  memoryBreakdown: MemoryBreakdown;
  /** Start, ms. */
  startTime: number;
  /** End, ms. */
  endTime: number;
  /** Time in schedule / time alone. */
  slowdown: number;
  /** Dominant limit. */
  bound: Bound;
  /** Kernels per batch. */
  kernels: number;
  /** GFLOP per batch. */
  gflops: number;
  /** Prefill part alone, ms. */
  prefillLatency: number;
  /** Decode part alone, ms. */
  decodeLatency: number;
  /** CPU threads (0 on accelerators). */
  threads: number;
  /** Group in the plan. */
  group: number;
  /** Energy attributed to the model, J. */
  energyJ: number;
}

/** A name with a number. */
export interface NamedValue {
  /** Model name. */
  modelName: string;
  /** Value. */
  value: number;
}

/** `contentionFactors`. */
export interface ContentionFactors {
  /** Σ compute shares of co-running models (worst group). */
  computeContention: number;
  /** Σ bandwidth shares (worst group). */
  memoryBandwidthContention: number;
  /** Peak / capacity. */
  memoryContention: number;
  /** Makespan / longest model alone. */
  makespanOverLongest: number;
  /** Per model slowdown. */
  modelSlowdowns: Array<NamedValue>;
}

/** A sharing pair. */
export interface SharingPair {
  /** Model holding the weights. */
  modelA: string;
  /** Model reusing them. */
  modelB: string;
  /** MB saved. */
  memorySavedMb: number;
  /** Why. */
  reason: string;
}

/** `sharingBenefits`. */
export interface SharingBenefits {
  /** Memory with / without sharing. */
  memoryBenefit: number;
  /** Compute with / without sharing. */
  computeBenefit: number;
  /** MB saved. */
  memorySavedMb: number;
  /** Pairs. */
  compatiblePairs: Array<SharingPair>;
}

/** A timeline bar. */
export interface TimelineEntry {
  /** Model name. */
  model: string;
  /** Start, ms. */
  startTime: number;
  /** End, ms. */
  endTime: number;
  /** Duration, ms. */
  duration: number;
  /** Group. */
  group: number;
  /** Device. */
  device: string;
}

/** A point of the memory curve. */
export interface MemoryPoint {
  /** Time, ms. */
  time: number;
  /** MB. */
  memory: number;
}

/** `executionSchedule`. */
export interface ExecutionSchedule {
  /** Bars. */
  timeline: Array<TimelineEntry>;
  /** Makespan, ms. */
  totalExecutionTime: number;
  /** Memory curve. */
  memoryTimeline: Array<MemoryPoint>;
}

/** A memory pool. */
export interface MemoryPool {
  /** Name. */
  name: string;
  /** Capacity, MB. */
  capacityMb: number;
  /** Peak, MB. */
  peakMb: number;
  /** Overflow, MB. */
  overflowMb: number;
  /** Host memory only: extra time per round if the overflow is paged to swap, ms. */
  swapMsPerRound: number;
}

/** A plan. */
export interface ExecutionPlan {
  /** Strategy. */
  strategy: Strategy;
  /** Groups in order, by model name. */
  groups: Array<Array<string>>;
  /** Threads per model (CPU devices). */
  threads: Array<NamedValue>;
  /** `resident` or `unload`. */
  residency: Residency;
}

/** Energy of one device. */
export interface DeviceEnergy {
  /** Device id. */
  device: string;
  /** Idle power over the makespan, J. */
  idleJ: number;
  /** Power above idle, J. */
  dynamicJ: number;
}

/** `energy`. */
export interface EnergyReport {
  /** Total, J. */
  totalJ: number;
  /** Per item, J. */
  perItemJ: number;
  /** Mean power, W. */
  averagePowerW: number;
  /** Per device. */
  devices: Array<DeviceEnergy>;
}

/** The result of `predict`. */
export interface PredictionResult {
  /** Totals. */
  totalMetrics: TotalMetrics;
  /** Per model. */
  individualPredictions: Array<IndividualPrediction>;
  /** Contention. */
  contentionFactors: ContentionFactors;
  /** Sharing. */
  sharingBenefits: SharingBenefits;
  /** Schedule. */
  executionSchedule: ExecutionSchedule;
  /** Strategy. */
  executionStrategy: Strategy;
  /** Plan. */
  plan: ExecutionPlan;
  /** Main device id. */
  hardwarePlatform: string;
  /** Every device used. */
  devices: Array<string>;
  /** Memory pools. */
  memoryPools: Array<MemoryPool>;
  /** Energy of the round. */
  energy: EnergyReport;
  /** Notes. */
  warnings: Array<string>;
}

/** An alternative in a recommendation. */
export interface Alternative {
  /** Label. */
  label: string;
  /** Plan. */
  plan: ExecutionPlan;
  /** Totals. */
  totalMetrics: TotalMetrics;
}

/** The result of `recommend`. */
export interface RecommendationResult {
  /** Chosen option's label. */
  recommendedStrategy: string;
  /** What to do. */
  plan: ExecutionPlan;
  /** Goal. */
  optimizationGoal: Goal;
  /** Totals per option label. */
  allPredictions: { [key in string]: TotalMetrics };
  /** Every option with its plan. */
  alternatives: Array<Alternative>;
  /** Why. */
  reason: string;
  /** Exact grouping search. */
  exactGrouping: boolean;
  /** The chosen option's full prediction. */
  prediction: PredictionResult;
}

/** Options of a cold-start prediction from JavaScript. */
export interface ColdStartOptions {
  /** Where the weights come from (default "disk"). */
  source?: WeightSource;
  /** Bandwidth of the source, GB/s (default: 3 disk, 0.0125 network, 1 cache). */
  sourceGbps?: number;
  /** Warm-up iterations before the first measured run (default 0). */
  warmupIterations?: number;
}

/** One model's cold start. */
export interface ModelColdStart {
  /** Name. */
  modelName: string;
  /** Reading the weights from the source, ms. */
  readMs: number;
  /** Copying them to the device, ms. */
  copyMs: number;
  /** Kernel compilation on first use, ms. */
  compileMs: number;
  /** Warm-up iterations, ms. */
  warmupMs: number;
  /** A warm run alone, ms. */
  warmMs: number;
  /** The first run alone from nothing, ms. */
  firstRunMs: number;
}

/** Cold and warm makespan of one strategy. */
export interface StrategyColdStart {
  /** Strategy. */
  strategy: Strategy;
  /** `resident` or `unload`. */
  residency: Residency;
  /** Warm makespan, ms. */
  warmMs: number;
  /** First-round makespan, ms. */
  coldMs: number;
}

/** The result of `coldstart`. */
export interface ColdStartResult {
  /** Weight source. */
  source: WeightSource;
  /** Its bandwidth, GB/s. */
  sourceGbps: number;
  /** Warm-up iterations. */
  warmupIterations: number;
  /** Per model. */
  models: Array<ModelColdStart>;
  /** Per strategy. */
  strategies: Array<StrategyColdStart>;
}

/** Options of a serving simulation (`mmperf serve`, `simulateServing`). */
export interface ServeOptions {
  /** Requests per second for every model. */
  rate?: number;
  /** Requests per second by model name (overrides `rate`). */
  rates?: { [key in string]: number };
  /** `poisson` (default) or `periodic`. */
  arrivals?: "poisson" | "periodic";
  /** Arrival times in ms by model name (replaces its rate). */
  traces?: { [key in string]: Array<number> };
  /** `parallel` (default), `fifo`, `sjf` or `priority`. */
  policy?: "parallel" | "fifo" | "sjf" | "shortest-job-first" | "shortest_job_first" | "priority";
  /** Priority level per model in workload order (0 = most urgent), for `priority`. */
  priorities?: Array<number>;
  /** Seconds of arrivals (default 60). */
  durationS?: number;
  duration_s?: number;
  /** Seconds excluded from the statistics at the start (default a tenth of the duration). */
  warmupS?: number;
  warmup_s?: number;
  /** Seed of the arrival processes (default 1). */
  seed?: number;
  /** Apply the device's thermal throttling (default true). */
  throttle?: boolean;
  /** Also search the maximum sustainable rates (default true). */
  capacity?: boolean;
}

/** Latency statistics of one model. */
export interface LatencyStats {
  /** Mean, ms. */
  meanMs: number;
  /** Median, ms. */
  p50Ms: number;
  /** 95th percentile, ms. */
  p95Ms: number;
  /** 99th percentile, ms. */
  p99Ms: number;
  /** Maximum, ms. */
  maxMs: number;
  /** Mean time in the queue, ms. */
  meanWaitMs: number;
}

/** One model under load. */
export interface ModelServeResult {
  /** Name. */
  modelName: string;
  /** Requests that arrived in the measured window. */
  arrived: number;
  /** Of those, completed. */
  completed: number;
  /** Offered rate, req/s. */
  offeredRps: number;
  /** Completed rate, req/s. */
  throughputRps: number;
  /** Items per second. */
  throughputItemsPerS: number;
  /** Service time alone, ms. */
  serviceMs: number;
  /** Latency (arrival to completion); null when nothing was measured. */
  latency: LatencyStats | null;
  /** Busy fraction of its server. */
  utilisation: number;
  /** Mean latency of the last third of the window over the first third. */
  latencyTrend: number;
  /** Requests still queued at the end of arrivals. */
  backlog: number;
  /** Its queue stayed bounded. */
  keptUp: boolean;
  /** Highest sustainable rate, req/s (when capacity was searched). */
  maxSustainableRps: number | null;
}

/** The result of a serving simulation. */
export interface ServeResult {
  /** Policy. */
  policy: "parallel" | "fifo" | "shortest_job_first" | "priority";
  /** Measured window, s. */
  windowS: number;
  /** Busy fraction (shared slot) or fraction of time anything runs (parallel). */
  utilisation: number;
  /** Mean latency over all measured requests, ms. */
  meanLatencyMs: number | null;
  /** Every queue stayed bounded. */
  stable: boolean;
  /** Simulated events. */
  events: number;
  /** Simulated requests. */
  requests: number;
  /** Factor by which every rate could grow and stay stable (when searched). */
  maxSustainableScale: number | null;
  /** Thermal throttling applied: seconds until it starts and the speed after. */
  throttle: [number, number] | null;
  /** Per model. */
  models: Array<ModelServeResult>;
}

/** One model's memory in an advice. */
export interface ModelMemory {
  /** Name. */
  modelName: string;
  /** Precision. */
  precision: Precision;
  /** Weights, MB. */
  weightsMb: number;
  /** Activations, MB. */
  activationsMb: number;
  /** KV cache, MB. */
  kvCacheMb: number;
  /** Workspace, MB. */
  workspaceMb: number;
  /** Runtime overhead, MB. */
  runtimeOverheadMb: number;
  /** Not counted thanks to sharing, MB. */
  sharedMb: number;
  /** Held in the schedule, MB. */
  heldMb: number;
}

/** One option of an advice. */
export interface MemoryOption {
  /** 1-based rank: pass it to `applyMemoryOptions` or `mmperf memory --apply` (0 = the fit plan). */
  rank: number;
  /** Kind (`lower-precision`, `fused-attention`, `epilogue-fusion`, `shared-arena`, `planned-arena`, `fit-plan`). */
  kind: MemoryOptionKind;
  /** Models it applies to. */
  models: Array<string>;
  /** What to do. */
  description: string;
  /** Peak memory saved, MB (measured by re-prediction unless `estimated`). */
  savedMb: number;
  /** Makespan after minus before, ms. */
  latencyDeltaMs: number;
  /** The saving is an estimate, not a re-prediction. */
  estimated: boolean;
  /** The workload fits with this option applied. */
  feasible: boolean;
  /** Accuracy or applicability caveat. */
  caveat: string | null;
}

/** A fit plan. */
export interface FitPlan {
  /** The option. */
  option: MemoryOption;
  /** The prediction with it applied. */
  prediction: PredictionResult;
}

/** The result of memory advice. */
export interface MemoryAdvice {
  /** Strategy advised for. */
  strategy: Strategy;
  /** Peak memory, MB. */
  peakMb: number;
  /** Capacity (or budget), MB. */
  capacityMb: number;
  /** Overflow, MB. */
  overflowMb: number;
  /** Fits. */
  feasible: boolean;
  /** Makespan, ms. */
  latencyMs: number;
  /** Runtime contexts, MB. */
  contextMb: number;
  /** Per model. */
  models: Array<ModelMemory>;
  /** Ranked options. */
  options: Array<MemoryOption>;
  /** When over capacity: the smallest set of changes that fits, with its prediction. */
  fitPlan: FitPlan | null;
  /** Notes. */
  notes: Array<string>;
}

/** Where a model runs in the browser (transformers.js device strings). */
export type RouteBackend = "webgpu" | "webnn-npu" | "webnn-gpu" | "webnn-cpu" | "wasm";

/** Browsers the catalog describes. */
export type BrowserId = "chrome" | "edge" | "firefox" | "safari";

/** `Alternative` as JSON: a backend that was not chosen. */
export interface RouteAlternative {
  /** The backend. */
  backend: RouteBackend;
  /** Predicted latency, ms; null when the backend was excluded. */
  latencyMs: number | null;
  /** Whether it could run the model. */
  usable: boolean;
  /** Why it was excluded (the detected reason, the sizes over the binding limit, …) or ranked lower. */
  reason: string;
}

/** `MemoryBreakdown` as JSON: predicted memory on the chosen backend, MB. */
export interface RouteMemory {
  /** Weights, MB. */
  weightsMb: number;
  /** Activations, MB. */
  activationsMb: number;
  /** KV cache, MB. */
  kvCacheMb: number;
  /** Workspace, MB. */
  workspaceMb: number;
  /** Runtime overhead, MB. */
  runtimeOverheadMb: number;
  /** Their sum, MB. */
  totalMb: number;
}

/** `RouteDecision` as JSON: where one model goes and why. */
export interface RouteDecision {
  /** Position of the model in the input. */
  index: number;
  /** Model name. */
  model: string;
  /** Where it runs. */
  backend: RouteBackend;
  /** Device profile the prediction used, e.g. "detected:webgpu:integrated", "webnn:npu". */
  device: string;
  /** Runtime the prediction used ("onnxruntime-web" or "webnn"). */
  runtime: string;
  /** Precision computed with on the chosen backend ("fp32" where f16 needs the missing shader-f16). */
  precision: Precision;
  /** Predicted latency, ms. */
  latencyMs: number;
  /** Predicted memory on the chosen backend, MB. */
  memory: RouteMemory;
  /** Largest tensor the model binds, bytes (compared with maxStorageBufferBindingSize). */
  largestTensorBytes: number;
  /** Why this backend. */
  reason: string;
  /** Usable backends by latency first, then the excluded ones. */
  alternatives: Array<RouteAlternative>;
  /** Notes. */
  warnings: Array<string>;
}

/** One model's route in a browser option (`BrowserOptionDto::routes`). */
export interface BrowserRoute {
  /** Model name. */
  model: string;
  /** Where it runs. */
  backend: RouteBackend;
  /** Predicted latency, ms. */
  latencyMs: number;
}

/**
 * `BrowserOption` as JSON: one browser on one desktop OS, with the workload routed through what it
 * offers by default.
 */
export interface BrowserOption {
  /** Browser id. */
  browser: BrowserId;
  /** Browser name. */
  name: string;
  /** Desktop OS. */
  os: string;
  /** What it offers by default. */
  backends: Array<RouteBackend>;
  /** Sum of the routed latencies, ms; null when some model fits no backend. */
  totalLatencyMs: number | null;
  /** Each model's route. */
  routes: Array<BrowserRoute>;
  /** Notes. */
  notes: Array<string>;
  /** Where the facts come from. */
  sources: Array<string>;
}

/** `BrowserRecommendation` as JSON: browsers ranked for a workload, best first. */
export interface BrowserRecommendation {
  /** Best first. */
  ranked: Array<BrowserOption>;
  /** Why the first. */
  reason: string;
  /** What the ranking assumes. */
  assumptions: Array<string>;
}

/** Backend names the pool routes to. */
export type PoolBackend = RouteBackend;

/** Where a registered model's work runs. */
export type RunsOn = "gpu-queue" | "main-thread" | "worker" | "webnn-context";

/** How a model's run ended. */
export type RunStatus = "ok" | "error" | "timeout" | "invalid-output";

/** Where the pool keeps its records. */
export type StorageBackend = "indexeddb" | "memory";

/** `ResourcePool.create` options, without functions. */
export interface PoolOptions {
  /** Default per-model timeout for `execute`, ms (default 30000). */
  timeoutMs?: number;
  /** Try the next usable backend when a model fails (default true). */
  fallback?: boolean;
  /**
   * At most this many models at once per backend (default: no limit; WASM runs on the page's thread
   * anyway).
   */
  concurrency?: Partial<Record<PoolBackend, number>>;
  /**
   * Capabilities to use instead of detecting them (e.g. fixtures, or a result from a worker); read
   * separately, as a capabilities DTO.
   */
  capabilities?: Capabilities;
  /**
   * A compiled `multimodel_perf_bg.wasm` for built-in workers. Not needed with the npm package, which
   * hands workers its own module; only a build without feature `own-module` (e.g. wasm-pack --target
   * bundler) needs it. Read separately, as a `WebAssembly.Module`.
   */
  wasmModule?: WebAssembly.Module;
  /**
   * Where measurements, refitted profiles and fits are kept: "indexeddb" (default; falls back to memory
   * with a warning when unavailable) or "memory".
   */
  storage?: StorageBackend;
  /** IndexedDB database name (default `multimodel-perf`). */
  dbName?: string;
}

/** `execute` options. */
export interface ExecuteOptions {
  /** `parallel`, `sequential`, `batched` or `auto`. */
  strategy?: Strategy | "auto";
  /** The goal `auto` plans for (default throughput). */
  goal?: Goal;
  /** Per-model timeout, ms. */
  timeoutMs?: number;
  /** Try the next usable backend when a model fails. */
  fallback?: boolean;
}

/** Built-in workload sizing. */
export interface WorkloadOptions {
  /** Dimension scale of the model's GEMM chain, in (0, 1]; FLOPs shrink by about scale³. */
  scale?: number;
  /** Budget of the chain when no scale is given, MFLOP (default 64). */
  maxMflop?: number;
}

/** The size of a registered model's built-in workload. */
export interface WorkloadShape {
  /** GEMMs in the chain. */
  gemms: number;
  /** Work of the scaled chain, MFLOP. */
  mflop: number;
  /** Work of the full-size model's chain, GFLOP. */
  fullGflop: number;
  /** Dimension scale applied. */
  scale: number;
  /** Weights of the scaled chain, bytes. */
  weightBytes: number;
  /** Largest buffer the chain binds, bytes. */
  largestBufferBytes: number;
}

/** `registerModel`'s answer. */
export interface RegisteredModel {
  /** Pool model id. */
  id: string;
  /** Model name. */
  model: string;
  /** Runs the built-in workload (no executor). */
  builtin: boolean;
  /** Backend the pool will try first. */
  backend: PoolBackend;
  /** Then these, in order, when fallback is on. */
  fallbacks: PoolBackend[];
  /** The routing decision (predicted latency per backend, reasons). */
  route: RouteDecision;
  /** The built-in workload's size, when it runs one. */
  workload?: WorkloadShape;
  /**
   * Where its work runs: "gpu-queue" (WebGPU, shared with the other WebGPU models), "main-thread"
   * (WASM here: blocks this thread, so WASM models run one after another), "worker" (its own Web
   * Worker), "webnn-context".
   */
  runsOn: RunsOn;
  /** Shared tensors it acquired. */
  tensors: Array<string>;
}

/** One try of a model on one backend. */
export interface Attempt {
  /** Backend tried. */
  backend: PoolBackend;
  /** `ok`, `error`, `timeout` or `invalid-output`. */
  status: RunStatus;
  /** Time it took, ms. */
  ms: number;
  /** Why it failed. */
  error?: string;
}

/** A built-in workload's output checked against the CPU reference. */
export interface OutputCheck {
  /** Largest relative error over the output. */
  maxRelativeError: number;
  /** Error allowed. */
  tolerance: number;
  /** Output elements compared. */
  outputLength: number;
}

/** One model of a pool run. */
export interface ModelRun {
  /** Pool model id. */
  id: string;
  /** Model name. */
  model: string;
  /** `ok`, `error`, `timeout` or `invalid-output`. */
  status: RunStatus;
  /** Backend that produced the result (the last one tried when all failed). */
  backend: PoolBackend;
  /** Backend routing chose first. */
  plannedBackend: PoolBackend;
  /** Whether a fallback backend produced the result. */
  fellBack: boolean;
  /** Every try, in order. */
  attempts: Array<Attempt>;
  /** Start since the run began, ms (performance.now). */
  startMs: number;
  /** End since the run began, ms. */
  endMs: number;
  /** Measured latency, ms. */
  latencyMs: number;
  /** Items per second over its own latency (0 when it failed). */
  throughput: number;
  /** Items per run. */
  batchSize: number;
  /** Where its work ran (as `RegisteredModel.runsOn`). */
  runsOn: RunsOn;
  /** Why it failed. */
  error?: string;
  /** Built-in workloads: how the output compared with the CPU reference. */
  check?: OutputCheck;
  /** Predicted latency of this model in the plan, ms. */
  predictedLatencyMs: number;
  /** What the executor resolved to (user executors), or the output array (built-in workloads). */
  outputs?: unknown;
}

/** What `strategy: "auto"` chose. */
export interface AutoChoice {
  /** Goal planned for. */
  goal: Goal;
  /** Why this plan. */
  reason: string;
  /** The plan's label (`sequential`, `batched-split-threads`, …). */
  label: string;
}

/** `execute`'s answer. */
export interface PoolRun {
  /** Strategy run: `parallel`, `sequential` or `batched`. */
  strategy: Strategy;
  /** Set when strategy "auto" was asked: the recommendation's goal, reason and plan label. */
  auto?: AutoChoice;
  /** Model ids per stage: stages run one after another; models in a stage start together. */
  stages: Array<Array<string>>;
  /** Measured makespan, ms. */
  makespanMs: number;
  /** Items per second over the makespan, successful models only. */
  throughput: number;
  /** Per model, in the order asked. */
  models: Array<ModelRun>;
  /** Models that ran. */
  succeeded: number;
  /** Models that failed. */
  failed: number;
  /** The prediction made before the run, for the same plan and backends. */
  prediction: PredictionResult;
  /** Whether the run was recorded as a measurement (only runs where every model succeeded are). */
  recorded: boolean;
  /** Notes. */
  warnings: Array<string>;
}

/** A shared tensor held by the pool. */
export interface TensorMemory {
  /** Name. */
  name: string;
  /** Size, bytes. */
  bytes: number;
  /** Models holding it. */
  refs: number;
  /** Their ids. */
  users: Array<string>;
  /** Uploaded to the pool's GPU device. */
  onGpu: boolean;
}

/** A model's own memory in the pool. */
export interface ModelPoolMemory {
  /** Pool model id. */
  id: string;
  /** Bytes it holds alone. */
  ownBytes: number;
}

/** `memory()`'s answer. */
export interface PoolMemory {
  /** Shared tensors. */
  tensors: Array<TensorMemory>;
  /** Bytes of shared tensors (each counted once). */
  sharedBytes: number;
  /** Bytes sharing saves: what each extra user would otherwise hold. */
  savedBytes: number;
  /** Per model. */
  models: Array<ModelPoolMemory>;
  /** Shared tensors plus every model's own buffers, bytes. */
  totalBytes: number;
}

/** One measured model. */
export interface MeasuredModel {
  /** The entry as predicted. */
  model: ModelEntry;
  /** Predicted latency before the run, ms. */
  predictedMs: number;
  /** Measured latency, ms. */
  measuredMs: number;
}

/** A measurement. */
export interface MeasurementRecord {
  /** Store id (absent until stored). */
  id?: number;
  /** ms since the Unix epoch. */
  timestampMs: number;
  /** Who measured. */
  source: string;
  /** Profile id the run is attributed to. */
  hardware: string;
  /** Every profile used. */
  profiles: Array<HardwareProfile>;
  /** Strategy. */
  strategy: Strategy;
  /** Groups run one after another. */
  groups: Array<Array<number>>;
  /** Models. */
  models: Array<MeasuredModel>;
  /** Predicted makespan, ms. */
  predictedMakespanMs: number;
  /** Measured makespan, ms. */
  measuredMakespanMs: number;
  /** Peak memory, MB. */
  memoryMb: number | null;
}

/** A stored profile version. */
export interface StoredProfile {
  /** Profile id. */
  id: string;
  /** Version (1 = first stored). */
  version: number;
  /** When stored, ms since the Unix epoch. */
  createdMs: number;
  /** Where it came from. */
  note: string;
  /** The profile. */
  profile: HardwareProfile;
}

/** A stored fit. */
export interface StoredFit {
  /** When, ms since the Unix epoch. */
  createdMs: number;
  /** Profile id. */
  profile: string;
  /** Version fitted from. */
  fromVersion: number;
  /** Version written. */
  toVersion: number;
  /** The fit report (`FitDto`). */
  report: FitReport;
}

/** One comparison of strategies by measurement: did the recommendation pick the measured best? */
export interface ComparisonRecord {
  /** When, ms since the Unix epoch. */
  createdMs: number;
  /** Goal compared on. */
  goal: Goal;
  /** The models (names). */
  models: Array<string>;
  /** What the recommendation picked. */
  recommended: Strategy;
  /** What measured best. */
  measuredBest: Strategy;
  /** How much worse the recommended strategy measured (0 when it was the best). */
  loss: number;
}

/** Everything in a store, as JSON. */
export interface MeasurementExport {
  /** Format tag. */
  format: string;
  /** Profile versions. */
  profiles: Array<StoredProfile>;
  /** Measurements. */
  measurements: Array<MeasurementRecord>;
  /** Fit history. */
  fits: Array<StoredFit>;
  /** Strategy comparisons (recommendation accuracy over time). */
  comparisons: Array<ComparisonRecord>;
}

/** A failed write to the store. */
export interface WriteError {
  /** Error name (`QuotaExceededError`, …). */
  name: string;
  /** Its message. */
  message: string;
}

/** Where the pool keeps its measurements (`storage()`). */
export interface StorageState {
  /** `indexeddb` or `memory`. */
  backend: StorageBackend;
  /** Database name. */
  name: string;
  /**
   * False when IndexedDB was asked for but could not be used, or while some records are unsaved (see
   * `warning`).
   */
  persistent: boolean;
  /** Why it fell back to memory. */
  warning?: string;
  /**
   * Records held in memory only because their IndexedDB write failed; written again before the next
   * record.
   */
  unsaved: number;
  /**
   * Why the last write failed, while records are unsaved: `name` is "QuotaExceededError" when the
   * origin is over its storage quota.
   */
  writeError?: WriteError;
  /** Measurements held. */
  measurements: number;
  /** Profile versions held. */
  profiles: number;
  /** Fits held. */
  fits: number;
}

/** Whether recent predictions got better. */
export type TrendDirection = "improving" | "worsening" | "steady";

/** Error statistics. */
export interface ErrorStats {
  /** Pairs. */
  n: number;
  /** Mean absolute percentage error (0.1 = 10 %). */
  meanApe: number;
  /** Median absolute percentage error. */
  medianApe: number;
  /** Mean ln(predicted / measured). */
  logBias: number;
  /** Share within ±10 %. */
  within10: number;
  /** Share within ±25 %. */
  within25: number;
}

/** The trend. */
export interface ErrorTrend {
  /** Window size. */
  window: number;
  /** Mean APE before. */
  earlier: number;
  /** Mean APE recently. */
  recent: number;
  /** Difference. */
  change: number;
  /** improving, worsening or steady. */
  direction: TrendDirection;
}

/** A validation report. */
export interface ValidationReport {
  /** Measurements. */
  measurements: number;
  /** Makespan error. */
  makespan: ErrorStats;
  /** Per-model latency error. */
  latency: ErrorStats;
  /** Per-model throughput error. */
  throughput: ErrorStats;
  /** Makespan error per profile. */
  byHardware: { [key in string]: ErrorStats };
  /** Makespan error per strategy. */
  byStrategy: { [key in string]: ErrorStats };
  /** Latency error per model. */
  byModel: { [key in string]: ErrorStats };
  /** Trend. */
  trend: ErrorTrend | null;
  /** Whether to refit. */
  refitDue: boolean;
  /** Why. */
  reason: string;
}

/** A refit report. */
export interface FitReport {
  /** Profile id. */
  profile: string;
  /** Multiplier of compute-limited time. */
  computeScale: number;
  /** Multiplier of bandwidth-limited time. */
  memoryScale: number;
  /** Multiplier of overheads. */
  overheadScale: number;
  /** Interference per co-running model before. */
  interferenceBefore: number;
  /** After (absent: nothing ran together to fit it on). */
  interferenceAfter: number | null;
  /** Per-model corrections set. */
  corrections: { [key in string]: number };
  /** Single-model timings used. */
  rows: number;
  /** Down-weighted as outliers. */
  outliers: number;
  /** Measurements fitted on. */
  train: number;
  /** Measurements held out. */
  test: number;
  /** Held-out makespan error before. */
  before: ErrorStats;
  /** Held-out makespan error after. */
  after: ErrorStats;
  /** Training makespan error before. */
  trainBefore: ErrorStats;
  /** Training makespan error after. */
  trainAfter: ErrorStats;
  /** The new profile (same id), usable as `--hardware FILE`. */
  fitted: HardwareProfile;
}

/** One strategy of `compareStrategies`, measured against predicted. */
export interface RankedStrategy {
  /** `parallel`, `sequential` or `batched`. */
  strategy: Strategy;
  /** Measured makespan, ms. */
  measured: number;
  /** Predicted makespan, ms. */
  predicted: number;
}

/** How often the recommendation picked the measured best, over the stored comparisons. */
export interface RecommendationAccuracy {
  /** Comparisons where it did. */
  hits: number;
  /** Comparisons stored. */
  comparisons: number;
  /** Mean loss of the recommended against the measured best when it missed, relative. */
  meanLossWhenMissed: number;
}

/** `compareStrategies`' result without the runs (attached as JS objects, with their outputs). */
export interface StrategyComparison {
  /** Goal compared for. */
  goal: Goal;
  /** Strategies by measured makespan, fastest first. */
  ranked: Array<RankedStrategy>;
  /** The recommended strategy. */
  recommended: Strategy;
  /** The strategy that measured best. */
  measuredBest: Strategy;
  /** Whether the recommendation was the measured best. */
  hit: boolean;
  /** How much worse the recommended strategy measured than the best, relative (0 when it was the best). */
  loss: number;
  /** Over every comparison stored (this session and earlier ones on the same database). */
  accuracy: RecommendationAccuracy;
  /** The runs, one per strategy, with their outputs. */
  runs: PoolRun[];
}

/** `measureWasmGemm` options: seconds to spend (default 2, at most 60) and the profile to start from (a target string or a profile object; default the `wasm` catalog device). */
export type WasmGemmOptions = { seconds?: number; hardware?: string | HardwareProfile };

/** One measured figure: the median of its last samples and their spread (`measureWasmGemm`). */
export interface MeasuredFigure {
  /** Median of the reported window. */
  median: number;
  /** Smallest sample of the window. */
  min: number;
  /** Largest sample of the window. */
  max: number;
  /** Interquartile range of the window relative to the median, %. */
  iqrPct: number;
  /** Samples taken in all. */
  samples: number;
  /** Whether the window settled under the target spread (2.5 %) before the time cap. */
  stable: boolean;
}

/** `measureWasmGemm`'s result: the tuned GEMM's rates on one thread of this page and the profile they make. */
export interface WasmGemmMeasurement {
  /** `m×k×n` of the large shape. */
  largeShape: [number, number, number];
  /** GFLOP/s of the large shape. */
  large: MeasuredFigure;
  /** `m×k×n` of the small shape. */
  smallShape: [number, number, number];
  /** GFLOP/s of the small shape. */
  small: MeasuredFigure;
  /** Seconds the measurement took. */
  seconds: number;
  /** The base profile with the measured peak and tiles (id `wasm:calibrated`): pass it as `hardware`. */
  hardware: HardwareProfile;
}

/**
 * Why a probe failed: the JS error's name and message as the browser gave them (`NotSupportedError`,
 * `TypeError`, …), or `NoAdapter` (requestAdapter resolved to null) / `TimeoutError` (no answer in time).
 */
export interface DetectionFailure {
  /** Error name. */
  name: string;
  /** Message. */
  message: string;
}

/** Where the browser info came from. */
export type BrowserInfoSource = "client-hints" | "user-agent";

/** The browser and OS. */
export interface DetectedBrowser {
  /** "Google Chrome", "Microsoft Edge", "Chromium", "HeadlessChrome", "Firefox", "Safari", … */
  name: string;
  /** Full version where Client Hints give it, else as in the UA string; "" when unknown. */
  version: string;
  /** "Windows", "macOS", "Linux", "Android", "iOS", "ChromeOS" or "unknown". */
  os: string;
  /** OS version. */
  osVersion: string | null;
  /** Mobile. */
  mobile: boolean | null;
  /** `client-hints` or `user-agent`. */
  source: BrowserInfoSource;
  /** Raw UA string. */
  userAgent: string;
}

/** WebAssembly as detected. */
export interface WasmCapabilities {
  /** `WebAssembly` exists. */
  webassembly: boolean;
  /** SIMD validates. */
  simd: boolean;
  /** Relaxed SIMD validates. */
  relaxedSimd: boolean;
  /** `SharedArrayBuffer` exists. */
  sharedArrayBuffer: boolean;
  /** `crossOriginIsolated`. */
  crossOriginIsolated: boolean;
  /** sharedArrayBuffer && crossOriginIsolated (written out; ignored when read). */
  threads: boolean;
}

/** The global scope. */
export type GlobalScope = "window" | "worker" | "other";

/** What `detectCapabilities()` found. Absence is data with its reason, never an exception. */
export interface Capabilities {
  /** `window`, `worker` or `other`. */
  scope: GlobalScope;
  /** `isSecureContext`. */
  secureContext: boolean;
  /** Browser and OS. */
  browser: DetectedBrowser;
  /** WebGPU. */
  webgpu: WebGpuCapabilities;
  /** WebNN. */
  webnn: WebNnCapabilities;
  /** WebAssembly. */
  wasm: WasmCapabilities;
  /** Logical cores (`navigator.hardwareConcurrency`). */
  hardwareConcurrency: number | null;
  /** GB, rounded to a power of two and capped at 8 by Chromium; null elsewhere. */
  deviceMemoryGb: number | null;
  /** Bound on each await during detection, ms. */
  timeoutMs: number;
}

/**
 * `DetectedProfile`: a `listHardware()` entry for the detected device, the catalog entry it started from,
 * the reasons, and the same profile as a `HardwareProfile` input the predictor accepts.
 */
export interface DetectedProfile extends CatalogDevice {
  /** Catalog id the profile started from. */
  base: string;
  /** One sentence per decision and change. */
  reasons: Array<string>;
  /** The profile as predictor input (snake_case `HardwareProfile`, unset fields left out). */
  hardware: HardwareProfile;
}

/** Adapter limits, bytes or counts. */
export interface WebGpuLimits {
  /** Bytes. */
  maxBufferSize: number;
  /** Bytes. */
  maxStorageBufferBindingSize: number;
  /** Bytes. */
  maxComputeWorkgroupStorageSize: number;
  /** Count. */
  maxComputeInvocationsPerWorkgroup: number;
  /** Count. */
  maxComputeWorkgroupSizeX: number;
  /** Count. */
  maxStorageBuffersPerShaderStage: number;
  /** Count. */
  maxComputeWorkgroupsPerDimension: number;
}

/** A WebGPU adapter. */
export interface WebGpuAdapterInfo {
  /** Vendor. */
  vendor: string;
  /** Architecture. */
  architecture: string;
  /** Device. */
  device: string;
  /** Description. */
  description: string;
  /** A software adapter (SwiftShader, WARP): a CPU in disguise. */
  isFallbackAdapter: boolean;
  /** Sorted, e.g. "shader-f16", "subgroups", "timestamp-query". */
  features: Array<string>;
  /** Limits. */
  limits: WebGpuLimits;
}

/** One requestAdapter call: the adapter, or why there is none. */
export interface WebGpuAdapterProbe {
  /** The adapter. */
  adapter: WebGpuAdapterInfo | null;
  /** Why there is none. */
  error: DetectionFailure | null;
}

/** WebGPU as detected. */
export interface WebGpuCapabilities {
  /** `navigator.gpu` exists. */
  available: boolean;
  /** Why not. */
  reason: string | null;
  /** High-performance adapter probe. */
  highPerformance: WebGpuAdapterProbe | null;
  /** Low-power adapter probe. */
  lowPower: WebGpuAdapterProbe | null;
  /** WGSL language features. */
  wgslLanguageFeatures: Array<string>;
}

/** `MLContext.opSupportLimits()` in brief. */
export interface WebNnOpSupport {
  /** Operators listed. */
  opCount: number;
  /** `matmul` input data types. */
  matmulInputDataTypes: Array<string> | null;
  /** `conv2d` input data types. */
  conv2dInputDataTypes: Array<string> | null;
  /** Bytes. */
  maxTensorByteLength: number | null;
  /** `nchw` / `nhwc`. */
  preferredInputLayout: string | null;
}

/** Context kind. */
export type WebNnKind = "gpu" | "npu" | "cpu";

/** `createContext` dictionary form. */
export type WebNnContextForm = "options" | "deviceType";

/** One `navigator.ml.createContext` attempt. */
export interface WebNnContextReport {
  /** gpu: accelerated + high-performance; npu: accelerated + low-power; cpu: not accelerated. */
  kind: WebNnKind;
  /**
   * "options": `{powerPreference, accelerated}` (current spec); "deviceType": the older form, tried only
   * after a TypeError.
   */
  form: WebNnContextForm;
  /** The dictionary passed, as written. */
  options: string;
  /** A context was created. */
  ok: boolean;
  /** Why not. */
  error: DetectionFailure | null;
  /** `MLContext.accelerated` where the browser exposes it. */
  accelerated: boolean | null;
  /** `opSupportLimits()` summary. */
  opSupport: WebNnOpSupport | null;
  /** Why `opSupportLimits()` could not be read. */
  opSupportError: DetectionFailure | null;
  /** The current form's `TypeError`, when the older form was tried. */
  currentFormError: DetectionFailure | null;
}

/** WebNN as detected. */
export interface WebNnCapabilities {
  /** `navigator.ml` exists. */
  available: boolean;
  /** Why not. */
  reason: string | null;
  /** One report per context kind. */
  contexts: Array<WebNnContextReport>;
}
