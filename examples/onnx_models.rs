//! Writes small ONNX models with their weights (seeded values, no download) for the browser tests that run
//! them on onnxruntime-web (`tests/js/ort.test.mjs`): a 2-layer BERT-style encoder (width 128, 2 heads, FFN
//! 512, vocabulary 512, dynamic `batch_size` × `sequence_length`) and the small CNN of the Rust tests; and
//! the encoder again as a transformers.js local model folder (`transformers/bert-tiny/`: `config.json` and
//! `onnx/model.onnx`).
//! With `--chains`, also `chain-N.onnx` for N in 1, 64, 256: N element-wise `Add` nodes in a row on a
//! 1 × 16 float tensor, whose run time is the runtime's fixed costs alone (bench/web/overhead.mjs), and
//! `matmul-chain-N.onnx` for N in 1, 64: N MatMuls of 64 × 128 by 128 × 128 (2.1 MFLOP each), what a second
//! WASM thread gains or costs per kernel (bench/web/threads.mjs); and `gemm-M.onnx` for M in 512 and 16: 8
//! MatMuls of M × 768 by 768 × 768, each with its own weights (19 MB in all), the shapes `mmperf calibrate`
//! and `measureWasmGemm` time, so onnxruntime-web's GEMM rate compares with the tuned GEMM's in the same page
//! (bench/web/gemm.mjs).
//! Usage: `cargo run --example onnx_models -- DIR [--chains]` (scripts/test.sh writes them to
//! target/onnx-models).

use std::path::{Path, PathBuf};

#[path = "../tests/support/onnx_graphs.rs"]
mod graphs;

/// transformers.js's config for the encoder (`model_type` picks its BertModel class).
const BERT_TINY_CONFIG: &str = r#"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 128, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 512, "vocab_size": 512, "max_position_embeddings": 128, "type_vocab_size": 2}
"#;

fn inline() -> graphs::Builder {
    graphs::Builder { inline: true, ..Default::default() }
}

/// `n` nodes of `op` in a row on a `rows × cols` input, each with its own `weight`-shaped second operand.
fn chain(op: &str, n: usize, rows: i64, cols: i64, weight: &[i64]) -> Vec<u8> {
    let mut g = inline();
    let dims = [rows.to_string(), cols.to_string()];
    let dims = [dims[0].as_str(), dims[1].as_str()];
    g.inputs.push(graphs::value_info("x", 1, &dims));
    let mut x = "x".to_string();
    for _ in 0..n {
        let w = g.weight("w", weight);
        x = g.node(op, &[&x, &w], vec![]);
    }
    g.node_out("Identity", &[&x], &["y"], vec![]);
    g.outputs.push(graphs::value_info("y", 1, &dims));
    g.encode(17)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: onnx_models DIR [--chains]");
        return std::process::ExitCode::from(2);
    };
    let bert = graphs::Bert {
        layers: 2,
        d: 128,
        heads: 2,
        ff: 512,
        vocab: 512,
        positions: 128,
        dynamic_reshape: true,
        fused_qkv: false,
    }
    .encode_into(inline(), "batch_size", "sequence_length");
    let folder = dir.join("transformers/bert-tiny");
    let mut files = vec![
        (folder.join("onnx/model.onnx"), bert.clone()),
        (folder.join("config.json"), BERT_TINY_CONFIG.as_bytes().to_vec()),
        (dir.join("bert-tiny.onnx"), bert),
        (dir.join("cnn-small.onnx"), graphs::small_cnn_into(inline(), "batch")),
    ];
    if std::env::args().any(|a| a == "--chains") {
        for n in [1, 64] {
            files.push((
                dir.join(format!("matmul-chain-{n}.onnx")),
                chain("MatMul", n, 64, 128, &[128, 128]),
            ));
        }
        for n in [1, 64, 256] {
            files.push((dir.join(format!("chain-{n}.onnx")), chain("Add", n, 1, 16, &[16])));
        }
        for m in [512, 16] {
            files.push((
                dir.join(format!("gemm-{m}.onnx")),
                chain("MatMul", 8, m, 768, &[768, 768]),
            ));
        }
    }
    for (path, bytes) in &files {
        if let Err(e) = write(path, bytes) {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
    std::process::ExitCode::SUCCESS
}
