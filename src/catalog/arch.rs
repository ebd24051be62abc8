//! Architectures as layer descriptions, and the operator lists they become for a given input.
//!
//! Parameters and FLOPs are derived from the layer shapes (hidden size, heads, FFN size, vocabulary, convolution
//! channels), so sequence length, image size, batch size and precision change the work the way they do in the
//! real network. An [`Op`] is one kernel-sized piece of work: a GEMM, an attention block, or a memory-bound
//! operator (normalisation, activation, residual add, gather, pooling, depthwise convolution). Whether the
//! memory-bound epilogues run as their own kernels, and whether attention is one fused kernel, is decided later
//! by the runtime profile, not here.

/// What kind of kernel an [`Op`] is; the runtime decides how some of them fuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpClass {
    /// Dense matrix multiply `batches × (m×k · k×n)`; convolutions are lowered to this (implicit GEMM).
    Gemm,
    /// Scaled dot-product attention over `batches` heads: `m` queries, `n` keys, head size `k`.
    Attention,
    /// Element-wise work after a GEMM (bias, activation, residual add, batch norm): fusible into the producer.
    Epilogue,
    /// Layer/RMS/group normalisation: a reduction, its own kernel in every runtime but one that generates a
    /// kernel per run of element-wise operators, where it joins the residual add before it (`Op::joined`).
    Norm,
    /// Embedding-table lookup: reads only the rows it gathers.
    Gather,
    /// Pooling or squeeze-excite reductions.
    Pool,
    /// Depthwise convolution: too little reuse for a GEMM, bound by memory traffic.
    Depthwise,
}

impl OpClass {
    /// Every class, in a fixed order.
    pub const ALL: [OpClass; 7] = [
        Self::Gemm,
        Self::Attention,
        Self::Epilogue,
        Self::Norm,
        Self::Gather,
        Self::Pool,
        Self::Depthwise,
    ];

    /// Lower-case name, as written in a model entry's `graph.ops[].class`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gemm => "gemm",
            Self::Attention => "attention",
            Self::Epilogue => "epilogue",
            Self::Norm => "norm",
            Self::Gather => "gather",
            Self::Pool => "pool",
            Self::Depthwise => "depthwise",
        }
    }
}

/// The function an element-wise operator applies, where it decides the operator's cost: runtimes fuse the
/// cheap ones (ReLU, ReLU6, clipping, bias, batch norm) into the kernel that produces their input, and may run
/// those that need an exponential or an error function per element as kernels of their own (ONNX Runtime's
/// `QuickGelu` and `Gelu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// No activation, or a cheap one.
    #[default]
    None,
    /// Sigmoid-gated: SiLU/Swish (`x·σ(x)`), QuickGELU (`x·σ(1.702x)`), sigmoid.
    Sigmoid,
    /// GELU (the error-function form or its tanh approximation).
    Gelu,
}

impl Activation {
    /// Lower-case name, as written in a model entry's `graph.ops[].activation` (`none` is left out there).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Sigmoid => "sigmoid",
            Self::Gelu => "gelu",
        }
    }

    /// The activation named `name` (`none`, `sigmoid` or `gelu`).
    pub fn parse(name: &str) -> Option<Self> {
        [Self::None, Self::Sigmoid, Self::Gelu].into_iter().find(|a| a.name() == name)
    }
}

/// One kernel-sized unit of work, repeated `repeat` times (e.g. once per layer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Op {
    /// Kind of kernel.
    pub class: OpClass,
    /// Independent problems in the kernel (attention heads × items, or 1).
    pub batches: f64,
    /// Rows (GEMM M: tokens or pixels × batch; attention: query length).
    pub m: f64,
    /// Columns (GEMM N: output features; attention: key length).
    pub n: f64,
    /// Reduction length (GEMM K; attention: head size).
    pub k: f64,
    /// Floating-point operations (a multiply-add counts 2).
    pub flops: f64,
    /// Activation elements read plus written.
    pub act_elems: f64,
    /// Weight elements read.
    pub weight_elems: f64,
    /// Elements of the tensor the op writes (part of `act_elems`): what a runtime allocates for its output.
    pub out_elems: f64,
    /// How many identical copies of this op run one after another.
    pub repeat: f64,
    /// The convolution window (kernel height × width) a GEMM was lowered from: 0 for a matrix product that is
    /// no convolution, 1 for a 1×1 convolution, 9 for a 3×3 one. Runtimes route them to different libraries
    /// (PyTorch: MKL's GEMM for linear layers, and for 1×1 convolutions on one thread at small batch;
    /// oneDNN's convolutions otherwise).
    pub window: f64,
    /// A GEMM lowered from a convolution, whatever `window` says about how a CPU runtime routes it (the
    /// patch embedding of a ViT, the convolution stems of Whisper and wav2vec 2.0 are costed as plain matrix
    /// products there, window 0): on a GPU the runtime runs it through its convolution library (PyTorch's
    /// cuDNN convolutions run fp32 as TF32 by default, its matrix products do not:
    /// `RuntimeProfile::fp32_as_tf32`).
    pub convolution: bool,
    /// A layer norm that also adds the residual before it (post-norm encoders such as BERT: add & norm),
    /// which ONNX Runtime runs as one `SkipLayerNormalization` kernel.
    pub skip_norm: bool,
    /// The function an element-wise operator applies ([`Activation::None`] for any other operator).
    pub activation: Activation,
    /// A normalisation that is attention's softmax (unfused attention's), not a layer norm.
    pub softmax: bool,
    /// Attention: the element-wise kernels unfused attention runs over its scores between their product and
    /// the softmax, each reading and writing them: 1 for the scale alone (vision and audio encoders attend
    /// without a mask), 2 where an additive mask follows in a kernel of its own (text models' padding or
    /// causal masks: `scores / sqrt(d) + mask` in Hugging Face's eager attention and DeepLearningExamples'
    /// BERT); 0 for any other operator.
    pub score_kernels: f64,
    /// A language-model head over the prompt's last position: the rows it has where the runtime projects
    /// every prompt position instead (a plain forward pass, as exported decoder graphs run it:
    /// `RuntimeProfile::prefill_logits_every_position`); 0 for any other operator.
    pub prompt_rows: f64,
    /// How many of the operator's `repeat` join a run of element-wise operators (0: none; `repeat`: all):
    /// an element-wise operator applied to the output of the element-wise operator just before it (the
    /// activation after a batch norm, the residual add after one, the activation after the add), or a norm
    /// applied to it (a transformer's layer norm after its residual add), or an element-wise operator on
    /// another input of the run's operator (a ResNet-50 projection block's main-path batch norm, on the
    /// residual add's other operand, where the shortcut's batch norm starts the run). Under a runtime that
    /// generates one kernel per run (`RuntimeProfile::fuses_pointwise_runs`) each joined one is no kernel of
    /// its own, and of what it moves only what the run does not hand it crosses memory
    /// ([`Op::run_extra_elems`]). A count, not a flag, so that identical operators merge whether or not
    /// some of them join a run ([`merge_identical`]) and a model's cost stays a sum over its operators in
    /// any order. Set by the catalog's convolutional networks and transformer stacks; 0 for anything else.
    pub joined: f64,
}

