//! Shapes of every value of an ONNX graph once its dynamic dimensions are bound, node by node in the graph's
//! (topological) order, with the contents of the small integer tensors that shape computations pass around
//! (`Shape → Gather → Concat → Reshape`), so that reshapes computed at run time resolve too.

use std::rc::Rc;

use super::proto::{dtype, AttributeProto, NodeProto, TensorProto};

/// Largest tensor whose contents are tracked (shape vectors, indices, scalars).
const MAX_TRACKED: usize = 4096;

/// Where a value comes from: it decides whether an operator on it is work of each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Derived from the graph inputs: computed on every run.
    Act,
    /// A weight (an initializer, or a view, cast or dequantisation of one).
    Weight,
    /// Computed from constants and shapes only: folded, no work per run.
    Const,
}

/// What is known about one value.
#[derive(Debug, Clone)]
pub struct Value {
    /// ONNX element type.
    pub dtype: i32,
    /// Shape (every dimension known).
    pub shape: Vec<i64>,
    /// Contents, for small tensors computed from constants.
    pub data: Option<Rc<Vec<f64>>>,
    /// Where it comes from.
    pub kind: Kind,
}

impl Value {
    /// A value of this shape with no known contents.
    pub fn new(dtype: i32, shape: Vec<i64>, kind: Kind) -> Self {
        Value { dtype, shape, data: None, kind }
    }

    /// Elements.
    pub fn elems(&self) -> f64 {
        self.shape.iter().map(|&d| d as f64).product()
    }

    fn with_data(mut self, data: Vec<f64>) -> Self {
        if data.len() <= MAX_TRACKED {
            self.data = Some(Rc::new(data));
        }
        self
    }

    /// Contents as integers.
    pub fn ints(&self) -> Option<Vec<i64>> {
        self.data.as_ref().map(|d| d.iter().map(|&x| x as i64).collect())
    }
}

/// Why a node's outputs could not be worked out.
pub type Why = String;

/// Reads a tensor's contents when it is small and stored in the file.
pub fn tensor_data(t: &TensorProto) -> Option<Vec<f64>> {
    let n: i64 = t.dims.iter().product();
    if n < 0 || n as usize > MAX_TRACKED || t.data_location == 1 {
        return None;
    }
    let n = n as usize;
    let raw = &t.raw_data;
    let v: Vec<f64> = if !raw.is_empty() {
        let w = dtype::bits(t.data_type)? as usize / 8;
        if w == 0 || raw.len() < n * w {
            return None;
        }
        raw.chunks_exact(w)
            .take(n)
            .map(|c| match (t.data_type, w) {
                (dtype::FLOAT, 4) => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                (dtype::DOUBLE, 8) => f64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
                (dtype::INT64, 8) => i64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64,
                (dtype::UINT64, 8) => u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64,
                (dtype::INT32, 4) => f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                (dtype::UINT32, 4) => f64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                (dtype::INT8, 1) => f64::from(c[0] as i8),
                (dtype::UINT8 | dtype::BOOL, 1) => f64::from(c[0]),
                (dtype::INT16, 2) => f64::from(i16::from_le_bytes([c[0], c[1]])),
                (dtype::UINT16, 2) => f64::from(u16::from_le_bytes([c[0], c[1]])),
                _ => f64::NAN,
            })
            .collect()
    } else if !t.int64_data.is_empty() {
        t.int64_data.iter().map(|&x| x as f64).collect()
    } else if !t.int32_data.is_empty() {
        t.int32_data.iter().map(|&x| f64::from(x)).collect()
    } else if !t.float_data.is_empty() {
        t.float_data.iter().map(|&x| f64::from(x)).collect()
    } else if !t.double_data.is_empty() {
        t.double_data.clone()
    } else {
        return if n == 0 { Some(Vec::new()) } else { None };
    };
    (v.len() == n && v.iter().all(|x| !x.is_nan())).then_some(v)
}

/// A node's attributes.
#[derive(Clone, Copy)]
pub struct Attrs<'a>(pub &'a [AttributeProto]);

impl Attrs<'_> {
    fn get(&self, name: &str) -> Option<&AttributeProto> {
        self.0.iter().find(|a| a.name == name)
    }

    /// An integer attribute.
    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.get(name).map_or(default, |a| a.i)
    }

    /// An integer-list attribute (absent: `None`).
    pub fn ints(&self, name: &str) -> Option<Vec<i64>> {
        self.get(name).map(|a| a.ints.clone())
    }

    /// A string attribute.
    pub fn string(&self, name: &str) -> String {
        self.get(name).map(|a| String::from_utf8_lossy(&a.s).into_owned()).unwrap_or_default()
    }

    /// A tensor attribute.
    pub fn tensor(&self, name: &str) -> Option<&TensorProto> {
        self.get(name).and_then(|a| a.t.as_ref())
    }

    /// A float attribute.
    pub fn float(&self, name: &str) -> Option<f32> {
        self.get(name).map(|a| a.f)
    }

    /// A float-list attribute.
    pub fn floats(&self, name: &str) -> Option<Vec<f32>> {
        self.get(name).map(|a| a.floats.clone())
    }
}

fn axis(a: i64, rank: usize) -> Result<usize, Why> {
    let r = rank as i64;
    let x = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&x) {
        Ok(x as usize)
    } else {
        Err(format!("axis {a} out of range for rank {rank}"))
    }
}

