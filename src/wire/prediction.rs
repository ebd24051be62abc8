//! A multi-model prediction as JSON (`predictMultiModelPerformance`, `mmperf predict --json`): the seed's
//! `totalMetrics`, `individualPredictions`, `contentionFactors`, `sharingBenefits`, `executionSchedule`, plus
//! the plan, devices, memory pools and energy.

use serde::Serialize;

use super::r4;
use crate::predict::multi::MultiPrediction;
use crate::predict::multi::{EnergyReport, Label, ModelResult, PoolReport, SharingBenefits};

/// `totalMetrics`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "TotalMetrics"))]
pub struct TotalMetricsDto {
    /// Items per second over the makespan.
    pub combined_throughput: f64,
    /// Makespan, ms.
    pub combined_latency: f64,
    /// Peak memory, MB.
    pub combined_memory: f64,
    /// Mean time until a model's result is ready, ms.
    pub mean_latency: f64,
    /// Fits.
    pub feasible: bool,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Energy of the round, J.
    pub energy_j: f64,
}

/// `memoryBreakdown` of a model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MemoryBreakdown"))]
pub struct MemoryBreakdownDto {
    /// Weights, MB.
    pub weights: f64,
    /// Activations, MB.
    pub activations: f64,
    /// KV cache, MB.
    pub kv_cache: f64,
    /// Workspace, MB.
    pub workspace: f64,
    /// Runtime overhead, MB.
    pub runtime_overhead: f64,
    /// Weights not counted thanks to sharing, MB.
    pub shared: f64,
}

/// One entry of `individualPredictions`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "IndividualPrediction"))]
pub struct IndividualDto {
    /// Name.
    #[cfg_attr(test, ts(type = "string"))]
    pub model_name: Label,
    /// Type.
    #[cfg_attr(test, ts(type = "ModelType"))]
    pub model_type: &'static str,
    /// Device id.
    #[cfg_attr(test, ts(type = "string"))]
    pub device: Label,
    /// Runtime.
    #[cfg_attr(test, ts(type = "string"))]
    pub runtime: Label,
    /// Batch size.
    pub batch_size: u32,
    /// Precision asked for.
    #[cfg_attr(test, ts(type = "Precision"))]
    pub precision: &'static str,
    /// Precision computed in; where a model computes in two (an fp32 CNN under PyTorch on a GPU with TF32:
    /// convolutions as TF32, other products as fp32; `warnings` says so), the one most of its FLOPs run in.
    #[cfg_attr(test, ts(type = "Precision"))]
    pub compute_precision: &'static str,
    /// Time in the schedule, ms.
    pub latency: f64,
    /// Time alone, ms.
    pub solo_latency: f64,
    /// Items/s in the schedule.
    pub throughput: f64,
    /// Memory held, MB.
    pub memory: f64,
    /// Breakdown.
    pub memory_breakdown: MemoryBreakdownDto,
    /// Start, ms.
    pub start_time: f64,
    /// End, ms.
    pub end_time: f64,
    /// Time in schedule / time alone.
    pub slowdown: f64,
    /// Dominant limit.
    #[cfg_attr(test, ts(type = "Bound"))]
    pub bound: &'static str,
    /// Kernels per batch.
    pub kernels: f64,
    /// GFLOP per batch.
    pub gflops: f64,
    /// Prefill part alone, ms.
    pub prefill_latency: f64,
    /// Decode part alone, ms.
    pub decode_latency: f64,
    /// CPU threads (0 on accelerators).
    pub threads: u32,
    /// Group in the plan.
    pub group: usize,
    /// Energy attributed to the model, J.
    pub energy_j: f64,
}

/// `contentionFactors`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ContentionFactors"))]
pub struct ContentionDto {
    /// Σ compute shares of co-running models (worst group).
    pub compute_contention: f64,
    /// Σ bandwidth shares (worst group).
    pub memory_bandwidth_contention: f64,
    /// Peak / capacity.
    pub memory_contention: f64,
    /// Makespan / longest model alone.
    pub makespan_over_longest: f64,
    /// Per model slowdown.
    pub model_slowdowns: Vec<NamedValueDto>,
}

