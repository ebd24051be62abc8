//! A model described operator by operator (the `graph` field of a model entry) and the result of describing
//! an ONNX file (`mmperf describe`, `describeOnnx`), as JSON.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::arch::{Activation, Op, OpClass};
use crate::catalog::models::OpGraph;
use crate::catalog::ModelType;
use crate::error::{Error, Result};
use crate::onnx::{Description, DimSource};

use super::{lenient, ModelEntryDto};

/// One operator of a described graph.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "GraphOp"))]
pub struct OpDto {
    /// `gemm`, `attention`, `epilogue`, `norm`, `gather`, `pool` or `depthwise`.
    #[cfg_attr(test, ts(type = "OpClass"))]
    pub class: String,
    /// Independent problems (GEMM batches, attention heads × items).
    #[serde(default = "one", deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub batches: f64,
    /// GEMM rows / attention queries.
    #[serde(default, deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub m: f64,
    /// GEMM columns / attention keys.
    #[serde(default, deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub n: f64,
    /// GEMM reduction / attention head size.
    #[serde(default, deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub k: f64,
    /// Floating-point operations (a multiply-add counts 2).
    #[serde(deserialize_with = "lenient::number")]
    pub flops: f64,
    /// Activation elements read plus written.
    #[serde(alias = "actElems", deserialize_with = "lenient::number")]
    pub act_elems: f64,
    /// Weight elements read.
    #[serde(alias = "weightElems", default, deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub weight_elems: f64,
    /// Elements written.
    #[serde(alias = "outElems", default, deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub out_elems: f64,
    /// Identical copies run one after another.
    #[serde(default = "one", deserialize_with = "lenient::number")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub repeat: f64,
    /// An element-wise operator's activation function where it needs an exponential or an error function:
    /// `sigmoid` (SiLU, QuickGELU, sigmoid) or `gelu`; absent (or `none`) for any other operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "\"none\" | \"sigmoid\" | \"gelu\"", optional))]
    pub activation: Option<String>,
    /// An attention's element-wise kernels over its scores between their product and the softmax (the scale,
    /// a mask, a cast), each its own kernel where the runtime runs attention unfused; 1 (a scale) when absent.
    #[serde(alias = "scoreKernels", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "number", optional))]
    pub score_kernels: Option<f64>,
}

fn one() -> f64 {
    1.0
}

/// A model's operators at `items` items (what `describe` writes into a model entry).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "OpGraph"))]
pub struct GraphDto {
    /// Items (batch) the operators were described at.
    #[serde(deserialize_with = "lenient::number")]
    pub items: f64,
    /// Parameters.
    #[serde(deserialize_with = "lenient::number")]
    pub params: f64,
    /// The operators.
    pub ops: Vec<OpDto>,
}

impl From<&Op> for OpDto {
    fn from(op: &Op) -> Self {
        OpDto {
            class: op.class.name().to_string(),
            batches: op.batches,
            m: op.m,
            n: op.n,
            k: op.k,
            flops: op.flops,
            act_elems: op.act_elems,
            weight_elems: op.weight_elems,
            out_elems: op.out_elems,
            repeat: op.repeat,
            activation: match op.activation {
                Activation::None => None,
                a => Some(a.name().to_string()),
            },
            score_kernels: (op.class == OpClass::Attention).then_some(op.score_kernels),
        }
    }
}

impl GraphDto {
    /// The graph of `g`.
    pub fn of(g: &OpGraph) -> Self {
        GraphDto {
            items: f64::from(g.items),
            params: g.params,
            ops: g.ops.iter().map(OpDto::from).collect(),
        }
    }

