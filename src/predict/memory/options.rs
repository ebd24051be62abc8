//! What every option generator shares ([`Ctx`]: the inputs, the base prediction, and measuring a change by
//! re-running the prediction), the list of all options, and the two allocation options: one activation arena
//! across models that never overlap, and the planned-arena estimate. Lower precision lives in
//! `precision.rs`, operator fusion in `fusion.rs`.

use super::{alloc, apply, fusion, precision, target_runtime, Change, MemoryOption, OptionKind};
use crate::catalog::sharing::SharingConfig;
use crate::error::Result;
use crate::predict::multi::{MultiPrediction, Prepared, Strategy, Target, Workload};

/// Savings smaller than this are floating-point noise of two sums over the same terms, not a change, MB.
pub(super) const NOISE_MB: f64 = 1e-9;

/// What every option generator needs.
pub(super) struct Ctx<'a> {
    pub workload: &'a Workload,
    pub target: &'a Target,
    pub sharing: &'a SharingConfig,
    pub strategy: Strategy,
    pub prep: &'a Prepared,
    pub base: &'a MultiPrediction,
}

impl Ctx<'_> {
    /// Applies `changes` alone and measures them against the base prediction.
    pub(super) fn measure(&self, changes: &[Change]) -> Result<(f64, f64, MultiPrediction)> {
        let after =
            apply(self.workload, self.target, self.sharing, self.strategy, changes)?.prediction;
        let mut saved = self.base.combined_memory_mb - after.combined_memory_mb;
        if saved.abs() < NOISE_MB {
            saved = 0.0;
        }
        let latency = after.combined_latency_ms - self.base.combined_latency_ms;
        Ok((saved, latency, after))
    }

    /// A measured option.
    pub(super) fn option(
        &self,
        kind: OptionKind,
        models: Vec<usize>,
        changes: Vec<Change>,
        description: String,
        caveat: Option<String>,
    ) -> Result<MemoryOption> {
        let (saved_mb, latency_delta_ms, after) = self.measure(&changes)?;
        let mut models = models;
        models.sort_unstable();
        Ok(MemoryOption {
            kind,
            models,
            changes,
            description,
            saved_mb,
            latency_delta_ms,
            estimated: false,
            feasible: after.feasible,
            caveat,
        })
    }

    /// Models on the target's own device, in canonical order: the only ones a changed target runtime
    /// affects.
    pub(super) fn on_target(&self) -> Vec<usize> {
        self.prep.canonical.iter().copied().filter(|&i| self.prep.models[i].device == 0).collect()
    }

    pub(super) fn name(&self, i: usize) -> &str {
        &self.prep.models[i].spec.name
    }

    /// Names in canonical order, so that a description never depends on the order of the entries.
    pub(super) fn names(&self, models: &[usize]) -> String {
        self.prep
            .canonical
            .iter()
            .filter(|i| models.contains(i))
            .map(|&i| self.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every option that saves memory (fusions also when they save nothing but time).
pub(super) fn all(ctx: &Ctx, notes: &mut Vec<String>) -> Result<Vec<MemoryOption>> {
    let mut out = precision::options(ctx, notes)?;
    out.extend(fusion::options(ctx, notes)?);
    out.extend(shared_arena(ctx, notes)?);
    out.extend(planned_arena(ctx));
    // An option that costs memory is not memory advice.
    out.retain(|o| o.saved_mb >= 0.0);
    Ok(out)
}

/// Models holding the same weights at the same precision in the same pool, each set in canonical order of
/// its first member: lowering one of them alone would break the sharing and cost memory.
pub(super) fn weight_groups(prep: &Prepared) -> Vec<Vec<usize>> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for &i in &prep.canonical {
        let key = prep.models[i].weights_identity();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Weight groups by the memory they hold, largest first (canonical order breaks ties).
pub(super) fn largest_first(ctx: &Ctx) -> Vec<Vec<usize>> {
    let mut groups = weight_groups(ctx.prep);
    let held = |g: &Vec<usize>| -> f64 { g.iter().map(|&i| ctx.base.models[i].memory_mb).sum() };
    // A stable sort keeps the canonical order of equal holders.
    crate::sorting::sort_by(&mut groups, |a, b| held(b).total_cmp(&held(a)));
    groups
}

/// How a runtime shares one arena between models, in its own words.
fn arena_how(runtime: &str) -> &'static str {
    match runtime {
        "onnxruntime" | "onnxruntime-web" | "transformersjs" => "register one shared allocator in the environment and set session.use_env_allocators (ONNX Runtime)",
        "tensorrt" => "create the execution contexts without device memory and give them one buffer with setDeviceMemory (TensorRT)",
        _ => "allocate every model's activations and workspace from one allocator",
    }
}

/// Models whose spans in the base schedule never overlap with at least one other model on the same pool.
fn never_overlapping(ctx: &Ctx, on: &[usize]) -> Vec<usize> {
    let spans = &ctx.base.schedule.spans;
    let disjoint = |a: usize, b: usize| {
        spans[a].end_ns <= spans[b].start_ns || spans[b].end_ns <= spans[a].start_ns
    };
    on.iter()
        .copied()
        .filter(|&a| {
            on.iter().any(|&b| {
                b != a && ctx.prep.models[a].pool == ctx.prep.models[b].pool && disjoint(a, b)
            })
        })
        .collect()
}

fn shared_arena(ctx: &Ctx, notes: &mut Vec<String>) -> Result<Option<MemoryOption>> {
    let rt = target_runtime(ctx.target)?;
    if rt.shared_allocator {
        notes.push(format!(
            "{} already reuses freed memory across models (one allocator): no shared-arena option",
            rt.name
        ));
        return Ok(None);
    }
    let models = never_overlapping(ctx, &ctx.on_target());
    if models.is_empty() {
        notes.push(format!(
            "no shared activation arena: under {} every model overlaps another, so each needs its own",
            ctx.strategy.name()
        ));
        return Ok(None);
    }
    let description = format!(
        "reuse one activation and workspace arena across {} (they never run at the same time in the schedule) instead of one arena each: {}",
        ctx.names(&models),
        arena_how(&rt.name)
    );
    let o =
        ctx.option(OptionKind::SharedArena, models, vec![Change::SharedArena], description, None)?;
    Ok(Some(o).filter(|o| o.saved_mb > 0.0))
}

/// The planned-arena estimate for models whose runtime allocates per tensor from a caching allocator.
fn planned_arena(ctx: &Ctx) -> Option<MemoryOption> {
    let per_model: Vec<f64> = (0..ctx.prep.models.len())
        .map(|i| match ctx.prep.models[i].runtime.shared_allocator {
            true => alloc::model_overhead_mb(ctx.prep, i),
            false => 0.0,
        })
        .collect();
    let models: Vec<usize> = (0..per_model.len()).filter(|&i| per_model[i] > 0.0).collect();
    let saved_mb = alloc::plan_overhead_mb(&ctx.base.plan, &per_model);
    if saved_mb <= 0.0 {
        return None;
    }
    let description = format!(
        "estimate: per-tensor caching allocation of {} reserves about {saved_mb:.0} MB beyond the live activations (PyTorch rounding: 512 B blocks, 2 MiB segments up to 1 MiB, 20 MiB segments up to 10 MiB, 2 MiB multiples above); a planned arena (ONNX Runtime, TensorRT) avoids it, PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True reduces it",
        ctx.names(&models)
    );
    Some(MemoryOption {
        kind: OptionKind::PlannedArena,
        models,
        changes: vec![Change::PlannedArena],
        description,
        saved_mb,
        latency_delta_ms: 0.0,
        estimated: true,
        // The prediction already assumes exactly sized activations: it does not change.
        feasible: ctx.base.feasible,
        caveat: Some(
            "a lower bound from rounding alone: holes left by interleaved frees add more"
                .to_string(),
        ),
    })
}
