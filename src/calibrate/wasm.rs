//! A browser page's own GEMM rate (platform-free): what `measureWasmGemm` timed in a page (the tuned
//! `matrixmultiply` GEMM compiled to WebAssembly SIMD128, as the page's engine compiles and runs it, on one
//! thread) made into the peak and tiles of a `wasm` device profile, by the rule `mmperf calibrate` applies to
//! the native GEMM: peak fp32 = cores × the large GEMM's rate ÷ the large tile's efficiency, and the small
//! tile's efficiency the one that reproduces the small GEMM. A runtime whose GEMMs were measured against that
//! tuned GEMM in a page (`RuntimeProfile::wasm_gemm_ratio`: onnxruntime-web) gets that ratio as its kernel
//! efficiency on the profile; the others keep their catalog efficiencies, against the measured peak.
//!
//! Why measured and not derived from the native ISA: the same 128-bit kernels run at different shares of a
//! core's native peak on different cores. On the Zen 4 development VM (2×256-bit FMA pipes) onnxruntime-web
//! ran at the rate `mmperf calibrate --wasm-out` derives (native peak × 16/32 FLOP per cycle); on the Zen 5 VM
//! (2×512-bit pipes, derived 16/64) its GEMMs ran 1.4-1.6x faster than derived (`bench/web/op_profile.mjs`,
//! session 15), while the two derived peaks were within 3 % of each other.

use super::figure::{calibrated_tiles, Figure, LARGE_GEMM, LARGE_TILE_EFFICIENCY, SMALL_GEMM};
use crate::catalog::hardware::{DeviceProfile, Platform};
use crate::catalog::runtime::RuntimeProfile;
use crate::error::{Error, Result};

/// What `measureWasmGemm` measured: GFLOP/s of the large and small GEMM shapes ([`LARGE_GEMM`],
/// [`SMALL_GEMM`]) on one thread of the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WasmGemm {
    /// The large shape, GFLOP/s.
    pub large: Figure,
    /// The small shape, GFLOP/s.
    pub small: Figure,
}

