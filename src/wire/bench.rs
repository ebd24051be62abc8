//! JSON of `mmperf bench --json` (camelCase, like every other export); `npm run bench` prints its native part
//! beside the wasm timings.

use serde::Serialize;

use crate::bench::{BenchReport, CaseTiming, ScalingRow, ServeTiming};

/// [`BenchReport`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchReportDto {
    /// `native`.
    pub build: String,
    /// Time each case was measured for, s.
    pub seconds_per_case: f64,
    /// Predictor calls.
    pub cases: Vec<CaseTimingDto>,
    /// Serving simulator runs.
    pub serve: Vec<ServeTimingDto>,
    /// Scaling table (empty without `--scaling`).
    pub scaling: Vec<ScalingRowDto>,
}

/// [`CaseTiming`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseTimingDto {
    /// Case name.
    pub name: String,
    /// Median µs per call.
    pub median_us: f64,
    /// Fastest sample's µs per call.
    pub min_us: f64,
    /// Samples.
    pub samples: usize,
    /// Calls per sample.
    pub calls_per_sample: u64,
}

/// [`ServeTiming`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServeTimingDto {
    /// Case name.
    pub name: String,
    /// Events per run.
    pub events: u64,
    /// Median ms per run.
    pub median_ms: f64,
    /// Events per second.
    pub events_per_s: f64,
}

/// [`ScalingRow`] as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRowDto {
    /// `cuda` or `cpu`.
    pub device: String,
    /// Models.
    pub models: usize,
    /// predict, ms.
    pub predict_ms: f64,
    /// recommend, ms.
    pub recommend_ms: f64,
}

impl From<&CaseTiming> for CaseTimingDto {
    fn from(c: &CaseTiming) -> Self {
        CaseTimingDto {
            name: c.name.clone(),
            median_us: c.median_us,
            min_us: c.min_us,
            samples: c.samples,
            calls_per_sample: c.calls_per_sample,
        }
    }
}

impl From<&ServeTiming> for ServeTimingDto {
    fn from(s: &ServeTiming) -> Self {
        ServeTimingDto {
            name: s.name.clone(),
            events: s.events,
            median_ms: s.median_ms,
            events_per_s: s.events_per_s,
        }
    }
}

impl From<&ScalingRow> for ScalingRowDto {
    fn from(s: &ScalingRow) -> Self {
        ScalingRowDto {
            device: s.device.clone(),
            models: s.models,
            predict_ms: s.predict_ms,
            recommend_ms: s.recommend_ms,
        }
    }
}

impl From<&BenchReport> for BenchReportDto {
    fn from(r: &BenchReport) -> Self {
        BenchReportDto {
            build: r.build.clone(),
            seconds_per_case: r.seconds_per_case,
            cases: r.cases.iter().map(Into::into).collect(),
            serve: r.serve.iter().map(Into::into).collect(),
            scaling: r.scaling.iter().map(Into::into).collect(),
        }
    }
}
