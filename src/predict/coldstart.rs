//! Cold start: how long the first run takes compared with a warm one. A model's first run waits for its
//! weights (read from disk, the network or a browser cache, then copied over the host link to a device with
//! its own memory), for its kernels to be compiled or selected (shader pipelines in browsers), and for any
//! warm-up iterations. One weight source serves the models in the order they run.

use super::multi::{Plan, Prepared, Residency, Strategy};
use super::single::MB;
use crate::catalog::hardware::MemoryPool;
use crate::error::{Error, Result};

/// Where the weights come from on a cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightSource {
    /// Already in host RAM (only the host-to-device copy remains).
    Memory,
    /// A local SSD.
    Disk,
    /// Downloaded.
    Network,
    /// The browser's Cache Storage / IndexedDB.
    BrowserCache,
}

/// NVMe SSD sequential read: PCIe 3.0 x4 drives reach ~3.5 GB/s; 3 GB/s assumed.
pub const DISK_GBPS: f64 = 3.0;
/// A 100 Mbit/s connection.
pub const NETWORK_GBPS: f64 = 0.0125;
/// Reading a cached model from Cache Storage/IndexedDB into the page: ~1 GB/s (U).
pub const BROWSER_CACHE_GBPS: f64 = 1.0;

impl WeightSource {
    /// Every weight source, in a fixed order.
    pub const ALL: [WeightSource; 4] =
        [Self::Memory, Self::Disk, Self::Network, Self::BrowserCache];

    /// Parses `memory`, `disk`, `network`, `cache`.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "memory" | "ram" => Ok(Self::Memory),
            "disk" | "ssd" => Ok(Self::Disk),
            "network" | "net" => Ok(Self::Network),
            "cache" | "browser-cache" | "browser_cache" => Ok(Self::BrowserCache),
            _ => Err(Error::invalid(field, text, "one of memory, disk, network, cache")),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Disk => "disk",
            Self::Network => "network",
            Self::BrowserCache => "cache",
        }
    }

    /// Default bandwidth, GB/s (`None` for memory: no read from a source).
    pub fn default_gbps(self) -> Option<f64> {
        match self {
            Self::Memory => None,
            Self::Disk => Some(DISK_GBPS),
            Self::Network => Some(NETWORK_GBPS),
            Self::BrowserCache => Some(BROWSER_CACHE_GBPS),
        }
    }
}

/// Cold-start options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColdStartConfig {
    /// Weight source.
    pub source: WeightSource,
    /// Its bandwidth, GB/s (the source's default when `None`).
    pub source_gbps: Option<f64>,
    /// Warm-up iterations run before the measured first run.
    pub warmup_iterations: u32,
}

impl Default for ColdStartConfig {
    fn default() -> Self {
        ColdStartConfig { source: WeightSource::Disk, source_gbps: None, warmup_iterations: 0 }
    }
}

/// One model's first-run costs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelColdStart {
    /// Model name.
    pub name: String,
    /// Reading its weights from the source, ms.
    pub read_ms: f64,
    /// Copying them to the device, ms (0 for host-memory devices).
    pub copy_ms: f64,
    /// Kernel compilation/selection on first use, ms.
    pub compile_ms: f64,
    /// Warm-up iterations, ms.
    pub warmup_ms: f64,
    /// A warm run alone, ms.
    pub warm_ms: f64,
    /// The first run alone from nothing: read + copy + compile + warm-up + one run, ms.
    pub first_run_ms: f64,
}

/// Cold and warm makespan of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyColdStart {
    /// Strategy.
    pub strategy: Strategy,
    /// Weights kept loaded, or unloaded after each model (then every round pays the copy per switch).
    pub residency: Residency,
    /// Makespan of a warm round, ms.
    pub warm_ms: f64,
    /// Makespan of the first round from nothing, ms.
    pub cold_ms: f64,
}

/// The cold-start report.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdStartReport {
    /// Options used.
    pub config: ColdStartConfig,
    /// Source bandwidth used, GB/s (0 for memory).
    pub source_gbps: f64,
    /// Per model, in the user's order.
    pub models: Vec<ModelColdStart>,
    /// Per strategy.
    pub strategies: Vec<StrategyColdStart>,
}

