//! The JSON shape of routing results (`routeModels()`, `recommendBrowser()`, `mmperf route --json`): camelCase,
//! the `RouteDecision` and `BrowserRecommendation` TypeScript interfaces.

use serde::Serialize;

use crate::plan::route::{
    Alternative, Backend, BrowserOption, BrowserRecommendation, RouteDecision,
};
use crate::predict::single::MemoryBreakdown;

/// Backend names as JSON: where a model runs in the browser (transformers.js device strings).
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RouteBackend"))]
pub struct BackendDto(&'static str);

impl From<Backend> for BackendDto {
    fn from(b: Backend) -> Self {
        BackendDto(b.name())
    }
}

/// [`Alternative`] as JSON: a backend that was not chosen.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RouteAlternative"))]
pub struct AlternativeDto {
    /// The backend.
    backend: BackendDto,
    /// Predicted latency, ms; null when the backend was excluded.
    latency_ms: Option<f64>,
    /// Whether it could run the model.
    usable: bool,
    /// Why it was excluded (the detected reason, the sizes over the binding limit, …) or ranked lower.
    reason: String,
}

/// [`MemoryBreakdown`] as JSON: predicted memory on the chosen backend, MB.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RouteMemory"))]
pub struct RouteMemoryDto {
    /// Weights, MB.
    weights_mb: f64,
    /// Activations, MB.
    activations_mb: f64,
    /// KV cache, MB.
    kv_cache_mb: f64,
    /// Workspace, MB.
    workspace_mb: f64,
    /// Runtime overhead, MB.
    runtime_overhead_mb: f64,
    /// Their sum, MB.
    total_mb: f64,
}

/// [`RouteDecision`] as JSON: where one model goes and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "RouteDecision"))]
pub struct RouteDecisionDto {
    /// Position of the model in the input.
    index: usize,
    /// Model name.
    model: String,
    /// Where it runs.
    backend: BackendDto,
    /// Device profile the prediction used, e.g. "detected:webgpu:integrated", "webnn:npu".
    device: String,
    /// Runtime the prediction used ("onnxruntime-web" or "webnn").
    runtime: String,
    /// Precision computed with on the chosen backend ("fp32" where f16 needs the missing shader-f16).
    #[cfg_attr(test, ts(type = "Precision"))]
    precision: &'static str,
    /// Predicted latency, ms.
    latency_ms: f64,
    /// Predicted memory on the chosen backend, MB.
    memory: RouteMemoryDto,
    /// Largest tensor the model binds, bytes (compared with maxStorageBufferBindingSize).
    largest_tensor_bytes: f64,
    /// Why this backend.
    reason: String,
    /// Usable backends by latency first, then the excluded ones.
    alternatives: Vec<AlternativeDto>,
    /// Notes.
    warnings: Vec<String>,
}

/// One model's route in a browser option (`BrowserOptionDto::routes`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "BrowserRoute"))]
pub struct BrowserRouteDto {
    /// Model name.
    model: String,
    /// Where it runs.
    backend: BackendDto,
    /// Predicted latency, ms.
    latency_ms: f64,
}

/// [`BrowserOption`] as JSON: one browser on one desktop OS, with the workload routed through what it
/// offers by default.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "BrowserOption"))]
pub struct BrowserOptionDto {
    /// Browser id.
    #[cfg_attr(test, ts(type = "BrowserId"))]
    browser: String,
    /// Browser name.
    name: String,
    /// Desktop OS.
    os: String,
    /// What it offers by default.
    backends: Vec<BackendDto>,
    /// Sum of the routed latencies, ms; null when some model fits no backend.
    total_latency_ms: Option<f64>,
    /// Each model's route.
    routes: Vec<BrowserRouteDto>,
    /// Notes.
    notes: Vec<String>,
    /// Where the facts come from.
    sources: Vec<String>,
}

/// [`BrowserRecommendation`] as JSON: browsers ranked for a workload, best first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "BrowserRecommendation"))]
pub struct BrowserRecommendationDto {
    /// Best first.
    ranked: Vec<BrowserOptionDto>,
    /// Why the first.
    reason: String,
    /// What the ranking assumes.
    assumptions: Vec<String>,
}

fn memory_dto(m: &MemoryBreakdown) -> RouteMemoryDto {
    RouteMemoryDto {
        weights_mb: m.weights_mb,
        activations_mb: m.activations_mb,
        kv_cache_mb: m.kv_cache_mb,
        workspace_mb: m.workspace_mb,
        runtime_overhead_mb: m.runtime_overhead_mb,
        total_mb: m.total_mb(),
    }
}

impl From<&RouteDecision> for RouteDecisionDto {
    fn from(d: &RouteDecision) -> Self {
        RouteDecisionDto {
            index: d.index,
            model: d.model.clone(),
            backend: d.backend.into(),
            device: d.device.clone(),
            runtime: d.runtime.clone(),
            precision: d.precision.name(),
            latency_ms: d.latency_ms,
            memory: memory_dto(&d.memory),
            largest_tensor_bytes: d.largest_tensor_bytes,
            reason: d.reason.clone(),
            alternatives: d.alternatives.iter().map(alternative_dto).collect(),
            warnings: d.warnings.clone(),
        }
    }
}

fn alternative_dto(a: &Alternative) -> AlternativeDto {
    AlternativeDto {
        backend: a.backend.into(),
        latency_ms: a.latency_ms,
        usable: a.usable,
        reason: a.reason.clone(),
    }
}

fn option_dto(o: &BrowserOption) -> BrowserOptionDto {
    BrowserOptionDto {
        browser: o.browser.clone(),
        name: o.name.clone(),
        os: o.os.clone(),
        backends: o.backends.iter().map(|&b| b.into()).collect(),
        total_latency_ms: o.total_latency_ms,
        routes: o
            .routes
            .iter()
            .map(|(m, b, l)| BrowserRouteDto {
                model: m.clone(),
                backend: (*b).into(),
                latency_ms: *l,
            })
            .collect(),
        notes: o.notes.clone(),
        sources: o.sources.clone(),
    }
}

impl From<&BrowserRecommendation> for BrowserRecommendationDto {
    fn from(r: &BrowserRecommendation) -> Self {
        BrowserRecommendationDto {
            ranked: r.ranked.iter().map(option_dto).collect(),
            reason: r.reason.clone(),
            assumptions: r.assumptions.clone(),
        }
    }
}
