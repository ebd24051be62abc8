//! Arrival processes turned into a stream of integer-nanosecond arrival times, one stream per model.

use super::config::Arrivals;
use super::rng::Rng;

/// The next arrivals of one model.
#[derive(Debug, Clone)]
pub(crate) enum Source<'a> {
    /// Exponential gaps; the clock is kept in f64 ns so that rounding each arrival to whole nanoseconds
    /// never accumulates into a drift of the rate.
    Poisson { rng: Rng, mean_gap_ns: f64, clock_ns: f64 },
    /// `phase + k · period`, computed from `k` each time for the same reason.
    Periodic { period_ns: f64, phase_ns: f64, count: u64 },
    /// Recorded times.
    Trace { times_ms: &'a [f64], pos: usize },
    /// No traffic.
    Silent,
}

impl<'a> Source<'a> {
    /// The stream of `model` with Poisson and Periodic rates multiplied by `scale`.
    pub(crate) fn new(arrivals: &'a Arrivals, scale: f64, seed: u64, model: usize) -> Self {
        let mut rng = Rng::new(seed, model as u64);
        match arrivals {
            Arrivals::Trace { times_ms } => Source::Trace { times_ms, pos: 0 },
            Arrivals::None => Source::Silent,
            _ if arrivals.scalable_rate() * scale <= 0.0 => Source::Silent,
            Arrivals::Poisson { rate_per_s } => {
                Source::Poisson { mean_gap_ns: 1e9 / (rate_per_s * scale), clock_ns: 0.0, rng }
            }
            Arrivals::Periodic { rate_per_s } => {
                let period_ns = 1e9 / (rate_per_s * scale);
                Source::Periodic { phase_ns: rng.unit() * period_ns, period_ns, count: 0 }
            }
        }
    }

    /// Time of the next arrival, or `None` once the stream reaches `end_ns`.
    pub(crate) fn next(&mut self, end_ns: u64) -> Option<u64> {
        let t = match self {
            Source::Poisson { rng, mean_gap_ns, clock_ns } => {
                *clock_ns += rng.exponential(*mean_gap_ns);
                *clock_ns
            }
            Source::Periodic { period_ns, phase_ns, count } => {
                *count += 1;
                *phase_ns + (*count - 1) as f64 * *period_ns
            }
            Source::Trace { times_ms, pos } => {
                let t = times_ms.get(*pos)? * 1e6;
                *pos += 1;
                t
            }
            Source::Silent => return None,
        };
        // Compared in f64 first: a time beyond u64 saturates in the cast.
        let ns = t.round();
        (ns < end_ns as f64).then_some(ns as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(mut s: Source, end_ns: u64) -> Vec<u64> {
        std::iter::from_fn(|| s.next(end_ns)).collect()
    }

    #[test]
    fn periodic_is_evenly_spaced_from_its_phase() {
        let a = Arrivals::Periodic { rate_per_s: 1000.0 };
        let times = all(Source::new(&a, 1.0, 3, 0), 10_000_000);
        assert_eq!(times.len(), 10);
        assert!(times[0] < 1_000_000);
        assert!(times.windows(2).all(|w| w[1] - w[0] == 1_000_000));
    }

    #[test]
    fn trace_stops_at_the_end() {
        let a = Arrivals::Trace { times_ms: vec![0.0, 1.5, 2.0, 9.0] };
        assert_eq!(all(Source::new(&a, 5.0, 0, 0), 5_000_000), vec![0, 1_500_000, 2_000_000]);
    }

    #[test]
    fn poisson_count_matches_the_rate() {
        // 1 s at 10,000/s: the count is Poisson with σ = 100, so ±500 is 5σ.
        let a = Arrivals::Poisson { rate_per_s: 5000.0 };
        let n = all(Source::new(&a, 2.0, 11, 0), 1_000_000_000).len();
        assert!((9_500..=10_500).contains(&n), "{n}");
    }

    #[test]
    fn zero_rate_is_silent() {
        let a = Arrivals::Poisson { rate_per_s: 0.0 };
        assert!(all(Source::new(&a, 1.0, 0, 0), u64::MAX).is_empty());
    }
}
