//! How good the predictions are: absolute percentage error relative to the measured value (mean, median),
//! signed bias in log space, the share within ±10 % and ±25 %, per metric and per hardware profile,
//! strategy and model; a trend over a sliding window; and whether a refit is due.

use crate::flatmap::FlatMap;

use super::record::Measurement;

/// Error statistics of a set of (predicted, measured) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorStats {
    /// Pairs.
    pub n: usize,
    /// Mean of |predicted − measured| / measured.
    pub mean_ape: f64,
    /// Median of the same.
    pub median_ape: f64,
    /// Mean of ln(predicted / measured): > 0 predicts slower than measured, < 0 faster.
    pub log_bias: f64,
    /// Share of pairs within ±10 %.
    pub within_10: f64,
    /// Share of pairs within ±25 %.
    pub within_25: f64,
}

impl ErrorStats {
    /// Statistics of `pairs` (predicted, measured); pairs with a non-positive value are skipped.
    pub fn of(pairs: &[(f64, f64)]) -> ErrorStats {
        let good: Vec<(f64, f64)> = pairs
            .iter()
            .copied()
            .filter(|(p, m)| p.is_finite() && m.is_finite() && *p > 0.0 && *m > 0.0)
            .collect();
        let n = good.len();
        if n == 0 {
            return ErrorStats {
                n,
                mean_ape: 0.0,
                median_ape: 0.0,
                log_bias: 0.0,
                within_10: 0.0,
                within_25: 0.0,
            };
        }
        let mut ape: Vec<f64> = good.iter().map(|(p, m)| (p - m).abs() / m).collect();
        crate::sorting::sort_by(&mut ape, f64::total_cmp);
        let nf = n as f64;
        ErrorStats {
            n,
            mean_ape: ape.iter().sum::<f64>() / nf,
            median_ape: median_sorted(&ape),
            log_bias: good.iter().map(|(p, m)| (p / m).ln()).sum::<f64>() / nf,
            within_10: ape.iter().filter(|a| **a <= 0.10).count() as f64 / nf,
            within_25: ape.iter().filter(|a| **a <= 0.25).count() as f64 / nf,
        }
    }
}

/// Median of sorted values (0 for none).
pub fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Which way the error moves over the recent measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The recent window's mean error is lower by more than 2 points.
    Improving,
    /// Higher by more than 2 points.
    Worsening,
    /// Within 2 points, or too few measurements to tell.
    Steady,
}

impl Direction {
    /// Every direction, in a fixed order.
    pub const ALL: [Direction; 3] = [Self::Improving, Self::Worsening, Self::Steady];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Improving => "improving",
            Self::Worsening => "worsening",
            Self::Steady => "steady",
        }
    }
}

/// Makespan error of the last `window` measurements against the `window` before them.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Window size (measurements).
    pub window: usize,
    /// Mean APE of the earlier window.
    pub earlier: f64,
    /// Mean APE of the recent window.
    pub recent: f64,
    /// recent − earlier (APE points as a fraction).
    pub change: f64,
    /// Direction.
    pub direction: Direction,
}

/// Everything `validate` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Measurements considered.
    pub measurements: usize,
    /// Makespan (combined latency) per measurement.
    pub makespan: ErrorStats,
    /// Each model's latency.
    pub latency: ErrorStats,
    /// Each model's throughput (items per second over its latency).
    pub throughput: ErrorStats,
    /// Makespan error per hardware profile id.
    pub by_hardware: FlatMap<String, ErrorStats>,
    /// Makespan error per strategy.
    pub by_strategy: FlatMap<String, ErrorStats>,
    /// Latency error per model name.
    pub by_model: FlatMap<String, ErrorStats>,
    /// Trend, when there are at least two windows of measurements.
    pub trend: Option<Trend>,
    /// Whether a refit is due.
    pub refit_due: bool,
    /// Why (or why not).
    pub reason: String,
}

/// Default refit threshold: mean makespan APE above 15 % (the default).
pub const DEFAULT_THRESHOLD: f64 = 0.15;
/// Default trend window: 10 measurements (about three `--all-strategies` runs), enough that one noisy run
/// (±15 % here) moves the window mean by about 1.5 points, under [`TREND_POINTS`].
pub const DEFAULT_WINDOW: usize = 10;
/// A window mean this much (fraction) better or worse than the one before is a trend.
pub const TREND_POINTS: f64 = 0.02;

