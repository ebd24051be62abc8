//! The model catalog: published architectures described by their layers, and the work they become for one
//! input (sequence length, image size, audio length, batch, tokens to generate).
//!
//! Parameter counts are derived from the layer shapes and checked against the published counts in tests.

use super::arch::{Activation, AttnBias, CnnFamily, Embedding, Op, OpClass, TxStack};
use super::ModelType;

/// One GEMM of a [`Architecture::Chain`]: `m × k` activations times a `k × n` weight matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainGemm {
    /// Rows (batch × tokens or pixels).
    pub m: u32,
    /// Input features.
    pub k: u32,
    /// Output features.
    pub n: u32,
}

/// What an encoder runs on top of its layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderHead {
    /// Nothing: the last layer's hidden states are the output.
    None,
    /// A `d×d` tanh pooler on the first token.
    Pooler,
    /// A masked-language-model head over every position (BERT's and DistilBERT's `…ForMaskedLM`, as the
    /// checkpoints ship and a fill-mask pipeline runs them): a `d×d` transform with GELU, a LayerNorm and the
    /// projection to the vocabulary, whose weights are the word embeddings' (tied) plus a bias.
    MaskedLm,
}

/// A network's structure.
#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// BERT-style encoder over tokens (optionally with a pooler and a classifier).
    Encoder {
        /// Token/position/type embeddings.
        embed: Embedding,
        /// The layers.
        stack: TxStack,
        /// What runs on top of the layers.
        head: EncoderHead,
    },
    /// Vision transformer: patch embedding, class token, encoder, final norm, classifier.
    Vit {
        /// Patch size in pixels.
        patch: u32,
        /// Training resolution (sets the learned position table size).
        image: u32,
        /// The layers.
        stack: TxStack,
        /// Classifier outputs (0: none).
        classes: u32,
    },
    /// wav2vec 2.0 base: 7-layer convolutional feature encoder, projection, convolutional positions, encoder.
    Wav2Vec2 {
        /// The transformer layers.
        stack: TxStack,
    },
    /// Decoder-only language model with a final norm and an LM head (tied or not).
    Decoder {
        /// Token (and learned position) embeddings.
        embed: Embedding,
        /// The layers.
        stack: TxStack,
        /// The LM head reuses the embedding matrix.
        tied_head: bool,
    },
    /// T5 v1.0: shared embedding, encoder and decoder stacks with relative position biases, tied head.
    T5 {
        /// Vocabulary.
        vocab: u32,
        /// Encoder stack.
        encoder: TxStack,
        /// Decoder stack (with cross-attention).
        decoder: TxStack,
    },
    /// Whisper: two-convolution audio stem over 80 mel bins, encoder, decoder with learned positions.
    Whisper {
        /// Encoder stack (1,500 frames for the fixed 30 s window).
        encoder: TxStack,
        /// Decoder embeddings (vocabulary and 448 positions).
        decoder_embed: Embedding,
        /// Decoder stack (with cross-attention).
        decoder: TxStack,
    },
    /// CLIP: a ViT image tower and a text transformer, each with a projection into a joint space.
    Clip {
        /// Image tower layers.
        vision: TxStack,
        /// Patch size of the image tower.
        patch: u32,
        /// Image resolution of the tower.
        image: u32,
        /// Text embeddings (77 positions).
        text_embed: Embedding,
        /// Text tower layers.
        text: TxStack,
        /// Joint embedding width.
        projection: u32,
    },
    /// A convolutional network.
    Cnn(CnnFamily),
    /// A chain of dense GEMMs (the built-in synthetic workloads of [`crate::workload`]): each entry is one
    /// `m × k · k × n` multiply whose rows already include the batch.
    Chain(Vec<ChainGemm>),
    /// A model described operator by operator (read from its ONNX graph by [`crate::onnx::describe`]).
    Graph(std::sync::Arc<OpGraph>),
}

/// The operators of one forward pass of a model described from its graph, at `items` items; an entry with
/// another batch scales them by `batch / items` (rows of weight GEMMs, problems of the other GEMMs and of
/// attention, elements of memory-bound operators), as the catalog's architectures scale with the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct OpGraph {
    /// Items (batch) the operators were described at, ≥ 1.
    pub items: u32,
    /// Parameters (weight elements, 4-bit packed weights counted per weight).
    pub params: f64,
    /// What the model serves by default.
    pub model_type: ModelType,
    /// The operators, identical ones merged into one with `repeat`.
    pub ops: Vec<Op>,
}

impl OpGraph {
    /// Identifies the described operators and weights (FNV-1a over every field's bits): two entries with the
    /// same key describe the same graph.
    pub fn key(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(u64::from(self.items));
        eat(self.params.to_bits());
        eat(self.model_type as u64);
        for op in &self.ops {
            eat(op.class as u64);
            eat(op.activation as u64);
            for x in op.sizes() {
                eat(x.to_bits());
            }
            eat(op.repeat.to_bits());
        }
        format!("graph:{:x}:{}", h, self.ops.len())
    }

