//! [`Capabilities`] as `detectCapabilities()` writes them (the output side of [`super`]).

use super::{
    AdapterDto, AdapterProbeDto, BrowserDto, BrowserSource, Capabilities, CapabilitiesDto,
    ContextDto, ContextForm, Failure, FailureDto, FormDto, GlobalScope, GpuAdapter, GpuLimits,
    KindDto, LimitsDto, OpSupport, OpSupportDto, ScopeDto, SourceDto, WasmDto, WebGpuDto,
    WebNnContext, WebNnDto, WebNnKind,
};

fn failure_dto(f: &Failure) -> FailureDto {
    FailureDto { name: f.name.clone(), message: f.message.clone() }
}

fn probe_dto(r: &Result<GpuAdapter, Failure>) -> AdapterProbeDto {
    match r {
        Ok(a) => AdapterProbeDto {
            adapter: Some(AdapterDto {
                vendor: a.vendor.clone(),
                architecture: a.architecture.clone(),
                device: a.device.clone(),
                description: a.description.clone(),
                is_fallback_adapter: a.is_fallback_adapter,
                features: a.features.clone(),
                limits: limits_dto(&a.limits),
            }),
            error: None,
        },
        Err(f) => AdapterProbeDto { adapter: None, error: Some(failure_dto(f)) },
    }
}

fn limits_dto(l: &GpuLimits) -> LimitsDto {
    LimitsDto {
        max_buffer_size: l.max_buffer_size,
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        max_compute_workgroup_size_x: l.max_compute_workgroup_size_x,
        max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
    }
}

fn context_dto(c: &WebNnContext) -> ContextDto {
    let (ok, error, accelerated, op_support, op_support_error) = match &c.result {
        Ok(info) => {
            let (s, e) = match &info.op_support {
                Ok(s) => (Some(op_support_dto(s)), None),
                Err(f) => (None, Some(failure_dto(f))),
            };
            (true, None, info.accelerated, s, e)
        }
        Err(f) => (false, Some(failure_dto(f)), None, None, None),
    };
    ContextDto {
        kind: match c.kind {
            WebNnKind::Gpu => KindDto::Gpu,
            WebNnKind::Npu => KindDto::Npu,
            WebNnKind::Cpu => KindDto::Cpu,
        },
        form: match c.form {
            ContextForm::Options => FormDto::Options,
            ContextForm::DeviceType => FormDto::DeviceType,
        },
        options: c.options.clone(),
        ok,
        error,
        accelerated,
        op_support,
        op_support_error,
        current_form_error: c.current_form_error.as_ref().map(failure_dto),
    }
}

fn op_support_dto(s: &OpSupport) -> OpSupportDto {
    OpSupportDto {
        op_count: s.op_count,
        matmul_input_data_types: s.matmul_input_data_types.clone(),
        conv2d_input_data_types: s.conv2d_input_data_types.clone(),
        max_tensor_byte_length: s.max_tensor_byte_length,
        preferred_input_layout: s.preferred_input_layout.clone(),
    }
}

impl From<&Capabilities> for CapabilitiesDto {
    fn from(c: &Capabilities) -> Self {
        let b = &c.browser;
        CapabilitiesDto {
            scope: match c.scope {
                GlobalScope::Window => ScopeDto::Window,
                GlobalScope::Worker => ScopeDto::Worker,
                GlobalScope::Other => ScopeDto::Other,
            },
            secure_context: c.secure_context,
            browser: BrowserDto {
                name: b.name.clone(),
                version: b.version.clone(),
                os: b.os.clone(),
                os_version: b.os_version.clone(),
                mobile: b.mobile,
                source: match b.source {
                    BrowserSource::ClientHints => SourceDto::ClientHints,
                    BrowserSource::UserAgent => SourceDto::UserAgent,
                },
                user_agent: b.user_agent.clone(),
            },
            webgpu: match &c.webgpu {
                Ok(g) => WebGpuDto {
                    available: true,
                    reason: None,
                    high_performance: Some(probe_dto(&g.high_performance)),
                    low_power: Some(probe_dto(&g.low_power)),
                    wgsl_language_features: g.wgsl_language_features.clone(),
                },
                Err(why) => WebGpuDto {
                    available: false,
                    reason: Some(why.clone()),
                    high_performance: None,
                    low_power: None,
                    wgsl_language_features: Vec::new(),
                },
            },
            webnn: match &c.webnn {
                Ok(n) => WebNnDto {
                    available: true,
                    reason: None,
                    contexts: n.contexts.iter().map(context_dto).collect(),
                },
                Err(why) => {
                    WebNnDto { available: false, reason: Some(why.clone()), contexts: Vec::new() }
                }
            },
            wasm: WasmDto {
                webassembly: c.wasm.webassembly,
                simd: c.wasm.simd,
                relaxed_simd: c.wasm.relaxed_simd,
                shared_array_buffer: c.wasm.shared_array_buffer,
                cross_origin_isolated: c.wasm.cross_origin_isolated,
                threads: c.wasm.threads(),
            },
            hardware_concurrency: c.hardware_concurrency,
            device_memory_gb: c.device_memory_gb,
            timeout_ms: c.timeout_ms,
        }
    }
}
