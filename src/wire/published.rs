//! The published validation set's rows as their JSON files write them (`tests/data/published-public.json`,
//! `tests/data/published-candidates.json`), and the model entry each states ([`Row::spec`]); natively,
//! `native::published` predicts and cross-validates them, and in wasm `tests/web.rs` predicts the same entries.

use serde::Deserialize;

use crate::catalog::arch::{Op, OpClass};
use crate::catalog::models::Work;
use crate::catalog::runtime::{RuntimeProfile, PYTORCH_EAGER};
use crate::catalog::Precision;
use crate::predict::spec::{
    resolve, AttentionKernels, Head, MemoryFormat, ModelSpec, ResolvedModel,
};

/// One published measurement.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    /// Identifier.
    pub id: String,
    /// Catalog model.
    pub model_name: String,
    /// Catalog device.
    pub hardware: String,
    /// The machine as the source names it, where the row records it (a DGX-1, an AWS instance): the host
    /// that eager PyTorch's per-kernel time depends on.
    #[serde(default)]
    pub hardware_as_published: Option<String>,
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
    /// What the source's timed region runs beside the model's forward pass, where its code shows it
    /// ([`TimedStep`]: `imagenet-validation`); none: the forward pass alone.
    #[serde(default)]
    pub timed_step: Option<String>,
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

/// Work a source's timed region runs on the model's output beside the forward pass ([`Row::timed_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimedStep {
    /// An ImageNet classifier's validation step on its 1,000 logits per image, as NVIDIA DeepLearningExamples'
    /// PyTorch ConvNets time it (`image_classification/training.py`, `get_val_step`, at commit 7bdfc81d, the
    /// README's results of 2021-04: the loss and `utils.accuracy` inside the timed step, then
    /// `torch.cuda.synchronize()`): the label-smoothing loss (`smoothing.py`: `log_softmax`, `gather`, two
    /// negations, a mean over the classes, two scalings, an add, the batch mean) and top-1/top-5 accuracy
    /// (`topk(5)` sorted, `eq`, and per k a cast, a sum and a scaling). Eighteen kernels in PyTorch eager,
    /// three of them reading a tensor of the logits' size (`log_softmax` and `topk` the logits, the mean over
    /// the classes the log-probabilities) and one more sorting the five picks. PyTorch code: a row with
    /// another runtime, or whose model has no 1,000 class logits, is refused ([`Row::resolve`]).
    ImagenetValidation,
}

/// Logits per image of an ImageNet classifier (ILSVRC-2012's 1,000 classes).
const IMAGENET_CLASSES: f64 = 1000.0;

