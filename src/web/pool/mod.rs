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
mod register;
mod run;
mod tensors;
mod types;

use std::cell::RefCell;

use crate::flatmap::FlatMap;
use std::rc::Rc;

use futures_util::future::join_all;
use js_sys::{Array, Float32Array, Float64Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{call, failure, get, now_ms, race_timeout};
use super::webgpu::{Gpu, GpuChain};
use super::webnn::NnChain;
use super::worker;
use super::{from_js, is_absent, js_error, to_js, CapabilitiesDto};
use crate::catalog::detected::Capabilities;
use crate::catalog::detected::WebNnKind;
use crate::catalog::hardware::{Concurrency, DeviceProfile};
use crate::error::Error;
use crate::plan::route::{self, Backend, RouteDecision};
use crate::predict::multi::{Strategy, Target, Workload as PredictWorkload};
use crate::predict::spec::ModelSpec;
use crate::wire::pool::*;
use crate::wire::route::RouteDecisionDto;
use crate::workload::{self, Workload, WorkloadOptions};
use crate::{Goal, MultiModelPredictor};
use register::register;
use run::{execute, run_js, run_plan};
use tensors::{Registry, Tensor};

/// Default per-model timeout, ms: longer than a first WebGPU run with pipeline compilation on a software
/// adapter (the slowest runs seen here took about 0.5 s), short enough that a hung executor does not hold a page.
const RUN_TIMEOUT_MS: f64 = 30_000.0;
/// Largest relative difference a WebGPU or WebNN result may show against the CPU reference: fp32 sums of up
/// to a few thousand terms in another order (16-wide tiles) differ by about k·2⁻²⁴ ≈ 1e-4 relative; 1e-3
/// leaves a margin and still catches a wrong element.
pub const TOLERANCE: f64 = 1e-3;
/// Built-in workers run the same code on the same data as the reference: their output sums agree to
/// rounding of the f64 sum.
pub const WORKER_TOLERANCE: f64 = 1e-9;

#[wasm_bindgen]
extern "C" {
    /// A JS value of the TypeScript type `PoolOptions`.
    #[wasm_bindgen(typescript_type = "PoolOptions")]
    pub type PoolOptionsArg;
    /// A JS value of the TypeScript type `RegisterOptions`.
    #[wasm_bindgen(typescript_type = "RegisterOptions")]
    pub type RegisterOptionsArg;
    /// A JS value of the TypeScript type `ExecuteOptions`.
    #[wasm_bindgen(typescript_type = "ExecuteOptions")]
    pub type ExecuteOptionsArg;
    /// A JS value of the TypeScript type `string[]`.
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type ModelIdsArg;
    /// A JS value of the TypeScript type `ShareTensorOptions`.
    #[wasm_bindgen(typescript_type = "ShareTensorOptions")]
    pub type ShareTensorOptionsArg;
    /// A JS value of the TypeScript type `RegisteredModel[]`.
    #[wasm_bindgen(typescript_type = "RegisteredModel[]")]
    pub type RegisteredModelsJs;
    /// A JS value of the TypeScript type `SharedTensor`.
    #[wasm_bindgen(typescript_type = "SharedTensor")]
    pub type SharedTensorJs;
    /// A JS value of the TypeScript type `PoolMemory`.
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

#[derive(Clone)]
enum Exec {
    User(Function),
    /// The user's executor lives in their module worker.
    UserWorker,
    Builtin(Rc<Builtin>),
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
    /// Threads the worker may use (its share of the cores; with `per_run`, the most a run may give it).
    threads: u32,
    /// The plan decides each run's threads (1..=`threads`), passed in `mmperf-run`; the worker is not held to
    /// a fixed share of the cores.
    per_run: bool,
    /// The running worker; `None` after a timeout terminated it.
    handle: RefCell<Option<web_sys::Worker>>,
    /// Built-in workers: the prepared workload's handle in the worker's instance.
    prepared: std::cell::Cell<i32>,
}

enum WorkerKind {
    /// The built-in workload in this module, instantiated in the worker.
    Builtin { module: JsValue, args: Array },
    /// The user's module worker script.
    Module {
        /// Script URL.
        url: String,
        /// Wait for its `{ type: "mmperf-ready" }` (slow set-up: a runtime session) before it is used.
        ready: bool,
    },
}

/// How long a user worker with `ready: true` may take to post `mmperf-ready` (creating a runtime session for
/// a large model takes seconds).
const WORKER_READY_MS: f64 = 120_000.0;

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
            WorkerKind::Module { url, ready } => {
                let w = worker::start_module(url).map_err(message)?;
                if *ready {
                    wasm_bindgen_futures::JsFuture::from(worker::ready(&w, WORKER_READY_MS))
                        .await
                        .map_err(|e| {
                            w.terminate();
                            message(e)
                        })?;
                }
                w
            }
            WorkerKind::Builtin { module, args } => {
                let w = worker::start_builtin(module).await.map_err(message)?;
                let msg = Object::new();
                let _ = Reflect::set(&msg, &"type".into(), &"prepare".into());
                let _ = Reflect::set(&msg, &"args".into(), args);
                let reply = wasm_bindgen_futures::JsFuture::from(worker::call(&w, &msg.into()))
                    .await
                    .map_err(message)?;
                self.prepared.set(get(&reply, "handle").as_f64().unwrap_or(-1.0) as i32);
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
            Exec::Builtin(b) => Some(b.as_ref()),
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
            // A per-run worker's threads are the plan's to choose (at most its `threads`).
            s.threads = if w.per_run { None } else { Some(w.threads) };
        }
        s
    }

    fn runs_on(&self) -> &'static str {
        let place = if self.worker.is_some() { RunsOn::Worker } else { runs_on(self.chain[0]) };
        place.name()
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

fn runs_on(b: Backend) -> RunsOn {
    match b {
        Backend::WebGpu => RunsOn::GpuQueue,
        Backend::Wasm => RunsOn::MainThread,
        Backend::WebNn(_) => RunsOn::WebNnContext,
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
    limits: FlatMap<&'static str, usize>,
    /// This WebAssembly module, for built-in workers (`wasmModule` or the build's own).
    wasm_module: Option<JsValue>,
    /// Measurements, refitted profiles and their storage.
    calibration: calibration::Calibration,
}

impl State {
    fn model(&self, id: &str) -> Result<&Model, JsError> {
        self.models.iter().find(|m| m.id == id).ok_or_else(|| self.unknown(id))
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
            .chain(route::backend_profile(&self.caps, Backend::Wasm).ok().map(|mut p| {
                p.id = WORKERS_PROFILE.to_string();
                p.concurrency = Concurrency::CpuThreads;
                p.name = format!("{} (Web Workers)", p.name);
                p
            }))
            .map(|p| self.calibration.calibrated.get(&p.id).cloned().unwrap_or(p))
            .collect()
    }

    /// Cores the page may use: `hardwareConcurrency`, or 4 where the browser does not say.
    fn cores(&self) -> u32 {
        self.caps.hardware_concurrency.unwrap_or(4).max(1)
    }

    /// Threads already promised to workers with a fixed share (per-run workers get theirs from each plan).
    fn worker_threads(&self) -> u32 {
        self.models
            .iter()
            .filter_map(|m| m.worker.as_ref())
            .filter(|w| !w.per_run)
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
        Some(t) => Err(js_error(Error::invalid(field, t, "a positive number of milliseconds"))),
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
        let mut limits = FlatMap::new();
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
                caps: Capabilities::try_from(caps_dto.clone()).map_err(js_error)?,
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
        let k = s.models.iter().position(|m| m.id == id).ok_or_else(|| s.unknown(id))?;
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
        s.tensors.acquire(name, id).map_err(|e| js_error(Error::invalid("name", name, e)))?;
        tensor_js(&s.tensors, name)
    }

    /// Removes model `id` from the tensor's users; returns how many remain.
    #[wasm_bindgen(js_name = releaseTensor)]
    pub fn release_tensor(&self, name: &str, id: &str) -> Result<usize, JsError> {
        let mut s = self.state.borrow_mut();
        let left =
            s.tensors.release(name, id).map_err(|e| js_error(Error::invalid("name", name, e)))?;
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
            users: t.users.keys().cloned().collect(),
            on_gpu: !t.gpu.is_empty(),
        })
        .collect();
    let shared: f64 = tensors.iter().map(|t| t.bytes).sum();
    let saved: f64 = tensors.iter().map(|t| t.bytes * t.refs.saturating_sub(1) as f64).sum();
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
    let users: Array = t.users.keys().map(|u| JsValue::from_str(u)).collect();
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
            js_error(Error::invalid("options.gpu", "true", format!("WebGPU to be available: {e}")))
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
                users: FlatMap::new(),
                gpu: gpu_buffers,
                data: if is_absent(&data) { JsValue::UNDEFINED } else { data },
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
    let arr = v
        .dyn_ref::<Array>()
        .ok_or_else(|| js_error(Error::invalid(field, format!("{v:?}"), "an array of strings")))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_string().ok_or_else(|| {
                js_error(Error::invalid(format!("{field}[{i}]"), format!("{x:?}"), "a string"))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The registered models `ids` names (all when absent), in that order, each once.
fn select(s: &State, ids: &JsValue) -> Result<Vec<usize>, JsError> {
    Ok(match string_list(ids, "ids")? {
        None => (0..s.models.len()).collect(),
        Some(list) => {
            let mut out = Vec::new();
            for id in &list {
                let k = s.models.iter().position(|m| &m.id == id).ok_or_else(|| s.unknown(id))?;
                if !out.contains(&k) {
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
    let mut counts: FlatMap<String, usize> = FlatMap::new();
    for sp in &specs {
        *counts.entry(sp.device.clone().unwrap_or_default()).or_default() += 1;
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
            .ok_or_else(|| JsError::new("no device profile for the run's models"))?
            .into(),
        runtime: None,
        devices: profiles,
    };
    Ok((PredictWorkload { models: specs, constraints: Default::default() }, target))
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
    let r = MultiModelPredictor::default().recommend(&workload, &target, goal).map_err(js_error)?;
    Ok(r.best().prediction.plan.strategy.name())
}
