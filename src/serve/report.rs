//! What a serving simulation measures (the tally the event loop fills) and what it reports: per-model
//! latency percentiles, throughput, queue wait, utilisation and whether each queue stayed bounded.

use super::config::Policy;

/// A server is saturated at or above this busy fraction; below it a queue can still drain.
pub const STABLE_UTILISATION: f64 = 0.99;

/// A queue is taken as bounded while the mean latency of the last third of the measured window stays within
/// this factor of the first third's: an unbounded queue makes latency grow linearly with time, a bounded one
/// only fluctuates around its mean.
pub const STABLE_TREND: f64 = 1.25;

/// Latency of the measured requests of one model (arrival → completion), ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyStats {
    /// Mean.
    pub mean_ms: f64,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean time in the queue before service starts.
    pub mean_wait_ms: f64,
}

/// One model under load.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelServeReport {
    /// Model name as given.
    pub name: String,
    /// Requests that arrived in the measured window.
    pub arrived: u64,
    /// Of those, completed by the end of the window (the rest completed while the queues drained).
    pub completed: u64,
    /// Measured arrivals per second.
    pub offered_rps: f64,
    /// Completions per second during the window (of any request).
    pub throughput_rps: f64,
    /// Items per second during the window (completions × batch size).
    pub throughput_items_per_s: f64,
    /// Time of one request alone on the device, ms.
    pub service_ms: f64,
    /// Latency of the measured requests; `None` when none arrived in the window.
    pub latency: Option<LatencyStats>,
    /// Busy fraction of its server during the window (shared slot: the share spent on this model).
    pub utilisation: f64,
    /// Mean latency of the window's last third over its first third (1 when either third is empty).
    pub latency_trend: f64,
    /// Requests waiting or in service at the end of the window.
    pub backlog: u64,
    /// Whether its queue stayed bounded: the latency trend is within [`STABLE_TREND`], and under
    /// [`Policy::Parallel`] its server's utilisation is below [`STABLE_UTILISATION`].
    pub kept_up: bool,
}

/// The result of a serving simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeReport {
    /// Policy simulated.
    pub policy: Policy,
    /// Length of the measured window, s.
    pub window_s: f64,
    /// Per model, in the workload's order.
    pub models: Vec<ModelServeReport>,
    /// Fraction of the window in which something ran: the shared slot's busy fraction, or under
    /// [`Policy::Parallel`] the fraction in which at least one model was in service.
    pub utilisation: f64,
    /// Mean latency over all measured requests of all models, ms (`None` when there were none).
    pub mean_latency_ms: Option<f64>,
    /// Every model kept up, and a shared slot stayed below [`STABLE_UTILISATION`].
    pub stable: bool,
    /// Events processed (arrivals, completions, throttling, end of window).
    pub events: u64,
    /// Requests simulated, warm-up included.
    pub requests: u64,
    /// When the last request finished, ms.
    pub drained_ms: f64,
}

/// Running totals of one model.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModelTally {
    arrived: u64,
    completed: u64,
    departures: u64,
    latencies_ns: Vec<u64>,
    wait_ns: u128,
    thirds: [(f64, u64); 3],
    busy_ns: u64,
    backlog: u64,
}

/// Running totals of a simulation; times outside the window `[start_ns, end_ns]` are not measured.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    start_ns: u64,
    end_ns: u64,
    models: Vec<ModelTally>,
    busy_ns: u64,
    requests: u64,
    last_ns: u64,
}

impl Tally {
    pub(crate) fn new(models: usize, start_ns: u64, end_ns: u64) -> Self {
        Tally {
            start_ns,
            end_ns,
            models: vec![ModelTally::default(); models],
            busy_ns: 0,
            requests: 0,
            last_ns: 0,
        }
    }

    fn measured(&self, arrival_ns: u64) -> bool {
        arrival_ns >= self.start_ns
    }

    /// Part of `[from, to]` inside the window.
    fn overlap(&self, from_ns: u64, to_ns: u64) -> u64 {
        to_ns.min(self.end_ns).saturating_sub(from_ns.max(self.start_ns))
    }

    pub(crate) fn arrive(&mut self, m: usize, now: u64) {
        self.requests += 1;
        if self.measured(now) {
            self.models[m].arrived += 1;
        }
    }

    pub(crate) fn start(&mut self, m: usize, arrival_ns: u64, now: u64) {
        if self.measured(arrival_ns) {
            self.models[m].wait_ns += u128::from(now - arrival_ns);
        }
    }

    pub(crate) fn complete(&mut self, m: usize, arrival_ns: u64, start_ns: u64, now: u64) {
        let busy = self.overlap(start_ns, now);
        let in_window = (self.start_ns..=self.end_ns).contains(&now);
        let measured = self.measured(arrival_ns);
        let third = self.third(arrival_ns);
        self.last_ns = now;
        let t = &mut self.models[m];
        t.busy_ns += busy;
        t.departures += u64::from(in_window);
        if measured {
            let latency = now - arrival_ns;
            t.completed += u64::from(now <= self.end_ns);
            t.latencies_ns.push(latency);
            t.thirds[third].0 += latency as f64;
            t.thirds[third].1 += 1;
        }
    }

    /// Which third of the window an arrival falls in.
    fn third(&self, arrival_ns: u64) -> usize {
        let span = u128::from(self.end_ns - self.start_ns).max(1);
        let into = u128::from(arrival_ns.saturating_sub(self.start_ns));
        (into * 3 / span).min(2) as usize
    }

