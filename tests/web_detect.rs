//! `detectCapabilities()` and `detectedProfile()` in headless Chromium (a page; `web_detect_worker.rs` runs
//! the same checks in a dedicated worker). Run with
//! `CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 wasm-pack test --headless --chrome
//! --mode no-install -- --test web_detect`.
//!
//! `webdriver.json` passes `--enable-unsafe-webgpu`, so WebGPU here is at most SwiftShader: an adapter, where
//! one comes back, must be the fallback one and map to `webgpu:fallback`. A GPU is asserted present (or
//! absent) only when the build says what the browser was started with: `MMPERF_EXPECT_WEBGPU_ADAPTER=1`
//! (default `webdriver.json`) or `=0` (with `WASM_BINDGEN_TEST_WEBDRIVER_JSON=tests/data/webdriver-no-webgpu.json`).
//! WebNN in this Chromium exists but cannot create a context; its absence and its success paths are covered
//! with a stand-in `navigator.ml` defined by the test itself.

#![cfg(target_arch = "wasm32")]

#[path = "support/detect_shape.rs"]
mod detect_shape;
#[path = "support/shadow.rs"]
mod shadow;

use shadow::{script, Shadow};

use multimodel_perf::web::{detect, detect_capabilities, detected_profile, JsPredictor};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn json(v: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

async fn capabilities() -> Value {
    json(&detect_capabilities().await.expect("detection never rejects").into())
}

fn profile(caps: &Value) -> Value {
    json(&detected_profile(js(caps).unchecked_into()).expect("a detected profile").into())
}

fn error_message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    v.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn detection_completes_with_well_formed_data() {
    let c = capabilities().await;
    console_log!("capabilities: {c:#}");
    console_log!("profile: {:#}", profile(&c));
    detect_shape::check(&c);
    assert_eq!(c["scope"], "window");
    let name = c["browser"]["name"].as_str().unwrap();
    assert!(name.contains("Chrom"), "browser {name}");
    assert!(!c["browser"]["version"].as_str().unwrap().is_empty());
    assert_eq!(c["browser"]["os"], "Linux");
    assert!(c["hardwareConcurrency"].as_u64().unwrap() >= 1);
    assert_eq!(c["wasm"]["webassembly"], true);
    assert_eq!(c["wasm"]["simd"], true);
    // The wasm-bindgen-test page is cross-origin isolated (TOOLCHAIN.md).
    assert_eq!(
        c["wasm"]["threads"],
        c["wasm"]["sharedArrayBuffer"].as_bool().unwrap()
            && c["wasm"]["crossOriginIsolated"].as_bool().unwrap()
    );
    assert_eq!(c["timeoutMs"], 5000);
}

#[wasm_bindgen_test]
async fn a_webgpu_adapter_here_is_the_software_fallback_and_predicted_as_one() {
    let c = capabilities().await;
    let adapter = &c["webgpu"]["highPerformance"]["adapter"];
    let expected = option_env!("MMPERF_EXPECT_WEBGPU_ADAPTER");
    if expected == Some("1") {
        assert!(adapter.is_object(), "the test started Chromium with --enable-unsafe-webgpu: {c}");
    }
    if expected == Some("0") {
        assert!(adapter.is_null(), "the test started Chromium without WebGPU: {c}");
    }
    let p = profile(&c);
    if adapter.is_object() {
        assert_eq!(adapter["isFallbackAdapter"], true, "{adapter}");
        assert_eq!(p["base"], "webgpu:fallback");
        assert_eq!(p["id"], "detected:webgpu:fallback");
        let cores = c["hardwareConcurrency"].as_f64().unwrap();
        assert_eq!(p["hardware"]["compute_units"].as_f64(), Some(cores));
        assert!(p["peakTflops"]["fp32"].as_f64().unwrap() < 0.01, "CPU speed: {p}");
    } else {
        let why = if c["webgpu"]["available"] == true {
            c["webgpu"]["highPerformance"]["error"]["message"].clone()
        } else {
            c["webgpu"]["reason"].clone()
        };
        assert!(why.as_str().is_some_and(|s| !s.is_empty()), "{c}");
        assert_eq!(p["base"], "wasm:laptop-4c");
    }
    let reasons = p["reasons"].as_array().unwrap();
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| r.as_str().is_some_and(|s| !s.is_empty()))
    );
}

#[wasm_bindgen_test]
async fn unusable_webnn_is_reported_with_the_browsers_reason() {
    let c = capabilities().await;
    let webnn = &c["webnn"];
    if webnn["available"] == false {
        assert!(webnn["reason"].as_str().unwrap().contains("navigator.ml"));
        return;
    }
    let contexts = webnn["contexts"].as_array().unwrap();
    let kinds: Vec<&str> = contexts.iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["gpu", "npu", "cpu"]);
    for ctx in contexts {
        // This Chromium has no WebNN backend: every kind must carry the browser's own error.
        if ctx["ok"] == false {
            let e = &ctx["error"];
            assert!(e["name"].as_str().is_some_and(|s| !s.is_empty()), "{ctx}");
            assert!(e["message"].as_str().is_some_and(|s| !s.is_empty()), "{ctx}");
        }
    }
}