    /// The operators for `batch` items.
    pub fn ops_for(&self, batch: u32) -> Vec<Op> {
        let f = f64::from(batch) / f64::from(self.items.max(1));
        self.ops.iter().map(|op| op.scaled_items(f)).collect()
    }
}

/// The input one model entry asks for, with the batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputShape {
    /// Items in the batch.
    pub batch: u32,
    /// Text tokens per item (the prompt for generation).
    pub sequence_length: u32,
    /// Image side in pixels.
    pub image_size: u32,
    /// Audio length in seconds.
    pub audio_seconds: f64,
    /// Tokens to generate (generation models only).
    pub output_tokens: u32,
}

/// The work one batch of a model represents.
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    /// Encoder / prefill operators (the whole forward pass for non-generative models).
    pub prefill: Vec<Op>,
    /// Operators of one decode step, at the mean context length of the generation.
    pub decode_step: Vec<Op>,
    /// Decode steps after the prefill (output tokens − 1; 0 for non-generative models).
    pub decode_steps: u32,
    /// Key/value cache elements held at the end of generation, whole batch.
    pub kv_cache_elems: f64,
    /// Largest activation working set per item for CNNs (transformers derive theirs from the ops).
    pub cnn_peak_act_elems: f64,
}

/// Whisper always pads audio to 30 s: 3,000 mel frames, 1,500 after the stride-2 convolution.
const WHISPER_FRAMES: u32 = 3000;
/// Whisper's decoder starts from 4 special tokens (start, language, task, no-timestamps).
const WHISPER_PROMPT_TOKENS: u32 = 4;
/// wav2vec 2.0 consumes 16 kHz audio.
const WAV2VEC2_SAMPLE_RATE: f64 = 16_000.0;
/// wav2vec 2.0 feature encoder: (kernel, stride) of its 7 convolutions, 512 channels each (Baevski et al. 2020).
const WAV2VEC2_CONVS: [(u32, u32); 7] = [(10, 5), (3, 2), (3, 2), (3, 2), (3, 2), (2, 2), (2, 2)];
/// wav2vec 2.0 positional convolution: kernel 128, 16 groups.
const WAV2VEC2_POS_KERNEL: f64 = 128.0;
const WAV2VEC2_POS_GROUPS: f64 = 16.0;

impl Architecture {
    /// Parameters derived from the layer shapes.
    pub fn params(&self) -> f64 {
        match self {
            Self::Encoder { embed, stack, head } => {
                let d = f64::from(stack.d_model);
                embed.params()
                    + stack.params()
                    + match head {
                        EncoderHead::None => 0.0,
                        EncoderHead::Pooler => d * d + d,
                        // The transform and its LayerNorm, and the vocabulary's bias (its matrix is the
                        // embeddings').
                        EncoderHead::MaskedLm => d * d + d + 2.0 * d + f64::from(embed.vocab),
                    }
            }
            Self::Vit { patch, image, stack, classes } => {
                vit_params(*patch, *image, stack, true) + head(stack, *classes)
            }
            Self::Wav2Vec2 { stack } => {
                wav2vec2_frontend_params(stack) + stack.params() + ln(stack)
            }
            Self::Decoder { embed, stack, tied_head } => {
                let head = if *tied_head {
                    0.0
                } else {
                    f64::from(embed.vocab) * f64::from(stack.d_model)
                };
                embed.params() + stack.params() + norm(stack) + head
            }
            Self::T5 { vocab, encoder, decoder } => {
                // Relative position bias: 32 buckets per head, in the first layer of each stack.
                let rel = 32.0 * f64::from(encoder.heads + decoder.heads);
                f64::from(*vocab) * f64::from(encoder.d_model)
                    + encoder.params()
                    + decoder.params()
                    + norm(encoder)
                    + norm(decoder)
                    + rel
            }
            Self::Whisper { encoder, decoder_embed, decoder } => {
                let d = f64::from(encoder.d_model);
                let stem = 80.0 * d * 3.0 + d + d * d * 3.0 + d;
                let positions = 1500.0 * d;
                stem + positions
                    + encoder.params()
                    + ln(encoder)
                    + decoder_embed.params()
                    + decoder.params()
                    + ln(decoder)
            }
            Self::Clip { vision, patch, image, text_embed, text, projection } => {
                let tower = vit_params(*patch, *image, vision, false) + ln(vision);
                let p = f64::from(*projection);
                // logit_scale is one learned scalar.
                tower
                    + f64::from(vision.d_model) * p
                    + text_embed.params()
                    + text.params()
                    + ln(text)
                    + f64::from(text.d_model) * p
                    + 1.0
            }
            Self::Cnn(family) => family.params(),
            Self::Chain(gemms) => gemms.iter().map(|g| f64::from(g.k) * f64::from(g.n)).sum(),
            Self::Graph(g) => g.params,
        }
    }