/// Numpy-style broadcast of several shapes.
pub fn broadcast(shapes: &[&[i64]]) -> Result<Vec<i64>, Why> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1i64; rank];
    for s in shapes {
        for (i, &d) in s.iter().enumerate() {
            let o = &mut out[rank - s.len() + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return Err(format!("shapes {shapes:?} do not broadcast"));
            }
        }
    }
    Ok(out)
}

/// Element-wise operators with one input (or whose output follows input 0).
pub const UNARY: &[&str] = &[
    "Relu",
    "Gelu",
    "Erf",
    "Tanh",
    "Sigmoid",
    "Sqrt",
    "Exp",
    "Log",
    "Neg",
    "Abs",
    "Reciprocal",
    "Floor",
    "Ceil",
    "Round",
    "Sin",
    "Cos",
    "Not",
    "Sign",
    "Clip",
    "HardSigmoid",
    "HardSwish",
    "LeakyRelu",
    "Softplus",
    "Softsign",
    "Mish",
    "Elu",
    "Selu",
    "Celu",
    "ThresholdedRelu",
    "IsNaN",
    "IsInf",
    "Cast",
    "CastLike",
    "Identity",
    "Dropout",
    "FastGelu",
    "BiasGelu",
    "QuickGelu",
    "QuantizeLinear",
    "DequantizeLinear",
    "RotaryEmbedding",
];

/// Normalisations over a whole row or channel, whose output has the input's shape and no second output.
pub const NORMS: &[&str] = &[
    "InstanceNormalization",
    "GroupNormalization",
    "LpNormalization",
    "MeanVarianceNormalization",
    "Softmax",
    "LogSoftmax",
    "Hardmax",
];

/// Layer normalisations (optional mean and inverse-deviation outputs).
pub const LAYER_NORMS: &[&str] =
    &["LayerNormalization", "SimplifiedLayerNormalization", "RMSNormalization"];

/// Element-wise operators over broadcast inputs.
pub const BINARY: &[&str] = &[
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Max",
    "Min",
    "Mod",
    "Equal",
    "Less",
    "Greater",
    "LessOrEqual",
    "GreaterOrEqual",
    "And",
    "Or",
    "Xor",
    "Where",
    "BitShift",
    "PRelu",
    "Sum",
    "Mean",
    "BiasAdd",
];

fn fold1(op: &str, x: f64, to: i32) -> Option<f64> {
    Some(match op {
        "Identity" | "Dropout" => x,
        "Cast" | "CastLike" if dtype::is_float(to) => x,
        "Cast" | "CastLike" if to == dtype::BOOL => f64::from(u8::from(x != 0.0)),
        "Cast" | "CastLike" => x.trunc(),
        "Neg" => -x,
        "Abs" => x.abs(),
        "Floor" => x.floor(),
        "Ceil" => x.ceil(),
        "Round" => x.round(),
        "Sqrt" => x.sqrt(),
        "Reciprocal" => 1.0 / x,
        "Not" => f64::from(u8::from(x == 0.0)),
        "Sign" => x.signum(),
        _ => return None,
    })
}

fn fold2(op: &str, a: f64, b: f64, int: bool) -> Option<f64> {
    let t = |c: bool| f64::from(u8::from(c));
    Some(match op {
        "Add" | "Sum" => a + b,
        "Sub" => a - b,
        "Mul" => a * b,
        "Div" if int => {
            if b == 0.0 {
                return None;
            }
            (a / b).trunc()
        }
        "Div" => a / b,
        "Pow" => a.powf(b),
        "Max" => a.max(b),
        "Min" => a.min(b),
        "Mod" if b != 0.0 => a - b * (a / b).floor(),
        "Equal" => t(a == b),
        "Less" => t(a < b),
        "Greater" => t(a > b),
        "LessOrEqual" => t(a <= b),
        "GreaterOrEqual" => t(a >= b),
        "And" => t(a != 0.0 && b != 0.0),
        "Or" => t(a != 0.0 || b != 0.0),
        _ => return None,
    })
}

/// Index of `out` (a position in `shape`) into a tensor of shape `s` broadcast to it.
fn bcast_index(out: &[i64], pos: usize, s: &[i64]) -> usize {
    let mut rem = pos;
    let mut coords = vec![0i64; out.len()];
    for i in (0..out.len()).rev() {
        let d = out[i].max(1) as usize;
        coords[i] = (rem % d) as i64;
        rem /= d;
    }
    let off = out.len() - s.len();
    let mut idx = 0usize;
    for (i, &d) in s.iter().enumerate() {
        let c = if d == 1 { 0 } else { coords[off + i] };
        idx = idx * d.max(1) as usize + c as usize;
    }
    idx
}

fn kind_of(inputs: &[Option<&Value>]) -> Kind {
    if inputs.iter().flatten().any(|v| v.kind == Kind::Act) {
        Kind::Act
    } else {
        Kind::Const
    }
}

fn need<'a>(inputs: &[Option<&'a Value>], i: usize) -> Result<&'a Value, Why> {
    inputs.get(i).copied().flatten().ok_or_else(|| format!("input {i} is missing"))
}

fn ints_of(inputs: &[Option<&Value>], i: usize, what: &str) -> Result<Vec<i64>, Why> {
    need(inputs, i)?.ints().ok_or_else(|| format!("its {what} (input {i}) is computed at run time"))
}

/// Optional integer list: from input `i` (newer opsets) or attribute `name` (older ones).
fn ints_input_or_attr(
    inputs: &[Option<&Value>],
    i: usize,
    attrs: &Attrs,
    name: &str,
) -> Result<Option<Vec<i64>>, Why> {
    match inputs.get(i).copied().flatten() {
        Some(v) => v
            .ints()
            .map(Some)
            .ok_or_else(|| format!("its {name} (input {i}) is computed at run time")),
        None => Ok(attrs.ints(name)),
    }
}

