//! `mmperf calibrate`: microbenchmarks of this machine (not of our own kernels) turned into a device profile.
//!
//! Every probe runs a kernel as good as the runtimes' on a pool of threads that spin between parallel regions
//! (as OpenMP and ONNX Runtime pools do), so that what is measured is the hardware:
//!
//! - GEMM rates per shape class and thread count with a tuned GEMM (`matrixmultiply`: packing and
//!   microkernels chosen at run time for the ISA found): large (512×768×768, a 512-token encoder layer),
//!   small/skinny (16×768×768, a few tokens) and GEMV (1×768×3072, batch-1 decoding; a streaming kernel, it
//!   is memory-bound). Weights rotate through a buffer far larger than the last-level cache, as a model's
//!   layers do. The 1-thread large rate is set against the datasheet peak of the detected ISA.
//! - The concurrency probe: one single-thread GEMM stream alone against one stream on every core at once;
//!   the per-stream ratio is the all-core rate (clocks, SMT, shared caches).
//! - The cost of a parallel region on the spinning pool (epoch counter + spin barrier) per thread count,
//!   fitted per thread beyond the first.
//! - Streaming read bandwidth over ≥ 256 MB (and ≥ 8× the last-level cache) on every thread count, each thread
//!   reading its part as four interleaved streams (one stream leaves a core too few misses in flight).
//! - The last-level cache one thread really has: one thread re-reading buffers doubling from past the
//!   second-level cache up to sysfs's last-level size; the cache ends where half a buffer's bytes come
//!   from it (a VM may report its host's whole L3, or a made-up one: 480 MiB on the Xeon VM of session 32,
//!   where one thread held 62-118 MiB), and its read rate is timed over half of what is held.
//! - The built-in workloads' runtime: its own kernel (`workload::gemm_rows` through `run::Ready`) against the
//!   tuned GEMM on the same model-shaped chains (its kernel efficiency), and its fork-join (threads started
//!   per GEMM, as `run.rs` does), timed on those chains with the GEMMs' work in the threads: the device
//!   profile's `runtime_region_us` for `builtin`.
//!
//! Each figure is sampled until the relative interquartile range of its last samples is under 2.5 % (or its
//! probe family's time cap is spent), thread counts interleaved round by round so that a disturbance hits
//! them all alike; a figure reports its median and spread. `profile` turns the figures into `cpu:calibrated`.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::machine::{
    detect_isa, last_level_cache, last_level_cache_bytes, second_level_cache, Isa, Load, BUSY_CORES,
};
use super::pool::{region_seconds, with_pool};
use super::run::{rows_per_thread, Ready};
pub use crate::calibrate::figure::Figure;
use crate::calibrate::figure::{
    calibrated_tiles, gemm_flops, quantile, LARGE_GEMM, LARGE_TILE_EFFICIENCY, SMALL_GEMM,
    TARGET_SPREAD,
};
use crate::catalog::hardware::{self, DeviceProfile, Peaks, Platform, PAGE_BYTES};
use crate::catalog::models::ChainGemm;
use crate::catalog::runtime::{RuntimeProfile, GLIBC_MMAP_THRESHOLD_MAX_MIB};
use crate::error::Result;
use crate::predict::multi::{Target, Workload as PredictWorkload};
use crate::predict::spec::ModelSpec;
use crate::tuned::{sgemm, window};
use crate::workload::{self, Workload, WorkloadOptions, DEFAULT_MAX_MFLOP};
use crate::MultiModelPredictor;

/// Samples a figure is judged on (its last ones) and reported from.
const WINDOW: usize = 15;
/// Time cap per probe family, s: seven families stay under a minute together on 2 cores even when no figure
/// settles (they usually settle in well under a second each).
const FAMILY_CAP_S: f64 = 4.0;
/// Length of one GEMM or bandwidth sample, s: many regions in a row, so the timer's resolution and one
/// region's wake-up are negligible beside the work.
const SAMPLE_S: f64 = 0.004;
/// Empty regions timed per region-cost sample (their median is the sample).
const REGIONS_PER_SAMPLE: usize = 400;
/// Streaming buffer: ≥ 256 MB and ≥ 8× the last-level cache, so that no cache holds a useful part of it.
const STREAM_MIN_BYTES: usize = 256 << 20;
/// How long and how finely probes sample.
#[derive(Debug, Clone, Copy)]
struct Settings {
    window: usize,
    cap_s: f64,
    sample_s: f64,
    regions: usize,
    stream_bytes: usize,
    chain_mflop: f64,
    /// Largest buffer of the cache sweep, bytes (sysfs's last-level size bounds it too).
    sweep_max_bytes: usize,
}

impl Settings {
    /// Full calibration, or a quick one for tests (a few seconds; the figures are rough).
    fn new(quick: bool) -> Settings {
        if quick {
            Settings {
                window: 3,
                cap_s: 0.15,
                sample_s: 0.001,
                regions: 50,
                stream_bytes: 16 << 20,
                chain_mflop: 16.0,
                // No sweep (sysfs's size stands): the quick stream buffer may sit in the cache itself.
                sweep_max_bytes: 0,
            }
        } else {
            Settings {
                window: WINDOW,
                cap_s: FAMILY_CAP_S,
                sample_s: SAMPLE_S,
                regions: REGIONS_PER_SAMPLE,
                stream_bytes: STREAM_MIN_BYTES.max(8 * last_level_cache_bytes()),
                chain_mflop: DEFAULT_MAX_MFLOP,
                sweep_max_bytes: usize::MAX,
            }
        }
    }
}

type Sampler<'a> = Box<dyn FnMut() -> f64 + 'a>;

/// Samples every probe of a family round by round (interleaved) until each has settled or the family's time
/// cap is spent (with at least 3 samples each).
fn converge(mut probes: Vec<Sampler<'_>>, s: &Settings) -> Vec<Figure> {
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); probes.len()];
    let mut settled = vec![false; probes.len()];
    let start = Instant::now();
    loop {
        for (i, p) in probes.iter_mut().enumerate() {
            if !settled[i] {
                values[i].push(p());
                settled[i] = Figure::of(&values[i], s.window).stable;
            }
        }
        let capped = start.elapsed().as_secs_f64() > s.cap_s && values.iter().all(|v| v.len() >= 3);
        if capped || settled.iter().all(|&d| d) {
            return values.iter().map(|v| Figure::of(v, s.window)).collect();
        }
    }
}

// ---- Kernels ----------------------------------------------------------------------------------------------

/// `y = x · b` for one row `x` (a GEMV): row by row over `b` (k×n, row stride `ldb`), streaming it once;
/// `y` stays in L1. What runtimes run for batch-1 decoding: memory-bound, so a vectorised loop is enough.
fn sgemv(x: &[f32], b: &[f32], ldb: usize, y: &mut [f32]) {
    y.fill(0.0);
    for (kk, &xv) in x.iter().enumerate() {
        let row = b.get(kk * ldb..kk * ldb + y.len()).unwrap_or(&[]);
        for (o, &w) in y.iter_mut().zip(row) {
            *o += xv * w;
        }
    }
}

/// Interleaved streams the streaming read follows ([`stream_sum`]).
const READ_STREAMS: usize = 4;

