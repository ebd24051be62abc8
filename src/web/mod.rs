//! The WebAssembly face of the library (`cfg(target_arch = "wasm32")`): `#[wasm_bindgen]` exports that take
//! plain JS objects, validate them through [`crate::wire`] exactly as the CLI does, and return plain JS objects
//! with the same camelCase shape as `mmperf … --json`. JS handles never leave this module; every export
//! returns `Result<_, JsError>` with a message naming the field, the value and what is allowed.

#[cfg(not(feature = "predictor-only"))]
mod detect;
#[cfg(not(feature = "predictor-only"))]
mod gemm;
#[cfg(not(feature = "predictor-only"))]
mod js;
#[cfg(not(feature = "predictor-only"))]
mod pool;
#[cfg(not(feature = "predictor-only"))]
mod route;
#[cfg(not(feature = "predictor-only"))]
mod store;
mod types;
#[cfg(not(feature = "predictor-only"))]
mod webgpu;
#[cfg(not(feature = "predictor-only"))]
mod webnn;
#[cfg(not(feature = "predictor-only"))]
mod worker;

use serde::Serialize;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::catalog::hardware::{self, DeviceProfile};
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::SharingConfig;
use crate::error::Error;
#[cfg(not(feature = "predictor-only"))]
use crate::predict::coldstart::{cold_start, ColdStartConfig, WeightSource};
use crate::predict::multi::{Constraints, Strategy, Target};
use crate::wire::{self, tape, ConstraintsDto, HardwareProfileDto, SharingRuleDto, WorkloadDto};
use crate::{Goal, MultiModelPredictor};

#[cfg(not(feature = "predictor-only"))]
pub use detect::*;
#[cfg(not(feature = "predictor-only"))]
pub use gemm::*;
#[cfg(not(feature = "predictor-only"))]
pub use pool::*;
#[cfg(not(feature = "predictor-only"))]
pub use route::*;
pub use types::*;

/// Turns any panic into a readable `console.error` message (there should be none: inputs are validated).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

thread_local! {
    /// The capabilities the last `detectCapabilities()` (or `ResourcePool.create()`) found in this global
    /// scope: what `hardware: "detected"` predicts with.
    static LAST_DETECTED: std::cell::RefCell<Option<crate::catalog::detected::Capabilities>> =
        const { std::cell::RefCell::new(None) };
}

/// `hardware: "browser"`: every model on the backend routing picks for it in this browser (the detected WebGPU
/// or WASM profile, or a WebNN context), with that backend's runtime and precision, as the resource pool
/// predicts its runs.
fn browser_placement(workload: &mut crate::Workload) -> Result<Target, JsError> {
    let caps = LAST_DETECTED.with(|d| d.borrow().clone()).ok_or_else(|| {
        js_error(Error::invalid(
            "hardware",
            "browser",
            "a catalog target, or \"browser\" after `await detectCapabilities()` (or ResourcePool.create()) has run in this page",
        ))
    })?;
    let decisions = crate::plan::route::route(&workload.models, &caps).map_err(js_error)?;
    let mut devices: Vec<DeviceProfile> = Vec::new();
    for (spec, d) in workload.models.iter_mut().zip(&decisions) {
        let mut profile = crate::plan::route::backend_profile(&caps, d.backend).map_err(|why| {
            js_error(Error::invalid(
                "hardware",
                "browser",
                format!("a usable {}: {why}", d.backend.label()),
            ))
        })?;
        profile.id = format!("browser:{}", d.backend.name());
        spec.device = Some(profile.id.clone());
        spec.runtime = Some(d.runtime.clone());
        spec.precision = d.precision;
        if !devices.iter().any(|p| p.id == profile.id) {
            devices.push(profile);
        }
    }
    let device = devices
        .first()
        .cloned()
        .ok_or_else(|| js_error(Error::invalid("models", "[]", "at least one model entry")))?;
    Ok(Target { device: device.into(), runtime: None, devices })
}

