//! Registering a model in the pool: validating the options, routing it (built-in workloads are routed as
//! the chain that really runs), building a built-in workload's data, CPU reference, WebGPU chain and WebNN
//! graphs, and starting its worker, so that runs measure steady-state work.

use super::*;

pub(super) async fn register(
    state: &Rc<RefCell<State>>,
    options: &JsValue,
) -> Result<JsValue, JsError> {
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
    let executor =
        optional_function(options, "executor", "a function (backend, inputs) => Promise<outputs>")?;
    let validate =
        optional_function(options, "validate", "a function (outputs) => boolean | string")?;
    let allowed = allowed_backends(options)?;
    let tensor_names =
        string_list(&get(options, "tensors"), "options.tensors")?.unwrap_or_default();
    let worker_opt = worker_option(&get(options, "worker"))?;
    let wants_worker = worker_opt.2;
    if wants_worker && executor.is_some() {
        return Err(js_error(Error::invalid(
            "options.worker",
            "with an executor",
            "no executor: a function cannot move to a worker; give worker.url (a module worker script that answers mmperf-run messages) instead",
        )));
    }
    let id = model_id(&state.borrow(), options, &spec.name)?;
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
    let built = if executor.is_none() && worker_opt.0.is_none() {
        Some(builtin_workload(options, &spec)?)
    } else {
        None
    };
    let route_spec = built.as_ref().map_or_else(|| spec.clone(), Workload::spec);
    let caps = state.borrow().caps.clone();
    let decision =
        route::route(std::slice::from_ref(&route_spec), &caps).map_err(js_error)?.remove(0);
    let mut chain = backend_chain(&decision, allowed.as_deref())?;
    let worker = if wants_worker {
        model_worker(state, &spec, built.as_ref(), &mut chain, worker_opt).await?
    } else {
        None
    };

    let exec = match (executor, built) {
        (Some(f), _) => Exec::User(f),
        (None, None) if worker.is_some() => Exec::UserWorker,
        (None, Some(w)) => Exec::Builtin(Rc::new(builtin(state, w, &chain, &id).await)),
        (None, None) => unreachable_exec()?,
    };
    let mut s = state.borrow_mut();
    for t in &tensor_names {
        s.tensors.acquire(t, &id).map_err(|e| js_error(Error::invalid("options.tensors", t, e)))?;
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

/// The worker a model asked for (`options.worker`), started: its script (`url`) or, for a built-in model,
/// this build's module running the WASM path (the chain becomes WASM only). Its threads must fit the page.
async fn model_worker(
    state: &Rc<RefCell<State>>,
    spec: &ModelSpec,
    built: Option<&Workload>,
    chain: &mut Vec<Backend>,
    (url, threads, _, ready, per_run): WorkerOption,
) -> Result<Option<Rc<WorkerSlot>>, JsError> {
    let threads = threads.unwrap_or(1);
    check_worker_threads(&state.borrow(), threads, per_run)?;
    if built.is_some() {
        if !chain.contains(&Backend::Wasm) {
            return Err(js_error(Error::invalid(
                "options.worker",
                "true",
                "a model that may run on WASM (built-in workers run the WASM path)",
            )));
        }
        *chain = vec![Backend::Wasm];
    }
    let kind = match (url, built) {
        (Some(url), _) => WorkerKind::Module { url, ready },
        (None, Some(w)) => builtin_worker(&state.borrow(), spec, w)?,
        (None, None) => return Ok(None),
    };
    Ok(Some(start_worker(kind, threads, per_run).await?))
}

/// `options[key]` as a function, absent as `None`; anything else is an error saying what is `expected`.
fn optional_function(
    options: &JsValue,
    key: &str,
    expected: &str,
) -> Result<Option<Function>, JsError> {
    let v = get(options, key);
    if is_absent(&v) {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|v| js_error(Error::invalid(format!("options.{key}"), format!("{v:?}"), expected)))
}

/// `options.backends`: the backends the caller allows, in their order (absent: any).
fn allowed_backends(options: &JsValue) -> Result<Option<Vec<Backend>>, JsError> {
    string_list(&get(options, "backends"), "options.backends")?
        .map(|names| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| Backend::parse(&format!("options.backends[{i}]"), n))
                .collect::<crate::Result<Vec<_>>>()
        })
        .transpose()
        .map_err(js_error)
}

