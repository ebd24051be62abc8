//! ONNX nodes to the predictor's operators ([`Op`]), as a runtime executes them:
//!
//! - `MatMul`/`Gemm`/`MatMulNBits` by a weight become linear layers; products of two activations become batched
//!   GEMMs, except `MatMul → (scale, mask) → Softmax → MatMul`, which is one attention op (the runtime profile
//!   and the device decide whether it runs fused, as for catalog models).
//! - Convolutions become implicit GEMMs, depthwise ones depthwise ops, as in the catalog's CNNs.
//! - Connected element-wise nodes (bias, activation, residual add, GELU's five nodes) become one epilogue that
//!   reads the group's inputs and writes its outputs once, as runtimes' element-wise fusion does; whether it
//!   then fuses into its GEMM is the runtime profile's call.
//! - Normalisations and softmax become norms; reductions and pooling pools; data movement that copies
//!   (transposes not absorbed by a GEMM, concat, slice, pad, gather of activations) a pool-class memory op.
//! - Views (`Reshape`, `Squeeze`, `Flatten`, `Identity`) and anything computed from constants alone are free.

use std::collections::hash_map::Entry;

use crate::flatmap::LookupMap;

use crate::catalog::arch::{Activation, Op, OpClass};

use super::infer::{Attrs, Kind, Value, BINARY, LAYER_NORMS, NORMS, UNARY};
use super::proto::NodeProto;

/// Values by name, producers and consumers of each.
pub struct Flow<'a> {
    /// Every value.
    pub values: &'a LookupMap<String, Value>,
    /// Nodes in order.
    pub nodes: &'a [NodeProto],
    /// Graph output names.
    pub outputs: &'a [String],
    producer: LookupMap<&'a str, usize>,
    consumers: LookupMap<&'a str, Vec<usize>>,
}

const VIEWS: &[&str] = &["Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Dropout"];
const MATMULS: &[&str] =
    &["MatMul", "Gemm", "FusedMatMul", "MatMulNBits", "MatMulInteger", "QLinearMatMul"];

impl<'a> Flow<'a> {
    /// Indexes `nodes`.
    pub fn new(
        values: &'a LookupMap<String, Value>,
        nodes: &'a [NodeProto],
        outputs: &'a [String],
    ) -> Self {
        let mut producer = LookupMap::default();
        let mut consumers: LookupMap<&str, Vec<usize>> = LookupMap::default();
        for (i, n) in nodes.iter().enumerate() {
            for o in &n.output {
                producer.insert(o.as_str(), i);
            }
            for x in n.input.iter().filter(|x| !x.is_empty()) {
                consumers.entry(x.as_str()).or_default().push(i);
            }
        }
        Flow { values, nodes, outputs, producer, consumers }
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    fn act(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| v.kind == Kind::Act)
    }

    fn elems(&self, name: &str) -> f64 {
        self.value(name).map_or(0.0, Value::elems)
    }

    fn uses(&self, name: &str) -> &[usize] {
        self.consumers.get(name).map_or(&[], Vec::as_slice)
    }

    fn is_output(&self, name: &str) -> bool {
        self.outputs.iter().any(|o| o == name)
    }

    fn op(&self, i: usize) -> &str {
        &self.nodes[i].op_type
    }

    fn input(&self, i: usize, k: usize) -> Option<&'a str> {
        self.nodes[i].input.get(k).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// Whether every use of `name` (through views and further transposes, which compose with it into one
    /// permutation) is an operand of a matrix multiply, which reads it in any layout: a transpose feeding it
    /// costs nothing.
    fn only_feeds_matmuls(&self, name: &str, depth: u32) -> bool {
        let uses = self.uses(name);
        depth < 8
            && !uses.is_empty()
            && !self.is_output(name)
            && uses.iter().all(|&c| {
                let op = self.op(c);
                MATMULS.contains(&op)
                    || ((VIEWS.contains(&op) || op == "Transpose")
                        && self.nodes[c]
                            .output
                            .first()
                            .is_some_and(|o| self.only_feeds_matmuls(o, depth + 1)))
            })
    }
}

fn elementwise(op: &str) -> bool {
    (UNARY.contains(&op) && !matches!(op, "Identity" | "Dropout"))
        || BINARY.contains(&op)
        || op == "BatchNormalization"
}

fn product(s: &[i64]) -> f64 {
    s.iter().map(|&d| d as f64).product()
}

