//! `ResourcePool`: registers models (a user executor, or the built-in workload of a catalog model), routes each
//! to a backend from the detected capabilities, predicts the run, executes it with a strategy, times every
//! model with `performance.now()`, isolates failures, falls back to the next backend, and keeps shared tensors
//! with reference counts.
//!
//! Execution model (what the prediction assumes, stated in its device profiles):
//! - WebGPU: one `GPUDevice` for the pool, so every model's GPU work goes through one queue
//!   (`pool:webgpu` is a serial-queue device); only host work (encoding, read-back waits) overlaps.
//! - WASM: built-in WASM workloads run synchronously on the calling thread, so two of them never overlap:
//!   `pool:wasm-main-thread` is a serial-queue CPU device and each built-in model uses one thread.
//! - A stage of the plan starts all its models together, limited per backend by `concurrency` (extra models
//!   wait in lanes); stages run one after another. Sequential = one model per stage, batched = the groups.
//! - A model's failure (throw, rejection, timeout, invalid output) is recorded on that model; with fallback
//!   the next usable backend is tried; other models' results are never lost.

mod calibration;
mod dto;
mod tensors;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use futures_util::future::join_all;
use js_sys::{Array, Float32Array, Float64Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{call, failure, get, now_ms, race_timeout};
use super::route::RouteDecisionDto;
use super::webgpu::{Gpu, GpuChain};
use super::webnn::NnChain;
use super::worker;
use super::{from_js, is_absent, js_error, to_js, CapabilitiesDto};
use crate::calibrate::{MeasuredModel, Measurement};
use crate::catalog::detected::Capabilities;
use crate::catalog::detected::WebNnKind;
use crate::catalog::hardware::{Concurrency, DeviceProfile};
use crate::error::Error;
use crate::plan::route::{self, Backend, RouteDecision};
use crate::predict::multi::{Strategy, Target, Workload as PredictWorkload};
use crate::predict::spec::ModelSpec;
use crate::workload::{self, Workload, WorkloadOptions};
use crate::{Goal, MultiModelPredictor};
use dto::*;
use tensors::{Registry, Tensor};

/// Default per-model timeout, ms.
const RUN_TIMEOUT_MS: f64 = 30_000.0;
/// Largest relative difference a WebGPU result may show against the CPU reference (fp32, different
/// summation order).
pub const TOLERANCE: f64 = 1e-3;
/// Built-in workers run the same code on the same data as the reference: their output sums agree to
/// rounding of the f64 sum.
pub const WORKER_TOLERANCE: f64 = 1e-9;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "PoolOptions")]
    pub type PoolOptionsArg;
    #[wasm_bindgen(typescript_type = "RegisterOptions")]
    pub type RegisterOptionsArg;
    #[wasm_bindgen(typescript_type = "ExecuteOptions")]
    pub type ExecuteOptionsArg;
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type ModelIdsArg;
    #[wasm_bindgen(typescript_type = "ShareTensorOptions")]
    pub type ShareTensorOptionsArg;
    #[wasm_bindgen(typescript_type = "RegisteredModel[]")]
    pub type RegisteredModelsJs;
    #[wasm_bindgen(typescript_type = "SharedTensor")]
    pub type SharedTensorJs;
    #[wasm_bindgen(typescript_type = "PoolMemory")]
    pub type PoolMemoryJs;
}

enum GpuSlot {
    Closed,
    Open(Rc<Gpu>),
    Failed(String),
}

struct Builtin {
    workload: Workload,
    weights_tensor: String,
    cpu_weights: Rc<Vec<Vec<f32>>>,
    reference: Rc<Vec<f32>>,
    chain: Option<Rc<GpuChain>>,
    chain_error: Option<String>,
    /// WebNN graphs per context kind in the model's backend chain, or why one could not be built.
    nn: NnChains,
}

type NnChains = Vec<(WebNnKind, Result<Rc<NnChain>, String>)>;

enum Exec {
    User(Function),
    /// The user's executor lives in their module worker.
    UserWorker,
    Builtin(Builtin),
}

struct Model {
    id: String,
    entry: JsValue,
    spec: ModelSpec,
    exec: Exec,
    route: RouteDecision,
    chain: Vec<Backend>,
    validate: Option<Function>,
    tensors: Vec<String>,
    worker: Option<Rc<WorkerSlot>>,
}

/// A model that runs in its own Web Worker.
struct WorkerSlot {
    kind: WorkerKind,
    /// Threads the worker may use (its share of the cores).
    threads: u32,
    /// The running worker; `None` after a timeout terminated it.
    handle: RefCell<Option<web_sys::Worker>>,
    /// Built-in workers: the prepared workload's handle in the worker's instance.
    prepared: std::cell::Cell<i32>,
}

enum WorkerKind {
    /// The built-in workload in this module, instantiated in the worker.
    Builtin { module: JsValue, args: Array },
    /// The user's module worker script.
    Module { url: String },
}

impl WorkerSlot {
    /// Starts the worker (again, after a timeout) and prepares a built-in workload in it.
    async fn ensure(&self) -> Result<web_sys::Worker, String> {
        if let Some(w) = self.handle.borrow().as_ref() {
            return Ok(w.clone());
        }
        let message = |e: JsValue| {
            let f = failure(&e);
            format!("{}: {}", f.name, f.message)
        };
        let w = match &self.kind {
            WorkerKind::Module { url } => worker::start_module(url).map_err(message)?,
            WorkerKind::Builtin { module, args } => {
                let w = worker::start_builtin(module).await.map_err(message)?;
                let msg = Object::new();
                let _ = Reflect::set(&msg, &"type".into(), &"prepare".into());
                let _ = Reflect::set(&msg, &"args".into(), args);
                let reply = wasm_bindgen_futures::JsFuture::from(worker::call(&w, &msg.into()))
                    .await
                    .map_err(message)?;
                self.prepared
                    .set(get(&reply, "handle").as_f64().unwrap_or(-1.0) as i32);
                w
            }
        };
        *self.handle.borrow_mut() = Some(w.clone());
        Ok(w)
    }

    fn terminate(&self) {
        if let Some(w) = self.handle.borrow_mut().take() {
            w.terminate();
        }
    }
}

impl Model {
    fn builtin(&self) -> Option<&Builtin> {
        match &self.exec {
            Exec::Builtin(b) => Some(b),
            Exec::User(_) | Exec::UserWorker => None,
        }
    }

    /// The entry the prediction uses: the built-in chain or the user's model, on the pool's profile of its
    /// first backend, at the precision routing chose.
    fn predicted_spec(&self) -> ModelSpec {
        let backend = self.chain[0];
        let mut s = match &self.exec {
            Exec::Builtin(b) => {
                let mut s = b.workload.spec();
                s.runtime = Some("builtin".to_string());
                if backend == Backend::Wasm {
                    s.threads = Some(1);
                }
                s
            }
            Exec::User(_) | Exec::UserWorker => {
                let mut s = self.spec.clone();
                if s.runtime.is_none() {
                    s.runtime = Some(self.route.runtime.clone());
                }
                s.precision = self.route.precision;
                s
            }
        };
        s.device = Some(profile_id(backend));
        if let Some(w) = &self.worker {
            if backend == Backend::Wasm {
                s.device = Some(WORKERS_PROFILE.to_string());
            }
            s.threads = Some(w.threads);
        }
        s
    }

    fn runs_on(&self) -> &'static str {
        if self.worker.is_some() {
            "worker"
        } else {
            runs_on(self.chain[0])
        }
    }
}

/// The pool's profile for models in Web Workers: the detected WASM CPU, cores shared by the OS.
const WORKERS_PROFILE: &str = "pool:wasm-workers";

fn profile_id(b: Backend) -> String {
    match b {
        Backend::Wasm => "pool:wasm-main-thread".to_string(),
        other => format!("pool:{}", other.name()),
    }
}

fn runs_on(b: Backend) -> &'static str {
    match b {
        Backend::WebGpu => "gpu-queue",
        Backend::Wasm => "main-thread",
        Backend::WebNn(_) => "webnn-context",
    }
}

