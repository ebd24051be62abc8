//! Backend routing on hand-built browser capabilities: exclusions with the detected reason, the binding
//! limit, shader-f16, fallback adapters, WASM versus WebGPU by batch, order independence, and the browser
//! recommendation.

use multimodel_perf::catalog::detected::{
    BrowserInfo, BrowserSource, Capabilities, ContextForm, Failure, GlobalScope, GpuAdapter,
    GpuLimits, OpSupport, WasmSupport, WebGpu, WebNn, WebNnContext, WebNnContextInfo, WebNnKind,
};
use multimodel_perf::catalog::Precision;
use multimodel_perf::plan::route::{recommend_browser, route, Backend, RouteDecision};
use multimodel_perf::ModelSpec;

const MIB: u64 = 1024 * 1024;

fn adapter(vendor: &str, arch: &str, fallback: bool, f16: bool, binding: u64) -> GpuAdapter {
    let mut features = vec!["timestamp-query".to_string()];
    if f16 {
        features.insert(0, "shader-f16".to_string());
    }
    GpuAdapter {
        vendor: vendor.to_string(),
        architecture: arch.to_string(),
        device: String::new(),
        description: String::new(),
        is_fallback_adapter: fallback,
        features,
        limits: GpuLimits {
            max_buffer_size: binding.max(256 * MIB),
            max_storage_buffer_binding_size: binding,
            max_compute_workgroup_storage_size: 16_384,
            max_compute_invocations_per_workgroup: 256,
            max_compute_workgroup_size_x: 256,
            max_storage_buffers_per_shader_stage: 8,
            max_compute_workgroups_per_dimension: 65_535,
        },
    }
}

fn webnn_unusable() -> Result<WebNn, String> {
    Ok(WebNn {
        contexts: WebNnKind::ALL
            .iter()
            .map(|&kind| WebNnContext {
                kind,
                form: ContextForm::Options,
                options: format!("{{kind: {}}}", kind.name()),
                result: Err(Failure::new(
                    "NotSupportedError",
                    "WebNN is not supported on this platform.",
                )),
                current_form_error: None,
            })
            .collect(),
    })
}

fn webnn_npu() -> Result<WebNn, String> {
    let mut nn = webnn_unusable().unwrap();
    nn.contexts[1].result = Ok(WebNnContextInfo {
        accelerated: Some(true),
        op_support: Ok(OpSupport {
            op_count: 90,
            matmul_input_data_types: Some(vec!["float16".to_string(), "int8".to_string()]),
            ..OpSupport::default()
        }),
    });
    Ok(nn)
}

fn caps(webgpu: Result<WebGpu, String>) -> Capabilities {
    Capabilities {
        scope: GlobalScope::Window,
        secure_context: true,
        browser: BrowserInfo {
            name: "Google Chrome".to_string(),
            version: "156".to_string(),
            os: "Windows".to_string(),
            os_version: None,
            mobile: Some(false),
            source: BrowserSource::ClientHints,
            user_agent: String::new(),
        },
        webgpu,
        webnn: webnn_unusable(),
        wasm: WasmSupport {
            webassembly: true,
            simd: true,
            relaxed_simd: true,
            shared_array_buffer: true,
            cross_origin_isolated: true,
        },
        hardware_concurrency: Some(8),
        device_memory_gb: Some(16.0),
        timeout_ms: 5_000,
    }
}

fn gpu(a: GpuAdapter) -> Result<WebGpu, String> {
    Ok(WebGpu {
        high_performance: Ok(a.clone()),
        low_power: Ok(a),
        wgsl_language_features: Vec::new(),
    })
}

fn discrete(f16: bool) -> Capabilities {
    caps(gpu(adapter("nvidia", "ampere", false, f16, 2 << 30)))
}

fn integrated() -> Capabilities {
    caps(gpu(adapter("intel", "xe-lp", false, true, 128 * MIB)))
}

fn one(models: &[ModelSpec], c: &Capabilities) -> Vec<RouteDecision> {
    route(models, c).unwrap()
}

fn alt(d: &RouteDecision, b: Backend) -> &multimodel_perf::plan::route::Alternative {
    d.alternatives.iter().find(|a| a.backend == b).unwrap()
}

fn small() -> ModelSpec {
    ModelSpec::named("all-minilm-l6-v2")
}

