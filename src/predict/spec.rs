//! Validated inputs: one model entry ([`ModelSpec`]) and its resolution to an architecture and an input shape
//! ([`ResolvedModel`]), with a warning whenever something had to be estimated.

use crate::catalog::arch::{Activation, AttnBias, Embedding, TxStack};
use crate::catalog::hardware::DeviceProfile;
use crate::catalog::models::{self, Architecture, ChainGemm, EncoderHead, InputShape, OpGraph};
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::{ModelType, Precision};
use crate::error::{Error, Result};

/// Architecture given explicitly for a model outside the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchSpec {
    /// `encoder` (BERT-like) or `decoder` (GPT/Llama-like).
    pub decoder: bool,
    /// Layers.
    pub layers: u32,
    /// Hidden size.
    pub hidden: u32,
    /// Attention heads.
    pub heads: u32,
    /// Key/value heads (grouped-query attention); defaults to `heads`.
    pub kv_heads: Option<u32>,
    /// FFN width; defaults to 4·hidden.
    pub ffn: Option<u32>,
    /// Vocabulary; defaults to 32,000.
    pub vocab: Option<u32>,
    /// Gated (SwiGLU) FFN.
    pub gated: bool,
}

/// How a model outside the catalog is described.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomModel {
    /// Parameter count in millions and, optionally, GFLOPs per item.
    Size {
        /// Parameters, millions.
        params_m: f64,
        /// Work per item, GFLOPs.
        gflops: Option<f64>,
    },
    /// Layer shapes.
    Arch(ArchSpec),
    /// A GEMM chain (a built-in synthetic workload, see [`crate::workload`]).
    Chain(Vec<ChainGemm>),
    /// Operators read from the model's own graph ([`crate::onnx::describe`]).
    Graph(std::sync::Arc<OpGraph>),
}

impl CustomModel {
    /// Identifies the described weights.
    pub fn key(&self) -> String {
        match self {
            CustomModel::Size { params_m, gflops } => {
                format!("size:{:x}:{:x}", params_m.to_bits(), gflops.unwrap_or(0.0).to_bits())
            }
            CustomModel::Arch(a) => format!(
                "arch:{}:{}:{}:{}:{:?}:{:?}:{:?}:{}",
                a.decoder, a.layers, a.hidden, a.heads, a.kv_heads, a.ffn, a.vocab, a.gated
            ),
            CustomModel::Chain(gemms) => {
                let dims: Vec<String> =
                    gemms.iter().map(|g| format!("{}x{}x{}", g.m, g.k, g.n)).collect();
                format!("chain:{}", dims.join(","))
            }
            CustomModel::Graph(g) => g.key(),
        }
    }
}

/// One model entry of a workload, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Name (catalog name, alias, or anything for custom models).
    pub name: String,
    /// Declared type; the catalog's when absent.
    pub model_type: Option<ModelType>,
    /// Items per run, ≥ 1.
    pub batch_size: u32,
    /// Weight (and activation) precision.
    pub precision: Precision,
    /// Text tokens per item (prompt length for generation).
    pub sequence_length: Option<u32>,
    /// Image side in pixels.
    pub image_size: Option<u32>,
    /// Audio length in seconds.
    pub audio_seconds: Option<f64>,
    /// Tokens to generate.
    pub output_tokens: Option<u32>,
    /// CPU threads for this model (default: every core of the device).
    pub threads: Option<u32>,
    /// Device this model is placed on (`platform:device`); the workload's hardware when absent.
    pub device: Option<String>,
    /// Runtime for this model (canonical name); the target's or the device's default when absent.
    pub runtime: Option<String>,
    /// Description of a model outside the catalog.
    pub custom: Option<CustomModel>,
    /// The output head run on top of the model, where it is not the catalog's (encoders: a masked-LM head).
    pub head: Option<Head>,
    /// How the runtime lays out the model's activations, where it lets the user choose (PyTorch's
    /// `memory_format`); the runtime's default (PyTorch: contiguous, NCHW) when absent.
    pub memory_format: Option<MemoryFormat>,
    /// Which attention kernels the model runs, where the user chooses (Hugging Face's `attn_implementation`,
    /// or a PyTorch before 2.0 without `scaled_dot_product_attention`); the runtime's own when absent.
    pub attention: Option<AttentionKernels>,
}

