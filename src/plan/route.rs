//! Backend routing in the browser: for each model, WebGPU, WebNN (gpu, npu or cpu context) or WebAssembly,
//! chosen from detected [`Capabilities`] and the predicted latency on each, with the reason and the ranked
//! alternatives; and [`recommend_browser`], which routes a workload through what each browser offers by
//! default on a typical laptop.
//!
//! Rules (DESIGN.md, "Browser side"):
//! - a backend the capabilities say is absent or unusable is excluded with the detected reason;
//! - a model whose largest bound tensor exceeds `maxStorageBufferBindingSize` cannot go to WebGPU. The
//!   largest tensor is the maximum over the operators of `arch.work(&input)` (prefill and decode step) of the
//!   weight tensor and of the largest activation tensor (a GEMM's output or input feature map, attention's
//!   score matrix, half the read-plus-written elements of other operators), in bytes at the model's precision. Embedding gathers read only their
//!   rows, so a table is counted where a GEMM binds it whole (a tied LM head);
//! - fp16 weights on WebGPU need `shader-f16`: without it the WebGPU option is predicted with **fp32 weights**
//!   (what transformers.js does when `isWebGpuFp16Supported()` is false), so memory and tensor sizes double;
//! - a fallback adapter is predicted with the `webgpu:fallback` profile (CPU speed);
//! - among the rest the lowest predicted latency wins, ties broken by [`Backend::ALL`] order. WebGPU and WASM
//!   use the profiles [`profile_from_capabilities`] derives; WebNN uses the catalog `webnn:*` devices.
//!
//! Each model is routed on its own, so the result for a model never depends on the others or their order.
//! Runtimes: `onnxruntime-web` for WebGPU and WASM (transformers.js runs on it), `webnn` for WebNN.

use crate::catalog::arch::OpClass;
use crate::catalog::browsers::{self, BrowserProfile};
use crate::catalog::detected::{
    profile_from_capabilities, BrowserInfo, BrowserSource, Capabilities, GlobalScope, GpuAdapter,
    GpuLimits, WasmSupport, WebGpu, WebNn, WebNnContext, WebNnContextInfo, WebNnKind,
};
use crate::catalog::hardware::{self, Concurrency, DeviceProfile};
use crate::catalog::models::Work;
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::Precision;
use crate::error::{Error, Result};
use crate::predict::single::{MemoryBreakdown, Placement};
use crate::predict::spec::{resolve, ModelSpec, ResolvedModel};

/// WebGPU spec default for `maxStorageBufferBindingSize` (128 MiB), used when the adapter reports 0.
pub const SPEC_DEFAULT_BINDING: u64 = 134_217_728;
/// Runtime used for the WebGPU and WASM predictions.
pub const WEB_RUNTIME: &str = "onnxruntime-web";
/// Runtime used for the WebNN predictions.
pub const WEBNN_RUNTIME: &str = "webnn";

/// Where a model runs in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// WebGPU compute shaders.
    WebGpu,
    /// A WebNN context of the given kind.
    WebNn(WebNnKind),
    /// WebAssembly (SIMD, threads when cross-origin isolated).
    Wasm,
}

impl Backend {
    /// Every backend, in tie-break order.
    pub const ALL: [Backend; 5] = [
        Self::WebGpu,
        Self::WebNn(WebNnKind::Npu),
        Self::WebNn(WebNnKind::Gpu),
        Self::WebNn(WebNnKind::Cpu),
        Self::Wasm,
    ];

    /// `webgpu`, `webnn-gpu`, `webnn-npu`, `webnn-cpu` or `wasm` (transformers.js device strings).
    pub fn name(self) -> &'static str {
        match self {
            Self::WebGpu => "webgpu",
            Self::WebNn(WebNnKind::Gpu) => "webnn-gpu",
            Self::WebNn(WebNnKind::Npu) => "webnn-npu",
            Self::WebNn(WebNnKind::Cpu) => "webnn-cpu",
            Self::Wasm => "wasm",
        }
    }

    /// Parses a backend name as [`Backend::name`] writes it (`webnn` alone means `webnn-gpu`).
    pub fn parse(field: &str, text: &str) -> Result<Backend> {
        let t = text.trim().to_ascii_lowercase();
        if t == "webnn" {
            return Ok(Self::WebNn(WebNnKind::Gpu));
        }
        Self::ALL.into_iter().find(|b| b.name() == t).ok_or_else(|| {
            Error::invalid(field, text, "webgpu, webnn-gpu, webnn-npu, webnn-cpu or wasm")
        })
    }

    /// `WebGPU`, `WebNN (gpu)`, … for sentences.
    pub fn label(self) -> String {
        match self {
            Self::WebGpu => "WebGPU".to_string(),
            Self::WebNn(k) => format!("WebNN ({})", k.name()),
            Self::Wasm => "WASM".to_string(),
        }
    }

    fn order(self) -> usize {
        Self::ALL.iter().position(|b| *b == self).unwrap_or(Self::ALL.len())
    }
}