    /// The device (or slot) was busy over `[from, to]`.
    pub(crate) fn busy(&mut self, from_ns: u64, to_ns: u64) {
        self.busy_ns += self.overlap(from_ns, to_ns);
    }

    pub(crate) fn backlog(&mut self, m: usize, requests: u64) {
        self.models[m].backlog = requests;
    }

    /// Turns the totals into the report.
    pub(crate) fn report(
        self,
        machine: &super::Machine,
        policy: &Policy,
        events: u64,
        trend_allowance: f64,
    ) -> ServeReport {
        let window_ns = (self.end_ns - self.start_ns) as f64;
        let window_s = window_ns / 1e9;
        let parallel = !policy.is_shared_slot();
        let mut models = Vec::with_capacity(self.models.len());
        let (mut total_ns, mut total_n) = (0.0, 0u64);
        for (m, mut t) in self.models.into_iter().enumerate() {
            total_ns += t.latencies_ns.iter().map(|&l| l as f64).sum::<f64>();
            total_n += t.latencies_ns.len() as u64;
            models.push(model_report(&mut t, machine, m, window_s, parallel, trend_allowance));
        }
        let utilisation = self.busy_ns as f64 / window_ns;
        let slot_ok = parallel || utilisation < STABLE_UTILISATION;
        ServeReport {
            policy: policy.clone(),
            window_s,
            stable: slot_ok && models.iter().all(|m| m.kept_up),
            models,
            utilisation,
            mean_latency_ms: (total_n > 0).then(|| total_ns / total_n as f64 / 1e6),
            events,
            requests: self.requests,
            drained_ms: self.last_ns as f64 / 1e6,
        }
    }
}

fn model_report(
    t: &mut ModelTally,
    machine: &super::Machine,
    m: usize,
    window_s: f64,
    parallel: bool,
    trend_allowance: f64,
) -> ModelServeReport {
    let utilisation = t.busy_ns as f64 / (window_s * 1e9);
    let latency_trend = trend(&t.thirds);
    let saturated = parallel && utilisation >= STABLE_UTILISATION;
    let throughput_rps = t.departures as f64 / window_s;
    ModelServeReport {
        name: machine.names[m].clone(),
        arrived: t.arrived,
        completed: t.completed,
        offered_rps: t.arrived as f64 / window_s,
        throughput_rps,
        throughput_items_per_s: throughput_rps * f64::from(machine.items[m]),
        service_ms: machine.service_ns[m] as f64 / 1e6,
        latency: latency_stats(&mut t.latencies_ns, t.wait_ns),
        utilisation,
        latency_trend,
        backlog: t.backlog,
        kept_up: !saturated && latency_trend <= trend_allowance,
    }
}

fn trend(thirds: &[(f64, u64); 3]) -> f64 {
    let (first, last) = (thirds[0], thirds[2]);
    if first.1 == 0 || last.1 == 0 || first.0 <= 0.0 {
        return 1.0;
    }
    (last.0 / last.1 as f64) / (first.0 / first.1 as f64)
}

/// Mean, nearest-rank percentiles and maximum; sorts `latencies_ns` in place.
fn latency_stats(latencies_ns: &mut [u64], wait_ns: u128) -> Option<LatencyStats> {
    let n = latencies_ns.len();
    if n == 0 {
        return None;
    }
    latencies_ns.sort_unstable();
    let mean = latencies_ns.iter().map(|&l| l as f64).sum::<f64>() / n as f64;
    let ms = |ns: u64| ns as f64 / 1e6;
    Some(LatencyStats {
        mean_ms: mean / 1e6,
        p50_ms: ms(nearest_rank(latencies_ns, 50)),
        p95_ms: ms(nearest_rank(latencies_ns, 95)),
        p99_ms: ms(nearest_rank(latencies_ns, 99)),
        max_ms: ms(latencies_ns[n - 1]),
        mean_wait_ms: wait_ns as f64 / n as f64 / 1e6,
    })
}

/// The `p`-th percentile of sorted, non-empty values by the nearest-rank method: the smallest value with
/// at least `p` % of the values at or below it, i.e. the value of rank ⌈p·n/100⌉ (integer arithmetic, so
/// no rounding error picks the wrong rank).
pub(crate) fn nearest_rank(sorted: &[u64], p: usize) -> u64 {
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).clamp(1, n);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_the_textbook_examples() {
        // Wikipedia's "Percentile" nearest-rank examples: 15, 20, 35, 40, 50.
        let v = [15, 20, 35, 40, 50];
        for (p, want) in [(5, 15), (30, 20), (40, 20), (50, 35), (100, 50)] {
            assert_eq!(nearest_rank(&v, p), want, "p{p}");
        }
    }

    #[test]
    fn nearest_rank_of_one_value_is_that_value() {
        assert_eq!(nearest_rank(&[7], 1), 7);
        assert_eq!(nearest_rank(&[7], 99), 7);
    }

    #[test]
    fn trend_of_a_growing_queue_exceeds_the_bound() {
        assert!(trend(&[(10.0, 10), (20.0, 10), (40.0, 10)]) > STABLE_TREND);
        assert_eq!(trend(&[(10.0, 10), (0.0, 0), (0.0, 0)]), 1.0);
    }

    #[test]
    fn arrivals_split_into_thirds_of_the_window() {
        let t = Tally::new(1, 100, 400);
        assert_eq!([t.third(100), t.third(199), t.third(200), t.third(399)], [0, 0, 1, 2]);
    }
}