/// Remembers detected capabilities for `hardware: "detected"`.
#[cfg(not(feature = "predictor-only"))]
fn remember_detected(caps: &crate::catalog::detected::Capabilities) {
    LAST_DETECTED.with(|d| *d.borrow_mut() = Some(caps.clone()));
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// Reads a JS value into a DTO through JSON, with the same parser and the same messages as the CLI. JSON has
/// no NaN or infinity, so non-finite numbers are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`,
/// which the DTOs read back as numbers for validation to reject by field name.
fn from_js<T: serde::de::DeserializeOwned>(v: &JsValue, what: &str) -> Result<T, JsError> {
    from_json(&json_of(v, what)?, what)
}

/// A JS value's JSON text, as [`from_js`] reads it.
fn json_of(v: &JsValue, what: &str) -> Result<String, JsError> {
    json_text(v).ok().and_then(|s| s.as_string()).ok_or_else(|| {
        js_error(Error::Malformed {
            what: what.to_string(),
            detail: "not representable as JSON (a function, a BigInt or a cycle?)".to_string(),
        })
    })
}

/// A DTO from JSON text, with the CLI's parser and messages.
fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, JsError> {
    serde_json::from_str(json)
        .map_err(|e| js_error(Error::Malformed { what: what.to_string(), detail: e.to_string() }))
}

// `JSON.stringify` writes a non-finite number as `null`, so text without any `null` had none and is the
// answer; only text with one (a real null, a non-finite number, or the word inside a string) is written
// again with the replacer, which takes the engine off its fast path.
#[wasm_bindgen(inline_js = r#"
const nonFinite = (_key, x) => (typeof x === 'number' && !Number.isFinite(x) ? (Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity') : x);
export function json_text(v) {
  const plain = JSON.stringify(v);
  return plain === undefined || plain.includes('null') ? JSON.stringify(v, nonFinite) : plain;
}
"#)]
extern "C" {
    /// `JSON.stringify` with non-finite numbers as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; the
    /// replacer is JavaScript, so the engine never calls back into WebAssembly per value.
    #[wasm_bindgen(catch)]
    fn json_text(v: &JsValue) -> Result<JsValue, JsValue>;
}

// The JavaScript half of `wire::tape`: builds a result's objects from its tape in one call. `KEYS` holds, per
// WebAssembly instance (`tape_instance` numbers them: two instances can share this module when the glue is
// loaded twice), the field names sent so far; `fresh` is an array of new ones (or `undefined`), and `base` is
// how many the instance has sent before: it answers `undefined` when it holds fewer (a fresh copy of this
// module), and the caller sends them all again. The names are strings of their own, so the table never holds
// a slice of a result's text.
#[wasm_bindgen(inline_js = r#"
const KEYS = new Map();
let instances = 0;
export function tape_instance() { return ++instances; }
function table(instance) {
  let t = KEYS.get(instance);
  if (t === undefined) { t = { keys: [], templates: [] }; KEYS.set(instance, t); }
  return t;
}
export function decode_tape(ops, nums, text, ends, instance, base, fresh, shapeBase, shapes) {
  const { keys, templates } = table(instance);
  if (keys.length < base || templates.length < shapeBase) return undefined;
  keys.length = base;
  templates.length = shapeBase;
  if (fresh !== undefined) for (const k of fresh) keys.push(k);
  for (let i = 0; i < shapes.length; i += shapes[i] + 1) {
    const names = Array.from(shapes.subarray(i + 1, i + 1 + shapes[i]), (k) => JSON.stringify(keys[k]) + ':null');
    templates.push(JSON.parse('{' + names.join(',') + '}'));
  }
  const strs = new Array(ends.length);
  let a = 0;
  for (let i = 0; i < ends.length; i++) { const b = ends[i]; strs[i] = text.slice(a, b); a = b; }
  let p = 0, q = 0;
  const value = () => {
    switch (ops[p++]) {
      case 3: return nums[q++];
      case 4: return strs[ops[p++]];
      case 6: case 7: {
        let o;
        if (ops[p - 1] === 6) o = {};
        else { const t = ops[p++]; o = t === 0xffffffff ? {} : { ...templates[t] }; }
        for (;;) {
          const k = ops[p++];
          if (k === 0xffffffff) return o;
          o[k >= 0x80000000 ? strs[k - 0x80000000] : keys[k]] = value();
        }
      }
      case 5: {
        const out = [];
        while (ops[p] !== 0xffffffff) out.push(value());
        p++;
        return out;
      }
      case 0: return null;
      case 1: return false;
      case 2: return true;
    }
    throw new Error(`malformed result tape at ${p - 1}`);
  };
  return value();
}
"#)]
extern "C" {
    /// A number for this WebAssembly instance's field-name table, new on each call.
    fn tape_instance() -> u32;
    /// Builds the value `ops`, `nums`, `text` and `ends` describe (`wire::tape`), `fresh` being the field
    /// names (an array, or `undefined` for none) that `instance`'s table lacks and `base` the number it has,
    /// `shapes` the shapes it lacks (each as its number of names, then their indices) and `shape_base` the
    /// number it has; `undefined` if it has fewer of either. Caught: an exception comes back as an error, it
    /// does not unwind.
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    fn decode_tape(
        ops: &[u32],
        nums: &[f64],
        text: &str,
        ends: &[u32],
        instance: u32,
        base: u32,
        fresh: &JsValue,
        shape_base: u32,
        shapes: &[u32],
    ) -> Result<JsValue, JsValue>;
}

/// What every result's conversion reuses: the field names sent to `decode_tape`'s table for this instance
/// (`instance`, 0 until it has a number) and the tape's buffers.
#[derive(Default)]
struct TapeState {
    instance: u32,
    keys: tape::Keys,
    tape: tape::Tape,
}

thread_local! {
    /// Taken out for each conversion and put back after it: a conversion cut short (a trap, an exception)
    /// leaves a fresh state behind, never a borrowed one, and the next conversion starts a new table.
    static TAPE: std::cell::Cell<TapeState> = std::cell::Cell::default();
}

/// A result as a plain JS value: written as a `wire::tape`, built by `decode_tape` in one call. The same
/// value `serde_wasm_bindgen::Serializer::json_compatible()` makes (`tests/web.rs` checks them deep-equal).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let mut state = TAPE.take();
    let out = convert(value, &mut state);
    // A very large result (a long serving trace) does not hold its buffers for the page's life.
    if state.tape.ops.capacity() > 1 << 20 {
        state.tape = tape::Tape::default();
    }
    TAPE.set(state);
    out
}

/// [`to_js`] with its state: the tape written, then decoded (a second time with every name when the table
/// was lost).
fn convert<T: Serialize>(value: &T, state: &mut TapeState) -> Result<JsValue, JsError> {
    let failed =
        |why: &str| JsError::new(&format!("cannot convert the result to a JS value: {why}"));
    if state.instance == 0 {
        state.instance = tape_instance();
    }
    let TapeState { instance, keys, tape: t } = state;
    tape::encode_into(value, keys, t).map_err(|e| failed(&e.to_string()))?;
    for _ in 0..2 {
        let (base, fresh) = keys.unsent();
        let names = if fresh.is_empty() {
            JsValue::UNDEFINED
        } else {
            fresh.iter().map(|n| JsValue::from_str(n)).collect::<js_sys::Array>().into()
        };
        let (shape_base, shapes) = keys.unsent_shapes();
        let v = decode_tape(
            &t.ops,
            &t.nums,
            &t.text,
            &t.ends,
            *instance,
            base as u32,
            &names,
            shape_base as u32,
            &shapes,
        )
        .map_err(|e| {
            let message = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()));
            failed(message.as_deref().unwrap_or("the decoder failed"))
        })?;
        if !v.is_undefined() {
            keys.mark_sent();
            return Ok(v);
        }
        keys.forget_sent();
    }
    Err(failed("the decoder lost its field names"))
}