/// A backend that was not chosen: its prediction (when it could run) and why it lost or was excluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    /// The backend.
    pub backend: Backend,
    /// Predicted latency, ms; `None` when excluded.
    pub latency_ms: Option<f64>,
    /// Whether it could have run the model.
    pub usable: bool,
    /// Why it was excluded or ranked lower.
    pub reason: String,
}

/// Where one model goes and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    /// Position of the model in the input.
    pub index: usize,
    /// Model name as given.
    pub model: String,
    /// The chosen backend.
    pub backend: Backend,
    /// Device profile id the prediction used (`detected:webgpu:integrated`, `webnn:npu`, …).
    pub device: String,
    /// Runtime the prediction used.
    pub runtime: String,
    /// Precision the chosen backend computes with (fp32 where f16 was not available).
    pub precision: Precision,
    /// Predicted latency on the chosen backend, ms.
    pub latency_ms: f64,
    /// Predicted memory on the chosen backend.
    pub memory: MemoryBreakdown,
    /// Largest tensor the model binds at the chosen precision, bytes.
    pub largest_tensor_bytes: f64,
    /// Why this backend.
    pub reason: String,
    /// The other backends, usable ones by latency first, then the excluded ones.
    pub alternatives: Vec<Alternative>,
    /// Estimation notes from resolving the model and predicting it.
    pub warnings: Vec<String>,
}

/// Largest tensor an operator list binds, bytes at `precision`.
pub fn largest_tensor_bytes(model: &ResolvedModel) -> f64 {
    largest_tensor_bytes_of(model, &model.arch.work(&model.input))
}

/// [`largest_tensor_bytes`] with the model's operators already built.
fn largest_tensor_bytes_of(model: &ResolvedModel, work: &Work) -> f64 {
    let (w, a) = (model.precision.weight_bytes(), model.precision.activation_bytes());
    work.prefill
        .iter()
        .chain(work.decode_step.iter())
        .map(|op| {
            let act = match op.class {
                OpClass::Gemm => {
                    let output = op.mn_elems();
                    output.max(op.act_elems - output)
                }
                // Unfused attention materialises the score matrix; Q, K, V and the output are a quarter each.
                OpClass::Attention => op.mn_elems().max(op.act_elems / 4.0),
                // Element-wise and reduction operators read and write tensors of one size.
                _ => op.act_elems / 2.0,
            };
            (op.weight_elems * w).max(act * a)
        })
        .fold(0.0, f64::max)
}

fn mb(bytes: f64) -> String {
    format!("{:.0} MB", bytes / 1e6)
}

struct Candidate {
    backend: Backend,
    outcome: std::result::Result<Run, String>,
}

struct Run {
    device: String,
    runtime: String,
    precision: Precision,
    latency_ms: f64,
    memory: MemoryBreakdown,
    tensor_bytes: f64,
    warnings: Vec<String>,
    note: Option<String>,
}

/// The devices a capability set offers, computed once per call.
struct Devices {
    webgpu: std::result::Result<(DeviceProfile, GpuAdapter), String>,
    wasm: std::result::Result<DeviceProfile, String>,
    webnn: Vec<(WebNnKind, WebNnDevice)>,
    web_runtime: RuntimeProfile,
    webnn_runtime: RuntimeProfile,
}

type OpTypes = Option<Vec<String>>;
/// A WebNN context's catalog device, the note on it and its matmul data types, or why it is unusable.
type WebNnDevice = std::result::Result<(DeviceProfile, Option<String>, OpTypes), String>;