struct State {
    caps: Capabilities,
    caps_dto: CapabilitiesDto,
    gpu: GpuSlot,
    models: Vec<Model>,
    tensors: Registry,
    timeout_ms: f64,
    fallback: bool,
    limits: BTreeMap<&'static str, usize>,
    /// This WebAssembly module, for built-in workers (`wasmModule` or the build's own).
    wasm_module: Option<JsValue>,
    /// Measurements, refitted profiles and their storage.
    calibration: calibration::Calibration,
}

impl State {
    fn model(&self, id: &str) -> Result<&Model, JsError> {
        self.models
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| self.unknown(id))
    }

    fn unknown(&self, id: &str) -> JsError {
        let ids: Vec<&str> = self.models.iter().map(|m| m.id.as_str()).collect();
        js_error(Error::invalid(
            "id",
            id,
            if ids.is_empty() {
                "a registered model id (none registered yet)".to_string()
            } else {
                format!("a registered model id ({})", ids.join(", "))
            },
        ))
    }

    /// Pool device profiles, one per backend the capabilities offer.
    fn profiles(&self) -> Vec<DeviceProfile> {
        Backend::ALL
            .iter()
            .filter_map(|&b| {
                let mut p = route::backend_profile(&self.caps, b).ok()?;
                p.id = profile_id(b);
                if b == Backend::Wasm {
                    p.concurrency = Concurrency::SerialQueue;
                    p.name = format!("{} (this thread)", p.name);
                }
                Some(p)
            })
            .map(|p| self.calibration.calibrated.get(&p.id).cloned().unwrap_or(p))
            .chain(
                route::backend_profile(&self.caps, Backend::Wasm)
                    .ok()
                    .map(|mut p| {
                        p.id = WORKERS_PROFILE.to_string();
                        p.concurrency = Concurrency::CpuThreads;
                        p.name = format!("{} (Web Workers)", p.name);
                        p
                    }),
            )
            .map(|p| self.calibration.calibrated.get(&p.id).cloned().unwrap_or(p))
            .collect()
    }

    /// Cores the page may use: `hardwareConcurrency`, or 4 where the browser does not say.
    fn cores(&self) -> u32 {
        self.caps.hardware_concurrency.unwrap_or(4).max(1)
    }

    /// Threads already promised to workers.
    fn worker_threads(&self) -> u32 {
        self.models
            .iter()
            .filter_map(|m| m.worker.as_ref())
            .map(|w| w.threads)
            .sum()
    }
}

/// Opens the pool's GPU device once; later calls return the same device or the same failure.
async fn gpu(state: &Rc<RefCell<State>>) -> Result<Rc<Gpu>, String> {
    match &state.borrow().gpu {
        GpuSlot::Open(g) => return Ok(g.clone()),
        GpuSlot::Failed(e) => return Err(e.clone()),
        GpuSlot::Closed => {}
    }
    let opened = Gpu::open(10_000).await;
    let mut s = state.borrow_mut();
    if let GpuSlot::Open(g) = &s.gpu {
        return Ok(g.clone());
    }
    match opened {
        Ok(g) => {
            let g = Rc::new(g);
            s.gpu = GpuSlot::Open(g.clone());
            Ok(g)
        }
        Err(e) => {
            s.gpu = GpuSlot::Failed(e.clone());
            Err(e)
        }
    }
}

/// Runs models in the page: route, predict, execute with a strategy, measure, survive failures.
///
/// ```js
/// const pool = await ResourcePool.create();
/// await pool.registerModel({ model: { model_name: "bert-base-uncased" } });          // built-in workload
/// await pool.registerModel({ model: { model_name: "all-minilm-l6-v2" },
///                            executor: async (backend, { signal }) => session.run(feeds) });
/// const run = await pool.execute(undefined, { strategy: "auto", goal: "latency" });
/// for (const m of run.models) console.log(m.id, m.backend, m.status, m.latencyMs, m.predictedLatencyMs);
/// ```
#[wasm_bindgen]
pub struct ResourcePool {
    state: Rc<RefCell<State>>,
}

fn reject(e: JsError) -> JsValue {
    e.into()
}

fn parse_options(options: &JsValue) -> Result<(PoolOptionsDto, Option<CapabilitiesDto>), JsError> {
    if is_absent(options) {
        return Ok((PoolOptionsDto::default(), None));
    }
    if !options.is_object() {
        return Err(js_error(Error::invalid(
            "options",
            format!("{options:?}"),
            "an object with capabilities, timeoutMs, fallback, concurrency",
        )));
    }
    let dto: PoolOptionsDto = from_js(options, "options")?;
    let caps = get(options, "capabilities");
    let caps = if is_absent(&caps) {
        None
    } else {
        Some(from_js::<CapabilitiesDto>(&caps, "options.capabilities")?)
    };
    Ok((dto, caps))
}

fn timeout_field(v: Option<f64>, field: &str, default: f64) -> Result<f64, JsError> {
    match v {
        None => Ok(default),
        Some(t) if t.is_finite() && t > 0.0 => Ok(t),
        Some(t) => Err(js_error(Error::invalid(
            field,
            t,
            "a positive number of milliseconds",
        ))),
    }
}

