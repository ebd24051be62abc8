//! Memory optimisation advice: where memory goes and ranked, quantified options to reduce it.
//!
//! [`advise`] predicts a workload under a strategy, breaks its memory down per model, and lists options:
//! lower precision per model, operator fusion the runtime does not do yet, one activation arena shared by
//! models that never run at the same time, a planned arena instead of per-tensor caching allocation, and,
//! when the workload does not fit, a fit plan. Every option except the planned-arena estimate is measured:
//! its [`Change`]s are applied with [`apply`] and the whole prediction is re-run, so `saved_mb` and
//! `latency_delta_ms` are differences between two predictions, never a guess. Applying the fit plan's
//! changes with [`apply`] gives exactly the feasible prediction it reports.
//!
//! ```
//! use multimodel_perf::catalog::sharing::SharingConfig;
//! use multimodel_perf::predict::memory::{advise, apply};
//! use multimodel_perf::{wire, Strategy, Target};
//!
//! let workload = wire::parse_workload(r#"[
//!     {"model_name": "llama-3.2-1b", "batch_size": 32, "sequence_length": 2048},
//!     {"model_name": "qwen2.5-0.5b", "batch_size": 32, "sequence_length": 2048}
//! ]"#)?.workload;
//! let target = Target::new("cuda:t4")?;
//! let sharing = SharingConfig::default();
//! let advice = advise(&workload, &target, &sharing, Strategy::Parallel)?;
//! assert!(!advice.feasible);
//! let fit = advice.fit_plan.expect("a fit plan for an over-capacity workload");
//! let applied = apply(&workload, &target, &sharing, Strategy::Parallel, &fit.option.changes)?;
//! assert!(applied.prediction.feasible);
//! # Ok::<(), multimodel_perf::Error>(())
//! ```

mod alloc;
mod fit;
mod fusion;
mod options;
mod precision;
mod table;

use super::multi::{
    prepare, MultiPrediction, Plan, Prepared, Residency, Strategy, Target, Workload,
};
use crate::catalog::runtime::RuntimeProfile;
use crate::catalog::sharing::SharingConfig;
use crate::catalog::Precision;
use crate::error::{Error, Result};
use crate::predict::spec::AttentionKernels;

pub use alloc::caching_allocator_reserved_bytes;

/// What an option does, for grouping and display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionKind {
    /// Store (and compute) some models' weights at a lower precision.
    LowerPrecision,
    /// Run attention as one fused kernel that never materialises the score matrix.
    FusedAttention,
    /// Fuse bias/activation/residual/batch-norm epilogues into the kernel that produces their input.
    EpilogueFusion,
    /// One activation arena reused by models that never run at the same time.
    SharedArena,
    /// Activations from one planned arena (offsets computed ahead) instead of per-tensor caching allocation.
    PlannedArena,
    /// The smallest set of changes that makes an over-capacity workload fit.
    FitPlan,
}

impl OptionKind {
    /// Every kind of option, in a fixed order.
    pub const ALL: [OptionKind; 6] = [
        Self::LowerPrecision,
        Self::FusedAttention,
        Self::EpilogueFusion,
        Self::SharedArena,
        Self::PlannedArena,
        Self::FitPlan,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::LowerPrecision => "lower-precision",
            Self::FusedAttention => "fused-attention",
            Self::EpilogueFusion => "epilogue-fusion",
            Self::SharedArena => "shared-arena",
            Self::PlannedArena => "planned-arena",
            Self::FitPlan => "fit-plan",
        }
    }
}

/// One concrete change to a workload, its target or its plan. Model indices refer to the workload the
/// changes are applied to (the user's order).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Store these models' weights at `precision`.
    Precision {
        /// Model indices.
        models: Vec<usize>,
        /// New weight precision.
        precision: Precision,
    },
    /// The target's runtime runs attention as one fused kernel, and entries that ask for it unfused
    /// (`ModelSpec::attention`) ask for the fused kernel instead.
    FusedAttention,
    /// The target's runtime fuses element-wise epilogues into their producers.
    EpilogueFusion,
    /// The target's runtime lets models reuse one allocator's memory between runs.
    SharedArena,
    /// Activations come from one planned arena. The prediction already sizes activations exactly, so this
    /// changes nothing in it; the saving is the per-tensor allocator's rounding the prediction leaves out.
    PlannedArena,
    /// Run under another strategy and weight residency.
    Strategy {
        /// Strategy.
        strategy: Strategy,
        /// Whether weights stay loaded between runs.
        residency: Residency,
    },
    /// Leave these models out of the workload.
    Drop {
        /// Model indices.
        models: Vec<usize>,
    },
}