#[test]
fn no_webgpu_puts_everything_on_wasm_with_the_reason() {
    let c = caps(Err("navigator.gpu is undefined".to_string()));
    let models = [small(), ModelSpec::named("resnet-50").with_batch(8)];
    for d in one(&models, &c) {
        assert_eq!(d.backend, Backend::Wasm, "{}", d.reason);
        assert!(d.device.contains("wasm"), "{}", d.device);
        assert_eq!(d.runtime, "onnxruntime-web");
        assert!(d.latency_ms > 0.0 && d.memory.total_mb() > 0.0);
        assert!(d.reason.contains("only usable backend"), "{}", d.reason);
        assert!(d.reason.contains("navigator.gpu is undefined"), "{}", d.reason);
        let g = alt(&d, Backend::WebGpu);
        assert!(!g.usable && g.latency_ms.is_none());
    }
}

#[test]
fn no_adapter_is_excluded_with_the_failure() {
    let c = caps(Ok(WebGpu {
        high_performance: Err(Failure::new("NoAdapter", "requestAdapter() resolved to null")),
        low_power: Err(Failure::new("NoAdapter", "requestAdapter() resolved to null")),
        wgsl_language_features: Vec::new(),
    }));
    let d = &one(&[small()], &c)[0];
    assert_eq!(d.backend, Backend::Wasm);
    assert!(alt(d, Backend::WebGpu).reason.contains("resolved to null"));
}

#[test]
fn fallback_adapter_loses_to_wasm() {
    let c = caps(gpu(adapter("google", "swiftshader", true, false, 128 * MIB)));
    for m in [small(), ModelSpec::named("mobilenet-v2").with_batch(4)] {
        let d = &one(&[m], &c)[0];
        assert_eq!(d.backend, Backend::Wasm, "{}", d.reason);
        let g = alt(d, Backend::WebGpu);
        assert!(g.usable);
        assert!(g.latency_ms.unwrap() > d.latency_ms);
        assert!(d.reason.contains("fallback"), "{}", d.reason);
    }
}

#[test]
fn discrete_gpu_with_a_large_batch_goes_to_webgpu() {
    for m in [
        ModelSpec::named("resnet-50").with_batch(32),
        ModelSpec::named("vit-base-patch16-224").with_batch(16),
    ] {
        let d = &one(&[m], &discrete(true))[0];
        assert_eq!(d.backend, Backend::WebGpu, "{}", d.reason);
        assert!(d.device.contains("webgpu:discrete"), "{}", d.device);
        let w = alt(d, Backend::Wasm);
        assert!(w.usable && w.latency_ms.unwrap() > 5.0 * d.latency_ms);
        assert!(d.reason.contains("lowest predicted latency"), "{}", d.reason);
    }
}

#[test]
fn a_tensor_over_the_binding_limit_cannot_go_to_webgpu() {
    // qwen2.5-0.5b ties its 151,936 x 896 embedding to the LM head: 545 MB in fp32.
    let d = &one(&[ModelSpec::named("qwen2.5-0.5b")], &integrated())[0];
    assert_ne!(d.backend, Backend::WebGpu);
    let g = alt(d, Backend::WebGpu);
    assert!(!g.usable);
    let expected = 151_936.0 * 896.0 * 4.0;
    assert!((d.largest_tensor_bytes - expected).abs() < 1.0, "{}", d.largest_tensor_bytes);
    for needle in ["545 MB", "maxStorageBufferBindingSize", "134217728"] {
        assert!(g.reason.contains(needle), "{needle}: {}", g.reason);
        assert!(d.reason.contains(needle), "{needle}: {}", d.reason);
    }
    // With a 2 GiB binding limit the same model may use WebGPU.
    let d = &one(&[ModelSpec::named("qwen2.5-0.5b")], &discrete(true))[0];
    assert_eq!(d.backend, Backend::WebGpu, "{}", d.reason);
}

