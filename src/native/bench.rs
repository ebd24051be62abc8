//! `mmperf calibrate`: microbenchmarks of this CPU turned into a device profile.
//!
//! - GEMM rate: the built-in workloads' own kernel (`workload::gemm_rows`, rows split between threads) on a
//!   256×512×512 fp32 GEMM, best of repeated runs, for every thread count from 1 to the core count; and on
//!   whole model-shaped chains (RoBERTa-base and CLIP ViT-B/32 at 512 MFLOP (32 with --quick), not among the shipped
//!   measurement examples), run alternately (cold caches between models, as in real use), median time, with
//!   the fork-joins taken out: the rate model-shaped work reaches sets the profile's peak.
//! - Memory bandwidth: a sum over 256 MB of f32 (far beyond the caches) on 1 thread and on every core.
//! - Dispatch: one fork-join of a GEMM's threads, median of many (what every multi-thread kernel pays).
//!
//! The profile starts from the catalog's default CPU and sets: cores, peak fp32 = cores × the 1-thread chain
//! rate ÷ the `builtin` runtime's kernel efficiency (so that predictions of the built-in workloads reproduce
//! the measured rate), the serial fraction that makes all cores worth the measured all-core speed-up, one 1×1 GEMM tile of efficiency 1 (the kernel has no tile quantisation), bandwidth and
//! per-core bandwidth as measured with efficiency 1, the kernel overhead as the all-core fork-join, a
//! sustained clock ratio of 1 (the rates were measured at sustained clocks) and no spin-waiting (the
//! runner's threads block in joins). The
//! other precisions have no native rate (fp32 is used, with a warning).

use std::time::Instant;

use super::run::Ready;
use crate::catalog::hardware::{self, DeviceProfile, GemmTile};
use crate::catalog::models::ChainGemm;
use crate::catalog::runtime::RuntimeProfile;
use crate::error::Result;
use crate::predict::spec::ModelSpec;
use crate::workload::{self, WorkloadOptions};

/// What the microbenchmarks measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuBench {
    /// Cores used.
    pub cores: u32,
    /// GEMM GFLOP/s per thread count (index 0 = 1 thread).
    pub gemm_gflops: Vec<f64>,
    /// Model-shaped GEMM-chain GFLOP/s per thread count.
    pub chain_gflops: Vec<f64>,
    /// Fork-join per GEMM per thread count (median), µs.
    pub chain_overhead_us: Vec<f64>,
    /// Read bandwidth on one thread, GB/s.
    pub bandwidth_1: f64,
    /// Read bandwidth on every core, GB/s.
    pub bandwidth_all: f64,
}

impl CpuBench {
    /// One fork-join around a GEMM on every core, µs (the last thread count's measurement).
    pub fn dispatch_us(&self) -> f64 {
        self.chain_overhead_us.last().copied().unwrap_or(0.0)
    }
}

/// How long each measurement repeats, s (quick: for tests).
fn budget(quick: bool) -> f64 {
    if quick {
        0.05
    } else {
        0.4
    }
}

fn gemm_rate(threads: usize, quick: bool) -> f64 {
    let w = super::run::single(ChainGemm {
        m: 256,
        k: 512,
        n: 512,
    });
    let flops = w.flops();
    let ready = Ready::new(w);
    let _ = ready.run(threads);
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < budget(quick) || best.is_infinite() {
        let (ms, out) = ready.timed(threads);
        std::hint::black_box(out);
        best = best.min(ms);
    }
    flops / (best * 1e-3) / 1e9
}

/// Median time of the model-shaped chains (RoBERTa-base and CLIP ViT-B/32 built-in workloads at 512 MFLOP,
/// run alternately so that neither keeps the caches warm for itself) on `threads` threads: (flops, GEMMs,
/// seconds) of one pair.
fn chain_time(threads: usize, quick: bool) -> Result<(f64, f64, f64)> {
    let options = WorkloadOptions {
        scale: None,
        max_mflop: if quick { 32.0 } else { 512.0 },
    };
    let chains: Vec<Ready> = ["roberta-base", "clip-vit-base-patch32"]
        .iter()
        .map(|n| workload::build(&ModelSpec::named(n), "calibration", options).map(Ready::new))
        .collect::<Result<_>>()?;
    for c in &chains {
        let _ = c.run(threads);
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < budget(quick) * 3.0 || times.len() < 3 {
        let mut pair = 0.0;
        for c in &chains {
            let (t, out) = c.timed(threads);
            std::hint::black_box(out);
            pair += t;
        }
        times.push(pair);
    }
    times.sort_by(f64::total_cmp);
    let flops: f64 = chains.iter().map(|c| c.workload.flops()).sum();
    let gemms: usize = chains.iter().map(|c| c.workload.gemms.len()).sum();
    Ok((flops, gemms as f64, times[times.len() / 2] * 1e-3))
}

fn bandwidth(threads: usize, data: &[f32], quick: bool) -> f64 {
    let chunk = data.len().div_ceil(threads);
    let pass = || {
        let t0 = Instant::now();
        let total: f32 = std::thread::scope(|s| {
            let hs: Vec<_> = data
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().sum::<f32>()))
                .collect();
            hs.into_iter().filter_map(|h| h.join().ok()).sum()
        });
        std::hint::black_box(total);
        t0.elapsed().as_secs_f64()
    };
    let _ = pass();
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < budget(quick) * 2.0 || best.is_infinite() {
        best = best.min(pass());
    }
    (data.len() * 4) as f64 / best / 1e9
}

