//! TF32: fp32 storage, products on the tensor cores of NVIDIA Ampere and later at the datasheet's TF32 rate, and
//! plain fp32 on devices without TF32 units.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::{hardware, Precision};
use multimodel_perf::predict::single::{Placement, SinglePrediction};
use multimodel_perf::predict::spec::{resolve, ModelSpec};

fn predict(device: &str, model: &str, batch: u32, precision: Precision) -> SinglePrediction {
    let dev = hardware::find(device).unwrap();
    let runtime = RuntimeProfile::find("pytorch").unwrap();
    let spec = ModelSpec::named(model).with_batch(batch).with_precision(precision);
    let model = resolve(&spec, "m").unwrap();
    Placement { device: &dev, runtime: &runtime, threads: dev.compute_units }.predict(&model)
}

#[test]
fn tf32_is_parsed_named_and_stored_as_fp32() {
    for text in ["tf32", "TF32", " tensorfloat32 "] {
        assert_eq!(Precision::parse("precision", text).unwrap(), Precision::Tf32, "{text}");
    }
    assert_eq!(Precision::Tf32.name(), "tf32");
    assert_eq!(Precision::Tf32.weight_bytes(), Precision::Fp32.weight_bytes());
    assert_eq!(Precision::Tf32.activation_bytes(), Precision::Fp32.activation_bytes());
    let err = Precision::parse("models[0].precision", "tf16").unwrap_err().to_string();
    assert!(err.contains("tf32"), "{err}");
}

#[test]
fn ampere_and_later_have_the_datasheet_tf32_rate_and_older_gpus_none() {
    // Datasheet dense TF32 tensor rates, TFLOP/s.
    for (id, tf32) in [("cuda:a100-40gb", 156.0), ("cuda:h100-sxm", 494.7), ("cuda:l4", 60.0)] {
        let d = hardware::find(id).unwrap();
        assert_eq!(d.peak_tflops.tf32, tf32, "{id}");
        assert_eq!(d.peak_for(Precision::Tf32).1, Precision::Tf32, "{id}");
        let source =
            d.sources.iter().find(|(k, _)| k == "peak_tflops.tf32").map(|(_, v)| v.as_str());
        assert!(
            source.is_some_and(|s| s.contains("TF32") && s.contains("dense")),
            "{id}: {source:?}"
        );
    }
    for id in ["cuda:v100", "cuda:t4", "rocm:mi250", "cpu", "webgpu:discrete"] {
        let d = hardware::find(id).unwrap();
        assert_eq!(d.peak_tflops.tf32, 0.0, "{id}");
        assert_eq!(d.peak_for(Precision::Tf32), d.peak_for(Precision::Fp32), "{id}");
        assert!(d.sources.iter().all(|(k, _)| k != "peak_tflops.tf32"), "{id}");
    }
}

#[test]
fn a_compute_bound_model_runs_faster_in_tf32_on_an_a100_with_fp32_memory() {
    let (fp32, tf32, fp16) = (
        predict("cuda:a100-40gb", "bert-large-uncased", 32, Precision::Fp32),
        predict("cuda:a100-40gb", "bert-large-uncased", 32, Precision::Tf32),
        predict("cuda:a100-40gb", "bert-large-uncased", 32, Precision::Fp16),
    );
    assert_eq!(tf32.compute_precision, Precision::Tf32);
    assert_eq!(tf32.memory.total_mb(), fp32.memory.total_mb());
    assert_eq!(tf32.gflops, fp32.gflops);
    // Between fp32 on the CUDA cores (19.5 TF) and fp16 on the tensor cores (312 TF), with its 4-byte
    // activations and weights.
    assert!(tf32.latency_ms < fp32.latency_ms / 3.0, "{} vs {}", tf32.latency_ms, fp32.latency_ms);
    assert!(tf32.latency_ms > fp16.latency_ms, "{} vs {}", tf32.latency_ms, fp16.latency_ms);
}

#[test]
fn tf32_on_a_gpu_without_tf32_units_is_the_fp32_prediction() {
    for device in ["cuda:t4", "cuda:v100"] {
        let fp32 = predict(device, "resnet-50", 8, Precision::Fp32);
        let tf32 = predict(device, "resnet-50", 8, Precision::Tf32);
        assert_eq!(tf32.compute_precision, Precision::Fp32, "{device}");
        assert_eq!(tf32.latency_ms, fp32.latency_ms, "{device}");
        assert_eq!(tf32.memory.total_mb(), fp32.memory.total_mb(), "{device}");
    }
}

#[test]
fn scaling_a_devices_peaks_scales_its_tf32_peak_too() {
    // What calibration's compute fit and a CPU's share of cores do to a profile.
    let mut d = hardware::find("cuda:a100-40gb").unwrap();
    d.scale_peaks(0.5);
    assert_eq!(d.peak_tflops.tf32, 78.0);
    assert_eq!(d.peak_tflops.fp32, 9.75);
}
