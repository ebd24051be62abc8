//! The JSON shape of [`Capabilities`] (camelCase, the `Capabilities` TypeScript interface): written by
//! `detectCapabilities()`, read back by `detectedProfile()`, `routeModels()`, the resource pool and
//! `mmperf route --capabilities`, so that an app may also pass a hand-written or stored capabilities object.
//! Read through [`TryFrom`], which rejects impossible numbers by field name.

use serde::{Deserialize, Serialize};

use super::lenient;
use crate::catalog::detected::{
    BrowserInfo, BrowserSource, Capabilities, ContextForm, Failure, GlobalScope, GpuAdapter,
    GpuLimits, OpSupport, WasmSupport, WebGpu, WebNn, WebNnContext, WebNnContextInfo, WebNnKind,
};
use crate::error::{Error, Result};

mod write;

/// What `detectCapabilities()` found. Absence is data with its reason, never an exception.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "Capabilities"))]
pub struct CapabilitiesDto {
    /// `window`, `worker` or `other`.
    pub scope: ScopeDto,
    /// `isSecureContext`.
    #[serde(default)]
    pub secure_context: bool,
    /// Browser and OS.
    pub browser: BrowserDto,
    /// WebGPU.
    pub webgpu: WebGpuDto,
    /// WebNN.
    pub webnn: WebNnDto,
    /// WebAssembly.
    pub wasm: WasmDto,
    /// Logical cores (`navigator.hardwareConcurrency`).
    pub hardware_concurrency: Option<u32>,
    /// GB, rounded to a power of two and capped at 8 by Chromium; null elsewhere.
    #[serde(default, deserialize_with = "lenient::option")]
    pub device_memory_gb: Option<f64>,
    /// Bound on each await during detection, ms.
    #[serde(default)]
    pub timeout_ms: u32,
}

/// The global scope.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "GlobalScope"))]
pub enum ScopeDto {
    /// A page.
    Window,
    /// A worker.
    Worker,
    /// Anything else.
    Other,
}

/// The browser and OS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "DetectedBrowser"))]
pub struct BrowserDto {
    /// "Google Chrome", "Microsoft Edge", "Chromium", "HeadlessChrome", "Firefox", "Safari", …
    pub name: String,
    /// Full version where Client Hints give it, else as in the UA string; "" when unknown.
    #[serde(default)]
    pub version: String,
    /// "Windows", "macOS", "Linux", "Android", "iOS", "ChromeOS" or "unknown".
    #[serde(default)]
    pub os: String,
    /// OS version.
    pub os_version: Option<String>,
    /// Mobile.
    pub mobile: Option<bool>,
    /// `client-hints` or `user-agent`.
    pub source: SourceDto,
    /// Raw UA string.
    #[serde(default)]
    pub user_agent: String,
}

/// Where the browser info came from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "BrowserInfoSource"))]
pub enum SourceDto {
    /// User-Agent Client Hints.
    ClientHints,
    /// The UA string.
    UserAgent,
}

/// Why a probe failed: the JS error's name and message as the browser gave them (`NotSupportedError`,
/// `TypeError`, …), or `NoAdapter` (requestAdapter resolved to null) / `TimeoutError` (no answer in time).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "DetectionFailure"))]
pub struct FailureDto {
    /// Error name.
    pub name: String,
    /// Message.
    pub message: String,
}

/// WebGPU as detected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebGpuCapabilities"))]
pub struct WebGpuDto {
    /// `navigator.gpu` exists.
    pub available: bool,
    /// Why not.
    pub reason: Option<String>,
    /// High-performance adapter probe.
    pub high_performance: Option<AdapterProbeDto>,
    /// Low-power adapter probe.
    pub low_power: Option<AdapterProbeDto>,
    /// WGSL language features.
    #[serde(default)]
    pub wgsl_language_features: Vec<String>,
}

/// One requestAdapter call: the adapter, or why there is none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebGpuAdapterProbe"))]
pub struct AdapterProbeDto {
    /// The adapter.
    pub adapter: Option<AdapterDto>,
    /// Why there is none.
    pub error: Option<FailureDto>,
}

/// A WebGPU adapter.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebGpuAdapterInfo"))]
pub struct AdapterDto {
    /// Vendor.
    #[serde(default)]
    pub vendor: String,
    /// Architecture.
    #[serde(default)]
    pub architecture: String,
    /// Device.
    #[serde(default)]
    pub device: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// A software adapter (SwiftShader, WARP): a CPU in disguise.
    pub is_fallback_adapter: bool,
    /// Sorted, e.g. "shader-f16", "subgroups", "timestamp-query".
    #[serde(default)]
    pub features: Vec<String>,
    /// Limits.
    pub limits: LimitsDto,
}

