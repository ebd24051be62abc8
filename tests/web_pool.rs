//! `ResourcePool` in headless Chromium (`--enable-unsafe-webgpu`: WebGPU on SwiftShader): built-in workloads
//! run for real on WebGPU and WASM with every strategy and are checked against the CPU reference; timings are
//! checked for consistency with the plan; failures (throw, timeout, garbage) stay on their model; fallback;
//! shared tensors with one real `GPUBuffer`; bad arguments. Run with `CHROMEDRIVER=/usr/bin/chromedriver
//! WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome --mode no-install -- --test web_pool`.

#![cfg(target_arch = "wasm32")]

#[path = "support/shadow.rs"]
mod shadow;

#[path = "support/jsvalues.rs"]
mod jsvalues;

use jsvalues::{js, message, to_json};
use multimodel_perf::web::ResourcePool;
use serde_json::{json, Value};
use shadow::{script, Shadow};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn set(o: &JsValue, k: &str, v: &JsValue) {
    js_sys::Reflect::set(o, &JsValue::from_str(k), v).unwrap();
}

fn func(args: &str, body: &str) -> JsValue {
    js_sys::Function::new_with_args(args, body).into()
}

async fn pool(options: Value) -> ResourcePool {
    ResourcePool::create(Some(js(&options).unchecked_into()))
        .await
        .map_err(|e| message(e.into()))
        .expect("a pool")
}

async fn register(pool: &ResourcePool, options: JsValue) -> Result<Value, String> {
    JsFuture::from(pool.register_model(options.unchecked_into()))
        .await
        .map(|v| to_json(&v))
        .map_err(message)
}

async fn execute_raw(pool: &ResourcePool, options: Value) -> Result<JsValue, String> {
    JsFuture::from(pool.execute(None, Some(js(&options).unchecked_into()))).await.map_err(message)
}