/// One ranked option.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryOption {
    /// What it does.
    pub kind: OptionKind,
    /// Models it applies to (indices into the workload).
    pub models: Vec<usize>,
    /// The changes to pass to [`apply`].
    pub changes: Vec<Change>,
    /// One line a user can act on.
    pub description: String,
    /// Peak memory before minus after, MB.
    pub saved_mb: f64,
    /// Combined latency after minus before, ms (negative: faster).
    pub latency_delta_ms: f64,
    /// `saved_mb` is an estimate, not the difference of two predictions (planned arena only).
    pub estimated: bool,
    /// Whether the prediction with this option applied fits in memory.
    pub feasible: bool,
    /// What to watch out for (accuracy for lower precision, dropped models).
    pub caveat: Option<String>,
}

/// The fit plan of an over-capacity workload, with the prediction it produces.
#[derive(Debug, Clone, PartialEq)]
pub struct FitPlan {
    /// The plan as an option (kind [`OptionKind::FitPlan`]).
    pub option: MemoryOption,
    /// The re-run prediction with every change applied; it is feasible.
    pub prediction: MultiPrediction,
}

/// Where one model's memory goes under the advised strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMemory {
    /// Index in the workload.
    pub index: usize,
    /// Name as given.
    pub name: String,
    /// Weight precision.
    pub precision: Precision,
    /// Weights, MB.
    pub weights_mb: f64,
    /// Largest live activation working set, MB.
    pub activations_mb: f64,
    /// Key/value cache, MB.
    pub kv_cache_mb: f64,
    /// Runtime workspace, MB.
    pub workspace_mb: f64,
    /// Runtime copies and allocator overhead proportional to the weights, MB.
    pub runtime_overhead_mb: f64,
    /// Weights not counted because another model holds them, MB.
    pub shared_mb: f64,
    /// What the model holds after sharing, MB.
    pub held_mb: f64,
}

/// Memory breakdown and ranked options for one workload, target and strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryAdvice {
    /// Strategy advised on.
    pub strategy: Strategy,
    /// Per model, in the workload's order.
    pub models: Vec<ModelMemory>,
    /// Runtime contexts (paid once per runtime and device), MB.
    pub context_mb: f64,
    /// Peak memory of the prediction, MB (all pools).
    pub peak_mb: f64,
    /// Memory available: the pools' capacity, or the `max_memory` budget when smaller, MB.
    pub capacity_mb: f64,
    /// Largest overflow (pool or budget), MB.
    pub overflow_mb: f64,
    /// Whether the prediction fits.
    pub feasible: bool,
    /// Combined latency of the prediction, ms.
    pub latency_ms: f64,
    /// Options, largest saving first, ties by smaller latency cost.
    pub options: Vec<MemoryOption>,
    /// When the prediction does not fit: the smallest set of changes that makes it fit.
    pub fit_plan: Option<FitPlan>,
    /// What could not be offered and why.
    pub notes: Vec<String>,
}

/// A workload with changes applied, and its prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The changed workload (dropped models removed).
    pub workload: Workload,
    /// The changed target (a runtime profile with the requested fusions or allocator).
    pub target: Target,
    /// The plan evaluated.
    pub plan: Plan,
    /// The prediction.
    pub prediction: MultiPrediction,
}

/// Advises on the memory of `workload` on `target` run with `strategy`.
pub fn advise(
    workload: &Workload,
    target: &Target,
    sharing: &SharingConfig,
    strategy: Strategy,
) -> Result<MemoryAdvice> {
    let prep = prepare(workload, target, sharing)?;
    let base = prep.evaluate(&prep.plan(strategy));
    let ctx = options::Ctx { workload, target, sharing, strategy, prep: &prep, base: &base };
    let mut notes = Vec::new();
    let mut options = options::all(&ctx, &mut notes)?;
    rank(&mut options, &prep);
    let fit_plan = if base.feasible { None } else { fit::plan(&ctx, &mut notes)? };
    Ok(MemoryAdvice {
        strategy,
        models: breakdown(&base),
        context_mb: context_mb(&prep),
        peak_mb: base.combined_memory_mb,
        capacity_mb: capacity_mb(&prep),
        overflow_mb: base.overflow_mb,
        feasible: base.feasible,
        latency_ms: base.combined_latency_ms,
        options,
        fit_plan,
        notes,
    })
}

