//! The JSON shapes of the browser resource pool (`ResourcePool` in the npm package): its options in, its
//! registrations, runs and memory report out (camelCase; the TypeScript interfaces `PoolOptions`,
//! `ExecuteOptions`, `RegisteredModel`, `PoolRun`, `PoolMemory`).

use serde::{Deserialize, Serialize};

use super::route::RouteDecisionDto;
use super::{lenient, PredictionDto};

/// Where a registered model's work runs (`runsOn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsOn {
    /// WebGPU: one device queue shared with the other WebGPU models.
    GpuQueue,
    /// WASM on the page's thread: blocks it, so such models run one after another.
    MainThread,
    /// Its own Web Worker.
    Worker,
    /// A WebNN context.
    WebNnContext,
}

impl RunsOn {
    /// Every place, in a fixed order.
    pub const ALL: [RunsOn; 4] =
        [Self::GpuQueue, Self::MainThread, Self::Worker, Self::WebNnContext];

    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Self::GpuQueue => "gpu-queue",
            Self::MainThread => "main-thread",
            Self::Worker => "worker",
            Self::WebNnContext => "webnn-context",
        }
    }
}

/// `ResourcePool.create` options, without functions.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "PoolOptions", optional_fields))]
pub struct PoolOptionsDto {
    /// Default per-model timeout for `execute`, ms (default 30000).
    #[serde(default, deserialize_with = "lenient::option")]
    pub timeout_ms: Option<f64>,
    /// Try the next usable backend when a model fails (default true).
    pub fallback: Option<bool>,
    /// At most this many models at once per backend (default: no limit; WASM runs on the page's thread
    /// anyway).
    #[cfg_attr(test, ts(type = "Partial<Record<PoolBackend, number>>", optional))]
    pub concurrency: Option<crate::flatmap::FlatMap<String, f64>>,
    /// Capabilities to use instead of detecting them (e.g. fixtures, or a result from a worker); read
    /// separately, as a capabilities DTO.
    #[serde(rename = "capabilities", default)]
    #[cfg_attr(test, ts(type = "Capabilities", optional))]
    pub _capabilities: Option<serde::de::IgnoredAny>,
    /// A compiled `multimodel_perf_bg.wasm` for built-in workers. Not needed with the npm package, which
    /// hands workers its own module; only a build without feature `own-module` (e.g. wasm-pack --target
    /// bundler) needs it. Read separately, as a `WebAssembly.Module`.
    #[serde(rename = "wasmModule", default)]
    #[cfg_attr(test, ts(type = "WebAssembly.Module", optional))]
    pub _wasm_module: Option<serde::de::IgnoredAny>,
    /// Where measurements, refitted profiles and fits are kept: "indexeddb" (default; falls back to memory
    /// with a warning when unavailable) or "memory".
    #[cfg_attr(test, ts(type = "StorageBackend", optional))]
    pub storage: Option<String>,
    /// IndexedDB database name (default `multimodel-perf`).
    pub db_name: Option<String>,
}

/// `execute` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ExecuteOptions", optional_fields))]
pub struct ExecuteOptionsDto {
    /// `parallel`, `sequential`, `batched` or `auto`.
    #[cfg_attr(test, ts(type = "Strategy | \"auto\"", optional))]
    pub strategy: Option<String>,
    /// The goal `auto` plans for (default throughput).
    #[cfg_attr(test, ts(type = "Goal", optional))]
    pub goal: Option<String>,
    /// Per-model timeout, ms.
    #[serde(default, deserialize_with = "lenient::option")]
    pub timeout_ms: Option<f64>,
    /// Try the next usable backend when a model fails.
    pub fallback: Option<bool>,
}

/// Built-in workload sizing.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WorkloadOptions", optional_fields))]
pub struct WorkloadOptionsDto {
    /// Dimension scale of the model's GEMM chain, in (0, 1]; FLOPs shrink by about scale³.
    #[serde(default, deserialize_with = "lenient::option")]
    pub scale: Option<f64>,
    /// Budget of the chain when no scale is given, MFLOP (default 64).
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_mflop: Option<f64>,
}

/// The size of a registered model's built-in workload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WorkloadShape"))]
pub struct WorkloadShapeDto {
    /// GEMMs in the chain.
    pub gemms: usize,
    /// Work of the scaled chain, MFLOP.
    pub mflop: f64,
    /// Work of the full-size model's chain, GFLOP.
    pub full_gflop: f64,
    /// Dimension scale applied.
    pub scale: f64,
    /// Weights of the scaled chain, bytes.
    pub weight_bytes: f64,
    /// Largest buffer the chain binds, bytes.
    pub largest_buffer_bytes: f64,
}

