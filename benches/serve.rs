//! Simulated events per second of the serving simulator: the seed-like three-model workload (BERT batch 4,
//! ViT, T5-small batch 2 on an A100) at 90 % of its sustainable load, under `Parallel` (rates recomputed
//! by processor sharing at every start and finish) and `Fifo` (one shared slot). Target: at least one
//! million events per second natively. Each run's event count is printed, so events/s = events / time.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use multimodel_perf::serve::{self, Arrivals, Policy, ServeConfig};
use multimodel_perf::{ModelSpec, MultiModelPredictor, Target, Workload};

/// Requests per simulated run.
const REQUESTS: f64 = 200_000.0;

fn config(prep: &multimodel_perf::predict::multi::Prepared, policy: Policy) -> ServeConfig {
    // Equal request rates whose Fifo load is 1; the capacity search then scales them to 90 %.
    let load: f64 = (0..prep.models.len())
        .map(|i| prep.single(i, 0).latency_ms / 1e3)
        .sum();
    let arrivals = vec![
        Arrivals::Poisson {
            rate_per_s: 1.0 / load
        };
        prep.models.len()
    ];
    let probe = ServeConfig::new(arrivals.clone(), policy.clone(), 2_000.0 * load);
    let k = 0.9 * serve::max_sustainable_scale(prep, &probe).unwrap();
    let rate = k / load;
    let duration_s = REQUESTS / (rate * prep.models.len() as f64);
    ServeConfig::new(
        vec![Arrivals::Poisson { rate_per_s: rate }; prep.models.len()],
        policy,
        duration_s,
    )
}

fn benches(c: &mut Criterion) {
    let workload = Workload {
        models: vec![
            ModelSpec::named("bert-base-uncased").with_batch(4),
            ModelSpec::named("vit-base-patch16-224"),
            ModelSpec::named("t5-small").with_batch(2),
        ],
        constraints: Default::default(),
    };
    let target = Target::new("cuda:a100-40gb").unwrap();
    let prep = MultiModelPredictor::default()
        .prepare(&workload, &target)
        .unwrap();
    for (name, policy) in [("parallel", Policy::Parallel), ("fifo", Policy::Fifo)] {
        let config = config(&prep, policy);
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
