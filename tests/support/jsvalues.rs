//! JSON ⇄ JS value helpers for the wasm tests: results compared as `serde_json::Value`, inputs written with
//! `json!`, and a rejected promise's or thrown `Error`'s message.

#![allow(dead_code)] // each test binary uses part of these helpers

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// A JS value as JSON (through `JSON.stringify`).
pub fn to_json(v: &JsValue) -> Value {
    serde_json::from_str(&js_sys::JSON::stringify(v).unwrap().as_string().unwrap()).unwrap()
}

/// JSON as a JS value (through `JSON.parse`).
pub fn js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

/// The message of an `Error` (empty for anything else).
pub fn message(e: JsValue) -> String {
    e.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default()
}