#[test]
fn fp16_without_shader_f16_is_predicted_with_fp32_weights() {
    let m = ModelSpec::named("bert-base-uncased").with_precision(Precision::Fp16);
    let with = &one(std::slice::from_ref(&m), &discrete(true))[0];
    let without = &one(std::slice::from_ref(&m), &discrete(false))[0];
    assert_eq!(with.backend, Backend::WebGpu);
    assert_eq!(with.precision, Precision::Fp16);
    assert_eq!(without.backend, Backend::WebGpu);
    assert_eq!(without.precision, Precision::Fp32);
    assert!(without.reason.contains("shader-f16"), "{}", without.reason);
    assert!(without.memory.weights_mb > 1.9 * with.memory.weights_mb);
    assert!(without.largest_tensor_bytes > 1.9 * with.largest_tensor_bytes);
}

#[test]
fn unusable_webnn_is_excluded_with_the_browser_message() {
    let d = &one(&[small()], &integrated())[0];
    for k in WebNnKind::ALL {
        let a = alt(d, Backend::WebNn(k));
        assert!(!a.usable && a.latency_ms.is_none());
        assert!(
            a.reason.contains("NotSupportedError: WebNN is not supported on this platform."),
            "{}",
            a.reason
        );
    }
    let mut c = integrated();
    c.webnn = Err("navigator.ml is undefined".to_string());
    let d = &one(&[small()], &c)[0];
    assert!(alt(d, Backend::WebNn(WebNnKind::Npu)).reason.contains("navigator.ml is undefined"));
}

#[test]
fn an_available_npu_is_ranked_by_latency_and_by_its_data_types() {
    let mut c = integrated();
    c.webnn = webnn_npu();
    let fp16 = &one(&[small().with_precision(Precision::Fp16)], &c)[0];
    let npu = alt_or_chosen(fp16, Backend::WebNn(WebNnKind::Npu));
    assert!(npu.is_some(), "{fp16:?}");
    // The NPU lists no float32 matmul: an fp32 model is excluded from it, with the listed types.
    let fp32 = &one(&[small()], &c)[0];
    let a = alt(fp32, Backend::WebNn(WebNnKind::Npu));
    assert!(!a.usable && a.reason.contains("float16, int8"), "{}", a.reason);
}

fn alt_or_chosen(d: &RouteDecision, b: Backend) -> Option<f64> {
    if d.backend == b {
        Some(d.latency_ms)
    } else {
        alt(d, b).latency_ms
    }
}

#[test]
fn routing_is_independent_of_model_order() {
    let models = vec![
        small(),
        ModelSpec::named("qwen2.5-0.5b"),
        ModelSpec::named("resnet-50").with_batch(16),
        ModelSpec::named("whisper-tiny"),
    ];
    let mut reversed = models.clone();
    reversed.reverse();
    for c in [integrated(), discrete(false)] {
        let a = one(&models, &c);
        let mut b = one(&reversed, &c);
        b.reverse();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.model, x.backend, &x.reason), (&y.model, y.backend, &y.reason));
            assert_eq!(x.latency_ms.to_bits(), y.latency_ms.to_bits());
            assert_eq!(x.alternatives, y.alternatives);
        }
        assert_eq!(a, one(&models, &c), "deterministic");
    }
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let c = integrated();
    assert!(route(&[], &c).unwrap_err().to_string().contains("models"));
    let bad = ModelSpec::named("resnet-50").with_batch(0);
    let e = route(&[small(), bad], &c).unwrap_err().to_string();
    assert!(e.contains("models[1]"), "{e}");
    let mut none = caps(Err("absent".to_string()));
    none.wasm.webassembly = false;
    let e = route(&[small()], &none).unwrap_err().to_string();
    assert!(e.contains("models[0]") && e.contains("WebAssembly is absent"), "{e}");
}

