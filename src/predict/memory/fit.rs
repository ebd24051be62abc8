//! The fit plan of an over-capacity workload: the smallest set of changes that makes it fit.
//!
//! Candidates, each re-run through the whole prediction: for the advised strategy and each cheaper-in-memory
//! one (batched, sequential, sequential with weights unloaded between models), quantise the largest weight
//! holders first: one model, then two, …, each time trying fp16, then int8, then int4, and keep the first
//! that fits. Only when no such candidate fits are models dropped, lowest value first (fewest items served
//! per MB held), alone or with every remaining model at its lowest precision. Among the candidates that fit,
//! the plan with fewest dropped models, then fewest changes, then the shortest combined latency wins.

use super::options::{largest_first, Ctx};
use super::precision::{caveat, offered};
use super::{Change, FitPlan, MemoryOption, OptionKind};
use crate::catalog::Precision;
use crate::error::Result;
use crate::predict::multi::{MultiPrediction, Residency, Strategy};

/// Weight groups quantised one more at a time; beyond this many, the rest are quantised together, which
/// bounds the search at a few dozen predictions for any workload size.
const SEARCH_GROUPS: usize = 8;

/// Quantisation levels in order of accuracy loss, named by the widest format of each level.
const LEVELS: [Precision; 3] = [Precision::Fp16, Precision::Int8, Precision::Int4];

struct Candidate {
    changes: Vec<Change>,
    drops: usize,
    prediction: MultiPrediction,
}

impl Candidate {
    fn size(&self) -> usize {
        self.changes
            .iter()
            .map(|c| match c {
                Change::Drop { models } => models.len(),
                _ => 1,
            })
            .sum()
    }

    fn better_than(&self, other: &Candidate) -> bool {
        (self.drops, self.size())
            .cmp(&(other.drops, other.size()))
            .then(
                self.prediction
                    .combined_latency_ms
                    .total_cmp(&other.prediction.combined_latency_ms),
            )
            .is_lt()
    }
}

/// The fit plan, or `None` (with a note) when nothing tried fits.
pub(super) fn plan(ctx: &Ctx, notes: &mut Vec<String>) -> Result<Option<FitPlan>> {
    let groups = largest_first(ctx);
    let switches = switches(ctx.strategy);
    let mut best: Option<Candidate> = None;
    for sw in &switches {
        if let Some(c) = quantised(ctx, sw, &groups)? {
            keep_better(&mut best, c);
        }
    }
    if best.is_none() {
        for sw in &switches {
            if let Some(c) = dropping(ctx, sw, &groups)? {
                keep_better(&mut best, c);
            }
        }
    }
    match best {
        Some(c) => Ok(Some(fit_plan(ctx, c)?)),
        None => {
            notes.push("no fit plan: even one model alone at its lowest precision with weights unloaded exceeds the memory available".to_string());
            Ok(None)
        }
    }
}

fn keep_better(best: &mut Option<Candidate>, c: Candidate) {
    if best.as_ref().is_none_or(|b| c.better_than(b)) {
        *best = Some(c);
    }
}

/// The advised strategy (no change), then those that hold less memory at once.
fn switches(strategy: Strategy) -> Vec<Option<Change>> {
    let to = |strategy, residency| Some(Change::Strategy { strategy, residency });
    let mut out = vec![None];
    if strategy == Strategy::Parallel {
        out.push(to(Strategy::Batched, Residency::Resident));
    }
    if strategy != Strategy::Sequential {
        out.push(to(Strategy::Sequential, Residency::Resident));
    }
    out.push(to(Strategy::Sequential, Residency::Unload));
    out
}

/// The change that lowers group `g` to the mildest offered precision no wider than `level`.
fn lower(ctx: &Ctx, g: &[usize], level: Precision) -> Option<Change> {
    let m = &ctx.prep.models[g[0]];
    offered(&ctx.prep.devices[m.device], m.resolved.precision)
        .into_iter()
        .find(|p| p.weight_bytes() <= level.weight_bytes())
        .map(|precision| Change::Precision { models: g.to_vec(), precision })
}

fn try_changes(ctx: &Ctx, changes: Vec<Change>, drops: usize) -> Result<Option<Candidate>> {
    let (_, _, prediction) = ctx.measure(&changes)?;
    Ok(prediction.feasible.then_some(Candidate { changes, drops, prediction }))
}

