//! `detectCapabilities()`: what this browser offers for running models, read from `navigator` in a page or a
//! worker. WebGPU goes through web-sys (`--cfg=web_sys_unstable_apis`); WebNN, Client Hints and the
//! fields some browsers lack go through `js_sys::Reflect`, so a missing property is an answer, never a
//! thrown exception. Every promise is raced against a timer (gloo-timers on the global `setTimeout`, 5 s by
//! default) so that a WebGPU or WebNN call that never settles cannot hang detection, and independent probes
//! run concurrently.
//!
//! The result is plain data ([`crate::catalog::detected::Capabilities`]); `detectedProfile()` maps it onto a
//! catalog device with the reasons for every change.

use futures_util::future::{join, join3};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Gpu, GpuPowerPreference, GpuRequestAdapterOptions, WorkerGlobalScope};

use crate::catalog::detected::{
    self, browser_from_client_hints, browser_from_user_agent, BrowserInfo, Capabilities,
    ContextForm, Failure, GlobalScope, GpuAdapter, GpuLimits, OpSupport, WasmSupport, WebGpu,
    WebNn, WebNnContext, WebNnContextInfo, WebNnKind,
};
use crate::error::Error;

use super::js::{call, get, settle};
pub use crate::wire::capabilities::CapabilitiesDto;
pub use crate::wire::detected::DetectedProfileDto;

/// Bound on every await during detection, ms.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;

#[wasm_bindgen]
extern "C" {
    /// Result of `detectCapabilities`.
    #[wasm_bindgen(typescript_type = "Capabilities")]
    pub type CapabilitiesJs;
    /// Argument of `detectedProfile`.
    #[wasm_bindgen(typescript_type = "Capabilities")]
    pub type CapabilitiesArg;
    /// Result of `detectedProfile`.
    #[wasm_bindgen(typescript_type = "DetectedProfile")]
    pub type DetectedProfileJs;
}

/// Detects this browser's capabilities, in a page or a worker. Every probe is bounded by 5 s; nothing that is
/// absent or fails makes it reject.
///
/// ```js
/// const caps = await detectCapabilities();
/// if (caps.webgpu.highPerformance?.adapter?.isFallbackAdapter) console.log("WebGPU runs on the CPU here");
/// ```
#[wasm_bindgen(js_name = detectCapabilities)]
pub async fn detect_capabilities() -> Result<CapabilitiesJs, JsError> {
    let caps = detect(DEFAULT_TIMEOUT_MS).await;
    super::remember_detected(&caps);
    Ok(super::to_js(&CapabilitiesDto::from(&caps))?.unchecked_into())
}

/// The device profile `capabilities` (from `detectCapabilities()`, or written by hand) imply, with reasons.
#[wasm_bindgen(js_name = detectedProfile)]
pub fn detected_profile(capabilities: CapabilitiesArg) -> Result<DetectedProfileJs, JsError> {
    let value: JsValue = capabilities.into();
    if super::is_absent(&value) {
        return Err(super::js_error(Error::missing(
            "capabilities",
            "the object detectCapabilities() resolves to",
        )));
    }
    let dto: CapabilitiesDto = super::from_js(&value, "capabilities")?;
    let (profile, reasons) =
        detected::profile_from_capabilities(&Capabilities::try_from(dto).map_err(super::js_error)?);
    Ok(super::to_js(&crate::wire::detected::detected_profile_dto(&profile, reasons))?
        .unchecked_into())
}

/// Detection from Rust: every await bounded by `timeout_ms`.
pub async fn detect(timeout_ms: u32) -> Capabilities {
    let global = js_sys::global();
    let (scope, navigator) = scope_and_navigator(&global);
    let secure_context = get(&global, "isSecureContext").as_bool().unwrap_or(false);
    let (browser, webgpu, webnn) = join3(
        browser(&navigator, timeout_ms),
        webgpu(&navigator, secure_context, timeout_ms),
        webnn(&navigator, secure_context, timeout_ms),
    )
    .await;
    let positive = |v: JsValue| v.as_f64().filter(|x| x.is_finite() && *x > 0.0);
    Capabilities {
        scope,
        secure_context,
        browser,
        webgpu,
        webnn,
        wasm: wasm(&global),
        hardware_concurrency: positive(get(&navigator, "hardwareConcurrency")).map(|n| n as u32),
        device_memory_gb: positive(get(&navigator, "deviceMemory")),
        timeout_ms,
    }
}

fn scope_and_navigator(global: &Object) -> (GlobalScope, JsValue) {
    if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        (GlobalScope::Window, w.navigator().into())
    } else if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        (GlobalScope::Worker, w.navigator().into())
    } else {
        (GlobalScope::Other, get(global, "navigator"))
    }
}