/// Output size of a sliding window along one axis.
fn window(input: i64, kernel: i64, stride: i64, dilation: i64, pads: i64, ceil: bool) -> i64 {
    let eff = dilation * (kernel - 1) + 1;
    let span = input + pads - eff;
    let s = stride.max(1);
    (if ceil { (span + s - 1).div_euclid(s) } else { span.div_euclid(s) }) + 1
}

/// Spatial output shape of a convolution or pooling window over `x` (N, C, spatial...).
pub fn windowed(x: &[i64], kernel: &[i64], attrs: &Attrs) -> Result<Vec<i64>, Why> {
    let n = kernel.len();
    if x.len() != n + 2 {
        return Err(format!("input rank {} does not match a {n}-D kernel", x.len()));
    }
    let strides = attrs.ints("strides").unwrap_or_else(|| vec![1; n]);
    let dil = attrs.ints("dilations").unwrap_or_else(|| vec![1; n]);
    let pads = attrs.ints("pads").unwrap_or_else(|| vec![0; 2 * n]);
    let auto = attrs.string("auto_pad");
    let ceil = attrs.int("ceil_mode", 0) != 0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (s, d) = (*strides.get(i).unwrap_or(&1), *dil.get(i).unwrap_or(&1));
        let size = x[i + 2];
        out.push(match auto.as_str() {
            "SAME_UPPER" | "SAME_LOWER" => (size + s - 1) / s.max(1),
            "VALID" => window(size, kernel[i], s, d, 0, false),
            _ => {
                let p = pads.get(i).unwrap_or(&0) + pads.get(i + n).unwrap_or(&0);
                window(size, kernel[i], s, d, p, ceil)
            }
        });
    }
    Ok(out)
}

/// The shapes (and, where cheap, contents) of a node's outputs.
pub fn infer(node: &NodeProto, inputs: &[Option<&Value>]) -> Result<Vec<Value>, Why> {
    let n = NodeCtx {
        node,
        op: node.op_type.as_str(),
        attrs: Attrs(&node.attribute),
        inputs,
        kind: kind_of(inputs),
    };
    for family in [
        elementwise,
        linear,
        convolved,
        normalised,
        reshaped,
        rearranged,
        indexed,
        generated,
        padded,
        fused,
    ] {
        if let Some(out) = family(&n)? {
            return Ok(out);
        }
    }
    Err(format!("operator {} is not supported", n.op))
}

/// A node being inferred: its operator, attributes, input values and the kind its outputs take.
#[derive(Clone, Copy)]
struct NodeCtx<'a> {
    node: &'a NodeProto,
    op: &'a str,
    attrs: Attrs<'a>,
    inputs: &'a [Option<&'a Value>],
    kind: Kind,
}

impl<'a> NodeCtx<'a> {
    /// The operator, attributes, inputs and output kind, as the operator families read them.
    fn parts(&self) -> (&'a str, Attrs<'a>, &'a [Option<&'a Value>], Kind) {
        (self.op, self.attrs, self.inputs, self.kind)
    }

    /// A value of `v`'s type and shape, of this node's kind.
    fn same(&self, v: &Value) -> Value {
        Value::new(v.dtype, v.shape.clone(), self.kind)
    }
}

/// Constants and element-wise operators (unary, binary, quantise/dequantise casts). `None`: not one of these operators.
fn elementwise(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let node = n.node;
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Constant" => vec![constant(&attrs)?],
        _ if UNARY.contains(&op) => {
            let x = need(inputs, 0)?;
            let to = match op {
                "Cast" => attrs.int("to", i64::from(x.dtype)) as i32,
                "CastLike" => need(inputs, 1)?.dtype,
                "QuantizeLinear" => {
                    inputs.get(2).copied().flatten().map_or(dtype::UINT8, |z| z.dtype)
                }
                "DequantizeLinear" => {
                    inputs.get(1).copied().flatten().map_or(dtype::FLOAT, |s| s.dtype)
                }
                "IsNaN" | "IsInf" => dtype::BOOL,
                _ => x.dtype,
            };
            // Views, casts and dequantisation of a weight are still that weight.
            let k = if x.kind == Kind::Weight
                && matches!(op, "Identity" | "Cast" | "DequantizeLinear" | "CastLike")
            {
                Kind::Weight
            } else {
                kind
            };
            let mut v = Value::new(to, x.shape.clone(), k);
            if let Some(d) = &x.data {
                if let Some(f) = d.iter().map(|&e| fold1(op, e, to)).collect::<Option<Vec<_>>>() {
                    v = v.with_data(f);
                }
            }
            let mut outs = vec![v];
            if op == "Dropout" && node.output.len() > 1 {
                outs.push(Value::new(dtype::BOOL, x.shape.clone(), kind));
            }
            outs
        }
        _ if BINARY.contains(&op) => {
            let present: Vec<&Value> = inputs.iter().flatten().copied().collect();
            let shapes: Vec<&[i64]> = present.iter().map(|v| v.shape.as_slice()).collect();
            let shape = broadcast(&shapes)?;
            let dt = match op {
                "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "And" | "Or"
                | "Xor" => dtype::BOOL,
                "Where" => need(inputs, 1)?.dtype,
                _ => need(inputs, 0)?.dtype,
            };
            let mut v = Value::new(dt, shape.clone(), kind);
            let n: i64 = shape.iter().product();
            if (n as usize) <= MAX_TRACKED && present.iter().all(|p| p.data.is_some()) {
                let int = !dtype::is_float(dt);
                let data: Option<Vec<f64>> = (0..n as usize)
                    .map(|pos| {
                        let at = |p: &Value| {
                            p.data.as_ref().map(|d| d[bcast_index(&shape, pos, &p.shape)])
                        };
                        if op == "Where" {
                            let c = at(present[0])?;
                            if c != 0.0 {
                                at(present[1])
                            } else {
                                at(present[2])
                            }
                        } else {
                            let mut acc = at(present[0])?;
                            for p in &present[1..] {
                                acc = fold2(op, acc, at(p)?, int)?;
                            }
                            Some(acc)
                        }
                    })
                    .collect();
                if let Some(d) = data {
                    v = v.with_data(d);
                }
            }
            vec![v]
        }
        _ => return Ok(None),
    }))
}

