use multimodel_perf::catalog::{hardware, runtime::RuntimeProfile, Precision};
use multimodel_perf::predict::{
    single::Placement,
    spec::{resolve, ModelSpec},
};
#[test]
fn rows() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/published-public.json")).unwrap();
    for row in v["rows"].as_array().unwrap() {
        let dev = hardware::find(row["hardware"].as_str().unwrap()).unwrap();
        let rt = RuntimeProfile::find(row["runtime"].as_str().unwrap()).unwrap();
        let mut spec = ModelSpec::named(row["model_name"].as_str().unwrap());
        spec.batch_size = row["batch_size"].as_u64().unwrap() as u32;
        spec.precision = Precision::parse("p", row["precision"].as_str().unwrap()).unwrap();
        spec.sequence_length = row["sequence_length"].as_u64().map(|x| x as u32);
        let m = resolve(&spec, "m").unwrap();
        let p = Placement {
            device: &dev,
            runtime: &rt,
            threads: 1000,
        }
        .predict(&m);
        let want = row["value"].as_f64().unwrap();
        let got = if row["metric"] == "latency_ms" {
            p.latency_ms
        } else {
            p.throughput
        };
        println!(
            "{:40} want {:9.2} got {:9.2} err {:+6.1}%  bound {:?} kernels {} gflops {:.1}",
            row["id"].as_str().unwrap(),
            want,
            got,
            (got / want - 1.0) * 100.0,
            p.bound,
            p.kernels,
            p.gflops
        );
    }
}