fn string(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

fn strings(list: &JsValue) -> Vec<String> {
    let mut out: Vec<String> = match js_sys::try_iter(list) {
        Ok(Some(items)) => items.filter_map(|v| v.ok().and_then(|v| v.as_string())).collect(),
        _ => Vec::new(),
    };
    crate::sorting::sort(&mut out);
    out
}

async fn call_async(
    target: &JsValue,
    method: &str,
    args: &Array,
    timeout_ms: u32,
) -> Result<JsValue, Failure> {
    settle(&call(target, method, args)?, timeout_ms).await
}

async fn browser(navigator: &JsValue, timeout_ms: u32) -> BrowserInfo {
    let ua = string(navigator, "userAgent");
    let data = get(navigator, "userAgentData");
    if !data.is_object() {
        return browser_from_user_agent(&ua);
    }
    let hints = Array::of2(&"fullVersionList".into(), &"platformVersion".into());
    let high = call_async(&data, "getHighEntropyValues", &Array::of1(&hints), timeout_ms)
        .await
        .unwrap_or(JsValue::UNDEFINED);
    let full = get(&high, "fullVersionList");
    let list = if Array::is_array(&full) { full } else { get(&data, "brands") };
    let brands: Vec<(String, String)> =
        Array::from(&list).iter().map(|b| (string(&b, "brand"), string(&b, "version"))).collect();
    let platform_version = get(&high, "platformVersion").as_string();
    browser_from_client_hints(
        &brands,
        &string(&data, "platform"),
        platform_version.as_deref(),
        get(&data, "mobile").as_bool(),
        &ua,
    )
}

fn missing_reason(navigator: &JsValue, api: &str, what: &str, secure_context: bool) -> String {
    if !navigator.is_object() {
        format!("{api} is absent: there is no navigator (not a browser page or worker)")
    } else if secure_context {
        format!("{api} is absent: this browser does not expose {what} here (not implemented, disabled by a flag or policy, or not offered to this kind of worker)")
    } else {
        format!("{api} is absent: not a secure context ({what} needs HTTPS or localhost)")
    }
}

async fn webgpu(
    navigator: &JsValue,
    secure_context: bool,
    timeout_ms: u32,
) -> Result<WebGpu, String> {
    let value = get(navigator, "gpu");
    if value.is_undefined() || value.is_null() {
        return Err(missing_reason(navigator, "navigator.gpu", "WebGPU", secure_context));
    }
    let gpu: Gpu = value
        .dyn_into()
        .map_err(|_| "navigator.gpu is not a GPU object (a polyfill?)".to_string())?;
    let (high_performance, low_power) = join(
        adapter(&gpu, GpuPowerPreference::HighPerformance, timeout_ms),
        adapter(&gpu, GpuPowerPreference::LowPower, timeout_ms),
    )
    .await;
    Ok(WebGpu {
        high_performance,
        low_power,
        wgsl_language_features: strings(&get(&gpu, "wgslLanguageFeatures")),
    })
}

async fn adapter(
    gpu: &Gpu,
    preference: GpuPowerPreference,
    timeout_ms: u32,
) -> Result<GpuAdapter, Failure> {
    let options = GpuRequestAdapterOptions::new();
    options.set_power_preference(preference);
    let promise: JsValue = gpu.request_adapter_with_options(&options).into();
    let found = settle(&promise, timeout_ms).await?;
    if found.is_null() || found.is_undefined() {
        return Err(Failure::new(
            "NoAdapter",
            format!(
                "requestAdapter({{powerPreference: \"{}\"}}) resolved to null: no usable GPU (blocklisted, \
                 WebGPU not enabled on this OS, or headless without --enable-unsafe-webgpu)",
                if preference == GpuPowerPreference::LowPower {
                    "low-power"
                } else {
                    "high-performance"
                }
            ),
        ));
    }
    let found: web_sys::GpuAdapter = found.unchecked_into();
    // `adapter.info` (Chrome 127+) replaced `requestAdapterInfo()`; `isFallbackAdapter` moved onto it.
    let mut info = get(&found, "info");
    if !info.is_object() {
        info = call_async(&found, "requestAdapterInfo", &Array::new(), timeout_ms)
            .await
            .unwrap_or(JsValue::UNDEFINED);
    }
    let fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&found, "isFallbackAdapter").as_bool());
    Ok(GpuAdapter {
        vendor: string(&info, "vendor"),
        architecture: string(&info, "architecture"),
        device: string(&info, "device"),
        description: string(&info, "description"),
        is_fallback_adapter: fallback.unwrap_or(false),
        features: strings(&found.features().into()),
        limits: limits(&found.limits()),
    })
}

fn limits(l: &web_sys::GpuSupportedLimits) -> GpuLimits {
    let bytes = |v: f64| {
        if v.is_finite() && v > 0.0 {
            v as u64
        } else {
            0
        }
    };
    GpuLimits {
        max_buffer_size: bytes(l.max_buffer_size()),
        max_storage_buffer_binding_size: bytes(l.max_storage_buffer_binding_size()),
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size(),
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup(),
        max_compute_workgroup_size_x: l.max_compute_workgroup_size_x(),
        max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage(),
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension(),
    }
}

