//! Energy and cold-start invariants: energy grows with work and is fully attributed to models, average power
//! lies between idle and peak, the energy goal picks the least-energy feasible plan; a first run is never
//! faster than a warm one, and a slower weight source (memory, 3 GB/s disk, 1 GB/s browser cache, 100 Mbit/s
//! network) never makes it faster.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::predict::coldstart::{cold_start, ColdStartConfig, WeightSource};
use multimodel_perf::{
    plan, wire, Goal, ModelSpec, MultiModelPredictor, Strategy, Target, Workload,
};

fn seed() -> Workload {
    wire::parse_workload(include_str!("data/seed-example.json")).unwrap().workload
}

const TARGETS: [&str; 5] = ["cuda:a100-40gb", "cuda:t4", "cpu", "mps:m2", "webgpu:integrated"];

#[test]
fn energy_is_attributed_bounded_and_grows_with_work() {
    let predictor = MultiModelPredictor::default();
    for hw in TARGETS {
        let target = Target::new(hw).unwrap();
        for strategy in Strategy::ALL {
            let p = predictor.predict(&seed(), &target, strategy).unwrap();
            let e = &p.energy;
            let attributed: f64 = p.models.iter().map(|m| m.energy_j).sum();
            assert!(
                (attributed - e.total_j).abs() <= 1e-9 * e.total_j,
                "{hw} {strategy:?}: {attributed} vs {}",
                e.total_j
            );
            let dev = &target.device;
            assert!(
                e.average_power_w >= dev.idle_w - 1e-9 && e.average_power_w <= dev.tdp_w + 1e-9,
                "{hw}: {} W",
                e.average_power_w
            );
            let mut bigger = seed();
            for m in &mut bigger.models {
                m.batch_size *= 2;
            }
            let q = predictor.predict(&bigger, &target, strategy).unwrap();
            assert!(
                q.energy.total_j > e.total_j,
                "{hw} {strategy:?}: doubling the batches lowered energy"
            );
        }
    }
}

#[test]
fn the_energy_goal_picks_the_least_energy_feasible_plan() {
    let predictor = MultiModelPredictor::default();
    for hw in TARGETS {
        let prep = predictor.prepare(&seed(), &Target::new(hw).unwrap()).unwrap();
        let r = plan::recommend(&prep, Goal::Energy);
        let best = r.best().prediction.energy.total_j;
        for c in r.candidates.iter().filter(|c| c.prediction.feasible) {
            assert!(
                best <= c.prediction.energy.total_j * (1.0 + 1e-9),
                "{hw}: {} uses less than the chosen {}",
                c.label,
                r.best().label
            );
        }
    }
}

#[test]
fn oversubscribed_cpus_burn_more_energy_than_sequential() {
    let models = vec![
        ModelSpec::named("distilbert-base-uncased").with_batch(4),
        ModelSpec::named("all-MiniLM-L6-v2").with_batch(8),
    ];
    let w = Workload { models, constraints: Default::default() };
    let predictor = MultiModelPredictor::default();
    let target = Target::new("cpu").unwrap();
    let par = predictor.predict(&w, &target, Strategy::Parallel).unwrap();
    let seq = predictor.predict(&w, &target, Strategy::Sequential).unwrap();
    assert!(par.combined_latency_ms > seq.combined_latency_ms);
    assert!(par.energy.total_j > seq.energy.total_j);
}

#[test]
fn cold_is_never_faster_than_warm_and_slower_sources_cost_more() {
    let predictor = MultiModelPredictor::default();
    for hw in TARGETS {
        let prep = predictor.prepare(&seed(), &Target::new(hw).unwrap()).unwrap();
        let mut previous: Option<Vec<f64>> = None;
        for source in [
            WeightSource::Memory,
            WeightSource::Disk,
            WeightSource::BrowserCache,
            WeightSource::Network,
        ] {
            let r = cold_start(
                &prep,
                ColdStartConfig { source, source_gbps: None, warmup_iterations: 1 },
            )
            .unwrap();
            for s in &r.strategies {
                assert!(
                    s.cold_ms >= s.warm_ms,
                    "{hw} {source:?} {:?}: cold {} < warm {}",
                    s.strategy,
                    s.cold_ms,
                    s.warm_ms
                );
            }
            for m in &r.models {
                assert!(m.first_run_ms >= m.warm_ms + m.warmup_ms, "{hw}: {}", m.name);
            }
            let colds: Vec<f64> = r.strategies.iter().map(|s| s.cold_ms).collect();
            if let Some(prev) = &previous {
                for (a, b) in prev.iter().zip(&colds) {
                    assert!(b + 1e-9 >= *a, "{hw}: {source:?} was faster than a faster source");
                }
            }
            previous = Some(colds);
        }
    }
}

