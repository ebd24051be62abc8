//! Writes small ONNX models with their weights (seeded values, no download) for the browser tests that run
//! them on onnxruntime-web (`tests/js/ort.test.mjs`): a 2-layer BERT-style encoder (width 128, 2 heads, FFN
//! 512, vocabulary 512, dynamic `batch_size` × `sequence_length`) and the small CNN of the Rust tests.
//! Usage: `cargo run --example onnx_models -- DIR` (scripts/test.sh writes them to target/onnx-models).

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
            graphs::bert_into(
                inline(),
                2,
                128,
                2,
                512,
                512,
                128,
                "batch_size",
                "sequence_length",
                true,
                false,
            ),
        ),
        ("cnn-small.onnx", graphs::small_cnn_into(inline(), "batch")),
    ];
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {dir}: {e}");
        return std::process::ExitCode::FAILURE;
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
