//! JSON of real-runtime measurements (`bench/real/run.py`'s results file) read by `mmperf check-real`.
//! camelCase; fields the check does not use (raw samples, spreads, machine details) are allowed and ignored.

use serde::Deserialize;

use super::ModelEntryDto;
use crate::calibrate::real::{RealAlone, RealPlan, RealScenario};
use crate::error::{Error, Result};

/// A results file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealRunDto {
    /// Runtime measured (`pytorch`, `onnxruntime`, ...): the runtime the predictions use.
    pub runtime: String,
    /// Its version.
    #[serde(default)]
    pub runtime_version: Option<String>,
    /// Scenarios.
    pub scenarios: Vec<RealScenarioDto>,
}

/// One scenario of a results file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealScenarioDto {
    /// Name.
    pub name: String,
    /// Model entries as the CLI takes them.
    pub models: Vec<ModelEntryDto>,
    /// Solo runs.
    #[serde(default)]
    pub alone: Vec<RealAloneDto>,
    /// Measured plans.
    pub plans: Vec<RealPlanDto>,
}

/// A solo run.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealAloneDto {
    /// Model index.
    pub model: usize,
    /// Threads.
    pub threads: u32,
    /// Median latency, ms.
    pub median_ms: f64,
}

/// A measured plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealPlanDto {
    /// Name (`sequential`, `parallel`, `parallel-split`, `batched`, ...).
    pub plan: String,
    /// Groups of model indices.
    pub groups: Vec<Vec<usize>>,
    /// Threads per model.
    pub threads: Vec<u32>,
    /// Pooled median makespan, ms.
    pub median_makespan_ms: f64,
}

/// Parses a results file: the runtime name and the scenarios, validated (positive finite times, model entries
/// as the workload parser checks them).
pub fn parse_real_run(json: &str) -> Result<(String, Vec<RealScenario>)> {
    let dto: RealRunDto = serde_json::from_str(json).map_err(|e| Error::Malformed {
        what: "real-runtime results".to_string(),
        detail: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(dto.scenarios.len());
    for (k, s) in dto.scenarios.into_iter().enumerate() {
        let f = format!("scenarios[{k}]");
        let time = |field: String, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(Error::invalid(field, v, "a positive time in ms"))
            }
        };
        let models = s
            .models
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.into_spec(&format!("{f}.models[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let alone = s
            .alone
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                Ok(RealAlone {
                    model: a.model,
                    threads: a.threads,
                    measured_ms: time(format!("{f}.alone[{i}].medianMs"), a.median_ms)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let plans = s
            .plans
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                Ok(RealPlan {
                    measured_ms: time(
                        format!("{f}.plans[{i}].medianMakespanMs"),
                        p.median_makespan_ms,
                    )?,
                    label: p.plan,
                    groups: p.groups,
                    threads: p.threads,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(RealScenario { name: s.name, models, alone, plans });
    }
    Ok((dto.runtime, out))
}
