//! What a browser said about itself, as plain data, and the device profile it implies.
//!
//! `web/detect.rs` fills [`Capabilities`] from `navigator` (WebGPU, WebNN, WebAssembly, User-Agent Client
//! Hints); this module only reads it, so the mapping is tested natively on fixtures. Absence is data: every
//! probe that can fail holds a `Result` whose error says why, and [`profile_from_capabilities`] turns the lot
//! into a catalog-based [`DeviceProfile`] plus one sentence per decision.

use super::hardware::{self, DeviceProfile, MemoryPool, Platform};

/// Which global scope detection ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalScope {
    /// A page (`Window`).
    Window,
    /// A dedicated, shared or service worker (`WorkerGlobalScope`).
    Worker,
    /// Neither (e.g. Node.js).
    Other,
}

/// Where the browser name and version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserSource {
    /// `navigator.userAgentData` (User-Agent Client Hints, Chromium browsers).
    ClientHints,
    /// The `navigator.userAgent` string.
    UserAgent,
}

/// Browser and operating system.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserInfo {
    /// Brand, e.g. `Google Chrome`, `Microsoft Edge`, `Firefox`, `Safari`, `HeadlessChrome`.
    pub name: String,
    /// Full version where known (`156.0.7500.0`), else the major version; empty when unknown.
    pub version: String,
    /// `Windows`, `macOS`, `Linux`, `Android`, `iOS`, `ChromeOS`, or `unknown`.
    pub os: String,
    /// OS version where the browser tells it (Client Hints `platformVersion`; frozen in UA strings).
    pub os_version: Option<String>,
    /// Whether the browser says it is a mobile device (Client Hints only).
    pub mobile: Option<bool>,
    /// Where the answer came from.
    pub source: BrowserSource,
    /// The raw `navigator.userAgent`.
    pub user_agent: String,
}

/// Why something that was tried did not work: the JS error's `name` and `message`, or a name of ours
/// (`NoAdapter`, `TimeoutError`) with a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `NotSupportedError`, `TypeError`, `TimeoutError`, `NoAdapter`, …
    pub name: String,
    /// The message as the browser wrote it, or ours.
    pub message: String,
}

impl Failure {
    /// A failure with a name and a message.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Failure { name: name.into(), message: message.into() }
    }
}

/// The WebGPU limits a model placement depends on (adapter values, bytes or counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GpuLimits {
    /// Largest `GPUBuffer`, bytes (spec default 256 MiB).
    pub max_buffer_size: u64,
    /// Largest storage-buffer binding, bytes (spec default 128 MiB): the largest tensor a shader can read.
    pub max_storage_buffer_binding_size: u64,
    /// Workgroup shared memory, bytes (spec default 16,384).
    pub max_compute_workgroup_storage_size: u32,
    /// Invocations per workgroup (spec default 256).
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup size in x (spec default 256).
    pub max_compute_workgroup_size_x: u32,
    /// Storage buffers per shader stage (spec default 8).
    pub max_storage_buffers_per_shader_stage: u32,
    /// Workgroups per dispatch dimension (spec default 65,535).
    pub max_compute_workgroups_per_dimension: u32,
}

/// One WebGPU adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuAdapter {
    /// `adapter.info.vendor` (`nvidia`, `intel`, `amd`, `apple`, `google`, …; may be empty).
    pub vendor: String,
    /// `adapter.info.architecture` (`ampere`, `xe-lpg`, `rdna-3`, `swiftshader`, …; may be empty).
    pub architecture: String,
    /// `adapter.info.device` (often empty for privacy).
    pub device: String,
    /// `adapter.info.description` (often empty for privacy).
    pub description: String,
    /// A software adapter (SwiftShader, WARP): a CPU in disguise.
    pub is_fallback_adapter: bool,
    /// `adapter.features`, sorted.
    pub features: Vec<String>,
    /// Selected `adapter.limits`.
    pub limits: GpuLimits,
}