fn devices(caps: &Capabilities) -> Result<Devices> {
    let webgpu = match &caps.webgpu {
        Err(why) => Err(absent("navigator.gpu", why)),
        Ok(gpu) => match gpu.adapter() {
            None => {
                let why = [&gpu.high_performance, &gpu.low_power]
                    .into_iter()
                    .filter_map(|r| r.as_ref().err())
                    .map(|f| format!("{}: {}", f.name, f.message))
                    .next()
                    .unwrap_or_default();
                Err(format!("no WebGPU adapter ({why})"))
            }
            Some(a) => Ok((profile_from_capabilities(caps).0, a.clone())),
        },
    };
    let wasm = if caps.wasm.webassembly {
        let mut cpu_only = caps.clone();
        cpu_only.webgpu = Err("profile of the WASM backend".to_string());
        Ok(profile_from_capabilities(&cpu_only).0)
    } else {
        Err("WebAssembly is absent".to_string())
    };
    let webnn = WebNnKind::ALL.iter().map(|&kind| (kind, webnn_device(caps, kind))).collect();
    Ok(Devices {
        webgpu,
        wasm,
        webnn,
        web_runtime: RuntimeProfile::find(WEB_RUNTIME)?,
        webnn_runtime: RuntimeProfile::find(WEBNN_RUNTIME)?,
    })
}

/// `API is absent (why)`, or `why` alone when it already names the API (detection's own reasons do).
fn absent(api: &str, why: &str) -> String {
    if why.starts_with(api) {
        why.to_string()
    } else {
        format!("{api} is absent ({why})")
    }
}

fn webnn_device(caps: &Capabilities, kind: WebNnKind) -> WebNnDevice {
    let nn = caps.webnn.as_ref().map_err(|why| absent("navigator.ml", why))?;
    let ctx = nn
        .contexts
        .iter()
        .find(|c| c.kind == kind)
        .ok_or_else(|| format!("no {} context was probed", kind.name()))?;
    let info = ctx
        .result
        .as_ref()
        .map_err(|f| format!("createContext({}) failed: {}: {}", ctx.options, f.name, f.message))?;
    let (id, note) = match (kind, info.accelerated) {
        (WebNnKind::Gpu | WebNnKind::Npu, Some(false)) => (
            "webnn:cpu",
            Some(format!(
                "the {} context reports accelerated = false: predicted on webnn:cpu",
                kind.name()
            )),
        ),
        _ => (
            match kind {
                WebNnKind::Gpu => "webnn:gpu",
                WebNnKind::Npu => "webnn:npu",
                WebNnKind::Cpu => "webnn:cpu",
            },
            None,
        ),
    };
    let types = info.op_support.as_ref().ok().and_then(|o| o.matmul_input_data_types.clone());
    hardware::find(id).map(|p| (p, note, types)).map_err(|e| e.to_string())
}

fn webnn_type(p: Precision) -> Option<&'static [&'static str]> {
    match p {
        // TF32 is stored as float32; WebNN computes it so.
        Precision::Fp32 | Precision::Tf32 => Some(&["float32"]),
        Precision::Fp16 => Some(&["float16"]),
        Precision::Int8 => Some(&["int8", "uint8"]),
        Precision::Bf16 | Precision::Int4 => None,
    }
}

fn predict(
    device: &DeviceProfile,
    runtime: &RuntimeProfile,
    spec: &ModelSpec,
    model: &ResolvedModel,
) -> Run {
    // The operators are the same on every thread count: built once.
    let work = model.arch.work(&model.input);
    let on = |threads| Placement { device, runtime, threads }.predict_with(model, &work);
    // On a CPU without a thread count of its own the model gets the count that runs it fastest: a small
    // model pays more in fork-joins than extra threads save.
    let cores = device.compute_units.max(1);
    let (threads, p) = match spec.threads {
        Some(t) => (t, on(t)),
        None if device.concurrency == Concurrency::CpuThreads => (1..=cores)
            .map(|t| (t, on(t)))
            .min_by(|a, b| a.1.latency_ms.total_cmp(&b.1.latency_ms))
            .unwrap_or_else(|| (cores, on(cores))),
        None => (cores, on(cores)),
    };
    let note = (device.concurrency == Concurrency::CpuThreads && spec.threads.is_none() && threads < cores)
        .then(|| format!("fastest on {threads} of {cores} threads (fork-joins cost more than more threads save)"));
    Run {
        device: device.id.clone(),
        runtime: runtime.name.clone(),
        // TF32 where the backend has no TF32 units (no browser backend has) computes as fp32.
        precision: match model.precision {
            Precision::Tf32 => device.peak_for(Precision::Tf32).1,
            p => p,
        },
        latency_ms: p.latency_ms,
        memory: p.memory,
        tensor_bytes: largest_tensor_bytes_of(model, &work),
        warnings: p.warnings,
        note,
    }
}

