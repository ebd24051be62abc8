//! The `mmperf` binary end to end: JSON shapes the JavaScript API shares, determinism, order independence,
//! table output, catalog listings, Chrome traces, key spellings and custom hardware profiles.

#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/files.rs"]
mod files;
use files::{scratch, seed, write};

fn mmperf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmperf")).args(args).output().expect("run mmperf")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = mmperf(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "mmperf {args:?} failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn ok_json(args: &[&str]) -> Value {
    let stdout = ok(args);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("mmperf {args:?}: not JSON ({e}): {stdout}"))
}

fn num(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number in {v}"))
}

fn array<'a>(v: &'a Value, path: &str) -> &'a Vec<Value> {
    v.pointer(path)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{path} is not an array in {v}"))
}

const SEED_MODELS: [&str; 3] = ["bert-base-uncased", "vit-base-patch16-224", "t5-small"];

#[test]
fn predict_json_has_the_seed_shape_and_consistent_totals() {
    let v = ok_json(&["predict", &seed(), "--json"]);
    for key in ["combinedThroughput", "combinedLatency", "combinedMemory"] {
        let x = num(&v, &format!("/totalMetrics/{key}"));
        assert!(x.is_finite() && x > 0.0, "totalMetrics.{key} = {x}");
    }
    assert!(v.pointer("/totalMetrics/feasible").is_some_and(Value::is_boolean));

    let individual = array(&v, "/individualPredictions");
    assert_eq!(individual.len(), SEED_MODELS.len());
    let names: Vec<&str> = individual
        .iter()
        .map(|m| m["modelName"].as_str().expect("modelName is a string"))
        .collect();
    assert_eq!(names, SEED_MODELS, "individualPredictions keep the user's order");
    for m in individual {
        for key in ["latency", "throughput", "memory"] {
            let x = m[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {m}"));
            assert!(x.is_finite() && x > 0.0, "{key} = {x} in {m}");
        }
    }

    for key in ["computeContention", "memoryBandwidthContention", "memoryContention"] {
        let x = num(&v, &format!("/contentionFactors/{key}"));
        assert!(x.is_finite() && x >= 0.0, "contentionFactors.{key} = {x}");
    }
    assert!(v["sharingBenefits"].is_object(), "sharingBenefits: {v}");

    let timeline = array(&v, "/executionSchedule/timeline");
    assert_eq!(timeline.len(), SEED_MODELS.len());
    let mut last_end: f64 = 0.0;
    for bar in timeline {
        assert!(SEED_MODELS.contains(&bar["model"].as_str().expect("model")), "{bar}");
        let (start, end, duration) = (
            bar["startTime"].as_f64().expect("startTime"),
            bar["endTime"].as_f64().expect("endTime"),
            bar["duration"].as_f64().expect("duration"),
        );
        assert!(start >= 0.0 && end > start, "{bar}");
        assert!((end - start - duration).abs() <= 2e-4, "{bar}");
        last_end = last_end.max(end);
    }
    let total = num(&v, "/executionSchedule/totalExecutionTime");
    assert_eq!(total, num(&v, "/totalMetrics/combinedLatency"));
    assert_eq!(total, last_end, "the last bar ends at the makespan");

    assert_eq!(v["executionStrategy"], "parallel");
    assert_eq!(v["hardwarePlatform"], "cuda:a100-40gb", "the seed's 'cuda' is the A100 default");
    assert!(v["warnings"].is_array(), "warnings: {v}");
}

#[test]
fn predict_ops_shows_where_each_models_time_alone_goes() {
    let v = ok_json(&["predict", &seed(), "--hardware", "cpu", "--ops", "--json"]);
    let individual = array(&v, "/prediction/individualPredictions");
    let operators = array(&v, "/operators");
    assert_eq!(operators.len(), SEED_MODELS.len());
    for (m, parts) in individual.iter().zip(operators) {
        let parts = parts.as_array().expect("one array per model");
        let sum: f64 = parts.iter().map(|o| o["ms"].as_f64().expect("ms")).sum();
        // The kinds add up to the model's latency alone (each rounded to 4 decimals).
        let latency = m["soloLatency"].as_f64().expect("soloLatency");
        assert!((sum - latency).abs() <= 1e-3 * latency, "{parts:?} against {latency}");
        assert!(parts.iter().any(|o| o["kind"] == "matmul"), "{parts:?}");
    }
    let table = ok(&["predict", &seed(), "--hardware", "cpu", "--ops"]);
    for name in SEED_MODELS {
        assert!(
            table.contains(&format!("{name} alone, 8 thread(s): where the predicted")),
            "{table}"
        );
    }
}

#[test]
fn predict_twice_gives_identical_bytes() {
    let a = ok(&["predict", &seed(), "--json"]);
    let b = ok(&["predict", &seed(), "--json"]);
    assert_eq!(a, b);
    let a = ok(&["recommend", &seed(), "--json"]);
    let b = ok(&["recommend", &seed(), "--json"]);
    assert_eq!(a, b);
}

#[test]
fn a_reordered_workload_gives_identical_totals() {
    let dir = scratch("reordered");
    let reordered = write(
        &dir,
        "reordered.json",
        r#"{"hardware": "cuda", "models": [
            {"model_name": "t5-small", "model_type": "text_generation", "batch_size": 2},
            {"model_name": "bert-base-uncased", "model_type": "text_embedding", "batch_size": 4},
            {"model_name": "vit-base-patch16-224", "model_type": "vision", "batch_size": 1}
        ]}"#,
    );
    for strategy in ["parallel", "sequential", "batched"] {
        let a = ok_json(&["predict", &seed(), "--json", "--strategy", strategy]);
        let b = ok_json(&["predict", &reordered, "--json", "--strategy", strategy]);
        assert_eq!(a["totalMetrics"], b["totalMetrics"], "{strategy}");
        assert_eq!(
            a["executionSchedule"]["totalExecutionTime"],
            b["executionSchedule"]["totalExecutionTime"],
            "{strategy}"
        );
    }
    let a = ok_json(&["recommend", &seed(), "--json"]);
    let b = ok_json(&["recommend", &reordered, "--json"]);
    assert_eq!(a["recommendedStrategy"], b["recommendedStrategy"]);
    assert_eq!(a["allPredictions"], b["allPredictions"]);
}

