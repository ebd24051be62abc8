//! A predicted schedule in Chrome trace format (`mmperf schedule --trace`).

use super::r4;
use crate::predict::multi::MultiPrediction;

/// The schedule in Chrome trace format (open in `chrome://tracing` or Perfetto): one complete event per model
/// on its device's track, plus a memory counter.
pub fn chrome_trace(p: &MultiPrediction) -> String {
    let mut events = Vec::new();
    for (i, m) in p.models.iter().enumerate() {
        events.push(serde_json::json!({
            "name": &*m.name, "cat": "model", "ph": "X",
            "ts": r4(m.start_ms * 1000.0), "dur": r4((m.end_ms - m.start_ms) * 1000.0),
            "pid": &*m.device, "tid": i,
            "args": {"batch": m.batch_size, "soloMs": r4(m.solo.latency_ms), "slowdown": r4(m.slowdown), "group": m.group}
        }));
    }
    for (t, mb) in &p.memory_curve {
        events.push(serde_json::json!({"name": "memory MB", "ph": "C", "ts": r4(t * 1000.0), "pid": "memory", "args": {"MB": r4(*mb)}}));
    }
    serde_json::json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string()
}
