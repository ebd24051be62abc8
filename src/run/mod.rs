//! The run protocol shared by the browser pool (`ResourcePool.run`) and `mmperf measure`: from a plan, the
//! stages (the plan's groups, one after another) and the lanes inside a stage (models that share a limited
//! backend take turns); per model, its backends tried in order until one succeeds, each attempt a typed
//! [`Status`]; and from the outcomes, the run's summary and the [`Measurement`] it records.
//!
//! Platform-free: the clock and the work are the [`Executor`]'s. The pool's executor calls JS executors,
//! workers, WebGPU and WebNN; the native one runs built-in workloads on threads; a test executor runs on a
//! virtual clock. Futures here never need a runtime of their own: the executor decides how a stage's lanes
//! run at once (`join_all` in a page, scoped threads natively).

use crate::flatmap::FlatMap;
use std::future::Future;

use crate::calibrate::{MeasuredModel, Measurement};
use crate::catalog::hardware::DeviceProfile;
use crate::predict::multi::{MultiPrediction, Plan};
use crate::predict::spec::ModelSpec;

/// How one attempt (or a model's run, by its last attempt) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It produced outputs that passed their check.
    Ok,
    /// It threw, rejected or could not start.
    Error,
    /// It gave no result within the timeout.
    Timeout,
    /// Its outputs failed the check (non-finite, off the reference, or the model's own `validate`).
    InvalidOutput,
}

impl Status {
    /// Every status, in a fixed order.
    pub const ALL: [Status; 4] = [Self::Ok, Self::Error, Self::Timeout, Self::InvalidOutput];

    /// The JSON name: `ok`, `error`, `timeout`, `invalid-output`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Timeout => "timeout",
            Status::InvalidOutput => "invalid-output",
        }
    }
}

/// What an executor's attempt resolved to: its status, why it failed, and what it produced (the executor's
/// own type: JS outputs and their check in a page, nothing natively).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempted<O> {
    /// How it ended.
    pub status: Status,
    /// Why, when it did not succeed.
    pub error: Option<String>,
    /// What it produced (kept for the last attempt).
    pub output: O,
}

impl<O> Attempted<O> {
    /// A failed attempt with its reason.
    pub fn failed(status: Status, error: impl Into<String>, output: O) -> Attempted<O> {
        Attempted { status, error: Some(error.into()), output }
    }

    /// A successful attempt.
    pub fn ok(output: O) -> Attempted<O> {
        Attempted { status: Status::Ok, error: None, output }
    }
}

/// One attempt of a model on one backend of its chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Index into the model's backend chain (0: the planned backend).
    pub backend: usize,
    /// How it ended.
    pub status: Status,
    /// Its duration, ms.
    pub ms: f64,
    /// Why, when it did not succeed.
    pub error: Option<String>,
}

/// One model's run: every attempt, and the last one's status, backend and output.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<O> {
    /// The last attempt's status (`Ok` when any attempt succeeded: the first success ends the run).
    pub status: Status,
    /// Index into the chain of the backend that ran last.
    pub backend: usize,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Start of the successful attempt (or of the first one, when none succeeded), ms from the run's start.
    pub start_ms: f64,
    /// End of the last attempt, ms from the run's start.
    pub end_ms: f64,
    /// The successful attempt's duration (what the model costs on that backend); the whole span otherwise.
    pub latency_ms: f64,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// What the last attempt produced.
    pub output: O,
}

impl<O> Outcome<O> {
    /// Whether the model ran and its outputs passed.
    pub fn ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Whether it succeeded on another backend than the planned one.
    pub fn fell_back(&self) -> bool {
        self.ok() && self.backend != 0
    }

    /// A model the run never reached (at `at_ms` from the run's start).
    pub fn not_run(reason: &str, at_ms: f64, output: O) -> Outcome<O> {
        Outcome {
            status: Status::Error,
            backend: 0,
            attempts: Vec::new(),
            start_ms: at_ms,
            end_ms: at_ms,
            latency_ms: 0.0,
            error: Some(reason.to_string()),
            output,
        }
    }
}

