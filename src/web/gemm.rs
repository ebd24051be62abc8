//! `measureWasmGemm`: the tuned GEMM (`matrixmultiply`'s SIMD128 microkernel, src/tuned.rs) timed on one
//! thread of this page, as its engine compiles and runs WebAssembly, made into a `wasm` device profile
//! (`calibrate::wasm`). Weights rotate through a 64 MiB buffer, a new matrix every call as a model's layers
//! are, so they come from memory as they do in a model; the large and small shapes are sampled in turn until
//! the last samples of each agree within 2.5 % or the time is spent.

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{get, now_ms};
use super::{from_js, hardware_from_js, is_absent, js_error, to_js};
use crate::calibrate::figure::{gemm_flops, Figure, LARGE_GEMM, SMALL_GEMM};
use crate::calibrate::wasm::{profile_from_wasm_gemm, WasmGemm};
use crate::catalog::hardware;
use crate::error::Error;
use crate::tuned::{sgemm, window};
use crate::wire::calibration::WasmGemmDto;

#[wasm_bindgen]
extern "C" {
    /// `measureWasmGemm`'s options.
    #[wasm_bindgen(typescript_type = "WasmGemmOptions")]
    pub type WasmGemmOptionsArg;
    /// `measureWasmGemm`'s result.
    #[wasm_bindgen(typescript_type = "WasmGemmMeasurement")]
    pub type WasmGemmJs;
}

/// Seconds spent when `options.seconds` is not given: both shapes settled in 0.9 s on the development VM
/// (9 samples each after the warm-up), so 2 s leaves a busy page room to settle.
const DEFAULT_SECONDS: f64 = 2.0;
/// The longest measurement `options.seconds` may ask for: both shapes settle in about a second on a quiet
/// core; a minute bounds a page that never settles without blocking anyone indefinitely.
const MAX_SECONDS: f64 = 60.0;
/// One sample: GEMMs in a row for at least this long, ms (far above the coarsest timer a page gets, 0.1 ms).
const SAMPLE_MS: f64 = 20.0;
/// Samples a figure is judged on and reported from: the last ones, after the engine's optimising tier has
/// replaced its baseline code. 9 samples of 20 ms: about 0.2 s per shape once settled (the native
/// calibration's 15 samples are of 4 ms).
const WINDOW: usize = 9;
/// Untimed GEMM calls before sampling, ms: time for the engine to compile the optimised code it swaps in at
/// the next call (`tuned::sgemm` is never inlined for this). In headless Chromium a standalone module's first
/// three batches of 10 calls (about 0.1 s each) ran at 28, 37 and 40 GFLOP/s, the settled rate; the yields
/// between samples let the rest settle within the window.
const WARMUP_MS: f64 = 300.0;
/// The weights' buffer, bytes: 27 of the 2.25 MiB matrices in turn, twice a 32 MiB last-level cache (the
/// development VM's), so each call reads its weights from memory as a model's layers do, at a quarter of the
/// native calibration's 256 MiB stream (a page's WebAssembly memory keeps what it grows to).
const WEIGHTS_BYTES: usize = 64 << 20;

/// Times the tuned GEMM's large (512×768×768) and small (16×768×768) shapes on this thread, for up to
/// `options.seconds` (default 2, at most 60, after a 0.3 s warm-up; the thread computes in 20 ms slices
/// between which the page's event loop runs; its 64 MiB of weights are freed afterwards, but a WebAssembly
/// memory never shrinks, so the page keeps that much more memory), and resolves to their GFLOP/s with the
/// profile they make: `options.hardware` (a target string, a profile object, or the `wasm` catalog device)
/// with its peak set to cores × the large rate ÷ the large tile's efficiency (0.75) and its small tile's
/// efficiency from the small rate, id `wasm:calibrated`. Pass that profile as `hardware` to the predictor
/// or the pool. Base it on a profile that knows the machine's cores and bandwidth, such as
/// `(await detectCapabilities())`'s detected profile or what `mmperf calibrate --wasm-out` writes.
#[wasm_bindgen(js_name = measureWasmGemm)]
pub async fn measure_wasm_gemm(options: Option<WasmGemmOptionsArg>) -> Result<WasmGemmJs, JsError> {
    let o: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let seconds = seconds_option(&o)?;
    let base = match hardware_from_js(&get(&o, "hardware"), "options.hardware")? {
        Some(p) => p,
        None => hardware::shared("wasm").map_err(js_error)?,
    };
    let (g, elapsed_s) = measure_timed(seconds).await;
    let profile = profile_from_wasm_gemm(&base, &g).map_err(js_error)?;
    Ok(to_js(&WasmGemmDto::new(&g, elapsed_s, &profile))?.unchecked_into())
}