/// How a model's image activations are laid out in memory, where the runtime lets the user choose: PyTorch's
/// `torch.contiguous_format` (NCHW, its default) or `torch.channels_last` (NHWC,
/// `model.to(memory_format=torch.channels_last)` with inputs converted alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemoryFormat {
    /// NCHW: each channel's pixels together.
    Contiguous,
    /// NHWC: each pixel's channels together, the layout cuDNN's tensor-core convolutions compute in.
    ChannelsLast,
}

impl MemoryFormat {
    /// Its name in workloads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contiguous => "contiguous",
            Self::ChannelsLast => "channels_last",
        }
    }

    /// Parses a memory format's name: `contiguous` (also `nchw`), `channels_last` (also `channels-last`,
    /// `nhwc`).
    pub fn parse(field: impl std::fmt::Display, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "contiguous" | "contiguous_format" | "nchw" => Ok(Self::Contiguous),
            "channels_last" | "nhwc" => Ok(Self::ChannelsLast),
            _ => Err(Error::invalid(
                field.to_string(),
                text,
                "contiguous (NCHW, PyTorch's default) or channels_last (NHWC)",
            )),
        }
    }
}

/// How a model's attention runs, where the user chooses: one fused kernel per layer (PyTorch's
/// `scaled_dot_product_attention`, FlashAttention; Hugging Face's `attn_implementation="sdpa"` or
/// `"flash_attention_2"`), or the products and the softmax as kernels of their own that write the scores out
/// (`attn_implementation="eager"`, hand-written `matmul` / `softmax` / `matmul` models, PyTorch before 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttentionKernels {
    /// One kernel computes the scores, the softmax and their product with V without writing the scores.
    Fused,
    /// QKᵀ, the scale and mask, the softmax and the product with V: kernels of their own, the scores written
    /// to memory and read back between them.
    Unfused,
}

impl AttentionKernels {
    /// Its name in workloads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fused => "fused",
            Self::Unfused => "unfused",
        }
    }

    /// Parses an attention implementation: `fused` (also Hugging Face's `sdpa` and `flash_attention_2`, and
    /// PyTorch's SDPA backend name `flash`), `unfused` (also `eager`, and `math`: SDPA's composite fallback).
    pub fn parse(field: impl std::fmt::Display, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "fused" | "sdpa" | "flash" | "flash_attention_2" => Ok(Self::Fused),
            "unfused" | "eager" | "math" => Ok(Self::Unfused),
            _ => Err(Error::invalid(
                field.to_string(),
                text,
                "fused (sdpa, flash_attention_2: one kernel per layer) or unfused (eager: the products and \
                 the softmax apart)",
            )),
        }
    }
}

impl AttentionKernels {
    /// Whether a model whose entry asks `asked` runs attention as one fused kernel under `runtime` on
    /// `device`: where the device runs the runtime's fused kernel ([`DeviceProfile::fuses_attention`]) and
    /// the entry does not ask for it unfused. The prediction, the memory plan and the memory advice all
    /// decide it here.
    pub fn runs_fused(
        asked: Option<Self>,
        device: &DeviceProfile,
        runtime: &RuntimeProfile,
    ) -> bool {
        asked != Some(Self::Unfused) && device.fuses_attention(runtime)
    }
}

/// An output head a model entry asks for instead of its catalog model's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Head {
    /// An encoder's masked-language-model head over every position, in place of its pooler (BERT's and
    /// DistilBERT's `…ForMaskedLM`; a fill-mask pipeline): the vocabulary's logits for every token.
    MaskedLm,
}