/// The work of a run: a clock, and one attempt of a model on one backend of its chain.
pub trait Attempts {
    /// What an attempt produces.
    type Output;
    /// Milliseconds on the executor's clock (any origin).
    fn now_ms(&self) -> f64;
    /// How many backends `model` may try (1 without fallback, else its chain's length; at least 1).
    fn tries(&self, model: usize) -> usize;
    /// Runs `model` on backend `backend` of its chain (`backend` is also the attempt's number).
    fn attempt(
        &self,
        model: usize,
        backend: usize,
    ) -> impl Future<Output = Attempted<Self::Output>>;
}

/// An executor: attempts, and how a stage's lanes run at once. [`run_lane`] runs one lane.
pub trait Executor: Attempts {
    /// Runs every lane of a stage at once (each lane's models one after another, from [`run_lane`]) and
    /// returns each model's outcome with its index. `t0` is the run's start on [`Attempts::now_ms`]'s clock.
    fn run_stage(
        &self,
        lanes: &[Vec<usize>],
        t0: f64,
    ) -> impl Future<Output = Vec<(usize, Outcome<Self::Output>)>>;
}

/// Runs `model`: its backends in order until one succeeds (at most [`Attempts::tries`]).
pub async fn run_model<A: Attempts + ?Sized>(a: &A, model: usize, t0: f64) -> Outcome<A::Output> {
    let start = a.now_ms() - t0;
    let mut attempts = Vec::new();
    let mut succeeded_at = None;
    let mut last = None;
    for backend in 0..a.tries(model).max(1) {
        let a0 = a.now_ms();
        let got = a.attempt(model, backend).await;
        let ms = a.now_ms() - a0;
        attempts.push(Attempt { backend, status: got.status, ms, error: got.error.clone() });
        let ok = got.status == Status::Ok;
        last = Some((backend, got));
        if ok {
            succeeded_at = Some((a0 - t0, ms));
            break;
        }
    }
    let end = a.now_ms() - t0;
    let (backend, got) = last.expect("at least one attempt");
    let (start_ms, latency_ms) = succeeded_at.unwrap_or((start, end - start));
    Outcome {
        status: got.status,
        backend,
        attempts,
        start_ms,
        end_ms: end,
        latency_ms,
        error: got.error,
        output: got.output,
    }
}

/// Runs a lane's models one after another.
pub async fn run_lane<A: Attempts + ?Sized>(
    a: &A,
    lane: &[usize],
    t0: f64,
) -> Vec<(usize, Outcome<A::Output>)> {
    let mut out = Vec::with_capacity(lane.len());
    for &i in lane {
        out.push((i, run_model(a, i, t0).await));
    }
    out
}

/// One stage of a run: the models of one group of the plan, in lanes.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Lanes that run at once; a lane's models run one after another.
    pub lanes: Vec<Vec<usize>>,
    /// Lane keys (backends) that more than one model of the stage uses, with how many use them.
    pub shared: Vec<(String, usize)>,
}

/// The stages of a plan's `groups`: in each, the models grouped by `keys[i]` (the backend each model runs
/// on first), each key's models dealt round-robin into at most `limits[key]` lanes (every model its own lane
/// when the key has no limit). Lanes are ordered by key, then by lane.
pub fn stages(groups: &[Vec<usize>], keys: &[&str], limits: &FlatMap<&str, usize>) -> Vec<Stage> {
    groups
        .iter()
        .map(|group| {
            let mut by_key: FlatMap<&str, Vec<usize>> = FlatMap::new();
            for &i in group {
                by_key.entry(keys[i]).or_default().push(i);
            }
            let mut lanes = Vec::new();
            let mut shared = Vec::new();
            for (key, members) in by_key {
                if members.len() > 1 {
                    shared.push((key.to_string(), members.len()));
                }
                let limit = limits.get(key).copied().unwrap_or(members.len()).max(1);
                let mut ls = vec![Vec::new(); limit.min(members.len())];
                let n = ls.len();
                for (k, i) in members.into_iter().enumerate() {
                    ls[k % n].push(i);
                }
                lanes.extend(ls);
            }
            Stage { lanes, shared }
        })
        .collect()
}