/// Applies `changes` together to `workload` and `target` run with `strategy`, and predicts the result.
/// Precision changes and drops use the indices of `workload`; drops are applied last.
pub fn apply(
    workload: &Workload,
    target: &Target,
    sharing: &SharingConfig,
    strategy: Strategy,
    changes: &[Change],
) -> Result<Applied> {
    let n = workload.models.len();
    let mut out = workload.clone();
    let mut target = target.clone();
    let (mut strategy, mut residency) = (strategy, Residency::Resident);
    let mut dropped = vec![false; n];
    for change in changes {
        match change {
            Change::Precision { models, precision } => {
                for &i in models {
                    out.models[checked(i, n)?].precision = *precision;
                }
            }
            Change::FusedAttention => {
                runtime_mut(&mut target)?.fused_attention = true;
                // Entries that ask for attention unfused ask for the fused kernel instead.
                let unfused = Some(AttentionKernels::Unfused);
                for m in out.models.iter_mut().filter(|m| m.attention == unfused) {
                    m.attention = Some(AttentionKernels::Fused);
                }
            }
            Change::EpilogueFusion => runtime_mut(&mut target)?.fuses_epilogues = true,
            Change::SharedArena => runtime_mut(&mut target)?.shared_allocator = true,
            // The prediction already sizes activations exactly: nothing to change in it.
            Change::PlannedArena => {}
            Change::Strategy { strategy: s, residency: r } => (strategy, residency) = (*s, *r),
            Change::Drop { models } => {
                for &i in models {
                    dropped[checked(i, n)?] = true;
                }
            }
        }
    }
    let mut keep = dropped.iter().map(|d| !d);
    out.models.retain(|_| keep.next().unwrap_or(true));
    let (plan, prediction) = predict(&out, &target, sharing, strategy, residency)?;
    Ok(Applied { workload: out, target, plan, prediction })
}

/// Prepares and evaluates one strategy with one residency.
fn predict(
    workload: &Workload,
    target: &Target,
    sharing: &SharingConfig,
    strategy: Strategy,
    residency: Residency,
) -> Result<(Plan, MultiPrediction)> {
    let prep = prepare(workload, target, sharing)?;
    let plan = Plan { residency, ..prep.plan(strategy) };
    let prediction = prep.evaluate(&plan);
    Ok((plan, prediction))
}

fn checked(i: usize, n: usize) -> Result<usize> {
    if i < n {
        Ok(i)
    } else {
        Err(Error::invalid("changes.models", i, format!("a model index below {n}")))
    }
}

/// The runtime the target's device runs: the target's own, or its platform's default made explicit so that
/// a changed copy can be carried in the target.
pub fn target_runtime(target: &Target) -> Result<RuntimeProfile> {
    match &target.runtime {
        Some(rt) => Ok(rt.clone()),
        None => RuntimeProfile::find(&target.device.default_runtime),
    }
}

fn runtime_mut(target: &mut Target) -> Result<&mut RuntimeProfile> {
    let rt = target_runtime(target)?;
    Ok(target.runtime.insert(rt))
}

/// Largest saving first; then smaller latency cost; then kind and the models' content, so that the order
/// never depends on the order of the entries.
fn rank(options: &mut [MemoryOption], prep: &Prepared) {
    let key = |o: &MemoryOption| -> Vec<String> {
        let mut k: Vec<String> =
            o.models.iter().map(|&i| prep.models[i].spec.canonical_key()).collect();
        crate::sorting::sort(&mut k);
        k
    };
    // Compared at a micro-MB and a nanosecond, far below what matters, so that the last bits of a sum (which
    // depend on the order of its terms) never reorder two options.
    let micro = |x: f64| (x * 1e6).round();
    crate::sorting::sort_by(options, |a, b| {
        micro(b.saved_mb)
            .total_cmp(&micro(a.saved_mb))
            .then(micro(a.latency_delta_ms).total_cmp(&micro(b.latency_delta_ms)))
            .then(a.kind.cmp(&b.kind))
            .then_with(|| key(a).cmp(&key(b)))
            .then_with(|| a.description.cmp(&b.description))
    });
}

fn breakdown(p: &MultiPrediction) -> Vec<ModelMemory> {
    p.models
        .iter()
        .enumerate()
        .map(|(index, m)| {
            let mem = &m.solo.memory;
            ModelMemory {
                index,
                name: m.name.to_string(),
                precision: m.precision,
                weights_mb: mem.weights_mb,
                activations_mb: mem.activations_mb,
                kv_cache_mb: mem.kv_cache_mb,
                workspace_mb: mem.workspace_mb,
                runtime_overhead_mb: mem.runtime_overhead_mb,
                shared_mb: m.shared_mb,
                held_mb: m.memory_mb,
            }
        })
        .collect()
}

/// Runtime contexts, paid once per runtime and device (as the scenario counts them).
fn context_mb(prep: &Prepared) -> f64 {
    let mut seen: Vec<(usize, &str)> = Vec::new();
    let mut total = 0.0;
    for m in &prep.models {
        if !seen.contains(&(m.device, m.runtime.name.as_str())) {
            seen.push((m.device, m.runtime.name.as_str()));
            total += m.runtime.context_mb;
        }
    }
    total
}

fn capacity_mb(prep: &Prepared) -> f64 {
    let pools: f64 = prep.pools.iter().map(|(_, cap)| cap).sum();
    prep.constraints.max_memory_mb.map_or(pools, |budget| budget.min(pools))
}
