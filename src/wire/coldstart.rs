//! Cold start as JSON (`predictColdStart`, `mmperf coldstart --json`): options in, first run against warm run
//! per model and strategy out.

use serde::{Deserialize, Serialize};

use super::{lenient, r4};

/// Options of a cold-start prediction from JavaScript.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ColdStartOptionsDto {
    /// `memory`, `disk`, `network` or `cache`.
    pub source: Option<String>,
    /// Source bandwidth, GB/s.
    #[serde(default, deserialize_with = "lenient::option")]
    pub source_gbps: Option<f64>,
    /// Warm-up iterations.
    pub warmup_iterations: Option<u32>,
}

pub(super) fn residency_name(r: crate::predict::multi::Residency) -> &'static str {
    match r {
        crate::predict::multi::Residency::Resident => "resident",
        crate::predict::multi::Residency::Unload => "unload",
    }
}

/// One model's cold start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelColdStartDto {
    /// Name.
    pub model_name: String,
    /// Reading the weights from the source, ms.
    pub read_ms: f64,
    /// Copying them to the device, ms.
    pub copy_ms: f64,
    /// Kernel compilation on first use, ms.
    pub compile_ms: f64,
    /// Warm-up iterations, ms.
    pub warmup_ms: f64,
    /// A warm run alone, ms.
    pub warm_ms: f64,
    /// The first run alone from nothing, ms.
    pub first_run_ms: f64,
}

/// Cold and warm makespan of one strategy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrategyColdStartDto {
    /// Strategy.
    pub strategy: String,
    /// `resident` or `unload`.
    pub residency: String,
    /// Warm makespan, ms.
    pub warm_ms: f64,
    /// First-round makespan, ms.
    pub cold_ms: f64,
}

/// The result of `coldstart`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStartDto {
    /// Weight source.
    pub source: String,
    /// Its bandwidth, GB/s.
    pub source_gbps: f64,
    /// Warm-up iterations.
    pub warmup_iterations: u32,
    /// Per model.
    pub models: Vec<ModelColdStartDto>,
    /// Per strategy.
    pub strategies: Vec<StrategyColdStartDto>,
}

/// Converts a cold-start report to its JSON shape.
impl From<&crate::predict::coldstart::ColdStartReport> for ColdStartDto {
    fn from(r: &crate::predict::coldstart::ColdStartReport) -> ColdStartDto {
        ColdStartDto {
            source: r.config.source.name().to_string(),
            source_gbps: r.source_gbps,
            warmup_iterations: r.config.warmup_iterations,
            models: r
                .models
                .iter()
                .map(|m| ModelColdStartDto {
                    model_name: m.name.clone(),
                    read_ms: r4(m.read_ms),
                    copy_ms: r4(m.copy_ms),
                    compile_ms: r4(m.compile_ms),
                    warmup_ms: r4(m.warmup_ms),
                    warm_ms: r4(m.warm_ms),
                    first_run_ms: r4(m.first_run_ms),
                })
                .collect(),
            strategies: r
                .strategies
                .iter()
                .map(|s| StrategyColdStartDto {
                    strategy: s.strategy.name().to_string(),
                    residency: residency_name(s.residency).to_string(),
                    warm_ms: r4(s.warm_ms),
                    cold_ms: r4(s.cold_ms),
                })
                .collect(),
        }
    }
}