/// `registerModel`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RegisteredModel"))]
pub struct RegisteredDto {
    /// Pool model id.
    pub id: String,
    /// Model name.
    pub model: String,
    /// Runs the built-in workload (no executor).
    pub builtin: bool,
    /// Backend the pool will try first.
    #[cfg_attr(test, ts(type = "PoolBackend"))]
    pub backend: &'static str,
    /// Then these, in order, when fallback is on.
    #[cfg_attr(test, ts(type = "PoolBackend[]"))]
    pub fallbacks: Vec<&'static str>,
    /// The routing decision (predicted latency per backend, reasons).
    pub route: RouteDecisionDto,
    /// The built-in workload's size, when it runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub workload: Option<WorkloadShapeDto>,
    /// Where its work runs: "gpu-queue" (WebGPU, shared with the other WebGPU models), "main-thread"
    /// (WASM here: blocks this thread, so WASM models run one after another), "worker" (its own Web
    /// Worker), "webnn-context".
    #[cfg_attr(test, ts(type = "RunsOn"))]
    pub runs_on: &'static str,
    /// Shared tensors it acquired.
    pub tensors: Vec<String>,
}

/// One try of a model on one backend.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "Attempt"))]
pub struct AttemptDto {
    /// Backend tried.
    #[cfg_attr(test, ts(type = "PoolBackend"))]
    pub backend: &'static str,
    /// `ok`, `error`, `timeout` or `invalid-output`.
    #[cfg_attr(test, ts(type = "RunStatus"))]
    pub status: &'static str,
    /// Time it took, ms.
    pub ms: f64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<String>,
}

/// A built-in workload's output checked against the CPU reference.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "OutputCheck"))]
pub struct CheckDto {
    /// Largest relative error over the output.
    pub max_relative_error: f64,
    /// Error allowed.
    pub tolerance: f64,
    /// Output elements compared.
    pub output_length: usize,
}

/// One model of a pool run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelRun"))]
pub struct ModelRunDto {
    /// Pool model id.
    pub id: String,
    /// Model name.
    pub model: String,
    /// `ok`, `error`, `timeout` or `invalid-output`.
    #[cfg_attr(test, ts(type = "RunStatus"))]
    pub status: &'static str,
    /// Backend that produced the result (the last one tried when all failed).
    #[cfg_attr(test, ts(type = "PoolBackend"))]
    pub backend: &'static str,
    /// Backend routing chose first.
    #[cfg_attr(test, ts(type = "PoolBackend"))]
    pub planned_backend: &'static str,
    /// Whether a fallback backend produced the result.
    pub fell_back: bool,
    /// Every try, in order.
    pub attempts: Vec<AttemptDto>,
    /// Start since the run began, ms (performance.now).
    pub start_ms: f64,
    /// End since the run began, ms.
    pub end_ms: f64,
    /// Measured latency, ms.
    pub latency_ms: f64,
    /// Items per second over its own latency (0 when it failed).
    pub throughput: f64,
    /// Items per run.
    pub batch_size: u32,
    /// Where its work ran (as `RegisteredModel.runsOn`).
    #[cfg_attr(test, ts(type = "RunsOn"))]
    pub runs_on: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<String>,
    /// Built-in workloads: how the output compared with the CPU reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub check: Option<CheckDto>,
    /// Predicted latency of this model in the plan, ms.
    pub predicted_latency_ms: f64,
}

/// What `strategy: "auto"` chose.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "AutoChoice"))]
pub struct AutoDto {
    /// Goal planned for.
    #[cfg_attr(test, ts(type = "Goal"))]
    pub goal: &'static str,
    /// Why this plan.
    pub reason: String,
    /// The plan's label (`sequential`, `batched-split-threads`, …).
    pub label: String,
}

