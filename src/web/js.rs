//! Small helpers for reading and calling JS values that may be missing or throw, in a page and in a worker:
//! property reads that never throw, calls that turn exceptions into [`Failure`]s, awaits bounded by a timer,
//! and `performance.now()`.

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::catalog::detected::Failure;

#[wasm_bindgen]
extern "C" {

    // Global functions of both `Window` and `WorkerGlobalScope`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32, argument: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// `performance.now()` of this global scope (window or worker), ms; 0 where there is no `performance`.
pub fn now_ms() -> f64 {
    let perf = get(&js_sys::global(), "performance");
    call(&perf, "now", &Array::new())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// `target[key]`, or `undefined` where `target` is not an object or the getter throws.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A JS exception or rejection value as a [`Failure`].
pub fn failure(e: &JsValue) -> Failure {
    let name = get(e, "name").as_string();
    let message = get(e, "message").as_string();
    match (name, message) {
        (Some(n), Some(m)) => Failure::new(n, m),
        (n, m) => Failure::new(
            n.unwrap_or_else(|| "Error".to_string()),
            m.or_else(|| e.as_string())
                .unwrap_or_else(|| format!("{e:?}")),
        ),
    }
}

/// Calls `target[method](...args)`, catching a missing method and a thrown exception.
pub fn call(target: &JsValue, method: &str, args: &Array) -> Result<JsValue, Failure> {
    let f = get(target, method)
        .dyn_into::<js_sys::Function>()
        .map_err(|_| Failure::new("TypeError", format!("{method} is not a function here")))?;
    Reflect::apply(&f, target, args).map_err(|e| failure(&e))
}

/// Awaits `value` (a promise or a plain value) for at most `timeout_ms`.
pub async fn settle(value: &JsValue, timeout_ms: u32) -> Result<JsValue, Failure> {
    match race_timeout(value, f64::from(timeout_ms)).await {
        None => Err(Failure::new(
            "TimeoutError",
            format!("no answer within {timeout_ms} ms"),
        )),
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(failure(&e)),
    }
}

/// Awaits `value` (a promise or a plain value) for at most `timeout_ms`: `None` when the time ran out,
/// otherwise what it resolved or rejected with.
pub async fn race_timeout(value: &JsValue, timeout_ms: f64) -> Option<Result<JsValue, JsValue>> {
    let marker = Object::new();
    let mut timer = JsValue::UNDEFINED;
    let ms = if timeout_ms.is_finite() {
        timeout_ms.clamp(0.0, f64::from(i32::MAX)) as i32
    } else {
        i32::MAX
    };
    let deadline = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, ms, &marker);
    });
    let race = Promise::race(&Array::of2(&Promise::resolve(value), &deadline));
    let outcome = wasm_bindgen_futures::JsFuture::from(race).await;
    clear_timeout(&timer);
    match outcome {
        Ok(v) if Object::is(&v, &marker) => None,
        other => Some(other),
    }
}
