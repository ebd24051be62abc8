//! # multimodel-perf
//!
//! Predicts, plans and measures several AI models running at once on one device, natively (library and the
//! `mmperf` CLI) and in the browser (the `multimodel-perf` npm package, built from this crate).
//!
//! ## Bird's-eye view
//!
//! A workload is a list of model entries (name, batch, precision, input size) and a target device. The
//! [`catalog`] knows each model's layers and each device's datasheet; [`predict::single`] turns one model on
//! one device into a per-operator roofline with dispatch overheads; [`sim`] runs several models under a plan
//! (parallel, sequential, batched groups) on virtual time with processor sharing of compute units, memory
//! bandwidth, device queues and CPU cores; [`plan`] searches groupings and thread splits and recommends the
//! best feasible plan for a goal; [`wire`] is the JSON boundary shared by the CLI and the WebAssembly build.
//!
//! ## Code map
//!
//! - `catalog/`: `arch.rs` (layers → operators), `models.rs` (published architectures), `hardware.rs`
//!   (device profiles with sources, idle power, throttling), `runtime.rs` (runtime profiles), `sharing.rs`
//!   (sharing table), `detected.rs` (browser capabilities → a hardware profile, with reasons).
//! - `predict/`: `spec.rs` (validated inputs), `single.rs` (one model), `multi.rs` (workload + plan →
//!   simulation), `report.rs` (schedule → report, energy, swap), `coldstart.rs` (first run vs warm),
//!   `memory/` (memory breakdown and ranked, re-predicted optimisation options), `grouping.rs` (the
//!   `batched` grouping search) and `threads.rs` (CPU thread splits).
//! - `sim/`: the discrete-event simulator. `plan/`: the recommendation (every strategy weighed for a goal)
//!   and browser routing (`route.rs`). Layers import downwards only (catalog < sim < predict < plan; a tidy
//!   test checks it).
//! - `serve/`: serving under load (arrivals, queues, schedulers, percentiles, sustainable rates).
//! - `calibrate/`: measurements (re-predictable with any profile), validation metrics and trend, and the
//!   refit of a profile from measurements with a held-out check.
//! - `run/`: the run protocol the browser pool and `mmperf measure` share: a plan's stages and lanes, each
//!   model's backends tried in turn (typed outcomes), and the run summed up as a measurement, behind an
//!   executor trait (the clock and the work are the platform's).
//! - `native/` (native only): threaded runs of the built-in workloads, `mmperf calibrate` microbenchmarks,
//!   the SQLite measurement store.
//! - `wire.rs` (+ `wire/`: `calibration`, `capabilities`, `detected`, `route`, `pool`, `graph`, `real`,
//!   `bench`): serde DTOs (snake_case and camelCase in, camelCase out), the same JSON for the CLI, the JS API
//!   and the stores; a tidy test keeps serde types there. In test builds they also derive `ts_rs::TS`, and
//!   `wire/ts.rs` writes their TypeScript into `web/generated.d.ts` (a test fails when it is stale).
//!   `api.rs`: [`MultiModelPredictor`].
//! - `workload/`: built-in synthetic workloads (a catalog model's weight-GEMM chain, scaled, seeded data,
//!   CPU reference) that the browser pool and native measurement run.
//! - `web/` (wasm32 only): `#[wasm_bindgen]` exports, TypeScript types (`generated.d.ts` and the few JS-only
//!   shapes written by hand in `types.rs` and `pool/types.rs`), `detect.rs` (navigator.gpu/ml),
//!   `pool/` (`ResourcePool`: routing, execution, timing, failures, shared tensors), `webgpu.rs` (WGSL GEMM
//!   chains on the pool's one device), `js.rs` (safe JS property reads, calls, timeouts, `performance.now`).
//! - `main.rs` and `cli.rs` (+ `cli/`: `calibration`, `describe`, `real`, `route`): the `mmperf` CLI (native
//!   only).
//!
//! ## Invariants
//!
//! - The core (catalog, predict, sim, plan, calibrate, run, workload) does no I/O, reads no clock and has no
//!   randomness but explicitly seeded streams; it gives the same answer for the same input, natively and in
//!   wasm. A tidy test enforces it.
//! - The order of model entries never changes a total: models are ordered canonically by content.
//! - Per-model start/end, the timeline, the makespan and peak memory come from one simulation.
//! - User input never panics: it is validated at the boundary into typed errors naming the field.

pub mod api;
pub mod bench;
pub(crate) mod bisect;
pub mod calibrate;
pub mod catalog;
pub mod error;
pub mod flatmap;
pub(crate) mod minmax;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod onnx;
pub mod plan;
pub mod predict;
pub mod run;
pub mod serve;
pub mod sim;
pub(crate) mod sorting;
#[cfg(any(not(target_arch = "wasm32"), not(feature = "predictor-only")))]
pub mod tuned;
pub mod wire;
pub mod workload;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use api::MultiModelPredictor;
pub use error::{Error, Result};
pub use plan::{Goal, Recommendation};
pub use predict::multi::{Constraints, MultiPrediction, Plan, Strategy, Target, Workload};
pub use predict::spec::ModelSpec;
