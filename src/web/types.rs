//! TypeScript definitions of every input and result of the JS API, and the opaque JS types the exports use
//! so that the generated `.d.ts` names them instead of `any`. The data shapes are generated from
//! `crate::wire`'s DTOs into `generated.d.ts` (see `wire/ts.rs`); only options read key by key from JS objects
//! are written here. A test compiles a usage file against the package's definitions with `tsc --noEmit`.

use wasm_bindgen::prelude::*;

/// Every data shape the JS API takes or returns, generated from the `wire` DTOs (`src/wire/ts.rs`).
#[wasm_bindgen(typescript_custom_section)]
const TS_GENERATED: &'static str = include_str!("generated.d.ts");

/// Options read from a JS object (not a DTO: `hardware` may be a profile object, and each key is read on its
/// own so that its error names it).
#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &'static str = r#"
export interface PredictorOptions {
  /** The seed's sharing table. */
  sharingConfig?: SharingConfig;
  /** Default target: "webgpu", "cuda:a100-40gb", … or a profile. */
  hardware?: string | HardwareProfile;
  /** Runtime for the default target, e.g. "transformersjs", "onnxruntime-web", "tensorrt". */
  runtime?: string;
  /** false: the predictions of predictMultiModelPerformance, recommendExecutionStrategy and
   * applyMemoryOptions leave `executionSchedule.timeline` and `memoryTimeline` empty (less to build for a
   * caller that reads totals and per-model figures only; adviseMemory's fit plan keeps them). Default true. */
  timelines?: boolean;
  /** false: every call costs every model again. Default true: each model's prediction alone (per device,
   * runtime and threads) is kept for this predictor's next calls, which return the same numbers faster. */
  memo?: boolean;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PredictorOptions`.
    #[wasm_bindgen(typescript_type = "PredictorOptions")]
    pub type PredictorOptions;
    /// A workload: entries or an object.
    #[wasm_bindgen(typescript_type = "ModelEntry[] | WorkloadObject")]
    pub type ModelsArg;
    /// A target string or a profile.
    #[wasm_bindgen(typescript_type = "string | HardwareProfile")]
    pub type HardwareArg;
    /// Constraints.
    #[wasm_bindgen(typescript_type = "Constraints")]
    pub type ConstraintsArg;
    /// A strategy name.
    #[wasm_bindgen(typescript_type = "Strategy")]
    pub type StrategyArg;
    /// A goal name.
    #[wasm_bindgen(typescript_type = "Goal")]
    pub type GoalArg;
    /// Result of `predictMultiModelPerformance`.
    #[wasm_bindgen(typescript_type = "PredictionResult")]
    pub type PredictionJs;
    /// Result of `recommendExecutionStrategy`.
    #[wasm_bindgen(typescript_type = "RecommendationResult")]
    pub type RecommendationJs;
    /// Options of `predictColdStart`.
    #[wasm_bindgen(typescript_type = "ColdStartOptions")]
    pub type ColdStartOptionsArg;
    /// Result of `predictColdStart`.
    #[wasm_bindgen(typescript_type = "ColdStartResult")]
    pub type ColdStartJs;
    /// Options of `simulateServing`.
    #[wasm_bindgen(typescript_type = "ServeOptions")]
    pub type ServeOptionsArg;
    /// Result of `simulateServing`.
    #[wasm_bindgen(typescript_type = "ServeResult")]
    pub type ServeJs;
    /// Option ranks.
    #[wasm_bindgen(typescript_type = "number[]")]
    pub type RanksArg;
    /// Result of `adviseMemory`.
    #[wasm_bindgen(typescript_type = "MemoryAdvice")]
    pub type MemoryAdviceJs;
    /// Result of `listModels`.
    #[wasm_bindgen(typescript_type = "CatalogModel[]")]
    pub type CatalogModelsJs;
    /// Result of `listHardware`.
    #[wasm_bindgen(typescript_type = "CatalogDevice[]")]
    pub type CatalogDevicesJs;
    /// The bytes of an ONNX file.
    #[wasm_bindgen(typescript_type = "Uint8Array | ArrayBuffer")]
    pub type OnnxBytesArg;
    /// Options of `describeOnnx`.
    #[wasm_bindgen(typescript_type = "DescribeOnnxOptions")]
    pub type DescribeOnnxOptionsArg;
    /// Result of `describeOnnx`.
    #[wasm_bindgen(typescript_type = "OnnxDescription")]
    pub type OnnxDescriptionJs;
}