/// The streaming read: the sum of `xs`, read as [`READ_STREAMS`] streams (its quarters, in lockstep) with 16
/// independent accumulators each (vectorised). One core's share of the memory bandwidth is set by the cache
/// misses it keeps in flight: one stream leaves the hardware prefetchers too little to work on, and reads less
/// than tuned runtimes' kernels on the same core. On the 2-vCPU Intel Xeon VM (session 29), calibrations by
/// the one-stream build (4c8baf8) and this one a minute apart read 11.48 / 13.91, 12.66 / 14.55 and
/// 12.89 / 13.22 GB/s on one thread, 20.09 / 27.30, 21.93 / 28.24 and 22.08 / 24.60 on two
/// (`bench/real/results/profile-xeon-vm-s29{b,,c}-*` with and without `one-stream`), where NumPy's sum read 14.0
/// and MKL's GEMV in PyTorch 11.5-15.1 on one thread (`bench/real/gemv_shapes.py`). Four streams came from
/// a scratch comparison there (one stream 9.9-10.6 GB/s, two 12.1-12.2, four 12.7-13.0, eight 11.8-12.9, a
/// software prefetch 2 KiB ahead 11.9-12.1; the vector width made no difference).
fn stream_sum(xs: &[f32]) -> f32 {
    let len = xs.len() / (16 * READ_STREAMS) * 16;
    let (body, rest) = xs.split_at(len * READ_STREAMS);
    let mut streams: [std::slice::ChunksExact<'_, f32>; READ_STREAMS] =
        std::array::from_fn(|i| body.get(i * len..(i + 1) * len).unwrap_or(&[]).chunks_exact(16));
    let mut acc = [[0f32; 16]; READ_STREAMS];
    'read: loop {
        for (stream, acc) in streams.iter_mut().zip(acc.iter_mut()) {
            let Some(c) = stream.next() else { break 'read };
            for (a, x) in acc.iter_mut().zip(c) {
                *a += x;
            }
        }
    }
    acc.iter().flatten().sum::<f32>() + rest.iter().sum::<f32>()
}

/// The shape classes (the large and small ones shared with `measureWasmGemm` in a page).
const LARGE: ChainGemm = LARGE_GEMM;
const SMALL: ChainGemm = SMALL_GEMM;
const GEMV: ChainGemm = ChainGemm { m: 1, k: 768, n: 3072 };

fn flops(g: ChainGemm) -> f64 {
    gemm_flops(g)
}

/// One GEMM shape split by columns between `threads` threads (blocks of 16 columns, a microkernel's width),
/// weights taken from a rotating window of the big buffer (a new matrix every region, as a model's layers).
struct Split<'a> {
    g: ChainGemm,
    threads: usize,
    a: &'a [f32],
    weights: &'a [f32],
    out: Vec<Mutex<Vec<f32>>>,
}

impl<'a> Split<'a> {
    fn new(g: ChainGemm, threads: usize, a: &'a [f32], weights: &'a [f32]) -> Self {
        let out =
            (0..threads).map(|_| Mutex::new(vec![0.0; g.m as usize * g.n as usize])).collect();
        Split { g, threads, a, weights, out }
    }

    fn run(&self, thread: usize, region: u64) {
        let (k, n) = (self.g.k as usize, self.g.n as usize);
        let chunk = n.div_ceil(self.threads).div_ceil(16) * 16;
        let first = thread * chunk;
        if first >= n {
            return;
        }
        let cols = chunk.min(n - first);
        let b = window(self.weights, k * n, region as usize);
        let mut c = self.out[thread].lock().unwrap_or_else(PoisonError::into_inner);
        let g = ChainGemm { n: cols as u32, ..self.g };
        if g.m == 1 {
            // Prepacked, as runtimes keep a GEMV's constant weights: each thread's columns are one
            // contiguous panel (k × cols), so every thread streams its own block.
            let panel = b.get(first * k..(first + cols) * k).unwrap_or(&[]);
            sgemv(&self.a[..k], panel, cols, &mut c[..cols]);
        } else {
            sgemm(g, self.a, b.get(first..).unwrap_or(&[]), n, &mut c);
        }
    }
}

// ---- Probes -------------------------------------------------------------------------------------------------

/// The thread counts measured: every one up to 8 cores, else powers of two and the core count.
fn thread_counts(cores: usize) -> Vec<usize> {
    if cores <= 8 {
        return (1..=cores).collect();
    }
    let mut v: Vec<usize> = (0..).map(|p| 1 << p).take_while(|&t| t < cores).collect();
    v.push(cores);
    v
}

/// GFLOP/s of one shape class per thread count.
fn gemm_rates(g: ChainGemm, counts: &[usize], weights: &[f32], s: &Settings) -> Vec<Figure> {
    let a: Vec<f32> =
        (0..g.m as usize * g.k as usize).map(|i| ((i % 13) as f32 - 6.0) * 0.01).collect();
    let splits: Vec<Split> = counts.iter().map(|&t| Split::new(g, t, &a, weights)).collect();
    let probes: Vec<Sampler> = splits
        .iter()
        .map(|sp| {
            Box::new(move || {
                flops(sp.g) / region_seconds(sp.threads, &|i, r| sp.run(i, r), s.sample_s) / 1e9
            }) as Sampler
        })
        .collect();
    converge(probes, s)
}

/// The concurrency probe: GFLOP/s of one large single-thread GEMM stream alone, and per stream with one
/// stream on each of `cores` threads at once (each thread times its own GEMMs; its own weights).
fn concurrency(cores: usize, weights: &[f32], s: &Settings) -> (Figure, Figure) {
    let g = LARGE;
    let a: Vec<f32> =
        (0..g.m as usize * g.k as usize).map(|i| ((i % 11) as f32 - 5.0) * 0.01).collect();
    let stream = |threads: usize| {
        let out: Vec<Mutex<(Vec<f32>, f64)>> = (0..threads)
            .map(|_| Mutex::new((vec![0.0; g.m as usize * g.n as usize], 0.0)))
            .collect();
        let per = g.k as usize * g.n as usize;
        let work = |i: usize, r: u64| {
            let mut slot = out[i].lock().unwrap_or_else(PoisonError::into_inner);
            let b = window(weights, per, r as usize * threads + i);
            let t0 = Instant::now();
            sgemm(g, &a, b, g.n as usize, &mut slot.0);
            slot.1 += t0.elapsed().as_secs_f64();
        };
        let regions = with_pool(threads, &work, |region| {
            let t0 = Instant::now();
            let mut n = 0u32;
            while n == 0 || t0.elapsed().as_secs_f64() < s.sample_s * 2.0 {
                region();
                n += 1;
            }
            f64::from(n)
        });
        // Mean rate per stream.
        let rate: f64 = out
            .iter()
            .map(|m| {
                let secs = m.lock().unwrap_or_else(PoisonError::into_inner).1;
                flops(g) * regions / secs.max(1e-9) / 1e9
            })
            .sum();
        rate / threads as f64
    };
    let probes: Vec<Sampler> = vec![Box::new(|| stream(1)), Box::new(|| stream(cores))];
    let f = converge(probes, s);
    (f[0], f[1])
}

/// Median cost of one empty parallel region per thread count, µs.
fn region_costs(counts: &[usize], s: &Settings) -> Vec<Figure> {
    let noop = |_: usize, _: u64| {};
    let probes: Vec<Sampler> = counts
        .iter()
        .map(|&t| {
            Box::new(move || {
                with_pool(t, &noop, |region| {
                    region();
                    // At most `regions` regions or 50 samples' worth of time: on a busy machine a region
                    // can wait a scheduler slice (ms) for a descheduled worker.
                    let start = Instant::now();
                    let mut v = Vec::with_capacity(s.regions);
                    while v.len() < s.regions
                        && (v.is_empty() || start.elapsed().as_secs_f64() < 50.0 * s.sample_s)
                    {
                        let t0 = Instant::now();
                        region();
                        v.push(t0.elapsed().as_secs_f64() * 1e6);
                    }
                    v.sort_by(f64::total_cmp);
                    quantile(&v, 0.5)
                })
            }) as Sampler
        })
        .collect();
    converge(probes, s)
}

