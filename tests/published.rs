//! Uncalibrated predictions against published single-model measurements.
//!
//! - `tests/data/published-public.json` (a copy of the public scenario file): six rows, each within ±25 %.
//! - `tests/data/published-candidates.json` (issue 12): the broader validation set; every row carries its
//!   source with the quoted line, and names a catalog device and model.
//! - `tests/data/published-pending.json`: rows examined and kept apart until the model describes a condition
//!   they depend on (each says which in `pending`); checked alike, printed apart, in no summary or fit.
//!
//! `cargo test --release --test published -- --nocapture` prints the leave-one-source-out report
//! (`multimodel_perf::native::published`): each row's error with the catalog as it stands and with the
//! constants no datasheet gives fitted on the other sources only (and nested: with the prior's weight also
//! chosen on the other sources only), summaries by device class, batch regime,
//! precision and source, and the fitted factors. Nothing in the predictor is keyed on these rows.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::runtime::{RuntimeProfile, PYTORCH_EAGER, PYTORCH_GPU_HOST_US};
use multimodel_perf::native::published::{self, Case, Row, KNOBS};
use serde_json::Value;
use std::collections::BTreeMap;

const TOLERANCE: f64 = 0.25;
const PUBLIC: &str = include_str!("data/published-public.json");
const CANDIDATES: &str = include_str!("data/published-candidates.json");
const PENDING: &str = include_str!("data/published-pending.json");

/// Every row of both files prepared, and the rows that cannot be predicted with why.
fn all_cases() -> (Vec<Case>, Vec<String>) {
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for file in [PUBLIC, CANDIDATES] {
        for row in published::rows(file).unwrap() {
            let id = row.id.clone();
            match Case::new(row) {
                Ok(c) => cases.push(c),
                Err(why) => skipped.push(format!("{id}: {why}")),
            }
        }
    }
    (cases, skipped)
}

fn error(predicted: f64, row: &Row) -> f64 {
    predicted / row.value - 1.0
}

#[test]
fn published_rows_are_predicted_within_25_percent() {
    let rows = published::rows(PUBLIC).unwrap();
    assert!(rows.len() >= 6);
    let ones = [1.0; KNOBS.len()];
    let mut failures = Vec::new();
    for row in rows {
        let case = Case::new(row).unwrap();
        let (got, _) = case.predict(&ones);
        let err = error(got, &case.row);
        let want = case.row.value;
        println!(
            "{:<40} published {want:>10.2} predicted {got:>10.2} error {:+6.1} %",
            case.row.id,
            err * 100.0
        );
        if err.abs() > TOLERANCE {
            failures.push(format!(
                "{}: {got:.2} vs {want:.2} ({:+.1} %)",
                case.row.id,
                err * 100.0
            ));
        }
    }
    assert!(failures.is_empty(), "outside ±25 %: {failures:?}");
}

/// What every published row carries, as its file writes it: a source URL, the quoted source line and a
/// positive value.
fn assert_sourced(row: &Value) {
    let id = row["id"].as_str().unwrap();
    assert!(
        row["source"]["url"].as_str().is_some_and(|u| u.starts_with("https://")),
        "{id}: no source URL"
    );
    assert!(row["quote"].as_str().is_some_and(|q| !q.is_empty()), "{id}: no quoted source line");
    assert!(row["value"].as_f64().is_some_and(|v| v > 0.0), "{id}: no positive published value");
}

#[test]
fn candidate_rows_carry_their_source_and_name_catalog_entries() {
    let data: Value = serde_json::from_str(CANDIDATES).unwrap();
    for row in data["rows"].as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        assert_sourced(row);
        // A mean length (tokens without padding) says where it comes from and is below the padded length.
        if let Some(mean) = row["mean_sequence_length"].as_u64() {
            let padded = row["sequence_length"].as_u64().unwrap_or(0);
            assert!(mean > 0 && mean <= padded, "{id}: mean length {mean} of {padded}");
            assert!(
                row["mean_sequence_length_source"].as_str().is_some_and(|s| !s.is_empty()),
                "{id}: a mean length without its source"
            );
        }
    }
    // The rows left out say why, and only for a condition the model does not describe: a runtime it has no
    // profile for (TensorFlow), a batch size the source does not
    // publish outside the offline scenario (MLPerf server: throughput under a latency bound as queries
    // arrive; an offline row is predicted at the batch that gives the most throughput).
    let (cases, skipped) = all_cases();
    let allowed =
        |why: &String| ["precision", "runtime", "batch size"].iter().any(|w| why.contains(w));
    assert!(skipped.iter().all(allowed), "rows that should be predictable: {skipped:?}");
    assert_eq!(cases.len() + skipped.len(), data["rows"].as_array().unwrap().len() + 6);
}