/// An attention found in the graph: the nodes it replaces and the op it becomes.
fn find_attention(f: &Flow, softmax: usize) -> Option<(Vec<usize>, Op)> {
    let x = f.input(softmax, 0)?;
    let shape = &f.value(x)?.shape;
    if shape.len() < 2 {
        return None;
    }
    let mut nodes = vec![softmax];
    let mut cur = x;
    let qk = loop {
        let p = *f.producer.get(cur)?;
        if f.uses(cur).len() != 1 || nodes.len() > 6 {
            return None;
        }
        let op = f.op(p);
        if op == "MatMul" {
            break p;
        }
        if !matches!(op, "Add" | "Sub" | "Mul" | "Div" | "Where" | "Cast") {
            return None;
        }
        nodes.push(p);
        cur = f.nodes[p]
            .input
            .iter()
            .map(String::as_str)
            .find(|i| f.act(i) && f.value(i).is_some_and(|v| &v.shape == shape))?;
    };
    // The element-wise nodes over the scores between their product and the softmax (the scale, a mask, a
    // cast): each a kernel of its own where the runtime runs attention unfused.
    let score_kernels = (nodes.len() - 1) as f64;
    let (q, k) = (f.input(qk, 0)?, f.input(qk, 1)?);
    if !(f.act(q) && f.act(k)) {
        return None;
    }
    nodes.push(qk);
    let mut y = f.nodes[softmax].output.first()?.as_str();
    let pv = loop {
        let uses = f.uses(y);
        if uses.len() != 1 || f.is_output(y) {
            return None;
        }
        let c = uses[0];
        match f.op(c) {
            "MatMul" if f.input(c, 0) == Some(y) && f.input(c, 1).is_some_and(|v| f.act(v)) => {
                break c
            }
            "Cast" | "Dropout" | "Identity" => {
                nodes.push(c);
                y = f.nodes[c].output.first()?.as_str();
            }
            _ => return None,
        }
    };
    nodes.push(pv);
    let (qs, out) = (&f.value(q)?.shape, &f.value(f.nodes[pv].output.first()?)?.shape);
    let (qlen, kv) = (shape[shape.len() - 2] as f64, shape[shape.len() - 1] as f64);
    let dh = *qs.last()? as f64;
    let heads = product(&shape[..shape.len() - 2]);
    let mut op = Op::attention(heads, qlen, kv, dh);
    // The value head size may differ from the key's: count the output actually written.
    op.out_elems = product(out);
    op.score_kernels = score_kernels;
    Some((nodes, op))
}

/// `Add(y, b)` where `y` is a matrix multiply's or convolution's output used only here and `b` a weight
/// vector along `y`'s last axis (or its channels for a convolution).
fn is_bias_add(f: &Flow, i: usize) -> bool {
    if f.op(i) != "Add" || f.nodes[i].input.len() != 2 {
        return false;
    }
    let (a, b) = (&f.nodes[i].input[0], &f.nodes[i].input[1]);
    let (y, bias) = if f.act(a) { (a, b) } else { (b, a) };
    let Some(&p) = f.producer.get(y.as_str()) else {
        return false;
    };
    let conv = f.op(p).starts_with("Conv");
    let gemm = MATMULS.contains(&f.op(p)) || conv;
    let (Some(yv), Some(bv)) = (f.value(y), f.value(bias)) else {
        return false;
    };
    let along = if conv { yv.shape.get(1) } else { yv.shape.last() };
    let vector = bv.elems() == along.map_or(-1.0, |&d| d as f64);
    gemm && bv.kind == Kind::Weight && vector && f.uses(y).len() == 1 && !f.is_output(y)
}

/// Disjoint sets over node indices.
struct Groups(Vec<usize>);

