//! The JSON shapes of the browser resource pool (`ResourcePool` in the npm package): its options in, its
//! registrations, runs and memory report out (camelCase; the TypeScript interfaces `PoolOptions`,
//! `ExecuteOptions`, `RegisteredModel`, `PoolRun`, `PoolMemory`).

use serde::{Deserialize, Serialize};

use super::route::RouteDecisionDto;
use super::{lenient, PredictionDto};

/// `ResourcePool.create` options, without functions.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolOptionsDto {
    /// Default per-model timeout of `execute`, ms.
    #[serde(default, deserialize_with = "lenient::option")]
    pub timeout_ms: Option<f64>,
    /// Try the next usable backend when a model fails.
    pub fallback: Option<bool>,
    /// At most this many models at once per backend name.
    pub concurrency: Option<std::collections::BTreeMap<String, f64>>,
    /// Read separately, as a capabilities DTO.
    #[serde(rename = "capabilities", default)]
    pub _capabilities: Option<serde::de::IgnoredAny>,
    /// Read separately, as a `WebAssembly.Module`.
    #[serde(rename = "wasmModule", default)]
    pub _wasm_module: Option<serde::de::IgnoredAny>,
    /// `indexeddb` (default) or `memory`.
    pub storage: Option<String>,
    /// IndexedDB database name (default `multimodel-perf`).
    pub db_name: Option<String>,
}

/// `execute` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecuteOptionsDto {
    /// `parallel`, `sequential`, `batched` or `auto`.
    pub strategy: Option<String>,
    /// The goal `auto` plans for.
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
pub struct WorkloadOptionsDto {
    /// Dimension scale of the model's GEMM chain, in (0, 1].
    #[serde(default, deserialize_with = "lenient::option")]
    pub scale: Option<f64>,
    /// Budget of the chain, MFLOP (instead of a scale).
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_mflop: Option<f64>,
}

/// The size of a registered model's built-in workload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
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
pub struct RegisteredDto {
    /// Pool model id.
    pub id: String,
    /// Model name.
    pub model: String,
    /// Runs the built-in workload (no executor).
    pub builtin: bool,
    /// Backend routing chose.
    pub backend: &'static str,
    /// Usable backends to fall back to, in order.
    pub fallbacks: Vec<&'static str>,
    /// The routing decision.
    pub route: RouteDecisionDto,
    /// The built-in workload's size, when it runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadShapeDto>,
    /// `page` or `worker`.
    pub runs_on: &'static str,
    /// Shared tensors it acquired.
    pub tensors: Vec<String>,
}

/// One try of a model on one backend.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDto {
    /// Backend tried.
    pub backend: &'static str,
    /// `ok`, `error`, `timeout` or `invalid-output`.
    pub status: &'static str,
    /// Time it took, ms.
    pub ms: f64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A built-in workload's output checked against the CPU reference.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
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
pub struct ModelRunDto {
    /// Pool model id.
    pub id: String,
    /// Model name.
    pub model: String,
    /// `ok`, `error`, `timeout` or `invalid-output`.
    pub status: &'static str,
    /// Backend it ran on last.
    pub backend: &'static str,
    /// Backend the plan gave it.
    pub planned_backend: &'static str,
    /// It ran on a fallback backend.
    pub fell_back: bool,
    /// Every try, in order.
    pub attempts: Vec<AttemptDto>,
    /// Start since the run began, ms.
    pub start_ms: f64,
    /// End since the run began, ms.
    pub end_ms: f64,
    /// Measured latency, ms.
    pub latency_ms: f64,
    /// Items per second.
    pub throughput: f64,
    /// Items per run.
    pub batch_size: u32,
    /// `page` or `worker`.
    pub runs_on: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The output check of a built-in workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckDto>,
    /// Latency predicted before the run, ms.
    pub predicted_latency_ms: f64,
}

/// What `strategy: "auto"` chose.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoDto {
    /// Goal planned for.
    pub goal: &'static str,
    /// Why this plan.
    pub reason: String,
    /// The plan's label (`sequential`, `batched-split-threads`, …).
    pub label: String,
}

/// `execute`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolRunDto {
    /// Strategy run: `parallel`, `sequential` or `batched`.
    pub strategy: &'static str,
    /// What `auto` chose, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoDto>,
    /// Model ids per stage, stages one after another.
    pub stages: Vec<Vec<String>>,
    /// Measured makespan, ms.
    pub makespan_ms: f64,
    /// Items per second over the makespan.
    pub throughput: f64,
    /// Per model, in the order asked.
    pub models: Vec<ModelRunDto>,
    /// Models that ran.
    pub succeeded: usize,
    /// Models that failed.
    pub failed: usize,
    /// The prediction made before the run.
    pub prediction: PredictionDto,
    /// The run was stored as a measurement.
    pub recorded: bool,
    /// Notes.
    pub warnings: Vec<String>,
}

/// A shared tensor held by the pool.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
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
pub struct ModelMemoryDto {
    /// Pool model id.
    pub id: String,
    /// Bytes it holds alone.
    pub own_bytes: f64,
}

/// `memory()`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolMemoryDto {
    /// Shared tensors.
    pub tensors: Vec<TensorMemoryDto>,
    /// Bytes held in shared tensors.
    pub shared_bytes: f64,
    /// Bytes sharing saved against one copy per user.
    pub saved_bytes: f64,
    /// Per model.
    pub models: Vec<ModelMemoryDto>,
    /// Everything held, bytes.
    pub total_bytes: f64,
}

/// One strategy of `compareStrategies`, measured against predicted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RankedDto {
    /// `parallel`, `sequential` or `batched`.
    pub strategy: &'static str,
    /// Measured makespan, ms.
    pub measured: f64,
    /// Predicted makespan, ms.
    pub predicted: f64,
}

/// How often the recommendation picked the measured best, over the stored comparisons.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
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
pub struct ComparisonDto {
    /// Goal compared for.
    pub goal: &'static str,
    /// Strategies by measured makespan, fastest first.
    pub ranked: Vec<RankedDto>,
    /// The recommended strategy.
    pub recommended: &'static str,
    /// The strategy that measured best.
    pub measured_best: &'static str,
    /// They are the same.
    pub hit: bool,
    /// How much slower the recommended measured than the best, relative.
    pub loss: f64,
    /// Over every comparison stored.
    pub accuracy: AccuracyDto,
}

/// Where the pool keeps its measurements (`storage()`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageDto {
    /// `indexeddb` or `memory`.
    pub backend: &'static str,
    /// Database name.
    pub name: String,
    /// The browser granted persistent storage.
    pub persistent: bool,
    /// Why it fell back to memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Records not yet written.
    pub unsaved: usize,
    /// The last write's failure.
    #[serde(skip_serializing_if = "Option::is_none")]
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
pub struct WriteErrorDto {
    /// Error name (`QuotaExceededError`, …).
    pub name: String,
    /// Its message.
    pub message: String,
}
