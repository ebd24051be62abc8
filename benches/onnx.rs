//! `describeOnnx` / `mmperf describe` on graphs of growing size, built by the tests' builder
//! (`tests/support/onnx_graphs.rs`); each graph's node count is printed, so time per node = time / nodes.
//!
//! - `bert-L-layers`: a BERT-style encoder (40 nodes a layer) at 12, 96 and 768 layers, narrow (width 64)
//!   so that the file is the graph, not the weights.
//! - `fan-out-K` (`graphs::fan_out`): one element-wise value read by K element-wise nodes, the shape of a
//!   scale, mask or residual that every layer reads where nothing fuses it away. The element-wise grouping
//!   checks each value's uses once, not once per use.
//! - `fan-in-K` (`graphs::fan_in`): K matrix products of one input summed by a chain of K − 1 `Add`s, one
//!   element-wise group that reads K values, told apart by a hash set, not a list searched per input.
//!
//! Reading a graph should grow linearly with its nodes (hash maps for the tensors, producers and
//! consumers; nothing inserts into a sorted vector per tensor); beyond the caches it grows a little faster.
#![allow(missing_docs)] // criterion's macros generate undocumented public functions

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use multimodel_perf::onnx::{describe, Options};
use prost::bytes::Bytes;

#[path = "../tests/support/onnx_graphs.rs"]
mod graphs;

fn bert(layers: usize) -> Bytes {
    let bert = graphs::Bert {
        layers,
        d: 64,
        heads: 4,
        ff: 256,
        vocab: 1000,
        positions: 128,
        ..graphs::Bert::BASE
    };
    Bytes::from(bert.encode("1", "128"))
}

fn benches(c: &mut Criterion) {
    let graphs = [12, 96, 768]
        .map(|l| (format!("bert-{l}-layers"), bert(l)))
        .into_iter()
        .chain([1_000, 10_000].map(|k| (format!("fan-out-{k}"), Bytes::from(graphs::fan_out(k)))))
        .chain([1_000, 10_000].map(|k| (format!("fan-in-{k}"), Bytes::from(graphs::fan_in(k)))));
    for (name, bytes) in graphs {
        let d = describe(bytes.clone(), &Options::default()).unwrap();
        println!(
            "onnx/{name}: {} bytes, {} nodes, {} operators described",
            bytes.len(),
            d.nodes,
            d.graph.ops.len()
        );
        c.bench_function(&format!("onnx/describe/{name}"), |b| {
            b.iter(|| describe(black_box(bytes.clone()), &Options::default()).unwrap())
        });
    }
}

criterion_group! {
    name = onnx;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(onnx);
