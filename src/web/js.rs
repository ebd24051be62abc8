//! Small helpers for reading and calling JS values that may be missing or throw, in a page and in a worker:
//! property reads that never throw, calls that turn exceptions into [`Failure`]s, awaits bounded by a timer,
//! and `performance.now()`.

use std::pin::pin;

use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::catalog::detected::Failure;

/// `performance.now()` of this global scope (window or worker), ms; 0 where there is no `performance`.
pub fn now_ms() -> f64 {
    let perf = get(&js_sys::global(), "performance");
    call(&perf, "now", &Array::new()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
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
            m.or_else(|| e.as_string()).unwrap_or_else(|| format!("{e:?}")),
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
        None => Err(Failure::new("TimeoutError", format!("no answer within {timeout_ms} ms"))),
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(failure(&e)),
    }
}

/// Awaits `value` (a promise or a plain value) for at most `timeout_ms`: `None` when the time ran out,
/// otherwise what it resolved or rejected with. The timer is gloo's `TimeoutFuture` on the global
/// `setTimeout`, so this works in a page, a worker and Node; the side that loses the race is dropped, and a
/// dropped `TimeoutFuture` clears its timer.
pub async fn race_timeout(value: &JsValue, timeout_ms: f64) -> Option<Result<JsValue, JsValue>> {
    let answer = pin!(JsFuture::from(Promise::resolve(value)));
    match select(answer, TimeoutFuture::new(timer_ms(timeout_ms))).await {
        Either::Left((outcome, _timer)) => Some(outcome),
        Either::Right(((), _answer)) => None,
    }
}

/// A timeout as `setTimeout` can take it: 0 to `i32::MAX` ms (about 24.8 days), and the longest for one that
/// is not finite (no limit). Browsers fire a longer delay at once, and gloo-timers casts its `u32` to `i32`.
fn timer_ms(timeout_ms: f64) -> u32 {
    const LONGEST_MS: u32 = i32::MAX as u32;
    if timeout_ms.is_finite() {
        timeout_ms.clamp(0.0, f64::from(LONGEST_MS)) as u32
    } else {
        LONGEST_MS
    }
}