fn is_absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

/// A hardware argument: a target string, a profile object, or nothing (the default).
fn hardware_from_js(v: &JsValue, field: &str) -> Result<Option<Arc<DeviceProfile>>, JsError> {
    if is_absent(v) {
        return Ok(None);
    }
    if let Some(s) = v.as_string() {
        if s.trim().eq_ignore_ascii_case("detected") {
            return LAST_DETECTED.with(|d| {
                d.borrow()
                    .as_ref()
                    .map(|caps| Some(crate::catalog::detected::profile_from_capabilities(caps).0.into()))
                    .ok_or_else(|| {
                        js_error(Error::invalid(
                            field,
                            "detected",
                            "a catalog target, or \"detected\" after `await detectCapabilities()` (or ResourcePool.create()) has run in this page",
                        ))
                    })
            });
        }
        return hardware::shared(&s).map(Some).map_err(js_error);
    }
    if v.is_object() {
        let dto: HardwareProfileDto = from_js(v, field)?;
        return DeviceProfile::try_from(dto).map(|d| Some(d.into())).map_err(js_error);
    }
    Err(js_error(Error::invalid(
        field,
        format!("{v:?}"),
        "a target string such as \"webgpu\" or \"cuda:a100-40gb\", or a hardware profile object",
    )))
}