/// `base` with the peak and tiles `g` measured: id `wasm:calibrated`, platform `wasm`; bandwidth, cores and
/// every other figure stay `base`'s. Errors name the field when a rate is not a positive number.
pub fn profile_from_wasm_gemm(base: &DeviceProfile, g: &WasmGemm) -> Result<DeviceProfile> {
    if !matches!(base.platform, Platform::Wasm | Platform::Cpu) {
        return Err(Error::invalid(
            "hardware",
            &base.id,
            "a wasm or cpu profile (the machine whose page ran the GEMM)",
        ));
    }
    for (field, f) in [("gemm.large.median", g.large), ("gemm.small.median", g.small)] {
        if !(f.median.is_finite() && f.median > 0.0) {
            return Err(Error::invalid(field, f.median, "a positive GFLOP/s figure"));
        }
    }
    let mut p = base.clone();
    let cores = f64::from(p.compute_units.max(1));
    let old_peak = p.peak_tflops.fp32;
    p.id = "wasm:calibrated".to_string();
    if p.platform != Platform::Wasm {
        p.name = format!("This browser page ({} cores, GEMM measured)", p.compute_units.max(1));
    }
    p.platform = Platform::Wasm;
    // The native built-in runner's fork-join does not carry over to a page.
    p.runtime_region_us.clear();
    p.peak_tflops.fp32 = g.large.median * cores / LARGE_TILE_EFFICIENCY / 1e3;
    p.gemm_tiles = calibrated_tiles(g.large.median, g.small.median);
    // The runtimes whose GEMMs were measured against the tuned GEMM in a page run at that ratio of it.
    let mut ratios = Vec::new();
    for rt in RuntimeProfile::all().iter().filter(|r| r.wasm_gemm_ratio > 0.0) {
        ratios.push(format!("{} {}", rt.name, rt.wasm_gemm_ratio));
        p.runtime_efficiency.retain(|(k, _)| *k != rt.name);
        p.runtime_efficiency.push((rt.name.clone(), rt.wasm_gemm_ratio));
    }
    p.sources.retain(|(k, _)| k != "wasm" && k != "runtime_efficiency");
    p.sources.push((
        "runtime_efficiency".to_string(),
        format!(
            "against the measured peak: {} (its GEMMs' rate over the tuned GEMM's in one page, bench/web/gemm.mjs); other runtimes keep the efficiency they had (the catalog's unless the profile held one), now against the measured peak",
            ratios.join(", ")
        ),
    ));
    p.sources.push((
        "wasm".to_string(),
        format!(
            "peak fp32 = {} cores × large 1-thread {} GFLOP/s ÷ tile efficiency {LARGE_TILE_EFFICIENCY} (was {:.3} TFLOP/s); small tile efficiency from small {} GFLOP/s: the tuned GEMM (matrixmultiply, WebAssembly SIMD128) timed in the page by measureWasmGemm, shapes {}×{}×{} and {}×{}×{}",
            p.compute_units.max(1),
            g.large.show(1),
            old_peak,
            g.small.show(1),
            LARGE_GEMM.m,
            LARGE_GEMM.k,
            LARGE_GEMM.n,
            SMALL_GEMM.m,
            SMALL_GEMM.k,
            SMALL_GEMM.n,
        ),
    ));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::{profile_from_wasm_gemm, WasmGemm};
    use crate::calibrate::figure::Figure;
    use crate::catalog::hardware::{self, Platform};
    use crate::catalog::runtime::RuntimeProfile;

    fn rate(gflops: f64) -> Figure {
        Figure::of(&[gflops, gflops * 1.01, gflops * 0.99], 3)
    }

    #[test]
    fn the_page_rate_sets_the_peak_and_tiles_and_keeps_the_machine() {
        let base = hardware::find("wasm:laptop-4c").unwrap();
        let p = profile_from_wasm_gemm(&base, &WasmGemm { large: rate(42.0), small: rate(35.0) })
            .unwrap();
        assert_eq!((p.id.as_str(), p.platform), ("wasm:calibrated", Platform::Wasm));
        // 4 cores × 42 GFLOP/s ÷ 0.75.
        assert!((p.peak_tflops.fp32 - 4.0 * 42.0 / 0.75 / 1e3).abs() < 1e-12);
        assert!((p.gemm_tiles[1].efficiency - 0.75 * 35.0 / 42.0).abs() < 1e-12);
        assert_eq!(p.memory_bandwidth_gbps, base.memory_bandwidth_gbps);
        assert_eq!(p.compute_units, base.compute_units);
        let source = &p.sources.iter().find(|(k, _)| k == "wasm").unwrap().1;
        assert!(source.contains("measureWasmGemm") && source.contains("42.0"), "{source}");
        // onnxruntime-web (and transformers.js, which runs its kernels) at the measured ratio; TensorFlow.js
        // (XNNPACK, not measured against the page's GEMM) at its catalog efficiency.
        let eff = |p: &crate::catalog::hardware::DeviceProfile, name: &str| {
            p.kernel_efficiency(&RuntimeProfile::find(name).unwrap())
        };
        let ort_web = RuntimeProfile::find("onnxruntime-web").unwrap();
        assert!(ort_web.wasm_gemm_ratio > 0.0);
        assert_eq!(eff(&p, "onnxruntime-web"), ort_web.wasm_gemm_ratio);
        assert_eq!(eff(&p, "transformersjs"), ort_web.wasm_gemm_ratio);
        assert_eq!(eff(&p, "tfjs"), eff(&base, "tfjs"));
        // Applied twice, one wasm source.
        let again =
            profile_from_wasm_gemm(&p, &WasmGemm { large: rate(40.0), small: rate(30.0) }).unwrap();
        assert_eq!(again.sources.iter().filter(|(k, _)| k == "wasm").count(), 1);
    }

    #[test]
    fn a_calibrated_cpu_base_leaves_its_native_runners_fork_join_behind() {
        let mut base = hardware::find("cpu").unwrap();
        base.runtime_region_us = vec![("builtin".to_string(), 119.3)];
        let p = profile_from_wasm_gemm(&base, &WasmGemm { large: rate(42.0), small: rate(35.0) })
            .unwrap();
        assert!(p.runtime_region_us.is_empty());
    }

    #[test]
    fn a_rate_that_is_not_a_positive_number_or_a_gpu_base_is_refused_by_field() {
        let gpu = hardware::find("webgpu").unwrap();
        let e = profile_from_wasm_gemm(&gpu, &WasmGemm { large: rate(40.0), small: rate(30.0) })
            .unwrap_err()
            .to_string();
        assert!(e.contains("hardware") && e.contains("wasm or cpu"), "{e}");
        let base = hardware::find("wasm:laptop-4c").unwrap();
        for (large, small, field) in
            [(0.0, 30.0, "gemm.large.median"), (40.0, f64::NAN, "gemm.small.median")]
        {
            let e =
                profile_from_wasm_gemm(&base, &WasmGemm { large: rate(large), small: rate(small) })
                    .unwrap_err()
                    .to_string();
            assert!(e.contains(field), "{e}");
        }
    }
}