impl Groups {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut j = i;
        while self.0[j] != r {
            let n = self.0[j];
            self.0[j] = r;
            j = n;
        }
        r
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// The operators of the graph, in node order (an op is placed at the last node it covers).
pub fn lower(f: &Flow) -> Vec<Op> {
    let n = f.nodes.len();
    let mut placed: Vec<Vec<Op>> = vec![Vec::new(); n];
    let mut taken = vec![false; n];
    let works = |i: usize| f.nodes[i].output.iter().any(|o| f.act(o));
    for i in 0..n {
        if works(i) && f.op(i) == "Softmax" && !taken[i] {
            if let Some((nodes, op)) = find_attention(f, i) {
                let last = *nodes.iter().max().unwrap_or(&i);
                for j in nodes {
                    taken[j] = true;
                }
                placed[last].push(op);
            }
        }
    }
    // A bias added to a GEMM's or convolution's only output runs inside that kernel (every runtime fuses it:
    // ONNX Runtime's MatMul+Add fusion, cuBLAS/oneDNN epilogues, PyTorch's addmm).
    for (i, t) in taken.iter_mut().enumerate() {
        if !*t && works(i) && is_bias_add(f, i) {
            *t = true;
        }
    }
    // Element-wise groups: a node joins its producer when that producer is element-wise too and every use of
    // the value between them is element-wise (nothing else needs it in memory... but the group's outputs).
    // Walked from the producers, each value's uses checked once: walked from the consumers, a value read by K
    // element-wise nodes (a scale or residual every layer reads, where nothing fuses it away) had its uses
    // checked K times. A set's root is its least node whatever the order of the unions, so the groups are the
    // same. (The producer check keeps the producer map's choice, the last node naming it, where a malformed
    // file writes a value twice.)
    let ew: Vec<bool> = (0..n).map(|i| works(i) && !taken[i] && elementwise(f.op(i))).collect();
    let mut groups = Groups((0..n).collect());
    for p in (0..n).filter(|&p| ew[p]) {
        for x in f.nodes[p].output.iter().filter(|x| f.act(x) && !f.is_output(x)) {
            let uses = f.uses(x);
            if f.producer.get(x.as_str()) == Some(&p) && uses.iter().all(|&c| ew[c]) {
                for &c in uses {
                    groups.union(c, p);
                }
            }
        }
    }
    // Each group's nodes under its root's index, read in the order of the roots.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for j in (0..n).filter(|&j| ew[j]) {
        members[groups.find(j)].push(j);
    }
    for nodes in members.iter().filter(|m| !m.is_empty()) {
        let inside = |i: &usize| nodes.binary_search(i).is_ok();
        let mut read = 0.0;
        // A hash set: a group may read thousands of values (a sum over every layer's output).
        let mut seen: LookupMap<&str, ()> = LookupMap::default();
        let mut written = 0.0;
        let mut flops = 0.0;
        for &j in nodes {
            for x in f.nodes[j].input.iter().map(String::as_str) {
                let external = f.producer.get(x).is_none_or(|p| !inside(p));
                if f.act(x) && external && seen.insert(x, ()).is_none() {
                    read += f.elems(x);
                }
            }
            for o in f.nodes[j].output.iter().filter(|o| f.act(o)) {
                flops += f.elems(o);
                if f.is_output(o) || f.uses(o).iter().any(|c| !inside(c)) {
                    written += f.elems(o);
                }
            }
        }
        let last = *nodes.last().unwrap_or(&0);
        let mut op = Op::memory(OpClass::Epilogue, read + written, written, flops);
        op.activation = group_activation(nodes.iter().map(|&j| f.op(j)));
        placed[last].push(op);
    }
    for i in (0..n).filter(|&i| works(i) && !taken[i] && !elementwise(f.op(i))) {
        node_ops(f, i, &mut placed[i]);
    }
    placed.into_iter().flatten().collect()
}

/// The activation function an element-wise group computes, from its node types: GELU where it has an
/// error function, a GELU node or a tanh (GELU's tanh form; a lone tanh, as BERT's pooler, needs an
/// exponential per element alike), sigmoid-gated where it has a sigmoid
/// (SiLU exports as `Sigmoid` and `Mul`), otherwise none (ReLU, clipping, bias, scaling).
fn group_activation<'a>(ops: impl Iterator<Item = &'a str>) -> Activation {
    let mut found = Activation::None;
    for op in ops {
        match op {
            "Erf" | "Gelu" | "FastGelu" | "BiasGelu" | "Tanh" => return Activation::Gelu,
            "Sigmoid" | "QuickGelu" => found = Activation::Sigmoid,
            _ => {}
        }
    }
    found
}

/// A copy of `read` elements into `written` new ones.
fn copy(read: f64, written: f64) -> Op {
    Op::memory(OpClass::Pool, read + written, written, 0.0)
}

