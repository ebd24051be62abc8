//! The WebAssembly build, run by `wasm-pack test --node` and `wasm-pack test --headless --chrome`: the same
//! fixtures as the native tests go through the JS-facing exports and must give exactly what the library gives
//! in-process (the JS layer adds no arithmetic), the modelling invariants must hold in wasm too, published rows
//! must be predicted within ±25 % as natively, and bad input must come back as a catchable error naming the
//! field, never a panic. Tolerance between the JS path and the library path: none (byte-identical JSON); the
//! native-versus-wasm comparison (`tests/js/native-vs-wasm.mjs`) allows 1e-9 relative for libm differences.

#![cfg(target_arch = "wasm32")]

use multimodel_perf::web::{JsPredictor, ModelsArg};
use multimodel_perf::{wire, MultiModelPredictor, Strategy, Target};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const FIXTURES: [(&str, &str); 6] = [
    ("seed-example", include_str!("data/seed-example.json")),
    ("seed", include_str!("../examples/seed.json")),
    ("cpu-threads", include_str!("../examples/cpu-threads.json")),
    ("browser-page", include_str!("../examples/browser-page.json")),
    ("gpu-and-cpu", include_str!("../examples/gpu-and-cpu.json")),
    ("tight-memory", include_str!("../examples/tight-memory.json")),
];

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("fixture is JSON")
}

fn stringify(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).expect("result is JSON").as_string().unwrap()
}

fn error_message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    v.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default()
}

/// Structural equality where numbers compare as f64 (JS prints 0.0 as 0, serde_json as 0.0).
fn same(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => assert_eq!(x.as_f64(), y.as_f64(), "{path}"),
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: length");
            x.iter().zip(y).enumerate().for_each(|(i, (p, q))| same(p, q, &format!("{path}[{i}]")));
        }
        (Object(x), Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}: keys");
            x.iter().for_each(|(k, v)| same(v, &y[k], &format!("{path}.{k}")));
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

fn predict_js(p: &JsPredictor, workload: &str, strategy: &str) -> Result<JsValue, String> {
    p.predict(
        js(workload).unchecked_into::<ModelsArg>(),
        None,
        Some(JsValue::from_str(strategy).unchecked_into()),
        None,
    )
    .map(Into::into)
    .map_err(error_message)
}

/// Each fixture's name, text, workload and target (its `hardware`, else `webgpu`).
fn fixtures() -> impl Iterator<Item = (&'static str, &'static str, wire::ParsedWorkload, Target)> {
    FIXTURES.into_iter().map(|(name, text)| {
        let parsed = wire::parse_workload(text).unwrap();
        let target = Target::new(parsed.hardware.as_deref().unwrap_or("webgpu")).unwrap();
        (name, text, parsed, target)
    })
}

#[wasm_bindgen_test]
fn js_exports_give_the_library_numbers_for_every_fixture() {
    let js_predictor = JsPredictor::new(None).unwrap();
    let lib = MultiModelPredictor::default();
    for (name, text, parsed, target) in fixtures() {
        for strategy in Strategy::ALL {
            let via_js = predict_js(&js_predictor, text, strategy.name())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let direct = lib.predict(&parsed.workload, &target, strategy).unwrap();
            let direct_json = serde_json::to_string(&wire::PredictionDto::from(&direct)).unwrap();
            let a: serde_json::Value = serde_json::from_str(&stringify(&via_js)).unwrap();
            let b: serde_json::Value = serde_json::from_str(&direct_json).unwrap();
            same(&a, &b, &format!("{name} {}", strategy.name()));
        }
    }
}