#[wasm_bindgen]
impl ResourcePool {
    /// Detects capabilities (unless `options.capabilities` is given) and creates an empty pool.
    pub async fn create(options: Option<PoolOptionsArg>) -> Result<ResourcePool, JsError> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let (dto, caps) = parse_options(&options)?;
        let caps_dto = match caps {
            Some(c) => c,
            None => {
                let caps = super::detect::detect(5_000).await;
                super::remember_detected(&caps);
                CapabilitiesDto::from(&caps)
            }
        };
        let timeout_ms = timeout_field(dto.timeout_ms, "options.timeoutMs", RUN_TIMEOUT_MS)?;
        let mut limits = BTreeMap::new();
        for (k, v) in dto.concurrency.unwrap_or_default() {
            let b = Backend::parse(&format!("options.concurrency.{k}"), &k).map_err(js_error)?;
            if !(v.is_finite() && v >= 1.0 && v.fract() == 0.0) {
                return Err(js_error(Error::invalid(
                    format!("options.concurrency.{k}"),
                    v,
                    "a whole number ≥ 1",
                )));
            }
            limits.insert(b.name(), v as usize);
        }
        let calibration =
            calibration::Calibration::open(dto.storage.as_deref(), dto.db_name.as_deref()).await?;
        let wasm_module = match get(&options, "wasmModule") {
            m if is_absent(&m) => None,
            m if m.is_instance_of::<js_sys::WebAssembly::Module>() => Some(m),
            m => {
                return Err(js_error(Error::invalid(
                    "options.wasmModule",
                    format!("{m:?}"),
                    "the WebAssembly.Module of multimodel_perf_bg.wasm (for built-in workers)",
                )))
            }
        };
        Ok(ResourcePool {
            state: Rc::new(RefCell::new(State {
                caps: Capabilities::from(caps_dto.clone()),
                caps_dto,
                gpu: GpuSlot::Closed,
                models: Vec::new(),
                tensors: Registry::default(),
                timeout_ms,
                fallback: dto.fallback.unwrap_or(true),
                limits,
                wasm_module,
                calibration,
            })),
        })
    }

    /// The capabilities the pool routes with.
    #[wasm_bindgen(getter, unchecked_return_type = "Capabilities")]
    pub fn capabilities(&self) -> Result<JsValue, JsError> {
        to_js(&self.state.borrow().caps_dto)
    }

    /// Registers a model: routes it, and for built-in workloads builds its data, CPU reference and WebGPU
    /// buffers so that runs measure steady-state work.
    #[wasm_bindgen(js_name = registerModel, unchecked_return_type = "Promise<RegisteredModel>")]
    pub fn register_model(&self, options: RegisterOptionsArg) -> js_sys::Promise {
        let state = self.state.clone();
        let options: JsValue = options.into();
        wasm_bindgen_futures::future_to_promise(async move {
            register(&state, &options).await.map_err(reject)
        })
    }

    /// Releases a model's tensors and buffers.
    #[wasm_bindgen(js_name = unregisterModel)]
    pub fn unregister_model(&self, id: &str) -> Result<(), JsError> {
        let mut s = self.state.borrow_mut();
        let k = s
            .models
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| s.unknown(id))?;
        let m = s.models.remove(k);
        for t in &m.tensors {
            let _ = s.tensors.release(t, &m.id);
        }
        if let Some(w) = &m.worker {
            w.terminate();
        }
        if let Exec::Builtin(b) = &m.exec {
            let _ = s.tensors.release(&b.weights_tensor, &m.id);
            if let Some(c) = &b.chain {
                c.destroy();
            }
        }
        Ok(())
    }

    /// Every registered model.
    pub fn models(&self) -> Result<RegisteredModelsJs, JsError> {
        let s = self.state.borrow();
        let out: Vec<RegisteredDto> = s.models.iter().map(registered_dto).collect();
        Ok(to_js(&out)?.unchecked_into())
    }

    /// Runs `ids` (default: every registered model) with `options.strategy` (`parallel`, `sequential`,
    /// `batched` or `auto`). Resolves with per-model results and the prediction made before the run; rejects
    /// only on bad arguments, never because a model failed.
    #[wasm_bindgen(unchecked_return_type = "Promise<PoolRun>")]
    pub fn execute(
        &self,
        ids: Option<ModelIdsArg>,
        options: Option<ExecuteOptionsArg>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let ids: JsValue = ids.map_or(JsValue::UNDEFINED, Into::into);
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        wasm_bindgen_futures::future_to_promise(async move {
            execute(&state, &ids, &options).await.map_err(reject)
        })
    }

    /// Creates a named shared tensor from `data` or `byteLength`; with `gpu: true` it is uploaded into one
    /// `GPUBuffer` every user binds.
    #[wasm_bindgen(js_name = shareTensor, unchecked_return_type = "Promise<SharedTensor>")]
    pub fn share_tensor(
        &self,
        name: String,
        options: Option<ShareTensorOptionsArg>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        wasm_bindgen_futures::future_to_promise(async move {
            share_tensor(&state, &name, &options).await.map_err(reject)
        })
    }

    /// Adds model `id` to the tensor's users and returns the tensor (with its `GPUBuffer`, if any).
    #[wasm_bindgen(js_name = acquireTensor)]
    pub fn acquire_tensor(&self, name: &str, id: &str) -> Result<SharedTensorJs, JsError> {
        let mut s = self.state.borrow_mut();
        s.model(id)?;
        s.tensors
            .acquire(name, id)
            .map_err(|e| js_error(Error::invalid("name", name, e)))?;
        tensor_js(&s.tensors, name)
    }

    /// Removes model `id` from the tensor's users; returns how many remain.
    #[wasm_bindgen(js_name = releaseTensor)]
    pub fn release_tensor(&self, name: &str, id: &str) -> Result<usize, JsError> {
        let mut s = self.state.borrow_mut();
        let left = s
            .tensors
            .release(name, id)
            .map_err(|e| js_error(Error::invalid("name", name, e)))?;
        for m in s.models.iter_mut().filter(|m| m.id == id) {
            m.tensors.retain(|t| t != name);
        }
        Ok(left)
    }

    /// Frees a shared tensor nobody uses.
    #[wasm_bindgen(js_name = dropTensor)]
    pub fn drop_tensor(&self, name: &str) -> Result<(), JsError> {
        self.state
            .borrow_mut()
            .tensors
            .drop_unused(name)
            .map_err(|e| js_error(Error::invalid("name", name, e)))
    }

    /// Bytes held: shared tensors once each, what sharing saves, and every model's own buffers.
    pub fn memory(&self) -> Result<PoolMemoryJs, JsError> {
        let s = self.state.borrow();
        Ok(to_js(&memory_dto(&s))?.unchecked_into())
    }

    /// Frees every buffer and forgets every model.
    pub fn destroy(&self) {
        let mut s = self.state.borrow_mut();
        for m in &s.models {
            if let Some(c) = m.builtin().and_then(|b| b.chain.as_ref()) {
                c.destroy();
            }
            if let Some(w) = &m.worker {
                w.terminate();
            }
        }
        s.models.clear();
        s.tensors.clear();
    }
}

fn registered_dto(m: &Model) -> RegisteredDto {
    RegisteredDto {
        id: m.id.clone(),
        model: m.spec.name.clone(),
        builtin: m.builtin().is_some(),
        backend: m.chain[0].name(),
        fallbacks: m.chain[1..].iter().map(|b| b.name()).collect(),
        route: RouteDecisionDto::from(&m.route),
        workload: m.builtin().map(|b| {
            let w = &b.workload;
            WorkloadShapeDto {
                gemms: w.gemms.len(),
                mflop: w.flops() / 1e6,
                full_gflop: w.full_gflop,
                scale: w.scale,
                weight_bytes: w.weight_bytes(),
                largest_buffer_bytes: w.largest_buffer_bytes(),
            }
        }),
        runs_on: m.runs_on(),
        tensors: m.tensors.clone(),
    }
}

fn memory_dto(s: &State) -> PoolMemoryDto {
    let tensors: Vec<TensorMemoryDto> = s
        .tensors
        .iter()
        .map(|(name, t)| TensorMemoryDto {
            name: name.clone(),
            bytes: t.bytes,
            refs: t.users.len(),
            users: t.users.iter().cloned().collect(),
            on_gpu: !t.gpu.is_empty(),
        })
        .collect();
    let shared: f64 = tensors.iter().map(|t| t.bytes).sum();
    let saved: f64 = tensors
        .iter()
        .map(|t| t.bytes * t.refs.saturating_sub(1) as f64)
        .sum();
    let models: Vec<ModelMemoryDto> = s
        .models
        .iter()
        .map(|m| ModelMemoryDto {
            id: m.id.clone(),
            own_bytes: m.builtin().map_or(0.0, |b| {
                b.chain.as_ref().map_or(0.0, |c| c.owned_bytes())
                    + 4.0 * (b.reference.len() + b.workload.input_len()) as f64
            }),
        })
        .collect();
    let own: f64 = models.iter().map(|m| m.own_bytes).sum();
    PoolMemoryDto {
        tensors,
        shared_bytes: shared,
        saved_bytes: saved,
        models,
        total_bytes: shared + own,
    }
}

fn tensor_js(reg: &Registry, name: &str) -> Result<SharedTensorJs, JsError> {
    let t = reg
        .get(name)
        .ok_or_else(|| js_error(Error::invalid("name", name, "a shared tensor's name")))?;
    let o = Object::new();
    let users: Array = t.users.iter().map(|u| JsValue::from_str(u)).collect();
    let set = |k: &str, v: &JsValue| Reflect::set(&o, &JsValue::from_str(k), v).map(|_| ());
    let result = (|| {
        set("name", &JsValue::from_str(name))?;
        set("byteLength", &JsValue::from_f64(t.bytes))?;
        set("refs", &JsValue::from_f64(t.users.len() as f64))?;
        set("users", &users)?;
        if let Some(b) = t.gpu.first() {
            set("buffer", b)?;
        }
        if !is_absent(&t.data) {
            set("data", &t.data)?;
        }
        Ok::<(), JsValue>(())
    })();
    result.map_err(|_| JsError::new("cannot build the tensor object"))?;
    Ok(o.unchecked_into())
}