impl GpuAdapter {
    /// Whether the adapter offers a feature (`shader-f16`, `timestamp-query`, `subgroups`, …).
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    fn same_hardware(&self, other: &GpuAdapter) -> bool {
        (&self.vendor, &self.architecture, &self.device, &self.description)
            == (&other.vendor, &other.architecture, &other.device, &other.description)
            && self.is_fallback_adapter == other.is_fallback_adapter
    }

    fn label(&self) -> String {
        let parts: Vec<&str> = [&self.vendor, &self.architecture, &self.description]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            "an unnamed adapter".to_string()
        } else {
            parts.join(" ")
        }
    }
}

/// `navigator.gpu` was there: what it offered.
#[derive(Debug, Clone, PartialEq)]
pub struct WebGpu {
    /// `requestAdapter({powerPreference: "high-performance"})`.
    pub high_performance: Result<GpuAdapter, Failure>,
    /// `requestAdapter({powerPreference: "low-power"})`.
    pub low_power: Result<GpuAdapter, Failure>,
    /// `navigator.gpu.wgslLanguageFeatures`, sorted.
    pub wgsl_language_features: Vec<String>,
}

impl WebGpu {
    /// The adapter models would run on: a hardware one before a software one, high-performance first.
    pub fn adapter(&self) -> Option<&GpuAdapter> {
        let found =
            [&self.high_performance, &self.low_power].into_iter().filter_map(|r| r.as_ref().ok());
        let mut found: Vec<&GpuAdapter> = found.collect();
        crate::sorting::sort_by_key(&mut found, |a| a.is_fallback_adapter);
        found.first().copied()
    }
}

/// The kinds of WebNN context detection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebNnKind {
    /// An accelerated, high-performance context (a GPU where there is one).
    Gpu,
    /// An accelerated, low-power context (an NPU where there is one).
    Npu,
    /// An unaccelerated context (the CPU).
    Cpu,
}

impl WebNnKind {
    /// Every kind, in probing order.
    pub const ALL: [WebNnKind; 3] = [Self::Gpu, Self::Npu, Self::Cpu];

    /// `gpu`, `npu` or `cpu` (also the older spec's `deviceType`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Gpu => "gpu",
            Self::Npu => "npu",
            Self::Cpu => "cpu",
        }
    }

    /// `MLContextOptions` of the current spec, `(powerPreference, accelerated)`. The spec dropped
    /// `deviceType` (webnn PR #809, 2025) for these two hints; a low-power accelerated context is where an
    /// NPU is chosen, an unaccelerated one runs on the CPU.
    pub fn options(self) -> (&'static str, bool) {
        match self {
            Self::Gpu => ("high-performance", true),
            Self::Npu => ("low-power", true),
            Self::Cpu => ("default", false),
        }
    }
}

/// Which `createContext` dictionary a report used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextForm {
    /// `{powerPreference, accelerated}` (current spec).
    Options,
    /// `{deviceType}` (builds before 2025), tried only when the current form is rejected as a `TypeError`.
    DeviceType,
}

/// What `MLContext.opSupportLimits()` says, in brief.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpSupport {
    /// Number of operators listed.
    pub op_count: u32,
    /// Data types of `matmul`'s first input, when listed.
    pub matmul_input_data_types: Option<Vec<String>>,
    /// Data types of `conv2d`'s input, when listed.
    pub conv2d_input_data_types: Option<Vec<String>>,
    /// Largest tensor, bytes, when listed.
    pub max_tensor_byte_length: Option<f64>,
    /// `nchw` or `nhwc`, when listed.
    pub preferred_input_layout: Option<String>,
}

/// A WebNN context that was created.
#[derive(Debug, Clone, PartialEq)]
pub struct WebNnContextInfo {
    /// `MLContext.accelerated` where the browser exposes it.
    pub accelerated: Option<bool>,
    /// The `opSupportLimits()` summary, or why it could not be read.
    pub op_support: Result<OpSupport, Failure>,
}

