//! The pool's measurements and self-calibration in headless Chromium: runs are recorded and survive a new
//! pool on the same IndexedDB database, the pool keeps working in memory when IndexedDB is unavailable, a
//! refit makes the next run's prediction closer to what it measures, bad measurements and too-small fits are
//! refused, strategies are compared for real, and exports import. Run with `CHROMEDRIVER=/usr/bin/chromedriver
//! WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome --mode no-install -- --features
//! own-module --test web_calibration`.

#![cfg(target_arch = "wasm32")]

#[path = "support/jsvalues.rs"]
mod jsvalues;

use jsvalues::{js, message, to_json};
use multimodel_perf::web::ResourcePool;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn pool(options: Value) -> ResourcePool {
    ResourcePool::create(Some(js(&options).unchecked_into()))
        .await
        .map_err(|e| message(e.into()))
        .expect("a pool")
}

async fn builtin(p: &ResourcePool, names: &[&str], mflop: f64) {
    for n in names {
        JsFuture::from(p.register_model(
            js(&json!({"model": {"model_name": n}, "backends": ["wasm"], "workload": {"maxMflop": mflop}}))
                .unchecked_into(),
        ))
        .await
        .map_err(message)
        .unwrap();
    }
}

async fn run(p: &ResourcePool, strategy: &str) -> Value {
    to_json(
        &JsFuture::from(p.execute(None, Some(js(&json!({"strategy": strategy})).unchecked_into())))
            .await
            .map_err(message)
            .unwrap(),
    )
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", js_sys::Date::now())
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[wasm_bindgen_test]
async fn runs_are_recorded_and_found_again_by_a_new_pool_on_the_same_database() {
    let db = unique("mmperf-persist");
    let a = pool(json!({"dbName": db})).await;
    builtin(&a, &["bert-base-uncased", "gpt2"], 1.0).await;
    assert_eq!(run(&a, "sequential").await["recorded"], true);
    assert_eq!(run(&a, "parallel").await["recorded"], true);
    let storage = to_json(&a.storage().unwrap().into());
    assert_eq!(storage["backend"], "indexeddb");
    assert_eq!(storage["persistent"], true, "{storage}");
    assert_eq!(storage["measurements"], 2);
    let recorded = to_json(&a.measurements().unwrap().into());
    assert_eq!(recorded[0]["strategy"], "sequential");
    assert_eq!(recorded[0]["hardware"], "pool:wasm-main-thread");
    assert!(f(&recorded[0]["models"][0], "measuredMs") > 0.0);
    a.destroy();
    // What a reloaded page does: a new pool on the same database.
    let b = pool(json!({"dbName": db})).await;
    let again = to_json(&b.measurements().unwrap().into());
    assert_eq!(again, recorded);
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_pool_keeps_measurements_in_memory_and_says_so() {
    // On a window `indexedDB` is an own accessor of the global object: keep it to put it back.
    let global: js_sys::Object = js_sys::global().unchecked_into();
    let original = js_sys::Object::get_own_property_descriptor(&global, &"indexedDB".into());
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(&descriptor, &"value".into(), &JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE).unwrap();
    js_sys::Reflect::define_property(&global, &"indexedDB".into(), &descriptor).unwrap();
    let p = pool(json!({"dbName": unique("mmperf-none")})).await;
    if original.is_undefined() {
        js_sys::Reflect::delete_property(&global, &"indexedDB".into()).unwrap();
    } else {
        js_sys::Reflect::define_property(&global, &"indexedDB".into(), original.unchecked_ref())
            .unwrap();
    }
    assert!(js_sys::Reflect::get(&global, &"indexedDB".into()).unwrap().is_object());
    let storage = to_json(&p.storage().unwrap().into());
    assert_eq!(storage["persistent"], false);
    assert!(
        storage["warning"].as_str().unwrap().contains("indexedDB is not available"),
        "{storage}"
    );
    builtin(&p, &["gpt2"], 1.0).await;
    let r = run(&p, "sequential").await;
    assert_eq!(r["recorded"], true);
    assert!(r["warnings"].to_string().contains("in memory"), "{}", r["warnings"]);
    assert_eq!(to_json(&p.measurements().unwrap().into()).as_array().unwrap().len(), 1);
}

#[wasm_bindgen_test]
async fn after_a_refit_the_pool_predicts_closer_to_what_it_measures() {
    let p = pool(json!({"storage": "memory"})).await;
    builtin(&p, &["bert-base-uncased", "resnet-50", "gpt2"], 2.0).await;
    let err = |r: &Value| {
        let (pred, meas) =
            (f(&r["prediction"]["totalMetrics"], "combinedLatency"), f(r, "makespanMs"));
        (pred - meas).abs() / meas
    };
    let mut before = Vec::new();
    for s in ["sequential", "parallel", "sequential", "batched", "sequential", "parallel"] {
        before.push(err(&run(&p, s).await));
    }
    let fit = to_json(&JsFuture::from(p.refit(None)).await.map_err(message).unwrap());
    assert_eq!(fit["profile"], "pool:wasm-main-thread");
    assert!(f(&fit["after"], "meanApe") < f(&fit["before"], "meanApe"), "{fit}");
    let after = err(&run(&p, "sequential").await);
    let first = before[0];
    assert!(after < first, "makespan error before the refit {first:.3}, after {after:.3}");
    // The refit profile is stored beside the one it came from.
    let export = to_json(&p.export_measurements().unwrap().into());
    let versions: Vec<u64> = export["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(export["fits"].as_array().unwrap().len(), 1);
    // And it imports into another pool.
    let q = pool(json!({"storage": "memory"})).await;
    let state = to_json(
        &JsFuture::from(q.import_measurements(js(&export).unchecked_into()))
            .await
            .map_err(message)
            .unwrap(),
    );
    assert_eq!(state["measurements"], 7);
    assert_eq!(state["profiles"], 2);
    let v = to_json(&q.validate(None).unwrap().into());
    assert_eq!(v["measurements"], 7);
}

#[wasm_bindgen_test]
async fn bad_measurements_and_fits_from_too_little_are_refused() {
    let p = pool(json!({"storage": "memory"})).await;
    builtin(&p, &["gpt2"], 1.0).await;
    run(&p, "sequential").await;
    let e = JsFuture::from(p.refit(None)).await.map_err(message).unwrap_err();
    assert!(e.contains("at least 2 measurements"), "{e}");
    let mut m = to_json(&p.measurements().unwrap().into())[0].clone();
    m["models"][0]["measuredMs"] = json!(f64::NAN.to_string());
    let e = JsFuture::from(p.add_measurement(js(&m).unchecked_into()))
        .await
        .map_err(message)
        .unwrap_err();
    assert!(e.contains("models[0].measured_ms"), "{e}");
    m["models"][0]["measuredMs"] = json!(-1.0);
    let e = JsFuture::from(p.add_measurement(js(&m).unchecked_into()))
        .await
        .map_err(message)
        .unwrap_err();
    assert!(e.contains("measured_ms"), "{e}");
    m["models"][0]["measuredMs"] = json!(5.0);
    JsFuture::from(p.add_measurement(js(&m).unchecked_into())).await.map_err(message).unwrap();
    assert_eq!(to_json(&p.measurements().unwrap().into()).as_array().unwrap().len(), 2);
    let e = match p.validate(Some(js(&json!({"threshold": -1})).unchecked_into())) {
        Ok(_) => panic!("a negative threshold was accepted"),
        Err(e) => message(e.into()),
    };
    assert!(e.contains("options.threshold"), "{e}");
}

#[wasm_bindgen_test]
async fn strategies_are_compared_by_what_they_measure() {
    let p = pool(json!({"storage": "memory"})).await;
    builtin(&p, &["bert-base-uncased", "gpt2"], 1.0).await;
    let c = to_json(
        &JsFuture::from(
            p.compare_strategies(None, Some(js(&json!({"goal": "throughput"})).unchecked_into())),
        )
        .await
        .map_err(message)
        .unwrap(),
    );
    let ranked = c["ranked"].as_array().unwrap();
    assert_eq!(ranked.len(), 3);
    assert!(f(&ranked[0], "measured") <= f(&ranked[1], "measured"));
    assert!(f(&ranked[1], "measured") <= f(&ranked[2], "measured"));
    assert_eq!(c["measuredBest"], ranked[0]["strategy"]);
    assert_eq!(c["hit"], c["recommended"] == c["measuredBest"]);
    assert_eq!(c["accuracy"]["comparisons"], 1);
    assert!(c["accuracy"]["meanLossWhenMissed"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        to_json(&p.export_measurements().unwrap().into())["comparisons"].as_array().unwrap().len(),
        1
    );
    assert_eq!(c["runs"].as_array().unwrap().len(), 3);
    assert_eq!(to_json(&p.measurements().unwrap().into()).as_array().unwrap().len(), 3);
}

#[wasm_bindgen_test]
async fn measuring_the_pages_gemm_makes_the_pools_wasm_profiles() {
    let p = pool(json!({"storage": "memory"})).await;
    let m = to_json(
        &JsFuture::from(p.measure_wasm(Some(js(&json!({"seconds": 0.3})).unchecked_into())))
            .await
            .map_err(message)
            .unwrap(),
    );
    let large = f(&m["large"], "median");
    assert!(large > 0.0 && f(&m["small"], "median") > 0.0, "{m}");
    // The workers' profile, its peak from the rate: cores × large ÷ 0.75.
    let h = &m["hardware"];
    assert_eq!(h["id"], "pool:wasm-workers", "{h}");
    let cores = f(h, "compute_units");
    let peak = h["peak_tflops"]["fp32"].as_f64().unwrap() * 1e3;
    assert!((peak - cores * large / 0.75).abs() < 1e-3 * peak, "{h}");
    assert_eq!(h["runtime_efficiency"]["onnxruntime-web"].as_f64(), Some(0.98), "{h}");
    // Both WASM profiles get a new version beside the derived one.
    let export = to_json(&p.export_measurements().unwrap().into());
    let mut stored: Vec<(String, u64, bool)> = export["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let note = x["note"].as_str().unwrap_or_default();
            (
                x["id"].as_str().unwrap().to_string(),
                x["version"].as_u64().unwrap(),
                note.starts_with("measureWasm"),
            )
        })
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        vec![
            ("pool:wasm-main-thread".to_string(), 1, false),
            ("pool:wasm-main-thread".to_string(), 2, true),
            ("pool:wasm-workers".to_string(), 1, false),
            ("pool:wasm-workers".to_string(), 2, true),
        ]
    );
    let e = JsFuture::from(p.measure_wasm(Some(js(&json!({"seconds": 0})).unchecked_into())))
        .await
        .map_err(message)
        .unwrap_err();
    assert!(e.contains("options.seconds"), "{e}");
}
