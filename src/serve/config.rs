//! What to simulate: the traffic of each model, the scheduling policy, the simulated span and thermal
//! throttling, validated once at the boundary into errors that name the field.

use crate::error::{Error, Result};

/// How requests arrive at one model.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// Independent requests (a Poisson process): the usual model of many users acting independently.
    Poisson {
        /// Mean requests per second, ≥ 0.
        rate_per_s: f64,
    },
    /// One request every `1 / rate_per_s` seconds (a camera, a polling client), starting at a random phase
    /// drawn from the seed so that several periodic models do not all fire at time 0.
    Periodic {
        /// Requests per second, ≥ 0.
        rate_per_s: f64,
    },
    /// Recorded arrival times, ms from the start, ascending; times at or after `duration_s` are ignored.
    /// A trace is replayed as is: [`crate::serve::capacity`] does not scale it.
    Trace {
        /// Arrival times, ms.
        times_ms: Vec<f64>,
    },
    /// The model gets no traffic.
    None,
}

impl Arrivals {
    /// Rate that capacity search may scale (Poisson and Periodic), requests/s.
    pub(crate) fn scalable_rate(&self) -> f64 {
        match self {
            Arrivals::Poisson { rate_per_s } | Arrivals::Periodic { rate_per_s } => *rate_per_s,
            _ => 0.0,
        }
    }

    /// Expected requests over `duration_s` at `scale` times the rate.
    pub(crate) fn expected_requests(&self, duration_s: f64, scale: f64) -> f64 {
        match self {
            Arrivals::Trace { times_ms } => {
                times_ms.partition_point(|&t| t < duration_s * 1e3) as f64
            }
            other => other.scalable_rate() * scale * duration_s,
        }
    }
}

/// Who runs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Each model has its own server and FIFO queue; servers run concurrently and slow each other down
    /// exactly as in the batch simulator's parallel plan (processor sharing of the device).
    Parallel,
    /// One shared execution slot; requests of all models run one at a time in arrival order.
    Fifo,
    /// One shared slot; the waiting request with the shortest service time alone runs next (ties: arrival).
    ShortestJobFirst,
    /// One shared slot; the waiting request whose model has the lowest level runs next (ties: arrival).
    /// Level 0 is the most urgent, as in Triton's and vLLM's priority scheduling. One level per model.
    Priority(Vec<u32>),
}

impl Policy {
    /// Lower-case name.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Parallel => "parallel",
            Policy::Fifo => "fifo",
            Policy::ShortestJobFirst => "shortest_job_first",
            Policy::Priority(_) => "priority",
        }
    }

    /// Whether all models share one execution slot (every policy but [`Policy::Parallel`]).
    pub fn is_shared_slot(&self) -> bool {
        !matches!(self, Policy::Parallel)
    }
}

/// Thermal throttling of sustained runs (laptops, phones): from `after_ns` on, every request progresses
/// `speed` times as fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// Virtual time at which the clocks drop, ns from the start.
    pub after_ns: u64,
    /// Speed after the drop, 0 < speed ≤ 1.
    pub speed: f64,
}

/// A serving simulation: traffic per model, policy, span, seed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Traffic of each model (index = model index in the workload).
    pub arrivals: Vec<Arrivals>,
    /// Scheduling policy.
    pub policy: Policy,
    /// Requests arrive during `[0, duration_s)`; queued requests are then drained so that every measured
    /// request has a latency.
    pub duration_s: f64,
    /// Requests arriving before this are simulated but not measured (the queues start empty, which is
    /// not the steady state).
    pub warmup_s: f64,
    /// Seed of the arrival processes.
    pub seed: u64,
    /// Thermal throttling, if the device drops its clocks under sustained load.
    pub throttle: Option<Throttle>,
}

/// Most requests one simulation may expect: bounds memory (8 bytes per measured latency) and time, in
/// wasm's 4 GB address space too.
pub const MAX_REQUESTS: f64 = 20_000_000.0;

/// Longest simulated span, s (about 115 days): keeps every time in integer nanoseconds far from u64's end.
pub const MAX_DURATION_S: f64 = 1e7;