impl TimedStep {
    /// Parses a step's name, or an error naming the row's field and what is allowed.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "imagenet-validation" => Ok(Self::ImagenetValidation),
            _ => Err(format!(
                "invalid timed_step: {text} (one of imagenet-validation; leave it out for the forward pass alone)"
            )),
        }
    }

    /// The step's operators at `items` images.
    pub fn ops(self, items: f64) -> Vec<Op> {
        match self {
            Self::ImagenetValidation => {
                let logits = items * IMAGENET_CLASSES;
                // `log_softmax` over each image's logits: a reduction, read once and written once.
                let log_softmax = Op::norm(logits);
                // The mean over the classes and the top-5 selection: each reads the logits once into a
                // handful of values per image.
                let mean = Op::memory(OpClass::Pool, logits + items, items, logits);
                let topk = Op::memory(OpClass::Pool, logits + 5.0 * items, 5.0 * items, logits);
                // The rest on at most 5 values per image (the sort of the five picks, gather, negations,
                // scalings, the add, the batch mean, eq, and per k the cast, sum and scaling): 15 kernels,
                // each moving at most 5 values in and out per image.
                let small = Op { repeat: 15.0, ..Op::epilogue(2.0 * 5.0 * items) };
                vec![log_softmax, mean, topk, small]
            }
        }
    }
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

    /// The step the source times beside the forward pass ([`Row::timed_step`]), or why it names none we know.
    pub fn step(&self) -> Result<Option<TimedStep>, String> {
        self.timed_step.as_deref().map(TimedStep::parse).transpose()
    }

    /// The row's model resolved as the row states it at `batch`, with the operators its source times: the
    /// forward pass and its [`Row::step`], or why it cannot be predicted (a step its runtime or model does
    /// not run: DeepLearningExamples' validation step is PyTorch code on an ImageNet classifier's logits).
    pub fn resolve(&self, batch: u32) -> Result<(ResolvedModel, Work), String> {
        let spec = self.spec(batch)?;
        let model = resolve(&spec, "row").map_err(|e| e.to_string())?;
        let mut work = model.arch.work(&model.input);
        if let Some(step) = self.step()? {
            let TimedStep::ImagenetValidation = step;
            let runtime = RuntimeProfile::find(&self.runtime).map_err(|e| e.to_string())?;
            if runtime.kernels_of() != PYTORCH_EAGER {
                return Err(format!(
                    "timed_step imagenet-validation is DeepLearningExamples' PyTorch validation step: runtime {} \
                     runs no such step (a PyTorch runtime: pytorch, pytorch-autocast, pytorch-compile, ...)",
                    self.runtime
                ));
            }
            let items = f64::from(batch);
            let logits =
                |o: &Op| o.class == OpClass::Gemm && o.m == items && o.n == IMAGENET_CLASSES;
            if !work.prefill.iter().any(logits) {
                return Err(format!(
                    "timed_step imagenet-validation needs a model whose output is 1,000 class logits per item \
                     (an ImageNet classifier: resnet-50, mobilenet-v2, ...); {} has none",
                    self.model_name
                ));
            }
            work.prefill.extend(step.ops(items));
        }
        Ok((model, work))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: Option<&str>) -> Row {
        let json = format!(
            r#"{{"rows": [{{"id": "r", "model_name": "resnet-50", "hardware": "cuda:v100", "runtime": "pytorch",
                "precision": "fp32", "batch_size": 1, {} "metric": "latency_ms", "value": 10.0,
                "source": "a note"}}]}}"#,
            step.map_or(String::new(), |s| format!(r#""timed_step": "{s}","#))
        );
        rows(&json).unwrap().remove(0)
    }

    #[test]
    fn a_timed_step_is_parsed_or_named_in_its_error() {
        assert_eq!(
            TimedStep::parse(" ImageNet-Validation ").unwrap(),
            TimedStep::ImagenetValidation
        );
        let err = TimedStep::parse("coco-eval").unwrap_err();
        assert!(err.contains("timed_step") && err.contains("imagenet-validation"), "{err}");
        assert_eq!(row(None).step().unwrap(), None);
        assert!(row(Some("NMS")).resolve(1).unwrap_err().contains("timed_step: NMS"));
        // PyTorch code on an ImageNet classifier's logits: refused for another runtime or another model.
        let with = |runtime: &str, model: &str| {
            let mut r = row(Some("imagenet-validation"));
            (r.runtime, r.model_name) = (runtime.to_string(), model.to_string());
            r.resolve(1)
        };
        let trt = with("tensorrt", "resnet-50").unwrap_err();
        assert!(trt.contains("timed_step") && trt.contains("tensorrt"), "{trt}");
        for model in ["bert-base-uncased", "yolov5s"] {
            let err = with("pytorch", model).unwrap_err();
            assert!(err.contains("timed_step") && err.contains(model), "{err}");
        }
        for (runtime, model) in
            [("pytorch-autocast", "efficientnet-b0"), ("pytorch-compile", "mobilenet-v2")]
        {
            assert!(with(runtime, model).is_ok(), "{runtime} {model}");
        }
    }

    #[test]
    fn imagenet_validation_adds_eighteen_kernels_three_of_them_over_the_logits() {
        for items in [1.0, 256.0] {
            let ops = TimedStep::ImagenetValidation.ops(items);
            let kernels: f64 = ops.iter().map(|o| o.repeat).sum();
            assert_eq!(kernels, 18.0);
            // log_softmax, the mean over the classes and topk each read every logit; the rest move at most
            // the five picks per image, in and out.
            let over_logits = ops.iter().filter(|o| o.act_elems >= items * 1000.0).count();
            assert_eq!(over_logits, 3);
            assert!(ops
                .iter()
                .filter(|o| o.act_elems < items * 1000.0)
                .all(|o| o.act_elems <= 10.0 * items));
        }
        // The row's operators are the forward pass's and the step's, nothing else.
        let (_, alone) = row(None).resolve(4).unwrap();
        let (_, timed) = row(Some("imagenet-validation")).resolve(4).unwrap();
        assert_eq!(&timed.prefill[..alone.prefill.len()], &alone.prefill[..]);
        assert_eq!(
            &timed.prefill[alone.prefill.len()..],
            &TimedStep::ImagenetValidation.ops(4.0)[..]
        );
    }
}