impl Head {
    /// Its name in workloads.
    pub fn name(self) -> &'static str {
        match self {
            Self::MaskedLm => "masked-lm",
        }
    }

    /// Parses a head's name (`masked-lm`, also `masked_lm` and `fill-mask`).
    pub fn parse(field: impl std::fmt::Display, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "masked-lm" | "fill-mask" => Ok(Self::MaskedLm),
            _ => Err(Error::invalid(
                field.to_string(),
                text,
                "masked-lm (an encoder's masked-LM head)",
            )),
        }
    }
}

impl ModelSpec {
    /// A catalog model with every option at its default.
    pub fn named(name: &str) -> Self {
        ModelSpec {
            name: name.to_string(),
            model_type: None,
            batch_size: 1,
            precision: Precision::Fp32,
            sequence_length: None,
            image_size: None,
            audio_seconds: None,
            output_tokens: None,
            threads: None,
            device: None,
            runtime: None,
            custom: None,
            head: None,
            memory_format: None,
            attention: None,
        }
    }

    /// Same spec with another batch size.
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch_size = batch;
        self
    }

    /// Same spec with another precision.
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// A key that identifies the entry's content, used to order models canonically so that the order in
    /// which a user lists them never changes a result.
    pub fn canonical_key(&self) -> String {
        let mut k = String::with_capacity(self.name.len() + 48);
        self.canonical_key_into(&mut k);
        k
    }

    /// [`ModelSpec::canonical_key`] appended to `k` (a caller keying many entries writes them into one
    /// buffer). Floats enter by their bit patterns: exact, and no float formatting code in the wasm build.
    /// Absent values are empty fields.
    pub fn canonical_key_into(&self, k: &mut String) {
        for text in [self.name.as_str(), self.model_type.map_or("", ModelType::name)] {
            k.push_str(text);
            k.push('|');
        }
        push_decimal(k, self.batch_size);
        k.push('|');
        k.push_str(self.precision.name());
        k.push('|');
        for x in [self.sequence_length, self.image_size] {
            if let Some(v) = x {
                push_decimal(k, v);
            }
            k.push('|');
        }
        if let Some(v) = self.audio_seconds {
            use std::fmt::Write;
            let _ = write!(k, "{:x}", v.to_bits());
        }
        k.push('|');
        for x in [self.output_tokens, self.threads] {
            if let Some(v) = x {
                push_decimal(k, v);
            }
            k.push('|');
        }
        for x in [&self.device, &self.runtime] {
            k.push_str(x.as_deref().unwrap_or(""));
            k.push('|');
        }
        k.push_str(self.head.map_or("", Head::name));
        k.push('|');
        k.push_str(self.memory_format.map_or("", MemoryFormat::name));
        k.push('|');
        k.push_str(self.attention.map_or("", AttentionKernels::name));
        k.push('|');
        if let Some(c) = &self.custom {
            k.push_str(&c.key());
        }
    }
}

/// Appends `v` in decimal, as `write!(k, "{v}")` does, without the formatting machinery (keys are written for
/// every entry of every call).
pub fn push_decimal(k: &mut String, v: u32) {
    k.push_str(itoa::Buffer::new().format(v));
}

/// A model entry turned into an architecture and a concrete input.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    /// Name as given.
    pub name: String,
    /// Type used for sharing rules.
    pub model_type: ModelType,
    /// Layers.
    pub arch: Architecture,
    /// Parameters (`arch.params()`, counted once: a CNN walks its layers to count them).
    pub params: f64,
    /// Concrete input with the batch.
    pub input: InputShape,
    /// Weight precision.
    pub precision: Precision,
    /// Identifies the weights (catalog name, custom description or estimated name): two models with the same
    /// key and precision hold identical tensors.
    pub weights_key: String,
    /// What was estimated or adjusted.
    pub warnings: Vec<String>,
    /// The entry's activation layout (`ModelSpec::memory_format`), where it sets one.
    pub memory_format: Option<MemoryFormat>,
    /// The entry's attention implementation (`ModelSpec::attention`), where it sets one.
    pub attention: Option<AttentionKernels>,
}