impl Op {
    /// `batches` independent `m×k · k×n` multiplies reading `weights` weight elements.
    pub fn gemm(batches: f64, m: f64, n: f64, k: f64, weights: f64) -> Self {
        Op {
            class: OpClass::Gemm,
            batches,
            m,
            n,
            k,
            flops: 2.0 * batches * m * n * k,
            act_elems: batches * (m * k + m * n),
            weight_elems: weights,
            out_elems: batches * m * n,
            repeat: 1.0,
            window: 0.0,
            convolution: false,
            skip_norm: false,
            activation: Activation::None,
            softmax: false,
            score_kernels: 0.0,
            prompt_rows: 0.0,
            joined: 0.0,
        }
    }

    /// A layer's linear projection of `rows` activations from `k` to `n` features.
    pub fn linear(rows: f64, k: f64, n: f64) -> Self {
        Self::gemm(1.0, rows, n, k, k * n)
    }

    /// A language-model head from `k` features to an `n`-token vocabulary over the last of `prompt` positions
    /// of `items` sequences ([`Op::prompt_rows`]: `items × prompt` rows where every position is projected).
    pub fn lm_head(items: f64, prompt: f64, k: f64, n: f64) -> Self {
        Op { prompt_rows: items * prompt, ..Self::linear(items, k, n) }
    }

    /// The head over every prompt position, where this is a language-model head over the last one
    /// ([`Op::prompt_rows`]); otherwise the operator itself.
    pub fn every_prompt_position(&self) -> Self {
        if self.prompt_rows > self.m && self.m > 0.0 {
            Op { prompt_rows: 0.0, ..self.scaled_items(self.prompt_rows / self.m) }
        } else {
            *self
        }
    }

    /// A memory-bound op that moves `act_elems` activation elements (reads plus writes, `out_elems` of them
    /// written) and does `flops` of arithmetic.
    pub fn memory(class: OpClass, act_elems: f64, out_elems: f64, flops: f64) -> Self {
        Op {
            class,
            batches: 1.0,
            m: 0.0,
            n: 0.0,
            k: 0.0,
            flops,
            act_elems,
            weight_elems: 0.0,
            out_elems,
            repeat: 1.0,
            window: 0.0,
            convolution: false,
            skip_norm: false,
            activation: Activation::None,
            softmax: false,
            score_kernels: 0.0,
            prompt_rows: 0.0,
            joined: 0.0,
        }
    }

    /// Elements an operator that joins a run ([`Op::joined`]) moves beyond the tensor the run hands it. An
    /// element-wise one writes in the run's stead: what it moves less a read and a write of that tensor (a
    /// residual add's shortcut; nothing for an activation or a batch norm). So does a post-norm encoder's norm
    /// (`skip_norm`: the normalised tensor is the new residual stream). A pre-norm stack's norm writes its own
    /// output besides the run's, which stays the residual stream: what it moves less its read.
    pub fn run_extra_elems(&self) -> f64 {
        let handed = if self.class == OpClass::Norm && !self.skip_norm { 1.0 } else { 2.0 };
        crate::minmax::max(self.act_elems - handed * self.activation_elems(), 0.0)
    }

    /// Elements an activation applies its function to: the elements it writes, or half of those it moves when
    /// it works in place.
    pub fn activation_elems(&self) -> f64 {
        if self.out_elems > 0.0 {
            self.out_elems
        } else {
            self.act_elems / 2.0
        }
    }

    /// Element-wise epilogue touching `elems` activation elements (reads plus writes: half of them written).
    pub fn epilogue(elems: f64) -> Self {
        Self::memory(OpClass::Epilogue, elems, elems / 2.0, elems)
    }

    /// Element-wise op over two inputs of `elems` elements into a new output (a residual add; squeeze-excite's
    /// channel scale is counted alike): `3 × elems` moved, `elems` written.
    pub fn residual(elems: f64) -> Self {
        Self::memory(OpClass::Epilogue, 3.0 * elems, elems, 3.0 * elems)
    }

    /// Normalisation over `elems` elements (read once, written once).
    pub fn norm(elems: f64) -> Self {
        Self::memory(OpClass::Norm, 2.0 * elems, elems, 5.0 * elems)
    }

    /// Attention for `heads` (already multiplied by the batch), `q` queries over `kv` keys of size `dh`.
    pub fn attention(heads: f64, q: f64, kv: f64, dh: f64) -> Self {
        Op {
            class: OpClass::Attention,
            batches: heads,
            m: q,
            n: kv,
            k: dh,
            flops: 4.0 * heads * q * kv * dh,
            // Q and output (q × dh each) plus K and V (kv × dh each) per head.
            act_elems: heads * dh * (2.0 * q + 2.0 * kv),
            weight_elems: 0.0,
            out_elems: heads * q * dh,
            repeat: 1.0,
            window: 0.0,
            convolution: false,
            skip_norm: false,
            activation: Activation::None,
            softmax: false,
            score_kernels: 1.0,
            prompt_rows: 0.0,
            joined: 0.0,
        }
    }

    /// Elements of the `m × n` result per problem, over all problems: a GEMM's output, or for attention the
    /// score matrix (queries × keys per head) that an unfused runtime writes to memory.
    pub fn mn_elems(&self) -> f64 {
        self.batches * self.m * self.n
    }

    /// Every size of the operator (all fields but its class and `repeat`), in declaration order, with whether
    /// it is a convolution (1 or 0): what makes two operators the same kernel.
    pub fn sizes(&self) -> [f64; 10] {
        [
            self.batches,
            self.m,
            self.n,
            self.k,
            self.flops,
            self.act_elems,
            self.weight_elems,
            self.out_elems,
            self.window,
            f64::from(u8::from(self.convolution)),
        ]
    }

    /// A convolution's input positions per output position: its stride squared (1 for a stride-1 "same"
    /// convolution, 4 for stride 2), read from its input elements (`act_elems − out_elems`) over its output
    /// rows times its input channels per problem (`k / window`); 0 for an operator without a window.
    pub fn input_per_output(&self) -> f64 {
        if self.window <= 0.0 || self.batches * self.m * self.k <= 0.0 {
            return 0.0;
        }
        (self.act_elems - self.out_elems) / (self.batches * self.m * self.k / self.window)
    }

    /// The same GEMM marked as lowered from a convolution ([`Op::convolution`]).
    pub fn from_convolution(self) -> Self {
        Op { convolution: true, ..self }
    }

    /// The same GEMM lowered from a convolution with a `window` (kernel height × width) of taps: both
    /// fields set together, so an operator with a window is always a convolution.
    pub fn with_window(self, window: f64) -> Self {
        Op { window, ..self.from_convolution() }
    }