#[wasm_bindgen_test]
fn invariants_hold_in_wasm() {
    let lib = MultiModelPredictor::default();
    for (name, text) in FIXTURES {
        let parsed = wire::parse_workload(text).unwrap();
        let target = Target::new(parsed.hardware.as_deref().unwrap_or("webgpu")).unwrap();
        let par = lib.predict(&parsed.workload, &target, Strategy::Parallel).unwrap();
        let seq = lib.predict(&parsed.workload, &target, Strategy::Sequential).unwrap();
        let longest = par.models.iter().map(|m| m.solo.latency_ms).fold(0.0, f64::max);
        assert!(
            par.combined_latency_ms >= longest - 1e-6,
            "{name}: parallel shorter than its longest model"
        );
        // Sequential is the sum of the models alone, plus at most each CPU pool's spin after its run.
        let sum: f64 = seq.models.iter().map(|m| m.solo.latency_ms).sum();
        let spins: f64 = seq
            .models
            .iter()
            .filter(|m| m.solo.threads > 1)
            .map(|m| {
                multimodel_perf::catalog::runtime::RuntimeProfile::find(&m.runtime)
                    .unwrap()
                    .spin_after_run_us
                    / 1e3
            })
            .sum();
        let tol = 1e-6 * seq.models.len() as f64;
        assert!(
            seq.combined_latency_ms >= sum - tol && seq.combined_latency_ms <= sum + spins + tol,
            "{name}: sequential {} vs Σ {sum} (+ spins {spins})",
            seq.combined_latency_ms
        );
        for p in [&par, &seq] {
            let end = p.models.iter().map(|m| m.end_ms).fold(0.0, f64::max);
            assert_eq!(end, p.combined_latency_ms, "{name}: timeline total");
        }
        assert!(
            par.combined_memory_mb >= seq.combined_memory_mb - 1e-6,
            "{name}: parallel memory below sequential"
        );
    }
}

#[wasm_bindgen_test]
fn published_rows_are_within_25_percent_in_wasm() {
    use multimodel_perf::catalog::{hardware, runtime::RuntimeProfile};
    use multimodel_perf::predict::single::Placement;
    // Each row's model and operators as the native report resolves them (`Row::resolve`: precision, sequence,
    // memory format, attention, head, and the step its source times beside the forward pass).
    let rows =
        multimodel_perf::wire::published::rows(include_str!("data/published-public.json")).unwrap();
    for row in &rows {
        let device = hardware::find(&row.hardware).unwrap();
        let runtime = RuntimeProfile::find(&row.runtime).unwrap();
        let (model, work) = row.resolve(row.batch_size.unwrap()).unwrap();
        let p = Placement { device: &device, runtime: &runtime, threads: device.compute_units }
            .predict_with(&model, &work);
        let got = if row.metric == "latency_ms" { p.latency_ms } else { p.throughput };
        assert!((got / row.value - 1.0).abs() <= 0.25, "{}: {got} vs {}", row.id, row.value);
    }
}