/// One `createContext` attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct WebNnContext {
    /// What was asked for.
    pub kind: WebNnKind,
    /// Which dictionary the reported attempt used.
    pub form: ContextForm,
    /// The dictionary as passed, e.g. `{powerPreference: "low-power", accelerated: true}`.
    pub options: String,
    /// The context, or the exact error the browser gave.
    pub result: Result<WebNnContextInfo, Failure>,
    /// The `TypeError` the current form got, when the older form was tried after it.
    pub current_form_error: Option<Failure>,
}

/// `navigator.ml` was there: one attempt per context kind.
#[derive(Debug, Clone, PartialEq)]
pub struct WebNn {
    /// In [`WebNnKind::ALL`] order.
    pub contexts: Vec<WebNnContext>,
}

/// WebAssembly features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WasmSupport {
    /// `WebAssembly` exists.
    pub webassembly: bool,
    /// A module with 128-bit SIMD validates.
    pub simd: bool,
    /// A module with relaxed SIMD validates.
    pub relaxed_simd: bool,
    /// `SharedArrayBuffer` exists.
    pub shared_array_buffer: bool,
    /// `crossOriginIsolated` is true (COOP/COEP headers), which threads need.
    pub cross_origin_isolated: bool,
}

impl WasmSupport {
    /// Whether a wasm module may run threads: shared memory and cross-origin isolation.
    pub fn threads(&self) -> bool {
        self.webassembly && self.shared_array_buffer && self.cross_origin_isolated
    }
}

/// Everything detection found.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// Window or worker.
    pub scope: GlobalScope,
    /// `isSecureContext` (WebGPU and WebNN are exposed only in secure contexts).
    pub secure_context: bool,
    /// Browser and OS.
    pub browser: BrowserInfo,
    /// WebGPU, or why `navigator.gpu` is absent.
    pub webgpu: Result<WebGpu, String>,
    /// WebNN, or why `navigator.ml` is absent.
    pub webnn: Result<WebNn, String>,
    /// WebAssembly features.
    pub wasm: WasmSupport,
    /// `navigator.hardwareConcurrency` (logical cores).
    pub hardware_concurrency: Option<u32>,
    /// `navigator.deviceMemory`, GB (rounded and capped by the browser; absent outside Chromium).
    pub device_memory_gb: Option<f64>,
    /// The bound on every await during detection, ms.
    pub timeout_ms: u32,
}

/// `navigator.deviceMemory` is rounded to a power of two and clamped to bounds that "may change over time"
/// (Device Memory API, W3C; MDN "Navigator: deviceMemory property"). Chrome clamped it to 0.25-8 GB for
/// years; Chrome 156 here reports 16 on a 23 GB machine, and MDN cites 32 as an upper bound. A reading of
/// [`DEVICE_MEMORY_OLD_CAP_GB`] or more may therefore be a clamp, not the machine's RAM.
pub const DEVICE_MEMORY_OLD_CAP_GB: f64 = 8.0;
/// The largest `navigator.deviceMemory` any browser reports; larger hand-written values are clamped to it.
pub const DEVICE_MEMORY_MAX_GB: f64 = 32.0;
/// Share of the machine's RAM the models of one page can hold before the OS, the browser and other tabs push
/// back. Assumption (U), chosen so that an 8 GB machine gives the 4 GB of the `webgpu:integrated` entry.
pub const PAGE_SHARE_OF_RAM: f64 = 0.5;
/// wasm32 linear memory: 65,536 pages of 64 KiB = 4 GiB, the most Chrome and Firefox allow one module.
pub const WASM32_MAX_MB: f64 = 4096.0;

const MIB: f64 = 1024.0 * 1024.0;