/// Streaming read GB/s over the whole buffer per thread count.
fn bandwidths(counts: &[usize], data: &[f32], s: &Settings) -> Vec<Figure> {
    let probes: Vec<Sampler> = counts
        .iter()
        .map(|&t| {
            Box::new(move || {
                let chunk = data.len().div_ceil(t);
                let sums: Vec<Mutex<f32>> = (0..t).map(|_| Mutex::new(0.0)).collect();
                let work = |i: usize, _: u64| {
                    let part = data.get(i * chunk..((i + 1) * chunk).min(data.len()));
                    let v = stream_sum(part.unwrap_or(&[]));
                    *sums[i].lock().unwrap_or_else(PoisonError::into_inner) += v;
                };
                let secs = with_pool(t, &work, |region| {
                    let t0 = Instant::now();
                    region();
                    t0.elapsed().as_secs_f64()
                });
                std::hint::black_box(&sums);
                (data.len() * 4) as f64 / secs / 1e9
            }) as Sampler
        })
        .collect();
    converge(probes, s)
}

/// A buffer of `bytes` to read (small values, so the sums stay finite).
fn filled(bytes: usize) -> Vec<f32> {
    (0..bytes / 4).map(|i| ((i % 5) as f32 - 2.0) * 0.01).collect()
}

/// A sampler of one thread's rate re-reading `data`, GB/s: it is read once (so what the caches hold of it is
/// there), then `passes` times more, timed.
fn reread(data: &[f32], passes: usize) -> Sampler<'_> {
    Box::new(move || {
        let mut sum = stream_sum(data);
        let t0 = Instant::now();
        for _ in 0..passes {
            sum += stream_sum(std::hint::black_box(data));
        }
        let secs = t0.elapsed().as_secs_f64();
        std::hint::black_box(sum);
        (data.len() * 4 * passes) as f64 / secs / 1e9
    })
}

/// Read rate of one thread over a buffer of half the last-level cache (`llc_bytes`), GB/s, re-read
/// [`LLC_PASSES`] times per sample ([`reread`]), so it is read from the cache, as an element-wise kernel reads
/// what its producer has just written.
fn llc_bandwidth(llc_bytes: usize, s: &Settings) -> Figure {
    let data = filled(llc_bytes / 2);
    converge(vec![reread(&data, LLC_PASSES)], s).remove(0)
}

/// Timed reads of the buffer per sample of [`llc_bandwidth`].
const LLC_PASSES: usize = 8;

/// Smallest buffer of the cache sweep ([`cache_sweep`]): past the second-level cache of every core of today
/// (2 MiB on Sapphire Rapids, 1 MiB on Zen 4) unless sysfs names a larger one.
const SWEEP_FROM_BYTES: usize = 4 << 20;
/// Bytes one sample of the cache sweep reads: its buffer again and again, at least twice. As much as the
/// smallest streaming buffer ([`STREAM_MIN_BYTES`]): 9-18 ms at the 30 and 15 GB/s of the Xeon VM's cache and
/// memory, several [`SAMPLE_S`], so the timer's resolution is negligible beside it.
const SWEEP_SAMPLE_BYTES: usize = STREAM_MIN_BYTES;
/// How much faster than memory the sweep's smallest buffer must read for a cache to be seen at all: four times
/// the spread within which a figure settles ([`TARGET_SPREAD`]), so noise alone does not make one.
const CACHE_VISIBLE: f64 = 1.0 + 4.0 * TARGET_SPREAD;

/// One thread's re-read rate ([`reread`]) over buffers doubling from `from` bytes up to `up_to`, the prefixes
/// of one buffer of the largest size: (bytes, GB/s); empty when `up_to` is below `from`.
fn cache_sweep(from: usize, up_to: usize, s: &Settings) -> Vec<(usize, Figure)> {
    let sizes: Vec<usize> =
        std::iter::successors(Some(from), |&b| Some(b * 2)).take_while(|&b| b <= up_to).collect();
    let Some(&largest) = sizes.last() else {
        return Vec::new();
    };
    let data = filled(largest);
    let probes: Vec<Sampler> =
        sizes.iter().map(|&b| reread(&data[..b / 4], (SWEEP_SAMPLE_BYTES / b).max(2))).collect();
    sizes.into_iter().zip(converge(probes, s)).collect()
}

/// The cache one thread holds, bytes, from a [`cache_sweep`] (sizes doubling, median GB/s) and the memory's
/// 1-thread read rate (median): the size at which re-reading falls to the harmonic mean of the smallest
/// buffer's rate and the memory's, that is where half the bytes come from each, interpolated on the sizes' log
/// scale between the last buffer above that mark and the first below (so a rate a little either side of it
/// moves the size a little, not twofold). A larger buffer cannot hold more in the cache than a smaller one, so
/// each rate counts as at most the rates before it (a buffer read faster than a smaller one is noise).
/// `None` when the smallest buffer reads less than [`CACHE_VISIBLE`] times the memory's rate (no cache to
/// see), when every buffer stays above the mark (the sweep ended before the cache did), or for a rate that is
/// not a number.
fn held_cache(sweep: &[(usize, f64)], memory_gbps: f64) -> Option<usize> {
    let &(_, cached) = sweep.first()?;
    if !(memory_gbps > 0.0 && cached >= CACHE_VISIBLE * memory_gbps) {
        return None;
    }
    let mut floor = f64::INFINITY;
    let falling: Vec<(usize, f64)> = sweep
        .iter()
        .map(|&(bytes, rate)| {
            floor = floor.min(rate);
            (bytes, floor)
        })
        .collect();
    let half = 2.0 / (1.0 / cached + 1.0 / memory_gbps);
    let held = falling.iter().take_while(|&&(_, rate)| rate >= half).count();
    let (&(bytes, above), &(next, below)) =
        (falling.get(held.checked_sub(1)?)?, falling.get(held)?);
    let share = (above - half) / (above - below);
    share.is_finite().then(|| (bytes as f64 * (next as f64 / bytes as f64).powf(share)) as usize)
}

/// Bytes the page-fault probe maps afresh per sample: twice glibc's largest mmap threshold, so the block is a
/// new mapping every time, as a runtime's large outputs are.
const PAGE_PROBE_BYTES: usize = (2 * GLIBC_MMAP_THRESHOLD_MAX_MIB as usize) << 20;

/// First write to fresh 4 KiB pages, µs per page, one thread: a zeroed block of [`PAGE_PROBE_BYTES`]
/// (`calloc`, so its pages are mapped lazily and never touched before) gets one byte written per page.
fn page_faults(s: &Settings) -> Figure {
    let probe: Sampler = Box::new(|| {
        let mut block = vec![0u8; PAGE_PROBE_BYTES];
        let t0 = Instant::now();
        for i in (0..block.len()).step_by(PAGE_BYTES) {
            block[i] = 1;
        }
        let secs = t0.elapsed().as_secs_f64();
        std::hint::black_box(&block);
        secs * 1e6 / (PAGE_PROBE_BYTES / PAGE_BYTES) as f64
    });
    converge(vec![probe], s).remove(0)
}

/// The model-shaped chains the built-in runtime is measured on (RoBERTa-base and CLIP ViT-B/32, not among
/// the shipped measurement examples).
fn chains(s: &Settings) -> Result<Vec<Workload>> {
    chains_of(s.chain_mflop)
}

fn chains_of(mflop: f64) -> Result<Vec<Workload>> {
    let options = WorkloadOptions { scale: None, max_mflop: mflop };
    ["roberta-base", "clip-vit-base-patch32"]
        .iter()
        .map(|n| workload::build(&ModelSpec::named(n), "calibration", options))
        .collect()
}

/// One chain with the tuned GEMM on one thread, with the built-in runner's chaining between GEMMs.
fn tuned_chain(w: &Workload, input: &[f32], weights: &[Vec<f32>]) -> Vec<f32> {
    let (mut x, mut y) = (input.to_vec(), Vec::new());
    let mut prev: Option<ChainGemm> = None;
    for (g, b) in w.gemms.iter().zip(weights) {
        if let Some(p) = prev {
            workload::chain_input(&y, p.m, p.n, *g, &mut x);
        }
        y.resize(g.m as usize * g.n as usize, 0.0);
        sgemm(*g, &x, b, g.n as usize, &mut y);
        prev = Some(*g);
    }
    y
}

