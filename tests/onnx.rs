//! Describing a model from its ONNX graph (`onnx::describe`, `mmperf describe`): parameter counts and FLOPs
//! of a BERT-style graph laid out as PyTorch exports it against the catalog's BERT, shapes resolved through
//! run-time reshapes, dynamic dimensions bound from the options, batch scaling, a CNN counted by hand, the
//! model entry predicted like any other, and typed errors for what cannot be described.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::flatmap::FlatMap;
use std::process::Command;

use multimodel_perf::catalog::arch::{Activation, OpClass};
use multimodel_perf::catalog::models::{self, InputShape};
use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::{ModelType, Precision};
use multimodel_perf::onnx::proto::dtype;
use multimodel_perf::onnx::{describe, DimSource, Options};
use multimodel_perf::wire::graph::DescriptionDto;
use multimodel_perf::{wire, Error, MultiModelPredictor, Strategy, Target};

#[path = "support/files.rs"]
mod files;
#[path = "support/onnx_graphs.rs"]
mod graphs;

fn bert_base(batch: &str, seq: &str, dynamic: bool) -> Vec<u8> {
    graphs::Bert { dynamic_reshape: dynamic, ..graphs::Bert::BASE }.encode(batch, seq)
}

fn total_flops(ops: &[multimodel_perf::catalog::arch::Op]) -> f64 {
    ops.iter().map(|o| o.flops * o.repeat).sum()
}

/// FLOPs of the GEMMs alone.
fn gemm_flops(ops: &[multimodel_perf::catalog::arch::Op]) -> f64 {
    ops.iter().filter(|o| o.class == OpClass::Gemm).map(|o| o.flops * o.repeat).sum()
}

/// FLOPs of the catalog's bert-base-uncased for `batch` × `seq` tokens.
fn catalog_bert_flops(batch: u32, seq: u32) -> f64 {
    let m = models::find("bert-base-uncased").unwrap();
    let w = m.arch.work(&InputShape { batch, sequence_length: seq, ..m.default_input });
    total_flops(&w.prefill)
}

#[test]
fn a_bert_graph_has_the_catalog_berts_parameters_and_flops() {
    let d = describe(bert_base("1", "128", false), &Options::default()).unwrap();
    let catalog = models::find("bert-base-uncased").unwrap();
    assert_eq!(d.graph.params, catalog.arch.params());
    assert_eq!(d.graph.params, 109_482_240.0);
    let (got, want) = (total_flops(&d.graph.ops), catalog_bert_flops(1, 128));
    assert!((got / want - 1.0).abs() < 0.02, "FLOPs {got} against the catalog's {want}");
    assert_eq!(d.precision, Precision::Fp32);
    assert_eq!(d.graph.model_type, ModelType::TextEmbedding);
    assert_eq!(d.graph.items, 1);
    // Q·Kᵀ, scale, mask, softmax and ·V of each layer are one attention op; 12 identical layers are one op
    // repeated 12 times.
    let attention: Vec<_> = d.graph.ops.iter().filter(|o| o.class == OpClass::Attention).collect();
    assert_eq!(attention.len(), 1);
    assert_eq!(
        (attention[0].repeat, attention[0].batches, attention[0].m, attention[0].n, attention[0].k),
        (12.0, 12.0, 128.0, 128.0, 64.0)
    );
    // Its scale (Div) and its mask (Add) run as kernels of their own where attention runs unfused, as the
    // catalog BERT's do.
    assert_eq!(attention[0].score_kernels, 2.0);
    let catalog_attention = catalog.arch.work(&catalog.default_input).prefill;
    let catalog_attention =
        catalog_attention.iter().find(|o| o.class == OpClass::Attention).unwrap();
    assert_eq!(attention[0].score_kernels, catalog_attention.score_kernels);
    // The head transposes feed matrix multiplies: no copies are left but the pooler's first-token gather.
    let copies: f64 =
        d.graph.ops.iter().filter(|o| o.class == OpClass::Pool).map(|o| o.repeat).sum();
    assert_eq!(copies, 1.0, "{:?}", d.graph.ops);
    // GELU's five nodes and the bias add before them are one epilogue per layer.
    let gemms: f64 =
        d.graph.ops.iter().filter(|o| o.class == OpClass::Gemm).map(|o| o.repeat).sum();
    assert_eq!(gemms, 12.0 * 6.0 + 1.0);
    assert_eq!(d.nodes, d.op_types.values().sum::<usize>());
}

