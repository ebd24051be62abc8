//! The JSON boundary: the only serde types in the crate. Inputs accept snake_case and camelCase keys and are
//! validated into domain types (`TryFrom`-style functions that name the field on error); outputs are
//! camelCase with the seed's names (`totalMetrics.combinedThroughput`, …). The CLI and the WebAssembly
//! package both print these, so their numbers are identical.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::hardware::{
    self, Concurrency, DeviceProfile, GemmTile, MemoryPool, Peaks, Platform,
};
use crate::catalog::models;
use crate::catalog::models::ChainGemm;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::{SharingConfig, SharingRule};
use crate::catalog::{ModelType, Precision};
use crate::error::{Error, Result};
use crate::plan::Recommendation;
use crate::predict::multi::{Constraints, MultiPrediction, Workload};
use crate::predict::spec::{ArchSpec, CustomModel, ModelSpec};

pub mod bench;
pub mod calibration;
pub mod capabilities;
pub mod detected;
pub mod graph;
pub mod pool;
pub mod real;
pub mod route;

/// JSON has no NaN or infinity. JavaScript callers' non-finite numbers reach the JSON parser as the strings
/// `"NaN"`, `"Infinity"` and `"-Infinity"` (the wasm layer writes them so) and are read back as numbers, so
/// that validation rejects them by field name like any other bad number.
pub mod lenient {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Number(f64),
        Text(String),
    }

    fn convert<E: serde::de::Error>(n: Num) -> Result<f64, E> {
        match n {
            Num::Number(x) => Ok(x),
            Num::Text(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(E::custom(format!(
                    "expected a number, found the string \"{other}\""
                ))),
            },
        }
    }

    /// An optional number, or one of those strings.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Num>::deserialize(d)?.map(convert).transpose()
    }

    /// A number, or one of those strings.
    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        convert(Num::deserialize(d)?)
    }
}

/// One model entry as written in JSON.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntryDto {
    /// Model name.
    #[serde(alias = "modelName", alias = "name")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Model type.
    #[serde(alias = "modelType")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    /// Batch size.
    #[serde(alias = "batchSize")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<f64>,
    /// Precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// Tokens per item.
    #[serde(alias = "sequenceLength")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_length: Option<f64>,
    /// Image side.
    #[serde(alias = "imageSize")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_size: Option<f64>,
    /// Audio seconds.
    #[serde(alias = "audioSeconds")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_seconds: Option<f64>,
    /// Tokens to generate.
    #[serde(alias = "outputTokens")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<f64>,
    /// CPU threads.
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<f64>,
    /// Placement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Runtime for this model (the device's or the workload's when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Parameters, millions (custom models).
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<f64>,
    /// GFLOPs per item (custom models).
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gflops: Option<f64>,
    /// Layer shapes (custom models).
    #[serde(alias = "arch")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<ArchDto>,
    /// A GEMM chain `[m, k, n]` per GEMM (the built-in synthetic workloads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Vec<[u32; 3]>>,
    /// The model's operators, as `mmperf describe model.onnx` / `describeOnnx` write them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph: Option<graph::GraphDto>,
}

/// Layer shapes of a custom model.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArchDto {
    /// `encoder` or `decoder`.
    pub family: Option<String>,
    /// Layers.
    #[serde(default, deserialize_with = "lenient::option")]
    pub layers: Option<f64>,
    /// Hidden size.
    #[serde(alias = "hidden_size", alias = "hiddenSize", alias = "d_model")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub hidden: Option<f64>,
    /// Heads.
    #[serde(alias = "num_heads", alias = "numHeads")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub heads: Option<f64>,
    /// KV heads.
    #[serde(alias = "kvHeads")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub kv_heads: Option<f64>,
    /// FFN width.
    #[serde(alias = "intermediate_size", alias = "intermediateSize")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub ffn: Option<f64>,
    /// Vocabulary.
    #[serde(alias = "vocab_size", alias = "vocabSize")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub vocab: Option<f64>,
    /// Gated FFN.
    pub gated: Option<bool>,
}

/// Constraints as written in JSON.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintsDto {
    /// Memory budget, MB.
    #[serde(alias = "maxMemory")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_memory: Option<f64>,
    /// Compute share, 0..1.
    #[serde(alias = "maxCompute")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_compute: Option<f64>,
}

/// A workload file: an array of entries, or an object with models and constraints. Deserialised by shape
/// (sequence or map) so that errors inside an entry keep their precise message (an untagged enum would only
/// say that no variant matched).
#[derive(Debug, Clone)]
pub enum WorkloadDto {
    /// `[ {...}, ... ]`
    List(Vec<ModelEntryDto>),
    /// `{ "models": [...], "constraints": {...} }`
    Object(WorkloadObjectDto),
}

impl<'de> Deserialize<'de> for WorkloadDto {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = WorkloadDto;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of model entries or an object with \"models\"")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                Vec::<ModelEntryDto>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(WorkloadDto::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                WorkloadObjectDto::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(WorkloadDto::Object)
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

/// Object form of a workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadObjectDto {
    /// Entries.
    pub models: Vec<ModelEntryDto>,
    /// Limits.
    #[serde(default, alias = "resourceConstraints", alias = "resource_constraints")]
    pub constraints: Option<ConstraintsDto>,
    /// Default hardware target (a command-line `--hardware` wins).
    pub hardware: Option<String>,
    /// Default runtime (a command-line `--runtime` wins).
    pub runtime: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// A parsed workload with the targets it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedWorkload {
    /// Models and constraints.
    pub workload: Workload,
    /// `hardware` key, if any.
    pub hardware: Option<String>,
    /// `runtime` key, if any.
    pub runtime: Option<String>,
}

/// An optional whole number in `min..=max`, or an error naming `field`.
pub(crate) fn count(field: &str, v: Option<f64>, min: f64, max: f64) -> Result<Option<u32>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x.fract() == 0.0 && x >= min && x <= max => Ok(Some(x as u32)),
        Some(x) => Err(Error::invalid(
            field,
            x,
            format!("an integer from {min} to {max}"),
        )),
    }
}

fn positive(field: &str, v: Option<f64>, max: f64) -> Result<Option<f64>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x > 0.0 && x <= max => Ok(Some(x)),
        Some(x) => Err(Error::invalid(
            field,
            x,
            format!("a positive number up to {max}"),
        )),
    }
}

impl ModelEntryDto {
    /// Validates the entry found at `field` (e.g. `models[2]`).
    pub fn into_spec(self, field: &str) -> Result<ModelSpec> {
        self.into_spec_on(field, &[])
    }

    /// Like [`ModelEntryDto::into_spec`], where `device` may also name one of `devices` (profiles outside
    /// the catalog that come with the entry, as in a stored measurement).
    pub fn into_spec_on(self, field: &str, devices: &[String]) -> Result<ModelSpec> {
        let name = self
            .model_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                Error::missing(
                    format!("{field}.model_name"),
                    "a model name such as bert-base-uncased",
                )
            })?;
        let f = |k: &str| format!("{field}.{k}");
        let model_type = self
            .model_type
            .as_deref()
            .map(|t| ModelType::parse(&f("model_type"), t))
            .transpose()?;
        let custom = match (self.params, self.architecture) {
            _ if self.graph.is_some() => Some(CustomModel::Graph(
                self.graph
                    .unwrap_or_default()
                    .into_graph(&f("graph"), model_type)?,
            )),
            _ if self.chain.is_some() => Some(CustomModel::Chain(
                self.chain
                    .unwrap_or_default()
                    .into_iter()
                    .map(|[m, k, n]| ChainGemm { m, k, n })
                    .collect(),
            )),
            (_, Some(a)) => Some(CustomModel::Arch(a.into_spec(&f("architecture"))?)),
            (Some(p), None) => Some(CustomModel::Size {
                params_m: positive(&f("params"), Some(p), 1e7)?.unwrap_or(p),
                gflops: positive(&f("gflops"), self.gflops, 1e9)?,
            }),
            (None, None) if self.gflops.is_some() => {
                return Err(Error::missing(
                    f("params"),
                    "params (millions) must accompany gflops",
                ))
            }
            (None, None) => None,
        };
        if let Some(d) = self.device.as_ref().filter(|d| !devices.contains(d)) {
            hardware::find(d).map_err(|_| {
                Error::invalid(
                    f("device"),
                    d,
                    "a catalog device such as cpu, cuda:a100-40gb or webgpu:integrated",
                )
            })?;
        }
        Ok(ModelSpec {
            name,
            model_type,
            batch_size: count(&f("batch_size"), self.batch_size, 1.0, 65_536.0)?.unwrap_or(1),
            precision: self
                .precision
                .as_deref()
                .map(|p| Precision::parse(&f("precision"), p))
                .transpose()?
                .unwrap_or(Precision::Fp32),
            sequence_length: count(
                &f("sequence_length"),
                self.sequence_length,
                1.0,
                1_048_576.0,
            )?,
            image_size: count(&f("image_size"), self.image_size, 32.0, 8192.0)?,
            audio_seconds: positive(&f("audio_seconds"), self.audio_seconds, 36_000.0)?,
            output_tokens: count(&f("output_tokens"), self.output_tokens, 0.0, 1_048_576.0)?,
            threads: count(&f("threads"), self.threads, 1.0, 4096.0)?,
            device: self.device,
            runtime: self
                .runtime
                .as_deref()
                .map(|r| {
                    RuntimeProfile::find(r).map(|p| p.name).map_err(|_| {
                        let names: Vec<String> =
                            RuntimeProfile::all().into_iter().map(|p| p.name).collect();
                        Error::invalid(f("runtime"), r, format!("one of {}", names.join(", ")))
                    })
                })
                .transpose()?,
            custom,
        })
    }
}