impl ServeConfig {
    /// A configuration with seed 0, no throttling and the first tenth of `duration_s` as warm-up.
    pub fn new(arrivals: Vec<Arrivals>, policy: Policy, duration_s: f64) -> Self {
        ServeConfig {
            arrivals,
            policy,
            duration_s,
            warmup_s: duration_s / 10.0,
            seed: 0,
            throttle: None,
        }
    }

    /// End of arrivals, ns.
    pub(crate) fn end_ns(&self) -> u64 {
        (self.duration_s * 1e9).round() as u64
    }

    /// Start of the measured window, ns.
    pub(crate) fn warmup_ns(&self) -> u64 {
        (self.warmup_s * 1e9).round() as u64
    }

    /// Checks every field for a workload of `models` models.
    pub fn validate(&self, models: usize) -> Result<()> {
        self.validate_span()?;
        if self.arrivals.len() != models {
            return Err(Error::invalid(
                "arrivals",
                format!("{} entries", self.arrivals.len()),
                format!("one entry per model ({models})"),
            ));
        }
        for (i, a) in self.arrivals.iter().enumerate() {
            validate_arrivals(a, i)?;
        }
        if let Policy::Priority(levels) = &self.policy {
            if levels.len() != models {
                return Err(Error::invalid(
                    "policy.priority",
                    format!("{} levels", levels.len()),
                    format!("one level per model ({models})"),
                ));
            }
        }
        if let Some(t) = self.throttle {
            if !(t.speed.is_finite() && t.speed > 0.0 && t.speed <= 1.0) {
                return Err(Error::invalid("throttle.speed", t.speed, "a number in (0, 1]"));
            }
        }
        check_request_count(self.expected_requests(1.0), "arrivals")
    }

    fn validate_span(&self) -> Result<()> {
        let d = self.duration_s;
        if !(d.is_finite() && d > 0.0 && d <= MAX_DURATION_S) {
            return Err(Error::invalid(
                "duration_s",
                d,
                format!("a number of seconds in (0, {MAX_DURATION_S:e}]"),
            ));
        }
        let w = self.warmup_s;
        if !(w.is_finite() && w >= 0.0 && w < d) {
            return Err(Error::invalid(
                "warmup_s",
                w,
                "a number of seconds ≥ 0 and below duration_s",
            ));
        }
        if self.end_ns() <= self.warmup_ns() {
            return Err(Error::invalid("duration_s", d, "at least 1 ns longer than warmup_s"));
        }
        Ok(())
    }

    /// Expected requests of all models with Poisson and Periodic rates scaled by `scale`.
    pub(crate) fn expected_requests(&self, scale: f64) -> f64 {
        self.arrivals.iter().map(|a| a.expected_requests(self.duration_s, scale)).sum()
    }
}

/// Refuses a simulation expected to exceed [`MAX_REQUESTS`].
pub(crate) fn check_request_count(expected: f64, field: &str) -> Result<()> {
    if expected <= MAX_REQUESTS {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        format!("about {expected:.0} requests"),
        format!(
            "at most {MAX_REQUESTS:.0} requests in one simulation (lower the rates or duration_s)"
        ),
    ))
}

fn validate_arrivals(a: &Arrivals, i: usize) -> Result<()> {
    match a {
        Arrivals::Poisson { rate_per_s } | Arrivals::Periodic { rate_per_s } => {
            if rate_per_s.is_finite() && *rate_per_s >= 0.0 {
                return Ok(());
            }
            Err(Error::invalid(
                format!("arrivals[{i}].rate_per_s"),
                rate_per_s,
                "a finite number of requests per second ≥ 0",
            ))
        }
        Arrivals::Trace { times_ms } => validate_trace(times_ms, i),
        Arrivals::None => Ok(()),
    }
}

fn validate_trace(times_ms: &[f64], i: usize) -> Result<()> {
    let mut previous = 0.0;
    for (j, &t) in times_ms.iter().enumerate() {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::invalid(
                format!("arrivals[{i}].times_ms[{j}]"),
                t,
                "a finite time in ms ≥ 0",
            ));
        }
        if t < previous {
            return Err(Error::invalid(
                format!("arrivals[{i}].times_ms[{j}]"),
                t,
                format!("times sorted ascending (the previous one is {previous})"),
            ));
        }
        previous = t;
    }
    Ok(())
}
