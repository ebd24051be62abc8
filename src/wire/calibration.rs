//! JSON of calibration: measurements (read and written: they are stored, exported and imported), and the
//! validation and refit reports. camelCase out; snake_case accepted in.

use crate::flatmap::FlatMap;

use serde::{Deserialize, Serialize};

use super::{lenient, HardwareProfileDto, ModelEntryDto};
use crate::calibrate::{ErrorStats, Fit, MeasuredModel, Measurement, Validation};
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::models::ChainGemm;
use crate::error::{Error, Result};
use crate::predict::multi::Strategy;
use crate::predict::spec::{CustomModel, ModelSpec};

/// A model entry with everything explicit (for storage).
impl From<&ModelSpec> for ModelEntryDto {
    fn from(s: &ModelSpec) -> ModelEntryDto {
        let mut d = ModelEntryDto {
            model_name: Some(s.name.clone()),
            model_type: s.model_type.map(|t| t.name().to_string()),
            batch_size: Some(f64::from(s.batch_size)),
            precision: Some(s.precision.name().to_string()),
            sequence_length: s.sequence_length.map(f64::from),
            image_size: s.image_size.map(f64::from),
            audio_seconds: s.audio_seconds,
            output_tokens: s.output_tokens.map(f64::from),
            threads: s.threads.map(f64::from),
            device: s.device.clone(),
            runtime: s.runtime.clone(),
            head: s.head.map(|h| h.name().to_string()),
            memory_format: s.memory_format.map(|m| m.name().to_string()),
            attention: s.attention.map(|a| a.name().to_string()),
            ..ModelEntryDto::default()
        };
        match &s.custom {
            None => {}
            Some(CustomModel::Size { params_m, gflops }) => {
                d.params = Some(*params_m);
                d.gflops = *gflops;
            }
            Some(CustomModel::Arch(a)) => {
                d.architecture = Some(super::ArchDto {
                    family: Some(if a.decoder { "decoder" } else { "encoder" }.to_string()),
                    layers: Some(f64::from(a.layers)),
                    hidden: Some(f64::from(a.hidden)),
                    heads: Some(f64::from(a.heads)),
                    kv_heads: a.kv_heads.map(f64::from),
                    ffn: a.ffn.map(f64::from),
                    vocab: a.vocab.map(f64::from),
                    gated: Some(a.gated),
                });
            }
            Some(CustomModel::Chain(g)) => {
                d.chain = Some(g.iter().map(|ChainGemm { m, k, n }| [*m, *k, *n]).collect());
            }
            Some(CustomModel::Graph(g)) => d.graph = Some(super::graph::GraphDto::of(g)),
        }
        d
    }
}

/// One measured model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MeasuredModel"))]
pub struct MeasuredModelDto {
    /// The entry as predicted.
    pub model: ModelEntryDto,
    /// Predicted latency before the run, ms.
    #[serde(alias = "predicted_ms", deserialize_with = "lenient::number")]
    pub predicted_ms: f64,
    /// Measured latency, ms.
    #[serde(alias = "measured_ms", deserialize_with = "lenient::number")]
    pub measured_ms: f64,
}

/// A measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MeasurementRecord"))]
pub struct MeasurementDto {
    /// Store id (absent until stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub id: Option<i64>,
    /// ms since the Unix epoch.
    #[serde(alias = "timestamp_ms", deserialize_with = "lenient::number")]
    pub timestamp_ms: f64,
    /// Who measured.
    #[serde(default = "external")]
    pub source: String,
    /// Profile id the run is attributed to.
    pub hardware: String,
    /// Every profile used.
    pub profiles: Vec<HardwareProfileDto>,
    /// Strategy.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: String,
    /// Groups run one after another.
    pub groups: Vec<Vec<usize>>,
    /// Models.
    pub models: Vec<MeasuredModelDto>,
    /// Predicted makespan, ms.
    #[serde(alias = "predicted_makespan_ms", deserialize_with = "lenient::number")]
    pub predicted_makespan_ms: f64,
    /// Measured makespan, ms.
    #[serde(alias = "measured_makespan_ms", deserialize_with = "lenient::number")]
    pub measured_makespan_ms: f64,
    /// Peak memory, MB.
    #[serde(default, alias = "memory_mb", deserialize_with = "lenient::option")]
    pub memory_mb: Option<f64>,
}