/// Matrix products: MatMul and its quantised and fused forms, MatMulNBits, Gemm. `None`: not one of these operators.
fn linear(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "MatMul" | "MatMulInteger" | "FusedMatMul" | "QLinearMatMul" => {
            let (ai, bi) = if op == "QLinearMatMul" { (0, 3) } else { (0, 1) };
            let (a, b) = (need(inputs, ai)?, need(inputs, bi)?);
            let ta = op == "FusedMatMul" && attrs.int("transA", 0) != 0;
            let tb = op == "FusedMatMul" && attrs.int("transB", 0) != 0;
            let shape = matmul_shape(&a.shape, &b.shape, ta, tb)?;
            let dt = match op {
                "MatMulInteger" => dtype::INT32,
                "QLinearMatMul" => {
                    inputs.get(7).copied().flatten().map_or(dtype::UINT8, |z| z.dtype)
                }
                _ => a.dtype,
            };
            vec![Value::new(dt, shape, kind)]
        }
        "MatMulNBits" => {
            let a = need(inputs, 0)?;
            let n = attrs.int("N", 0);
            if n <= 0 || a.shape.is_empty() {
                return Err("MatMulNBits needs its N attribute and a ranked input".into());
            }
            let mut s = a.shape.clone();
            *s.last_mut().unwrap_or(&mut 0) = n;
            vec![Value::new(a.dtype, s, kind)]
        }
        "Gemm" => {
            let (a, b) = (need(inputs, 0)?, need(inputs, 1)?);
            if a.shape.len() != 2 || b.shape.len() != 2 {
                return Err("Gemm takes 2-D inputs".into());
            }
            let m = if attrs.int("transA", 0) != 0 { a.shape[1] } else { a.shape[0] };
            let n = if attrs.int("transB", 0) != 0 { b.shape[0] } else { b.shape[1] };
            vec![Value::new(a.dtype, vec![m, n], kind)]
        }
        _ => return Ok(None),
    }))
}

/// Convolutions and pools. `None`: not one of these operators.
fn convolved(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let node = n.node;
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Conv" | "ConvInteger" | "QLinearConv" => {
            let (xi, wi) = if op == "QLinearConv" { (0, 3) } else { (0, 1) };
            let (x, w) = (need(inputs, xi)?, need(inputs, wi)?);
            if w.shape.len() < 3 {
                return Err("convolution weights must have rank ≥ 3".into());
            }
            let kernel = attrs.ints("kernel_shape").unwrap_or_else(|| w.shape[2..].to_vec());
            let mut s = vec![x.shape[0], w.shape[0]];
            s.extend(windowed(&x.shape, &kernel, &attrs)?);
            let dt = if op == "ConvInteger" { dtype::INT32 } else { x.dtype };
            vec![Value::new(dt, s, kind)]
        }
        "ConvTranspose" => {
            let (x, w) = (need(inputs, 0)?, need(inputs, 1)?);
            let n = w.shape.len().saturating_sub(2);
            if n == 0 || x.shape.len() != n + 2 {
                return Err("ConvTranspose input and weight ranks do not match".into());
            }
            let group = attrs.int("group", 1).max(1);
            let strides = attrs.ints("strides").unwrap_or_else(|| vec![1; n]);
            let dil = attrs.ints("dilations").unwrap_or_else(|| vec![1; n]);
            let pads = attrs.ints("pads").unwrap_or_else(|| vec![0; 2 * n]);
            let outpad = attrs.ints("output_padding").unwrap_or_else(|| vec![0; n]);
            let mut s = vec![x.shape[0], w.shape[1] * group];
            match attrs.ints("output_shape") {
                Some(o) if o.len() == n => s.extend(o),
                _ => {
                    for i in 0..n {
                        s.push(
                            strides[i] * (x.shape[i + 2] - 1)
                                + outpad[i]
                                + (w.shape[i + 2] - 1) * dil[i]
                                + 1
                                - pads[i]
                                - pads[i + n],
                        );
                    }
                }
            }
            vec![Value::new(x.dtype, s, kind)]
        }
        "MaxPool" | "AveragePool" | "LpPool" => {
            let x = need(inputs, 0)?;
            let kernel = attrs.ints("kernel_shape").ok_or("pooling needs kernel_shape")?;
            let mut s = x.shape[..2.min(x.shape.len())].to_vec();
            s.extend(windowed(&x.shape, &kernel, &attrs)?);
            let mut outs = vec![Value::new(x.dtype, s.clone(), kind)];
            if node.output.len() > 1 {
                outs.push(Value::new(dtype::INT64, s, kind));
            }
            outs
        }
        "GlobalAveragePool" | "GlobalMaxPool" | "GlobalLpPool" => {
            let x = need(inputs, 0)?;
            let mut s = x.shape.clone();
            for d in s.iter_mut().skip(2) {
                *d = 1;
            }
            vec![Value::new(x.dtype, s, kind)]
        }
        _ => return Ok(None),
    }))
}

