//! Bad input never panics: the CLI exits with code 2 and one `error:` line naming the field and the value,
//! and the library returns a typed error naming the field. Huge and non-finite inputs are answered too.

#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

use multimodel_perf::predict::multi::{Strategy, Target};
use multimodel_perf::wire::{self, ConstraintsDto, ModelEntryDto};
use multimodel_perf::MultiModelPredictor;

#[path = "support/files.rs"]
mod files;
use files::{scratch, seed, write};

/// Runs mmperf and checks the bad-input contract; returns the error line.
fn rejected(args: &[&str], mentions: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mmperf")).args(args).output().expect("run mmperf");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "mmperf {args:?} panicked: {stderr}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "mmperf {args:?}: exit status {:?}, stderr: {stderr}",
        out.status
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "mmperf {args:?}: expected one stderr line, got {lines:?}");
    let line = lines[0];
    assert!(line.starts_with("error:"), "{line}");
    for m in mentions {
        assert!(line.contains(m), "mmperf {args:?}: '{line}' does not mention '{m}'");
    }
    line.to_string()
}

/// Writes `workload` and runs `predict` on it.
fn rejected_workload(test: &str, workload: &str, mentions: &[&str]) -> String {
    let dir = scratch(test);
    let path = write(&dir, "workload.json", workload);
    rejected(&["predict", &path, "--json"], mentions)
}