impl ArchDto {
    fn into_spec(self, field: &str) -> Result<ArchSpec> {
        let f = |k: &str| format!("{field}.{k}");
        let need = |k: &str, v: Option<f64>, max: f64| {
            count(&f(k), v, 1.0, max)?.ok_or_else(|| Error::missing(f(k), "a positive integer"))
        };
        let decoder = match self
            .family
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("encoder") => false,
            Some("decoder") => true,
            Some(other) => return Err(Error::invalid(f("family"), other, "encoder or decoder")),
        };
        Ok(ArchSpec {
            decoder,
            layers: need("layers", self.layers, 1000.0)?,
            hidden: need("hidden", self.hidden, 65_536.0)?,
            heads: need("heads", self.heads, 1024.0)?,
            kv_heads: count(&f("kv_heads"), self.kv_heads, 1.0, 1024.0)?,
            ffn: count(&f("ffn"), self.ffn, 1.0, 1_048_576.0)?,
            vocab: count(&f("vocab"), self.vocab, 1.0, 10_000_000.0)?,
            gated: self.gated.unwrap_or(false),
        })
    }
}

impl ConstraintsDto {
    /// Validates the constraints.
    pub fn into_constraints(self) -> Result<Constraints> {
        let max_memory_mb = match self.max_memory {
            Some(m) if !(m.is_finite() && m > 0.0) => {
                return Err(Error::invalid(
                    "constraints.max_memory",
                    m,
                    "a positive number of MB",
                ))
            }
            m => m,
        };
        let max_compute = match self.max_compute {
            Some(x) if !(x.is_finite() && x > 0.0 && x <= 1.0) => {
                return Err(Error::invalid(
                    "constraints.max_compute",
                    x,
                    "a number in (0, 1]",
                ))
            }
            x => x,
        };
        Ok(Constraints {
            max_memory_mb,
            max_compute,
        })
    }
}

pub(crate) fn malformed(what: &str, e: serde_json::Error) -> Error {
    Error::Malformed {
        what: what.to_string(),
        detail: e.to_string(),
    }
}

/// Parses a workload document.
pub fn parse_workload(json: &str) -> Result<ParsedWorkload> {
    let dto: WorkloadDto = serde_json::from_str(json).map_err(|e| malformed("workload", e))?;
    workload_from_dto(dto)
}

/// Validates a workload DTO.
pub fn workload_from_dto(dto: WorkloadDto) -> Result<ParsedWorkload> {
    let (entries, constraints, hardware, runtime) = match dto {
        WorkloadDto::List(m) => (m, None, None, None),
        WorkloadDto::Object(o) => (o.models, o.constraints, o.hardware, o.runtime),
    };
    if entries.is_empty() {
        return Err(Error::invalid("models", "[]", "at least one model entry"));
    }
    if entries.len() > crate::predict::multi::MAX_MODELS {
        return Err(Error::invalid(
            "models",
            format!("{} entries", entries.len()),
            format!("at most {} entries", crate::predict::multi::MAX_MODELS),
        ));
    }
    let models = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.into_spec(&format!("models[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let constraints = constraints.unwrap_or_default().into_constraints()?;
    Ok(ParsedWorkload {
        workload: Workload {
            models,
            constraints,
        },
        hardware,
        runtime,
    })
}

/// A sharing table row as written in JSON (the seed's schema).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SharingRuleDto {
    /// Compatible types.
    #[serde(alias = "compatibleTypes")]
    pub compatible_types: Vec<String>,
    /// Work saved on the shared part.
    #[serde(alias = "sharingEfficiency")]
    #[serde(deserialize_with = "lenient::number")]
    pub sharing_efficiency: f64,
    /// Weights of the smaller model that are shared.
    #[serde(alias = "memoryReduction")]
    #[serde(deserialize_with = "lenient::number")]
    pub memory_reduction: f64,
}

/// Parses a sharing table.
pub fn parse_sharing(json: &str) -> Result<SharingConfig> {
    let map: BTreeMap<String, SharingRuleDto> =
        serde_json::from_str(json).map_err(|e| malformed("sharing config", e))?;
    sharing_from_dto(map)
}

/// Validates a sharing table.
pub fn sharing_from_dto(map: BTreeMap<String, SharingRuleDto>) -> Result<SharingConfig> {
    let mut rules = Vec::new();
    for (ty, rule) in map {
        let field = format!("sharing_config.{ty}");
        let t = ModelType::parse(&field, &ty)?;
        let compatible_types = rule
            .compatible_types
            .iter()
            .map(|c| ModelType::parse(&format!("{field}.compatible_types"), c))
            .collect::<Result<Vec<_>>>()?;
        rules.push((
            t,
            SharingRule {
                compatible_types,
                sharing_efficiency: rule.sharing_efficiency,
                memory_reduction: rule.memory_reduction,
            },
        ));
    }
    SharingConfig::new(rules)
}

/// A custom hardware profile: any field of a device profile, optionally starting from a catalog device
/// (`base`). Units are in the field names.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct HardwareProfileDto {
    /// Catalog device to start from.
    pub base: Option<String>,
    /// Profile id.
    pub id: Option<String>,
    /// Platform.
    pub platform: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Peaks, TFLOP/s by precision.
    pub peak_tflops: Option<BTreeMap<String, f64>>,
    /// Datasheet bandwidth.
    #[serde(default, deserialize_with = "lenient::option")]
    pub memory_bandwidth_gbps: Option<f64>,
    /// Achievable fraction of it.
    #[serde(default, deserialize_with = "lenient::option")]
    pub bandwidth_efficiency: Option<f64>,
    /// Capacity, MB.
    #[serde(default, deserialize_with = "lenient::option")]
    pub memory_capacity_mb: Option<f64>,
    /// `dedicated` or `host`.
    pub memory_pool: Option<String>,
    /// Power.
    #[serde(default, deserialize_with = "lenient::option")]
    pub tdp_w: Option<f64>,
    /// Idle power, W.
    #[serde(default, deserialize_with = "lenient::option")]
    pub idle_w: Option<f64>,
    /// Seconds of sustained load before throttling (0: never).
    #[serde(default, deserialize_with = "lenient::option")]
    pub throttle_after_s: Option<f64>,
    /// Speed after throttling.
    #[serde(default, deserialize_with = "lenient::option")]
    pub throttled_speed: Option<f64>,
    /// Sustained clock ratio.
    #[serde(default, deserialize_with = "lenient::option")]
    pub sustained_clock_ratio: Option<f64>,
    /// Compute units.
    #[serde(default, deserialize_with = "lenient::option")]
    pub compute_units: Option<f64>,
    /// Tiles.
    pub gemm_tiles: Option<Vec<TileDto>>,
    /// Kernel overhead.
    #[serde(default, deserialize_with = "lenient::option")]
    pub kernel_overhead_us: Option<f64>,
    /// `concurrent_kernels`, `serial_queue` or `cpu_threads`.
    pub concurrency: Option<String>,
    /// Interference.
    #[serde(default, deserialize_with = "lenient::option")]
    pub interference_per_model: Option<f64>,
    /// Per-unit bandwidth.
    #[serde(default, deserialize_with = "lenient::option")]
    pub per_unit_bandwidth_gbps: Option<f64>,
    /// Host cores.
    #[serde(default, deserialize_with = "lenient::option")]
    pub host_cores: Option<f64>,
    /// Host link.
    #[serde(default, deserialize_with = "lenient::option")]
    pub host_link_gbps: Option<f64>,
    /// Spin share.
    #[serde(default, deserialize_with = "lenient::option")]
    pub spin_wait_share: Option<f64>,
    /// Amdahl serial fraction of CPU kernels.
    #[serde(default, deserialize_with = "lenient::option")]
    pub serial_fraction: Option<f64>,
    /// CPUs: per-core rate with every core busy relative to one busy core, in (0, 1].
    #[serde(default, deserialize_with = "lenient::option")]
    pub all_core_rate: Option<f64>,
    /// CPUs: scheduler time slice, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub sched_slice_us: Option<f64>,
    /// CPUs: wake-up latency of a blocked thread, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub wake_us: Option<f64>,
    /// CPUs: first write to a fresh 4 KiB page, µs.
    #[serde(default, deserialize_with = "lenient::option")]
    pub page_fault_us: Option<f64>,
    /// Default runtime.
    pub default_runtime: Option<String>,
    /// Multiplier of the runtime's dispatch and call overheads on this device (calibration).
    #[serde(default, deserialize_with = "lenient::option")]
    pub overhead_scale: Option<f64>,
    /// Per-model latency factors from calibration, by model name.
    pub latency_corrections: Option<BTreeMap<String, f64>>,
    /// Measured kernel efficiency per runtime on this device, in (0, 1].
    #[serde(default)]
    pub runtime_efficiency: Option<BTreeMap<String, f64>>,
    /// Sources per field.
    pub sources: Option<BTreeMap<String, String>>,
}