/// GFLOP/s of the built-in kernel and of the tuned GEMM on the same chains (`ready`, with their data), 1
/// thread, run alternately.
fn chain_rates(ready: &[Ready], s: &Settings) -> (Figure, Figure) {
    let total: f64 = ready.iter().map(|r| r.workload.flops()).sum();
    let builtin = || {
        let secs: f64 = ready.iter().map(|r| std::hint::black_box(r.timed(1)).0 * 1e-3).sum();
        total / secs / 1e9
    };
    let tuned = || {
        let t0 = Instant::now();
        for r in ready {
            let (x, b) = r.data();
            std::hint::black_box(tuned_chain(&r.workload, x, b));
        }
        total / t0.elapsed().as_secs_f64() / 1e9
    };
    let f = converge(vec![Box::new(builtin), Box::new(tuned)], s);
    (f[0], f[1])
}

/// The built-in runner's fork-join per GEMM, µs, per thread count from 2, timed with the GEMMs' work in the
/// threads, as `measure` runs them: the calibration chains run on one thread and on `t` threads back to back,
/// and the `t`-thread time less the slowest thread's share of the one-thread time (`⌈m / t⌉` of each GEMM's
/// `m` rows) is spread over the GEMMs. A thread started beside work can wait for the scheduler to give it a
/// core of its own, which an empty fork-join does not show (on the 2-vCPU Zen 3 VM this probe read 0.12 ms
/// per GEMM and the `measure` runs implied about 0.2, against 0.07 for an empty fork-join). What it reads is
/// every cost of the second thread beyond the split arithmetic (also each thread streaming the whole weight
/// matrix, and the serial chaining between GEMMs scaled by the share), as the runs pay it.
fn builtin_fork_joins(ready: &[Ready], counts: &[usize], s: &Settings) -> Vec<Figure> {
    let gemms = ready.iter().map(|r| r.workload.gemms.len()).sum::<usize>().max(1) as f64;
    let probes: Vec<Sampler> = counts
        .iter()
        .filter(|&&t| t > 1)
        .map(|&t| {
            let share = slowest_thread_share(ready, t);
            Box::new(move || {
                let one: f64 = ready.iter().map(|r| std::hint::black_box(r.timed(1)).0).sum();
                let many: f64 = ready.iter().map(|r| std::hint::black_box(r.timed(t)).0).sum();
                (many - one * share) * 1e3 / gemms
            }) as Sampler
        })
        .collect();
    converge(probes, s)
}

/// The share of the chains' one-thread work that the slowest of `t` threads computes: the runner's largest
/// block of each GEMM's rows (`run::rows_per_thread`), weighted by the GEMM's FLOPs.
fn slowest_thread_share(ready: &[Ready], t: usize) -> f64 {
    let (mut slowest, mut total) = (0.0, 0.0);
    for g in ready.iter().flat_map(|r| &r.workload.gemms) {
        let (m, f) = (g.m.max(1) as usize, flops(*g));
        slowest += f * rows_per_thread(m, t) as f64 / m as f64;
        total += f;
    }
    if total > 0.0 {
        slowest / total
    } else {
        1.0
    }
}

/// Least-squares slope through the origin of `y` against threads beyond the first (points from 2 threads).
fn per_extra_thread(counts: &[usize], y: &[f64]) -> f64 {
    let (mut xy, mut xx) = (0.0, 0.0);
    for (&t, &v) in counts.iter().zip(y) {
        let x = t as f64 - 1.0;
        if x > 0.0 {
            xy += x * v;
            xx += x * x;
        }
    }
    if xx > 0.0 {
        xy / xx
    } else {
        0.0
    }
}

// ---- The whole calibration -----------------------------------------------------------------------------

/// GFLOP/s of one shape class per thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeRates {
    /// What it stands for.
    pub label: &'static str,
    /// The GEMM.
    pub gemm: ChainGemm,
    /// One figure per `CpuBench::threads` entry.
    pub gflops: Vec<Figure>,
}

/// What the microbenchmarks measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuBench {
    /// Cores used.
    pub cores: u32,
    /// Thread counts measured (1 first, the core count last).
    pub threads: Vec<usize>,
    /// The ISA the tuned GEMM runs and its datasheet peak.
    pub isa: Isa,
    /// Large, small and GEMV rates of the tuned GEMM.
    pub shapes: Vec<ShapeRates>,
    /// Concurrency probe: GFLOP/s of one stream alone.
    pub stream_alone: Figure,
    /// Concurrency probe: GFLOP/s per stream with one on every core.
    pub stream_all: Figure,
    /// Empty region on the spinning pool per thread count, µs.
    pub region_us: Vec<Figure>,
    /// Read bandwidth per thread count, GB/s.
    pub bandwidth: Vec<Figure>,
    /// Streaming buffer, MB.
    pub stream_mb: f64,
    /// First write to a fresh 4 KiB page, 1 thread, µs.
    pub page_fault_us: Figure,
    /// The last-level cache one thread holds, bytes: where the cache sweep's re-read rate falls to half the
    /// bytes from the cache (`held_cache`), or sysfs's size where the sweep cannot tell (0 when unknown).
    pub llc_bytes: usize,
    /// The last-level cache as sysfs gives it, bytes (0 when unknown): a VM may report its host's, or none.
    pub llc_sysfs_bytes: usize,
    /// One thread's read rate over buffers doubling from past the second-level cache up to sysfs's last-level
    /// size: (bytes, GB/s).
    pub cache_sweep: Vec<(usize, Figure)>,
    /// Read rate of one thread over a buffer of half the last-level cache, kept in it, GB/s (no samples when
    /// the cache's size is unknown).
    pub llc_bandwidth: Figure,
    /// Size of the model-shaped chains, MFLOP each.
    pub chain_mflop: f64,
    /// Built-in kernel on the model-shaped chains, 1 thread, GFLOP/s.
    pub builtin_chain: Figure,
    /// Tuned GEMM on the same chains, 1 thread, GFLOP/s.
    pub tuned_chain: Figure,
    /// The built-in runner's fork-join per GEMM with the GEMMs' work in its threads, per thread count from 2,
    /// µs.
    pub builtin_fork_join_us: Vec<Figure>,
    /// Cores other processes kept busy on average while it ran (Linux; 0 where unknown): above a few
    /// tenths the figures are low and will not repeat.
    pub others_cores: f64,
    /// Wall time of the calibration, s.
    pub elapsed_s: f64,
}

impl CpuBench {
    /// The large GEMM's 1-thread rate, GFLOP/s.
    pub fn large_1(&self) -> f64 {
        self.shapes.first().and_then(|s| s.gflops.first()).map_or(0.0, |f| f.median)
    }

    /// The small GEMM's 1-thread rate, GFLOP/s (the large one's where it was not measured).
    pub fn small_1(&self) -> f64 {
        self.shapes.get(1).and_then(|s| s.gflops.first()).map_or(self.large_1(), |f| f.median)
    }

    /// Per-core rate with every core busy relative to one busy core, in (0, 1]: the best sample of the
    /// streams together over the best sample of one alone. Best samples, like the region cost's: another
    /// process taking a core only ever slows a stream, and with every core busy the probe is the first to
    /// feel it, so medians on a busy machine measure the neighbour; on a quiet one best and median agree
    /// within the reported spread.
    pub fn all_core_rate(&self) -> f64 {
        if self.cores <= 1 || self.stream_alone.max <= 0.0 {
            return 1.0;
        }
        (self.stream_all.max / self.stream_alone.max).clamp(0.05, 1.0)
    }

