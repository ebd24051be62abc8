//! Planning: the recommendation that evaluates every strategy (with the grouping search and CPU thread splits
//! of [`crate::predict::grouping`], re-exported here) and picks the best feasible one for a goal.

pub mod route;

pub use crate::predict::grouping::{batched, batched_split, parallel_split, EXACT_GROUPING_LIMIT};
pub use crate::predict::threads;

use crate::catalog::hardware::Concurrency;
use crate::error::{Error, Result};
use crate::predict::grouping::{batched_with, SearchedPlans};
use crate::predict::multi::{MultiPrediction, Plan, Prepared, Residency, Strategy};
use threads::SingleTable;

/// What a recommendation optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Goal {
    /// Most items per second over one round of every model (= shortest makespan).
    Throughput,
    /// Shortest mean time until a model's result is ready (what each caller waits), then shortest makespan.
    Latency,
    /// Lowest peak memory, then shortest makespan.
    Memory,
    /// Least energy for the round, then shortest makespan.
    Energy,
}

impl Goal {
    /// Every goal.
    pub const ALL: [Goal; 4] = [Self::Throughput, Self::Latency, Self::Memory, Self::Energy];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Throughput => "throughput",
            Self::Latency => "latency",
            Self::Memory => "memory",
            Self::Energy => "energy",
        }
    }

    /// Parses a goal name.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "throughput" => Ok(Self::Throughput),
            "latency" => Ok(Self::Latency),
            "memory" => Ok(Self::Memory),
            "energy" => Ok(Self::Energy),
            _ => Err(Error::invalid(field, text, "one of throughput, latency, memory, energy")),
        }
    }

    /// Goal metric of a prediction, smaller is better.
    pub fn cost(self, p: &MultiPrediction) -> (f64, f64) {
        match self {
            Self::Throughput => (-p.combined_throughput, p.mean_latency_ms),
            Self::Latency => (p.mean_latency_ms, p.combined_latency_ms),
            Self::Memory => (p.combined_memory_mb, p.combined_latency_ms),
            Self::Energy => (p.energy.total_j, p.combined_latency_ms),
        }
    }
}

/// One evaluated option of a recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Short label (`parallel`, `sequential`, `batched`, `parallel-split-threads`, `sequential-unload`).
    pub label: String,
    /// Its prediction.
    pub prediction: MultiPrediction,
}

/// A recommendation: every option evaluated, the chosen one, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Goal.
    pub goal: Goal,
    /// Options in evaluation order.
    pub candidates: Vec<Candidate>,
    /// Index of the chosen option.
    pub chosen: usize,
    /// Why.
    pub reason: String,
    /// Whether the grouping search was exact.
    pub exact_grouping: bool,
}

impl Recommendation {
    /// The chosen option.
    pub fn best(&self) -> &Candidate {
        &self.candidates[self.chosen]
    }
}

/// Evaluates every strategy (with its best grouping and, on CPUs, a split of the cores) and picks the best
/// feasible one for `goal`; when nothing fits, the one that overflows least.
pub fn recommend(prep: &Prepared, goal: Goal) -> Recommendation {
    let n = prep.models.len();
    // Single-model predictions by thread count, computed once for every option below.
    let mut table = SingleTable::new(prep);
    let sequential = prep.sequential_plan(|i, t| table.get(prep, i, t).latency_ms);
    // The grouping searches, or their plans from this workload's last recommend where the predictor keeps it.
    let searched = prep.kept.searched(|| SearchedPlans {
        batched: batched_with(prep, vec![None; n], &mut table, false),
        split: shares_a_cpu(prep)
            .then(|| (parallel_split(prep, &mut table), batched_split(prep, &mut table))),
    });
    let mut options: Vec<(String, Plan)> = vec![
        ("parallel".into(), prep.plan(Strategy::Parallel)),
        ("sequential".into(), sequential),
        ("batched".into(), searched.batched.clone()),
    ];
    if let Some((parallel, batched)) = &searched.split {
        options.push(("parallel-split-threads".into(), parallel.clone()));
        options.push(("batched-split-threads".into(), batched.clone()));
    }
    let mut candidates: Vec<Candidate> = Vec::with_capacity(options.len() + 1);
    for (label, plan) in options {
        let prediction = evaluate_once(prep, plan, &mut table, &candidates);
        candidates.push(Candidate { label, prediction });
    }
    // The grouping search adds up groups run alone; whole plans also carry what one group leaves to the
    // next (pools still spinning after their runs). Sequential and the one-group split are groupings too,
    // so batched is never reported worse than the best of them that fits.
    for (grouped, alternatives) in [
        ("batched", &["sequential"][..]),
        ("batched-split-threads", &["parallel-split-threads", "sequential"][..]),
    ] {
        let Some(g) = candidates.iter().position(|c| c.label == grouped) else {
            continue;
        };
        for alt in alternatives {
            let Some(a) = candidates.iter().position(|c| c.label == *alt) else {
                continue;
            };
            let (pg, pa) = (&candidates[g].prediction, &candidates[a].prediction);
            if pa.feasible && pa.combined_latency_ms < pg.combined_latency_ms {
                let plan = Plan { strategy: Strategy::Batched, ..pa.plan.clone() };
                candidates[g].prediction = MultiPrediction { plan, ..pa.clone() };
            }
        }
    }
    if !candidates[1].prediction.feasible {
        let mut p = candidates[1].prediction.plan.clone();
        p.residency = Residency::Unload;
        candidates
            .push(Candidate { label: "sequential-unload".into(), prediction: prep.evaluate(&p) });
    }
    let feasible: Vec<usize> =
        (0..candidates.len()).filter(|&k| candidates[k].prediction.feasible).collect();
    let pick = |pool: &[usize], key: &dyn Fn(&MultiPrediction) -> (f64, f64)| {
        pool.iter().copied().fold(None::<usize>, |best, k| match best {
            Some(b)
                if lexi_less(key(&candidates[b].prediction), key(&candidates[k].prediction))
                    || key(&candidates[b].prediction) == key(&candidates[k].prediction) =>
            {
                Some(b)
            }
            _ => Some(k),
        })
    };
    let (chosen, reason) = match pick(&feasible, &|p| goal.cost(p)) {
        Some(k) => (k, explain(goal, &candidates, k, &feasible)),
        None => {
            let all: Vec<usize> = (0..candidates.len()).collect();
            let k = pick(&all, &|p| (p.overflow_mb, p.combined_latency_ms)).unwrap_or(0);
            let p = &candidates[k].prediction;
            (k, format!("no option fits in memory; {} overflows least ({:.0} MB over): lower the precision, drop a model, or raise the memory limit", candidates[k].label, p.overflow_mb))
        }
    };
    Recommendation { goal, candidates, chosen, reason, exact_grouping: n <= EXACT_GROUPING_LIMIT }
}