#[wasm_bindgen_test]
async fn without_navigator_gpu_the_profile_is_wasm_on_the_cores() {
    let _hidden = Shadow::new("gpu", &JsValue::UNDEFINED);
    let c = capabilities().await;
    assert_eq!(c["webgpu"]["available"], false);
    assert!(c["webgpu"]["reason"].as_str().unwrap().starts_with("navigator.gpu is absent"));
    let p = profile(&c);
    assert_eq!(p["id"], "detected:wasm:laptop-4c");
    let threads = c["wasm"]["threads"].as_bool().unwrap();
    let units = p["hardware"]["compute_units"].as_u64().unwrap();
    let cores = c["hardwareConcurrency"].as_u64().unwrap();
    assert_eq!(units, if threads { cores } else { 1 }, "{p}");
    assert!(p["memoryCapacityMb"].as_f64().unwrap() <= 4096.0);
}

/// A `navigator.ml` from a build before 2025: the current dictionary is a `TypeError`, `deviceType` works.
const OLDER_WEBNN: &str = r#"
return {
  createContext(options) {
    if ('accelerated' in options) return Promise.reject(new TypeError("unknown member 'accelerated'"));
    return Promise.resolve({
      opSupportLimits() {
        return {
          preferredInputLayout: 'nchw', maxTensorByteLength: 2147483648,
          input: { dataTypes: ['float32'] }, constant: { dataTypes: ['float32'] }, output: { dataTypes: ['float32'] },
          matmul: { a: { dataTypes: ['float32', 'float16'] }, b: { dataTypes: ['float32', 'float16'] } },
          conv2d: { input: { dataTypes: ['float32'] }, filter: { dataTypes: ['float32'] } },
          relu: { input: { dataTypes: ['float32', 'int8'] } },
        };
      },
      destroy() {},
    });
  },
};
"#;

#[wasm_bindgen_test]
async fn an_older_webnn_is_asked_with_device_type_and_summarised() {
    let _ml = Shadow::new("ml", &script(OLDER_WEBNN));
    let c = capabilities().await;
    detect_shape::check(&c);
    for ctx in c["webnn"]["contexts"].as_array().unwrap() {
        assert_eq!(ctx["form"], "deviceType", "{ctx}");
        assert_eq!(ctx["currentFormError"]["name"], "TypeError");
        assert_eq!(ctx["ok"], true);
        let ops = &ctx["opSupport"];
        assert_eq!(ops["opCount"], 3, "{ops}");
        assert_eq!(ops["matmulInputDataTypes"], serde_json::json!(["float16", "float32"]));
        assert_eq!(ops["conv2dInputDataTypes"], serde_json::json!(["float32"]));
        assert_eq!(ops["preferredInputLayout"], "nchw");
    }
    assert_eq!(c["webnn"]["contexts"][1]["options"], "{deviceType: \"npu\"}");
}

#[wasm_bindgen_test]
async fn a_probe_that_never_answers_times_out_and_detection_still_resolves() {
    let _ml =
        Shadow::new("ml", &script("return { createContext() { return new Promise(() => {}); } };"));
    let start = js_sys::Date::now();
    let c = detect(300).await;
    let elapsed = js_sys::Date::now() - start;
    let webnn = c.webnn.expect("navigator.ml is there");
    for ctx in &webnn.contexts {
        let e = ctx.result.as_ref().expect_err("never resolves");
        assert_eq!(e.name, "TimeoutError", "{e:?}");
    }
    // The three contexts are probed together, so detection takes one timeout, not three.
    assert!(elapsed < 3.0 * 300.0, "took {elapsed} ms");
}

#[wasm_bindgen_test]
async fn the_longest_timeout_still_waits_for_a_slow_answer() {
    // u32::MAX ms is past what `setTimeout` takes (i32::MAX): clamped it waits, wrapped it would fire at once.
    let _ml = Shadow::new(
        "ml",
        &script(
            "return { createContext() { return new Promise(r => setTimeout(() => r({ accelerated: false }), 20)); } };",
        ),
    );
    let c = detect(u32::MAX).await;
    for ctx in &c.webnn.expect("navigator.ml is there").contexts {
        assert!(ctx.result.is_ok(), "{:?}", ctx.result);
    }
}