/// The device profile detected capabilities imply, starting from a catalog entry (`webgpu:fallback`,
/// `webgpu:discrete`, `webgpu:integrated` or `wasm:laptop-4c`), with id `detected:<base id>`, and the reasons
/// for each choice and change. Never fails: what is missing keeps the catalog's value and says so.
pub fn profile_from_capabilities(c: &Capabilities) -> (DeviceProfile, Vec<String>) {
    let mut reasons = Vec::new();
    let cores = cores(c, &mut reasons);
    let adapter = c.webgpu.as_ref().ok().and_then(WebGpu::adapter);
    let mut p = match (adapter, &c.webgpu) {
        (Some(a), _) if a.is_fallback_adapter => fallback_gpu(a, cores, &mut reasons),
        (Some(a), Ok(gpu)) => hardware_gpu(a, gpu, cores, &mut reasons),
        (_, gpu) => wasm_cpu(&c.wasm, gpu, cores, &mut reasons),
    };
    memory(&mut p, c.device_memory_gb, adapter, &mut reasons);
    p.id = format!("detected:{}", p.id);
    p.name = format!("{} (detected)", p.name);
    p.sources.push(("detected".to_string(), reasons.join(" ")));
    (p, reasons)
}

fn cores(c: &Capabilities, reasons: &mut Vec<String>) -> Option<u32> {
    match c.hardware_concurrency {
        Some(n) if n >= 1 => Some(n),
        other => {
            reasons.push(format!(
                "navigator.hardwareConcurrency is {}: core counts stay at the catalog's.",
                other.map_or("absent".to_string(), |n| n.to_string())
            ));
            None
        }
    }
}

fn catalog(id: &str) -> DeviceProfile {
    hardware::find(id).unwrap_or_else(|_| {
        debug_assert!(false, "catalog entry {id} is missing");
        hardware::all().swap_remove(0)
    })
}

fn fallback_gpu(a: &GpuAdapter, cores: Option<u32>, reasons: &mut Vec<String>) -> DeviceProfile {
    let mut p = catalog("webgpu:fallback");
    reasons.push(format!(
        "The WebGPU adapter ({}) is a fallback (software) adapter: it computes on the CPU, so it is predicted \
         at CPU speed from webgpu:fallback ({} GFLOP/s FP32 measured on {} cores).",
        a.label(),
        p.peak_tflops.fp32 * 1e3,
        p.compute_units
    ));
    if let Some(n) = cores {
        // SwiftShader spreads a dispatch over a worker thread per core; linear scaling is assumed (U).
        let factor = f64::from(n) / f64::from(p.compute_units.max(1));
        p.scale_peaks(factor);
        p.compute_units = n;
        p.host_cores = n;
        reasons.push(format!(
            "{n} logical cores (hardwareConcurrency): peak scaled by {factor:.2} to {:.2} GFLOP/s, assuming \
             the software rasteriser's threads scale linearly.",
            p.peak_tflops.fp32 * 1e3
        ));
    }
    p
}

/// Markers of integrated GPUs in `adapter.info` (lower case) from vendors that also make discrete ones: AMD
/// APU graphics ("AMD Radeon(TM) Graphics", "Radeon Vega 8 Graphics", "Radeon 780M") and NVIDIA Jetson
/// modules. Dawn reports the same architectures (`gcn-5`, `rdna-3`) for APUs and cards, so the names decide.
const INTEGRATED_MARKERS: [&str; 17] = [
    "integrated",
    "radeon graphics",
    "radeon(tm) graphics",
    "vega 3 ",
    "vega 6 ",
    "vega 7 ",
    "vega 8 ",
    "vega 10 ",
    "vega 11 ",
    "680m",
    "760m",
    "780m",
    "880m",
    "890m",
    "tegra",
    "orin",
    "xavier",
];

