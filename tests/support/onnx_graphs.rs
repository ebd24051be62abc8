//! ONNX graphs built in the tests (no download, no exporter): a BERT-style encoder laid out node for node as
//! PyTorch's exporter writes BERT (embeddings, per-layer Q/K/V projections with bias adds, head reshapes and
//! transposes, scaled and masked softmax attention, erf GELU in five nodes, LayerNorm), and a small CNN.
//! Weights are declared with their shapes and stored outside the file (`data_location` EXTERNAL), which is
//! all that describing a graph reads.
#![allow(dead_code)] // each test binary uses part of these helpers

use multimodel_perf::onnx::proto::*;
use prost::Message;

/// Accumulates nodes, weights, inputs and outputs.
#[derive(Default)]
pub struct Builder {
    /// Store weights in the file (seeded values, so a runtime can run the graph) instead of
    /// declaring them external.
    pub inline: bool,
    pub seed: u32,
    pub nodes: Vec<NodeProto>,
    pub inits: Vec<TensorProto>,
    pub inputs: Vec<ValueInfoProto>,
    pub outputs: Vec<ValueInfoProto>,
    pub value_info: Vec<ValueInfoProto>,
    pub next: usize,
}

/// An integer attribute.
pub fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), i, r#type: 2, ..Default::default() }
}

/// An integer-list attribute.
pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), ints: v.to_vec(), r#type: 7, ..Default::default() }
}

/// A tensor type with fixed or named dimensions (`"batch"` style names bind from options).
pub fn value_info(name: &str, elem: i32, dims: &[&str]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: elem,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| Dimension {
                            value: Some(match d.parse::<i64>() {
                                Ok(v) => DimValue::DimValue(v),
                                Err(_) => DimValue::DimParam((*d).into()),
                            }),
                        })
                        .collect(),
                }),
            }),
        }),
    }
}

impl Builder {
    /// A fresh value name.
    pub fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }

    /// Adds a node; returns its first output.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let out = self.fresh(op);
        self.node_out(op, inputs, &[&out], attrs);
        out
    }

    /// Adds a node with named outputs.
    pub fn node_out(
        &mut self,
        op: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            name: format!("/{op}_{}", self.nodes.len()),
            op_type: op.into(),
            attribute: attrs,
            domain: String::new(),
        });
    }

    /// A float32 weight of this shape, stored outside the file (or in it, `inline`, in ±0.05).
    pub fn weight(&mut self, hint: &str, dims: &[i64]) -> String {
        self.weight_in(hint, dims, -0.05, 0.05)
    }

    /// A float32 weight whose inline values lie in `lo..hi` (a batch norm's variance must be positive).
    pub fn weight_in(&mut self, hint: &str, dims: &[i64], lo: f32, hi: f32) -> String {
        let name = self.fresh(hint);
        let mut t = TensorProto {
            dims: dims.to_vec(),
            data_type: dtype::FLOAT,
            name: name.clone(),
            ..Default::default()
        };
        if self.inline {
            let n: i64 = dims.iter().product();
            let mut raw = Vec::with_capacity(4 * n as usize);
            for _ in 0..n {
                // A linear congruential generator: the same file on every run.
                self.seed = self.seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let x = (self.seed >> 8) as f32 / (1u32 << 24) as f32;
                raw.extend_from_slice(&(lo + (hi - lo) * x).to_le_bytes());
            }
            t.raw_data = raw.into();
        } else {
            t.external_data = vec![StringStringEntryProto {
                key: "location".into(),
                value: "weights.bin".into(),
            }];
            t.data_location = 1;
        }
        self.inits.push(t);
        name
    }

    /// A weight of element type `data_type` (int8, uint8 packed 4-bit, ...), stored outside the file.
    pub fn typed_weight(&mut self, hint: &str, dims: &[i64], data_type: i32) -> String {
        let name = self.fresh(hint);
        self.inits.push(TensorProto {
            dims: dims.to_vec(),
            data_type,
            name: name.clone(),
            external_data: vec![StringStringEntryProto {
                key: "location".into(),
                value: "weights.bin".into(),
            }],
            data_location: 1,
            ..Default::default()
        });
        name
    }

    /// Adds a node of another domain (`com.microsoft` contrib operators).
    pub fn node_in(
        &mut self,
        domain: &str,
        op: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> String {
        let out = self.node(op, inputs, attrs);
        if let Some(n) = self.nodes.last_mut() {
            n.domain = domain.into();
        }
        out
    }

    /// An int64 constant vector (shapes, axes) as an initializer.
    pub fn ints_init(&mut self, hint: &str, v: &[i64]) -> String {
        let name = self.fresh(hint);
        self.inits.push(TensorProto {
            dims: vec![v.len() as i64],
            data_type: dtype::INT64,
            int64_data: v.to_vec(),
            name: name.clone(),
            ..Default::default()
        });
        name
    }

    /// A float scalar as a `Constant` node.
    pub fn scalar(&mut self, x: f32) -> String {
        let out = self.fresh("const");
        self.nodes.push(NodeProto {
            output: vec![out.clone()],
            op_type: "Constant".into(),
            attribute: vec![AttributeProto {
                name: "value".into(),
                t: Some(TensorProto {
                    data_type: dtype::FLOAT,
                    float_data: vec![x],
                    ..Default::default()
                }),
                r#type: 4,
                ..Default::default()
            }],
            ..Default::default()
        });
        out
    }

    /// `x · W + b` with W of `k × n`.
    pub fn linear(&mut self, x: &str, k: i64, n: i64) -> String {
        let w = self.weight("w", &[k, n]);
        let b = self.weight("b", &[n]);
        let y = self.node("MatMul", &[x, &w], vec![]);
        self.node("Add", &[&b, &y], vec![])
    }

    /// LayerNormalization over the last axis with weight and bias.
    pub fn layer_norm(&mut self, x: &str, d: i64) -> String {
        let g = self.weight("ln_w", &[d]);
        let b = self.weight("ln_b", &[d]);
        self.node("LayerNormalization", &[x, &g, &b], vec![int("axis", -1)])
    }

    /// The file's bytes.
    pub fn encode(self, opset: i64) -> Vec<u8> {
        ModelProto {
            ir_version: 8,
            producer_name: "multimodel-perf tests".into(),
            producer_version: "1".into(),
            graph: Some(GraphProto {
                node: self.nodes,
                name: "test".into(),
                initializer: self.inits,
                input: self.inputs,
                output: self.outputs,
                value_info: self.value_info,
            }),
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        }
        .encode_to_vec()
    }
}