/// `options.seconds` (default 2, above 0 and at most 60), with `options` an object or nothing.
pub(super) fn seconds_option(o: &JsValue) -> Result<f64, JsError> {
    if !is_absent(o) && !o.is_object() {
        return Err(js_error(Error::invalid(
            "options",
            format!("{o:?}"),
            "an object { seconds?, hardware? } or nothing",
        )));
    }
    match get(o, "seconds") {
        v if is_absent(&v) => Ok(DEFAULT_SECONDS),
        v => {
            let s: f64 = from_js(&v, "options.seconds")?;
            if !(s > 0.0 && s <= MAX_SECONDS) {
                return Err(js_error(Error::invalid(
                    "options.seconds",
                    s,
                    format!("a number of seconds above 0 and at most {MAX_SECONDS}"),
                )));
            }
            Ok(s)
        }
    }
}

/// [`measure`] within `seconds`, and the seconds it took in all (warm-up included).
pub(super) async fn measure_timed(seconds: f64) -> (WasmGemm, f64) {
    let start = now_ms();
    let g = measure(seconds * 1e3).await;
    (g, (now_ms() - start) / 1e3)
}

/// Samples both shapes in turn, after a warm-up, until both settle or `budget_ms` is spent (3 samples each
/// at least), yielding to the event loop between samples: V8 tiers hot WebAssembly up in the background
/// and the optimised code reached the calls only across event-loop turns. Without the yields headless
/// Chromium timed 14-15, 33 or 40 GFLOP/s for the large shape, page by page; with them 39-40 in 8 of 8.
async fn measure(budget_ms: f64) -> WasmGemm {
    let (l, s) = (LARGE_GEMM, SMALL_GEMM);
    let a: Vec<f32> =
        (0..l.m as usize * l.k as usize).map(|i| ((i % 13) as f32 - 6.0) * 0.01).collect();
    let weights: Vec<f32> = (0..WEIGHTS_BYTES / 4).map(|i| ((i % 7) as f32 - 3.0) * 0.01).collect();
    let mut c = vec![0.0f32; l.m as usize * l.n as usize];
    let mut samples: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut settled = [false; 2];
    let mut matrix = 0usize;
    let warm = now_ms();
    while now_ms() - warm < WARMUP_MS {
        for g in [l, s] {
            sgemm(
                g,
                &a,
                window(&weights, g.k as usize * g.n as usize, matrix),
                g.n as usize,
                &mut c,
            );
            matrix += 1;
        }
        TimeoutFuture::new(0).await;
    }
    let start = now_ms();
    loop {
        for (i, g) in [l, s].into_iter().enumerate() {
            if settled[i] {
                continue;
            }
            let len = g.k as usize * g.n as usize;
            let t0 = now_ms();
            let mut calls = 0u32;
            let elapsed = loop {
                sgemm(g, &a, window(&weights, len, matrix), g.n as usize, &mut c);
                matrix += 1;
                calls += 1;
                let dt = now_ms() - t0;
                if dt >= SAMPLE_MS {
                    break dt;
                }
            };
            samples[i].push(gemm_flops(g) * f64::from(calls) / (elapsed * 1e-3) / 1e9);
            settled[i] = Figure::of(&samples[i], WINDOW).stable;
            TimeoutFuture::new(0).await;
        }
        let spent = now_ms() - start > budget_ms && samples.iter().all(|v| v.len() >= 3);
        if spent || settled.iter().all(|&d| d) {
            break;
        }
    }
    WasmGemm { large: Figure::of(&samples[0], WINDOW), small: Figure::of(&samples[1], WINDOW) }
}
