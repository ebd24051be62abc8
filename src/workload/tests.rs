//! Tests of the built-in workloads: shapes from the catalog, scaling, seeded data, the CPU chain against an
//! independent reference, and the predictor modelling the chain.

use super::*;
use crate::catalog::models::ChainGemm;

fn bert(batch: u32) -> ModelSpec {
    ModelSpec::named("bert-base-uncased").with_batch(batch)
}

fn full_scale(spec: &ModelSpec) -> Workload {
    build(spec, "models[0]", WorkloadOptions { scale: Some(1.0), max_mflop: 1.0 }).unwrap()
}

/// Straightforward triple loop over the chaining rule, written independently of `gemm`/`chain_input`.
fn naive(w: &Workload, input: &[f32], weights: &[Vec<f32>]) -> Vec<f32> {
    let mut prev: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    let (mut pm, mut pn) = (w.gemms[0].m as usize, w.gemms[0].k as usize);
    for (i, g) in w.gemms.iter().enumerate() {
        let (m, k, n) = (g.m as usize, g.k as usize, g.n as usize);
        let mut out = vec![0.0f64; m * n];
        for r in 0..m {
            for c in 0..n {
                let mut acc = 0.0;
                for p in 0..k {
                    let x = prev[(r % pm) * pn + (p % pn)];
                    acc += x * f64::from(weights[i][p * n + c]);
                }
                out[r * n + c] = acc;
            }
        }
        prev = out;
        pm = m;
        pn = n;
    }
    prev.into_iter().map(|v| v as f32).collect()
}

#[test]
fn bert_base_chain_is_its_weight_gemms() {
    // 12 layers × (QKV 768→2304, output 768→768, FFN 768→3072, 3072→768) on 128 tokens, plus the pooler
    // (768→768 on the first token): 2·m·k·n each.
    let w = full_scale(&bert(1));
    assert_eq!(w.gemms.len(), 12 * 4 + 1);
    let per_layer = 2.0 * 128.0 * (768.0 * 2304.0 + 768.0 * 768.0 + 2.0 * 768.0 * 3072.0);
    let expected = 12.0 * per_layer + 2.0 * 768.0 * 768.0;
    assert!((w.full_gflop * 1e9 - expected).abs() < 1.0);
    assert!((w.flops() - expected).abs() < 1.0);
    assert_eq!(w.gemms[0], ChainGemm { m: 128, k: 768, n: 2304 });
}

#[test]
fn resnet50_chain_has_its_53_convolutions_and_the_classifier() {
    // torchvision's resnet50: 53 Conv2d layers (incl. 4 downsample projections) and one Linear.
    let w = full_scale(&ModelSpec::named("resnet-50"));
    assert_eq!(w.gemms.len(), 54);
    assert_eq!(w.gemms.last().unwrap().n, 1000);
}

#[test]
fn default_scale_fits_the_budget_and_keeps_every_layer() {
    let spec = bert(4);
    let full = full_scale(&spec);
    let w = build(&spec, "m", WorkloadOptions::default()).unwrap();
    assert_eq!(w.gemms.len(), full.gemms.len());
    let budget = DEFAULT_MAX_MFLOP * 1e6;
    // Rounding each dimension moves FLOPs by a few percent either way.
    assert!((w.flops() / budget - 1.0).abs() < 0.1, "{} vs {budget}", w.flops());
    let expected_scale = (budget / (full.full_gflop * 1e9)).cbrt();
    assert!((w.scale - expected_scale).abs() < 1e-12);
    // A model already under budget is not scaled up.
    let tiny = build(
        &ModelSpec::named("all-minilm-l6-v2"),
        "m",
        WorkloadOptions { scale: None, max_mflop: 1e6 },
    )
    .unwrap();
    assert_eq!(tiny.scale, 1.0);
}

#[test]
fn batch_scales_rows() {
    let one = full_scale(&bert(1));
    let four = full_scale(&bert(4));
    assert_eq!(four.gemms[0].m, 4 * one.gemms[0].m);
    assert_eq!(four.batch, 4);
}

#[test]
fn data_is_seeded_by_the_model_name() {
    let o = WorkloadOptions { scale: Some(0.05), max_mflop: 1.0 };
    let a = build(&bert(1), "m", o).unwrap();
    let b = build(&bert(1), "m", o).unwrap();
    assert_eq!(a.input(), b.input());
    assert_eq!(a.weights(3), b.weights(3));
    assert_ne!(a.weights(3), a.weights(4));
    let other = build(&ModelSpec::named("vit-base-patch16-224"), "m", o).unwrap();
    assert_ne!(a.seed, other.seed);
    let bound = (3.0f32 / a.gemms[0].k as f32).sqrt();
    assert!(a.weights(0).iter().all(|v| v.abs() <= bound));
    assert!(a.input().iter().all(|v| v.abs() <= 1.0));
}