async fn execute(pool: &ResourcePool, options: Value) -> Value {
    to_json(&execute_raw(pool, options).await.expect("execute resolves"))
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

fn expect_adapter() -> bool {
    option_env!("MMPERF_EXPECT_WEBGPU_ADAPTER") != Some("0")
}

const MODELS: [&str; 3] = ["bert-base-uncased", "vit-base-patch16-224", "gpt2"];

/// Slack for timer resolution and the awaits between models, ms.
const SLACK_MS: f64 = 5.0;

fn check_timings(run: &Value, backend: &str) {
    let models = run["models"].as_array().unwrap();
    let makespan = f(run, "makespanMs");
    let lat: Vec<f64> = models.iter().map(|m| f(m, "latencyMs")).collect();
    let sum: f64 = lat.iter().sum();
    let max = lat.iter().cloned().fold(0.0, f64::max);
    for m in models {
        assert_eq!(m["status"], "ok", "{m}");
        assert_eq!(m["backend"], backend, "{m}");
        assert!(f(&m["check"], "maxRelativeError") <= f(&m["check"], "tolerance"), "{m}");
        assert!(f(m, "latencyMs") > 0.0);
        assert!(f(m, "startMs") >= 0.0 && f(m, "endMs") <= makespan + 0.5, "{m} vs {makespan}");
        assert!(f(m, "throughput") > 0.0);
        assert!(f(m, "predictedLatencyMs") > 0.0);
    }
    assert!(makespan + 0.5 >= max, "makespan {makespan} < longest model {max}");
    match run["strategy"].as_str().unwrap() {
        "sequential" => {
            // One after another: the makespan is the sum of the parts plus the hand-overs.
            assert!(sum <= makespan + 0.5, "sum {sum} > makespan {makespan}");
            assert!(makespan <= sum * 1.25 + SLACK_MS, "makespan {makespan} vs sum {sum}");
            let mut spans: Vec<(f64, f64)> =
                models.iter().map(|m| (f(m, "startMs"), f(m, "endMs"))).collect();
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in spans.windows(2) {
                assert!(w[1].0 + 0.5 >= w[0].1, "overlap in a sequential run: {spans:?}");
            }
        }
        "parallel" if backend == "wasm" => {
            // Synchronous WASM runs on one thread: started together, they still run one after another.
            assert!(sum <= makespan + 0.5, "sum {sum} > makespan {makespan}");
            assert!(makespan <= sum * 1.25 + SLACK_MS, "makespan {makespan} vs sum {sum}");
        }
        "parallel" => {
            // All start together on the one GPU queue: never longer than running them in turn.
            for m in models {
                assert!(f(m, "startMs") < max, "{m} started after the longest model could end");
            }
            assert!(makespan <= sum * 1.25 + SLACK_MS, "makespan {makespan} vs sum {sum}");
        }
        "batched" => {
            let stages = run["stages"].as_array().unwrap();
            let stage_max: f64 = stages
                .iter()
                .map(|s| {
                    s.as_array()
                        .unwrap()
                        .iter()
                        .map(|id| {
                            let m = models.iter().find(|m| m["id"] == *id).unwrap();
                            f(m, "latencyMs")
                        })
                        .fold(0.0, f64::max)
                })
                .sum();
            assert!(
                makespan + 0.5 >= stage_max,
                "makespan {makespan} < Σ stage maxima {stage_max}"
            );
            assert!(makespan <= sum * 1.25 + SLACK_MS, "makespan {makespan} vs sum {sum}");
        }
        other => panic!("unexpected strategy {other}"),
    }
}

#[wasm_bindgen_test]
async fn three_builtin_workloads_run_with_every_strategy_on_webgpu_and_wasm() {
    let p = pool(json!({})).await;
    let caps = to_json(&p.capabilities().unwrap());
    let has_gpu = caps["webgpu"]["highPerformance"]["adapter"].is_object();
    assert_eq!(has_gpu, expect_adapter(), "{}", caps["webgpu"]);
    let backends: &[&str] = if has_gpu { &["webgpu", "wasm"] } else { &["wasm"] };
    for backend in backends {
        let p = pool(json!({})).await;
        for name in MODELS {
            let r = register(
                &p,
                js(&json!({
                    "id": format!("{name}@{backend}"),
                    "model": {"model_name": name},
                    "backends": [backend],
                    "workload": {"maxMflop": 4}
                })),
            )
            .await
            .unwrap();
            assert_eq!(r["backend"], *backend);
            assert!(r["builtin"].as_bool().unwrap());
            let mflop = f(&r["workload"], "mflop");
            assert!(mflop > 3.0 && mflop < 5.0, "{r}");
            assert!(r["workload"]["gemms"].as_u64().unwrap() > 10);
        }
        for strategy in ["parallel", "sequential", "batched", "auto"] {
            let run = execute(&p, json!({"strategy": strategy, "goal": "latency"})).await;
            assert_eq!(run["succeeded"], 3, "{strategy}: {run}");
            assert_eq!(run["prediction"]["individualPredictions"].as_array().unwrap().len(), 3);
            let device = if *backend == "webgpu" { "pool:webgpu" } else { "pool:wasm-main-thread" };
            assert_eq!(
                run["prediction"]["individualPredictions"][0]["device"], device,
                "{}",
                run["prediction"]
            );
            if strategy == "auto" {
                assert!(run["auto"]["reason"].as_str().unwrap().len() > 10);
            } else {
                assert_eq!(run["strategy"], strategy);
            }
            check_timings(&run, backend);
            let per_model: Vec<String> = run["models"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    format!(
                        "{} {:.2}/{:.2} ms",
                        m["model"],
                        f(m, "latencyMs"),
                        f(m, "predictedLatencyMs")
                    )
                })
                .collect();
            console_log!(
                "{backend} {strategy}: makespan measured {:.2} ms, predicted {:.2} ms; measured/predicted per model: {}",
                f(&run, "makespanMs"),
                f(&run["prediction"]["totalMetrics"], "combinedLatency"),
                per_model.join(", ")
            );
            // The shared queue / the single thread is said, in the warnings, when models run together.
            if run["strategy"] == "parallel" {
                let w = run["warnings"].to_string();
                assert!(w.contains("one after another"), "{w}");
            }
        }
        p.destroy();
    }
}

