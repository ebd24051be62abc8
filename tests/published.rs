//! Uncalibrated predictions against published single-model measurements (`tests/data/published-public.json`,
//! a copy of the public scenario file). Each row must land within ±25 % of the published value. Nothing in the
//! predictor is keyed on these rows: the numbers come from datasheets, architectures and runtime profiles.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::{hardware, runtime::RuntimeProfile, Precision};
use multimodel_perf::predict::single::Placement;
use multimodel_perf::predict::spec::{resolve, ModelSpec};

const TOLERANCE: f64 = 0.25;

fn predict_row(row: &serde_json::Value) -> f64 {
    let s = |k: &str| row[k].as_str().unwrap_or_else(|| panic!("row field {k}"));
    let device = hardware::find(s("hardware")).unwrap();
    let runtime = RuntimeProfile::find(s("runtime")).unwrap();
    let mut spec =
        ModelSpec::named(s("model_name")).with_batch(row["batch_size"].as_u64().unwrap() as u32);
    spec.precision = Precision::parse("precision", s("precision")).unwrap();
    spec.sequence_length = row["sequence_length"].as_u64().map(|x| x as u32);
    let model = resolve(&spec, "row").unwrap();
    let p = Placement { device: &device, runtime: &runtime, threads: device.compute_units }
        .predict(&model);
    match s("metric") {
        "latency_ms" => p.latency_ms,
        "throughput_items_per_s" => p.throughput,
        other => panic!("unknown metric {other}"),
    }
}

#[test]
fn published_rows_are_predicted_within_25_percent() {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("data/published-public.json")).unwrap();
    let rows = data["rows"].as_array().unwrap();
    assert!(rows.len() >= 6);
    let mut failures = Vec::new();
    for row in rows {
        let want = row["value"].as_f64().unwrap();
        let got = predict_row(row);
        let err = got / want - 1.0;
        println!(
            "{:<40} published {want:>10.2} predicted {got:>10.2} error {:+6.1} %",
            row["id"].as_str().unwrap(),
            err * 100.0
        );
        if err.abs() > TOLERANCE {
            failures.push(format!("{}: {got:.2} vs {want:.2} ({:+.1} %)", row["id"], err * 100.0));
        }
    }
    assert!(failures.is_empty(), "outside ±25 %: {failures:?}");
}