#[test]
fn pending_rows_carry_their_source_and_why_they_wait_and_are_printed_apart() {
    let data: Value = serde_json::from_str(PENDING).unwrap();
    let ones = [1.0; KNOBS.len()];
    let mut errors = Vec::new();
    for (row, raw) in
        published::rows(PENDING).unwrap().into_iter().zip(data["rows"].as_array().unwrap())
    {
        let id = row.id.clone();
        assert_sourced(raw);
        assert!(raw["pending"].as_str().is_some_and(|w| !w.is_empty()), "{id}: no reason to wait");
        // Kept apart for what the model does not describe, not because a name is unknown: each row resolves.
        let case = Case::new(row).unwrap_or_else(|why| panic!("{id}: {why}"));
        let (got, bound) = case.predict(&ones);
        let err = error(got, &case.row);
        errors.push(err);
        println!(
            "pending {id:<44} published {:>9.2} catalog {got:>9.2} {:+6.1} % {bound}",
            case.row.value,
            err * 100.0
        );
    }
    assert!(!errors.is_empty());
    let (median, within) = published::summary(&errors);
    println!(
        "pending rows {}: catalog median {:.1} %, {:.0} % within ±25 % (in no summary or fit)",
        errors.len(),
        median * 100.0,
        within * 100.0
    );
    // No pending row is also in the validation set, predicted or not.
    let (cases, skipped) = all_cases();
    let data_ids: Vec<&str> =
        data["rows"].as_array().unwrap().iter().filter_map(|r| r["id"].as_str()).collect();
    assert!(cases.iter().all(|c| !data_ids.contains(&c.row.id.as_str())));
    assert!(skipped.iter().all(|s| data_ids.iter().all(|id| !s.starts_with(&format!("{id}:")))));
}

fn batch_regime(batch: u32) -> &'static str {
    match batch {
        1 => "batch 1",
        2..=16 => "batch 2-16",
        _ => "batch > 16",
    }
}