/// Median fork-join of `threads` threads around an empty GEMM, µs (0 on one thread: nothing is started).
fn dispatch_us(threads: usize, quick: bool) -> f64 {
    if threads <= 1 {
        return 0.0;
    }
    let mut v: Vec<f64> = (0..if quick { 51 } else { 501 })
        .map(|_| super::run::fork_join_us(threads, 1))
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the microbenchmarks; `progress` gets a line per step.
pub fn bench(cores: u32, quick: bool, progress: &mut dyn FnMut(&str)) -> Result<CpuBench> {
    let cores = cores.max(1);
    let mut gemm_gflops = Vec::new();
    let mut chain_gflops = Vec::new();
    let mut chain_overhead_us = Vec::new();
    for t in 1..=cores as usize {
        let r = gemm_rate(t, quick);
        progress(&format!(
            "GEMM 256×512×512 fp32 on {t} thread(s): {r:.2} GFLOP/s"
        ));
        gemm_gflops.push(r);
        let o = dispatch_us(t, quick);
        let (flops, gemms, secs) = chain_time(t, quick)?;
        // The fork-joins are what the profile charges per kernel; the rest is compute.
        let c = flops / (secs - gemms * o * 1e-6).max(secs * 0.1) / 1e9;
        progress(&format!(
            "model-shaped GEMM chains on {t} thread(s): {:.2} ms for {:.0} MFLOP in {gemms} GEMMs; fork-join {o:.1} µs per GEMM; {c:.2} GFLOP/s",
            secs * 1e3,
            flops / 1e6
        ));
        chain_gflops.push(c);
        chain_overhead_us.push(o);
    }
    let len = if quick { 4 << 20 } else { 64 << 20 };
    let data: Vec<f32> = (0..len).map(|i| (i % 7) as f32).collect();
    let bandwidth_1 = bandwidth(1, &data, quick);
    progress(&format!(
        "memory read, 1 thread, {} MB: {bandwidth_1:.2} GB/s",
        (len * 4) >> 20
    ));
    let bandwidth_all = bandwidth(cores as usize, &data, quick);
    progress(&format!(
        "memory read, {cores} threads: {bandwidth_all:.2} GB/s"
    ));
    Ok(CpuBench {
        cores,
        gemm_gflops,
        chain_gflops,
        chain_overhead_us,
        bandwidth_1,
        bandwidth_all,
    })
}

/// The profile the measurements imply (id `cpu:calibrated`).
pub fn profile(b: &CpuBench) -> Result<DeviceProfile> {
    let mut p = hardware::find("cpu")?;
    let eff = RuntimeProfile::find("builtin")?.kernel_efficiency;
    let one = b.chain_gflops.first().copied().unwrap_or(1.0);
    let all = b.chain_gflops.last().copied().unwrap_or(one);
    // Amdahl from the chain rates: `cores` threads were worth `all / one` cores.
    let cores = f64::from(b.cores);
    let speedup = (all / one).clamp(1.0, cores);
    let serial = if b.cores > 1 {
        ((cores / speedup - 1.0) / (cores - 1.0)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.id = "cpu:calibrated".to_string();
    p.name = format!("This machine ({} cores, calibrated)", b.cores);
    p.compute_units = b.cores;
    p.host_cores = b.cores;
    p.peak_tflops.fp32 = one * cores / eff / 1e3;
    p.serial_fraction = serial;
    p.peak_tflops.fp16 = 0.0;
    p.peak_tflops.bf16 = 0.0;
    p.peak_tflops.int8 = 0.0;
    p.peak_tflops.int4 = 0.0;
    p.gemm_tiles = vec![GemmTile {
        m: 1,
        n: 1,
        efficiency: 1.0,
    }];
    p.memory_bandwidth_gbps = b.bandwidth_all.max(b.bandwidth_1);
    p.bandwidth_efficiency = 1.0;
    p.per_unit_bandwidth_gbps = b.bandwidth_1;
    // The fork-join on every core (CPU kernels on one thread pay none).
    p.kernel_overhead_us = b.dispatch_us();
    // Measured rates already run at the clocks this machine sustains, and the runner's threads block in
    // joins instead of spinning.
    p.sustained_clock_ratio = 1.0;
    p.spin_wait_share = 0.0;
    p.sources
        .retain(|(k, _)| k != "datasheet" && k != "gemm_tiles");
    p.sources.push((
        "calibration".to_string(),
        format!(
            "mmperf calibrate: model-shaped GEMM chains {:.2} GFLOP/s with a {:.1} µs fork-join per GEMM on {} threads ({:.2} GFLOP/s on 1; one 256×512×512 GEMM {:.2} / {:.2}), peak = cores × the 1-thread chain rate ÷ builtin kernel efficiency {eff}, serial fraction {serial:.3} from the {cores}-thread speed-up, kernel overhead = that fork-join; read bandwidth {:.2} GB/s ({:.2} on 1 thread)",
            all,
            b.dispatch_us(),
            b.cores,
            b.chain_gflops[0],
            b.gemm_gflops.last().copied().unwrap_or(0.0),
            b.gemm_gflops[0],
            b.bandwidth_all,
            b.bandwidth_1
        ),
    ));
    Ok(p)
}
