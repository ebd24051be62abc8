//! Running registered models: the plan's stages one after another, per-backend lanes inside a stage, each
//! model's backends in turn (fallback), every attempt raced against its timeout and its output checked; the
//! run is recorded as a measurement when every model succeeded.

use super::*;
use crate::predict::multi::MultiPrediction;
use crate::run::{self as protocol, Attempted, Attempts, Executor, Outcome, Status};

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
        return a.iter().find_map(|x| output_problem(&x, depth + 1).filter(|_| !x.is_undefined()));
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

struct Job {
    id: String,
    name: String,
    batch: u32,
    chain: Vec<Backend>,
    exec: Exec,
    entry: JsValue,
    tensors: Vec<String>,
    validate: Option<Function>,
    predicted_ms: f64,
    worker: Option<Rc<WorkerSlot>>,
    /// Threads this run gives the model's worker: the plan's for a per-run worker, else its share.
    threads: u32,
    runs_on: &'static str,
}

/// What an attempt produced: the check of its outputs against the reference (built-in models) and the
/// outputs as the executor returned them.
type Produced = (Option<CheckDto>, JsValue);
type AttemptResult = Attempted<Produced>;

/// A run as JS: the result, with each model's outputs (as its executor returned them) attached.
pub(super) async fn execute(
    state: &Rc<RefCell<State>>,
    ids: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsError> {
    let (run, outputs) = run_plan(state, ids, options).await?;
    run_js(&run, &outputs)
}

/// The result object of a run, with the outputs attached to their models.
pub(super) fn run_js(run: &PoolRunDto, outputs: &[JsValue]) -> Result<JsValue, JsError> {
    let value = to_js(run)?;
    let list = get(&value, "models");
    for (k, o) in outputs.iter().enumerate() {
        if !o.is_undefined() {
            let _ = Reflect::set(
                &list.dyn_ref::<Array>().map(|a| a.get(k as u32)).unwrap_or_default(),
                &"outputs".into(),
                o,
            );
        }
    }
    Ok(value)
}

/// A run's options, read and checked: the strategy (`None`: auto), goal, timeout, fallback.
struct RunOptions {
    strategy: Option<Strategy>,
    goal: Goal,
    timeout_ms: f64,
    fallback: bool,
}

fn run_options(state: &State, options: &JsValue) -> Result<RunOptions, JsError> {
    let opts: ExecuteOptionsDto = if is_absent(options) {
        ExecuteOptionsDto::default()
    } else {
        from_js(options, "options")?
    };
    let name = opts.strategy.as_deref().unwrap_or("parallel");
    let strategy = if name.trim().eq_ignore_ascii_case("auto") {
        None
    } else {
        Some(Strategy::parse("options.strategy", name).map_err(|_| {
            js_error(Error::invalid(
                "options.strategy",
                name,
                "parallel, sequential, batched or auto",
            ))
        })?)
    };
    Ok(RunOptions {
        strategy,
        goal: Goal::parse("options.goal", opts.goal.as_deref().unwrap_or("throughput"))
            .map_err(js_error)?,
        timeout_ms: timeout_field(opts.timeout_ms, "options.timeoutMs", state.timeout_ms)?,
        fallback: opts.fallback.unwrap_or(state.fallback),
    })
}

/// What a run is judged against: the prediction made before it, the auto choice, and what it records.
struct Predicted {
    prediction: MultiPrediction,
    auto: Option<AutoDto>,
    basis: protocol::Basis,
}

/// The prediction of the selected models under the options' strategy (or the recommended plan for auto).
fn predicted(state: &State, selected: &[usize], opts: &RunOptions) -> Result<Predicted, JsError> {
    let (workload, target) = run_inputs(state, selected)?;
    let predictor = MultiModelPredictor::default();
    let (prediction, auto) = match opts.strategy {
        Some(st) => (predictor.predict(&workload, &target, st).map_err(js_error)?, None),
        None => {
            let r = predictor.recommend(&workload, &target, opts.goal).map_err(js_error)?;
            let best = r.best();
            let auto = AutoDto {
                goal: opts.goal.name(),
                reason: r.reason.clone(),
                label: best.label.clone(),
            };
            (best.prediction.clone(), Some(auto))
        }
    };
    let basis = protocol::Basis {
        specs: workload.models,
        profiles: target.devices,
        hardware: target.device.id.clone(),
        source: "pool".to_string(),
        timestamp_ms: js_sys::Date::now(),
    };
    Ok(Predicted { prediction, auto, basis })
}

/// One job per selected model, with the plan's threads and the predicted latency.
fn jobs(state: &State, selected: &[usize], prediction: &MultiPrediction) -> Vec<Job> {
    let plan = &prediction.plan;
    selected
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let m = &state.models[k];
            Job {
                id: m.id.clone(),
                name: m.spec.name.clone(),
                batch: m.spec.batch_size,
                chain: m.chain.clone(),
                worker: m.worker.clone(),
                threads: m.worker.as_ref().map_or(1, |w| {
                    if w.per_run {
                        plan.threads
                            .get(i)
                            .copied()
                            .flatten()
                            .unwrap_or(w.threads)
                            .clamp(1, w.threads)
                    } else {
                        w.threads
                    }
                }),
                runs_on: m.runs_on(),
                exec: m.exec.clone(),
                entry: m.entry.clone(),
                tensors: m.tensors.clone(),
                validate: m.validate.clone(),
                predicted_ms: prediction.models[i].latency_ms,
            }
        })
        .collect()
}

