//! Time per `predict` (3 and 50 models) and per `recommend` (8 and 50 models) on a GPU target, and a CPU
//! target where recommend also searches thread splits. Targets: under 20 µs for a 3-model predict and under
//! 2 ms for a 50-model recommend natively.
#![allow(missing_docs)] // criterion's macros generate undocumented public functions

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use multimodel_perf::bench::{catalog_mix as workload, seed};
use multimodel_perf::{plan, Goal, MultiModelPredictor, Strategy, Target};

fn benches(c: &mut Criterion) {
    let predictor = MultiModelPredictor::default();
    let gpu = Target::new("cuda:a100-40gb").unwrap();
    let cpu = Target::new("cpu").unwrap();
    let three = seed();
    let eight = workload(8);
    let fifty = workload(50);
    c.bench_function("predict/3-models/parallel", |b| {
        b.iter(|| predictor.predict(black_box(&three), &gpu, Strategy::Parallel).unwrap())
    });
    c.bench_function("predict/50-models/parallel", |b| {
        b.iter(|| predictor.predict(black_box(&fifty), &gpu, Strategy::Parallel).unwrap())
    });
    c.bench_function("recommend/8-models/cuda", |b| {
        b.iter(|| predictor.recommend(black_box(&eight), &gpu, Goal::Throughput).unwrap())
    });
    c.bench_function("recommend/50-models/cuda", |b| {
        b.iter(|| predictor.recommend(black_box(&fifty), &gpu, Goal::Throughput).unwrap())
    });
    c.bench_function("recommend/8-models/cpu", |b| {
        b.iter(|| predictor.recommend(black_box(&eight), &cpu, Goal::Throughput).unwrap())
    });
    c.bench_function("recommend/50-models/cpu", |b| {
        b.iter(|| predictor.recommend(black_box(&fifty), &cpu, Goal::Throughput).unwrap())
    });
    // The three stages of a predict, apart: resolving the workload, the models alone, simulating and reporting.
    for (name, workload) in [("3", &three), ("50", &fifty)] {
        let prep = predictor.prepare(workload, &cpu).unwrap();
        let plan = prep.plan(Strategy::Parallel);
        c.bench_function(&format!("stage/prepare/{name}-models/cpu"), |b| {
            b.iter(|| predictor.prepare(black_box(workload), &cpu).unwrap())
        });
        c.bench_function(&format!("stage/singles/{name}-models/cpu"), |b| {
            b.iter(|| black_box(&prep).singles(&plan))
        });
        let singles = prep.singles(&plan);
        c.bench_function(&format!("stage/evaluate/{name}-models/cpu"), |b| {
            b.iter(|| black_box(&prep).evaluate_with(&plan, singles.clone()))
        });
    }
    let prep = predictor.prepare(&fifty, &gpu).unwrap();
    c.bench_function("batched-search/50-models", |b| {
        b.iter(|| plan::batched(black_box(&prep), &vec![None; 50]))
    });
}

criterion_group! {
    name = predict;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = benches
}
criterion_main!(predict);