async fn share_tensor(
    state: &Rc<RefCell<State>>,
    name: &str,
    options: &JsValue,
) -> Result<JsValue, JsError> {
    if name.trim().is_empty() {
        return Err(js_error(Error::invalid("name", name, "a non-empty name")));
    }
    let data = get(options, "data");
    let byte_length = get(options, "byteLength");
    let on_gpu = get(options, "gpu").as_bool().unwrap_or(false);
    let bytes: Vec<u8> = if is_absent(&data) {
        Vec::new()
    } else {
        let is_view = js_sys::ArrayBuffer::is_view(&data);
        if !is_view {
            return Err(js_error(Error::invalid(
                "options.data",
                format!("{data:?}"),
                "a typed array or DataView",
            )));
        }
        let buffer = get(&data, "buffer");
        let offset = get(&data, "byteOffset").as_f64().unwrap_or(0.0) as u32;
        let len = get(&data, "byteLength").as_f64().unwrap_or(0.0) as u32;
        js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len).to_vec()
    };
    let size = if bytes.is_empty() {
        match byte_length.as_f64() {
            Some(b) if b.is_finite() && b > 0.0 && b.fract() == 0.0 => b,
            _ => {
                return Err(js_error(Error::invalid(
                    "options",
                    format!("{byte_length:?}"),
                    "data (a non-empty typed array) or byteLength (a whole number > 0)",
                )))
            }
        }
    } else {
        bytes.len() as f64
    };
    if state.borrow().tensors.get(name).is_some() {
        return Err(js_error(Error::invalid(
            "name",
            name,
            "a name not yet used by another shared tensor",
        )));
    }
    let gpu_buffers = if on_gpu {
        let g = gpu(state).await.map_err(|e| {
            js_error(Error::invalid(
                "options.gpu",
                "true",
                format!("WebGPU to be available: {e}"),
            ))
        })?;
        let buffer = g
            .upload_bytes(&bytes, size)
            .map_err(|e| js_error(Error::invalid("options", name, e)))?;
        vec![buffer]
    } else {
        Vec::new()
    };
    let mut s = state.borrow_mut();
    s.tensors
        .insert(
            name,
            Tensor {
                bytes: size,
                users: BTreeSet::new(),
                gpu: gpu_buffers,
                data: if is_absent(&data) {
                    JsValue::UNDEFINED
                } else {
                    data
                },
                release_on_last: false,
            },
        )
        .map_err(|e| js_error(Error::invalid("name", name, e)))?;
    Ok(tensor_js(&s.tensors, name)?.into())
}