/// Whether an adapter looks like a discrete GPU from its `adapter.info` alone.
fn looks_discrete(a: &GpuAdapter) -> bool {
    let text = format!("{} {} {} ", a.architecture, a.device, a.description).to_ascii_lowercase();
    let integrated = INTEGRATED_MARKERS.iter().any(|m| text.contains(m));
    match a.vendor.to_ascii_lowercase().as_str() {
        "nvidia" | "amd" | "ati" => !integrated,
        // Intel Arc cards report the high-performance Xe architectures (`xe-hpg`, `xe-2hpg`).
        "intel" => a.architecture.to_ascii_lowercase().contains("hpg"),
        _ => false,
    }
}

fn hardware_gpu(
    a: &GpuAdapter,
    gpu: &WebGpu,
    cores: Option<u32>,
    reasons: &mut Vec<String>,
) -> DeviceProfile {
    let two = match (&gpu.high_performance, &gpu.low_power) {
        (Ok(h), Ok(l)) => !h.is_fallback_adapter && !l.is_fallback_adapter && !h.same_hardware(l),
        _ => false,
    };
    let discrete = two || looks_discrete(a);
    let mut p = catalog(if discrete { "webgpu:discrete" } else { "webgpu:integrated" });
    reasons.push(if two {
        format!(
            "The high-performance adapter ({}) differs from the low-power one: a second, discrete GPU, \
             predicted from webgpu:discrete.",
            a.label()
        )
    } else if discrete {
        format!(
            "The WebGPU adapter ({}) is a discrete GPU by vendor and architecture: predicted from webgpu:discrete.",
            a.label()
        )
    } else {
        format!(
            "The WebGPU adapter ({}) looks integrated (one adapter for both power preferences, no discrete \
             vendor or architecture): predicted from webgpu:integrated.",
            a.label()
        )
    });
    if !a.has("shader-f16") && p.peak_tflops.fp16 > 0.0 {
        p.peak_tflops.fp16 = 0.0;
        reasons.push(
            "No shader-f16 feature: fp16 models compute at the fp32 rate (and f16 shaders, e.g. WebLLM q4f16 \
             models, cannot load)."
                .to_string(),
        );
    }
    if let Some(n) = cores {
        p.host_cores = n;
        reasons.push(format!("{n} logical cores dispatch the GPU work (hardwareConcurrency)."));
    }
    p
}

fn wasm_cpu(
    wasm: &WasmSupport,
    gpu: &Result<WebGpu, String>,
    cores: Option<u32>,
    reasons: &mut Vec<String>,
) -> DeviceProfile {
    let mut p = catalog("wasm:laptop-4c");
    reasons.push(match gpu {
        Err(why) => format!("No WebGPU ({why}): models run on WebAssembly, predicted from wasm:laptop-4c."),
        Ok(g) => {
            let why = g.high_performance.as_ref().err().map_or(String::new(), |f| f.message.clone());
            format!("WebGPU offers no adapter ({why}): models run on WebAssembly, predicted from wasm:laptop-4c.")
        }
    });
    let base_units = f64::from(p.compute_units.max(1));
    let units = match (wasm.threads(), cores) {
        (true, Some(n)) => {
            reasons.push(format!(
                "Cross-origin isolated with SharedArrayBuffer: wasm threads can use all {n} logical cores."
            ));
            n
        }
        (true, None) => p.compute_units,
        (false, _) => {
            reasons.push(
                "Not cross-origin isolated (or no SharedArrayBuffer): wasm runs single-threaded, 1 core."
                    .to_string(),
            );
            1
        }
    };
    p.scale_peaks(f64::from(units) / base_units);
    p.compute_units = units;
    if let Some(n) = cores {
        p.host_cores = n;
    }
    if !wasm.simd {
        // 128-bit SIMD carries 4 FP32 lanes; scalar code does one.
        p.scale_peaks(0.25);
        reasons.push("No WebAssembly SIMD: scalar code, a quarter of the SIMD peak.".to_string());
    } else if !wasm.relaxed_simd {
        // The catalog's peak counts relaxed SIMD's fused multiply-add; without it a multiply and an add
        // each take a pipe.
        p.scale_peaks(0.5);
        reasons.push("No relaxed SIMD: no fused multiply-add, half the SIMD peak.".to_string());
    }
    p
}

