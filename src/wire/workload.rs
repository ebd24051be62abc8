//! Workload input: model entries (catalog names, architectures, graphs), constraints, the `{models: [...]}`
//! object, and the sharing table, validated into domain types that name the field on error.

use crate::flatmap::FlatMap;

use serde::{Deserialize, Serialize};

use super::{count, graph, lenient, malformed, positive, FieldPath};
use crate::catalog::hardware;
use crate::catalog::models::ChainGemm;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::{SharingConfig, SharingRule};
use crate::catalog::{ModelType, Precision};
use crate::error::{Error, Result};
use crate::predict::multi::{Constraints, ModelField, Workload};
use crate::predict::spec::{
    ArchSpec, AttentionKernels, CustomModel, Head, MemoryFormat, ModelSpec,
};

/// One model entry as written in JSON.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelEntry", optional_fields))]
pub struct ModelEntryDto {
    /// Model name.
    #[serde(alias = "modelName", alias = "name")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Model type.
    #[serde(alias = "modelType")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "ModelType", optional))]
    pub model_type: Option<String>,
    /// Batch size.
    #[serde(alias = "batchSize")]
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<f64>,
    /// Precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "Precision", optional))]
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
    /// CPU threads (default: every core).
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<f64>,
    /// Place this model on another device than the target, e.g. "wasm" or "webnn:npu".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Runtime for this model, e.g. "onnxruntime-web" (the device's or the workload's when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The output head to run instead of the catalog model's own: "masked-lm" (an encoder's masked-LM head
    /// over every position, as a fill-mask pipeline runs BERT).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "\"masked-lm\"", optional))]
    pub head: Option<String>,
    /// How the runtime lays out the activations: "contiguous" (NCHW, PyTorch's default) or "channels_last"
    /// (NHWC, `model.to(memory_format=torch.channels_last)`). Under PyTorch on CUDA GPUs each tensor-core 2-D
    /// convolution of an NCHW model has its input transposed to NHWC (and on the V100 and T4 its output back);
    /// channels-last ones do not. On CPUs channels-last convolutions skip oneDNN's layout copies.
    #[serde(alias = "memoryFormat")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "\"contiguous\" | \"channels_last\"", optional))]
    pub memory_format: Option<String>,
    /// Which attention kernels the model runs: "fused" (one kernel per layer: PyTorch's
    /// `scaled_dot_product_attention`, FlashAttention; Hugging Face's `attn_implementation` "sdpa" or
    /// "flash_attention_2"; SDPA's backend "flash") or "unfused" ("eager", SDPA's "math": the products, the
    /// scale, a text model's mask and the softmax as kernels of their own, the scores written out between
    /// them, as hand-written attention and PyTorch before 2.0 run). The runtime's own when absent (PyTorch,
    /// TensorRT, ONNX Runtime: fused on GPUs).
    #[serde(alias = "attn_implementation", alias = "attnImplementation")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        test,
        ts(
            type = "\"fused\" | \"unfused\" | \"sdpa\" | \"flash\" | \"flash_attention_2\" | \"eager\" | \"math\"",
            optional
        )
    )]
    pub attention: Option<String>,
    /// Parameters in millions, for models outside the catalog.
    #[serde(default, deserialize_with = "lenient::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<f64>,
    /// GFLOPs per item, with `params`, for models outside the catalog.
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
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ArchitectureSpec", optional_fields))]
pub struct ArchDto {
    /// `encoder` or `decoder`.
    #[cfg_attr(test, ts(type = "\"encoder\" | \"decoder\"", optional))]
    pub family: Option<String>,
    /// Layers.
    #[serde(default, deserialize_with = "lenient::option")]
    #[cfg_attr(test, ts(type = "number"))]
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
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "Constraints", optional_fields))]
pub struct ConstraintsDto {
    /// Memory budget across all pools, MB.
    #[serde(alias = "maxMemory")]
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_memory: Option<f64>,
    /// Share of each device's compute the models may use, in (0, 1].
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
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WorkloadObject", optional_fields))]
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

impl ModelEntryDto {
    /// Validates the entry found at `field` (e.g. `models[2]`; written only into errors).
    pub fn into_spec(self, field: impl std::fmt::Display) -> Result<ModelSpec> {
        self.into_spec_on(field, &[])
    }

    /// Like [`ModelEntryDto::into_spec`], where `device` may also name one of `devices` (profiles outside
    /// the catalog that come with the entry, as in a stored measurement).
    pub fn into_spec_on(
        self,
        field: impl std::fmt::Display,
        devices: &[String],
    ) -> Result<ModelSpec> {
        self.checked(&field, devices)
    }