/// A BERT-style encoder as PyTorch exports BertModel: `layers` layers of width `d` with `heads` heads and FFN
/// `ff`, vocabulary `vocab`, `positions` learned positions, 2 token types and a tanh pooler. With
/// `dynamic_reshape` the head reshapes are computed at run time from `Shape` (as in a graph exported with
/// dynamic axes); `fused_qkv` projects Q, K and V with one `d × 3d` GEMM and a `Split` (as the catalog models
/// it and ONNX Runtime's attention fusion runs it) instead of three GEMMs (as BertModel has them).
#[derive(Clone, Copy)]
pub struct Bert {
    pub layers: usize,
    pub d: i64,
    pub heads: i64,
    pub ff: i64,
    pub vocab: i64,
    pub positions: i64,
    pub dynamic_reshape: bool,
    pub fused_qkv: bool,
}

impl Bert {
    /// BERT-base's sizes (12 layers, 768 wide, 12 heads, FFN 3072, 30,522 tokens, 512 positions).
    pub const BASE: Bert = Bert {
        layers: 12,
        d: 768,
        heads: 12,
        ff: 3072,
        vocab: 30522,
        positions: 512,
        dynamic_reshape: false,
        fused_qkv: false,
    };

    /// The file, with inputs `input_ids` and `attention_mask` of shape (`batch`, `seq`) (names or sizes),
    /// weights external.
    pub fn encode(&self, batch: &str, seq: &str) -> Vec<u8> {
        self.encode_into(Builder::default(), batch, seq)
    }