#[wasm_bindgen_test]
fn bad_input_is_a_catchable_error_naming_the_field() {
    let p = JsPredictor::new(None).unwrap();
    let cases = [
        ("[]", "parallel", "models"),
        (
            r#"[{"model_name":"bert-base-uncased","batch_size":0}]"#,
            "parallel",
            "models[0].batch_size",
        ),
        (
            r#"[{"model_name":"bert-base-uncased","precision":"fp12"}]"#,
            "parallel",
            "models[0].precision",
        ),
        (r#"[{"model_name":"foo"}]"#, "parallel", "models[0].model_name"),
        (r#"[{"model_name":"bert-base-uncased","bogus":1}]"#, "parallel", "bogus"),
        (
            r#"{"models":[{"model_name":"gpt2"}],"constraints":{"max_compute":2}}"#,
            "parallel",
            "constraints.max_compute",
        ),
        (r#"[{"model_name":"gpt2"}]"#, "diagonal", "strategy"),
    ];
    for (workload, strategy, field) in cases {
        let err = predict_js(&p, workload, strategy).expect_err(workload);
        assert!(err.contains(field), "{workload}: {err}");
    }
    let hw = p.predict(
        js(r#"[{"model_name":"gpt2"}]"#).unchecked_into(),
        Some(JsValue::from_str("tpu").unchecked_into()),
        None,
        None,
    );
    assert!(error_message(hw.err().unwrap()).contains("hardware"));
    let nan = js_sys::Array::of1(&js_sys::Object::new());
    let entry = nan.get(0);
    js_sys::Reflect::set(&entry, &"model_name".into(), &"gpt2".into()).unwrap();
    js_sys::Reflect::set(&entry, &"batch_size".into(), &JsValue::from_f64(f64::NAN)).unwrap();
    let err = p
        .predict(JsValue::from(nan).unchecked_into(), None, None, None)
        .err()
        .map(error_message)
        .unwrap();
    assert!(err.contains("models[0].batch_size") && err.contains("NaN"), "{err}");
}

#[wasm_bindgen_test]
fn options_set_the_default_target_and_the_sharing_table() {
    let options = js(
        r#"{"hardware":"cuda:t4","runtime":"tensorrt","sharingConfig":{"vision":{"compatible_types":["vision"],"sharing_efficiency":0.4,"memory_reduction":0.25}}}"#,
    );
    let p = JsPredictor::new(Some(options.unchecked_into())).unwrap();
    let out =
        predict_js(&p, r#"[{"model_name":"resnet-50"},{"model_name":"mobilenet-v2"}]"#, "parallel")
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stringify(&out)).unwrap();
    assert_eq!(v["hardwarePlatform"], "cuda:t4");
    assert_eq!(v["individualPredictions"][0]["runtime"], "tensorrt");
    assert!(v["sharingBenefits"]["memorySavedMb"].as_f64().unwrap() > 0.0);
    let bad = JsPredictor::new(Some(js(r#"{"sharingConfig":{"vision":{"compatible_types":["vision"],"sharing_efficiency":3,"memory_reduction":0.1}}}"#).unchecked_into()));
    assert!(error_message(bad.err().unwrap()).contains("sharing_config.vision.sharing_efficiency"));
}

#[wasm_bindgen_test]
fn timelines_false_leaves_the_schedules_curves_empty_and_nothing_else_changes() {
    let seed = include_str!("data/seed-example.json");
    let full = JsPredictor::new(Some(js(r#"{"hardware":"cpu"}"#).unchecked_into())).unwrap();
    let lean =
        JsPredictor::new(Some(js(r#"{"hardware":"cpu","timelines":false}"#).unchecked_into()))
            .unwrap();
    for strategy in ["parallel", "sequential", "batched"] {
        let mut with: serde_json::Value =
            serde_json::from_str(&stringify(&predict_js(&full, seed, strategy).unwrap())).unwrap();
        let without: serde_json::Value =
            serde_json::from_str(&stringify(&predict_js(&lean, seed, strategy).unwrap())).unwrap();
        let schedule = &mut with["executionSchedule"];
        assert_eq!(schedule["timeline"].as_array().unwrap().len(), 3, "{strategy}");
        assert!(schedule["memoryTimeline"].as_array().unwrap().len() >= 2, "{strategy}");
        schedule["timeline"] = serde_json::json!([]);
        schedule["memoryTimeline"] = serde_json::json!([]);
        assert_eq!(with, without, "{strategy}");
    }
    let goal = || Some(JsValue::from_str("latency").unchecked_into());
    let r: JsValue = lean.recommend(js(seed).unchecked_into(), None, goal(), None).unwrap().into();
    let r: serde_json::Value = serde_json::from_str(&stringify(&r)).unwrap();
    assert_eq!(r["prediction"]["executionSchedule"]["timeline"], serde_json::json!([]));
    let r: JsValue = full.recommend(js(seed).unchecked_into(), None, goal(), None).unwrap().into();
    assert!(stringify(&r).contains("\"duration\""));
    let bad = JsPredictor::new(Some(js(r#"{"timelines":"no"}"#).unchecked_into()));
    let message = error_message(bad.err().unwrap());
    assert!(
        message.contains("options.timelines") && message.contains("true or false"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn a_predictor_answers_again_from_its_memo_with_the_same_numbers_as_one_without() {
    let seed = include_str!("data/seed-example.json");
    let other =
        r#"[{"model_name":"resnet-50","batch_size":2},{"model_name":"t5-small","threads":1}]"#;
    let kept = JsPredictor::new(Some(js(r#"{"hardware":"cpu"}"#).unchecked_into())).unwrap();
    let fresh =
        JsPredictor::new(Some(js(r#"{"hardware":"cpu","memo":false}"#).unchecked_into())).unwrap();
    // The memo filled by one workload, then asked about another and the first again.
    for (workload, strategy) in
        [(seed, "batched"), (other, "parallel"), (seed, "parallel"), (seed, "batched")]
    {
        let a = stringify(&predict_js(&kept, workload, strategy).unwrap());
        let b = stringify(&predict_js(&fresh, workload, strategy).unwrap());
        assert_eq!(a, b, "{strategy}");
    }
    // One JS object changed between two calls, then the same models under a memory budget: each call reads
    // its arguments as they are then (the predictor keeps the last call's text, not the object).
    let models = js(other);
    let parallel = || Some(JsValue::from_str("parallel").unchecked_into());
    let call = |p: &JsPredictor, constraints: Option<&str>| {
        let c = constraints.map(|c| js(c).unchecked_into());
        let r: JsValue =
            p.predict(models.clone().unchecked_into(), None, parallel(), c).unwrap().into();
        stringify(&r)
    };
    let before = call(&kept, None);
    let first = js_sys::Reflect::get(&models, &JsValue::from(0)).unwrap();
    js_sys::Reflect::set(&first, &JsValue::from_str("batch_size"), &JsValue::from(8)).unwrap();
    let after = call(&kept, None);
    assert_ne!(before, after);
    assert_eq!(after, call(&fresh, None));
    let budget = Some(r#"{"max_memory":300}"#);
    let tight = call(&kept, budget);
    assert_ne!(tight, after);
    assert_eq!(tight, call(&fresh, budget));
    assert_eq!(call(&kept, None), after);
    let goal = || Some(JsValue::from_str("throughput").unchecked_into());
    let a: JsValue = kept.recommend(js(other).unchecked_into(), None, goal(), None).unwrap().into();
    let b: JsValue =
        fresh.recommend(js(other).unchecked_into(), None, goal(), None).unwrap().into();
    assert_eq!(stringify(&a), stringify(&b));
    let bad = JsPredictor::new(Some(js(r#"{"memo":1}"#).unchecked_into()));
    let message = error_message(bad.err().unwrap());
    assert!(message.contains("options.memo") && message.contains("true or false"), "{message}");
}

#[wasm_bindgen_test]
fn recommendation_and_catalogs_are_plain_objects() {
    let p = JsPredictor::new(None).unwrap();
    let r: JsValue = p
        .recommend(
            js(include_str!("data/seed-example.json")).unchecked_into(),
            None,
            Some(JsValue::from_str("memory").unchecked_into()),
            None,
        )
        .unwrap()
        .into();
    let v: serde_json::Value = serde_json::from_str(&stringify(&r)).unwrap();
    assert_eq!(v["optimizationGoal"], "memory");
    assert!(
        v["allPredictions"]["sequential"]["combinedMemory"].as_f64().unwrap() > 0.0,
        "maps must be plain objects: {v}"
    );
    let models: JsValue = multimodel_perf::web::list_models().unwrap().into();
    let list = js_sys::Array::from(&models);
    assert_eq!(list.length() as usize, multimodel_perf::catalog::models::catalog().len());
    let devices: JsValue = multimodel_perf::web::list_hardware().unwrap().into();
    assert!(stringify(&devices).contains("webgpu:fallback"));
    assert_eq!(multimodel_perf::web::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
async fn the_tuned_gemm_is_timed_in_this_engine_and_sets_the_profiles_peak() {
    use multimodel_perf::web::measure_wasm_gemm;
    let options = r#"{"seconds": 0.3, "hardware": {"base": "wasm:laptop-4c", "compute_units": 3, "memory_bandwidth_gbps": 20}}"#;
    let r: JsValue = measure_wasm_gemm(Some(js(options).unchecked_into())).await.unwrap().into();
    let v: serde_json::Value = serde_json::from_str(&stringify(&r)).unwrap();
    let num = |path: &str| {
        v.pointer(path).and_then(|x| x.as_f64()).unwrap_or_else(|| panic!("{path} in {v}"))
    };
    for shape in ["large", "small"] {
        let (lo, mid, hi) = (
            num(&format!("/{shape}/min")),
            num(&format!("/{shape}/median")),
            num(&format!("/{shape}/max")),
        );
        assert!(mid > 0.0 && lo <= mid && mid <= hi, "{shape}: {v}");
        assert!(num(&format!("/{shape}/samples")) >= 3.0, "{v}");
    }
    assert_eq!(v["largeShape"], serde_json::json!([512, 768, 768]));
    assert_eq!(v["smallShape"], serde_json::json!([16, 768, 768]));
    // The profile: the base's machine figures kept, the peak and the small tile from the rates.
    let h = &v["hardware"];
    assert_eq!((h["id"].as_str(), h["platform"].as_str()), (Some("wasm:calibrated"), Some("wasm")));
    assert_eq!(num("/hardware/memory_bandwidth_gbps"), 20.0);
    assert_eq!(num("/hardware/compute_units"), 3.0);
    let (large, small) = (num("/large/median"), num("/small/median"));
    let peak_gflops = num("/hardware/peak_tflops/fp32") * 1e3;
    assert!((peak_gflops - 3.0 * large / 0.75).abs() < 1e-3 * peak_gflops, "{h}");
    let small_tile = num("/hardware/gemm_tiles/1/efficiency");
    assert!((small_tile - (0.75 * small / large).clamp(0.01, 1.0)).abs() < 1e-3, "{h}");
    // The profile goes straight back in as a predictor's hardware.
    if let Err(e) = JsPredictor::new(Some(js(&format!(r#"{{"hardware": {h}}}"#)).unchecked_into()))
    {
        panic!("the measured profile is refused as hardware: {}", error_message(e));
    }
    // Bad options come back as errors that name the field.
    for (bad, field) in [
        (r#"{"seconds": 0}"#, "options.seconds"),
        (r#"{"seconds": 61}"#, "options.seconds"),
        (r#"{"seconds": "long"}"#, "options.seconds"),
        (r#"{"hardware": "no-such-device"}"#, "no-such-device"),
        ("5", "options"),
    ] {
        let e = measure_wasm_gemm(Some(js(bad).unchecked_into())).await.err().expect(bad);
        let msg = error_message(e);
        assert!(msg.contains(field), "{bad}: {msg}");
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function deep_equal(a, b, path) {
  if (typeof a !== typeof b) return `${path}: ${typeof a} against ${typeof b}`;
  if (typeof a === 'number') return Object.is(a, b) ? '' : `${path}: ${a} against ${b}`;
  if (a === null || b === null || typeof a !== 'object') return a === b ? '' : `${path}: ${a} against ${b}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array against object`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.join() !== kb.join()) return `${path}: keys [${ka}] against [${kb}]`;
  for (const k of ka) {
    const d = deep_equal(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return '';
}
"#)]
extern "C" {
    /// '' when `a` and `b` are the same plain value (types, key order, numbers by `Object.is`), else where
    /// they first differ.
    fn deep_equal(a: &JsValue, b: &JsValue, path: &str) -> String;
}

/// The design's crate's value of `dto`, as the package built results before `wire::tape`.
fn reference<T: serde::Serialize>(dto: &T) -> JsValue {
    dto.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

#[wasm_bindgen_test]
fn results_are_the_values_serde_wasm_bindgen_makes() {
    let js_predictor = JsPredictor::new(None).unwrap();
    let lib = MultiModelPredictor::default();
    for (name, text, parsed, target) in fixtures() {
        for strategy in Strategy::ALL {
            let via_js = predict_js(&js_predictor, text, strategy.name()).unwrap();
            let direct = lib.predict(&parsed.workload, &target, strategy).unwrap();
            let want = reference(&wire::PredictionDto::from(&direct));
            let diff = deep_equal(&via_js, &want, &format!("{name} {}", strategy.name()));
            assert!(diff.is_empty(), "{diff}");
        }
        let goal = multimodel_perf::Goal::Latency;
        let via_js: JsValue = js_predictor
            .recommend(
                js(text).unchecked_into(),
                None,
                Some(JsValue::from_str(goal.name()).unchecked_into()),
                None,
            )
            .unwrap()
            .into();
        let direct = lib.recommend(&parsed.workload, &target, goal).unwrap();
        let want = reference(&wire::RecommendationDto::from(&direct));
        let diff = deep_equal(&via_js, &want, &format!("{name} recommend"));
        assert!(diff.is_empty(), "{diff}");
    }
    let models: JsValue = multimodel_perf::web::list_models().unwrap().into();
    let diff = deep_equal(&models, &reference(&wire::catalog_models()), "listModels");
    assert!(diff.is_empty(), "{diff}");
    let devices: JsValue = multimodel_perf::web::list_hardware().unwrap().into();
    let diff = deep_equal(&devices, &reference(&wire::catalog_devices()), "listHardware");
    assert!(diff.is_empty(), "{diff}");
    // The comparison itself tells values apart.
    let other = reference(&wire::catalog_models()[1..].to_vec());
    assert!(!deep_equal(&models, &other, "listModels").is_empty());
}

#[wasm_bindgen_test]
fn cold_start_serving_and_memory_advice_are_the_values_serde_wasm_bindgen_makes() {
    use multimodel_perf::predict::coldstart::{cold_start, ColdStartConfig, WeightSource};
    let p = JsPredictor::new(None).unwrap();
    let lib = MultiModelPredictor::default();
    let text = include_str!("data/seed-example.json");
    let parsed = wire::parse_workload(text).unwrap();
    let target = Target::new(parsed.hardware.as_deref().unwrap_or("webgpu")).unwrap();
    let prep = lib.prepare(&parsed.workload, &target).unwrap();
    let check = |got: JsValue, want: JsValue, what: &str| {
        let diff = deep_equal(&got, &want, what);
        assert!(diff.is_empty(), "{diff}");
    };

    let via_js = p.predict_cold_start(js(text).unchecked_into(), None, None).unwrap();
    let config = ColdStartConfig {
        source: WeightSource::parse("source", "disk").unwrap(),
        source_gbps: None,
        warmup_iterations: 0,
    };
    let report = cold_start(&prep, config).unwrap();
    check(via_js.into(), reference(&wire::ColdStartDto::from(&report)), "predictColdStart");

    // A serving run with the capacity search: a seeded simulation, per-model maps and nested reports.
    let options = r#"{"rate": 20, "duration_s": 2, "seed": 7, "capacity": true}"#;
    let via_js = p.simulate_serving(js(text).unchecked_into(), None, js(options).unchecked_into());
    let dto: wire::ServeOptionsDto = serde_json::from_str(options).unwrap();
    let req = wire::serve_request(dto, &prep).unwrap();
    let report = multimodel_perf::serve::simulate(&prep, &req.config).unwrap();
    let cap = multimodel_perf::serve::capacity(&prep, &req.config).unwrap();
    let want = reference(&wire::serve_dto(&req, &report, Some(&cap)));
    check(via_js.unwrap().into(), want, "simulateServing");

    let via_js = p.advise_memory(
        js(text).unchecked_into(),
        None,
        Some(JsValue::from_str("parallel").unchecked_into()),
    );
    let advice = multimodel_perf::predict::memory::advise(
        &parsed.workload,
        &target,
        &lib.sharing,
        Strategy::Parallel,
    )
    .unwrap();
    check(via_js.unwrap().into(), reference(&wire::MemoryAdviceDto::from(&advice)), "adviseMemory");
}
