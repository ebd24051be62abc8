//! Property tests for the modelling contract (DESIGN.md "Several models", STYLE.md "Tests"): random workloads
//! of catalog models on several devices, evaluated under every strategy and recommended for every goal.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::models::catalog;
use multimodel_perf::catalog::Precision;
use multimodel_perf::plan::{recommend, Goal};
use multimodel_perf::predict::multi::{
    Constraints, MultiPrediction, Prepared, Strategy as RunStrategy, Target, Workload,
};
use multimodel_perf::wire;
use multimodel_perf::{ModelSpec, MultiModelPredictor};
use proptest::prelude::*;

const TARGETS: [&str; 6] =
    ["cuda:a100-40gb", "cuda:t4", "cpu", "mps:m2", "webgpu:integrated", "wasm"];

const PRECISIONS: [Precision; 3] = [Precision::Fp32, Precision::Fp16, Precision::Int8];

/// One generated entry: catalog index, batch size, precision index.
type Entry = (usize, u32, usize);

fn model_names() -> Vec<&'static str> {
    catalog().into_iter().map(|m| m.name).collect()
}

fn specs(entries: &[Entry]) -> Vec<ModelSpec> {
    let names = model_names();
    entries
        .iter()
        .map(|&(m, b, p)| {
            ModelSpec::named(names[m % names.len()]).with_batch(b).with_precision(PRECISIONS[p])
        })
        .collect()
}

fn workload(entries: &[Entry], constraints: Constraints) -> Workload {
    Workload { models: specs(entries), constraints }
}

fn prepare(w: &Workload, target: &str) -> Prepared {
    let target = Target::new(target).expect("catalog target");
    MultiModelPredictor::default().prepare(w, &target).expect("catalog workload prepares")
}

fn evaluate(prep: &Prepared, strategy: RunStrategy) -> MultiPrediction {
    prep.evaluate(&prep.plan(strategy))
}

fn entries() -> impl Strategy<Value = Vec<Entry>> {
    let n = model_names().len();
    prop::collection::vec((0..n, 1u32..=16, 0..PRECISIONS.len()), 1..=6)
}

fn config() -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(64) }
}

fn longest_solo(p: &MultiPrediction) -> f64 {
    p.models.iter().map(|m| m.solo.latency_ms).fold(0.0, f64::max)
}

fn last_end(p: &MultiPrediction) -> f64 {
    p.models.iter().map(|m| m.end_ms).fold(0.0, f64::max)
}

/// (a) The parallel makespan is at least the longest model alone.
fn check_parallel_at_least_longest(par: &MultiPrediction) {
    let longest = longest_solo(par);
    assert!(
        par.combined_latency_ms >= longest - 1e-6,
        "parallel makespan {} ms < longest model alone {} ms",
        par.combined_latency_ms,
        longest
    );
}

/// (b) The sequential makespan is the sum of the models alone (each rounded to whole ns in the simulator), plus
/// at most the time each model's pool spins after its run (CPU runtimes that spin before they block slow the
/// next model down for that long at most; none for the last).
fn check_sequential_is_sum(seq: &MultiPrediction) {
    let sum: f64 = seq.models.iter().map(|m| m.solo.latency_ms).sum();
    let spin_ms = |m: &multimodel_perf::predict::multi::ModelResult| {
        let rt = multimodel_perf::catalog::runtime::RuntimeProfile::find(&m.runtime).unwrap();
        if m.solo.threads > 1 {
            rt.spin_after_run_us / 1e3
        } else {
            0.0
        }
    };
    let spins: f64 = seq.models.iter().map(spin_ms).sum();
    let tol = seq.models.len() as f64 * 1e-6 + 1e-9 * sum;
    assert!(
        seq.combined_latency_ms >= sum - tol && seq.combined_latency_ms <= sum + spins + tol,
        "sequential makespan {} ms, sum of solo latencies {} ms, pools spinning after runs {} ms (tolerance {})",
        seq.combined_latency_ms,
        sum,
        spins,
        tol
    );
}

/// (c) The timeline's last end is the combined latency.
fn check_timeline_total(p: &MultiPrediction) {
    assert_eq!(
        last_end(p),
        p.combined_latency_ms,
        "{:?}: last end in the timeline differs from the combined latency",
        p.plan.strategy
    );
}