/// Normalisations and reductions. `None`: not one of these operators.
fn normalised(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let node = n.node;
    let (op, attrs, inputs, kind) = n.parts();
    let same = |v: &Value| n.same(v);
    Ok(Some(match op {
        _ if NORMS.contains(&op) => vec![same(need(inputs, 0)?)],
        "BatchNormalization" | "CumSum" | "Trilu" | "ReverseSequence" => {
            vec![same(need(inputs, 0)?)]
        }
        _ if LAYER_NORMS.contains(&op)
            || op.starts_with("Skip") && op.ends_with("Normalization") =>
        {
            let x = need(inputs, 0)?;
            let mut outs = vec![same(x)];
            let ax = axis(attrs.int("axis", -1), x.shape.len())?;
            let mut stat = x.shape.clone();
            for d in stat.iter_mut().skip(ax) {
                *d = 1;
            }
            for (i, name) in node.output.iter().enumerate().skip(1) {
                let skip_sum = op.starts_with("Skip") && i == node.output.len() - 1 && i >= 3;
                outs.push(if skip_sum || name.is_empty() {
                    same(x)
                } else {
                    Value::new(dtype::FLOAT, stat.clone(), kind)
                });
            }
            outs
        }
        "ReduceMean" | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ReduceProd" | "ReduceL1"
        | "ReduceL2" | "ReduceLogSum" | "ReduceLogSumExp" | "ReduceSumSquare" | "ArgMax"
        | "ArgMin" => {
            let x = need(inputs, 0)?;
            let keep = attrs.int("keepdims", 1) != 0;
            let axes = if op.starts_with("Arg") {
                Some(vec![attrs.int("axis", 0)])
            } else {
                ints_input_or_attr(inputs, 1, &attrs, "axes")?
            };
            let r = x.shape.len();
            let axes: Vec<usize> = match axes {
                Some(a) if !a.is_empty() => {
                    a.iter().map(|&a| axis(a, r)).collect::<Result<_, _>>()?
                }
                _ if attrs.int("noop_with_empty_axes", 0) != 0 => Vec::new(),
                _ => (0..r).collect(),
            };
            let mut s = Vec::new();
            for (i, &d) in x.shape.iter().enumerate() {
                if axes.contains(&i) {
                    if keep {
                        s.push(1);
                    }
                } else {
                    s.push(d);
                }
            }
            let dt = if op.starts_with("Arg") { dtype::INT64 } else { x.dtype };
            let mut v = Value::new(dt, s, kind);
            if op == "ReduceProd" && axes.len() == r {
                if let Some(d) = &x.data {
                    v = v.with_data(vec![d.iter().product()]);
                }
            }
            vec![v]
        }
        _ => return Ok(None),
    }))
}

/// Shape reads and views: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze. `None`: not one of these operators.
fn reshaped(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Shape" => {
            let x = need(inputs, 0)?;
            let r = x.shape.len() as i64;
            let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
            let start = clampi(attrs.int("start", 0));
            let end = clampi(attrs.int("end", r));
            let dims: Vec<f64> = x.shape[start..end.max(start)].iter().map(|&d| d as f64).collect();
            vec![Value::new(dtype::INT64, vec![dims.len() as i64], Kind::Const).with_data(dims)]
        }
        "Size" => {
            let x = need(inputs, 0)?;
            vec![Value::new(dtype::INT64, Vec::new(), Kind::Const).with_data(vec![x.elems()])]
        }
        "Reshape" => {
            let x = need(inputs, 0)?;
            let target = match inputs.get(1).copied().flatten() {
                Some(_) => ints_of(inputs, 1, "target shape")?,
                None => attrs.ints("shape").ok_or("Reshape has no target shape")?,
            };
            let allow_zero = attrs.int("allowzero", 0) != 0;
            let s = reshape(&x.shape, &target, allow_zero)?;
            vec![view(x, s, kind)]
        }
        "Flatten" => {
            let x = need(inputs, 0)?;
            let ax = axis(attrs.int("axis", 1), x.shape.len() + 1)?;
            let a: i64 = x.shape[..ax].iter().product();
            let b: i64 = x.shape[ax..].iter().product();
            vec![view(x, vec![a, b], kind)]
        }
        "Squeeze" => {
            let x = need(inputs, 0)?;
            let axes = ints_input_or_attr(inputs, 1, &attrs, "axes")?;
            let r = x.shape.len();
            let drop: Vec<usize> = match axes {
                Some(a) => a.iter().map(|&a| axis(a, r)).collect::<Result<_, _>>()?,
                None => (0..r).filter(|&i| x.shape[i] == 1).collect(),
            };
            let s = x
                .shape
                .iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, &d)| d)
                .collect();
            vec![view(x, s, kind)]
        }
        "Unsqueeze" => {
            let x = need(inputs, 0)?;
            let axes =
                ints_input_or_attr(inputs, 1, &attrs, "axes")?.ok_or("Unsqueeze has no axes")?;
            let r = x.shape.len() + axes.len();
            let mut at: Vec<usize> = axes.iter().map(|&a| axis(a, r)).collect::<Result<_, _>>()?;
            at.sort_unstable();
            let mut s = x.shape.clone();
            for a in at {
                s.insert(a.min(s.len()), 1);
            }
            vec![view(x, s, kind)]
        }
        _ => return Ok(None),
    }))
}