#[test]
fn browsers_without_default_webgpu_rank_below_for_large_batch_vision() {
    let models = [
        ModelSpec::named("vit-base-patch16-224").with_batch(16),
        ModelSpec::named("resnet-50").with_batch(32),
    ];
    let r = recommend_browser(&models);
    let pos =
        |b: &str, os: &str| r.ranked.iter().position(|o| o.browser == b && o.os == os).unwrap();
    assert!(pos("chrome", "Windows") < pos("firefox", "macOS"));
    assert!(pos("firefox", "Windows") < pos("firefox", "Linux"));
    assert!(pos("safari", "macOS") < pos("chrome", "Linux"));
    let best = &r.ranked[0];
    assert!(best.backends.contains(&Backend::WebGpu));
    assert!(best.routes.iter().all(|(_, b, _)| *b == Backend::WebGpu));
    let ff_mac = &r.ranked[pos("firefox", "macOS")];
    assert_eq!(ff_mac.backends, vec![Backend::Wasm]);
    assert!(ff_mac.total_latency_ms.unwrap() > best.total_latency_ms.unwrap());
    assert!(r.reason.contains("WebGPU"), "{}", r.reason);
    assert!(r.ranked.iter().all(|o| !o.sources.is_empty() && !o.notes.is_empty()));
    // No browser ships WebNN by default (REFERENCE-FACTS): no option offers it.
    assert!(r.ranked.iter().all(|o| o.backends.iter().all(|b| !matches!(b, Backend::WebNn(_)))));
    // Independent of model order.
    let mut rev = models.to_vec();
    rev.reverse();
    let r2 = recommend_browser(&rev);
    let key = |r: &multimodel_perf::plan::route::BrowserRecommendation| {
        r.ranked
            .iter()
            .map(|o| (o.browser.clone(), o.os.clone(), o.total_latency_ms.map(f64::to_bits)))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&r), key(&r2));
}

#[test]
fn a_tiny_model_at_batch_1_runs_on_wasm_and_says_why() {
    use multimodel_perf::catalog::ModelType;
    use multimodel_perf::predict::spec::CustomModel;
    // 250 k parameters, 1 MFLOP per item: dispatch overhead, not arithmetic, decides. (Around 4 MFLOP
    // WebGPU wins: WASM threads pay a fork-join per operator and matrix-vector products run on one thread.)
    let tiny = ModelSpec {
        custom: Some(CustomModel::Size { params_m: 0.25, gflops: Some(0.001) }),
        model_type: Some(ModelType::TextEmbedding),
        ..ModelSpec::named("tiny-embedder")
    };
    let d = &one(std::slice::from_ref(&tiny), &integrated())[0];
    assert_eq!(d.backend, Backend::Wasm, "{}", d.reason);
    let g = alt(d, Backend::WebGpu).latency_ms.unwrap();
    assert!(g > d.latency_ms);
    assert!(d.reason.contains("small models at batch 1 are often faster on WASM"), "{}", d.reason);
    for x in [d.latency_ms, g] {
        let shown = format!("{x:.2} ms");
        assert!(d.reason.contains(&shown), "{shown}: {}", d.reason);
    }
    // The same model with a large batch goes to WebGPU.
    let d = &one(&[tiny.with_batch(256)], &integrated())[0];
    assert_eq!(d.backend, Backend::WebGpu, "{}", d.reason);
}

// Capabilities as `detectCapabilities()` writes them (tests/data/capabilities/, two captured from headless
// Chromium on the development VM), read through the same validated JSON path as `mmperf route --capabilities`.

fn fixture(name: &str) -> (String, Capabilities) {
    let path = format!("{}/tests/data/capabilities/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let caps = multimodel_perf::wire::capabilities::parse_capabilities(&text)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    (text, caps)
}

fn seed_models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::named("bert-base-uncased").with_batch(4),
        ModelSpec::named("vit-base-patch16-224"),
        ModelSpec::named("t5-small").with_batch(2),
    ]
}

/// JSON numbers compared by value (JavaScript writes `16` where serde writes an f64's `16.0`).
fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, x)| (k, numbers_as_f64(x))).collect())
        }
        other => other,
    }
}

#[test]
fn fixtures_read_back_as_detect_capabilities_wrote_them() {
    use multimodel_perf::wire::capabilities::CapabilitiesDto;
    for name in ["headless-chromium-isolated", "headless-chromium-webnn-flag", "laptop-igpu-webnn"]
    {
        let (text, caps) = fixture(name);
        let written = numbers_as_f64(serde_json::to_value(CapabilitiesDto::from(&caps)).unwrap());
        let read = numbers_as_f64(serde_json::from_str(&text).unwrap());
        assert_eq!(written, read, "{name}: capabilities changed on the way through");
    }
}

