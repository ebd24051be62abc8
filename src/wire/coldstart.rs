//! Cold start as JSON (`predictColdStart`, `mmperf coldstart --json`): options in, first run against warm run
//! per model and strategy out.

use serde::{Deserialize, Serialize};

use super::{lenient, r4};

/// Options of a cold-start prediction from JavaScript.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ColdStartOptions", optional_fields))]
pub struct ColdStartOptionsDto {
    /// Where the weights come from (default "disk").
    #[cfg_attr(test, ts(type = "WeightSource", optional))]
    pub source: Option<String>,
    /// Bandwidth of the source, GB/s (default: 3 disk, 0.0125 network, 1 cache).
    #[serde(default, deserialize_with = "lenient::option")]
    pub source_gbps: Option<f64>,
    /// Warm-up iterations before the first measured run (default 0).
    pub warmup_iterations: Option<u32>,
}

/// One model's cold start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelColdStart"))]
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
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "StrategyColdStart"))]
pub struct StrategyColdStartDto {
    /// Strategy.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: String,
    /// `resident` or `unload`.
    #[cfg_attr(test, ts(type = "Residency"))]
    pub residency: String,
    /// Warm makespan, ms.
    pub warm_ms: f64,
    /// First-round makespan, ms.
    pub cold_ms: f64,
}

/// The result of `coldstart`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ColdStartResult"))]
pub struct ColdStartDto {
    /// Weight source.
    #[cfg_attr(test, ts(type = "WeightSource"))]
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
                    residency: s.residency.name().to_string(),
                    warm_ms: r4(s.warm_ms),
                    cold_ms: r4(s.cold_ms),
                })
                .collect(),
        }
    }
}