    /// The model type this architecture serves by default.
    pub fn default_type(&self) -> ModelType {
        match self {
            Self::Encoder { .. } => ModelType::TextEmbedding,
            Self::Vit { .. } | Self::Cnn(_) => ModelType::Vision,
            Self::Chain(_) => ModelType::TextEmbedding,
            Self::Graph(g) => g.model_type,
            Self::Wav2Vec2 { .. } | Self::Whisper { .. } => ModelType::Audio,
            Self::Decoder { .. } | Self::T5 { .. } => ModelType::TextGeneration,
            Self::Clip { .. } => ModelType::Multimodal,
        }
    }

    /// Whether the model produces tokens one at a time.
    pub fn generates(&self) -> bool {
        matches!(self, Self::Decoder { .. } | Self::T5 { .. } | Self::Whisper { .. })
    }

    /// The work of one batch with this input.
    pub fn work(&self, input: &InputShape) -> Work {
        let b = f64::from(input.batch);
        // Room for a transformer stack's operators (CNNs and cross-attention stacks grow past it once); the
        // operator lists built whole (CNNs, chains, graphs) allocate their own.
        let built_whole = matches!(self, Self::Cnn(_) | Self::Chain(_) | Self::Graph(_));
        let mut w = Work {
            prefill: if built_whole { Vec::new() } else { Vec::with_capacity(32) },
            decode_step: if self.generates() { Vec::with_capacity(32) } else { Vec::new() },
            decode_steps: 0,
            kv_cache_elems: 0.0,
            cnn_peak_act_elems: 0.0,
        };
        let seq = f64::from(input.sequence_length);
        match self {
            Self::Encoder { embed, stack, head } => {
                embed.ops(b * seq, &mut w.prefill);
                let layers = w.prefill.len();
                stack.ops(b, (seq, seq), None, true, &mut w.prefill);
                // BERT-family encoders normalise after each residual add (post-norm).
                for op in w.prefill[layers..].iter_mut().filter(|o| o.class == OpClass::Norm) {
                    op.skip_norm = true;
                }
                let d = f64::from(stack.d_model);
                match head {
                    EncoderHead::None => {}
                    EncoderHead::Pooler => w.prefill.push(Op::linear(b, d, d)),
                    EncoderHead::MaskedLm => {
                        let rows = b * seq;
                        w.prefill.extend([
                            Op::linear(rows, d, d),
                            // The transform's bias and GELU over its output.
                            Op {
                                activation: Activation::Gelu,
                                out_elems: rows * d,
                                ..Op::epilogue(2.0 * rows * d)
                            },
                            Op::norm(rows * d),
                            Op::linear(rows, d, f64::from(embed.vocab)),
                        ]);
                    }
                }
            }
            Self::Vit { patch, stack, classes, .. } => {
                vit_ops(b, input.image_size, *patch, stack, &mut w.prefill);
                if *classes > 0 {
                    w.prefill.push(Op::linear(b, f64::from(stack.d_model), f64::from(*classes)));
                }
            }
            Self::Wav2Vec2 { stack } => wav2vec2_ops(b, input.audio_seconds, stack, &mut w.prefill),
            Self::Decoder { embed, stack, .. } => {
                let d = f64::from(stack.d_model);
                let vocab = f64::from(embed.vocab);
                embed.ops(b * seq, &mut w.prefill);
                stack.ops(b, (seq, seq), None, true, &mut w.prefill);
                w.prefill.extend([Op::norm(b * seq * d), Op::lm_head(b, seq, d, vocab)]);
                generation(input, stack, seq, &mut w, |ctx, ops| {
                    embed.ops(b, ops);
                    stack.ops(b, (1.0, ctx), None, true, ops);
                    ops.extend([Op::norm(b * d), Op::linear(b, d, vocab)]);
                });
            }
            Self::T5 { vocab, encoder, decoder } => {
                t5_work(*vocab, encoder, decoder, input, &mut w)
            }
            Self::Whisper { encoder, decoder_embed, decoder } => {
                whisper_work(encoder, decoder_embed, decoder, input, &mut w)
            }
            Self::Clip { vision, patch, text_embed, text, projection, .. } => {
                clip_ops(input, (vision, *patch), (text_embed, text), *projection, &mut w.prefill)
            }
            Self::Cnn(family) => {
                let net = family.one_image(input.image_size);
                w.cnn_peak_act_elems = net.peak_act_elems;
                w.prefill = net.ops.iter().map(|op| op.scaled_items(b)).collect();
            }
            Self::Chain(gemms) => {
                w.prefill = gemms
                    .iter()
                    .map(|g| Op::linear(f64::from(g.m), f64::from(g.k), f64::from(g.n)))
                    .collect();
            }
            Self::Graph(g) => w.prefill = g.ops_for(input.batch),
        }
        w
    }
}