fn factors_line(factors: &[f64]) -> String {
    factors
        .iter()
        .zip(&KNOBS)
        .map(|(f, k)| format!("{} {f:.3}", k.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Eager PyTorch on a GPU at batch 1: the rows PyTorch's host time per kernel is expected to decide (the catalog
/// predicts most of them host-bound; the M1's MPS rows besides carry an unsynchronised timer). Their publishers
/// ran them on different host machines, which the catalog does not describe (one host time per kernel for every
/// machine), so the report sums them apart from the rest.
const EAGER_BATCH_1: &str = "eager PyTorch on a GPU at batch 1";

/// Whether `c`, run under the catalog runtime `runtime`, is one of those rows: a runtime that dispatches
/// PyTorch's kernels one by one (not `torch.compile`, which traces the model first).
fn eager_pytorch_on_a_gpu_at_batch_1(c: &Case, runtime: &RuntimeProfile) -> bool {
    let eager = runtime.kernels_of() == PYTORCH_EAGER && !runtime.compiles_every_operator;
    eager && c.batch == 1 && matches!(c.class(), "datacenter GPU" | "consumer GPU")
}

#[test]
fn leave_one_source_out_report() {
    let (cases, skipped) = all_cases();
    let (rows, folds) = published::cross_validate(&cases);
    assert_eq!(rows.len(), cases.len());
    let (nested, nested_folds) = published::nested_cross_validate(&cases);
    assert_eq!(nested.len(), cases.len());
    let all: Vec<&Case> = cases.iter().collect();
    let fitted = published::fit(&all);
    let mut groups: BTreeMap<String, [Vec<f64>; 3]> = BTreeMap::new();
    // The eager PyTorch batch-1 rows, by index into the cases, for the host times they imply (below).
    let mut eager = Vec::new();
    for (v, n) in rows.iter().zip(&nested) {
        assert_eq!(v.case, n.case);
        let c = &cases[v.case];
        // The row's runtime as the catalog names it (an alias such as `torch` groups with `pytorch`).
        let runtime = RuntimeProfile::find(&c.row.runtime).unwrap();
        let (catalog, held) = (error(v.catalog, &c.row), error(v.held_out, &c.row));
        let nested = error(n.held_out, &c.row);
        println!(
            "{:<44} {:<6} {:>4} {:<9} published {:>9.2} catalog {:>9.2} {:+7.1} % held out {:>9.2} {:+7.1} % nested {:+7.1} % all-rows fit {:+7.1} % {}",
            c.row.id,
            c.row.precision,
            c.batch,
            c.row.runtime,
            c.row.value,
            v.catalog,
            catalog * 100.0,
            v.held_out,
            held * 100.0,
            nested * 100.0,
            error(c.predict(&fitted).0, &c.row) * 100.0,
            match c.streams() {
                (0, _) if c.overlaps_requests() => format!("{} (requests overlapped)", v.bound),
                (0, _) => v.bound.to_string(),
                (t, n) => format!("{} ({n} requests at once, {t} core{} each)", v.bound, if t == 1 { "" } else { "s" }),
            }
        );
        let keys = [
            "all rows".to_string(),
            c.class().to_string(),
            batch_regime(c.batch).to_string(),
            c.row.precision.clone(),
            format!("source {}", c.group),
            format!("runtime {}", runtime.name),
            if eager_pytorch_on_a_gpu_at_batch_1(c, &runtime) {
                eager.push(v.case);
                EAGER_BATCH_1.to_string()
            } else {
                format!("all rows but {EAGER_BATCH_1}")
            },
        ];
        for key in keys {
            let e = groups.entry(key).or_default();
            e[0].push(catalog);
            e[1].push(held);
            e[2].push(nested);
        }
    }
    println!(
        "{:<48} rows  catalog: median |error|, within ±25 %   held out: median, within   nested: median, within",
        ""
    );
    for (group, errors) in &groups {
        let [(m1, w1), (m2, w2), (m3, w3)] = errors.each_ref().map(|e| published::summary(e));
        println!(
            "{group:<48} {:>4}  {:>6.1} % {:>5.0} %   {:>6.1} % {:>5.0} %   {:>6.1} % {:>5.0} %",
            errors[0].len(),
            m1 * 100.0,
            w1 * 100.0,
            m2 * 100.0,
            w2 * 100.0,
            m3 * 100.0,
            w3 * 100.0
        );
    }
    // What each eager batch-1 row implies for PyTorch's host time per kernel on its machine: the conflict the
    // one catalog constant cannot settle.
    let host = published::knob_index("pytorch_gpu_host_us").unwrap();
    println!(
        "{EAGER_BATCH_1}: the host time per kernel each row implies (the catalog's {:.1} µs times the factor at which it predicts the row exactly):",
        PYTORCH_GPU_HOST_US
    );
    for c in eager.iter().map(|&i| &cases[i]) {
        let implied = c
            .exact_factor(host)
            .map_or("none in range".to_string(), |f| format!("{:5.1} µs", f * PYTORCH_GPU_HOST_US));
        println!(
            "  {:<44} {:<14} {}",
            c.row.id,
            implied,
            c.row.hardware_as_published.as_deref().unwrap_or(&c.row.hardware)
        );
    }
    // Issue 12 reports these classes; one the set has no row of says so rather than vanishing.
    for class in published::CLASSES {
        if !groups.contains_key(class) {
            println!("{class:<48} {:>4}  no published row of this class yet", 0);
        }
    }
    // Issue 12's targets, each with the figure that decides it (printed, not asserted: the report measures).
    let [_, (held_median, held_within), (median, within)] =
        groups["all rows"].each_ref().map(|e| published::summary(e));
    // The original six's catalog errors, as the report's rows already hold them.
    let six: Vec<String> = published::rows(PUBLIC).unwrap().into_iter().map(|row| row.id).collect();
    let six_errors: Vec<f64> = rows
        .iter()
        .filter_map(|v| {
            let row = &cases[v.case].row;
            six.contains(&row.id).then(|| error(v.catalog, row).abs())
        })
        .collect();
    assert_eq!(six_errors.len(), six.len());
    let worst_six = six_errors.into_iter().fold(0.0, f64::max);
    let met = |ok: bool| if ok { "met" } else { "not met" };
    // The share against its target to one decimal, with the count it comes from: a whole-percent figure rounds
    // 84.8 % up to the target's 85 %.
    let rows_all = groups["all rows"][2].len();
    let share = |s: f64| {
        format!("{:.1} % = {} of {rows_all} rows", s * 100.0, (s * rows_all as f64).round())
    };
    println!(
        "issue 12's targets: held out (nested) median |error| <= 12 %: {:.1} % ({}); within ±25 % >= 85 %: {} ({}) (fixed prior weight: {:.1} % and {}); the original six within 15 %: worst {:.1} % ({})",
        median * 100.0,
        met(median <= 0.12),
        share(within),
        met(within >= 0.85),
        held_median * 100.0,
        share(held_within),
        worst_six * 100.0,
        met(worst_six <= 0.15)
    );
    println!("factors fitted without each source (a factor scales the catalog's constant):");
    for (group, factors) in &folds {
        println!("  without {group:<44} {}", factors_line(factors));
    }
    println!("  all rows {:<44} {}", "", factors_line(&fitted));
    let weights = published::PRIOR_WEIGHTS.map(|w| format!("{w}")).join(", ");
    println!(
        "nested: the prior's weight chosen without each source (PRIOR is {}; among {weights}, scored by the mean absolute log error of the other sources' rows left out one source at a time):",
        published::PRIOR
    );
    for f in &nested_folds {
        let scores = f.scores.iter().map(|s| format!("{s:.4}")).collect::<Vec<_>>().join(", ");
        println!(
            "  without {:<44} weight {} (scores {scores}); {}",
            f.source,
            f.weight,
            factors_line(&f.factors)
        );
    }
    println!("not predicted ({}): {skipped:#?}", skipped.len());
    // Constants are not invented for a device class no training row runs on: fitted without the NPU rows
    // (Qualcomm AI Hub's and OpenVINO's NPU rows both left out), the NPU knobs keep their prior (the value
    // before the fit over all rows, where the catalog's is that fit).
    let no_npu: Vec<&Case> = cases.iter().filter(|c| c.class() != "NPU").collect();
    assert!(no_npu.len() < cases.len(), "the set has NPU rows");
    let without_npu = published::fit(&no_npu);
    for (k, knob) in KNOBS.iter().enumerate().filter(|(_, k)| k.name.contains("npu")) {
        assert_eq!(without_npu[k], knob.prior, "{} fitted without any NPU row", knob.name);
    }
}

/// Rows whose published values are the catalog's own predictions at known factors: the fit finds those
/// factors again (within one grid step), and leaves a knob no row depends on at its prior.
#[test]
fn the_fit_recovers_the_factors_that_generated_the_rows() {
    let (mut cases, _) = all_cases();
    let mut truth = [1.0; KNOBS.len()];
    let set = |name: &str, f: f64, truth: &mut [f64]| {
        truth[published::knob_index(name).unwrap()] = f;
    };
    set("gpu_tile_efficiency", 2f64.powf(-2.0 / 8.0), &mut truth);
    set("npu_efficiency", 0.5, &mut truth);
    set("pytorch_gpu_host_us", 2.0, &mut truth);
    for c in &mut cases {
        c.row.value = c.predict(&truth).0;
    }
    let gpu_only: Vec<&Case> = cases.iter().filter(|c| c.class() == "datacenter GPU").collect();
    let fitted = published::fit(&gpu_only);
    for (k, knob) in KNOBS.iter().enumerate() {
        let want = if knob.name.contains("npu") { knob.prior } else { truth[k] };
        let steps = (fitted[k] / want).log2().abs() * 8.0;
        assert!(steps <= 1.0 + 1e-9, "{}: fitted {} for {want}", knob.name, fitted[k]);
    }
    let all: Vec<&Case> = cases.iter().collect();
    let fitted = published::fit(&all);
    for (k, knob) in KNOBS.iter().enumerate() {
        let steps = (fitted[k] / truth[k]).log2().abs() * 8.0;
        assert!(steps <= 1.0 + 1e-9, "{}: fitted {} for {}", knob.name, fitted[k], truth[k]);
    }
}

/// The same rows in another order give the same cross-validated predictions, bit for bit.
#[test]
fn cross_validation_does_not_depend_on_the_order_of_the_rows() {
    let (cases, _) = all_cases();
    let (forward, _) = published::cross_validate(&cases);
    let (mut reversed_cases, _) = all_cases();
    reversed_cases.reverse();
    let (reversed, _) = published::cross_validate(&reversed_cases);
    let n = cases.len();
    for v in &forward {
        let r = reversed.iter().find(|r| r.case == n - 1 - v.case).unwrap();
        assert_eq!(v.held_out.to_bits(), r.held_out.to_bits(), "{}", cases[v.case].row.id);
    }
}

/// A nested fold chooses the prior's weight and fits the factors on the other sources alone: the published
/// values of the source it leaves out can change at will and the fold stays the same to the bit, while a fold
/// that trains on those rows sees the change. Three publishers keep it short.
#[test]
fn a_nested_fold_is_chosen_and_fitted_without_the_source_it_leaves_out() {
    let (mut cases, _) = all_cases();
    let (left_out, other) = ("ultralytics/yolov5", "NVIDIA/TensorRT");
    cases.retain(|c| [left_out, other, "mlcommons/inference_results"].contains(&c.group.as_str()));
    let (before, other_before) =
        (published::nested_fold(&cases, left_out), published::nested_fold(&cases, other));
    for c in cases.iter_mut().filter(|c| c.group == left_out) {
        c.row.value *= 3.0;
    }
    let (after, other_after) =
        (published::nested_fold(&cases, left_out), published::nested_fold(&cases, other));
    assert_eq!(before.weight.to_bits(), after.weight.to_bits());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&before.scores), bits(&after.scores));
    assert_eq!(bits(&before.factors), bits(&after.factors));
    assert_eq!(before.scores.len(), published::PRIOR_WEIGHTS.len());
    assert_ne!(
        bits(&other_before.scores),
        bits(&other_after.scores),
        "the fold that trains on them"
    );
}

/// The factor a row implies for one constant is the one at which the catalog predicts it exactly: an eager
/// batch-1 row's host time is found (its prediction at that factor is the published value), and a row the
/// knob does not reach (TensorRT's) implies none.
#[test]
fn a_rows_exact_factor_predicts_it_exactly() {
    let (cases, _) = all_cases();
    let host = published::knob_index("pytorch_gpu_host_us").unwrap();
    let case = |id: &str| cases.iter().find(|c| c.row.id == id).unwrap();
    for id in [
        "dle-pyt-rn50-v100-fp32-b1-lat",
        "yolov5-s-v100-fp16-b1-lat",
        "dle-pyt-effb0-a100-tf32-b1-thr",
    ] {
        let c = case(id);
        let f = c.exact_factor(host).unwrap();
        let mut factors = vec![1.0; KNOBS.len()];
        factors[host] = f;
        let predicted = c.predict(&factors).0;
        assert!(
            (predicted / c.row.value - 1.0).abs() < 1e-6,
            "{id}: {predicted} vs {}",
            c.row.value
        );
    }
    // The DGX-1's ResNet-50 and the p3.2xlarge's YOLOv5s imply host times over a third apart.
    let (dgx1, p3) = (case("dle-pyt-rn50-v100-fp32-b1-lat"), case("yolov5-s-v100-fp16-b1-lat"));
    assert!(dgx1.exact_factor(host).unwrap() > 1.3 * p3.exact_factor(host).unwrap());
    assert_eq!(case("trt107-bertb-a100-40gb-fp16-s128-b1").exact_factor(host), None);
}

/// Rows no knob reaches (the pending i7-1185G7 rows: OpenVINO on a CPU and an iGPU no knob names) have the same
/// error at every factor, so they leave the fit unchanged to the bit at any prior weight, and a nested fold's
/// choice of weight, its scores and its factors with it.
#[test]
fn rows_no_knob_reaches_leave_the_fit_unchanged() {
    let (cases, _) = all_cases();
    let unreached_rows = || -> Vec<Case> {
        published::rows(PENDING)
            .unwrap()
            .into_iter()
            .filter(|r| r.id.contains("-i71185g7-"))
            .map(|r| Case::new(r).unwrap())
            .filter(|c| c.knobs().is_empty())
            .collect()
    };
    let unreached = unreached_rows();
    assert!(!unreached.is_empty());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    // The fold without TensorRT's README, at every weight the nested folds choose among.
    let base: Vec<&Case> = cases.iter().filter(|c| c.group != "NVIDIA/TensorRT").collect();
    let with: Vec<&Case> = base.iter().copied().chain(&unreached).collect();
    for weight in published::PRIOR_WEIGHTS {
        let (alone, together) =
            (published::fit_weighted(&base, weight), published::fit_weighted(&with, weight));
        assert_eq!(bits(&alone), bits(&together), "weight {weight}");
    }
    // A nested fold over three publishers, with and without the rows (OpenVINO's, a fourth source).
    let three = ["ultralytics/yolov5", "NVIDIA/TensorRT", "mlcommons/inference_results"];
    let (mut small, _) = all_cases();
    small.retain(|c| three.contains(&c.group.as_str()));
    let before = published::nested_fold(&small, "NVIDIA/TensorRT");
    small.extend(unreached_rows());
    let after = published::nested_fold(&small, "NVIDIA/TensorRT");
    assert_eq!(before.weight.to_bits(), after.weight.to_bits());
    assert_eq!(bits(&before.scores), bits(&after.scores));
    assert_eq!(bits(&before.factors), bits(&after.factors));
}