impl ResolvedModel {
    /// The entry asks for channels-last activations: the convolutions get NHWC tensors.
    pub fn channels_last(&self) -> bool {
        self.memory_format == Some(MemoryFormat::ChannelsLast)
    }
}

/// Default output tokens for generation models (the seed's default).
pub const DEFAULT_OUTPUT_TOKENS: u32 = 32;

/// Resolves an entry; `field` is its path in the workload (e.g. `models[1]`), written only into errors and
/// warnings.
pub fn resolve(spec: &ModelSpec, field: impl std::fmt::Display) -> Result<ResolvedModel> {
    let field: &dyn std::fmt::Display = &field;
    let mut warnings = Vec::new();
    let (mut arch, catalog_type, mut input, mut weights_key) =
        match (&spec.custom, models::find(&spec.name)) {
            (Some(custom), _) => {
                let (a, t, i) = custom_arch(spec, custom, field, &mut warnings)?;
                (a, t, i, format!("custom:{}:{}", t.name(), custom.key()))
            }
            (None, Some(m)) => {
                (m.arch, m.model_type, m.default_input, ["catalog:", m.name].concat())
            }
            (None, None) => {
                let (a, t, i) = estimate(spec, field, &mut warnings)?;
                (a, t, i, format!("estimated:{}:{}", t.name(), spec.name.to_ascii_lowercase()))
            }
        };
    input.batch = spec.batch_size;
    if let Some(s) = spec.sequence_length {
        input.sequence_length = s;
    }
    if let Some(s) = spec.image_size {
        input.image_size = s;
    }
    if let Some(s) = spec.audio_seconds {
        input.audio_seconds = s;
    }
    input.output_tokens =
        if arch.generates() { spec.output_tokens.unwrap_or(DEFAULT_OUTPUT_TOKENS) } else { 0 };
    if spec.output_tokens.is_some() && !arch.generates() {
        warnings.push(format!(
            "{field}.output_tokens ignored: '{}' does not generate tokens",
            spec.name
        ));
    }
    if let Some(head) = spec.head {
        with_head(&mut arch, head, field)?;
        weights_key.push(':');
        weights_key.push_str(head.name());
    }
    clamp_positions(&arch, &mut input, field, &mut warnings);
    Ok(ResolvedModel {
        name: spec.name.clone(),
        model_type: spec.model_type.unwrap_or(catalog_type),
        params: arch.params(),
        arch,
        input,
        precision: spec.precision,
        weights_key,
        warnings,
        memory_format: spec.memory_format,
        attention: spec.attention,
    })
}

/// `arch` with `head` in place of its own, or an error naming the entry's `head` where the architecture has
/// no such head.
fn with_head(arch: &mut Architecture, head: Head, field: &dyn std::fmt::Display) -> Result<()> {
    match (head, arch) {
        (Head::MaskedLm, Architecture::Encoder { head: own, .. }) => {
            *own = EncoderHead::MaskedLm;
            Ok(())
        }
        (Head::MaskedLm, other) => Err(Error::invalid(
            format!("{field}.head"),
            head.name(),
            match other {
                Architecture::Graph(_) => {
                    "no head on a described graph: its operators are the model's, head included".to_string()
                }
                _ => format!(
                    "no head on this model ({}): masked-lm is an encoder's (BERT family: bert-base-uncased, distilbert-base-uncased, ...)",
                    other.default_type().name()
                ),
            },
        )),
    }
}

/// Models with a learned position table cannot read past it; the input is cut and a warning says so.
fn clamp_positions(
    arch: &Architecture,
    input: &mut InputShape,
    field: &dyn std::fmt::Display,
    warnings: &mut Vec<String>,
) {
    let limit = match arch {
        Architecture::Encoder { embed, .. } if embed.positions > 0 => embed.positions,
        Architecture::Decoder { embed, .. } if embed.positions > 0 => embed.positions,
        _ => return,
    };
    let needed = input.sequence_length + input.output_tokens;
    if needed > limit {
        let cut = limit.saturating_sub(input.output_tokens).max(1);
        warnings.push(format!("{field}.sequence_length {} (+{} output tokens) exceeds the model's {limit} positions: truncated to {cut}", input.sequence_length, input.output_tokens));
        input.sequence_length = cut;
    }
}