/// Validation metrics of `measurements` (ordered by time here, so the input order does not matter).
pub fn validate(measurements: &[Measurement], threshold: f64, window: usize) -> Validation {
    let mut ms: Vec<&Measurement> = measurements.iter().collect();
    crate::sorting::sort_by(&mut ms, |a, b| a.timestamp_ms.total_cmp(&b.timestamp_ms));
    let makespan_pairs: Vec<(f64, f64)> =
        ms.iter().map(|m| (m.predicted_makespan_ms, m.measured_makespan_ms)).collect();
    let mut latency = Vec::new();
    let mut throughput = Vec::new();
    let mut by_hardware: FlatMap<String, Vec<(f64, f64)>> = FlatMap::new();
    let mut by_strategy: FlatMap<String, Vec<(f64, f64)>> = FlatMap::new();
    let mut by_model: FlatMap<String, Vec<(f64, f64)>> = FlatMap::new();
    for m in &ms {
        let pair = (m.predicted_makespan_ms, m.measured_makespan_ms);
        by_hardware.entry(m.hardware.clone()).or_default().push(pair);
        by_strategy.entry(m.strategy.name().to_string()).or_default().push(pair);
        for x in &m.models {
            let b = f64::from(x.spec.batch_size);
            latency.push((x.predicted_ms, x.measured_ms));
            throughput.push((b / x.predicted_ms, b / x.measured_ms));
            by_model.entry(x.spec.name.clone()).or_default().push((x.predicted_ms, x.measured_ms));
        }
    }
    let stats = |m: FlatMap<String, Vec<(f64, f64)>>| {
        m.into_iter().map(|(k, v)| (k, ErrorStats::of(&v))).collect::<FlatMap<_, _>>()
    };
    let window = window.max(1);
    let trend = trend(&makespan_pairs, window);
    let makespan = ErrorStats::of(&makespan_pairs);
    let (refit_due, reason) = verdict(&makespan, trend.as_ref(), threshold, window);
    Validation {
        measurements: ms.len(),
        makespan,
        latency: ErrorStats::of(&latency),
        throughput: ErrorStats::of(&throughput),
        by_hardware: stats(by_hardware),
        by_strategy: stats(by_strategy),
        by_model: stats(by_model),
        trend,
        refit_due,
        reason,
    }
}

/// The change of the mean makespan error between the last two windows of `window` measurements (oldest
/// first), when there are two.
fn trend(makespan_pairs: &[(f64, f64)], window: usize) -> Option<Trend> {
    (makespan_pairs.len() >= 2 * window).then(|| {
        let n = makespan_pairs.len();
        let earlier = ErrorStats::of(&makespan_pairs[n - 2 * window..n - window]).mean_ape;
        let recent = ErrorStats::of(&makespan_pairs[n - window..]).mean_ape;
        let change = recent - earlier;
        Trend {
            window,
            earlier,
            recent,
            change,
            direction: if change > TREND_POINTS {
                Direction::Worsening
            } else if change < -TREND_POINTS {
                Direction::Improving
            } else {
                Direction::Steady
            },
        }
    })
}

/// Whether a refit is due, and why: the mean makespan error above `threshold`, or a worsening trend.
fn verdict(
    makespan: &ErrorStats,
    trend: Option<&Trend>,
    threshold: f64,
    window: usize,
) -> (bool, String) {
    let worsening = trend.is_some_and(|t| t.direction == Direction::Worsening);
    if makespan.n == 0 {
        (false, "no measurements yet".to_string())
    } else if makespan.mean_ape > threshold {
        (
            true,
            format!(
                "mean makespan error {:.1} % is above the {:.1} % threshold",
                100.0 * makespan.mean_ape,
                100.0 * threshold
            ),
        )
    } else if worsening {
        let t = trend.map_or(0.0, |t| t.change);
        (
            true,
            format!(
                "the error is worsening: +{:.1} points over the last {window} measurements",
                100.0 * t
            ),
        )
    } else {
        (
            false,
            format!(
                "mean makespan error {:.1} % is within the {:.1} % threshold",
                100.0 * makespan.mean_ape,
                100.0 * threshold
            ),
        )
    }
}