/// A name with a number.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "NamedValue"))]
pub struct NamedValueDto {
    /// Model name.
    #[cfg_attr(test, ts(type = "string"))]
    pub model_name: Label,
    /// Value.
    pub value: f64,
}

/// `sharingBenefits`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "SharingBenefits"))]
pub struct SharingDto {
    /// Memory with / without sharing.
    pub memory_benefit: f64,
    /// Compute with / without sharing.
    pub compute_benefit: f64,
    /// MB saved.
    pub memory_saved_mb: f64,
    /// Pairs.
    pub compatible_pairs: Vec<PairDto>,
}

/// A sharing pair.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "SharingPair"))]
pub struct PairDto {
    /// Model holding the weights.
    #[cfg_attr(test, ts(type = "string"))]
    pub model_a: Label,
    /// Model reusing them.
    #[cfg_attr(test, ts(type = "string"))]
    pub model_b: Label,
    /// MB saved.
    pub memory_saved_mb: f64,
    /// Why.
    #[cfg_attr(test, ts(type = "string"))]
    pub reason: Label,
}

/// A timeline bar.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "TimelineEntry"))]
pub struct TimelineDto {
    /// Model name.
    #[cfg_attr(test, ts(type = "string"))]
    pub model: Label,
    /// Start, ms.
    pub start_time: f64,
    /// End, ms.
    pub end_time: f64,
    /// Duration, ms.
    pub duration: f64,
    /// Group.
    pub group: usize,
    /// Device.
    #[cfg_attr(test, ts(type = "string"))]
    pub device: Label,
}

/// A point of the memory curve.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MemoryPoint"))]
pub struct MemoryPointDto {
    /// Time, ms.
    pub time: f64,
    /// MB.
    pub memory: f64,
}

/// `executionSchedule`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ExecutionSchedule"))]
pub struct ScheduleDto {
    /// Bars.
    pub timeline: Vec<TimelineDto>,
    /// Makespan, ms.
    pub total_execution_time: f64,
    /// Memory curve.
    pub memory_timeline: Vec<MemoryPointDto>,
}

/// Energy of one device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "DeviceEnergy"))]
pub struct DeviceEnergyDto {
    /// Device id.
    pub device: Label,
    /// Idle power over the makespan, J.
    pub idle_j: f64,
    /// Power above idle, J.
    pub dynamic_j: f64,
}

/// `energy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "EnergyReport"))]
pub struct EnergyDto {
    /// Total, J.
    pub total_j: f64,
    /// Per item, J.
    pub per_item_j: f64,
    /// Mean power, W.
    pub average_power_w: f64,
    /// Per device.
    pub devices: Vec<DeviceEnergyDto>,
}

/// A memory pool.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "MemoryPool"))]
pub struct PoolDto {
    /// Name.
    pub name: Label,
    /// Capacity, MB.
    pub capacity_mb: f64,
    /// Peak, MB.
    pub peak_mb: f64,
    /// Overflow, MB.
    pub overflow_mb: f64,
    /// Host memory only: extra time per round if the overflow is paged to swap, ms.
    pub swap_ms_per_round: f64,
}

/// A plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ExecutionPlan"))]
pub struct PlanDto {
    /// Strategy.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub strategy: &'static str,
    /// Groups in order, by model name.
    #[cfg_attr(test, ts(type = "Array<Array<string>>"))]
    pub groups: Vec<Vec<Label>>,
    /// Threads per model (CPU devices).
    pub threads: Vec<NamedValueDto>,
    /// `resident` or `unload`.
    #[cfg_attr(test, ts(type = "Residency"))]
    pub residency: &'static str,
}

/// The result of `predict`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "PredictionResult"))]
pub struct PredictionDto {
    /// Totals.
    pub total_metrics: TotalMetricsDto,
    /// Per model.
    pub individual_predictions: Vec<IndividualDto>,
    /// Contention.
    pub contention_factors: ContentionDto,
    /// Sharing.
    pub sharing_benefits: SharingDto,
    /// Schedule.
    pub execution_schedule: ScheduleDto,
    /// Strategy.
    #[cfg_attr(test, ts(type = "Strategy"))]
    pub execution_strategy: &'static str,
    /// Plan.
    pub plan: PlanDto,
    /// Main device id.
    pub hardware_platform: Label,
    /// Every device used.
    pub devices: Vec<Label>,
    /// Memory pools.
    pub memory_pools: Vec<PoolDto>,
    /// Energy of the round.
    pub energy: EnergyDto,
    /// Notes.
    pub warnings: Vec<String>,
}