/// The smallest prefix of the largest groups, at the mildest level, that fits under `sw`.
fn quantised(ctx: &Ctx, sw: &Option<Change>, groups: &[Vec<usize>]) -> Result<Option<Candidate>> {
    // The advised strategy alone is the base prediction, which does not fit.
    if sw.is_some() {
        if let Some(c) = try_changes(ctx, sw.iter().cloned().collect(), 0)? {
            return Ok(Some(c));
        }
    }
    let n = groups.len();
    let counts = (1..=n.min(SEARCH_GROUPS)).chain((n > SEARCH_GROUPS).then_some(n));
    for k in counts {
        for level in LEVELS {
            // Without a lowering of the k-th group this is the (k−1)-group candidate again.
            if lower(ctx, &groups[k - 1], level).is_none() {
                continue;
            }
            let mut changes: Vec<Change> = sw.iter().cloned().collect();
            changes.extend(groups[..k].iter().filter_map(|g| lower(ctx, g, level)));
            if let Some(c) = try_changes(ctx, changes, 0)? {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

/// Models by value, lowest first: items served per MB held (a model sharing all its weights holds little
/// and is worth keeping); canonical order breaks ties.
fn lowest_value_first(ctx: &Ctx) -> Vec<usize> {
    let value = |i: usize| {
        let m = &ctx.base.models[i];
        f64::from(m.batch_size) / m.memory_mb.max(1e-9)
    };
    let mut order = ctx.prep.canonical.clone();
    crate::sorting::sort_by(&mut order, |&a, &b| value(a).total_cmp(&value(b)));
    order
}

/// The fewest lowest-value models dropped, alone or with every remaining group at its lowest precision.
fn dropping(ctx: &Ctx, sw: &Option<Change>, groups: &[Vec<usize>]) -> Result<Option<Candidate>> {
    let order = lowest_value_first(ctx);
    for d in 1..order.len() {
        let mut dropped = order[..d].to_vec();
        dropped.sort_unstable();
        let mut changes: Vec<Change> = sw.iter().cloned().collect();
        changes.push(Change::Drop { models: dropped.clone() });
        if let Some(c) = try_changes(ctx, changes.clone(), d)? {
            return Ok(Some(c));
        }
        for g in groups {
            let kept: Vec<usize> = g.iter().copied().filter(|i| !dropped.contains(i)).collect();
            if !kept.is_empty() {
                changes.extend(lower(ctx, &kept, Precision::Int4));
            }
        }
        if let Some(c) = try_changes(ctx, changes, d)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn describe(ctx: &Ctx, change: &Change) -> String {
    let names = |models: &[usize]| ctx.names(models);
    match change {
        Change::Precision { models, precision } => {
            format!("store {} in {}", names(models), precision.name())
        }
        Change::Strategy { strategy, residency: Residency::Unload } => {
            format!("run {} with weights unloaded after each model", strategy.name())
        }
        Change::Strategy { strategy, .. } => format!("run {}", strategy.name()),
        Change::Drop { models } => format!("drop {}", names(models)),
        other => format!("{other:?}"),
    }
}

fn fit_plan(ctx: &Ctx, c: Candidate) -> Result<FitPlan> {
    let mut models: Vec<usize> = Vec::new();
    let mut caveats: Vec<String> = Vec::new();
    for change in &c.changes {
        match change {
            Change::Precision { models: m, precision } => {
                models.extend(m);
                let device = &ctx.prep.devices[ctx.prep.models[m[0]].device];
                caveats.push(caveat(device, *precision));
            }
            Change::Drop { models: m } => {
                models.extend(m);
                caveats.push(format!(
                    "{} no longer served",
                    describe(ctx, change).trim_start_matches("drop ")
                ));
            }
            _ => models.extend(0..ctx.prep.models.len()),
        }
    }
    models.sort_unstable();
    models.dedup();
    caveats.dedup();
    let steps: Vec<String> = c.changes.iter().map(|ch| describe(ctx, ch)).collect();
    let p = &c.prediction;
    let description = format!(
        "to fit: {} (peak {:.0} MB, latency {:.1} ms)",
        steps.join("; "),
        p.combined_memory_mb,
        p.combined_latency_ms
    );
    let (saved_mb, latency_delta_ms, _) = ctx.measure(&c.changes)?;
    let option = MemoryOption {
        kind: OptionKind::FitPlan,
        models,
        changes: c.changes,
        description,
        saved_mb,
        latency_delta_ms,
        estimated: false,
        feasible: true,
        caveat: (!caveats.is_empty()).then(|| caveats.join("; ")),
    };
    Ok(FitPlan { option, prediction: c.prediction })
}
