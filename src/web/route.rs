//! `routeModels(models, capabilities)` and `recommendBrowser(models)`: the JS face of
//! [`crate::plan::route`]. Inputs go through the same workload DTOs as the predictor and the capability DTO of
//! `detectCapabilities()`; results are the camelCase JSON of [`crate::wire::route`] (the same as
//! `mmperf route --json`), typed below.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{is_absent, js_error, CapabilitiesArg, CapabilitiesDto, ModelsArg};
use crate::catalog::detected::Capabilities;
use crate::error::Error;
use crate::plan::route;
use crate::wire::route::{BrowserRecommendationDto, RouteDecisionDto};
use crate::wire::{self, WorkloadDto};

#[wasm_bindgen(typescript_custom_section)]
const TS_ROUTE: &'static str = r#"
/** Where a model runs in the browser (transformers.js device strings). */
export type RouteBackend = "webgpu" | "webnn-gpu" | "webnn-npu" | "webnn-cpu" | "wasm";

/** A backend that was not chosen. */
export interface RouteAlternative {
  backend: RouteBackend;
  /** Predicted latency, ms; null when the backend was excluded. */
  latencyMs: number | null;
  usable: boolean;
  /** Why it was excluded (the detected reason, the sizes over the binding limit, …) or ranked lower. */
  reason: string;
}

/** Predicted memory on the chosen backend, MB. */
export interface RouteMemory {
  weightsMb: number;
  activationsMb: number;
  kvCacheMb: number;
  workspaceMb: number;
  runtimeOverheadMb: number;
  totalMb: number;
}

/** Where one model goes and why. */
export interface RouteDecision {
  /** Position of the model in the input. */
  index: number;
  model: string;
  backend: RouteBackend;
  /** Device profile the prediction used, e.g. "detected:webgpu:integrated", "webnn:npu". */
  device: string;
  /** Runtime the prediction used ("onnxruntime-web" or "webnn"). */
  runtime: string;
  /** Precision computed with on the chosen backend ("fp32" where f16 needs the missing shader-f16). */
  precision: "fp32" | "fp16" | "bf16" | "int8" | "int4";
  latencyMs: number;
  memory: RouteMemory;
  /** Largest tensor the model binds, bytes (compared with maxStorageBufferBindingSize). */
  largestTensorBytes: number;
  reason: string;
  /** Usable backends by latency first, then the excluded ones. */
  alternatives: RouteAlternative[];
  warnings: string[];
}

/** One model's route in a browser option. */
export interface BrowserRoute { model: string; backend: RouteBackend; latencyMs: number; }

/** One browser on one desktop OS, with the workload routed through what it offers by default. */
export interface BrowserOption {
  browser: "chrome" | "edge" | "firefox" | "safari";
  name: string;
  os: string;
  backends: RouteBackend[];
  /** Sum of the routed latencies, ms; null when some model fits no backend. */
  totalLatencyMs: number | null;
  routes: BrowserRoute[];
  notes: string[];
  sources: string[];
}

/** Browsers ranked for a workload, best first. */
export interface BrowserRecommendation {
  ranked: BrowserOption[];
  reason: string;
  assumptions: string[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// Result of `routeModels`.
    #[wasm_bindgen(typescript_type = "RouteDecision[]")]
    pub type RouteDecisionsJs;
    /// Result of `recommendBrowser`.
    #[wasm_bindgen(typescript_type = "BrowserRecommendation")]
    pub type BrowserRecommendationJs;
}

fn models_from_js(models: ModelsArg) -> Result<Vec<crate::ModelSpec>, JsError> {
    let value: JsValue = models.into();
    if is_absent(&value) {
        return Err(js_error(Error::missing(
            "models",
            "an array of model entries or {models: [...]}",
        )));
    }
    let dto: WorkloadDto = super::from_js(&value, "models")?;
    let parsed = wire::ParsedWorkload::try_from(dto).map_err(js_error)?;
    Ok(parsed.workload.models)
}

/// Chooses a backend (WebGPU, WebNN gpu/npu/cpu or WASM) for each model from `capabilities` (what
/// `detectCapabilities()` resolved to), with the predicted latency and memory there, the reason and the
/// ranked alternatives.
///
/// ```js
/// const caps = await detectCapabilities();
/// for (const d of routeModels([{ model_name: "all-minilm-l6-v2" }], caps)) console.log(d.backend, d.reason);
/// ```
#[wasm_bindgen(js_name = routeModels)]
pub fn route_models(
    models: ModelsArg,
    capabilities: CapabilitiesArg,
) -> Result<RouteDecisionsJs, JsError> {
    let specs = models_from_js(models)?;
    let value: JsValue = capabilities.into();
    if is_absent(&value) {
        return Err(js_error(Error::missing(
            "capabilities",
            "the object detectCapabilities() resolves to",
        )));
    }
    let dto: CapabilitiesDto = super::from_js(&value, "capabilities")?;
    let caps = Capabilities::try_from(dto).map_err(js_error)?;
    let decisions = route::route(&specs, &caps).map_err(js_error)?;
    let out: Vec<RouteDecisionDto> = decisions.iter().map(RouteDecisionDto::from).collect();
    Ok(super::to_js(&out)?.unchecked_into())
}

/// Which browser (Chrome, Edge, Firefox, Safari, per desktop OS) would serve `models` best on a typical
/// laptop from the backends it offers by default, ranked, with the reason and sources.
#[wasm_bindgen(js_name = recommendBrowser)]
pub fn recommend_browser(models: ModelsArg) -> Result<BrowserRecommendationJs, JsError> {
    let specs = models_from_js(models)?;
    let r = route::recommend_browser(&specs);
    Ok(super::to_js(&BrowserRecommendationDto::from(&r))?.unchecked_into())
}