fn external() -> String {
    "external".to_string()
}

/// A measurement as JSON.
pub fn measurement_dto(m: &Measurement, id: Option<i64>) -> MeasurementDto {
    MeasurementDto {
        id,
        timestamp_ms: m.timestamp_ms,
        source: m.source.clone(),
        hardware: m.hardware.clone(),
        profiles: m.profiles.iter().map(HardwareProfileDto::from).collect(),
        strategy: m.strategy.name().to_string(),
        groups: m.groups.clone(),
        models: m
            .models
            .iter()
            .map(|x| MeasuredModelDto {
                model: ModelEntryDto::from(&x.spec),
                predicted_ms: x.predicted_ms,
                measured_ms: x.measured_ms,
            })
            .collect(),
        predicted_makespan_ms: m.predicted_makespan_ms,
        measured_makespan_ms: m.measured_makespan_ms,
        memory_mb: m.memory_mb,
    }
}

/// Reads and validates a measurement (`field` names it in errors).
pub fn measurement_from_dto(d: MeasurementDto, field: &str) -> Result<Measurement> {
    let f = |k: &str| format!("{field}.{k}");
    let mut profiles = Vec::with_capacity(d.profiles.len());
    for p in d.profiles {
        profiles.push(
            DeviceProfile::try_from(p)
                .map_err(|e| Error::invalid(f("profiles"), "a profile", e.to_string()))?,
        );
    }
    let ids: Vec<String> = profiles.iter().map(|p| p.id.clone()).collect();
    let mut models = Vec::with_capacity(d.models.len());
    for (i, m) in d.models.into_iter().enumerate() {
        models.push(MeasuredModel {
            spec: m.model.into_spec_on(f(&format!("models[{i}]")), &ids)?,
            predicted_ms: m.predicted_ms,
            measured_ms: m.measured_ms,
        });
    }
    let m = Measurement {
        timestamp_ms: d.timestamp_ms,
        source: d.source,
        hardware: d.hardware,
        profiles,
        strategy: Strategy::parse(&f("strategy"), &d.strategy)?,
        groups: d.groups,
        models,
        predicted_makespan_ms: d.predicted_makespan_ms,
        measured_makespan_ms: d.measured_makespan_ms,
        memory_mb: d.memory_mb,
    };
    m.validate().map_err(|e| Error::invalid(field, "rejected", e.to_string()))?;
    Ok(m)
}

/// Error statistics.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ErrorStats"))]
pub struct ErrorStatsDto {
    /// Pairs.
    pub n: usize,
    /// Mean absolute percentage error (0.1 = 10 %).
    pub mean_ape: f64,
    /// Median absolute percentage error.
    pub median_ape: f64,
    /// Mean ln(predicted / measured).
    pub log_bias: f64,
    /// Share within ±10 %.
    pub within10: f64,
    /// Share within ±25 %.
    pub within25: f64,
}

impl From<&ErrorStats> for ErrorStatsDto {
    fn from(s: &ErrorStats) -> Self {
        ErrorStatsDto {
            n: s.n,
            mean_ape: s.mean_ape,
            median_ape: s.median_ape,
            log_bias: s.log_bias,
            within10: s.within_10,
            within25: s.within_25,
        }
    }
}

/// The trend.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ErrorTrend"))]
pub struct TrendDto {
    /// Window size.
    pub window: usize,
    /// Mean APE before.
    pub earlier: f64,
    /// Mean APE recently.
    pub recent: f64,
    /// Difference.
    pub change: f64,
    /// improving, worsening or steady.
    #[cfg_attr(test, ts(type = "TrendDirection"))]
    pub direction: &'static str,
}