#[test]
fn recommend_json_explains_the_choice_for_the_goal() {
    let v = ok_json(&["recommend", &seed(), "--json", "--goal", "memory"]);
    assert_eq!(v["optimizationGoal"], "memory");
    let chosen = v["recommendedStrategy"].as_str().expect("recommendedStrategy");
    let groups = array(&v, "/plan/groups");
    let mut planned: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.as_array().expect("a group is an array"))
        .map(|m| m.as_str().expect("model name"))
        .collect();
    planned.sort_unstable();
    let mut expected = SEED_MODELS.to_vec();
    expected.sort_unstable();
    assert_eq!(planned, expected, "every model appears once in the plan");
    let all = v["allPredictions"].as_object().expect("allPredictions");
    for key in ["parallel", "sequential", "batched"] {
        assert!(all.contains_key(key), "allPredictions lacks {key}: {all:?}");
    }
    let best = &all[chosen];
    assert_eq!(best, &v["prediction"]["totalMetrics"]);
    for (label, t) in all {
        if t["feasible"] == true {
            assert!(
                num(best, "/combinedMemory") <= num(t, "/combinedMemory"),
                "memory goal chose {chosen} over {label}: {all:?}"
            );
        }
    }
    assert!(!v["reason"].as_str().expect("reason").trim().is_empty());
}

#[test]
fn tables_name_every_model() {
    let predict = ok(&["predict", &seed()]);
    let recommend = ok(&["recommend", &seed()]);
    let schedule = ok(&["schedule", &seed()]);
    for name in SEED_MODELS {
        assert!(predict.contains(name), "predict table lacks {name}:\n{predict}");
        assert!(recommend.contains(name), "recommend table lacks {name}:\n{recommend}");
        assert!(schedule.contains(name), "schedule chart lacks {name}:\n{schedule}");
    }
}