    /// Validates the graph found at `field` (e.g. `models[0].graph`); `model_type` is the entry's.
    pub fn into_graph(self, field: &str, model_type: Option<ModelType>) -> Result<Arc<OpGraph>> {
        let f = |k: &str| format!("{field}.{k}");
        let items = self.items;
        if !(items.is_finite() && items.fract() == 0.0 && (1.0..=65_536.0).contains(&items)) {
            return Err(Error::invalid(f("items"), items, "an integer from 1 to 65536"));
        }
        if !(self.params.is_finite() && self.params >= 0.0 && self.params <= 1e13) {
            return Err(Error::invalid(
                f("params"),
                self.params,
                "a number of parameters from 0 to 1e13",
            ));
        }
        if self.ops.is_empty() {
            return Err(Error::missing(
                f("ops"),
                "at least one operator (describe the model's ONNX file: mmperf describe model.onnx)",
            ));
        }
        let ops = self
            .ops
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.into_op(&f(&format!("ops[{i}]"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(OpGraph {
            items: items as u32,
            params: self.params,
            model_type: model_type.unwrap_or(ModelType::TextEmbedding),
            ops,
        }))
    }
}

impl OpDto {
    fn into_op(self, field: &str) -> Result<Op> {
        let class = OpClass::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(self.class.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    format!("{field}.class"),
                    &self.class,
                    "one of gemm, attention, epilogue, norm, gather, pool, depthwise",
                )
            })?;
        for (name, v) in [
            ("batches", self.batches),
            ("m", self.m),
            ("n", self.n),
            ("k", self.k),
            ("flops", self.flops),
            ("act_elems", self.act_elems),
            ("weight_elems", self.weight_elems),
            ("out_elems", self.out_elems),
        ] {
            if !(v.is_finite() && (0.0..=1e18).contains(&v)) {
                return Err(Error::invalid(
                    format!("{field}.{name}"),
                    v,
                    "a finite number from 0 to 1e18",
                ));
            }
        }
        if !(self.repeat.is_finite() && (1.0..=1e9).contains(&self.repeat)) {
            return Err(Error::invalid(
                format!("{field}.repeat"),
                self.repeat,
                "a number from 1 to 1e9",
            ));
        }
        let score_kernels = self.score_kernels.unwrap_or(1.0);
        if !(score_kernels.is_finite() && (0.0..=16.0).contains(&score_kernels)) {
            return Err(Error::invalid(
                format!("{field}.score_kernels"),
                score_kernels,
                "a number of element-wise kernels from 0 to 16",
            ));
        }
        let activation = match self.activation.as_deref() {
            None => Activation::None,
            Some(a) => Activation::parse(a).ok_or_else(|| {
                Error::invalid(format!("{field}.activation"), a, "none, sigmoid or gelu")
            })?,
        };
        if matches!(class, OpClass::Gemm | OpClass::Attention)
            && (self.batches < 1.0 || self.m <= 0.0 || self.n <= 0.0 || self.k <= 0.0)
        {
            return Err(Error::invalid(
                field.to_string(),
                format!("batches {} m {} n {} k {}", self.batches, self.m, self.n, self.k),
                "a GEMM or attention with batches ≥ 1 and m, n, k > 0",
            ));
        }
        Ok(Op {
            class,
            batches: self.batches,
            m: self.m,
            n: self.n,
            k: self.k,
            flops: self.flops,
            act_elems: self.act_elems,
            weight_elems: self.weight_elems,
            out_elems: self.out_elems,
            repeat: self.repeat,
            // The described graph keeps no convolution windows: its GEMMs count as matrix products.
            window: 0.0,
            convolution: false,
            skip_norm: false,
            activation,
            softmax: false,
            score_kernels: if class == OpClass::Attention { score_kernels } else { 0.0 },
            prompt_rows: 0.0,
            joined: 0.0,
        })
    }
}

/// One input of the described graph with the shape it was described at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "GraphInput"))]
pub struct GraphInputDto {
    /// Input name.
    pub name: String,
    /// Element type (`float32`, `int64`, …).
    pub dtype: String,
    /// Shape used.
    pub shape: Vec<i64>,
}

/// A dynamic dimension and the value it was given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "GraphDim"))]
pub struct DimDto {
    /// The graph's name for it (`batch_size`, `sequence_length`, …).
    pub name: String,
    /// The value used.
    pub value: i64,
    /// Where the value came from: `given` (the options' dims), `entry` (the entry's batch, sequence length or
    /// image size), `default`.
    #[cfg_attr(test, ts(type = "\"given\" | \"entry\" | \"default\""))]
    pub source: String,
}