/// A GEMM tile in a profile.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TileDto {
    /// Rows.
    pub m: u32,
    /// Columns.
    pub n: u32,
    /// Efficiency.
    #[serde(deserialize_with = "lenient::number")]
    pub efficiency: f64,
}

/// Parses a custom hardware profile.
pub fn parse_hardware(json: &str) -> Result<DeviceProfile> {
    let dto: HardwareProfileDto =
        serde_json::from_str(json).map_err(|e| malformed("hardware profile", e))?;
    hardware_from_dto(dto)
}

/// Validates a hardware profile DTO.
pub fn hardware_from_dto(d: HardwareProfileDto) -> Result<DeviceProfile> {
    let mut p = match (&d.base, &d.platform) {
        (Some(b), _) => hardware::find(b)?,
        (None, Some(pl)) => hardware::find(pl)?,
        (None, None) => {
            return Err(Error::missing(
                "hardware.base",
                "a catalog device to start from (e.g. cuda:a100-40gb) or a platform",
            ))
        }
    };
    let f = |k: &str| format!("hardware.{k}");
    let frac = |k: &str, v: Option<f64>| -> Result<Option<f64>> {
        match v {
            Some(x) if !(x.is_finite() && (0.0..=1.0).contains(&x)) => {
                Err(Error::invalid(f(k), x, "a number from 0 to 1"))
            }
            x => Ok(x),
        }
    };
    if let Some(id) = d.id {
        p.id = id;
    }
    if let Some(pl) = d.platform.as_deref() {
        p.platform = Platform::parse(&f("platform"), pl)?;
    }
    if let Some(n) = d.name {
        p.name = n;
    }
    if let Some(peaks) = d.peak_tflops {
        let mut out = Peaks {
            fp32: 0.0,
            fp16: 0.0,
            bf16: 0.0,
            int8: 0.0,
            int4: 0.0,
        };
        for (k, v) in peaks {
            let field = f(&format!("peak_tflops.{k}"));
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(field, v, "a non-negative number of TFLOP/s"));
            }
            match Precision::parse(&field, &k)? {
                Precision::Fp32 => out.fp32 = v,
                Precision::Fp16 => out.fp16 = v,
                Precision::Bf16 => out.bf16 = v,
                Precision::Int8 => out.int8 = v,
                Precision::Int4 => out.int4 = v,
            }
        }
        if out.fp32 <= 0.0 && out.fp16 <= 0.0 && out.int8 <= 0.0 {
            return Err(Error::invalid(
                f("peak_tflops"),
                "all zero",
                "at least one positive peak",
            ));
        }
        p.peak_tflops = out;
    }
    if let Some(v) = positive(&f("memory_bandwidth_gbps"), d.memory_bandwidth_gbps, 1e6)? {
        p.memory_bandwidth_gbps = v;
    }
    if let Some(v) = frac("bandwidth_efficiency", d.bandwidth_efficiency)? {
        p.bandwidth_efficiency = v.max(1e-3);
    }
    if let Some(v) = positive(&f("memory_capacity_mb"), d.memory_capacity_mb, 1e9)? {
        p.memory_capacity_mb = v;
    }
    if let Some(pool) = d.memory_pool.as_deref() {
        p.memory_pool = match pool {
            "dedicated" => MemoryPool::Dedicated,
            "host" => MemoryPool::Host,
            other => return Err(Error::invalid(f("memory_pool"), other, "dedicated or host")),
        };
    }
    if let Some(v) = positive(&f("tdp_w"), d.tdp_w, 1e5)? {
        p.tdp_w = v;
    }
    if let Some(v) = d.idle_w {
        if !(v.is_finite() && v >= 0.0 && v <= p.tdp_w) {
            return Err(Error::invalid(
                f("idle_w"),
                v,
                format!("a number of W from 0 to tdp_w ({})", p.tdp_w),
            ));
        }
        p.idle_w = v;
    }
    if let Some(v) = d.throttle_after_s {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::invalid(
                f("throttle_after_s"),
                v,
                "a non-negative number of seconds (0 = never)",
            ));
        }
        p.throttle_after_s = v;
    }
    if let Some(v) = frac("throttled_speed", d.throttled_speed)? {
        p.throttled_speed = v.max(1e-3);
    }
    if let Some(v) = frac("sustained_clock_ratio", d.sustained_clock_ratio)? {
        p.sustained_clock_ratio = v.max(1e-3);
    }
    if let Some(v) = count(&f("compute_units"), d.compute_units, 1.0, 1e6)? {
        p.compute_units = v;
    }
    if let Some(tiles) = d.gemm_tiles {
        if tiles.is_empty()
            || tiles
                .iter()
                .any(|t| t.m == 0 || t.n == 0 || !(t.efficiency > 0.0 && t.efficiency <= 1.0))
        {
            return Err(Error::invalid(
                f("gemm_tiles"),
                format!("{} tiles", tiles.len()),
                "at least one tile with m, n ≥ 1 and efficiency in (0, 1]",
            ));
        }
        p.gemm_tiles = tiles
            .into_iter()
            .map(|t| GemmTile {
                m: t.m,
                n: t.n,
                efficiency: t.efficiency,
            })
            .collect();
    }
    if let Some(v) = d.kernel_overhead_us {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::invalid(
                f("kernel_overhead_us"),
                v,
                "a non-negative number of µs",
            ));
        }
        p.kernel_overhead_us = v;
    }
    if let Some(c) = d.concurrency.as_deref() {
        p.concurrency = match c {
            "concurrent_kernels" => Concurrency::ConcurrentKernels,
            "serial_queue" => Concurrency::SerialQueue,
            "cpu_threads" => Concurrency::CpuThreads,
            other => {
                return Err(Error::invalid(
                    f("concurrency"),
                    other,
                    "concurrent_kernels, serial_queue or cpu_threads",
                ))
            }
        };
    }
    if let Some(v) = frac("interference_per_model", d.interference_per_model)? {
        p.interference_per_model = v;
    }
    if let Some(v) = d.per_unit_bandwidth_gbps {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::invalid(
                f("per_unit_bandwidth_gbps"),
                v,
                "a non-negative number (0 = no per-unit limit)",
            ));
        }
        p.per_unit_bandwidth_gbps = v;
    }
    if let Some(v) = count(&f("host_cores"), d.host_cores, 1.0, 4096.0)? {
        p.host_cores = v;
    }
    if let Some(v) = positive(&f("host_link_gbps"), d.host_link_gbps, 1e6)? {
        p.host_link_gbps = v;
    }
    if let Some(v) = frac("spin_wait_share", d.spin_wait_share)? {
        p.spin_wait_share = v;
    }
    if let Some(v) = frac("serial_fraction", d.serial_fraction)? {
        p.serial_fraction = v;
    }
    match frac("all_core_rate", d.all_core_rate)? {
        Some(v) if v <= 0.0 => {
            return Err(Error::invalid(
                f("all_core_rate"),
                v,
                "a number above 0 and at most 1",
            ))
        }
        Some(v) => p.all_core_rate = v,
        None => {}
    }
    for (k, v, slot) in [
        ("sched_slice_us", d.sched_slice_us, &mut p.sched_slice_us),
        ("wake_us", d.wake_us, &mut p.wake_us),
        ("page_fault_us", d.page_fault_us, &mut p.page_fault_us),
    ] {
        match v {
            Some(x) if !(x.is_finite() && (0.0..=1e6).contains(&x)) => {
                return Err(Error::invalid(f(k), x, "a time from 0 to 1000000 µs"))
            }
            Some(x) => *slot = x,
            None => {}
        }
    }
    if let Some(rt) = d.default_runtime {
        p.default_runtime = RuntimeProfile::find(&rt)
            .map_err(|_| {
                Error::invalid(
                    f("default_runtime"),
                    &rt,
                    format!("one of {}", crate::catalog::runtime::names().join(", ")),
                )
            })?
            .name;
    }
    if let Some(v) = d.overhead_scale {
        if !(v.is_finite() && v > 0.0 && v <= 1e3) {
            return Err(Error::invalid(
                f("overhead_scale"),
                v,
                "a positive number up to 1000",
            ));
        }
        p.overhead_scale = v;
    }
    if let Some(c) = d.latency_corrections {
        let mut out = Vec::with_capacity(c.len());
        for (k, v) in c {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                return Err(Error::invalid(
                    f(&format!("latency_corrections.{k}")),
                    v,
                    "a positive factor up to 100",
                ));
            }
            out.push((k.to_ascii_lowercase(), v));
        }
        p.latency_corrections = out;
    }
    if let Some(c) = d.runtime_efficiency {
        let mut out = Vec::with_capacity(c.len());
        for (k, v) in c {
            let field = f(&format!("runtime_efficiency.{k}"));
            let rt =
                RuntimeProfile::find(&k).map_err(|e| Error::invalid(&field, &k, e.to_string()))?;
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(Error::invalid(field, v, "a number above 0 and at most 1"));
            }
            out.push((rt.name, v));
        }
        p.runtime_efficiency = out;
    }
    if let Some(src) = d.sources {
        p.sources.retain(|(k, _)| !src.contains_key(k));
        p.sources.extend(src);
    }
    Ok(p)
}