/// CLIP's work: the vision transformer and the text encoder, each projected into the shared embedding.
fn clip_ops(
    input: &InputShape,
    (vision, patch): (&TxStack, u32),
    (text_embed, text): (&Embedding, &TxStack),
    projection: u32,
    prefill: &mut Vec<Op>,
) {
    let b = f64::from(input.batch);
    let seq = f64::from(input.sequence_length);
    let p = f64::from(projection);
    vit_ops(b, input.image_size, patch, vision, prefill);
    prefill.push(Op::linear(b, f64::from(vision.d_model), p));
    let tokens = f64::from(text_embed.positions).min(seq);
    text_embed.ops(b * tokens, prefill);
    text.ops(b, (tokens, tokens), None, true, prefill);
    prefill.extend([
        Op::norm(b * tokens * f64::from(text.d_model)),
        Op::linear(b, f64::from(text.d_model), p),
    ]);
}

/// T5's work: the encoder over the input, the decoder's first pass (the start token, projecting the encoder
/// output into cross-attention keys and values), then the generated tokens.
fn t5_work(vocab: u32, encoder: &TxStack, decoder: &TxStack, input: &InputShape, w: &mut Work) {
    let b = f64::from(input.batch);
    let seq = f64::from(input.sequence_length);
    let d = f64::from(encoder.d_model);
    let v = f64::from(vocab);
    let embed =
        Embedding { vocab, dim: encoder.d_model, positions: 0, token_types: 0, norm: false };
    embed.ops(b * seq, &mut w.prefill);
    encoder.ops(b, (seq, seq), None, true, &mut w.prefill);
    w.prefill.push(Op::norm(b * seq * d));
    // The decoder's first pass (start token) projects the encoder output into cross-attention K/V.
    embed.ops(b, &mut w.prefill);
    decoder.ops(b, (1.0, 1.0), Some((seq, true)), true, &mut w.prefill);
    w.prefill.extend([Op::norm(b * d), Op::linear(b, d, v)]);
    generation(input, decoder, 1.0, w, |ctx, ops| {
        embed.ops(b, ops);
        decoder.ops(b, (1.0, ctx), Some((seq, false)), true, ops);
        ops.extend([Op::norm(b * d), Op::linear(b, d, v)]);
    });
}

/// Whisper's work: the two-convolution stem over the mel frames, the encoder, the decoder over the prompt,
/// then the generated tokens.
fn whisper_work(
    encoder: &TxStack,
    decoder_embed: &Embedding,
    decoder: &TxStack,
    input: &InputShape,
    w: &mut Work,
) {
    let b = f64::from(input.batch);
    let d = f64::from(encoder.d_model);
    let frames = f64::from(WHISPER_FRAMES);
    let enc_len = frames / 2.0;
    w.prefill.extend([
        Op::linear(b * frames, 80.0 * 3.0, d).from_convolution(),
        Op::epilogue(2.0 * b * frames * d),
        Op::linear(b * enc_len, d * 3.0, d).from_convolution(),
        Op::epilogue(2.0 * b * enc_len * d),
    ]);
    encoder.ops(b, (enc_len, enc_len), None, false, &mut w.prefill);
    w.prefill.push(Op::norm(b * enc_len * d));
    let prompt = f64::from(WHISPER_PROMPT_TOKENS);
    let v = f64::from(decoder_embed.vocab);
    decoder_embed.ops(b * prompt, &mut w.prefill);
    decoder.ops(b, (prompt, prompt), Some((enc_len, true)), true, &mut w.prefill);
    w.prefill.extend([Op::norm(b * d), Op::lm_head(b, prompt, d, v)]);
    generation(input, decoder, prompt, w, |ctx, ops| {
        decoder_embed.ops(b, ops);
        decoder.ops(b, (1.0, ctx), Some((enc_len, false)), true, ops);
        ops.extend([Op::norm(b * d), Op::linear(b, d, v)]);
    });
}

/// Fills the decode part of `w`: `output_tokens − 1` steps after the prefill, evaluated at the mean context.
fn generation(
    input: &InputShape,
    stack: &TxStack,
    prompt: f64,
    w: &mut Work,
    step: impl Fn(f64, &mut Vec<Op>),
) {
    let out = f64::from(input.output_tokens);
    w.decode_steps = input.output_tokens.saturating_sub(1);
    w.kv_cache_elems = f64::from(input.batch) * stack.kv_elems_per_token() * (prompt + out);
    if w.decode_steps > 0 {
        // Context grows from prompt+1 to prompt+out−1; attention work is linear in it, so the mean is exact
        // whenever a step stays in one roofline regime.
        step(prompt + out / 2.0, &mut w.decode_step);
    }
}

