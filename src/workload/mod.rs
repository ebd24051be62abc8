//! Architecture-shaped synthetic workloads: the chain of dense GEMMs a catalog model's forward pass performs,
//! at the model's dimensions scaled down by one documented factor, with seeded data. They let the browser pool
//! (WebGPU compute shaders, WASM) and native measurement run real work of a model's shape without weights.
//!
//! **Shape.** From the model entry (batch, input size) the encoder / prefill pass is expanded into operators
//! ([`crate::catalog::models::Architecture::work`]); every operator that multiplies by a weight matrix (linear
//! layers, convolutions lowered to GEMMs, LM heads) becomes one GEMM `m × k · k × n`, in order, repeated per
//! layer. Attention score products, norms, element-wise epilogues and token-by-token decoding are not part
//! of the chain: it is the weight-GEMM work, which is most of the FLOPs of every catalog model.
//!
//! **Scale.** Every dimension `m`, `k`, `n` is multiplied by `scale` and rounded (at least 1), so FLOPs shrink
//! by about `scale³` and every layer is kept. When no scale is given, the largest scale ≤ 1 whose chain stays
//! within `max_mflop` MFLOP is used: `(max_mflop / full MFLOP)^(1/3)`.
//!
//! **Chaining.** GEMM `i` reads its `m_i × k_i` input from the previous output `Y` (`m_{i-1} × n_{i-1}`) as
//! `X[r][c] = Y[r mod m_{i-1}][c mod n_{i-1}]`, so shapes need not match and every result depends on every
//! layer. The first GEMM reads the seeded input. Weights are uniform in `±√(3/k)` (variance `1/k`), which
//! keeps activations at unit scale through any number of layers, so fp32 results stay comparable.
//!
//! **Data.** Input and weights come from SplitMix64 seeded by the model's canonical name and layer index: the same
//! workload has the same numbers everywhere, and [`run_cpu`] is the reference any other backend is checked
//! against ([`max_relative_error`]).

use crate::catalog::arch::OpClass;
use crate::catalog::models::ChainGemm;
use crate::catalog::Precision;
use crate::error::{Error, Result};
use crate::predict::spec::{resolve, CustomModel, ModelSpec};

/// Default budget for one workload when no scale is given, MFLOP: about 14 ms per model on one WASM core at the
/// 4.5 GFLOP/s measured in Chromium here (`node --test tests/js/pool.test.mjs`), so a page can run several
/// models several times without stalling.
pub const DEFAULT_MAX_MFLOP: f64 = 64.0;

/// How to size a workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkloadOptions {
    /// Dimension scale in (0, 1]; `None`: the largest that fits `max_mflop`.
    pub scale: Option<f64>,
    /// Budget when `scale` is `None`, MFLOP (> 0).
    pub max_mflop: f64,
}

impl Default for WorkloadOptions {
    fn default() -> Self {
        WorkloadOptions { scale: None, max_mflop: DEFAULT_MAX_MFLOP }
    }
}

/// A GEMM chain shaped like a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// The model entry it is shaped from.
    pub model: String,
    /// Items per run (the model entry's batch).
    pub batch: u32,
    /// The GEMMs, in execution order.
    pub gemms: Vec<ChainGemm>,
    /// The dimension scale applied.
    pub scale: f64,
    /// GFLOP of the model's full-size weight GEMMs.
    pub full_gflop: f64,
    /// Seed of the data (from the model name).
    pub seed: u64,
}

/// Builds the workload of one model entry (`field` names it in errors).
pub fn build(spec: &ModelSpec, field: &str, options: WorkloadOptions) -> Result<Workload> {
    if let Some(s) = options.scale {
        if !(s.is_finite() && s > 0.0 && s <= 1.0) {
            return Err(Error::invalid(format!("{field}.scale"), s, "a number in (0, 1]"));
        }
    }
    if !(options.max_mflop.is_finite() && options.max_mflop > 0.0) {
        return Err(Error::invalid(
            format!("{field}.maxMflop"),
            options.max_mflop,
            "a positive number of MFLOP",
        ));
    }
    let resolved = resolve(spec, field)?;
    let work = resolved.arch.work(&resolved.input);
    let mut full = Vec::new();
    for op in work.prefill.iter().filter(|op| op.class == OpClass::Gemm && op.weight_elems > 0.0) {
        for _ in 0..(op.repeat.round().max(1.0) as u64) {
            full.push([op.batches * op.m, op.k, op.n]);
        }
    }
    if full.is_empty() {
        return Err(Error::invalid(
            field,
            &spec.name,
            "a model with weight GEMMs (linear or convolution layers)",
        ));
    }
    let full_flops: f64 = full.iter().map(|[m, k, n]| 2.0 * m * k * n).sum();
    let scale =
        options.scale.unwrap_or_else(|| (options.max_mflop * 1e6 / full_flops).cbrt().min(1.0));
    let dim = |x: f64| (x * scale).round().clamp(1.0, f64::from(u32::MAX)) as u32;
    let gemms =
        full.iter().map(|&[m, k, n]| ChainGemm { m: dim(m), k: dim(k), n: dim(n) }).collect();
    // Catalog models are named canonically, so aliases give the same data (and share weights).
    let name = crate::catalog::models::find(&spec.name)
        .filter(|_| spec.custom.is_none())
        .map_or_else(|| spec.name.clone(), |m| m.name.to_string());
    Ok(Workload {
        seed: fnv1a(name.as_bytes()),
        model: name,
        batch: spec.batch_size,
        gemms,
        scale,
        full_gflop: full_flops / 1e9,
    })
}