/// `execute`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "PoolRun"))]
pub struct PoolRunDto {
    /// Strategy run: `parallel`, `sequential` or `batched`.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: &'static str,
    /// Set when strategy "auto" was asked: the recommendation's goal, reason and plan label.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub auto: Option<AutoDto>,
    /// Model ids per stage: stages run one after another; models in a stage start together.
    pub stages: Vec<Vec<String>>,
    /// Measured makespan, ms.
    pub makespan_ms: f64,
    /// Items per second over the makespan, successful models only.
    pub throughput: f64,
    /// Per model, in the order asked.
    pub models: Vec<ModelRunDto>,
    /// Models that ran.
    pub succeeded: usize,
    /// Models that failed.
    pub failed: usize,
    /// The prediction made before the run, for the same plan and backends.
    pub prediction: PredictionDto,
    /// Whether the run was recorded as a measurement (only runs where every model succeeded are).
    pub recorded: bool,
    /// Notes.
    pub warnings: Vec<String>,
}

/// A shared tensor held by the pool.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "TensorMemory"))]
pub struct TensorMemoryDto {
    /// Name.
    pub name: String,
    /// Size, bytes.
    pub bytes: f64,
    /// Models holding it.
    pub refs: usize,
    /// Their ids.
    pub users: Vec<String>,
    /// Uploaded to the pool's GPU device.
    pub on_gpu: bool,
}

/// A model's own memory in the pool.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelPoolMemory"))]
pub struct ModelMemoryDto {
    /// Pool model id.
    pub id: String,
    /// Bytes it holds alone.
    pub own_bytes: f64,
}

/// `memory()`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "PoolMemory"))]
pub struct PoolMemoryDto {
    /// Shared tensors.
    pub tensors: Vec<TensorMemoryDto>,
    /// Bytes of shared tensors (each counted once).
    pub shared_bytes: f64,
    /// Bytes sharing saves: what each extra user would otherwise hold.
    pub saved_bytes: f64,
    /// Per model.
    pub models: Vec<ModelMemoryDto>,
    /// Shared tensors plus every model's own buffers, bytes.
    pub total_bytes: f64,
}

/// One strategy of `compareStrategies`, measured against predicted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RankedStrategy"))]
pub struct RankedDto {
    /// `parallel`, `sequential` or `batched`.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: &'static str,
    /// Measured makespan, ms.
    pub measured: f64,
    /// Predicted makespan, ms.
    pub predicted: f64,
}

/// How often the recommendation picked the measured best, over the stored comparisons.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RecommendationAccuracy"))]
pub struct AccuracyDto {
    /// Comparisons where it did.
    pub hits: usize,
    /// Comparisons stored.
    pub comparisons: usize,
    /// Mean loss of the recommended against the measured best when it missed, relative.
    pub mean_loss_when_missed: f64,
}

/// `compareStrategies`' result without the runs (attached as JS objects, with their outputs).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "StrategyComparison"))]
pub struct ComparisonDto {
    /// Goal compared for.
    #[cfg_attr(test, ts(type = "Goal"))]
    pub goal: &'static str,
    /// Strategies by measured makespan, fastest first.
    pub ranked: Vec<RankedDto>,
    /// The recommended strategy.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub recommended: &'static str,
    /// The strategy that measured best.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub measured_best: &'static str,
    /// Whether the recommendation was the measured best.
    pub hit: bool,
    /// How much worse the recommended strategy measured than the best, relative (0 when it was the best).
    pub loss: f64,
    /// Over every comparison stored (this session and earlier ones on the same database).
    pub accuracy: AccuracyDto,
}

/// Where the pool keeps its measurements (`storage()`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "StorageState"))]
pub struct StorageDto {
    /// `indexeddb` or `memory`.
    #[cfg_attr(test, ts(type = "StorageBackend"))]
    pub backend: &'static str,
    /// Database name.
    pub name: String,
    /// False when IndexedDB was asked for but could not be used, or while some records are unsaved (see
    /// `warning`).
    pub persistent: bool,
    /// Why it fell back to memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub warning: Option<String>,
    /// Records held in memory only because their IndexedDB write failed; written again before the next
    /// record.
    pub unsaved: usize,
    /// Why the last write failed, while records are unsaved: `name` is "QuotaExceededError" when the
    /// origin is over its storage quota.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub write_error: Option<WriteErrorDto>,
    /// Measurements held.
    pub measurements: usize,
    /// Profile versions held.
    pub profiles: usize,
    /// Fits held.
    pub fits: usize,
}

/// A failed write to the store.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WriteError"))]
pub struct WriteErrorDto {
    /// Error name (`QuotaExceededError`, …).
    pub name: String,
    /// Its message.
    pub message: String,
}
