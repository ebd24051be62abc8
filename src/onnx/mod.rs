//! A model's own ONNX graph as the predictor's per-operator description: `mmperf describe model.onnx` and
//! `describeOnnx(bytes)` read the file (with `prost`, [`proto`]), bind its dynamic dimensions (batch,
//! sequence length, image size) from the options, work out every value's shape ([`infer`]), and turn the
//! nodes into the operators the predictor costs for catalog models ([`lower`]). The result goes into a model
//! entry as its `graph`, so the prediction is made from the real graph instead of a parameter count.
//!
//! Platform-free: bytes in, description out.

pub mod infer;
pub mod lower;
pub mod proto;

use crate::flatmap::{FlatMap, LookupMap};

use prost::Message;

use crate::catalog::models::OpGraph;
use crate::catalog::{ModelType, Precision};
use crate::error::{Error, Result};

use infer::{Kind, Value};
use proto::{dtype, DimValue, ModelProto, ValueInfoProto};

/// How to bind the graph's dynamic dimensions, and what to call the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Name for the model entry (default `onnx-model`).
    pub name: Option<String>,
    /// Values of named dynamic dimensions (`dim_param`), which win over everything else.
    pub dims: FlatMap<String, i64>,
    /// Items per run: binds dimensions named like a batch.
    pub batch_size: Option<u32>,
    /// Tokens per item: binds dimensions named like a sequence length.
    pub sequence_length: Option<u32>,
    /// Image side: binds dimensions named like a height or width.
    pub image_size: Option<u32>,
    /// Model type (guessed from the inputs when absent).
    pub model_type: Option<ModelType>,
}

/// Where a dynamic dimension's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimSource {
    /// [`Options::dims`].
    Given,
    /// The batch size, sequence length or image size of the options.
    Entry,
    /// The default for its kind: a model outside the catalog's input (`predict::spec::default_input`:
    /// batch 1, sequence 128, image 224), past length 0.
    Default,
}

/// One graph input with the shape used.
#[derive(Debug, Clone, PartialEq)]
pub struct InputInfo {
    /// Name.
    pub name: String,
    /// Element type name.
    pub dtype: &'static str,
    /// Shape used.
    pub shape: Vec<i64>,
}

/// What [`describe`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Name for the model entry.
    pub name: String,
    /// The operators, parameters and items.
    pub graph: OpGraph,
    /// Weight precision (the one most parameters are stored in).
    pub precision: Precision,
    /// `producer_name producer_version`.
    pub producer: String,
    /// Default-domain opset.
    pub opset: i64,
    /// Graph inputs.
    pub inputs: Vec<InputInfo>,
    /// Dynamic dimensions bound.
    pub dims: Vec<(String, i64, DimSource)>,
    /// Node count.
    pub nodes: usize,
    /// Nodes per operator type.
    pub op_types: FlatMap<String, usize>,
    /// Bytes of stored weights.
    pub weight_bytes: f64,
    /// Assumptions made.
    pub warnings: Vec<String>,
}

/// Which entry option a dynamic dimension's name refers to, by the names exporters use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DimRole {
    Batch,
    Past,
    Sequence,
    Image,
}

fn role(name: &str) -> Option<DimRole> {
    let n = name.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| n.contains(x));
    if has(&["past", "cache", "total"]) {
        Some(DimRole::Past)
    } else if has(&["batch"]) || n == "n" || n == "b" {
        Some(DimRole::Batch)
    } else if has(&["seq", "token", "length", "len", "time", "frames"]) {
        Some(DimRole::Sequence)
    } else if has(&["height", "width"]) || n == "h" || n == "w" {
        Some(DimRole::Image)
    } else {
        None
    }
}

struct Binder<'a> {
    opts: &'a Options,
    bound: Vec<(String, i64, DimSource)>,
}

