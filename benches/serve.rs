//! Simulated events per second of the serving simulator: the seed-like three-model workload (BERT batch 4,
//! ViT, T5-small batch 2 on an A100) at 90 % of its sustainable load, under `Parallel` (rates recomputed
//! by processor sharing at every start and finish) and `Fifo` (one shared slot). Target: at least one
//! million events per second natively. Each run's event count is printed, so events/s = events / time.
#![allow(missing_docs)] // criterion's macros generate undocumented public functions

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use multimodel_perf::serve::{self, Policy};
use multimodel_perf::{MultiModelPredictor, Target};

/// Requests per simulated run.
const REQUESTS: f64 = 200_000.0;

fn benches(c: &mut Criterion) {
    let workload = multimodel_perf::bench::seed();
    let target = Target::new("cuda:a100-40gb").unwrap();
    let prep = MultiModelPredictor::default().prepare(&workload, &target).unwrap();
    for (name, policy) in [("parallel", Policy::Parallel), ("fifo", Policy::Fifo)] {
        let config = multimodel_perf::bench::serve_config(&prep, policy, REQUESTS).unwrap();
        let report = serve::simulate(&prep, &config).unwrap();
        println!(
            "serve/{name}: {} events, {} requests, utilisation {:.3}, stable {} per run",
            report.events, report.requests, report.utilisation, report.stable
        );
        c.bench_function(&format!("serve/{name}/200k-requests"), |b| {
            b.iter(|| serve::simulate(black_box(&prep), &config).unwrap())
        });
    }
}

criterion_group! {
    name = serve;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(serve);