fn node_ops(f: &Flow, i: usize, out: &mut Vec<Op>) {
    let node = &f.nodes[i];
    let attrs = Attrs(&node.attribute);
    let op = node.op_type.as_str();
    let get = |k: usize| f.input(i, k).and_then(|x| f.value(x));
    let Some(y) = node.output.first().and_then(|o| f.value(o)) else {
        return;
    };
    let in_elems: f64 = node.input.iter().filter(|x| f.act(x)).map(|x| f.elems(x)).sum();
    let y_elems = y.elems();
    match op {
        _ if VIEWS.contains(&op) => {}
        "Shape" | "Size" | "Constant" | "ConstantOfShape" => {}
        "MatMul" | "MatMulInteger" | "FusedMatMul" | "QLinearMatMul" | "MatMulNBits" | "Gemm" => {
            let bi = if op == "QLinearMatMul" { 3 } else { 1 };
            if let (Some(a), Some(b)) = (get(0), get(bi)) {
                out.push(matmul_op(op, &attrs, a, b, y));
            }
        }
        "Conv" | "ConvInteger" | "QLinearConv" => {
            let wi = if op == "QLinearConv" { 3 } else { 1 };
            if let (Some(x), Some(w)) = (get(0), get(wi)) {
                out.push(conv_op(&attrs, x, w, y_elems));
            }
        }
        "ConvTranspose" => {
            if let (Some(x), Some(w)) = (get(0), get(1)) {
                out.push(conv_transpose_op(&attrs, x, w, y_elems));
            }
        }
        "MaxPool" | "AveragePool" | "LpPool" => {
            let kk = attrs.ints("kernel_shape").map_or(1.0, |k| product(&k));
            out.push(Op::memory(OpClass::Pool, in_elems + y_elems, y_elems, y_elems * kk));
        }
        "GlobalAveragePool" | "GlobalMaxPool" | "GlobalLpPool" | "ReduceMean" | "ReduceSum"
        | "ReduceMax" | "ReduceMin" | "ReduceProd" | "ReduceL1" | "ReduceL2" | "ReduceLogSum"
        | "ReduceLogSumExp" | "ReduceSumSquare" | "ArgMax" | "ArgMin" | "TopK" | "CumSum" => {
            out.push(Op::memory(OpClass::Pool, in_elems + y_elems, y_elems, in_elems));
        }
        _ if NORMS.contains(&op) || LAYER_NORMS.contains(&op) => out.push(Op::norm(y_elems)),
        "SkipLayerNormalization" | "SkipSimplifiedLayerNormalization" => {
            out.push(Op::residual(y_elems));
            out.push(Op::norm(y_elems));
        }
        "Gather" | "GatherElements" | "GatherND" => match get(0) {
            Some(table) if table.kind == Kind::Weight => {
                let mut g = Op::memory(OpClass::Gather, y_elems, y_elems, 0.0);
                g.weight_elems = y_elems;
                out.push(g);
            }
            _ => out.push(copy(y_elems, y_elems)),
        },
        "Transpose" => {
            if !f.only_feeds_matmuls(&node.output[0], 0) {
                out.push(copy(in_elems, y_elems));
            }
        }
        "Attention" | "MultiHeadAttention" => {
            if let Some(x) = get(0) {
                attention_ops(op, &attrs, x, get(1), y, out);
            }
        }
        _ => {
            // Concat, Split, Slice, Pad, Tile, Expand, Resize, Trilu, ...: data movement.
            let written: f64 = node.output.iter().filter(|o| f.act(o)).map(|o| f.elems(o)).sum();
            out.push(copy(in_elems, written));
        }
    }
}

/// A matrix product: a weight GEMM (`linear`) when its second operand is a weight of at most two dimensions
/// (or 4-bit packed), else a batched GEMM (weights counted when either operand is one).
fn matmul_op(op: &str, attrs: &Attrs<'_>, a: &Value, b: &Value, y: &Value) -> Op {
    let ta = matches!(op, "FusedMatMul" | "Gemm") && attrs.int("transA", 0) != 0;
    let k = if op == "MatMulNBits" {
        attrs.int("K", 0) as f64
    } else if ta && a.shape.len() >= 2 {
        a.shape[a.shape.len() - 2] as f64
    } else {
        *a.shape.last().unwrap_or(&1) as f64
    };
    let n_cols = if y.shape.is_empty() { 1.0 } else { *y.shape.last().unwrap_or(&1) as f64 };
    let y_elems = y.elems();
    if op == "MatMulNBits" || (b.kind == Kind::Weight && b.shape.len() <= 2) {
        return Op::linear(y_elems / n_cols.max(1.0), k, n_cols);
    }
    let m = if y.shape.len() >= 2 { y.shape[y.shape.len() - 2] as f64 } else { 1.0 };
    let batches = y_elems / (m * n_cols).max(1.0);
    let weights = match (a.kind, b.kind) {
        (_, Kind::Weight) => b.elems(),
        (Kind::Weight, _) => a.elems(),
        _ => 0.0,
    };
    Op::gemm(batches, m, n_cols, k, weights)
}

