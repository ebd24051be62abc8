//! Writes small ONNX models with their weights (seeded values, no download) for the browser tests that run
//! them on onnxruntime-web (`tests/js/ort.test.mjs`): a 2-layer BERT-style encoder (width 128, 2 heads, FFN
//! 512, vocabulary 512, dynamic `batch_size` × `sequence_length`) and the small CNN of the Rust tests; and
//! the encoder again as a transformers.js local model folder (`transformers/bert-tiny/`: `config.json` and
//! `onnx/model.onnx`).
//! With `--chains`, also `chain-N.onnx` for N in 1, 64, 256: N element-wise `Add` nodes in a row on a
//! 1 × 16 float tensor, whose run time is the runtime's fixed costs alone (bench/web/overhead.mjs).
//! Usage: `cargo run --example onnx_models -- DIR [--chains]` (scripts/test.sh writes them to
//! target/onnx-models).

#[path = "../tests/support/onnx_graphs.rs"]
mod graphs;

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: onnx_models DIR");
        return std::process::ExitCode::from(2);
    };
    let inline = || graphs::Builder {
        inline: true,
        ..Default::default()
    };
    let models = [
        (
            "bert-tiny.onnx",
            graphs::Bert {
                layers: 2,
                d: 128,
                heads: 2,
                ff: 512,
                vocab: 512,
                positions: 128,
                dynamic_reshape: true,
                fused_qkv: false,
            }
            .encode_into(inline(), "batch_size", "sequence_length"),
        ),
        ("cnn-small.onnx", graphs::small_cnn_into(inline(), "batch")),
    ];
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {dir}: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let config = r#"{"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 128, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 512, "vocab_size": 512, "max_position_embeddings": 128, "type_vocab_size": 2}
"#;
    let folder = std::path::Path::new(&dir).join("transformers/bert-tiny/onnx");
    let files = [
        (folder.join("model.onnx"), models[0].1.clone()),
        (
            folder.with_file_name("config.json"),
            config.as_bytes().to_vec(),
        ),
    ];
    if let Err(e) = std::fs::create_dir_all(&folder) {
        eprintln!("cannot create {}: {e}", folder.display());
        return std::process::ExitCode::FAILURE;
    }
    for (path, bytes) in files {
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("cannot write {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    if std::env::args().any(|a| a == "--chains") {
        // MatMuls of 64 x 128 by 128 x 128 (2.1 MFLOP each): what a second WASM thread gains or costs per
        // kernel.
        for n in [1usize, 64] {
            let mut g = inline();
            g.inputs.push(graphs::value_info("x", 1, &["64", "128"]));
            let mut x = "x".to_string();
            for _ in 0..n {
                let w = g.weight("w", &[128, 128]);
                x = g.node("MatMul", &[&x, &w], vec![]);
            }
            g.node_out("Identity", &[&x], &["y"], vec![]);
            g.outputs.push(graphs::value_info("y", 1, &["64", "128"]));
            let path = std::path::Path::new(&dir).join(format!("matmul-chain-{n}.onnx"));
            if let Err(e) = std::fs::write(&path, g.encode(17)) {
                eprintln!("cannot write {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        }
        for n in [1usize, 64, 256] {
            let mut g = inline();
            g.inputs.push(graphs::value_info("x", 1, &["1", "16"]));
            let mut x = "x".to_string();
            for _ in 0..n {
                let b = g.weight("b", &[16]);
                x = g.node("Add", &[&x, &b], vec![]);
            }
            g.node_out("Identity", &[&x], &["y"], vec![]);
            g.outputs.push(graphs::value_info("y", 1, &["1", "16"]));
            let path = std::path::Path::new(&dir).join(format!("chain-{n}.onnx"));
            if let Err(e) = std::fs::write(&path, g.encode(17)) {
                eprintln!("cannot write {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    for (name, bytes) in models {
        let path = std::path::Path::new(&dir).join(name);
        if let Err(e) = std::fs::write(&path, &bytes) {
            eprintln!("cannot write {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
    std::process::ExitCode::SUCCESS
}