/// Every field of a profile, so that [`hardware_from_dto`] rebuilds it exactly (a calibrated profile saved
/// as JSON and given back as `--hardware FILE`).
pub fn profile_to_dto(p: &DeviceProfile) -> HardwareProfileDto {
    let peaks = BTreeMap::from([
        ("fp32".to_string(), p.peak_tflops.fp32),
        ("fp16".to_string(), p.peak_tflops.fp16),
        ("bf16".to_string(), p.peak_tflops.bf16),
        ("int8".to_string(), p.peak_tflops.int8),
        ("int4".to_string(), p.peak_tflops.int4),
    ]);
    HardwareProfileDto {
        base: None,
        id: Some(p.id.clone()),
        platform: Some(p.platform.name().to_string()),
        name: Some(p.name.clone()),
        peak_tflops: Some(peaks),
        memory_bandwidth_gbps: Some(p.memory_bandwidth_gbps),
        bandwidth_efficiency: Some(p.bandwidth_efficiency),
        memory_capacity_mb: Some(p.memory_capacity_mb),
        memory_pool: Some(
            match p.memory_pool {
                MemoryPool::Dedicated => "dedicated",
                MemoryPool::Host => "host",
            }
            .to_string(),
        ),
        tdp_w: Some(p.tdp_w),
        idle_w: Some(p.idle_w),
        throttle_after_s: Some(p.throttle_after_s),
        throttled_speed: Some(p.throttled_speed),
        sustained_clock_ratio: Some(p.sustained_clock_ratio),
        compute_units: Some(f64::from(p.compute_units)),
        gemm_tiles: Some(
            p.gemm_tiles
                .iter()
                .map(|t| TileDto {
                    m: t.m,
                    n: t.n,
                    efficiency: t.efficiency,
                })
                .collect(),
        ),
        kernel_overhead_us: Some(p.kernel_overhead_us),
        concurrency: Some(
            match p.concurrency {
                Concurrency::ConcurrentKernels => "concurrent_kernels",
                Concurrency::SerialQueue => "serial_queue",
                Concurrency::CpuThreads => "cpu_threads",
            }
            .to_string(),
        ),
        interference_per_model: Some(p.interference_per_model),
        per_unit_bandwidth_gbps: Some(p.per_unit_bandwidth_gbps),
        host_cores: Some(f64::from(p.host_cores)),
        host_link_gbps: Some(p.host_link_gbps),
        spin_wait_share: Some(p.spin_wait_share),
        serial_fraction: Some(p.serial_fraction),
        all_core_rate: Some(p.all_core_rate),
        sched_slice_us: Some(p.sched_slice_us),
        wake_us: Some(p.wake_us),
        page_fault_us: Some(p.page_fault_us),
        default_runtime: Some(p.default_runtime.clone()),
        overhead_scale: Some(p.overhead_scale),
        latency_corrections: Some(p.latency_corrections.iter().cloned().collect()),
        runtime_efficiency: Some(p.runtime_efficiency.iter().cloned().collect()),
        sources: Some(p.sources.iter().cloned().collect()),
    }
}

fn r4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e4).round() / 1e4
    } else {
        0.0
    }
}

/// `totalMetrics`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalMetricsDto {
    /// Items/s over the makespan.
    pub combined_throughput: f64,
    /// Makespan, ms.
    pub combined_latency: f64,
    /// Peak memory, MB.
    pub combined_memory: f64,
    /// Mean completion time, ms.
    pub mean_latency: f64,
    /// Fits.
    pub feasible: bool,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Energy of the round, J.
    pub energy_j: f64,
}

/// `memoryBreakdown` of a model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryBreakdownDto {
    /// Weights, MB.
    pub weights: f64,
    /// Activations, MB.
    pub activations: f64,
    /// KV cache, MB.
    pub kv_cache: f64,
    /// Workspace, MB.
    pub workspace: f64,
    /// Runtime overhead, MB.
    pub runtime_overhead: f64,
    /// Weights not counted thanks to sharing, MB.
    pub shared: f64,
}

/// One entry of `individualPredictions`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndividualDto {
    /// Name.
    pub model_name: String,
    /// Type.
    pub model_type: String,
    /// Device id.
    pub device: String,
    /// Runtime.
    pub runtime: String,
    /// Batch size.
    pub batch_size: u32,
    /// Precision asked for.
    pub precision: String,
    /// Precision computed in.
    pub compute_precision: String,
    /// Time in the schedule, ms.
    pub latency: f64,
    /// Time alone, ms.
    pub solo_latency: f64,
    /// Items/s in the schedule.
    pub throughput: f64,
    /// Memory held, MB.
    pub memory: f64,
    /// Breakdown.
    pub memory_breakdown: MemoryBreakdownDto,
    /// Start, ms.
    pub start_time: f64,
    /// End, ms.
    pub end_time: f64,
    /// Time in schedule / time alone.
    pub slowdown: f64,
    /// Dominant limit.
    pub bound: String,
    /// Kernels per batch.
    pub kernels: f64,
    /// GFLOP per batch.
    pub gflops: f64,
    /// Prefill part alone, ms.
    pub prefill_latency: f64,
    /// Decode part alone, ms.
    pub decode_latency: f64,
    /// CPU threads (0 on accelerators).
    pub threads: u32,
    /// Group in the plan.
    pub group: usize,
    /// Energy attributed to the model, J.
    pub energy_j: f64,
}

/// `contentionFactors`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentionDto {
    /// Σ compute shares of co-running models (worst group).
    pub compute_contention: f64,
    /// Σ bandwidth shares (worst group).
    pub memory_bandwidth_contention: f64,
    /// Peak / capacity.
    pub memory_contention: f64,
    /// Makespan / longest model alone.
    pub makespan_over_longest: f64,
    /// Per model slowdown.
    pub model_slowdowns: Vec<NamedValueDto>,
}

/// A name with a number.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedValueDto {
    /// Model name.
    pub model_name: String,
    /// Value.
    pub value: f64,
}

/// `sharingBenefits`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingDto {
    /// Memory with / without sharing.
    pub memory_benefit: f64,
    /// Compute with / without sharing.
    pub compute_benefit: f64,
    /// MB saved.
    pub memory_saved_mb: f64,
    /// Pairs.
    pub compatible_pairs: Vec<PairDto>,
}