impl Binder<'_> {
    fn bind(&mut self, param: &str, field: &str) -> Result<i64> {
        if let Some((_, v, _)) = self.bound.iter().find(|(n, _, _)| n == param) {
            return Ok(*v);
        }
        let (v, src) = if let Some(&v) = self.opts.dims.get(param) {
            (v, DimSource::Given)
        } else {
            let from = |x: Option<u32>, d: u32| {
                let (v, src) = x.map_or((d, DimSource::Default), |v| (v, DimSource::Entry));
                (i64::from(v), src)
            };
            // Unset sizes default as for any model outside the catalog.
            let d = crate::predict::spec::default_input();
            match role(param) {
                Some(DimRole::Batch) => from(self.opts.batch_size, d.batch),
                Some(DimRole::Sequence) => from(self.opts.sequence_length, d.sequence_length),
                Some(DimRole::Image) => from(self.opts.image_size, d.image_size),
                Some(DimRole::Past) => (0, DimSource::Default),
                None => {
                    return Err(Error::missing(
                        format!("dims.{param}"),
                        format!("a value for the dynamic dimension '{param}' of {field} (--dim {param}=N, or dims: {{ {param}: N }})"),
                    ))
                }
            }
        };
        if !(0..=1 << 40).contains(&v) {
            return Err(Error::invalid(format!("dims.{param}"), v, "a size from 0 to 2^40"));
        }
        self.bound.push((param.to_string(), v, src));
        Ok(v)
    }

    fn shape(&mut self, vi: &ValueInfoProto, field: &str) -> Result<Option<(i32, Vec<i64>)>> {
        let Some(t) = vi.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()) else {
            return Ok(None);
        };
        let Some(shape) = &t.shape else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(shape.dim.len());
        for (i, d) in shape.dim.iter().enumerate() {
            out.push(match &d.value {
                Some(DimValue::DimValue(v)) if *v >= 0 => *v,
                Some(DimValue::DimParam(p)) if !p.is_empty() => self.bind(p, field)?,
                _ => self.bind(&format!("{}_dim{i}", vi.name), field)?,
            });
        }
        Ok(Some((t.elem_type, out)))
    }
}

/// Reads an ONNX file and describes it for the predictor.
pub fn describe(bytes: impl Into<prost::bytes::Bytes>, opts: &Options) -> Result<Description> {
    let model = ModelProto::decode(bytes.into()).map_err(|e| Error::Malformed {
        what: "ONNX file".into(),
        detail: format!("{e} (is this a .onnx model file?)"),
    })?;
    let graph = model.graph.as_ref().ok_or_else(|| Error::Malformed {
        what: "ONNX file".into(),
        detail: "it holds no graph".into(),
    })?;
    if graph.node.is_empty() {
        return Err(Error::Malformed {
            what: "ONNX file".into(),
            detail: "its graph has no nodes".into(),
        });
    }
    let (mut values, weight_bytes) = initializers(graph)?;
    let mut binder = Binder { opts, bound: Vec::new() };
    let inputs = graph_inputs(graph, &mut values, &mut binder)?;
    let walked = walk(graph, &mut values, &mut binder)?;
    let warnings = walked
        .fallbacks
        .iter()
        .map(|(op, n)| {
            format!(
                "{n} {op} node(s): shapes taken from the file's value_info and modelled as memory-bound copies"
            )
        })
        .collect();
    let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
    let flow = lower::Flow::new(&values, &graph.node, &outputs);
    let ops = lower::merge(lower::lower(&flow));
    if ops.is_empty() {
        return Err(Error::Malformed {
            what: "ONNX file".into(),
            detail: "no node of its graph does work on its inputs".into(),
        });
    }
    let (params, precision) = parameters(graph, &values, &walked.nbits);
    let items = items(&binder.bound, &inputs);
    let model_type = opts.model_type.unwrap_or_else(|| guess_type(&inputs));
    Ok(Description {
        name: opts.name.clone().unwrap_or_else(|| "onnx-model".into()),
        graph: OpGraph { items, params, model_type, ops },
        precision,
        producer: format!("{} {}", model.producer_name, model.producer_version).trim().to_string(),
        opset: model
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map_or(0, |o| o.version),
        inputs,
        dims: binder.bound,
        nodes: graph.node.len(),
        op_types: walked.op_types,
        weight_bytes,
        warnings,
    })
}

/// Every initializer as a value (weights: float and 8/4-bit tensors with a shape; small integer tensors keep
/// their contents) and the bytes of all of them.
fn initializers(graph: &proto::GraphProto) -> Result<(LookupMap<String, Value>, f64)> {
    let mut values = LookupMap::default();
    let mut weight_bytes = 0.0;
    for t in &graph.initializer {
        if t.dims.iter().any(|&d| d < 0) {
            return Err(Error::invalid(
                format!("initializer '{}'.dims", t.name),
                format!("{:?}", t.dims),
                "sizes ≥ 0",
            ));
        }
        let mut v = Value::new(t.data_type, t.dims.clone(), Kind::Const);
        if is_weight_type(t.data_type) && !t.dims.is_empty() {
            v.kind = Kind::Weight;
        }
        weight_bytes += v.elems() * f64::from(dtype::bits(t.data_type).unwrap_or(0)) / 8.0;
        if let Some(d) = infer::tensor_data(t) {
            v.data = Some(std::rc::Rc::new(d));
        }
        values.insert(t.name.clone(), v);
    }
    Ok((values, weight_bytes))
}