fn memory(
    p: &mut DeviceProfile,
    device_memory_gb: Option<f64>,
    adapter: Option<&GpuAdapter>,
    reasons: &mut Vec<String>,
) {
    let max_buffer_mb = adapter.map(|a| a.limits.max_buffer_size as f64 / MIB);
    let ram = device_memory_gb.filter(|g| g.is_finite() && *g > 0.0);
    // Below the old clamp the reading is the machine's RAM (rounded); at or above it there may be more.
    let may_be_clamped = ram.is_none_or(|g| g >= DEVICE_MEMORY_OLD_CAP_GB);
    match (p.memory_pool, ram) {
        (MemoryPool::Host, Some(gb)) => {
            let clamped = gb.min(DEVICE_MEMORY_MAX_GB);
            p.memory_capacity_mb = clamped * 1024.0 * PAGE_SHARE_OF_RAM;
            reasons.push(format!(
                "navigator.deviceMemory = {gb} GB{}: {:.0} MB for the page's models ({:.0} % of RAM).",
                if may_be_clamped {
                    " (browsers clamp this value: there may be more)"
                } else {
                    ""
                },
                p.memory_capacity_mb,
                PAGE_SHARE_OF_RAM * 100.0
            ));
        }
        (MemoryPool::Host, None) => reasons.push(format!(
            "navigator.deviceMemory is absent (only Chromium browsers expose it): memory stays at the \
             catalog's {:.0} MB.",
            p.memory_capacity_mb
        )),
        (MemoryPool::Dedicated, _) => reasons.push(format!(
            "Pages cannot read a discrete GPU's memory size: the catalog's {:.0} MB is kept.",
            p.memory_capacity_mb
        )),
    }
    if let Some(mb) = max_buffer_mb.filter(|mb| may_be_clamped && *mb > p.memory_capacity_mb) {
        p.memory_capacity_mb = mb;
        reasons.push(format!(
            "The adapter allows a single buffer of {mb:.0} MB (maxBufferSize), so at least that much is \
             assumed available."
        ));
    }
    if let Some(a) = adapter {
        reasons.push(format!(
            "Largest tensor a shader can bind: {:.0} MB (maxStorageBufferBindingSize).",
            a.limits.max_storage_buffer_binding_size as f64 / MIB
        ));
    }
    if p.platform == Platform::Wasm && p.memory_capacity_mb > WASM32_MAX_MB {
        p.memory_capacity_mb = WASM32_MAX_MB;
        reasons.push("wasm32 addresses at most 4 GiB: capacity capped at 4096 MB.".to_string());
    }
}

/// GREASE brands Chromium adds to `userAgentData.brands` so that sites do not match exact lists
/// (`Not_A Brand`, `Not)A;Brand`, …).
fn is_grease(brand: &str) -> bool {
    let b = brand.to_ascii_lowercase();
    b.starts_with("not") && b.contains("brand")
}

/// Brands in the order a user would name their browser: a vendor brand before the engine's name.
const BRAND_ORDER: [&str; 7] = [
    "Microsoft Edge",
    "Opera",
    "Brave",
    "Google Chrome",
    "Samsung Internet",
    "HeadlessChrome",
    "Chromium",
];