fn string_option(v: &JsValue, field: &str) -> Result<Option<String>, JsError> {
    if is_absent(v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| js_error(Error::invalid(field, format!("{v:?}"), "a string")))
}

fn name_arg(v: Option<JsValue>, field: &str, default: &str) -> Result<String, JsError> {
    match v {
        Some(v) if !is_absent(&v) => v
            .as_string()
            .ok_or_else(|| js_error(Error::invalid(field, format!("{v:?}"), "a string"))),
        _ => Ok(default.to_string()),
    }
}

/// Predicts and plans multi-model workloads; the JS twin of [`crate::MultiModelPredictor`].
#[wasm_bindgen(js_name = MultiModelPredictor)]
pub struct JsPredictor {
    inner: MultiModelPredictor,
    /// The constructor's device, shared with every call's target (not copied per call).
    hardware: Option<Arc<DeviceProfile>>,
    runtime: Option<RuntimeProfile>,
    /// `options.timelines`: the predictions this predictor returns carry the schedule's timeline and memory
    /// curve.
    timelines: bool,
    /// With the memo on: the JSON text of the last call's models and constraints and what they parsed to,
    /// so that a call with the same text (a page asking again about the same models) does not parse and
    /// validate it again.
    last_input: std::cell::RefCell<Option<LastInput>>,
}

/// A call's inputs as JSON text and the workload they parse to ([`JsPredictor::workload`]).
struct LastInput {
    models: String,
    constraints: Option<String>,
    parsed: wire::ParsedWorkload,
}

