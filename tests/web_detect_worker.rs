//! `detectCapabilities()` in a dedicated worker (the pool runs models in workers): it must resolve with the
//! same shape as in a page (`support/detect_shape.rs`), reading `navigator` from the `WorkerGlobalScope`.
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 wasm-pack test --headless
//! --chrome --mode no-install -- --test web_detect_worker` (a file can configure one scope only).

#![cfg(target_arch = "wasm32")]

#[path = "support/detect_shape.rs"]
mod detect_shape;
#[path = "support/shadow.rs"]
mod shadow;

use shadow::{script, Shadow};

use multimodel_perf::web::{detect, detect_capabilities, detected_profile};
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn json(v: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

#[wasm_bindgen_test]
async fn detection_in_a_worker_resolves_with_the_page_shape() {
    let caps: JsValue = detect_capabilities().await.expect("never rejects").into();
    let c = json(&caps);
    console_log!("capabilities in a worker: {c}");
    detect_shape::check(&c);
    assert_eq!(c["scope"], "worker");
    let name = c["browser"]["name"].as_str().unwrap();
    assert!(name.contains("Chrom"), "browser {name}");
    assert!(c["hardwareConcurrency"].as_u64().unwrap() >= 1);
    assert_eq!(c["wasm"]["simd"], true);
    let adapter = &c["webgpu"]["highPerformance"]["adapter"];
    if adapter.is_object() {
        assert_eq!(adapter["isFallbackAdapter"], true, "{adapter}");
    }
    let p = json(
        &detected_profile(wasm_bindgen::JsCast::unchecked_into(caps)).expect("a profile").into(),
    );
    assert!(p["id"].as_str().unwrap().starts_with("detected:"), "{p}");
    assert!(!p["reasons"].as_array().unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn a_probe_that_never_answers_times_out_in_a_worker_too() {
    let _ml =
        Shadow::new("ml", &script("return { createContext() { return new Promise(() => {}); } };"));
    let c = detect(300).await;
    for ctx in &c.webnn.expect("navigator.ml is there").contexts {
        let e = ctx.result.as_ref().expect_err("never resolves");
        assert_eq!(e.name, "TimeoutError", "{e:?}");
    }
}
