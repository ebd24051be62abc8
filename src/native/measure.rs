//! `mmperf measure`: runs the built-in workloads of a workload's models on this CPU with a strategy, alone
//! and together as the plan says, and records the run beside the prediction made before it.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::run::Ready;
use crate::calibrate::{MeasuredModel, Measurement};
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::runtime::RuntimeProfile;
use crate::error::{Error, Result};
use crate::predict::multi::{Strategy, Target, Workload};
use crate::predict::spec::ModelSpec;
use crate::workload::{self, WorkloadOptions};
use crate::{plan, MultiModelPredictor};

/// What to measure.
pub struct MeasureRequest<'a> {
    /// The models (catalog or custom entries; their built-in workloads run).
    pub models: &'a [ModelSpec],
    /// The profile of this CPU to predict with (`mmperf calibrate` makes one).
    pub profile: &'a DeviceProfile,
    /// Strategy.
    pub strategy: Strategy,
    /// Parallel or batched with the cores split between the models of each group (`plan::parallel_split`,
    /// `plan::batched_split`) instead of every model on all cores.
    pub split_threads: bool,
    /// Workload sizing.
    pub options: WorkloadOptions,
    /// Runs; the one with the median makespan is kept (≥ 1).
    pub repeat: usize,
}

/// One measured run and the largest relative difference of any output from the single-thread reference.
pub struct Measured {
    /// The record.
    pub measurement: Measurement,
    /// Largest output error against the reference (0: identical).
    pub max_error: f64,
}

/// Runs `req` and returns the measurement. `progress` receives one line per step.
pub fn measure(req: &MeasureRequest<'_>, progress: &mut dyn FnMut(&str)) -> Result<Measured> {
    if req.models.is_empty() {
        return Err(Error::invalid("models", "[]", "at least one model"));
    }
    let cores = req.profile.compute_units.max(1);
    let mut ready = Vec::with_capacity(req.models.len());
    let mut specs = Vec::with_capacity(req.models.len());
    for (i, s) in req.models.iter().enumerate() {
        let w = workload::build(s, &format!("models[{i}]"), req.options)?;
        let mut spec = w.spec();
        spec.threads = s.threads.map(|t| t.clamp(1, cores));
        spec.device = Some(req.profile.id.clone());
        spec.runtime = Some("builtin".to_string());
        progress(&format!(
            "preparing {} ({} GEMMs, {:.1} MFLOP, scale {:.3})",
            s.name,
            w.gemms.len(),
            w.flops() / 1e6,
            w.scale
        ));
        ready.push(Ready::new(w));
        specs.push(spec);
    }
    let target = Target {
        device: req.profile.clone(),
        runtime: Some(RuntimeProfile::find("builtin")?),
        devices: vec![req.profile.clone()],
    };
    let workload = Workload {
        models: specs.clone(),
        constraints: Default::default(),
    };
    let prep = MultiModelPredictor::default().prepare(&workload, &target)?;
    let mut table = plan::threads::SingleTable::new(&prep);
    let plan = match (req.strategy, req.split_threads) {
        (Strategy::Parallel, true) => plan::parallel_split(&prep, &mut table),
        (Strategy::Batched, true) => plan::batched_split(&prep, &mut table),
        (s, _) => prep.plan(s),
    };
    let predicted = prep.evaluate(&plan);
    let threads: Vec<usize> = (0..specs.len())
        .map(|i| prep.threads(i, &plan) as usize)
        .collect();
    // Warm-up (page faults, caches) and the reference outputs.
    let mut max_error = 0.0f64;
    for (r, &t) in ready.iter().zip(&threads) {
        let reference = r.reference();
        let out = r.run(t);
        max_error = max_error.max(workload::max_relative_error(&out, &reference));
    }
    let mut runs = Vec::new();
    for k in 0..req.repeat.max(1) {
        let (makespan, lat) = run_plan(&ready, &plan.groups, &threads);
        progress(&format!(
            "{}{} run {}: {:.2} ms",
            req.strategy.name(),
            if req.split_threads {
                " (split threads)"
            } else {
                ""
            },
            k + 1,
            makespan
        ));
        runs.push((makespan, lat));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (makespan, latencies) = runs.swap_remove(runs.len() / 2);
    let timestamp_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3);
    let measurement = Measurement {
        timestamp_ms,
        source: "mmperf measure".to_string(),
        hardware: req.profile.id.clone(),
        profiles: vec![req.profile.clone()],
        strategy: req.strategy,
        groups: plan.groups.clone(),
        models: specs
            .iter()
            .zip(&predicted.models)
            .zip(&latencies)
            .zip(&threads)
            .map(|(((s, p), &measured_ms), &t)| {
                let mut spec = s.clone();
                spec.threads = Some(t as u32);
                MeasuredModel {
                    spec,
                    predicted_ms: p.latency_ms,
                    measured_ms,
                }
            })
            .collect(),
        predicted_makespan_ms: predicted.combined_latency_ms,
        measured_makespan_ms: makespan,
        memory_mb: None,
    };
    measurement.validate()?;
    Ok(Measured {
        measurement,
        max_error,
    })
}

/// Runs the groups one after another, the models of a group at once; returns the makespan and each
/// model's latency (its own start to end), ms.
fn run_plan(ready: &[Ready], groups: &[Vec<usize>], threads: &[usize]) -> (f64, Vec<f64>) {
    let mut lat = vec![0.0; ready.len()];
    let t0 = Instant::now();
    for g in groups {
        let times: Vec<(usize, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = g
                .iter()
                .map(|&i| {
                    let r = &ready[i];
                    let t = threads[i];
                    s.spawn(move || (i, r.timed(t).0))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        for (i, ms) in times {
            lat[i] = ms;
        }
    }
    (t0.elapsed().as_secs_f64() * 1e3, lat)
}