pub(super) fn totals(p: &MultiPrediction) -> TotalMetricsDto {
    TotalMetricsDto {
        combined_throughput: r4(p.combined_throughput),
        combined_latency: r4(p.combined_latency_ms),
        combined_memory: r4(p.combined_memory_mb),
        mean_latency: r4(p.mean_latency_ms),
        feasible: p.feasible,
        overflow_mb: r4(p.overflow_mb),
        energy_j: r4(p.energy.total_j),
    }
}

pub(super) fn plan_dto(p: &MultiPrediction) -> PlanDto {
    let name = |i: usize| Label::clone(&p.models[i].name);
    PlanDto {
        strategy: p.plan.strategy.name(),
        groups: p.plan.groups.iter().map(|g| g.iter().map(|&i| name(i)).collect()).collect(),
        threads: p
            .models
            .iter()
            .filter(|m| m.solo.threads > 0)
            .map(|m| NamedValueDto {
                model_name: Label::clone(&m.name),
                value: f64::from(m.solo.threads),
            })
            .collect(),
        residency: p.plan.residency.name(),
    }
}

/// Converts a prediction to its JSON shape.
impl From<&MultiPrediction> for PredictionDto {
    fn from(p: &MultiPrediction) -> PredictionDto {
        PredictionDto::with_timelines(p, true)
    }
}

impl PredictionDto {
    /// [`PredictionDto::from`], with `executionSchedule.timeline` and `memoryTimeline` left empty unless
    /// `timelines` (a caller that reads only totals and per-model figures skips building and converting them;
    /// every other field is the same).
    pub fn with_timelines(p: &MultiPrediction, timelines: bool) -> PredictionDto {
        PredictionDto {
            total_metrics: totals(p),
            individual_predictions: p.models.iter().map(IndividualDto::from).collect(),
            contention_factors: contention_dto(p),
            sharing_benefits: SharingDto::from(&p.sharing),
            execution_schedule: schedule_dto(p, timelines),
            execution_strategy: p.plan.strategy.name(),
            plan: plan_dto(p),
            hardware_platform: p.devices.first().cloned().unwrap_or_else(|| Label::from("")),
            devices: p.devices.clone(),
            energy: EnergyDto::from(&p.energy),
            memory_pools: p.pools.iter().map(PoolDto::from).collect(),
            warnings: p.warnings.clone(),
        }
    }
}

impl From<&ModelResult> for IndividualDto {
    fn from(m: &ModelResult) -> Self {
        let b = &m.solo.memory;
        IndividualDto {
            model_name: Label::clone(&m.name),
            model_type: m.model_type.name(),
            device: Label::clone(&m.device),
            runtime: Label::clone(&m.runtime),
            batch_size: m.batch_size,
            precision: m.precision.name(),
            compute_precision: m.solo.compute_precision.name(),
            latency: r4(m.latency_ms),
            solo_latency: r4(m.solo.latency_ms),
            throughput: r4(m.throughput),
            memory: r4(m.memory_mb),
            memory_breakdown: MemoryBreakdownDto {
                weights: r4(b.weights_mb),
                activations: r4(b.activations_mb),
                kv_cache: r4(b.kv_cache_mb),
                workspace: r4(b.workspace_mb),
                runtime_overhead: r4(b.runtime_overhead_mb),
                shared: r4(m.shared_mb),
            },
            start_time: r4(m.start_ms),
            end_time: r4(m.end_ms),
            slowdown: r4(m.slowdown),
            bound: m.solo.bound.name(),
            kernels: m.solo.kernels,
            gflops: r4(m.solo.gflops),
            prefill_latency: r4(m.solo.prefill_ms),
            decode_latency: r4(m.solo.decode_ms),
            threads: m.solo.threads,
            group: m.group,
            energy_j: r4(m.energy_j),
        }
    }
}