/// A sharing pair.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PairDto {
    /// Model holding the weights.
    pub model_a: String,
    /// Model reusing them.
    pub model_b: String,
    /// MB saved.
    pub memory_saved_mb: f64,
    /// Why.
    pub reason: String,
}

/// A timeline bar.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineDto {
    /// Model name.
    pub model: String,
    /// Start, ms.
    pub start_time: f64,
    /// End, ms.
    pub end_time: f64,
    /// Duration, ms.
    pub duration: f64,
    /// Group.
    pub group: usize,
    /// Device.
    pub device: String,
}

/// A point of the memory curve.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPointDto {
    /// Time, ms.
    pub time: f64,
    /// MB.
    pub memory: f64,
}

/// `executionSchedule`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDto {
    /// Bars.
    pub timeline: Vec<TimelineDto>,
    /// Makespan, ms.
    pub total_execution_time: f64,
    /// Memory curve.
    pub memory_timeline: Vec<MemoryPointDto>,
}

/// Energy of one device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEnergyDto {
    /// Device id.
    pub device: String,
    /// Idle power over the makespan, J.
    pub idle_j: f64,
    /// Power above idle, J.
    pub dynamic_j: f64,
}

/// `energy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnergyDto {
    /// Total, J.
    pub total_j: f64,
    /// Per item, J.
    pub per_item_j: f64,
    /// Mean power, W.
    pub average_power_w: f64,
    /// Per device.
    pub devices: Vec<DeviceEnergyDto>,
}

/// A memory pool.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolDto {
    /// Name.
    pub name: String,
    /// Capacity, MB.
    pub capacity_mb: f64,
    /// Peak, MB.
    pub peak_mb: f64,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Extra time per round if host memory is paged to swap, ms.
    pub swap_ms_per_round: f64,
}

/// A plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDto {
    /// Strategy.
    pub strategy: String,
    /// Groups in order, by model name.
    pub groups: Vec<Vec<String>>,
    /// Threads per model (CPU devices).
    pub threads: Vec<NamedValueDto>,
    /// `resident` or `unload`.
    pub residency: String,
}

/// The result of `predict`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictionDto {
    /// Totals.
    pub total_metrics: TotalMetricsDto,
    /// Per model.
    pub individual_predictions: Vec<IndividualDto>,
    /// Contention.
    pub contention_factors: ContentionDto,
    /// Sharing.
    pub sharing_benefits: SharingDto,
    /// Schedule.
    pub execution_schedule: ScheduleDto,
    /// Strategy.
    pub execution_strategy: String,
    /// Plan.
    pub plan: PlanDto,
    /// Main device id.
    pub hardware_platform: String,
    /// Every device used.
    pub devices: Vec<String>,
    /// Memory pools.
    pub memory_pools: Vec<PoolDto>,
    /// Energy of the round.
    pub energy: EnergyDto,
    /// Notes.
    pub warnings: Vec<String>,
}

/// An alternative in a recommendation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlternativeDto {
    /// Label.
    pub label: String,
    /// Plan.
    pub plan: PlanDto,
    /// Totals.
    pub total_metrics: TotalMetricsDto,
}

/// The result of `recommend`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationDto {
    /// Chosen option's label.
    pub recommended_strategy: String,
    /// What to do.
    pub plan: PlanDto,
    /// Goal.
    pub optimization_goal: String,
    /// Totals per option label.
    pub all_predictions: BTreeMap<String, TotalMetricsDto>,
    /// Every option with its plan.
    pub alternatives: Vec<AlternativeDto>,
    /// Why.
    pub reason: String,
    /// Exact grouping search.
    pub exact_grouping: bool,
    /// The chosen option's full prediction.
    pub prediction: PredictionDto,
}

fn totals(p: &MultiPrediction) -> TotalMetricsDto {
    TotalMetricsDto {
        combined_throughput: r4(p.combined_throughput),
        combined_latency: r4(p.combined_latency_ms),
        combined_memory: r4(p.combined_memory_mb),
        mean_latency: r4(p.mean_latency_ms),
        feasible: p.feasible,
        overflow_mb: r4(p.overflow_mb),
        energy_j: r4(p.energy.total_j),
    }
}

fn plan_dto(p: &MultiPrediction) -> PlanDto {
    let name = |i: usize| p.models[i].name.clone();
    PlanDto {
        strategy: p.plan.strategy.name().to_string(),
        groups: p
            .plan
            .groups
            .iter()
            .map(|g| g.iter().map(|&i| name(i)).collect())
            .collect(),
        threads: p
            .models
            .iter()
            .filter(|m| m.solo.threads > 0)
            .map(|m| NamedValueDto {
                model_name: m.name.clone(),
                value: f64::from(m.solo.threads),
            })
            .collect(),
        residency: match p.plan.residency {
            crate::predict::multi::Residency::Resident => "resident",
            crate::predict::multi::Residency::Unload => "unload",
        }
        .to_string(),
    }
}

/// Converts a prediction to its JSON shape.
pub fn prediction_dto(p: &MultiPrediction) -> PredictionDto {
    let individual = p
        .models
        .iter()
        .map(|m| {
            let b = &m.solo.memory;
            IndividualDto {
                model_name: m.name.clone(),
                model_type: m.model_type.name().to_string(),
                device: m.device.clone(),
                runtime: m.runtime.clone(),
                batch_size: m.batch_size,
                precision: m.precision.name().to_string(),
                compute_precision: m.solo.compute_precision.name().to_string(),
                latency: r4(m.latency_ms),
                solo_latency: r4(m.solo.latency_ms),
                throughput: r4(m.throughput),
                memory: r4(m.memory_mb),
                memory_breakdown: MemoryBreakdownDto {
                    weights: r4(b.weights_mb),
                    activations: r4(b.activations_mb),
                    kv_cache: r4(b.kv_cache_mb),
                    workspace: r4(b.workspace_mb),
                    runtime_overhead: r4(b.runtime_overhead_mb),
                    shared: r4(m.shared_mb),
                },
                start_time: r4(m.start_ms),
                end_time: r4(m.end_ms),
                slowdown: r4(m.slowdown),
                bound: m.solo.bound.name().to_string(),
                kernels: m.solo.kernels,
                gflops: r4(m.solo.gflops),
                prefill_latency: r4(m.solo.prefill_ms),
                decode_latency: r4(m.solo.decode_ms),
                threads: m.solo.threads,
                group: m.group,
                energy_j: r4(m.energy_j),
            }
        })
        .collect();
    let mut timeline: Vec<TimelineDto> = p
        .models
        .iter()
        .map(|m| TimelineDto {
            model: m.name.clone(),
            start_time: r4(m.start_ms),
            end_time: r4(m.end_ms),
            duration: r4(m.end_ms - m.start_ms),
            group: m.group,
            device: m.device.clone(),
        })
        .collect();
    timeline.sort_by(|a, b| {
        a.start_time
            .total_cmp(&b.start_time)
            .then(a.end_time.total_cmp(&b.end_time))
            .then(a.model.cmp(&b.model))
    });
    PredictionDto {
        total_metrics: totals(p),
        individual_predictions: individual,
        contention_factors: ContentionDto {
            compute_contention: r4(p.contention.compute),
            memory_bandwidth_contention: r4(p.contention.memory_bandwidth),
            memory_contention: r4(p.contention.memory),
            makespan_over_longest: r4(p.contention.makespan_over_longest),
            model_slowdowns: p
                .models
                .iter()
                .map(|m| NamedValueDto {
                    model_name: m.name.clone(),
                    value: r4(m.slowdown),
                })
                .collect(),
        },
        sharing_benefits: SharingDto {
            memory_benefit: r4(p.sharing.memory_benefit),
            compute_benefit: r4(p.sharing.compute_benefit),
            memory_saved_mb: r4(p.sharing.memory_saved_mb),
            compatible_pairs: p
                .sharing
                .pairs
                .iter()
                .map(|(a, b, mb, why)| PairDto {
                    model_a: a.clone(),
                    model_b: b.clone(),
                    memory_saved_mb: r4(*mb),
                    reason: why.clone(),
                })
                .collect(),
        },
        execution_schedule: ScheduleDto {
            timeline,
            total_execution_time: r4(p.combined_latency_ms),
            memory_timeline: p
                .memory_curve
                .iter()
                .map(|(t, mb)| MemoryPointDto {
                    time: r4(*t),
                    memory: r4(*mb),
                })
                .collect(),
        },
        execution_strategy: p.plan.strategy.name().to_string(),
        plan: plan_dto(p),
        hardware_platform: p.devices.first().cloned().unwrap_or_default(),
        devices: p.devices.clone(),
        energy: EnergyDto {
            total_j: r4(p.energy.total_j),
            per_item_j: r4(p.energy.per_item_j),
            average_power_w: r4(p.energy.average_power_w),
            devices: p
                .energy
                .devices
                .iter()
                .map(|d| DeviceEnergyDto {
                    device: d.device.clone(),
                    idle_j: r4(d.idle_j),
                    dynamic_j: r4(d.dynamic_j),
                })
                .collect(),
        },
        memory_pools: p
            .pools
            .iter()
            .map(|x| PoolDto {
                name: x.name.clone(),
                capacity_mb: r4(x.capacity_mb),
                peak_mb: r4(x.peak_mb),
                overflow_mb: r4(x.overflow_mb),
                swap_ms_per_round: r4(x.swap_ms_per_round),
            })
            .collect(),
        warnings: p.warnings.clone(),
    }
}