    /// [`ModelEntryDto::into_spec_on`] with the path behind one pointer type, so the body is compiled once
    /// whatever path type callers pass (the package's size).
    fn checked(self, field: &dyn std::fmt::Display, devices: &[String]) -> Result<ModelSpec> {
        let name = self.model_name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
            Error::missing(format!("{field}.model_name"), "a model name such as bert-base-uncased")
        })?;
        let f = |k: &str| format!("{field}.{k}");
        // The field paths of checks that pass on almost every call, written only for an error.
        let at = |k| FieldPath(field, k);
        let model_type = self
            .model_type
            .as_deref()
            .map(|t| ModelType::parse(at("model_type"), t))
            .transpose()?;
        let custom = match (self.params, self.architecture) {
            _ if self.graph.is_some() => Some(CustomModel::Graph(
                self.graph.unwrap_or_default().into_graph(&f("graph"), model_type)?,
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
                params_m: positive(at("params"), Some(p), 1e7)?.unwrap_or(p),
                gflops: positive(at("gflops"), self.gflops, 1e9)?,
            }),
            (None, None) if self.gflops.is_some() => {
                return Err(Error::missing(f("params"), "params (millions) must accompany gflops"))
            }
            (None, None) => None,
        };
        if let Some(d) = self.device.as_ref().filter(|d| !devices.contains(d)) {
            hardware::shared(d).map_err(|_| {
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
            batch_size: count(at("batch_size"), self.batch_size, 1.0, 65_536.0)?.unwrap_or(1),
            precision: self
                .precision
                .as_deref()
                .map(|p| Precision::parse(at("precision"), p))
                .transpose()?
                .unwrap_or(Precision::Fp32),
            sequence_length: count(at("sequence_length"), self.sequence_length, 1.0, 1_048_576.0)?,
            image_size: count(at("image_size"), self.image_size, 32.0, 8192.0)?,
            audio_seconds: positive(at("audio_seconds"), self.audio_seconds, 36_000.0)?,
            output_tokens: count(at("output_tokens"), self.output_tokens, 0.0, 1_048_576.0)?,
            threads: count(at("threads"), self.threads, 1.0, 4096.0)?,
            device: self.device,
            runtime: self
                .runtime
                .as_deref()
                .map(|r| {
                    RuntimeProfile::canonical(r).map(str::to_string).map_err(|_| {
                        let names: Vec<String> =
                            RuntimeProfile::all().into_iter().map(|p| p.name).collect();
                        Error::invalid(f("runtime"), r, format!("one of {}", names.join(", ")))
                    })
                })
                .transpose()?,
            custom,
            head: self.head.as_deref().map(|h| Head::parse(at("head"), h)).transpose()?,
            memory_format: self
                .memory_format
                .as_deref()
                .map(|m| MemoryFormat::parse(at("memory_format"), m))
                .transpose()?,
            attention: self
                .attention
                .as_deref()
                .map(|a| AttentionKernels::parse(at("attention"), a))
                .transpose()?,
        })
    }
}

impl ArchDto {
    fn into_spec(self, field: &str) -> Result<ArchSpec> {
        let f = |k: &str| format!("{field}.{k}");
        let at = |k| FieldPath(&field, k);
        let need = |k: &str, v: Option<f64>, max: f64| {
            count(FieldPath(&field, k), v, 1.0, max)?
                .ok_or_else(|| Error::missing(f(k), "a positive integer"))
        };
        let decoder = match self.family.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("encoder") => false,
            Some("decoder") => true,
            Some(other) => return Err(Error::invalid(f("family"), other, "encoder or decoder")),
        };
        Ok(ArchSpec {
            decoder,
            layers: need("layers", self.layers, 1000.0)?,
            hidden: need("hidden", self.hidden, 65_536.0)?,
            heads: need("heads", self.heads, 1024.0)?,
            kv_heads: count(at("kv_heads"), self.kv_heads, 1.0, 1024.0)?,
            ffn: count(at("ffn"), self.ffn, 1.0, 1_048_576.0)?,
            vocab: count(at("vocab"), self.vocab, 1.0, 10_000_000.0)?,
            gated: self.gated.unwrap_or(false),
        })
    }
}

impl ConstraintsDto {
    /// Validates the constraints.
    pub fn into_constraints(self) -> Result<Constraints> {
        let max_memory_mb = match self.max_memory {
            Some(m) if !(m.is_finite() && m > 0.0) => {
                return Err(Error::invalid("constraints.max_memory", m, "a positive number of MB"))
            }
            m => m,
        };
        let max_compute = match self.max_compute {
            Some(x) if !(x.is_finite() && x > 0.0 && x <= 1.0) => {
                return Err(Error::invalid("constraints.max_compute", x, "a number in (0, 1]"))
            }
            x => x,
        };
        Ok(Constraints { max_memory_mb, max_compute })
    }
}

/// Parses a workload document.
pub fn parse_workload(json: &str) -> Result<ParsedWorkload> {
    let dto: WorkloadDto = serde_json::from_str(json).map_err(|e| malformed("workload", e))?;
    ParsedWorkload::try_from(dto)
}

/// Validates a workload DTO.
impl TryFrom<WorkloadDto> for ParsedWorkload {
    type Error = Error;

    fn try_from(dto: WorkloadDto) -> Result<ParsedWorkload> {
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
            .map(|(i, e)| e.into_spec(ModelField(i)))
            .collect::<Result<Vec<_>>>()?;
        let constraints = constraints.unwrap_or_default().into_constraints()?;
        Ok(ParsedWorkload { workload: Workload { models, constraints }, hardware, runtime })
    }
}

/// A sharing table row as written in JSON (the seed's schema).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "SharingRule"))]
pub struct SharingRuleDto {
    /// Compatible types.
    #[serde(alias = "compatibleTypes")]
    #[cfg_attr(test, ts(type = "ModelType[]"))]
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
    let map: FlatMap<String, SharingRuleDto> =
        serde_json::from_str(json).map_err(|e| malformed("sharing config", e))?;
    SharingConfig::try_from(map)
}

/// Validates a sharing table.
impl TryFrom<FlatMap<String, SharingRuleDto>> for SharingConfig {
    type Error = Error;

    fn try_from(map: FlatMap<String, SharingRuleDto>) -> Result<SharingConfig> {
        let mut rules = Vec::new();
        for (ty, rule) in map {
            let field = format!("sharing_config.{ty}");
            let t = ModelType::parse(&field, &ty)?;
            let compatible_types = rule
                .compatible_types
                .iter()
                .map(|c| ModelType::parse(FieldPath(&field.as_str(), "compatible_types"), c))
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
}
