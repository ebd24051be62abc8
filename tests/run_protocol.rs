//! The run protocol shared by the browser pool and `mmperf measure`, driven by a test executor on a virtual
//! clock: stages and lanes from a plan, fallback across a model's backends, typed outcomes, and the summary
//! and measurement a run records.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::flatmap::FlatMap;
use std::cell::{Cell, RefCell};

use futures_util::FutureExt;
use multimodel_perf::predict::multi::{Strategy, Target, Workload};
use multimodel_perf::predict::spec::ModelSpec;
use multimodel_perf::run::{self, Attempted, Attempts, Basis, Executor, Outcome, Stage, Status};
use multimodel_perf::MultiModelPredictor;

/// A scripted executor: model `i` on backend `b` takes `ms[i][b]` virtual ms and ends with `status[i][b]`.
/// Lanes of a stage start together on the virtual clock; the stage ends with its longest lane.
struct Script {
    ms: Vec<Vec<f64>>,
    status: Vec<Vec<Status>>,
    fallback: bool,
    clock: Cell<f64>,
    calls: RefCell<Vec<(usize, usize)>>,
}

impl Script {
    fn new(ms: Vec<Vec<f64>>, status: Vec<Vec<Status>>, fallback: bool) -> Script {
        Script { ms, status, fallback, clock: Cell::new(100.0), calls: RefCell::new(Vec::new()) }
    }

    fn all_ok(ms: &[f64]) -> Script {
        Script::new(
            ms.iter().map(|&m| vec![m]).collect(),
            ms.iter().map(|_| vec![Status::Ok]).collect(),
            false,
        )
    }
}

impl Attempts for Script {
    type Output = String;

    fn now_ms(&self) -> f64 {
        self.clock.get()
    }

    fn tries(&self, model: usize) -> usize {
        if self.fallback {
            self.ms[model].len()
        } else {
            1
        }
    }

    async fn attempt(&self, model: usize, backend: usize) -> Attempted<String> {
        self.calls.borrow_mut().push((model, backend));
        self.clock.set(self.clock.get() + self.ms[model][backend]);
        let out = format!("m{model}b{backend}");
        match self.status[model][backend] {
            Status::Ok => Attempted::ok(out),
            s => Attempted::failed(s, format!("{} on {backend}", s.name()), out),
        }
    }
}

impl Executor for Script {
    async fn run_stage(&self, lanes: &[Vec<usize>], t0: f64) -> Vec<(usize, Outcome<String>)> {
        let start = self.clock.get();
        let mut end = start;
        let mut out = Vec::new();
        for lane in lanes {
            self.clock.set(start);
            out.extend(run::run_lane(self, lane, t0).now_or_never().unwrap());
            end = end.max(self.clock.get());
        }
        self.clock.set(end);
        out
    }
}

fn ran(exec: &Script, stages: &[Stage], models: usize) -> run::Ran<String> {
    run::run(exec, stages, models, || "never ran".to_string()).now_or_never().unwrap()
}

#[test]
fn stages_follow_the_groups_and_deal_shared_backends_into_lanes() {
    let keys = ["webgpu", "wasm", "webgpu", "webgpu", "webnn:npu"];
    let groups = vec![vec![0, 1, 2, 3], vec![4]];
    // No limits: every model its own lane, lanes ordered by backend name.
    let free = run::stages(&groups, &keys, &FlatMap::new());
    assert_eq!(free.len(), 2);
    assert_eq!(free[0].lanes, vec![vec![1], vec![0], vec![2], vec![3]]);
    assert_eq!(free[0].shared, vec![("webgpu".to_string(), 3)]);
    assert_eq!(free[1].lanes, vec![vec![4]]);
    assert!(free[1].shared.is_empty());
    // WebGPU limited to 2 at once: its three models dealt round-robin into two lanes.
    let limits = FlatMap::from([("webgpu", 2), ("wasm", 1)]);
    let limited = run::stages(&groups, &keys, &limits);
    assert_eq!(limited[0].lanes, vec![vec![1], vec![0, 3], vec![2]]);
    // A limit of 0 is treated as 1, never as no lane at all.
    let zero = run::stages(&[vec![0, 2]], &keys, &FlatMap::from([("webgpu", 0)]));
    assert_eq!(zero[0].lanes, vec![vec![0, 2]]);
}

