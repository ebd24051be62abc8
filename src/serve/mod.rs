//! Serving under load: requests arriving at each model over time, queues, schedulers and latency percentiles.
//!
//! Each model receives requests (Poisson, periodic, or a recorded trace); one request is one run of the
//! model's entry (its batch), taking its predicted latency alone ([`Prepared::single`]). Under
//! [`Policy::Parallel`] every model has its own server and FIFO queue, and the servers that are busy at the
//! same time slow each other down through the batch simulator's processor-sharing model
//! ([`crate::sim::Scenario::rates`] of the parallel plan), so serving and batch predictions share one
//! contention model. The other policies give all models one execution slot and pick the next request by
//! arrival, by shortest service time or by priority (non-preemptive).
//!
//! The simulation runs on virtual time in integer nanoseconds with events ordered by `(time, kind, seq)`,
//! and draws randomness only from its own seeded generator: the same config and seed give the same report,
//! natively and in wasm. Requests that arrive during the warm-up are simulated but not measured; after
//! `duration_s` no request arrives and the queues drain, so every measured request has a latency.
//!
//! Whether a queue stayed bounded is a statistical verdict on one finite run (see [`STABLE_TREND`]): near
//! capacity the mean latency of a third of the window fluctuates by tens of percent over a few thousand
//! requests, so verdicts and [`capacity`] within ~20 % of saturation need runs of 10⁵ requests or more.
//!
//! ```
//! use multimodel_perf::serve::{self, Arrivals, Policy, ServeConfig};
//! use multimodel_perf::{ModelSpec, MultiModelPredictor, Target, Workload};
//!
//! let workload = Workload {
//!     models: vec![ModelSpec::named("bert-base-uncased"), ModelSpec::named("t5-small")],
//!     constraints: Default::default(),
//! };
//! let prep = MultiModelPredictor::default().prepare(&workload, &Target::new("cuda:a100-40gb")?)?;
//! let arrivals = vec![
//!     Arrivals::Poisson { rate_per_s: 30.0 },
//!     Arrivals::Periodic { rate_per_s: 2.0 },
//! ];
//! let report = serve::simulate(&prep, &ServeConfig::new(arrivals, Policy::Fifo, 60.0))?;
//! let bert = report.models[0].latency.expect("bert received requests");
//! assert!(bert.p99_ms >= bert.p50_ms && bert.p50_ms >= report.models[0].service_ms - 1e-6);
//! assert!(report.stable);
//! # Ok::<(), multimodel_perf::Error>(())
//! ```

mod arrivals;
mod capacity;
mod config;
mod engine;
mod report;
mod rng;

pub use capacity::{capacity, max_sustainable_scale, CapacityReport};
pub use config::{Arrivals, Policy, ServeConfig, Throttle, MAX_DURATION_S, MAX_REQUESTS};
pub use report::{LatencyStats, ModelServeReport, ServeReport, STABLE_TREND, STABLE_UTILISATION};

use crate::error::Result;
use crate::predict::multi::{Prepared, Strategy};
use crate::sim::{RateScratch, Scenario};

/// Simulates `config`'s traffic on the prepared workload and reports each model's latency, throughput and
/// utilisation over the measured window.
pub fn simulate(prep: &Prepared, config: &ServeConfig) -> Result<ServeReport> {
    config.validate(prep.models.len())?;
    Ok(run(&Machine::new(prep), config, 1.0))
}

/// Runs a validated config with Poisson and Periodic rates multiplied by `scale`.
fn run(machine: &Machine, config: &ServeConfig, scale: f64) -> ServeReport {
    let (tally, events) = engine::Engine::new(machine, config, scale).run();
    tally.report(machine, &config.policy, events, trend_allowance(config))
}

/// How much the late-window latency may exceed the early one before a queue counts as growing: a thermal
/// throttle that starts inside the measured window slows service by `1 / speed` without any queue growing,
/// so the allowance grows by that factor.
fn trend_allowance(config: &ServeConfig) -> f64 {
    match config.throttle {
        Some(t) if t.after_ns < config.end_ns() && t.speed > 0.0 => STABLE_TREND / t.speed,
        _ => STABLE_TREND,
    }
}

/// The machine requests run on: the parallel plan's contention model and what each model's request costs.
#[derive(Debug, Clone)]
struct Machine {
    /// The batch simulator's input for the parallel plan: one job per model (index = model).
    scenario: Scenario,
    /// Work of one request: its time alone at full speed, ns.
    service_ns: Vec<u64>,
    /// Its time alone on the machine (longer than `service_ns` only when `max_compute` caps the device).
    alone_ns: Vec<u64>,
    /// Model names.
    names: Vec<String>,
    /// Items per request (batch size).
    items: Vec<u32>,
}

impl Machine {
    fn new(prep: &Prepared) -> Self {
        let plan = prep.plan(Strategy::Parallel);
        // The parallel plan's own single-model predictions, so that threads and every other default are
        // exactly those of the batch prediction.
        let singles = prep.singles(&plan);
        let scenario = prep.scenario(&plan, &singles);
        let service_ns: Vec<u64> = scenario.jobs.iter().map(|j| j.solo_ns).collect();
        let mut scratch = RateScratch::default();
        let alone_ns = (0..service_ns.len())
            .map(|i| {
                let rate = scenario.rates(&[i], &mut scratch)[0];
                (service_ns[i] as f64 / rate).ceil() as u64
            })
            .collect();
        Machine {
            scenario,
            service_ns,
            alone_ns,
            names: prep.models.iter().map(|m| m.spec.name.clone()).collect(),
            items: prep.models.iter().map(|m| m.spec.batch_size).collect(),
        }
    }
}