#[test]
fn catalogs_list_models_and_devices() {
    let models = ok(&["models"]);
    for name in ["bert-base-uncased", "t5-small", "llama-3.2-1b"] {
        assert!(models.contains(name), "{models}");
    }
    let hardware = ok(&["hardware"]);
    for id in ["cuda:a100-40gb", "cuda:t4", "webgpu:integrated", "cuda:rtx-pro-6000-maxq"] {
        assert!(hardware.contains(id), "{hardware}");
    }
    let models: Value = serde_json::from_str(&ok(&["models", "--json"])).expect("models --json");
    assert!(array(&models, "").iter().any(|m| m["name"] == "bert-base-uncased"));
    let devices: Value =
        serde_json::from_str(&ok(&["hardware", "--json"])).expect("hardware --json");
    assert!(array(&devices, "").iter().any(|d| d["id"] == "cuda:a100-40gb"));
    // The id column is as wide as the longest id: every device's name starts where the header's does, on one
    // line per catalog device.
    let name_at = hardware.lines().next().and_then(|h| h.find("name")).expect("header");
    let rows: Vec<&str> = hardware
        .lines()
        .filter(|l| l.split_whitespace().next().is_some_and(|id| id.contains(':')))
        .collect();
    assert_eq!(rows.len(), array(&devices, "").len(), "{hardware}");
    for line in rows {
        let (id, rest) = line.split_at(name_at);
        assert_eq!(id.trim_end(), line.split_whitespace().next().unwrap(), "{line}");
        assert!(!rest.starts_with(' '), "{line}");
    }
    // Each runtime on one line with how it fuses element-wise operators: into their producer (TensorRT), as
    // runs of their own (torch.compile), or not at all (eager PyTorch).
    let runtimes = ok(&["runtimes"]);
    let fusion = |name: &str| {
        let line = runtimes.lines().find(|l| l.split_whitespace().next() == Some(name));
        line.unwrap_or_else(|| panic!("{name}: {runtimes}")).split_whitespace().nth(3).unwrap()
    };
    assert_eq!(fusion("tensorrt"), "epilogue");
    assert_eq!(fusion("pytorch-compile"), "runs");
    assert_eq!(fusion("pytorch-compile-autocast"), "runs");
    assert_eq!(fusion("pytorch"), "none");
}

#[test]
fn schedule_writes_a_chrome_trace() {
    let dir = scratch("trace");
    let trace = dir.join("trace.json");
    let trace_arg = trace.to_string_lossy().into_owned();
    ok(&["schedule", &seed(), "--trace", &trace_arg]);
    let text = std::fs::read_to_string(&trace).expect("trace file written");
    let v: Value = serde_json::from_str(&text).expect("trace is JSON");
    let events = array(&v, "/traceEvents");
    for name in SEED_MODELS {
        let e = events
            .iter()
            .find(|e| e["name"] == name && e["ph"] == "X")
            .unwrap_or_else(|| panic!("no complete event for {name}: {text}"));
        assert!(e["dur"].as_f64().is_some_and(|d| d > 0.0), "{e}");
    }
}

#[test]
fn snake_and_camel_case_keys_give_the_same_output() {
    let dir = scratch("keys");
    let snake = write(
        &dir,
        "snake.json",
        r#"{"models": [
            {"model_name": "gpt2", "model_type": "text_generation", "batch_size": 2, "sequence_length": 64, "output_tokens": 8},
            {"model_name": "vit-base-patch16-224", "batch_size": 3, "image_size": 224, "precision": "fp16"}
        ], "resource_constraints": {"max_memory": 30000, "max_compute": 0.8}, "hardware": "cuda:t4"}"#,
    );
    let camel = write(
        &dir,
        "camel.json",
        r#"{"models": [
            {"modelName": "gpt2", "modelType": "text_generation", "batchSize": 2, "sequenceLength": 64, "outputTokens": 8},
            {"modelName": "vit-base-patch16-224", "batchSize": 3, "imageSize": 224, "precision": "fp16"}
        ], "resourceConstraints": {"maxMemory": 30000, "maxCompute": 0.8}, "hardware": "cuda:t4"}"#,
    );
    for cmd in ["predict", "recommend"] {
        let a = ok(&[cmd, &snake, "--json"]);
        let b = ok(&[cmd, &camel, "--json"]);
        assert_eq!(a, b, "{cmd}");
    }
    // The keys are read, not ignored: a different batch gives a different answer.
    let other = write(
        &dir,
        "other.json",
        r#"{"models": [
            {"modelName": "gpt2", "modelType": "text_generation", "batchSize": 4, "sequenceLength": 64, "outputTokens": 8},
            {"modelName": "vit-base-patch16-224", "batchSize": 3, "imageSize": 224, "precision": "fp16"}
        ], "resourceConstraints": {"maxMemory": 30000, "maxCompute": 0.8}, "hardware": "cuda:t4"}"#,
    );
    assert_ne!(ok(&["predict", &snake, "--json"]), ok(&["predict", &other, "--json"]));
}