/// A convolution: depthwise (one input channel per group, as many groups as channels) as a memory-bound
/// op with its FLOPs, else a grouped GEMM over output positions.
fn conv_op(attrs: &Attrs<'_>, x: &Value, w: &Value, y_elems: f64) -> Op {
    let g = attrs.int("group", 1).max(1) as f64;
    let cout = w.shape[0] as f64;
    let per_group_in = w.shape.get(1).copied().unwrap_or(1) as f64;
    let kk = product(&w.shape[2..]);
    let rows = y_elems / cout.max(1.0);
    if g > 1.0 && per_group_in == 1.0 && x.shape.get(1).is_some_and(|&c| c as f64 == g) {
        let mut d =
            Op::memory(OpClass::Depthwise, x.elems() + y_elems, y_elems, 2.0 * rows * cout * kk);
        d.weight_elems = w.elems();
        return d;
    }
    let mut c = Op::gemm(g, rows, cout / g, per_group_in * kk, w.elems()).with_window(kk);
    c.act_elems = x.elems() + y_elems;
    c
}

/// A transposed convolution as the grouped GEMM over input positions it is.
fn conv_transpose_op(attrs: &Attrs<'_>, x: &Value, w: &Value, y_elems: f64) -> Op {
    let g = attrs.int("group", 1).max(1) as f64;
    let cin = w.shape[0] as f64;
    let per_group_out = w.shape.get(1).copied().unwrap_or(1) as f64;
    let kk = product(&w.shape[2..]);
    let rows = x.elems() / cin.max(1.0);
    let mut c = Op::gemm(g, rows, per_group_out * kk, cin / g, w.elems());
    c.act_elems = x.elems() + y_elems;
    c.out_elems = y_elems;
    c
}

/// A fused attention node: `Attention`'s packed QKV projection (its second input, the weights), then the
/// attention over `num_heads` heads (`MultiHeadAttention`'s second input is the keys, whose length it takes).
fn attention_ops(
    op: &str,
    attrs: &Attrs<'_>,
    x: &Value,
    second: Option<&Value>,
    y: &Value,
    out: &mut Vec<Op>,
) {
    let heads = attrs.int("num_heads", 1).max(1) as f64;
    let (b, s, hidden) = (x.shape[0] as f64, x.shape[1] as f64, x.shape[2] as f64);
    let width = *y.shape.last().unwrap_or(&1) as f64;
    if op == "Attention" {
        if let Some(w) = second {
            let n3 = *w.shape.last().unwrap_or(&1) as f64;
            out.push(Op::linear(b * s, hidden, n3));
        }
    }
    let kv = second
        .filter(|_| op == "MultiHeadAttention")
        .and_then(|k| k.shape.get(1))
        .map_or(s, |&l| l as f64);
    out.push(Op::attention(b * heads, s, kv, width / heads));
}

/// Merges identical operators (same class, activation and sizes) into one with the summed `repeat`, keeping the order
/// of first appearance.
pub fn merge(ops: Vec<Op>) -> Vec<Op> {
    let key = |o: &Op| {
        let mut k = [(o.class as u64) | ((o.activation as u64) << 8); 12];
        for (slot, x) in k[1..].iter_mut().zip(o.sizes()) {
            *slot = x.to_bits();
        }
        k[11] = o.score_kernels.to_bits();
        k
    };
    let mut at: LookupMap<[u64; 12], usize> = LookupMap::default();
    let mut merged: Vec<Op> = Vec::new();
    for op in ops {
        match at.entry(key(&op)) {
            Entry::Occupied(i) => merged[*i.get()].repeat += op.repeat,
            Entry::Vacant(slot) => {
                slot.insert(merged.len());
                merged.push(op);
            }
        }
    }
    merged
}
