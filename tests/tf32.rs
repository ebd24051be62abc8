//! TF32: fp32 storage, products on the tensor cores of NVIDIA Ampere and later at the datasheet's TF32 rate, and
//! plain fp32 on devices without TF32 units.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::{hardware, Precision};
use multimodel_perf::predict::single::{Placement, SinglePrediction};
use multimodel_perf::predict::spec::{resolve, ModelSpec};

fn predict(device: &str, model: &str, batch: u32, precision: Precision) -> SinglePrediction {
    let dev = hardware::find(device).unwrap();
    let runtime = without_transposes(&RuntimeProfile::find("pytorch").unwrap());
    let spec = ModelSpec::named(model).with_batch(batch).with_precision(precision);
    let model = resolve(&spec, "m").unwrap();
    Placement { device: &dev, runtime: &runtime, threads: dev.compute_units }.predict(&model)
}

/// `runtime` without PyTorch's NCHW transposes around tensor-core convolutions, which the ones on the CUDA
/// cores do not pay: these tests compare the arithmetic alone (`predict::single`'s tests price the
/// transposes). A channels-last entry would do the same where they apply, and warn where they do not.
fn without_transposes(runtime: &RuntimeProfile) -> RuntimeProfile {
    RuntimeProfile { gpu_conv_layout_copies: false, ..runtime.clone() }
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

#[test]
fn every_cuda_gpu_with_bf16_has_a_tf32_peak_with_its_source_and_no_other_device_has_one() {
    // BF16 and TF32 tensor cores came together, with Ampere; the catalog's only other BF16 devices are AMD's
    // and Intel's, which have no TF32.
    for d in hardware::all() {
        let cuda_bf16 = d.id.starts_with("cuda:") && d.peak_tflops.bf16 > 0.0;
        let source = d.sources.iter().any(|(k, _)| k == "peak_tflops.tf32");
        assert_eq!(d.peak_tflops.tf32 > 0.0, cuda_bf16, "{}", d.id);
        assert_eq!(source, cuda_bf16, "{}", d.id);
        if cuda_bf16 {
            // Dense TF32 is half the dense FP16 tensor rate on every one of them.
            let ratio = d.peak_tflops.fp16 / d.peak_tflops.tf32;
            assert!((ratio - 2.0).abs() < 0.02, "{}: fp16 / tf32 = {ratio}", d.id);
        }
    }
}

#[test]
fn fp32_and_tf32_entries_of_one_model_share_their_weights() {
    use multimodel_perf::predict::multi::{Strategy, Target, Workload};
    let models = vec![
        ModelSpec::named("bert-base-uncased").with_precision(Precision::Fp32),
        ModelSpec::named("bert-base-uncased").with_precision(Precision::Tf32),
        ModelSpec::named("bert-base-uncased").with_precision(Precision::Fp16),
    ];
    let workload = Workload { models, constraints: Default::default() };
    let target = Target::new("cuda:a100-40gb").unwrap();
    let p = multimodel_perf::MultiModelPredictor::default()
        .predict(&workload, &target, Strategy::Parallel)
        .unwrap();
    // The tf32 entry holds the fp32 entry's very tensors; the fp16 one holds other ones.
    assert_eq!(p.models[1].shared_mb, p.models[0].solo.memory.resident_mb());
    assert_eq!(p.models[2].shared_mb, 0.0);
    assert_eq!(p.sharing.pairs.len(), 1);
    assert_eq!(p.sharing.memory_saved_mb, p.models[1].shared_mb);
}

#[test]
fn a_device_profile_gives_a_tf32_peak_and_drops_its_bases_peak_sources() {
    use multimodel_perf::catalog::hardware::DeviceProfile;
    use multimodel_perf::wire::HardwareProfileDto;
    let a100 = hardware::find("cuda:a100-40gb").unwrap();
    let mut json = serde_json::to_value(HardwareProfileDto::from(&a100)).unwrap();
    json["id"] = "cuda:my-gpu".into();
    json["peak_tflops"] = serde_json::json!({ "fp32": 10.0, "tf32": 80.0, "fp16": 160.0 });
    json["sources"] = serde_json::json!({ "datasheet": "my datasheet" });
    let p = DeviceProfile::try_from(
        serde_json::from_value::<HardwareProfileDto>(json.clone()).unwrap(),
    )
    .unwrap();
    assert_eq!((p.peak_tflops.fp32, p.peak_tflops.tf32, p.peak_tflops.fp16), (10.0, 80.0, 160.0));
    assert_eq!(p.peak_for(Precision::Tf32), (80.0, Precision::Tf32));
    assert!(p.sources.iter().all(|(k, _)| k != "peak_tflops.tf32"), "{:?}", p.sources);
    // Only a TF32 peak: nothing to run fp32, fp16 or int8 work at, an error naming the field.
    json["peak_tflops"] = serde_json::json!({ "tf32": 80.0 });
    let err = DeviceProfile::try_from(serde_json::from_value::<HardwareProfileDto>(json).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("peak_tflops") && err.contains("fp32, fp16 or int8"), "{err}");
}

fn predict_on(device: &str, runtime: &RuntimeProfile, model: &str, batch: u32) -> SinglePrediction {
    let dev = hardware::find(device).unwrap();
    let runtime = without_transposes(runtime);
    let spec = ModelSpec::named(model).with_batch(batch).with_precision(Precision::Fp32);
    let model = resolve(&spec, "m").unwrap();
    Placement { device: &dev, runtime: &runtime, threads: dev.compute_units }.predict(&model)
}

/// The runtime as it would be with TF32 turned off (`allow_tf32 = False`, `use_tf32 = 0`, kTF32 cleared).
fn strict(runtime: &str) -> RuntimeProfile {
    use multimodel_perf::catalog::runtime::Tf32Default;
    RuntimeProfile { fp32_as_tf32: Tf32Default::Off, ..RuntimeProfile::find(runtime).unwrap() }
}

#[test]
fn pytorch_runs_fp32_convolutions_as_tf32_on_an_a100_and_its_matrix_products_as_fp32() {
    let pytorch = RuntimeProfile::find("pytorch").unwrap();
    // ResNet-50 at batch 64: nearly all its FLOPs are convolutions, compute-bound at the fp32 rate.
    let cnn = predict_on("cuda:a100-40gb", &pytorch, "resnet-50", 64);
    let cnn_strict = predict_on("cuda:a100-40gb", &strict("pytorch"), "resnet-50", 64);
    assert_eq!(cnn.compute_precision, Precision::Tf32);
    assert_eq!(cnn_strict.compute_precision, Precision::Fp32);
    // TF32's peak is 8x FP32's, but the FP32 path keeps Winograd (2.25x fewer multiplies) and the CUDA-core
    // tile gain, and ResNet-50's norms and activations are memory-bound: TF32 takes a bit over half the time.
    assert!(
        cnn.latency_ms < cnn_strict.latency_ms * 0.6,
        "{} vs {}",
        cnn.latency_ms,
        cnn_strict.latency_ms
    );
    assert_eq!(cnn.memory.total_mb(), cnn_strict.memory.total_mb());
    assert_eq!(cnn.warnings.len(), 1, "{:?}", cnn.warnings);
    assert!(
        cnn.warnings[0].contains("% of its FLOPs) as TF32")
            && cnn.warnings[0].contains("allow_tf32"),
        "{:?}",
        cnn.warnings
    );
    // The share it names: all of ResNet-50's work but its one linear layer (4 of 4,100 MFLOP per image),
    // its batch norms, activations, additions and pools (a few per cent).
    let share: f64 = cnn.warnings[0]
        .split_once("convolutions (")
        .and_then(|(_, rest)| rest.split_once(" %"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap();
    assert!((95.0..100.0).contains(&share), "{share}");
    assert!(cnn_strict.warnings.is_empty(), "{:?}", cnn_strict.warnings);
    // An explicit tf32 entry also runs its one linear layer on the tensor cores: no slower than fp32's.
    let tf32 = predict("cuda:a100-40gb", "resnet-50", 64, Precision::Tf32);
    assert!(tf32.latency_ms <= cnn.latency_ms, "{} vs {}", tf32.latency_ms, cnn.latency_ms);
    // BERT has no convolutions: its fp32 products stay at the fp32 rate, with no note.
    let bert = predict_on("cuda:a100-40gb", &pytorch, "bert-large-uncased", 32);
    let bert_strict = predict_on("cuda:a100-40gb", &strict("pytorch"), "bert-large-uncased", 32);
    assert_eq!(bert, bert_strict);
    assert_eq!(bert.compute_precision, Precision::Fp32);
}

#[test]
fn tensorrt_and_onnx_runtime_run_fp32_products_as_tf32_by_default_where_the_gpu_has_it() {
    for runtime in ["tensorrt", "onnxruntime"] {
        let rt = RuntimeProfile::find(runtime).unwrap();
        let fp32 = predict_on("cuda:a100-40gb", &rt, "bert-large-uncased", 32);
        let spec =
            ModelSpec::named("bert-large-uncased").with_batch(32).with_precision(Precision::Tf32);
        let dev = hardware::find("cuda:a100-40gb").unwrap();
        let tf32 = Placement { device: &dev, runtime: &rt, threads: dev.compute_units }
            .predict(&resolve(&spec, "m").unwrap());
        assert_eq!(fp32.compute_precision, Precision::Tf32, "{runtime}");
        assert_eq!(fp32.latency_ms, tf32.latency_ms, "{runtime}");
        let off = predict_on("cuda:a100-40gb", &strict(runtime), "bert-large-uncased", 32);
        assert!(
            fp32.latency_ms < off.latency_ms / 3.0,
            "{runtime}: {} vs {}",
            fp32.latency_ms,
            off.latency_ms
        );
        // One warning, the TF32 default's: not "no native fp32 rate".
        assert_eq!(fp32.warnings.len(), 1, "{runtime}: {:?}", fp32.warnings);
        assert!(
            fp32.warnings[0].contains("as TF32") && fp32.warnings[0].contains(runtime),
            "{runtime}: {:?}",
            fp32.warnings
        );
        // A T4 has no TF32 units: fp32 is fp32, with no note.
        let t4 = predict_on("cuda:t4", &rt, "bert-large-uncased", 32);
        assert_eq!(
            t4,
            predict_on("cuda:t4", &strict(runtime), "bert-large-uncased", 32),
            "{runtime}"
        );
        assert_eq!(t4.compute_precision, Precision::Fp32, "{runtime}");
        assert!(t4.warnings.is_empty(), "{runtime}: {:?}", t4.warnings);
    }
    // ONNX Runtime on a CPU: no TF32 anywhere.
    let ort = RuntimeProfile::find("onnxruntime").unwrap();
    assert_eq!(
        predict_on("cpu", &ort, "resnet-50", 4),
        predict_on("cpu", &strict("onnxruntime"), "resnet-50", 4)
    );
}

#[test]
fn pytorch_tf32_convolutions_follow_the_gpu_and_the_models_convolutions() {
    let pytorch = RuntimeProfile::find("pytorch").unwrap();
    // A GPU without TF32 units: fp32 is fp32, with no note.
    let t4 = predict_on("cuda:t4", &pytorch, "resnet-50", 64);
    assert_eq!(t4, predict_on("cuda:t4", &strict("pytorch"), "resnet-50", 64));
    assert!(t4.warnings.is_empty(), "{:?}", t4.warnings);
    // The RTX 4090's TF32 tensor rate equals its fp32 rate: the same time, but its convolutions still
    // compute as TF32, and the prediction says so.
    let ada = predict_on("cuda:rtx4090", &pytorch, "resnet-50", 64);
    assert_eq!(ada.compute_precision, Precision::Tf32);
    assert_eq!(ada.warnings.len(), 1, "{:?}", ada.warnings);
    // A power-limited GPU kept busy by fused kernels: TensorRT's rules with PyTorch's TF32 default (PyTorch's
    // own unfused batch norms leave ResNet-50 memory-bound), on an A100 PCIe held to 150 W so that the clock
    // that fits is well below boost. The convolutions' TF32 rate is scaled to that clock: as fast as an
    // explicit tf32 entry, whose every product runs at the clocked TF32 rate (only its one linear layer
    // differs), and faster than fp32.
    use multimodel_perf::catalog::runtime::Tf32Default;
    let trt = RuntimeProfile::find("tensorrt").unwrap();
    let busy = RuntimeProfile { fp32_as_tf32: Tf32Default::Convolutions, ..trt.clone() };
    let mut capped = hardware::find("cuda:a100-pcie-80gb").unwrap();
    capped.tdp_w = 150.0;
    let run = |runtime: &RuntimeProfile, precision: Precision| {
        let spec = ModelSpec::named("resnet-50").with_batch(256).with_precision(precision);
        Placement { device: &capped, runtime, threads: capped.compute_units }
            .predict(&resolve(&spec, "m").unwrap())
    };
    let (convs, tf32, off) = (
        run(&busy, Precision::Fp32),
        run(&busy, Precision::Tf32),
        run(&strict("tensorrt"), Precision::Fp32),
    );
    assert!(convs.latency_ms < off.latency_ms, "{} vs {}", convs.latency_ms, off.latency_ms);
    assert_eq!(tf32.bound, multimodel_perf::predict::single::Bound::Compute);
    let gap = (convs.latency_ms - tf32.latency_ms) / tf32.latency_ms;
    assert!((0.0..0.02).contains(&gap), "{} vs {}", convs.latency_ms, tf32.latency_ms);
    // And the clock that fits 150 W slows the convolutions against the card at its own 300 W.
    let full = hardware::find("cuda:a100-pcie-80gb").unwrap();
    let spec = ModelSpec::named("resnet-50").with_batch(256).with_precision(Precision::Fp32);
    let at_300w = Placement { device: &full, runtime: &busy, threads: full.compute_units }
        .predict(&resolve(&spec, "m").unwrap());
    assert!(
        convs.latency_ms > 1.15 * at_300w.latency_ms,
        "{} vs {}",
        convs.latency_ms,
        at_300w.latency_ms
    );
    // Convolutions the catalog costs as matrix products still run through cuDNN: a ViT's patch embedding
    // and wav2vec 2.0's convolution stem. They are a minority of the ViT's FLOPs: it computes mostly in
    // fp32, with the note; faster than with TF32 off, at a batch whose kernels outlast PyTorch's launches
    // (at batch 8 the ViT's are shorter: the host's pace decides, whatever the convolution costs).
    for model in ["vit-base-patch16-224", "wav2vec2-base"] {
        let on = predict_on("cuda:a100-40gb", &pytorch, model, 64);
        let off = predict_on("cuda:a100-40gb", &strict("pytorch"), model, 64);
        assert!(on.latency_ms < off.latency_ms, "{model}: {} vs {}", on.latency_ms, off.latency_ms);
        assert_eq!(on.warnings.len(), 1, "{model}: {:?}", on.warnings);
    }
    let vit = predict_on("cuda:a100-40gb", &pytorch, "vit-base-patch16-224", 8);
    assert_eq!(vit.compute_precision, Precision::Fp32);
}

#[test]
fn a_tf32_peak_on_a_gpu_that_is_not_cudas_leaves_fp32_at_fp32() {
    // A profile may give any device a tf32 peak (an MI300's XF32, say); the TF32 defaults are cuBLAS's and
    // cuDNN's, so fp32 there stays fp32 under every runtime.
    let mut mi250 = hardware::find("rocm:mi250").unwrap();
    mi250.peak_tflops.tf32 = 90.0;
    let spec = ModelSpec::named("resnet-50").with_batch(64).with_precision(Precision::Fp32);
    let model = resolve(&spec, "m").unwrap();
    for runtime in ["pytorch", "onnxruntime"] {
        let rt = RuntimeProfile::find(runtime).unwrap();
        let off = strict(runtime);
        let on = Placement { device: &mi250, runtime: &rt, threads: mi250.compute_units }
            .predict(&model);
        let plain = Placement { device: &mi250, runtime: &off, threads: mi250.compute_units }
            .predict(&model);
        assert_eq!(on, plain, "{runtime}");
        assert_eq!(on.compute_precision, Precision::Fp32, "{runtime}");
    }
}