/// Adapter limits, bytes or counts.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebGpuLimits"))]
pub struct LimitsDto {
    /// Bytes.
    pub max_buffer_size: u64,
    /// Bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Bytes.
    pub max_compute_workgroup_storage_size: u32,
    /// Count.
    pub max_compute_invocations_per_workgroup: u32,
    /// Count.
    pub max_compute_workgroup_size_x: u32,
    /// Count.
    pub max_storage_buffers_per_shader_stage: u32,
    /// Count.
    pub max_compute_workgroups_per_dimension: u32,
}

/// WebNN as detected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebNnCapabilities"))]
pub struct WebNnDto {
    /// `navigator.ml` exists.
    pub available: bool,
    /// Why not.
    pub reason: Option<String>,
    /// One report per context kind.
    #[serde(default)]
    pub contexts: Vec<ContextDto>,
}

/// One `navigator.ml.createContext` attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebNnContextReport"))]
pub struct ContextDto {
    /// gpu: accelerated + high-performance; npu: accelerated + low-power; cpu: not accelerated.
    pub kind: KindDto,
    /// "options": `{powerPreference, accelerated}` (current spec); "deviceType": the older form, tried only
    /// after a TypeError.
    pub form: FormDto,
    /// The dictionary passed, as written.
    #[serde(default)]
    pub options: String,
    /// A context was created.
    pub ok: bool,
    /// Why not.
    pub error: Option<FailureDto>,
    /// `MLContext.accelerated` where the browser exposes it.
    pub accelerated: Option<bool>,
    /// `opSupportLimits()` summary.
    pub op_support: Option<OpSupportDto>,
    /// Why `opSupportLimits()` could not be read.
    pub op_support_error: Option<FailureDto>,
    /// The current form's `TypeError`, when the older form was tried.
    pub current_form_error: Option<FailureDto>,
}

/// Context kind.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebNnKind"))]
pub enum KindDto {
    /// Accelerated, high performance.
    Gpu,
    /// Accelerated, low power.
    Npu,
    /// Not accelerated.
    Cpu,
}

/// `createContext` dictionary form.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebNnContextForm"))]
pub enum FormDto {
    /// `{powerPreference, accelerated}`.
    Options,
    /// `{deviceType}`.
    DeviceType,
}

/// `MLContext.opSupportLimits()` in brief.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WebNnOpSupport"))]
pub struct OpSupportDto {
    /// Operators listed.
    pub op_count: u32,
    /// `matmul` input data types.
    pub matmul_input_data_types: Option<Vec<String>>,
    /// `conv2d` input data types.
    pub conv2d_input_data_types: Option<Vec<String>>,
    /// Bytes.
    #[serde(default, deserialize_with = "lenient::option")]
    pub max_tensor_byte_length: Option<f64>,
    /// `nchw` / `nhwc`.
    pub preferred_input_layout: Option<String>,
}

/// WebAssembly as detected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "WasmCapabilities"))]
pub struct WasmDto {
    /// `WebAssembly` exists.
    pub webassembly: bool,
    /// SIMD validates.
    pub simd: bool,
    /// Relaxed SIMD validates.
    #[serde(default)]
    pub relaxed_simd: bool,
    /// `SharedArrayBuffer` exists.
    pub shared_array_buffer: bool,
    /// `crossOriginIsolated`.
    pub cross_origin_isolated: bool,
    /// sharedArrayBuffer && crossOriginIsolated (written out; ignored when read).
    #[serde(default)]
    pub threads: bool,
}

fn failure(f: FailureDto) -> Failure {
    Failure::new(f.name, f.message)
}

fn probe(p: Option<AdapterProbeDto>) -> Result<GpuAdapter, Failure> {
    let p = p.unwrap_or(AdapterProbeDto { adapter: None, error: None });
    match (p.adapter, p.error) {
        (Some(a), _) => Ok(GpuAdapter {
            vendor: a.vendor,
            architecture: a.architecture,
            device: a.device,
            description: a.description,
            is_fallback_adapter: a.is_fallback_adapter,
            features: a.features,
            limits: GpuLimits {
                max_buffer_size: a.limits.max_buffer_size,
                max_storage_buffer_binding_size: a.limits.max_storage_buffer_binding_size,
                max_compute_workgroup_storage_size: a.limits.max_compute_workgroup_storage_size,
                max_compute_invocations_per_workgroup: a
                    .limits
                    .max_compute_invocations_per_workgroup,
                max_compute_workgroup_size_x: a.limits.max_compute_workgroup_size_x,
                max_storage_buffers_per_shader_stage: a.limits.max_storage_buffers_per_shader_stage,
                max_compute_workgroups_per_dimension: a.limits.max_compute_workgroups_per_dimension,
            },
        }),
        (None, Some(f)) => Err(failure(f)),
        (None, None) => Err(Failure::new("NoAdapter", "no adapter was reported")),
    }
}