fn fits(run: Run, device: &DeviceProfile) -> std::result::Result<Run, String> {
    let total = run.memory.total_mb();
    if total > device.memory_capacity_mb {
        Err(format!(
            "needs {total:.0} MB, more than the {:.0} MB {} offers",
            device.memory_capacity_mb, device.id
        ))
    } else {
        Ok(run)
    }
}

fn candidates(
    d: &Devices,
    spec: &ModelSpec,
    model: &ResolvedModel,
    field: &str,
) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    let webgpu = match &d.webgpu {
        Err(why) => Err(why.clone()),
        Ok((profile, adapter)) => {
            let f16 = model.precision == Precision::Fp16 && !adapter.has("shader-f16");
            let (m, note) = if f16 {
                let fp32 = resolve(&spec.clone().with_precision(Precision::Fp32), field)?;
                (
                    fp32,
                    Some(
                        "the adapter lacks shader-f16, so WebGPU is predicted with fp32 weights (as \
                         transformers.js loads them when shader-f16 is missing)"
                            .to_string(),
                    ),
                )
            } else {
                (model.clone(), None)
            };
            let mut run = predict(profile, &d.web_runtime, spec, &m);
            run.note = note;
            let limit = match adapter.limits.max_storage_buffer_binding_size {
                0 => SPEC_DEFAULT_BINDING,
                n => n,
            };
            if run.tensor_bytes > limit as f64 {
                Err(format!(
                    "its largest tensor is {} ({:.0} bytes at {}), more than maxStorageBufferBindingSize {} \
                     ({limit} bytes){}",
                    mb(run.tensor_bytes),
                    run.tensor_bytes,
                    m.precision.name(),
                    mb(limit as f64),
                    if f16 { "; no shader-f16, so fp32 weights" } else { "" }
                ))
            } else {
                fits(run, profile)
            }
        }
    };
    out.push(Candidate { backend: Backend::WebGpu, outcome: webgpu });
    for (kind, dev) in &d.webnn {
        let outcome = match dev {
            Err(why) => Err(why.clone()),
            Ok((profile, note, types)) => {
                let needed = webnn_type(model.precision);
                match (types, needed) {
                    (Some(listed), Some(needed))
                        if !needed.iter().any(|t| listed.iter().any(|l| l == t)) =>
                    {
                        Err(format!(
                            "opSupportLimits() lists matmul inputs as [{}], not {}",
                            listed.join(", "),
                            needed.join("/")
                        ))
                    }
                    _ => {
                        let mut run = predict(profile, &d.webnn_runtime, spec, model);
                        run.note = note.clone();
                        fits(run, profile)
                    }
                }
            }
        };
        out.push(Candidate { backend: Backend::WebNn(*kind), outcome });
    }
    let wasm = match &d.wasm {
        Err(why) => Err(why.clone()),
        Ok(profile) => fits(predict(profile, &d.web_runtime, spec, model), profile),
    };
    out.push(Candidate { backend: Backend::Wasm, outcome: wasm });
    Ok(out)
}

fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0} ms")
    } else {
        format!("{x:.2} ms")
    }
}

