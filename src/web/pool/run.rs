//! Running registered models: the plan's stages one after another, per-backend lanes inside a stage, each
//! model's backends in turn (fallback), every attempt raced against its timeout and its output checked; the
//! run is recorded as a measurement when every model succeeded.

use super::*;

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
                &list
                    .dyn_ref::<Array>()
                    .map(|a| a.get(k as u32))
                    .unwrap_or_default(),
                &"outputs".into(),
                o,
            );
        }
    }
    Ok(value)
}

/// Runs the selected models with the options' strategy: the result and each model's outputs.
pub(super) async fn run_plan(
    state: &Rc<RefCell<State>>,
    ids: &JsValue,
    options: &JsValue,
) -> Result<(PoolRunDto, Vec<JsValue>), JsError> {
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
    Ok((run, outcomes.into_iter().map(|o| o.outputs).collect()))
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
        Exec::Builtin(b) => {
            let Builtin {
                workload,
                cpu_weights: weights,
                reference,
                chain,
                chain_error,
                nn,
                ..
            } = b.as_ref();
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
        Exec::User(f) => {
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
        Exec::UserWorker => (
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
