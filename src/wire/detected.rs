//! The JSON shape of a device profile detected in a browser (`detectedProfile()`): a `listHardware()` entry,
//! the catalog entry it started from, the reasons, and the same profile as predictor input.

use serde::Serialize;

use crate::catalog::hardware::DeviceProfile;
use crate::wire::{DeviceDto, HardwareProfileDto};

/// `DetectedProfile`: a `listHardware()` entry for the detected device, the catalog entry it started from,
/// the reasons, and the same profile as a `HardwareProfile` input the predictor accepts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "DetectedProfile"))]
pub struct DetectedProfileDto {
    /// The `CatalogDevice` fields.
    #[serde(flatten)]
    pub device: DeviceDto,
    /// Catalog id the profile started from.
    pub base: String,
    /// One sentence per decision and change.
    pub reasons: Vec<String>,
    /// The profile as predictor input (snake_case `HardwareProfile`, unset fields left out).
    #[cfg_attr(test, ts(type = "HardwareProfile"))]
    pub hardware: serde_json::Value,
}

/// The detected profile for JS; `base` is the catalog id it started from.
pub fn detected_profile_dto(p: &DeviceProfile, reasons: Vec<String>) -> DetectedProfileDto {
    let base = p.id.strip_prefix("detected:").unwrap_or(&p.id).to_string();
    let detected = p.sources.iter().filter(|(k, _)| k == "detected").cloned();
    let input = HardwareProfileDto {
        base: Some(base.clone()),
        id: Some(p.id.clone()),
        name: Some(p.name.clone()),
        peak_tflops: Some(super::catalog::peaks(&p.peak_tflops)),
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
        // Not a catalog entry, so never what a bare platform name selects.
        device: DeviceDto { platform_default: false, ..DeviceDto::from(p) },
        base,
        reasons,
        hardware,
    }
}
