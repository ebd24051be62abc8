//! Turns a simulated schedule into the reported prediction: per-model times, totals, pools, contention and
//! sharing. Everything is read off the one schedule, so the parts cannot disagree.

use super::multi::{
    Contention, DeviceEnergy, EnergyReport, ModelResult, MultiPrediction, Plan, PoolReport,
    Prepared, SharingBenefits,
};
use super::single::{SinglePrediction, MB};
use crate::catalog::hardware::Concurrency;
use crate::sim::{order_free_sum, Scenario, Schedule};
use std::sync::Arc;

const NS_PER_MS: f64 = 1e6;
/// Swap on an NVMe SSD: ~3 GB/s sequential (PCIe 3.0 x4 class), shared by page-out and page-in.
const SWAP_GBPS: f64 = crate::predict::coldstart::DISK_GBPS;

/// Assembles the report of `plan` from its schedule.
pub fn build(
    prep: &Prepared,
    plan: Plan,
    singles: Vec<Arc<SinglePrediction>>,
    scenario: &Scenario,
    schedule: Schedule,
) -> MultiPrediction {
    let makespan_ms = schedule.makespan_ns as f64 / NS_PER_MS;
    let mut models = model_results(prep, &plan, singles, scenario, &schedule);
    let items: f64 = models.iter().map(|m| f64::from(m.batch_size)).sum();
    let combined_memory_mb =
        schedule.memory.iter().map(|s| s.mb.iter().sum::<f64>()).fold(0.0, f64::max);
    let pools = pool_reports(prep, &schedule);
    let budget_overflow =
        prep.constraints.max_memory_mb.map_or(0.0, |b| (combined_memory_mb - b).max(0.0));
    let overflow_mb = pools.iter().map(|p| p.overflow_mb).fold(budget_overflow, f64::max);
    let warnings = warnings(prep, &models, &pools, overflow_mb);
    let contention = contention(prep, &plan, &models, &pools, makespan_ms);
    let energy = energy(prep, scenario, &schedule, items, &mut models);
    let sharing = sharing(prep, &models);
    let memory_curve =
        schedule.memory.iter().map(|s| (s.time_ns as f64 / NS_PER_MS, s.mb.iter().sum())).collect();
    let mean_latency_ms =
        order_free_sum(models.iter().map(|m| m.end_ms)) / models.len().max(1) as f64;
    MultiPrediction {
        plan,
        combined_latency_ms: makespan_ms,
        combined_throughput: items / (makespan_ms / 1000.0).max(1e-12),
        combined_memory_mb,
        mean_latency_ms,
        feasible: overflow_mb <= 0.0,
        overflow_mb,
        pools,
        contention,
        sharing,
        memory_curve,
        energy,
        devices: prep.device_ids.clone(),
        warnings,
        models,
        schedule,
    }
}

/// Each model's times off the schedule, beside its prediction alone (energy is filled in later).
fn model_results(
    prep: &Prepared,
    plan: &Plan,
    singles: Vec<Arc<SinglePrediction>>,
    scenario: &Scenario,
    schedule: &Schedule,
) -> Vec<ModelResult> {
    // Each model's group (0 for a model in none), looked up once.
    let mut group_of: smallvec::SmallVec<[usize; 16]> = smallvec::smallvec![0; prep.models.len()];
    for (g, members) in plan.groups.iter().enumerate().rev() {
        for &i in members {
            if let Some(slot) = group_of.get_mut(i) {
                *slot = g;
            }
        }
    }
    prep.models
        .iter()
        .zip(singles)
        .enumerate()
        .map(|(i, (m, solo))| {
            let span = schedule.spans[i];
            let latency_ms = (span.end_ns - span.start_ns) as f64 / NS_PER_MS;
            let job = &scenario.jobs[i];
            ModelResult {
                name: Arc::clone(&m.labels.name),
                model_type: m.resolved.model_type,
                precision: m.resolved.precision,
                shared_mb: m.shared_mb,
                device: Arc::clone(&m.labels.device),
                runtime: Arc::clone(&m.labels.runtime),
                batch_size: m.spec.batch_size,
                start_ms: span.start_ns as f64 / NS_PER_MS,
                end_ms: span.end_ns as f64 / NS_PER_MS,
                latency_ms,
                throughput: f64::from(m.spec.batch_size) / (latency_ms / 1000.0).max(1e-12),
                memory_mb: job.resident_mb + job.running_mb,
                slowdown: latency_ms / solo.latency_ms.max(1e-12),
                energy_j: 0.0,
                group: group_of[i],
                solo,
            }
        })
        .collect()
}