fn route_one(d: &Devices, spec: &ModelSpec, index: usize) -> Result<RouteDecision> {
    let field = format!("models[{index}]");
    if spec.batch_size == 0 {
        return Err(Error::invalid(format!("{field}.batch_size"), 0, "an integer of at least 1"));
    }
    let model = resolve(spec, &field)?;
    let cands = candidates(d, spec, &model, &field)?;
    let mut usable: Vec<(Backend, Run)> = Vec::new();
    let mut excluded: Vec<(Backend, String)> = Vec::new();
    for c in cands {
        match c.outcome {
            Ok(run) => usable.push((c.backend, run)),
            Err(why) => excluded.push((c.backend, why)),
        }
    }
    crate::sorting::sort_by(&mut usable, |a, b| {
        a.1.latency_ms.total_cmp(&b.1.latency_ms).then(a.0.order().cmp(&b.0.order()))
    });
    crate::sorting::sort_by_key(&mut excluded, |e| e.0.order());
    if usable.is_empty() {
        let why: Vec<String> =
            excluded.iter().map(|(b, w)| format!("{}: {w}", b.label())).collect();
        return Err(Error::invalid(
            field,
            &spec.name,
            format!("a model some backend can run; {}", why.join("; ")),
        ));
    }
    let (backend, run) = usable.remove(0);
    let reason = route_reason(d, spec, backend, &run, &usable, &excluded);
    let mut alternatives: Vec<Alternative> = usable
        .iter()
        .map(|(b, r)| Alternative {
            backend: *b,
            latency_ms: Some(r.latency_ms),
            usable: true,
            reason: format!(
                "predicted {}, {:.1}x the chosen {}'s {}{}",
                ms(r.latency_ms),
                r.latency_ms / run.latency_ms.max(1e-12),
                backend.label(),
                ms(run.latency_ms),
                r.note.as_ref().map_or(String::new(), |n| format!("; {n}"))
            ),
        })
        .collect();
    alternatives.extend(excluded.into_iter().map(|(b, why)| Alternative {
        backend: b,
        latency_ms: None,
        usable: false,
        reason: format!("excluded: {why}"),
    }));
    let mut warnings = model.warnings.clone();
    warnings.extend(run.warnings);
    Ok(RouteDecision {
        index,
        model: spec.name.clone(),
        backend,
        device: run.device,
        runtime: run.runtime,
        precision: run.precision,
        latency_ms: run.latency_ms,
        memory: run.memory,
        largest_tensor_bytes: run.tensor_bytes,
        reason,
        alternatives,
        warnings,
    })
}

/// Why `backend` was chosen for `spec` (the fastest of `usable`, with the known exceptions where WASM beats
/// WebGPU), with the run's note and why WebGPU was excluded, if it was.
fn route_reason(
    d: &Devices,
    spec: &ModelSpec,
    backend: Backend,
    run: &Run,
    usable: &[(Backend, Run)],
    excluded: &[(Backend, String)],
) -> String {
    let gpu = usable.iter().find(|(b, _)| *b == Backend::WebGpu).map(|(_, r)| r);
    let gpu_fallback = matches!(&d.webgpu, Ok((_, a)) if a.is_fallback_adapter);
    let mut reason = match (backend, gpu) {
        (Backend::Wasm, Some(g)) if gpu_fallback => format!(
            "WASM predicted {} vs {} on WebGPU: the WebGPU adapter is a fallback (software) adapter, a CPU \
             in disguise predicted at CPU speed.",
            ms(run.latency_ms),
            ms(g.latency_ms)
        ),
        (Backend::Wasm, Some(g)) if spec.batch_size == 1 => format!(
            "WASM predicted {} vs {} on WebGPU: small models at batch 1 are often faster on WASM (SIMD, \
             threads), where WebGPU's per-dispatch overhead dominates (transformers.js #1750, gpuweb #5291).",
            ms(run.latency_ms),
            ms(g.latency_ms)
        ),
        _ => match usable.first() {
            Some((b, next)) => format!(
                "{} has the lowest predicted latency: {} vs {} on {}.",
                backend.label(),
                ms(run.latency_ms),
                ms(next.latency_ms),
                b.label()
            ),
            None => format!(
                "{} is the only usable backend ({}).",
                backend.label(),
                ms(run.latency_ms)
            ),
        },
    };
    if let Some(note) = &run.note {
        reason.push_str(&format!(" Note: {note}."));
    }
    if let Some((_, why)) = excluded.iter().find(|(b, _)| *b == Backend::WebGpu) {
        reason.push_str(&format!(" WebGPU excluded: {why}."));
    }
    reason
}

/// Routes every model to a backend. Decisions come in input order; each depends only on its own model and
/// the capabilities. Errors name the model (`models[i]`) when it cannot be resolved or no backend can run it.
pub fn route(models: &[ModelSpec], caps: &Capabilities) -> Result<Vec<RouteDecision>> {
    if models.is_empty() {
        return Err(Error::invalid("models", "[]", "at least one model entry"));
    }
    let d = devices(caps)?;
    models.iter().enumerate().map(|(i, m)| route_one(&d, m, i)).collect()
}