#[wasm_bindgen_test]
async fn one_models_failure_never_loses_the_others() {
    let p = pool(json!({"timeoutMs": 300, "fallback": false})).await;
    let user = |id: &str, body: &str| {
        let o = js(
            &json!({"id": id, "model": {"model_name": "all-minilm-l6-v2"}, "backends": ["wasm"]}),
        );
        set(&o, "executor", &func("backend, inputs", body));
        o
    };
    register(
        &p,
        user(
            "good",
            "return new Promise(r => setTimeout(() => r(new Float32Array([1, 2, 3])), 5));",
        ),
    )
    .await
    .unwrap();
    register(&p, user("throws", "throw new RangeError('kernel exploded');")).await.unwrap();
    register(
        &p,
        user("hangs", "globalThis.__hangSignal = inputs.signal; return new Promise(() => {});"),
    )
    .await
    .unwrap();
    register(&p, user("garbage", "return new Float32Array([1, NaN, 3]);")).await.unwrap();
    register(&p, user("nothing", "return undefined;")).await.unwrap();
    let checked = user("rejected-by-validate", "return { logits: [0.1, 0.2] };");
    set(
        &checked,
        "validate",
        &func("out", "return out.logits.length === 3 || 'expected 3 logits';"),
    );
    register(&p, checked).await.unwrap();
    register(&p, js(&json!({"id": "builtin", "model": {"model_name": "bert-base-uncased"}, "backends": ["wasm"], "workload": {"maxMflop": 2}}))).await.unwrap();

    let raw = execute_raw(&p, json!({"strategy": "parallel"})).await.unwrap();
    let run = to_json(&raw);
    let status = |id: &str| {
        let m = run["models"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap().clone();
        (m["status"].as_str().unwrap().to_string(), m["error"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(status("good").0, "ok");
    assert_eq!(status("builtin").0, "ok");
    let (s, e) = status("throws");
    assert_eq!(s, "error");
    assert!(e.contains("RangeError") && e.contains("kernel exploded"), "{e}");
    let (s, e) = status("hangs");
    assert_eq!(s, "timeout");
    assert!(e.contains("300 ms"), "{e}");
    let signal = js_sys::Reflect::get(&js_sys::global(), &"__hangSignal".into()).unwrap();
    assert_eq!(js_sys::Reflect::get(&signal, &"aborted".into()).unwrap(), JsValue::TRUE);
    let (s, e) = status("garbage");
    assert_eq!(s, "invalid-output");
    assert!(e.contains("NaN"), "{e}");
    assert_eq!(status("nothing").0, "invalid-output");
    let (s, e) = status("rejected-by-validate");
    assert_eq!(s, "invalid-output");
    assert!(e.contains("expected 3 logits"), "{e}");
    assert_eq!(run["succeeded"], 2);
    assert_eq!(run["failed"], 5);
    // The good model's outputs are there, as the executor returned them.
    let models = js_sys::Reflect::get(&raw, &"models".into()).unwrap();
    let good = js_sys::Array::from(&models)
        .iter()
        .find(|m| js_sys::Reflect::get(m, &"id".into()).unwrap() == "good")
        .unwrap();
    let out = js_sys::Reflect::get(&good, &"outputs".into()).unwrap();
    assert_eq!(js_sys::Float32Array::from(out).to_vec(), vec![1.0, 2.0, 3.0]);
}

#[wasm_bindgen_test]
async fn fallback_moves_a_failing_model_to_the_next_backend() {
    let p = pool(json!({})).await;
    let o = js(
        &json!({"id": "picky", "model": {"model_name": "all-minilm-l6-v2"}, "backends": ["webgpu", "wasm"]}),
    );
    set(
        &o,
        "executor",
        &func(
            "backend",
            "if (backend !== 'wasm') throw new Error('no kernels for ' + backend); return [1, 2];",
        ),
    );
    let r = register(&p, o).await;
    if !expect_adapter() {
        return;
    }
    let r = r.unwrap();
    assert_eq!(r["backend"], "webgpu");
    assert_eq!(r["fallbacks"], json!(["wasm"]));
    let run = execute(&p, json!({"strategy": "sequential"})).await;
    let m = &run["models"][0];
    assert_eq!(m["status"], "ok", "{m}");
    assert_eq!(m["backend"], "wasm");
    assert_eq!(m["plannedBackend"], "webgpu");
    assert_eq!(m["fellBack"], true);
    assert_eq!(m["attempts"][0]["status"], "error");
    assert!(m["attempts"][0]["error"].as_str().unwrap().contains("no kernels for webgpu"));
    // Without fallback the failure stands.
    let run = execute(&p, json!({"strategy": "sequential", "fallback": false})).await;
    assert_eq!(run["models"][0]["status"], "error");
    assert_eq!(run["models"][0]["attempts"].as_array().unwrap().len(), 1);
}

#[wasm_bindgen_test]
async fn shared_tensors_are_counted_once_and_released_on_last_use() {
    if !expect_adapter() {
        return;
    }
    let p = pool(json!({})).await;
    let data = js_sys::Float32Array::new_with_length(1024);
    let opts = js_sys::Object::new();
    set(&opts, "data", &data);
    set(&opts, "gpu", &JsValue::TRUE);
    let t = JsFuture::from(
        p.share_tensor("embeddings".into(), Some(JsValue::from(opts).unchecked_into())),
    )
    .await
    .unwrap();
    assert_eq!(js_sys::Reflect::get(&t, &"byteLength".into()).unwrap(), 4096);
    let seen = js_sys::Array::new();
    js_sys::Reflect::set(&js_sys::global(), &"__seenBuffers".into(), &seen).unwrap();
    for id in ["a", "b"] {
        let o = js(
            &json!({"id": id, "model": {"model_name": "all-minilm-l6-v2"}, "backends": ["webgpu"], "tensors": ["embeddings"]}),
        );
        set(&o, "executor", &func("backend, inputs", "globalThis.__seenBuffers.push(inputs.tensors.embeddings.buffer); return [inputs.tensors.embeddings.byteLength];"));
        register(&p, o).await.unwrap();
    }
    let run = execute(&p, json!({"strategy": "parallel"})).await;
    assert_eq!(run["succeeded"], 2, "{run}");
    assert_eq!(seen.length(), 2);
    assert!(seen.get(0).is_instance_of::<web_sys::GpuBuffer>());
    assert!(js_sys::Object::is(&seen.get(0), &seen.get(1)), "both models bind the same GPUBuffer");
    let mem = to_json(&p.memory().unwrap().into());
    let t = mem["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "embeddings")
        .unwrap()
        .clone();
    assert_eq!(t["refs"], 2);
    assert_eq!(t["onGpu"], true);
    assert_eq!(mem["savedBytes"], 4096.0);
    // Two instances of one built-in model share one set of weight buffers.
    for id in ["bert-1", "bert-2"] {
        register(&p, js(&json!({"id": id, "model": {"model_name": "bert-base-uncased"}, "backends": ["webgpu"], "workload": {"scale": 0.05}}))).await.unwrap();
    }
    let mem = to_json(&p.memory().unwrap().into());
    let weights: Vec<&Value> = mem["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("builtin-weights:bert-base-uncased"))
        .collect();
    assert_eq!(weights.len(), 1, "{mem}");
    assert_eq!(weights[0]["refs"], 2);
    assert!(f(&mem, "totalBytes") >= f(&mem, "sharedBytes"));
    // Release: unregistering drops references; the last one frees built-in weights.
    p.unregister_model("bert-1").unwrap();
    p.unregister_model("bert-2").unwrap();
    let mem = to_json(&p.memory().unwrap().into());
    assert!(!mem.to_string().contains("builtin-weights"), "{mem}");
    p.unregister_model("a").unwrap();
    assert_eq!(p.release_tensor("embeddings", "b").unwrap(), 0);
    let e = p.drop_tensor("nope").map_err(|e| message(e.into())).unwrap_err();
    assert!(e.contains("nope"), "{e}");
    p.drop_tensor("embeddings").unwrap();
    assert_eq!(to_json(&p.memory().unwrap().into())["tensors"], json!([]));
}

#[wasm_bindgen_test]
async fn bad_arguments_name_the_field() {
    let p = pool(json!({})).await;
    let e = register(
        &p,
        js(&json!({"model": {"model_name": "bert-base-uncased"}, "backends": ["cuda"]})),
    )
    .await
    .unwrap_err();
    assert!(e.contains("options.backends[0]") && e.contains("webgpu"), "{e}");
    let e =
        register(&p, js(&json!({"model": {"model_name": "bert-base-uncased", "batch_size": 0}})))
            .await
            .unwrap_err();
    assert!(e.contains("batch_size"), "{e}");
    let e = register(&p, js(&json!({"executor": 3, "model": {"model_name": "bert-base-uncased"}})))
        .await
        .unwrap_err();
    assert!(e.contains("options.executor"), "{e}");
    let e = register(&p, js(&json!({}))).await.unwrap_err();
    assert!(e.contains("options.model"), "{e}");
    let e = register(
        &p,
        js(&json!({"model": {"model_name": "bert-base-uncased"}, "backends": ["webnn-npu"]})),
    )
    .await
    .unwrap_err();
    assert!(e.contains("options.backends"), "{e}");
    let e = execute_raw(&p, json!({})).await.unwrap_err();
    assert!(e.contains("ids") && e.contains("registerModel"), "{e}");
    register(&p, js(&json!({"id": "m", "model": {"model_name": "bert-base-uncased"}, "backends": ["wasm"], "workload": {"maxMflop": 1}}))).await.unwrap();
    let e =
        register(&p, js(&json!({"id": "m", "model": {"model_name": "gpt2"}}))).await.unwrap_err();
    assert!(e.contains("options.id"), "{e}");
    let e = execute_raw(&p, json!({"strategy": "fastest"})).await.unwrap_err();
    assert!(e.contains("options.strategy") && e.contains("auto"), "{e}");
    let e = execute_raw(&p, json!({"timeoutMs": -1})).await.unwrap_err();
    assert!(e.contains("options.timeoutMs"), "{e}");
    let e = JsFuture::from(p.execute(Some(js(&json!(["m", "ghost"])).unchecked_into()), None))
        .await
        .map_err(message)
        .unwrap_err();
    assert!(e.contains("ghost") && e.contains("m"), "{e}");
    let e = ResourcePool::create(Some(js(&json!({"concurrency": {"webgpu": 0}})).unchecked_into()))
        .await
        .map(|_| ())
        .map_err(|e| message(e.into()))
        .unwrap_err();
    assert!(e.contains("options.concurrency.webgpu"), "{e}");
}

fn blob_url(source: &str) -> String {
    js_sys::Function::new_with_args(
        "src",
        "return URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));",
    )
    .call1(&JsValue::NULL, &JsValue::from_str(source))
    .unwrap()
    .as_string()
    .unwrap()
}

#[wasm_bindgen_test]
async fn builtin_workers_run_off_the_main_thread_and_check_their_results() {
    let p = pool(json!({})).await;
    for name in ["bert-base-uncased", "gpt2"] {
        let r = register(
            &p,
            js(&json!({"id": name, "model": {"model_name": name}, "worker": true, "workload": {"maxMflop": 16}})),
        )
        .await
        .unwrap();
        assert_eq!(r["runsOn"], "worker", "{r}");
        assert_eq!(r["backend"], "wasm");
    }
    // A timer set just before the run fires while the workers compute: the page is not blocked.
    let ticked = js_sys::Promise::new(&mut |resolve, _| {
        let cb = js_sys::Function::new_with_args(
            "resolve",
            "setTimeout(() => resolve(performance.now()), 0)",
        );
        cb.call1(&JsValue::NULL, &resolve).unwrap();
    });
    let before = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|perf| js_sys::Reflect::get(&perf, &"now".into()).ok().map(|f| (perf, f)))
        .and_then(|(perf, f)| js_sys::Function::from(f).call0(&perf).ok())
        .and_then(|v| v.as_f64())
        .unwrap();
    let run = execute(&p, json!({"strategy": "parallel"})).await;
    let tick = JsFuture::from(ticked).await.unwrap().as_f64().unwrap();
    let models = run["models"].as_array().unwrap();
    assert_eq!(run["succeeded"], 2, "{run}");
    for m in models {
        assert_eq!(m["runsOn"], "worker");
        assert!(f(&m["check"], "maxRelativeError") <= f(&m["check"], "tolerance"), "{m}");
        assert!(m["outputs"]["checksum"].as_f64().unwrap().is_finite());
    }
    let first_end = models.iter().map(|m| f(m, "endMs")).fold(f64::INFINITY, f64::min);
    assert!(
        tick - before < first_end,
        "timer at +{} ms, first model ended at {first_end} ms",
        tick - before
    );
    // Both were in flight at once.
    let (a, b) = (&models[0], &models[1]);
    assert!(f(a, "startMs") < f(b, "endMs") && f(b, "startMs") < f(a, "endMs"), "{a} {b}");
    // The prediction places them on the workers' profile with their thread budget.
    assert_eq!(run["prediction"]["individualPredictions"][0]["device"], "pool:wasm-workers");
    p.destroy();
}

#[wasm_bindgen_test]
async fn user_workers_answer_fail_and_time_out_in_isolation() {
    let p = pool(json!({"timeoutMs": 400, "fallback": false})).await;
    let good = blob_url(
        "self.onmessage = ({ data }) => { if (data.type === 'mmperf-run') self.postMessage({ runId: data.runId, ok: true, outputs: [data.threads, data.attempt] }); };",
    );
    let failing = blob_url(
        "self.onmessage = ({ data }) => self.postMessage({ runId: data.runId, ok: false, error: { name: 'OrtError', message: 'session failed' } });",
    );
    let silent = blob_url("self.onmessage = () => {};");
    // Two at a time: each worker holds one thread and this machine may have only two cores.
    let add = |id: &'static str, url: String| {
        let o = js(
            &json!({"id": id, "model": {"model_name": "all-minilm-l6-v2"}, "backends": ["wasm"], "worker": {"url": url}}),
        );
        register(&p, o)
    };
    assert_eq!(add("good", good).await.unwrap()["runsOn"], "worker");
    add("failing", failing).await.unwrap();
    let run = execute(&p, json!({"strategy": "parallel"})).await;
    let by_id = |run: &Value, id: &str| {
        run["models"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap().clone()
    };
    assert_eq!(by_id(&run, "good")["status"], "ok", "{run}");
    assert_eq!(by_id(&run, "good")["outputs"], json!([1, 0]));
    assert_eq!(by_id(&run, "failing")["status"], "error");
    let e = by_id(&run, "failing")["error"].as_str().unwrap().to_string();
    assert!(e.contains("OrtError: session failed"), "{e}");
    p.unregister_model("failing").unwrap();
    add("silent", silent).await.unwrap();
    let run = execute(&p, json!({"strategy": "parallel"})).await;
    assert_eq!(by_id(&run, "good")["status"], "ok");
    assert_eq!(by_id(&run, "silent")["status"], "timeout");
    let e = by_id(&run, "silent")["error"].as_str().unwrap().to_string();
    assert!(e.contains("terminated"), "{e}");
    // The terminated worker is started again for the next run (and times out again; the other is unharmed).
    let again = execute(&p, json!({"strategy": "sequential"})).await;
    assert_eq!(again["succeeded"], 1);
    assert_eq!(by_id(&again, "silent")["status"], "timeout");
    p.destroy();
}

#[wasm_bindgen_test]
async fn a_worker_that_throws_fails_its_run_with_a_worker_error() {
    let p = pool(json!({"timeoutMs": 5000, "fallback": false})).await;
    let throws = blob_url(
        "self.onmessage = () => { throw new RangeError('kernel exploded in the worker'); };",
    );
    let o = js(
        &json!({"id": "throws", "model": {"model_name": "all-minilm-l6-v2"}, "backends": ["wasm"], "worker": {"url": throws}}),
    );
    register(&p, o).await.unwrap();
    let start = js_sys::Date::now();
    let run = execute(&p, json!({})).await;
    let elapsed = js_sys::Date::now() - start;
    let m = &run["models"][0];
    // The error event rejects the run at once (not after the 5 s timeout), and the pool handled it.
    assert_eq!(m["status"], "error", "{run}");
    let e = m["error"].as_str().unwrap();
    assert!(e.starts_with("WorkerError") && e.contains("kernel exploded"), "{e}");
    assert!(elapsed < 5000.0, "took {elapsed} ms");
    p.destroy();
}

#[wasm_bindgen_test]
async fn worker_threads_stay_within_the_cores() {
    let p = pool(json!({})).await;
    let cores = to_json(&p.capabilities().unwrap())["hardwareConcurrency"].as_u64().unwrap_or(4);
    register(
        &p,
        js(&json!({"id": "all", "model": {"model_name": "gpt2"}, "worker": {"threads": cores}, "workload": {"maxMflop": 1}})),
    )
    .await
    .unwrap();
    let e = register(&p, js(&json!({"id": "more", "model": {"model_name": "gpt2"}, "worker": true, "workload": {"maxMflop": 1}})))
        .await
        .unwrap_err();
    assert!(e.contains("options.worker.threads") && e.contains("at most 0"), "{e}");
    let o = js(&json!({"model": {"model_name": "gpt2"}, "worker": true}));
    set(&o, "executor", &func("", "return 1;"));
    let e = register(&p, o).await.unwrap_err();
    assert!(e.contains("options.worker") && e.contains("worker.url"), "{e}");
    p.destroy();
}

/// A software WebNN (current spec: tensors and `dispatch`) whose only context is the NPU one; the graph ops
/// compute in JS and count themselves, so the test sees which ops the pool's graph used. Chromium here has
/// `navigator.ml` but cannot create a context, so the graph path is checked against this stand-in.
const SOFTWARE_WEBNN: &str = r#"
globalThis.__nnOps = {};
const count = (op) => { globalThis.__nnOps[op] = (globalThis.__nnOps[op] || 0) + 1; };
const node = (f, shape) => ({ f, shape });
globalThis.MLGraphBuilder = class {
  constructor(context) { if (!context || !context.isSoftware) throw new TypeError('not a context'); }
  input(name, d) { count('input'); return node((env) => env[name], d.shape); }
  constant(d, data) { count('constant'); const v = Float32Array.from(data); return node(() => v, d.shape); }
  matmul(a, b) {
    count('matmul');
    const [m, k] = a.shape, n = b.shape[1];
    if (b.shape[0] !== k) throw new TypeError(`matmul shapes ${a.shape} x ${b.shape}`);
    return node((env) => {
      const x = a.f(env), w = b.f(env), y = new Float32Array(m * n);
      for (let r = 0; r < m; r++) for (let p = 0; p < k; p++) {
        const xv = x[r * k + p];
        for (let c = 0; c < n; c++) y[r * n + c] += xv * w[p * n + c];
      }
      return y;
    }, [m, n]);
  }
  tile(a, reps) {
    count('tile');
    const [m, n] = a.shape, M = m * reps[0], N = n * reps[1];
    return node((env) => {
      const x = a.f(env), y = new Float32Array(M * N);
      for (let r = 0; r < M; r++) for (let c = 0; c < N; c++) y[r * N + c] = x[(r % m) * n + (c % n)];
      return y;
    }, [M, N]);
  }
  slice(a, starts, sizes) {
    count('slice');
    const n = a.shape[1], [M, N] = sizes;
    if (starts[0] + M > a.shape[0] || starts[1] + N > n) throw new RangeError('slice out of bounds');
    return node((env) => {
      const x = a.f(env), y = new Float32Array(M * N);
      for (let r = 0; r < M; r++) for (let c = 0; c < N; c++) y[r * N + c] = x[(r + starts[0]) * n + c + starts[1]];
      return y;
    }, [M, N]);
  }
  async build(outputs) { count('build'); return { outputs }; }
};
const context = {
  isSoftware: true,
  opSupportLimits() {
    return { input: { dataTypes: ['float32'] }, constant: { dataTypes: ['float32'] }, output: { dataTypes: ['float32'] },
             matmul: { a: { dataTypes: ['float32', 'float16'] }, b: { dataTypes: ['float32', 'float16'] } } };
  },
  async createTensor(d) { return { shape: d.shape, data: null, destroy() {} }; },
  writeTensor(t, data) { t.data = Float32Array.from(data); },
  dispatch(graph, inputs, outputs) {
    const env = {};
    for (const k in inputs) env[k] = inputs[k].data;
    for (const k in outputs) outputs[k].data = graph.outputs[k].f(env);
  },
  async readTensor(t) { return t.data.buffer; },
  destroy() {},
};
return {
  async createContext(options) {
    if (options.powerPreference !== 'low-power') throw new DOMException('only the NPU context exists here', 'NotSupportedError');
    return context;
  },
};
"#;

#[wasm_bindgen_test]
async fn builtin_workloads_run_as_webnn_graphs_where_a_context_exists() {
    let _ml = Shadow::new("ml", &script(SOFTWARE_WEBNN));
    let p = pool(json!({})).await;
    for name in ["bert-base-uncased", "resnet-50"] {
        let r = register(
            &p,
            js(&json!({"id": name, "model": {"model_name": name}, "backends": ["webnn-npu", "wasm"], "workload": {"maxMflop": 1}})),
        )
        .await
        .unwrap();
        assert_eq!(r["backend"], "webnn-npu", "{r}");
        assert_eq!(r["runsOn"], "webnn-context");
    }
    let run = execute(&p, json!({"strategy": "sequential"})).await;
    for m in run["models"].as_array().unwrap() {
        assert_eq!(m["status"], "ok", "{m}");
        assert_eq!(m["backend"], "webnn-npu");
        assert!(f(&m["check"], "maxRelativeError") <= f(&m["check"], "tolerance"), "{m}");
    }
    let ops = to_json(&js_sys::Reflect::get(&js_sys::global(), &"__nnOps".into()).unwrap());
    // One graph per model; ResNet's widening layers need tile, every shape change a slice.
    assert_eq!(ops["build"], 2, "{ops}");
    assert!(ops["tile"].as_u64().unwrap_or(0) > 0, "{ops}");
    assert!(ops["slice"].as_u64().unwrap_or(0) > 0, "{ops}");
    p.destroy();
    js_sys::Reflect::delete_property(&js_sys::global(), &"MLGraphBuilder".into()).unwrap();
}