/// (d) Feasible predictions fit every pool and the memory budget; infeasible ones report an overflow.
fn check_memory_fits(p: &MultiPrediction, budget: Option<f64>) {
    if p.feasible {
        for pool in &p.pools {
            assert!(
                pool.peak_mb <= pool.capacity_mb,
                "{:?} feasible but pool {} peaks at {} MB over capacity {} MB",
                p.plan.strategy,
                pool.name,
                pool.peak_mb,
                pool.capacity_mb
            );
        }
        if let Some(b) = budget {
            assert!(
                p.combined_memory_mb <= b,
                "{:?} feasible but needs {} MB over the {} MB budget",
                p.plan.strategy,
                p.combined_memory_mb,
                b
            );
        }
        assert_eq!(p.overflow_mb, 0.0, "feasible with an overflow");
    } else {
        assert!(p.overflow_mb > 0.0, "{:?} infeasible without an overflow", p.plan.strategy);
        let over_pool = p.pools.iter().any(|x| x.peak_mb > x.capacity_mb);
        let over_budget = budget.is_some_and(|b| p.combined_memory_mb > b);
        assert!(
            over_pool || over_budget,
            "{:?} infeasible although every pool and the budget hold",
            p.plan.strategy
        );
    }
}

/// (e) Running everything at once never needs less memory than one at a time.
fn check_parallel_memory(par: &MultiPrediction, seq: &MultiPrediction) {
    assert!(
        par.combined_memory_mb >= seq.combined_memory_mb - 1e-6,
        "parallel memory {} MB < sequential memory {} MB",
        par.combined_memory_mb,
        seq.combined_memory_mb
    );
}

/// Every total of a prediction (`totalMetrics`), compared exactly: models are ordered canonically.
fn totals(p: &MultiPrediction) -> (f64, f64, f64, f64, bool, f64) {
    (
        p.combined_latency_ms,
        p.combined_throughput,
        p.combined_memory_mb,
        p.mean_latency_ms,
        p.feasible,
        p.overflow_mb,
    )
}

fn json(p: &MultiPrediction) -> String {
    wire::to_json(&wire::PredictionDto::from(p))
}

/// (a)–(e) and (g) for one workload on one target.
fn check_workload(w: &Workload, target: &str) {
    let prep = prepare(w, target);
    let budget = w.constraints.max_memory_mb;
    let par = evaluate(&prep, RunStrategy::Parallel);
    let seq = evaluate(&prep, RunStrategy::Sequential);
    check_parallel_at_least_longest(&par);
    check_sequential_is_sum(&seq);
    check_parallel_memory(&par, &seq);
    let again = prepare(w, target);
    for strategy in RunStrategy::ALL {
        let p = evaluate(&prep, strategy);
        assert_eq!(p.plan.strategy, strategy);
        assert_eq!(p.models.len(), w.models.len());
        check_timeline_total(&p);
        check_memory_fits(&p, budget);
        // (g) Same input, same bytes (from a fresh resolution, not only a re-evaluation).
        assert_eq!(
            json(&p),
            json(&evaluate(&again, strategy)),
            "{strategy:?}: two runs of the same input differ"
        );
    }
}

/// (f) A permutation of the entries changes no total of any strategy, nor the recommendation.
fn check_order_independent(w: &Workload, permuted: &Workload, target: &str) {
    let a = prepare(w, target);
    let b = prepare(permuted, target);
    for strategy in RunStrategy::ALL {
        let (pa, pb) = (evaluate(&a, strategy), evaluate(&b, strategy));
        assert_eq!(
            totals(&pa),
            totals(&pb),
            "{strategy:?}: totals change with the order of the models"
        );
    }
    for goal in Goal::ALL {
        let (ra, rb) = (recommend(&a, goal), recommend(&b, goal));
        assert_eq!(
            ra.best().label,
            rb.best().label,
            "{goal:?}: recommendation changes with the order of the models"
        );
        assert_eq!(totals(&ra.best().prediction), totals(&rb.best().prediction));
    }
}

