//! `routeModels(models, capabilities)` and `recommendBrowser(models)`: the JS face of
//! [`crate::plan::route`]. Inputs go through the same workload DTOs as the predictor and the capability DTO of
//! `detectCapabilities()`; results are the camelCase JSON of [`crate::wire::route`] (the same as
//! `mmperf route --json`), typed from those DTOs.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{is_absent, js_error, CapabilitiesArg, CapabilitiesDto, ModelsArg};
use crate::catalog::detected::Capabilities;
use crate::error::Error;
use crate::plan::route;
use crate::wire::route::{BrowserRecommendationDto, RouteDecisionDto};
use crate::wire::{self, WorkloadDto};

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
