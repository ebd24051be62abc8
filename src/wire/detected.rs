//! The JSON shape of a device profile detected in a browser (`detectedProfile()`): a `listHardware()` entry,
//! the catalog entry it started from, the reasons, and the same profile as predictor input.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::hardware::{Concurrency, DeviceProfile};
use crate::wire::{DeviceDto, HardwareProfileDto};

/// `DetectedProfile`: a `listHardware()` entry for the detected device, the catalog entry it started from,
/// the reasons, and the same profile as a `HardwareProfile` input the predictor accepts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedProfileDto {
    /// The `CatalogDevice` fields.
    #[serde(flatten)]
    pub device: DeviceDto,
    /// Catalog id the profile started from.
    pub base: String,
    /// One sentence per decision and change.
    pub reasons: Vec<String>,
    /// The profile as predictor input (snake_case `HardwareProfile`, unset fields left out).
    pub hardware: serde_json::Value,
}

fn peaks(p: &DeviceProfile) -> BTreeMap<String, f64> {
    let k = p.peak_tflops;
    [
        ("fp32", k.fp32),
        ("fp16", k.fp16),
        ("bf16", k.bf16),
        ("int8", k.int8),
        ("int4", k.int4),
    ]
    .into_iter()
    .filter(|(_, v)| *v > 0.0)
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

/// The same fields `wire::catalog_devices()` writes for a catalog entry.
fn device_dto(p: &DeviceProfile) -> DeviceDto {
    DeviceDto {
        id: p.id.clone(),
        name: p.name.clone(),
        platform: p.platform.name().to_string(),
        peak_tflops: peaks(p),
        memory_bandwidth_gbps: p.memory_bandwidth_gbps,
        memory_capacity_mb: p.memory_capacity_mb,
        tdp_w: p.tdp_w,
        idle_w: p.idle_w,
        throttle_after_s: p.throttle_after_s,
        throttled_speed: p.throttled_speed,
        concurrency: match p.concurrency {
            Concurrency::ConcurrentKernels => "concurrent_kernels",
            Concurrency::SerialQueue => "serial_queue",
            Concurrency::CpuThreads => "cpu_threads",
        }
        .to_string(),
        default_runtime: p.default_runtime.clone(),
        platform_default: false,
        sources: p.sources.iter().cloned().collect(),
    }
}

/// The detected profile for JS; `base` is the catalog id it started from.
pub fn detected_profile_dto(p: &DeviceProfile, reasons: Vec<String>) -> DetectedProfileDto {
    let base = p.id.strip_prefix("detected:").unwrap_or(&p.id).to_string();
    let detected = p.sources.iter().filter(|(k, _)| k == "detected").cloned();
    let input = HardwareProfileDto {
        base: Some(base.clone()),
        id: Some(p.id.clone()),
        name: Some(p.name.clone()),
        peak_tflops: Some(peaks(p)),
        memory_capacity_mb: Some(p.memory_capacity_mb),
        compute_units: Some(f64::from(p.compute_units)),
        host_cores: Some(f64::from(p.host_cores)),
        sources: Some(detected.collect()),
        ..HardwareProfileDto::default()
    };
    let mut hardware = serde_json::to_value(input).unwrap_or_default();
    if let Some(fields) = hardware.as_object_mut() {
        fields.retain(|_, v| !v.is_null());
    }
    DetectedProfileDto {
        device: device_dto(p),
        base,
        reasons,
        hardware,
    }
}
