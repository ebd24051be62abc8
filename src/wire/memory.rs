//! Memory advice as JSON (`adviseMemory`, `mmperf memory --json`): the breakdown per model, ranked options
//! with their re-predicted effect, and the changes a chosen set of options makes to a workload.

use serde::Serialize;

use super::{r4, PredictionDto};
use crate::error::{Error, Result};

/// One model's memory in an advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ModelMemory"))]
pub struct ModelMemoryDto {
    /// Name.
    pub model_name: String,
    /// Precision.
    #[cfg_attr(test, ts(type = "Precision"))]
    pub precision: String,
    /// Weights, MB.
    pub weights_mb: f64,
    /// Activations, MB.
    pub activations_mb: f64,
    /// KV cache, MB.
    pub kv_cache_mb: f64,
    /// Workspace, MB.
    pub workspace_mb: f64,
    /// Runtime overhead, MB.
    pub runtime_overhead_mb: f64,
    /// Not counted thanks to sharing, MB.
    pub shared_mb: f64,
    /// Held in the schedule, MB.
    pub held_mb: f64,
}

/// One option of an advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MemoryOption"))]
pub struct MemoryOptionDto {
    /// 1-based rank: pass it to `applyMemoryOptions` or `mmperf memory --apply` (0 = the fit plan).
    pub rank: usize,
    /// Kind (`lower-precision`, `fused-attention`, `epilogue-fusion`, `shared-arena`, `planned-arena`, `fit-plan`).
    #[cfg_attr(test, ts(type = "MemoryOptionKind"))]
    pub kind: String,
    /// Models it applies to.
    pub models: Vec<String>,
    /// What to do.
    pub description: String,
    /// Peak memory saved, MB (measured by re-prediction unless `estimated`).
    pub saved_mb: f64,
    /// Makespan after minus before, ms.
    pub latency_delta_ms: f64,
    /// The saving is an estimate, not a re-prediction.
    pub estimated: bool,
    /// The workload fits with this option applied.
    pub feasible: bool,
    /// Accuracy or applicability caveat.
    pub caveat: Option<String>,
}

/// The result of memory advice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MemoryAdvice"))]
pub struct MemoryAdviceDto {
    /// Strategy advised for.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: String,
    /// Peak memory, MB.
    pub peak_mb: f64,
    /// Capacity (or budget), MB.
    pub capacity_mb: f64,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Fits.
    pub feasible: bool,
    /// Makespan, ms.
    pub latency_ms: f64,
    /// Runtime contexts, MB.
    pub context_mb: f64,
    /// Per model.
    pub models: Vec<ModelMemoryDto>,
    /// Ranked options.
    pub options: Vec<MemoryOptionDto>,
    /// When over capacity: the smallest set of changes that fits, with its prediction.
    pub fit_plan: Option<Box<FitPlanDto>>,
    /// Notes.
    pub notes: Vec<String>,
}

/// A fit plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "FitPlan"))]
pub struct FitPlanDto {
    /// The option.
    pub option: MemoryOptionDto,
    /// The prediction with it applied.
    pub prediction: PredictionDto,
}

pub(super) fn memory_option_dto(
    rank: usize,
    o: &crate::predict::memory::MemoryOption,
    names: &[String],
) -> MemoryOptionDto {
    MemoryOptionDto {
        rank,
        kind: o.kind.name().to_string(),
        models: o.models.iter().filter_map(|&i| names.get(i).cloned()).collect(),
        description: o.description.clone(),
        saved_mb: r4(o.saved_mb),
        latency_delta_ms: r4(o.latency_delta_ms),
        estimated: o.estimated,
        feasible: o.feasible,
        caveat: o.caveat.clone(),
    }
}

/// Converts memory advice to its JSON shape.
impl From<&crate::predict::memory::MemoryAdvice> for MemoryAdviceDto {
    fn from(a: &crate::predict::memory::MemoryAdvice) -> MemoryAdviceDto {
        let names: Vec<String> = a.models.iter().map(|m| m.name.clone()).collect();
        MemoryAdviceDto {
            strategy: a.strategy.name().to_string(),
            peak_mb: r4(a.peak_mb),
            capacity_mb: r4(a.capacity_mb),
            overflow_mb: r4(a.overflow_mb),
            feasible: a.feasible,
            latency_ms: r4(a.latency_ms),
            context_mb: r4(a.context_mb),
            models: a
                .models
                .iter()
                .map(|m| ModelMemoryDto {
                    model_name: m.name.clone(),
                    precision: m.precision.name().to_string(),
                    weights_mb: r4(m.weights_mb),
                    activations_mb: r4(m.activations_mb),
                    kv_cache_mb: r4(m.kv_cache_mb),
                    workspace_mb: r4(m.workspace_mb),
                    runtime_overhead_mb: r4(m.runtime_overhead_mb),
                    shared_mb: r4(m.shared_mb),
                    held_mb: r4(m.held_mb),
                })
                .collect(),
            options: a
                .options
                .iter()
                .enumerate()
                .map(|(k, o)| memory_option_dto(k + 1, o, &names))
                .collect(),
            fit_plan: a.fit_plan.as_ref().map(|f| {
                Box::new(FitPlanDto {
                    option: memory_option_dto(0, &f.option, &names),
                    prediction: PredictionDto::from(&f.prediction),
                })
            }),
            notes: a.notes.clone(),
        }
    }
}

/// The changes of the options with these 1-based ranks (0 = the fit plan), concatenated.
pub fn memory_changes(
    a: &crate::predict::memory::MemoryAdvice,
    ranks: &[usize],
) -> Result<Vec<crate::predict::memory::Change>> {
    let mut changes = Vec::new();
    for &r in ranks {
        let option = match r {
            0 => a.fit_plan.as_ref().map(|f| &f.option),
            r => a.options.get(r - 1),
        };
        let option = option.ok_or_else(|| {
            Error::invalid(
                "apply",
                r,
                format!(
                    "a rank from 1 to {} (0 for the fit plan{})",
                    a.options.len(),
                    if a.fit_plan.is_some() { "" } else { ", absent here" }
                ),
            )
        })?;
        changes.extend(option.changes.iter().cloned());
    }
    Ok(changes)
}