fn contention_dto(p: &MultiPrediction) -> ContentionDto {
    ContentionDto {
        compute_contention: r4(p.contention.compute),
        memory_bandwidth_contention: r4(p.contention.memory_bandwidth),
        memory_contention: r4(p.contention.memory),
        makespan_over_longest: r4(p.contention.makespan_over_longest),
        model_slowdowns: p
            .models
            .iter()
            .map(|m| NamedValueDto { model_name: Label::clone(&m.name), value: r4(m.slowdown) })
            .collect(),
    }
}

impl From<&SharingBenefits> for SharingDto {
    fn from(s: &SharingBenefits) -> Self {
        SharingDto {
            memory_benefit: r4(s.memory_benefit),
            compute_benefit: r4(s.compute_benefit),
            memory_saved_mb: r4(s.memory_saved_mb),
            compatible_pairs: s
                .pairs
                .iter()
                .map(|(a, b, mb, why)| PairDto {
                    model_a: Label::clone(a),
                    model_b: Label::clone(b),
                    memory_saved_mb: r4(*mb),
                    reason: Label::clone(why),
                })
                .collect(),
        }
    }
}

/// The timeline ordered by start, end and name (the seed's `executionSchedule`), and the memory curve (both
/// empty unless `timelines`).
fn schedule_dto(p: &MultiPrediction, timelines: bool) -> ScheduleDto {
    let shown = if timelines { p.models.as_slice() } else { &[] };
    let curve = if timelines { p.memory_curve.as_slice() } else { &[] };
    let mut timeline: Vec<TimelineDto> = shown
        .iter()
        .map(|m| TimelineDto {
            model: Label::clone(&m.name),
            start_time: r4(m.start_ms),
            end_time: r4(m.end_ms),
            duration: r4(m.end_ms - m.start_ms),
            group: m.group,
            device: Label::clone(&m.device),
        })
        .collect();
    crate::sorting::sort_by(&mut timeline, |a, b| {
        a.start_time
            .total_cmp(&b.start_time)
            .then(a.end_time.total_cmp(&b.end_time))
            .then(a.model.cmp(&b.model))
    });
    ScheduleDto {
        timeline,
        total_execution_time: r4(p.combined_latency_ms),
        memory_timeline: curve
            .iter()
            .map(|(t, mb)| MemoryPointDto { time: r4(*t), memory: r4(*mb) })
            .collect(),
    }
}

impl From<&EnergyReport> for EnergyDto {
    fn from(e: &EnergyReport) -> Self {
        EnergyDto {
            total_j: r4(e.total_j),
            per_item_j: r4(e.per_item_j),
            average_power_w: r4(e.average_power_w),
            devices: e
                .devices
                .iter()
                .map(|d| DeviceEnergyDto {
                    device: d.device.clone(),
                    idle_j: r4(d.idle_j),
                    dynamic_j: r4(d.dynamic_j),
                })
                .collect(),
        }
    }
}

impl From<&PoolReport> for PoolDto {
    fn from(x: &PoolReport) -> Self {
        PoolDto {
            name: x.name.clone(),
            capacity_mb: r4(x.capacity_mb),
            peak_mb: r4(x.peak_mb),
            overflow_mb: r4(x.overflow_mb),
            swap_ms_per_round: r4(x.swap_ms_per_round),
        }
    }
}

/// One kind of kernel's share of a model's predicted time alone (`mmperf predict --ops --json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorTimeDto {
    /// `matmul`, `conv 1x1`, `conv`, `depthwise`, `attention`, `elementwise`, `norm`, `pool`, `gather` or
    /// `call`.
    pub kind: &'static str,
    /// Kernels per run.
    pub kernels: f64,
    /// Predicted time per run, ms.
    pub ms: f64,
}

impl From<&crate::predict::single::OperatorTime> for OperatorTimeDto {
    fn from(o: &crate::predict::single::OperatorTime) -> Self {
        Self { kind: o.kind.name(), kernels: o.kernels, ms: r4(o.ms) }
    }
}
