//! JSON of real-runtime measurements (`bench/real/run.py`'s results file) read by `mmperf check-real`.
//! camelCase; fields the check does not use (raw samples, spreads, most machine details) are allowed and
//! ignored.

use crate::flatmap::FlatMap;

use serde::Deserialize;

use super::ModelEntryDto;
use crate::calibrate::real::{RealAlone, RealPlan, RealScenario};
use crate::catalog::runtime::{RuntimeProfile, PYTORCH_KEPT_HEAP};
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
    /// The machine the runs were measured on.
    #[serde(default)]
    pub machine: RealMachineDto,
}

/// What a results file says of its machine that the check reports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RealMachineDto {
    /// glibc malloc's tunables set in the environment of the run (`MALLOC_TRIM_THRESHOLD_`, ...), by name:
    /// they decide how often a runtime allocating through malloc faults fresh pages in (empty: glibc's
    /// defaults).
    #[serde(default)]
    pub malloc: FlatMap<String, String>,
}

/// A parsed results file.
#[derive(Debug, Clone, PartialEq)]
pub struct RealRun {
    /// Runtime measured: the runtime the predictions use.
    pub runtime: String,
    /// glibc malloc's tunables the run set, by name (empty: glibc's defaults).
    pub malloc: FlatMap<String, String>,
    /// Scenarios, validated.
    pub scenarios: Vec<RealScenario>,
}

/// A trim threshold at least this large (bytes) keeps a heap's freed top: glibc trims only a free top above
/// it (mallopt(3), M_TRIM_THRESHOLD), and the most a model gave back per call with glibc's defaults was 264 MB
/// (MobileNet-v2 at batch 8: 64,385 pages, `bench/real/results/heap-faults-pytorch-dev-vm-s18.txt`).
const KEPT_HEAP_TRIM_THRESHOLD: u64 = 1 << 30;

impl RealRun {
    /// Whether the run's heap kept the pages it freed: glibc malloc with trimming off
    /// (`MALLOC_TRIM_THRESHOLD_` of at least 1 GiB) and no chunk mapped apart (`MALLOC_MMAP_MAX_=0`; glibc
    /// caps `MALLOC_MMAP_THRESHOLD_` at 32 MiB, so only this turns mapping off), as `bench/real/run.py` sets
    /// them by default for PyTorch.
    pub fn heap_kept(&self) -> bool {
        let trim =
            self.malloc.get("MALLOC_TRIM_THRESHOLD_").and_then(|v| v.trim().parse::<u64>().ok());
        let mmap_max = self.malloc.get("MALLOC_MMAP_MAX_").map(|v| v.trim());
        trim.is_some_and(|t| t >= KEPT_HEAP_TRIM_THRESHOLD) && mmap_max == Some("0")
    }

    /// The catalog runtime that predicts the run: the measured one, or `pytorch-kept-heap` for PyTorch
    /// (by any of the catalog's names for it) measured with the heap kept.
    pub fn predicted_runtime(&self) -> &str {
        let torch = RuntimeProfile::find(&self.runtime).is_ok_and(|r| r.name == "pytorch");
        if torch && self.heap_kept() {
            PYTORCH_KEPT_HEAP
        } else {
            &self.runtime
        }
    }
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

/// Parses a results file: the runtime name, the malloc settings of the run, and the scenarios, validated
/// (positive finite times, model entries as the workload parser checks them).
pub fn parse_real_run(json: &str) -> Result<RealRun> {
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
            .map(|(i, e)| e.into_spec(format!("{f}.models[{i}]")))
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
    Ok(RealRun { runtime: dto.runtime, malloc: dto.machine.malloc, scenarios: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine of a run with the heap never trimmed, as `run.py` records it.
    const MACHINE: &str = r#""machine": {"cpu": "AMD EPYC", "cores": 2, "malloc": {"MALLOC_TRIM_THRESHOLD_": "107374182400", "MALLOC_MMAP_MAX_": "0"}},"#;

    /// A one-scenario results file with `machine` (a `"machine": {...},` member, or nothing).
    fn run(machine: &str) -> String {
        format!(
            r#"{{"runtime": "pytorch", "runtimeVersion": "2.15.0", {machine}
            "scenarios": [{{"name": "tiny-pair", "models": [{{"model_name": "all-MiniLM-L6-v2"}}, {{"model_name": "mobilenet-v2"}}],
                "alone": [{{"model": 1, "threads": 2, "medianMs": 11.4, "iqrMs": 0.3}}],
                "plans": [{{"plan": "sequential", "groups": [[0], [1]], "threads": [2, 2], "medianMakespanMs": 35.7}}]}}]}}"#
        )
    }

    #[test]
    fn a_results_file_gives_its_runtime_malloc_settings_and_scenarios() {
        let run = parse_real_run(&run(MACHINE)).unwrap();
        assert_eq!(run.runtime, "pytorch");
        // In name order, whatever the file's order.
        let names: Vec<&str> = run.malloc.keys().map(String::as_str).collect();
        assert_eq!(names, ["MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_"]);
        assert_eq!(run.malloc["MALLOC_MMAP_MAX_"], "0");
        let s = &run.scenarios[0];
        assert_eq!(
            (s.name.as_str(), s.models.len(), s.plans[0].measured_ms),
            ("tiny-pair", 2, 35.7)
        );
        assert_eq!((s.alone[0].model, s.alone[0].threads), (1, 2));
    }

    #[test]
    fn a_results_file_without_machine_details_ran_on_glibcs_defaults() {
        let old = run("");
        assert_ne!(old, run(MACHINE));
        let old = parse_real_run(&old).unwrap();
        assert!(old.malloc.is_empty());
        assert!(!old.heap_kept());
        assert_eq!(old.predicted_runtime(), "pytorch");
    }

    #[test]
    fn pytorch_with_the_heap_kept_is_predicted_by_its_kept_heap_rules() {
        let kept = parse_real_run(&run(MACHINE)).unwrap();
        assert!(kept.heap_kept());
        assert_eq!(kept.predicted_runtime(), "pytorch-kept-heap");
        // Trimming off but chunks still mapped apart (and the reverse) do not keep the heap.
        for (from, to) in [
            (r#""MALLOC_MMAP_MAX_": "0""#, r#""MALLOC_MMAP_MAX_": "65536""#),
            (r#""107374182400""#, r#""131072""#),
        ] {
            let partly = parse_real_run(&run(MACHINE).replace(from, to)).unwrap();
            assert!(!partly.heap_kept(), "{:?}", partly.malloc);
            assert_eq!(partly.predicted_runtime(), "pytorch");
        }
        // Another runtime measured with the heap kept keeps its own rules.
        let ort = parse_real_run(
            &run(MACHINE).replace(r#""runtime": "pytorch""#, r#""runtime": "onnxruntime""#),
        )
        .unwrap();
        assert!(ort.heap_kept());
        assert_eq!(ort.predicted_runtime(), "onnxruntime");
    }

    #[test]
    fn a_plan_time_that_is_not_a_positive_number_is_refused_by_field() {
        let bad = run(MACHINE).replace("35.7", "-1");
        let e = parse_real_run(&bad).unwrap_err().to_string();
        assert!(e.contains("scenarios[0].plans[0].medianMakespanMs"), "{e}");
    }
}