    /// The file built in `g` (e.g. a builder with `inline` weights).
    pub fn encode_into(&self, mut g: Builder, batch: &str, seq: &str) -> Vec<u8> {
        let Bert { layers, d, heads, ff, vocab, positions, dynamic_reshape, fused_qkv } = *self;
        g.inputs.push(value_info("input_ids", dtype::INT64, &[batch, seq]));
        g.inputs.push(value_info("attention_mask", dtype::INT64, &[batch, seq]));
        let dh = d / heads;
        // Embeddings: word + position + token type, then LayerNorm.
        let word = g.weight("word_embeddings", &[vocab, d]);
        let pos = g.weight("position_embeddings", &[positions, d]);
        let types = g.weight("token_type_embeddings", &[2, d]);
        let we = g.node("Gather", &[&word, "input_ids"], vec![]);
        let shape = g.node("Shape", &["input_ids"], vec![]);
        let one = g.ints_init("one", &[1]);
        let two = g.ints_init("two", &[2]);
        let zero_i = g.ints_init("zero", &[0]);
        let seq_len = g.node("Slice", &[&shape, &one, &two], vec![]);
        let start = g.ints_init("start", &[0]);
        let step = g.ints_init("step", &[1]);
        let seq_scalar = g.node("Squeeze", &[&seq_len, &zero_i], vec![]);
        let start_s = g.node("Squeeze", &[&start, &zero_i], vec![]);
        let step_s = g.node("Squeeze", &[&step, &zero_i], vec![]);
        let ids = g.node("Range", &[&start_s, &seq_scalar, &step_s], vec![]);
        let pe = g.node("Gather", &[&pos, &ids], vec![]);
        let zeros = g.node("ConstantOfShape", &[&shape], vec![]);
        let zeros_i = g.node("Cast", &[&zeros], vec![int("to", i64::from(dtype::INT64))]);
        let te = g.node("Gather", &[&types, &zeros_i], vec![]);
        let s1 = g.node("Add", &[&we, &te], vec![]);
        let s2 = g.node("Add", &[&s1, &pe], vec![]);
        let mut h = g.layer_norm(&s2, d);
        // Extended mask: (1 - mask) * -10000, shape (batch, 1, 1, seq).
        let axes12 = g.ints_init("axes", &[1, 2]);
        let m4 = g.node("Unsqueeze", &["attention_mask", &axes12], vec![]);
        let mf = g.node("Cast", &[&m4], vec![int("to", i64::from(dtype::FLOAT))]);
        let onef = g.scalar(1.0);
        let inv = g.node("Sub", &[&onef, &mf], vec![]);
        let big = g.scalar(-10000.0);
        let mask = g.node("Mul", &[&inv, &big], vec![]);
        let scale = g.scalar((dh as f32).sqrt());
        let heads_shape = if dynamic_reshape {
            String::new()
        } else {
            g.ints_init("heads_shape", &[0, 0, heads, dh])
        };
        let merged_shape = g.ints_init("merged_shape", &[0, 0, d]);
        for _ in 0..layers {
            let split = |g: &mut Builder, x: &str| {
                let target = if dynamic_reshape {
                    // (batch, seq) from Shape, then the heads: Concat(Shape(x)[0:2], [heads, dh]).
                    let sx = g.node("Shape", &[x], vec![]);
                    let lead = g.node("Slice", &[&sx, &zero_i, &two], vec![]);
                    let tail = g.ints_init("tail", &[heads, dh]);
                    g.node("Concat", &[&lead, &tail], vec![int("axis", 0)])
                } else {
                    heads_shape.clone()
                };
                let r = g.node("Reshape", &[x, &target], vec![]);
                g.node("Transpose", &[&r], vec![ints("perm", &[0, 2, 1, 3])])
            };
            let (q, k, v) = if fused_qkv {
                let qkv = g.linear(&h, d, 3 * d);
                let sizes = g.ints_init("qkv_split", &[d, d, d]);
                let names = [g.fresh("q"), g.fresh("k"), g.fresh("v")];
                let outs: Vec<&str> = names.iter().map(String::as_str).collect();
                g.node_out("Split", &[&qkv, &sizes], &outs, vec![int("axis", -1)]);
                let [q, k, v] = names;
                (q, k, v)
            } else {
                (g.linear(&h, d, d), g.linear(&h, d, d), g.linear(&h, d, d))
            };
            let (q, k, v) = (split(&mut g, &q), split(&mut g, &k), split(&mut g, &v));
            let kt = g.node("Transpose", &[&k], vec![ints("perm", &[0, 1, 3, 2])]);
            let scores = g.node("MatMul", &[&q, &kt], vec![]);
            let scaled = g.node("Div", &[&scores, &scale], vec![]);
            let masked = g.node("Add", &[&scaled, &mask], vec![]);
            let probs = g.node("Softmax", &[&masked], vec![int("axis", -1)]);
            let ctx = g.node("MatMul", &[&probs, &v], vec![]);
            let ctx_t = g.node("Transpose", &[&ctx], vec![ints("perm", &[0, 2, 1, 3])]);
            let ctx_m = g.node("Reshape", &[&ctx_t, &merged_shape], vec![]);
            let o = g.linear(&ctx_m, d, d);
            let r1 = g.node("Add", &[&o, &h], vec![]);
            let h1 = g.layer_norm(&r1, d);
            let up = g.linear(&h1, d, ff);
            // GELU(x) = x · 0.5 · (1 + erf(x / √2)), five nodes as exported.
            let sqrt2 = g.scalar(std::f32::consts::SQRT_2);
            let half = g.scalar(0.5);
            let one_b = g.scalar(1.0);
            let a = g.node("Div", &[&up, &sqrt2], vec![]);
            let e = g.node("Erf", &[&a], vec![]);
            let p1 = g.node("Add", &[&e, &one_b], vec![]);
            let m1 = g.node("Mul", &[&up, &p1], vec![]);
            let gelu = g.node("Mul", &[&m1, &half], vec![]);
            let down = g.linear(&gelu, ff, d);
            let r2 = g.node("Add", &[&down, &h1], vec![]);
            h = g.layer_norm(&r2, d);
        }
        g.node_out("Identity", &[&h], &["last_hidden_state"], vec![]);
        g.outputs.push(value_info(
            "last_hidden_state",
            dtype::FLOAT,
            &[batch, seq, &d.to_string()],
        ));
        // Pooler: first token, dense, tanh.
        let first = g.node("Gather", &[&h, &zero_i], vec![int("axis", 1)]);
        let first2 = g.node("Squeeze", &[&first, &one], vec![]);
        let pw = g.weight("pooler_w", &[d, d]);
        let pb = g.weight("pooler_b", &[d]);
        let pooled = g.node("Gemm", &[&first2, &pw, &pb], vec![]);
        g.node_out("Tanh", &[&pooled], &["pooler_output"], vec![]);
        g.outputs.push(value_info("pooler_output", dtype::FLOAT, &[batch, &d.to_string()]));
        g.encode(17)
    }
}