/// A validation report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ValidationReport"))]
pub struct ValidationDto {
    /// Measurements.
    pub measurements: usize,
    /// Makespan error.
    pub makespan: ErrorStatsDto,
    /// Per-model latency error.
    pub latency: ErrorStatsDto,
    /// Per-model throughput error.
    pub throughput: ErrorStatsDto,
    /// Makespan error per profile.
    pub by_hardware: FlatMap<String, ErrorStatsDto>,
    /// Makespan error per strategy.
    pub by_strategy: FlatMap<String, ErrorStatsDto>,
    /// Latency error per model.
    pub by_model: FlatMap<String, ErrorStatsDto>,
    /// Trend.
    pub trend: Option<TrendDto>,
    /// Whether to refit.
    pub refit_due: bool,
    /// Why.
    pub reason: String,
}

fn stats_map(m: &FlatMap<String, ErrorStats>) -> FlatMap<String, ErrorStatsDto> {
    m.iter().map(|(k, v)| (k.clone(), v.into())).collect()
}

/// A validation report as JSON.
impl From<&Validation> for ValidationDto {
    fn from(v: &Validation) -> ValidationDto {
        ValidationDto {
            measurements: v.measurements,
            makespan: (&v.makespan).into(),
            latency: (&v.latency).into(),
            throughput: (&v.throughput).into(),
            by_hardware: stats_map(&v.by_hardware),
            by_strategy: stats_map(&v.by_strategy),
            by_model: stats_map(&v.by_model),
            trend: v.trend.as_ref().map(|t| TrendDto {
                window: t.window,
                earlier: t.earlier,
                recent: t.recent,
                change: t.change,
                direction: t.direction.name(),
            }),
            refit_due: v.refit_due,
            reason: v.reason.clone(),
        }
    }
}

/// A refit report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "FitReport"))]
pub struct FitDto {
    /// Profile id.
    pub profile: String,
    /// Multiplier of compute-limited time.
    pub compute_scale: f64,
    /// Multiplier of bandwidth-limited time.
    pub memory_scale: f64,
    /// Multiplier of overheads.
    pub overhead_scale: f64,
    /// Interference per co-running model before.
    pub interference_before: f64,
    /// After (absent: nothing ran together to fit it on).
    pub interference_after: Option<f64>,
    /// Per-model corrections set.
    pub corrections: FlatMap<String, f64>,
    /// Single-model timings used.
    pub rows: usize,
    /// Down-weighted as outliers.
    pub outliers: usize,
    /// Measurements fitted on.
    pub train: usize,
    /// Measurements held out.
    pub test: usize,
    /// Held-out makespan error before.
    pub before: ErrorStatsDto,
    /// Held-out makespan error after.
    pub after: ErrorStatsDto,
    /// Training makespan error before.
    pub train_before: ErrorStatsDto,
    /// Training makespan error after.
    pub train_after: ErrorStatsDto,
    /// The new profile (same id), usable as `--hardware FILE`.
    pub fitted: HardwareProfileDto,
}

/// A refit as JSON.
impl From<&Fit> for FitDto {
    fn from(f: &Fit) -> FitDto {
        FitDto {
            profile: f.fitted.id.clone(),
            compute_scale: f.scales.compute,
            memory_scale: f.scales.memory,
            overhead_scale: f.scales.overhead,
            interference_before: f.interference.0,
            interference_after: f.interference.1,
            corrections: f.corrections.iter().cloned().collect(),
            rows: f.rows,
            outliers: f.outliers,
            train: f.train,
            test: f.test,
            before: (&f.before).into(),
            after: (&f.after).into(),
            train_before: (&f.train_before).into(),
            train_after: (&f.train_after).into(),
            fitted: HardwareProfileDto::from(&f.fitted),
        }
    }
}

/// A stored profile version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "StoredProfile"))]
pub struct StoredProfile {
    /// Profile id.
    pub id: String,
    /// Version (1 = first stored).
    pub version: u32,
    /// When stored, ms since the Unix epoch.
    pub created_ms: f64,
    /// Where it came from.
    pub note: String,
    /// The profile.
    pub profile: HardwareProfileDto,
}

/// A stored fit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "StoredFit"))]
pub struct StoredFit {
    /// When, ms since the Unix epoch.
    pub created_ms: f64,
    /// Profile id.
    pub profile: String,
    /// Version fitted from.
    pub from_version: u32,
    /// Version written.
    pub to_version: u32,
    /// The fit report (`FitDto`).
    #[cfg_attr(test, ts(type = "FitReport"))]
    pub report: serde_json::Value,
}

