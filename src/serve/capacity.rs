//! The maximum sustainable load: the largest factor by which every Poisson and Periodic rate can be
//! multiplied while all queues stay bounded. A shared slot has a closed form (utilisation below 1); parallel
//! servers slow each other down in ways only the simulation knows, so there the factor is found by
//! bisection over simulations.

use super::config::{check_request_count, Arrivals, ServeConfig};
use super::{run, Machine};
use crate::error::{Error, Result};
use crate::predict::multi::Prepared;

/// Relative precision of the bisection: the answer is within 1 % of the stability boundary.
const PRECISION: f64 = 0.01;

/// Bisection steps at most: halving from the upper bound reaches 1 % in 7, so 30 only guards the loop.
const MAX_SIMULATIONS: u32 = 30;

/// How far the traffic can grow.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityReport {
    /// Largest factor k on every Poisson and Periodic rate that stays stable.
    pub scale: f64,
    /// Per model, requests/s at that factor: `k · rate` for Poisson and Periodic traffic, the trace's own
    /// mean rate over `duration_s` for a trace (not scaled), 0 without traffic.
    pub max_rate_per_s: Vec<f64>,
    /// Simulations run (0: the closed form of a shared slot).
    pub simulations: u32,
}

/// The largest factor k by which all Poisson and Periodic rates of `config` can be multiplied while the
/// system stays stable. See [`capacity`].
pub fn max_sustainable_scale(prep: &Prepared, config: &ServeConfig) -> Result<f64> {
    capacity(prep, config).map(|c| c.scale)
}

/// The maximum sustainable load and each model's maximum sustainable rate.
///
/// A shared slot (FIFO, shortest job first, priority) is stable while its utilisation stays below 1:
/// `k = (1 − ρ_trace) / Σ λᵢ Sᵢ`, where `Sᵢ` is model i's time alone at the throttled speed (sustained
/// serving ends up throttled). Under [`super::Policy::Parallel`], bisection between 0 and the bound no
/// server can pass (`min 1 / (λᵢ Sᵢ)`), with a simulation per step using the config's duration, warm-up
/// and seed; a step is stable when [`super::ServeReport::stable`] holds. The bisection stops within 1 % of
/// the boundary the simulations see; how close that boundary is to the true one depends on the run's
/// length (for the seed workload: k between 1.6 and 2.1 over 30 seeds with 20,000 requests, about 2.0
/// with 200,000).
pub fn capacity(prep: &Prepared, config: &ServeConfig) -> Result<CapacityReport> {
    config.validate(prep.models.len())?;
    let machine = Machine::new(prep);
    let speed = config.throttle.map_or(1.0, |t| t.speed);
    let alone_s: Vec<f64> = machine.alone_ns.iter().map(|&ns| ns as f64 / 1e9 / speed).collect();
    let scaled_load: f64 =
        config.arrivals.iter().zip(&alone_s).map(|(a, s)| a.scalable_rate() * s).sum();
    if scaled_load <= 0.0 {
        return Err(Error::invalid(
            "arrivals",
            "no Poisson or Periodic rate above 0",
            "at least one model with a Poisson or Periodic rate > 0 to scale",
        ));
    }
    let (scale, simulations) = if config.policy.is_shared_slot() {
        let trace_load: f64 = trace_rates(config).iter().zip(&alone_s).map(|(r, s)| r * s).sum();
        (((1.0 - trace_load) / scaled_load).max(0.0), 0)
    } else {
        bisect(&machine, config, &alone_s)?
    };
    let traces = trace_rates(config);
    let max_rate_per_s = config
        .arrivals
        .iter()
        .zip(traces)
        .map(|(a, trace)| a.scalable_rate() * scale + trace)
        .collect();
    Ok(CapacityReport { scale, max_rate_per_s, simulations })
}

/// Mean rate of each trace over the simulated span (0 for other arrivals).
fn trace_rates(config: &ServeConfig) -> Vec<f64> {
    config
        .arrivals
        .iter()
        .map(|a| match a {
            Arrivals::Trace { .. } => {
                a.expected_requests(config.duration_s, 1.0) / config.duration_s
            }
            _ => 0.0,
        })
        .collect()
}

/// Bisection on k in `[0, hi]`; keeps the largest k found stable (0 when none is).
fn bisect(machine: &Machine, config: &ServeConfig, alone_s: &[f64]) -> Result<(f64, u32)> {
    // No server can serve more than one request per time alone, at full speed or throttled.
    let hi = config
        .arrivals
        .iter()
        .zip(alone_s)
        .map(|(a, s)| a.scalable_rate() * s)
        .filter(|&load| load > 0.0)
        .map(|load| 1.0 / load)
        .fold(f64::INFINITY, f64::min);
    check_request_count(config.expected_requests(hi), "duration_s")?;
    let (mut lo, mut hi, mut simulations) = (0.0, hi, 0);
    while hi - lo > PRECISION * hi && simulations < MAX_SIMULATIONS {
        let mid = 0.5 * (lo + hi);
        simulations += 1;
        if run(machine, config, mid).stable {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((lo, simulations))
}