/// `options.id` when given (non-empty, not registered yet), else the model's name, numbered `name#2`, ...
/// when the name is taken.
fn model_id(s: &State, options: &JsValue, name: &str) -> Result<String, JsError> {
    let given = get(options, "id");
    if is_absent(&given) {
        let mut k = 1;
        let mut id = name.to_string();
        while s.models.iter().any(|m| m.id == id) {
            k += 1;
            id = format!("{name}#{k}");
        }
        return Ok(id);
    }
    let id = given.as_string().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        js_error(Error::invalid("options.id", format!("{given:?}"), "a non-empty string"))
    })?;
    if s.models.iter().any(|m| m.id == id) {
        return Err(js_error(Error::invalid("options.id", &id, "an id not already registered")));
    }
    Ok(id)
}

/// A catalog model's built-in workload, sized by `options.workload`.
fn builtin_workload(options: &JsValue, spec: &ModelSpec) -> Result<Workload, JsError> {
    let o = get(options, "workload");
    let wo: WorkloadOptionsDto = if is_absent(&o) {
        WorkloadOptionsDto::default()
    } else {
        from_js(&o, "options.workload")?
    };
    workload::build(
        spec,
        "options.workload",
        WorkloadOptions {
            scale: wo.scale,
            max_mflop: wo.max_mflop.unwrap_or(workload::DEFAULT_MAX_MFLOP),
        },
    )
    .map_err(js_error)
}

/// The backends a model tries in turn: the routing's pick and its usable alternatives, or the allowed ones
/// in the caller's order that are usable; none usable is an error giving each backend's reason.
fn backend_chain(
    decision: &RouteDecision,
    allowed: Option<&[Backend]>,
) -> Result<Vec<Backend>, JsError> {
    let mut ranked: Vec<(Backend, bool, &str)> =
        vec![(decision.backend, true, decision.reason.as_str())];
    ranked.extend(decision.alternatives.iter().map(|a| (a.backend, a.usable, a.reason.as_str())));
    let chain: Vec<Backend> = match allowed {
        Some(list) => list
            .iter()
            .copied()
            .filter(|b| ranked.iter().any(|(x, usable, _)| x == b && *usable))
            .collect(),
        None => ranked.iter().filter(|(_, usable, _)| *usable).map(|(b, _, _)| *b).collect(),
    };
    if !chain.is_empty() {
        return Ok(chain);
    }
    let why: Vec<String> = ranked
        .iter()
        .filter(|(b, _, _)| allowed.is_none_or(|l| l.contains(b)))
        .map(|(b, _, reason)| format!("{}: {reason}", b.name()))
        .collect();
    Err(js_error(Error::invalid(
        "options.backends",
        allowed.map_or("(any)".to_string(), |l| {
            l.iter().map(|b| b.name()).collect::<Vec<_>>().join(", ")
        }),
        format!("at least one usable backend here; {}", why.join("; ")),
    )))
}

/// A worker's threads fit the page: a per-run worker may use up to every core in a run; a fixed one holds
/// its share beside the other workers'.
fn check_worker_threads(s: &State, threads: u32, per_run: bool) -> Result<(), JsError> {
    let free = if per_run { s.cores() } else { s.cores().saturating_sub(s.worker_threads()) };
    if threads <= free {
        return Ok(());
    }
    Err(js_error(Error::invalid(
        "options.worker.threads",
        threads,
        format!(
            "at most {free}: this page has {} cores and other workers hold {} threads",
            s.cores(),
            s.worker_threads()
        ),
    )))
}

/// A built-in worker: this build's WebAssembly module and the arguments that rebuild the workload there.
fn builtin_worker(s: &State, spec: &ModelSpec, w: &Workload) -> Result<WorkerKind, JsError> {
    let module = s
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
    let args = worker::prepare_args(spec, w).ok_or_else(|| {
        js_error(Error::invalid(
            "options.worker",
            &spec.name,
            "a catalog model as the catalog has it, without `head` (built-in workers rebuild the workload from the catalog)",
        ))
    })?;
    Ok(WorkerKind::Builtin { module, args })
}