    /// How far the cores ran at once during the probes (see [`concurrency_of`]): about 1 on a machine
    /// whose cores are its own.
    pub fn concurrency(&self) -> f64 {
        self.all_core_rate().min(self.large_scaling())
    }

    /// The large GEMM's rate on every core over the cores times its 1-thread rate (capped at 1).
    pub fn large_scaling(&self) -> f64 {
        let n = self.threads.last().copied().unwrap_or(1);
        let large_n = self.shapes.first().and_then(|s| s.gflops.last()).map_or(0.0, |f| f.median);
        concurrency_of(1.0, self.large_1(), large_n, n)
    }

    /// Parallel-region cost per thread beyond the first on the spinning pool, µs (> 0 on several cores).
    /// From each thread count's least-disturbed sample (the smallest per-sample median): preemption by
    /// other processes only ever lengthens a region, by a whole scheduler slice (ms), so on a busy machine
    /// the median of the samples measures the scheduler; on a quiet one the two agree.
    pub fn region_us_per_thread(&self) -> f64 {
        let base = self.region_us.first().map_or(0.0, |f| f.min);
        let y: Vec<f64> = self.region_us.iter().map(|f| f.min - base).collect();
        if self.cores <= 1 {
            return 0.0;
        }
        // A positive floor: a region always costs a cache-line round trip (~0.05 µs); a zero would read as
        // "not measured".
        per_extra_thread(&self.threads, &y).max(0.05)
    }

    /// The built-in runner's fork-join per thread beyond the first, µs.
    pub fn builtin_fork_join_per_thread_us(&self) -> f64 {
        let y: Vec<f64> = self.builtin_fork_join_us.iter().map(|f| f.median).collect();
        per_extra_thread(&self.threads[self.threads.len().min(1)..], &y)
    }

    /// The built-in kernel's rate over the tuned GEMM's on the same chains (its kernel alone).
    pub fn builtin_vs_tuned(&self) -> f64 {
        self.builtin_chain.median / self.tuned_chain.median.max(1e-9)
    }

    /// Best read bandwidth of any thread count, GB/s (best pass: the memory system's rate).
    pub fn bandwidth_best(&self) -> f64 {
        self.bandwidth.iter().map(|f| f.max).fold(0.0, f64::max)
    }

    /// Best 1-thread read bandwidth, GB/s.
    pub fn bandwidth_1(&self) -> f64 {
        self.bandwidth.first().map_or(0.0, |f| f.max)
    }
}

/// Runs the microbenchmarks; `progress` gets a line per figure.
pub fn bench(cores: u32, quick: bool, progress: &mut dyn FnMut(&str)) -> Result<CpuBench> {
    let start = Instant::now();
    let load = Load::start();
    let cores = cores.max(1);
    let s = Settings::new(quick);
    let counts = thread_counts(cores as usize);
    let isa = detect_isa();
    progress(&format!(
        "ISA {}: {} FP32 FLOP/cycle per core{}",
        isa.name,
        isa.flops_per_cycle,
        match (isa.mhz, isa.peak_gflops()) {
            (Some(m), Some(p)) => format!(" at {m:.0} MHz = {p:.1} GFLOP/s per core"),
            _ => " (clock unknown)".to_string(),
        }
    ));
    let data = filled(s.stream_bytes);
    let stream_mb = (data.len() * 4) as f64 / f64::from(1 << 20);
    let shapes = shape_rates(&counts, &data, &s, &isa, progress);
    let (stream_alone, stream_all) = concurrency(cores as usize, &data, &s);
    progress(&format!(
        "concurrency: one 1-thread GEMM stream alone {} GFLOP/s; {cores} at once {} GFLOP/s each",
        stream_alone.show(1),
        stream_all.show(1)
    ));
    let region_us = region_costs(&counts, &s);
    for (t, f) in counts.iter().zip(&region_us) {
        progress(&format!("parallel region (spinning pool), {t} thread(s): {} µs", f.show(2)));
    }
    let bandwidth = bandwidths(&counts, &data, &s);
    drop(data);
    for (t, f) in counts.iter().zip(&bandwidth) {
        progress(&format!(
            "memory read, {stream_mb:.0} MB, {t} thread(s): {} GB/s (best {:.2})",
            f.show(2),
            f.max
        ));
    }
    let page_fault_us = page_faults(&s);
    progress(&format!(
        "first write to a fresh 4 KiB page ({} MiB mapped afresh), 1 thread: {} µs",
        PAGE_PROBE_BYTES >> 20,
        page_fault_us.show(2)
    ));
    let llc_sysfs_bytes = last_level_cache().unwrap_or(0);
    let from = SWEEP_FROM_BYTES.max(2 * second_level_cache().unwrap_or(0));
    let cache_sweep = cache_sweep(from, llc_sysfs_bytes.min(s.sweep_max_bytes), &s);
    let memory_1 = bandwidth.first().map_or(0.0, |f| f.median);
    for (bytes, f) in &cache_sweep {
        progress(&format!(
            "cache sweep, {} MiB read again and again, 1 thread: {} GB/s",
            bytes >> 20,
            f.show(2)
        ));
    }
    let sweep_rates: Vec<(usize, f64)> = cache_sweep.iter().map(|(b, f)| (*b, f.median)).collect();
    let llc_bytes = held_cache(&sweep_rates, memory_1).unwrap_or(llc_sysfs_bytes);
    let llc_bandwidth = if llc_bytes > 0 {
        let f = llc_bandwidth(llc_bytes, &s);
        progress(&format!(
            "last-level cache read ({} MiB of its {} MiB), 1 thread: {} GB/s",
            llc_bytes >> 21,
            llc_bytes >> 20,
            f.show(2)
        ));
        f
    } else {
        Figure::default()
    };
    // The calibration chains and their data, made once for both built-in probes.
    let ready: Vec<Ready> = chains(&s)?.into_iter().map(Ready::new).collect();
    let (builtin_chain, tuned_chain) = chain_rates(&ready, &s);
    progress(&format!(
        "model-shaped chains, 1 thread: built-in kernel {} GFLOP/s, tuned GEMM {} GFLOP/s",
        builtin_chain.show(2),
        tuned_chain.show(2)
    ));
    let builtin_fork_join_us = builtin_fork_joins(&ready, &counts, &s);
    drop(ready);
    for (t, f) in counts.iter().skip(1).zip(&builtin_fork_join_us) {
        progress(&format!(
            "built-in runner's fork-join per GEMM with its work (threads started per GEMM), {t} threads: {} µs",
            f.show(1)
        ));
    }
    let b = CpuBench {
        cores,
        threads: counts,
        isa,
        shapes,
        stream_alone,
        stream_all,
        region_us,
        bandwidth,
        stream_mb,
        page_fault_us,
        llc_bytes,
        llc_sysfs_bytes,
        cache_sweep,
        llc_bandwidth,
        chain_mflop: s.chain_mflop,
        builtin_chain,
        tuned_chain,
        builtin_fork_join_us,
        others_cores: load.others_cores(),
        elapsed_s: start.elapsed().as_secs_f64(),
    };
    report(&b, progress);
    Ok(b)
}

/// GEMM rates of the large, small and GEMV shapes on each thread count, and how the large one on one thread
/// compares with the ISA's datasheet peak.
fn shape_rates(
    counts: &[usize],
    data: &[f32],
    s: &Settings,
    isa: &Isa,
    progress: &mut dyn FnMut(&str),
) -> Vec<ShapeRates> {
    let mut shapes = Vec::new();
    for (label, g) in [("large", LARGE), ("small", SMALL), ("GEMV", GEMV)] {
        let gflops = gemm_rates(g, counts, data, s);
        for (t, f) in counts.iter().zip(&gflops) {
            progress(&format!(
                "GEMM {}×{}×{} fp32 ({label}), {t} thread(s): {} GFLOP/s",
                g.m,
                g.k,
                g.n,
                f.show(1)
            ));
        }
        shapes.push(ShapeRates { label, gemm: g, gflops });
    }
    if let (Some(p), Some(f)) = (isa.peak_gflops(), shapes[0].gflops.first()) {
        progress(&format!(
            "large GEMM on 1 thread: {:.0} % of the {} peak ({p:.1} GFLOP/s){}",
            100.0 * f.median / p,
            isa.name,
            if f.median > p {
                ": above 100 %, so the core runs above the clock read (a VM shows the nominal clock, not the boost)"
            } else {
                ""
            }
        ));
    }
    shapes
}

