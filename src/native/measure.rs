//! `mmperf measure`: runs the built-in workloads of a workload's models on this CPU with a strategy, alone
//! and together as the plan says, and records the run beside the prediction made before it.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;

use super::run::Ready;
use crate::calibrate::Measurement;
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::runtime::RuntimeProfile;
use crate::error::{Error, Result};
use crate::predict::multi::{MultiPrediction, Plan, Strategy, Target, Workload};
use crate::predict::spec::ModelSpec;
use crate::run::{self, Attempted, Attempts, Executor, Outcome};
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
    let (ready, specs) = prepare(req, progress)?;
    let (plan, predicted, threads) = planned(req, &specs)?;
    // Warm-up (page faults, caches) and the reference outputs.
    let mut max_error = 0.0f64;
    for (r, &t) in ready.iter().zip(&threads) {
        let reference = r.reference();
        let out = r.run(t);
        max_error = max_error.max(workload::max_relative_error(&out, &reference));
    }
    let exec = Threads { ready: &ready, threads: &threads, origin: Instant::now() };
    let ran = median_run(req, &exec, &plan.groups, progress);
    let timestamp_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1e3);
    let basis = run::Basis {
        specs: specs
            .iter()
            .zip(&threads)
            .map(|(s, &t)| ModelSpec { threads: Some(t as u32), ..s.clone() })
            .collect(),
        profiles: vec![req.profile.clone()],
        hardware: req.profile.id.clone(),
        source: "mmperf measure".to_string(),
        timestamp_ms,
    };
    let measurement = run::summarise(&ran, &plan, &predicted, basis)
        .measurement
        .map_err(|why| Error::invalid("models", "a run", &why))?;
    measurement.validate()?;
    Ok(Measured { measurement, max_error })
}

/// Each model's built-in workload, ready to run, and its entry as predicted (on this profile, runtime
/// `builtin`, its own threads within the cores).
fn prepare(
    req: &MeasureRequest<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<Ready>, Vec<ModelSpec>)> {
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
    Ok((ready, specs))
}

/// The plan of the request's strategy (with the cores split when asked), its prediction, and each model's
/// threads under it.
fn planned(
    req: &MeasureRequest<'_>,
    specs: &[ModelSpec],
) -> Result<(Plan, MultiPrediction, Vec<usize>)> {
    let target = Target {
        device: req.profile.clone().into(),
        runtime: Some(RuntimeProfile::find("builtin")?),
        devices: vec![req.profile.clone()],
    };
    let workload = Workload { models: specs.to_vec(), constraints: Default::default() };
    let prep = MultiModelPredictor::default().prepare(&workload, &target)?;
    let mut table = plan::threads::SingleTable::new(&prep);
    let plan = match (req.strategy, req.split_threads) {
        (Strategy::Parallel, true) => plan::parallel_split(&prep, &mut table),
        (Strategy::Batched, true) => plan::batched_split(&prep, &mut table),
        (s, _) => prep.plan(s),
    };
    let predicted = prep.evaluate(&plan);
    let threads = (0..specs.len()).map(|i| prep.threads(i, &plan) as usize).collect();
    Ok((plan, predicted, threads))
}

/// Runs the plan's groups `req.repeat` times and keeps the run with the median makespan.
fn median_run(
    req: &MeasureRequest<'_>,
    exec: &Threads<'_>,
    groups: &[Vec<usize>],
    progress: &mut dyn FnMut(&str),
) -> run::Ran<()> {
    let stages =
        run::stages(groups, &vec!["cpu"; exec.ready.len()], &crate::flatmap::FlatMap::new());
    let split = if req.split_threads { " (split threads)" } else { "" };
    let mut runs = Vec::new();
    for k in 0..req.repeat.max(1) {
        let ran = run::run(exec, &stages, exec.ready.len(), || ())
            .now_or_never()
            .expect("native stages run on threads and never wait");
        progress(&format!(
            "{}{split} run {}: {:.2} ms",
            req.strategy.name(),
            k + 1,
            ran.makespan_ms
        ));
        runs.push(ran);
    }
    runs.sort_by(|a, b| a.makespan_ms.total_cmp(&b.makespan_ms));
    runs.swap_remove(runs.len() / 2)
}

/// The built-in workloads on this CPU: a stage's lanes on scoped threads, each model at its planned
/// thread count (one backend, no fallback: a built-in run cannot fail).
struct Threads<'a> {
    ready: &'a [Ready],
    threads: &'a [usize],
    origin: Instant,
}

impl Attempts for Threads<'_> {
    type Output = ();

    fn now_ms(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() * 1e3
    }

    fn tries(&self, _model: usize) -> usize {
        1
    }

    async fn attempt(&self, model: usize, _backend: usize) -> Attempted<()> {
        self.ready[model].run(self.threads[model]);
        Attempted::ok(())
    }
}

impl Executor for Threads<'_> {
    async fn run_stage(&self, lanes: &[Vec<usize>], t0: f64) -> Vec<(usize, Outcome<()>)> {
        std::thread::scope(|s| {
            let handles: Vec<_> = lanes
                .iter()
                .map(|lane| {
                    s.spawn(move || {
                        run::run_lane(self, lane, t0)
                            .now_or_never()
                            .expect("a built-in run never waits")
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).flatten().collect()
        })
    }
}