fn lexi_less(a: (f64, f64), b: (f64, f64)) -> bool {
    const REL: f64 = 1e-9;
    let close = |x: f64, y: f64| (x - y).abs() <= REL * x.abs().max(y.abs());
    if close(a.0, b.0) {
        a.1 < b.1 && !close(a.1, b.1)
    } else {
        a.0 < b.0
    }
}

/// `prep.evaluate(&plan)` with the single-model predictions taken from `table`.
fn evaluate(prep: &Prepared, plan: Plan, table: &mut SingleTable) -> MultiPrediction {
    let singles = (0..prep.models.len())
        .map(|i| std::sync::Arc::clone(table.get(prep, i, prep.threads(i, &plan))))
        .collect();
    prep.evaluate_owned(plan, singles)
}

/// `plan` evaluated, or an earlier candidate's prediction with `plan` in it where that candidate ran the same
/// groups with the same threads and residency: a plan's prediction depends on nothing else (its strategy is a
/// label), so a grouping search that lands on the sequential plan is not simulated twice.
fn evaluate_once(
    prep: &Prepared,
    plan: Plan,
    table: &mut SingleTable,
    earlier: &[Candidate],
) -> MultiPrediction {
    let same = |p: &Plan| {
        p.groups == plan.groups
            && p.residency == plan.residency
            && (0..prep.models.len()).all(|i| prep.threads(i, p) == prep.threads(i, &plan))
    };
    match earlier.iter().find(|c| same(&c.prediction.plan)) {
        Some(c) => MultiPrediction { plan, ..c.prediction.clone() },
        None => evaluate(prep, plan, table),
    }
}

/// Whether at least two models without their own thread count run on one CPU (so that splitting its
/// cores between them is an option).
fn shares_a_cpu(prep: &Prepared) -> bool {
    prep.devices.iter().enumerate().any(|(d, dev)| {
        dev.concurrency == Concurrency::CpuThreads
            && prep.models.iter().filter(|m| m.device == d && m.spec.threads.is_none()).count() >= 2
    })
}

fn explain(goal: Goal, c: &[Candidate], k: usize, feasible: &[usize]) -> String {
    let metric = |p: &MultiPrediction| match goal {
        Goal::Throughput => format!("{:.1} items/s", p.combined_throughput),
        Goal::Latency => format!("{:.2} ms mean latency", p.mean_latency_ms),
        Goal::Memory => format!("{:.0} MB peak", p.combined_memory_mb),
        Goal::Energy => {
            format!("{:.3} J ({:.1} W average)", p.energy.total_j, p.energy.average_power_w)
        }
    };
    let best = &c[k];
    let others: Vec<String> = c
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != k)
        .map(|(j, o)| {
            format!(
                "{} {}{}",
                o.label,
                metric(&o.prediction),
                if feasible.contains(&j) { "" } else { " (does not fit)" }
            )
        })
        .collect();
    let p = &best.prediction;
    let plan = if p.plan.groups.len() > 1 && p.plan.groups.iter().any(|g| g.len() > 1) {
        format!(" in {} groups", p.plan.groups.len())
    } else {
        String::new()
    };
    format!(
        "{}{plan} is best for {}: {} (vs {}); peak memory {:.0} MB fits",
        best.label,
        goal.name(),
        metric(p),
        others.join(", "),
        p.combined_memory_mb
    )
}