    /// The same operator for `f` times as many items: a weight GEMM gets `f` times the rows, any other GEMM
    /// and attention `f` times the problems, a memory-bound operator (an embedding gather's rows included)
    /// `f` times the elements.
    pub fn scaled_items(mut self, f: f64) -> Self {
        match self.class {
            OpClass::Gemm if self.weight_elems > 0.0 => self.m *= f,
            OpClass::Gemm | OpClass::Attention => self.batches *= f,
            OpClass::Gather => self.weight_elems *= f,
            _ => {}
        }
        self.flops *= f;
        self.act_elems *= f;
        self.out_elems *= f;
        self.prompt_rows *= f;
        self
    }

    /// Whether `other` is this operator, however many times each runs and however many of those join a run
    /// (`repeat`, `joined`): what [`merge_identical`] merges.
    pub fn same_operator(&self, other: &Op) -> bool {
        Op { repeat: other.repeat, joined: other.joined, ..*self } == *other
    }

    /// The operator with every one of its `repeat` joining a run ([`Op::joined`]).
    pub fn joining(self) -> Self {
        Op { joined: self.repeat, ..self }
    }

    fn times(mut self, repeat: f64) -> Self {
        self.repeat *= repeat;
        self.joined *= repeat;
        self
    }
}

/// Merges operators that are identical but for `repeat` into the first of them, their repeats added: a
/// model's cost is a sum over its operators whatever their order, so a network whose blocks repeat a shape
/// (the batch norm after every convolution of one width) is costed once per shape. Quadratic in the
/// operators: for networks built once and kept ([`CnnFamily::one_image`]).
pub fn merge_identical(ops: &mut Vec<Op>) {
    let mut kept: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops.drain(..) {
        match kept.iter_mut().find(|k| k.same_operator(&op)) {
            Some(k) => {
                k.repeat += op.repeat;
                k.joined += op.joined;
            }
            None => kept.push(op),
        }
    }
    *ops = kept;
}

/// Which bias vectors the attention projections carry (they differ between model families).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttnBias {
    /// No biases (Llama, T5).
    None,
    /// Bias on Q, K and V only (Qwen2).
    Qkv,
    /// Bias on Q, V and output, not on K (Whisper).
    QvO,
    /// Bias on Q, K, V and output (BERT, GPT-2, ViT).
    All,
}

/// A stack of identical transformer layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TxStack {
    /// Number of layers.
    pub layers: u32,
    /// Residual width.
    pub d_model: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads (fewer than `heads` under grouped-query attention).
    pub kv_heads: u32,
    /// Size of one head.
    pub head_dim: u32,
    /// FFN inner width.
    pub d_ff: u32,
    /// Gated FFN (SwiGLU: gate, up and down matrices) instead of two matrices.
    pub gated_ffn: bool,
    /// Attention projection biases.
    pub attn_bias: AttnBias,
    /// Biases on the FFN matrices.
    pub ffn_bias: bool,
    /// Norms carry a bias (LayerNorm) or not (RMSNorm).
    pub norm_bias: bool,
    /// Each layer also attends to an encoder's output (encoder-decoder models).
    pub cross_attention: bool,
    /// The FFN's activation.
    pub activation: Activation,
}

impl TxStack {
    /// A BERT-style encoder stack: biases everywhere, LayerNorm, `d_ff = 4·d`, 64-wide heads.
    pub const fn bert(layers: u32, d_model: u32, heads: u32, d_ff: u32) -> Self {
        TxStack {
            layers,
            d_model,
            heads,
            kv_heads: heads,
            head_dim: d_model / heads,
            d_ff,
            gated_ffn: false,
            attn_bias: AttnBias::All,
            ffn_bias: true,
            norm_bias: true,
            cross_attention: false,
            activation: Activation::Gelu,
        }
    }

    fn q_width(&self) -> f64 {
        f64::from(self.heads) * f64::from(self.head_dim)
    }

    fn kv_width(&self) -> f64 {
        f64::from(self.kv_heads) * f64::from(self.head_dim)
    }

    fn d(&self) -> f64 {
        f64::from(self.d_model)
    }

    fn norm_params(&self) -> f64 {
        self.d() * if self.norm_bias { 2.0 } else { 1.0 }
    }

    fn attention_params(&self) -> f64 {
        let (q, kv, d) = (self.q_width(), self.kv_width(), self.d());
        let weights = d * q + 2.0 * d * kv + q * d;
        let bias = match self.attn_bias {
            AttnBias::None => 0.0,
            AttnBias::Qkv => q + 2.0 * kv,
            AttnBias::QvO => q + kv + d,
            AttnBias::All => q + 2.0 * kv + d,
        };
        weights + bias
    }

    fn ffn_params(&self) -> f64 {
        let (d, ff) = (self.d(), f64::from(self.d_ff));
        let mats = if self.gated_ffn { 3.0 } else { 2.0 };
        let bias = if self.ffn_bias { ff * (mats - 1.0) + d } else { 0.0 };
        mats * d * ff + bias
    }

    /// Parameters of the whole stack (not counting embeddings or a final norm).
    pub fn params(&self) -> f64 {
        let attn = self.attention_params() * if self.cross_attention { 2.0 } else { 1.0 };
        let norms = self.norm_params() * if self.cross_attention { 3.0 } else { 2.0 };
        f64::from(self.layers) * (attn + self.ffn_params() + norms)
    }

    /// Key+value elements cached per token across all layers (self-attention only).
    pub fn kv_elems_per_token(&self) -> f64 {
        2.0 * f64::from(self.layers) * self.kv_width()
    }