fn ln(stack: &TxStack) -> f64 {
    2.0 * f64::from(stack.d_model)
}

fn norm(stack: &TxStack) -> f64 {
    f64::from(stack.d_model) * if stack.norm_bias { 2.0 } else { 1.0 }
}

fn head(stack: &TxStack, classes: u32) -> f64 {
    let c = f64::from(classes);
    f64::from(stack.d_model) * c + c
}

/// Patch embedding, class token, learned positions, stack and norms of a ViT tower. The ViT classifier's patch
/// convolution has a bias and a final norm; CLIP's has no bias and a pre-norm plus a post-norm (counted by the
/// caller), so `with_bias` also selects between the two layouts.
fn vit_params(patch: u32, image: u32, stack: &TxStack, with_bias: bool) -> f64 {
    let d = f64::from(stack.d_model);
    let tokens = f64::from((image / patch).pow(2) + 1);
    let conv = 3.0 * f64::from(patch * patch) * d + if with_bias { d } else { 0.0 };
    conv + d + tokens * d + stack.params() + ln(stack)
}

fn vit_ops(b: f64, image: u32, patch: u32, stack: &TxStack, out: &mut Vec<Op>) {
    let d = f64::from(stack.d_model);
    let patches = f64::from((image / patch.max(1)).pow(2));
    let tokens = patches + 1.0;
    out.push(Op::linear(b * patches, 3.0 * f64::from(patch * patch), d).from_convolution());
    out.push(Op::epilogue(2.0 * b * tokens * d));
    stack.ops(b, (tokens, tokens), None, false, out);
    out.push(Op::norm(b * tokens * d));
}

fn wav2vec2_frontend_params(stack: &TxStack) -> f64 {
    let d = f64::from(stack.d_model);
    let c = 512.0;
    let convs: f64 = WAV2VEC2_CONVS
        .iter()
        .enumerate()
        .map(|(i, (k, _))| f64::from(*k) * c * if i == 0 { 1.0 } else { c })
        .sum();
    let group_norm = 2.0 * c;
    let projection = 2.0 * c + c * d + d;
    // Weight-normalised positional convolution: weight_v, weight_g (one per kernel tap) and bias.
    let pos = d * (d / WAV2VEC2_POS_GROUPS) * WAV2VEC2_POS_KERNEL + WAV2VEC2_POS_KERNEL + d;
    let masked_spec_embed = d;
    convs + group_norm + projection + pos + masked_spec_embed
}

fn wav2vec2_ops(b: f64, seconds: f64, stack: &TxStack, out: &mut Vec<Op>) {
    let d = f64::from(stack.d_model);
    let c = 512.0;
    let mut len = (seconds * WAV2VEC2_SAMPLE_RATE).max(400.0);
    let mut cin = 1.0;
    for (k, s) in WAV2VEC2_CONVS {
        len = ((len - f64::from(k)) / f64::from(s)).floor() + 1.0;
        out.push(Op::linear(b * len, cin * f64::from(k), c).from_convolution());
        out.push(Op::epilogue(2.0 * b * len * c));
        cin = c;
    }
    let frames = len;
    out.extend([Op::norm(b * frames * c), Op::linear(b * frames, c, d)]);
    let pos_k = d / WAV2VEC2_POS_GROUPS * WAV2VEC2_POS_KERNEL;
    let mut pos = Op::linear(b * frames * WAV2VEC2_POS_GROUPS, pos_k, d / WAV2VEC2_POS_GROUPS)
        .from_convolution();
    pos.weight_elems = d * pos_k;
    out.extend([pos, Op::residual(b * frames * d), Op::norm(b * frames * d)]);
    stack.ops(b, (frames, frames), None, false, out);
}

/// One catalog entry: the architecture plus what was published about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogModel {
    /// Canonical name (Hugging Face id without the organisation).
    pub name: &'static str,
    /// Model type it is used as by default.
    pub model_type: ModelType,
    /// The layers.
    pub arch: Architecture,
    /// Published parameter count.
    pub published_params: f64,
    /// Where the published count comes from.
    pub source: &'static str,
    /// Default input when the entry gives none.
    pub default_input: InputShape,
}

const fn text(seq: u32) -> InputShape {
    InputShape {
        batch: 1,
        sequence_length: seq,
        image_size: 224,
        audio_seconds: 10.0,
        output_tokens: 32,
    }
}

/// A YOLOv5 P5 detector at 640×640 (COCO's 80 classes), counted as inference runs it: batch norms folded
/// into the convolutions' biases (`model.fuse()`).
const fn yolov5(name: &'static str, family: CnnFamily, params: f64) -> CatalogModel {
    CatalogModel {
        name,
        model_type: ModelType::Vision,
        arch: Architecture::Cnn(family),
        published_params: params,
        source: "ultralytics/yolov5 v7.0 fused model summary ('Fusing layers... YOLOv5s summary: 213 layers, \
                 7225885 parameters'); README: 1.9, 7.2, 21.2, 46.5, 86.7 M",
        default_input: InputShape { image_size: family.default_image(), ..text(0) },
    }
}

