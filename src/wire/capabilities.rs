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

/// `Capabilities`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    /// Logical cores.
    pub hardware_concurrency: Option<u32>,
    /// GB, as the browser rounds and caps it.
    #[serde(default, deserialize_with = "lenient::option")]
    pub device_memory_gb: Option<f64>,
    /// Bound on each await, ms.
    #[serde(default)]
    pub timeout_ms: u32,
}

/// The global scope.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeDto {
    /// A page.
    Window,
    /// A worker.
    Worker,
    /// Anything else.
    Other,
}

/// `BrowserInfo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserDto {
    /// Brand.
    pub name: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// OS.
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
pub enum SourceDto {
    /// User-Agent Client Hints.
    ClientHints,
    /// The UA string.
    UserAgent,
}

/// `DetectionFailure`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureDto {
    /// Error name.
    pub name: String,
    /// Message.
    pub message: String,
}

/// `WebGpuCapabilities`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

/// `WebGpuAdapterProbe`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdapterProbeDto {
    /// The adapter.
    pub adapter: Option<AdapterDto>,
    /// Why there is none.
    pub error: Option<FailureDto>,
}

/// `WebGpuAdapterInfo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    /// Software adapter.
    pub is_fallback_adapter: bool,
    /// Sorted features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Limits.
    pub limits: LimitsDto,
}

/// `WebGpuLimits`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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

/// `WebNnCapabilities`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebNnDto {
    /// `navigator.ml` exists.
    pub available: bool,
    /// Why not.
    pub reason: Option<String>,
    /// One report per context kind.
    #[serde(default)]
    pub contexts: Vec<ContextDto>,
}

/// `WebNnContextReport`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextDto {
    /// `gpu`, `npu`, `cpu`.
    pub kind: KindDto,
    /// `options` or `deviceType`.
    pub form: FormDto,
    /// The dictionary passed.
    #[serde(default)]
    pub options: String,
    /// A context was created.
    pub ok: bool,
    /// Why not.
    pub error: Option<FailureDto>,
    /// `MLContext.accelerated`.
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
pub enum FormDto {
    /// `{powerPreference, accelerated}`.
    Options,
    /// `{deviceType}`.
    DeviceType,
}

/// `WebNnOpSupport`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

/// `WasmCapabilities`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    /// Both of the above (written out; ignored when read).
    #[serde(default)]
    pub threads: bool,
}

fn failure(f: FailureDto) -> Failure {
    Failure::new(f.name, f.message)
}

fn probe(p: Option<AdapterProbeDto>) -> Result<GpuAdapter, Failure> {
    let p = p.unwrap_or(AdapterProbeDto {
        adapter: None,
        error: None,
    });
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
        Err(c
            .error
            .map_or_else(|| Failure::new("Absent", "no reason was reported"), failure))
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
