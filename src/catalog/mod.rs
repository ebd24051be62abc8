//! What we know before anything runs: model architectures ([`models`], built on [`arch`]), devices
//! ([`hardware`]), software runtimes ([`runtime`]) and the cross-model sharing table ([`sharing`]).
//!
//! Nothing here is a latency table: models are described by their layers and devices by their datasheet,
//! and `predict` turns the two into times.

pub mod arch;
pub mod browsers;
pub mod detected;
pub mod hardware;
pub mod models;
pub mod runtime;
pub mod sharing;

use crate::error::{Error, Result};
use std::sync::{Arc, OnceLock};

/// One profile per entry of a catalog table of `N` entries, each built on first use and shared after (once per
/// process: a page or a worker), so looking a device or runtime up by name does not build it again
/// ([`hardware::shared`], [`runtime::RuntimeProfile::shared`]).
pub(crate) struct BuiltOnce<T, const N: usize>([OnceLock<Arc<T>>; N]);

impl<T, const N: usize> BuiltOnce<T, N> {
    /// Nothing built yet.
    pub(crate) const fn new() -> Self {
        BuiltOnce([const { OnceLock::new() }; N])
    }

    /// Entry `i`'s profile, `build` making it the first time.
    pub(crate) fn get(&self, i: usize, build: impl FnOnce() -> T) -> Arc<T> {
        Arc::clone(self.0[i].get_or_init(|| Arc::new(build())))
    }
}

/// Numeric format of weights (and, for most formats, of activations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// IEEE single precision.
    Fp32,
    /// TensorFloat-32: fp32 storage (weights and activations), matrix products and convolutions on tensor
    /// cores with a 10-bit mantissa (NVIDIA Ampere and later). Devices without TF32 units compute it as fp32.
    /// An `Fp32` model already runs as its runtime runs fp32 by default there (TensorRT and ONNX Runtime:
    /// everything as TF32; PyTorch: its convolutions, `RuntimeProfile::fp32_as_tf32`); ask for `Tf32` where
    /// PyTorch's matrix products run as TF32 too (`torch.backends.cuda.matmul.allow_tf32`,
    /// `set_float32_matmul_precision("high")`).
    Tf32,
    /// IEEE half precision.
    Fp16,
    /// bfloat16.
    Bf16,
    /// 8-bit integer weights and activations.
    Int8,
    /// 4-bit integer weights (weight-only quantisation: activations stay in fp16).
    Int4,
}

impl Precision {
    /// Every precision, in a fixed order.
    pub const ALL: [Precision; 6] =
        [Self::Fp32, Self::Tf32, Self::Fp16, Self::Bf16, Self::Int8, Self::Int4];

    /// Parses the names users write (`fp32`, `float16`, `q4`, …).
    pub fn parse(field: impl std::fmt::Display, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fp32" | "float32" | "f32" => Ok(Self::Fp32),
            "tf32" | "tensorfloat32" => Ok(Self::Tf32),
            "fp16" | "float16" | "f16" | "half" => Ok(Self::Fp16),
            "bf16" | "bfloat16" => Ok(Self::Bf16),
            "int8" | "q8" | "i8" | "uint8" => Ok(Self::Int8),
            "int4" | "q4" | "i4" => Ok(Self::Int4),
            _ => Err(Error::invalid(
                field.to_string(),
                text,
                "one of fp32, tf32, fp16, bf16, int8, int4",
            )),
        }
    }

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fp32 => "fp32",
            Self::Tf32 => "tf32",
            Self::Fp16 => "fp16",
            Self::Bf16 => "bf16",
            Self::Int8 => "int8",
            Self::Int4 => "int4",
        }
    }

    /// The format the tensors are stored in: TF32 is stored as fp32 (the same weights), every other as itself.
    pub fn storage(self) -> Self {
        match self {
            Self::Tf32 => Self::Fp32,
            p => p,
        }
    }

    /// Bytes per stored weight. int4 carries one fp16 scale per group of 32 weights (GPTQ/AWQ layout),
    /// hence 0.5 + 2/32.
    pub fn weight_bytes(self) -> f64 {
        match self {
            Self::Fp32 | Self::Tf32 => 4.0,
            Self::Fp16 | Self::Bf16 => 2.0,
            Self::Int8 => 1.0,
            Self::Int4 => 0.5 + 2.0 / 32.0,
        }
    }

    /// Bytes per activation element. Weight-only int4 keeps fp16 activations.
    pub fn activation_bytes(self) -> f64 {
        match self {
            Self::Fp32 | Self::Tf32 => 4.0,
            Self::Fp16 | Self::Bf16 | Self::Int4 => 2.0,
            Self::Int8 => 1.0,
        }
    }
}

/// What a model does; used for sharing compatibility and for defaults of its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelType {
    /// Sentence or token embeddings from an encoder.
    TextEmbedding,
    /// Autoregressive text output (decoder-only or encoder-decoder).
    TextGeneration,
    /// Image classification or image features.
    Vision,
    /// Speech recognition or audio features.
    Audio,
    /// Several modalities at once (e.g. CLIP).
    Multimodal,
}

impl ModelType {
    /// Every model type, in a fixed order.
    pub const ALL: [ModelType; 5] =
        [Self::TextEmbedding, Self::TextGeneration, Self::Vision, Self::Audio, Self::Multimodal];

    /// Parses the seed's names (`text_embedding`, …); also accepts a few common aliases.
    pub fn parse(field: impl std::fmt::Display, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "text_embedding" | "embedding" | "text" => Ok(Self::TextEmbedding),
            "text_generation" | "generation" | "llm" => Ok(Self::TextGeneration),
            "vision" | "image" => Ok(Self::Vision),
            "audio" | "speech" => Ok(Self::Audio),
            "multimodal" => Ok(Self::Multimodal),
            _ => Err(Error::invalid(
                field.to_string(),
                text,
                "one of text_embedding, text_generation, vision, audio, multimodal",
            )),
        }
    }

    /// Canonical snake_case name, as in the seed schema.
    pub fn name(self) -> &'static str {
        match self {
            Self::TextEmbedding => "text_embedding",
            Self::TextGeneration => "text_generation",
            Self::Vision => "vision",
            Self::Audio => "audio",
            Self::Multimodal => "multimodal",
        }
    }
}