impl Workload {
    /// FLOPs of one run.
    pub fn flops(&self) -> f64 {
        self.gemms.iter().map(|g| 2.0 * f64::from(g.m) * f64::from(g.k) * f64::from(g.n)).sum()
    }

    /// Elements of the first GEMM's input.
    pub fn input_len(&self) -> usize {
        self.gemms.first().map_or(0, |g| g.m as usize * g.k as usize)
    }

    /// Elements of the last GEMM's output.
    pub fn output_len(&self) -> usize {
        self.gemms.last().map_or(0, |g| g.m as usize * g.n as usize)
    }

    /// Bytes of all weights (fp32).
    pub fn weight_bytes(&self) -> f64 {
        self.gemms.iter().map(|g| 4.0 * f64::from(g.k) * f64::from(g.n)).sum()
    }

    /// Largest single buffer (weights, input or output of one GEMM), bytes.
    pub fn largest_buffer_bytes(&self) -> f64 {
        self.gemms
            .iter()
            .map(|g| {
                let (m, k, n) = (f64::from(g.m), f64::from(g.k), f64::from(g.n));
                4.0 * (k * n).max(m * k).max(m * n)
            })
            .fold(0.0, f64::max)
    }

    /// The seeded input (`m_0 × k_0`, row-major).
    pub fn input(&self) -> Vec<f32> {
        uniform(self.seed, self.input_len(), 1.0)
    }

    /// The seeded weights of GEMM `i` (`k × n`, row-major).
    pub fn weights(&self, i: usize) -> Vec<f32> {
        let g = self.gemms[i];
        let bound = (3.0 / f64::from(g.k)).sqrt();
        uniform(
            splitmix(self.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            g.k as usize * g.n as usize,
            bound,
        )
    }

    /// The entry the predictor models this workload with: the same GEMMs, fp32, this batch.
    pub fn spec(&self) -> ModelSpec {
        let mut s = ModelSpec::named(&format!("{} (built-in workload)", self.model));
        s.batch_size = self.batch.max(1);
        s.precision = Precision::Fp32;
        s.custom = Some(CustomModel::Chain(self.gemms.clone()));
        s
    }
}

/// Fills `x` (`g.m × g.k`) from the previous output `y` (`prev_m × prev_n`) by the chaining rule.
pub fn chain_input(y: &[f32], prev_m: u32, prev_n: u32, g: ChainGemm, x: &mut Vec<f32>) {
    x.clear();
    x.reserve(g.m as usize * g.k as usize);
    for r in 0..g.m {
        let row = (r % prev_m) as usize * prev_n as usize;
        for c in 0..g.k {
            x.push(y[row + (c % prev_n) as usize]);
        }
    }
}

/// `y = x · w` for `x: m × k`, `w: k × n`, all row-major; `y` is overwritten. The inner loop runs over `n`
/// contiguously so the compiler vectorises it (WASM SIMD in the browser build).
pub fn gemm(x: &[f32], w: &[f32], g: ChainGemm, y: &mut Vec<f32>) {
    let (m, n) = (g.m as usize, g.n as usize);
    y.clear();
    y.resize(m * n, 0.0);
    gemm_rows(x, w, g.k as usize, n, y);
}

/// `y += x · w` for the rows `y` holds (`y.len() / n` rows of `x`, `k` wide): the unit that threads split.
pub fn gemm_rows(x: &[f32], w: &[f32], k: usize, n: usize, y: &mut [f32]) {
    for (xr, yr) in x.chunks_exact(k).zip(y.chunks_exact_mut(n)) {
        for (&a, wr) in xr.iter().zip(w.chunks_exact(n)) {
            for (o, &b) in yr.iter_mut().zip(wr) {
                *o += a * b;
            }
        }
    }
}

/// Runs the whole chain on this thread with `weights[i]` for GEMM `i`; returns the last output.
pub fn run_cpu(w: &Workload, input: &[f32], weights: &[Vec<f32>]) -> Vec<f32> {
    let mut y = Vec::new();
    let mut x = input.to_vec();
    let mut prev: Option<ChainGemm> = None;
    for (i, g) in w.gemms.iter().enumerate() {
        if let Some(p) = prev {
            chain_input(&y, p.m, p.n, *g, &mut x);
        }
        gemm(&x, &weights[i], *g, &mut y);
        prev = Some(*g);
    }
    y
}

/// Largest absolute difference relative to the reference's largest magnitude (0 when equal); infinite when
/// the lengths differ or a value is not finite.
pub fn max_relative_error(got: &[f32], reference: &[f32]) -> f64 {
    if got.len() != reference.len() {
        return f64::INFINITY;
    }
    let scale =
        reference.iter().map(|v| f64::from(v.abs())).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut worst = 0.0f64;
    for (a, b) in got.iter().zip(reference) {
        let d = f64::from(*a) - f64::from(*b);
        if !d.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(d.abs());
    }
    worst / scale
}

/// FNV-1a, 64 bit: a stable seed from a name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` values uniform in `[-bound, bound)` from a SplitMix64 stream.
fn uniform(seed: u64, len: usize, bound: f64) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let u = (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64;
            ((2.0 * u - 1.0) * bound) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests;