/// The input of a model outside the catalog when its entry names none (batch 1, 128 tokens, 224 px, 10 s).
pub(crate) fn default_input() -> InputShape {
    InputShape {
        batch: 1,
        sequence_length: 128,
        image_size: 224,
        audio_seconds: 10.0,
        output_tokens: 0,
    }
}

/// A transformer stack of about `params` parameters with the usual proportions (64-wide heads, FFN 4×,
/// one layer per 64 of width as in BERT-base and GPT-2).
fn synth_stack(params: f64) -> TxStack {
    // Widths are multiples of 64; take the one whose 12·L·d² (L = d/64 layers) is closest to `params`. A
    // search instead of a cube root keeps libm's cbrt out of the wasm build.
    let per_width = |d: f64| 12.0 * (d / 64.0) * d * d;
    let d = (1..=1024u32)
        .map(|k| f64::from(k * 64))
        .min_by(|a, b| (per_width(*a) - params).abs().total_cmp(&(per_width(*b) - params).abs()))
        .unwrap_or(64.0);
    let layers = (params / (12.0 * d * d)).round().clamp(1.0, 1000.0);
    let d = d as u32;
    TxStack::bert(layers as u32, d, (d / 64).max(1), 4 * d)
}

fn custom_arch(
    spec: &ModelSpec,
    custom: &CustomModel,
    field: &dyn std::fmt::Display,
    warnings: &mut Vec<String>,
) -> Result<(Architecture, ModelType, InputShape)> {
    let ty = spec.model_type;
    match custom {
        CustomModel::Chain(gemms) => {
            if gemms.is_empty() || gemms.iter().any(|g| g.m == 0 || g.k == 0 || g.n == 0) {
                return Err(Error::invalid(
                    format!("{field}.chain"),
                    format!("{} GEMMs", gemms.len()),
                    "at least one GEMM, every dimension ≥ 1",
                ));
            }
            let arch = Architecture::Chain(gemms.clone());
            let t = ty.unwrap_or_else(|| arch.default_type());
            Ok((arch, t, default_input()))
        }
        CustomModel::Graph(g) => {
            for (given, what) in [
                (spec.sequence_length.is_some(), "sequence_length"),
                (spec.image_size.is_some(), "image_size"),
                (spec.audio_seconds.is_some(), "audio_seconds"),
            ] {
                if given {
                    warnings.push(format!(
                        "{field}.{what} ignored: the graph's operators were described at fixed input sizes (describe it again with the new size)"
                    ));
                }
            }
            let arch = Architecture::Graph(g.clone());
            Ok((arch, ty.unwrap_or(g.model_type), default_input()))
        }
        CustomModel::Size { params_m, gflops } => {
            let params = params_m * 1e6;
            let stack = synth_stack(params);
            let mut input = default_input();
            if let Some(g) = gflops {
                // Tokens per item such that the linear layers do `gflops` of work: 2 · params · tokens.
                input.sequence_length = ((g * 1e9) / (2.0 * params)).round().clamp(1.0, 1e6) as u32;
            }
            let decoder = ty == Some(ModelType::TextGeneration);
            warnings.push(format!(
                "{field}: '{}' is not in the catalog: modelled as a generic {} of {params_m} M parameters ({} layers × {} wide){}",
                spec.name,
                if decoder { "decoder" } else { "encoder" },
                stack.layers,
                stack.d_model,
                gflops.map_or(String::new(), |g| format!(", {g} GFLOPs per item"))
            ));
            Ok(generic(stack, decoder, 0, ty, input))
        }
        CustomModel::Arch(a) => {
            let heads = a.heads;
            if heads == 0 || a.hidden % heads != 0 {
                return Err(Error::invalid(
                    format!("{field}.architecture.heads"),
                    heads,
                    format!("a divisor of hidden ({})", a.hidden),
                ));
            }
            let kv = a.kv_heads.unwrap_or(heads);
            if kv == 0 || heads % kv != 0 {
                return Err(Error::invalid(
                    format!("{field}.architecture.kv_heads"),
                    kv,
                    format!("a divisor of heads ({heads})"),
                ));
            }
            let stack = TxStack {
                kv_heads: kv,
                gated_ffn: a.gated,
                attn_bias: if a.decoder && a.gated { AttnBias::None } else { AttnBias::All },
                ffn_bias: !a.gated,
                norm_bias: !a.gated,
                // Gated FFNs are SwiGLU (SiLU on the gate); plain ones GELU.
                activation: if a.gated { Activation::Sigmoid } else { Activation::Gelu },
                ..TxStack::bert(a.layers, a.hidden, heads, a.ffn.unwrap_or(4 * a.hidden))
            };
            Ok(generic(stack, a.decoder, a.vocab.unwrap_or(32_000), ty, default_input()))
        }
    }
}