/// What describing an ONNX file found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "OnnxDescription"))]
pub struct DescriptionDto {
    /// A model entry holding the graph: drop it into a workload's `models`.
    #[cfg_attr(test, ts(type = "ModelEntry & { model_name: string, graph: OpGraph }"))]
    pub entry: ModelEntryDto,
    /// The program that wrote the file (`pytorch 2.5.0`, …).
    pub producer: String,
    /// Default-domain operator set version.
    pub opset: i64,
    /// Graph inputs with the shapes used.
    pub inputs: Vec<GraphInputDto>,
    /// Dynamic dimensions and the values they were given.
    pub dims: Vec<DimDto>,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Nodes per operator type (`domain:Op` outside the default domain).
    pub op_types: crate::flatmap::FlatMap<String, usize>,
    /// Parameters.
    pub params: f64,
    /// Bytes of weights as stored.
    pub weight_bytes: f64,
    /// Floating-point operations of one run at the described items, GFLOP.
    pub gflops: f64,
    /// Operators after merging identical ones.
    pub ops: usize,
    /// What was assumed or left out.
    pub warnings: Vec<String>,
}

impl From<&Description> for DescriptionDto {
    fn from(d: &Description) -> Self {
        let g = &d.graph;
        DescriptionDto {
            entry: ModelEntryDto {
                model_name: Some(d.name.clone()),
                model_type: Some(g.model_type.name().to_string()),
                batch_size: Some(f64::from(g.items)),
                precision: Some(d.precision.name().to_string()),
                graph: Some(GraphDto::of(g)),
                ..ModelEntryDto::default()
            },
            producer: d.producer.clone(),
            opset: d.opset,
            inputs: d
                .inputs
                .iter()
                .map(|i| GraphInputDto {
                    name: i.name.clone(),
                    dtype: i.dtype.to_string(),
                    shape: i.shape.clone(),
                })
                .collect(),
            dims: d
                .dims
                .iter()
                .map(|(name, value, source)| DimDto {
                    name: name.clone(),
                    value: *value,
                    source: match source {
                        DimSource::Given => "given",
                        DimSource::Entry => "entry",
                        DimSource::Default => "default",
                    }
                    .to_string(),
                })
                .collect(),
            nodes: d.nodes,
            op_types: d.op_types.clone(),
            params: g.params,
            weight_bytes: d.weight_bytes,
            gflops: g.ops.iter().map(|o| o.flops * o.repeat).sum::<f64>() / 1e9,
            ops: g.ops.len(),
            warnings: d.warnings.clone(),
        }
    }
}

/// Options of `describeOnnx(bytes, options)`, as written in JS (camelCase, snake_case accepted).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "DescribeOnnxOptions", optional_fields))]
pub struct DescribeOptionsDto {
    /// Name of the model entry (default "onnx-model").
    pub name: Option<String>,
    /// Dynamic dimensions by their name in the graph.
    #[serde(default)]
    #[cfg_attr(test, ts(type = "Record<string, number>", optional))]
    pub dims: crate::flatmap::FlatMap<String, f64>,
    /// Binds dimensions named like a batch (default 1).
    #[serde(alias = "batch_size")]
    pub batch_size: Option<f64>,
    /// Binds dimensions named like a sequence length (default 128).
    #[serde(alias = "sequence_length")]
    pub sequence_length: Option<f64>,
    /// Binds dimensions named like a height or width (default 224).
    #[serde(alias = "image_size")]
    pub image_size: Option<f64>,
    /// `text_embedding`, `text_generation`, `vision`, `audio` or `multimodal`.
    #[serde(alias = "model_type")]
    #[cfg_attr(test, ts(type = "ModelType", optional))]
    pub model_type: Option<String>,
}

/// Validated: every dimension a whole size ≥ 0 (`dims.NAME`), the sizes whole numbers from 1 to 2^20
/// (`batchSize`, `sequenceLength`, `imageSize`), a known `modelType`.
impl TryFrom<DescribeOptionsDto> for crate::onnx::Options {
    type Error = Error;

    fn try_from(o: DescribeOptionsDto) -> Result<Self> {
        let mut dims = crate::flatmap::FlatMap::new();
        for (k, v) in o.dims {
            if !(v.is_finite() && v.fract() == 0.0 && v >= 0.0) {
                return Err(Error::invalid(format!("dims.{k}"), v, "an integer size ≥ 0"));
            }
            dims.insert(k, v as i64);
        }
        Ok(crate::onnx::Options {
            name: o.name,
            dims,
            batch_size: super::count("batchSize", o.batch_size, 1.0, 1_048_576.0)?,
            sequence_length: super::count("sequenceLength", o.sequence_length, 1.0, 1_048_576.0)?,
            image_size: super::count("imageSize", o.image_size, 1.0, 1_048_576.0)?,
            model_type: o
                .model_type
                .as_deref()
                .map(|t| ModelType::parse("modelType", t))
                .transpose()?,
        })
    }
}
