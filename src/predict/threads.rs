//! Thread splits for models that run together on a CPU.
//!
//! Models that share a CPU finish when their slowest member does, so the cores are handed out to even
//! out finish times: every model starts with one thread, and each further core goes to the model that is
//! predicted to finish last, as long as more threads still shorten it (the fewest that do: with tile
//! quantisation the next thread can be useless while a later one completes a wave; a kernel whose tiles or
//! element-wise grain cannot use another thread, or whose fork-joins cost more than it gains, keeps what
//! it has). With more models than cores each gets one thread and the scheduler shares the cores. The
//! single-model predictions behind the choice are computed once per (model, threads) and reused by every
//! group the search tries.

use crate::catalog::hardware::Concurrency;
use crate::predict::multi::Prepared;
use crate::predict::single::SinglePrediction;
use std::sync::Arc;

/// Single-model predictions by (model, threads), computed on first use.
#[derive(Debug, Clone, Default)]
pub struct SingleTable {
    /// `rows[i][t − 1]`: model `i` alone on `t` threads (threads 0 stands for accelerators).
    rows: Vec<Vec<Option<Arc<SinglePrediction>>>>,
    /// `stairs[i]`: the thread counts at which model `i` (alone) gets faster than on any fewer, as far as
    /// scanned; what [`fill_into`] steps along.
    stairs: Vec<Stairs>,
    /// [`fill_into`]'s latencies of the open models at their current threads (negative: closed) and their
    /// steps on their stairs, kept between calls.
    now: Vec<(f64, usize)>,
}

/// The record-low thread counts of one model: `steps[0]` is one thread, and each next step the fewest
/// threads that beat the one before; thread counts up to `scanned` are known.
#[derive(Debug, Clone, Default)]
struct Stairs {
    steps: Vec<(u32, f64)>,
    scanned: u32,
}

impl SingleTable {
    /// An empty table for `prep`'s models.
    pub fn new(prep: &Prepared) -> Self {
        let n = prep.models.len();
        SingleTable {
            rows: vec![Vec::new(); n],
            stairs: vec![Stairs::default(); n],
            now: Vec::new(),
        }
    }

    /// Model `i` alone on `threads` threads (its twin's prediction where it has one: [`Prepared::twin`]).
    pub fn get(&mut self, prep: &Prepared, i: usize, threads: u32) -> &Arc<SinglePrediction> {
        let slot = threads as usize;
        let twin = prep.twin(i);
        let row = &mut self.rows[twin];
        if row.len() <= slot {
            row.resize(slot + 1, None);
        }
        row[slot].get_or_insert_with(|| prep.single(twin, threads))
    }

    /// Step `k` of model `i`'s stairs (`k` 0: one thread) when it needs at most `limit` threads: the fewest
    /// threads that beat step `k − 1`, scanning thread counts one by one as far as `limit` the first time
    /// they are asked for.
    fn step(&mut self, prep: &Prepared, i: usize, k: usize, limit: u32) -> Option<(u32, f64)> {
        let twin = prep.twin(i);
        loop {
            let stairs = &self.stairs[twin];
            if let Some(&step) = stairs.steps.get(k) {
                return (step.0 <= limit).then_some(step);
            }
            if stairs.scanned >= limit {
                return None;
            }
            let t = stairs.scanned + 1;
            let latency = self.get(prep, twin, t).latency_ms;
            let stairs = &mut self.stairs[twin];
            stairs.scanned = t;
            if stairs.steps.last().is_none_or(|&(_, best)| latency < best) {
                stairs.steps.push((t, latency));
            }
        }
    }
}

/// Threads for each member of `group` that runs on a CPU and has no thread count of its own, water-filled
/// as the module says; `(model, threads)` pairs in the group's order.
pub fn fill(prep: &Prepared, group: &[usize], table: &mut SingleTable) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    fill_into(prep, group, table, &mut out);
    out
}

/// [`fill`] into `out` (cleared first), so a search that splits many groups reuses one buffer.
pub fn fill_into(
    prep: &Prepared,
    group: &[usize],
    table: &mut SingleTable,
    out: &mut Vec<(usize, u32)>,
) {
    out.clear();
    for (d, dev) in prep.devices.iter().enumerate() {
        if dev.concurrency != Concurrency::CpuThreads {
            continue;
        }
        // The open models on this device start with one thread each.
        let first = out.len();
        let mut fixed = 0u32;
        for &i in group.iter().filter(|&&i| prep.models[i].device == d) {
            match prep.models[i].spec.threads {
                Some(t) => fixed += t,
                None => out.push((i, 1)),
            }
        }
        let on = &mut out[first..];
        let cores = dev.compute_units.max(1);
        let mut left = cores.saturating_sub(fixed).saturating_sub(on.len() as u32);
        if on.is_empty() || left == 0 {
            continue;
        }
        // Each open model's latency at its current threads and its step on its stairs (latency negative:
        // closed, more threads do not help).
        let mut now = std::mem::take(&mut table.now);
        now.clear();
        now.extend(on.iter().map(|&(i, _)| (table.get(prep, i, 1).latency_ms, 0)));
        while left > 0 {
            // The slowest open model; on equal times the first (latencies are positive and finite).
            let mut slowest: Option<(usize, f64)> = None;
            for (k, &(t, _)) in now.iter().enumerate() {
                if t >= 0.0 && slowest.is_none_or(|(_, s)| t > s) {
                    slowest = Some((k, t));
                }
            }
            let Some((k, _)) = slowest else { break };
            let (i, given) = on[k];
            // The fewest further threads that shorten it, its next step: tile quantisation can make the next
            // thread useless while a later one completes a wave.
            match table.step(prep, i, now[k].1 + 1, given + left) {
                Some((threads, l)) => {
                    on[k].1 = threads;
                    left -= threads - given;
                    now[k] = (l, now[k].1 + 1);
                }
                None => now[k].0 = -1.0,
            }
        }
        table.now = now;
    }
}