#[test]
fn makespan_is_the_stages_in_turn_and_the_longest_lane_of_each() {
    let exec = Script::all_ok(&[30.0, 50.0, 20.0]);
    // Parallel: one stage, three lanes.
    let par = run::stages(&[vec![0, 1, 2]], &["cpu"; 3], &FlatMap::new());
    let r = ran(&exec, &par, 3);
    assert_eq!(r.makespan_ms, 50.0);
    assert!(r.outcomes.iter().all(|o| o.ok() && o.start_ms == 0.0));
    assert_eq!(r.outcomes.iter().map(|o| o.latency_ms).collect::<Vec<_>>(), vec![30.0, 50.0, 20.0]);
    // Sequential: three stages; each model starts where the previous one ended.
    let seq = run::stages(&[vec![2], vec![0], vec![1]], &["cpu"; 3], &FlatMap::new());
    let r = ran(&exec, &seq, 3);
    assert_eq!(r.makespan_ms, 100.0);
    assert_eq!(
        r.outcomes.iter().map(|o| (o.start_ms, o.end_ms)).collect::<Vec<_>>(),
        vec![(20.0, 50.0), (50.0, 100.0), (0.0, 20.0)]
    );
    // One lane shared by two models: they run in turn within the stage.
    let lane = run::stages(&[vec![0, 1, 2]], &["gpu", "gpu", "cpu"], &FlatMap::from([("gpu", 1)]));
    assert_eq!(ran(&exec, &lane, 3).makespan_ms, 80.0);
}

#[test]
fn fallback_tries_the_next_backend_and_times_the_one_that_succeeded() {
    let exec = Script::new(
        vec![vec![5.0, 40.0, 7.0], vec![12.0]],
        vec![vec![Status::Timeout, Status::Ok, Status::Ok], vec![Status::Ok]],
        true,
    );
    let stages = run::stages(&[vec![0], vec![1]], &["webgpu", "wasm"], &FlatMap::new());
    let r = ran(&exec, &stages, 2);
    let o = &r.outcomes[0];
    assert_eq!(o.status, Status::Ok);
    assert_eq!(o.backend, 1);
    assert!(o.fell_back());
    assert_eq!(o.output, "m0b1");
    assert_eq!(o.error, None);
    // The successful attempt's own time, from its own start; the failed one is in the attempts.
    assert_eq!((o.start_ms, o.end_ms, o.latency_ms), (5.0, 45.0, 40.0));
    assert_eq!(
        o.attempts.iter().map(|a| (a.backend, a.status, a.ms)).collect::<Vec<_>>(),
        vec![(0, Status::Timeout, 5.0), (1, Status::Ok, 40.0)]
    );
    assert_eq!(o.attempts[0].error.as_deref(), Some("timeout on 0"));
    // The third backend is never tried once the second succeeded.
    assert_eq!(*exec.calls.borrow(), vec![(0, 0), (0, 1), (1, 0)]);
    assert!(!r.outcomes[1].fell_back());
}

#[test]
fn without_fallback_a_failure_is_the_model_s_outcome_and_others_still_run() {
    let exec = Script::new(
        vec![vec![8.0, 1.0], vec![3.0]],
        vec![vec![Status::InvalidOutput, Status::Ok], vec![Status::Ok]],
        false,
    );
    let stages = run::stages(&[vec![0, 1]], &["wasm", "wasm"], &FlatMap::new());
    let r = ran(&exec, &stages, 2);
    let o = &r.outcomes[0];
    assert_eq!(o.status, Status::InvalidOutput);
    assert_eq!(o.status.name(), "invalid-output");
    assert!(!o.ok() && !o.fell_back());
    // No success: the latency is the whole span of its attempts, and the last attempt's output is kept.
    assert_eq!(o.latency_ms, 8.0);
    assert_eq!(o.attempts.len(), 1);
    assert_eq!(o.output, "m0b0");
    assert_eq!(o.error.as_deref(), Some("invalid-output on 0"));
    assert!(r.outcomes[1].ok());
}

