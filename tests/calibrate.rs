//! Calibration: profiles round-trip through JSON, measurements are validated, metrics are exact on
//! hand-made data, and a refit on half of a set of measurements lowers the error on the other half.

use multimodel_perf::catalog::hardware;
use multimodel_perf::wire;

#[test]
fn every_profile_round_trips_through_json_exactly() {
    for mut p in hardware::all() {
        p.overhead_scale = 1.7;
        p.latency_corrections = vec![("bert-base-uncased".to_string(), 0.8)];
        let json = serde_json::to_string(&wire::profile_to_dto(&p)).unwrap();
        let back = wire::hardware_from_dto(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(back, p, "{}", p.id);
    }
}