/// Rearranged tensors: Transpose, Concat, Split. `None`: not one of these operators.
fn rearranged(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let node = n.node;
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Transpose" => {
            let x = need(inputs, 0)?;
            let r = x.shape.len();
            let perm = attrs.ints("perm").unwrap_or_else(|| (0..r as i64).rev().collect());
            if perm.len() != r {
                return Err(format!("perm {perm:?} does not match rank {r}"));
            }
            let s = perm
                .iter()
                .map(|&p| x.shape.get(p as usize).copied().ok_or("perm out of range"))
                .collect::<Result<Vec<_>, _>>()?;
            let k = if x.kind == Kind::Weight { Kind::Weight } else { kind };
            let mut v = Value::new(x.dtype, s, k);
            if r <= 1 {
                v.data = x.data.clone();
            }
            vec![v]
        }
        "Concat" => {
            let present: Vec<&Value> = inputs.iter().flatten().copied().collect();
            let first = present.first().ok_or("Concat has no inputs")?;
            let ax = axis(attrs.int("axis", 0), first.shape.len())?;
            let mut s = first.shape.clone();
            s[ax] = present.iter().map(|v| v.shape.get(ax).copied().unwrap_or(0)).sum();
            let mut v = Value::new(first.dtype, s, kind);
            if first.shape.len() == 1 && present.iter().all(|p| p.data.is_some()) {
                v = v.with_data(
                    present
                        .iter()
                        .flat_map(|p| p.data.as_ref().map(|d| d.to_vec()).unwrap_or_default())
                        .collect(),
                );
            }
            vec![v]
        }
        "Split" => {
            let x = need(inputs, 0)?;
            let ax = axis(attrs.int("axis", 0), x.shape.len())?;
            let outs = node.output.len().max(1) as i64;
            let sizes = match ints_input_or_attr(inputs, 1, &attrs, "split")? {
                Some(s) if !s.is_empty() => s,
                _ => {
                    let d = x.shape[ax];
                    let part = (d + outs - 1) / outs;
                    (0..outs).map(|i| part.min(d - i * part).max(0)).collect()
                }
            };
            sizes
                .iter()
                .map(|&n| {
                    let mut s = x.shape.clone();
                    s[ax] = n;
                    Value::new(x.dtype, s, kind)
                })
                .collect()
        }
        _ => return Ok(None),
    }))
}

/// Indexing: Slice, Gather, GatherElements, Expand. `None`: not one of these operators.
fn indexed(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Slice" => slice(inputs, &attrs, kind)?,
        "Gather" => {
            let (x, idx) = (need(inputs, 0)?, need(inputs, 1)?);
            let ax = axis(attrs.int("axis", 0), x.shape.len())?;
            let mut s = x.shape[..ax].to_vec();
            s.extend(&idx.shape);
            s.extend(&x.shape[ax + 1..]);
            let mut v = Value::new(x.dtype, s, kind);
            if let (Some(d), Some(i)) = (&x.data, &idx.data) {
                if x.shape.len() == 1 {
                    let n = x.shape[0];
                    let picked: Option<Vec<f64>> = i
                        .iter()
                        .map(|&j| {
                            let j = j as i64;
                            let j = if j < 0 { j + n } else { j };
                            d.get(j as usize).copied()
                        })
                        .collect();
                    if let Some(p) = picked {
                        v = v.with_data(p);
                    }
                }
            }
            vec![v]
        }
        "GatherElements" => {
            let (x, idx) = (need(inputs, 0)?, need(inputs, 1)?);
            vec![Value::new(x.dtype, idx.shape.clone(), kind)]
        }
        "Expand" => {
            let x = need(inputs, 0)?;
            let target = ints_of(inputs, 1, "target shape")?;
            let s = broadcast(&[&x.shape, &target])?;
            let mut v = Value::new(x.dtype, s.clone(), kind);
            if let Some(d) = &x.data {
                let n: i64 = s.iter().product();
                if (n as usize) <= MAX_TRACKED {
                    v = v.with_data(
                        (0..n as usize).map(|p| d[bcast_index(&s, p, &x.shape)]).collect(),
                    );
                }
            }
            vec![v]
        }
        _ => return Ok(None),
    }))
}

/// Generated tensors: ConstantOfShape, Range, Tile. `None`: not one of these operators.
fn generated(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "ConstantOfShape" => {
            let s = ints_of(inputs, 0, "shape")?;
            let (dt, fill) = match attrs.tensor("value") {
                Some(t) => {
                    (t.data_type, tensor_data(t).and_then(|d| d.first().copied()).unwrap_or(0.0))
                }
                None => (dtype::FLOAT, 0.0),
            };
            let n: i64 = s.iter().product();
            let v = Value::new(dt, s, Kind::Const);
            vec![if (n as usize) <= MAX_TRACKED { v.with_data(vec![fill; n as usize]) } else { v }]
        }
        "Range" => {
            let (s, l, d) = (need(inputs, 0)?, need(inputs, 1)?, need(inputs, 2)?);
            let (Some(s0), Some(l0), Some(d0)) = (&s.data, &l.data, &d.data) else {
                return Err("its start, limit and delta are computed at run time".into());
            };
            let (a, b, c) = (s0[0], l0[0], d0[0]);
            if c == 0.0 {
                return Err("Range with delta 0".into());
            }
            let n = ((b - a) / c).ceil().max(0.0) as i64;
            let v = Value::new(s.dtype, vec![n], kind);
            vec![if n as usize <= MAX_TRACKED {
                v.with_data((0..n).map(|i| a + c * i as f64).collect())
            } else {
                v
            }]
        }
        "Tile" => {
            let x = need(inputs, 0)?;
            let reps = ints_of(inputs, 1, "repeats")?;
            if reps.len() != x.shape.len() {
                return Err("Tile repeats do not match the rank".into());
            }
            let s = x.shape.iter().zip(&reps).map(|(d, r)| d * r).collect();
            vec![Value::new(x.dtype, s, kind)]
        }
        _ => return Ok(None),
    }))
}