/// The device profile a backend's predictions use under `caps` (the detected WebGPU or WASM profile, a
/// catalog `webnn:*` device), or why the backend is unusable.
pub fn backend_profile(
    caps: &Capabilities,
    backend: Backend,
) -> std::result::Result<DeviceProfile, String> {
    let d = devices(caps).map_err(|e| e.to_string())?;
    match backend {
        Backend::WebGpu => d.webgpu.map(|(p, _)| p),
        Backend::Wasm => d.wasm,
        Backend::WebNn(kind) => d
            .webnn
            .into_iter()
            .find(|(k, _)| *k == kind)
            .ok_or_else(|| format!("no {} context was probed", kind.name()))?
            .1
            .map(|(p, _, _)| p),
    }
}

/// One browser on one operating system, with the workload routed through what it offers by default.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserOption {
    /// Profile id (`chrome`, `edge`, `firefox`, `safari`).
    pub browser: String,
    /// Display name.
    pub name: String,
    /// Operating system.
    pub os: String,
    /// Backends offered by default on this OS (WASM always).
    pub backends: Vec<Backend>,
    /// Sum of the routed latencies, ms; `None` when some model fits no backend.
    pub total_latency_ms: Option<f64>,
    /// `(model, backend, latency ms)` per model, in input order.
    pub routes: Vec<(String, Backend, f64)>,
    /// Why this browser offers what it offers (WebGPU, WebNN, shader-f16), or the routing error.
    pub notes: Vec<String>,
    /// Sources of the browser facts.
    pub sources: Vec<String>,
}

/// Browsers ranked for a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserRecommendation {
    /// Best first; ties keep Chrome, Edge, Firefox, Safari order.
    pub ranked: Vec<BrowserOption>,
    /// Why the first one.
    pub reason: String,
    /// What every option assumes.
    pub assumptions: Vec<String>,
}

/// Binding limit assumed for the typical laptop's adapter (1 GiB, the limit one Windows machine reported in
/// onnxruntime #25195; browsers grant the adapter's limit when asked, "often 1-2 GiB", DESIGN.md).
pub const TYPICAL_BINDING: u64 = 1 << 30;

/// The capabilities a typical 4-core laptop with an integrated GPU reports in `b` on `os` by default.
pub fn typical_capabilities(b: &BrowserProfile, os: &str) -> Capabilities {
    let mut features = vec!["timestamp-query".to_string()];
    if b.shader_f16 {
        features.insert(0, "shader-f16".to_string());
    }
    let adapter = GpuAdapter {
        vendor: "intel".to_string(),
        architecture: "xe-lp".to_string(),
        device: String::new(),
        description: String::new(),
        is_fallback_adapter: false,
        features,
        limits: GpuLimits {
            max_buffer_size: TYPICAL_BINDING,
            max_storage_buffer_binding_size: TYPICAL_BINDING,
            max_compute_workgroup_storage_size: 32_768,
            max_compute_invocations_per_workgroup: 1024,
            max_compute_workgroup_size_x: 1024,
            max_storage_buffers_per_shader_stage: 8,
            max_compute_workgroups_per_dimension: 65_535,
        },
    };
    let webgpu = if b.webgpu_on(os) {
        Ok(WebGpu {
            high_performance: Ok(adapter.clone()),
            low_power: Ok(adapter),
            wgsl_language_features: Vec::new(),
        })
    } else {
        Err(format!("WebGPU is not on by default in {} on {os}: {}", b.name, b.webgpu_note))
    };
    let webnn = if b.webnn_default {
        Ok(WebNn {
            contexts: WebNnKind::ALL
                .iter()
                .map(|&kind| {
                    let (pp, acc) = kind.options();
                    WebNnContext {
                        kind,
                        form: crate::catalog::detected::ContextForm::Options,
                        options: format!("{{powerPreference: \"{pp}\", accelerated: {acc}}}"),
                        result: Ok(WebNnContextInfo {
                            accelerated: None,
                            op_support: Err(crate::catalog::detected::Failure::new(
                                "NotRead",
                                "typical profile",
                            )),
                        }),
                        current_form_error: None,
                    }
                })
                .collect(),
        })
    } else {
        Err(format!("not on by default in {}: {}", b.name, b.webnn_note))
    };
    Capabilities {
        scope: GlobalScope::Window,
        secure_context: true,
        browser: BrowserInfo {
            name: b.name.to_string(),
            version: String::new(),
            os: os.to_string(),
            os_version: None,
            mobile: Some(false),
            source: BrowserSource::UserAgent,
            user_agent: String::new(),
        },
        webgpu,
        webnn,
        wasm: WasmSupport {
            webassembly: true,
            simd: true,
            relaxed_simd: true,
            shared_array_buffer: true,
            cross_origin_isolated: true,
        },
        hardware_concurrency: Some(4),
        device_memory_gb: Some(8.0),
        timeout_ms: 5_000,
    }
}