    /// Operators for `items` sequences of `q_len` new tokens attending to `kv_len` tokens (the new ones
    /// included). `cross` is the encoder length for cross-attention and whether its K/V must be projected now
    /// (true on the first decoder pass, false when cached). `masked`: the self-attention adds a mask to its
    /// scores (a text model's padding or causal mask; [`Op::score_kernels`]).
    pub fn ops(
        &self,
        items: f64,
        (q_len, kv_len): (f64, f64),
        cross: Option<(f64, bool)>,
        masked: bool,
        out: &mut Vec<Op>,
    ) {
        let layers = f64::from(self.layers);
        let rows = items * q_len;
        let (d, q, kv, ff) = (self.d(), self.q_width(), self.kv_width(), f64::from(self.d_ff));
        let heads = items * f64::from(self.heads);
        let dh = f64::from(self.head_dim);
        // Each sub-layer (self-attention, cross-attention where the stack has it, the FFN) starts with a norm
        // and ends with a residual add of the same shape, and both attentions end with the same output
        // projection: one operator each, repeated per sub-layer (a model's cost is a sum over its operators,
        // whatever their order).
        let cross = cross.filter(|_| self.cross_attention);
        let sublayers = if cross.is_some() { 3.0 } else { 2.0 };
        let attentions = sublayers - 1.0;
        out.extend(
            [
                // Each norm reads the residual stream a residual add (or the embedding's position add) wrote
                // just before it: it joins that run ([`Op::joined`]).
                Op::norm(rows * d).times(sublayers).joining(),
                Op::linear(rows, d, q + 2.0 * kv),
                Op {
                    score_kernels: if masked { 2.0 } else { 1.0 },
                    ..self.cached_attention(heads, q_len, kv_len, dh, kv_len - q_len, items)
                },
                Op::linear(rows, q, d).times(attentions),
                Op::residual(rows * d).times(sublayers),
            ]
            .into_iter()
            .map(|op| op.times(layers)),
        );
        if let Some((enc_len, project)) = cross {
            out.push(Op::linear(rows, d, q).times(layers));
            if project {
                out.extend(
                    [
                        Op::linear(items * enc_len, d, 2.0 * kv),
                        Op::attention(heads, q_len, enc_len, dh),
                    ]
                    .into_iter()
                    .map(|op| op.times(layers)),
                );
            } else {
                let attention = self.cached_attention(heads, q_len, enc_len, dh, enc_len, items);
                out.push(attention.times(layers));
            }
        }
        let up = if self.gated_ffn { 2.0 * ff } else { ff };
        out.extend(
            [
                Op::linear(rows, d, up),
                // Bias and activation over the up projection's output; a gated FFN's SwiGLU reads the gate and
                // the up halves and writes `rows × ff`, the activation's elements.
                Op {
                    activation: self.activation,
                    out_elems: rows * ff,
                    ..Op::epilogue(rows * (up + ff))
                },
                Op::linear(rows, ff, d),
            ]
            .into_iter()
            .map(|op| op.times(layers)),
        );
    }

    /// Attention whose keys and values partly come from a cache: the cached part is read from memory.
    fn cached_attention(
        &self,
        heads: f64,
        q: f64,
        kv: f64,
        dh: f64,
        cached: f64,
        items: f64,
    ) -> Op {
        let mut op = Op::attention(heads, q, kv, dh);
        // K and V of cached tokens are read from the cache (per KV head, not per query head).
        let cache_reads = 2.0 * items * f64::from(self.kv_heads) * dh * cached;
        let fresh = heads * dh * 2.0 * (kv - cached);
        op.act_elems = heads * dh * 2.0 * q + fresh + cache_reads;
        op
    }
}

/// Token (and position) embeddings in front of a transformer stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Embedding {
    /// Vocabulary size.
    pub vocab: u32,
    /// Embedding width.
    pub dim: u32,
    /// Learned absolute positions (0 for rotary or relative positions).
    pub positions: u32,
    /// Token-type (segment) embeddings.
    pub token_types: u32,
    /// LayerNorm (with bias) right after the embedding sum.
    pub norm: bool,
}

impl Embedding {
    /// Parameters of the tables and the norm.
    pub fn params(&self) -> f64 {
        let d = f64::from(self.dim);
        let tables =
            f64::from(self.vocab) + f64::from(self.positions) + f64::from(self.token_types);
        tables * d + if self.norm { 2.0 * d } else { 0.0 }
    }

    /// Gather `rows` embedding rows (plus the norm when present).
    pub fn ops(&self, rows: f64, out: &mut Vec<Op>) {
        let d = f64::from(self.dim);
        let mut gather = Op::memory(OpClass::Gather, rows * d, rows * d, 0.0);
        gather.weight_elems = rows * d;
        out.push(gather);
        if self.norm {
            out.push(Op::norm(rows * d));
        }
    }
}

/// The image size the catalog's classification CNNs are trained at (ImageNet's 224×224).
const DEFAULT_IMAGE: u32 = 224;

/// The image size YOLOv5's P5 detectors are benchmarked at (ultralytics/yolov5 README: "size (pixels) 640").
const YOLO_IMAGE: u32 = 640;

/// A convolutional layer stack, built by [`Cnn`] for one input resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnnFamily {
    /// ResNet-50 v1.5 (torchvision): bottleneck blocks [3, 4, 6, 3], stride on the 3×3 convolution.
    ResNet50,
    /// MobileNetV2 (torchvision), width 1.0.
    MobileNetV2,
    /// EfficientNet-B0 (torchvision), MBConv blocks with squeeze-excite.
    EfficientNetB0,
    /// YOLOv5n (ultralytics/yolov5 `models/yolov5n.yaml`: depth ×0.33, width ×0.25), fused for inference.
    YoloV5n,
    /// YOLOv5s (depth ×0.33, width ×0.50).
    YoloV5s,
    /// YOLOv5m (depth ×0.67, width ×0.75).
    YoloV5m,
    /// YOLOv5l (depth ×1.0, width ×1.0).
    YoloV5l,
    /// YOLOv5x (depth ×1.33, width ×1.25).
    YoloV5x,
}

impl CnnFamily {
    /// Every family, in declaration order.
    pub const ALL: [CnnFamily; 8] = [
        Self::ResNet50,
        Self::MobileNetV2,
        Self::EfficientNetB0,
        Self::YoloV5n,
        Self::YoloV5s,
        Self::YoloV5m,
        Self::YoloV5l,
        Self::YoloV5x,
    ];

    /// A YOLOv5 model's depth and width multiples (`depth_multiple`, `width_multiple` of
    /// `models/yolov5{n,s,m,l,x}.yaml`); `None` for the classifiers.
    const fn yolo_scale(self) -> Option<(f64, f64)> {
        match self {
            Self::ResNet50 | Self::MobileNetV2 | Self::EfficientNetB0 => None,
            Self::YoloV5n => Some((0.33, 0.25)),
            Self::YoloV5s => Some((0.33, 0.50)),
            Self::YoloV5m => Some((0.67, 0.75)),
            Self::YoloV5l => Some((1.0, 1.0)),
            Self::YoloV5x => Some((1.33, 1.25)),
        }
    }

    /// The image side the family is published at: 224 for the ImageNet classifiers, 640 for YOLOv5.
    pub const fn default_image(self) -> u32 {
        if self.yolo_scale().is_some() {
            YOLO_IMAGE
        } else {
            DEFAULT_IMAGE
        }
    }

    /// Parameters of the network (they depend on neither the batch nor the image size).
    pub fn params(self) -> f64 {
        self.one_image(self.default_image()).params
    }

    /// The network for one `image`×`image` image: at the family's default size built once, its identical
    /// operators merged ([`merge_identical`]), and kept (every prediction of a CNN asks for it; a batch is its
    /// operators scaled by [`Op::scaled_items`]); at any other size built on the spot, unmerged (the merge is
    /// quadratic in the operators: worth it only once).
    pub fn one_image(self, image: u32) -> std::borrow::Cow<'static, Cnn> {
        static NETS: [std::sync::OnceLock<Cnn>; CnnFamily::ALL.len()] =
            [const { std::sync::OnceLock::new() }; CnnFamily::ALL.len()];
        if image == self.default_image() {
            std::borrow::Cow::Borrowed(NETS[self as usize].get_or_init(|| {
                let mut net = Cnn::build(self, 1.0, image);
                merge_identical(&mut net.ops);
                net
            }))
        } else {
            std::borrow::Cow::Owned(Cnn::build(self, 1.0, image))
        }
    }
}