/// Where the profile's last-level cache size comes from, for the profile's sources.
fn llc_source(b: &CpuBench) -> String {
    let sweep = b
        .cache_sweep
        .iter()
        .map(|(bytes, f)| format!("{} MiB {:.1}", bytes >> 20, f.median))
        .collect::<Vec<_>>()
        .join(", ");
    let sysfs = b.llc_sysfs_bytes >> 20;
    if b.cache_sweep.is_empty() {
        "sysfs, cpu0's largest cache; no sweep".to_string()
    } else if b.llc_bytes == b.llc_sysfs_bytes {
        format!(
            "sysfs, cpu0's largest cache: the sweep of one thread re-reading buffers did not see where the cache ends (GB/s: {sweep})"
        )
    } else {
        format!(
            "measured: where one thread re-reading a buffer gets half its bytes from the cache, interpolated in the sweep (GB/s: {sweep}); sysfs says {sysfs} MiB"
        )
    }
}

/// The summary line, and a warning when other processes kept the cores busy.
fn report(b: &CpuBench, progress: &mut dyn FnMut(&str)) {
    let cores = b.cores;
    progress(&format!(
        "all-core rate {:.3}; region {:.3} µs per extra thread; built-in kernel {:.3} of the tuned GEMM on the same chains; built-in fork-join {:.1} µs per extra thread; {:.1} s",
        b.all_core_rate(),
        b.region_us_per_thread(),
        b.builtin_vs_tuned(),
        b.builtin_fork_join_per_thread_us(),
        b.elapsed_s
    ));
    if b.others_cores > BUSY_CORES {
        progress(&format!(
            "warning: other processes kept {:.1} of {cores} cores busy meanwhile: the figures are low and will not repeat; calibrate on a quiet machine",
            b.others_cores
        ));
    }
}

/// The profile the measurements imply (id `cpu:calibrated`): the machine's peaks, all-core rate, region
/// cost and bandwidth, and the built-in runtime's measured kernel efficiency beside them.
///
/// Peak fp32 = cores × the large GEMM's 1-thread rate ÷ 0.75, the large tile's (64×256) efficiency, so the
/// large GEMM is reproduced; the small tile's (16×64) efficiency is the one that reproduces the small GEMM
/// (the predictor charges a partial tile as a whole one on CPUs, so short GEMMs take the small tile); the
/// GEMV is memory-bound and follows from the bandwidth. The built-in runtime's kernel efficiency is fitted
/// so that this profile reproduces its measured chains. The serial fraction is 0 (the per-op region cost
/// replaces Amdahl); the spin-wait share stays the catalog's (a runtime behaviour); the rates were measured
/// at the clocks this machine sustains (ratio 1).
pub fn profile(b: &CpuBench) -> Result<DeviceProfile> {
    let mut p = hardware::find("cpu")?;
    let cores = f64::from(b.cores);
    p.id = "cpu:calibrated".to_string();
    p.name = format!("This machine ({} cores, calibrated)", b.cores);
    p.compute_units = b.cores;
    p.host_cores = b.cores;
    p.sched_slice_us = hardware::linux_slice_us(b.cores);
    p.peak_tflops =
        Peaks { fp32: b.large_1() * cores / LARGE_TILE_EFFICIENCY / 1e3, ..Peaks::NONE };
    p.all_core_rate = b.all_core_rate();
    // Co-runners' slowdown is what the concurrency probe measures (a stream on every core, each reading its
    // own weights) and the bandwidth shares model; a per-model factor on top would count it twice.
    p.interference_per_model = 0.0;
    p.kernel_overhead_us = b.region_us_per_thread();
    p.memory_bandwidth_gbps = b.bandwidth_best();
    p.bandwidth_efficiency = 1.0;
    p.per_unit_bandwidth_gbps = b.bandwidth_1();
    p.page_fault_us = b.page_fault_us.median;
    p.llc_mb = b.llc_bytes as f64 / f64::from(1 << 20);
    p.llc_bandwidth_gbps = b.llc_bandwidth.median;
    p.fma_width_bits = b.isa.fma_bits;
    p.cpu_vendor = b.isa.vendor.to_string();
    p.serial_fraction = 0.0;
    p.sustained_clock_ratio = 1.0;
    // The catalog's large tile reproduces the large GEMM by construction; the small tile's efficiency is the
    // one that reproduces the small GEMM (16 rows: one small tile high, so no padding), measured alike.
    p.gemm_tiles = calibrated_tiles(b.large_1(), b.small_1());
    let builtin_efficiency = fitted_builtin_efficiency(&p, b)?;
    p.runtime_efficiency = vec![("builtin".to_string(), builtin_efficiency)];
    // Within what a profile accepts, so a stored profile reads back.
    let region_us = b.builtin_fork_join_per_thread_us().clamp(0.0, hardware::MAX_REGION_US);
    p.runtime_region_us = vec![("builtin".to_string(), region_us)];
    p.sources.retain(|(k, _)| k != "datasheet" && k != "interference_per_model");
    p.sources.push((
        "interference_per_model".to_string(),
        "0: co-running models slow each other by the measured all_core_rate (clocks, shared caches) and by their shares of the measured bandwidth, nothing more".to_string(),
    ));
    p.sources.push(("calibration".to_string(), sources_text(b, builtin_efficiency)));
    p.sources.push((
        "fma_width_bits".to_string(),
        format!(
            "{} bits, vendor {:?}: read from the ISA ({}), not measured; a runtime whose GEMMs use narrower vectors on this vendor's CPUs reaches that share of the peak",
            b.isa.fma_bits, b.isa.vendor, b.isa.name
        ),
    ));
    Ok(p)
}

/// The profile a browser page on this machine sees (id `wasm:calibrated`, platform `wasm`): `cpu` (this
/// calibration's profile) with its peaks scaled from the native ISA's FP32 FLOP per cycle to WebAssembly's
/// 128-bit SIMD on the same cores (`Isa::simd128_flops_per_cycle`). Bandwidth, cores, tiles, the all-core rate
/// and the region cost stay the machine's; what the browser runtime's kernels reach of that peak and its host
/// costs are the runtime profile's (onnxruntime-web's kernel efficiency, worker wake-ups).
pub fn wasm_profile(cpu: &DeviceProfile, b: &CpuBench) -> DeviceProfile {
    let ratio = (b.isa.simd128_flops_per_cycle / b.isa.flops_per_cycle.max(1e-9)).min(1.0);
    let mut p = cpu.clone();
    p.id = "wasm:calibrated".to_string();
    p.platform = Platform::Wasm;
    p.name = format!("This machine in a browser page ({} cores, calibrated)", b.cores);
    p.peak_tflops.fp32 *= ratio;
    // A page's memory is a wasm32 instance's: at most 4 GiB of address space.
    p.memory_capacity_mb = p.memory_capacity_mb.min(crate::catalog::detected::WASM32_MAX_MB);
    p.default_runtime = "onnxruntime-web".to_string();
    // The native built-in runner's efficiency and fork-join do not carry over to a page.
    p.runtime_efficiency.clear();
    p.runtime_region_us.clear();
    p.sources.push((
        "wasm".to_string(),
        format!(
            "peak fp32 = the native {:.3} TFLOP/s × {ratio:.3}: WASM SIMD128 {} FP32 FLOP/cycle (4 lanes × 2 with relaxed-SIMD FMA × the FMA pipes; reliability U: without FMA it is half) against {}'s {}; memory capped at wasm32's 4 GiB; the built-in runtime's native efficiency above does not apply in a page",
            cpu.peak_tflops.fp32, b.isa.simd128_flops_per_cycle, b.isa.name, b.isa.flops_per_cycle
        ),
    ));
    p
}