/// Predicts cold against warm for every strategy.
pub fn cold_start(prep: &Prepared, config: ColdStartConfig) -> Result<ColdStartReport> {
    let gbps = match (config.source_gbps, config.source.default_gbps()) {
        (Some(g), _) if !(g.is_finite() && g > 0.0) => {
            return Err(Error::invalid("source_gbps", g, "a positive number of GB/s"))
        }
        (Some(g), _) => g,
        (None, Some(g)) => g,
        (None, None) => 0.0,
    };
    let models: Vec<ModelColdStart> = (0..prep.models.len())
        .map(|i| model_cold_start(prep, i, gbps, config.warmup_iterations))
        .collect();
    let mut plans: Vec<Plan> = Strategy::ALL.iter().map(|&s| prep.plan(s)).collect();
    let mut unload = prep.plan(Strategy::Sequential);
    unload.residency = Residency::Unload;
    plans.push(unload);
    let strategies = plans
        .iter()
        .map(|plan| {
            let warm = prep.evaluate(plan);
            StrategyColdStart {
                strategy: plan.strategy,
                residency: plan.residency,
                warm_ms: warm.combined_latency_ms,
                cold_ms: cold_makespan(plan, &models, &warm.models),
            }
        })
        .collect();
    Ok(ColdStartReport { config, source_gbps: gbps, models, strategies })
}

fn model_cold_start(prep: &Prepared, i: usize, source_gbps: f64, warmup: u32) -> ModelColdStart {
    let m = &prep.models[i];
    let dev = &prep.devices[m.device];
    let threads = if dev.concurrency == crate::catalog::hardware::Concurrency::CpuThreads {
        dev.compute_units
    } else {
        0
    };
    let solo = prep.single(i, m.spec.threads.unwrap_or(threads));
    let bytes = solo.memory.weights_mb * MB;
    let read_ms = if source_gbps > 0.0 { bytes / (source_gbps * 1e9) * 1e3 } else { 0.0 };
    let copy_ms = if dev.memory_pool == MemoryPool::Dedicated {
        bytes / (dev.host_link_gbps * 1e9) * 1e3
    } else {
        0.0
    };
    let work = m.work();
    // Each listed operator is one distinct kernel shape; repeated layers reuse it, except under a runtime
    // that compiles the whole graph, which processes every operator the model runs.
    let compiled = if m.runtime.compiles_every_operator {
        work.prefill.iter().chain(&work.decode_step).map(|o| o.repeat).sum::<f64>()
    } else {
        (work.prefill.len() + work.decode_step.len()) as f64
    };
    let compile_ms = compiled * m.runtime.compile_us_per_kernel / 1e3;
    let warmup_ms = f64::from(warmup) * solo.latency_ms;
    ModelColdStart {
        name: m.spec.name.clone(),
        read_ms,
        copy_ms,
        compile_ms,
        warmup_ms,
        warm_ms: solo.latency_ms,
        first_run_ms: read_ms + copy_ms + compile_ms + warmup_ms + solo.latency_ms,
    }
}

/// First-round makespan: the source reads weights in the plan's order, one model at a time; a model is
/// ready when its read, copy, compilation and warm-up are done; a group starts when its models are ready and
/// the previous group has finished, and then takes as long as it does warm.
fn cold_makespan(
    plan: &Plan,
    models: &[ModelColdStart],
    warm: &[super::multi::ModelResult],
) -> f64 {
    let mut source_free = 0.0;
    let mut ready = vec![0.0; models.len()];
    // With unloading, every run (warm ones too) already copies its weights to the device.
    let copy = |m: &ModelColdStart| {
        if plan.residency == Residency::Unload {
            0.0
        } else {
            m.copy_ms
        }
    };
    for &i in plan.groups.iter().flatten() {
        source_free += models[i].read_ms;
        let m = &models[i];
        ready[i] = source_free + copy(m) + m.compile_ms + m.warmup_ms;
    }
    let mut now: f64 = 0.0;
    for group in &plan.groups {
        let start = group.iter().map(|&i| ready[i]).fold(now, f64::max);
        let span = group.iter().map(|&i| warm[i].end_ms).fold(0.0, f64::max)
            - group.iter().map(|&i| warm[i].start_ms).fold(f64::INFINITY, f64::min);
        now = start + span.max(0.0);
    }
    now
}
