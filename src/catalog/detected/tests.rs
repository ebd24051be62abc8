//! Mapping fixtures (adapter kinds, cores, memory caps, isolation) and User-Agent parsing cases.

use super::*;

fn adapter(vendor: &str, architecture: &str, fallback: bool) -> GpuAdapter {
    GpuAdapter {
        vendor: vendor.to_string(),
        architecture: architecture.to_string(),
        device: String::new(),
        description: String::new(),
        is_fallback_adapter: fallback,
        features: vec!["subgroups".to_string(), "timestamp-query".to_string()],
        limits: GpuLimits {
            max_buffer_size: 1 << 30,
            max_storage_buffer_binding_size: 1 << 30,
            ..GpuLimits::default()
        },
    }
}

fn gpu(high: GpuAdapter, low: GpuAdapter) -> Result<WebGpu, String> {
    Ok(WebGpu {
        high_performance: Ok(high),
        low_power: Ok(low),
        wgsl_language_features: Vec::new(),
    })
}

fn caps(webgpu: Result<WebGpu, String>) -> Capabilities {
    Capabilities {
        scope: GlobalScope::Window,
        secure_context: true,
        browser: browser_from_user_agent(
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36",
        ),
        webgpu,
        webnn: Err("navigator.ml is absent".to_string()),
        wasm: WasmSupport {
            webassembly: true,
            simd: true,
            relaxed_simd: true,
            ..WasmSupport::default()
        },
        hardware_concurrency: Some(8),
        device_memory_gb: Some(8.0),
        timeout_ms: 5000,
    }
}

fn no_adapter() -> Result<WebGpu, String> {
    let none = || Err(Failure::new("NoAdapter", "requestAdapter() resolved to null"));
    Ok(WebGpu { high_performance: none(), low_power: none(), wgsl_language_features: Vec::new() })
}

#[test]
fn the_base_device_follows_the_adapter() {
    let swiftshader = adapter("google", "swiftshader", true);
    let xe = adapter("intel", "xe-lpg", false);
    let cases: [(&str, Result<WebGpu, String>, &str); 7] = [
        ("fallback", gpu(swiftshader.clone(), swiftshader.clone()), "webgpu:fallback"),
        ("one intel adapter", gpu(xe.clone(), xe.clone()), "webgpu:integrated"),
        ("two adapters", gpu(adapter("nvidia", "ampere", false), xe.clone()), "webgpu:discrete"),
        (
            "nvidia alone",
            gpu(adapter("nvidia", "lovelace", false), adapter("nvidia", "lovelace", false)),
            "webgpu:discrete",
        ),
        (
            "intel arc",
            gpu(adapter("intel", "xe-hpg", false), adapter("intel", "xe-hpg", false)),
            "webgpu:discrete",
        ),
        ("no adapter", no_adapter(), "wasm:laptop-4c"),
        ("no navigator.gpu", Err("navigator.gpu is absent".to_string()), "wasm:laptop-4c"),
    ];
    for (label, webgpu, base) in cases {
        let (p, reasons) = profile_from_capabilities(&caps(webgpu));
        assert_eq!(p.id, format!("detected:{base}"), "{label}: {reasons:?}");
        assert!(!reasons.is_empty(), "{label}");
    }
}

#[test]
fn amd_and_nvidia_integrated_graphics_stay_integrated() {
    // (vendor, architecture, description, discrete?)
    let cases = [
        ("amd", "rdna-3", "AMD Radeon(TM) 780M", false),
        ("amd", "gcn-5", "AMD Radeon(TM) Vega 8 Graphics", false),
        ("amd", "rdna-2", "AMD Radeon(TM) Graphics", false),
        ("amd", "gcn-5", "Radeon RX Vega 64", true),
        ("amd", "rdna-3", "AMD Radeon RX 7900 XTX", true),
        ("amd", "rdna-3", "", true),
        ("nvidia", "ampere", "NVIDIA Jetson Orin Nano", false),
        ("apple", "metal-3", "", false),
        ("qualcomm", "adreno-7xx", "", false),
    ];
    for (vendor, architecture, description, discrete) in cases {
        let mut a = adapter(vendor, architecture, false);
        a.description = description.to_string();
        let (p, reasons) = profile_from_capabilities(&caps(gpu(a.clone(), a)));
        let expected =
            if discrete { "detected:webgpu:discrete" } else { "detected:webgpu:integrated" };
        assert_eq!(p.id, expected, "{description}: {reasons:?}");
    }
}