/// Padded, resized and selected tensors: Pad, Resize, Upsample, TopK. `None`: not one of these operators.
fn padded(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "Pad" => {
            let x = need(inputs, 0)?;
            let pads = ints_input_or_attr(inputs, 1, &attrs, "pads")?.ok_or("Pad has no pads")?;
            let r = x.shape.len();
            let axes = match inputs.get(3).copied().flatten() {
                Some(a) => a
                    .ints()
                    .ok_or("its axes are computed at run time")?
                    .iter()
                    .map(|&a| axis(a, r))
                    .collect::<Result<Vec<_>, _>>()?,
                None => (0..r).collect(),
            };
            let n = axes.len();
            let mut s = x.shape.clone();
            for (i, &a) in axes.iter().enumerate() {
                s[a] += pads.get(i).unwrap_or(&0) + pads.get(i + n).unwrap_or(&0);
            }
            vec![Value::new(x.dtype, s, kind)]
        }
        "Resize" | "Upsample" => {
            let x = need(inputs, 0)?;
            let sizes = inputs.get(3).copied().flatten().and_then(Value::ints);
            let scales = match op {
                "Upsample" => inputs
                    .get(1)
                    .copied()
                    .flatten()
                    .and_then(|v| v.data.as_ref().map(|d| d.to_vec()))
                    .or_else(|| {
                        attrs.floats("scales").map(|f| f.iter().map(|&x| f64::from(x)).collect())
                    }),
                _ => inputs
                    .get(2)
                    .copied()
                    .flatten()
                    .and_then(|v| v.data.as_ref().map(|d| d.to_vec())),
            };
            let s = match (sizes, scales) {
                (Some(s), _) if s.len() == x.shape.len() => s,
                (_, Some(f)) if f.len() == x.shape.len() => {
                    x.shape.iter().zip(&f).map(|(&d, &k)| (d as f64 * k).floor() as i64).collect()
                }
                _ => return Err("its output size is computed at run time".into()),
            };
            vec![Value::new(x.dtype, s, kind)]
        }
        "TopK" => {
            let x = need(inputs, 0)?;
            let k = ints_of(inputs, 1, "k")?;
            let ax = axis(attrs.int("axis", -1), x.shape.len())?;
            let mut s = x.shape.clone();
            s[ax] = *k.first().ok_or("TopK without k")?;
            vec![Value::new(x.dtype, s.clone(), kind), Value::new(dtype::INT64, s, kind)]
        }
        _ => return Ok(None),
    }))
}

/// Quantisation and fused attention: DynamicQuantizeLinear, Attention, MultiHeadAttention. `None`: not one of these operators.
fn fused(n: &NodeCtx<'_>) -> Result<Option<Vec<Value>>, Why> {
    let (op, attrs, inputs, kind) = n.parts();
    Ok(Some(match op {
        "DynamicQuantizeLinear" => {
            let x = need(inputs, 0)?;
            vec![
                Value::new(dtype::UINT8, x.shape.clone(), kind),
                Value::new(dtype::FLOAT, Vec::new(), kind),
                Value::new(dtype::UINT8, Vec::new(), kind),
            ]
        }
        "Attention" | "MultiHeadAttention" => {
            let q = need(inputs, 0)?;
            if q.shape.len() != 3 {
                return Err(format!("{op} expects a 3-D input (batch, sequence, hidden)"));
            }
            let hidden = match op {
                "Attention" => {
                    let w = need(inputs, 1)?;
                    let total = *w.shape.last().ok_or("Attention weights have no shape")?;
                    attrs
                        .ints("qkv_hidden_sizes")
                        .and_then(|h| h.get(2).copied())
                        .unwrap_or(total / 3)
                }
                _ => inputs
                    .get(2)
                    .copied()
                    .flatten()
                    .and_then(|v| v.shape.last().copied())
                    .unwrap_or(q.shape[2]),
            };
            vec![Value::new(q.dtype, vec![q.shape[0], q.shape[1], hidden], kind)]
        }
        _ => return Ok(None),
    }))
}

fn view(x: &Value, shape: Vec<i64>, kind: Kind) -> Value {
    let k = if x.kind == Kind::Weight { Kind::Weight } else { kind };
    Value { dtype: x.dtype, shape, data: x.data.clone(), kind: k }
}