fn generic(
    stack: TxStack,
    decoder: bool,
    vocab: u32,
    ty: Option<ModelType>,
    input: InputShape,
) -> (Architecture, ModelType, InputShape) {
    let embed =
        Embedding { vocab, dim: stack.d_model, positions: 0, token_types: 0, norm: !decoder };
    if decoder {
        (Architecture::Decoder { embed, stack, tied_head: true }, ModelType::TextGeneration, input)
    } else {
        (
            Architecture::Encoder { embed, stack, head: EncoderHead::None },
            ty.unwrap_or(ModelType::TextEmbedding),
            input,
        )
    }
}

/// Parameter counts for size words, from the usual members of each family (BERT, GPT-2, ViT).
const SIZE_WORDS: [(&str, f64, f64, f64); 8] = [
    // word, encoder (text), decoder (text generation), vision transformer
    ("tiny", 4.4e6, 30e6, 5.7e6),
    ("mini", 11.3e6, 60e6, 11e6),
    ("small", 29e6, 124e6, 22e6),
    ("base", 110e6, 124e6, 86e6),
    ("medium", 41e6, 355e6, 86e6),
    ("large", 335e6, 774e6, 304e6),
    ("xl", 1.3e9, 1.5e9, 632e6),
    ("huge", 1.3e9, 1.5e9, 632e6),
];

const DECODER_WORDS: [&str; 12] = [
    "gpt",
    "llama",
    "qwen",
    "mistral",
    "phi",
    "gemma",
    "opt",
    "bloom",
    "falcon",
    "smollm",
    "tinyllama",
    "mpt",
];
const VISION_WORDS: [&str; 8] =
    ["vit", "deit", "swin", "beit", "dino", "convnext", "resnet", "image"];
const TEXT_WORDS: [&str; 8] = ["bert", "roberta", "minilm", "bge", "e5", "gte", "mpnet", "electra"];
const AUDIO_WORDS: [&str; 4] = ["whisper", "wav2vec", "hubert", "audio"];

/// Explicit sizes in the name: `7b`, `0.5b`, `125m`.
fn size_in_name(name: &str) -> Option<f64> {
    name.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).find_map(|tok| {
        let (num, unit) = tok.split_at(tok.len().checked_sub(1)?);
        let scale = match unit {
            "b" => 1e9,
            "m" => 1e6,
            _ => return None,
        };
        decimal(num).filter(|v| *v > 0.0).map(|v| v * scale)
    })
}

/// Parses `12`, `0.5`, `1.25` (digits with at most one point); anything else is `None`. Written out because
/// size words are the only place that parses text into floats, and `f64::from_str` costs 6 KB of wasm.
fn decimal(text: &str) -> Option<f64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 15
    {
        return None;
    }
    let digits = |s: &str| s.bytes().fold(0.0, |acc, b| acc * 10.0 + f64::from(b - b'0'));
    Some(digits(int) + digits(frac) / 10f64.powi(frac.len() as i32))
}