#[test]
fn a_fallback_adapter_is_predicted_at_cpu_speed_on_every_core() {
    let sw = adapter("google", "swiftshader", true);
    let base = hardware::find("webgpu:fallback").unwrap();
    let (p, reasons) = profile_from_capabilities(&caps(gpu(sw.clone(), sw)));
    assert_eq!((p.compute_units, p.host_cores), (8, 8));
    // 8 cores instead of the 2 the catalog figure was measured on.
    assert!((p.peak_tflops.fp32 - base.peak_tflops.fp32 * 4.0).abs() < 1e-12);
    assert!(p.peak_tflops.fp32 < 0.01, "a CPU in disguise: {}", p.peak_tflops.fp32);
    assert!(reasons.iter().any(|r| r.contains("fallback")), "{reasons:?}");
    let hw = hardware::find("webgpu:integrated").unwrap();
    assert!(p.peak_tflops.fp32 < hw.peak_tflops.fp32 / 100.0);
}

#[test]
fn a_fallback_adapter_is_chosen_only_when_no_hardware_adapter_came_back() {
    let xe = adapter("intel", "xe-lpg", false);
    let sw = adapter("google", "swiftshader", true);
    let (p, _) = profile_from_capabilities(&caps(gpu(sw, xe)));
    assert_eq!(p.id, "detected:webgpu:integrated");
}

#[test]
fn without_shader_f16_fp16_runs_at_the_fp32_rate() {
    let mut xe = adapter("intel", "xe-lpg", false);
    let (without, reasons) = profile_from_capabilities(&caps(gpu(xe.clone(), xe.clone())));
    assert_eq!(without.peak_tflops.fp16, 0.0);
    assert!(reasons.iter().any(|r| r.contains("shader-f16")));
    xe.features.push("shader-f16".to_string());
    let (with, _) = profile_from_capabilities(&caps(gpu(xe.clone(), xe)));
    assert_eq!(
        with.peak_tflops.fp16,
        hardware::find("webgpu:integrated").unwrap().peak_tflops.fp16
    );
}

#[test]
fn without_webgpu_wasm_uses_cores_only_when_cross_origin_isolated() {
    let base = hardware::find("wasm:laptop-4c").unwrap();
    let mut c = caps(Err("navigator.gpu is absent".to_string()));
    let (single, reasons) = profile_from_capabilities(&c);
    assert_eq!((single.compute_units, single.host_cores), (1, 8));
    assert!((single.peak_tflops.fp32 - base.peak_tflops.fp32 / 4.0).abs() < 1e-12);
    assert!(reasons.iter().any(|r| r.contains("single-threaded")), "{reasons:?}");
    c.wasm.shared_array_buffer = true;
    c.wasm.cross_origin_isolated = true;
    let (threaded, _) = profile_from_capabilities(&c);
    assert_eq!(threaded.compute_units, 8);
    assert!((threaded.peak_tflops.fp32 - base.peak_tflops.fp32 * 2.0).abs() < 1e-12);
    // Without relaxed SIMD there is no fused multiply-add: a multiply and an add each take a pipe.
    c.wasm.relaxed_simd = false;
    let (no_fma, reasons) = profile_from_capabilities(&c);
    assert!((no_fma.peak_tflops.fp32 - threaded.peak_tflops.fp32 / 2.0).abs() < 1e-12);
    assert!(reasons.iter().any(|r| r.contains("relaxed SIMD")), "{reasons:?}");
    c.wasm.relaxed_simd = true;
    c.wasm.simd = false;
    let (scalar, reasons) = profile_from_capabilities(&c);
    assert!((scalar.peak_tflops.fp32 - threaded.peak_tflops.fp32 / 4.0).abs() < 1e-12);
    assert!(reasons.iter().any(|r| r.contains("SIMD")));
}

#[test]
fn memory_follows_device_memory_within_the_browser_caps() {
    let xe = adapter("intel", "xe-lpg", false);
    // (deviceMemory, maxBufferSize MiB, expected capacity MB)
    let cases = [
        (Some(2.0), 1024, 1024.0),
        (Some(4.0), 4096, 2048.0),
        (Some(8.0), 1024, 4096.0),
        (Some(16.0), 1024, 8192.0),
        (Some(64.0), 1024, 16384.0),
        (Some(8.0), 6144, 6144.0),
        (None, 1024, 4096.0),
        (Some(0.0), 1024, 4096.0),
        (Some(f64::NAN), 1024, 4096.0),
    ];
    for (gb, buffer_mib, expected) in cases {
        let mut a = xe.clone();
        a.limits.max_buffer_size = buffer_mib << 20;
        let mut c = caps(gpu(a.clone(), a));
        c.device_memory_gb = gb;
        let (p, reasons) = profile_from_capabilities(&c);
        assert_eq!(p.memory_capacity_mb, expected, "{gb:?} {buffer_mib}: {reasons:?}");
    }
}