/// One comparison of strategies by measurement: did the recommendation pick the measured best?
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ComparisonRecord"))]
pub struct ComparisonRecord {
    /// When, ms since the Unix epoch.
    pub created_ms: f64,
    /// Goal compared on.
    #[cfg_attr(test, ts(type = "Goal"))]
    pub goal: String,
    /// The models (names).
    pub models: Vec<String>,
    /// What the recommendation picked.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub recommended: String,
    /// What measured best.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub measured_best: String,
    /// How much worse the recommended strategy measured (0 when it was the best).
    pub loss: f64,
}

/// Recommendation accuracy over comparisons: (hits, comparisons, mean loss when missed).
pub fn accuracy(records: &[ComparisonRecord]) -> (usize, usize, f64) {
    let hits = records.iter().filter(|r| r.recommended == r.measured_best).count();
    let misses: Vec<f64> =
        records.iter().filter(|r| r.recommended != r.measured_best).map(|r| r.loss).collect();
    let mean_loss =
        if misses.is_empty() { 0.0 } else { misses.iter().sum::<f64>() / misses.len() as f64 };
    (hits, records.len(), mean_loss)
}

/// Everything in a store, as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MeasurementExport"))]
pub struct Export {
    /// Format tag.
    pub format: String,
    /// Profile versions.
    pub profiles: Vec<StoredProfile>,
    /// Measurements.
    pub measurements: Vec<MeasurementDto>,
    /// Fit history.
    pub fits: Vec<StoredFit>,
    /// Strategy comparisons (recommendation accuracy over time).
    #[serde(default)]
    pub comparisons: Vec<ComparisonRecord>,
}

/// Format tag of stores and exports.
pub const FORMAT: &str = "mmperf-measurements-1";

/// One measured figure: the median of its last samples and their spread (`measureWasmGemm`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MeasuredFigure"))]
pub struct FigureDto {
    /// Median of the reported window.
    pub median: f64,
    /// Smallest sample of the window.
    pub min: f64,
    /// Largest sample of the window.
    pub max: f64,
    /// Interquartile range of the window relative to the median, %.
    pub iqr_pct: f64,
    /// Samples taken in all.
    pub samples: f64,
    /// Whether the window settled under the target spread (2.5 %) before the time cap.
    pub stable: bool,
}

impl From<&crate::calibrate::figure::Figure> for FigureDto {
    fn from(f: &crate::calibrate::figure::Figure) -> Self {
        FigureDto {
            median: super::r4(f.median),
            min: super::r4(f.min),
            max: super::r4(f.max),
            iqr_pct: super::r4(f.iqr_pct),
            samples: f.samples as f64,
            stable: f.stable,
        }
    }
}

/// `measureWasmGemm`'s result: the tuned GEMM's rates on one thread of this page and the profile they make.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WasmGemmMeasurement"))]
pub struct WasmGemmDto {
    /// `m×k×n` of the large shape.
    pub large_shape: [u32; 3],
    /// GFLOP/s of the large shape.
    pub large: FigureDto,
    /// `m×k×n` of the small shape.
    pub small_shape: [u32; 3],
    /// GFLOP/s of the small shape.
    pub small: FigureDto,
    /// Seconds the measurement took.
    pub seconds: f64,
    /// The base profile with the measured peak and tiles (id `wasm:calibrated`): pass it as `hardware`.
    pub hardware: HardwareProfileDto,
}

impl WasmGemmDto {
    /// The DTO of measurement `g`, which took `seconds`, and the profile `p` made from it.
    pub fn new(g: &crate::calibrate::wasm::WasmGemm, seconds: f64, p: &DeviceProfile) -> Self {
        use crate::calibrate::figure::{LARGE_GEMM as L, SMALL_GEMM as S};
        WasmGemmDto {
            large_shape: [L.m, L.k, L.n],
            large: FigureDto::from(&g.large),
            small_shape: [S.m, S.k, S.n],
            small: FigureDto::from(&g.small),
            seconds: super::r4(seconds),
            hardware: HardwareProfileDto::from(p),
        }
    }
}