#[test]
fn a_model_no_stage_holds_is_reported_not_lost() {
    let exec = Script::all_ok(&[10.0, 10.0]);
    let stages = run::stages(&[vec![1]], &["cpu"; 2], &FlatMap::new());
    let r = ran(&exec, &stages, 2);
    assert_eq!(r.outcomes[0].status, Status::Error);
    assert_eq!(r.outcomes[0].error.as_deref(), Some("the plan did not include this model"));
    assert_eq!(r.outcomes[0].output, "never ran");
    assert_eq!(r.outcomes[0].start_ms, 10.0);
    assert!(r.outcomes[1].ok());
}

fn predicted(strategy: Strategy) -> multimodel_perf::predict::multi::MultiPrediction {
    let mut bert = ModelSpec::named("bert-base-uncased");
    bert.batch_size = 4;
    let workload = Workload {
        models: vec![bert, ModelSpec::named("resnet-50")],
        constraints: Default::default(),
    };
    let target = Target::new("cpu:laptop-4c").unwrap();
    MultiModelPredictor::default().predict(&workload, &target, strategy).unwrap()
}

fn basis(p: &multimodel_perf::predict::multi::MultiPrediction) -> Basis {
    let mut bert = ModelSpec::named("bert-base-uncased");
    bert.batch_size = 4;
    Basis {
        specs: vec![bert, ModelSpec::named("resnet-50")],
        profiles: vec![multimodel_perf::catalog::hardware::find("cpu:laptop-4c").unwrap()],
        hardware: "cpu:laptop-4c".to_string(),
        source: "test".to_string(),
        timestamp_ms: 1.0e12 + p.combined_latency_ms,
    }
}

#[test]
fn a_run_where_every_model_succeeded_is_a_measurement_of_the_plan() {
    let p = predicted(Strategy::Sequential);
    let exec = Script::all_ok(&[200.0, 50.0]);
    let stages = run::stages(&p.plan.groups, &["cpu"; 2], &FlatMap::new());
    let r = ran(&exec, &stages, 2);
    let s = run::summarise(&r, &p.plan, &p, basis(&p));
    assert_eq!((s.succeeded, s.failed), (2, 0));
    // 5 items (4 + 1) over 250 ms.
    assert!((s.throughput - 20.0).abs() < 1e-9, "{}", s.throughput);
    let m = s.measurement.expect("every model succeeded");
    m.validate().unwrap();
    assert_eq!(m.strategy, Strategy::Sequential);
    assert_eq!(m.groups, p.plan.groups);
    assert_eq!(m.measured_makespan_ms, 250.0);
    assert_eq!(m.predicted_makespan_ms, p.combined_latency_ms);
    assert_eq!(m.source, "test");
    let measured: Vec<f64> = m.models.iter().map(|x| x.measured_ms).collect();
    assert_eq!(measured, vec![200.0, 50.0]);
    for (x, y) in m.models.iter().zip(&p.models) {
        assert_eq!(x.predicted_ms, y.latency_ms);
    }
}

#[test]
fn a_run_with_a_failure_is_summed_up_but_not_recorded() {
    let p = predicted(Strategy::Parallel);
    let exec = Script::new(
        vec![vec![200.0], vec![50.0]],
        vec![vec![Status::Ok], vec![Status::Error]],
        false,
    );
    let stages = run::stages(&p.plan.groups, &["cpu"; 2], &FlatMap::new());
    let r = ran(&exec, &stages, 2);
    let s = run::summarise(&r, &p.plan, &p, basis(&p));
    assert_eq!((s.succeeded, s.failed), (1, 1));
    // Only the successful model's 4 items count, over the 200 ms makespan.
    assert!((s.throughput - 20.0).abs() < 1e-9, "{}", s.throughput);
    assert_eq!(s.measurement.unwrap_err(), "not recorded as a measurement: 1 of 2 models failed");
}
