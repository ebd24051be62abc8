//! The prediction snapshot: a fixed set of predictions and recommendations (the example workloads under every
//! strategy and goal, and the speed benchmarks' workloads on a GPU and a CPU; the 50-model lists only in parallel
//! and for throughput, to keep the file small), compared field by field with
//! `tests/data/snapshot-predictions.json`.
//!
//! This is not a proof of correctness (the published-row and measurement tests are): it makes every change of a
//! printed number deliberate and visible in review. Work meant to change no number (speed work, refactors)
//! must pass it unchanged; a model change regenerates the file with `MMPERF_UPDATE_SNAPSHOT=1 cargo test --test
//! snapshot` and the diff shows which numbers moved. Numbers match to a relative 1e-9: summing the same terms
//! in another order is not a model change.

#[path = "support/files.rs"]
mod files;

use std::collections::BTreeMap;

use multimodel_perf::{bench, wire, Goal, MultiModelPredictor, Strategy, Target, Workload};
use serde_json::Value;

const FILE: &str = "tests/data/snapshot-predictions.json";
const EXAMPLES: [&str; 5] = ["seed", "cpu-threads", "gpu-and-cpu", "browser-page", "tight-memory"];
const STRATEGIES: [Strategy; 3] = [Strategy::Parallel, Strategy::Sequential, Strategy::Batched];
const GOALS: [Goal; 4] = [Goal::Throughput, Goal::Latency, Goal::Memory, Goal::Energy];

fn cases() -> BTreeMap<String, Value> {
    let predictor = MultiModelPredictor::default();
    let mut out = BTreeMap::new();
    let mut add = |name: String, workload: &Workload, target: &Target, all: bool| {
        let (strategies, goals) =
            if all { (&STRATEGIES[..], &GOALS[..]) } else { (&STRATEGIES[..1], &GOALS[..1]) };
        for &s in strategies {
            let p = predictor.predict(workload, target, s).expect("predict");
            let v = serde_json::to_value(wire::PredictionDto::from(&p)).unwrap();
            out.insert(format!("{name}/predict/{}", s.name()), v);
        }
        for &g in goals {
            let r = predictor.recommend(workload, target, g).expect("recommend");
            let v = serde_json::to_value(wire::RecommendationDto::from(&r)).unwrap();
            out.insert(format!("{name}/recommend/{}", g.name()), v);
        }
    };
    for example in EXAMPLES {
        let path = files::manifest_dir().join(format!("examples/{example}.json"));
        let parsed = wire::parse_workload(&std::fs::read_to_string(path).unwrap()).unwrap();
        let target = Target::new(parsed.hardware.as_deref().unwrap_or("cuda")).unwrap();
        add(format!("examples/{example}"), &parsed.workload, &target, true);
    }
    for device in ["cuda:a100-40gb", "cpu"] {
        let target = Target::new(device).unwrap();
        add(format!("bench/seed/{device}"), &bench::seed(), &target, true);
        for n in [8, 50] {
            add(format!("bench/{n}-models/{device}"), &bench::catalog_mix(n), &target, n < 50);
        }
    }
    out
}

/// Where `got` and `want` differ, as `path: got != want` lines.
fn diff(path: &str, got: &Value, want: &Value, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            if (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1e-3) {
                out.push(format!("{path}: {a} != {b}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Object(a), Value::Object(b)) if a.keys().eq(b.keys()) => {
            for (k, x) in a {
                diff(&format!("{path}.{k}"), x, &b[k], out);
            }
        }
        _ if got == want => {}
        _ => out.push(format!("{path}: {got} != {want}")),
    }
}

#[test]
fn predictions_match_the_snapshot() {
    let got = cases();
    let path = files::manifest_dir().join(FILE);
    if std::env::var_os("MMPERF_UPDATE_SNAPSHOT").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(&path).expect("tests/data/snapshot-predictions.json"),
    )
    .unwrap();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the snapshot's cases changed: regenerate it with MMPERF_UPDATE_SNAPSHOT=1"
    );
    let mut out = Vec::new();
    for (name, v) in &got {
        diff(name, v, &want[name], &mut out);
    }
    assert!(
        out.is_empty(),
        "{} numbers differ from {FILE} (regenerate with MMPERF_UPDATE_SNAPSHOT=1 if the change is meant):\n{}",
        out.len(),
        out.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The comparison itself can fail: a changed number, a missing field and a reordered list are all reported.
#[test]
fn the_comparison_reports_changed_numbers_fields_and_lengths() {
    let want = serde_json::json!({"a": 1.0, "b": [1, 2], "c": "x"});
    let mut out = Vec::new();
    diff("r", &serde_json::json!({"a": 1.0 + 1e-12, "b": [1, 2], "c": "x"}), &want, &mut out);
    assert!(out.is_empty(), "{out:?}");
    diff("r", &serde_json::json!({"a": 1.001, "b": [1, 2], "c": "x"}), &want, &mut out);
    diff("r", &serde_json::json!({"a": 1.0, "b": [1], "c": "x"}), &want, &mut out);
    diff("r", &serde_json::json!({"a": 1.0, "b": [1, 2]}), &want, &mut out);
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(out[0].starts_with("r.a:"), "{out:?}");
}