#[test]
fn a_small_custom_profile_makes_a_big_workload_infeasible() {
    let dir = scratch("profile");
    let profile =
        write(&dir, "small-gpu.json", r#"{"base": "cuda:a100-40gb", "memory_capacity_mb": 1000}"#);
    let big = write(
        &dir,
        "big.json",
        r#"[{"model_name": "llama-3.2-1b", "batch_size": 4}, {"model_name": "bert-large-uncased", "batch_size": 8}]"#,
    );
    let v = ok_json(&["predict", &big, "--hardware", &profile, "--json"]);
    assert_eq!(v["totalMetrics"]["feasible"], false, "{}", v["totalMetrics"]);
    let overflow = num(&v, "/totalMetrics/overflowMb");
    let memory = num(&v, "/totalMetrics/combinedMemory");
    assert!(overflow > 0.0, "{}", v["totalMetrics"]);
    assert!(
        (overflow - (memory - 1000.0)).abs() <= 1e-3,
        "overflow {overflow} MB should be memory {memory} − 1000 MB"
    );
    let pools = array(&v, "/memoryPools");
    assert!(pools.iter().all(|p| p["capacityMb"] == 1000.0), "{pools:?}");
    // The same workload fits on the catalog A100 the profile starts from.
    let base = ok_json(&["predict", &big, "--hardware", "cuda:a100-40gb", "--json"]);
    assert_eq!(base["totalMetrics"]["feasible"], true, "{}", base["totalMetrics"]);
}

#[test]
fn bench_times_the_shared_speed_cases_and_rejects_a_bad_duration() {
    let v = ok_json(&["bench", "--json", "--seconds", "0.01", "--only", "3-models"]);
    let cases = v["cases"].as_array().expect("cases");
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    // Every 3-model case of src/bench.rs on both devices, and nothing else.
    let want: Vec<String> = multimodel_perf::bench::cases()
        .into_iter()
        .filter(|c| c.models == 3)
        .map(|c| c.name)
        .collect();
    assert_eq!(names, want);
    for c in cases {
        let (median, min) = (c["medianUs"].as_f64().unwrap(), c["minUs"].as_f64().unwrap());
        assert!(min > 0.0 && min <= median, "{c}");
        assert!(c["samples"].as_u64().unwrap() >= 5, "{c}");
    }
    assert!(v["serve"].as_array().unwrap().is_empty(), "--only keeps no serve case");
    let out = mmperf(&["bench", "--seconds", "0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seconds"));
}

#[test]
fn route_reads_a_capabilities_file_and_prints_decisions_as_routemodels_does() {
    let caps = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/capabilities/headless-chromium-isolated.json"
    );
    let seed = seed();
    let json = ok_json(&["route", &seed, "--capabilities", caps, "--json"]);
    let decisions = json.as_array().expect("an array of decisions");
    assert_eq!(decisions.len(), 3);
    for (i, d) in decisions.iter().enumerate() {
        assert_eq!(d["index"], i);
        assert_eq!(d["backend"], "wasm");
        assert!(d["latencyMs"].as_f64().unwrap() > 0.0);
        assert!(d["alternatives"].as_array().unwrap().len() == 4);
    }
    let table = ok(&["route", &seed, "--capabilities", caps]);
    assert!(table.contains("routed for Chromium on Linux"), "{table}");
    assert!(table.contains("why: WASM predicted"), "{table}");
    // A capabilities file with an impossible value fails naming the field.
    let dir = scratch("route-bad-caps");
    let text = std::fs::read_to_string(caps).unwrap();
    let bad = write(
        &dir,
        "caps.json",
        &text.replace("\"hardwareConcurrency\": 2", "\"hardwareConcurrency\": 0"),
    );
    let out = mmperf(&["route", &seed, "--capabilities", &bad]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("capabilities.hardwareConcurrency"), "{stderr}");
}

/// Every `$ mmperf ...` transcript in the README's text blocks is what the binary prints today, so the worked
/// examples cannot go stale when the model changes.
#[test]
fn the_readmes_transcripts_are_what_the_cli_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut checked = 0;
    for (k, line) in lines.iter().enumerate() {
        let Some(command) = line.strip_prefix("$ mmperf ") else { continue };
        let shown: Vec<&str> = lines[k + 1..]
            .iter()
            .take_while(|l| !l.is_empty() && !l.starts_with("```") && !l.starts_with("$ mmperf"))
            .copied()
            .collect();
        let args: Vec<&str> = command.split_whitespace().collect();
        let printed = ok(&args);
        assert_eq!(
            printed.trim_end().lines().collect::<Vec<_>>(),
            shown,
            "README line {}: mmperf {command}",
            k + 1
        );
        checked += 1;
    }
    assert!(checked >= 3, "{checked} transcripts");
}