/// Wraps `setTimeout`/`clearTimeout` to count the timers of `ms` milliseconds set and cleared.
const TIMER_COUNTER: &str = r#"
const t = { set: 0, cleared: 0, ids: new Set(), setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
globalThis.setTimeout = function (f, ms, ...rest) {
  const id = t.setTimeout.call(globalThis, f, ms, ...rest);
  if (ms === MS) { t.set++; t.ids.add(id); }
  return id;
};
globalThis.clearTimeout = function (id) {
  if (t.ids.delete(id)) t.cleared++;
  return t.clearTimeout.call(globalThis, id);
};
t.restore = () => { globalThis.setTimeout = t.setTimeout; globalThis.clearTimeout = t.clearTimeout; };
return t;
"#;

#[wasm_bindgen_test]
async fn a_probe_that_answers_clears_its_timer() {
    let timers = script(&TIMER_COUNTER.replace("MS", "60000"));
    let _ml = Shadow::new(
        "ml",
        &script("return { createContext() { return Promise.resolve({ accelerated: false }); } };"),
    );
    let c = detect(60_000).await;
    let count = |k: &str| js_sys::Reflect::get(&timers, &k.into()).unwrap().as_f64().unwrap();
    let (set, cleared) = (count("set"), count("cleared"));
    let restore: js_sys::Function =
        js_sys::Reflect::get(&timers, &"restore".into()).unwrap().unchecked_into();
    restore.call0(&timers).unwrap();
    assert_eq!(c.webnn.expect("navigator.ml is there").contexts.len(), 3);
    // One timer per awaited probe (three WebNN contexts at least), every one cleared when its answer came.
    assert!(set >= 3.0, "{set} timers set");
    assert_eq!(cleared, set);
}

/// One model predicted by a `MultiModelPredictor` built with `hardware` as its option.
fn predict_with(hardware: &serde_json::Value, model: &str) -> Value {
    let options = js(&serde_json::json!({ "hardware": hardware }));
    let predictor = JsPredictor::new(Some(options.unchecked_into())).expect("hardware accepted");
    let models = js(&serde_json::json!([{ "model_name": model }]));
    json(
        &predictor.predict(models.unchecked_into(), None, None, None).expect("a prediction").into(),
    )
}

#[wasm_bindgen_test]
async fn the_detected_profile_is_predictor_input() {
    let c = capabilities().await;
    let p = profile(&c);
    let result = predict_with(&p["hardware"], "bert-base-uncased");
    assert_eq!(result["devices"][0], p["id"], "{result}");
    assert!(result["totalMetrics"]["combinedLatency"].as_f64().unwrap() > 0.0);
}

#[wasm_bindgen_test]
async fn hardware_detected_predicts_with_what_detection_found() {
    let c = capabilities().await;
    let p = profile(&c);
    let result = predict_with(&serde_json::json!("detected"), "all-minilm-l6-v2");
    assert_eq!(result["devices"][0], p["id"], "{result}");
}

#[wasm_bindgen_test]
fn detected_profile_rejects_what_is_not_capabilities() {
    let missing = detected_profile(JsValue::UNDEFINED.unchecked_into()).err().expect("an error");
    assert!(error_message(missing).contains("capabilities"));
    let wrong = detected_profile(js(&serde_json::json!({ "scope": "moon" })).unchecked_into())
        .err()
        .expect("an error");
    let message = error_message(wrong);
    assert!(message.contains("capabilities") && message.contains("moon"), "{message}");
}

#[wasm_bindgen_test]
fn a_hand_written_discrete_gpu_maps_to_the_discrete_profile() {
    let adapter = serde_json::json!({
        "vendor": "nvidia", "architecture": "ada", "device": "", "description": "",
        "isFallbackAdapter": false, "features": ["shader-f16", "timestamp-query"],
        "limits": { "maxBufferSize": 4294967292u64, "maxStorageBufferBindingSize": 2147483644u64 }
    });
    let caps = serde_json::json!({
        "scope": "window",
        "browser": { "name": "Google Chrome", "source": "user-agent" },
        "webgpu": { "available": true, "highPerformance": { "adapter": adapter }, "lowPower": { "adapter": adapter } },
        "webnn": { "available": false, "reason": "not enabled" },
        "wasm": { "webassembly": true, "simd": true, "sharedArrayBuffer": false, "crossOriginIsolated": false },
        "hardwareConcurrency": 16, "deviceMemoryGb": 8
    });
    let p = profile(&caps);
    assert_eq!(p["id"], "detected:webgpu:discrete");
    assert_eq!(p["platform"], "webgpu");
    assert!(p["peakTflops"]["fp16"].as_f64().unwrap() > 0.0, "shader-f16 kept fp16: {p}");
    assert!(p["sources"]["detected"].as_str().unwrap().contains("discrete"));
}

#[wasm_bindgen_test]
async fn hardware_browser_places_each_model_on_its_routed_backend() {
    let c = capabilities().await;
    let models = serde_json::json!([
        { "model_name": "all-minilm-l6-v2", "batch_size": 4 },
        { "model_name": "resnet-50" }
    ]);
    let routes = json(
        &multimodel_perf::web::route_models(js(&models).unchecked_into(), js(&c).unchecked_into())
            .expect("routes")
            .into(),
    );
    let predictor = JsPredictor::new(None).unwrap();
    let p = json(
        &predictor
            .predict(
                js(&models).unchecked_into(),
                Some(JsValue::from_str("browser").unchecked_into()),
                None,
                None,
            )
            .expect("a prediction on this browser's backends")
            .into(),
    );
    for (i, r) in routes.as_array().unwrap().iter().enumerate() {
        let m = &p["individualPredictions"][i];
        assert_eq!(m["device"], format!("browser:{}", r["backend"].as_str().unwrap()), "{m}");
        assert_eq!(m["runtime"], r["runtime"], "{m}");
    }
}