#[wasm_bindgen(js_class = MultiModelPredictor)]
impl JsPredictor {
    /// `options.sharingConfig` (the seed schema), `options.hardware` (target string or profile object, default
    /// `webgpu`), `options.runtime` (default: the platform's), `options.timelines` (default `true`; `false`
    /// leaves `executionSchedule.timeline` and `memoryTimeline` empty in the predictions that
    /// `predictMultiModelPerformance`, `recommendExecutionStrategy` and `applyMemoryOptions` return),
    /// `options.memo` (default `true`: single-model predictions are kept for the predictor's next calls,
    /// `SingleMemo`, the workload its last predict or recommend resolved, `PreparedMemo`, and its last call's
    /// inputs as JSON text with what they parsed to; `false`: every call parses and resolves its workload
    /// and costs every model again; the results are the same).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<PredictorOptions>) -> Result<JsPredictor, JsError> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        if is_absent(&options) {
            return Ok(JsPredictor {
                inner: MultiModelPredictor::default(),
                hardware: None,
                runtime: None,
                timelines: true,
                last_input: Default::default(),
            });
        }
        if !options.is_object() {
            return Err(js_error(Error::invalid(
                "options",
                format!("{options:?}"),
                "an object with sharingConfig, hardware, runtime, timelines and memo",
            )));
        }
        let get = |k: &str| {
            js_sys::Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        };
        let hardware = hardware_from_js(&get("hardware"), "options.hardware")?;
        let runtime = string_option(&get("runtime"), "options.runtime")?
            .map(|r| RuntimeProfile::find(&r))
            .transpose()
            .map_err(js_error)?;
        let flag = |k: &str| match get(k) {
            v if is_absent(&v) => Ok(true),
            v => v.as_bool().ok_or_else(|| {
                js_error(Error::invalid(format!("options.{k}"), format!("{v:?}"), "true or false"))
            }),
        };
        let timelines = flag("timelines")?;
        let memo = flag("memo")?;
        let sharing_value = get("sharingConfig");
        let sharing_value =
            if is_absent(&sharing_value) { get("sharing_config") } else { sharing_value };
        let sharing = if is_absent(&sharing_value) {
            SharingConfig::default()
        } else {
            let table: crate::flatmap::FlatMap<String, SharingRuleDto> =
                from_js(&sharing_value, "options.sharingConfig")?;
            SharingConfig::try_from(table).map_err(js_error)?
        };
        let inner = MultiModelPredictor::new(sharing);
        let inner = if memo { inner } else { inner.without_memo() };
        Ok(JsPredictor { inner, hardware, runtime, timelines, last_input: Default::default() })
    }

    fn target(
        &self,
        hardware: &JsValue,
        workload_hw: Option<String>,
        workload_rt: Option<String>,
    ) -> Result<Target, JsError> {
        let device = match hardware_from_js(hardware, "hardware")? {
            Some(d) => d,
            None => match (&workload_hw, &self.hardware) {
                (Some(h), _) => hardware::shared(h).map_err(js_error)?,
                (None, Some(d)) => Arc::clone(d),
                (None, None) => hardware::shared("webgpu").map_err(js_error)?,
            },
        };
        let runtime = match (&self.runtime, workload_rt) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(r)) => Some(RuntimeProfile::find(&r).map_err(js_error)?),
            (None, None) => None,
        };
        Ok(Target { device, runtime, devices: Vec::new() })
    }

    /// The workload (with `constraints`) and the target: the arguments every export starts from.
    fn inputs(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        constraints: JsValue,
    ) -> Result<(wire::ParsedWorkload, Target), JsError> {
        let mut parsed = self.workload(&models.into(), &constraints)?;
        let hardware: JsValue = hardware.map_or(JsValue::UNDEFINED, Into::into);
        let browser =
            |v: Option<String>| v.is_some_and(|h| h.trim().eq_ignore_ascii_case("browser"));
        if browser(hardware.as_string())
            || (is_absent(&hardware) && browser(parsed.hardware.clone()))
        {
            let target = browser_placement(&mut parsed.workload)?;
            return Ok((parsed, target));
        }
        let target = self.target(&hardware, parsed.hardware.clone(), parsed.runtime.clone())?;
        Ok((parsed, target))
    }

    fn workload(
        &self,
        models: &JsValue,
        constraints: &JsValue,
    ) -> Result<wire::ParsedWorkload, JsError> {
        if is_absent(models) {
            return Err(js_error(Error::missing(
                "models",
                "an array of model entries or {models: [...]}",
            )));
        }
        let models = json_of(models, "models")?;
        let constraints =
            if is_absent(constraints) { None } else { Some(json_of(constraints, "constraints")?) };
        // The same text as the last call's parses to what it parsed to (kept only with the memo on).
        if let Some(last) = self.last_input.borrow().as_ref() {
            if last.models == models && last.constraints == constraints {
                return Ok(last.parsed.clone());
            }
        }
        let dto: WorkloadDto = from_json(&models, "models")?;
        let mut parsed = crate::wire::ParsedWorkload::try_from(dto).map_err(js_error)?;
        if let Some(text) = &constraints {
            let c: ConstraintsDto = from_json(text, "constraints")?;
            let c: Constraints = c.into_constraints().map_err(js_error)?;
            parsed.workload.constraints = c;
        }
        if self.inner.prepared.is_some() {
            *self.last_input.borrow_mut() =
                Some(LastInput { models, constraints, parsed: parsed.clone() });
        }
        Ok(parsed)
    }

    /// The seed's `predict_multi_model_performance`: one strategy (default `parallel`), simulated.
    #[wasm_bindgen(js_name = predictMultiModelPerformance)]
    pub fn predict(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        strategy: Option<StrategyArg>,
        constraints: Option<ConstraintsArg>,
    ) -> Result<PredictionJs, JsError> {
        let (parsed, target) =
            self.inputs(models, hardware, constraints.map_or(JsValue::UNDEFINED, Into::into))?;
        let strategy = Strategy::parse(
            "strategy",
            &name_arg(strategy.map(Into::into), "strategy", "parallel")?,
        )
        .map_err(js_error)?;
        let p = self.inner.predict(&parsed.workload, &target, strategy).map_err(js_error)?;
        Ok(to_js(&wire::PredictionDto::with_timelines(&p, self.timelines))?.unchecked_into())
    }

    /// The seed's `recommend_execution_strategy`: every strategy evaluated, the best feasible one for `goal`
    /// (default `throughput`).
    #[wasm_bindgen(js_name = recommendExecutionStrategy)]
    pub fn recommend(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        goal: Option<GoalArg>,
        constraints: Option<ConstraintsArg>,
    ) -> Result<RecommendationJs, JsError> {
        let (parsed, target) =
            self.inputs(models, hardware, constraints.map_or(JsValue::UNDEFINED, Into::into))?;
        let goal = Goal::parse("goal", &name_arg(goal.map(Into::into), "goal", "throughput")?)
            .map_err(js_error)?;
        let r = self.inner.recommend(&parsed.workload, &target, goal).map_err(js_error)?;
        Ok(to_js(&wire::RecommendationDto::with_timelines(&r, self.timelines))?.unchecked_into())
    }
}