fn estimate(
    spec: &ModelSpec,
    field: &dyn std::fmt::Display,
    warnings: &mut Vec<String>,
) -> Result<(Architecture, ModelType, InputShape)> {
    let lower = spec.name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let ty = spec.model_type.or_else(|| {
        if has(&DECODER_WORDS) {
            Some(ModelType::TextGeneration)
        } else if has(&VISION_WORDS) {
            Some(ModelType::Vision)
        } else if has(&AUDIO_WORDS) {
            Some(ModelType::Audio)
        } else if has(&TEXT_WORDS) {
            Some(ModelType::TextEmbedding)
        } else {
            None
        }
    });
    let Some(ty) = ty else {
        let names: Vec<&str> = models::catalog().iter().map(|m| m.name).collect();
        return Err(Error::invalid(
            format!("{field}.model_name"),
            &spec.name,
            format!("a catalog model ({}), or give model_type, params (millions) or an architecture for other models", names.join(", ")),
        ));
    };
    let word = SIZE_WORDS
        .iter()
        .find(|(w, ..)| lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| t == *w));
    let column = |row: &(&str, f64, f64, f64)| match ty {
        ModelType::TextGeneration => row.2,
        ModelType::Vision | ModelType::Multimodal => row.3,
        _ => row.1,
    };
    let (params, basis) = match (size_in_name(&lower), word) {
        (Some(p), _) => (p, format!("the size '{}' in its name", fmt_params(p))),
        (None, Some(row)) => (column(row), format!("the size word '{}'", row.0)),
        (None, None) => (column(&SIZE_WORDS[3]), "no size word (assumed 'base')".to_string()),
    };
    let stack = synth_stack(params);
    warnings.push(format!(
        "{field}: unknown model '{}': estimated as a {} {} of {} parameters from its type and {basis}; give params, gflops or an architecture for a real prediction",
        spec.name,
        ty.name(),
        if ty == ModelType::TextGeneration { "decoder" } else { "encoder" },
        fmt_params(params)
    ));
    let mut input = default_input();
    if matches!(ty, ModelType::Vision | ModelType::Multimodal) {
        input.sequence_length = 197; // 14×14 patches + class token at 224².
    } else if ty == ModelType::Audio {
        input.sequence_length = 500; // 10 s at 50 frames/s.
    }
    let vocab = if ty == ModelType::TextGeneration { 50_257 } else { 0 };
    Ok(generic(stack, ty == ModelType::TextGeneration, vocab, Some(ty), input))
}

