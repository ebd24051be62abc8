//! Web Workers for the pool: real CPU concurrency in a page. A synchronous WASM run blocks its thread, so only
//! models in workers overlap on the CPU.
//!
//! - **User workers**: a module worker script of the user's (`worker: { url }`); with `ready: true` the pool
//!   waits, at registration and after every restart, for the script's `{ type: "mmperf-ready" }` (or
//!   `{ type: "mmperf-ready", ok: false, error }`), so slow set-up (a runtime session) stays out of the
//!   timed runs. Per run the pool posts
//!   `{ type: "mmperf-run", runId, id, backend, model, threads, attempt }`; the worker answers
//!   `{ runId, ok: true, outputs }` or `{ runId, ok: false, error: { name, message } }`. On timeout the pool
//!   terminates the worker (real cancellation) and starts a new one for the next run.
//! - **Built-in workers**: a small worker (a Blob URL, no file to ship) that instantiates *this* WebAssembly
//!   module with stub imports and calls two numeric exports, [`mmperf_builtin_prepare`] and
//!   [`mmperf_builtin_run`], which rebuild the same seeded GEMM chain from the catalog and run it on the
//!   worker's thread. The module comes from `wasm_bindgen::module()` where the build supports it (the `web`
//!   build, feature `own-module`), or from `ResourcePool.create({ wasmModule })`.
//!
//! The snippet below is JS on purpose: the built-in worker's script must be, and `worker_call`, the page side
//! of the same `runId` protocol, stays beside it. With gloo-events listeners it took nearly twice the lines
//! (a promise as the one-shot channel from the listeners to the future) and 6.1 kB more wasm for the same
//! behaviour (the README's design notes have the measurement).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::catalog::models;
use crate::predict::spec::ModelSpec;
use crate::workload::{self, Workload, WorkloadOptions};

#[wasm_bindgen(inline_js = r#"
const BUILTIN = `
let exports = null;
self.onmessage = async ({ data }) => {
  const reply = (m) => self.postMessage(Object.assign({ runId: data.runId }, m));
  try {
    if (data.type === 'init') {
      const imports = {};
      for (const imp of WebAssembly.Module.imports(data.module)) {
        const ns = imports[imp.module] || (imports[imp.module] = {});
        if (imp.kind !== 'function') throw new Error('cannot provide import ' + imp.module + '.' + imp.name + ' (' + imp.kind + ')');
        ns[imp.name] = () => { throw new Error(imp.name + ' is not available in a multimodel-perf worker'); };
      }
      exports = (await WebAssembly.instantiate(data.module, imports)).exports;
      reply({ ok: true });
    } else if (data.type === 'prepare') {
      const h = exports.mmperf_builtin_prepare(...data.args);
      if (h < 0) throw new Error('the worker could not build the workload (code ' + h + ')');
      reply({ ok: true, handle: h });
    } else if (data.type === 'run') {
      const t0 = performance.now();
      const checksum = exports.mmperf_builtin_run(data.handle);
      reply({ ok: true, checksum, ms: performance.now() - t0 });
    }
  } catch (e) {
    reply({ ok: false, error: { name: (e && e.name) || 'Error', message: String((e && e.message) || e) } });
  }
};`;

let url = null;
export function spawn_builtin_worker() {
  if (url === null) url = URL.createObjectURL(new Blob([BUILTIN], { type: 'text/javascript' }));
  return new Worker(url);
}

export function spawn_module_worker(src) {
  return new Worker(src, { type: 'module' });
}

// The worker's first message that `accepts`, as a promise: rejected when it says `ok: false` or carries an
// `error`, when the worker fails, or after `ms` (0: never).
function reply(worker, accepts, what, ms) {
  return new Promise((resolve, reject) => {
    let timer = 0;
    const done = () => {
      clearTimeout(timer);
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
    };
    const onMessage = ({ data }) => {
      if (!data || !accepts(data)) return;
      done();
      if (data.ok === false || data.error) {
        const e = new Error((data.error && data.error.message) || what);
        e.name = (data.error && data.error.name) || 'Error';
        reject(e);
      } else {
        resolve(data);
      }
    };
    const onError = (ev) => {
      done();
      ev.preventDefault();
      const e = new Error(ev.message || 'the worker failed (script error or load failure)');
      e.name = 'WorkerError';
      reject(e);
    };
    if (ms > 0) {
      timer = setTimeout(() => {
        done();
        const e = new Error('the worker did not answer within ' + ms + ' ms');
        e.name = 'TimeoutError';
        reject(e);
      }, ms);
    }
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
  });
}

export function worker_ready(worker, ms) {
  return reply(worker, (data) => data.type === 'mmperf-ready', 'the worker could not get ready', ms);
}

let next = 1;
export function worker_call(worker, message) {
  const runId = next++;
  const answer = reply(worker, (data) => data.runId === runId, 'the worker reported an error', 0);
  worker.postMessage(Object.assign({ runId }, message));
  return answer;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn spawn_builtin_worker() -> Result<web_sys::Worker, JsValue>;
    #[wasm_bindgen(catch)]
    fn spawn_module_worker(src: &str) -> Result<web_sys::Worker, JsValue>;
    fn worker_call(worker: &web_sys::Worker, message: &JsValue) -> js_sys::Promise;
    fn worker_ready(worker: &web_sys::Worker, ms: f64) -> js_sys::Promise;
}