/// For each browser profile and desktop OS it runs on: the backends offered by default and the workload's
/// total routed latency on a typical laptop (`webgpu:integrated`, `wasm:laptop-4c` with threads, `webnn:*`
/// only where the browser ships WebNN), ranked fastest first.
pub fn recommend_browser(models: &[ModelSpec]) -> BrowserRecommendation {
    let mut ranked = Vec::new();
    for b in browsers::all() {
        for os in b.oses {
            ranked.push(option(&b, os, models));
        }
    }
    // Stable sort: ties keep the profile order.
    crate::sorting::sort_by(&mut ranked, |a, b| match (a.total_latency_ms, b.total_latency_ms) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let reason = recommendation_reason(&ranked);
    BrowserRecommendation {
        ranked,
        reason,
        assumptions: vec![
            "A typical laptop: integrated GPU (webgpu:integrated), 4 cores with cross-origin isolation for \
             wasm threads (wasm:laptop-4c), 8 GB RAM, a 1 GiB storage-buffer binding limit."
                .to_string(),
            "Browsers differ only in which backends they offer by default and in shader-f16; no per-browser \
             dispatch overhead is modelled (none sourced)."
                .to_string(),
            browsers::webnn_status().to_string(),
        ],
    }
}

fn option(b: &BrowserProfile, os: &str, models: &[ModelSpec]) -> BrowserOption {
    let caps = typical_capabilities(b, os);
    let mut backends = Vec::new();
    if caps.webgpu.is_ok() {
        backends.push(Backend::WebGpu);
    }
    if caps.webnn.is_ok() {
        backends.extend(WebNnKind::ALL.iter().map(|&k| Backend::WebNn(k)));
    }
    backends.push(Backend::Wasm);
    let mut notes =
        vec![b.webgpu_note.to_string(), b.webnn_note.to_string(), b.shader_f16_note.to_string()];
    let (total, routes) = match route(models, &caps) {
        Ok(ds) => (
            Some(ds.iter().map(|d| d.latency_ms).sum()),
            ds.into_iter().map(|d| (d.model, d.backend, d.latency_ms)).collect(),
        ),
        Err(e) => {
            notes.push(e.to_string());
            (None, Vec::new())
        }
    };
    BrowserOption {
        browser: b.id.to_string(),
        name: b.name.to_string(),
        os: os.to_string(),
        backends,
        total_latency_ms: total,
        routes,
        notes,
        sources: b.sources.iter().map(|s| s.to_string()).collect(),
    }
}

fn recommendation_reason(ranked: &[BrowserOption]) -> String {
    let Some(best) = ranked.first() else {
        return "No browser profile.".to_string();
    };
    let Some(total) = best.total_latency_ms else {
        return "No browser can run every model of this workload on a typical laptop.".to_string();
    };
    let offered: Vec<String> = best.backends.iter().map(|b| b.label()).collect();
    let mut s = format!(
        "{} on {} offers {} by default; the workload routes to a total of {}.",
        best.name,
        best.os,
        offered.join(", "),
        ms(total)
    );
    let tied: Vec<String> = ranked
        .iter()
        .skip(1)
        .filter(|o| o.total_latency_ms == Some(total))
        .map(|o| format!("{} on {}", o.name, o.os))
        .collect();
    if !tied.is_empty() {
        s.push_str(&format!(" Tied: {}.", tied.join(", ")));
    }
    if let Some(worst) = ranked.iter().rev().find(|o| o.total_latency_ms.is_some_and(|t| t > total))
    {
        let why = if worst.backends.contains(&Backend::WebGpu) {
            "fewer backends or no shader-f16".to_string()
        } else {
            "no WebGPU by default there".to_string()
        };
        s.push_str(&format!(
            " Slowest: {} on {} at {} ({why}).",
            worst.name,
            worst.os,
            ms(worst.total_latency_ms.unwrap_or(total))
        ));
    }
    s
}
