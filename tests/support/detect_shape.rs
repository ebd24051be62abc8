//! The shape of `detectCapabilities()`'s result (the `Capabilities` TypeScript interface), checked key by
//! key and type by type; shared by the window test (`web_detect.rs`) and the worker test
//! (`web_detect_worker.rs`), so both scopes must give the same shape.

use serde_json::Value;

/// Asserts `v` is an object with exactly these keys.
pub fn keys(v: &Value, path: &str, expected: &[&str]) {
    let obj = v.as_object().unwrap_or_else(|| panic!("{path} is not an object: {v}"));
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want = expected.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "{path}: keys");
}

fn string_or_null(v: &Value, path: &str) {
    assert!(v.is_string() || v.is_null(), "{path} = {v}");
}

fn failure_or_null(v: &Value, path: &str) {
    if !v.is_null() {
        keys(v, path, &["name", "message"]);
        assert!(v["name"].as_str().is_some_and(|s| !s.is_empty()), "{path}.name = {v}");
        assert!(v["message"].as_str().is_some_and(|s| !s.is_empty()), "{path}.message = {v}");
    }
}

fn sorted_strings(v: &Value, path: &str) -> Vec<String> {
    let list: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("{path} is not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("strings").to_string())
        .collect();
    let mut sorted = list.clone();
    sorted.sort();
    assert_eq!(list, sorted, "{path} is sorted");
    list
}

fn adapter_probe(v: &Value, path: &str) {
    if v.is_null() {
        return;
    }
    keys(v, path, &["adapter", "error"]);
    let a = &v["adapter"];
    assert!(a.is_null() != v["error"].is_null(), "{path}: an adapter or an error, not both: {v}");
    failure_or_null(&v["error"], &format!("{path}.error"));
    if a.is_null() {
        return;
    }
    let p = format!("{path}.adapter");
    keys(
        a,
        &p,
        &[
            "vendor",
            "architecture",
            "device",
            "description",
            "isFallbackAdapter",
            "features",
            "limits",
        ],
    );
    assert!(a["isFallbackAdapter"].is_boolean(), "{p}");
    sorted_strings(&a["features"], &format!("{p}.features"));
    keys(
        &a["limits"],
        &format!("{p}.limits"),
        &[
            "maxBufferSize",
            "maxStorageBufferBindingSize",
            "maxComputeWorkgroupStorageSize",
            "maxComputeInvocationsPerWorkgroup",
            "maxComputeWorkgroupSizeX",
            "maxStorageBuffersPerShaderStage",
            "maxComputeWorkgroupsPerDimension",
        ],
    );
    // Every adapter offers at least the spec's default limits.
    let at_least = |k: &str, min: f64| {
        let x = a["limits"][k].as_f64().unwrap_or(0.0);
        assert!(x >= min, "{p}.limits.{k} = {x} < {min}");
    };
    at_least("maxBufferSize", 268_435_456.0);
    at_least("maxStorageBufferBindingSize", 134_217_728.0);
    at_least("maxComputeWorkgroupStorageSize", 16_384.0);
    at_least("maxComputeInvocationsPerWorkgroup", 256.0);
}

fn webnn_context(v: &Value, path: &str) {
    keys(
        v,
        path,
        &[
            "kind",
            "form",
            "options",
            "ok",
            "error",
            "accelerated",
            "opSupport",
            "opSupportError",
            "currentFormError",
        ],
    );
    assert!(matches!(v["form"].as_str(), Some("options" | "deviceType")), "{path}.form");
    assert!(v["options"].as_str().is_some_and(|s| s.starts_with('{')));
    let ok = v["ok"].as_bool().expect("ok is a boolean");
    assert_eq!(ok, v["error"].is_null(), "{path}: ok xor error: {v}");
    failure_or_null(&v["error"], &format!("{path}.error"));
    failure_or_null(&v["opSupportError"], &format!("{path}.opSupportError"));
    failure_or_null(&v["currentFormError"], &format!("{path}.currentFormError"));
    if ok {
        assert!(
            !v["opSupport"].is_null() || !v["opSupportError"].is_null(),
            "{path}: a created context says what it supports, or why not: {v}"
        );
    }
}

/// Checks every key and type of a `Capabilities` object; returns nothing, panics with the path on a mismatch.
pub fn check(c: &Value) {
    keys(
        c,
        "capabilities",
        &[
            "scope",
            "secureContext",
            "browser",
            "webgpu",
            "webnn",
            "wasm",
            "hardwareConcurrency",
            "deviceMemoryGb",
            "timeoutMs",
        ],
    );
    assert!(matches!(c["scope"].as_str(), Some("window" | "worker" | "other")));
    assert!(c["secureContext"].is_boolean());
    let b = &c["browser"];
    keys(b, "browser", &["name", "version", "os", "osVersion", "mobile", "source", "userAgent"]);
    assert!(matches!(b["source"].as_str(), Some("client-hints" | "user-agent")));
    string_or_null(&b["osVersion"], "browser.osVersion");
    let g = &c["webgpu"];
    keys(
        g,
        "webgpu",
        &["available", "reason", "highPerformance", "lowPower", "wgslLanguageFeatures"],
    );
    let available = g["available"].as_bool().expect("webgpu.available");
    assert_eq!(available, g["reason"].is_null(), "webgpu: available xor a reason");
    adapter_probe(&g["highPerformance"], "webgpu.highPerformance");
    adapter_probe(&g["lowPower"], "webgpu.lowPower");
    sorted_strings(&g["wgslLanguageFeatures"], "webgpu.wgslLanguageFeatures");
    let n = &c["webnn"];
    keys(n, "webnn", &["available", "reason", "contexts"]);
    let available = n["available"].as_bool().expect("webnn.available");
    assert_eq!(available, n["reason"].is_null(), "webnn: available xor a reason");
    for (i, ctx) in n["contexts"].as_array().expect("contexts").iter().enumerate() {
        webnn_context(ctx, &format!("webnn.contexts[{i}]"));
    }
    keys(
        &c["wasm"],
        "wasm",
        &[
            "webassembly",
            "simd",
            "relaxedSimd",
            "sharedArrayBuffer",
            "crossOriginIsolated",
            "threads",
        ],
    );
    assert!(c["hardwareConcurrency"].is_u64() || c["hardwareConcurrency"].is_null());
    assert!(c["deviceMemoryGb"].is_number() || c["deviceMemoryGb"].is_null());
    assert!(c["timeoutMs"].as_u64().is_some_and(|t| t > 0));
}