/// This module's `WebAssembly.Module`, where the build can name it.
#[cfg(feature = "own-module")]
pub fn own_module() -> Option<JsValue> {
    Some(wasm_bindgen::module())
}

/// This module's `WebAssembly.Module`, where the build can name it (not without feature `own-module`: pass
/// `wasmModule` to `ResourcePool.create` there).
#[cfg(not(feature = "own-module"))]
pub fn own_module() -> Option<JsValue> {
    None
}

/// Starts a built-in worker and instantiates `module` in it.
pub async fn start_builtin(module: &JsValue) -> Result<web_sys::Worker, JsValue> {
    let worker = spawn_builtin_worker()?;
    let msg = Object::new();
    Reflect::set(&msg, &"type".into(), &"init".into())?;
    Reflect::set(&msg, &"module".into(), module)?;
    wasm_bindgen_futures::JsFuture::from(worker_call(&worker, &msg.into())).await?;
    Ok(worker)
}

/// Starts a user's module worker.
pub fn start_module(url: &str) -> Result<web_sys::Worker, JsValue> {
    spawn_module_worker(url)
}

/// The promise of the worker's `{ type: "mmperf-ready" }` (rejected on `ok: false`, a script error, or after
/// `ms`).
pub fn ready(worker: &web_sys::Worker, ms: f64) -> js_sys::Promise {
    worker_ready(worker, ms)
}

/// Posts `message` and returns the promise of the matching answer.
pub fn call(worker: &web_sys::Worker, message: &JsValue) -> js_sys::Promise {
    worker_call(worker, message)
}

/// The numeric arguments that rebuild `spec`'s workload in a worker: catalog index, batch, sequence
/// length, image size, audio milliseconds (0 = the model's default), scale. `None` for models outside the
/// catalog and for an entry with a head of its own (the arguments cannot say it).
pub fn prepare_args(spec: &ModelSpec, w: &Workload) -> Option<Array> {
    if spec.custom.is_some() || spec.head.is_some() {
        return None;
    }
    let index = models::entries().iter().position(|m| m.name == w.model)?;
    let args = [
        index as f64,
        f64::from(spec.batch_size),
        f64::from(spec.sequence_length.unwrap_or(0)),
        f64::from(spec.image_size.unwrap_or(0)),
        spec.audio_seconds.map_or(0.0, |s| (s * 1000.0).round()),
        w.scale,
    ];
    Some(args.iter().map(|&a| JsValue::from_f64(a)).collect())
}

/// A workload prepared in a worker: the chain, its input and its weights.
type Prepared = (Workload, Vec<f32>, Vec<Vec<f32>>);

thread_local! {
    static PREPARED: RefCell<Vec<Prepared>> = const { RefCell::new(Vec::new()) };
}

/// Worker side: builds the workload [`prepare_args`] describes (data and weights included) and returns a
/// handle, or a negative code: -1 unknown catalog index, -2 invalid arguments.
// The worker script calls it by this export name (`unsafe_code` flags a fixed symbol name).
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn mmperf_builtin_prepare(
    index: f64,
    batch: f64,
    sequence: f64,
    image: f64,
    audio_ms: f64,
    scale: f64,
) -> i32 {
    let Some(entry) = models::entries().get(index as usize) else {
        return -1;
    };
    let count = |x: f64| (x >= 1.0 && x <= f64::from(u32::MAX)).then_some(x as u32);
    let mut spec = ModelSpec::named(entry.name);
    let Some(b) = count(batch) else {
        return -2;
    };
    spec.batch_size = b;
    spec.sequence_length = count(sequence);
    spec.image_size = count(image);
    spec.audio_seconds = (audio_ms > 0.0).then_some(audio_ms / 1000.0);
    let options = WorkloadOptions { scale: Some(scale), max_mflop: workload::DEFAULT_MAX_MFLOP };
    let Ok(w) = workload::build(&spec, "worker", options) else {
        return -2;
    };
    let input = w.input();
    let weights = (0..w.gemms.len()).map(|i| w.weights(i)).collect();
    PREPARED.with(|p| {
        let mut p = p.borrow_mut();
        p.push((w, input, weights));
        i32::try_from(p.len() - 1).unwrap_or(-2)
    })
}

/// Worker side: runs a prepared workload once on this thread; returns the sum of its outputs (NaN for an
/// unknown handle).
// The worker script calls it by this export name.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn mmperf_builtin_run(handle: i32) -> f64 {
    PREPARED.with(|p| {
        let p = p.borrow();
        match usize::try_from(handle).ok().and_then(|h| p.get(h)) {
            Some((w, input, weights)) => checksum(&workload::run_cpu(w, input, weights)),
            None => f64::NAN,
        }
    })
}

/// Sum of the outputs in f64: what a worker's run is compared with.
pub fn checksum(out: &[f32]) -> f64 {
    out.iter().map(|&v| f64::from(v)).sum()
}
