//! Every catalog model on every catalog device at every precision under its default runtime gives finite,
//! positive numbers: no division by a missing peak, no NaN from an empty workload.

#![cfg(not(target_arch = "wasm32"))]

use multimodel_perf::catalog::runtime::RuntimeProfile;
use multimodel_perf::catalog::{hardware, models, Precision};
use multimodel_perf::predict::single::Placement;
use multimodel_perf::predict::spec::{resolve, ModelSpec};

#[test]
fn every_model_device_and_precision_gives_finite_numbers() {
    let mut checked = 0;
    for dev in hardware::all() {
        let runtime = RuntimeProfile::find(&dev.default_runtime).unwrap();
        for m in models::catalog() {
            for precision in Precision::ALL {
                let spec = ModelSpec::named(m.name).with_batch(2).with_precision(precision);
                let model = resolve(&spec, "m").unwrap();
                let p = Placement { device: &dev, runtime: &runtime, threads: dev.compute_units }
                    .predict(&model);
                let what = format!("{} on {} at {}", m.name, dev.id, precision.name());
                for (name, v) in [
                    ("latency", p.latency_ms),
                    ("throughput", p.throughput),
                    ("memory", p.memory.total_mb()),
                    ("gflops", p.gflops),
                ] {
                    assert!(v.is_finite() && v > 0.0, "{what}: {name} = {v}");
                }
                for share in [p.compute_share, p.bandwidth_share, p.queue_share, p.host_share] {
                    assert!((0.0..=1.0).contains(&share), "{what}: share {share}");
                }
                // The decomposition calibration fits against adds up to the latency.
                let parts = p.compute_ms + p.memory_ms + p.overhead_ms;
                assert!(
                    (parts - p.latency_ms).abs() <= 1e-9 * p.latency_ms.max(1.0),
                    "{what}: {parts} vs {}",
                    p.latency_ms
                );
                assert!(p.compute_ms >= 0.0 && p.memory_ms >= 0.0 && p.overhead_ms >= 0.0);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, hardware::all().len() * models::catalog().len() * Precision::ALL.len());
}