const fn bert_embed(vocab: u32, dim: u32, positions: u32, token_types: u32) -> Embedding {
    Embedding { vocab, dim, positions, token_types, norm: true }
}

const fn llama_stack(
    layers: u32,
    d: u32,
    heads: u32,
    kv: u32,
    ff: u32,
    attn_bias: AttnBias,
) -> TxStack {
    TxStack {
        layers,
        d_model: d,
        heads,
        kv_heads: kv,
        head_dim: d / heads,
        d_ff: ff,
        gated_ffn: true,
        attn_bias,
        ffn_bias: false,
        norm_bias: false,
        cross_attention: false,
        activation: Activation::Sigmoid,
    }
}

const fn t5_stack(layers: u32, d: u32, heads: u32, ff: u32, cross: bool) -> TxStack {
    TxStack {
        layers,
        d_model: d,
        heads,
        kv_heads: heads,
        head_dim: 64,
        d_ff: ff,
        gated_ffn: false,
        attn_bias: AttnBias::None,
        ffn_bias: false,
        norm_bias: false,
        cross_attention: cross,
        activation: Activation::None,
    }
}

const fn whisper_stack(layers: u32, d: u32, heads: u32, cross: bool) -> TxStack {
    TxStack {
        layers,
        d_model: d,
        heads,
        kv_heads: heads,
        head_dim: 64,
        d_ff: 4 * d,
        gated_ffn: false,
        attn_bias: AttnBias::QvO,
        ffn_bias: true,
        norm_bias: true,
        cross_attention: cross,
        activation: Activation::Gelu,
    }
}

fn whisper(layers: u32, d: u32, heads: u32) -> Architecture {
    Architecture::Whisper {
        encoder: whisper_stack(layers, d, heads, false),
        decoder_embed: Embedding {
            vocab: 51_865,
            dim: d,
            positions: 448,
            token_types: 0,
            norm: false,
        },
        decoder: whisper_stack(layers, d, heads, true),
    }
}

fn bert_like(
    name: &'static str,
    ty: ModelType,
    embed: Embedding,
    stack: TxStack,
    head: EncoderHead,
    published: f64,
    source: &'static str,
) -> CatalogModel {
    CatalogModel {
        name,
        model_type: ty,
        arch: Architecture::Encoder { embed, stack, head },
        published_params: published,
        source,
        default_input: text(128),
    }
}

/// Every model in the catalog, in a fixed order.
pub fn catalog() -> Vec<CatalogModel> {
    entries().to_vec()
}

/// The catalog, built once, in its fixed order: every model entry of every prediction is looked up here.
pub fn entries() -> &'static [CatalogModel] {
    static CATALOG: std::sync::OnceLock<Vec<CatalogModel>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(build)
}