#[test]
fn wasm_memory_is_capped_by_the_wasm32_address_space() {
    let mut c = caps(Err("absent".to_string()));
    c.device_memory_gb = Some(8.0);
    let (p, _) = profile_from_capabilities(&c);
    assert!(p.memory_capacity_mb <= WASM32_MAX_MB);
    c.device_memory_gb = Some(1.0);
    let (p, _) = profile_from_capabilities(&c);
    assert_eq!(p.memory_capacity_mb, 512.0);
}

#[test]
fn discrete_memory_is_the_catalogs_or_at_least_one_buffer() {
    let mut big = adapter("nvidia", "ampere", false);
    big.limits.max_buffer_size = 16 << 30;
    let (p, reasons) = profile_from_capabilities(&caps(gpu(big.clone(), big)));
    assert_eq!(p.memory_capacity_mb, 16384.0, "{reasons:?}");
    let small = adapter("nvidia", "ampere", false);
    let (p, _) = profile_from_capabilities(&caps(gpu(small.clone(), small)));
    assert_eq!(p.memory_capacity_mb, hardware::find("webgpu:discrete").unwrap().memory_capacity_mb);
}

#[test]
fn missing_core_counts_keep_the_catalog_and_say_so() {
    let sw = adapter("google", "swiftshader", true);
    let mut c = caps(gpu(sw.clone(), sw));
    c.hardware_concurrency = None;
    let (p, reasons) = profile_from_capabilities(&c);
    assert_eq!(p.compute_units, hardware::find("webgpu:fallback").unwrap().compute_units);
    assert!(reasons.iter().any(|r| r.contains("hardwareConcurrency is absent")));
}

#[test]
fn every_change_is_explained_in_the_sources_too() {
    let (p, reasons) = profile_from_capabilities(&caps(no_adapter()));
    let detected = p.sources.iter().find(|(k, _)| k == "detected").unwrap();
    assert!(reasons.iter().all(|r| detected.1.contains(r.as_str())));
    assert!(reasons[0].contains("no adapter"), "{reasons:?}");
}

#[test]
fn user_agent_strings_name_browser_and_os() {
    let cases = [
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "HeadlessChrome", "156.0.0.0", "Linux"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Microsoft Edge", "131.0.0.0", "Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "133.0", "macOS"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15", "Safari", "18.2", "macOS"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1", "Safari", "18.2", "iOS"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Google Chrome", "131.0.0.0", "Android"),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Google Chrome", "131.0.0.0", "ChromeOS"),
        ("curl/8.5", "unknown", "", "unknown"),
    ];
    for (ua, name, version, os) in cases {
        let b = browser_from_user_agent(ua);
        assert_eq!(
            (b.name.as_str(), b.version.as_str(), b.os.as_str()),
            (name, version, os),
            "{ua}"
        );
        assert_eq!(b.source, BrowserSource::UserAgent);
    }
    assert_eq!(browser_from_user_agent(cases[4].0).os_version.as_deref(), Some("18.2"));
}

#[test]
fn client_hints_skip_grease_brands_and_prefer_the_vendor() {
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    let edge = pairs(&[
        ("Not)A;Brand", "99.0.0.0"),
        ("Microsoft Edge", "131.0.2903.86"),
        ("Chromium", "131.0.6778.140"),
    ]);
    let b = browser_from_client_hints(&edge, "Windows", Some("15.0.0"), Some(false), "");
    assert_eq!((b.name.as_str(), b.version.as_str()), ("Microsoft Edge", "131.0.2903.86"));
    assert_eq!((b.os.as_str(), b.os_version.as_deref()), ("Windows", Some("11")));
    assert_eq!(b.source, BrowserSource::ClientHints);
    let win10 = browser_from_client_hints(&edge, "Windows", Some("10.0.0"), None, "");
    assert_eq!(win10.os_version.as_deref(), Some("10"));
    let chromium = pairs(&[("Chromium", "156.0.7500.0"), ("Not_A Brand", "24.0.0.0")]);
    let b = browser_from_client_hints(&chromium, "Linux", Some(""), Some(false), "");
    assert_eq!((b.name.as_str(), b.os.as_str(), b.os_version), ("Chromium", "Linux", None));
    let only_grease = pairs(&[("Not A(Brand", "8")]);
    let ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36";
    assert_eq!(browser_from_client_hints(&only_grease, "", None, None, ua).name, "Google Chrome");
}