/// Converts a recommendation to its JSON shape.
pub fn recommendation_dto(r: &Recommendation) -> RecommendationDto {
    let best = r.best();
    RecommendationDto {
        recommended_strategy: best.label.clone(),
        plan: plan_dto(&best.prediction),
        optimization_goal: r.goal.name().to_string(),
        all_predictions: r
            .candidates
            .iter()
            .map(|c| (c.label.clone(), totals(&c.prediction)))
            .collect(),
        alternatives: r
            .candidates
            .iter()
            .map(|c| AlternativeDto {
                label: c.label.clone(),
                plan: plan_dto(&c.prediction),
                total_metrics: totals(&c.prediction),
            })
            .collect(),
        reason: r.reason.clone(),
        exact_grouping: r.exact_grouping,
        prediction: prediction_dto(&best.prediction),
    }
}

/// Options of a cold-start prediction from JavaScript.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ColdStartOptionsDto {
    /// `memory`, `disk`, `network` or `cache`.
    pub source: Option<String>,
    /// Source bandwidth, GB/s.
    #[serde(default, deserialize_with = "lenient::option")]
    pub source_gbps: Option<f64>,
    /// Warm-up iterations.
    pub warmup_iterations: Option<u32>,
}

fn residency_name(r: crate::predict::multi::Residency) -> &'static str {
    match r {
        crate::predict::multi::Residency::Resident => "resident",
        crate::predict::multi::Residency::Unload => "unload",
    }
}

/// One model's cold start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelColdStartDto {
    /// Name.
    pub model_name: String,
    /// Reading the weights from the source, ms.
    pub read_ms: f64,
    /// Copying them to the device, ms.
    pub copy_ms: f64,
    /// Kernel compilation on first use, ms.
    pub compile_ms: f64,
    /// Warm-up iterations, ms.
    pub warmup_ms: f64,
    /// A warm run alone, ms.
    pub warm_ms: f64,
    /// The first run alone from nothing, ms.
    pub first_run_ms: f64,
}

/// Cold and warm makespan of one strategy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrategyColdStartDto {
    /// Strategy.
    pub strategy: String,
    /// `resident` or `unload`.
    pub residency: String,
    /// Warm makespan, ms.
    pub warm_ms: f64,
    /// First-round makespan, ms.
    pub cold_ms: f64,
}

/// The result of `coldstart`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStartDto {
    /// Weight source.
    pub source: String,
    /// Its bandwidth, GB/s.
    pub source_gbps: f64,
    /// Warm-up iterations.
    pub warmup_iterations: u32,
    /// Per model.
    pub models: Vec<ModelColdStartDto>,
    /// Per strategy.
    pub strategies: Vec<StrategyColdStartDto>,
}

/// Converts a cold-start report to its JSON shape.
pub fn cold_start_dto(r: &crate::predict::coldstart::ColdStartReport) -> ColdStartDto {
    ColdStartDto {
        source: r.config.source.name().to_string(),
        source_gbps: r.source_gbps,
        warmup_iterations: r.config.warmup_iterations,
        models: r
            .models
            .iter()
            .map(|m| ModelColdStartDto {
                model_name: m.name.clone(),
                read_ms: r4(m.read_ms),
                copy_ms: r4(m.copy_ms),
                compile_ms: r4(m.compile_ms),
                warmup_ms: r4(m.warmup_ms),
                warm_ms: r4(m.warm_ms),
                first_run_ms: r4(m.first_run_ms),
            })
            .collect(),
        strategies: r
            .strategies
            .iter()
            .map(|s| StrategyColdStartDto {
                strategy: s.strategy.name().to_string(),
                residency: residency_name(s.residency).to_string(),
                warm_ms: r4(s.warm_ms),
                cold_ms: r4(s.cold_ms),
            })
            .collect(),
    }
}

/// Options of a serving simulation (`mmperf serve`, `simulateServing`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServeOptionsDto {
    /// Requests per second for every model.
    #[serde(default, deserialize_with = "lenient::option")]
    pub rate: Option<f64>,
    /// Requests per second by model name (overrides `rate`).
    pub rates: Option<BTreeMap<String, f64>>,
    /// `poisson` (default) or `periodic`.
    pub arrivals: Option<String>,
    /// Arrival times in ms by model name (replaces its rate).
    pub traces: Option<BTreeMap<String, Vec<f64>>>,
    /// `parallel` (default), `fifo`, `sjf` or `priority`.
    pub policy: Option<String>,
    /// Priority level per model in workload order (0 = most urgent), for `priority`.
    pub priorities: Option<Vec<u32>>,
    /// Seconds of arrivals (default 60).
    #[serde(default, alias = "duration_s", deserialize_with = "lenient::option")]
    pub duration_s: Option<f64>,
    /// Seconds excluded from the statistics at the start (default a tenth of the duration).
    #[serde(default, alias = "warmup_s", deserialize_with = "lenient::option")]
    pub warmup_s: Option<f64>,
    /// Seed of the arrival processes (default 1).
    pub seed: Option<u64>,
    /// Apply the device's thermal throttling (default true).
    pub throttle: Option<bool>,
    /// Also search the maximum sustainable rates (default true).
    pub capacity: Option<bool>,
}

/// A serving request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeRequest {
    /// The simulation.
    pub config: crate::serve::ServeConfig,
    /// Whether to search capacity.
    pub capacity: bool,
}

/// Validates serving options against a prepared workload (model names, lengths) and its device (throttling).
pub fn serve_request(
    dto: ServeOptionsDto,
    prep: &crate::predict::multi::Prepared,
) -> Result<ServeRequest> {
    use crate::serve::{Arrivals, Policy, ServeConfig, Throttle};
    let names: Vec<&str> = prep.models.iter().map(|m| m.spec.name.as_str()).collect();
    for key in dto
        .rates
        .iter()
        .flat_map(|m| m.keys())
        .chain(dto.traces.iter().flat_map(|m| m.keys()))
    {
        if !names.contains(&key.as_str()) {
            return Err(Error::invalid(
                format!("serve.rates.{key}"),
                key,
                format!("a model of the workload ({})", names.join(", ")),
            ));
        }
    }
    let periodic = match dto.arrivals.as_deref().unwrap_or("poisson") {
        "poisson" => false,
        "periodic" => true,
        other => {
            return Err(Error::invalid(
                "serve.arrivals",
                other,
                "poisson or periodic",
            ))
        }
    };
    if dto.rate.is_none() && dto.rates.is_none() && dto.traces.is_none() {
        return Err(Error::missing(
            "serve.rate",
            "requests per second for every model (rate), per model (rates) or arrival traces",
        ));
    }
    let arrivals = names
        .iter()
        .map(|name| {
            if let Some(times) = dto.traces.as_ref().and_then(|t| t.get(*name)) {
                return Arrivals::Trace {
                    times_ms: times.clone(),
                };
            }
            match dto
                .rates
                .as_ref()
                .and_then(|r| r.get(*name))
                .copied()
                .or(dto.rate)
            {
                Some(rate_per_s) if periodic => Arrivals::Periodic { rate_per_s },
                Some(rate_per_s) => Arrivals::Poisson { rate_per_s },
                None => Arrivals::None,
            }
        })
        .collect();
    let policy = match dto.policy.as_deref().unwrap_or("parallel") {
        "parallel" => Policy::Parallel,
        "fifo" => Policy::Fifo,
        "sjf" | "shortest-job-first" | "shortest_job_first" => Policy::ShortestJobFirst,
        "priority" => Policy::Priority(
            dto.priorities
                .clone()
                .unwrap_or_else(|| (0..names.len() as u32).collect()),
        ),
        other => {
            return Err(Error::invalid(
                "serve.policy",
                other,
                "one of parallel, fifo, sjf, priority",
            ))
        }
    };
    let duration_s = dto.duration_s.unwrap_or(60.0);
    let mut config = ServeConfig::new(arrivals, policy, duration_s);
    if let Some(w) = dto.warmup_s {
        config.warmup_s = w;
    }
    config.seed = dto.seed.unwrap_or(1);
    let device = &prep.devices[0];
    if dto.throttle.unwrap_or(true) && device.throttle_after_s > 0.0 && device.throttled_speed < 1.0
    {
        config.throttle = Some(Throttle {
            after_ns: (device.throttle_after_s * 1e9) as u64,
            speed: device.throttled_speed,
        });
    }
    config.validate(names.len())?;
    Ok(ServeRequest {
        config,
        capacity: dto.capacity.unwrap_or(true),
    })
}