/// The pool's executor for one run: the jobs, the GPU device, the timeout and fallback.
struct PageRun<'a> {
    state: &'a Rc<RefCell<State>>,
    jobs: &'a [Job],
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
    fallback: bool,
}

impl Attempts for PageRun<'_> {
    type Output = Produced;

    fn now_ms(&self) -> f64 {
        now_ms()
    }

    fn tries(&self, model: usize) -> usize {
        if self.fallback {
            self.jobs[model].chain.len()
        } else {
            1
        }
    }

    async fn attempt(&self, model: usize, backend: usize) -> AttemptResult {
        let job = &self.jobs[model];
        let device = self.device.clone();
        attempt(self.state, job, job.chain[backend], device, self.timeout_ms, backend).await
    }
}

impl Executor for PageRun<'_> {
    async fn run_stage(&self, lanes: &[Vec<usize>], t0: f64) -> Vec<(usize, Outcome<Produced>)> {
        join_all(lanes.iter().map(|lane| protocol::run_lane(self, lane, t0)))
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// What the page tells about stages whose models share a backend that runs one model at a time.
fn shared_warnings(stages: &[protocol::Stage]) -> Vec<String> {
    let mut out = Vec::new();
    for (key, n) in stages.iter().flat_map(|s| &s.shared) {
        match key.as_str() {
            "webgpu" => out.push(format!(
                "{n} models on WebGPU share the pool's one device queue: their GPU work runs one after another"
            )),
            "wasm" => out.push(format!(
                "{n} WASM models on this thread: each run blocks the thread, so they run one after another"
            )),
            _ => {}
        }
    }
    out
}

/// Runs the selected models with the options' strategy: the result and each model's outputs.
pub(super) async fn run_plan(
    state: &Rc<RefCell<State>>,
    ids: &JsValue,
    options: &JsValue,
) -> Result<(PoolRunDto, Vec<JsValue>), JsError> {
    let (opts, limits) = {
        let s = state.borrow();
        (run_options(&s, options)?, s.limits.clone())
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
    let (predicted, jobs) = {
        let s = state.borrow();
        let p = predicted(&s, &selected, &opts)?;
        let jobs = jobs(&s, &selected, &p.prediction);
        (p, jobs)
    };
    let plan = predicted.prediction.plan.clone();
    let keys: Vec<&str> = jobs.iter().map(|j| j.chain[0].name()).collect();
    let stages = protocol::stages(&plan.groups, &keys, &limits);
    let mut warnings = predicted.prediction.warnings.clone();
    warnings.extend(shared_warnings(&stages));

    let needs_gpu = jobs.iter().any(|j| j.chain.contains(&Backend::WebGpu));
    let device = if needs_gpu { gpu(state).await.ok() } else { None };
    // Workers a timeout terminated start again before the clock starts.
    for job in &jobs {
        if let Some(w) = &job.worker {
            let _ = w.ensure().await;
        }
    }
    let exec = PageRun {
        state,
        jobs: &jobs,
        device,
        timeout_ms: opts.timeout_ms,
        fallback: opts.fallback,
    };
    let ran = protocol::run(&exec, &stages, jobs.len(), || (None, JsValue::UNDEFINED)).await;
    let summary = protocol::summarise(&ran, &plan, &predicted.prediction, predicted.basis);
    // Every fully successful run becomes a measurement (kept in memory and in IndexedDB).
    let recorded = match summary.measurement {
        Ok(m) => match calibration::record(state, m).await {
            Ok(_) => true,
            Err(e) => {
                warnings.push(format!("the run was not recorded: {e}"));
                false
            }
        },
        Err(why) => {
            warnings.push(why);
            false
        }
    };
    let storage_warning = state.borrow().calibration.warning_text();
    warnings.extend(storage_warning);
    let run = PoolRunDto {
        strategy: plan.strategy.name(),
        auto: predicted.auto,
        stages: plan
            .groups
            .iter()
            .map(|g| g.iter().map(|&i| jobs[i].id.clone()).collect())
            .collect(),
        makespan_ms: ran.makespan_ms,
        throughput: summary.throughput,
        succeeded: summary.succeeded,
        failed: summary.failed,
        models: jobs.iter().zip(&ran.outcomes).map(|(j, o)| model_run_dto(j, o)).collect(),
        prediction: crate::wire::PredictionDto::from(&predicted.prediction),
        recorded,
        warnings,
    };
    Ok((run, ran.outcomes.into_iter().map(|o| o.output.1).collect()))
}

/// A model's outcome as the run result reports it.
fn model_run_dto(job: &Job, o: &Outcome<Produced>) -> ModelRunDto {
    ModelRunDto {
        id: job.id.clone(),
        model: job.name.clone(),
        status: o.status.name(),
        backend: job.chain[o.backend].name(),
        planned_backend: job.chain[0].name(),
        fell_back: o.fell_back(),
        attempts: o
            .attempts
            .iter()
            .map(|a| AttemptDto {
                backend: job.chain[a.backend].name(),
                status: a.status.name(),
                ms: a.ms,
                error: a.error.clone(),
            })
            .collect(),
        start_ms: o.start_ms,
        end_ms: o.end_ms,
        latency_ms: o.latency_ms,
        throughput: if o.ok() && o.latency_ms > 0.0 {
            f64::from(job.batch) / (o.latency_ms / 1e3)
        } else {
            0.0
        },
        batch_size: job.batch,
        runs_on: job.runs_on,
        error: o.error.clone(),
        check: o.output.0.clone(),
        predicted_latency_ms: job.predicted_ms,
    }
}

/// An attempt that failed before producing anything.
fn fail(status: Status, why: impl Into<String>) -> AttemptResult {
    Attempted::failed(status, why, (None, JsValue::UNDEFINED))
}

/// The timeout and rejection outcomes every attempt shares; `Ok` carries what the work resolved to.
fn settled(
    outcome: Option<Result<JsValue, JsValue>>,
    timeout_ms: f64,
    note: &str,
) -> Result<JsValue, AttemptResult> {
    match outcome {
        None => Err(fail(Status::Timeout, format!("no result within {timeout_ms} ms{note}"))),
        Some(Err(e)) => {
            let f = failure(&e);
            Err(fail(Status::Error, format!("{}: {}", f.name, f.message)))
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
        Attempted::ok((Some(check), v))
    } else {
        Attempted::failed(
            Status::InvalidOutput,
            format!(
                "the output differs from the CPU reference by {err:.3e} (relative), over the tolerance {TOLERANCE:e}"
            ),
            (Some(check), v),
        )
    }
}

/// One attempt of `job` on `backend`: in its worker, with its built-in workload, or with the user's executor.
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
        Exec::Builtin(b) => builtin_attempt(b, backend, device, timeout_ms).await,
        Exec::User(f) => user_attempt(state, job, f, backend, device, timeout_ms, attempt_no).await,
        Exec::UserWorker => fail(Status::Error, "this model's worker is missing"),
    }
}

/// A built-in workload on `backend`, checked against its CPU reference.
async fn builtin_attempt(
    b: &Builtin,
    backend: Backend,
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
) -> AttemptResult {
    if backend == Backend::Wasm {
        // Synchronous on this thread: it cannot be interrupted, and awaiting anything here would add the
        // other models' turns to its measured time.
        let out = workload::run_cpu(&b.workload, &b.workload.input(), &b.cpu_weights);
        return builtin_checked(&out, &b.reference);
    }
    let work = match builtin_work(b, backend, device, timeout_ms) {
        Ok(p) => p,
        Err(failed) => return failed,
    };
    match settled(race_timeout(&work, timeout_ms).await, timeout_ms, "") {
        Err(failed) => failed,
        Ok(v) => {
            let got = v.dyn_ref::<Float32Array>().map(Float32Array::to_vec).unwrap_or_default();
            builtin_checked(&got, &b.reference)
        }
    }
}

/// The promise of a built-in workload's run on WebGPU (the pool's device) or WebNN (the model's graph for
/// that context), or why it cannot run there.
fn builtin_work(
    b: &Builtin,
    backend: Backend,
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
) -> Result<js_sys::Promise, AttemptResult> {
    let outputs = |r: Result<Vec<f32>, String>| {
        r.map(|v| Float32Array::from(v.as_slice()).into())
            .map_err(|e| JsValue::from(js_sys::Error::new(&e)))
    };
    match backend {
        Backend::WebGpu => match (b.chain.clone(), device) {
            (Some(c), Some(g)) => {
                Ok(wasm_bindgen_futures::future_to_promise(async move { outputs(c.run(&g).await) }))
            }
            _ => {
                let why = b
                    .chain_error
                    .clone()
                    .unwrap_or_else(|| "the WebGPU device is unavailable".to_string());
                Err(fail(Status::Error, format!("WebGPU: {why}")))
            }
        },
        Backend::WebNn(kind) => match b.nn.iter().find(|(k, _)| *k == kind) {
            Some((_, Ok(g))) => {
                let g = g.clone();
                let ms = timeout_ms.clamp(1.0, f64::from(u32::MAX)) as u32;
                Ok(wasm_bindgen_futures::future_to_promise(async move { outputs(g.run(ms).await) }))
            }
            Some((_, Err(why))) => Err(fail(Status::Error, format!("WebNN: {why}"))),
            None => Err(fail(Status::Error, format!("no WebNN {} graph was built", kind.name()))),
        },
        Backend::Wasm => Err(fail(Status::Error, "the WASM backend runs synchronously")),
    }
}

/// The user's executor called with `backend` and the model's inputs, raced against the timeout (its
/// AbortSignal aborted when it loses) and its outputs checked.
async fn user_attempt(
    state: &Rc<RefCell<State>>,
    job: &Job,
    f: &Function,
    backend: Backend,
    device: Option<Rc<Gpu>>,
    timeout_ms: f64,
    attempt_no: usize,
) -> AttemptResult {
    let controller = Reflect::get(&js_sys::global(), &"AbortController".into())
        .ok()
        .and_then(|c| c.dyn_into::<Function>().ok())
        .and_then(|c| Reflect::construct(&c, &Array::new()).ok());
    let inputs = executor_inputs(state, job, attempt_no, controller.as_ref());
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

/// What a user executor receives: the model's id and entry, its shared tensors, the attempt number and the
/// abort signal.
fn executor_inputs(
    state: &Rc<RefCell<State>>,
    job: &Job,
    attempt_no: usize,
    controller: Option<&JsValue>,
) -> Object {
    let inputs = Object::new();
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
    let _ = Reflect::set(&inputs, &"attempt".into(), &JsValue::from_f64(attempt_no as f64));
    if let Some(c) = controller {
        let _ = Reflect::set(&inputs, &"signal".into(), &get(c, "signal"));
    }
    inputs
}

/// A user executor's (or user worker's) outputs through the garbage check and the model's `validate`.
fn user_checked(job: &Job, v: JsValue) -> AttemptResult {
    if let Some(p) = output_problem(&v, 0) {
        return Attempted::failed(Status::InvalidOutput, p, (None, v));
    }
    if let Some(check) = &job.validate {
        match check.call1(&JsValue::NULL, &v) {
            Ok(r) if r.as_bool() == Some(true) => {}
            Ok(r) => {
                let why = r.as_string().unwrap_or_else(|| "validate() returned false".to_string());
                return Attempted::failed(Status::InvalidOutput, why, (None, v));
            }
            Err(e) => {
                let f = failure(&e);
                return Attempted::failed(
                    Status::InvalidOutput,
                    format!("validate() threw {}: {}", f.name, f.message),
                    (None, v),
                );
            }
        }
    }
    Attempted::ok((None, v))
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
        Err(e) => return fail(Status::Error, format!("the worker did not start: {e}")),
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
            put("threads", &JsValue::from_f64(f64::from(job.threads)));
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
        (WorkerKind::Builtin { .. }, Exec::Builtin(b)) => {
            let reference = &b.reference;
            let got = get(&v, "checksum").as_f64().unwrap_or(f64::NAN);
            let want = worker::checksum(reference);
            let scale: f64 =
                reference.iter().map(|x| f64::from(x.abs())).sum::<f64>().max(f64::MIN_POSITIVE);
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
                Attempted::ok((Some(check), out.into()))
            } else {
                Attempted::failed(
                    Status::InvalidOutput,
                    format!("the worker's output sum {got} differs from the reference's {want}"),
                    (Some(check), out.into()),
                )
            }
        }
        _ => user_checked(job, get(&v, "outputs")),
    }
}