fn fmt_params(p: f64) -> String {
    if p >= 1e9 {
        format!("{:.1}B", p / 1e9)
    } else {
        format!("{:.0}M", p / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_lm_head_replaces_the_pooler_with_the_vocabulary_at_every_position() {
        let (seq, d, vocab) = (384.0, 768.0, 30_522.0);
        let entry = |head| ModelSpec {
            sequence_length: Some(384),
            head,
            ..ModelSpec::named("bert-base-uncased")
        };
        let plain = resolve(&entry(None), "m").unwrap();
        let mlm = resolve(&entry(Some(Head::MaskedLm)), "m").unwrap();
        let flops = |m: &ResolvedModel| {
            m.arch.work(&m.input).prefill.iter().map(|o| o.flops * o.repeat).sum::<f64>()
        };
        // The pooler's d×d product on one token goes; the transform (d×d), its GELU and LayerNorm, and the
        // projection to the vocabulary (d×vocab) on every token come.
        let head_gemms = 2.0 * seq * d * (d + vocab) - 2.0 * d * d;
        let added = flops(&mlm) - flops(&plain);
        assert!(added > head_gemms && added < head_gemms * 1.01, "{added} vs {head_gemms}");
        // Its weights: the transform, the LayerNorm and the vocabulary's bias (the projection is the word
        // embeddings', already counted), less the pooler's.
        assert_eq!(mlm.params - plain.params, (d * d + d + 2.0 * d + vocab) - (d * d + d));
        // Not the same weights as the catalog model's: no sharing between the two.
        assert_ne!(mlm.weights_key, plain.weights_key);
        // Its own key: a workload of both keeps them apart.
        assert_ne!(entry(Some(Head::MaskedLm)).canonical_key(), entry(None).canonical_key());
        assert_eq!(Head::parse("h", "fill_mask").unwrap(), Head::MaskedLm);
    }

    #[test]
    fn decimals_are_written_as_the_formatter_writes_them() {
        for v in [0, 7, 10, 99, 100, 4_096, 65_535, 1_000_000_007, u32::MAX] {
            let mut k = String::from("x|");
            push_decimal(&mut k, v);
            assert_eq!(k, format!("x|{v}"));
        }
        // The key of an entry with every field set: its fields in order, absent ones empty.
        let mut spec = ModelSpec::named("gpt2").with_batch(12);
        spec.model_type = Some(ModelType::TextGeneration);
        spec.sequence_length = Some(300);
        spec.threads = Some(2);
        spec.runtime = Some("onnxruntime".into());
        assert_eq!(spec.canonical_key(), "gpt2|text_generation|12|fp32|300||||2||onnxruntime||||");
        spec.head = Some(Head::MaskedLm);
        assert!(spec.canonical_key().ends_with("|onnxruntime|masked-lm|||"));
        spec.memory_format = Some(MemoryFormat::ChannelsLast);
        assert!(spec.canonical_key().ends_with("|onnxruntime|masked-lm|channels_last||"));
        spec.attention = Some(AttentionKernels::Unfused);
        assert!(spec.canonical_key().ends_with("|masked-lm|channels_last|unfused|"));
    }

    #[test]
    fn unknown_names_are_estimated_with_a_warning() {
        let mut spec = ModelSpec::named("acme-llama-7b-chat");
        spec.model_type = None;
        let r = resolve(&spec, "models[0]").unwrap();
        assert_eq!(r.model_type, ModelType::TextGeneration);
        assert!((r.arch.params() / 7e9 - 1.0).abs() < 0.25, "{}", r.arch.params());
        assert!(r.warnings[0].contains("unknown model 'acme-llama-7b-chat'"), "{:?}", r.warnings);
    }

    #[test]
    fn sizes_in_names_are_read_exactly() {
        assert_eq!(size_in_name("acme-0.5b-chat"), Some(0.5e9));
        assert_eq!(size_in_name("gpt-125m"), Some(125e6));
        assert_eq!(size_in_name("model-1.2.3b"), None);
        assert_eq!(size_in_name("no-size"), None);
        // BERT-base's layers hold 85 M parameters (its embeddings another 24 M).
        let s = synth_stack(85e6);
        assert_eq!((s.d_model, s.layers), (768, 12), "BERT-base's layer stack");
    }

    #[test]
    fn a_name_without_any_hint_is_an_error_naming_the_field() {
        let err = resolve(&ModelSpec::named("foo"), "models[3]").unwrap_err().to_string();
        assert!(err.contains("models[3].model_name") && err.contains("bert-base-uncased"), "{err}");
    }

    #[test]
    fn explicit_size_and_gflops_set_the_work() {
        let mut spec = ModelSpec::named("in-house-ranker");
        spec.custom = Some(CustomModel::Size { params_m: 100.0, gflops: Some(20.0) });
        let r = resolve(&spec, "models[0]").unwrap();
        assert_eq!(r.input.sequence_length, 100);
        assert!((r.arch.params() / 100e6 - 1.0).abs() < 0.3);
    }

    #[test]
    fn positions_limit_the_sequence() {
        let mut spec = ModelSpec::named("bert-base-uncased");
        spec.sequence_length = Some(4096);
        let r = resolve(&spec, "m").unwrap();
        assert_eq!(r.input.sequence_length, 512);
        assert!(r.warnings[0].contains("truncated"));
    }
}