fn string_list(v: &JsValue, field: &str) -> Result<Option<Vec<String>>, JsError> {
    if is_absent(v) {
        return Ok(None);
    }
    let arr = v.dyn_ref::<Array>().ok_or_else(|| {
        js_error(Error::invalid(
            field,
            format!("{v:?}"),
            "an array of strings",
        ))
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_string().ok_or_else(|| {
                js_error(Error::invalid(
                    format!("{field}[{i}]"),
                    format!("{x:?}"),
                    "a string",
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn register(state: &Rc<RefCell<State>>, options: &JsValue) -> Result<JsValue, JsError> {
    if !options.is_object() {
        return Err(js_error(Error::missing(
            "options",
            "an object with model (a model entry) and optionally executor, id, backends, workload, tensors",
        )));
    }
    let entry = get(options, "model");
    if !entry.is_object() {
        return Err(js_error(Error::missing(
            "options.model",
            "a model entry such as { model_name: \"bert-base-uncased\" }",
        )));
    }
    let spec = from_js::<crate::wire::ModelEntryDto>(&entry, "options.model")?
        .into_spec("options.model")
        .map_err(js_error)?;
    let executor = get(options, "executor");
    let executor = if is_absent(&executor) {
        None
    } else {
        Some(executor.dyn_into::<Function>().map_err(|v| {
            js_error(Error::invalid(
                "options.executor",
                format!("{v:?}"),
                "a function (backend, inputs) => Promise<outputs>",
            ))
        })?)
    };
    let validate = get(options, "validate");
    let validate = if is_absent(&validate) {
        None
    } else {
        Some(validate.dyn_into::<Function>().map_err(|v| {
            js_error(Error::invalid(
                "options.validate",
                format!("{v:?}"),
                "a function (outputs) => boolean | string",
            ))
        })?)
    };
    let allowed = string_list(&get(options, "backends"), "options.backends")?
        .map(|names| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| Backend::parse(&format!("options.backends[{i}]"), n))
                .collect::<crate::Result<Vec<_>>>()
        })
        .transpose()
        .map_err(js_error)?;
    let tensor_names =
        string_list(&get(options, "tensors"), "options.tensors")?.unwrap_or_default();
    let (worker_url, worker_threads, wants_worker) = worker_option(&get(options, "worker"))?;
    if wants_worker && executor.is_some() {
        return Err(js_error(Error::invalid(
            "options.worker",
            "with an executor",
            "no executor: a function cannot move to a worker; give worker.url (a module worker script that answers mmperf-run messages) instead",
        )));
    }
    let id = match get(options, "id") {
        v if is_absent(&v) => None,
        v => Some(
            v.as_string()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    js_error(Error::invalid(
                        "options.id",
                        format!("{v:?}"),
                        "a non-empty string",
                    ))
                })?,
        ),
    };
    let id = {
        let s = state.borrow();
        match id {
            Some(id) if s.models.iter().any(|m| m.id == id) => {
                return Err(js_error(Error::invalid(
                    "options.id",
                    &id,
                    "an id not already registered",
                )))
            }
            Some(id) => id,
            None => {
                let mut k = 1;
                let mut id = spec.name.clone();
                while s.models.iter().any(|m| m.id == id) {
                    k += 1;
                    id = format!("{}#{k}", spec.name);
                }
                id
            }
        }
    };
    for t in &tensor_names {
        if state.borrow().tensors.get(t).is_none() {
            return Err(js_error(Error::invalid(
                "options.tensors",
                t,
                "the name of a tensor created with shareTensor",
            )));
        }
    }

    // Built-in workloads run on WebGPU and WASM; routing sees the chain that really runs.
    let built = if executor.is_none() && worker_url.is_none() {
        let o = get(options, "workload");
        let wo: WorkloadOptionsDto = if is_absent(&o) {
            WorkloadOptionsDto::default()
        } else {
            from_js(&o, "options.workload")?
        };
        let w = workload::build(
            &spec,
            "options.workload",
            WorkloadOptions {
                scale: wo.scale,
                max_mflop: wo.max_mflop.unwrap_or(workload::DEFAULT_MAX_MFLOP),
            },
        )
        .map_err(js_error)?;
        Some(w)
    } else {
        None
    };
    let route_spec = built.as_ref().map_or_else(|| spec.clone(), Workload::spec);
    let caps = state.borrow().caps.clone();
    let decision = route::route(std::slice::from_ref(&route_spec), &caps)
        .map_err(js_error)?
        .remove(0);
    let mut ranked: Vec<(Backend, bool, String)> =
        vec![(decision.backend, true, decision.reason.clone())];
    ranked.extend(
        decision
            .alternatives
            .iter()
            .map(|a| (a.backend, a.usable, a.reason.clone())),
    );
    let chain: Vec<Backend> = match &allowed {
        // Allowed backends in the caller's order, those usable.
        Some(list) => list
            .iter()
            .copied()
            .filter(|b| ranked.iter().any(|(x, usable, _)| x == b && *usable))
            .collect(),
        None => ranked
            .iter()
            .filter(|(_, usable, _)| *usable)
            .map(|(b, _, _)| *b)
            .collect(),
    };
    if chain.is_empty() {
        let why: Vec<String> = ranked
            .iter()
            .filter(|(b, _, _)| allowed.as_ref().is_none_or(|l| l.contains(b)))
            .map(|(b, _, reason)| format!("{}: {reason}", b.name()))
            .collect();
        return Err(js_error(Error::invalid(
            "options.backends",
            allowed.map_or("(any)".to_string(), |l| {
                l.iter().map(|b| b.name()).collect::<Vec<_>>().join(", ")
            }),
            format!("at least one usable backend here; {}", why.join("; ")),
        )));
    }

    let mut chain = chain;
    let threads = worker_threads.unwrap_or(1);
    if wants_worker {
        let s = state.borrow();
        let free = s.cores().saturating_sub(s.worker_threads());
        if threads > free {
            return Err(js_error(Error::invalid(
                "options.worker.threads",
                threads,
                format!(
                    "at most {free}: this page has {} cores and other workers hold {} threads",
                    s.cores(),
                    s.worker_threads()
                ),
            )));
        }
        if built.is_some() {
            if !chain.contains(&Backend::Wasm) {
                return Err(js_error(Error::invalid(
                    "options.worker",
                    "true",
                    "a model that may run on WASM (built-in workers run the WASM path)",
                )));
            }
            chain = vec![Backend::Wasm];
        }
    }
    let worker = match (wants_worker, &worker_url, &built) {
        (false, _, _) => None,
        (true, Some(url), _) => Some(WorkerKind::Module { url: url.clone() }),
        (true, None, Some(w)) => {
            let module = state
                .borrow()
                .wasm_module
                .clone()
                .or_else(worker::own_module)
                .ok_or_else(|| {
                    js_error(Error::invalid(
                        "options.worker",
                        "true",
                        "a build that can hand its WebAssembly module to a worker: import 'multimodel-perf/web', or pass wasmModule (WebAssembly.Module of multimodel_perf_bg.wasm) to ResourcePool.create",
                    ))
                })?;
            let args = worker::prepare_args(&spec, w).ok_or_else(|| {
                js_error(Error::invalid(
                    "options.worker",
                    &spec.name,
                    "a catalog model (built-in workers rebuild the workload from the catalog)",
                ))
            })?;
            Some(WorkerKind::Builtin { module, args })
        }
        (true, None, None) => None,
    };
    let worker = match worker {
        None => None,
        Some(kind) => {
            let slot = Rc::new(WorkerSlot {
                kind,
                threads,
                handle: RefCell::new(None),
                prepared: std::cell::Cell::new(-1),
            });
            slot.ensure().await.map_err(|e| {
                js_error(Error::invalid(
                    "options.worker",
                    "(worker start)",
                    format!("a worker that starts: {e}"),
                ))
            })?;
            Some(slot)
        }
    };

    let exec = match (executor, built) {
        (Some(f), _) => Exec::User(f),
        (None, None) if worker.is_some() => Exec::UserWorker,
        (None, Some(w)) => {
            let weights: Vec<Vec<f32>> = (0..w.gemms.len()).map(|i| w.weights(i)).collect();
            let reference = workload::run_cpu(&w, &w.input(), &weights);
            let key = format!(
                "builtin-weights:{}:{}",
                w.model,
                w.gemms
                    .iter()
                    .map(|g| format!("{}x{}", g.k, g.n))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let mut b = Builtin {
                weights_tensor: key.clone(),
                cpu_weights: Rc::new(weights),
                reference: Rc::new(reference),
                chain: None,
                chain_error: None,
                nn: Vec::new(),
                workload: w,
            };
            if chain.contains(&Backend::WebGpu) {
                match build_chain(state, &b, &key, &id).await {
                    Ok(c) => b.chain = Some(Rc::new(c)),
                    Err(e) => b.chain_error = Some(e),
                }
            }
            for backend in &chain {
                if let Backend::WebNn(kind) = *backend {
                    let built = NnChain::new(kind, &b.workload, &b.cpu_weights, 10_000)
                        .await
                        .map(Rc::new);
                    b.nn.push((kind, built));
                }
            }
            Exec::Builtin(b)
        }
        (None, None) => unreachable_exec()?,
    };
    let mut s = state.borrow_mut();
    for t in &tensor_names {
        s.tensors
            .acquire(t, &id)
            .map_err(|e| js_error(Error::invalid("options.tensors", t, e)))?;
    }
    let model = Model {
        id,
        entry,
        spec,
        exec,
        route: decision,
        chain,
        validate,
        tensors: tensor_names,
        worker,
    };
    let dto = registered_dto(&model);
    s.models.push(model);
    to_js(&dto)
}

/// `worker`: absent/false, `true`, or `{ url?, threads? }` → (url, threads, wanted).
fn worker_option(v: &JsValue) -> Result<(Option<String>, Option<u32>, bool), JsError> {
    if is_absent(v) || v.as_bool() == Some(false) {
        return Ok((None, None, false));
    }
    if v.as_bool() == Some(true) {
        return Ok((None, None, true));
    }
    if !v.is_object() {
        return Err(js_error(Error::invalid(
            "options.worker",
            format!("{v:?}"),
            "true, or { url?: string, threads?: number }",
        )));
    }
    let url = match get(v, "url") {
        u if is_absent(&u) => None,
        u => Some(
            u.as_string()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    js_error(Error::invalid(
                        "options.worker.url",
                        format!("{u:?}"),
                        "a module worker script URL",
                    ))
                })?,
        ),
    };
    let threads = match get(v, "threads") {
        t if is_absent(&t) => None,
        t => Some(
            t.as_f64()
                .filter(|x| x.is_finite() && *x >= 1.0 && x.fract() == 0.0 && *x <= 1024.0)
                .ok_or_else(|| {
                    js_error(Error::invalid(
                        "options.worker.threads",
                        format!("{t:?}"),
                        "a whole number from 1 to 1024",
                    ))
                })? as u32,
        ),
    };
    Ok((url, threads, true))
}

fn unreachable_exec() -> Result<Exec, JsError> {
    Err(JsError::new(
        "a model needs an executor or a built-in workload",
    ))
}

/// Uploads (or reuses) the weights tensor and builds the model's dispatch chain.
async fn build_chain(
    state: &Rc<RefCell<State>>,
    b: &Builtin,
    key: &str,
    id: &str,
) -> Result<GpuChain, String> {
    let g = gpu(state).await?;
    let exists = state.borrow().tensors.get(key).is_some();
    if !exists {
        let buffers = b
            .cpu_weights
            .iter()
            .map(|w| g.upload(w))
            .collect::<Result<Vec<_>, _>>()?;
        let bytes = b.workload.weight_bytes();
        state.borrow_mut().tensors.insert(
            key,
            Tensor {
                bytes,
                users: BTreeSet::new(),
                gpu: buffers,
                data: JsValue::UNDEFINED,
                release_on_last: true,
            },
        )?;
    }
    let buffers = state
        .borrow()
        .tensors
        .get(key)
        .map(|t| t.gpu.clone())
        .unwrap_or_default();
    let chain = GpuChain::new(&g, &b.workload, &buffers).await?;
    state.borrow_mut().tensors.acquire(key, id)?;
    Ok(chain)
}

/// What went wrong with a value an executor resolved to, if anything: nothing at all, or non-finite
/// numbers (in a number, a float typed array, or one level of arrays/objects).
fn output_problem(v: &JsValue, depth: u32) -> Option<String> {
    if v.is_undefined() || v.is_null() {
        return Some(format!(
            "the executor resolved to {}",
            if v.is_null() { "null" } else { "undefined" }
        ));
    }
    if let Some(x) = v.as_f64() {
        return (!x.is_finite()).then(|| format!("the output is {x}"));
    }
    let bad = |vals: Vec<f64>| {
        vals.iter()
            .position(|x| !x.is_finite())
            .map(|i| format!("output element {i} is {}", vals[i]))
    };
    if let Some(a) = v.dyn_ref::<Float32Array>() {
        return bad(a.to_vec().into_iter().map(f64::from).collect());
    }
    if let Some(a) = v.dyn_ref::<Float64Array>() {
        return bad(a.to_vec());
    }
    if depth >= 2 || !v.is_object() || js_sys::ArrayBuffer::is_view(v) {
        return None;
    }
    if let Some(a) = v.dyn_ref::<Array>() {
        return a
            .iter()
            .find_map(|x| output_problem(&x, depth + 1).filter(|_| !x.is_undefined()));
    }
    let plain = Object::get_prototype_of(v) == Object::get_prototype_of(&Object::new());
    if plain || depth == 0 {
        let obj: &Object = v.unchecked_ref();
        return Object::values(obj)
            .iter()
            .find_map(|x| output_problem(&x, depth + 1).filter(|_| !x.is_undefined()));
    }
    None
}

/// What one model's run produced.
struct Outcome {
    dto: ModelRunDto,
    outputs: JsValue,
}

struct Job {
    index: usize,
    id: String,
    name: String,
    batch: u32,
    chain: Vec<Backend>,
    exec: JobExec,
    entry: JsValue,
    tensors: Vec<String>,
    validate: Option<Function>,
    predicted_ms: f64,
    worker: Option<Rc<WorkerSlot>>,
    runs_on: &'static str,
}

enum JobExec {
    User(Function),
    UserWorker,
    Builtin {
        workload: Workload,
        weights: Rc<Vec<Vec<f32>>>,
        reference: Rc<Vec<f32>>,
        chain: Option<Rc<GpuChain>>,
        chain_error: Option<String>,
        nn: NnChains,
    },
}

/// The registered models `ids` names (all when absent), in that order, each once.
fn select(s: &State, ids: &JsValue) -> Result<Vec<usize>, JsError> {
    Ok(match string_list(ids, "ids")? {
        None => (0..s.models.len()).collect(),
        Some(list) => {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for id in &list {
                let k = s
                    .models
                    .iter()
                    .position(|m| &m.id == id)
                    .ok_or_else(|| s.unknown(id))?;
                if seen.insert(k) {
                    out.push(k);
                }
            }
            out
        }
    })
}

/// What the prediction of a run of `selected` starts from: the models' predicted entries on the pool's
/// profiles (refitted ones where there are).
fn run_inputs(s: &State, selected: &[usize]) -> Result<(PredictWorkload, Target), JsError> {
    let models: Vec<&Model> = selected.iter().map(|&k| &s.models[k]).collect();
    let specs: Vec<ModelSpec> = models.iter().map(|m| m.predicted_spec()).collect();
    let profiles = s.profiles();
    // The run is attributed to the device most of its models use (ties: the smallest id).
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for sp in &specs {
        *counts
            .entry(sp.device.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let main = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
        .unwrap_or_default();
    let target = Target {
        device: profiles
            .iter()
            .find(|p| p.id == main)
            .cloned()
            .ok_or_else(|| JsError::new("no device profile for the run's models"))?,
        runtime: None,
        devices: profiles,
    };
    Ok((
        PredictWorkload {
            models: specs,
            constraints: Default::default(),
        },
        target,
    ))
}

/// The strategy the recommendation picks for `goal` on the models `ids` names.
fn recommended_strategy(
    state: &Rc<RefCell<State>>,
    ids: &JsValue,
    goal: Goal,
) -> Result<&'static str, JsValue> {
    let s = state.borrow();
    let selected = select(&s, ids)?;
    if selected.is_empty() {
        return Err(js_error(Error::invalid("ids", "[]", "at least one registered model")).into());
    }
    let (workload, target) = run_inputs(&s, &selected)?;
    let r = MultiModelPredictor::default()
        .recommend(&workload, &target, goal)
        .map_err(js_error)?;
    Ok(r.best().prediction.plan.strategy.name())
}

async fn execute(
    state: &Rc<RefCell<State>>,
    ids: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsError> {
    let opts: ExecuteOptionsDto = if is_absent(options) {
        ExecuteOptionsDto::default()
    } else {
        from_js(options, "options")?
    };
    let strategy_name = opts
        .strategy
        .clone()
        .unwrap_or_else(|| "parallel".to_string());
    let auto = strategy_name.trim().eq_ignore_ascii_case("auto");
    let strategy = if auto {
        None
    } else {
        Some(
            Strategy::parse("options.strategy", &strategy_name).map_err(|_| {
                js_error(Error::invalid(
                    "options.strategy",
                    &strategy_name,
                    "parallel, sequential, batched or auto",
                ))
            })?,
        )
    };
    let goal = Goal::parse("options.goal", opts.goal.as_deref().unwrap_or("throughput"))
        .map_err(js_error)?;
    let (timeout_ms, fallback, limits) = {
        let s = state.borrow();
        (
            timeout_field(opts.timeout_ms, "options.timeoutMs", s.timeout_ms)?,
            opts.fallback.unwrap_or(s.fallback),
            s.limits.clone(),
        )
    };

    // Which models, in the order given (ids) or registered.
    let selected = select(&state.borrow(), ids)?;
    if selected.is_empty() {
        return Err(js_error(Error::invalid(
            "ids",
            "[]",
            "at least one registered model (registerModel first)",
        )));
    }

    // The prediction, before anything runs.
    let (prediction, plan, auto_dto, jobs, basis) = {
        let s = state.borrow();
        let models: Vec<&Model> = selected.iter().map(|&k| &s.models[k]).collect();
        let (workload, target) = run_inputs(&s, &selected)?;
        let predictor = MultiModelPredictor::default();
        let (prediction, auto_dto) = match strategy {
            Some(st) => (
                predictor
                    .predict(&workload, &target, st)
                    .map_err(js_error)?,
                None,
            ),
            None => {
                let r = predictor
                    .recommend(&workload, &target, goal)
                    .map_err(js_error)?;
                let best = r.best();
                (
                    best.prediction.clone(),
                    Some(AutoDto {
                        goal: goal.name(),
                        reason: r.reason.clone(),
                        label: best.label.clone(),
                    }),
                )
            }
        };
        let plan = prediction.plan.clone();
        let jobs: Vec<Job> = models
            .iter()
            .enumerate()
            .map(|(i, m)| Job {
                index: i,
                id: m.id.clone(),
                name: m.spec.name.clone(),
                batch: m.spec.batch_size,
                chain: m.chain.clone(),
                worker: m.worker.clone(),
                runs_on: m.runs_on(),
                exec: match &m.exec {
                    Exec::User(f) => JobExec::User(f.clone()),
                    Exec::UserWorker => JobExec::UserWorker,
                    Exec::Builtin(b) => JobExec::Builtin {
                        workload: b.workload.clone(),
                        weights: b.cpu_weights.clone(),
                        reference: b.reference.clone(),
                        chain: b.chain.clone(),
                        chain_error: b.chain_error.clone(),
                        nn: b.nn.clone(),
                    },
                },
                entry: m.entry.clone(),
                tensors: m.tensors.clone(),
                validate: m.validate.clone(),
                predicted_ms: prediction.models[i].latency_ms,
            })
            .collect();
        let basis = (
            workload.models.clone(),
            target.devices.clone(),
            target.device.id.clone(),
        );
        (prediction, plan, auto_dto, jobs, basis)
    };

    let needs_gpu = jobs.iter().any(|j| j.chain.contains(&Backend::WebGpu));
    let device = if needs_gpu {
        gpu(state).await.ok()
    } else {
        None
    };
    let jobs: Vec<Rc<Job>> = jobs.into_iter().map(Rc::new).collect();
    let mut warnings = prediction.warnings.clone();
    let mut outcomes: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    // Workers a timeout terminated start again before the clock starts.
    for job in &jobs {
        if let Some(w) = &job.worker {
            let _ = w.ensure().await;
        }
    }
    let t0 = now_ms();
    for group in &plan.groups {
        // Lanes per backend: at most `limit` models of one backend at once; a lane runs its models in turn.
        let mut by_backend: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
        for &i in group {
            by_backend
                .entry(jobs[i].chain[0].name())
                .or_default()
                .push(i);
        }
        let mut lanes: Vec<Vec<usize>> = Vec::new();
        for (backend, members) in &by_backend {
            let limit = limits.get(backend).copied().unwrap_or(members.len()).max(1);
            if members.len() > 1 {
                match *backend {
                    "webgpu" => warnings.push(format!(
                        "{} models on WebGPU share the pool's one device queue: their GPU work runs one after another",
                        members.len()
                    )),
                    "wasm" => warnings.push(format!(
                        "{} WASM models on this thread: each run blocks the thread, so they run one after another",
                        members.len()
                    )),
                    _ => {}
                }
            }
            let mut ls: Vec<Vec<usize>> = vec![Vec::new(); limit.min(members.len())];
            for (k, &i) in members.iter().enumerate() {
                let n = ls.len();
                ls[k % n].push(i);
            }
            lanes.extend(ls);
        }
        let futures = lanes.into_iter().map(|lane| {
            let jobs = jobs.clone();
            let state = state.clone();
            let device = device.clone();
            async move {
                let mut out = Vec::new();
                for i in lane {
                    let o =
                        run_job(&state, &jobs[i], device.clone(), timeout_ms, fallback, t0).await;
                    out.push((i, o));
                }
                out
            }
        });
        for lane in join_all(futures).await {
            for (i, o) in lane {
                outcomes[i] = Some(o);
            }
        }
    }
    let makespan = now_ms() - t0;
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.unwrap_or_else(|| Outcome {
                dto: failed_dto(&jobs[i], "the plan did not include this model", t0),
                outputs: JsValue::UNDEFINED,
            })
        })
        .collect();
    let ok_items: f64 = outcomes
        .iter()
        .filter(|o| o.dto.status == "ok")
        .map(|o| f64::from(o.dto.batch_size))
        .sum();
    let succeeded = outcomes.iter().filter(|o| o.dto.status == "ok").count();
    // Every fully successful run becomes a measurement (kept in memory and in IndexedDB).
    let recorded = if succeeded == outcomes.len() {
        let (specs, profiles, hardware) = basis;
        let m = Measurement {
            timestamp_ms: js_sys::Date::now(),
            source: "pool".to_string(),
            hardware,
            profiles,
            strategy: plan.strategy,
            groups: plan.groups.clone(),
            models: specs
                .into_iter()
                .zip(&outcomes)
                .zip(&prediction.models)
                .map(|((spec, o), p)| MeasuredModel {
                    spec,
                    predicted_ms: p.latency_ms,
                    measured_ms: o.dto.latency_ms.max(1e-3),
                })
                .collect(),
            predicted_makespan_ms: prediction.combined_latency_ms,
            measured_makespan_ms: makespan.max(1e-3),
            memory_mb: None,
        };
        match calibration::record(state, m).await {
            Ok(_) => true,
            Err(e) => {
                warnings.push(format!("the run was not recorded: {e}"));
                false
            }
        }
    } else {
        warnings.push(format!(
            "not recorded as a measurement: {} of {} models failed",
            outcomes.len() - succeeded,
            outcomes.len()
        ));
        false
    };
    let storage_warning = state.borrow().calibration.warning_text();
    if let Some(w) = storage_warning {
        warnings.push(w);
    }
    let run = PoolRunDto {
        strategy: plan.strategy.name(),
        auto: auto_dto,
        stages: plan
            .groups
            .iter()
            .map(|g| g.iter().map(|&i| jobs[i].id.clone()).collect())
            .collect(),
        makespan_ms: makespan,
        throughput: if makespan > 0.0 {
            ok_items / (makespan / 1e3)
        } else {
            0.0
        },
        succeeded,
        failed: outcomes.len() - succeeded,
        models: outcomes.iter().map(|o| o.dto.clone()).collect(),
        prediction: crate::wire::prediction_dto(&prediction),
        recorded,
        warnings,
    };
    let value = to_js(&run)?;
    let list = get(&value, "models");
    for (k, o) in outcomes.iter().enumerate() {
        if !o.outputs.is_undefined() {
            let _ = Reflect::set(
                &list
                    .dyn_ref::<Array>()
                    .map(|a| a.get(k as u32))
                    .unwrap_or_default(),
                &"outputs".into(),
                &o.outputs,
            );
        }
    }
    Ok(value)
}

fn failed_dto(job: &Job, error: &str, t0: f64) -> ModelRunDto {
    let t = now_ms() - t0;
    ModelRunDto {
        id: job.id.clone(),
        model: job.name.clone(),
        status: "error",
        backend: job.chain[0].name(),
        planned_backend: job.chain[0].name(),
        fell_back: false,
        attempts: Vec::new(),
        start_ms: t,
        end_ms: t,
        latency_ms: 0.0,
        throughput: 0.0,
        batch_size: job.batch,
        runs_on: job.runs_on,
        error: Some(error.to_string()),
        check: None,
        predicted_latency_ms: job.predicted_ms,
    }
}

/// Runs one model: its backends in order until one succeeds (or only the first without fallback).
async fn run_job(
    state: &Rc<RefCell<State>>,
    job: &Job,
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
    fallback: bool,
    t0: f64,
) -> Outcome {
    let _ = job.index;
    let mut attempts = Vec::new();
    let start = now_ms() - t0;
    let tries = if fallback { job.chain.len() } else { 1 };
    let mut last = (
        job.chain[0],
        "error",
        String::new(),
        None,
        JsValue::UNDEFINED,
    );
    let mut succeeded_at = None;
    for (k, &backend) in job.chain.iter().take(tries).enumerate() {
        let a0 = now_ms();
        let (status, error, check, outputs) =
            attempt(state, job, backend, device.clone(), timeout_ms, k).await;
        let ms = now_ms() - a0;
        attempts.push(AttemptDto {
            backend: backend.name(),
            status,
            ms,
            error: error.clone(),
        });
        last = (backend, status, error.unwrap_or_default(), check, outputs);
        if status == "ok" {
            succeeded_at = Some((a0 - t0, ms));
            break;
        }
    }
    let end = now_ms() - t0;
    let (backend, status, error, check, outputs) = last;
    // Latency of the successful attempt (what the model costs on that backend); the whole span otherwise.
    let (run_start, latency) = succeeded_at.unwrap_or((start, end - start));
    Outcome {
        dto: ModelRunDto {
            id: job.id.clone(),
            model: job.name.clone(),
            status,
            backend: backend.name(),
            planned_backend: job.chain[0].name(),
            fell_back: status == "ok" && backend != job.chain[0],
            attempts,
            start_ms: run_start,
            end_ms: end,
            latency_ms: latency,
            throughput: if status == "ok" && latency > 0.0 {
                f64::from(job.batch) / (latency / 1e3)
            } else {
                0.0
            },
            batch_size: job.batch,
            runs_on: job.runs_on,
            error: (status != "ok").then_some(error),
            check,
            predicted_latency_ms: job.predicted_ms,
        },
        outputs,
    }
}

type AttemptResult = (&'static str, Option<String>, Option<CheckDto>, JsValue);

/// The timeout and rejection outcomes every attempt shares; `Ok` carries what the work resolved to.
fn settled(
    outcome: Option<Result<JsValue, JsValue>>,
    timeout_ms: f64,
    note: &str,
) -> Result<JsValue, AttemptResult> {
    match outcome {
        None => Err((
            "timeout",
            Some(format!("no result within {timeout_ms} ms{note}")),
            None,
            JsValue::UNDEFINED,
        )),
        Some(Err(e)) => {
            let f = failure(&e);
            Err((
                "error",
                Some(format!("{}: {}", f.name, f.message)),
                None,
                JsValue::UNDEFINED,
            ))
        }
        Some(Ok(v)) => Ok(v),
    }
}

/// A built-in workload's output against its CPU reference.
fn builtin_checked(got: &[f32], reference: &[f32]) -> AttemptResult {
    let err = workload::max_relative_error(got, reference);
    let check = CheckDto {
        max_relative_error: if err.is_finite() { err } else { f64::MAX },
        tolerance: TOLERANCE,
        output_length: got.len(),
    };
    let v: JsValue = Float32Array::from(got).into();
    if err <= TOLERANCE {
        ("ok", None, Some(check), v)
    } else {
        (
            "invalid-output",
            Some(format!(
                "the output differs from the CPU reference by {err:.3e} (relative), over the tolerance {TOLERANCE:e}"
            )),
            Some(check),
            v,
        )
    }
}

async fn attempt(
    state: &Rc<RefCell<State>>,
    job: &Job,
    backend: Backend,
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
    attempt_no: usize,
) -> AttemptResult {
    if let Some(slot) = &job.worker {
        return worker_attempt(job, slot, backend, timeout_ms, attempt_no).await;
    }
    match &job.exec {
        JobExec::Builtin {
            workload,
            weights,
            reference,
            chain,
            chain_error,
            nn,
        } => {
            let work: js_sys::Promise = match backend {
                Backend::WebGpu => match (chain.clone(), device) {
                    (Some(c), Some(g)) => wasm_bindgen_futures::future_to_promise(async move {
                        c.run(&g)
                            .await
                            .map(|v| Float32Array::from(v.as_slice()).into())
                            .map_err(|e| JsValue::from(js_sys::Error::new(&e)))
                    }),
                    _ => {
                        let why = chain_error
                            .clone()
                            .unwrap_or_else(|| "the WebGPU device is unavailable".to_string());
                        return (
                            "error",
                            Some(format!("WebGPU: {why}")),
                            None,
                            JsValue::UNDEFINED,
                        );
                    }
                },
                Backend::Wasm => {
                    // Synchronous on this thread: it cannot be interrupted, and awaiting anything here
                    // would add the other models' turns to its measured time.
                    let out = workload::run_cpu(workload, &workload.input(), weights);
                    return builtin_checked(&out, reference);
                }
                Backend::WebNn(kind) => match nn.iter().find(|(k, _)| *k == kind) {
                    Some((_, Ok(g))) => {
                        let g = g.clone();
                        let ms = timeout_ms.clamp(1.0, f64::from(u32::MAX)) as u32;
                        wasm_bindgen_futures::future_to_promise(async move {
                            g.run(ms)
                                .await
                                .map(|v| Float32Array::from(v.as_slice()).into())
                                .map_err(|e| JsValue::from(js_sys::Error::new(&e)))
                        })
                    }
                    Some((_, Err(why))) => {
                        return (
                            "error",
                            Some(format!("WebNN: {why}")),
                            None,
                            JsValue::UNDEFINED,
                        )
                    }
                    None => {
                        return (
                            "error",
                            Some(format!("no WebNN {} graph was built", kind.name())),
                            None,
                            JsValue::UNDEFINED,
                        )
                    }
                },
            };
            match settled(race_timeout(&work, timeout_ms).await, timeout_ms, "") {
                Err(failed) => failed,
                Ok(v) => {
                    let got = v
                        .dyn_ref::<Float32Array>()
                        .map(Float32Array::to_vec)
                        .unwrap_or_default();
                    builtin_checked(&got, reference)
                }
            }
        }
        JobExec::User(f) => {
            let inputs = Object::new();
            let controller = Reflect::get(&js_sys::global(), &"AbortController".into())
                .ok()
                .and_then(|c| c.dyn_into::<Function>().ok())
                .and_then(|c| Reflect::construct(&c, &Array::new()).ok());
            let tensors = Object::new();
            {
                let s = state.borrow();
                for t in &job.tensors {
                    if let Ok(v) = tensor_js(&s.tensors, t) {
                        let _ = Reflect::set(&tensors, &JsValue::from_str(t), &v);
                    }
                }
            }
            let _ = Reflect::set(&inputs, &"id".into(), &JsValue::from_str(&job.id));
            let _ = Reflect::set(&inputs, &"model".into(), &job.entry);
            let _ = Reflect::set(&inputs, &"tensors".into(), &tensors);
            let _ = Reflect::set(
                &inputs,
                &"attempt".into(),
                &JsValue::from_f64(attempt_no as f64),
            );
            if let Some(c) = &controller {
                let _ = Reflect::set(&inputs, &"signal".into(), &get(c, "signal"));
            }
            if backend == Backend::WebGpu {
                if let Some(g) = &device {
                    let _ = Reflect::set(&inputs, &"device".into(), g.device());
                }
            }
            let called = f.call2(&JsValue::NULL, &JsValue::from_str(backend.name()), &inputs);
            let outcome = match called {
                Err(e) => Some(Err(e)),
                Ok(v) => race_timeout(&v, timeout_ms).await,
            };
            if outcome.is_none() {
                if let Some(c) = &controller {
                    let _ = call(c, "abort", &Array::new());
                }
            }
            match settled(outcome, timeout_ms, " (its AbortSignal was aborted)") {
                Err(failed) => failed,
                Ok(v) => user_checked(job, v),
            }
        }
        JobExec::UserWorker => (
            "error",
            Some("this model's worker is missing".to_string()),
            None,
            JsValue::UNDEFINED,
        ),
    }
}

/// A user executor's (or user worker's) outputs through the garbage check and the model's `validate`.
fn user_checked(job: &Job, v: JsValue) -> AttemptResult {
    if let Some(p) = output_problem(&v, 0) {
        return ("invalid-output", Some(p), None, v);
    }
    if let Some(check) = &job.validate {
        match check.call1(&JsValue::NULL, &v) {
            Ok(r) if r.as_bool() == Some(true) => {}
            Ok(r) => {
                let why = r
                    .as_string()
                    .unwrap_or_else(|| "validate() returned false".to_string());
                return ("invalid-output", Some(why), None, v);
            }
            Err(e) => {
                let f = failure(&e);
                return (
                    "invalid-output",
                    Some(format!("validate() threw {}: {}", f.name, f.message)),
                    None,
                    v,
                );
            }
        }
    }
    ("ok", None, None, v)
}

/// One run in the model's worker: posted, raced against the timeout (the worker is terminated when it
/// loses), and checked (built-in: the checksum against the reference's; user: as a user executor's outputs).
async fn worker_attempt(
    job: &Job,
    slot: &WorkerSlot,
    backend: Backend,
    timeout_ms: f64,
    attempt_no: usize,
) -> AttemptResult {
    let w = match slot.ensure().await {
        Ok(w) => w,
        Err(e) => {
            return (
                "error",
                Some(format!("the worker did not start: {e}")),
                None,
                JsValue::UNDEFINED,
            )
        }
    };
    let msg = Object::new();
    let put = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&msg, &JsValue::from_str(k), v);
    };
    match &slot.kind {
        WorkerKind::Builtin { .. } => {
            put("type", &"run".into());
            put("handle", &JsValue::from_f64(f64::from(slot.prepared.get())));
        }
        WorkerKind::Module { .. } => {
            put("type", &"mmperf-run".into());
            put("id", &JsValue::from_str(&job.id));
            put("backend", &JsValue::from_str(backend.name()));
            put("model", &job.entry);
            put("threads", &JsValue::from_f64(f64::from(slot.threads)));
            put("attempt", &JsValue::from_f64(attempt_no as f64));
        }
    }
    let outcome = race_timeout(&worker::call(&w, &msg.into()), timeout_ms).await;
    if outcome.is_none() {
        slot.terminate();
    }
    let v = match settled(outcome, timeout_ms, " (the worker was terminated)") {
        Err(failed) => return failed,
        Ok(v) => v,
    };
    match (&slot.kind, &job.exec) {
        (WorkerKind::Builtin { .. }, JobExec::Builtin { reference, .. }) => {
            let got = get(&v, "checksum").as_f64().unwrap_or(f64::NAN);
            let want = worker::checksum(reference);
            let scale: f64 = reference
                .iter()
                .map(|x| f64::from(x.abs()))
                .sum::<f64>()
                .max(f64::MIN_POSITIVE);
            let err = (got - want).abs() / scale;
            let check = CheckDto {
                max_relative_error: if err.is_finite() { err } else { f64::MAX },
                tolerance: WORKER_TOLERANCE,
                output_length: reference.len(),
            };
            let out = Object::new();
            let _ = Reflect::set(&out, &"checksum".into(), &JsValue::from_f64(got));
            let _ = Reflect::set(&out, &"workerMs".into(), &get(&v, "ms"));
            if err <= WORKER_TOLERANCE {
                ("ok", None, Some(check), out.into())
            } else {
                (
                    "invalid-output",
                    Some(format!(
                        "the worker's output sum {got} differs from the reference's {want}"
                    )),
                    Some(check),
                    out.into(),
                )
            }
        }
        _ => user_checked(job, get(&v, "outputs")),
    }
}