/// Walks a CNN layer by layer, tracking the feature-map shape, counting parameters and emitting operators.
#[derive(Debug, Clone, PartialEq)]
pub struct Cnn {
    items: f64,
    channels: u32,
    height: u32,
    width: u32,
    /// Parameters counted so far.
    pub params: f64,
    /// Operators emitted so far.
    pub ops: Vec<Op>,
    /// Largest activation working set (input + output elements of one layer) seen so far, per item.
    pub peak_act_elems: f64,
    /// The network's activation function (ReLU and ReLU6 are [`Activation::None`], SiLU is sigmoid-gated).
    activation: Activation,
    /// Elements per item (as [`Cnn::peak_act_elems`]) of the feature maps a branching network keeps for a
    /// later concatenation (YOLOv5's P3 and P4 maps, its head's lateral maps): resident beside every layer's
    /// input and output meanwhile.
    held: f64,
}

/// A feature map's shape (channels, height, width), kept where a network branches.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shape {
    channels: u32,
    height: u32,
    width: u32,
}

impl Cnn {
    fn new(items: f64, image: u32, activation: Activation) -> Self {
        Cnn {
            items,
            channels: 3,
            height: image,
            width: image,
            params: 0.0,
            ops: Vec::new(),
            peak_act_elems: 0.0,
            activation,
            held: 0.0,
        }
    }

    fn shape(&self) -> Shape {
        Shape { channels: self.channels, height: self.height, width: self.width }
    }

    fn set_shape(&mut self, s: Shape) {
        (self.channels, self.height, self.width) = (s.channels, s.height, s.width);
    }

    fn pixels(&self) -> f64 {
        f64::from(self.height) * f64::from(self.width)
    }

    fn elems(&self) -> f64 {
        self.pixels() * f64::from(self.channels)
    }

    /// Convolution with "same" padding; `groups == channels` is depthwise.
    fn conv(&mut self, out: u32, kernel: u32, stride: u32, groups: u32, bias: bool) -> &mut Self {
        let cin = self.channels;
        let input = self.elems();
        self.height = self.height.div_ceil(stride);
        self.width = self.width.div_ceil(stride);
        self.channels = out;
        let kk = f64::from(kernel * kernel);
        let per_group_in = f64::from(cin / groups.max(1));
        self.params += kk * per_group_in * f64::from(out) + if bias { f64::from(out) } else { 0.0 };
        let rows = self.items * self.pixels();
        let output = self.elems();
        self.peak_act_elems = self.peak_act_elems.max(input + output + self.held);
        if groups > 1 && groups == cin {
            let mut op = Op::memory(
                OpClass::Depthwise,
                self.items * (input + output),
                self.items * output,
                0.0,
            );
            op.flops = 2.0 * rows * f64::from(out) * kk;
            op.weight_elems = kk * f64::from(out);
            self.ops.push(op);
        } else {
            let mut op =
                Op::gemm(1.0, rows, f64::from(out), kk * per_group_in, 0.0).with_window(kk);
            op.weight_elems = kk * per_group_in * f64::from(out);
            // Implicit GEMM reads the input feature map once, not the k×k-expanded im2col matrix.
            op.act_elems = self.items * (input + output);
            self.ops.push(op);
        }
        self
    }

    /// Batch norm (scale and shift per channel) as an epilogue.
    fn bn(&mut self) -> &mut Self {
        self.params += 2.0 * f64::from(self.channels);
        self.push_elementwise(Op::epilogue(2.0 * self.items * self.elems()));
        self
    }

    /// Activation (ReLU, ReLU6, SiLU) as an epilogue, in place (torchvision builds these networks' activations
    /// with `inplace=True`): it writes over its input, so it allocates no tensor of its own.
    fn act(&mut self) -> &mut Self {
        let op = Op { out_elems: 0.0, ..self.activation_op() };
        self.push_elementwise(op);
        self
    }

    /// Pushes an element-wise operator on the current map, joining the run of the element-wise operator just
    /// pushed where there is one ([`Op::joined`]).
    fn push_elementwise(&mut self, op: Op) {
        let joins = self.ops.last().is_some_and(|o| o.class == OpClass::Epilogue);
        self.ops.push(if joins { op.joining() } else { op });
    }

    /// The network's activation over the current map, into a tensor of its own.
    fn activation_op(&self) -> Op {
        Op { activation: self.activation, ..Op::epilogue(2.0 * self.items * self.elems()) }
    }

    /// A copy kernel writing `elems` elements it reads once (a concatenation).
    fn copy_op(elems: f64) -> Op {
        Op::memory(OpClass::Epilogue, 2.0 * elems, elems, 0.0)
    }

    fn residual_add(&mut self) {
        self.push_elementwise(Op::residual(self.items * self.elems()));
    }

    fn pool(&mut self, kernel: u32, stride: u32) {
        let input = self.elems();
        self.height = self.height.div_ceil(stride);
        self.width = self.width.div_ceil(stride);
        let flops = self.items * self.elems() * f64::from(kernel * kernel);
        self.ops.push(Op::memory(
            OpClass::Pool,
            self.items * (input + self.elems()),
            self.items * self.elems(),
            flops,
        ));
    }

    fn global_pool(&mut self) {
        let input = self.elems();
        self.ops.push(Op::memory(
            OpClass::Pool,
            self.items * input,
            self.items * f64::from(self.channels),
            self.items * input,
        ));
        self.height = 1;
        self.width = 1;
    }

    fn linear(&mut self, out: u32) {
        let cin = f64::from(self.channels);
        self.params += cin * f64::from(out) + f64::from(out);
        self.ops.push(Op::linear(self.items, cin, f64::from(out)));
        self.channels = out;
    }

    /// Squeeze-excite: global pool, two 1×1 convolutions with bias, then a channel-wise scale.
    fn squeeze_excite(&mut self, squeeze: u32) {
        let c = self.channels;
        let cf = f64::from(c);
        self.params += 2.0 * cf * f64::from(squeeze) + f64::from(squeeze) + cf;
        let elems = self.items * self.elems();
        self.ops.push(Op::memory(OpClass::Pool, elems, self.items * cf, elems));
        self.ops.push(Op::linear(self.items, cf, f64::from(squeeze)));
        self.ops.push(Op::linear(self.items, f64::from(squeeze), cf));
        self.ops.push(Op::residual(elems));
    }

    /// Runs `block` once and counts its operators and parameters `times` times: the identical blocks of a
    /// stage (same shapes in and out) become one set of operators with `repeat`, costed once per prediction.
    fn repeated(&mut self, times: u32, block: impl FnOnce(&mut Self)) {
        if times == 0 {
            return;
        }
        let (ops, params) = (self.ops.len(), self.params);
        block(self);
        let t = f64::from(times);
        self.params = params + (self.params - params) * t;
        for op in &mut self.ops[ops..] {
            *op = op.times(t);
        }
    }