async fn webnn(
    navigator: &JsValue,
    secure_context: bool,
    timeout_ms: u32,
) -> Result<WebNn, String> {
    let ml = get(navigator, "ml");
    if !ml.is_object() {
        return Err(format!(
            "{}; WebNN is not shipped by default in any browser yet (Chrome and Edge: origin trial or \
             --enable-features=WebMachineLearningNeuralNetwork)",
            missing_reason(navigator, "navigator.ml", "WebNN", secure_context)
        ));
    }
    let [gpu, npu, cpu] = WebNnKind::ALL;
    let (gpu, npu, cpu) = join3(
        webnn_context(&ml, gpu, timeout_ms),
        webnn_context(&ml, npu, timeout_ms),
        webnn_context(&ml, cpu, timeout_ms),
    )
    .await;
    Ok(WebNn { contexts: vec![gpu, npu, cpu] })
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

/// One context kind: the current `{powerPreference, accelerated}` form, and the older `{deviceType}` form
/// only when the current one is rejected as a `TypeError` (a build that does not know the dictionary).
async fn webnn_context(ml: &JsValue, kind: WebNnKind, timeout_ms: u32) -> WebNnContext {
    let (preference, accelerated) = kind.options();
    let current =
        object(&[("powerPreference", preference.into()), ("accelerated", accelerated.into())]);
    let written = format!("{{powerPreference: \"{preference}\", accelerated: {accelerated}}}");
    match create_context(ml, &current, timeout_ms).await {
        Err(e) if e.name == "TypeError" => {
            let older = object(&[("deviceType", kind.name().into())]);
            WebNnContext {
                kind,
                form: ContextForm::DeviceType,
                options: format!("{{deviceType: \"{}\"}}", kind.name()),
                result: create_context(ml, &older, timeout_ms).await,
                current_form_error: Some(e),
            }
        }
        result => WebNnContext {
            kind,
            form: ContextForm::Options,
            options: written,
            result,
            current_form_error: None,
        },
    }
}

async fn create_context(
    ml: &JsValue,
    options: &Object,
    timeout_ms: u32,
) -> Result<WebNnContextInfo, Failure> {
    let context = call_async(ml, "createContext", &Array::of1(options), timeout_ms).await?;
    let info = WebNnContextInfo {
        accelerated: get(&context, "accelerated").as_bool(),
        op_support: call(&context, "opSupportLimits", &Array::new()).map(|l| op_support(&l)),
    };
    // Release the context at once where the build can (`MLContext.destroy()`, 2024+).
    let _ = call(&context, "destroy", &Array::new());
    Ok(info)
}

/// Top-level members of `MLOpSupportLimits` that describe graph inputs and outputs, not operators.
const NOT_OPS: [&str; 5] =
    ["preferredInputLayout", "maxTensorByteLength", "input", "constant", "output"];

fn op_support(limits: &JsValue) -> OpSupport {
    let Some(obj) = limits.dyn_ref::<Object>() else {
        return OpSupport::default();
    };
    let op_count = Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .filter(|k| !NOT_OPS.contains(&k.as_str()) && get(limits, k).is_object())
        .count();
    let types = |op: &str, operand: &str| {
        let list = get(&get(&get(limits, op), operand), "dataTypes");
        Array::is_array(&list).then(|| strings(&list))
    };
    OpSupport {
        op_count: u32::try_from(op_count).unwrap_or(u32::MAX),
        matmul_input_data_types: types("matmul", "a"),
        conv2d_input_data_types: types("conv2d", "input"),
        max_tensor_byte_length: get(limits, "maxTensorByteLength").as_f64(),
        preferred_input_layout: get(limits, "preferredInputLayout").as_string(),
    }
}

/// `() -> v128` doing `i8x16.popcnt(i8x16.splat(0))`: validates only where 128-bit SIMD is supported
/// (the module `wasm-feature-detect` uses for `simd`).
const SIMD_MODULE: [u8; 31] = [
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
    15, 253, 98, 11,
];
/// `() -> v128` doing `i8x16.relaxed_swizzle` (opcode 0xfd 0x100): relaxed SIMD (`wasm-feature-detect`).
const RELAXED_SIMD_MODULE: [u8; 36] = [
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253,
    15, 65, 2, 253, 15, 253, 128, 2, 11,
];

fn wasm(global: &Object) -> WasmSupport {
    let has = |k: &str| Reflect::has(global, &JsValue::from_str(k)).unwrap_or(false);
    let webassembly = has("WebAssembly");
    let validates = |bytes: &[u8]| {
        webassembly
            && js_sys::WebAssembly::validate(&Uint8Array::from(bytes).into()).unwrap_or(false)
    };
    WasmSupport {
        webassembly,
        simd: validates(&SIMD_MODULE),
        relaxed_simd: validates(&RELAXED_SIMD_MODULE),
        shared_array_buffer: has("SharedArrayBuffer"),
        cross_origin_isolated: get(global, "crossOriginIsolated").as_bool() == Some(true),
    }
}
