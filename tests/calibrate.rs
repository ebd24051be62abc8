//! Calibration: profiles round-trip through JSON, measurements are validated, metrics are exact on
//! hand-made data, and a refit on half of a set of measurements lowers the error on the other half.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::hardware;
use multimodel_perf::wire;

#[test]
fn every_profile_round_trips_through_json_exactly() {
    for mut p in hardware::all() {
        p.overhead_scale = 1.7;
        p.latency_corrections = vec![("bert-base-uncased".to_string(), 0.8)];
        let json = serde_json::to_string(&wire::HardwareProfileDto::from(&p)).unwrap();
        let back = DeviceProfile::try_from(
            serde_json::from_str::<wire::HardwareProfileDto>(&json).unwrap(),
        )
        .unwrap();
        assert_eq!(back, p, "{}", p.id);
    }
}

use multimodel_perf::calibrate::{self, MeasuredModel, Measurement, Scales};
use multimodel_perf::catalog::hardware::DeviceProfile;
use multimodel_perf::predict::multi::{Strategy, Target, Workload};
use multimodel_perf::{ModelSpec, MultiModelPredictor};

/// A deterministic multiplicative noise in [1 − a, 1 + a] from an index.
fn noise(i: u64, a: f64) -> f64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let u = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
    1.0 + a * (2.0 * u - 1.0)
}

/// A run of `names` with `strategy` predicted on `base` and "measured" on `truth` (times noise).
fn run(
    base: &DeviceProfile,
    truth: &DeviceProfile,
    names: &[(&str, u32)],
    strategy: Strategy,
    t: u64,
) -> Measurement {
    let models: Vec<ModelSpec> =
        names.iter().map(|(n, b)| ModelSpec::named(n).with_batch(*b)).collect();
    let target = Target { device: base.clone().into(), runtime: None, devices: Vec::new() };
    let workload = Workload { models: models.clone(), constraints: Default::default() };
    let predicted = MultiModelPredictor::default().predict(&workload, &target, strategy).unwrap();
    let mut m = Measurement {
        timestamp_ms: 1_700_000_000_000.0 + t as f64 * 1000.0,
        source: "test".to_string(),
        hardware: base.id.clone(),
        profiles: vec![base.clone()],
        strategy,
        groups: predicted.plan.groups.clone(),
        models: models
            .iter()
            .zip(&predicted.models)
            .map(|(s, p)| MeasuredModel {
                spec: s.clone(),
                predicted_ms: p.latency_ms,
                measured_ms: 1.0,
            })
            .collect(),
        predicted_makespan_ms: predicted.combined_latency_ms,
        measured_makespan_ms: 1.0,
        memory_mb: None,
    };
    let real = m.repredict(truth).unwrap();
    for (i, (x, r)) in m.models.iter_mut().zip(&real.models).enumerate() {
        x.measured_ms = r.latency_ms * noise(t * 16 + i as u64, 0.05);
    }
    m.measured_makespan_ms = real.combined_latency_ms * noise(t * 16 + 15, 0.05);
    m
}

fn cpu() -> DeviceProfile {
    hardware::find("cpu:laptop-4c").unwrap()
}

/// The machine is slower at compute, faster at memory, slower to dispatch and interferes more than the
/// profile says.
fn truth() -> DeviceProfile {
    let mut t =
        calibrate::fit::apply_scales(&cpu(), Scales { compute: 1.8, memory: 0.7, overhead: 3.0 });
    t.interference_per_model = 0.15;
    t
}

fn measurements() -> Vec<Measurement> {
    let sets: [&[(&str, u32)]; 6] = [
        &[("bert-base-uncased", 1), ("resnet-50", 1)],
        &[("all-minilm-l6-v2", 8), ("mobilenet-v2", 4), ("gpt2", 1)],
        &[("vit-base-patch16-224", 1), ("distilbert-base-uncased", 2)],
        &[("whisper-tiny", 1), ("efficientnet-b0", 2)],
        &[("t5-small", 1), ("bert-base-uncased", 4), ("resnet-50", 2)],
        &[("roberta-base", 1), ("mobilenet-v2", 1)],
    ];
    let mut out = Vec::new();
    let mut t = 0;
    for (k, set) in sets.iter().enumerate() {
        // Alternate which strategy runs first, so that both halves of a time-ordered split hold both.
        let order = if k % 2 == 0 {
            [Strategy::Sequential, Strategy::Parallel]
        } else {
            [Strategy::Parallel, Strategy::Sequential]
        };
        for strategy in order {
            out.push(run(&cpu(), &truth(), set, strategy, t));
            t += 1;
        }
    }
    out
}

