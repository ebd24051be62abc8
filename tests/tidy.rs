//! Layout rules the compiler cannot check: the core stays platform-free, every source file says what it is
//! for, and no test is skipped or expected to panic.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn core_modules_are_platform_free() {
    const CORE: [&str; 12] = [
        "src/onnx",
        "src/bench.rs",
        "src/serve",
        "src/catalog",
        "src/predict",
        "src/sim",
        "src/plan",
        "src/calibrate",
        "src/run",
        "src/workload",
        "src/wire.rs",
        "src/wire",
    ];
    const FORBIDDEN: [&str; 8] = [
        "wasm_bindgen",
        "web_sys",
        "js_sys",
        "std::fs",
        "Instant::now",
        "SystemTime",
        "thread::spawn",
        "std::process",
    ];
    let mut files = Vec::new();
    for c in CORE {
        let p = root().join(c);
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else if p.is_file() {
            files.push(p);
        }
    }
    assert!(files.len() > 5, "core files not found");
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        for word in FORBIDDEN {
            assert!(
                !text.contains(word),
                "{} uses {word}: the core must stay platform-free",
                f.display()
            );
        }
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("//!"), "{} does not start with a //! doc comment", f.display());
    }
}

#[test]
fn no_test_is_ignored_or_expected_to_panic() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    let ignore = ["#[", "ignore]"].concat();
    let should_panic = ["#[", "should_panic"].concat();
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains(&ignore) && !text.contains(&should_panic),
            "{} skips a test or expects a panic",
            f.display()
        );
    }
}

#[test]
fn serde_shapes_live_in_wire() {
    let declares_serde = |text: &str| {
        text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("#[derive(") && (l.contains("Serialize") || l.contains("Deserialize"))
        })
    };
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for f in files {
        let rel = f.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let in_wire = rel == "src/wire.rs" || rel.starts_with("src/wire/");
        assert!(
            in_wire || !declares_serde(&fs::read_to_string(&f).unwrap()),
            "{rel} declares serde types: JSON shapes belong in src/wire/"
        );
    }
}

#[test]
fn core_layers_import_only_downwards() {
    // catalog < sim < predict (one model, a plan's schedule, the grouping search) < plan (the recommendation).
    // Doc comments may point anywhere; code before a file's test module may not reach a layer above its own.
    const LAYERS: [&str; 4] = ["catalog", "sim", "predict", "plan"];
    // Modules above every core layer.
    const TOP: [&str; 7] = ["calibrate", "run", "serve", "wire", "api", "web", "native"];
    for (k, layer) in LAYERS.iter().enumerate() {
        let forbidden: Vec<&str> = LAYERS[k + 1..].iter().chain(&TOP).copied().collect();
        let dir = format!("src/{layer}");
        let mut files = Vec::new();
        rust_files(&root().join(&dir), &mut files);
        assert!(!files.is_empty(), "{dir}: no files");
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for m in &forbidden {
                    assert!(
                        !line.contains(&format!("crate::{m}::"))
                            && !line.contains(&format!("crate::{m};")),
                        "{} reaches up into {m}: {line}",
                        f.display()
                    );
                }
            }
        }
    }
}

#[test]
fn typescript_of_data_shapes_is_generated() {
    // The package's data shapes come from the DTOs (`src/wire/ts.rs` writes `src/web/generated.d.ts`); the
    // TypeScript written by hand is for JS values serde never sees: options read key by key, functions, and
    // objects holding buffers.
    const BY_HAND: [&str; 7] = [
        "PredictorOptions",
        "ExecutorInputs",
        "Executor",
        "WorkerOptions",
        "RegisterOptions",
        "SharedTensor",
        "ShareTensorOptions",
    ];
    let declared = |text: &str| -> Vec<String> {
        let mut names = Vec::new();
        for kw in ["export interface ", "export type "] {
            for (i, _) in text.match_indices(kw) {
                let rest = &text[i + kw.len()..];
                let end =
                    rest.find(|c: char| !c.is_alphanumeric() && c != '_').unwrap_or(rest.len());
                names.push(rest[..end].to_owned());
            }
        }
        names
    };
    let generated = fs::read_to_string(root().join("src/web/generated.d.ts")).unwrap();
    let generated_names = declared(&generated);
    assert!(generated_names.len() > 100, "generated.d.ts declares {} types", generated_names.len());
    let types = fs::read_to_string(root().join("src/web/types.rs")).unwrap();
    assert!(
        types.contains("include_str!(\"generated.d.ts\")"),
        "web/types.rs no longer includes generated.d.ts"
    );
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        for section in text.split("typescript_custom_section").skip(1) {
            let Some(start) = section.find("r#\"") else {
                continue;
            };
            let body =
                &section[start..section[start..].find("\"#").map_or(section.len(), |e| start + e)];
            for name in declared(body) {
                assert!(
                    BY_HAND.contains(&name.as_str()) && !generated_names.contains(&name),
                    "{} writes the TypeScript of `{name}` by hand: derive it on the DTO in src/wire/ (src/wire/ts.rs)",
                    f.display()
                );
            }
        }
    }
}