fn build() -> Vec<CatalogModel> {
    use ModelType::*;
    let bert_base = TxStack::bert(12, 768, 12, 3072);
    let gpt2_stack = TxStack { ..TxStack::bert(12, 768, 12, 3072) };
    let mut v = vec![
        bert_like(
            "bert-base-uncased",
            TextEmbedding,
            bert_embed(30_522, 768, 512, 2),
            bert_base,
            EncoderHead::Pooler,
            109_482_240.0,
            "Hugging Face bert-base-uncased (109,482,240; TensorRT BERT README: 110M)",
        ),
        bert_like(
            "bert-large-uncased",
            TextEmbedding,
            bert_embed(30_522, 1024, 512, 2),
            TxStack::bert(24, 1024, 16, 4096),
            EncoderHead::Pooler,
            335_141_888.0,
            "Hugging Face bert-large-uncased (335M; Devlin et al. 2019: 340M)",
        ),
        bert_like(
            "distilbert-base-uncased",
            TextEmbedding,
            Embedding { vocab: 30_522, dim: 768, positions: 512, token_types: 0, norm: true },
            TxStack::bert(6, 768, 12, 3072),
            EncoderHead::None,
            66_362_880.0,
            "Hugging Face distilbert-base-uncased (66M; Sanh et al. 2019)",
        ),
        bert_like(
            "roberta-base",
            TextEmbedding,
            bert_embed(50_265, 768, 514, 1),
            bert_base,
            EncoderHead::Pooler,
            124_645_632.0,
            "Hugging Face roberta-base (125M; Liu et al. 2019)",
        ),
        bert_like(
            "all-MiniLM-L6-v2",
            TextEmbedding,
            bert_embed(30_522, 384, 512, 2),
            TxStack::bert(6, 384, 12, 1536),
            EncoderHead::Pooler,
            22_713_216.0,
            "sentence-transformers/all-MiniLM-L6-v2 model card (22.7M)",
        ),
        bert_like(
            "bge-base-en-v1.5",
            TextEmbedding,
            bert_embed(30_522, 768, 512, 2),
            bert_base,
            EncoderHead::Pooler,
            109_482_240.0,
            "BAAI/bge-base-en-v1.5 model card (109M, BERT-base layout)",
        ),
        CatalogModel {
            name: "vit-base-patch16-224",
            model_type: Vision,
            arch: Architecture::Vit { patch: 16, image: 224, stack: bert_base, classes: 1000 },
            published_params: 86_567_656.0,
            source: "torchvision vit_b_16 weights meta: 86,567,656",
            default_input: text(0),
        },
        CatalogModel {
            name: "resnet-50",
            model_type: Vision,
            arch: Architecture::Cnn(CnnFamily::ResNet50),
            published_params: 25_557_032.0,
            source: "torchvision resnet50 weights meta: 25,557,032",
            default_input: text(0),
        },
        CatalogModel {
            name: "mobilenet-v2",
            model_type: Vision,
            arch: Architecture::Cnn(CnnFamily::MobileNetV2),
            published_params: 3_504_872.0,
            source: "torchvision mobilenet_v2 weights meta: 3,504,872",
            default_input: text(0),
        },
        CatalogModel {
            name: "efficientnet-b0",
            model_type: Vision,
            arch: Architecture::Cnn(CnnFamily::EfficientNetB0),
            published_params: 5_288_548.0,
            source: "torchvision efficientnet_b0 weights meta: 5,288,548",
            default_input: text(0),
        },
        yolov5("yolov5n", CnnFamily::YoloV5n, 1_867_405.0),
        yolov5("yolov5s", CnnFamily::YoloV5s, 7_225_885.0),
        yolov5("yolov5m", CnnFamily::YoloV5m, 21_172_173.0),
        yolov5("yolov5l", CnnFamily::YoloV5l, 46_533_693.0),
        yolov5("yolov5x", CnnFamily::YoloV5x, 86_705_005.0),
        CatalogModel {
            name: "clip-vit-base-patch32",
            model_type: Multimodal,
            // CLIP's stacks use QuickGELU, x·σ(1.702x) (openai/clip-vit-base-patch32 config: quick_gelu).
            arch: Architecture::Clip {
                vision: TxStack { activation: Activation::Sigmoid, ..bert_base },
                patch: 32,
                image: 224,
                text_embed: Embedding {
                    vocab: 49_408,
                    dim: 512,
                    positions: 77,
                    token_types: 0,
                    norm: false,
                },
                text: TxStack {
                    activation: Activation::Sigmoid,
                    ..TxStack::bert(12, 512, 8, 2048)
                },
                projection: 512,
            },
            published_params: 151_277_313.0,
            source: "openai/clip-vit-base-patch32 (151,277,313; Radford et al. 2021)",
            default_input: text(77),
        },
        CatalogModel {
            name: "t5-small",
            model_type: TextGeneration,
            arch: Architecture::T5 {
                vocab: 32_128,
                encoder: t5_stack(6, 512, 8, 2048, false),
                decoder: t5_stack(6, 512, 8, 2048, true),
            },
            published_params: 60_506_624.0,
            source: "Hugging Face t5-small (60.5M; Raffel et al. 2020)",
            default_input: text(128),
        },
        CatalogModel {
            name: "t5-base",
            model_type: TextGeneration,
            arch: Architecture::T5 {
                vocab: 32_128,
                encoder: t5_stack(12, 768, 12, 3072, false),
                decoder: t5_stack(12, 768, 12, 3072, true),
            },
            published_params: 222_903_552.0,
            source: "Hugging Face t5-base (223M; Raffel et al. 2020: 220M)",
            default_input: text(128),
        },
        CatalogModel {
            name: "gpt2",
            model_type: TextGeneration,
            arch: Architecture::Decoder {
                embed: Embedding {
                    vocab: 50_257,
                    dim: 768,
                    positions: 1024,
                    token_types: 0,
                    norm: false,
                },
                stack: gpt2_stack,
                tied_head: true,
            },
            published_params: 124_439_808.0,
            source: "OpenAI GPT-2 small (124M; Radford et al. 2019)",
            default_input: text(128),
        },
        CatalogModel {
            name: "qwen2.5-0.5b",
            model_type: TextGeneration,
            arch: Architecture::Decoder {
                embed: Embedding {
                    vocab: 151_936,
                    dim: 896,
                    positions: 0,
                    token_types: 0,
                    norm: false,
                },
                stack: llama_stack(24, 896, 14, 2, 4864, AttnBias::Qkv),
                tied_head: true,
            },
            published_params: 494_032_768.0,
            source: "Qwen/Qwen2.5-0.5B model card: 0.49B (494,032,768)",
            default_input: text(128),
        },
        CatalogModel {
            name: "llama-3.2-1b",
            model_type: TextGeneration,
            arch: Architecture::Decoder {
                embed: Embedding {
                    vocab: 128_256,
                    dim: 2048,
                    positions: 0,
                    token_types: 0,
                    norm: false,
                },
                stack: llama_stack(16, 2048, 32, 8, 8192, AttnBias::None),
                tied_head: true,
            },
            published_params: 1_235_814_400.0,
            source: "meta-llama/Llama-3.2-1B model card: 1.23B (1,235,814,400)",
            default_input: text(128),
        },
        CatalogModel {
            name: "whisper-tiny",
            model_type: Audio,
            arch: whisper(4, 384, 6),
            published_params: 37_760_640.0,
            source: "openai/whisper-tiny (37.8M; OpenAI README rounds to 39M)",
            default_input: text(0),
        },
        CatalogModel {
            name: "whisper-base",
            model_type: Audio,
            arch: whisper(6, 512, 8),
            published_params: 72_593_920.0,
            source: "openai/whisper-base (72.6M; OpenAI README rounds to 74M)",
            default_input: text(0),
        },
        CatalogModel {
            name: "wav2vec2-base",
            model_type: Audio,
            arch: Architecture::Wav2Vec2 { stack: bert_base },
            published_params: 95_000_000.0,
            source: "facebook/wav2vec2-base (95M; Baevski et al. 2020)",
            default_input: text(0),
        },
        // Appended last, so that the speed benchmark's catalog mixes (`bench::catalog_mix`: the first 8 models,
        // and 50 cycling) keep the models they had before it.
        bert_like(
            "roberta-large",
            TextEmbedding,
            bert_embed(50_265, 1024, 514, 1),
            TxStack::bert(24, 1024, 16, 4096),
            EncoderHead::Pooler,
            355_359_744.0,
            "Hugging Face roberta-large (355M; Liu et al. 2019)",
        ),
    ];
    for m in &mut v {
        if m.model_type == TextGeneration {
            m.default_input.sequence_length = 128;
        }
    }
    v
}