#[test]
fn a_refit_on_half_lowers_the_error_on_the_other_half() {
    let all = measurements();
    let (train, test) = calibrate::split_half(&all);
    let fit = calibrate::refit(&cpu(), &train, &test).unwrap();
    assert_eq!((fit.train, fit.test), (6, 6));
    assert!(fit.before.mean_ape > 0.25, "{:?}", fit.before);
    assert!(
        fit.after.mean_ape < fit.before.mean_ape / 3.0,
        "held out: {:?} → {:?}",
        fit.before,
        fit.after
    );
    // The multipliers found are those the "machine" was built with, within the noise.
    assert!((fit.scales.compute / 1.8 - 1.0).abs() < 0.15, "{:?}", fit.scales);
    // The previous profile is returned unchanged; the new one keeps the id and says how it was made.
    assert_eq!(fit.previous, cpu());
    assert_eq!(fit.fitted.id, cpu().id);
    assert!(fit.fitted.sources.iter().any(|(k, v)| k == "calibration" && v.contains("held-out")));
    let i = fit.interference.1.expect("concurrent runs were there to fit on");
    assert!(i > 0.05, "interference {i}");
}

#[test]
fn too_little_data_is_refused_with_the_reason() {
    let all = measurements();
    let e = calibrate::refit(&cpu(), &all[..1], &[]).unwrap_err().to_string();
    assert!(e.contains("measurements") && e.contains("at least 2"), "{e}");
    // Two parallel runs: nothing ran alone, so there is no single-model timing to fit on.
    let e = calibrate::refit(&cpu(), &all[1..2], &all[3..4]).unwrap_err().to_string();
    assert!(e.contains("single-model timings"), "{e}");
}

#[test]
fn invalid_measurements_are_rejected_naming_the_field() {
    let good = measurements().remove(0);
    type Change = Box<dyn Fn(&mut Measurement)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|m| m.models[1].measured_ms = f64::NAN), "models[1].measured_ms"),
        (Box::new(|m| m.models[0].measured_ms = -3.0), "models[0].measured_ms"),
        (Box::new(|m| m.measured_makespan_ms = 0.0), "measured_makespan_ms"),
        (Box::new(|m| m.memory_mb = Some(-1.0)), "memory_mb"),
        (Box::new(|m| m.groups = vec![vec![0]]), "groups"),
        (Box::new(|m| m.models.clear()), "models"),
        (Box::new(|m| m.hardware = "cuda:h100".to_string()), "hardware"),
    ];
    for (change, field) in cases {
        let mut m = good.clone();
        change(&mut m);
        let e = m.validate().unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
        let e = calibrate::refit(&cpu(), &[m.clone(), good.clone()], std::slice::from_ref(&good))
            .unwrap_err()
            .to_string();
        assert!(e.contains("measurements[0]") && e.contains(field), "{e}");
    }
    assert!(good.validate().is_ok());
}

#[test]
fn metrics_are_exact_on_hand_made_pairs() {
    let s =
        calibrate::ErrorStats::of(&[(110.0, 100.0), (50.0, 100.0), (100.0, 100.0), (130.0, 100.0)]);
    assert_eq!(s.n, 4);
    assert!((s.mean_ape - (0.10 + 0.50 + 0.0 + 0.30) / 4.0).abs() < 1e-12);
    assert!((s.median_ape - 0.20).abs() < 1e-12);
    assert!((s.within_10 - 0.5).abs() < 1e-12);
    assert!((s.within_25 - 0.5).abs() < 1e-12);
    let bias = (1.1f64.ln() + 0.5f64.ln() + 0.0 + 1.3f64.ln()) / 4.0;
    assert!((s.log_bias - bias).abs() < 1e-12);
}