/// The graph's inputs (not initializers) with their dimensions bound, added to `values`.
fn graph_inputs(
    graph: &proto::GraphProto,
    values: &mut LookupMap<String, Value>,
    binder: &mut Binder<'_>,
) -> Result<Vec<InputInfo>> {
    let mut inputs = Vec::new();
    for vi in &graph.input {
        if values.contains_key(&vi.name) {
            continue; // IR < 4 lists initializers among the inputs
        }
        let field = format!("input '{}'", vi.name);
        let (dt, shape) = binder.shape(vi, &field)?.ok_or_else(|| {
            Error::invalid(
                format!("input '{}'", vi.name),
                "no tensor shape",
                "graph inputs with a tensor type and shape",
            )
        })?;
        inputs.push(InputInfo {
            name: vi.name.clone(),
            dtype: dtype::name(dt),
            shape: shape.clone(),
        });
        values.insert(vi.name.clone(), Value::new(dt, shape, Kind::Act));
    }
    Ok(inputs)
}

/// What walking the nodes counted: nodes per operator type, the operators whose shapes came from the file,
/// and the 4-bit weights with their element counts.
struct Walked {
    op_types: FlatMap<String, usize>,
    fallbacks: FlatMap<String, usize>,
    nbits: Vec<(String, f64)>,
}

/// Works out every node's outputs in order into `values`.
fn walk(
    graph: &proto::GraphProto,
    values: &mut LookupMap<String, Value>,
    binder: &mut Binder<'_>,
) -> Result<Walked> {
    let declared: FlatMap<&str, &ValueInfoProto> =
        graph.value_info.iter().chain(&graph.output).map(|v| (v.name.as_str(), v)).collect();
    // Counted in hash maps (a file may name as many operator types as it has nodes), sorted once at the end.
    let mut op_types: LookupMap<String, usize> = LookupMap::default();
    let mut fallbacks: LookupMap<String, usize> = LookupMap::default();
    let mut nbits = Vec::new();
    for (i, node) in graph.node.iter().enumerate() {
        let key = if node.domain.is_empty() || node.domain == "ai.onnx" {
            node.op_type.clone()
        } else {
            format!("{}:{}", node.domain, node.op_type)
        };
        *op_types.entry(key).or_default() += 1;
        if node.op_type == "MatMulNBits" {
            if let Some(w) = node.input.get(1) {
                let k = infer::Attrs(&node.attribute);
                nbits.push((w.clone(), (k.int("K", 0) * k.int("N", 0)) as f64));
            }
        }
        let ins = node_inputs(i, node, values)?;
        let outs = match infer::infer(node, &ins) {
            Ok(o) => o,
            Err(why) => {
                let outs = declared_outputs(i, node, &ins, &declared, binder, why)?;
                *fallbacks.entry(node.op_type.clone()).or_default() += 1;
                outs
            }
        };
        for (name, v) in node.output.iter().zip(outs) {
            if !name.is_empty() {
                values.insert(name.clone(), v);
            }
        }
    }
    Ok(Walked {
        op_types: op_types.into_iter().collect(),
        fallbacks: fallbacks.into_iter().collect(),
        nbits,
    })
}

/// A node's input values (`None` for an omitted optional input); an unknown name is an error.
fn node_inputs<'v>(
    i: usize,
    node: &proto::NodeProto,
    values: &'v LookupMap<String, Value>,
) -> Result<Vec<Option<&'v Value>>> {
    node.input
        .iter()
        .map(|x| {
            if x.is_empty() {
                return Ok(None);
            }
            values.get(x).map(Some).ok_or_else(|| {
                Error::invalid(
                    format!("graph.node[{i}] ({} '{}').input", node.op_type, node.name),
                    x,
                    "a value produced by an earlier node, an initializer or a graph input",
                )
            })
        })
        .collect()
}