/// Each memory pool's peak against its capacity, and the swap an oversubscribed host pool costs.
fn pool_reports(prep: &Prepared, schedule: &Schedule) -> Vec<PoolReport> {
    prep.pools
        .iter()
        .enumerate()
        .map(|(p, (name, cap))| {
            let overflow_mb = (schedule.peak_mb[p] - cap).max(0.0);
            // Every round touches every resident byte, so the overflow is written out and read back once per
            // round (an LRU-like pager evicts exactly what the next model needs).
            let swap_ms_per_round = if **name == *"host" {
                2.0 * overflow_mb * MB / (SWAP_GBPS * 1e9) * 1e3
            } else {
                0.0
            };
            PoolReport {
                name: Arc::clone(name),
                capacity_mb: *cap,
                peak_mb: schedule.peak_mb[p],
                overflow_mb,
                swap_ms_per_round,
            }
        })
        .collect()
}

/// Resolution's and each model's warnings, then infeasibility and swapping.
fn warnings(
    prep: &Prepared,
    models: &[ModelResult],
    pools: &[PoolReport],
    overflow_mb: f64,
) -> Vec<String> {
    let mut warnings = prep.warnings.clone();
    for m in models {
        warnings.extend(m.solo.warnings.iter().cloned());
    }
    if overflow_mb > 0.0 {
        warnings.push(format!("infeasible: needs {overflow_mb:.0} MB more memory than available"));
    }
    for pool in pools.iter().filter(|p| p.swap_ms_per_round > 0.0) {
        warnings.push(format!(
            "host memory is oversubscribed by {:.0} MB: the OS would page it to swap, adding about {:.0} ms per round (out and back in at {SWAP_GBPS} GB/s)",
            pool.overflow_mb, pool.swap_ms_per_round
        ));
    }
    warnings
}

/// Device energy from the schedule; each model of `models` gets its share of its device's energy (by busy
/// device-time).
fn energy(
    prep: &Prepared,
    scenario: &Scenario,
    schedule: &Schedule,
    items: f64,
    models: &mut [ModelResult],
) -> EnergyReport {
    let makespan_s = schedule.makespan_ns as f64 * 1e-9;
    let weight = |i: usize| {
        let j = &scenario.jobs[i];
        j.activity * j.solo_ns as f64
    };
    let mut devices = Vec::with_capacity(prep.devices.len());
    for (d, dev) in prep.devices.iter().enumerate() {
        // The models on device `d` (walked a few times rather than listed).
        let on = || (0..prep.models.len()).filter(move |&i| prep.models[i].device == d);
        let count = on().count();
        if count == 0 {
            continue;
        }
        let idle_j = dev.idle_w * makespan_s;
        let dynamic_j = (dev.tdp_w - dev.idle_w).max(0.0)
            * schedule.busy_ns.get(d).copied().unwrap_or(0.0)
            * 1e-9;
        let total_weight = order_free_sum(on().map(weight));
        for i in on() {
            let share =
                if total_weight > 0.0 { weight(i) / total_weight } else { 1.0 / count as f64 };
            models[i].energy_j = (idle_j + dynamic_j) * share;
        }
        devices.push(DeviceEnergy { device: Arc::clone(&prep.device_ids[d]), idle_j, dynamic_j });
    }
    let total_j = order_free_sum(devices.iter().map(|d| d.idle_j + d.dynamic_j));
    EnergyReport {
        total_j,
        per_item_j: total_j / items.max(1.0),
        average_power_w: if makespan_s > 0.0 { total_j / makespan_s } else { 0.0 },
        devices,
    }
}

fn contention(
    prep: &Prepared,
    plan: &Plan,
    models: &[ModelResult],
    pools: &[PoolReport],
    makespan_ms: f64,
) -> Contention {
    let share = |i: usize| {
        let dev = &prep.devices[prep.models[i].device];
        let s = &models[i].solo;
        match dev.concurrency {
            Concurrency::CpuThreads => s.busy_cores / f64::from(dev.compute_units.max(1)),
            Concurrency::SerialQueue => s.queue_share,
            Concurrency::ConcurrentKernels => s.compute_share,
        }
    };
    let worst = |f: &dyn Fn(usize) -> f64| {
        plan.groups.iter().map(|g| g.iter().map(|&i| f(i)).sum::<f64>()).fold(0.0, f64::max)
    };
    let longest = models.iter().map(|m| m.solo.latency_ms).fold(0.0, f64::max);
    Contention {
        compute: worst(&share),
        memory_bandwidth: worst(&|i| models[i].solo.bandwidth_share),
        memory: pools.iter().map(|p| p.peak_mb / p.capacity_mb.max(1e-9)).fold(0.0, f64::max),
        makespan_over_longest: makespan_ms / longest.max(1e-12),
    }
}

fn sharing(prep: &Prepared, models: &[ModelResult]) -> SharingBenefits {
    let saved = order_free_sum(prep.models.iter().map(|m| m.shared_mb));
    let total = order_free_sum(models.iter().map(|m| m.memory_mb));
    SharingBenefits {
        memory_saved_mb: saved,
        memory_benefit: if total + saved > 0.0 { total / (total + saved) } else { 1.0 },
        compute_benefit: 1.0,
        pairs: Arc::clone(&prep.sharing_pairs),
    }
}