/// Starts a model's worker (registration waits until it runs, so runs never time its start).
async fn start_worker(
    kind: WorkerKind,
    threads: u32,
    per_run: bool,
) -> Result<Rc<WorkerSlot>, JsError> {
    let slot = Rc::new(WorkerSlot {
        kind,
        threads,
        per_run,
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
    Ok(slot)
}

/// A built-in workload made ready on this page: its weights, CPU reference, WebGPU chain and WebNN graphs
/// for the backends of its chain (one that cannot be built keeps why).
async fn builtin(state: &Rc<RefCell<State>>, w: Workload, chain: &[Backend], id: &str) -> Builtin {
    let weights: Vec<Vec<f32>> = (0..w.gemms.len()).map(|i| w.weights(i)).collect();
    let reference = workload::run_cpu(&w, &w.input(), &weights);
    let key = format!(
        "builtin-weights:{}:{}",
        w.model,
        w.gemms.iter().map(|g| format!("{}x{}", g.k, g.n)).collect::<Vec<_>>().join(",")
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
        match build_chain(state, &b, &key, id).await {
            Ok(c) => b.chain = Some(Rc::new(c)),
            Err(e) => b.chain_error = Some(e),
        }
    }
    for backend in chain {
        if let Backend::WebNn(kind) = *backend {
            let built = NnChain::new(kind, &b.workload, &b.cpu_weights, 10_000).await.map(Rc::new);
            b.nn.push((kind, built));
        }
    }
    b
}

/// `worker`: absent/false, `true`, or `{ url?, threads? }` → (url, threads, wanted).
/// `worker`: (script URL, threads, wanted, waits for `mmperf-ready`, threads chosen per run).
type WorkerOption = (Option<String>, Option<u32>, bool, bool, bool);

fn worker_option(v: &JsValue) -> Result<WorkerOption, JsError> {
    if is_absent(v) || v.as_bool() == Some(false) {
        return Ok((None, None, false, false, false));
    }
    if v.as_bool() == Some(true) {
        return Ok((None, None, true, false, false));
    }
    if !v.is_object() {
        return Err(js_error(Error::invalid(
            "options.worker",
            format!("{v:?}"),
            "true, or { url?: string, threads?: number, ready?: boolean, perRun?: boolean }",
        )));
    }
    let url = match get(v, "url") {
        u if is_absent(&u) => None,
        u => Some(u.as_string().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            js_error(Error::invalid(
                "options.worker.url",
                format!("{u:?}"),
                "a module worker script URL",
            ))
        })?),
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
    let ready = worker_flag(
        v,
        "ready",
        url.is_some(),
        "a boolean: true when the script posts { type: \"mmperf-ready\" } once it can run",
        "only with worker.url (built-in workers are ready when they start)",
    )?;
    let per_run = worker_flag(
        v,
        "perRun",
        url.is_some(),
        "a boolean: true when the script runs each mmperf-run with the threads it says (1 to worker.threads)",
        "only with worker.url (built-in workers run one thread)",
    )?;
    Ok((url, threads, true, ready, per_run))
}

/// A boolean of `options.worker` (absent: false) that only a user script (`has_url`) may set.
fn worker_flag(
    v: &JsValue,
    key: &str,
    has_url: bool,
    allowed: &str,
    without_url: &str,
) -> Result<bool, JsError> {
    let field = format!("options.worker.{key}");
    let on = match get(v, key) {
        r if is_absent(&r) => false,
        r => r
            .as_bool()
            .ok_or_else(|| js_error(Error::invalid(&field, format!("{r:?}"), allowed)))?,
    };
    if on && !has_url {
        return Err(js_error(Error::invalid(field, "true", without_url)));
    }
    Ok(on)
}

fn unreachable_exec() -> Result<Exec, JsError> {
    Err(JsError::new("a model needs an executor or a built-in workload"))
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
        let buffers = b.cpu_weights.iter().map(|w| g.upload(w)).collect::<Result<Vec<_>, _>>()?;
        let bytes = b.workload.weight_bytes();
        state.borrow_mut().tensors.insert(
            key,
            Tensor {
                bytes,
                users: crate::flatmap::FlatMap::new(),
                gpu: buffers,
                data: JsValue::UNDEFINED,
                release_on_last: true,
            },
        )?;
    }
    let buffers = state.borrow().tensors.get(key).map(|t| t.gpu.clone()).unwrap_or_default();
    let chain = GpuChain::new(&g, &b.workload, &buffers).await?;
    state.borrow_mut().tensors.acquire(key, id)?;
    Ok(chain)
}