#[cfg(not(feature = "predictor-only"))]
#[wasm_bindgen(js_class = MultiModelPredictor)]
impl JsPredictor {
    /// First run (weights read and copied, kernels compiled, warm-up) against a warm run, per strategy.
    #[wasm_bindgen(js_name = predictColdStart)]
    pub fn predict_cold_start(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        options: Option<ColdStartOptionsArg>,
    ) -> Result<ColdStartJs, JsError> {
        let (parsed, target) = self.inputs(models, hardware, JsValue::UNDEFINED)?;
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let o: wire::ColdStartOptionsDto = if is_absent(&options) {
            wire::ColdStartOptionsDto::default()
        } else {
            from_js(&options, "options")?
        };
        let source = WeightSource::parse("options.source", o.source.as_deref().unwrap_or("disk"))
            .map_err(js_error)?;
        let config = ColdStartConfig {
            source,
            source_gbps: o.source_gbps,
            warmup_iterations: o.warmup_iterations.unwrap_or(0),
        };
        let prep = self.inner.prepared(&parsed.workload, &target).map_err(js_error)?;
        let report = cold_start(&prep, config).map_err(js_error)?;
        Ok(to_js(&wire::ColdStartDto::from(&report))?.unchecked_into())
    }
}

#[cfg(not(feature = "predictor-only"))]
#[wasm_bindgen(js_class = MultiModelPredictor)]
impl JsPredictor {
    /// Serving under load: requests arrive at each model (`options.rate`, `rates`, `traces`), queue and run
    /// under a policy; latency percentiles, throughput, utilisation and the highest sustainable rates.
    #[wasm_bindgen(js_name = simulateServing)]
    pub fn simulate_serving(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        options: ServeOptionsArg,
    ) -> Result<ServeJs, JsError> {
        let (parsed, target) = self.inputs(models, hardware, JsValue::UNDEFINED)?;
        let options: JsValue = options.into();
        if is_absent(&options) {
            return Err(js_error(Error::missing(
                "options",
                "an object with rate, rates or traces",
            )));
        }
        let dto: wire::ServeOptionsDto = from_js(&options, "options")?;
        let prep = self.inner.prepared(&parsed.workload, &target).map_err(js_error)?;
        let req = wire::serve_request(dto, &prep).map_err(js_error)?;
        let report = crate::serve::simulate(&prep, &req.config).map_err(js_error)?;
        let cap = if req.capacity {
            Some(crate::serve::capacity(&prep, &req.config).map_err(js_error)?)
        } else {
            None
        };
        Ok(to_js(&wire::serve_dto(&req, &report, cap.as_ref()))?.unchecked_into())
    }
}