/// Other names users write for catalog models (Hugging Face ids with organisation, torchvision names).
pub const ALIASES: [(&str, &str); 14] = [
    ("bert-base", "bert-base-uncased"),
    ("bert-large", "bert-large-uncased"),
    ("distilbert", "distilbert-base-uncased"),
    ("minilm", "all-MiniLM-L6-v2"),
    ("vit-base", "vit-base-patch16-224"),
    ("vit_b_16", "vit-base-patch16-224"),
    ("resnet50", "resnet-50"),
    ("mobilenet_v2", "mobilenet-v2"),
    ("mobilenetv2", "mobilenet-v2"),
    ("efficientnet_b0", "efficientnet-b0"),
    ("clip", "clip-vit-base-patch32"),
    ("qwen2.5-0.5b-instruct", "qwen2.5-0.5b"),
    ("llama-3.2-1b-instruct", "llama-3.2-1b"),
    ("gpt-2", "gpt2"),
];

/// Finds a catalog model by name, ignoring case and an organisation prefix (`google-bert/`, `openai/`, …).
pub fn find(name: &str) -> Option<CatalogModel> {
    // Compared without case, so nothing is allocated (every prediction looks its models up here).
    let bare = name.rsplit('/').next().unwrap_or(name).trim();
    let canonical =
        ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(bare)).map_or(bare, |(_, c)| c);
    entries().iter().find(|m| m.name.eq_ignore_ascii_case(canonical)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_parameter_counts_match_published_ones() {
        for m in catalog() {
            let derived = m.arch.params();
            let err = (derived / m.published_params - 1.0).abs();
            assert!(
                err < 0.01,
                "{}: derived {derived} vs published {} ({})",
                m.name,
                m.published_params,
                m.source
            );
        }
    }

    #[test]
    fn names_resolve_with_organisation_and_case() {
        assert_eq!(
            find("google-bert/BERT-base-uncased").map(|m| m.name),
            Some("bert-base-uncased")
        );
        assert_eq!(find("resnet50").map(|m| m.name), Some("resnet-50"));
        assert!(find("no-such-model").is_none());
    }

    #[test]
    fn whisper_encoder_ignores_audio_length_but_wav2vec2_scales() {
        let whisper = find("whisper-tiny").unwrap().arch;
        let w2v = find("wav2vec2-base").unwrap().arch;
        let flops = |a: &Architecture, s: f64| {
            a.work(&InputShape { audio_seconds: s, ..text(0) })
                .prefill
                .iter()
                .map(|o| o.flops * o.repeat)
                .sum::<f64>()
        };
        assert_eq!(flops(&whisper, 5.0), flops(&whisper, 20.0));
        assert!(flops(&w2v, 20.0) > 3.5 * flops(&w2v, 5.0));
    }
}