#[test]
fn validation_groups_trends_and_says_when_to_refit() {
    let mut all = measurements();
    let v = calibrate::validate(&all, 0.15, 3);
    assert_eq!(v.measurements, 12);
    assert!(v.refit_due, "{}", v.reason);
    assert!(v.reason.contains("threshold"));
    assert_eq!(v.by_strategy.len(), 2);
    assert_eq!(v.by_hardware.len(), 1);
    assert!(v.by_model.contains_key("resnet-50"));
    // Order of the input does not matter.
    all.reverse();
    assert_eq!(calibrate::validate(&all, 0.15, 3), v);
    // After a refit, predictions made with the fitted profile are within the threshold.
    let (train, test) = calibrate::split_half(&all);
    let fit = calibrate::refit(&cpu(), &train, &test).unwrap();
    let repredicted: Vec<Measurement> = all
        .iter()
        .map(|m| {
            let p = m.repredict(&fit.fitted).unwrap();
            let mut m = m.clone();
            m.predicted_makespan_ms = p.combined_latency_ms;
            for (x, r) in m.models.iter_mut().zip(&p.models) {
                x.predicted_ms = r.latency_ms;
            }
            m
        })
        .collect();
    let after = calibrate::validate(&repredicted, 0.15, 3);
    assert!(!after.refit_due, "{}", after.reason);
    // A trend: the last window much worse than the one before.
    let mut worse = repredicted.clone();
    worse.sort_by(|a, b| a.timestamp_ms.total_cmp(&b.timestamp_ms));
    let n = worse.len();
    for m in &mut worse[n - 3..] {
        m.measured_makespan_ms *= 0.5;
    }
    let t = calibrate::validate(&worse, 10.0, 3).trend.unwrap();
    assert_eq!(t.direction, calibrate::metrics::Direction::Worsening);
    assert!(calibrate::validate(&worse, 10.0, 3).refit_due);
}

/// Measurements recorded on the 2-core development machine with `mmperf calibrate` and `mmperf measure
/// --all-strategies --max-mflop 512 --repeat 5` over `examples/measure/*.json` (then `mmperf export`).
#[test]
fn on_recorded_measurements_a_refit_on_half_lowers_the_error_on_the_other_half() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/recorded-measurements.json"),
    )
    .unwrap();
    let export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let profile =
        export["profiles"].as_array().unwrap().iter().find(|p| p["version"] == 1).unwrap();
    let profile = DeviceProfile::try_from(
        serde_json::from_value::<wire::HardwareProfileDto>(profile["profile"].clone()).unwrap(),
    )
    .unwrap();
    let ms: Vec<Measurement> = export["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            wire::calibration::measurement_from_dto(
                serde_json::from_value(m.clone()).unwrap(),
                &format!("measurements[{i}]"),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(ms.len(), 15);
    let (train, test) = calibrate::split_half(&ms);
    let fit = calibrate::refit(&profile, &train, &test).unwrap();
    assert!(
        fit.after.mean_ape < fit.before.mean_ape,
        "held out: {:?} → {:?}",
        fit.before,
        fit.after
    );
    assert!(fit.after.median_ape < fit.before.median_ape);
    // The stored predictions were made before each run with the calibrated profile: their makespan error
    // is what `mmperf validate` reports, and within the 15 % (median).
    let v = calibrate::validate(&ms, 0.15, 5);
    assert!(v.makespan.median_ape <= 0.15, "{:?}", v.makespan);
}

#[test]
fn a_refit_scales_a_runtimes_measured_region_cost_with_the_other_overheads() {
    let mut p = cpu();
    p.runtime_region_us = vec![("builtin".to_string(), 100.0)];
    let q = calibrate::fit::apply_scales(&p, Scales { compute: 1.0, memory: 1.0, overhead: 3.0 });
    assert_eq!(q.runtime_region_us, vec![("builtin".to_string(), 300.0)]);
    assert_eq!(q.kernel_overhead_us, p.kernel_overhead_us * 3.0);
}