#[test]
fn run_time_reshapes_and_named_dimensions_resolve_from_the_options() {
    let bytes = bert_base("batch_size", "sequence_length", true);
    let opts = Options { batch_size: Some(4), sequence_length: Some(64), ..Options::default() };
    let d = describe(bytes.clone(), &opts).unwrap();
    assert_eq!(
        d.dims,
        vec![
            ("batch_size".to_string(), 4, DimSource::Entry),
            ("sequence_length".to_string(), 64, DimSource::Entry)
        ]
    );
    assert_eq!(d.graph.items, 4);
    assert_eq!(d.inputs[0].shape, vec![4, 64]);
    let (got, want) = (total_flops(&d.graph.ops), catalog_bert_flops(4, 64));
    assert!((got / want - 1.0).abs() < 0.02, "{got} vs {want}");
    // Given dims win over the entry's sizes; unset ones take their defaults.
    let mut dims = FlatMap::new();
    dims.insert("sequence_length".to_string(), 32);
    let given =
        describe(bytes.clone(), &Options { dims, sequence_length: Some(64), ..Options::default() })
            .unwrap();
    assert_eq!(
        given.dims,
        vec![
            ("batch_size".to_string(), 1, DimSource::Default),
            ("sequence_length".to_string(), 32, DimSource::Given)
        ]
    );
    // Described at one item and asked for four, the operators scale to those described at four.
    let one =
        describe(bytes, &Options { sequence_length: Some(64), ..Options::default() }).unwrap();
    let scaled = one.graph.ops_for(4);
    let four = &d.graph.ops;
    assert_eq!(scaled.len(), four.len());
    for (a, b) in scaled.iter().zip(four) {
        for (x, y) in [
            (a.flops, b.flops),
            (a.act_elems, b.act_elems),
            (a.weight_elems, b.weight_elems),
            (a.m * a.batches, b.m * b.batches),
        ] {
            assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn a_small_cnn_is_counted_as_by_hand() {
    let d = describe(graphs::small_cnn("N"), &Options::default()).unwrap();
    // conv 16·3·3·3 + BN 4·16 + depthwise 16·9 + pointwise 32·16 + 32 + classifier 10·32 + 10.
    assert_eq!(d.graph.params, 432.0 + 64.0 + 144.0 + 512.0 + 32.0 + 320.0 + 10.0);
    assert_eq!(d.graph.model_type, ModelType::Vision);
    let find = |class: OpClass, k: f64| {
        d.graph
            .ops
            .iter()
            .find(|o| o.class == class && (class == OpClass::Depthwise || o.k == k))
            .unwrap_or_else(|| panic!("no {class:?} k={k} in {:?}", d.graph.ops))
    };
    // 32×32 at stride 2 with padding 1: 16×16 outputs; implicit GEMM 256 rows × 16 × 27.
    let c1 = find(OpClass::Gemm, 27.0);
    assert_eq!((c1.m, c1.n, c1.flops), (256.0, 16.0, 2.0 * 256.0 * 16.0 * 27.0));
    let dw = find(OpClass::Depthwise, 0.0);
    assert_eq!((dw.flops, dw.weight_elems), (2.0 * 256.0 * 16.0 * 9.0, 144.0));
    let pw = find(OpClass::Gemm, 16.0);
    assert_eq!((pw.m, pw.n, pw.flops), (256.0, 32.0, 2.0 * 256.0 * 32.0 * 16.0));
    let fc = find(OpClass::Gemm, 32.0);
    assert_eq!((fc.m, fc.n, fc.weight_elems), (1.0, 10.0, 320.0));
}

#[test]
fn the_entry_predicts_like_any_model_and_as_the_catalog_model_with_the_same_kernels() {
    // With Q, K and V in one GEMM, the graph runs the catalog BERT's kernels plus one Split per layer: as
    // fast, but for those 12 kernels' launches where the host's pace decides (PyTorch on a GPU at batch 1).
    let d = describe(
        graphs::Bert { fused_qkv: true, ..graphs::Bert::BASE }.encode("1", "128"),
        &Options { name: Some("my-bert".into()), ..Options::default() },
    )
    .unwrap();
    let dto = DescriptionDto::from(&d);
    let entry = serde_json::to_value(&dto.entry).unwrap();
    assert_eq!(entry["model_name"], "my-bert");
    // The entry keeps each attention's kernels over its scores (the scale and the mask); the other operators
    // write none.
    let ops = entry["graph"]["ops"].as_array().unwrap();
    let attention = ops.iter().find(|o| o["class"] == "attention").unwrap();
    assert_eq!(attention["score_kernels"], 2.0);
    assert!(ops
        .iter()
        .filter(|o| o["class"] != "attention")
        .all(|o| o.get("score_kernels").is_none()));
    let workload = serde_json::json!({ "models": [entry, { "model_name": "bert-base-uncased" }] });
    let parsed = wire::parse_workload(&workload.to_string()).unwrap();
    let predictor = MultiModelPredictor::default();
    for target in ["cpu", "cuda"] {
        let t = Target::new(target).unwrap();
        let p = predictor.predict(&parsed.workload, &t, Strategy::Sequential).unwrap();
        let alone = |name: &str| {
            p.models.iter().find(|m| &*m.name == name).map(|m| m.solo.latency_ms).unwrap()
        };
        let (mine, catalog) = (alone("my-bert"), alone("bert-base-uncased"));
        let rt = RuntimeProfile::find(&t.device.default_runtime).unwrap();
        let per_kernel_us =
            if target == "cpu" { rt.cpu_host_overhead_us } else { rt.host_overhead_us };
        let splits_ms = 12.0 * per_kernel_us / 1e3;
        assert!(
            (mine - catalog).abs() < 0.05 * catalog + splits_ms,
            "{target}: described {mine} ms, catalog {catalog} ms"
        );
    }
}

/// Quantised layers as ONNX Runtime's tools and transformers.js exports write them: int8 weights behind
/// `DequantizeLinear`, dynamic int8 activations into `MatMulInteger`, and 4-bit blocks in `MatMulNBits`.
#[test]
fn quantised_weights_count_per_weight_and_set_the_precision() {
    let (rows, d) = (16, 256);
    let int8 = |int4_too: bool| {
        let mut g = graphs::Builder::default();
        g.inputs.push(graphs::value_info("x", dtype::FLOAT, &["1", "16", "256"]));
        // Static: int8 weight, dequantised, multiplied.
        let w = g.typed_weight("w_q", &[d, d], dtype::INT8);
        let scale = g.scalar(0.02);
        let wf = g.node("DequantizeLinear", &[&w, &scale], vec![]);
        let y = g.node("MatMul", &["x", &wf], vec![]);
        // Dynamic: activations quantised at run time, integer GEMM, rescaled.
        let q = g.fresh("xq");
        let (s, z) = (g.fresh("xs"), g.fresh("xz"));
        g.node_out("DynamicQuantizeLinear", &[&y], &[&q, &s, &z], vec![]);
        let w2 = g.typed_weight("w2_q", &[d, d], dtype::INT8);
        let acc = g.node("MatMulInteger", &[&q, &w2], vec![]);
        let f = g.node("Cast", &[&acc], vec![graphs::int("to", i64::from(dtype::FLOAT))]);
        let mut out = g.node("Mul", &[&f, &s], vec![]);
        if int4_too {
            // 4-bit: N x (K / 32 blocks) x 16 bytes, one scale per block.
            let b = g.typed_weight("w3_q4", &[d, d / 32, 16], dtype::UINT8);
            let sc = g.weight("w3_scales", &[d * d / 32]);
            out = g.node_in(
                "com.microsoft",
                "MatMulNBits",
                &[&out, &b, &sc],
                vec![
                    graphs::int("K", d),
                    graphs::int("N", d),
                    graphs::int("bits", 4),
                    graphs::int("block_size", 32),
                ],
            );
        }
        g.node_out("Identity", &[&out], &["y"], vec![]);
        describe(g.encode(17), &Options::default()).unwrap()
    };
    let d8 = int8(false);
    assert_eq!(d8.precision, Precision::Int8);
    assert_eq!(d8.graph.params, 2.0 * (d * d) as f64);
    assert_eq!(d8.weight_bytes, 2.0 * (d * d) as f64);
    let gemm8 = gemm_flops(&d8.graph.ops);
    assert_eq!(gemm8, 2.0 * 2.0 * (rows * d * d) as f64);
    let d4 = int8(true);
    // The packed 4-bit matrix counts K x N weights (not its bytes); its scales are fp32 parameters.
    assert_eq!(d4.graph.params, 3.0 * (d * d) as f64 + (d * d / 32) as f64);
    assert_eq!(
        d4.precision,
        Precision::Int8,
        "the precision most parameters are stored in: 2 d² int8 against d² int4"
    );
    assert_eq!(d4.op_types.get("com.microsoft:MatMulNBits"), Some(&1));
    let gemm4 = gemm_flops(&d4.graph.ops);
    assert_eq!(gemm4, 3.0 * 2.0 * (rows * d * d) as f64);
}

#[test]
fn bad_graphs_in_entries_are_typed_errors() {
    let d = describe(graphs::small_cnn("1"), &Options::default()).unwrap();
    let entry = serde_json::to_value(DescriptionDto::from(&d).entry).unwrap();
    let check = |mutate: &dyn Fn(&mut serde_json::Value), field: &str| {
        let mut e = entry.clone();
        mutate(&mut e);
        let text = serde_json::json!([e]).to_string();
        match wire::parse_workload(&text) {
            Err(Error::InvalidValue { field: f, .. }) | Err(Error::Missing { field: f, .. }) => {
                assert_eq!(f, field)
            }
            other => panic!("{field}: {other:?}"),
        }
    };
    check(&|e| e["graph"]["ops"][0]["class"] = "conv".into(), "models[0].graph.ops[0].class");
    check(&|e| e["graph"]["ops"][1]["flops"] = (-1.0).into(), "models[0].graph.ops[1].flops");
    check(&|e| e["graph"]["ops"][0]["repeat"] = 0.into(), "models[0].graph.ops[0].repeat");
    check(&|e| e["graph"]["items"] = 0.into(), "models[0].graph.items");
    check(&|e| e["graph"]["ops"] = serde_json::json!([]), "models[0].graph.ops");
}

#[test]
fn what_cannot_be_described_says_why() {
    let malformed = describe(vec![0xff, 0xff, 0xff, 0x07], &Options::default());
    assert!(
        matches!(malformed, Err(Error::Malformed { ref what, .. }) if what == "ONNX file"),
        "{malformed:?}"
    );
    match describe(bert_base("batch", "tokens_mystery", false), &Options::default()) {
        Ok(d) => assert_eq!(d.dims[1], ("tokens_mystery".to_string(), 128, DimSource::Default)),
        Err(e) => panic!("{e}"),
    }
    match describe(bert_base("batch", "q", false), &Options::default()) {
        Err(Error::Missing { field, allowed }) => {
            assert_eq!(field, "dims.q");
            assert!(allowed.contains("--dim q=N"), "{allowed}");
        }
        other => panic!("{other:?}"),
    }
    // An operator this reader does not know: an error naming it, or, when the file stores its output's
    // shape, a memory-bound stand-in with a warning.
    let unknown = |declared: bool| {
        let mut g = graphs::Builder::default();
        g.inputs.push(graphs::value_info("x", 1, &["2", "8"]));
        let w = g.weight("w", &[8, 8]);
        let y = g.node("MatMul", &["x", &w], vec![]);
        g.node_out("Einsum", &[&y], &["z"], vec![]);
        if declared {
            g.value_info.push(graphs::value_info("z", 1, &["2", "8"]));
        }
        describe(g.encode(17), &Options::default())
    };
    match unknown(false) {
        Err(Error::InvalidValue { field, value, .. }) => {
            assert!(field.starts_with("graph.node[1] (Einsum"), "{field}");
            assert!(value.contains("Einsum is not supported"), "{value}");
        }
        other => panic!("{other:?}"),
    }
    let d = unknown(true).unwrap();
    assert!(d.warnings.iter().any(|w| w.contains("Einsum")), "{:?}", d.warnings);
}

#[test]
fn mmperf_describe_prints_a_table_an_entry_and_json() {
    let dir = files::scratch("onnx-describe");
    let path = dir.join("bert.onnx");
    std::fs::write(&path, bert_base("batch", "sequence", true)).unwrap();
    let p = path.to_str().unwrap();
    let run =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_mmperf")).args(args).output().unwrap();
    let table = run(&["describe", p, "--sequence-length", "64"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(0), "{}", String::from_utf8_lossy(&table.stderr));
    assert!(text.contains("109.48 M parameters (fp32)"), "{text}");
    assert!(text.contains("dim   sequence = 64"), "{text}");
    let entry = run(&["describe", p, "--entry", "--batch-size", "2"]);
    let e: serde_json::Value = serde_json::from_slice(&entry.stdout).unwrap();
    assert_eq!((e["model_name"].as_str(), e["batch_size"].as_f64()), (Some("bert"), Some(2.0)));
    let wl = files::write(&dir, "wl.json", &serde_json::json!([e]).to_string());
    let predicted = run(&["predict", &wl, "--hardware", "cpu", "--json"]);
    assert_eq!(predicted.status.code(), Some(0), "{}", String::from_utf8_lossy(&predicted.stderr));
    let bad = run(&["describe", p, "--dim", "sequence"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NAME=VALUE"));
    let missing = run(&["describe", "no-such.onnx"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// The ONNX files the JS tests describe in wasm (`tests/js/native-vs-wasm.test.mjs`), built here; set
/// `MMPERF_UPDATE_FIXTURES=1` to write them after changing a builder.
#[test]
fn the_committed_onnx_fixtures_are_the_builders_output() {
    let dir = files::manifest_dir().join("tests/data/onnx");
    for (name, bytes) in [
        (
            "bert-2layer.onnx",
            graphs::Bert {
                layers: 2,
                d: 128,
                heads: 2,
                ff: 512,
                vocab: 1000,
                positions: 64,
                dynamic_reshape: true,
                fused_qkv: false,
            }
            .encode("batch_size", "sequence_length"),
        ),
        ("small-cnn.onnx", graphs::small_cnn("batch")),
    ] {
        let path = dir.join(name);
        if std::env::var_os("MMPERF_UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} differs from its builder: MMPERF_UPDATE_FIXTURES=1 cargo test --test onnx",
            path.display()
        );
        describe(bytes, &Options::default()).unwrap();
    }
}

#[test]
fn element_wise_groups_carry_the_activation_function_they_compute() {
    // The BERT graph's FFN computes GELU with an error function (x · (1 + erf(x / √2)) / 2): one GELU
    // epilogue per layer, and the pooler's tanh counts alike (an exponential per element); its other
    // element-wise groups (residual adds, scaling) are plain.
    let d = describe(bert_base("1", "128", false), &Options::default()).unwrap();
    let gelu: Vec<_> = d.graph.ops.iter().filter(|o| o.activation == Activation::Gelu).collect();
    assert_eq!(gelu.len(), 2, "{:?}", d.graph.ops);
    assert_eq!(
        (gelu[0].class, gelu[0].repeat, gelu[0].out_elems),
        (OpClass::Epilogue, 12.0, 128.0 * 3072.0)
    );
    assert_eq!((gelu[1].repeat, gelu[1].out_elems), (1.0, 768.0));
    assert!(d
        .graph
        .ops
        .iter()
        .any(|o| o.class == OpClass::Epilogue && o.activation == Activation::None));
    // It survives the model entry's JSON, and a name outside the three is refused by field.
    let entry = serde_json::to_value(DescriptionDto::from(&d)).unwrap();
    let ops = entry["entry"]["graph"]["ops"].as_array().unwrap();
    assert_eq!(ops.iter().filter(|o| o["activation"] == "gelu").count(), 2);
    let mut bad = entry["entry"].clone();
    let i = ops.iter().position(|o| o["activation"] == "gelu").unwrap();
    bad["graph"]["ops"][i]["activation"] = serde_json::json!("relu");
    let e = wire::parse_workload(&serde_json::json!([bad]).to_string()).unwrap_err().to_string();
    assert!(
        e.contains(&format!("graph.ops[{i}].activation")) && e.contains("none, sigmoid or gelu"),
        "{e}"
    );
    // An attention's kernels over its scores are a small count, refused by field otherwise.
    let mut bad = entry["entry"].clone();
    let i = ops.iter().position(|o| o["class"] == "attention").unwrap();
    bad["graph"]["ops"][i]["score_kernels"] = serde_json::json!(-1);
    let e = wire::parse_workload(&serde_json::json!([bad]).to_string()).unwrap_err().to_string();
    assert!(e.contains(&format!("graph.ops[{i}].score_kernels")) && e.contains("0 to 16"), "{e}");
}

#[test]
fn one_value_read_by_many_element_wise_nodes_and_many_values_summed_are_one_group_each() {
    // Relu then 300 Muls, each reading the Relu's output: one epilogue that reads x and writes the last
    // product (64 elements each), computing one element per node and output element.
    let k = 300.0;
    let d = describe(graphs::fan_out(300), &Options::default()).unwrap();
    assert_eq!(d.nodes, 301);
    assert_eq!(d.graph.ops.len(), 1, "{:?}", d.graph.ops);
    let op = &d.graph.ops[0];
    assert_eq!((op.class, op.act_elems, op.out_elems), (OpClass::Epilogue, 128.0, 64.0));
    assert_eq!(op.flops, (k + 1.0) * 64.0);
    // 300 products summed by 299 Adds: the products (one GEMM, 300 times) and one epilogue that reads
    // every product once and writes the sum.
    let d = describe(graphs::fan_in(300), &Options::default()).unwrap();
    assert_eq!(d.nodes, 599);
    let gemm = d.graph.ops.iter().find(|o| o.class == OpClass::Gemm).unwrap();
    assert_eq!((gemm.m, gemm.n, gemm.k, gemm.repeat), (1.0, 64.0, 64.0, k));
    let sum = d.graph.ops.iter().find(|o| o.class == OpClass::Epilogue).unwrap();
    assert_eq!((sum.repeat, sum.out_elems), (1.0, 64.0));
    assert_eq!(sum.act_elems, k * 64.0 + 64.0);
    assert_eq!(sum.flops, (k - 1.0) * 64.0);
    assert_eq!(d.graph.ops.len(), 2, "{:?}", d.graph.ops);
}