fn context(c: ContextDto, field: &str) -> Result<WebNnContext> {
    if let Some(b) = c.op_support.as_ref().and_then(|s| s.max_tensor_byte_length) {
        if !(b.is_finite() && b > 0.0) {
            return Err(Error::invalid(
                format!("{field}.opSupport.maxTensorByteLength"),
                b,
                "a positive number of bytes",
            ));
        }
    }
    let result = if c.ok {
        Ok(WebNnContextInfo {
            accelerated: c.accelerated,
            op_support: match (c.op_support, c.op_support_error) {
                (Some(s), _) => Ok(OpSupport {
                    op_count: s.op_count,
                    matmul_input_data_types: s.matmul_input_data_types,
                    conv2d_input_data_types: s.conv2d_input_data_types,
                    max_tensor_byte_length: s.max_tensor_byte_length,
                    preferred_input_layout: s.preferred_input_layout,
                }),
                (None, f) => Err(f.map_or_else(
                    || Failure::new("Absent", "opSupportLimits() was not reported"),
                    failure,
                )),
            },
        })
    } else {
        Err(c.error.map_or_else(|| Failure::new("Absent", "no reason was reported"), failure))
    };
    Ok(WebNnContext {
        kind: match c.kind {
            KindDto::Gpu => WebNnKind::Gpu,
            KindDto::Npu => WebNnKind::Npu,
            KindDto::Cpu => WebNnKind::Cpu,
        },
        form: match c.form {
            FormDto::Options => ContextForm::Options,
            FormDto::DeviceType => ContextForm::DeviceType,
        },
        options: c.options,
        result,
        current_form_error: c.current_form_error.map(failure),
    })
}

/// Validated: a core count of at least 1, a positive finite device memory and tensor byte limit; errors
/// name the field under `capabilities`.
impl TryFrom<CapabilitiesDto> for Capabilities {
    type Error = Error;

    fn try_from(d: CapabilitiesDto) -> Result<Self> {
        let absent = |why: Option<String>, what: &str| {
            why.unwrap_or_else(|| format!("{what} is absent (no reason was reported)"))
        };
        if d.hardware_concurrency == Some(0) {
            return Err(Error::invalid(
                "capabilities.hardwareConcurrency",
                0,
                "a whole number of logical cores, at least 1 (or null when unknown)",
            ));
        }
        if let Some(gb) = d.device_memory_gb {
            if !(gb.is_finite() && gb > 0.0) {
                return Err(Error::invalid(
                    "capabilities.deviceMemoryGb",
                    gb,
                    "a positive number of GB (or null when unknown)",
                ));
            }
        }
        let contexts = d
            .webnn
            .contexts
            .into_iter()
            .enumerate()
            .map(|(i, c)| context(c, &format!("capabilities.webnn.contexts[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Capabilities {
            scope: match d.scope {
                ScopeDto::Window => GlobalScope::Window,
                ScopeDto::Worker => GlobalScope::Worker,
                ScopeDto::Other => GlobalScope::Other,
            },
            secure_context: d.secure_context,
            browser: BrowserInfo {
                name: d.browser.name,
                version: d.browser.version,
                os: d.browser.os,
                os_version: d.browser.os_version,
                mobile: d.browser.mobile,
                source: match d.browser.source {
                    SourceDto::ClientHints => BrowserSource::ClientHints,
                    SourceDto::UserAgent => BrowserSource::UserAgent,
                },
                user_agent: d.browser.user_agent,
            },
            webgpu: if d.webgpu.available {
                Ok(WebGpu {
                    high_performance: probe(d.webgpu.high_performance),
                    low_power: probe(d.webgpu.low_power),
                    wgsl_language_features: d.webgpu.wgsl_language_features,
                })
            } else {
                Err(absent(d.webgpu.reason, "navigator.gpu"))
            },
            webnn: if d.webnn.available {
                Ok(WebNn { contexts })
            } else {
                Err(absent(d.webnn.reason, "navigator.ml"))
            },
            wasm: WasmSupport {
                webassembly: d.wasm.webassembly,
                simd: d.wasm.simd,
                relaxed_simd: d.wasm.relaxed_simd,
                shared_array_buffer: d.wasm.shared_array_buffer,
                cross_origin_isolated: d.wasm.cross_origin_isolated,
            },
            hardware_concurrency: d.hardware_concurrency,
            device_memory_gb: d.device_memory_gb,
            timeout_ms: d.timeout_ms,
        })
    }
}

/// Reads a capabilities JSON document (what `detectCapabilities()` resolves to, e.g. saved with
/// `JSON.stringify`), validated.
pub fn parse_capabilities(json: &str) -> Result<Capabilities> {
    let dto: CapabilitiesDto =
        serde_json::from_str(json).map_err(|e| super::malformed("capabilities", e))?;
    Capabilities::try_from(dto)
}
