//! The published validation set's rows as their JSON files write them (`tests/data/published-public.json`,
//! `tests/data/published-candidates.json`), and the model entry each states ([`Row::spec`]); natively,
//! `native::published` predicts and cross-validates them, and in wasm `tests/web.rs` predicts the same entries.

use serde::Deserialize;

use crate::catalog::Precision;
use crate::predict::spec::{AttentionKernels, Head, MemoryFormat, ModelSpec};

/// One published measurement.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    /// Identifier.
    pub id: String,
    /// Catalog model.
    pub model_name: String,
    /// Catalog device.
    pub hardware: String,
    /// Catalog runtime.
    pub runtime: String,
    /// Precision name.
    pub precision: String,
    /// Batch size (MLPerf's offline and server rows publish none).
    #[serde(default)]
    pub batch_size: Option<u32>,
    /// How the figure was measured: MLPerf's `offline` (every query at once, the submitter picks the batch),
    /// `server`, `single-stream`; `latency` or none for other sources.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Sequence length, where the model reads text.
    #[serde(default)]
    pub sequence_length: Option<u32>,
    /// Tokens an item holds on average, where the runtime computes only an item's own tokens (no padding
    /// to `sequence_length`) and the source of the rows states the dataset (NVIDIA's MLPerf BERT harness on
    /// SQuAD v1.1): the model is predicted at this length.
    #[serde(default)]
    pub mean_sequence_length: Option<u32>,
    /// Where [`Row::mean_sequence_length`] comes from.
    #[serde(default)]
    pub mean_sequence_length_source: Option<String>,
    /// Seconds of audio per item, where the model listens and the source states it (DeepLearningExamples'
    /// wav2vec2: LibriSpeech test-other's mean utterance).
    #[serde(default)]
    pub audio_seconds: Option<f64>,
    /// Tokens generated, where the source states them (AI Hub's Whisper encoders: 1, no decode step).
    #[serde(default)]
    pub output_tokens: Option<u32>,
    /// The output head the source runs, where it is not the catalog model's own (AI Hub's BERT and DistilBERT:
    /// `masked-lm`, the vocabulary's logits at every position).
    #[serde(default)]
    pub head: Option<String>,
    /// The activations' memory format where the source sets one apart from the runtime's default
    /// (`channels_last`: DeepLearningExamples' AMP configurations, timm's `nhwc` result files).
    #[serde(default)]
    pub memory_format: Option<String>,
    /// The attention implementation where the source's code runs one apart from the runtime's default
    /// (`unfused`: DeepLearningExamples' hand-written `bmm` / `softmax` / `bmm` attention).
    #[serde(default)]
    pub attention: Option<String>,
    /// `latency_ms` or `throughput_items_per_s`.
    pub metric: String,
    /// The runtime ran several inference requests at once, each on its own share of the device's cores
    /// (OpenVINO's throughput mode: "multiple parallel infer requests/streams"), and the figure is their
    /// total.
    #[serde(default)]
    pub concurrent_requests: bool,
    /// The published value.
    pub value: f64,
    /// Where it was published.
    pub source: Source,
}

/// A row's source: a document in a repository, or a line of text naming it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// A file in a public repository.
    Document {
        /// `owner/name`.
        repo: String,
        /// Path of the file.
        path: String,
    },
    /// A description (the six original rows).
    Note(String),
}

/// Rows read from a validation file (`{"rows": [...]}`).
pub fn rows(json: &str) -> Result<Vec<Row>, String> {
    #[derive(Deserialize)]
    struct File {
        rows: Vec<Row>,
    }
    serde_json::from_str::<File>(json).map(|f| f.rows).map_err(|e| e.to_string())
}

impl Row {
    /// The model entry the row states, at `batch` (a row without a published batch is predicted at the batch
    /// its caller chooses), or why it has none.
    pub fn spec(&self, batch: u32) -> Result<ModelSpec, String> {
        // An optional field parsed, its error as text.
        fn parsed<T>(
            text: &Option<String>,
            parse: impl Fn(&str) -> crate::Result<T>,
        ) -> Result<Option<T>, String> {
            text.as_deref().map(parse).transpose().map_err(|e| e.to_string())
        }
        let mut spec = ModelSpec::named(&self.model_name).with_batch(batch);
        spec.precision =
            Precision::parse("precision", &self.precision).map_err(|e| e.to_string())?;
        spec.sequence_length = self.mean_sequence_length.or(self.sequence_length);
        spec.audio_seconds = self.audio_seconds;
        spec.output_tokens = self.output_tokens;
        spec.head = parsed(&self.head, |h| Head::parse("head", h))?;
        spec.memory_format =
            parsed(&self.memory_format, |m| MemoryFormat::parse("memory_format", m))?;
        spec.attention = parsed(&self.attention, |a| AttentionKernels::parse("attention", a))?;
        Ok(spec)
    }
}