    /// A stage of `blocks` blocks: the first with the stage's `stride` (it may change the shape), the other
    /// `blocks − 1` identical at stride 1, built once with `repeat`. `block(net, stride, first)`.
    fn stage(&mut self, blocks: u32, stride: u32, block: impl Fn(&mut Self, u32, bool)) {
        self.repeated(1, |net| block(net, stride, true));
        self.repeated(blocks.saturating_sub(1), |net| block(net, 1, false));
    }

    /// Builds `family` for `items` images of `image`×`image` pixels.
    pub fn build(family: CnnFamily, items: f64, image: u32) -> Self {
        // ResNet-50 uses ReLU, MobileNet-v2 ReLU6, EfficientNet-B0 and YOLOv5 SiLU (torchvision; YOLOv5's
        // `Conv.default_act`).
        let activation = match family {
            CnnFamily::ResNet50 | CnnFamily::MobileNetV2 => Activation::None,
            _ => Activation::Sigmoid,
        };
        let yolo = family.yolo_scale();
        // YOLOv5 takes images whose side is a multiple of its largest stride, 32 (`check_img_size` rounds up).
        let image = if yolo.is_some() { image.div_ceil(32) * 32 } else { image };
        let mut net = Cnn::new(items, image, activation);
        match family {
            CnnFamily::ResNet50 => net.resnet50(),
            CnnFamily::MobileNetV2 => net.mobilenet_v2(),
            CnnFamily::EfficientNetB0 => net.efficientnet_b0(),
            CnnFamily::YoloV5n
            | CnnFamily::YoloV5s
            | CnnFamily::YoloV5m
            | CnnFamily::YoloV5l
            | CnnFamily::YoloV5x => {
                if let Some((depth, width)) = yolo {
                    net.yolov5(depth, width);
                }
            }
        }
        net
    }