/// The built-in runtime's kernel efficiency that makes `p` reproduce the measured chains: the efficiency at
/// which the predicted 1-thread time of the chains equals the measured one (bisection; the predicted time
/// falls as the efficiency rises, and which operators are compute- or memory-bound changes with it).
fn fitted_builtin_efficiency(p: &DeviceProfile, b: &CpuBench) -> Result<f64> {
    let runtime = RuntimeProfile::find("builtin")?;
    let mut specs = Vec::new();
    let mut flops = 0.0;
    for w in chains_of(b.chain_mflop)? {
        let mut spec = w.spec();
        spec.threads = Some(1);
        flops += w.flops();
        specs.push(spec);
    }
    let measured_ms = flops / (b.builtin_chain.median * 1e9) * 1e3;
    let predicted_ms = |efficiency: f64| -> Result<f64> {
        let mut probe = p.clone();
        probe.runtime_efficiency = vec![("builtin".to_string(), efficiency)];
        let target = Target {
            device: probe.clone().into(),
            runtime: Some(runtime.clone()),
            devices: vec![probe],
        };
        let workload = PredictWorkload { models: specs.clone(), constraints: Default::default() };
        let prep = MultiModelPredictor::default().prepare(&workload, &target)?;
        Ok((0..specs.len()).map(|i| prep.single(i, 1).latency_ms).sum())
    };
    let (mut lo, mut hi) = (0.01f64, 1.0f64);
    if predicted_ms(hi)? >= measured_ms {
        return Ok(hi);
    }
    if predicted_ms(lo)? <= measured_ms {
        return Ok(lo);
    }
    for _ in 0..40 {
        let mid = (lo * hi).sqrt();
        if predicted_ms(mid)? > measured_ms {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((lo * hi).sqrt())
}

/// `1T a; 2T b; …`: one figure per thread count, each written by `show`.
fn per_thread<'a, F: 'a>(
    threads: impl IntoIterator<Item = &'a usize>,
    figures: impl IntoIterator<Item = &'a F>,
    show: impl Fn(&F) -> String,
) -> String {
    threads
        .into_iter()
        .zip(figures)
        .map(|(t, f)| format!("{t}T {}", show(f)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn sources_text(b: &CpuBench, builtin_efficiency: f64) -> String {
    let mut parts = vec![format!(
        "mmperf calibrate ({:.0} s, medians with IQR and range; other processes kept {:.2} cores busy meanwhile) on {} cores, ISA {} ({} FP32 FLOP/cycle{})",
        b.elapsed_s,
        b.others_cores,
        b.cores,
        b.isa.name,
        b.isa.flops_per_cycle,
        b.isa
            .peak_gflops()
            .map_or(String::new(), |p| format!(", {p:.1} GFLOP/s per core; large 1-thread GEMM at {:.0} %", 100.0 * b.large_1() / p))
    )];
    for sh in &b.shapes {
        parts.push(format!(
            "tuned GEMM (matrixmultiply) {} {}×{}×{} GFLOP/s: {}",
            sh.label,
            sh.gemm.m,
            sh.gemm.k,
            sh.gemm.n,
            per_thread(&b.threads, &sh.gflops, |f| f.show(1))
        ));
    }
    parts.push(format!(
        "peak fp32 = {} cores × large 1-thread {:.1} GFLOP/s ÷ tile efficiency {LARGE_TILE_EFFICIENCY}",
        b.cores,
        b.large_1()
    ));
    parts.push(format!(
        "all_core_rate {:.3} = best per-stream rate of {} single-thread GEMM streams at once {} ÷ best of one alone {}",
        b.all_core_rate(),
        b.cores,
        b.stream_all.show(1),
        b.stream_alone.show(1)
    ));
    parts.push(format!(
        "kernel_overhead_us {:.3} = parallel region on a spinning pool per thread beyond the first (fit over 2..{} threads to each count's least-disturbed sample median; µs per region: {})",
        b.region_us_per_thread(),
        b.cores,
        per_thread(&b.threads, &b.region_us, |f| f.show(2))
    ));
    parts.push(format!(
        "memory_bandwidth_gbps {:.2} (best pass of any thread count), per_unit_bandwidth_gbps {:.2} (1 thread), streaming read of {:.0} MB: {}",
        b.bandwidth_best(),
        b.bandwidth_1(),
        b.stream_mb,
        per_thread(&b.threads, &b.bandwidth, |f| format!("{} best {:.2}", f.show(2), f.max))
    ));
    if b.llc_bytes > 0 {
        parts.push(format!(
            "llc_mb {:.1} ({}), llc_bandwidth_gbps {:.2}: one thread reading {} MiB kept in it, {LLC_PASSES} times per sample: {} GB/s",
            b.llc_bytes as f64 / f64::from(1 << 20),
            llc_source(b),
            b.llc_bandwidth.median,
            b.llc_bytes >> 21,
            b.llc_bandwidth.show(2)
        ));
    }
    parts.push(format!(
        "page_fault_us {:.2}: first write to a fresh 4 KiB page, 1 thread, {} MiB calloc'd afresh per sample: {} µs",
        b.page_fault_us.median,
        PAGE_PROBE_BYTES >> 20,
        b.page_fault_us.show(2)
    ));
    parts.push(format!(
        "runtime_efficiency builtin {:.3}: fitted so that this profile reproduces the built-in kernel's {} GFLOP/s on RoBERTa-base + CLIP ViT-B/32 chains at {:.0} MFLOP, 1 thread (bisection on the predicted time); on the same chains the tuned GEMM runs {} GFLOP/s ({:.0} % of the large GEMM: small shapes, packing), so the built-in kernel alone is {:.3} of it. runtime_region_us builtin {:.1}: the built-in runner's fork-join per extra thread, timed on the same chains with their GEMMs' work in the threads (threads started per GEMM; the t-thread run less the slowest thread's share of the 1-thread run, per GEMM; µs: {})",
        builtin_efficiency,
        b.builtin_chain.show(2),
        b.chain_mflop,
        b.tuned_chain.show(2),
        100.0 * b.tuned_chain.median / b.large_1().max(1e-9),
        b.builtin_vs_tuned(),
        b.builtin_fork_join_per_thread_us(),
        per_thread(b.threads.iter().skip(1), &b.builtin_fork_join_us, |f| f.show(1))
    ));
    parts.push("serial_fraction 0 (per-op region cost instead of Amdahl); spin_wait_share the catalog's; sustained_clock_ratio 1 (measured at sustained clocks)".to_string());
    parts.join(". ")
}

/// Below this [`concurrency_of`], the cores did not run at once during the probes and the profile would
/// describe a machine with fewer cores: `mmperf calibrate` measures again. Measured on the 2-vCPU
/// development VM: 0.99-1.0 when quiet, 0.53-0.55 with a core held elsewhere; 0.7 lies between, below any
/// quiet figure seen (the lowest all-core rate a quiet calibration wrote is 0.90, `profile-dev-vm-s5.json`).
pub const CONCURRENT_ENOUGH: f64 = 0.7;

/// The lower of the all-core rate (one-thread GEMM streams on every core against one alone) and the large
/// GEMM's scaling on `n` threads (its rate over `n` times its 1-thread rate). Both are about 1 on a quiet
/// machine (2 vCPUs here: 0.99-1.0 and 0.99); on these VMs both have read about 0.55 for minutes at a time,
/// and once the 2-thread GEMM alone did (108.6 GFLOP/s against 102 on one thread, all-core rate 0.999), with
/// no steal time and no other process: a core held elsewhere.
pub fn concurrency_of(all_core_rate: f64, large_1: f64, large_n: f64, n: usize) -> f64 {
    if n <= 1 || large_1 <= 0.0 {
        return all_core_rate;
    }
    all_core_rate.min(large_n / (n as f64 * large_1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streaming_read_sums_every_element_once_whatever_the_length() {
        // Lengths below one round of the streams, at a round's edge, and with a remainder after the streams.
        for len in [0usize, 5, 63, 64, 65, 1000, 4096 + 17] {
            let xs: Vec<f32> = (0..len).map(|i| (i % 3) as f32).collect();
            let exact: f32 = (0..len).map(|i| (i % 3) as f32).sum();
            assert_eq!(stream_sum(&xs), exact, "length {len}");
        }
    }

    #[test]
    fn the_held_cache_ends_where_half_the_reads_miss() {
        const MIB: usize = 1 << 20;
        // A VM whose sysfs reports a 480 MiB L3: 40 GB/s from the cache up to 32 MiB, memory's 15 beyond.
        let sweep: Vec<(usize, f64)> =
            [(4, 40.0), (8, 39.0), (16, 37.0), (32, 30.0), (64, 18.0), (128, 15.5), (256, 15.0)]
                .iter()
                .map(|&(mib, gbps)| (mib * MIB, gbps))
                .collect();
        // Half the bytes from each: 2 / (1/40 + 1/15) = 21.82 GB/s; 32 MiB reads 30, 64 MiB 18, so the cache
        // ends (30 - 21.82) / (30 - 18) = 0.68 of the way from 32 to 64 MiB on the log scale: 32 * 2^0.68.
        let held = held_cache(&sweep, 15.0).unwrap();
        let expected = 32.0 * 2f64.powf((30.0 - 240.0 / 11.0) / 12.0) * MIB as f64;
        assert!((held as f64 - expected).abs() <= 1.0, "{held} against {expected}");
        assert!(held > 32 * MIB && held < 64 * MIB);
        // A rise past the first miss does not extend it.
        let mut rise = sweep.clone();
        rise[5].1 = 35.0;
        assert_eq!(held_cache(&rise, 15.0), Some(held));
        // A rise inside the held run is noise: 64 MiB read at 28 GB/s after 32 MiB at 25 cannot hold more, so
        // it counts at 25 and the cache ends (25 - 21.82) / (25 - 15.5) of the way from 64 to 128 MiB, not
        // from 28 (which would put it further).
        let mut noisy = sweep.clone();
        noisy[3].1 = 25.0;
        noisy[4].1 = 28.0;
        let got = held_cache(&noisy, 15.0).unwrap() as f64;
        let expected = 64.0 * 2f64.powf((25.0 - 240.0 / 11.0) / (25.0 - 15.5)) * MIB as f64;
        assert!((got - expected).abs() <= 1.0, "{got} against {expected}");
        // A rate just either side of the half-way mark moves the size a little, not twofold.
        let mut at = sweep.clone();
        at[4].1 = 240.0 / 11.0 + 0.05;
        let above = held_cache(&at, 15.0).unwrap();
        at[4].1 = 240.0 / 11.0 - 0.05;
        let below = held_cache(&at, 15.0).unwrap();
        assert!(
            above >= 63 * MIB && below >= 63 * MIB && above <= 65 * MIB && below <= 65 * MIB,
            "{above} {below}"
        );
        // Every buffer held: the sweep ended before the cache did, so sysfs's size stands.
        assert_eq!(held_cache(&sweep[..4], 15.0), None);
        // No cache seen (the smallest buffer reads at memory's rate, or within noise of it), no sweep, no
        // memory figure, a rate that is not a number.
        assert_eq!(held_cache(&[(4 * MIB, 14.0), (8 * MIB, 14.0)], 15.0), None);
        assert_eq!(held_cache(&[(4 * MIB, 16.0), (8 * MIB, 15.0)], 15.0), None);
        assert_eq!(held_cache(&[(4 * MIB, f64::NAN), (8 * MIB, 15.0)], 15.0), None);
        assert_eq!(held_cache(&sweep, f64::NAN), None);
        assert_eq!(held_cache(&[], 15.0), None);
        assert_eq!(held_cache(&sweep, 0.0), None);
        // The second buffer already at memory's rate: the cache ends between the first two.
        let small = held_cache(&[(4 * MIB, 20.0), (8 * MIB, 15.0)], 15.0).unwrap();
        assert!(small > 4 * MIB && small < 8 * MIB, "{small}");
        // A rate that is not a number after the first counts as the rate before it.
        let mut nan = sweep.clone();
        nan[2].1 = f64::NAN;
        assert!(held_cache(&nan, 15.0).is_some_and(|b| b > 32 * MIB && b < 64 * MIB));
    }

    #[test]
    fn the_cache_sweep_times_every_doubling_up_to_its_end() {
        let quick = Settings::new(true);
        let sweep = cache_sweep(64 << 10, 300 << 10, &quick);
        let sizes: Vec<usize> = sweep.iter().map(|(b, _)| *b).collect();
        assert_eq!(sizes, [64 << 10, 128 << 10, 256 << 10]);
        assert!(sweep.iter().all(|(_, f)| f.median > 0.0 && f.median.is_finite()));
        assert!(cache_sweep(4 << 20, 1 << 20, &quick).is_empty());
    }

    #[test]
    fn concurrency_is_the_weaker_of_the_two_probes() {
        // A quiet 2-core VM: both about 1.
        assert!((concurrency_of(1.0, 102.4, 202.9, 2) - 0.9907).abs() < 1e-3);
        // The calibration that missed a core: streams at 0.544, the 2-thread GEMM at 107.5 of 2 x 102.17.
        assert!(concurrency_of(0.544, 102.17, 107.5, 2) < CONCURRENT_ENOUGH);
        // Streams fine, the 2-thread GEMM alone at one core's rate.
        assert!((concurrency_of(0.999, 102.0, 108.6, 2) - 108.6 / 204.0).abs() < 1e-12);
        // One core: only the streams' figure (1 there).
        assert_eq!(concurrency_of(1.0, 100.0, 100.0, 1), 1.0);
    }

    #[test]
    fn the_per_thread_fit_goes_through_the_origin() {
        // 2, 3, 4 threads at 1 µs per extra thread.
        assert!((per_extra_thread(&[1, 2, 3, 4], &[0.0, 1.0, 2.0, 3.0]) - 1.0).abs() < 1e-12);
        assert_eq!(per_extra_thread(&[1], &[0.0]), 0.0);
    }

    #[test]
    fn thread_counts_cover_one_to_all_cores() {
        assert_eq!(thread_counts(2), vec![1, 2]);
        assert_eq!(thread_counts(12), vec![1, 2, 4, 8, 12]);
    }

    #[test]
    fn the_tuned_kernels_compute_the_product() {
        let g = ChainGemm { m: 3, k: 5, n: 7 };
        let a: Vec<f32> = (0..15).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..35).map(|i| (i % 4) as f32 - 1.5).collect();
        let mut c = vec![0.0; 21];
        sgemm(g, &a, &b, 7, &mut c);
        let mut naive = vec![0.0; 21];
        workload::gemm_rows(&a, &b, 5, 7, &mut naive);
        assert!(c.iter().zip(&naive).all(|(x, y)| (x - y).abs() < 1e-4));
        let mut y = vec![0.0; 7];
        sgemv(&a[..5], &b, 7, &mut y);
        assert!(y.iter().zip(&naive[..7]).all(|(x, y)| (x - y).abs() < 1e-4));
    }
}