fn constant(attrs: &Attrs) -> Result<Value, Why> {
    if let Some(t) = attrs.tensor("value") {
        let dims = t.dims.clone();
        let v = Value::new(t.data_type, dims, Kind::Const);
        return Ok(match tensor_data(t) {
            Some(d) => v.with_data(d),
            None => v,
        });
    }
    if let Some(f) = attrs.float("value_float") {
        return Ok(Value::new(dtype::FLOAT, Vec::new(), Kind::Const).with_data(vec![f64::from(f)]));
    }
    if let Some(f) = attrs.floats("value_floats") {
        return Ok(Value::new(dtype::FLOAT, vec![f.len() as i64], Kind::Const)
            .with_data(f.iter().map(|&x| f64::from(x)).collect()));
    }
    if let Some(i) = attrs.ints("value_ints") {
        return Ok(Value::new(dtype::INT64, vec![i.len() as i64], Kind::Const)
            .with_data(i.iter().map(|&x| x as f64).collect()));
    }
    if attrs.0.iter().any(|a| a.name == "value_int") {
        return Ok(Value::new(dtype::INT64, Vec::new(), Kind::Const)
            .with_data(vec![attrs.int("value_int", 0) as f64]));
    }
    Err("Constant without a value this reader knows (sparse or string values)".into())
}

/// `MatMul` with numpy semantics (1-D operands promoted and the added axis dropped).
pub fn matmul_shape(a: &[i64], b: &[i64], ta: bool, tb: bool) -> Result<Vec<i64>, Why> {
    if a.is_empty() || b.is_empty() {
        return Err("MatMul of a scalar".into());
    }
    let mut a2 = a.to_vec();
    let mut b2 = b.to_vec();
    if a2.len() == 1 {
        a2.insert(0, 1);
    }
    if b2.len() == 1 {
        b2.push(1);
    }
    let (ra, rb) = (a2.len(), b2.len());
    if ta {
        a2.swap(ra - 1, ra - 2);
    }
    if tb {
        b2.swap(rb - 1, rb - 2);
    }
    let (m, k) = (a2[ra - 2], a2[ra - 1]);
    let (k2, n) = (b2[rb - 2], b2[rb - 1]);
    if k != k2 {
        return Err(format!("MatMul of {a:?} and {b:?}: inner sizes {k} and {k2} differ"));
    }
    let mut s = broadcast(&[&a2[..ra - 2], &b2[..rb - 2]])?;
    if a.len() > 1 {
        s.push(m);
    }
    if b.len() > 1 {
        s.push(n);
    }
    Ok(s)
}

fn reshape(x: &[i64], target: &[i64], allow_zero: bool) -> Result<Vec<i64>, Why> {
    let total: i64 = x.iter().product();
    let mut s: Vec<i64> = target
        .iter()
        .enumerate()
        .map(|(i, &d)| if d == 0 && !allow_zero { x.get(i).copied().unwrap_or(0) } else { d })
        .collect();
    let unknown: Vec<usize> = (0..s.len()).filter(|&i| s[i] == -1).collect();
    match unknown.as_slice() {
        [] => {}
        [i] => {
            let known: i64 = s.iter().filter(|&&d| d != -1).product();
            if known == 0 || total % known != 0 {
                return Err(format!("cannot reshape {x:?} to {target:?}"));
            }
            s[*i] = total / known;
        }
        _ => return Err(format!("reshape target {target:?} has more than one -1")),
    }
    if s.iter().product::<i64>() != total {
        return Err(format!("cannot reshape {x:?} to {target:?}"));
    }
    Ok(s)
}

fn slice(inputs: &[Option<&Value>], attrs: &Attrs, kind: Kind) -> Result<Vec<Value>, Why> {
    let x = need(inputs, 0)?;
    let r = x.shape.len();
    let (starts, ends, axes, steps) = if inputs.len() > 1 && inputs[1].is_some() {
        let opt = |i: usize, what: &str| -> Result<Option<Vec<i64>>, Why> {
            match inputs.get(i).copied().flatten() {
                Some(v) => v
                    .ints()
                    .map(Some)
                    .ok_or_else(|| format!("its {what} (input {i}) is computed at run time")),
                None => Ok(None),
            }
        };
        (
            ints_of(inputs, 1, "starts")?,
            ints_of(inputs, 2, "ends")?,
            opt(3, "axes")?,
            opt(4, "steps")?,
        )
    } else {
        (
            attrs.ints("starts").ok_or("Slice has no starts")?,
            attrs.ints("ends").ok_or("Slice has no ends")?,
            attrs.ints("axes"),
            None,
        )
    };
    let axes: Vec<usize> = match axes {
        Some(a) => a.iter().map(|&a| axis(a, r)).collect::<Result<_, _>>()?,
        None => (0..starts.len()).collect(),
    };
    let mut s = x.shape.clone();
    let mut ranges: Vec<(i64, i64)> = vec![(0, 1); r];
    for (i, &a) in axes.iter().enumerate() {
        let d = x.shape[a];
        let step = steps.as_ref().and_then(|st| st.get(i).copied()).unwrap_or(1);
        if step == 0 {
            return Err("Slice step 0".into());
        }
        let norm = |v: i64, lo: i64, hi: i64| (if v < 0 { v + d } else { v }).clamp(lo, hi);
        let (b, e) = if step > 0 {
            (norm(starts[i], 0, d), norm(*ends.get(i).unwrap_or(&d), 0, d))
        } else {
            (norm(starts[i], -1, d - 1), norm(*ends.get(i).unwrap_or(&-1), -1, d - 1))
        };
        let n = if step > 0 {
            ((e - b) + step - 1).div_euclid(step).max(0)
        } else {
            ((b - e) + (-step) - 1).div_euclid(-step).max(0)
        };
        s[a] = n;
        ranges[a] = (b, step);
    }
    let mut v = Value::new(x.dtype, s.clone(), kind);
    if r == 1 {
        if let Some(d) = &x.data {
            let (b, step) = ranges[0];
            v = v.with_data((0..s[0]).map(|i| d[(b + i * step) as usize]).collect());
        }
    }
    Ok(vec![v])
}