#[cfg(not(feature = "predictor-only"))]
#[wasm_bindgen(js_class = MultiModelPredictor)]
impl JsPredictor {
    /// Where memory goes for `strategy` (default `parallel`) and ranked options to reduce it, each measured by
    /// re-predicting with it applied; a fit plan when the workload does not fit.
    #[wasm_bindgen(js_name = adviseMemory)]
    pub fn advise_memory(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        strategy: Option<StrategyArg>,
    ) -> Result<MemoryAdviceJs, JsError> {
        let (parsed, target, strategy) = self.memory_inputs(models, hardware, strategy)?;
        let advice = crate::predict::memory::advise(
            &parsed.workload,
            &target,
            &self.inner.sharing,
            strategy,
        )
        .map_err(js_error)?;
        Ok(to_js(&wire::MemoryAdviceDto::from(&advice))?.unchecked_into())
    }

    /// Applies the advice's options with these ranks (0 = the fit plan) and returns the new prediction.
    #[wasm_bindgen(js_name = applyMemoryOptions)]
    pub fn apply_memory_options(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        strategy: Option<StrategyArg>,
        ranks: RanksArg,
    ) -> Result<PredictionJs, JsError> {
        let (parsed, target, strategy) = self.memory_inputs(models, hardware, strategy)?;
        let advice = crate::predict::memory::advise(
            &parsed.workload,
            &target,
            &self.inner.sharing,
            strategy,
        )
        .map_err(js_error)?;
        let ranks: Vec<usize> = from_js(&ranks.into(), "ranks")?;
        let changes = wire::memory_changes(&advice, &ranks).map_err(js_error)?;
        let applied = crate::predict::memory::apply(
            &parsed.workload,
            &target,
            &self.inner.sharing,
            strategy,
            &changes,
        )
        .map_err(js_error)?;
        Ok(to_js(&wire::PredictionDto::with_timelines(&applied.prediction, self.timelines))?
            .unchecked_into())
    }

    fn memory_inputs(
        &self,
        models: ModelsArg,
        hardware: Option<HardwareArg>,
        strategy: Option<StrategyArg>,
    ) -> Result<(wire::ParsedWorkload, Target, Strategy), JsError> {
        let (parsed, target) = self.inputs(models, hardware, JsValue::UNDEFINED)?;
        let strategy = Strategy::parse(
            "strategy",
            &name_arg(strategy.map(Into::into), "strategy", "parallel")?,
        )
        .map_err(js_error)?;
        Ok((parsed, target, strategy))
    }
}

/// Every catalog model with its derived and published parameter counts.
#[wasm_bindgen(js_name = listModels)]
pub fn list_models() -> Result<CatalogModelsJs, JsError> {
    Ok(to_js(&wire::catalog_models())?.unchecked_into())
}

/// Every catalog device with its datasheet numbers and sources.
#[wasm_bindgen(js_name = listHardware)]
pub fn list_hardware() -> Result<CatalogDevicesJs, JsError> {
    Ok(to_js(&wire::catalog_devices())?.unchecked_into())
}

/// Describes a model from the bytes of its ONNX file: parameters, FLOPs, and a model entry whose `graph`
/// holds the operators the predictor costs (see `mmperf describe`). Dynamic dimensions bind from `options`.
#[cfg(not(feature = "predictor-only"))]
#[wasm_bindgen(js_name = describeOnnx)]
pub fn describe_onnx(
    bytes: &OnnxBytesArg,
    options: Option<DescribeOnnxOptionsArg>,
) -> Result<OnnxDescriptionJs, JsError> {
    let v: &JsValue = bytes.as_ref();
    let data = if let Some(a) = v.dyn_ref::<js_sys::Uint8Array>() {
        a.to_vec()
    } else if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        js_sys::Uint8Array::new(b).to_vec()
    } else {
        return Err(js_error(Error::invalid(
            "bytes",
            format!("{v:?}"),
            "the ONNX file as a Uint8Array or an ArrayBuffer (e.g. new Uint8Array(await (await fetch(url)).arrayBuffer()))",
        )));
    };
    let o: wire::graph::DescribeOptionsDto = match options.map(JsValue::from) {
        Some(o) if !is_absent(&o) => from_js(&o, "describeOnnx options")?,
        _ => wire::graph::DescribeOptionsDto::default(),
    };
    let opts = crate::onnx::Options::try_from(o).map_err(js_error)?;
    let d = crate::onnx::describe(data, &opts).map_err(js_error)?;
    Ok(to_js(&wire::graph::DescriptionDto::from(&d))?.unchecked_into())
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
