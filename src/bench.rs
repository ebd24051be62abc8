//! The workloads every speed measurement of the predictor uses, so that `mmperf bench`, `cargo bench`,
//! `npm run bench` (which builds the same lists from `listModels()`) and the prediction snapshot test
//! time and pin the same calls:
//!
//! - [`seed`]: the three-model workload of the original design (`examples/seed.json`);
//! - [`catalog_mix`]: `n` models cycling through the catalog in its order, batch `1 + i mod 4`, every other
//!   option at its default. Its 8- and 50-model lists are the "recommend 8 / 50 models" of the speed targets.
//!
//! [`BenchReport`] holds what `mmperf bench` measured (the timing itself is native: `native::speed`).

use crate::catalog::models::catalog;
use crate::predict::multi::Workload;
use crate::predict::spec::ModelSpec;

/// The original design's three models: BERT-base at batch 4, ViT-base at batch 1, T5-small at batch 2.
pub fn seed() -> Workload {
    Workload {
        models: vec![
            ModelSpec::named("bert-base-uncased").with_batch(4),
            ModelSpec::named("vit-base-patch16-224"),
            ModelSpec::named("t5-small").with_batch(2),
        ],
        constraints: Default::default(),
    }
}

/// `n` catalog models in catalog order (repeating past its end), model `i` at batch `1 + i mod 4`.
pub fn catalog_mix(n: usize) -> Workload {
    let models = catalog();
    Workload {
        models: (0..n)
            .map(|i| ModelSpec::named(models[i % models.len()].name).with_batch(1 + (i % 4) as u32))
            .collect(),
        constraints: Default::default(),
    }
}

/// The call a speed case times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `predict` under the parallel strategy.
    Predict,
    /// `recommend` for throughput.
    Recommend,
}

/// One timed call: `name` is `call/N-models/target` (with `/no-memo` for a predictor without a memo), the
/// same in every benchmark's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `predict/3-models/cuda`, …
    pub name: String,
    /// What is called.
    pub call: Call,
    /// Models in the workload: 3 is [`seed`], any other count [`catalog_mix`].
    pub models: usize,
    /// Catalog device id.
    pub device: &'static str,
    /// Whether the predictor keeps its single-model predictions and its last resolved workload between
    /// calls (its default, [`crate::predict::memo::SingleMemo`] and [`crate::predict::memo::PreparedMemo`]):
    /// timed calls after the first then take both from its memos. The same case without (`…/no-memo`)
    /// resolves the workload and costs every model on every call.
    pub memo: bool,
}

impl Case {
    /// The case's workload.
    pub fn workload(&self) -> Workload {
        if self.models == 3 {
            seed()
        } else {
            catalog_mix(self.models)
        }
    }
}

/// The GPU and the CPU every case runs on, by short name and catalog id.
pub const DEVICES: [(&str, &str); 2] = [("cuda", "cuda:a100-40gb"), ("cpu", "cpu")];

/// Every speed case: predict 3 and 50 models, recommend 3, 8 and 50 models, on each of [`DEVICES`], each by
/// a predictor with its memo and by one without.
pub fn cases() -> Vec<Case> {
    let calls = [
        (Call::Predict, 3),
        (Call::Predict, 50),
        (Call::Recommend, 3),
        (Call::Recommend, 8),
        (Call::Recommend, 50),
    ];
    let mut out = Vec::new();
    for (short, device) in DEVICES {
        for (call, models) in calls {
            let call_name = match call {
                Call::Predict => "predict",
                Call::Recommend => "recommend",
            };
            for memo in [true, false] {
                let suffix = if memo { "" } else { "/no-memo" };
                let name = format!("{call_name}/{models}-models/{short}{suffix}");
                out.push(Case { name, call, models, device, memo });
            }
        }
    }
    out
}

/// The serving simulator's benchmark: [`seed`] on `cuda:a100-40gb` at 90 % of its sustainable load under
/// `policy`, for about `requests` requests in all (equal Poisson rates).
pub fn serve_config(
    prep: &crate::predict::multi::Prepared,
    policy: crate::serve::Policy,
    requests: f64,
) -> crate::error::Result<crate::serve::ServeConfig> {
    use crate::serve::{max_sustainable_scale, Arrivals, ServeConfig};
    let n = prep.models.len();
    // Equal request rates whose one-at-a-time load is 1; the capacity search then scales them to 90 %.
    let load: f64 = (0..n).map(|i| prep.single(i, 0).latency_ms / 1e3).sum();
    let arrivals = vec![Arrivals::Poisson { rate_per_s: 1.0 / load }; n];
    let probe = ServeConfig::new(arrivals, policy.clone(), 2_000.0 * load);
    let rate = 0.9 * max_sustainable_scale(prep, &probe)? / load;
    Ok(ServeConfig::new(
        vec![Arrivals::Poisson { rate_per_s: rate }; n],
        policy,
        requests / (rate * n as f64),
    ))
}

/// One case's timing.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseTiming {
    /// `predict/3-models/cuda`, …
    pub name: String,
    /// Median time per call, µs.
    pub median_us: f64,
    /// Fastest sample's time per call, µs.
    pub min_us: f64,
    /// Samples taken.
    pub samples: usize,
    /// Calls per sample.
    pub calls_per_sample: u64,
}

/// The serving simulator's speed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeTiming {
    /// `serve/parallel`, `serve/fifo`.
    pub name: String,
    /// Events one run simulates.
    pub events: u64,
    /// Median time per run, ms.
    pub median_ms: f64,
    /// Simulated events per second of wall time, at the median.
    pub events_per_s: f64,
}

/// One size of the scaling table: one call of each kind on `n` models ([`catalog_mix`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRow {
    /// `cuda` or `cpu`.
    pub device: String,
    /// Models.
    pub models: usize,
    /// predict (parallel), median of the calls made, ms.
    pub predict_ms: f64,
    /// recommend (throughput), ms.
    pub recommend_ms: f64,
}

/// Everything `mmperf bench` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// `native` (this build).
    pub build: String,
    /// Time each case was measured for, s.
    pub seconds_per_case: f64,
    /// Predictor calls.
    pub cases: Vec<CaseTiming>,
    /// Serving simulator runs.
    pub serve: Vec<ServeTiming>,
    /// With `--scaling`: predict and recommend on 1 to 10,000 models.
    pub scaling: Vec<ScalingRow>,
}