/// The browser from User-Agent Client Hints: `brands` as `(brand, version)` pairs (the high-entropy
/// `fullVersionList` where available), `platform` and `platformVersion`. Windows 11 reports a platform
/// version of 13 or more, Windows 10 1 to 10 (Microsoft Learn, "Detect Windows 11 using User-Agent Client
/// Hints").
pub fn browser_from_client_hints(
    brands: &[(String, String)],
    platform: &str,
    platform_version: Option<&str>,
    mobile: Option<bool>,
    user_agent: &str,
) -> BrowserInfo {
    let real: Vec<&(String, String)> = brands.iter().filter(|(b, _)| !is_grease(b)).collect();
    let rank = |b: &str| BRAND_ORDER.iter().position(|k| *k == b).unwrap_or(BRAND_ORDER.len() - 1);
    let chosen = real.iter().min_by_key(|(b, _)| rank(b));
    let from_ua = browser_from_user_agent(user_agent);
    let (name, version) = match chosen {
        Some((b, v)) => (b.clone(), v.clone()),
        None => (from_ua.name.clone(), from_ua.version.clone()),
    };
    let os = match platform {
        "" => from_ua.os.clone(),
        "Chrome OS" | "Chromium OS" => "ChromeOS".to_string(),
        p => p.to_string(),
    };
    let os_version = platform_version.filter(|v| !v.is_empty()).map(|v| {
        let major = v.split('.').next().and_then(|m| m.parse::<u32>().ok());
        match (os.as_str(), major) {
            ("Windows", Some(m)) if m >= 13 => "11".to_string(),
            ("Windows", Some(m)) if m >= 1 => "10".to_string(),
            _ => v.to_string(),
        }
    });
    BrowserInfo {
        name,
        version,
        os,
        os_version: os_version.or(from_ua.os_version),
        mobile,
        source: BrowserSource::ClientHints,
        user_agent: user_agent.to_string(),
    }
}

/// The version after `token` (`Chrome/` → `156.0.0.0`).
fn after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Browser tokens in the order they must be tested: Edge, Opera and Samsung also carry `Chrome/`, Chrome
/// carries `Safari/`.
const UA_BROWSERS: [(&str, &str); 11] = [
    ("Edg/", "Microsoft Edge"),
    ("EdgA/", "Microsoft Edge"),
    ("EdgiOS/", "Microsoft Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Google Chrome"),
    ("HeadlessChrome/", "HeadlessChrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Google Chrome"),
];

/// The browser from a User-Agent string (the fallback where Client Hints are absent: Firefox, Safari).
/// UA strings freeze the OS version on modern browsers (Windows NT 10.0 also on Windows 11, macOS 10_15_7).
pub fn browser_from_user_agent(ua: &str) -> BrowserInfo {
    let (name, version) = UA_BROWSERS
        .iter()
        .find_map(|(token, name)| after(ua, token).map(|v| (name.to_string(), v.to_string())))
        .or_else(|| {
            (ua.contains("Safari/")).then(|| {
                let v = after(ua, "Version/").unwrap_or_default();
                ("Safari".to_string(), v.to_string())
            })
        })
        .unwrap_or_else(|| ("unknown".to_string(), String::new()));
    let (os, os_version) = os_from_user_agent(ua);
    BrowserInfo {
        name,
        version,
        os: os.to_string(),
        os_version,
        mobile: None,
        source: BrowserSource::UserAgent,
        user_agent: ua.to_string(),
    }
}

fn os_from_user_agent(ua: &str) -> (&'static str, Option<String>) {
    let dotted = |v: &str| v.replace('_', ".");
    if let Some(v) = after(ua, "Windows NT ") {
        ("Windows", Some(v.to_string()))
    } else if let Some(v) = after(ua, "Android ") {
        ("Android", Some(v.to_string()))
    } else if let Some(v) = after(ua, "iPhone OS ").or_else(|| after(ua, "CPU OS ")) {
        ("iOS", Some(dotted(v)))
    } else if let Some(v) = after(ua, "Mac OS X ") {
        ("macOS", Some(dotted(v)))
    } else if ua.contains("CrOS") {
        ("ChromeOS", None)
    } else if ua.contains("Linux") {
        ("Linux", None)
    } else {
        ("unknown", None)
    }
}

#[cfg(test)]
mod tests;