/// A small CNN on (`batch`, 3, 32, 32): conv 3→16 k3 s2 p1 + BN + ReLU, depthwise 3×3 (16 groups) + ReLU,
/// pointwise 16→32, global average pool, flatten, a 32→10 classifier.
pub fn small_cnn(batch: &str) -> Vec<u8> {
    small_cnn_into(Builder::default(), batch)
}

/// [`small_cnn`] into `g`.
pub fn small_cnn_into(mut g: Builder, batch: &str) -> Vec<u8> {
    g.inputs.push(value_info("pixels", dtype::FLOAT, &[batch, "3", "32", "32"]));
    let w1 = g.weight("conv1", &[16, 3, 3, 3]);
    let c1 = g.node(
        "Conv",
        &["pixels", &w1],
        vec![ints("strides", &[2, 2]), ints("pads", &[1, 1, 1, 1]), ints("kernel_shape", &[3, 3])],
    );
    let (s, b, m, v) = (
        g.weight("bn_s", &[16]),
        g.weight("bn_b", &[16]),
        g.weight("bn_m", &[16]),
        g.weight_in("bn_v", &[16], 0.5, 1.5),
    );
    let bn = g.node("BatchNormalization", &[&c1, &s, &b, &m, &v], vec![]);
    let r1 = g.node("Relu", &[&bn], vec![]);
    let wd = g.weight("dw", &[16, 1, 3, 3]);
    let dw = g.node("Conv", &[&r1, &wd], vec![int("group", 16), ints("pads", &[1, 1, 1, 1])]);
    let r2 = g.node("Relu", &[&dw], vec![]);
    let wp = g.weight("pw", &[32, 16, 1, 1]);
    let bp = g.weight("pw_b", &[32]);
    let pw = g.node("Conv", &[&r2, &wp, &bp], vec![]);
    let gap = g.node("GlobalAveragePool", &[&pw], vec![]);
    let flat = g.node("Flatten", &[&gap], vec![int("axis", 1)]);
    let fw = g.weight("fc", &[10, 32]);
    let fb = g.weight("fc_b", &[10]);
    g.node_out("Gemm", &[&flat, &fw, &fb], &["logits"], vec![int("transB", 1)]);
    g.outputs.push(value_info("logits", dtype::FLOAT, &[batch, "10"]));
    g.encode(17)
}

/// One element-wise value read by `k` element-wise nodes: `r = Relu(x)`, then `k` times `a = Mul(r, a)`,
/// `x` of shape (1, 64). All `k + 1` nodes are one element-wise group.
pub fn fan_out(k: usize) -> Vec<u8> {
    let mut g = Builder::default();
    g.inputs.push(value_info("x", dtype::FLOAT, &["1", "64"]));
    let r = g.node("Relu", &["x"], vec![]);
    let mut a = r.clone();
    for _ in 0..k {
        a = g.node("Mul", &[&r, &a], vec![]);
    }
    g.outputs.push(value_info(&a, dtype::FLOAT, &["1", "64"]));
    g.encode(17)
}

/// `k` matrix products of one input `x` (1 × 64) by 64 × 64 weights, summed by a chain of `k − 1` `Add`s:
/// one element-wise group that reads the `k` products.
pub fn fan_in(k: usize) -> Vec<u8> {
    let mut g = Builder::default();
    g.inputs.push(value_info("x", dtype::FLOAT, &["1", "64"]));
    let mut sum = String::new();
    for i in 0..k {
        let w = g.weight("w", &[64, 64]);
        let y = g.node("MatMul", &["x", &w], vec![]);
        sum = if i == 0 { y } else { g.node("Add", &[&sum, &y], vec![]) };
    }
    g.outputs.push(value_info(&sum, dtype::FLOAT, &["1", "64"]));
    g.encode(17)
}