/// (h) The recommendation is the best feasible candidate for its goal.
fn check_recommendation_optimal(prep: &Prepared) {
    for goal in Goal::ALL {
        let r = recommend(prep, goal);
        assert_eq!(r.goal, goal);
        assert!(r.chosen < r.candidates.len());
        assert!(!r.reason.is_empty());
        let best = &r.best().prediction;
        let feasible: Vec<_> = r.candidates.iter().filter(|c| c.prediction.feasible).collect();
        if feasible.is_empty() {
            continue;
        }
        assert!(
            best.feasible,
            "{goal:?}: chose infeasible '{}' although '{}' fits",
            r.best().label,
            feasible[0].label
        );
        // Every candidate reports what its own plan gives when evaluated afresh (a candidate that repeats an
        // earlier one's groups, threads and residency is that one's prediction with its own plan in it).
        for c in &r.candidates {
            assert_eq!(c.prediction, prep.evaluate(&c.prediction.plan), "{goal:?}: '{}'", c.label);
        }
        for c in feasible {
            let o = &c.prediction;
            let ok = match goal {
                Goal::Throughput => {
                    best.combined_throughput >= o.combined_throughput * (1.0 - 1e-9)
                }
                Goal::Memory => best.combined_memory_mb <= o.combined_memory_mb * (1.0 + 1e-9),
                Goal::Latency => best.mean_latency_ms <= o.mean_latency_ms * (1.0 + 1e-9),
                Goal::Energy => best.energy.total_j <= o.energy.total_j * (1.0 + 1e-9),
            };
            assert!(
                ok,
                "{goal:?}: chose '{}' ({:?}) over better feasible '{}' ({:?})",
                r.best().label,
                goal.cost(best),
                c.label,
                goal.cost(o)
            );
        }
    }
}

/// (i) A budget below the sequential peak makes sequential infeasible by exactly the difference.
fn check_budget_below_sequential_peak(entries: &[Entry], target: &str, fraction: f64) {
    let free = prepare(&workload(entries, Constraints::default()), target);
    let seq = evaluate(&free, RunStrategy::Sequential);
    let peak = seq.combined_memory_mb;
    let capacity: f64 = seq.pools.iter().map(|p| p.capacity_mb).sum();
    // At most the capacity, so the budget (not a pool) is the larger overflow.
    let budget = peak.min(capacity) * fraction;
    let constraints = Constraints { max_memory_mb: Some(budget), max_compute: None };
    let prep = prepare(&workload(entries, constraints), target);
    let p = evaluate(&prep, RunStrategy::Sequential);
    assert_eq!(p.combined_memory_mb, peak, "the budget changed the sequential peak");
    assert!(!p.feasible, "sequential peak {peak} MB reported feasible under a {budget} MB budget");
    assert!(p.overflow_mb > 0.0);
    assert!(
        (p.overflow_mb - (peak - budget)).abs() <= 1e-6,
        "overflow {} MB, expected peak {} − budget {} = {}",
        p.overflow_mb,
        peak,
        budget,
        peak - budget
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn makespan_memory_and_determinism_invariants(
        e in entries(),
        t in 0..TARGETS.len(),
        budget in prop::option::of(100.0f64..40_000.0),
    ) {
        let constraints = Constraints { max_memory_mb: budget, max_compute: None };
        check_workload(&workload(&e, constraints), TARGETS[t]);
    }

    #[test]
    fn the_order_of_the_models_changes_no_total(
        (e, shuffled) in entries().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        t in 0..TARGETS.len(),
    ) {
        let w = workload(&e, Constraints::default());
        let mut reversed = w.clone();
        reversed.models.reverse();
        check_order_independent(&w, &reversed, TARGETS[t]);
        check_order_independent(&w, &workload(&shuffled, Constraints::default()), TARGETS[t]);
    }

    #[test]
    fn the_recommendation_is_the_best_feasible_candidate(
        e in entries(),
        t in 0..TARGETS.len(),
        budget in prop::option::of(100.0f64..40_000.0),
    ) {
        let constraints = Constraints { max_memory_mb: budget, max_compute: None };
        check_recommendation_optimal(&prepare(&workload(&e, constraints), TARGETS[t]));
    }

    #[test]
    fn a_budget_below_the_sequential_peak_is_infeasible_by_the_difference(
        e in entries(),
        t in 0..TARGETS.len(),
        fraction in 0.05f64..0.99,
    ) {
        check_budget_below_sequential_peak(&e, TARGETS[t], fraction);
    }
}

#[test]
fn the_seed_example_satisfies_the_invariants() {
    let parsed = wire::parse_workload(include_str!("data/seed-example.json")).expect("seed parses");
    let hardware = parsed.hardware.clone().expect("the seed names its hardware");
    assert_eq!(parsed.workload.models.len(), 3);
    check_workload(&parsed.workload, &hardware);
    let mut reversed = parsed.workload.clone();
    reversed.models.reverse();
    check_order_independent(&parsed.workload, &reversed, &hardware);
    let mut rotated = parsed.workload.clone();
    rotated.models.rotate_left(1);
    check_order_independent(&parsed.workload, &rotated, &hardware);
    check_recommendation_optimal(&prepare(&parsed.workload, &hardware));
}
