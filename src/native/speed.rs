//! `mmperf bench`: how long the predictor's own calls take natively, for the speed cases every benchmark of
//! the project shares ([`crate::bench::cases`]), and how many events per second the serving simulator
//! processes. `npm run bench` prints the same cases for the wasm build in node and in headless Chromium.
//!
//! Each case is warmed up, then timed in samples of enough calls to last about 2 ms each; the figure is the
//! median time per call over the samples (robust to the odd slow sample on a shared machine), with the
//! fastest sample beside it.

use std::time::{Duration, Instant};

use super::bench::Figure;
use crate::bench::{self, BenchReport, Call, CaseTiming, ScalingRow, ServeTiming};
use crate::error::Result;
use crate::predict::multi::prepare;
use crate::serve::{self, Policy};
use crate::{Goal, MultiModelPredictor, Strategy, Target};

/// Requests per serving-simulator run.
const SERVE_REQUESTS: f64 = 200_000.0;

/// Times `batch` calls of `f` per sample, for at least `seconds` and `min_samples` samples: the figure (median,
/// min, spread: the calibration's [`Figure`]) of the time per call, µs.
fn sample(seconds: f64, min_samples: usize, batch: u64, mut f: impl FnMut()) -> Figure {
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds || samples.len() < min_samples {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    Figure::of(&samples, samples.len())
}

/// Time per call of `f` over `seconds` after 50 ms of warm-up, in samples of about 2 ms of calls: the figure
/// (µs) and the calls per sample.
fn time(seconds: f64, mut f: impl FnMut()) -> (Figure, u64) {
    let warm = Instant::now();
    let mut calls = 0u64;
    while warm.elapsed() < Duration::from_millis(50) || calls < 3 {
        f();
        calls += 1;
    }
    let per_call = warm.elapsed().as_secs_f64() / calls as f64;
    let batch = ((2e-3 / per_call) as u64).max(1);
    (sample(seconds, 5, batch, f), batch)
}

/// Model counts of the scaling table.
pub const SCALING_MODELS: [usize; 5] = [1, 10, 100, 1_000, 10_000];

/// Median wall time of one call of `f` over at least 3 calls and about 0.3 s, ms.
fn time_few(f: impl FnMut()) -> f64 {
    sample(0.3, 3, 1, f).median / 1e3
}

/// The scaling table: predict and recommend on [`SCALING_MODELS`] models, on each of [`bench::DEVICES`].
pub fn scaling() -> Result<Vec<ScalingRow>> {
    let predictor = MultiModelPredictor::default();
    let mut rows = Vec::new();
    for (short, device) in bench::DEVICES {
        let target = Target::new(device)?;
        for n in SCALING_MODELS {
            let w = bench::catalog_mix(n);
            predictor.recommend(&w, &target, Goal::Throughput)?;
            rows.push(ScalingRow {
                device: short.to_string(),
                models: n,
                predict_ms: time_few(|| {
                    std::hint::black_box(predictor.predict(&w, &target, Strategy::Parallel)).ok();
                }),
                recommend_ms: time_few(|| {
                    std::hint::black_box(predictor.recommend(&w, &target, Goal::Throughput)).ok();
                }),
            });
        }
    }
    Ok(rows)
}

/// The serving simulator's cases: name and policy.
const SERVE_CASES: [(&str, Policy); 2] =
    [("serve/parallel", Policy::Parallel), ("serve/fifo", Policy::Fifo)];

/// Runs every case for about `seconds` each; `only` keeps the cases whose name contains it, or only the one
/// named exactly that where there is one (`recommend/8-models/cpu` without its `/no-memo` twin).
pub fn run(seconds: f64, only: Option<&str>) -> Result<BenchReport> {
    let all = bench::cases();
    let exact = only.filter(|o| {
        all.iter().any(|c| c.name == *o) || SERVE_CASES.iter().any(|(name, _)| name == o)
    });
    let skip = |name: &str| match (exact, only) {
        (Some(o), _) => name != o,
        (None, Some(o)) => !name.contains(o),
        (None, None) => false,
    };
    let mut cases = Vec::new();
    for case in all {
        if skip(&case.name) {
            continue;
        }
        // A predictor of its own per case, so that no case finds another's predictions in its memo.
        let predictor = MultiModelPredictor::default();
        let predictor = if case.memo { predictor } else { predictor.without_memo() };
        let target = Target::new(case.device)?;
        let workload = case.workload();
        // A failing call is reported before anything is timed.
        match case.call {
            Call::Predict => drop(predictor.predict(&workload, &target, Strategy::Parallel)?),
            Call::Recommend => drop(predictor.recommend(&workload, &target, Goal::Throughput)?),
        }
        let (figure, calls_per_sample) = time(seconds, || match case.call {
            Call::Predict => {
                std::hint::black_box(predictor.predict(&workload, &target, Strategy::Parallel))
                    .ok();
            }
            Call::Recommend => {
                std::hint::black_box(predictor.recommend(&workload, &target, Goal::Throughput))
                    .ok();
            }
        });
        cases.push(CaseTiming {
            name: case.name,
            median_us: figure.median,
            min_us: figure.min,
            samples: figure.samples,
            calls_per_sample,
        });
    }
    let mut serve_timings = Vec::new();
    let prep = prepare(&bench::seed(), &Target::new("cuda:a100-40gb")?, &Default::default())?;
    for (name, policy) in SERVE_CASES {
        if skip(name) {
            continue;
        }
        let config = bench::serve_config(&prep, policy, SERVE_REQUESTS)?;
        let events = serve::simulate(&prep, &config)?.events;
        let (figure, _) = time(seconds, || {
            std::hint::black_box(serve::simulate(&prep, &config)).ok();
        });
        serve_timings.push(ServeTiming {
            name: name.to_string(),
            events,
            median_ms: figure.median / 1e3,
            events_per_s: events as f64 / (figure.median * 1e-6),
        });
    }
    Ok(BenchReport {
        build: "native".to_string(),
        seconds_per_case: seconds,
        cases,
        serve: serve_timings,
        scaling: Vec::new(),
    })
}