#[test]
fn captured_headless_chromium_routes_to_wasm_for_the_reasons_it_reported() {
    let (_, isolated) = fixture("headless-chromium-isolated");
    let (_, flagged) = fixture("headless-chromium-webnn-flag");
    let with_threads = one(&seed_models(), &isolated);
    let one_thread = one(&seed_models(), &flagged);
    for (a, b) in with_threads.iter().zip(&one_thread) {
        assert_eq!(a.backend, Backend::Wasm, "{}", a.model);
        assert_eq!(b.backend, Backend::Wasm, "{}", b.model);
        // SwiftShader's adapter is usable but predicted at CPU speed, slower than WASM.
        assert!(a.reason.contains("fallback"), "{}", a.reason);
        let gpu = alt(a, Backend::WebGpu);
        assert!(gpu.usable && gpu.latency_ms.unwrap() > a.latency_ms);
        // No navigator.ml: detection's reason is given once, not wrapped in another "is absent".
        let nn = alt(a, Backend::WebNn(WebNnKind::Cpu));
        assert!(!nn.usable, "{}", nn.reason);
        assert_eq!(nn.reason.matches("navigator.ml is absent").count(), 1, "{}", nn.reason);
        // Without an adapter WebGPU is out, with the browser's own words; WebNN's refused contexts too.
        let gpu = alt(b, Backend::WebGpu);
        assert!(!gpu.usable && gpu.reason.contains("NoAdapter"), "{}", gpu.reason);
        let npu = alt(b, Backend::WebNn(WebNnKind::Npu));
        assert!(!npu.usable && npu.reason.contains("not supported on this platform"));
        // The isolated page has WASM threads on its 2 cores, the other page one thread.
        assert!(
            a.latency_ms < 0.75 * b.latency_ms,
            "{}: {} ms with threads vs {} ms without",
            a.model,
            a.latency_ms,
            b.latency_ms
        );
    }
}

#[test]
fn a_laptop_with_webnn_and_an_integrated_gpu_routes_off_wasm_to_the_fastest_usable_backend() {
    let (_, laptop) = fixture("laptop-igpu-webnn");
    for d in one(&seed_models(), &laptop) {
        assert_ne!(d.backend, Backend::Wasm, "{}: {}", d.model, d.reason);
        for a in d.alternatives.iter().filter(|a| a.usable) {
            assert!(
                a.latency_ms.unwrap() >= d.latency_ms,
                "{}: {} at {:?} ms beats the chosen {} at {} ms",
                d.model,
                a.backend.name(),
                a.latency_ms,
                d.backend.name(),
                d.latency_ms
            );
        }
        assert_eq!(d.alternatives.len(), 4, "{}: every other backend ranked", d.model);
    }
}

#[test]
fn impossible_capabilities_are_errors_naming_the_field() {
    use multimodel_perf::wire::capabilities::parse_capabilities;
    let (text, _) = fixture("laptop-igpu-webnn");
    let base: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases: [(&str, serde_json::Value, &str); 4] = [
        ("/hardwareConcurrency", 0.into(), "capabilities.hardwareConcurrency"),
        ("/deviceMemoryGb", "NaN".into(), "capabilities.deviceMemoryGb"),
        ("/deviceMemoryGb", (-8).into(), "capabilities.deviceMemoryGb"),
        (
            "/webnn/contexts/1/opSupport/maxTensorByteLength",
            0.into(),
            "capabilities.webnn.contexts[1].opSupport.maxTensorByteLength",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut doc = base.clone();
        *doc.pointer_mut(pointer).unwrap() = value.clone();
        let err = parse_capabilities(&doc.to_string()).expect_err(pointer);
        assert!(err.to_string().contains(field), "{pointer} = {value}: {err}");
    }
    let err = parse_capabilities("{\"scope\": \"window\"").unwrap_err();
    assert!(err.to_string().contains("capabilities"), "{err}");
}

#[test]
fn tf32_in_a_browser_is_computed_and_reported_as_fp32() {
    let fp32 = &one(&[ModelSpec::named("bert-base-uncased")], &discrete(true))[0];
    let tf32 = &one(
        &[ModelSpec::named("bert-base-uncased").with_precision(Precision::Tf32)],
        &discrete(true),
    )[0];
    assert_eq!(tf32.backend, fp32.backend);
    assert_eq!(tf32.precision, Precision::Fp32);
    assert_eq!(tf32.latency_ms, fp32.latency_ms);
    assert_eq!(tf32.memory.weights_mb, fp32.memory.weights_mb);
}