#[test]
fn run_cpu_matches_an_independent_reference_and_keeps_unit_scale() {
    for name in ["bert-base-uncased", "resnet-50", "gpt2"] {
        let w =
            build(&ModelSpec::named(name), "m", WorkloadOptions { scale: None, max_mflop: 2.0 })
                .unwrap();
        let input = w.input();
        let weights: Vec<Vec<f32>> = (0..w.gemms.len()).map(|i| w.weights(i)).collect();
        let out = run_cpu(&w, &input, &weights);
        assert_eq!(out.len(), w.output_len());
        let reference = naive(&w, &input, &weights);
        let err = max_relative_error(&out, &reference);
        assert!(err < 1e-4, "{name}: {err}");
        // Variance-1/k weights keep activations within a few orders of unit scale through every layer.
        let rms =
            (out.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / out.len() as f64).sqrt();
        assert!(rms > 1e-3 && rms < 1e3, "{name}: rms {rms}");
    }
}

#[test]
fn max_relative_error_catches_differences() {
    let a = [1.0f32, -2.0, 4.0];
    assert_eq!(max_relative_error(&a, &a), 0.0);
    assert!((max_relative_error(&[1.0, -2.0, 4.4], &a) - 0.1).abs() < 1e-6);
    assert!(max_relative_error(&a[..2], &a).is_infinite());
    assert!(max_relative_error(&[f32::NAN, -2.0, 4.0], &a).is_infinite());
}

#[test]
fn bad_options_name_the_field() {
    for s in [0.0, -1.0, 1.5, f64::NAN] {
        let e = build(&bert(1), "models[2]", WorkloadOptions { scale: Some(s), max_mflop: 1.0 })
            .unwrap_err()
            .to_string();
        assert!(e.contains("models[2].scale"), "{e}");
    }
    let e = build(&bert(1), "models[0]", WorkloadOptions { scale: None, max_mflop: 0.0 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("models[0].maxMflop"), "{e}");
}

#[test]
fn the_predictor_models_the_chain_itself() {
    use crate::predict::multi::{Strategy, Target, Workload as W};
    let w = build(&bert(2), "m", WorkloadOptions::default()).unwrap();
    let workload = W { models: vec![w.spec()], constraints: Default::default() };
    let target = Target::new("wasm").unwrap();
    let p = crate::MultiModelPredictor::default()
        .predict(&workload, &target, Strategy::Sequential)
        .unwrap();
    let solo = &p.models[0].solo;
    assert!((solo.gflops - w.flops() / 1e9).abs() < 1e-9);
    assert_eq!(p.models[0].batch_size, 2);
    // Different chains are different weights; the same chain is the same weights.
    assert_eq!(w.spec().canonical_key(), w.spec().canonical_key());
    let other = build(&bert(1), "m", WorkloadOptions::default()).unwrap();
    assert_ne!(w.spec().canonical_key(), other.spec().canonical_key());
}

#[test]
fn per_model_runtime_and_extra_device_profiles_are_used() {
    use crate::catalog::hardware;
    use crate::predict::multi::{Strategy, Target, Workload as W};
    let w = build(&bert(1), "m", WorkloadOptions::default()).unwrap();
    let mut profile = hardware::find("wasm").unwrap();
    profile.id = "pool:wasm".to_string();
    let mut on_pool = w.spec();
    on_pool.device = Some("pool:wasm".to_string());
    on_pool.runtime = Some("builtin".to_string());
    let target = Target { devices: vec![profile], ..Target::new("webgpu").unwrap() };
    let workload = W { models: vec![on_pool.clone()], constraints: Default::default() };
    let p = crate::MultiModelPredictor::default()
        .predict(&workload, &target, Strategy::Sequential)
        .unwrap();
    assert_eq!(&*p.models[0].device, "pool:wasm");
    assert_eq!(&*p.models[0].runtime, "builtin");
    // A device id that is neither an extra profile nor in the catalog names the field.
    on_pool.device = Some("pool:nothing".to_string());
    let e = crate::MultiModelPredictor::default()
        .predict(
            &W { models: vec![on_pool], constraints: Default::default() },
            &target,
            Strategy::Sequential,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("models[0].device"), "{e}");
}

#[test]
fn aliases_give_the_same_workload() {
    let o = WorkloadOptions::default();
    let a = build(&ModelSpec::named("bert-base"), "m", o).unwrap();
    let b = build(&ModelSpec::named("google-bert/BERT-base-uncased"), "m", o).unwrap();
    assert_eq!(a.model, "bert-base-uncased");
    assert_eq!(a, b);
}