/// The outputs of a node whose shapes could not be worked out, from the shapes the file stores for them;
/// without them, an error saying `why`.
fn declared_outputs(
    i: usize,
    node: &proto::NodeProto,
    ins: &[Option<&Value>],
    declared: &FlatMap<&str, &ValueInfoProto>,
    binder: &mut Binder<'_>,
    why: String,
) -> Result<Vec<Value>> {
    let kind =
        if ins.iter().flatten().any(|v| v.kind == Kind::Act) { Kind::Act } else { Kind::Const };
    let mut outs = Vec::new();
    for o in &node.output {
        let shape = match declared.get(o.as_str()) {
            Some(vi) => binder.shape(vi, &format!("value '{o}'"))?,
            None => None,
        };
        let Some((dt, s)) = shape else {
            return Err(Error::invalid(
                format!("graph.node[{i}] ({} '{}')", node.op_type, node.name),
                why,
                "operators whose output shapes can be worked out; store the shapes in the file \
                 (onnx.shape_inference.infer_shapes) to describe the others",
            ));
        };
        outs.push(Value::new(dt, s, kind));
    }
    Ok(outs)
}

fn is_weight_type(t: i32) -> bool {
    dtype::is_float(t) || matches!(t, dtype::INT8 | dtype::UINT8 | dtype::INT4 | dtype::UINT4)
}

/// Parameters (initializers that hold weights, plus the `Identity` copies exporters make of weights with
/// equal values, 4-bit packed weights counted per weight) and the precision most of them are stored in.
fn parameters(
    graph: &proto::GraphProto,
    values: &LookupMap<String, Value>,
    nbits: &[(String, f64)],
) -> (f64, Precision) {
    let mut by_precision: FlatMap<u8, f64> = FlatMap::new();
    let mut total = 0.0;
    let mut count = |name: &str, t: i32, elems: f64| {
        let logical = nbits.iter().find(|(n, _)| n == name).map_or(elems, |(_, e)| *e);
        let p = match t {
            _ if nbits.iter().any(|(n, _)| n == name) => Precision::Int4,
            dtype::FLOAT16 => Precision::Fp16,
            dtype::BFLOAT16 => Precision::Bf16,
            dtype::INT8 | dtype::UINT8 => Precision::Int8,
            dtype::INT4 | dtype::UINT4 => Precision::Int4,
            _ => Precision::Fp32,
        };
        *by_precision.entry(p as u8).or_default() += logical;
        total += logical;
    };
    for t in &graph.initializer {
        if values.get(&t.name).is_some_and(|v| v.kind == Kind::Weight) {
            count(&t.name, t.data_type, values[&t.name].elems());
        }
    }
    for n in graph.node.iter().filter(|n| n.op_type == "Identity") {
        if let (Some(src), Some(dst)) = (n.input.first(), n.output.first()) {
            if let Some(t) = graph.initializer.iter().find(|t| &t.name == src) {
                if values.get(src).is_some_and(|v| v.kind == Kind::Weight) {
                    count(dst, t.data_type, values[src].elems());
                }
            }
        }
    }
    let precision = by_precision
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .and_then(|(&p, _)| Precision::ALL.into_iter().find(|q| *q as u8 == p))
        .unwrap_or(Precision::Fp32);
    (total, precision)
}

/// The batch the graph was described at: a dimension named like a batch, else the first input's first axis.
fn items(bound: &[(String, i64, DimSource)], inputs: &[InputInfo]) -> u32 {
    bound
        .iter()
        .find(|(n, _, _)| role(n) == Some(DimRole::Batch))
        .map(|(_, v, _)| *v)
        .or_else(|| inputs.iter().find(|i| i.shape.len() >= 2).map(|i| i.shape[0]))
        .unwrap_or(1)
        .clamp(1, 65_536) as u32
}

fn guess_type(inputs: &[InputInfo]) -> ModelType {
    let int = |i: &&InputInfo| i.dtype.starts_with("int") || i.dtype.starts_with("uint");
    if inputs.iter().any(|i| i.name.contains("past")) {
        ModelType::TextGeneration
    } else if inputs.iter().any(|i| int(&i)) {
        if inputs.iter().any(|i| i.dtype == "float32" && i.shape.len() == 4) {
            ModelType::Multimodal
        } else {
            ModelType::TextEmbedding
        }
    } else if inputs.iter().any(|i| i.shape.len() == 4) {
        ModelType::Vision
    } else if inputs.iter().any(|i| i.shape.len() == 3 || i.shape.len() == 2) {
        ModelType::Audio
    } else {
        ModelType::TextEmbedding
    }
}