    fn resnet50(&mut self) {
        self.conv(64, 7, 2, 1, false).bn().act();
        self.pool(3, 2);
        for (width, blocks, stride) in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)] {
            self.stage(blocks, stride, |net, s, first| {
                let input = net.shape();
                net.conv(width, 1, 1, 1, false).bn().act();
                net.conv(width, 3, s, 1, false).bn().act();
                net.conv(width * 4, 1, 1, 1, false).bn();
                if first {
                    // Projection shortcut on the block input. Its batch norm starts the run the residual add
                    // and the activation join, and the main path's last batch norm, element-wise on the other
                    // input of that add, joins it as well: TorchInductor generates one kernel reading both
                    // convolutions' outputs and writing the block's (the norm's read of its input is the
                    // add's read of that operand, and its output never reaches memory).
                    let main_norm = net.ops.len() - 1;
                    let output = net.shape();
                    net.set_shape(input);
                    net.conv(width * 4, 1, s, 1, false).bn();
                    net.set_shape(output);
                    net.ops[main_norm] = net.ops[main_norm].joining();
                }
                net.residual_add();
                net.act();
            });
        }
        self.global_pool();
        self.linear(1000);
    }

    /// An inverted residual (MobileNetV2) or MBConv (EfficientNet) block: a 1×1 expansion by `expand` (none at
    /// 1), a `kernel`×`kernel` depthwise convolution at `stride`, squeeze-excite to a quarter of the block's
    /// input channels when `se`, a 1×1 projection to `out`, and the residual add when the shape is unchanged.
    fn inverted_residual(&mut self, expand: u32, kernel: u32, stride: u32, out: u32, se: bool) {
        let input = self.channels;
        let hidden = input * expand;
        if expand != 1 {
            self.conv(hidden, 1, 1, 1, false).bn().act();
        }
        self.conv(hidden, kernel, stride, hidden, false).bn().act();
        if se {
            self.squeeze_excite((input / 4).max(1));
        }
        self.conv(out, 1, 1, 1, false).bn();
        if stride == 1 && input == out {
            self.residual_add();
        }
    }

    fn mobilenet_v2(&mut self) {
        self.conv(32, 3, 2, 1, false).bn().act();
        // (expansion, output channels, blocks, stride of the first block)
        for (t, c, n, s) in [
            (1, 16, 1, 1),
            (6, 24, 2, 2),
            (6, 32, 3, 2),
            (6, 64, 4, 2),
            (6, 96, 3, 1),
            (6, 160, 3, 2),
            (6, 320, 1, 1),
        ] {
            self.stage(n, s, |net, stride, _| net.inverted_residual(t, 3, stride, c, false));
        }
        self.conv(1280, 1, 1, 1, false).bn().act();
        self.global_pool();
        self.linear(1000);
    }

    fn efficientnet_b0(&mut self) {
        self.conv(32, 3, 2, 1, false).bn().act();
        // (expansion, kernel, stride of the first block, output channels, blocks)
        for (expand, kernel, s, out, n) in [
            (1, 3, 1, 16, 1),
            (6, 3, 2, 24, 2),
            (6, 5, 2, 40, 2),
            (6, 3, 2, 80, 3),
            (6, 5, 1, 112, 3),
            (6, 5, 2, 192, 4),
            (6, 3, 1, 320, 1),
        ] {
            self.stage(n, s, |net, stride, _| {
                net.inverted_residual(expand, kernel, stride, out, true)
            });
        }
        self.conv(1280, 1, 1, 1, false).bn().act();
        self.global_pool();
        self.linear(1000);
    }

    /// An activation into a tensor of its own (YOLOv5's `nn.SiLU()` is not in place).
    fn act_out(&mut self) {
        let op = self.activation_op();
        self.ops.push(op);
    }

    /// YOLOv5's `Conv` as inference runs it after `fuse()`: the convolution with the batch norm folded into
    /// its bias, then SiLU.
    fn yolo_conv(&mut self, out: u32, kernel: u32, stride: u32) {
        self.conv(out, kernel, stride, 1, true).act_out();
    }

    /// `torch.cat` along channels of the current map (`self`'s shape) with maps of `others` channels at the
    /// same size: one copy kernel reading every input and writing the result.
    fn concat(&mut self, others: u32) {
        self.channels += others;
        self.ops.push(Self::copy_op(self.items * self.elems()));
    }

    /// Nearest-neighbour upsampling by 2 (`nn.Upsample(None, 2, "nearest")`): reads the map, writes 4×.
    fn upsample2(&mut self) {
        let input = self.items * self.elems();
        self.height *= 2;
        self.width *= 2;
        let output = self.items * self.elems();
        self.ops.push(Op::memory(OpClass::Pool, input + output, output, 0.0));
    }

    /// YOLOv5's C3 block to `out` channels: `cv1` (1×1 to out/2) then `blocks` bottlenecks (1×1, 3×3, and
    /// the residual add when `shortcut`), beside `cv2` (1×1 to out/2) on the block input, concatenated, and
    /// `cv3` (1×1 to `out`).
    fn c3(&mut self, out: u32, blocks: u32, shortcut: bool) {
        let hidden = out / 2;
        let input = self.shape();
        self.yolo_conv(hidden, 1, 1);
        self.repeated(blocks, |net| {
            net.yolo_conv(hidden, 1, 1);
            net.yolo_conv(hidden, 3, 1);
            if shortcut {
                net.residual_add();
            }
        });
        let branch = self.keep();
        self.set_shape(input);
        self.yolo_conv(hidden, 1, 1);
        self.release(branch);
        self.set_shape(Shape { channels: hidden, ..branch });
        self.concat(hidden);
        self.yolo_conv(out, 1, 1);
    }

    /// YOLOv5's SPPF: `cv1` (1×1 to half the channels), three 5×5 stride-1 max pools in a chain, the four maps
    /// concatenated, and `cv2` (1×1 to `out`).
    fn sppf(&mut self, out: u32) {
        let hidden = self.channels / 2;
        self.yolo_conv(hidden, 1, 1);
        self.repeated(3, |net| net.pool(5, 1));
        self.concat(3 * hidden);
        self.yolo_conv(out, 1, 1);
    }

    /// YOLOv5's `Detect` in inference on one level's map: a 1×1 convolution with bias to 3 anchors × 85
    /// outputs (80 COCO classes + box + objectness), the `permute(...).contiguous()` copy, the sigmoid, three
    /// element-wise kernels on the 2 box-centre channels and three on the 2 box-size channels (×2 + grid,
    /// × stride; ×2, squared, × anchor grid), and the concatenation back to 85 channels. Returns the level's
    /// output elements.
    fn detect_level(&mut self) -> f64 {
        const OUTPUTS: u32 = 3 * 85;
        self.conv(OUTPUTS, 1, 1, 1, true);
        let e = self.items * self.elems();
        self.ops.push(Op::memory(OpClass::Pool, 2.0 * e, e, 0.0));
        let mut sigmoid = Op::epilogue(2.0 * e);
        sigmoid.activation = Activation::Sigmoid;
        self.ops.push(sigmoid);
        self.ops.push(Op::epilogue(2.0 * e * 2.0 / 85.0).times(6.0));
        self.ops.push(Self::copy_op(e));
        e
    }

    /// Keeps the current map for a later concatenation ([`Cnn::held`]) and returns its shape.
    fn keep(&mut self) -> Shape {
        self.held += self.elems();
        self.shape()
    }

    /// Releases a map kept by [`Cnn::keep`] once it has been read.
    fn release(&mut self, s: Shape) {
        self.held -= f64::from(s.channels) * f64::from(s.height) * f64::from(s.width);
    }

    /// YOLOv5 (v6.0 and later P5 layout, `models/yolov5*.yaml`) at `depth` × the blocks and `width` × the
    /// channels: a block count `n > 1` becomes `max(round(n × depth), 1)` and a width `c` becomes
    /// `ceil(c × width / 8) × 8` (`parse_model`, `make_divisible`).
    fn yolov5(&mut self, depth: f64, width: f64) {
        // Widths and depths are small positive numbers: the casts are exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let c = |ch: u32| ((f64::from(ch) * width / 8.0).ceil() as u32) * 8;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = |blocks: u32| (f64::from(blocks) * depth).round().max(1.0) as u32;
        // Backbone.
        self.yolo_conv(c(64), 6, 2);
        self.yolo_conv(c(128), 3, 2);
        self.c3(c(128), n(3), true);
        self.yolo_conv(c(256), 3, 2);
        self.c3(c(256), n(6), true);
        let p3 = self.keep();
        self.yolo_conv(c(512), 3, 2);
        self.c3(c(512), n(9), true);
        let p4 = self.keep();
        self.yolo_conv(c(1024), 3, 2);
        self.c3(c(1024), n(3), true);
        self.sppf(c(1024));
        // Head, top-down: each lateral 1×1 output kept for the bottom-up path.
        let mut laterals = Vec::with_capacity(2);
        for (lateral, skip) in [(512, p4), (256, p3)] {
            self.yolo_conv(c(lateral), 1, 1);
            laterals.push(self.keep());
            self.upsample2();
            self.concat(skip.channels);
            self.release(skip);
            self.c3(c(lateral), n(3), false);
        }
        // Bottom-up: a 3×3 stride-2 convolution, the lateral map, a C3; each level's output kept for Detect.
        let mut levels = vec![self.keep()];
        for (out, lateral) in [(512, laterals[1]), (1024, laterals[0])] {
            self.yolo_conv(self.channels, 3, 2);
            self.concat(lateral.channels);
            self.release(lateral);
            self.c3(c(out), n(3), false);
            levels.push(self.keep());
        }
        let mut detected = 0.0;
        for level in levels {
            self.release(level);
            self.set_shape(level);
            detected += self.detect_level();
        }
        // The three levels' predictions concatenated (`torch.cat(z, 1)`).
        self.ops.push(Self::copy_op(detected));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_operators_merge_into_the_first_with_their_repeats_added() {
        let a = Op::norm(64.0);
        let b = Op::linear(4.0, 8.0, 16.0);
        let mut ops = vec![a, b, a.times(3.0), Op { skip_norm: true, ..a }];
        merge_identical(&mut ops);
        assert_eq!(ops, vec![a.times(4.0), b, Op { skip_norm: true, ..a }]);
        // Whether some repeats join a run does not keep identical operators apart: the counts add.
        let mut joined = vec![a.times(2.0), a.joining(), a.times(3.0).joining()];
        merge_identical(&mut joined);
        assert_eq!(joined, vec![Op { joined: 4.0, ..a.times(6.0) }]);
        // The catalog's kept networks come out merged, with every FLOP of the layer-by-layer walk kept.
        for family in [CnnFamily::ResNet50, CnnFamily::MobileNetV2, CnnFamily::EfficientNetB0] {
            let net = family.one_image(DEFAULT_IMAGE);
            let walked = Cnn::build(family, 1.0, DEFAULT_IMAGE);
            assert!(net.ops.len() < walked.ops.len(), "{family:?}");
            let flops = |ops: &[Op]| ops.iter().map(|o| o.flops * o.repeat).sum::<f64>();
            let (merged, all) = (flops(&net.ops), flops(&walked.ops));
            assert!((merged - all).abs() <= 1e-12 * all, "{family:?}: {merged} vs {all}");
            for (i, op) in net.ops.iter().enumerate() {
                assert!(
                    !net.ops[i + 1..].iter().any(|o| o.same_operator(op)),
                    "{family:?}: operator {i} twice"
                );
            }
        }
    }

    #[test]
    fn text_models_mask_their_attention_scores_and_vision_and_audio_encoders_do_not() {
        use crate::catalog::models::{find, InputShape};
        // The element-wise kernels unfused attention runs over each layer's scores: the scale, and the mask
        // a text model adds (BERT's padding mask, a decoder's causal one) in a kernel of its own.
        let score_kernels = |name: &str| {
            let m = find(name).unwrap();
            let input = InputShape { batch: 1, ..m.default_input };
            let work = m.arch.work(&input);
            let mut k: Vec<f64> = work
                .prefill
                .iter()
                .chain(&work.decode_step)
                .filter(|o| o.class == OpClass::Attention)
                .map(|o| o.score_kernels)
                .collect();
            k.dedup();
            k
        };
        assert_eq!(score_kernels("bert-base-uncased"), [2.0]);
        assert_eq!(score_kernels("gpt2"), [2.0]);
        assert_eq!(score_kernels("vit-base-patch16-224"), [1.0]);
        // Whisper: its encoder attends without a mask, its decoder's self-attention with a causal one, and
        // its cross-attention over the encoder's frames without one.
        let whisper = score_kernels("whisper-base");
        assert!(whisper.contains(&1.0) && whisper.contains(&2.0), "{whisper:?}");
        // Any other operator runs no such kernel.
        assert_eq!(Op::linear(8.0, 8.0, 8.0).score_kernels, 0.0);
    }

    #[test]
    fn bert_base_layer_flops_match_the_closed_form() {
        // 2n(4d² + 2d·ff) + 4n²d per layer, d=768, ff=3072, n=128 (REFERENCE-FACTS: 22.4 GFLOPs for 12 layers).
        let stack = TxStack::bert(12, 768, 12, 3072);
        let mut ops = Vec::new();
        stack.ops(1.0, (128.0, 128.0), None, true, &mut ops);
        let matmul: f64 = ops
            .iter()
            .filter(|o| matches!(o.class, OpClass::Gemm | OpClass::Attention))
            .map(|o| o.flops * o.repeat)
            .sum();
        let closed = 12.0
            * (2.0 * 128.0 * (4.0 * 768.0f64.powi(2) + 2.0 * 768.0 * 3072.0)
                + 4.0 * 128.0f64.powi(2) * 768.0);
        assert!((matmul - closed).abs() < 1.0, "{matmul} vs {closed}");
    }

    #[test]
    fn resnet50_macs_match_torchvision() {
        // torchvision resnet50 weights meta: 4.089 GMACs at 224², 25,557,032 parameters.
        let net = Cnn::build(CnnFamily::ResNet50, 1.0, 224);
        let gemm: f64 =
            net.ops.iter().filter(|o| o.class == OpClass::Gemm).map(|o| o.flops * o.repeat).sum();
        assert!((gemm / 2e9 - 4.089).abs() < 0.02, "{} GMACs", gemm / 2e9);
        assert_eq!(net.params, 25_557_032.0);
    }

    #[test]
    fn a_convolutions_input_positions_per_output_are_its_stride_squared() {
        // ResNet-50 v1.5 at batch 2: thirteen 3×3 convolutions at stride 1, three at stride 2 (the first of
        // stages 2-4), the 7×7 stem at stride 2; no matrix product has a window.
        let net = Cnn::build(CnnFamily::ResNet50, 2.0, 224);
        let count = |window: f64, ratio: f64| -> f64 {
            net.ops
                .iter()
                .filter(|o| o.window == window && (o.input_per_output() - ratio).abs() < 1e-9)
                .map(|o| o.repeat)
                .sum()
        };
        assert_eq!(count(9.0, 1.0), 13.0);
        assert_eq!(count(9.0, 4.0), 3.0);
        assert_eq!(count(49.0, 4.0), 1.0);
        let windowless: Vec<&Op> = net.ops.iter().filter(|o| o.window == 0.0).collect();
        assert!(!windowless.is_empty());
        assert!(windowless.iter().all(|o| o.input_per_output() == 0.0));
    }

    #[test]
    fn yolov5_parameters_and_flops_match_ultralytics() {
        // Fused parameter counts as YOLOv5 v7.0 prints them ("Fusing layers... YOLOv5n summary: 213 layers,
        // 1867405 parameters"; s 7225885 in its tutorial.ipynb; m, l, x as printed by the same summary), and
        // the README's FLOPs at 640 (B): 4.5, 16.5, 49.0, 109.1, 205.7 (thop, two per multiply-add, rounded;
        // the fused summary prints 16.4 for s).
        for (family, params, gflops) in [
            (CnnFamily::YoloV5n, 1_867_405.0, 4.5),
            (CnnFamily::YoloV5s, 7_225_885.0, 16.5),
            (CnnFamily::YoloV5m, 21_172_173.0, 49.0),
            (CnnFamily::YoloV5l, 46_533_693.0, 109.1),
            (CnnFamily::YoloV5x, 86_705_005.0, 205.7),
        ] {
            let net = Cnn::build(family, 1.0, 640);
            assert_eq!(net.params, params, "{family:?}");
            let gemm: f64 = net
                .ops
                .iter()
                .filter(|o| o.class == OpClass::Gemm)
                .map(|o| o.flops * o.repeat)
                .sum();
            assert!((gemm / 1e9 - gflops).abs() < 0.1 + 0.005 * gflops, "{family:?}: {gemm}");
            assert_eq!(family.default_image(), 640);
        }
    }

    #[test]
    fn yolov5_kernels_per_forward_pass() {
        // YOLOv5s: 57 fused convolutions with their SiLU (114 kernels), 3 Detect convolutions, 7 residual adds
        // (bottlenecks 1 + 2 + 3 + 1 in the backbone), 13 concatenations (8 C3, SPPF, 4 in the head), 3 max
        // pools, 2 upsamplings, per Detect level 9 more kernels (copy, sigmoid, 6 box kernels, concatenation)
        // and the final concatenation: 170.
        let net = Cnn::build(CnnFamily::YoloV5s, 1.0, 640);
        let kernels: f64 = net.ops.iter().map(|o| o.repeat).sum();
        assert_eq!(kernels, 114.0 + 3.0 + 7.0 + 13.0 + 3.0 + 2.0 + 27.0 + 1.0);
        // A batch scales the work, not the weights, nor the per-item activation peak.
        let four = Cnn::build(CnnFamily::YoloV5s, 4.0, 640);
        assert_eq!(four.params, net.params);
        let flops = |n: &Cnn| n.ops.iter().map(|o| o.flops * o.repeat).sum::<f64>();
        assert!((flops(&four) / flops(&net) - 4.0).abs() < 1e-9);
        assert_eq!(four.peak_act_elems, net.peak_act_elems);
        // A side that is no multiple of 32 is rounded up, as YOLOv5 does: 630 runs as 640.
        assert_eq!(Cnn::build(CnnFamily::YoloV5s, 1.0, 630), net);
    }

    #[test]
    fn batch_scales_rows_not_weights() {
        let one = Cnn::build(CnnFamily::MobileNetV2, 1.0, 224);
        let four = Cnn::build(CnnFamily::MobileNetV2, 4.0, 224);
        let flops = |n: &Cnn| n.ops.iter().map(|o| o.flops * o.repeat).sum::<f64>();
        assert!((flops(&four) / flops(&one) - 4.0).abs() < 1e-9);
        assert_eq!(one.params, four.params);
    }
}
