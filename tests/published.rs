//! Uncalibrated predictions against published single-model measurements (`tests/data/published-public.json`,
//! a copy of the public scenario file). Each row must land within ±25 % of the published value. Nothing in the
//! predictor is keyed on these rows: the numbers come from datasheets, architectures and runtime profiles.
//!
//! The candidate rows of a broader validation set (`tests/data/published-candidates.json`, issue 12) are
//! checked for what they must carry (a source with its quoted line, a catalog device and model) and
//! reported row by row with summaries by device class, batch regime and precision
//! (`cargo test --release --test published -- --nocapture`); their errors are not asserted yet.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::hardware::Platform;
use multimodel_perf::catalog::{hardware, runtime::RuntimeProfile, Precision};
use multimodel_perf::predict::single::Placement;
use multimodel_perf::predict::spec::{resolve, ModelSpec};
use serde_json::Value;

const TOLERANCE: f64 = 0.25;

/// A row's prediction in its metric, the bound that decided it, and the device's class; or why the row
/// cannot be predicted.
fn predict_row(row: &Value) -> Result<(f64, &'static str, &'static str), String> {
    let s = |k: &str| row[k].as_str().ok_or(format!("no {k}"));
    let device = hardware::find(s("hardware")?).map_err(|e| e.to_string())?;
    let runtime = RuntimeProfile::find(s("runtime")?).map_err(|e| e.to_string())?;
    let batch = row["batch_size"].as_u64().ok_or("no batch size published")?;
    let mut spec = ModelSpec::named(s("model_name")?).with_batch(batch as u32);
    spec.precision = Precision::parse("precision", s("precision")?).map_err(|e| e.to_string())?;
    spec.sequence_length = row["sequence_length"].as_u64().map(|x| x as u32);
    let model = resolve(&spec, "row").map_err(|e| e.to_string())?;
    let p = Placement { device: &device, runtime: &runtime, threads: device.compute_units }
        .predict(&model);
    let value = match s("metric")? {
        "latency_ms" => p.latency_ms,
        "throughput_items_per_s" => p.throughput,
        other => return Err(format!("unknown metric {other}")),
    };
    Ok((value, p.bound.name(), device_class(device.platform)))
}

/// The class a summary groups a device under.
fn device_class(p: Platform) -> &'static str {
    match p {
        Platform::Cuda | Platform::Rocm => "datacenter GPU",
        Platform::Mps | Platform::Webgpu => "consumer GPU",
        Platform::Cpu | Platform::Openvino | Platform::Wasm => "CPU",
        Platform::Qnn | Platform::Webnn => "NPU",
    }
}

#[test]
fn published_rows_are_predicted_within_25_percent() {
    let data: Value = serde_json::from_str(include_str!("data/published-public.json")).unwrap();
    let rows = data["rows"].as_array().unwrap();
    assert!(rows.len() >= 6);
    let mut failures = Vec::new();
    for row in rows {
        let want = row["value"].as_f64().unwrap();
        let (got, _, _) = predict_row(row).unwrap();
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

/// Median of absolute errors and the share within ±25 %, for a summary line.
fn summary(errors: &[f64]) -> String {
    let mut abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let median = if abs.is_empty() { f64::NAN } else { abs[abs.len() / 2] };
    let within = abs.iter().filter(|e| **e <= TOLERANCE).count();
    format!(
        "{:>3} rows, median |error| {:5.1} %, {within:>3} within ±25 %",
        abs.len(),
        median * 100.0
    )
}

fn batch_regime(batch: u64) -> &'static str {
    match batch {
        1 => "batch 1",
        2..=16 => "batch 2-16",
        _ => "batch > 16",
    }
}

#[test]
fn candidate_rows_carry_their_source_and_are_reported() {
    let data: Value = serde_json::from_str(include_str!("data/published-candidates.json")).unwrap();
    let rows = data["rows"].as_array().unwrap();
    let mut groups: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let mut skipped = Vec::new();
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let source = &row["source"];
        assert!(
            source["url"].as_str().is_some_and(|u| u.starts_with("https://")),
            "{id}: no source URL"
        );
        assert!(
            row["quote"].as_str().is_some_and(|q| !q.is_empty()),
            "{id}: no quoted source line"
        );
        let want = row["value"].as_f64().filter(|v| *v > 0.0);
        let want = want.unwrap_or_else(|| panic!("{id}: no positive published value"));
        match predict_row(row) {
            Ok((got, bound, class)) => {
                let err = got / want - 1.0;
                let batch = batch_regime(row["batch_size"].as_u64().unwrap());
                println!(
                    "{id:<52} {:<8} {:>4} {:<8} published {want:>10.2} predicted {got:>10.2} {:+7.1} % {bound}",
                    row["precision"].as_str().unwrap(),
                    row["batch_size"],
                    row["runtime"].as_str().unwrap(),
                    err * 100.0
                );
                for key in ["all rows".to_string(), class.to_string(), batch.to_string()] {
                    groups.entry(key).or_default().push(err);
                }
                let precision = row["precision"].as_str().unwrap().to_string();
                groups.entry(precision).or_default().push(err);
            }
            Err(why) => skipped.push(format!("{id}: {why}")),
        }
    }
    for (group, errors) in &groups {
        println!("{group:<16} {}", summary(errors));
    }
    println!("not predicted ({}): {skipped:#?}", skipped.len());
    // Every row names a catalog device and model; the rows left out say why, and only for a condition the
    // model does not describe: a precision it has no format for (tf32), a runtime it has no profile for
    // (TensorFlow), a batch size the source does not publish (MLPerf offline and server).
    let allowed =
        |why: &String| ["precision", "runtime", "batch size"].iter().any(|w| why.contains(w));
    assert!(skipped.iter().all(allowed), "rows that should be predictable: {skipped:?}");
    assert!(groups["all rows"].len() + skipped.len() == rows.len());
}
