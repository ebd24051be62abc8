//! The catalogs as JSON (`listModels`, `listHardware`, `mmperf models|hardware --json`).

use crate::flatmap::FlatMap;

use serde::Serialize;

use super::r4;
use crate::catalog::hardware::{self, DeviceProfile, Peaks};
use crate::catalog::models;
use crate::catalog::Precision;

/// One catalog model for `models --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "CatalogModel"))]
pub struct CatalogModelDto {
    /// Name.
    pub name: String,
    /// Type.
    #[cfg_attr(test, ts(type = "ModelType"))]
    pub model_type: String,
    /// Derived parameters.
    pub params: f64,
    /// Published parameters.
    pub published_params: f64,
    /// Source of the published count.
    pub source: String,
    /// Default input GFLOPs per item.
    pub gflops_per_item: f64,
}

/// The model catalog.
pub fn catalog_models() -> Vec<CatalogModelDto> {
    models::catalog()
        .into_iter()
        .map(|m| {
            let work = m.arch.work(&m.default_input);
            let gflops = work
                .prefill
                .iter()
                .chain(&work.decode_step)
                .map(|o| o.flops * o.repeat)
                .sum::<f64>()
                / 1e9;
            CatalogModelDto {
                name: m.name.to_string(),
                model_type: m.model_type.name().to_string(),
                params: m.arch.params(),
                published_params: m.published_params,
                source: m.source.to_string(),
                gflops_per_item: r4(gflops),
            }
        })
        .collect()
}

/// One device for `hardware --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "CatalogDevice"))]
pub struct DeviceDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Platform.
    pub platform: String,
    /// Peaks per precision, TFLOP/s.
    #[cfg_attr(test, ts(type = "Partial<Record<Precision, number>>"))]
    pub peak_tflops: FlatMap<String, f64>,
    /// Bandwidth, GB/s.
    pub memory_bandwidth_gbps: f64,
    /// Capacity, MB.
    pub memory_capacity_mb: f64,
    /// Power, W.
    pub tdp_w: f64,
    /// Idle power, W.
    pub idle_w: f64,
    /// Power the compute units would draw busy at the boost clock, W, where above `tdp_w` (0: none).
    pub full_load_w: f64,
    /// Seconds of sustained load before throttling (0: never).
    pub throttle_after_s: f64,
    /// Speed after throttling.
    pub throttled_speed: f64,
    /// Concurrency model.
    #[cfg_attr(test, ts(type = "Concurrency"))]
    pub concurrency: String,
    /// Default runtime.
    pub default_runtime: String,
    /// Whether a bare platform name selects it.
    pub platform_default: bool,
    /// Sources.
    pub sources: FlatMap<String, String>,
}

/// The device catalog.
pub fn catalog_devices() -> Vec<DeviceDto> {
    hardware::all().iter().map(DeviceDto::from).collect()
}

/// The positive peaks of a device by precision name (`fp32`, `tf32`, `fp16`, `bf16`, `int8`, `int4`),
/// TFLOP/s.
pub(super) fn peaks(p: &Peaks) -> FlatMap<String, f64> {
    Precision::ALL
        .into_iter()
        .filter(|&precision| p.get(precision) > 0.0)
        .map(|precision| (precision.name().to_string(), p.get(precision)))
        .collect()
}

/// A `listHardware()` entry: a catalog device, or any profile (a detected one) in the same fields.
impl From<&DeviceProfile> for DeviceDto {
    fn from(d: &DeviceProfile) -> Self {
        DeviceDto {
            platform_default: hardware::PLATFORM_DEFAULTS.iter().any(|(_, id)| *id == d.id),
            id: d.id.clone(),
            name: d.name.clone(),
            platform: d.platform.name().to_string(),
            peak_tflops: peaks(&d.peak_tflops),
            memory_bandwidth_gbps: d.memory_bandwidth_gbps,
            memory_capacity_mb: d.memory_capacity_mb,
            tdp_w: d.tdp_w,
            idle_w: d.idle_w,
            full_load_w: d.full_load_w,
            throttle_after_s: d.throttle_after_s,
            throttled_speed: d.throttled_speed,
            concurrency: d.concurrency.name().to_string(),
            default_runtime: d.default_runtime.clone(),
            sources: d.sources.iter().cloned().collect(),
        }
    }
}