#[test]
fn an_empty_model_list_is_rejected() {
    rejected_workload("empty-list", "[]", &["models: []"]);
    rejected_workload("empty-object", r#"{"models": []}"#, &["models: []"]);
}

#[test]
fn bad_batch_sizes_are_rejected() {
    for (test, value) in [("batch-0", "0"), ("batch-neg", "-1"), ("batch-frac", "1.5")] {
        rejected_workload(
            test,
            &format!(r#"[{{"model_name": "bert-base-uncased", "batch_size": {value}}}]"#),
            &[&format!("models[0].batch_size: {value} ")],
        );
    }
}

#[test]
fn a_negative_sequence_length_is_rejected() {
    rejected_workload(
        "seq-neg",
        r#"[{"model_name": "gpt2"}, {"model_name": "bert-base-uncased", "sequence_length": -5}]"#,
        &["models[1].sequence_length: -5 "],
    );
}

#[test]
fn an_unknown_precision_is_rejected() {
    rejected_workload(
        "precision",
        r#"[{"model_name": "bert-base-uncased", "precision": "fp12"}]"#,
        &["models[0].precision: fp12 "],
    );
}

#[test]
fn an_unknown_head_or_a_head_on_a_model_without_one_is_rejected() {
    rejected_workload(
        "head-unknown",
        r#"[{"model_name": "bert-base-uncased", "head": "classifier"}]"#,
        &["models[0].head: classifier ", "masked-lm"],
    );
    rejected_workload(
        "head-cnn",
        r#"[{"model_name": "bert-base-uncased"}, {"model_name": "resnet-50", "head": "masked-lm"}]"#,
        &["models[1].head: masked-lm ", "vision", "encoder"],
    );
}

#[test]
fn an_unknown_memory_format_is_rejected_with_the_two_it_takes() {
    rejected_workload(
        "memory-format",
        r#"[{"model_name": "resnet-50", "memory_format": "nhcw"}]"#,
        &["models[0].memory_format: nhcw ", "contiguous", "channels_last"],
    );
}

#[test]
fn a_memory_format_is_read_under_either_name_and_kept_when_stored() {
    let predictor = MultiModelPredictor::default();
    let target = Target::new("cuda:a100-40gb").unwrap();
    let entry = |extra: &str| {
        format!(r#"[{{"model_name": "resnet-50", "batch_size": 64, "precision": "fp16"{extra}}}]"#)
    };
    let latency = |json: &str| {
        let parsed = wire::parse_workload(json).unwrap();
        predictor
            .predict(&parsed.workload, &target, Strategy::Parallel)
            .unwrap()
            .combined_latency_ms
    };
    // PyTorch on a CUDA GPU: the channels-last model skips the NCHW transposes.
    let (nchw, nhwc) =
        (latency(&entry("")), latency(&entry(r#", "memory_format": "channels_last""#)));
    assert!(nhwc < nchw, "{nhwc} vs {nchw}");
    assert_eq!(latency(&entry(r#", "memoryFormat": "NHWC""#)), nhwc);
    assert_eq!(latency(&entry(r#", "memory_format": "contiguous""#)), nchw);
    // A stored entry (a measurement's) writes it under its canonical name.
    let parsed = wire::parse_workload(&entry(r#", "memory_format": "nhwc""#)).unwrap();
    let stored = ModelEntryDto::from(&parsed.workload.models[0]);
    assert_eq!(stored.memory_format.as_deref(), Some("channels_last"));
}

#[test]
fn an_unknown_attention_is_rejected_with_the_two_it_takes() {
    rejected_workload(
        "attention",
        r#"[{"model_name": "bert-base-uncased", "attn_implementation": "fastest"}]"#,
        &["models[0].attention: fastest ", "fused", "unfused", "eager"],
    );
}

#[test]
fn unfused_attention_writes_the_scores_out_and_is_read_under_hugging_faces_names() {
    let predictor = MultiModelPredictor::default();
    let target = Target::new("cuda:a100-80gb").unwrap();
    let entry = |extra: &str| {
        format!(
            r#"[{{"model_name": "bert-large-uncased", "batch_size": 32, "sequence_length": 384,
                 "precision": "fp16"{extra}}}]"#
        )
    };
    let predict = |json: &str| {
        let parsed = wire::parse_workload(json).unwrap();
        predictor.predict(&parsed.workload, &target, Strategy::Parallel).unwrap()
    };
    // PyTorch on an A100 runs attention fused (scaled_dot_product_attention) unless the entry says otherwise.
    let (default, fused, unfused) = (
        predict(&entry("")),
        predict(&entry(r#", "attention": "fused""#)),
        predict(&entry(r#", "attention": "unfused""#)),
    );
    assert_eq!(default.combined_latency_ms, fused.combined_latency_ms);
    assert!(fused.warnings.is_empty(), "{:?}", fused.warnings);
    // Unfused: the scale and the softmax read and write the 32 x 16 x 384 x 384 fp16 scores of each of the
    // 24 layers (144 MiB a layer) apart from the products: slower, and the softmax holds its input and output
    // scores at once, more than any kernel of the fused model holds.
    let scores_mb = 32.0 * 16.0 * 384.0 * 384.0 * 2.0 / (1024.0 * 1024.0);
    assert!(unfused.combined_latency_ms > fused.combined_latency_ms * 1.1);
    let activations = |p: &multimodel_perf::predict::multi::MultiPrediction| {
        p.models[0].solo.memory.activations_mb
    };
    assert!(activations(&unfused) >= 2.0 * scores_mb, "{}", activations(&unfused));
    assert!(activations(&fused) < 2.0 * scores_mb, "{}", activations(&fused));
    assert!(unfused.models[0].memory_mb > fused.models[0].memory_mb);
    for name in [r#", "attn_implementation": "eager""#, r#", "attnImplementation": "EAGER""#] {
        assert_eq!(predict(&entry(name)).combined_latency_ms, unfused.combined_latency_ms);
    }
    assert_eq!(
        predict(&entry(r#", "attention": "sdpa""#)).combined_latency_ms,
        fused.combined_latency_ms
    );
    // A stored entry (a measurement's) writes it under its canonical name.
    let parsed = wire::parse_workload(&entry(r#", "attn_implementation": "eager""#)).unwrap();
    let stored = ModelEntryDto::from(&parsed.workload.models[0]);
    assert_eq!(stored.attention.as_deref(), Some("unfused"));
}

#[test]
fn an_option_that_changes_nothing_says_so() {
    let predictor = MultiModelPredictor::default();
    let warnings = |target: &str, json: &str| {
        let parsed = wire::parse_workload(json).unwrap();
        let target = Target::new(target).unwrap();
        predictor.predict(&parsed.workload, &target, Strategy::Parallel).unwrap().warnings
    };
    let resnet = r#"[{"model_name": "resnet-50", "batch_size": 8, "precision": "fp16",
                      "memory_format": "channels_last", "attention": "unfused"}]"#;
    // TensorRT chooses its own layouts, and ResNet-50 has no attention.
    let w = warnings("cuda:a100-80gb", &resnet.replace('}', r#", "runtime": "tensorrt"}"#));
    assert!(
        w.iter().any(|w| w.contains(
            "memory_format channels_last changes nothing in this prediction under tensorrt"
        )),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("attention unfused changes nothing: the model has no attention")),
        "{w:?}"
    );
    // Under PyTorch the memory format acts on the GPU's tensor-core convolutions: no warning for it.
    let w = warnings("cuda:a100-80gb", resnet);
    assert!(!w.iter().any(|w| w.contains("memory_format")), "{w:?}");
    // BERT has no 2-D convolution for a memory format to act on.
    let bert = r#"[{"model_name": "bert-base-uncased", "memory_format": "nhwc"}]"#;
    let w = warnings("cuda:a100-80gb", bert);
    assert!(w.iter().any(|w| w.contains("memory_format channels_last changes nothing")), "{w:?}");
    // Transformers.js on WebGPU has no fused attention kernel: a fused entry is predicted unfused, and says so.
    let fused = r#"[{"model_name": "bert-base-uncased", "attention": "fused"}]"#;
    let w = warnings("webgpu:discrete", fused);
    assert!(w.iter().any(|w| w.contains("transformersjs has no fused attention kernel")), "{w:?}");
    // There an unfused entry changes nothing either, and says so; under PyTorch on a GPU it does, silently.
    let unfused = r#"[{"model_name": "bert-base-uncased", "attention": "eager"}]"#;
    let w = warnings("webgpu:discrete", unfused);
    assert!(w.iter().any(|w| w.contains("transformersjs runs attention unfused")), "{w:?}");
    assert!(!warnings("cuda:a100-80gb", unfused).iter().any(|w| w.contains("attention")));
    // PyTorch on a CPU copies an NCHW model's convolutions into oneDNN's layout: a memory format acts there.
    let cpu =
        r#"[{"model_name": "resnet-50", "runtime": "pytorch", "memory_format": "channels_last"}]"#;
    assert!(!warnings("cpu", cpu).iter().any(|w| w.contains("memory_format")));
}

#[test]
fn an_unknown_model_without_a_hint_is_rejected() {
    rejected_workload(
        "unknown-model",
        r#"[{"model_name": "foo"}]"#,
        &["models[0].model_name: foo "],
    );
}

#[test]
fn an_unknown_device_on_an_entry_is_rejected_naming_the_entry() {
    rejected_workload(
        "unknown-device",
        r#"[{"model_name": "gpt2"}, {"model_name": "bert-base-uncased", "device": "cuda:gtx480"}]"#,
        &["models[1].device: cuda:gtx480 "],
    );
}

#[test]
fn model_and_runtime_names_are_found_whatever_their_case() {
    let predictor = MultiModelPredictor::default();
    let target = Target::new("cpu").unwrap();
    let predict = |json: &str| {
        let parsed = wire::parse_workload(json).unwrap();
        let p = predictor.predict(&parsed.workload, &target, Strategy::Parallel).unwrap();
        (p.combined_latency_ms, p.models[0].runtime.clone())
    };
    let lower = predict(r#"[{"model_name": "bert-base-uncased", "runtime": "onnxruntime"}]"#);
    let mixed = predict(r#"[{"model_name": "Google-BERT/BERT-Base-Uncased", "runtime": " ORT "}]"#);
    assert_eq!(lower, mixed);
    assert_eq!(&*lower.1, "onnxruntime");
}

#[test]
fn unknown_strategy_and_goal_are_rejected() {
    rejected(&["predict", &seed(), "--strategy", "diagonal"], &["strategy: diagonal "]);
    rejected(&["schedule", &seed(), "--strategy", "diagonal"], &["strategy: diagonal "]);
    rejected(&["recommend", &seed(), "--goal", "happiness"], &["goal: happiness "]);
}

#[test]
fn unknown_hardware_is_rejected() {
    rejected(&["predict", &seed(), "--hardware", "tpu"], &["hardware: tpu "]);
    rejected(&["predict", &seed(), "--hardware", "cuda:gtx480"], &["hardware: cuda:gtx480 "]);
}

#[test]
fn unknown_or_misplaced_runtimes_are_rejected() {
    rejected(&["predict", &seed(), "--runtime", "warpdrive"], &["runtime: warpdrive "]);
    rejected(
        &["predict", &seed(), "--runtime", "tensorrt", "--hardware", "cpu"],
        &["runtime: tensorrt ", "cpu"],
    );
}

#[test]
fn malformed_json_is_rejected_with_its_position() {
    rejected_workload("malformed", "[{\"model_name\": }", &["malformed workload", "line 1"]);
}

#[test]
fn bad_constraints_are_rejected() {
    rejected_workload(
        "max-memory",
        r#"{"models": [{"model_name": "gpt2"}], "constraints": {"max_memory": -100}}"#,
        &["constraints.max_memory: -100 "],
    );
    rejected_workload(
        "max-compute",
        r#"{"models": [{"model_name": "gpt2"}], "constraints": {"max_compute": 2}}"#,
        &["constraints.max_compute: 2 "],
    );
}

#[test]
fn a_missing_workload_file_is_rejected() {
    let dir = scratch("missing");
    let missing = dir.join("no-such-workload.json");
    let missing = missing.to_string_lossy().into_owned();
    rejected(&["predict", &missing], &["workload", &missing]);
}

#[test]
fn ten_thousand_identical_models_share_their_weights() {
    const N: usize = 10_000;
    let entries = vec![r#"{"model_name": "bert-base-uncased"}"#; N].join(",");
    let parsed = wire::parse_workload(&format!("[{entries}]")).expect("10,000 entries parse");
    let one = wire::parse_workload(r#"[{"model_name": "bert-base-uncased"}]"#).expect("one entry");
    let target = Target::new("cuda:h100-sxm").expect("catalog device");
    let predictor = MultiModelPredictor::default();
    let p = predictor
        .predict(&parsed.workload, &target, Strategy::Parallel)
        .expect("10,000 models are predicted");
    let alone = predictor
        .predict(&one.workload, &target, Strategy::Parallel)
        .expect("one model is predicted");
    assert_eq!(p.models.len(), N);
    // Identical weights count once, with the runtime's copies of them: all but one model share them.
    let weights = alone.models[0].solo.memory.resident_mb();
    assert!(weights > 100.0, "bert-base weights {weights} MB");
    let sharing = p.models.iter().filter(|m| m.shared_mb == weights).count();
    assert_eq!(sharing, N - 1);
    let saved = p.sharing.memory_saved_mb;
    let expected = (N - 1) as f64 * weights;
    assert!(
        (saved - expected).abs() <= 1e-9 * expected,
        "saved {saved} MB, expected {} × {weights} MB",
        N - 1
    );
    // Each extra copy adds at most what one model needs besides its weights.
    let bound = alone.combined_memory_mb + (N - 1) as f64 * (alone.combined_memory_mb - weights);
    assert!(
        p.combined_memory_mb <= bound * (1.0 + 1e-9),
        "combined memory {} MB exceeds one model ({} MB) plus {} copies without weights",
        p.combined_memory_mb,
        alone.combined_memory_mb,
        N - 1
    );
    assert!(
        p.combined_memory_mb < N as f64 * weights / 2.0,
        "combined memory {} MB is not far below {N} × {weights} MB of weights",
        p.combined_memory_mb
    );
    assert!(p.combined_memory_mb > alone.combined_memory_mb);
    assert!(
        p.combined_latency_ms.is_finite() && p.combined_latency_ms >= alone.combined_latency_ms
    );
}

#[test]
fn non_finite_numbers_name_the_field() {
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let entry = || ModelEntryDto {
            model_name: Some("bert-base-uncased".to_string()),
            ..ModelEntryDto::default()
        };
        let cases: [(&str, ModelEntryDto); 6] = [
            ("models[0].batch_size", ModelEntryDto { batch_size: Some(x), ..entry() }),
            ("models[0].sequence_length", ModelEntryDto { sequence_length: Some(x), ..entry() }),
            ("models[0].image_size", ModelEntryDto { image_size: Some(x), ..entry() }),
            ("models[0].audio_seconds", ModelEntryDto { audio_seconds: Some(x), ..entry() }),
            ("models[0].threads", ModelEntryDto { threads: Some(x), ..entry() }),
            (
                "models[0].params",
                ModelEntryDto {
                    model_name: Some("in-house".to_string()),
                    params: Some(x),
                    ..entry()
                },
            ),
        ];
        for (field, dto) in cases {
            let err = dto
                .into_spec("models[0]")
                .expect_err(&format!("{field} = {x} accepted"))
                .to_string();
            assert!(err.contains(field), "{field} = {x}: {err}");
        }
        for (field, dto) in [
            ("constraints.max_memory", ConstraintsDto { max_memory: Some(x), max_compute: None }),
            ("constraints.max_compute", ConstraintsDto { max_memory: None, max_compute: Some(x) }),
        ] {
            let err =
                dto.into_constraints().expect_err(&format!("{field} = {x} accepted")).to_string();
            assert!(err.contains(field), "{field} = {x}: {err}");
        }
    }
}
