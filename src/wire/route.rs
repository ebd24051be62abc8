//! The JSON shape of routing results (`routeModels()`, `recommendBrowser()`, `mmperf route --json`): camelCase,
//! the `RouteDecision` and `BrowserRecommendation` TypeScript interfaces.

use serde::Serialize;

use crate::plan::route::{
    Alternative, Backend, BrowserOption, BrowserRecommendation, RouteDecision,
};
use crate::predict::single::MemoryBreakdown;

/// Backend names as JSON.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BackendDto(&'static str);

impl From<Backend> for BackendDto {
    fn from(b: Backend) -> Self {
        BackendDto(b.name())
    }
}

/// [`Alternative`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlternativeDto {
    backend: BackendDto,
    latency_ms: Option<f64>,
    usable: bool,
    reason: String,
}

/// [`MemoryBreakdown`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteMemoryDto {
    weights_mb: f64,
    activations_mb: f64,
    kv_cache_mb: f64,
    workspace_mb: f64,
    runtime_overhead_mb: f64,
    total_mb: f64,
}

/// [`RouteDecision`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteDecisionDto {
    index: usize,
    model: String,
    backend: BackendDto,
    device: String,
    runtime: String,
    precision: &'static str,
    latency_ms: f64,
    memory: RouteMemoryDto,
    largest_tensor_bytes: f64,
    reason: String,
    alternatives: Vec<AlternativeDto>,
    warnings: Vec<String>,
}

/// One entry of `BrowserOptionDto::routes`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserRouteDto {
    model: String,
    backend: BackendDto,
    latency_ms: f64,
}

/// [`BrowserOption`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserOptionDto {
    browser: String,
    name: String,
    os: String,
    backends: Vec<BackendDto>,
    total_latency_ms: Option<f64>,
    routes: Vec<BrowserRouteDto>,
    notes: Vec<String>,
    sources: Vec<String>,
}

/// [`BrowserRecommendation`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserRecommendationDto {
    ranked: Vec<BrowserOptionDto>,
    reason: String,
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