/// A finished run: each model's outcome (in model order) and the makespan.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran<O> {
    /// Per model, in the order of the models.
    pub outcomes: Vec<Outcome<O>>,
    /// From the first stage's start to the last one's end, ms.
    pub makespan_ms: f64,
}

/// Runs `stages` one after another on `exec` for `models` models; a model no stage holds is an error
/// outcome ("the plan did not include this model") with `missing`'s output.
pub async fn run<E: Executor>(
    exec: &E,
    stages: &[Stage],
    models: usize,
    missing: impl Fn() -> E::Output,
) -> Ran<E::Output> {
    let mut outcomes: Vec<Option<Outcome<E::Output>>> = (0..models).map(|_| None).collect();
    let t0 = exec.now_ms();
    for stage in stages {
        for (i, o) in exec.run_stage(&stage.lanes, t0).await {
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = Some(o);
            }
        }
    }
    let makespan_ms = exec.now_ms() - t0;
    let outcomes = outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Outcome::not_run("the plan did not include this model", makespan_ms, missing())
            })
        })
        .collect();
    Ran { outcomes, makespan_ms }
}

/// What a measurement records besides the outcomes: the models as predicted, the profiles predicted with,
/// where it ran and when.
pub struct Basis {
    /// The model entries as predicted (their `threads` as the plan ran them).
    pub specs: Vec<ModelSpec>,
    /// Every device profile the prediction used (the first is the main device).
    pub profiles: Vec<DeviceProfile>,
    /// The main device's id.
    pub hardware: String,
    /// Who measured (`pool`, `mmperf measure`).
    pub source: String,
    /// When, ms since the Unix epoch (the executor's wall clock).
    pub timestamp_ms: f64,
}

/// A run summed up: successes, items per second of the models that succeeded, and the measurement when every
/// model succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Models that succeeded.
    pub succeeded: usize,
    /// Models that did not.
    pub failed: usize,
    /// Items (batch sizes of the models that succeeded) per second of makespan.
    pub throughput: f64,
    /// The run as a measurement, when every model succeeded; else why it is not one.
    pub measurement: std::result::Result<Measurement, String>,
}

/// Sums up `ran`, made under `plan` with `predicted`, as a [`Summary`] (the measurement is not validated
/// here: the store that records it does).
pub fn summarise<O>(
    ran: &Ran<O>,
    plan: &Plan,
    predicted: &MultiPrediction,
    basis: Basis,
) -> Summary {
    let succeeded = ran.outcomes.iter().filter(|o| o.ok()).count();
    let failed = ran.outcomes.len() - succeeded;
    let items: f64 = ran
        .outcomes
        .iter()
        .zip(&basis.specs)
        .filter(|(o, _)| o.ok())
        .map(|(_, s)| f64::from(s.batch_size))
        .sum();
    let throughput = if ran.makespan_ms > 0.0 { items / (ran.makespan_ms / 1e3) } else { 0.0 };
    let measurement = if failed == 0 {
        let m = Measurement {
            timestamp_ms: basis.timestamp_ms,
            source: basis.source,
            hardware: basis.hardware,
            profiles: basis.profiles,
            strategy: plan.strategy,
            groups: plan.groups.clone(),
            models: basis
                .specs
                .into_iter()
                .zip(&ran.outcomes)
                .zip(&predicted.models)
                .map(|((spec, o), p)| MeasuredModel {
                    spec,
                    predicted_ms: p.latency_ms,
                    measured_ms: o.latency_ms.max(1e-3),
                })
                .collect(),
            predicted_makespan_ms: predicted.combined_latency_ms,
            measured_makespan_ms: ran.makespan_ms.max(1e-3),
            memory_mb: None,
        };
        Ok(m)
    } else {
        Err(format!(
            "not recorded as a measurement: {failed} of {} models failed",
            ran.outcomes.len()
        ))
    };
    Summary { succeeded, failed, throughput, measurement }
}