#[test]
fn cold_start_rejects_a_bad_bandwidth() {
    let prep =
        MultiModelPredictor::default().prepare(&seed(), &Target::new("cuda").unwrap()).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = cold_start(
            &prep,
            ColdStartConfig {
                source: WeightSource::Disk,
                source_gbps: Some(bad),
                warmup_iterations: 0,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("source_gbps"), "{err}");
    }
}

#[test]
fn oversubscribed_host_memory_is_priced_as_swapping_but_device_memory_is_not() {
    use multimodel_perf::catalog::Precision;
    // Long contexts at batch 64: weights plus KV caches of about 32 GB against 16 GB of RAM.
    let long = |name: &str, p: Precision| {
        let mut m = ModelSpec::named(name).with_batch(64).with_precision(p);
        m.sequence_length = Some(1024);
        m
    };
    let models = vec![
        long("llama-3.2-1b", Precision::Fp32),
        long("llama-3.2-1b", Precision::Fp16),
        long("qwen2.5-0.5b", Precision::Fp32),
    ];
    let w = Workload { models, constraints: Default::default() };
    let predictor = MultiModelPredictor::default();
    let host =
        predictor.predict(&w, &Target::new("cpu:laptop-4c").unwrap(), Strategy::Parallel).unwrap();
    let pool = &host.pools[0];
    assert!(!host.feasible && pool.overflow_mb > 0.0, "the workload should overflow 16 GB");
    let expected = 2.0 * pool.overflow_mb * 1024.0 * 1024.0 / 3e9 * 1e3;
    assert!(
        (pool.swap_ms_per_round - expected).abs() < 1e-6,
        "{} vs {expected}",
        pool.swap_ms_per_round
    );
    assert!(host.warnings.iter().any(|w| w.contains("page it to swap")));
    let mut small = Target::new("cuda:t4").unwrap();
    std::sync::Arc::make_mut(&mut small.device).memory_capacity_mb = 4000.0;
    let gpu = predictor.predict(&w, &small, Strategy::Parallel).unwrap();
    assert!(!gpu.feasible && gpu.pools[0].swap_ms_per_round == 0.0);
}

#[test]
fn torch_compile_pays_its_whole_graph_on_the_first_call() {
    // The same ResNet-50 eager and under torch.compile: eager PyTorch builds one kernel per distinct
    // operator shape (50 µs each); TorchInductor traces and compiles every operator the network runs, its 16
    // blocks' repeated layers included (150 ms each, measured on the development VM's CPU path).
    let text = r#"{"hardware": "cuda:rtx4090", "models": [
        {"model_name": "resnet-50", "batch_size": 8, "precision": "fp16", "runtime": "pytorch"},
        {"model_name": "resnet-50", "batch_size": 8, "precision": "fp16", "runtime": "torch-compile"}]}"#;
    let parsed = wire::parse_workload(text).unwrap();
    let prep = MultiModelPredictor::default()
        .prepare(&parsed.workload, &Target::new(parsed.hardware.as_deref().unwrap()).unwrap())
        .unwrap();
    let r = cold_start(
        &prep,
        ColdStartConfig { source: WeightSource::Memory, source_gbps: None, warmup_iterations: 0 },
    )
    .unwrap();
    let (eager, compiled) = (&r.models[0], &r.models[1]);
    // ResNet-50's operators: 53 convolutions, 53 batch norms, 49 ReLUs, 16 residual adds, two poolings and
    // the classifier (174), of which the catalog keeps 42 distinct shapes.
    assert!((compiled.compile_ms - 174.0 * 150.0).abs() < 1e-6, "{}", compiled.compile_ms);
    assert!((eager.compile_ms - 42.0 * 0.05).abs() < 1e-9, "{}", eager.compile_ms);
    // Compiled, the warm call is faster and the first one far slower.
    assert!(compiled.warm_ms < eager.warm_ms);
    assert!(compiled.first_run_ms > 1000.0 * eager.first_run_ms);
}