/// Latency statistics of one model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyDto {
    /// Mean, ms.
    pub mean_ms: f64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Maximum, ms.
    pub max_ms: f64,
    /// Mean time in the queue, ms.
    pub mean_wait_ms: f64,
}

/// One model under load.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelServeDto {
    /// Name.
    pub model_name: String,
    /// Requests that arrived in the measured window.
    pub arrived: u64,
    /// Of those, completed.
    pub completed: u64,
    /// Offered rate, req/s.
    pub offered_rps: f64,
    /// Completed rate, req/s.
    pub throughput_rps: f64,
    /// Items per second.
    pub throughput_items_per_s: f64,
    /// Service time alone, ms.
    pub service_ms: f64,
    /// Latency (arrival to completion); null when nothing was measured.
    pub latency: Option<LatencyDto>,
    /// Busy fraction of its server.
    pub utilisation: f64,
    /// Mean latency of the last third of the window over the first third.
    pub latency_trend: f64,
    /// Requests still queued at the end of arrivals.
    pub backlog: u64,
    /// Its queue stayed bounded.
    pub kept_up: bool,
    /// Highest sustainable rate, req/s (when capacity was searched).
    pub max_sustainable_rps: Option<f64>,
}

/// The result of a serving simulation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServeDto {
    /// Policy.
    pub policy: String,
    /// Measured window, s.
    pub window_s: f64,
    /// Busy fraction (shared slot) or fraction of time anything runs (parallel).
    pub utilisation: f64,
    /// Mean latency over all measured requests, ms.
    pub mean_latency_ms: Option<f64>,
    /// Every queue stayed bounded.
    pub stable: bool,
    /// Simulated events.
    pub events: u64,
    /// Simulated requests.
    pub requests: u64,
    /// Factor by which every rate could grow and stay stable (when searched).
    pub max_sustainable_scale: Option<f64>,
    /// Thermal throttling applied: seconds until it starts and the speed after.
    pub throttle: Option<[f64; 2]>,
    /// Per model.
    pub models: Vec<ModelServeDto>,
}

/// Converts a serving report (and its capacity search) to JSON.
pub fn serve_dto(
    req: &ServeRequest,
    r: &crate::serve::ServeReport,
    cap: Option<&crate::serve::CapacityReport>,
) -> ServeDto {
    ServeDto {
        policy: r.policy.name().to_string(),
        window_s: r4(r.window_s),
        utilisation: r4(r.utilisation),
        mean_latency_ms: r.mean_latency_ms.map(r4),
        stable: r.stable,
        events: r.events,
        requests: r.requests,
        max_sustainable_scale: cap.map(|c| r4(c.scale)),
        throttle: req
            .config
            .throttle
            .map(|t| [r4(t.after_ns as f64 * 1e-9), r4(t.speed)]),
        models: r
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| ModelServeDto {
                model_name: m.name.clone(),
                arrived: m.arrived,
                completed: m.completed,
                offered_rps: r4(m.offered_rps),
                throughput_rps: r4(m.throughput_rps),
                throughput_items_per_s: r4(m.throughput_items_per_s),
                service_ms: r4(m.service_ms),
                latency: m.latency.map(|l| LatencyDto {
                    mean_ms: r4(l.mean_ms),
                    p50_ms: r4(l.p50_ms),
                    p95_ms: r4(l.p95_ms),
                    p99_ms: r4(l.p99_ms),
                    max_ms: r4(l.max_ms),
                    mean_wait_ms: r4(l.mean_wait_ms),
                }),
                utilisation: r4(m.utilisation),
                latency_trend: r4(m.latency_trend),
                backlog: m.backlog,
                kept_up: m.kept_up,
                max_sustainable_rps: cap.and_then(|c| c.max_rate_per_s.get(i)).map(|x| r4(*x)),
            })
            .collect(),
    }
}

/// One model's memory in an advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelMemoryDto {
    /// Name.
    pub model_name: String,
    /// Precision.
    pub precision: String,
    /// Weights, MB.
    pub weights_mb: f64,
    /// Activations, MB.
    pub activations_mb: f64,
    /// KV cache, MB.
    pub kv_cache_mb: f64,
    /// Workspace, MB.
    pub workspace_mb: f64,
    /// Runtime overhead, MB.
    pub runtime_overhead_mb: f64,
    /// Not counted thanks to sharing, MB.
    pub shared_mb: f64,
    /// Held in the schedule, MB.
    pub held_mb: f64,
}

/// One option of an advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryOptionDto {
    /// 1-based rank (pass it to `--apply`).
    pub rank: usize,
    /// Kind (`lower-precision`, `fused-attention`, `epilogue-fusion`, `shared-arena`, `planned-arena`, `fit-plan`).
    pub kind: String,
    /// Models it applies to.
    pub models: Vec<String>,
    /// What to do.
    pub description: String,
    /// Peak memory saved, MB (measured by re-prediction unless `estimated`).
    pub saved_mb: f64,
    /// Makespan after minus before, ms.
    pub latency_delta_ms: f64,
    /// The saving is an estimate, not a re-prediction.
    pub estimated: bool,
    /// The workload fits with this option applied.
    pub feasible: bool,
    /// Accuracy or applicability caveat.
    pub caveat: Option<String>,
}

/// The result of memory advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryAdviceDto {
    /// Strategy advised for.
    pub strategy: String,
    /// Peak memory, MB.
    pub peak_mb: f64,
    /// Capacity (or budget), MB.
    pub capacity_mb: f64,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Fits.
    pub feasible: bool,
    /// Makespan, ms.
    pub latency_ms: f64,
    /// Runtime contexts, MB.
    pub context_mb: f64,
    /// Per model.
    pub models: Vec<ModelMemoryDto>,
    /// Ranked options.
    pub options: Vec<MemoryOptionDto>,
    /// When over capacity: the smallest set of changes that fits, with its prediction.
    pub fit_plan: Option<Box<FitPlanDto>>,
    /// Notes.
    pub notes: Vec<String>,
}

/// A fit plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitPlanDto {
    /// The option.
    pub option: MemoryOptionDto,
    /// The prediction with it applied.
    pub prediction: PredictionDto,
}

fn memory_option_dto(
    rank: usize,
    o: &crate::predict::memory::MemoryOption,
    names: &[String],
) -> MemoryOptionDto {
    MemoryOptionDto {
        rank,
        kind: o.kind.name().to_string(),
        models: o
            .models
            .iter()
            .filter_map(|&i| names.get(i).cloned())
            .collect(),
        description: o.description.clone(),
        saved_mb: r4(o.saved_mb),
        latency_delta_ms: r4(o.latency_delta_ms),
        estimated: o.estimated,
        feasible: o.feasible,
        caveat: o.caveat.clone(),
    }
}

/// Converts memory advice to its JSON shape.
pub fn memory_advice_dto(a: &crate::predict::memory::MemoryAdvice) -> MemoryAdviceDto {
    let names: Vec<String> = a.models.iter().map(|m| m.name.clone()).collect();
    MemoryAdviceDto {
        strategy: a.strategy.name().to_string(),
        peak_mb: r4(a.peak_mb),
        capacity_mb: r4(a.capacity_mb),
        overflow_mb: r4(a.overflow_mb),
        feasible: a.feasible,
        latency_ms: r4(a.latency_ms),
        context_mb: r4(a.context_mb),
        models: a
            .models
            .iter()
            .map(|m| ModelMemoryDto {
                model_name: m.name.clone(),
                precision: m.precision.name().to_string(),
                weights_mb: r4(m.weights_mb),
                activations_mb: r4(m.activations_mb),
                kv_cache_mb: r4(m.kv_cache_mb),
                workspace_mb: r4(m.workspace_mb),
                runtime_overhead_mb: r4(m.runtime_overhead_mb),
                shared_mb: r4(m.shared_mb),
                held_mb: r4(m.held_mb),
            })
            .collect(),
        options: a
            .options
            .iter()
            .enumerate()
            .map(|(k, o)| memory_option_dto(k + 1, o, &names))
            .collect(),
        fit_plan: a.fit_plan.as_ref().map(|f| {
            Box::new(FitPlanDto {
                option: memory_option_dto(0, &f.option, &names),
                prediction: prediction_dto(&f.prediction),
            })
        }),
        notes: a.notes.clone(),
    }
}

/// The changes of the options with these 1-based ranks (0 = the fit plan), concatenated.
pub fn memory_changes(
    a: &crate::predict::memory::MemoryAdvice,
    ranks: &[usize],
) -> Result<Vec<crate::predict::memory::Change>> {
    let mut changes = Vec::new();
    for &r in ranks {
        let option = match r {
            0 => a.fit_plan.as_ref().map(|f| &f.option),
            r => a.options.get(r - 1),
        };
        let option = option.ok_or_else(|| {
            Error::invalid(
                "apply",
                r,
                format!(
                    "a rank from 1 to {} (0 for the fit plan{})",
                    a.options.len(),
                    if a.fit_plan.is_some() {
                        ""
                    } else {
                        ", absent here"
                    }
                ),
            )
        })?;
        changes.extend(option.changes.iter().cloned());
    }
    Ok(changes)
}

/// One catalog model for `models --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModelDto {
    /// Name.
    pub name: String,
    /// Type.
    pub model_type: String,
    /// Derived parameters.
    pub params: f64,
    /// Published parameters.
    pub published_params: f64,
    /// Source of the published count.
    pub source: String,
    /// Default input GFLOPs per item.
    pub gflops_per_item: f64,
}

/// The model catalog.
pub fn catalog_models() -> Vec<CatalogModelDto> {
    models::catalog()
        .into_iter()
        .map(|m| {
            let work = m.arch.work(&m.default_input);
            let gflops = work
                .prefill
                .iter()
                .chain(&work.decode_step)
                .map(|o| o.flops * o.repeat)
                .sum::<f64>()
                / 1e9;
            CatalogModelDto {
                name: m.name.to_string(),
                model_type: m.model_type.name().to_string(),
                params: m.arch.params(),
                published_params: m.published_params,
                source: m.source.to_string(),
                gflops_per_item: r4(gflops),
            }
        })
        .collect()
}

/// One device for `hardware --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Platform.
    pub platform: String,
    /// Peaks per precision, TFLOP/s.
    pub peak_tflops: BTreeMap<String, f64>,
    /// Bandwidth, GB/s.
    pub memory_bandwidth_gbps: f64,
    /// Capacity, MB.
    pub memory_capacity_mb: f64,
    /// Power, W.
    pub tdp_w: f64,
    /// Idle power, W.
    pub idle_w: f64,
    /// Seconds of sustained load before throttling (0: never).
    pub throttle_after_s: f64,
    /// Speed after throttling.
    pub throttled_speed: f64,
    /// Concurrency model.
    pub concurrency: String,
    /// Default runtime.
    pub default_runtime: String,
    /// Whether a bare platform name selects it.
    pub platform_default: bool,
    /// Sources.
    pub sources: BTreeMap<String, String>,
}

/// The device catalog.
pub fn catalog_devices() -> Vec<DeviceDto> {
    hardware::all()
        .into_iter()
        .map(|d| {
            let p = d.peak_tflops;
            let peaks = [
                ("fp32", p.fp32),
                ("fp16", p.fp16),
                ("bf16", p.bf16),
                ("int8", p.int8),
                ("int4", p.int4),
            ]
            .into_iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            DeviceDto {
                platform_default: hardware::PLATFORM_DEFAULTS
                    .iter()
                    .any(|(_, id)| *id == d.id),
                id: d.id,
                name: d.name,
                platform: d.platform.name().to_string(),
                peak_tflops: peaks,
                memory_bandwidth_gbps: d.memory_bandwidth_gbps,
                memory_capacity_mb: d.memory_capacity_mb,
                tdp_w: d.tdp_w,
                idle_w: d.idle_w,
                throttle_after_s: d.throttle_after_s,
                throttled_speed: d.throttled_speed,
                concurrency: match d.concurrency {
                    Concurrency::ConcurrentKernels => "concurrent_kernels",
                    Concurrency::SerialQueue => "serial_queue",
                    Concurrency::CpuThreads => "cpu_threads",
                }
                .to_string(),
                default_runtime: d.default_runtime,
                sources: d.sources.into_iter().collect(),
            }
        })
        .collect()
}

/// The schedule in Chrome trace format (open in `chrome://tracing` or Perfetto): one complete event per model
/// on its device's track, plus a memory counter.
pub fn chrome_trace(p: &MultiPrediction) -> String {
    let mut events = Vec::new();
    for (i, m) in p.models.iter().enumerate() {
        events.push(serde_json::json!({
            "name": m.name, "cat": "model", "ph": "X",
            "ts": r4(m.start_ms * 1000.0), "dur": r4((m.end_ms - m.start_ms) * 1000.0),
            "pid": m.device, "tid": i,
            "args": {"batch": m.batch_size, "soloMs": r4(m.solo.latency_ms), "slowdown": r4(m.slowdown), "group": m.group}
        }));
    }
    for (t, mb) in &p.memory_curve {
        events.push(serde_json::json!({"name": "memory MB", "ph": "C", "ts": r4(t * 1000.0), "pid": "memory", "args": {"MB": r4(*mb)}}));
    }
    serde_json::json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string()
}

/// Pretty JSON of any output DTO.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_and_camel_case_keys_are_both_accepted() {
        let a =
            parse_workload(r#"[{"model_name":"gpt2","batch_size":2,"output_tokens":8}]"#).unwrap();
        let b =
            parse_workload(r#"{"models":[{"modelName":"gpt2","batchSize":2,"outputTokens":8}]}"#)
                .unwrap();
        assert_eq!(a.workload, b.workload);
    }

    #[test]
    fn bad_numbers_name_the_field() {
        for (json, field) in [
            (
                r#"[{"model_name":"gpt2","batch_size":0}]"#,
                "models[0].batch_size",
            ),
            (
                r#"[{"model_name":"gpt2","batch_size":2.5}]"#,
                "models[0].batch_size",
            ),
            (
                r#"[{"model_name":"gpt2"},{"model_name":"gpt2","sequence_length":-3}]"#,
                "models[1].sequence_length",
            ),
            (
                r#"{"models":[{"model_name":"gpt2"}],"constraints":{"max_memory":-1}}"#,
                "constraints.max_memory",
            ),
            (
                r#"{"models":[{"model_name":"gpt2"}],"constraints":{"max_compute":1.5}}"#,
                "constraints.max_compute",
            ),
            (
                r#"[{"model_name":"gpt2","precision":"fp12"}]"#,
                "models[0].precision",
            ),
            (r#"[{"batch_size":1}]"#, "models[0].model_name"),
        ] {
            let err = parse_workload(json).unwrap_err().to_string();
            assert!(err.contains(field), "{json}: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse_workload(r#"[{"model_name":"gpt2","bogus":1}]"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `bogus`") && err.contains("batch_size"),
            "{err}"
        );
        let err = parse_workload(r#""gpt2""#).unwrap_err().to_string();
        assert!(err.contains("an array of model entries"), "{err}");
    }

    #[test]
    fn non_finite_numbers_written_as_strings_are_named() {
        let err = parse_workload(r#"[{"model_name":"gpt2","batch_size":"NaN"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("models[0].batch_size: NaN"), "{err}");
        let err = parse_workload(r#"[{"model_name":"gpt2","audio_seconds":"-Infinity"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("models[0].audio_seconds: -inf"), "{err}");
        let err = parse_workload(r#"[{"model_name":"gpt2","batch_size":"four"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a number"), "{err}");
    }

    #[test]
    fn malformed_json_is_reported_with_position() {
        let err = parse_workload("[{\"model_name\": }")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("malformed workload") && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn custom_hardware_overrides_a_base() {
        let d = parse_hardware(
            r#"{"base":"cuda:a100-40gb","memory_capacity_mb":20000,"id":"cuda:a100-mig-3g"}"#,
        )
        .unwrap();
        assert_eq!(d.memory_capacity_mb, 20000.0);
        assert_eq!(d.peak_tflops.fp16, 312.0);
        let err = parse_hardware(r#"{"base":"cuda","bandwidth_efficiency":2}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("hardware.bandwidth_efficiency"), "{err}");
    }
}
